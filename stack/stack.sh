#!/usr/bin/env bash
# The local stack: Apache Kafka (KRaft, single combined node), the schema registry and a Kafka
# Connect worker, all as local JVM processes on loopback. No Docker: the jars come from Maven
# Central into a cache folder, so a fresh machine needs only Java 17 and Maven.
#
#   bash stack/stack.sh up|down|status|env|fetch
#
# Ports and folders are configurable through the environment (defaults below). When KAFKA_BROKERS
# is set, the stack is not started at all: the caller is pointed at an existing cluster.
set -euo pipefail

STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$STACK_DIR/.." && pwd)"

KAFKA_VERSION="${FORESHADOW_KAFKA_VERSION:-4.1.1}"
CACHE="${FORESHADOW_CACHE:-$HOME/.cache/foreshadow}"
KAFKA_PORT="${FORESHADOW_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${FORESHADOW_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${FORESHADOW_REGISTRY_PORT:-8081}"
CONNECT_PORT="${FORESHADOW_CONNECT_PORT:-8083}"
KAFKA_HEAP="${FORESHADOW_KAFKA_HEAP:-1g}"
CONNECT_HEAP="${FORESHADOW_CONNECT_HEAP:-512m}"
# Which components `up` starts; tests that need no Connect can skip it.
COMPONENTS="${FORESHADOW_STACK_COMPONENTS:-kafka registry connect}"

LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
PLUGINS="$CACHE/connect-plugins"
# A second, isolated stack (fault tests restart their own broker and Connect worker) keeps its
# data, logs and pid files in FORESHADOW_INSTANCE_DIR but reuses the jars of the cache.
INSTANCE="${FORESHADOW_INSTANCE_DIR:-$CACHE}"
RUN="$INSTANCE/run"
LOGS="$INSTANCE/logs"
DATA="$INSTANCE/data"
export FORESHADOW_CACHE="$CACHE" FORESHADOW_KAFKA_PORT="$KAFKA_PORT" FORESHADOW_REGISTRY_PORT="$REGISTRY_PORT"

say() { printf '[stack] %s\n' "$*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}

has() { [[ " $COMPONENTS " == *" $1 "* ]]; }

pid_alive() {
  local f="$RUN/$1.pid"
  [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Polls a readiness command until it succeeds or the deadline passes; shows the log on failure.
wait_until() {
  local what="$1" timeout="$2" log="$3"
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      say "$what not ready after ${timeout}s; last log lines from $log:"
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

# --- jars ---------------------------------------------------------------------------------------

fetch_kafka() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || die "Maven (mvn) is required to fetch the Kafka jars"
  say "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
  mkdir -p "$LIBS"
  mvn -q -B -f "$STACK_DIR/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$LIBS" -DincludeScope=runtime ||
    die "Maven could not resolve the Kafka jars"
  # The FileStream connectors live on Connect's plugin path, not on the worker classpath.
  rm -rf "$PLUGINS/filestream"
  mkdir -p "$PLUGINS/filestream"
  mv -f "$LIBS"/connect-file-*.jar "$PLUGINS/filestream/"
  touch "$LIBS/.complete"
}

# Extra Connect plugins, one folder each under stack/connect-plugins/<name>/pom.xml, resolved from
# Maven Central into $PLUGINS/<name>/ (one isolated class loader per folder): the Debezium JDBC
# sink + PostgreSQL driver, and Apicurio's Avro converter. Kafka 4 discovers plugins through
# ServiceLoader manifests only; Kafka's own ConnectPluginPath tool adds any that a jar lacks.
fetch_connect_plugins() {
  local pom name dest
  for pom in "$STACK_DIR"/connect-plugins/*/pom.xml; do
    name="$(basename "$(dirname "$pom")")"
    dest="$PLUGINS/$name"
    [[ -f "$dest/.complete" ]] && continue
    command -v mvn >/dev/null || die "Maven (mvn) is required to fetch the Connect plugin $name"
    say "fetching the Connect plugin $name from Maven Central into $dest"
    rm -rf "$dest"
    mkdir -p "$dest"
    mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$dest" -DincludeScope=runtime ||
      die "Maven could not resolve the Connect plugin $name"
    java -cp "$(classpath)" org.apache.kafka.tools.ConnectPluginPath sync-manifests \
      --plugin-location "$dest" >>"$LOGS/connect-plugin-path.log" 2>&1 ||
      die "could not write ServiceLoader manifests for $name (see $LOGS/connect-plugin-path.log)"
    touch "$dest/.complete"
  done
}

classpath() { printf '%s/*' "$LIBS"; }

# Kafka 4 logs through log4j2: one rolling file per component under the cache folder.
log4j_config() {
  local name="$1" file="$RUN/$1-log4j2.properties"
  cat >"$file" <<EOF
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $LOGS/$name.log
appender.file.filePattern = $LOGS/$name.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
  printf '%s' "$file"
}

# --- Kafka --------------------------------------------------------------------------------------

kafka_ready() {
  # A metadata round trip through the real client, not just an open port.
  node "$STACK_DIR/wait-kafka.mjs" "127.0.0.1:$KAFKA_PORT"
}

kafka_up() {
  if pid_alive kafka; then
    say "kafka already running (pid $(cat "$RUN/kafka.pid")) on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process; set FORESHADOW_KAFKA_PORT"
  local props="$RUN/kafka.properties" dir="$DATA/kafka"
  cat >"$props" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
group.initial.rebalance.delay.ms=0
log.retention.hours=72
EOF
  if [[ ! -f "$dir/meta.properties" ]]; then
    say "formatting KRaft storage in $dir"
    mkdir -p "$dir"
    java -cp "$(classpath)" -Dlog4j2.configurationFile="$(log4j_config kafka-format)" \
      kafka.tools.StorageTool format -t "$(java -cp "$(classpath)" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
      -c "$props" >>"$LOGS/kafka-format.log" 2>&1 || die "kafka storage format failed (see $LOGS/kafka-format.log)"
  fi
  say "starting Apache Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms256m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$(log4j_config kafka)" -cp "$(classpath)" kafka.Kafka "$props" \
    >>"$LOGS/kafka.out" 2>&1 &
  echo $! >"$RUN/kafka.pid"
  wait_until kafka "${FORESHADOW_KAFKA_READY_TIMEOUT:-90}" "$LOGS/kafka.log" kafka_ready || die "kafka did not become ready"
  say "kafka ready"
}

# --- Schema registry (stack/registry/registry.sh owns how it is built and run) ------------------

registry_up() { bash "$STACK_DIR/registry/registry.sh" up; }
registry_down() { bash "$STACK_DIR/registry/registry.sh" down || true; }

# --- Kafka Connect ------------------------------------------------------------------------------

connect_ready() {
  curl -fsS "http://127.0.0.1:$CONNECT_PORT/connector-plugins" | grep -q FileStreamSource
}

connect_up() {
  if pid_alive connect; then
    say "connect already running (pid $(cat "$RUN/connect.pid")) on http://127.0.0.1:$CONNECT_PORT"
    return 0
  fi
  port_open "$CONNECT_PORT" && die "port $CONNECT_PORT is taken by another process; set FORESHADOW_CONNECT_PORT"
  local props="$RUN/connect.properties"
  cat >"$props" <<EOF
bootstrap.servers=127.0.0.1:$KAFKA_PORT
group.id=${FORESHADOW_CONNECT_GROUP:-foreshadow-connect}
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
config.storage.topic=_connect-configs${FORESHADOW_CONNECT_TOPIC_SUFFIX:-}
offset.storage.topic=_connect-offsets${FORESHADOW_CONNECT_TOPIC_SUFFIX:-}
status.storage.topic=_connect-status${FORESHADOW_CONNECT_TOPIC_SUFFIX:-}
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.flush.interval.ms=2000
listeners=http://127.0.0.1:$CONNECT_PORT
rest.advertised.host.name=127.0.0.1
plugin.path=$PLUGINS
# Every plugin we ship has ServiceLoader manifests: skip the slow reflective classpath scan.
plugin.discovery=service_load
# Connector configs may reference \${env:VAR}; secrets then stay out of the REST payloads.
config.providers=env
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
EOF
  say "starting Kafka Connect $KAFKA_VERSION (distributed worker) on http://127.0.0.1:$CONNECT_PORT"
  nohup java -Xms128m -Xmx"$CONNECT_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$(log4j_config connect)" -cp "$(classpath)" \
    org.apache.kafka.connect.cli.ConnectDistributed "$props" >>"$LOGS/connect.out" 2>&1 &
  echo $! >"$RUN/connect.pid"
  wait_until connect 120 "$LOGS/connect.log" connect_ready || die "connect did not become ready"
  say "connect ready"
}

# --- shared -------------------------------------------------------------------------------------

stop_pid() {
  local name="$1" f="$RUN/$1.pid"
  [[ -f "$f" ]] || return 0
  local pid
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

print_env() {
  cat <<EOF
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7
CONNECT_URL=http://127.0.0.1:$CONNECT_PORT
EOF
}

cmd_up() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    say "KAFKA_BROKERS is set ($KAFKA_BROKERS): using the existing cluster, not starting a local stack"
    return 0
  fi
  command -v java >/dev/null || die "Java 17+ is required for the local stack"
  mkdir -p "$RUN" "$LOGS" "$DATA"
  local t0=$SECONDS
  fetch_kafka
  has connect && fetch_connect_plugins
  has kafka && kafka_up
  has registry && registry_up
  has connect && connect_up
  say "stack up in $((SECONDS - t0))s (logs in $LOGS)"
  print_env
}

# Stops only the components this invocation manages (FORESHADOW_STACK_COMPONENTS), in the
# instance folder it manages, so an isolated test stack never stops the shared one.
cmd_down() {
  has connect && stop_pid connect
  has registry && registry_down
  has kafka && stop_pid kafka
  return 0
}

cmd_status() {
  for c in kafka connect; do
    if pid_alive "$c"; then say "$c: running (pid $(cat "$RUN/$c.pid"))"; else say "$c: stopped"; fi
  done
  bash "$STACK_DIR/registry/registry.sh" status || true
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) print_env ;;
fetch)
  fetch_kafka
  mkdir -p "$LOGS"
  fetch_connect_plugins
  ;;
wipe)
  cmd_down
  rm -rf "$DATA"
  say "removed $DATA"
  ;;
*)
  echo "usage: $0 up|down|status|env|fetch|wipe" >&2
  exit 2
  ;;
esac

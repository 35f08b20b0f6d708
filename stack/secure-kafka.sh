#!/usr/bin/env bash
# A throwaway Kafka broker with the security a production cluster should have: SASL/SCRAM-SHA-512
# over TLS on its only client listener, the KRaft StandardAuthorizer with deny-by-default ACLs, and
# SCRAM credentials created at format time. The security tests start it beside (never instead of)
# the shared local stack; it reuses the stack's jar cache.
#
#   bash stack/secure-kafka.sh up <dir>     generate test certificates, format, start; prints env lines
#   bash stack/secure-kafka.sh down <dir>   stop it (the caller removes <dir>)
#
# Environment: FORESHADOW_SECURE_KAFKA_PORT (default 19292), FORESHADOW_SECURE_CONTROLLER_PORT
# (default 19293), SECURE_ADMIN_PASSWORD, SECURE_PIPELINE_PASSWORD (both required for `up`).
set -euo pipefail

STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_VERSION="${FORESHADOW_KAFKA_VERSION:-4.1.1}"
CACHE="${FORESHADOW_CACHE:-$HOME/.cache/foreshadow}"
LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
PORT="${FORESHADOW_SECURE_KAFKA_PORT:-19292}"
CPORT="${FORESHADOW_SECURE_CONTROLLER_PORT:-19293}"

say() { printf '[secure-kafka] %s\n' "$*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}

cmd="${1:-}"
DIR="${2:-}"
[[ -n "$DIR" ]] || die "usage: $0 up|down <dir>"

# Certificates: a throwaway CA and a broker certificate for 127.0.0.1/localhost (clients check the
# SAN, so the IP must be in it). The store password is random per run; it never leaves <dir>.
make_certs() {
  local d="$DIR/tls" pass
  mkdir -p "$d"
  pass="$(openssl rand -hex 16)"
  printf '%s' "$pass" >"$d/store.pass"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=foreshadow-test-ca" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/broker.key" -out "$d/broker.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/san.ext"
  openssl x509 -req -in "$d/broker.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/san.ext" -out "$d/broker.pem" 2>/dev/null
  openssl pkcs12 -export -in "$d/broker.pem" -inkey "$d/broker.key" -certfile "$d/ca.pem" \
    -name broker -out "$d/broker.p12" -passout "pass:$pass"
  # A second, unrelated CA: clients trusting only it must fail the handshake.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=foreshadow-rogue-ca" \
    -keyout "$d/rogue.key" -out "$d/rogue-ca.pem" 2>/dev/null
}

cmd_up() {
  [[ -n "${SECURE_ADMIN_PASSWORD:-}" && -n "${SECURE_PIPELINE_PASSWORD:-}" ]] ||
    die "SECURE_ADMIN_PASSWORD and SECURE_PIPELINE_PASSWORD are required"
  [[ -f "$LIBS/.complete" ]] || bash "$STACK_DIR/stack.sh" fetch
  mkdir -p "$DIR/data" "$DIR/logs"
  make_certs
  local pass props="$DIR/server.properties"
  pass="$(cat "$DIR/tls/store.pass")"
  # The broker talks to itself over SASL_SSL too, so it trusts the test CA.
  # The controller listener stays plaintext on loopback (principal ANONYMOUS, a super user so the
  # broker can register with its own controller); clients only ever see the SASL_SSL listener.
  cat >"$props" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=SASL_SSL://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=SASL_SSL://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$SECURE_ADMIN_PASSWORD";
ssl.keystore.type=PKCS12
ssl.keystore.location=$DIR/tls/broker.p12
ssl.keystore.password=$pass
ssl.key.password=$pass
ssl.truststore.type=PEM
ssl.truststore.location=$DIR/tls/ca.pem
ssl.client.auth=none
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:ANONYMOUS
log.dirs=$DIR/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
EOF
  chmod 600 "$props"
  local uuid
  uuid="$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null)"
  java -cp "$LIBS/*" kafka.tools.StorageTool format -t "$uuid" -c "$props" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$SECURE_ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=pipeline,password=$SECURE_PIPELINE_PASSWORD]" \
    >"$DIR/logs/format.log" 2>&1 || {
    tail -20 "$DIR/logs/format.log" >&2
    die "format failed"
  }
  cat >"$DIR/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $DIR/logs/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
EOF
  say "starting SASL_SSL broker on 127.0.0.1:$PORT"
  nohup java -Xms128m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$DIR/log4j2.properties" -cp "$LIBS/*" kafka.Kafka "$props" \
    >>"$DIR/logs/kafka.out" 2>&1 &
  echo $! >"$DIR/kafka.pid"
  local deadline=$((SECONDS + 150))
  until grep -q 'Kafka Server started' "$DIR/logs/kafka.log" 2>/dev/null; do
    kill -0 "$(cat "$DIR/kafka.pid")" 2>/dev/null || {
      tail -n 30 "$DIR/logs/kafka.out" >&2 || true
      die "broker exited"
    }
    ((SECONDS < deadline)) || die "broker not started after 150 s"
    sleep 0.5
  done
  say "ready"
  printf 'SECURE_KAFKA_BROKERS=127.0.0.1:%s\nSECURE_KAFKA_CA=%s\nSECURE_KAFKA_ROGUE_CA=%s\n' \
    "$PORT" "$DIR/tls/ca.pem" "$DIR/tls/rogue-ca.pem"
}

cmd_down() {
  local f="$DIR/kafka.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

case "$cmd" in
up) cmd_up ;;
down) cmd_down ;;
*) die "usage: $0 up|down <dir>" ;;
esac

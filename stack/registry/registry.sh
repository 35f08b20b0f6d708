#!/usr/bin/env bash
# Local Confluent-API-compatible schema registry for the Foreshadow stack:
# Apicurio Registry (Apache-2.0), built from its Maven Central app module by
# ./pom.xml and run as a plain JVM process (no Docker).
#
#   registry.sh build    build the runnable jar into the cache (no-op if present)
#   registry.sh up       start on 127.0.0.1:$FORESHADOW_REGISTRY_PORT, wait until ready
#   registry.sh down     stop (SIGTERM, SIGKILL after 20 s)
#   registry.sh status   print running/stopped + URL (exit 0 running, 3 stopped)
#
# Clients (@kafkajs/confluent-schema-registry) use the base URL printed by
# `up`/`status`: http://127.0.0.1:<port>/apis/ccompat/v7
#
# Env:
#   FORESHADOW_CACHE            cache root (default ~/.cache/foreshadow)
#   FORESHADOW_REGISTRY_PORT    HTTP port (default 8081)
#   FORESHADOW_REGISTRY_TIMEOUT readiness timeout in seconds (default 120)
#   JAVA_HOME                   optional; otherwise `java` on PATH (needs >= 11)
#
# Storage is H2 in *file* mode under $CACHE/registry/data, so schemas and their
# ids survive a registry restart. It does not depend on Kafka: the registry can
# start before or after the broker. (Apicurio's kafkasql storage lives in a
# separate module that is not on Maven Central for any resolvable version.)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FORESHADOW_CACHE:-$HOME/.cache/foreshadow}"
REG_DIR="$CACHE/registry"
BUILD_DIR="$REG_DIR/build"
TARGET_DIR="$BUILD_DIR/target"
JAR="$TARGET_DIR/quarkus-app/quarkus-run.jar"
STAMP="$TARGET_DIR/.foreshadow-build-stamp"
# The build is shared through the cache; data, logs and pid live in the instance folder, so an
# isolated second stack (FORESHADOW_INSTANCE_DIR) never touches the shared registry.
INSTANCE="${FORESHADOW_INSTANCE_DIR:-$CACHE}"
DATA_DIR="$INSTANCE/registry-data"
[[ "$INSTANCE" == "$CACHE" ]] && DATA_DIR="$REG_DIR/data"
TMP_DIR="$INSTANCE/registry-tmp"
[[ "$INSTANCE" == "$CACHE" ]] && TMP_DIR="$REG_DIR/tmp"
LOG_DIR="$INSTANCE/logs"
LOG="$LOG_DIR/registry.log"
RUN_DIR="$INSTANCE/run"
PIDFILE="$RUN_DIR/registry.pid"
HOST=127.0.0.1
PORT="${FORESHADOW_REGISTRY_PORT:-8081}"
TIMEOUT="${FORESHADOW_REGISTRY_TIMEOUT:-120}"
BASE_URL="http://$HOST:$PORT"
CCOMPAT_URL="$BASE_URL/apis/ccompat/v7"
HEAP="512m"

say() { printf '[registry] %s\n' "$*"; }
die() { printf '[registry] ERROR: %s\n' "$*" >&2; exit 1; }

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java || die "java not found (need JDK/JRE >= 11; apt-get install openjdk-17-jre-headless)"
  fi
}

# The build stamp is the pom's hash: editing pom.xml (e.g. a version bump)
# invalidates the cached jar, anything else keeps it.
pom_hash() { sha256sum "$HERE/pom.xml" | cut -d' ' -f1; }

is_built() { [[ -f "$JAR" && -f "$STAMP" && "$(cat "$STAMP")" == "$(pom_hash)" ]]; }

cmd_build() {
  if is_built; then
    say "already built: $JAR"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  mkdir -p "$BUILD_DIR"
  # Build from a copy in the cache so Maven/Quarkus write nothing into the repo.
  cp "$HERE/pom.xml" "$BUILD_DIR/pom.xml"
  rm -rf "$TARGET_DIR"
  say "building Apicurio Registry into $TARGET_DIR (first run downloads ~210 MB into ~/.m2, ~4 min)"
  local start=$SECONDS
  # %prod.quarkus.package.type: upstream's application.properties pins the
  # prod profile to legacy-jar; a profiled key can only be beaten by another
  # profiled key, and "%" can't be an XML element name in the pom.
  if ! mvn -B -ntp -f "$BUILD_DIR/pom.xml" package \
        -Dregistry.build.dir="$TARGET_DIR" \
        '-D%prod.quarkus.package.type=fast-jar' \
        > "$BUILD_DIR/build.log" 2>&1; then
    tail -n 40 "$BUILD_DIR/build.log" >&2
    die "maven build failed (full log: $BUILD_DIR/build.log)"
  fi
  [[ -f "$JAR" ]] || die "build finished but $JAR is missing (see $BUILD_DIR/build.log)"
  pom_hash > "$STAMP"
  say "built in $((SECONDS - start)) s: $JAR"
}

read_pid() { [[ -f "$PIDFILE" ]] && cat "$PIDFILE" || true; }

# Alive *and* actually our registry (guards against a recycled pid).
pid_alive() {
  local pid="$1"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
    && ps -p "$pid" -o args= 2>/dev/null | grep -qF "$JAR"
}

http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true; }

answers() { [[ "$(http_code "$CCOMPAT_URL/subjects")" == "200" ]]; }

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

print_version() {
  # /apis/registry/v2/system/info -> {"name":...,"version":"2.4.2.Final",...}
  local info
  info="$(curl -s -m 5 "$BASE_URL/apis/registry/v2/system/info" || true)"
  say "version: ${info:-unknown}"
}

# Poll readiness (no fixed sleeps beyond the poll interval); bail out early if
# the process died.
wait_ready() {
  local pid="$1" deadline=$((SECONDS + TIMEOUT))
  while (( SECONDS < deadline )); do
    if answers; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "process $pid exited during start-up; last 40 log lines:"
      tail -n 40 "$LOG" >&2 || true
      rm -f "$PIDFILE"
      return 1
    fi
    sleep 0.5
  done
  say "not ready after ${TIMEOUT}s; last 40 log lines:"
  tail -n 40 "$LOG" >&2 || true
  return 1
}

cmd_up() {
  local pid
  pid="$(read_pid)"
  if pid_alive "$pid"; then
    if answers; then
      say "already running (pid $pid) at $CCOMPAT_URL"
      print_version
      return 0
    fi
    # Started by an earlier `up` that is still booting (or hung): wait for it.
    say "pid $pid alive but not answering yet; waiting"
    wait_ready "$pid" || die "registry (pid $pid) did not become ready"
    say "ready at $CCOMPAT_URL"
    print_version
    return 0
  fi
  [[ -n "$pid" ]] && { say "removing stale pid file ($pid)"; rm -f "$PIDFILE"; }
  port_in_use && die "port $PORT on $HOST is already taken by another process (set FORESHADOW_REGISTRY_PORT)"

  cmd_build
  mkdir -p "$DATA_DIR" "$TMP_DIR" "$LOG_DIR" "$RUN_DIR"
  local java
  java="$(java_bin)"
  printf '\n===== %s registry up (port %s) =====\n' "$(date -u +%FT%TZ)" "$PORT" >> "$LOG"
  local start=$SECONDS
  # - Port and JDBC URL use %prod-profiled keys because upstream's
  #   application.properties sets them under %prod, and a profiled key beats a
  #   plain -Dquarkus.http.port. H2 *file* URL = durable schemas/ids.
  # - C1-only JIT + serial GC: on a 2-core box shared with Kafka/Connect/tsc
  #   this cut start-up roughly in half (23-41 s -> 10-16 s under load); a
  #   local registry's traffic is tiny (clients cache schemas).
  nohup "$java" -Xms64m -Xmx"$HEAP" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
      -Djava.io.tmpdir="$TMP_DIR" \
      "-D%prod.quarkus.http.port=$PORT" \
      -Dquarkus.http.host="$HOST" \
      "-D%prod.quarkus.datasource.jdbc.url=jdbc:h2:file:$DATA_DIR/registry" \
      -Dquarkus.log.category.\"io.sentry\".level=ERROR \
      -jar "$JAR" >> "$LOG" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$PIDFILE"
  say "starting (pid $pid), log: $LOG"
  if ! wait_ready "$pid"; then
    # Don't leave a half-started JVM holding the port and the H2 file lock.
    cmd_down >/dev/null
    die "registry failed to start"
  fi
  say "ready in $((SECONDS - start)) s at $CCOMPAT_URL"
  print_version
}

cmd_down() {
  local pid
  pid="$(read_pid)"
  if ! pid_alive "$pid"; then
    say "not running"
    rm -f "$PIDFILE"
    return 0
  fi
  say "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "still alive after 20 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  say "stopped"
}

cmd_status() {
  local pid
  pid="$(read_pid)"
  if pid_alive "$pid" && answers; then
    say "running (pid $pid) at $CCOMPAT_URL"
    return 0
  elif pid_alive "$pid"; then
    say "starting/unresponsive (pid $pid), URL will be $CCOMPAT_URL"
    return 3
  fi
  say "stopped (URL when up: $CCOMPAT_URL)"
  return 3
}

main() {
  case "${1:-}" in
    build) cmd_build ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) echo "usage: $0 {build|up|down|status}" >&2; exit 2 ;;
  esac
}

main "$@"

#!/usr/bin/env bash
# docker-compose.yml's connect-plugins step (in a Maven image): resolves every Connect plugin of
# stack/connect-plugins/<name>/pom.xml from Maven Central into /opt/plugins/<name>, as
# stack/stack.sh does for the local stack. Idempotent: a plugin already fetched is kept.
set -euo pipefail
for pom in /src/stack/connect-plugins/*/pom.xml; do
  name="$(basename "$(dirname "$pom")")"
  dest="/opt/plugins/$name"
  [[ -f "$dest/.complete" ]] && continue
  echo "[connect-plugins] $name"
  rm -rf "$dest" && mkdir -p "$dest"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$dest" -DincludeScope=runtime
  touch "$dest/.complete"
done

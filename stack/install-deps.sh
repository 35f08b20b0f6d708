#!/usr/bin/env bash
# Installs the Debian programs the tests and the demo drive for real: Redis (shadows, Sentinel
# drill), HAProxy (load-balancer redirection), BIND 9 + nsupdate (DNS failover), PostgreSQL (JDBC
# sink), collectd (real metric producer), kcat (line-protocol producer), Chromium (dashboard test),
# Prometheus + promtool (scrapes every `foreshadow run` process; checks the shipped alert rules),
# Alertmanager (the /alerts webhook test).
# Idempotent: installs only what is missing.
set -euo pipefail
PKGS=(redis-server redis-sentinel haproxy bind9 bind9-utils bind9-dnsutils postgresql collectd-core kcat chromium libatomic1 iproute2 curl prometheus prometheus-alertmanager)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "[deps] all Debian packages present" >&2
  exit 0
fi
echo "[deps] installing: ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Services must not auto-start system-wide: tests start their own instances on loopback ports.
printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
$SUDO chmod +x /usr/sbin/policy-rc.d
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[deps] installed" >&2

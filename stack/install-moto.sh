#!/usr/bin/env bash
# Installs moto's server mode (an AWS API emulator, PyPI `moto[server]`) into a virtualenv under the
# cache folder, for the AWS actuator's integration test (test/sinks/aws). Idempotent: does nothing
# when the pinned version is already there. Prints the path of `moto_server` on stdout.
#   FORESHADOW_CACHE   cache folder (default ~/.cache/foreshadow); the venv is <cache>/moto-venv
#   MOTO_VERSION       overrides the pinned version
set -euo pipefail
MOTO_VERSION="${MOTO_VERSION:-5.2.6}"
CACHE="${FORESHADOW_CACHE:-$HOME/.cache/foreshadow}"
VENV="$CACHE/moto-venv"
BIN="$VENV/bin/moto_server"

if [[ -x "$BIN" ]] && [[ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" == "$MOTO_VERSION" ]]; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$CACHE"
# A venv needs Python's venv/ensurepip modules; Debian ships them apart (python3-venv).
PY="$(command -v python3 || true)"
if [[ -z "$PY" ]] || ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "[moto] installing python3-venv" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
  PY=/usr/bin/python3
fi
rm -rf "$VENV"
echo "[moto] creating $VENV with moto[server]==$MOTO_VERSION" >&2
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
echo "$BIN"

#!/usr/bin/env bash
# Installs redis-server (and redis-benchmark) from the system's packages
# when they are missing. authbench starts its own private redis-server on a
# loopback port for runs and tests; nothing needs to be running.
set -euo pipefail
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if command -v apt-get >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
  # The package starts a system-wide server; authbench does not use it.
  $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
elif command -v brew >/dev/null; then
  brew install redis
else
  echo "install-redis: no apt-get or brew here; install redis-server by hand" >&2
  exit 1
fi
command -v redis-server >/dev/null

#!/usr/bin/env bash
# Run by `make bench` before the comparison: the Redis backends are half of
# it (JWT against sessions in a store), so a missing redis-server is
# installed rather than silently leaving them out. Set REDIS_URL to use a
# server of your own, or NO_REDIS_INSTALL=1 to skip this step.
set -uo pipefail
install="${INSTALL_REDIS:-$(dirname "$0")/install-redis.sh}"
if [ -n "${NO_REDIS_INSTALL:-}" ] || [ -n "${REDIS_URL:-}" ] || command -v redis-server >/dev/null; then
  exit 0
fi
echo "make bench: redis-server is missing; installing it with scripts/install-redis.sh"
if ! "$install"; then
  echo "make bench: could not install redis-server, so the Redis backends will be skipped (report.md lists them)." >&2
  echo "make bench: install it by hand (apt-get install redis-server, or brew install redis), or set REDIS_URL to a server of yours." >&2
fi
exit 0

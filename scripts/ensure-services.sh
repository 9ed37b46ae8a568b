#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, trust) and Redis (127.0.0.1:6379) are running; install them if missing.
set -euo pipefail

log() { echo "ensure-services: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  log "installing $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do
    if $check; then return 0; fi
    sleep 0.5
  done
  log "$what did not come up"; exit 1
}

if ! pg_up; then
  command -v pg_ctlcluster >/dev/null || install_packages postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL pg_up
fi

if ! redis_up; then
  command -v redis-server >/dev/null || install_packages redis-server redis-tools
  log "starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_up
fi
if ! [ -x /usr/bin/chromium ]; then
  install_packages chromium fonts-wqy-microhei  # headless browser (and a CJK font) for tests/test_console_browser.py
fi
log "PostgreSQL and Redis are up"

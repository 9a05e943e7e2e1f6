#!/usr/bin/env bash
# One command for the whole test suite: installs what is missing, makes sure PostgreSQL and
# Redis are running (starting them if installed but stopped), then lint + pytest on both
# databases and the browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pg_dump >/dev/null 2>&1 || need_apt+=(postgresql-client)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need_apt[*]} with apt-get…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing: ${need_apt[*]} — install them (Debian: apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  else
    echo "PostgreSQL is not running on 127.0.0.1:5432 and is not installed here." >&2
    echo "Install it (Debian: apt-get install postgresql) or point FIELDCRM_TEST_PG at one;" >&2
    echo "or run only the SQLite half: FIELDCRM_TEST_DBS=sqlite bash scripts/test.sh" >&2
    [ "${FIELDCRM_TEST_DBS:-}" = "sqlite" ] || exit 1
  fi
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "starting Redis…"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/fieldcrm-redis.log
    sleep 1
  else
    echo "Redis is not running on 127.0.0.1:6379 and is not installed (apt-get install redis-server)." >&2
    exit 1
  fi
fi

bash scripts/setup-python.sh
.venv/bin/ruff check .
set +e
.venv/bin/python -m pytest -q "$@"
status=$?
set -e
# pytest exits 5 when it collected nothing; that is a failure of the suite, not a pass.
exit $status

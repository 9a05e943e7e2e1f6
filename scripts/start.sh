#!/usr/bin/env bash
# One command for a newcomer: install, create the SQLite database with demo data, and serve
# the app on http://127.0.0.1:8000. No Redis or PostgreSQL needed (jobs run in-process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-python.sh
exec .venv/bin/fieldcrm serve --demo --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"

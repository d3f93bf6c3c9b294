#!/usr/bin/env bash
# Web server, Celery worker and beat in one terminal; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# Links in emails sent by the worker point at the address served here.
export SITE_URL="${SITE_URL:-http://${HOST:-127.0.0.1}:${PORT:-8000}}"

pids=()
stop() {
  trap - INT TERM EXIT
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$BIN/celery" -A platform_app worker --loglevel=INFO --concurrency=2 &
pids+=($!)
"$BIN/celery" -A platform_app beat --loglevel=INFO &
pids+=($!)
"$BIN/python" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}" &
pids+=($!)

echo "Serving http://${HOST:-127.0.0.1}:${PORT:-8000}/ with a Celery worker and beat. Ctrl-C stops all."
wait -n "${pids[@]}"

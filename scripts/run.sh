#!/usr/bin/env bash
# Builds Pulse, starts the hub on http://127.0.0.1:7655 with its data in ./data (embedded SQLite) and a local
# agent reporting to it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${FRONTEND_PORT:-7655}"
DATA_DIR="${PULSE_DATA_DIR:-$PWD/data}"
TOKEN_FILE="$DATA_DIR/local-agent.token"

./scripts/setup-deps.sh
echo "pulse: building (release)" >&2
swift build -c release --product pulse-hub >&2
swift build -c release --product pulse-agent >&2
BIN="$(swift build -c release --show-bin-path)"

mkdir -p "$DATA_DIR"
chmod 700 "$DATA_DIR"
export PULSE_DATA_DIR="$DATA_DIR"

if [ ! -s "$TOKEN_FILE" ]; then
    "$BIN/pulse-hub" token create --name "local agent ($(hostname))" --scopes host-agent:report > "$TOKEN_FILE.tmp"
    chmod 600 "$TOKEN_FILE.tmp"
    mv "$TOKEN_FILE.tmp" "$TOKEN_FILE"
fi

HUB_PID=""
AGENT_PID=""
stop() {
    trap - INT TERM EXIT
    echo >&2
    echo "pulse: stopping" >&2
    [ -n "$AGENT_PID" ] && kill -TERM "$AGENT_PID" 2>/dev/null || true
    [ -n "$HUB_PID" ] && kill -TERM "$HUB_PID" 2>/dev/null || true
    [ -n "$AGENT_PID" ] && wait "$AGENT_PID" 2>/dev/null || true
    [ -n "$HUB_PID" ] && wait "$HUB_PID" 2>/dev/null || true
    echo "pulse: stopped; data kept in $DATA_DIR" >&2
}
trap stop INT TERM EXIT

FRONTEND_PORT="$PORT" BACKEND_HOST="${BACKEND_HOST:-127.0.0.1}" LOG_FORMAT="${LOG_FORMAT:-text}" \
    "$BIN/pulse-hub" &
HUB_PID=$!

for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$HUB_PID" 2>/dev/null; then echo "pulse: the hub exited; see the log above" >&2; exit 1; fi
    sleep 0.1
done

"$BIN/pulse-agent" --url "http://127.0.0.1:$PORT" --token-file "$TOKEN_FILE" --interval 10s --log-format text &
AGENT_PID=$!

BOOTSTRAP="$("$BIN/pulse-hub" bootstrap-token 2>/dev/null || echo "(none: an administrator login is configured)")"
cat >&2 <<INFO

  Pulse hub:        http://127.0.0.1:$PORT  (open it in a browser: the dashboard's setup asks for the token below)
  Bootstrap token:  $BOOTSTRAP
  Data directory:   $DATA_DIR  (pulse.db; agent token in local-agent.token)
  Local agent:      reporting every 10s
  State (needs a monitoring:read token):
    curl -H "X-API-Token: <token>" http://127.0.0.1:$PORT/api/state
  Press Ctrl-C to stop both.

INFO
wait -n "$HUB_PID" "$AGENT_PID" || true

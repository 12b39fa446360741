#!/usr/bin/env bash
# Runs the whole test suite: unit tests and integration tests that start the real binaries on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-deps.sh test
echo "pulse: building" >&2
swift build --build-tests
echo "pulse: running tests" >&2
PULSE_HUB_BIN="$(swift build --show-bin-path)/pulse-hub" \
PULSE_AGENT_BIN="$(swift build --show-bin-path)/pulse-agent" \
    swift test --skip-build "$@"

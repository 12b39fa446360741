#!/usr/bin/env bash
# Builds the release agent for this machine's architecture, with the Swift runtime linked in
# (--static-swift-stdlib), into the hub's bin directory as pulse-agent-linux-<arch> with a .sha256 next to it,
# so /download/pulse-agent and the installers can serve it.
#
#   ./scripts/dist.sh [--bin-dir DIR]     (default: $PULSE_BIN_DIR, else ./bin)
set -euo pipefail
cd "$(dirname "$0")/.."

bin_dir="${PULSE_BIN_DIR:-$PWD/bin}"
while [ $# -gt 0 ]; do
    case "$1" in
        --bin-dir) [ $# -ge 2 ] || { echo "dist: --bin-dir needs a directory" >&2; exit 2; }; bin_dir="$2"; shift 2 ;;
        --bin-dir=*) bin_dir="${1#*=}"; shift ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "dist: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    armv7l) arch=armv7 ;;
    *) echo "dist: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

./scripts/setup-deps.sh build
echo "dist: building the release agent (static Swift runtime); this takes a few minutes" >&2
swift build -c release --product pulse-agent --static-swift-stdlib
built="$(swift build -c release --show-bin-path)/pulse-agent"

mkdir -p "$bin_dir"
target="$bin_dir/pulse-agent-linux-$arch"
cp "$built" "$target.tmp"
chmod 0755 "$target.tmp"
"$target.tmp" --self-test >/dev/null 2>&1 || { echo "dist: the built agent fails --self-test" >&2; exit 1; }
mv -f "$target.tmp" "$target"
sha256sum "$target" | cut -d' ' -f1 > "$target.sha256"
echo "dist: $target ($(du -h "$target" | cut -f1), version $("$target" --version), sha256 $(cat "$target.sha256"))" >&2

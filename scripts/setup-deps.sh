#!/usr/bin/env bash
# Installs the Debian packages Pulse builds and tests with, when missing. Run as root to install;
# otherwise it lists exactly what is missing and the command to install it.
set -euo pipefail

# Usage: setup-deps.sh [build|test]. `test` adds the tools the test suite drives (openssl, promtool, sqlite3,
# pdftotext/pdftoppm/qpdf for the reports, headless Chromium with its driver and Debian's Selenium for the dashboard's
# browser tests, python3 for the fake engines, podman with runc and a static busybox for the real-podman tests).
# libcairo2-dev draws the PDF reports; fonts-dejavu-core is the font they embed; libyaml-dev reads kubeconfigs.
PACKAGES=(curl pkg-config libcrypt-dev libsqlite3-dev libssl-dev libmicrohttpd-dev libcurl4-openssl-dev libsystemd-dev
          libcairo2-dev fonts-dejavu-core zlib1g-dev libyaml-dev)
if [ "${1:-build}" = "test" ]; then
    PACKAGES+=(openssl prometheus sqlite3 poppler-utils qpdf chromium chromium-driver python3-selenium python3 podman runc
               busybox-static)
fi

missing=()
for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "pulse: missing Debian packages: ${missing[*]}" >&2
    echo "pulse: install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "pulse: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Install tools only: never let a package start its service (prometheus ships one).
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created_policy=1
fi
cleanup() { [ -n "$created_policy" ] && rm -f "$policy"; }
trap cleanup EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "pulse: packages installed" >&2

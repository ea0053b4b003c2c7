#!/usr/bin/env bash
# Installs the Debian packages Passport Ledger needs, if they are missing.
#   scripts/install-deps.sh          C libraries to build and run dpp
#   scripts/install-deps.sh --test   also Go with golang.org/x/mod, for the third-party interop tests
set -euo pipefail
packages=(pkg-config liblmdb-dev libsodium-dev)
if [ "${1:-}" = "--test" ]; then
    packages+=(golang-go golang-golang-x-mod-dev)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

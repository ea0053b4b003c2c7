#!/usr/bin/env bash
# Installs the Debian packages Passport Ledger needs, if they are missing.
#   scripts/install-deps.sh          C libraries to build and run dpp
#   scripts/install-deps.sh --test   also Go with golang.org/x/mod (third-party interop tests),
#                                    Python's jsonschema ≥ 4.18 (schema-conformance tests),
#                                    schemathesis 4 (the HTTP API against its OpenAPI document) and
#                                    zbarimg from zbar-tools (QR code round trips)
set -euo pipefail
packages=(pkg-config liblmdb-dev libsodium-dev libqrencode-dev zlib1g-dev librdkafka-dev libjemalloc-dev)
if [ "${1:-}" = "--test" ]; then
    packages+=(golang-go golang-golang-x-mod-dev zbar-tools)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# pip_install NAME SPEC: installs SPEC from PyPI (pip itself from Debian if missing).
pip_install() {
    if ! python3 -m pip --version >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    fi
    echo "installing: $1 (PyPI)" >&2
    python3 -m pip install --quiet "$2" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "$2"
}
if [ "${1:-}" = "--test" ]; then
    # Debian's python3-jsonschema predates the `referencing` registry the schema checks use: take it from PyPI.
    python3 -c "import jsonschema, referencing" 2>/dev/null || pip_install jsonschema "jsonschema>=4.18"
    # The API fuzz test (ServeCLITests) runs `python3 -m schemathesis` against a live `dpp serve`.
    python3 -c "import schemathesis, sys; sys.exit(0 if schemathesis.__version__.startswith('4.') else 1)" 2>/dev/null \
        || pip_install schemathesis "schemathesis>=4,<5"
fi

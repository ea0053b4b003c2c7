#!/usr/bin/env bash
# Runs the whole test suite (installs what the tests need first).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh --test
swift build --product dpp
swift test "$@"

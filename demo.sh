#!/usr/bin/env bash
# Builds dpp and runs the end-to-end demo on a fresh store (./demo-store).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
swift build --product dpp
.build/debug/dpp demo --store demo-store "$@"

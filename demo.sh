#!/usr/bin/env bash
# Builds dpp, runs the end-to-end demo on a fresh store (./demo-store), then serves it over HTTP
# until Ctrl-C (the URLs to open are printed). ./demo.sh --no-serve stops after the walk-through.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
swift build --product dpp
serve=(--serve)
args=()
for a in "$@"; do
    if [ "$a" = "--no-serve" ]; then serve=(); else args+=("$a"); fi
done
.build/debug/dpp demo --store demo-store "${serve[@]}" "${args[@]}"

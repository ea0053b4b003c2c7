#!/usr/bin/env bash
# HTTP benchmark of `dpp serve` (issue 9): wrk against a release build on loopback.
#
#   Benchmarks/http-bench.sh                  build, make a demo store, serve it, measure, stop
#   CONNECTIONS="8 32 64" DURATION=15s Benchmarks/http-bench.sh
#   PROFILE=1 Benchmarks/http-bench.sh        also perf record the server during one passport run
#
# Needs wrk (apt-get install wrk; a benchmark tool, not installed by scripts/install-deps.sh) and,
# for PROFILE=1, perf. Sends traffic only to 127.0.0.1, bounded by DURATION per run.
#
# Measures, each after a 3 s warm-up:
#   GET /passports/<demo item>          current passport, public view, JSON (anonymous caller)
#   GET /01/<gtin>/21/<serial>/qr.svg   QR code of the item's Digital Link URI (also at 1 connection, for latency)
#   GET /checkpoint                     the signed checkpoint
# and at the end the server's peak resident set (VmHWM) and its anonymous resident memory
# (RssAnon: RSS minus the file-backed pages of the LMDB map).
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-"8 32 64"}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
PROFILE=${PROFILE:-0}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
swift build -c release --product dpp >&2
dpp="$(swift build -c release --show-bin-path)/dpp"

work=$(mktemp -d "${TMPDIR:-/tmp}/dpp-http-bench.XXXXXX")
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

"$dpp" demo --store "$work/store" >"$work/demo.log" 2>&1
# The demo prints commands for one of its items ("dpp passport 01/<gtin>/21/<serial> …").
item=$(grep -o 'passport 01/[0-9]*/21/[A-Za-z0-9]*' "$work/demo.log" | head -1 | cut -d' ' -f2)
[ -n "$item" ] || { echo "no item found in the demo's output ($work/demo.log)" >&2; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The anonymous rate limit stays on (its cost is part of every public request), set high enough
# that one benchmarking client is never limited.
echo "anonymousRequestsPerMinute: 1000000000" >"$work/serve.yaml"
"$dpp" serve --store "$work/store" --port "$port" --config "$work/serve.yaml" >"$work/serve.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do
    curl -fs "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "$base/healthz" >/dev/null || { echo "dpp serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
for path in "/passports/$item" "/$item/qr.svg" "/checkpoint"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base$path")
    [ "$code" = 200 ] || { echo "GET $path answered $code" >&2; exit 1; }
done

# Samples the server's anonymous resident memory every 0.2 s; the largest value is its peak.
(while kill -0 "$server_pid" 2>/dev/null; do awk '/^RssAnon:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null; sleep 0.2; done) \
    >"$work/rss-anon.txt" &

results=()
# run NAME PATH CONNECTIONS: one wrk run after a warm-up; appends "name|c|req/s|p50|p99|errors".
run() {
    local name=$1 path=$2 c=$3
    wrk -t"$THREADS" -c"$c" -d"$WARMUP" "$base$path" >/dev/null
    local out
    out=$(wrk -t"$THREADS" -c"$c" -d"$DURATION" --latency "$base$path")
    echo "$out" >"$work/wrk-${#results[@]}.txt"
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
    results+=("$name|$c|$rps|$p50|$p99|$errors")
    echo "  $name -c$c: $rps req/s, p50 $p50, p99 $p99, errors $errors" >&2
}

echo "serving $item on $base (pid $server_pid); wrk -t$THREADS, $DURATION per run" >&2
for c in $CONNECTIONS; do run "GET /passports/{item}" "/passports/$item" "$c"; done
run "GET /01/../21/../qr.svg" "/$item/qr.svg" 1
run "GET /01/../21/../qr.svg" "/$item/qr.svg" 32
run "GET /checkpoint" "/checkpoint" 32

if [ "$PROFILE" = 1 ]; then
    command -v perf >/dev/null || { echo "perf is missing" >&2; exit 1; }
    echo "profiling the server during a 15 s passport run (-c32) …" >&2
    perf record -g -o "$work/perf.data" -p "$server_pid" -- sleep 12 2>"$work/perf-record.log" &
    perf_pid=$!
    wrk -t"$THREADS" -c32 -d15s "$base/passports/$item" >/dev/null
    wait "$perf_pid" || true
    perf report -i "$work/perf.data" --no-children --percent-limit 1 --stdio 2>/dev/null >"${PERF_REPORT:-${TMPDIR:-/tmp}/dpp-http-perf-report.txt}" || true
    echo "perf report: ${PERF_REPORT:-${TMPDIR:-/tmp}/dpp-http-perf-report.txt}" >&2
fi

hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")
peak_anon=$(sort -n "$work/rss-anon.txt" | tail -1)
anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$server_pid/status")
file=$(awk '/^RssFile:/ {print $2}' "/proc/$server_pid/status")

echo
echo "dpp serve, release build, $(nproc) cores, wrk -t$THREADS -d$DURATION, $(date -u +%Y-%m-%d)"
printf '%-28s %5s %10s %9s %9s %7s\n' "request" "conns" "req/s" "p50" "p99" "errors"
for r in "${results[@]}"; do
    IFS='|' read -r name c rps p50 p99 errors <<<"$r"
    printf '%-28s %5s %10s %9s %9s %7s\n' "$name" "$c" "$rps" "$p50" "$p99" "$errors"
done
echo
echo "server memory: peak RSS (VmHWM) $((hwm / 1024)) MB; peak RssAnon (RSS beside the LMDB map and the binary) $((peak_anon / 1024)) MB; at the end RssAnon $((anon / 1024)) MB, RssFile $((file / 1024)) MB"

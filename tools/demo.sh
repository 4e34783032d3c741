#!/usr/bin/env bash
# make demo: analyse the bundled captures and show what tlswatch reports.
set -eu
bin=${1:-build/tlswatch}
cd "$(dirname "$0")/.."
shopt -s nullglob
files=(pcaps/*.pcap pcaps/*.pcapng)
args=()
for f in "${files[@]}"; do args+=(-r "$f"); done
echo "== tlswatch ${args[*]}"
echo
TZ=GMT0 "$bin" -q "${args[@]}"
echo
echo "== the same as JSON Lines (first 3 records): tlswatch --json - ..."
TZ=GMT0 "$bin" -q "${args[@]}" --json - | head -3

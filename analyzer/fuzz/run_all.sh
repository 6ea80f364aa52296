#!/bin/sh
# Runs every fuzz target for SECONDS (default 300) after seeding, one after the other, and
# prints one summary line per target: executions, duration, corpus size, crashes.
# Usage: ./run_all.sh [SECONDS] [target...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
secs=${1:-300}
[ $# -gt 0 ] && shift
targets=${*:-$(cargo +nightly fuzz list)}
[ -d corpus ] || ./seed.sh >/dev/null
mkdir -p logs
for t in $targets; do
    # Large seeds make the slow parsers crawl: gpresult reports, RSoP XML and firewall rule
    # dumps are mutated in their first 64 KiB, event logs in their header and first chunk.
    case $t in
        gpresult_html|gpresult_xml|netsh_rules) extra=-max_len=65536 ;;
        evtx) extra=-max_len=69632 ;;
        identify|text_decode) extra=-max_len=262144 ;;
        *) extra= ;;
    esac
    cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
        -print_final_stats=1 $extra >"logs/$t.log" 2>&1
    rc=$?
    cp "logs/$t.log" "logs/$t.$(date +%s).log"
    runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "logs/$t.log" | tail -n 1)
    crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
    echo "$t: exit $rc; $runs(s); corpus $(ls "corpus/$t" | wc -l) files; artifacts $crashes"
done

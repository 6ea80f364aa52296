#!/bin/sh
# Runs every fuzz target for SECONDS (default 300) after seeding, one after the other, and
# prints one summary line per target: wall seconds, executions, corpus files before and after,
# coverage (cov/ft) when libFuzzer had read the corpus (INITED) and at the end (DONE), crashes.
# A pass whose DONE cov equals its INITED cov found nothing new: that is the plateau the
# campaign runs each target to (see README.md). Lines also go to logs/summary.tsv.
# Usage: ./run_all.sh [SECONDS] [target...]
#        ./run_all.sh cmin [target...]     minimize each corpus (cargo fuzz cmin)
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
mode=${1:-300}
[ $# -gt 0 ] && shift
targets=${*:-$(cargo +nightly fuzz list)}
[ -d corpus ] || ./seed.sh >/dev/null
mkdir -p logs
. ./max_len.sh
files() { ls "corpus/$1" 2>/dev/null | wc -l; }
kib() { du -sk "corpus/$1" 2>/dev/null | cut -f1; }
# cov and ft of the last libFuzzer status line tagged $2 in log $1.
cov() { grep "$2" "$1" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1\/\2/p'; }
for t in $targets; do
    before=$(files "$t")
    start=$(date +%s)
    if [ "$mode" = cmin ]; then
        # Same input length cap as the runs, so the kept inputs are judged on what is fuzzed.
        cargo +nightly fuzz cmin "$t" -- -rss_limit_mb=2048 -timeout=20 $(max_len "$t") \
            >"logs/$t.cmin.log" 2>&1
        rc=$?
        line="$t: cmin exit $rc; $(($(date +%s) - start)) s; corpus $before -> $(files "$t") files ($(kib "$t") KiB)"
    else
        cargo +nightly fuzz run "$t" -- -max_total_time="$mode" -rss_limit_mb=2048 -timeout=20 \
            -print_final_stats=1 $(max_len "$t") >"logs/$t.log" 2>&1
        rc=$?
        secs=$(($(date +%s) - start))
        cp "logs/$t.log" "logs/$t.$start.log"
        runs=$(grep -o 'Done [0-9]* runs' "logs/$t.log" | tail -n 1 | tr -dc 0-9)
        crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
        line="$t: exit $rc; ${secs} s; ${runs:-?} runs; corpus $before -> $(files "$t") files; cov/ft INITED $(cov "logs/$t.log" INITED) DONE $(cov "logs/$t.log" DONE); artifacts $crashes"
    fi
    echo "$line"
    printf '%s\t%s\n' "$(date -u +%FT%TZ)" "$line" >>logs/summary.tsv
done

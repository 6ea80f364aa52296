#!/bin/sh
# Runs fuzz targets to their plateau. For each target: a growth pass (300 s; 600 s for the slow
# parsers) when its corpus holds only seeds, then rounds of `cmin` + a 120 s pass until a pass
# over the minimized corpus reaches nothing new in our code, or MAX_ROUNDS rounds (default 6)
# have run.
#
# "Our code" is analyzer/src and bundle/src. libFuzzer's own `cov` counts every instrumented
# edge, the dependencies' too (x509-parser, html5ever, serde_json, the evtx crate) and the std
# code inlined into ours, and it keeps creeping on any big parser; the question the campaign
# answers is whether the fuzzer still reaches new paths in the code we wrote. So before and
# after each pass the corpus is replayed once (`-runs=0 -print_coverage=1`) and what it reaches
# of our source lines is compared (see ours()): unchanged = plateau. Both counts are kept:
# logs/summary.tsv (run_all.sh, raw cov) and logs/plateau.tsv (ours, one line per round and a
# verdict per target). logs/<target>.uncovered lists the lines of our code the final corpus
# never reaches.
#
# Usage: ./plateau.sh target...            runs the targets one after the other
#        ./plateau.sh --queue FILE          takes targets from FILE, one per line, until it is
#                                           empty; start one per core on the same FILE to share
#                                           the work (the file is locked while a line is taken)
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
max_rounds=${MAX_ROUNDS:-6}
bin=target/x86_64-unknown-linux-gnu/release
growth() {
    case $1 in
        gpresult_html|gpresult_xml|netsh_rules|evtx|binxml) echo 600 ;;
        *) echo 300 ;;
    esac
}
. ./max_len.sh # the input cap run_all.sh fuzzes with
# What the corpus of $1 reaches of our code, as a signature file logs/$1.ours: the functions of
# our files it reaches (COVERED_FUNC) and, per source line of ours, how many of that line's
# edges it leaves unreached (UNCOVERED_PC, by the innermost inlined frame, so the std and
# dependency code inlined into our functions is not counted). Prints "F functions, U edges
# unreached"; two signatures equal = nothing new reached in our code.
ours() {
    [ -f "logs/$1.ours" ] && mv "logs/$1.ours" "logs/$1.ours.prev"
    "$bin/$1" -runs=0 -print_coverage=1 -rss_limit_mb=2048 -timeout=20 $(max_len "$1") \
        "corpus/$1" >"logs/$1.coverage" 2>&1
    {
        grep '^COVERED_FUNC: .*/\(analyzer\|bundle\)/src/' "logs/$1.coverage" |
            awk '{ print "F", $6 }' | sort -u
        grep '^  UNCOVERED_PC: .*/\(analyzer\|bundle\)/src/' "logs/$1.coverage" |
            grep -v ':0$' | awk '{ print "U", $2 }' | sort | uniq -c
    } >"logs/$1.ours"
    echo "$(grep -c '^F ' "logs/$1.ours") functions, $(awk '$2 == "U" { n += $1 } END { print n + 0 }' "logs/$1.ours") edges unreached"
}
log() { echo "$1"; printf '%s\t%s\n' "$(date -u +%FT%TZ)" "$1" >>logs/plateau.tsv; }
plateau() {
    t=$1
    # A corpus of seeds only (under 50 files) has never been grown.
    if [ "$(ls "corpus/$t" 2>/dev/null | wc -l)" -lt 50 ]; then
        ./run_all.sh "$(growth "$t")" "$t"
    fi
    r=0
    verdict="no plateau in our code after $max_rounds rounds"
    while [ "$r" -lt "$max_rounds" ]; do
        r=$((r + 1))
        ./run_all.sh cmin "$t" # builds the target first when the code changed
        before=$(ours "$t")
        # A target that does not build (or crashes on its corpus) reaches nothing: that is a
        # failure to report, not a plateau.
        if ! grep -q '^F ' "logs/$t.ours"; then
            log "$t: FAILED: the corpus replay reached none of our code (build or run failed: logs/$t.cmin.log, logs/$t.coverage)"
            return 1
        fi
        ./run_all.sh 120 "$t"
        after=$(ours "$t")
        log "$t: round $r: our code reached: $before -> $after"
        if cmp -s "logs/$t.ours" "logs/$t.ours.prev"; then
            verdict="plateau at round $r: a 120 s pass reached nothing new in our code ($after)"
            break
        fi
    done
    ./run_all.sh cmin "$t" >/dev/null
    grep '^  UNCOVERED_PC: .*/\(analyzer\|bundle\)/src/' "logs/$t.coverage" |
        sed 's/^  UNCOVERED_PC: //' | sort -u >"logs/$t.uncovered"
    log "$t: $verdict"
}
take() { # first line of queue file $1, removed from it under a lock
    (
        flock 9
        line=$(head -n 1 "$1")
        [ -n "$line" ] && sed -i 1d "$1"
        echo "$line"
    ) 9>>"$1.lock"
}
if [ "${1:-}" = --queue ]; then
    q=$2
    while t=$(take "$q") && [ -n "$t" ]; do
        plateau "$t"
    done
else
    for t in "$@"; do plateau "$t"; done
fi

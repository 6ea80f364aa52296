#!/bin/sh
# Runs fuzz targets to their plateau. For each target: a growth pass (300 s; 600 s for the slow
# parsers) when its corpus holds only seeds, then rounds of `cmin` + a 120 s pass until a pass
# over the minimized corpus reaches nothing new in our code, or MAX_ROUNDS rounds (default 6)
# have run.
#
# "Our code" is analyzer/src and bundle/src. libFuzzer's own `cov` counts every instrumented
# edge, the dependencies' too (x509-parser, html5ever, serde_json, the evtx crate), and those
# keep creeping for hours on any big parser; the question the campaign answers is whether the
# fuzzer still reaches new paths in the code we wrote. So before and after each pass the
# corpus is replayed once (`-runs=0 -print_coverage=1`) and the covered edges of the
# functions in our files are summed: equal before and after = plateau. Both counts are kept:
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
# Same input cap as run_all.sh.
max_len() {
    case $1 in
        gpresult_html|gpresult_xml|netsh_rules|binxml) echo -max_len=65536 ;;
        evtx) echo -max_len=69632 ;;
        identify|text_decode) echo -max_len=262144 ;;
    esac
}
# covered/total edges of the functions of our code the corpus of $1 reaches.
ours() {
    "$bin/$1" -runs=0 -print_coverage=1 -rss_limit_mb=2048 -timeout=20 $(max_len "$1") \
        "corpus/$1" >"logs/$1.coverage" 2>&1
    awk '/^COVERED_FUNC/ && /\/(analyzer|bundle)\/src\// { split($5, e, "/"); c += e[1]; t += e[2] }
         END { print c + 0 "/" t + 0 }' "logs/$1.coverage"
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
        ./run_all.sh 120 "$t"
        after=$(ours "$t")
        log "$t: round $r: our code, covered/total edges: $before -> $after"
        if [ "${before%/*}" = "${after%/*}" ]; then
            verdict="plateau at round $r: a 120 s pass reached no new edge of our code ($after)"
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

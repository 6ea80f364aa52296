#!/usr/bin/env bash
# End-to-end benchmark of the release `rdp-analyze` on grown Security logs, beside its anchors,
# in the same run: `evtx_dump -t 2 -o jsonl` on the log in a folder, `unzip -p` on the zip.
#
#   scripts/bench_e2e.sh                 # 256 MiB and 1 GiB logs, 5 rounds
#   SIZES="256 1024 4096" ROUNDS=3 scripts/bench_e2e.sh
#
# Each round runs every command once, in an order that rotates from round to round, each a fresh
# process under `/usr/bin/time` (wall time, peak RSS). The machine is shared, so timings are
# noisy: the table gives the minimum and the median of the rounds (and the largest peak RSS).
# Output is a Markdown table (stdout); progress goes to stderr.
#
# Needs: cargo, python3, zip, unzip, /usr/bin/time, evtx_dump (`cargo install evtx`; set
# EVTX_DUMP to its path if it is not on PATH), ../shared (grow-evtx and the Security samples).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED:-$here/../shared}"
[ -d "$shared/tools" ] || shared=/work/shared
sizes="${SIZES:-256 1024}"
rounds="${ROUNDS:-5}"
work="${WORK:-/tmp/rdp-bench-e2e}"
evtx_dump="${EVTX_DUMP:-$(command -v evtx_dump || true)}"
bin="${BIN:-$here/target/release/rdp-analyze}"

for tool in python3 zip unzip /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench_e2e: $tool is missing" >&2; exit 2; }
done
[ -n "$evtx_dump" ] || { echo "bench_e2e: evtx_dump is missing (cargo install evtx)" >&2; exit 2; }
[ -x "$shared/tools/grow-evtx" ] || { echo "bench_e2e: $shared/tools/grow-evtx is missing" >&2; exit 2; }

if [ -z "${BIN:-}" ]; then
    echo "building the release binary..." >&2
    (cd "$here" && cargo build --release -q -p rdp-analyze)
fi
mkdir -p "$work"

# One log per size, in a folder (events/Security.evtx, where the collector puts it) and in a zip
# of that folder (zip's default deflate level, as Windows' and the collector's zips are).
for size in $sizes; do
    dir="$work/dir-$size"
    if [ ! -s "$dir/events/Security.evtx" ]; then
        mkdir -p "$dir/events"
        echo "growing a $size MiB Security log..." >&2
        "$shared/tools/grow-evtx" "$dir/events/Security.evtx" "$size" "$shared"/samples/evtx/*security* >&2
        rm -f "$work/zip-$size.zip"
    fi
    if [ ! -s "$work/zip-$size.zip" ]; then
        echo "zipping it..." >&2
        (cd "$dir" && zip -q -r "$work/zip-$size.zip" events)
    fi
done

results="$work/results.tsv"
: >"$results"
# run NAME SIZE COMMAND...: one timed run, appended to the results as NAME SIZE SECONDS KIB.
run() {
    local name="$1" size="$2"
    shift 2
    local t="$work/time.txt"
    /usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>"$work/stderr.txt" || true
    # rdp-analyze exits 1 when it has error-level findings; a crash shows as a missing figure.
    if ! tail -n 1 "$t" | grep -Eq '^[0-9.]+ [0-9]+$'; then
        echo "bench_e2e: $name failed: $(cat "$t" "$work/stderr.txt" | head -5)" >&2
        return
    fi
    printf '%s\t%s\t%s\n' "$name" "$size" "$(tail -n 1 "$t" | tr ' ' '\t')" >>"$results"
}

for round in $(seq 1 "$rounds"); do
    echo "round $round/$rounds" >&2
    for size in $sizes; do
        dir="$work/dir-$size"
        zipf="$work/zip-$size.zip"
        cmds=(
            "analyze-dir|$bin $dir --format json"
            "evtx_dump|$evtx_dump -t 2 -o jsonl $dir/events/Security.evtx"
            "analyze-zip|$bin $zipf --format json"
            "unzip|unzip -p $zipf"
        )
        n=${#cmds[@]}
        for i in $(seq 0 $((n - 1))); do
            entry="${cmds[$(((i + round) % n))]}"
            # shellcheck disable=SC2086 # the command is split on purpose
            run "${entry%%|*}" "$size" ${entry#*|}
        done
    done
done

python3 - "$results" "$rounds" <<'EOF'
import statistics, sys
from collections import defaultdict

rows = defaultdict(list)
for line in open(sys.argv[1]):
    name, size, secs, kib = line.split("\t")
    rows[(name, int(size))].append((float(secs), int(kib)))

def cell(name, size):
    runs = rows.get((name, size))
    if not runs:
        return "failed"
    secs = [s for s, _ in runs]
    mib = [k / 1024 for _, k in runs]
    return (f"{min(secs):.2f} / {statistics.median(secs):.2f} s, "
            f"{max(mib):.0f} MiB")

def ratio(a, b, size):
    ra, rb = rows.get((a, size)), rows.get((b, size))
    if not ra or not rb:
        return "-"
    ma = statistics.median(s for s, _ in ra)
    mb = statistics.median(s for s, _ in rb)
    return f"{mb / ma:.1f}×" if ma > 0 else "-"

def label(size):
    return f"{size // 1024} GiB" if size % 1024 == 0 and size >= 1024 else f"{size} MiB"

sizes = sorted({s for _, s in rows})
print(f"Wall time min / median of {sys.argv[2]} rounds, and the largest peak RSS:\n")
print("| input | `rdp-analyze INPUT --format json` | anchor | anchor | speed-up (median) |")
print("|---|---|---|---|---|")
for size in sizes:
    print(f"| {label(size)} Security.evtx in a folder | {cell('analyze-dir', size)} "
          f"| `evtx_dump -t 2 -o jsonl` | {cell('evtx_dump', size)} "
          f"| {ratio('analyze-dir', 'evtx_dump', size)} |")
    print(f"| the {label(size)} log in a zip | {cell('analyze-zip', size)} "
          f"| `unzip -p` | {cell('unzip', size)} "
          f"| {ratio('analyze-zip', 'unzip', size)} |")
EOF

#!/bin/sh
# Seeds corpus/<target>/ from the fixtures (and from ../shared/samples when present; those are
# public files that must never be committed, which is why corpus/ is not). Idempotent.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fix="$here/../../fixtures"
samples="$here/../../../shared/samples"
seed() { # target, files...
    t=$1; shift
    mkdir -p "$here/corpus/$t"
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$here/corpus/$t/$(sha1sum "$f" | cut -c1-16)"
    done
}
each() { find "$@" -type f 2>/dev/null || true; }
seed reg $(each "$fix" -name '*.reg') $(each "$samples/registry" -name '*.reg')
seed gpresult_html $(each "$fix" -name '*.htm*') $(each "$samples/gpresult" -name '*.html')
seed gpresult_xml $(each "$samples/gpresult" -name '*.xml')
seed netstat $(each "$fix" -name 'netstat*') $(each "$samples/commands" -name 'netstat*')
seed qwinsta $(each "$fix" -name 'qwinsta*') $(each "$samples/commands" -name 'quser*')
seed tasklist $(each "$fix" -name 'tasklist*') $(each "$samples/commands" -name 'tasklist*')
seed sc $(each "$fix" -name 'sc-queryex*') $(each "$samples/commands" -name 'sc-*')
seed netsh_rules $(each "$fix" -name 'netsh-firewall-rules*') $(each "$samples/commands" -name 'netsh*')
seed netsh_profiles $(each "$fix" -name 'netsh-firewall-profiles*')
seed icacls $(each "$fix" -name 'icacls*')
seed certutil $(each "$fix" -name 'certutil*')
seed cert_der $(each "$fix" "$here/../src/parse/testdata" -name '*.cer' -o -name '*.der')
seed cert_index $(each "$fix" -name 'index.json')
seed event_xml $(each "$fix" -name '*.xml' -path '*events*') $(each "$samples/event-xml" -name '*.xml')
seed evtx $(each "$samples/evtx" -name '*.evtx')
# hive: the fixture hives (small, in the exact regf layout), the fixture log with its hive, and
# the small sample hives (the big ones slow every execution down).
seed hive $(each "$fix" -path '*System32/config/*' ! -name '*.LOG*' -size -64k) $(each "$samples/hives" -size -600k ! -name '*.LOG*' ! -name '*.tsv')
f="$fix/offline-hive-log-replay/Windows/System32/config"
if [ -f "$f/SYSTEM" ]; then
    # The hive and its log padded to the same length, as the target splits its input in halves.
    python3 - "$f/SYSTEM" "$f/SYSTEM.LOG1" "$here/corpus/hive/with-log" <<'PY'
import sys
h, l = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
n = max(len(h), len(l))
open(sys.argv[3], "wb").write(h.ljust(n, b"\0") + l.ljust(n, b"\0"))
PY
fi
# binxml: each 64 KiB chunk of the sample logs (after the 4 KiB file header), one seed each;
# zeroed (preallocated) chunks are skipped.
mkdir -p "$here/corpus/binxml"
python3 - "$here/corpus/binxml" $(each "$samples/evtx" -name '*.evtx') <<'PY'
import hashlib, os, sys
out = sys.argv[1]
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    for at in range(4096, len(data), 65536):
        chunk = data[at:at + 65536]
        if chunk.startswith(b"ElfChnk\0"):
            name = hashlib.sha1(chunk).hexdigest()[:16]
            open(os.path.join(out, name), "wb").write(chunk)
PY
seed manifest $(each "$fix" -name 'manifest.json')
seed text_decode $(each "$fix" -name '*.txt' -o -name '*.reg')
seed identify $(each "$fix/multiple-faults" "$fix/localized-ja" "$fix/corrupt-artifacts" -type f)
# zip: each fixture folder zipped (python's zipfile, deflated), as a customer would send it.
mkdir -p "$here/corpus/zip"
python3 - "$fix" "$here/corpus/zip" <<'PY'
import os, sys, zipfile
fix, out = sys.argv[1], sys.argv[2]
for name in ("healthy", "corrupt-artifacts", "localized-de", "loose-files"):
    d = os.path.join(fix, name)
    with zipfile.ZipFile(os.path.join(out, name + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                p = os.path.join(root, f)
                z.write(p, os.path.relpath(p, d).replace(os.sep, "/"))
PY
for d in "$here"/corpus/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds"; done

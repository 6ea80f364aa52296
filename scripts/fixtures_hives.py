#!/usr/bin/env python3
"""Writes the offline-disk scenarios: folders laid out like a Windows volume
(Windows/System32/config, Windows/System32/winevt/Logs, ProgramData/Microsoft/Crypto/RSA/MachineKeys)
whose SYSTEM and SOFTWARE files are raw registry hives in the exact `regf` layout.

The hive content is the `healthy` scenario's registry exports (the same keys and values, read
from its UTF-16 .reg files), with CurrentControlSet stored as ControlSet001 and
HKLM\\SYSTEM\\Select pointing at it, as a hive on disk holds them; each scenario then changes what
it is about. Layout (as in msuhanov's "Windows registry file format specification" and the public
hives in ../shared/samples/hives):
- a 4096-byte base block: "regf", primary/secondary sequence numbers at 4/8 (equal when clean),
  version 1.5, type 0 (primary), format 1, root cell offset at 36, hive bins size at 40, the
  file name (UTF-16, last 31 characters) at 48 and the XOR-32 checksum of the first 508 bytes
  at 508;
- hive bins ("hbin", 4096-byte multiples) holding 8-byte-aligned cells whose size is negative
  when allocated: "nk" keys (compressed ASCII names), "lh" subkey lists sorted by upper-case
  name with the 37-multiplier name hash, value lists, "vk" values (data of 4 bytes or fewer
  kept in the offset field, high bit of the size set), data cells, and one shared "sk"
  security cell. The unused end of the last bin is one free cell.

Run from the repository root: python3 scripts/fixtures_hives.py (after make_fixtures.py, which
writes `healthy`). Each written hive is read back with `regipy` when it is installed (PyPI
`regipy`, an independent reader), as a cross-check of the layout.
"""

import json
import os
import re
import shutil
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "fixtures")

# ---------------------------------------------------------------- .reg exports -> tree


def read_reg(path):
    """The keys of a regedit-5 export: [(path, [(name, type, bytes)])]."""
    text = open(path, "rb").read().decode("utf-16")
    lines = text.replace("\r\n", "\n").split("\n")
    keys, cur, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        i += 1
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + lines[i].strip()
            i += 1
        if line.startswith("[") and line.endswith("]"):
            cur = (line[1:-1], [])
            keys.append(cur)
            continue
        m = re.match(r'^(@|"((?:[^"\\]|\\.)*)")=(.*)$', line)
        if not m or cur is None:
            continue
        name = "" if m.group(1) == "@" else m.group(2).replace('\\"', '"').replace("\\\\", "\\")
        data = m.group(3)
        if data.startswith('"'):
            s = data[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            cur[1].append((name, 1, sz(s)))
        elif data.startswith("dword:"):
            cur[1].append((name, 4, struct.pack("<I", int(data[6:], 16))))
        elif data.startswith("hex"):
            m2 = re.match(r"hex(?:\(([0-9a-f]+)\))?:(.*)$", data)
            kind = int(m2.group(1), 16) if m2.group(1) else 3
            raw = bytes(int(b, 16) for b in m2.group(2).split(",") if b.strip())
            cur[1].append((name, kind, raw))
    return keys


def sz(s):
    return (s + "\0").encode("utf-16-le")


def multi_sz(items):
    return ("".join(x + "\0" for x in items) + "\0").encode("utf-16-le")


def dword(n):
    return struct.pack("<I", n)


class Key:
    def __init__(self, name):
        self.name = name
        self.values = []  # (name, type, bytes)
        self.children = {}

    def child(self, path):
        k = self
        for part in [p for p in path.split("\\") if p]:
            k = k.children.setdefault(part.upper(), Key(part))
        return k

    def set(self, name, kind, data):
        self.values = [v for v in self.values if v[0].upper() != name.upper()]
        self.values.append((name, kind, data))


def tree_from_exports(files, strip, replace=None):
    """A tree of the keys below `strip` (e.g. HKEY_LOCAL_MACHINE\\SYSTEM\\) in the exports."""
    root = Key("ROOT")
    for f in files:
        for path, values in read_reg(f):
            if not path.upper().startswith(strip.upper()):
                continue
            rel = path[len(strip):]
            if replace:
                rel = re.sub(replace[0], replace[1], rel, flags=re.I)
            k = root.child(rel)
            for v in values:
                k.set(*v)
    return root


# ---------------------------------------------------------------- regf writer


def lh_hash(name):
    h = 0
    for c in name.upper():
        h = (h * 37 + ord(c)) & 0xFFFFFFFF
    return h


class Hive:
    def __init__(self):
        self.data = bytearray(32)  # hbin header, filled at the end
        self.list_of = {}  # key path -> offset of its subkey list cell

    def alloc(self, size):
        size = (size + 4 + 7) & ~7
        off = len(self.data)
        self.data += b"\0" * size
        struct.pack_into("<i", self.data, off, -size)
        return off

    def put(self, off, blob):
        self.data[off + 4 : off + 4 + len(blob)] = blob

    def write(self, root, file_name):
        # The root key is the first cell of the first bin, as Windows writes it (readers such
        # as notatin start there); then one security cell shared by every key: a
        # self-relative descriptor without DACL.
        root_nk = self.alloc(76 + len(root.name))
        self.sk = self.alloc(24 + 20)
        self.count = 0
        root_off = self.write_key(root, 0xFFFFFFFF, "", True, root_nk)
        sd = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)
        self.put(self.sk, b"sk" + struct.pack("<HIIII", 0, self.sk, self.sk, self.count, len(sd)) + sd)
        # Close the bin: 4096-byte multiple, the rest one free cell.
        total = (len(self.data) + 8 + 4095) // 4096 * 4096
        free = total - len(self.data)
        self.data += struct.pack("<i", free) + b"\0" * (free - 4)
        self.data[0:32] = b"hbin" + struct.pack("<III", 0, total, 0) + b"\0" * 8 + struct.pack("<I", 0) + b"\0" * 4
        base = bytearray(4096)
        struct.pack_into("<4sIIQIIIIII", base, 0, b"regf", 7, 7, 0x01DB2F5C3A000000, 1, 5, 0, 1, root_off, total)
        struct.pack_into("<I", base, 44, 1)
        name = file_name[-31:].encode("utf-16-le")
        base[48 : 48 + len(name)] = name
        self.base = base
        return self

    def write_key(self, key, parent, path, is_root=False, nk=None):
        self.count += 1
        name = key.name.encode("ascii")
        if nk is None:
            nk = self.alloc(76 + len(name))
        # values
        vk_offs = []
        for vname, kind, data in key.values:
            vn = vname.encode("ascii")
            if len(data) <= 4:
                size, doff = len(data) | 0x80000000, int.from_bytes(data.ljust(4, b"\0"), "little")
            else:
                dcell = self.alloc(len(data))
                self.put(dcell, data)
                size, doff = len(data), dcell
            vk = self.alloc(20 + len(vn))
            self.put(vk, b"vk" + struct.pack("<HIIIHH", len(vn), size, doff, kind, 1 if vn else 0, 0) + vn)
            vk_offs.append(vk)
        vlist = 0xFFFFFFFF
        if vk_offs:
            vlist = self.alloc(4 * len(vk_offs))
            self.put(vlist, b"".join(struct.pack("<I", o) for o in vk_offs))
        # subkeys, sorted as Windows keeps them
        kids = sorted(key.children.values(), key=lambda k: k.name.upper())
        kid_offs = [(self.write_key(k, nk, f"{path}\\{k.name}" if path else k.name), k.name) for k in kids]
        slist = 0xFFFFFFFF
        if kid_offs:
            slist = self.alloc(4 + 8 * len(kid_offs))
            self.put(slist, b"lh" + struct.pack("<H", len(kid_offs)) + b"".join(struct.pack("<II", o, lh_hash(n)) for o, n in kid_offs))
            self.list_of[path] = slist
        flags = 0x2C if is_root else 0x20
        max_sub = max((len(k.name) * 2 for k in kids), default=0)
        max_vname = max((len(v[0]) * 2 for v in key.values), default=0)
        max_vdata = max((len(v[2]) for v in key.values), default=0)
        self.put(
            nk,
            b"nk"
            + struct.pack(
                "<HQIIIIIIIIIIIIIIIHH",
                flags, 0x01DB2F5C3A000000, 0, parent, len(kids), 0, slist, 0xFFFFFFFF,
                len(vk_offs), vlist, self.sk, 0xFFFFFFFF, max_sub, 0, max_vname, max_vdata, 0,
                len(name), 0,
            )
            + name,
        )
        return nk

    def bytes(self, primary_seq=7, secondary_seq=7):
        base = bytearray(self.base)
        struct.pack_into("<II", base, 4, primary_seq, secondary_seq)
        csum = 0
        for i in range(0, 508, 4):
            csum ^= struct.unpack_from("<I", base, i)[0]
        csum = {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(csum, csum)
        struct.pack_into("<I", base, 508, csum)
        return bytes(base) + bytes(self.data)


# ---------------------------------------------------------------- transaction logs (new format)


def marvin32(data, seed=0x82EF4D887A4E55C5):
    """Marvin32, the hash of HvLE log entries (seed as Windows uses it for hive logs)."""
    m = 0xFFFFFFFF
    rotl = lambda x, n: ((x << n) | (x >> (32 - n))) & m
    s0, s1 = seed & m, seed >> 32

    def block(a, b):
        b ^= a
        a = (rotl(a, 20) + b) & m
        b = rotl(b, 9) ^ a
        a = (rotl(a, 27) + b) & m
        b = rotl(b, 19)
        return a, b

    i = 0
    while len(data) - i > 3:
        s0 = (s0 + struct.unpack_from("<I", data, i)[0]) & m
        s0, s1 = block(s0, s1)
        i += 4
    rest = data[i:]
    tail = {0: 0x80, 1: 0x8000 | rest[0] if rest else 0, 2: 0, 3: 0}[len(rest)]
    if len(rest) == 2:
        tail = 0x800000 | struct.unpack("<H", rest)[0]
    elif len(rest) == 3:
        tail = 0x80000000 | (rest[2] << 16) | struct.unpack("<H", rest[:2])[0]
    s0 = (s0 + tail) & m
    s0, s1 = block(s0, s1)
    s0, s1 = block(s0, s1)
    return s0 | (s1 << 32)


def log_file(base, old_bins, new_bins, seq):
    """A new-format transaction log (`.LOG1`): a 512-byte base block (type 6) and one `HvLE`
    entry holding the 4096-byte pages of the hive bins that differ between the hive on disk
    and the hive as Windows last had it in memory."""
    pages = [o for o in range(0, len(new_bins), 4096) if new_bins[o : o + 4096] != old_bins[o : o + 4096]]
    body = b"".join(struct.pack("<II", o, 4096) for o in pages) + b"".join(new_bins[o : o + 4096] for o in pages)
    size = (40 + len(body) + 511) // 512 * 512
    entry = bytearray(struct.pack("<4sIIIII", b"HvLE", size, 0, seq, len(new_bins), len(pages)) + b"\0" * 16 + body)
    entry += b"\0" * (size - len(entry))
    struct.pack_into("<Q", entry, 24, marvin32(bytes(entry[40:size])))
    struct.pack_into("<Q", entry, 32, marvin32(bytes(entry[:32])))
    head = bytearray(base[:512])
    struct.pack_into("<II", head, 4, seq, seq)
    struct.pack_into("<I", head, 28, 6)
    csum = 0
    for i in range(0, 508, 4):
        csum ^= struct.unpack_from("<I", head, i)[0]
    struct.pack_into("<I", head, 508, {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(csum, csum))
    return bytes(head) + bytes(entry)


# ---------------------------------------------------------------- scenario content

HEALTHY = os.path.join(FIX, "healthy", "registry")


def system_tree(sets=(1,), current=1, default=1, lkg=1):
    exports = [os.path.join(HEALTHY, f) for f in ("terminal-server.reg", "service-termservice.reg", "service-umrdpservice.reg", "service-sessionenv.reg")]
    root = Key("ROOT")
    for n in sets:
        t = tree_from_exports(exports, "HKEY_LOCAL_MACHINE\\SYSTEM\\", (r"^CurrentControlSet", f"ControlSet{n:03}"))
        root.children.update(t.children)
        cs = f"ControlSet{n:03}"
        root.child(f"{cs}\\Control\\ComputerName\\ComputerName").set("ComputerName", 1, sz("WS-OFFLINE01"))
        root.child(f"{cs}\\Control\\Lsa\\FIPSAlgorithmPolicy").set("Enabled", 4, dword(0))
        root.child(f"{cs}\\Control\\SecurityProviders\\SCHANNEL").set("EventLogging", 4, dword(1))
        for svc, start in (("CryptSvc", 2), ("KeyIso", 3), ("CertPropSvc", 3)):
            root.child(f"{cs}\\Services\\{svc}").set("Start", 4, dword(start))
    sel = root.child("Select")
    for name, v in (("Current", current), ("Default", default), ("Failed", 0), ("LastKnownGood", lkg)):
        sel.set(name, 4, dword(v))
    setup = root.child("Setup")
    setup.set("SystemSetupInProgress", 4, dword(0))
    setup.set("OOBEInProgress", 4, dword(0))
    setup.set("SetupType", 4, dword(0))
    root.child("MountedDevices")
    return root


def software_tree():
    exports = [os.path.join(HEALTHY, f) for f in ("terminal-services-policies.reg", "systemcertificates-remote-desktop.reg")]
    root = tree_from_exports(exports, "HKEY_LOCAL_MACHINE\\SOFTWARE\\")
    cv = root.child("Microsoft\\Windows NT\\CurrentVersion")
    for name, value in (("ProductName", "Windows 10 Pro"), ("EditionID", "Professional"), ("InstallationType", "Client"),
                        ("DisplayVersion", "24H2"), ("CurrentBuild", "26100"), ("CurrentBuildNumber", "26100"), ("CurrentVersion", "6.3")):
        cv.set(name, 1, sz(value))
    root.child("Microsoft\\Windows NT\\CurrentVersion\\Winlogon").set("Shell", 1, sz("explorer.exe"))
    root.child("Microsoft\\Cryptography").set("MachineGuid", 1, sz("5e4c1e0a-7d3b-4c1e-9a55-2f6e8b1d0c42"))
    root.child("Classes")
    return root


def write_hive(path, tree, name, seq=(7, 7), damage=None):
    h = Hive().write(tree, name)
    data = bytearray(h.bytes(*seq))
    if damage:
        # Damage a subkey list the way real damaged hives show it: the list cell's signature
        # and entries overwritten (the key still says how many subkeys it has).
        off = 4096 + h.list_of[damage] + 4
        data[off : off + 12] = b"\xde\xad" * 6
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    cross_check(path, h, tree, damage is None)
    return h


def cross_check(path, h, tree, intact):
    """Reads the file back with regipy: every key and value written must be there, with its
    data (a damaged hive must come back short)."""
    try:
        from regipy.registry import RegistryHive
    except ImportError:
        return
    want = {}

    def collect(k, p):
        want[p.upper()] = {(n.upper(), t, d) for n, t, d in k.values}
        for c in k.children.values():
            collect(c, f"{p}\\{c.name}")

    collect(tree, "")
    got = {}
    try:
        for sk in RegistryHive(path).recurse_subkeys(as_json=False):
            got[sk.path.upper()] = len(sk.values)
    except Exception as e:
        if intact:
            raise
        print(f"  regipy stops on {os.path.relpath(path, ROOT)}: {type(e).__name__}")
        return
    rel = os.path.relpath(path, ROOT)
    if intact:
        missing = [p for p in want if p and p not in got]
        assert not missing, f"{rel}: regipy does not see {missing[:3]}"
        bad = [p for p, n in got.items() if n != len(want.get(p, ()))]
        assert not bad, f"{rel}: value counts differ at {bad[:3]}"
    else:
        assert len(got) < len(want) - 1, f"{rel}: the damage is not seen by regipy"
    print(f"  regipy reads {rel}: {len(got)} keys of {len(want)} written (root included)")


def machine_keys(d, names):
    keys = os.path.join(d, "ProgramData", "Microsoft", "Crypto", "RSA", "MachineKeys")
    os.makedirs(keys)
    for n in names:
        # A CryptoAPI key file starts with its version (2); the analyzer reads names only.
        with open(os.path.join(keys, n), "wb") as f:
            f.write(b"\x02\x00\x00\x00" + b"\x00" * 60)


GUID = "5e4c1e0a-7d3b-4c1e-9a55-2f6e8b1d0c42"
RDP_KEY = f"f686aace6942fb7f7ceb231212eef4a4_{GUID}"


def cross_check_log(config, flushed):
    """Replays SYSTEM.LOG1 with regipy (an independent implementation) and compares every value
    of the result with the hive as Windows had it."""
    try:
        from regipy.recovery import apply_transaction_logs
        from regipy.registry import RegistryHive
    except ImportError:
        return
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "SYSTEM")
        _, applied = apply_transaction_logs(os.path.join(config, "SYSTEM"), primary_log_path=os.path.join(config, "SYSTEM.LOG1"), restored_hive_path=out)
        assert applied >= 1, "regipy applied no log entry"
        hive = RegistryHive(out)

        def walk(k, path):
            key = hive.get_key(path or "\\")
            got = {v.name.upper(): v.value for v in key.iter_values()}
            for name, kind, data in k.values:
                if kind == 4:
                    assert got.get(name.upper()) == struct.unpack("<I", data)[0], f"{path}\\{name}"
            for c in k.children.values():
                walk(c, f"{path}\\{c.name}")

        walk(flushed, "")
    print(f"  regipy replays {os.path.relpath(os.path.join(config, 'SYSTEM.LOG1'), ROOT)} to the flushed hive")


def volume(name, description, system=None, software=None, expected=None, events=False, seq=(7, 7), damage=None, flushed=None, keys=None):
    d = os.path.join(FIX, name)
    shutil.rmtree(d, ignore_errors=True)
    config = os.path.join(d, "Windows", "System32", "config")
    stale = write_hive(os.path.join(config, "SYSTEM"), system or system_tree(), "\\SystemRoot\\System32\\Config\\SYSTEM", seq, damage)
    if flushed is not None:
        # The SYSTEM hive as Windows had it when it stopped: its changes are in SYSTEM.LOG1 only
        # (SYSTEM.LOG2 empty, as Windows leaves the second log between flushes).
        new = Hive().write(flushed, "\\SystemRoot\\System32\\Config\\SYSTEM")
        assert len(new.data) == len(stale.data), "the log scenario keeps the hive's layout"
        with open(os.path.join(config, "SYSTEM.LOG1"), "wb") as f:
            f.write(log_file(stale.base, bytes(stale.data), bytes(new.data), seq[1]))
        open(os.path.join(config, "SYSTEM.LOG2"), "wb").close()
        cross_check_log(config, flushed)
    write_hive(os.path.join(config, "SOFTWARE"), software or software_tree(), "\\SystemRoot\\System32\\Config\\SOFTWARE")
    if events:
        logs = os.path.join(d, "Windows", "System32", "winevt", "Logs")
        os.makedirs(logs)
        src = os.path.join(FIX, "logon-trail-evtx", "events")
        for f in sorted(os.listdir(src)):
            # Windows names channel files with %4 for the / of the channel name.
            target = f.replace("-Operational.evtx", "%4Operational.evtx")
            shutil.copy(os.path.join(src, f), os.path.join(logs, target))
        machine_keys(d, [RDP_KEY, f"c2319c42033a5ca7f44e731bfd3fa2b5_{GUID}"])
    elif keys is not None:
        machine_keys(d, keys)
    expected = dict(expected or {})
    expected["description"] = description
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")
    print(f"wrote fixtures/{name}")


LIVE = ["RDP007", "RDP008", "RDP009", "RDP042", "RDP043"]


def main():
    volume(
        "offline-volume",
        "A whole Windows volume (config hives, winevt/Logs, MachineKeys) of a healthy machine, as a rescue VM mounts it: "
        "registry and event diagnoses run, live state (services, listener, netstat, probe) is not evaluated.",
        events=True,
        expected={"must": [{"id": "RDP053", "severity": "warning"}],
                  "must_not": ["RDP001", "RDP002", "RDP003", "RDP006", "RDP011", "RDP046", "RDP047"],
                  "tolerate": ["RDP050", "RDP051", "RDP052", "RDP014"], "not_evaluated": LIVE},
    )
    s = system_tree()
    s.child("ControlSet001\\Control\\Terminal Server").set("fDenyTSConnections", 4, dword(1))
    sw = software_tree()
    pol = sw.child("Policies\\Microsoft\\Windows NT\\Terminal Services")
    pol.values = [v for v in pol.values if v[0] != "fDenyTSConnections"]
    volume("offline-rdp-disabled", "Offline disk: fDenyTSConnections = 1 in the SYSTEM hive (no policy overrides it); RDP stays off at the next boot.",
           system=s, software=sw, expected={"must": [{"id": "RDP001", "severity": "error"}], "not_evaluated": LIVE})
    s = system_tree()
    s.child("ControlSet001\\Services\\TermService").set("Start", 4, dword(4))
    volume("offline-termservice-disabled", "Offline disk: TermService Start = 4 (disabled) in the SYSTEM hive.",
           system=s, expected={"must": [{"id": "RDP003", "severity": "error"}], "not_evaluated": LIVE})
    sw = software_tree()
    sw.child("Policies\\Microsoft\\Windows NT\\Terminal Services").set("fDenyTSConnections", 4, dword(1))
    volume("offline-policy-blocks-rdp", "Offline disk: the Terminal Services policy key in the SOFTWARE hive denies RDP.",
           software=sw, expected={"must": [{"id": "RDP002", "severity": "error"}], "must_not": ["RDP001"], "not_evaluated": LIVE})
    s = system_tree()
    s.child("ControlSet001\\Control\\Terminal Server\\WinStations\\RDP-Tcp").set("PortNumber", 4, dword(3390))
    volume("offline-non-default-port", "Offline disk: RDP-Tcp PortNumber = 3390 in the SYSTEM hive.",
           system=s, expected={"must": [{"id": "RDP006", "facts": {"port": "3390"}}], "not_evaluated": LIVE})
    volume("offline-hive-damaged",
           "Offline disk: the SYSTEM hive's subkey list of ControlSet001\\Control is damaged; Terminal Server cannot be reached, "
           "so whether RDP is enabled cannot be told (not evaluated), while the services are still read.",
           damage="ControlSet001\\Control",
           expected={"must": [{"id": "RDP046", "severity": "warning", "facts": {"artifact": "Windows/System32/config/SYSTEM", "problem": "damaged"}}],
                     "must_not": ["RDP001", "RDP006"], "not_evaluated": ["RDP001", "RDP006"] + LIVE})
    # A machine that stopped right after TermService was set back from disabled (4) to manual
    # (3): the hive on disk still says 4, the log holds the change.
    stale = system_tree()
    stale.child("ControlSet001\\Services\\TermService").set("Start", 4, dword(4))
    volume("offline-hive-dirty",
           "Offline disk: the SYSTEM hive is dirty (sequence numbers 9 and 8) and its .LOG1/.LOG2 were not copied with it: "
           "it still says TermService is disabled, a change its logs would have undone.",
           system=stale, seq=(9, 8),
           expected={"must": [{"id": "RDP046", "severity": "warning", "facts": {"problem": "dirty"}}], "tolerate": ["RDP003"], "not_evaluated": LIVE})
    stale = system_tree()
    stale.child("ControlSet001\\Services\\TermService").set("Start", 4, dword(4))
    volume("offline-hive-log-replay",
           "Offline disk: the same dirty SYSTEM hive with its SYSTEM.LOG1 beside it; replaying the log gives TermService Start = 3, "
           "so nothing is wrong and the hive is not reported stale.",
           system=stale, seq=(9, 8), flushed=system_tree(),
           expected={"must": [], "must_not": ["RDP003", "RDP046"], "not_evaluated": LIVE})
    volume("offline-certificate-no-private-key",
           "Offline disk: the Remote Desktop store in the SOFTWARE hive holds the self-signed certificate (key container "
           "TSSecKeySet1), but MachineKeys has no f686aace..._<MachineGuid> file: its private key is gone.",
           keys=[f"c2319c42033a5ca7f44e731bfd3fa2b5_{GUID}"],
           expected={"must": [{"id": "RDP011", "severity": "error", "facts": {"problem": "no-private-key"}}], "not_evaluated": LIVE})
    volume("offline-control-set-missing",
           "Offline disk: Select\\Current = 3 but the hive has only ControlSet001: CurrentControlSet cannot be resolved "
           "(Windows cannot boot it), so the CurrentControlSet settings cannot be told.",
           system=system_tree(sets=(1,), current=3, default=1, lkg=1),
           expected={"must": [{"id": "RDP047", "severity": "error", "facts": {"problem": "current-missing", "current": "3"}}],
                     "must_not": ["RDP001", "RDP003"], "not_evaluated": ["RDP001", "RDP003", "RDP006"] + LIVE})
    sw = software_tree()
    cv = sw.child("Microsoft\\Windows NT\\CurrentVersion")
    cv.set("ProductName", 1, sz("Windows 10 Home"))
    cv.set("EditionID", 1, sz("Core"))
    volume("offline-edition-home", "Offline disk: the SOFTWARE hive says Windows 10 Home (EditionID Core), which cannot host RDP.",
           software=sw, expected={"must": [{"id": "RDP041", "severity": "error", "facts": {"edition": "Core"}}], "not_evaluated": LIVE})
    volume("offline-control-set",
           "Offline disk: Select\\Current = 2 while Default and LastKnownGood are 1; CurrentControlSet is ControlSet002.",
           system=system_tree(sets=(1, 2), current=2, default=1, lkg=1),
           expected={"must": [{"id": "RDP047", "severity": "warning", "facts": {"problem": "differs", "current": "2"}}], "not_evaluated": LIVE})


if __name__ == "__main__":
    sys.exit(main())

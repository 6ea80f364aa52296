#!/usr/bin/env python3
"""Writes binary `.evtx` twins of event-log scenarios: the same events as the scenario's
wevtutil XML, stored as a `.evtx` file the way a bundle carries them, so the binary path
(zip entry -> identification -> chunk reader -> BinXML -> checks) runs in the fixture suite
without ../shared.

The file layout follows the format as Windows writes it and as the public samples in
../shared/samples/evtx show it:
- a 4096-byte file header ("ElfFile", chunk count, next record id, CRC32 of its first 120
  bytes) and 64 KiB chunks ("ElfChnk", first/last record numbers and ids, last record and free
  space offsets, CRC32 of the records, CRC32 of the header);
- records ("**", size, record id, FILETIME, BinXML, size again), 8-byte aligned;
- BinXML as in logs stored without templates (the mitre samples): a fragment header, then
  plain elements (open 0x01/0x41 with data size and name, attributes 0x06/0x46, close 0x02 /
  empty 0x03, end 0x04) with UTF-16 string values (0x05, type 0x01) and an end of stream. Each
  name is written in full once per chunk (its string-table entry inline, where its reference
  points) and referenced by offset after that; the chunk header's string hash table lists
  them.

Run after fixtures_events.py: python3 scripts/fixtures_evtx.py
"""
import datetime
import hashlib
import json
import os
import shutil
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")

CHUNK = 65536
NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
XMLNS = "http://schemas.microsoft.com/win/2004/08/events/event"


def utf16(s):
    return s.encode("utf-16-le")


def name_hash(name):
    """The string table's hash (MS-EVEN6): h = h * 65599 + unit, low 16 bits kept."""
    h = 0
    for u in struct.unpack("<%dH" % len(name), utf16(name)):
        h = (h * 65599 + u) & 0xFFFFFFFF
    return h & 0xFFFF


class Chunk:
    def __init__(self):
        self.b = bytearray(512)
        self.names = {}  # name -> offset of its string-table entry
        self.buckets = [0] * 64
        self.records = []  # (offset, id)

    def name(self, out, name):
        """A name reference at the end of `out` (which will start at chunk offset len(self.b))."""
        at = len(self.b) + len(out)
        if name in self.names:
            out += struct.pack("<I", self.names[name])
            return
        entry = at + 4
        self.names[name] = entry
        h = name_hash(name)
        bucket = h % 64
        nxt = self.buckets[bucket]
        self.buckets[bucket] = entry
        out += struct.pack("<I", entry)
        out += struct.pack("<IHH", nxt, h, len(name)) + utf16(name) + b"\0\0"

    def text(self, out, s):
        out += struct.pack("<BBH", 0x05, 0x01, len(s)) + utf16(s)

    def element(self, out, el, root=False, parent_ns=XMLNS):
        # A namespace is an xmlns attribute of the element that declares it, as Windows
        # writes the event's own and the `EventXML xmlns='Event_NS'` of UserData payloads.
        ns, tag = "", el.tag
        if tag.startswith("{"):
            ns, tag = tag[1:].split("}", 1)
        attrs = list(el.attrib.items())
        if root or (ns and ns != parent_ns):
            attrs.insert(0, ("xmlns", ns or XMLNS))
        out.append(0x41 if attrs else 0x01)
        size_at = len(out)
        out += b"\0\0\0\0"
        self.name(out, tag)
        if attrs:
            list_at = len(out)
            out += b"\0\0\0\0"
            for i, (k, v) in enumerate(attrs):
                out.append(0x46 if i + 1 < len(attrs) else 0x06)
                self.name(out, k)
                self.text(out, v)
            struct.pack_into("<I", out, list_at, len(out) - list_at - 4)
        children = list(el)
        if el.text or children:
            out.append(0x02)
            if el.text:
                self.text(out, el.text)
            for c in children:
                self.element(out, c, parent_ns=ns or parent_ns)
            out.append(0x04)
        else:
            out.append(0x03)
        struct.pack_into("<I", out, size_at, len(out) - size_at - 4)

    def add(self, event, record_id, filetime):
        """Appends a record; False when the chunk has no room for it."""
        names, buckets = dict(self.names), list(self.buckets)
        start = len(self.b)
        body = bytearray()
        # The record header comes first: names are chunk offsets, so build at the real place.
        self.b += b"\0" * 24
        body += bytes([0x0F, 0x01, 0x01, 0x00])
        self.element(body, event, root=True)
        body.append(0x00)
        while (24 + len(body) + 4) % 8:
            body.append(0x00)
        size = 24 + len(body) + 4
        if start + size > CHUNK:
            del self.b[start:]
            self.names, self.buckets = names, buckets
            return False
        self.b[start:start + 24] = b"**\0\0" + struct.pack("<IQQ", size, record_id, filetime)
        self.b += body + struct.pack("<I", size)
        self.records.append((start, record_id))
        return True

    def finish(self, first_number):
        ids = [r for _, r in self.records]
        free = len(self.b)
        data = bytes(self.b) + b"\0" * (CHUNK - free)
        h = bytearray(data[:512])
        h[0:8] = b"ElfChnk\0"
        struct.pack_into("<QQQQ", h, 8, first_number, first_number + len(ids) - 1, ids[0], ids[-1])
        struct.pack_into("<III", h, 40, 128, self.records[-1][0], free)
        struct.pack_into("<I", h, 52, zlib.crc32(data[512:free]))
        struct.pack_into("<64I", h, 128, *self.buckets)
        struct.pack_into("<I", h, 124, zlib.crc32(bytes(h[:120]) + bytes(h[128:512])))
        return bytes(h) + data[512:]


def filetime(system_time):
    t = system_time.rstrip("Z")
    frac = ""
    if "." in t:
        t, frac = t.split(".")
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S")
    ticks = int((d - datetime.datetime(1601, 1, 1)).total_seconds()) * 10_000_000
    return ticks + int((frac + "0000000")[:7])


def evtx_from_xml(xml_bytes):
    """The events of wevtutil XML (one <Event> per line) as an .evtx file, in record-id order."""
    events = []
    for line in xml_bytes.decode("utf-8").splitlines():
        if line.strip():
            ev = ET.fromstring(line)
            rid = int(ev.find(NS + "System/" + NS + "EventRecordID").text)
            ft = filetime(ev.find(NS + "System/" + NS + "TimeCreated").get("SystemTime"))
            events.append((rid, ft, ev))
    events.sort(key=lambda e: e[0])
    chunks, chunk, number = [], Chunk(), 1
    for rid, ft, ev in events:
        if not chunk.add(ev, rid, ft):
            chunks.append(chunk.finish(number))
            number += len(chunk.records)
            chunk = Chunk()
            if not chunk.add(ev, rid, ft):
                raise ValueError("event %d does not fit in a chunk" % rid)
    if chunk.records:
        chunks.append(chunk.finish(number))
    header = bytearray(4096)
    header[0:8] = b"ElfFile\0"
    struct.pack_into("<QQQIHHHH", header, 8, 0, len(chunks) - 1, events[-1][0] + 1 if events else 1,
                     128, 2, 3, 4096, len(chunks))
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    return bytes(header) + b"".join(chunks)


def twin(source, name, description):
    """fixtures/<name>: fixtures/<source> with its event XML files stored as .evtx."""
    src, dst = os.path.join(FIX, source), os.path.join(FIX, name)
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    manifest = json.load(open(os.path.join(dst, "manifest.json")))
    for rec in manifest["artifacts"]:
        path = rec["path"]
        if not (path.startswith("events/") and path.endswith(".xml")) or rec["status"] != "ok":
            continue
        xml_path = os.path.join(dst, path)
        data = evtx_from_xml(open(xml_path, "rb").read())
        os.remove(xml_path)
        rec["path"] = path[:-4] + ".evtx"
        channel = rec["producer"].split(" qe ", 1)[1].rsplit(" /f:xml", 1)[0]
        rec["producer"] = "EvtExportLog " + channel
        rec["size"] = len(data)
        rec["sha256"] = hashlib.sha256(data).hexdigest()
        open(os.path.join(dst, rec["path"]), "wb").write(data)
    open(os.path.join(dst, "manifest.json"), "w").write(json.dumps(manifest, indent=2) + "\n")
    expected = json.load(open(os.path.join(dst, "expected.json")))
    expected["description"] = description + " " + expected["description"]
    open(os.path.join(dst, "expected.json"), "w").write(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")


def main():
    twin("brute-force", "brute-force-evtx",
         "The brute-force scenario with its logs as .evtx files (records stored without templates):")
    twin("logon-trail", "logon-trail-evtx",
         "The logon-trail scenario with its logs as .evtx files (records stored without templates):")


if __name__ == "__main__":
    main()

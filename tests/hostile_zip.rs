//! Hostile inputs at the archive level: zip bombs, path tricks in entry names, encrypted,
//! split, empty, damaged and disguised archives. Each must be refused in bounded time and
//! memory, with a clear finding (one bad entry) or exit code 2 (nothing analyzable), and nothing
//! may ever be written anywhere but the report.
//!
//! The zips are built here, byte by byte ([`RawZip`]), because the interesting ones are the
//! ones no honest writer produces: sizes that lie, names with `..`, entries sharing data, a
//! 10 GB entry that is 10 MB on disk. Deflating 10 GB of zeros would take minutes, so
//! [`deflate_zeros`] writes the stream directly: one dynamic-Huffman block in which
//! "copy 258 bytes from distance 1" costs two bits, the densest deflate allows (1032:1).

use rdp_analyze::bundle::{self, Limits};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

// ------------------------------------------------------------------------------------------
// Building zips by hand

/// Appends bits LSB-first, as deflate packs them.
struct Bits {
    bytes: Vec<u8>,
    bit: u64,
}

impl Bits {
    fn new() -> Self {
        Bits {
            bytes: Vec::new(),
            bit: 0,
        }
    }
    /// `n` bits of `value`, least significant first (header fields, extra bits).
    fn put(&mut self, value: u32, n: u32) {
        for i in 0..n {
            let byte = (self.bit / 8) as usize;
            if byte == self.bytes.len() {
                self.bytes.push(0);
            }
            if value >> i & 1 == 1 {
                self.bytes[byte] |= 1 << (self.bit % 8);
            }
            self.bit += 1;
        }
    }
    /// A Huffman code of `len` bits, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.put(code >> i & 1, 1);
        }
    }
    /// `n` zero bits, cheaply.
    fn zeros(&mut self, n: u64) {
        self.bit += n;
        self.bytes.resize(self.bit.div_ceil(8) as usize, 0);
    }
}

/// A raw deflate stream that inflates to `1 + 258 * copies` zero bytes.
///
/// Literal/length code: 285 (length 258) = `0`, literal 0 = `10`, end of block = `11`;
/// distance code 0 (distance 1) = `0`. So the body after the first literal is all zero bits.
fn deflate_zeros(copies: u64) -> Vec<u8> {
    let mut b = Bits::new();
    b.put(1, 1); // BFINAL
    b.put(2, 2); // BTYPE = dynamic Huffman
    b.put(29, 5); // HLIT: 286 literal/length codes
    b.put(0, 5); // HDIST: 1 distance code
    b.put(14, 4); // HCLEN: 18 code-length codes
                  // Code-length code lengths in the RFC's order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1:
                  // symbol 18 (run of zeros) gets 1 bit, symbols 1 and 2 get 2 bits.
    for len in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
        b.put(len, 3);
    }
    // Canonical code-length codes: 18 = `0`, 1 = `10`, 2 = `11`.
    let (c18, c1, c2) = ((0, 1), (2, 2), (3, 2));
    let zeros_run = |b: &mut Bits, n: u32| {
        b.code(c18.0, c18.1);
        b.put(n - 11, 7);
    };
    b.code(c2.0, c2.1); // literal 0: length 2
    zeros_run(&mut b, 138); // literals 1..=138
    zeros_run(&mut b, 117); // literals 139..=255
    b.code(c2.0, c2.1); // 256 (end of block): length 2
    zeros_run(&mut b, 28); // 257..=284
    b.code(c1.0, c1.1); // 285: length 1
    b.code(c1.0, c1.1); // distance 0: length 1
    b.code(2, 2); // literal 0
    b.zeros(2 * copies); // (285, distance 0) pairs: `0` `0`
    b.code(3, 2); // end of block
    b.bytes
}

/// Uncompressed size of [`deflate_zeros`]`(copies)`.
fn zeros_len(copies: u64) -> u64 {
    1 + 258 * copies
}

struct Entry {
    name: Vec<u8>,
    method: u16,
    data: Vec<u8>,
    /// What the headers claim the entry inflates to.
    declared: u64,
    crc: u32,
    flags: u16,
    /// Point the central directory at another entry's local header (overlapping entries).
    alias_of: Option<usize>,
}

/// A zip written field by field, zip64 where sizes need it.
#[derive(Default)]
struct RawZip {
    entries: Vec<Entry>,
    /// Disk numbers in the end record (non-zero: a part of a split archive).
    disk: u16,
}

impl RawZip {
    fn stored(mut self, name: impl AsRef<[u8]>, data: &[u8]) -> Self {
        self.entries.push(Entry {
            name: name.as_ref().to_vec(),
            method: 0,
            data: data.to_vec(),
            declared: data.len() as u64,
            crc: crc32(data),
            flags: 0,
            alias_of: None,
        });
        self
    }
    fn deflated_zeros(mut self, name: &str, copies: u64, declared: Option<u64>) -> Self {
        self.entries.push(Entry {
            name: name.as_bytes().to_vec(),
            method: 8,
            data: deflate_zeros(copies),
            declared: declared.unwrap_or(zeros_len(copies)),
            // A right checksum only where a test inflates the entry to its end.
            crc: if zeros_len(copies) <= 4 << 20 {
                crc32(&vec![0; zeros_len(copies) as usize])
            } else {
                0
            },
            flags: 0,
            alias_of: None,
        });
        self
    }
    fn encrypted(mut self, name: &str, data: &[u8]) -> Self {
        self = self.stored(name, data);
        if let Some(e) = self.entries.last_mut() {
            e.flags |= 1;
        }
        self
    }
    fn alias(mut self, name: &str, of: usize) -> Self {
        let src = &self.entries[of];
        self.entries.push(Entry {
            name: name.as_bytes().to_vec(),
            method: src.method,
            data: Vec::new(),
            declared: src.declared,
            crc: src.crc,
            flags: src.flags,
            alias_of: Some(of),
        });
        self
    }

    fn build(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut offsets = Vec::new();
        for e in &self.entries {
            if e.alias_of.is_some() {
                offsets.push(0);
                continue;
            }
            offsets.push(out.len() as u64);
            let (extra, csize, usize_) = sizes(e);
            put32(&mut out, 0x0403_4b50);
            put16(&mut out, if extra.is_empty() { 20 } else { 45 });
            put16(&mut out, e.flags);
            put16(&mut out, e.method);
            put16(&mut out, 0x6000); // 12:00
            put16(&mut out, 0x5b74); // 2025-11-20
            put32(&mut out, e.crc);
            put32(&mut out, csize);
            put32(&mut out, usize_);
            put16(&mut out, e.name.len() as u16);
            put16(&mut out, extra.len() as u16);
            out.extend_from_slice(&e.name);
            out.extend_from_slice(&extra);
            out.extend_from_slice(&e.data);
        }
        let cd_start = out.len() as u64;
        for (i, e) in self.entries.iter().enumerate() {
            let src = e.alias_of.map(|a| &self.entries[a]).unwrap_or(e);
            let offset = offsets[e.alias_of.unwrap_or(i)];
            let (extra, csize, usize_) = sizes(src);
            put32(&mut out, 0x0201_4b50);
            put16(&mut out, 0x031e); // made by: Unix, 3.0
            put16(&mut out, if extra.is_empty() { 20 } else { 45 });
            put16(&mut out, src.flags);
            put16(&mut out, src.method);
            put16(&mut out, 0x6000);
            put16(&mut out, 0x5b74);
            put32(&mut out, src.crc);
            put32(&mut out, csize);
            put32(&mut out, usize_);
            put16(&mut out, e.name.len() as u16);
            put16(&mut out, extra.len() as u16);
            put16(&mut out, 0); // comment
            put16(&mut out, self.disk); // disk of the local header
            put16(&mut out, 0);
            put32(&mut out, 0o100644 << 16);
            put32(&mut out, offset as u32);
            out.extend_from_slice(&e.name);
            out.extend_from_slice(&extra);
        }
        let cd_len = out.len() as u64 - cd_start;
        put32(&mut out, 0x0605_4b50);
        put16(&mut out, self.disk);
        put16(&mut out, self.disk);
        put16(&mut out, self.entries.len() as u16);
        put16(&mut out, self.entries.len() as u16);
        put32(&mut out, cd_len as u32);
        put32(&mut out, cd_start as u32);
        put16(&mut out, 0);
        out
    }
}

/// The zip64 extra field (when the declared size needs it) and the 32-bit size fields.
fn sizes(e: &Entry) -> (Vec<u8>, u32, u32) {
    if e.declared < 0xFFFF_FFFF {
        return (Vec::new(), e.data.len() as u32, e.declared as u32);
    }
    let mut extra = Vec::new();
    put16(&mut extra, 0x0001);
    put16(&mut extra, 16);
    extra.extend_from_slice(&e.declared.to_le_bytes());
    extra.extend_from_slice(&(e.data.len() as u64).to_le_bytes());
    (extra, 0xFFFF_FFFF, 0xFFFF_FFFF)
}

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

// ------------------------------------------------------------------------------------------
// Running the analyzer

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rdp-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn analyze(input: &Path, args: &[&str], cwd: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_rdp-analyze"))
        .args(args)
        .arg(input)
        .current_dir(cwd)
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json_of(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); exit {:?}, stderr: {}",
            run.code, run.stderr
        )
    })
}

/// The RDP900 findings of a JSON report, as (artifact, message).
fn unreadable(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "RDP900")
        .map(|f| {
            (
                f["facts"]["artifact"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Opens and analyzes `path` in a fresh process (this test binary again, running
/// [`child_open`]) and returns the bundle summary it prints and its peak resident memory
/// (VmHWM) in KiB: the parent's own memory, and other tests running in parallel, must not
/// count.
fn open_in_child(path: &Path, limits: &str) -> (String, u64, Duration) {
    let start = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_open", "--exact", "--ignored", "--nocapture"])
        .env("HOSTILE_CHILD_INPUT", path)
        .env("HOSTILE_CHILD_LIMITS", limits)
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_RSS_KIB="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in child output: {stdout}"));
    (stdout, peak, elapsed)
}

/// Child half of [`open_in_child`]; does nothing when run directly.
#[test]
#[ignore = "run by open_in_child in its own process"]
fn child_open() {
    let Ok(path) = std::env::var("HOSTILE_CHILD_INPUT") else {
        return;
    };
    let mut limits = Limits::default();
    if let Ok(l) = std::env::var("HOSTILE_CHILD_LIMITS") {
        if l == "huge" {
            limits.max_entry_bytes = 64 << 30;
            limits.max_total_bytes = 64 << 30;
        }
    }
    match bundle::open(Path::new(&path), &limits) {
        Ok(b) => {
            println!("FILES={}", b.files.len());
            for f in &b.files {
                println!("FILE {} {}", f.path, f.bytes.len());
            }
            for p in &b.problems {
                println!("PROBLEM {}: {}", p.path, p.message);
            }
            // The whole pipeline counts toward the peak, not only reading.
            let report = rdp_analyze::analyze_bundle(b);
            let html = rdp_analyze::report::html::render(&report);
            println!("REPORT {} bytes", html.len());
        }
        Err(e) => println!("ERROR {e}"),
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().trim_end_matches("kB").trim().to_string())
        .unwrap_or_else(|| "0".into());
    println!("PEAK_RSS_KIB={peak}");
}

/// Peak memory accepted for refusing a bomb: the test binary itself takes ~10 MiB.
const PEAK_BUDGET_KIB: u64 = 160 * 1024;

// ------------------------------------------------------------------------------------------
// Tests

#[test]
fn hand_made_deflate_stream_inflates_to_zeros() {
    let z = RawZip::default()
        .deflated_zeros("z.bin", 4000, None)
        .stored("ok.txt", b"hello")
        .build();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(z)).unwrap();
    let mut data = Vec::new();
    archive
        .by_index(0)
        .unwrap()
        .read_to_end(&mut data)
        .unwrap_or_else(|e| panic!("stream invalid after {} bytes: {e}", data.len()));
    assert_eq!(data.len() as u64, zeros_len(4000));
    assert!(data.iter().all(|b| *b == 0));
    let mut ok = String::new();
    archive
        .by_index(1)
        .unwrap()
        .read_to_string(&mut ok)
        .unwrap();
    assert_eq!(ok, "hello");
    // 1032:1, the densest deflate can be.
    assert!(deflate_zeros(4000).len() < 1100);
}

#[test]
fn ten_gib_of_zeros_is_refused_early_in_bounded_memory() {
    let dir = tmp_dir("10g");
    let copies = (10u64 << 30) / 258;
    // Honest headers: 10 GiB declared (zip64), refused before inflating anything.
    let honest = dir.join("honest.zip");
    std::fs::write(
        &honest,
        RawZip::default()
            .deflated_zeros("events/Security.evtx", copies, None)
            .stored(
                "commands/qwinsta.txt",
                b" SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE \r\n",
            )
            .build(),
    )
    .unwrap();
    // Lying headers: 4 KiB declared, 10 GiB inside. Caught by the ratio as bytes arrive.
    let liar = dir.join("liar.zip");
    std::fs::write(
        &liar,
        RawZip::default()
            .deflated_zeros("events/Security.evtx", copies, Some(4096))
            .stored("commands/qwinsta.txt", b"x")
            .build(),
    )
    .unwrap();
    eprintln!(
        "bomb zips: {} bytes each, inflating to {} bytes",
        std::fs::metadata(&honest).unwrap().len(),
        zeros_len(copies)
    );
    for (name, path, limits, expect) in [
        ("honest header", &honest, "default", "declares 10737418"),
        // The zip crate stops at the declared size; our ratio guard would catch it otherwise.
        ("lying header", &liar, "default", "larger than its declared"),
        // With the size limits raised past 10 GiB, the ratio guard alone must stop it.
        (
            "honest header, size limits raised",
            &honest,
            "huge",
            "likely zip bomb",
        ),
    ] {
        let (out, peak, took) = open_in_child(path, limits);
        eprintln!("{name}: refused in {took:?}, peak RSS {} MiB", peak / 1024);
        assert!(
            out.lines()
                .any(|l| l.starts_with("PROBLEM events/Security.evtx") && l.contains(expect)),
            "{name}: {out}"
        );
        assert!(
            out.contains("FILES=1"),
            "{name}: the good entry is still read: {out}"
        );
        assert!(peak < PEAK_BUDGET_KIB, "{name}: peak RSS {peak} KiB");
        assert!(took < Duration::from_secs(20), "{name}: took {took:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn nested_zips_are_reported_not_opened() {
    // 42.zip in miniature: 16 zips of 16 zips of a 16 MiB run of zeros (4 GiB if recursed).
    let leaf = RawZip::default()
        .deflated_zeros("0.dll", (16 << 20) / 258, None)
        .build();
    let mut middle = RawZip::default();
    for i in 0..16 {
        middle = middle.stored(format!("{i:x}.zip"), &leaf);
    }
    let middle = middle.build();
    let mut outer = RawZip::default().stored(
        "commands/qwinsta.txt",
        b" SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE \r\n rdp-tcp                                 65536  Listen                      \r\n",
    );
    for i in 0..16 {
        outer = outer.stored(format!("lib {i:x}.zip"), &middle);
    }
    let dir = tmp_dir("42");
    let path = dir.join("42.zip");
    std::fs::write(&path, outer.build()).unwrap();
    let (out, peak, took) = open_in_child(&path, "default");
    eprintln!("nested zips: {took:?}, peak RSS {} MiB", peak / 1024);
    let nested = out
        .lines()
        .filter(|l| l.starts_with("PROBLEM lib ") && l.contains("a zip archive inside the input"))
        .count();
    assert_eq!(nested, 16, "{out}");
    assert!(out.contains("FILES=1"), "{out}");
    assert!(peak < PEAK_BUDGET_KIB);

    // Through the binary: each nested zip is a finding naming it, the rest is analyzed.
    let run = analyze(&path, &["--format", "json"], &dir);
    let report = json_of(&run);
    let found = unreadable(&report);
    assert_eq!(
        found.iter().filter(|(a, _)| a.ends_with(".zip")).count(),
        16,
        "{found:?}"
    );
    assert!(report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["path"] == "commands/qwinsta.txt"
            && a["parse"].as_str().unwrap().starts_with("parsed")));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn entry_names_never_become_paths() {
    let dir = tmp_dir("names");
    let cwd = dir.join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let pid = std::process::id();
    let abs_target = std::env::temp_dir().join(format!("rdp-abs-{pid}.txt"));
    let tricks: Vec<Vec<u8>> = vec![
        format!("../../../../../../tmp/rdp-escape-{pid}.txt").into_bytes(),
        abs_target.to_string_lossy().as_bytes().to_vec(),
        br"C:\Windows\System32\evil.dll".to_vec(),
        br"..\..\evil2.txt".to_vec(),
        br"\\server\share\evil3.txt".to_vec(),
        b"D:relative.txt".to_vec(),
        b"commands/net\0stat.txt".to_vec(),
        b"a/../../b.txt".to_vec(),
        b"\x1b[2J\x1b[Hfake.txt".to_vec(),
    ];
    let mut z = RawZip::default();
    for name in &tricks {
        z = z.stored(name, b"Windows Registry Editor Version 5.00\r\n\r\n");
    }
    let z = z
        .stored(br"registry\terminal-server.reg", b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server]\r\n\"fDenyTSConnections\"=dword:00000001\r\n\r\n")
        .stored("./commands/../commands/x.txt", b"")
        .build();

    let b = bundle::from_zip_bytes(&z, &Limits::default()).unwrap();
    // Only the backslash-separated entry is read (under its `/` label); the `.`/`..` one and
    // every trick is refused, each by a problem naming it.
    let paths: Vec<_> = b.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["registry/terminal-server.reg"], "{:?}", b.problems);
    assert_eq!(b.problems.len(), tricks.len() + 1, "{:?}", b.problems);
    for p in &b.problems {
        assert!(!p.path.contains(".."), "{p:?}");
        assert!(!p.path.starts_with('/'), "{p:?}");
        assert!(!p.path.contains('\\'), "{p:?}");
        assert!(!p.path.chars().any(char::is_control), "{p:?}");
        assert!(p.message.contains("not read"), "{p:?}");
    }

    let zip_path = dir.join("tricks.zip");
    std::fs::write(&zip_path, &z).unwrap();
    let run = analyze(&zip_path, &["--format", "html", "-o", "report.html"], &cwd);
    assert_eq!(
        run.code,
        Some(1),
        "RDP001 from the good entry: {}",
        run.stderr
    );
    let written: Vec<_> = std::fs::read_dir(&cwd)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        written,
        ["report.html"],
        "nothing but the report is written"
    );
    let beside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}");
    assert!(!abs_target.exists());
    assert!(!Path::new(&format!("/tmp/rdp-escape-{pid}.txt")).exists());
    let html = std::fs::read_to_string(cwd.join("report.html")).unwrap();
    assert!(!html.contains('\u{1b}'));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn inputs_that_cannot_be_analyzed_exit_2_with_a_reason() {
    let dir = tmp_dir("exit2");
    let good = b" SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE \r\n";
    let valid = RawZip::default()
        .stored("commands/qwinsta.txt", good)
        .build();
    let mut split_first = b"PK\x07\x08".to_vec();
    split_first.extend_from_slice(&valid);
    let mut split_last = RawZip::default().stored("commands/qwinsta.txt", good);
    split_last.disk = 1;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "all-encrypted.zip",
            RawZip::default()
                .encrypted("commands/qwinsta.txt", good)
                .encrypted("manifest.json", b"{}")
                .build(),
            "encrypted",
        ),
        ("split.z01", split_first, "split"),
        ("split.zip", split_last.build(), "split"),
        (
            "garbage.zip",
            b"this is not a zip at all, just text".to_vec(),
            "not a zip",
        ),
        ("empty.zip", RawZip::default().build(), "empty"),
        (
            "truncated.zip",
            valid[..valid.len() - 30].to_vec(),
            "damaged or cut short",
        ),
        (
            "local-header-garbage.zip",
            b"PK\x03\x04garbage".to_vec(),
            "damaged or cut short",
        ),
        (
            "bundle.7z",
            b"7z\xBC\xAF\x27\x1C\x00\x04rest".to_vec(),
            "7-Zip",
        ),
        ("bundle.rar", b"Rar!\x1A\x07\x01\x00rest".to_vec(), "RAR"),
    ];
    for (name, bytes, why) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let run = analyze(&path, &[], &dir);
        assert_eq!(run.code, Some(2), "{name}: {} {}", run.stdout, run.stderr);
        assert!(run.stderr.contains(why), "{name}: {}", run.stderr);
        assert!(run.stderr.contains(name), "{name} is named: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{name}: no report on stdout");
    }
    let run = analyze(&dir.join("does-not-exist.zip"), &[], &dir);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("does-not-exist.zip"), "{}", run.stderr);
    if Path::new("/dev/zero").exists() {
        let run = analyze(Path::new("/dev/zero"), &[], &dir);
        assert_eq!(run.code, Some(2));
        assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn one_encrypted_entry_is_a_finding_and_the_rest_is_read() {
    let z = RawZip::default()
        .encrypted("events/Security.evtx", b"ElfFile\0")
        .stored(
            "commands/qwinsta.txt",
            b" SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE \r\n",
        )
        .build();
    let b = bundle::from_zip_bytes(&z, &Limits::default()).unwrap();
    assert_eq!(b.files.len(), 1);
    assert_eq!(b.problems.len(), 1);
    assert_eq!(b.problems[0].path, "events/Security.evtx");
    assert!(b.problems[0].message.contains("encrypted"));
}

#[test]
fn entries_sharing_data_are_refused_as_a_bomb() {
    // Fifield's non-recursive bomb: many central-directory entries, one deflate stream.
    let mut z = RawZip::default().deflated_zeros("0", (4 << 20) / 258, None);
    for i in 1..64 {
        z = z.alias(&format!("{i}"), 0);
    }
    let b = bundle::from_zip_bytes(&z.build(), &Limits::default()).unwrap();
    assert!(b.files.is_empty());
    // Each entry is refused on its own, naming it.
    assert_eq!(b.problems.len(), 64);
    assert!(
        b.problems
            .iter()
            .all(|p| p.message.contains("share compressed data")),
        "{:?}",
        b.problems
    );
}

#[test]
fn entry_count_and_total_size_are_capped() {
    let mut z = RawZip::default();
    for i in 0..20 {
        z = z.stored(format!("notes/{i:02}.txt"), &[b'a'; 1000]);
    }
    let z = z.build();
    let limits = Limits {
        max_entries: 5,
        ..Limits::default()
    };
    let b = bundle::from_zip_bytes(&z, &limits).unwrap();
    assert_eq!(b.files.len(), 5);
    assert!(
        b.problems[0].message.contains("20 entries"),
        "{:?}",
        b.problems
    );

    let limits = Limits {
        max_total_bytes: 3500,
        ..Limits::default()
    };
    let b = bundle::from_zip_bytes(&z, &limits).unwrap();
    assert_eq!(b.files.len(), 3);
    assert_eq!(b.problems.len(), 17);
    assert!(b.problems.iter().all(|p| p.message.contains("limit")));
}

#[test]
fn names_that_collide_after_cleaning_are_read_once() {
    let z = RawZip::default()
        .stored("commands/qwinsta.txt", b"first")
        .stored(br"commands\qwinsta.txt", b"second")
        .build();
    let b = bundle::from_zip_bytes(&z, &Limits::default()).unwrap();
    assert_eq!(b.files.len(), 1);
    assert_eq!(b.files[0].bytes, b"first");
    assert!(b.problems[0].message.contains("same name"));
}

#[cfg(unix)]
#[test]
fn folder_symlinks_are_not_followed() {
    let dir = tmp_dir("symlink");
    let outside = dir.join("secret.txt");
    std::fs::write(&outside, "not for the report").unwrap();
    let bundle_dir = dir.join("bundle");
    std::fs::create_dir_all(bundle_dir.join("commands")).unwrap();
    std::os::unix::fs::symlink(&outside, bundle_dir.join("commands/netstat-ano.txt")).unwrap();
    std::os::unix::fs::symlink(&dir, bundle_dir.join("up")).unwrap();
    let b = bundle::open(&bundle_dir, &Limits::default()).unwrap();
    assert!(
        b.files.is_empty(),
        "{:?}",
        b.files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    assert_eq!(b.problems.len(), 2);
    assert!(b
        .problems
        .iter()
        .all(|p| p.message.contains("symbolic link")));
    std::fs::remove_dir_all(&dir).ok();
}

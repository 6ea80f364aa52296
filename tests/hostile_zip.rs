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
    /// What the central directory claims instead of the truth: compressed size, local-header
    /// offset (a bogus size, a header that is not there).
    cd_csize: Option<u32>,
    cd_offset: Option<u32>,
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
            cd_csize: None,
            cd_offset: None,
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
            cd_csize: None,
            cd_offset: None,
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
            cd_csize: None,
            cd_offset: None,
        });
        self
    }

    /// Another entry with the data of entry `of` (its own copy, not an alias).
    fn copy(mut self, name: &str, of: usize) -> Self {
        let src = &self.entries[of];
        let e = Entry {
            name: name.as_bytes().to_vec(),
            method: src.method,
            data: src.data.clone(),
            declared: src.declared,
            crc: src.crc,
            flags: src.flags,
            alias_of: None,
            cd_csize: None,
            cd_offset: None,
        };
        self.entries.push(e);
        self
    }
    /// The last entry's central record lies: `csize` as its compressed size, `offset` as where
    /// its local header is.
    fn lie(mut self, csize: Option<u32>, offset: Option<u32>) -> Self {
        let e = self.entries.last_mut().unwrap();
        e.cd_csize = csize;
        e.cd_offset = offset;
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
            put32(&mut out, e.cd_csize.unwrap_or(csize));
            put32(&mut out, usize_);
            put16(&mut out, e.name.len() as u16);
            put16(&mut out, extra.len() as u16);
            put16(&mut out, 0); // comment
            put16(&mut out, self.disk); // disk of the local header
            put16(&mut out, 0);
            put32(&mut out, 0o100644 << 16);
            put32(&mut out, e.cd_offset.unwrap_or(offset as u32));
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
        if let Some(mib) = l.strip_prefix("budget=") {
            limits.memory_budget = mib.parse::<u64>().unwrap() << 20;
        }
    }
    match bundle::open(Path::new(&path), &limits) {
        Ok(b) => {
            println!("FILES={}", b.files.len());
            for f in &b.files {
                println!("FILE {} {}", f.path, f.bytes().map_or(0, <[u8]>::len));
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
    assert_eq!(b.files[0].bytes(), Some(&b"first"[..]));
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

// ------------------------------------------------------------------------------------------
// Round two (issue 13): each attack that broke a guard, as built by the attacker.

/// A `.reg` export in the exact form `reg export` writes (UTF-16LE with BOM, CRLF) of about
/// `bytes` bytes: one key of many distinct values, so it neither sniffs as something else nor
/// parses to nothing.
fn reg_export(bytes: usize) -> Vec<u8> {
    let mut text = String::from(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Junk]\r\n",
    );
    let mut i = 0u64;
    while text.len() * 2 < bytes {
        text.push_str(&format!(
            "\"Value{i:08}\"=dword:{:08x}\r\n",
            i * 2654435761 % 0xFFFF_FFFF
        ));
        i += 1;
    }
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

/// The attacks' inputs on disk, for the release-binary benchmark of issue 13's closing note
/// (`HOSTILE_DUMP=/some/dir cargo test -p rdp-analyze --test hostile_zip dump_attacks --
/// --ignored`, then `/usr/bin/time -v rdp-analyze FILE`).
#[test]
#[ignore = "writes the attack inputs for benchmarking; set HOSTILE_DUMP"]
fn dump_attacks() {
    let Ok(dir) = std::env::var("HOSTILE_DUMP") else {
        eprintln!("HOSTILE_DUMP not set: nothing written");
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("overlap-64.zip"), overlap_bypass(64)).unwrap();
    std::fs::write(dir.join("overlap-4096.zip"), overlap_bypass(4096)).unwrap();
    std::fs::write(dir.join("ratio-floor-zeros.zip"), ratio_floor_zeros(4096)).unwrap();
    std::fs::write(dir.join("ratio-floor-reg.zip"), many_reg_entries(512)).unwrap();
    std::fs::write(dir.join("duplicate-names.zip"), duplicate_names()).unwrap();
    std::fs::write(dir.join("bogus-size.zip"), bogus_compressed_size()).unwrap();
    big_files_folder(&dir.join("big-files"));
    port_conflict_flood(&dir.join("port-flood"), 100_000);
}

/// 4,096 (or `n`) central-directory entries all pointing at one 2.6 MB `.reg`, plus one whose
/// local-header offset points at garbage: the broken one made the zip crate's overlap check
/// fail, and the failure was taken as "no overlap".
fn overlap_bypass(n: usize) -> Vec<u8> {
    let mut z = RawZip::default().stored("registry/big.reg", &reg_export(2_600_000));
    for i in 1..n {
        z = z.alias(&format!("registry/copy{i}.reg"), 0);
    }
    z = z.stored("commands/broken.txt", b"x").lie(None, Some(7));
    z.build()
}

/// `n` entries of exactly 1 MiB of zeros or just under, deflated 1000:1: each under the
/// per-entry ratio floor.
fn ratio_floor_zeros(n: usize) -> Vec<u8> {
    let copies = ((1 << 20) - 1) / 258;
    let mut z = RawZip::default().deflated_zeros("notes/0.bin", copies, None);
    for i in 1..n {
        z = z.copy(&format!("notes/{i}.bin"), 0);
    }
    z.build()
}

/// `n` distinct-looking 1 MiB `.reg` entries, deflated the way an archiver would.
fn many_reg_entries(n: usize) -> Vec<u8> {
    use std::io::Write;
    let reg = reg_export(1 << 20);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..n {
        w.start_file(format!("registry/r{i}.reg"), opts).unwrap();
        w.write_all(&reg).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn duplicate_names() -> Vec<u8> {
    RawZip::default()
        .stored("commands/qwinsta.txt", QWINSTA_FIRST)
        .stored("commands/qwinsta.txt", QWINSTA_SECOND)
        .build()
}

const QWINSTA_FIRST: &[u8] =
    b" SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE \r\n\
 services                                    0  Disc                        \r\n\
 console                                     1  Conn                        \r\n\
 rdp-tcp                                 65536  Listen                      \r\n";
const QWINSTA_SECOND: &[u8] =
    b" SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE \r\n\
 services                                    0  Disc                        \r\n\
 console                                     1  Conn                        \r\n";

/// Three entries, the middle one's central record claiming 2 GB of compressed data.
fn bogus_compressed_size() -> Vec<u8> {
    RawZip::default()
        .stored("notes/a.txt", b"first")
        .stored("commands/qwinsta.txt", QWINSTA_FIRST)
        .lie(Some(0x7FFF_FFFF), None)
        .stored("notes/c.txt", b"third")
        .build()
}

/// A folder holding 1 GB of zeros and a 100 MiB `.reg`, both sparse (nothing on disk).
fn big_files_folder(dir: &Path) {
    std::fs::create_dir_all(dir.join("registry")).unwrap();
    let zeros = std::fs::File::create(dir.join("zeros.bin")).unwrap();
    zeros.set_len(1 << 30).unwrap();
    let reg = reg_export(64 * 1024);
    std::fs::write(dir.join("registry/big.reg"), &reg).unwrap();
    let f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("registry/big.reg"))
        .unwrap();
    f.set_len(100 << 20).unwrap();
}

/// `n` netstat listeners on TCP 3389, each under its own PID, and `n` processes in tasklist.
fn port_conflict_flood(dir: &Path, n: u32) {
    std::fs::create_dir_all(dir.join("commands")).unwrap();
    let mut netstat = String::from(
        "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n",
    );
    let mut tasklist = String::from(
        "\r\nImage Name                     PID Services                                    \r\n\
         ========================= ======== ============================================\r\n",
    );
    for pid in 1000..1000 + n {
        netstat.push_str(&format!(
            "  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       {pid}\r\n"
        ));
        tasklist.push_str(&format!(
            "{:<25} {pid:>8} N/A\r\n",
            format!("agent{pid}.exe")
        ));
    }
    std::fs::write(dir.join("commands/netstat-ano.txt"), netstat).unwrap();
    std::fs::write(dir.join("commands/tasklist-svc.txt"), tasklist).unwrap();
}

/// Peak memory accepted where the memory budget is set to 64 MiB: the budget plus the test
/// binary's own ~10 MiB and the parser's transient buffers.
const PEAK_WITH_64_MIB_BUDGET_KIB: u64 = 160 * 1024;

#[test]
fn an_overlap_check_that_errs_refuses_instead_of_reading_every_alias() {
    let dir = tmp_dir("overlap");
    let path = dir.join("overlap.zip");
    std::fs::write(&path, overlap_bypass(4096)).unwrap();
    let (out, peak, _) = open_in_child(&path, "");
    assert!(out.contains("FILES=0"), "{out}");
    let shared = out
        .lines()
        .filter(|l| l.starts_with("PROBLEM registry/") && l.contains("share compressed data"))
        .count();
    assert_eq!(shared, 4096, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("PROBLEM commands/broken.txt") && l.contains("no local header")),
        "{out}"
    );
    assert!(peak < PEAK_BUDGET_KIB, "peak {peak} KiB");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn many_entries_under_the_ratio_floor_are_refused_together() {
    let dir = tmp_dir("ratio-floor");
    let path = dir.join("floor.zip");
    std::fs::write(&path, ratio_floor_zeros(4096)).unwrap();
    let (out, peak, _) = open_in_child(&path, "");
    let kept: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("FILES="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(kept <= 8, "at most the input-wide floor is kept: {kept}");
    let refused = out
        .lines()
        .filter(|l| l.contains("the zip as a whole inflates more than 200:1"))
        .count();
    assert!(refused >= 4000, "{refused} refused\n{out}");
    assert!(peak < PEAK_BUDGET_KIB, "peak {peak} KiB");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn registry_entries_past_the_memory_budget_are_left_out_by_name() {
    let dir = tmp_dir("budget-reg");
    let path = dir.join("regs.zip");
    std::fs::write(&path, many_reg_entries(64)).unwrap();
    let (out, peak, _) = open_in_child(&path, "budget=64");
    let kept = out
        .lines()
        .filter(|l| l.starts_with("FILE registry/"))
        .count();
    let left_out: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("left out to keep the analysis within its memory budget of 64 MiB"))
        .collect();
    // 64 MiB / 12 per byte of .reg: five 1 MiB exports fit, the rest are left out, each named.
    assert!((1..=6).contains(&kept), "{kept} kept\n{out}");
    assert_eq!(kept + left_out.len(), 64, "{out}");
    assert!(left_out.iter().all(|l| l.starts_with("PROBLEM registry/r")));
    assert!(peak < PEAK_WITH_64_MIB_BUDGET_KIB, "peak {peak} KiB");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn big_files_in_a_folder_are_left_out_within_the_default_budget() {
    let dir = tmp_dir("big-files");
    big_files_folder(&dir);
    let (out, peak, _) = open_in_child(&dir, "");
    for name in ["zeros.bin", "registry/big.reg"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("PROBLEM {name}:"))
                    && l.contains("memory budget of 512 MiB")),
            "{name}: {out}"
        );
    }
    assert!(peak < PEAK_BUDGET_KIB, "peak {peak} KiB");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_memory_budget_is_documented_and_settable() {
    let dir = tmp_dir("budget-help");
    let help = analyze(Path::new("--help"), &[], &dir);
    assert!(help.stdout.contains("--memory-mib"), "{}", help.stdout);
    assert!(help.stdout.contains("512"), "{}", help.stdout);
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    assert!(
        readme.contains("--memory-mib"),
        "README documents the budget"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn two_entries_with_one_name_are_reported_and_the_first_is_analyzed() {
    let z = duplicate_names();
    let b = bundle::from_zip_bytes(&z, &Limits::default()).unwrap();
    assert_eq!(b.files.len(), 1);
    assert_eq!(b.files[0].bytes(), Some(QWINSTA_FIRST));
    assert!(
        b.problems
            .iter()
            .any(|p| p.message.contains("exactly the same name")),
        "{:?}",
        b.problems
    );
    assert!(
        b.problems
            .iter()
            .any(|p| p.message.contains("`unzip` extracts")),
        "{:?}",
        b.problems
    );
    // And it is what `unzip` shows.
    let dir = tmp_dir("dup");
    let path = dir.join("dup.zip");
    std::fs::write(&path, &z).unwrap();
    match Command::new("unzip")
        .arg("-p")
        .arg(&path)
        .arg("commands/qwinsta.txt")
        .output()
    {
        // `unzip -p` writes both, the first first; extracting writes the first, then asks
        // before replacing it.
        Ok(o) => assert!(o.stdout.starts_with(QWINSTA_FIRST), "unzip shows the first"),
        Err(e) => eprintln!("SKIPPED the comparison with unzip: {e}"),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn one_entry_with_a_bogus_compressed_size_is_refused_and_the_others_read() {
    let b = bundle::from_zip_bytes(&bogus_compressed_size(), &Limits::default()).unwrap();
    let mut names: Vec<_> = b.files.iter().map(|f| f.path.as_str()).collect();
    names.sort();
    assert_eq!(names, ["notes/a.txt", "notes/c.txt"]);
    assert_eq!(b.problems.len(), 1, "{:?}", b.problems);
    assert_eq!(b.problems[0].path, "commands/qwinsta.txt");
    assert!(b.problems[0].message.contains("compressed size runs into"));
}

#[cfg(unix)]
#[test]
fn fifos_sockets_and_unreadable_metadata_in_a_folder_are_findings() {
    let dir = tmp_dir("special");
    let root = dir.join("bundle");
    std::fs::create_dir_all(root.join("commands")).unwrap();
    std::fs::write(root.join("commands/qwinsta.txt"), QWINSTA_FIRST).unwrap();
    let fifo = Command::new("mkfifo")
        .arg(root.join("pipe.txt"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let _socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
    // A path longer than PATH_MAX (4096): folders of 200 characters, each entered relatively.
    let seg = "d".repeat(200);
    let script = format!(
        "cd '{}' && for i in $(seq 1 24); do mkdir {seg} && cd -P {seg} || exit 1; done; echo x > f.txt",
        root.display()
    );
    assert!(Command::new("sh")
        .args(["-c", &script])
        .status()
        .unwrap()
        .success());
    let b = bundle::open(&root, &Limits::default()).unwrap();
    let has = |name: &str, what: &str| {
        b.problems
            .iter()
            .any(|p| p.path.ends_with(name) && p.message.contains(what))
    };
    assert!(has("pipe.txt", "named pipe"), "{:?}", b.problems);
    assert!(has("sock", "socket"), "{:?}", b.problems);
    assert!(
        b.problems
            .iter()
            .any(|p| p.message.contains("metadata cannot be read")
                || p.message.contains("cannot list folder")),
        "{:?}",
        b.problems
    );
    assert_eq!(b.files.len(), 1, "the rest is read");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_flood_of_foreign_listeners_gives_capped_findings() {
    let dir = tmp_dir("port-flood");
    port_conflict_flood(&dir, 100_000);
    let run = analyze(&dir, &["--format", "json"], &dir);
    let report = json_of(&run);
    let rdp008: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "RDP008")
        .collect();
    assert_eq!(rdp008.len(), 51, "50 findings and one counting the rest");
    let omitted = rdp008
        .iter()
        .find_map(|f| f["facts"]["omitted"].as_str())
        .expect("a finding counts the rest");
    assert_eq!(omitted, "99950");
    assert!(
        run.stdout.len() < 1 << 20,
        "report of {} bytes",
        run.stdout.len()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_report_never_overwrites_the_input_and_is_replaced_whole() {
    let dir = tmp_dir("output");
    let zip_path = dir.join("bundle.zip");
    let z = RawZip::default()
        .stored("commands/qwinsta.txt", QWINSTA_FIRST)
        .build();
    std::fs::write(&zip_path, &z).unwrap();
    for spelling in ["bundle.zip", "./bundle.zip", "../output-x/bundle.zip"] {
        let spelling = spelling.replace("output-x", dir.file_name().unwrap().to_str().unwrap());
        let run = analyze(&zip_path, &["-o", &spelling], &dir);
        assert_eq!(run.code, Some(2), "{spelling}: {}", run.stderr);
        assert!(run.stderr.contains("names the input"), "{}", run.stderr);
        assert_eq!(
            std::fs::read(&zip_path).unwrap(),
            z,
            "the evidence is intact"
        );
    }
    // Inside a folder input: refused too.
    let folder = dir.join("folder");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("qwinsta.txt"), QWINSTA_FIRST).unwrap();
    let run = analyze(&folder, &["-o", "folder/report.txt"], &dir);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    // An existing report is replaced by a whole one, and no temporary file is left.
    let report = dir.join("report.json");
    std::fs::write(&report, "old").unwrap();
    let run = analyze(&zip_path, &["-f", "json", "-o", "report.json"], &dir);
    assert!(run.code == Some(0) || run.code == Some(1), "{}", run.stderr);
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert!(written["findings"].is_array());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".rdp-analyze-report-")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A write that fails midway (a full disk) leaves the previous report whole and no temporary
/// file. Simulated with a file-size limit (`ulimit -f`) and SIGXFSZ ignored, so the write fails
/// with EFBIG part-way through, as it would with ENOSPC; the report is far larger than the limit.
#[test]
#[cfg(unix)]
fn a_write_that_fails_midway_leaves_the_old_report_whole() {
    let dir = tmp_dir("diskfull");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/multiple-faults");
    let report = dir.join("report.json");
    std::fs::write(&report, "the previous report").unwrap();
    // dash and bash both take `ulimit -f` in blocks of 512 or 1024 bytes: 8 blocks is at most
    // 8 KiB, and the multiple-faults JSON report is several times that.
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 8 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_rdp-analyze"))
        .args(["-f", "json", "-o", "report.json"])
        .arg(&fixture)
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("report.json"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "the previous report",
        "the old report is intact"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".rdp-analyze-report-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The same run without the limit writes it (the limit, not the input, failed the write).
    let full = analyze(&fixture, &["-f", "json", "-o", "report.json"], &dir);
    assert_eq!(full.code, Some(1), "{}", full.stderr);
    assert!(std::fs::metadata(&report).unwrap().len() > 8 * 1024);
    std::fs::remove_dir_all(&dir).ok();
}

/// A port-conflict bundle whose foreign process is named with `name`.
fn conflict_named(dir: &Path, name: &str) {
    std::fs::create_dir_all(dir.join("commands")).unwrap();
    std::fs::write(
        dir.join("commands/netstat-ano.txt"),
        "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n\
         \x20 TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       4242\r\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("commands/tasklist-svc.txt"),
        format!(
            "\r\nImage Name                     PID Services                                    \r\n\
             ========================= ======== ============================================\r\n\
             {name:<25} {:>8} N/A\r\n",
            4242
        ),
    )
    .unwrap();
}

#[test]
fn invisible_and_reordering_characters_are_marked_in_every_format() {
    let dir = tmp_dir("invisible");
    // Right-to-left override, zero-width space and joiner, word joiner, BOM, a tag character
    // (hidden ASCII), a raw C1 CSI.
    let name = "ad\u{202E}exe.min\u{200B}\u{200D}\u{2060}\u{FEFF}\u{E0041}\u{9B}31m.exe";
    conflict_named(&dir.join("b"), name);
    let banned = [
        '\u{202E}',
        '\u{200B}',
        '\u{200D}',
        '\u{2060}',
        '\u{FEFF}',
        '\u{E0041}',
        '\u{9B}',
    ];
    for format in ["text", "json", "html", "markdown"] {
        let run = analyze(&dir.join("b"), &["--format", format], &dir);
        assert!(
            run.stdout.contains("RDP008") || run.stdout.contains("port-conflict"),
            "{format}: {}",
            run.stdout
        );
        for c in banned {
            assert!(
                !run.stdout.contains(c),
                "{format} passes U+{:04X} raw",
                c as u32
            );
        }
    }
    // JSON keeps the data: the escapes decode to the name.
    let run = analyze(&dir.join("b"), &["--format", "json"], &dir);
    assert!(json_of(&run).to_string().contains(name));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn markdown_bundle_text_is_inert_on_a_gfm_renderer() {
    let have = Command::new("python3")
        .args(["-c", "import cmarkgfm"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !have {
        // .ci/run installs it: under CI a missing renderer is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with cmarkgfm is needed to render GFM (.ci/run installs it)"
        );
        eprintln!("SKIPPED: python3 with cmarkgfm (pip install cmarkgfm) is needed to render GFM");
        return;
    }
    let dir = tmp_dir("autolink");
    for (i, name) in [
        "www.evil.example",
        "x@evil.example",
        "@octocat",
        "http://evil.example/a",
        "see:#1234",
    ]
    .iter()
    .enumerate()
    {
        let b = dir.join(format!("b{i}"));
        conflict_named(&b, name);
        let run = analyze(&b, &["--format", "markdown"], &dir);
        assert!(run.stdout.contains("RDP008"), "{}", run.stdout);
        let md = dir.join(format!("r{i}.md"));
        std::fs::write(&md, &run.stdout).unwrap();
        let html = Command::new("python3")
            .args([
                "-c",
                "import sys, cmarkgfm; print(cmarkgfm.github_flavored_markdown_to_html(open(sys.argv[1]).read()))",
            ])
            .arg(&md)
            .output()
            .unwrap();
        let html = String::from_utf8(html.stdout).unwrap();
        assert!(html.contains("RDP008"), "{html}");
        assert!(!html.contains("<a "), "{name} became a link:\n{html}");
        // GitHub turns `@name` into a mention outside code, links and pre; every `@` and `#123`
        // of the bundle must be inside a code element.
        let outside_code: String = html
            .split("<code>")
            .map(|part| part.split_once("</code>").map_or(part, |(_, after)| after))
            .collect();
        let bare = name.trim_start_matches("see:");
        assert!(
            !outside_code.contains(bare),
            "{name} appears outside code:\n{html}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

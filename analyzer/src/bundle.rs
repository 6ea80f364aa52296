//! Reading what a customer sent: a collector zip, any zip of loose files, a folder, or one file.
//!
//! Everything here treats the input as hostile. Entry names are only ever used as labels (never
//! as file-system paths), and every read is bounded: entry count, bytes per entry, total bytes and
//! the inflate ratio, so a zip bomb is refused in bounded time and memory. A refused or unreadable
//! entry becomes an [`InputProblem`] and the rest of the input is still read.
//!
//! What is refused, and how:
//! - the whole input (exit code 2, [`BundleError`]): a path that does not exist, a split or
//!   spanned zip, a password-protected zip (every entry encrypted), an empty or damaged zip,
//!   a `.zip` that is no zip at all, another archive format (7-Zip, RAR, gzip...);
//! - one entry (an [`InputProblem`], reported as a finding naming it): over the size limits or
//!   the inflate ratio, encrypted, a name that tries to leave the archive (`..`, an absolute
//!   path, a drive letter, control characters), a second entry with the same name, and an
//!   archive inside the archive (never opened: nesting is how 42.zip multiplies itself);
//! - one entry, by our own reading of the central directory ([`central_dir`]): a local header
//!   shared with another entry or missing, a compressed size that runs into the next entry (a
//!   bogus size, or the overlap of a non-recursive zip bomb), a second entry with exactly the
//!   same name (the first is analyzed, as `unzip` shows it); a directory we cannot read at all
//!   refuses the whole zip's content;
//! - many entries that each pass alone: the whole input's inflate ratio is bounded too;
//! - in a folder: symbolic links, FIFOs, sockets, devices and entries whose metadata cannot be
//!   read, each named;
//! - a file that would take the analysis past its memory budget ([`budget`]): left out, named
//!   in a finding (RDP900).

use crate::parse::evtx::{self, EventLog};
use crate::parse::ParseError;
mod budget;
mod central_dir;

pub use budget::{Budget, LeftOut, DEFAULT_MEMORY_BUDGET};

use crate::parse::identify::Kind;
use rdp_bundle::{Manifest, MANIFEST_PATH};
use std::fs;
use std::io::{Read, Seek};
use std::path::Path;

/// Bounds on what is read from an input into memory. Event logs are streamed into their
/// parser ([`Source`]), never held, so the byte limits do not apply to them (the ratio does,
/// to zipped ones); everything else is small. The command line raises them with
/// `--max-entry-mib` (default 2048), `--max-total-mib` (4096), `--max-entries` (10000) and
/// `--max-ratio` (200); `--memory-mib` (512) sets the memory budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single file (inflated), in bytes.
    pub max_entry_bytes: u64,
    /// Largest total of all files read, in bytes.
    pub max_total_bytes: u64,
    /// Most entries considered in a zip or folder.
    pub max_entries: usize,
    /// Highest inflated/compressed ratio accepted for entries over 1 MiB, and for the whole
    /// zip past its first 8 MiB (zeros deflate ~1000:1, event logs about 10:1).
    pub max_ratio: u64,
    /// Memory the analysis may hold, in bytes: see [`budget`].
    pub memory_budget: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entry_bytes: 2 << 30,
            max_total_bytes: 4 << 30,
            max_entries: 10_000,
            max_ratio: 200,
            memory_budget: DEFAULT_MEMORY_BUDGET,
        }
    }
}

/// One file of the input, and where its content is.
#[derive(Debug)]
pub struct InputFile {
    /// Label: the `/`-separated path inside the zip or below the folder, cleaned for display.
    pub path: String,
    pub source: Source,
}

impl InputFile {
    /// A file read whole.
    pub fn in_memory(path: impl Into<String>, bytes: Vec<u8>) -> Self {
        InputFile {
            path: path.into(),
            source: Source::Bytes(bytes),
        }
    }

    /// The content, when the file was read whole.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.source {
            Source::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// Where a file's content is. Which one is decided per kind from the file's first bytes, as
/// identification decides: an event log (`ElfFile\0`) is never held whole, since it is the one
/// artifact that grows with the machine (1 GiB and more on servers) and its parser reads it
/// 64 KiB chunk by chunk; everything else is small text or a certificate, read whole within
/// the [`Limits`].
#[derive(Debug)]
pub enum Source {
    /// Read whole into memory.
    Bytes(Vec<u8>),
    /// An event log on disk (in a folder, or the input itself): read in chunks when parsed,
    /// never whole, so it is not bounded by the size limits.
    EventLogFile { path: std::path::PathBuf, len: u64 },
    /// An event log zip entry: inflated as a stream straight into the event parser while the
    /// zip was read (an entry reader borrows the archive, so it cannot be handed out for later).
    ParsedEvents(Box<Result<EventLog, ParseError>>),
}

/// Something in the input that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// Label of the entry (or the input itself).
    pub path: String,
    pub message: String,
}

/// What was read from the input.
#[derive(Debug, Default)]
pub struct Bundle {
    /// What the user pointed us at, for the report header.
    pub source: String,
    /// The collector's manifest, when present and valid.
    pub manifest: Option<Manifest>,
    pub files: Vec<InputFile>,
    pub problems: Vec<InputProblem>,
    /// Set when the input is laid out as a Windows volume (`Windows/System32/config` and the
    /// rest): the label of its root inside the input (`""` at the top). Only the files a
    /// diagnosis reads were taken from it.
    pub volume: Option<String>,
    /// A Windows volume's `ProgramData/Microsoft/Crypto/RSA/MachineKeys`: its label and the
    /// names of the key files in it (names only: the key files themselves are never read).
    pub machine_keys: Option<(String, Vec<String>)>,
    /// What the files held cost in memory, and what was left out to stay within it.
    pub budget: Budget,
}

/// Why an input could not be read at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a zip archive, folder or readable file: {message}")]
    NotAnInput { path: String, message: String },
}

/// Opens `path` (zip, folder or single file) within `limits`.
pub fn open(path: &Path, limits: &Limits) -> Result<Bundle, BundleError> {
    let label = path.display().to_string();
    let meta = fs::metadata(path).map_err(|e| BundleError::Io {
        path: label.clone(),
        source: e,
    })?;
    if !meta.is_dir() && !meta.is_file() {
        // A device or pipe (`/dev/zero`, a FIFO) has no end to bound a read by.
        return Err(BundleError::NotAnInput {
            path: label,
            message: "not a regular file or folder".into(),
        });
    }
    let mut bundle = if meta.is_dir() {
        read_folder(path, limits)
    } else {
        let io = |e| BundleError::Io {
            path: label.clone(),
            source: e,
        };
        let not_input = |message: String| BundleError::NotAnInput {
            path: label.clone(),
            message,
        };
        let mut file = fs::File::open(path).map_err(io)?;
        let mut head = [0u8; 512];
        let n = read_up_to(&mut file, &mut head).map_err(io)?;
        let head = head.get(..n).unwrap_or(&[]);
        let says_zip = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        let eocd = find_eocd(&mut file).map_err(io)?;
        file.rewind().map_err(io)?;
        if head.starts_with(b"PK\x07\x08") {
            return Err(not_input(SPLIT_ZIP.into()));
        }
        if let Some(e) = &eocd {
            if e.is_split() {
                return Err(not_input(SPLIT_ZIP.into()));
            }
        }
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") || eocd.is_some() {
            read_zip(file, limits).map_err(not_input)?
        } else if let Some(format) = other_archive(head) {
            return Err(not_input(format!(
                "{format}; rdp-analyze reads zip archives, folders and single files: extract it \
                 (or re-pack it as a zip) and analyze the result"
            )));
        } else if says_zip {
            return Err(not_input(
                "named .zip but not a zip archive (no zip signature at its start or end): the \
                 file is damaged, cut short, or another format renamed; ask for it again"
                    .into(),
            ));
        } else {
            drop(file);
            read_single_file(path, limits)
        }
    };
    bundle.source = label;
    take_manifest(&mut bundle, limits);
    Ok(bundle)
}

const SPLIT_ZIP: &str = "a split or spanned zip (one part of a multi-part archive); send the \
                         archive as one file (rdp-collect always writes one)";

/// The archive formats customers send instead of a zip, by magic number.
fn other_archive(head: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"Rar!\x1A\x07", "a RAR archive"),
        (b"\x1F\x8B", "a gzip file"),
        (b"\xFD7zXZ\x00", "an xz file"),
        (b"BZh", "a bzip2 file"),
        (b"\x28\xB5\x2F\xFD", "a zstd file"),
        (b"MSCF\x00\x00\x00\x00", "a cabinet (.cab) file"),
    ];
    if let Some((_, name)) = MAGICS.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(name);
    }
    // tar: "ustar" at offset 257 of the first header block.
    (head.get(257..262) == Some(b"ustar")).then_some("a tar archive")
}

/// The fields of a zip's end-of-central-directory record that decide whether we read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Eocd {
    /// Number of this disk, and of the disk where the central directory starts: both 0 unless
    /// the archive is split into parts.
    disk: u16,
    cd_disk: u16,
}

impl Eocd {
    fn is_split(&self) -> bool {
        self.disk != 0 || self.cd_disk != 0
    }
}

/// Looks for the end-of-central-directory record (`PK\x05\x06`) in the last 64 KiB + 22 bytes,
/// where the zip format puts it (after a comment of at most 65535 bytes). Finding it identifies
/// a zip whose start is not a local header (self-extracting, or junk prepended), and its disk
/// numbers identify the last part of a split archive.
fn find_eocd(r: &mut (impl Read + Seek)) -> std::io::Result<Option<Eocd>> {
    const WINDOW: u64 = 65_535 + 22;
    let len = r.seek(std::io::SeekFrom::End(0))?;
    let start = len.saturating_sub(WINDOW);
    r.seek(std::io::SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    r.take(WINDOW).read_to_end(&mut tail)?;
    // Search backwards: the record nearest the end is the real one (a comment may contain the
    // signature, a record with a comment cannot extend past the end of the file).
    let found = (0..tail.len().saturating_sub(21)).rev().find_map(|i| {
        let rec = tail.get(i..i + 22)?;
        if !rec.starts_with(b"PK\x05\x06") {
            return None;
        }
        let comment_len = usize::from(u16::from_le_bytes([*rec.get(20)?, *rec.get(21)?]));
        if i + 22 + comment_len > tail.len() {
            return None;
        }
        Some(Eocd {
            disk: u16::from_le_bytes([*rec.get(4)?, *rec.get(5)?]),
            cd_disk: u16::from_le_bytes([*rec.get(6)?, *rec.get(7)?]),
        })
    });
    Ok(found)
}

/// Builds a bundle from in-memory zip bytes (tests, fuzzing).
pub fn from_zip_bytes(bytes: &[u8], limits: &Limits) -> Result<Bundle, String> {
    let mut cursor = std::io::Cursor::new(bytes);
    if find_eocd(&mut cursor)
        .ok()
        .flatten()
        .is_some_and(|e| e.is_split())
    {
        return Err(SPLIT_ZIP.into());
    }
    let mut b = read_zip(std::io::Cursor::new(bytes), limits)?;
    b.source = "<memory>".into();
    take_manifest(&mut b, limits);
    Ok(b)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default())? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Moves `manifest.json` out of the file list into `bundle.manifest` (or a problem if invalid).
/// A manifest listing more artifacts than `limits.max_entries` is cut there: each record is
/// matched against every file, so an endless list would stall the analysis.
fn take_manifest(bundle: &mut Bundle, limits: &Limits) {
    let Some(pos) = bundle.files.iter().position(|f| f.path == MANIFEST_PATH) else {
        return;
    };
    let file = bundle.files.remove(pos);
    match serde_json::from_slice::<Manifest>(file.bytes().unwrap_or_default()) {
        Ok(mut m) => {
            if m.artifacts.len() > limits.max_entries {
                bundle.problems.push(InputProblem {
                    path: file.path,
                    message: format!(
                        "the manifest lists {} artifacts; only the first {} are used (raise with --max-entries)",
                        m.artifacts.len(),
                        limits.max_entries
                    ),
                });
                m.artifacts.truncate(limits.max_entries);
            }
            bundle.manifest = Some(m);
        }
        Err(e) => bundle.problems.push(InputProblem {
            path: file.path,
            message: format!("manifest is not valid bundle-v1 JSON ({e}); artifacts are identified by content only"),
        }),
    }
}

/// Turns an entry name into a display label. Backslashes become `/`, drive letters, leading
/// slashes, `.` and `..` components and control characters are dropped: the label is never used
/// to touch the file system, but it is shown to people and matched against manifest paths.
pub fn clean_label(name: &str) -> String {
    let unified: String = name
        .chars()
        .map(|c| if c == '\\' { '/' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    let mut parts = Vec::new();
    for (i, part) in unified.split('/').enumerate() {
        let is_drive = i == 0 && part.len() == 2 && part.ends_with(':');
        if part.is_empty() || part == "." || part == ".." || is_drive {
            continue;
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return "(unnamed)".to_string();
    }
    let joined = parts.join("/");
    if joined.len() <= MAX_LABEL_BYTES {
        return joined;
    }
    let mut cut = MAX_LABEL_BYTES;
    while !joined.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", joined.get(..cut).unwrap_or(""))
}

/// Longest label kept: zip names can be 64 KiB, Windows paths are at most 260 characters.
const MAX_LABEL_BYTES: usize = 300;

/// Why an entry name must not be trusted even as a label, if it must not: it climbs out of
/// the folder it would be extracted to (`..`), is absolute (`/x`, `\\server\x`), names a
/// drive (`C:`), or carries control characters (NUL truncates names in C APIs, escape
/// sequences rewrite terminals). Backslashes alone are fine: Windows' own zip writers (.NET's
/// `ZipFile` before 4.6.1, PowerShell 5's `Compress-Archive`) separate folders with them.
pub fn name_trick(name: &str) -> Option<&'static str> {
    if name.chars().any(char::is_control) {
        return Some("control characters");
    }
    if name.starts_with(['/', '\\']) {
        return Some("an absolute path");
    }
    let mut parts = name.split(['/', '\\']);
    let first = parts.next().unwrap_or("");
    let bytes = first.as_bytes();
    if bytes.len() >= 2
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.get(1) == Some(&b':')
    {
        return Some("a drive letter");
    }
    if first == ".." || parts.any(|p| p == "..") {
        return Some("a `..` component");
    }
    None
}

/// Shows a raw entry name as a bounded, escaped literal for messages.
fn quoted_name(name: &str) -> String {
    let mut q: String = format!("{name:?}");
    if q.len() > 200 {
        let mut cut = 200;
        while !q.is_char_boundary(cut) {
            cut -= 1;
        }
        q.truncate(cut);
        q.push('…');
    }
    q
}

/// An archive inside the input, by magic number. Nested archives are never opened: recursion
/// is how 42.zip turns 42 KB into 4.5 PB, and a bundle never contains one. A customer who zips
/// the collector's zip again (or sends a ticket's attachments as one zip) gets a finding saying
/// which file to analyze on its own.
fn nested_archive(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Some("a zip archive");
    }
    other_archive(bytes)
}

fn read_zip<R: Read + Seek + Send>(reader: R, limits: &Limits) -> Result<Bundle, String> {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let reader = Counting {
        inner: reader,
        count: count.clone(),
    };
    let consumed_total = || count.load(std::sync::atomic::Ordering::Relaxed);
    let open = |reader| {
        zip::ZipArchive::new(reader).map_err(|e| match e {
            zip::result::ZipError::UnsupportedArchive(m) if m.contains("multi-disk") => {
                SPLIT_ZIP.to_string()
            }
            e => format!(
                "not a readable zip ({e}): the archive is damaged or cut short; ask for it again"
            ),
        })
    };
    let zip = open(reader)?;
    let mut bundle = Bundle {
        budget: Budget::new(limits.memory_budget),
        ..Bundle::default()
    };
    if zip.is_empty() {
        return Err("the zip archive is empty".into());
    }
    // The directory as we read it ourselves: every entry with its own verdict (overlap, bogus
    // size, duplicate name). Failing to read it refuses everything: nothing fails open.
    let (dir_start, offset, listed) = (zip.central_directory_start(), zip.offset(), zip.len());
    let mut reader = zip.into_inner();
    let entries = match central_dir::read(
        &mut reader,
        dir_start,
        offset,
        limits.max_entries.saturating_add(1),
    ) {
        Ok(e) => e,
        Err(e) => {
            bundle.problems.push(InputProblem {
                path: "(zip)".into(),
                message: format!(
                    "the central directory cannot be checked for entries sharing data ({e}); \
                     nothing in it is read"
                ),
            });
            return Ok(bundle);
        }
    };
    let mut zip = open(reader)?;
    if entries.len() > limits.max_entries {
        bundle.problems.push(InputProblem {
            path: "(zip)".into(),
            message: format!(
                "the zip has {} entries; only the first {} are read (raise with --max-entries)",
                listed.max(entries.len()),
                limits.max_entries
            ),
        });
    }
    let names: Vec<String> = zip
        .file_names()
        .take(limits.max_entries)
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    let volume = volume_root(names.iter().map(String::as_str));
    let mut guard = InputGuard::new(limits);
    let mut files_seen = 0usize;
    let mut encrypted = 0usize;
    let mut labels = std::collections::HashSet::new();
    // First entries of a repeated name: read last, straight from their local header, because
    // the zip crate holds the last entry's data under that name.
    let mut firsts_of_repeats = Vec::new();
    let repeated: std::collections::HashSet<&[u8]> = entries
        .iter()
        .filter(|e| e.verdict == central_dir::Verdict::Duplicate)
        .map(|e| e.name_raw.as_slice())
        .collect();
    for e in entries.iter().take(limits.max_entries) {
        let raw_name = String::from_utf8_lossy(&e.name_raw).into_owned();
        let label = clean_label(&raw_name);
        if let Some(trick) = name_trick(&raw_name) {
            bundle.problems.push(InputProblem {
                path: label,
                message: format!(
                    "the entry name {} has {trick}, which could write outside the folder it is \
                     extracted to; not read (rdp-analyze never extracts to disk, but such a name \
                     means the archive was tampered with)",
                    quoted_name(&raw_name)
                ),
            });
            continue;
        }
        if raw_name.ends_with('/') {
            continue;
        }
        if let Some(root) = &volume {
            // A zipped Windows volume: only the files a diagnosis reads.
            let wanted = label
                .get(root.len()..)
                .filter(|_| {
                    label
                        .to_ascii_lowercase()
                        .starts_with(&root.to_ascii_lowercase())
                })
                .is_some_and(volume_wants);
            if !wanted {
                continue;
            }
        }
        files_seen += 1;
        match &e.verdict {
            central_dir::Verdict::Refused(why) => {
                bundle.problems.push(InputProblem {
                    path: label,
                    message: why.clone(),
                });
                continue;
            }
            central_dir::Verdict::Duplicate => {
                bundle.problems.push(InputProblem {
                    path: label,
                    message: format!(
                        "a second entry with exactly the same name ({}) in the central \
                         directory; like `unzip`, only the first is analyzed, this one is not \
                         read (a bundle should never hold two: it may show one thing to the \
                         analyzer and another to a person)",
                        quoted_name(&raw_name)
                    ),
                });
                continue;
            }
            central_dir::Verdict::Own => {}
        }
        if e.flags & 1 == 1 {
            encrypted += 1;
            bundle.problems.push(InputProblem {
                path: label,
                message: "the entry is encrypted; ask for the bundle without a password".into(),
            });
            continue;
        }
        if !labels.insert(label.clone()) {
            bundle.problems.push(InputProblem {
                path: label,
                message: format!(
                    "another entry has the same name ({}); only the first one is read",
                    quoted_name(&raw_name)
                ),
            });
            continue;
        }
        if repeated.contains(e.name_raw.as_slice()) {
            firsts_of_repeats.push((e, label));
            continue;
        }
        let Some(index) = zip.index_for_name_raw(&e.name_raw) else {
            bundle.problems.push(InputProblem {
                path: label,
                message: "the zip library does not list this entry; not read".into(),
            });
            continue;
        };
        let start = consumed_total();
        let read = zip
            .by_index(index)
            .map_err(|err| Refusal::Problem(format!("cannot open: {err}")))
            .and_then(|mut entry| {
                guard.read(
                    &mut entry,
                    &label,
                    e.uncompressed,
                    e.compressed,
                    &bundle.budget,
                    || consumed_total().saturating_sub(start),
                )
            });
        guard.keep(&mut bundle, label, read);
    }
    let mut reader = zip.into_inner();
    for (e, label) in firsts_of_repeats {
        let start = consumed_total();
        let read = reader
            .seek(std::io::SeekFrom::Start(e.header_start))
            .map_err(|err| Refusal::Problem(format!("cannot seek to it: {err}")))
            .and_then(|_| {
                zip::read::read_zipfile_from_stream_with_compressed_size(&mut reader, e.compressed)
                    .map_err(|err| Refusal::Problem(format!("cannot open: {err}")))
            })
            .and_then(|entry| {
                let mut entry = entry
                    .ok_or_else(|| Refusal::Problem("no local header where expected".into()))?;
                guard.read(
                    &mut entry,
                    &label,
                    e.uncompressed,
                    e.compressed,
                    &bundle.budget,
                    || consumed_total().saturating_sub(start),
                )
            });
        let read = read.map(|mut b| {
            b.note = Some(
                "the zip holds another entry with this exact name; this is the first, the one \
                 `unzip` extracts"
                    .into(),
            );
            b
        });
        guard.keep(&mut bundle, label, read);
    }
    bundle.machine_keys = volume.as_deref().and_then(|root| {
        listed_machine_keys(&mut bundle.files, root).or_else(|| zipped_machine_keys(&names, root))
    });
    bundle.volume = volume;
    if files_seen > 0 && encrypted == files_seen {
        return Err(
            "every entry of the zip is encrypted (password-protected); ask for the bundle \
             without a password"
                .into(),
        );
    }
    Ok(bundle)
}

/// Counts the bytes read through it: wrapped around the archive file, it tells how much
/// compressed data the decompressor has consumed so far.
struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Below this many inflated bytes an entry is never refused for its own ratio: small files of
/// repeated text (a `.reg` export of empty keys) legitimately compress very well. Small entries
/// are still bounded by the input-wide ratio ([`INPUT_RATIO_FLOOR`]).
const RATIO_FLOOR: u64 = 1 << 20;

/// A zip entry being inflated, refused (a read error, its reason kept in `refused`) past
/// `budget` bytes or beyond `max_ratio` times its compressed size. The ratio is checked as
/// bytes arrive against what the decompressor has consumed so far (`consumed()`, which may
/// run ahead of it by a read buffer, never behind), so neither a lying header nor a long entry
/// gets far: a 10 GB run of zeros is refused after a few MiB, not after the per-entry limit.
/// Both what is read whole and what is streamed into a parser go through it.
struct Inflating<R, F> {
    inner: R,
    budget: u64,
    compressed: u64,
    max_ratio: u64,
    consumed: F,
    /// Bytes handed out so far.
    out: u64,
    /// Why the entry was refused, once it was.
    refused: Option<String>,
    /// The decompressor's own failure (a damaged stream, a bad checksum), once it failed.
    failed: Option<String>,
}

impl<R: Read, F: Fn() -> u64> Inflating<R, F> {
    fn new(inner: R, budget: u64, compressed: u64, max_ratio: u64, consumed: F) -> Self {
        Inflating {
            inner,
            budget,
            compressed,
            max_ratio,
            consumed,
            out: 0,
            refused: None,
            failed: None,
        }
    }

    fn refuse(&mut self, message: String) -> std::io::Error {
        let e = std::io::Error::other(message.clone());
        self.refused = Some(message);
        e
    }
}

impl<R: Read, F: Fn() -> u64> Read for Inflating<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(m) = &self.refused {
            return Err(std::io::Error::other(m.clone()));
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                self.failed = Some(e.to_string());
                return Err(e);
            }
        };
        let len = self.out + n as u64;
        let (budget, max_ratio) = (self.budget, self.max_ratio);
        if len > budget {
            return Err(self.refuse(format!(
                "entry inflates past the limit of {budget} bytes; refused (raise with --max-entry-mib / --max-total-mib)"
            )));
        }
        let declared_cap = self.compressed.saturating_mul(max_ratio).max(RATIO_FLOOR);
        let so_far_cap = (self.consumed)().saturating_mul(max_ratio).max(RATIO_FLOOR);
        if len > declared_cap || len > so_far_cap {
            let read = (self.consumed)().min(self.compressed);
            return Err(self.refuse(format!(
                "entry inflates more than {max_ratio}:1 ({len} bytes out of at most {read} \
                 compressed bytes so far); refused as a likely zip bomb (raise with --max-ratio)"
            )));
        }
        self.out = len;
        Ok(n)
    }
}

// ------------------------------------------------------------------ Windows volumes

/// Event logs read from a Windows volume (`Windows/System32/winevt/Logs`): those the checks
/// read, by the names Windows gives them (`/` in a channel name is `%4`).
const VOLUME_EVENT_LOGS: &[&str] = &[
    "security.evtx",
    "system.evtx",
    "microsoft-windows-terminalservices-remoteconnectionmanager%4operational.evtx",
    "microsoft-windows-terminalservices-remoteconnectionmanager%4admin.evtx",
    "microsoft-windows-terminalservices-localsessionmanager%4operational.evtx",
    "microsoft-windows-remotedesktopservices-rdpcorets%4operational.evtx",
    "application.evtx",
    "microsoft-windows-ntlm%4operational.evtx",
];

/// Hives read from `Windows/System32/config`, with their transaction logs.
const VOLUME_HIVES: &[&str] = &["system", "software"];

const CONFIG_DIR: &str = "windows/system32/config/";
const MACHINE_KEYS_DIR: &str = "programdata/microsoft/crypto/rsa/machinekeys/";

/// Most key file names listed from MachineKeys (a server has a few hundred).
const MAX_MACHINE_KEYS: usize = 10_000;
const LOGS_DIR: &str = "windows/system32/winevt/logs/";

/// Whether `rel` (a `/`-separated path below a volume's root) is a file the diagnoses read:
/// the SYSTEM and SOFTWARE hives with their logs, and the RDP-related event logs. Everything
/// else on a volume (hundreds of thousands of files) is left alone.
pub fn volume_wants(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    if let Some(name) = lower.strip_prefix(CONFIG_DIR) {
        let stem = [".log1", ".log2", ".log"]
            .iter()
            .find_map(|ext| name.strip_suffix(ext))
            .unwrap_or(name);
        return VOLUME_HIVES.contains(&stem);
    }
    if let Some(name) = lower.strip_prefix(LOGS_DIR) {
        return VOLUME_EVENT_LOGS.contains(&name);
    }
    false
}

/// The volume root inside a list of `/`-separated names, if one of them is a SYSTEM or
/// SOFTWARE hive at `<root>Windows/System32/config/`: `""` at the top, or the folder the
/// volume was zipped in (`C/`).
fn volume_root<'a>(names: impl Iterator<Item = &'a str>) -> Option<String> {
    names
        .filter_map(|n| {
            let lower = n.replace('\\', "/").to_ascii_lowercase();
            let at = lower.find(CONFIG_DIR)?;
            let hive = lower.get(at + CONFIG_DIR.len()..)?;
            let root = lower.get(..at)?;
            (VOLUME_HIVES.contains(&hive) && (root.is_empty() || root.ends_with('/')))
                .then(|| clean_label(n.get(..at).unwrap_or("")))
                .map(|r| {
                    if r == "(unnamed)" {
                        String::new()
                    } else {
                        format!("{r}/")
                    }
                })
        })
        .min_by_key(String::len)
}

/// A child of `dir` named `name` in any letter case (volumes mounted from NTFS keep Windows'
/// case: `Windows/System32/config`, `winevt/Logs`).
fn child_ci(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| e.path())
}

/// Reads the files a diagnosis needs from a folder laid out as a Windows volume (a mounted
/// disk, or a copy of its folders), or `None` when `root` is not one.
fn read_volume(root: &Path, limits: &Limits) -> Option<Bundle> {
    let mut bundle = read_volume_at(root, root, limits).or_else(|| {
        // The volume one folder down (a folder holding the copy of a drive, `case/C/...`).
        let mut subdirs: Vec<_> = fs::read_dir(root)
            .ok()?
            .filter_map(Result::ok)
            .take(64)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        subdirs.sort();
        subdirs
            .iter()
            .find_map(|sub| read_volume_at(root, sub, limits))
    })?;
    bundle.files.sort_by(|a, b| a.path.cmp(&b.path));
    Some(bundle)
}

/// [`read_volume`] of the volume at `volume`, labels relative to the input's `root`.
fn read_volume_at(root: &Path, volume: &Path, limits: &Limits) -> Option<Bundle> {
    let system32 = child_ci(&child_ci(volume, "Windows")?, "System32")?;
    let config = child_ci(&system32, "config")?;
    let prefix = if volume == root {
        String::new()
    } else {
        format!("{}/", rel_label(root, volume))
    };
    let mut bundle = Bundle {
        volume: Some(prefix.clone()),
        ..Bundle::default()
    };
    let mut total = 0u64;
    let mut found_hive = false;
    let logs = child_ci(&system32, "winevt").and_then(|w| child_ci(&w, "Logs"));
    for dir in [Some(config), logs].into_iter().flatten() {
        let Ok(entries) = fs::read_dir(&dir) else {
            bundle.problems.push(InputProblem {
                path: rel_label(root, &dir),
                message: "cannot list folder".into(),
            });
            continue;
        };
        let mut entries: Vec<_> = entries
            .filter_map(Result::ok)
            .take(limits.max_entries)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let label = rel_label(root, &path);
            let Some(rel) = label.get(prefix.len()..).filter(|r| volume_wants(r)) else {
                continue;
            };
            found_hive |= rel.to_ascii_lowercase().starts_with(CONFIG_DIR);
            read_one(&mut bundle, &path, label, limits, &mut total);
        }
    }
    // An extracted `rdp-collect --offline` bundle: its manifest and MachineKeys listing.
    let manifest = root.join(MANIFEST_PATH);
    if manifest.is_file() {
        read_one(
            &mut bundle,
            &manifest,
            MANIFEST_PATH.into(),
            limits,
            &mut total,
        );
    }
    let listing = volume.join(KEYS_LISTING);
    if listing.is_file() {
        let label = rel_label(root, &listing);
        read_one(&mut bundle, &listing, label, limits, &mut total);
        if let Some(keys) = listed_machine_keys(&mut bundle.files, &prefix) {
            bundle.machine_keys = Some(keys);
            return found_hive.then_some(bundle);
        }
    }
    let keys = ["ProgramData", "Microsoft", "Crypto", "RSA", "MachineKeys"]
        .iter()
        .try_fold(volume.to_path_buf(), |dir, name| child_ci(&dir, name));
    if let Some(dir) = keys {
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .take(MAX_MACHINE_KEYS)
                    .map(|e| clean_label(&e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        bundle.machine_keys = Some((rel_label(root, &dir), names));
    }
    found_hive.then_some(bundle)
}

/// Where `rdp-collect --offline` lists the MachineKeys file names (one a line), below the
/// volume's root in the zip.
const KEYS_LISTING: &str = "ProgramData/Microsoft/Crypto/RSA/MachineKeys.listing.txt";

/// Takes the collector's MachineKeys listing out of the files, as the folder's label and names.
fn listed_machine_keys(files: &mut Vec<InputFile>, root: &str) -> Option<(String, Vec<String>)> {
    let want = format!("{root}{KEYS_LISTING}");
    let at = files
        .iter()
        .position(|f| f.path.eq_ignore_ascii_case(&want))?;
    let file = files.remove(at);
    let names: Vec<String> = String::from_utf8_lossy(file.bytes().unwrap_or_default())
        .lines()
        .map(|l| clean_label(l.trim()))
        .filter(|l| l != "(unnamed)")
        .take(MAX_MACHINE_KEYS)
        .collect();
    Some((
        format!("{root}ProgramData/Microsoft/Crypto/RSA/MachineKeys"),
        names,
    ))
}

/// The MachineKeys listing of a zipped volume: the names of the entries in that folder.
fn zipped_machine_keys(names: &[String], root: &str) -> Option<(String, Vec<String>)> {
    let prefix = format!("{}{MACHINE_KEYS_DIR}", root.to_ascii_lowercase());
    let mut found = false;
    let mut keys: Vec<String> = names
        .iter()
        .filter_map(|n| {
            let label = clean_label(n);
            let rest = label
                .to_ascii_lowercase()
                .strip_prefix(&prefix)
                .map(str::len)?;
            found = true;
            let name = label.get(label.len() - rest..)?;
            (!name.is_empty() && !name.contains('/')).then(|| name.to_string())
        })
        .take(MAX_MACHINE_KEYS)
        .collect();
    keys.sort();
    let folder = names.iter().any(|n| {
        let l = clean_label(n).to_ascii_lowercase();
        l == prefix.trim_end_matches('/')
    });
    (found || folder).then(|| {
        (
            format!("{root}{}", "ProgramData/Microsoft/Crypto/RSA/MachineKeys"),
            keys,
        )
    })
}

/// Reads one regular file into `bundle` within the limits (a symbolic link is not followed).
fn read_one(bundle: &mut Bundle, path: &Path, label: String, limits: &Limits, total: &mut u64) {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            bundle.problems.push(InputProblem {
                path: label,
                message: format!("its metadata cannot be read ({e}); not read"),
            });
            return;
        }
    };
    if let Some(what) = not_a_file(&meta) {
        bundle.problems.push(InputProblem {
            path: label,
            message: what.into(),
        });
        return;
    }
    if !meta.is_file() {
        return;
    }
    let cap = limits
        .max_entry_bytes
        .min(limits.max_total_bytes.saturating_sub(*total));
    if let Some(len) = read_plain_file(bundle, label, path, meta.len(), cap, true) {
        *total += len;
    }
}

/// Below this many inflated bytes for the whole input, the input-wide ratio is not applied: a
/// bundle of a few small, very compressible files is honest. Past it, everything inflated from
/// the input (refused entries included) must stay within `max_ratio` times the compressed
/// bytes consumed, so many entries under [`RATIO_FLOOR`] cannot add up to a bomb.
const INPUT_RATIO_FLOOR: u64 = 8 << 20;

/// Bytes inflated before the kind of an entry is judged for the budget.
const HEAD: usize = 64 * 1024;

/// Why an entry was not kept.
#[derive(Debug)]
enum Refusal {
    /// Becomes an [`InputProblem`] (RDP900).
    Problem(String),
    /// Left out by the memory budget, after `seen` bytes.
    OverBudget { kind: Kind, seen: u64 },
}

/// An entry's content, with what the budget judged it to be: bytes held in memory (charged to
/// the budget), or an event log parsed as it inflated (bounded by the stream and the event
/// caps, not charged).
struct Kept {
    source: Source,
    kind: Kind,
    note: Option<String>,
}

/// The guards that span one input: bytes read against `--max-total-mib`, bytes inflated
/// against the input-wide ratio, and (through the bundle's [`Budget`]) memory.
struct InputGuard<'l> {
    limits: &'l Limits,
    /// Bytes kept (the total limit).
    total: u64,
    /// Bytes inflated, kept or not (the input-wide ratio).
    inflated: u64,
    /// Compressed sizes of the entries started so far (the input-wide ratio's denominator):
    /// the central directory's sizes, which [`central_dir`] has checked do not overlap, rather
    /// than the bytes read through the file, which read buffers and headers inflate.
    compressed: u64,
}

impl<'l> InputGuard<'l> {
    fn new(limits: &'l Limits) -> Self {
        InputGuard {
            limits,
            total: 0,
            inflated: 0,
            compressed: 0,
        }
    }

    /// The most bytes the next entry may inflate to, and the refusal to give when it declares
    /// more: an event log is still opened (it is streamed, never held), anything else is
    /// refused before it is inflated.
    fn cap(&self, declared: u64) -> (u64, Option<String>) {
        let cap = self
            .limits
            .max_entry_bytes
            .min(self.limits.max_total_bytes.saturating_sub(self.total));
        let over = (declared > cap).then(|| {
            format!(
                "entry declares {declared} bytes, over the limit of {cap} bytes (raise with --max-entry-mib / --max-total-mib)"
            )
        });
        (cap, over)
    }

    /// Inflates an entry within the size limits left for it ([`InputGuard::cap`] of the
    /// `declared` size; an event log is streamed past them), its own ratio, the input-wide ratio
    /// and the memory budget. The ratios are checked as bytes arrive against what the decompressor has
    /// consumed so far (`consumed()` gives this entry's count, which may run ahead of it by a
    /// read buffer, never behind), so neither a lying header nor a long
    /// entry gets far: a 10 GB run of zeros is refused after a few MiB. The entry's kind is
    /// judged from its first [`HEAD`] bytes; past its room in the budget it stops inflating.
    fn read(
        &mut self,
        r: &mut (impl Read + Send),
        label: &str,
        declared: u64,
        compressed: u64,
        budget: &Budget,
        consumed: impl Fn() -> u64 + Send,
    ) -> Result<Kept, Refusal> {
        let (cap, over) = self.cap(declared);
        let max_ratio = self.limits.max_ratio;
        let before = self.compressed;
        self.compressed = self.compressed.saturating_add(compressed);
        let declared_cap = compressed.max(1).saturating_mul(max_ratio).max(RATIO_FLOOR);
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut judged: Option<(Kind, u64)> = None;
        loop {
            let n = r
                .read(&mut buf)
                .map_err(|e| Refusal::Problem(format!("cannot decompress: {e}")))?;
            let chunk = buf.get(..n).unwrap_or_default();
            let len = out.len() as u64 + n as u64;
            self.inflated = self.inflated.saturating_add(n as u64);
            if n > 0 && len > cap {
                return Err(Refusal::Problem(format!(
                    "entry inflates past the limit of {cap} bytes; refused (raise with --max-entry-mib / --max-total-mib)"
                )));
            }
            let entry_consumed = consumed();
            let input_consumed = before.saturating_add(entry_consumed.min(compressed));
            let so_far_cap = entry_consumed.saturating_mul(max_ratio).max(RATIO_FLOOR);
            if len > declared_cap || len > so_far_cap {
                return Err(Refusal::Problem(format!(
                    "entry inflates more than {max_ratio}:1 ({len} bytes out of at most {} \
                     compressed bytes so far); refused as a likely zip bomb (raise with --max-ratio)",
                    entry_consumed.min(compressed)
                )));
            }
            let input_cap = input_consumed
                .saturating_mul(max_ratio)
                .max(INPUT_RATIO_FLOOR);
            if self.inflated > input_cap {
                return Err(Refusal::Problem(format!(
                    "the zip as a whole inflates more than {max_ratio}:1 ({} bytes out of {input_consumed} \
                     compressed bytes so far, many entries each small enough to pass alone); this \
                     entry and any like it are refused as a likely zip bomb (raise with --max-ratio)",
                    self.inflated
                )));
            }
            out.extend_from_slice(chunk);
            if judged.is_none() && (n == 0 || out.len() >= 8) && evtx::sniff(&out) {
                return Ok(self.stream_event_log(out, r, declared, compressed, consumed));
            }
            if let Some(over) = &over {
                return Err(Refusal::Problem(over.clone()));
            }
            if judged.is_none() && (n == 0 || out.len() >= HEAD) {
                let kind = budget::kind_of_head(label, out.get(..HEAD).unwrap_or(&out));
                judged = Some((kind, budget.room_for(kind)));
            }
            if let Some((kind, room)) = judged {
                if out.len() as u64 > room {
                    return Err(Refusal::OverBudget {
                        kind,
                        seen: out.len() as u64,
                    });
                }
                if n == 0 {
                    self.total += out.len() as u64;
                    return Ok(Kept {
                        source: Source::Bytes(out),
                        kind,
                        note: None,
                    });
                }
            }
        }
    }

    /// An event log entry whose first bytes are `head`: the rest is inflated as a stream
    /// straight into the event parser (which parses chunks on the pool while this thread
    /// inflates), under the entry's inflate ratio; the size limits and the budget do not apply,
    /// as it is never held. A stream that breaks part way keeps the events read before the
    /// break, with a note naming it.
    fn stream_event_log(
        &mut self,
        head: Vec<u8>,
        r: &mut (impl Read + Send),
        declared: u64,
        compressed: u64,
        consumed: impl Fn() -> u64 + Send,
    ) -> Kept {
        let already = head.len() as u64;
        let mut guarded = Inflating::new(r, u64::MAX, compressed, self.limits.max_ratio, consumed);
        let stream = std::io::Read::chain(std::io::Cursor::new(head), &mut guarded);
        let log = crate::parse::identify::parse_event_stream(stream, Some(declared));
        self.inflated = self.inflated.saturating_add(guarded.out);
        let note = match (guarded.refused.take(), guarded.failed.take()) {
            (Some(refused), _) => Some(format!(
                "{refused}; the event log is analyzed up to byte {}",
                already + guarded.out
            )),
            (None, Some(failed)) => Some(format!(
                "cannot decompress past byte {}: {failed}; the event log is analyzed up to there",
                already + guarded.out
            )),
            (None, None) => None,
        };
        Kept {
            source: Source::ParsedEvents(Box::new(log)),
            kind: Kind::Evtx,
            note,
        }
    }

    /// Files what [`InputGuard::read`] returned: a kept entry (unless it is an archive), a
    /// problem, or a file left out by the budget.
    fn keep(&self, bundle: &mut Bundle, label: String, read: Result<Kept, Refusal>) {
        match read {
            Ok(kept) => {
                if let Source::Bytes(bytes) = &kept.source {
                    if let Some(kind) = nested_archive(bytes) {
                        bundle.problems.push(InputProblem {
                            path: label,
                            message: format!(
                                "{kind} inside the input; nested archives are not opened: \
                                 extract it and analyze it on its own"
                            ),
                        });
                        return;
                    }
                    bundle.budget.charge(kept.kind, bytes.len() as u64);
                }
                if let Some(note) = kept.note {
                    bundle.problems.push(InputProblem {
                        path: label.clone(),
                        message: note,
                    });
                }
                bundle.files.push(InputFile {
                    path: label,
                    source: kept.source,
                });
            }
            Err(Refusal::Problem(message)) => bundle.problems.push(InputProblem {
                path: label,
                message,
            }),
            Err(Refusal::OverBudget { kind, seen }) => {
                let problem = bundle.budget.leave_out(label, kind, seen, true);
                bundle.problems.push(problem);
            }
        }
    }
}

fn read_folder(root: &Path, limits: &Limits) -> Bundle {
    if let Some(volume) = read_volume(root, limits) {
        return volume;
    }
    let mut bundle = Bundle {
        budget: Budget::new(limits.memory_budget),
        ..Bundle::default()
    };
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    let mut total = 0u64;
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                bundle.problems.push(InputProblem {
                    path: rel_label(root, &dir),
                    message: format!("cannot list folder: {e}"),
                });
                continue;
            }
        };
        // One more than the limit is enough to know it is exceeded; a folder of millions of
        // files is not listed into memory.
        let mut listed = Vec::new();
        for entry in entries.take(limits.max_entries.saturating_add(1)) {
            match entry {
                Ok(e) => listed.push(e),
                Err(e) => bundle.problems.push(InputProblem {
                    path: rel_label(root, &dir),
                    message: format!("an entry of this folder cannot be listed ({e}); not read"),
                }),
            }
        }
        listed.sort_by_key(|e| e.file_name());
        for entry in listed {
            let path = entry.path();
            seen += 1;
            if seen > limits.max_entries {
                bundle.problems.push(InputProblem {
                    path: rel_label(root, root),
                    message: format!(
                        "more than {} files and folders; the rest are not read (raise with --max-entries)",
                        limits.max_entries
                    ),
                });
                bundle.files.sort_by(|a, b| a.path.cmp(&b.path));
                return bundle;
            }
            let label = rel_label(root, &path);
            // symlink_metadata: a link is never followed out of the folder.
            let meta = match fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    bundle.problems.push(InputProblem {
                        path: label,
                        message: format!("its metadata cannot be read ({e}); not read"),
                    });
                    continue;
                }
            };
            if let Some(what) = not_a_file(&meta) {
                bundle.problems.push(InputProblem {
                    path: label,
                    message: what.into(),
                });
                continue;
            }
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            read_one(&mut bundle, &path, label, limits, &mut total);
        }
    }
    bundle.files.sort_by(|a, b| a.path.cmp(&b.path));
    bundle
}

/// Why a folder entry that is not a plain file or folder is not read, as the finding says it.
fn not_a_file(meta: &fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_symlink() {
        return Some("a symbolic link; not followed (it could point anywhere on this machine)");
    }
    if t.is_dir() || t.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some(
                "a named pipe (FIFO), not a file; not read (reading it could block forever)",
            );
        }
        if t.is_socket() {
            return Some("a socket, not a file; not read");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device, not a file; not read");
        }
    }
    Some("neither a file nor a folder; not read")
}

/// Reads one plain file of a folder (or the single-file input) within `cap` bytes and the
/// memory budget: its kind is judged from its first bytes, and a file whose size times its
/// kind's factor exceeds what is left of the budget is left out without reading the rest.
/// Returns the bytes kept.
fn read_plain_file(
    bundle: &mut Bundle,
    label: String,
    path: &Path,
    size: u64,
    cap: u64,
    in_folder: bool,
) -> Option<u64> {
    let read = fs::File::open(path).and_then(|f| {
        let mut f = f.take(cap.saturating_add(1));
        let mut head = vec![0u8; HEAD];
        let n = read_up_to(&mut f, &mut head)?;
        head.truncate(n);
        Ok((f, head))
    });
    let (mut rest, mut bytes) = match read {
        Ok(x) => x,
        Err(e) => {
            bundle.problems.push(InputProblem {
                path: label,
                message: format!("cannot read: {e}"),
            });
            return None;
        }
    };
    if evtx::sniff(&bytes) {
        // An event log stays on disk and is read in chunks when parsed: neither the size
        // limits nor the budget apply, as it is never held whole.
        bundle.files.push(InputFile {
            path: label,
            source: Source::EventLogFile {
                path: path.to_path_buf(),
                len: size,
            },
        });
        return Some(0);
    }
    if size > cap {
        bundle.problems.push(InputProblem {
            path: label,
            message: format!("{size} bytes, over the limit of {cap} bytes"),
        });
        return None;
    }
    let kind = budget::kind_of_head(&label, &bytes);
    let room = bundle.budget.room_for(kind);
    if size.max(bytes.len() as u64) > room {
        let problem = bundle.budget.leave_out(label, kind, size, false);
        bundle.problems.push(problem);
        return None;
    }
    // A file that grows while read stops at its room in the budget too.
    let mut rest = (&mut rest).take(room.saturating_add(1).saturating_sub(bytes.len() as u64));
    if let Err(e) = rest.read_to_end(&mut bytes) {
        bundle.problems.push(InputProblem {
            path: label,
            message: format!("cannot read: {e}"),
        });
        return None;
    }
    let len = bytes.len() as u64;
    if len > cap {
        bundle.problems.push(InputProblem {
            path: label,
            message: format!("grew past the limit of {cap} bytes while being read"),
        });
        return None;
    }
    if len > room {
        let problem = bundle.budget.leave_out(label, kind, len, true);
        bundle.problems.push(problem);
        return None;
    }
    if in_folder {
        if let Some(archive) = nested_archive(&bytes) {
            bundle.problems.push(InputProblem {
                path: label,
                message: format!(
                    "{archive} inside the folder; archives in a folder are not opened: analyze \
                     it on its own"
                ),
            });
            return None;
        }
    }
    bundle.budget.charge(kind, len);
    bundle.files.push(InputFile::in_memory(label, bytes));
    Some(len)
}

fn read_single_file(path: &Path, limits: &Limits) -> Bundle {
    let mut bundle = Bundle {
        budget: Budget::new(limits.memory_budget),
        ..Bundle::default()
    };
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "(input)".into());
    let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    read_plain_file(
        &mut bundle,
        label,
        path,
        size,
        limits.max_entry_bytes,
        false,
    );
    bundle
}

fn rel_label(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if s.is_empty() {
        root.display().to_string()
    } else {
        clean_label(&s.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn labels_never_escape() {
        assert_eq!(clean_label("../../etc/passwd"), "etc/passwd");
        assert_eq!(
            clean_label(r"C:\Windows\System32\x.txt"),
            "Windows/System32/x.txt"
        );
        assert_eq!(clean_label("/abs/path"), "abs/path");
        assert_eq!(clean_label("a/./b\0c"), "a/bc");
        assert_eq!(clean_label(".."), "(unnamed)");
    }

    #[test]
    fn zip_entries_are_read_and_manifest_taken() {
        let z = zip_of(&[
            ("commands/netstat-ano.txt", b"Active Connections"),
            ("manifest.json", b"{bad"),
        ]);
        let b = from_zip_bytes(&z, &Limits::default()).unwrap();
        assert_eq!(b.files.len(), 1);
        assert!(b.manifest.is_none());
        assert!(b
            .problems
            .iter()
            .any(|p| p.path == "manifest.json" && p.message.contains("not valid")));
    }

    #[test]
    fn zip_bomb_entry_is_refused_by_ratio() {
        let zeros = vec![0u8; 50 << 20];
        let z = zip_of(&[("bomb.bin", &zeros), ("ok.txt", b"hello")]);
        assert!(z.len() < 1 << 20, "deflated zeros are small");
        let b = from_zip_bytes(&z, &Limits::default()).unwrap();
        assert_eq!(b.files.len(), 1, "the good entry is still read");
        assert!(b
            .problems
            .iter()
            .any(|p| p.path == "bomb.bin" && p.message.contains("zip bomb")));
    }

    #[test]
    fn per_entry_limit_is_enforced() {
        let z = zip_of(&[("big.txt", &[b'a'; 4096])]);
        let limits = Limits {
            max_entry_bytes: 1000,
            ..Limits::default()
        };
        let b = from_zip_bytes(&z, &limits).unwrap();
        assert!(b.files.is_empty());
        assert!(b.problems[0].message.contains("limit"));
    }

    #[test]
    fn name_tricks_are_named() {
        assert_eq!(name_trick("commands/netstat-ano.txt"), None);
        assert_eq!(name_trick(r"registry\lsa.reg"), None);
        assert_eq!(name_trick("notes/a..b.txt"), None);
        assert_eq!(name_trick("../x"), Some("a `..` component"));
        assert_eq!(name_trick(r"a\..\..\x"), Some("a `..` component"));
        assert_eq!(name_trick("/etc/passwd"), Some("an absolute path"));
        assert_eq!(name_trick(r"\\server\share"), Some("an absolute path"));
        assert_eq!(name_trick(r"C:\Windows\x.dll"), Some("a drive letter"));
        assert_eq!(name_trick("c:x"), Some("a drive letter"));
        assert_eq!(name_trick("a\0b"), Some("control characters"));
    }

    #[test]
    fn labels_are_bounded() {
        let long = "a/".repeat(1000) + "é";
        let label = clean_label(&long);
        assert!(label.len() <= MAX_LABEL_BYTES + '…'.len_utf8());
        assert!(label.ends_with('…'));
    }

    #[test]
    fn other_archives_and_nested_zips_are_recognized() {
        assert_eq!(
            other_archive(b"7z\xBC\xAF\x27\x1C\0\x04"),
            Some("a 7-Zip archive")
        );
        assert_eq!(other_archive(b"\x1F\x8B\x08"), Some("a gzip file"));
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(other_archive(&tar), Some("a tar archive"));
        assert_eq!(other_archive(b"Windows Registry Editor"), None);
        assert_eq!(
            nested_archive(&zip_of(&[("a", b"b")])),
            Some("a zip archive")
        );
    }

    #[test]
    fn end_record_is_found_past_prefixes_and_comments() {
        let z = zip_of(&[("a.txt", b"hello")]);
        let found = |bytes: &[u8]| find_eocd(&mut std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            found(&z),
            Some(Eocd {
                disk: 0,
                cd_disk: 0
            })
        );
        // A self-extractor stub in front: still found (and the zip crate reads it).
        let mut sfx = b"MZ\x90\0 stub".repeat(100);
        sfx.extend_from_slice(&z);
        assert!(found(&sfx).is_some());
        assert_eq!(
            from_zip_bytes(&sfx, &Limits::default())
                .unwrap()
                .files
                .len(),
            1
        );
        // The last part of a split archive: disk numbers are not 0.
        let mut split = z.clone();
        let at = split.len() - 22;
        split[at + 4] = 2;
        split[at + 6] = 2;
        assert!(found(&split).unwrap().is_split());
        assert!(from_zip_bytes(&split, &Limits::default())
            .unwrap_err()
            .contains("split"));
        assert_eq!(found(b"no zip here"), None);
        assert_eq!(found(b""), None);
    }

    #[test]
    fn an_overlong_manifest_is_cut_at_the_entry_limit() {
        let rec = r#"{"path":"x","producer":"p","status":"ok","duration_ms":1,"size":0}"#;
        let manifest = format!(
            r#"{{"format_version":1,"collector":"rdp-collect","collector_version":"0","host_name":"H",
            "os":{{}},"started_utc":"","finished_utc":"","elevated":true,"options":[],"artifacts":[{}]}}"#,
            vec![rec; 50].join(",")
        );
        let z = zip_of(&[("manifest.json", manifest.as_bytes())]);
        let limits = Limits {
            max_entries: 10,
            ..Limits::default()
        };
        let b = from_zip_bytes(&z, &limits).unwrap();
        assert_eq!(b.manifest.map(|m| m.artifacts.len()), Some(10));
        assert!(
            b.problems[0].message.contains("50 artifacts"),
            "{:?}",
            b.problems
        );
    }

    #[test]
    fn a_windows_volume_is_recognized_and_only_its_evidence_read() {
        assert!(volume_wants("Windows/System32/config/SYSTEM"));
        assert!(volume_wants("WINDOWS/system32/CONFIG/software.LOG2"));
        assert!(volume_wants(
            "Windows/System32/winevt/Logs/Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx"
        ));
        assert!(!volume_wants("Windows/System32/config/SAM"));
        assert!(volume_wants(
            "Windows/System32/winevt/Logs/Application.evtx"
        ));
        assert!(!volume_wants(
            "Windows/System32/winevt/Logs/Microsoft-Windows-PowerShell%4Operational.evtx"
        ));
        assert!(!volume_wants("Users/jdoe/NTUSER.DAT"));
        let names = ["C/Windows/System32/config/SYSTEM", "C/Users/x.txt"];
        assert_eq!(volume_root(names.into_iter()), Some("C/".to_string()));
        assert_eq!(
            volume_root(["Windows\\System32\\config\\SOFTWARE"].into_iter()),
            Some(String::new())
        );
        assert_eq!(
            volume_root(["registry/terminal-server.reg"].into_iter()),
            None
        );
        // A zipped volume: the hive is read, the rest of the volume is not.
        let z = zip_of(&[
            ("C/Windows/System32/config/SYSTEM", b"regf"),
            ("C/Windows/System32/config/SAM", b"regf"),
            ("C/Users/jdoe/Desktop/notes.txt", b"hello"),
        ]);
        let b = from_zip_bytes(&z, &Limits::default()).unwrap();
        assert_eq!(b.volume.as_deref(), Some("C/"));
        let paths: Vec<&str> = b.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["C/Windows/System32/config/SYSTEM"]);
    }

    #[test]
    fn a_volume_folder_is_read_for_its_evidence_only() {
        let root = std::env::temp_dir().join(format!("rdp-vol-test-{}", std::process::id()));
        let vol = root.join("C");
        let _ = fs::remove_dir_all(&root);
        for (p, b) in [
            ("WINDOWS/System32/config/SYSTEM", &b"regf"[..]),
            ("WINDOWS/System32/config/SYSTEM.LOG1", b"regf"),
            ("WINDOWS/System32/config/SAM", b"regf"),
            ("WINDOWS/System32/winevt/Logs/Security.evtx", b"ElfFile"),
            (
                "WINDOWS/System32/winevt/Logs/Microsoft-Windows-PowerShell%4Operational.evtx",
                b"ElfFile",
            ),
            (
                "ProgramData/Microsoft/Crypto/RSA/MachineKeys/f686aace_x",
                b"k",
            ),
            ("Users/jdoe/secret.txt", b"no"),
        ] {
            let f = vol.join(p);
            fs::create_dir_all(f.parent().unwrap()).unwrap();
            fs::write(f, b).unwrap();
        }
        // The volume one folder down is found too; labels stay relative to the input.
        for (input, prefix) in [(&vol, ""), (&root, "C/")] {
            let b = read_folder(input, &Limits::default());
            assert_eq!(b.volume.as_deref(), Some(prefix));
            let paths: Vec<&str> = b.files.iter().map(|f| f.path.as_str()).collect();
            let want: Vec<String> = [
                "WINDOWS/System32/config/SYSTEM",
                "WINDOWS/System32/config/SYSTEM.LOG1",
                "WINDOWS/System32/winevt/Logs/Security.evtx",
            ]
            .iter()
            .map(|p| format!("{prefix}{p}"))
            .collect();
            assert_eq!(paths, want);
            let (folder, names) = b.machine_keys.unwrap();
            assert_eq!(
                folder,
                format!("{prefix}ProgramData/Microsoft/Crypto/RSA/MachineKeys")
            );
            assert_eq!(names, ["f686aace_x"]);
        }
        fs::remove_dir_all(&root).unwrap();

        // An extracted `rdp-collect --offline` bundle keeps its manifest and key listing.
        let root = std::env::temp_dir().join(format!("rdp-offbundle-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for (p, b) in [
            ("manifest.json", &b"{}"[..]),
            ("offline/Windows/System32/config/SOFTWARE", b"regf"),
            (
                "offline/ProgramData/Microsoft/Crypto/RSA/MachineKeys.listing.txt",
                b"a_1\r\nf686aace6942fb7f7ceb231212eef4a4_2\r\n",
            ),
        ] {
            let f = root.join(p);
            fs::create_dir_all(f.parent().unwrap()).unwrap();
            fs::write(f, b).unwrap();
        }
        let b = read_folder(&root, &Limits::default());
        assert_eq!(b.volume.as_deref(), Some("offline/"));
        let paths: Vec<&str> = b.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["manifest.json", "offline/Windows/System32/config/SOFTWARE"]
        );
        assert_eq!(b.machine_keys.unwrap().1.len(), 2);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn garbage_is_not_a_zip() {
        assert!(from_zip_bytes(b"PK\x03\x04garbage", &Limits::default()).is_err());
    }
}

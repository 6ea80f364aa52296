//! Reading what a customer sent: a collector zip, any zip of loose files, a folder, or one file.
//!
//! Everything here treats the input as hostile. Entry names are only ever used as labels (never
//! as file-system paths), and every read is bounded: entry count, bytes per entry, total bytes and
//! the inflate ratio, so a zip bomb is refused in bounded time and memory. A refused or unreadable
//! entry becomes an [`InputProblem`] and the rest of the input is still read.

use rdp_collect::bundle::{Manifest, MANIFEST_PATH};
use std::fs;
use std::io::{Read, Seek};
use std::path::Path;

/// Bounds on what is read from an input. Defaults suit real bundles: a Security log of a busy
/// server can be 1 GiB, everything else is small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single file (inflated), in bytes.
    pub max_entry_bytes: u64,
    /// Largest total of all files read, in bytes.
    pub max_total_bytes: u64,
    /// Most entries considered in a zip or folder.
    pub max_entries: usize,
    /// Highest inflated/compressed ratio accepted for entries over 1 MiB (zeros deflate ~1000:1,
    /// event logs about 10:1).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entry_bytes: 2 << 30,
            max_total_bytes: 4 << 30,
            max_entries: 10_000,
            max_ratio: 200,
        }
    }
}

/// One file of the input, read into memory.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Label: the `/`-separated path inside the zip or below the folder, cleaned for display.
    pub path: String,
    pub bytes: Vec<u8>,
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
    let mut bundle = if meta.is_dir() {
        read_folder(path, limits)
    } else {
        let mut file = fs::File::open(path).map_err(|e| BundleError::Io {
            path: label.clone(),
            source: e,
        })?;
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut file, &mut magic).map_err(|e| BundleError::Io {
            path: label.clone(),
            source: e,
        })?;
        file.rewind().map_err(|e| BundleError::Io {
            path: label.clone(),
            source: e,
        })?;
        if n == 4 && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06") {
            read_zip(file, limits).map_err(|message| BundleError::NotAnInput {
                path: label.clone(),
                message,
            })?
        } else if n >= 2 && magic[..2] == *b"PK" {
            return Err(BundleError::NotAnInput {
                path: label,
                message: "a split or spanned zip (PK signature but no local header); send the \
                          archive as one file"
                    .into(),
            });
        } else {
            read_single_file(path, file, limits)
        }
    };
    bundle.source = label;
    take_manifest(&mut bundle);
    Ok(bundle)
}

/// Builds a bundle from in-memory zip bytes (tests, fuzzing).
pub fn from_zip_bytes(bytes: &[u8], limits: &Limits) -> Result<Bundle, String> {
    let mut b = read_zip(std::io::Cursor::new(bytes), limits)?;
    b.source = "<memory>".into();
    take_manifest(&mut b);
    Ok(b)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Moves `manifest.json` out of the file list into `bundle.manifest` (or a problem if invalid).
fn take_manifest(bundle: &mut Bundle) {
    let Some(pos) = bundle.files.iter().position(|f| f.path == MANIFEST_PATH) else {
        return;
    };
    let file = bundle.files.remove(pos);
    match serde_json::from_slice::<Manifest>(&file.bytes) {
        Ok(m) => bundle.manifest = Some(m),
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
        "(unnamed)".to_string()
    } else {
        parts.join("/")
    }
}

fn read_zip<R: Read + Seek>(reader: R, limits: &Limits) -> Result<Bundle, String> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| format!("not a readable zip: {e}"))?;
    let mut bundle = Bundle::default();
    let count = zip.len();
    if count > limits.max_entries {
        bundle.problems.push(InputProblem {
            path: "(zip)".into(),
            message: format!(
                "the zip has {count} entries; only the first {} are read (raise with --max-entries)",
                limits.max_entries
            ),
        });
    }
    let mut total = 0u64;
    for index in 0..count.min(limits.max_entries) {
        let mut entry = match zip.by_index(index) {
            Ok(e) => e,
            Err(e) => {
                bundle.problems.push(InputProblem {
                    path: format!("(zip entry #{index})"),
                    message: format!("unreadable entry: {e}"),
                });
                continue;
            }
        };
        let label = clean_label(&String::from_utf8_lossy(entry.name_raw()));
        if entry.is_dir() {
            continue;
        }
        if entry.encrypted() {
            bundle.problems.push(InputProblem {
                path: label,
                message: "the entry is encrypted; ask for the bundle without a password".into(),
            });
            continue;
        }
        let declared = entry.size();
        let compressed = entry.compressed_size().max(1);
        let budget = limits
            .max_entry_bytes
            .min(limits.max_total_bytes.saturating_sub(total));
        if declared > budget {
            bundle.problems.push(InputProblem {
                path: label,
                message: format!(
                    "entry declares {declared} bytes, over the limit of {budget} bytes (raise with --max-entry-mib / --max-total-mib)"
                ),
            });
            continue;
        }
        match read_bounded(&mut entry, budget, compressed, limits.max_ratio) {
            Ok(bytes) => {
                total += bytes.len() as u64;
                bundle.files.push(InputFile { path: label, bytes });
            }
            Err(message) => bundle.problems.push(InputProblem {
                path: label,
                message,
            }),
        }
    }
    Ok(bundle)
}

/// Reads at most `budget` bytes, refusing entries that inflate beyond `max_ratio` times their
/// compressed size (checked as bytes arrive, so a lying header cannot get past it).
fn read_bounded(
    r: &mut impl Read,
    budget: u64,
    compressed: u64,
    max_ratio: u64,
) -> Result<Vec<u8>, String> {
    const RATIO_FLOOR: u64 = 1 << 20;
    let ratio_cap = compressed.saturating_mul(max_ratio).max(RATIO_FLOOR);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r
            .read(&mut buf)
            .map_err(|e| format!("cannot decompress: {e}"))?;
        if n == 0 {
            return Ok(out);
        }
        let len = out.len() as u64 + n as u64;
        if len > budget {
            return Err(format!(
                "entry inflates past the limit of {budget} bytes; refused"
            ));
        }
        if len > ratio_cap {
            return Err(format!(
                "entry inflates more than {max_ratio}:1 ({compressed} compressed bytes); refused as a likely zip bomb"
            ));
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn read_folder(root: &Path, limits: &Limits) -> Bundle {
    let mut bundle = Bundle::default();
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
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            // symlink_metadata: a link is never followed out of the folder.
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            seen += 1;
            if seen > limits.max_entries {
                bundle.problems.push(InputProblem {
                    path: rel_label(root, root),
                    message: format!(
                        "more than {} files; the rest are not read",
                        limits.max_entries
                    ),
                });
                return bundle;
            }
            let label = rel_label(root, &path);
            let budget = limits
                .max_entry_bytes
                .min(limits.max_total_bytes.saturating_sub(total));
            if meta.len() > budget {
                bundle.problems.push(InputProblem {
                    path: label,
                    message: format!("{} bytes, over the limit of {budget} bytes", meta.len()),
                });
                continue;
            }
            match fs::File::open(&path).and_then(|f| {
                let mut v = Vec::new();
                f.take(budget + 1).read_to_end(&mut v).map(|_| v)
            }) {
                Ok(bytes) if bytes.len() as u64 > budget => bundle.problems.push(InputProblem {
                    path: label,
                    message: format!("grew past the limit of {budget} bytes while being read"),
                }),
                Ok(bytes) => {
                    total += bytes.len() as u64;
                    bundle.files.push(InputFile { path: label, bytes });
                }
                Err(e) => bundle.problems.push(InputProblem {
                    path: label,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
    }
    bundle.files.sort_by(|a, b| a.path.cmp(&b.path));
    bundle
}

fn read_single_file(path: &Path, file: fs::File, limits: &Limits) -> Bundle {
    let mut bundle = Bundle::default();
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "(input)".into());
    let mut bytes = Vec::new();
    match file
        .take(limits.max_entry_bytes + 1)
        .read_to_end(&mut bytes)
    {
        Ok(_) if bytes.len() as u64 > limits.max_entry_bytes => {
            bundle.problems.push(InputProblem {
                path: label,
                message: format!("over the limit of {} bytes", limits.max_entry_bytes),
            })
        }
        Ok(_) => bundle.files.push(InputFile { path: label, bytes }),
        Err(e) => bundle.problems.push(InputProblem {
            path: label,
            message: format!("cannot read: {e}"),
        }),
    }
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
    fn garbage_is_not_a_zip() {
        assert!(from_zip_bytes(b"PK\x03\x04garbage", &Limits::default()).is_err());
    }
}

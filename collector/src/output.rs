//! Where the bundle goes, and how it gets there without ever leaving a half-written zip under
//! the final name.
//!
//! Customers send whatever file they find, so a bundle interrupted by a full disk, a closed window
//! or Ctrl+C must not look finished: the zip is written as `<name>.partial` in the destination
//! folder (same volume, so the final rename is atomic) and renamed only after the manifest, the
//! zip directory and a flush to disk succeeded. On any error the partial file is removed.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Suffix of the file being written.
pub const PARTIAL_SUFFIX: &str = ".partial";

/// `rdp-evidence-<HOST>-<yyyymmddThhmmssZ>.zip`: host and UTC time, so bundles from several
/// machines or runs never collide and sort by time.
pub fn default_file_name(host: &str, started: SystemTime) -> String {
    let t: chrono::DateTime<chrono::Utc> = started.into();
    format!(
        "rdp-evidence-{}-{}.zip",
        sanitize_host(host),
        t.format("%Y%m%dT%H%M%SZ")
    )
}

/// Keeps host-name characters that are safe in a file name on every system; anything else
/// becomes `_`. NetBIOS names allow characters (`\ / : * ? " < > |` excluded, but `$`, `!`,
/// spaces in odd setups, non-ASCII) that would make the name awkward to mail or type.
pub fn sanitize_host(host: &str) -> String {
    let s: String = host
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "UNKNOWN".to_string()
    } else {
        s
    }
}

/// Resolves `--output`: nothing means `cwd\file_name`; an existing folder (or a path ending in a
/// separator) means `folder\file_name`; anything else is the file to write. The folder must
/// exist. The result is absolute, for the final message.
pub fn resolve_output_path(
    output: Option<&Path>,
    cwd: &Path,
    file_name: &str,
) -> Result<PathBuf, String> {
    let target = match output {
        None => cwd.join(file_name),
        Some(p) => {
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                cwd.join(p)
            };
            let text = p.to_string_lossy();
            if p.is_dir() || text.ends_with('/') || text.ends_with('\\') {
                p.join(file_name)
            } else {
                p
            }
        }
    };
    let parent = target.parent().unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(format!(
            "the folder {} does not exist; create it or choose another with --output",
            parent.display()
        ));
    }
    Ok(std::path::absolute(&target).unwrap_or(target))
}

/// Folder for the zip when `--output` is not given: the current folder, except inside the
/// Windows folder. "Run as administrator" starts a program in `C:\Windows\System32`, where nobody
/// would find the zip and where it does not belong; then the exe's own folder is used (where the
/// user double-clicked it), unless that is inside the Windows folder too.
pub fn default_output_dir(
    cwd: &Path,
    exe_dir: Option<&Path>,
    windows_dir: Option<&Path>,
) -> PathBuf {
    let Some(win) = windows_dir else {
        return cwd.to_path_buf();
    };
    if !is_within(cwd, win) {
        return cwd.to_path_buf();
    }
    match exe_dir {
        Some(exe) if !is_within(exe, win) => exe.to_path_buf(),
        _ => cwd.to_path_buf(),
    }
}

/// Whether `path` is `dir` or below it, comparing components case-insensitively (Windows paths).
pub fn is_within(path: &Path, dir: &Path) -> bool {
    let lower = |p: &Path| -> Vec<String> {
        p.components()
            .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
            .filter(|c| c != "\\" && c != "/")
            .collect()
    };
    let (p, d) = (lower(path), lower(dir));
    !d.is_empty() && p.len() >= d.len() && p[..d.len()] == d[..]
}

/// The bundle file while it is being written. Dropping it without [`PendingFile::commit`]
/// removes the partial file.
#[derive(Debug)]
pub struct PendingFile {
    final_path: PathBuf,
    temp_path: PathBuf,
    committed: bool,
}

impl PendingFile {
    /// Creates `<final>.partial` (replacing a stale one). Fails early when the folder is not
    /// writable, before minutes of collection are spent.
    pub fn create(final_path: &Path) -> io::Result<(PendingFile, File)> {
        let mut name = final_path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "rdp-evidence.zip".into());
        name.push(PARTIAL_SUFFIX);
        let temp_path = final_path.with_file_name(name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp_path)?;
        Ok((
            PendingFile {
                final_path: final_path.to_path_buf(),
                temp_path,
                committed: false,
            },
            file,
        ))
    }

    pub fn temp_path(&self) -> &Path {
        &self.temp_path
    }

    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Flushes `file` to disk, closes it and renames the partial file to its final name.
    pub fn commit(mut self, file: File) -> io::Result<PathBuf> {
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.temp_path, &self.final_path)?;
        self.committed = true;
        Ok(self.final_path.clone())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

/// A private scratch folder for files tools write themselves (gpresult's HTML, `.evtx` exports)
/// before they are streamed into the zip. Created under the user's temp folder, never in the
/// working folder, and removed with everything in it when dropped.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    pub fn create_in(parent: &Path) -> io::Result<ScratchDir> {
        let pid = std::process::id();
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut last_err = None;
        for attempt in 0..16u32 {
            let path = parent.join(format!("rdp-collect-{pid}-{nanos:08x}-{attempt}"));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(ScratchDir { path }),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("could not create a scratch folder")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the folder now, reporting failure (the drop does it silently).
    pub fn remove(self) -> io::Result<()> {
        let r = std::fs::remove_dir_all(&self.path);
        std::mem::forget(self);
        r
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempTree;
    use std::io::Write;

    fn tmp(name: &str) -> TempTree {
        TempTree::new("rdp-out-test", name)
    }

    #[test]
    fn file_name_has_host_and_utc_time() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600 + 3723);
        assert_eq!(
            default_file_name("WS-01", t),
            "rdp-evidence-WS-01-20260101T010203Z.zip"
        );
        assert_eq!(sanitize_host("a b/c:Ü$"), "a_b_c___");
        assert_eq!(sanitize_host("  "), "UNKNOWN");
    }

    #[test]
    fn output_resolution() {
        let d = tmp("resolve");
        let n = "x.zip";
        assert_eq!(resolve_output_path(None, &d, n).unwrap(), d.join(n));
        assert_eq!(
            resolve_output_path(Some(&d), Path::new("/"), n).unwrap(),
            d.join(n)
        );
        assert_eq!(
            resolve_output_path(Some(Path::new("out.zip")), &d, n).unwrap(),
            d.join("out.zip")
        );
        let e = resolve_output_path(Some(Path::new("missing/out.zip")), &d, n).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        let e = resolve_output_path(Some(Path::new("missing/")), &d, n).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
    }

    #[test]
    fn run_as_administrator_does_not_write_into_the_windows_folder() {
        let win = Path::new("/win");
        let exe = Path::new("/home/u/Downloads");
        assert_eq!(
            default_output_dir(Path::new("/home/u"), Some(exe), Some(win)),
            PathBuf::from("/home/u")
        );
        assert_eq!(
            default_output_dir(Path::new("/WIN/System32"), Some(exe), Some(win)),
            PathBuf::from("/home/u/Downloads")
        );
        assert_eq!(
            default_output_dir(
                Path::new("/win/System32"),
                Some(Path::new("/Win/x")),
                Some(win)
            ),
            PathBuf::from("/win/System32")
        );
        assert_eq!(
            default_output_dir(Path::new("/win/System32"), None, Some(win)),
            PathBuf::from("/win/System32")
        );
        assert_eq!(
            default_output_dir(Path::new("/windows2"), Some(exe), Some(win)),
            PathBuf::from("/windows2")
        );
        assert!(is_within(Path::new("/a/b/c"), Path::new("/A/B")));
        assert!(!is_within(Path::new("/a/bc"), Path::new("/a/b")));
    }

    #[test]
    fn partial_file_is_renamed_on_commit_and_removed_otherwise() {
        let d = tmp("pending");
        let final_path = d.join("b.zip");
        let (p, mut f) = PendingFile::create(&final_path).unwrap();
        assert_eq!(p.temp_path(), d.join("b.zip.partial"));
        f.write_all(b"data").unwrap();
        assert!(!final_path.exists());
        assert_eq!(p.commit(f).unwrap(), final_path);
        assert_eq!(std::fs::read(&final_path).unwrap(), b"data");
        assert!(!d.join("b.zip.partial").exists());

        let other = d.join("c.zip");
        {
            let (_p, mut f) = PendingFile::create(&other).unwrap();
            f.write_all(b"half").unwrap();
        }
        assert!(!other.exists());
        assert!(!d.join("c.zip.partial").exists());
    }

    #[cfg(unix)]
    #[test]
    fn unwritable_folder_fails_at_creation() {
        let e = PendingFile::create(Path::new("/proc/rdp-test.zip")).unwrap_err();
        assert!(!e.to_string().is_empty());
    }

    #[test]
    fn scratch_dir_is_removed_with_its_files() {
        let d = tmp("scratch");
        let s = ScratchDir::create_in(&d).unwrap();
        let p = s.path().to_path_buf();
        std::fs::create_dir(p.join("LocaleMetaData")).unwrap();
        std::fs::write(p.join("LocaleMetaData/x.MTA"), b"x").unwrap();
        drop(s);
        assert!(!p.exists());
        let s = ScratchDir::create_in(&d).unwrap();
        let p = s.path().to_path_buf();
        s.remove().unwrap();
        assert!(!p.exists());
    }
}

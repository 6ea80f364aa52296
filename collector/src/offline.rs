//! `rdp-collect --offline D:\`: evidence from the disk of a Windows machine that is not running
//! (its OS disk attached to a rescue machine, or a mounted image).
//!
//! Nothing is asked of the running system: the files are copied as they are from the attached
//! volume, opened for reading only (never written, renamed or locked for writing), into the
//! same zip a live collection writes, under [`OFFLINE_ROOT`] with the volume's own layout:
//! - `Windows\System32\config\SYSTEM` and `SOFTWARE`, each with `.LOG`, `.LOG1`, `.LOG2` when
//!   present (a hive of a machine that stopped is often dirty: its logs hold the last changes);
//! - the RDP-related event logs of `Windows\System32\winevt\Logs` (unless `--no-events`);
//! - the names of the files in `ProgramData\Microsoft\Crypto\RSA\MachineKeys` (one per line in
//!   [`MACHINE_KEYS_LISTING`]; the key files themselves are private keys and are not copied).
//!
//! The manifest's `offline` field names the volume; the analyzer then reports "offline disk".

use crate::bundle::{ArtifactRecord, BundleWriter, Manifest, Status, FORMAT_VERSION};
use crate::collect::{finish_bundle, rfc3339, CollectOptions, Missing, Outcome, COLLECTOR_VERSION};
use std::fs;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// Folder of the zip holding the volume's files, laid out as on the volume.
pub const OFFLINE_ROOT: &str = "offline/";
/// The MachineKeys listing, in the zip.
pub const MACHINE_KEYS_LISTING: &str =
    "offline/ProgramData/Microsoft/Crypto/RSA/MachineKeys.listing.txt";

/// Hives copied from `Windows\System32\config`, each with its transaction logs.
const HIVES: &[&str] = &["SYSTEM", "SOFTWARE"];
const HIVE_LOGS: &[&str] = &["", ".LOG", ".LOG1", ".LOG2"];
/// Event logs copied from `Windows\System32\winevt\Logs` (file names as Windows gives them).
pub const EVENT_LOG_FILES: &[&str] = &[
    "Security.evtx",
    "System.evtx",
    "Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx",
    "Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Admin.evtx",
    "Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx",
    "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
    "Microsoft-Windows-TerminalServices-Gateway%4Operational.evtx",
    "Application.evtx",
    "Microsoft-Windows-NTLM%4Operational.evtx",
];
/// Most names listed from MachineKeys.
const MAX_KEY_NAMES: usize = 10_000;

/// A child of `dir` named `name` in any letter case (a volume mounted on a case-sensitive
/// system keeps Windows' spelling, which varies: `System32\config`, `winevt\Logs`).
fn child_ci(dir: &Path, name: &str) -> Option<PathBuf> {
    let exact = dir.join(name);
    if exact.exists() {
        return Some(exact);
    }
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| e.path())
}

fn path_ci(root: &Path, parts: &[&str]) -> Option<PathBuf> {
    parts
        .iter()
        .try_fold(root.to_path_buf(), |dir, p| child_ci(&dir, p))
}

/// Whether `volume` looks like a Windows volume (it has `Windows\System32\config`).
pub fn is_windows_volume(volume: &Path) -> bool {
    path_ci(volume, &["Windows", "System32", "config"]).is_some_and(|p| p.is_dir())
}

fn status_of(e: &io::Error) -> Status {
    match e.kind() {
        io::ErrorKind::NotFound => Status::NotFound,
        io::ErrorKind::PermissionDenied => Status::AccessDenied,
        _ => Status::Failed,
    }
}

/// The name a host is known by in the zip's file name: the volume, since the machine's own
/// name is in its SYSTEM hive, which the analyzer reads.
pub fn host_label(volume: &Path) -> String {
    let v = volume.display().to_string();
    let v = v.trim_end_matches(['\\', '/']);
    format!("offline-{}", if v.is_empty() { "volume" } else { v })
}

struct Copier<'a, W: Write + Seek> {
    zip: BundleWriter<W>,
    missing: Vec<Missing>,
    progress: &'a mut dyn Write,
}

impl<W: Write + Seek> Copier<'_, W> {
    fn note(&mut self, label: &str, status: Status, message: &str) {
        let _ = writeln!(
            self.progress,
            "  {label}: {}",
            crate::collect::status_words(status)
        );
        if status != Status::Ok {
            self.missing.push(Missing {
                label: label.to_string(),
                status,
                message: message.to_string(),
            });
        }
    }

    /// Copies `from` (if it exists) to `zip_path`, read-only. `optional` files that are absent
    /// are not recorded (a hive without a `.LOG` is normal).
    fn copy(
        &mut self,
        from: Option<PathBuf>,
        shown: &str,
        zip_path: &str,
        optional: bool,
    ) -> io::Result<()> {
        let started = Instant::now();
        let mut rec = ArtifactRecord::new(zip_path, format!("read-only copy of {shown}"));
        let opened = match from {
            Some(p) => fs::File::open(&p),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "not on the volume")),
        };
        match opened {
            Ok(mut f) => {
                rec.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                match self.zip.add_reader(rec.clone(), &mut f) {
                    Ok(()) => self.note(zip_path, Status::Ok, ""),
                    Err(e) => return Err(e),
                }
            }
            Err(e) if optional && e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                let status = status_of(&e);
                rec.status = status;
                rec.message = Some(format!("{shown}: {e}"));
                rec.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                self.zip.add_record(rec);
                self.note(zip_path, status, &format!("{shown}: {e}"));
            }
        }
        Ok(())
    }
}

/// Collects the evidence of the Windows volume `volume` into `writer`.
pub fn collect_offline<W: Write + Seek>(
    volume: &Path,
    opts: &CollectOptions,
    elevated: Option<bool>,
    started: SystemTime,
    writer: W,
    progress: &mut dyn Write,
) -> io::Result<(W, Outcome)> {
    let mut c = Copier {
        zip: BundleWriter::new(writer),
        missing: Vec::new(),
        progress,
    };
    let shown = |parts: &[&str]| {
        let mut p = volume.to_path_buf();
        for part in parts {
            p.push(part);
        }
        p.display().to_string()
    };
    let config = path_ci(volume, &["Windows", "System32", "config"]);
    for hive in HIVES {
        for ext in HIVE_LOGS {
            let name = format!("{hive}{ext}");
            let from = config.as_deref().and_then(|d| child_ci(d, &name));
            let zip_path = format!("{OFFLINE_ROOT}Windows/System32/config/{name}");
            let shown_path = shown(&["Windows", "System32", "config", &name]);
            c.copy(from, &shown_path, &zip_path, !ext.is_empty())?;
        }
    }
    let logs = path_ci(volume, &["Windows", "System32", "winevt", "Logs"]);
    for name in EVENT_LOG_FILES {
        let zip_path = format!("{OFFLINE_ROOT}Windows/System32/winevt/Logs/{name}");
        if !opts.events {
            let mut rec = ArtifactRecord::new(&zip_path, "read-only copy");
            rec.status = Status::Skipped;
            rec.message = Some("--no-events".into());
            c.zip.add_record(rec);
            continue;
        }
        let from = logs.as_deref().and_then(|d| child_ci(d, name));
        let shown_path = shown(&["Windows", "System32", "winevt", "Logs", name]);
        // A log that was never written (RdpCoreTS on a server without RDP use) is absent.
        c.copy(from, &shown_path, &zip_path, false)?;
    }
    // MachineKeys: names only.
    let keys_shown = shown(&["ProgramData", "Microsoft", "Crypto", "RSA", "MachineKeys"]);
    let mut rec = ArtifactRecord::new(MACHINE_KEYS_LISTING, format!("list of {keys_shown}"));
    let listed = path_ci(
        volume,
        &["ProgramData", "Microsoft", "Crypto", "RSA", "MachineKeys"],
    )
    .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not on the volume"))
    .and_then(fs::read_dir)
    .map(|entries| {
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .take(MAX_KEY_NAMES)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    });
    match listed {
        Ok(names) => {
            let mut text = String::new();
            for n in &names {
                text.push_str(n);
                text.push_str("\r\n");
            }
            rec.message = Some(format!(
                "{} key file name(s); the key files are not copied",
                names.len()
            ));
            c.zip.add_bytes(rec, text.as_bytes())?;
            c.note(MACHINE_KEYS_LISTING, Status::Ok, "");
        }
        Err(e) => {
            let status = status_of(&e);
            rec.status = status;
            rec.message = Some(format!("{keys_shown}: {e}"));
            c.zip.add_record(rec);
            c.note(MACHINE_KEYS_LISTING, status, &format!("{keys_shown}: {e}"));
        }
    }
    let mut options = vec![format!("--offline {}", volume.display())];
    if !opts.events {
        options.push("--no-events".into());
    }
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        collector: "rdp-collect".to_string(),
        collector_version: COLLECTOR_VERSION.to_string(),
        host_name: host_label(volume),
        os: Default::default(),
        started_utc: rfc3339(started),
        finished_utc: rfc3339(SystemTime::now()),
        elevated,
        options,
        artifacts: Vec::new(),
        offline: Some(volume.display().to_string()),
    };
    finish_bundle(c.zip, manifest, c.missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume() -> PathBuf {
        let d = std::env::temp_dir().join(format!("rdp-offline-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("Windows/System32/config")).unwrap();
        fs::create_dir_all(d.join("Windows/System32/winevt/Logs")).unwrap();
        fs::create_dir_all(d.join("ProgramData/Microsoft/Crypto/RSA/MachineKeys")).unwrap();
        fs::write(d.join("Windows/System32/config/SYSTEM"), b"regf system").unwrap();
        fs::write(d.join("Windows/System32/config/SYSTEM.LOG1"), b"regf log").unwrap();
        fs::write(d.join("Windows/System32/config/SOFTWARE"), b"regf software").unwrap();
        fs::write(
            d.join("Windows/System32/winevt/Logs/Security.evtx"),
            b"ElfFile",
        )
        .unwrap();
        fs::write(
            d.join(
                "ProgramData/Microsoft/Crypto/RSA/MachineKeys/f686aace6942fb7f7ceb231212eef4a4_x",
            ),
            b"key",
        )
        .unwrap();
        d
    }

    #[test]
    fn copies_hives_logs_and_lists_machine_keys_read_only() {
        let v = volume();
        assert!(is_windows_volume(&v));
        let before: Vec<_> = walk(&v);
        let mut out = Vec::new();
        let (cursor, outcome) = collect_offline(
            &v,
            &CollectOptions::default(),
            Some(true),
            SystemTime::now(),
            io::Cursor::new(Vec::new()),
            &mut out,
        )
        .unwrap();
        assert_eq!(walk(&v), before, "the volume is left as it was");
        let m = &outcome.manifest;
        assert_eq!(m.offline.as_deref(), Some(v.display().to_string().as_str()));
        let rec = |p: &str| m.artifacts.iter().find(|a| a.path == p).unwrap();
        assert_eq!(
            rec("offline/Windows/System32/config/SYSTEM").status,
            Status::Ok
        );
        assert_eq!(
            rec("offline/Windows/System32/config/SYSTEM.LOG1").status,
            Status::Ok
        );
        // Logs that are not there are not recorded; a hive that is not there is.
        assert!(m
            .artifacts
            .iter()
            .all(|a| !a.path.ends_with("SOFTWARE.LOG2")));
        assert_eq!(
            rec("offline/Windows/System32/winevt/Logs/System.evtx").status,
            Status::NotFound
        );
        let mut zip = zip::ZipArchive::new(io::Cursor::new(cursor.into_inner())).unwrap();
        let mut listing = String::new();
        io::Read::read_to_string(
            &mut zip.by_name(MACHINE_KEYS_LISTING).unwrap(),
            &mut listing,
        )
        .unwrap();
        assert_eq!(listing, "f686aace6942fb7f7ceb231212eef4a4_x\r\n");
        assert!(zip.by_name("manifest.json").is_ok());
        fs::remove_dir_all(&v).unwrap();
    }

    #[test]
    fn a_folder_without_windows_is_not_a_volume() {
        assert!(!is_windows_volume(
            &std::env::temp_dir().join("no-such-volume-here")
        ));
    }

    fn walk(d: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![d.to_path_buf()];
        while let Some(p) = stack.pop() {
            for e in fs::read_dir(&p).unwrap() {
                let e = e.unwrap().path();
                if e.is_dir() {
                    stack.push(e);
                } else {
                    out.push((e.clone(), fs::read(&e).unwrap()));
                }
            }
        }
        out.sort();
        out
    }
}

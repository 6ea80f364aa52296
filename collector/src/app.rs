//! One run of the collector from the user's point of view: where the zip goes, the console
//! report, and the exit code. Portable: `main` passes the Windows source, tests a recorded one.

use crate::bundle::Status;
use crate::cli::CliOptions;
use crate::collect::{self, missing_line, COLLECTOR_VERSION};
use crate::output::{
    default_file_name, default_output_dir, resolve_output_path, PendingFile, ScratchDir,
};
use crate::source::Source;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// Exit code: the zip was written (possibly with missing items, listed in it).
pub const EXIT_OK: i32 = 0;
/// Exit code: the zip could not be written (folder missing or read-only, disk full).
pub const EXIT_WRITE_FAILED: i32 = 1;
/// Exit code: bad command line.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: this build has no way to collect (not Windows).
pub const EXIT_UNSUPPORTED: i32 = 3;

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    pub exit_code: i32,
    /// Full path of the finished zip.
    pub zip: Option<PathBuf>,
    /// Every step's outcome, when the zip was written.
    pub outcome: Option<collect::Outcome>,
}

fn failed(code: i32) -> RunResult {
    RunResult {
        exit_code: code,
        zip: None,
        outcome: None,
    }
}

/// The folders a run needs to know about.
#[derive(Debug, Clone, Default)]
pub struct RunPaths {
    /// Current folder: where the zip goes without `--output` (see [`default_output_dir`]).
    pub cwd: PathBuf,
    /// Parent of the private scratch folder (the user's temp folder).
    pub temp_root: PathBuf,
    /// Folder of the exe, used instead of `cwd` when that is inside the Windows folder.
    pub exe_dir: Option<PathBuf>,
    /// `%SystemRoot%` (`GetWindowsDirectoryW`).
    pub windows_dir: Option<PathBuf>,
}

impl RunPaths {
    /// Only a current folder and a temp folder (no Windows folder to avoid).
    pub fn new(cwd: impl Into<PathBuf>, temp_root: impl Into<PathBuf>) -> Self {
        RunPaths {
            cwd: cwd.into(),
            temp_root: temp_root.into(),
            exe_dir: None,
            windows_dir: None,
        }
    }
}

/// Collects into a zip (current folder or `--output`), using a private scratch folder under
/// `paths.temp_root`, printing progress and the final report to `out`.
pub fn run(
    source: &mut dyn Source,
    opts: &CliOptions,
    paths: &RunPaths,
    out: &mut dyn Write,
) -> RunResult {
    let temp_root = paths.temp_root.as_path();
    let cwd = default_output_dir(
        &paths.cwd,
        paths.exe_dir.as_deref(),
        paths.windows_dir.as_deref(),
    );
    if opts.output.is_none() && cwd != paths.cwd {
        let _ = writeln!(
            out,
            "Started in {} (the Windows folder): the zip goes next to rdp-collect.exe instead.",
            paths.cwd.display()
        );
    }
    let cwd = cwd.as_path();
    let clock = Instant::now();
    let started = SystemTime::now();
    if let Some(volume) = &opts.collect.offline {
        return run_offline(source, volume, opts, cwd, out, clock, started);
    }
    let facts = source.system_facts();
    let _ = writeln!(
        out,
        "rdp-collect {COLLECTOR_VERSION}: collecting Remote Desktop evidence on {}{}",
        facts.host_name,
        os_text(&facts.os)
    );
    match facts.elevated {
        Some(true) => {
            let _ = writeln!(out, "Running as administrator.");
        }
        Some(false) => {
            let _ = writeln!(
                out,
                "Not running as administrator: some items (the Security log among them) will be \
missing. Right-click rdp-collect.exe and choose \"Run as administrator\" for a complete bundle."
            );
        }
        None => {
            let _ = writeln!(out, "Could not tell whether this runs as administrator.");
        }
    }

    let file_name = default_file_name(&facts.host_name, started);
    let final_path = match resolve_output_path(opts.output.as_deref(), cwd, &file_name) {
        Ok(p) => p,
        Err(msg) => {
            let _ = writeln!(out, "ERROR: {msg}");
            return failed(EXIT_WRITE_FAILED);
        }
    };
    let (pending, file) = match PendingFile::create(&final_path) {
        Ok(x) => x,
        Err(e) => {
            let folder = final_path.parent().unwrap_or(Path::new("."));
            let _ = writeln!(
                out,
                "ERROR: cannot write in the folder {}: {e}.\nChoose a folder you can write to, \
for example: rdp-collect --output %USERPROFILE%\\Desktop",
                folder.display()
            );
            return failed(EXIT_WRITE_FAILED);
        }
    };
    let scratch = match ScratchDir::create_in(temp_root) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(
                out,
                "ERROR: cannot create a temporary folder in {}: {e}",
                temp_root.display()
            );
            return failed(EXIT_WRITE_FAILED);
        }
    };
    let _ = writeln!(out, "Writing {}", pending.temp_path().display());

    let writer = BufWriter::with_capacity(256 * 1024, file);
    let result = collect::collect(
        source,
        &facts,
        &opts.collect,
        started,
        scratch.path(),
        writer,
        out,
    );
    let scratch_path = scratch.path().to_path_buf();
    if let Err(e) = scratch.remove() {
        let _ = writeln!(
            out,
            "Note: could not remove the temporary folder {}: {e}",
            scratch_path.display()
        );
    }
    finish(out, &final_path, pending, result, facts.elevated, clock)
}

/// Flushes the written zip, moves it to `final_path` and says where it is; a failure on the way
/// is reported and exits with [`EXIT_WRITE_FAILED`]. The last step of a live and an offline run.
fn finish(
    out: &mut dyn Write,
    final_path: &Path,
    pending: PendingFile,
    written: io::Result<(BufWriter<std::fs::File>, collect::Outcome)>,
    elevated: Option<bool>,
    clock: Instant,
) -> RunResult {
    let committed = written
        .and_then(|(w, outcome)| Ok((w.into_inner().map_err(|e| e.into_error())?, outcome)))
        .and_then(|(file, outcome)| Ok((pending.commit(file)?, outcome)));
    let (zip, outcome) = match committed {
        Ok(x) => x,
        Err(e) => {
            report_write_error(out, final_path, &e);
            return failed(EXIT_WRITE_FAILED);
        }
    };
    report_done(out, &zip, &outcome, elevated, clock);
    RunResult {
        exit_code: EXIT_OK,
        zip: Some(zip),
        outcome: Some(outcome),
    }
}

/// `--offline VOLUME`: the files of a Windows volume that does not run, into the same zip.
fn run_offline(
    source: &mut dyn Source,
    volume: &Path,
    opts: &CliOptions,
    cwd: &Path,
    out: &mut dyn Write,
    clock: Instant,
    started: SystemTime,
) -> RunResult {
    if !crate::offline::is_windows_volume(volume) {
        let _ = writeln!(
            out,
            "ERROR: {} is not a Windows volume (no Windows\\System32\\config folder in it). Give the \
drive letter or folder of the attached disk, for example: rdp-collect --offline D:\\",
            volume.display()
        );
        return failed(EXIT_WRITE_FAILED);
    }
    let elevated = source.system_facts().elevated;
    let _ = writeln!(
        out,
        "rdp-collect {COLLECTOR_VERSION}: copying Remote Desktop evidence from the Windows volume {} \
(read-only)",
        volume.display()
    );
    let file_name = default_file_name(&crate::offline::host_label(volume), started);
    let final_path = match resolve_output_path(opts.output.as_deref(), cwd, &file_name) {
        Ok(p) => p,
        Err(msg) => {
            let _ = writeln!(out, "ERROR: {msg}");
            return failed(EXIT_WRITE_FAILED);
        }
    };
    let (pending, file) = match PendingFile::create(&final_path) {
        Ok(x) => x,
        Err(e) => {
            let _ = writeln!(out, "ERROR: cannot write {}: {e}", final_path.display());
            return failed(EXIT_WRITE_FAILED);
        }
    };
    let _ = writeln!(out, "Writing {}", pending.temp_path().display());
    let writer = BufWriter::with_capacity(256 * 1024, file);
    let result =
        crate::offline::collect_offline(volume, &opts.collect, elevated, started, writer, out);
    finish(out, &final_path, pending, result, elevated, clock)
}

fn os_text(os: &crate::bundle::OsInfo) -> String {
    match (&os.product_name, &os.build) {
        (Some(p), Some(b)) => format!(" ({p}, build {b})"),
        (Some(p), None) => format!(" ({p})"),
        (None, Some(b)) => format!(" (build {b})"),
        (None, None) => String::new(),
    }
}

/// Plain words for "the zip could not be written": the common causes named.
pub fn describe_write_error(e: &io::Error) -> String {
    let hint = match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "the disk is full; free some space or choose another drive with --output"
        }
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            "this folder is not writable; choose another one with --output"
        }
        _ => "choose another folder with --output and try again",
    };
    format!("{e} ({hint})")
}

fn report_write_error(out: &mut dyn Write, path: &Path, e: &io::Error) {
    let _ = writeln!(
        out,
        "\nERROR: the bundle could not be written to {}: {}\nNo bundle was created.",
        path.display(),
        describe_write_error(e)
    );
}

fn report_done(
    out: &mut dyn Write,
    zip: &Path,
    outcome: &collect::Outcome,
    elevated: Option<bool>,
    clock: Instant,
) {
    let size = std::fs::metadata(zip).map(|m| m.len()).unwrap_or(0);
    let _ = writeln!(
        out,
        "\nDone in {:.1} s. The bundle is ready:\n\n    {}\n\n({}). Send this file to support.",
        clock.elapsed().as_secs_f64(),
        zip.display(),
        human_size(size)
    );
    let (absent, missing): (Vec<_>, Vec<_>) = outcome
        .missing
        .iter()
        .partition(|m| m.status == Status::NotFound);
    if missing.is_empty() {
        let _ = writeln!(out, "Everything available was collected.");
    } else {
        let _ = writeln!(
            out,
            "\nCould not be collected ({} item(s); the bundle records why, too):",
            missing.len()
        );
        for m in &missing {
            let _ = writeln!(out, "  - {}", missing_line(m, elevated));
        }
    }
    if !absent.is_empty() {
        let _ = writeln!(
            out,
            "\nNot present on this machine ({} item(s); often normal, e.g. no policy set):",
            absent.len()
        );
        for m in &absent {
            let _ = writeln!(out, "  - {}", missing_line(m, elevated));
        }
    }
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1u32 << 20))
    } else {
        format!("{:.0} KB", (bytes as f64 / 1024.0).ceil())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{Manifest, MANIFEST_PATH};
    use crate::testutil::{recorded_host, TempTree};

    fn dir(name: &str) -> TempTree {
        let d = TempTree::new("rdp-app-test", name);
        std::fs::create_dir_all(d.join("work")).unwrap();
        std::fs::create_dir_all(d.join("temp")).unwrap();
        d
    }

    fn names(p: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_one_zip_and_nothing_else() {
        let d = dir("ok");
        let mut out = Vec::new();
        let r = run(
            &mut recorded_host(),
            &CliOptions::default(),
            &RunPaths::new(d.join("work"), d.join("temp")),
            &mut out,
        );
        let text = String::from_utf8(out).unwrap();
        assert_eq!(r.exit_code, EXIT_OK, "{text}");
        let zip = r.zip.unwrap();
        let files = names(&d.join("work"));
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(files[0].starts_with("rdp-evidence-WS-01-") && files[0].ends_with("Z.zip"));
        assert_eq!(zip, d.join("work").join(&files[0]));
        assert!(names(&d.join("temp")).is_empty(), "scratch folder removed");
        assert!(
            text.contains(&format!("\n    {}\n", zip.display())),
            "{text}"
        );
        assert!(text.contains("Not running as administrator"));
        assert!(text.contains(
            "  - Security log: access denied, run as administrator for a complete bundle"
        ));
        assert!(text.contains("Not present on this machine"));
        let f = std::fs::File::open(&zip).unwrap();
        let mut a = zip::ZipArchive::new(f).unwrap();
        let m: Manifest = serde_json::from_reader(a.by_name(MANIFEST_PATH).unwrap()).unwrap();
        assert_eq!(m.host_name, "WS-01");
    }

    #[test]
    fn started_in_the_windows_folder_writes_next_to_the_exe() {
        let d = dir("runas");
        std::fs::create_dir_all(d.join("win/System32")).unwrap();
        std::fs::create_dir_all(d.join("exe")).unwrap();
        let paths = RunPaths {
            cwd: d.join("win/System32"),
            temp_root: d.join("temp"),
            exe_dir: Some(d.join("exe")),
            windows_dir: Some(d.join("win")),
        };
        let mut out = Vec::new();
        let r = run(
            &mut recorded_host(),
            &CliOptions::default(),
            &paths,
            &mut out,
        );
        assert_eq!(r.exit_code, EXIT_OK);
        assert_eq!(r.zip.unwrap().parent().unwrap(), d.join("exe"));
        assert!(names(&d.join("win/System32")).is_empty());
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("the zip goes next to rdp-collect.exe instead"));
    }

    #[test]
    fn output_option_names_the_file_or_folder() {
        let d = dir("named");
        let opts = CliOptions {
            output: Some(PathBuf::from("out")),
            ..CliOptions::default()
        };
        std::fs::create_dir(d.join("work/out")).unwrap();
        let r = run(
            &mut recorded_host(),
            &opts,
            &RunPaths::new(d.join("work"), d.join("temp")),
            &mut Vec::new(),
        );
        assert_eq!(r.exit_code, EXIT_OK);
        assert_eq!(r.zip.unwrap().parent().unwrap(), d.join("work/out"));

        let opts = CliOptions {
            output: Some(d.join("mine.zip")),
            ..CliOptions::default()
        };
        let r = run(
            &mut recorded_host(),
            &opts,
            &RunPaths::new(d.join("work"), d.join("temp")),
            &mut Vec::new(),
        );
        assert_eq!(r.zip.unwrap(), d.join("mine.zip"));
        assert!(!d.join("mine.zip.partial").exists());
    }

    #[test]
    fn missing_folder_is_a_clear_error_and_exit_1() {
        let d = dir("missing");
        let opts = CliOptions {
            output: Some(d.join("nope").join("x.zip")),
            ..CliOptions::default()
        };
        let mut out = Vec::new();
        let r = run(
            &mut recorded_host(),
            &opts,
            &RunPaths::new(d.join("work"), d.join("temp")),
            &mut out,
        );
        assert_eq!(r.exit_code, EXIT_WRITE_FAILED);
        assert!(r.zip.is_none());
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("ERROR: the folder") && text.contains("does not exist"),
            "{text}"
        );
        assert!(names(&d.join("work")).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn unwritable_folder_is_a_clear_error_and_exit_1() {
        let d = dir("ro");
        let opts = CliOptions {
            output: Some(PathBuf::from("/proc")),
            ..CliOptions::default()
        };
        let mut out = Vec::new();
        let r = run(
            &mut recorded_host(),
            &opts,
            &RunPaths::new(d.join("work"), d.join("temp")),
            &mut out,
        );
        assert_eq!(r.exit_code, EXIT_WRITE_FAILED);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("ERROR: cannot write in the folder /proc"),
            "{text}"
        );
        assert!(names(&d.join("temp")).is_empty());
    }

    #[test]
    fn write_errors_are_described_in_plain_words() {
        let e = io::Error::new(
            io::ErrorKind::StorageFull,
            "There is not enough space on the disk.",
        );
        assert!(describe_write_error(&e).contains("the disk is full"));
        let e = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(describe_write_error(&e).contains("not writable"));
    }
}

//! Harness for end-to-end tests that run the real `rdp-collect.exe` under Wine.
//!
//! What it does, and why:
//! * builds the exe once per test binary with `cargo build --target x86_64-pc-windows-gnu -p
//!   rdp-collect` into `target/wine-cross` (its own target dir: the outer `cargo test` holds the
//!   lock on `target/`);
//! * makes a fresh `WINEPREFIX` in a temp dir for each scenario (the registry is per prefix) and
//!   drops in a `bcryptprimitives.dll` stub built from `bcryptprimitives.c`: Rust's std imports
//!   `ProcessPrng` from it and Wine 8 does not ship it;
//! * runs every Wine step with a time limit, `WINEDEBUG=-all`, no display, Mono/Gecko installers
//!   disabled, and kills the prefix's wineserver when done, so a wedged Wine cannot hang the
//!   suite;
//! * when wine64, MinGW or the Rust target are missing, [`require_tools`] prints `SKIPPED: ...`
//!   and the test returns, except under `CI=true` where that is a failure.
//!
//! For check authors: [`collect_under_wine`] seeds a fresh prefix with a closure, runs the
//! collector and hands back the zip.
#![allow(dead_code)]

use rdp_collect::process::run_command_with_timeout;
use rdp_collect::source::CommandOutput;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const WINE64: &str = "/usr/lib/wine/wine64";
pub const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

/// Time limits of the harness's own steps.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);
pub const WINEBOOT_TIMEOUT: Duration = Duration::from_secs(300);
pub const WINE_STEP_TIMEOUT: Duration = Duration::from_secs(90);
pub const COLLECTOR_TIMEOUT: Duration = Duration::from_secs(600);

const MAX_CAPTURE: usize = 16 << 20;

/// Repository root (the e2e package lives there).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn support_dir() -> PathBuf {
    repo_root().join("tests").join("support")
}

/// The Wine and cross-compilation tools.
#[derive(Debug, Clone)]
pub struct Tools {
    pub wine64: PathBuf,
    pub wineserver: PathBuf,
}

fn runs(program: &str, args: &[&str]) -> bool {
    let mut cmd = Command::new(program);
    cmd.args(args);
    matches!(
        run_command_with_timeout(cmd, Duration::from_secs(60), 1 << 20),
        Ok(out) if out.exit_code == Some(0)
    )
}

fn find_wineserver() -> Option<PathBuf> {
    [
        "/usr/lib/wine/wineserver",
        "/usr/lib/wine/wineserver64",
        "/usr/bin/wineserver",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

/// Whether the Rust standard library for the Windows target is installed.
fn rust_target_installed() -> bool {
    let mut cmd = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()));
    cmd.args(["--print", "sysroot"]);
    let Ok(out) = run_command_with_timeout(cmd, Duration::from_secs(60), 1 << 20) else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(WINDOWS_TARGET)
        .join("lib")
        .is_dir()
}

/// The tools, or `None` after a loud `SKIPPED` line. Under `CI=true` missing tools fail the test.
pub fn require_tools(test: &str) -> Option<Tools> {
    let mut missing = Vec::new();
    if !Path::new(WINE64).is_file() {
        missing.push(format!("{WINE64} (apt package wine64)"));
    }
    let wineserver = find_wineserver();
    if wineserver.is_none() {
        missing.push("wineserver (apt package wine64)".to_string());
    }
    if !runs(MINGW_GCC, &["--version"]) {
        missing.push(format!("{MINGW_GCC} (apt package gcc-mingw-w64-x86-64)"));
    }
    if !rust_target_installed() {
        missing.push(format!(
            "Rust target {WINDOWS_TARGET} (rustup target add {WINDOWS_TARGET})"
        ));
    }
    if missing.is_empty() {
        return Some(Tools {
            wine64: PathBuf::from(WINE64),
            wineserver: wineserver?,
        });
    }
    let msg = format!("{test}: missing {}", missing.join(", "));
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true and the Wine end-to-end tools are missing: {msg}");
    }
    // Straight to the stderr handle: libtest captures `eprintln!` of passing tests, and a skip
    // must be seen.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {msg}");
    None
}

/// Runs `cmd` with a time limit; panics (with its output) if it does not finish.
pub fn run_bounded(cmd: Command, timeout: Duration, what: &str) -> CommandOutput {
    let t = Instant::now();
    let out = run_command_with_timeout(cmd, timeout, MAX_CAPTURE)
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    if std::env::var_os("RDP_WINE_TRACE").is_some() {
        eprintln!("[{:6.2} s] {what}", t.elapsed().as_secs_f64());
    }
    if out.timed_out {
        panic!(
            "{what}: no result within {} s\nstdout: {}\nstderr: {}",
            timeout.as_secs(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// Like [`run_bounded`], but with stdout and stderr going to files in `dir` instead of pipes.
///
/// For Wine: the first Wine process of a prefix starts the wineserver, which inherits its
/// stdout/stderr and keeps them open until it exits, seconds later; with pipes every call would
/// wait for that. Files have no end-of-stream to wait for.
pub fn run_to_files(cmd: Command, dir: &Path, timeout: Duration, what: &str) -> CommandOutput {
    match try_run_to_files(cmd, dir, timeout, what) {
        Ok(out) => out,
        Err(out) => panic!(
            "{what}: no result within {} s\nstdout: {}\nstderr: {}",
            timeout.as_secs(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// [`run_to_files`] returning `Err` (with the output so far) at the time limit.
pub fn try_run_to_files(
    mut cmd: Command,
    dir: &Path,
    timeout: Duration,
    what: &str,
) -> Result<CommandOutput, CommandOutput> {
    use std::process::Stdio;
    let n = unique();
    let out_path = dir.join(format!("stdout-{n}.txt"));
    let err_path = dir.join(format!("stderr-{n}.txt"));
    let out_file = std::fs::File::create(&out_path).unwrap();
    let err_file = std::fs::File::create(&err_path).unwrap();
    let program = PathBuf::from(cmd.get_program());
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let command_line = rdp_collect::process::display_command_line(&program, &args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(out_file))
        .stderr(Stdio::from(err_file));
    let t = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if t.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if std::env::var_os("RDP_WINE_TRACE").is_some() {
        eprintln!("[{:6.2} s] {what}", t.elapsed().as_secs_f64());
    }
    let out = CommandOutput {
        command_line,
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: std::fs::read(&err_path).unwrap_or_default(),
        exit_code: status.and_then(|s| s.code()),
        timed_out: status.is_none(),
        truncated: false,
    };
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    if out.timed_out {
        Err(out)
    } else {
        Ok(out)
    }
}

fn assert_ok(out: &CommandOutput, what: &str) {
    assert_eq!(
        out.exit_code,
        Some(0),
        "{what} failed ({})\nstdout: {}\nstderr: {}",
        out.command_line,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds `rdp-collect.exe` (debug) once per test process and returns its path.
pub fn collector_exe() -> PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let target_dir = repo_root().join("target").join("wine-cross");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(repo_root())
            .args(["build", "--target", WINDOWS_TARGET, "-p", "rdp-collect"])
            .env("CARGO_TARGET_DIR", &target_dir)
            // The linker and crt-static come from .cargo/config.toml; an outer RUSTFLAGS would
            // replace them.
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        let t = Instant::now();
        let out = run_bounded(cmd, BUILD_TIMEOUT, "cross-building rdp-collect.exe");
        assert_ok(
            &out,
            "cargo build --target x86_64-pc-windows-gnu -p rdp-collect",
        );
        eprintln!(
            "built rdp-collect.exe in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let exe = target_dir
            .join(WINDOWS_TARGET)
            .join("debug")
            .join("rdp-collect.exe");
        assert!(exe.is_file(), "{} missing after the build", exe.display());
        exe
    })
    .clone()
}

/// Compiles C sources with MinGW into `out` (`extra` adds flags such as `-shared`).
pub fn build_c(sources: &[PathBuf], out: &Path, extra: &[&str]) {
    let mut cmd = Command::new(MINGW_GCC);
    cmd.args(extra)
        .arg("-O2")
        .arg("-s")
        .arg("-o")
        .arg(out)
        .args(sources);
    let o = run_bounded(cmd, Duration::from_secs(120), "x86_64-w64-mingw32-gcc");
    assert_ok(&o, &format!("building {}", out.display()));
}

/// A number not used before in this process (for file names).
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (u64::from(nanos) << 16) + NEXT.fetch_add(1, Ordering::Relaxed)
}

/// `Z:\path\to\file` for a Unix path (Wine maps `/` to drive Z:).
pub fn windows_path(p: &Path) -> String {
    format!("Z:{}", p.to_string_lossy().replace('/', "\\"))
}

/// A fresh Wine prefix under a temp dir, removed (and its wineserver killed) on drop.
/// Set `RDP_KEEP_WINE=1` to keep it for debugging.
pub struct WinePrefix {
    pub tools: Tools,
    /// Temp dir holding the prefix and any scratch files of the harness.
    pub root: PathBuf,
    pub prefix: PathBuf,
}

impl WinePrefix {
    /// Creates and boots a prefix and installs the `bcryptprimitives.dll` stub.
    pub fn create(name: &str, tools: &Tools) -> WinePrefix {
        let root = std::env::temp_dir().join(format!(
            "rdp-wine-{name}-{}-{}",
            std::process::id(),
            unique()
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let prefix = root.join("prefix");
        let p = WinePrefix {
            tools: tools.clone(),
            root,
            prefix,
        };
        let t = Instant::now();
        let out = run_to_files(
            p.command(["wineboot", "--init"]),
            &p.root,
            WINEBOOT_TIMEOUT,
            "wineboot --init",
        );
        assert_ok(&out, "wineboot --init");
        p.wait_idle();
        let system32 = p.prefix.join("drive_c/windows/system32");
        assert!(system32.is_dir(), "no system32 in {}", p.prefix.display());
        build_c(
            &[
                support_dir().join("bcryptprimitives.c"),
                support_dir().join("bcryptprimitives.def"),
            ],
            &system32.join("bcryptprimitives.dll"),
            &["-shared", "-ladvapi32"],
        );
        eprintln!("wine prefix ready in {:.1} s", t.elapsed().as_secs_f64());
        p
    }

    /// `wine64 <args>` with this prefix's environment (no display, no debug output, no
    /// Mono/Gecko prompts, UTF-8 locale so non-ASCII arguments reach Windows intact).
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(&self.tools.wine64);
        cmd.args(args);
        self.set_env(&mut cmd);
        cmd
    }

    fn set_env(&self, cmd: &mut Command) {
        cmd.env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=d;winemenubuilder.exe=d")
            .env("LC_ALL", "C.UTF-8")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
    }

    /// Runs `wine64 <args>` within [`WINE_STEP_TIMEOUT`].
    ///
    /// Wine sometimes fails to start a builtin program at all ("ShellExecuteEx failed: Internal
    /// error", exit 1; seen once for a `reg add` on a clean CI run, not reproduced on the
    /// rerun). That is Wine's start-up, not the program: such a run is retried once, after the
    /// prefix is idle, and said on stderr.
    pub fn wine(&self, args: &[&str]) -> CommandOutput {
        let run = || {
            run_to_files(
                self.command(args),
                &self.root,
                WINE_STEP_TIMEOUT,
                &format!("wine64 {args:?}"),
            )
        };
        let out = run();
        let not_started = out.exit_code != Some(0)
            && String::from_utf8_lossy(&out.stdout).contains("ShellExecuteEx failed");
        if !not_started {
            return out;
        }
        eprintln!("WINE: could not start {args:?} (ShellExecuteEx failed); retrying once");
        self.wait_idle();
        run()
    }

    /// `reg add KEY [/v NAME | /ve] /t KIND /d DATA /f`, asserting success.
    pub fn reg_add(&self, key: &str, name: Option<&str>, kind: &str, data: &str) {
        let mut args = vec!["reg", "add", key];
        match name {
            Some(n) => args.extend(["/v", n]),
            None => args.push("/ve"),
        }
        args.extend(["/t", kind, "/d", data, "/f"]);
        let out = self.wine(&args);
        assert_ok(&out, &format!("reg add {key} {name:?}"));
    }

    /// `reg add KEY /f`: creates a key (and its parents) without values.
    pub fn reg_add_key(&self, key: &str) {
        let out = self.wine(&["reg", "add", key, "/f"]);
        assert_ok(&out, &format!("reg add {key}"));
    }

    /// Imports `.reg` text (written as UTF-16LE with BOM, CRLF) with `reg import`: for data
    /// `reg add` cannot express (odd-length REG_SZ, short DWORD).
    pub fn reg_import(&self, text: &str) {
        let path = self.root.join(format!("import-{}.reg", unique()));
        let mut bytes = vec![0xFF, 0xFE];
        for u in text
            .replace("\r\n", "\n")
            .replace('\n', "\r\n")
            .encode_utf16()
        {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        std::fs::write(&path, bytes).unwrap();
        let win = windows_path(&path);
        let out = self.wine(&["reg", "import", &win]);
        assert_ok(&out, "reg import");
        let _ = std::fs::remove_file(path);
    }

    /// Writes a value under `HKEY_LOCAL_MACHINE\<key>` with exactly `data` and type `kind`
    /// (through `RegSetValueExW`, via `regset.c`): for malformed data that `reg add` and
    /// `reg import` would normalise.
    pub fn reg_set_raw(&self, key: &str, name: &str, kind: u32, data: &[u8]) {
        let exe = self.root.join("regset.exe");
        if !exe.is_file() {
            build_c(&[support_dir().join("regset.c")], &exe, &["-municode"]);
        }
        let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
        let kind = kind.to_string();
        let win = windows_path(&exe);
        let out = self.wine(&[win.as_str(), key, name, kind.as_str(), hex.as_str()]);
        assert_ok(&out, &format!("regset {key} {name}"));
    }

    /// What Wine's own `reg export` writes for `key`; `None` if the key does not exist.
    pub fn reg_export(&self, key: &str) -> Option<Vec<u8>> {
        let path = self.root.join("wine-export.reg");
        let _ = std::fs::remove_file(&path);
        let win = windows_path(&path);
        let out = self.wine(&["reg", "export", key, &win, "/y"]);
        if out.exit_code != Some(0) {
            return None;
        }
        let bytes = std::fs::read(&path).ok();
        let _ = std::fs::remove_file(&path);
        bytes
    }

    /// Waits until every process of the prefix has exited (`wineserver -w`), bounded.
    pub fn wait_idle(&self) {
        let mut cmd = Command::new(&self.tools.wineserver);
        cmd.arg("-w");
        self.set_env(&mut cmd);
        if try_run_to_files(cmd, &self.root, WINE_STEP_TIMEOUT, "wineserver -w").is_err() {
            self.kill();
        }
    }

    /// `wineserver -k`: ends every process of the prefix.
    pub fn kill(&self) {
        let mut cmd = Command::new(&self.tools.wineserver);
        cmd.arg("-k");
        self.set_env(&mut cmd);
        if self.root.is_dir() {
            let _ = try_run_to_files(cmd, &self.root, Duration::from_secs(30), "wineserver -k");
        }
    }

    /// Runs the collector with `args`, its current folder `workdir`.
    pub fn run_collector(&self, workdir: &Path, args: &[&str]) -> CollectorRun {
        let exe = collector_exe();
        let mut cmd = self.command([exe.as_os_str()]);
        cmd.args(args).current_dir(workdir);
        let t = Instant::now();
        let output = run_to_files(
            cmd,
            &self.root,
            COLLECTOR_TIMEOUT,
            "rdp-collect.exe under wine",
        );
        let elapsed = t.elapsed();
        self.wait_idle();
        let zips: Vec<PathBuf> = std::fs::read_dir(workdir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "zip"))
            .collect();
        CollectorRun {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            exit_code: output.exit_code,
            zip: (zips.len() == 1).then(|| zips[0].clone()),
            elapsed,
        }
    }

    /// Folders named `rdp-collect-*` left anywhere under the prefix's user profiles (the
    /// collector's scratch folders live in %TEMP%).
    pub fn leftover_scratch_dirs(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![self.prefix.join("drive_c/users")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
                if is_dir && !e.file_type().map(|t| t.is_symlink()).unwrap_or(true) {
                    if e.file_name().to_string_lossy().starts_with("rdp-collect-") {
                        found.push(p.clone());
                    }
                    stack.push(p);
                }
            }
        }
        found
    }
}

impl Drop for WinePrefix {
    fn drop(&mut self) {
        self.kill();
        if std::env::var_os("RDP_KEEP_WINE").is_none() {
            let _ = std::fs::remove_dir_all(&self.root);
        } else {
            eprintln!("kept wine prefix at {}", self.prefix.display());
        }
    }
}

/// One run of the collector.
#[derive(Debug)]
pub struct CollectorRun {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: Option<i32>,
    /// The only `.zip` in the working folder, if exactly one.
    pub zip: Option<PathBuf>,
    pub elapsed: Duration,
}

/// A finished collection under Wine: keep it alive while reading the zip (dropping it removes
/// the prefix and the working folder).
pub struct WineCollection {
    pub run: CollectorRun,
    pub zip: PathBuf,
    pub workdir: PathBuf,
    pub prefix: WinePrefix,
}

/// For check authors: a fresh prefix seeded by `seed(prefix, working_folder)` (use
/// [`WinePrefix::reg_add`], [`WinePrefix::reg_set_raw`], [`WinePrefix::reg_import`]), then
/// `rdp-collect.exe <args>` in that working folder; asserts exit code 0 and exactly one zip.
/// Returns `None` (after `SKIPPED`) when the tools are missing outside CI.
///
/// ```ignore
/// let Some(c) = support::collect_under_wine("deny", &["--no-events"], |p, _work| {
///     p.reg_add(r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server",
///               Some("fDenyTSConnections"), "REG_DWORD", "1");
/// }) else { return };
/// let report = rdp_analyze::...(&c.zip);
/// ```
pub fn collect_under_wine(
    name: &str,
    args: &[&str],
    seed: impl FnOnce(&WinePrefix, &Path),
) -> Option<WineCollection> {
    let tools = require_tools(name)?;
    let exe = collector_exe();
    assert!(exe.is_file());
    let prefix = WinePrefix::create(name, &tools);
    let workdir = prefix.root.join("work");
    std::fs::create_dir_all(&workdir).unwrap();
    seed(&prefix, &workdir);
    prefix.wait_idle();
    let run = prefix.run_collector(&workdir, args);
    assert_eq!(
        run.exit_code,
        Some(0),
        "collector failed\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    let zip = run
        .zip
        .clone()
        .unwrap_or_else(|| panic!("no single zip in {}:\n{}", workdir.display(), run.stdout));
    Some(WineCollection {
        run,
        zip,
        workdir,
        prefix,
    })
}

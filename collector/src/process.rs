//! Running console tools: by full path, with a time limit, output captured raw.
//!
//! `gpresult` can hang for minutes when the domain link is broken, and any tool can block on a
//! prompt, so every run has a deadline: stdin is closed, stdout and stderr are drained by threads
//! (a tool blocks if nobody reads its pipe), and at the deadline the process is killed (on
//! Windows the whole job, children included) and what it printed so far is kept.
//!
//! Programs are looked up only in the System32 folder given by the caller: Windows searches the
//! current folder before `PATH` when starting a bare `netstat.exe`, so a planted copy beside the
//! collector would run. This module never does a bare-name lookup.

use crate::source::{CommandOutput, StepError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most output kept per stream. `netsh ... show rule name=all verbose` prints a few MB on a
/// busy server; beyond this the rest is read and dropped.
pub const MAX_OUTPUT_BYTES: usize = 64 << 20;

/// After the process ended, how long to wait for the pipes to close (a grandchild that inherited
/// them may keep them open).
const PIPE_GRACE: Duration = Duration::from_secs(3);

/// `system_dir\program`, after checking that `program` is a bare file name, or names a file
/// in a subfolder of System32 (`wbem\wmic.exe`), and exists there. Nothing can climb out of
/// the folder: no `.`/`..` component, no drive, no root, no forward slash.
pub fn resolve_system_program(system_dir: &Path, program: &str) -> Result<PathBuf, StepError> {
    let bare = |part: &str| {
        !part.is_empty() && !part.contains(['/', '\\', ':']) && part != "." && part != ".."
    };
    if !program.split('\\').all(bare) {
        return Err(StepError::failed(format!(
            "refusing to run {program:?}: not a program name inside the system folder"
        )));
    }
    let path = program
        .split('\\')
        .fold(system_dir.to_path_buf(), |p, part| p.join(part));
    if path.is_file() {
        Ok(path)
    } else {
        Err(StepError::not_found(format!(
            "{} does not exist on this system",
            path.display()
        )))
    }
}

/// The command line as a person would type it: arguments with spaces or quotes are quoted.
pub fn display_command_line(program: &Path, args: &[String]) -> String {
    let mut line = quote_if_needed(&program.to_string_lossy());
    for a in args {
        line.push(' ');
        line.push_str(&quote_if_needed(a));
    }
    line
}

fn quote_if_needed(arg: &str) -> String {
    if arg.is_empty() || arg.contains([' ', '\t', '"']) {
        format!("\"{}\"", arg.replace('"', "\\\""))
    } else {
        arg.to_string()
    }
}

/// Captured bytes of one stream, shared with its reader thread.
#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    truncated: bool,
    done: bool,
}

fn spawn_reader<R: Read + Send + 'static>(mut pipe: R, cap: usize) -> Arc<Mutex<Captured>> {
    let shared = Arc::new(Mutex::new(Captured::default()));
    let out = Arc::clone(&shared);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let Ok(mut c) = out.lock() else { break };
                    let room = cap.saturating_sub(c.bytes.len());
                    let take = n.min(room);
                    c.bytes.extend_from_slice(&buf[..take]);
                    if take < n {
                        c.truncated = true;
                    }
                }
            }
        }
        if let Ok(mut c) = out.lock() {
            c.done = true;
        }
    });
    shared
}

fn take(shared: &Arc<Mutex<Captured>>) -> (Vec<u8>, bool) {
    match shared.lock() {
        Ok(mut c) => (std::mem::take(&mut c.bytes), c.truncated),
        Err(_) => (Vec::new(), false),
    }
}

fn is_done(shared: &Arc<Mutex<Captured>>) -> bool {
    shared.lock().map(|c| c.done).unwrap_or(true)
}

/// Runs `program` with `args` (no shell, no PATH lookup: `program` is a full path), stdin
/// closed, killing it at `timeout`. Output over `max_output` bytes per stream is dropped.
pub fn run_with_timeout(
    program: &Path,
    args: &[String],
    timeout: Duration,
    max_output: usize,
) -> Result<CommandOutput, StepError> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    run_command_with_timeout(cmd, timeout, max_output)
}

/// [`run_with_timeout`] for a prepared `cmd` (environment and folder already set; its stdio is
/// replaced: stdin closed, stdout and stderr captured). Also used by the Wine end-to-end harness.
pub fn run_command_with_timeout(
    mut cmd: Command,
    timeout: Duration,
    max_output: usize,
) -> Result<CommandOutput, StepError> {
    let program = PathBuf::from(cmd.get_program());
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let command_line = display_command_line(&program, &args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| spawn_error(&program, &e))?;
    #[cfg(windows)]
    let job = crate::win::job::KillOnCloseJob::for_child(&child);

    let stdout = child.stdout.take().map(|p| spawn_reader(p, max_output));
    let stderr = child.stderr.take().map(|p| spawn_reader(p, max_output));

    let start = Instant::now();
    let mut pause = Duration::from_millis(2);
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        if start.elapsed() >= timeout {
            timed_out = true;
            #[cfg(windows)]
            if let Some(job) = &job {
                job.terminate();
            }
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    };

    // Let the readers drain what is left in the pipes, but not forever.
    let grace_start = Instant::now();
    while grace_start.elapsed() < PIPE_GRACE
        && !(stdout.as_ref().is_none_or(is_done) && stderr.as_ref().is_none_or(is_done))
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    #[cfg(windows)]
    drop(job);

    let (out, t1) = stdout.as_ref().map(take).unwrap_or_default();
    let (err, t2) = stderr.as_ref().map(take).unwrap_or_default();
    Ok(CommandOutput {
        command_line,
        stdout: out,
        stderr: err,
        exit_code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        timed_out,
        truncated: t1 || t2,
    })
}

fn spawn_error(program: &Path, e: &std::io::Error) -> StepError {
    let msg = format!("could not start {}: {e}", program.display());
    match e.kind() {
        std::io::ErrorKind::NotFound => StepError::not_found(msg),
        std::io::ErrorKind::PermissionDenied => StepError::access_denied(msg),
        _ => StepError::failed(msg),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> CommandOutput {
        run_with_timeout(
            Path::new("/bin/sh"),
            &["-c".to_string(), script.to_string()],
            timeout,
            MAX_OUTPUT_BYTES,
        )
        .unwrap()
    }

    #[test]
    fn captures_stdout_stderr_and_exit_code_raw() {
        let out = sh(
            "printf 'a\\r\\n\\377'; printf 'err' >&2; exit 3",
            Duration::from_secs(20),
        );
        assert_eq!(out.stdout, b"a\r\n\xff");
        assert_eq!(out.stderr, b"err");
        assert_eq!(out.exit_code, Some(3));
        assert!(!out.timed_out);
        assert_eq!(
            out.command_line,
            "/bin/sh -c \"printf 'a\\r\\n\\377'; printf 'err' >&2; exit 3\""
        );
    }

    #[test]
    fn kills_at_the_deadline_and_keeps_partial_output() {
        let t = Instant::now();
        let out = sh("echo started; exec sleep 30", Duration::from_millis(300));
        assert!(out.timed_out);
        assert_eq!(out.exit_code, None);
        assert_eq!(out.stdout, b"started\n");
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    }

    #[test]
    fn output_over_the_cap_is_dropped_and_flagged() {
        let out = run_with_timeout(
            Path::new("/bin/sh"),
            &["-c".into(), "head -c 100000 /dev/zero".into()],
            Duration::from_secs(20),
            1000,
        )
        .unwrap();
        assert_eq!(out.stdout.len(), 1000);
        assert!(out.truncated);
        assert_eq!(out.exit_code, Some(0));
    }

    #[test]
    fn stdin_is_closed_so_prompts_do_not_hang() {
        let out = sh("read x; echo \"got:$x\"", Duration::from_secs(20));
        assert!(!out.timed_out);
        assert_eq!(out.stdout, b"got:\n");
    }

    #[test]
    fn resolves_only_bare_names_inside_the_system_folder() {
        let dir = Path::new("/bin");
        assert_eq!(
            resolve_system_program(dir, "sh").unwrap(),
            PathBuf::from("/bin/sh")
        );
        assert_eq!(
            resolve_system_program(Path::new("/usr"), r"bin\sh").unwrap(),
            PathBuf::from("/usr/bin/sh")
        );
        let e = resolve_system_program(dir, "no-such-tool.exe").unwrap_err();
        assert_eq!(e.status, crate::bundle::Status::NotFound);
        assert!(e.message.contains("/bin/no-such-tool.exe does not exist"));
        for bad in [
            "../bin/sh",
            "sub/sh",
            r"C:\x.exe",
            r".\netstat.exe",
            r"..\bin\sh",
            r"wbem\..\..\x.exe",
            r"\wbem\wmic.exe",
            r"wbem\",
            "",
            "..",
        ] {
            let e = resolve_system_program(dir, bad).unwrap_err();
            assert_eq!(e.status, crate::bundle::Status::Failed, "{bad}");
        }
    }

    #[test]
    fn missing_program_is_not_found() {
        let e = run_with_timeout(
            Path::new("/nonexistent/tool"),
            &[],
            Duration::from_secs(5),
            100,
        )
        .unwrap_err();
        assert_eq!(e.status, crate::bundle::Status::NotFound);
    }

    #[test]
    fn display_quotes_arguments_with_spaces() {
        assert_eq!(
            display_command_line(
                Path::new(r"C:\Windows\System32\certutil.exe"),
                &["-store".into(), "Remote Desktop".into()]
            ),
            r#"C:\Windows\System32\certutil.exe -store "Remote Desktop""#
        );
    }
}

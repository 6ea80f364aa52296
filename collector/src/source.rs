//! Where evidence comes from: the [`Source`] trait between the collection logic and the machine.
//!
//! The Windows implementation (`crate::win::WindowsSource`, compiled only on Windows) talks to the
//! registry API, CryptoAPI, wevtapi and runs System32 tools. [`RecordedSource`] replays recorded
//! outputs, so the whole collection (ordering, statuses, zip layout, console report) is tested on
//! Linux.

use crate::bundle::{OsInfo, Status};
use crate::probe::{ProbeConfig, ProbeOutcome};
use crate::regfile::RegKey;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a step produced nothing (or less than everything): the manifest status and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub status: Status,
    pub message: String,
}

impl StepError {
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        StepError {
            status,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Status::NotFound, message)
    }
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(Status::AccessDenied, message)
    }
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Status::Failed, message)
    }
    pub fn timed_out(message: impl Into<String>) -> Self {
        Self::new(Status::TimedOut, message)
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status.as_str(), self.message)
    }
}

/// Manifest status for a Win32 error code (or an HRESULT wrapping one, `0x8007xxxx`): the
/// distinctions support cares about are "not there", "not allowed" and "too slow".
pub fn status_for_win32_error(code: u32) -> Status {
    let code = if code & 0xFFFF_0000 == 0x8007_0000 {
        code & 0xFFFF
    } else {
        code
    };
    match code {
        // FILE_NOT_FOUND, PATH_NOT_FOUND, SERVICE_DOES_NOT_EXIST, EVT_CHANNEL_NOT_FOUND,
        // EVT_INVALID_CHANNEL_PATH (older systems for unknown channels)
        2 | 3 | 1060 | 15007 | 15000 => Status::NotFound,
        // ACCESS_DENIED, PRIVILEGE_NOT_HELD (Security log without SeSecurityPrivilege)
        5 | 1314 => Status::AccessDenied,
        // WAIT_TIMEOUT, ERROR_TIMEOUT
        258 | 1460 => Status::TimedOut,
        _ => Status::Failed,
    }
}

/// Facts about the machine and the collector's own process, read once at the start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemFacts {
    pub host_name: String,
    pub os: OsInfo,
    /// Whether the process token is elevated; `None` when it could not be read.
    pub elevated: Option<bool>,
    /// Code page console tools write redirected output in (console output CP, else OEM CP).
    pub code_page: Option<u32>,
}

/// Bounds on one recursive registry export. Registry reads are fast, but a key can be deep,
/// wide or hold huge values (and `CurrentControlSet` trees are links): nothing is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegLimits {
    /// Levels below the exported key (Windows allows 512; the RDP keys use fewer than 10).
    pub max_depth: usize,
    /// Largest single value kept; bigger ones are left out with a warning.
    pub max_value_bytes: usize,
    /// Total value bytes kept for the whole tree.
    pub max_total_bytes: usize,
    /// Number of keys visited.
    pub max_keys: usize,
    /// Wall-clock limit for the whole tree.
    pub time_limit: Duration,
}

impl Default for RegLimits {
    fn default() -> Self {
        RegLimits {
            max_depth: 64,
            max_value_bytes: 16 << 20,
            max_total_bytes: 128 << 20,
            max_keys: 100_000,
            time_limit: Duration::from_secs(60),
        }
    }
}

/// A recursive registry read. `warnings` name what was left out (unreadable subkeys, oversized
/// values, limits reached); the tree holds everything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegRead {
    pub root: RegKey,
    pub warnings: Vec<String>,
    /// The time limit stopped the walk; the tree is partial.
    pub timed_out: bool,
}

/// What a console command produced, raw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// The command line as run, with the full program path (goes to the manifest's `producer`).
    pub command_line: String,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `None` when the process was killed at its time limit.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// Output beyond the capture limit was dropped.
    pub truncated: bool,
}

/// One certificate of a store, as CryptoAPI holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertItem {
    /// The encoded certificate (`CERT_CONTEXT.pbCertEncoded`), DER.
    pub der: Vec<u8>,
    /// `CERT_KEY_PROV_INFO_PROP_ID` is set.
    pub has_private_key: bool,
    /// `CRYPT_KEY_PROV_INFO.pwszContainerName`.
    pub key_container: Option<String>,
    /// Whether `CryptAcquireCertificatePrivateKey` succeeded (silently); `None` if not tried.
    pub private_key_accessible: Option<bool>,
}

/// Files an event log export left beside the `.evtx` it was asked to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventExport {
    /// `LocaleMetaData\*.MTA` files written by `EvtArchiveExportedLog`.
    pub locale_files: Vec<PathBuf>,
    /// Why locale metadata is missing, when it is.
    pub locale_error: Option<String>,
}

/// Everything the collection needs from a machine. Each method is one step; an `Err` is recorded
/// in the manifest and the collection goes on.
pub trait Source {
    /// Host name, OS version, elevation, console code page.
    fn system_facts(&mut self) -> SystemFacts;

    /// An environment variable (used for `%ProgramData%` in command arguments).
    fn env_var(&mut self, name: &str) -> Option<String>;

    /// Reads `key` (a full `HKEY_LOCAL_MACHINE\...` path) recursively.
    fn read_registry(&mut self, key: &str, limits: &RegLimits) -> Result<RegRead, StepError>;

    /// Runs `program` (a bare file name such as `netstat.exe`, always resolved under System32,
    /// never through `PATH`) and captures its output, killing it at `timeout`.
    fn run_command(
        &mut self,
        program: &str,
        args: &[String],
        timeout: Duration,
    ) -> Result<CommandOutput, StepError>;

    /// Runs `gpresult /H <html> /F`; the report is read from `html` afterwards.
    fn run_gpresult(&mut self, html: &Path, timeout: Duration) -> Result<CommandOutput, StepError> {
        let args = vec![
            "/H".to_string(),
            html.to_string_lossy().into_owned(),
            "/F".to_string(),
        ];
        self.run_command("gpresult.exe", &args, timeout)
    }

    /// Runs a tool that writes its result into `file` (named among `args`, inside the private
    /// scratch folder), such as `secedit /export /cfg <file>`. The caller reads `file` after.
    fn run_command_to_file(
        &mut self,
        program: &str,
        args: &[String],
        _file: &Path,
        timeout: Duration,
    ) -> Result<CommandOutput, StepError> {
        self.run_command(program, args, timeout)
    }

    /// The local name of a well-known account or group, e.g. `S-1-5-32-555` ->
    /// "Remote Desktop Users" ("Remotedesktopbenutzer" on a German system).
    fn account_name(&mut self, sid: &str) -> Result<String, StepError>;

    /// The domain this machine is joined to (its NetBIOS name), `None` in a workgroup.
    fn joined_domain(&mut self) -> Result<Option<String>, StepError>;

    /// Runs the RDP handshake probe (see [`crate::probe`]).
    fn rdp_probe(&mut self, config: &ProbeConfig) -> Result<ProbeOutcome, StepError>;

    /// The certificates of a local machine store ("Remote Desktop", "My").
    fn certificates(&mut self, store: &str) -> Result<Vec<CertItem>, StepError>;

    /// Exports event log `channel` to `dest` (which does not exist yet), filtered by the XPath
    /// `query` when given, plus locale metadata into `dest`'s folder.
    fn export_event_log(
        &mut self,
        channel: &str,
        query: Option<&str>,
        dest: &Path,
        timeout: Duration,
    ) -> Result<EventExport, StepError>;
}

/// A recorded event log: the `.evtx` bytes and locale files (name, bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedEvents {
    pub evtx: Vec<u8>,
    pub locale_files: Vec<(String, Vec<u8>)>,
}

/// A recorded gpresult run: its console output and the HTML report it wrote (if any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedGpresult {
    pub console: CommandOutput,
    pub report: Option<Vec<u8>>,
}

/// A recorded run of a tool that writes a file: its console output and the file (if any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedFileCommand {
    pub console: CommandOutput,
    pub file: Option<Vec<u8>>,
}

/// Stands for the scratch file's path in [`RecordedSource::file_commands`] keys.
pub const FILE_PLACEHOLDER: &str = "<file>";

/// A call [`RecordedSource`] received, for tests that check what the collection asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedCall {
    Registry {
        key: String,
        max_depth: usize,
    },
    /// A tool writing a file; `args` as run (scratch paths included).
    FileCommand {
        program: String,
        args: Vec<String>,
    },
    AccountName(String),
    JoinedDomain,
    Probe(String),
    Command {
        program: String,
        args: Vec<String>,
        timeout: Duration,
    },
    Gpresult,
    Certificates(String),
    Events {
        channel: String,
        query: Option<String>,
    },
}

/// Replays recorded outputs. Anything not recorded answers `not_found` ("not recorded"), like a
/// machine where that key, tool or log does not exist.
#[derive(Debug, Clone, Default)]
pub struct RecordedSource {
    pub facts: SystemFacts,
    pub env: HashMap<String, String>,
    /// Keyed by full key path.
    pub registry: HashMap<String, Result<RegRead, StepError>>,
    /// Keyed by `program` followed by each argument, space-joined (`sc.exe queryex TermService`).
    pub commands: HashMap<String, Result<CommandOutput, StepError>>,
    pub gpresult: Option<Result<RecordedGpresult, StepError>>,
    /// Keyed like `commands`, with the output file's path replaced by [`FILE_PLACEHOLDER`]
    /// (and any other scratch path by its file name).
    pub file_commands: HashMap<String, Result<RecordedFileCommand, StepError>>,
    /// Keyed by SID string.
    pub accounts: HashMap<String, String>,
    /// `None`: not recorded (not found).
    pub domain: Option<Result<Option<String>, StepError>>,
    pub probe: Option<Result<ProbeOutcome, StepError>>,
    /// Keyed by store name.
    pub certs: HashMap<String, Result<Vec<CertItem>, StepError>>,
    /// Keyed by channel.
    pub events: HashMap<String, Result<RecordedEvents, StepError>>,
    /// Every call received, in order.
    pub calls: Vec<RecordedCall>,
}

fn not_recorded(what: &str) -> StepError {
    StepError::not_found(format!("{what}: not recorded"))
}

/// The key under which [`RecordedSource::commands`] holds a command.
pub fn command_key(program: &str, args: &[String]) -> String {
    let mut key = program.to_string();
    for a in args {
        key.push(' ');
        key.push_str(a);
    }
    key
}

impl Source for RecordedSource {
    fn system_facts(&mut self) -> SystemFacts {
        self.facts.clone()
    }

    fn env_var(&mut self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }

    fn read_registry(&mut self, key: &str, limits: &RegLimits) -> Result<RegRead, StepError> {
        self.calls.push(RecordedCall::Registry {
            key: key.to_string(),
            max_depth: limits.max_depth,
        });
        self.registry
            .get(key)
            .cloned()
            .unwrap_or_else(|| Err(not_recorded(key)))
    }

    fn run_command(
        &mut self,
        program: &str,
        args: &[String],
        timeout: Duration,
    ) -> Result<CommandOutput, StepError> {
        self.calls.push(RecordedCall::Command {
            program: program.to_string(),
            args: args.to_vec(),
            timeout,
        });
        let key = command_key(program, args);
        self.commands
            .get(&key)
            .cloned()
            .unwrap_or_else(|| Err(not_recorded(&key)))
    }

    fn run_gpresult(
        &mut self,
        html: &Path,
        _timeout: Duration,
    ) -> Result<CommandOutput, StepError> {
        self.calls.push(RecordedCall::Gpresult);
        match self.gpresult.clone() {
            None => Err(not_recorded("gpresult.exe")),
            Some(Err(e)) => Err(e),
            Some(Ok(RecordedGpresult {
                console: out,
                report,
            })) => {
                if let Some(bytes) = report {
                    std::fs::write(html, bytes)
                        .map_err(|e| StepError::failed(format!("writing {html:?}: {e}")))?;
                }
                Ok(out)
            }
        }
    }

    fn run_command_to_file(
        &mut self,
        program: &str,
        args: &[String],
        file: &Path,
        _timeout: Duration,
    ) -> Result<CommandOutput, StepError> {
        self.calls.push(RecordedCall::FileCommand {
            program: program.to_string(),
            args: args.to_vec(),
        });
        let file_text = file.to_string_lossy();
        let scratch = file.parent().map(|p| p.to_string_lossy().into_owned());
        let keyed: Vec<String> = args
            .iter()
            .map(|a| {
                if *a == file_text {
                    FILE_PLACEHOLDER.to_string()
                } else {
                    match &scratch {
                        Some(dir) if a.starts_with(dir.as_str()) => Path::new(a)
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_else(|| a.clone()),
                        _ => a.clone(),
                    }
                }
            })
            .collect();
        let key = command_key(program, &keyed);
        let rec = self
            .file_commands
            .get(&key)
            .cloned()
            .unwrap_or_else(|| Err(not_recorded(&key)))?;
        if let Some(bytes) = rec.file {
            std::fs::write(file, bytes)
                .map_err(|e| StepError::failed(format!("writing {file:?}: {e}")))?;
        }
        Ok(rec.console)
    }

    fn account_name(&mut self, sid: &str) -> Result<String, StepError> {
        self.calls.push(RecordedCall::AccountName(sid.to_string()));
        self.accounts
            .get(sid)
            .cloned()
            .ok_or_else(|| not_recorded(sid))
    }

    fn joined_domain(&mut self) -> Result<Option<String>, StepError> {
        self.calls.push(RecordedCall::JoinedDomain);
        self.domain
            .clone()
            .unwrap_or_else(|| Err(not_recorded("domain membership")))
    }

    fn rdp_probe(&mut self, config: &ProbeConfig) -> Result<ProbeOutcome, StepError> {
        self.calls
            .push(RecordedCall::Probe(config.target.to_string()));
        self.probe
            .clone()
            .unwrap_or_else(|| Err(not_recorded("rdp probe")))
    }

    fn certificates(&mut self, store: &str) -> Result<Vec<CertItem>, StepError> {
        self.calls
            .push(RecordedCall::Certificates(store.to_string()));
        self.certs
            .get(store)
            .cloned()
            .unwrap_or_else(|| Err(not_recorded(store)))
    }

    fn export_event_log(
        &mut self,
        channel: &str,
        query: Option<&str>,
        dest: &Path,
        _timeout: Duration,
    ) -> Result<EventExport, StepError> {
        self.calls.push(RecordedCall::Events {
            channel: channel.to_string(),
            query: query.map(str::to_string),
        });
        let rec = self
            .events
            .get(channel)
            .cloned()
            .unwrap_or_else(|| Err(not_recorded(channel)))?;
        let io = |e: std::io::Error| StepError::failed(e.to_string());
        std::fs::write(dest, &rec.evtx).map_err(io)?;
        let mut export = EventExport::default();
        if !rec.locale_files.is_empty() {
            let dir = dest
                .parent()
                .unwrap_or(Path::new("."))
                .join("LocaleMetaData");
            std::fs::create_dir_all(&dir).map_err(io)?;
            for (name, bytes) in rec.locale_files {
                let p = dir.join(name);
                std::fs::write(&p, bytes).map_err(io)?;
                export.locale_files.push(p);
            }
        }
        Ok(export)
    }
}

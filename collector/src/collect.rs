//! The collection itself: which steps run in which order, how each outcome becomes a manifest
//! record, and the one-line-per-step console progress.
//!
//! Everything here is portable and goes through [`Source`], so the exact bundle a machine would
//! produce is tested on Linux with [`crate::source::RecordedSource`]. A step that fails is
//! recorded (status and reason) and the collection goes on; only a failure to write the zip itself
//! (disk full, folder gone) stops it, as an `Err`.

use crate::bundle::{
    self, paths, ArtifactRecord, BundleWriter, CertIndexEntry, CertStoreSpec, CommandSpec,
    EventLogSpec, Manifest, RegistrySpec, Status, CERT_STORES, COMMANDS, EVENTS_LOCALE_DIR,
    EVENT_LOGS, REGISTRY_KEYS,
};
use crate::probe::{self, ProbeConfig, DEFAULT_RDP_PORT};
use crate::regfile::{self, RegKey};
use crate::source::{CommandOutput, RegLimits, Source, StepError, SystemFacts};
use sha1::{Digest, Sha1};
use std::io::{self, Read, Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

/// Name written to the manifest's `collector` field.
pub const COLLECTOR_NAME: &str = "rdp-collect";
/// Version written to the manifest and printed by `--version`.
pub const COLLECTOR_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The well-known SID of the Remote Desktop Users group (BUILTIN), whose name is localized.
pub const REMOTE_DESKTOP_USERS_SID: &str = "S-1-5-32-555";
/// The group's English name, used when the SID cannot be resolved.
pub const REMOTE_DESKTOP_USERS_NAME: &str = "Remote Desktop Users";

/// What to collect and how long each step may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectOptions {
    /// Event logs: only events of the last `days` days; 0 exports the whole log.
    pub days: u32,
    /// Export event logs at all (`--no-events` clears it).
    pub events: bool,
    /// Time limit of each console command, gpresult included.
    pub command_timeout: Duration,
    /// Time limit of each event log export.
    pub event_timeout: Duration,
    pub reg_limits: RegLimits,
    /// Console detail only (not recorded): print each step's producer too.
    pub verbose: bool,
    /// Run the local RDP handshake probe (`--no-probe` clears it).
    pub probe: bool,
    /// `--offline VOLUME`: read the files of an attached Windows volume instead of this
    /// machine (see [`crate::offline`]).
    pub offline: Option<std::path::PathBuf>,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            days: 14,
            events: true,
            command_timeout: Duration::from_secs(60),
            event_timeout: Duration::from_secs(600),
            reg_limits: RegLimits::default(),
            verbose: false,
            probe: true,
            offline: None,
        }
    }
}

impl CollectOptions {
    /// The options as written to the manifest.
    pub fn as_manifest_options(&self) -> Vec<String> {
        let mut v = vec![
            format!("--days {}", self.days),
            format!("--timeout {}", self.command_timeout.as_secs()),
            format!("--event-timeout {}", self.event_timeout.as_secs()),
        ];
        if !self.events {
            v.push("--no-events".to_string());
        }
        if !self.probe {
            v.push("--no-probe".to_string());
        }
        v
    }
}

/// One collection step.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    Registry(&'static RegistrySpec),
    Command(&'static CommandSpec),
    /// `secedit /export` of user rights and security options into a scratch file.
    Secedit,
    /// `net localgroup` of Remote Desktop Users, by its localized name.
    NetLocalgroupRdu,
    /// `nltest /sc_query:<domain>`, domain-joined machines only.
    Nltest,
    Gpresult,
    Certificates(&'static CertStoreSpec),
    EventLog(&'static EventLogSpec),
    /// The local RDP handshake probe ([`crate::probe`]).
    HandshakeProbe,
}

impl Step {
    /// Short name for the console and the final "could not be collected" list.
    pub fn label(&self) -> String {
        match self {
            Step::Registry(r) => format!("Registry {}", short_key(r.key)),
            Step::Command(c) => {
                let mut s = c.program.trim_end_matches(".exe").to_string();
                for a in c.args {
                    s.push(' ');
                    s.push_str(a);
                }
                s
            }
            Step::Secedit => "secedit /export (user rights, security options)".to_string(),
            Step::NetLocalgroupRdu => "net localgroup (Remote Desktop Users)".to_string(),
            Step::Nltest => "nltest /sc_query (domain secure channel)".to_string(),
            Step::Gpresult => "gpresult /H (group policy report)".to_string(),
            Step::Certificates(c) => format!("Certificates, {} store", c.store),
            Step::EventLog(e) => format!("{} log", e.channel),
            Step::HandshakeProbe => "RDP handshake probe (local listener)".to_string(),
        }
    }

    /// Bundle path of the step's main artifact.
    pub fn path(&self) -> String {
        match self {
            Step::Registry(r) => r.path.to_string(),
            Step::Command(c) => c.path.to_string(),
            Step::Secedit => paths::SECEDIT_USER_RIGHTS.to_string(),
            Step::NetLocalgroupRdu => paths::NET_LOCALGROUP_RDU.to_string(),
            Step::Nltest => paths::NLTEST_SC_QUERY.to_string(),
            Step::Gpresult => paths::GPRESULT_HTML.to_string(),
            Step::Certificates(c) => format!("{}/", c.dir),
            Step::EventLog(e) => e.path.to_string(),
            Step::HandshakeProbe => paths::RDP_HANDSHAKE.to_string(),
        }
    }
}

/// `HKEY_LOCAL_MACHINE\X` -> `HKLM\X`, as people write it.
pub fn short_key(key: &str) -> String {
    for (long, short) in [
        ("HKEY_LOCAL_MACHINE", "HKLM"),
        ("HKEY_CURRENT_USER", "HKCU"),
        ("HKEY_USERS", "HKU"),
        ("HKEY_CLASSES_ROOT", "HKCR"),
    ] {
        if let Some(rest) = key.strip_prefix(long) {
            return format!("{short}{rest}");
        }
    }
    key.to_string()
}

/// The steps in collection order: the fast registry reads first, then the console tools,
/// gpresult (slow, may hang), certificates, the event logs (large), and the handshake probe
/// last: its own connection would otherwise show in the RDP logs exported after it.
pub fn plan(opts: &CollectOptions) -> Vec<Step> {
    let mut steps: Vec<Step> = REGISTRY_KEYS.iter().map(Step::Registry).collect();
    steps.extend(COMMANDS.iter().map(Step::Command));
    steps.extend([Step::Secedit, Step::NetLocalgroupRdu, Step::Nltest]);
    steps.push(Step::Gpresult);
    steps.extend(CERT_STORES.iter().map(Step::Certificates));
    if opts.events {
        steps.extend(EVENT_LOGS.iter().map(Step::EventLog));
    }
    steps.push(Step::HandshakeProbe);
    steps
}

/// The text of `--list`: every step, what it reads and where it goes in the zip.
pub fn describe_plan(opts: &CollectOptions) -> String {
    let mut s = String::from("rdp-collect would collect (read-only):\n");
    for step in plan(opts) {
        let limit = opts.command_timeout.as_secs();
        let what = match step {
            Step::Registry(r) => match r.max_depth {
                None => format!("{} (recursive)", r.key),
                Some(0) => format!("{} (its values only)", r.key),
                Some(n) => format!("{} ({n} level(s) of subkeys)", r.key),
            },
            Step::Command(c) => {
                let program = format!("%SystemRoot%\\System32\\{}", c.program);
                let args: Vec<String> = c.args.iter().map(|a| a.to_string()).collect();
                format!(
                    "{} (time limit {} s)",
                    crate::process::display_command_line(Path::new(&program), &args),
                    opts.command_timeout.as_secs()
                )
            }
            Step::Secedit => format!(
                "%SystemRoot%\\System32\\secedit.exe /export /cfg <private temp file> /areas \
SECURITYPOLICY USER_RIGHTS /log <private temp file> (time limit {limit} s)"
            ),
            Step::NetLocalgroupRdu => format!(
                "%SystemRoot%\\System32\\net.exe localgroup \"<local name of \
{REMOTE_DESKTOP_USERS_SID}>\" (time limit {limit} s)"
            ),
            Step::Nltest => format!(
                "%SystemRoot%\\System32\\nltest.exe /sc_query:<domain>, when domain-joined \
(time limit {limit} s)"
            ),
            Step::Gpresult => format!(
                "%SystemRoot%\\System32\\gpresult.exe /H <private temp file> /F (time limit {limit} s)"
            ),
            Step::Certificates(c) => format!(
                "certificates of the local machine \"{}\" store (DER) and {}",
                c.store,
                paths::CERT_INDEX
            ),
            Step::EventLog(e) => format!("event log {} ({})", e.channel, days_text(opts.days)),
            Step::HandshakeProbe if !opts.probe => "handshake probe skipped (--no-probe)".to_string(),
            Step::HandshakeProbe => format!(
                "connects to 127.0.0.1:<RDP-Tcp PortNumber>, sends an RDP Connection Request, \
completes a TLS handshake; the served certificate goes to {}/",
                paths::CERTS_SERVED_DIR
            ),
        };
        s.push_str(&format!("  {:<58} {}\n", step.path(), what));
    }
    if !opts.events {
        s.push_str("  (event logs skipped: --no-events)\n");
    }
    s.push_str(&format!(
        "  {:<58} what was collected, and why anything is missing\n",
        bundle::MANIFEST_PATH
    ));
    s
}

fn days_text(days: u32) -> String {
    match days {
        0 => "all events".to_string(),
        1 => "last day".to_string(),
        n => format!("last {n} days"),
    }
}

/// XPath filter for `EvtExportLog`: events of the last `days` days (`timediff` is in ms,
/// relative to now, so the filter needs no clock on our side). `None` exports everything.
pub fn event_query(days: u32) -> Option<String> {
    if days == 0 {
        return None;
    }
    let ms = u64::from(days) * 86_400_000;
    Some(format!(
        "*[System[TimeCreated[timediff(@SystemTime) <= {ms}]]]"
    ))
}

/// Replaces `%NAME%` with `lookup(NAME)`; unknown variables stay as written (as cmd does).
pub fn expand_vars(text: &str, mut lookup: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) if end > 0 => {
                let name = &after[..end];
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('%');
                        out.push_str(name);
                        out.push('%');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Something that could not be collected, for the final report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub label: String,
    pub status: Status,
    pub message: String,
}

/// Result of a collection: the manifest as written, and what is missing.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub manifest: Manifest,
    pub missing: Vec<Missing>,
}

/// Status in plain words for the console.
pub fn status_words(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Failed => "failed",
        Status::TimedOut => "timed out",
        Status::AccessDenied => "access denied",
        Status::NotFound => "not found",
        Status::Skipped => "skipped",
    }
}

/// The line a customer reads for something missing, e.g. "Security log: access denied, run as
/// administrator for a complete bundle".
pub fn missing_line(m: &Missing, elevated: Option<bool>) -> String {
    let mut line = format!("{}: {}", m.label, status_words(m.status));
    if m.status == Status::AccessDenied && elevated != Some(true) {
        line.push_str(", run as administrator for a complete bundle");
    }
    if !m.message.is_empty() {
        line.push_str(&format!(" ({})", m.message));
    }
    line
}

/// Progress on the console: the step's label before it runs (a slow gpresult is visibly
/// running), its outcome after.
struct Progress<'a> {
    out: &'a mut dyn Write,
    total: usize,
    index: usize,
    /// Also print each step's bundle path and producer.
    verbose: bool,
}

impl Progress<'_> {
    fn start(&mut self, label: &str) {
        self.index += 1;
        let _ = write!(
            self.out,
            "[{:>2}/{}] {:<60} ",
            self.index, self.total, label
        );
        let _ = self.out.flush();
    }

    fn finish(&mut self, rec: &ArtifactRecord) {
        let (status, message, ms) = (rec.status, rec.message.as_deref(), rec.duration_ms);
        let text = match (status, message) {
            (Status::Ok, None) => format!("ok ({ms} ms)"),
            (Status::Ok, Some(m)) => format!("ok ({ms} ms), note: {m}"),
            (s, Some(m)) => format!("{}: {m}", status_words(s).to_uppercase()),
            (s, None) => status_words(s).to_uppercase(),
        };
        let _ = writeln!(self.out, "{text}");
        if self.verbose {
            let _ = writeln!(self.out, "        {} <- {}", rec.path, rec.producer);
        }
    }
}

/// Tracks whether a failure came from the reader (a step problem) or the zip (fatal).
struct TrackedReader<R> {
    inner: R,
    read_error: Option<String>,
}

impl<R: Read> Read for TrackedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            self.read_error = Some(e.to_string());
        })
    }
}

struct Collector<'a, W: Write + Seek> {
    source: &'a mut dyn Source,
    facts: &'a SystemFacts,
    opts: &'a CollectOptions,
    scratch: &'a Path,
    zip: BundleWriter<W>,
    progress: Progress<'a>,
    missing: Vec<Missing>,
    /// RDP-Tcp's PortNumber from the Terminal Server export, or why it is unknown.
    rdp_port: Result<u16, String>,
}

/// Writes `manifest` (with the records of what was written) at the end of the zip and gives
/// back the writer with the run's outcome: the last step of a live and an offline collection.
pub(crate) fn finish_bundle<W: Write + Seek>(
    zip: BundleWriter<W>,
    manifest: Manifest,
    missing: Vec<Missing>,
) -> io::Result<(W, Outcome)> {
    let records_manifest = Manifest {
        artifacts: zip.records().to_vec(),
        ..manifest.clone()
    };
    let writer = zip.finish(manifest)?;
    Ok((
        writer,
        Outcome {
            manifest: records_manifest,
            missing,
        },
    ))
}

/// Runs every step of [`plan`] against `source` and writes the bundle into `writer`: artifacts as
/// they come (nothing large is held in memory), the manifest last. `scratch` is a private folder
/// for files tools write themselves. `Err` only when writing the zip failed.
pub fn collect<W: Write + Seek>(
    source: &mut dyn Source,
    facts: &SystemFacts,
    opts: &CollectOptions,
    started: SystemTime,
    scratch: &Path,
    writer: W,
    progress: &mut dyn Write,
) -> io::Result<(W, Outcome)> {
    let steps = plan(opts);
    let total = steps.len() + if opts.events { 0 } else { EVENT_LOGS.len() };
    let mut c = Collector {
        source,
        facts,
        opts,
        scratch,
        zip: BundleWriter::new(writer),
        progress: Progress {
            out: progress,
            total,
            index: 0,
            verbose: opts.verbose,
        },
        missing: Vec::new(),
        rdp_port: Err("the Terminal Server key was not read".to_string()),
    };
    let mut certs_done = false;
    for step in &steps {
        if matches!(step, Step::HandshakeProbe) && !opts.events {
            c.skip_event_logs();
        }
        match step {
            Step::Registry(spec) => c.registry(step, spec)?,
            Step::Command(spec) => c.command(step, spec)?,
            Step::Secedit => c.secedit(step)?,
            Step::NetLocalgroupRdu => c.net_localgroup_rdu(step)?,
            Step::Nltest => c.nltest(step)?,
            Step::Gpresult => c.gpresult(step)?,
            // All stores in one go: they share certs/index.json.
            Step::Certificates(_) if !certs_done => {
                c.certificates()?;
                certs_done = true;
            }
            Step::Certificates(_) => {}
            Step::EventLog(spec) => c.event_log(step, spec)?,
            Step::HandshakeProbe => c.handshake_probe(step)?,
        }
    }
    let manifest = Manifest {
        format_version: bundle::FORMAT_VERSION,
        collector: COLLECTOR_NAME.to_string(),
        collector_version: COLLECTOR_VERSION.to_string(),
        host_name: facts.host_name.clone(),
        os: facts.os.clone(),
        started_utc: rfc3339(started),
        finished_utc: rfc3339(SystemTime::now()),
        elevated: facts.elevated,
        options: opts.as_manifest_options(),
        artifacts: Vec::new(),
        offline: None,
    };
    finish_bundle(c.zip, manifest, c.missing)
}

/// UTC time as RFC 3339 with seconds, e.g. `2026-01-01T10:00:00Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let t: chrono::DateTime<chrono::Utc> = t.into();
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn elapsed_ms(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// At most `max` warnings, then a count of the rest: a broken key can produce thousands.
fn join_warnings(warnings: &[String], max: usize) -> Option<String> {
    if warnings.is_empty() {
        return None;
    }
    let mut s = warnings
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if warnings.len() > max {
        s.push_str(&format!("; and {} more", warnings.len() - max));
    }
    Some(s)
}

/// First non-empty lines of console output, for a manifest message.
/// The console text of `bytes`: UTF-16LE when it looks so (a BOM, or NULs in every odd byte of
/// its start: wmic writes UTF-16LE even to a pipe), else UTF-8 with bad bytes replaced.
fn console_text(bytes: &[u8]) -> String {
    let head = bytes.get(..bytes.len().min(64)).unwrap_or_default();
    let utf16 = bytes.starts_with(&[0xFF, 0xFE])
        || (head.len() >= 4
            && head.len() % 2 == 0
            && head.iter().skip(1).step_by(2).all(|b| *b == 0));
    if utf16 {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
            .trim_start_matches('\u{FEFF}')
            .to_string()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn console_excerpt(bytes: &[u8]) -> String {
    let text = console_text(bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect();
    let mut s = lines.join(" / ");
    if s.len() > 300 {
        let mut cut = 300;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// `a; b` of whichever is there.
fn join_notes(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

/// Status of a tool that writes its result into `file` (gpresult, secedit): as a command, but
/// no file (or an empty one) after a clean exit is a failure, with what the tool printed.
fn file_outcome(
    out: &CommandOutput,
    file: &Path,
    timeout: Duration,
    no_file: &str,
) -> (Status, Option<String>, Option<std::fs::File>) {
    let written = std::fs::File::open(file)
        .ok()
        .filter(|f| f.metadata().map(|m| m.len() > 0).unwrap_or(false));
    let (mut status, mut message) = classify_command(out, timeout);
    if written.is_none() && status == Status::Ok {
        status = Status::Failed;
        let excerpt = console_excerpt(&[out.stdout.as_slice(), &out.stderr].concat());
        message = Some(if excerpt.is_empty() {
            no_file.to_string()
        } else {
            format!("{no_file}: {excerpt}")
        });
    }
    (status, message, written)
}

/// RDP-Tcp's `PortNumber` in an export of the Terminal Server key, or why there is none.
pub fn rdp_port(root: &RegKey) -> Result<u16, String> {
    let key = find_key(root, "\\WinStations\\RDP-Tcp")
        .ok_or_else(|| "the RDP-Tcp listener key does not exist".to_string())?;
    let value = key
        .values
        .iter()
        .find(|v| v.name.eq_ignore_ascii_case("PortNumber"))
        .ok_or_else(|| "RDP-Tcp has no PortNumber value".to_string())?;
    let n = match (value.kind, value.data.as_slice()) {
        (regfile::REG_DWORD, [a, b, c, d]) => u32::from_le_bytes([*a, *b, *c, *d]),
        _ => return Err("RDP-Tcp PortNumber is not a REG_DWORD".to_string()),
    };
    u16::try_from(n)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("RDP-Tcp PortNumber {n} is not a TCP port"))
}

fn find_key<'a>(key: &'a RegKey, suffix: &str) -> Option<&'a RegKey> {
    if key
        .path
        .to_ascii_lowercase()
        .ends_with(&suffix.to_ascii_lowercase())
    {
        return Some(key);
    }
    key.subkeys.iter().find_map(|k| find_key(k, suffix))
}

const HRESULT_ACCESS_DENIED: i32 = 0x8007_0005_u32 as i32;
const HRESULT_FILE_NOT_FOUND: i32 = 0x8007_0002_u32 as i32;
const HRESULT_PATH_NOT_FOUND: i32 = 0x8007_0003_u32 as i32;
const ERROR_SERVICE_DOES_NOT_EXIST: i32 = 1060;
/// wmic's exit code for a namespace that does not exist (`root\SecurityCenter2` on Windows
/// Server) and for a class that does not exist.
const WBEM_E_INVALID_NAMESPACE: i32 = 0x8004_100E_u32 as i32;
const WBEM_E_INVALID_CLASS: i32 = 0x8004_1010_u32 as i32;

/// Status of a command that ran. Tools signal "no rights" and "no such thing" in their exit
/// code (`sc` 1060, certutil HRESULTs) or only in localized text; the HRESULT also appears in
/// certutil's text in every language.
pub fn classify_command(out: &CommandOutput, timeout: Duration) -> (Status, Option<String>) {
    if out.timed_out {
        return (
            Status::TimedOut,
            Some(format!(
                "killed after {} s; output so far kept",
                timeout.as_secs()
            )),
        );
    }
    let truncated = out
        .truncated
        .then(|| "output over the capture limit was dropped".to_string());
    let code = match out.exit_code {
        Some(0) => return (Status::Ok, truncated),
        Some(c) => c,
        None => return (Status::Failed, Some("no exit code".to_string())),
    };
    let text = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    let mentions = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
    let excerpt = console_excerpt(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    });
    let message = if excerpt.is_empty() {
        format!("exit code {code}")
    } else {
        format!("exit code {code}: {excerpt}")
    };
    if code == 5 || code == HRESULT_ACCESS_DENIED || mentions(b"0x80070005") {
        return (Status::AccessDenied, Some(message));
    }
    if code == ERROR_SERVICE_DOES_NOT_EXIST
        || code == HRESULT_FILE_NOT_FOUND
        || code == HRESULT_PATH_NOT_FOUND
        || code == WBEM_E_INVALID_NAMESPACE
        || code == WBEM_E_INVALID_CLASS
    {
        return (Status::NotFound, Some(message));
    }
    if out.stdout.is_empty() {
        (Status::Failed, Some(message))
    } else {
        (Status::Ok, Some(message))
    }
}

impl<W: Write + Seek> Collector<'_, W> {
    fn note_missing(&mut self, step: &Step, status: Status, message: Option<&str>) {
        if status != Status::Ok && status != Status::Skipped {
            self.missing.push(Missing {
                label: step.label(),
                status,
                message: message.unwrap_or_default().to_string(),
            });
        }
    }

    /// Records a step that stored nothing.
    fn record_error(&mut self, step: &Step, mut rec: ArtifactRecord, e: StepError, t: Instant) {
        rec.status = e.status;
        rec.message = Some(e.message);
        rec.duration_ms = elapsed_ms(t);
        self.progress.finish(&rec);
        self.note_missing(step, rec.status, rec.message.as_deref());
        self.zip.add_record(rec);
    }

    fn registry(&mut self, step: &Step, spec: &RegistrySpec) -> io::Result<()> {
        self.progress.start(&step.label());
        let t = Instant::now();
        let rec = ArtifactRecord::new(
            spec.path,
            format!("RegEnumKeyExW/RegEnumValueW {}", spec.key),
        );
        let mut limits = self.opts.reg_limits;
        if let Some(depth) = spec.max_depth {
            limits.max_depth = limits.max_depth.min(depth);
        }
        match self.source.read_registry(spec.key, &limits) {
            Err(e) => self.record_error(step, rec, e, t),
            Ok(read) => {
                let mut root = read.root;
                let mut warnings = read.warnings;
                if spec.path == paths::REG_TERMINAL_SERVER {
                    self.rdp_port = rdp_port(&root);
                }
                let redacted = regfile::redact_passwords(&mut root);
                if !redacted.is_empty() {
                    warnings.insert(
                        0,
                        format!(
                            "the data of {} was redacted (replaced by the REG_SZ \"{}\"): \
it may be a password in clear text",
                            redacted.join(", "),
                            regfile::REDACTED_TEXT
                        ),
                    );
                }
                let bytes = regfile::write_tree(&root);
                let mut rec = rec;
                rec.status = if read.timed_out {
                    Status::TimedOut
                } else {
                    Status::Ok
                };
                rec.message = join_warnings(&warnings, 10);
                rec.duration_ms = elapsed_ms(t);
                self.progress.finish(&rec);
                self.note_missing(step, rec.status, rec.message.as_deref());
                self.zip.add_bytes(rec, &bytes)?;
            }
        }
        Ok(())
    }

    fn command(&mut self, step: &Step, spec: &CommandSpec) -> io::Result<()> {
        self.progress.start(&step.label());
        let t = Instant::now();
        let args: Vec<String> = spec
            .args
            .iter()
            .map(|a| expand_vars(a, |n| self.source.env_var(n)))
            .collect();
        self.run_tool(step, spec.path, spec.program, &args, None, t)
    }

    /// Runs a console tool and stores its raw stdout at `path` (stderr beside it). `note` goes
    /// in front of the record's message (how an argument was chosen).
    fn run_tool(
        &mut self,
        step: &Step,
        path: &str,
        program: &str,
        args: &[String],
        note: Option<String>,
        t: Instant,
    ) -> io::Result<()> {
        let timeout = self.opts.command_timeout;
        let planned = crate::process::display_command_line(Path::new(program), args);
        let mut rec = ArtifactRecord::new(path, planned);
        rec.code_page = self.facts.code_page;
        let out = match self.source.run_command(program, args, timeout) {
            Ok(out) => out,
            Err(mut e) => {
                e.message = join_notes(note, Some(e.message)).unwrap_or_default();
                self.record_error(step, rec, e, t);
                return Ok(());
            }
        };
        rec.producer = out.command_line.clone();
        rec.exit_code = out.exit_code;
        rec.duration_ms = elapsed_ms(t);
        let (status, message) = classify_command(&out, timeout);
        rec.status = status;
        rec.message = join_notes(note, message);
        self.progress.finish(&rec);
        self.note_missing(step, rec.status, rec.message.as_deref());
        let keep_stdout = !out.stdout.is_empty() || status == Status::Ok;
        let err_rec = (!out.stderr.is_empty()).then(|| {
            let mut r = rec.clone();
            r.path = bundle::stderr_path(path);
            r.status = Status::Ok;
            r.message = Some(format!("stderr of {path}"));
            r
        });
        if keep_stdout {
            self.zip.add_bytes(rec, &out.stdout)?;
        } else {
            self.zip.add_record(rec);
        }
        if let Some(r) = err_rec {
            self.zip.add_bytes(r, &out.stderr)?;
        }
        Ok(())
    }

    fn gpresult(&mut self, step: &Step) -> io::Result<()> {
        self.progress.start(&step.label());
        let t = Instant::now();
        let html = self.scratch.join("gpresult.html");
        let timeout = self.opts.command_timeout;
        let mut rec = ArtifactRecord::new(paths::GPRESULT_HTML, "gpresult.exe /H <file> /F");
        rec.code_page = self.facts.code_page;
        let out = match self.source.run_gpresult(&html, timeout) {
            Ok(out) => out,
            Err(e) => {
                self.record_error(step, rec, e, t);
                return Ok(());
            }
        };
        rec.producer = out.command_line.clone();
        rec.exit_code = out.exit_code;
        rec.duration_ms = elapsed_ms(t);
        let (status, message, report) =
            file_outcome(&out, &html, timeout, "gpresult wrote no report");
        rec.status = status;
        rec.message = message;
        self.progress.finish(&rec);
        self.note_missing(step, rec.status, rec.message.as_deref());
        let console = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let mut console_rec = rec.clone();
        console_rec.path = paths::GPRESULT_CONSOLE.to_string();
        console_rec.status = Status::Ok;
        console_rec.message = Some("gpresult console output (stdout then stderr)".to_string());
        match report {
            Some(file) => self.add_file(rec, file)?,
            None => self.zip.add_record(rec),
        }
        if !console.is_empty() {
            self.zip.add_bytes(console_rec, &console)?;
        }
        let _ = std::fs::remove_file(&html);
        Ok(())
    }

    /// `secedit /export` of the user rights and security options: secedit writes the INF
    /// (UTF-16LE) into the scratch folder, and its log there too (by default it appends to
    /// `%windir%\security\logs\scesrv.log`, which a read-only collector must not touch).
    fn secedit(&mut self, step: &Step) -> io::Result<()> {
        self.progress.start(&step.label());
        let t = Instant::now();
        let inf = self.scratch.join("secedit-user-rights.inf");
        let log = self.scratch.join("secedit.log");
        let args: Vec<String> = vec![
            "/export".into(),
            "/cfg".into(),
            inf.to_string_lossy().into_owned(),
            "/areas".into(),
            "SECURITYPOLICY".into(),
            "USER_RIGHTS".into(),
            "/log".into(),
            log.to_string_lossy().into_owned(),
        ];
        let timeout = self.opts.command_timeout;
        let mut rec = ArtifactRecord::new(
            paths::SECEDIT_USER_RIGHTS,
            "secedit.exe /export /cfg <file> /areas SECURITYPOLICY USER_RIGHTS /log <file>",
        );
        let result = self
            .source
            .run_command_to_file("secedit.exe", &args, &inf, timeout);
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                self.record_error(step, rec, e, t);
                let _ = std::fs::remove_file(&inf);
                let _ = std::fs::remove_file(&log);
                return Ok(());
            }
        };
        rec.producer = out.command_line.clone();
        rec.exit_code = out.exit_code;
        rec.duration_ms = elapsed_ms(t);
        let (status, message, file) = file_outcome(&out, &inf, timeout, "secedit wrote no file");
        rec.status = status;
        rec.message = message;
        self.progress.finish(&rec);
        self.note_missing(step, rec.status, rec.message.as_deref());
        match file {
            Some(f) => self.add_file(rec, f)?,
            None => self.zip.add_record(rec),
        }
        let _ = std::fs::remove_file(&inf);
        let _ = std::fs::remove_file(&log);
        Ok(())
    }

    /// `net localgroup` of Remote Desktop Users under its local name: `net` wants the name,
    /// and the name is translated ("Remotedesktopbenutzer", "Utilisateurs du Bureau à
    /// distance"); the SID is not.
    fn net_localgroup_rdu(&mut self, step: &Step) -> io::Result<()> {
        self.progress.start(&step.label());
        let t = Instant::now();
        let (name, note) = match self.source.account_name(REMOTE_DESKTOP_USERS_SID) {
            Ok(name) if !name.trim().is_empty() => (name, None),
            Ok(_) => (
                REMOTE_DESKTOP_USERS_NAME.to_string(),
                Some(format!(
                    "{REMOTE_DESKTOP_USERS_SID} resolved to an empty name; used the English name"
                )),
            ),
            Err(e) => (
                REMOTE_DESKTOP_USERS_NAME.to_string(),
                Some(format!(
                    "{REMOTE_DESKTOP_USERS_SID} could not be resolved ({}); used the English name",
                    e.message
                )),
            ),
        };
        let args = vec!["localgroup".to_string(), name];
        self.run_tool(step, paths::NET_LOCALGROUP_RDU, "net.exe", &args, note, t)
    }

    /// `nltest /sc_query:<domain>`: only a domain member has a secure channel to query.
    fn nltest(&mut self, step: &Step) -> io::Result<()> {
        self.progress.start(&step.label());
        let t = Instant::now();
        match self.source.joined_domain() {
            Ok(Some(domain)) => {
                let args = vec![format!("/sc_query:{domain}")];
                self.run_tool(step, paths::NLTEST_SC_QUERY, "nltest.exe", &args, None, t)
            }
            Ok(None) => {
                let mut rec =
                    ArtifactRecord::new(paths::NLTEST_SC_QUERY, "nltest.exe /sc_query:<domain>");
                rec.status = Status::Skipped;
                rec.message = Some(
                    "not domain-joined (NetGetJoinInformation): no secure channel to query"
                        .to_string(),
                );
                rec.duration_ms = elapsed_ms(t);
                self.progress.finish(&rec);
                self.zip.add_record(rec);
                Ok(())
            }
            Err(e) => {
                let rec =
                    ArtifactRecord::new(paths::NLTEST_SC_QUERY, "nltest.exe /sc_query:<domain>");
                let e = StepError::new(
                    e.status,
                    format!(
                        "could not tell whether the machine is domain-joined: {}",
                        e.message
                    ),
                );
                self.record_error(step, rec, e, t);
                Ok(())
            }
        }
    }

    /// Event log records for `--no-events`.
    fn skip_event_logs(&mut self) {
        for spec in EVENT_LOGS {
            let step = Step::EventLog(spec);
            self.progress.start(&step.label());
            let mut rec = ArtifactRecord::new(spec.path, format!("EvtExportLog {}", spec.channel));
            rec.status = Status::Skipped;
            rec.message = Some("not requested (--no-events)".to_string());
            self.progress.finish(&rec);
            self.zip.add_record(rec);
        }
    }

    /// The handshake probe of the local listener, on the port the registry export named. The
    /// record is `ok` whatever the listener did (refusing is a finding, not a collection
    /// failure); the served certificate goes beside it.
    fn handshake_probe(&mut self, step: &Step) -> io::Result<()> {
        self.progress.start(&step.label());
        let t = Instant::now();
        let (port, note) = match &self.rdp_port {
            Ok(p) => (*p, None),
            Err(why) => (
                DEFAULT_RDP_PORT,
                Some(format!(
                    "RDP-Tcp PortNumber unknown ({why}); probed the default port {DEFAULT_RDP_PORT}"
                )),
            ),
        };
        let config = ProbeConfig::loopback(port);
        let producer = format!(
            "RDP handshake probe {}: X.224 Connection Request offering {}, then a TLS handshake",
            config.target,
            probe::wire::protocol_names(config.requested_protocols).join("|")
        );
        let mut rec = ArtifactRecord::new(paths::RDP_HANDSHAKE, producer);
        if !self.opts.probe {
            rec.status = Status::Skipped;
            rec.message = Some("not requested (--no-probe)".to_string());
            self.progress.finish(&rec);
            self.zip.add_record(rec);
            return Ok(());
        }
        let outcome = match self.source.rdp_probe(&config) {
            Ok(o) => o,
            Err(e) => {
                self.record_error(step, rec, e, t);
                return Ok(());
            }
        };
        let json = probe::to_json(&outcome.record)?;
        rec.duration_ms = elapsed_ms(t);
        rec.message = join_notes(note, Some(outcome.record.summary()));
        self.progress.finish(&rec);
        self.zip.add_bytes(rec, &json)?;
        if let (Some(der), Some(path)) = (outcome.certificate, outcome.record.certificate_path) {
            let mut cert = ArtifactRecord::new(
                path,
                format!("TLS handshake with {}: leaf certificate", config.target),
            );
            cert.message = Some("the certificate the RDP listener served to the probe".to_string());
            self.zip.add_bytes(cert, &der)?;
        }
        Ok(())
    }

    /// Streams `file` into the zip. A read error is the step's failure, a write error is fatal.
    fn add_file(&mut self, rec: ArtifactRecord, file: std::fs::File) -> io::Result<()> {
        let path = rec.path.clone();
        let producer = rec.producer.clone();
        let mut reader = TrackedReader {
            inner: io::BufReader::new(file),
            read_error: None,
        };
        match self.zip.add_reader(rec, &mut reader) {
            Ok(()) => Ok(()),
            Err(e) => match reader.read_error {
                Some(msg) => {
                    let mut r = ArtifactRecord::new(path, producer);
                    r.status = Status::Failed;
                    r.message = Some(format!("reading the exported file failed: {msg}"));
                    self.zip.add_record(r);
                    Ok(())
                }
                None => Err(e),
            },
        }
    }

    fn certificates(&mut self) -> io::Result<()> {
        let mut index: Vec<CertIndexEntry> = Vec::new();
        let mut any_store = false;
        let mut stores = Vec::new();
        for spec in CERT_STORES {
            let step = Step::Certificates(spec);
            self.progress.start(&step.label());
            let t = Instant::now();
            let producer = format!(
                "CertOpenStore/CertEnumCertificatesInStore LocalMachine\\{}",
                spec.store
            );
            stores.push(spec.store);
            let rec = ArtifactRecord::new(format!("{}/", spec.dir), producer.clone());
            let items = match self.source.certificates(spec.store) {
                Ok(items) => items,
                Err(e) => {
                    self.record_error(&step, rec, e, t);
                    continue;
                }
            };
            any_store = true;
            let mut rec = rec;
            rec.duration_ms = elapsed_ms(t);
            rec.message = Some(format!("{} certificate(s)", items.len()));
            self.progress.finish(&rec);
            self.zip.add_record(rec);
            for item in items {
                let thumbprint = hex::encode_upper(Sha1::digest(&item.der));
                let path = format!("{}/{thumbprint}.cer", spec.dir);
                if index.iter().any(|e| e.path == path) {
                    continue;
                }
                let mut cert_rec = ArtifactRecord::new(path.clone(), producer.clone());
                cert_rec.message = (item.has_private_key
                    && item.private_key_accessible == Some(false))
                .then(|| "private key present but not accessible to the collector".to_string());
                self.zip.add_bytes(cert_rec, &item.der)?;
                index.push(CertIndexEntry {
                    path,
                    store: spec.store.to_string(),
                    thumbprint,
                    has_private_key: item.has_private_key,
                    key_container: item.key_container,
                    private_key_accessible: item.private_key_accessible,
                });
            }
        }
        let mut rec = ArtifactRecord::new(
            paths::CERT_INDEX,
            format!(
                "CertEnumCertificatesInStore LocalMachine\\{}",
                stores.join(", LocalMachine\\")
            ),
        );
        if any_store {
            let json = serde_json::to_vec_pretty(&index).map_err(io::Error::other)?;
            self.zip.add_bytes(rec, &json)?;
        } else {
            rec.status = Status::Failed;
            rec.message = Some("no certificate store could be read".to_string());
            self.zip.add_record(rec);
        }
        Ok(())
    }

    fn event_log(&mut self, step: &Step, spec: &EventLogSpec) -> io::Result<()> {
        self.progress.start(&step.label());
        let t = Instant::now();
        let query = event_query(self.opts.days);
        let producer = match &query {
            Some(q) => format!("EvtExportLog {} {q}", spec.channel),
            None => format!("EvtExportLog {}", spec.channel),
        };
        let rec = ArtifactRecord::new(spec.path, producer);
        let file_name = spec.path.rsplit('/').next().unwrap_or(spec.path);
        let dest = self.scratch.join(file_name);
        let export = match self.source.export_event_log(
            spec.channel,
            query.as_deref(),
            &dest,
            self.opts.event_timeout,
        ) {
            Ok(x) => x,
            Err(e) => {
                self.record_error(step, rec, e, t);
                return Ok(());
            }
        };
        let file = match std::fs::File::open(&dest) {
            Ok(f) => f,
            Err(e) => {
                let err = StepError::failed(format!("the export left no readable file: {e}"));
                self.record_error(step, rec, err, t);
                return Ok(());
            }
        };
        let mut rec = rec;
        rec.duration_ms = elapsed_ms(t);
        rec.message = export
            .locale_error
            .as_ref()
            .map(|e| format!("locale metadata unavailable: {e}"));
        self.progress.finish(&rec);
        self.add_file(rec, file)?;
        let _ = std::fs::remove_file(&dest);
        for loc in &export.locale_files {
            let Some(name) = loc.file_name() else {
                continue;
            };
            let path = format!("{EVENTS_LOCALE_DIR}/{}", name.to_string_lossy());
            let rec = ArtifactRecord::new(path, format!("EvtArchiveExportedLog {file_name}"));
            match std::fs::File::open(loc) {
                Ok(f) => self.add_file(rec, f)?,
                Err(e) => {
                    let mut rec = rec;
                    rec.status = Status::Failed;
                    rec.message = Some(format!("could not read {}: {e}", loc.display()));
                    self.zip.add_record(rec);
                }
            }
            let _ = std::fs::remove_file(loc);
            if let Some(dir) = loc.parent() {
                // Only succeeds once the folder is empty.
                let _ = std::fs::remove_dir(dir);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn console_excerpt_reads_utf16_output() {
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        // wmic's complaint as Wine writes it (no BOM), and with a BOM as Windows' wmic does.
        let plain = utf16("Error: Command line not supported\n");
        assert_eq!(
            super::console_excerpt(&plain),
            "Error: Command line not supported"
        );
        let mut bom = vec![0xFF, 0xFE];
        bom.extend(utf16("ERROR:\r\nDescription = Not supported\r\n"));
        assert_eq!(
            super::console_excerpt(&bom),
            "ERROR: / Description = Not supported"
        );
        assert_eq!(
            super::console_excerpt(b"Access is denied.\r\n"),
            "Access is denied."
        );
    }

    use super::*;
    use crate::bundle::{sha256_hex, MANIFEST_PATH};
    use crate::source::{RecordedCall, RecordedGpresult, RecordedSource};
    use crate::testutil::{recorded_host, TempTree, TS_KEY};
    use std::io::Cursor;

    struct Run {
        manifest: Manifest,
        outcome: Outcome,
        zip: zip::ZipArchive<Cursor<Vec<u8>>>,
        console: String,
        source: RecordedSource,
    }

    fn scratch(name: &str) -> TempTree {
        TempTree::new("rdp-collect-test", name)
    }

    fn run(mut source: RecordedSource, opts: &CollectOptions, name: &str) -> Run {
        let dir = scratch(name);
        let facts = source.facts.clone();
        let mut console = Vec::new();
        let (cursor, outcome) = collect(
            &mut source,
            &facts,
            opts,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600),
            &dir,
            Cursor::new(Vec::new()),
            &mut console,
        )
        .unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(cursor.into_inner())).unwrap();
        let manifest: Manifest =
            serde_json::from_reader(zip.by_name(MANIFEST_PATH).unwrap()).unwrap();
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "scratch files are removed as they are stored"
        );
        Run {
            manifest,
            outcome,
            zip,
            console: String::from_utf8(console).unwrap(),
            source,
        }
    }

    fn read(zip: &mut zip::ZipArchive<Cursor<Vec<u8>>>, path: &str) -> Vec<u8> {
        let mut v = Vec::new();
        zip.by_name(path).unwrap().read_to_end(&mut v).unwrap();
        v
    }

    fn record<'a>(m: &'a Manifest, path: &str) -> &'a ArtifactRecord {
        m.artifacts
            .iter()
            .find(|a| a.path == path)
            .unwrap_or_else(|| panic!("no record for {path}"))
    }

    #[test]
    fn every_step_is_recorded_in_order_with_its_status() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "order");
        let m = &r.manifest;
        assert_eq!(m.host_name, "WS-01");
        assert_eq!(m.elevated, Some(false));
        assert_eq!(m.started_utc, "2026-01-01T00:00:00Z");
        assert_eq!(m.os.build.as_deref(), Some("20348.2340"));
        assert!(m.options.contains(&"--days 14".to_string()));

        let paths: Vec<&str> = m.artifacts.iter().map(|a| a.path.as_str()).collect();
        let pos = |p: &str| paths.iter().position(|x| *x == p).unwrap();
        // Registry, commands, gpresult, certificates, events.
        assert_eq!(pos(paths::REG_TERMINAL_SERVER), 0);
        assert!(pos(paths::REG_CREDSSP) < pos(paths::QWINSTA));
        assert!(pos(paths::CERTUTIL_RDP) < pos(paths::GPRESULT_HTML));
        assert!(pos(paths::GPRESULT_HTML) < pos(paths::CERT_INDEX));
        assert!(pos(paths::CERT_INDEX) < pos(paths::EVENTS_SECURITY));
        assert!(pos(paths::CERTUTIL_RDP) < pos(paths::SECEDIT_USER_RIGHTS));
        assert!(pos(paths::NLTEST_SC_QUERY) < pos(paths::GPRESULT_HTML));
        // The probe comes after the event logs, so its connection is not in them.
        assert!(pos("events/LocaleMetaData/System_1033.MTA") < pos(paths::RDP_HANDSHAKE));
        assert!(paths.last().unwrap().starts_with("certs/served/"));
        for spec in REGISTRY_KEYS {
            assert!(paths.contains(&spec.path), "{}", spec.path);
        }
        for spec in COMMANDS {
            assert!(paths.contains(&spec.path), "{}", spec.path);
        }

        // Stored files match their records.
        for a in m.artifacts.iter().filter(|a| a.sha256.is_some()) {
            let bytes = read(&mut r.zip, &a.path);
            assert_eq!(bytes.len() as u64, a.size, "{}", a.path);
            assert_eq!(a.sha256.as_deref(), Some(sha256_hex(&bytes).as_str()));
        }
        // Failed steps store no file.
        for a in m.artifacts.iter().filter(|a| a.sha256.is_none()) {
            assert!(r.zip.by_name(&a.path).is_err(), "{}", a.path);
        }
    }

    #[test]
    fn registry_tree_is_written_as_reg_export() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "reg");
        let reg = read(&mut r.zip, paths::REG_TERMINAL_SERVER);
        assert_eq!(
            reg,
            regfile::write_tree(&crate::testutil::terminal_server_tree())
        );
        let rec = record(&r.manifest, paths::REG_TERMINAL_SERVER);
        assert_eq!(rec.status, Status::Ok);
        assert_eq!(
            rec.producer,
            format!("RegEnumKeyExW/RegEnumValueW {TS_KEY}")
        );
        let lsa = record(&r.manifest, paths::REG_LSA);
        assert_eq!(lsa.status, Status::Ok);
        assert!(lsa.message.as_deref().unwrap().contains("Access is denied"));
        let pol = record(&r.manifest, paths::REG_TS_POLICIES);
        assert_eq!(pol.status, Status::NotFound);
        assert!(r.zip.by_name(paths::REG_TS_POLICIES).is_err());
    }

    #[test]
    fn commands_keep_raw_output_exit_code_and_code_page() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "cmd");
        let m = r.manifest.clone();
        let netstat = record(&m, paths::NETSTAT);
        assert_eq!(netstat.status, Status::Ok);
        assert_eq!(netstat.exit_code, Some(0));
        assert_eq!(netstat.code_page, Some(850));
        assert_eq!(netstat.producer, r"C:\Windows\system32\netstat.exe -ano");
        assert!(read(&mut r.zip, paths::NETSTAT).starts_with(b"\r\nActive Connections\r\n"));

        let q = record(&m, paths::QWINSTA);
        assert_eq!(q.status, Status::NotFound);
        assert!(q
            .message
            .as_deref()
            .unwrap()
            .contains("qwinsta.exe does not exist"));

        // sc 1060: the service does not exist; the text is kept.
        let sc = record(&m, paths::SC_UMRDPSERVICE);
        assert_eq!(sc.status, Status::NotFound);
        assert_eq!(sc.exit_code, Some(1060));
        assert!(read(&mut r.zip, paths::SC_UMRDPSERVICE).starts_with(b"[SC]"));

        // certutil HRESULT access denied.
        let cu = record(&m, paths::CERTUTIL_RDP);
        assert_eq!(cu.status, Status::AccessDenied);
        assert!(cu.message.as_deref().unwrap().contains("0x80070005"));

        // %ProgramData% expanded; stderr stored beside stdout.
        let ic = record(&m, paths::ICACLS_MACHINEKEYS);
        assert_eq!(ic.status, Status::Ok);
        assert_eq!(
            read(&mut r.zip, "commands/icacls-machinekeys.stderr.txt"),
            b"warn\r\n"
        );
        assert!(r.source.calls.contains(&RecordedCall::Command {
            program: "icacls.exe".into(),
            args: vec![r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys".into()],
            timeout: Duration::from_secs(60),
        }));
    }

    #[test]
    fn hung_gpresult_is_timed_out_and_missing_report_is_failed() {
        let r = run(recorded_host(), &CollectOptions::default(), "gp-hung");
        let g = record(&r.manifest, paths::GPRESULT_HTML);
        assert_eq!(g.status, Status::TimedOut);
        assert_eq!(g.exit_code, None);
        assert!(g.message.as_deref().unwrap().contains("killed after 60 s"));

        let mut s = recorded_host();
        s.gpresult = Some(Ok(RecordedGpresult {
            console: crate::testutil::output(
                "gpresult.exe",
                b"",
                b"ERROR: Access denied.\r\n",
                Some(1),
            ),
            report: None,
        }));
        let mut r = run(s, &CollectOptions::default(), "gp-denied");
        let g = record(&r.manifest, paths::GPRESULT_HTML);
        assert_eq!(g.status, Status::Failed);
        assert!(g
            .message
            .as_deref()
            .unwrap()
            .contains("ERROR: Access denied."));
        assert_eq!(
            read(&mut r.zip, paths::GPRESULT_CONSOLE),
            b"ERROR: Access denied.\r\n"
        );

        let mut s = recorded_host();
        let html = "\u{feff}<html>report</html>"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect::<Vec<u8>>();
        s.gpresult = Some(Ok(RecordedGpresult {
            console: crate::testutil::output("gpresult.exe", b"", b"", Some(0)),
            report: Some(html.clone()),
        }));
        let mut r = run(s, &CollectOptions::default(), "gp-ok");
        assert_eq!(record(&r.manifest, paths::GPRESULT_HTML).status, Status::Ok);
        assert_eq!(read(&mut r.zip, paths::GPRESULT_HTML), html);
        assert!(r.zip.by_name(paths::GPRESULT_CONSOLE).is_err());
    }

    #[test]
    fn certificates_are_der_files_with_an_index() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "certs");
        let index: Vec<CertIndexEntry> =
            serde_json::from_slice(&read(&mut r.zip, paths::CERT_INDEX)).unwrap();
        assert_eq!(index.len(), 1);
        let e = &index[0];
        let thumb = hex::encode_upper(Sha1::digest(b"not really DER but bytes"));
        assert_eq!(e.thumbprint, thumb);
        assert_eq!(e.path, format!("certs/remote-desktop/{thumb}.cer"));
        assert_eq!(e.store, "Remote Desktop");
        assert!(e.has_private_key);
        assert_eq!(e.key_container.as_deref(), Some("TSSecKeySet1"));
        assert_eq!(e.private_key_accessible, Some(false));
        assert_eq!(read(&mut r.zip, &e.path), b"not really DER but bytes");
        let my = record(&r.manifest, "certs/my/");
        assert_eq!(my.status, Status::AccessDenied);
        assert_eq!(
            record(&r.manifest, "certs/remote-desktop/").status,
            Status::Ok
        );
    }

    #[test]
    fn no_certificate_store_readable_means_no_index() {
        let mut s = recorded_host();
        s.certs.clear();
        let r = run(s, &CollectOptions::default(), "certs-none");
        assert_eq!(
            record(&r.manifest, paths::CERT_INDEX).status,
            Status::Failed
        );
    }

    #[test]
    fn event_logs_stream_with_locale_files_and_the_days_filter() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "events");
        assert_eq!(
            read(&mut r.zip, paths::EVENTS_SYSTEM),
            b"ElfFile\0 fake system log"
        );
        assert_eq!(
            read(&mut r.zip, "events/LocaleMetaData/System_1033.MTA"),
            b"mta"
        );
        let sec = record(&r.manifest, paths::EVENTS_SECURITY);
        assert_eq!(sec.status, Status::AccessDenied);
        assert!(sec.producer.contains("timediff(@SystemTime) <= 1209600000"));
        let rcm = record(&r.manifest, paths::EVENTS_RCM);
        assert_eq!(rcm.status, Status::NotFound);
        assert!(r.source.calls.contains(&RecordedCall::Events {
            channel: "System".into(),
            query: Some("*[System[TimeCreated[timediff(@SystemTime) <= 1209600000]]]".into()),
        }));
    }

    #[test]
    fn no_events_skips_every_log_without_calling_the_source() {
        let opts = CollectOptions {
            events: false,
            ..CollectOptions::default()
        };
        let r = run(recorded_host(), &opts, "no-events");
        for spec in EVENT_LOGS {
            let rec = record(&r.manifest, spec.path);
            assert_eq!(rec.status, Status::Skipped);
        }
        assert!(!r
            .source
            .calls
            .iter()
            .any(|c| matches!(c, RecordedCall::Events { .. })));
        assert!(r.manifest.options.contains(&"--no-events".to_string()));
        assert!(!r
            .outcome
            .missing
            .iter()
            .any(|m| m.status == Status::Skipped));
    }

    #[test]
    fn console_has_one_line_per_step() {
        let r = run(recorded_host(), &CollectOptions::default(), "console");
        let lines: Vec<&str> = r.console.lines().collect();
        let total = plan(&CollectOptions::default()).len();
        assert_eq!(lines.len(), total, "{}", r.console);
        assert!(lines[0].starts_with(&format!("[ 1/{total}] Registry HKLM\\SYSTEM")));
        assert!(lines[0].ends_with("ms)"), "{}", lines[0]);
        let sec = lines.iter().find(|l| l.contains("Security log")).unwrap();
        assert!(sec.contains("ACCESS DENIED: exporting Security"), "{sec}");
    }

    #[test]
    fn verbose_console_adds_path_and_producer() {
        let opts = CollectOptions {
            verbose: true,
            ..CollectOptions::default()
        };
        let r = run(recorded_host(), &opts, "verbose");
        assert!(r.console.contains(
            "        commands/netstat-ano.txt <- C:\\Windows\\system32\\netstat.exe -ano\n"
        ));
        assert!(!r.manifest.options.iter().any(|o| o.contains("verbose")));
    }

    #[test]
    fn missing_items_say_why_and_suggest_elevation() {
        let r = run(recorded_host(), &CollectOptions::default(), "missing");
        let sec = r
            .outcome
            .missing
            .iter()
            .find(|m| m.label == "Security log")
            .unwrap();
        assert_eq!(
            missing_line(sec, Some(false)),
            "Security log: access denied, run as administrator for a complete bundle \
(exporting Security: Access is denied. (error 5))"
        );
        assert!(!missing_line(sec, Some(true)).contains("administrator"));
    }

    /// A writer that fails like a full disk after `left` bytes.
    struct FullDisk {
        inner: Cursor<Vec<u8>>,
        left: usize,
    }
    impl Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if buf.len() > self.left {
                return Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    "No space left on device",
                ));
            }
            self.left -= buf.len();
            self.inner.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Seek for FullDisk {
        fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    #[test]
    fn a_full_disk_stops_the_collection_with_an_error() {
        let dir = scratch("full");
        let mut source = recorded_host();
        let facts = source.facts.clone();
        let err = collect(
            &mut source,
            &facts,
            &CollectOptions::default(),
            SystemTime::now(),
            &dir,
            FullDisk {
                inner: Cursor::new(Vec::new()),
                left: 600,
            },
            &mut io::sink(),
        )
        .err()
        .expect("must fail");
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    }

    #[test]
    fn classify_command_outcomes() {
        let t = Duration::from_secs(60);
        let out = |o: &[u8], e: &[u8], c: Option<i32>| crate::testutil::output("x", o, e, c);
        assert_eq!(
            classify_command(&out(b"x", b"", Some(0)), t),
            (Status::Ok, None)
        );
        assert_eq!(classify_command(&out(b"", b"", Some(0)), t).0, Status::Ok);
        let (s, m) = classify_command(&out(b"partial", b"", None), t);
        assert_eq!(s, Status::TimedOut);
        assert_eq!(m.unwrap(), "killed after 60 s; output so far kept");
        let (s, m) = classify_command(&out(b"", b"Access is denied.\r\n", Some(5)), t);
        assert_eq!(s, Status::AccessDenied);
        assert_eq!(m.unwrap(), "exit code 5: Access is denied.");
        assert_eq!(
            classify_command(&out(b"", b"", Some(1)), t).0,
            Status::Failed
        );
        assert_eq!(
            classify_command(&out(b"text", b"", Some(1)), t).0,
            Status::Ok
        );
        assert_eq!(
            classify_command(&out(b"x", b"", Some(0x8007_0002_u32 as i32)), t).0,
            Status::NotFound
        );
        // The HRESULT in localized certutil text still means access denied.
        assert_eq!(
            classify_command(&out("Échec : 0x80070005".as_bytes(), b"", Some(-1)), t).0,
            Status::AccessDenied
        );
        let mut trunc = out(b"x", b"", Some(0));
        trunc.truncated = true;
        assert_eq!(classify_command(&trunc, t).0, Status::Ok);
        assert!(classify_command(&trunc, t)
            .1
            .unwrap()
            .contains("capture limit"));
    }

    #[test]
    fn expand_vars_like_cmd() {
        let env = |n: &str| {
            (n.eq_ignore_ascii_case("ProgramData")).then(|| r"C:\ProgramData".to_string())
        };
        assert_eq!(
            expand_vars(r"%ProgramData%\Microsoft\Crypto", env),
            r"C:\ProgramData\Microsoft\Crypto"
        );
        assert_eq!(expand_vars("%NOPE%\\x", env), "%NOPE%\\x");
        assert_eq!(expand_vars("100%", env), "100%");
        assert_eq!(expand_vars("%%", env), "%%");
        assert_eq!(expand_vars("a%programdata%b%", env), r"aC:\ProgramDatab%");
    }

    #[test]
    fn event_query_is_in_milliseconds() {
        assert_eq!(event_query(0), None);
        assert_eq!(
            event_query(1).unwrap(),
            "*[System[TimeCreated[timediff(@SystemTime) <= 86400000]]]"
        );
        assert!(event_query(36_500).unwrap().contains("3153600000000"));
    }

    #[test]
    fn plan_lists_everything_and_list_text_names_each_path() {
        let opts = CollectOptions::default();
        let steps = plan(&opts);
        assert_eq!(
            steps.len(),
            REGISTRY_KEYS.len() + COMMANDS.len() + 3 + 1 + CERT_STORES.len() + EVENT_LOGS.len() + 1
        );
        let text = describe_plan(&opts);
        for s in &steps {
            assert!(text.contains(&s.path()), "{}", s.path());
        }
        assert!(text.contains("certutil.exe -store \"Remote Desktop\" (time limit 60 s)"));
        assert!(text.contains("System32\\qwinsta.exe (time limit 60 s)"));
        assert!(text.contains("last 14 days"));
        assert!(text.contains(r"wbem\wmic.exe /namespace:\\root\SecurityCenter2 path"));
        assert!(text.contains("Winlogon (its values only)"));
        assert!(text.contains("secedit.exe /export /cfg <private temp file>"));
        assert!(text.contains("127.0.0.1:<RDP-Tcp PortNumber>"));
        let no_probe = describe_plan(&CollectOptions {
            probe: false,
            ..CollectOptions::default()
        });
        assert!(no_probe.contains("skipped (--no-probe)"));
        let no_ev = describe_plan(&CollectOptions {
            events: false,
            ..opts
        });
        assert!(!no_ev.contains(paths::EVENTS_SECURITY));
        assert!(no_ev.contains("--no-events"));
    }

    #[test]
    fn secedit_exports_into_scratch_and_the_inf_is_stored_raw() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "secedit");
        let rec = record(&r.manifest, paths::SECEDIT_USER_RIGHTS);
        assert_eq!(rec.status, Status::Ok, "{rec:?}");
        assert_eq!(rec.exit_code, Some(0));
        assert_eq!(
            read(&mut r.zip, paths::SECEDIT_USER_RIGHTS),
            crate::testutil::secedit_inf()
        );
        // Both the INF and the log go to the scratch folder (checked empty afterwards by `run`).
        let call = r
            .source
            .calls
            .iter()
            .find_map(|c| match c {
                RecordedCall::FileCommand { program, args } if program == "secedit.exe" => {
                    Some(args.clone())
                }
                _ => None,
            })
            .unwrap();
        assert_eq!(call[0], "/export");
        assert!(call[2].ends_with("secedit-user-rights.inf"), "{call:?}");
        assert_eq!(call[3..6], ["/areas", "SECURITYPOLICY", "USER_RIGHTS"]);
        assert_eq!(call[6], "/log");
        assert!(call[7].ends_with("secedit.log"));
        assert_eq!(
            Path::new(&call[2]).parent(),
            Path::new(&call[7]).parent(),
            "same private folder"
        );
    }

    #[test]
    fn secedit_without_a_file_is_failed_with_its_words() {
        let mut s = recorded_host();
        s.file_commands.insert(
            crate::testutil::SECEDIT_KEY.into(),
            Ok(crate::source::RecordedFileCommand {
                console: crate::testutil::output(
                    "secedit.exe",
                    b"Task is completed. Errors occurred.\r\nSee log for details.\r\n",
                    b"",
                    Some(0),
                ),
                file: None,
            }),
        );
        let r = run(s, &CollectOptions::default(), "secedit-nofile");
        let rec = record(&r.manifest, paths::SECEDIT_USER_RIGHTS);
        assert_eq!(rec.status, Status::Failed);
        assert!(rec
            .message
            .as_deref()
            .unwrap()
            .contains("secedit wrote no file: Task is completed. Errors occurred."));
        let mut s = recorded_host();
        s.file_commands.clear();
        let r = run(s, &CollectOptions::default(), "secedit-missing");
        assert_eq!(
            record(&r.manifest, paths::SECEDIT_USER_RIGHTS).status,
            Status::NotFound
        );
    }

    #[test]
    fn remote_desktop_users_is_listed_under_its_local_name() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "rdu");
        assert!(r
            .source
            .calls
            .contains(&RecordedCall::AccountName("S-1-5-32-555".into())));
        let rec = record(&r.manifest, paths::NET_LOCALGROUP_RDU);
        assert_eq!(rec.status, Status::Ok);
        assert_eq!(rec.code_page, Some(850));
        assert!(read(&mut r.zip, paths::NET_LOCALGROUP_RDU).starts_with(b"Aliasname"));

        // Unresolvable SID: the English name, and the record says so.
        let mut s = recorded_host();
        s.accounts.clear();
        let r = run(s, &CollectOptions::default(), "rdu-english");
        assert!(r.source.calls.contains(&RecordedCall::Command {
            program: "net.exe".into(),
            args: vec!["localgroup".into(), "Remote Desktop Users".into()],
            timeout: Duration::from_secs(60),
        }));
        let rec = record(&r.manifest, paths::NET_LOCALGROUP_RDU);
        assert_eq!(rec.status, Status::NotFound, "not recorded under that name");
        assert!(
            rec.message
                .as_deref()
                .unwrap()
                .starts_with("S-1-5-32-555 could not be resolved (S-1-5-32-555: not recorded); used the English name"),
            "{rec:?}"
        );
    }

    #[test]
    fn nltest_runs_only_on_a_domain_member() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "nltest");
        let rec = record(&r.manifest, paths::NLTEST_SC_QUERY);
        assert_eq!(rec.status, Status::Ok);
        assert!(read(&mut r.zip, paths::NLTEST_SC_QUERY).starts_with(b"Flags: 30"));

        let mut s = recorded_host();
        s.domain = Some(Ok(None));
        let r = run(s, &CollectOptions::default(), "nltest-workgroup");
        let rec = record(&r.manifest, paths::NLTEST_SC_QUERY);
        assert_eq!(rec.status, Status::Skipped);
        assert!(rec
            .message
            .as_deref()
            .unwrap()
            .contains("not domain-joined"));
        assert!(!r.source.calls.iter().any(
            |c| matches!(c, RecordedCall::Command { program, .. } if program == "nltest.exe")
        ));
        assert!(!r.outcome.missing.iter().any(|m| m.label.contains("nltest")));

        let mut s = recorded_host();
        s.domain = Some(Err(StepError::failed("NetGetJoinInformation: error 1")));
        let r = run(s, &CollectOptions::default(), "nltest-unknown");
        let rec = record(&r.manifest, paths::NLTEST_SC_QUERY);
        assert_eq!(rec.status, Status::Failed);
        assert!(rec
            .message
            .as_deref()
            .unwrap()
            .starts_with("could not tell whether the machine is domain-joined"));
    }

    #[test]
    fn winlogon_default_password_is_redacted_and_the_manifest_says_so() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "winlogon");
        let bytes = read(&mut r.zip, paths::REG_WINLOGON);
        let text = String::from_utf16(
            &bytes[2..]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(!text.contains("Winter2026!"), "{text}");
        assert!(text.contains("\r\n\"DefaultPassword\"=\"<redacted by rdp-collect>\"\r\n"));
        assert!(text.contains("\r\n\"DefaultUserName\"=\"kiosk\"\r\n"));
        let rec = record(&r.manifest, paths::REG_WINLOGON);
        assert_eq!(rec.status, Status::Ok);
        let msg = rec.message.as_deref().unwrap();
        assert!(
            msg.starts_with(&format!(
                "the data of {}\\DefaultPassword was redacted",
                crate::testutil::WINLOGON_KEY
            )),
            "{msg}"
        );
        assert!(msg.contains("values only"), "{msg}");
        // The password is nowhere in the zip, manifest included.
        let mut all = Vec::new();
        for i in 0..r.zip.len() {
            r.zip.by_index(i).unwrap().read_to_end(&mut all).unwrap();
        }
        let needle = "Winter2026!"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>();
        assert!(!all.windows(needle.len()).any(|w| w == needle.as_slice()));
        assert!(!all.windows(11).any(|w| w == b"Winter2026!"));
    }

    #[test]
    fn setup_and_winlogon_are_read_without_subkeys() {
        let r = run(recorded_host(), &CollectOptions::default(), "depth");
        let depth_of = |key: &str| {
            r.source.calls.iter().find_map(|c| match c {
                RecordedCall::Registry { key: k, max_depth } if k == key => Some(*max_depth),
                _ => None,
            })
        };
        assert_eq!(depth_of(r"HKEY_LOCAL_MACHINE\SYSTEM\Setup"), Some(0));
        assert_eq!(depth_of(crate::testutil::WINLOGON_KEY), Some(0));
        assert_eq!(depth_of(TS_KEY), Some(RegLimits::default().max_depth));
    }

    #[test]
    fn the_probe_uses_the_registry_port_and_stores_json_and_certificate() {
        let mut r = run(recorded_host(), &CollectOptions::default(), "probe");
        assert!(r
            .source
            .calls
            .contains(&RecordedCall::Probe("127.0.0.1:3390".into())));
        let rec = record(&r.manifest, paths::RDP_HANDSHAKE);
        assert_eq!(rec.status, Status::Ok);
        assert!(rec
            .producer
            .starts_with("RDP handshake probe 127.0.0.1:3390"));
        assert!(rec.producer.contains("ssl|hybrid|hybrid_ex"));
        assert!(
            rec.message
                .as_deref()
                .unwrap()
                .starts_with("the listener answers, selected hybrid_ex; TLS 1.2"),
            "{rec:?}"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&read(&mut r.zip, paths::RDP_HANDSHAKE)).unwrap();
        assert_eq!(json["probe"], "rdp-handshake");
        assert_eq!(json["selected_protocol"], "hybrid_ex");
        let cert_path = json["certificate_path"].as_str().unwrap().to_string();
        assert!(cert_path.starts_with("certs/served/"));
        assert_eq!(read(&mut r.zip, &cert_path), b"served certificate DER");
        assert_eq!(record(&r.manifest, &cert_path).status, Status::Ok);
        // Not a store certificate: the index does not list it.
        let index: Vec<CertIndexEntry> =
            serde_json::from_slice(&read(&mut r.zip, paths::CERT_INDEX)).unwrap();
        assert!(index.iter().all(|e| e.path != cert_path));
    }

    #[test]
    fn without_the_terminal_server_key_the_probe_tries_3389_and_says_why() {
        let mut s = recorded_host();
        s.registry.remove(TS_KEY);
        let r = run(s, &CollectOptions::default(), "probe-default");
        assert!(r
            .source
            .calls
            .contains(&RecordedCall::Probe("127.0.0.1:3389".into())));
        let msg = record(&r.manifest, paths::RDP_HANDSHAKE)
            .message
            .clone()
            .unwrap();
        assert!(
            msg.starts_with("RDP-Tcp PortNumber unknown (the Terminal Server key was not read); probed the default port 3389; "),
            "{msg}"
        );
    }

    #[test]
    fn no_probe_skips_it_without_calling_the_source() {
        let opts = CollectOptions {
            probe: false,
            events: false,
            ..CollectOptions::default()
        };
        let r = run(recorded_host(), &opts, "no-probe");
        let rec = record(&r.manifest, paths::RDP_HANDSHAKE);
        assert_eq!(rec.status, Status::Skipped);
        assert!(!r
            .source
            .calls
            .iter()
            .any(|c| matches!(c, RecordedCall::Probe(_))));
        assert!(r.manifest.options.contains(&"--no-probe".to_string()));
        // Skipped event logs are recorded before the probe, which stays last.
        let last = r.manifest.artifacts.last().unwrap();
        assert_eq!(last.path, paths::RDP_HANDSHAKE);
        let lines = r.console.lines().count();
        assert_eq!(lines, plan(&opts).len() + EVENT_LOGS.len(), "{}", r.console);
    }

    #[test]
    fn rdp_port_comes_from_rdp_tcp() {
        let tree = crate::testutil::terminal_server_tree();
        assert_eq!(rdp_port(&tree), Ok(3390));
        assert!(rdp_port(&RegKey::new(TS_KEY))
            .unwrap_err()
            .contains("does not exist"));
        let mut bad = tree.clone();
        bad.subkeys[0].subkeys[0].values[0].data = 70_000u32.to_le_bytes().to_vec();
        assert!(rdp_port(&bad).unwrap_err().contains("70000"));
        bad.subkeys[0].subkeys[0].values[0].kind = regfile::REG_SZ;
        assert!(rdp_port(&bad).is_err());
        bad.subkeys[0].subkeys[0].values.clear();
        assert!(rdp_port(&bad).unwrap_err().contains("no PortNumber"));
    }

    #[test]
    fn wmic_without_security_center_is_not_found() {
        let t = Duration::from_secs(60);
        let out = crate::testutil::output(
            "wmic.exe",
            b"",
            b"ERROR:\r\r\nDescription = Invalid namespace\r\r\n",
            Some(0x8004_100E_u32 as i32),
        );
        let (status, message) = classify_command(&out, t);
        assert_eq!(status, Status::NotFound);
        assert!(message.unwrap().contains("Invalid namespace"));
    }
}

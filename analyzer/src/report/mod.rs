//! Rendering an analysis: the [`Report`] model (also the JSON schema) and its text, JSON, HTML
//! and Markdown forms.

use crate::checks::{Finding, NotEvaluated, Outcome, Severity};
use crate::evidence::Evidence;
use serde::Serialize;

pub mod catalogue;
pub mod html;
pub mod json;
pub mod markdown;
pub mod text;

/// Identifier of the JSON report schema; bumped on incompatible change (documented in
/// `docs/report-schema.md`).
pub const SCHEMA: &str = "rdp-triage/report/v1";

/// Everything a report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub analyzer_version: &'static str,
    /// The input analyzed (path as given).
    pub source: String,
    pub host: HostInfo,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub artifacts: Vec<ArtifactRow>,
    /// The logon story: RDP-relevant events from every log, oldest first, newest last (the
    /// newest [`TIMELINE_MAX`]).
    pub timeline: Vec<TimelineEntry>,
}

/// Most events in [`Report::timeline`].
pub const TIMELINE_MAX: usize = 500;

/// One event of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The artifact (log) it was read from.
    pub log: String,
    pub record_id: u64,
    pub event_id: u32,
    /// The provider, e.g. `Microsoft-Windows-Security-Auditing`.
    pub provider: String,
    /// What it says, in one line: `logon failed (type 10 RemoteInteractive): CONTOSO\jdoe from
    /// 203.0.113.7: 0xC000015B (…)`.
    pub summary: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HostInfo {
    pub host_name: Option<String>,
    pub os: Option<String>,
    pub collected_utc: Option<String>,
    pub elevated: Option<bool>,
    pub collector_version: Option<String>,
    /// Set when the input is the disk of a machine that was not running: `offline disk: …`
    /// (live state such as services, listeners and sockets is then not evaluated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// One row of the artifacts table.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactRow {
    pub path: String,
    pub kind: String,
    /// Collector status (`ok`, `failed`...) or `loose` for files without a manifest record.
    pub status: String,
    /// Parsed, not parsed (with reason), or absent.
    pub parse: String,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    pub producer: Option<String>,
    pub message: Option<String>,
}

const COMPUTER_NAME_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName";

/// Windows edition and build from a SOFTWARE hive's `CurrentVersion` (offline disks have no
/// manifest). `CurrentBuild` is text on NT 4 (`1.511.1 () (Obsolete data - do not use)`), so
/// the number is `CurrentBuildNumber` there.
fn hive_os(ev: &Evidence) -> Option<String> {
    if ev.hives.is_empty() {
        return None;
    }
    const CV: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    let text = |name: &str| {
        ev.reg_value(CV, name)
            .and_then(|h| h.value.data.as_str().map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
    };
    let build = text("CurrentBuild")
        .filter(|b| b.chars().all(|c| c.is_ascii_digit()))
        .or_else(|| text("CurrentBuildNumber"));
    let parts: Vec<String> = [
        text("ProductName").or_else(|| text("CurrentVersion").map(|v| format!("Windows NT {v}"))),
        text("DisplayVersion").or_else(|| text("CSDVersion")),
        build.map(|b| format!("build {b}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

impl Report {
    pub fn new(ev: &Evidence, outcome: Outcome) -> Report {
        let count = |s| outcome.findings.iter().filter(|f| f.severity == s).count();
        let summary = Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        };
        // A bundle taken with --offline knows the volume, not the machine: its name and Windows
        // version are in the hives.
        let hive_host = || {
            ev.reg_value(COMPUTER_NAME_KEY, "ComputerName")
                .and_then(|h| h.value.data.as_str().map(str::to_string))
        };
        let host = match &ev.manifest {
            Some(m) if m.offline.is_some() => HostInfo {
                host_name: hive_host().or_else(|| Some(m.host_name.clone())),
                os: hive_os(ev),
                collected_utc: Some(m.finished_utc.clone()),
                elevated: m.elevated,
                collector_version: Some(m.collector_version.clone()),
                offline: None,
            },
            Some(m) => HostInfo {
                host_name: Some(m.host_name.clone()),
                os: {
                    let parts: Vec<_> = [
                        m.os.product_name.clone(),
                        m.os.display_version.clone(),
                        m.os.build.clone().map(|b| format!("build {b}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    (!parts.is_empty()).then(|| parts.join(" "))
                },
                collected_utc: Some(m.finished_utc.clone()),
                elevated: m.elevated,
                collector_version: Some(m.collector_version.clone()),
                offline: None,
            },
            None => HostInfo {
                host_name: ev
                    .gpresult
                    .iter()
                    .find_map(|g| g.value.computer_name.clone())
                    .or_else(hive_host),
                os: hive_os(ev),
                ..HostInfo::default()
            },
        };
        let host = HostInfo {
            offline: ev.offline.clone(),
            ..host
        };
        let artifacts = ev
            .artifacts
            .iter()
            .map(|a| ArtifactRow {
                path: a.path.clone(),
                kind: a.kind.describe().to_string(),
                status: a
                    .record
                    .as_ref()
                    .map(|r| r.status.as_str().to_string())
                    .unwrap_or_else(|| "loose".into()),
                parse: parse_status(ev, a),
                size: a.record.as_ref().map(|r| r.size),
                sha256: a.record.as_ref().and_then(|r| r.sha256.clone()),
                producer: a.record.as_ref().map(|r| r.producer.clone()),
                message: a.record.as_ref().and_then(|r| r.message.clone()),
            })
            .collect();
        let timeline = ev
            .timeline(TIMELINE_MAX)
            .into_iter()
            .map(|(log, e)| TimelineEntry {
                time: e.time.clone(),
                log: log.to_string(),
                record_id: e.record_id,
                event_id: e.event_id,
                provider: e.provider.clone(),
                summary: crate::evidence::summarize_event(e),
            })
            .collect();
        Report {
            schema: SCHEMA,
            analyzer_version: env!("CARGO_PKG_VERSION"),
            source: ev.source.clone(),
            host,
            summary,
            findings: outcome.findings,
            not_evaluated: outcome.not_evaluated,
            artifacts,
            timeline,
        }
    }

    /// Exit code: 1 when any error-level finding, else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.summary.errors > 0)
    }
}

/// The "parse" column: `parsed (UTF-16LE)`, `not parsed: reason`, `absent`, and for files read
/// only in part, what was lost (bytes replaced while decoding, unreadable event log chunks and
/// records, skipped `.reg` lines), so a damaged artifact is visible even when it parsed.
fn parse_status(ev: &Evidence, a: &crate::evidence::ArtifactStatus) -> String {
    if !a.present {
        return "absent".into();
    }
    if let Some(e) = &a.error {
        return format!("not parsed: {e}");
    }
    let mut notes: Vec<String> = a.encoding.iter().cloned().collect();
    if a.lossy {
        notes.push("invalid or cut-off bytes replaced".into());
    }
    if let Some(log) = ev
        .events
        .iter()
        .find(|l| l.artifact == a.path)
        .map(|l| &l.value)
    {
        if log.chunks_skipped > 0 {
            notes.push(format!("{} chunks unreadable", log.chunks_skipped));
        }
        if log.records_skipped > 0 {
            notes.push(format!(
                "{} of {} records unreadable",
                log.records_skipped, log.records_seen
            ));
        }
    }
    if let Some(reg) = ev.registry.iter().find(|r| r.artifact == a.path) {
        if !reg.value.warnings.is_empty() {
            notes.push(format!("{} lines skipped", reg.value.warnings.len()));
        }
    }
    let partial = a.lossy || notes.len() > a.encoding.iter().count();
    let head = if partial { "parsed partly" } else { "parsed" };
    if notes.is_empty() {
        head.into()
    } else {
        format!("{head} ({})", notes.join("; "))
    }
}

/// Whether `c` lets bundle text disguise itself when shown to a person: control characters
/// (terminal escape sequences, NUL, the C1 range with U+009B, the 8-bit CSI) except newline and
/// tab; the bidirectional overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E,
/// U+200F, U+061C), with which `evil\u{202E}txt.exe` displays as `evilexe.txt`; and the
/// invisible characters that can make two names look alike or hide text: zero-width spaces and
/// joiners (U+200B-U+200D, U+2060-U+2064, U+FEFF), the soft hyphen, the Hangul and Mongolian
/// fillers, variation selectors, interlinear annotations and the Unicode tag characters
/// (U+E0000-U+E007F, which carry hidden ASCII).
pub fn is_disguising(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
            | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Replaces the characters of [`is_disguising`] with U+FFFD, visibly.
pub fn neutralize(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_disguising) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| if is_disguising(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

/// A byte count for people: `912 B`, `4.0 KiB`, `1.3 MiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in UNITS.iter().skip(1) {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralize_keeps_text_and_replaces_disguises() {
        assert!(matches!(
            neutralize("plain\ttext\n"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(neutralize("a\u{1b}[2Jb"), "a\u{FFFD}[2Jb");
        assert_eq!(
            neutralize("x\u{202E}y\u{2066}z\0"),
            "x\u{FFFD}y\u{FFFD}z\u{FFFD}"
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(4096), "4.0 KiB");
        assert_eq!(human_size(3 << 20), "3.0 MiB");
        assert_eq!(human_size(10 << 30), "10.0 GiB");
    }
}

//! Rendering an analysis: the [`Report`] model (also the JSON schema) and its text, JSON and HTML
//! forms.

use crate::checks::{Finding, NotEvaluated, Outcome, Severity};
use crate::evidence::Evidence;
use serde::Serialize;

pub mod html;
pub mod json;
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

impl Report {
    pub fn new(ev: &Evidence, outcome: Outcome) -> Report {
        let count = |s| outcome.findings.iter().filter(|f| f.severity == s).count();
        let summary = Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        };
        let host = match &ev.manifest {
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
            },
            None => HostInfo {
                host_name: ev
                    .gpresult
                    .iter()
                    .find_map(|g| g.value.computer_name.clone()),
                ..HostInfo::default()
            },
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
                parse: match (&a.error, a.present) {
                    (_, false) => "absent".into(),
                    (None, true) => format!(
                        "parsed{}",
                        a.encoding
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    ),
                    (Some(e), true) => format!("not parsed: {e}"),
                },
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

//! Terminal output: findings grouped by severity, each with its evidence and remediation.

use super::Report;
use crate::checks::Severity;
use crate::parse::identify::Kind;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "rdp-analyze {}: {}",
        report.analyzer_version,
        clean(&report.source)
    );
    if let Some(h) = &report.host.host_name {
        let _ = write!(s, "Host: {}", clean(h));
        if let Some(os) = &report.host.os {
            let _ = write!(s, " ({})", clean(os));
        }
        if let Some(t) = &report.host.collected_utc {
            let _ = write!(s, ", collected {}", clean(t));
        }
        if report.host.elevated == Some(false) {
            s.push_str(", NOT elevated");
        }
        s.push('\n');
    }
    if let Some(o) = &report.host.offline {
        let _ = writeln!(s, "Input: {} (live state not evaluated)", clean(o));
    }
    let _ = writeln!(
        s,
        "{} error(s), {} warning(s), {} info\n",
        report.summary.errors, report.summary.warnings, report.summary.infos
    );
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let group: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == sev)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(s, "== {} ==", sev.as_str().to_uppercase());
        for f in group {
            let _ = writeln!(s, "[{}] {} ({})", f.id, clean(&f.title), f.name);
            let _ = writeln!(s, "    {}", clean(&f.message));
            for e in &f.evidence {
                let loc = match (e.line, e.record_id) {
                    (Some(l), _) => format!("{}:{l}", clean(&e.artifact)),
                    (None, Some(r)) => format!("{} record {r}", clean(&e.artifact)),
                    _ => clean(&e.artifact),
                };
                let _ = writeln!(s, "    evidence: {loc}: {}", clean(&e.excerpt));
            }
            let _ = writeln!(s, "    fix: {}\n", clean(&f.remediation));
        }
    }
    if report.findings.iter().all(|f| f.severity == Severity::Info) {
        s.push_str("No problem found in the evidence provided.\n\n");
    }
    let ignored: Vec<_> = report
        .artifacts
        .iter()
        .filter(|a| a.kind == Kind::Unknown.describe())
        .map(|a| clean(&a.path))
        .collect();
    if !ignored.is_empty() {
        let _ = writeln!(s, "Not recognized (ignored): {}\n", ignored.join(", "));
    }
    render_timeline(&mut s, report);
    if !report.not_evaluated.is_empty() {
        s.push_str("== NOT EVALUATED ==\n");
        for n in &report.not_evaluated {
            let _ = writeln!(s, "[{}] {}: {}", n.id, n.name, clean(&n.reason));
        }
        s.push('\n');
    }
    s
}

/// Timeline lines shown on the terminal; JSON and HTML have them all.
const TIMELINE_LINES: usize = 50;

/// The newest events of the logon story, newest last, with their record ids.
fn render_timeline(s: &mut String, report: &Report) {
    if report.timeline.is_empty() {
        return;
    }
    s.push_str("== TIMELINE (newest last) ==\n");
    let skip = report.timeline.len().saturating_sub(TIMELINE_LINES);
    if skip > 0 {
        let _ = writeln!(s, "({skip} earlier event(s) in the JSON and HTML reports)");
    }
    for t in report.timeline.iter().skip(skip) {
        let _ = writeln!(
            s,
            "{}  {} #{}  {:>5}  {}",
            clean(&t.time),
            clean(&t.log),
            t.record_id,
            t.event_id,
            clean(&t.summary)
        );
    }
    s.push('\n');
}

/// Strips control characters (terminal escape sequences from a hostile bundle) and
/// bidirectional overrides from text shown on the terminal; newlines too, so that bundle text
/// cannot fake a line of the report.
pub(crate) fn clean(s: &str) -> String {
    super::neutralize(s)
        .chars()
        .map(|c| if c == '\n' { '\u{FFFD}' } else { c })
        .collect()
}

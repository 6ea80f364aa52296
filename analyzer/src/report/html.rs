//! HTML output: one self-contained file (inline CSS, no script, no external resource) that can be
//! attached to a ticket. Every string from the bundle is escaped, and a strict
//! Content-Security-Policy forbids scripts even if escaping were ever missed.

use super::Report;
use crate::checks::Severity;
use std::fmt::Write;

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,Segoe UI,Arial,sans-serif;margin:2em;color:#1b1b1b;max-width:70em}\
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}\
.sum span{display:inline-block;padding:.2em .7em;margin-right:.5em;border-radius:1em;font-weight:600}\
.error{background:#fde7e9;border-left:5px solid #c50f1f}.warning{background:#fff4ce;border-left:5px solid #c19c00}\
.info{background:#eef4fb;border-left:5px solid #0f6cbd}.finding{padding:.6em 1em;margin:.8em 0;break-inside:avoid}\
.id{font-family:Consolas,monospace;font-weight:600}pre{white-space:pre-wrap;word-break:break-all;background:#f5f5f5;padding:.3em .5em;margin:.2em 0;font-size:12px}\
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border:1px solid #ddd;padding:.25em .4em;text-align:left;vertical-align:top}\
.hash{font-family:Consolas,monospace;word-break:break-all}@media print{body{margin:0}}";

pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<title>RDP triage: {}</title><style>{STYLE}</style></head><body>",
        escape(report.host.host_name.as_deref().unwrap_or(&report.source))
    );
    let _ = write!(
        s,
        "<h1>RDP triage report</h1><p>Input: <code>{}</code>",
        escape(&report.source)
    );
    if let Some(h) = &report.host.host_name {
        let _ = write!(s, "<br>Host: <b>{}</b>", escape(h));
    }
    if let Some(os) = &report.host.os {
        let _ = write!(s, " ({})", escape(os));
    }
    if let Some(t) = &report.host.collected_utc {
        let _ = write!(s, "<br>Collected: {}", escape(t));
    }
    if let Some(e) = report.host.elevated {
        let _ = write!(s, "<br>Elevated: {}", if e { "yes" } else { "<b>no</b>" });
    }
    let _ = write!(
        s,
        "<br>Analyzer: rdp-analyze {}</p><p class=\"sum\"><span class=\"error\">{} error(s)</span><span class=\"warning\">{} warning(s)</span><span class=\"info\">{} info</span></p>",
        escape(report.analyzer_version),
        report.summary.errors,
        report.summary.warnings,
        report.summary.infos
    );
    s.push_str("<h2>Findings</h2>");
    if report.findings.is_empty() {
        s.push_str("<p>No problem found in the evidence provided.</p>");
    }
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        for f in report.findings.iter().filter(|f| f.severity == sev) {
            let _ = write!(
                s,
                "<div class=\"finding {}\"><div><span class=\"id\">{}</span> <b>{}</b> <small>({}, {})</small></div><p>{}</p>",
                sev.as_str(),
                escape(f.id),
                escape(&f.title),
                escape(f.name),
                sev.as_str(),
                escape(&f.message)
            );
            for e in &f.evidence {
                let loc = match (e.line, e.record_id) {
                    (Some(l), _) => format!("{}:{l}", e.artifact),
                    (None, Some(r)) => format!("{} record {r}", e.artifact),
                    _ => e.artifact.clone(),
                };
                let _ = write!(s, "<pre>{}: {}</pre>", escape(&loc), escape(&e.excerpt));
            }
            let _ = write!(s, "<p><b>Fix:</b> {}</p></div>", escape(&f.remediation));
        }
    }
    if !report.not_evaluated.is_empty() {
        s.push_str("<h2>Not evaluated</h2><table><tr><th>Check</th><th>Why</th></tr>");
        for n in &report.not_evaluated {
            let _ = write!(
                s,
                "<tr><td class=\"id\">{} {}</td><td>{}</td></tr>",
                escape(n.id),
                escape(n.name),
                escape(&n.reason)
            );
        }
        s.push_str("</table>");
    }
    s.push_str("<h2>Artifacts</h2><table><tr><th>Path</th><th>Kind</th><th>Status</th><th>Parse</th><th>Size</th><th>SHA-256</th></tr>");
    for a in &report.artifacts {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td class=\"hash\">{}</td></tr>",
            escape(&a.path),
            escape(&a.kind),
            escape(&a.status),
            a.message.as_deref().map(|m| format!("<br><small>{}</small>", escape(m))).unwrap_or_default(),
            escape(&a.parse),
            a.size.map(|n| n.to_string()).unwrap_or_default(),
            escape(a.sha256.as_deref().unwrap_or(""))
        );
    }
    s.push_str("</table></body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            escape("\"><img onerror='x'>"),
            "&quot;&gt;&lt;img onerror=&#39;x&#39;&gt;"
        );
        assert_eq!(escape("a\u{1b}[31m"), "a\u{FFFD}[31m");
    }
}

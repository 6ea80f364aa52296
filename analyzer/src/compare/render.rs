//! The comparison as text, JSON, Markdown and HTML, escaped like the report (every value came
//! from a customer's machine).

use super::{Comparison, Difference, SideInfo};
use crate::report::{html, markdown, neutralize};
use std::fmt::Write;

fn case_line(c: &Comparison) -> String {
    let host = match c.same_host {
        Some(true) => "the same machine (before and after a change): identity differences count",
        Some(false) => "two different machines: per-machine differences are expected",
        None => "host unknown on one side: treated as two machines",
    };
    let build = match c.same_build {
        Some(true) => "same OS build",
        Some(false) => "DIFFERENT OS builds",
        None => "OS build unknown",
    };
    format!("{host}; {build}")
}

fn side_line(label: &str, s: &SideInfo) -> String {
    format!(
        "{label}: {} ({}, {} build {}, collected {})",
        s.host_name.as_deref().unwrap_or("unknown host"),
        s.source,
        s.os.as_deref().unwrap_or("OS unknown"),
        s.build.as_deref().unwrap_or("?"),
        s.collected_utc.as_deref().unwrap_or("?")
    )
}

fn verdict_line(c: &Comparison) -> String {
    if c.causes.is_empty() {
        format!(
            "No difference that matters for RDP ({} things compared).",
            c.compared
        )
    } else {
        format!(
            "{} difference(s) that can explain the failure, {} expected ({} things compared).",
            c.causes.len(),
            c.expected.len(),
            c.compared
        )
    }
}

fn value(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(absent)".into())
}

/// Plain text for a terminal.
pub fn text(c: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "rdp-analyze compare {}", c.analyzer_version);
    let _ = writeln!(s, "{}", neutralize(&side_line("Working", &c.working)));
    let _ = writeln!(s, "{}", neutralize(&side_line("Broken ", &c.broken)));
    let _ = writeln!(s, "Case:    {}", case_line(c));
    for w in &c.warnings {
        let _ = writeln!(s, "WARNING: {}", neutralize(w));
    }
    let _ = writeln!(s, "\n{}", verdict_line(c));
    let section = |s: &mut String, title: &str, list: &[Difference]| {
        if list.is_empty() {
            return;
        }
        let _ = writeln!(s, "\n{title}");
        let mut area = None;
        for d in list {
            if area != Some(d.area) {
                let _ = writeln!(s, "  [{}]", d.area.as_str());
                area = Some(d.area);
            }
            let _ = writeln!(s, "  - {}", neutralize(&d.item));
            let _ = writeln!(
                s,
                "      working: {}{}",
                neutralize(&value(&d.working)),
                d.working_evidence
                    .as_deref()
                    .map(|e| format!("   ({})", neutralize(e)))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                s,
                "      broken:  {}{}",
                neutralize(&value(&d.broken)),
                d.broken_evidence
                    .as_deref()
                    .map(|e| format!("   ({})", neutralize(e)))
                    .unwrap_or_default()
            );
            if d.verdict == super::Verdict::Expected {
                let _ = writeln!(s, "      expected: {}", d.note);
            }
        }
    };
    section(&mut s, "Differences that matter:", &c.causes);
    section(&mut s, "Expected differences (not causes):", &c.expected);
    s
}

/// The [`Comparison`] as JSON.
pub fn json(c: &Comparison) -> String {
    let mut s =
        serde_json::to_string_pretty(c).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// Markdown for a ticket.
pub fn markdown(c: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# RDP comparison: working against broken\n");
    let _ = writeln!(s, "- {}", markdown::text(&side_line("Working", &c.working)));
    let _ = writeln!(s, "- {}", markdown::text(&side_line("Broken", &c.broken)));
    let _ = writeln!(s, "- Case: {}", markdown::text(&case_line(c)));
    for w in &c.warnings {
        let _ = writeln!(s, "- **Warning:** {}", markdown::text(w));
    }
    let _ = writeln!(s, "\n**{}**", markdown::text(&verdict_line(c)));
    let table = |s: &mut String, title: &str, list: &[Difference], note: bool| {
        if list.is_empty() {
            return;
        }
        let _ = writeln!(s, "\n## {title}\n");
        let _ = writeln!(
            s,
            "| Area | Item | Working | Broken |{}",
            if note { " Why expected |" } else { "" }
        );
        let _ = writeln!(s, "|---|---|---|---|{}", if note { "---|" } else { "" });
        for d in list {
            let cell = |v: &Option<String>, e: &Option<String>| {
                format!(
                    "{}{}",
                    markdown::code(&value(v), true),
                    e.as_deref()
                        .map(|e| format!(" <br>{}", markdown::code(e, true)))
                        .unwrap_or_default()
                )
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |{}",
                d.area.as_str(),
                markdown::text(&d.item),
                cell(&d.working, &d.working_evidence),
                cell(&d.broken, &d.broken_evidence),
                if note {
                    format!(" {} |", markdown::text(&d.note))
                } else {
                    String::new()
                }
            );
        }
    };
    table(&mut s, "Differences that matter", &c.causes, false);
    table(&mut s, "Expected differences", &c.expected, true);
    s
}

const STYLE: &str = "body{font:14px/1.5 system-ui,sans-serif;margin:2rem;color:#1b1b1b}\
table{border-collapse:collapse;width:100%;font-size:13px}\
th,td{border:1px solid #d6d6d6;padding:.3rem .45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}\
th{background:#f0f0f0}code{font-family:Consolas,Menlo,monospace}.warn{color:#9d5d00;font-weight:600}\
.ev{color:#5c5c5c;font-size:12px}h2{border-bottom:2px solid #d6d6d6}";

/// One self-contained page; the same Content-Security-Policy rules as the report.
pub fn html(c: &Comparison) -> String {
    let e = html::escape;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\
         <title>RDP comparison</title><style>{STYLE}</style></head><body><main>\n",
        e(&html::content_security_policy_for(STYLE))
    );
    let _ = writeln!(s, "<h1>RDP comparison: working against broken</h1><ul>");
    let _ = writeln!(s, "<li>{}</li>", e(&side_line("Working", &c.working)));
    let _ = writeln!(s, "<li>{}</li>", e(&side_line("Broken", &c.broken)));
    let _ = writeln!(s, "<li>Case: {}</li></ul>", e(&case_line(c)));
    for w in &c.warnings {
        let _ = writeln!(s, "<p class=\"warn\">Warning: {}</p>", e(w));
    }
    let _ = writeln!(s, "<p><strong>{}</strong></p>", e(&verdict_line(c)));
    let table = |s: &mut String, title: &str, list: &[Difference], note: bool| {
        if list.is_empty() {
            return;
        }
        let _ = writeln!(
            s,
            "<h2>{}</h2><table><tr><th>Area</th><th>Item</th><th>Working</th><th>Broken</th>{}</tr>",
            e(title),
            if note { "<th>Why expected</th>" } else { "" }
        );
        for d in list {
            let cell = |v: &Option<String>, ev: &Option<String>| {
                format!(
                    "<td><code>{}</code>{}</td>",
                    e(&value(v)),
                    ev.as_deref()
                        .map(|x| format!("<div class=\"ev\">{}</div>", e(x)))
                        .unwrap_or_default()
                )
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td>{}{}{}</tr>",
                e(d.area.as_str()),
                e(&d.item),
                cell(&d.working, &d.working_evidence),
                cell(&d.broken, &d.broken_evidence),
                if note {
                    format!("<td>{}</td>", e(&d.note))
                } else {
                    String::new()
                }
            );
        }
        let _ = writeln!(s, "</table>");
    };
    table(&mut s, "Differences that matter", &c.causes, false);
    table(&mut s, "Expected differences", &c.expected, true);
    s.push_str("</main></body></html>\n");
    s
}

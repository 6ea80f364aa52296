//! HTML output: one self-contained file that support can open in a browser, attach to a ticket
//! or e-mail, and print to PDF.
//!
//! The bundle comes from a customer's machine, which may be compromised, and the support
//! engineer opens this file in the same browser they use for everything else. So:
//! - every string that came from the bundle goes through [`escape`] (element content and
//!   double-quoted attribute values alike), and no bundle string ever becomes an attribute
//!   name, a URL, an element name or CSS;
//! - the file holds no script and loads nothing: a Content-Security-Policy meta tag forbids
//!   scripts, frames, forms, fonts, images other than `data:`, and any style but the one inline
//!   stylesheet (pinned by its SHA-256), so even a missed escape could not run code or leak
//!   data;
//! - bidirectional-override and control characters are made visible, so a hostile file name
//!   cannot display as a different one.
//!
//! Layout, for the reader who has 30 seconds: host and verdict first, the count of errors and
//! warnings with their titles as links, then one card per finding (what, evidence with file and
//! line, why it matters, how to fix), then what could not be checked and the artifacts table.

use super::{human_size, neutralize, ArtifactRow, Report};
use crate::checks::{self, Finding, Severity};
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Escapes text for HTML element content and double-quoted attribute values. Control and
/// bidirectional-formatting characters are replaced (see [`neutralize`]).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in neutralize(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The one stylesheet. Its hash goes into the CSP, so it must not depend on the report.
const STYLE: &str = r#"
:root{--err:#c50f1f;--err-bg:#fdf3f4;--warn:#9d5d00;--warn-bg:#fff8e6;--info:#0f6cbd;--info-bg:#f1f6fc;
--ok:#107c10;--ink:#1b1b1b;--muted:#5c5c5c;--line:#d6d6d6;--code:#f4f4f4}
*{box-sizing:border-box}
body{font:14px/1.5 "Segoe UI",system-ui,-apple-system,Roboto,Arial,sans-serif;color:var(--ink);margin:0;background:#fafafa}
main{max-width:72rem;margin:0 auto;padding:1.5rem 2rem 3rem;background:#fff}
h1{font-size:1.6rem;margin:0 0 .2rem}h1 .host{font-weight:700}
h2{font-size:1.15rem;margin:2rem 0 .6rem;padding-bottom:.25rem;border-bottom:2px solid var(--line)}
.sub{color:var(--muted);margin:0 0 1rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0 0 1.2rem}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
.verdict{display:flex;flex-wrap:wrap;gap:.8rem;align-items:stretch;margin:1rem 0}
.tile{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:.5rem 1rem;min-width:9rem}
.tile b{display:block;font-size:1.8rem;line-height:1.1}
.tile.error{border-left-color:var(--err)}.tile.error b{color:var(--err)}
.tile.warning{border-left-color:var(--warn)}.tile.warning b{color:var(--warn)}
.tile.info{border-left-color:var(--info)}.tile.info b{color:var(--info)}
.tile.none{border-left-color:var(--ok)}.tile.none b{color:var(--ok)}
.glance{margin:.4rem 0 0;padding-left:1.2rem}.glance li{margin:.15rem 0}
.glance a{color:inherit;text-decoration:none;border-bottom:1px dotted var(--muted)}
.pill{display:inline-block;font-size:.75rem;font-weight:600;text-transform:uppercase;letter-spacing:.03em;
padding:.05rem .5rem;border-radius:1rem;color:#fff;vertical-align:middle;white-space:nowrap}
.pill.error{background:var(--err)}.pill.warning{background:var(--warn)}.pill.info{background:var(--info)}
.id{font-family:Consolas,"Cascadia Mono",Menlo,monospace;font-weight:600}
.card{border:1px solid var(--line);border-left:6px solid var(--line);border-radius:6px;padding:.8rem 1rem;margin:.9rem 0;
break-inside:avoid;page-break-inside:avoid}
.card.error{border-left-color:var(--err);background:var(--err-bg)}
.card.warning{border-left-color:var(--warn);background:var(--warn-bg)}
.card.info{border-left-color:var(--info);background:var(--info-bg)}
.card header{display:flex;gap:.6rem;align-items:baseline}
.card header .name{margin-left:auto;color:var(--muted);font-size:.85rem}
.card h3{margin:.35rem 0 0;font-size:1.05rem;overflow-wrap:anywhere}
.card p{margin:.5rem 0}
.label{font-weight:600;font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:.7rem 0 .2rem}
.ev{margin:.3rem 0;background:#fff;border:1px solid var(--line);border-radius:4px}
.ev .loc{font-family:Consolas,"Cascadia Mono",Menlo,monospace;font-size:.8rem;color:var(--muted);padding:.2rem .6rem;
border-bottom:1px solid var(--line);overflow-wrap:anywhere}
code{font-family:Consolas,"Cascadia Mono",Menlo,monospace;font-size:.9em;background:var(--code);padding:0 .25em;border-radius:3px}
pre{margin:0;padding:.35rem .6rem;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;
font:12.5px/1.45 Consolas,"Cascadia Mono",Menlo,monospace;background:var(--code)}
.why{color:var(--muted)}
.fix{background:#fff;border:1px solid var(--line);border-radius:4px;padding:.4rem .7rem}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{border:1px solid var(--line);padding:.3rem .45rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
table.artifacts{table-layout:fixed}
table.artifacts col.path{width:24%}table.artifacts col.kind{width:12%}table.artifacts col.coll{width:19%}
table.artifacts col.parse{width:15%}table.artifacts col.size{width:7%}table.artifacts col.hash{width:23%}
td.mono{overflow-wrap:anywhere}
th{background:#f0f0f0}
td.num{text-align:right;white-space:nowrap}
.mono{font-family:Consolas,"Cascadia Mono",Menlo,monospace}
.hash{font-family:Consolas,"Cascadia Mono",Menlo,monospace;font-size:11px;word-break:break-all;color:var(--muted)}
.st{font-weight:600}.st.ok{color:var(--ok)}.st.bad{color:var(--err)}.st.loose{color:var(--muted)}
small,.small{color:var(--muted);font-size:.85em}
footer{margin-top:2.5rem;color:var(--muted);font-size:.8rem;border-top:1px solid var(--line);padding-top:.6rem}
@media print{
@page{margin:14mm 12mm}
body{background:#fff;font-size:11.5px}
main{max-width:none;padding:0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
h2,h3,.card header,.label{break-after:avoid;page-break-after:avoid}
.card{break-inside:auto;page-break-inside:auto}
.ev,.fix,tr{break-inside:avoid;page-break-inside:avoid}
.glance a{border:0}
.producer{display:none}
}
"#;

/// `sha256-…` source expression of a stylesheet for the Content-Security-Policy.
fn hash_source(style: &str) -> String {
    format!(
        "'sha256-{}'",
        rdp_bundle::base64::encode(&Sha256::digest(style.as_bytes()))
    )
}

/// The report's policy for another page with its own single stylesheet `style` (the
/// comparison page): nothing may load or run but that stylesheet.
pub fn content_security_policy_for(style: &str) -> String {
    format!(
        "default-src 'none'; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        hash_source(style)
    )
}

/// The Content-Security-Policy of the report: nothing may load or run; only our stylesheet.
pub fn content_security_policy() -> String {
    content_security_policy_for(STYLE)
}

pub fn render(report: &Report) -> String {
    let mut s = String::with_capacity(64 * 1024);
    head(&mut s, report);
    s.push_str("<main>");
    header(&mut s, report);
    summary(&mut s, report);
    findings(&mut s, report);
    not_evaluated(&mut s, report);
    timeline(&mut s, report);
    artifacts(&mut s, &report.artifacts);
    let _ = write!(
        s,
        "<footer>Generated by rdp-analyze {} from <span class=\"mono\">{}</span>. Everything \
         quoted from the bundle is shown as plain text; this file contains no script and loads \
         nothing from the network.</footer>",
        escape(report.analyzer_version),
        escape(&report.source)
    );
    s.push_str("</main></body></html>\n");
    s
}

fn head(s: &mut String, report: &Report) {
    let subject = report.host.host_name.as_deref().unwrap_or(&report.source);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"color-scheme\" content=\"light\">\
<title>RDP triage: {title}</title><style>{STYLE}</style></head><body>",
        csp = content_security_policy(),
        title = escape(subject),
    );
}

fn header(s: &mut String, report: &Report) {
    let _ = write!(s, "<h1>RDP triage report");
    if let Some(h) = &report.host.host_name {
        let _ = write!(s, ": <span class=\"host\">{}</span>", escape(h));
    }
    s.push_str("</h1><p class=\"sub\">Why Remote Desktop connections to this machine fail, from the evidence in the bundle.</p><dl class=\"meta\">");
    let mut row = |k: &str, v: String| {
        let _ = write!(s, "<dt>{k}</dt><dd>{v}</dd>");
    };
    if let Some(h) = &report.host.host_name {
        row("Host", format!("<b>{}</b>", escape(h)));
    }
    if let Some(os) = &report.host.os {
        row("Windows", escape(os));
    }
    if let Some(t) = &report.host.collected_utc {
        row("Collected", format!("{} (UTC)", escape(t)));
    }
    match report.host.elevated {
        Some(true) => row("Elevated", "yes".into()),
        Some(false) => row(
            "Elevated",
            "<b>no</b>: some evidence could not be collected".into(),
        ),
        None => {}
    }
    if let Some(v) = &report.host.collector_version {
        row("Collector", format!("rdp-collect {}", escape(v)));
    }
    if let Some(o) = &report.host.offline {
        row(
            "Offline",
            format!("<b>{}</b> (live state not evaluated)", escape(o)),
        );
    }
    row(
        "Input",
        format!("<span class=\"mono\">{}</span>", escape(&report.source)),
    );
    row(
        "Analyzer",
        format!("rdp-analyze {}", escape(report.analyzer_version)),
    );
    s.push_str("</dl>");
}

fn summary(s: &mut String, report: &Report) {
    let sm = report.summary;
    s.push_str("<h2 id=\"summary\">Summary</h2><div class=\"verdict\">");
    let tile = |s: &mut String, class: &str, n: usize, one: &str, many: &str| {
        let _ = write!(
            s,
            "<div class=\"tile {class}\"><b>{n}</b>{}</div>",
            if n == 1 { one } else { many }
        );
    };
    if sm.errors == 0 && sm.warnings == 0 {
        tile(s, "none", 0, "problem found", "problems found");
    } else {
        tile(s, "error", sm.errors, "error", "errors");
        tile(s, "warning", sm.warnings, "warning", "warnings");
    }
    tile(s, "info", sm.infos, "note", "notes");
    s.push_str("</div>");
    let serious: Vec<(usize, &Finding)> = report
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.severity != Severity::Info)
        .collect();
    if serious.is_empty() {
        s.push_str(
            "<p>No error or warning in the evidence provided. If connections still fail, check \
             the client side and the network path, and the checks listed under \
             <a href=\"#not-evaluated\">Not evaluated</a>.</p>",
        );
        return;
    }
    if sm.errors > 0 {
        s.push_str("<p>Remote Desktop cannot work until the errors below are fixed:</p>");
    } else {
        s.push_str("<p>No blocking error; these warnings can break some connections:</p>");
    }
    s.push_str("<ol class=\"glance\">");
    for (i, f) in serious {
        let _ = write!(
            s,
            "<li><span class=\"pill {sev}\">{sev}</span> <a href=\"#f{i}\"><span class=\"id\">{id}</span> {title}</a></li>",
            sev = f.severity.as_str(),
            id = escape(f.id),
            title = escape(&f.title),
        );
    }
    s.push_str("</ol>");
}

fn findings(s: &mut String, report: &Report) {
    let groups = [
        (Severity::Error, "Errors"),
        (Severity::Warning, "Warnings"),
        (Severity::Info, "Notes"),
    ];
    if report.findings.is_empty() {
        s.push_str("<h2>Findings</h2><p>No finding.</p>");
    }
    for (sev, heading) in groups {
        let group: Vec<(usize, &Finding)> = report
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.severity == sev)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = write!(s, "<h2>{heading} ({})</h2>", group.len());
        for (i, f) in group {
            card(s, i, f);
        }
    }
}

fn card(s: &mut String, index: usize, f: &Finding) {
    let sev = f.severity.as_str();
    let _ = write!(
        s,
        "<section class=\"card {sev}\" id=\"f{index}\"><header><span class=\"pill {sev}\">{sev}</span>\
<span class=\"id\">{id}</span><span class=\"name\">{name}</span></header><h3>{title}</h3><p>{message}</p>",
        id = escape(f.id),
        title = escape(&f.title),
        name = escape(f.name),
        message = with_code(&escape(&f.message)),
    );
    if !f.evidence.is_empty() {
        s.push_str("<div class=\"label\">Evidence</div>");
        for e in &f.evidence {
            let loc = match (e.line, e.record_id) {
                (Some(l), _) => format!("{}, line {l}", escape(&e.artifact)),
                (None, Some(r)) => format!("{}, event record {r}", escape(&e.artifact)),
                _ => escape(&e.artifact),
            };
            let _ = write!(
                s,
                "<div class=\"ev\"><div class=\"loc\">{loc}</div><pre>{}</pre></div>",
                escape(&e.excerpt)
            );
        }
    }
    if let Some(check) = checks::all().iter().find(|c| c.id == f.id) {
        let _ = write!(
            s,
            "<div class=\"label\">Why it matters</div><p class=\"why\">{}</p>",
            escape(check.explanation)
        );
    }
    let _ = write!(
        s,
        "<div class=\"label\">How to fix</div><div class=\"fix\">{}</div></section>",
        with_code(&escape(&f.remediation))
    );
}

/// Check authors quote commands in `backticks`; in already escaped text, each pair becomes a
/// `<code>` element. Only our own tags are added (the text holds no `<` any more), and an odd
/// backtick is left as is.
fn with_code(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() < 3 || parts.len().is_multiple_of(2) {
        return escaped.to_string();
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn not_evaluated(s: &mut String, report: &Report) {
    if report.not_evaluated.is_empty() {
        return;
    }
    s.push_str(
        "<h2 id=\"not-evaluated\">Not evaluated</h2><p class=\"small\">These checks had no \
         evidence to work from; ask for the missing artifacts if their diagnosis matters.</p>\
         <table><thead><tr><th>Check</th><th>Why not</th></tr></thead><tbody>",
    );
    for n in &report.not_evaluated {
        let _ = write!(
            s,
            "<tr><td><span class=\"id\">{}</span> {}</td><td>{}</td></tr>",
            escape(n.id),
            escape(n.name),
            escape(&n.reason)
        );
    }
    s.push_str("</tbody></table>");
}

/// The logon story's events in order, newest last, with their record ids.
fn timeline(s: &mut String, report: &Report) {
    if report.timeline.is_empty() {
        return;
    }
    let _ = write!(
        s,
        "<h2 id=\"timeline\">Event timeline ({})</h2><p class=\"small\">The relevant events \
         in order, newest last.</p><table class=\"timeline\"><thead><tr><th>Time (UTC)</th>\
         <th>Log</th><th>Record</th><th>Event</th><th>What happened</th></tr></thead><tbody>",
        report.timeline.len()
    );
    for t in &report.timeline {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.time),
            escape(&t.log),
            t.record_id,
            t.event_id,
            escape(&t.summary)
        );
    }
    s.push_str("</tbody></table>");
}

fn artifacts(s: &mut String, rows: &[ArtifactRow]) {
    let _ = write!(
        s,
        "<h2 id=\"artifacts\">Artifacts ({})</h2><table class=\"artifacts\"><colgroup>\
<col class=\"path\"><col class=\"kind\"><col class=\"coll\"><col class=\"parse\"><col class=\"size\">\
<col class=\"hash\"></colgroup><thead><tr><th>Path</th><th>Kind</th><th>Collection</th>\
<th>Parsing</th><th>Size</th><th>SHA-256</th></tr></thead><tbody>",
        rows.len()
    );
    for a in rows {
        let class = match a.status.as_str() {
            "ok" => "ok",
            "loose" => "loose",
            _ => "bad",
        };
        let _ = write!(
            s,
            "<tr><td class=\"mono\">{path}</td><td>{kind}</td><td><span class=\"st {class}\">{status}</span>",
            path = escape(&a.path),
            kind = escape(&a.kind),
            status = escape(&a.status),
        );
        if let Some(m) = &a.message {
            let _ = write!(s, "<br><small>{}</small>", escape(m));
        }
        if let Some(p) = &a.producer {
            let _ = write!(
                s,
                "<br><small class=\"mono producer\">{}</small>",
                escape(p)
            );
        }
        let parse_class = if a.parse.starts_with("not parsed") {
            " class=\"st bad\""
        } else {
            ""
        };
        let _ = write!(
            s,
            "</td><td><span{parse_class}>{}</span></td>",
            escape(&a.parse)
        );
        match a.size {
            Some(n) => {
                let _ = write!(
                    s,
                    "<td class=\"num\" title=\"{n} bytes\">{}</td>",
                    human_size(n)
                );
            }
            None => s.push_str("<td class=\"num\"></td>"),
        }
        let _ = write!(
            s,
            "<td class=\"hash\">{}</td></tr>",
            escape(a.sha256.as_deref().unwrap_or(""))
        );
    }
    s.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(escape("&lt;"), "&amp;lt;");
    }

    #[test]
    fn bidi_overrides_are_made_visible() {
        // "evil\u{202E}txt.exe" displays as "evilexe.txt" in a browser.
        let e = escape("evil\u{202E}txt.exe");
        assert!(!e.contains('\u{202E}'));
        assert!(e.contains("txt.exe"));
    }

    #[test]
    fn backtick_pairs_become_code_after_escaping() {
        assert_eq!(
            with_code(&escape("run `netstat -ano` now")),
            "run <code>netstat -ano</code> now"
        );
        assert_eq!(with_code(&escape("`<b>`")), "<code>&lt;b&gt;</code>");
        assert_eq!(with_code("odd ` one"), "odd ` one");
    }

    #[test]
    fn csp_pins_the_stylesheet_and_forbids_scripts() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(!csp.contains("script-src"));
        assert!(!csp.contains("unsafe"));
        // 32-byte digest: 44 base64 characters with one '=' of padding.
        let hash = csp.split("'sha256-").nth(1).unwrap();
        assert_eq!(hash.find('\'').unwrap(), 44);
    }
}

//! Markdown output, for pasting into a ticket (GitHub, GitLab, Azure DevOps, Jira Cloud's
//! Markdown paste, Teams).
//!
//! Ticket systems render Markdown, and most let raw HTML through, so bundle text is never
//! pasted as is: prose goes through [`text`] (every character Markdown or HTML gives a meaning
//! is backslash-escaped, which CommonMark shows literally), and file excerpts and paths go in
//! code spans through [`code`] (literal by definition; only backticks, pipes in tables and
//! line breaks need care). A hostile GPO name therefore shows as `<script>`, it does not run,
//! and it cannot break out of its table cell or list item.
//!
//! The paste is kept short: summary, findings with evidence and fix, what could not be
//! checked, and only the artifacts that have a problem (the HTML report has the full table).

use super::{human_size, neutralize, Report};
use crate::checks::Severity;
use crate::parse::identify::Kind;
use std::fmt::Write;

/// Escapes prose: the characters Markdown or inline HTML interprets anywhere in a line get a
/// backslash (CommonMark then shows them literally), a leading `-`, `+`, `=`, `#` or `1.` that
/// would open a list or heading is escaped too, and line breaks become spaces (a blank line
/// would end the list item or table row). Other punctuation is left alone so that the raw
/// paste stays readable.
///
/// A word GitHub or GitLab would turn into a link or a notification (a URL, a `www.` name, an
/// e-mail address, an `@mention`, an `#123` reference) goes into a code span instead: escaping
/// does not stop the GFM autolinker from linking an address, and nothing but a code span stops
/// GitHub from notifying `@someone`.
pub fn text(s: &str) -> String {
    let flat = one_line(s);
    let s = neutralize(&flat);
    let mut out = String::with_capacity(s.len() + 8);
    let lead = s.len() - s.trim_start().len();
    let digits = s[lead..].chars().take_while(char::is_ascii_digit).count();
    let mut skip_to = 0;
    for (i, c) in s.char_indices() {
        if i < skip_to {
            continue;
        }
        if i == 0 || s[..i].ends_with(char::is_whitespace) {
            let word_end = s[i..].find(char::is_whitespace).map_or(s.len(), |e| i + e);
            let word = &s[i..word_end];
            if would_link(word) {
                out.push_str(&code(word, true));
                skip_to = word_end;
                continue;
            }
        }
        let at_start = i == lead && matches!(c, '-' | '+' | '=' | '#');
        let list_dot = digits > 0
            && i == lead + digits
            && matches!(c, '.' | ')')
            && s[i + 1..].chars().next().is_none_or(char::is_whitespace);
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if at_start || list_dot => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether a word would become a link or a mention on a GFM renderer (GitHub, GitLab): a
/// scheme (`http://`, `mailto:`), a `www.` name, an address or mention (`@`), a `#123`
/// reference.
fn would_link(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    lower.contains("://")
        || lower.contains("www.")
        || lower.contains("mailto:")
        || word.contains('@')
        || word
            .split('#')
            .skip(1)
            .any(|after| after.starts_with(|c: char| c.is_ascii_digit()))
}

/// Line breaks and tabs as spaces (before [`neutralize`], which would mark a CR).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// A code span holding `s` literally. The fence is one backtick longer than the longest run
/// inside; in a table, `|` must still be escaped (GFM splits cells before parsing spans).
pub fn code(s: &str, in_table: bool) -> String {
    let flat = neutralize(&one_line(s)).into_owned();
    let flat = if in_table {
        flat.replace('|', "\\|")
    } else {
        flat
    };
    if flat.trim().is_empty() {
        return String::from("` `");
    }
    let mut longest = 0;
    let mut run = 0;
    for c in flat.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A span starting or ending with a backtick needs a space so the fence stays separate.
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// Prose in which check authors quoted commands in `backticks`: with an even number of
/// backticks, each quoted part becomes a code span (literal) and the rest is escaped text.
fn prose(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len() < 3 || parts.len().is_multiple_of(2) {
        return text(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                code(part, false)
            } else {
                text(part)
            }
        })
        .collect()
}

pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let subject = report.host.host_name.as_deref().unwrap_or(&report.source);
    let _ = writeln!(s, "## RDP triage: {}\n", text(subject));
    let mut meta = Vec::new();
    if let Some(os) = &report.host.os {
        meta.push(format!("**Windows:** {}", text(os)));
    }
    if let Some(t) = &report.host.collected_utc {
        meta.push(format!("**Collected:** {} UTC", text(t)));
    }
    match report.host.elevated {
        Some(true) => meta.push("**Elevated:** yes".into()),
        Some(false) => meta.push("**Elevated:** no (some evidence missing)".into()),
        None => {}
    }
    if let Some(o) = &report.host.offline {
        meta.push(format!("**{}** (live state not evaluated)", text(o)));
    }
    meta.push(format!("**Input:** {}", code(&report.source, false)));
    meta.push(format!("rdp-analyze {}", text(report.analyzer_version)));
    let _ = writeln!(s, "{}\n", meta.join(" · "));
    let sm = report.summary;
    let _ = writeln!(
        s,
        "**{} error(s), {} warning(s), {} note(s).**\n",
        sm.errors, sm.warnings, sm.infos
    );

    for (sev, heading) in [
        (Severity::Error, "Errors"),
        (Severity::Warning, "Warnings"),
        (Severity::Info, "Notes"),
    ] {
        let group: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == sev)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {heading}\n");
        for f in group {
            let _ = writeln!(
                s,
                "#### {} {} ({})\n\n{}\n",
                f.id,
                text(&f.title),
                text(f.name),
                prose(&f.message)
            );
            for e in &f.evidence {
                let loc = match (e.line, e.record_id) {
                    (Some(l), _) => format!("{}, line {l}", code(&e.artifact, false)),
                    (None, Some(r)) => format!("{}, record {r}", code(&e.artifact, false)),
                    _ => code(&e.artifact, false),
                };
                let _ = writeln!(s, "- {loc}: {}", code(&e.excerpt, false));
            }
            if !f.evidence.is_empty() {
                s.push('\n');
            }
            let _ = writeln!(s, "**Fix:** {}\n", prose(&f.remediation));
        }
    }
    if report.findings.is_empty() {
        s.push_str("No finding in the evidence provided.\n\n");
    }

    if !report.not_evaluated.is_empty() {
        s.push_str("### Not evaluated\n\n| Check | Why not |\n|---|---|\n");
        for n in &report.not_evaluated {
            let _ = writeln!(s, "| {} {} | {} |", n.id, text(n.name), text(&n.reason));
        }
        s.push('\n');
    }

    let unknown = Kind::Unknown.describe();
    let troubled: Vec<_> = report
        .artifacts
        .iter()
        .filter(|a| a.kind != unknown)
        .filter(|a| !matches!(a.status.as_str(), "ok" | "loose") || a.parse.starts_with("not"))
        .collect();
    let ignored: Vec<String> = report
        .artifacts
        .iter()
        .filter(|a| a.kind == unknown)
        .map(|a| code(&a.path, false))
        .collect();
    let _ = writeln!(
        s,
        "### Artifacts\n\n{} artifact(s) in the input, {} with a problem{}\n",
        report.artifacts.len(),
        troubled.len(),
        if troubled.is_empty() { "." } else { ":" }
    );
    if !troubled.is_empty() {
        s.push_str("| Path | Collection | Parsing | Size |\n|---|---|---|---|\n");
        for a in troubled {
            let status = match &a.message {
                Some(m) => format!("{}: {}", text(&a.status), text(m)),
                None => text(&a.status),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                code(&a.path, true),
                status,
                text(&a.parse),
                a.size.map(human_size).unwrap_or_default()
            );
        }
        s.push('\n');
    }
    if !ignored.is_empty() {
        let _ = writeln!(s, "Not recognized (ignored): {}\n", ignored.join(", "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_cannot_carry_markup() {
        assert_eq!(text("<script>x</script>"), "\\<script\\>x\\</script\\>");
        assert_eq!(text("a|b\nc"), "a\\|b c");
        assert_eq!(text("[x](javascript:y)"), "\\[x\\](javascript:y)");
        assert_eq!(text("- not a list"), "\\- not a list");
        assert_eq!(text("12. not a list"), "12\\. not a list");
        assert_eq!(text("0.1.0"), "0.1.0");
        assert_eq!(text("C:\\Windows it's 1.5"), "C:\\\\Windows it's 1.5");
        assert_eq!(text("**bold**"), "\\*\\*bold\\*\\*");
    }

    #[test]
    fn links_and_mentions_become_code_spans() {
        assert_eq!(
            text("ask @octocat at a@b.example or www.x.example, see #12 and http://e.example"),
            "ask `@octocat` at `a@b.example` or `www.x.example,` see `#12` and `http://e.example`"
        );
        assert_eq!(text("x|@y"), "`x\\|@y`");
        assert_eq!(text("C# 1.5"), "C# 1.5");
    }

    #[test]
    fn quoted_commands_become_code_spans() {
        assert_eq!(
            prose("run `netstat -ano` as <admin>"),
            "run `netstat -ano` as \\<admin\\>"
        );
        assert_eq!(prose("odd ` tick <b>"), "odd \\` tick \\<b\\>");
    }

    #[test]
    fn code_spans_survive_backticks_pipes_and_newlines() {
        assert_eq!(code("a`b", false), "``a`b``");
        assert_eq!(code("`x`", false), "`` `x` ``");
        assert_eq!(code("a|b", true), "`a\\|b`");
        assert_eq!(code("a|b", false), "`a|b`");
        assert_eq!(code("line1\r\nline2", false), "`line1  line2`");
        assert_eq!(code("", false), "` `");
    }
}

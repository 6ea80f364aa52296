//! The check catalogue as people read it: `rdp-analyze checks` (one line each),
//! `rdp-analyze checks --explain ID` (one check in full, like `clippy --explain` or `ruff rule`)
//! and `docs/checks.md` (every check in full, generated from [`checks::all`] so the page cannot
//! drift from the code: a test compares it and rewrites it when `RDP_UPDATE_DOCS=1`).

use crate::checks::{self, Check};

/// One line per check: ID, name, severity, title.
pub fn list() -> String {
    let mut out = String::new();
    for c in checks::all() {
        out.push_str(&format!(
            "{}  {:<32} {:<8} {}\n",
            c.id,
            c.name,
            c.severity.as_str(),
            c.title
        ));
    }
    out
}

/// The check named by its ID (`RDP024`, any case) or its name (`remote-logon-rights`).
pub fn find(query: &str) -> Option<&'static Check> {
    let q = query.trim();
    checks::all()
        .iter()
        .copied()
        .find(|c| c.id.eq_ignore_ascii_case(q) || c.name.eq_ignore_ascii_case(q))
}

/// Where a retired ID's diagnosis went, for `--explain` of an ID that is no longer live.
pub fn retired(query: &str) -> Option<&'static str> {
    let q = query.trim();
    checks::RETIRED
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(q))
        .map(|(_, went)| *went)
}

/// One check in full, as plain text for the terminal.
pub fn explain(c: &Check) -> String {
    let mut out = format!(
        "{} {} ({})\n{}\n\n",
        c.id,
        c.name,
        c.severity.as_str(),
        c.title
    );
    out.push_str(&section("What it detects", c.explanation));
    out.push_str(&section("What to do", c.remediation));
    out.push_str(&section("Evidence read", &evidence_read(c)));
    out.push_str(&section("Fixture", c.fixture));
    out
}

/// Every check in full, as Markdown: the body of `docs/checks.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Checks\n\n<!-- Generated from analyzer/src/checks by `RDP_UPDATE_DOCS=1 cargo test -p \
         rdp-analyze --lib report::catalogue`; do not edit by hand. -->\n\n",
    );
    out.push_str(&format!(
        "{} checks. `rdp-analyze checks` lists them, `rdp-analyze checks --explain ID` prints one.\n\n",
        checks::all().len()
    ));
    out.push_str("| ID | name | severity | title |\n|---|---|---|---|\n");
    for c in checks::all() {
        out.push_str(&format!(
            "| [{}](#{}) | `{}` | {} | {} |\n",
            c.id,
            c.id.to_ascii_lowercase(),
            c.name,
            c.severity.as_str(),
            c.title.replace('|', "\\|")
        ));
    }
    for c in checks::all() {
        out.push_str(&format!(
            "\n## {}\n\n`{}`, {}: {}\n\n",
            c.id,
            c.name,
            c.severity.as_str(),
            c.title
        ));
        out.push_str(&format!("**What it detects.** {}\n\n", c.explanation));
        out.push_str(&format!("**What to do.** {}\n\n", c.remediation));
        out.push_str(&format!("**Evidence read.** {}\n\n", evidence_read(c)));
        out.push_str(&format!("**Fixture.** `{}`\n", c.fixture));
    }
    if !checks::RETIRED.is_empty() {
        out.push_str("\n## Retired IDs\n\nNever reused.\n\n");
        for (id, went) in checks::RETIRED {
            out.push_str(&format!("- {id}: {went}\n"));
        }
    }
    out
}

fn evidence_read(c: &Check) -> String {
    let mut s = if c.needs.is_empty() {
        "runs on every input (about the input or the collection itself)".to_string()
    } else {
        let kinds: Vec<&str> = c.needs.iter().map(|k| k.describe()).collect();
        format!("any of: {}", kinds.join("; "))
    };
    if c.requires.is_some() {
        s.push_str(
            "; it also needs particular keys or output within them, and is listed as not \
             evaluated when they are absent",
        );
    }
    s
}

/// A titled paragraph, wrapped at 96 columns for the terminal.
fn section(title: &str, body: &str) -> String {
    let mut out = format!("{title}:\n");
    let mut line = String::new();
    for word in body.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > 94 {
            out.push_str("  ");
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/checks.md` is what `markdown()` renders: a stale page fails CI. Set
    /// `RDP_UPDATE_DOCS=1` to rewrite it (never under CI).
    #[test]
    fn docs_checks_md_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/checks.md");
        let want = markdown();
        let update =
            std::env::var_os("RDP_UPDATE_DOCS").is_some() && std::env::var_os("CI").is_none();
        if update {
            std::fs::write(&path, &want).unwrap();
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/checks.md is stale: run RDP_UPDATE_DOCS=1 cargo test -p rdp-analyze --lib \
             report::catalogue"
        );
    }

    #[test]
    fn find_by_id_or_name_and_explain() {
        let c = find("rdp001").unwrap();
        assert_eq!(c.id, "RDP001");
        assert_eq!(find(c.name).unwrap().id, "RDP001");
        assert!(find("RDP999").is_none());
        let text = explain(c);
        assert!(text.starts_with("RDP001 "));
        for heading in [
            "What it detects:",
            "What to do:",
            "Evidence read:",
            "Fixture:",
        ] {
            assert!(text.contains(heading), "{heading}");
        }
        assert!(text.lines().all(|l| l.chars().count() <= 96), "{text}");
        assert!(retired("rdp055").unwrap().contains("RDP020"));
    }

    #[test]
    fn every_check_is_in_the_markdown() {
        let md = markdown();
        for c in checks::all() {
            assert!(md.contains(&format!("\n## {}\n", c.id)), "{}", c.id);
        }
    }
}

//! `rdp-analyze batch`: many bundles at once, for support teams that triage a fleet.
//!
//! Each input is analyzed exactly as `rdp-analyze INPUT` would (same limits, same checks) on the
//! thread pool, a few at a time, and its results are written as soon as its turn in the input
//! order comes: memory holds the reports of one round of inputs, never all of them, and the
//! output is the same whatever the thread timing. One input that cannot be read is a summary
//! line saying why; the others go on.
//!
//! Two outputs: JSON lines (`jsonl`, one object per finding and one summary per input, the
//! shape Elasticsearch/OpenSearch `_bulk`, Filebeat's ndjson parser, Splunk and DuckDB ingest
//! as is; documented in `docs/batch-schema.md`) and a text table of which findings hit how
//! many hosts.

use crate::bundle::Limits;
use crate::checks::Severity;
use crate::report::Report;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Identifier of the JSON-lines schema (`docs/batch-schema.md`).
pub const SCHEMA: &str = "rdp-triage/batch/v1";

/// What one input gave.
pub enum Outcome {
    Analyzed(Box<Report>),
    /// Why the input could not be analyzed at all (exit code 2 of a single run).
    Failed(String),
}

/// One line per finding.
#[derive(Serialize)]
struct FindingLine<'a> {
    schema: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    input: &'a str,
    host: Option<&'a str>,
    collected_utc: Option<&'a str>,
    #[serde(flatten)]
    finding: &'a crate::checks::Finding,
}

/// One line per input, after its findings.
#[derive(Serialize)]
struct SummaryLine<'a> {
    schema: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    input: &'a str,
    host: Option<&'a str>,
    os: Option<&'a str>,
    collected_utc: Option<&'a str>,
    /// What `rdp-analyze INPUT` would exit with: 0, 1 (error-level findings) or 2 (unreadable).
    exit_code: i32,
    errors: usize,
    warnings: usize,
    infos: usize,
    /// IDs of the findings, most severe first, for queries that want one row per host.
    finding_ids: Vec<&'a str>,
    not_evaluated: usize,
    /// Why the input could not be analyzed, when it could not.
    error: Option<&'a str>,
}

/// The inputs `paths` name. A zip or file is one input. A folder holding `manifest.json` is
/// one bundle. A folder without one is a folder of bundles when its entries are all zips and
/// folders (hidden ones ignored) and at least one is a zip or a folder with a `manifest.json`:
/// then each entry is an input. Any other folder is one bundle of loose files. The order is
/// the order given, entries of a folder by name.
pub fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        match bundles_in(p) {
            Some(children) => out.extend(children),
            None => out.push(p.clone()),
        }
    }
    out
}

fn bundles_in(dir: &Path) -> Option<Vec<PathBuf>> {
    if !dir.is_dir() || dir.join("manifest.json").is_file() {
        return None;
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    entries.sort();
    let is_zip = |p: &Path| {
        p.is_file()
            && p.extension()
                .is_some_and(|x| x.to_string_lossy().eq_ignore_ascii_case("zip"))
    };
    let all_bundles = entries.iter().all(|p| is_zip(p) || p.is_dir());
    let some_bundle = entries
        .iter()
        .any(|p| is_zip(p) || p.join("manifest.json").is_file());
    (all_bundles && some_bundle).then_some(entries)
}

/// Analyzes `inputs`, `round` at a time on the thread pool, and hands each outcome to `emit` in
/// input order. `tick` is called once per input done (for a progress bar).
pub fn run(
    inputs: &[PathBuf],
    limits: &Limits,
    round: usize,
    mut emit: impl FnMut(&Path, &Outcome) -> io::Result<()>,
    tick: impl Fn() + Sync,
) -> io::Result<()> {
    use rayon::prelude::*;
    for chunk in inputs.chunks(round.max(1)) {
        let outcomes: Vec<Outcome> = chunk
            .par_iter()
            .map(|p| {
                let o = match crate::analyze_path(p, limits) {
                    Ok(r) => Outcome::Analyzed(Box::new(r)),
                    Err(e) => Outcome::Failed(e.to_string()),
                };
                tick();
                o
            })
            .collect();
        for (p, o) in chunk.iter().zip(&outcomes) {
            emit(p, o)?;
        }
    }
    Ok(())
}

/// Writes one input's JSON lines: its findings, then its summary.
pub fn write_jsonl(out: &mut impl Write, input: &Path, outcome: &Outcome) -> io::Result<()> {
    let input = input.to_string_lossy();
    match outcome {
        Outcome::Analyzed(r) => {
            let host = r.host.host_name.as_deref();
            let collected = r.host.collected_utc.as_deref();
            for f in &r.findings {
                line(
                    out,
                    &FindingLine {
                        schema: SCHEMA,
                        kind: "finding",
                        input: &input,
                        host,
                        collected_utc: collected,
                        finding: f,
                    },
                )?;
            }
            line(
                out,
                &SummaryLine {
                    schema: SCHEMA,
                    kind: "summary",
                    input: &input,
                    host,
                    os: r.host.os.as_deref(),
                    collected_utc: collected,
                    exit_code: r.exit_code(),
                    errors: r.summary.errors,
                    warnings: r.summary.warnings,
                    infos: r.summary.infos,
                    finding_ids: r.findings.iter().map(|f| f.id).collect(),
                    not_evaluated: r.not_evaluated.len(),
                    error: None,
                },
            )
        }
        Outcome::Failed(why) => line(
            out,
            &SummaryLine {
                schema: SCHEMA,
                kind: "summary",
                input: &input,
                host: None,
                os: None,
                collected_utc: None,
                exit_code: 2,
                errors: 0,
                warnings: 0,
                infos: 0,
                finding_ids: Vec::new(),
                not_evaluated: 0,
                error: Some(why),
            },
        ),
    }
}

/// One JSON object and a newline.
fn line(out: &mut impl Write, v: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, v).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// How many hosts a finding hit, for the text table. Host lists keep a few names, so the
/// table's memory does not grow with the fleet.
#[derive(Default)]
pub struct Tally {
    inputs: usize,
    failed: Vec<(String, String)>,
    failed_more: usize,
    exit_code: i32,
    by_check: BTreeMap<&'static str, Hits>,
}

#[derive(Default)]
struct Hits {
    worst: Option<Severity>,
    hosts: usize,
    names: BTreeSet<String>,
}

/// Host names listed per check (and failed inputs listed) in the table.
const NAMES_SHOWN: usize = 5;

impl Tally {
    pub fn add(&mut self, input: &Path, outcome: &Outcome) {
        self.inputs += 1;
        match outcome {
            Outcome::Failed(why) => {
                self.exit_code = self.exit_code.max(2);
                if self.failed.len() < NAMES_SHOWN {
                    self.failed.push((
                        crate::report::text::clean(&input.to_string_lossy()),
                        crate::report::text::clean(why),
                    ));
                } else {
                    self.failed_more += 1;
                }
            }
            Outcome::Analyzed(r) => {
                self.exit_code = self.exit_code.max(r.exit_code());
                // Shown on a terminal: cleaned as the text report cleans bundle text.
                let host = crate::report::text::clean(
                    r.host
                        .host_name
                        .as_deref()
                        .unwrap_or(&input.to_string_lossy()),
                );
                let mut seen = BTreeSet::new();
                for f in &r.findings {
                    let h = self.by_check.entry(f.id).or_default();
                    h.worst = Some(h.worst.map_or(f.severity, |w| w.min(f.severity)));
                    if seen.insert(f.id) {
                        h.hosts += 1;
                        if h.names.len() < NAMES_SHOWN {
                            h.names.insert(host.clone());
                        }
                    }
                }
            }
        }
    }

    /// `rdp-analyze batch` exit code: 2 when no input could be analyzed, else 1 when any had an
    /// error-level finding, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.inputs == 0 || self.failed.len() + self.failed_more == self.inputs {
            2
        } else {
            self.exit_code.min(1)
        }
    }

    /// The table: one row per check that fired, most hosts first.
    pub fn render(&self) -> String {
        let failed = self.failed.len() + self.failed_more;
        let mut out = format!(
            "rdp-analyze batch: {} input(s), {} analyzed, {} could not be read\n\n",
            self.inputs,
            self.inputs - failed,
            failed
        );
        let mut rows: Vec<(&'static str, &Hits)> =
            self.by_check.iter().map(|(id, h)| (*id, h)).collect();
        rows.sort_by(|a, b| {
            (b.1.hosts, a.1.worst)
                .cmp(&(a.1.hosts, b.1.worst))
                .then(a.0.cmp(b.0))
        });
        if rows.is_empty() {
            out.push_str("No finding on any input.\n");
        } else {
            out.push_str(&format!(
                "{:<7} {:<8} {:>6}  {}\n",
                "ID", "worst", "hosts", "check / hosts"
            ));
        }
        for (id, h) in rows {
            let title = crate::checks::all()
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.title)
                .unwrap_or("");
            let names: Vec<&str> = h.names.iter().map(String::as_str).collect();
            out.push_str(&format!(
                "{:<7} {:<8} {:>6}  {}\n{:24}{}{}\n",
                id,
                h.worst.map(Severity::as_str).unwrap_or(""),
                h.hosts,
                title,
                "",
                names.join(", "),
                if h.hosts > names.len() {
                    format!(", and {} more", h.hosts - names.len())
                } else {
                    String::new()
                }
            ));
        }
        if failed > 0 {
            out.push_str("\nCould not be read:\n");
            for (input, why) in &self.failed {
                out.push_str(&format!("  {input}: {why}\n"));
            }
            if self.failed_more > 0 {
                out.push_str(&format!("  and {} more\n", self.failed_more));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rdp-batch-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_folder_of_zips_and_bundle_folders_is_expanded_a_bundle_folder_is_not() {
        let root = tmp("expand");
        std::fs::write(root.join("b.zip"), b"PK").unwrap();
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("a/manifest.json"), b"{}").unwrap();
        std::fs::write(root.join(".DS_Store"), b"").unwrap();
        assert_eq!(
            expand(std::slice::from_ref(&root)),
            vec![root.join("a"), root.join("b.zip")]
        );
        // A bundle folder, and a loose folder with artifact subfolders, are one input each.
        assert_eq!(expand(&[root.join("a")]), vec![root.join("a")]);
        let loose = tmp("loose");
        std::fs::create_dir(loose.join("commands")).unwrap();
        std::fs::write(loose.join("commands/netstat.txt"), b"x").unwrap();
        assert_eq!(expand(std::slice::from_ref(&loose)), vec![loose.clone()]);
        // A loose file beside the zips makes it one bundle of loose files.
        std::fs::write(root.join("netstat.txt"), b"x").unwrap();
        assert_eq!(expand(std::slice::from_ref(&root)), vec![root.clone()]);
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(loose);
    }

    #[test]
    fn exit_code_is_two_only_when_nothing_was_read() {
        let mut t = Tally::default();
        assert_eq!(t.exit_code(), 2);
        t.add(Path::new("x.zip"), &Outcome::Failed("not a zip".into()));
        assert_eq!(t.exit_code(), 2);
        assert!(t.render().contains("x.zip: not a zip"));
    }
}

//! `rdp-analyze batch` end to end, with the real binary: 200 bundles built from the fixtures,
//! a bad input among them, JSON lines that parse and agree with single-input runs, and the
//! text table. No timing here: speed and memory are measured by running the release binary
//! (README, "Many bundles at once").

mod fixture_tree;

use fixture_tree::zip_dir;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A folder of `n` zips cycling through the fixtures (named so their order is the fixtures'),
/// plus the fixture each one came from.
fn fleet(name: &str, n: usize) -> (PathBuf, Vec<(PathBuf, PathBuf)>) {
    let root = std::env::temp_dir().join(format!("rdp-batch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    fixtures.sort();
    let zips: Vec<Vec<u8>> = fixtures.iter().map(|f| zip_dir(f)).collect();
    let mut made = Vec::new();
    for i in 0..n {
        let k = i % fixtures.len();
        let path = root.join(format!(
            "{i:04}-{}.zip",
            fixtures[k].file_name().unwrap().to_string_lossy()
        ));
        std::fs::write(&path, &zips[k]).unwrap();
        made.push((path, fixtures[k].clone()));
    }
    (root, made)
}

fn rdp_analyze(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rdp-analyze"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn two_hundred_bundles_stream_as_json_lines_that_agree_with_single_runs() {
    let (root, made) = fleet("jsonl", 200);
    // A bad input among the good ones: a .zip that is no zip.
    let bad = root.join("0100-broken.zip");
    std::fs::write(&bad, b"this is not a zip").unwrap();
    let (code, out) = rdp_analyze(&["batch".as_ref(), root.as_os_str()]);
    assert_eq!(code, 1, "error-level findings among the fixtures");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.iter().all(|l| l["schema"] == "rdp-triage/batch/v1"));
    let summaries: Vec<&Value> = lines.iter().filter(|l| l["type"] == "summary").collect();
    assert_eq!(summaries.len(), 201);
    // In input order (file names sort as made), each input's findings before its summary.
    let inputs: Vec<&str> = summaries
        .iter()
        .map(|s| s["input"].as_str().unwrap())
        .collect();
    let mut sorted = inputs.clone();
    sorted.sort();
    assert_eq!(inputs, sorted);
    let broken = summaries
        .iter()
        .find(|s| s["input"].as_str().unwrap().ends_with("0100-broken.zip"))
        .unwrap();
    assert_eq!(broken["exit_code"], 2);
    assert!(broken["error"]
        .as_str()
        .unwrap()
        .contains("0100-broken.zip"));
    // The inputs agree with `rdp-analyze INPUT --format json`, checked on the first 40 (40
    // different fixtures): exit code, counts, and the same findings in the same order.
    let mut checked = 0;
    for (zip, fixture) in made.iter().take(made.len().min(40)) {
        let (single_code, single) =
            rdp_analyze(&[zip.as_os_str(), "--format".as_ref(), "json".as_ref()]);
        let single: Value = serde_json::from_str(&single).unwrap();
        let input = zip.to_string_lossy();
        let summary = summaries.iter().find(|s| s["input"] == *input).unwrap();
        assert_eq!(summary["exit_code"], single_code, "{input}");
        for k in ["errors", "warnings", "infos"] {
            assert_eq!(summary[k], single["summary"][k], "{input} {k}");
        }
        let batch_ids: Vec<&Value> = lines
            .iter()
            .filter(|l| l["type"] == "finding" && l["input"] == *input)
            .map(|l| &l["id"])
            .collect();
        let single_ids: Vec<&Value> = single["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| &f["id"])
            .collect();
        assert_eq!(batch_ids, single_ids, "{input} ({})", fixture.display());
        let finding = lines
            .iter()
            .find(|l| l["type"] == "finding" && l["input"] == *input);
        if let Some(f) = finding {
            for field in [
                "host",
                "collected_utc",
                "id",
                "name",
                "severity",
                "title",
                "facts",
                "evidence",
            ] {
                assert!(f.get(field).is_some(), "{field} missing in {f}");
            }
        }
        checked += 1;
    }
    assert!(checked > 0);
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn the_text_table_counts_hosts_per_finding() {
    let (root, _) = fleet("text", 6);
    let (code, out) = rdp_analyze(&[
        "batch".as_ref(),
        "--format".as_ref(),
        "text".as_ref(),
        root.as_os_str(),
        "/nonexistent/rdp-bundle.zip".as_ref(),
    ]);
    assert!(code == 0 || code == 1, "{code}");
    assert!(
        out.starts_with("rdp-analyze batch: 7 input(s), 6 analyzed, 1 could not be read"),
        "{out}"
    );
    assert!(out.contains("/nonexistent/rdp-bundle.zip: "), "{out}");
    // Each row: ID, worst severity, host count, then the hosts.
    let row = out
        .lines()
        .find(|l| l.starts_with("RDP"))
        .expect("some finding among six fixtures");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert!(cols[2].parse::<usize>().unwrap() >= 1, "{row}");
    // Nothing readable at all: exit 2.
    let (code, _) = rdp_analyze(&["batch".as_ref(), "/nonexistent/a.zip".as_ref()]);
    assert_eq!(code, 2);
    let _ = std::fs::remove_dir_all(root);
}

//! Fixture-driven regression tests: every folder under `fixtures/` is a bundle tree plus an
//! `expected.json`. Each is zipped in memory and analyzed through the library, then zipped to a
//! file and analyzed by the real `rdp-analyze` binary; both must yield the expected diagnoses.
//!
//! `expected.json`:
//! - `must`: findings that must appear: `{"id", "severity"?, "facts"?: {key: value}}` (facts are
//!   a subset match).
//! - `must_not`: IDs that must not appear at all.
//! - `tolerate`: IDs that may appear beyond `must`. Any other error or warning fails the test:
//!   a false positive is a regression too.
//! - `not_evaluated`: IDs that must be reported as not evaluated.
//!
//! Adding a scenario is adding a folder; no code changes.

mod fixture_tree;

use fixture_tree::zip_dir;
use rdp_analyze::bundle::{self, Limits};
use rdp_analyze::report::Report;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn scenario_dirs() -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    v.sort();
    v
}

fn check(name: &str, report: &Value, expected: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let must = expected["must"].as_array().cloned().unwrap_or_default();
    for m in &must {
        let id = m["id"].as_str().unwrap();
        let hit = findings.iter().any(|f| {
            f["id"] == m["id"]
                && m.get("severity").is_none_or(|s| &f["severity"] == s)
                && m.get("facts")
                    .and_then(Value::as_object)
                    .is_none_or(|facts| facts.iter().all(|(k, v)| f["facts"].get(k) == Some(v)))
        });
        if !hit {
            errs.push(format!("{name}: missing {m}"));
            let same: Vec<_> = findings.iter().filter(|f| f["id"] == id).collect();
            for f in same {
                errs.push(format!(
                    "   (got {} {} facts {})",
                    f["id"], f["severity"], f["facts"]
                ));
            }
        }
    }
    let listed = |key: &str| -> Vec<String> {
        expected[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    for id in listed("must_not") {
        if findings.iter().any(|f| f["id"] == id.as_str()) {
            errs.push(format!("{name}: {id} must not fire"));
        }
    }
    let tolerate = listed("tolerate");
    for f in &findings {
        let sev = f["severity"].as_str().unwrap_or("");
        let id = f["id"].as_str().unwrap_or("");
        if sev == "info" {
            continue;
        }
        let expected_id = must.iter().any(|m| m["id"] == id) || tolerate.iter().any(|t| t == id);
        if !expected_id {
            errs.push(format!("{name}: unexpected {sev} {id}: {}", f["message"]));
        }
    }
    let not_eval: Vec<_> = report["not_evaluated"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for id in listed("not_evaluated") {
        if !not_eval.iter().any(|n| n["id"] == id.as_str()) {
            errs.push(format!("{name}: {id} should be reported as not evaluated"));
        }
    }
    errs
}

fn to_json(r: &Report) -> Value {
    serde_json::to_value(r).unwrap()
}

#[test]
fn every_fixture_yields_its_expected_diagnoses() {
    let dirs = scenario_dirs();
    assert!(
        dirs.len() >= 20,
        "expected the fixture scenarios, found {}",
        dirs.len()
    );
    let mut errs = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap())
                .unwrap_or_else(|e| panic!("{name}/expected.json: {e}"));
        let zip = zip_dir(dir);
        let b = bundle::from_zip_bytes(&zip, &Limits::default()).expect("fixture zip reads");
        let report = to_json(&rdp_analyze::analyze_bundle(b));
        errs.extend(check(&name, &report, &expected));
    }
    assert!(errs.is_empty(), "\n{}", errs.join("\n"));
}

#[test]
fn a_folder_and_its_zip_give_the_same_findings() {
    // The folder form includes expected.json, which is reported as an unrecognized file (info);
    // everything else must match.
    for dir in scenario_dirs() {
        let zip = zip_dir(&dir);
        let from_zip = to_json(&rdp_analyze::analyze_bundle(
            bundle::from_zip_bytes(&zip, &Limits::default()).unwrap(),
        ));
        let from_dir = to_json(&rdp_analyze::analyze_path(&dir, &Limits::default()).unwrap());
        let ids = |r: &Value| -> Vec<String> {
            let mut v: Vec<String> = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["facts"]["artifact"] != "expected.json")
                .map(|f| format!("{} {} {}", f["id"], f["severity"], f["title"]))
                .collect();
            v.sort();
            v
        };
        assert_eq!(ids(&from_zip), ids(&from_dir), "{}", dir.display());
    }
}

#[test]
fn evtx_twins_give_the_findings_of_their_xml_originals() {
    // `<name>-evtx` holds `<name>`'s events as binary .evtx files (scripts/fixtures_evtx.py):
    // the binary reader and the XML reader must tell the same story, facts and all.
    let findings = |dir: &Path| -> Vec<String> {
        let zip = zip_dir(dir);
        let report = to_json(&rdp_analyze::analyze_bundle(
            bundle::from_zip_bytes(&zip, &Limits::default()).unwrap(),
        ));
        let mut v: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {}",
                    f["id"], f["severity"], f["title"], f["facts"]
                )
            })
            .map(|s| s.replace(".evtx", ".xml"))
            .collect();
        v.sort();
        v
    };
    let twins: Vec<PathBuf> = scenario_dirs()
        .into_iter()
        .filter(|d| d.to_string_lossy().ends_with("-evtx"))
        .collect();
    assert!(twins.len() >= 2, "{twins:?}");
    for twin in twins {
        let name = twin.file_name().unwrap().to_string_lossy().into_owned();
        let original = fixtures_dir().join(name.trim_end_matches("-evtx"));
        assert!(
            std::fs::read_dir(twin.join("events")).unwrap().all(|e| e
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "evtx")),
            "{name}: events are not all .evtx"
        );
        assert_eq!(findings(&twin), findings(&original), "{name}");
    }
}

#[test]
fn the_real_binary_agrees_and_sets_exit_codes() {
    let exe = env!("CARGO_BIN_EXE_rdp-analyze");
    let tmp = std::env::temp_dir().join(format!("rdp-triage-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for dir in scenario_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let zip_path = tmp.join(format!("{name}.zip"));
        std::fs::write(&zip_path, zip_dir(&dir)).unwrap();
        let out = std::process::Command::new(exe)
            .args(["--format", "json"])
            .arg(&zip_path)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{name}: stdout is not JSON ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let expected: Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        let errs = check(&name, &report, &expected);
        assert!(errs.is_empty(), "binary on {name}:\n{}", errs.join("\n"));
        let has_error = report["summary"]["errors"].as_u64().unwrap() > 0;
        assert_eq!(
            out.status.code(),
            Some(i32::from(has_error)),
            "{name}: exit code"
        );
        let text = std::process::Command::new(exe)
            .arg(&zip_path)
            .output()
            .unwrap();
        assert_eq!(
            text.status.code(),
            out.status.code(),
            "{name}: text mode exit code"
        );
        assert!(
            String::from_utf8_lossy(&text.stdout).contains("error(s)"),
            "{name}: text report"
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
}

//! The real public Windows files in `../shared/samples/` (gpresult reports, regedit exports,
//! console outputs, event XML, real and deliberately damaged .evtx logs), zipped together as a
//! customer might send them: the analyzer must read all of it without crashing, identify each
//! file by content, and report the damaged ones as findings.

use rdp_analyze::bundle::{self, Limits};
use std::io::Write;
use std::path::{Path, PathBuf};

fn samples_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIPPED: ../shared/samples absent: the real-sample test did not run");
        None
    }
}

fn sample_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        if !sub.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(sub.path()).unwrap().map(Result::unwrap) {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tsv") {
                continue;
            }
            let rel = format!("{}/{}", sub.file_name().to_string_lossy(), name);
            out.push((rel, std::fs::read(f.path()).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn a_zip_of_every_real_sample_is_analyzed_and_identified() {
    let Some(dir) = samples_dir() else { return };
    let files = sample_files(&dir);
    assert!(
        files.len() >= 40,
        "expected the sample set, found {}",
        files.len()
    );
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in &files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    let b = bundle::from_zip_bytes(&zip, &Limits::default()).unwrap();
    let report = serde_json::to_value(rdp_analyze::analyze_bundle(b)).unwrap();
    let artifacts = report["artifacts"].as_array().unwrap();
    let kind_of = |path: &str| -> String {
        artifacts
            .iter()
            .find(|a| a["path"] == path)
            .map(|a| a["kind"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let mut wrong = Vec::new();
    for (name, _) in &files {
        let expected = match name.split('/').next().unwrap() {
            "gpresult" if name.ends_with(".html") => "gpresult /H report",
            "gpresult" if name.ends_with(".xml") => "gpresult /X (RSoP XML) report",
            "registry" => "registry export (.reg)",
            "evtx" => "event log (.evtx)",
            "event-xml" => "event XML",
            _ => continue,
        };
        if kind_of(name) != expected {
            wrong.push(format!(
                "{name}: identified as '{}', expected '{expected}'",
                kind_of(name)
            ));
        }
    }
    for (name, expected) in [
        ("commands/netstat-ano__en__jc.txt", "netstat output"),
        ("commands/netstat-an__en__jc.txt", "netstat output"),
        ("commands/netstat-anob__en__jc.txt", "netstat output"),
        (
            "commands/netstat-anb__fr__fonct-reseaux-dany.txt",
            "netstat output",
        ),
        (
            "commands/tasklist__en__some-bat-files.txt",
            "tasklist /svc output",
        ),
        (
            "commands/sc-query__en__rdpwrap-issue215.txt",
            "sc queryex output",
        ),
        (
            "commands/netsh-advfirewall-show-rule-all__en__some-bat-files.txt",
            "netsh firewall rules",
        ),
    ] {
        if kind_of(name) != expected {
            wrong.push(format!(
                "{name}: identified as '{}', expected '{expected}'",
                kind_of(name)
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    // The damaged logs are still parsed (skips counted), never an unreadable artifact.
    for a in artifacts
        .iter()
        .filter(|a| a["kind"] == "event log (.evtx)")
    {
        assert!(a["parse"].as_str().unwrap().starts_with("parsed"), "{a}");
    }
    // The real brute-force logs carry failed logons: the check sees them.
    let ids: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        ids.iter().any(|i| i == "RDP014"),
        "failed logons from the real Security logs: {ids:?}"
    );
}

/// A Windows volume folder is one offline machine: the binary's header says so, and live
/// state is listed as not evaluated for that reason.
#[test]
fn offline_volume_report_says_offline_disk() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/offline-volume");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rdp-analyze"))
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("offline disk"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("[RDP007]") && l.contains("offline disk: no live state")),
        "{text}"
    );
    assert!(
        text.contains("Windows/System32/config/SYSTEM") || text.contains("WS-OFFLINE01"),
        "{text}"
    );
}

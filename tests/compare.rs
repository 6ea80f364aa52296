//! `rdp-analyze compare` over fixture pairs: the healthy scenario against each fault scenario
//! names that fault's difference, a scenario against itself has none, two different machines
//! make per-machine values expected rather than causes, and `--emit-reg` writes a `.reg` file
//! our parser reads back (Wine's `reg import` reads it in `collector_wine.rs`).

use rdp_analyze::bundle::{self, Limits};
use rdp_analyze::compare::{self, Area, Comparison, Verdict};
use rdp_analyze::evidence::Evidence;
use rdp_analyze::parse::reg::{self, RegData};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn evidence(dir: &Path) -> Evidence {
    Evidence::build(bundle::open(dir, &Limits::default()).unwrap())
}

fn cmp(working: &Path, broken: &Path) -> Comparison {
    compare::compare(&evidence(working), &evidence(broken))
}

/// The healthy scenario a fault scenario was made from: the catalogue's (with the LSA export)
/// from `healthy-extended`, the guide's from `healthy`.
fn baseline(dir: &Path) -> PathBuf {
    if dir.join("registry/lsa.reg").is_file() {
        fixtures().join("healthy-extended")
    } else {
        fixtures().join("healthy")
    }
}

fn must_ids(dir: &Path) -> Vec<String> {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    v["must"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["severity"].as_str() != Some("info"))
        .filter_map(|m| m["id"].as_str().map(str::to_string))
        .collect()
}

fn cause_items(c: &Comparison) -> Vec<String> {
    c.causes.iter().map(|d| d.item.clone()).collect()
}

#[test]
fn each_fault_scenario_against_its_healthy_baseline_names_the_fault() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    dirs.sort();
    let mut checked = 0;
    for dir in dirs {
        let base = baseline(&dir);
        if dir == base {
            continue;
        }
        let base_findings: Vec<String> = must_ids(&base);
        let c = cmp(&base, &dir);
        for id in must_ids(&dir) {
            if base_findings.contains(&id) {
                continue;
            }
            assert!(
                c.causes
                    .iter()
                    .any(|d| d.area == Area::Findings && d.item.starts_with(&format!("{id} "))),
                "{}: {id} missing from the differences {:?}",
                dir.display(),
                cause_items(&c)
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} scenario faults compared");
}

/// The evidence difference behind each fault, not just the finding.
#[test]
fn the_evidence_behind_the_fault_differs() {
    let cases: &[(&str, Area, &str, Option<&str>)] = &[
        (
            "rdp-disabled",
            Area::Registry,
            r"Terminal Server\fDenyTSConnections",
            Some("1 (0x1)"),
        ),
        (
            "non-default-port",
            Area::Registry,
            r"WinStations\RDP-Tcp\PortNumber",
            Some("3390 (0xd3e)"),
        ),
        (
            "termservice-stopped",
            Area::Services,
            "service TermService state",
            Some("STOPPED"),
        ),
        (
            "firewall-rule-disabled",
            Area::Firewall,
            "Remote Desktop - User Mode (TCP-In)",
            None,
        ),
        (
            "listener-bound-to-adapter",
            Area::Registry,
            r"RDP-Tcp\LanAdapter",
            None,
        ),
        (
            "certificate-expired",
            Area::Certificates,
            "validity at collection",
            Some("expired"),
        ),
        (
            "certificate-no-private-key",
            Area::Certificates,
            "private key",
            Some("no"),
        ),
        (
            "fips-mode",
            Area::Registry,
            r"FIPSAlgorithmPolicy\Enabled",
            None,
        ),
        ("port-conflict", Area::Listener, "process owning port", None),
        (
            "umrdpservice-disabled",
            Area::Registry,
            r"UmRdpService\Start",
            None,
        ),
    ];
    for (name, area, item, broken) in cases {
        let dir = fixtures().join(name);
        let c = cmp(&baseline(&dir), &dir);
        let hit = c
            .causes
            .iter()
            .find(|d| d.area == *area && d.item.contains(item))
            .unwrap_or_else(|| panic!("{name}: no {item} in {:?}", cause_items(&c)));
        if let Some(b) = broken {
            assert_eq!(hit.broken.as_deref(), Some(*b), "{name}");
        }
        assert_eq!(hit.verdict, Verdict::Cause);
        assert_eq!(c.exit_code(), 1);
    }
}

#[test]
fn a_scenario_against_itself_has_no_difference() {
    for name in [
        "healthy",
        "healthy-extended",
        "multiple-faults",
        "loose-files",
    ] {
        let dir = fixtures().join(name);
        let c = cmp(&dir, &dir);
        assert!(c.causes.is_empty(), "{name}: {:?}", cause_items(&c));
        assert!(c.expected.is_empty(), "{name}");
        assert_eq!(c.exit_code(), 0);
        assert!(c.compared > 0);
    }
}

/// A copy of a fixture folder with the manifest's host name (and optionally build) replaced.
fn renamed_copy(name: &str, host: &str, build: Option<&str>) -> tempdir::Dir {
    let dir = tempdir::Dir::new(name);
    copy_tree(&fixtures().join(name), &dir.0);
    let path = dir.0.join("manifest.json");
    let mut m: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    m["host_name"] = Value::from(host);
    if let Some(b) = build {
        m["os"]["build"] = Value::from(b);
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

mod tempdir {
    use std::path::PathBuf;
    pub struct Dir(pub PathBuf);
    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let p = std::env::temp_dir().join(format!(
                "rdp-compare-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn per_machine_values_are_expected_between_two_machines_and_causes_on_one() {
    // certificate-thumbprint-unknown points SSLCertificateSHA1Hash at another thumbprint.
    let broken = fixtures().join("certificate-thumbprint-unknown");
    let other = renamed_copy("healthy", "WS-RDP02", None);
    let two = cmp(&other.0, &broken);
    assert_eq!(two.same_host, Some(false));
    let thumb = |c: &Comparison| {
        c.causes
            .iter()
            .chain(&c.expected)
            .find(|d| d.item.ends_with("SSLCertificateSHA1Hash"))
            .map(|d| d.verdict)
    };
    // Only the broken machine configures one: a cause on either count.
    assert!(thumb(&two).is_some());
    let same = cmp(&fixtures().join("healthy"), &broken);
    assert_eq!(same.same_host, Some(true));
    assert_eq!(thumb(&same), Some(Verdict::Cause));

    // Two different healthy machines: the certificate thumbprint and expiry are expected.
    let a = fixtures().join("healthy");
    let b = renamed_copy("certificate-expired", "WS-RDP02", None);
    let c = cmp(&a, &b.0);
    let d = c
        .expected
        .iter()
        .find(|d| d.item.ends_with("thumbprint"))
        .expect("thumbprint listed as expected");
    assert!(d.note.contains("identifies"));
    assert!(c.causes.iter().any(|d| d.item.contains("validity")));
    assert!(!c.causes.iter().any(|d| d.item.ends_with("thumbprint")));
}

#[test]
fn different_builds_warn() {
    let b = renamed_copy("healthy", "WS-RDP02", Some("22631.4460"));
    let c = cmp(&fixtures().join("healthy"), &b.0);
    assert_eq!(c.same_build, Some(false));
    assert!(c.warnings.iter().any(|w| w.contains("different OS builds")));
    assert_eq!(c.exit_code(), 0, "{:?}", cause_items(&c));
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rdp-analyze"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_formats_and_exit_codes() {
    let h = fixtures().join("healthy");
    let b = fixtures().join("hostile-strings");
    let (code, text, _) = run(&["compare".as_ref(), h.as_os_str(), h.as_os_str()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("No difference that matters"));
    let (code, json, _) = run(&[
        "compare".as_ref(),
        "-f".as_ref(),
        "json".as_ref(),
        h.as_os_str(),
        b.as_os_str(),
    ]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "rdp-triage/compare/v1");
    assert!(!v["causes"].as_array().unwrap().is_empty());
    let (code, html, _) = run(&[
        "compare".as_ref(),
        "--format=html".as_ref(),
        h.as_os_str(),
        b.as_os_str(),
    ]);
    assert_eq!(code, 1);
    assert!(html.contains("Content-Security-Policy"));
    assert!(!html.contains("<svg"), "bundle markup must be escaped");
    let (code, md, _) = run(&[
        "compare".as_ref(),
        "-f".as_ref(),
        "markdown".as_ref(),
        h.as_os_str(),
        b.as_os_str(),
    ]);
    assert_eq!(code, 1);
    assert!(md.contains("| Area | Item |"));
    // Outside code spans, bundle markup is backslash-escaped.
    let prose: String = md.split('`').step_by(2).collect();
    assert!(prose.contains("\\<svg") && !prose.replace("\\<", "").contains("<svg"));
    let missing = fixtures().join("no-such-folder");
    let (code, _, err) = run(&["compare".as_ref(), h.as_os_str(), missing.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("broken input"), "{err}");
}

/// `.reg` bytes to text: UTF-16LE with a BOM and CRLF, as `reg export` writes.
fn reg_text(bytes: &[u8]) -> String {
    assert_eq!(bytes.get(..2), Some(&[0xFF, 0xFE][..]), "BOM");
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    assert!(!text.replace("\r\n", "").contains('\n'), "CRLF only");
    text
}

#[test]
fn emit_reg_writes_the_working_values_and_leaves_out_the_thumbprint() {
    let dir = tempdir::Dir::new("emit");
    let out = dir.0.join("fix.reg");
    let working = fixtures().join("healthy");
    // listener-bound-to-adapter sets LanAdapter; certificate-thumbprint-unknown a thumbprint.
    for (broken, want, not) in [
        (
            "listener-bound-to-adapter",
            Some(("LanAdapter", RegData::Dword(0))),
            None,
        ),
        (
            "certificate-thumbprint-unknown",
            None,
            Some("SSLCertificateSHA1Hash"),
        ),
        (
            "non-default-port",
            Some(("PortNumber", RegData::Dword(3389))),
            None,
        ),
    ] {
        let b = fixtures().join(broken);
        let (code, _, err) = run(&[
            "compare".as_ref(),
            "--emit-reg".as_ref(),
            out.as_os_str(),
            working.as_os_str(),
            b.as_os_str(),
        ]);
        assert_eq!(code, 1, "{err}");
        let text = reg_text(&std::fs::read(&out).unwrap());
        assert!(text.starts_with("Windows Registry Editor Version 5.00\r\n"));
        assert!(text.contains("; 1. Back up the key first:"));
        assert!(text.contains("reg export \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\""));
        assert!(text.contains("Restart-Service TermService"));
        let parsed = reg::parse(&text).unwrap();
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let key = rdp_analyze::evidence::RDP_TCP_KEY;
        if let Some((name, data)) = &want {
            let (_, v) = parsed.value(key, name).expect("value written");
            assert_eq!(&v.data, data, "{broken}");
        }
        if let Some(name) = not {
            assert!(parsed.value(key, name).is_none(), "{broken}: {text}");
        }
        // Only RDP-Tcp values: nothing of the other keys that differ.
        for k in &parsed.keys {
            assert!(
                reg::normalize_key_path(&k.path).starts_with(&reg::normalize_key_path(key)),
                "{}",
                k.path
            );
        }
    }
}

/// `rdp-analyze BUNDLE --probe FILE`: client probe files read beside a bundle.
#[test]
fn probe_files_beside_a_bundle() {
    let probes = fixtures().join("client-probe-filtered/probes");
    let mut args: Vec<std::ffi::OsString> = vec![
        "-f".into(),
        "json".into(),
        fixtures().join("firewall-remote-scope").into(),
    ];
    for e in std::fs::read_dir(&probes).unwrap() {
        args.push("--probe".into());
        args.push(e.unwrap().path().into());
    }
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let (code, json, err) = run(&refs);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let rdp044: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "RDP044")
        .collect();
    assert_eq!(rdp044.len(), 2, "{rdp044:?}");
    let home = rdp044
        .iter()
        .find(|f| f["facts"]["client"] == "PC-HOME")
        .unwrap();
    assert_eq!(home["facts"]["outcome"], "filtered");
    assert!(home["message"]
        .as_str()
        .unwrap()
        .contains("'Remote Desktop - User Mode (TCP-In)' rule's RemoteIP scope"));
    assert!(home["message"]
        .as_str()
        .unwrap()
        .contains("Reachable from PC-OFFICE"));
    let missing = fixtures().join("no-such-probe.json");
    let h = fixtures().join("healthy");
    let (code, _, _) = run(&[h.as_os_str(), "--probe".as_ref(), missing.as_os_str()]);
    assert_eq!(code, 2);
}

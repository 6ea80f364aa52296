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

/// `files` zipped as a customer would send them, analyzed: the JSON report.
fn analyze_zipped(files: &[(String, Vec<u8>)]) -> serde_json::Value {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    let b = bundle::from_zip_bytes(&zip, &Limits::default()).unwrap();
    serde_json::to_value(rdp_analyze::analyze_bundle(b)).unwrap()
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
    let report = analyze_zipped(&files);
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

/// Each real SYSTEM hive (with its logs when it has them) put where a Windows volume keeps it:
/// the diagnoses come from the hive, evidence names the hive file and the key, the dirty hive
/// is replayed from its logs, the damaged one says "cannot tell".
#[test]
fn real_hives_in_a_volume_layout_are_diagnosed_from_the_hive() {
    let Some(dir) = samples_dir() else { return };
    let hives = dir.join("hives");
    let mut seen = 0;
    for entry in std::fs::read_dir(&hives).unwrap().map(Result::unwrap) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap();
        if !rdp_analyze::parse::hive::sniff(&bytes) {
            continue;
        }
        let root = std::env::temp_dir().join(format!("rdp-real-vol-{}-{name}", std::process::id()));
        let config = root.join("Windows/System32/config");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(config.join("SYSTEM"), &bytes).unwrap();
        for ext in ["LOG1", "LOG2"] {
            if let Ok(log) = std::fs::read(hives.join(format!("{name}.{ext}"))) {
                std::fs::write(config.join(format!("SYSTEM.{ext}")), log).unwrap();
            }
        }
        let report = rdp_analyze::analyze_path(&root, &Limits::default()).unwrap();
        let _ = std::fs::remove_dir_all(&root);
        let json = serde_json::to_value(&report).unwrap();
        assert!(json["host"]["offline"].as_str().is_some(), "{name}");
        let finding = |id: &str| {
            json["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == id)
                .cloned()
        };
        let not_evaluated = |id: &str| {
            json["not_evaluated"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["id"] == id)
                .map(|n| n["reason"].as_str().unwrap().to_string())
        };
        eprintln!(
            "{name}: {} finding(s)",
            json["findings"].as_array().unwrap().len()
        );
        match name.as_str() {
            "regipy__SYSTEM_B" | "dissect__SYSTEM" => {
                seen += 1;
                let f = finding("RDP001").unwrap_or_else(|| panic!("{name}: RDP001"));
                let e = &f["evidence"][0];
                assert_eq!(e["artifact"], "Windows/System32/config/SYSTEM", "{name}");
                assert!(
                    e["excerpt"].as_str().unwrap().contains(
                        r#"[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Terminal Server] "fDenyTSConnections" = 0x00000001"#
                    ),
                    "{name}: {e}"
                );
                // SYSTEM_B is dirty, but its logs are beside it.
                assert!(finding("RDP046").is_none(), "{name}");
                assert!(finding("RDP006").is_none(), "{name}: port 3389");
            }
            "regipy__corrupted_system_hive" => {
                seen += 1;
                assert!(finding("RDP046").is_some());
                assert!(finding("RDP001").is_none());
                let why = not_evaluated("RDP001").expect("RDP001 cannot be told");
                assert!(why.starts_with("cannot tell"), "{why}");
            }
            "aiowinreg__nt4_SYSTEM" => {
                seen += 1;
                assert!(finding("RDP046").is_none());
                assert!(finding("RDP001").is_none());
            }
            _ => {}
        }
    }
    assert!(seen > 0, "no known SYSTEM hive among the samples");
}

/// The logs of one real machine (every `evtx/` sample whose name starts with `prefix`), zipped
/// as a customer would send them, analyzed: the JSON report. `None` when the samples are absent.
fn analyze_machine(prefix: &str) -> Option<serde_json::Value> {
    let dir = samples_dir()?;
    let files: Vec<_> = sample_files(&dir)
        .into_iter()
        .filter(|(name, _)| name.starts_with(&format!("evtx/{prefix}")))
        .collect();
    if files.is_empty() {
        eprintln!("SKIPPED: no evtx/{prefix}* sample");
        return None;
    }
    Some(analyze_zipped(&files))
}

fn findings<'a>(report: &'a serde_json::Value, id: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

fn errors(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| format!("{} {}", f["id"], f["title"]))
        .collect()
}

/// A real Server 2012 R2 DC brute-forced over RDP from the internet (DFIR Artifact Museum,
/// Stolen Szechuan Sauce): what a senior engineer reads from its logs is "password guessing
/// from 194.61.24.102, NLA rejecting it", and nothing about setup.
#[test]
fn a_real_dc_under_rdp_brute_force_reads_as_such() {
    let Some(r) = analyze_machine("dfirmuseum__StolenSzechuan-") else {
        return;
    };
    // Its LocalSessionManager log starts with the first boot's OOBE (event 34) and goes on
    // with two days of sessions: setup is long over.
    assert!(
        findings(&r, "RDP031").is_empty(),
        "{:?}",
        findings(&r, "RDP031")
    );
    let brute = findings(&r, "RDP052");
    let guessing = brute
        .iter()
        .find(|f| f["facts"]["kind"] == "brute-force")
        .expect("the 95 NLA failures are brute force");
    // The 4625s carry no address (NLA: IpAddress '-'): it comes from RdpCoreTS beside them.
    assert_eq!(
        guessing["facts"]["top_source"], "194.61.24.102",
        "{guessing}"
    );
    assert!(
        guessing["facts"]["failures"]
            .as_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
            >= 95
    );
    // One story: RdpCoreTS's 346 connections from the same address are told in that finding,
    // not in a second one, and so is the attacker's successful logon right after.
    assert_eq!(brute.len(), 1, "{brute:?}");
    assert_eq!(guessing["facts"]["connections"], "346", "{guessing}");
    assert_eq!(
        guessing["facts"]["logged_on_after"], "Administrator",
        "{guessing}"
    );
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
}

/// A real Windows 10 desktop (Belkasoft CTF): months of normal use after its OOBE; a few
/// failed logons each followed by the same user's successful one; Kerberos clock refusals
/// followed by logons. Nothing stands in the way of RDP today.
#[test]
fn a_real_desktop_with_old_failures_has_no_error() {
    let Some(r) = analyze_machine("dfirmuseum__BelkasoftCTF-") else {
        return;
    };
    assert!(
        findings(&r, "RDP031").is_empty(),
        "{:?}",
        findings(&r, "RDP031")
    );
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    let granted = findings(&r, "RDP014")
        .into_iter()
        .find(|f| f["facts"]["status"] == "0xC000015B")
        .expect("the 0xC000015B failures are still reported");
    assert_eq!(granted["severity"], "info");
    assert_eq!(granted["facts"]["resolved_later"], "true");
    let skew = findings(&r, "RDP039");
    assert_eq!(skew.len(), 1);
    assert_eq!(skew[0]["severity"], "info");
}

/// No report on real logs writes a placeholder as if it were a name: a local process `-`, an
/// empty user (`for .`).
#[test]
fn real_logs_never_name_a_placeholder() {
    let Some(dir) = samples_dir() else { return };
    let mut families: Vec<String> = sample_files(&dir)
        .into_iter()
        .filter_map(|(name, _)| {
            let base = name.strip_prefix("evtx/")?;
            Some(base.split('-').next().unwrap_or(base).to_string())
        })
        .collect();
    families.dedup();
    for family in families {
        let Some(r) = analyze_machine(&family) else {
            continue;
        };
        for f in r["findings"].as_array().unwrap() {
            let text = format!("{} {}", f["title"], f["message"]);
            assert!(!text.contains("local process -"), "{family}: {text}");
            assert!(!text.contains(" for ."), "{family}: {text}");
        }
    }
}

/// A real Windows 10 STIG report (c0moshack) denies Remote Desktop to Guests, Local account and
/// the Domain and Enterprise Admins of two domains: the admins' refusal is named with its GPO.
#[test]
fn a_real_stig_report_names_the_denied_admin_groups() {
    let Some(dir) = samples_dir() else { return };
    let Some((name, data)) = sample_files(&dir)
        .into_iter()
        .find(|(n, _)| n.contains("stig") && n.ends_with(".html"))
    else {
        eprintln!("SKIPPED: no STIG gpresult sample");
        return;
    };
    let r = analyze_zipped(&[(name, data)]);
    let named = findings(&r, "RDP024")
        .into_iter()
        .find(|f| {
            f["facts"]["principals"]
                .as_str()
                .unwrap()
                .contains("Domain Admins")
        })
        .expect("the denied admin groups are named");
    assert_eq!(named["severity"], "warning", "{named}");
    assert!(named["facts"]["winning_gpo"]
        .as_str()
        .unwrap()
        .contains("STIG"));
    assert!(!named["facts"]["principals"]
        .as_str()
        .unwrap()
        .contains("Guests"));
}

/// Every real System log among the samples records only clean boots and shutdowns (EventLog
/// 6005/6006, no Kernel-Power 41 or 6008) and no Tcpip 4227/4231: analyzed alone, each is read
/// for unexpected restarts and port exhaustion (RDP070 and RDP068 are evaluated) and neither
/// fires, and no error is raised from a System log of a machine that was working.
#[test]
fn real_system_logs_with_clean_restarts_raise_no_restart_or_port_finding() {
    let Some(dir) = samples_dir() else { return };
    let systems: Vec<_> = sample_files(&dir)
        .into_iter()
        .filter(|(name, _)| name.starts_with("evtx/") && name.ends_with("System.evtx"))
        .collect();
    if systems.is_empty() {
        eprintln!("SKIPPED: no evtx/*System.evtx sample");
        return;
    }
    for file in systems {
        let name = file.0.clone();
        let r = analyze_zipped(&[file]);
        for id in ["RDP068", "RDP070"] {
            assert!(
                findings(&r, id).is_empty(),
                "{name}: {:?}",
                findings(&r, id)
            );
            assert!(
                !r["not_evaluated"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n["id"] == id),
                "{name}: {id} was not evaluated on a System log"
            );
        }
        assert!(errors(&r).is_empty(), "{name}: {:?}", errors(&r));
    }
}

/// A real CIS-hardened server's report (HersheyTaichou) sets the idle limit to 15 minutes and
/// ends disconnected sessions after 1 minute: the classic "RDP keeps disconnecting" baseline,
/// read from gpresult alone with its GPO.
#[test]
fn a_real_cis_report_names_its_short_session_time_limits() {
    let Some(dir) = samples_dir() else { return };
    let Some((name, data)) = sample_files(&dir)
        .into_iter()
        .find(|(n, _)| n.ends_with("GPResult-MS-cis-rdp.html"))
    else {
        eprintln!("SKIPPED: no CIS gpresult sample");
        return;
    };
    let r = analyze_zipped(&[(name, data)]);
    let limits = findings(&r, "RDP062");
    assert_eq!(limits.len(), 1, "{limits:?}");
    let f = limits[0];
    assert_eq!(f["severity"], "warning", "{f}");
    assert_eq!(f["facts"]["max_idle_minutes"], "15", "{f}");
    assert_eq!(f["facts"]["max_disconnection_minutes"], "1", "{f}");
    assert_eq!(
        f["facts"]["winning_gpo"], "18 Administrative Templates (Computer)",
        "{f}"
    );
}

/// A real Security log (evtx crate's `Security_short_selected`) holds an inbound 5152: a TCP
/// SYN from 23.94.153.202 to 3389 dropped in the transport layer. That is a scanner hitting a
/// port nothing answered on, not a filter refusing RDP: RDP072 names the address and count, as
/// a warning. No real Security log yields an RDP072 error.
#[test]
fn real_wfp_drops_on_the_rdp_port_are_named_without_a_false_error() {
    let Some(dir) = samples_dir() else { return };
    let logs: Vec<_> = sample_files(&dir)
        .into_iter()
        .filter(|(name, _)| name.starts_with("evtx/") && name.contains("Security"))
        .collect();
    if logs.is_empty() {
        eprintln!("SKIPPED: no evtx/*Security* sample");
        return;
    }
    for file in logs {
        let name = file.0.clone();
        let r = analyze_zipped(&[file]);
        for f in findings(&r, "RDP072") {
            assert_ne!(f["severity"], "error", "{name}: {f}");
            assert!(
                !f["facts"]["drops_by_address"].as_str().unwrap().is_empty(),
                "{name}: {f}"
            );
        }
    }
    let Some(r) = analyze_machine("evtx-crate__Security_short_selected") else {
        return;
    };
    let wfp = findings(&r, "RDP072");
    assert_eq!(wfp.len(), 1, "{wfp:?}");
    assert_eq!(wfp[0]["facts"]["drops_by_address"], "23.94.153.202=1");
    assert_eq!(wfp[0]["severity"], "warning");
}

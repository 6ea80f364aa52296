//! The real public Windows files in `../shared/samples/` (gpresult reports, regedit exports,
//! console outputs, event XML, real and deliberately damaged .evtx logs, registry hives).
//! Zipped together as a customer might send them, the analyzer must read all of it without
//! crashing, identify each file by content, and report the damaged ones as findings; the logs
//! of one real machine must tell that machine's story; and every file, analyzed alone, must
//! give the facts a senior engineer reads from it (the `*_FACTS` tables below: a new sample
//! without an entry fails its folder's test until its facts are written down).

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
    assert!(!files.is_empty(), "no sample in {}", dir.display());
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

// ---------------------------------------------------------------------------------------------
// Facts per sample. Every file of every sample folder is analyzed alone (a zip holding just
// that file under its folder, as a customer might send it), and the facts a senior engineer
// reads from that file are asserted against what the analyzer made of it: the JSON report
// for what a report shows, the evidence model (the library's parse of the same zip) for what
// it does not. A file without facts fails its folder's test, naming the table to extend.
// Run with RDP_SAMPLES_DUMP=1 to print what the analyzer read from each file.
// ---------------------------------------------------------------------------------------------

use rdp_analyze::evidence::Evidence;

/// One sample, analyzed alone.
struct Analyzed {
    /// `folder/name`, the path inside the zip.
    path: String,
    /// The sample's own bytes.
    bytes: Vec<u8>,
    ev: Evidence,
    report: serde_json::Value,
}

impl Analyzed {
    fn of(files: &[(String, Vec<u8>)]) -> Analyzed {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        let zip = w.finish().unwrap().into_inner();
        let b = bundle::from_zip_bytes(&zip, &Limits::default()).unwrap();
        let ev = Evidence::build(b);
        let outcome = rdp_analyze::checks::run_all(&ev);
        let report = serde_json::to_value(rdp_analyze::report::Report::new(&ev, outcome)).unwrap();
        Analyzed {
            path: files[0].0.clone(),
            bytes: files[0].1.clone(),
            ev,
            report,
        }
    }

    fn kind(&self) -> String {
        self.report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == self.path.as_str())
            .map(|a| a["kind"].as_str().unwrap().to_string())
            .unwrap_or_default()
    }

    fn findings(&self, id: &str) -> Vec<&serde_json::Value> {
        findings(&self.report, id)
    }

    /// The one finding `id` whose fact `key` is `value`.
    fn finding_with(&self, id: &str, key: &str, value: &str) -> &serde_json::Value {
        let all = self.findings(id);
        all.iter()
            .find(|f| f["facts"][key] == value)
            .copied()
            .unwrap_or_else(|| panic!("{}: no {id} with {key}={value} among {all:#?}", self.path))
    }

    fn ids(&self) -> Vec<String> {
        self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["id"].as_str().unwrap(),
                    f["severity"].as_str().unwrap()
                )
            })
            .collect()
    }

    fn errors(&self) -> Vec<String> {
        errors(&self.report)
    }

    /// The events the analyzer kept from this sample.
    fn events(&self) -> Vec<&rdp_analyze::parse::evtx::Event> {
        self.ev
            .events
            .iter()
            .flat_map(|l| l.value.events.iter())
            .collect()
    }

    /// Kept events with `id` (from any provider whose name contains `provider`).
    fn count(&self, provider: &str, id: u32) -> usize {
        self.events()
            .iter()
            .filter(|e| e.event_id == id && e.provider.contains(provider))
            .count()
    }

    /// Security 4624/4625 of logon type `t`.
    fn logons(&self, id: u32, t: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| e.event_id == id && e.get("LogonType") == Some(t))
            .count()
    }

    fn dump(&self) {
        if std::env::var_os("RDP_SAMPLES_DUMP").is_none() {
            return;
        }
        let mut out = format!("==== {} [{}]\n", self.path, self.kind());
        let r = &self.report;
        out += &format!("host: {}\n", r["host"]);
        for a in r["artifacts"].as_array().unwrap() {
            out += &format!("artifact: {} {} {}\n", a["path"], a["kind"], a["parse"]);
        }
        for f in r["findings"].as_array().unwrap() {
            out += &format!(
                "finding: {} {} {} | facts {}\n   msg: {}\n",
                f["id"], f["severity"], f["title"], f["facts"], f["message"]
            );
        }
        let ev = &self.ev;
        for g in &ev.gpresult {
            let g = &g.value;
            out += &format!(
                "gp: computer {:?} user {:?} at {:?} gpos {:?}\n",
                g.computer_name, g.user_name, g.collected_at, g.applied_gpos
            );
            for p in &g.policies {
                out += &format!(
                    "  policy {:?} [{}] {} = {} ({:?}) by {} opts {:?}\n",
                    p.scope, p.category, p.name, p.setting, p.state, p.winning_gpo, p.options
                );
            }
            for p in &g.registry_preferences {
                out += &format!("  pref {p:?}\n");
            }
            for s in &g.security_settings {
                out += &format!(
                    "  sec {:?} [{}] {} = {} by {}\n",
                    s.scope, s.category, s.name, s.setting, s.winning_gpo
                );
            }
        }
        for n in &ev.netstat {
            for s in &n.value.sockets {
                out += &format!("  sock {s:?}\n");
            }
        }
        for t in &ev.tasklist {
            out += &format!("  tasklist has_services {}\n", t.value.has_services);
            for p in &t.value.processes {
                out += &format!("  proc {} {} {:?}\n", p.image, p.pid, p.services);
            }
        }
        for q in &ev.qwinsta {
            out += &format!("  sessions {:?}\n", q.value);
        }
        for s in &ev.sc {
            out += &format!("  sc {:?}\n", s.value);
        }
        for f in &ev.firewall_rules {
            out += &format!(
                "  rules {} no_rules {}\n",
                f.value.rules.len(),
                f.value.no_rules_message
            );
            for rule in f.value.rules.iter().take(3) {
                out += &format!("  rule {rule:?}\n");
            }
        }
        for g in &ev.local_groups {
            out += &format!("  group {:?}\n", g.value);
        }
        for reg in &ev.registry {
            out += &format!(
                "  reg {:?} warnings {:?}\n",
                reg.value.version, reg.value.warnings
            );
            for k in &reg.value.keys {
                out += &format!("   [{}{}]\n", if k.deleted { "-" } else { "" }, k.path);
                for v in &k.values {
                    out += &format!("     {:?} = {:?}\n", v.name, v.data);
                }
            }
        }
        for h in &ev.hives {
            let h = &h.value;
            out += &format!(
                "  hive {:?} root {} logs {:?} notes {:?} damage {:?} unreadable {:?} cs {:?} keys {}\n",
                h.role, h.root_name, h.logs_applied, h.log_notes, h.damage, h.unreadable, h.control_sets, h.reg.keys.len()
            );
            for k in h.reg.keys.iter().take(40) {
                out += &format!("   [{}]\n", k.path);
                for v in k.values.iter().take(12) {
                    out += &format!("     {:?} = {:?}\n", v.name, v.data);
                }
            }
        }
        for l in &ev.events {
            let log = &l.value;
            out += &format!(
                "  log seen {} skipped {} chunks_skipped {} dropped {} errors {:?}\n",
                log.records_seen,
                log.records_skipped,
                log.chunks_skipped,
                log.events_dropped,
                log.errors
            );
            let mut counts = std::collections::BTreeMap::new();
            for e in &log.events {
                let t = e
                    .get("LogonType")
                    .map(|t| format!(" t{t}"))
                    .unwrap_or_default();
                *counts
                    .entry(format!("{}:{}{}", e.provider, e.event_id, t))
                    .or_insert(0) += 1;
            }
            out += &format!("  counts {counts:?}\n");
            let mut shown = std::collections::BTreeSet::new();
            for e in &log.events {
                if shown.insert((e.provider.clone(), e.event_id)) {
                    out += &format!(
                        "  first {} {} {} {} {:?}\n",
                        e.time, e.provider, e.event_id, e.computer, e.data
                    );
                }
            }
        }
        eprintln!("{out}");
    }
}

/// Facts of one sample: asserts what a senior engineer reads from it.
type Facts = fn(&Analyzed);

/// What is analyzed for sample `name` of `folder`: the file alone, under its folder; a hive
/// with its transaction logs beside it (a log, with the hive it belongs to).
fn inputs(dir: &Path, folder: &str, name: &str) -> Vec<(String, Vec<u8>)> {
    let read = |n: &str| {
        (
            format!("{folder}/{n}"),
            std::fs::read(dir.join(folder).join(n)).unwrap(),
        )
    };
    if folder != "hives" {
        return vec![read(name)];
    }
    let primary = name
        .strip_suffix(".LOG1")
        .or_else(|| name.strip_suffix(".LOG2"))
        .unwrap_or(name);
    let mut files = vec![read(primary)];
    for ext in ["LOG1", "LOG2"] {
        let log = format!("{primary}.{ext}");
        if dir.join(folder).join(&log).is_file() {
            files.push(read(&log));
        }
    }
    if files[0].0 != format!("{folder}/{name}") {
        // The log's own path first: it is the sample under test.
        let i = files
            .iter()
            .position(|(p, _)| *p == format!("{folder}/{name}"))
            .unwrap();
        files.swap(0, i);
    }
    files
}

/// Every file of `folder` analyzed alone and held to its facts in `table`; a file with no
/// entry fails, naming the table to extend. Failures are collected over the whole folder.
fn check_folder(folder: &str, table_name: &str, table: &[(&str, Facts)]) {
    let Some(dir) = samples_dir() else { return };
    let Ok(entries) = std::fs::read_dir(dir.join(folder)) else {
        eprintln!("SKIPPED: ../shared/samples/{folder} absent");
        return;
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".tsv") && !n.ends_with(".md"))
        .collect();
    names.sort();
    let mut problems = Vec::new();
    let mut checked = 0;
    for name in &names {
        let Some((_, facts)) = table.iter().find(|(n, _)| n == name) else {
            if std::env::var_os("RDP_SAMPLES_DUMP").is_some() {
                Analyzed::of(&inputs(&dir, folder, name)).dump();
            }
            let sources = if folder == "evtx" {
                "../shared/samples/evtx-SOURCES.tsv and INDEX.md".to_string()
            } else {
                format!("../shared/samples/{folder}/SOURCES.tsv")
            };
            problems.push(format!(
                "{folder}/{name}: new sample without facts. Add the facts for {name}: an entry \
                 (\"{name}\", |a| {{ ... }}) in {table_name} in tests/real_samples.rs asserting \
                 what a senior engineer reads from it (what it shows: {sources}; \
                 RDP_SAMPLES_DUMP=1 prints what the analyzer makes of it)"
            ));
            continue;
        };
        let a = Analyzed::of(&inputs(&dir, folder, name));
        a.dump();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            no_placeholder_names(&a);
            facts(&a)
        })) {
            Ok(()) => checked += 1,
            Err(e) => problems.push(format!(
                "{folder}/{name}: {}",
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )),
        }
    }
    for (n, _) in table {
        if !names.iter().any(|m| m == n) {
            eprintln!(
                "NOTE: {table_name} has facts for {folder}/{n}, which is not among the samples"
            );
        }
    }
    eprintln!(
        "{folder}: {checked} of {} file(s) hold their facts",
        names.len()
    );
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

// ---- helpers the facts share ----------------------------------------------------------------

use rdp_analyze::evidence::{event_account, event_address};
use rdp_analyze::parse::evtx::{self as evtx_parse, Event, EventFilter, EventLog};

impl Analyzed {
    fn text(&self) -> String {
        String::from_utf8(self.bytes.clone()).expect("UTF-8 sample")
    }

    /// Every event of the sample, wanted by the checks or not (the library parse, for facts a
    /// report does not show).
    fn every_event(&self) -> EventLog {
        evtx_parse::parse(&self.bytes, &EventFilter::default()).unwrap()
    }

    /// The single event log the analyzer read from this sample.
    fn log(&self) -> &EventLog {
        assert_eq!(self.ev.events.len(), 1, "{}: one log", self.path);
        &self.ev.events[0].value
    }

    fn no_errors(&self) {
        assert!(
            self.errors().is_empty(),
            "{}: {:?}",
            self.path,
            self.errors()
        );
    }

    fn no_findings(&self) {
        assert!(self.ids().is_empty(), "{}: {:?}", self.path, self.ids());
    }

    fn has(&self, id: &str) -> bool {
        !self.findings(id).is_empty()
    }

    /// Text of every finding (titles, messages, facts) and of the timeline.
    fn said(&self) -> String {
        format!("{} {}", self.report["findings"], self.report["timeline"])
    }

    fn gp(&self) -> &rdp_analyze::parse::gpresult::GpReport {
        assert_eq!(self.ev.gpresult.len(), 1, "{}: one report", self.path);
        &self.ev.gpresult[0].value
    }

    /// The user right (or security setting) row named `name`: (setting, winning GPO).
    fn right(&self, name: &str) -> Option<(String, String)> {
        self.gp()
            .security_settings
            .iter()
            .find(|s| s.name == name)
            .map(|s| (s.setting.clone(), s.winning_gpo.clone()))
    }

    /// The policy row `name`: (setting, winning GPO, options).
    fn policy(&self, name: &str) -> (String, String, Vec<(String, String)>) {
        let p = self
            .gp()
            .policies
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{}: no policy row '{name}'", self.path));
        (p.setting.clone(), p.winning_gpo.clone(), p.options.clone())
    }

    /// Names of the Remote Desktop Services policy rows.
    fn rds_policies(&self) -> Vec<String> {
        self.gp()
            .policies
            .iter()
            .filter(|p| p.category.contains("Remote Desktop Services"))
            .map(|p| p.name.clone())
            .collect()
    }

    fn netstat(&self) -> &rdp_analyze::parse::netstat::Netstat {
        assert_eq!(self.ev.netstat.len(), 1, "{}", self.path);
        &self.ev.netstat[0].value
    }

    fn reg(&self, key: &str, name: &str) -> Option<rdp_analyze::parse::reg::RegData> {
        self.ev.reg_value(key, name).map(|h| h.value.data.clone())
    }
}

fn count_in(log: &EventLog, provider: &str, id: u32) -> usize {
    log.events
        .iter()
        .filter(|e| e.event_id == id && e.provider.contains(provider))
        .count()
}

fn events_in(log: &EventLog, id: u32) -> Vec<&Event> {
    log.events.iter().filter(|e| e.event_id == id).collect()
}

fn fact(f: &serde_json::Value, key: &str) -> String {
    f["facts"][key].as_str().unwrap_or_default().to_string()
}

/// Placeholders no report may print as a name or an address.
fn no_placeholder_names(a: &Analyzed) {
    for f in a.report["findings"].as_array().unwrap() {
        let text = format!("{} {} {}", f["title"], f["message"], f["facts"]);
        for bad in [
            "from 0.0.0.0",
            "from -",
            "local process -",
            " for .",
            "\"-\"",
            "from ::,",
        ] {
            assert!(!text.contains(bad), "{}: '{bad}' in {text}", a.path);
        }
    }
}

/// The data lines of a netstat listing (what the parser must return, one socket each).
fn netstat_rows(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            l.starts_with(' ') && (t.starts_with("TCP ") || t.starts_with("UDP "))
        })
        .count()
}

/// A netstat sample of a real machine without RDP: every row read, the listeners of the
/// well-known Windows services, and "nothing listens on 3389" as the one finding.
fn netstat_without_rdp(a: &Analyzed, expect_pids: bool) {
    assert_eq!(a.kind(), "netstat output");
    let n = a.netstat();
    assert_eq!(n.sockets.len(), netstat_rows(&a.text()), "{}", a.path);
    assert_eq!(n.has_pid_column, expect_pids);
    let listening = |port: u16| {
        n.sockets.iter().find(|s| {
            s.local_port == Some(port)
                && !s.ipv6
                && s.state == Some(rdp_analyze::parse::netstat::TcpState::Listening)
        })
    };
    assert!(listening(135).is_some() && listening(445).is_some());
    assert!(listening(3389).is_none());
    if expect_pids {
        assert_eq!(
            listening(445).unwrap().pid,
            Some(4),
            "SMB is the kernel (System, PID 4)"
        );
        assert_eq!(listening(135).unwrap().pid, Some(1712));
    }
    let f = a.finding_with("RDP007", "port", "3389");
    assert_eq!(f["severity"], "error");
    assert_eq!(a.ids(), vec!["RDP007 error"], "{}", a.path);
}

// ---- commands/ --------------------------------------------------------------------------------

const COMMAND_FACTS: &[(&str, Facts)] = &[
    ("net-localgroup-administrators__en__jc.txt", |a| {
        assert_eq!(a.kind(), "net localgroup output");
        let g = &a.ev.local_groups[0].value;
        assert_eq!(g.name.as_deref(), Some("Administrators"));
        let members: Vec<&str> = g.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            members,
            [
                "Administrator",
                r"SOMECOMPANY\ansible",
                r"SOMECOMPANY\da",
                r"SOMECOMPANY\Domain Admins",
                r"SOMECOMPANY\localadmin",
                "user1"
            ]
        );
        assert!(g.completed);
        a.no_findings();
    }),
    ("net-localgroup__en__jc.txt", |a| {
        // `net localgroup` without a name lists the aliases, not a group's members: nothing
        // the checks read (Remote Desktop Users exists on every Windows), so it is named as
        // an unrecognized file rather than mistaken for a membership list.
        assert!(a.text().contains("*Remote Desktop Users"));
        assert_eq!(a.kind(), "unrecognized file");
        assert!(a.ev.local_groups.is_empty());
        a.no_findings();
    }),
    (
        "netsh-advfirewall-show-rule-all__en__some-bat-files.txt",
        |a| {
            assert_eq!(a.kind(), "netsh firewall rules");
            let rules = &a.ev.firewall_rules[0].value.rules;
            assert_eq!(rules.len(), a.text().matches("Rule Name:").count());
            let mdns = rules
                .iter()
                .find(|r| r.name == "Microsoft Edge (mDNS-In)")
                .unwrap();
            assert_eq!(
                (mdns.protocol.as_str(), mdns.local_port.as_deref()),
                ("UDP", Some("5353"))
            );
            // Protocol Any has no port lines.
            let any = rules.iter().find(|r| r.protocol == "Any").unwrap();
            assert_eq!(any.local_port, None);
            // No Remote Desktop rule on this Windows 11: the report says RDP is not let in.
            assert!(!rules
                .iter()
                .any(|r| r.local_port.as_deref() == Some("3389")));
            a.finding_with("RDP009", "port", "3389");
        },
    ),
    ("netstat-an__en__jc.txt", |a| netstat_without_rdp(a, false)),
    ("netstat-anb__fr__fonct-reseaux-dany.txt", |a| {
        netstat_without_rdp(a, false);
        let n = a.netstat();
        let rpc = n
            .sockets
            .iter()
            .find(|s| s.local_port == Some(135))
            .unwrap();
        assert_eq!(
            (rpc.process.as_deref(), rpc.service.as_deref()),
            (Some("svchost.exe"), Some("RpcSs"))
        );
        // The IPv6 link-local row with a zone id overflows its column and is still one row.
        assert!(n
            .sockets
            .iter()
            .any(|s| s.ipv6 && s.local_address.contains('%') && s.local_port == Some(1900)));
    }),
    ("netstat-ano__en__jc.txt", |a| netstat_without_rdp(a, true)),
    ("netstat-anob__en__jc.txt", |a| {
        netstat_without_rdp(a, true);
        let n = a.netstat();
        let https = n
            .sockets
            .iter()
            .find(|s| s.local_port == Some(443))
            .unwrap();
        assert_eq!(
            (https.pid, https.process.as_deref()),
            (Some(9396), Some("vmware-hostd.exe"))
        );
        let rpc = n
            .sockets
            .iter()
            .find(|s| s.local_port == Some(135))
            .unwrap();
        assert_eq!(rpc.service.as_deref(), Some("RpcSs"));
    }),
    ("quser__de__windows-for-kids.txt", |a| {
        assert_eq!(a.kind(), "qwinsta output");
        let q = &a.ev.qwinsta[0].value;
        assert_eq!(q.layout, rdp_analyze::parse::qwinsta::TableLayout::Quser);
        assert_eq!(q.sessions.len(), 1);
        let s = &q.sessions[0];
        assert_eq!(
            (s.user.as_deref(), s.name.as_deref(), s.id),
            (Some("manfred"), Some("console"), Some(4))
        );
        assert_eq!(s.state, rdp_analyze::parse::qwinsta::SessionState::Active);
        // quser never lists the listener: its absence is no finding.
        a.no_findings();
    }),
    ("sc-query__en__rdpwrap-issue215.txt", |a| {
        assert_eq!(a.kind(), "sc queryex output");
        let (_, svc) =
            a.ev.service("TermService")
                .expect("termservice, typed in lower case");
        assert_eq!(svc.state, rdp_analyze::parse::sc::ServiceState::Running);
        assert_eq!(svc.win32_exit_code, Some(0));
        assert!(!a.has("RDP003"), "TermService runs");
        a.no_findings();
    }),
    ("tasklist__en__some-bat-files.txt", |a| {
        assert_eq!(a.kind(), "tasklist /svc output");
        let t = &a.ev.tasklist[0].value;
        // Plain tasklist (no /svc): processes and PIDs, no services.
        assert!(!t.has_services);
        let rows = a
            .text()
            .lines()
            .filter(|l| l.contains(" Services ") || l.contains(" Console "))
            .count();
        assert_eq!(t.processes.len(), rows);
        let (_, lsass) = a.ev.process(1424).expect("PID 1424");
        assert_eq!(lsass.image, "lsass.exe");
        assert_eq!(a.ev.process(4).unwrap().1.image, "System");
        a.no_findings();
    }),
];

#[test]
fn every_command_output_sample_holds_its_facts() {
    check_folder("commands", "COMMAND_FACTS", COMMAND_FACTS);
}

// ---- event-xml/ -------------------------------------------------------------------------------

/// Every event of an event-XML sample (the library parse, keeping every id).
fn xml_events(a: &Analyzed) -> Vec<Event> {
    rdp_analyze::parse::event_xml::parse(&a.text(), &EventFilter::default())
        .unwrap()
        .events
}

const EVENT_XML_FACTS: &[(&str, Facts)] = &[
    ("open-telemetry__xmlRenderingInfoSystem-7036.xml", |a| {
        assert_eq!(a.kind(), "event XML");
        let e = &a.log().events[0];
        assert_eq!(
            (e.event_id, e.provider.as_str(), e.channel.as_str()),
            (7036, "Service Control Manager", "System")
        );
        // Qualifiers on EventID, RenderingInfo beside the data: the values are the data.
        assert_eq!(e.get("param1"), Some("Software Protection"));
        assert_eq!(e.get("param2"), Some("running"));
        assert_eq!(
            (e.record_id, e.time.as_str()),
            (17353, "2026-03-16T15:49:02.078Z")
        );
        // Another service running says nothing about Remote Desktop.
        a.no_findings();
    }),
    ("open-telemetry__xmlSampleUserData-1102.xml", |a| {
        assert_eq!(a.kind(), "event XML");
        // The checks keep no audit-log-cleared event, the library reads its UserData leaves.
        let all = xml_events(a);
        assert_eq!(all.len(), 1);
        let e = &all[0];
        assert_eq!(
            (e.event_id, e.provider.as_str(), e.channel.as_str()),
            (1102, "Microsoft-Windows-Eventlog", "Security")
        );
        assert_eq!(e.get("SubjectUserName"), Some("test_user"));
        assert_eq!(e.get("SubjectDomainName"), Some("TEST"));
        assert_eq!(e.computer, "test.example.com");
        a.no_findings();
    }),
    (
        "open-telemetry__xmlWithAnonymousEventDataEntries-8194.xml",
        |a| {
            assert_eq!(a.kind(), "event XML");
            let all = xml_events(a);
            let e = &all[0];
            assert_eq!((e.event_id, e.provider.as_str()), (8194, "VSS"));
            // Unnamed <Data> are numbered, <Binary> kept by name.
            assert_eq!(e.get("Data1"), Some("1st_value"));
            assert_eq!(e.get("Data2"), Some("2nd_value"));
            assert_eq!(e.get("Binary"), Some("2D20"));
            a.no_findings();
        },
    ),
];

#[test]
fn every_event_xml_sample_holds_its_facts() {
    check_folder("event-xml", "EVENT_XML_FACTS", EVENT_XML_FACTS);
}

// ---- gpresult/ --------------------------------------------------------------------------------

/// A report with no Remote Desktop policy and no logon right: read (computer, user, date),
/// and nothing said about Remote Desktop.
fn gp_without_rdp(a: &Analyzed, computer: Option<&str>, user: &str, collected: &str) {
    let g = a.gp();
    assert_eq!(g.computer_name.as_deref(), computer, "{}", a.path);
    assert_eq!(g.user_name.as_deref(), Some(user));
    assert_eq!(g.collected_at.as_deref(), Some(collected));
    assert!(a.rds_policies().is_empty(), "{:?}", a.rds_policies());
    assert!(a.right("Allow log on through Terminal Services").is_none());
    a.no_findings();
    assert_eq!(a.report["host"]["host_name"].as_str(), computer);
}

const NLA: &str =
    "Require user authentication for remote connections by using Network Level Authentication";
const ENCRYPTION: &str = "Set client connection encryption level";

/// The CIS member server (HersheyTaichou) as both its HTML and its RSoP XML report it.
fn cis_member_server(a: &Analyzed, allow: &str, deny: &str) {
    let g = a.gp();
    assert_eq!(g.computer_name.as_deref(), Some(r"oriontech\CIS-MS01"));
    assert_eq!(g.user_name.as_deref(), Some(r"oriontech\orionadmin"));
    let templates = "18 Administrative Templates (Computer)";
    assert_eq!(a.policy(NLA).1, templates);
    let (_, gpo, options) =
        a.policy("Require use of specific security layer for remote (RDP) connections");
    assert_eq!(gpo, templates);
    assert!(options.contains(&("Security Layer".into(), "SSL".into())));
    assert!(a
        .policy(ENCRYPTION)
        .2
        .contains(&("Encryption Level".into(), "High Level".into())));
    assert_eq!(
        a.policy(
            "Restrict Remote Desktop Services users to a single Remote Desktop Services session"
        )
        .0,
        "Enabled"
    );
    // "Allow users to connect remotely" is not configured here.
    assert!(g
        .find_policy(rdp_analyze::parse::gpresult::ALLOW_RDP_POLICY_NAMES)
        .is_none());
    assert_eq!(
        a.right(allow),
        Some((
            "Administrators, Remote Desktop Users".into(),
            "02 Local Policies - MS".into()
        ))
    );
    assert_eq!(
        a.right(deny),
        Some((
            "Guests, Local account".into(),
            "02 Local Policies - MS".into()
        ))
    );
    // Local accounts are refused Remote Desktop by that GPO: a warning with the GPO named.
    let f = a.finding_with("RDP024", "principals", "Local account");
    assert_eq!(f["severity"], "warning");
    assert_eq!(fact(f, "winning_gpo"), "02 Local Policies - MS");
    assert!(!a.has("RDP002"));
    a.no_errors();
}

const GPRESULT_FACTS: &[(&str, Facts)] = &[
    ("0x41buff__GPReport-user-only.html", |a| {
        // User scope only: "Computer Details: No data available."
        gp_without_rdp(a, None, r"BHCORP\dacollin", "11/6/2020 9:47:01 AM");
        let g = a.gp();
        assert!(g
            .applied_gpos
            .iter()
            .all(|p| p.scope == rdp_analyze::parse::gpresult::Scope::User));
        assert!(g
            .applied_gpos
            .iter()
            .any(|p| p.name == "App - Browser - Chrome"));
        let pref = g
            .registry_preferences
            .iter()
            .find(|p| p.value_name == "BingSearchEnabled")
            .unwrap();
        assert_eq!(
            (pref.value_u32, pref.winning_gpo.as_str()),
            (Some(0), "Default Desktop Policy")
        );
    }),
    ("Arshu-Git__gpresult-workgroup.html", |a| {
        gp_without_rdp(
            a,
            Some("WIN-35FVPEFEQ9T"),
            r"DESKTOP-J110NP6\ASUS",
            "4/2/2021 7:53:33 PM",
        );
        assert!(a.gp().applied_gpos.is_empty());
    }),
    ("EveryDan__GPReport-zh-cn-user.html", |a| {
        gp_without_rdp(a, None, r"PAXINI\ruanqiang", "2025/8/21 10:12:12");
        let g = a.gp();
        assert!(g.applied_gpos.iter().any(|p| p.name == "禁用代理上网"));
        // Localized rows and winning GPOs (入选的 GPO) are read.
        assert!(g.security_settings.iter().any(|s| s.name == "自动证书管理"
            && s.setting == "已启用"
            && s.winning_gpo == "Default Domain Policy"));
    }),
    ("HersheyTaichou__GPResult-MS-cis-rdp.html", |a| {
        cis_member_server(
            a,
            "Allow log on through Terminal Services",
            "Deny log on through Terminal Services",
        );
        assert_eq!(
            a.gp().collected_at.as_deref(),
            Some("10/18/2023 6:25:42 PM")
        );
    }),
    ("HersheyTaichou__GPResult-MS-cis-rdp.xml", |a| {
        assert_eq!(a.kind(), "gpresult /X (RSoP XML) report");
        cis_member_server(
            a,
            "Allow log on through Remote Desktop Services",
            "Deny log on through Remote Desktop Services",
        );
        assert_eq!(
            a.gp().collected_at.as_deref(),
            Some("2023-10-19T01:25:18.4743301Z")
        );
    }),
    ("HersheyTaichou__gpresult-dc-2023-09.html", |a| {
        let g = a.gp();
        assert_eq!(
            g.computer_name.as_deref(),
            Some(r"oriontech\WIN-1CPI0V6RVEL")
        );
        assert!(a.rds_policies().is_empty());
        let gpo = "2 User Rights Assignment - DC";
        assert_eq!(
            a.right("Allow log on through Terminal Services"),
            Some(("Administrators".into(), gpo.into()))
        );
        assert_eq!(
            a.right("Deny log on through Terminal Services"),
            Some(("Guests".into(), gpo.into()))
        );
        // Only administrators may connect (the domain controller default): a warning naming
        // the GPO, never an error, and the Guests deny is no finding.
        let f = a.finding_with("RDP024", "right", "SeRemoteInteractiveLogonRight");
        assert_eq!(
            (f["severity"].as_str(), fact(f, "winning_gpo").as_str()),
            (Some("warning"), gpo)
        );
        assert_eq!(a.findings("RDP024").len(), 1);
        a.no_errors();
    }),
    ("LuckyLeKing__gpresult-local-dmy-dates.html", |a| {
        gp_without_rdp(
            a,
            Some("DESKTOP-N30LHO6"),
            r"DESKTOP-N30LHO6\NewUser",
            "21/01/2025 7:10:55 pm",
        );
    }),
    ("SevenStones__GPReport-win8.html", |a| {
        gp_without_rdp(
            a,
            Some("IE10WIN8"),
            r"IE10Win8\IEUser",
            "1/28/2016 5:04:56 PM",
        );
    }),
    ("c0moshack__gpreport-win10-stig-rdp-allowed.html", |a| {
        let g = a.gp();
        assert_eq!(g.computer_name.as_deref(), Some(r"NG\NGWINB-DISC4-47"));
        assert_eq!(g.collected_at.as_deref(), Some("4/25/2017 7:50:45 AM"));
        let allow = g
            .find_policy(rdp_analyze::parse::gpresult::ALLOW_RDP_POLICY_NAMES)
            .unwrap();
        assert_eq!(
            (allow.setting.as_str(), allow.winning_gpo.as_str()),
            ("Enabled", "Local Group Policy")
        );
        assert_eq!(a.policy(NLA).1, "Local Group Policy");
        let stig = "NG - Baseline Windows 10 STIG Benchmark V1R1";
        assert_eq!(a.policy(ENCRYPTION).1, stig);
        assert_eq!(
            a.right("Deny log on through Terminal Services"),
            Some((
                r"Guests, Local account, NG\Domain Admins, NGMAN\Domain Admins, NGMAN\Enterprise Admins".into(),
                stig.into()
            ))
        );
        // RDP is allowed; the deny list refuses local accounts and the domain admins.
        assert!(!a.has("RDP002"));
        let local = a.finding_with("RDP024", "principals", "Local account");
        assert_eq!(fact(local, "winning_gpo"), stig);
        let admins = a.finding_with(
            "RDP024",
            "principals",
            r"NG\Domain Admins,NGMAN\Domain Admins,NGMAN\Enterprise Admins",
        );
        assert_eq!(admins["severity"], "warning");
        a.no_errors();
    }),
    ("fai1424__gpresult-dc-2025.html", |a| {
        let g = a.gp();
        assert_eq!(
            g.computer_name.as_deref(),
            Some(r"EASTCHARMER\WIN-ARN1DBGV2D1")
        );
        let gpos: Vec<&str> = g.applied_gpos.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            gpos,
            ["Default Domain Controllers Policy", "Default Domain Policy"]
        );
        assert!(a.rds_policies().is_empty());
        a.no_errors();
    }),
    ("indaniayush__gpreport-2015-rdp-security.html", |a| {
        // The Windows 7-era layout.
        let g = a.gp();
        assert_eq!(g.computer_name.as_deref(), Some(r"TCSTHDI\01HW725217"));
        assert_eq!(g.collected_at.as_deref(), Some("4/1/2015 1:26:05 PM"));
        assert!(a
            .policy(ENCRYPTION)
            .2
            .contains(&("Encryption Level".into(), "High Level".into())));
        assert_eq!(a.policy(ENCRYPTION).1, "Local Group Policy");
        assert_eq!(
            a.policy("Enforce Removal of Remote Desktop Wallpaper").1,
            "DOM-B-ALL-Cleaned Default Domain Policy v1.3"
        );
        assert_eq!(
            a.right("Allow log on through Terminal Services"),
            Some((
                r"Administrators, Remote Desktop Users, TCSTHDI\Domain Admins".into(),
                "DOM-C-Sec-ESM- User Rights - Enterprise Desktops v 1.0".into()
            ))
        );
        assert!(g
            .find_policy(rdp_analyze::parse::gpresult::ALLOW_RDP_POLICY_NAMES)
            .is_none());
        // Nothing in it refuses Remote Desktop.
        a.no_findings();
    }),
    ("laymanstake__rsop-dc.xml", |a| {
        assert_eq!(a.kind(), "gpresult /X (RSoP XML) report");
        let g = a.gp();
        assert_eq!(g.computer_name.as_deref(), Some(r"CHILD\CHILDDC"));
        assert_eq!(g.user_name, None);
        assert_eq!(
            g.collected_at.as_deref(),
            Some("2023-06-13T04:17:31.3944093Z")
        );
        let gpos: Vec<&str> = g.applied_gpos.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            gpos,
            ["Default Domain Policy", "Default Domain Controllers Policy"]
        );
        assert!(a.rds_policies().is_empty());
        a.no_findings();
    }),
    ("randeer__gpo_report-rdp-wddm.html", |a| {
        let g = a.gp();
        assert_eq!(g.computer_name.as_deref(), Some(r"EXEL\EXEL-PILOT010"));
        assert_eq!(
            a.policy("Use WDDM graphics display driver for Remote Desktop Connections"),
            ("Disabled".into(), "Local Group Policy".into(), vec![])
        );
        assert_eq!(a.rds_policies().len(), 1);
        a.no_findings();
    }),
    ("thannguyen173204__gpresult-dc-firewall.html", |a| {
        let g = a.gp();
        assert_eq!(g.computer_name.as_deref(), Some(r"PK02940\SVR1"));
        let (setting, gpo, _) =
            a.policy("Windows Defender Firewall: Protect all network connections");
        assert_eq!(
            (setting.as_str(), gpo.as_str()),
            ("Enabled", "Default Domain Policy")
        );
        assert!(a.rds_policies().is_empty());
        // The firewall is on; that alone blocks nothing the report can tell.
        a.no_findings();
    }),
    ("troobit__gpreport-user-dmy-dates.html", |a| {
        gp_without_rdp(a, None, r"AVANADE-CORP\ronan.obrien", "17/06/2021 15:02:15");
        assert!(a.gp().applied_gpos.iter().any(|p| p.name == "Azure RMS"));
    }),
];

#[test]
fn every_gpresult_sample_holds_its_facts() {
    check_folder("gpresult", "GPRESULT_FACTS", GPRESULT_FACTS);
}

// ---- registry/ --------------------------------------------------------------------------------

use rdp_analyze::parse::reg::RegData;

const CREDSSP: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters";
const REGASHII: &str = r"HKEY_CURRENT_USER\Software\regashii";

/// The `complex` key of regashii in either format: every value type decoded.
fn complex_key(a: &Analyzed) {
    let k = format!(r"{REGASHII}\complex");
    assert_eq!(
        a.reg(&k, "binary-a-b"),
        Some(RegData::Binary(vec![b'a', b'b']))
    );
    assert_eq!(a.reg(&k, "dword-255"), Some(RegData::Dword(255)));
    assert_eq!(a.reg(&k, "qword-255"), Some(RegData::Qword(255)));
    assert_eq!(
        a.reg(&k, "expand-sz-a"),
        Some(RegData::ExpandSz("a".into()))
    );
    assert_eq!(
        a.reg(&k, "expand-sz"),
        Some(RegData::ExpandSz(String::new()))
    );
    assert_eq!(
        a.reg(&k, "multi-sz-a-b"),
        Some(RegData::MultiSz(vec!["a".into(), "b".into()]))
    );
    assert_eq!(a.reg(&k, "multi-sz"), Some(RegData::MultiSz(vec![])));
    assert_eq!(
        a.reg(&k, r#"sz-sp\ec"ial"#),
        Some(RegData::Sz(r#"sp\ec"ial"#.into()))
    );
    assert!(a.ev.registry[0].value.warnings.is_empty());
    a.no_findings();
}

const REGISTRY_FACTS: &[(&str, Facts)] = &[
    ("ducbo__rdp-credssp.reg", |a| {
        assert_eq!(
            a.reg(CREDSSP, "AllowEncryptionOracle"),
            Some(RegData::Dword(2))
        );
        assert_eq!(a.reg(CREDSSP, ""), Some(RegData::Sz(String::new())));
        let f = a.finding_with("RDP016", "level", "vulnerable");
        assert_eq!(f["severity"], "warning");
        assert_eq!(a.ids(), vec!["RDP016 warning"]);
    }),
    ("greg-chuchro__RDP.reg", |a| {
        // RDP on, NLA off, the client's UDP off: nothing refuses connections.
        use rdp_analyze::evidence::{RDP_TCP_KEY, TERMINAL_SERVER_KEY};
        assert_eq!(
            a.reg(TERMINAL_SERVER_KEY, "fDenyTSConnections"),
            Some(RegData::Dword(0))
        );
        assert_eq!(
            a.reg(RDP_TCP_KEY, "UserAuthentication"),
            Some(RegData::Dword(0))
        );
        assert_eq!(
            a.reg(
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\Client",
                "fClientDisableUDP"
            ),
            Some(RegData::Dword(1))
        );
        assert!(!a.has("RDP001") && !a.has("RDP002"));
        a.no_errors();
    }),
    ("mtkennerly__complex-regedit4.reg", |a| {
        assert_eq!(
            a.ev.registry[0].value.version,
            rdp_analyze::parse::reg::RegVersion::Regedit4
        );
        complex_key(a);
    }),
    ("mtkennerly__complex-regedit5.reg", |a| {
        assert_eq!(
            a.ev.registry[0].value.version,
            rdp_analyze::parse::reg::RegVersion::Regedit5
        );
        complex_key(a);
    }),
    ("mtkennerly__japanese-regedit5.reg", |a| {
        let k = format!(r"{REGASHII}\日本語");
        assert_eq!(a.reg(&k, "sz-あ"), Some(RegData::Sz("あ".into())));
        assert_eq!(
            a.reg(&k, "multi-sz-2"),
            Some(RegData::MultiSz(vec!["あ".into(), "い".into()]))
        );
        a.no_findings();
    }),
    ("mtkennerly__repetition-regedit5.reg", |a| {
        // Key and value names are case-insensitive; the last write wins, a [-key] deletes what
        // came before it.
        let key = format!(r"{REGASHII}\REPEATED-KEY");
        assert_eq!(a.reg(&key, "foo"), None, "deleted with its key");
        assert_eq!(a.reg(&key, "bar"), Some(RegData::Sz("2".into())));
        assert_eq!(a.reg(&key, "baz"), Some(RegData::Sz("3".into())));
        assert_eq!(
            a.reg(&format!(r"{REGASHII}\repeated-value"), "FOO"),
            Some(RegData::Sz("3".into()))
        );
        // The value under the deleted key is reported as skipped, naming its line.
        let w = &a.ev.registry[0].value.warnings;
        assert_eq!((w.len(), w[0].line), (1, Some(7)));
        a.no_findings();
    }),
    ("mtkennerly__sample-utf16-lf.reg", |a| {
        let k = r"HKEY_CURRENT_USER\Software\Foo";
        assert_eq!(a.reg(k, ""), Some(RegData::Sz("some string".into())));
        assert_eq!(a.reg(k, "this is a dword"), Some(RegData::Dword(255)));
        a.no_findings();
    }),
    ("mtkennerly__simple-regedit5.reg", |a| {
        let k = format!(r"{REGASHII}\simple");
        assert_eq!(a.reg(&k, ""), Some(RegData::Sz("default".into())));
        assert_eq!(a.reg(&k, "dword-1"), Some(RegData::Dword(1)));
        assert_eq!(a.reg(&k, "remove"), None, "\"remove\"=- deletes it");
        assert!(a.ev.registry[0]
            .value
            .keys
            .iter()
            .any(|k| k.deleted && k.path.ends_with(r"\remove")));
        a.no_findings();
    }),
    ("nickneymos__CredSSP.reg", |a| {
        assert_eq!(
            a.reg(CREDSSP, "AllowEncryptionOracle"),
            Some(RegData::Dword(2))
        );
        a.finding_with("RDP016", "AllowEncryptionOracle", "2");
        assert_eq!(a.ids(), vec!["RDP016 warning"]);
    }),
];

#[test]
fn every_registry_export_sample_holds_its_facts() {
    check_folder("registry", "REGISTRY_FACTS", REGISTRY_FACTS);
}

// ---- hives/ -----------------------------------------------------------------------------------

fn hive(a: &Analyzed) -> &rdp_analyze::parse::hive::Hive {
    assert_eq!(a.ev.hives.len(), 1, "{}", a.path);
    &a.ev.hives[0].value
}

/// A Windows 10 SYSTEM hive as INDEX.md reads it: ControlSet001 current and last known good,
/// RDP off (fDenyTSConnections 1), RDP-Tcp on 3389 with TLS and NLA, TermService manual.
fn win10_system(a: &Analyzed, computer: &str) {
    use rdp_analyze::evidence::{RDP_TCP_KEY, TERMINAL_SERVER_KEY};
    let h = hive(a);
    assert_eq!(h.role, rdp_analyze::parse::hive::HiveRole::System);
    let cs = h.control_sets.as_ref().unwrap();
    assert_eq!((cs.current, cs.last_known_good), (Some(1), Some(1)));
    assert_eq!(
        a.reg(TERMINAL_SERVER_KEY, "fDenyTSConnections"),
        Some(RegData::Dword(1))
    );
    assert_eq!(a.reg(RDP_TCP_KEY, "PortNumber"), Some(RegData::Dword(3389)));
    assert_eq!(a.reg(RDP_TCP_KEY, "SecurityLayer"), Some(RegData::Dword(2)));
    assert_eq!(
        a.reg(RDP_TCP_KEY, "UserAuthentication"),
        Some(RegData::Dword(1))
    );
    assert_eq!(a.reg(RDP_TCP_KEY, "SSLCertificateSHA1Hash"), None);
    assert_eq!(
        a.reg(
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TermService",
            "Start"
        ),
        Some(RegData::Dword(3))
    );
    assert_eq!(a.report["host"]["host_name"], computer);
    let f = a.finding_with("RDP001", "value", "1");
    assert_eq!(f["severity"], "error");
    // RDP off is the one error.
    assert_eq!(a.errors().len(), 1, "{:?}", a.errors());
    assert!(!a.has("RDP046"), "read whole (SYSTEM_B with its logs)");
}

fn system_b(a: &Analyzed) {
    // Dirty (1622/1621) and replayed from its two logs.
    let h = hive(a);
    assert!(h.base.dirty());
    assert_eq!(
        h.logs_applied,
        ["hives/regipy__SYSTEM_B.LOG1", "hives/regipy__SYSTEM_B.LOG2"]
    );
    win10_system(a, "DESKTOP-PM6C56D");
}

fn new_dirty_hive(a: &Analyzed) {
    // An application hive (root named by a GUID), dirty, replayed from its logs; no SYSTEM
    // or SOFTWARE, so nothing about Remote Desktop.
    let h = hive(a);
    assert_eq!(h.role, rdp_analyze::parse::hive::HiveRole::Other);
    assert!(h.root_name.starts_with("{dedef10d"));
    assert_eq!((h.base.primary_sequence, h.base.secondary_sequence), (3, 2));
    assert_eq!(
        h.logs_applied,
        [
            "hives/yarp__NewDirtyHive.LOG1",
            "hives/yarp__NewDirtyHive.LOG2"
        ]
    );
    a.no_findings();
}

const HIVE_FACTS: &[(&str, Facts)] = &[
    ("aiowinreg__nt4_SOFTWARE", |a| {
        let h = hive(a);
        assert_eq!(h.role, rdp_analyze::parse::hive::HiveRole::Software);
        assert_eq!(h.root_name, "Software");
        // NT 4: no ProductName, CurrentBuild is text; the build is CurrentBuildNumber.
        assert_eq!(
            a.report["host"]["os"],
            "Windows NT 4.0 Service Pack 3 build 1381"
        );
        a.no_findings();
    }),
    ("aiowinreg__nt4_SYSTEM", |a| {
        let h = hive(a);
        let cs = h.control_sets.as_ref().unwrap();
        assert_eq!((cs.current, cs.last_known_good), (Some(1), Some(2)));
        assert_eq!(a.report["host"]["host_name"], "SERVER");
        // NT 4.0 Server has no Terminal Server key and no TermService.
        assert!(a
            .reg(
                rdp_analyze::evidence::TERMINAL_SERVER_KEY,
                "fDenyTSConnections"
            )
            .is_none());
        assert!(!a.has("RDP001") && !a.has("RDP046"));
        assert_eq!(fact(a.findings("RDP047")[0], "current"), "1");
    }),
    ("dissect__SYSTEM", |a| {
        assert!(!hive(a).base.dirty());
        win10_system(a, "DESKTOP-M3OSHQU");
    }),
    ("regipy__SYSTEM_B", system_b),
    ("regipy__SYSTEM_B.LOG1", |a| {
        assert_eq!(a.kind(), "registry hive transaction log");
        system_b(a);
    }),
    ("regipy__SYSTEM_B.LOG2", |a| {
        assert_eq!(a.kind(), "registry hive transaction log");
        system_b(a);
    }),
    ("regipy__corrupted_system_hive", |a| {
        // A clean header, a broken subkey list: "cannot tell", never a guess.
        assert!(!hive(a).base.dirty());
        assert_eq!(a.report["host"]["host_name"], "GINEVRA");
        let f = a.finding_with("RDP046", "cannot_tell", "true");
        assert!(f["message"].as_str().unwrap().contains("Terminal Server"));
        assert!(!a.has("RDP001"));
        let why = a.report["not_evaluated"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == "RDP001")
            .map(|n| n["reason"].as_str().unwrap().to_string())
            .unwrap();
        assert!(why.starts_with("cannot tell"), "{why}");
        a.no_errors();
    }),
    ("yarp__NewDirtyHive", new_dirty_hive),
    ("yarp__NewDirtyHive.LOG1", |a| {
        assert_eq!(a.kind(), "registry hive transaction log");
        new_dirty_hive(a);
    }),
    ("yarp__NewDirtyHive.LOG2", |a| {
        assert_eq!(a.kind(), "registry hive transaction log");
        new_dirty_hive(a);
    }),
    ("yarp__NewDirtyHive.RecoveredByWindows10", |a| {
        let h = hive(a);
        assert!(!h.base.dirty(), "Windows' own recovery is clean (6/6)");
        assert_eq!(h.base.primary_sequence, 6);
        assert!(h.logs_applied.is_empty());
        a.no_findings();
    }),
];

#[test]
fn every_hive_sample_holds_its_facts() {
    check_folder("hives", "HIVE_FACTS", HIVE_FACTS);
}

// ---- evtx/ ------------------------------------------------------------------------------------

const LSM: &str = "LocalSessionManager";
const RCM: &str = "RemoteConnectionManager";
const CORE: &str = "RdpCoreTS";
const SEC: &str = "Security-Auditing";

/// The addresses the kept events of `id` name, most frequent first, with their counts.
fn addresses(a: &Analyzed, id: u32) -> Vec<(String, usize)> {
    let mut m = std::collections::BTreeMap::<String, usize>::new();
    for e in a.events().into_iter().filter(|e| e.event_id == id) {
        if let Some(addr) = event_address(e) {
            *m.entry(addr).or_default() += 1;
        }
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    v
}

/// The accounts the kept events of `id` name (`DOMAIN\user`), distinct, sorted.
fn accounts(a: &Analyzed, id: u32) -> Vec<String> {
    let mut v: Vec<String> = a
        .events()
        .into_iter()
        .filter(|e| e.event_id == id)
        .filter_map(|e| event_account(e).map(|acc| acc.display()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// A log whose events the checks do not read (client side, Sysmon, firewall, ...): read
/// whole, every record, and nothing said about the server.
fn read_nothing_said(a: &Analyzed, records: u64) {
    assert_eq!(a.kind(), "event log (.evtx)");
    let log = a.log();
    assert_eq!(
        (log.records_seen, log.records_skipped),
        (records, 0),
        "{}",
        a.path
    );
    a.no_findings();
}

const EVTX_FACTS: &[(&str, Facts)] = &[
    ("attack-samples__DFIR_RDP_Client_TimeZone_RdpCoreTs_104_example.evtx", |a| {
        read_nothing_said(a, 21);
        let all = a.every_event();
        assert_eq!(count_in(&all, CORE, 104), 21);
        // The client's time zone, as a bracketed string.
        assert_eq!(events_in(&all, 104)[0].get("TimezoneBiasHour"), Some("[1]"));
    }),
    ("attack-samples__dfir_rdpsharp_target_RdpCoreTs_168_68_131.evtx", |a| {
        assert_eq!(a.count(CORE, 131), 22);
        // TCP `ip:port` and UDP `[ip]:port` both name the one client.
        assert_eq!(addresses(a, 131), vec![("10.0.2.16".to_string(), 22)]);
        let all = a.every_event();
        assert_eq!((count_in(&all, CORE, 168), count_in(&all, CORE, 68)), (9, 9));
        assert_eq!(events_in(&all, 68)[0].get("ConnectionName"), Some("RDP-Tcp#0"));
        // 22 connections of one lab client: no flood, nothing wrong.
        a.no_findings();
    }),
    ("attack-samples__sysmon_13_rdp_settings_tampering.evtx", |a| {
        read_nothing_said(a, 20);
        let all = a.every_event();
        let sets: Vec<(&str, &str)> = events_in(&all, 13)
            .iter()
            .map(|e| (e.get("TargetObject").unwrap(), e.get("Details").unwrap()))
            .collect();
        assert_eq!(sets.len(), 4);
        assert!(sets.contains(&(
            r"HKLM\System\CurrentControlSet\Control\Terminal Server\fDenyTSConnections",
            "DWORD (0x00000000)"
        )));
        assert!(sets.contains(&(
            r"HKLM\System\CurrentControlSet\services\TermService\Parameters\ServiceDll",
            r"%%ProgramFiles%%\RDP Wrapper\rdpwrap.dll"
        )));
        assert!(sets.contains(&(
            r"HKLM\System\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp\PortNumber",
            "DWORD (0x00000050)"
        )));
    }),
    ("dfirmuseum__BelkasoftCTF-Win10-LocalSessionManager-Operational.evtx", |a| {
        let n = |id| a.count(LSM, id);
        assert_eq!((n(21), n(22), n(23), n(24), n(25)), (18, 18, 16, 9, 3));
        assert_eq!((n(34), n(39), n(40)), (25, 7, 25));
        assert_eq!(
            accounts(a, 21),
            [
                r"DESKTOP-23PS6ES\User",
                r"DESKTOP-23PS6ES\defaultuser0",
                r"PRAIVACYMATRIX\Administrator",
                r"PRAIVACYMATRIX\anit.ghosh"
            ]
        );
        // Console sessions: LOCAL is no address.
        assert!(addresses(a, 21).is_empty());
        // OOBE (34) months before the sessions: setup is over.
        assert!(!a.has("RDP031"));
        a.no_errors();
    }),
    ("dfirmuseum__BelkasoftCTF-Win10-RdpCoreTS-Operational.evtx", |a| {
        read_nothing_said(a, 1590);
        let all = a.every_event();
        assert_eq!((count_in(&all, CORE, 98), count_in(&all, CORE, 131)), (9, 0));
        assert_eq!(count_in(&all, CORE, 148), 225);
    }),
    ("dfirmuseum__BelkasoftCTF-Win10-RemoteConnectionManager-Admin.evtx", |a| {
        read_nothing_said(a, 15);
        let all = a.every_event();
        assert_eq!((count_in(&all, RCM, 1158), count_in(&all, RCM, 20521)), (11, 4));
    }),
    ("dfirmuseum__BelkasoftCTF-Win10-RemoteConnectionManager-Operational.evtx", |a| {
        read_nothing_said(a, 252);
        let all = a.every_event();
        let listeners: std::collections::BTreeSet<&str> = events_in(&all, 261)
            .iter()
            .map(|e| e.get("listenerName").unwrap())
            .collect();
        // The second Win10 listener, not RDP-Tcp, received the 11 connections.
        assert_eq!(events_in(&all, 261).len(), 11);
        assert_eq!(listeners.into_iter().collect::<Vec<_>>(), ["31C5CE94259D4006A9E4"]);
        assert_eq!(count_in(&all, RCM, 1149), 0);
    }),
    ("dfirmuseum__BelkasoftCTF-Win10-Security.evtx", |a| {
        assert_eq!((a.logons(4625, "10"), a.logons(4625, "3")), (24, 11));
        assert_eq!((a.logons(4624, "10"), a.logons(4624, "7")), (7, 15));
        // Failed RDP logons: the type-10 ones (address 0.0.0.0, which names no one) and the
        // NLA ones from the link-local neighbour.
        let total: u64 = a
            .findings("RDP014")
            .iter()
            .map(|f| fact(f, "count").parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, 29);
        let denied = a.finding_with("RDP014", "status", "0xC000015B");
        assert_eq!(
            (fact(denied, "count").as_str(), fact(denied, "users").as_str()),
            ("16", r"PRAIVACYMATRIX\anit.ghosh")
        );
        assert_eq!(fact(denied, "resolved_later"), "true");
        let wrong = a.finding_with("RDP014", "status", "0xC000006A");
        assert!(wrong["message"].as_str().unwrap().contains("from fe80::1941:f3d6:f94d:95bb"));
        a.finding_with("RDP014", "status", "0xC0000072");
        a.finding_with("RDP014", "status", "0xC0000071");
        assert!(!a.said().contains("0.0.0.0"), "0.0.0.0 is no client");
        assert_eq!(a.findings("RDP039")[0]["severity"], "info");
        assert!(!a.has("RDP052"), "a few failures of known users, no guessing");
        a.no_errors();
    }),
    ("dfirmuseum__StolenSzechuan-Win2012R2-Firewall.evtx", |a| {
        read_nothing_said(a, 154);
        let all = a.every_event();
        assert_eq!((count_in(&all, "Firewall", 2004), count_in(&all, "Firewall", 2005)), (64, 64));
    }),
    ("dfirmuseum__StolenSzechuan-Win2012R2-LocalSessionManager-Operational.evtx", |a| {
        let n = |id| a.count(LSM, id);
        assert_eq!((n(21), n(22), n(23), n(24), n(34)), (13, 13, 12, 3, 24));
        // The attacker's two RDP sessions.
        assert_eq!(addresses(a, 21), vec![("194.61.24.102".to_string(), 2)]);
        assert_eq!(
            accounts(a, 21),
            [r"C137\Administrator", r"WIN-E0PO207ERMD\Administrator"]
        );
        assert!(!a.has("RDP031"), "OOBE at first boot, sessions for two days after");
        a.no_errors();
    }),
    ("dfirmuseum__StolenSzechuan-Win2012R2-RDPClient-Operational.evtx", |a| {
        // Client side: the DC connected out to DESKTOP-SDN1RPT (10.42.85.115). Its 1102 is
        // not "log cleared".
        read_nothing_said(a, 9);
        let all = a.every_event();
        let value = |id| events_in(&all, id)[0].get("Value").map(str::to_string);
        assert_eq!(value(1024).as_deref(), Some("DESKTOP-SDN1RPT"));
        assert_eq!(value(1102).as_deref(), Some("10.42.85.115"));
        assert!(events_in(&all, 1102)[0].provider.ends_with("ClientActiveXCore"));
    }),
    ("dfirmuseum__StolenSzechuan-Win2012R2-RdpCoreTS-Operational.evtx", |a| {
        assert_eq!((a.count(CORE, 131), a.count(CORE, 139)), (346, 247));
        assert_eq!(addresses(a, 131), vec![("194.61.24.102".to_string(), 346)]);
        assert_eq!(addresses(a, 139), vec![("194.61.24.102".to_string(), 247)]);
        let flood = a.finding_with("RDP052", "kind", "connection-flood");
        assert_eq!(fact(flood, "top_source"), "194.61.24.102");
        a.no_errors();
    }),
    ("dfirmuseum__StolenSzechuan-Win2012R2-RemoteConnectionManager-Admin.evtx", |a| {
        read_nothing_said(a, 4);
        assert_eq!(count_in(&a.every_event(), RCM, 20499), 4);
    }),
    ("dfirmuseum__StolenSzechuan-Win2012R2-RemoteConnectionManager-Operational.evtx", |a| {
        assert_eq!(a.count(RCM, 1149), 4);
        assert_eq!(addresses(a, 1149), vec![("194.61.24.102".to_string(), 4)]);
        // Param2 (domain) is empty: the user alone.
        assert_eq!(accounts(a, 1149), ["Administrator"]);
        assert_eq!(count_in(&a.every_event(), RCM, 261), 1938);
        a.no_findings();
    }),
    ("dfirmuseum__StolenSzechuan-Win2012R2-Security.evtx", |a| {
        assert_eq!((a.logons(4625, "3"), a.logons(4625, "7")), (95, 1));
        assert_eq!(a.logons(4624, "10"), 4);
        assert_eq!(addresses(a, 4624), vec![("127.0.0.1".to_string(), 4), ("194.61.24.102".to_string(), 4)]);
        // The 95 NLA failures carry no address (IpAddress '-'): alone, this log says brute
        // force and where the address would be (tested with RdpCoreTS beside it above).
        let brute = a.finding_with("RDP052", "kind", "brute-force");
        assert_eq!(fact(brute, "failures"), "95");
        a.no_errors();
    }),
    ("dfirmuseum__StolenSzechuan-Win2012R2-System.evtx", |a| {
        let log = a.log();
        assert_eq!(log.records_skipped, 0);
        assert!(log.records_seen >= 60_000, "data past the stale header is read");
        assert_eq!(a.count("Service Control Manager", 7036), 1176);
        assert_eq!((a.count("Schannel", 36874), a.count("Schannel", 36888)), (29205, 29205));
        assert_eq!(a.count(RCM, 1056), 3);
        // The TLS handshakes the scanner broke off, told as warnings.
        let s = a.finding_with("RDP020", "event_id", "36874");
        assert_eq!((fact(s, "count").as_str(), s["severity"].as_str()), ("29205", Some("warning")));
        assert!(!a.has("RDP003") && !a.has("RDP054"), "TermService never stopped");
        a.no_errors();
    }),
    ("evtx-crate__2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS_4Operational.evtx", |a| {
        assert_eq!((a.count(CORE, 131), a.count(CORE, 140)), (126, 126));
        // 140 "user name or password is not correct" names the internet addresses guessing.
        let by = addresses(a, 140);
        assert_eq!(by[0], ("212.92.115.217".to_string(), 17));
        assert!(by.len() >= 20, "{by:?}");
        // Told as failed logons, with the address that guessed most.
        let f = a.finding_with("RDP014", "count", "126");
        assert_eq!(f["severity"], "warning");
        assert!(f["message"]
            .as_str()
            .unwrap()
            .contains("from 212.92.115.217: 17 time(s)"));
        // A shadow-copy log: 3 damaged records, said as such, the rest read.
        let d = a.finding_with("RDP059", "records_skipped", "3");
        assert_eq!(d["severity"], "info");
        a.no_errors();
    }),
    ("evtx-crate__2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager_4Operational.evtx", |a| {
        assert_eq!(a.count(RCM, 1149), 5);
        assert!(accounts(a, 1149).contains(&r"MAGNETIC-DESKTO\mpowers".to_string()));
        assert_eq!(addresses(a, 1149)[0], ("174.127.93.2".to_string(), 2));
        a.finding_with("RDP059", "records_skipped", "1");
        a.no_errors();
    }),
    ("evtx-crate__2-vss_7-System.evtx", |a| {
        let log = a.log();
        assert_eq!((log.records_seen, log.records_skipped), (1160, 0));
        // The RDP certificate was (re)created: 1056 names the host, its SHA-1 in Binary.
        let cert = a.events().into_iter().find(|e| e.event_id == 1056).unwrap();
        assert_eq!(cert.get("Binary"), Some("59EFF2E3B509C83137E81085E02A1AC63A7E61AA"));
        a.no_errors();
    }),
    ("evtx-crate__Security_short_selected.evtx", |a| {
        assert_eq!(a.logons(4625, "10"), 1);
        let f = a.finding_with("RDP014", "status", "0xC000006A");
        assert_eq!(fact(f, "users"), r"TEMPORAL\Administrator");
        assert!(f["message"].as_str().unwrap().contains("from 23.94.153.202"));
        assert_eq!(fact(a.findings("RDP053")[0], "source"), "23.94.153.202");
        a.no_errors();
    }),
    ("evtx-crate__Security_with_size_t.evtx", |a| {
        // NLA failures of a user that does not exist, from the lab neighbour; the Guest and
        // console (Advapi, User32 type 2) failures are not Remote Desktop.
        let f = a.finding_with("RDP014", "status", "0xC0000064");
        assert_eq!((fact(f, "count").as_str(), fact(f, "users").as_str()), ("4", r"IT104-3\Student"));
        assert!(f["message"].as_str().unwrap().contains("from 10.20.0.118"));
        assert_eq!(a.findings("RDP014").len(), 1);
        assert!(!a.said().contains("Guest"));
        a.no_errors();
    }),
    ("evtx-crate__sample-with-zero-data-size-event.evtx", |a| {
        let d = a.finding_with("RDP059", "records_skipped", "1");
        assert_eq!(fact(d, "records_seen"), "450");
        assert_eq!(a.count(RCM, 1056), 4);
        // 7031 here is "Sync Host", not Remote Desktop Services.
        assert_eq!(a.count("Service Control Manager", 7031), 3);
        assert!(!a.has("RDP054") && !a.has("RDP003"));
        a.no_errors();
    }),
    ("evtx-crate__sample_with_a_bad_chunk_magic.evtx", |a| {
        let d = a.finding_with("RDP059", "chunks_skipped", "2");
        assert_eq!(d["severity"], "warning");
        assert_eq!(a.ids(), vec!["RDP059 warning"]);
    }),
    ("evtx-crate__security.evtx", |a| {
        // A healthy lab machine: console unlocks from loopback, nothing refused.
        assert_eq!(a.logons(4624, "7"), 4);
        assert_eq!(accounts(a, 4624).len(), 1);
        assert!(accounts(a, 4624)[0].ends_with("fsir"));
        assert_eq!(a.log().records_seen, 2261);
        a.no_findings();
    }),
    ("evtx-crate__security_bad_string_cache.evtx", |a| {
        // The same log with a damaged string cache: the same events.
        assert_eq!(a.logons(4624, "7"), 4);
        assert_eq!(a.count(SEC, 4648), 45);
        assert_eq!(a.log().records_seen, 2261);
        a.no_findings();
    }),
    ("mitre__ID104-1102-Event_log_cleared.evtx", |a| {
        read_nothing_said(a, 91);
        let all = a.every_event();
        let cleared = events_in(&all, 1102);
        assert_eq!(cleared.len(), 1);
        assert_eq!(cleared[0].channel, "Security");
        assert_eq!(count_in(&all, "Eventlog", 104), 90);
    }),
    ("mitre__ID1149-RDP_success_logins_to_multiple_hosts.evtx", |a| {
        assert_eq!(a.count(RCM, 1149), 11);
        assert_eq!(addresses(a, 1149), vec![("10.23.123.11".to_string(), 11)]);
        assert_eq!(accounts(a, 1149), ["admmig"]);
        let hosts: std::collections::BTreeSet<&str> =
            a.events().iter().map(|e| e.computer.as_str()).collect();
        assert_eq!(hosts.len(), 11);
        a.no_findings();
    }),
    ("mitre__ID131-RDP_brutforce__no_user_info_.evtx", |a| {
        assert_eq!(addresses(a, 131), vec![("10.23.123.11".to_string(), 154)]);
        let flood = a.finding_with("RDP052", "kind", "connection-flood");
        assert_eq!(
            (fact(flood, "top_source").as_str(), fact(flood, "connections").as_str()),
            ("10.23.123.11", "154")
        );
        a.no_errors();
    }),
    ("mitre__ID4688-4778_RDP_hijack_command_execution.evtx", |a| {
        let e = a.events().into_iter().find(|e| e.event_id == 4778).unwrap();
        assert_eq!(event_address(e).as_deref(), Some("10.23.23.9"));
        assert_eq!(event_account(e).unwrap().display(), r"OFFSEC\admmarsid");
        assert_eq!((e.get("SessionName"), e.get("ClientName")), (Some("RDP-Tcp#5"), Some("JUMP01")));
        assert!(a.said().contains("admmarsid"), "the reconnect is on the timeline");
        a.no_errors();
    }),
    ("mitre__ID4688-netsh_RDP_port_forwarding_abuse.evtx", |a| {
        read_nothing_said(a, 8);
        let all = a.every_event();
        let cmds: Vec<&Event> = events_in(&all, 4688);
        assert!(cmds
            .iter()
            .any(|e| e.get("CommandLine").is_some_and(|c| c.contains("connectp=3389"))));
        // A saved selection: record-header times are shifted, TimeCreated is the truth.
        let mut times: Vec<&str> = cmds.iter().map(|e| e.time.as_str()).collect();
        times.sort();
        assert_eq!(times[0], "2021-06-03T12:17:58.582Z");
    }),
    ("mitre__ID4771-Kerberos_brutforce_with_valid_user.evtx", |a| {
        assert_eq!(a.count(SEC, 4771), 54);
        let brute = a.finding_with("RDP052", "kind", "brute-force");
        assert_eq!(
            (fact(brute, "top_source").as_str(), fact(brute, "failures").as_str()),
            ("10.23.123.11", "54")
        );
        let creds = a.finding_with("RDP051", "user", "admin-hacker");
        assert_eq!(fact(creds, "code"), "Kerberos 0x18");
        a.no_errors();
    }),
    ("mitre__ID_4776_4625-AccountRestore_local_bruteforce.evtx", |a| {
        // 16 console (type 2) failures: not Remote Desktop, nothing for RDP to say.
        assert_eq!(a.logons(4625, "2"), 16);
        assert!(!a.has("RDP014") && !a.has("RDP052"));
        a.no_findings();
    }),
];

#[test]
fn every_evtx_sample_holds_its_facts() {
    check_folder("evtx", "EVTX_FACTS", EVTX_FACTS);
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

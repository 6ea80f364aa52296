//! RDP067: the host (a Windows client) goes to sleep or hibernates.
//!
//! A sleeping PC is off the network: its NIC answers nothing (unless armed for Wake-on-LAN and
//! woken by a magic packet), so RDP clients fail with 0x204 "Remote Desktop can't connect to the
//! remote computer… make sure the remote PC is turned on and connected to the network". Client
//! editions of Windows sleep by default (Balanced plan: "Sleep after" 30 minutes on AC on many
//! builds); an RDP session does not keep the machine awake once the user disconnects.
//!
//! Evidence: `powercfg /query SCHEME_CURRENT SUB_SLEEP`, the "Sleep after" (STANDBYIDLE,
//! `29f6c1db-…`) and "Hibernate after" (HIBERNATEIDLE, `9d7815a6-…`) timeouts on AC power
//! (seconds, 0 = never); the System log's Kernel-Power 42 (entering sleep, `TargetState` 4 =
//! sleep, 5 = hibernate), Kernel-Power 107 (resumed) and Power-Troubleshooter 1 (returned from a
//! low power state, with `SleepTime` and `WakeTime`), kept by provider (their ids are generic);
//! and `rdp-collect probe` files from clients, whose failed attempts inside a sleep interval
//! are failures the sleep explains. Field names follow the providers' manifests (OTRF/OSSEM
//! data dictionaries); no public log with these events was found to verify them against.
//!
//! Only client editions are judged: Windows Server's plans do not sleep by default and a server
//! that sleeps is a deliberate choice (the check is listed as not evaluated there).

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{parse_rfc3339, Evidence};
use crate::parse::client_probe::Outcome;
use crate::parse::identify::Kind;
use crate::parse::powercfg::{PowerSetting, HIBERNATEIDLE, STANDBYIDLE};

pub static CHECK: Check = Check {
    id: "RDP067",
    name: "host-goes-to-sleep",
    severity: Severity::Warning,
    title: "The host goes to sleep or hibernates, and is then unreachable",
    explanation: "This Windows client's power plan puts it to sleep or hibernation on mains \
                  power, or the System log shows it sleeping. A sleeping PC does not answer on \
                  the network: Remote Desktop clients fail with 0x204 (\"make sure the remote PC \
                  is turned on\") until someone wakes it.",
    remediation: "Keep the host awake on mains power: `powercfg /change standby-timeout-ac 0` \
                  and `powercfg /change hibernate-timeout-ac 0` (Settings > System > Power & \
                  battery > Screen and sleep: 'When plugged in, put my device to sleep after' \
                  Never), or set the plan by Group Policy (Computer Configuration > \
                  Administrative Templates > System > Power Management > Sleep Settings). If it \
                  must sleep, enable Wake-on-LAN (adapter properties > Power Management: 'Allow \
                  this device to wake the computer', 'Only allow a magic packet'; Wake on Magic \
                  Packet in the firmware) and wake it before connecting, or connect through an \
                  RD Gateway/management tool that wakes it.",
    needs: &[Kind::Powercfg, Kind::Evtx],
    fixture: "fixtures/host-goes-to-sleep",
    requires: Some(missing),
    run,
};

/// One time the host slept, from the events.
#[derive(Debug, Clone)]
struct Sleep {
    /// Unix seconds.
    start: i64,
    /// Unix seconds; `None` when no resume is logged after it.
    end: Option<i64>,
    hibernate: bool,
    refs: Vec<EvidenceRef>,
    text: String,
}

fn sleeps(ev: &Evidence) -> Vec<Sleep> {
    let entering = support::provider_events(ev, &[42], "Microsoft-Windows-Kernel-Power");
    let resumed = support::provider_events(ev, &[107], "Microsoft-Windows-Kernel-Power");
    let returned = support::provider_events(ev, &[1], "Microsoft-Windows-Power-Troubleshooter");
    let mut out: Vec<Sleep> = Vec::new();
    // Power-Troubleshooter 1 names both ends.
    for (art, e) in &returned {
        let start = e.get("SleepTime").and_then(parse_rfc3339);
        let end = e.get("WakeTime").and_then(parse_rfc3339);
        let Some(start) = start.or_else(|| parse_rfc3339(&e.time)) else {
            continue;
        };
        out.push(Sleep {
            start,
            end: end.or_else(|| parse_rfc3339(&e.time)),
            hibernate: e.get("TargetState").map(str::trim) == Some("5"),
            refs: vec![support::event_ref(art, e, "the system returned from a low power state")],
            text: format!(
                "{} to {}",
                e.get("SleepTime").unwrap_or("?"),
                e.get("WakeTime").unwrap_or(&e.time)
            ),
        });
    }
    // Kernel-Power 42 not already covered, ended by the next 107 (or Power-Troubleshooter 1).
    for (art, e) in &entering {
        let Some(start) = parse_rfc3339(&e.time) else {
            continue;
        };
        if out.iter().any(|s| (s.start - start).abs() <= 120) {
            continue;
        }
        let resume = resumed
            .iter()
            .chain(returned.iter())
            .filter_map(|(a, r)| parse_rfc3339(&r.time).map(|t| (t, *a, *r)))
            .filter(|(t, _, _)| *t >= start)
            .min_by_key(|(t, _, _)| *t);
        let mut refs = vec![support::event_ref(art, e, "the system is entering sleep")];
        if let Some((_, a, r)) = resume {
            refs.push(support::event_ref(a, r, "the system has resumed from sleep"));
        }
        out.push(Sleep {
            start,
            end: resume.map(|(t, _, _)| t),
            hibernate: e.get("TargetState").map(str::trim) == Some("5"),
            refs,
            text: format!(
                "{} to {}",
                e.time,
                resume.map(|(_, _, r)| r.time.as_str()).unwrap_or("(no resume logged)")
            ),
        });
    }
    out.sort_by_key(|s| s.start);
    out
}

/// `1800` → `30 minutes`.
fn duration(secs: u32) -> String {
    match secs {
        s if s % 3600 == 0 && s >= 3600 => format!("{} hour(s)", s / 3600),
        s if s % 60 == 0 && s >= 60 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// The sleep settings of the first powercfg output that has them.
fn settings(ev: &Evidence) -> Option<(&str, Option<&PowerSetting>, Option<&PowerSetting>)> {
    ev.power.iter().find_map(|p| {
        let s = p.value.setting(STANDBYIDLE);
        let h = p.value.setting(HIBERNATEIDLE);
        (s.is_some() || h.is_some()).then_some((p.artifact.as_str(), s, h))
    })
}

fn run(ev: &Evidence) -> Vec<Finding> {
    if support::client_os(ev).is_some_and(|(client, _, _)| !client) {
        return Vec::new();
    }
    let slept = sleeps(ev);
    let power = settings(ev);
    let ac = |s: Option<&PowerSetting>| s.and_then(|s| s.ac).filter(|(v, _)| *v != 0);
    let standby_ac = power.and_then(|(_, s, _)| ac(s));
    let hibernate_ac = power.and_then(|(_, _, h)| ac(h));

    // Client probes that failed while the host slept.
    let mut missed = Vec::new();
    for p in &ev.client_probes {
        let outcome = p.value.outcome();
        if matches!(outcome, Outcome::Reachable | Outcome::Unknown) {
            continue;
        }
        let Some(t) = p.value.started_utc.as_deref().and_then(parse_rfc3339) else {
            continue;
        };
        if let Some(s) = slept
            .iter()
            .find(|s| t >= s.start && s.end.is_none_or(|e| t <= e))
        {
            missed.push((p, s));
        }
    }

    if standby_ac.is_none() && hibernate_ac.is_none() && slept.is_empty() {
        return Vec::new();
    }
    let mut parts = Vec::new();
    if let Some((v, _)) = standby_ac {
        parts.push(format!("sleeps after {} idle on mains power", duration(v)));
    }
    if let Some((v, _)) = hibernate_ac {
        parts.push(format!("hibernates after {} idle on mains power", duration(v)));
    }
    let mut msg = if parts.is_empty() && power.is_some() {
        "The power plan does not put the host to sleep on mains power, yet the System log shows \
         it sleeping (power button, lid, a user's Sleep command, a scheduled task or the \
         battery timeout)."
            .to_string()
    } else if parts.is_empty() {
        "The System log shows the host sleeping (no powercfg output says which power setting \
         does it)."
            .to_string()
    } else {
        format!("The active power plan {}.", parts.join(" and "))
    };
    if let Some(last) = slept.last() {
        msg.push_str(&format!(
            " The System log shows {} sleep/hibernation period(s); the last: {}{}.",
            slept.len(),
            last.text,
            if last.hibernate { " (hibernate)" } else { "" }
        ));
    }
    let mut f = Finding::new(&CHECK, msg).fact("sleeps", slept.len());
    if let Some((art, s, h)) = power {
        for (set, name) in [(s, "standby_ac_seconds"), (h, "hibernate_ac_seconds")] {
            if let Some((v, line)) = set.and_then(|s| s.ac) {
                f = f.fact(name, v).evidence(EvidenceRef::line(
                    art,
                    line,
                    format!(
                        "{} ({}): Current AC Power Setting Index: 0x{v:08x}",
                        set.and_then(|s| s.alias.as_deref()).unwrap_or("?"),
                        set.and_then(|s| s.name.as_deref()).unwrap_or("")
                    ),
                ));
            }
        }
    }
    if let Some((client, what, r)) = support::client_os(ev) {
        if client {
            f = f.fact("os", &what).evidence(r);
        }
    }
    if !missed.is_empty() {
        let list: Vec<String> = missed
            .iter()
            .map(|(p, s)| {
                format!(
                    "{} at {} (asleep {})",
                    p.value.client_label(),
                    p.value.started_utc.as_deref().unwrap_or("?"),
                    s.text
                )
            })
            .collect();
        f.message.push_str(&format!(
            " Clients failed to connect while it slept: {}.",
            list.join("; ")
        ));
        f = f
            .severity(Severity::Error)
            .title("The host was asleep when clients tried to connect")
            .fact("failed_while_asleep", missed.len());
        for (p, s) in &missed {
            f = f.evidence(EvidenceRef::file(
                &p.artifact,
                format!(
                    "probe from {} at {}: {}",
                    p.value.client_label(),
                    p.value.started_utc.as_deref().unwrap_or("?"),
                    p.value.verdict.as_deref().unwrap_or("failed")
                ),
            ));
            f.evidence.extend(s.refs.iter().cloned());
        }
    } else {
        if let Some(last) = slept.last() {
            f.evidence.extend(last.refs.iter().cloned());
        }
        if let Some((v, _)) = standby_ac.or(hibernate_ac) {
            f = f.title(format!(
                "The host goes to sleep after {} idle on mains power",
                duration(v)
            ));
        }
    }
    vec![f]
}

/// Not evaluated on Windows Server, nor without both a powercfg output and a System log.
fn missing(ev: &Evidence) -> Option<String> {
    if let Some((false, what, _)) = support::client_os(ev) {
        return Some(format!(
            "the host runs a server edition ({what}): sleep is judged on client editions only"
        ));
    }
    if !ev.power.is_empty() || support::has_system_log(ev) {
        return None;
    }
    Some(support::missing_because(
        ev,
        rdp_bundle::paths::POWERCFG_SLEEP,
        "powercfg /query output and no System log",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_with_manifest};

    fn powercfg(standby_ac: u32) -> String {
        crate::parse::powercfg::tests::english(standby_ac, 0)
    }

    fn system_events() -> String {
        [
            event(
                "Microsoft-Windows-Kernel-Power",
                "System",
                42,
                10,
                "2026-11-20T18:30:02.000Z",
                &[("TargetState", "4"), ("EffectiveState", "4"), ("Reason", "7")],
            ),
            event(
                "Microsoft-Windows-Kernel-Power",
                "System",
                107,
                11,
                "2026-11-21T07:55:10.000Z",
                &[("TargetState", "4"), ("EffectiveState", "4"), ("WakeFromState", "4")],
            ),
            event(
                "Microsoft-Windows-Power-Troubleshooter",
                "System",
                1,
                12,
                "2026-11-21T07:55:12.000Z",
                &[
                    ("SleepTime", "2026-11-20T18:30:03.123456700Z"),
                    ("WakeTime", "2026-11-21T07:55:09.500000000Z"),
                    ("TargetState", "4"),
                ],
            ),
            // Generic ids of other providers are not sleeps.
            event("Microsoft-Windows-Kernel-General", "System", 1, 13, "2026-11-21T08:00:00.000Z", &[]),
        ]
        .join("\n")
    }

    fn evidence(files: Vec<(&str, String)>, installation_type: Option<&str>) -> Evidence {
        let manifest = installation_type.map(|t| rdp_bundle::Manifest {
            format_version: 1,
            collector: "rdp-collect".into(),
            collector_version: "0".into(),
            host_name: "WS-0042".into(),
            os: rdp_bundle::OsInfo {
                product_name: Some(if t == "Client" {
                    "Windows 11 Pro".into()
                } else {
                    "Windows Server 2022 Standard".into()
                }),
                installation_type: Some(t.into()),
                ..Default::default()
            },
            started_utc: "2026-11-21T09:00:00Z".into(),
            finished_utc: "2026-11-21T09:01:00Z".into(),
            elevated: Some(true),
            options: vec![],
            artifacts: vec![],
            offline: None,
        });
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        evidence_with_manifest(manifest, &files)
    }

    fn probe(at: &str, verdict: &str) -> String {
        format!(
            "{{\"probe\":\"rdp-client-probe\",\"format_version\":1,\"target\":\"ws-0042:3389\",\
             \"host\":\"ws-0042\",\"port\":3389,\"client\":{{\"name\":\"LAPTOP-7\",\
             \"source_address\":\"10.0.0.50\"}},\"started_utc\":\"{at}\",\
             \"attempts\":[{{\"result\":\"timed_out\",\"time_ms\":3001.0}}],\
             \"summary\":{{\"sent\":1,\"connected\":0,\"lost\":1,\"loss_percent\":100.0}},\
             \"verdict\":\"{verdict}\"}}"
        )
    }

    #[test]
    fn sleep_on_ac_is_a_warning() {
        let ev = evidence(
            vec![("commands/powercfg-sleep.txt", powercfg(1800))],
            Some("Client"),
        );
        assert!(missing(&ev).is_none());
        let f = run(&ev);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].facts["standby_ac_seconds"], "1800");
        assert!(f[0].title.contains("30 minutes"), "{}", f[0].title);
        assert_eq!(f[0].evidence[0].line, Some(11));
    }

    #[test]
    fn never_and_no_sleeps_is_quiet_and_server_is_not_judged() {
        let ev = evidence(
            vec![("commands/powercfg-sleep.txt", powercfg(0))],
            Some("Client"),
        );
        assert!(run(&ev).is_empty());
        let ev = evidence(
            vec![("commands/powercfg-sleep.txt", powercfg(1800))],
            Some("Server"),
        );
        assert!(run(&ev).is_empty());
        assert!(missing(&ev).unwrap().contains("server edition"));
    }

    #[test]
    fn probe_failing_while_asleep_is_an_error() {
        let ev = evidence(
            vec![
                ("commands/powercfg-sleep.txt", powercfg(1800)),
                ("events/System.xml", system_events()),
                (
                    "rdp-probe-LAPTOP-7-to-ws-0042.json",
                    probe("2026-11-20T21:14:00Z", "filtered"),
                ),
                (
                    "rdp-probe-LAPTOP-7-to-ws-0042-later.json",
                    probe("2026-11-21T08:30:00Z", "filtered"),
                ),
            ],
            Some("Client"),
        );
        let f = run(&ev);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].facts["sleeps"], "1");
        assert_eq!(f[0].facts["failed_while_asleep"], "1");
        assert!(f[0].message.contains("LAPTOP-7 (10.0.0.50) at 2026-11-20T21:14:00Z"));
        assert!(f[0].evidence.iter().any(|e| e.record_id == Some(12)));
    }

    #[test]
    fn sleeps_without_powercfg_and_unpaired_sleep() {
        let only42 = event(
            "Microsoft-Windows-Kernel-Power",
            "System",
            42,
            10,
            "2026-11-20T18:30:02.000Z",
            &[("TargetState", "5")],
        );
        let ev = evidence(vec![("events/System.xml", only42)], None);
        assert!(missing(&ev).is_none());
        let s = sleeps(&ev);
        assert_eq!(s.len(), 1);
        assert!(s[0].hibernate && s[0].end.is_none());
        let f = run(&ev);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("no powercfg output"), "{}", f[0].message);
        assert_eq!(duration(3600), "1 hour(s)");
        assert_eq!(duration(90), "90 seconds");
    }
}

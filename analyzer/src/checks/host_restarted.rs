//! RDP070: the host restarted unexpectedly.
//!
//! A crash (bug check), a hang that someone ended with the power button, or a power loss
//! takes every RDP session down, and for the minutes the host is down and booting no
//! connection can succeed. Windows notices at the next boot: Kernel-Power 41 ("The system has
//! rebooted without cleanly shutting down first", with `BugcheckCode` non-zero after a bug
//! check and `PowerButtonTimestamp` non-zero when the power button was held) and the classic
//! EventLog 6008 ("The previous system shutdown at <time> on <date> was unexpected", its first
//! two values the local time and date of the last heartbeat). Both are in the System log; the
//! two of one restart are written within a minute of each other and counted once.
//!
//! A restart near RDP failures (failed RDP logons, or Remote Desktop Services terminating,
//! within an hour before or fifteen minutes after the boot) explains them: warning. Isolated
//! restarts are information: worth knowing while troubleshooting, not an RDP fault.
//!
//! Provider names: `Microsoft-Windows-Kernel-Power` (manifest provider) and `EventLog` (the
//! classic source of 6005/6006/6008, as in the real System logs of ../shared/samples/evtx,
//! which hold 6005/6006 but no unexpected shutdown). Kernel-Power 41's payload names are from
//! its manifest (libyal winevt-kb, OSSEM's Kernel-Power data dictionary).

use super::{support, Check, Finding, Severity};
use crate::evidence::{event_millis, event_source, is_rdp_failure, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP070",
    name: "host-restarted-unexpectedly",
    severity: Severity::Warning,
    title: "The host restarted unexpectedly (crash, hang or power loss)",
    explanation: "Kernel-Power 41 or EventLog 6008 in the System log: Windows rebooted without \
                  a clean shutdown. Every RDP session was lost, and no connection could succeed \
                  while the host was down; near RDP failures this is their cause.",
    remediation: "Find why it restarted: a non-zero BugcheckCode in Kernel-Power 41 (and \
                  System 1001 BugCheck, the dump in C:\\Windows\\Minidump) means a crash, usually \
                  a driver; BugcheckCode 0 means power loss, a hard reset or a hang ended with \
                  the power button (PowerButtonTimestamp non-zero). Check the UPS, the \
                  hypervisor's event log for a VM, and install current drivers and updates.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/host-restarted-unexpectedly",
    requires: Some(missing),
    run,
};

/// Events of one restart are written within this many milliseconds of each other.
const SAME_RESTART_MS: i64 = 10 * 60 * 1000;
/// RDP failures this long before the boot (the host hanging or down) or after it (services
/// starting) are near it.
const BEFORE_MS: i64 = 60 * 60 * 1000;
const AFTER_MS: i64 = 15 * 60 * 1000;
/// Restarts listed in the message.
const LISTED: usize = 5;

/// One unexpected restart: its events, first first.
struct Restart<'a> {
    events: Vec<(&'a str, &'a Event)>,
    at: i64,
    /// The first event's time, as written.
    time: &'a str,
}

fn restarts(ev: &Evidence) -> Vec<Restart<'_>> {
    let mut events = support::provider_events(ev, &[41], "Microsoft-Windows-Kernel-Power");
    events.extend(
        ev.events_with_ids(&[6008])
            .into_iter()
            .filter(|(_, e)| e.provider.eq_ignore_ascii_case("EventLog")),
    );
    let mut timed: Vec<(i64, (&str, &Event))> = events
        .into_iter()
        .filter_map(|x| event_millis(x.1).map(|t| (t, x)))
        .collect();
    timed.sort_by_key(|(t, _)| *t);
    let mut out: Vec<Restart> = Vec::new();
    for (t, x) in timed {
        match out.last_mut() {
            Some(r) if t - r.at <= SAME_RESTART_MS => r.events.push(x),
            _ => out.push(Restart {
                time: &x.1.time,
                events: vec![x],
                at: t,
            }),
        }
    }
    out
}

/// Times (ms) of RDP failures: failed RDP logons, TermService terminating.
fn failure_times(ev: &Evidence) -> Vec<i64> {
    let mut out: Vec<i64> = ev
        .events_with_ids(&[4625, 7031, 7034])
        .into_iter()
        .filter(|(_, e)| match event_source(e) {
            EventSource::Security => is_rdp_failure(e),
            EventSource::ServiceControlManager => e
                .data
                .iter()
                .any(|(_, v)| v.contains("TermService") || v.contains("Remote Desktop Services")),
            _ => false,
        })
        .filter_map(|(_, e)| event_millis(e))
        .collect();
    out.sort_unstable();
    out
}

/// RDP failures within the window around `at` (binary search in the sorted times).
fn failures_near(times: &[i64], at: i64) -> usize {
    let lo = times.partition_point(|t| *t < at - BEFORE_MS);
    let hi = times.partition_point(|t| *t <= at + AFTER_MS);
    hi.saturating_sub(lo)
}

/// What Kernel-Power 41 says about the cause.
fn cause(e: &Event) -> Option<String> {
    let nonzero = |name: &str| {
        e.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "0" && !v.eq_ignore_ascii_case("0x0"))
    };
    if let Some(code) = nonzero("BugcheckCode") {
        let hex = code
            .parse::<u64>()
            .map(|c| format!("0x{c:X}"))
            .unwrap_or_else(|_| code.to_string());
        return Some(format!("a bug check (stop code {hex})"));
    }
    if nonzero("PowerButtonTimestamp").is_some() {
        return Some("the power button held down (a hang ended by hand)".into());
    }
    (e.event_id == 41).then(|| "no bug check recorded: power loss, a hard reset or a hang".into())
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let all = restarts(ev);
    if all.is_empty() {
        return Vec::new();
    }
    let failures = failure_times(ev);
    let near: Vec<(usize, &Restart)> = all
        .iter()
        .map(|r| (failures_near(&failures, r.at), r))
        .collect();
    let near_failures: usize = near.iter().map(|(n, _)| n).sum();
    let Some(last) = all.last() else {
        return Vec::new();
    };
    let describe = |r: &Restart| {
        let why = r
            .events
            .iter()
            .find_map(|(_, e)| cause(e))
            .unwrap_or_else(|| "cause not recorded".into());
        let prev = r
            .events
            .iter()
            .find(|(_, e)| e.event_id == 6008)
            .and_then(|(_, e)| Some((e.get("Data1")?, e.get("Data2")?)))
            .map(|(time, date)| {
                format!(
                    "; previous shutdown at {} on {} (local time)",
                    time.trim_matches('\u{200e}').trim(),
                    date.trim_matches('\u{200e}').trim()
                )
            })
            .unwrap_or_default();
        format!("{}: {why}{prev}", r.time)
    };
    let listed: Vec<String> = all.iter().rev().take(LISTED).map(describe).collect();
    let mut message = format!(
        "Windows restarted without a clean shutdown {} time(s) (Kernel-Power 41 / EventLog \
         6008): {}{}.",
        all.len(),
        listed.join("; "),
        if all.len() > LISTED { "; ..." } else { "" }
    );
    let severity = if near_failures > 0 {
        message.push_str(&format!(
            " {near_failures} RDP failure(s) (failed RDP logons, Remote Desktop Services \
             terminating) fall within an hour before or fifteen minutes after a restart: the \
             host was going down or booting."
        ));
        Severity::Warning
    } else {
        message.push_str(
            " No RDP failure in the logs falls near a restart; sessions open at those times \
             were lost.",
        );
        Severity::Info
    };
    let mut f = Finding::new(&CHECK, message)
        .severity(severity)
        .fact("restarts", all.len())
        .fact("last", last.time)
        .fact("near_rdp_failures", near_failures);
    if let Some(code) = last
        .events
        .iter()
        .find_map(|(_, e)| e.get("BugcheckCode"))
    {
        f = f.fact("bugcheck_code", code.trim());
    }
    for r in all.iter().rev().take(3) {
        for (artifact, e) in &r.events {
            f = f.evidence(support::event_ref(
                artifact,
                e,
                if e.event_id == 41 {
                    "rebooted without cleanly shutting down first"
                } else {
                    "the previous system shutdown was unexpected"
                },
            ));
        }
    }
    vec![f]
}

/// Not evaluated without the System log (where both events are written).
fn missing(ev: &Evidence) -> Option<String> {
    if support::has_system_log(ev) || !restarts(ev).is_empty() {
        return None;
    }
    Some(support::missing_because(
        ev,
        rdp_bundle::paths::EVENTS_SYSTEM,
        "System event log",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_from_xml, security_event};

    const KP: &str = "Microsoft-Windows-Kernel-Power";

    fn kp41(rid: u64, time: &str, bugcheck: &str) -> String {
        event(
            KP,
            "System",
            41,
            rid,
            time,
            &[
                ("BugcheckCode", bugcheck),
                ("BugcheckParameter1", "0x0"),
                ("SleepInProgress", "0"),
                ("PowerButtonTimestamp", "0"),
            ],
        )
    }
    fn e6008(rid: u64, time: &str) -> String {
        event(
            "EventLog",
            "System",
            6008,
            rid,
            time,
            &[("Data1", "\u{200e}9:41:07 AM"), ("Data2", "\u{200e}11/20/2026")],
        )
    }

    #[test]
    fn one_restart_from_two_events_near_failures_is_a_warning() {
        let sys = [
            e6008(10, "2026-11-20T09:48:02.0000000Z"),
            kp41(11, "2026-11-20T09:47:55.0000000Z", "0"),
        ]
        .join("\r\n");
        let failed = security_event(
            4625,
            50,
            "2026-11-20T09:30:00.0000000Z",
            &[("LogonType", "10"), ("IpAddress", "10.0.0.77")],
        );
        let out = run(&evidence_from_xml(&[("System.xml", &sys), ("Security.xml", &failed)]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].facts["restarts"], "1");
        assert_eq!(out[0].facts["near_rdp_failures"], "1");
        assert!(out[0].message.contains("previous shutdown at 9:41:07 AM on 11/20/2026"));
        assert!(out[0].message.contains("power loss"));
        // Far from any failure: information.
        let out = run(&evidence_from_xml(&[("System.xml", &sys)]));
        assert_eq!(out[0].severity, Severity::Info);
    }

    #[test]
    fn a_bug_check_is_named_and_other_providers_ignored() {
        let sys = kp41(11, "2026-11-20T09:47:55.0000000Z", "159");
        let out = run(&evidence_from_xml(&[("System.xml", &sys)]));
        assert!(out[0].message.contains("stop code 0x9F"), "{}", out[0].message);
        let other = event("Microsoft-Windows-Other", "System", 41, 3, "2026-11-20T09:00:00.0000000Z", &[]);
        assert!(run(&evidence_from_xml(&[("System.xml", &other)])).is_empty());
        let two_days = [kp41(1, "2026-11-18T09:00:00.0000000Z", "0"), sys].join("\r\n");
        let out = run(&evidence_from_xml(&[("System.xml", &two_days)]));
        assert_eq!(out[0].facts["restarts"], "2");
    }
}

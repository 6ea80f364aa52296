//! RDP053: where each user's last RDP attempt stopped, and connections that never got as far
//! as authentication.
//!
//! A successful RDP logon leaves a trail across four logs, in order: RdpCoreTS 131 (the
//! connection was accepted from an address), RemoteConnectionManager 1149 (network-level
//! authentication succeeded), Security 4624 of type 10 (7 when a locked session is unlocked
//! on reconnect), LocalSessionManager 21/22 (session logon, shell started) or 25 (reconnected).
//! Where the trail of a user's last attempt ends says what failed: nothing at all means the
//! client never reached this machine (name, route, firewall, port); a connection without
//! authentication means the TLS/CredSSP handshake was abandoned (untrusted certificate,
//! NLA/CredSSP mismatch, or a scanner); authentication without a logon, or a logon without a
//! session, points at the logon rights, licensing or the session host itself. A failed
//! authentication is RDP014's; here it is only told as part of the story (info).

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{
    event_account, event_address, event_millis, failure_code, is_rdp_failure, logon_type,
    summarize_event, EventSource, Evidence,
};
use crate::parse::evtx::{Event, RDP_LOGON_TYPES};
use crate::parse::identify::Kind;
use crate::parse::ntstatus;
use std::collections::{BTreeMap, BTreeSet};

pub static CHECK: Check = Check {
    id: "RDP053",
    name: "logon-trail",
    severity: Severity::Warning,
    title: "An RDP attempt stopped before the session",
    explanation: "Each RDP logon leaves a trail: connection accepted (RdpCoreTS 131), \
                  network-level authentication (RemoteConnectionManager 1149), logon (Security \
                  4624 type 10, or 7 on reconnect), session (LocalSessionManager 21/22/25). \
                  Where the last attempt's trail stops tells a client that never reached the \
                  machine from one that reached it and failed, and at which step.",
    remediation: "Follow the stage named: no authentication after the connection: check the \
                  client's certificate warning, NLA/CredSSP settings (and updates) on both \
                  sides, or block the scanner; authentication but no logon: check 'Allow log on \
                  through Remote Desktop Services' and Remote Desktop Users, and the Security \
                  log of the domain controller; logon but no session: check RD licensing, the \
                  user profile service and the System log at that time. A user with no event at \
                  all never reached this machine: check name resolution, VPN, routing and the \
                  firewall in between.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/logon-trail",
    requires: None,
    run,
};

/// Events further apart than this belong to different attempts.
const ATTEMPT_GAP_MS: i64 = 2 * 60 * 1000;

/// How far an attempt got, in trail order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    AuthFailed,
    Authenticated,
    LoggedOn,
    Session,
}

struct TrailEvent<'a> {
    millis: i64,
    step: Step,
    artifact: &'a str,
    event: &'a Event,
}

/// The step `e` marks in a user's trail, if any.
fn step_of(e: &Event) -> Option<Step> {
    match (crate::evidence::event_source(e), e.event_id) {
        (EventSource::Security, 4625) if is_rdp_failure(e) => Some(Step::AuthFailed),
        (EventSource::Security, 4624)
            if logon_type(e).is_some_and(|t| RDP_LOGON_TYPES.contains(&t)) =>
        {
            Some(Step::LoggedOn)
        }
        (EventSource::RemoteConnectionManager, 1149) => Some(Step::Authenticated),
        (EventSource::LocalSessionManager, 21 | 22 | 25) => Some(Step::Session),
        _ => None,
    }
}

/// The machine an event was logged on, as a key: its host name without the domain, lowercase
/// (Security writes `WS-RDP01.contoso.local`, other logs may write `WS-RDP01`). Loose logs of
/// several machines must not be read as one story.
fn machine(e: &Event) -> String {
    e.computer.split('.').next().unwrap_or("").to_lowercase()
}

fn run(ev: &Evidence) -> Vec<Finding> {
    // (machine, user) -> (display name, trail)
    let mut by_user: BTreeMap<(String, String), (String, Vec<TrailEvent<'_>>)> = BTreeMap::new();
    // Which logs each machine has events in.
    let mut security: BTreeSet<String> = BTreeSet::new();
    let mut lsm: BTreeSet<String> = BTreeSet::new();
    for (_, log) in ev.event_logs() {
        for e in &log.events {
            match crate::evidence::event_source(e) {
                EventSource::Security => {
                    security.insert(machine(e));
                }
                EventSource::LocalSessionManager => {
                    lsm.insert(machine(e));
                }
                _ => {}
            }
        }
    }
    let sources = [
        (EventSource::Security, &[4624, 4625][..]),
        (EventSource::RemoteConnectionManager, &[1149][..]),
        (EventSource::LocalSessionManager, &[21, 22, 25][..]),
    ];
    for (source, ids) in sources {
        for (artifact, e) in ev.events_from(source, ids) {
            let (Some(step), Some(account), Some(millis)) =
                (step_of(e), event_account(e), event_millis(e))
            else {
                continue;
            };
            let entry = by_user
                .entry((machine(e), account.key()))
                .or_insert_with(|| (account.display(), Vec::new()));
            // The most complete spelling of the name (with its domain) wins.
            if account.domain.is_some() {
                entry.0 = account.display();
            }
            entry.1.push(TrailEvent {
                millis,
                step,
                artifact,
                event: e,
            });
        }
    }
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for ((host, _), (name, mut events)) in by_user {
        events.sort_by_key(|t| t.millis);
        let (has_security, has_lsm) = (security.contains(&host), lsm.contains(&host));
        if let Some(f) = last_attempt(&name, &events, has_security, has_lsm) {
            if f.severity == Severity::Info {
                refused.push(f);
            } else {
                out.push(f);
            }
        }
    }
    out.extend(refused_summary(refused));
    out.extend(unauthenticated_connections(ev));
    out
}

/// The users whose last attempt was refused at authentication, told in one finding: RDP014
/// has the details, and a password spray would otherwise make one finding per guessed name.
fn refused_summary(mut refused: Vec<Finding>) -> Option<Finding> {
    if refused.len() <= 1 {
        return refused.pop();
    }
    refused.sort_by(|a, b| b.facts.get("time").cmp(&a.facts.get("time")));
    let lines: Vec<String> = refused.iter().take(10).map(|f| f.message.clone()).collect();
    let users: Vec<&str> = refused
        .iter()
        .filter_map(|f| f.facts.get("user").map(String::as_str))
        .collect();
    let mut f = Finding::new(
        &CHECK,
        format!(
            "{} user(s) last failed at authentication. {}{}",
            refused.len(),
            lines.join(" "),
            if refused.len() > 10 { " And more." } else { "" }
        ),
    )
    .title(format!(
        "The last RDP attempt of {} user(s) stopped at authentication",
        refused.len()
    ))
    .severity(Severity::Info)
    .fact("stage", "authentication-failed")
    .fact("users", users.join(","));
    for r in refused.iter().take(5) {
        f.evidence.extend(r.evidence.last().cloned());
    }
    Some(f)
}

/// The user's last attempt, when it stopped short of a session.
fn last_attempt(
    name: &str,
    events: &[TrailEvent<'_>],
    has_security: bool,
    has_lsm: bool,
) -> Option<Finding> {
    let last = events.last()?;
    // The attempt: the last run of events each within the gap of the one before.
    let gaps = events.windows(2).rev();
    let joined = gaps
        .take_while(|w| matches!(w, [a, b] if b.millis - a.millis <= ATTEMPT_GAP_MS))
        .count();
    let attempt = events.get(events.len() - 1 - joined..).unwrap_or_default();
    let furthest = attempt.iter().map(|t| t.step).max()?;
    if furthest == Step::Session {
        return None;
    }
    let from = event_address(last.event)
        .map(|a| format!(" from {a}"))
        .unwrap_or_default();
    let (stage, severity, told) = if last.step == Step::AuthFailed {
        let why = failure_code(last.event)
            .map(|c| match ntstatus::lookup(c) {
                Some(i) => format!("0x{c:08X}, {}", i.meaning),
                None => format!("0x{c:08X}"),
            })
            .unwrap_or_else(|| "no status".into());
        (
            "authentication-failed",
            Severity::Info,
            format!("the credentials were refused ({why}); see RDP014"),
        )
    } else if furthest == Step::LoggedOn && has_lsm {
        (
            "no-session",
            Severity::Warning,
            "Windows logged the user on (4624) but no session started or reconnected \
             (no LocalSessionManager 21/22/25 followed): the session host failed after logon \
             (licensing, user profile, group policy processing)"
                .to_string(),
        )
    } else if furthest == Step::Authenticated && (has_security || has_lsm) {
        (
            "no-logon",
            Severity::Warning,
            "network-level authentication succeeded (1149) but no logon followed (no 4624 or \
             session): the logon itself was refused after authentication (logon rights, \
             Remote Desktop Users, a session limit) or the client gave up"
                .to_string(),
        )
    } else {
        return None;
    };
    let mut f = Finding::new(
        &CHECK,
        format!(
            "The last RDP attempt of {name}, at {}{from}, stopped there: {told}.",
            last.event.time
        ),
    )
    .title(format!("The last RDP attempt of {name} stopped: {stage}"))
    .severity(severity)
    .fact("user", name)
    .fact("stage", stage)
    .fact("time", &last.event.time);
    if let Some(a) = event_address(last.event) {
        f = f.fact("source", a);
    }
    for t in attempt.iter().rev().take(4).rev() {
        f = f.evidence(EvidenceRef::record(
            t.artifact,
            t.event.record_id,
            summarize_event(t.event),
        ));
    }
    Some(f)
}

/// Addresses whose RDP connections (RdpCoreTS 131, TCP) were never followed by any
/// authentication, success or failure, while the logs that would show one were collected.
fn unauthenticated_connections(ev: &Evidence) -> Option<Finding> {
    // The machines whose Security or RemoteConnectionManager log would show what followed.
    let watched: BTreeSet<String> = ev
        .event_logs()
        .flat_map(|(_, log)| log.events.iter())
        .filter(|e| {
            matches!(
                crate::evidence::event_source(e),
                EventSource::Security | EventSource::RemoteConnectionManager
            )
        })
        .map(machine)
        .collect();
    // When each address authenticated or failed.
    let mut progress: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let sources = [
        (EventSource::Security, &[4624, 4625][..]),
        (EventSource::RemoteConnectionManager, &[1149][..]),
        (EventSource::RdpCoreTs, &[140][..]),
        (EventSource::LocalSessionManager, &[21, 25][..]),
    ];
    for (source, ids) in sources {
        for (_, e) in ev.events_from(source, ids) {
            if let (Some(a), Some(t)) = (event_address(e), event_millis(e)) {
                progress.entry(a).or_default().push(t);
            }
        }
    }
    let mut stuck: BTreeMap<String, Vec<(&str, &Event)>> = BTreeMap::new();
    let mut answered: BTreeMap<String, usize> = BTreeMap::new();
    for (artifact, e) in ev.events_from(EventSource::RdpCoreTs, &[131]) {
        if e.get("ConnType")
            .is_some_and(|c| !c.eq_ignore_ascii_case("TCP"))
        {
            continue;
        }
        let (Some(a), Some(t)) = (event_address(e), event_millis(e)) else {
            continue;
        };
        if !watched.contains(&machine(e)) {
            continue;
        }
        let went_on = progress.get(&a).is_some_and(|ts| {
            ts.iter()
                .any(|p| *p >= t - 5_000 && *p - t <= ATTEMPT_GAP_MS)
        });
        if went_on {
            *answered.entry(a).or_default() += 1;
        } else {
            stuck.entry(a).or_default().push((artifact, e));
        }
    }
    // Only addresses that never got further: one abandoned retry among successes is noise.
    stuck.retain(|a, _| !answered.contains_key(a));
    let mut ranked: Vec<_> = stuck.into_iter().collect();
    ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let (top, top_events) = ranked.first()?;
    let total: usize = ranked.iter().map(|(_, v)| v.len()).sum();
    let lines: Vec<String> = ranked
        .iter()
        .take(5)
        .map(|(a, v)| {
            format!(
                "{a}: {} connection(s), last {}",
                v.len(),
                v.last().map(|(_, e)| e.time.as_str()).unwrap_or("")
            )
        })
        .collect();
    let mut f = Finding::new(
        &CHECK,
        format!(
            "{total} RDP connection(s) reached this machine (RdpCoreTS 131) but never \
             authenticated, neither success nor failure: {}. The client gave up during the \
             TLS/CredSSP handshake: an untrusted or mismatched server certificate, an \
             NLA/CredSSP setting or update mismatch, or a scanner.",
            lines.join("; ")
        ),
    )
    .title(format!(
        "RDP connections from {top} reached the server but never authenticated"
    ))
    .fact("stage", "no-authentication")
    .fact("source", top)
    .fact("count", top_events.len());
    for (artifact, e) in top_events.iter().rev().take(3) {
        f = f.evidence(EvidenceRef::record(
            artifact,
            e.record_id,
            summarize_event(e),
        ));
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::*;

    fn conn(rid: u64, time: &str, ip: &str) -> String {
        event(
            RDPCORETS,
            RDPCORETS_CHANNEL,
            131,
            rid,
            time,
            &[("ConnType", "TCP"), ("ClientIP", ip)],
        )
    }
    fn nla(rid: u64, time: &str, user: &str, ip: &str) -> String {
        user_data_event(
            RCM,
            RCM_CHANNEL,
            1149,
            rid,
            time,
            &[("Param1", user), ("Param2", "CORP"), ("Param3", ip)],
        )
    }
    fn lsm(id: u32, rid: u64, time: &str, user: &str, ip: &str) -> String {
        user_data_event(
            LSM,
            LSM_CHANNEL,
            id,
            rid,
            time,
            &[("User", user), ("SessionID", "3"), ("Address", ip)],
        )
    }
    fn logon(rid: u64, time: &str, user: &str, ip: &str) -> String {
        security_event(
            4624,
            rid,
            time,
            &[
                ("TargetUserName", user),
                ("TargetDomainName", "CORP"),
                ("LogonType", "10"),
                ("IpAddress", ip),
            ],
        )
    }

    #[test]
    fn full_trail_is_silent_and_a_missing_session_is_not() {
        let core = [
            conn(1, "2026-03-01T09:00:00.0000000Z", "10.0.0.5:50100"),
            conn(2, "2026-03-01T09:10:00.0000000Z", "10.0.0.6:50200"),
        ]
        .join("\r\n");
        let rcm = [
            nla(10, "2026-03-01T09:00:02.0000000Z", "jdoe", "10.0.0.5"),
            nla(11, "2026-03-01T09:10:02.0000000Z", "asmith", "10.0.0.6"),
        ]
        .join("\r\n");
        let sec = [
            logon(20, "2026-03-01T09:00:03.0000000Z", "jdoe", "10.0.0.5"),
            logon(21, "2026-03-01T09:10:03.0000000Z", "asmith", "10.0.0.6"),
        ]
        .join("\r\n");
        let lsm_log = [
            lsm(
                21,
                30,
                "2026-03-01T09:00:04.0000000Z",
                "CORP\\jdoe",
                "10.0.0.5",
            ),
            lsm(
                22,
                31,
                "2026-03-01T09:00:05.0000000Z",
                "CORP\\jdoe",
                "10.0.0.5",
            ),
        ]
        .join("\r\n");
        let ev = evidence_from_xml(&[
            ("core.xml", &core),
            ("rcm.xml", &rcm),
            ("sec.xml", &sec),
            ("lsm.xml", &lsm_log),
        ]);
        let out = run(&ev);
        assert_eq!(
            out.len(),
            1,
            "{:?}",
            out.iter().map(|f| &f.title).collect::<Vec<_>>()
        );
        assert_eq!(out[0].facts["user"], "CORP\\asmith");
        assert_eq!(out[0].facts["stage"], "no-session");
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].evidence.len(), 2);
    }

    #[test]
    fn authentication_without_logon_and_abandoned_handshakes() {
        let core = [
            conn(1, "2026-03-01T09:00:00.0000000Z", "10.0.0.5:50100"),
            conn(2, "2026-03-01T09:20:00.0000000Z", "203.0.113.50:40000"),
            conn(3, "2026-03-01T09:21:00.0000000Z", "203.0.113.50:40001"),
        ]
        .join("\r\n");
        let rcm = nla(10, "2026-03-01T09:00:02.0000000Z", "jdoe", "10.0.0.5");
        let sec = security_event(
            4634,
            5,
            "2026-03-01T08:00:00.0000000Z",
            &[("TargetUserName", "x"), ("LogonType", "10")],
        );
        let ev = evidence_from_xml(&[("core.xml", &core), ("rcm.xml", &rcm), ("sec.xml", &sec)]);
        let out = run(&ev);
        let stages: Vec<&str> = out.iter().map(|f| f.facts["stage"].as_str()).collect();
        assert_eq!(stages, ["no-logon", "no-authentication"]);
        assert_eq!(out[1].facts["source"], "203.0.113.50");
        assert_eq!(out[1].facts["count"], "2");
    }

    #[test]
    fn a_failed_last_attempt_is_told_as_info() {
        let sec = [
            logon(1, "2026-03-01T08:00:00.0000000Z", "jdoe", "10.0.0.5"),
            security_event(
                4625,
                2,
                "2026-03-01T09:00:00.0000000Z",
                &[
                    ("TargetUserName", "jdoe"),
                    ("TargetDomainName", "CORP"),
                    ("Status", "0xc000015b"),
                    ("SubStatus", "0x0"),
                    ("LogonType", "10"),
                    ("IpAddress", "10.0.0.5"),
                ],
            ),
        ]
        .join("\r\n");
        let out = run(&evidence_from_xml(&[("sec.xml", &sec)]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Info);
        assert_eq!(out[0].facts["stage"], "authentication-failed");
        assert!(out[0].message.contains("0xC000015B"), "{}", out[0].message);
    }

    #[test]
    fn real_rcm_sample_without_other_logs_is_silent() {
        // 1149 alone: without the Security or session logs nothing says where it stopped.
        let Some(ev) =
            evidence_from_samples(&["mitre__ID1149-RDP_success_logins_to_multiple_hosts.evtx"])
        else {
            return;
        };
        assert!(run(&ev).is_empty());
    }
}

//! RDP062: session time limits, keep-alive and auto-reconnect ("RDP keeps disconnecting").
//!
//! *What it detects.* The Remote Desktop Session Host ends sessions by the clock: an active but
//! idle session after `MaxIdleTime`, any active session after `MaxConnectionTime`, and a
//! disconnected session after `MaxDisconnectionTime` (all in milliseconds; 0 = never). With
//! `fResetBroken` = 1 ("End session when time limits are reached") a limit logs the user off
//! instead of disconnecting them, so unsaved work is lost. The Group Policy values under
//! `Policies\Microsoft\Windows NT\Terminal Services` win; the listener's values under
//! `WinStations\RDP-Tcp` apply only when it overrides the per-user settings
//! (`fInheritMaxIdleTime` / `fInheritMaxSessionTime` / `fInheritMaxDisconnectionTime` /
//! `fInheritResetBroken` = 0; Windows ships them at 1, so the user account's own limits apply).
//! `KeepAliveEnable` / `KeepAliveInterval` (minutes, policy "Configure keep-alive connection
//! interval", locally under the Terminal Server key) make the server probe idle connections, so
//! a NAT device or VPN concentrator does not silently drop a quiet TCP connection;
//! `fDisableAutoReconnect` = 1 (policy "Automatic reconnection" disabled) stops the client from
//! reconnecting by itself after such a drop.
//!
//! *Evidence read.* Those values (policy, RDP-Tcp, Terminal Server key) with the winning GPO from
//! gpresult; without an export of the policy key, the gpresult rows themselves (option values
//! such as "Idle session limit: 15 minutes", "End a disconnected session: 1 minute", read on the
//! real CIS report ../shared/samples/gpresult/HersheyTaichou__GPResult-MS-cis-rdp.html); LocalSessionManager 40 ("Session X has been disconnected, reason code Y", UserData
//! `Session`, `Reason`), counted per reason. The reason codes are the client's
//! `ExtendedDisconnectReasonCode` values (verified: learn.microsoft.com
//! windows/win32/termserv/extendeddisconnectreasoncode, and the TechNet wiki "RDS Session Host
//! Server Disconnect Codes", 37874, which maps LSM 40 to that table): 3 = idle time limit,
//! 4 = active-session (connection) time limit, 5 = replaced by another connection, 11 = the
//! user disconnected, 12 = the user logged off, 0 = no information (client closed or network
//! lost). The event layout was checked on real LocalSessionManager logs (../shared/samples
//! `dfirmuseum__BelkasoftCTF-Win10-…` and `dfirmuseum__StolenSzechuan-Win2012R2-…`: reasons 0,
//! 5, 11, 12).
//!
//! *Severity.* Error when LSM 40 shows sessions ended by a time limit (reason 3 or 4) at least
//! [`REPEATED`] times; warning when a limit in force is short (idle ≤ 30 min, disconnected
//! < 15 min, active ≤ 4 h) or when keep-alive is off and sessions dropped without a reason
//! while a remote client was connected ([`DROPS`] or more); info when limits are set but not
//! short.
//!
//! *Known gaps.* gpresult option values in languages other than English and German are not read. Per-user limits (the account's Sessions tab in Active Directory) are not
//! collected: with the listener inheriting them, only LSM 40 reasons 3/4 show them at work. A
//! "drop" is an LSM 40 reason 0 within two seconds of an LSM 24 for the same session whose
//! client address is remote; a user closing the client window looks the same.
//!
//! *Fixture.* `fixtures/session-time-limits`.

use super::support::{self, event_ref, Setting};
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{
    event_millis, is_loopback, EventSource, Evidence, RDP_TCP_KEY, TERMINAL_SERVER_KEY,
    TS_POLICY_KEY,
};
use crate::parse::evtx::Event;
use crate::parse::gpresult::PolicyState;
use crate::parse::identify::Kind;
use std::collections::{BTreeMap, HashMap};

pub static CHECK: Check = Check {
    id: "RDP062",
    name: "session-time-limits",
    severity: Severity::Warning,
    title: "Session time limits end or disconnect RDP sessions",
    explanation: "Remote Desktop ends sessions by the clock: an idle session after the idle \
                  limit, any session after the active-session limit, a disconnected session \
                  after the disconnected-session limit (logged off instead of disconnected when \
                  'End session when time limits are reached' is on). Without keep-alive a NAT \
                  device or VPN drops quiet connections, and with auto-reconnect off the client \
                  does not come back by itself. Users report this as 'RDP keeps disconnecting'.",
    remediation: "Lengthen or remove the limits: Computer Configuration > Administrative \
                  Templates > Windows Components > Remote Desktop Services > Remote Desktop \
                  Session Host > Session Time Limits (set them in the GPO named as winning GPO; \
                  a local change is overwritten at the next policy refresh), or under \
                  HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp \
                  (MaxIdleTime, MaxConnectionTime, MaxDisconnectionTime in milliseconds, 0 = \
                  never). Behind NAT or VPN enable 'Configure keep-alive connection interval' \
                  (Connections, 1 minute) and leave 'Automatic reconnection' enabled.",
    needs: &[
        Kind::Registry,
        Kind::RegistryHive,
        Kind::Gpresult,
        Kind::GpresultXml,
        Kind::Evtx,
        Kind::EventXml,
    ],
    fixture: "fixtures/session-time-limits",
    requires: Some(missing),
    run,
};

const IDLE_POLICY: &[&str] = &[
    "Set time limit for active but idle Remote Desktop Services sessions",
    "Set time limit for active but idle Terminal Services sessions",
];
const DISCONNECTED_POLICY: &[&str] = &["Set time limit for disconnected sessions"];
const ACTIVE_POLICY: &[&str] = &[
    "Set time limit for active Remote Desktop Services sessions",
    "Set time limit for active Terminal Services sessions",
];
const END_POLICY: &[&str] = &[
    "End session when time limits are reached",
    "Terminate session when time limits are reached",
];
const KEEPALIVE_POLICY: &[&str] = &["Configure keep-alive connection interval"];
const RECONNECT_POLICY: &[&str] = &["Automatic reconnection"];

/// Sessions ended by a time limit this many times make an error.
pub const REPEATED: usize = 2;
/// Unexplained drops of remote sessions, with keep-alive off, that make a warning.
pub const DROPS: usize = 3;

/// One time limit: its value name, the listener's inherit flag, the policy, what it limits,
/// and the largest value (minutes) called short.
struct LimitSpec {
    value: &'static str,
    inherit: &'static str,
    policy: &'static [&'static str],
    what: &'static str,
    fact: &'static str,
    short_minutes: u64,
}

const LIMITS: &[LimitSpec] = &[
    LimitSpec {
        value: "MaxIdleTime",
        inherit: "fInheritMaxIdleTime",
        policy: IDLE_POLICY,
        what: "idle sessions end after",
        fact: "max_idle_minutes",
        short_minutes: 30,
    },
    LimitSpec {
        value: "MaxDisconnectionTime",
        inherit: "fInheritMaxDisconnectionTime",
        policy: DISCONNECTED_POLICY,
        what: "disconnected sessions are logged off after",
        fact: "max_disconnection_minutes",
        short_minutes: 14,
    },
    LimitSpec {
        value: "MaxConnectionTime",
        inherit: "fInheritMaxSessionTime",
        policy: ACTIVE_POLICY,
        what: "active sessions end after",
        fact: "max_connection_minutes",
        short_minutes: 240,
    },
];

/// The meaning of an LSM 40 reason code (`ExtendedDisconnectReasonCode`).
pub fn reason_text(code: u32) -> &'static str {
    match code {
        0 => "no information (client closed or connection lost)",
        1 => "disconnected by an application or administrator",
        2 => "logged off by an application or administrator",
        3 => "idle time limit reached",
        4 => "active-session time limit reached",
        5 => "replaced by another connection",
        6 => "out of memory",
        7 => "server denied the connection",
        8 | 9 => "server denied the connection for security reasons",
        10 => "fresh credentials required",
        11 => "disconnected by the user",
        12 => "logged off by the user",
        256..=267 => "licensing error",
        _ => "other",
    }
}

/// A listener value in force: the policy's, or RDP-Tcp's when the listener overrides the
/// per-user setting (`inherit` = 0).
fn listener_setting<'a>(
    ev: &'a Evidence,
    name: &'static str,
    inherit: &str,
    policy: &[&str],
) -> Option<Setting<'a>> {
    let s = support::ts_setting(ev, name, RDP_TCP_KEY, policy)?;
    if s.from_policy {
        return Some(s);
    }
    let overrides = ev
        .reg_value(RDP_TCP_KEY, inherit)
        .and_then(|h| h.value.data.as_u32())
        == Some(0);
    overrides.then_some(s)
}

fn minutes(ms: u32) -> u64 {
    u64::from(ms).div_ceil(60_000)
}

fn human_minutes(m: u64) -> String {
    if m >= 120 && m.is_multiple_of(60) {
        format!("{} hours", m / 60)
    } else if m == 1 {
        "1 minute".into()
    } else {
        format!("{m} minutes")
    }
}

/// A time-limit option as gpresult shows it, in minutes: `15 minutes`, `1 hour`, `2 days`;
/// `Never` is 0. German reports (`15 Minuten`, `2 Stunden`, `1 Tag`, `Nie`) read too; other
/// languages do not.
fn option_minutes(value: &str) -> Option<u64> {
    let v = value.trim().to_ascii_lowercase();
    if v == "never" || v == "nie" {
        return Some(0);
    }
    let mut words = v.split_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    let unit = words.next()?;
    let per = if unit.starts_with("minute") {
        1
    } else if unit.starts_with("hour") || unit.starts_with("stunde") {
        60
    } else if unit.starts_with("day") || unit.starts_with("tag") {
        1440
    } else {
        return None;
    };
    n.checked_mul(per)
}

/// The policy `names` when gpresult shows it Enabled: its winning GPO and row.
fn enabled_in_gpresult(ev: &Evidence, names: &[&str]) -> Option<(String, EvidenceRef)> {
    let enabled = ev.gpresult.iter().any(|g| {
        g.value
            .find_policy(names)
            .is_some_and(|p| p.state == PolicyState::Enabled)
    });
    enabled.then(|| support::policy_gpo(ev, names)).flatten()
}

/// A time limit from gpresult (when no export of the policy key was read): minutes, the
/// winning GPO and its row.
fn gpresult_limit(ev: &Evidence, names: &[&str]) -> Option<(u64, String, EvidenceRef)> {
    let m = ev.gpresult.iter().find_map(|g| {
        let p = g.value.find_policy(names)?;
        if p.state != PolicyState::Enabled {
            return None;
        }
        p.options.iter().find_map(|(_, v)| option_minutes(v))
    })?;
    let (gpo, r) = enabled_in_gpresult(ev, names)?;
    Some((m, gpo, r))
}

/// LSM 40 events with their reason code.
fn disconnects(ev: &Evidence) -> Vec<(&str, &Event, u32)> {
    ev.events_from(EventSource::LocalSessionManager, &[40])
        .into_iter()
        .filter_map(|(a, e)| {
            let code = e.get("Reason")?.trim().parse().ok()?;
            Some((a, e, code))
        })
        .collect()
}

/// Reason-0 disconnects of a session whose client was remote (an LSM 24 of the same session
/// within two seconds with a remote address).
fn drops<'a>(ev: &'a Evidence, list: &[(&'a str, &'a Event, u32)]) -> Vec<(&'a str, &'a Event)> {
    // The times of the LSM 24s with a remote client, by session, read once for all the 40s.
    let mut remote_24: HashMap<&str, Vec<i64>> = HashMap::new();
    for (_, d) in ev.events_from(EventSource::LocalSessionManager, &[24]) {
        let remote = d.get("Address").is_some_and(|a| {
            let a = a.trim();
            !a.is_empty() && !a.eq_ignore_ascii_case("LOCAL") && !is_loopback(a)
        });
        if let (true, Some(session), Some(dt)) = (remote, d.get("SessionID"), event_millis(d)) {
            remote_24.entry(session.trim()).or_default().push(dt);
        }
    }
    list.iter()
        .filter(|(_, _, code)| *code == 0)
        .filter(|(_, e, _)| {
            let (Some(t), Some(session)) = (event_millis(e), e.get("Session")) else {
                return false;
            };
            remote_24
                .get(session.trim())
                .is_some_and(|times| times.iter().any(|dt| (dt - t).abs() <= 2_000))
        })
        .map(|(a, e, _)| (*a, *e))
        .collect()
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut severity: Option<Severity> = None;
    let raise = |severity: &mut Option<Severity>, s: Severity| {
        *severity = Some(severity.map_or(s, |cur| cur.min(s)));
    };
    let mut parts = Vec::new();
    let mut facts: Vec<(&str, String)> = Vec::new();
    let mut refs = Vec::new();
    let mut gpos = Vec::new();
    let mut short = Vec::new();

    // gpresult stands in for the policy key only when no export of that key was read.
    let policy_key_read = ev.reg_covers(TS_POLICY_KEY);
    for spec in LIMITS {
        let (m, source, gpo, these_refs) =
            match listener_setting(ev, spec.value, spec.inherit, spec.policy) {
                Some(s) if s.value == 0 => continue,
                Some(s) => (
                    minutes(s.value),
                    s.describe(),
                    s.gpo.as_ref().map(|(g, _)| g.clone()),
                    s.refs(),
                ),
                None if !policy_key_read => match gpresult_limit(ev, spec.policy) {
                    Some((m, gpo, r)) if m > 0 => (
                        m,
                        format!("Group Policy '{gpo}', as gpresult reports it"),
                        Some(gpo),
                        vec![r],
                    ),
                    _ => continue,
                },
                None => continue,
            };
        let is_short = m <= spec.short_minutes;
        parts.push(format!(
            "{} {}{} ({source})",
            spec.what,
            human_minutes(m),
            if is_short { ", which is short" } else { "" },
        ));
        if is_short {
            short.push(format!("{} {}", spec.value, human_minutes(m)));
            raise(&mut severity, Severity::Warning);
        } else {
            raise(&mut severity, Severity::Info);
        }
        facts.push((spec.fact, m.to_string()));
        gpos.extend(gpo);
        refs.extend(these_refs);
    }
    let limits_set = !facts.is_empty();
    let reset_broken = match listener_setting(ev, "fResetBroken", "fInheritResetBroken", END_POLICY)
    {
        Some(s) => Some((s.value == 1, s.describe(), s.refs())),
        None if !policy_key_read => enabled_in_gpresult(ev, END_POLICY)
            .map(|(gpo, r)| (true, format!("Group Policy '{gpo}', as gpresult reports it"), vec![r])),
        None => None,
    };
    if let Some((on, source, these_refs)) = reset_broken {
        facts.push(("reset_broken", on.to_string()));
        if on && limits_set {
            parts.push(format!(
                "a limit logs the user off instead of disconnecting them, so unsaved work is \
                 lost ({source})"
            ));
            refs.extend(these_refs);
        }
    }

    // Keep-alive (policy or the Terminal Server key) and auto-reconnect.
    let keep_alive =
        support::ts_setting(ev, "KeepAliveEnable", TERMINAL_SERVER_KEY, KEEPALIVE_POLICY);
    let keep_alive_on = match &keep_alive {
        Some(s) => Some(s.value == 1),
        None if ev.reg_covers(TERMINAL_SERVER_KEY) => Some(false),
        None => None,
    };
    if let Some(on) = keep_alive_on {
        facts.push(("keep_alive", on.to_string()));
    }
    let reconnect =
        support::ts_setting(ev, "fDisableAutoReconnect", RDP_TCP_KEY, RECONNECT_POLICY);
    let reconnect_off = reconnect.as_ref().is_some_and(|s| s.value == 1);
    if reconnect.is_some() || ev.reg_covers(RDP_TCP_KEY) {
        facts.push(("auto_reconnect", (!reconnect_off).to_string()));
    }

    // LSM 40 reasons.
    let list = disconnects(ev);
    let mut by_reason: BTreeMap<u32, usize> = BTreeMap::new();
    for (_, _, code) in &list {
        *by_reason.entry(*code).or_default() += 1;
    }
    if !by_reason.is_empty() {
        let counts: Vec<String> = by_reason
            .iter()
            .map(|(c, n)| format!("{n} × reason {c} ({})", reason_text(*c)))
            .collect();
        facts.push(("disconnects_by_reason", counts.join("; ")));
    }
    let limited: Vec<&(&str, &Event, u32)> = list
        .iter()
        .filter(|(_, _, c)| matches!(c, 3 | 4))
        .collect();
    facts.push(("ended_by_time_limit", limited.len().to_string()));
    if limited.len() >= REPEATED {
        raise(&mut severity, Severity::Error);
        parts.push(format!(
            "LocalSessionManager logged {} session(s) disconnected by a time limit (reason 3 \
             idle, 4 active-session limit), the last at {}",
            limited.len(),
            limited.last().map(|(_, e, _)| e.time.as_str()).unwrap_or("")
        ));
        for (a, e, c) in limited.iter().rev().take(5) {
            refs.push(event_ref(a, e, reason_text(*c)));
        }
    } else if let Some((a, e, c)) = limited.first() {
        parts.push(format!(
            "one session was disconnected by a time limit at {}",
            e.time
        ));
        refs.push(event_ref(a, e, reason_text(*c)));
        raise(&mut severity, Severity::Info);
    }
    let dropped = drops(ev, &list);
    if !dropped.is_empty() {
        facts.push(("dropped_remote_sessions", dropped.len().to_string()));
    }
    if keep_alive_on == Some(false) && dropped.len() >= DROPS {
        raise(&mut severity, Severity::Warning);
        parts.push(format!(
            "keep-alive is off{} and {} remote session(s) dropped without a reason (LSM 40 \
             reason 0 with the client's address), as when a NAT device or VPN ends a quiet \
             connection{}",
            keep_alive
                .as_ref()
                .map(|s| format!(" ({})", s.describe()))
                .unwrap_or_else(|| " (KeepAliveEnable not set)".into()),
            dropped.len(),
            if reconnect_off {
                ", and auto-reconnect is disabled so the client does not come back by itself"
            } else {
                ""
            }
        ));
        if let Some(s) = &keep_alive {
            refs.extend(s.refs());
        }
        for (a, e) in dropped.iter().rev().take(3) {
            refs.push(event_ref(a, e, reason_text(0)));
        }
    }
    if reconnect_off {
        if let Some(s) = &reconnect {
            parts.push(format!("automatic reconnection is disabled ({})", s.describe()));
            refs.extend(s.refs());
            if let Some((g, _)) = &s.gpo {
                gpos.push(g.clone());
            }
            raise(&mut severity, if dropped.is_empty() {
                Severity::Info
            } else {
                Severity::Warning
            });
        }
    }

    let Some(severity) = severity else {
        return Vec::new();
    };
    let title = match severity {
        Severity::Error => "Sessions are repeatedly ended by Remote Desktop time limits".into(),
        Severity::Warning if !short.is_empty() => {
            format!("Short Remote Desktop session time limit: {}", short.join(", "))
        }
        Severity::Warning => "Keep-alive is off and remote sessions keep dropping".into(),
        Severity::Info => "Remote Desktop session time limits are set".into(),
    };
    let mut f = Finding::new(&CHECK, format!("{}.", support::capitalize(&parts.join("; "))))
        .severity(severity)
        .title(title);
    for (k, v) in facts {
        f = f.fact(k, v);
    }
    gpos.dedup();
    if let Some(g) = gpos.first() {
        f = f.fact("winning_gpo", g);
    }
    f.evidence.extend(refs);
    vec![f]
}

/// Not evaluated without the listener's key, the policy key, a gpresult row of the time limits
/// and LocalSessionManager events.
fn missing(ev: &Evidence) -> Option<String> {
    let in_gpresult = ev.gpresult.iter().any(|g| {
        LIMITS
            .iter()
            .any(|l| g.value.find_policy(l.policy).is_some())
    });
    if ev.reg_covers(RDP_TCP_KEY)
        || ev.reg_covers(TS_POLICY_KEY)
        || in_gpresult
        || ev.has_events_from(EventSource::LocalSessionManager)
    {
        return None;
    }
    support::missing_key(ev, RDP_TCP_KEY, "registry/terminal-server.reg")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{evidence_from_xml, user_data_event, LSM, LSM_CHANNEL};

    fn lsm40(rid: u64, time: &str, session: &str, reason: &str) -> String {
        user_data_event(
            LSM,
            LSM_CHANNEL,
            40,
            rid,
            time,
            &[("Session", session), ("Reason", reason)],
        )
    }

    fn lsm24(rid: u64, time: &str, session: &str, address: &str) -> String {
        user_data_event(
            LSM,
            LSM_CHANNEL,
            24,
            rid,
            time,
            &[
                ("User", r"CORP\alice"),
                ("SessionID", session),
                ("Address", address),
            ],
        )
    }

    const POLICY_REG: &str = "Windows Registry Editor Version 5.00\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\r\n\
\"MaxIdleTime\"=dword:000dbba0\r\n\
\"MaxDisconnectionTime\"=dword:0036ee80\r\n\
\"fResetBroken\"=dword:00000001\r\n\r\n";

    #[test]
    fn reasons_follow_the_extended_disconnect_reason_table() {
        assert_eq!(reason_text(3), "idle time limit reached");
        assert_eq!(reason_text(4), "active-session time limit reached");
        assert_eq!(reason_text(11), "disconnected by the user");
        assert_eq!(reason_text(12), "logged off by the user");
        assert_eq!(reason_text(99), "other");
    }

    #[test]
    fn short_idle_limit_by_policy_is_a_warning() {
        let ev = evidence_from_xml(&[("registry/terminal-services-policies.reg", POLICY_REG)]);
        let f = run(&ev);
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.facts["max_idle_minutes"], "15");
        assert_eq!(f.facts["max_disconnection_minutes"], "60");
        assert_eq!(f.facts["reset_broken"], "true");
        assert!(f.title.contains("MaxIdleTime 15 minutes"), "{}", f.title);
        assert!(f.message.contains("logs the user off"), "{}", f.message);
    }

    #[test]
    fn listener_values_count_only_when_they_override_the_user_settings() {
        let reg = |inherit: u32| {
            format!(
                "Windows Registry Editor Version 5.00\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp]\r\n\
\"fInheritMaxIdleTime\"=dword:{inherit:08x}\r\n\
\"MaxIdleTime\"=dword:000927c0\r\n\r\n"
            )
        };
        let inherited = evidence_from_xml(&[("registry/terminal-server.reg", &reg(1))]);
        assert!(run(&inherited).is_empty());
        let own = evidence_from_xml(&[("registry/terminal-server.reg", &reg(0))]);
        let f = run(&own);
        assert_eq!(f[0].facts["max_idle_minutes"], "10");
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn repeated_time_limit_disconnects_are_an_error_and_counted_per_reason() {
        let events = [
            lsm40(1, "2026-03-01T09:15:00.000Z", "2", "3"),
            lsm40(2, "2026-03-01T11:40:00.000Z", "3", "3"),
            lsm40(3, "2026-03-01T12:00:00.000Z", "3", "11"),
        ]
        .join("\n");
        let ev = evidence_from_xml(&[("events/lsm.xml", &events)]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.facts["ended_by_time_limit"], "2");
        assert_eq!(
            f.facts["disconnects_by_reason"],
            "2 × reason 3 (idle time limit reached); 1 × reason 11 (disconnected by the user)"
        );
    }

    #[test]
    fn ordinary_disconnects_alone_say_nothing() {
        // As on the real Belkasoft log: reasons 0, 5, 11 and 12 around local logons.
        let events = [
            lsm40(1, "2026-03-01T09:15:00.000Z", "1", "11"),
            lsm24(2, "2026-03-01T09:15:00.000Z", "1", "LOCAL"),
            lsm40(3, "2026-03-01T10:00:00.000Z", "2", "0"),
            lsm40(4, "2026-03-01T10:00:00.000Z", "1", "5"),
            lsm40(5, "2026-03-01T11:00:00.000Z", "1", "12"),
        ]
        .join("\n");
        let ev = evidence_from_xml(&[("events/lsm.xml", &events)]);
        assert!(run(&ev).is_empty());
    }

    #[test]
    fn drops_without_keep_alive_are_a_warning() {
        let mut events = Vec::new();
        for i in 0..3u64 {
            let t = format!("2026-03-01T1{i}:20:00.000Z");
            events.push(lsm40(10 + i * 2, &t, "4", "0"));
            events.push(lsm24(11 + i * 2, &t, "4", "203.0.113.50"));
        }
        let ts = "Windows Registry Editor Version 5.00\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server]\r\n\
\"fDenyTSConnections\"=dword:00000000\r\n\r\n";
        let ev = evidence_from_xml(&[
            ("events/lsm.xml", &events.join("\n")),
            ("registry/terminal-server.reg", ts),
        ]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.facts["keep_alive"], "false");
        assert_eq!(f.facts["dropped_remote_sessions"], "3");
        assert!(f.title.contains("Keep-alive"), "{}", f.title);
    }

    #[test]
    fn gpresult_options_read_as_minutes() {
        assert_eq!(option_minutes("15 minutes"), Some(15));
        assert_eq!(option_minutes("1 minute"), Some(1));
        assert_eq!(option_minutes("2 hours"), Some(120));
        assert_eq!(option_minutes("1 day"), Some(1440));
        assert_eq!(option_minutes("Never"), Some(0));
        assert_eq!(option_minutes("15 Minuten"), Some(15));
        assert_eq!(option_minutes("2 Stunden"), Some(120));
        assert_eq!(option_minutes("1 Tag"), Some(1440));
        assert_eq!(option_minutes("2 heures"), None);
        assert_eq!(option_minutes("Idle session limit:"), None);
    }

    /// The real CIS report: idle 15 minutes and disconnected 1 minute, read from gpresult alone.
    #[test]
    fn real_cis_gpresult_limits_are_short() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/samples/gpresult/HersheyTaichou__GPResult-MS-cis-rdp.html"
        );
        let Ok(bytes) = std::fs::read(path) else {
            eprintln!("SKIPPED: ../shared/samples absent ({path})");
            return;
        };
        let ev = crate::evidence::Evidence::build(crate::bundle::Bundle {
            source: "sample".into(),
            manifest: None,
            files: vec![crate::bundle::InputFile::in_memory(
                "gpresult/gpresult.html",
                bytes,
            )],
            ..crate::bundle::Bundle::default()
        });
        assert!(missing(&ev).is_none());
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Warning, "{}", f.message);
        assert_eq!(f.facts["max_idle_minutes"], "15");
        assert_eq!(f.facts["max_disconnection_minutes"], "1");
        assert!(f.message.contains("as gpresult reports it"), "{}", f.message);
    }

    /// Real LocalSessionManager logs: ordinary disconnects (reasons 0, 5, 11, 12) and no time
    /// limit; nothing to report without registry evidence.
    #[test]
    fn real_lsm_logs_stay_quiet() {
        for name in [
            "dfirmuseum__BelkasoftCTF-Win10-LocalSessionManager-Operational.evtx",
            "dfirmuseum__StolenSzechuan-Win2012R2-LocalSessionManager-Operational.evtx",
        ] {
            let Some(ev) = crate::evidence::testing::evidence_from_samples(&[name]) else {
                return;
            };
            let list = disconnects(&ev);
            assert!(!list.is_empty(), "{name}: no LSM 40 read");
            assert!(list.iter().all(|(_, _, c)| matches!(c, 0 | 5 | 11 | 12)));
            assert!(run(&ev).is_empty(), "{name}");
        }
    }
}

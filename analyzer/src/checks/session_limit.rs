//! RDP028: the listener's connection limit is reached (or set to refuse connections).
//!
//! `MaxInstanceCount` (RDP-Tcp, or the policy "Limit number of connections", which wins) caps the
//! number of simultaneous RDP sessions; 0xFFFFFFFF (policy: 999999) means unlimited. When the
//! sessions on the machine (active or disconnected) reach it, new clients are told the server has
//! reached its maximum number of connections. `fSingleSessionPerUser` (default 1) makes a user's
//! second connection take over their existing session instead of counting again, and a client
//! edition of Windows allows one interactive session at a time whatever the limit.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, SessionState, RDP_TCP_KEY, TERMINAL_SERVER_KEY};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP028",
    name: "session-limit",
    severity: Severity::Error,
    title: "The RDP connection limit is reached",
    explanation: "MaxInstanceCount limits the simultaneous Remote Desktop sessions. The sessions \
                  qwinsta lists (active and disconnected) reach that limit, so new connections \
                  are refused.",
    remediation: "Log off disconnected sessions (`logoff <ID>`, or set time limits for \
                  disconnected sessions by policy), or raise the limit: policy 'Limit number of \
                  connections' (Computer Configuration > Administrative Templates > Windows \
                  Components > Remote Desktop Services > Remote Desktop Session Host > \
                  Connections; 999999 = unlimited) or MaxInstanceCount = 0xFFFFFFFF under \
                  HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp.",
    needs: &[Kind::Registry],
    fixture: "fixtures/session-limit",
    requires: Some(missing),
    run,
};

const LIMIT_POLICY: &[&str] = &["Limit number of connections"];
const SINGLE_POLICY: &[&str] =
    &["Restrict Remote Desktop Services users to a single Remote Desktop Services session"];

fn run(ev: &Evidence) -> Vec<Finding> {
    let Some(limit) = support::ts_setting(ev, "MaxInstanceCount", RDP_TCP_KEY, LIMIT_POLICY) else {
        return Vec::new();
    };
    let unlimited = limit.value == u32::MAX || (limit.from_policy && limit.value >= 999_999);
    if unlimited {
        return Vec::new();
    }
    // User sessions: everything qwinsta lists except services (0), the console and listeners.
    let mut sessions = Vec::new();
    for q in &ev.qwinsta {
        for s in &q.value.sessions {
            let listener = s.state == SessionState::Listen || s.id.is_some_and(|i| i >= 65536);
            let console = s.name.as_deref().is_some_and(|n| {
                n.eq_ignore_ascii_case("console") || n.eq_ignore_ascii_case("services")
            });
            let remote = s
                .name
                .as_deref()
                .is_some_and(|n| n.to_ascii_lowercase().starts_with("rdp-tcp#"));
            let disconnected = s.state == SessionState::Disconnected && s.user.is_some();
            if !listener && !console && s.id != Some(0) && (remote || disconnected) {
                sessions.push((q.artifact.as_str(), s));
            }
        }
    }
    let single = support::ts_setting(
        ev,
        "fSingleSessionPerUser",
        TERMINAL_SERVER_KEY,
        SINGLE_POLICY,
    );
    let reached = !ev.qwinsta.is_empty() && sessions.len() as u64 >= u64::from(limit.value);
    let mut msg = format!(
        "{}: at most {} simultaneous Remote Desktop session(s).",
        limit.describe(),
        limit.value
    );
    if !ev.qwinsta.is_empty() {
        msg.push_str(&format!(
            " qwinsta lists {} remote session(s){}.",
            sessions.len(),
            if reached {
                ", so the limit is reached and new connections are refused"
            } else {
                ""
            }
        ));
    }
    if let Some(s) = &single {
        msg.push_str(&format!(
            " {}: {}.",
            s.describe(),
            if s.value == 0 {
                "a user's every new connection opens another session and counts against the limit"
            } else {
                "a user reconnecting takes over their own session"
            }
        ));
    }
    let client = ev
        .manifest
        .as_ref()
        .and_then(|m| m.os.installation_type.as_deref())
        .is_some_and(|t| t.eq_ignore_ascii_case("Client"));
    if client {
        msg.push_str(
            " (This client edition of Windows allows one interactive session at a time anyway.)",
        );
    }
    let mut f = Finding::new(&CHECK, msg)
        .fact("limit", limit.value)
        .fact("sessions", sessions.len())
        .fact("reached", reached);
    if !reached {
        f = f
            .severity(Severity::Info)
            .title(format!("RDP connections are limited to {}", limit.value));
    }
    if let Some((g, _)) = &limit.gpo {
        f = f.fact("winning_gpo", g);
    }
    f.evidence.extend(limit.refs());
    for (a, s) in sessions.iter().take(5) {
        f = f.evidence(EvidenceRef::line(
            a,
            s.line,
            format!(
                "{} {} ID {} {:?}",
                s.name.as_deref().unwrap_or(""),
                s.user.as_deref().unwrap_or(""),
                s.id.map(|i| i.to_string()).unwrap_or_default(),
                s.state
            ),
        ));
    }
    vec![f]
}

/// Not evaluated without the RDP-Tcp key.
fn missing(ev: &Evidence) -> Option<String> {
    support::missing_key(ev, RDP_TCP_KEY, "registry/terminal-server.reg")
}

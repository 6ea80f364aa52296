//! RDP032: RDP's UDP transport is not available, so sessions fall back to TCP.
//!
//! Since RDP 8 the listener also binds UDP on its port and clients move the session to UDP for
//! better latency. Policy "Select RDP transport protocols" (`SelectTransport` = 1: TCP only)
//! turns it off on purpose; otherwise a firewall without the "Remote Desktop - User Mode
//! (UDP-In)" rule, or a listener that did not bind UDP, leaves clients waiting for UDP before they
//! fall back to TCP. Connections still work, but slower, which users report as "RDP is slow" or
//! as freezes over VPNs. This is information, not a failure.

use super::firewall_blocks_rdp::active_blocking_profiles;
use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, TS_POLICY_KEY};
use crate::parse::identify::Kind;
use crate::parse::netsh_rules::{Action, Direction};

pub static CHECK: Check = Check {
    id: "RDP032",
    name: "udp-transport-unavailable",
    severity: Severity::Info,
    title: "RDP over UDP is not available; sessions use TCP only",
    explanation: "The RDP listener is reachable over TCP but not over UDP (not bound, blocked by \
                  the firewall, or turned off by policy). Clients fall back to TCP: slower, \
                  especially over high-latency links.",
    remediation: "If UDP should be used: set 'Select RDP transport protocols' to 'Use both UDP \
                  and TCP' (or Not configured), enable the 'Remote Desktop - User Mode (UDP-In)' \
                  firewall rule (`netsh advfirewall firewall set rule name=\"Remote Desktop - User \
                  Mode (UDP-In)\" new enable=Yes`), and restart TermService.",
    needs: &[Kind::Netstat, Kind::FirewallRules, Kind::Registry],
    fixture: "fixtures/udp-transport",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let (port, _) = ev.rdp_port();
    let mut reasons = Vec::new();
    let mut refs = Vec::new();
    if let Some(h) = ev.reg_value(TS_POLICY_KEY, "SelectTransport") {
        if h.value.data.as_u32() == Some(1) {
            reasons.push("policy 'Select RDP transport protocols' is 'Use only TCP'".to_string());
            refs.push(support::reg_ref(&h));
            if let Some((_, r)) = support::policy_gpo(ev, &["Select RDP transport protocols"]) {
                refs.push(r);
            }
        }
    }
    for n in &ev.netstat {
        if n.value.tcp_listeners(port).is_empty() {
            return Vec::new(); // nothing listens at all: RDP007's business
        }
        if n.value.udp_bound(port).is_empty() {
            reasons.push(format!("netstat shows no UDP socket on port {port}"));
            refs.push(EvidenceRef::file(
                &n.artifact,
                format!("TCP {port} LISTENING, no UDP {port}"),
            ));
        }
    }
    let rules: Vec<_> = ev
        .firewall_rules
        .iter()
        .flat_map(|l| l.value.rules.iter().map(move |r| (l.artifact.as_str(), r)))
        .collect();
    if !rules.is_empty() {
        let (active, _, _) = active_blocking_profiles(ev);
        let udp_ok = |profile: &str| {
            rules.iter().any(|(_, r)| {
                r.enabled
                    && r.direction == Direction::In
                    && r.action == Action::Allow
                    && r.protocol.eq_ignore_ascii_case("UDP")
                    && r.local_port.as_deref().is_some_and(|p| {
                        p.eq_ignore_ascii_case("Any")
                            || p.split(',').any(|x| x.trim() == port.to_string())
                    })
                    && r.profiles.iter().any(|p| p.eq_ignore_ascii_case(profile))
            })
        };
        let blocked: Vec<&String> = active.iter().filter(|p| !udp_ok(p)).collect();
        if !blocked.is_empty() {
            reasons.push(format!(
                "no enabled firewall rule allows UDP {port} on the {} profile(s)",
                blocked
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            for (a, r) in rules.iter().filter(|(_, r)| {
                r.protocol.eq_ignore_ascii_case("UDP") && super::firewall_blocks_rdp::is_rdp_rule(r)
            }) {
                refs.push(super::firewall_blocks_rdp::rule_ref(a, r));
            }
        }
    }
    if reasons.is_empty() {
        return Vec::new();
    }
    let mut f = Finding::new(
        &CHECK,
        format!(
            "RDP over UDP {port} is not available: {}. Clients fall back to TCP.",
            reasons.join("; ")
        ),
    )
    .fact("port", port);
    f.evidence = refs;
    vec![f]
}

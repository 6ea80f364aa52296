//! RDP009: Windows Firewall blocks the RDP port on an active profile.
//!
//! With a profile ON and inbound traffic blocked by default (the Windows default), the port is
//! only reachable if an enabled inbound Allow rule covers TCP on that port for that profile. The
//! usual culprits: the built-in "Remote Desktop - User Mode (TCP-In)" rule is disabled, enabled
//! only for Domain while the NIC is on a Public network, still on 3389 after the port was moved,
//! or an enabled Block rule (which beats every Allow rule).

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;
use crate::parse::netsh_rules::{Action, Direction, FirewallRule};

pub static CHECK: Check = Check {
    id: "RDP009",
    name: "firewall-blocks-rdp",
    severity: Severity::Error,
    title: "Windows Firewall blocks inbound RDP",
    explanation: "For at least one firewall profile that is on, no enabled inbound Allow rule \
                  covers TCP on the RDP port (or an enabled Block rule does). Connections time out \
                  from the client's side.",
    remediation: "Enable the built-in rules: `netsh advfirewall firewall set rule group=\"remote \
                  desktop\" new enable=Yes` (or Windows Defender Firewall > Allow an app > Remote \
                  Desktop, ticking the network types in use). If RDP uses another port, add an \
                  inbound rule for it: `netsh advfirewall firewall add rule name=\"RDP custom port\" \
                  dir=in action=allow protocol=TCP localport=PORT`. Remove or narrow any Block rule \
                  listed below. If the rules come from Group Policy, change them in the GPO.",
    needs: &[Kind::FirewallRules],
    fixture: "fixtures/firewall-rule-disabled",
    requires: None,
    run,
};

const PROFILES: [&str; 3] = ["Domain", "Private", "Public"];

/// Localized names of the built-in Remote Desktop rule group, to explain what is wrong with it.
const RDP_RULE_MARKERS: &[&str] = &[
    "remote desktop",
    "remotedesktop",
    "bureau à distance",
    "escritorio remoto",
    "リモート デスクトップ",
    "远程桌面",
    "@firewallapi.dll,-28752",
];

pub fn is_rdp_rule(r: &FirewallRule) -> bool {
    let hay = format!("{} {}", r.name, r.grouping.as_deref().unwrap_or("")).to_lowercase();
    RDP_RULE_MARKERS.iter().any(|m| hay.contains(m))
}

pub fn allows_port(r: &FirewallRule, port: u16, profile: &str) -> bool {
    r.enabled
        && r.direction == Direction::In
        && r.action == Action::Allow
        && r.applies_to_tcp_port(port)
        && r.profiles.iter().any(|p| p.eq_ignore_ascii_case(profile))
}

fn blocks_port(r: &FirewallRule, port: u16, profile: &str) -> bool {
    r.enabled
        && r.direction == Direction::In
        && r.action == Action::Block
        && r.applies_to_tcp_port(port)
        && r.profiles.iter().any(|p| p.eq_ignore_ascii_case(profile))
}

/// Profiles that are on and block inbound by default, with the evidence for each; `None` for
/// the state when no profile output was collected (then all three are assumed on).
pub fn active_blocking_profiles(ev: &Evidence) -> (Vec<String>, Vec<EvidenceRef>, bool) {
    let mut active = Vec::new();
    let mut refs = Vec::new();
    let mut known = false;
    for fp in &ev.firewall_profiles {
        for p in &fp.value.profiles {
            known = true;
            // `show currentprofile` output repeats a profile `show allprofiles` listed.
            if p.state_on == Some(true)
                && p.inbound_blocked != Some(false)
                && !active.contains(&p.profile)
            {
                active.push(p.profile.clone());
                refs.push(EvidenceRef::line(
                    &fp.artifact,
                    p.line,
                    format!(
                        "{} profile: State ON, {}",
                        p.profile,
                        p.firewall_policy
                            .as_deref()
                            .unwrap_or("BlockInbound (default)")
                    ),
                ));
            }
        }
    }
    if !known {
        active = PROFILES.iter().map(|s| s.to_string()).collect();
    }
    active.dedup();
    (active, refs, known)
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let (port, _) = ev.rdp_port();
    let (active, profile_refs, known) = active_blocking_profiles(ev);
    let rules: Vec<(&str, &FirewallRule)> = ev
        .firewall_rules
        .iter()
        .flat_map(|l| l.value.rules.iter().map(move |r| (l.artifact.as_str(), r)))
        .collect();
    let mut blocked = Vec::new();
    let mut unallowed: Vec<&str> = Vec::new();
    let mut refs = Vec::new();
    let mut reasons = Vec::new();
    for profile in &active {
        let blockers: Vec<_> = rules
            .iter()
            .filter(|(_, r)| blocks_port(r, port, profile))
            .collect();
        for (a, r) in &blockers {
            reasons.push(format!(
                "Block rule '{}' covers TCP {port} on {profile}",
                r.name
            ));
            refs.push(rule_ref(a, r));
        }
        let allowed = rules.iter().any(|(_, r)| allows_port(r, port, profile));
        if !allowed || !blockers.is_empty() {
            blocked.push(profile.clone());
        }
        if !allowed {
            unallowed.push(profile.as_str());
        }
    }
    if blocked.is_empty() {
        return Vec::new();
    }
    if !unallowed.is_empty() {
        reasons.insert(
            0,
            format!(
                "no enabled inbound Allow rule covers TCP {port} on {}",
                unallowed.join(", ")
            ),
        );
    }
    // Explain the state of the built-in Remote Desktop rules.
    let rdp_rules: Vec<_> = rules
        .iter()
        .filter(|(_, r)| r.direction == Direction::In && is_rdp_rule(r))
        .collect();
    if rdp_rules.is_empty() {
        reasons.push("the built-in Remote Desktop inbound rules are absent".into());
    }
    // Rules scoped by port explain the block; program-scoped ones (Shadow: RdpSa.exe on any
    // port) are not the listener's rule.
    let port_scoped = |r: &FirewallRule| {
        r.local_port
            .as_deref()
            .is_some_and(|p| !p.eq_ignore_ascii_case("Any"))
    };
    for (a, r) in rdp_rules.iter().filter(|(_, r)| {
        r.action == Action::Allow && r.protocol.eq_ignore_ascii_case("TCP") && port_scoped(r)
    }) {
        let why = if !r.enabled {
            "disabled".to_string()
        } else if !r.applies_to_tcp_port(port) {
            format!(
                "for port {} only, not {port}",
                r.local_port.as_deref().unwrap_or("?")
            )
        } else if !blocked
            .iter()
            .all(|p| r.profiles.iter().any(|q| q.eq_ignore_ascii_case(p)))
        {
            format!("enabled only for {}", r.profiles.join(","))
        } else {
            continue;
        };
        reasons.push(format!("rule '{}' is {why}", r.name));
        refs.push(rule_ref(a, r));
    }
    let mut f = Finding::new(
        &CHECK,
        format!(
            "Inbound TCP {port} is blocked on the {} profile{}: {}.{}",
            blocked.join(", "),
            if blocked.len() > 1 { "s" } else { "" },
            reasons.join("; "),
            if known {
                ""
            } else {
                " (Firewall profile states were not collected: all profiles are assumed on.)"
            }
        ),
    )
    .title(format!(
        "Windows Firewall blocks inbound RDP (TCP {port}) on {}",
        blocked.join(", ")
    ))
    .fact("port", port)
    .fact("profiles", blocked.join(","));
    f.evidence = profile_refs;
    f.evidence.extend(refs);
    vec![f]
}

pub fn rule_ref(artifact: &str, r: &FirewallRule) -> EvidenceRef {
    EvidenceRef::line(
        artifact,
        r.line,
        format!(
            "Rule Name: {} | Enabled: {} | Profiles: {} | LocalPort: {} | RemoteIP: {} | Action: {:?}",
            r.name,
            if r.enabled { "Yes" } else { "No" },
            r.profiles.join(","),
            r.local_port.as_deref().unwrap_or("Any"),
            r.remote_ip,
            r.action
        ),
    )
}

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
        && may_reach_the_listener(r)
}

/// Whether an Allow rule can let traffic through to the RDP listener, as far as the output
/// shows: a rule that names ports, a Remote Desktop rule, or an any-port rule known not to be
/// bound to another program. Windows' any-port Allow rules are app rules (Xbox, Game Bar,
/// javaw.exe, store packages), each limited to its own program; plain `show rule` output
/// leaves the program out (a real Windows 11 list has 63 such rules and no Remote Desktop
/// rule), so an any-port rule with no program shown does not open the RDP port.
fn may_reach_the_listener(r: &FirewallRule) -> bool {
    let names_ports = r
        .local_port
        .as_deref()
        .is_some_and(|p| !p.trim().eq_ignore_ascii_case("Any"));
    let service_ok = r.service.as_deref().is_none_or(|s| {
        s.trim().eq_ignore_ascii_case("Any") || s.trim().eq_ignore_ascii_case("termservice")
    });
    names_ports
        || is_rdp_rule(r)
        || r.program.as_deref().is_some_and(|p| {
            let p = p.trim().to_ascii_lowercase();
            service_ok && (p == "any" || p.ends_with("\\svchost.exe"))
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::evidence_from_xml;

    fn rule(name: &str, protocol: &str, extra: &str) -> String {
        format!(
            "\r\nRule Name:                            {name}\r\n{}\r\n\
             Enabled:                              Yes\r\n\
             Direction:                            In\r\n\
             Profiles:                             Domain,Private,Public\r\n\
             Grouping:                             \r\n\
             LocalIP:                              Any\r\n\
             RemoteIP:                             Any\r\n\
             Protocol:                             {protocol}\r\n\
             Edge traversal:                       Yes\r\n{extra}\
             Action:                               Allow\r\n",
            "-".repeat(70)
        )
    }

    /// A real Windows 11 `show rule name=all` (no verbose) has 63 enabled any-port Allow rules
    /// (Xbox, Game Bar, Microsoft Defender, store packages), each bound to its program, which
    /// that output does not print, and no Remote Desktop rule: RDP is not let in.
    #[test]
    fn app_rules_without_a_port_do_not_open_the_rdp_port() {
        let text = format!(
            "{}{}Ok.\r\n\r\n",
            rule("Game Bar", "Any", ""),
            rule("Minecraft for Windows", "Any", "")
        );
        let ev = evidence_from_xml(&[("commands/firewall-rules.txt", &text)]);
        let f = run(&ev);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("no enabled inbound Allow rule covers TCP 3389"));
        // Verbose output shows the program: an any-program rule does open every port, a
        // rule for one program does not.
        let verbose = |program: &str| {
            format!(
                "{}Ok.\r\n\r\n",
                rule(
                    "Allow everything",
                    "TCP",
                    &format!(
                        "Program:                              {program}\r\n\
                         InterfaceTypes:                       Any\r\n\
                         Security:                             NotRequired\r\n\
                         Rule source:                          Local Setting\r\n"
                    )
                )
            )
        };
        let ev = evidence_from_xml(&[("commands/firewall-rules.txt", &verbose("Any"))]);
        assert!(run(&ev).is_empty());
        let ev = evidence_from_xml(&[(
            "commands/firewall-rules.txt",
            &verbose(r"C:\Program Files\Java\bin\javaw.exe"),
        )]);
        assert_eq!(run(&ev).len(), 1);
    }
}

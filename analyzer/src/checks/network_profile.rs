//! RDP036: the network the machine is on uses a firewall profile the RDP rules do not cover.
//!
//! Windows Firewall applies the rules of the profile of each connected network: Domain when the
//! Network Location Awareness service authenticated to a domain controller on that network,
//! otherwise Private or Public. The built-in Remote Desktop rules are often enabled for Domain
//! (or Domain and Private) only, so when a domain member's network falls back to Public (the DC
//! was unreachable at boot, a VPN adapter, a new NIC) RDP is blocked there while every rule looks
//! right. `netsh advfirewall show currentprofile` lists only the profiles in use; an output of
//! profile sections that lists fewer than all three is read as that.

use super::firewall_blocks_rdp::{allows_port, is_rdp_rule, rule_ref};
use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::{Kind, NETSH_CURRENT_PROFILE};

pub static CHECK: Check = Check {
    id: "RDP036",
    name: "network-profile",
    severity: Severity::Error,
    title: "The active network profile is not covered by the RDP firewall rules",
    explanation: "The firewall profile of the connected network (from netsh advfirewall show \
                  currentprofile) is on and blocks inbound by default, and no enabled inbound \
                  rule allows the RDP port on that profile, although rules exist for others.",
    remediation: "If the machine is a domain member and its network shows as Public or Private, \
                  fix the domain network's detection (DNS reaching a domain controller from \
                  that adapter; then restart the 'Network Location Awareness' service or the \
                  adapter) so it becomes Domain. Otherwise allow the RDP rules on the active \
                  profile: `netsh advfirewall firewall set rule group=\"remote desktop\" new \
                  enable=Yes profile=any` (or narrow the scope instead of the profile).",
    needs: &[Kind::FirewallProfiles],
    fixture: "fixtures/network-profile-public",
    requires: Some(missing),
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let (port, _) = ev.rdp_port();
    let current: Vec<_> = ev
        .firewall_profiles
        .iter()
        .filter(|p| p.artifact == NETSH_CURRENT_PROFILE || p.value.profiles.len() < 3)
        .collect();
    if current.is_empty() || ev.firewall_rules.is_empty() {
        return Vec::new();
    }
    let rules: Vec<_> = ev
        .firewall_rules
        .iter()
        .flat_map(|l| l.value.rules.iter().map(move |r| (l.artifact.as_str(), r)))
        .collect();
    let mut out = Vec::new();
    for c in current {
        for p in &c.value.profiles {
            if p.state_on != Some(true) || p.inbound_blocked == Some(false) {
                continue;
            }
            if rules.iter().any(|(_, r)| allows_port(r, port, &p.profile)) {
                continue;
            }
            let elsewhere: Vec<_> = rules
                .iter()
                .filter(|(_, r)| {
                    r.enabled
                        && r.applies_to_tcp_port(port)
                        && (is_rdp_rule(r) || r.local_port.is_some())
                })
                .filter(|(_, r)| {
                    ["Domain", "Private", "Public"]
                        .iter()
                        .any(|q| allows_port(r, port, q))
                })
                .collect();
            let covered: Vec<String> = ["Domain", "Private", "Public"]
                .iter()
                .filter(|q| rules.iter().any(|(_, r)| allows_port(r, port, q)))
                .map(|q| q.to_string())
                .collect();
            let domain = support::domain_joined(ev) == Some(true);
            let mut msg = format!(
                "The connected network uses the {} profile (netsh show currentprofile), which is \
                 on and blocks inbound connections, and no enabled rule allows TCP {port} on it{}.",
                p.profile,
                if covered.is_empty() {
                    String::new()
                } else {
                    format!("; RDP is allowed on {} only", covered.join(", "))
                }
            );
            if domain && p.profile != "Domain" {
                msg.push_str(
                    " The machine is a domain member, yet its network is not identified as the \
                     domain network: Network Location Awareness could not reach a domain \
                     controller on it.",
                );
            }
            let mut f = Finding::new(&CHECK, msg)
                .title(format!(
                    "The active network profile is {}, where RDP is not allowed",
                    p.profile
                ))
                .fact("active_profile", &p.profile)
                .fact("allowed_profiles", covered.join(","))
                .fact("domain_member", domain)
                .evidence(EvidenceRef::line(
                    &c.artifact,
                    p.line,
                    format!("{} profile (current): State ON", p.profile),
                ));
            for (a, r) in elsewhere.iter().take(4) {
                f = f.evidence(rule_ref(a, r));
            }
            out.push(f);
        }
    }
    out
}

/// Not evaluated without `netsh advfirewall show currentprofile`.
fn missing(ev: &Evidence) -> Option<String> {
    let current = ev
        .firewall_profiles
        .iter()
        .any(|p| p.artifact == NETSH_CURRENT_PROFILE || p.value.profiles.len() < 3);
    (!current).then(|| {
        support::missing_because(
            ev,
            NETSH_CURRENT_PROFILE,
            "netsh advfirewall show currentprofile output",
        )
    })
}

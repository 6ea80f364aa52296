//! RDP010: the firewall admits RDP only from some remote addresses.
//!
//! A rule's RemoteIP scope (e.g. `LocalSubnet` or `10.0.0.0/8`) silently drops everyone else: a
//! user on VPN or at home times out while colleagues connect fine. The scope has to be compared
//! with the user's address, which only support has, so it is listed.

use super::firewall_blocks_rdp::{active_blocking_profiles, allows_port, rule_ref};
use super::{Check, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP010",
    name: "firewall-remote-scope",
    severity: Severity::Warning,
    title: "Inbound RDP is allowed only from restricted remote addresses",
    explanation: "Every enabled firewall rule that allows the RDP port limits the remote \
                  addresses (scope). Clients outside that scope are dropped silently and see a \
                  timeout.",
    remediation: "Compare the scope below with the failing user's IP address (as the server sees \
                  it, after VPN/NAT). Widen the rule's Scope > Remote IP address if the user \
                  should be allowed, or have them connect from an allowed network.",
    needs: &[Kind::FirewallRules],
    fixture: "fixtures/firewall-remote-scope",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let (port, _) = ev.rdp_port();
    let (active, _, _) = active_blocking_profiles(ev);
    let mut refs = Vec::new();
    let mut scopes = Vec::new();
    for profile in &active {
        let allowing: Vec<_> = ev
            .firewall_rules
            .iter()
            .flat_map(|l| l.value.rules.iter().map(move |r| (l.artifact.as_str(), r)))
            .filter(|(_, r)| allows_port(r, port, profile))
            .collect();
        if allowing.is_empty() || allowing.iter().any(|(_, r)| r.remote_is_any()) {
            continue;
        }
        for (a, r) in allowing {
            let entry = format!("{} ({profile}): {}", r.name, r.remote_ip);
            if !scopes.contains(&entry) {
                scopes.push(entry);
                refs.push(rule_ref(a, r));
            }
        }
    }
    if scopes.is_empty() {
        return Vec::new();
    }
    let mut f = Finding::new(
        &CHECK,
        format!(
            "RDP (TCP {port}) is allowed only from these remote addresses: {}.",
            scopes.join("; ")
        ),
    )
    .fact("remote_scope", scopes.join("; "));
    f.evidence = refs;
    vec![f]
}

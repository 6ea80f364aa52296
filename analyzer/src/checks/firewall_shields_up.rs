//! RDP075: Windows Firewall blocks every inbound connection, below the rule level.
//!
//! `Firewall Policy BlockInboundAlways,...` in `netsh advfirewall show allprofiles` is the
//! "Block all incoming connections, including those in the list of allowed apps" box of the
//! firewall control panel ("shields up"; policy value `DoNotAllowExceptions`=1 under
//! `SOFTWARE\Policies\Microsoft\WindowsFirewall\<Profile>Profile` when set by Group Policy). The
//! Windows Filtering Platform then drops every unsolicited inbound packet on that profile and
//! ignores the inbound Allow rules, so the Remote Desktop rules look enabled and correct while
//! RDP times out. RDP009/RDP036 evaluate the rules; this check names the setting that overrides
//! them.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::{Kind, NETSH_CURRENT_PROFILE};

pub static CHECK: Check = Check {
    id: "RDP075",
    name: "firewall-shields-up",
    severity: Severity::Error,
    title: "Windows Firewall blocks every inbound connection below the rule level",
    explanation: "A firewall profile that is on has the policy BlockInboundAlways (\"Block all \
                  incoming connections, including those in the list of allowed apps\"). Windows \
                  then ignores every inbound Allow rule on that profile, including the Remote \
                  Desktop rules, and RDP connections time out.",
    remediation: "Untick \"Block all incoming connections, including those in the list of \
                  allowed apps\" for the profile (Windows Defender Firewall > Advanced settings \
                  > Properties > the profile > Inbound connections: Block (default)), or run \
                  `netsh advfirewall set PROFILEprofile firewallpolicy \
                  blockinbound,allowoutbound`. If Group Policy sets it (Windows Firewall: Do not \
                  allow exceptions / Inbound connections: Block all connections), change the GPO; \
                  a local change is overwritten at the next refresh.",
    needs: &[Kind::FirewallProfiles],
    fixture: "fixtures/firewall-shields-up",
    requires: None,
    run,
};

/// `true` when the inbound half of a netsh policy value is `BlockInboundAlways`.
pub(crate) fn blocks_always(policy: &str) -> bool {
    policy
        .split(',')
        .any(|p| p.trim().eq_ignore_ascii_case("BlockInboundAlways"))
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut profiles: Vec<String> = Vec::new();
    let mut refs = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for fp in &ev.firewall_profiles {
        let is_current = fp.artifact == NETSH_CURRENT_PROFILE || fp.value.profiles.len() < 3;
        for p in &fp.value.profiles {
            let Some(policy) = p.firewall_policy.as_deref() else {
                continue;
            };
            if p.state_on != Some(true) || !blocks_always(policy) {
                continue;
            }
            if is_current && !current.contains(&p.profile) {
                current.push(p.profile.clone());
            }
            if !profiles.contains(&p.profile) {
                profiles.push(p.profile.clone());
                refs.push(EvidenceRef::line(
                    &fp.artifact,
                    p.line,
                    format!("{} profile: State ON, Firewall Policy {policy}", p.profile),
                ));
            }
        }
    }
    if profiles.is_empty() {
        return Vec::new();
    }
    let (port, _) = ev.rdp_port();
    let active = if current.is_empty() {
        String::new()
    } else {
        format!(
            " The connected network uses the {} profile (netsh show currentprofile).",
            current.join(", ")
        )
    };
    let msg = format!(
        "The {} firewall profile{} {} on with BlockInboundAlways: every inbound connection, \
         TCP {port} included, is dropped whatever the inbound Allow rules say.{active}",
        profiles.join(", "),
        if profiles.len() == 1 { "" } else { "s" },
        if profiles.len() == 1 { "is" } else { "are" },
    );
    let mut f = Finding::new(&CHECK, msg)
        .title(format!(
            "Windows Firewall blocks all inbound connections on the {} profile{} (BlockInboundAlways)",
            profiles.join(", "),
            if profiles.len() == 1 { "" } else { "s" }
        ))
        .fact("profiles", profiles.join(","))
        .fact("active_profile", current.join(","));
    for r in refs {
        f = f.evidence(r);
    }
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::blocks_always;

    #[test]
    fn only_the_always_keyword_counts() {
        assert!(blocks_always("BlockInboundAlways,AllowOutbound"));
        assert!(blocks_always("blockinboundalways, allowoutbound"));
        assert!(!blocks_always("BlockInbound,AllowOutbound"));
        assert!(!blocks_always("AllowInbound,AllowOutbound"));
        assert!(!blocks_always(""));
    }
}

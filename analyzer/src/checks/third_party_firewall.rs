//! RDP037: a third-party firewall is registered in Windows Security Center.
//!
//! Security suites (ESET, Norton, Kaspersky, Bitdefender, Sophos...) register their firewall
//! with Security Center and then filter traffic themselves, usually with Windows Defender
//! Firewall turned off or bypassed. The netsh rules this report reads are then not what decides
//! whether TCP 3389 gets through: the suite's own rules (often "block incoming remote desktop"
//! or network-zone trust) do. The class lists only third-party products.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP037",
    name: "third-party-firewall",
    severity: Severity::Warning,
    title: "A third-party firewall filters this machine's traffic",
    explanation: "Security Center has a third-party firewall product registered and enabled. \
                  Its own rules decide whether RDP connections get through; Windows Firewall \
                  rules may not apply.",
    remediation: "Check the named product's firewall rules and network-zone settings for inbound \
                  TCP (and UDP) on the RDP port, or its 'remote desktop' / 'remote access' \
                  protection module; allow RDP there, or test with the product's firewall paused \
                  to confirm.",
    needs: &[Kind::SecurityCenter],
    fixture: "fixtures/third-party-firewall",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for l in &ev.firewall_products {
        for p in l
            .value
            .products
            .iter()
            .filter(|p| !p.is_windows_firewall() && p.enabled() != Some(false))
        {
            out.push(
                Finding::new(
                    &CHECK,
                    format!(
                        "'{}' is registered as a firewall in Security Center{}{}. Its rules, not \
                         only Windows Firewall's, decide whether RDP connections reach the \
                         listener.",
                        p.display_name,
                        match p.enabled() {
                            Some(true) => " and reported on",
                            _ => " (state unknown)",
                        },
                        p.path
                            .as_deref()
                            .map(|x| format!(" ({x})"))
                            .unwrap_or_default()
                    ),
                )
                .title(format!(
                    "Third-party firewall '{}' is active",
                    p.display_name
                ))
                .fact("product", &p.display_name)
                .evidence(EvidenceRef::line(
                    &l.artifact,
                    p.line,
                    format!(
                        "displayName={} productState={}",
                        p.display_name,
                        p.product_state.map(|s| s.to_string()).unwrap_or_default()
                    ),
                )),
            );
        }
    }
    out
}

//! RDP001: Remote Desktop is switched off on the machine itself.
//!
//! `fDenyTSConnections` = 1 under `Control\Terminal Server` is what the "Allow remote connections
//! to this computer" checkbox writes. A policy value under `Policies\...\Terminal Services`
//! overrides it either way, so when policy allows RDP this local value does not matter (and when
//! policy denies it, RDP002 says so).

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, TERMINAL_SERVER_KEY, TS_POLICY_KEY};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP001",
    name: "rdp-disabled",
    severity: Severity::Error,
    title: "Remote Desktop is disabled on this machine (fDenyTSConnections = 1)",
    explanation: "The Terminal Server key has fDenyTSConnections set to 1, which is what unticking \
                  'Allow remote connections to this computer' does. The RDP listener refuses every \
                  connection until it is 0.",
    remediation: "Enable Remote Desktop: Settings > System > Remote Desktop > On (or System \
                  Properties > Remote > 'Allow remote connections to this computer'), or set \
                  HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\fDenyTSConnections to 0. \
                  No reboot is needed.",
    needs: &[Kind::Registry],
    fixture: "fixtures/rdp-disabled",
    requires: Some(missing),
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let Some(hit) = ev.reg_value(TERMINAL_SERVER_KEY, "fDenyTSConnections") else {
        return Vec::new();
    };
    if hit.value.data.as_u32() != Some(1) {
        return Vec::new();
    }
    let policy = ev.reg_value(TS_POLICY_KEY, "fDenyTSConnections");
    if policy.is_some_and(|p| p.value.data.as_u32() == Some(0)) {
        return Vec::new(); // policy allows RDP and overrides the local value
    }
    vec![Finding::new(
        &CHECK,
        "fDenyTSConnections is 1 in the Terminal Server key: Remote Desktop connections are \
         turned off locally.",
    )
    .evidence(EvidenceRef::line(
        hit.artifact,
        hit.value.line,
        format!(
            "[{}] \"fDenyTSConnections\" = {}",
            hit.key.path,
            hit.value.data.display()
        ),
    ))
    .fact("value", "1")]
}

/// Not evaluated when a damaged hive hides the key it reads: "cannot tell", never "fine".
pub fn missing(ev: &Evidence) -> Option<String> {
    ev.hive_cannot_tell(crate::evidence::TERMINAL_SERVER_KEY)
}

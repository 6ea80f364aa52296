//! RDP902: the collection ran without administrator rights.
//!
//! Without elevation the Security log, the firewall rules and several registry keys are denied,
//! so the bundle cannot show failed logons or certificate key problems. Said once, up front.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use rdp_bundle::Status;

pub static CHECK: Check = Check {
    id: "RDP902",
    name: "not-elevated",
    severity: Severity::Warning,
    title: "Evidence was collected without administrator rights",
    explanation: "rdp-collect ran without elevation. Windows denies the Security log and some \
                  other evidence to non-administrators, so checks that need it could not run.",
    remediation: "Run rdp-collect.exe again with right-click > 'Run as administrator' for a \
                  complete bundle.",
    needs: &[],
    fixture: "fixtures/not-elevated",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    if !ev.not_elevated() {
        return Vec::new();
    }
    let denied: Vec<_> = ev
        .failed_steps()
        .filter(|r| r.status == Status::AccessDenied)
        .map(|r| r.path.clone())
        .collect();
    let msg = if denied.is_empty() {
        "The collector ran without elevation.".to_string()
    } else {
        format!(
            "The collector ran without elevation; access was denied to: {}.",
            denied.join(", ")
        )
    };
    vec![Finding::new(&CHECK, msg.clone())
        .fact("denied", denied.join(","))
        .evidence(EvidenceRef::file("manifest.json", "\"elevated\": false"))]
}

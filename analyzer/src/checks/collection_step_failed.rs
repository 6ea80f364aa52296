//! RDP901: a collection step did not complete (from the manifest).
//!
//! The collector records every step, including the ones that failed, timed out or were denied.
//! Each becomes a finding so the report says what evidence is missing and why, instead of
//! silently analyzing less.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use rdp_bundle::Status;

pub static CHECK: Check = Check {
    id: "RDP901",
    name: "collection-step-failed",
    severity: Severity::Warning,
    title: "A collection step did not complete",
    explanation: "The collector's manifest records a step that failed, timed out, was denied or \
                  found nothing. The evidence it would have produced is missing from the analysis.",
    remediation: "Run rdp-collect again as administrator (right-click > Run as administrator). \
                  For a timed-out gpresult, check the domain controller connection or raise the \
                  collector's timeout.",
    needs: &[],
    fixture: "fixtures/not-elevated",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for rec in ev.failed_steps() {
        let severity = match rec.status {
            // An optional key that does not exist (e.g. no CredSSP policy) is normal.
            Status::Skipped | Status::NotFound => Severity::Info,
            _ => Severity::Warning,
        };
        let mut msg = format!("{} ({}): {}", rec.path, rec.producer, rec.status.as_str());
        if let Some(m) = &rec.message {
            msg.push_str(&format!(": {m}"));
        }
        if rec.status == Status::AccessDenied && ev.not_elevated() {
            msg.push_str(" (collected without elevation)");
        }
        out.push(
            Finding::new(&CHECK, msg.clone())
                .title(format!(
                    "{} was not collected ({})",
                    rec.path,
                    rec.status.as_str()
                ))
                .severity(severity)
                .fact("artifact", &rec.path)
                .fact("status", rec.status.as_str())
                .evidence(EvidenceRef::file("manifest.json", msg)),
        );
    }
    out
}

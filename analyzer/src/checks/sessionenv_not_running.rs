//! RDP034: Remote Desktop Configuration (SessionEnv) is disabled or stopped.
//!
//! SessionEnv configures sessions and the listener's certificate: it is the service that
//! creates and renews Remote Desktop's self-signed certificate and applies the certificate
//! template policy. TermService lists it in `RCDependentServices` and starts it; disabled, the
//! certificate is never (re)created and TLS fails once the current one expires or is deleted.
//! Stopped (it is a manual service) it is started again with TermService, so that alone is
//! reported for information.

use super::{support, Check, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP034",
    name: "sessionenv-not-running",
    severity: Severity::Warning,
    title: "Remote Desktop Configuration (SessionEnv) is disabled or stopped",
    explanation: "SessionEnv creates and renews the RDP listener's self-signed certificate and \
                  applies Remote Desktop configuration. Disabled, an expired or deleted \
                  certificate is never replaced.",
    remediation: "Set 'Remote Desktop Configuration' back to Manual (`sc config SessionEnv start= \
                  demand`) and restart TermService (`net stop TermService /y && net start \
                  TermService`), which starts SessionEnv with it.",
    needs: &[Kind::ScQuery, Kind::Registry],
    fixture: "fixtures/sessionenv-disabled",
    requires: Some(missing),
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let Some(f) = support::service_finding(ev, "SessionEnv", Finding::new(&CHECK, "")) else {
        return Vec::new();
    };
    let disabled = f.facts.get("start_type").map(String::as_str) == Some("disabled");
    let f = if disabled {
        f
    } else {
        let mut f = f.severity(Severity::Info);
        f.message.push_str(
            " It is a manual service that TermService starts with itself; restarting TermService \
             starts it.",
        );
        f
    };
    vec![f]
}

/// Not evaluated when nothing about SessionEnv was collected.
fn missing(ev: &Evidence) -> Option<String> {
    let known =
        ev.service("SessionEnv").is_some() || support::service_start(ev, "SessionEnv").is_some();
    (!known).then(|| {
        support::missing_because(ev, "commands/sc-queryex-SessionEnv.txt", "SessionEnv state")
    })
}

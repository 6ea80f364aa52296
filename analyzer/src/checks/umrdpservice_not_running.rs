//! RDP004: the Remote Desktop Services UserMode Port Redirector (UmRdpService) is stopped or
//! disabled.
//!
//! UmRdpService starts with TermService and handles drive, printer, clipboard and smart-card
//! redirection; when it is disabled, sessions fail or hang at logon on many builds, and
//! redirection never works.

use super::{support, Check, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP004",
    name: "umrdpservice-not-running",
    severity: Severity::Warning,
    title: "Remote Desktop UserMode Port Redirector (UmRdpService) is not running",
    explanation: "UmRdpService runs beside TermService and serves device redirection (drives, \
                  printers, clipboard, smart cards). When it is stopped or disabled, redirection \
                  fails and logons with redirected smart cards can hang.",
    remediation: "Set 'Remote Desktop Services UserMode Port Redirector' to Manual (the default) \
                  in services.msc (`sc config UmRdpService start= demand`) and start it \
                  (`net start UmRdpService`), or restart TermService, which starts it.",
    needs: &[Kind::ScQuery, Kind::Registry],
    fixture: "fixtures/umrdpservice-disabled",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    support::service_finding(ev, "UmRdpService", Finding::new(&CHECK, ""))
        .into_iter()
        .collect()
}

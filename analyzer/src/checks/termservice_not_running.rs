//! RDP003: the Remote Desktop Services service (TermService) is stopped or disabled.
//!
//! TermService owns the RDP listener; with it stopped nothing answers on the RDP port, and a
//! `Start` value of 4 (disabled) keeps it stopped across reboots.

use super::{support, Check, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP003",
    name: "termservice-not-running",
    severity: Severity::Error,
    title: "Remote Desktop Services (TermService) is not running",
    explanation: "TermService hosts the RDP listener. When it is stopped or disabled, nothing \
                  accepts connections on the RDP port.",
    remediation: "Set 'Remote Desktop Services' to Manual (the default) or Automatic in \
                  services.msc (or `sc config TermService start= demand`) and start it \
                  (`net start TermService`). If it stops again, read the System log for \
                  Service Control Manager events 7023/7024/7031 naming the error.",
    needs: &[Kind::ScQuery, Kind::Registry],
    fixture: "fixtures/termservice-stopped",
    requires: Some(missing),
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    support::service_finding(ev, "TermService", Finding::new(&CHECK, ""))
        .into_iter()
        .collect()
}

/// Not evaluated when a damaged hive hides the key it reads: "cannot tell", never "fine".
pub fn missing(ev: &Evidence) -> Option<String> {
    ev.hive_cannot_tell(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TermService")
}

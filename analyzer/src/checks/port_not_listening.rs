//! RDP007: nothing listens on the RDP port.
//!
//! netstat is the ground truth for "is anything accepting TCP on the port": it catches a
//! listener that qwinsta still lists but that failed to bind (e.g. the port was taken first).

use super::{support, Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP007",
    name: "port-not-listening",
    severity: Severity::Error,
    title: "Nothing is listening on the RDP port",
    explanation: "netstat shows no TCP socket in LISTENING state on the configured RDP port, so \
                  connections are refused ('Remote Desktop can't connect to the remote computer').",
    remediation: "Check that Remote Desktop is enabled and TermService is running (see the other \
                  findings), then restart TermService and confirm with `netstat -ano | findstr \
                  :PORT` that the port is LISTENING under TermService's svchost PID.",
    needs: &[Kind::Netstat],
    fixture: "fixtures/port-not-listening",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let (port, _) = ev.rdp_port();
    let mut out = Vec::new();
    for n in &ev.netstat {
        if !n.value.tcp_listeners(port).is_empty() {
            return Vec::new();
        }
        out.push(EvidenceRef::file(
            &n.artifact,
            format!("no TCP LISTENING socket on port {port}"),
        ));
    }
    if out.is_empty() {
        return Vec::new();
    }
    let mut f = Finding::new(
        &CHECK,
        format!("No process listens on TCP port {port} (the configured RDP port)."),
    )
    .title(format!("Nothing is listening on TCP port {port}"))
    .fact("port", port);
    f.evidence = out;
    if let Some(cause) = support::explained_by(ev) {
        f = f.severity(Severity::Info);
        f.message
            .push_str(&format!(" This is expected while {cause}; fix that first."));
    }
    vec![f]
}

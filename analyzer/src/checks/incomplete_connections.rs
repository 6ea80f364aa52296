//! RDP057: the RDP listener received a flood of incomplete connections
//! (RemoteConnectionManager 1006).
//!
//! TermService counts connections that open but never finish the RDP handshake; past a
//! threshold it logs 1006 ("The system may be under attack") and throttles new connections, so
//! legitimate users time out while a scanner or a guessing tool keeps the listener busy.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{summarize_event, EventSource, Evidence};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP057",
    name: "incomplete-connection-flood",
    severity: Severity::Warning,
    title: "A flood of incomplete RDP connections",
    explanation: "RemoteConnectionManager event 1006: the RDP listener received a large number \
                  of incomplete connections. It throttles new connections then, so real users \
                  time out while the flood lasts.",
    remediation: "Find the source (RdpCoreTS 131 addresses, firewall logs) and block it; do not \
                  expose RDP to the internet (VPN, RD Gateway, or a firewall scope limited to \
                  known addresses).",
    needs: &[Kind::Evtx],
    fixture: "fixtures/incomplete-connection-flood",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let floods = ev.events_from(EventSource::RemoteConnectionManager, &[1006]);
    let (Some(&(_, first)), Some(&(artifact, last))) = (floods.first(), floods.last()) else {
        return Vec::new();
    };
    vec![Finding::new(
        &CHECK,
        format!(
            "The RDP listener logged a flood of incomplete connections {} time(s), {} .. {}. \
             While it lasts new connections are throttled.",
            floods.len(),
            first.time,
            last.time
        ),
    )
    .fact("count", floods.len())
    .fact("last", &last.time)
    .evidence(EvidenceRef::record(
        artifact,
        last.record_id,
        summarize_event(last),
    ))]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::*;

    #[test]
    fn counts_floods() {
        let xml = [
            event(RCM, "System", 1006, 1, "2026-03-01T09:00:00.0000000Z", &[]),
            event(RCM, "System", 1006, 2, "2026-03-01T09:30:00.0000000Z", &[]),
            event(
                "Some-Other-Provider",
                "System",
                1006,
                3,
                "2026-03-01T09:40:00.0000000Z",
                &[],
            ),
        ]
        .join("\r\n");
        let out = run(&evidence_from_xml(&[("System.xml", &xml)]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].facts["count"], "2");
        assert!(run(&evidence_from_xml(&[(
            "System.xml",
            &event(
                "Other",
                "System",
                1006,
                1,
                "2026-03-01T09:00:00.0000000Z",
                &[]
            )
        )]))
        .is_empty());
    }
}

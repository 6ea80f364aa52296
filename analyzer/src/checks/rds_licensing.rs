//! RDP058: Remote Desktop licensing problems on a session host (1128, 1130, 1131).
//!
//! A machine with the Remote Desktop Session Host role needs a license server once its
//! 120-day grace period ends; after that it refuses every connection beyond the two
//! administrative ones ("The remote session was disconnected because there are no Remote
//! Desktop License Servers available to provide a license"). RemoteConnectionManager (source
//! TermService, System log) says so: 1128 the grace period has expired, 1130 no license server
//! is configured, 1131 the configured one cannot be reached.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{summarize_event, EventSource, Evidence};
use crate::parse::identify::Kind;
use std::collections::BTreeMap;

pub static CHECK: Check = Check {
    id: "RDP058",
    name: "rds-licensing",
    severity: Severity::Error,
    title: "Remote Desktop licensing is not working",
    explanation: "The System log has Remote Desktop licensing events: the licensing grace \
                  period expired (1128), no license server is specified (1130), or the license \
                  server could not be contacted (1131). Past the grace period a session host \
                  refuses all but two administrative connections.",
    remediation: "Specify the license server and licensing mode (Server Manager > Remote Desktop \
                  Services > Deployment properties > RD Licensing, or the policies 'Use the \
                  specified Remote Desktop license servers' and 'Set the Remote Desktop \
                  licensing mode'); make sure the license server is reachable (TCP 135 and RPC) \
                  and this host is in its 'RDS Endpoint Servers' group. If the Session Host role \
                  is not needed (plain remote administration), remove it.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/rds-licensing",
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut by_id: BTreeMap<u32, Vec<_>> = BTreeMap::new();
    for (artifact, e) in ev.events_from(EventSource::RemoteConnectionManager, &[1128, 1130, 1131]) {
        by_id.entry(e.event_id).or_default().push((artifact, e));
    }
    let mut out = Vec::new();
    for (id, events) in by_id {
        let Some(&(artifact, last)) = events.last() else {
            continue;
        };
        let (severity, what) = match id {
            1128 => (
                Severity::Error,
                "the licensing grace period has expired".to_string(),
            ),
            1130 => (
                Severity::Warning,
                "no license server is specified".to_string(),
            ),
            _ => {
                let server = last
                    .data
                    .iter()
                    .map(|(_, v)| v.trim())
                    .find(|v| !v.is_empty())
                    .unwrap_or("(not named)");
                (
                    Severity::Error,
                    format!("license server {server} could not be contacted"),
                )
            }
        };
        out.push(
            Finding::new(
                &CHECK,
                format!(
                    "Remote Desktop licensing: {what} ({} event(s) {id}, last at {}).",
                    events.len(),
                    last.time
                ),
            )
            .title(format!("Remote Desktop licensing: {what}"))
            .severity(severity)
            .fact("event_id", id)
            .fact("count", events.len())
            .evidence(EvidenceRef::record(
                artifact,
                last.record_id,
                summarize_event(last),
            )),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::*;

    #[test]
    fn each_licensing_event_kind() {
        let xml = [
            event(RCM, "System", 1130, 1, "2026-03-01T09:00:00.0000000Z", &[]),
            event(
                RCM,
                "System",
                1131,
                2,
                "2026-03-01T09:00:01.0000000Z",
                &[("Data1", "LIC01.corp.example")],
            ),
            event(
                "TermService",
                "System",
                1128,
                3,
                "2026-03-01T09:00:02.0000000Z",
                &[],
            ),
        ]
        .join("\r\n");
        let out = run(&evidence_from_xml(&[("System.xml", &xml)]));
        let got: Vec<(&str, Severity)> = out
            .iter()
            .map(|f| (f.facts["event_id"].as_str(), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                ("1128", Severity::Error),
                ("1130", Severity::Warning),
                ("1131", Severity::Error)
            ]
        );
        assert!(out[2].title.contains("LIC01.corp.example"));
    }
}

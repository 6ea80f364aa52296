//! RDP055: Schannel (TLS) errors in the System log: the server certificate's private key
//! unusable (36870), no server credential (36871), no common cipher suite (36874), fatal
//! alerts sent to clients (36888).
//!
//! RDP encrypts with TLS through Schannel, like every Windows TLS server, so these events
//! name the TLS step an RDP connection died in when the client only says "an internal error
//! has occurred". 36870 with 0x8009030D is the classic: the RDP certificate is there but its
//! private key cannot be opened (MachineKeys permissions, a key deleted or restored without its
//! certificate). 36888 alerts are also what scanners and broken clients provoke; only the
//! negotiation ones (handshake failure, protocol version, insufficient security) are worth a
//! warning.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{summarize_event, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;
use crate::parse::ntstatus;
use std::collections::BTreeMap;

pub static CHECK: Check = Check {
    id: "RDP055",
    name: "tls-errors",
    severity: Severity::Error,
    title: "TLS (Schannel) errors",
    explanation: "The System log has Schannel errors: the server certificate's private key \
                  could not be used (36870), no server credential could be created (36871), a \
                  client offered no cipher suite the server accepts (36874), or fatal TLS alerts \
                  were sent (36888). RDP's TLS handshake goes through Schannel.",
    remediation: "36870/36871: fix the RDP certificate's private key (MachineKeys permissions, \
                  see RDP013; or delete the certificate from the Remote Desktop store and \
                  restart TermService to get a new one). 36874 and alerts 40/70/71: align the \
                  TLS versions and cipher suites enabled on server and clients (SCHANNEL \
                  Protocols registry keys, 'SSL Cipher Suite Order' policy; old clients need \
                  TLS 1.2 updates).",
    needs: &[Kind::Evtx],
    fixture: "fixtures/tls-errors",
    run,
};

/// TLS alerts that mean the two sides could not agree on TLS parameters.
const NEGOTIATION_ALERTS: &[u32] = &[40, 70, 71];

fn detail(e: &Event) -> String {
    match e.event_id {
        36870 => e
            .get("ErrorCode")
            .map(|c| {
                let info = ntstatus::parse_code(c).and_then(ntstatus::hresult_lookup);
                match info {
                    Some(i) => format!("{c} ({})", i.meaning),
                    None => c.to_string(),
                }
            })
            .unwrap_or_default(),
        36871 => e
            .get("ErrorState")
            .map(|s| format!("internal error state {s}"))
            .unwrap_or_default(),
        36874 => e.get("Protocol").unwrap_or("").to_string(),
        36888 => alert(e)
            .map(|c| match ntstatus::tls_alert(c) {
                Some(i) => format!("alert {c} {} ({})", i.name, i.meaning),
                None => format!("alert {c}"),
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn alert(e: &Event) -> Option<u32> {
    e.get("AlertDesc").and_then(|c| c.trim().parse().ok())
}

fn severity_of(e: &Event) -> Severity {
    match e.event_id {
        36870 | 36871 => Severity::Error,
        36874 => Severity::Warning,
        _ if alert(e).is_some_and(|a| NEGOTIATION_ALERTS.contains(&a)) => Severity::Warning,
        _ => Severity::Info,
    }
}

fn run(ev: &Evidence) -> Vec<Finding> {
    // (event id, detail) -> occurrences
    let mut groups: BTreeMap<(u32, String), Vec<(&str, &Event)>> = BTreeMap::new();
    for (artifact, e) in ev.events_from(EventSource::Schannel, &[36870, 36871, 36874, 36888]) {
        groups
            .entry((e.event_id, detail(e)))
            .or_default()
            .push((artifact, e));
    }
    let mut out = Vec::new();
    for ((id, detail), events) in groups {
        let Some(&(artifact, last)) = events.last() else {
            continue;
        };
        let what = summarize_event(last);
        let mut f = Finding::new(
            &CHECK,
            format!(
                "{} Schannel {id} event(s), {} .. {}: {what}.",
                events.len(),
                events.first().map(|(_, e)| e.time.as_str()).unwrap_or(""),
                last.time
            ),
        )
        .title(format!("TLS error (Schannel {id}): {what}"))
        .severity(severity_of(last))
        .fact("event_id", id)
        .fact("count", events.len())
        .fact("detail", &detail)
        .evidence(EvidenceRef::record(artifact, last.record_id, what));
        if id == 36888 && f.severity == Severity::Info {
            f.message.push_str(
                " Alerts like this one are also what port scanners and clients that give up \
                 provoke: not a fault on their own.",
            );
        }
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_from_xml};

    fn schannel(id: u32, rid: u64, data: &[(&str, &str)]) -> String {
        event(
            "Schannel",
            "System",
            id,
            rid,
            "2026-03-01T09:00:00.0000000Z",
            data,
        )
    }

    #[test]
    fn private_key_alert_and_cipher_errors() {
        let xml = [
            schannel(
                36870,
                1,
                &[
                    ("Type", "server"),
                    ("ErrorCode", "0x8009030d"),
                    ("ErrorStatus", "10001"),
                ],
            ),
            schannel(
                36870,
                2,
                &[
                    ("Type", "server"),
                    ("ErrorCode", "0x8009030d"),
                    ("ErrorStatus", "10001"),
                ],
            ),
            schannel(36888, 3, &[("AlertDesc", "40"), ("ErrorState", "1205")]),
            schannel(36888, 4, &[("AlertDesc", "10"), ("ErrorState", "1203")]),
            schannel(36874, 5, &[("Protocol", "TLS 1.0")]),
        ]
        .join("\r\n");
        let out = run(&evidence_from_xml(&[("System.xml", &xml)]));
        let got: Vec<(&str, Severity, &str)> = out
            .iter()
            .map(|f| {
                (
                    f.facts["event_id"].as_str(),
                    f.severity,
                    f.facts["count"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("36870", Severity::Error, "2"),
                ("36874", Severity::Warning, "1"),
                ("36888", Severity::Info, "1"),
                ("36888", Severity::Warning, "1"),
            ]
        );
        assert!(out[0].facts["detail"].contains("private key cannot be used"));
        assert!(out[3].facts["detail"].contains("handshake_failure"));
    }
}

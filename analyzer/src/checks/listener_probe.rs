//! RDP042: does the RDP listener answer on the machine itself?
//!
//! The collector's handshake probe connects to 127.0.0.1 on the configured port and speaks the
//! first RDP message a client sends. That splits the problem space in two: if the listener does
//! not answer locally, RDP itself is broken on this machine and no firewall or network change
//! will help; if it answers locally but clients cannot connect, look between the client and the
//! box (firewall, NAT, VPN, DNS, the client's own settings). Both halves are worth saying, so the
//! answering case is reported as info.

use super::{support, Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP042",
    name: "listener-probe",
    severity: Severity::Error,
    title: "The RDP listener does not answer on the machine itself",
    explanation: "rdp-collect connected to the RDP port on 127.0.0.1 and sent an RDP connection \
                  request. No answer there means RDP is broken on this machine itself; an answer \
                  there means a failing client is blocked somewhere between it and this machine.",
    remediation: "If the listener does not answer locally: fix the findings about RDP being \
                  disabled, TermService, the listener or the port first, restart TermService and \
                  run rdp-collect again. If it answers locally: check the path from the client \
                  (Windows Firewall profile and scope, network firewalls, NAT/port forwarding, VPN, \
                  the name the client resolves) with `Test-NetConnection HOST -Port PORT` from the \
                  client.",
    needs: &[Kind::HandshakeProbe],
    fixture: "fixtures/probe-refused",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in &ev.handshake {
        let probe = &p.value;
        let target = probe.target.clone().unwrap_or_else(|| "127.0.0.1".into());
        let excerpt = format!(
            "target {target}: tcp {}, negotiation {}, tls {}",
            probe.tcp.as_deref().unwrap_or("?"),
            probe.negotiation.as_deref().unwrap_or("?"),
            probe.tls.as_deref().unwrap_or("?")
        );
        let evidence = EvidenceRef::file(&p.artifact, excerpt);
        let tcp = probe.tcp.as_deref().unwrap_or("");
        let mut f =
            match (tcp, probe.negotiation.as_deref()) {
                ("connected", Some("no_response" | "not_rdp" | "timeout"))
                | ("connected", None) => Finding::new(
                    &CHECK,
                    format!(
                    "Something accepts TCP connections on {target} but does not answer the RDP \
                     connection request: the port is probably held by another program (see \
                     RDP008) or the listener is hung."
                ),
                )
                .title(format!("{target} accepts TCP but does not speak RDP"))
                .fact("answer", "no-rdp"),
                ("connected", _) => Finding::new(
                    &CHECK,
                    format!(
                        "The RDP listener answers on {target} on the machine itself{}. If clients \
                     still cannot connect, the cause is between the client and this machine, or \
                     in the client.",
                        match probe.negotiation.as_deref() {
                            Some("selected") => format!(
                                " and selects {}",
                                probe.selected_protocol.as_deref().unwrap_or("a protocol")
                            ),
                            Some("failure") =>
                                " (it refused the offered security protocols: see RDP015)".into(),
                            Some("legacy") => " with standard RDP security only".into(),
                            _ => String::new(),
                        }
                    ),
                )
                .title(format!("The RDP listener answers locally on {target}"))
                .severity(Severity::Info)
                .fact("answer", "rdp"),
                (state, _) => Finding::new(
                    &CHECK,
                    format!(
                    "Connecting to {target} from the machine itself {}{}: RDP is broken on this \
                     machine, not (only) on the network.",
                    match state {
                        "refused" => "was refused (nothing listens on the port)".to_string(),
                        "timeout" => "timed out".to_string(),
                        other => format!("failed ({other})"),
                    },
                    probe.tcp_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                ),
                )
                .title(format!(
                    "The RDP listener does not answer on {target} locally"
                ))
                .fact("answer", if state.is_empty() { "unknown" } else { state }),
            };
        let bound_to_one_nic = ev
            .reg_value(crate::evidence::RDP_TCP_KEY, "LanAdapter")
            .and_then(|h| h.value.data.as_u32())
            .is_some_and(|a| a != 0);
        if f.severity == Severity::Error && bound_to_one_nic && tcp != "connected" {
            // A listener bound to one adapter (RDP027) does not listen on 127.0.0.1.
            f = f.severity(Severity::Warning);
            f.message.push_str(
                " The listener is bound to one network adapter (LanAdapter), so it may not \
                 listen on 127.0.0.1 at all: this result is inconclusive.",
            );
        }
        if f.severity == Severity::Error {
            if let Some(cause) = support::explained_by(ev) {
                f = f.severity(Severity::Info);
                f.message
                    .push_str(&format!(" This is expected while {cause}."));
            }
        }
        out.push(f.evidence(evidence));
    }
    out
}

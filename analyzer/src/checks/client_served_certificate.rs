//! RDP045: another computer is shown a certificate other than the one the server uses.
//!
//! The client probe (`rdp-collect probe`, run on another computer) records the certificate it
//! was served over TLS. The server's own listener uses the certificate `SSLCertificateSHA1Hash`
//! names (RDP-Tcp, or the Terminal Services policy), else its self-signed one in the Remote
//! Desktop store; the local handshake probe shows which one it really serves on 127.0.0.1. A
//! client served anything else is not talking to this listener directly: a TLS-inspecting
//! proxy or firewall, an RD Gateway or load balancer, or another machine answering the name
//! (stale DNS, a duplicate address). Clients then see an unknown certificate, warn, or refuse.

use super::rdp_certs::{configured_thumbprint, in_use, seen_certs};
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::cert::normalize_thumbprint;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP045",
    name: "client-served-certificate",
    severity: Severity::Warning,
    title: "A client is served a certificate other than the server's own",
    explanation: "The certificate another computer received when it connected is not the one \
                  the RDP listener on the server uses. Something between them answers TLS in the \
                  server's place (a TLS-inspecting firewall or proxy, a load balancer), or the \
                  name leads that client to another machine.",
    remediation: "Compare the served certificate's subject and issuer below with the server's: \
                  an issuer of your firewall or proxy means TLS inspection (exempt the RDP port), \
                  another machine's name means the client reaches another host (check DNS and \
                  the address the client resolved).",
    needs: &[Kind::ClientProbe],
    fixture: "fixtures/client-probe-certificate",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let configured = configured_thumbprint(ev);
    let certs = seen_certs(ev);
    let mut own: Vec<(String, EvidenceRef)> = in_use(&certs, configured.as_ref())
        .into_iter()
        .map(|c| (c.thumbprint.clone(), c.evidence.clone()))
        .collect();
    if let Some(c) = &configured {
        own.push(c.clone());
    }
    // What the listener itself served to the local probe is the server's certificate too.
    for h in &ev.handshake {
        if let Some(t) = h.value.certificate_sha1.as_deref() {
            own.push((
                normalize_thumbprint(t),
                EvidenceRef::file(&h.artifact, format!("served locally: {t}")),
            ));
        }
    }
    if own.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for p in &ev.client_probes {
        let Some(served) = p.value.served_thumbprint() else {
            continue;
        };
        if own.iter().any(|(t, _)| *t == served) {
            continue;
        }
        let who = p.value.client_label();
        let cert = p.value.certificate.clone().unwrap_or_default();
        let mut f = Finding::new(
            &CHECK,
            format!(
                "{who} was served certificate {served} (subject {}, issuer {}), but the server's \
                 listener uses {}.",
                cert.subject.as_deref().unwrap_or("unknown"),
                cert.issuer.as_deref().unwrap_or("unknown"),
                own.first().map(|(t, _)| t.as_str()).unwrap_or("?")
            ),
        )
        .title(format!(
            "{who} is served a certificate the server does not use"
        ))
        .fact("client", p.value.client.name.clone().unwrap_or_default())
        .fact("served", &served)
        .evidence(EvidenceRef::file(
            &p.artifact,
            format!(
                "served {served}: {}",
                cert.subject.as_deref().unwrap_or("subject unknown")
            ),
        ));
        if let Some((t, r)) = own.first() {
            f = f.fact("server", t).evidence(r.clone());
        }
        out.push(f);
    }
    out
}

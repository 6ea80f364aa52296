//! RDP011: the certificate the RDP listener uses is missing, expired, not yet valid, or has no
//! private key.
//!
//! RDP's TLS needs a server certificate with a usable private key. Without one (the self-signed
//! certificate could not be created, it expired and was not renewed, or its key file in
//! MachineKeys is gone or unreadable), TLS/NLA handshakes fail and clients see "An internal error
//! has occurred" or a reset right after connecting.

use super::rdp_certs::{configured_thumbprint, in_use, seen_certs, stores_observed};
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP011",
    name: "certificate-invalid",
    severity: Severity::Error,
    title: "The RDP certificate is missing, expired or unusable",
    explanation: "The RDP listener needs a valid certificate with a private key for TLS and \
                  Network Level Authentication. A missing, expired or not-yet-valid certificate, \
                  or one without an accessible private key, makes the security handshake fail.",
    remediation: "For the self-signed certificate: delete it from certlm.msc > Remote Desktop > \
                  Certificates and restart TermService; Windows creates a new one (this needs the \
                  MachineKeys permissions to be intact). For a CA-issued certificate: renew it, \
                  import it with its private key into Local Computer > Personal, and point \
                  SSLCertificateSHA1Hash (or the RDP certificate GPO) at the new thumbprint.",
    needs: &[
        Kind::Certificate,
        Kind::CertIndex,
        Kind::Certutil,
        Kind::Registry,
    ],
    fixture: "fixtures/certificate-expired",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let certs = seen_certs(ev);
    let configured = configured_thumbprint(ev);
    // The certificate(s) in use: the configured one, else the Remote Desktop store's.
    let in_use = in_use(&certs, configured.as_ref());
    let mut out = Vec::new();
    if in_use.is_empty() {
        if configured.is_none() && stores_observed(ev) && rdp_store_observed(ev) {
            out.push(
                Finding::new(&CHECK, "The Remote Desktop certificate store is empty and no certificate is configured: the listener has no certificate for TLS. Windows should have created a self-signed one when TermService started; that usually fails because of MachineKeys permissions or a stopped CertPropSvc/KeyIso.")
                    .title("No RDP certificate exists")
                    .fact("problem", "missing")
                    .evidence(EvidenceRef::file(&store_artifact(ev), "Remote Desktop store: no certificates")),
            );
        }
        return out;
    }
    for c in in_use {
        let mut problems = Vec::new();
        if let Some(na) = c.not_after {
            if na < ev.as_of {
                problems.push((
                    "expired",
                    format!("expired on {}", c.not_after_text.as_deref().unwrap_or("?")),
                ));
            }
        }
        if let Some(nb) = c.not_before {
            if nb > ev.as_of {
                problems.push((
                    "not-yet-valid",
                    "is not valid yet (check the clock)".to_string(),
                ));
            }
        }
        if c.has_private_key == Some(false) {
            problems.push(("no-private-key", "has no usable private key".to_string()));
        }
        if problems.is_empty() {
            continue;
        }
        let what: Vec<_> = problems.iter().map(|(_, t)| t.as_str()).collect();
        let mut f = Finding::new(
            &CHECK,
            format!(
                "The RDP certificate {} ({}) {}.",
                c.thumbprint,
                c.subject.as_deref().unwrap_or("subject unknown"),
                what.join(" and ")
            ),
        )
        .title(format!("The RDP certificate {}", what.join(" and ")))
        .fact("thumbprint", &c.thumbprint)
        .fact(
            "problem",
            problems
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(","),
        )
        .evidence(c.evidence.clone());
        if let Some((_, r)) = &configured {
            f = f.evidence(r.clone());
        }
        out.push(f);
    }
    out
}

fn rdp_store_observed(ev: &Evidence) -> bool {
    ev.cert_index.iter().any(|_| true)
        || ev.certutil.iter().any(|c| {
            c.value
                .store_name
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("Remote Desktop"))
        })
        || ev.reg_covers(super::rdp_certs::RDP_STORE_KEY)
}

fn store_artifact(ev: &Evidence) -> String {
    ev.cert_index
        .first()
        .map(|c| c.artifact.clone())
        .or_else(|| ev.certutil.first().map(|c| c.artifact.clone()))
        .or_else(|| {
            ev.reg_key(super::rdp_certs::RDP_STORE_KEY)
                .map(|(a, _)| a.to_string())
        })
        .unwrap_or_else(|| "certs/index.json".into())
}

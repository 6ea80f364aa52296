//! RDP021: the certificate the RDP listener uses is not valid for Server Authentication.
//!
//! Clients check the Enhanced Key Usage of the certificate the listener presents: without
//! Server Authentication (1.3.6.1.5.5.7.3.1) mstsc reports the certificate as not valid for
//! this purpose, and clients that require server authentication (NLA with the "Do not connect"
//! option, RD Gateway, most non-Windows clients) refuse it. This happens when an admin binds a
//! certificate issued from a user or client-authentication template by thumbprint. A
//! certificate without any EKU extension is valid for every purpose and passes.

use super::rdp_certs::{configured_thumbprint, in_use, seen_certs};
use super::{Check, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP021",
    name: "certificate-no-server-auth",
    severity: Severity::Error,
    title: "The RDP certificate is not valid for Server Authentication",
    explanation: "The certificate bound to the RDP listener has an Enhanced Key Usage extension \
                  that does not include Server Authentication, so clients reject it as the \
                  server's identity.",
    remediation: "Issue the RDP certificate from a template with the Server Authentication EKU \
                  (e.g. 'Remote Desktop Authentication' or 'Computer'/'Web Server'), import it \
                  with its private key into Local Computer > Personal, and set \
                  SSLCertificateSHA1Hash (or the 'Server authentication certificate template' \
                  policy) to it; or delete SSLCertificateSHA1Hash to go back to the self-signed \
                  certificate, then restart TermService.",
    needs: &[Kind::Certificate, Kind::Registry],
    fixture: "fixtures/certificate-no-server-auth",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let certs = seen_certs(ev);
    let configured = configured_thumbprint(ev);
    let mut out = Vec::new();
    for c in in_use(&certs, configured.as_ref()) {
        if c.server_auth_eku != Some(false) {
            continue;
        }
        let eku: Vec<String> = ev
            .certificates
            .iter()
            .find(|d| d.value.thumbprint_sha1 == c.thumbprint)
            .map(|d| d.value.eku.clone())
            .unwrap_or_default();
        let mut f = Finding::new(
            &CHECK,
            format!(
                "The RDP certificate {} ({}) lists Enhanced Key Usage {} but not Server \
                 Authentication.",
                c.thumbprint,
                c.subject.as_deref().unwrap_or("subject unknown"),
                if eku.is_empty() {
                    "purposes".to_string()
                } else {
                    eku.join(", ")
                }
            ),
        )
        .fact("thumbprint", &c.thumbprint)
        .fact("eku", eku.join(","))
        .evidence(c.evidence.clone());
        if let Some((_, r)) = &configured {
            f = f.evidence(r.clone());
        }
        out.push(f);
    }
    out
}

//! RDP043: the certificate the listener actually serves is not the one configured, or is expired.
//!
//! `SSLCertificateSHA1Hash` is only a wish: when TermService cannot load that certificate (key
//! file missing or unreadable, certificate deleted) it silently falls back to its self-signed
//! one, and clients that expect the CA-issued certificate get a warning or refuse to connect.
//! The handshake probe records what the listener really serves, so the two can be compared.

use super::rdp_certs::configured_thumbprint;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{parse_rfc3339, Evidence};
use crate::parse::cert::normalize_thumbprint;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP043",
    name: "served-certificate",
    severity: Severity::Warning,
    title: "The listener serves a different certificate than the one configured",
    explanation: "The handshake probe saw the certificate the RDP listener really serves. When it \
                  differs from SSLCertificateSHA1Hash, Windows could not use the configured \
                  certificate and fell back to another (usually the self-signed one), so clients \
                  that trust only the CA-issued certificate warn or refuse.",
    remediation: "Make the configured certificate usable: it must be in Local Computer > \
                  Personal with its private key, the key readable by NETWORK SERVICE (certlm.msc > \
                  the certificate > All Tasks > Manage Private Keys), and not expired; then \
                  restart TermService and check again. Or point SSLCertificateSHA1Hash at the \
                  certificate you intend to serve.",
    needs: &[Kind::HandshakeProbe],
    fixture: "fixtures/served-certificate-mismatch",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let configured = configured_thumbprint(ev);
    for p in &ev.handshake {
        let Some(served) = p
            .value
            .certificate_sha1
            .as_deref()
            .map(normalize_thumbprint)
        else {
            continue;
        };
        let served_ref = EvidenceRef::file(
            &p.artifact,
            format!(
                "served certificate {served} ({})",
                p.value
                    .certificate_subject
                    .as_deref()
                    .unwrap_or("subject unknown")
            ),
        );
        if let Some((wanted, reg_ref)) = &configured {
            if *wanted != served {
                out.push(
                    Finding::new(
                        &CHECK,
                        format!(
                            "SSLCertificateSHA1Hash asks for {wanted}, but the listener serves \
                             {served}: the configured certificate could not be used."
                        ),
                    )
                    .fact("configured", wanted)
                    .fact("served", &served)
                    .evidence(reg_ref.clone())
                    .evidence(served_ref.clone()),
                );
            }
        }
        let expired = p
            .value
            .certificate_not_after
            .as_deref()
            .and_then(parse_rfc3339)
            .is_some_and(|t| t < ev.as_of);
        if expired {
            out.push(
                Finding::new(
                    &CHECK,
                    format!(
                        "The listener serves certificate {served}, which expired on {}.",
                        p.value.certificate_not_after.as_deref().unwrap_or("?")
                    ),
                )
                .title("The listener serves an expired certificate")
                .severity(Severity::Error)
                .fact("served", &served)
                .fact("problem", "expired")
                .evidence(served_ref),
            );
        }
    }
    out
}

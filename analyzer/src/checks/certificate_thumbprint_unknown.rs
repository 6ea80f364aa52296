//! RDP012: `SSLCertificateSHA1Hash` names a certificate that is in no store.
//!
//! When an admin (or a GPO/WMI script) pins the listener to a certificate by thumbprint and that
//! certificate is later deleted or replaced on renewal, the listener cannot load it: TLS fails
//! and Schannel logs 36870. This compares the thumbprint with every certificate collected.

use super::rdp_certs::{configured_thumbprint, seen_certs, stores_observed};
use super::{Check, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP012",
    name: "certificate-thumbprint-unknown",
    severity: Severity::Error,
    title: "The configured RDP certificate thumbprint is in no certificate store",
    explanation: "RDP-Tcp's SSLCertificateSHA1Hash pins the listener to a certificate by SHA-1 \
                  thumbprint, but no certificate with that thumbprint exists in the Remote Desktop \
                  or Personal (My) store of the computer. The listener cannot do TLS.",
    remediation: "Either delete the SSLCertificateSHA1Hash value under \
                  HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp (the \
                  listener falls back to its self-signed certificate) or set it to the thumbprint \
                  of a valid certificate in Local Computer > Personal (`wmic /namespace:\\\\root\\cimv2\\TerminalServices \
                  PATH Win32_TSGeneralSetting Set SSLCertificateSHA1Hash=\"THUMBPRINT\"`), then \
                  restart TermService. If a GPO sets the certificate template, fix it there.",
    needs: &[Kind::Registry],
    fixture: "fixtures/certificate-thumbprint-unknown",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let Some((tp, reg_ref)) = configured_thumbprint(ev) else {
        return Vec::new();
    };
    if !stores_observed(ev) {
        return Vec::new();
    }
    let certs = seen_certs(ev);
    if certs.iter().any(|c| c.thumbprint == tp) {
        return Vec::new();
    }
    let known: Vec<_> = certs
        .iter()
        .map(|c| format!("{} ({})", c.thumbprint, c.store))
        .collect();
    vec![Finding::new(
        &CHECK,
        format!(
            "SSLCertificateSHA1Hash is {tp}, but the collected stores hold {}.",
            if known.is_empty() {
                "no certificates".to_string()
            } else {
                known.join(", ")
            }
        ),
    )
    .fact("thumbprint", &tp)
    .evidence(reg_ref)]
}

//! RDP023: a service Remote Desktop needs for its certificate is disabled or stopped.
//!
//! Remote Desktop creates and renews its self-signed certificate, and opens its private key, with
//! the help of three services: CryptSvc (Cryptographic Services, certificate stores), KeyIso
//! (CNG Key Isolation, which holds private keys for LSA and services) and CertPropSvc
//! (Certificate Propagation, which TermService starts with itself: it is in the Terminal Server
//! key's `RCDependentServices`). With one of them disabled, a deleted or expired RDP certificate
//! is never replaced and the listener has no TLS credential; System log 1057/1058 (RCM could not
//! create or renew the certificate) follow. KeyIso and CertPropSvc are trigger-started, so only
//! *disabled* counts for them; CryptSvc should always run.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, ServiceState};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP023",
    name: "certificate-services-not-running",
    severity: Severity::Warning,
    title: "A service needed for the RDP certificate is disabled or stopped",
    explanation: "Cryptographic Services (CryptSvc), CNG Key Isolation (KeyIso) and Certificate \
                  Propagation (CertPropSvc) are needed to create, renew and use the RDP \
                  certificate's key. Disabled, the listener cannot regenerate its self-signed \
                  certificate.",
    remediation: "Restore the default start types: `sc config CryptSvc start= auto`, `sc config \
                  KeyIso start= demand`, `sc config CertPropSvc start= demand`, start CryptSvc \
                  (`net start CryptSvc`) and restart TermService. If a hardening baseline \
                  disabled them, exempt these services there.",
    needs: &[Kind::ScQuery, Kind::Registry],
    fixture: "fixtures/certificate-services-disabled",
    requires: Some(missing),
    run,
};

const SERVICES: &[(&str, &str, bool)] = &[
    ("CryptSvc", "Cryptographic Services", true),
    ("KeyIso", "CNG Key Isolation", false),
    ("CertPropSvc", "Certificate Propagation", false),
];

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for (name, display, must_run) in SERVICES {
        let status = ev.service(name);
        let reg = support::service_start(ev, name);
        let qc = ev.service_start_type(name);
        let start = reg.as_ref().map(|(v, _)| *v).or(qc.map(|(t, _, _)| t));
        let disabled = start == Some(4);
        let stopped = *must_run
            && status.is_some_and(|(_, s)| {
                s.state != ServiceState::Running && !matches!(s.state, ServiceState::Unknown(_))
            });
        if !disabled && !stopped {
            continue;
        }
        let mut f = Finding::new(
            &CHECK,
            format!(
                "{display} ({name}) is {}. Remote Desktop cannot create or renew its self-signed \
                 certificate{}.",
                if disabled { "disabled" } else { "not running" },
                if *name == "CryptSvc" {
                    " and certificate stores may be unavailable"
                } else {
                    " or use its private key"
                }
            ),
        )
        .title(format!(
            "{display} ({name}) is {}",
            if disabled { "disabled" } else { "not running" }
        ))
        .fact("service", name)
        .fact("problem", if disabled { "disabled" } else { "stopped" });
        if let Some((a, s)) = status {
            f = f.evidence(support::service_state_ref(a, s));
        }
        if let Some((_, h)) = &reg {
            f = f.evidence(support::reg_ref(h));
        } else if let Some((t, a, s)) = qc {
            f = f.evidence(EvidenceRef::line(
                a,
                s.line,
                format!("SERVICE_NAME: {}  START_TYPE: {t}", s.name),
            ));
        }
        out.push(f);
    }
    out
}

/// Not evaluated when no state or start type of CryptSvc, KeyIso or CertPropSvc was collected.
fn missing(ev: &Evidence) -> Option<String> {
    let known = SERVICES
        .iter()
        .any(|(n, _, _)| ev.service(n).is_some() || support::service_start(ev, n).is_some());
    (!known).then(|| {
        support::missing_because(
            ev,
            "commands/sc-queryex-all.txt",
            "sc output for CryptSvc, KeyIso or CertPropSvc",
        )
    })
}

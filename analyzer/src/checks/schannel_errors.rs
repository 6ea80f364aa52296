//! RDP020: Schannel logged TLS server failures (System log 36870, 36871, 36874, 36888), read
//! together with the configuration that explains them.
//!
//! Schannel reports what went wrong on the server side of a TLS handshake but not for which
//! application: 36870 "A fatal error occurred when attempting to access the TLS server
//! credential private key" (the RDP certificate's key file is missing or unreadable), 36871
//! "A fatal error occurred while creating a TLS server credential" (no protocol or cipher left,
//! FIPS conflicts), 36874 "none of the cipher suites supported by the client application are
//! supported by the server", 36888 "A fatal alert was generated" with the TLS alert code (40
//! handshake failure, 70 protocol version; alert 10 with error state 1203 is a client that did
//! not speak TLS at all, usually a port scanner). Each group of events becomes one finding that
//! names the configuration this bundle shows as the likely cause.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP020",
    name: "schannel-errors",
    severity: Severity::Error,
    title: "Schannel logged TLS server errors",
    explanation: "The System log has Schannel errors about the server side of TLS handshakes: \
                  the TLS credential's private key could not be read (36870), the credential \
                  could not be created (36871), no cipher suite was shared (36874), or fatal TLS \
                  alerts were sent (36888). RDP's TLS and NLA fail the same way.",
    remediation: "Follow the cause named in the finding: for 36870, fix the RDP certificate's key \
                  (MachineKeys permissions, or delete the Remote Desktop certificate and restart \
                  TermService to get a new one); for 36871/36874, re-enable TLS 1.2 and suites \
                  matching the certificate (see RDP017/RDP019) or review FIPS mode (RDP018); for \
                  36888 alert 70, align the TLS versions of client and server. Events from other \
                  TLS servers on the machine (IIS, SQL) look the same: check their times against \
                  the failed RDP attempts.",
    needs: &[Kind::Evtx, Kind::HandshakeProbe],
    fixture: "fixtures/schannel-errors",
    requires: Some(missing),
    run,
};

const IDS: &[u32] = &[36870, 36871, 36874, 36888];

fn alert(e: &Event) -> Option<u32> {
    e.get("AlertDesc")
        .or_else(|| e.get("Data1"))
        .and_then(|v| v.trim().parse().ok())
}

fn state(e: &Event) -> Option<u32> {
    e.get("ErrorState")
        .or_else(|| e.get("ErrorStatus"))
        .or_else(|| e.get("Data2"))
        .and_then(|v| v.trim().parse().ok())
}

/// A 36888 that is scanner noise (alert 10 / state 1203: the peer did not speak TLS).
fn is_noise(e: &Event) -> bool {
    e.event_id == 36888 && alert(e) == Some(10) && state(e) == Some(1203)
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let events: Vec<(&str, &Event)> = support::provider_events(ev, IDS, "schannel")
        .into_iter()
        .filter(|(_, e)| !is_noise(e))
        .collect();
    let mut out = Vec::new();
    for id in IDS {
        let group: Vec<&(&str, &Event)> =
            events.iter().filter(|(_, e)| e.event_id == *id).collect();
        let (Some((_, first)), Some((_, last))) = (group.first(), group.last()) else {
            continue;
        };
        let (what, severity) = match id {
            36870 => (
                "the TLS server credential's private key could not be accessed".to_string(),
                Severity::Error,
            ),
            36871 => (
                "the TLS server credential could not be created".to_string(),
                Severity::Error,
            ),
            36874 => (
                "a client offered no cipher suite the server accepts".to_string(),
                Severity::Warning,
            ),
            _ => {
                let alerts: Vec<String> = group
                    .iter()
                    .filter_map(|(_, e)| alert(e))
                    .map(|a| a.to_string())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                (
                    format!(
                        "fatal TLS alerts were sent (alert code {})",
                        if alerts.is_empty() {
                            "unknown".into()
                        } else {
                            alerts.join(", ")
                        }
                    ),
                    Severity::Warning,
                )
            }
        };
        let cause = likely_cause(ev, *id, &group);
        let mut f = Finding::new(
            &CHECK,
            format!(
                "Schannel event {id} ({} time(s), {} .. {}): {what}.{}",
                group.len(),
                first.time,
                last.time,
                match &cause {
                    Some(c) => format!(" In this bundle: {c}."),
                    None => " Nothing in this bundle's configuration explains it; Schannel does \
                              not say which application's handshake failed."
                        .to_string(),
                }
            ),
        )
        .title(format!("Schannel {id}: {what}"))
        .severity(severity)
        .fact("event_id", id)
        .fact("count", group.len());
        if let Some(c) = cause {
            f = f.fact("likely_cause", c);
        }
        for (a, e) in group.iter().take(3) {
            f = f.evidence(support::event_ref(a, e, &what));
        }
        out.push(f);
    }
    if out.is_empty() {
        for p in ev.handshake.iter().filter(|p| p.value.tls_failed()) {
            out.push(
                Finding::new(
                    &CHECK,
                    format!(
                        "The collector's TLS handshake with the RDP listener failed: {}. No \
                         Schannel event was collected to say why.",
                        p.value.tls_error.as_deref().unwrap_or("no detail")
                    ),
                )
                .title("The RDP listener's TLS handshake fails")
                .fact("event_id", "none")
                .evidence(EvidenceRef::file(&p.artifact, "tls: failed")),
            );
        }
    }
    out
}

/// The configuration in this bundle that explains the events, in words.
fn likely_cause(ev: &Evidence, id: u32, group: &[&(&str, &Event)]) -> Option<String> {
    match id {
        36870 => {
            let denied_key = ev
                .cert_index
                .iter()
                .flat_map(|i| i.value.iter())
                .any(|e| e.private_key_accessible == Some(false));
            let key_acl = !super::rdp_key_file_acl::problems(ev).is_empty();
            (denied_key || key_acl).then(|| {
                "the RDP certificate's private key is not readable by the listener (see RDP022)"
                    .to_string()
            })
        }
        36871 | 36888 => {
            let no_tls = super::tls_protocols_disabled::protocols(ev)
                .iter()
                .filter(|p| p.name != "TLS 1.3")
                .all(|p| !p.enabled)
                && ev.reg_covers(super::tls_protocols_disabled::SCHANNEL_PROTOCOLS);
            let version_alert = id == 36888 && group.iter().any(|(_, e)| alert(e) == Some(70));
            if no_tls && (id == 36871 || version_alert) {
                Some("TLS 1.0-1.2 are turned off on the server side (see RDP017)".into())
            } else if id == 36871 && super::fips_mode::fips_enabled(ev).0 {
                Some("FIPS mode is on (see RDP018)".into())
            } else {
                None
            }
        }
        36874 => {
            let suites = ev
                .reg_value(super::tls_cipher_suites::SUITE_POLICY_KEY, "Functions")
                .is_some();
            suites.then(|| {
                "a cipher suite order policy restricts the suites (see RDP019)".to_string()
            })
        }
        _ => None,
    }
}

/// Not evaluated without the System log (where Schannel writes) or a handshake probe.
fn missing(ev: &Evidence) -> Option<String> {
    (!support::has_system_log(ev) && ev.handshake.is_empty())
        .then(|| support::missing_because(ev, "events/System.evtx", "System event log"))
}

//! RDP015: the listener's security negotiation settings refuse clients.
//!
//! When a client connects, the listener answers its `RDP_NEG_REQ` from four settings:
//! `SecurityLayer` (0 standard RDP security, 1 negotiate, 2 TLS), `UserAuthentication` (1: Network
//! Level Authentication, i.e. CredSSP, required before a session is created),
//! `MinEncryptionLevel` and `fAllowSecProtocolNegotiation`. Windows reads each from the Terminal
//! Services policy key first and from `WinStations\RDP-Tcp` only when policy does not set it, so
//! the value in force may not be the one the Remote Desktop settings page shows. NLA runs
//! CredSSP inside TLS: with the security layer forced to standard RDP security it cannot happen,
//! and every client is refused. The collector's handshake probe, when present, shows the
//! listener's real answer (`RDP_NEG_FAILURE` codes).

use super::support::{self, Setting};
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, RDP_TCP_KEY};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP015",
    name: "security-negotiation",
    severity: Severity::Error,
    title: "RDP security negotiation settings refuse clients",
    explanation: "The security layer, Network Level Authentication and negotiation settings in \
                  force (policy first, then RDP-Tcp) leave no combination a standard client can \
                  complete, or the listener refused the collector's handshake probe.",
    remediation: "Use the defaults unless there is a reason not to: SecurityLayer 2 (TLS) or 1 \
                  (Negotiate), UserAuthentication 1 (NLA) and fAllowSecProtocolNegotiation 1. \
                  Where a value comes from Group Policy (named below), change it in that GPO \
                  (Computer Configuration > Administrative Templates > Windows Components > Remote \
                  Desktop Services > Remote Desktop Session Host > Security: 'Require use of \
                  specific security layer for remote (RDP) connections', 'Require user \
                  authentication for remote connections by using Network Level Authentication') \
                  and run gpupdate /force; otherwise set the values under \
                  HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp. \
                  The listener applies them to new connections.",
    needs: &[Kind::Registry, Kind::HandshakeProbe],
    fixture: "fixtures/security-negotiation",
    requires: Some(missing),
    run,
};

pub const SECURITY_LAYER_POLICY: &[&str] = &[
    "Require use of specific security layer for remote (RDP) connections",
    "Require use of specific security layer for remote connections",
];
pub const NLA_POLICY: &[&str] = &[
    "Require user authentication for remote connections by using Network Level Authentication",
    "Require user authentication for remote connections by using Network Level Authentication (NLA)",
];
pub const ENCRYPTION_LEVEL_POLICY: &[&str] = &["Set client connection encryption level"];

/// The four settings in force.
pub struct Negotiation<'a> {
    pub security_layer: Option<Setting<'a>>,
    pub user_authentication: Option<Setting<'a>>,
    pub min_encryption_level: Option<Setting<'a>>,
    pub allow_negotiation: Option<Setting<'a>>,
}

pub fn settings(ev: &Evidence) -> Negotiation<'_> {
    Negotiation {
        security_layer: support::ts_setting(
            ev,
            "SecurityLayer",
            RDP_TCP_KEY,
            SECURITY_LAYER_POLICY,
        ),
        user_authentication: support::ts_setting(ev, "UserAuthentication", RDP_TCP_KEY, NLA_POLICY),
        min_encryption_level: support::ts_setting(
            ev,
            "MinEncryptionLevel",
            RDP_TCP_KEY,
            ENCRYPTION_LEVEL_POLICY,
        ),
        allow_negotiation: support::ts_setting(
            ev,
            "fAllowSecProtocolNegotiation",
            RDP_TCP_KEY,
            &[],
        ),
    }
}

fn layer_name(v: u32) -> &'static str {
    match v {
        0 => "standard RDP security",
        1 => "negotiate",
        2 => "TLS",
        _ => "unknown",
    }
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let s = settings(ev);
    let layer = s.security_layer.as_ref().map(|x| x.value);
    let nla = s.user_authentication.as_ref().map(|x| x.value);
    if layer == Some(0) && nla.is_some_and(|v| v != 0) {
        let (sl, ua) = (s.security_layer.as_ref(), s.user_authentication.as_ref());
        let mut f = Finding::new(
            &CHECK,
            format!(
                "Network Level Authentication is required ({}) but the security layer is forced \
                 to standard RDP security ({}). NLA runs CredSSP inside TLS, which this security \
                 layer never starts, so no client can complete the connection.",
                ua.map(Setting::describe).unwrap_or_default(),
                sl.map(Setting::describe).unwrap_or_default()
            ),
        )
        .title("NLA is required but the security layer is standard RDP security (no TLS)")
        .fact("problem", "nla-without-tls")
        .fact("SecurityLayer", 0);
        for x in [sl, ua].into_iter().flatten() {
            f.evidence.extend(x.refs());
            if let Some((gpo, _)) = &x.gpo {
                if !f.facts.contains_key("winning_gpo") {
                    f = f.fact("winning_gpo", gpo);
                }
            }
        }
        out.push(f);
    } else if layer == Some(0) {
        let sl = s.security_layer.as_ref();
        let mut f = Finding::new(
            &CHECK,
            format!(
                "The security layer is standard RDP security ({}): the listener offers neither TLS \
                 nor NLA. Clients that require server authentication or NLA (a client policy, RD \
                 Gateway, many current clients) refuse to connect, and the server is not \
                 authenticated to anyone.",
                sl.map(Setting::describe).unwrap_or_default()
            ),
        )
        .title("The RDP listener only offers standard RDP security (no TLS, no NLA)")
        .severity(Severity::Warning)
        .fact("problem", "rdp-security-only")
        .fact("SecurityLayer", 0);
        if let Some(x) = sl {
            f.evidence.extend(x.refs());
        }
        out.push(f);
    }
    if let Some(neg) = s.allow_negotiation.as_ref().filter(|n| n.value == 0) {
        let mut f = Finding::new(
            &CHECK,
            format!(
                "{}: the listener does not negotiate the security protocol; clients must offer \
                 exactly the configured security layer ({}), and those that start with another \
                 are disconnected.",
                neg.describe(),
                layer.map(layer_name).unwrap_or("not set")
            ),
        )
        .title("Security protocol negotiation is disabled on RDP-Tcp")
        .severity(Severity::Warning)
        .fact("problem", "negotiation-disabled");
        f.evidence.extend(neg.refs());
        out.push(f);
    }
    for p in &ev.handshake {
        if let Some((code, name, meaning)) = p.value.negotiation_failure() {
            out.push(
                Finding::new(
                    &CHECK,
                    format!(
                        "The listener refused the collector's handshake probe (which offers TLS and \
                         CredSSP, as mstsc does) with RDP_NEG_FAILURE {code} {name}: {meaning}."
                    ),
                )
                .title(format!("The RDP listener refuses the security negotiation: {name}"))
                .fact("problem", "probe-negotiation-failure")
                .fact("failure", name)
                .evidence(EvidenceRef::file(
                    &p.artifact,
                    format!("negotiation: failure, failure_code: {code} ({name})"),
                )),
            );
        }
    }
    // Nothing broken, but policy and the local values disagree: what the settings page shows is
    // not what the listener does.
    if out.is_empty() {
        let overridden: Vec<&Setting> = [
            &s.security_layer,
            &s.user_authentication,
            &s.min_encryption_level,
        ]
        .into_iter()
        .flatten()
        .filter(|x| x.disagrees())
        .collect();
        if !overridden.is_empty() {
            let mut f = Finding::new(
                &CHECK,
                format!(
                    "Group Policy overrides the listener's local security settings: {}. The local \
                     values (what RDP-Tcp and the settings page show) are not in force.",
                    overridden
                        .iter()
                        .map(|x| x.describe())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            )
            .title("Group Policy overrides the RDP security settings")
            .severity(Severity::Info)
            .fact("problem", "policy-overrides-local");
            for x in overridden {
                f.evidence.extend(x.refs());
            }
            out.push(f);
        }
    }
    out
}

/// Not evaluated without the RDP-Tcp key (nor a handshake probe).
fn missing(ev: &Evidence) -> Option<String> {
    if !ev.handshake.is_empty() {
        return None;
    }
    support::missing_key(ev, RDP_TCP_KEY, "registry/terminal-server.reg")
}

//! RDP017: Schannel's server-side protocol settings leave no TLS version the RDP listener can
//! use.
//!
//! The listener's TLS (security layer TLS or Negotiate, and NLA) is Schannel's. Each protocol is
//! switched under `SCHANNEL\Protocols\<TLS 1.x>\Server`: `Enabled` = 0 turns it off, and
//! `DisabledByDefault` = 1 keeps it off for applications that, like the RDP listener, do not ask
//! for protocols by name. A hardening script that disables TLS 1.0 and 1.1 and, by mistake or
//! with a broken `.reg` file, TLS 1.2, leaves the listener unable to create its TLS credential:
//! Schannel logs 36871 and clients get "An internal error has occurred". TLS 1.3 is only
//! available to the listener on Windows Server 2022 / Windows 11 and later builds, and few RDP
//! clients speak it, so a listener left with TLS 1.3 alone still refuses most of them. A key
//! that is absent keeps the build's default (on; TLS 1.0 and 1.1 are off by default from build
//! 26100).

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, RegHit};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP017",
    name: "tls-protocols-disabled",
    severity: Severity::Error,
    title: "Schannel leaves no TLS version the RDP listener can use",
    explanation: "Every TLS version the RDP listener can negotiate (TLS 1.0, 1.1, 1.2) is turned \
                  off on the server side of Schannel (Enabled = 0 or DisabledByDefault = 1), so \
                  TLS and NLA connections fail before authentication.",
    remediation: "Re-enable at least TLS 1.2 for the server side: under \
                  HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server \
                  set Enabled = 1 and DisabledByDefault = 0 (or delete both values to get the \
                  default), then restart the computer (Schannel reads these at boot). If a \
                  hardening GPO or tool (IIS Crypto, a CIS script) wrote them, fix it there too.",
    needs: &[Kind::Registry],
    fixture: "fixtures/tls-protocols-disabled",
    requires: Some(missing),
    run,
};

pub const SCHANNEL_PROTOCOLS: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols";

/// One protocol's server-side state.
pub struct ProtocolState<'a> {
    pub name: &'static str,
    /// Usable by the listener.
    pub enabled: bool,
    /// The values that decided it (empty when the build default applies).
    pub hits: Vec<RegHit<'a>>,
}

/// The build number from the manifest (`26100.2314` gives 26100).
pub fn build(ev: &Evidence) -> Option<u32> {
    ev.manifest
        .as_ref()?
        .os
        .build
        .as_deref()?
        .split('.')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Server-side state of TLS 1.0-1.3 from the SCHANNEL export.
pub fn protocols(ev: &Evidence) -> Vec<ProtocolState<'_>> {
    let build = build(ev);
    ["TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"]
        .into_iter()
        .map(|name| {
            let key = format!(r"{SCHANNEL_PROTOCOLS}\{name}\Server");
            let enabled = ev.reg_value(&key, "Enabled");
            let dbd = ev.reg_value(&key, "DisabledByDefault");
            let off_by_value = enabled
                .as_ref()
                .is_some_and(|h| h.value.data.as_u32() == Some(0))
                || dbd
                    .as_ref()
                    .is_some_and(|h| h.value.data.as_u32().is_some_and(|v| v != 0));
            let on_by_value = enabled
                .as_ref()
                .is_some_and(|h| h.value.data.as_u32().is_some_and(|v| v != 0));
            let default_on = match name {
                "TLS 1.0" | "TLS 1.1" => build.is_none_or(|b| b < 26100),
                "TLS 1.3" => build.is_some_and(|b| b >= 20348),
                _ => true,
            };
            ProtocolState {
                name,
                enabled: !off_by_value && (on_by_value || default_on),
                hits: [enabled, dbd].into_iter().flatten().collect(),
            }
        })
        .collect()
}

fn run(ev: &Evidence) -> Vec<Finding> {
    if !ev.reg_covers(SCHANNEL_PROTOCOLS) {
        return Vec::new();
    }
    let states = protocols(ev);
    let classic_on: Vec<&ProtocolState> = states
        .iter()
        .filter(|s| s.enabled && s.name != "TLS 1.3")
        .collect();
    if !classic_on.is_empty() {
        return Vec::new();
    }
    let tls13 = states.iter().find(|s| s.name == "TLS 1.3");
    let only13 = tls13.is_some_and(|s| s.enabled);
    let off: Vec<String> = states
        .iter()
        .filter(|s| !s.enabled && (s.name != "TLS 1.3" || !s.hits.is_empty()))
        .map(|s| {
            if s.hits.is_empty() {
                format!(
                    "{} (off by default, or not available, on this build)",
                    s.name
                )
            } else {
                s.name.to_string()
            }
        })
        .collect();
    let mut f = Finding::new(
        &CHECK,
        format!(
            "Schannel's server side has {} turned off{}. The RDP listener cannot create its TLS \
             credential for TLS or NLA connections.",
            off.join(", "),
            if only13 {
                "; only TLS 1.3 remains, which most RDP clients (and the listener on older builds) do not negotiate"
            } else {
                ""
            }
        ),
    )
    .fact("disabled", off.join(","))
    .fact("only_tls13", only13);
    if only13 {
        f = f
            .severity(Severity::Warning)
            .title("Only TLS 1.3 is left for the RDP listener");
    }
    // Without TLS in use at all (standard RDP security, no NLA), it does not block connections.
    let s = super::security_negotiation::settings(ev);
    let layer = s.security_layer.as_ref().map(|x| x.value);
    let nla = s.user_authentication.as_ref().map(|x| x.value);
    if layer == Some(0) && nla == Some(0) {
        f = f.severity(Severity::Warning);
        f.message.push_str(
            " The listener is set to standard RDP security without NLA, so it does not use TLS \
             now, but clients that require TLS fail.",
        );
    }
    for st in &states {
        for h in &st.hits {
            f = f.evidence(support::reg_ref(h));
        }
    }
    for (a, e) in support::provider_events(ev, &[36871], "schannel")
        .into_iter()
        .take(3)
    {
        f = f.evidence(support::event_ref(
            a,
            e,
            "fatal error creating the TLS server credential",
        ));
    }
    for p in ev.handshake.iter().filter(|p| p.value.tls_failed()) {
        f = f.evidence(EvidenceRef::file(
            &p.artifact,
            format!(
                "tls: failed ({})",
                p.value.tls_error.as_deref().unwrap_or("no detail")
            ),
        ));
    }
    vec![f]
}

/// Not evaluated without the SCHANNEL export.
fn missing(ev: &Evidence) -> Option<String> {
    support::missing_key(
        ev,
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL",
        "registry/schannel.reg",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Located;
    use crate::parse::reg;
    use rdp_bundle::{Manifest, OsInfo};

    fn evidence(build: &str, protocols: &[(&str, u32, u32)]) -> Evidence {
        let mut text = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
        text.push_str(&format!("[{SCHANNEL_PROTOCOLS}]\r\n\r\n"));
        for (p, enabled, dbd) in protocols {
            text.push_str(&format!(
                "[{SCHANNEL_PROTOCOLS}\\{p}\\Server]\r\n\"Enabled\"=dword:{enabled:08x}\r\n\"DisabledByDefault\"=dword:{dbd:08x}\r\n\r\n"
            ));
        }
        let mut ev = Evidence::default();
        ev.registry.push(Located {
            artifact: "registry/schannel.reg".into(),
            value: reg::parse(&text).unwrap(),
        });
        ev.manifest = Some(Manifest {
            format_version: 1,
            collector: "rdp-collect".into(),
            collector_version: "0.1.0".into(),
            host_name: "H".into(),
            os: OsInfo {
                build: Some(build.into()),
                ..OsInfo::default()
            },
            started_utc: String::new(),
            finished_utc: String::new(),
            elevated: Some(true),
            options: Vec::new(),
            artifacts: Vec::new(),
            offline: None,
        });
        ev
    }

    #[test]
    fn defaults_follow_the_build() {
        // TLS 1.2 off; 1.0/1.1 keep their default, which is on before build 26100.
        let ev = evidence("17763.1", &[("TLS 1.2", 0, 1)]);
        assert!(run(&ev).is_empty());
        // From 26100 TLS 1.0/1.1 are off by default: TLS 1.2 off leaves only TLS 1.3.
        let ev = evidence("26100.2314", &[("TLS 1.2", 0, 1)]);
        let f = run(&ev);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].facts["only_tls13"], "true");
        // DisabledByDefault alone is enough to take a protocol away from the listener.
        let ev = evidence(
            "20348.1",
            &[
                ("TLS 1.0", 1, 1),
                ("TLS 1.1", 1, 1),
                ("TLS 1.2", 1, 1),
                ("TLS 1.3", 0, 1),
            ],
        );
        let f = run(&ev);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].facts["disabled"].contains("TLS 1.3"));
        // TLS 1.2 explicitly on wins over a build default.
        let ev = evidence("26100.1", &[("TLS 1.2", 1, 0), ("TLS 1.3", 0, 1)]);
        assert!(run(&ev).is_empty());
    }
}

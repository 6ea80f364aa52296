//! RDP061: a Microsoft Entra joined host refuses online identities (PKU2U), so Network Level
//! Authentication cannot authenticate cloud accounts.
//!
//! # What it detects
//! On a Microsoft Entra joined host (`dsregcmd /status`: `AzureAdJoined : YES`) users sign in
//! as `AzureAD\user@contoso.com`, or with a Microsoft account as `MicrosoftAccount\user@...`.
//! Neither is an Active Directory account, so CredSSP cannot use Kerberos against a domain
//! controller or NTLM against the local account database: NLA authenticates them through the
//! PKU2U security package, peer to peer between two devices of the same tenant. PKU2U takes
//! online identities only when "Network security: Allow PKU2U authentication requests to this
//! computer to use online identities" is enabled (`Lsa\pku2u\AllowOnlineID` = 1) on the host
//! and on the client. Microsoft documents it enabled by default on Windows 10 1607 and later
//! clients and disabled by default on Windows Server; CIS and STIG baselines disable it (both
//! real gpresult reports in the samples do). Without it, every NLA logon of a cloud account
//! fails with "The logon attempt failed" while the password is right.
//!
//! # Evidence read
//! `commands/dsregcmd-status.txt` (join state, tenant), `registry/lsa.reg` (`pku2u`
//! subkey), gpresult's Security Options row with its winning GPO, the manifest's
//! `installation_type` for the default, and logons of `AzureAD` / `MicrosoftAccount` accounts
//! (Security 4624/4625, LocalSessionManager 21/25, RemoteConnectionManager 1149).
//!
//! # Severity
//! Error when online identities are refused and such accounts failed to log on (without a
//! later successful logon). Warning on an Entra joined host refusing them with no failure
//! logged yet, and when online identities fail although PKU2U allows them (then the client
//! path is wrong: user name format, a client not in the tenant). Information on a hybrid joined
//! host refusing them: domain accounts still use Kerberos.
//!
//! # Known gaps
//! Users who only ever signed in with a PIN or Windows Hello have no password NLA could use;
//! no public log shows how that failure is recorded, so it is not detected. The client's own
//! PKU2U setting is not in a host bundle.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{event_account, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::gpresult::{policy_state, PolicyState};
use crate::parse::identify::Kind;
use std::collections::BTreeSet;

pub static CHECK: Check = Check {
    id: "RDP061",
    name: "entra-online-id-refused",
    severity: Severity::Error,
    title: "Microsoft Entra joined host refuses online identities (PKU2U): NLA cannot authenticate cloud accounts",
    explanation: "Microsoft Entra ID and Microsoft accounts are not domain accounts: with \
                  Network Level Authentication they are authenticated peer to peer by PKU2U, \
                  which accepts them only when 'Allow PKU2U authentication requests to this \
                  computer to use online identities' is enabled (Lsa\\pku2u AllowOnlineID = 1).",
    remediation: "Enable 'Network security: Allow PKU2U authentication requests to this computer \
                  to use online identities' on this host and on the client (the GPO or Intune \
                  baseline named below, or secpol.msc > Local Policies > Security Options; \
                  registry HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\pku2u AllowOnlineID = \
                  1), connect from a client that is Microsoft Entra joined or registered in the \
                  same tenant, and type the user name as AzureAD\\user@contoso.com \
                  (MicrosoftAccount\\user@outlook.com for a Microsoft account). Or use Microsoft \
                  Entra authentication for RDP, which needs no PKU2U: 'Use a web account to sign \
                  in to the remote computer' in mstsc, `enablerdsaadauth:i:1` in the .rdp file \
                  (host Windows 10/11 or Server 2022 with the October 2022 updates or later).",
    needs: &[Kind::Dsregcmd, Kind::Evtx, Kind::Registry, Kind::Gpresult],
    fixture: "fixtures/entra-online-id-refused",
    requires: Some(missing),
    run,
};

const PKU2U_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa\pku2u";
/// The Security Options row. Real reports (`HersheyTaichou__GPResult-MS-cis-rdp.html`,
/// `c0moshack__gpreport-win10-stig-rdp-allowed.html`) print it with a final period and two
/// line breaks inside the cell; names compare without whitespace.
pub const PKU2U_NAMES: &[&str] = &[
    "Network security: Allow PKU2U authentication requests to this computer to use online identities.",
    "Network security: Allow PKU2U authentication requests to this computer to use online identities",
];
/// The account domains Windows writes for online identities.
const ONLINE_DOMAINS: &[&str] = &["AzureAD", "MicrosoftAccount"];

/// Whether `domain` is an online-identity domain (`AzureAD`, `MicrosoftAccount`).
pub fn is_online_domain(domain: &str) -> bool {
    ONLINE_DOMAINS
        .iter()
        .any(|d| d.eq_ignore_ascii_case(domain.trim()))
}

/// Whether PKU2U accepts online identities here, why we think so, and the evidence.
struct Pku2u {
    allowed: Option<bool>,
    source: String,
    gpo: Option<String>,
    refs: Vec<EvidenceRef>,
}

fn pku2u(ev: &Evidence) -> Pku2u {
    let reg = ev
        .reg_value(PKU2U_KEY, "AllowOnlineID")
        .and_then(|h| h.value.data.as_u32().map(|v| (v, h)));
    let gp = support::security_setting_gpo(ev, PKU2U_NAMES);
    let mut refs = Vec::new();
    let mut gpo = None;
    let gp_state = gp.map(|(g, setting, r)| {
        refs.push(r);
        gpo = Some(g);
        policy_state(&setting)
    });
    if let Some((v, h)) = reg {
        refs.insert(0, support::reg_ref(&h));
        return Pku2u {
            allowed: Some(v == 1),
            source: format!("AllowOnlineID = {v}"),
            gpo,
            refs,
        };
    }
    match gp_state {
        Some(PolicyState::Enabled) => {
            return Pku2u {
                allowed: Some(true),
                source: "the policy is Enabled".into(),
                gpo,
                refs,
            }
        }
        Some(PolicyState::Disabled) => {
            return Pku2u {
                allowed: Some(false),
                source: "the policy is Disabled".into(),
                gpo,
                refs,
            }
        }
        _ => {}
    }
    // Not set: the default of the edition, when the Lsa export shows the value is really absent.
    let lsa_read = ev.reg_covers(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa");
    let kind = ev
        .manifest
        .as_ref()
        .and_then(|m| m.os.installation_type.clone())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let allowed = match (lsa_read, kind.as_str()) {
        (false, _) => None,
        (true, k) if k.starts_with("server") => Some(false),
        (true, "client") => Some(true),
        _ => None,
    };
    Pku2u {
        allowed,
        source: match allowed {
            Some(false) => "AllowOnlineID is not set, and Windows Server refuses online \
                            identities by default"
                .into(),
            Some(true) => "AllowOnlineID is not set (allowed by default on Windows 10 1607 \
                           and later)"
                .into(),
            None => "AllowOnlineID is not known".into(),
        },
        gpo,
        refs,
    }
}

/// Logon events of online identities: (artifact, event, failed).
fn online_logons(ev: &Evidence) -> Vec<(&str, &Event, bool)> {
    ev.events_with_ids(&[4624, 4625, 21, 25, 1149])
        .into_iter()
        .filter_map(|(a, e)| {
            let failed = match crate::evidence::event_source(e) {
                EventSource::Security => e.event_id == 4625,
                EventSource::LocalSessionManager | EventSource::RemoteConnectionManager => false,
                _ => return None,
            };
            let account = event_account(e)?;
            let online = account.domain.as_deref().is_some_and(is_online_domain);
            online.then_some((a, e, failed))
        })
        .collect()
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let dsreg = ev
        .device_registration
        .iter()
        .find(|d| d.value.entra_joined().is_some());
    let entra = dsreg.is_some_and(|d| d.value.entra_joined() == Some(true));
    let hybrid = entra && dsreg.is_some_and(|d| d.value.domain_joined() == Some(true));
    let logons = online_logons(ev);
    if !entra && logons.is_empty() {
        return Vec::new();
    }
    let last_logon = support::last_logon_by_user(ev);
    let failures: Vec<&(&str, &Event, bool)> = logons
        .iter()
        .filter(|(_, e, failed)| {
            *failed
                && event_account(e)
                    .and_then(|a| last_logon.get(&a.key()))
                    .is_none_or(|t| *t <= e.time.as_str())
        })
        .collect();
    let users: BTreeSet<String> = failures
        .iter()
        .filter_map(|(_, e, _)| event_account(e).map(|a| a.display()))
        .collect();
    let p = pku2u(ev);

    let mut parts = Vec::new();
    if let Some(d) = dsreg {
        let tenant = d
            .value
            .field("TenantName")
            .map(|f| f.value.as_str())
            .filter(|v| !v.is_empty() && *v != "-");
        parts.push(format!(
            "dsregcmd says this host is {}{}",
            d.value.join_type().unwrap_or("of unknown join state"),
            tenant
                .map(|t| format!(" (tenant {t})"))
                .unwrap_or_default()
        ));
    }
    let pku2u_words = match p.allowed {
        Some(true) => format!("PKU2U accepts online identities ({})", p.source),
        Some(false) => format!(
            "PKU2U refuses online identities ({}{})",
            p.source,
            p.gpo
                .as_ref()
                .map(|g| format!(", Group Policy '{g}'"))
                .unwrap_or_default()
        ),
        None => "whether PKU2U accepts online identities is not known (no Lsa export)".into(),
    };
    parts.push(pku2u_words);
    if !failures.is_empty() {
        parts.push(format!(
            "{} logon(s) of online identities failed ({})",
            failures.len(),
            users.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
        ));
    } else if !logons.is_empty() {
        parts.push(format!(
            "{} logon event(s) of online identities, none failing now",
            logons.len()
        ));
    }
    let mut message = format!("{}.", parts.join("; "));

    let (severity, title) = match (p.allowed, failures.is_empty()) {
        (Some(false), false) => (
            Severity::Error,
            "Online identities are refused (PKU2U) and cloud accounts fail to log on over RDP"
                .to_string(),
        ),
        (Some(false), true) if entra && !hybrid => {
            message.push_str(
                " No failure is logged yet, but NLA cannot authenticate Microsoft Entra or \
                 Microsoft accounts here except through Microsoft Entra authentication for RDP.",
            );
            (Severity::Warning, CHECK.title.to_string())
        }
        (Some(false), true) => {
            message.push_str(
                " Domain accounts still use Kerberos; cloud-only accounts and clients outside the \
                 domain that connect with AzureAD\\ names are refused.",
            );
            (
                Severity::Info,
                "Hybrid joined host refuses online identities (PKU2U): only domain accounts can use NLA"
                    .to_string(),
            )
        }
        (_, false) => {
            message.push_str(
                " PKU2U is not what refuses them: check the client path (a client Microsoft \
                 Entra joined or registered in the same tenant, the user name typed as \
                 AzureAD\\user@domain), or use Microsoft Entra authentication for RDP.",
            );
            (
                Severity::Warning,
                "Online identities fail to log on over RDP".to_string(),
            )
        }
        _ => return Vec::new(),
    };
    let mut f = Finding::new(&CHECK, message)
        .title(title)
        .severity(severity)
        .fact("entra_joined", entra)
        .fact("online_identity_failures", failures.len());
    if let Some(j) = dsreg.and_then(|d| d.value.join_type()) {
        f = f.fact("join_type", j);
    }
    if let Some(t) = dsreg.and_then(|d| d.value.field("TenantName")) {
        f = f.fact("tenant", &t.value);
    }
    f = f.fact(
        "allow_online_id",
        match p.allowed {
            Some(true) => "allowed",
            Some(false) => "refused",
            None => "unknown",
        },
    );
    if let Some(g) = &p.gpo {
        f = f.fact("winning_gpo", g);
    }
    if !users.is_empty() {
        f = f.fact("users", users.iter().cloned().collect::<Vec<_>>().join(","));
    }
    if let Some(d) = dsreg {
        if let Some(field) = d.value.field("AzureAdJoined") {
            f = f.evidence(EvidenceRef::line(
                &d.artifact,
                field.line,
                format!("{} : {}", field.name, field.value),
            ));
        }
    }
    f.evidence.extend(p.refs);
    for (a, e, _) in failures.iter().rev().take(3) {
        f = f.evidence(EvidenceRef::record(
            a,
            e.record_id,
            crate::evidence::summarize_event(e),
        ));
    }
    vec![f]
}

/// Not evaluated without the join state (dsregcmd) unless the logs show online identities.
fn missing(ev: &Evidence) -> Option<String> {
    if !ev.device_registration.is_empty() || !online_logons(ev).is_empty() {
        return None;
    }
    Some(support::missing_because(
        ev,
        rdp_bundle::paths::DSREGCMD_STATUS,
        "dsregcmd /status output",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{evidence_from_xml, security_event};

    const ENTRA: &str = "+----------------------------------------------------------------------+\r\n| Device State                                                         |\r\n+----------------------------------------------------------------------+\r\n\r\n             AzureAdJoined : YES\r\n          EnterpriseJoined : NO\r\n              DomainJoined : NO\r\n               Device Name : WS-CLOUD07\r\n\r\n+----------------------------------------------------------------------+\r\n| Tenant Details                                                       |\r\n+----------------------------------------------------------------------+\r\n\r\n                TenantName : Contoso\r\n";

    fn lsa(allow: Option<u32>) -> String {
        let mut s = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa]\r\n\"LimitBlankPasswordUse\"=dword:00000001\r\n\r\n".to_string();
        if let Some(v) = allow {
            s.push_str(&format!("[{PKU2U_KEY}]\r\n\"AllowOnlineID\"=dword:{v:08x}\r\n\r\n"));
        }
        s
    }

    fn failure(rid: u64, user: &str, domain: &str) -> String {
        security_event(
            4625,
            rid,
            "2026-03-01T09:00:00.0000000Z",
            &[
                ("TargetUserName", user),
                ("TargetDomainName", domain),
                ("Status", "0xc000006d"),
                ("SubStatus", "0xc0000064"),
                ("LogonType", "3"),
                ("IpAddress", "10.0.0.9"),
            ],
        )
    }

    #[test]
    fn entra_joined_refusing_with_failures_is_an_error() {
        let ev = evidence_from_xml(&[
            ("commands/dsregcmd-status.txt", ENTRA),
            ("registry/lsa.reg", &lsa(Some(0))),
            (
                "events/Security.xml",
                &failure(5, "anna@contoso.com", "AzureAD"),
            ),
        ]);
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.facts["join_type"], "Microsoft Entra joined");
        assert_eq!(f.facts["tenant"], "Contoso");
        assert_eq!(f.facts["allow_online_id"], "refused");
        assert_eq!(f.facts["users"], r"AzureAD\anna@contoso.com");
        assert!(f.evidence.iter().any(|r| r.artifact.contains("dsregcmd")));
        assert!(f.remediation.contains("enablerdsaadauth:i:1"));
    }

    #[test]
    fn entra_joined_refusing_without_failures_is_a_warning_hybrid_is_information() {
        let ev = evidence_from_xml(&[
            ("commands/dsregcmd-status.txt", ENTRA),
            ("registry/lsa.reg", &lsa(Some(0))),
        ]);
        assert_eq!(run(&ev)[0].severity, Severity::Warning);
        let hybrid = ENTRA.replace("DomainJoined : NO", "DomainJoined : YES");
        let ev = evidence_from_xml(&[
            ("commands/dsregcmd-status.txt", &hybrid),
            ("registry/lsa.reg", &lsa(Some(0))),
        ]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Info);
        assert_eq!(f.facts["join_type"], "Microsoft Entra hybrid joined");
    }

    #[test]
    fn allowed_is_silent_unless_online_identities_fail() {
        let ev = evidence_from_xml(&[
            ("commands/dsregcmd-status.txt", ENTRA),
            ("registry/lsa.reg", &lsa(Some(1))),
        ]);
        assert!(run(&ev).is_empty());
        let ev = evidence_from_xml(&[
            ("commands/dsregcmd-status.txt", ENTRA),
            ("registry/lsa.reg", &lsa(Some(1))),
            (
                "events/Security.xml",
                &failure(5, "bob@outlook.com", "MicrosoftAccount"),
            ),
        ]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("client path"), "{}", f.message);
    }

    #[test]
    fn domain_hosts_and_missing_join_state() {
        let domain = ENTRA.replace("AzureAdJoined : YES", "AzureAdJoined : NO");
        let ev = evidence_from_xml(&[
            ("commands/dsregcmd-status.txt", &domain),
            ("registry/lsa.reg", &lsa(Some(0))),
            ("events/Security.xml", &failure(5, "jdoe", "CONTOSO")),
        ]);
        assert!(run(&ev).is_empty(), "a domain account's failure is not ours");
        assert_eq!(missing(&ev), None);
        let ev = evidence_from_xml(&[("registry/lsa.reg", &lsa(Some(0)))]);
        assert!(missing(&ev).unwrap().contains("dsregcmd"));
        // Online identities in the log are evidence enough.
        let ev = evidence_from_xml(&[(
            "events/Security.xml",
            &failure(5, "anna@contoso.com", "AzureAD"),
        )]);
        assert_eq!(missing(&ev), None);
        let f = &run(&ev)[0];
        assert_eq!(f.facts["allow_online_id"], "unknown");
        assert_eq!(f.severity, Severity::Warning);
    }

    /// Both real CIS/STIG reports disable the policy; its cell ends in a period and two line
    /// breaks. Our name list must find it there.
    #[test]
    fn real_baseline_reports_name_the_policy_disabled() {
        for name in [
            "HersheyTaichou__GPResult-MS-cis-rdp.html",
            "c0moshack__gpreport-win10-stig-rdp-allowed.html",
        ] {
            let path = format!(
                "{}/../../shared/samples/gpresult/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            let Ok(bytes) = std::fs::read(&path) else {
                eprintln!("SKIPPED: ../shared/samples absent ({path})");
                return;
            };
            let text = crate::parse::text::decode(&bytes, None).text;
            let report = crate::parse::gpresult::parse(&text).unwrap();
            let s = report.find_security_setting(PKU2U_NAMES).unwrap();
            assert_eq!(policy_state(&s.setting), PolicyState::Disabled, "{name}");
        }
    }
}

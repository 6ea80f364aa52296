//! RDP060: NTLM restrictions refuse the authentication Network Level Authentication falls back to.
//!
//! # What it detects
//! With NLA the client authenticates through CredSSP, which negotiates Kerberos and falls back to
//! NTLM. Kerberos needs a domain account, a domain-joined host the client names by its DNS name
//! (an SPN exists for `TERMSRV/host.fqdn`, none for an IP address) and a reachable domain
//! controller; everything else is NTLM: local accounts, clients outside the domain, connections
//! by IP address. The "Network security: Restrict NTLM" policies take that fallback away:
//! `Lsa\MSV1_0\RestrictReceivingNTLMTraffic` ("Incoming NTLM traffic": 0 allow all, 1 deny all
//! domain accounts, 2 deny all accounts) on the RDP host, and on a domain controller
//! `Netlogon\Parameters\RestrictNTLMInDomain` ("NTLM authentication in this domain": 1 deny for
//! domain accounts to domain servers, 3 deny for domain accounts, 5 deny for domain servers, 7
//! deny all). The refusal is `STATUS_NTLM_BLOCKED` (0xC0000418) in Security 4625 and an NTLM
//! Operational block event: 4002 (incoming NTLM blocked on this server), 4003 (blocked by the
//! domain policy, on the DC), 4011 (the client misses the minimum session security of
//! `MSV1_0\NTLMMinServerSec`), 4013 (an NTLMv1 response refused, `LmCompatibilityLevel` 5).
//!
//! # Why it matters
//! The client only says "An authentication error has occurred" (often "... NTLM authentication
//! being blocked on the remote computer"), while the password is right and every other setting
//! looks fine.
//!
//! # Evidence read
//! `registry/lsa.reg` (MSV1_0 values, `LmCompatibilityLevel`), `registry/netlogon-parameters.reg`,
//! gpresult's Security Options rows (with the winning GPO), secedit's `[Registry Values]`, NTLM
//! Operational 4002/4003/4011/4013 (block) and 8002/8003 (audit: "would be blocked"), Security
//! 4625 and 4776 with 0xC0000418.
//!
//! # Severity
//! Error when NTLM refusals are logged and not followed by a successful logon of the same users,
//! or when a host outside any domain denies NTLM to all accounts (NLA then has no way to
//! authenticate anyone). Warning when a restriction is set without failures: Kerberos can still
//! work (domain-joined host, domain accounts, clients connecting by FQDN). Information for the
//! audit-only twins (8002/8003: what a Deny would break) and for refusals every user got past.
//!
//! # Known gaps
//! 4004-4006 / 8004-8006 ("Domain Controller Blocked") are written by
//! Microsoft-Windows-Security-Netlogon to its own Operational log on domain controllers, which
//! the bundle does not hold. 4002 names the calling process (lsass, the service account), not
//! the remote user.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{event_account, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;
use crate::parse::ntstatus;
use std::collections::BTreeSet;

pub static CHECK: Check = Check {
    id: "RDP060",
    name: "ntlm-restricted",
    severity: Severity::Error,
    title: "NTLM is restricted, and Network Level Authentication needs it",
    explanation: "A 'Network security: Restrict NTLM' policy refuses incoming NTLM on this host \
                  (RestrictReceivingNTLMTraffic) or in the domain (RestrictNTLMInDomain on a \
                  domain controller). NLA falls back to NTLM whenever Kerberos cannot be used: \
                  local accounts, clients outside the domain, connections by IP address.",
    remediation: "Either let NTLM in: set 'Network security: Restrict NTLM: Incoming NTLM \
                  traffic' to 'Allow all' (in the GPO named below, or secpol.msc > Local Policies \
                  > Security Options), or on the domain controllers add this server to \
                  'Network security: Restrict NTLM: Add server exceptions in this domain'; or \
                  make the clients use Kerberos: a domain account, a domain-joined host, the \
                  host's full DNS name in the client (not its IP address, which forces NTLM), \
                  and a domain controller the client can reach (or a KDC proxy through RD \
                  Gateway). Clients outside the domain always use NTLM.",
    needs: &[Kind::Registry, Kind::Evtx, Kind::Gpresult, Kind::Secedit],
    fixture: "fixtures/ntlm-restricted",
    requires: Some(missing),
    run,
};

const LSA_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa";
const MSV1_0_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0";
const NETLOGON_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters";
const SECEDIT_RECEIVING: &str =
    r"MACHINE\System\CurrentControlSet\Control\Lsa\MSV1_0\RestrictReceivingNTLMTraffic";

/// gpresult names of the Security Options rows (they are not translated in the English UI
/// reports we have; other languages fall back to the registry values).
const INCOMING_NAMES: &[&str] = &["Network security: Restrict NTLM: Incoming NTLM traffic"];
const DOMAIN_NAMES: &[&str] = &["Network security: Restrict NTLM: NTLM authentication in this domain"];
/// Verified in two real reports (`HersheyTaichou__GPResult-MS-cis-rdp.html`,
/// `c0moshack__gpreport-win10-stig-rdp-allowed.html`): "Send NTLMv2 response only. Refuse LM
/// &amp; NTLM" under this name.
const LM_LEVEL_NAMES: &[&str] = &["Network security: LAN Manager authentication level"];

/// NTLM Operational ids: blocked, and audit-only.
const NTLM_BLOCK_IDS: &[u32] = &[4002, 4003, 4011, 4013];
const NTLM_AUDIT_IDS: &[u32] = &[8002, 8003];
const NTLM_PROVIDER: &str = "Microsoft-Windows-NTLM";
const STATUS_NTLM_BLOCKED: u32 = 0xC000_0418;

fn incoming_words(v: u32) -> &'static str {
    match v {
        0 => "allow all",
        1 => "deny all domain accounts",
        2 => "deny all accounts",
        _ => "an undefined value",
    }
}

fn domain_words(v: u32) -> &'static str {
    match v {
        0 => "disabled",
        1 => "deny for domain accounts to domain servers",
        3 => "deny for domain accounts",
        5 => "deny for domain servers",
        7 => "deny all",
        _ => "an undefined value",
    }
}

fn ntlm_event_words(id: u32) -> &'static str {
    match id {
        4002 => "incoming NTLM blocked on this server",
        4003 => "NTLM blocked by the domain policy (domain controller)",
        4011 => "the client missed the minimum NTLM session security",
        4013 => "an NTLMv1 response was refused",
        8002 => "audit: incoming NTLM that a Deny setting would block",
        8003 => "audit: NTLM in the domain that a Deny setting would block",
        _ => "NTLM event",
    }
}

/// The Incoming NTLM traffic setting in force: the registry value, else what gpresult or
/// secedit says; with the GPO and the evidence.
struct Setting {
    value: u32,
    gpo: Option<String>,
    refs: Vec<EvidenceRef>,
}

fn incoming(ev: &Evidence) -> Option<Setting> {
    let reg = ev
        .reg_value(MSV1_0_KEY, "RestrictReceivingNTLMTraffic")
        .and_then(|h| h.value.data.as_u32().map(|v| (v, support::reg_ref(&h))));
    let gp = support::security_setting_gpo(ev, INCOMING_NAMES);
    let gp_value = gp.as_ref().and_then(|(_, setting, _)| {
        let s = setting.to_ascii_lowercase();
        if s.contains("deny all domain accounts") {
            Some(1)
        } else if s.contains("deny all") {
            Some(2)
        } else if s.contains("allow all") {
            Some(0)
        } else {
            None
        }
    });
    let secedit = ev.secedit.iter().find_map(|s| {
        let (e, data) = s.value.registry_value(SECEDIT_RECEIVING)?;
        let v: u32 = data.trim().parse().ok()?;
        Some((
            v,
            EvidenceRef::line(&s.artifact, e.line, format!("{}={}", e.key, e.value)),
        ))
    });
    let value = reg
        .as_ref()
        .map(|(v, _)| *v)
        .or(gp_value)
        .or(secedit.as_ref().map(|(v, _)| *v))?;
    let mut refs: Vec<EvidenceRef> = reg.into_iter().map(|(_, r)| r).collect();
    let mut gpo = None;
    if let Some((g, _, r)) = gp {
        refs.push(r);
        gpo = Some(g);
    }
    if refs.is_empty() {
        refs.extend(secedit.map(|(_, r)| r));
    }
    Some(Setting { value, gpo, refs })
}

fn in_domain(ev: &Evidence) -> Option<Setting> {
    let hit = ev.reg_value(NETLOGON_KEY, "RestrictNTLMInDomain")?;
    let value = hit.value.data.as_u32()?;
    let mut refs = vec![support::reg_ref(&hit)];
    let mut gpo = None;
    if let Some((g, _, r)) = support::security_setting_gpo(ev, DOMAIN_NAMES) {
        refs.push(r);
        gpo = Some(g);
    }
    Some(Setting { value, gpo, refs })
}

/// Whether a logon failure carries 0xC0000418 in Status or SubStatus.
fn ntlm_blocked(e: &Event) -> bool {
    ["Status", "SubStatus"].iter().any(|f| {
        e.get(f)
            .and_then(ntstatus::parse_code)
            .is_some_and(|c| c == STATUS_NTLM_BLOCKED)
    })
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let incoming = incoming(ev);
    let domain = in_domain(ev);
    let blocks = support::provider_events(ev, NTLM_BLOCK_IDS, NTLM_PROVIDER);
    let audits = support::provider_events(ev, NTLM_AUDIT_IDS, NTLM_PROVIDER);
    let refused: Vec<(&str, &Event)> = ev
        .events_from(EventSource::Security, &[4625, 4776])
        .into_iter()
        .filter(|(_, e)| ntlm_blocked(e))
        .collect();

    let denies_incoming = incoming.as_ref().is_some_and(|s| s.value != 0);
    let denies_domain = domain.as_ref().is_some_and(|s| s.value != 0);
    let failures = !blocks.is_empty() || !refused.is_empty();
    if !denies_incoming && !denies_domain && !failures && audits.is_empty() {
        return Vec::new();
    }

    // A refusal is a past state: when every refused user logged on later and no NTLM block
    // event was written, nothing stands in their way now.
    let last_logon = support::last_logon_by_user(ev);
    let users: BTreeSet<String> = refused
        .iter()
        .filter_map(|(_, e)| event_account(e).map(|a| a.display()))
        .collect();
    let resolved = blocks.is_empty()
        && !refused.is_empty()
        && refused.iter().all(|(_, e)| {
            event_account(e)
                .and_then(|a| last_logon.get(&a.key()))
                .is_some_and(|t| *t > e.time.as_str())
        });
    let joined = support::domain_joined(ev);
    let entra = ev
        .device_registration
        .iter()
        .any(|d| d.value.entra_joined() == Some(true));
    let nothing_left = incoming.as_ref().is_some_and(|s| s.value == 2)
        && joined == Some(false)
        && !entra;

    let mut parts = Vec::new();
    if let Some(s) = &incoming {
        parts.push(format!(
            "Incoming NTLM traffic is set to {} (RestrictReceivingNTLMTraffic = {}){}",
            incoming_words(s.value),
            s.value,
            s.gpo
                .as_ref()
                .map(|g| format!(" by Group Policy '{g}'"))
                .unwrap_or_default()
        ));
    }
    if let Some(s) = domain.as_ref().filter(|s| s.value != 0) {
        parts.push(format!(
            "this domain controller restricts NTLM authentication in the domain: {} \
             (RestrictNTLMInDomain = {}){}",
            domain_words(s.value),
            s.value,
            s.gpo
                .as_ref()
                .map(|g| format!(" by Group Policy '{g}'"))
                .unwrap_or_default()
        ));
    }
    let mut message = if parts.is_empty() {
        String::new()
    } else {
        format!("{}. ", support::capitalize(&parts.join("; and ")))
    };
    if !refused.is_empty() {
        message.push_str(&format!(
            "{} logon(s) failed with 0xC0000418 (STATUS_NTLM_BLOCKED){}{}. ",
            refused.len(),
            if users.is_empty() {
                String::new()
            } else {
                format!(
                    ", of {}",
                    users.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
                )
            },
            if resolved {
                "; each of these users logged on successfully afterwards"
            } else {
                ""
            }
        ));
    }
    if !blocks.is_empty() {
        let ids: BTreeSet<u32> = blocks.iter().map(|(_, e)| e.event_id).collect();
        let words: Vec<String> = ids
            .iter()
            .map(|id| format!("{id} ({})", ntlm_event_words(*id)))
            .collect();
        message.push_str(&format!(
            "The NTLM log has {} block event(s): {}. ",
            blocks.len(),
            words.join(", ")
        ));
    }
    if failures && !denies_incoming && !denies_domain {
        message.push_str(
            "This host's exports show no NTLM restriction now: the refusal came from a domain \
             controller's 'NTLM authentication in this domain' policy, or from a setting changed \
             since. ",
        );
    }
    // LmCompatibilityLevel and NTLMMinServerSec are baseline settings (CIS and STIG set them);
    // they matter only when the log says they refused someone.
    let lm = ev
        .reg_value(LSA_KEY, "LmCompatibilityLevel")
        .and_then(|h| h.value.data.as_u32().map(|v| (v, h)));
    let min_sec = ev
        .reg_value(MSV1_0_KEY, "NTLMMinServerSec")
        .and_then(|h| h.value.data.as_u32().map(|v| (v, h)));
    let has_id = |id: u32| blocks.iter().any(|(_, e)| e.event_id == id);
    let mut extra_refs = Vec::new();
    if has_id(4013) {
        if let Some((v, h)) = &lm {
            message.push_str(&format!(
                "LmCompatibilityLevel = {v}{}: clients that still send NTLMv1 are refused. ",
                if *v == 5 { " (refuse LM and NTLM)" } else { "" }
            ));
            extra_refs.push(support::reg_ref(h));
        }
        if let Some((_, _, r)) = support::security_setting_gpo(ev, LM_LEVEL_NAMES) {
            extra_refs.push(r);
        }
    }
    if has_id(4011) {
        if let Some((v, h)) = &min_sec {
            message.push_str(&format!(
                "NTLMMinServerSec = 0x{v:08X}{}: clients without that session security are \
                 refused. ",
                session_security_words(*v)
            ));
            extra_refs.push(support::reg_ref(h));
        }
    }
    if !audits.is_empty() {
        message.push_str(&format!(
            "{} audit event(s) (8002/8003) record NTLM logons that a Deny setting would block. ",
            audits.len()
        ));
    }

    let (severity, title) = if failures && !resolved {
        (
            Severity::Error,
            "NTLM is blocked and logons fail: Network Level Authentication cannot fall back to NTLM",
        )
    } else if nothing_left {
        message.push_str(
            "This host is in no domain, so Kerberos is not available: every NLA logon needs NTLM \
             and is refused. ",
        );
        (
            Severity::Error,
            "Incoming NTLM is denied on a host outside any domain: NLA cannot authenticate anyone",
        )
    } else if denies_incoming || denies_domain {
        message.push_str(
            "No refusal is logged: Kerberos still works for domain accounts on a domain-joined \
             host when clients connect by its full DNS name, but connecting by IP address or \
             from a computer outside the domain forces NTLM and fails. ",
        );
        (
            Severity::Warning,
            "NTLM is restricted: RDP clients that cannot use Kerberos will be refused",
        )
    } else if failures {
        (
            Severity::Info,
            "NTLM was blocked earlier; each refused user logged on after",
        )
    } else {
        (
            Severity::Info,
            "NTLM auditing records logons that a Restrict NTLM deny would break",
        )
    };
    let mut f = Finding::new(&CHECK, message.trim_end())
        .title(title)
        .severity(severity)
        .fact("ntlm_blocked_logons", refused.len())
        .fact("ntlm_block_events", blocks.len())
        .fact("ntlm_audit_events", audits.len());
    if let Some(s) = &incoming {
        f = f.fact("restrict_receiving_ntlm", s.value);
        if let Some(g) = &s.gpo {
            f = f.fact("winning_gpo", g);
        }
        f.evidence.extend(s.refs.iter().cloned());
    }
    if let Some(s) = &domain {
        f = f.fact("restrict_ntlm_in_domain", s.value);
        if let (Some(g), false) = (&s.gpo, f.facts.contains_key("winning_gpo")) {
            f = f.fact("winning_gpo", g);
        }
        if s.value != 0 {
            f.evidence.extend(s.refs.iter().cloned());
        }
    }
    if let Some((v, _)) = lm {
        f = f.fact("lm_compatibility_level", v);
    }
    // Auditing (1 domain accounts, 2 all accounts) blocks nothing; it is what 8002 comes from.
    if let Some(v) = ev
        .reg_value(MSV1_0_KEY, "AuditReceivingNTLMTraffic")
        .and_then(|h| h.value.data.as_u32())
    {
        f = f.fact("audit_receiving_ntlm", v);
    }
    if let Some(j) = joined {
        f = f.fact("domain_joined", j);
    }
    if !users.is_empty() {
        f = f.fact("users", users.iter().cloned().collect::<Vec<_>>().join(","));
    }
    f.evidence.extend(extra_refs);
    for (a, e) in blocks.iter().rev().take(3) {
        f = f.evidence(support::event_ref(a, e, ntlm_event_words(e.event_id)));
    }
    for (a, e) in refused.iter().rev().take(3) {
        f = f.evidence(support::event_ref(a, e, "logon refused: STATUS_NTLM_BLOCKED"));
    }
    for (a, e) in audits.iter().rev().take(2) {
        f = f.evidence(support::event_ref(a, e, ntlm_event_words(e.event_id)));
    }
    if nothing_left {
        f = f.remediation(
            "This host is in no domain, so its users can only authenticate with NTLM: set \
             'Network security: Restrict NTLM: Incoming NTLM traffic' to 'Allow all' (or 'Deny \
             all domain accounts', which still lets local accounts in), in the GPO named below \
             or in secpol.msc > Local Policies > Security Options.",
        );
    }
    vec![f]
}

/// `NTLMMinServerSec` bits: 0x00080000 NTLMv2 session security, 0x20000000 128-bit encryption.
fn session_security_words(v: u32) -> &'static str {
    match (v & 0x0008_0000 != 0, v & 0x2000_0000 != 0) {
        (true, true) => " (require NTLMv2 session security and 128-bit encryption)",
        (true, false) => " (require NTLMv2 session security)",
        (false, true) => " (require 128-bit encryption)",
        (false, false) => "",
    }
}

/// Not evaluated without the Lsa export, unless the logs already show NTLM refused.
fn missing(ev: &Evidence) -> Option<String> {
    let logged = !support::provider_events(ev, NTLM_BLOCK_IDS, NTLM_PROVIDER).is_empty()
        || ev
            .events_from(EventSource::Security, &[4625, 4776])
            .iter()
            .any(|(_, e)| ntlm_blocked(e));
    if logged {
        return None;
    }
    support::missing_key(ev, LSA_KEY, rdp_bundle::paths::REG_LSA)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_from_xml, security_event};

    fn lsa(values: &str) -> String {
        format!(
            "Windows Registry Editor Version 5.00\r\n\r\n[{LSA_KEY}]\r\n\"LmCompatibilityLevel\"=dword:00000005\r\n\r\n[{MSV1_0_KEY}]\r\n{values}\r\n"
        )
    }

    fn ntlm(id: u32, rid: u64, time: &str) -> String {
        event(
            "Microsoft-Windows-NTLM",
            "Microsoft-Windows-NTLM/Operational",
            id,
            rid,
            time,
            &[
                ("CallerPID", "812"),
                ("ProcessName", r"C:\Windows\System32\lsass.exe"),
                ("ClientLUID", "0x3e7"),
                ("ClientUserName", "SRV-RDS01$"),
                ("ClientDomainName", "CORP"),
                ("MechanismOID", "1.3.6.1.4.1.311.2.2.10"),
            ],
        )
    }

    fn refused(rid: u64, time: &str, status: &str, sub: &str) -> String {
        security_event(
            4625,
            rid,
            time,
            &[
                ("TargetUserName", "jdoe"),
                ("TargetDomainName", "CORP"),
                ("Status", status),
                ("SubStatus", sub),
                ("LogonType", "3"),
                ("AuthenticationPackageName", "NTLM"),
                ("IpAddress", "10.0.0.9"),
            ],
        )
    }

    #[test]
    fn deny_with_refusals_is_an_error_naming_events_and_users() {
        let xml = [
            ntlm(4002, 7, "2026-03-01T09:00:00.0000000Z"),
            refused(8, "2026-03-01T09:00:00.1000000Z", "0xc0000418", "0x0"),
        ]
        .join("\r\n");
        let ev = evidence_from_xml(&[
            (
                "registry/lsa.reg",
                &lsa("\"RestrictReceivingNTLMTraffic\"=dword:00000002\r\n"),
            ),
            ("events/ntlm.xml", &xml),
        ]);
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.facts["restrict_receiving_ntlm"], "2");
        assert_eq!(f.facts["ntlm_block_events"], "1");
        assert_eq!(f.facts["ntlm_blocked_logons"], "1");
        assert_eq!(f.facts["users"], r"CORP\jdoe");
        assert!(f.message.contains("deny all accounts"), "{}", f.message);
        assert!(f.message.contains("4002 (incoming NTLM blocked"), "{}", f.message);
        assert!(f.evidence.iter().any(|r| r.record_id == Some(7)));
        assert!(f.evidence.iter().any(|r| r.line.is_some()));
    }

    #[test]
    fn the_code_in_sub_status_counts_too_and_4001_is_not_kept() {
        let xml = [
            refused(3, "2026-03-01T09:00:00.0000000Z", "0xc000006d", "0xc0000418"),
            ntlm(4001, 4, "2026-03-01T09:00:01.0000000Z"),
        ]
        .join("\r\n");
        let ev = evidence_from_xml(&[("events/x.xml", &xml)]);
        assert_eq!(missing(&ev), None, "the refusal alone is evidence");
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.facts["ntlm_block_events"], "0", "4001 is outgoing NTLM");
        assert!(f.message.contains("no NTLM restriction now"), "{}", f.message);
    }

    #[test]
    fn restriction_without_refusals_is_a_warning_saying_kerberos_may_work() {
        let ev = evidence_from_xml(&[(
            "registry/lsa.reg",
            &lsa("\"RestrictReceivingNTLMTraffic\"=dword:00000001\r\n"),
        )]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("by IP address"), "{}", f.message);
    }

    #[test]
    fn allow_all_audit_and_baseline_values_alone_are_silent() {
        let ev = evidence_from_xml(&[(
            "registry/lsa.reg",
            &lsa("\"RestrictReceivingNTLMTraffic\"=dword:00000000\r\n\"AuditReceivingNTLMTraffic\"=dword:00000002\r\n\"NTLMMinServerSec\"=dword:20080000\r\n"),
        )]);
        assert!(run(&ev).is_empty());
        assert_eq!(missing(&ev), None);
        // Audit events are information, not a block.
        let xml = ntlm(8002, 5, "2026-03-01T09:00:00.0000000Z");
        let ev = evidence_from_xml(&[
            (
                "registry/lsa.reg",
                &lsa("\"AuditReceivingNTLMTraffic\"=dword:00000002\r\n"),
            ),
            ("events/ntlm.xml", &xml),
        ]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Info);
        assert_eq!(f.facts["ntlm_audit_events"], "1");
        assert_eq!(f.facts["audit_receiving_ntlm"], "2");
    }

    #[test]
    fn refusals_each_user_got_past_are_information() {
        let xml = [
            refused(1, "2026-03-01T09:00:00.0000000Z", "0xc0000418", "0x0"),
            security_event(
                4624,
                2,
                "2026-03-01T10:00:00.0000000Z",
                &[
                    ("TargetUserName", "jdoe"),
                    ("TargetDomainName", "CORP"),
                    ("LogonType", "10"),
                    ("IpAddress", "10.0.0.9"),
                ],
            ),
        ]
        .join("\r\n");
        let ev = evidence_from_xml(&[("registry/lsa.reg", &lsa("")), ("events/s.xml", &xml)]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Info, "{}", f.message);
    }

    #[test]
    fn domain_controller_restriction_and_missing_lsa() {
        let netlogon = format!(
            "Windows Registry Editor Version 5.00\r\n\r\n[{NETLOGON_KEY}]\r\n\"RestrictNTLMInDomain\"=dword:00000007\r\n\r\n"
        );
        let ev = evidence_from_xml(&[
            ("registry/lsa.reg", &lsa("")),
            ("registry/netlogon-parameters.reg", &netlogon),
        ]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.facts["restrict_ntlm_in_domain"], "7");
        assert!(f.message.contains("deny all"), "{}", f.message);
        let none = evidence_from_xml(&[]);
        assert!(missing(&none).unwrap().contains("registry/lsa.reg"));
    }
}

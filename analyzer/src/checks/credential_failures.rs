//! RDP051: Kerberos pre-authentication (4771) and NTLM credential validation (4776) failures,
//! per user, with the codes translated and tied to the same user's RDP failures.
//!
//! With Network Level Authentication the password is checked before any session exists, by
//! Kerberos against a domain controller or by NTLM; when that check fails the server's own
//! log may only show a type 3 failure, and the reason is in 4771/4776 (on the domain
//! controller, or on this machine for local accounts and when it is the DC). A disabled,
//! expired or locked account, an expired password or a clock too far from the DC's are
//! configuration problems (error); a wrong password or unknown user name is the user's
//! (warning).

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{event_account, event_address, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;
use crate::parse::ntstatus::{self, NtStatusInfo};
use std::collections::BTreeMap;

pub static CHECK: Check = Check {
    id: "RDP051",
    name: "credential-validation-failures",
    severity: Severity::Warning,
    title: "Kerberos or NTLM credential checks failed",
    explanation: "The Security log has Kerberos pre-authentication failures (4771) or NTLM \
                  credential validation failures (4776). With Network Level Authentication these \
                  checks happen before the RDP session, and their codes say why the credentials \
                  were refused.",
    remediation: "Act on the code: wrong password (0x18, 0xC000006A): the user must type the \
                  current password, and stale saved credentials must be updated; revoked or \
                  disabled/expired/locked (0x12, 0xC0000072, 0xC0000193, 0xC0000234): fix the \
                  account in Active Directory; password expired (0x17, 0xC0000071, 0xC0000224): \
                  change it (RDP with NLA cannot prompt for it); clock skew (0x25, 0xC0000133): \
                  fix time synchronization with the domain controller; NTLM blocked \
                  (0xC0000418): a Restrict NTLM policy refuses it, see RDP060.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/credential-validation-failures",
    requires: None,
    run,
};

/// Kerberos codes that are the account's or the configuration's problem, not a typo.
const KERBEROS_CONFIG: &[u32] = &[0x0C, 0x12, 0x17, 0x25];
/// NTLM (NTSTATUS) codes that are the account's or the configuration's problem.
const NTLM_CONFIG: &[u32] = &[
    0xC000_0234,
    0xC000_0072,
    0xC000_0193,
    0xC000_0071,
    0xC000_0224,
    0xC000_006F,
    0xC000_0070,
    0xC000_0133,
    0xC000_015B,
    0xC000_0418,
];

/// One failure's code: which protocol, the code, and what it means.
fn failure_code(e: &Event) -> Option<(&'static str, u32, Option<NtStatusInfo>)> {
    let code = e.get("Status").and_then(ntstatus::parse_code)?;
    match e.event_id {
        4771 => Some(("Kerberos", code, ntstatus::kerberos_lookup(code))),
        4776 if code != 0 => Some(("NTLM", code, ntstatus::lookup(code))),
        _ => None,
    }
}

fn is_config(protocol: &str, code: u32) -> bool {
    match protocol {
        "Kerberos" => KERBEROS_CONFIG.contains(&code),
        _ => NTLM_CONFIG.contains(&code),
    }
}

#[derive(Default)]
struct UserFailures<'a> {
    name: String,
    /// (protocol, code) -> count
    codes: BTreeMap<(&'static str, u32), usize>,
    sources: BTreeMap<String, usize>,
    events: Vec<(&'a str, &'a Event)>,
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut by_user: BTreeMap<String, UserFailures<'_>> = BTreeMap::new();
    for (artifact, e) in ev.events_from(EventSource::Security, &[4771, 4776]) {
        let (Some((protocol, code, _)), Some(account)) = (failure_code(e), event_account(e)) else {
            continue;
        };
        let u = by_user.entry(account.key()).or_default();
        u.name = account.display();
        *u.codes.entry((protocol, code)).or_default() += 1;
        let source = event_address(e).unwrap_or_else(|| "(no address)".into());
        *u.sources.entry(source).or_default() += 1;
        u.events.push((artifact, e));
    }
    if by_user.is_empty() {
        return Vec::new();
    }
    // Counted per account once: looking each user up in every 4625 and 4740 would be
    // users × events (50,000 × 50,000 with the event caps).
    let mut rdp_failures: BTreeMap<String, usize> = BTreeMap::new();
    for (_, e) in ev.events_from(EventSource::Security, &[4625]) {
        if let Some(a) = event_account(e) {
            *rdp_failures.entry(a.key()).or_default() += 1;
        }
    }
    let lockouts: std::collections::BTreeSet<String> = ev
        .events_from(EventSource::Security, &[4740])
        .into_iter()
        .filter_map(|(_, e)| event_account(e).map(|a| a.key()))
        .collect();
    let mut out = Vec::new();
    for (key, u) in by_user {
        let total: usize = u.codes.values().sum();
        let config = u.codes.keys().any(|(p, c)| is_config(p, *c));
        let mut codes: Vec<_> = u.codes.iter().collect();
        codes.sort_by(|a, b| b.1.cmp(a.1));
        let codes_text: Vec<String> = codes
            .iter()
            .map(|((protocol, code), n)| {
                let info = match *protocol {
                    "Kerberos" => ntstatus::kerberos_lookup(*code),
                    _ => ntstatus::lookup(*code),
                };
                let meaning = info.map(|i| i.meaning).unwrap_or("unrecognized code");
                format!("{n}× {protocol} 0x{code:X} ({meaning})")
            })
            .collect();
        let mut sources: Vec<_> = u.sources.iter().collect();
        sources.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let sources_text: Vec<String> = sources
            .iter()
            .take(5)
            .map(|(s, n)| format!("{s} ({n})"))
            .collect();
        let rdp = rdp_failures.get(&key).copied().unwrap_or(0);
        let locked = lockouts.contains(&key);
        let mut tie = String::new();
        if rdp > 0 {
            tie.push_str(&format!(
                " The same user has {rdp} failed logon(s) (4625) here."
            ));
        }
        if locked {
            tie.push_str(" The account was locked out (see RDP050).");
        }
        let (top_protocol, top_code) = codes.first().map(|(k, _)| **k).unwrap_or(("", 0));
        let mut f = Finding::new(
            &CHECK,
            format!(
                "{total} credential check(s) of {} failed: {}. From: {}.{tie}",
                u.name,
                codes_text.join("; "),
                sources_text.join(", ")
            ),
        )
        .title(format!(
            "{total} Kerberos/NTLM credential check(s) of {} failed",
            u.name
        ))
        .fact("user", &u.name)
        .fact("count", total)
        .fact("code", format!("{top_protocol} 0x{top_code:X}"))
        .fact("rdp_failures", rdp);
        if let Some((source, _)) = sources.first() {
            f = f.fact("top_source", source);
        }
        if config {
            f = f.severity(Severity::Error);
        }
        for (artifact, e) in u.events.iter().rev().take(3) {
            f = f.evidence(EvidenceRef::record(
                artifact,
                e.record_id,
                crate::evidence::summarize_event(e),
            ));
        }
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{evidence_from_samples, evidence_from_xml, security_event};

    #[test]
    fn kerberos_brute_force_sample_is_a_wrong_password_warning() {
        let Some(ev) =
            evidence_from_samples(&["mitre__ID4771-Kerberos_brutforce_with_valid_user.evtx"])
        else {
            return;
        };
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.facts["user"], "admin-hacker");
        assert_eq!(f.facts["count"], "54");
        assert_eq!(f.facts["code"], "Kerberos 0x18");
        assert_eq!(f.facts["top_source"], "10.23.123.11");
        assert!(f.message.contains("wrong password"), "{}", f.message);
    }

    #[test]
    fn revoked_or_expired_is_an_error_and_ties_to_rdp_failures() {
        let xml = [
            security_event(
                4771,
                1,
                "2026-03-01T09:00:00.0000000Z",
                &[
                    ("TargetUserName", "jdoe"),
                    ("Status", "0x12"),
                    ("IpAddress", "::ffff:10.0.0.5"),
                ],
            ),
            security_event(
                4776,
                2,
                "2026-03-01T09:00:01.0000000Z",
                &[
                    ("TargetUserName", "jdoe"),
                    ("Workstation", "LAPTOP-7"),
                    ("Status", "0xc0000072"),
                ],
            ),
            security_event(
                4776,
                3,
                "2026-03-01T09:00:02.0000000Z",
                &[
                    ("TargetUserName", "asmith"),
                    ("Workstation", "LAPTOP-8"),
                    ("Status", "0x0"),
                ],
            ),
            security_event(
                4625,
                4,
                "2026-03-01T09:00:03.0000000Z",
                &[
                    ("TargetUserName", "JDOE"),
                    ("TargetDomainName", "CORP"),
                    ("Status", "0xc000006e"),
                    ("SubStatus", "0xc0000072"),
                    ("LogonType", "3"),
                    ("IpAddress", "10.0.0.5"),
                ],
            ),
        ]
        .join("\r\n");
        let out = run(&evidence_from_xml(&[("events/Security.xml", &xml)]));
        assert_eq!(
            out.len(),
            1,
            "a successful validation (status 0) is no failure"
        );
        let f = &out[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.facts["rdp_failures"], "1");
        assert!(
            f.message
                .contains("account disabled, expired or locked out"),
            "{}",
            f.message
        );
        assert!(f.message.contains("account is disabled"), "{}", f.message);
    }
}

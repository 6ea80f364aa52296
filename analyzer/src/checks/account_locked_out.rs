//! RDP050: an account was locked out (Security 4740), with the failures that led to it.
//!
//! A locked-out account cannot log on by any means until it is unlocked or the lockout
//! duration passes, so every RDP attempt fails with 0xC0000234 however right the password is.
//! The lockout itself is rarely the problem: something keeps presenting an old password (a
//! phone's mail client, a mapped drive, a saved RDP credential, a service or scheduled task),
//! and the Kerberos (4771), NTLM (4776) and logon (4625) failures of the same user before the
//! lockout name where it comes from. 4740 is logged where the lockout is decided: on a domain
//! controller for domain accounts (its `TargetDomainName` is the caller computer), on the
//! machine itself for local accounts.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{event_account, event_address, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;
use crate::parse::ntstatus;
use std::collections::BTreeMap;

pub static CHECK: Check = Check {
    id: "RDP050",
    name: "account-locked-out",
    severity: Severity::Error,
    title: "An account was locked out",
    explanation: "The Security log records the account lockout (event 4740). A locked-out \
                  account cannot log on over RDP, with any password, until it is unlocked or the \
                  lockout duration ends. The failures of the same user before the lockout (4625, \
                  4771, 4776) name the source of the bad passwords.",
    remediation: "Unlock the account (Active Directory Users and Computers > the user > Account > \
                  Unlock account, or `Unlock-ADAccount`; for a local account, lusrmgr.msc). Then \
                  stop the source of the old password shown here (a phone, a mapped drive, saved \
                  RDP credentials in Credential Manager, a service or scheduled task running as \
                  the user), or the account locks again.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/account-locked-out",
    requires: None,
    run,
};

/// A failure of the user's credentials: 4625 of any logon type, 4771, and 4776 with a
/// non-zero status.
fn is_failure(e: &Event) -> bool {
    match e.event_id {
        4625 | 4771 => true,
        4776 => e
            .get("Status")
            .and_then(ntstatus::parse_code)
            .is_some_and(|c| c != 0),
        _ => false,
    }
}

#[derive(Default)]
struct Lockouts<'a> {
    name: String,
    events: Vec<(&'a str, &'a Event)>,
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut by_user: BTreeMap<String, Lockouts<'_>> = BTreeMap::new();
    for (artifact, e) in ev.events_from(EventSource::Security, &[4740]) {
        let Some(account) = event_account(e) else {
            continue;
        };
        let entry = by_user.entry(account.key()).or_default();
        entry.name = account.display();
        entry.events.push((artifact, e));
    }
    if by_user.is_empty() {
        return Vec::new();
    }
    let failures = ev.events_from(EventSource::Security, &[4625, 4771, 4776]);
    let mut out = Vec::new();
    for (key, lockouts) in by_user {
        let Some(&(last_artifact, last)) = lockouts.events.last() else {
            continue;
        };
        let count = lockouts.events.len();
        let caller = last
            .get("TargetDomainName")
            .map(str::trim)
            .filter(|c| !c.is_empty() && *c != "-")
            .unwrap_or("(not given)");
        // The failures of this user up to the last lockout.
        let before: Vec<(&str, &Event)> = failures
            .iter()
            .filter(|(_, e)| e.time <= last.time && is_failure(e))
            .filter(|(_, e)| event_account(e).is_some_and(|a| a.key() == key))
            .copied()
            .collect();
        let mut sources: BTreeMap<String, usize> = BTreeMap::new();
        for (_, e) in &before {
            let source = event_address(e).unwrap_or_else(|| "(no address)".into());
            *sources.entry(source).or_default() += 1;
        }
        let mut ranked: Vec<(String, usize)> = sources.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let sources_text = if ranked.is_empty() {
            "No failed logon of this user is in the logs collected; on a domain, the failures \
             are in the Security log of the domain controller that locked the account."
                .to_string()
        } else {
            format!(
                "Before it, {} failed logon(s) or credential check(s) of this user came from: {}.",
                before.len(),
                ranked
                    .iter()
                    .take(5)
                    .map(|(s, n)| format!("{s} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let mut f = Finding::new(
            &CHECK,
            format!(
                "{} was locked out {count} time(s), last at {} (caller computer {caller}). {sources_text} \
                 Until it is unlocked every RDP logon of this user fails with 0xC0000234.",
                lockouts.name, last.time
            ),
        )
        .title(format!("Account {} was locked out", lockouts.name))
        .fact("user", &lockouts.name)
        .fact("count", count)
        .fact("caller_computer", caller)
        .fact("failures_before", before.len())
        .evidence(EvidenceRef::record(
            last_artifact,
            last.record_id,
            format!("4740 account locked out: {} (caller computer {caller})", lockouts.name),
        ));
        if let Some((source, _)) = ranked.first() {
            f = f.fact("top_source", source);
        }
        for (artifact, e) in before.iter().rev().take(3) {
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
    use crate::evidence::testing::{evidence_from_xml, security_event};

    #[test]
    fn lockout_names_the_sources_of_the_failures_before_it() {
        let xml = [
            security_event(
                4771,
                1,
                "2026-03-01T09:00:00.0000000Z",
                &[
                    ("TargetUserName", "jdoe"),
                    ("Status", "0x18"),
                    ("IpAddress", "::ffff:10.0.0.51"),
                ],
            ),
            security_event(
                4771,
                2,
                "2026-03-01T09:00:05.0000000Z",
                &[
                    ("TargetUserName", "jdoe"),
                    ("Status", "0x18"),
                    ("IpAddress", "::ffff:10.0.0.51"),
                ],
            ),
            security_event(
                4776,
                3,
                "2026-03-01T09:00:09.0000000Z",
                &[
                    ("TargetUserName", "JDoe"),
                    ("Workstation", "PHONE-7"),
                    ("Status", "0xc000006a"),
                ],
            ),
            security_event(
                4776,
                4,
                "2026-03-01T09:00:10.0000000Z",
                &[
                    ("TargetUserName", "jdoe"),
                    ("Workstation", "PC-1"),
                    ("Status", "0x0"),
                ],
            ),
            security_event(
                4740,
                5,
                "2026-03-01T09:00:11.0000000Z",
                &[("TargetUserName", "jdoe"), ("TargetDomainName", "DC01")],
            ),
            security_event(
                4771,
                6,
                "2026-03-01T09:30:00.0000000Z",
                &[
                    ("TargetUserName", "jdoe"),
                    ("Status", "0x18"),
                    ("IpAddress", "::ffff:10.0.0.99"),
                ],
            ),
        ]
        .join("\r\n");
        let ev = evidence_from_xml(&[("events/Security.xml", &xml)]);
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.facts["user"], "jdoe");
        assert_eq!(f.facts["caller_computer"], "DC01");
        // The success (status 0) and the failure after the lockout do not count.
        assert_eq!(f.facts["failures_before"], "3");
        assert_eq!(f.facts["top_source"], "10.0.0.51");
        assert!(f.message.contains("PHONE-7 (1)"), "{}", f.message);
        assert_eq!(f.evidence[0].record_id, Some(5));
    }

    #[test]
    fn silent_without_lockouts() {
        let xml = security_event(
            4625,
            1,
            "2026-03-01T09:00:00.0000000Z",
            &[
                ("TargetUserName", "jdoe"),
                ("Status", "0xc0000234"),
                ("LogonType", "3"),
            ],
        );
        assert!(run(&evidence_from_xml(&[("events/Security.xml", &xml)])).is_empty());
    }
}

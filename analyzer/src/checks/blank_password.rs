//! RDP065: a local account with a blank password is refused for Remote Desktop.
//!
//! `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\LimitBlankPasswordUse` = 1 (the default, "Accounts:
//! Limit local account use of blank passwords to console logon only") lets an account without a
//! password log on only at the console: over the network and over Remote Desktop LSA refuses it
//! with Security 4625 status 0xC000006E (account restriction). The client only says the
//! credentials did not work, and the user insists there is no password to get wrong.
//!
//! # Known gaps
//! Which accounts have an empty password is not in the bundle: the failure is what names them.
//! 0xC000006E has other causes (logon hours, workstation list, expired account); those carry
//! their own sub-status and RDP014 tells them apart, so only the plain restriction counts here.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{event_account, failure_code, is_rdp_failure, Evidence};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP065",
    name: "blank-password-refused",
    severity: Severity::Error,
    title: "A local account with a blank password is refused for Remote Desktop",
    explanation: "Windows lets accounts without a password log on only at the console \
                  (LimitBlankPasswordUse = 1, the default): Remote Desktop logons of such an \
                  account fail with 0xC000006E (account restriction).",
    remediation: "Give the account a password (`net user NAME *`, or Settings > Accounts > \
                  Sign-in options), then connect with it. Do not set LimitBlankPasswordUse to 0: \
                  it would let anyone on the network log on to every account without a password.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/blank-password-refused",
    requires: None,
    run,
};

const LSA_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa";
const ACCOUNT_RESTRICTION: u32 = 0xC000_006E;

fn run(ev: &Evidence) -> Vec<Finding> {
    let limit = ev.reg_value(LSA_KEY, "LimitBlankPasswordUse");
    // Absent means the default, 1; 0 lifts the restriction, so it cannot be the cause.
    if limit
        .as_ref()
        .is_some_and(|h| h.value.data.as_u32() == Some(0))
    {
        return Vec::new();
    }
    let refused: Vec<(&str, &crate::parse::evtx::Event)> = ev
        .events_with_ids(&[4625])
        .into_iter()
        .filter(|(_, e)| is_rdp_failure(e) && failure_code(e) == Some(ACCOUNT_RESTRICTION))
        .filter(|(_, e)| is_local_account(e))
        .collect();
    let (Some(first), Some(last)) = (refused.first(), refused.last()) else {
        return Vec::new();
    };
    let users: std::collections::BTreeSet<String> = refused
        .iter()
        .filter_map(|(_, e)| event_account(e).map(|a| a.display()))
        .collect();
    let users: Vec<String> = users.into_iter().collect();
    let mut f = Finding::new(
        &CHECK,
        format!(
            "{} Remote Desktop logon(s) of the local account(s) {} failed with 0xC000006E \
             (account restriction), {} .. {}. With LimitBlankPasswordUse = {} a local account \
             with a blank password may log on only at the console.",
            refused.len(),
            users.join(", "),
            first.1.time,
            last.1.time,
            if limit.is_some() { "1" } else { "1 (the default)" }
        ),
    )
    .title(format!(
        "{} refused over Remote Desktop: blank password",
        users.join(", ")
    ))
    .fact("users", users.join(","))
    .fact("count", refused.len());
    if let Some(h) = &limit {
        f = f.evidence(support::reg_ref(h));
    }
    for (a, e) in refused.iter().rev().take(3) {
        f = f.evidence(EvidenceRef::record(
            a,
            e.record_id,
            crate::evidence::summarize_event(e),
        ));
    }
    vec![f]
}

/// A local account: its domain is the computer the event was logged on (short name), as
/// 4625 writes `TargetDomainName` for local accounts.
fn is_local_account(e: &crate::parse::evtx::Event) -> bool {
    let Some(domain) = e.get("TargetDomainName").map(str::trim) else {
        return false;
    };
    let host = e.computer.split('.').next().unwrap_or("");
    !domain.is_empty() && domain.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{evidence_from_xml, security_event};

    fn refused(rid: u64, domain: &str, user: &str, sub: &str) -> String {
        security_event(
            4625,
            rid,
            "2026-03-01T09:00:00.0000000Z",
            &[
                ("TargetUserName", user),
                ("TargetDomainName", domain),
                ("Status", "0xc000006e"),
                ("SubStatus", sub),
                ("LogonType", "10"),
                ("IpAddress", "10.0.0.9"),
            ],
        )
    }

    #[test]
    fn local_account_restriction_without_substatus_is_a_blank_password() {
        // The test events are logged on SRV-RDS01.corp.example.
        let ev = evidence_from_xml(&[(
            "events/Security.xml",
            &[
                refused(1, "SRV-RDS01", "kiosk", "0x0"),
                refused(2, "CORP", "jdoe", "0x0"),
                refused(3, "SRV-RDS01", "old", "0xc0000072"),
            ]
            .join("\r\n"),
        )]);
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].facts["users"], "SRV-RDS01\\kiosk");
        assert_eq!(out[0].facts["count"], "1");
    }

    #[test]
    fn lifted_restriction_is_not_the_cause() {
        let reg = format!(
            "Windows Registry Editor Version 5.00\r\n\r\n[{LSA_KEY}]\r\n\"LimitBlankPasswordUse\"=dword:00000000\r\n\r\n"
        );
        let ev = evidence_from_xml(&[
            ("registry/lsa.reg", &reg),
            ("events/Security.xml", &refused(1, "SRV-RDS01", "kiosk", "0x0")),
        ]);
        assert!(run(&ev).is_empty());
    }
}

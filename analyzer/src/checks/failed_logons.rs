//! RDP014: failed Remote Desktop logons in the Security log (event 4625).
//!
//! 4625 says why Windows refused a logon in its Status/SubStatus NTSTATUS codes: a wrong password
//! is a user problem, but "logon type not granted" (0xC000015B), a disabled, locked or expired
//! account, or logon-hour restrictions are configuration problems support can fix. Logon type 10
//! is an RDP session logon; with Network Level Authentication the failure happens earlier as a
//! type 3 (network) logon from the client's address. Failures are grouped per reason, then per
//! user and source address, with first/last time and counts.
//!
//! RdpCoreTS 140 ("the user name or password is not correct") counts too, with the client
//! address it names, unless a 4625 within seconds already counted the attempt: a real
//! internet-facing host's RdpCoreTS log holds 126 of them from some forty addresses and nothing
//! else said so.
//!
//! A failure is a past state: when every user of a reason logged on over RDP after their last
//! failure (Security 4624 of an RDP logon type, LocalSessionManager 21/25, RemoteConnectionManager
//! 1149), the cause no longer stands in their way and the finding is information, not an error.
//! A real Windows 10 log shows why: sixteen 0xC000015B failures of one user over eight days,
//! each followed within seconds by that user's successful logon.

use super::{Check, EvidenceRef, Finding, Severity};
use super::support;
use crate::evidence::{
    event_account, event_address, event_millis, failure_code, is_rdp_failure, EventSource, Evidence,
};
use crate::parse::identify::Kind;
use crate::parse::ntstatus;
use std::collections::BTreeMap;

pub static CHECK: Check = Check {
    id: "RDP014",
    name: "failed-logons",
    severity: Severity::Error,
    title: "Remote Desktop logons failed",
    explanation: "The Security log has failed logons (event 4625) of type 10 (Remote Desktop) or \
                  type 3 from a remote address (how Network Level Authentication failures appear). \
                  The status code says why Windows refused each one.",
    remediation: "Act on the reason: wrong password or unknown user: the user must use the right \
                  account (DOMAIN\\user or .\\user); locked out/disabled/expired: unlock, enable or \
                  renew the account; 'logon type not granted': add the user to Remote Desktop \
                  Users and check 'Allow/Deny log on through Remote Desktop Services' in User \
                  Rights Assignment (gpresult names the GPO).",
    needs: &[Kind::Evtx],
    fixture: "fixtures/failed-logons",
    requires: None,
    run,
};

/// Codes that are configuration problems (error); the rest are user mistakes (warning).
const CONFIG_CODES: &[u32] = &[
    0xC000_015B,
    0xC000_0072,
    0xC000_0234,
    0xC000_0193,
    0xC000_0071,
    0xC000_0224,
    0xC000_006F,
    0xC000_0070,
    0xC000_0133,
    0xC000_0413,
    0xC000_018C,
    0xC000_0192,
    0xC000_0418,
];

#[derive(Default)]
struct Group {
    count: u64,
    first: String,
    last: String,
    records: Vec<(String, u64)>,
    /// The account key ([`crate::evidence::Account::key`]) for matching later logons.
    key: Option<String>,
}

/// What to do for one reason, where the general remediation says too little. Account states
/// are the common case: with Network Level Authentication the client must authenticate before
/// any Windows logon screen exists, so a user whose password expired or must change cannot do
/// it over RDP, and the client only says the credentials did not work.
fn remediation_for(code: u32) -> Option<&'static str> {
    Some(match code {
        0xC000_0071 => {
            "The password has expired. With Network Level Authentication the user cannot change \
             it while connecting: change it elsewhere (Ctrl+Alt+Del > Change a password on \
             another machine, a domain password portal, or an administrator resets it with \
             'User must change password' cleared), then connect."
        }
        0xC000_0224 => {
            "The account is set to 'User must change password at next logon', which NLA cannot \
             do: clear the flag and set a password for the user (Active Directory Users and \
             Computers, or `net user NAME *`), or let the user change it at a console first. \
             Turning NLA off to allow the change lowers security for every user."
        }
        0xC000_0072 => {
            "The account is disabled: enable it (Active Directory Users and Computers, or `net \
             user NAME /active:yes` for a local account) if it should log on."
        }
        0xC000_0193 => {
            "The account has expired (its 'Account expires' date passed): extend or clear the \
             expiry date on the account (Account tab in Active Directory Users and Computers, \
             or `net user NAME /expires:never`)."
        }
        0xC000_006F => {
            "The logon is outside the account's allowed logon hours: change 'Logon Hours' on \
             the account, or connect within them."
        }
        0xC000_0070 => {
            "The account may log on only to listed computers ('Log On To…' on the Account tab, \
             userWorkstations) and this machine is not among them: add it, by its NetBIOS name."
        }
        0xC000_0234 => {
            "The account is locked out (too many wrong passwords, often an old password saved \
             in a client or a mapped drive): unlock it, then find the source of the bad \
             passwords (RDP051 and the lockout event 4740 name the caller computer)."
        }
        0xC000_006E => {
            "An account restriction refused the logon; for a local account the usual one is a \
             blank password, which Windows refuses for network and remote logons \
             (LimitBlankPasswordUse = 1): give the account a password rather than lifting the \
             protection."
        }
        0xC000_0133 => {
            "The clocks of this machine and the domain controller differ by more than five \
             minutes: see RDP039 and resynchronize the time (w32tm /resync)."
        }
        0xC000_0418 => {
            "NTLM was refused by a 'Network security: Restrict NTLM' policy (on this machine or \
             on the domain controller): see RDP060 for the setting and its GPO. Clients of \
             domain-joined hosts can use Kerberos instead by connecting by the host's FQDN with \
             a domain account; connecting by IP address, or from a computer outside the domain, \
             forces NTLM."
        }
        _ => return None,
    })
}

/// How long apart a 4625 and an RdpCoreTS 140 may be and still be the same attempt.
const SAME_ATTEMPT_MS: u64 = 5 * 1000;

/// The user of a group: RdpCoreTS 140 names none.
fn who(user: &str) -> &str {
    if user.is_empty() {
        "RdpCoreTS 140 (no user name)"
    } else {
        user
    }
}

/// ` from ADDRESS`, or nothing when the failure names no client address.
fn from(ip: &str) -> String {
    if ip.is_empty() {
        String::new()
    } else {
        format!(" from {ip}")
    }
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let events = ev.events_with_ids(&[4625]);
    let succeeded = support::last_logon_by_user(ev);
    // reason -> (user, ip) -> group
    let mut by_reason: BTreeMap<u32, BTreeMap<(String, String), Group>> = BTreeMap::new();
    for (artifact, e) in events.into_iter().filter(|(_, e)| is_rdp_failure(e)) {
        let code = failure_code(e).unwrap_or(0);
        let user = match (e.get("TargetDomainName"), e.get("TargetUserName")) {
            (Some(d), Some(u)) if !d.is_empty() && d != "-" => format!("{d}\\{u}"),
            (_, Some(u)) => u.to_string(),
            _ => "(unknown)".into(),
        };
        // `-` (NLA) and `0.0.0.0` (Windows 10 type 10) name no client: no address then.
        let ip = event_address(e).unwrap_or_default();
        let g = by_reason
            .entry(code)
            .or_default()
            .entry((user, ip))
            .or_default();
        g.count += 1;
        if g.key.is_none() {
            g.key = event_account(e).map(|a| a.key());
        }
        if g.first.is_empty() {
            g.first = e.time.clone();
        }
        g.last = e.time.clone();
        if g.records.len() < 3 {
            g.records.push((artifact.to_string(), e.record_id));
        }
    }
    // RdpCoreTS 140 ("the user name or password is not correct") names the client's address,
    // not the user: with NLA on Windows 10 / Server 2016+ it is where a failure's address is,
    // and without a Security log (or failure auditing) the only trace of it. One within
    // SAME_ATTEMPT_MS of a counted 4625 is that failure again.
    let security: Vec<i64> = ev
        .events_with_ids(&[4625])
        .into_iter()
        .filter(|(_, e)| is_rdp_failure(e))
        .filter_map(|(_, e)| event_millis(e))
        .collect();
    for (artifact, e) in ev.events_from(EventSource::RdpCoreTs, &[140]) {
        let Some(millis) = event_millis(e) else {
            continue;
        };
        if security.iter().any(|t| t.abs_diff(millis) <= SAME_ATTEMPT_MS) {
            continue;
        }
        let ip = event_address(e).unwrap_or_default();
        let g = by_reason
            .entry(0xC000_006D)
            .or_default()
            .entry((String::new(), ip))
            .or_default();
        g.count += 1;
        if g.first.is_empty() {
            g.first = e.time.clone();
        }
        g.last = e.time.clone();
        if g.records.len() < 3 {
            g.records.push((artifact.to_string(), e.record_id));
        }
    }
    let mut out = Vec::new();
    for (code, groups) in by_reason {
        let info = ntstatus::lookup(code);
        let meaning = info
            .as_ref()
            .map(|i| i.meaning)
            .unwrap_or("unrecognized status");
        let name = info.as_ref().map(|i| i.name).unwrap_or("?");
        let total: u64 = groups.values().map(|g| g.count).sum();
        let later_logon = |g: &Group| {
            g.key
                .as_ref()
                .and_then(|k| succeeded.get(k))
                .is_some_and(|t| *t > g.last.as_str())
        };
        let resolved = groups.values().all(later_logon);
        let severity = if resolved {
            Severity::Info
        } else if CONFIG_CODES.contains(&code) {
            Severity::Error
        } else {
            Severity::Warning
        };
        let mut ranked: Vec<_> = groups.into_iter().collect();
        ranked.sort_by_key(|(_, g)| std::cmp::Reverse(g.count));
        let lines: Vec<String> = ranked
            .iter()
            .take(10)
            .map(|((u, ip), g)| {
                format!(
                    "{}{}: {} time(s), {} .. {}",
                    who(u),
                    from(ip),
                    g.count,
                    g.first,
                    g.last
                )
            })
            .collect();
        let mut f = Finding::new(
            &CHECK,
            format!(
                "{total} failed RDP logon(s) with status 0x{code:08X} ({name}: {meaning}). {}{}",
                lines.join("; "),
                if ranked.len() > 10 {
                    format!("; and {} more user/address pairs", ranked.len() - 10)
                } else {
                    String::new()
                }
            ),
        )
        .title(if resolved {
            format!("{total} failed RDP logon(s), each user logged on after: {meaning}")
        } else {
            format!("{total} failed RDP logon(s): {meaning}")
        })
        .severity(severity)
        .fact("resolved_later", resolved)
        .fact("status", format!("0x{code:08X}"))
        .fact("reason", meaning)
        .fact("count", total)
        .fact(
            "users",
            ranked
                .iter()
                .map(|((u, _), _)| u.as_str())
                .filter(|u| !u.is_empty())
                .collect::<Vec<_>>()
                .join(","),
        );
        for ((u, ip), g) in ranked.iter().take(5) {
            for (artifact, rid) in &g.records {
                f = f.evidence(EvidenceRef::record(
                    artifact,
                    *rid,
                    if u.is_empty() {
                        format!("RdpCoreTS 140{}: user name or password not correct", from(ip))
                    } else {
                        format!("4625 {u}{} status 0x{code:08X}", from(ip))
                    },
                ));
            }
        }
        if let Some(fix) = remediation_for(code) {
            f = f.remediation(fix);
        }
        let online = ranked.iter().any(|((u, _), _)| {
            u.split_once('\\')
                .is_some_and(|(d, _)| super::entra_online_id_refused::is_online_domain(d))
        });
        if online {
            f.remediation.push_str(
                " Accounts named AzureAD\\… or MicrosoftAccount\\… are online identities: with \
                 NLA they need PKU2U (or Microsoft Entra authentication for RDP), see RDP061.",
            );
        }
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{evidence_from_xml, security_event};

    fn failure(rid: u64, user: &str, status: &str, sub: &str) -> String {
        security_event(
            4625,
            rid,
            "2026-03-01T09:00:00.0000000Z",
            &[
                ("TargetUserName", user),
                ("TargetDomainName", "CONTOSO"),
                ("Status", status),
                ("SubStatus", sub),
                ("LogonType", "10"),
                ("IpAddress", "10.0.0.9"),
            ],
        )
    }

    /// Each account state says what to do about that state, not the general advice.
    #[test]
    fn account_states_get_their_own_remediation() {
        let lines = [
            failure(1, "expired", "0xc000006d", "0xc0000071"),
            failure(2, "mustchange", "0xc000006d", "0xc0000224"),
            failure(3, "disabled", "0xc000006e", "0xc0000072"),
            failure(4, "acctexp", "0xc000006e", "0xc0000193"),
            failure(5, "hours", "0xc000006e", "0xc000006f"),
            failure(6, "workst", "0xc000006e", "0xc0000070"),
        ];
        let out = run(&evidence_from_xml(&[(
            "events/Security.xml",
            &lines.join("\r\n"),
        )]));
        let fix = |status: &str| {
            out.iter()
                .find(|f| f.facts["status"] == status)
                .map(|f| f.remediation.clone())
                .unwrap_or_else(|| panic!("no finding for {status}"))
        };
        assert!(fix("0xC0000071").contains("expired"));
        assert!(fix("0xC0000224").contains("NLA cannot"));
        assert!(fix("0xC0000072").contains("disabled"));
        assert!(fix("0xC0000193").contains("Account expires"));
        assert!(fix("0xC000006F").contains("logon hours"));
        assert!(fix("0xC0000070").contains("Log On To"));
        let all: std::collections::BTreeSet<String> = out.iter().map(|f| f.remediation.clone()).collect();
        assert_eq!(all.len(), 6, "each state its own advice");
        assert!(out.iter().all(|f| f.severity == Severity::Error));
    }

    /// One story with RDP060 and RDP061: NTLM blocked is a configuration error that points at
    /// the NTLM restriction, and online identities point at PKU2U.
    #[test]
    fn ntlm_blocked_and_online_identities_point_at_their_checks() {
        let lines = [
            failure(1, "jdoe", "0xc0000418", "0x0"),
            security_event(
                4625,
                2,
                "2026-03-01T09:00:00.0000000Z",
                &[
                    ("TargetUserName", "anna@contoso.com"),
                    ("TargetDomainName", "AzureAD"),
                    ("Status", "0xc000006d"),
                    ("SubStatus", "0xc000006a"),
                    ("LogonType", "10"),
                    ("IpAddress", "10.0.0.9"),
                ],
            ),
        ];
        let out = run(&evidence_from_xml(&[(
            "events/Security.xml",
            &lines.join("\r\n"),
        )]));
        let ntlm = out.iter().find(|f| f.facts["status"] == "0xC0000418").unwrap();
        assert_eq!(ntlm.severity, Severity::Error);
        assert!(ntlm.message.contains("STATUS_NTLM_BLOCKED"), "{}", ntlm.message);
        assert!(ntlm.remediation.contains("RDP060"));
        let online = out.iter().find(|f| f.facts["status"] == "0xC000006A").unwrap();
        assert!(online.remediation.contains("RDP061"), "{}", online.remediation);
    }

    /// Windows 10 writes `0.0.0.0` as the address of a failed type-10 logon and NLA failures
    /// write `-` (Belkasoft CTF desktop, Stolen Szechuan DC): neither is a client to name.
    #[test]
    fn placeholder_addresses_are_not_named() {
        let with_ip = |rid: u64, ip: &str| {
            failure(rid, "anit.ghosh", "0xc000006d", "0xc000006a").replace("10.0.0.9", ip)
        };
        let lines = [with_ip(1, "0.0.0.0"), with_ip(2, "-"), with_ip(3, "192.0.2.7")];
        let out = run(&evidence_from_xml(&[(
            "events/Security.xml",
            &lines.join("\r\n"),
        )]));
        assert_eq!(out.len(), 1);
        let m = &out[0].message;
        assert!(m.contains(r"CONTOSO\anit.ghosh: 2 time(s)"), "{m}");
        assert!(m.contains(r"CONTOSO\anit.ghosh from 192.0.2.7: 1 time(s)"), "{m}");
        assert!(!m.contains("0.0.0.0") && !m.contains("from -"), "{m}");
    }

    /// RdpCoreTS 140 alone (no Security log) is a failed logon from its address; one beside a
    /// 4625 is that failure, not a second.
    #[test]
    fn rdpcorets_140_counts_with_its_address() {
        use crate::evidence::testing::{event, RDPCORETS, RDPCORETS_CHANNEL};
        let e140 = |rid: u64, time: &str, ip: &str| {
            event(RDPCORETS, RDPCORETS_CHANNEL, 140, rid, time, &[("IPString", ip)])
        };
        let core = [
            e140(1, "2018-08-02T04:32:34.4369592Z", "212.92.115.217"),
            e140(2, "2018-08-02T05:10:00.0000000Z", "212.92.115.217"),
            e140(3, "2026-03-01T09:00:02.0000000Z", "10.0.0.9"),
        ]
        .join("\r\n");
        let out = run(&evidence_from_xml(&[("events/RdpCoreTS.xml", &core)]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].facts["count"], "3");
        assert_eq!(out[0].facts["users"], "");
        assert!(out[0].message.contains("from 212.92.115.217: 2 time(s)"), "{}", out[0].message);
        // With the 4625 of 09:00:00 beside it, the 140 two seconds later is the same attempt.
        let security = failure(9, "jdoe", "0xc000006d", "0xc000006a");
        let out = run(&evidence_from_xml(&[
            ("events/RdpCoreTS.xml", &core),
            ("events/Security.xml", &security),
        ]));
        let total: u64 = out.iter().map(|f| f.facts["count"].parse::<u64>().unwrap()).sum();
        assert_eq!(total, 3, "{out:?}");
    }
}

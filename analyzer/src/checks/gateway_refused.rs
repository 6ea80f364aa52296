//! RDP048: the RD Gateway refused connections (connection or resource policy, limit, tunnel),
//! or could not reach the computer behind it.
//!
//! A client that connects through an RD Gateway passes two policies before it reaches a
//! computer: a connection authorization policy (RD CAP: who may use the gateway, how they
//! authenticate, which devices they may redirect) and a resource authorization policy (RD RAP:
//! which computers they may reach, under which names). The gateway logs each decision in
//! `Microsoft-Windows-TerminalServices-Gateway/Operational` (`UserData/EventInfo`: `Username`,
//! `IpAddress`, `AuthType`, `Resource`, `ConnectionProtocol`, `ErrorCode`):
//! 200/201 CAP met/refused, 203 connection limit reached, 300/301 RAP met/refused, 302/303
//! connected/disconnected, 304 both policies met but the resource could not be reached, 306 no
//! tunnel (the gateway's certificate). The client only says "the gateway refused" or "the
//! remote computer could not be reached"; the gateway's log says which and for whom.
//!
//! A refusal followed, for the same user (and resource), by a success is past: warning, not
//! error. Event texts verified against Microsoft's "RD Gateway Server Connections" event pages
//! (Windows Server 2008 R2) and the EventInfo field names against published event XML.

use std::collections::{BTreeMap, HashMap};

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{event_account, event_address, summarize_event, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP048",
    name: "gateway-refused",
    severity: Severity::Error,
    title: "RD Gateway refused the connection",
    explanation: "The RD Gateway log shows connections it refused: the user did not meet a \
                  connection authorization policy (RD CAP, 201), was not allowed to reach the \
                  computer by a resource authorization policy (RD RAP, 301), the gateway's \
                  connection limit was reached (203), no tunnel could be created (306), or both \
                  policies were met but the computer behind the gateway could not be reached \
                  (304).",
    remediation: "In RD Gateway Manager: add the user's group to an RD CAP (and check its \
                  authentication method and device redirection requirements); add the computer \
                  to an RD RAP's computer group under the exact name clients use (FQDN and \
                  NetBIOS name both, or allow any network resource); raise or remove the \
                  connection limit; bind a valid certificate. For 304, check that the computer \
                  is on, Remote Desktop is enabled on it and the gateway reaches its port 3389.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/gateway-refused",
    requires: None,
    run,
};

/// What a refusal is about, and what later event shows it was overcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Refusal {
    Cap,
    Limit,
    Tunnel,
    Rap,
    Unreachable,
}

impl Refusal {
    fn of(id: u32) -> Option<Refusal> {
        Some(match id {
            201 => Refusal::Cap,
            203 => Refusal::Limit,
            306 => Refusal::Tunnel,
            301 => Refusal::Rap,
            304 => Refusal::Unreachable,
            _ => return None,
        })
    }

    fn words(self) -> &'static str {
        match self {
            Refusal::Cap => "refused by the connection authorization policy (RD CAP)",
            Refusal::Limit => "refused: the gateway's connection limit was reached",
            Refusal::Tunnel => "refused: the gateway could not create a tunnel",
            Refusal::Rap => "refused by the resource authorization policy (RD RAP)",
            Refusal::Unreachable => "allowed by both policies, but the computer could not be reached",
        }
    }

    /// Whether a refusal is about one resource (RAP, 304) rather than the gateway itself.
    fn per_resource(self) -> bool {
        matches!(self, Refusal::Rap | Refusal::Unreachable)
    }

    /// Whether `success` (200, 300, 302) shows this refusal overcome.
    fn overcome_by(self, success: u32) -> bool {
        match self {
            Refusal::Cap | Refusal::Limit | Refusal::Tunnel => matches!(success, 200 | 302),
            Refusal::Rap => matches!(success, 300 | 302),
            Refusal::Unreachable => success == 302,
        }
    }
}

/// The meaning of an `ErrorCode` seen in 201/301/304/306: Win32 and Winsock codes, and RD
/// Gateway's own 23003.
fn error_words(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "1326" => "wrong user name or password",
        "1327" => "account restriction (logon hours, workstations, blank password)",
        "1330" => "password expired",
        "1331" => "account disabled",
        "1907" => "password must be changed",
        "1909" => "account locked out",
        "23003" => "the user or the client device does not meet an RD CAP's requirements",
        "10060" => "the computer did not answer (timed out)",
        "10061" => "the computer refused the connection",
        "11001" => "the computer's name could not be resolved",
        _ => return None,
    })
}

/// One user's (and resource's) refusals of one kind.
struct Group<'a> {
    refusal: Refusal,
    user: String,
    resource: String,
    count: usize,
    addresses: Vec<String>,
    codes: Vec<String>,
    last: (&'a str, &'a Event),
    overcome: bool,
}

fn key_of(e: &Event) -> (String, String) {
    let user = event_account(e)
        .map(|a| a.display())
        .unwrap_or_else(|| "(no user)".into());
    let resource = e
        .get("Resource")
        .map(|r| r.trim().to_lowercase())
        .unwrap_or_default();
    (user, resource)
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let events = ev.events_from(EventSource::Gateway, &[200, 201, 203, 300, 301, 302, 304, 306]);
    let mut groups: BTreeMap<(Refusal, String, String), Group> = BTreeMap::new();
    for &(artifact, e) in &events {
        let Some(refusal) = Refusal::of(e.event_id) else {
            continue;
        };
        let (user, resource) = key_of(e);
        let resource = if refusal.per_resource() {
            resource
        } else {
            String::new()
        };
        let key = (refusal, user.to_lowercase(), resource.clone());
        let g = groups.entry(key).or_insert_with(|| Group {
            refusal,
            user,
            resource,
            count: 0,
            addresses: Vec::new(),
            codes: Vec::new(),
            last: (artifact, e),
            overcome: false,
        });
        g.count += 1;
        if e.time >= g.last.1.time {
            g.last = (artifact, e);
        }
        if let Some(a) = event_address(e) {
            if !g.addresses.contains(&a) {
                g.addresses.push(a);
            }
        }
        if let Some(c) = e.get("ErrorCode").map(str::trim) {
            if !c.is_empty() && c != "0" && !g.codes.iter().any(|k| k == c) {
                g.codes.push(c.to_string());
            }
        }
    }
    // Overcome: a success for the same user (and resource) after the last refusal. The latest
    // success of each kind is gathered once per user and per user and resource, not searched
    // for again for every refused user.
    let mut latest: HashMap<(String, Option<String>, u32), &str> = HashMap::new();
    for (_, e) in &events {
        if !matches!(e.event_id, 200 | 300 | 302) {
            continue;
        }
        let (user, resource) = key_of(e);
        let user = user.to_lowercase();
        for key in [
            (user.clone(), None, e.event_id),
            (user, Some(resource), e.event_id),
        ] {
            let t = latest.entry(key).or_insert(e.time.as_str());
            if e.time.as_str() > *t {
                *t = e.time.as_str();
            }
        }
    }
    for g in groups.values_mut() {
        let user = g.user.to_lowercase();
        let resource = g.refusal.per_resource().then(|| g.resource.clone());
        g.overcome = [200, 300, 302]
            .into_iter()
            .filter(|id| g.refusal.overcome_by(*id))
            .any(|id| {
                latest
                    .get(&(user.clone(), resource.clone(), id))
                    .is_some_and(|t| *t > g.last.1.time.as_str())
            });
    }
    let mut by_kind: BTreeMap<Refusal, Vec<Group>> = BTreeMap::new();
    for g in groups.into_values() {
        by_kind.entry(g.refusal).or_default().push(g);
    }
    by_kind
        .into_iter()
        .map(|(refusal, groups)| finding(refusal, groups, &events))
        .collect()
}

/// For RAP refusals: the names refused whose other spelling (NetBIOS name against FQDN, same
/// first label) the gateway allowed (300/302): the classic RAP mismatch.
fn other_names(groups: &[Group], events: &[(&str, &Event)]) -> Vec<(String, String)> {
    let first_label = |r: &str| r.split('.').next().unwrap_or("").to_string();
    let allowed: Vec<String> = events
        .iter()
        .filter(|(_, e)| matches!(e.event_id, 300 | 302))
        .map(|(_, e)| key_of(e).1)
        .filter(|r| !r.is_empty())
        .collect();
    let mut out: Vec<(String, String)> = Vec::new();
    for g in groups.iter().filter(|g| g.refusal == Refusal::Rap) {
        let label = first_label(&g.resource);
        if let Some(a) = allowed
            .iter()
            .find(|a| **a != g.resource && first_label(a) == label)
        {
            let pair = (g.resource.clone(), a.clone());
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    out
}

fn finding(refusal: Refusal, mut groups: Vec<Group>, events: &[(&str, &Event)]) -> Finding {
    let other_names = other_names(&groups, events);
    groups.sort_by(|a, b| b.last.1.time.cmp(&a.last.1.time));
    let current = groups.iter().filter(|g| !g.overcome).count();
    let total: usize = groups.iter().map(|g| g.count).sum();
    let lines: Vec<String> = groups
        .iter()
        .take(5)
        .map(|g| {
            let mut line = g.user.clone();
            if !g.resource.is_empty() {
                line.push_str(&format!(" to {}", g.resource));
            }
            if !g.addresses.is_empty() {
                line.push_str(&format!(" from {}", g.addresses.join(", ")));
            }
            line.push_str(&format!(": {} time(s), last at {}", g.count, g.last.1.time));
            let codes: Vec<String> = g
                .codes
                .iter()
                .map(|c| match error_words(c) {
                    Some(w) => format!("{c} ({w})"),
                    None => c.clone(),
                })
                .collect();
            if !codes.is_empty() {
                line.push_str(&format!(", error {}", codes.join(", ")));
            }
            if g.overcome {
                line.push_str(" (succeeded later)");
            }
            line
        })
        .collect();
    let more = groups.len().saturating_sub(lines.len());
    let mut message = format!(
        "RD Gateway: {total} connection(s) {}: {}",
        refusal.words(),
        lines.join("; ")
    );
    if more > 0 {
        message.push_str(&format!("; and {more} more"));
    }
    message.push('.');
    for (refused, allowed) in other_names {
        message.push_str(&format!(
            " {refused} was refused while {allowed} was allowed: the RD RAP names the computer \
             one way only; add the other name to its computer group, or have clients use {allowed}."
        ));
    }
    let mut f = Finding::new(&CHECK, String::new());
    let title = match refusal {
        Refusal::Cap => "RD Gateway refused users by its connection policy (RD CAP)",
        Refusal::Limit => "RD Gateway refused connections: connection limit reached",
        Refusal::Tunnel => "RD Gateway could not create tunnels",
        Refusal::Rap => "RD Gateway refused access to a computer by its resource policy (RD RAP)",
        Refusal::Unreachable => "RD Gateway could not reach the computer behind it",
    };
    f = f.title(title);
    if current == 0 {
        message.push_str(" Each was followed by a success for the same user: past, not present.");
        f = f
            .severity(Severity::Warning)
            .title(format!("{title} (since resolved)"));
    }
    let users: Vec<&str> = groups.iter().map(|g| g.user.as_str()).collect();
    f = f
        .fact("refusal", format!("{refusal:?}").to_lowercase())
        .fact("count", total)
        .fact("users", users.join(", "))
        .fact("unresolved", current);
    let resources: Vec<&str> = groups
        .iter()
        .map(|g| g.resource.as_str())
        .filter(|r| !r.is_empty())
        .collect();
    if !resources.is_empty() {
        f = f.fact("resources", resources.join(", "));
    }
    for g in groups.iter().take(5) {
        let (artifact, e) = g.last;
        f = f.evidence(EvidenceRef::record(artifact, e.record_id, summarize_event(e)));
    }
    f.message = message;
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{evidence_from_xml, user_data_event};

    const GW: &str = "Microsoft-Windows-TerminalServices-Gateway";
    const CH: &str = "Microsoft-Windows-TerminalServices-Gateway/Operational";

    fn gw(id: u32, rid: u64, minute: u32, user: &str, resource: &str, code: &str) -> String {
        user_data_event(
            GW,
            CH,
            id,
            rid,
            &format!("2026-11-20T09:{minute:02}:00.0000000Z"),
            &[
                ("Username", user),
                ("IpAddress", "203.0.113.7"),
                ("AuthType", "NTLM"),
                ("Resource", resource),
                ("ConnectionProtocol", "HTTP"),
                ("ErrorCode", code),
            ],
        )
    }

    fn run_on(events: &[String]) -> Vec<Finding> {
        let xml = events.join("\r\n");
        run(&evidence_from_xml(&[("gateway.xml", &xml)]))
    }

    #[test]
    fn cap_refusal_names_user_address_and_error() {
        let out = run_on(&[gw(201, 1, 0, r"CONTOSO\vendor1", "", "23003")]);
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains(r"CONTOSO\vendor1 from 203.0.113.7"), "{}", f.message);
        assert!(f.message.contains("23003 (the user or the client device"), "{}", f.message);
        assert_eq!(f.facts["refusal"], "cap");
    }

    #[test]
    fn a_later_success_makes_it_past() {
        let out = run_on(&[
            gw(301, 1, 0, r"CONTOSO\jdoe", "rds01", "0"),
            gw(300, 2, 5, r"CONTOSO\jdoe", "RDS01", "0"),
        ]);
        assert_eq!(out[0].severity, Severity::Warning);
        assert!(out[0].title.ends_with("(since resolved)"));
        // A success for another resource does not count.
        let out = run_on(&[
            gw(301, 1, 0, r"CONTOSO\jdoe", "rds01", "0"),
            gw(300, 2, 5, r"CONTOSO\jdoe", "rds02.contoso.com", "0"),
        ]);
        assert_eq!(out[0].severity, Severity::Error);
        // ... but it shows the RAP names the computer by its FQDN only.
        let out = run_on(&[
            gw(301, 1, 0, r"CONTOSO\jdoe", "rds01", "0"),
            gw(302, 2, 5, r"CONTOSO\jsmith", "RDS01.contoso.com", "0"),
        ]);
        assert!(
            out[0].message.contains("rds01 was refused while rds01.contoso.com was allowed"),
            "{}",
            out[0].message
        );
        // Nor does a success before the refusal.
        let out = run_on(&[
            gw(302, 1, 0, r"CONTOSO\jdoe", "rds01", "0"),
            gw(301, 2, 5, r"CONTOSO\jdoe", "rds01", "0"),
        ]);
        assert_eq!(out[0].severity, Severity::Error);
    }

    #[test]
    fn one_finding_per_kind_and_successes_alone_are_quiet() {
        let out = run_on(&[
            gw(201, 1, 0, r"CONTOSO\a", "", "1326"),
            gw(201, 2, 1, r"CONTOSO\b", "", "1326"),
            gw(304, 3, 2, r"CONTOSO\c", "rds01.contoso.com", "10060"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].facts["count"], "2");
        assert!(out[1].message.contains("could not be reached"));
        assert!(out[1].message.contains("10060 (the computer did not answer"));
        let quiet = run_on(&[
            gw(200, 1, 0, r"CONTOSO\a", "", "0"),
            gw(300, 2, 0, r"CONTOSO\a", "rds01", "0"),
            gw(302, 3, 0, r"CONTOSO\a", "rds01", "0"),
        ]);
        assert!(quiet.is_empty());
    }
}

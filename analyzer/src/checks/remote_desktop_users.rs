//! RDP025: the users who connect are not in Remote Desktop Users.
//!
//! By default only Administrators and the built-in group Remote Desktop Users (S-1-5-32-555) hold
//! "Allow log on through Remote Desktop Services". A user who is in neither passes the password
//! check and is then refused with 4625 status 0xC000015B; the client reports that the account is
//! not authorized for remote login. `net localgroup "Remote Desktop Users"` lists the direct
//! members; domain groups in it are expanded at logon, so a user missing from the list may still
//! be a member through a group, which the finding says.
//!
//! Security event 4825 ("A user was denied the access to Remote Desktop. By default, users are
//! allowed to connect only if they are members of the Remote Desktop Users group or
//! Administrators group") is the same refusal told by the Remote Desktop service itself, with the
//! client's address: it is enough on its own, without the group listing.

use super::remote_logon_rights::{explained_by_deny, failed_logons_with_status};
use super::{Check, EvidenceRef, Finding, Severity};
use super::support;
use crate::evidence::{event_account, event_address, summarize_event, EventSource, Evidence};
use crate::parse::identify::{Kind, NET_LOCALGROUP_RDU};

pub static CHECK: Check = Check {
    id: "RDP025",
    name: "remote-desktop-users",
    severity: Severity::Error,
    title: "Users who connect are not members of Remote Desktop Users",
    explanation: "Non-administrators need to be in the local Remote Desktop Users group (directly \
                  or through a domain group in it) to hold the right to log on through Remote \
                  Desktop Services. The group is empty or lacks the refused users.",
    remediation: "Add the users, or a domain group containing them, to Remote Desktop Users: \
                  Settings > System > Remote Desktop > Remote Desktop users, or `net localgroup \
                  \"Remote Desktop Users\" CONTOSO\\jdoe /add` (for many machines use a GPO's \
                  Restricted Groups or Local Users and Groups preference). The user must sign in \
                  again to get the new membership.",
    needs: &[Kind::NetLocalgroup, Kind::Evtx],
    fixture: "fixtures/remote-desktop-users",
    requires: Some(missing),
    run,
};

/// Not evaluated with neither the group listing nor a 4825 to go on: an event log alone proves
/// nothing about the group.
fn missing(ev: &Evidence) -> Option<String> {
    if ev.has(Kind::NetLocalgroup) || !denied_access(ev).is_empty() {
        return None;
    }
    Some(support::missing_because(
        ev,
        NET_LOCALGROUP_RDU,
        "net localgroup \"Remote Desktop Users\" output, and no Security 4825",
    ))
}

/// Security 4825 events: Remote Desktop access denied to a user outside the groups.
fn denied_access(ev: &Evidence) -> Vec<(&str, &crate::parse::evtx::Event)> {
    ev.events_from(EventSource::Security, &[4825])
}

/// One finding for the 4825s, naming users and client addresses, and whether the group
/// listing (when collected) has them.
fn denied_finding(ev: &Evidence) -> Option<Finding> {
    let denied = denied_access(ev);
    let (first, last) = (denied.first()?, denied.last()?);
    let mut users = std::collections::BTreeSet::new();
    let mut addresses = std::collections::BTreeSet::new();
    for (_, e) in &denied {
        if let Some(a) = event_account(e) {
            users.insert(a.display());
        }
        if let Some(addr) = event_address(e) {
            addresses.insert(addr);
        }
    }
    let users: Vec<String> = users.into_iter().collect();
    let addresses: Vec<String> = addresses.into_iter().collect();
    let listed: Vec<&str> = users
        .iter()
        .map(String::as_str)
        .filter(|u| {
            ev.local_groups
                .iter()
                .filter(|g| g.value.is_remote_desktop_users() || g.artifact == NET_LOCALGROUP_RDU)
                .any(|g| g.value.has_member(u))
        })
        .collect();
    let who = if users.is_empty() {
        "a user".to_string()
    } else {
        users.join(", ")
    };
    let mut f = Finding::new(
        &CHECK,
        format!(
            "Remote Desktop refused {who} {} time(s) (Security 4825: not a member of Remote \
             Desktop Users or Administrators){}, {} .. {}.{}",
            denied.len(),
            if addresses.is_empty() {
                String::new()
            } else {
                format!(" from {}", addresses.join(", "))
            },
            first.1.time,
            last.1.time,
            if listed.is_empty() {
                String::new()
            } else {
                format!(
                    " {} {} listed in Remote Desktop Users now: the membership was added after \
                     the refusals, or the user has not signed in again since.",
                    listed.join(", "),
                    if listed.len() == 1 { "is" } else { "are" }
                )
            }
        ),
    )
    .title(format!("{who} denied Remote Desktop access: not in Remote Desktop Users"))
    .fact("users", users.join(","))
    .fact("addresses", addresses.join(","))
    .fact("events", denied.len());
    for (a, e) in denied.iter().rev().take(3) {
        f = f.evidence(EvidenceRef::record(a, e.record_id, summarize_event(e)));
    }
    Some(f)
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let refused = failed_logons_with_status(ev, 0xC000_015B);
    let mut out: Vec<Finding> = denied_finding(ev).into_iter().collect();
    for g in ev.local_groups.iter().filter(|g| {
        g.value.error.is_none()
            && (g.value.is_remote_desktop_users() || g.artifact == NET_LOCALGROUP_RDU)
    }) {
        let members: Vec<&str> = g.value.members.iter().map(|m| m.name.as_str()).collect();
        let missing: Vec<&str> = refused
            .iter()
            .map(|(_, _, u)| u.as_str())
            .filter(|u| !g.value.has_member(u) && !explained_by_deny(ev, u))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let group_ref = EvidenceRef::line(
            &g.artifact,
            g.value.line,
            format!(
                "{}: {} direct member(s){}",
                g.value.name.as_deref().unwrap_or("Remote Desktop Users"),
                members.len(),
                if members.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", members.join(", "))
                }
            ),
        );
        let via_groups = members.iter().any(|m| m.contains('\\') && m.contains(' '));
        if !missing.is_empty() {
            let mut f = Finding::new(
                &CHECK,
                format!(
                    "{} {} refused with 0xC000015B (logon type not granted) and {} not a direct \
                     member of Remote Desktop Users{}.",
                    missing.join(", "),
                    if missing.len() == 1 { "was" } else { "were" },
                    if missing.len() == 1 { "is" } else { "are" },
                    if via_groups {
                        "; check whether they are in one of the domain groups listed there"
                    } else {
                        ""
                    }
                ),
            )
            .title(format!(
                "{} not in Remote Desktop Users",
                missing.join(", ")
            ))
            .fact("users", missing.join(","))
            .fact("members", members.len())
            .evidence(group_ref);
            for (a, e, u) in refused
                .iter()
                .filter(|(_, _, u)| missing.contains(&u.as_str()))
                .take(3)
            {
                f = f.evidence(EvidenceRef::record(
                    a,
                    e.record_id,
                    format!("4625 {u} status 0xC000015B (logon type not granted)"),
                ));
            }
            out.push(f);
        } else if members.is_empty() && g.value.completed {
            out.push(
                Finding::new(
                    &CHECK,
                    "Remote Desktop Users has no members: only administrators (and accounts the \
                     logon right names directly) can connect over Remote Desktop.",
                )
                .title("Remote Desktop Users is empty")
                .severity(Severity::Info)
                .fact("members", 0)
                .evidence(group_ref),
            );
        }
    }
    out
}

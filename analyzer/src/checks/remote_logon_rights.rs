//! RDP024: the user rights "Allow/Deny log on through Remote Desktop Services" refuse users.
//!
//! After authentication, LSA checks the logon type against the user's rights: a Remote Desktop
//! session needs `SeRemoteInteractiveLogonRight` (by default Administrators and Remote Desktop
//! Users) and must not be named in `SeDenyRemoteInteractiveLogonRight`, which wins over every
//! grant. A refused logon is Security event 4625 with status 0xC000015B ("the user has not been
//! granted the requested logon type") and the client says "the connection was denied because the
//! user account is not authorized for remote login". Hardening baselines cause most of these:
//! "Deny ... : Local account" (S-1-5-113) refuses every local account, and an Allow list reduced
//! to Administrators leaves Remote Desktop Users without the right. `secedit /export` shows the
//! rights in force (Group Policy merged in, SIDs not names); gpresult names the GPO.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{event_account, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::gpresult::{ALLOW_RDP_LOGON_RIGHT_NAMES, DENY_RDP_LOGON_RIGHT_NAMES};
use crate::parse::identify::Kind;
use crate::parse::ntstatus;
use crate::parse::secedit::{self, Principal};

pub static CHECK: Check = Check {
    id: "RDP024",
    name: "remote-logon-rights",
    severity: Severity::Error,
    title: "User rights refuse Remote Desktop logons",
    explanation: "'Allow log on through Remote Desktop Services' (SeRemoteInteractiveLogonRight) \
                  does not include the users who connect, or 'Deny log on through Remote Desktop \
                  Services' (SeDenyRemoteInteractiveLogonRight) names them or a group they are \
                  in. LSA refuses the logon with 0xC000015B after the password was accepted.",
    remediation: "In the GPO named below (or secpol.msc > Local Policies > User Rights \
                  Assignment when it is Local Group Policy): make 'Allow log on through Remote \
                  Desktop Services' include Administrators and Remote Desktop Users, and remove \
                  the refused group from 'Deny log on through Remote Desktop Services' (remove \
                  'Local account' if local accounts must connect). Run gpupdate /force; new \
                  logons get the new rights.",
    needs: &[Kind::Secedit, Kind::Gpresult],
    fixture: "fixtures/remote-logon-rights",
    requires: Some(missing),
    run,
};

const ALLOW: &str = "SeRemoteInteractiveLogonRight";
const DENY: &str = "SeDenyRemoteInteractiveLogonRight";

/// SIDs whose presence in the Deny right refuses (nearly) everybody.
const BROAD: &[(&str, &str)] = &[
    ("S-1-1-0", "everyone"),
    ("S-1-5-11", "authenticated users"),
    ("S-1-5-32-545", "users"),
    ("S-1-5-32-555", "remote desktop users"),
    ("S-1-5-32-544", "administrators"),
];

/// An account named in a right, from secedit (SID) or gpresult (display name).
#[derive(Debug, Clone)]
struct Holder {
    principal: Principal,
    /// Lower-case name for matching gpresult's names (`remote desktop users`).
    name: String,
}

impl Holder {
    fn is(&self, sid: &str, name: &str) -> bool {
        if sid == "S-1-5-32-555" {
            return self.principal.is_sid(sid)
                || crate::parse::net_localgroup::REMOTE_DESKTOP_USERS_NAMES
                    .iter()
                    .any(|n| n.to_lowercase() == self.name);
        }
        self.principal.is_sid(sid) || self.name == name
    }
    fn domain_users(&self) -> bool {
        self.principal
            .sid
            .as_deref()
            .is_some_and(|s| s.starts_with("S-1-5-21-") && secedit::sid_rid(s) == Some(513))
            || self.name == "domain users"
    }
    /// The built-in Guests group or Guest account: denied on nearly every baseline (CIS, STIG)
    /// and disabled anyway, so naming them changes nothing for RDP.
    fn guests(&self) -> bool {
        self.is("S-1-5-32-546", "guests")
            || self
                .principal
                .sid
                .as_deref()
                .is_some_and(|s| s.starts_with("S-1-5-21-") && secedit::sid_rid(s) == Some(501))
            || self.name == "guest"
    }
    fn local_account(&self) -> bool {
        self.is("S-1-5-113", "local account")
            || self.is(
                "S-1-5-114",
                "local account and member of administrators group",
            )
    }
}

/// One right as this bundle shows it.
struct Right {
    holders: Vec<Holder>,
    /// `None` when the source lists the right; `Some` when the export has no line for it.
    absent: bool,
    refs: Vec<EvidenceRef>,
    gpo: Option<String>,
}

fn holder_from_name(raw: &str) -> Holder {
    let name = raw.rsplit('\\').next().unwrap_or(raw).trim().to_lowercase();
    let principal = secedit::principals(raw)
        .into_iter()
        .next()
        .unwrap_or(Principal {
            raw: raw.to_string(),
            sid: None,
        });
    Holder { principal, name }
}

fn holder_from_principal(p: Principal) -> Holder {
    let name = p
        .sid
        .as_deref()
        .and_then(secedit::well_known_sid_name)
        .map(str::to_lowercase)
        .unwrap_or_else(|| {
            p.raw
                .rsplit('\\')
                .next()
                .unwrap_or(&p.raw)
                .trim()
                .to_lowercase()
        });
    Holder { principal: p, name }
}

/// The right from secedit (effective) when exported, else from gpresult.
fn right(ev: &Evidence, key: &str, gp_names: &[&str]) -> Option<Right> {
    let gp = support::security_setting_gpo(ev, gp_names);
    for s in &ev.secedit {
        if !s.value.has_user_rights() {
            continue;
        }
        let mut r = match s.value.user_right(key) {
            Some(u) => Right {
                holders: u
                    .principals
                    .into_iter()
                    .map(holder_from_principal)
                    .collect(),
                absent: false,
                refs: vec![EvidenceRef::line(
                    &s.artifact,
                    u.entry.line,
                    format!("{} = {}", u.entry.key, u.entry.value),
                )],
                gpo: None,
            },
            None => Right {
                holders: Vec::new(),
                absent: true,
                refs: vec![EvidenceRef::file(
                    &s.artifact,
                    format!("[Privilege Rights] has no {key} line: nobody holds it"),
                )],
                gpo: None,
            },
        };
        if let Some((g, _, gref)) = gp {
            r.gpo = Some(g);
            r.refs.push(gref);
        }
        return Some(r);
    }
    let (g, setting, gref) = gp?;
    Some(Right {
        holders: setting
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(holder_from_name)
            .collect(),
        absent: false,
        refs: vec![gref],
        gpo: Some(g),
    })
}

/// Failed logons (4625) whose status or sub-status is `code`, with `DOMAIN\user`. Used for the
/// two tie-ins this catalogue makes: 0xC000015B (logon rights) and 0xC0000133 (clock skew).
pub fn failed_logons_with_status(ev: &Evidence, code: u32) -> Vec<(&str, &Event, String)> {
    ev.events_with_ids(&[4625])
        .into_iter()
        .filter(|(_, e)| {
            [e.get("Status"), e.get("SubStatus")]
                .into_iter()
                .flatten()
                .any(|v| ntstatus::parse_code(v) == Some(code))
        })
        .map(|(a, e)| {
            let user = match (e.get("TargetDomainName"), e.get("TargetUserName")) {
                (Some(d), Some(u)) if !d.trim().is_empty() && d != "-" => format!("{d}\\{u}"),
                (_, Some(u)) => u.to_string(),
                _ => "(unknown)".into(),
            };
            (a, e, user)
        })
        .collect()
}

/// Whether the Deny right alone explains why `user` (`DOMAIN\\user`) was refused: it names a
/// group everyone is in, the user, or "Local account" for a local user. RDP025 leaves such users
/// to this check.
pub fn explained_by_deny(ev: &Evidence, user: &str) -> bool {
    let Some(d) = right(ev, DENY, DENY_RDP_LOGON_RIGHT_NAMES) else {
        return false;
    };
    let host = ev
        .manifest
        .as_ref()
        .map(|m| m.host_name.to_ascii_lowercase());
    let u = user.to_lowercase();
    let (dom, name) = u.split_once('\\').unwrap_or(("", u.as_str()));
    d.holders.iter().any(|h| {
        BROAD.iter().any(|(sid, n)| h.is(sid, n))
            || h.domain_users()
            || h.name == name
            || (h.local_account() && host.as_deref() == Some(dom))
    })
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let allow = right(ev, ALLOW, ALLOW_RDP_LOGON_RIGHT_NAMES);
    let deny = right(ev, DENY, DENY_RDP_LOGON_RIGHT_NAMES);
    let refused = failed_logons_with_status(ev, 0xC000_015B);
    let refused_users: Vec<String> = refused
        .iter()
        .map(|(_, _, u)| u.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Users Remote Desktop refused for a missing right (4825), by lowercase account name.
    let denied_4825: std::collections::BTreeSet<String> = ev
        .events_from(EventSource::Security, &[4825])
        .into_iter()
        .filter_map(|(_, e)| event_account(e).map(|a| a.key()))
        .collect();
    let host = ev
        .manifest
        .as_ref()
        .map(|m| m.host_name.to_ascii_lowercase());
    let mut out = Vec::new();
    let symptom = if refused.is_empty() {
        String::new()
    } else {
        format!(
            " The Security log shows {} logon(s) refused with 0xC000015B (logon type not granted) \
             for {}.",
            refused.len(),
            refused_users.join(", ")
        )
    };
    let add_events = |mut f: Finding| {
        for (a, e, u) in refused.iter().take(3) {
            f = f.evidence(EvidenceRef::record(
                a,
                e.record_id,
                format!("4625 {u} status 0xC000015B (logon type not granted)"),
            ));
        }
        if !refused_users.is_empty() {
            f = f.fact("refused_users", refused_users.join(","));
        }
        f
    };
    if let Some(d) = &deny {
        let broad: Vec<&Holder> = d
            .holders
            .iter()
            .filter(|h| BROAD.iter().any(|(sid, n)| h.is(sid, n)) || h.domain_users())
            .collect();
        let local: Vec<&Holder> = d.holders.iter().filter(|h| h.local_account()).collect();
        let named: Vec<&Holder> = d
            .holders
            .iter()
            .filter(|h| {
                refused_users
                    .iter()
                    .any(|u| u.to_lowercase().rsplit('\\').next() == Some(h.name.as_str()))
            })
            .collect();
        let local_refused = refused_users.iter().any(|u| {
            u.split_once('\\')
                .is_some_and(|(dom, _)| Some(dom.to_ascii_lowercase()) == host)
        });
        let mut hit: Vec<&Holder> = broad.clone();
        hit.extend(named.iter().copied());
        let local_only = hit.is_empty() && !local.is_empty();
        if local_only {
            hit.extend(local.iter().copied());
        }
        if !hit.is_empty() {
            let names: Vec<String> = hit.iter().map(|h| h.principal.display()).collect();
            let mut f = Finding::new(
                &CHECK,
                format!(
                    "'Deny log on through Remote Desktop Services' names {}{}. A deny entry wins \
                     over every grant, so {}.{symptom}",
                    names.join(", "),
                    d.gpo
                        .as_ref()
                        .map(|g| format!(" (Group Policy '{g}')"))
                        .unwrap_or_default(),
                    if local_only {
                        "every local account (.\\user, HOST\\user) is refused while domain accounts work"
                    } else {
                        "its members cannot log on through Remote Desktop"
                    }
                ),
            )
            .title(if local_only {
                "Local accounts are denied Remote Desktop logon".to_string()
            } else {
                format!("{} denied Remote Desktop logon", names.join(", "))
            })
            .fact("right", DENY)
            .fact("principals", names.join(","));
            if local_only && !local_refused {
                f = f.severity(Severity::Warning);
            }
            if let Some(g) = &d.gpo {
                f = f.fact("winning_gpo", g);
            }
            f.evidence.extend(d.refs.clone());
            out.push(add_events(f));
        }
        out.extend(specific_denials(d, &hit, &denied_4825));
    }
    if let Some(a) = &allow {
        let rdu = a
            .holders
            .iter()
            .any(|h| h.is("S-1-5-32-555", "remote desktop users"));
        let broad = a
            .holders
            .iter()
            .any(|h| BROAD.iter().take(3).any(|(sid, n)| h.is(sid, n)) || h.domain_users());
        let names: Vec<String> = a.holders.iter().map(|h| h.principal.display()).collect();
        let problem = if a.holders.is_empty() {
            Some((
                "Nobody may log on through Remote Desktop Services".to_string(),
                format!(
                    "'Allow log on through Remote Desktop Services' is {}: no account, not even \
                     Administrators, may start a Remote Desktop session.",
                    if a.absent { "held by nobody" } else { "empty" }
                ),
                Severity::Error,
            ))
        } else if !rdu && !broad {
            Some((
                "Remote Desktop Users lack the right to log on through Remote Desktop".to_string(),
                format!(
                    "'Allow log on through Remote Desktop Services' is granted only to {}: members \
                     of Remote Desktop Users who are not in those are refused.",
                    names.join(", ")
                ),
                if refused.is_empty() {
                    Severity::Warning
                } else {
                    Severity::Error
                },
            ))
        } else {
            None
        };
        if let Some((title, msg, sev)) = problem {
            let mut f = Finding::new(
                &CHECK,
                format!(
                    "{msg}{}{symptom}",
                    a.gpo
                        .as_ref()
                        .map(|g| format!(" The setting comes from Group Policy '{g}'."))
                        .unwrap_or_default()
                ),
            )
            .title(title)
            .severity(sev)
            .fact("right", ALLOW)
            .fact("principals", names.join(","));
            if let Some(g) = &a.gpo {
                f = f.fact("winning_gpo", g);
            }
            f.evidence.extend(a.refs.clone());
            out.push(add_events(f));
        }
    }
    out
}

/// Groups and accounts the Deny right names beyond the broad groups, Local account and Guests:
/// `CONTOSO\Vendors`, or `Domain Admins` on a STIG baseline that keeps domain administrators off
/// member servers. Their members are refused whatever else grants them the right: a warning
/// naming them and the GPO, so the engineer knows before the user calls; an error when a 4825
/// names one of them. (A refused 4625 of a named account is the finding above.)
fn specific_denials(
    d: &Right,
    already: &[&Holder],
    denied_4825: &std::collections::BTreeSet<String>,
) -> Option<Finding> {
    let specific: Vec<&Holder> = d
        .holders
        .iter()
        .filter(|h| {
            !h.guests()
                && !h.local_account()
                && !BROAD.iter().any(|(sid, n)| h.is(sid, n))
                && !h.domain_users()
                && !already.iter().any(|a| a.name == h.name)
        })
        .collect();
    if specific.is_empty() {
        return None;
    }
    let names: Vec<String> = specific.iter().map(|h| h.principal.display()).collect();
    let matched: Vec<&str> = specific
        .iter()
        .filter(|h| denied_4825.contains(&h.name))
        .map(|h| h.name.as_str())
        .collect();
    let gpo = d
        .gpo
        .as_ref()
        .map(|g| format!(" by Group Policy '{g}'"))
        .unwrap_or_default();
    let mut f = Finding::new(
        &CHECK,
        format!(
            "'Deny log on through Remote Desktop Services' names {}{gpo}: {} refused Remote \
             Desktop logon whatever else grants it (a deny entry wins), with 0xC000015B after the \
             password was accepted.{}",
            names.join(", "),
            if specific.len() == 1 {
                "this account, or every member of this group, is"
            } else {
                "these accounts, and every member of these groups, are"
            },
            if matched.is_empty() {
                " No refused logon of theirs is in the logs: if the user who cannot connect is \
                 one of them, this is the cause; if it is deliberate (administrators kept off \
                 member servers), they must use another account."
                    .to_string()
            } else {
                format!(
                    " Remote Desktop refused {} (Security 4825).",
                    matched.join(", ")
                )
            }
        ),
    )
    .title(format!(
        "{} denied Remote Desktop logon{gpo}",
        names.join(", ")
    ))
    .severity(if matched.is_empty() {
        Severity::Warning
    } else {
        Severity::Error
    })
    .fact("right", DENY)
    .fact("principals", names.join(","));
    if let Some(g) = &d.gpo {
        f = f.fact("winning_gpo", g);
    }
    f.evidence.extend(d.refs.clone());
    Some(f)
}

/// Not evaluated without the user rights (secedit) or gpresult rows for them.
fn missing(ev: &Evidence) -> Option<String> {
    let secedit = ev.secedit.iter().any(|s| s.value.has_user_rights());
    let gp = support::security_setting_gpo(ev, ALLOW_RDP_LOGON_RIGHT_NAMES).is_some()
        || support::security_setting_gpo(ev, DENY_RDP_LOGON_RIGHT_NAMES).is_some();
    (!secedit && !gp).then(|| {
        support::missing_because(
            ev,
            "commands/secedit-user-rights.inf",
            "secedit export of the user rights (nor gpresult rows for them)",
        )
    })
}

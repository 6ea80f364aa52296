//! RDP026: the RDP-Tcp listener's own permissions do not let users log on.
//!
//! Besides the user rights, each listener has a security descriptor: `Security` (REG_BINARY)
//! under `WinStations\RDP-Tcp`, or, when that value is absent, `WinStations\DefaultSecurity`.
//! Its entries grant WinStation rights, of which `WINSTATION_LOGON` (0x20) is the one a user
//! needs to start a session (the default grants Remote Desktop Users 0x121: logon, query,
//! connect; Administrators full control 0xF03BF). Tools such as the old Remote Desktop Session
//! Host Configuration "Permissions" tab, `Win32_TSPermissionsSetting` scripts or a copied
//! registry export can remove Remote Desktop Users or add a Deny; users are then refused after
//! authentication with "not authorized for remote login", like a missing logon right.

use super::support;
use super::{Check, Finding, Severity};
use crate::evidence::{Evidence, TERMINAL_SERVER_KEY};
use crate::parse::identify::Kind;
use crate::parse::reg::RegData;
use crate::parse::secedit::well_known_sid_name;
use crate::parse::security_descriptor::{self, SdAce};

pub static CHECK: Check = Check {
    id: "RDP026",
    name: "listener-permissions",
    severity: Severity::Error,
    title: "The RDP-Tcp listener's permissions refuse users",
    explanation: "The listener's security descriptor (WinStations\\RDP-Tcp\\Security) does not \
                  grant the logon permission to Remote Desktop Users (or Administrators), or \
                  denies it, so those users are refused after they authenticate.",
    remediation: "Restore the default listener permissions: delete the Security value under \
                  HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp \
                  (the listener then uses WinStations\\DefaultSecurity) or export it from a \
                  healthy machine of the same build, then restart TermService. Grant Remote \
                  Desktop Users 'User Access' rather than adding individual users.",
    needs: &[Kind::Registry],
    fixture: "fixtures/listener-permissions",
    requires: Some(missing),
    run,
};

const WINSTATION_LOGON: u32 = 0x20;
const GENERIC_ALL: u32 = 0x1000_0000;

fn grants_logon(a: &SdAce) -> bool {
    a.mask & (WINSTATION_LOGON | GENERIC_ALL) != 0
}

fn name(sid: &str) -> String {
    match well_known_sid_name(sid) {
        Some(n) => format!("{n} ({sid})"),
        None => sid.to_string(),
    }
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let rdp = format!(r"{TERMINAL_SERVER_KEY}\WinStations\RDP-Tcp");
    let default = format!(r"{TERMINAL_SERVER_KEY}\WinStations");
    let hit = ev
        .reg_value(&rdp, "Security")
        .or_else(|| ev.reg_value(&default, "DefaultSecurity"));
    let Some(hit) = hit else {
        return Vec::new();
    };
    let RegData::Binary(bytes) = &hit.value.data else {
        return Vec::new();
    };
    let Ok(sd) = security_descriptor::parse(bytes) else {
        return Vec::new();
    };
    let Some(dacl) = sd.dacl else {
        return Vec::new(); // no DACL: everyone has every right
    };
    let groups = ["S-1-5-32-555", "S-1-5-32-545", "S-1-1-0", "S-1-5-11"];
    let denied: Vec<&SdAce> = dacl
        .iter()
        .filter(|a| !a.allow && grants_logon(a))
        .filter(|a| groups.contains(&a.sid.as_str()) || a.sid == "S-1-5-32-544")
        .collect();
    let users_allowed = dacl
        .iter()
        .any(|a| a.allow && grants_logon(a) && groups.contains(&a.sid.as_str()));
    let admins_allowed = dacl
        .iter()
        .any(|a| a.allow && grants_logon(a) && a.sid == "S-1-5-32-544");
    let mut problems = Vec::new();
    for d in &denied {
        problems.push(format!("a Deny entry removes logon for {}", name(&d.sid)));
    }
    if !users_allowed {
        problems.push(
            "no entry grants logon to Remote Desktop Users (or Users, Everyone, Authenticated \
             Users)"
                .to_string(),
        );
    }
    if !admins_allowed {
        problems.push("no entry grants logon to Administrators".to_string());
    }
    if problems.is_empty() {
        return Vec::new();
    }
    let aces: Vec<String> = dacl
        .iter()
        .map(|a| {
            format!(
                "{} {} 0x{:X}",
                if a.allow { "allow" } else { "deny" },
                name(&a.sid),
                a.mask
            )
        })
        .collect();
    let source = if hit.value.name.eq_ignore_ascii_case("Security") {
        "RDP-Tcp's Security value"
    } else {
        "WinStations\\DefaultSecurity (RDP-Tcp has no Security value of its own)"
    };
    vec![Finding::new(
        &CHECK,
        format!(
            "In {source}: {}. Entries: {}.",
            problems.join("; "),
            aces.join("; ")
        ),
    )
    .fact("problems", problems.join("; "))
    .evidence(support::reg_ref(&hit))]
}

/// Not evaluated without the WinStations key.
fn missing(ev: &Evidence) -> Option<String> {
    support::missing_key(
        ev,
        &format!(r"{TERMINAL_SERVER_KEY}\WinStations"),
        "registry/terminal-server.reg",
    )
}

//! RDP029: new Remote Desktop logons are switched off (drain mode or `change logon /disable`).
//!
//! `change logon /drain` (or Server Manager's "Do not allow new connections") sets
//! `TSServerDrainMode` in the Terminal Server key: 2 refuses new logons but lets users reconnect
//! to their sessions, 1 does so until the next restart. `change logon /disable` sets
//! `WinStationsDisabled` = 1 under `SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon` and
//! refuses reconnections too. Left on after maintenance, users see "Remote logins are currently
//! disabled" while everything else looks healthy.

use super::support;
use super::{Check, Finding, Severity};
use crate::evidence::{Evidence, TERMINAL_SERVER_KEY};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP029",
    name: "logons-disabled",
    severity: Severity::Error,
    title: "New Remote Desktop logons are disabled (drain mode or change logon /disable)",
    explanation: "The session host refuses new logons: TSServerDrainMode is set (drain mode) or \
                  WinStationsDisabled = 1 (change logon /disable). Users get 'Remote logins are \
                  currently disabled'.",
    remediation: "Run `change logon /enable` from an elevated prompt (or, in Server Manager > \
                  Remote Desktop Services > Collections, set the host to allow new connections). \
                  This clears TSServerDrainMode and WinStationsDisabled; no restart is needed.",
    needs: &[Kind::Registry],
    fixture: "fixtures/logons-disabled",
    requires: Some(missing),
    run,
};

pub const WINLOGON_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon";

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(h) = ev.reg_value(WINLOGON_KEY, "WinStationsDisabled") {
        if h.value.data.as_u32().is_some_and(|v| v != 0)
            || h.value.data.as_str().is_some_and(|s| s.trim() == "1")
        {
            out.push(
                Finding::new(
                    &CHECK,
                    "WinStationsDisabled = 1 (change logon /disable): every remote logon and \
                     reconnection is refused.",
                )
                .title("Remote logons are disabled (change logon /disable)")
                .fact("mode", "disabled")
                .evidence(support::reg_ref(&h)),
            );
        }
    }
    if let Some(h) = ev.reg_value(TERMINAL_SERVER_KEY, "TSServerDrainMode") {
        let mode = h.value.data.as_u32().unwrap_or(0);
        if mode != 0 {
            let what = if mode == 1 {
                "until the next restart"
            } else {
                "until it is turned off"
            };
            out.push(
                Finding::new(
                    &CHECK,
                    format!(
                        "TSServerDrainMode = {mode} (drain mode): new logons are refused {what}; \
                         users with a session can still reconnect to it."
                    ),
                )
                .title("The session host is in drain mode: new logons are refused")
                .fact(
                    "mode",
                    if mode == 1 {
                        "drain-until-restart"
                    } else {
                        "drain"
                    },
                )
                .evidence(support::reg_ref(&h)),
            );
        }
    }
    out
}

/// Not evaluated without the Terminal Server key.
fn missing(ev: &Evidence) -> Option<String> {
    support::missing_key(ev, TERMINAL_SERVER_KEY, "registry/terminal-server.reg")
}

//! RDP064: CrashOnAuditFail tripped: only administrators may log on.
//!
//! `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\CrashOnAuditFail` = 1 ("Audit: Shut down system
//! immediately if unable to log security audits", a STIG and CIS high-security setting) makes
//! Windows halt with a bug check when it cannot write a security audit, typically because the
//! Security log is full and set not to overwrite events. On the way down LSA sets the value to
//! 2. At the next boot, with 2, only members of Administrators may log on, over RDP as at the
//! console: every other user is refused until an administrator archives and clears the Security
//! log and sets the value back. Security 1104 ("The security log is now full") and 4621
//! ("Administrator recovered system from CrashOnAuditFail") tell the story in the log.
//!
//! Value 1 (armed, not tripped) is judged with the Security log's retention, read by RDP069
//! from `wevtutil gl Security` or the EventLog\Security key: a log that may not overwrite will
//! fill and trip it (warning); one that overwrites or archives cannot (information); unknown
//! retention stays information. RDP069 reports the log's own state (full, not overwriting); the
//! two findings name each other and agree.

use super::security_log_full::{self, Mode};
use super::support;
use super::{Check, Finding, Severity};
use crate::evidence::{EventSource, Evidence};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP064",
    name: "crash-on-audit-fail",
    severity: Severity::Error,
    title: "CrashOnAuditFail tripped: only administrators may log on",
    explanation: "CrashOnAuditFail = 1 halts Windows when it cannot write a security audit (a \
                  full Security log that may not overwrite). Windows then sets it to 2, and \
                  until an administrator resets it only administrators may log on, over Remote \
                  Desktop as at the console.",
    remediation: "Sign in as an administrator (console, or RDP with an administrator account), \
                  archive and clear the Security log (`wevtutil cl Security \
                  /bu:C:\\Windows\\Temp\\Security-archive.evtx`), make it large enough or let \
                  it overwrite (Event Viewer > Security > Properties, or the 'Retain security \
                  log' / 'Maximum security log size' policies), then set CrashOnAuditFail back to \
                  1 (or 0) under HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa and restart. If a \
                  GPO sets 'Audit: Shut down system immediately if unable to log security \
                  audits', size the log in that GPO too.",
    needs: &[Kind::Registry],
    fixture: "fixtures/crash-on-audit-fail",
    requires: Some(missing),
    run,
};

const LSA_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa";

fn run(ev: &Evidence) -> Vec<Finding> {
    let Some(hit) = ev.reg_value(LSA_KEY, "CrashOnAuditFail") else {
        return Vec::new();
    };
    let Some(value) = hit.value.data.as_u32() else {
        return Vec::new();
    };
    let log = security_log_full::security_log_setting(ev);
    let full: Vec<(&str, &crate::parse::evtx::Event)> = ev
        .events_with_ids(&[1104, 4621])
        .into_iter()
        .filter(|(_, e)| {
            e.channel.eq_ignore_ascii_case("Security")
                || crate::evidence::event_source(e) == EventSource::Security
        })
        .collect();
    let story = |f: Finding| {
        full.iter().rev().take(3).fold(f, |f, (a, e)| {
            f.evidence(support::event_ref(
                a,
                e,
                if e.event_id == 1104 {
                    "the security log is now full"
                } else {
                    "an administrator recovered the system from CrashOnAuditFail"
                },
            ))
        })
    };
    let f = match value {
        2 => Finding::new(
            &CHECK,
            format!(
                "CrashOnAuditFail = 2: Windows halted because it could not write a security \
                 audit{}, and since then only administrators may log on. Other users are \
                 refused over Remote Desktop and at the console alike.",
                if full.iter().any(|(_, e)| e.event_id == 1104) {
                    " (the Security log logged 1104: the log is full)"
                } else {
                    ", usually a full Security log"
                }
            ),
        )
        .fact("CrashOnAuditFail", 2),
        1 => {
            let base = "CrashOnAuditFail = 1: Windows halts if it cannot write a security audit \
                        (a full Security log set not to overwrite), and after that only \
                        administrators may log on until it is reset. Not tripped now";
            let (severity, tail) = match log.as_ref().map(|l| l.mode) {
                Some(Mode::Retain) => (
                    Severity::Warning,
                    format!(
                        "; the Security log {}, so it will trip once the log fills (RDP069).",
                        Mode::Retain.describe()
                    ),
                ),
                Some(m) => (
                    Severity::Info,
                    format!("; the Security log {}, so a full log cannot trip it.", m.describe()),
                ),
                None => (
                    Severity::Info,
                    "; make sure the Security log cannot fill.".to_string(),
                ),
            };
            let mut f = Finding::new(&CHECK, format!("{base}{tail}"))
                .title(
                    "CrashOnAuditFail is armed: a full Security log would lock out \
                     non-administrators",
                )
                .severity(severity)
                .fact("CrashOnAuditFail", 1);
            for r in log.iter().flat_map(|l| l.evidence.iter()) {
                f = f.evidence(r.clone());
            }
            f
        }
        _ => return Vec::new(),
    };
    let f = f.evidence(support::reg_ref(&hit));
    vec![story(f)]
}

/// Not evaluated without the Lsa key (where LimitBlankPasswordUse and the NTLM settings live).
fn missing(ev: &Evidence) -> Option<String> {
    support::missing_key(ev, LSA_KEY, "registry/lsa.reg")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::evidence_from_xml;

    fn lsa(value: u32) -> String {
        format!(
            "Windows Registry Editor Version 5.00\r\n\r\n[{LSA_KEY}]\r\n\"crashonauditfail\"=dword:{value:08x}\r\n\r\n"
        )
    }

    #[test]
    fn tripped_is_an_error_armed_is_information_off_is_silent() {
        let run_with = |v| run(&evidence_from_xml(&[("registry/lsa.reg", &lsa(v))]));
        let tripped = run_with(2);
        assert_eq!(tripped.len(), 1);
        assert_eq!(tripped[0].severity, Severity::Error);
        assert_eq!(tripped[0].facts["CrashOnAuditFail"], "2");
        assert_eq!(run_with(1)[0].severity, Severity::Info);
        assert!(run_with(0).is_empty());
    }

    #[test]
    fn armed_is_a_warning_when_the_log_may_not_overwrite() {
        let key = |retention: u32| {
            format!(
                "Windows Registry Editor Version 5.00\r\n\r\n[{}]\r\n\"Retention\"=dword:{retention:08x}\r\n\r\n",
                security_log_full::EVENTLOG_SECURITY_KEY
            )
        };
        let run_with = |retention| {
            run(&evidence_from_xml(&[
                ("registry/lsa.reg", &lsa(1)),
                ("registry/eventlog-security.reg", &key(retention)),
            ]))
        };
        let retain = run_with(0xffff_ffff);
        assert_eq!(retain[0].severity, Severity::Warning);
        assert!(retain[0].message.contains("RDP069"));
        let overwrite = run_with(0);
        assert_eq!(overwrite[0].severity, Severity::Info);
        assert!(overwrite[0].message.contains("cannot trip"));
    }

    #[test]
    fn evidence_points_at_the_value() {
        let out = run(&evidence_from_xml(&[("registry/lsa.reg", &lsa(2))]));
        let r: &crate::checks::EvidenceRef = &out[0].evidence[0];
        assert_eq!(r.artifact, "registry/lsa.reg");
        assert_eq!(r.line, Some(4));
    }
}

//! RDP069: the Security log is full and may not overwrite events.
//!
//! The Security log has a maximum size and a retention mode: overwrite the oldest events
//! (the default), archive the full file and start a new one ("AutoBackup"), or keep every
//! event and take no more once full ("do not overwrite", often set by audit baselines so that
//! nothing is lost). In that last mode a full log makes the Eventlog service write Security
//! 1104 ("The security log is now full") and auditing stops. With `Lsa\CrashOnAuditFail` = 1
//! Windows then halts, LSA sets the value to 2, and after the reboot only administrators may
//! log on, over RDP as at the console (RDP064 reports that value; the two findings tell one
//! story). Without CrashOnAuditFail logons keep working but are no longer audited.
//!
//! Evidence: `wevtutil gl Security` (`retention`, `autoBackup`, `maxSize`: the effective
//! configuration, Group Policy included), else the values of
//! `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Security` (`Retention` 0 = overwrite,
//! 0xFFFFFFFF = do not overwrite, another number = overwrite only events older than that many
//! seconds; `AutoBackupLogFiles` 1 = archive; `MaxSize` in bytes); Security 1104 and what the
//! log holds after it (a later event, 1102 "log cleared" or 4621 "recovered from
//! CrashOnAuditFail", shows the log takes events again); `Lsa\CrashOnAuditFail`.
//!
//! Severity: the log full now (1104 and nothing after it) is an error with CrashOnAuditFail 1
//! or 2 (only administrators can log on) and a warning without (auditing stopped). A log that
//! filled before and still may not overwrite is a warning; one set not to overwrite that never
//! filled is information (a warning with CrashOnAuditFail = 1: it will halt Windows). Not
//! evaluated when the bundle has neither the log's configuration nor a 1104.
//!
//! # Known gaps
//! The policy copy under `HKLM\SOFTWARE\Policies\Microsoft\Windows\EventLog\Security` is not
//! collected; `wevtutil gl` shows its effect.

use super::{support, Check, EvidenceRef, Finding, Severity};
use crate::evidence::{EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP069",
    name: "security-log-full",
    severity: Severity::Warning,
    title: "Security log full and set not to overwrite: auditing stopped",
    explanation: "When the Security log may not overwrite events and reaches its maximum size, \
                  Windows logs 1104 and stops auditing. With CrashOnAuditFail set it halts \
                  instead and afterwards lets only administrators log on, over Remote Desktop \
                  as at the console.",
    remediation: "Archive and clear the Security log (`wevtutil cl Security \
                  /bu:C:\\Windows\\Temp\\Security-archive.evtx`), then make it large enough or let \
                  it overwrite or archive when full (`wevtutil sl Security /rt:false`, or \
                  `/rt:true /ab:true` to archive; or the 'Retention method for security log' \
                  and 'Maximum security log size' policies). If CrashOnAuditFail is set, see \
                  RDP064.",
    needs: &[Kind::Registry, Kind::EventLogConfig, Kind::Evtx],
    fixture: "fixtures/security-log-full",
    requires: Some(missing),
    run,
};

pub(crate) const EVENTLOG_SECURITY_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\EventLog\Security";
const LSA_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa";

/// What happens when the Security log is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The oldest events are overwritten: the log never blocks.
    Overwrite,
    /// The full log is archived and a new one started.
    Archive,
    /// Events are kept; once full the log takes no more (or only after they age, for the
    /// legacy "overwrite events older than N days").
    Retain,
}

impl Mode {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Mode::Overwrite => "overwrites the oldest events when full",
            Mode::Archive => "is archived and restarted when full",
            Mode::Retain => "does not overwrite events (it stops taking events when full)",
        }
    }
}

/// The Security log's configuration, from `wevtutil gl Security` or the registry.
pub(crate) struct LogSetting {
    pub mode: Mode,
    pub max_size: Option<u64>,
    pub evidence: Vec<EvidenceRef>,
}

/// The Security log's retention mode and size: `wevtutil gl Security` first (effective, policy
/// included), else the EventLog\Security key.
pub(crate) fn security_log_setting(ev: &Evidence) -> Option<LogSetting> {
    let from_wevtutil = ev.log_configs.iter().find(|l| {
        l.value
            .name
            .as_ref()
            .is_none_or(|n| n.value.eq_ignore_ascii_case("Security"))
    });
    if let Some(l) = from_wevtutil {
        let c = &l.value;
        if let Some(r) = &c.retention {
            let backup = c.auto_backup.as_ref().is_some_and(|b| b.value);
            let mode = match (r.value, backup) {
                (false, _) => Mode::Overwrite,
                (true, true) => Mode::Archive,
                (true, false) => Mode::Retain,
            };
            let mut evidence = vec![EvidenceRef::line(
                &l.artifact,
                r.line,
                format!("retention: {}", r.value),
            )];
            if let Some(b) = &c.auto_backup {
                evidence.push(EvidenceRef::line(
                    &l.artifact,
                    b.line,
                    format!("autoBackup: {}", b.value),
                ));
            }
            if let Some(m) = &c.max_size {
                evidence.push(EvidenceRef::line(
                    &l.artifact,
                    m.line,
                    format!("maxSize: {}", m.value),
                ));
            }
            return Some(LogSetting {
                mode,
                max_size: c.max_size.as_ref().map(|m| m.value),
                evidence,
            });
        }
    }
    let retention = ev.reg_value(EVENTLOG_SECURITY_KEY, "Retention");
    let backup = ev.reg_value(EVENTLOG_SECURITY_KEY, "AutoBackupLogFiles");
    let size = ev.reg_value(EVENTLOG_SECURITY_KEY, "MaxSize");
    let r = retention.and_then(|h| h.value.data.as_u32());
    let b = backup.and_then(|h| h.value.data.as_u32()).unwrap_or(0);
    // Without a Retention value Windows overwrites (the default).
    let mode = match r {
        None | Some(0) => Mode::Overwrite,
        Some(_) if b != 0 => Mode::Archive,
        Some(_) => Mode::Retain,
    };
    if retention.is_none() && backup.is_none() && size.is_none() {
        return None;
    }
    Some(LogSetting {
        mode,
        max_size: size.and_then(|h| h.value.data.as_u32()).map(u64::from),
        evidence: [retention, backup, size]
            .into_iter()
            .flatten()
            .map(|h| support::reg_ref(&h))
            .collect(),
    })
}

/// Whether `e` was written to the Security log.
fn in_security_log(e: &Event) -> bool {
    e.channel.eq_ignore_ascii_case("Security")
        || crate::evidence::event_source(e) == EventSource::Security
}

/// The Security log's latest 1104, and whether a later Security event shows it took events
/// again (cleared, recovered, or room made).
pub(crate) fn log_full(ev: &Evidence) -> Option<(&str, &Event, bool)> {
    let security = || {
        ev.event_logs()
            .flat_map(|(a, l)| l.events.iter().map(move |e| (a, e)))
            .filter(|(_, e)| in_security_log(e))
    };
    let (artifact, last_full) = security()
        .filter(|(_, e)| e.event_id == 1104)
        .max_by(|a, b| a.1.time.cmp(&b.1.time))?;
    let later = security().any(|(_, e)| e.event_id != 1104 && e.time > last_full.time);
    Some((artifact, last_full, later))
}

fn size_text(max: Option<u64>) -> String {
    max.map(|b| format!(" (maximum size {} MB)", b / (1024 * 1024)))
        .unwrap_or_default()
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let setting = security_log_setting(ev);
    let crash = ev
        .reg_value(LSA_KEY, "CrashOnAuditFail")
        .and_then(|h| h.value.data.as_u32().map(|v| (v, h)));
    let crash_value = crash.as_ref().map(|(v, _)| *v).unwrap_or(0);
    let full = log_full(ev);
    let mode = setting.as_ref().map(|s| s.mode);
    let size = size_text(setting.as_ref().and_then(|s| s.max_size));
    let mode_text = setting
        .as_ref()
        .map(|s| format!("The Security log {}{size}", s.mode.describe()))
        .unwrap_or_else(|| "The Security log's retention is not in the bundle".to_string());

    let mut f = match (&full, mode) {
        (Some((_, e, false)), _) => {
            let base = format!(
                "The Security log logged 1104 (\"the security log is now full\") at {} and \
                 nothing after it: it takes no more events. {mode_text}.",
                e.time
            );
            if matches!(crash_value, 1 | 2) {
                Finding::new(
                    &CHECK,
                    format!(
                        "{base} With CrashOnAuditFail = {crash_value} Windows halts when it \
                         cannot audit, and after that only administrators may log on, over \
                         Remote Desktop as at the console (RDP064)."
                    ),
                )
                .severity(Severity::Error)
                .title("Security log full with CrashOnAuditFail: only administrators can log on")
            } else {
                Finding::new(
                    &CHECK,
                    format!(
                        "{base} Auditing has stopped: logons still work but are no longer \
                         recorded (CrashOnAuditFail is not set, so Windows does not halt)."
                    ),
                )
            }
        }
        (Some((_, e, true)), Some(Mode::Retain)) => Finding::new(
            &CHECK,
            format!(
                "The Security log filled up at {} (1104) and took events again later, but it \
                 still does not overwrite{size}: it will fill again.{}",
                e.time,
                match crash_value {
                    1 => " With CrashOnAuditFail = 1 Windows will then halt and let only \
                          administrators log on.",
                    2 => " CrashOnAuditFail = 2: Windows already halted once, and only \
                          administrators may log on until it is reset (RDP064).",
                    _ => "",
                }
            ),
        )
        .title("The Security log filled before and still does not overwrite"),
        (Some((_, e, true)), _) => Finding::new(
            &CHECK,
            format!(
                "The Security log was full at {} (1104) and took events again later. {mode_text}.",
                e.time
            ),
        )
        .severity(Severity::Info)
        .title("The Security log was full earlier"),
        (None, Some(Mode::Retain)) if crash_value == 1 => Finding::new(
            &CHECK,
            format!(
                "{mode_text}, and CrashOnAuditFail = 1: when it fills, Windows halts and then \
                 lets only administrators log on (RDP064)."
            ),
        )
        .title("Security log set not to overwrite with CrashOnAuditFail armed"),
        (None, Some(Mode::Retain)) => Finding::new(
            &CHECK,
            format!("{mode_text}: when it fills, auditing stops until it is cleared."),
        )
        .severity(Severity::Info)
        .title("Security log set not to overwrite events"),
        (None, _) => return Vec::new(),
    };
    f = f
        .fact("retention", mode.map(|m| format!("{m:?}").to_lowercase()).unwrap_or_else(|| "unknown".into()))
        .fact("CrashOnAuditFail", crash_value)
        .fact("full", full.as_ref().is_some_and(|(_, _, later)| !later));
    if let Some(s) = &setting {
        for r in &s.evidence {
            f = f.evidence(r.clone());
        }
        if let Some(m) = s.max_size {
            f = f.fact("max_size", m);
        }
    }
    if let Some((artifact, e, _)) = &full {
        f = f
            .fact("full_at", &e.time)
            .evidence(support::event_ref(artifact, e, "the security log is now full"));
    }
    if let Some((_, h)) = &crash {
        f = f.evidence(support::reg_ref(h));
    }
    vec![f]
}

/// Not evaluated without the log's configuration and without a 1104.
fn missing(ev: &Evidence) -> Option<String> {
    if security_log_setting(ev).is_some() || log_full(ev).is_some() {
        return None;
    }
    Some(format!(
        "no Security log configuration in the input ({}; {}) and no Security 1104",
        support::missing_because(
            ev,
            rdp_bundle::paths::WEVTUTIL_GL_SECURITY,
            "wevtutil gl Security output"
        ),
        support::missing_because(
            ev,
            rdp_bundle::paths::REG_EVENTLOG_SECURITY,
            "export of EventLog\\Security"
        )
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_from_xml, security_event};

    const GL: &str = "name: Security\r\nenabled: true\r\ntype: Admin\r\nowningPublisher: \r\nisolation: Custom\r\nchannelAccess: O:BAG:SYD:(A;;0xf0005;;;SY)(A;;0x5;;;BA)(A;;0x1;;;S-1-5-32-573)\r\nlogging:\r\n  logFileName: %SystemRoot%\\System32\\Winevt\\Logs\\Security.evtx\r\n  retention: true\r\n  autoBackup: false\r\n  maxSize: 20971520\r\npublishing:\r\n  fileMax: 1\r\n\r\n";

    fn lsa(value: u32) -> String {
        format!(
            "Windows Registry Editor Version 5.00\r\n\r\n[{LSA_KEY}]\r\n\"CrashOnAuditFail\"=dword:{value:08x}\r\n\r\n"
        )
    }
    fn eventlog_key(retention: u32, backup: u32) -> String {
        format!(
            "Windows Registry Editor Version 5.00\r\n\r\n[{EVENTLOG_SECURITY_KEY}]\r\n\"MaxSize\"=dword:01400000\r\n\"Retention\"=dword:{retention:08x}\r\n\"AutoBackupLogFiles\"=dword:{backup:08x}\r\n\r\n"
        )
    }
    fn e1104(time: &str) -> String {
        event("Microsoft-Windows-Eventlog", "Security", 1104, 90, time, &[])
    }

    #[test]
    fn full_log_is_a_warning_and_an_error_with_crash_on_audit_fail() {
        let logon = security_event(4624, 80, "2026-03-01T08:00:00.0000000Z", &[("LogonType", "10")]);
        let sec = [logon, e1104("2026-03-01T09:00:00.0000000Z")].join("\r\n");
        let files = [("Security.xml", sec.as_str()), ("commands/wevtutil-gl-security.txt", GL)];
        let out = run(&evidence_from_xml(&files));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].facts["full"], "true");
        assert_eq!(out[0].facts["retention"], "retain");
        let crash = lsa(2);
        let with_crash = [files[0], files[1], ("registry/lsa.reg", crash.as_str())];
        let out = run(&evidence_from_xml(&with_crash));
        assert_eq!(out[0].severity, Severity::Error);
        assert!(out[0].message.contains("only administrators"));
    }

    #[test]
    fn later_events_mean_the_log_took_events_again() {
        let later = security_event(4624, 95, "2026-03-01T10:00:00.0000000Z", &[("LogonType", "10")]);
        let sec = [e1104("2026-03-01T09:00:00.0000000Z"), later].join("\r\n");
        let reg = eventlog_key(0xffff_ffff, 0);
        let out = run(&evidence_from_xml(&[
            ("Security.xml", &sec),
            ("registry/eventlog-security.reg", &reg),
        ]));
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].facts["full"], "false");
        assert!(out[0].title.contains("filled before"));
        // Overwriting now: information only.
        let reg = eventlog_key(0, 0);
        let out = run(&evidence_from_xml(&[
            ("Security.xml", &sec),
            ("registry/eventlog-security.reg", &reg),
        ]));
        assert_eq!(out[0].severity, Severity::Info);
    }

    #[test]
    fn configuration_alone() {
        let overwrite = eventlog_key(0, 0);
        assert!(run(&evidence_from_xml(&[("registry/eventlog-security.reg", &overwrite)])).is_empty());
        let archive = eventlog_key(0xffff_ffff, 1);
        assert!(run(&evidence_from_xml(&[("registry/eventlog-security.reg", &archive)])).is_empty());
        let retain = eventlog_key(0xffff_ffff, 0);
        let out = run(&evidence_from_xml(&[("registry/eventlog-security.reg", &retain)]));
        assert_eq!(out[0].severity, Severity::Info);
        assert_eq!(out[0].facts["max_size"], "20971520");
        let crash = lsa(1);
        let out = run(&evidence_from_xml(&[
            ("registry/eventlog-security.reg", &retain),
            ("registry/lsa.reg", &crash),
        ]));
        assert_eq!(out[0].severity, Severity::Warning);
    }

    #[test]
    fn nothing_to_read_is_not_evaluated() {
        let logon = security_event(4624, 80, "2026-03-01T08:00:00.0000000Z", &[("LogonType", "10")]);
        let ev = evidence_from_xml(&[("Security.xml", &logon)]);
        assert!(missing(&ev).is_some());
        let ev = evidence_from_xml(&[("commands/wevtutil-gl-security.txt", GL)]);
        assert!(missing(&ev).is_none());
    }
}

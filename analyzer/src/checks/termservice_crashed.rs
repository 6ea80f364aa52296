//! RDP071: Remote Desktop Services (TermService) terminated unexpectedly.
//!
//! TermService runs in a shared svchost (`netsvcs` or its own `termsvcs` group); when the
//! process dies (a fault in termsrv.dll or rdpcorets.dll, or svchost killed), the Service
//! Control Manager logs 7034 ("terminated unexpectedly, N time(s)") or, when a recovery
//! action is configured, 7031 (the same, and which action it takes next). While it is down
//! every RDP connection fails. The service is named by display name in `param1` (localized)
//! and by key name in the UTF-16 `Binary` (`TermService`, or `TermService/4` in 7036); the
//! key name is used when present. A later 7036 "entered the running state" means it came
//! back: that is a past crash (warning), not a present outage.
//!
//! The Application log says what faulted: Windows Error Reporting writes Application Error
//! 1000 for a crash and Application Hang 1002 for a hang. The faulting application of
//! TermService's own svchost is named `svchost.exe_TermService` (services in their own host
//! since Windows 10 1703); in a shared svchost the faulting module tells (`termsrv.dll`,
//! `rdpcorets.dll`, `rdpbase.dll`). Windows 11 and current Windows 10 builds name the values
//! (`AppName`, `ModuleName`, `ExceptionCode`, as in Application Error events pasted in public
//! GitHub issues); older builds write them unnamed, in the same order (`Data1` application,
//! `Data4` module, `Data7` exception code). Those faults are added to the finding; faults with
//! no SCM event (the System log not collected) are a finding of their own (warning).

use super::{support, Check, EvidenceRef, Finding, Severity};
use crate::evidence::{summarize_event, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP071",
    name: "termservice-crashed",
    severity: Severity::Error,
    title: "Remote Desktop Services crashed (terminated unexpectedly)",
    explanation: "The System log has Service Control Manager event 7031 or 7034 for \
                  TermService: the process hosting Remote Desktop Services died. While it is \
                  down no RDP connection is accepted; repeated crashes make connections fail \
                  intermittently.",
    remediation: "Look in the Application log for event 1000 (faulting module termsrv.dll, \
                  rdpcorets.dll or a third-party DLL loaded into the svchost) at the crash \
                  time; install the latest cumulative update, remove third-party RDP add-ons \
                  (see RDP030), and set TermService recovery to restart the service \
                  (sc failure TermService reset= 86400 actions= restart/60000).",
    needs: &[Kind::Evtx],
    fixture: "fixtures/termservice-crashed",
    requires: None,
    run,
};

/// The service key name from an SCM event's `Binary` (UTF-16LE hex, `TermService/4`).
fn key_name(e: &Event) -> Option<String> {
    let bytes = hex::decode(e.get("Binary")?.trim()).ok()?;
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| match c {
            [lo, hi] => u16::from_le_bytes([*lo, *hi]),
            _ => 0,
        })
        .take_while(|u| *u != 0)
        .collect();
    let s = String::from_utf16_lossy(&units);
    let name = s.split('/').next().unwrap_or("").trim().to_string();
    (!name.is_empty()).then_some(name)
}

/// Whether `e` is about TermService itself (not UmRdpService, whose display name starts the same).
fn is_termservice(e: &Event) -> bool {
    match key_name(e) {
        Some(k) => k.eq_ignore_ascii_case("TermService"),
        None => e.get("param1").is_some_and(|n| {
            let n = n.trim();
            n.eq_ignore_ascii_case("Remote Desktop Services")
                || n.eq_ignore_ascii_case("Remotedesktopdienste")
        }),
    }
}

/// Modules whose fault in a svchost is a Remote Desktop Services fault.
const RDS_MODULES: &[&str] = &["termsrv.dll", "rdpcorets.dll", "rdpbase.dll"];

/// The file name of a module or image value (`C:\Windows\System32\termsrv.dll` → `termsrv.dll`).
fn file_name(v: &str) -> &str {
    let v = v.trim();
    v.rsplit(['\\', '/']).next().unwrap_or(v)
}

/// An Application Error 1000 / Application Hang 1002 of the TermService host: its faulting
/// application and module.
struct Fault<'a> {
    artifact: &'a str,
    event: &'a Event,
    app: &'a str,
    module: Option<&'a str>,
}

fn faults(ev: &Evidence) -> Vec<Fault<'_>> {
    let mut out = Vec::new();
    for (artifact, e) in ev.events_with_ids(&[1000, 1002]) {
        let provider = if e.event_id == 1000 {
            "Application Error"
        } else {
            "Application Hang"
        };
        if !e.provider.eq_ignore_ascii_case(provider) {
            continue;
        }
        let Some(app) = e.get("AppName").or_else(|| e.get("Data1")).map(file_name) else {
            continue;
        };
        let module = if e.event_id == 1000 {
            e.get("ModuleName").or_else(|| e.get("Data4")).map(file_name)
        } else {
            None
        };
        let lower = app.to_ascii_lowercase();
        let own_host = lower.starts_with("svchost.exe_termservice");
        let rds_module = lower.starts_with("svchost.exe")
            && module.is_some_and(|m| RDS_MODULES.iter().any(|r| m.eq_ignore_ascii_case(r)));
        if own_host || rds_module {
            out.push(Fault {
                artifact,
                event: e,
                app,
                module,
            });
        }
    }
    out
}

fn describe_fault(f: &Fault) -> String {
    match (f.event.event_id, f.module) {
        (1002, _) => format!("{} stopped responding (Application Hang 1002)", f.app),
        (_, Some(m)) => format!(
            "{} faulted in {m}{} (Application Error 1000)",
            f.app,
            f.event
                .get("ExceptionCode")
                .or_else(|| f.event.get("Data7"))
                .map(|c| format!(", exception {}", c.trim()))
                .unwrap_or_default()
        ),
        _ => format!("{} faulted (Application Error 1000)", f.app),
    }
}

/// Adds the Application log's faults to `f`: a sentence, facts, the newest three as evidence.
fn with_faults(mut f: Finding, faults: &[Fault]) -> Finding {
    let Some(last) = faults.last() else {
        return f;
    };
    f.message.push_str(&format!(
        " The Application log has {} fault(s) of the Remote Desktop Services host, the last at \
         {}: {}.",
        faults.len(),
        last.event.time,
        describe_fault(last)
    ));
    f = f
        .fact("faults", faults.len())
        .fact("faulting_application", last.app);
    if let Some(m) = last.module {
        f = f.fact("faulting_module", m);
    }
    for x in faults.iter().rev().take(3) {
        f = f.evidence(support::event_ref(x.artifact, x.event, &describe_fault(x)));
    }
    f
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let faults = faults(ev);
    let events: Vec<(&str, &Event)> = ev
        .events_from(EventSource::ServiceControlManager, &[7031, 7034, 7036])
        .into_iter()
        .filter(|(_, e)| is_termservice(e))
        .collect();
    let crashes: Vec<&(&str, &Event)> = events
        .iter()
        .filter(|(_, e)| e.event_id != 7036)
        .collect();
    let Some(&&(artifact, last)) = crashes.last() else {
        if faults.is_empty() {
            return Vec::new();
        }
        let f = Finding::new(
            &CHECK,
            "No Service Control Manager event shows Remote Desktop Services terminating (is \
             the System log in the bundle?), but its host process faulted.",
        )
        .severity(Severity::Warning)
        .title("Remote Desktop Services' host process faulted (Application log)");
        return vec![with_faults(f, &faults)];
    };
    let recovered = events.iter().any(|(_, e)| {
        e.event_id == 7036
            && e.time > last.time
            && e.get("param2")
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("running"))
    });
    let mut message = format!(
        "Remote Desktop Services terminated unexpectedly {} time(s) in the System log, last at {}.",
        crashes.len(),
        last.time
    );
    let mut f = Finding::new(&CHECK, String::new());
    if recovered {
        message.push_str(
            " It entered the running state again afterwards (7036): it crashed and recovered; \
             connections failed while it was down.",
        );
        f = f
            .severity(Severity::Warning)
            .title("Remote Desktop Services crashed and was restarted");
    } else {
        message.push_str(" No later 7036 shows it running again.");
    }
    f = f
        .fact("count", crashes.len())
        .fact("last", &last.time)
        .fact("recovered", recovered)
        .evidence(EvidenceRef::record(
            artifact,
            last.record_id,
            summarize_event(last),
        ));
    f.message = message;
    vec![with_faults(f, &faults)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_from_xml};

    const SCM: &str = "Service Control Manager";
    // "TermService" and "TermService/4" as UTF-16LE hex, as Windows writes them.
    const TS: &str = "5400650072006D0053006500720076006900630065000000";
    const TS4: &str = "5400650072006D0053006500720076006900630065002F0034000000";
    const UMRDP: &str = "55006D0052006400700053006500720076006900630065000000";

    fn crash(id: u32, rid: u64, time: &str, name: &str, bin: &str) -> String {
        event(
            SCM,
            "System",
            id,
            rid,
            time,
            &[("param1", name), ("param2", "1"), ("Binary", bin)],
        )
    }

    #[test]
    fn crash_is_error_until_running_again() {
        let c = crash(
            7034,
            5,
            "2026-03-01T09:00:00.0000000Z",
            "Remote Desktop Services",
            TS,
        );
        let out = run(&evidence_from_xml(&[("System.xml", &c)]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Error);
        let up = event(
            SCM,
            "System",
            7036,
            6,
            "2026-03-01T09:01:00.0000000Z",
            &[
                ("param1", "Remote Desktop Services"),
                ("param2", "running"),
                ("Binary", TS4),
            ],
        );
        let both = [c.clone(), up.clone()].join("\r\n");
        let out = run(&evidence_from_xml(&[("System.xml", &both)]));
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].facts["recovered"], "true");
        // Running before the crash is not a recovery.
        let up_before = up.replace("09:01:00", "08:00:00");
        let both = [up_before, c].join("\r\n");
        let out = run(&evidence_from_xml(&[("System.xml", &both)]));
        assert_eq!(out[0].severity, Severity::Error);
    }

    /// Application Error 1000 with named values (Windows 11, current Windows 10).
    fn app_error(rid: u64, time: &str, app: &str, module: &str) -> String {
        event(
            "Application Error",
            "Application",
            1000,
            rid,
            time,
            &[
                ("AppName", app),
                ("AppVersion", "10.0.26100.2314"),
                ("AppTimeStamp", "8b1c2f0a"),
                ("ModuleName", module),
                ("ModuleVersion", "10.0.26100.2314"),
                ("ModuleTimeStamp", "5e0a1b2c"),
                ("ExceptionCode", "c0000005"),
                ("FaultingOffset", "000000000004a1f2"),
            ],
        )
    }

    #[test]
    fn application_faults_name_the_module() {
        let c = crash(
            7031,
            5,
            "2026-03-01T09:00:02.0000000Z",
            "Remote Desktop Services",
            TS,
        );
        let fault = app_error(
            40,
            "2026-03-01T09:00:01.0000000Z",
            "svchost.exe_TermService",
            "rdpcorets.dll",
        );
        let out = run(&evidence_from_xml(&[
            ("System.xml", &c),
            ("Application.xml", &fault),
        ]));
        assert_eq!(out[0].facts["faulting_module"], "rdpcorets.dll");
        assert!(out[0].message.contains("exception c0000005"));
        // Unnamed values (older builds), a shared svchost: the module decides.
        let old = event(
            "Application Error",
            "Application",
            1000,
            41,
            "2026-03-01T09:00:01.0000000Z",
            &[
                ("Data1", "svchost.exe"),
                ("Data2", "10.0.17763.1"),
                ("Data3", "0"),
                ("Data4", "termsrv.dll"),
            ],
        );
        let out = run(&evidence_from_xml(&[("Application.xml", &old)]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].facts["faulting_module"], "termsrv.dll");
        // The client's rdpbase.dll in mstsc, or another svchost's module, is not TermService.
        let client = app_error(42, "2026-03-01T09:00:01.0000000Z", "mstsc.exe", "rdpbase.dll");
        let other = app_error(43, "2026-03-01T09:00:01.0000000Z", "svchost.exe", "ntdll.dll");
        let both = [client, other].join("\r\n");
        assert!(run(&evidence_from_xml(&[("Application.xml", &both)])).is_empty());
    }

    #[test]
    fn other_services_are_ignored() {
        // UmRdpService's display name starts with TermService's; the key name decides.
        let c = crash(
            7031,
            5,
            "2026-03-01T09:00:00.0000000Z",
            "Remote Desktop Services UserMode Port Redirector",
            UMRDP,
        );
        assert!(run(&evidence_from_xml(&[("System.xml", &c)])).is_empty());
        let no_binary = event(
            SCM,
            "System",
            7034,
            5,
            "2026-03-01T09:00:00.0000000Z",
            &[("param1", "Remote Desktop Services UserMode Port Redirector")],
        );
        assert!(run(&evidence_from_xml(&[("System.xml", &no_binary)])).is_empty());
    }
}

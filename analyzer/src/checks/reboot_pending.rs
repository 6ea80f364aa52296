//! RDP063: a reboot is pending, or an update installed just before RDP started failing.
//!
//! *What it detects.* Windows servicing replaces system files that are in use (termsrv.dll,
//! rdpcorets.dll...) only at the next restart. Until then the machine runs a mix of old and
//! new binaries, and Remote Desktop can fail in ways that vanish after a reboot. Three places
//! say a restart is owed: the key `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component
//! Based Servicing\RebootPending` exists (component servicing), the key
//! `...\WindowsUpdate\Auto Update\RebootRequired` exists (Windows Update), and
//! `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager` holds `PendingFileRenameOperations`
//! (REG_MULTI_SZ pairs of source and target, `\??\` paths, an empty target meaning "delete",
//! a `!` before the target meaning "replace"), which the session manager carries out at boot.
//!
//! *Evidence read.* The exports of those two keys (the collector records a key that does not
//! exist as `not_found`: that reads "not pending"; any other failure reads "cannot tell") and
//! the Session Manager values; System events Microsoft-Windows-WindowsUpdateClient 19 (update
//! installed, `updateTitle`) and 20 (installation failed, `errorCode`), User32 1074 (who
//! restarted the machine and why: `param1` process, `param3` reason, `param5` type, `param7`
//! user), verified on the real System logs `dfirmuseum__StolenSzechuan-Win2012R2-System` and
//! `evtx-crate__2-vss_7-System` (../shared/samples); event 20's field names are written from
//! the WindowsUpdateClient manifest (no public sample found). The RDP failures compared with
//! the installation time: Security 4625 RDP logon failures other than a wrong password or an
//! unknown user (0xC000006A, 0xC0000064, 0xC000006D, locked out 0xC0000234: an update does not
//! cause those, and internet password guessing would be blamed on the update), the RDP
//! certificate failures 1057/1058, and Service Control Manager 7023/7024/7031/7034 for the RDP
//! services.
//!
//! *Severity.* Warning when a reboot is pending (naming which key says so, and the pending
//! renames of termsrv.dll or rdp*.dll); error when, besides, RDP failures began after an update
//! installed (the first failure within [`AFTER_UPDATE_DAYS`] days of the installation, none
//! before it in the logs, which reach back before it). Info when failures began after an update
//! and no reboot is known to be pending.
//!
//! *Known gaps.* termsrv.dll's file version is not compared with the OS build. Other pending
//! markers (`Updates\UpdateExeVolatile`, a pending computer rename, SCCM's client SDK) are not
//! collected.
//!
//! *Fixture.* `fixtures/reboot-pending`.

use super::support::{self, event_ref, reg_ref};
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{
    event_millis, event_source, failure_code, is_rdp_failure, EventSource, Evidence,
};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;
use rdp_bundle::{paths, Status};

pub static CHECK: Check = Check {
    id: "RDP063",
    name: "reboot-pending",
    severity: Severity::Warning,
    title: "A reboot is pending (updates not finished)",
    explanation: "Windows is waiting for a restart to finish installing updates: in-use \
                  system files, possibly the Remote Desktop binaries themselves, are replaced \
                  only at boot. Until then old and new components are mixed, and RDP failures \
                  that began with the update often disappear after the restart.",
    remediation: "Restart the machine in a maintenance window (shutdown /r /t 0) and let the \
                  update finish, then test RDP again. If RDP still fails after the restart, \
                  look up the update named here (its known issues page) and uninstall it \
                  (wusa /uninstall /kb:NNNNNNN) while a fix is pending.",
    needs: &[
        Kind::Registry,
        Kind::RegistryHive,
        Kind::Evtx,
        Kind::EventXml,
    ],
    fixture: "fixtures/reboot-pending",
    requires: Some(missing),
    run,
};

pub const CBS_KEY: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
pub const WU_KEY: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
pub const SESSION_MANAGER_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Session Manager";
const RENAME_VALUES: &[&str] = &["PendingFileRenameOperations", "PendingFileRenameOperations2"];
const WU_PROVIDER: &str = "Microsoft-Windows-WindowsUpdateClient";

/// Failures this many days after an installation count as "began after the update".
pub const AFTER_UPDATE_DAYS: i64 = 7;

/// What one marker says.
enum Marker {
    Pending(EvidenceRef),
    NotPending,
    /// Cannot tell, and why.
    Unknown(String),
}

/// A marker key whose existence is the fact.
fn key_marker(ev: &Evidence, key: &str, artifact: &str) -> Marker {
    if let Some((a, k)) = ev.reg_key(key) {
        return Marker::Pending(EvidenceRef::line(a, k.line, format!("[{}] exists", k.path)));
    }
    if support::key_absent_on_machine(ev, artifact) {
        return Marker::NotPending;
    }
    if let Some(why) = ev.hive_cannot_tell(key) {
        return Marker::Unknown(why);
    }
    match ev.record(artifact) {
        Some(r) if r.status == Status::Ok => Marker::NotPending,
        Some(_) => Marker::Unknown(support::missing_because(ev, artifact, key)),
        None if ev.reg_covers(key) => Marker::NotPending,
        None => Marker::Unknown(support::missing_because(ev, artifact, key)),
    }
}

/// One pending rename: the source and the target (`None` = delete).
struct Rename {
    source: String,
    target: Option<String>,
}

/// The `\??\` prefix and the replace flag `!` taken off.
fn clean(path: &str) -> String {
    let p = path.trim().trim_start_matches('!');
    p.strip_prefix(r"\??\").unwrap_or(p).to_string()
}

/// Source/target pairs of a `PendingFileRenameOperations` list.
fn renames(list: &[String]) -> Vec<Rename> {
    list.chunks(2)
        .filter_map(|pair| {
            let source = pair.first()?.trim();
            if source.is_empty() {
                return None;
            }
            let target = pair.get(1).map(|t| t.trim()).filter(|t| !t.is_empty());
            Some(Rename {
                source: clean(source),
                target: target.map(clean),
            })
        })
        .collect()
}

/// Whether a path names a Remote Desktop binary: termsrv.dll or rdp*.dll.
fn is_rdp_binary(path: &str) -> bool {
    let name = path
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    name == "termsrv.dll" || (name.starts_with("rdp") && name.ends_with(".dll"))
}

/// An RDP failure event: what the time comparison counts.
fn is_failure(e: &Event) -> bool {
    match (event_source(e), e.event_id) {
        // A wrong password or an unknown user is not something an update breaks.
        (EventSource::Security, 4625) => {
            is_rdp_failure(e)
                && !matches!(
                    failure_code(e),
                    Some(0xC000_006A | 0xC000_0064 | 0xC000_006D | 0xC000_0234) | None
                )
        }
        (EventSource::RemoteConnectionManager, 1057 | 1058) => true,
        (EventSource::ServiceControlManager, 7023 | 7024 | 7031 | 7034) => {
            e.get("param1").is_some_and(|n| {
                let n = n.to_ascii_lowercase();
                n.contains("remote desktop")
                    || n.contains("remotedesktop")
                    || n.contains("termservice")
            })
        }
        _ => false,
    }
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut pending: Vec<(&str, EvidenceRef)> = Vec::new();
    let mut unknown = Vec::new();
    for (what, key, artifact) in [
        (
            "Component Based Servicing\\RebootPending",
            CBS_KEY,
            paths::REG_CBS_REBOOT_PENDING,
        ),
        (
            "WindowsUpdate\\Auto Update\\RebootRequired",
            WU_KEY,
            paths::REG_WU_REBOOT_REQUIRED,
        ),
    ] {
        match key_marker(ev, key, artifact) {
            Marker::Pending(r) => pending.push((what, r)),
            Marker::NotPending => {}
            Marker::Unknown(why) => unknown.push(why),
        }
    }
    let mut all_renames = Vec::new();
    for name in RENAME_VALUES {
        let Some(hit) = ev.reg_value(SESSION_MANAGER_KEY, name) else {
            continue;
        };
        let list = renames(hit.value.data.as_multi_all().unwrap_or_default());
        if list.is_empty() {
            continue;
        }
        pending.push(("Session Manager\\PendingFileRenameOperations", reg_ref(&hit)));
        all_renames.extend(list);
    }
    let rdp_renames: Vec<String> = all_renames
        .iter()
        .filter(|r| is_rdp_binary(&r.source) || r.target.as_deref().is_some_and(is_rdp_binary))
        .map(|r| match &r.target {
            Some(t) => format!("{} → {t}", r.source),
            None => format!("{} (delete)", r.source),
        })
        .collect();

    // Updates and failures in time.
    let updates = support::provider_events(ev, &[19, 20], WU_PROVIDER);
    let installed: Vec<&(&str, &Event)> = updates.iter().filter(|(_, e)| e.event_id == 19).collect();
    let failed_installs: Vec<&(&str, &Event)> =
        updates.iter().filter(|(_, e)| e.event_id == 20).collect();
    let restarts = support::provider_events(ev, &[1074], "User32");
    let failures: Vec<(&str, &Event)> = ev
        .events
        .iter()
        .flat_map(|l| l.value.events.iter().map(move |e| (l.artifact.as_str(), e)))
        .filter(|(_, e)| is_failure(e))
        .collect();
    let first_failure = failures
        .iter()
        .filter_map(|(a, e)| event_millis(e).map(|t| (t, *a, *e)))
        .min_by_key(|(t, _, _)| *t);
    let earliest_event = ev
        .events
        .iter()
        .flat_map(|l| l.value.events.iter())
        .filter_map(event_millis)
        .min();
    let broke = first_failure.and_then(|(ft, fa, fe)| {
        let (ua, ue) = installed
            .iter()
            .filter(|(_, e)| event_millis(e).is_some_and(|t| t <= ft))
            .max_by_key(|(_, e)| event_millis(e))?;
        let ut = event_millis(ue)?;
        let logs_reach_back = earliest_event.is_some_and(|t| t < ut);
        (logs_reach_back && ft - ut <= AFTER_UPDATE_DAYS * 86_400_000)
            .then_some(((*ua, *ue), (fa, fe)))
    });

    if pending.is_empty() && broke.is_none() {
        return Vec::new();
    }
    let mut parts = Vec::new();
    if !pending.is_empty() {
        let keys: Vec<&str> = pending.iter().map(|(w, _)| *w).collect();
        parts.push(format!(
            "A restart is pending: {} say{} so",
            keys.join(", "),
            if keys.len() == 1 { "s" } else { "" }
        ));
    }
    if !all_renames.is_empty() {
        parts.push(format!(
            "{} file operation(s) wait for the next boot{}",
            all_renames.len(),
            if rdp_renames.is_empty() {
                String::new()
            } else {
                format!(
                    ", among them Remote Desktop binaries: {}",
                    rdp_renames
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
    }
    let mut severity = if pending.is_empty() {
        Severity::Info
    } else {
        Severity::Warning
    };
    let mut f_refs: Vec<EvidenceRef> = pending.iter().map(|(_, r)| r.clone()).collect();
    let mut facts: Vec<(&str, String)> = vec![(
        "pending",
        pending
            .iter()
            .map(|(w, _)| *w)
            .collect::<Vec<_>>()
            .join(", "),
    )];
    if !rdp_renames.is_empty() {
        facts.push(("rdp_files_pending", rdp_renames.join(", ")));
    }
    if let Some(((ua, ue), (fa, fe))) = broke {
        let title = ue.get("updateTitle").unwrap_or("an update");
        parts.push(format!(
            "RDP failures began at {} ({} RDP failure event(s) in all), after '{title}' installed \
             at {}",
            fe.time,
            failures.len(),
            ue.time
        ));
        facts.push(("update", title.to_string()));
        facts.push(("update_installed", ue.time.clone()));
        facts.push(("first_failure", fe.time.clone()));
        f_refs.push(event_ref(ua, ue, "update installed"));
        f_refs.push(event_ref(fa, fe, "first RDP failure after it"));
        if !pending.is_empty() {
            severity = Severity::Error;
        }
    } else if let Some((ua, ue)) = installed.last() {
        facts.push((
            "last_update",
            format!(
                "{} ({})",
                ue.get("updateTitle").unwrap_or("an update"),
                ue.time
            ),
        ));
        f_refs.push(event_ref(ua, ue, "latest update installed"));
    }
    if let Some((fa, fe)) = failed_installs.last() {
        parts.push(format!(
            "{} update installation(s) failed, the last at {} ({}, error {})",
            failed_installs.len(),
            fe.time,
            fe.get("updateTitle").unwrap_or("?"),
            fe.get("errorCode").unwrap_or("?")
        ));
        f_refs.push(event_ref(fa, fe, "update installation failed"));
    }
    if let Some((ra, re)) = restarts.last() {
        let after_update = installed
            .last()
            .is_some_and(|(_, u)| event_millis(re) > event_millis(u));
        parts.push(format!(
            "the last restart recorded was at {} by {} ({}: {}){}",
            re.time,
            re.get("param7").unwrap_or("?"),
            re.get("param1").unwrap_or("?"),
            re.get("param3").unwrap_or("?"),
            if after_update {
                ", after the latest update"
            } else {
                ""
            }
        ));
        facts.push(("last_restart", re.time.clone()));
        f_refs.push(event_ref(ra, re, "restart"));
    }
    if !unknown.is_empty() && pending.is_empty() {
        parts.push(format!("cannot tell whether a reboot is pending: {}", unknown.join("; ")));
    }
    let title = match severity {
        Severity::Error => format!(
            "RDP failures began after update '{}' and its reboot is still pending",
            facts
                .iter()
                .find(|(k, _)| *k == "update")
                .map(|(_, v)| v.as_str())
                .unwrap_or("?")
        ),
        Severity::Warning if !rdp_renames.is_empty() => {
            "A reboot is pending that replaces Remote Desktop files".to_string()
        }
        Severity::Warning => CHECK.title.to_string(),
        Severity::Info => "RDP failures began after an update was installed".to_string(),
    };
    let mut f = Finding::new(&CHECK, format!("{}.", parts.join("; ")))
        .severity(severity)
        .title(title);
    for (k, v) in facts {
        f = f.fact(k, v);
    }
    f.evidence.extend(f_refs);
    vec![f]
}

/// Not evaluated when none of the pending-reboot markers could be read, unless the update
/// and failure events alone tell a story (then the finding says the markers are unknown).
fn missing(ev: &Evidence) -> Option<String> {
    let known =
        |key: &str, artifact: &str| !matches!(key_marker(ev, key, artifact), Marker::Unknown(_));
    if known(CBS_KEY, paths::REG_CBS_REBOOT_PENDING)
        || known(WU_KEY, paths::REG_WU_REBOOT_REQUIRED)
        || ev.reg_covers(SESSION_MANAGER_KEY)
        || !run(ev).is_empty()
    {
        return None;
    }
    match key_marker(ev, CBS_KEY, paths::REG_CBS_REBOOT_PENDING) {
        Marker::Unknown(why) => Some(why),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_from_xml, security_event};

    fn reg(text: &str) -> String {
        format!("Windows Registry Editor Version 5.00\r\n\r\n{text}\r\n")
    }

    fn utf16_hex(parts: &[&str]) -> String {
        let mut bytes = Vec::new();
        for p in parts {
            for u in p.encode_utf16() {
                bytes.extend_from_slice(&u.to_le_bytes());
            }
            bytes.extend_from_slice(&[0, 0]);
        }
        bytes.extend_from_slice(&[0, 0]);
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn session_manager(parts: &[&str]) -> String {
        reg(&format!(
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager]\r\n\
             \"PendingFileRenameOperations\"=hex(7):{}\r\n",
            utf16_hex(parts)
        ))
    }

    fn wu19(rid: u64, time: &str, title: &str) -> String {
        event(
            WU_PROVIDER,
            "System",
            19,
            rid,
            time,
            &[
                ("updateTitle", title),
                ("updateGuid", "{433942af-c579-4917-921b-c580f5ac230b}"),
                ("updateRevisionNumber", "501"),
                ("serviceGuid", "{6446c76e-123d-4b81-98f1-7a29da3e3636}"),
            ],
        )
    }

    /// An NLA failure as a broken CredSSP/Kerberos exchange logs it (not a wrong password).
    fn failed_logon(rid: u64, time: &str) -> String {
        failed_logon_with(rid, time, "0xc000015b")
    }

    fn failed_logon_with(rid: u64, time: &str, sub: &str) -> String {
        security_event(
            4625,
            rid,
            time,
            &[
                ("TargetUserName", "alice"),
                ("TargetDomainName", "CORP"),
                ("Status", "0xc000006d"),
                ("SubStatus", sub),
                ("LogonType", "10"),
                ("IpAddress", "10.1.2.3"),
            ],
        )
    }

    #[test]
    fn renames_pair_sources_with_targets_and_deletes() {
        let list: Vec<String> = [
            r"\??\C:\Windows\WinSxS\Temp\PendingRenames\termsrv.dll",
            r"!\??\C:\Windows\System32\termsrv.dll",
            r"\??\C:\Windows\Temp\x.tmp",
            "",
            r"\??\C:\Windows\System32\rdpcorets.dll",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let r = renames(&list);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].target.as_deref(), Some(r"C:\Windows\System32\termsrv.dll"));
        assert!(r[1].target.is_none());
        assert!(is_rdp_binary(&r[2].source));
        assert!(!is_rdp_binary(r"C:\Windows\System32\rdpclip.exe"));
    }

    #[test]
    fn rename_list_after_a_delete_pair_is_read_whole() {
        let ev = evidence_from_xml(&[(
            "registry/session-manager.reg",
            &session_manager(&[
                r"\??\C:\Windows\Temp\a.tmp",
                "",
                r"\??\C:\Windows\WinSxS\Temp\PendingRenames\rdpcorets.dll",
                r"!\??\C:\Windows\System32\rdpcorets.dll",
            ]),
        )]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.facts["pending"], r"Session Manager\PendingFileRenameOperations");
        assert!(
            f.facts["rdp_files_pending"].contains(r"C:\Windows\System32\rdpcorets.dll"),
            "{:?}",
            f.facts
        );
        assert!(f.message.contains("2 file operation(s)"), "{}", f.message);
    }

    #[test]
    fn cbs_key_present_is_pending_and_absent_is_not() {
        let cbs = reg(&format!("[{CBS_KEY}]\r\n"));
        let ev = evidence_from_xml(&[("registry/cbs-reboot-pending.reg", &cbs)]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.facts["pending"].contains("RebootPending"));
        // The Session Manager values without a rename list: nothing pending.
        let sm = reg(
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager]\r\n\
             \"ProtectionMode\"=dword:00000001\r\n",
        );
        let ev = evidence_from_xml(&[("registry/session-manager.reg", &sm)]);
        assert!(run(&ev).is_empty());
        assert!(missing(&ev).is_none());
    }

    #[test]
    fn failures_after_an_update_with_a_reboot_pending_are_an_error() {
        let system = [
            wu19(
                378,
                "2026-03-03T02:10:00.000Z",
                "2026-03 Cumulative Update for Windows Server 2022 (KB5035857)",
            ),
        ]
        .join("\n");
        let security = [
            security_event(4624, 10, "2026-03-01T08:00:00.000Z", &[("LogonType", "10")]),
            failed_logon(11, "2026-03-03T08:05:00.000Z"),
            failed_logon(12, "2026-03-03T08:06:00.000Z"),
        ]
        .join("\n");
        let ev = evidence_from_xml(&[
            ("events/System.xml", &system),
            ("events/Security.xml", &security),
            (
                "registry/cbs-reboot-pending.reg",
                &reg(&format!("[{CBS_KEY}]\r\n")),
            ),
        ]);
        let f = &run(&ev)[0];
        assert_eq!(f.severity, Severity::Error, "{}", f.message);
        assert_eq!(f.facts["first_failure"], "2026-03-03T08:05:00.000Z");
        assert!(f.facts["update"].contains("KB5035857"));
        // The same failures without a pending reboot: only worth knowing.
        let ev = evidence_from_xml(&[
            ("events/System.xml", &system),
            ("events/Security.xml", &security),
        ]);
        assert_eq!(run(&ev)[0].severity, Severity::Info);
    }

    #[test]
    fn wrong_passwords_after_an_update_are_not_blamed_on_it() {
        let system = wu19(378, "2026-03-03T02:10:00.000Z", "Update (KB1)");
        let security = [
            security_event(4624, 10, "2026-03-01T08:00:00.000Z", &[("LogonType", "10")]),
            failed_logon_with(11, "2026-03-03T08:05:00.000Z", "0xc000006a"),
        ]
        .join("\n");
        let ev = evidence_from_xml(&[
            ("events/System.xml", &system),
            ("events/Security.xml", &security),
        ]);
        assert!(run(&ev).is_empty());
        // Events alone, nothing to say: cannot tell whether a reboot is pending.
        assert!(missing(&ev).is_some());
    }

    #[test]
    fn failures_that_predate_the_update_are_not_blamed_on_it() {
        let system = wu19(378, "2026-03-03T02:10:00.000Z", "Update (KB1)");
        let security = [
            failed_logon(11, "2026-03-01T08:05:00.000Z"),
            failed_logon(12, "2026-03-03T08:06:00.000Z"),
        ]
        .join("\n");
        let ev = evidence_from_xml(&[
            ("events/System.xml", &system),
            ("events/Security.xml", &security),
        ]);
        assert!(run(&ev).is_empty());
    }

    /// The real 2012 R2 System log: one update (KB2999226) and sixteen User32 1074 restarts
    /// are read with their fields.
    #[test]
    fn real_system_log_updates_and_restarts() {
        let Some(ev) = crate::evidence::testing::evidence_from_samples(&[
            "dfirmuseum__StolenSzechuan-Win2012R2-System.evtx",
        ]) else {
            return;
        };
        let updates = support::provider_events(&ev, &[19], WU_PROVIDER);
        assert!(updates
            .iter()
            .any(|(_, e)| e.get("updateTitle") == Some("Update for Windows (KB2999226)")));
        let restarts = support::provider_events(&ev, &[1074], "User32");
        assert!(!restarts.is_empty());
        assert!(restarts
            .iter()
            .all(|(_, e)| e.get("param5").is_some() && e.get("param7").is_some()));
    }
}

//! RDP033: TermService's own configuration is not the default (account, host process, recovery).
//!
//! Remote Desktop Services runs as `NT Authority\NetworkService` inside the
//! `svchost.exe -k NetworkService` group; its certificate key, the MachineKeys permissions and
//! the listener's token all assume that account. Changed to LocalSystem (or moved to the
//! `netsvcs` group) by a "fix" found online, the listener starts but TLS and licensing fail in
//! ways that point elsewhere. The service's recovery actions (`FailureActions`) restart it
//! after a crash by default; without a restart action a single crash leaves RDP down until
//! someone restarts it by hand.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;
use crate::parse::reg::RegData;

pub static CHECK: Check = Check {
    id: "RDP033",
    name: "termservice-config",
    severity: Severity::Error,
    title: "Remote Desktop Services (TermService) is not configured as Windows expects",
    explanation: "TermService must run as NT Authority\\NetworkService in the svchost \
                  NetworkService group; it runs under another account or host, or its recovery \
                  settings never restart it after a failure.",
    remediation:
        "Restore the defaults: `sc config TermService obj= \"NT Authority\\NetworkService\" \
                  password= \"\"` and ImagePath %SystemRoot%\\System32\\svchost.exe -k \
                  NetworkService; for recovery, `sc failure TermService reset= 86400 actions= \
                  restart/60000/restart/60000//`. Restart the computer afterwards.",
    needs: &[Kind::Registry, Kind::ScQuery],
    fixture: "fixtures/termservice-config",
    requires: Some(missing),
    run,
};

const SVC: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TermService";

fn is_network_service(account: &str) -> bool {
    let a = account.trim().to_ascii_lowercase().replace(' ', "");
    a == "ntauthority\\networkservice" || a == "networkservice" || a.ends_with("\\networkservice")
}

/// Whether `SERVICE_FAILURE_ACTIONS` (as stored: 20-byte header with the action count at 12,
/// then 8-byte `SC_ACTION`s) has a restart action. `None` when the bytes do not parse.
pub fn restarts_on_failure(bytes: &[u8]) -> Option<bool> {
    let count = u32::from_le_bytes(bytes.get(12..16)?.try_into().ok()?) as usize;
    let mut any = false;
    for i in 0..count.min(64) {
        let off = 20usize.checked_add(i.checked_mul(8)?)?;
        let kind = u32::from_le_bytes(bytes.get(off..off + 4)?.try_into().ok()?);
        any |= kind == 1;
    }
    Some(any)
}

/// The account TermService runs as when it is not NetworkService, with where that was read
/// (the service key's `ObjectName`, else `SERVICE_START_NAME` of `sc qc TermService`).
pub fn foreign_account(ev: &Evidence) -> Option<(String, EvidenceRef)> {
    let from_reg = ev
        .reg_value(SVC, "ObjectName")
        .and_then(|h| h.value.data.as_str().map(|s| (s.to_string(), support::reg_ref(&h))));
    let account = from_reg.or_else(|| {
        ev.services_named("TermService")
            .into_iter()
            .find_map(|(a, s)| {
                s.service_start_name.clone().map(|n| {
                    let r = EvidenceRef::line(a, s.line, format!("SERVICE_START_NAME : {n}"));
                    (n, r)
                })
            })
    });
    account.filter(|(acct, _)| !acct.trim().is_empty() && !is_network_service(acct))
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some((acct, evidence)) = foreign_account(ev) {
        out.push(
            Finding::new(
                &CHECK,
                format!(
                    "TermService runs as '{acct}' instead of NT Authority\\NetworkService. The \
                     listener's certificate key and permissions are set up for NetworkService; \
                     under another account TLS/NLA and licensing fail in misleading ways."
                ),
            )
            .title(format!("TermService runs as '{acct}', not NetworkService"))
            .fact("account", &acct)
            .evidence(evidence),
        );
    }
    if let Some(h) = ev.reg_value(SVC, "ImagePath") {
        if let Some(path) = h.value.data.as_str() {
            let p = path.to_ascii_lowercase();
            if p.contains("svchost") && !p.contains("-k networkservice") {
                out.push(
                    Finding::new(
                        &CHECK,
                        format!(
                            "TermService's ImagePath is '{path}': it is hosted in another svchost \
                             group than NetworkService, so it does not run with the \
                             NetworkService identity Windows expects."
                        ),
                    )
                    .title("TermService is hosted in the wrong svchost group")
                    .fact("image_path", path)
                    .evidence(support::reg_ref(&h)),
                );
            }
        }
    }
    if let Some(h) = ev.reg_value(SVC, "FailureActions") {
        if let RegData::Binary(b) = &h.value.data {
            if restarts_on_failure(b) == Some(false) {
                out.push(
                    Finding::new(
                        &CHECK,
                        "TermService's recovery settings (FailureActions) have no restart action: \
                         after a crash Remote Desktop stays down until someone restarts the \
                         service.",
                    )
                    .title("TermService is not restarted after a failure")
                    .severity(Severity::Warning)
                    .fact("recovery", "none")
                    .evidence(support::reg_ref(&h)),
                );
            }
        }
    }
    out
}

/// Not evaluated without TermService's key or an `sc qc` of it.
fn missing(ev: &Evidence) -> Option<String> {
    if ev.service_start_type("TermService").is_some() {
        return None;
    }
    support::missing_key(ev, SVC, "registry/service-termservice.reg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_actions_layout() {
        // reset 86400, no reboot msg/command, 3 actions: restart 60s, restart 60s, none.
        let mut b = Vec::new();
        for v in [86400u32, 0, 0, 3, 0x14] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for (t, d) in [(1u32, 60000u32), (1, 60000), (0, 0)] {
            b.extend_from_slice(&t.to_le_bytes());
            b.extend_from_slice(&d.to_le_bytes());
        }
        assert_eq!(restarts_on_failure(&b), Some(true));
        for chunk in [20, 28, 36] {
            b[chunk] = 0;
        }
        assert_eq!(restarts_on_failure(&b), Some(false));
        assert_eq!(restarts_on_failure(&b[..30]), None);
        assert_eq!(restarts_on_failure(&[]), None);
        assert!(is_network_service("NT Authority\\NetworkService"));
        assert!(is_network_service("NT AUTHORITY\\NETWORK SERVICE"));
        assert!(!is_network_service("LocalSystem"));
    }
}

//! RDP054: Remote Desktop could not create (1057) or renew (1058) its self-signed certificate.
//!
//! Without a certificate the RDP listener cannot do TLS, and clients fail with "An internal
//! error has occurred" right after connecting. RemoteConnectionManager (as the classic source
//! `TermService` in the System log) creates the certificate in the Remote Desktop store with
//! its key under `C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys`; the status it logs says
//! why that failed: "Keyset does not exist" or "Access is denied" (the MachineKeys folder's
//! permissions, or the old certificate's key gone), "Object already exists" (a stale key
//! container in the way). A later 1056 (a new certificate was created) means it recovered, and
//! so does a certificate in use at collection time that was issued after the last failure (the
//! System log may have rolled over the 1056, or the certificate was replaced by hand): the
//! event is a past state, the store the present one.
//!
//! When the status is "Access is denied" (0x80070005), the finding says what blocks the service,
//! as far as the bundle shows it: TermService running under another account than
//! `NT Authority\NetworkService` (the key and the store's permissions are made for that account;
//! read as RDP033 reads it, from the service key or `sc qc TermService`), a MachineKeys folder
//! ACL without what Windows needs (RDP013's reading of icacls), and a Remote Desktop key file
//! NETWORK SERVICE cannot read (RDP022's). The ACL of the `SystemCertificates\Remote Desktop`
//! registry key is not collected (a `.reg` export has no ACL): when none of the above is found
//! the finding says so rather than guess.

use super::rdp_certs::{configured_thumbprint, in_use, seen_certs, SeenCert};
use super::{machinekeys_acl, rdp_key_file_acl, termservice_config};
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{summarize_event, EventSource, Evidence};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;
use crate::parse::ntstatus;

pub static CHECK: Check = Check {
    id: "RDP054",
    name: "rdp-certificate-not-created",
    severity: Severity::Error,
    title: "Remote Desktop could not create its certificate",
    explanation: "The System log has RemoteConnectionManager/TermService event 1057 (the \
                  self-signed certificate could not be created) or 1058 (the expired one could \
                  not be replaced). Without a usable certificate RDP cannot negotiate TLS and \
                  clients report an internal error just after connecting.",
    remediation: "If TermService does not run as NT Authority\\NetworkService, restore it first \
                  (`sc config TermService obj= \"NT Authority\\NetworkService\" password= \"\"`, \
                  see RDP033). Give SYSTEM and Administrators Full control and Everyone read/write (special, \
                  this folder only) on C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys (see \
                  RDP013); if the status is 'Object already exists', move the stale key file \
                  named in the certificate's key container out of MachineKeys. Then delete the \
                  certificate from Certificates (Local Computer) > Remote Desktop and restart \
                  TermService: a new one is created (event 1056).",
    needs: &[Kind::Evtx],
    fixture: "fixtures/rdp-certificate-not-created",
    requires: None,
    run,
};

/// The status an event carries: its first non-empty value, translated when it is a code.
fn status_of(e: &Event) -> String {
    let raw = e
        .data
        .iter()
        .map(|(_, v)| v.trim())
        .find(|v| !v.is_empty())
        .unwrap_or("(no status)");
    match ntstatus::parse_code(raw).and_then(ntstatus::hresult_lookup) {
        Some(i) => format!("{raw} ({})", i.meaning),
        None => raw.to_string(),
    }
}

/// What the status points at.
fn hint(status: &str) -> &'static str {
    let s = status.to_lowercase();
    if s.contains("already exists") || s.contains("0x8009000f") {
        "a stale key container with the same name is in the way in MachineKeys"
    } else if s.contains("keyset")
        || s.contains("access is denied")
        || s.contains("0x80090016")
        || s.contains("0x80070005")
    {
        "the service cannot use the MachineKeys folder or the old certificate's key \
         (permissions, or a deleted key file)"
    } else {
        "see the status"
    }
}

/// Whether the status is "access denied".
fn access_denied(status: &str) -> bool {
    let s = status.to_lowercase();
    s.contains("access is denied") || s.contains("0x80070005") || s.contains("access denied")
}

/// What keeps TermService from creating its key, from the rest of the bundle: sentences, facts
/// and evidence. Empty sentences when nothing is found.
fn blockers(ev: &Evidence) -> (Vec<String>, Vec<(&'static str, String)>, Vec<EvidenceRef>) {
    let mut said = Vec::new();
    let mut facts = Vec::new();
    let mut refs = Vec::new();
    if let Some((acct, r)) = termservice_config::foreign_account(ev) {
        said.push(format!(
            "TermService runs as '{acct}', not NT Authority\\NetworkService, the account the \
             certificate's key and the Remote Desktop store are set up for (RDP033)"
        ));
        facts.push(("termservice_account", acct));
        refs.push(r);
    }
    let folders = machinekeys_acl::problems(ev);
    if !folders.is_empty() {
        let text: Vec<String> = folders
            .iter()
            .map(|p| format!("{}: {}", p.path, p.problems.join("; ")))
            .collect();
        said.push(format!(
            "the MachineKeys folder's permissions are wrong ({}) (RDP013)",
            text.join(" | ")
        ));
        facts.push(("machinekeys_problems", text.join(" | ")));
        refs.extend(folders.into_iter().flat_map(|p| p.evidence.into_iter().take(1)));
    }
    let keys = rdp_key_file_acl::problems(ev);
    if !keys.is_empty() {
        let text: Vec<String> = keys.iter().map(|(t, _)| t.clone()).collect();
        said.push(format!(
            "the Remote Desktop key file's permissions are wrong ({}) (RDP022)",
            text.join(" | ")
        ));
        facts.push(("key_file_problems", text.join(" | ")));
        refs.extend(keys.into_iter().flat_map(|(_, r)| r.into_iter().take(1)));
    }
    (said, facts, refs)
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let events = ev.events_from(EventSource::RemoteConnectionManager, &[1056, 1057, 1058]);
    let failures: Vec<&(&str, &Event)> =
        events.iter().filter(|(_, e)| e.event_id != 1056).collect();
    let Some(&&(artifact, last)) = failures.last() else {
        return Vec::new();
    };
    let recovered = events.last().is_some_and(|(_, e)| e.event_id == 1056);
    let certs = seen_certs(ev);
    let configured = configured_thumbprint(ev);
    let failed_at = crate::evidence::event_millis(last).map(|ms| ms / 1000);
    let renewed = match (recovered, failed_at) {
        (false, Some(at)) => issued_after(&in_use(&certs, configured.as_ref()), at, ev.as_of),
        _ => None,
    };
    let status = status_of(last);
    let what = if last.event_id == 1058 {
        "replace the expired self-signed certificate"
    } else {
        "create a self-signed certificate"
    };
    let mut message = format!(
        "Remote Desktop failed to {what} {} time(s), last at {} with status \"{status}\": {}.",
        failures.len(),
        last.time,
        hint(&status)
    );
    let mut f = Finding::new(&CHECK, String::new());
    if recovered {
        message.push_str(" A new certificate was created afterwards (1056): it has recovered.");
        f = f.severity(Severity::Info);
    } else if let Some(c) = renewed {
        message.push_str(&format!(
            " The certificate in use at collection time ({}) was issued after that and is valid: \
             it has recovered.",
            c.thumbprint
        ));
        f = f
            .severity(Severity::Info)
            .evidence(c.evidence.clone());
    }
    let recovered = recovered || renewed.is_some();
    let mut blocker_refs = Vec::new();
    if access_denied(&status) && !recovered {
        let (said, facts, refs) = blockers(ev);
        if said.is_empty() {
            let ts_known = termservice_config_known(ev);
            let acl_known = ev.icacls.iter().any(|o| !o.value.paths.is_empty());
            let mut seen = Vec::new();
            if ts_known {
                seen.push("TermService runs as NetworkService");
            }
            if acl_known {
                seen.push("the MachineKeys permissions look right");
            }
            if seen.is_empty() {
                message.push_str(
                    " What denies it cannot be told: the bundle has neither TermService's \
                     account nor the MachineKeys permissions.",
                );
                f = f.fact("blocked_by", "cannot tell");
            } else {
                message.push_str(&format!(
                    " What denies it is not in the bundle ({}); check the permissions of \
                     HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\Remote Desktop (NETWORK \
                     SERVICE needs Full control).",
                    seen.join(", ")
                ));
                f = f.fact("blocked_by", "none found");
            }
        } else {
            message.push_str(&format!(" What blocks it: {}.", said.join("; ")));
            f = f.fact(
                "blocked_by",
                facts.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
            );
            for (k, v) in facts {
                f = f.fact(k, v);
            }
            blocker_refs = refs;
        }
    }
    f = f
        .title(format!("Remote Desktop could not {what}"))
        .fact("event_id", last.event_id)
        .fact("status", &status)
        .fact("count", failures.len())
        .fact("recovered", recovered)
        .evidence(EvidenceRef::record(
            artifact,
            last.record_id,
            summarize_event(last),
        ));
    for r in blocker_refs {
        f = f.evidence(r);
    }
    f.message = message;
    vec![f]
}

/// Whether the bundle says how TermService is configured (its key or an `sc qc`).
fn termservice_config_known(ev: &Evidence) -> bool {
    ev.reg_value(
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TermService",
        "ObjectName",
    )
    .is_some()
        || ev
            .services_named("TermService")
            .iter()
            .any(|(_, s)| s.service_start_name.is_some())
}

/// The certificate among `in_use` that was issued after `failed_at` and is valid at `as_of`
/// (unix seconds) with its private key not known to be missing.
fn issued_after<'a>(in_use: &[&'a SeenCert], failed_at: i64, as_of: i64) -> Option<&'a SeenCert> {
    in_use.iter().copied().find(|c| {
        c.not_before.is_some_and(|nb| nb > failed_at && nb <= as_of)
            && c.not_after.is_some_and(|na| na > as_of)
            && c.has_private_key != Some(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_from_xml, RCM};

    fn cert_event(id: u32, rid: u64, time: &str, status: &str) -> String {
        event(RCM, "System", id, rid, time, &[("HRESULT", status)])
    }

    #[test]
    fn keyset_failure_is_an_error_until_a_new_certificate() {
        let xml = cert_event(
            1057,
            7,
            "2026-03-01T09:00:00.0000000Z",
            "Keyset does not exist\r\n",
        );
        let out = run(&evidence_from_xml(&[("System.xml", &xml)]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Error);
        assert_eq!(out[0].facts["status"], "Keyset does not exist");
        assert!(out[0].message.contains("MachineKeys"), "{}", out[0].message);
        let healed = [
            xml,
            cert_event(1056, 8, "2026-03-01T09:05:00.0000000Z", "WS-RDP01"),
        ]
        .join("\r\n");
        let out = run(&evidence_from_xml(&[("System.xml", &healed)]));
        assert_eq!(out[0].severity, Severity::Info);
        assert_eq!(out[0].facts["recovered"], "true");
    }

    #[test]
    fn a_certificate_issued_after_the_failure_is_recovery() {
        let cert = |nb: i64, na: i64, key: Option<bool>| SeenCert {
            thumbprint: "AB".into(),
            store: "Remote Desktop".into(),
            subject: None,
            not_before: Some(nb),
            not_after: Some(na),
            not_after_text: None,
            server_auth_eku: Some(true),
            has_private_key: key,
            evidence: EvidenceRef::file("certs/index.json", "AB"),
        };
        let (failed, now) = (1_000, 2_000);
        let new = cert(1_500, 9_000, Some(true));
        assert!(issued_after(&[&new], failed, now).is_some());
        // Older than the failure, expired, or without its key: not a recovery.
        assert!(issued_after(&[&cert(900, 9_000, Some(true))], failed, now).is_none());
        assert!(issued_after(&[&cert(1_500, 1_900, Some(true))], failed, now).is_none());
        assert!(issued_after(&[&cert(1_500, 9_000, Some(false))], failed, now).is_none());
        assert!(issued_after(&[&cert(1_500, 9_000, None)], failed, now).is_some());
    }

    const SC_QC_LOCALSYSTEM: &str = "[SC] QueryServiceConfig SUCCESS\r\n\r\n\
        SERVICE_NAME: TermService\r\n\
        \x20       TYPE               : 20  WIN32_SHARE_PROCESS\r\n\
        \x20       START_TYPE         : 3   DEMAND_START\r\n\
        \x20       ERROR_CONTROL      : 1   NORMAL\r\n\
        \x20       BINARY_PATH_NAME   : C:\\Windows\\System32\\svchost.exe -k NetworkService\r\n\
        \x20       LOAD_ORDER_GROUP   :\r\n\
        \x20       TAG                : 0\r\n\
        \x20       DISPLAY_NAME       : Remote Desktop Services\r\n\
        \x20       DEPENDENCIES       : RPCSS\r\n\
        \x20                          : TermDD\r\n\
        \x20       SERVICE_START_NAME : LocalSystem\r\n";

    const ICACLS_BROKEN: &str = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys \
        BUILTIN\\Administrators:(R)\r\n\
        \x20                                               NT AUTHORITY\\SYSTEM:(F)\r\n\r\n\
        Successfully processed 1 files; Failed processing 0 files\r\n";

    #[test]
    fn access_denied_names_what_blocks_it() {
        let denied = cert_event(1057, 7, "2026-03-01T09:00:00.0000000Z", "Access is denied.");
        let out = run(&evidence_from_xml(&[
            ("System.xml", &denied),
            ("commands/sc-qc-TermService.txt", SC_QC_LOCALSYSTEM),
        ]));
        let f = &out[0];
        assert_eq!(f.facts["blocked_by"], "termservice_account");
        assert_eq!(f.facts["termservice_account"], "LocalSystem");
        assert!(f.message.contains("TermService runs as 'LocalSystem'"), "{}", f.message);
        assert!(f
            .evidence
            .iter()
            .any(|r| r.artifact == "commands/sc-qc-TermService.txt"
                && r.excerpt.contains("LocalSystem")));
        let out = run(&evidence_from_xml(&[
            ("System.xml", &denied),
            ("commands/icacls-machinekeys.txt", ICACLS_BROKEN),
        ]));
        let f = &out[0];
        assert_eq!(f.facts["blocked_by"], "machinekeys_problems");
        assert!(
            f.facts["machinekeys_problems"].contains("Everyone lacks Read and Write"),
            "{:?}",
            f.facts
        );
        // Nothing about the account or the folder: cannot tell, not "fine".
        let out = run(&evidence_from_xml(&[("System.xml", &denied)]));
        assert_eq!(out[0].facts["blocked_by"], "cannot tell");
        // The code form of the status reads the same; other statuses add nothing.
        let code = cert_event(1057, 7, "2026-03-01T09:00:00.0000000Z", "0x80070005");
        let out = run(&evidence_from_xml(&[
            ("System.xml", &code),
            ("commands/sc-qc-TermService.txt", SC_QC_LOCALSYSTEM),
        ]));
        assert_eq!(out[0].facts["termservice_account"], "LocalSystem");
        let keyset = cert_event(1057, 7, "2026-03-01T09:00:00.0000000Z", "Keyset does not exist");
        let out = run(&evidence_from_xml(&[
            ("System.xml", &keyset),
            ("commands/sc-qc-TermService.txt", SC_QC_LOCALSYSTEM),
        ]));
        assert!(!out[0].facts.contains_key("blocked_by"));
    }

    #[test]
    fn codes_are_translated_and_1056_alone_is_silent() {
        let xml = cert_event(1058, 7, "2026-03-01T09:00:00.0000000Z", "0x8009000f");
        let out = run(&evidence_from_xml(&[("System.xml", &xml)]));
        assert_eq!(out[0].facts["status"], "0x8009000f (object already exists)");
        assert!(out[0].message.contains("stale key container"));
        let only_new = cert_event(1056, 7, "2026-03-01T09:00:00.0000000Z", "WS-RDP01");
        assert!(run(&evidence_from_xml(&[("System.xml", &only_new)])).is_empty());
    }
}

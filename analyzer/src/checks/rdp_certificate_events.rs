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

use super::rdp_certs::{configured_thumbprint, in_use, seen_certs, SeenCert};
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
    remediation: "Give SYSTEM and Administrators Full control and Everyone read/write (special, \
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
    f.message = message;
    vec![f]
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

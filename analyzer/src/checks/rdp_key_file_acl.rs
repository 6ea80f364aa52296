//! RDP022: the RDP certificate's private key file cannot be read by the listener.
//!
//! The key of the Remote Desktop certificate is a file in
//! `%ProgramData%\Microsoft\Crypto\RSA\MachineKeys` named after its container: for Windows' own
//! certificate (container `TSSecKeySet1`) `f686aace6942fb7f7ceb231212eef4a4_<machine GUID>`.
//! TermService runs as NETWORK SERVICE and opens the key at every TLS handshake, so the file
//! must grant NETWORK SERVICE read and SYSTEM full control. Permission "repairs", file-level
//! hardening or a restore from another machine break that: Schannel logs 36870 (cannot access
//! the TLS server credential private key) and TLS/NLA connections fail with an internal error
//! while the certificate itself looks fine in certlm.msc.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, WellKnown};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP022",
    name: "rdp-key-file-acl",
    severity: Severity::Error,
    title: "The RDP certificate's private key file is not readable by Remote Desktop Services",
    explanation: "The private key file of the RDP certificate in MachineKeys must grant NETWORK \
                  SERVICE (TermService's account) read access and SYSTEM full control. Without \
                  them the listener cannot use its certificate and TLS/NLA handshakes fail \
                  (Schannel 36870).",
    remediation: "Restore the key file's permissions from an elevated prompt: `icacls \
                  %ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys\\<file> /grant \
                  \"NT AUTHORITY\\NETWORK SERVICE\":(R) /grant \"NT AUTHORITY\\SYSTEM\":(F) /grant \
                  Administrators:(F)` and remove Deny entries, then restart TermService. For \
                  Windows' self-signed certificate it is simpler to delete it in certlm.msc > \
                  Remote Desktop and restart TermService: Windows creates a new key with the \
                  right permissions.",
    needs: &[Kind::Icacls, Kind::CertIndex],
    fixture: "fixtures/rdp-key-file-acl",
    requires: Some(missing),
    run,
};

/// Name prefix of the key container file of Remote Desktop's self-signed certificate.
pub const RDP_KEY_PREFIX: &str = "f686aace6942fb7f7ceb231212eef4a4_";

/// Each key-file problem found, with its evidence.
pub fn problems(ev: &Evidence) -> Vec<(String, Vec<EvidenceRef>)> {
    let containers: Vec<String> = ev
        .cert_index
        .iter()
        .flat_map(|i| i.value.iter())
        .filter_map(|e| e.key_container.as_deref().map(str::to_ascii_lowercase))
        .collect();
    let mut out = Vec::new();
    for file in &ev.icacls {
        for acl in &file.value.paths {
            let name = acl
                .path
                .rsplit(['\\', '/'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let is_key = name.starts_with(RDP_KEY_PREFIX)
                || containers.iter().any(|c| !c.is_empty() && name == *c);
            if !is_key {
                continue;
            }
            let allow = |w: WellKnown| {
                acl.aces
                    .iter()
                    .filter(move |a| a.well_known == Some(w) && !a.deny)
            };
            let mut issues = Vec::new();
            if !allow(WellKnown::NetworkService).any(|a| a.grants_read()) {
                issues.push("NETWORK SERVICE has no read access".to_string());
            }
            if !allow(WellKnown::System).any(|a| a.grants_full()) {
                issues.push("SYSTEM lacks Full control".to_string());
            }
            for d in acl.aces.iter().filter(|a| a.deny) {
                issues.push(format!("a Deny entry for {}", d.principal));
            }
            if issues.is_empty() {
                continue;
            }
            let mut refs = vec![EvidenceRef::line(
                &file.artifact,
                acl.line,
                format!("{} (ACL as listed by icacls)", acl.path),
            )];
            for a in &acl.aces {
                refs.push(support::ace_ref(&file.artifact, a));
            }
            out.push((format!("{}: {}", acl.path, issues.join("; ")), refs));
        }
    }
    for idx in &ev.cert_index {
        for e in idx
            .value
            .iter()
            .filter(|e| e.has_private_key && e.private_key_accessible == Some(false))
        {
            out.push((
                format!(
                    "the private key of certificate {} ({}) could not be opened by the collector \
                     running as administrator{}",
                    e.thumbprint,
                    e.store,
                    e.key_container
                        .as_deref()
                        .map(|c| format!(", container file {c}"))
                        .unwrap_or_default()
                ),
                vec![EvidenceRef::file(
                    &idx.artifact,
                    format!(
                        "{} has_private_key: true, private_key_accessible: false",
                        e.thumbprint
                    ),
                )],
            ));
        }
    }
    out
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let found = problems(ev);
    if found.is_empty() {
        return Vec::new();
    }
    let events = support::provider_events(ev, &[36870], "schannel");
    let mut f = Finding::new(
        &CHECK,
        format!(
            "{}.{}",
            found
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            if events.is_empty() {
                String::new()
            } else {
                format!(
                    " Schannel logged {} 36870 event(s) (cannot access the TLS server credential \
                     private key).",
                    events.len()
                )
            }
        ),
    )
    .fact(
        "problems",
        found
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    );
    for (_, refs) in found {
        f.evidence.extend(refs);
    }
    for (a, e) in events.into_iter().take(3) {
        f = f.evidence(support::event_ref(
            a,
            e,
            "cannot access the TLS server credential private key",
        ));
    }
    vec![f]
}

/// Not evaluated without an icacls listing of the key file(s) or the collector's key check.
fn missing(ev: &Evidence) -> Option<String> {
    let listed = ev.icacls.iter().any(|i| {
        i.value.paths.iter().any(|p| {
            let l = p.path.to_ascii_lowercase();
            l.contains("machinekeys\\") && !l.trim_end_matches('\\').ends_with("machinekeys")
        })
    });
    let checked = ev
        .cert_index
        .iter()
        .flat_map(|i| i.value.iter())
        .any(|e| e.private_key_accessible.is_some());
    (!listed && !checked).then(|| {
        support::missing_because(
            ev,
            "commands/icacls-rdp-key.txt",
            "icacls listing of the RDP key file",
        )
    })
}

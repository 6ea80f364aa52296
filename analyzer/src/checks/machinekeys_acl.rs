//! RDP013: the MachineKeys folder's permissions are broken.
//!
//! The RDP self-signed certificate's private key lives in
//! `%ProgramData%\Microsoft\Crypto\RSA\MachineKeys`. Windows creates keys there as the
//! service account, which relies on the default ACL: Everyone with read/write (special) rights
//! and Administrators with Full control. Hardening scripts that "fix" this break certificate
//! creation: System log event 1057/1058 and no RDP certificate, or TLS failures.

use super::{support, Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, WellKnown};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP013",
    name: "machinekeys-acl",
    severity: Severity::Error,
    title: "MachineKeys folder permissions prevent RDP certificate keys",
    explanation: "The MachineKeys folder must grant Administrators Full control and Everyone \
                  Read and Write (special: create files, read data). Without them Remote Desktop \
                  cannot create or read the private key of its certificate, and TLS/NLA fails.",
    remediation: "Restore the default ACL from an elevated prompt: `icacls \
                  %ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys /grant \
                  \"Administrators\":(F) /grant \"Everyone\":(R,W)` (and remove any Deny entry), \
                  then delete the Remote Desktop certificate in certlm.msc and restart TermService \
                  to regenerate it.",
    needs: &[Kind::Icacls],
    fixture: "fixtures/machinekeys-acl",
    requires: None,
    run,
};

/// One MachineKeys folder whose ACL is wrong: its path, what is wrong, and the evidence (the
/// folder's icacls line, then each of its entries).
pub struct AclProblem {
    pub path: String,
    pub problems: Vec<String>,
    pub evidence: Vec<EvidenceRef>,
}

/// Every MachineKeys folder in the icacls outputs whose ACL lacks what Windows needs.
pub fn problems(ev: &Evidence) -> Vec<AclProblem> {
    let mut out = Vec::new();
    for out_file in &ev.icacls {
        for acl in out_file.value.paths.iter().filter(|p| {
            p.path
                .to_lowercase()
                .replace('/', "\\")
                .trim_end_matches('\\')
                .ends_with("machinekeys")
        }) {
            let allow = |w: WellKnown| {
                acl.aces.iter().filter(move |a| {
                    a.well_known == Some(w) && !a.deny && !a.flags.iter().any(|f| f == "IO")
                })
            };
            let admin_full = allow(WellKnown::Administrators).any(|a| a.grants_full());
            let everyone_read = allow(WellKnown::Everyone).any(|a| a.grants_read());
            let everyone_write = allow(WellKnown::Everyone).any(|a| a.grants_write());
            let denies: Vec<_> = acl.aces.iter().filter(|a| a.deny).collect();
            let mut problems = Vec::new();
            if !admin_full {
                problems.push("Administrators lack Full control".to_string());
            }
            if !everyone_read || !everyone_write {
                problems.push(format!(
                    "Everyone lacks {}",
                    match (everyone_read, everyone_write) {
                        (false, false) => "Read and Write",
                        (false, true) => "Read",
                        _ => "Write",
                    }
                ));
            }
            for d in &denies {
                problems.push(format!("a Deny entry for {}", d.principal));
            }
            if problems.is_empty() {
                continue;
            }
            let mut evidence = vec![EvidenceRef::line(
                &out_file.artifact,
                acl.line,
                format!("{} (ACL as listed by icacls)", acl.path),
            )];
            evidence.extend(
                acl.aces
                    .iter()
                    .map(|a| support::ace_ref(&out_file.artifact, a)),
            );
            out.push(AclProblem {
                path: acl.path.clone(),
                problems,
                evidence,
            });
        }
    }
    out
}

fn run(ev: &Evidence) -> Vec<Finding> {
    problems(ev)
        .into_iter()
        .map(|p| {
            let mut f = Finding::new(&CHECK, format!("On {}: {}.", p.path, p.problems.join("; ")))
                .fact("problems", p.problems.join("; "));
            f.evidence = p.evidence;
            f
        })
        .collect()
}

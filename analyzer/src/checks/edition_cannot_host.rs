//! RDP041: this edition of Windows cannot accept Remote Desktop connections.
//!
//! Windows Home editions (`EditionID` Core, CoreN, CoreSingleLanguage, CoreCountrySpecific) and
//! the old Starter editions ship the Remote Desktop client but not the host: TermService runs for
//! other features, the settings page offers no "Enable Remote Desktop", and nothing listens on
//! 3389 whatever the registry says. The fix is an edition upgrade (Pro or higher), not
//! configuration. The edition comes from the manifest (HKLM\...\CurrentVersion) or from a
//! registry export of that key.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;

pub static CHECK: Check = Check {
    id: "RDP041",
    name: "edition-cannot-host",
    severity: Severity::Error,
    title: "This Windows edition cannot host Remote Desktop connections",
    explanation: "Windows Home (and Starter) editions include only the Remote Desktop client. \
                  They cannot accept incoming RDP connections, whatever the settings.",
    remediation:
        "Upgrade the edition to Windows Pro, Enterprise or Education (Settings > System > \
                  Activation > Change product key or Upgrade in the Microsoft Store), or use \
                  another remote-assistance tool (Quick Assist) for this machine.",
    needs: &[],
    fixture: "fixtures/edition-home",
    requires: Some(missing),
    run,
};

const CURRENT_VERSION: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion";

fn is_home(edition: &str) -> bool {
    let e = edition.trim().to_ascii_lowercase();
    e.starts_with("core") && !e.contains("server") || e.starts_with("starter") || e.contains("home")
}

fn run(ev: &Evidence) -> Vec<Finding> {
    // A manifest without OS facts (`rdp-collect --offline` knows the volume, not its Windows)
    // leaves the edition to the SOFTWARE hive.
    let facts = ev
        .manifest
        .as_ref()
        .filter(|m| m.os.edition_id.is_some() || m.os.product_name.is_some());
    if let Some(m) = facts {
        let ed = m.os.edition_id.as_deref().unwrap_or("");
        let name = m.os.product_name.as_deref().unwrap_or("");
        if is_home(ed) || name.to_ascii_lowercase().contains(" home") {
            return vec![Finding::new(
                &CHECK,
                format!(
                    "The collected machine runs {} (EditionID {}): a Home edition includes the \
                     Remote Desktop client only.",
                    if name.is_empty() { "Windows" } else { name },
                    if ed.is_empty() { "unknown" } else { ed }
                ),
            )
            .fact("edition", ed)
            .evidence(EvidenceRef::file(
                "manifest.json",
                format!("\"product_name\": \"{name}\", \"edition_id\": \"{ed}\""),
            ))];
        }
        return Vec::new();
    }
    let Some(h) = ev.reg_value(CURRENT_VERSION, "EditionID") else {
        return Vec::new();
    };
    let ed = h.value.data.as_str().unwrap_or("").to_string();
    if !is_home(&ed) {
        return Vec::new();
    }
    vec![Finding::new(
        &CHECK,
        format!("EditionID is {ed}: a Home edition includes the Remote Desktop client only."),
    )
    .fact("edition", &ed)
    .evidence(support::reg_ref(&h))]
}

/// Not evaluated without the manifest's OS facts or an export of CurrentVersion.
fn missing(ev: &Evidence) -> Option<String> {
    let manifest = ev
        .manifest
        .as_ref()
        .is_some_and(|m| m.os.edition_id.is_some() || m.os.product_name.is_some());
    if manifest {
        return None;
    }
    support::missing_key(ev, CURRENT_VERSION, "manifest.json").map(|_| {
        "the Windows edition is unknown: no manifest (rdp-collect) and no export of \
         HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::is_home;

    #[test]
    fn home_editions() {
        for e in [
            "Core",
            "CoreN",
            "CoreSingleLanguage",
            "CoreCountrySpecific",
            "Starter",
        ] {
            assert!(is_home(e), "{e}");
        }
        for e in [
            "Professional",
            "Enterprise",
            "ServerStandard",
            "ServerDatacenterCor",
            "ServerStandardCore",
            "Education",
        ] {
            assert!(!is_home(e), "{e}");
        }
    }
}

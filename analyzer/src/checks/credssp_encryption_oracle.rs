//! RDP016: the CredSSP "Encryption Oracle Remediation" policy refuses unpatched clients, or
//! leaves the server open to them.
//!
//! The May 2018 CredSSP update (CVE-2018-0886) added `AllowEncryptionOracle` under
//! `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters` (written by
//! the GPO "Encryption Oracle Remediation"): 0 Force Updated Clients, 1 Mitigated (the
//! default), 2 Vulnerable. On the RDP server, 0 makes CredSSP (NLA) refuse clients that never
//! got the update: they see "An authentication error has occurred ... This could be due to
//! CredSSP encryption oracle remediation". 2 accepts them, and is usually a workaround someone
//! set for that error and forgot, leaving NLA exposed to the oracle attack.

use super::support;
use super::{Check, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP016",
    name: "credssp-encryption-oracle",
    severity: Severity::Warning,
    title: "CredSSP encryption oracle remediation refuses unpatched clients or is set to Vulnerable",
    explanation: "AllowEncryptionOracle controls how CredSSP (used by NLA) treats peers without \
                  the May 2018 CredSSP update: 0 (Force Updated Clients) refuses them, 2 \
                  (Vulnerable) accepts them and exposes the server to CVE-2018-0886.",
    remediation: "Update the clients (any Windows or mstsc release since May 2018 has the fix) \
                  and set 'Encryption Oracle Remediation' to Mitigated or Force Updated Clients: \
                  Computer Configuration > Administrative Templates > System > Credentials \
                  Delegation, or AllowEncryptionOracle = 1 under \
                  HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters. \
                  Do not leave it at Vulnerable once the clients are patched.",
    needs: &[Kind::Registry],
    fixture: "fixtures/credssp-oracle-vulnerable",
    requires: Some(missing),
    run,
};

pub const CREDSSP_KEY: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters";
const POLICY_NAMES: &[&str] = &["Encryption Oracle Remediation"];

fn run(ev: &Evidence) -> Vec<Finding> {
    let Some(hit) = ev.reg_value(CREDSSP_KEY, "AllowEncryptionOracle") else {
        return Vec::new();
    };
    let Some(value) = hit.value.data.as_u32() else {
        return Vec::new();
    };
    let gpo = support::policy_gpo(ev, POLICY_NAMES);
    let by = gpo
        .as_ref()
        .map(|(g, _)| format!(" (set by Group Policy '{g}')"))
        .unwrap_or_default();
    let (title, message, level) = match value {
        0 => (
            "CredSSP refuses clients without the 2018 CredSSP update (Force Updated Clients)",
            format!(
                "AllowEncryptionOracle = 0 (Force Updated Clients){by}: clients that never got the \
                 May 2018 CredSSP update (unpatched Windows 7/8.1/10 before 1803, old thin clients \
                 and third-party CredSSP stacks) are refused during NLA with 'An authentication \
                 error has occurred ... CredSSP encryption oracle remediation'. Patched clients \
                 are not affected."
            ),
            "force-updated-clients",
        ),
        2 => (
            "CredSSP encryption oracle remediation is set to Vulnerable",
            format!(
                "AllowEncryptionOracle = 2 (Vulnerable){by}: the server accepts CredSSP peers \
                 without the May 2018 update, which leaves NLA open to the encryption oracle \
                 attack (CVE-2018-0886). It is typically set to get past the 'CredSSP encryption \
                 oracle remediation' error instead of patching the client."
            ),
            "vulnerable",
        ),
        _ => return Vec::new(),
    };
    let mut f = Finding::new(&CHECK, message)
        .title(title)
        // Force Updated Clients is the secure choice: worth knowing when an old client fails,
        // not a fault.
        .severity(if value == 0 {
            Severity::Info
        } else {
            Severity::Warning
        })
        .fact("AllowEncryptionOracle", value)
        .fact("level", level)
        .evidence(support::reg_ref(&hit));
    if let Some((g, r)) = gpo {
        f = f.fact("winning_gpo", g).evidence(r);
    }
    vec![f]
}

/// Not evaluated without the CredSSP policy export, unless the manifest says the key does not
/// exist (then the default, Mitigated, applies).
fn missing(ev: &Evidence) -> Option<String> {
    if support::key_absent_on_machine(ev, "registry/credssp-policy.reg") {
        return None;
    }
    support::missing_key(
        ev,
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP",
        "registry/credssp-policy.reg",
    )
}

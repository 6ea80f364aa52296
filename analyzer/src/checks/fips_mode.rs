//! RDP018: FIPS mode (or the FIPS encryption level) limits RDP to clients that support it.
//!
//! The security option "System cryptography: Use FIPS compliant algorithms for encryption,
//! hashing, and signing" writes `Lsa\FIPSAlgorithmPolicy\Enabled` = 1. Windows then restricts
//! Schannel to FIPS-approved cipher suites and makes the RDP listener use FIPS encryption
//! (encryption level 4, what `MinEncryptionLevel` = 4 asks for explicitly) on standard RDP
//! security. Clients without FIPS-compliant RDP encryption (older macOS/iOS Remote Desktop apps,
//! some FreeRDP builds and thin clients) then fail to connect while Windows clients work, which
//! is what makes the cause hard to see.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP018",
    name: "fips-mode",
    severity: Severity::Warning,
    title: "FIPS mode restricts RDP to FIPS-capable clients",
    explanation: "FIPS-compliant algorithms are enforced (Lsa FIPSAlgorithmPolicy, or the \
                  listener's encryption level 4). Clients that cannot do FIPS-compliant RDP \
                  encryption or the restricted TLS cipher suites are refused.",
    remediation: "If FIPS mode is not a compliance requirement, set 'System cryptography: Use \
                  FIPS compliant algorithms for encryption, hashing, and signing' to Disabled (in \
                  the GPO named below, or secpol.msc > Local Policies > Security Options) and \
                  'Set client connection encryption level' to High Level, then restart. If it is \
                  required, use clients that support FIPS mode (current mstsc, the current \
                  Windows App / Remote Desktop apps).",
    needs: &[Kind::Registry, Kind::Secedit, Kind::Gpresult],
    fixture: "fixtures/fips-mode",
    requires: Some(missing),
    run,
};

pub const FIPS_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa\FIPSAlgorithmPolicy";
const FIPS_SECEDIT: &str =
    r"MACHINE\System\CurrentControlSet\Control\Lsa\FIPSAlgorithmPolicy\Enabled";
pub const FIPS_OPTION_NAMES: &[&str] = &[
    "System cryptography: Use FIPS compliant algorithms for encryption, hashing, and signing",
    "System cryptography: Use FIPS 140 compliant cryptographic algorithms, including encryption, hashing and signing algorithms",
];

/// Whether FIPS mode is on, with the evidence that says so.
pub fn fips_enabled(ev: &Evidence) -> (bool, Vec<EvidenceRef>, Option<String>) {
    let mut refs = Vec::new();
    let mut on = false;
    if let Some(h) = ev.reg_value(FIPS_KEY, "Enabled") {
        if h.value.data.as_u32().is_some_and(|v| v != 0) {
            on = true;
            refs.push(support::reg_ref(&h));
        }
    }
    for s in &ev.secedit {
        if let Some((e, data)) = s.value.registry_value(FIPS_SECEDIT) {
            if data.trim() == "1" {
                on = true;
                refs.push(EvidenceRef::line(
                    &s.artifact,
                    e.line,
                    format!("{}={}", e.key, e.value),
                ));
            }
        }
    }
    let mut gpo = None;
    if let Some((g, setting, r)) = support::security_setting_gpo(ev, FIPS_OPTION_NAMES) {
        if crate::parse::gpresult::policy_state(&setting)
            == crate::parse::gpresult::PolicyState::Enabled
        {
            on = true;
            refs.push(r);
            gpo = Some(g);
        }
    }
    (on, refs, gpo)
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let (fips, mut refs, gpo) = fips_enabled(ev);
    let level = support::ts_setting(
        ev,
        "MinEncryptionLevel",
        crate::evidence::RDP_TCP_KEY,
        super::security_negotiation::ENCRYPTION_LEVEL_POLICY,
    );
    let level4 = level.as_ref().filter(|l| l.value == 4);
    if !fips && level4.is_none() {
        return Vec::new();
    }
    let mut parts = Vec::new();
    if fips {
        parts.push(format!(
            "FIPS-compliant algorithms are enforced system-wide{}",
            gpo.as_ref()
                .map(|g| format!(" by Group Policy '{g}'"))
                .unwrap_or_default()
        ));
    }
    if let Some(l) = level4 {
        parts.push(format!(
            "the listener's encryption level is FIPS compliant ({})",
            l.describe()
        ));
        refs.extend(l.refs());
    }
    let layer = super::security_negotiation::settings(ev)
        .security_layer
        .map(|s| s.value);
    let mut msg = format!(
        "{}. Clients that cannot do FIPS-compliant RDP encryption or the FIPS-approved TLS \
         cipher suites (older macOS/iOS Remote Desktop apps, some FreeRDP builds and thin \
         clients) are refused; current Windows clients are not affected.",
        parts.join("; and ")
    );
    if layer == Some(0) {
        msg.push_str(
            " The security layer is standard RDP security, where the FIPS level applies in full.",
        );
    }
    let mut f = Finding::new(&CHECK, msg)
        .fact("fips_policy", fips)
        .fact("min_encryption_level_4", level4.is_some());
    if let Some(g) = gpo {
        f = f.fact("winning_gpo", g);
    }
    f.evidence = refs;
    vec![f]
}

/// Not evaluated without the Lsa export or a secedit export of security options.
fn missing(ev: &Evidence) -> Option<String> {
    let secedit = ev
        .secedit
        .iter()
        .any(|s| s.value.section("Registry Values").is_some());
    if secedit {
        return None;
    }
    support::missing_key(ev, FIPS_KEY, "registry/lsa.reg")
}

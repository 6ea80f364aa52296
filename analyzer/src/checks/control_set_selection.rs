//! RDP047: the control set Windows boots with is not the one expected.
//!
//! `HKLM\SYSTEM\CurrentControlSet` does not exist in a hive file: at boot Windows links it to
//! `ControlSetNNN`, NNN being `HKLM\SYSTEM\Select\Current` (normally equal to `Default`).
//! `LastKnownGood` names the set of the last boot that reached a logon. When they differ, the
//! machine booted (or will boot) a set other than the usual one, e.g. after "Last Known Good
//! Configuration" was chosen, and settings repaired in one set are not those in effect. When
//! `Current` names a set that is not in the hive (or `Select` is missing), Windows cannot
//! resolve CurrentControlSet and fails to boot with that hive. Read offline, the hive's
//! CurrentControlSet keys are those of `Current`; this finding says when that choice is
//! doubtful.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP047",
    name: "control-set-selection",
    severity: Severity::Warning,
    title: "The SYSTEM hive's control set selection is unusual or broken",
    explanation: "HKLM\\SYSTEM\\Select\\Current names the control set CurrentControlSet links \
                  to. It differs from Default or LastKnownGood, or names a set missing from the \
                  hive, so the settings in effect at the next boot may not be the ones read.",
    remediation: "Check which ControlSetNNN holds the RDP settings you expect. To boot the \
                  Default set again, set Select\\Current (and Default) to its number in the \
                  offline SYSTEM hive (reg load HKLM\\OFFLINE ...\\SYSTEM, edit, reg unload); if \
                  Current names a missing set, point it at an existing one (LastKnownGood is the \
                  last set that booted to a logon).",
    needs: &[Kind::RegistryHive],
    fixture: "fixtures/offline-control-set",
    requires: None,
    run,
};

fn name(n: Option<u32>) -> String {
    n.map(|n| format!("{n} (ControlSet{n:03})"))
        .unwrap_or_else(|| "(absent)".into())
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for h in &ev.hives {
        let Some(sets) = &h.value.control_sets else {
            continue;
        };
        let present: Vec<String> = sets
            .present
            .iter()
            .map(|n| format!("ControlSet{n:03}"))
            .collect();
        let excerpt = format!(
            r"[HKEY_LOCAL_MACHINE\SYSTEM\Select] Current={} Default={} LastKnownGood={}; present: {}",
            name(sets.current),
            name(sets.default),
            name(sets.last_known_good),
            if present.is_empty() {
                "none".to_string()
            } else {
                present.join(", ")
            }
        );
        let base = |message: String, problem: &str| {
            Finding::new(&CHECK, message)
                .fact("artifact", &h.artifact)
                .fact("problem", problem)
                .fact(
                    "current",
                    sets.current.map(|n| n.to_string()).unwrap_or_default(),
                )
                .evidence(EvidenceRef::file(&h.artifact, excerpt.clone()))
        };
        match sets.current {
            None => out.push(
                base(
                    format!(
                        "{}: Select\\Current is missing, so CurrentControlSet cannot be \
                         resolved; no CurrentControlSet setting was read from this hive.",
                        h.artifact
                    ),
                    "no-current",
                )
                .severity(Severity::Error)
                .title(format!("{}: no Select\\Current", h.artifact)),
            ),
            Some(c) if !sets.present.contains(&c) => out.push(
                base(
                    format!(
                        "{}: Select\\Current is {c} but ControlSet{c:03} is not in the hive \
                         (present: {}). Windows cannot resolve CurrentControlSet from it; no \
                         CurrentControlSet setting was read from this hive.",
                        h.artifact,
                        if present.is_empty() {
                            "none".to_string()
                        } else {
                            present.join(", ")
                        }
                    ),
                    "current-missing",
                )
                .severity(Severity::Error)
                .title(format!(
                    "{}: Select\\Current points at missing ControlSet{c:03}",
                    h.artifact
                )),
            ),
            Some(c) => {
                let mut differs = Vec::new();
                if let Some(d) = sets.default.filter(|d| *d != c) {
                    differs.push(format!("Default is {d}"));
                }
                if let Some(l) = sets.last_known_good.filter(|l| *l != c) {
                    differs.push(format!("LastKnownGood is {l}"));
                }
                if differs.is_empty() {
                    continue;
                }
                // LastKnownGood alone differing is how Windows XP-era machines often look
                // (it moves on each good logon): worth saying, not a fault.
                let severity = if sets.default.is_some_and(|d| d != c) {
                    Severity::Warning
                } else {
                    Severity::Info
                };
                out.push(
                    base(
                        format!(
                            "{}: CurrentControlSet is ControlSet{c:03} (Select\\Current = {c}) \
                             but {}. The settings read are those of ControlSet{c:03}; a repair \
                             made in another set does not take effect.",
                            h.artifact,
                            differs.join(" and ")
                        ),
                        "differs",
                    )
                    .severity(severity)
                    .title(format!(
                        "{}: CurrentControlSet is ControlSet{c:03}, {}",
                        h.artifact,
                        differs.join(", ")
                    )),
                );
            }
        }
    }
    out
}

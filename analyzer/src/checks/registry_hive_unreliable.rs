//! RDP046: a registry hive file is damaged, or dirty without its transaction logs.
//!
//! Windows writes hive changes first to the transaction logs beside the hive (`SYSTEM.LOG1`,
//! `SYSTEM.LOG2`) and flushes them into the hive later; until then the hive's two base-block
//! sequence numbers differ ("dirty"). A disk taken from a machine that crashed or lost power,
//! or a hive copied without its logs, holds only what was flushed: recent changes (a setting
//! "fixed" minutes before the failure, a service re-enabled) are missing from it. The analyzer
//! applies the logs when they are beside the hive; otherwise this finding says the hive is
//! stale. A hive whose cells or subkey lists are damaged is read as far as it goes: the keys
//! that could not be reached are named, and the checks that need them are "cannot tell" (not
//! evaluated), never "not configured".

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP046",
    name: "registry-hive-unreliable",
    severity: Severity::Warning,
    title: "A registry hive is damaged or misses changes still in its transaction logs",
    explanation: "A raw hive from the disk is dirty (changes were still in its .LOG1/.LOG2 \
                  files, which were not beside it) or parts of it are damaged. What was read is \
                  analyzed; settings in the missing parts cannot be told.",
    remediation: "Copy the hive again together with its transaction logs (SYSTEM, SYSTEM.LOG1, \
                  SYSTEM.LOG2 from Windows\\System32\\config, same for SOFTWARE) and analyze \
                  them together. For a damaged hive, compare with the RegBack copy \
                  (Windows\\System32\\config\\RegBack) or a restore point before repairing it \
                  offline.",
    needs: &[Kind::RegistryHive],
    fixture: "fixtures/offline-hive-damaged",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for h in &ev.hives {
        let hive = &h.value;
        if hive.unrecovered() {
            let notes = if hive.log_notes.is_empty() {
                String::new()
            } else {
                format!(" The reader said: {}.", hive.log_notes.join("; "))
            };
            out.push(
                Finding::new(
                    &CHECK,
                    format!(
                        "{} is dirty (base block sequence numbers {} and {}) and no usable \
                         transaction log (.LOG1/.LOG2) was beside it: it was read as it is, \
                         without the changes Windows had not yet flushed into it. Settings \
                         changed shortly before the machine stopped may show their older \
                         values here.{notes}",
                        h.artifact, hive.base.primary_sequence, hive.base.secondary_sequence
                    ),
                )
                .title(format!("{}: dirty hive read without its logs", h.artifact))
                .fact("artifact", &h.artifact)
                .fact("problem", "dirty")
                .evidence(EvidenceRef::file(
                    &h.artifact,
                    format!(
                        "regf base block: primary sequence {}, secondary {}",
                        hive.base.primary_sequence, hive.base.secondary_sequence
                    ),
                )),
            );
        }
        let stopped: Vec<&String> = hive
            .log_notes
            .iter()
            .filter(|n| n.starts_with("Stopping") || n.contains("hash mismatch"))
            .collect();
        if !hive.logs_applied.is_empty() && !stopped.is_empty() {
            out.push(
                Finding::new(
                    &CHECK,
                    format!(
                        "{}: its transaction logs ({}) were applied only in part: {}. Changes \
                         after that point are missing from what was read.",
                        h.artifact,
                        hive.logs_applied.join(", "),
                        stopped
                            .iter()
                            .take(3)
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                )
                .title(format!("{}: transaction logs applied in part", h.artifact))
                .fact("artifact", &h.artifact)
                .fact("problem", "logs-incomplete")
                .evidence(EvidenceRef::file(
                    &h.artifact,
                    stopped
                        .iter()
                        .take(1)
                        .map(|s| s.as_str())
                        .collect::<String>(),
                )),
            );
        }
        if !hive.damage.is_empty() {
            let cannot_tell = hive.damage.iter().any(|d| d.contains("cannot tell"));
            let mut f = Finding::new(
                &CHECK,
                format!(
                    "{} is damaged: {}. The rest of the hive was read; checks that need the \
                     unreadable keys are listed as not evaluated (cannot tell), not as passed.",
                    h.artifact,
                    hive.damage
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            )
            .title(format!("{}: damaged hive, parts unreadable", h.artifact))
            .fact("artifact", &h.artifact)
            .fact("problem", "damaged")
            .fact("cannot_tell", cannot_tell);
            for d in hive.damage.iter().take(5) {
                f = f.evidence(EvidenceRef::file(&h.artifact, d.clone()));
            }
            out.push(f);
        }
    }
    out
}

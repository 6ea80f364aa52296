//! RDP059: parts of an event log could not be read (damaged chunks or records, a file cut
//! short), or were left out to bound memory.
//!
//! Logs copied from a live system, carved from a disk, exported while being written or cut by
//! an upload limit have unreadable chunks among good ones. The good ones are read anyway; this
//! says how much is missing, because a diagnosis drawn from the rest may miss the one event
//! that mattered. A flooded log keeps only the newest events (see `evtx::MAX_EVENTS`), which
//! is said too, since counts then cover the newest only.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::evtx::MAX_EVENTS_PER_ID;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP059",
    name: "event-log-damaged",
    severity: Severity::Warning,
    title: "Parts of an event log could not be read",
    explanation: "Some chunks or records of an event log were unreadable (damaged, or the file \
                  was cut short), or only the newest events of a flooded log were kept. The \
                  rest was analyzed; diagnoses drawn from it may miss events.",
    remediation: "Collect the log again from the machine (rdp-collect, or `wevtutil epl \
                  Security Security.evtx`) and send it without re-compressing or truncating it; \
                  for a log that is damaged on the machine itself, clear it after saving a copy.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/event-log-damaged",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for (artifact, log) in ev.event_logs() {
        if log.records_skipped == 0 && log.chunks_skipped == 0 && log.events_dropped == 0 {
            continue;
        }
        let mut parts = Vec::new();
        if log.records_skipped > 0 {
            parts.push(format!(
                "{} of {} record(s) unreadable",
                log.records_skipped, log.records_seen
            ));
        }
        if log.chunks_skipped > 0 {
            parts.push(format!("{} chunk(s) unreadable", log.chunks_skipped));
        }
        if log.events_dropped > 0 {
            parts.push(format!(
                "{} older event(s) left out (at most {MAX_EVENTS_PER_ID} of one id are kept)",
                log.events_dropped
            ));
        }
        // Damage beyond a stray record is worth a warning; a trimmed flood is only said.
        let damaged =
            log.chunks_skipped > 0 || log.records_skipped.saturating_mul(100) > log.records_seen;
        let severity = if damaged {
            Severity::Warning
        } else {
            Severity::Info
        };
        let mut f = Finding::new(
            &CHECK,
            format!(
                "{artifact}: {}. First problems: {}",
                parts.join(", "),
                if log.errors.is_empty() {
                    "none recorded".to_string()
                } else {
                    log.errors
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            ),
        )
        .title(format!("{artifact}: {}", parts.join(", ")))
        .severity(severity)
        .fact("artifact", artifact)
        .fact("records_seen", log.records_seen)
        .fact("records_skipped", log.records_skipped)
        .fact("chunks_skipped", log.chunks_skipped)
        .fact("events_dropped", log.events_dropped);
        if let Some(first) = log.errors.first() {
            f = f.evidence(EvidenceRef::file(artifact, first));
        }
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::*;

    #[test]
    fn truncated_event_xml_is_counted() {
        let good = security_event(
            4624,
            1,
            "2026-03-01T09:00:00.0000000Z",
            &[("TargetUserName", "jdoe"), ("LogonType", "10")],
        );
        let cut = &good[..good.len() / 2];
        let out = run(&evidence_from_xml(&[(
            "events/Security.xml",
            &format!("{good}\r\n{cut}"),
        )]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].facts["records_skipped"], "1");
        assert!(
            out[0].evidence[0].excerpt.starts_with("line 2:"),
            "{:?}",
            out[0].evidence
        );
        assert!(run(&evidence_from_xml(&[("events/Security.xml", &good)])).is_empty());
    }

    #[test]
    fn damaged_real_logs() {
        let Some(ev) = evidence_from_samples(&[
            "evtx-crate__sample_with_a_bad_chunk_magic.evtx",
            "evtx-crate__security.evtx",
        ]) else {
            return;
        };
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].facts["chunks_skipped"], "2");
        assert_eq!(out[0].severity, Severity::Warning);
    }
}

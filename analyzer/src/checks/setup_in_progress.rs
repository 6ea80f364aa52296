//! RDP056: Remote Desktop Services refused logons because setup was running
//! (LocalSessionManager 34).
//!
//! While Windows setup or a feature update finishes (the "out of box" phase after an upgrade,
//! or an interrupted one that keeps restarting), LocalSessionManager refuses every logon with
//! event 34 and clients fail after authenticating. It is an error when nothing was logged on
//! since the last such event.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{summarize_event, EventSource, Evidence};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP056",
    name: "setup-in-progress",
    severity: Severity::Error,
    title: "Remote Desktop refused logons because setup is running",
    explanation: "LocalSessionManager event 34 says Remote Desktop Services does not accept \
                  logons because Windows setup is running (a feature update or an installation \
                  finishing). Every RDP logon fails until it completes.",
    remediation: "Let the update finish: log on at the console (or the hypervisor console) and \
                  complete or roll back the pending update; reboot if setup is stuck. Check \
                  'HKLM\\SYSTEM\\Setup' (SystemSetupInProgress, OOBEInProgress should be 0) \
                  when it keeps coming back.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/setup-in-progress",
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let refusals = ev.events_from(EventSource::LocalSessionManager, &[34]);
    let Some(&(artifact, last)) = refusals.last() else {
        return Vec::new();
    };
    let last_session = ev.events_from(EventSource::LocalSessionManager, &[21, 25]);
    let since = last_session.last().filter(|(_, s)| s.time > last.time);
    let mut f = Finding::new(
        &CHECK,
        format!(
            "Remote Desktop Services refused logons because setup was running {} time(s), last \
             at {}.{}",
            refusals.len(),
            last.time,
            match since {
                Some((_, s)) =>
                    format!(" A session started since ({}): setup has finished.", s.time),
                None => " No session has started since.".into(),
            }
        ),
    )
    .fact("count", refusals.len())
    .fact("last", &last.time)
    .evidence(EvidenceRef::record(
        artifact,
        last.record_id,
        summarize_event(last),
    ));
    if since.is_some() {
        f = f.severity(Severity::Info);
    }
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::*;

    #[test]
    fn refusal_is_an_error_until_a_session_starts() {
        let refusal = user_data_event(LSM, LSM_CHANNEL, 34, 5, "2026-03-01T09:00:00.0000000Z", &[]);
        let out = run(&evidence_from_xml(&[("lsm.xml", &refusal)]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Error);
        let later = user_data_event(
            LSM,
            LSM_CHANNEL,
            21,
            6,
            "2026-03-01T10:00:00.0000000Z",
            &[
                ("User", "CORP\\jdoe"),
                ("SessionID", "2"),
                ("Address", "10.0.0.5"),
            ],
        );
        let out = run(&evidence_from_xml(&[(
            "lsm.xml",
            &[refusal, later].join("\r\n"),
        )]));
        assert_eq!(out[0].severity, Severity::Info);
    }
}

//! RDP031: Windows setup (or OOBE) is still in progress, so Remote Desktop refuses logons.
//!
//! While `HKLM\SYSTEM\Setup` has `SystemSetupInProgress` = 1 or `OOBEInProgress` = 1 (an image
//! that was sysprepped and never finished the out-of-box experience, a failed feature update),
//! the Local Session Manager refuses remote logons and logs LocalSessionManager event 34
//! "Remote Desktop Services is not accepting logons because setup is running". The machine
//! answers on 3389 and every check of the listener looks fine.
//!
//! Event 34 is a past state, not the present one: every machine logs it during its first OOBE,
//! and a log kept for months still holds it. So event 34 alone counts only while nothing later
//! on the same machine shows sessions being given (LocalSessionManager 21/22/25; not a
//! remote-interactive 4624, which LSA logs before the Local Session Manager refuses the session): a real 2012 R2 DC's log holds 24 of
//! them from its first boot, followed by two days of RDP logons. The Setup key, when collected,
//! is the present state and always counts.

use super::support;
use super::{Check, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP031",
    name: "setup-in-progress",
    severity: Severity::Error,
    title: "Windows setup is still in progress: Remote Desktop refuses logons",
    explanation: "The Setup key says setup or the out-of-box experience has not finished \
                  (SystemSetupInProgress / OOBEInProgress = 1), or the Local Session Manager \
                  logged event 34. Remote Desktop does not accept logons until setup completes.",
    remediation: "Finish setup at the console (complete OOBE, or let the pending feature update \
                  finish and reboot). On a sysprepped image that is stuck, check \
                  C:\\Windows\\Panther\\UnattendGC\\setupact.log; only as a last resort set \
                  SystemSetupInProgress, OOBEInProgress and SetupType to 0 under \
                  HKLM\\SYSTEM\\Setup and reboot.",
    needs: &[Kind::Registry, Kind::Evtx],
    fixture: "fixtures/setup-in-progress",
    requires: Some(missing),
    run,
};

pub const SETUP_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\Setup";

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut refs = Vec::new();
    let mut flags = Vec::new();
    for name in ["SystemSetupInProgress", "OOBEInProgress"] {
        if let Some(h) = ev.reg_value(SETUP_KEY, name) {
            if h.value.data.as_u32().is_some_and(|v| v != 0) {
                flags.push(format!("{name} = 1"));
                refs.push(support::reg_ref(&h));
            }
        }
    }
    let mut events = support::provider_events(ev, &[34], "LocalSessionManager");
    let sessions = LastSessions::of(ev);
    events.retain(|(log, e)| !sessions.after(log, e));
    if flags.is_empty() && events.is_empty() {
        return Vec::new();
    }
    let mut parts = flags.clone();
    if let (Some((_, first)), Some((_, last))) = (events.first(), events.last()) {
        parts.push(format!(
            "the Local Session Manager logged event 34 (not accepting logons because setup is \
             running) {} time(s), {} .. {}",
            events.len(),
            first.time,
            last.time
        ));
    }
    let mut f = Finding::new(&CHECK, format!("{}.", parts.join("; ")))
        .fact("flags", flags.join(","))
        .fact("events", events.len());
    f.evidence = refs;
    for (a, e) in events.iter().take(3) {
        f = f.evidence(support::event_ref(
            a,
            e,
            "not accepting logons because setup is running",
        ));
    }
    vec![f]
}

/// The latest session the Local Session Manager gave (21/22/25), per log and per computer:
/// gathered once, so each event 34 is judged by two look-ups.
struct LastSessions<'a> {
    by_log: std::collections::HashMap<&'a str, &'a str>,
    by_computer: std::collections::HashMap<String, &'a str>,
}

impl<'a> LastSessions<'a> {
    fn of(ev: &'a Evidence) -> Self {
        let mut by_log: std::collections::HashMap<&str, &str> = Default::default();
        let mut by_computer: std::collections::HashMap<String, &str> = Default::default();
        for (log, e) in support::provider_events(ev, &[21, 22, 25], "LocalSessionManager") {
            let t = e.time.as_str();
            let latest = by_log.entry(log).or_default();
            *latest = (*latest).max(t);
            let latest = by_computer.entry(e.computer.to_ascii_lowercase()).or_default();
            *latest = (*latest).max(t);
        }
        LastSessions {
            by_log,
            by_computer,
        }
    }

    /// Whether the machine that logged `e` (event 34, in `log`) gave a session after it: setup
    /// was over. The same machine is the same computer name or the same log file: setup is when
    /// a machine gets its final name, so the OOBE events of a real DC name `WIN-…` and its later
    /// logons the DC's own name, in one log.
    fn after(&self, log: &str, e: &crate::parse::evtx::Event) -> bool {
        let t = e.time.as_str();
        self.by_log.get(log).is_some_and(|l| *l > t)
            || self
                .by_computer
                .get(&e.computer.to_ascii_lowercase())
                .is_some_and(|l| *l > t)
    }
}

/// Not evaluated without the Setup key or the LocalSessionManager log.
fn missing(ev: &Evidence) -> Option<String> {
    let lsm = ev.events.iter().any(|l| {
        l.artifact.contains("LocalSessionManager")
            || l.value
                .events
                .iter()
                .any(|e| e.provider.contains("LocalSessionManager"))
    });
    if lsm {
        return None;
    }
    support::missing_key(ev, SETUP_KEY, "registry/setup.reg")
}

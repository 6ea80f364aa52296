//! RDP039: the clock is out of step with the domain (or not synchronized at all).
//!
//! Kerberos, which NLA uses for domain accounts, refuses authentication when the clocks of client,
//! server and domain controller differ by more than five minutes (MaxClockSkew). The server then
//! logs 4625 with status 0xC0000133 (STATUS_TIME_DIFFERENCE_AT_DC) and users see an
//! authentication error although the password is right. `w32tm /query /status` says where the
//! clock takes its time from, when it last synchronized and, with `/verbose`, the phase offset to
//! that source; "Local CMOS Clock" or "Free-running System Clock" on a domain member means it
//! follows nobody and drifts.

use super::remote_logon_rights::failed_logons_with_status;
use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;
use crate::parse::w32tm::Field;

pub static CHECK: Check = Check {
    id: "RDP039",
    name: "clock-skew",
    severity: Severity::Error,
    title: "The clock is out of step with the domain",
    explanation: "Kerberos (NLA with domain accounts) fails when this machine's clock differs \
                  from the domain controller's by more than five minutes. Failed logons with \
                  0xC0000133, a large w32tm phase offset, or a clock that follows no time source \
                  show it.",
    remediation: "Resynchronize with the domain hierarchy: `w32tm /config /syncfromflags:domhier \
                  /update`, `net stop w32time && net start w32time`, `w32tm /resync /rediscover`, \
                  then check `w32tm /query /status`. On a VM, make sure the host's time \
                  synchronization does not fight the domain's (disable it for domain members, or \
                  fix the host's clock). If the DC itself is wrong, fix the PDC emulator's \
                  external time source.",
    needs: &[Kind::W32tm, Kind::Evtx],
    fixture: "fixtures/clock-skew",
    requires: None,
    run,
};

const MAX_SKEW_SECONDS: f64 = 300.0;

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let skew_events = failed_logons_with_status(ev, 0xC000_0133);
    let domain = support::domain_joined(ev);
    let mut reasons = Vec::new();
    let mut refs = Vec::new();
    let mut severity = None::<Severity>;
    let raise = |s: Severity, cur: &mut Option<Severity>| {
        if cur.is_none_or(|c| s < c) {
            *cur = Some(s);
        }
    };
    if !skew_events.is_empty() {
        // A 4625 that failed before the user name was known writes `-` or nothing (a real
        // Windows 10 log: domain `-`, user empty): name only the users the events give.
        let users: std::collections::BTreeSet<&str> = skew_events
            .iter()
            .map(|(_, _, u)| u.as_str())
            .filter(|u| u.chars().any(|c| c.is_alphanumeric()))
            .collect();
        let whom = if users.is_empty() {
            String::new()
        } else {
            format!(" for {}", users.into_iter().collect::<Vec<_>>().join(", "))
        };
        reasons.push(format!(
            "{} logon(s) failed with 0xC0000133 (clock difference with the domain controller too \
             large){whom}",
            skew_events.len(),
        ));
        for (a, e, u) in skew_events.iter().take(3) {
            refs.push(EvidenceRef::record(
                a,
                e.record_id,
                format!(
                    "4625 {}status 0xC0000133 (time difference at DC)",
                    if u.trim().is_empty() {
                        String::new()
                    } else {
                        format!("{} ", u.trim())
                    }
                ),
            ));
        }
        // A past state: logons that succeeded after the last refusal mean the clock was put
        // right since (Kerberos would have refused them too).
        let last_refusal = skew_events.iter().map(|(_, e, _)| e.time.as_str()).max();
        let later = support::last_logon_by_user(ev)
            .into_values()
            .max()
            .filter(|t| last_refusal.is_some_and(|r| *t > r));
        match later {
            Some(t) => {
                reasons.push(format!(
                    "logons succeeded after the last of them (latest {t}), so the clock was put \
                     right since"
                ));
                raise(Severity::Info, &mut severity);
            }
            None => raise(Severity::Error, &mut severity),
        }
    }
    for t in &ev.time_status {
        let s = &t.value;
        let line_ref = |f: Field, what: &str| {
            s.get(f).map(|l| {
                EvidenceRef::line(
                    &t.artifact,
                    l.line,
                    format!("{}: {} ({what})", l.label, l.value),
                )
            })
        };
        if let Some((msg, hr, line)) = &s.error {
            reasons.push(format!(
                "w32tm could not query the Windows Time service (0x{hr:08X}): it is probably not \
                 running, so nothing keeps the clock in step"
            ));
            refs.push(EvidenceRef::line(&t.artifact, *line, msg.clone()));
            raise(Severity::Warning, &mut severity);
            continue;
        }
        if let Some(off) = s.seconds(Field::PhaseOffset) {
            if off.abs() > MAX_SKEW_SECONDS {
                reasons.push(format!(
                    "the phase offset to the time source is {off:.1} s, beyond Kerberos' 300 s"
                ));
                refs.extend(line_ref(Field::PhaseOffset, "offset to the time source"));
                raise(Severity::Error, &mut severity);
            }
        }
        let unsynced = s.source_is_local() || s.not_synchronized() || s.never_synced();
        if unsynced {
            let src = s
                .get(Field::Source)
                .map(|l| l.value.clone())
                .unwrap_or_default();
            reasons.push(format!(
                "the clock is not synchronized with any time source (Source: {src}{}{})",
                if s.not_synchronized() {
                    ", leap indicator 3"
                } else {
                    ""
                },
                if s.never_synced() {
                    ", no successful sync on record"
                } else {
                    ""
                }
            ));
            refs.extend(line_ref(Field::Source, "time source"));
            refs.extend(line_ref(Field::LastSuccessfulSyncTime, "last sync"));
            raise(
                if domain == Some(false) {
                    Severity::Info
                } else {
                    Severity::Warning
                },
                &mut severity,
            );
        }
        if let Some(age) = s.seconds(Field::TimeSinceLastGoodSync) {
            if !unsynced && age > 7.0 * 86_400.0 {
                reasons.push(format!(
                    "the last good sync was {:.0} days ago",
                    age / 86_400.0
                ));
                refs.extend(line_ref(
                    Field::TimeSinceLastGoodSync,
                    "time since last good sync",
                ));
                raise(Severity::Warning, &mut severity);
            }
        }
    }
    let Some(severity) = severity else {
        return out;
    };
    let mut f = Finding::new(
        &CHECK,
        format!(
            "{}. Kerberos refuses domain logons (and NLA) when the clocks differ by more than \
             five minutes.",
            reasons.join("; ")
        ),
    )
    .severity(severity)
    .fact("failed_logons", skew_events.len());
    if severity == Severity::Info && ev.time_status.is_empty() && !skew_events.is_empty() {
        f = f.title("The clock was out of step with the domain (logons succeeded since)");
    } else if severity != Severity::Error {
        f = f.title("The clock is not kept in step with the domain");
    }
    f.evidence = refs;
    out.push(f);
    out
}

//! RDP038: the computer's secure channel with its domain is broken.
//!
//! Domain logons (and NLA with domain accounts) are verified by a domain controller over
//! Netlogon's secure channel, authenticated with the computer account's password. When that
//! password no longer matches (a VM snapshot restored, a machine re-imaged under the same name,
//! the account reset) or no DC can be reached, domain users cannot log on over RDP ("The trust
//! relationship between this workstation and the primary domain failed", or NLA errors) while
//! local accounts still work. `nltest /sc_query:<DOMAIN>` shows the channel's status; System
//! log event 5719 (NETLOGON) records each failure to set it up.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP038",
    name: "secure-channel-broken",
    severity: Severity::Error,
    title: "The secure channel with the domain is broken",
    explanation: "nltest reports the secure channel to a domain controller failing, or Netlogon \
                  logged event 5719 (no secure session with a DC). Domain accounts cannot be \
                  authenticated, so RDP logons with them fail.",
    remediation: "From an elevated prompt, logged on with a local administrator: `nltest \
                  /sc_reset:DOMAIN` (or PowerShell `Test-ComputerSecureChannel -Repair \
                  -Credential DOMAIN\\admin`). If the DC is unreachable, fix DNS (the client must \
                  use the domain's DNS servers) and connectivity to a DC first. If the computer \
                  account was reset or deleted, rejoin the domain.",
    needs: &[Kind::Nltest, Kind::Evtx],
    fixture: "fixtures/secure-channel-broken",
    requires: Some(missing),
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut refs = Vec::new();
    let mut parts = Vec::new();
    let mut status = None;
    let mut healthy_now = false;
    for n in &ev.secure_channel {
        match n.value.first_failure() {
            Some(st) => {
                parts.push(format!(
                    "nltest reports status {} {}{}",
                    st.code,
                    st.name,
                    match n.value.trusted_dc.as_deref() {
                        Some("") | None => " with no trusted DC".to_string(),
                        Some(dc) => format!(" (DC {dc})"),
                    }
                ));
                status.get_or_insert_with(|| st.name.clone());
                refs.push(EvidenceRef::line(
                    &n.artifact,
                    st.line,
                    format!("Status = {} {}", st.code, st.name),
                ));
            }
            None => healthy_now |= n.value.healthy() == Some(true),
        }
    }
    let events = support::provider_events(ev, &[5719], "netlogon");
    if let (Some((_, first)), Some((_, last))) = (events.first(), events.last()) {
        parts.push(format!(
            "Netlogon logged {} event(s) 5719 (could not set up a secure session with a domain \
             controller), {} .. {}",
            events.len(),
            first.time,
            last.time
        ));
        for (a, e) in events.iter().take(3) {
            refs.push(support::event_ref(
                a,
                e,
                "no secure session with a domain controller",
            ));
        }
    }
    if parts.is_empty() {
        return Vec::new();
    }
    let broken_now = status.is_some();
    let mut f = Finding::new(
        &CHECK,
        format!(
            "{}.{}",
            parts.join("; "),
            if broken_now {
                " Domain accounts cannot be verified; local accounts still work."
            } else if healthy_now {
                " nltest shows the channel healthy at collection time: it failed earlier (a \
                 boot before the network was up, DC outages); if RDP failures match these \
                 times, the channel is the cause."
            } else {
                " nltest output was not collected to tell whether it is still broken; a few \
                 5719 at boot are common, many during the day are not."
            }
        ),
    )
    .fact("events", events.len());
    match status {
        Some(s) => f = f.fact("status", s),
        None => {
            f = f
                .severity(Severity::Warning)
                .title("The secure channel with the domain failed at times (Netlogon 5719)")
        }
    }
    f.evidence = refs;
    vec![f]
}

/// Not evaluated without nltest output or the System log (where Netlogon writes 5719).
fn missing(ev: &Evidence) -> Option<String> {
    (ev.secure_channel.is_empty() && !support::has_system_log(ev)).then(|| {
        support::missing_because(
            ev,
            "commands/nltest-sc-query.txt",
            "nltest /sc_query output or System event log",
        )
    })
}

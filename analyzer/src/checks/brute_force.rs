//! RDP052: brute force or password spray: many failed logons from one source, or failures
//! across many users, in a short window; and floods of RDP connections from one address.
//!
//! An RDP port open to the internet draws password guessing within hours. It matters to a
//! user who cannot get in twice over: the guesses lock real accounts out (with an account
//! lockout policy), and the flood itself can exhaust the listener (RemoteConnectionManager
//! 1006). One address failing many times is brute force; one address trying many user names,
//! or many addresses each trying a few, is a password spray. RdpCoreTS 131 without any
//! authentication after it is what a guessing tool that never completes the handshake leaves.
//!
//! Where a failure comes from: with Network Level Authentication the 4625 is a network logon
//! (type 3, NtLmSsp) whose `IpAddress` is `-`; the client's address is only in RdpCoreTS 131
//! (`ClientIP`, connection accepted), 139 (`IPString`, security negotiation failed) and 140
//! (`IPString`, user name or password not correct). So an address-less failure takes the address
//! of the nearest of those within [`ATTRIBUTION_MS`], as a real DC brute-forced over RDP shows:
//! 95 such 4625s within 21 seconds of 345 connections from one internet address. RdpCoreTS 140
//! with no Security failure beside it (no Security log, or no failure auditing) counts itself.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{
    event_account, event_address, event_millis, summarize_event, EventSource, Evidence,
};
use crate::parse::evtx::Event;
use crate::parse::identify::Kind;
use crate::parse::ntstatus;
use std::collections::{BTreeMap, BTreeSet};

pub static CHECK: Check = Check {
    id: "RDP052",
    name: "brute-force",
    severity: Severity::Warning,
    title: "Password guessing against this machine",
    explanation: "Many failed logons came from one address in a short time (brute force), or \
                  failures spread over many user names (password spray), or one address opened \
                  RDP connections in a flood. Guessing locks real accounts out and can exhaust \
                  the RDP listener.",
    remediation: "Do not expose RDP to the internet: put it behind a VPN or an RD Gateway, or \
                  limit the 'Remote Desktop' firewall rules to known addresses (Remote IP \
                  address scope). Block the sources listed here at the perimeter, keep Network \
                  Level Authentication on, set an account lockout threshold, and check the \
                  targeted accounts for successful logons from these addresses.",
    needs: &[Kind::Evtx],
    fixture: "fixtures/brute-force",
    requires: None,
    run,
};

/// The window guessing is counted in.
const WINDOW_MS: i64 = 10 * 60 * 1000;
/// Failures from one source within the window that make brute force.
const BRUTE_FORCE_FAILURES: usize = 20;
/// Distinct user names from one source within the window that make a spray.
const SPRAY_USERS: usize = 5;
/// Distinct user names across sources within the window that make a distributed spray.
const DISTRIBUTED_SPRAY_USERS: usize = 10;
/// Connections from one address within the window that make a flood.
const CONNECTION_FLOOD: usize = 50;

/// How far an address-less failure may be from the RdpCoreTS event that names its client.
const ATTRIBUTION_MS: i64 = 30 * 1000;
/// A Security failure this close to an RdpCoreTS 140 is the same attempt.
const SAME_ATTEMPT_MS: i64 = 5 * 1000;

/// A failed logon or credential check: when, from where, for whom.
struct Failure<'a> {
    millis: i64,
    source: String,
    user: String,
    artifact: &'a str,
    event: &'a Event,
}

fn failures(ev: &Evidence) -> Vec<Failure<'_>> {
    let clients = rdpcore_clients(ev);
    let mut out = Vec::new();
    for (artifact, e) in ev.events_from(EventSource::Security, &[4625, 4771, 4776]) {
        if e.event_id == 4776
            && e.get("Status")
                .and_then(ntstatus::parse_code)
                .is_none_or(|c| c == 0)
        {
            continue;
        }
        let Some(millis) = event_millis(e) else {
            continue;
        };
        let source = event_address(e)
            .or_else(|| nearest_client(&clients, millis))
            .unwrap_or_else(|| no_address_source(e));
        let user = event_account(e)
            .map(|a| a.key())
            .filter(|k| !k.trim_matches(|c| c == '\\' || c == '.').is_empty())
            .unwrap_or_else(|| "(unknown)".into());
        out.push(Failure {
            millis,
            source,
            user,
            artifact,
            event: e,
        });
    }
    out.sort_by_key(|f| f.millis);
    // RdpCoreTS 140 ("user name or password is not correct") with no Security failure beside it.
    let security: Vec<i64> = out.iter().map(|f| f.millis).collect();
    for (artifact, e) in ev.events_from(EventSource::RdpCoreTs, &[140]) {
        let (Some(millis), Some(source)) = (event_millis(e), event_address(e)) else {
            continue;
        };
        if within(&security, millis, SAME_ATTEMPT_MS) {
            continue;
        }
        out.push(Failure {
            millis,
            source,
            user: "(unknown)".into(),
            artifact,
            event: e,
        });
    }
    out.sort_by_key(|f| f.millis);
    out
}

/// A failure with neither an address nor an RdpCoreTS event near it. A local process names
/// itself; otherwise say where the address would be, never "local process -".
fn no_address_source(e: &Event) -> String {
    match e.get("ProcessName").map(str::trim).filter(|p| !p.is_empty() && *p != "-") {
        Some(process) => format!("local process {process}"),
        None => "an unlogged address (NLA failures give none; RdpCoreTS 131/140 would)".into(),
    }
}

/// Client addresses the RdpCoreTS log names, with their times, sorted by time.
fn rdpcore_clients(ev: &Evidence) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = ev
        .events_from(EventSource::RdpCoreTs, &[131, 139, 140])
        .into_iter()
        .filter_map(|(_, e)| Some((event_millis(e)?, event_address(e)?)))
        .collect();
    out.sort();
    out
}

/// The address of the client event nearest to `millis`, within [`ATTRIBUTION_MS`].
fn nearest_client(clients: &[(i64, String)], millis: i64) -> Option<String> {
    let i = clients.partition_point(|(t, _)| *t <= millis);
    let before = i.checked_sub(1).and_then(|j| clients.get(j));
    let after = clients.get(i);
    [before, after]
        .into_iter()
        .flatten()
        .filter(|(t, _)| (t - millis).abs() <= ATTRIBUTION_MS)
        .min_by_key(|(t, _)| (t - millis).abs())
        .map(|(_, a)| a.clone())
}

/// Whether a time in `sorted` lies within `ms` of `millis`.
fn within(sorted: &[i64], millis: i64, ms: i64) -> bool {
    let i = sorted.partition_point(|t| *t < millis - ms);
    sorted.get(i).is_some_and(|t| *t <= millis + ms)
}

/// The most failures, and the most distinct users, in any window of `items` (time-sorted),
/// and when the window with the most users ends. Counted incrementally: a flood holds
/// tens of thousands of failures.
#[allow(
    clippy::indexing_slicing,
    reason = "start <= end < items.len(): a sliding window over the slice"
)]
fn window_peaks(items: &[&Failure<'_>]) -> (usize, usize, i64) {
    let mut in_window: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let (mut best_count, mut best_users, mut users_end) = (0, 0, 0);
    let mut start = 0;
    for end in 0..items.len() {
        *in_window.entry(items[end].user.as_str()).or_default() += 1;
        while items[end].millis - items[start].millis > WINDOW_MS {
            let user = items[start].user.as_str();
            if let Some(n) = in_window.get_mut(user) {
                *n -= 1;
                if *n == 0 {
                    in_window.remove(user);
                }
            }
            start += 1;
        }
        best_count = best_count.max(end - start + 1);
        if in_window.len() > best_users {
            best_users = in_window.len();
            users_end = items[end].millis;
        }
    }
    (best_count, best_users, users_end)
}

/// One source's guessing.
struct Source<'a> {
    source: String,
    peak_failures: usize,
    peak_users: usize,
    total: usize,
    users: BTreeSet<String>,
    first: &'a Event,
    first_millis: i64,
    last: &'a Event,
    last_artifact: &'a str,
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let all = failures(ev);
    let floods = floods(ev);
    let mut out = Vec::new();
    let mut by_source: BTreeMap<&str, Vec<&Failure<'_>>> = BTreeMap::new();
    for f in &all {
        by_source.entry(f.source.as_str()).or_default().push(f);
    }
    let mut brute = Vec::new();
    let mut spray = Vec::new();
    for (source, items) in &by_source {
        let (peak_failures, peak_users, _) = window_peaks(items);
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            continue;
        };
        let s = Source {
            source: source.to_string(),
            peak_failures,
            peak_users,
            total: items.len(),
            users: items.iter().map(|f| f.user.clone()).collect(),
            first: first.event,
            first_millis: first.millis,
            last: last.event,
            last_artifact: last.artifact,
        };
        if peak_users >= SPRAY_USERS {
            spray.push(s);
        } else if peak_failures >= BRUTE_FORCE_FAILURES {
            brute.push(s);
        }
    }
    // One story per address: the connections RdpCoreTS saw from a guessing source are told in
    // that source's finding, not in a second one.
    let told: BTreeSet<String> = brute
        .iter()
        .chain(&spray)
        .map(|s| s.source.clone())
        .collect();
    if let Some((f, first)) = source_finding("brute-force", brute, |s| {
        format!("{} failures in 10 minutes", s.peak_failures)
    }) {
        out.push(one_story(ev, f, first, &floods));
    }
    let spray_found = !spray.is_empty();
    if let Some((f, first)) = source_finding("password-spray", spray, |s| {
        format!("{} user names in 10 minutes", s.peak_users)
    }) {
        out.push(one_story(ev, f, first, &floods));
    }
    if !spray_found {
        out.extend(distributed_spray(&all));
    }
    let untold: Vec<&Flood<'_>> = floods.iter().filter(|f| !told.contains(&f.ip)).collect();
    out.extend(connection_flood(&untold));
    out
}

/// Adds to a guessing finding what the other logs say about its top source: the RDP
/// connections RdpCoreTS counted from it, and a logon from it that succeeded after the guessing
/// began at `first_failure` (unix ms; the question every such finding raises).
fn one_story(ev: &Evidence, mut f: Finding, first_failure: i64, floods: &[Flood<'_>]) -> Finding {
    let Some(source) = f.facts.get("top_source").cloned() else {
        return f;
    };
    if !f.message.ends_with('.') {
        f.message.push('.');
    }
    if let Some(fl) = floods.iter().find(|fl| fl.ip == source) {
        f.message.push_str(&format!(
            " RdpCoreTS logged {} connection(s) from {source} ({} in 10 minutes).",
            fl.total, fl.peak
        ));
        f = f
            .fact("connections", fl.total)
            .evidence(EvidenceRef::record(
                fl.last.0,
                fl.last.1.record_id,
                summarize_event(fl.last.1),
            ));
    }
    if let Some((a, e)) = logon_after(ev, &source, first_failure) {
        let who = event_account(e).map(|a| a.display()).unwrap_or_default();
        f.message.push_str(&format!(
            " Then a logon from {source} succeeded ({who} at {}): if that was not the account's \
             owner, treat the account as compromised (reset its password, review what the \
             session did).",
            e.time
        ));
        f.title.push_str(&format!(", then a logon as {who} succeeded"));
        f = f
            .fact("logged_on_after", who)
            .evidence(EvidenceRef::record(a, e.record_id, summarize_event(e)));
    }
    f
}

/// One finding for the sources of one kind, the worst first, with when the top source's first
/// failure was (unix ms).
fn source_finding(
    kind: &str,
    mut sources: Vec<Source<'_>>,
    peak: impl Fn(&Source<'_>) -> String,
) -> Option<(Finding, i64)> {
    if sources.is_empty() {
        return None;
    }
    sources.sort_by(|a, b| {
        (b.peak_failures, b.total)
            .cmp(&(a.peak_failures, a.total))
            .then(a.source.cmp(&b.source))
    });
    let top = sources.first()?;
    let total: usize = sources.iter().map(|s| s.total).sum();
    let lines: Vec<String> = sources
        .iter()
        .take(5)
        .map(|s| {
            let users: Vec<&str> = s.users.iter().take(5).map(String::as_str).collect();
            format!(
                "{}: {} failure(s), peak {}, user(s) {}{}, {} .. {}",
                s.source,
                s.total,
                peak(s),
                users.join(", "),
                if s.users.len() > 5 { ", …" } else { "" },
                s.first.time,
                s.last.time
            )
        })
        .collect();
    let what = if kind == "brute-force" {
        "Brute force"
    } else {
        "Password spray"
    };
    let mut f = Finding::new(
        &CHECK,
        format!(
            "{what}: {total} failed logon(s) from {} source(s). {}{}",
            sources.len(),
            lines.join("; "),
            if sources.len() > 5 { "; and more" } else { "" }
        ),
    )
    .title(format!("{what} from {} ({})", top.source, peak(top)))
    .fact("kind", kind)
    .fact("top_source", &top.source)
    .fact("sources", sources.len())
    .fact("failures", total)
    .fact("users", top.users.len());
    for s in sources.iter().take(3) {
        f = f.evidence(EvidenceRef::record(
            s.last_artifact,
            s.last.record_id,
            summarize_event(s.last),
        ));
    }
    let first = top.first_millis;
    Some((f, first))
}

/// Failures across many user names from several sources in one window.
fn distributed_spray(all: &[Failure<'_>]) -> Option<Finding> {
    let items: Vec<&Failure<'_>> = all.iter().collect();
    let (_, peak_users, end) = window_peaks(&items);
    if peak_users < DISTRIBUTED_SPRAY_USERS {
        return None;
    }
    let in_window: Vec<&&Failure<'_>> = items
        .iter()
        .filter(|f| f.millis <= end && end - f.millis <= WINDOW_MS)
        .collect();
    let sources: BTreeSet<&str> = in_window.iter().map(|f| f.source.as_str()).collect();
    if sources.len() < 3 {
        return None;
    }
    let last = in_window.last()?;
    Some(
        Finding::new(
            &CHECK,
            format!(
                "Password spray: {peak_users} user names failed within 10 minutes from {} \
                 addresses ({}).",
                sources.len(),
                sources
                    .iter()
                    .take(5)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .title(format!(
            "Password spray over {peak_users} user names from {} addresses",
            sources.len()
        ))
        .fact("kind", "password-spray")
        .fact("sources", sources.len())
        .fact("users", peak_users)
        .evidence(EvidenceRef::record(
            last.artifact,
            last.event.record_id,
            summarize_event(last.event),
        )),
    )
}

/// One address opening many RDP connections (RdpCoreTS 131) in a window.
struct Flood<'a> {
    ip: String,
    peak: usize,
    total: usize,
    last: (&'a str, &'a Event),
}

/// RdpCoreTS 131 floods, the worst first.
fn floods(ev: &Evidence) -> Vec<Flood<'_>> {
    let mut by_ip: BTreeMap<String, Vec<(i64, &str, &Event)>> = BTreeMap::new();
    for (artifact, e) in ev.events_from(EventSource::RdpCoreTs, &[131]) {
        if let (Some(ip), Some(t)) = (event_address(e), event_millis(e)) {
            by_ip.entry(ip).or_default().push((t, artifact, e));
        }
    }
    let mut out = Vec::new();
    for (ip, mut items) in by_ip {
        items.sort_by_key(|i| i.0);
        let mut start = 0;
        let mut peak = 0;
        for (end, &(time, ..)) in items.iter().enumerate() {
            while items
                .get(start)
                .is_some_and(|&(first, ..)| time - first > WINDOW_MS)
            {
                start += 1;
            }
            peak = peak.max(end + 1 - start);
        }
        if let (true, Some(&(_, artifact, last))) = (peak >= CONNECTION_FLOOD, items.last()) {
            out.push(Flood {
                ip,
                peak,
                total: items.len(),
                last: (artifact, last),
            });
        }
    }
    out.sort_by(|a, b| b.peak.cmp(&a.peak).then(a.ip.cmp(&b.ip)));
    out
}

/// The floods from addresses no failure finding already tells about.
fn connection_flood(floods: &[&Flood<'_>]) -> Option<Finding> {
    let top = floods.first()?;
    let lines: Vec<String> = floods
        .iter()
        .take(5)
        .map(|f| format!("{}: {} connection(s), {} in 10 minutes", f.ip, f.total, f.peak))
        .collect();
    let mut f = Finding::new(
        &CHECK,
        format!(
            "RDP connection flood (RdpCoreTS 131): {}. A client that reconnects this fast is a \
             guessing tool or a scanner, not a person.",
            lines.join("; ")
        ),
    )
    .title(format!(
        "RDP connection flood from {} ({} connections in 10 minutes)",
        top.ip, top.peak
    ))
    .fact("kind", "connection-flood")
    .fact("top_source", &top.ip)
    .fact("sources", floods.len())
    .fact("connections", top.peak);
    for fl in floods.iter().take(3) {
        f = f.evidence(EvidenceRef::record(
            fl.last.0,
            fl.last.1.record_id,
            summarize_event(fl.last.1),
        ));
    }
    Some(f)
}

/// The first successful RDP logon from `source` after `after_millis`: Security 4624 (the RDP
/// logon types), RemoteConnectionManager 1149 or LocalSessionManager 21/25 naming that address.
fn logon_after<'a>(ev: &'a Evidence, source: &str, after_millis: i64) -> Option<(&'a str, &'a Event)> {
    let mut hits: Vec<(i64, &str, &Event)> = ev
        .events_with_ids(&[4624, 1149, 21, 25])
        .into_iter()
        .filter(|(_, e)| match crate::evidence::event_source(e) {
            EventSource::Security => e.event_id == 4624,
            EventSource::RemoteConnectionManager => e.event_id == 1149,
            EventSource::LocalSessionManager => matches!(e.event_id, 21 | 25),
            _ => false,
        })
        .filter(|(_, e)| event_address(e).as_deref() == Some(source))
        .filter_map(|(a, e)| Some((event_millis(e)?, a, e)))
        .filter(|(t, _, _)| *t > after_millis)
        .collect();
    hits.sort_by_key(|h| h.0);
    hits.first().map(|&(_, a, e)| (a, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{evidence_from_samples, evidence_from_xml, security_event};

    #[test]
    fn kerberos_guessing_sample_is_brute_force() {
        let Some(ev) =
            evidence_from_samples(&["mitre__ID4771-Kerberos_brutforce_with_valid_user.evtx"])
        else {
            return;
        };
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].facts["kind"], "brute-force");
        assert_eq!(out[0].facts["top_source"], "10.23.123.11");
        assert_eq!(out[0].facts["failures"], "54");
    }

    #[test]
    fn rdp_connection_flood_sample() {
        let Some(ev) = evidence_from_samples(&["mitre__ID131-RDP_brutforce__no_user_info_.evtx"])
        else {
            return;
        };
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].facts["kind"], "connection-flood");
        assert_eq!(out[0].facts["top_source"], "10.23.123.11");
        assert_eq!(out[0].facts["connections"], "154");
    }

    fn failure(rid: u64, secs: u64, user: &str, ip: &str) -> String {
        security_event(
            4625,
            rid,
            &format!("2026-03-01T09:{:02}:{:02}.0000000Z", secs / 60, secs % 60),
            &[
                ("TargetUserName", user),
                ("Status", "0xc000006d"),
                ("SubStatus", "0xc000006a"),
                ("LogonType", "3"),
                ("IpAddress", ip),
            ],
        )
    }

    #[test]
    fn spray_and_slow_failures() {
        // One address, 8 user names in a minute: a spray.
        let users = [
            "admin",
            "administrator",
            "test",
            "user",
            "scanner",
            "backup",
            "sql",
            "guest",
        ];
        let mut lines: Vec<String> = users
            .iter()
            .enumerate()
            .map(|(i, u)| failure(i as u64 + 1, i as u64 * 5, u, "198.51.100.9"))
            .collect();
        // A user mistyping 19 times over three hours: neither.
        lines.extend((0..19).map(|i| failure(100 + i, i * 600, "jdoe", "10.0.0.7")));
        let out = run(&evidence_from_xml(&[(
            "events/Security.xml",
            &lines.join("\r\n"),
        )]));
        assert_eq!(
            out.len(),
            1,
            "{:?}",
            out.iter().map(|f| &f.title).collect::<Vec<_>>()
        );
        assert_eq!(out[0].facts["kind"], "password-spray");
        assert_eq!(out[0].facts["top_source"], "198.51.100.9");
        assert_eq!(out[0].facts["users"], "8");
    }

    #[test]
    fn twenty_failures_in_ten_minutes_is_brute_force() {
        let lines: Vec<String> = (0..20)
            .map(|i| failure(i + 1, i * 25, "administrator", "203.0.113.5"))
            .collect();
        let out = run(&evidence_from_xml(&[(
            "events/Security.xml",
            &lines.join("\r\n"),
        )]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].facts["kind"], "brute-force");
        let fewer: Vec<String> = (0..19)
            .map(|i| failure(i + 1, i * 25, "administrator", "203.0.113.5"))
            .collect();
        assert!(run(&evidence_from_xml(&[(
            "events/Security.xml",
            &fewer.join("\r\n")
        )]))
        .is_empty());
    }

    /// NLA failures carry no address (IpAddress `-`): RdpCoreTS 131 beside them names it, its
    /// connections join the same finding, and the logon that succeeded after is told there.
    #[test]
    fn nla_failures_take_the_rdpcorets_address_and_tell_one_story() {
        use crate::evidence::testing::{event, user_data_event, RCM, RCM_CHANNEL, RDPCORETS, RDPCORETS_CHANNEL};
        let mut security: Vec<String> = (0..60)
            .map(|i| failure(i + 1, i * 2, "Administrator", "-"))
            .collect();
        security.push(security_event(
            4624,
            500,
            "2026-03-01T09:03:00.0000000Z",
            &[
                ("TargetUserName", "Administrator"),
                ("TargetDomainName", "C137"),
                ("LogonType", "10"),
                ("IpAddress", "194.61.24.102"),
            ],
        ));
        let core: Vec<String> = (0..60)
            .map(|i| {
                event(
                    RDPCORETS,
                    RDPCORETS_CHANNEL,
                    131,
                    1000 + i,
                    &format!("2026-03-01T09:{:02}:{:02}.0000000Z", (i * 2) / 60, (i * 2) % 60),
                    &[("ConnType", "TCP"), ("ClientIP", "194.61.24.102:40000")],
                )
            })
            .collect();
        let rcm = user_data_event(RCM, RCM_CHANNEL, 1149, 7, "2026-03-01T08:00:00.0000000Z", &[
            ("Param1", "Administrator"),
            ("Param2", "C137"),
            ("Param3", "194.61.24.102"),
        ]);
        let out = run(&evidence_from_xml(&[
            ("events/Security.xml", &security.join("\r\n")),
            ("events/RdpCoreTS.xml", &core.join("\r\n")),
            ("events/RCM.xml", &rcm),
        ]));
        let titles: Vec<&String> = out.iter().map(|f| &f.title).collect();
        assert_eq!(out.len(), 1, "{titles:?}");
        let f = &out[0];
        assert_eq!(f.facts["kind"], "brute-force");
        assert_eq!(f.facts["top_source"], "194.61.24.102");
        assert_eq!(f.facts["connections"], "60");
        // The 1149 came before the guessing: the 4624 after it is the one told.
        assert_eq!(f.facts["logged_on_after"], "C137\\Administrator");
        assert!(!f.facts.contains_key("first_failure_ms"));
        assert!(!f.message.contains("local process"), "{}", f.message);
    }

}

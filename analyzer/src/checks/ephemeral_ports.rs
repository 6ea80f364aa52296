//! RDP068: the ephemeral (dynamic) TCP ports are exhausted.
//!
//! Every outgoing TCP connection takes a local port from the dynamic range (49152-65535 by
//! default since Vista, `netsh int ipv4 show dynamicport tcp`), and a closed connection keeps
//! its port in TIME_WAIT for up to four minutes. A process that opens and drops connections
//! faster than that, or leaks them (CLOSE_WAIT), uses the range up. Then tcpip.sys logs System
//! event 4231 (Tcpip: "A request to allocate an ephemeral port number from the global TCP port
//! space has failed due to all such ports being in use") or 4227 (it had to reuse a port still
//! in TIME_WAIT), and the machine can no longer open connections: RDP logons stall or fail
//! because NLA/CredSSP cannot reach a domain controller, the licence server or the CRL, and the
//! host looks "hung" to the network. The cause is named by `netstat -ano`: the local ports in
//! the dynamic range held by non-listening sockets, counted per process (tasklist names it;
//! TIME_WAIT sockets have no owner left, PID 0).
//!
//! Severity: error when 4231/4227 are logged (warning when the last one is more than a day old
//! and netstat shows the range comfortably free now), or when the used ports reach 90% of the
//! range (warning from 75%); warning when the range itself was shrunk below 4096 ports. With no
//! `netsh` output the default range is assumed and said.

use super::{support, Check, EvidenceRef, Finding, Severity};
use crate::evidence::{parse_rfc3339, Evidence};
use crate::parse::dynamicport::{DynamicPorts, DEFAULT_COUNT, DEFAULT_START};
use crate::parse::identify::Kind;
use crate::parse::netstat::{Proto, TcpState};
use std::collections::{HashMap, HashSet};

pub static CHECK: Check = Check {
    id: "RDP068",
    name: "ephemeral-ports-exhausted",
    severity: Severity::Error,
    title: "Ephemeral TCP ports exhausted: the host cannot open new connections",
    explanation: "Outgoing connections each take a port from the dynamic range (49152-65535 by \
                  default). When a process uses them all up (connections opened and dropped \
                  faster than TIME_WAIT frees them, or leaked), Windows logs Tcpip 4231 or 4227 \
                  and can open no more connections: NLA cannot reach a domain controller, RDP \
                  logons stall or fail and the host seems hung on the network.",
    remediation: "Find the process holding the ports (the top processes are named in the \
                  facts; `netstat -ano` and `tasklist /svc`) and fix or restart it. Until then a \
                  reboot frees the ports. Restore the default range if it was shrunk: \
                  `netsh int ipv4 set dynamicport tcp start=49152 num=16384`.",
    needs: &[Kind::Evtx, Kind::Netstat, Kind::DynamicPorts],
    fixture: "fixtures/ephemeral-ports-exhausted",
    requires: None,
    run,
};

/// Share of the range in use that is an error, and a warning.
const ERROR_SHARE: f64 = 0.90;
const WARNING_SHARE: f64 = 0.75;
/// A range below this many ports was shrunk far below the default 16384.
const SHRUNK_BELOW: u32 = 4096;
/// Exhaustion events older than this (before the collection) are a past state when netstat
/// shows the range free now.
const STALE_SECONDS: i64 = 24 * 3600;
/// Processes named in the finding.
const TOP: usize = 3;

/// Non-listening TCP states that hold a local port.
fn holds_port(state: &Option<TcpState>) -> bool {
    matches!(
        state,
        Some(
            TcpState::Established
                | TcpState::TimeWait
                | TcpState::CloseWait
                | TcpState::SynSent
                | TcpState::SynReceived
                | TcpState::FinWait1
                | TcpState::FinWait2
                | TcpState::LastAck
                | TcpState::Closing
                | TcpState::Bound
        )
    )
}

/// What netstat shows of the dynamic range in use.
struct Usage<'a> {
    artifact: &'a str,
    /// Distinct local ports in the range held by a non-listening socket.
    ports: usize,
    /// Sockets per owning PID (0 for TIME_WAIT), most first.
    by_pid: Vec<(u32, usize)>,
    time_wait: usize,
    close_wait: usize,
}

fn usage<'a>(ev: &'a Evidence, range: &DynamicPorts) -> Option<Usage<'a>> {
    let n = ev.netstat.first()?;
    let mut ports: HashSet<u16> = HashSet::new();
    let mut per_pid: HashMap<u32, usize> = HashMap::new();
    let (mut time_wait, mut close_wait) = (0, 0);
    for s in &n.value.sockets {
        let Some(port) = s.local_port else { continue };
        if s.proto != Proto::Tcp || !holds_port(&s.state) || !range.contains(port) {
            continue;
        }
        ports.insert(port);
        *per_pid.entry(s.pid.unwrap_or(0)).or_default() += 1;
        match s.state {
            Some(TcpState::TimeWait) => time_wait += 1,
            Some(TcpState::CloseWait) => close_wait += 1,
            _ => {}
        }
    }
    let mut by_pid: Vec<(u32, usize)> = per_pid.into_iter().collect();
    by_pid.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Some(Usage {
        artifact: &n.artifact,
        ports: ports.len(),
        by_pid,
        time_wait,
        close_wait,
    })
}

/// `svchost.exe (PID 1234): 812 sockets`, named from tasklist when it has the PID.
fn describe_pid(ev: &Evidence, pid: u32, count: usize) -> String {
    if pid == 0 {
        return format!("closed connections in TIME_WAIT (PID 0): {count} sockets");
    }
    match ev.process(pid) {
        Some((_, p)) if !p.services.is_empty() => format!(
            "{} (PID {pid}, services {}): {count} sockets",
            p.image,
            p.services.join(", ")
        ),
        Some((_, p)) => format!("{} (PID {pid}): {count} sockets", p.image),
        None => format!("PID {pid} (not in tasklist): {count} sockets"),
    }
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let netsh = ev.dynamic_ports.first();
    let range = netsh.map(|l| l.value.clone()).unwrap_or(DynamicPorts {
        protocol: Some("tcp".into()),
        start: DEFAULT_START,
        count: DEFAULT_COUNT,
        start_line: 0,
        count_line: 0,
    });
    let range_text = format!(
        "{}-{} ({} ports{})",
        range.start,
        range.end(),
        range.count,
        if netsh.is_none() {
            ", the default: the bundle has no netsh dynamicport output"
        } else {
            ""
        }
    );
    let events = support::provider_events(ev, &[4227, 4231], "Tcpip");
    let used = usage(ev, &range);
    let share = used
        .as_ref()
        .map(|u| u.ports as f64 / f64::from(range.count.max(1)));
    let mut out = Vec::new();

    let last_event = events.last();
    let by_usage = match share {
        Some(s) if s >= ERROR_SHARE => Some(Severity::Error),
        Some(s) if s >= WARNING_SHARE => Some(Severity::Warning),
        _ => None,
    };
    let by_events = last_event.map(|(_, e)| {
        let age = parse_rfc3339(&e.time).map(|t| ev.as_of - t);
        let free_now = share.is_some_and(|s| s < 0.5);
        if free_now && age.is_some_and(|a| a > STALE_SECONDS) {
            Severity::Warning
        } else {
            Severity::Error
        }
    });
    let severity = [by_usage, by_events].into_iter().flatten().min();
    if let Some(severity) = severity {
        let mut parts = Vec::new();
        if let Some((_, last)) = last_event {
            let n4231 = events.iter().filter(|(_, e)| e.event_id == 4231).count();
            let n4227 = events.len() - n4231;
            parts.push(format!(
                "the System log has {n4231} Tcpip 4231 (no ephemeral port left) and {n4227} \
                 Tcpip 4227 (a port reused while still in TIME_WAIT) event(s), the last at {}",
                last.time
            ));
            if by_events == Some(Severity::Warning) {
                parts.push(
                    "that was more than a day before the collection, and netstat shows the \
                     range mostly free now: a past exhaustion that may come back"
                        .to_string(),
                );
            }
        }
        if let (Some(u), Some(s)) = (&used, share) {
            parts.push(format!(
                "netstat shows {} of the {} ports of the dynamic range {} in use ({:.0}%; {} in \
                 TIME_WAIT, {} in CLOSE_WAIT)",
                u.ports,
                range.count,
                range_text,
                s * 100.0,
                u.time_wait,
                u.close_wait
            ));
        } else {
            parts.push(format!(
                "the bundle has no netstat output to tell which process holds the ports (range \
                 {range_text})"
            ));
        }
        let mut f = Finding::new(
            &CHECK,
            format!(
                "{}. While no port is free, the host cannot open connections: NLA cannot \
                 reach a domain controller and RDP logons fail or hang.",
                support::capitalize(&parts.join("; "))
            ),
        )
        .severity(severity)
        .fact("range_start", range.start)
        .fact("range_count", range.count)
        .fact("events", events.len());
        if severity == Severity::Warning && by_usage == Some(Severity::Warning) {
            f = f.title("Ephemeral TCP ports nearly exhausted");
        } else if severity == Severity::Warning {
            f = f.title("Ephemeral TCP ports were exhausted earlier");
        }
        if let Some(u) = &used {
            f = f.fact("ports_in_use", u.ports);
            let top: Vec<String> = u
                .by_pid
                .iter()
                .take(TOP)
                .map(|(pid, n)| describe_pid(ev, *pid, *n))
                .collect();
            if let Some((pid, _)) = u.by_pid.first() {
                f = f.fact("top_pid", pid);
                if let Some((_, p)) = ev.process(*pid) {
                    f = f.fact("top_process", &p.image);
                }
            }
            if !top.is_empty() {
                f.message
                    .push_str(&format!(" Most sockets: {}.", top.join("; ")));
                f = f.evidence(EvidenceRef::file(
                    u.artifact,
                    format!("sockets in the dynamic range by process: {}", top.join("; ")),
                ));
            }
        }
        for (artifact, e) in events.iter().rev().take(3) {
            f = f.evidence(support::event_ref(
                artifact,
                e,
                if e.event_id == 4231 {
                    "no ephemeral port left in the global TCP port space"
                } else {
                    "a local port was reused while still in TIME_WAIT"
                },
            ));
        }
        if let Some(l) = netsh {
            f = f.evidence(EvidenceRef::line(
                &l.artifact,
                l.value.count_line,
                format!("Number of Ports : {}", l.value.count),
            ));
        }
        out.push(f);
    }

    if let Some(l) = netsh.filter(|l| l.value.count < SHRUNK_BELOW) {
        out.push(
            Finding::new(
                &CHECK,
                format!(
                    "The dynamic TCP port range is {range_text}, far below Windows' default of \
                     {DEFAULT_COUNT} ports (49152-65535): a busy host runs out of ports for \
                     outgoing connections much sooner, and NLA then cannot reach a domain \
                     controller."
                ),
            )
            .title("The ephemeral TCP port range was shrunk far below the default")
            .severity(Severity::Warning)
            .remediation(
                "Restore the default range unless a documented reason requires the small one: \
                 `netsh int ipv4 set dynamicport tcp start=49152 num=16384` (and for ipv6).",
            )
            .fact("range_start", range.start)
            .fact("range_count", range.count)
            .evidence(EvidenceRef::line(
                &l.artifact,
                l.value.count_line,
                format!("Number of Ports : {}", l.value.count),
            )),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_from_xml};

    const NETSH: &str = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n";
    const SMALL: &str = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 60000\r\nNumber of Ports : 1000\r\n\r\n";
    const TASKLIST: &str = "\r\nImage Name                     PID Services                                    \r\n========================= ======== ============================================\r\nSystem Idle Process              0 N/A                                         \r\nsvchost.exe                   1236 TermService                                 \r\nagent.exe                     4242 N/A                                         \r\n";

    /// netstat -ano with `n` connections of PID 4242 and `tw` TIME_WAIT sockets in the range.
    fn netstat(start: u32, n: u32, tw: u32) -> String {
        let mut s = String::from("\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       1236\r\n");
        for i in 0..n {
            s.push_str(&format!(
                "  TCP    10.0.0.5:{}        10.0.0.9:443           ESTABLISHED     4242\r\n",
                start + i
            ));
        }
        for i in 0..tw {
            s.push_str(&format!(
                "  TCP    10.0.0.5:{}        10.0.0.9:443           TIME_WAIT       0\r\n",
                start + n + i
            ));
        }
        s
    }

    fn tcpip(id: u32, rid: u64, time: &str) -> String {
        event("Tcpip", "System", id, rid, time, &[("Data1", "")])
    }

    #[test]
    fn exhausted_range_names_the_process() {
        let ns = netstat(60000, 900, 20);
        let ev = evidence_from_xml(&[
            ("commands/netsh-dynamicport-tcp.txt", SMALL),
            ("commands/netstat-ano.txt", &ns),
            ("commands/tasklist-svc.txt", TASKLIST),
        ]);
        let out = run(&ev);
        let main = out.iter().find(|f| f.facts.contains_key("ports_in_use")).unwrap();
        assert_eq!(main.severity, Severity::Error);
        assert_eq!(main.facts["ports_in_use"], "920");
        assert_eq!(main.facts["top_process"], "agent.exe");
        assert!(main.message.contains("agent.exe (PID 4242): 900 sockets"));
        // The shrunk range is its own warning.
        let shrunk = out.iter().find(|f| f.title.contains("shrunk")).unwrap();
        assert_eq!(shrunk.severity, Severity::Warning);
        assert_eq!(shrunk.facts["range_count"], "1000");
    }

    #[test]
    fn events_are_an_error_even_without_netstat() {
        let ev = evidence_from_xml(&[(
            "System.xml",
            &tcpip(4231, 7, "2026-03-01T09:00:00.0000000Z"),
        )]);
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Error);
        assert_eq!(out[0].facts["range_count"], "16384");
        assert!(out[0].message.contains("the default"));
    }

    #[test]
    fn old_events_with_a_free_range_now_are_a_warning() {
        let ns = netstat(49152, 50, 10);
        let mut ev = evidence_from_xml(&[
            ("System.xml", &tcpip(4227, 7, "2026-03-01T09:00:00.0000000Z")),
            ("commands/netstat-ano.txt", &ns),
            ("commands/netsh-dynamicport-tcp.txt", NETSH),
        ]);
        ev.as_of = parse_rfc3339("2026-03-05T09:00:00Z").unwrap();
        let out = run(&ev);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        // The same events the day of the collection are an error.
        ev.as_of = parse_rfc3339("2026-03-01T10:00:00Z").unwrap();
        assert_eq!(run(&ev)[0].severity, Severity::Error);
    }

    #[test]
    fn a_healthy_host_and_other_providers_are_quiet() {
        let ns = netstat(49152, 200, 300);
        let other = event(
            "Microsoft-Windows-Other",
            "System",
            4231,
            7,
            "2026-03-01T09:00:00.0000000Z",
            &[],
        );
        let ev = evidence_from_xml(&[
            ("commands/netstat-ano.txt", &ns),
            ("commands/netsh-dynamicport-tcp.txt", NETSH),
            ("System.xml", &other),
        ]);
        assert!(run(&ev).is_empty());
    }
}

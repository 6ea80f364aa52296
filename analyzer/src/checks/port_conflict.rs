//! RDP008: another process holds the RDP port.
//!
//! When some other program (a web server, a remote-support tool, a second RDP stack) binds the
//! port first, TermService's listener cannot; netstat shows the port LISTENING under a PID that
//! is not TermService's svchost. tasklist /svc names that process and its services.

use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP008",
    name: "port-conflict",
    severity: Severity::Error,
    title: "Another process is listening on the RDP port",
    explanation: "The RDP port is held by a process that is not the Remote Desktop Services \
                  (TermService) svchost, so the RDP listener cannot bind it and clients reach the \
                  wrong program.",
    remediation: "Stop or reconfigure the program named below so it releases the port (or move \
                  RDP to another port), then restart TermService and confirm with `netstat -ano` \
                  that the port belongs to TermService's PID (`tasklist /svc /fi \"services eq \
                  TermService\"`).",
    needs: &[Kind::Netstat],
    fixture: "fixtures/port-conflict",
    requires: None,
    run,
};

/// Every lookup here is by index ([`Evidence::process`]) or done once (TermService's PID):
/// a bundle can list 100,000 listeners and 100,000 processes, and a scan of the tasklist per
/// listener made that quadratic (issue 13).
fn run(ev: &Evidence) -> Vec<Finding> {
    let (port, _) = ev.rdp_port();
    let Some(ts_pid) = ev.termservice_pid() else {
        // Without TermService's PID we cannot tell a stranger from the real listener, unless
        // tasklist names the holder and it is not an svchost hosting TermService.
        return foreign_by_name(ev, port);
    };
    let ts_pid = Some(ts_pid);
    let mut out = Vec::new();
    for n in &ev.netstat {
        for s in n.value.tcp_listeners(port) {
            match s.pid {
                Some(pid) if Some(pid) != ts_pid => {
                    out.push(finding(ev, &n.artifact, s, port, pid, ts_pid))
                }
                _ => {}
            }
        }
    }
    dedup_by_pid(out)
}

fn foreign_by_name(ev: &Evidence, port: u16) -> Vec<Finding> {
    let mut out = Vec::new();
    for n in &ev.netstat {
        for s in n.value.tcp_listeners(port) {
            let Some(pid) = s.pid else { continue };
            let Some((_, p)) = ev.process(pid) else {
                continue;
            };
            let hosts_ts = p
                .services
                .iter()
                .any(|x| x.eq_ignore_ascii_case("TermService"));
            if !hosts_ts {
                out.push(finding(ev, &n.artifact, s, port, pid, None));
            }
        }
    }
    dedup_by_pid(out)
}

fn dedup_by_pid(mut v: Vec<Finding>) -> Vec<Finding> {
    v.dedup_by(|a, b| a.facts.get("pid") == b.facts.get("pid"));
    v
}

fn finding(
    ev: &Evidence,
    artifact: &str,
    s: &crate::evidence::Socket,
    port: u16,
    pid: u32,
    ts_pid: Option<u32>,
) -> Finding {
    let mut f = Finding::new(&CHECK, "")
        .fact("port", port)
        .fact("pid", pid)
        .evidence(EvidenceRef::line(
            artifact,
            s.line,
            format!(
                "TCP {}:{} {} LISTENING {}",
                s.local_address, port, s.foreign_address, pid
            ),
        ));
    let who = match ev.process(pid) {
        Some((tl, p)) => {
            f = f.fact("process", &p.image).evidence(EvidenceRef::line(
                tl,
                p.line,
                format!(
                    "{} {} {}",
                    p.image,
                    p.pid,
                    if p.services.is_empty() {
                        "N/A".to_string()
                    } else {
                        p.services.join(",")
                    }
                ),
            ));
            if !p.services.is_empty() {
                f = f.fact("services", p.services.join(","));
            }
            if p.services.is_empty() {
                format!("{} (PID {pid})", p.image)
            } else {
                format!(
                    "{} (PID {pid}, services {})",
                    p.image,
                    p.services.join(", ")
                )
            }
        }
        None => format!("PID {pid} (not in tasklist)"),
    };
    f.title = format!("TCP port {port} is held by {who}, not Remote Desktop Services");
    f.message = format!(
        "netstat shows TCP port {port} LISTENING under {who}; TermService{} cannot own the port.",
        ts_pid.map(|p| format!(" (PID {p})")).unwrap_or_default()
    );
    f
}

//! RDP027: the RDP listener is bound to one network adapter.
//!
//! `LanAdapter` under `WinStations\RDP-Tcp` selects the adapter the listener binds to: 0 means
//! all adapters (the default), any other number one adapter, by its LANA number. Then clients
//! that reach the machine through another NIC, a VPN adapter or a teamed NIC time out, and after
//! a NIC replacement the number may point at an adapter that no longer exists, so the listener
//! binds to nothing. netstat shows the listener on one address instead of `0.0.0.0`.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, RDP_TCP_KEY};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP027",
    name: "listener-bound-to-adapter",
    severity: Severity::Warning,
    title: "The RDP listener is bound to a single network adapter",
    explanation: "RDP-Tcp's LanAdapter is not 0, so the listener accepts connections only on one \
                  adapter's addresses. Connections arriving on any other interface (another NIC, \
                  VPN, a replaced adapter) are not answered.",
    remediation: "Set LanAdapter to 0 (all network adapters) under \
                  HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp \
                  (or the 'Network adapter' setting of the listener in the RDS configuration \
                  tools) and restart TermService; confirm with `netstat -ano | findstr :3389` that \
                  it listens on 0.0.0.0.",
    needs: &[Kind::Registry],
    fixture: "fixtures/listener-bound-to-adapter",
    requires: Some(missing),
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let Some(hit) = ev.reg_value(RDP_TCP_KEY, "LanAdapter") else {
        return Vec::new();
    };
    let Some(lana) = hit.value.data.as_u32().filter(|v| *v != 0) else {
        return Vec::new();
    };
    let (port, _) = ev.rdp_port();
    let mut f = Finding::new(
        &CHECK,
        format!(
            "LanAdapter = {lana}: the listener is bound to one network adapter (LANA {lana}) \
             instead of all of them."
        ),
    )
    .title(format!(
        "The RDP listener is bound to network adapter {lana}"
    ))
    .fact("LanAdapter", lana)
    .evidence(support::reg_ref(&hit));
    for n in &ev.netstat {
        let specific: Vec<_> = n
            .value
            .tcp_listeners(port)
            .into_iter()
            .filter(|s| !matches!(s.local_address.as_str(), "0.0.0.0" | "[::]" | "::" | "*"))
            .collect();
        for s in &specific {
            f = f.evidence(EvidenceRef::line(
                &n.artifact,
                s.line,
                format!("TCP {}:{port} LISTENING", s.local_address),
            ));
        }
        if let Some(s) = specific.first() {
            f.message.push_str(&format!(
                " netstat shows it listening on {} only; clients connecting to any other address \
                 of this machine time out.",
                s.local_address
            ));
        }
    }
    vec![f]
}

/// Not evaluated without the RDP-Tcp key.
fn missing(ev: &Evidence) -> Option<String> {
    support::missing_key(ev, RDP_TCP_KEY, "registry/terminal-server.reg")
}

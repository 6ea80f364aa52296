//! RDP006: the listener uses a port other than 3389.
//!
//! Not a fault by itself (some admins move RDP on purpose), but clients must then connect to
//! `host:port`, the firewall rule must open that port, and every other check uses it.

use super::{support, Check, Finding, Severity};
use crate::evidence::{Evidence, DEFAULT_RDP_PORT};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP006",
    name: "non-default-port",
    severity: Severity::Warning,
    title: "RDP listens on a non-default port",
    explanation: "The RDP-Tcp listener's PortNumber is not 3389. Clients that connect without \
                  ':port', and the built-in 'Remote Desktop' firewall rules (which open 3389 only), \
                  will not reach it.",
    remediation: "Either connect with mstsc /v:host:PORT and open that port in the firewall (a \
                  custom inbound TCP rule), or set PortNumber back to 3389 (decimal) under \
                  HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp and \
                  restart TermService.",
    needs: &[Kind::Registry],
    fixture: "fixtures/non-default-port",
    requires: Some(missing),
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let (port, Some(hit)) = ev.rdp_port() else {
        return Vec::new();
    };
    if port == DEFAULT_RDP_PORT {
        return Vec::new();
    }
    vec![Finding::new(
        &CHECK,
        format!("PortNumber is {port}: clients must connect to host:{port}, and the firewall must allow TCP {port}."),
    )
    .title(format!("RDP listens on port {port}, not 3389"))
    .evidence(support::reg_ref(&hit))
    .fact("port", port)]
}

/// Not evaluated when a damaged hive hides the key it reads: "cannot tell", never "fine".
pub fn missing(ev: &Evidence) -> Option<String> {
    ev.hive_cannot_tell(crate::evidence::RDP_TCP_KEY)
}

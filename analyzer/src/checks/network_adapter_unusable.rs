//! RDP066: no network adapter gives the host an address clients can reach.
//!
//! Before any RDP setting matters, a client needs a route to one of the host's addresses. Windows
//! reports each adapter in `ipconfig /all`: `Media disconnected` when no cable is plugged in, the
//! Wi-Fi is not associated or a VPN is down; an `Autoconfiguration IPv4 Address` in
//! 169.254.0.0/16 (APIPA) when DHCP is enabled but no DHCP server answered; `0.0.0.0` or a
//! `(Duplicate)` address when another machine holds the static address. With no connected
//! adapter holding a usable IPv4 address, every client times out ("Remote Desktop can't find the
//! computer" / 0x204). With one, but no default gateway on it, only clients of the same subnet
//! can connect (`route print` confirms that no default route is active).
//!
//! Also here, because they break the same path: the DHCP Client service (`Dhcp`, from
//! `sc queryex type= service state= all`) stopped while adapters use DHCP (leases are not
//! renewed; when one expires the adapter falls back to APIPA), and a listener bound by
//! `LanAdapter` (RDP027 names the setting) to an address that no connected adapter holds any
//! more, as netstat shows it.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, ServiceState, RDP_TCP_KEY};
use crate::parse::identify::Kind;
use crate::parse::ipconfig::{Adapter, Address, IpConfig};
use std::net::Ipv4Addr;

pub static CHECK: Check = Check {
    id: "RDP066",
    name: "network-adapter-unusable",
    severity: Severity::Error,
    title: "No network adapter gives the host a reachable IP address",
    explanation: "ipconfig shows no connected adapter with a usable IPv4 address (all media \
                  disconnected, only APIPA 169.254.x.x addresses, duplicates or none), or no \
                  default gateway, or DHCP-configured adapters without a running DHCP Client \
                  service. Clients cannot reach the host, whatever the Remote Desktop settings.",
    remediation: "Connect the network cable or Wi-Fi (`ipconfig /all` must show no 'Media \
                  disconnected' on the LAN adapter). For a 169.254.x.x address: make sure a DHCP \
                  server serves this network (or set a static address), start the DHCP Client \
                  service (`sc config Dhcp start= auto` and `net start Dhcp`) and run \
                  `ipconfig /renew`. For a duplicate address: give this host a free address. \
                  Without a default gateway: set one on the adapter (`netsh interface ipv4 set \
                  address name=\"Ethernet\" static <ip> <mask> <gateway>`) so clients of other \
                  subnets can reach it.",
    needs: &[Kind::IpConfig],
    fixture: "fixtures/network-adapter-unusable",
    requires: Some(missing),
    run,
};

/// "Cannot tell" when every ipconfig output read is in a display language the parser does not
/// know: its adapters would look address-less.
fn missing(ev: &Evidence) -> Option<String> {
    let unknown: Vec<&str> = ev
        .ipconfig
        .iter()
        .filter(|c| c.value.labels_unknown())
        .map(|c| c.artifact.as_str())
        .collect();
    (!ev.ipconfig.is_empty() && unknown.len() == ev.ipconfig.len()).then(|| {
        format!(
            "cannot tell: the labels of {} are in a language rdp-analyze does not read (English \
             and German are read)",
            unknown.join(", ")
        )
    })
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for cfg in ev.ipconfig.iter().filter(|c| !c.value.labels_unknown()) {
        let artifact = cfg.artifact.as_str();
        let c = &cfg.value;
        match no_usable_ipv4(artifact, c) {
            Some(f) => out.push(f),
            None => out.extend(no_gateway(ev, artifact, c)),
        }
        out.extend(dhcp_service_stopped(ev, artifact, c));
        out.extend(listener_address_gone(ev, artifact, c));
    }
    out
}

/// The adapters that can carry client traffic: not tunnel or loopback pseudo-interfaces.
fn candidates(c: &IpConfig) -> impl Iterator<Item = &Adapter> {
    c.adapters.iter().filter(|a| !a.is_tunnel() && !a.is_loopback())
}

/// The connected, not host-only adapters with a usable IPv4 address.
fn usable(c: &IpConfig) -> Vec<(&Adapter, &Address)> {
    candidates(c)
        .filter(|a| !a.is_disconnected() && !a.is_host_only())
        .flat_map(|a| a.usable_ipv4().map(move |x| (a, x)))
        .collect()
}

/// Why one adapter gives no usable IPv4, with the line that shows it.
fn why_unusable(a: &Adapter) -> (String, usize) {
    if let Some((state, line)) = &a.media_state {
        if a.is_disconnected() {
            return (state.clone(), *line);
        }
    }
    if a.is_host_only() {
        return (
            "a host-only virtual network (reaches only virtual machines on this computer)".into(),
            a.line,
        );
    }
    if let Some(x) = a.ipv4.iter().find(|x| x.is_apipa()) {
        let dhcp = if a.dhcp_enabled.is_some_and(|d| d.0) {
            "DHCP is enabled but no DHCP server answered"
        } else {
            "no address configured"
        };
        return (
            format!("{} only, an APIPA address ({dhcp})", x.address),
            x.line,
        );
    }
    if let Some(x) = a.ipv4.iter().find(|x| x.is_unusable_state()) {
        let state = x.status.as_deref().unwrap_or("");
        let meaning = match state.to_lowercase().as_str() {
            "tentative" | "vorläufig" => "duplicate address detection has not finished",
            "deprecated" | "veraltet" => "the address is being retired",
            _ => "another machine on the network holds this address",
        };
        return (format!("{} ({state}: {meaning})", x.address), x.line);
    }
    if let Some(x) = a.ipv4.iter().find(|x| x.ipv4().is_some_and(|v| v.is_unspecified())) {
        return (format!("{} (no address assigned)", x.address), x.line);
    }
    ("no IPv4 address".into(), a.line)
}

fn no_usable_ipv4(artifact: &str, c: &IpConfig) -> Option<Finding> {
    if !usable(c).is_empty() {
        return None;
    }
    let all: Vec<&Adapter> = candidates(c).collect();
    let mut f = Finding::new(&CHECK, String::new());
    let mut parts = Vec::new();
    for a in &all {
        let (why, line) = why_unusable(a);
        parts.push(format!("{}: {why}", a.label()));
        f = f.evidence(EvidenceRef::line(
            artifact,
            line,
            format!("{}: {why}", a.header),
        ));
    }
    let apipa: Vec<&str> = all
        .iter()
        .flat_map(|a| a.ipv4.iter())
        .filter(|x| x.is_apipa())
        .map(|x| x.address.as_str())
        .collect();
    let v6: Vec<&str> = all
        .iter()
        .filter(|a| !a.is_disconnected() && !a.is_host_only())
        .flat_map(|a| a.global_ipv6())
        .map(|x| x.address.as_str())
        .collect();
    let connected = all.iter().filter(|a| !a.is_disconnected()).count();
    f.message = if all.is_empty() {
        "ipconfig lists no network adapter at all (other than tunnel pseudo-interfaces): the \
         host has no network connection clients could use."
            .into()
    } else {
        format!(
            "No connected network adapter has an IPv4 address clients can reach. {}.",
            parts.join("; ")
        )
    };
    if let Some(first) = v6.first() {
        f.message.push_str(&format!(
            " The host still has the global IPv6 address {first}: only clients that connect \
             over IPv6 (by that address, or a name resolving to it) can reach it."
        ));
        f = f.severity(Severity::Warning).title(
            "No network adapter gives the host a usable IPv4 address (IPv6 only)".to_string(),
        );
    } else if !apipa.is_empty() {
        f = f.title(format!(
            "The host has only an APIPA address ({}): DHCP failed",
            apipa.join(", ")
        ));
    } else if connected == 0 && !all.is_empty() {
        f = f.title("Every network adapter of the host is disconnected".to_string());
    }
    Some(
        f.fact("artifact", artifact)
            .fact("adapters", all.len())
            .fact("connected", connected)
            .fact("usable_ipv4", 0)
            .fact("apipa", apipa.join(", ")),
    )
}

/// The network of `addr` with `mask`, as `10.0.0.0/24`.
fn network(addr: Ipv4Addr, mask: &str) -> Option<String> {
    let m: Ipv4Addr = mask.trim().parse().ok()?;
    let bits = u32::from(m);
    let net = Ipv4Addr::from(u32::from(addr) & bits);
    Some(format!("{net}/{}", bits.count_ones()))
}

fn no_gateway(ev: &Evidence, artifact: &str, c: &IpConfig) -> Option<Finding> {
    let usable = usable(c);
    let any_gateway = candidates(c)
        .filter(|a| !a.is_disconnected() && !a.is_host_only())
        .any(|a| a.ipv4_gateways().next().is_some());
    if any_gateway {
        return None;
    }
    // The route table is the authority on routes in force: a default route there means a
    // gateway exists even if ipconfig shows none.
    let mut persistent = Vec::new();
    for r in &ev.routes {
        if r.value.default_routes().next().is_some() {
            return None;
        }
        persistent.extend(
            r.value
                .persistent_default_routes()
                .map(|p| (r.artifact.as_str(), p)),
        );
    }
    let nets: Vec<String> = usable
        .iter()
        .filter_map(|(a, x)| {
            let idx = a.ipv4.iter().position(|y| std::ptr::eq(y, *x)).unwrap_or(0);
            let mask = a.subnet_masks.get(idx).or(a.subnet_masks.first())?;
            network(x.ipv4()?, mask)
        })
        .collect();
    let addrs: Vec<String> = usable
        .iter()
        .map(|(a, x)| format!("{} on {}", x.address, a.label()))
        .collect();
    let mut f = Finding::new(
        &CHECK,
        format!(
            "No connected adapter has a default gateway ({}). The host answers only clients on \
             its own subnet{}; connections from any other network (VPN users, other sites, \
             other VLANs) time out.",
            addrs.join("; "),
            if nets.is_empty() {
                String::new()
            } else {
                format!(" ({})", nets.join(", "))
            }
        ),
    )
    .severity(Severity::Warning)
    .title("No default gateway: only clients on the same subnet can reach the host")
    .fact("artifact", artifact)
    .fact("usable_ipv4", usable.len())
    .fact("default_gateway", "none");
    for (a, x) in &usable {
        let line = a
            .gateways
            .first()
            .map(|g| g.line)
            .unwrap_or(x.line);
        f = f.evidence(EvidenceRef::line(
            artifact,
            line,
            format!("{}: IPv4 {} and no IPv4 default gateway", a.header, x.address),
        ));
    }
    if ev.routes.is_empty() {
        f.message
            .push_str(" (No `route print` output to confirm the route table.)");
    } else {
        f.message
            .push_str(" `route print` confirms that no default route (0.0.0.0/0) is active.");
    }
    for (art, p) in persistent {
        f.message.push_str(&format!(
            " A persistent default route via {} is configured but not active: that gateway is \
             not reachable from any adapter.",
            p.gateway
        ));
        f = f.evidence(EvidenceRef::line(
            art,
            p.line,
            format!("persistent route {} {} {}", p.destination, p.netmask, p.gateway),
        ));
    }
    Some(f)
}

fn dhcp_service_stopped(ev: &Evidence, artifact: &str, c: &IpConfig) -> Option<Finding> {
    let (sc_artifact, status) = ev.service("Dhcp")?;
    if matches!(
        status.state,
        ServiceState::Running | ServiceState::StartPending | ServiceState::Unknown(_)
    ) {
        return None;
    }
    let dhcp: Vec<&Adapter> = candidates(c)
        .filter(|a| a.dhcp_enabled.is_some_and(|d| d.0) && !a.is_disconnected())
        .collect();
    if dhcp.is_empty() {
        return None;
    }
    let broken: Vec<&&Adapter> = dhcp
        .iter()
        .filter(|a| a.usable_ipv4().next().is_none())
        .collect();
    let disabled = support::service_start(ev, "Dhcp")
        .map(|(v, _)| v == 4)
        .or_else(|| ev.service_start_type("Dhcp").map(|(t, _, _)| t == 4))
        .unwrap_or(false);
    let names: Vec<String> = dhcp.iter().map(|a| a.label()).collect();
    let state = format!("{:?}", status.state);
    let mut f = Finding::new(
        &CHECK,
        format!(
            "The DHCP Client service (Dhcp) is {}{} while {} obtain{} its address by DHCP: \
             leases are neither obtained nor renewed, and when a lease expires the adapter falls \
             back to an APIPA address (169.254.x.x) that clients cannot reach.",
            state.to_lowercase(),
            if disabled { " and disabled" } else { "" },
            names.join(", "),
            if dhcp.len() == 1 { "s" } else { "" }
        ),
    )
    .title(if disabled {
        "The DHCP Client service is disabled while adapters use DHCP"
    } else {
        "The DHCP Client service is not running while adapters use DHCP"
    })
    .fact("artifact", artifact)
    .fact("service", "Dhcp")
    .fact("state", state.to_uppercase())
    .evidence(support::service_state_ref(sc_artifact, status));
    for a in &dhcp {
        if let Some((_, line)) = a.dhcp_enabled {
            f = f.evidence(EvidenceRef::line(
                artifact,
                line,
                format!("{}: DHCP Enabled: Yes", a.header),
            ));
        }
    }
    if broken.is_empty() {
        let expiry: Vec<String> = dhcp
            .iter()
            .filter_map(|a| a.lease_expires.as_ref().map(|l| format!("{}: {l}", a.label())))
            .collect();
        if !expiry.is_empty() {
            f.message
                .push_str(&format!(" Current leases expire: {}.", expiry.join("; ")));
        }
        f = f.severity(Severity::Warning);
    } else {
        f.message.push_str(&format!(
            " {} already ha{} no usable address.",
            broken.iter().map(|a| a.label()).collect::<Vec<_>>().join(", "),
            if broken.len() == 1 { "s" } else { "ve" }
        ));
    }
    Some(f)
}

/// `LanAdapter` binds the listener to one adapter; netstat shows the address it listens on. When
/// no connected adapter holds that address any more, the listener cannot be reached at all.
fn listener_address_gone(ev: &Evidence, artifact: &str, c: &IpConfig) -> Option<Finding> {
    let hit = ev.reg_value(RDP_TCP_KEY, "LanAdapter")?;
    let lana = hit.value.data.as_u32().filter(|v| *v != 0)?;
    let (port, _) = ev.rdp_port();
    let usable: Vec<&str> = usable(c).iter().map(|(_, x)| x.address.as_str()).collect();
    for n in &ev.netstat {
        let bound: Vec<_> = n
            .value
            .tcp_listeners(port)
            .into_iter()
            .filter(|s| !s.ipv6 && !matches!(s.local_address.as_str(), "0.0.0.0" | "*"))
            .collect();
        if bound.is_empty() || bound.iter().any(|s| usable.contains(&s.local_address.as_str())) {
            continue;
        }
        let addrs: Vec<&str> = bound.iter().map(|s| s.local_address.as_str()).collect();
        let holder = c
            .adapters
            .iter()
            .find(|a| a.ipv4.iter().any(|x| addrs.contains(&x.address.as_str())));
        let mut f = Finding::new(
            &CHECK,
            format!(
                "The RDP listener is bound to adapter {lana} (LanAdapter, see RDP027) and \
                 listens on {} only, but {}. No client can reach the listener.",
                addrs.join(", "),
                match holder {
                    Some(a) if a.is_disconnected() => format!("{} is disconnected", a.label()),
                    Some(a) => format!("{} cannot use that address", a.label()),
                    None => "no adapter in ipconfig holds that address".to_string(),
                }
            ),
        )
        .title(match holder {
            Some(a) if a.is_disconnected() => {
                "The RDP listener is bound to an adapter that is disconnected"
            }
            _ => "The RDP listener is bound to an address no connected adapter holds",
        })
        .fact("artifact", artifact)
        .fact("LanAdapter", lana)
        .evidence(support::reg_ref(&hit));
        for s in &bound {
            f = f.evidence(EvidenceRef::line(
                &n.artifact,
                s.line,
                format!("TCP {}:{port} LISTENING", s.local_address),
            ));
        }
        if let Some(a) = holder {
            f = f.evidence(EvidenceRef::line(artifact, a.line, a.header.clone()));
        }
        return Some(f);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::evidence_from_xml;

    const HEAD: &str = "\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : WS-0042\r\n\r\n";

    fn adapter(name: &str, body: &[&str]) -> String {
        let mut s = format!("Ethernet adapter {name}:\r\n\r\n");
        for l in body {
            s.push_str("   ");
            s.push_str(l);
            s.push_str("\r\n");
        }
        s.push_str("\r\n");
        s
    }

    fn run_on(files: &[(&str, &str)]) -> Vec<Finding> {
        run(&evidence_from_xml(files))
    }

    #[test]
    fn all_disconnected_or_apipa_is_an_error() {
        let t = format!(
            "{HEAD}{}{}",
            adapter(
                "Ethernet",
                &["Media State . . . . . . . . . . . : Media disconnected"]
            ),
            adapter(
                "Wi-Fi",
                &[
                    "DHCP Enabled. . . . . . . . . . . : Yes",
                    "Autoconfiguration IPv4 Address. . : 169.254.12.7(Preferred)",
                    "Subnet Mask . . . . . . . . . . . : 255.255.0.0",
                    "Default Gateway . . . . . . . . . :",
                ]
            )
        );
        let f = run_on(&[("commands/ipconfig-all.txt", &t)]);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].facts["apipa"], "169.254.12.7");
        assert!(f[0].title.contains("APIPA"));
        assert!(f[0].message.contains("Media disconnected"), "{}", f[0].message);
        assert!(f[0].message.contains("DHCP is enabled but no DHCP server answered"));
        assert_eq!(f[0].evidence.len(), 2);
    }

    #[test]
    fn ipv6_only_is_a_warning_and_healthy_is_quiet() {
        let t = format!(
            "{HEAD}{}",
            adapter(
                "Ethernet",
                &[
                    "IPv6 Address. . . . . . . . . . . : 2001:db8::5(Preferred)",
                    "Autoconfiguration IPv4 Address. . : 169.254.1.2(Preferred)",
                ]
            )
        );
        let f = run_on(&[("commands/ipconfig-all.txt", &t)]);
        assert_eq!(f[0].severity, Severity::Warning);
        let ok = format!(
            "{HEAD}{}",
            adapter(
                "Ethernet",
                &[
                    "IPv4 Address. . . . . . . . . . . : 10.0.0.5(Preferred)",
                    "Subnet Mask . . . . . . . . . . . : 255.255.255.0",
                    "Default Gateway . . . . . . . . . : 10.0.0.1",
                ]
            )
        );
        assert!(run_on(&[("commands/ipconfig-all.txt", &ok)]).is_empty());
    }

    #[test]
    fn no_gateway_is_a_warning_unless_route_print_has_a_default_route() {
        let t = format!(
            "{HEAD}{}",
            adapter(
                "Ethernet",
                &[
                    "IPv4 Address. . . . . . . . . . . : 10.0.7.5(Preferred)",
                    "Subnet Mask . . . . . . . . . . . : 255.255.255.0",
                    "Default Gateway . . . . . . . . . :",
                ]
            )
        );
        let f = run_on(&[("commands/ipconfig-all.txt", &t)]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("10.0.7.0/24"), "{}", f[0].message);
        let route = "===========================================================================\r\nInterface List\r\n 12...00 1c 42 da 01 6a ......Intel(R) Ethernet\r\n===========================================================================\r\n\r\nIPv4 Route Table\r\n===========================================================================\r\nActive Routes:\r\nNetwork Destination        Netmask          Gateway       Interface  Metric\r\n          0.0.0.0          0.0.0.0         10.0.7.1         10.0.7.5     25\r\n===========================================================================\r\n";
        let f = run_on(&[
            ("commands/ipconfig-all.txt", &t),
            ("commands/route-print.txt", route),
        ]);
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn dhcp_service_stopped() {
        let t = format!(
            "{HEAD}{}",
            adapter(
                "Ethernet",
                &[
                    "DHCP Enabled. . . . . . . . . . . : Yes",
                    "IPv4 Address. . . . . . . . . . . : 10.0.0.5(Preferred)",
                    "Subnet Mask . . . . . . . . . . . : 255.255.255.0",
                    "Lease Expires . . . . . . . . . . : Monday, September 23, 2024 2:31:46 AM",
                    "Default Gateway . . . . . . . . . : 10.0.0.1",
                ]
            )
        );
        let sc = "\r\nSERVICE_NAME: Dhcp\r\nDISPLAY_NAME: DHCP Client\r\n        TYPE               : 20  WIN32_SHARE_PROCESS\r\n        STATE              : 1  STOPPED\r\n        WIN32_EXIT_CODE    : 1077  (0x435)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n        PID                : 0\r\n        FLAGS              :\r\n";
        let f = run_on(&[
            ("commands/ipconfig-all.txt", &t),
            ("commands/sc-queryex-all.txt", sc),
        ]);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].facts["state"], "STOPPED");
        assert!(f[0].message.contains("Monday, September 23"));
    }

    #[test]
    fn listener_bound_to_an_address_no_adapter_holds() {
        let t = format!(
            "{HEAD}{}{}",
            adapter(
                "Ethernet",
                &["Media State . . . . . . . . . . . : Media disconnected"]
            ),
            adapter(
                "Ethernet 2",
                &[
                    "IPv4 Address. . . . . . . . . . . : 10.0.9.5(Preferred)",
                    "Subnet Mask . . . . . . . . . . . : 255.255.255.0",
                    "Default Gateway . . . . . . . . . : 10.0.9.1",
                ]
            )
        );
        let reg = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp]\r\n\"LanAdapter\"=dword:00000001\r\n\r\n";
        let netstat = "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    10.0.0.25:3389         0.0.0.0:0              LISTENING       1236\r\n";
        let f = run_on(&[
            ("commands/ipconfig-all.txt", &t),
            ("registry/terminal-server.reg", reg),
            ("commands/netstat-ano.txt", netstat),
        ]);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].facts["LanAdapter"], "1");
        assert!(f[0].message.contains("10.0.0.25"), "{}", f[0].message);
        assert!(f[0].message.contains("no adapter in ipconfig holds"));
        // The listener on an address a connected adapter holds: nothing to add to RDP027.
        let ok = netstat.replace("10.0.0.25", "10.0.9.5");
        let f = run_on(&[
            ("commands/ipconfig-all.txt", &t),
            ("registry/terminal-server.reg", reg),
            ("commands/netstat-ano.txt", &ok),
        ]);
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn unknown_language_cannot_tell() {
        let fr = "Configuration IP de Windows\r\n\r\nCarte Ethernet Ethernet :\r\n\r\n   Adresse IPv4. . . . . . . . . . . . . .: 192.168.1.10\r\n";
        let ev = evidence_from_xml(&[("commands/ipconfig-all.txt", fr)]);
        assert!(missing(&ev).unwrap().contains("cannot tell"));
        assert!(run(&ev).is_empty());
    }

    #[test]
    fn network_of_an_address() {
        assert_eq!(
            network("192.168.178.23".parse().unwrap(), "255.255.255.0").as_deref(),
            Some("192.168.178.0/24")
        );
        assert_eq!(network("10.1.2.3".parse().unwrap(), "x"), None);
    }
}

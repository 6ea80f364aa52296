//! RDP044: what other computers see when they connect, from `rdp-collect probe` files.
//!
//! The guide's step "run psping HOST:3389 from several computers and note whether the machine
//! blocks all of them, some, or one", automated. Windows mechanisms behind each outcome:
//! - *refused* (TCP RST): nothing listens on that address and port (TermService stopped, the
//!   RDP-Tcp listener disabled, bound by `LanAdapter` to another adapter, or on another
//!   `PortNumber`), or Windows Firewall with a *block* rule rejects;
//! - *filtered* (no answer): Windows Firewall drops what no allow rule admits (default inbound
//!   action Block, a rule's RemoteIP scope that does not contain the client), or a network
//!   firewall between them drops it;
//! - *negotiation refused*: the listener answers with `RDP_NEG_FAILURE` (e.g.
//!   `HYBRID_REQUIRED_BY_SERVER` when NLA is required and the client offered only TLS);
//! - *not RDP*: something else answers on that port (another service, a proxy).
//!
//! Each client gets a finding (reachable ones an info), correlated with the server's evidence
//! when the bundle is beside the probe files: the allow rules' RemoteIP scope against the
//! client's source address, and the local handshake probe (answers on 127.0.0.1 while every
//! client is refused: bound to another adapter or port).

use super::firewall_blocks_rdp::{active_blocking_profiles, allows_port, rule_ref};
use super::support::reg_ref;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, RDP_TCP_KEY};
use crate::parse::client_probe::{ClientProbe, Outcome};
use crate::parse::identify::Kind;
use std::net::IpAddr;

pub static CHECK: Check = Check {
    id: "RDP044",
    name: "client-reachability",
    severity: Severity::Error,
    title: "Another computer cannot reach RDP on this machine",
    explanation: "A probe run on another computer (rdp-collect probe) connected to the server's \
                  RDP port: a refused connection means nothing listens on that address and port \
                  (or a firewall rejects it), a timeout means a firewall drops it (a network \
                  firewall, or a Windows Firewall rule whose remote scope excludes the client), \
                  and a refused negotiation means the listener answers but will not accept what \
                  the client offers.",
    remediation: "Follow the cause named for each client: widen the named firewall rule's \
                  Scope > Remote IP address to include the client's network, ask the network \
                  team to open TCP to the RDP port on the firewall between, bind the listener to \
                  all adapters (LanAdapter = 0) and check PortNumber, or have the client support \
                  Network Level Authentication.",
    needs: &[Kind::ClientProbe],
    fixture: "fixtures/client-probe-filtered",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let reachable: Vec<String> = ev
        .client_probes
        .iter()
        .filter(|p| p.value.outcome() == Outcome::Reachable)
        .map(|p| p.value.client_label())
        .collect();
    let tcp_outcomes: Vec<Outcome> = ev
        .client_probes
        .iter()
        .map(|p| p.value.outcome())
        .filter(|o| {
            matches!(
                o,
                Outcome::Reachable
                    | Outcome::Refused
                    | Outcome::Filtered
                    | Outcome::NegotiationRefused
                    | Outcome::NotRdp
            )
        })
        .collect();
    let refused_everywhere =
        !tcp_outcomes.is_empty() && tcp_outcomes.iter().all(|o| *o == Outcome::Refused);
    let mut out = Vec::new();
    for located in &ev.client_probes {
        let p = &located.value;
        let who = p.client_label();
        let target = p.target.clone().unwrap_or_else(|| "the server".into());
        let from_file = EvidenceRef::file(
            &located.artifact,
            format!(
                "{who} → {target}: {}",
                p.verdict_text.as_deref().unwrap_or("(no verdict)")
            ),
        );
        let mut f =
            match p.outcome() {
                Outcome::Reachable => Finding::new(
                    &CHECK,
                    format!(
                        "{who} reaches {target} and the RDP listener answers ({} of {} attempts \
                     connected).",
                        p.summary.connected.unwrap_or(0),
                        p.summary.sent.unwrap_or(0)
                    ),
                )
                .title(format!("Reachable from {who}"))
                .severity(Severity::Info)
                .remediation("Nothing to do for this client."),
                Outcome::Refused => refused(ev, p, &who, &target, refused_everywhere),
                Outcome::Filtered => filtered(ev, p, &who, &target, &reachable),
                Outcome::NegotiationRefused => {
                    let h = p.handshake.as_ref();
                    let (code, name, meaning) = h
                        .and_then(|h| h.negotiation_failure())
                        .unwrap_or((0, "unknown", "an unknown negotiation failure"));
                    Finding::new(
                        &CHECK,
                        format!(
                            "{who} connects to {target}, but the listener refuses the RDP \
                         negotiation: {name} (0x{code:x}), {meaning}. The client offered {}.",
                            h.map(|h| h.requested_protocols.join(", "))
                                .filter(|s| !s.is_empty())
                                .unwrap_or_else(|| "nothing recorded".into())
                        ),
                    )
                    .title(format!("{who}: the RDP negotiation is refused ({name})"))
                    .fact("failure", name)
                }
                Outcome::NotRdp => Finding::new(
                    &CHECK,
                    format!(
                        "{who} connects to {target}, but what answers is not an RDP listener: {}. \
                     Another service or a proxy holds that port on the address the client \
                     reaches, or the name leads to another machine.",
                        p.handshake
                            .as_ref()
                            .and_then(|h| h.negotiation_error.clone())
                            .unwrap_or_else(|| "no RDP answer".into())
                    ),
                )
                .title(format!(
                    "{who}: something other than RDP answers on {target}"
                )),
                Outcome::DnsFailure => Finding::new(
                    &CHECK,
                    format!(
                        "{who} cannot resolve {}: the client uses a name its DNS does not know.",
                        p.host.as_deref().unwrap_or("the server name")
                    ),
                )
                .title(format!("{who}: the server name does not resolve"))
                .severity(Severity::Warning),
                Outcome::Unreachable => Finding::new(
                    &CHECK,
                    format!("{who} has no route to {target} (network or host unreachable)."),
                )
                .title(format!("{who}: no route to the server")),
                Outcome::Unknown => continue,
            };
        f = f
            .fact("client", p.client.name.clone().unwrap_or_default())
            .fact("outcome", outcome_word(p.outcome()));
        if let Some(a) = p.source_address() {
            f = f.fact("client_address", a);
        }
        f.evidence.insert(0, from_file);
        out.push(f);
    }
    out
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Reachable => "reachable",
        Outcome::Refused => "refused",
        Outcome::Filtered => "filtered",
        Outcome::Unreachable => "unreachable",
        Outcome::DnsFailure => "dns_failure",
        Outcome::NegotiationRefused => "negotiation_refused",
        Outcome::NotRdp => "not_rdp",
        Outcome::Unknown => "unknown",
    }
}

fn refused(ev: &Evidence, p: &ClientProbe, who: &str, target: &str, everywhere: bool) -> Finding {
    let local = ev
        .handshake
        .iter()
        .find_map(|h| (h.value.answers_locally() == Some(true)).then_some(h.artifact.as_str()));
    let mut refs = Vec::new();
    let why = match (everywhere, local) {
        (true, Some(artifact)) => {
            refs.push(EvidenceRef::file(
                artifact,
                "the local handshake probe: the listener answers on 127.0.0.1",
            ));
            let adapter = ev
                .reg_value(RDP_TCP_KEY, "LanAdapter")
                .filter(|h| h.value.data.as_u32().is_some_and(|v| v != 0));
            let (port, port_hit) = ev.rdp_port();
            if let Some(hit) = &adapter {
                refs.push(reg_ref(hit));
            }
            let mut s = "every client is refused while the listener answers locally: it is bound \
                         to another adapter or port than the clients use"
                .to_string();
            if adapter.is_some() {
                s.push_str(" (RDP-Tcp LanAdapter binds it to one network adapter)");
            }
            if p.port.is_some_and(|cp| cp != port) {
                s.push_str(&format!(
                    " (the client tried port {}, the listener is on {port})",
                    p.port.unwrap_or(0)
                ));
                if let Some(hit) = port_hit {
                    refs.push(reg_ref(&hit));
                }
            }
            s
        }
        (true, None) => "every client is refused: nothing listens on that address and port, or \
                         a firewall rejects the connection"
            .to_string(),
        (false, _) => "other clients get further: a firewall rejects this client, or it uses \
                       another address or port"
            .to_string(),
    };
    let mut f = Finding::new(
        &CHECK,
        format!("{who} is refused by {target} (TCP reset): {why}."),
    )
    .title(format!("{who}: connection refused"));
    f.evidence.extend(refs);
    f
}

fn filtered(
    ev: &Evidence,
    p: &ClientProbe,
    who: &str,
    target: &str,
    reachable: &[String],
) -> Finding {
    let others = if reachable.is_empty() {
        String::new()
    } else {
        format!(" Reachable from {}.", reachable.join(", "))
    };
    let mut refs = Vec::new();
    let (port, _) = ev.rdp_port();
    let addr: Option<IpAddr> = p.source_address().and_then(|a| a.parse().ok());
    let mut why = "no answer within the time limit: a firewall drops the connection (a network \
                   firewall between, or Windows Firewall), or the machine is off"
        .to_string();
    if let Some(addr) = addr {
        let (active, _, _) = active_blocking_profiles(ev);
        let allowing: Vec<_> = ev
            .firewall_rules
            .iter()
            .flat_map(|l| l.value.rules.iter().map(move |r| (l.artifact.as_str(), r)))
            .filter(|(_, r)| active.iter().any(|prof| allows_port(r, port, prof)))
            .collect();
        let admitted: Vec<_> = allowing
            .iter()
            .filter(|(_, r)| scope_contains(&r.remote_ip, addr) == Some(true))
            .collect();
        let maybe = allowing
            .iter()
            .any(|(_, r)| scope_contains(&r.remote_ip, addr).is_none());
        if !allowing.is_empty() && admitted.is_empty() {
            let names: Vec<String> = allowing
                .iter()
                .map(|(_, r)| format!("'{}' rule's RemoteIP scope {}", r.name, r.remote_ip))
                .collect();
            why = format!(
                "the {} does not include {addr}: Windows Firewall drops it{}",
                dedup(names).join("; the "),
                if maybe {
                    " (unless the client is on a network the scope's keywords, such as \
                     LocalSubnet, cover)"
                } else {
                    ""
                }
            );
            refs.extend(allowing.iter().map(|(a, r)| rule_ref(a, r)));
        } else if let Some((_, r)) = admitted.first() {
            why = format!(
                "the server's Windows Firewall admits {addr} (rule '{}'), so a firewall between \
                 the client and the server drops it, or NAT changes the client's address",
                r.name
            );
        }
    }
    let mut f = Finding::new(&CHECK, format!("{who}: {target} timed out: {why}.{others}"))
        .title(format!("{who}: timed out (filtered)"));
    f.evidence.extend(refs);
    f
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    v.retain(|s| {
        let keep = !seen.contains(s);
        seen.push(s.clone());
        keep
    });
    v
}

/// Whether a Windows Firewall RemoteIP scope (`Any`, `10.20.0.0/255.255.0.0,LocalSubnet`,
/// `192.168.1.0/24`, `10.0.0.1-10.0.0.9`, single addresses) contains `addr`. `None` when it
/// depends on something the bundle does not say (`LocalSubnet`, `Internet`, `DNS`...) and no
/// listed address matches.
pub fn scope_contains(scope: &str, addr: IpAddr) -> Option<bool> {
    let mut unknown = false;
    for item in scope.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if item.eq_ignore_ascii_case("any") || item == "*" {
            return Some(true);
        }
        match item_contains(item, addr) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unknown = true,
        }
    }
    if unknown {
        None
    } else {
        Some(false)
    }
}

fn item_contains(item: &str, addr: IpAddr) -> Option<bool> {
    if let Some((a, b)) = item.split_once('-') {
        let (a, b): (IpAddr, IpAddr) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return Some(match (a, b, addr) {
            (IpAddr::V4(a), IpAddr::V4(b), IpAddr::V4(x)) => a <= x && x <= b,
            (IpAddr::V6(a), IpAddr::V6(b), IpAddr::V6(x)) => a <= x && x <= b,
            _ => false,
        });
    }
    let (net, mask) = match item.split_once('/') {
        Some((n, m)) => (n.trim(), Some(m.trim())),
        None => (item, None),
    };
    let net: IpAddr = net.parse().ok()?;
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(x)) => {
            let bits = match mask {
                None => 32,
                Some(m) => match m.parse::<u32>() {
                    Ok(b) if b <= 32 => b,
                    Ok(_) => return None,
                    Err(_) => u32::from(m.parse::<std::net::Ipv4Addr>().ok()?).count_ones(),
                },
            };
            let m = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Some(u32::from(n) & m == u32::from(x) & m)
        }
        (IpAddr::V6(n), IpAddr::V6(x)) => {
            let bits = match mask {
                None => 128,
                Some(m) => m.parse::<u32>().ok().filter(|b| *b <= 128)?,
            };
            let m = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            Some(u128::from(n) & m == u128::from(x) & m)
        }
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn scopes() {
        assert_eq!(scope_contains("Any", ip("1.2.3.4")), Some(true));
        assert_eq!(
            scope_contains("10.20.0.0/255.255.0.0,LocalSubnet", ip("10.20.5.7")),
            Some(true)
        );
        assert_eq!(
            scope_contains("10.20.0.0/255.255.0.0,LocalSubnet", ip("192.168.1.20")),
            None
        );
        assert_eq!(
            scope_contains("10.20.0.0/255.255.0.0", ip("192.168.1.20")),
            Some(false)
        );
        assert_eq!(
            scope_contains("192.168.1.0/24", ip("192.168.1.20")),
            Some(true)
        );
        assert_eq!(
            scope_contains("10.0.0.1-10.0.0.9", ip("10.0.0.5")),
            Some(true)
        );
        assert_eq!(
            scope_contains("10.0.0.1-10.0.0.9", ip("10.0.0.10")),
            Some(false)
        );
        assert_eq!(scope_contains("10.0.0.5", ip("10.0.0.5")), Some(true));
        assert_eq!(scope_contains("fd00::/8", ip("fd12::1")), Some(true));
        assert_eq!(scope_contains("fd00::/8", ip("10.0.0.1")), Some(false));
        assert_eq!(scope_contains("10.0.0.0/99", ip("10.0.0.1")), None);
        assert_eq!(scope_contains("", ip("10.0.0.1")), Some(false));
    }
}

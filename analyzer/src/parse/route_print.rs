//! `route print`: the interface list and the route tables, for the default route.
//!
//! ipconfig names each adapter's default gateway; the route table says which default routes are
//! in force (a persistent `route -p add 0.0.0.0 …` whose gateway is unreachable is listed under
//! Persistent Routes but not under Active Routes). Layout, verified on real English Windows 7,
//! 10, 11 and Server 2016 outputs (kellyjonbrazil/jc `tests/fixtures/windows/*/route_print.out`)
//! and a German Windows 7 output pasted in a public Java source's comment (`Schnittstellenliste`,
//! tunnel rows `13...00 00 00 00 00 00 00 e0 Microsoft-ISATAP-Adapter` without dot leader,
//! `IPv4-Routentabelle`, `Aktive Routen:`, gateway `Auf Verbindung`; `Ständige Routen:` / `Keine`
//! only in others' test data):
//!
//! ```text
//! ===========================================================================
//! Interface List
//!  12...00 1c 42 da 01 6a ......Parallels VirtIO Ethernet Adapter
//!   1...........................Software Loopback Interface 1
//! ===========================================================================
//!
//! IPv4 Route Table
//! ===========================================================================
//! Active Routes:
//! Network Destination        Netmask          Gateway       Interface  Metric
//!           0.0.0.0          0.0.0.0      10.211.55.1      10.211.55.3     15
//!       10.211.55.0    255.255.255.0         On-link       10.211.55.3    271
//! ===========================================================================
//! Persistent Routes:
//!   Network Address          Netmask  Gateway Address  Metric
//!          10.0.1.0    255.255.255.0     192.168.22.1       1
//! ===========================================================================
//!
//! IPv6 Route Table
//! ===========================================================================
//! Active Routes:
//!  If Metric Network Destination      Gateway
//!  12    271 ::/0                     fe80::1
//! ```
//!
//! Headings are localized, the rows are not: rows are recognized by their shape (addresses and
//! numbers), the section by the order Windows prints them in.

use super::text;
use super::ParseError;
use serde::Serialize;
use std::net::Ipv4Addr;

/// Most rows kept per table.
const MAX_ROWS: usize = 4096;
const MAX_VALUE_CHARS: usize = 256;

/// One IPv4 route row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub destination: String,
    pub netmask: String,
    /// An address, or `On-link` (`Auf Verbindung`).
    pub gateway: String,
    /// The local address of the interface (active routes only).
    pub interface: Option<String>,
    pub metric: Option<u64>,
    pub line: usize,
}

impl Route {
    /// `0.0.0.0` with mask `0.0.0.0`.
    pub fn is_default(&self) -> bool {
        self.destination == "0.0.0.0" && self.netmask == "0.0.0.0"
    }
}

/// One IPv6 route row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route6 {
    pub interface_index: u32,
    pub destination: String,
    pub gateway: Option<String>,
    pub line: usize,
}

/// One interface of the list: index and description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub index: u32,
    pub description: String,
    pub line: usize,
}

/// What `route print` printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RouteTable {
    pub interfaces: Vec<Interface>,
    pub active: Vec<Route>,
    pub persistent: Vec<Route>,
    pub active_v6: Vec<Route6>,
}

impl RouteTable {
    /// The active IPv4 default routes.
    pub fn default_routes(&self) -> impl Iterator<Item = &Route> {
        self.active.iter().filter(|r| r.is_default())
    }

    /// Persistent IPv4 default routes (configured with `route -p`).
    pub fn persistent_default_routes(&self) -> impl Iterator<Item = &Route> {
        self.persistent.iter().filter(|r| r.is_default())
    }

    /// Active IPv6 default routes (`::/0`).
    pub fn default_routes_v6(&self) -> impl Iterator<Item = &Route6> {
        self.active_v6.iter().filter(|r| r.destination == "::/0")
    }
}

fn is_ipv4(s: &str) -> bool {
    s.parse::<Ipv4Addr>().is_ok()
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 40 && t.chars().all(|c| c == '=')
}

/// ` 12...00 1c 42 da 01 6a ......Parallels VirtIO Ethernet Adapter` → (12, description).
fn interface_row(line: &str) -> Option<(u32, String)> {
    let t = line.trim_start();
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let rest = t.get(digits.len()..)?;
    if digits.is_empty() || !rest.starts_with("...") {
        return None;
    }
    // The MAC (six bytes, or eight for tunnels, which have no dot leader after it), then dots.
    let mut words = rest.trim_start_matches('.').split_whitespace().peekable();
    let mut hex = 0;
    while hex < 8
        && words
            .peek()
            .is_some_and(|w| w.len() == 2 && w.chars().all(|c| c.is_ascii_hexdigit()))
    {
        words.next();
        hex += 1;
    }
    let desc = words.collect::<Vec<_>>().join(" ");
    let index = digits.parse().ok()?;
    Some((
        index,
        desc.trim_start_matches('.')
            .trim()
            .chars()
            .take(MAX_VALUE_CHARS)
            .collect(),
    ))
}

/// True for `route print` output: it opens with a rule of `=` and lists an interface row
/// (`  1...........................Software Loopback Interface 1`) soon after.
pub fn sniff(text: &str) -> bool {
    let mut lines = text::lines(text)
        .map(|(_, l)| l.trim_start_matches('\u{feff}'))
        .filter(|l| !l.trim().is_empty());
    if !lines.next().is_some_and(is_rule) {
        return false;
    }
    lines.take(40).any(|l| interface_row(l).is_some())
}

/// Where in the output a row is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Interfaces,
    V4Active,
    V4Persistent,
    V6Active,
    V6Persistent,
}

/// Parses the output. Fails when neither an interface nor a route row is found.
pub fn parse(text: &str) -> Result<RouteTable, ParseError> {
    let mut out = RouteTable::default();
    let mut section = Section::Interfaces;
    let mut last_v6: Option<usize> = None;
    for (n, raw) in text::lines(text) {
        let line = raw.trim_start_matches('\u{feff}');
        let t = line.trim();
        if t.is_empty() || is_rule(line) {
            continue;
        }
        let tokens: Vec<&str> = t.split_whitespace().collect();
        let lower = t.to_lowercase();
        // Headings: localized, but "IPv4"/"IPv6" and the colon of the route lists are not.
        if lower.contains("ipv4") && !tokens.iter().any(|w| is_ipv4(w)) {
            section = Section::V4Active;
            continue;
        }
        if lower.contains("ipv6") && tokens.len() <= 4 && !t.contains("::") {
            section = Section::V6Active;
            continue;
        }
        if t.ends_with(':') && tokens.len() <= 3 {
            // `Active Routes:` opens a table; a second list in the same table is persistent.
            let persistent = lower.contains("persistent") || lower.contains("ständige");
            section = match (section, persistent) {
                (Section::V4Active | Section::V4Persistent, true) => Section::V4Persistent,
                (Section::V6Active | Section::V6Persistent, true) => Section::V6Persistent,
                (s, _) => s,
            };
            continue;
        }
        match section {
            Section::Interfaces => {
                if let Some((index, description)) = interface_row(line) {
                    if out.interfaces.len() < MAX_ROWS {
                        out.interfaces.push(Interface {
                            index,
                            description,
                            line: n,
                        });
                    }
                }
            }
            Section::V4Active | Section::V4Persistent => {
                let Some(r) = v4_row(&tokens, section == Section::V4Active, n) else {
                    continue;
                };
                let list = if section == Section::V4Active {
                    &mut out.active
                } else {
                    &mut out.persistent
                };
                if list.len() < MAX_ROWS {
                    list.push(r);
                }
            }
            Section::V6Active => {
                match tokens.as_slice() {
                    [idx, metric, dest, rest @ ..]
                        if idx.parse::<u32>().is_ok()
                            && metric.parse::<u64>().is_ok()
                            && dest.contains(':') =>
                    {
                        if out.active_v6.len() < MAX_ROWS {
                            out.active_v6.push(Route6 {
                                interface_index: idx.parse().unwrap_or(0),
                                destination: dest.chars().take(MAX_VALUE_CHARS).collect(),
                                gateway: (!rest.is_empty()).then(|| rest.join(" ")),
                                line: n,
                            });
                            last_v6 = Some(out.active_v6.len() - 1);
                        }
                        continue;
                    }
                    // A gateway wrapped onto its own line under a long destination.
                    _ => {
                        if let Some(r) = last_v6.and_then(|i| out.active_v6.get_mut(i)) {
                            if r.gateway.is_none() {
                                r.gateway = Some(t.chars().take(MAX_VALUE_CHARS).collect());
                            }
                        }
                    }
                }
                last_v6 = None;
            }
            Section::V6Persistent => {}
        }
    }
    if out.interfaces.is_empty() && out.active.is_empty() && out.active_v6.is_empty() {
        return Err(ParseError::new(
            "no interface or route row found (`route print` output expected)",
        ));
    }
    Ok(out)
}

/// An IPv4 row: `dest mask gateway interface metric` (active) or `dest mask gateway metric`
/// (persistent). The gateway may be two words (`Auf Verbindung`).
fn v4_row(tokens: &[&str], active: bool, line: usize) -> Option<Route> {
    let (dest, mask) = (*tokens.first()?, *tokens.get(1)?);
    if !is_ipv4(dest) || !is_ipv4(mask) {
        return None;
    }
    let metric_tok = *tokens.last()?;
    let metric = metric_tok.parse::<u64>().ok();
    let (gateway, interface) = if active {
        let iface = *tokens.get(tokens.len().checked_sub(2)?)?;
        if !is_ipv4(iface) || tokens.len() < 5 {
            return None;
        }
        (
            tokens.get(2..tokens.len() - 2)?.join(" "),
            Some(iface.to_string()),
        )
    } else {
        if tokens.len() < 4 {
            return None;
        }
        (tokens.get(2..tokens.len() - 1)?.join(" "), None)
    };
    Some(Route {
        destination: dest.to_string(),
        netmask: mask.to_string(),
        gateway: gateway.chars().take(MAX_VALUE_CHARS).collect(),
        interface,
        metric,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// English Windows 10, in the layout of kellyjonbrazil/jc's windows-10 route_print.out
    /// (shortened), CRLF.
    fn english() -> String {
        [
            "===========================================================================",
            "Interface List",
            " 28...........................Tailscale Tunnel",
            " 12...00 1c 42 da 01 6a ......Parallels VirtIO Ethernet Adapter",
            "  1...........................Software Loopback Interface 1",
            "===========================================================================",
            "",
            "IPv4 Route Table",
            "===========================================================================",
            "Active Routes:",
            "Network Destination        Netmask          Gateway       Interface  Metric",
            "          0.0.0.0          0.0.0.0      10.211.55.1      10.211.55.3     15",
            "      10.211.55.0    255.255.255.0         On-link       10.211.55.3    271",
            "        127.0.0.0        255.0.0.0         On-link         127.0.0.1    331",
            "===========================================================================",
            "Persistent Routes:",
            "  Network Address          Netmask  Gateway Address  Metric",
            "         10.0.1.0    255.255.255.0     192.168.22.1       1",
            "===========================================================================",
            "",
            "IPv6 Route Table",
            "===========================================================================",
            "Active Routes:",
            " If Metric Network Destination      Gateway",
            "  1    331 ::1/128                  On-link",
            " 12    271 ::/0                     fe80::1",
            " 12    271 fdb2:2c26:f4e4:0:670f:fec7:75b7:eb83/128",
            "                                    On-link",
            "===========================================================================",
            "Persistent Routes:",
            " If Metric Network Destination      Gateway",
            "  0 4294967295 2001:db8::/64            fe80::1",
            "===========================================================================",
            "",
        ]
        .join("\r\n")
    }

    #[test]
    fn english_windows_10() {
        let t = english();
        assert!(sniff(&t));
        let r = parse(&t).unwrap();
        assert_eq!(r.interfaces.len(), 3);
        assert_eq!(r.interfaces[1].index, 12);
        assert_eq!(
            r.interfaces[1].description,
            "Parallels VirtIO Ethernet Adapter"
        );
        assert_eq!(r.active.len(), 3);
        let d: Vec<_> = r.default_routes().collect();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].gateway, "10.211.55.1");
        assert_eq!(d[0].interface.as_deref(), Some("10.211.55.3"));
        assert_eq!((d[0].metric, d[0].line), (Some(15), 12));
        assert_eq!(r.active[1].gateway, "On-link");
        assert_eq!(r.persistent.len(), 1);
        assert_eq!(r.persistent[0].gateway, "192.168.22.1");
        assert_eq!(r.active_v6.len(), 3);
        assert_eq!(r.default_routes_v6().count(), 1);
        assert_eq!(r.active_v6[2].gateway.as_deref(), Some("On-link"));
    }

    #[test]
    fn german_and_no_default_route() {
        let t = [
            "===========================================================================",
            "Schnittstellenliste",
            " 12...18 66 da 4b 22 31 ......Intel(R) Ethernet Connection I219-LM",
            "  1...........................Software Loopback Interface 1",
            " 13...00 00 00 00 00 00 00 e0 Microsoft-ISATAP-Adapter",
            "===========================================================================",
            "",
            "IPv4-Routentabelle",
            "===========================================================================",
            "Aktive Routen:",
            "     Netzwerkziel    Netzwerkmaske          Gateway    Schnittstelle Metrik",
            "      192.168.50.0    255.255.255.0   Auf Verbindung    192.168.50.140    281",
            "===========================================================================",
            "Ständige Routen:",
            "  Netzwerkadresse          Netzmaske  Gatewayadresse  Metrik",
            "          0.0.0.0          0.0.0.0     192.168.9.1  Standard",
            "===========================================================================",
        ]
        .join("\r\n");
        assert!(sniff(&t));
        let r = parse(&t).unwrap();
        let names: Vec<_> = r
            .interfaces
            .iter()
            .map(|i| i.description.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "Intel(R) Ethernet Connection I219-LM",
                "Software Loopback Interface 1",
                "Microsoft-ISATAP-Adapter"
            ]
        );
        assert_eq!(r.active.len(), 1);
        assert_eq!(r.active[0].gateway, "Auf Verbindung");
        assert_eq!(r.default_routes().count(), 0);
        let p: Vec<_> = r.persistent_default_routes().collect();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].gateway, "192.168.9.1");
        assert_eq!(p[0].metric, None);
    }

    #[test]
    fn other_outputs_and_garbage() {
        assert!(!sniff("Image Name                     PID Session Name\r\n========================= ======== ================\r\n"));
        assert!(parse("").is_err());
        crate::parse::testutil::never_panics(&english(), |t| {
            let _ = parse(t);
            let _ = sniff(t);
        });
    }
}

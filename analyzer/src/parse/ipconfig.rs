//! `ipconfig /all`: the machine's network adapters, their media state and IP configuration.
//!
//! A host whose only adapter is unplugged, that fell back to an APIPA address (169.254.x.x,
//! DHCP enabled but no DHCP server answered) or that has no default gateway cannot be reached
//! by RDP clients, however well Remote Desktop itself is configured. ipconfig prints a global
//! block, then one block per adapter:
//!
//! ```text
//! Windows IP Configuration
//!
//!    Host Name . . . . . . . . . . . . : DESKTOP-WIN10-PRO
//!    IP Routing Enabled. . . . . . . . : No
//!
//! Ethernet adapter Ethernet 2:
//!
//!    Media State . . . . . . . . . . . : Media disconnected      (only when unplugged)
//!    Description . . . . . . . . . . . : ASIX AX88179 USB 3.0 to Gigabit Ethernet Adapter #2
//!    Physical Address. . . . . . . . . : F8-E4-3B-AD-F2-6D
//!    DHCP Enabled. . . . . . . . . . . : Yes
//!    Link-local IPv6 Address . . . . . : fe80::c936:c2db:79ad:e1c6%16(Preferred)
//!    IPv4 Address. . . . . . . . . . . : 10.50.13.132(Preferred)
//!    Default Gateway . . . . . . . . . : fe80::1000%16
//!                                        10.50.13.1
//! ```
//!
//! Verified on real outputs: English Windows 7, 10 and 11 (kellyjonbrazil/jc
//! `tests/fixtures/windows/windows-{7,10,11}/ipconfig.out`: `Unknown adapter Tailscale`, a
//! `Tunnel adapter isatap.{…}`, disconnected Wi-Fi Direct and Bluetooth adapters, DNS servers and
//! search lists continued on lines indented to the value column); German Windows 10/11
//! (ChristopherMuellner/NWT `command.cmd`, ydh-embedded/cSharp---sql `IP-Adress-R406.bash`:
//! `Ethernet-Adapter`, `Drahtlos-LAN-Adapter`, `Medienstatus. . . : Medium getrennt`,
//! `Physische Adresse`, `DHCP aktiviert . . : Ja`, `IPv4-Adresse  . . : 192.168.178.23(Bevorzugt)`,
//! `Standardgateway`, the dot-less `Verbindungsspezifisches DNS-Suffix:`; U-L-M-S/GFN shows
//! `Tunneladapter`); Microsoft's kernel-debugging docs show `Autoconfiguration IPv4 Address. . :`;
//! Wine's `ipconfig /all` (no title, lower-case labels such as `IPv4 address`, headers
//! without the colon: `Ethernet adapter eth0`). Redirected output is in the OEM code page
//! (CP850 for the German umlauts of `Primäres DNS-Suffix`, `Lease läuft ab`,
//! `NetBIOS über TCP/IP`); [`super::text::decode`] handles that before this parser runs.
//!
//! Labels are matched in English and German, ignoring case and the dot leaders. Addresses keep
//! their `(Preferred)`/`(Bevorzugt)`/`(Duplicate)`/`(Tentative)` suffix as `status`.

use super::text;
use super::ParseError;
use serde::Serialize;
use std::net::Ipv4Addr;

/// Most adapters kept (a real machine has a few dozen at most, counting virtual ones).
const MAX_ADAPTERS: usize = 256;
/// Most values kept per field (DNS servers, gateways, addresses).
const MAX_VALUES: usize = 64;
/// Longest value kept.
const MAX_VALUE_CHARS: usize = 256;
/// A line indented this far (or more) continues the previous field's value.
const CONTINUATION_INDENT: usize = 8;

/// One address with the state ipconfig appends to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    /// As printed, without the suffix: `10.50.13.132`, `fe80::c936:c2db:79ad:e1c6%16`.
    pub address: String,
    /// The word in parentheses after it: `Preferred`, `Bevorzugt`, `Duplicate`, `Tentative`.
    pub status: Option<String>,
    /// Printed as `Autoconfiguration IPv4 Address` (APIPA).
    pub autoconfigured: bool,
    pub line: usize,
}

impl Address {
    /// The address as an IPv4 address, when it is one.
    pub fn ipv4(&self) -> Option<Ipv4Addr> {
        self.address.trim().parse().ok()
    }

    /// 169.254.0.0/16, the address Windows gives itself when no DHCP server answered.
    pub fn is_apipa(&self) -> bool {
        self.autoconfigured || self.ipv4().is_some_and(|a| a.is_link_local())
    }

    /// The state says Windows does not use the address: a conflict on the network
    /// (`Duplicate`), duplicate detection still running (`Tentative`) or retired
    /// (`Deprecated`). German wordings are not verified on a real output.
    pub fn is_unusable_state(&self) -> bool {
        self.status.as_deref().is_some_and(|s| {
            let s = s.trim().to_lowercase();
            [
                "duplicate",
                "tentative",
                "deprecated",
                "doppelt",
                "duplikat",
                "vorläufig",
                "veraltet",
            ]
            .iter()
            .any(|w| s == *w)
        })
    }

    /// An IPv4 address clients can connect to: not 0.0.0.0 (no address yet, or a conflict),
    /// not APIPA, not loopback, not in an unusable state.
    pub fn is_usable_ipv4(&self) -> bool {
        match self.ipv4() {
            Some(a) => {
                !a.is_unspecified()
                    && !a.is_loopback()
                    && !self.is_apipa()
                    && !self.is_unusable_state()
            }
            None => false,
        }
    }
}

/// One adapter block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Adapter {
    /// The header as printed, without the colon: `Ethernet adapter Ethernet 2`.
    pub header: String,
    /// The words before "adapter": `Ethernet`, `Wireless LAN`, `Tunnel`, `Unknown`,
    /// `Drahtlos-LAN`; empty when the header has no "adapter" word (other languages).
    pub kind: String,
    /// The connection name: `Ethernet 2`, `WLAN`, `isatap.{…}`.
    pub name: String,
    pub line: usize,
    /// `Media State` value and line (`Media disconnected`, `Medium getrennt`).
    pub media_state: Option<(String, usize)>,
    pub description: Option<String>,
    pub physical_address: Option<String>,
    /// `DHCP Enabled` (`Yes`/`Ja` is true) and its line.
    pub dhcp_enabled: Option<(bool, usize)>,
    pub ipv4: Vec<Address>,
    pub ipv6: Vec<Address>,
    pub subnet_masks: Vec<String>,
    pub gateways: Vec<Address>,
    pub dhcp_server: Option<String>,
    pub dns_servers: Vec<String>,
    /// `Lease Expires` as printed (a localized date).
    pub lease_expires: Option<String>,
}

impl Adapter {
    /// `Media disconnected` (or the Windows XP `Cable Disconnected`): nothing plugged in, Wi-Fi
    /// not associated, or a VPN not connected.
    pub fn is_disconnected(&self) -> bool {
        self.media_state.as_ref().is_some_and(|(v, _)| {
            let v = v.to_lowercase();
            v.contains("disconnected") || v.contains("getrennt")
        })
    }

    /// A tunnel pseudo-interface (ISATAP, Teredo, 6to4): never how a client reaches the host
    /// over IPv4.
    pub fn is_tunnel(&self) -> bool {
        self.kind.to_lowercase().contains("tunnel")
            || self.header.to_lowercase().starts_with("tunnel")
    }

    /// An adapter of a host-only virtual network (VMware VMnet1/VMnet8, VirtualBox Host-Only,
    /// Hyper-V's Default Switch and WSL switch): it reaches the virtual machines on this
    /// computer, never the LAN.
    pub fn is_host_only(&self) -> bool {
        let d = self.description.as_deref().unwrap_or("").to_lowercase();
        let n = self.name.to_lowercase();
        d.contains("virtualbox host-only")
            || (d.contains("vmware virtual ethernet adapter") && n.contains("vmnet"))
            || (n.starts_with("vethernet (") && (n.contains("default switch") || n.contains("wsl")))
    }

    /// The loopback pseudo-interface (Wine lists it; Windows does not): only 127.x and ::1.
    pub fn is_loopback(&self) -> bool {
        let v4 = self
            .ipv4
            .iter()
            .all(|x| x.ipv4().is_some_and(|a| a.is_loopback()));
        let v6 = self.ipv6.iter().all(|x| x.address == "::1");
        !self.ipv4.is_empty() && v4 && v6
    }

    /// The IPv4 addresses clients can connect to.
    pub fn usable_ipv4(&self) -> impl Iterator<Item = &Address> {
        self.ipv4.iter().filter(|a| a.is_usable_ipv4())
    }

    /// Global IPv6 addresses (not link-local `fe80::`), usable from other networks.
    pub fn global_ipv6(&self) -> impl Iterator<Item = &Address> {
        self.ipv6.iter().filter(|a| {
            let s = a.address.to_ascii_lowercase();
            !s.starts_with("fe80:") && s != "::1" && !a.is_unusable_state()
        })
    }

    /// Default gateways that are IPv4 addresses (not `0.0.0.0`).
    pub fn ipv4_gateways(&self) -> impl Iterator<Item = &Address> {
        self.gateways
            .iter()
            .filter(|g| g.ipv4().is_some_and(|a| !a.is_unspecified()))
    }

    /// `Ethernet 2 (Realtek PCIe GbE Family Controller)`.
    pub fn label(&self) -> String {
        let name = if self.name.is_empty() {
            &self.header
        } else {
            &self.name
        };
        match &self.description {
            Some(d) if !d.is_empty() && d != name => format!("{name} ({d})"),
            _ => name.to_string(),
        }
    }
}

/// What `ipconfig /all` printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct IpConfig {
    pub host_name: Option<String>,
    pub adapters: Vec<Adapter>,
    /// `label . . . : value` lines inside adapter blocks, and how many of them had a label this
    /// parser reads: none of many means a display language it does not know (French, Japanese…),
    /// where an adapter without a recognized address proves nothing.
    pub adapter_fields: usize,
    pub recognized_fields: usize,
}

impl IpConfig {
    /// The adapters' labels are in a language this parser does not read.
    pub fn labels_unknown(&self) -> bool {
        self.adapter_fields > 0 && self.recognized_fields == 0
    }
}

/// The fields read, by label (lower case, dot leaders removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    HostName,
    MediaState,
    Description,
    PhysicalAddress,
    DhcpEnabled,
    Ipv4,
    AutoIpv4,
    Ipv6,
    SubnetMask,
    Gateway,
    DhcpServer,
    DnsServers,
    LeaseExpires,
    /// A label we do not read (its continuation lines are skipped with it).
    Other,
}

const LABELS: &[(Field, &[&str])] = &[
    (Field::HostName, &["host name", "hostname"]),
    (Field::MediaState, &["media state", "medienstatus"]),
    (Field::Description, &["description", "beschreibung"]),
    (
        Field::PhysicalAddress,
        &["physical address", "physische adresse"],
    ),
    (Field::DhcpEnabled, &["dhcp enabled", "dhcp aktiviert"]),
    (
        Field::AutoIpv4,
        &[
            "autoconfiguration ipv4 address",
            "autoconfiguration ip address",
            "autokonfiguration ipv4-adresse",
            "autokonfiguration ip-adresse",
        ],
    ),
    (
        Field::Ipv4,
        &["ipv4 address", "ip address", "ipv4-adresse", "ip-adresse"],
    ),
    (
        Field::Ipv6,
        &[
            "ipv6 address",
            "temporary ipv6 address",
            "link-local ipv6 address",
            "ipv6-adresse",
            "temporäre ipv6-adresse",
            "verbindungslokale ipv6-adresse",
        ],
    ),
    (Field::SubnetMask, &["subnet mask", "subnetzmaske"]),
    (Field::Gateway, &["default gateway", "standardgateway"]),
    (Field::DhcpServer, &["dhcp server", "dhcp-server"]),
    (Field::DnsServers, &["dns servers", "dns-server"]),
    (Field::LeaseExpires, &["lease expires", "lease läuft ab"]),
];

/// Titles of the global block (not adapters). The French title is known so that a French
/// output is recognized (and reported as a language whose labels are not read).
const TITLES: &[&str] = &[
    "windows ip configuration",
    "windows-ip-konfiguration",
    "windows ip-konfiguration",
    "configuration ip de windows",
];

fn field_of(label: &str) -> Field {
    LABELS
        .iter()
        .find(|(_, names)| names.contains(&label))
        .map(|(f, _)| *f)
        .unwrap_or(Field::Other)
}

/// `   Physical Address. . . . . . . . . : F8-E4` → (`physical address`, `F8-E4`). The label
/// ends at the first colon (labels have none; IPv6 values do), loses its dot leaders, and is
/// lower-cased with its spaces collapsed.
fn split_field(line: &str) -> Option<(String, &str)> {
    let (label, value) = line.split_once(':')?;
    let label = label.trim().trim_end_matches(['.', ' ']);
    if label.is_empty() || label.chars().count() > 64 {
        return None;
    }
    let norm = label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    Some((norm, value.trim()))
}

/// Whether a label was printed with ipconfig's dot leaders (`Host Name . . . :`).
fn has_leaders(line: &str) -> bool {
    line.split_once(':')
        .is_some_and(|(label, _)| label.trim_end().ends_with(". .") || label.ends_with(". "))
}

fn leading_spaces(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ').count()
}

fn clip(s: &str) -> String {
    s.trim().chars().take(MAX_VALUE_CHARS).collect()
}

/// `10.0.0.5(Preferred)` → (`10.0.0.5`, `Preferred`).
fn address(value: &str, autoconfigured: bool, line: usize) -> Option<Address> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let (addr, status) = match v.strip_suffix(')').and_then(|s| s.rsplit_once('(')) {
        Some((a, s)) => (a.trim(), Some(clip(s))),
        None => (v, None),
    };
    (!addr.is_empty()).then(|| Address {
        address: clip(addr),
        status,
        autoconfigured,
        line,
    })
}

fn yes_no(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "yes" | "ja" => Some(true),
        "no" | "nein" => Some(false),
        _ => None,
    }
}

/// An adapter header: a line at the left margin that names an adapter (`Ethernet adapter X:`,
/// `Drahtlos-LAN-Adapter WLAN:`, `Tunneladapter isatap.{…}:`, Wine's `Ethernet adapter eth0`)
/// or, in other languages, any line there ending in a colon. `None` for the title and for a
/// pasted prompt (`C:\Users\x>ipconfig /all`).
fn header(line: &str) -> Option<(String, String, String)> {
    let t = line.trim_end();
    if t.is_empty() || line.starts_with([' ', '\t']) || t.contains('>') {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    if TITLES.iter().any(|x| lower == *x) {
        return None;
    }
    let names_adapter = lower.contains("adapter");
    if !names_adapter && !t.ends_with(':') {
        return None;
    }
    let head = t.strip_suffix(':').unwrap_or(t).trim_end().to_string();
    let (kind, name) = match head.to_ascii_lowercase().find("adapter") {
        // `to_ascii_lowercase` keeps byte offsets, so `i` is a boundary in `head` too.
        Some(i) => (
            head.get(..i)
                .unwrap_or("")
                .trim_end_matches([' ', '-'])
                .to_string(),
            head.get(i + "adapter".len()..)
                .unwrap_or("")
                .trim()
                .to_string(),
        ),
        None => (String::new(), head.clone()),
    };
    Some((clip(&head), clip(&kind), clip(&name)))
}

/// True for ipconfig output: its title (English or German), or at least two `label . . . :`
/// lines with dot leaders among which an ipconfig label (Wine prints no title).
pub fn sniff(text: &str) -> bool {
    let mut leaders = 0;
    let mut known = false;
    for (_, line) in text::lines(text).take(60) {
        let lower = line.trim().to_ascii_lowercase();
        if TITLES.iter().any(|t| lower == *t) {
            return true;
        }
        if has_leaders(line) {
            leaders += 1;
            if let Some((label, _)) = split_field(line) {
                known |= field_of(&label) != Field::Other
                    || ["node type", "knotentyp", "ip routing enabled"].contains(&label.as_str());
            }
        }
        if leaders >= 2 && known {
            return true;
        }
    }
    false
}

/// Parses the output. Fails when it holds neither the global block nor an adapter.
pub fn parse(text: &str) -> Result<IpConfig, ParseError> {
    let mut out = IpConfig::default();
    let mut current: Option<Adapter> = None;
    let mut last = Field::Other;
    let mut seen_global = false;
    for (n, raw) in text::lines(text) {
        let line = raw.trim_start_matches('\u{feff}').trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if let Some((head, kind, name)) = header(line) {
            if let Some(a) = current.take() {
                out.adapters.push(a);
            }
            if out.adapters.len() >= MAX_ADAPTERS {
                break;
            }
            current = Some(Adapter {
                header: head,
                kind,
                name,
                line: n,
                ..Adapter::default()
            });
            last = Field::Other;
            continue;
        }
        if leading_spaces(line) >= CONTINUATION_INDENT && !has_leaders(line) {
            // A further value of the previous field (gateways, DNS servers, search list).
            if let Some(a) = current.as_mut() {
                add_value(a, last, line.trim(), n);
            }
            continue;
        }
        let Some((label, value)) = split_field(line) else {
            continue;
        };
        let field = field_of(&label);
        last = field;
        if current.is_some() {
            out.adapter_fields += 1;
            if field != Field::Other {
                out.recognized_fields += 1;
            }
        }
        match current.as_mut() {
            None => {
                seen_global = true;
                if field == Field::HostName && !value.is_empty() {
                    out.host_name = Some(clip(value));
                }
            }
            Some(a) => set_field(a, field, value, n),
        }
    }
    if let Some(a) = current.take() {
        if out.adapters.len() < MAX_ADAPTERS {
            out.adapters.push(a);
        }
    }
    if out.adapters.is_empty() && !seen_global {
        return Err(ParseError::new(
            "no ipconfig block found (neither `Host Name . . . :` nor an adapter header)",
        ));
    }
    Ok(out)
}

fn set_field(a: &mut Adapter, field: Field, value: &str, n: usize) {
    match field {
        Field::MediaState => a.media_state = Some((clip(value), n)),
        Field::Description => a.description = Some(clip(value)),
        Field::PhysicalAddress => a.physical_address = Some(clip(value)),
        Field::DhcpEnabled => a.dhcp_enabled = yes_no(value).map(|v| (v, n)),
        Field::DhcpServer => a.dhcp_server = (!value.is_empty()).then(|| clip(value)),
        Field::LeaseExpires => a.lease_expires = (!value.is_empty()).then(|| clip(value)),
        Field::HostName | Field::Other => {}
        _ => add_value(a, field, value, n),
    }
}

/// Adds one value of a field that may have several.
fn add_value(a: &mut Adapter, field: Field, value: &str, n: usize) {
    let push = |list: &mut Vec<Address>, auto: bool| {
        if list.len() < MAX_VALUES {
            if let Some(addr) = address(value, auto, n) {
                list.push(addr);
            }
        }
    };
    match field {
        Field::Ipv4 => push(&mut a.ipv4, false),
        Field::AutoIpv4 => push(&mut a.ipv4, true),
        Field::Ipv6 => push(&mut a.ipv6, false),
        Field::Gateway => push(&mut a.gateways, false),
        Field::SubnetMask if !value.is_empty() && a.subnet_masks.len() < MAX_VALUES => {
            a.subnet_masks.push(clip(value))
        }
        Field::DnsServers if !value.is_empty() && a.dns_servers.len() < MAX_VALUES => {
            a.dns_servers.push(clip(value))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// English Windows 10, in the layout of kellyjonbrazil/jc's windows-10 ipconfig.out
    /// (addresses changed), with CRLF as a redirect writes it.
    fn english() -> String {
        [
            "",
            "Windows IP Configuration",
            "",
            "   Host Name . . . . . . . . . . . . : WS-0042",
            "   Primary Dns Suffix  . . . . . . . :",
            "   Node Type . . . . . . . . . . . . : Hybrid",
            "   IP Routing Enabled. . . . . . . . : No",
            "   WINS Proxy Enabled. . . . . . . . : No",
            "   DNS Suffix Search List. . . . . . : corp.example",
            "                                       branch.corp.example",
            "",
            "Unknown adapter Tailscale:",
            "",
            "   Connection-specific DNS Suffix  . : tail0000.ts.net",
            "   Description . . . . . . . . . . . : Tailscale Tunnel",
            "   Physical Address. . . . . . . . . :",
            "   DHCP Enabled. . . . . . . . . . . : No",
            "   Autoconfiguration Enabled . . . . : Yes",
            "   IPv6 Address. . . . . . . . . . . : fd7a:115c:a1e0::1(Preferred)",
            "   Link-local IPv6 Address . . . . . : fe80::99d0:ec2d:b2e7:536b%8(Preferred)",
            "   IPv4 Address. . . . . . . . . . . : 100.64.0.7(Preferred)",
            "   Subnet Mask . . . . . . . . . . . : 255.255.255.255",
            "   Default Gateway . . . . . . . . . :",
            "   DNS Servers . . . . . . . . . . . : fec0:0:0:ffff::1%1",
            "                                       fec0:0:0:ffff::2%1",
            "   NetBIOS over Tcpip. . . . . . . . : Enabled",
            "   Connection-specific DNS Suffix Search List :",
            "                                       tail0000.ts.net",
            "",
            "Ethernet adapter Ethernet 2:",
            "",
            "   Connection-specific DNS Suffix  . : corp.example",
            "   Description . . . . . . . . . . . : ASIX AX88179 USB 3.0 to Gigabit Ethernet Adapter #2",
            "   Physical Address. . . . . . . . . : F8-E4-3B-00-00-01",
            "   DHCP Enabled. . . . . . . . . . . : Yes",
            "   Autoconfiguration Enabled . . . . : Yes",
            "   Link-local IPv6 Address . . . . . : fe80::c936:c2db:79ad:e1c6%16(Preferred)",
            "   IPv4 Address. . . . . . . . . . . : 10.50.13.132(Preferred)",
            "   Subnet Mask . . . . . . . . . . . : 255.255.255.0",
            "   Lease Obtained. . . . . . . . . . : Thursday, June 22, 2023 10:39:04 AM",
            "   Lease Expires . . . . . . . . . . : Monday, September 23, 2024 2:31:46 AM",
            "   Default Gateway . . . . . . . . . : fe80::1%16",
            "                                       10.50.13.1",
            "   DHCP Server . . . . . . . . . . . : 10.50.13.1",
            "   DNS Servers . . . . . . . . . . . : 10.50.13.1",
            "   NetBIOS over Tcpip. . . . . . . . : Enabled",
            "",
            "Ethernet adapter Bluetooth Network Connection:",
            "",
            "   Media State . . . . . . . . . . . : Media disconnected",
            "   Connection-specific DNS Suffix  . :",
            "   Description . . . . . . . . . . . : Bluetooth Device (Personal Area Network)",
            "   Physical Address. . . . . . . . . : 1C-C1-0C-00-00-02",
            "   DHCP Enabled. . . . . . . . . . . : Yes",
            "   Autoconfiguration Enabled . . . . : Yes",
            "",
            "Tunnel adapter isatap.{E24F3EA8-436E-3B26-8BB9-CED33928744B}:",
            "",
            "   Media State . . . . . . . . . . . : Media disconnected",
            "   Connection-specific DNS Suffix  . :",
            "   Description . . . . . . . . . . . : Microsoft ISATAP Adapter",
            "   Physical Address. . . . . . . . . : 00-00-00-00-00-00-00-E0",
            "   DHCP Enabled. . . . . . . . . . . : No",
            "   Autoconfiguration Enabled . . . . : Yes",
            "",
        ]
        .join("\r\n")
    }

    #[test]
    fn english_windows_10() {
        let t = english();
        assert!(sniff(&t));
        let c = parse(&t).unwrap();
        assert_eq!(c.host_name.as_deref(), Some("WS-0042"));
        assert_eq!(c.adapters.len(), 4);
        let ts = &c.adapters[0];
        assert_eq!(
            (ts.kind.as_str(), ts.name.as_str()),
            ("Unknown", "Tailscale")
        );
        assert_eq!(ts.dns_servers.len(), 2, "{:?}", ts.dns_servers);
        assert!(ts.gateways.is_empty());
        let eth = &c.adapters[1];
        assert_eq!(eth.header, "Ethernet adapter Ethernet 2");
        assert_eq!(eth.name, "Ethernet 2");
        assert_eq!(eth.line, 30);
        assert!(!eth.is_disconnected());
        assert_eq!(eth.dhcp_enabled, Some((true, 35)));
        let v4 = &eth.ipv4[0];
        assert_eq!(v4.address, "10.50.13.132");
        assert_eq!(v4.status.as_deref(), Some("Preferred"));
        assert!(v4.is_usable_ipv4());
        assert_eq!(eth.ipv6[0].address, "fe80::c936:c2db:79ad:e1c6%16");
        let gws: Vec<_> = eth.gateways.iter().map(|g| g.address.as_str()).collect();
        assert_eq!(gws, ["fe80::1%16", "10.50.13.1"]);
        assert_eq!(eth.ipv4_gateways().count(), 1);
        assert_eq!(eth.gateways[1].line, 43);
        assert_eq!(eth.dhcp_server.as_deref(), Some("10.50.13.1"));
        assert_eq!(
            eth.lease_expires.as_deref(),
            Some("Monday, September 23, 2024 2:31:46 AM")
        );
        let bt = &c.adapters[2];
        assert!(bt.is_disconnected());
        assert_eq!(bt.media_state.as_ref().unwrap().1, 50);
        assert!(bt.ipv4.is_empty());
        let tun = &c.adapters[3];
        assert!(tun.is_tunnel() && !eth.is_tunnel());
        assert!(tun.name.starts_with("isatap.{"));
    }

    /// German Windows 11 redirected to a file: CP850, CRLF, in the layout of the real paste in
    /// ChristopherMuellner/NWT (names and addresses changed).
    fn german_cp850() -> Vec<u8> {
        let text = [
            "",
            "Windows-IP-Konfiguration",
            "",
            "   Hostname  . . . . . . . . . . . . : PC-BUERO-07",
            "   Primäres DNS-Suffix . . . . . . . :",
            "   Knotentyp . . . . . . . . . . . . : Hybrid",
            "   IP-Routing aktiviert  . . . . . . : Nein",
            "   WINS-Proxy aktiviert  . . . . . . : Nein",
            "   DNS-Suffixsuchliste . . . . . . . : fritz.box",
            "",
            "Ethernet-Adapter Ethernet:",
            "",
            "   Medienstatus. . . . . . . . . . . : Medium getrennt",
            "   Verbindungsspezifisches DNS-Suffix:",
            "   Beschreibung. . . . . . . . . . . : Realtek PCIe GbE Family Controller",
            "   Physische Adresse . . . . . . . . : 40-C2-BA-00-00-46",
            "   DHCP aktiviert. . . . . . . . . . : Ja",
            "   Autokonfiguration aktiviert . . . : Ja",
            "",
            "Drahtlos-LAN-Adapter WLAN:",
            "",
            "   Verbindungsspezifisches DNS-Suffix: fritz.box",
            "   Beschreibung. . . . . . . . . . . : MediaTek Wi-Fi 6 MT7921 Wireless LAN Card",
            "   Physische Adresse . . . . . . . . : D0-39-57-00-00-C3",
            "   DHCP aktiviert. . . . . . . . . . : Ja",
            "   Autokonfiguration aktiviert . . . : Ja",
            "   IPv6-Adresse. . . . . . . . . . . : 2a04:9546:19ba:af01:c52c:be1:3372:e973(Bevorzugt)",
            "   Temporäre IPv6-Adresse. . . . . . : 2a04:9546:19ba:af01:cd1:8efb:95ec:cc18(Bevorzugt)",
            "   Verbindungslokale IPv6-Adresse  . : fe80::e436:d5b3:2c27:c44e%5(Bevorzugt)",
            "   IPv4-Adresse  . . . . . . . . . . : 192.168.178.23(Bevorzugt)",
            "   Subnetzmaske  . . . . . . . . . . : 255.255.255.0",
            "   Lease erhalten. . . . . . . . . . : Mittwoch, 27. November 2024 19:59:32",
            "   Lease läuft ab. . . . . . . . . . : Samstag, 7. Dezember 2024 19:59:32",
            "   Standardgateway . . . . . . . . . : fe80::62b5:8dff:fe35:646d%5",
            "                                       192.168.178.1",
            "   DHCP-Server . . . . . . . . . . . : 192.168.178.1",
            "   DNS-Server  . . . . . . . . . . . : fd00::62b5:8dff:fe35:646d",
            "                                       192.168.178.1",
            "   NetBIOS über TCP/IP . . . . . . . : Aktiviert",
            "",
            "Tunneladapter isatap.{5E99D55C-CB2B-420C-A7F6-9B5C6EFA2447}:",
            "",
            "   Medienstatus. . . . . . . . . . . : Medium getrennt",
            "   Verbindungsspezifisches DNS-Suffix:",
            "",
        ]
        .join("\r\n");
        // CP850: ä = 0x84, ü = 0x81.
        text.chars()
            .map(|c| match c {
                'ä' => 0x84,
                'ü' => 0x81,
                c => c as u8,
            })
            .collect()
    }

    #[test]
    fn german_in_the_oem_code_page() {
        let bytes = german_cp850();
        for cp in [Some(850), None] {
            let d = text::decode(&bytes, cp);
            assert!(d.text.contains("Lease läuft ab"), "{cp:?}");
            assert!(sniff(&d.text));
            let c = parse(&d.text).unwrap();
            assert_eq!(c.host_name.as_deref(), Some("PC-BUERO-07"));
            assert_eq!(c.adapters.len(), 3);
            let eth = &c.adapters[0];
            assert_eq!(
                (eth.kind.as_str(), eth.name.as_str()),
                ("Ethernet", "Ethernet")
            );
            assert!(eth.is_disconnected());
            assert_eq!(eth.dhcp_enabled.map(|d| d.0), Some(true));
            let wlan = &c.adapters[1];
            assert_eq!(wlan.kind, "Drahtlos-LAN");
            assert!(!wlan.is_disconnected());
            assert_eq!(wlan.ipv4[0].address, "192.168.178.23");
            assert_eq!(wlan.ipv4[0].status.as_deref(), Some("Bevorzugt"));
            assert!(wlan.ipv4[0].is_usable_ipv4());
            assert_eq!(wlan.ipv6.len(), 3);
            assert_eq!(wlan.global_ipv6().count(), 2);
            assert_eq!(
                wlan.ipv4_gateways().next().unwrap().address,
                "192.168.178.1"
            );
            assert_eq!(wlan.dns_servers.len(), 2);
            assert_eq!(
                wlan.lease_expires.as_deref(),
                Some("Samstag, 7. Dezember 2024 19:59:32")
            );
            assert!(c.adapters[2].is_tunnel() && c.adapters[2].is_disconnected());
        }
    }

    #[test]
    fn apipa_duplicate_and_unspecified_addresses() {
        let t = "Windows IP Configuration\r\n\r\nEthernet adapter Ethernet:\r\n\r\n   DHCP Enabled. . . . . . . . . . . : Yes\r\n   Autoconfiguration IPv4 Address. . : 169.254.83.12(Preferred)\r\n   Subnet Mask . . . . . . . . . . . : 255.255.0.0\r\n   Default Gateway . . . . . . . . . :\r\n\r\nEthernet adapter Ethernet 2:\r\n\r\n   IPv4 Address. . . . . . . . . . . : 10.0.0.9(Duplicate)\r\n   IPv4 Address. . . . . . . . . . . : 0.0.0.0\r\n";
        let c = parse(t).unwrap();
        let a = &c.adapters[0].ipv4[0];
        assert!(a.autoconfigured && a.is_apipa() && !a.is_usable_ipv4());
        assert!(c.adapters[0].gateways.is_empty());
        let b = &c.adapters[1];
        assert!(b.ipv4[0].is_unusable_state() && !b.ipv4[0].is_usable_ipv4());
        assert!(!b.ipv4[1].is_usable_ipv4());
        // German APIPA label.
        let de = "Ethernet-Adapter Ethernet:\r\n   Autokonfiguration IPv4-Adresse  . : 169.254.83.12(Bevorzugt)\r\n";
        let c = parse(de).unwrap();
        assert!(c.adapters[0].ipv4[0].autoconfigured);
    }

    /// What Wine's ipconfig /all prints (observed with wine 8: no title, lower-case labels,
    /// headers without the colon).
    #[test]
    fn wine_output() {
        let t = "    Hostname. . . . . . . . . . . . . : vm\r\n    Primary DNS suffix. . . . . . . . : \r\n    Node type . . . . . . . . . . . . : Hybrid\r\n    IP routing enabled. . . . . . . . : No\r\n\r\nEthernet adapter lo\r\n\r\n    Connection-specific DNS suffix. . : \r\n    Description . . . . . . . . . . . : lo\r\n    Physical address. . . . . . . . . : \r\n    DHCP enabled. . . . . . . . . . . : No\r\n    IPv6 address. . . . . . . . . . . : ::1\r\n    IPv4 address. . . . . . . . . . . : 127.0.0.1\r\n    Default gateway . . . . . . . . . : \r\n\r\nEthernet adapter eth0\r\n\r\n    Description . . . . . . . . . . . : eth0\r\n    IPv6 address. . . . . . . . . . . : fe80::fc:ff:fe00:1%4\r\n    IPv4 address. . . . . . . . . . . : 192.0.2.2\r\n    Default gateway . . . . . . . . . : 192.0.2.1\r\n";
        assert!(sniff(t));
        let c = parse(t).unwrap();
        assert_eq!(c.host_name.as_deref(), Some("vm"));
        assert_eq!(c.adapters.len(), 2);
        assert!(!c.adapters[0].ipv4[0].is_usable_ipv4(), "loopback");
        assert!(c.adapters[0].is_loopback() && !c.adapters[1].is_loopback());
        assert_eq!(c.adapters[0].ipv6[0].address, "::1");
        assert_eq!(c.adapters[1].name, "eth0");
        assert!(c.adapters[1].ipv4[0].is_usable_ipv4());
        assert_eq!(c.adapters[1].ipv4_gateways().count(), 1);
    }

    #[test]
    fn pasted_prompt_and_host_only_adapters() {
        let t = "C:\\Users\\chris>ipconfig/all\r\n\r\nWindows IP Configuration\r\n\r\nEthernet adapter VMware Network Adapter VMnet8:\r\n\r\n   Description . . . . . . . . . . . : VMware Virtual Ethernet Adapter for VMnet8\r\n   IPv4 Address. . . . . . . . . . . : 192.168.213.1(Preferred)\r\n\r\nEthernet adapter vEthernet (Default Switch):\r\n   Description . . . . . . . . . . . : Hyper-V Virtual Ethernet Adapter\r\n\r\nC:\\Users\\chris>\r\n";
        let c = parse(t).unwrap();
        assert_eq!(c.adapters.len(), 2);
        assert_eq!(c.adapters[0].name, "VMware Network Adapter VMnet8");
        assert!(c.adapters[0].is_host_only() && c.adapters[1].is_host_only());
    }

    /// French labels are not read: the parse says so instead of reporting adapters without
    /// addresses.
    #[test]
    fn unknown_language_is_flagged() {
        let fr = "Configuration IP de Windows\r\n\r\nCarte Ethernet Ethernet :\r\n\r\n   Suffixe DNS propre à la connexion. . . :\r\n   Adresse IPv4. . . . . . . . . . . . . .: 192.168.1.10\r\n   Passerelle par défaut. . . . . . . . . : 192.168.1.1\r\n";
        assert!(sniff(fr));
        let c = parse(fr).unwrap();
        assert_eq!(c.adapters.len(), 1);
        assert_eq!(c.adapters[0].name, "Carte Ethernet Ethernet");
        assert!(c.labels_unknown());
        assert!(!parse(&english()).unwrap().labels_unknown());
    }

    #[test]
    fn other_outputs_and_garbage() {
        assert!(!sniff("Leap Indicator: 0(no warning)\r\nStratum: 1\r\n"));
        assert!(!sniff(
            "SERVICE_NAME: Dhcp\r\n        TYPE               : 20  WIN32_SHARE_PROCESS\r\n"
        ));
        assert!(!sniff(
            "Active Connections\r\n\r\n  Proto  Local Address\r\n"
        ));
        assert!(parse("").is_err());
        assert!(parse("nothing here").is_err());
        crate::parse::testutil::never_panics(&english(), |t| {
            let _ = parse(t);
            let _ = sniff(t);
        });
    }
}

//! Deciding what a file is, by content, and parsing it with the right module.
//!
//! Customers rename files, paste outputs into `.txt` files with any name, or send a zip of random
//! bits, so the file name is never trusted. The manifest's path is used only as a hint: when the
//! collector says `commands/netstat-ano.txt` is netstat output, that parser is tried first, which
//! matters for outputs too short to sniff (an empty `qwinsta`, a one-line `sc` error).

use super::text::{self, Decoded};
use super::{
    cert, certutil, client_probe, dsregcmd, dynamicport, event_xml, evtx, gpresult, grace_period,
    hive, icacls, ipconfig, net_localgroup, netsh_profiles, netsh_rules, netstat, nltest, powercfg,
    qwinsta, rdp_probe, reg, route_print, sc, secedit, securitycenter, tasklist, w32tm,
    wevtutil_gl, wfp, ParseError,
};
use rdp_bundle::{paths, CertIndexEntry};

/// What kind of artifact a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Registry,
    /// A raw registry hive file (`regf`): SYSTEM, SOFTWARE...
    RegistryHive,
    /// A hive's transaction log (`.LOG1`, `.LOG2`), applied to the hive beside it.
    HiveLog,
    Gpresult,
    GpresultXml,
    Netstat,
    Qwinsta,
    Tasklist,
    ScQuery,
    FirewallRules,
    FirewallProfiles,
    Icacls,
    Certutil,
    Certificate,
    CertIndex,
    Evtx,
    EventXml,
    Secedit,
    NetLocalgroup,
    Nltest,
    W32tm,
    Dsregcmd,
    SecurityCenter,
    HandshakeProbe,
    ClientProbe,
    /// `netsh int ipv4 show dynamicport tcp`.
    DynamicPorts,
    /// `wevtutil gl <log>`.
    EventLogConfig,
    IpConfig,
    RoutePrint,
    Powercfg,
    /// `wmic ... Win32_TerminalServiceSetting ... CALL GetGracePeriodDays`.
    GracePeriod,
    /// `netsh wfp show filters file=-`.
    WfpFilters,
    Unknown,
}

impl Kind {
    /// Human name used in findings.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Registry => "registry export (.reg)",
            Kind::RegistryHive => "registry hive (regf)",
            Kind::HiveLog => "registry hive transaction log",
            Kind::Gpresult => "gpresult /H report",
            Kind::GpresultXml => "gpresult /X (RSoP XML) report",
            Kind::Netstat => "netstat output",
            Kind::Qwinsta => "qwinsta output",
            Kind::Tasklist => "tasklist /svc output",
            Kind::ScQuery => "sc queryex output",
            Kind::FirewallRules => "netsh firewall rules",
            Kind::FirewallProfiles => "netsh firewall profiles",
            Kind::Icacls => "icacls output",
            Kind::Certutil => "certutil -store output",
            Kind::Certificate => "DER certificate",
            Kind::CertIndex => "certificate index (certs/index.json)",
            Kind::Evtx => "event log (.evtx)",
            Kind::EventXml => "event XML",
            Kind::Secedit => "secedit /export (security policy INF)",
            Kind::NetLocalgroup => "net localgroup output",
            Kind::Nltest => "nltest /sc_query output",
            Kind::W32tm => "w32tm /query /status output",
            Kind::Dsregcmd => "dsregcmd /status output",
            Kind::SecurityCenter => "Security Center firewall products",
            Kind::HandshakeProbe => "RDP handshake probe (rdp-handshake.json)",
            Kind::ClientProbe => "client probe (rdp-collect probe, rdp-probe-*.json)",
            Kind::DynamicPorts => "netsh int ipv4 show dynamicport output",
            Kind::EventLogConfig => "wevtutil gl output (event log configuration)",
            Kind::IpConfig => "ipconfig /all output",
            Kind::RoutePrint => "route print output",
            Kind::Powercfg => "powercfg /query output",
            Kind::GracePeriod => "wmic GetGracePeriodDays output (RD licensing grace period)",
            Kind::WfpFilters => "netsh wfp show filters output",
            Kind::Unknown => "unrecognized file",
        }
    }
}

/// A parsed artifact.
#[derive(Debug)]
pub enum Parsed {
    Registry(reg::RegFile),
    Hive(Box<hive::Hive>),
    /// A transaction log: read with its hive, nothing of its own.
    HiveLog,
    Gpresult(Box<gpresult::GpReport>),
    Netstat(netstat::Netstat),
    Qwinsta(qwinsta::Sessions),
    Tasklist(tasklist::Tasklist),
    ScQuery(sc::ScQuery),
    FirewallRules(netsh_rules::FirewallRules),
    FirewallProfiles(netsh_profiles::FirewallProfiles),
    Icacls(icacls::IcaclsOutput),
    Certutil(certutil::CertutilStore),
    Certificate(Box<cert::CertInfo>),
    CertIndex(Vec<CertIndexEntry>),
    Events(evtx::EventLog),
    Secedit(secedit::SeceditInf),
    NetLocalgroup(net_localgroup::LocalGroup),
    Nltest(nltest::SecureChannel),
    W32tm(w32tm::TimeStatus),
    Dsregcmd(dsregcmd::DeviceRegistration),
    SecurityCenter(securitycenter::FirewallProducts),
    HandshakeProbe(Box<rdp_probe::HandshakeProbe>),
    ClientProbe(Box<client_probe::ClientProbe>),
    DynamicPorts(dynamicport::DynamicPorts),
    EventLogConfig(wevtutil_gl::LogConfig),
    IpConfig(ipconfig::IpConfig),
    RoutePrint(route_print::RouteTable),
    Powercfg(powercfg::PowerQuery),
    GracePeriod(grace_period::GracePeriod),
    WfpFilters(wfp::WfpFilters),
}

/// The outcome of identifying and parsing one file.
#[derive(Debug)]
pub struct ParsedFile {
    pub path: String,
    pub kind: Kind,
    /// Encoding the text was read in (None for binary kinds).
    pub encoding: Option<String>,
    /// Bytes had to be replaced while decoding (odd UTF-16 length, invalid sequences).
    pub lossy: bool,
    pub result: Result<Parsed, ParseError>,
}

/// Canonical bundle paths of the issue-6 collection steps (rdp-collect adds them; the contract
/// constants in `rdp_bundle::paths` will take over these names).
pub const SECEDIT_USER_RIGHTS: &str = "commands/secedit-user-rights.inf";
pub const NET_LOCALGROUP_RDU: &str = "commands/net-localgroup-remote-desktop-users.txt";
pub const NLTEST_SC_QUERY: &str = "commands/nltest-sc-query.txt";
pub const W32TM_STATUS: &str = "commands/w32tm-status.txt";
pub const SECURITYCENTER_FIREWALL: &str = "commands/securitycenter-firewall.txt";
pub const RDP_HANDSHAKE: &str = "commands/rdp-handshake.json";
pub const NETSH_CURRENT_PROFILE: &str = "commands/netsh-firewall-currentprofile.txt";

/// The kind the collector's canonical path implies, if any.
pub fn kind_from_manifest_path(path: &str) -> Option<Kind> {
    let kind = match path {
        p if p.starts_with("registry/") && p.ends_with(".reg") => Kind::Registry,
        paths::GPRESULT_HTML => Kind::Gpresult,
        paths::NETSTAT => Kind::Netstat,
        paths::QWINSTA => Kind::Qwinsta,
        paths::TASKLIST_SVC => Kind::Tasklist,
        p if p.starts_with("commands/sc-queryex-") || p.starts_with("commands/sc-qc-") => {
            Kind::ScQuery
        }
        paths::NETSH_RULES => Kind::FirewallRules,
        paths::NETSH_PROFILES => Kind::FirewallProfiles,
        paths::ICACLS_MACHINEKEYS => Kind::Icacls,
        paths::CERTUTIL_RDP => Kind::Certutil,
        paths::CERT_INDEX => Kind::CertIndex,
        p if p.starts_with("certs/") && p.ends_with(".cer") => Kind::Certificate,
        p if p.starts_with("events/") && p.ends_with(".evtx") => Kind::Evtx,
        p if p.starts_with("commands/netsh-firewall-") => Kind::FirewallProfiles,
        p if p.starts_with("commands/icacls-") => Kind::Icacls,
        SECEDIT_USER_RIGHTS => Kind::Secedit,
        p if p.starts_with("commands/net-localgroup-") => Kind::NetLocalgroup,
        NLTEST_SC_QUERY => Kind::Nltest,
        W32TM_STATUS => Kind::W32tm,
        paths::DSREGCMD_STATUS => Kind::Dsregcmd,
        SECURITYCENTER_FIREWALL => Kind::SecurityCenter,
        RDP_HANDSHAKE => Kind::HandshakeProbe,
        paths::NETSH_DYNAMICPORT_TCP => Kind::DynamicPorts,
        paths::WEVTUTIL_GL_SECURITY => Kind::EventLogConfig,
        paths::IPCONFIG_ALL => Kind::IpConfig,
        paths::ROUTE_PRINT => Kind::RoutePrint,
        paths::POWERCFG_SLEEP => Kind::Powercfg,
        paths::WMIC_GRACE_PERIOD => Kind::GracePeriod,
        paths::NETSH_WFP_FILTERS => Kind::WfpFilters,
        _ => return None,
    };
    Some(kind)
}

/// Identifies `bytes` by content (binary magic first, then the shape of the decoded text).
pub fn identify(bytes: &[u8], decoded: Option<&Decoded>) -> Kind {
    if evtx::sniff(bytes) {
        return Kind::Evtx;
    }
    if cert::sniff(bytes) {
        return Kind::Certificate;
    }
    if hive::sniff(bytes) {
        return Kind::RegistryHive;
    }
    if hive::sniff_log(bytes) {
        return Kind::HiveLog;
    }
    let Some(d) = decoded else {
        return Kind::Unknown;
    };
    let t = d.text.as_str();
    // Most specific shapes first: several outputs share words like "State".
    type Sniff = fn(&str) -> bool;
    let probes: &[(Sniff, Kind)] = &[
        (reg::sniff, Kind::Registry),
        (gpresult::sniff, Kind::Gpresult),
        (gpresult::sniff_xml, Kind::GpresultXml),
        (event_xml::sniff, Kind::EventXml),
        (wfp::sniff, Kind::WfpFilters),
        (cert::sniff_index, Kind::CertIndex),
        // Before the handshake probe: a client probe file holds a handshake record.
        (client_probe::sniff, Kind::ClientProbe),
        (rdp_probe::sniff, Kind::HandshakeProbe),
        (secedit::sniff, Kind::Secedit),
        (nltest::sniff, Kind::Nltest),
        (w32tm::sniff, Kind::W32tm),
        (wevtutil_gl::sniff, Kind::EventLogConfig),
        (dynamicport::sniff, Kind::DynamicPorts),
        (dsregcmd::sniff, Kind::Dsregcmd),
        (grace_period::sniff, Kind::GracePeriod),
        (securitycenter::sniff, Kind::SecurityCenter),
        (ipconfig::sniff, Kind::IpConfig),
        (route_print::sniff, Kind::RoutePrint),
        (powercfg::sniff, Kind::Powercfg),
        (net_localgroup::sniff, Kind::NetLocalgroup),
        (netsh_rules::sniff, Kind::FirewallRules),
        (netsh_profiles::sniff, Kind::FirewallProfiles),
        (certutil::sniff, Kind::Certutil),
        (icacls::sniff, Kind::Icacls),
        (sc::sniff, Kind::ScQuery),
        (tasklist::sniff, Kind::Tasklist),
        (qwinsta::sniff, Kind::Qwinsta),
        (netstat::sniff, Kind::Netstat),
    ];
    probes
        .iter()
        .find(|(sniff, _)| sniff(t))
        .map(|(_, k)| *k)
        .unwrap_or(Kind::Unknown)
}

/// Identifies and parses one file. Never panics; a parse failure is in `result`.
pub fn parse_file(path: &str, bytes: &[u8], code_page: Option<u32>) -> ParsedFile {
    parse_file_beside(path, bytes, code_page, &[])
}

/// [`parse_file`], with the files found beside it that belong to it: a hive's transaction logs.
pub fn parse_file_beside(
    path: &str,
    bytes: &[u8],
    code_page: Option<u32>,
    beside: &[hive::LogFile<'_>],
) -> ParsedFile {
    let binary = is_binary(bytes);
    let decoded = (!binary).then(|| text::decode(bytes, code_page));
    let sniffed = identify(bytes, decoded.as_ref());
    // The manifest path is a hint for outputs too small to sniff; content wins when it speaks.
    let kind = match (sniffed, kind_from_manifest_path(path)) {
        (Kind::Unknown, Some(hint)) => hint,
        (k, _) => k,
    };
    let (encoding, lossy) = match &decoded {
        Some(d) => (Some(d.encoding.clone()), d.lossy),
        None => (None, false),
    };
    let text = decoded.as_ref().map(|d| d.text.as_str()).unwrap_or("");
    let result = match kind {
        Kind::RegistryHive => hive::parse(bytes, beside).map(|h| Parsed::Hive(Box::new(h))),
        _ => parse_as(kind, bytes, text),
    };
    ParsedFile {
        path: path.to_string(),
        kind,
        encoding,
        lossy,
        result,
    }
}

/// Kinds recognized by their binary magic, never decoded as text.
pub fn is_binary(bytes: &[u8]) -> bool {
    evtx::sniff(bytes) || cert::sniff(bytes) || hive::base_block(bytes).is_some()
}

/// The events the checks read: RDP-relevant ids, and only RDP logon types (7, 10, 12) of
/// 4624/4634. No check reads other logons, and skipping them before they are built is what
/// makes the event stage fast.
fn wanted_events() -> evtx::EventFilter {
    evtx::EventFilter::rdp()
}

/// Parses an event log streamed from `reader` (a file, a zip entry being inflated) a batch of
/// chunks at a time, keeping what the checks read; `size` (when known) sizes the progress bar.
/// The streaming twin of [`parse_file`] on an `.evtx`'s bytes: same events, same counts.
pub fn parse_event_stream(
    reader: impl std::io::Read + Send,
    size: Option<u64>,
) -> Result<evtx::EventLog, ParseError> {
    evtx::parse_reader(reader, size, &wanted_events())
}

/// An event log parsed by [`parse_event_stream`], as [`parse_file`] reports a file.
pub fn parsed_event_stream(path: &str, log: Result<evtx::EventLog, ParseError>) -> ParsedFile {
    ParsedFile {
        path: path.to_string(),
        kind: Kind::Evtx,
        encoding: None,
        lossy: false,
        result: log.map(Parsed::Events),
    }
}

/// Streams the event log at `file` (`len` bytes) into its parser, as [`parse_file`] reports
/// a file.
pub fn parse_event_log_file(path: &str, file: &std::path::Path, len: u64) -> ParsedFile {
    let log = std::fs::File::open(file)
        .map_err(|e| ParseError::new(format!("cannot read the event log: {e}")))
        .and_then(|f| parse_event_stream(f, Some(len)));
    parsed_event_stream(path, log)
}

fn parse_as(kind: Kind, bytes: &[u8], text: &str) -> Result<Parsed, ParseError> {
    let wanted = wanted_events();
    Ok(match kind {
        Kind::Registry => Parsed::Registry(reg::parse(text)?),
        Kind::RegistryHive => Parsed::Hive(Box::new(hive::parse(bytes, &[])?)),
        Kind::HiveLog => Parsed::HiveLog,
        Kind::Gpresult => Parsed::Gpresult(Box::new(gpresult::parse(text)?)),
        Kind::GpresultXml => Parsed::Gpresult(Box::new(gpresult::parse_xml(text)?)),
        Kind::Netstat => Parsed::Netstat(netstat::parse(text)?),
        Kind::Qwinsta => Parsed::Qwinsta(qwinsta::parse(text)?),
        Kind::Tasklist => Parsed::Tasklist(tasklist::parse(text)?),
        Kind::ScQuery => Parsed::ScQuery(sc::parse(text)?),
        Kind::FirewallRules => Parsed::FirewallRules(netsh_rules::parse(text)?),
        Kind::FirewallProfiles => Parsed::FirewallProfiles(netsh_profiles::parse(text)?),
        Kind::Icacls => Parsed::Icacls(icacls::parse(text)?),
        Kind::Certutil => Parsed::Certutil(certutil::parse(text)?),
        Kind::Certificate => Parsed::Certificate(Box::new(cert::parse_der(bytes)?)),
        Kind::CertIndex => Parsed::CertIndex(cert::parse_index(text)?),
        Kind::Evtx => Parsed::Events(evtx::parse(bytes, &wanted)?),
        Kind::EventXml => Parsed::Events(event_xml::parse(text, &wanted)?),
        Kind::Secedit => Parsed::Secedit(secedit::parse(text)?),
        Kind::NetLocalgroup => Parsed::NetLocalgroup(net_localgroup::parse(text)?),
        Kind::Nltest => Parsed::Nltest(nltest::parse(text)?),
        Kind::W32tm => Parsed::W32tm(w32tm::parse(text)?),
        Kind::Dsregcmd => Parsed::Dsregcmd(dsregcmd::parse(text)?),
        Kind::SecurityCenter => Parsed::SecurityCenter(securitycenter::parse(text)?),
        Kind::HandshakeProbe => Parsed::HandshakeProbe(Box::new(rdp_probe::parse(text)?)),
        Kind::ClientProbe => Parsed::ClientProbe(Box::new(client_probe::parse(text)?)),
        Kind::DynamicPorts => Parsed::DynamicPorts(dynamicport::parse(text)?),
        Kind::EventLogConfig => Parsed::EventLogConfig(wevtutil_gl::parse(text)?),
        Kind::IpConfig => Parsed::IpConfig(ipconfig::parse(text)?),
        Kind::RoutePrint => Parsed::RoutePrint(route_print::parse(text)?),
        Kind::Powercfg => Parsed::Powercfg(powercfg::parse(text)?),
        Kind::GracePeriod => Parsed::GracePeriod(grace_period::parse(text)?),
        Kind::WfpFilters => Parsed::WfpFilters(wfp::parse(text)?),
        Kind::Unknown => return Err(ParseError::new(
            "not recognized as any artifact rdp-triage reads (registry export, gpresult report, \
                 command output, certificate or event log)",
        )),
    })
}

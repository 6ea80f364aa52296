//! `rdp-collect probe HOST[:PORT]`: the guide's "run psping HOST:3389 from other computers",
//! run on a computer that cannot connect (Windows, Linux or macOS).
//!
//! It makes `count` TCP connections like psping (each closed at once) and times them, then one
//! RDP negotiation as mstsc makes it (the local probe's [`super::run`]: X.224 Connection
//! Request offering TLS and CredSSP, then the TLS handshake, keeping the certificate served),
//! and, when the server chose CredSSP, one more offering TLS alone, whose refusal
//! (`HYBRID_REQUIRED_BY_SERVER`) says that Network Level Authentication is required. Nothing is
//! sent after a TLS handshake: no credentials, no session.
//!
//! The record, `rdp-probe-<CLIENT>-to-<HOST>-<time>.json`, says who probed (name, OS, the
//! source address the route to the server uses) so that the analyzer can line it up with the
//! server's firewall scope; its format is `docs/bundle-format.md`'s "Client probe file".

use super::{wire, Negotiation, ProbeConfig, ProbeRecord, TlsResult};
use serde::{Deserialize, Serialize};
use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant, SystemTime};

/// `"probe"` field value of the record.
pub const REMOTE_PROBE_NAME: &str = "rdp-client-probe";
pub const REMOTE_FORMAT_VERSION: u32 = 1;
/// psping's default.
pub const DEFAULT_COUNT: u32 = 4;
pub const MAX_COUNT: u32 = 1000;
/// Pause between attempts, as psping.
const INTERVAL: Duration = Duration::from_millis(500);

/// One TCP connection attempt.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Attempt {
    /// `connected`, `refused`, `timed_out`, `unreachable`, `dns_failure`, `error`.
    pub result: String,
    pub time_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// psping's summary line.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Summary {
    pub sent: u32,
    pub connected: u32,
    pub lost: u32,
    pub loss_percent: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<f64>,
}

/// The computer the probe ran on.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Client {
    pub name: String,
    pub os: String,
    /// The local address the route to the server leaves from (what the server's firewall sees,
    /// unless NAT is between them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address: Option<String>,
    /// Addresses of the client known to the probe (the route source; the OS is not asked for
    /// its whole interface list).
    pub addresses: Vec<String>,
}

/// The served certificate, read from its DER.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct ServedCertificate {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    /// SHA-1, upper-case hex, as certlm.msc and `SSLCertificateSHA1Hash` show it.
    pub thumbprint: String,
    /// The DER, base64 (a few hundred bytes): the analyzer reads it again.
    pub der_base64: String,
}

/// The client probe record.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ClientProbe {
    /// Always [`REMOTE_PROBE_NAME`].
    pub probe: String,
    pub format_version: u32,
    pub collector_version: String,
    /// As given: `HOST[:PORT]`.
    pub target: String,
    pub host: String,
    pub port: u16,
    /// What the name resolved to (the first is probed).
    pub resolved: Vec<String>,
    pub client: Client,
    pub started_utc: String,
    pub timeout_ms: u64,
    pub attempts: Vec<Attempt>,
    pub summary: Summary,
    /// The mstsc-like negotiation and TLS handshake (absent when no attempt connected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<ProbeRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<ServedCertificate>,
    /// `required` (TLS alone refused with HYBRID_REQUIRED_BY_SERVER), `not_required` (TLS
    /// alone accepted), `not_offered` (the server never chose CredSSP), `unknown`.
    pub nla: String,
    /// `reachable`, `refused`, `filtered`, `unreachable`, `dns_failure`,
    /// `negotiation_refused`, `not_rdp`, `error`.
    pub verdict: String,
    /// The verdict in words.
    pub verdict_text: String,
}

/// What to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteOptions {
    pub host: String,
    pub port: u16,
    pub count: u32,
    pub timeout: Duration,
}

/// Splits `HOST[:PORT]`, `[v6]:PORT` or a bare IPv6 address.
pub fn parse_target(s: &str) -> Result<(String, u16), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("probe needs a host name or address".into());
    }
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{p:?} is not a port number (1-65535)"))
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest
            .split_once(']')
            .ok_or_else(|| format!("{s:?}: missing ]"))?;
        return match tail.strip_prefix(':') {
            Some(p) => Ok((host.to_string(), port(p)?)),
            None if tail.is_empty() => Ok((host.to_string(), super::DEFAULT_RDP_PORT)),
            None => Err(format!("{s:?} is not HOST[:PORT]")),
        };
    }
    match s.matches(':').count() {
        0 => Ok((s.to_string(), super::DEFAULT_RDP_PORT)),
        1 => {
            let (h, p) = s.split_once(':').unwrap_or((s, ""));
            if h.is_empty() {
                return Err(format!("{s:?} has no host"));
            }
            Ok((h.to_string(), port(p)?))
        }
        // A bare IPv6 address.
        _ => Ok((s.to_string(), super::DEFAULT_RDP_PORT)),
    }
}

/// Runs the probe. Never fails: every outcome is in the record.
pub fn run(opts: &RemoteOptions, mut progress: impl FnMut(&str)) -> ClientProbe {
    let started = crate::collect::rfc3339(SystemTime::now());
    let target_text = if opts.host.contains(':') {
        format!("[{}]:{}", opts.host, opts.port)
    } else {
        format!("{}:{}", opts.host, opts.port)
    };
    let mut rec = ClientProbe {
        probe: REMOTE_PROBE_NAME.into(),
        format_version: REMOTE_FORMAT_VERSION,
        collector_version: crate::collect::COLLECTOR_VERSION.into(),
        target: target_text.clone(),
        host: opts.host.clone(),
        port: opts.port,
        resolved: Vec::new(),
        client: client_info(None),
        started_utc: started,
        timeout_ms: u64::try_from(opts.timeout.as_millis()).unwrap_or(u64::MAX),
        attempts: Vec::new(),
        summary: summarize(&[]),
        handshake: None,
        certificate: None,
        nla: "unknown".into(),
        verdict: "error".into(),
        verdict_text: String::new(),
    };
    let addrs: Vec<SocketAddr> = match (opts.host.as_str(), opts.port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            let a = Attempt {
                result: "dns_failure".into(),
                time_ms: 0.0,
                error: Some(format!("{} could not be resolved: {e}", opts.host)),
            };
            progress(&format!(
                "{target_text}: {}",
                a.error.as_deref().unwrap_or("")
            ));
            rec.attempts.push(a);
            rec.summary = summarize(&rec.attempts);
            verdict(&mut rec);
            return rec;
        }
    };
    rec.resolved = addrs.iter().map(|a| a.ip().to_string()).collect();
    let Some(&addr) = addrs.first() else {
        rec.attempts.push(Attempt {
            result: "dns_failure".into(),
            time_ms: 0.0,
            error: Some(format!("{} resolved to no address", opts.host)),
        });
        rec.summary = summarize(&rec.attempts);
        verdict(&mut rec);
        return rec;
    };
    rec.client = client_info(Some(addr));
    progress(&format!(
        "Probing {target_text} ({}) from {} ({}), {} attempt(s):",
        addr,
        rec.client.name,
        rec.client.source_address.as_deref().unwrap_or("?"),
        opts.count
    ));
    for i in 0..opts.count.max(1) {
        if i > 0 {
            std::thread::sleep(INTERVAL);
        }
        let a = connect_once(addr, opts.timeout);
        progress(&format!(
            "  {}: {} {:.2} ms{}",
            i + 1,
            a.result,
            a.time_ms,
            a.error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ));
        rec.attempts.push(a);
    }
    rec.summary = summarize(&rec.attempts);
    if rec.summary.connected > 0 {
        let config = ProbeConfig {
            target: addr,
            requested_protocols: wire::REQUESTED_PROTOCOLS,
            cookie: Some(wire::COOKIE.to_string()),
            connect_timeout: opts.timeout,
            read_timeout: opts.timeout.max(Duration::from_secs(2)),
            tls_timeout: opts.timeout.max(Duration::from_secs(2)),
        };
        let out = super::run(&config);
        let mut hs = out.record;
        hs.certificate_path = None;
        if let Some(der) = &out.certificate {
            rec.certificate = Some(describe_certificate(der));
        }
        rec.nla = nla(&hs, &config);
        rec.handshake = Some(hs);
    }
    verdict(&mut rec);
    rec
}

fn connect_once(addr: SocketAddr, timeout: Duration) -> Attempt {
    let start = Instant::now();
    let r = TcpStream::connect_timeout(&addr, timeout);
    let time_ms = (start.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
    match r {
        Ok(s) => {
            let _ = s.shutdown(std::net::Shutdown::Both);
            Attempt {
                result: "connected".into(),
                time_ms,
                error: None,
            }
        }
        Err(e) => {
            let result = match e.kind() {
                io::ErrorKind::ConnectionRefused => "refused",
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed_out",
                io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => "unreachable",
                _ => "error",
            };
            Attempt {
                result: result.into(),
                time_ms,
                error: Some(e.to_string()),
            }
        }
    }
}

/// Loss and times, as psping prints them.
pub fn summarize(attempts: &[Attempt]) -> Summary {
    let sent = u32::try_from(attempts.len()).unwrap_or(u32::MAX);
    let ok: Vec<f64> = attempts
        .iter()
        .filter(|a| a.result == "connected")
        .map(|a| a.time_ms)
        .collect();
    let connected = u32::try_from(ok.len()).unwrap_or(u32::MAX);
    let round = |v: f64| (v * 100.0).round() / 100.0;
    Summary {
        sent,
        connected,
        lost: sent - connected,
        loss_percent: if sent == 0 {
            0.0
        } else {
            round(f64::from(sent - connected) * 100.0 / f64::from(sent))
        },
        min_ms: ok.iter().copied().reduce(f64::min).map(round),
        avg_ms: (!ok.is_empty()).then(|| round(ok.iter().sum::<f64>() / ok.len() as f64)),
        max_ms: ok.iter().copied().reduce(f64::max).map(round),
    }
}

/// Whether CredSSP is required: asked only when the server chose it over TLS.
fn nla(hs: &ProbeRecord, config: &ProbeConfig) -> String {
    match (hs.negotiation, hs.selected_protocol.as_deref()) {
        (Some(Negotiation::Failure), _)
            if hs.failure_name.as_deref() == Some("HYBRID_REQUIRED_BY_SERVER") =>
        {
            "required".into()
        }
        (Some(Negotiation::Selected), Some("hybrid" | "hybrid_ex")) => {
            let tls_only = ProbeConfig {
                requested_protocols: wire::PROTOCOL_SSL,
                ..config.clone()
            };
            let again = super::run(&tls_only).record;
            match (again.negotiation, again.failure_name.as_deref()) {
                (Some(Negotiation::Failure), Some("HYBRID_REQUIRED_BY_SERVER")) => {
                    "required".into()
                }
                (Some(Negotiation::Selected), _) => "not_required".into(),
                _ => "unknown".into(),
            }
        }
        (Some(Negotiation::Selected | Negotiation::Legacy), _) => "not_offered".into(),
        _ => "unknown".into(),
    }
}

fn describe_certificate(der: &[u8]) -> ServedCertificate {
    use sha1::{Digest, Sha1};
    let mut out = ServedCertificate {
        thumbprint: hex::encode_upper(Sha1::digest(der)),
        der_base64: crate::bundle::base64::encode(der),
        ..ServedCertificate::default()
    };
    if let Ok((_, c)) = x509_parser::parse_x509_certificate(der) {
        out.subject = c.subject().to_string();
        out.issuer = c.issuer().to_string();
        let t = |v: &x509_parser::time::ASN1Time| {
            chrono::DateTime::from_timestamp(v.timestamp(), 0)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default()
        };
        out.not_before = t(&c.validity().not_before);
        out.not_after = t(&c.validity().not_after);
    }
    out
}

/// Name, OS and route source of this computer. Asking the OS for the route (a UDP socket
/// "connected" to the server) sends no packet.
fn client_info(target: Option<SocketAddr>) -> Client {
    let name = std::env::var("COMPUTERNAME")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "client".into());
    let source = target.and_then(|t| {
        let bind: SocketAddr = if t.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let s = UdpSocket::bind(bind).ok()?;
        s.connect(t).ok()?;
        s.local_addr().ok().map(|a| a.ip().to_string())
    });
    Client {
        name,
        os: os_name(),
        addresses: source.iter().cloned().collect(),
        source_address: source,
    }
}

/// `windows (Windows 11 Pro 24H2 build 26100)`, `linux (Debian GNU/Linux 12 (bookworm))`.
#[cfg(windows)]
fn os_name() -> String {
    let os = crate::win::registry::os_info();
    let parts: Vec<String> = [
        os.product_name,
        os.display_version,
        os.build.map(|b| format!("build {b}")),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect();
    if parts.is_empty() {
        "windows".into()
    } else {
        format!("windows ({})", parts.join(" "))
    }
}

#[cfg(not(windows))]
fn os_name() -> String {
    let family = std::env::consts::OS;
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        });
    match pretty {
        Some(p) => format!("{family} ({p})"),
        None => family.to_string(),
    }
}

/// The verdict, as a word and in words.
fn verdict(rec: &mut ClientProbe) {
    let t = rec.target.clone();
    let s = &rec.summary;
    let count = |r: &str| rec.attempts.iter().filter(|a| a.result == r).count();
    let (word, text) = if count("dns_failure") > 0 {
        (
            "dns_failure",
            format!(
                "The name {} could not be resolved from this computer: check the name and DNS.",
                rec.host
            ),
        )
    } else if s.connected == 0 && count("refused") > 0 {
        (
            "refused",
            format!(
                "{t} refused every connection: nothing listens on that address and port (the \
                 RDP listener is off, bound to another address or port), or a firewall rejects \
                 the connection."
            ),
        )
    } else if s.connected == 0 && count("timed_out") > 0 {
        (
            "filtered",
            format!(
                "{t} did not answer within {} ms: a firewall drops the connection (a network \
                 firewall, or a Windows Firewall rule whose scope excludes this computer), or \
                 the machine is off.",
                rec.timeout_ms
            ),
        )
    } else if s.connected == 0 && count("unreachable") > 0 {
        (
            "unreachable",
            format!("There is no route from this computer to {t}."),
        )
    } else if s.connected == 0 {
        ("error", format!("Could not connect to {t}."))
    } else {
        match &rec.handshake {
            Some(h) if h.negotiation == Some(Negotiation::Failure) => (
                "negotiation_refused",
                format!(
                    "{t} accepts TCP connections but refused the RDP negotiation: {} (this \
                     probe offered {}).",
                    h.failure_name.as_deref().unwrap_or("unknown code"),
                    h.requested_protocols.join(", ")
                ),
            ),
            Some(h) if !h.listener_answers() => (
                "not_rdp",
                format!(
                    "{t} accepts TCP connections but did not answer as an RDP server: {}.",
                    h.negotiation_error.as_deref().unwrap_or("no answer")
                ),
            ),
            Some(h) => {
                let mut text = format!(
                    "{t} is reachable and answers as an RDP server (selected {}{}).",
                    h.selected_protocol
                        .as_deref()
                        .unwrap_or("standard RDP security"),
                    match h.tls {
                        TlsResult::Ok => format!(", {}", h.tls_version.as_deref().unwrap_or("TLS")),
                        TlsResult::NotAttempted => String::new(),
                        _ => format!(
                            ", but the TLS handshake failed: {}",
                            h.tls_error.as_deref().unwrap_or("?")
                        ),
                    }
                );
                if s.lost > 0 {
                    text.push_str(&format!(
                        " {} of {} connection attempts were lost.",
                        s.lost, s.sent
                    ));
                }
                ("reachable", text)
            }
            None => ("reachable", format!("{t} accepts TCP connections.")),
        }
    };
    rec.verdict = word.into();
    rec.verdict_text = text;
}

/// psping-like console text: the summary and the verdict.
pub fn console_summary(rec: &ClientProbe) -> String {
    let s = &rec.summary;
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.2}ms")).unwrap_or_else(|| "-".into());
    let mut out = format!(
        "\nTCP connect statistics for {}:\n  Sent = {}, Received = {}, Lost = {} ({:.0}% loss),\n  Minimum = {}, Maximum = {}, Average = {}\n",
        rec.target,
        s.sent,
        s.connected,
        s.lost,
        s.loss_percent,
        ms(s.min_ms),
        ms(s.max_ms),
        ms(s.avg_ms)
    );
    if let Some(h) = &rec.handshake {
        out.push_str(&format!("\nRDP negotiation: {}\n", h.summary()));
    }
    if let Some(c) = &rec.certificate {
        out.push_str(&format!(
            "Served certificate: {}\n  issuer {}\n  valid {} to {}\n  thumbprint {}\n",
            c.subject, c.issuer, c.not_before, c.not_after, c.thumbprint
        ));
    }
    if rec.nla != "unknown" {
        out.push_str(&format!(
            "Network Level Authentication: {}\n",
            rec.nla.replace('_', " ")
        ));
    }
    out.push_str(&format!("\nVerdict: {}\n", rec.verdict_text));
    out
}

/// `rdp-probe-<CLIENT>-to-<HOST>-<time>.json`, with only file-name-safe characters.
pub fn default_file_name(rec: &ClientProbe) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect()
    };
    let time: String = rec
        .started_utc
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T' || *c == 'Z')
        .collect();
    format!(
        "rdp-probe-{}-to-{}-{}.json",
        safe(&rec.client.name),
        safe(&rec.host),
        time
    )
}

/// The record as written: pretty JSON, UTF-8.
pub fn to_json(rec: &ClientProbe) -> io::Result<Vec<u8>> {
    let mut v = serde_json::to_vec_pretty(rec).map_err(io::Error::other)?;
    v.push(b'\n');
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fake_server::{closed_port, Behaviour, FakeRdpServer, TEST_CERT_SHA1};

    fn probe(port: u16, count: u32) -> ClientProbe {
        run(
            &RemoteOptions {
                host: "127.0.0.1".into(),
                port,
                count,
                timeout: Duration::from_secs(1),
            },
            |_| {},
        )
    }

    #[test]
    fn targets() {
        assert_eq!(parse_target("srv").unwrap(), ("srv".into(), 3389));
        assert_eq!(parse_target("srv:3390").unwrap(), ("srv".into(), 3390));
        assert_eq!(parse_target("[::1]:3390").unwrap(), ("::1".into(), 3390));
        assert_eq!(parse_target("[::1]").unwrap(), ("::1".into(), 3389));
        assert_eq!(parse_target("fe80::1").unwrap(), ("fe80::1".into(), 3389));
        assert!(parse_target("srv:0").is_err());
        assert!(parse_target("srv:x").is_err());
        assert!(parse_target(":3389").is_err());
        assert!(parse_target("").is_err());
    }

    #[test]
    fn refused() {
        let rec = probe(closed_port().unwrap(), 2);
        assert_eq!(rec.verdict, "refused", "{rec:?}");
        assert_eq!(rec.summary.sent, 2);
        assert_eq!(rec.summary.loss_percent, 100.0);
        assert!(rec.attempts.iter().all(|a| a.result == "refused"));
        assert!(rec.handshake.is_none());
        assert_eq!(rec.client.source_address.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn tls_with_the_test_certificate() {
        let srv = FakeRdpServer::start(Behaviour::Rdp {
            protocol: wire::PROTOCOL_SSL,
            tls13: false,
        })
        .unwrap();
        let rec = probe(srv.addr().port(), 2);
        assert_eq!(rec.verdict, "reachable", "{}", rec.verdict_text);
        assert_eq!(rec.summary.connected, 2);
        assert!(rec.summary.min_ms.is_some());
        let c = rec.certificate.as_ref().unwrap();
        assert_eq!(c.thumbprint, TEST_CERT_SHA1);
        assert!(c.subject.contains("RDP-PROBE-TEST"), "{}", c.subject);
        assert!(!c.not_after.is_empty() && !c.der_base64.is_empty());
        let hs = rec.handshake.as_ref().unwrap();
        assert_eq!(hs.tls_version.as_deref(), Some("TLS 1.2"));
        assert_eq!(rec.nla, "not_offered");
        assert!(console_summary(&rec).contains("Lost = 0 (0% loss)"));
    }

    #[test]
    fn hybrid_required() {
        let srv = FakeRdpServer::start(Behaviour::NegotiationFailure(0x05)).unwrap();
        let rec = probe(srv.addr().port(), 1);
        assert_eq!(rec.verdict, "negotiation_refused");
        assert!(rec.verdict_text.contains("HYBRID_REQUIRED_BY_SERVER"));
        assert_eq!(rec.nla, "required");
        assert!(rec.certificate.is_none());
    }

    #[test]
    fn silent_listener_is_not_rdp() {
        let srv = FakeRdpServer::start(Behaviour::Silent).unwrap();
        let rec = probe(srv.addr().port(), 1);
        assert_eq!(rec.verdict, "not_rdp", "{}", rec.verdict_text);
        assert_eq!(
            rec.handshake.as_ref().unwrap().negotiation,
            Some(Negotiation::Timeout)
        );
    }

    #[test]
    fn unresolvable_name() {
        // `.invalid` never resolves (RFC 6761); no query leaves a resolver that knows it.
        let rec = run(
            &RemoteOptions {
                host: "no-such-host.invalid".into(),
                port: 3389,
                count: 1,
                timeout: Duration::from_secs(1),
            },
            |_| {},
        );
        assert_eq!(rec.verdict, "dns_failure");
        assert_eq!(rec.attempts.len(), 1);
    }

    #[test]
    fn file_name_is_safe() {
        let mut rec = probe(closed_port().unwrap(), 1);
        rec.client.name = "PC/../x".into();
        rec.host = "srv:1\\y".into();
        let name = default_file_name(&rec);
        assert!(name.starts_with("rdp-probe-PC_.._x-to-srv_1_y-"), "{name}");
        assert!(!name.contains('/') && !name.contains('\\') && !name.contains(':'));
    }
}

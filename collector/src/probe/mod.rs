//! The local RDP handshake probe: what the listener on this machine answers a client.
//!
//! The registry says how RDP is configured; only a connection shows whether the listener
//! answers. The probe connects to `127.0.0.1:<RDP-Tcp PortNumber>`, sends the X.224 Connection
//! Request mstsc sends (TLS, CredSSP and CredSSP with early authorization offered), records the
//! Connection Confirm (selected protocol, or the `RDP_NEG_FAILURE` code), and when TLS follows,
//! completes a TLS handshake and keeps the certificate the listener really serves. A listener
//! that answers locally but not remotely points at the network or a firewall between client
//! and box; one that does not answer locally points at RDP itself.
//!
//! Every outcome is a result, never a panic or an error: refused, timed out, reset, closed,
//! garbage, TLS refused. All waits are bounded (connect 3 s, answer 5 s, TLS 5 s by default).
//! Nothing after the TLS handshake is sent: no credentials, no CredSSP, no session.
//!
//! The record is `commands/rdp-handshake.json`, read by the analyzer's `parse::rdp_probe`
//! (keep the two in step: field names and values are that module's format).

pub mod fake_server;
pub mod remote;
pub mod tls;
pub mod wire;

use crate::bundle::paths;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime};
use wire::Confirm;

/// `"probe"` field value identifying the record.
pub const PROBE_NAME: &str = "rdp-handshake";
/// Version of the record's format. Fields are only ever added.
pub const PROBE_FORMAT_VERSION: u32 = 1;
/// Default RDP port, used when the registry does not say.
pub const DEFAULT_RDP_PORT: u16 = 3389;
/// Bytes of an unexpected answer kept (hex) in the record.
const MAX_RESPONSE_KEPT: usize = 64;
/// How long to wait for the rest of an answer that is not RDP (a banner, an HTTP error).
const GARBAGE_GRACE: Duration = Duration::from_millis(300);

/// The TCP connection.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TcpResult {
    Connected,
    /// Nothing listens on the port (RST).
    Refused,
    /// No answer to the SYN within the connect limit.
    Timeout,
    Error,
}

/// The answer to the Connection Request.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Negotiation {
    /// `RDP_NEG_RSP`: `selected_protocol` says which.
    Selected,
    /// `RDP_NEG_FAILURE`: `failure_code` says why.
    Failure,
    /// A Connection Confirm without negotiation data: standard RDP security only.
    Legacy,
    /// The listener closed or reset the connection without a byte.
    NoResponse,
    /// Nothing came back within the answer limit.
    Timeout,
    /// Bytes came back, but not an X.224 Connection Confirm (`response_hex` has them).
    NotRdp,
    /// The request could not be sent.
    Error,
}

/// The TLS handshake.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TlsResult {
    Ok,
    /// The handshake broke: reset, closed, timed out, an internal-error alert.
    Failed,
    /// The server refused what the probe offers (TLS 1.2/1.3, ECDHE AEAD suites): a
    /// limitation of the probe as much as of the server.
    Incompatible,
    /// No TLS: not connected, no negotiation, or standard RDP security selected.
    NotAttempted,
}

/// The probe record, `commands/rdp-handshake.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ProbeRecord {
    /// Always [`PROBE_NAME`].
    pub probe: String,
    pub format_version: u32,
    /// `127.0.0.1:<port>`.
    pub target: String,
    /// Local address the probe connected from: its own connection in the listener's event
    /// logs (RdpCoreTS 131) carries this port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// UTC start, RFC 3339.
    pub started_utc: String,
    pub duration_ms: u64,
    pub tcp: TcpResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_error: Option<String>,
    /// Protocols offered in `RDP_NEG_REQ`: `ssl`, `hybrid`, `hybrid_ex`.
    pub requested_protocols: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negotiation: Option<Negotiation>,
    /// Why the negotiation gave no usable answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negotiation_error: Option<String>,
    /// First bytes of an answer that was not a Connection Confirm, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_hex: Option<String>,
    /// `rdp`, `ssl`, `hybrid`, `rdstls`, `hybrid_ex`, `rdsaad` or `0x........`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_protocol: Option<String>,
    /// `RDP_NEG_RSP` flags (0x01 extended client data, 0x02 graphics pipeline, 0x08 restricted
    /// admin, 0x10 redirected authentication supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negotiation_flags: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<u32>,
    /// The failure code's constant name, e.g. `HYBRID_REQUIRED_BY_SERVER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_name: Option<String>,
    pub tls: TlsResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_error: Option<String>,
    /// Fatal alert received from the server, e.g. `handshake_failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_alert: Option<String>,
    /// SHA-1 thumbprint (upper-case hex) of the certificate the listener served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_sha1: Option<String>,
    /// Where that certificate is in the bundle: `certs/served/<THUMBPRINT>.cer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_path: Option<String>,
}

/// What to probe and how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfig {
    pub target: SocketAddr,
    /// `requestedProtocols` of the `RDP_NEG_REQ`.
    pub requested_protocols: u32,
    /// Routing cookie line (`Cookie: mstshash=...\r\n`), or none.
    pub cookie: Option<String>,
    pub connect_timeout: Duration,
    /// For the Connection Confirm.
    pub read_timeout: Duration,
    /// For the whole TLS handshake.
    pub tls_timeout: Duration,
}

impl ProbeConfig {
    /// The probe of the local listener on `port`, with the default limits.
    pub fn loopback(port: u16) -> Self {
        ProbeConfig {
            target: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            requested_protocols: wire::REQUESTED_PROTOCOLS,
            cookie: Some(wire::COOKIE.to_string()),
            connect_timeout: Duration::from_secs(3),
            read_timeout: Duration::from_secs(5),
            tls_timeout: Duration::from_secs(5),
        }
    }
}

/// The record and the certificate the listener served (DER), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOutcome {
    pub record: ProbeRecord,
    pub certificate: Option<Vec<u8>>,
}

/// Bundle path of a served certificate.
pub fn served_certificate_path(thumbprint: &str) -> String {
    format!("{}/{thumbprint}.cer", paths::CERTS_SERVED_DIR)
}

impl ProbeRecord {
    fn new(config: &ProbeConfig) -> Self {
        ProbeRecord {
            probe: PROBE_NAME.to_string(),
            format_version: PROBE_FORMAT_VERSION,
            target: config.target.to_string(),
            source: None,
            started_utc: crate::collect::rfc3339(SystemTime::now()),
            duration_ms: 0,
            tcp: TcpResult::Error,
            tcp_error: None,
            requested_protocols: wire::protocol_names(config.requested_protocols),
            negotiation: None,
            negotiation_error: None,
            response_hex: None,
            selected_protocol: None,
            negotiation_flags: None,
            failure_code: None,
            failure_name: None,
            tls: TlsResult::NotAttempted,
            tls_version: None,
            cipher_suite: None,
            tls_error: None,
            tls_alert: None,
            certificate_sha1: None,
            certificate_path: None,
        }
    }

    /// Whether the RDP listener answered the probe as an RDP server (any Connection Confirm,
    /// even a refusal): the split between "RDP itself is broken" and "something between the
    /// client and the box".
    pub fn listener_answers(&self) -> bool {
        matches!(
            self.negotiation,
            Some(Negotiation::Selected | Negotiation::Failure | Negotiation::Legacy)
        )
    }

    /// One line for the manifest message and the console.
    pub fn summary(&self) -> String {
        let target = &self.target;
        match self.tcp {
            TcpResult::Refused => {
                return format!("{target} refused the connection: nothing listens there")
            }
            TcpResult::Timeout => return format!("{target} did not accept the connection in time"),
            TcpResult::Error => {
                return format!(
                    "could not connect to {target}: {}",
                    self.tcp_error.as_deref().unwrap_or("error")
                )
            }
            TcpResult::Connected => {}
        }
        let answer = match self.negotiation {
            Some(Negotiation::Selected) => format!(
                "the listener answers, selected {}",
                self.selected_protocol.as_deref().unwrap_or("?")
            ),
            Some(Negotiation::Failure) => format!(
                "the listener answers with a negotiation failure: {}",
                self.failure_name.as_deref().unwrap_or("unknown code")
            ),
            Some(Negotiation::Legacy) => {
                "the listener answers with standard RDP security only".to_string()
            }
            _ => format!(
                "{target} accepted the connection but did not answer as RDP: {}",
                self.negotiation_error.as_deref().unwrap_or("no answer")
            ),
        };
        let tls = match self.tls {
            TlsResult::Ok => format!(
                "; {} {}, certificate {}",
                self.tls_version.as_deref().unwrap_or("TLS"),
                self.cipher_suite.as_deref().unwrap_or(""),
                self.certificate_sha1.as_deref().unwrap_or("?")
            ),
            TlsResult::Failed | TlsResult::Incompatible => format!(
                "; TLS handshake {}: {}",
                if self.tls == TlsResult::Failed {
                    "failed"
                } else {
                    "refused what the probe offers"
                },
                self.tls_error.as_deref().unwrap_or("")
            ),
            TlsResult::NotAttempted => String::new(),
        };
        format!("{answer}{tls}")
    }
}

/// The record as stored in the bundle: pretty JSON, UTF-8, no BOM.
pub fn to_json(record: &ProbeRecord) -> io::Result<Vec<u8>> {
    let mut v = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    v.extend_from_slice(b"\n");
    Ok(v)
}

/// Runs the probe. Never fails: every outcome is in the record.
pub fn run(config: &ProbeConfig) -> ProbeOutcome {
    let start = Instant::now();
    let mut rec = ProbeRecord::new(config);
    let mut certificate = None;
    match TcpStream::connect_timeout(&config.target, config.connect_timeout) {
        Err(e) => record_connect_error(&mut rec, config, &e),
        Ok(mut stream) => {
            rec.tcp = TcpResult::Connected;
            rec.source = stream.local_addr().ok().map(|a| a.to_string());
            let _ = stream.set_nodelay(true);
            let selected = negotiate(&mut stream, config, &mut rec);
            if selected.is_some_and(wire::starts_tls) {
                let out = tls::handshake(&mut stream, config.target.ip(), config.tls_timeout);
                rec.tls = out.result;
                rec.tls_version = out.version;
                rec.cipher_suite = out.cipher_suite;
                rec.tls_error = out.error;
                rec.tls_alert = out.alert;
                if let Some(der) = out.certificate {
                    let thumb = hex::encode_upper(Sha1::digest(&der));
                    rec.certificate_path = Some(served_certificate_path(&thumb));
                    rec.certificate_sha1 = Some(thumb);
                    certificate = Some(der);
                }
            }
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
    rec.duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    ProbeOutcome {
        record: rec,
        certificate,
    }
}

fn record_connect_error(rec: &mut ProbeRecord, config: &ProbeConfig, e: &io::Error) {
    let (tcp, text) = match e.kind() {
        io::ErrorKind::ConnectionRefused => (
            TcpResult::Refused,
            format!("connection refused: nothing listens on {}", config.target),
        ),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (
            TcpResult::Timeout,
            format!(
                "no answer to the connection attempt within {} s",
                config.connect_timeout.as_secs()
            ),
        ),
        _ => (TcpResult::Error, e.to_string()),
    };
    rec.tcp = tcp;
    rec.tcp_error = Some(text);
}

/// Sends the Connection Request and reads the Confirm. Returns the selected protocol when the
/// server sent `RDP_NEG_RSP`.
fn negotiate(stream: &mut TcpStream, config: &ProbeConfig, rec: &mut ProbeRecord) -> Option<u32> {
    let request = wire::connection_request(config.cookie.as_deref(), config.requested_protocols);
    let _ = stream.set_write_timeout(Some(config.read_timeout));
    if let Err(e) = stream.write_all(&request).and_then(|()| stream.flush()) {
        let (kind, text) = match e.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => (
                Negotiation::NoResponse,
                format!("the listener reset the connection before the request was sent ({e})"),
            ),
            _ => (
                Negotiation::Error,
                format!("sending the Connection Request failed: {e}"),
            ),
        };
        rec.negotiation = Some(kind);
        rec.negotiation_error = Some(text);
        return None;
    }
    let deadline = Instant::now() + config.read_timeout;
    let mut header = [0u8; 4];
    let got = read_full(stream, &mut header, deadline);
    let header = header.get(..got.count).unwrap_or_default().to_vec();
    if let Some(stop) = got.stop {
        record_short_answer(rec, &header, stop, config);
        return None;
    }
    let len = match wire::tpkt_length(&header) {
        Ok(len) => len,
        Err(why) => {
            let mut seen = header;
            read_more(stream, &mut seen, MAX_RESPONSE_KEPT);
            not_rdp(rec, &seen, why);
            return None;
        }
    };
    let mut pdu = header;
    pdu.resize(len, 0);
    let got = read_full(stream, pdu.get_mut(4..).unwrap_or_default(), deadline);
    if let Some(stop) = got.stop {
        pdu.truncate(4 + got.count);
        record_short_answer(rec, &pdu, stop, config);
        return None;
    }
    match wire::parse_confirm(&pdu) {
        Ok(Confirm::Selected { protocol, flags }) => {
            rec.negotiation = Some(Negotiation::Selected);
            rec.selected_protocol = Some(wire::protocol_name(protocol));
            rec.negotiation_flags = Some(flags);
            Some(protocol)
        }
        Ok(Confirm::Failure { code }) => {
            rec.negotiation = Some(Negotiation::Failure);
            rec.failure_code = Some(code);
            rec.failure_name = wire::failure_name(code).map(str::to_string);
            None
        }
        Ok(Confirm::Legacy) => {
            rec.negotiation = Some(Negotiation::Legacy);
            None
        }
        Err(why) => {
            not_rdp(rec, &pdu, why);
            None
        }
    }
}

fn not_rdp(rec: &mut ProbeRecord, seen: &[u8], why: String) {
    rec.negotiation = Some(Negotiation::NotRdp);
    rec.negotiation_error = Some(why);
    rec.response_hex = Some(hex_prefix(seen));
}

/// The answer stopped (closed, reset, timed out) after `seen` bytes.
fn record_short_answer(rec: &mut ProbeRecord, seen: &[u8], stop: ReadStop, config: &ProbeConfig) {
    let limit = config.read_timeout.as_secs();
    if !seen.is_empty() {
        let how = match stop {
            ReadStop::Eof => "the connection was closed".to_string(),
            ReadStop::Reset => "the connection was reset".to_string(),
            ReadStop::Timeout => format!("nothing more came within {limit} s"),
            ReadStop::Error(e) => e,
        };
        not_rdp(
            rec,
            seen,
            format!("the answer stops after {} byte(s): {how}", seen.len()),
        );
        return;
    }
    let (kind, text) = match stop {
        ReadStop::Eof => (
            Negotiation::NoResponse,
            "the listener closed the connection without answering".to_string(),
        ),
        ReadStop::Reset => (
            Negotiation::NoResponse,
            "the listener reset the connection without answering".to_string(),
        ),
        ReadStop::Timeout => (
            Negotiation::Timeout,
            format!("no answer to the Connection Request within {limit} s"),
        ),
        ReadStop::Error(e) => (
            Negotiation::Error,
            format!("reading the answer failed: {e}"),
        ),
    };
    rec.negotiation = Some(kind);
    rec.negotiation_error = Some(text);
}

/// Why a read stopped before the buffer was full.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ReadStop {
    Eof,
    Reset,
    Timeout,
    Error(String),
}

struct ReadResult {
    count: usize,
    stop: Option<ReadStop>,
}

/// Fills `buf` from `stream` before `deadline`, or says why it could not.
fn read_full(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> ReadResult {
    let mut count = 0;
    while count < buf.len() {
        let Some(left) = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        else {
            return ReadResult {
                count,
                stop: Some(ReadStop::Timeout),
            };
        };
        let _ = stream.set_read_timeout(Some(left));
        let rest = buf.get_mut(count..).unwrap_or_default();
        match stream.read(rest) {
            Ok(0) => {
                return ReadResult {
                    count,
                    stop: Some(ReadStop::Eof),
                }
            }
            Ok(n) => count += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let stop = if tls::is_timeout(&e) {
                    ReadStop::Timeout
                } else if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) {
                    ReadStop::Reset
                } else {
                    ReadStop::Error(e.to_string())
                };
                return ReadResult {
                    count,
                    stop: Some(stop),
                };
            }
        }
    }
    ReadResult { count, stop: None }
}

/// Reads what else arrives within a short grace, up to `max` bytes in `seen`: the rest of a
/// banner or error page, for the record.
fn read_more(stream: &mut TcpStream, seen: &mut Vec<u8>, max: usize) {
    let deadline = Instant::now() + GARBAGE_GRACE;
    while seen.len() < max {
        let mut buf = vec![0u8; max - seen.len()];
        let got = read_full(stream, &mut buf[..1], deadline);
        if got.count == 0 {
            return;
        }
        seen.push(buf[0]);
        // Whatever is already buffered, without waiting byte by byte.
        let _ = stream.set_nonblocking(true);
        let more = stream.read(&mut buf[1..]).unwrap_or(0);
        let _ = stream.set_nonblocking(false);
        seen.extend_from_slice(buf.get(1..1 + more).unwrap_or_default());
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    hex::encode(bytes.get(..MAX_RESPONSE_KEPT).unwrap_or(bytes))
}

#[cfg(test)]
mod tests;

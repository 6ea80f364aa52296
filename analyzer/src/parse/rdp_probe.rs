//! The collector's handshake probe: what the RDP listener answers a client that asks for what
//! mstsc asks for, written by rdp-collect as `commands/rdp-handshake.json`.
//!
//! The probe (rdp-collect's `probe` module) connects to `127.0.0.1:<RDP-Tcp PortNumber>`, sends
//! an X.224 Connection Request carrying an `RDP_NEG_REQ` that offers what mstsc offers (TLS,
//! CredSSP and CredSSP with early authorization: `PROTOCOL_SSL | PROTOCOL_HYBRID |
//! PROTOCOL_HYBRID_EX`), and records the answer: the protocol the server selected
//! (`RDP_NEG_RSP`), or the `RDP_NEG_FAILURE` code ([MS-RDPBCGR] 2.2.1.2.2), or no negotiation at
//! all (a server limited to standard RDP security). When TLS follows it completes the TLS
//! handshake and records the version, cipher suite and certificate the listener really served
//! (the DER is in the bundle at `certificate_path`), or the error. This is ground truth where
//! the registry is only configuration: a listener can ignore a thumbprint it cannot load, and
//! policy can override. Whether the listener answers locally at all splits "RDP itself is
//! broken" from "something between the client and the box" ([`HandshakeProbe::answers_locally`]).
//!
//! The format is ours (rdp-collect writes it), so it is plain JSON with every field optional:
//!
//! ```json
//! { "probe": "rdp-handshake", "format_version": 1, "target": "127.0.0.1:3389",
//!   "source": "127.0.0.1:50123", "started_utc": "2026-11-20T10:15:01Z", "duration_ms": 31,
//!   "tcp": "connected", "requested_protocols": ["ssl", "hybrid", "hybrid_ex"],
//!   "negotiation": "selected", "selected_protocol": "hybrid_ex", "negotiation_flags": 31,
//!   "tls": "ok", "tls_version": "TLS 1.2",
//!   "cipher_suite": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
//!   "certificate_sha1": "6B4D…85AD", "certificate_path": "certs/served/6B4D…85AD.cer" }
//! ```
//!
//! `tcp`: `connected`, `refused`, `timeout`, `error` (with `tcp_error`). `negotiation` (absent
//! when not connected): `selected` (with `selected_protocol`: `rdp`, `ssl`, `hybrid`, `rdstls`,
//! `hybrid_ex`, `rdsaad` or `0x........`), `failure` (with `failure_code` and `failure_name`),
//! `legacy` (a Connection Confirm without negotiation data), `no_response` (closed or reset
//! without a byte), `timeout` (nothing within the limit), `not_rdp` (bytes that are not a
//! Connection Confirm, the first 64 in `response_hex`), `error`; all but the first three carry
//! `negotiation_error`. `tls`: `ok`, `failed` (with `tls_error`), `incompatible` (the server
//! refused what the probe offers, TLS 1.2/1.3 with ECDHE AEAD suites: older Windows clients may
//! still get in, so this alone does not mean TLS is broken), `not_attempted`; `tls_alert` names a
//! fatal alert received (`handshake_failure`). `source` is the probe's own address: its
//! connection shows in the RDP event logs with that port when they were exported after it.
//! `certificate_subject` and `certificate_not_after` are read if present (rdp-collect does not
//! write them: the analyzer reads the DER).

use super::ParseError;
use serde::{Deserialize, Serialize};

/// The probe's record. Unknown fields are ignored so newer collectors stay readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HandshakeProbe {
    pub probe: String,
    pub format_version: Option<u32>,
    pub target: Option<String>,
    pub source: Option<String>,
    pub started_utc: Option<String>,
    pub duration_ms: Option<u64>,
    pub tcp: Option<String>,
    pub tcp_error: Option<String>,
    pub requested_protocols: Vec<String>,
    pub negotiation: Option<String>,
    pub negotiation_error: Option<String>,
    pub response_hex: Option<String>,
    pub selected_protocol: Option<String>,
    pub negotiation_flags: Option<u32>,
    pub failure_code: Option<u32>,
    pub failure_name: Option<String>,
    pub tls: Option<String>,
    pub tls_version: Option<String>,
    pub cipher_suite: Option<String>,
    pub tls_error: Option<String>,
    pub tls_alert: Option<String>,
    pub certificate_sha1: Option<String>,
    pub certificate_path: Option<String>,
    pub certificate_subject: Option<String>,
    pub certificate_not_after: Option<String>,
}

impl HandshakeProbe {
    /// The `RDP_NEG_FAILURE` code and its meaning, when the server refused the negotiation.
    pub fn negotiation_failure(&self) -> Option<(u32, &'static str, &'static str)> {
        if self.negotiation.as_deref() != Some("failure") {
            return None;
        }
        let code = self.failure_code?;
        let (name, meaning) = match code {
            1 => (
                "SSL_REQUIRED_BY_SERVER",
                "the server requires TLS but the client did not offer it",
            ),
            2 => (
                "SSL_NOT_ALLOWED_BY_SERVER",
                "the server only accepts standard RDP security (SecurityLayer 0), so TLS and NLA clients are refused",
            ),
            3 => (
                "SSL_CERT_NOT_ON_SERVER",
                "the server has no usable certificate for TLS",
            ),
            4 => ("INCONSISTENT_FLAGS", "the request's flags were inconsistent"),
            5 => (
                "HYBRID_REQUIRED_BY_SERVER",
                "the server requires Network Level Authentication (CredSSP)",
            ),
            6 => (
                "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
                "the server requires TLS with user authentication",
            ),
            _ => ("unknown", "an unknown negotiation failure code"),
        };
        Some((code, name, meaning))
    }

    /// The TLS handshake was attempted and failed.
    pub fn tls_failed(&self) -> bool {
        self.tls.as_deref() == Some("failed")
    }

    /// The server refused the probe's TLS offer (protocol version or cipher suites): a limit
    /// of the probe as much as of the server.
    pub fn tls_incompatible(&self) -> bool {
        self.tls.as_deref() == Some("incompatible")
    }

    /// Whether the RDP listener answered locally as an RDP server (any Connection Confirm,
    /// even a negotiation failure): `Some(false)` when the port refused, timed out, or answered
    /// with nothing or something else; `None` when the record does not say.
    pub fn answers_locally(&self) -> Option<bool> {
        match self.negotiation.as_deref() {
            Some("selected" | "failure" | "legacy") => Some(true),
            Some(_) => Some(false),
            None => match self.tcp.as_deref() {
                Some("refused" | "timeout" | "error") => Some(false),
                _ => None,
            },
        }
    }
}

/// True for the probe's JSON: an object naming `"probe": "rdp-handshake"`.
pub fn sniff(text: &str) -> bool {
    let t = text.trim_start_matches('\u{FEFF}').trim_start();
    t.starts_with('{') && t.contains("\"probe\"") && t.contains("\"rdp-handshake\"")
}

/// Parses the probe record.
pub fn parse(text: &str) -> Result<HandshakeProbe, ParseError> {
    let t = text.trim_start_matches('\u{FEFF}');
    let p: HandshakeProbe = serde_json::from_str(t).map_err(|e| {
        let line = e.line();
        let msg = format!("handshake probe JSON: {e}");
        if line > 0 {
            ParseError::at(line, msg)
        } else {
            ParseError::new(msg)
        }
    })?;
    if p.probe != "rdp-handshake" {
        return Err(ParseError::new(
            "JSON is not an rdp-handshake probe record (\"probe\" field)",
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_and_failure_records() {
        let ok = r#"{"probe":"rdp-handshake","format_version":1,"target":"127.0.0.1:3389","tcp":"connected","requested_protocols":["ssl","hybrid"],"negotiation":"selected","selected_protocol":"hybrid","tls":"ok","tls_version":"TLS 1.2","certificate_sha1":"AB","future_field":3}"#;
        assert!(sniff(ok));
        let p = parse(ok).unwrap();
        assert_eq!(p.selected_protocol.as_deref(), Some("hybrid"));
        assert!(p.negotiation_failure().is_none() && !p.tls_failed());
        let bad = r#"{"probe":"rdp-handshake","tcp":"connected","negotiation":"failure","failure_code":3,"tls":"not_attempted"}"#;
        let p = parse(bad).unwrap();
        assert_eq!(p.negotiation_failure().unwrap().1, "SSL_CERT_NOT_ON_SERVER");
    }

    /// What rdp-collect writes for a listener on 3390 that refuses, for one that answers with
    /// nonsense, and for one that refuses the probe's TLS offer.
    #[test]
    fn collector_records_with_the_newer_fields() {
        let refused = r#"{
  "probe": "rdp-handshake",
  "format_version": 1,
  "target": "127.0.0.1:3390",
  "started_utc": "2026-11-22T15:00:00Z",
  "duration_ms": 3,
  "tcp": "refused",
  "tcp_error": "connection refused: nothing listens on 127.0.0.1:3390",
  "requested_protocols": ["ssl", "hybrid", "hybrid_ex"],
  "tls": "not_attempted"
}
"#;
        assert!(sniff(refused));
        let p = parse(refused).unwrap();
        assert_eq!(p.answers_locally(), Some(false));
        assert_eq!(p.duration_ms, Some(3));
        assert_eq!(p.requested_protocols, ["ssl", "hybrid", "hybrid_ex"]);
        assert!(!p.tls_failed() && !p.tls_incompatible());

        let garbage = r#"{"probe":"rdp-handshake","tcp":"connected","source":"127.0.0.1:50123",
"negotiation":"not_rdp","negotiation_error":"the answer does not start with a TPKT header",
"response_hex":"5353482d322e30","tls":"not_attempted"}"#;
        let p = parse(garbage).unwrap();
        assert_eq!(p.answers_locally(), Some(false));
        assert_eq!(p.response_hex.as_deref(), Some("5353482d322e30"));
        assert_eq!(p.source.as_deref(), Some("127.0.0.1:50123"));

        let tls = r#"{"probe":"rdp-handshake","tcp":"connected","negotiation":"selected",
"selected_protocol":"ssl","negotiation_flags":31,"tls":"incompatible","tls_alert":"handshake_failure",
"tls_error":"received fatal alert: HandshakeFailure"}"#;
        let p = parse(tls).unwrap();
        assert_eq!(p.answers_locally(), Some(true));
        assert!(p.tls_incompatible() && !p.tls_failed());
        assert_eq!(p.tls_alert.as_deref(), Some("handshake_failure"));
        assert_eq!(p.negotiation_flags, Some(31));

        let failure = r#"{"probe":"rdp-handshake","tcp":"connected","negotiation":"failure",
"failure_code":5,"failure_name":"HYBRID_REQUIRED_BY_SERVER","tls":"not_attempted"}"#;
        let p = parse(failure).unwrap();
        assert_eq!(p.answers_locally(), Some(true));
        assert_eq!(p.failure_name.as_deref(), Some("HYBRID_REQUIRED_BY_SERVER"));
        assert_eq!(
            p.negotiation_failure().unwrap().1,
            "HYBRID_REQUIRED_BY_SERVER"
        );

        assert_eq!(
            parse(r#"{"probe":"rdp-handshake"}"#)
                .unwrap()
                .answers_locally(),
            None
        );
        assert_eq!(
            parse(r#"{"probe":"rdp-handshake","tcp":"connected","negotiation":"timeout"}"#)
                .unwrap()
                .answers_locally(),
            Some(false)
        );
    }

    #[test]
    fn not_a_probe() {
        assert!(!sniff(r#"[{"thumbprint":"x","store":"My"}]"#));
        assert!(parse(r#"{"probe":"other"}"#).is_err());
        assert!(parse("{").is_err());
        assert!(parse("").is_err());
        assert!(parse(r#"{"probe":"rdp-handshake","failure_code":-1}"#).is_err());
    }
}

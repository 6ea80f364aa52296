//! The collector's handshake probe: what the RDP listener answers a client that asks for what
//! mstsc asks for, written by rdp-collect as `commands/rdp-handshake.json`.
//!
//! The probe connects to the listener, sends an X.224 Connection Request carrying an
//! `RDP_NEG_REQ` that offers TLS and CredSSP (`PROTOCOL_SSL | PROTOCOL_HYBRID`), and records the
//! answer: the protocol the server selected (`RDP_NEG_RSP`), or the `RDP_NEG_FAILURE` code
//! ([MS-RDPBCGR] 2.2.1.2.2), or no negotiation at all (a server limited to standard RDP security).
//! It then attempts the TLS handshake and records the version, cipher suite and certificate the
//! listener really served, or the error. This is ground truth where the registry is only
//! configuration: a listener can ignore a thumbprint it cannot load, and policy can override.
//!
//! The format is ours (rdp-collect writes it), so it is plain JSON with every field optional:
//!
//! ```json
//! { "probe": "rdp-handshake", "format_version": 1, "target": "127.0.0.1:3389",
//!   "tcp": "connected", "requested_protocols": ["ssl", "hybrid"],
//!   "negotiation": "selected", "selected_protocol": "hybrid",
//!   "tls": "ok", "tls_version": "TLS 1.2",
//!   "cipher_suite": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
//!   "certificate_sha1": "6B4D…85AD", "certificate_subject": "CN=WS-RDP01" }
//! ```
//!
//! `tcp`: `connected`, `refused`, `timeout`, `error` (with `tcp_error`). `negotiation`:
//! `selected`, `failure` (with `failure_code`), `legacy` (the server answered without a
//! negotiation response), `no_response`. `tls`: `ok`, `failed` (with `tls_error`),
//! `not_attempted`.

use super::ParseError;
use serde::{Deserialize, Serialize};

/// The probe's record. Unknown fields are ignored so newer collectors stay readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HandshakeProbe {
    pub probe: String,
    pub format_version: Option<u32>,
    pub target: Option<String>,
    pub tcp: Option<String>,
    pub tcp_error: Option<String>,
    pub requested_protocols: Vec<String>,
    pub negotiation: Option<String>,
    pub selected_protocol: Option<String>,
    pub failure_code: Option<u32>,
    pub tls: Option<String>,
    pub tls_version: Option<String>,
    pub cipher_suite: Option<String>,
    pub tls_error: Option<String>,
    pub certificate_sha1: Option<String>,
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

    #[test]
    fn not_a_probe() {
        assert!(!sniff(r#"[{"thumbprint":"x","store":"My"}]"#));
        assert!(parse(r#"{"probe":"other"}"#).is_err());
        assert!(parse("{").is_err());
        assert!(parse("").is_err());
        assert!(parse(r#"{"probe":"rdp-handshake","failure_code":-1}"#).is_err());
    }
}

//! A client probe file: `rdp-collect probe HOST[:PORT]` run on another computer (the guide's
//! "psping HOST:3389 from several computers"), written as
//! `rdp-probe-<CLIENT>-to-<HOST>-<time>.json` and described in `docs/bundle-format.md`.
//!
//! ```json
//! { "probe": "rdp-client-probe", "format_version": 1, "target": "srv1:3389", "host": "srv1",
//!   "port": 3389, "resolved": ["10.0.0.12"],
//!   "client": { "name": "PC-042", "os": "windows", "source_address": "192.168.1.20",
//!               "addresses": ["192.168.1.20"] },
//!   "started_utc": "…", "timeout_ms": 3000,
//!   "attempts": [ { "result": "timed_out", "time_ms": 3001.2, "error": "…" } ],
//!   "summary": { "sent": 4, "connected": 0, "lost": 4, "loss_percent": 100.0 },
//!   "handshake": { …the rdp-handshake record… },
//!   "certificate": { "subject": "CN=srv1", "issuer": "CN=srv1", "not_before": "…",
//!                    "not_after": "…", "thumbprint": "6B4D…", "der_base64": "…" },
//!   "nla": "required", "verdict": "filtered", "verdict_text": "…" }
//! ```
//!
//! Attempt `result`: `connected`, `refused`, `timed_out`, `unreachable`, `dns_failure`,
//! `error`. `verdict`: `reachable`, `refused`, `filtered`, `unreachable`, `dns_failure`,
//! `negotiation_refused`, `not_rdp`, `error`. Every field is optional when read and unknown
//! fields are ignored, so newer collectors stay readable.

use super::rdp_probe::HandshakeProbe;
use super::ParseError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ClientProbe {
    pub probe: String,
    pub format_version: Option<u32>,
    pub target: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub resolved: Vec<String>,
    pub client: Client,
    pub started_utc: Option<String>,
    pub timeout_ms: Option<u64>,
    pub attempts: Vec<Attempt>,
    pub summary: Summary,
    pub handshake: Option<HandshakeProbe>,
    pub certificate: Option<ServedCertificate>,
    pub nla: Option<String>,
    pub verdict: Option<String>,
    pub verdict_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Client {
    pub name: Option<String>,
    pub os: Option<String>,
    pub source_address: Option<String>,
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Attempt {
    pub result: Option<String>,
    pub time_ms: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Summary {
    pub sent: Option<u32>,
    pub connected: Option<u32>,
    pub lost: Option<u32>,
    pub loss_percent: Option<f64>,
    pub min_ms: Option<f64>,
    pub avg_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ServedCertificate {
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub thumbprint: Option<String>,
}

/// How the server answered this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Reachable,
    /// Connection refused (RST): nothing listens on that address/port, or a host firewall
    /// rejects.
    Refused,
    /// Timed out: dropped by a firewall (network, or a host rule that drops).
    Filtered,
    Unreachable,
    DnsFailure,
    /// TCP connects, the RDP negotiation is refused (`RDP_NEG_FAILURE`).
    NegotiationRefused,
    /// TCP connects, the answer is not RDP.
    NotRdp,
    Unknown,
}

impl ClientProbe {
    /// The client as people name it: `PC-042 (192.168.1.20)`.
    pub fn client_label(&self) -> String {
        let name = self.client.name.as_deref().unwrap_or("unknown client");
        match self.source_address() {
            Some(a) => format!("{name} ({a})"),
            None => name.to_string(),
        }
    }

    /// The address the server sees (before any NAT).
    pub fn source_address(&self) -> Option<&str> {
        self.client
            .source_address
            .as_deref()
            .or(self.client.addresses.first().map(String::as_str))
    }

    /// The outcome, from the attempts and the handshake (the `verdict` word is only a hint:
    /// the record's facts decide).
    pub fn outcome(&self) -> Outcome {
        let count = |r: &str| {
            self.attempts
                .iter()
                .filter(|a| a.result.as_deref() == Some(r))
                .count()
        };
        if count("connected") == 0 {
            return if count("dns_failure") > 0 {
                Outcome::DnsFailure
            } else if count("refused") > 0 {
                Outcome::Refused
            } else if count("timed_out") > 0 {
                Outcome::Filtered
            } else if count("unreachable") > 0 {
                Outcome::Unreachable
            } else {
                Outcome::Unknown
            };
        }
        match &self.handshake {
            Some(h) if h.negotiation.as_deref() == Some("failure") => Outcome::NegotiationRefused,
            Some(h) if h.answers_locally() == Some(false) => Outcome::NotRdp,
            _ => Outcome::Reachable,
        }
    }

    /// The served certificate's thumbprint, upper-case.
    pub fn served_thumbprint(&self) -> Option<String> {
        self.certificate
            .as_ref()
            .and_then(|c| c.thumbprint.clone())
            .or_else(|| {
                self.handshake
                    .as_ref()
                    .and_then(|h| h.certificate_sha1.clone())
            })
            .map(|t| super::cert::normalize_thumbprint(&t))
            .filter(|t| !t.is_empty())
    }
}

/// True for a client probe file: a JSON object naming `"probe": "rdp-client-probe"`.
pub fn sniff(text: &str) -> bool {
    let t = text.trim_start_matches('\u{FEFF}').trim_start();
    t.starts_with('{') && t.contains("\"probe\"") && t.contains("\"rdp-client-probe\"")
}

pub fn parse(text: &str) -> Result<ClientProbe, ParseError> {
    let t = text.trim_start_matches('\u{FEFF}');
    let p: ClientProbe = serde_json::from_str(t).map_err(|e| {
        let msg = format!("client probe JSON: {e}");
        match e.line() {
            0 => ParseError::new(msg),
            l => ParseError::at(l, msg),
        }
    })?;
    if p.probe != "rdp-client-probe" {
        return Err(ParseError::new(
            "JSON is not an rdp-client-probe record (\"probe\" field)",
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes() {
        let base = r#"{"probe":"rdp-client-probe","client":{"name":"PC1","source_address":"192.168.1.20"},"attempts":[ATT]HS}"#;
        let make =
            |att: &str, hs: &str| parse(&base.replace("ATT", att).replace("HS", hs)).unwrap();
        assert_eq!(
            make(r#"{"result":"timed_out"}"#, "").outcome(),
            Outcome::Filtered
        );
        assert_eq!(
            make(r#"{"result":"refused"}"#, "").outcome(),
            Outcome::Refused
        );
        assert_eq!(
            make(r#"{"result":"dns_failure"}"#, "").outcome(),
            Outcome::DnsFailure
        );
        let refused = make(
            r#"{"result":"connected"}"#,
            r#","handshake":{"probe":"rdp-handshake","tcp":"connected","negotiation":"failure","failure_code":5}"#,
        );
        assert_eq!(refused.outcome(), Outcome::NegotiationRefused);
        let ok = make(
            r#"{"result":"connected"},{"result":"timed_out"}"#,
            r#","handshake":{"probe":"rdp-handshake","negotiation":"selected","certificate_sha1":"ab cd"},"future":1"#,
        );
        assert_eq!(ok.outcome(), Outcome::Reachable);
        assert_eq!(ok.served_thumbprint().as_deref(), Some("ABCD"));
        assert_eq!(ok.client_label(), "PC1 (192.168.1.20)");
        assert!(sniff(&base.replace("ATT", "").replace("HS", "")));
        assert!(parse(r#"{"probe":"rdp-handshake"}"#).is_err());
        assert!(parse("{").is_err());
    }
}

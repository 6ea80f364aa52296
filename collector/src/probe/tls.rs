//! The TLS client handshake of the probe, on the socket the RDP negotiation used.
//!
//! The probe records; it does not trust. Its verifier accepts any certificate and any handshake
//! signature, and keeps the leaf certificate it was shown, so a listener serving an expired,
//! self-signed or wrong certificate is still recorded (that is the point). Nothing is sent after
//! the handshake: the connection is closed before CredSSP would start.
//!
//! rustls speaks TLS 1.2 and 1.3 with ECDHE and AEAD suites only. Schannel on current Windows
//! offers those, but a server limited to TLS 1.0/1.1 or to CBC/RSA-key-exchange suites
//! (Windows 7 / Server 2008 R2, or hardened the wrong way) refuses the probe where mstsc might
//! still get in: such refusals are recorded as `incompatible`, not `failed`.

use super::TlsResult;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, ClientConfig, ClientConnection, DigitallySignedStruct, Error};
use std::io::{self, Write};
use std::net::{IpAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the TLS handshake showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOutcome {
    pub result: TlsResult,
    /// "TLS 1.2" or "TLS 1.3".
    pub version: Option<String>,
    /// IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`.
    pub cipher_suite: Option<String>,
    pub error: Option<String>,
    /// The fatal alert the server sent, e.g. `handshake_failure`.
    pub alert: Option<String>,
    /// The leaf certificate the server presented (DER), even when the handshake failed later.
    pub certificate: Option<Vec<u8>>,
}

impl TlsOutcome {
    fn failed(result: TlsResult, error: String) -> Self {
        TlsOutcome {
            result,
            version: None,
            cipher_suite: None,
            error: Some(error),
            alert: None,
            certificate: None,
        }
    }
}

/// Accepts every certificate and signature, keeping the leaf certificate.
#[derive(Debug)]
struct RecordAnyCertificate {
    seen: Mutex<Option<Vec<u8>>>,
    schemes: Vec<rustls::SignatureScheme>,
}

impl ServerCertVerifier for RecordAnyCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.as_ref().to_vec());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.schemes.clone()
    }
}

fn client_config(verifier: Arc<RecordAnyCertificate>) -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // An IP address target sends no SNI anyway; no tickets or session cache to keep.
    config.enable_sni = false;
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}

/// Runs a TLS client handshake over `sock` within `timeout`, then sends close_notify.
pub fn handshake(sock: &mut TcpStream, ip: IpAddr, timeout: Duration) -> TlsOutcome {
    let schemes = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .supported_schemes();
    let verifier = Arc::new(RecordAnyCertificate {
        seen: Mutex::new(None),
        schemes,
    });
    let config = match client_config(Arc::clone(&verifier)) {
        Ok(c) => c,
        Err(e) => return TlsOutcome::failed(TlsResult::Failed, format!("TLS setup: {e}")),
    };
    let mut conn = match ClientConnection::new(Arc::new(config), ServerName::IpAddress(ip.into())) {
        Ok(c) => c,
        Err(e) => return TlsOutcome::failed(TlsResult::Failed, format!("TLS setup: {e}")),
    };
    let deadline = Instant::now() + timeout;
    let result = drive(&mut conn, sock, deadline, timeout);
    let seen = verifier.seen.lock().ok().and_then(|s| s.clone());
    let certificate = conn
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|c| c.as_ref().to_vec())
        .or(seen);
    let mut out = match result {
        Ok(()) => {
            conn.send_close_notify();
            let _ = conn.write_tls(sock);
            let _ = sock.flush();
            TlsOutcome {
                result: TlsResult::Ok,
                version: conn.protocol_version().map(version_name),
                cipher_suite: conn
                    .negotiated_cipher_suite()
                    .map(|s| suite_name(s.suite())),
                error: None,
                alert: None,
                certificate: None,
            }
        }
        Err(stop) => stop.into_outcome(),
    };
    out.certificate = certificate;
    out
}

/// Why the handshake stopped.
enum Stop {
    Timeout(Duration),
    Closed,
    Io(io::Error),
    Tls(Error),
}

impl Stop {
    fn into_outcome(self) -> TlsOutcome {
        match self {
            Stop::Timeout(t) => TlsOutcome::failed(
                TlsResult::Failed,
                format!(
                    "timeout: the TLS handshake did not complete within {} s",
                    t.as_secs()
                ),
            ),
            Stop::Closed => TlsOutcome::failed(
                TlsResult::Failed,
                "the listener closed the connection during the TLS handshake".to_string(),
            ),
            Stop::Io(e) => TlsOutcome::failed(TlsResult::Failed, io_text(&e)),
            Stop::Tls(e) => tls_error_outcome(e),
        }
    }
}

fn io_text(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            format!("the listener reset the connection during the TLS handshake ({e})")
        }
        _ => format!("socket error during the TLS handshake: {e}"),
    }
}

/// A TLS protocol error: the server's refusal of what the probe offers is `incompatible`,
/// anything else `failed`.
fn tls_error_outcome(e: Error) -> TlsOutcome {
    let (result, alert) = match &e {
        Error::AlertReceived(a) => {
            let incompatible = matches!(
                a,
                AlertDescription::HandshakeFailure
                    | AlertDescription::ProtocolVersion
                    | AlertDescription::InsufficientSecurity
            );
            (
                if incompatible {
                    TlsResult::Incompatible
                } else {
                    TlsResult::Failed
                },
                Some(alert_name(a)),
            )
        }
        Error::PeerIncompatible(_) => (TlsResult::Incompatible, None),
        _ => (TlsResult::Failed, None),
    };
    let mut text = e.to_string();
    if result == TlsResult::Incompatible {
        text.push_str(
            " (the probe offers only TLS 1.2/1.3 with ECDHE and AES-GCM or ChaCha20 suites; \
Windows clients may still connect with older protocols or suites)",
        );
    }
    let mut out = TlsOutcome::failed(result, text);
    out.alert = alert;
    out
}

fn drive(
    conn: &mut ClientConnection,
    sock: &mut TcpStream,
    deadline: Instant,
    timeout: Duration,
) -> Result<(), Stop> {
    loop {
        while conn.wants_write() {
            let left = remaining(deadline).ok_or(Stop::Timeout(timeout))?;
            let _ = sock.set_write_timeout(Some(left));
            match conn.write_tls(sock) {
                Ok(_) => {}
                Err(e) if is_timeout(&e) => return Err(Stop::Timeout(timeout)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Stop::Io(e)),
            }
        }
        let _ = sock.flush();
        if !conn.is_handshaking() {
            return Ok(());
        }
        let left = remaining(deadline).ok_or(Stop::Timeout(timeout))?;
        let _ = sock.set_read_timeout(Some(left));
        match conn.read_tls(sock) {
            Ok(0) => {
                // The server may have sent an alert just before closing.
                conn.process_new_packets().map_err(Stop::Tls)?;
                return Err(Stop::Closed);
            }
            Ok(_) => {}
            Err(e) if is_timeout(&e) => return Err(Stop::Timeout(timeout)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Stop::Io(e)),
        }
        if let Err(e) = conn.process_new_packets() {
            // Send the alert describing the error, as a real client would.
            let _ = conn.write_tls(sock);
            let _ = sock.flush();
            return Err(Stop::Tls(e));
        }
    }
}

fn remaining(deadline: Instant) -> Option<Duration> {
    let left = deadline.checked_duration_since(Instant::now())?;
    (!left.is_zero()).then_some(left)
}

/// A socket read or write timeout: `WouldBlock` on Unix, `TimedOut` on Windows.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_string(),
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_string(),
        other => format!("{other:?}"),
    }
}

fn suite_name(s: rustls::CipherSuite) -> String {
    // TLS 1.3 suites are `TLS13_AES_...` in rustls, `TLS_AES_...` in the IANA registry (and
    // in Schannel's own lists).
    match s.as_str() {
        Some(name) => match name.strip_prefix("TLS13_") {
            Some(rest) => format!("TLS_{rest}"),
            None => name.to_string(),
        },
        None => format!("0x{:04X}", u16::from(s)),
    }
}

/// `HandshakeFailure` -> `handshake_failure`, as RFC 8446 spells alert names.
fn alert_name(a: &AlertDescription) -> String {
    let debug = format!("{a:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_registries() {
        assert_eq!(
            alert_name(&AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
        assert_eq!(
            alert_name(&AlertDescription::ProtocolVersion),
            "protocol_version"
        );
        assert_eq!(
            suite_name(rustls::CipherSuite::TLS13_AES_256_GCM_SHA384),
            "TLS_AES_256_GCM_SHA384"
        );
        assert_eq!(
            suite_name(rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        );
        assert_eq!(version_name(rustls::ProtocolVersion::TLSv1_2), "TLS 1.2");
    }

    #[test]
    fn refusals_of_what_the_probe_offers_are_incompatible() {
        let o = tls_error_outcome(Error::AlertReceived(AlertDescription::HandshakeFailure));
        assert_eq!(o.result, TlsResult::Incompatible);
        assert_eq!(o.alert.as_deref(), Some("handshake_failure"));
        assert!(o.error.unwrap().contains("TLS 1.2/1.3"));
        let o = tls_error_outcome(Error::AlertReceived(AlertDescription::InternalError));
        assert_eq!(o.result, TlsResult::Failed);
        assert_eq!(o.alert.as_deref(), Some("internal_error"));
        let o = tls_error_outcome(Error::PeerIncompatible(
            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13,
        ));
        assert_eq!(o.result, TlsResult::Incompatible);
    }
}

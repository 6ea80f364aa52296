//! The probe against loopback servers that answer like RDP, refuse, stay silent, or talk
//! nonsense.

use super::fake_server::{closed_port, Behaviour, FakeRdpServer, TEST_CERT_DER, TEST_CERT_SHA1};
use super::*;

fn config(port: u16) -> ProbeConfig {
    ProbeConfig {
        read_timeout: Duration::from_millis(1500),
        tls_timeout: Duration::from_secs(5),
        ..ProbeConfig::loopback(port)
    }
}

fn probe(behaviour: Behaviour) -> (ProbeOutcome, Option<Vec<u8>>) {
    let server = FakeRdpServer::start(behaviour).unwrap();
    let out = run(&config(server.addr().port()));
    (out, server.request())
}

/// The record as JSON, as the bundle stores it.
fn json(rec: &ProbeRecord) -> serde_json::Value {
    serde_json::to_value(rec).unwrap()
}

#[test]
fn tls_listener_is_recorded_with_the_certificate_it_serves() {
    let (out, request) = probe(Behaviour::Rdp {
        protocol: wire::PROTOCOL_SSL,
        tls13: false,
    });
    let r = &out.record;
    assert_eq!(r.tcp, TcpResult::Connected);
    assert_eq!(r.negotiation, Some(Negotiation::Selected));
    assert_eq!(r.selected_protocol.as_deref(), Some("ssl"));
    assert_eq!(r.negotiation_flags, Some(0x1f));
    assert_eq!(r.tls, TlsResult::Ok, "{:?}", r.tls_error);
    assert_eq!(r.tls_version.as_deref(), Some("TLS 1.2"));
    assert!(
        r.cipher_suite
            .as_deref()
            .unwrap()
            .starts_with("TLS_ECDHE_RSA_WITH_"),
        "{:?}",
        r.cipher_suite
    );
    assert_eq!(r.certificate_sha1.as_deref(), Some(TEST_CERT_SHA1));
    assert_eq!(
        r.certificate_path.as_deref(),
        Some(format!("certs/served/{TEST_CERT_SHA1}.cer").as_str())
    );
    assert_eq!(out.certificate.as_deref(), Some(TEST_CERT_DER));
    assert!(r.listener_answers());
    // The request on the wire: TPKT, X.224 CR, cookie, RDP_NEG_REQ offering ssl|hybrid|hybrid_ex.
    let request = request.unwrap();
    assert_eq!(
        request,
        wire::connection_request(Some(wire::COOKIE), wire::REQUESTED_PROTOCOLS)
    );
    assert!(r.source.as_deref().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(
        r.target,
        format!("127.0.0.1:{}", r.target.rsplit(':').next().unwrap())
    );

    let j = json(r);
    assert_eq!(j["probe"], "rdp-handshake");
    assert_eq!(j["format_version"], 1);
    assert_eq!(j["tcp"], "connected");
    assert_eq!(j["negotiation"], "selected");
    assert_eq!(j["tls"], "ok");
    assert_eq!(
        j["requested_protocols"],
        serde_json::json!(["ssl", "hybrid", "hybrid_ex"])
    );
    assert!(j.get("tcp_error").is_none() && j.get("failure_code").is_none());
    assert!(r.summary().contains(TEST_CERT_SHA1), "{}", r.summary());
}

#[test]
fn credssp_over_tls13_is_recorded_too() {
    let (out, _) = probe(Behaviour::Rdp {
        protocol: wire::PROTOCOL_HYBRID_EX,
        tls13: true,
    });
    let r = &out.record;
    assert_eq!(r.selected_protocol.as_deref(), Some("hybrid_ex"));
    assert_eq!(r.tls, TlsResult::Ok, "{:?}", r.tls_error);
    assert_eq!(r.tls_version.as_deref(), Some("TLS 1.3"));
    assert!(
        r.cipher_suite.as_deref().unwrap().starts_with("TLS_AES_")
            || r.cipher_suite
                .as_deref()
                .unwrap()
                .starts_with("TLS_CHACHA20")
    );
    assert_eq!(r.certificate_sha1.as_deref(), Some(TEST_CERT_SHA1));
}

#[test]
fn negotiation_failure_is_recorded_with_its_code() {
    let (out, _) = probe(Behaviour::NegotiationFailure(5));
    let r = &out.record;
    assert_eq!(r.negotiation, Some(Negotiation::Failure));
    assert_eq!(r.failure_code, Some(5));
    assert_eq!(r.failure_name.as_deref(), Some("HYBRID_REQUIRED_BY_SERVER"));
    assert_eq!(r.tls, TlsResult::NotAttempted);
    assert!(out.certificate.is_none());
    assert!(r.listener_answers());
    let j = json(r);
    assert_eq!(j["negotiation"], "failure");
    assert_eq!(j["failure_code"], 5);
    assert_eq!(j["tls"], "not_attempted");
    assert!(r.summary().contains("HYBRID_REQUIRED_BY_SERVER"));
}

#[test]
fn legacy_and_standard_rdp_security_do_not_start_tls() {
    let (out, _) = probe(Behaviour::Legacy);
    assert_eq!(out.record.negotiation, Some(Negotiation::Legacy));
    assert_eq!(out.record.tls, TlsResult::NotAttempted);
    let (out, _) = probe(Behaviour::Rdp {
        protocol: wire::PROTOCOL_RDP,
        tls13: false,
    });
    assert_eq!(out.record.selected_protocol.as_deref(), Some("rdp"));
    assert_eq!(out.record.tls, TlsResult::NotAttempted);
}

#[test]
fn a_silent_listener_times_out_within_the_limit() {
    let t = Instant::now();
    let (out, request) = probe(Behaviour::Silent);
    let r = &out.record;
    assert_eq!(r.tcp, TcpResult::Connected);
    assert_eq!(r.negotiation, Some(Negotiation::Timeout));
    assert!(r
        .negotiation_error
        .as_deref()
        .unwrap()
        .contains("within 1 s"));
    assert_eq!(r.tls, TlsResult::NotAttempted);
    assert!(!r.listener_answers());
    assert!(request.is_some(), "the request was sent");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(r.duration_ms >= 1400, "{}", r.duration_ms);
    assert_eq!(json(r)["negotiation"], "timeout");
}

#[test]
fn a_closed_port_is_refused() {
    let port = closed_port().unwrap();
    let out = run(&config(port));
    let r = &out.record;
    assert_eq!(r.tcp, TcpResult::Refused);
    assert!(r.tcp_error.as_deref().unwrap().contains("refused"));
    assert_eq!(r.negotiation, None);
    assert_eq!(r.tls, TlsResult::NotAttempted);
    assert!(!r.listener_answers());
    let j = json(r);
    assert_eq!(j["tcp"], "refused");
    assert!(j.get("negotiation").is_none());
    assert!(r.summary().contains("refused"));
}

#[test]
fn garbage_is_not_rdp_and_kept_as_hex() {
    let (out, _) = probe(Behaviour::Garbage(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()));
    let r = &out.record;
    assert_eq!(r.negotiation, Some(Negotiation::NotRdp));
    assert!(r.negotiation_error.as_deref().unwrap().contains("TPKT"));
    assert_eq!(
        r.response_hex.as_deref(),
        Some(hex::encode(b"SSH-2.0-OpenSSH_9.6\r\n").as_str())
    );
    assert_eq!(r.tls, TlsResult::NotAttempted);
    assert_eq!(json(r)["negotiation"], "not_rdp");

    // A TPKT header that announces more than it sends, then closes.
    let (out, _) = probe(Behaviour::Garbage(vec![3, 0, 0, 19, 14, 0xd0]));
    assert_eq!(out.record.negotiation, Some(Negotiation::NotRdp));
    assert!(
        out.record
            .negotiation_error
            .as_deref()
            .unwrap()
            .contains("after 6 byte(s)"),
        "{:?}",
        out.record.negotiation_error
    );
    // A well-framed TPDU that is not a Connection Confirm.
    let mut dr = wire::confirm_legacy();
    dr[5] = 0x80;
    let (out, _) = probe(Behaviour::Garbage(dr));
    assert_eq!(out.record.negotiation, Some(Negotiation::NotRdp));
}

#[test]
fn a_listener_that_closes_gives_no_response() {
    let (out, _) = probe(Behaviour::Close);
    let r = &out.record;
    assert_eq!(r.negotiation, Some(Negotiation::NoResponse));
    assert!(r.negotiation_error.is_some());
    assert!(!r.listener_answers());
}

#[test]
fn a_tls_refusal_is_incompatible_and_an_internal_error_failed() {
    let (out, _) = probe(Behaviour::TlsAlert(40));
    let r = &out.record;
    assert_eq!(r.negotiation, Some(Negotiation::Selected));
    assert_eq!(r.tls, TlsResult::Incompatible, "{:?}", r.tls_error);
    assert_eq!(r.tls_alert.as_deref(), Some("handshake_failure"));
    assert!(r.listener_answers());
    let (out, _) = probe(Behaviour::TlsAlert(80));
    assert_eq!(out.record.tls, TlsResult::Failed);
    assert_eq!(out.record.tls_alert.as_deref(), Some("internal_error"));
    assert_eq!(json(&out.record)["tls"], "failed");
}

#[test]
fn a_listener_that_selects_tls_and_closes_fails_the_handshake() {
    // Selects TLS, then closes instead of a ServerHello.
    let bytes = wire::confirm_selected(wire::PROTOCOL_HYBRID, 0);
    let (out, _) = probe(Behaviour::Garbage(bytes));
    let r = &out.record;
    assert_eq!(r.negotiation, Some(Negotiation::Selected));
    assert_eq!(r.tls, TlsResult::Failed);
    assert!(r.tls_error.is_some());
    assert!(out.certificate.is_none());
    assert!(r.certificate_sha1.is_none());
}

//! The collector's RDP handshake probe against loopback listeners, read back by the analyzer:
//! the JSON rdp-collect writes is the JSON `rdp_analyze::parse::rdp_probe` reads, field for
//! field, and a whole bundle carrying it leads to the findings the probe is for.
//!
//! Runs on Linux: the probe is portable Rust, and `rdp_collect::probe::fake_server` answers like
//! an RDP listener (TLS with a test certificate, a negotiation failure, silence, garbage).

use rdp_analyze::parse::identify;
use rdp_analyze::parse::rdp_probe::{self, HandshakeProbe};
use rdp_collect::bundle::{paths, Manifest, Status, MANIFEST_PATH};
use rdp_collect::collect::{collect, CollectOptions};
use rdp_collect::probe::fake_server::{
    closed_port, Behaviour, FakeRdpServer, TEST_CERT_DER, TEST_CERT_SHA1,
};
use rdp_collect::probe::{self, wire, ProbeConfig, ProbeOutcome};
use rdp_collect::source::{RecordedSource, SystemFacts};
use std::io::{Cursor, Read};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

fn config(port: u16) -> ProbeConfig {
    ProbeConfig {
        read_timeout: Duration::from_millis(1500),
        ..ProbeConfig::loopback(port)
    }
}

fn probe_server(behaviour: Behaviour) -> ProbeOutcome {
    let server = FakeRdpServer::start(behaviour).unwrap();
    probe::run(&config(server.addr().port()))
}

/// The record as the bundle stores it, parsed by the analyzer.
fn read_back(out: &ProbeOutcome) -> HandshakeProbe {
    let bytes = probe::to_json(&out.record).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(rdp_probe::sniff(text), "the analyzer recognises the record");
    rdp_probe::parse(text).unwrap()
}

#[test]
fn tls_listener_round_trip() {
    let out = probe_server(Behaviour::Rdp {
        protocol: wire::PROTOCOL_HYBRID,
        tls13: false,
    });
    let p = read_back(&out);
    assert_eq!(p.probe, "rdp-handshake");
    assert_eq!(p.format_version, Some(1));
    assert_eq!(p.tcp.as_deref(), Some("connected"));
    assert_eq!(p.requested_protocols, ["ssl", "hybrid", "hybrid_ex"]);
    assert_eq!(p.negotiation.as_deref(), Some("selected"));
    assert_eq!(p.selected_protocol.as_deref(), Some("hybrid"));
    assert_eq!(p.tls.as_deref(), Some("ok"));
    assert_eq!(p.tls_version.as_deref(), Some("TLS 1.2"));
    assert!(p.cipher_suite.is_some());
    assert_eq!(p.certificate_sha1.as_deref(), Some(TEST_CERT_SHA1));
    assert_eq!(
        p.certificate_path.as_deref(),
        Some(format!("certs/served/{TEST_CERT_SHA1}.cer").as_str())
    );
    assert_eq!(p.answers_locally(), Some(true));
    assert!(p.negotiation_failure().is_none() && !p.tls_failed() && !p.tls_incompatible());
    assert_eq!(out.certificate.as_deref(), Some(TEST_CERT_DER));
}

#[test]
fn negotiation_failure_round_trip() {
    let p = read_back(&probe_server(Behaviour::NegotiationFailure(5)));
    assert_eq!(p.negotiation.as_deref(), Some("failure"));
    assert_eq!(p.failure_code, Some(5));
    let (code, name, _) = p.negotiation_failure().unwrap();
    assert_eq!((code, name), (5, "HYBRID_REQUIRED_BY_SERVER"));
    assert_eq!(p.failure_name.as_deref(), Some(name));
    assert_eq!(p.tls.as_deref(), Some("not_attempted"));
    assert_eq!(p.answers_locally(), Some(true));
}

#[test]
fn silent_refused_and_garbage_round_trip() {
    let p = read_back(&probe_server(Behaviour::Silent));
    assert_eq!(p.negotiation.as_deref(), Some("timeout"));
    assert!(p.negotiation_error.is_some());
    assert_eq!(p.answers_locally(), Some(false));

    let p = read_back(&probe::run(&config(closed_port().unwrap())));
    assert_eq!(p.tcp.as_deref(), Some("refused"));
    assert!(p.tcp_error.as_deref().unwrap().contains("refused"));
    assert_eq!(p.negotiation, None);
    assert_eq!(p.answers_locally(), Some(false));

    let p = read_back(&probe_server(Behaviour::Garbage(
        b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec(),
    )));
    assert_eq!(p.negotiation.as_deref(), Some("not_rdp"));
    assert!(p.response_hex.as_deref().unwrap().starts_with("485454502f"));
    assert_eq!(p.answers_locally(), Some(false));

    let p = read_back(&probe_server(Behaviour::TlsAlert(40)));
    assert!(p.tls_incompatible() && !p.tls_failed());
    assert_eq!(p.tls_alert.as_deref(), Some("handshake_failure"));
}

/// A host where everything but the probe is missing.
fn host_with_probe(outcome: ProbeOutcome) -> RecordedSource {
    RecordedSource {
        facts: SystemFacts {
            host_name: "PROBE-HOST".into(),
            elevated: Some(true),
            code_page: Some(437),
            ..SystemFacts::default()
        },
        probe: Some(Ok(outcome)),
        ..RecordedSource::default()
    }
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Collects from `source` into a zip file and returns its path (inside `dir`).
fn collect_zip(mut source: RecordedSource, name: &str) -> (TempDir, PathBuf) {
    let dir = TempDir(
        std::env::temp_dir().join(format!("rdp-probe-roundtrip-{}-{name}", std::process::id())),
    );
    let scratch = dir.0.join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let facts = source.facts.clone();
    let opts = CollectOptions {
        events: false,
        ..CollectOptions::default()
    };
    let (cursor, _) = collect(
        &mut source,
        &facts,
        &opts,
        SystemTime::now(),
        &scratch,
        Cursor::new(Vec::new()),
        &mut std::io::sink(),
    )
    .unwrap();
    let zip = dir.0.join("bundle.zip");
    std::fs::write(&zip, cursor.into_inner()).unwrap();
    (dir, zip)
}

fn findings(zip: &std::path::Path) -> Vec<serde_json::Value> {
    let report = rdp_analyze::analyze_path(zip, &rdp_analyze::bundle::Limits::default())
        .expect("the analyzer reads the bundle");
    let report = serde_json::to_value(&report).unwrap();
    report["findings"].as_array().unwrap().clone()
}

#[test]
fn a_bundle_with_a_refusing_listener_is_diagnosed_from_the_probe() {
    let outcome = probe_server(Behaviour::NegotiationFailure(5));
    let (_dir, zip) = collect_zip(host_with_probe(outcome), "failure");
    let found = findings(&zip);
    assert!(
        found.iter().any(|f| f["id"] == "RDP015"
            && f["facts"]["problem"] == "probe-negotiation-failure"
            && f["facts"]["failure"] == "HYBRID_REQUIRED_BY_SERVER"),
        "{found:#?}"
    );
}

#[test]
fn a_bundle_with_a_tls_listener_stores_and_parses_the_served_certificate() {
    let outcome = probe_server(Behaviour::Rdp {
        protocol: wire::PROTOCOL_SSL,
        tls13: true,
    });
    let (_dir, zip) = collect_zip(host_with_probe(outcome), "tls");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut manifest_bytes = Vec::new();
    archive
        .by_name(MANIFEST_PATH)
        .unwrap()
        .read_to_end(&mut manifest_bytes)
        .unwrap();
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).unwrap();
    let rec = manifest
        .artifacts
        .iter()
        .find(|a| a.path == paths::RDP_HANDSHAKE)
        .unwrap();
    assert_eq!(rec.status, Status::Ok);
    assert!(rec
        .producer
        .starts_with("RDP handshake probe 127.0.0.1:3389"));
    let cert_path = format!("certs/served/{TEST_CERT_SHA1}.cer");
    let mut der = Vec::new();
    archive
        .by_name(&cert_path)
        .unwrap()
        .read_to_end(&mut der)
        .unwrap();
    assert_eq!(der, TEST_CERT_DER);
    let parsed = identify::parse_file(&cert_path, &der, None);
    assert_eq!(parsed.kind, identify::Kind::Certificate);
    let Ok(identify::Parsed::Certificate(info)) = parsed.result else {
        panic!(
            "the served certificate does not parse: {:?}",
            parsed.result.err()
        );
    };
    assert_eq!(info.thumbprint_sha1, TEST_CERT_SHA1);
    // Every file of the bundle parses: the JSON as a probe, the DER as a certificate.
    let found = findings(&zip);
    let unreadable: Vec<&serde_json::Value> =
        found.iter().filter(|f| f["id"] == "RDP900").collect();
    assert!(unreadable.is_empty(), "{unreadable:#?}");
}

/// `rdp-collect probe` records made against loopback listeners, read by the analyzer alone (no
/// server bundle): each client's outcome is reported.
#[test]
fn client_probe_files_read_by_the_analyzer() {
    use rdp_collect::probe::remote::{self, RemoteOptions};
    let run = |port: u16| {
        remote::run(
            &RemoteOptions {
                host: "127.0.0.1".into(),
                port,
                count: 1,
                timeout: Duration::from_secs(1),
            },
            |_| {},
        )
    };
    let refused = run(closed_port().unwrap());
    let silent_srv = FakeRdpServer::start(Behaviour::Silent).unwrap();
    let silent = run(silent_srv.addr().port());
    drop(silent_srv);
    let nla_srv = FakeRdpServer::start(Behaviour::NegotiationFailure(5)).unwrap();
    let nla = run(nla_srv.addr().port());
    drop(nla_srv);
    let tls_srv = FakeRdpServer::start(Behaviour::Rdp {
        protocol: wire::PROTOCOL_HYBRID,
        tls13: false,
    })
    .unwrap();
    let tls = run(tls_srv.addr().port());
    drop(tls_srv);
    let files: Vec<rdp_analyze::bundle::InputFile> = [
        ("refused", &refused),
        ("silent", &silent),
        ("nla", &nla),
        ("tls", &tls),
    ]
    .iter()
    .map(|(name, rec)| {
        let mut rec = (*rec).clone();
        rec.client.name = name.to_string();
        rdp_analyze::bundle::InputFile::in_memory(
            format!("rdp-probe-{name}.json"),
            remote::to_json(&rec).unwrap(),
        )
    })
    .collect();
    let report = rdp_analyze::analyze_bundle(rdp_analyze::bundle::Bundle {
        source: "probes".into(),
        files,
        ..Default::default()
    });
    let outcome = |client: &str| {
        report
            .findings
            .iter()
            .find(|f| f.id == "RDP044" && f.facts.get("client").map(String::as_str) == Some(client))
            .map(|f| (f.facts["outcome"].clone(), f.severity))
            .unwrap_or_else(|| panic!("no RDP044 for {client}: {:#?}", report.findings))
    };
    use rdp_analyze::checks::Severity;
    assert_eq!(outcome("refused"), ("refused".into(), Severity::Error));
    assert_eq!(outcome("silent"), ("not_rdp".into(), Severity::Error));
    assert_eq!(
        outcome("nla"),
        ("negotiation_refused".into(), Severity::Error)
    );
    assert_eq!(outcome("tls"), ("reachable".into(), Severity::Info));
    // Alone, there is no server certificate to compare the served one with.
    assert!(!report.findings.iter().any(|f| f.id == "RDP045"));
}

//! A real RDP server nobody here wrote answers both probes: Debian's `xrdp` (installed by
//! `.ci/run`), started on a free loopback port with a private copy of its `xrdp.ini` that
//! serves the probe's test certificate. xrdp negotiates TLS (`PROTOCOL_SSL`) and has no
//! CredSSP, so both the collector's local probe and `rdp-collect probe` must read its
//! Connection Confirm selecting `ssl` and the certificate it serves over TLS.
//!
//! Skips loudly where xrdp is not installed (CI installs it).

use rdp_collect::probe::fake_server::{closed_port, TEST_CERT_DER, TEST_CERT_SHA1};
use rdp_collect::probe::remote::{self, RemoteOptions};
use rdp_collect::probe::{self, Negotiation, ProbeConfig, TlsResult};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const XRDP: &str = "/usr/sbin/xrdp";
/// The probe's test key (PKCS#8 DER), the pair of TEST_CERT_DER.
const TEST_KEY_DER: &[u8] = include_bytes!("../collector/src/probe/testdata/key.pk8.der");

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = rdp_collect::bundle::base64::encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// xrdp on 127.0.0.1:`port`, stopped (SIGTERM, by its pid) when dropped.
struct Xrdp {
    child: Child,
    dir: PathBuf,
}

impl Drop for Xrdp {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_xrdp(port: u16) -> Xrdp {
    let dir = std::env::temp_dir().join(format!("rdp-xrdp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, pem("CERTIFICATE", TEST_CERT_DER)).unwrap();
    std::fs::write(&key, pem("PRIVATE KEY", TEST_KEY_DER)).unwrap();
    let ini = std::fs::read_to_string("/etc/xrdp/xrdp.ini").unwrap();
    let mut out = String::new();
    let mut port_set = false;
    for line in ini.lines() {
        // The first `port=` is [Globals]' listener; the later ones belong to session types.
        let l = if line.starts_with("port=") && !port_set {
            port_set = true;
            format!("port=tcp://.:{port}")
        } else if line.starts_with("certificate=") {
            format!("certificate={}", cert.display())
        } else if line.starts_with("key_file=") {
            format!("key_file={}", key.display())
        } else if line.starts_with("LogFile=") {
            format!("LogFile={}", dir.join("xrdp.log").display())
        } else if line.starts_with("EnableSyslog=") {
            "EnableSyslog=false".to_string()
        } else {
            line.to_string()
        };
        out.push_str(&l);
        out.push('\n');
    }
    let config = dir.join("xrdp.ini");
    std::fs::write(&config, out).unwrap();
    let child = Command::new(XRDP)
        .arg("--nodaemon")
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("xrdp starts");
    let x = Xrdp { child, dir };
    // Wait (bounded) until it listens.
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "xrdp did not listen on 127.0.0.1:{port}; its log: {}",
            std::fs::read_to_string(x.dir.join("xrdp.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    x
}

#[test]
fn xrdp_answers_the_local_and_the_client_probe() {
    if !Path::new(XRDP).is_file() {
        eprintln!("SKIPPED: {XRDP} is not installed (apt-get install xrdp; .ci/run does)");
        return;
    }
    let port = closed_port().unwrap();
    let _xrdp = start_xrdp(port);

    // The collector's local probe (what rdp-collect runs on the server).
    let local = probe::run(&ProbeConfig::loopback(port));
    let r = &local.record;
    assert_eq!(r.negotiation, Some(Negotiation::Selected), "{r:?}");
    assert_eq!(r.selected_protocol.as_deref(), Some("ssl"));
    assert_eq!(r.tls, TlsResult::Ok, "{r:?}");
    assert_eq!(r.certificate_sha1.as_deref(), Some(TEST_CERT_SHA1));
    assert_eq!(local.certificate.as_deref(), Some(TEST_CERT_DER));

    // `rdp-collect probe 127.0.0.1:PORT`, the real binary.
    let dir = std::env::temp_dir().join(format!("rdp-xrdp-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("probe.json");
    let out = Command::new(env!("CARGO_BIN_EXE_rdp-collect"))
        .args(["probe", &format!("127.0.0.1:{port}"), "--count", "2", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Sent = 2, Received = 2, Lost = 0 (0% loss)"),
        "{stdout}"
    );
    assert!(stdout.contains("Verdict: 127.0.0.1:"), "{stdout}");
    let rec: remote::ClientProbe = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(rec.verdict, "reachable", "{}", rec.verdict_text);
    let hs = rec.handshake.as_ref().unwrap();
    assert_eq!(hs.selected_protocol.as_deref(), Some("ssl"));
    assert_eq!(hs.tls, TlsResult::Ok);
    let cert = rec.certificate.as_ref().unwrap();
    assert_eq!(cert.thumbprint, TEST_CERT_SHA1);
    assert!(cert.subject.contains("RDP-PROBE-TEST"), "{}", cert.subject);
    // xrdp has no CredSSP: it never chose it.
    assert_eq!(rec.nla, "not_offered");

    // The same call with the library, to check the file name it would pick.
    let again = remote::run(
        &RemoteOptions {
            host: "127.0.0.1".into(),
            port,
            count: 1,
            timeout: Duration::from_secs(2),
        },
        |_| {},
    );
    assert!(remote::default_file_name(&again).starts_with("rdp-probe-"));
    assert_eq!(again.verdict, "reachable");
}

//! A loopback listener that answers like an RDP server, or like a broken one, for the probe's
//! tests (the unit tests here and the analyzer round trip in `tests/`). The collector never
//! starts one.
//!
//! It accepts one connection on `127.0.0.1:<ephemeral port>`, reads the Connection Request and
//! answers as its [`Behaviour`] says; for TLS it serves a self-signed test certificate
//! (`CN=RDP-PROBE-TEST`, RSA 2048, like the certificate Windows makes for RDP) with rustls.
//! Every wait is bounded and dropping the server stops its thread.

use super::wire;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The test certificate the TLS-speaking behaviours serve (DER).
pub const TEST_CERT_DER: &[u8] = include_bytes!("testdata/cert.der");
/// Its SHA-1 thumbprint.
pub const TEST_CERT_SHA1: &str = "E29C184DB6A26AFAD90C516B213ACAA894D40035";
/// Its private key (PKCS#8 DER). A test key, used for nothing else.
const TEST_KEY_DER: &[u8] = include_bytes!("testdata/key.pk8.der");

/// Longest the server waits for anything.
const SERVER_LIMIT: Duration = Duration::from_secs(30);
/// Polling step, so a dropped server stops soon.
const POLL: Duration = Duration::from_millis(50);

/// How the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// A Connection Confirm with `RDP_NEG_RSP` selecting `protocol`, then (for any protocol
    /// but standard RDP security) a TLS handshake, TLS 1.3 or 1.2 only.
    Rdp { protocol: u32, tls13: bool },
    /// A Connection Confirm with `RDP_NEG_FAILURE` `code`.
    NegotiationFailure(u32),
    /// A Connection Confirm without negotiation data.
    Legacy,
    /// Accepts, reads the request and never answers.
    Silent,
    /// Answers these bytes and closes.
    Garbage(Vec<u8>),
    /// Closes right after reading the request.
    Close,
    /// Selects TLS, then answers the ClientHello with this fatal alert and closes.
    TlsAlert(u8),
}

/// A running fake server.
pub struct FakeRdpServer {
    addr: SocketAddr,
    request: Arc<Mutex<Option<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeRdpServer {
    /// Listens on an ephemeral loopback port and serves one connection.
    pub fn start(behaviour: Behaviour) -> io::Result<FakeRdpServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let request = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (req, st) = (Arc::clone(&request), Arc::clone(&stop));
        let thread = std::thread::spawn(move || serve(listener, behaviour, &req, &st));
        Ok(FakeRdpServer {
            addr,
            request,
            stop,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Connection Request as received, once the server read it.
    pub fn request(&self) -> Option<Vec<u8>> {
        self.request.lock().ok().and_then(|r| r.clone())
    }
}

impl Drop for FakeRdpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A loopback port where nothing listens (bound, then released).
pub fn closed_port() -> io::Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let port = l.local_addr()?.port();
    drop(l);
    Ok(port)
}

fn serve(
    listener: TcpListener,
    behaviour: Behaviour,
    request: &Mutex<Option<Vec<u8>>>,
    stop: &AtomicBool,
) {
    let start = Instant::now();
    // One connection after another (a client probe connects several times), until dropped.
    loop {
        let mut stream = loop {
            if stop.load(Ordering::SeqCst) || start.elapsed() > SERVER_LIMIT {
                return;
            }
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(_) => std::thread::sleep(POLL),
            }
        };
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(POLL));
        answer(&mut stream, &behaviour, request, stop);
    }
}

fn answer(
    stream: &mut TcpStream,
    behaviour: &Behaviour,
    request: &Mutex<Option<Vec<u8>>>,
    stop: &AtomicBool,
) {
    let Some(req) = read_request(stream, stop) else {
        return;
    };
    if let Ok(mut r) = request.lock() {
        *r = Some(req);
    }
    match behaviour.clone() {
        Behaviour::Rdp { protocol, tls13 } => {
            let _ = stream.write_all(&wire::confirm_selected(protocol, 0x1f));
            if wire::starts_tls(protocol) {
                tls_server(stream, tls13, stop);
            }
            wait_for_close(stream, stop);
        }
        Behaviour::NegotiationFailure(code) => {
            let _ = stream.write_all(&wire::confirm_failure(code));
            wait_for_close(stream, stop);
        }
        Behaviour::Legacy => {
            let _ = stream.write_all(&wire::confirm_legacy());
            wait_for_close(stream, stop);
        }
        Behaviour::Silent => wait_for_close(stream, stop),
        Behaviour::Garbage(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Behaviour::Close => {}
        Behaviour::TlsAlert(alert) => {
            let _ = stream.write_all(&wire::confirm_selected(wire::PROTOCOL_SSL, 0));
            // Wait for the ClientHello's first bytes, then: alert record, level fatal.
            let mut buf = [0u8; 5];
            if read_exact_polling(stream, &mut buf, stop) {
                let _ = stream.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, alert]);
            }
        }
    }
}

/// Reads one TPKT-framed request (bounded), polling `stop`.
fn read_request(stream: &mut TcpStream, stop: &AtomicBool) -> Option<Vec<u8>> {
    let mut header = [0u8; 4];
    if !read_exact_polling(stream, &mut header, stop) {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([header[2], header[3]])).clamp(4, 512);
    let mut req = header.to_vec();
    req.resize(len, 0);
    if !read_exact_polling(stream, &mut req[4..], stop) {
        return None;
    }
    Some(req)
}

fn read_exact_polling(stream: &mut TcpStream, buf: &mut [u8], stop: &AtomicBool) -> bool {
    let start = Instant::now();
    let mut n = 0;
    while n < buf.len() {
        if stop.load(Ordering::SeqCst) || start.elapsed() > SERVER_LIMIT {
            return false;
        }
        match stream.read(&mut buf[n..]) {
            Ok(0) => return false,
            Ok(k) => n += k,
            Err(e) if is_wait(&e) => {}
            Err(_) => return false,
        }
    }
    true
}

/// Reads and drops everything until the client closes (or the server is dropped).
fn wait_for_close(stream: &mut TcpStream, stop: &AtomicBool) {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) && start.elapsed() < SERVER_LIMIT {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if is_wait(&e) => {}
            Err(_) => return,
        }
    }
}

fn is_wait(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

fn tls_server(stream: &mut TcpStream, tls13: bool, stop: &AtomicBool) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13 {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12]
    };
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .and_then(|b| {
            b.with_no_client_auth().with_single_cert(
                vec![CertificateDer::from(TEST_CERT_DER.to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(TEST_KEY_DER.to_vec())),
            )
        });
    let Ok(config) = config else {
        return;
    };
    let Ok(mut conn) = rustls::ServerConnection::new(Arc::new(config)) else {
        return;
    };
    let start = Instant::now();
    while conn.is_handshaking() && !stop.load(Ordering::SeqCst) && start.elapsed() < SERVER_LIMIT {
        match conn.complete_io(stream) {
            Ok(_) => {}
            Err(e) if is_wait(&e) => {}
            Err(_) => return,
        }
    }
    // Flush what is left of the handshake (TLS 1.3 session tickets).
    let _ = conn.complete_io(stream);
}

//! Certificates the collector exported as DER (`certs/<store>/<thumbprint>.cer`) and the
//! `certs/index.json` that lists them.
//!
//! The checks need what Remote Desktop needs from its certificate: validity dates, whether it
//! may be used for server authentication, the key, and the SHA-1 thumbprint, which is how
//! Windows names the certificate everywhere else (`SSLCertificateSHA1Hash`, certutil, MMC).
//! x509-parser does the ASN.1; this module only flattens what the checks read.

use super::ParseError;
use rdp_bundle::CertIndexEntry;
use serde::Serialize;
use sha1::{Digest, Sha1};
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;

/// What the checks read from one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject distinguished name, RFC 4514 style (`CN=HOST`).
    pub subject: String,
    pub issuer: String,
    /// Subject and issuer names are identical (what Remote Desktop's own certificate looks
    /// like); the signature is not verified.
    pub self_signed: bool,
    /// NotBefore in Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// NotBefore as `2024-01-15T09:30:00Z`.
    pub not_before_rfc3339: String,
    pub not_after_rfc3339: String,
    /// Upper-case hex SHA-1 of the DER bytes: the thumbprint Windows shows.
    pub thumbprint_sha1: String,
    /// Serial number in lower-case hex without separators, as certutil prints it.
    pub serial: String,
    /// `Some(true)` when the EKU extension lists Server Authentication (or any purpose),
    /// `Some(false)` when it does not, `None` when there is no EKU extension (any purpose).
    pub server_auth_eku: Option<bool>,
    /// EKU purposes: "serverAuth", "clientAuth", ... or the dotted OID.
    pub eku: Vec<String>,
    /// "RSA", "EC", "Ed25519", "DSA", or the dotted OID.
    pub key_algorithm: String,
    pub key_bits: Option<u32>,
    /// e.g. "sha256WithRSAEncryption", or the dotted OID.
    pub signature_algorithm: String,
    /// DNS names of the Subject Alternative Name extension.
    pub dns_names: Vec<String>,
}

impl CertInfo {
    /// Whether `unix` (seconds) falls within NotBefore..=NotAfter.
    pub fn valid_at(&self, unix: i64) -> bool {
        self.not_before <= unix && unix <= self.not_after
    }
}

/// A DER certificate: starts like one (SEQUENCE with a two-byte length that fits) and
/// x509-parser accepts it.
pub fn sniff(bytes: &[u8]) -> bool {
    match bytes {
        [0x30, 0x82, hi, lo, ..] => {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            len + 4 <= bytes.len() && X509Certificate::from_der(bytes).is_ok()
        }
        _ => false,
    }
}

/// Parses one DER certificate.
pub fn parse_der(bytes: &[u8]) -> Result<CertInfo, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::new("empty certificate file"));
    }
    let (rest, cert) = X509Certificate::from_der(bytes)
        .map_err(|e| ParseError::new(format!("not a DER X.509 certificate: {e}")))?;
    // Hash the certificate only, not anything appended after it.
    let der = bytes
        .get(..bytes.len().saturating_sub(rest.len()))
        .unwrap_or(bytes);
    let validity = cert.validity();
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    let eku_ext = cert
        .extended_key_usage()
        .map_err(|e| ParseError::new(format!("bad extended key usage extension: {e}")))?;
    let (server_auth_eku, eku) = match eku_ext {
        Some(ext) => (
            Some(ext.value.server_auth || ext.value.any),
            eku_names(ext.value),
        ),
        None => (None, Vec::new()),
    };
    let san = cert
        .subject_alternative_name()
        .map_err(|e| ParseError::new(format!("bad subject alternative name extension: {e}")))?;
    let dns_names = san
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(d) => Some((*d).to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let spki = cert.public_key();
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        not_before,
        not_after,
        not_before_rfc3339: rfc3339(not_before),
        not_after_rfc3339: rfc3339(not_after),
        thumbprint_sha1: hex::encode_upper(Sha1::digest(der)),
        serial: hex::encode(cert.raw_serial()),
        server_auth_eku,
        eku,
        key_algorithm: key_algorithm(&spki.algorithm.algorithm.to_id_string()),
        key_bits: key_bits(spki),
        signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
        dns_names,
    })
}

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn eku_names(e: &x509_parser::extensions::ExtendedKeyUsage) -> Vec<String> {
    let mut out = Vec::new();
    for (set, name) in [
        (e.server_auth, "serverAuth"),
        (e.client_auth, "clientAuth"),
        (e.code_signing, "codeSigning"),
        (e.email_protection, "emailProtection"),
        (e.time_stamping, "timeStamping"),
        (e.ocsp_signing, "OCSPSigning"),
        (e.any, "anyExtendedKeyUsage"),
    ] {
        if set {
            out.push(name.to_owned());
        }
    }
    out.extend(e.other.iter().map(|o| o.to_id_string()));
    out
}

fn key_algorithm(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.2.1" => "EC",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        other => other,
    }
    .to_owned()
}

/// Key size in bits. RSA is measured on the modulus (leading zero bytes and bits ignored)
/// rather than trusting the sign-byte convention.
fn key_bits(spki: &SubjectPublicKeyInfo) -> Option<u32> {
    match spki.parsed().ok()? {
        PublicKey::RSA(rsa) => {
            let m: Vec<u8> = rsa
                .modulus
                .iter()
                .copied()
                .skip_while(|b| *b == 0)
                .collect();
            let first = *m.first()?;
            let len = u32::try_from(m.len()).ok()?;
            len.checked_sub(1)?
                .checked_mul(8)?
                .checked_add(8 - first.leading_zeros())
        }
        other => u32::try_from(other.key_size()).ok().filter(|b| *b > 0),
    }
}

fn oid_name(oid: &x509_parser::der_parser::oid::Oid) -> String {
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

/// Recognises `certs/index.json`: a JSON array whose entries carry `thumbprint` and `store`.
pub fn sniff_index(text: &str) -> bool {
    let t = text.trim_start_matches('\u{FEFF}').trim_start();
    t.starts_with('[') && t.contains("\"thumbprint\"") && t.contains("\"store\"")
}

/// Parses `certs/index.json` (an array of [`CertIndexEntry`]).
pub fn parse_index(text: &str) -> Result<Vec<CertIndexEntry>, ParseError> {
    let t = text.trim_start_matches('\u{FEFF}');
    serde_json::from_str::<Vec<CertIndexEntry>>(t).map_err(|e| {
        let line = e.line();
        if line > 0 {
            ParseError::at(line, format!("certs/index.json: {e}"))
        } else {
            ParseError::new(format!("certs/index.json: {e}"))
        }
    })
}

/// Normalizes a thumbprint for comparison: drops spaces, colons, dashes and the invisible
/// marks that MMC's certificate dialog puts in copied text (U+200E and friends), upper-cases.
pub fn normalize_thumbprint(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ':' | '-') && !is_invisible(*c))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by testdata/make-certs.sh (OpenSSL 3.0); see the script for every parameter.
    const RDP_HOST: &[u8] = include_bytes!("testdata/rdp-host.der");
    const EXPIRED: &[u8] = include_bytes!("testdata/expired.der");
    const NO_EKU: &[u8] = include_bytes!("testdata/no-eku.der");

    #[test]
    fn rdp_like_self_signed_certificate() {
        assert!(sniff(RDP_HOST));
        let c = parse_der(RDP_HOST).unwrap();
        assert_eq!(c.subject, "CN=HOST");
        assert_eq!(c.issuer, "CN=HOST");
        assert!(c.self_signed);
        assert_eq!(c.not_before_rfc3339, "2024-01-15T09:30:00Z");
        assert_eq!(c.not_after_rfc3339, "2024-07-16T09:30:00Z");
        assert_eq!(c.not_before, 1_705_311_000);
        assert_eq!(
            c.thumbprint_sha1,
            "055C6057C3A6D6529333D185A05A55C123B14FEE"
        );
        assert_eq!(c.serial, "1f2e3d4c5b6a7988");
        assert_eq!(c.server_auth_eku, Some(true));
        assert_eq!(c.eku, vec!["serverAuth"]);
        assert_eq!(c.key_algorithm, "RSA");
        assert_eq!(c.key_bits, Some(2048));
        assert_eq!(c.signature_algorithm, "sha256WithRSAEncryption");
        assert!(c.dns_names.is_empty());
        assert!(c.valid_at(1_710_000_000));
        assert!(!c.valid_at(1_705_310_999));
        assert!(c.valid_at(c.not_after));
        assert!(!c.valid_at(c.not_after + 1));
    }

    #[test]
    fn expired_certificate_with_two_purposes() {
        let c = parse_der(EXPIRED).unwrap();
        assert_eq!(c.subject, "CN=OLDHOST");
        assert_eq!(c.not_after_rfc3339, "2019-07-01T00:00:00Z");
        assert!(!c.valid_at(1_700_000_000));
        assert_eq!(c.server_auth_eku, Some(true));
        assert_eq!(c.eku, vec!["serverAuth", "clientAuth"]);
        assert_eq!(
            c.thumbprint_sha1,
            "77D20C36A91E64C5B737C0B172AA19BAE94391CF"
        );
        assert_eq!(c.serial, "0a0b0c0d");
    }

    #[test]
    fn certificate_without_eku_and_with_san() {
        let c = parse_der(NO_EKU).unwrap();
        assert_eq!(c.server_auth_eku, None);
        assert!(c.eku.is_empty());
        assert_eq!(c.key_algorithm, "EC");
        assert_eq!(c.key_bits, Some(256));
        assert_eq!(c.signature_algorithm, "ecdsa-with-SHA256");
        assert_eq!(c.dns_names, vec!["legacy.example.test", "legacy"]);
        assert_eq!(
            c.thumbprint_sha1,
            "8FBA8F1D2EEA51DD4737119127B9355CFD4FC34B"
        );
        assert!(c.valid_at(1_900_000_000));
    }

    #[test]
    fn trailing_bytes_do_not_change_the_thumbprint() {
        let mut v = RDP_HOST.to_vec();
        v.extend_from_slice(b"\r\n");
        assert_eq!(
            parse_der(&v).unwrap().thumbprint_sha1,
            "055C6057C3A6D6529333D185A05A55C123B14FEE"
        );
    }

    #[test]
    fn garbage_truncated_empty() {
        assert!(parse_der(&[]).is_err());
        assert!(!sniff(&[]));
        assert!(parse_der(b"MIIC not der").is_err());
        assert!(!sniff(b"\x30\x82"));
        assert!(!sniff(b"\x30\x82\xff\xff\x00"));
        let mut g = vec![0x30, 0x82, 0x02, 0xF1];
        g.extend(std::iter::repeat_n(0xAB, 0x2F1));
        assert!(!sniff(&g));
        assert!(parse_der(&g).is_err());
        for cut in [1, 4, 10, 100, RDP_HOST.len() / 2, RDP_HOST.len() - 1] {
            let t = RDP_HOST.get(..cut).unwrap();
            assert!(parse_der(t).is_err(), "cut at {cut}");
            assert!(!sniff(t));
        }
        // Flip every byte in turn: never a panic.
        for i in 0..RDP_HOST.len() {
            let mut v = RDP_HOST.to_vec();
            v[i] ^= 0xFF;
            let _ = parse_der(&v);
            let _ = sniff(&v);
        }
    }

    #[test]
    fn thumbprint_normalization() {
        assert_eq!(
            normalize_thumbprint(
                "\u{200E}05 5c 60 57 c3 a6 d6 52 93 33 d1 85 a0 5a 55 c1 23 b1 4f ee"
            ),
            "055C6057C3A6D6529333D185A05A55C123B14FEE"
        );
        assert_eq!(normalize_thumbprint("05:5C:60"), "055C60");
        assert_eq!(normalize_thumbprint(""), "");
    }

    #[test]
    fn index_json() {
        let text = r#"[
  {"path": "certs/remote-desktop/055C6057C3A6D6529333D185A05A55C123B14FEE.cer",
   "store": "Remote Desktop",
   "thumbprint": "055C6057C3A6D6529333D185A05A55C123B14FEE",
   "has_private_key": true,
   "key_container": "TSSecKeySet1",
   "private_key_accessible": false},
  {"path": "certs/my/77D20C36A91E64C5B737C0B172AA19BAE94391CF.cer",
   "store": "My",
   "thumbprint": "77D20C36A91E64C5B737C0B172AA19BAE94391CF",
   "has_private_key": false}
]"#;
        assert!(sniff_index(text));
        let v = parse_index(text).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].store, "Remote Desktop");
        assert_eq!(v[0].key_container.as_deref(), Some("TSSecKeySet1"));
        assert_eq!(v[0].private_key_accessible, Some(false));
        assert!(!v[1].has_private_key);
        assert_eq!(v[1].key_container, None);
        assert!(parse_index("").is_err());
        assert!(parse_index("[{\"path\": 1}]").is_err());
        let e = parse_index("[\n{\n\"store\": }").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(!sniff_index("{\"x\": 1}"));
        assert_eq!(parse_index("\u{FEFF}[]").unwrap(), vec![]);
    }
}

//! RDP019: the cipher-suite order policy (or Schannel's cipher and key-exchange switches) leaves
//! no cipher suite the RDP listener can use with its certificate.
//!
//! The GPO "SSL Cipher Suite Order" writes the only suites Schannel may use as a comma-separated
//! `Functions` value under `HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002`
//! (the local list is `...\Cryptography\Configuration\Local\SSL\00010002`). Schannel also drops
//! every suite whose parts are switched off under `SCHANNEL\Ciphers` (`AES 128/128`,
//! `AES 256/256`, `Triple DES 168`) or `SCHANNEL\KeyExchangeAlgorithms` (`PKCS`, `ECDH`,
//! `Diffie-Hellman`). A suite also needs the certificate's key type: `_RSA_` suites for the RSA
//! key of Remote Desktop's own certificate, `_ECDSA_` for an EC key. A list made for a web
//! server with an ECDSA certificate, or a copy-paste that kept only TLS 1.3 names, leaves the
//! listener nothing to agree on: Schannel logs 36874 ("none of the cipher suites supported by
//! the client application are supported by the server") and the connection drops.

use super::support;
use super::{Check, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP019",
    name: "tls-cipher-suites",
    severity: Severity::Error,
    title: "No TLS cipher suite is usable by the RDP listener",
    explanation: "The cipher suites Schannel may use (the SSL Cipher Suite Order policy, minus \
                  the ciphers and key exchanges switched off under SCHANNEL) contain none that \
                  works for TLS 1.0-1.2 with the RDP certificate's key type, so TLS and NLA \
                  handshakes fail.",
    remediation: "Add suites that match the RDP certificate to the 'SSL Cipher Suite Order' \
                  policy (Computer Configuration > Administrative Templates > Network > SSL \
                  Configuration Settings), for an RSA certificate e.g. \
                  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 and TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
                  or set the policy to Not Configured; re-enable the AES ciphers and the ECDH key \
                  exchange under HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL \
                  if a hardening tool turned them off. Restart the computer afterwards.",
    needs: &[Kind::Registry, Kind::Gpresult],
    fixture: "fixtures/tls-cipher-suites",
    requires: Some(missing),
    run,
};

pub const SUITE_POLICY_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002";
pub const SUITE_LOCAL_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002";
const SCHANNEL: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";
const ORDER_POLICY: &[&str] = &["SSL Cipher Suite Order"];

/// A representative slice of Windows' default list, used when no list is configured.
const DEFAULT_SUITES: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
];

/// Whether a Schannel switch (`Ciphers\AES 128/128`, `KeyExchangeAlgorithms\ECDH`) is off.
fn switched_off<'a>(ev: &'a Evidence, sub: &str) -> Option<crate::evidence::RegHit<'a>> {
    ev.reg_value(&format!(r"{SCHANNEL}\{sub}"), "Enabled")
        .filter(|h| h.value.data.as_u32() == Some(0))
}

/// The key exchange, cipher and certificate type a TLS 1.0-1.2 suite needs; `None` for TLS 1.3
/// suites (`TLS_AES_...`) and names we do not know.
fn parts(suite: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let s = suite.trim().to_ascii_uppercase();
    let (kex, cert) = if s.starts_with("TLS_ECDHE_RSA_") {
        ("ECDH", "RSA")
    } else if s.starts_with("TLS_ECDHE_ECDSA_") {
        ("ECDH", "EC")
    } else if s.starts_with("TLS_DHE_RSA_") {
        ("Diffie-Hellman", "RSA")
    } else if s.starts_with("TLS_DHE_DSS_") {
        ("Diffie-Hellman", "DSA")
    } else if s.starts_with("TLS_RSA_") {
        ("PKCS", "RSA")
    } else {
        return None;
    };
    let cipher = if s.contains("_AES_128_") {
        "AES 128/128"
    } else if s.contains("_AES_256_") {
        "AES 256/256"
    } else if s.contains("_3DES_EDE_") {
        "Triple DES 168"
    } else if s.contains("_RC4_128_") {
        "RC4 128/128"
    } else {
        "NULL"
    };
    Some((kex, cipher, cert))
}

/// The RDP certificate's key algorithm ("RSA", "EC"), from the DER of the configured
/// certificate or of the Remote Desktop store's; RSA (Windows' self-signed) when unknown.
fn cert_key_type(ev: &Evidence) -> String {
    let configured = super::rdp_certs::configured_thumbprint(ev).map(|(t, _)| t);
    let pick = ev
        .certificates
        .iter()
        .find(|c| configured.as_deref() == Some(c.value.thumbprint_sha1.as_str()))
        .or_else(|| {
            ev.certificates
                .iter()
                .find(|c| c.artifact.contains("remote-desktop"))
        });
    pick.map(|c| c.value.key_algorithm.clone())
        .filter(|k| k == "RSA" || k == "EC")
        .unwrap_or_else(|| "RSA".into())
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut refs = Vec::new();
    let mut source = "Windows' default list".to_string();
    let mut gpo_name = None;
    let list: Vec<String> = if let Some(h) = ev
        .reg_value(SUITE_POLICY_KEY, "Functions")
        .or_else(|| ev.reg_value(SUITE_LOCAL_KEY, "Functions"))
    {
        refs.push(support::reg_ref(&h));
        source = if h.key.path.to_ascii_lowercase().contains("policies") {
            "the SSL Cipher Suite Order policy".into()
        } else {
            "the local cipher suite list".into()
        };
        if let Some((g, r)) = support::policy_gpo(ev, ORDER_POLICY) {
            source = format!("the SSL Cipher Suite Order policy (GPO '{g}')");
            gpo_name = Some(g);
            refs.push(r);
        }
        match &h.value.data {
            crate::parse::reg::RegData::MultiSz(_) => {
                h.value.data.as_multi().unwrap_or_default().to_vec()
            }
            d => d
                .as_str()
                .unwrap_or("")
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    } else {
        DEFAULT_SUITES.iter().map(|s| s.to_string()).collect()
    };
    let key = cert_key_type(ev);
    let mut off = Vec::new();
    for sub in [
        r"Ciphers\AES 128/128",
        r"Ciphers\AES 256/256",
        r"Ciphers\Triple DES 168",
        r"Ciphers\RC4 128/128",
        r"KeyExchangeAlgorithms\PKCS",
        r"KeyExchangeAlgorithms\ECDH",
        r"KeyExchangeAlgorithms\Diffie-Hellman",
    ] {
        if let Some(h) = switched_off(ev, sub) {
            off.push(sub.rsplit('\\').next().unwrap_or(sub).to_string());
            refs.push(support::reg_ref(&h));
        }
    }
    let usable: Vec<&String> = list
        .iter()
        .filter(|s| {
            parts(s).is_some_and(|(kex, cipher, cert)| {
                cert == key && cipher != "NULL" && !off.iter().any(|o| o == kex || o == cipher)
            })
        })
        .collect();
    if !usable.is_empty() || (refs.is_empty() && off.is_empty()) {
        return Vec::new();
    }
    let tls13: Vec<&String> = list.iter().filter(|s| parts(s).is_none()).collect();
    let mut why = Vec::new();
    let for_key = list
        .iter()
        .filter(|s| parts(s).is_some_and(|(_, _, c)| c == key))
        .count();
    if for_key == 0 {
        why.push(format!(
            "{source} has no TLS 1.0-1.2 suite for the certificate's {key} key"
        ));
    }
    if !off.is_empty() {
        why.push(format!("Schannel has {} switched off", off.join(", ")));
    }
    if !tls13.is_empty() && for_key == 0 {
        why.push(format!(
            "the TLS 1.3-only names ({}) are not used by the RDP listener's TLS 1.0-1.2",
            tls13
                .iter()
                .take(4)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut f = Finding::new(
        &CHECK,
        format!(
            "No cipher suite is usable by the RDP listener: {}. Suites allowed: {}.",
            why.join("; "),
            list.iter()
                .take(8)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .fact("certificate_key", &key)
    .fact("suites", list.len());
    if let Some(g) = gpo_name {
        f = f.fact("winning_gpo", g);
    }
    f.evidence = refs;
    for (a, e) in support::provider_events(ev, &[36874], "schannel")
        .into_iter()
        .take(3)
    {
        f = f.evidence(support::event_ref(a, e, "no common cipher suite"));
    }
    vec![f]
}

/// Not evaluated without the cipher-suite policy export (or its step's not_found) and SCHANNEL.
fn missing(ev: &Evidence) -> Option<String> {
    let policy = ev.reg_covers(SUITE_POLICY_KEY)
        || support::key_absent_on_machine(ev, "registry/cipher-suite-policy.reg");
    if !policy {
        return Some(support::missing_because(
            ev,
            "registry/cipher-suite-policy.reg",
            "export of the SSL cipher suite order policy key",
        ));
    }
    support::missing_key(ev, SCHANNEL, "registry/schannel.reg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_names_map_to_kex_cipher_and_key() {
        assert_eq!(
            parts("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            Some(("ECDH", "AES 256/256", "RSA"))
        );
        assert_eq!(
            parts("tls_rsa_with_3des_ede_cbc_sha"),
            Some(("PKCS", "Triple DES 168", "RSA"))
        );
        assert_eq!(
            parts("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
            Some(("ECDH", "AES 128/128", "EC"))
        );
        assert_eq!(
            parts("TLS_DHE_RSA_WITH_AES_128_CBC_SHA").unwrap().0,
            "Diffie-Hellman"
        );
        assert_eq!(parts("TLS_AES_256_GCM_SHA384"), None, "TLS 1.3 names");
        assert_eq!(parts("TLS_PSK_WITH_AES_128_CBC_SHA256"), None);
        assert_eq!(parts("TLS_RSA_WITH_NULL_SHA256").unwrap().1, "NULL");
    }
}

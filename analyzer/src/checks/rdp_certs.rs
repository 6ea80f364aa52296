//! One view of the certificates the RDP listener may use, from every source a bundle can hold:
//! DER files with `certs/index.json` (the collector), `certutil -store` output, and the
//! `SystemCertificates\Remote Desktop` registry export (whose `Blob` values are serialized
//! certificates). Several checks read it.

use super::EvidenceRef;
use crate::evidence::{Evidence, RDP_TCP_KEY};
use crate::parse::cert::{self, CertInfo};
use crate::parse::reg::RegData;

pub const RDP_STORE_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\Remote Desktop\Certificates";
/// The local machine's Personal store, where a CA-issued RDP certificate lives (an offline
/// SOFTWARE hive holds it; a live bundle has it as `certs/my/`).
pub const MY_STORE_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\My\Certificates";

/// A certificate seen in a store.
#[derive(Debug, Clone)]
pub struct SeenCert {
    pub thumbprint: String,
    /// "Remote Desktop" or "My" (or unknown).
    pub store: String,
    pub subject: Option<String>,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    pub not_after_text: Option<String>,
    pub server_auth_eku: Option<bool>,
    pub has_private_key: Option<bool>,
    pub evidence: EvidenceRef,
}

/// All certificates seen, deduplicated by (store, thumbprint), richest source first.
pub fn seen_certs(ev: &Evidence) -> Vec<SeenCert> {
    let mut out: Vec<SeenCert> = Vec::new();
    // DER files, with the index for store and key facts.
    // `certs/served/` holds what the handshake probe saw the listener serve: ground truth for
    // RDP043, not a store entry.
    for c in ev
        .certificates
        .iter()
        .filter(|c| !c.artifact.starts_with("certs/served/"))
    {
        let entry = ev.cert_index.iter().flat_map(|i| i.value.iter()).find(|e| {
            e.path == c.artifact
                || cert::normalize_thumbprint(&e.thumbprint) == c.value.thumbprint_sha1
        });
        push(
            &mut out,
            from_info(
                &c.value,
                entry.map(|e| e.store.clone()),
                entry.map(|e| e.has_private_key),
                EvidenceRef::file(&c.artifact, summary(&c.value)),
            ),
        );
    }
    for idx in &ev.cert_index {
        for e in &idx.value {
            push(
                &mut out,
                SeenCert {
                    thumbprint: cert::normalize_thumbprint(&e.thumbprint),
                    store: e.store.clone(),
                    subject: None,
                    not_before: None,
                    not_after: None,
                    not_after_text: None,
                    server_auth_eku: None,
                    has_private_key: Some(e.has_private_key),
                    evidence: EvidenceRef::file(
                        &idx.artifact,
                        format!(
                            "{} in store {} (private key: {})",
                            e.thumbprint, e.store, e.has_private_key
                        ),
                    ),
                },
            );
        }
    }
    for cu in &ev.certutil {
        let store = cu
            .value
            .store_name
            .clone()
            .unwrap_or_else(|| "Remote Desktop".into());
        for e in &cu.value.entries {
            let Some(tp) = e.thumbprint.as_deref() else {
                continue;
            };
            push(
                &mut out,
                SeenCert {
                    thumbprint: cert::normalize_thumbprint(tp),
                    store: store.clone(),
                    subject: e.subject.clone(),
                    not_before: None,
                    not_after: None,
                    not_after_text: e.not_after.clone(),
                    server_auth_eku: None,
                    has_private_key: e.private_key,
                    evidence: EvidenceRef::line(
                        &cu.artifact,
                        e.line,
                        format!(
                            "Cert Hash(sha1): {tp}  Subject: {}  NotAfter: {}",
                            e.subject.as_deref().unwrap_or("?"),
                            e.not_after.as_deref().unwrap_or("?")
                        ),
                    ),
                },
            );
        }
    }
    for rf in &ev.registry {
        let stores = [(RDP_STORE_KEY, "Remote Desktop"), (MY_STORE_KEY, "My")];
        for (key, store) in stores
            .iter()
            .flat_map(|(k, s)| rf.value.keys_under(k).map(move |key| (key, *s)))
        {
            let Some(thumb) = key.path.rsplit('\\').next().filter(|t| t.len() == 40) else {
                continue;
            };
            let blob = key
                .values
                .iter()
                .find(|v| v.name.eq_ignore_ascii_case("Blob"));
            let parsed = blob.and_then(|v| match &v.data {
                RegData::Binary(b) => parse_blob(b),
                _ => None,
            });
            let line = blob.map(|v| v.line).unwrap_or(key.line);
            let ev_ref = EvidenceRef::line(&rf.artifact, line, format!("[{}]", key.path));
            match parsed {
                Some((info, has_key)) => {
                    // On an offline volume the key file itself can be looked for: the
                    // self-signed RDP certificate's key container (TSSecKeySet1) is the
                    // MachineKeys file `f686aace6942fb7f7ceb231212eef4a4_<MachineGuid>`.
                    let blob_bytes = match blob.map(|v| &v.data) {
                        Some(RegData::Binary(b)) => b.as_slice(),
                        _ => &[],
                    };
                    let key_file = ev
                        .machine_keys
                        .as_ref()
                        .filter(|_| has_key && names_container(blob_bytes, RDP_KEY_CONTAINER));
                    let (has_key, ev_ref) = match key_file {
                        Some((folder, names)) => {
                            let present = names.iter().any(|n| {
                                n.get(..RDP_KEY_PREFIX.len())
                                    .is_some_and(|p| p.eq_ignore_ascii_case(RDP_KEY_PREFIX))
                            });
                            let note = if present {
                                "its key file is in MachineKeys"
                            } else {
                                "no key file f686aace6942fb7f7ceb231212eef4a4_* in MachineKeys"
                            };
                            let excerpt = format!("[{}] ({note}, {folder})", key.path);
                            (present, EvidenceRef::line(&rf.artifact, line, excerpt))
                        }
                        None => (has_key, ev_ref),
                    };
                    push(
                        &mut out,
                        from_info(&info, Some(store.into()), Some(has_key), ev_ref),
                    )
                }
                None => push(
                    &mut out,
                    SeenCert {
                        thumbprint: cert::normalize_thumbprint(thumb),
                        store: store.into(),
                        subject: None,
                        not_before: None,
                        not_after: None,
                        not_after_text: None,
                        server_auth_eku: None,
                        has_private_key: None,
                        evidence: ev_ref,
                    },
                ),
            }
        }
    }
    out
}

fn summary(c: &CertInfo) -> String {
    format!(
        "{} subject {} valid {} to {}",
        c.thumbprint_sha1, c.subject, c.not_before_rfc3339, c.not_after_rfc3339
    )
}

fn from_info(
    c: &CertInfo,
    store: Option<String>,
    key: Option<bool>,
    evidence: EvidenceRef,
) -> SeenCert {
    SeenCert {
        thumbprint: c.thumbprint_sha1.clone(),
        store: store.unwrap_or_else(|| "unknown store".into()),
        subject: Some(c.subject.clone()),
        not_before: Some(c.not_before),
        not_after: Some(c.not_after),
        not_after_text: Some(c.not_after_rfc3339.clone()),
        server_auth_eku: c.server_auth_eku,
        has_private_key: key,
        evidence,
    }
}

/// Keeps the first (richest) record per (store, thumbprint), filling gaps from later ones.
fn push(out: &mut Vec<SeenCert>, c: SeenCert) {
    if let Some(existing) = out.iter_mut().find(|e| {
        e.thumbprint == c.thumbprint
            && (e.store.eq_ignore_ascii_case(&c.store) || e.store == "unknown store")
    }) {
        existing.subject = existing.subject.take().or(c.subject);
        existing.not_before = existing.not_before.or(c.not_before);
        existing.not_after = existing.not_after.or(c.not_after);
        existing.not_after_text = existing.not_after_text.take().or(c.not_after_text);
        existing.server_auth_eku = existing.server_auth_eku.or(c.server_auth_eku);
        existing.has_private_key = existing.has_private_key.or(c.has_private_key);
        if existing.store == "unknown store" {
            existing.store = c.store;
        }
        return;
    }
    out.push(c);
}

/// Parses a serialized certificate store element (the registry `Blob`): a sequence of
/// `(prop id u32, reserved u32, length u32, data)` properties. Property 32 is the DER
/// certificate, property 2 (`CERT_KEY_PROV_INFO_PROP_ID`) means a private key is associated.
pub fn parse_blob(blob: &[u8]) -> Option<(CertInfo, bool)> {
    let mut rest = blob;
    let mut der = None;
    let mut has_key = false;
    while rest.len() >= 12 {
        let id = u32::from_le_bytes(rest.get(0..4)?.try_into().ok()?);
        let len = u32::from_le_bytes(rest.get(8..12)?.try_into().ok()?) as usize;
        let data = rest.get(12..12usize.checked_add(len)?)?;
        match id {
            32 => der = Some(data),
            2 => has_key = true,
            _ => {}
        }
        rest = rest.get(12 + len..)?;
    }
    cert::parse_der(der?).ok().map(|c| (c, has_key))
}

/// The key container of Windows' self-signed RDP certificate.
const RDP_KEY_CONTAINER: &str = "TSSecKeySet1";
/// Its key file name in MachineKeys, before `_<MachineGuid>` (see rdp_key_file_acl).
const RDP_KEY_PREFIX: &str = super::rdp_key_file_acl::RDP_KEY_PREFIX;

/// Whether a serialized certificate's key provider info (property 2) names `container`
/// (UTF-16LE, as `CRYPT_KEY_PROV_INFO` stores it).
fn names_container(blob: &[u8], container: &str) -> bool {
    let needle: Vec<u8> = container
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let mut rest = blob;
    while rest.len() >= 12 {
        let field = |at: usize| {
            rest.get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        };
        let (Some(id), Some(len)) = (field(0), field(8)) else {
            return false;
        };
        let Some(data) = rest.get(12..12 + len as usize) else {
            return false;
        };
        if id == 2 && data.windows(needle.len()).any(|w| w == needle.as_slice()) {
            return true;
        }
        rest = rest.get(12 + len as usize..).unwrap_or_default();
    }
    false
}

/// The thumbprint the listener is configured to use (`SSLCertificateSHA1Hash`), with evidence.
pub fn configured_thumbprint(ev: &Evidence) -> Option<(String, EvidenceRef)> {
    let hit = ev.reg_value(RDP_TCP_KEY, "SSLCertificateSHA1Hash")?;
    let tp = match &hit.value.data {
        RegData::Binary(b) if !b.is_empty() => hex::encode_upper(b),
        RegData::Sz(s) | RegData::ExpandSz(s) => cert::normalize_thumbprint(s),
        _ => return None,
    };
    if tp.is_empty() || tp.chars().all(|c| c == '0') {
        return None;
    }
    Some((tp, super::support::reg_ref(&hit)))
}

/// The certificate(s) the listener uses: the one `SSLCertificateSHA1Hash` names, else those of
/// the Remote Desktop store (where Windows keeps its self-signed certificate).
pub fn in_use<'a>(
    certs: &'a [SeenCert],
    configured: Option<&(String, EvidenceRef)>,
) -> Vec<&'a SeenCert> {
    match configured {
        Some((tp, _)) => certs.iter().filter(|c| &c.thumbprint == tp).collect(),
        None => certs
            .iter()
            .filter(|c| c.store.eq_ignore_ascii_case("Remote Desktop"))
            .collect(),
    }
}

/// Whether any certificate-store evidence was collected at all.
pub fn stores_observed(ev: &Evidence) -> bool {
    !ev.certificates.is_empty()
        || !ev.cert_index.is_empty()
        || !ev.certutil.is_empty()
        || ev.reg_covers(RDP_STORE_KEY)
}

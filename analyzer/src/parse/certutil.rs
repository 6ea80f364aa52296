//! `certutil -store "Remote Desktop"` (and `-store My`): the certificates of a machine store and
//! whether their private keys can be used.
//!
//! certutil prints the store name, then one block per certificate opened by a separator
//! (`================ Certificate 0 ================`), and a final
//! `CertUtil: -store command completed successfully.` (or `... FAILED: 0x80090011 (...)`).
//! Inside a block the labels are translated (`Aussteller`, `Émetteur`, `発行者`), French puts a
//! (non-breaking) space before the colon, but the values are not: distinguished names,
//! hexadecimal serials and hashes, dates, key container and provider names, and error codes.
//!
//! So the parser leans on shape and values: the separator by its `=` runs and number; the
//! thumbprint by `sha1` in its label (kept in every language); issuer and subject as the first
//! and second distinguished-name values; NotBefore/NotAfter as the two lines indented by one
//! space; the key container and provider as the lines indented by two spaces with `=`; the
//! command result by the `CertUtil:` prefix and an `0x........` error code. Known labels are
//! used first where we have them.

use super::cert::normalize_thumbprint;
use super::netsh_rules::{fold, squash};
use super::text;
use super::ParseError;
use serde::Serialize;

/// Upper bound on certificate blocks kept.
const MAX_ENTRIES: usize = 100_000;

/// One certificate block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertutilEntry {
    /// The number in the separator line.
    pub index: u32,
    /// Serial number as printed (hex).
    pub serial: Option<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    /// NotBefore as printed, in the machine's date format (`11/3/2024 3:30 PM`).
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    /// `Cert Hash(sha1)`, upper-case hex without spaces.
    pub thumbprint: Option<String>,
    pub key_container: Option<String>,
    pub provider: Option<String>,
    /// `Some(true)` after "Encryption test passed" / "Signature test passed"; `Some(false)` after
    /// "Missing stored keyset", "No key provider information", "Cannot find the certificate and
    /// private key", a failed test or NTE_BAD_KEYSET; `None` when certutil said neither in a
    /// language we know.
    pub private_key: Option<bool>,
    /// 1-based line of the separator.
    pub line: usize,
}

/// The whole store listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct CertutilStore {
    /// Store name from the first line (`Remote Desktop`, `My` from `My "Personal"`).
    pub store_name: Option<String>,
    pub entries: Vec<CertutilEntry>,
    /// `Some(true)` for the completed-successfully line, `Some(false)` when a `CertUtil:` line
    /// carries an error code; `None` when the output has no `CertUtil:` line (cut short).
    pub command_ok: Option<bool>,
    /// The failing `CertUtil:` lines, joined with " / ".
    pub error: Option<String>,
}

/// Recognises certutil store output: a certificate separator or a `CertUtil:` line near the top.
pub fn sniff(text: &str) -> bool {
    text::lines(text)
        .take(40)
        .any(|(_, l)| separator_index(l).is_some() || is_certutil_line(l))
}

/// Parses the store listing. Errors when the text has neither a certificate block nor a
/// `CertUtil:` result line.
pub fn parse(text: &str) -> Result<CertutilStore, ParseError> {
    let lines: Vec<(usize, &str)> = text::lines(text)
        .map(|(n, l)| (n, l.trim_start_matches('\u{FEFF}').trim_end()))
        .collect();
    let mut out = CertutilStore::default();
    let mut failures: Vec<&str> = Vec::new();
    let mut current: Option<Block> = None;
    let mut seen_anything = false;
    for &(n, line) in &lines {
        if let Some(idx) = separator_index(line) {
            seen_anything = true;
            finish(&mut out, &mut current);
            if out.entries.len() >= MAX_ENTRIES {
                return Err(ParseError::at(n, "too many certificate blocks"));
            }
            let index = idx.unwrap_or_else(|| u32::try_from(out.entries.len()).unwrap_or(u32::MAX));
            current = Some(Block::new(index, n));
            continue;
        }
        if is_certutil_line(line) {
            seen_anything = true;
            finish(&mut out, &mut current);
            let rest = line.trim().get("CertUtil:".len()..).unwrap_or("").trim();
            if is_failure(rest) {
                failures.push(rest);
                out.command_ok = Some(false);
            } else if out.command_ok.is_none() {
                out.command_ok = Some(true);
            } else if out.command_ok == Some(false) {
                // "CertUtil: Object was not found." explains the failure above it.
                failures.push(rest);
            }
            continue;
        }
        match current.as_mut() {
            Some(b) => b.line(line),
            None => {
                if out.store_name.is_none() && !line.trim().is_empty() {
                    out.store_name = Some(store_name(line));
                }
            }
        }
    }
    finish(&mut out, &mut current);
    if !seen_anything {
        return Err(ParseError::new(
            "no certificate separator (==== Certificate N ====) and no CertUtil: line found",
        ));
    }
    if !failures.is_empty() {
        out.error = Some(failures.join(" / "));
    }
    Ok(out)
}

fn finish(out: &mut CertutilStore, current: &mut Option<Block>) {
    if let Some(b) = current.take() {
        out.entries.push(b.into_entry());
    }
}

/// `My "Personal"` -> `My`; `Remote Desktop` -> `Remote Desktop`.
fn store_name(line: &str) -> String {
    let t = line.trim();
    match t.find(" \"") {
        Some(i) if t.ends_with('"') => t.get(..i).unwrap_or(t).trim().to_owned(),
        _ => t.to_owned(),
    }
}

/// `================ Certificate 0 ================` in any language: `Some(Some(n))`, or
/// `Some(None)` when the number is missing or too large.
fn separator_index(line: &str) -> Option<Option<u32>> {
    let t = line.trim();
    if !(t.starts_with("=====") && t.ends_with("=====")) {
        return None;
    }
    let middle = t.trim_matches('=').trim();
    // tasklist's column rule ("===== ======== =====") also starts and ends with '=': a certutil
    // separator has a word ("Certificate 0", "Zertifikat 0") between its runs.
    if !middle.chars().any(char::is_alphanumeric) {
        return None;
    }
    let digits: String = middle
        .rsplit(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .to_owned();
    Some(digits.parse::<u32>().ok())
}

#[cfg(test)]
#[test]
fn tasklist_rule_is_not_a_certificate_separator() {
    assert!(!sniff("Image Name                     PID Services\r\n========================= ======== ==========\r\n"));
    assert_eq!(
        separator_index("================ Certificate 3 ================"),
        Some(Some(3))
    );
}

fn is_certutil_line(line: &str) -> bool {
    line.trim_start()
        .get(..9)
        .is_some_and(|p| p.eq_ignore_ascii_case("CertUtil:"))
}

/// A result line with an HRESULT (`FAILED: 0x80090011 (-2146893807 NTE_NOT_FOUND)`), whatever
/// the language of the words around it.
fn is_failure(rest: &str) -> bool {
    let lower = rest.to_ascii_lowercase();
    lower.match_indices("0x").any(|(i, _)| {
        lower
            .get(i + 2..)
            .is_some_and(|h| h.chars().take(8).filter(char::is_ascii_hexdigit).count() == 8)
    }) || lower.contains("failed")
}

/// A certificate block being read.
struct Block {
    e: CertutilEntry,
    dn_values: usize,
    date_lines: usize,
    key_lines: usize,
    key_false: bool,
    key_true: bool,
}

impl Block {
    fn new(index: u32, line: usize) -> Self {
        Block {
            e: CertutilEntry {
                index,
                serial: None,
                issuer: None,
                subject: None,
                not_before: None,
                not_after: None,
                thumbprint: None,
                key_container: None,
                provider: None,
                private_key: None,
                line,
            },
            dn_values: 0,
            date_lines: 0,
            key_lines: 0,
            key_false: false,
            key_true: false,
        }
    }

    fn into_entry(mut self) -> CertutilEntry {
        self.e.private_key = if self.key_false {
            Some(false)
        } else if self.key_true {
            Some(true)
        } else {
            None
        };
        self.e
    }

    fn line(&mut self, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        let ind = line.chars().take_while(|c| *c == ' ' || *c == '\t').count();
        match ind {
            0 => self.top_line(line),
            1 => self.date_line(line),
            _ => self.key_line(line),
        }
    }

    /// ` NotBefore: 11/3/2024 3:30 PM`, ` NotAfter: ...`: the only lines indented by one space.
    fn date_line(&mut self, line: &str) {
        let Some((label, value)) = split_colon(line) else {
            return;
        };
        let kind = lookup(label, NOT_AFTER)
            .then_some(1)
            .or_else(|| lookup(label, NOT_BEFORE).then_some(0))
            .unwrap_or(self.date_lines);
        self.date_lines += 1;
        let slot = if kind == 0 {
            &mut self.e.not_before
        } else {
            &mut self.e.not_after
        };
        if slot.is_none() {
            *slot = Some(value.to_owned());
        }
    }

    /// `  Key Container = TSSecKeySet1`, `  Provider = Microsoft ...`,
    /// `  Unique container name: ...`.
    fn key_line(&mut self, line: &str) {
        let Some((label, value)) = line.split_once('=') else {
            return;
        };
        let (label, value) = (label.trim(), value.trim());
        if value.is_empty() {
            return;
        }
        let is_provider = lookup(label, PROVIDER);
        let is_container = lookup(label, KEY_CONTAINER);
        let n = self.key_lines;
        self.key_lines += 1;
        if is_container || (!is_provider && n == 0 && self.e.key_container.is_none()) {
            if self.e.key_container.is_none() {
                self.e.key_container = Some(value.to_owned());
            }
        } else if (is_provider || n > 0) && self.e.provider.is_none() {
            self.e.provider = Some(value.to_owned());
        }
    }

    fn top_line(&mut self, line: &str) {
        let f = fold(line);
        if KEY_BAD.iter().any(|k| f.contains(k)) || line.contains("0x80090016") {
            self.key_false = true;
        } else if KEY_OK.iter().any(|k| f.contains(k)) {
            self.key_true = true;
        }
        let Some((label, value)) = split_colon(line) else {
            return;
        };
        if value.is_empty() {
            return;
        }
        if fold(label).contains("sha1") {
            if self.e.thumbprint.is_none() {
                self.e.thumbprint = Some(normalize_thumbprint(value));
            }
            return;
        }
        if lookup(label, SERIAL) {
            self.e.serial.get_or_insert_with(|| value.to_owned());
            return;
        }
        let dn = looks_like_dn(value);
        if lookup(label, ISSUER) {
            self.e.issuer.get_or_insert_with(|| value.to_owned());
            self.dn_values += usize::from(dn);
            return;
        }
        if lookup(label, SUBJECT) {
            self.e.subject.get_or_insert_with(|| value.to_owned());
            self.dn_values += usize::from(dn);
            return;
        }
        if dn {
            // Unknown label: the issuer is printed before the subject.
            let slot = if self.dn_values == 0 && self.e.issuer.is_none() {
                &mut self.e.issuer
            } else {
                &mut self.e.subject
            };
            slot.get_or_insert_with(|| value.to_owned());
            self.dn_values += 1;
            return;
        }
        // Unknown label before the issuer with a hex value: the serial number.
        if self.e.serial.is_none() && self.dn_values == 0 && looks_like_hex(value) {
            self.e.serial = Some(value.to_owned());
        }
    }
}

/// Splits at the first ASCII or full-width colon, trimming both sides (French writes
/// `Émetteur : ...` with a plain or non-breaking space before the colon).
fn split_colon(line: &str) -> Option<(&str, &str)> {
    let (pos, ch) = line.char_indices().find(|&(_, c)| c == ':' || c == '：')?;
    Some((
        line.get(..pos)?.trim(),
        line.get(pos + ch.len_utf8()..)?.trim(),
    ))
}

/// `CN=HOST`, `CN=x, DC=corp`, `E=a@b, O=...`: an attribute type then `=`.
fn looks_like_dn(v: &str) -> bool {
    let Some((attr, _)) = v.split_once('=') else {
        return false;
    };
    !attr.is_empty()
        && attr.len() <= 24
        && attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && attr.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
}

fn looks_like_hex(v: &str) -> bool {
    let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    !compact.is_empty() && compact.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether `label` is one of `names`, on all letters or on ASCII letters only (mojibake).
fn lookup(label: &str, names: &[&str]) -> bool {
    let s = squash(label);
    let a = fold(label);
    !s.is_empty()
        && names
            .iter()
            .any(|n| squash(n) == s || (a.len() >= 4 && fold(n) == a))
}

// Labels: English is certutil's own; the others are the usual Windows translations and were
// not checked against captures (the positional rules cover them when they differ).
const SERIAL: &[&str] = &[
    "Serial Number",
    "Seriennummer",
    "Numéro de série",
    "Número de serie",
    "シリアル番号",
];
const ISSUER: &[&str] = &["Issuer", "Aussteller", "Émetteur", "Emisor", "発行者"];
const SUBJECT: &[&str] = &[
    "Subject",
    "Antragsteller",
    "Objet",
    "Sujet",
    "Asunto",
    "Sujeto",
    "サブジェクト",
];
const NOT_BEFORE: &[&str] = &["NotBefore", "Nicht vor", "Gültig ab"];
const NOT_AFTER: &[&str] = &["NotAfter", "Nicht nach", "Gültig bis"];
const KEY_CONTAINER: &[&str] = &[
    "Key Container",
    "Schlüsselcontainer",
    "Conteneur de clé",
    "Contenedor de claves",
    "キー コンテナー",
];
const PROVIDER: &[&str] = &[
    "Provider",
    "Anbieter",
    "Fournisseur",
    "Proveedor",
    "プロバイダー",
];

/// Private key works (folded text, so accents and mojibake do not matter).
const KEY_OK: &[&str] = &[
    "encryptiontestpassed",
    "signaturetestpassed",
    "verschlsselungstestwurdedurchgefhrt",
    "signaturtestwurdedurchgefhrt",
    "testdechiffrementrussi",
    "testdesignaturerussi",
    "pruebadecifradosuperada",
    "pruebadefirmasuperada",
];
/// Private key missing or unusable.
const KEY_BAD: &[&str] = &[
    "missingstoredkeyset",
    "nokeyproviderinformation",
    "cannotfindthecertificateandprivatekey",
    "keysetdoesnotexist",
    "encryptiontestfailed",
    "signaturetestfailed",
    "ntebadkeyset",
    "keineschlsselanbieterinformationen",
    "aucuneinformationdefournisseurdecl",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testutil::noise;

    fn crlf(s: &str) -> String {
        s.replace("\r\n", "\n").replace('\n', "\r\n")
    }

    /// The Remote Desktop store of a workgroup server, English, as certutil prints it.
    fn english_rdp() -> String {
        crlf(
            "Remote Desktop
================ Certificate 0 ================
Serial Number: 1f2e3d4c5b6a7988
Issuer: CN=HOST
 NotBefore: 1/15/2024 9:30 AM
 NotAfter: 7/16/2024 9:30 AM
Subject: CN=HOST
Signature matches Public Key
Root Certificate: Subject matches Issuer
Cert Hash(sha1): 055c6057c3a6d6529333d185a05a55c123b14fee
  Key Container = TSSecKeySet1
  Unique container name: f686aace6942fb7f7ceb231212eef4a4_7989b711-2e3f-4107-9aae-fb8df2e3b958
  Provider = Microsoft Enhanced Cryptographic Provider v1.0
Encryption test passed

================ Certificate 1 ================
Serial Number: 0a0b0c0d
Issuer: CN=OLDHOST
 NotBefore: 1/1/2019 12:00 AM
 NotAfter: 7/1/2019 12:00 AM
Subject: CN=OLDHOST
Signature matches Public Key
Root Certificate: Subject matches Issuer
Cert Hash(sha1): 77 d2 0c 36 a9 1e 64 c5 b7 37 c0 b1 72 aa 19 ba e9 43 91 cf
  Key Container = TSSecKeySet1
  Provider = Microsoft Enhanced Cryptographic Provider v1.0
Missing stored keyset
CertUtil: -store command completed successfully.
",
        )
    }

    #[test]
    fn english_remote_desktop_store() {
        let text = english_rdp();
        assert!(sniff(&text));
        let s = parse(&text).unwrap();
        assert_eq!(s.store_name.as_deref(), Some("Remote Desktop"));
        assert_eq!(s.command_ok, Some(true));
        assert_eq!(s.error, None);
        assert_eq!(s.entries.len(), 2);
        let e = &s.entries[0];
        assert_eq!(e.index, 0);
        assert_eq!(e.line, 2);
        assert_eq!(e.serial.as_deref(), Some("1f2e3d4c5b6a7988"));
        assert_eq!(e.issuer.as_deref(), Some("CN=HOST"));
        assert_eq!(e.subject.as_deref(), Some("CN=HOST"));
        assert_eq!(e.not_before.as_deref(), Some("1/15/2024 9:30 AM"));
        assert_eq!(e.not_after.as_deref(), Some("7/16/2024 9:30 AM"));
        assert_eq!(
            e.thumbprint.as_deref(),
            Some("055C6057C3A6D6529333D185A05A55C123B14FEE")
        );
        assert_eq!(e.key_container.as_deref(), Some("TSSecKeySet1"));
        assert_eq!(
            e.provider.as_deref(),
            Some("Microsoft Enhanced Cryptographic Provider v1.0")
        );
        assert_eq!(e.private_key, Some(true));
        let old = &s.entries[1];
        assert_eq!(old.index, 1);
        assert_eq!(
            old.thumbprint.as_deref(),
            Some("77D20C36A91E64C5B737C0B172AA19BAE94391CF")
        );
        assert_eq!(old.private_key, Some(false));
        assert_eq!(parse(&text.replace("\r\n", "\n")).unwrap(), s);
    }

    #[test]
    fn my_store_with_templates_and_no_key() {
        // Shape of a real `certutil -store My` on a domain controller.
        let text = crlf(
            "My \"Personal\"
================ Certificate 0 ================
Archived!
Serial Number: 5800000002ca70ea4e42f218a6000000000002
Issuer: CN=Certificate-LTD-CA, DC=certificate, DC=htb
 NotBefore: 11/3/2024 8:14 PM
 NotAfter: 11/3/2025 8:14 PM
Subject: CN=DC01.certificate.htb
Certificate Template Name (Certificate Type): DomainController
Non-root Certificate
Template: DomainController, Domain Controller
Cert Hash(sha1): 779a97b1d8e492b5bafebc02338845ffdff76ad2
  Key Container = 46f11b4056ad38609b08d1dea6880023_7989b711-2e3f-4107-9aae-fb8df2e3b958
  Simple container name: te-DomainController-3ece1f1c-d299-4a4d-be95-efa688b7fee2
  Provider = Microsoft RSA SChannel Cryptographic Provider
Private key is NOT exportable
Encryption test passed

================ Certificate 1 ================
Serial Number: 5800000002f7714edc7f317c46000000000002
Issuer: CN=CVI Root CA, DC=corp, DC=cvilab, DC=local
 NotBefore: 4/25/2026 7:26 PM
 NotAfter: 4/25/2027 7:36 PM
Subject: CN=CVI Issuing CA 1, DC=corp, DC=cvilab, DC=local
CA Version: V0.0
Non-root Certificate
Cert Hash(sha1): 5137a597de2c3085ec5816c7f11edc18cfcdbaf8
No key provider information
Missing stored keyset
CertUtil: -store command completed successfully.
",
        );
        let s = parse(&text).unwrap();
        assert_eq!(s.store_name.as_deref(), Some("My"));
        let a = &s.entries[0];
        assert_eq!(a.subject.as_deref(), Some("CN=DC01.certificate.htb"));
        assert_eq!(
            a.provider.as_deref(),
            Some("Microsoft RSA SChannel Cryptographic Provider")
        );
        assert_eq!(a.private_key, Some(true));
        let b = &s.entries[1];
        assert_eq!(
            b.issuer.as_deref(),
            Some("CN=CVI Root CA, DC=corp, DC=cvilab, DC=local")
        );
        assert_eq!(b.key_container, None);
        assert_eq!(b.private_key, Some(false));
    }

    #[test]
    fn failed_and_empty_store() {
        let text = crlf(
            "Remote Desktop
CertUtil: -store command FAILED: 0x80090011 (-2146893807 NTE_NOT_FOUND)
CertUtil: Object was not found.
",
        );
        let s = parse(&text).unwrap();
        assert_eq!(s.command_ok, Some(false));
        assert_eq!(
            s.error.as_deref(),
            Some("-store command FAILED: 0x80090011 (-2146893807 NTE_NOT_FOUND) / Object was not found.")
        );
        assert!(s.entries.is_empty());
        let empty = parse("Remote Desktop\r\nCertUtil: -store command completed successfully.\r\n")
            .unwrap();
        assert_eq!(empty.command_ok, Some(true));
        assert!(empty.entries.is_empty());
        assert_eq!(empty.store_name.as_deref(), Some("Remote Desktop"));
    }

    /// German labels (usual translations, not checked against a capture); values untranslated.
    fn german() -> String {
        crlf(
            "Remote Desktop
================ Zertifikat 0 ================
Seriennummer: 1f2e3d4c5b6a7988
Aussteller: CN=HOST
 NotBefore: 15.01.2024 09:30
 NotAfter: 16.07.2024 09:30
Antragsteller: CN=HOST
Signatur stimmt mit dem öffentlichen Schlüssel überein
Stammzertifikat: Antragsteller stimmt mit Aussteller überein
Zertifikathash(sha1): 055c6057c3a6d6529333d185a05a55c123b14fee
  Schlüsselcontainer = TSSecKeySet1
  Eindeutiger Containername: f686aace6942fb7f7ceb231212eef4a4_7989b711-2e3f-4107-9aae-fb8df2e3b958
  Anbieter = Microsoft Enhanced Cryptographic Provider v1.0
Verschlüsselungstest wurde durchgeführt
CertUtil: -store-Befehl wurde erfolgreich ausgeführt.
",
        )
    }

    #[test]
    fn german_labels_and_mojibake() {
        let text = german();
        let s = parse(&text).unwrap();
        let e = &s.entries[0];
        assert_eq!(e.serial.as_deref(), Some("1f2e3d4c5b6a7988"));
        assert_eq!(e.issuer.as_deref(), Some("CN=HOST"));
        assert_eq!(e.subject.as_deref(), Some("CN=HOST"));
        assert_eq!(e.not_after.as_deref(), Some("16.07.2024 09:30"));
        assert_eq!(
            e.thumbprint.as_deref(),
            Some("055C6057C3A6D6529333D185A05A55C123B14FEE")
        );
        assert_eq!(e.key_container.as_deref(), Some("TSSecKeySet1"));
        assert_eq!(
            e.provider.as_deref(),
            Some("Microsoft Enhanced Cryptographic Provider v1.0")
        );
        assert_eq!(e.private_key, Some(true));
        assert_eq!(s.command_ok, Some(true));
        let raw = oem_cp::encode_string_lossy(&text, &oem_cp::code_table::ENCODING_TABLE_CP850);
        let mojibake = encoding_rs::WINDOWS_1252.decode(&raw).0.into_owned();
        assert_ne!(mojibake, text);
        assert_eq!(parse(&mojibake).unwrap(), s);
    }

    #[test]
    fn french_spaced_colons_and_japanese_labels() {
        // French puts a non-breaking space before the colon; labels not checked against a
        // capture.
        let fr = crlf(
            "Remote Desktop
================ Certificat 0 ================
Numéro de série\u{A0}: 1f2e3d4c5b6a7988
Émetteur\u{A0}: CN=HOST
 NotBefore\u{A0}: 15/01/2024 09:30
 NotAfter\u{A0}: 16/07/2024 09:30
Objet\u{A0}: CN=HOST
Hach. cert. (sha1)\u{A0}: 05 5c 60 57 c3 a6 d6 52 93 33 d1 85 a0 5a 55 c1 23 b1 4f ee
  Conteneur de clé\u{A0}= TSSecKeySet1
  Fournisseur = Microsoft Enhanced Cryptographic Provider v1.0
Test de chiffrement réussi
CertUtil: -store La commande s’est terminée correctement.
",
        );
        let s = parse(&fr).unwrap();
        let e = &s.entries[0];
        assert_eq!(e.serial.as_deref(), Some("1f2e3d4c5b6a7988"));
        assert_eq!(e.issuer.as_deref(), Some("CN=HOST"));
        assert_eq!(e.not_before.as_deref(), Some("15/01/2024 09:30"));
        assert_eq!(
            e.thumbprint.as_deref(),
            Some("055C6057C3A6D6529333D185A05A55C123B14FEE")
        );
        assert_eq!(e.key_container.as_deref(), Some("TSSecKeySet1"));
        assert_eq!(e.private_key, Some(true));
        assert_eq!(s.command_ok, Some(true));

        let ja = crlf(
            "Remote Desktop
================ 証明書 0 ================
シリアル番号: 1f2e3d4c5b6a7988
発行者: CN=HOST
 NotBefore: 2024/01/15 9:30
 NotAfter: 2024/07/16 9:30
サブジェクト: CN=HOST
証明書ハッシュ(sha1): 055c6057c3a6d6529333d185a05a55c123b14fee
  キー コンテナー = TSSecKeySet1
  プロバイダー = Microsoft Enhanced Cryptographic Provider v1.0
CertUtil: -store コマンドは正常に完了しました。
",
        );
        let s = parse(&ja).unwrap();
        let e = &s.entries[0];
        assert_eq!(e.serial.as_deref(), Some("1f2e3d4c5b6a7988"));
        assert_eq!(e.subject.as_deref(), Some("CN=HOST"));
        assert_eq!(e.not_after.as_deref(), Some("2024/07/16 9:30"));
        assert_eq!(
            e.thumbprint.as_deref(),
            Some("055C6057C3A6D6529333D185A05A55C123B14FEE")
        );
        assert_eq!(
            e.provider.as_deref(),
            Some("Microsoft Enhanced Cryptographic Provider v1.0")
        );
        // The key test line was not printed in a language we know.
        assert_eq!(e.private_key, None);
        assert_eq!(s.command_ok, Some(true));
    }

    #[test]
    fn unknown_labels_fall_back_on_values() {
        let text = "X\n========== Qq 3 ==========\nAa: 0a0b\nBb: CN=Issuer\n Cc: d1\n Dd: d2\nEe: CN=Subject\nFf(SHA1): 0A0B\n  Gg = cont\n  Hh = prov\n";
        let s = parse(text).unwrap();
        let e = &s.entries[0];
        assert_eq!(e.index, 3);
        assert_eq!(e.serial.as_deref(), Some("0a0b"));
        assert_eq!(e.issuer.as_deref(), Some("CN=Issuer"));
        assert_eq!(e.subject.as_deref(), Some("CN=Subject"));
        assert_eq!(e.not_before.as_deref(), Some("d1"));
        assert_eq!(e.not_after.as_deref(), Some("d2"));
        assert_eq!(e.thumbprint.as_deref(), Some("0A0B"));
        assert_eq!(e.key_container.as_deref(), Some("cont"));
        assert_eq!(e.provider.as_deref(), Some("prov"));
        assert_eq!(s.command_ok, None);
    }

    #[test]
    fn garbage_empty_truncated() {
        assert!(parse("").is_err());
        assert!(parse("garbage\r\nmore").is_err());
        assert!(!sniff("Rule Name: x\r\n"));
        let text = english_rdp();
        for (i, _) in text.char_indices() {
            let _ = parse(text.get(..i).unwrap());
        }
        let cut = text.get(..text.find("Cert Hash").unwrap()).unwrap();
        let s = parse(cut).unwrap();
        assert_eq!(s.entries.len(), 1);
        assert_eq!(s.entries[0].thumbprint, None);
        assert_eq!(s.entries[0].private_key, None);
        assert_eq!(s.command_ok, None);
        assert_eq!(separator_index("=========="), None);
        assert_eq!(
            separator_index("===== Certificate 99999999999 ====="),
            Some(None)
        );
    }

    #[test]
    fn random_noise_never_panics() {
        for seed in 0..1500u64 {
            let s = noise(seed, (seed % 300) as usize);
            let _ = sniff(&s);
            let _ = parse(&s);
        }
    }
}

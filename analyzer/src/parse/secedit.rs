//! `secedit /export /cfg <file> [/areas USER_RIGHTS SECURITYPOLICY]`: the local security
//! database as an INF file.
//!
//! secedit writes UTF-16LE with a BOM and CRLF: a `[Unicode]` section (`Unicode=yes`), then one
//! section per area (`[Privilege Rights]`, `[System Access]`, `[Registry Values]`...) and a
//! `[Version]` section (`signature="$CHICAGO$"`). The database holds the *effective* settings:
//! what Group Policy applied is merged in, so this is what LSA enforces at logon.
//!
//! User rights are `SeRemoteInteractiveLogonRight = *S-1-5-32-544,*S-1-5-32-555`: accounts as
//! `*SID`, or by name when secedit could not map them (`NT SERVICE\ALL SERVICES`, a deleted
//! account's name). A right nobody holds is not written at all, so the absence of
//! `SeRemoteInteractiveLogonRight` in an export that has a `[Privilege Rights]` section means
//! that nobody may log on through Remote Desktop. Nothing in the file is translated.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Most entries kept (a full export has a few hundred).
const MAX_ENTRIES: usize = 100_000;
/// Most accounts kept per right.
const MAX_PRINCIPALS: usize = 10_000;
/// Longest key or value kept, in characters.
const MAX_VALUE_CHARS: usize = 64 * 1024;
/// Lines `sniff` looks at.
const SNIFF_LINES: usize = 40;

/// One `key = value` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InfEntry {
    pub key: String,
    /// The value as written, trimmed (quotes kept).
    pub value: String,
    /// 1-based line.
    pub line: usize,
}

/// One `[Section]` and its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InfSection {
    /// Name between the brackets, as written (`Privilege Rights`).
    pub name: String,
    pub line: usize,
    pub entries: Vec<InfEntry>,
}

/// The whole export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SeceditInf {
    pub sections: Vec<InfSection>,
}

/// An account a right is granted to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// As written, without the `*` (`S-1-5-32-555` or `CONTOSO\RDP-Admins`).
    pub raw: String,
    /// The SID when the entry is `*S-...`.
    pub sid: Option<String>,
}

impl Principal {
    /// `Remote Desktop Users (S-1-5-32-555)` for well-known SIDs, else the raw entry.
    pub fn display(&self) -> String {
        match self.sid.as_deref().and_then(well_known_sid_name) {
            Some(name) => format!("{name} ({})", self.raw),
            None => self.raw.clone(),
        }
    }

    /// Whether this is `sid` (case-insensitive), by SID.
    pub fn is_sid(&self, sid: &str) -> bool {
        self.sid
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(sid))
    }
}

/// A user right and its accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRight<'a> {
    pub entry: &'a InfEntry,
    pub principals: Vec<Principal>,
}

impl SeceditInf {
    /// The section named `name` (case-insensitive).
    pub fn section(&self, name: &str) -> Option<&InfSection> {
        self.sections
            .iter()
            .find(|s| s.name.trim().eq_ignore_ascii_case(name))
    }

    /// The export covers user rights (it has a `[Privilege Rights]` section), so a right that
    /// is missing from it is held by nobody.
    pub fn has_user_rights(&self) -> bool {
        self.section("Privilege Rights").is_some()
    }

    /// The accounts holding `right` (`SeRemoteInteractiveLogonRight`); `None` when the right is
    /// not listed (held by nobody, if [`SeceditInf::has_user_rights`]).
    pub fn user_right(&self, right: &str) -> Option<UserRight<'_>> {
        let entry = self
            .section("Privilege Rights")?
            .entries
            .iter()
            .find(|e| e.key.eq_ignore_ascii_case(right))?;
        Some(UserRight {
            entry,
            principals: principals(&entry.value),
        })
    }

    /// A `[Registry Values]` entry by its path (`MACHINE\System\...\FIPSAlgorithmPolicy\Enabled`),
    /// with its data (the part after the `type,` prefix: `4,1` gives `1`).
    pub fn registry_value(&self, path: &str) -> Option<(&InfEntry, &str)> {
        let entry = self
            .section("Registry Values")?
            .entries
            .iter()
            .find(|e| e.key.eq_ignore_ascii_case(path))?;
        let data = entry
            .value
            .split_once(',')
            .map(|(_, d)| d.trim())
            .unwrap_or("");
        Some((entry, data))
    }
}

/// Splits a right's value into accounts.
pub fn principals(value: &str) -> Vec<Principal> {
    value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .take(MAX_PRINCIPALS)
        .map(|p| {
            let raw = p.trim_start_matches('*').trim().to_string();
            let sid = (p.starts_with('*') || is_sid(&raw)).then(|| raw.to_ascii_uppercase());
            Principal { raw, sid }
        })
        .collect()
}

/// `S-1-...` with numeric parts.
pub fn is_sid(s: &str) -> bool {
    let mut parts = s.split('-');
    matches!(parts.next(), Some(p) if p.eq_ignore_ascii_case("S"))
        && s.split('-').count() >= 3
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// The last sub-authority (the RID) of a SID.
pub fn sid_rid(sid: &str) -> Option<u32> {
    sid.rsplit('-').next()?.parse().ok()
}

/// English names of the SIDs an RDP check meets, including the per-domain RIDs (500, 501,
/// 512-515) of `S-1-5-21-...` SIDs.
pub fn well_known_sid_name(sid: &str) -> Option<&'static str> {
    let s = sid.to_ascii_uppercase();
    let fixed = match s.as_str() {
        "S-1-1-0" => Some("Everyone"),
        "S-1-5-2" => Some("NETWORK"),
        "S-1-5-4" => Some("INTERACTIVE"),
        "S-1-5-6" => Some("SERVICE"),
        "S-1-5-7" => Some("ANONYMOUS LOGON"),
        "S-1-5-11" => Some("Authenticated Users"),
        "S-1-5-14" => Some("Remote Interactive Logon"),
        "S-1-5-18" => Some("SYSTEM"),
        "S-1-5-19" => Some("LOCAL SERVICE"),
        "S-1-5-20" => Some("NETWORK SERVICE"),
        "S-1-5-32-544" => Some("Administrators"),
        "S-1-5-32-545" => Some("Users"),
        "S-1-5-32-546" => Some("Guests"),
        "S-1-5-32-551" => Some("Backup Operators"),
        "S-1-5-32-555" => Some("Remote Desktop Users"),
        "S-1-5-113" => Some("Local account"),
        "S-1-5-114" => Some("Local account and member of Administrators group"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    if s.starts_with("S-1-5-21-") {
        return match sid_rid(&s)? {
            500 => Some("Administrator (built-in account)"),
            501 => Some("Guest (built-in account)"),
            512 => Some("Domain Admins"),
            513 => Some("Domain Users"),
            514 => Some("Domain Guests"),
            515 => Some("Domain Computers"),
            _ => None,
        };
    }
    None
}

/// True for a secedit export: a `[Unicode]`/`[Privilege Rights]`/`[Version]` header near the
/// top together with `Unicode=yes`, `signature="$CHICAGO$"` or a `Se...Right = ` line.
pub fn sniff(text: &str) -> bool {
    let mut header = false;
    let mut marker = false;
    for (_, line) in text::lines(text).take(SNIFF_LINES) {
        let l = line.trim().trim_start_matches('\u{feff}');
        if let Some(name) = section_name(l) {
            header |= ["Unicode", "Privilege Rights", "Version", "System Access"]
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n));
            continue;
        }
        let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
        let lower = compact.to_ascii_lowercase();
        marker |= lower == "unicode=yes"
            || lower.starts_with("signature=\"$chicago$\"")
            || split_entry(l).is_some_and(|(k, _)| is_privilege_name(k));
    }
    header && marker
}

fn is_privilege_name(k: &str) -> bool {
    k.starts_with("Se")
        && (k.ends_with("Right") || k.ends_with("Privilege"))
        && k.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Parses the export. Fails when there is no section at all.
pub fn parse(text: &str) -> Result<SeceditInf, ParseError> {
    let mut out = SeceditInf::default();
    let mut entries = 0usize;
    for (n, line) in text::lines(text) {
        let l = line.trim().trim_start_matches('\u{feff}').trim();
        if l.is_empty() || l.starts_with(';') {
            continue;
        }
        if let Some(name) = section_name(l) {
            out.sections.push(InfSection {
                name: clip(name),
                line: n,
                entries: Vec::new(),
            });
            continue;
        }
        let (Some(section), Some((k, v))) = (out.sections.last_mut(), split_entry(l)) else {
            continue;
        };
        if entries >= MAX_ENTRIES {
            break;
        }
        entries += 1;
        section.entries.push(InfEntry {
            key: clip(k),
            value: clip(v),
            line: n,
        });
    }
    if out.sections.is_empty() {
        return Err(ParseError::new(
            "no INF section ([Privilege Rights], [Version]...) found",
        ));
    }
    Ok(out)
}

fn section_name(l: &str) -> Option<&str> {
    let inner = l.strip_prefix('[')?.strip_suffix(']')?;
    (!inner.is_empty() && !inner.contains(['[', ']', '\\'])).then_some(inner.trim())
}

fn split_entry(l: &str) -> Option<(&str, &str)> {
    let (k, v) = l.split_once('=')?;
    let k = k.trim();
    (!k.is_empty()).then_some((k, v.trim()))
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_VALUE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `secedit /export /areas USER_RIGHTS` on a Windows 11 member workstation, as the file
    /// reads once decoded (secedit writes UTF-16LE with a BOM).
    fn export() -> String {
        [
            "[Unicode]",
            "Unicode=yes",
            "[Privilege Rights]",
            "SeNetworkLogonRight = *S-1-1-0,*S-1-5-32-544,*S-1-5-32-545,*S-1-5-32-551",
            "SeBackupPrivilege = *S-1-5-32-544,*S-1-5-32-551",
            "SeInteractiveLogonRight = Guest,*S-1-5-32-544,*S-1-5-32-545,*S-1-5-32-551",
            "SeRemoteInteractiveLogonRight = *S-1-5-32-544,*S-1-5-32-555",
            "SeServiceLogonRight = NT SERVICE\\ALL SERVICES,*S-1-5-80-0",
            "SeDenyRemoteInteractiveLogonRight = *S-1-5-113",
            "[Version]",
            "signature=\"$CHICAGO$\"",
            "Revision=1",
            "",
        ]
        .join("\r\n")
    }

    fn utf16(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn user_rights_by_sid_and_by_name() {
        let text = text::decode(&utf16(&export()), None).text;
        assert!(sniff(&text));
        let inf = parse(&text).unwrap();
        assert!(inf.has_user_rights());
        let r = inf.user_right("SeRemoteInteractiveLogonRight").unwrap();
        assert_eq!(r.entry.line, 7);
        assert_eq!(r.principals.len(), 2);
        assert!(r.principals[1].is_sid("S-1-5-32-555"));
        assert_eq!(
            r.principals[1].display(),
            "Remote Desktop Users (S-1-5-32-555)"
        );
        let svc = inf.user_right("SeServiceLogonRight").unwrap();
        assert_eq!(svc.principals[0].raw, "NT SERVICE\\ALL SERVICES");
        assert_eq!(svc.principals[0].sid, None);
        let deny = inf.user_right("sedenyremoteinteractivelogonright").unwrap();
        assert_eq!(deny.principals[0].display(), "Local account (S-1-5-113)");
        assert!(inf.user_right("SeTcbPrivilege").is_none());
    }

    #[test]
    fn registry_values_section() {
        let text = "[Unicode]\r\nUnicode=yes\r\n[Registry Values]\r\nMACHINE\\System\\CurrentControlSet\\Control\\Lsa\\FIPSAlgorithmPolicy\\Enabled=4,1\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\n";
        assert!(sniff(text));
        let inf = parse(text).unwrap();
        assert!(!inf.has_user_rights());
        let (e, data) = inf
            .registry_value(
                "machine\\system\\currentcontrolset\\control\\lsa\\fipsalgorithmpolicy\\enabled",
            )
            .unwrap();
        assert_eq!((e.line, data), (4, "1"));
    }

    #[test]
    fn empty_right_value_and_sid_helpers() {
        let inf = parse("[Privilege Rights]\nSeRemoteInteractiveLogonRight =\n").unwrap();
        assert!(inf
            .user_right("SeRemoteInteractiveLogonRight")
            .unwrap()
            .principals
            .is_empty());
        assert!(is_sid("S-1-5-21-1-2-3-513"));
        assert!(!is_sid("S-1-x"));
        assert!(!is_sid("Guest"));
        assert_eq!(
            well_known_sid_name("S-1-5-21-1004336348-1177238915-682003330-513"),
            Some("Domain Users")
        );
        assert_eq!(well_known_sid_name("S-1-5-21-1-2-3-1105"), None);
    }

    #[test]
    fn not_secedit() {
        assert!(!sniff("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n\"a\"=dword:00000001\r\n"));
        assert!(!sniff("[Version]\r\nfoo=bar\r\n"));
        assert!(!sniff(""));
        assert!(parse("").is_err());
        assert!(parse("just text\r\nno sections").is_err());
    }

    #[test]
    fn truncated_and_noise_never_panic() {
        let full = export();
        for cut in 0..full.len() {
            if full.is_char_boundary(cut) {
                let _ = parse(&full[..cut]);
                let _ = sniff(&full[..cut]);
            }
        }
        let noise: String = (0..4000u32)
            .map(|i| char::from_u32((i * 7919) % 0x2FFF).unwrap_or('='))
            .collect();
        let _ = parse(&noise);
        let _ = parse("[[]]\n=\n[a\n]=]\n*,*,*\n[Privilege Rights]\n=,*\nSe=*S-");
    }
}

//! `icacls <path>`: the access control list of a file or folder, here the MachineKeys folder
//! that holds the Remote Desktop certificate's private key.
//!
//! icacls prints the path, a space and the first entry on one line, then one entry per line
//! indented to the width of the path, a blank line, and a summary:
//!
//! ```text
//! C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys Everyone:(R,W)
//!                                                 BUILTIN\Administrators:(F)
//!
//! Successfully processed 1 files; Failed processing 0 files
//! ```
//!
//! Paths and account names both contain spaces (`NT AUTHORITY\NETWORK SERVICE`), so the
//! boundary between them comes from the indentation of the next line, or, for a single entry,
//! from the account names we know. Account names are translated on non-English Windows
//! (`VORDEFINIERT\Administratoren`, `AUTORITE NT\Système`) and so is the summary; the summary
//! is read by its two numbers (processed, then failed), which every translation keeps in that
//! order. Rights codes (`F`, `RX`, `(OI)(CI)`) are never translated.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Upper bound on entries kept, so a hostile file cannot make us allocate without limit.
const MAX_ACES: usize = 100_000;

/// Accounts a check cares about, recognised in the languages we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum WellKnown {
    Everyone,
    Administrators,
    System,
    NetworkService,
    LocalService,
    Users,
    AuthenticatedUsers,
    CreatorOwner,
    TrustedInstaller,
}

/// One access control entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ace {
    /// Account as printed (`BUILTIN\Administrators`, `Jeder`, `S-1-5-21-...-1001`).
    pub principal: String,
    pub well_known: Option<WellKnown>,
    /// Inheritance flags without parentheses: "OI", "CI", "IO", "NP", "I".
    pub flags: Vec<String>,
    /// The entry came from the parent folder (`(I)`).
    pub inherited: bool,
    /// Rights codes: `["F"]`, `["R", "W"]`, `["RX"]`, `["GR", "GE"]`, `["Rc", "S", "RD"]`...
    pub rights: Vec<String>,
    /// A deny entry (`(DENY)`).
    pub deny: bool,
    /// 1-based line of the entry.
    pub line: usize,
}

/// The entries of one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathAcl {
    pub path: String,
    pub aces: Vec<Ace>,
    /// 1-based line of the path.
    pub line: usize,
}

/// Everything icacls printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct IcaclsOutput {
    pub paths: Vec<PathAcl>,
    /// First number of the summary line ("Successfully processed N files").
    pub processed_ok: Option<u32>,
    /// Second number of the summary line ("Failed processing N files").
    pub processed_failed: Option<u32>,
    /// Lines that are neither entries nor the summary: `C:\x: Access is denied.` and the like,
    /// with their 1-based line.
    pub errors: Vec<(String, usize)>,
}

impl Ace {
    /// Allow entry with full control (`F`, or the generic/maximum-allowed equivalents).
    pub fn grants_full(&self) -> bool {
        !self.deny && self.has_any(&["F", "GA", "MA"])
    }

    /// Allow entry that lets the account read file data (`F`, `M`, `RX`, `R`, `GR`, `RD`...).
    pub fn grants_read(&self) -> bool {
        !self.deny && self.has_any(&["F", "M", "RX", "R", "GR", "GA", "MA", "RD"])
    }

    /// Allow entry that lets the account write file data (`F`, `M`, `W`, `GW`, `WD`, `AD`...).
    pub fn grants_write(&self) -> bool {
        !self.deny && self.has_any(&["F", "M", "W", "GW", "GA", "MA", "WD", "AD"])
    }

    fn has_any(&self, codes: &[&str]) -> bool {
        self.rights
            .iter()
            .any(|r| codes.iter().any(|c| r.eq_ignore_ascii_case(c)))
    }
}

/// Recognises icacls output: an entry (`name:(...)`) on a line that is not indented, or a
/// summary line after such a line.
pub fn sniff(text: &str) -> bool {
    text::lines(text)
        .take(40)
        .any(|(_, l)| !l.starts_with([' ', '\t']) && ace_tail(l).is_some())
}

/// Parses icacls output. Errors when it holds neither an entry nor a summary line.
pub fn parse(text: &str) -> Result<IcaclsOutput, ParseError> {
    let lines: Vec<(usize, &str)> = text::lines(text)
        .map(|(n, l)| (n, l.trim_start_matches('\u{FEFF}').trim_end()))
        .collect();
    let mut out = IcaclsOutput::default();
    let mut current: Option<(PathAcl, usize)> = None; // path and its indentation
    let mut aces = 0usize;
    for (i, &(n, line)) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            close(&mut out, &mut current);
            continue;
        }
        let ind = indent(line);
        if let Some((pos, ace_text)) = ace_tail(line) {
            aces += 1;
            if aces > MAX_ACES {
                return Err(ParseError::at(n, "too many access control entries"));
            }
            let prefix = line.get(..pos).unwrap_or("");
            if let Some((acl, base)) = current.as_mut() {
                if ind > *base {
                    acl.aces.push(ace(prefix.trim(), ace_text, n));
                    continue;
                }
            }
            close(&mut out, &mut current);
            let next_indent = lines
                .get(i + 1)
                .filter(|(_, l)| ace_tail(l).is_some())
                .map(|(_, l)| indent(l))
                .filter(|&w| w > ind)
                .map(|w| w - ind);
            let (path, principal) = split_path(prefix.trim_start(), next_indent);
            current = Some((
                PathAcl {
                    path: path.to_owned(),
                    aces: vec![ace(principal, ace_text, n)],
                    line: n,
                },
                ind,
            ));
            continue;
        }
        close(&mut out, &mut current);
        let t = line.trim();
        match summary_numbers(t) {
            Some((ok, failed)) if !is_path_message(t) => {
                out.processed_ok = Some(ok);
                out.processed_failed = Some(failed);
            }
            _ => out.errors.push((t.to_owned(), n)),
        }
    }
    close(&mut out, &mut current);
    if out.paths.is_empty() && out.processed_ok.is_none() {
        return Err(ParseError::new(
            "no icacls entry (name:(rights)) and no summary line found",
        ));
    }
    Ok(out)
}

fn close(out: &mut IcaclsOutput, current: &mut Option<(PathAcl, usize)>) {
    if let Some((acl, _)) = current.take() {
        out.paths.push(acl);
    }
}

/// Leading whitespace in characters (icacls pads with spaces; a paste may indent the block).
fn indent(line: &str) -> usize {
    line.chars().take_while(|c| c.is_whitespace()).count()
}

/// Finds the entry at the end of `line`: the first `:(` after which the rest of the line is a
/// run of `(...)` groups. Returns the position of that colon and the groups text.
fn ace_tail(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_end();
    t.match_indices(":(").find_map(|(pos, _)| {
        let groups = t.get(pos + 1..)?;
        (pos > 0 && parse_groups(groups).is_some()).then_some((pos, groups))
    })
}

/// `(OI)(CI)(R,W)` to `["OI", "CI", "R,W"]`; `None` unless the whole text is such groups.
fn parse_groups(s: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let inner = rest.strip_prefix('(')?;
        let close = inner.find(')')?;
        let content = inner.get(..close)?;
        if content.is_empty() || content.contains('(') {
            return None;
        }
        out.push(content);
        rest = inner.get(close + 1..)?;
    }
    (!out.is_empty()).then_some(out)
}

fn ace(principal: &str, groups: &str, line: usize) -> Ace {
    let mut a = Ace {
        principal: principal.to_owned(),
        well_known: well_known(principal),
        flags: Vec::new(),
        inherited: false,
        rights: Vec::new(),
        deny: false,
        line,
    };
    for g in parse_groups(groups).unwrap_or_default() {
        let g = g.trim();
        match g {
            "OI" | "CI" | "IO" | "NP" | "I" => {
                a.inherited |= g == "I";
                a.flags.push(g.to_owned());
            }
            "DENY" => a.deny = true,
            _ => a.rights.extend(
                g.split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned),
            ),
        }
    }
    a
}

/// Splits `path principal` (the text before the first entry's colon).
///
/// `width` is how far the next entry line is indented: icacls indents to the path's length
/// plus one, so that is the boundary when it lands on a space. Otherwise (a single entry) the
/// principal is the longest trailing run of words that names a well-known account or a SID,
/// and failing that the last word.
fn split_path(prefix: &str, width: Option<usize>) -> (&str, &str) {
    if let Some(w) = width {
        let at = prefix.char_indices().nth(w.saturating_sub(1));
        if let Some((pos, ' ')) = at {
            if let (Some(p), Some(r)) = (prefix.get(..pos), prefix.get(pos + 1..)) {
                if !r.trim().is_empty() {
                    return (p.trim_end(), r.trim());
                }
            }
        }
    }
    let spaces: Vec<usize> = prefix
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .map(|(i, _)| i)
        .collect();
    let split_at = |pos: usize| -> Option<(&str, &str)> {
        Some((prefix.get(..pos)?.trim_end(), prefix.get(pos + 1..)?.trim()))
    };
    for &pos in &spaces {
        if let Some((p, r)) = split_at(pos) {
            if !p.is_empty() && (well_known(r).is_some() || is_sid(r)) {
                return (p, r);
            }
        }
    }
    match spaces.last().and_then(|&pos| split_at(pos)) {
        Some((p, r)) if !p.is_empty() && !r.is_empty() => (p, r),
        _ => ("", prefix.trim()),
    }
}

fn is_sid(s: &str) -> bool {
    s.strip_prefix("S-1-")
        .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit() || c == '-'))
}

/// A line about one path rather than the summary: `C:\x: Access is denied.`,
/// `\\server\share: ...`.
fn is_path_message(line: &str) -> bool {
    let mut c = line.chars();
    let drive = matches!((c.next(), c.next(), c.next()), (Some(d), Some(':'), Some('\\')) if d.is_ascii_alphabetic());
    (drive || line.starts_with("\\\\")) && line.contains(": ")
}

/// The two numbers of a summary line, in order, when the line has exactly two.
fn summary_numbers(line: &str) -> Option<(u32, u32)> {
    let mut nums = Vec::new();
    let mut cur = String::new();
    for c in line.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            cur.push(c);
        } else if !cur.is_empty() {
            nums.push(cur.parse::<u32>().ok()?);
            cur.clear();
            if nums.len() > 2 {
                return None;
            }
        }
    }
    match nums.as_slice() {
        [a, b] => Some((*a, *b)),
        _ => None,
    }
}

/// Account names per language. English and the Japanese/Spanish defaults are Windows' own
/// spellings; German and French group names are the localized built-in names.
const ACCOUNTS: &[(&str, WellKnown)] = &[
    ("Everyone", WellKnown::Everyone),
    ("Jeder", WellKnown::Everyone),
    ("Tout le monde", WellKnown::Everyone),
    ("Todos", WellKnown::Everyone),
    ("Iedereen", WellKnown::Everyone),
    ("S-1-1-0", WellKnown::Everyone),
    ("BUILTIN\\Administrators", WellKnown::Administrators),
    ("VORDEFINIERT\\Administratoren", WellKnown::Administrators),
    ("BUILTIN\\Administrateurs", WellKnown::Administrators),
    ("BUILTIN\\Administradores", WellKnown::Administrators),
    ("Administrators", WellKnown::Administrators),
    ("S-1-5-32-544", WellKnown::Administrators),
    ("NT AUTHORITY\\SYSTEM", WellKnown::System),
    ("NT-AUTORITÄT\\SYSTEM", WellKnown::System),
    ("AUTORITE NT\\Système", WellKnown::System),
    ("AUTORITE NT\\SYSTEM", WellKnown::System),
    ("AUTORIDAD NT\\SYSTEM", WellKnown::System),
    ("SYSTEM", WellKnown::System),
    ("S-1-5-18", WellKnown::System),
    ("NT AUTHORITY\\NETWORK SERVICE", WellKnown::NetworkService),
    ("NT-AUTORITÄT\\NETZWERKDIENST", WellKnown::NetworkService),
    ("AUTORITE NT\\SERVICE RÉSEAU", WellKnown::NetworkService),
    ("NT AUTHORITY\\Servicio de red", WellKnown::NetworkService),
    ("AUTORIDAD NT\\Servicio de red", WellKnown::NetworkService),
    ("S-1-5-20", WellKnown::NetworkService),
    ("NT AUTHORITY\\LOCAL SERVICE", WellKnown::LocalService),
    ("NT-AUTORITÄT\\LOKALER DIENST", WellKnown::LocalService),
    ("AUTORITE NT\\SERVICE LOCAL", WellKnown::LocalService),
    ("NT AUTHORITY\\Servicio local", WellKnown::LocalService),
    ("AUTORIDAD NT\\Servicio local", WellKnown::LocalService),
    ("S-1-5-19", WellKnown::LocalService),
    ("BUILTIN\\Users", WellKnown::Users),
    ("VORDEFINIERT\\Benutzer", WellKnown::Users),
    ("BUILTIN\\Utilisateurs", WellKnown::Users),
    ("BUILTIN\\Usuarios", WellKnown::Users),
    ("S-1-5-32-545", WellKnown::Users),
    (
        "NT AUTHORITY\\Authenticated Users",
        WellKnown::AuthenticatedUsers,
    ),
    (
        "NT-AUTORITÄT\\Authentifizierte Benutzer",
        WellKnown::AuthenticatedUsers,
    ),
    (
        "AUTORITE NT\\Utilisateurs authentifiés",
        WellKnown::AuthenticatedUsers,
    ),
    (
        "NT AUTHORITY\\Usuarios autentificados",
        WellKnown::AuthenticatedUsers,
    ),
    (
        "AUTORIDAD NT\\Usuarios autentificados",
        WellKnown::AuthenticatedUsers,
    ),
    ("S-1-5-11", WellKnown::AuthenticatedUsers),
    ("CREATOR OWNER", WellKnown::CreatorOwner),
    ("ERSTELLER-BESITZER", WellKnown::CreatorOwner),
    ("CREATEUR PROPRIETAIRE", WellKnown::CreatorOwner),
    ("CRÉATEUR PROPRIÉTAIRE", WellKnown::CreatorOwner),
    ("CREADOR PROPIETARIO", WellKnown::CreatorOwner),
    ("S-1-3-0", WellKnown::CreatorOwner),
    ("NT SERVICE\\TrustedInstaller", WellKnown::TrustedInstaller),
    ("NT-DIENST\\TrustedInstaller", WellKnown::TrustedInstaller),
    (
        "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
        WellKnown::TrustedInstaller,
    ),
];

/// Recognises a well-known account, case-insensitively, also when its non-ASCII letters were
/// mangled by a code page mix-up (`AUTORITE NT\Syst‚me`).
pub fn well_known(principal: &str) -> Option<WellKnown> {
    let p = principal.trim();
    if p.is_empty() {
        return None;
    }
    let full = key(p, false);
    if let Some((_, w)) = ACCOUNTS.iter().find(|(n, _)| key(n, false) == full) {
        return Some(*w);
    }
    let ascii = key(p, true);
    if ascii.len() >= 5 {
        if let Some((_, w)) = ACCOUNTS.iter().find(|(n, _)| key(n, true) == ascii) {
            return Some(*w);
        }
    }
    // The TrustedInstaller service account's domain part is translated too.
    if full.ends_with("\\trustedinstaller") {
        return Some(WellKnown::TrustedInstaller);
    }
    None
}

/// Lowercase letters, digits, `\` and `-`; with `ascii_only`, non-ASCII letters dropped.
fn key(s: &str, ascii_only: bool) -> String {
    s.chars()
        .filter(|c| {
            (c.is_alphanumeric() || *c == '\\' || *c == '-') && (!ascii_only || c.is_ascii())
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testutil::noise;

    fn crlf(s: &str) -> String {
        s.replace("\r\n", "\n").replace('\n', "\r\n")
    }

    const MK: &str = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys";

    #[test]
    fn english_machinekeys_two_entries() {
        let text = crlf(
            "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys Everyone:(R,W)
                                                BUILTIN\\Administrators:(F)

Successfully processed 1 files; Failed processing 0 files
",
        );
        assert!(sniff(&text));
        let o = parse(&text).unwrap();
        assert_eq!(o.paths.len(), 1);
        let p = &o.paths[0];
        assert_eq!(p.path, MK);
        assert_eq!(p.line, 1);
        assert_eq!(p.aces.len(), 2);
        let e = &p.aces[0];
        assert_eq!(e.principal, "Everyone");
        assert_eq!(e.well_known, Some(WellKnown::Everyone));
        assert_eq!(e.rights, vec!["R", "W"]);
        assert!(e.grants_read() && e.grants_write() && !e.grants_full());
        let a = &p.aces[1];
        assert_eq!(a.principal, "BUILTIN\\Administrators");
        assert_eq!(a.well_known, Some(WellKnown::Administrators));
        assert_eq!(a.line, 2);
        assert!(a.grants_full() && a.grants_read() && a.grants_write());
        assert_eq!(o.processed_ok, Some(1));
        assert_eq!(o.processed_failed, Some(0));
        assert!(o.errors.is_empty());
        assert_eq!(parse(&text.replace("\r\n", "\n")).unwrap(), o);
    }

    #[test]
    fn flags_special_rights_deny_and_spaces_in_names() {
        let text = crlf(
            "C:\\Program Files\\My App NT AUTHORITY\\NETWORK SERVICE:(OI)(CI)(RX)
                        Everyone:(OI)(CI)(DENY)(W)
                        CREATOR OWNER:(OI)(CI)(IO)(GA)
                        NT AUTHORITY\\SYSTEM:(I)(OI)(CI)(F)
                        BUILTIN\\Users:(I)(Rc,S,RD,REA,X,RA)
                        NT SERVICE\\TrustedInstaller:(I)(CI)(IO)(M)
                        S-1-5-21-1004336348-1177238915-682003330-1001:(I)(GR,GE)
                        NT AUTHORITY\\Authenticated Users:(I)(M)

Successfully processed 1 files; Failed processing 0 files
",
        );
        let o = parse(&text).unwrap();
        let p = &o.paths[0];
        assert_eq!(p.path, "C:\\Program Files\\My App");
        let a = &p.aces;
        assert_eq!(a.len(), 8);
        assert_eq!(a[0].well_known, Some(WellKnown::NetworkService));
        assert_eq!(a[0].flags, vec!["OI", "CI"]);
        assert!(a[0].grants_read() && !a[0].grants_write());
        assert!(a[1].deny && !a[1].grants_write());
        assert_eq!(a[1].rights, vec!["W"]);
        assert!(a[2].grants_full() && !a[2].inherited);
        assert_eq!(a[2].well_known, Some(WellKnown::CreatorOwner));
        assert!(a[3].inherited);
        assert_eq!(a[3].flags, vec!["I", "OI", "CI"]);
        assert_eq!(a[4].rights, vec!["Rc", "S", "RD", "REA", "X", "RA"]);
        assert!(a[4].grants_read() && !a[4].grants_write());
        assert_eq!(a[5].well_known, Some(WellKnown::TrustedInstaller));
        assert!(a[5].grants_write() && !a[5].grants_full());
        assert_eq!(a[6].well_known, None);
        assert!(a[6].grants_read());
        assert_eq!(a[7].well_known, Some(WellKnown::AuthenticatedUsers));
    }

    #[test]
    fn single_entry_splits_on_known_account_or_last_word() {
        let o = parse("C:\\Program Files\\X NT AUTHORITY\\SYSTEM:(F)\r\n").unwrap();
        assert_eq!(o.paths[0].path, "C:\\Program Files\\X");
        assert_eq!(o.paths[0].aces[0].principal, "NT AUTHORITY\\SYSTEM");
        let o = parse("C:\\a b\\key.pfx S-1-5-21-1-2-3-500:(F)\n").unwrap();
        assert_eq!(o.paths[0].path, "C:\\a b\\key.pfx");
        let o = parse("C:\\a b\\c HOST\\alice:(R)\n").unwrap();
        assert_eq!(o.paths[0].path, "C:\\a b\\c");
        assert_eq!(o.paths[0].aces[0].principal, "HOST\\alice");
        assert_eq!(o.processed_ok, None);
    }

    #[test]
    fn access_denied_and_missing_path() {
        let text = crlf(
            "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys: Access is denied.
Successfully processed 0 files; Failed processing 1 files
",
        );
        let o = parse(&text).unwrap();
        assert!(o.paths.is_empty());
        assert_eq!(o.processed_ok, Some(0));
        assert_eq!(o.processed_failed, Some(1));
        assert_eq!(o.errors, vec![(format!("{MK}: Access is denied."), 1)]);
        // A path with two numbers in it is still an error line, not the summary.
        let o = parse("C:\\a1\\b2: Zugriff verweigert\r\nx:(F) y\r\nC:\\z Jeder:(F)\r\n").unwrap();
        assert_eq!(o.errors.len(), 2);
        assert_eq!(o.processed_ok, None);
    }

    #[test]
    fn german_names_and_summary() {
        // Account names as German Windows prints them; the summary wording is not verified,
        // the parser reads its two numbers only.
        let text = crlf(
            "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys Jeder:(R,W)
                                                VORDEFINIERT\\Administratoren:(F)
                                                NT-AUTORITÄT\\SYSTEM:(I)(OI)(CI)(F)
                                                NT-AUTORITÄT\\NETZWERKDIENST:(R)

1 Dateien erfolgreich verarbeitet, bei 0 Dateien ist ein Verarbeitungsfehler aufgetreten.
",
        );
        let o = parse(&text).unwrap();
        let wk: Vec<_> = o.paths[0].aces.iter().map(|a| a.well_known).collect();
        assert_eq!(
            wk,
            vec![
                Some(WellKnown::Everyone),
                Some(WellKnown::Administrators),
                Some(WellKnown::System),
                Some(WellKnown::NetworkService)
            ]
        );
        assert_eq!((o.processed_ok, o.processed_failed), (Some(1), Some(0)));
        // Written in CP850, read as Windows-1252: Ä becomes Ž.
        let raw = oem_cp::encode_string_lossy(&text, &oem_cp::code_table::ENCODING_TABLE_CP850);
        let mojibake = encoding_rs::WINDOWS_1252.decode(&raw).0.into_owned();
        assert!(mojibake.contains("NT-AUTORIT\u{17D}T"));
        let m = parse(&mojibake).unwrap();
        let wk2: Vec<_> = m.paths[0].aces.iter().map(|a| a.well_known).collect();
        assert_eq!(wk2, wk);
    }

    #[test]
    fn french_names_and_summary() {
        // Summary wording as French Windows prints it.
        let text = crlf(
            "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys Tout le monde:(R,W)
                                                BUILTIN\\Administrateurs:(F)
                                                AUTORITE NT\\Système:(I)(OI)(CI)(F)
                                                AUTORITE NT\\Utilisateurs authentifiés:(I)(M)
                                                AUTORITE NT\\SERVICE RÉSEAU:(RX)

1 fichiers correctement traités ; échec du traitement de 0 fichiers
",
        );
        let o = parse(&text).unwrap();
        let a = &o.paths[0].aces;
        assert_eq!(a[0].principal, "Tout le monde");
        assert_eq!(a[0].well_known, Some(WellKnown::Everyone));
        assert_eq!(a[1].well_known, Some(WellKnown::Administrators));
        assert_eq!(a[2].well_known, Some(WellKnown::System));
        assert_eq!(a[3].well_known, Some(WellKnown::AuthenticatedUsers));
        assert_eq!(a[4].well_known, Some(WellKnown::NetworkService));
        assert_eq!((o.processed_ok, o.processed_failed), (Some(1), Some(0)));
        let raw = oem_cp::encode_string_lossy(&text, &oem_cp::code_table::ENCODING_TABLE_CP850);
        let mojibake = encoding_rs::WINDOWS_1252.decode(&raw).0.into_owned();
        let m = parse(&mojibake).unwrap();
        assert_eq!(m.paths[0].aces[2].well_known, Some(WellKnown::System));
        assert_eq!(m.paths[0].path, MK);
    }

    #[test]
    fn spanish_names() {
        // Spanish group names; summary wording not verified.
        let text = crlf(
            "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys Todos:(R,W)
                                                BUILTIN\\Administradores:(F)

Se procesaron correctamente 1 archivos; error al procesar 0 archivos
",
        );
        let o = parse(&text).unwrap();
        assert_eq!(o.paths[0].aces[0].well_known, Some(WellKnown::Everyone));
        assert_eq!(
            o.paths[0].aces[1].well_known,
            Some(WellKnown::Administrators)
        );
        assert_eq!((o.processed_ok, o.processed_failed), (Some(1), Some(0)));
    }

    #[test]
    fn japanese_output() {
        // Layout of a real Japanese capture: account names stay English, summary translated,
        // error lines `name: message`.
        let text = crlf(
            "config.json NT AUTHORITY\\SYSTEM:(F)
            BUILTIN\\Administrators:(F)
            9800X3D\\user:(F)

1 個のファイルが正常に処理されました。0 個のファイルを処理できませんでした
",
        );
        let o = parse(&text).unwrap();
        assert_eq!(o.paths[0].path, "config.json");
        assert_eq!(o.paths[0].aces.len(), 3);
        assert_eq!(o.paths[0].aces[0].well_known, Some(WellKnown::System));
        assert_eq!(o.paths[0].aces[2].principal, "9800X3D\\user");
        assert_eq!((o.processed_ok, o.processed_failed), (Some(1), Some(0)));
        let err = crlf(
            "history.json: 指定されたファイルが見つかりません。
0 個のファイルが正常に処理されました。1 個のファイルを処理できませんでした
",
        );
        let o = parse(&err).unwrap();
        assert_eq!(o.errors.len(), 1);
        assert_eq!((o.processed_ok, o.processed_failed), (Some(0), Some(1)));
    }

    #[test]
    fn pasted_with_indentation_and_several_paths() {
        let text =
            "    C:\\a Everyone:(F)\n         BUILTIN\\Users:(R)\n    C:\\b BUILTIN\\Users:(R)\n";
        let o = parse(text).unwrap();
        assert_eq!(o.paths.len(), 2);
        assert_eq!(o.paths[0].path, "C:\\a");
        assert_eq!(o.paths[0].aces.len(), 2);
        assert_eq!(o.paths[1].path, "C:\\b");
    }

    #[test]
    fn garbage_empty_truncated() {
        assert!(parse("").is_err());
        assert!(parse("\r\n").is_err());
        assert!(parse("hello\r\nworld").is_err());
        assert!(!sniff("Rule Name:    x\r\n"));
        assert!(parse("C:\\x Everyone:(").is_err());
        assert!(parse("C:\\x Everyone:()").is_err());
        assert!(parse("C:\\x Everyone:(F)(").is_err());
        let text = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys Everyone:(R,W)\r\n                                                BUILTIN\\Administrators:(F)\r\n\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n";
        for (i, _) in text.char_indices() {
            let _ = parse(text.get(..i).unwrap());
        }
        assert_eq!(summary_numbers("1 2 3"), None);
        assert_eq!(summary_numbers("99999999999 files; 0"), None);
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

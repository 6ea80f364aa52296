//! `net localgroup "<group>"`: the direct members of one local group.
//!
//! net prints a header block (`Alias name     Remote Desktop Users`, `Comment        ...`), a
//! blank line, `Members`, a blank line, a line of 79 dashes, one member per line
//! (`CONTOSO\Domain Users`, `jdoe`), and `The command completed successfully.` All labels and
//! the closing sentence are translated (`Aliasname`/`Mitglieder`/`Der Befehl wurde erfolgreich
//! ausgeführt.`), and so is the group's own name (`Remotedesktopbenutzer`), so the block is read
//! by shape: the first header line's value is the group, the lines after the dashes are members,
//! and the last of them is the closing sentence when it reads like one. A missing group prints
//! `System error 1376 has occurred.` and a sentence instead.
//!
//! Only direct members are listed: a domain group in the list (`CONTOSO\Domain Users`) is
//! expanded by LSA at logon, not here.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Most members kept.
const MAX_MEMBERS: usize = 100_000;
/// Longest name kept, in characters.
const MAX_NAME_CHARS: usize = 512;
/// Lines `sniff` looks at.
const SNIFF_LINES: usize = 30;

/// One member line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// As printed: `CONTOSO\jdoe`, `jdoe`, `NT AUTHORITY\Authenticated Users`, or a SID for an
    /// account that no longer resolves.
    pub name: String,
    pub line: usize,
}

/// What `net localgroup <group>` printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct LocalGroup {
    /// The group name from the first header line (`Remote Desktop Users`).
    pub name: Option<String>,
    /// 1-based line of the header (or of the error).
    pub line: usize,
    pub comment: Option<String>,
    pub members: Vec<Member>,
    /// 1-based line of the dashes line: members start after it (0 without one).
    pub dashes_line: usize,
    /// The closing sentence was seen, so the member list is complete.
    pub completed: bool,
    /// `System error <code> has occurred.` and the sentence after it.
    pub error: Option<(u32, String)>,
}

/// The built-in group S-1-5-32-555 in the languages we know (English verified; the others are
/// the display names Windows uses in those languages, not checked against real output).
pub const REMOTE_DESKTOP_USERS_NAMES: &[&str] = &[
    "Remote Desktop Users",
    "Remotedesktopbenutzer",
    "Utilisateurs du Bureau à distance",
    "Usuarios de escritorio remoto",
    "Utenti desktop remoto",
    "Usuários da área de trabalho remota",
    "Gebruikers van Extern bureaublad",
    "Пользователи удаленного рабочего стола",
];

/// Header labels of the first line (English verified; others unverified translations).
const ALIAS_LABELS: &[&str] = &[
    "Alias name",
    "Aliasname",
    "Nom d'alias",
    "Nombre de alias",
    "Nome alias",
    "エイリアス名",
];

/// The closing sentence (English verified; others unverified translations).
const COMPLETED: &[&str] = &[
    "The command completed successfully.",
    "Der Befehl wurde erfolgreich ausgeführt.",
    "La commande s'est terminée correctement.",
    "Se ha completado el comando correctamente.",
    "Esecuzione comando riuscita.",
    "コマンドは正常に終了しました。",
];

impl LocalGroup {
    /// Whether this is the Remote Desktop Users group (by its name in a known language).
    pub fn is_remote_desktop_users(&self) -> bool {
        self.name.as_deref().is_some_and(|n| {
            let n = n.trim().to_lowercase();
            REMOTE_DESKTOP_USERS_NAMES
                .iter()
                .any(|k| k.to_lowercase() == n)
        })
    }

    /// Whether `account` (`DOMAIN\user`, `user`) is a direct member, comparing the user part
    /// when either side has no domain.
    pub fn has_member(&self, account: &str) -> bool {
        let want = account.trim().to_lowercase();
        let want_user = want.rsplit('\\').next().unwrap_or(&want).to_string();
        self.members.iter().any(|m| {
            let have = m.name.trim().to_lowercase();
            if have == want {
                return true;
            }
            let have_user = have.rsplit('\\').next().unwrap_or(&have);
            (!have.contains('\\') || !want.contains('\\')) && have_user == want_user
        })
    }
}

/// True for `net localgroup <group>` output: a dashes line with, above it, a `label   value`
/// first line (a known alias label, or any label without a colon) and a one-word line (Members).
pub fn sniff(text: &str) -> bool {
    let lines: Vec<&str> = text::lines(text)
        .take(SNIFF_LINES)
        .map(|(_, l)| l.trim_start_matches('\u{feff}'))
        .collect();
    let Some(dash) = lines.iter().position(|l| is_dashes(l)) else {
        return false;
    };
    let above: Vec<&str> = lines
        .get(..dash)
        .unwrap_or(&[])
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let (Some(first), Some(last)) = (above.first(), above.last()) else {
        return false;
    };
    if above.len() < 2 || first.contains([':', '：']) {
        return false;
    }
    let known = ALIAS_LABELS.iter().any(|l| first.starts_with(l));
    let shaped = split_label(first).is_some() && !last.trim().contains(char::is_whitespace);
    known || (shaped && above.len() <= 4)
}

/// Parses the output. Fails when it has neither the dashes line nor a system error.
pub fn parse(text: &str) -> Result<LocalGroup, ParseError> {
    let lines: Vec<(usize, &str)> = text::lines(text)
        .map(|(n, l)| (n, l.trim_start_matches('\u{feff}')))
        .collect();
    let Some(dash) = lines.iter().position(|(_, l)| is_dashes(l)) else {
        return system_error(&lines).ok_or_else(|| {
            ParseError::new("no member list (a line of dashes) and no system error found")
        });
    };
    let mut out = LocalGroup {
        dashes_line: lines.get(dash).map(|(n, _)| *n).unwrap_or(0),
        ..LocalGroup::default()
    };
    let header: Vec<(usize, &str)> = lines
        .get(..dash)
        .unwrap_or(&[])
        .iter()
        .copied()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    if let Some((n, first)) = header.first() {
        out.line = *n;
        out.name = split_label(first).map(|(_, v)| clip(v));
    }
    // A second `label   value` line above the Members line is the comment.
    if header.len() >= 3 {
        out.comment = header
            .get(1)
            .and_then(|(_, l)| split_label(l))
            .map(|(_, v)| clip(v));
    }
    let body: Vec<(usize, &str)> = lines
        .get(dash + 1..)
        .unwrap_or(&[])
        .iter()
        .copied()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let last_index = body.len().checked_sub(1);
    for (i, (n, l)) in body.iter().enumerate() {
        if Some(i) == last_index && is_completion(l) {
            out.completed = true;
            break;
        }
        if out.members.len() >= MAX_MEMBERS {
            break;
        }
        out.members.push(Member {
            name: clip(l.trim()),
            line: *n,
        });
    }
    Ok(out)
}

fn system_error(lines: &[(usize, &str)]) -> Option<LocalGroup> {
    let (idx, n, code) = lines.iter().enumerate().find_map(|(i, (n, l))| {
        let digits: String = l
            .split_whitespace()
            .find(|w| w.chars().all(|c| c.is_ascii_digit()) && !w.is_empty())?
            .to_string();
        digits.parse::<u32>().ok().map(|c| (i, *n, c))
    })?;
    let message = lines
        .get(idx + 1..)
        .unwrap_or(&[])
        .iter()
        .map(|(_, l)| l.trim())
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    Some(LocalGroup {
        line: n,
        error: Some((code, clip(&message))),
        ..LocalGroup::default()
    })
}

/// The closing sentence: a known translation, or a sentence (three or more words ending in a
/// full stop), which an account name never is.
fn is_completion(l: &str) -> bool {
    let t = l.trim();
    COMPLETED.iter().any(|c| c.eq_ignore_ascii_case(t))
        || t.ends_with('。')
        || (t.ends_with('.') && t.split_whitespace().count() >= 3 && !t.contains('\\'))
}

fn is_dashes(l: &str) -> bool {
    let t = l.trim();
    t.len() >= 20 && t.chars().all(|c| c == '-')
}

/// `Alias name     Remote Desktop Users`: label and value split at the first run of two or
/// more spaces (or a tab).
fn split_label(l: &str) -> Option<(&str, &str)> {
    let t = l.trim_end();
    let bytes = t.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let two_spaces = bytes.get(i) == Some(&b' ') && bytes.get(i + 1) == Some(&b' ');
        if two_spaces || bytes.get(i) == Some(&b'\t') {
            let label = t.get(..i)?.trim();
            let value = t.get(i..)?.trim();
            return (!label.is_empty() && !value.is_empty()).then_some((label, value));
        }
        i += 1;
    }
    None
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_NAME_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> String {
        [
            "Alias name     Remote Desktop Users",
            "Comment        Members in this group are granted the right to logon remotely",
            "",
            "Members",
            "",
            "-------------------------------------------------------------------------------",
            "CONTOSO\\Domain Users",
            "CONTOSO\\jdoe",
            "The command completed successfully.",
            "",
            "",
        ]
        .join("\r\n")
    }

    #[test]
    fn english_members() {
        let t = english();
        assert!(sniff(&t));
        let g = parse(&t).unwrap();
        assert_eq!(g.name.as_deref(), Some("Remote Desktop Users"));
        assert!(g.is_remote_desktop_users());
        assert_eq!(
            g.comment.as_deref(),
            Some("Members in this group are granted the right to logon remotely")
        );
        assert_eq!(g.dashes_line, 6);
        assert!(g.completed);
        let names: Vec<_> = g.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["CONTOSO\\Domain Users", "CONTOSO\\jdoe"]);
        assert_eq!(g.members[1].line, 8);
        assert!(g.has_member("contoso\\JDOE"));
        assert!(g.has_member("jdoe"));
        assert!(!g.has_member("OTHER\\jdoe"));
    }

    #[test]
    fn empty_group_german() {
        let t = "Aliasname     Remotedesktopbenutzer\r\nBeschreibung  Die Mitglieder dieser Gruppe sind berechtigt, sich remote anzumelden.\r\n\r\nMitglieder\r\n\r\n-------------------------------------------------------------------------------\r\nDer Befehl wurde erfolgreich ausgeführt.\r\n\r\n";
        assert!(sniff(t));
        let g = parse(t).unwrap();
        assert!(g.is_remote_desktop_users());
        assert!(g.members.is_empty());
        assert!(g.completed);
    }

    #[test]
    fn real_sample_administrators() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/samples/commands/net-localgroup-administrators__en__jc.txt"
        );
        let Ok(bytes) = std::fs::read(path) else {
            eprintln!("SKIPPED: ../shared/samples absent: net localgroup sample not read");
            return;
        };
        let t = text::decode(&bytes, None).text;
        assert!(sniff(&t));
        let g = parse(&t).unwrap();
        assert_eq!(g.name.as_deref(), Some("Administrators"));
        assert!(!g.is_remote_desktop_users());
        assert_eq!(g.members.len(), 6);
        assert!(g.completed, "closing sentence without a final newline");
        // `net localgroup` without a group (the list of aliases) is another output.
        let list = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/samples/commands/net-localgroup__en__jc.txt"
        ))
        .unwrap();
        assert!(!sniff(&text::decode(&list, None).text));
    }

    #[test]
    fn system_error_1376() {
        let t = "System error 1376 has occurred.\r\n\r\nThe specified local group does not exist.\r\n\r\n";
        let g = parse(t).unwrap();
        assert_eq!(
            g.error,
            Some((1376, "The specified local group does not exist.".into()))
        );
        assert!(!sniff(t));
    }

    #[test]
    fn other_outputs_are_not_localgroup() {
        let rule = "Rule Name:                            X\r\n----------------------------------------------------------------------\r\nEnabled:                              Yes\r\n";
        assert!(!sniff(rule));
        let prof = "Domain Profile Settings: \r\n----------------------------------------------------------------------\r\nState                                 ON\r\n";
        assert!(!sniff(prof));
        assert!(!sniff(""));
        assert!(parse("").is_err());
        assert!(parse("garbage without structure").is_err());
    }

    #[test]
    fn truncated_never_panics() {
        let full = english();
        for cut in 0..full.len() {
            if full.is_char_boundary(cut) {
                let _ = parse(&full[..cut]);
                let _ = sniff(&full[..cut]);
            }
        }
        let _ = parse("  \t\r\n--------------------\r\n\t\r\n.");
    }
}

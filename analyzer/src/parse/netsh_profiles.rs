//! `netsh advfirewall show allprofiles`: whether each firewall profile is on and what it does
//! with unsolicited inbound traffic.
//!
//! netsh prints one section per profile (Domain, Private, Public, in that order): a header such
//! as `Domain Profile Settings: `, a line of dashes, then `Key<padding>Value` lines with no
//! colon (`State                                 ON`), and a `Logging:` subsection. The header,
//! the keys and the State words are translated (`Domänenprofil-Einstellungen:`, `Status  EIN`);
//! the policy value (`BlockInbound,AllowOutbound`) is a netsh keyword and stays English.
//!
//! So sections are found by shape (a line followed by the dashes line), the profile by
//! keywords in the header or, failing that, by position (allprofiles always prints Domain,
//! Private, Public), the State by its label or as the first line of the section, and the
//! policy by its value.

use super::netsh_rules::{fold, is_word, squash};
use super::text;
use super::ParseError;
use serde::Serialize;

/// State of one firewall profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileState {
    /// "Domain", "Private" or "Public"; the header as printed when it could not be placed.
    pub profile: String,
    /// `State ON/OFF`; `None` when the word could not be understood.
    pub state_on: Option<bool>,
    /// Raw policy, e.g. "BlockInbound,AllowOutbound".
    pub firewall_policy: Option<String>,
    /// `true` for BlockInbound / BlockInboundAlways, `false` for AllowInbound.
    pub inbound_blocked: Option<bool>,
    /// 1-based line of the section header.
    pub line: usize,
}

/// All profile sections found, in output order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FirewallProfiles {
    pub profiles: Vec<ProfileState>,
}

impl FirewallProfiles {
    /// The section for "Domain", "Private" or "Public".
    pub fn get(&self, profile: &str) -> Option<&ProfileState> {
        self.profiles.iter().find(|p| p.profile == profile)
    }
}

/// Recognises profile output: a header, the dashes line, then a colon-less `Key   Value` line;
/// or the `BlockInbound`/`AllowInbound` policy keyword near the top.
pub fn sniff(text: &str) -> bool {
    let head: Vec<&str> = text::lines(text).take(60).map(|(_, l)| l).collect();
    let shape = head.windows(3).any(|w| match w {
        [header, dashes, first] => {
            is_separator(dashes)
                && !header.trim().is_empty()
                && !first.contains([':', '：'])
                && split_kv(first).is_some()
        }
        _ => false,
    });
    let keyword = head.iter().any(|l| policy_inbound(l).is_some());
    shape || keyword
}

/// Parses the profile sections. Errors when there is none.
pub fn parse(text: &str) -> Result<FirewallProfiles, ParseError> {
    let lines: Vec<(usize, &str)> = text::lines(text)
        .map(|(n, l)| (n, l.trim_start_matches('\u{FEFF}')))
        .collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            lines.get(i).is_some_and(|(_, l)| !l.trim().is_empty())
                && lines.get(i + 1).is_some_and(|(_, l)| is_separator(l))
        })
        .take(64)
        .collect();
    if starts.is_empty() {
        return Err(ParseError::new(
            "no firewall profile section (header followed by a dashes line) found",
        ));
    }
    let mut out = FirewallProfiles::default();
    for (idx, &s) in starts.iter().enumerate() {
        let end = starts.get(idx + 1).copied().unwrap_or(lines.len());
        let (n, header) = lines.get(s).copied().unwrap_or((0, ""));
        let body = lines.get(s + 2..end).unwrap_or(&[]);
        out.profiles.push(section(n, header, body));
    }
    // Headers in a language we do not know: allprofiles prints Domain, Private, Public.
    if out.profiles.len() == 3 {
        for (p, name) in out.profiles.iter_mut().zip(["Domain", "Private", "Public"]) {
            if profile_of_header(&p.profile).is_none() && !is_canonical(&p.profile) {
                p.profile = name.to_owned();
            }
        }
    }
    Ok(out)
}

fn is_canonical(p: &str) -> bool {
    matches!(p, "Domain" | "Private" | "Public")
}

fn section(line: usize, header: &str, body: &[(usize, &str)]) -> ProfileState {
    let header = header
        .trim()
        .trim_end_matches([':', '：'])
        .trim_end()
        .to_owned();
    let kvs: Vec<(&str, &str)> = body.iter().filter_map(|(_, l)| split_kv(l)).collect();
    let state_value = kvs
        .iter()
        .find(|(k, _)| is_word(k, STATE_LABELS))
        .or_else(|| kvs.first())
        .map(|(_, v)| *v);
    let policy = body.iter().find_map(|(_, l)| {
        let (_, v) = split_kv(l)?;
        policy_inbound(v).map(|blocked| (v.to_owned(), blocked))
    });
    ProfileState {
        profile: profile_of_header(&header)
            .map(str::to_owned)
            .unwrap_or(header),
        state_on: state_value.and_then(on_off),
        inbound_blocked: policy.as_ref().map(|(_, b)| *b),
        firewall_policy: policy.map(|(v, _)| v),
        line,
    }
}

/// "State" in the languages we know (Status seen in German; the others not verified).
const STATE_LABELS: &[&str] = &[
    "State",
    "Status",
    "État",
    "Estado",
    "状態",
    "Stato",
    "Состояние",
];

fn on_off(v: &str) -> Option<bool> {
    const ON: &[&str] = &[
        "ON", "EIN", "Actif", "Activé", "Activado", "オン", "有効", "Attivato", "Ativado", "Вкл",
    ];
    const OFF: &[&str] = &[
        "OFF",
        "AUS",
        "Inactif",
        "Désactivé",
        "Desactivado",
        "オフ",
        "無効",
        "Disattivato",
        "Desativado",
        "Выкл",
    ];
    if is_word(v, ON) {
        Some(true)
    } else if is_word(v, OFF) {
        Some(false)
    } else {
        None
    }
}

/// Profile named by a section header, by keyword: "Domain Profile Settings",
/// "Domänenprofil-Einstellungen", "Paramètres Profil de domaine", "ドメイン プロファイル設定"...
fn profile_of_header(header: &str) -> Option<&'static str> {
    let a = fold(header);
    let s = squash(header);
    if a.contains("domain")
        || a.contains("domne")
        || a.contains("dominio")
        || s.contains("ドメイン")
    {
        Some("Domain")
    } else if a.contains("priv") || s.contains("プライベート") {
        Some("Private")
    } else if a.contains("public")
        || a.contains("pblic")
        || a.contains("ffentlich")
        || s.contains("パブリック")
    {
        Some("Public")
    } else {
        None
    }
}

/// The inbound half of a policy value: `Some(true)` for BlockInbound[Always], `Some(false)` for
/// AllowInbound, `None` when `v` is not a policy.
fn policy_inbound(v: &str) -> Option<bool> {
    let lower = v.to_ascii_lowercase();
    if !lower.contains("outbound") {
        return None;
    }
    let inbound = lower
        .split([',', ' '])
        .map(str::trim)
        .find(|p| p.ends_with("inbound") || p.ends_with("inboundalways"))?;
    if inbound.starts_with("block") {
        Some(true)
    } else if inbound.starts_with("allow") {
        Some(false)
    } else {
        None
    }
}

/// Splits `Key<2+ spaces>Value`. Keys may hold single spaces (Japanese, French); a key padded
/// with a single space only (a translation longer than the column) splits at its first space.
fn split_kv(line: &str) -> Option<(&str, &str)> {
    if line.starts_with([' ', '\t']) || line.trim().is_empty() {
        return None;
    }
    let t = line.trim_end();
    let gap = t
        .find("  ")
        .or_else(|| t.find('\t'))
        .or_else(|| t.find(' '))?;
    let key = t.get(..gap)?.trim();
    let value = t.get(gap..)?.trim();
    if key.is_empty() || value.is_empty() {
        return None;
    }
    Some((key, value))
}

fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 20 && t.chars().all(|c| c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testutil::noise;

    fn crlf(s: &str) -> String {
        s.replace("\r\n", "\n").replace('\n', "\r\n")
    }

    /// English layout as Windows prints it (trailing space after the header colon).
    fn english() -> String {
        crlf(
            "
Domain Profile Settings: 
----------------------------------------------------------------------
State                                 ON
Firewall Policy                       BlockInbound,AllowOutbound
LocalFirewallRules                    N/A (GPO-store only)
LocalConSecRules                      N/A (GPO-store only)
InboundUserNotification               Disable
RemoteManagement                      Disable
UnicastResponseToMulticast            Enable

Logging:
LogAllowedConnections                 Disable
LogDroppedConnections                 Disable
FileName                              %systemroot%\\system32\\LogFiles\\Firewall\\pfirewall.log
MaxFileSize                           4096

Private Profile Settings: 
----------------------------------------------------------------------
State                                 OFF
Firewall Policy                       AllowInbound,AllowOutbound
LocalFirewallRules                    N/A (GPO-store only)
LocalConSecRules                      N/A (GPO-store only)
InboundUserNotification               Enable
RemoteManagement                      Disable
UnicastResponseToMulticast            Enable

Logging:
LogAllowedConnections                 Disable
LogDroppedConnections                 Disable
FileName                              %systemroot%\\system32\\LogFiles\\Firewall\\pfirewall.log
MaxFileSize                           4096

Public Profile Settings: 
----------------------------------------------------------------------
State                                 ON
Firewall Policy                       BlockInboundAlways,AllowOutbound
LocalFirewallRules                    N/A (GPO-store only)
LocalConSecRules                      N/A (GPO-store only)
InboundUserNotification               Enable
RemoteManagement                      Disable
UnicastResponseToMulticast            Enable

Logging:
LogAllowedConnections                 Disable
LogDroppedConnections                 Disable
FileName                              %systemroot%\\system32\\LogFiles\\Firewall\\pfirewall.log
MaxFileSize                           4096

Ok.

",
        )
    }

    #[test]
    fn english_all_profiles() {
        let text = english();
        assert!(sniff(&text));
        let p = parse(&text).unwrap();
        assert_eq!(p.profiles.len(), 3);
        let d = p.get("Domain").unwrap();
        assert_eq!(d.line, 2);
        assert_eq!(d.state_on, Some(true));
        assert_eq!(
            d.firewall_policy.as_deref(),
            Some("BlockInbound,AllowOutbound")
        );
        assert_eq!(d.inbound_blocked, Some(true));
        let pr = p.get("Private").unwrap();
        assert_eq!(pr.state_on, Some(false));
        assert_eq!(pr.inbound_blocked, Some(false));
        assert_eq!(pr.line, 18);
        let pu = p.get("Public").unwrap();
        assert_eq!(pu.inbound_blocked, Some(true));
        assert_eq!(pu.state_on, Some(true));
        // LF and lone CR give the same result.
        assert_eq!(parse(&text.replace("\r\n", "\n")).unwrap(), p);
        assert_eq!(parse(&text.replace("\r\n", "\r")).unwrap(), p);
    }

    #[test]
    fn german_headers_and_state_words() {
        // Header and State words as German netsh prints them; the policy label is Microsoft's
        // usual German term (not verified).
        let text = crlf(
            "
Domänenprofil-Einstellungen: 
----------------------------------------------------------------------
Status                                EIN
Firewallrichtlinie                    BlockInbound,AllowOutbound

Privates Profil-Einstellungen: 
----------------------------------------------------------------------
Status                                AUS
Firewallrichtlinie                    BlockInbound,AllowOutbound

Öffentliches Profil-Einstellungen: 
----------------------------------------------------------------------
Status                                EIN
Firewallrichtlinie                    AllowInbound,AllowOutbound
Ok.
",
        );
        let p = parse(&text).unwrap();
        let got: Vec<_> = p
            .profiles
            .iter()
            .map(|x| (x.profile.as_str(), x.state_on, x.inbound_blocked))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Domain", Some(true), Some(true)),
                ("Private", Some(false), Some(true)),
                ("Public", Some(true), Some(false)),
            ]
        );
        // The same bytes written in CP850 and read as Windows-1252 (Domänen -> Dom„nen).
        let raw = oem_cp::encode_string_lossy(&text, &oem_cp::code_table::ENCODING_TABLE_CP850);
        let mojibake = encoding_rs::WINDOWS_1252.decode(&raw).0.into_owned();
        assert!(mojibake.contains("Dom\u{201E}nenprofil"));
        assert_eq!(parse(&mojibake).unwrap(), p);
    }

    #[test]
    fn french_spanish_japanese_headers() {
        // Not verified against captures: Microsoft's usual terms for these languages.
        for (header, state) in [
            (
                "Paramètres Profil de domaine : ",
                "État                                  Actif",
            ),
            (
                "Configuración de perfil de dominio:",
                "Estado                                ACTIVADO",
            ),
            (
                "ドメイン プロファイル設定: ",
                "状態                                  オン",
            ),
        ] {
            let text = format!(
                "\r\n{header}\r\n{}\r\n{state}\r\nX                                     BlockInbound,AllowOutbound\r\n",
                "-".repeat(70)
            );
            let p = parse(&text).unwrap();
            assert_eq!(p.profiles.len(), 1, "{header}");
            assert_eq!(p.profiles[0].profile, "Domain", "{header}");
            assert_eq!(p.profiles[0].state_on, Some(true), "{header}");
            assert_eq!(p.profiles[0].inbound_blocked, Some(true));
        }
        let text = format!(
            "Paramètres Profil privé :\r\n{}\r\nÉtat                                  Inactif\r\n",
            "-".repeat(70)
        );
        let p = parse(&text).unwrap();
        assert_eq!(p.profiles[0].profile, "Private");
        assert_eq!(p.profiles[0].state_on, Some(false));
    }

    #[test]
    fn unknown_language_uses_position() {
        let dash = "-".repeat(70);
        let text =
            format!("A:\n{dash}\nQq  ON\n\nB:\n{dash}\nQq  OFF\n\nC:\n{dash}\nQq  ON\nOk.\n");
        let p = parse(&text).unwrap();
        let names: Vec<_> = p.profiles.iter().map(|x| x.profile.as_str()).collect();
        assert_eq!(names, vec!["Domain", "Private", "Public"]);
        assert_eq!(p.profiles[1].state_on, Some(false));
        assert_eq!(p.profiles[1].firewall_policy, None);
        // One section of an unknown language keeps its header.
        let one = format!("Zzz:\n{dash}\nQq  Xyz\n");
        let p = parse(&one).unwrap();
        assert_eq!(p.profiles[0].profile, "Zzz");
        assert_eq!(p.profiles[0].state_on, None);
    }

    #[test]
    fn garbage_empty_truncated() {
        assert!(parse("").is_err());
        assert!(parse("garbage\r\nmore garbage").is_err());
        assert!(!sniff("Rule Name:    x\r\n----------------------------------------------------------------------\r\nEnabled:     Yes\r\n"));
        let text = english();
        for (i, _) in text.char_indices() {
            let _ = parse(text.get(..i).unwrap());
        }
        let cut = text.get(..text.find("State").unwrap()).unwrap();
        let p = parse(cut).unwrap();
        assert_eq!(p.profiles.len(), 1);
        assert_eq!(p.profiles[0].state_on, None);
        assert_eq!(policy_inbound("Outbound"), None);
        assert_eq!(policy_inbound("NotConfigured,AllowOutbound"), None);
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

//! `dsregcmd /status`: how the machine is joined (Active Directory, Microsoft Entra ID, both),
//! which decides how Network Level Authentication can authenticate a user.
//!
//! dsregcmd prints boxed section titles, each followed by right-aligned `Name : value` lines:
//!
//! ```text
//! +----------------------------------------------------------------------+
//! | Device State                                                         |
//! +----------------------------------------------------------------------+
//!
//!              AzureAdJoined : YES
//!           EnterpriseJoined : NO
//!               DomainJoined : YES
//!                 DomainName : CONTOSO
//!
//! +----------------------------------------------------------------------+
//! | Tenant Details                                                       |
//! +----------------------------------------------------------------------+
//!
//!                 TenantName : Contoso
//! ```
//!
//! Verified on pasted real outputs: kolide/launcher issue #873 (Device State, Device Details,
//! Tenant Details of a hybrid-joined machine; the blank line after a title holds one space),
//! MicrosoftDocs/azure-docs issues #48791 (a machine joined to nothing: Device State, User
//! State with `WamDefaultSet : ERROR`, SSO State) and #36269 (User State with NgcSet, CanReset),
//! a pasted Windows 10 output with `Device Name : WINDOWS.corp.paradise.local` (names may hold
//! spaces), and Microsoft's "Troubleshoot devices by using the dsregcmd command" (Entra ID docs,
//! `DeviceAuthStatus`, added in Windows 10 21H1). Windows 11 adds `Virtual Desktop` to Device
//! State and `OnPremTgt`/`CloudTgt` to SSO State. The names and the YES/NO values are not
//! translated (they are identifiers, and every localized documentation page shows them in
//! English). The Diagnostic Data section of a failed join holds free text lines without
//! ` : `; they are skipped. Sections and names are kept as printed, so the checks can read any
//! of them; values of `-` or empty are kept as they are.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Lines read.
const MAX_LINES: usize = 5_000;
/// Fields kept.
const MAX_FIELDS: usize = 500;
/// Longest name or value kept.
const MAX_CHARS: usize = 512;

/// One `Name : value` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The section title it is under (`Device State`), empty before the first title.
    pub section: String,
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// What dsregcmd printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DeviceRegistration {
    /// Section titles in order.
    pub sections: Vec<String>,
    pub fields: Vec<Field>,
}

impl DeviceRegistration {
    /// The first field called `name` (case-insensitive), in any section.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// A YES/NO field as a boolean; `None` when absent or neither (`ERROR`, `-`).
    pub fn flag(&self, name: &str) -> Option<bool> {
        let v = self.field(name)?.value.trim();
        if v.eq_ignore_ascii_case("yes") {
            Some(true)
        } else if v.eq_ignore_ascii_case("no") {
            Some(false)
        } else {
            None
        }
    }

    /// `AzureAdJoined : YES`: joined to Microsoft Entra ID (alone, or hybrid with a domain).
    pub fn entra_joined(&self) -> Option<bool> {
        self.flag("AzureAdJoined")
    }

    /// `DomainJoined : YES`: an Active Directory domain member.
    pub fn domain_joined(&self) -> Option<bool> {
        self.flag("DomainJoined")
    }

    /// `WorkplaceJoined : YES` (User State): the signed-in user registered the device with a
    /// work account (Entra registered), which is not a join.
    pub fn workplace_joined(&self) -> Option<bool> {
        self.flag("WorkplaceJoined")
    }

    /// The join state in the words of Microsoft's table: Entra joined, hybrid joined, domain
    /// joined, on-premises DRS joined, or not joined.
    pub fn join_type(&self) -> Option<&'static str> {
        let entra = self.entra_joined()?;
        let domain = self.domain_joined().unwrap_or(false);
        let enterprise = self.flag("EnterpriseJoined").unwrap_or(false);
        Some(match (entra, enterprise, domain) {
            (true, _, true) => "Microsoft Entra hybrid joined",
            (true, _, false) => "Microsoft Entra joined",
            (false, true, _) => "on-premises DRS joined",
            (false, false, true) => "domain joined",
            (false, false, false) => "not joined",
        })
    }
}

/// True for dsregcmd /status output: a boxed `Device State` title or its join fields.
pub fn sniff(text: &str) -> bool {
    let mut title = false;
    for (_, l) in text::lines(text).take(60) {
        let t = l.trim();
        if t.starts_with('|') && title_of(t).is_some_and(|s| s.eq_ignore_ascii_case("Device State"))
        {
            title = true;
        }
        if let Some((name, _)) = field_of(t) {
            if name.eq_ignore_ascii_case("AzureAdJoined") {
                return true;
            }
        }
    }
    title
}

/// Parses the output. Fails when no `Name : value` line is found.
pub fn parse(text: &str) -> Result<DeviceRegistration, ParseError> {
    let mut out = DeviceRegistration::default();
    let mut section = String::new();
    for (n, line) in text::lines(text).take(MAX_LINES) {
        let t = line.trim().trim_start_matches('\u{feff}').trim();
        if t.is_empty() || t.starts_with("+--") {
            continue;
        }
        if let Some(title) = title_of(t) {
            section = clip(title);
            if out.sections.len() < MAX_FIELDS {
                out.sections.push(section.clone());
            }
            continue;
        }
        let Some((name, value)) = field_of(t) else {
            continue;
        };
        if out.fields.len() >= MAX_FIELDS {
            break;
        }
        out.fields.push(Field {
            section: section.clone(),
            name: clip(name),
            value: clip(value),
            line: n,
        });
    }
    if out.fields.is_empty() {
        return Err(ParseError::new(
            "no `Name : value` line found (expected dsregcmd /status output)",
        ));
    }
    Ok(out)
}

/// `| Device State      |` -> `Device State`.
fn title_of(t: &str) -> Option<&str> {
    let inner = t.strip_prefix('|')?.strip_suffix('|')?.trim();
    (!inner.is_empty()).then_some(inner)
}

/// `AzureAdJoined : YES` -> (`AzureAdJoined`, `YES`). The separator is the first ` : ` (values
/// such as URLs hold colons, but not with a space on each side); `Name :` with nothing after it
/// is a field with an empty value.
fn field_of(t: &str) -> Option<(&str, &str)> {
    let (name, value) = match t.find(" : ") {
        Some(i) => (t.get(..i)?, t.get(i + 3..)?),
        None => (t.strip_suffix(" :")?, ""),
    };
    let name = name.trim();
    if name.is_empty() || name.starts_with('|') {
        return None;
    }
    Some((name, value.trim()))
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Laid out as kolide/launcher issue #873 shows it (a hybrid-joined machine; each blank line
    /// after a title holds one space), CRLF as the console writes it when redirected.
    const HYBRID: &str = "\r\n\
+----------------------------------------------------------------------+\r\n\
| Device State                                                         |\r\n\
+----------------------------------------------------------------------+\r\n\
 \r\n\
             AzureAdJoined : YES\r\n\
          EnterpriseJoined : NO\r\n\
              DomainJoined : YES\r\n\
                DomainName : CONTOSO\r\n\
 \r\n\
+----------------------------------------------------------------------+\r\n\
| Device Details                                                       |\r\n\
+----------------------------------------------------------------------+\r\n\
 \r\n\
                  DeviceId : 126cafbf-18e6-47a8-ad06-d5affe132b36\r\n\
                Thumbprint : 6422A23183864B4BF99F9282715F5C9D6C881776\r\n\
 DeviceCertificateValidity : [ 2020-11-16 18:55:24.000 UTC -- 2030-11-16 19:25:24.000 UTC ]\r\n\
            KeyContainerId : 5fad6f12-9a31-448d-87f3-0eb6a24033fd\r\n\
               KeyProvider : Microsoft Platform Crypto Provider\r\n\
              TpmProtected : YES\r\n\
 \r\n\
+----------------------------------------------------------------------+\r\n\
| Tenant Details                                                       |\r\n\
+----------------------------------------------------------------------+\r\n\
 \r\n\
                TenantName : Contoso\r\n\
                  TenantId : ad8e1d4f-5295-4df7-b18a-1d85b4195a17\r\n\
                       Idp : login.windows.net\r\n\
               AuthCodeUrl : https://login.microsoftonline.com/ad8e1d4f-5295-4df7-b18a-1d85b4195a17/oauth2/authorize\r\n";

    /// A machine joined to nothing, as in MicrosoftDocs/azure-docs issue #48791.
    const NOT_JOINED: &str = "\n\
+----------------------------------------------------------------------+\n\
| Device State                                                         |\n\
+----------------------------------------------------------------------+\n\
\n\
             AzureAdJoined : NO\n\
          EnterpriseJoined : NO\n\
              DomainJoined : NO\n\
\n\
+----------------------------------------------------------------------+\n\
| User State                                                           |\n\
+----------------------------------------------------------------------+\n\
\n\
                    NgcSet : NO\n\
           WorkplaceJoined : NO\n\
             WamDefaultSet : ERROR\n\
\n\
+----------------------------------------------------------------------+\n\
| SSO State                                                            |\n\
+----------------------------------------------------------------------+\n\
\n\
                AzureAdPrt : NO\n\
       AzureAdPrtAuthority : NO\n\
             EnterprisePrt : NO\n\
    EnterprisePrtAuthority : NO\n";

    #[test]
    fn hybrid_joined_machine() {
        assert!(sniff(HYBRID));
        let d = parse(HYBRID).unwrap();
        assert_eq!(
            d.sections,
            ["Device State", "Device Details", "Tenant Details"]
        );
        assert_eq!(d.entra_joined(), Some(true));
        assert_eq!(d.domain_joined(), Some(true));
        assert_eq!(d.join_type(), Some("Microsoft Entra hybrid joined"));
        let t = d.field("tenantname").unwrap();
        assert_eq!(
            (t.value.as_str(), t.section.as_str()),
            ("Contoso", "Tenant Details")
        );
        assert_eq!(d.field("AzureAdJoined").unwrap().line, 6);
        assert_eq!(
            d.field("DeviceCertificateValidity").unwrap().value,
            "[ 2020-11-16 18:55:24.000 UTC -- 2030-11-16 19:25:24.000 UTC ]"
        );
        // A URL's colons are not the separator.
        assert!(d
            .field("AuthCodeUrl")
            .unwrap()
            .value
            .starts_with("https://login"));
    }

    #[test]
    fn joined_to_nothing_with_an_error_value() {
        assert!(sniff(NOT_JOINED));
        let d = parse(NOT_JOINED).unwrap();
        assert_eq!(d.join_type(), Some("not joined"));
        assert_eq!(d.workplace_joined(), Some(false));
        assert_eq!(d.flag("WamDefaultSet"), None, "ERROR is neither yes nor no");
        assert_eq!(d.field("WamDefaultSet").unwrap().section, "User State");
    }

    #[test]
    fn entra_joined_only_and_names_with_spaces() {
        let t = "| Device State |\n AzureAdJoined : YES\n EnterpriseJoined : NO\n DomainJoined : NO\n Device Name : WIN11-HOST\n Virtual Desktop : NOT SET\n DeviceAuthStatus : SUCCESS\n";
        let d = parse(t).unwrap();
        assert_eq!(d.join_type(), Some("Microsoft Entra joined"));
        assert_eq!(d.field("Device Name").unwrap().value, "WIN11-HOST");
        assert_eq!(d.field("DeviceAuthStatus").unwrap().value, "SUCCESS");
    }

    #[test]
    fn other_outputs_and_garbage_are_not_dsregcmd() {
        assert!(!sniff("Flags: 30 HAS_IP\r\nTrusted DC Name \\\\DC01\r\n"));
        assert!(!sniff("Leap Indicator: 0(no warning)\r\nStratum: 4\r\n"));
        assert!(parse("").is_err());
        assert!(parse("| Device State |\r\n+-----+\r\n").is_err());
        // Diagnostic free text and stray separators do not panic or become fields.
        let d = parse(" : \r\n:\r\nAttempt Status : 0x801c03f3\r\n|x : y|\r\n").unwrap();
        assert_eq!(d.fields.len(), 1);
    }

    #[test]
    fn bounded_on_huge_input() {
        let big = "A : B\n".repeat(100_000);
        let d = parse(&big).unwrap();
        assert_eq!(d.fields.len(), MAX_FIELDS);
        let long = format!("Name : {}\n", "x".repeat(10_000));
        assert_eq!(
            parse(&long).unwrap().fields[0].value.chars().count(),
            MAX_CHARS
        );
    }
}

//! `nltest /sc_query:<DOMAIN>` (or `/sc_verify:`): the state of the computer's secure channel
//! with its domain.
//!
//! A domain member authenticates users through Netlogon's secure channel to a domain
//! controller. nltest prints:
//!
//! ```text
//! Flags: 30 HAS_IP  HAS_TIMESERV
//! Trusted DC Name \\DC01.contoso.local
//! Trusted DC Connection Status Status = 0 0x0 NERR_Success
//! Trust Verification Status = 0 0x0 NERR_Success        (only with /sc_verify)
//! The command completed successfully
//! ```
//!
//! With a broken channel the DC name is empty and the status is e.g.
//! `1311 0x51f ERROR_NO_LOGON_SERVERS` or `5 0x5 ERROR_ACCESS_DENIED`; when Netlogon itself
//! refuses, a single `I_NetLogonControl failed: Status = 1355 0x54b ERROR_NO_SUCH_DOMAIN` line.
//! Windows NT-era builds print a plain `Connection Status = ...`. nltest's strings are not
//! translated in the outputs we have seen; statuses are read by their `Status = N 0xH NAME`
//! shape whatever the label, so a translated label only loses which status it is.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Lines looked at by `sniff` and kept by `parse`.
const MAX_LINES: usize = 10_000;
/// Longest value kept.
const MAX_VALUE_CHARS: usize = 512;

/// One `Status = <decimal> 0x<hex> <NAME>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NlStatus {
    pub code: u32,
    /// `NERR_Success`, `ERROR_NO_LOGON_SERVERS`...
    pub name: String,
    pub line: usize,
}

impl NlStatus {
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

/// What nltest printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SecureChannel {
    /// `30 HAS_IP  HAS_TIMESERV`.
    pub flags: Option<String>,
    /// `\\DC01.contoso.local`; `Some("")` when the line is there but names no DC.
    pub trusted_dc: Option<String>,
    pub trusted_dc_line: usize,
    /// `Trusted DC Connection Status` (or the old `Connection Status`).
    pub connection_status: Option<NlStatus>,
    /// `Trust Verification Status` (`/sc_verify`).
    pub verification_status: Option<NlStatus>,
    /// `I_NetLogonControl failed: Status = ...`.
    pub failure: Option<NlStatus>,
}

impl SecureChannel {
    /// `Some(true)` when every status printed is success, `Some(false)` when one is not,
    /// `None` when there is none.
    pub fn healthy(&self) -> Option<bool> {
        let all: Vec<&NlStatus> = [
            &self.connection_status,
            &self.verification_status,
            &self.failure,
        ]
        .into_iter()
        .flatten()
        .collect();
        if all.is_empty() {
            None
        } else {
            Some(all.iter().all(|s| s.ok()))
        }
    }

    /// The first status that is not success.
    pub fn first_failure(&self) -> Option<&NlStatus> {
        [
            &self.failure,
            &self.connection_status,
            &self.verification_status,
        ]
        .into_iter()
        .flatten()
        .find(|s| !s.ok())
    }
}

/// True for nltest secure-channel output.
pub fn sniff(text: &str) -> bool {
    let mut flags = false;
    let mut status = false;
    for (_, l) in text::lines(text).take(40) {
        if l.contains("Trusted DC Name")
            || l.contains("Trusted DC Connection Status")
            || l.contains("I_NetLogonControl failed")
        {
            return true;
        }
        flags |= l.trim_start().starts_with("Flags:");
        status |= status_of(l).is_some();
    }
    flags && status
}

/// Parses the output. Fails when no status line is found.
pub fn parse(text: &str) -> Result<SecureChannel, ParseError> {
    let mut out = SecureChannel::default();
    for (n, line) in text::lines(text).take(MAX_LINES) {
        let l = line.trim().trim_start_matches('\u{feff}');
        if let Some(rest) = l.strip_prefix("Flags:") {
            out.flags = Some(clip(rest.trim()));
            continue;
        }
        if let Some(rest) = l.strip_prefix("Trusted DC Name") {
            out.trusted_dc = Some(clip(rest.trim()));
            out.trusted_dc_line = n;
            continue;
        }
        let Some((label, mut st)) = status_of(l) else {
            continue;
        };
        st.line = n;
        let slot = if label.contains("I_NetLogonControl") {
            &mut out.failure
        } else if label.contains("Verification") {
            &mut out.verification_status
        } else if label.contains("Connection") || out.connection_status.is_none() {
            &mut out.connection_status
        } else {
            continue;
        };
        if slot.is_none() {
            *slot = Some(st);
        }
    }
    if out.healthy().is_none() {
        return Err(ParseError::new(
            "no `Status = <code> 0x<hex> <name>` line found",
        ));
    }
    Ok(out)
}

/// Splits `<label> Status = 1311 0x51f ERROR_NO_LOGON_SERVERS` into the label and the status.
fn status_of(l: &str) -> Option<(&str, NlStatus)> {
    let idx = l.find("Status =")?;
    let label = l.get(..idx)?.trim();
    let mut words = l.get(idx + "Status =".len()..)?.split_whitespace();
    let code: u32 = words.next()?.parse().ok()?;
    let hex = words.next()?;
    let hex_code = u32::from_str_radix(hex.strip_prefix("0x")?, 16).ok()?;
    if hex_code != code {
        return None;
    }
    let name = words.collect::<Vec<_>>().join(" ");
    Some((
        label,
        NlStatus {
            code,
            name: clip(&name),
            line: 0,
        },
    ))
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_VALUE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "Flags: 30 HAS_IP  HAS_TIMESERV\r\nTrusted DC Name \\\\DC01.contoso.local\r\nTrusted DC Connection Status Status = 0 0x0 NERR_Success\r\nThe command completed successfully\r\n";

    #[test]
    fn healthy_channel() {
        assert!(sniff(OK));
        let sc = parse(OK).unwrap();
        assert_eq!(sc.flags.as_deref(), Some("30 HAS_IP  HAS_TIMESERV"));
        assert_eq!(sc.trusted_dc.as_deref(), Some("\\\\DC01.contoso.local"));
        assert_eq!(sc.trusted_dc_line, 2);
        let st = sc.connection_status.as_ref().unwrap();
        assert_eq!((st.code, st.name.as_str(), st.line), (0, "NERR_Success", 3));
        assert_eq!(sc.healthy(), Some(true));
        assert!(sc.first_failure().is_none());
    }

    #[test]
    fn broken_channel_and_verify() {
        let t = "Flags: 0\r\nTrusted DC Name\r\nTrusted DC Connection Status Status = 1311 0x51f ERROR_NO_LOGON_SERVERS\r\nThe command completed successfully\r\n";
        let sc = parse(t).unwrap();
        assert_eq!(sc.trusted_dc.as_deref(), Some(""));
        assert_eq!(sc.healthy(), Some(false));
        assert_eq!(sc.first_failure().unwrap().name, "ERROR_NO_LOGON_SERVERS");
        let v = "Flags: b0 HAS_IP  HAS_TIMESERV\r\nTrusted DC Name \\\\dc01.contoso.com\r\nTrusted DC Connection Status Status = 0 0x0 NERR_Success\r\nTrust Verification Status = 5 0x5 ERROR_ACCESS_DENIED\r\nThe command completed successfully\r\n";
        let sc = parse(v).unwrap();
        assert_eq!(sc.verification_status.as_ref().unwrap().code, 5);
        assert_eq!(sc.first_failure().unwrap().line, 4);
    }

    #[test]
    fn netlogon_refuses_and_old_format() {
        let t = "I_NetLogonControl failed: Status = 1355 0x54b ERROR_NO_SUCH_DOMAIN\r\n";
        assert!(sniff(t));
        let sc = parse(t).unwrap();
        assert_eq!(sc.failure.as_ref().unwrap().code, 1355);
        let old = "Flags: 0\r\nConnection Status = 0 0x0 NERR_Success\r\nTrusted DC Name \\\\NET1\r\nTrusted DC Connection Status Status = 0 0x0 NERR_Success\r\nThe command completed successfully\r\n";
        assert_eq!(parse(old).unwrap().healthy(), Some(true));
    }

    #[test]
    fn garbage() {
        assert!(!sniff("Status = 1 0x2 X"), "decimal and hex disagree");
        assert!(parse("Status = 1 0x2 X").is_err());
        assert!(parse("").is_err());
        assert!(!sniff("Flags: 3\r\n"));
        for cut in 0..OK.len() {
            let _ = parse(&OK[..cut]);
            let _ = sniff(&OK[..cut]);
        }
        let _ = parse("Status = 99999999999 0xffffffffffff");
    }
}

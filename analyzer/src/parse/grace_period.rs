//! `wmic /namespace:\\root\CIMV2\TerminalServices PATH Win32_TerminalServiceSetting WHERE
//! (__CLASS!='') CALL GetGracePeriodDays`: the days left in the RD Session Host licensing grace
//! period.
//!
//! wmic prints what it executes, then the method's out parameters in MOF syntax:
//!
//! ```text
//! Executing (\\RDSH01\ROOT\CIMV2\TerminalServices:Win32_TerminalServiceSetting.ServerName="RDSH01")->GetGracePeriodDays()
//! Method execution successful.
//! Out Parameters:
//! instance of __PARAMETERS
//! {
//!         DaysLeft = 87;
//!         ReturnValue = 0;
//! };
//! ```
//!
//! `GetGracePeriodDays([out] uint32 DaysLeft)` and "a zero value indicates that the grace period
//! is over" are Microsoft's documentation of the method (learn.microsoft.com, "GetGracePeriodDays
//! method of the Win32_TerminalServiceSetting class"). The layout above is wmic's generic CALL
//! output (the same `Executing` / `Out Parameters:` / `instance of __PARAMETERS` block every
//! `wmic ... call` prints); no public capture of this exact call was found in the corpora
//! searched, so only what does not vary is relied on: the property lines `DaysLeft = N;` and
//! `ReturnValue = N;` (MOF property names, never localized) and wmic's error block
//! (`ERROR:` then `Description = ...`, the description localized). The labels around them
//! (`Method execution successful.`, `Out Parameters:`) are localized and not read.
//!
//! Where the RD Session Host role is not installed the method fails (no `DaysLeft`, an error
//! description or a non-zero `ReturnValue`): that is "cannot tell", never "no grace period".

use super::text;
use super::ParseError;
use serde::Serialize;

const MAX_LINES: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 300;

/// What the call returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct GracePeriod {
    /// `DaysLeft`, and its line.
    pub days_left: Option<(u32, usize)>,
    /// The method's `ReturnValue` (0 = success).
    pub return_value: Option<u32>,
    /// wmic's error description (`Description = ...` of its `ERROR:` block), when it failed.
    pub error: Option<String>,
}

impl GracePeriod {
    /// Days left when the call succeeded; `None` when the output cannot tell.
    pub fn days(&self) -> Option<u32> {
        match self.return_value {
            Some(r) if r != 0 => None,
            _ => self.days_left.map(|(d, _)| d),
        }
    }

    /// Why the output does not tell the days left.
    pub fn why_not(&self) -> String {
        match (&self.error, self.return_value, self.days_left) {
            (Some(e), _, _) => format!("the method failed: {e}"),
            (None, Some(r), _) if r != 0 => format!("the method returned {r}"),
            _ => "the output has no DaysLeft".to_string(),
        }
    }
}

/// `Name = value;` on a line, the name compared case-insensitively.
fn property<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (k, v) = line.split_once('=')?;
    k.trim()
        .eq_ignore_ascii_case(name)
        .then(|| v.trim().trim_end_matches(';').trim())
}

pub fn sniff(text: &str) -> bool {
    let mut call = false;
    let mut days = false;
    for (_, line) in text::lines(text).take(40) {
        call |= line.contains("GetGracePeriodDays") || line.contains("__PARAMETERS");
        days |= property(line, "DaysLeft").is_some();
    }
    call && (days || text.contains("GetGracePeriodDays"))
}

pub fn parse(text: &str) -> Result<GracePeriod, ParseError> {
    let mut out = GracePeriod::default();
    let mut seen_call = false;
    for (n, line) in text::lines(text).take(MAX_LINES) {
        let line = line.trim_start_matches('\u{FEFF}');
        seen_call |= line.contains("GetGracePeriodDays") || line.contains("__PARAMETERS");
        if let Some(v) = property(line, "DaysLeft") {
            out.days_left = v.parse().ok().map(|d| (d, n));
        } else if let Some(v) = property(line, "ReturnValue") {
            out.return_value = v.parse().ok();
        } else if let Some(v) = property(line, "Description") {
            if out.error.is_none() && !v.is_empty() {
                out.error = Some(v.chars().take(MAX_DESCRIPTION_CHARS).collect());
            }
        }
    }
    if !seen_call && out.days_left.is_none() && out.error.is_none() && out.return_value.is_none() {
        return Err(ParseError::new(
            "not GetGracePeriodDays output: no DaysLeft, ReturnValue or wmic error description",
        ));
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// wmic's CALL output for `days` left, CRLF as wmic writes it.
    pub(crate) fn english(host: &str, days: u32) -> String {
        format!(
            "Executing (\\\\{host}\\ROOT\\CIMV2\\TerminalServices:Win32_TerminalServiceSetting.\
             ServerName=\"{host}\")->GetGracePeriodDays()\r\nMethod execution successful.\r\n\
             Out Parameters:\r\ninstance of __PARAMETERS\r\n{{\r\n\tDaysLeft = {days};\r\n\t\
             ReturnValue = 0;\r\n}};\r\n\r\n"
        )
    }

    #[test]
    fn days_left_and_its_line() {
        let t = english("RDSH01", 87);
        assert!(sniff(&t));
        let g = parse(&t).unwrap();
        assert_eq!(g.days_left, Some((87, 6)));
        assert_eq!(g.return_value, Some(0));
        assert_eq!(g.days(), Some(87));
        // Redirected wmic output ends its lines `\r\r\n`: the same values.
        let doubled = parse(&english("RDSH01", 87).replace("\r\n", "\r\r\n")).unwrap();
        assert_eq!(doubled.days(), Some(87));
        let over = parse(&english("RDSH01", 0)).unwrap();
        assert_eq!(over.days(), Some(0));
    }

    #[test]
    fn failures_cannot_tell() {
        // Where the method is not supported: what it executed, then wmic's error block.
        let t = "Executing (\\\\WS01\\ROOT\\CIMV2\\TerminalServices:Win32_TerminalServiceSetting.\
                 ServerName=\"WS01\")->GetGracePeriodDays()\r\nERROR:\r\nDescription = Not \
                 supported\r\n\r\n";
        assert!(sniff(t));
        let g = parse(t).unwrap();
        assert_eq!(g.days(), None);
        assert_eq!(g.why_not(), "the method failed: Not supported");
        // A non-zero ReturnValue: DaysLeft is not to be believed.
        let t = english("RDSH01", 0).replace("ReturnValue = 0", "ReturnValue = 2");
        let g = parse(&t).unwrap();
        assert_eq!(g.days(), None);
        assert_eq!(g.why_not(), "the method returned 2");
        // wmic's error alone (read through the manifest path hint).
        let g = parse("ERROR:\r\nDescription = Invalid namespace\r\n").unwrap();
        assert_eq!(g.why_not(), "the method failed: Invalid namespace");
        assert!(!sniff("ERROR:\r\nDescription = Invalid namespace\r\n"));
        assert!(parse("Node,Name\r\nX,Y\r\n").is_err());
        assert!(!sniff("DaysLeft = 3;"));
    }
}

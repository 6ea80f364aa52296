//! `w32tm /query /status [/verbose]`: whether the Windows Time service keeps the clock in step
//! with its source (on a domain member, a domain controller).
//!
//! Kerberos refuses tickets when client and DC clocks differ by more than five minutes, so a
//! machine whose clock runs free fails every domain logon (and NLA) with
//! `STATUS_TIME_DIFFERENCE_AT_DC`. w32tm prints `Label: value` lines in a fixed order:
//!
//! ```text
//! Leap Indicator: 0(no warning)
//! Stratum: 4 (secondary reference - syncd by (S)NTP)
//! Precision: -23 (119.209ns per tick)
//! Root Delay: 0.0312500s
//! Root Dispersion: 7.8000000s
//! ReferenceId: 0x0A000001 (source IP:  10.0.0.1)
//! Last Successful Sync Time: 11/20/2026 9:58:12 AM
//! Source: DC01.contoso.local
//! Poll Interval: 10 (1024s)
//! ```
//!
//! and with `/verbose`, after a blank line: Phase Offset, ClockRate, State Machine, Time Source
//! Flags, Server Role, Last Sync Error, Time since Last Good Sync Time. Labels, the words in
//! parentheses, the date format and the decimal separator follow the display language
//! (`閏インジケーター: 0 (警告なし)`, `0,0001234s`), so fields are found by English and Japanese
//! label, else by position in that fixed order. When the service is stopped w32tm prints one
//! line ending in `(0x80070426)` instead.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Longest value kept.
const MAX_VALUE_CHARS: usize = 256;
/// Most `label: value` lines kept.
const MAX_FIELDS: usize = 64;

/// The fields in the order w32tm prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Field {
    LeapIndicator,
    Stratum,
    Precision,
    RootDelay,
    RootDispersion,
    ReferenceId,
    LastSuccessfulSyncTime,
    Source,
    PollInterval,
    PhaseOffset,
    ClockRate,
    StateMachine,
    TimeSourceFlags,
    ServerRole,
    LastSyncError,
    TimeSinceLastGoodSync,
}

const ORDER: [Field; 16] = [
    Field::LeapIndicator,
    Field::Stratum,
    Field::Precision,
    Field::RootDelay,
    Field::RootDispersion,
    Field::ReferenceId,
    Field::LastSuccessfulSyncTime,
    Field::Source,
    Field::PollInterval,
    Field::PhaseOffset,
    Field::ClockRate,
    Field::StateMachine,
    Field::TimeSourceFlags,
    Field::ServerRole,
    Field::LastSyncError,
    Field::TimeSinceLastGoodSync,
];

/// Labels per field: English (verified), Japanese (from a published Japanese output),
/// traditional Chinese and Russian where seen; other languages fall back to position.
const LABELS: &[(Field, &[&str])] = &[
    (
        Field::LeapIndicator,
        &["Leap Indicator", "閏インジケーター", "躍進式指示器"],
    ),
    (Field::Stratum, &["Stratum", "階層", "組織層"]),
    (Field::Precision, &["Precision", "精度"]),
    (Field::RootDelay, &["Root Delay", "ルート遅延"]),
    (
        Field::RootDispersion,
        &["Root Dispersion", "ルート分散", "Дисперсия корня"],
    ),
    (Field::ReferenceId, &["ReferenceId", "参照 ID"]),
    (
        Field::LastSuccessfulSyncTime,
        &["Last Successful Sync Time", "最終正常同期時刻"],
    ),
    (Field::Source, &["Source", "ソース", "來源"]),
    (Field::PollInterval, &["Poll Interval", "ポーリング間隔"]),
    (
        Field::PhaseOffset,
        &["Phase Offset", "フェーズ オフセット", "Смещение фазы"],
    ),
    (Field::ClockRate, &["ClockRate", "クロック レート"]),
    (Field::StateMachine, &["State Machine"]),
    (Field::TimeSourceFlags, &["Time Source Flags"]),
    (Field::ServerRole, &["Server Role"]),
    (
        Field::LastSyncError,
        &["Last Sync Error", "最終同期エラー", "上次同步處理錯誤"],
    ),
    (
        Field::TimeSinceLastGoodSync,
        &[
            "Time since Last Good Sync Time",
            "最終正常同期時刻からの時間",
            "自上次良好同步處理時間後的時間",
        ],
    ),
];

/// One `Label: value` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusLine {
    pub field: Option<Field>,
    pub label: String,
    pub value: String,
    pub line: usize,
}

/// What w32tm printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TimeStatus {
    pub lines: Vec<StatusLine>,
    /// The error line when the query failed (`... (0x80070426)`), and its HRESULT.
    pub error: Option<(String, u32, usize)>,
}

impl TimeStatus {
    /// The line of `field`.
    pub fn get(&self, field: Field) -> Option<&StatusLine> {
        self.lines.iter().find(|l| l.field == Some(field))
    }

    /// The leading number of a field (`0(no warning)` gives 0, `4 (secondary...)` gives 4).
    pub fn number(&self, field: Field) -> Option<i64> {
        let v = &self.get(field)?.value;
        let digits: String = v
            .trim()
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
            .map(|(_, c)| c)
            .collect();
        digits.parse().ok()
    }

    /// A duration field in seconds (`0.0061517s`, `-0,0038147s`, `339.9333552s`).
    pub fn seconds(&self, field: Field) -> Option<f64> {
        parse_seconds(&self.get(field)?.value)
    }

    /// `Local CMOS Clock` or `Free-running System Clock`: the clock follows no time source.
    pub fn source_is_local(&self) -> bool {
        self.get(Field::Source).is_some_and(|s| {
            let v = s.value.to_ascii_lowercase();
            v.contains("local cmos clock") || v.contains("free-running system clock")
        })
    }

    /// Leap indicator 3: the service says the clock is not synchronized.
    pub fn not_synchronized(&self) -> bool {
        self.number(Field::LeapIndicator) == Some(3)
    }

    /// No successful sync on record (`unspecified`, `未指定`: a value without digits).
    pub fn never_synced(&self) -> bool {
        self.get(Field::LastSuccessfulSyncTime)
            .is_some_and(|l| !l.value.chars().any(|c| c.is_ascii_digit()))
    }
}

/// `-0,0038147s` → -0.0038147.
pub fn parse_seconds(v: &str) -> Option<f64> {
    let t = v.trim();
    let num = t.strip_suffix('s').unwrap_or(t).trim().replace(',', ".");
    num.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// True for w32tm status output: a first `label: value` line shaped like the leap indicator
/// (`0(no warning)`) and a ReferenceId-shaped value (`0x` and eight hex digits) soon after.
pub fn sniff(text: &str) -> bool {
    let kvs: Vec<(&str, &str)> = text::lines(text)
        .filter_map(|(_, l)| split(l))
        .take(12)
        .collect();
    let Some((_, first)) = kvs.first() else {
        return false;
    };
    let leap = first
        .trim()
        .split_once('(')
        .is_some_and(|(n, _)| matches!(n.trim(), "0" | "1" | "2" | "3"));
    let refid = kvs.iter().any(|(_, v)| {
        v.split_whitespace()
            .next()
            .and_then(|w| w.strip_prefix("0x"))
            .is_some_and(|h| h.len() == 8 && h.chars().all(|c| c.is_ascii_hexdigit()))
    });
    leap && refid
}

/// Parses the output. Fails when there is neither a status line nor an error line.
pub fn parse(text: &str) -> Result<TimeStatus, ParseError> {
    let mut out = TimeStatus::default();
    for (n, line) in text::lines(text) {
        if out.lines.len() >= MAX_FIELDS {
            break;
        }
        let l = line.trim_start_matches('\u{feff}');
        if let Some(hr) = hresult(l) {
            out.error.get_or_insert((clip(l.trim()), hr, n));
            continue;
        }
        let Some((label, value)) = split(l) else {
            continue;
        };
        out.lines.push(StatusLine {
            field: field_of(label),
            label: clip(label.trim()),
            value: clip(value.trim()),
            line: n,
        });
    }
    // Unknown labels: w32tm always prints the same fields in the same order.
    let complete = matches!(out.lines.len(), 9 | 16);
    if complete {
        for (l, f) in out.lines.iter_mut().zip(ORDER) {
            if l.field.is_none() {
                l.field = Some(f);
            }
        }
    }
    if out.lines.is_empty() && out.error.is_none() {
        return Err(ParseError::new("no `label: value` status line found"));
    }
    Ok(out)
}

fn field_of(label: &str) -> Option<Field> {
    let l = label.trim();
    LABELS
        .iter()
        .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(l)))
        .map(|(f, _)| *f)
}

/// `Label: value`, split at the first `": "` (times such as `9:58:12` have no space after
/// their colons) or a full-width colon.
fn split(l: &str) -> Option<(&str, &str)> {
    let (label, value) = match l.find(": ") {
        Some(i) => (l.get(..i)?, l.get(i + 2..)?),
        None => {
            let i = l.find('：')?;
            (l.get(..i)?, l.get(i + '：'.len_utf8()..)?)
        }
    };
    let label_ok = !label.trim().is_empty() && label.chars().count() <= 64;
    (label_ok && !value.trim().is_empty()).then_some((label, value))
}

/// `(0x80070426)` at the end of a line: the HRESULT of a failed query.
fn hresult(l: &str) -> Option<u32> {
    let t = l.trim_end();
    let inner = t.strip_suffix(')')?;
    let start = inner.rfind("(0x")?;
    let hex = inner.get(start + 3..)?;
    (hex.len() == 8)
        .then(|| u32::from_str_radix(hex, 16).ok())
        .flatten()
        .filter(|h| h & 0x8000_0000 != 0)
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_VALUE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verbose() -> String {
        [
            "Leap Indicator: 0(no warning)",
            "Stratum: 4 (secondary reference - syncd by (S)NTP)",
            "Precision: -23 (119.209ns per tick)",
            "Root Delay: 0.0312500s",
            "Root Dispersion: 7.8000000s",
            "ReferenceId: 0x0A000001 (source IP:  10.0.0.1)",
            "Last Successful Sync Time: 11/20/2026 9:58:12 AM",
            "Source: DC01.contoso.local",
            "Poll Interval: 10 (1024s)",
            "",
            "Phase Offset: -0.0001234s",
            "ClockRate: 0.0156250s",
            "State Machine: 2 (Sync)",
            "Time Source Flags: 0 (None)",
            "Server Role: 0 (None)",
            "Last Sync Error: 0 (The command completed successfully.)",
            "Time since Last Good Sync Time: 968.9066187s",
            "",
        ]
        .join("\r\n")
    }

    #[test]
    fn english_verbose() {
        let t = verbose();
        assert!(sniff(&t));
        let s = parse(&t).unwrap();
        assert_eq!(s.lines.len(), 16);
        assert_eq!(s.number(Field::LeapIndicator), Some(0));
        assert_eq!(s.number(Field::Stratum), Some(4));
        assert_eq!(s.get(Field::Source).unwrap().value, "DC01.contoso.local");
        assert_eq!(s.get(Field::Source).unwrap().line, 8);
        assert_eq!(
            s.get(Field::LastSuccessfulSyncTime).unwrap().value,
            "11/20/2026 9:58:12 AM"
        );
        assert_eq!(s.seconds(Field::PhaseOffset), Some(-0.0001234));
        assert_eq!(s.seconds(Field::TimeSinceLastGoodSync), Some(968.9066187));
        assert_eq!(s.number(Field::LastSyncError), Some(0));
        assert!(!s.source_is_local() && !s.not_synchronized() && !s.never_synced());
    }

    #[test]
    fn unsynchronized_machine() {
        let t = "Leap Indicator: 3(not synchronized)\r\nStratum: 0 (unspecified)\r\nPrecision: -23 (119.209ns per tick)\r\nRoot Delay: 0.0000000s\r\nRoot Dispersion: 0.0000000s\r\nReferenceId: 0x00000000 (unspecified)\r\nLast Successful Sync Time: unspecified\r\nSource: Local CMOS Clock\r\nPoll Interval: 10 (1024s)\r\n";
        assert!(sniff(t));
        let s = parse(t).unwrap();
        assert!(s.not_synchronized() && s.source_is_local() && s.never_synced());
    }

    #[test]
    fn japanese_labels_and_unknown_language_by_position() {
        let ja = "閏インジケーター: 0 (警告なし)\r\n階層: 2 (二次参照 - 適切に NTP で同期)\r\n精度: -23 (ティックごとに 119.209ns)\r\nルート遅延: 0.0000000s\r\nルート分散: 0.0100000s\r\n参照 ID: 0x564D4943 (ソース名:  \"VMIC\")\r\n最終正常同期時刻: 2026/09/17 19:30:15\r\nソース: VM IC Time Synchronization Provider\r\nポーリング間隔: 6 (64s)\r\n";
        assert!(sniff(ja));
        let s = parse(ja).unwrap();
        assert_eq!(
            s.get(Field::Source).unwrap().value,
            "VM IC Time Synchronization Provider"
        );
        // Labels in a language we do not list: fields by position, comma decimals.
        let de: String = verbose()
            .lines()
            .map(|l| match l.split_once(": ") {
                Some((_, v)) => format!("Xx{}: {}", l.len(), v.replace("0.0", "0,0")),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\r\n");
        let s = parse(&de).unwrap();
        assert_eq!(s.get(Field::Source).unwrap().value, "DC01.contoso.local");
        assert_eq!(s.seconds(Field::PhaseOffset), Some(-0.0001234));
    }

    #[test]
    fn service_not_started() {
        let t = "The following error occurred: The service has not been started. (0x80070426)\r\n";
        let s = parse(t).unwrap();
        let (msg, hr, line) = s.error.clone().unwrap();
        assert_eq!((hr, line), (0x8007_0426, 1));
        assert!(msg.starts_with("The following error"));
        assert!(!sniff(t));
    }

    #[test]
    fn other_outputs_and_garbage() {
        assert!(!sniff(
            "SERVICE_NAME: W32Time\r\n        TYPE               : 20  WIN32_SHARE_PROCESS\r\n"
        ));
        assert!(!sniff("Flags: 30 HAS_IP\r\nTrusted DC Name \\\\DC01\r\n"));
        assert!(parse("").is_err());
        assert!(parse("no status here").is_err());
        let full = verbose();
        for cut in 0..full.len() {
            let _ = parse(&full[..cut]);
            let _ = sniff(&full[..cut]);
        }
        assert_eq!(parse_seconds("NaNs"), None);
        assert_eq!(parse_seconds("infs"), None);
    }
}

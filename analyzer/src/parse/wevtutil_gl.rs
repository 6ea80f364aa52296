//! `wevtutil gl <log>` (get-log): an event log's effective configuration, here the Security
//! log's size and what happens when it is full.
//!
//! wevtutil prints `key: value` lines, the `logging` and `publishing` groups indented by two
//! spaces; its keys are not translated:
//!
//! ```text
//! name: Security
//! enabled: true
//! type: Admin
//! owningPublisher:
//! isolation: Custom
//! channelAccess: O:BAG:SYD:(A;;0xf0005;;;SY)(A;;0x5;;;BA)(A;;0x1;;;S-1-5-32-573)
//! logging:
//!   logFileName: %SystemRoot%\System32\Winevt\Logs\Security.evtx
//!   retention: false
//!   autoBackup: false
//!   maxSize: 20971520
//! publishing:
//!   fileMax: 1
//! ```
//!
//! `retention: true` means "do not overwrite events" (the log stops taking events when it
//! reaches `maxSize`), and `autoBackup: true` with it means "archive the log when full" (a new
//! file is started, nothing is lost); `retention: false` overwrites the oldest events. The
//! semantics are those of the channel's `ChannelLoggingType` (`retention`, `autoBackup`,
//! `maxSize`) in Microsoft's event manifest schema and of `EventLogMode` (Circular, AutoBackup,
//! Retain) in .NET. No public paste of this exact output was found; the layout is written from
//! Microsoft's `wevtutil` documentation (get-log) and the schema above.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Lines read: the output has about fifteen.
const MAX_LINES: usize = 200;
/// Longest value kept.
const MAX_VALUE_CHARS: usize = 512;

/// A value with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line<T> {
    pub value: T,
    pub line: usize,
}

/// What `wevtutil gl` printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct LogConfig {
    /// `name`: the channel, e.g. `Security`.
    pub name: Option<Line<String>>,
    pub enabled: Option<Line<bool>>,
    pub log_file_name: Option<Line<String>>,
    /// `retention: true`: events are not overwritten.
    pub retention: Option<Line<bool>>,
    /// `autoBackup: true`: the full log is archived and a new one started.
    pub auto_backup: Option<Line<bool>>,
    /// `maxSize`, in bytes.
    pub max_size: Option<Line<u64>>,
}

fn boolean(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn key_value(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once(':')?;
    let k = k.trim();
    (!k.is_empty() && !k.contains(' ')).then_some((k, v.trim()))
}

/// The first line is `name: <log>` and a `logging:` group follows.
pub fn sniff(text: &str) -> bool {
    let mut lines = text::lines(text)
        .take(MAX_LINES)
        .map(|(_, l)| l.trim_start_matches('\u{FEFF}'))
        .filter(|l| !l.trim().is_empty());
    let first = lines.next().and_then(key_value);
    matches!(first, Some((k, v)) if k == "name" && !v.is_empty())
        && lines.any(|l| l.trim_end() == "logging:")
}

pub fn parse(text: &str) -> Result<LogConfig, ParseError> {
    let mut out = LogConfig::default();
    for (n, raw) in text::lines(text).take(MAX_LINES) {
        let Some((key, value)) = key_value(raw.trim_start_matches('\u{FEFF}')) else {
            continue;
        };
        let at = |value| Line { value, line: n };
        let short: String = value.chars().take(MAX_VALUE_CHARS).collect();
        match key {
            "name" if out.name.is_none() => out.name = Some(at(short)),
            "enabled" => out.enabled = boolean(value).map(|v| Line { value: v, line: n }),
            "logFileName" => out.log_file_name = Some(at(short)),
            "retention" => out.retention = boolean(value).map(|v| Line { value: v, line: n }),
            "autoBackup" => out.auto_backup = boolean(value).map(|v| Line { value: v, line: n }),
            "maxSize" => {
                out.max_size = value
                    .parse::<u64>()
                    .ok()
                    .map(|v| Line { value: v, line: n })
            }
            _ => {}
        }
    }
    if out.retention.is_none() && out.auto_backup.is_none() && out.max_size.is_none() {
        return Err(ParseError::new(
            "no log configuration: none of retention, autoBackup or maxSize is printed",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `wevtutil gl Security` on a Windows Server with the default 20 MB overwriting log.
    const DEFAULT: &str = "name: Security\r\nenabled: true\r\ntype: Admin\r\nowningPublisher: \r\nisolation: Custom\r\nchannelAccess: O:BAG:SYD:(A;;0xf0005;;;SY)(A;;0x5;;;BA)(A;;0x1;;;S-1-5-32-573)\r\nlogging:\r\n  logFileName: %SystemRoot%\\System32\\Winevt\\Logs\\Security.evtx\r\n  retention: false\r\n  autoBackup: false\r\n  maxSize: 20971520\r\npublishing:\r\n  fileMax: 1\r\n\r\n";

    #[test]
    fn reads_retention_backup_and_size() {
        assert!(sniff(DEFAULT));
        let c = parse(DEFAULT).unwrap();
        assert_eq!(c.name.as_ref().unwrap().value, "Security");
        assert_eq!(
            c.retention.as_ref().map(|l| (l.value, l.line)),
            Some((false, 9))
        );
        assert_eq!(c.auto_backup.as_ref().map(|l| l.value), Some(false));
        assert_eq!(c.max_size.as_ref().map(|l| l.value), Some(20_971_520));
        assert_eq!(c.enabled.as_ref().map(|l| l.value), Some(true));
        assert!(c.log_file_name.unwrap().value.ends_with("Security.evtx"));
        let retain = DEFAULT
            .replace("retention: false", "retention: true")
            .replace("maxSize: 20971520", "maxSize: 1052672");
        let c = parse(&retain).unwrap();
        assert_eq!(c.retention.map(|l| l.value), Some(true));
        assert_eq!(c.max_size.map(|l| l.value), Some(1_052_672));
    }

    #[test]
    fn other_outputs_are_not_a_log_configuration() {
        for t in [
            "",
            "Failed to read configuration for log Security. Access is denied.\r\n",
            "name: x\r\nenabled: true\r\n",
            "Leap Indicator: 0(no warning)\r\nStratum: 4\r\n",
        ] {
            assert!(parse(t).is_err() || !sniff(t), "{t:?}");
            assert!(!sniff(t), "{t:?}");
        }
        assert!(parse("Failed to read configuration.\r\n").is_err());
    }

    #[test]
    fn never_panics_on_noise() {
        for seed in 0..200 {
            let _ = parse(&crate::parse::testutil::noise(seed, 300));
        }
    }
}

//! `sc queryex <service>` (also `sc query`, with or without a name, and `sc qc`): the state,
//! PID and exit codes of a service, or the `[SC] … FAILED 1060:` error when it is missing.
//!
//! What Windows does that shapes this parser:
//! - Labels are localized on some systems (`SERVICE_NAME`, `NOMBRE_SERVICIO`, `ESTADO`,
//!   `CÓD_SALIDA_WIN32`...) but values are not: the state is always a number followed by an
//!   English word (`4  RUNNING`), exit codes are `N  (0xN)`, checkpoints `0x0`, the PID a bare
//!   number. Fields are recognised by the shape of the value, with the English label as a hint.
//! - The service name line is not indented (`SERVICE_NAME: TermService`, echoing the name as
//!   typed, e.g. lower case); a second unindented line is the display name (enumerations only).
//!   `sc qc` indents its `DISPLAY_NAME` and has no state at all.
//! - Failures print `[SC] OpenService FAILED 1060:` (`FEHLER` in German, `ÉCHEC` in French,
//!   possibly mojibake) followed by a localized sentence: the number before the colon is the
//!   Win32 error (1060 not installed, 5 access denied), whatever the language.

use super::text;
use super::ParseError;

/// Service state, from the numeric code `sc` prints (never localized).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceState {
    Stopped,
    StartPending,
    StopPending,
    Running,
    ContinuePending,
    PausePending,
    Paused,
    /// Any other code; `Unknown(0)` for `sc qc` output, which has no state line.
    Unknown(u32),
}

impl ServiceState {
    /// Maps `SERVICE_STATUS.dwCurrentState` (1..=7).
    pub fn from_code(code: u32) -> Self {
        match code {
            1 => ServiceState::Stopped,
            2 => ServiceState::StartPending,
            3 => ServiceState::StopPending,
            4 => ServiceState::Running,
            5 => ServiceState::ContinuePending,
            6 => ServiceState::PausePending,
            7 => ServiceState::Paused,
            other => ServiceState::Unknown(other),
        }
    }
}

/// One service block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// Name as printed after `SERVICE_NAME:` (as typed on the command line: may be lower case);
    /// empty when the block's name line was cut off.
    pub name: String,
    pub display_name: Option<String>,
    pub state: ServiceState,
    /// 1-based line of the state; 0 when there is none (`sc qc`).
    pub state_line: usize,
    /// `PID` (queryex); 0 for a stopped service.
    pub pid: Option<u32>,
    pub win32_exit_code: Option<u32>,
    pub service_exit_code: Option<u32>,
    /// `START_TYPE` from `sc qc`: 0 boot, 1 system, 2 auto, 3 demand, 4 disabled.
    pub start_type: Option<u32>,
    /// `SERVICE_START_NAME` from `sc qc` (`LocalSystem`, `NT Authority\NetworkService`).
    pub service_start_name: Option<String>,
    /// 1-based line of the name (or of the first field when the name line is missing).
    pub line: usize,
}

/// What `sc` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScQuery {
    /// One block per service (`sc query` without a name lists many).
    Services(Vec<ServiceStatus>),
    /// `[SC] … FAILED <code>:` and the sentence after it.
    Error {
        /// Win32 error: 1060 service does not exist, 5 access denied, 1722 RPC server unavailable.
        code: u32,
        message: String,
        line: usize,
    },
}

/// How many lines `sniff` looks at.
const SNIFF_LINES: usize = 40;
/// Longest value kept (names, display names, messages).
const MAX_VALUE_CHARS: usize = 512;
/// Longest label accepted.
const MAX_LABEL_CHARS: usize = 40;

/// The state words `sc` prints after the numeric code.
const STATE_WORDS: &[&str] = &[
    "STOPPED",
    "START_PENDING",
    "STOP_PENDING",
    "RUNNING",
    "CONTINUE_PENDING",
    "PAUSE_PENDING",
    "PAUSED",
];

/// True for sc output: an `[SC]` line, a `SERVICE_NAME:` line or a `N  RUNNING`-shaped field.
pub fn sniff(text: &str) -> bool {
    text::lines(text).take(SNIFF_LINES).any(|(_, line)| {
        let trimmed = line.trim();
        trimmed.starts_with("[SC]")
            || trimmed.starts_with("SERVICE_NAME:")
            || split_field(trimmed).is_some_and(|(_, value)| {
                code_word(value).is_some_and(|(_, word)| STATE_WORDS.contains(&word))
            })
    })
}

/// Parses sc output. Fails when there is neither a service block nor an `[SC]` error code.
pub fn parse(text: &str) -> Result<ScQuery, ParseError> {
    let mut done: Vec<ServiceStatus> = Vec::new();
    let mut current: Option<ServiceStatus> = None;
    let mut error: Option<(u32, usize, String)> = None;
    let mut message = Message::Closed;
    for (n, line) in text::lines(text) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if message == Message::Collecting {
                message = Message::Closed;
            }
            continue;
        }
        if trimmed.starts_with("[SC]") {
            if let (None, Some(code)) = (&error, error_code(trimmed)) {
                error = Some((code, n, String::new()));
                message = Message::Waiting;
            }
            continue;
        }
        let indented = line.starts_with(char::is_whitespace);
        let field = split_field(trimmed);
        match field {
            Some((label, value)) if !indented && is_name_label(label) => {
                message = Message::Closed;
                name_line(&mut current, &mut done, value, n);
            }
            Some((label, value)) if indented => {
                message = Message::Closed;
                field_line(&mut current, label, value, n);
            }
            _ if message != Message::Closed => {
                if let Some((_, _, text)) = error.as_mut() {
                    append_message(text, trimmed);
                }
                message = Message::Collecting;
            }
            _ => {}
        }
    }
    finish(current, &mut done);
    if !done.is_empty() {
        return Ok(ScQuery::Services(done));
    }
    match error {
        Some((code, line, message)) => Ok(ScQuery::Error {
            code,
            message,
            line,
        }),
        None => Err(ParseError::new(
            "no service status block and no [SC] error code",
        )),
    }
}

/// Where the parser is in the sentence that follows an `[SC]` error line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Message {
    Closed,
    /// After the `[SC]` line, before the sentence (blank lines allowed).
    Waiting,
    /// Inside the sentence (a blank line ends it).
    Collecting,
}

fn append_message(text: &mut String, line: &str) {
    if text.chars().count() >= MAX_VALUE_CHARS {
        return;
    }
    if !text.is_empty() {
        text.push(' ');
    }
    text.extend(line.chars().take(MAX_VALUE_CHARS));
}

/// An unindented `LABEL: value` line: a new service, or its display name when the block has
/// no field yet.
fn name_line(
    current: &mut Option<ServiceStatus>,
    done: &mut Vec<ServiceStatus>,
    value: &str,
    n: usize,
) {
    if value.is_empty() {
        return;
    }
    if let Some(block) = current.as_mut() {
        if block.state_line == 0
            && block.display_name.is_none()
            && !block.name.is_empty()
            && block.line + 1 == n
        {
            block.display_name = Some(cut(value));
            return;
        }
    }
    finish(current.take(), done);
    *current = Some(new_block(cut(value), n));
}

fn new_block(name: String, line: usize) -> ServiceStatus {
    ServiceStatus {
        name,
        display_name: None,
        state: ServiceState::Unknown(0),
        state_line: 0,
        pid: None,
        win32_exit_code: None,
        service_exit_code: None,
        start_type: None,
        service_start_name: None,
        line,
    }
}

/// Keeps a block only when something was read from it (a state or a start type): a stray
/// `Word: text` line in a paste is not a service.
fn finish(block: Option<ServiceStatus>, done: &mut Vec<ServiceStatus>) {
    if let Some(block) = block {
        if block.state_line > 0 || block.start_type.is_some() {
            done.push(block);
        }
    }
}

/// An indented `LABEL : value` field, classified by the shape of its value.
fn field_line(current: &mut Option<ServiceStatus>, label: &str, value: &str, n: usize) {
    let label_upper = label.to_uppercase();
    if let Some((code, word)) = code_word(value) {
        let is_state = STATE_WORDS.contains(&word)
            || (is_state_label(&label_upper) && (1..=7).contains(&code));
        let is_start = word.ends_with("_START") || word == "DISABLED";
        let block = match (current.as_mut(), is_state || is_start) {
            (Some(b), _) => b,
            (None, true) => current.insert(new_block(String::new(), n)),
            (None, false) => return,
        };
        if is_state {
            if block.state_line == 0 {
                block.state = ServiceState::from_code(code);
                block.state_line = n;
            }
        } else if is_start {
            block.start_type.get_or_insert(code);
        } else if word.starts_with("(0x") || word.starts_with("(0X") {
            exit_code(block, &label_upper, code);
        }
        return;
    }
    let Some(block) = current.as_mut() else {
        return;
    };
    let numeric =
        !value.is_empty() && value.len() <= 10 && value.bytes().all(|b| b.is_ascii_digit());
    if numeric {
        let labelled_pid = label_upper == "PID";
        let after_state = block.state_line > 0 && label_upper != "TAG";
        if (labelled_pid || after_state) && block.pid.is_none() {
            block.pid = value.parse().ok();
        }
    } else if label_upper == "DISPLAY_NAME" {
        block.display_name.get_or_insert_with(|| cut(value));
    } else if label_upper.contains("START_NAME") || is_account(value) {
        block.service_start_name.get_or_insert_with(|| cut(value));
    }
}

/// `WIN32_EXIT_CODE` comes before `SERVICE_EXIT_CODE`; labels are used when English.
fn exit_code(block: &mut ServiceStatus, label_upper: &str, code: u32) {
    let service = label_upper.contains("SERVICE") && label_upper.contains("EXIT");
    if service {
        block.service_exit_code.get_or_insert(code);
    } else if block.win32_exit_code.is_none() && !label_upper.contains("SERVICE") {
        block.win32_exit_code = Some(code);
    } else {
        block.service_exit_code.get_or_insert(code);
    }
}

/// The state label in the languages seen (`STATE`, `STATUS`, `ÉTAT`, `ESTADO`, `状態`...).
fn is_state_label(label_upper: &str) -> bool {
    const LABELS: &[&str] = &[
        "STATE",
        "STATUS",
        "ÉTAT",
        "ETAT",
        "ESTADO",
        "STATO",
        "状態",
        "状态",
        "СОСТОЯНИЕ",
    ];
    LABELS.contains(&label_upper)
}

/// Accounts `sc qc` prints as SERVICE_START_NAME when its label is translated.
fn is_account(value: &str) -> bool {
    let lower = value.to_lowercase();
    lower == "localsystem"
        || [
            "nt authority\\",
            "nt-autorität\\",
            "autorite nt\\",
            "autorité nt\\",
            "nt-instanz\\",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// A service-name label: upper case (`SERVICE_NAME`, `DIENSTNAME`, `NOMBRE_SERVICIO`), so
/// prompts (`C:\>`) and sentences (`Fehler: …`) are not taken for one.
fn is_name_label(label: &str) -> bool {
    label.chars().count() >= 3 && !label.chars().any(char::is_lowercase)
}

/// Splits `LABEL : value` at the first colon. The label is one word of letters, digits and
/// `_` (any script); `None` for anything else.
fn split_field(trimmed: &str) -> Option<(&str, &str)> {
    let (label, value) = trimmed.split_once(':')?;
    let label = label.trim();
    let ok = !label.is_empty()
        && label.chars().count() <= MAX_LABEL_CHARS
        && label.chars().all(|c| c.is_alphanumeric() || c == '_');
    ok.then(|| (label, value.trim()))
}

/// `4  RUNNING`, `2   AUTO_START  (DELAYED)`, `0  (0x0)`: the leading number and the word
/// after it.
fn code_word(value: &str) -> Option<(u32, &str)> {
    let digits_end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    if digits_end == 0 || digits_end > 10 {
        return None;
    }
    let code = value.get(..digits_end)?.parse().ok()?;
    let rest = value.get(digits_end..)?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let word = rest.split_whitespace().next()?;
    Some((code, word))
}

/// The Win32 error of an `[SC]` line: the last number followed by `:` (or ending the line), as
/// in `[SC] OpenService FAILED 1060:` or `[SC] OpenService ÉCHEC 1060 :`.
fn error_code(line: &str) -> Option<u32> {
    let bytes = line.as_bytes();
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i).is_some_and(u8::is_ascii_digit) {
            let start = i;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let after = line.get(i..).unwrap_or("").trim_start();
            if after.is_empty() || after.starts_with(':') {
                found = line.get(start..i).and_then(|d| d.parse().ok()).or(found);
            }
        } else {
            i += 1;
        }
    }
    found
}

fn cut(value: &str) -> String {
    value.chars().take(MAX_VALUE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{netstat, qwinsta, tasklist};

    fn crlf(lines: &[&str]) -> String {
        let mut s = lines.join("\r\n");
        s.push_str("\r\n");
        s
    }

    /// `sc queryex TermService` on a running system, with sc's trailing blanks.
    fn english_queryex() -> String {
        crlf(&[
            "",
            "SERVICE_NAME: TermService",
            "        TYPE               : 30  WIN32  ",
            "        STATE              : 4  RUNNING ",
            "                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)",
            "        WIN32_EXIT_CODE    : 0  (0x0)",
            "        SERVICE_EXIT_CODE  : 0  (0x0)",
            "        CHECKPOINT         : 0x0",
            "        WAIT_HINT          : 0x0",
            "        PID                : 1288",
            "        FLAGS              :",
        ])
    }

    fn english_stopped() -> String {
        crlf(&[
            "",
            "SERVICE_NAME: UmRdpService",
            "        TYPE               : 20  WIN32_SHARE_PROCESS  ",
            "        STATE              : 1  STOPPED ",
            "        WIN32_EXIT_CODE    : 1077  (0x435)",
            "        SERVICE_EXIT_CODE  : 0  (0x0)",
            "        CHECKPOINT         : 0x0",
            "        WAIT_HINT          : 0x0",
            "        PID                : 0",
            "        FLAGS              :",
        ])
    }

    /// Spanish labels as published in another project's "real output" fixtures (not verified
    /// against a capture of our own).
    fn spanish_queryex() -> String {
        crlf(&[
            "",
            "NOMBRE_SERVICIO: TermService",
            "        TIPO               : 30  WIN32  ",
            "        ESTADO             : 4  RUNNING ",
            "                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)",
            "        CÓD_SALIDA_WIN32   : 0  (0x0)",
            "        CÓD_SALIDA_SERVICIO: 0  (0x0)",
            "        PUNTO_COMPROB.     : 0x0",
            "        INDICACIÓN_INICIO  : 0x0",
            "        PID                : 1288",
            "        MARCAS             :",
        ])
    }

    /// German labels: not verified from a real capture (many German systems print English).
    fn german_queryex() -> String {
        crlf(&[
            "",
            "DIENSTNAME: TermService",
            "        TYP                : 30  WIN32  ",
            "        STATUS             : 4  RUNNING ",
            "                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)",
            "        WIN32_EXITCODE     : 0  (0x0)",
            "        DIENST_EXITCODE    : 0  (0x0)",
            "        CHECKPOINT         : 0x0",
            "        WAIT_HINT          : 0x0",
            "        PID                : 1288",
            "        FLAGS              :",
        ])
    }

    /// German error as printed on a real system.
    fn german_missing() -> String {
        crlf(&[
            "[SC] EnumQueryServicesStatus:OpenService FEHLER 1060:",
            "",
            "Der angegebene Dienst ist kein installierter Dienst.",
            "",
        ])
    }

    /// French error: wording not verified.
    fn french_missing() -> String {
        crlf(&[
            "[SC] OpenService ÉCHEC 1060 :",
            "",
            "Le service spécifié n’existe pas en tant que service installé.",
            "",
        ])
    }

    fn inline_inputs() -> Vec<(&'static str, String)> {
        vec![
            ("sc en", english_queryex()),
            ("sc en stopped", english_stopped()),
            ("sc es", spanish_queryex()),
            ("sc de", german_queryex()),
            ("sc de missing", german_missing()),
            ("sc fr missing", french_missing()),
        ]
    }

    fn sample(name: &str) -> Option<String> {
        crate::parse::testutil::sample_text(&format!("commands/{name}"))
    }

    fn services(q: ScQuery) -> Vec<ServiceStatus> {
        match q {
            ScQuery::Services(v) => v,
            other => panic!("expected services, got {other:?}"),
        }
    }

    #[test]
    fn real_sc_query_termservice() {
        let Some(text) = sample("sc-query__en__rdpwrap-issue215.txt") else {
            return;
        };
        assert!(sniff(&text));
        let v = services(parse(&text).unwrap());
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].name, "termservice");
        assert_eq!(v[0].state, ServiceState::Running);
        assert_eq!(v[0].state_line, 3);
        assert_eq!(v[0].line, 1);
        assert_eq!(v[0].win32_exit_code, Some(0));
        assert_eq!(v[0].service_exit_code, Some(0));
        assert_eq!(v[0].pid, None, "sc query has no PID");
    }

    #[test]
    fn english_queryex_running_and_stopped() {
        let v = services(parse(&english_queryex()).unwrap());
        let s = &v[0];
        assert_eq!(s.name, "TermService");
        assert_eq!(s.display_name, None);
        assert_eq!(
            (s.state, s.state_line, s.line),
            (ServiceState::Running, 4, 2)
        );
        assert_eq!(s.pid, Some(1288));
        assert_eq!((s.win32_exit_code, s.service_exit_code), (Some(0), Some(0)));
        let v = services(parse(&english_stopped()).unwrap());
        assert_eq!(v[0].state, ServiceState::Stopped);
        assert_eq!(v[0].win32_exit_code, Some(1077));
        assert_eq!(v[0].pid, Some(0));
        // Pasted with LF and without leading blank line.
        let lf = english_stopped().replace("\r\n", "\n");
        assert_eq!(services(parse(lf.trim_start()).unwrap())[0].state_line, 3);
    }

    #[test]
    fn localized_labels() {
        for text in [spanish_queryex(), german_queryex()] {
            assert!(sniff(&text));
            let v = services(parse(&text).unwrap());
            assert_eq!(v.len(), 1);
            let s = &v[0];
            assert_eq!(s.name, "TermService");
            assert_eq!(s.state, ServiceState::Running);
            assert_eq!(s.pid, Some(1288));
            assert_eq!((s.win32_exit_code, s.service_exit_code), (Some(0), Some(0)));
        }
        // A translated state word would still be read by its number under a state label.
        let text = "SERVICE_NAME: x\n        ÉTAT               : 1  ARRÊTÉ\n";
        assert_eq!(
            services(parse(text).unwrap())[0].state,
            ServiceState::Stopped
        );
    }

    #[test]
    fn errors_in_any_language() {
        let en = "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\n\nThe specified service does not exist as an installed service.\n\n";
        let denied = crlf(&["[SC] OpenService FAILED 5:", "", "Access is denied.", ""]);
        let mojibake = french_missing().replace('É', "\u{90}");
        for (text, code, start) in [
            (en.to_owned(), 1060, "The specified service"),
            (german_missing(), 1060, "Der angegebene Dienst"),
            (french_missing(), 1060, "Le service"),
            (mojibake, 1060, "Le service"),
            (denied, 5, "Access is denied."),
        ] {
            assert!(sniff(&text));
            match parse(&text).unwrap() {
                ScQuery::Error {
                    code: c,
                    message,
                    line,
                } => {
                    assert_eq!(c, code);
                    assert!(message.starts_with(start), "{message}");
                    assert_eq!(line, 1);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn enumeration_with_display_names_and_pending_state() {
        let text = crlf(&[
            "",
            "SERVICE_NAME: SessionEnv",
            "DISPLAY_NAME: Remote Desktop Configuration",
            "        TYPE               : 20  WIN32_SHARE_PROCESS  ",
            "        STATE              : 2  START_PENDING ",
            "                                (NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)",
            "        WIN32_EXIT_CODE    : 0  (0x0)",
            "        SERVICE_EXIT_CODE  : 0  (0x0)",
            "        CHECKPOINT         : 0x1",
            "        WAIT_HINT          : 0x7d0",
            "        PID                : 1320",
            "        FLAGS              :",
            "",
            "SERVICE_NAME: TermService",
            "DISPLAY_NAME: Remote Desktop Services",
            "        TYPE               : 20  WIN32_SHARE_PROCESS  ",
            "        STATE              : 7  PAUSED ",
            "        WIN32_EXIT_CODE    : 0  (0x0)",
            "        SERVICE_EXIT_CODE  : 0  (0x0)",
            "        CHECKPOINT         : 0x0",
            "        WAIT_HINT          : 0x0",
            "        PID                : 1288",
            "        FLAGS              :",
        ]);
        let v = services(parse(&text).unwrap());
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[0].display_name.as_deref(),
            Some("Remote Desktop Configuration")
        );
        assert_eq!(v[0].state, ServiceState::StartPending);
        assert_eq!(v[0].pid, Some(1320));
        assert_eq!(v[1].name, "TermService");
        assert_eq!(
            v[1].display_name.as_deref(),
            Some("Remote Desktop Services")
        );
        assert_eq!(v[1].state, ServiceState::Paused);
        assert_eq!((v[1].line, v[1].state_line), (14, 17));
    }

    #[test]
    fn sc_qc_start_type_and_account() {
        let text = crlf(&[
            "[SC] QueryServiceConfig SUCCESS",
            "",
            "SERVICE_NAME: TermService",
            "        TYPE               : 20  WIN32_SHARE_PROCESS",
            "        START_TYPE         : 4   DISABLED",
            "        ERROR_CONTROL      : 1   NORMAL",
            "        BINARY_PATH_NAME   : C:\\Windows\\System32\\svchost.exe -k NetworkService",
            "        LOAD_ORDER_GROUP   :",
            "        TAG                : 0",
            "        DISPLAY_NAME       : Remote Desktop Services",
            "        DEPENDENCIES       : RPCSS",
            "        SERVICE_START_NAME : NT Authority\\NetworkService",
        ]);
        assert!(sniff(&text));
        let v = services(parse(&text).unwrap());
        let s = &v[0];
        assert_eq!(s.start_type, Some(4));
        assert_eq!((s.state, s.state_line), (ServiceState::Unknown(0), 0));
        assert_eq!(s.pid, None, "TAG is not a PID");
        assert_eq!(s.display_name.as_deref(), Some("Remote Desktop Services"));
        assert_eq!(
            s.service_start_name.as_deref(),
            Some("NT Authority\\NetworkService")
        );
        let delayed = text.replace("4   DISABLED", "2   AUTO_START  (DELAYED)");
        assert_eq!(services(parse(&delayed).unwrap())[0].start_type, Some(2));
    }

    #[test]
    fn truncated_garbage_and_empty() {
        assert!(parse("").is_err());
        assert!(!sniff(""));
        assert!(parse("Note: nothing here\r\nC:\\>sc queryex TermService\r\n").is_err());
        assert!(parse("\u{0}[SC\r\n:::: ::\r\n99999999999999999999  RUNNING").is_err());
        // Cut right after the state line.
        let text: String = english_queryex()
            .lines()
            .take(4)
            .map(|l| format!("{l}\n"))
            .collect();
        let v = services(parse(&text).unwrap());
        assert_eq!(v[0].state, ServiceState::Running);
        assert_eq!(v[0].pid, None);
        // Name line lost: the block still counts.
        let text: String = english_queryex()
            .lines()
            .skip(2)
            .map(|l| format!("{l}\n"))
            .collect();
        let v = services(parse(&text).unwrap());
        assert_eq!((v[0].name.as_str(), v[0].pid), ("", Some(1288)));
        // Unknown state code.
        let v = services(parse("SERVICE_NAME: x\n        STATE : 9  RUNNING\n").unwrap());
        assert_eq!(v[0].state, ServiceState::Unknown(9));
    }

    /// Every inline input and real sample of the four console kinds is claimed by its own
    /// sniffer and by no other; other commands' outputs are claimed by none.
    #[test]
    fn sniffers_do_not_confuse_the_four_kinds() {
        type Sniff = fn(&str) -> bool;
        let sniffers: [(&str, Sniff); 4] = [
            ("netstat", netstat::sniff),
            ("qwinsta", qwinsta::sniff),
            ("tasklist", tasklist::sniff),
            ("sc", sniff),
        ];
        let mut cases: Vec<(String, String, Option<&str>)> = Vec::new();
        for (label, text) in netstat::tests::inline_inputs() {
            cases.push((label.into(), text, Some("netstat")));
        }
        for (label, text) in qwinsta::tests::inline_inputs() {
            cases.push((label.into(), text, Some("qwinsta")));
        }
        for (label, text) in tasklist::tests::inline_inputs() {
            cases.push((label.into(), text, Some("tasklist")));
        }
        for (label, text) in inline_inputs() {
            cases.push((label.into(), text, Some("sc")));
        }
        let real = [
            ("netstat-an__en__jc.txt", Some("netstat")),
            ("netstat-ano__en__jc.txt", Some("netstat")),
            ("netstat-anob__en__jc.txt", Some("netstat")),
            ("netstat-anb__fr__fonct-reseaux-dany.txt", Some("netstat")),
            ("tasklist__en__some-bat-files.txt", Some("tasklist")),
            ("sc-query__en__rdpwrap-issue215.txt", Some("sc")),
            ("quser__de__windows-for-kids.txt", Some("qwinsta")),
            ("net-localgroup__en__jc.txt", None),
            ("net-localgroup-administrators__en__jc.txt", None),
            (
                "netsh-advfirewall-show-rule-all__en__some-bat-files.txt",
                None,
            ),
        ];
        for (file, kind) in real {
            if let Some(text) = sample(file) {
                cases.push((file.into(), text, kind));
            }
        }
        for (label, text, expected) in &cases {
            let claimed: Vec<&str> = sniffers
                .iter()
                .filter(|(_, f)| f(text))
                .map(|(k, _)| *k)
                .collect();
            let expected: Vec<&str> = expected.iter().copied().collect();
            assert_eq!(claimed, expected, "{label}");
        }
        assert!(cases.len() >= 20);
    }
}

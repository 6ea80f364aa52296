//! `tasklist /svc` (and plain `tasklist`): which process hosts which services.
//!
//! What Windows does that shapes this parser:
//! - The table is fixed-width and the line of `=` runs under the header gives the column spans
//!   (`=========================` image, `========` PID, then services or session columns).
//!   That line is ASCII in every language, while the header above it is translated, truncated
//!   to the column (`Nom de la sessio`) and double-width in CJK, so only the `=` line is used.
//! - Image names contain spaces (`System Idle Process`) and are cut at 25 characters; the PID
//!   is right-aligned in its 8-character column.
//! - `/svc` wraps a long service list onto continuation lines whose image and PID columns are
//!   blank; they are joined back. A process without services shows a localized "N/A"
//!   (`N/A`, `Nicht zutreffend`, `N/D`...).
//! - Pastes lose the alignment (trimmed lines, proportional fonts), and image names in CJK may
//!   be padded by display width, so a row that does not fit the spans is re-read by tokens:
//!   the first all-digit token after the image is the PID.

use super::text;
use super::ParseError;

/// One process row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// Image name as printed (at most 25 characters, may contain spaces).
    pub image: String,
    pub pid: u32,
    /// Services hosted by the process (`/svc`); empty for N/A and for plain `tasklist`.
    pub services: Vec<String>,
    /// 1-based line of the row (continuation lines are not recorded).
    pub line: usize,
}

/// The parsed table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tasklist {
    pub processes: Vec<Process>,
    /// True for `tasklist /svc` output (three columns, the third a service list).
    pub has_services: bool,
}

impl Tasklist {
    /// The process with this PID.
    pub fn by_pid(&self, pid: u32) -> Option<&Process> {
        self.processes.iter().find(|p| p.pid == pid)
    }

    /// PID of the process hosting `service` (service key name, compared case-insensitively).
    pub fn pid_of_service(&self, service: &str) -> Option<u32> {
        self.processes
            .iter()
            .find(|p| p.services.iter().any(|s| s.eq_ignore_ascii_case(service)))
            .map(|p| p.pid)
    }
}

/// How many lines `sniff` looks at.
const SNIFF_LINES: usize = 32;
/// Characters of a line looked at (a `/svc` line is under 80; `/v` about 250).
const MAX_LINE_CHARS: usize = 4096;
/// Services kept per process.
const MAX_SERVICES: usize = 1024;
/// Characters kept of one accumulated service list.
const MAX_SERVICE_LIST_CHARS: usize = 64 * 1024;

/// True when the text has tasklist's `=` separator line (PID column 8 wide).
pub fn sniff(text: &str) -> bool {
    text::lines(text)
        .take(SNIFF_LINES)
        .any(|(_, line)| separator_spans(line).is_some())
}

/// Parses tasklist output. Fails when there is no `=` separator line.
pub fn parse(text: &str) -> Result<Tasklist, ParseError> {
    let mut lines = text::lines(text);
    let spans = loop {
        let Some((_, line)) = lines.next() else {
            return Err(ParseError::new(
                "no tasklist table (no ===== separator line under a header)",
            ));
        };
        if let Some(spans) = separator_spans(line) {
            break spans;
        }
    };
    let svc = spans.len() == 3;
    let mut rows: Vec<(Process, String)> = Vec::new();
    // True while the next line may continue the last row's service list.
    let mut open = false;
    for (n, line) in lines {
        let chars: Vec<char> = line.chars().take(MAX_LINE_CHARS).collect();
        if chars.iter().all(|c| c.is_whitespace()) {
            open = false;
            continue;
        }
        if svc && open {
            if let Some(more) = continuation(&chars, &spans) {
                if let Some((_, list)) = rows.last_mut() {
                    append_wrapped(list, &more);
                }
                continue;
            }
        }
        match read_row(&chars, &spans, svc) {
            Some((image, pid, list)) => {
                let process = Process {
                    image,
                    pid,
                    services: Vec::new(),
                    line: n,
                };
                rows.push((process, list));
                open = true;
            }
            None => open = false,
        }
    }
    let mut processes: Vec<Process> = rows
        .into_iter()
        .map(|(mut p, list)| {
            p.services = split_services(&list);
            p
        })
        .collect();
    // `tasklist /m` has the same three columns, listing DLLs: not services.
    let modules = processes
        .iter()
        .flat_map(|p| p.services.iter())
        .any(|s| is_module_name(s));
    if modules {
        processes.iter_mut().for_each(|p| p.services.clear());
    }
    Ok(Tasklist {
        processes,
        has_services: svc && !modules,
    })
}

/// Column spans `(start, end)` in characters from a line of `=` runs, or `None` when the line
/// is not one. tasklist's PID column is always 8 wide.
fn separator_spans(line: &str) -> Option<Vec<(usize, usize)>> {
    let mut spans = Vec::new();
    let mut start: Option<usize> = None;
    let mut len = 0usize;
    for (i, c) in line.chars().take(MAX_LINE_CHARS).enumerate() {
        len = i + 1;
        match (c, start) {
            ('=', None) => start = Some(i),
            ('=', Some(_)) => {}
            (' ' | '\t', Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (' ' | '\t', None) => {}
            _ => return None,
        }
    }
    if let Some(s) = start {
        spans.push((s, len));
    }
    let pid_width = spans.get(1).map(|(s, e)| e - s);
    let image_width = spans.first().map(|(s, e)| e - s);
    let ok = spans.len() >= 3 && pid_width == Some(8) && image_width.is_some_and(|w| w >= 10);
    ok.then_some(spans)
}

/// The text of a continuation line: image and PID columns blank, something after them.
fn continuation(chars: &[char], spans: &[(usize, usize)]) -> Option<String> {
    let services_start = spans.get(2)?.0;
    let head = chars.get(..services_start.min(chars.len()))?;
    if !head.iter().all(|c| c.is_whitespace()) {
        return None;
    }
    let tail: String = chars.get(services_start..)?.iter().collect();
    let tail = tail.trim();
    (!tail.is_empty()).then(|| tail.to_owned())
}

/// Reads `(image, pid, services text)` from a row, by the spans when they fit, else by tokens.
fn read_row(chars: &[char], spans: &[(usize, usize)], svc: bool) -> Option<(String, u32, String)> {
    by_spans(chars, spans, svc).or_else(|| by_tokens(chars, svc))
}

fn by_spans(chars: &[char], spans: &[(usize, usize)], svc: bool) -> Option<(String, u32, String)> {
    let image_end = spans.first()?.1;
    let pid_end = spans.get(1)?.1;
    let image = collect_trimmed(chars, 0, image_end);
    let pid_text = collect_trimmed(chars, image_end, pid_end);
    if image.is_empty() || pid_text.is_empty() || !pid_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pid = pid_text.parse().ok()?;
    let services = if svc {
        collect_trimmed(chars, pid_end, chars.len())
    } else {
        String::new()
    };
    Some((image, pid, services))
}

fn collect_trimmed(chars: &[char], from: usize, to: usize) -> String {
    let to = to.min(chars.len());
    let from = from.min(to);
    chars
        .get(from..to)
        .map(|s| s.iter().collect::<String>().trim().to_owned())
        .unwrap_or_default()
}

/// Token fallback: the image is everything before the first all-digit token (not the first
/// token), the PID is that token, services (for `/svc`) the rest.
fn by_tokens(chars: &[char], svc: bool) -> Option<(String, u32, String)> {
    let line: String = chars.iter().collect();
    let tokens: Vec<&str> = line.split_whitespace().take(256).collect();
    let pid_idx = tokens
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, t)| t.len() <= 10 && t.bytes().all(|b| b.is_ascii_digit()))
        .map(|(i, _)| i)?;
    let image = tokens.get(..pid_idx)?.join(" ");
    let pid = tokens.get(pid_idx)?.parse().ok()?;
    let services = if svc {
        tokens.get(pid_idx + 1..).unwrap_or_default().join(" ")
    } else {
        String::new()
    };
    Some((image, pid, services))
}

/// Joins a wrapped service list. tasklist breaks after `, `; if a line ends without a comma
/// the break fell inside a name, so the pieces are glued.
fn append_wrapped(list: &mut String, more: &str) {
    if list.len() + more.len() > MAX_SERVICE_LIST_CHARS {
        return;
    }
    if list.trim_end().ends_with(',') {
        list.push(' ');
    }
    list.push_str(more);
}

/// Splits `A, B, C` into names; the localized N/A becomes an empty list.
fn split_services(list: &str) -> Vec<String> {
    let list = list.trim();
    if is_not_applicable(list) {
        return Vec::new();
    }
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(MAX_SERVICES)
        .map(str::to_owned)
        .collect()
}

/// The "N/A" of each language: `N/A` (en, fr, ja), `N/D` (es, it), `Nicht zutreffend` (de),
/// `Н/Д` (ru)... Service key names contain no `/` and no spaces, so a short value with a slash
/// or a known phrase is not a service.
fn is_not_applicable(value: &str) -> bool {
    const PHRASES: &[&str] = &[
        "nicht zutreffend",
        "non applicable",
        "no aplicable",
        "não aplicável",
        "niet van toepassing",
        "該当なし",
        "暂缺",
        "不適用",
        "해당 없음",
    ];
    let lower = value.to_lowercase();
    value.is_empty()
        || (value.chars().count() <= 5 && value.contains('/'))
        || PHRASES.iter().any(|p| lower == *p)
}

/// `tasklist /m` lists modules (`ntdll.dll`), not services.
fn is_module_name(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    [".dll", ".exe", ".drv", ".mui", ".ocx", ".cpl"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn crlf(lines: &[&str]) -> String {
        let mut s = lines.join("\r\n");
        s.push_str("\r\n");
        s
    }

    const SVC_SEPARATOR: &str =
        "========================= ======== ============================================";

    /// A `/svc` row: image `%-25s`, space, PID `%8d`, space, services.
    fn srow(image: &str, pid: &str, services: &str) -> String {
        format!("{image:<25} {pid:>8} {services}")
    }

    /// A continuation line: 35 blanks, then the rest of the list.
    fn cont(services: &str) -> String {
        format!("{:35}{services}", "")
    }

    fn english_svc() -> String {
        crlf(&[
            "",
            "Image Name                     PID Services",
            SVC_SEPARATOR,
            &srow("System Idle Process", "0", "N/A"),
            &srow("System", "4", "N/A"),
            &srow(
                "svchost.exe",
                "912",
                "BrokerInfrastructure, DcomLaunch, LSM,",
            ),
            &cont("PlugPlay, Power, SystemEventsBroker"),
            &srow("svchost.exe", "1288", "TermService"),
            &srow("svchost.exe", "1320", "SessionEnv, UmRdpService"),
            &srow("rdpclip.exe", "5120", "N/A"),
        ])
    }

    /// German (`Abbildname`, `Dienste`, `Nicht zutreffend`): words not verified from a real
    /// `/svc` capture.
    fn german_svc() -> String {
        crlf(&[
            "",
            "Abbildname                     PID Dienste",
            SVC_SEPARATOR,
            &srow("System Idle Process", "0", "Nicht zutreffend"),
            &srow("svchost.exe", "1288", "TermService"),
        ])
    }

    /// French plain header verified; `/svc` header word and N/A not verified.
    fn french_svc() -> String {
        crlf(&[
            "",
            "Nom de l'image                 PID Services",
            SVC_SEPARATOR,
            &srow("System Idle Process", "0", "N/A"),
            &srow("svchost.exe", "1288", "TermService"),
        ])
    }

    /// Spanish plain header verified; `Servicios` and `N/D` not verified.
    fn spanish_svc() -> String {
        crlf(&[
            "",
            "Nombre de imagen               PID Servicios",
            SVC_SEPARATOR,
            &srow("System Idle Process", "0", "N/D"),
            &srow("svchost.exe", "1288", "TermService"),
        ])
    }

    /// Japanese: words not verified.
    fn japanese_svc() -> String {
        crlf(&[
            "",
            "イメージ名                     PID サービス",
            SVC_SEPARATOR,
            &srow("System Idle Process", "0", "N/A"),
            &srow("svchost.exe", "1288", "TermService"),
        ])
    }

    pub(crate) fn inline_inputs() -> Vec<(&'static str, String)> {
        vec![
            ("tasklist en", english_svc()),
            ("tasklist de", german_svc()),
            ("tasklist fr", french_svc()),
            ("tasklist es", spanish_svc()),
            ("tasklist ja", japanese_svc()),
        ]
    }

    fn sample(name: &str) -> Option<String> {
        crate::parse::testutil::sample_text(&format!("commands/{name}"))
    }

    #[test]
    fn row_helper_matches_the_real_layout() {
        // The plain layout shares the image and PID columns with /svc (real line from the
        // sample: `System Idle Process              0 Services                   0          8 K`).
        assert_eq!(
            srow("System Idle Process", "0", "Services"),
            "System Idle Process              0 Services"
        );
        assert_eq!(cont("x").find('x'), Some(35));
    }

    #[test]
    fn real_plain_tasklist() {
        let Some(text) = sample("tasklist__en__some-bat-files.txt") else {
            return;
        };
        assert!(sniff(&text));
        let t = parse(&text).unwrap();
        assert!(!t.has_services);
        let rows = text.lines().count() - 3;
        assert_eq!(t.processes.len(), rows);
        let idle = &t.processes[0];
        assert_eq!(
            (idle.image.as_str(), idle.pid, idle.line),
            ("System Idle Process", 0, 4)
        );
        assert_eq!(t.by_pid(1548).unwrap().image, "svchost.exe");
        assert_eq!(t.by_pid(11484).unwrap().image, "tasklist.exe");
        assert!(t.processes.iter().all(|p| p.services.is_empty()));
        assert_eq!(t.pid_of_service("TermService"), None);
    }

    #[test]
    fn english_svc_with_wrapped_list() {
        let text = english_svc();
        assert!(sniff(&text));
        let t = parse(&text).unwrap();
        assert!(t.has_services);
        assert_eq!(t.processes.len(), 6);
        assert!(t.by_pid(0).unwrap().services.is_empty());
        let dcom = t.by_pid(912).unwrap();
        assert_eq!(
            dcom.services,
            vec![
                "BrokerInfrastructure",
                "DcomLaunch",
                "LSM",
                "PlugPlay",
                "Power",
                "SystemEventsBroker"
            ]
        );
        assert_eq!(dcom.line, 6);
        assert_eq!(t.pid_of_service("termservice"), Some(1288));
        assert_eq!(t.pid_of_service("UmRdpService"), Some(1320));
        assert_eq!(t.pid_of_service("SystemEventsBroker"), Some(912));
        assert_eq!(t.pid_of_service("Nope"), None);
        assert_eq!(t.by_pid(5120).unwrap().line, 10);
    }

    #[test]
    fn localized_svc() {
        for (name, text) in inline_inputs() {
            assert!(sniff(&text), "{name}");
            let t = parse(&text).unwrap();
            assert!(t.has_services, "{name}");
            assert!(t.by_pid(0).unwrap().services.is_empty(), "{name}: N/A");
            assert_eq!(t.by_pid(0).unwrap().image, "System Idle Process", "{name}");
            assert_eq!(t.pid_of_service("TermService"), Some(1288), "{name}");
        }
    }

    #[test]
    fn misaligned_rows_fall_back_to_tokens() {
        // A CJK image name padded by display width, and a trimmed paste.
        let text = crlf(&[
            "Image Name                     PID Services",
            SVC_SEPARATOR,
            "メモ帳ツール.exe                8812 N/A",
            "svchost.exe 1288 TermService",
            "svchost.exe   1320 SessionEnv, UmRdpService",
        ]);
        let t = parse(&text).unwrap();
        assert_eq!(t.by_pid(8812).unwrap().image, "メモ帳ツール.exe");
        assert!(t.by_pid(8812).unwrap().services.is_empty());
        assert_eq!(t.pid_of_service("TermService"), Some(1288));
        assert_eq!(t.pid_of_service("SessionEnv"), Some(1320));
    }

    #[test]
    fn modules_are_not_services() {
        let text = crlf(&[
            "Image Name                     PID Modules",
            SVC_SEPARATOR,
            &srow(
                "rdpclip.exe",
                "5120",
                "ntdll.dll, KERNEL32.DLL, rdpcorets.dll",
            ),
        ]);
        let t = parse(&text).unwrap();
        assert!(!t.has_services);
        assert!(t.by_pid(5120).unwrap().services.is_empty());
    }

    #[test]
    fn truncated_garbage_and_empty() {
        assert!(parse("").is_err());
        assert!(!sniff(""));
        assert!(
            parse("garbage\r\n=== ===\r\n1 2 3").is_err(),
            "PID column must be 8 wide"
        );
        let mut text = english_svc();
        text.push_str("INFO: No tasks are running which match the specified criteria.\r\n");
        text.push_str("svchost.exe              ");
        let t = parse(&text).unwrap();
        assert_eq!(t.processes.len(), 6, "cut row and INFO line dropped");
        // A continuation after an unreadable line is not glued to an older row.
        let text = crlf(&[
            "Image Name                     PID Services",
            SVC_SEPARATOR,
            &srow("svchost.exe", "1288", "TermService,"),
            "???",
            &cont("Orphan"),
        ]);
        assert_eq!(
            parse(&text).unwrap().by_pid(1288).unwrap().services,
            vec!["TermService"]
        );
        // A huge PID and a huge line do not panic.
        let text = format!(
            "h\r\n{SVC_SEPARATOR}\r\n{}",
            srow("x.exe", "99999999999", "A")
        );
        assert!(parse(&text).is_ok());
        let text = format!("h\r\n{SVC_SEPARATOR}\r\n{}", "a, ".repeat(200_000));
        assert!(parse(&text).is_ok());
    }
}

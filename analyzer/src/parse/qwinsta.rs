//! `qwinsta` / `query session`: the Remote Desktop sessions and listeners of a machine.
//!
//! What Windows does that shapes this parser:
//! - The table is fixed-width (`SESSIONNAME` at column 1, `USERNAME` at 19, `ID` right-aligned
//!   to column 46, `STATE` at 48) and both name columns can be blank: a disconnected user has
//!   no session name, `services`, `console` and the `rdp-tcp` listener have no user. Some
//!   builds widen the name column, so widths come from the header when there is one.
//! - Headers are translated (`SITZUNGSNAME BENUTZERNAME ID STATUS TYP GERÄT`,
//!   `NOMBRE DE SESIÓN  NOMBRE DE USUARIO  ID  ESTADO ...`, `セッション名 ユーザー名 ID 状態 ...`),
//!   multi-word, double-width in CJK (so header offsets are computed in display columns) and
//!   often mojibake. The `ID` column title is the one constant.
//! - States are translated in some languages and truncated to the column: German `Aktiv`,
//!   `Getr.`, `Abhör.`; Spanish `Activo`, `Desc`, `Escuchar` (and English `Conn`); Japanese
//!   keeps `Active`/`Disc`/`Listen`. They are matched on folded, mojibake-tolerant prefixes.
//! - The session ID anchors every row: it is the number ending under the `ID` title, or (without
//!   a usable header) the number followed by a state word. What precedes it is the name and/or
//!   the user, told apart by column; what follows is state, type and device.
//! - `quser` / `query user` prints a similar table with the user first and idle/logon times
//!   instead of type/device. It never lists the listener, but it does list who is logged on
//!   and in which state, so [`sniff`] takes it too and [`parse`] says so in
//!   [`Sessions::layout`]: readers must not take its missing `rdp-tcp` row for a missing
//!   listener.

use super::netstat::{fold, loose_starts_with};
use super::text;
use super::ParseError;

/// Session state (`WTS_CONNECTSTATE_CLASS`), whatever language qwinsta printed it in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SessionState {
    Active,
    Connected,
    ConnectQuery,
    Shadow,
    Disconnected,
    Idle,
    Listen,
    Reset,
    Down,
    Init,
    /// A word this parser does not know, as printed (empty when the row stops after the ID).
    Other(String),
}

/// Which command printed the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TableLayout {
    /// `qwinsta` / `query session`: sessions and listeners, with TYPE and DEVICE.
    #[default]
    Qwinsta,
    /// `quser` / `query user`: user sessions only (never the `rdp-tcp` listener), user first.
    Quser,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The row starts with `>`: the session qwinsta ran in.
    pub current: bool,
    /// SESSIONNAME (`console`, `rdp-tcp#3`, `rdp-tcp`...); `None` when blank.
    pub name: Option<String>,
    /// USERNAME; `None` when blank.
    pub user: Option<String>,
    pub id: Option<u32>,
    pub state: SessionState,
    /// TYPE (`rdpwd`, `wdcon`); always `None` for quser.
    pub kind: Option<String>,
    /// DEVICE; always `None` for quser.
    pub device: Option<String>,
    /// 1-based line of the row.
    pub line: usize,
}

/// The parsed table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sessions {
    pub sessions: Vec<Session>,
    /// The layout of the (first) table. With [`TableLayout::Quser`] the absence of an
    /// `rdp-tcp` row says nothing about the listener.
    pub layout: TableLayout,
}

impl Sessions {
    /// The RDP listener: the row named `rdp-tcp` (not `rdp-tcp#N`), else the row with ID 65536.
    pub fn rdp_listener(&self) -> Option<&Session> {
        let by_name = self.sessions.iter().find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case("rdp-tcp"))
        });
        by_name.or_else(|| self.sessions.iter().find(|s| s.id == Some(65536)))
    }
}

/// How many lines `sniff` looks at.
const SNIFF_LINES: usize = 64;
/// Tokens looked at per line (a row has at most ~8; user names may add a few).
const MAX_TOKENS: usize = 32;
/// Longest string kept from a cell.
const MAX_CELL_CHARS: usize = 128;
/// Without a header, a first token starting left of this column is in the first name column.
const FIRST_COLUMN_LIMIT: usize = 12;
/// Without a header, a row whose session name is not well known must have its ID ending at or
/// right of this column (qwinsta puts it at 46, quser at 42).
const MIN_HEADERLESS_ID_END: usize = 30;

/// True for qwinsta / `query session` or quser / `query user` output: a header with an `ID`
/// title followed by a state title, or a row such as ` rdp-tcp   65536  Listen`.
pub fn sniff(text: &str) -> bool {
    for (_, line) in text::lines(text).take(SNIFF_LINES) {
        if parse_header(line).is_some() {
            return true;
        }
        if let Some(row) = parse_row(line, 0, None) {
            let known_name = row.session.name.as_deref().is_some_and(is_well_known_name);
            if row.recognized_state && known_name && row.layout == TableLayout::Qwinsta {
                return true;
            }
        }
    }
    false
}

/// Parses qwinsta (or quser) output. Fails only when there is neither a header nor a row.
pub fn parse(text: &str) -> Result<Sessions, ParseError> {
    let mut sessions = Vec::new();
    let mut header: Option<Header> = None;
    let mut first_layout: Option<TableLayout> = None;
    let mut rows_in_table = 0usize;
    let mut headerless_layouts = Vec::new();
    for (n, line) in text::lines(text) {
        if line.trim().is_empty() {
            // A blank line after rows ends the table: what follows (prompts, prose) is not in it.
            if rows_in_table > 0 {
                header = None;
            }
            continue;
        }
        if let Some(h) = parse_header(line) {
            first_layout.get_or_insert(h.layout);
            header = Some(h);
            rows_in_table = 0;
            continue;
        }
        let Some(row) = parse_row(line, n, header.as_ref()) else {
            continue;
        };
        if header.is_none() {
            if !row.plausible_without_header() {
                continue;
            }
            headerless_layouts.push(row.layout);
        }
        sessions.push(row.session);
        rows_in_table += 1;
    }
    if sessions.is_empty() && first_layout.is_none() {
        return Err(ParseError::new(
            "no session table (no header with an ID column, no session row)",
        ));
    }
    let layout = first_layout.unwrap_or_else(|| {
        let all_quser = !headerless_layouts.is_empty()
            && headerless_layouts.iter().all(|l| *l == TableLayout::Quser);
        if all_quser {
            TableLayout::Quser
        } else {
            TableLayout::Qwinsta
        }
    });
    Ok(Sessions { sessions, layout })
}

/// Column facts taken from a header line, in display columns.
#[derive(Debug, Clone, Copy)]
struct Header {
    layout: TableLayout,
    /// Tokens before the ID starting left of this column belong to the first column.
    split_col: usize,
    /// Where the right-aligned ID column ends.
    id_end: usize,
}

/// A whitespace-separated piece of a line with its column span.
#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

/// Splits a line into tokens, measuring columns in characters (`wide` = false) or in display
/// cells, where CJK characters take two (`wide` = true) as they do on the console.
fn tokens(line: &str, wide: bool) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut col = 0usize;
    let mut start: Option<(usize, usize)> = None; // (byte, col)
    for (byte, c) in line.char_indices() {
        let w = if wide { display_width(c) } else { 1 };
        if c.is_whitespace() {
            if let Some((b, s)) = start.take() {
                if let Some(text) = line.get(b..byte) {
                    out.push(Tok {
                        text,
                        start: s,
                        end: col,
                    });
                }
            }
        } else if start.is_none() {
            start = Some((byte, col));
        }
        col += w;
        if out.len() >= MAX_TOKENS {
            return out;
        }
    }
    if let Some((b, s)) = start {
        if let Some(text) = line.get(b..) {
            out.push(Tok {
                text,
                start: s,
                end: col,
            });
        }
    }
    out
}

/// Console cell width: two for the East Asian wide and fullwidth ranges, one otherwise.
fn display_width(c: char) -> usize {
    let u = u32::from(c);
    let wide = matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
    if wide {
        2
    } else {
        1
    }
}

/// Reads a header: titles are runs of tokens separated by single spaces (`NOMBRE DE SESIÓN`),
/// except `ID`, which always stands alone; the third title must be `ID` and a state title must
/// follow. The layout is quser when the first title names the user.
fn parse_header(line: &str) -> Option<Header> {
    let toks = tokens(line, true);
    let mut titles: Vec<(usize, usize, String)> = Vec::new();
    for t in &toks {
        let is_id = t.text.eq_ignore_ascii_case("ID");
        let joins = match titles.last() {
            Some((_, end, last)) => {
                !is_id && !last.eq_ignore_ascii_case("ID") && t.start == end + 1
            }
            None => false,
        };
        match titles.last_mut() {
            Some((_, end, text)) if joins => {
                text.push(' ');
                text.push_str(t.text);
                *end = t.end;
            }
            _ => titles.push((t.start, t.end, t.text.to_owned())),
        }
    }
    let (first, second, id, state) = (
        titles.first()?,
        titles.get(1)?,
        titles.get(2)?,
        titles.get(3)?,
    );
    if !id.2.eq_ignore_ascii_case("ID") || state.2.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if toks
        .iter()
        .any(|t| t.text.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let layout = if is_user_title(&first.2) {
        TableLayout::Quser
    } else {
        TableLayout::Qwinsta
    };
    Some(Header {
        layout,
        split_col: (first.0 + second.0) / 2,
        id_end: id.1,
    })
}

/// The first title names the user in quser (`USERNAME`, `BENUTZERNAME`, `UTILISATEUR`,
/// `NOMBRE DE USUARIO`, `ユーザー名`...), the session in qwinsta.
fn is_user_title(title: &str) -> bool {
    const LATIN: &[&str] = &[
        "user",
        "benutzer",
        "utilisateur",
        "usuario",
        "utente",
        "gebruiker",
    ];
    const OTHER: &[&str] = &[
        "ユーザー",
        "用户",
        "使用者",
        "사용자",
        "ПОЛЬЗОВАТЕЛ",
        "Пользовател",
    ];
    let folded = fold(title);
    LATIN.iter().any(|w| folded.contains(w)) || OTHER.iter().any(|w| title.contains(w))
}

/// Names qwinsta always prints, used to recognise a row without a header.
fn is_well_known_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "services" || lower == "console" || lower.starts_with("rdp-tcp")
}

/// A parsed row and what the parser could tell about it.
struct Row {
    session: Session,
    recognized_state: bool,
    layout: TableLayout,
    /// Column where the ID token ends (46 in qwinsta, 42 in quser).
    id_end: usize,
}

impl Row {
    /// Without a header, only rows that look like the real table count: a known state word and
    /// either a well-known session name or the ID far right, where the fixed layout puts it.
    /// This keeps prose such as "step 1 activate" out.
    fn plausible_without_header(&self) -> bool {
        let known_name = self.session.name.as_deref().is_some_and(is_well_known_name);
        self.recognized_state && (known_name || self.id_end >= MIN_HEADERLESS_ID_END)
    }
}

/// Reads one row, anchored on the session ID.
fn parse_row(line: &str, n: usize, header: Option<&Header>) -> Option<Row> {
    if line.contains(":\\") || line.trim_start().starts_with("PS ") {
        return None; // a prompt such as `C:\>qwinsta` or `PS C:\> ...`
    }
    let mut toks = tokens(line, false);
    let mut current = false;
    if let Some(first) = toks.first_mut() {
        if let Some(rest) = first.text.strip_prefix('>') {
            current = true;
            first.text = rest;
            first.start += 1;
        }
    }
    toks.retain(|t| !t.text.is_empty());
    let id_idx = find_id(&toks, header)?;
    let id_tok = toks.get(id_idx)?;
    let id = id_tok.text.parse::<u32>().ok();
    let id_end = id_tok.end;
    let state_raw = toks.get(id_idx + 1).map(|t| t.text).unwrap_or("");
    let state = session_state(state_raw);
    let recognized_state = !matches!(state, SessionState::Other(_));
    let after = toks.get(id_idx + 2..).unwrap_or_default();
    let (first_col, second_col) = split_names(toks.get(..id_idx).unwrap_or_default(), header);
    let layout = match header {
        Some(h) => h.layout,
        None if after.iter().any(|t| looks_like_time(t.text)) => TableLayout::Quser,
        None => TableLayout::Qwinsta,
    };
    let cell =
        |t: Option<&Tok<'_>>| t.map(|t| t.text.chars().take(MAX_CELL_CHARS).collect::<String>());
    let (name, user, kind, device) = match layout {
        TableLayout::Qwinsta => (
            first_col,
            second_col,
            cell(after.first()),
            cell(after.get(1)),
        ),
        TableLayout::Quser => (second_col, first_col, None, None),
    };
    Some(Row {
        session: Session {
            current,
            name,
            user,
            id,
            state,
            kind,
            device,
            line: n,
        },
        recognized_state,
        layout,
        id_end,
    })
}

/// Index of the ID token: the number ending under the header's `ID` title, else the first
/// number followed by a known state word, else (inside a table) the first number.
fn find_id(toks: &[Tok<'_>], header: Option<&Header>) -> Option<usize> {
    let is_number = |t: &Tok<'_>| {
        !t.text.is_empty() && t.text.len() <= 10 && t.text.bytes().all(|b| b.is_ascii_digit())
    };
    let numbers: Vec<usize> = (0..toks.len())
        .filter(|&i| toks.get(i).is_some_and(is_number))
        .collect();
    if let Some(h) = header {
        let under_title = numbers
            .iter()
            .copied()
            .find(|&i| toks.get(i).is_some_and(|t| t.end.abs_diff(h.id_end) <= 1));
        if under_title.is_some() {
            return under_title;
        }
    }
    let before_state = numbers.iter().copied().find(|&i| {
        toks.get(i + 1)
            .is_some_and(|t| !matches!(session_state(t.text), SessionState::Other(_)))
    });
    if before_state.is_some() {
        return before_state;
    }
    match header {
        Some(_) => numbers.first().copied(),
        None => None,
    }
}

/// Splits the tokens before the ID into the first column (session name in qwinsta, user in
/// quser) and the second, by the header's column boundary or, without a header, by whether
/// the first token starts at the left edge. User names may contain spaces, hence the join.
fn split_names(before: &[Tok<'_>], header: Option<&Header>) -> (Option<String>, Option<String>) {
    let limit = header.map_or(FIRST_COLUMN_LIMIT, |h| h.split_col);
    let mut first = Vec::new();
    let mut second = Vec::new();
    for (i, t) in before.iter().enumerate() {
        let in_first = match header {
            Some(_) => t.start < limit,
            None => i == 0 && t.start < limit,
        };
        if in_first {
            first.push(t.text);
        } else {
            second.push(t.text);
        }
    }
    let join = |v: Vec<&str>| {
        if v.is_empty() {
            None
        } else {
            Some(v.join(" ").chars().take(MAX_CELL_CHARS).collect())
        }
    };
    (join(first), join(second))
}

/// quser's IDLE TIME and LOGON TIME cells: `1:22`, `1+02:03`, `28.04.2025`, `8/3/2023`.
fn looks_like_time(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| matches!(b, b':' | b'/' | b'.' | b'+'))
}

/// Maps a printed state (any language, truncated, possibly mojibake) to a [`SessionState`].
fn session_state(raw: &str) -> SessionState {
    const RAW: &[(&str, SessionState)] = &[
        ("アクティブ", SessionState::Active),
        ("切断", SessionState::Disconnected),
        ("接続", SessionState::Connected),
        ("待ち受け", SessionState::Listen),
        ("活动", SessionState::Active),
        ("运行中", SessionState::Active),
        ("断开", SessionState::Disconnected),
        ("已断开", SessionState::Disconnected),
        ("侦听", SessionState::Listen),
        ("监听", SessionState::Listen),
        ("已连接", SessionState::Connected),
        ("актив", SessionState::Active),
        ("Актив", SessionState::Active),
        ("разъед", SessionState::Disconnected),
        ("Разъед", SessionState::Disconnected),
        ("отключ", SessionState::Disconnected),
        ("Отключ", SessionState::Disconnected),
        ("прослуш", SessionState::Listen),
        ("Прослуш", SessionState::Listen),
        ("подключ", SessionState::Connected),
        ("Подключ", SessionState::Connected),
    ];
    for (word, state) in RAW {
        if raw.starts_with(word) {
            return state.clone();
        }
    }
    // Order matters: `connq` before `conn`.
    const FOLDED: &[(&str, SessionState)] = &[
        ("connq", SessionState::ConnectQuery),
        ("connectq", SessionState::ConnectQuery),
        ("conn", SessionState::Connected),
        ("conec", SessionState::Connected), // es
        ("verb", SessionState::Connected),  // de "Verb."
        ("act", SessionState::Active),      // Active, Actif, Activo
        ("akt", SessionState::Active),      // Aktiv
        ("attiv", SessionState::Active),    // it
        ("disc", SessionState::Disconnected),
        ("desc", SessionState::Disconnected), // es "Desc"
        ("deco", SessionState::Disconnected), // fr "Déco", "D‚co"
        ("getr", SessionState::Disconnected), // de "Getr."
        ("listen", SessionState::Listen),
        ("abh", SessionState::Listen),    // de "Abhör.", "Abh”r."
        ("escuch", SessionState::Listen), // es "Escuchar"
        ("?cout", SessionState::Listen),  // fr "Écouter" and its mojibake
        ("idle", SessionState::Idle),
        ("leerl", SessionState::Idle), // de "Leerl."
        ("inact", SessionState::Idle),
        ("shadow", SessionState::Shadow),
        ("reset", SessionState::Reset),
        ("down", SessionState::Down),
        ("init", SessionState::Init),
    ];
    let folded = fold(raw);
    for (pattern, state) in FOLDED {
        if loose_starts_with(&folded, pattern) {
            return state.clone();
        }
    }
    SessionState::Other(raw.chars().take(MAX_CELL_CHARS).collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn crlf(lines: &[&str]) -> String {
        let mut s = lines.join("\r\n");
        s.push_str("\r\n");
        s
    }

    /// A row in qwinsta's layout: marker, name `%-18s`, user `%-20s`, ID right-aligned to
    /// column 46, two spaces, state `%-8s`, type `%-12s`, device.
    fn qrow(marker: &str, name: &str, user: &str, id: &str, state: &str, kind: &str) -> String {
        format!("{marker}{name:<18}{user:<20}{id:>7}  {state:<8}{kind:<12}")
            .trim_end()
            .to_owned()
    }

    const EN_HEADER: &str =
        " SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE";

    fn english() -> String {
        crlf(&[
            "",
            EN_HEADER,
            &qrow(">", "services", "", "0", "Disc", ""),
            &qrow(" ", "console", "", "1", "Conn", "wdcon"),
            &qrow(" ", "", "muoadmin_tg", "2", "Disc", ""),
            &qrow(
                " ",
                "rdp-tcp#2",
                "neville.longbottom",
                "3",
                "Active",
                "rdpwd",
            ),
            &qrow(" ", "rdp-tcp", "", "65536", "Listen", "rdpwd"),
        ])
    }

    /// German `query session` (layout as posted from a real Windows 11 machine); `Verb.` and
    /// `Leerl.` are not verified from a real capture.
    fn german() -> String {
        crlf(&[
            " SITZUNGSNAME      BENUTZERNAME             ID  STATUS  TYP         GERÄT",
            &qrow(" ", "services", "", "0", "Getr.", ""),
            &qrow(">", "console", "Leo", "3", "Aktiv", "wdcon"),
            &qrow(" ", "rdp-tcp#5", "anna", "4", "Verb.", "rdpwd"),
            &qrow(" ", "31C5CE94259D4006A9E4#0", "", "5", "Leerl.", ""),
            &qrow(" ", "rdp-tcp", "", "65536", "Abhör.", "rdpwd"),
        ])
    }

    /// Spanish `qwinsta /server:` as posted verbatim (note `Conn` stays English).
    fn spanish() -> String {
        crlf(&[
            "C:\\WINDOWS\\system32>qwinsta /server:192.168.15.200",
            " NOMBRE DE SESIÓN  NOMBRE DE USUARIO        ID  ESTADO    TIPO   DISPOSITIVO",
            " services                                    0  Desc",
            " console                                     1  Conn",
            "                   sap                       2  Desc",
            " rdp-tcp#80        jcalderon                 5  Activo",
            "                   ccoro                    10  Desc",
            " rdp-tcp                                 65536  Escuchar",
            "",
            "",
            "C:\\WINDOWS\\system32>rwinsta 16 /server:192.168.15.200",
        ])
    }

    /// Japanese `query session`: double-width header, English states (as posted).
    fn japanese() -> String {
        crlf(&[
            " セッション名      ユーザー名               ID  状態    種類        デバイス",
            " services                                    0  Disc",
            ">console           user1                     2  Active",
            " rdp-tcp                                 65536  Listen",
        ])
    }

    /// French: header and state words NOT verified from a real capture.
    fn french() -> String {
        crlf(&[
            " SESSION           UTILISATEUR              ID  ÉTAT    TYPE        PÉRIPHÉRIQUE",
            &qrow(" ", "services", "", "0", "Déco", ""),
            &qrow(">", "console", "Marie", "1", "Actif", "wdcon"),
            &qrow(" ", "", "paul", "2", "Déco", ""),
            &qrow(" ", "rdp-tcp", "", "65536", "Écouter", "rdpwd"),
        ])
    }

    pub(crate) fn inline_inputs() -> Vec<(&'static str, String)> {
        vec![
            ("qwinsta en", english()),
            ("qwinsta de", german()),
            ("qwinsta es", spanish()),
            ("qwinsta ja", japanese()),
            ("qwinsta fr", french()),
        ]
    }

    fn sample(name: &str) -> Option<String> {
        crate::parse::testutil::sample_text(&format!("commands/{name}"))
    }

    #[test]
    fn row_helper_matches_the_real_layout() {
        assert_eq!(
            qrow(" ", "services", "", "0", "Disc", ""),
            " services                                    0  Disc"
        );
        assert_eq!(
            qrow(" ", "console", "neville.longbottom", "1", "Active", ""),
            " console           neville.longbottom        1  Active"
        );
        assert_eq!(
            qrow(" ", "rdp-tcp", "", "65536", "Listen", ""),
            " rdp-tcp                                 65536  Listen"
        );
    }

    #[test]
    fn english_rows() {
        let text = english();
        assert!(sniff(&text));
        let s = parse(&text).unwrap();
        assert_eq!(s.layout, TableLayout::Qwinsta);
        assert_eq!(s.sessions.len(), 5);
        let svc = &s.sessions[0];
        assert!(svc.current);
        assert_eq!(svc.name.as_deref(), Some("services"));
        assert_eq!(svc.user, None);
        assert_eq!(svc.id, Some(0));
        assert_eq!(svc.state, SessionState::Disconnected);
        assert_eq!(svc.line, 3);
        assert_eq!(s.sessions[1].state, SessionState::Connected);
        assert_eq!(s.sessions[1].kind.as_deref(), Some("wdcon"));
        let disc = &s.sessions[2];
        assert_eq!(disc.name, None);
        assert_eq!(disc.user.as_deref(), Some("muoadmin_tg"));
        assert_eq!(disc.id, Some(2));
        let rdp = &s.sessions[3];
        assert!(!rdp.current);
        assert_eq!(rdp.name.as_deref(), Some("rdp-tcp#2"));
        assert_eq!(rdp.user.as_deref(), Some("neville.longbottom"));
        assert_eq!(rdp.state, SessionState::Active);
        assert_eq!(rdp.kind.as_deref(), Some("rdpwd"));
        let l = s.rdp_listener().unwrap();
        assert_eq!(l.id, Some(65536));
        assert_eq!(l.state, SessionState::Listen);
        assert_eq!(l.line, 7);
    }

    #[test]
    fn german_rows_and_mojibake() {
        let text = german();
        assert!(sniff(&text));
        let s = parse(&text).unwrap();
        let states: Vec<_> = s.sessions.iter().map(|x| x.state.clone()).collect();
        assert_eq!(
            states,
            vec![
                SessionState::Disconnected,
                SessionState::Active,
                SessionState::Connected,
                SessionState::Idle,
                SessionState::Listen
            ]
        );
        assert_eq!(s.sessions[1].user.as_deref(), Some("Leo"));
        assert!(s.sessions[1].current);
        assert_eq!(
            s.sessions[3].name.as_deref(),
            Some("31C5CE94259D4006A9E4#0")
        );
        assert_eq!(s.rdp_listener().unwrap().id, Some(65536));
        // CP850 read as CP1252: Ä (0x8E) becomes Ž, ö (0x94) becomes ”.
        let mangled = text.replace("GERÄT", "GERŽT").replace("Abhör.", "Abh”r.");
        let s = parse(&mangled).unwrap();
        assert_eq!(s.rdp_listener().unwrap().state, SessionState::Listen);
        assert!(sniff(&mangled));
        // ... and a lossy decode.
        let lossy = text.replace("ö", "\u{FFFD}").replace("Ä", "\u{FFFD}");
        assert_eq!(
            parse(&lossy).unwrap().rdp_listener().unwrap().state,
            SessionState::Listen
        );
    }

    #[test]
    fn spanish_rows_with_blank_session_names() {
        let text = spanish();
        assert!(sniff(&text));
        let s = parse(&text).unwrap();
        assert_eq!(
            s.sessions.len(),
            6,
            "the rwinsta prompt after the table is not a row"
        );
        assert_eq!(s.sessions[1].state, SessionState::Connected);
        let sap = &s.sessions[2];
        assert_eq!(
            (sap.name.as_deref(), sap.user.as_deref()),
            (None, Some("sap"))
        );
        assert_eq!(sap.state, SessionState::Disconnected);
        let active = &s.sessions[3];
        assert_eq!(active.name.as_deref(), Some("rdp-tcp#80"));
        assert_eq!(active.user.as_deref(), Some("jcalderon"));
        assert_eq!(active.state, SessionState::Active);
        assert_eq!(s.sessions[4].id, Some(10));
        let l = s.rdp_listener().unwrap();
        assert_eq!(
            (l.id, l.state.clone(), l.line),
            (Some(65536), SessionState::Listen, 8)
        );
        // CP850 Ó (0xE0) read as CP1252 is à.
        let mangled = text.replace("SESIÓN", "SESIàN");
        assert_eq!(parse(&mangled).unwrap().sessions.len(), 6);
    }

    #[test]
    fn japanese_double_width_header() {
        let text = japanese();
        assert!(sniff(&text));
        let s = parse(&text).unwrap();
        assert_eq!(s.sessions.len(), 3);
        assert_eq!(s.sessions[1].user.as_deref(), Some("user1"));
        assert_eq!(s.sessions[1].name.as_deref(), Some("console"));
        assert!(s.sessions[1].current);
        assert_eq!(s.rdp_listener().unwrap().state, SessionState::Listen);
        // Japanese state words and a Japanese user name.
        let ja_states = crlf(&[
            " セッション名      ユーザー名               ID  状態    種類        デバイス",
            " services                                    0  切断",
            " rdp-tcp#0         田中                      2  アクティブ",
            " rdp-tcp                                 65536  Listen",
        ]);
        let s = parse(&ja_states).unwrap();
        assert_eq!(s.sessions[0].state, SessionState::Disconnected);
        assert_eq!(s.sessions[1].user.as_deref(), Some("田中"));
        assert_eq!(s.sessions[1].state, SessionState::Active);
        assert_eq!(s.sessions[1].id, Some(2));
    }

    #[test]
    fn french_rows_and_mojibake() {
        let text = french();
        let s = parse(&text).unwrap();
        assert!(sniff(&text));
        let states: Vec<_> = s.sessions.iter().map(|x| x.state.clone()).collect();
        assert_eq!(
            states,
            vec![
                SessionState::Disconnected,
                SessionState::Active,
                SessionState::Disconnected,
                SessionState::Listen
            ]
        );
        assert_eq!(s.sessions[2].user.as_deref(), Some("paul"));
        // CP850 read as CP1252: É (0x90) is an undefined byte, é (0x82) becomes ‚.
        let mangled = text
            .replace("Écouter", "\u{90}couter")
            .replace("Déco", "D‚co")
            .replace("ÉTAT", "\u{90}TAT");
        let s = parse(&mangled).unwrap();
        assert_eq!(s.sessions[0].state, SessionState::Disconnected);
        assert_eq!(s.rdp_listener().unwrap().state, SessionState::Listen);
    }

    #[test]
    fn wide_name_column_build() {
        // A newer layout with a 26-character name column and padded rows (as captured).
        let text = crlf(&[
            " SESSIONNAME               USERNAME                 ID  STATE   TYPE        DEVICE ",
            ">services                                            0  Disc                        ",
            " console                   Gamer                     1  Active                      ",
            "                           gamer2                    2  Disc                        ",
            " rdp-tcp                                         65536  Listen                      ",
        ]);
        let s = parse(&text).unwrap();
        assert_eq!(s.sessions[1].user.as_deref(), Some("Gamer"));
        assert_eq!(s.sessions[2].name, None);
        assert_eq!(s.sessions[2].user.as_deref(), Some("gamer2"));
        assert_eq!(s.rdp_listener().unwrap().id, Some(65536));
    }

    #[test]
    fn numeric_and_spaced_user_names() {
        let text = crlf(&[
            EN_HEADER,
            &qrow(" ", "", "123456", "3", "Disc", ""),
            &qrow(" ", "rdp-tcp#7", "John Smith", "4", "Active", "rdpwd"),
        ]);
        let s = parse(&text).unwrap();
        assert_eq!(s.sessions[0].user.as_deref(), Some("123456"));
        assert_eq!(s.sessions[0].id, Some(3));
        assert_eq!(s.sessions[1].user.as_deref(), Some("John Smith"));
        assert_eq!(s.sessions[1].name.as_deref(), Some("rdp-tcp#7"));
    }

    #[test]
    fn real_german_quser_is_read_as_quser() {
        let Some(text) = sample("quser__de__windows-for-kids.txt") else {
            return;
        };
        // Identified (it was an "unrecognized file"), and known for what it is.
        assert!(sniff(&text));
        let s = parse(&text).unwrap();
        assert_eq!(s.layout, TableLayout::Quser);
        assert_eq!(s.sessions.len(), 1);
        let m = &s.sessions[0];
        assert_eq!(m.user.as_deref(), Some("manfred"));
        assert_eq!(m.name.as_deref(), Some("console"));
        assert_eq!(m.id, Some(4));
        assert_eq!(m.state, SessionState::Active);
        assert_eq!((m.kind.clone(), m.device.clone()), (None, None));
        assert!(s.rdp_listener().is_none());
    }

    #[test]
    fn english_quser_with_a_disconnected_user() {
        let text = crlf(&[
            " USERNAME              SESSIONNAME        ID  STATE   IDLE TIME  LOGON TIME",
            ">salazar38             rdp-tcp#65          7  Active          7  8/4/2023 9:03 AM",
            " gonzalez16                                5  Disc         1:22  8/3/2023 1:41 PM",
        ]);
        assert!(sniff(&text));
        let s = parse(&text).unwrap();
        assert_eq!(s.layout, TableLayout::Quser);
        assert_eq!(s.sessions[0].name.as_deref(), Some("rdp-tcp#65"));
        assert_eq!(s.sessions[0].user.as_deref(), Some("salazar38"));
        assert!(s.sessions[0].current);
        assert_eq!(s.sessions[1].name, None);
        assert_eq!(s.sessions[1].user.as_deref(), Some("gonzalez16"));
        assert_eq!(s.sessions[1].state, SessionState::Disconnected);
        // Without its header, the time cells still give it away.
        let rows: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert_eq!(parse(&rows).unwrap().layout, TableLayout::Quser);
    }

    #[test]
    fn headerless_fragment() {
        let text =
            "C:\\>qwinsta | findstr rdp\n rdp-tcp                                 65536  Listen\n";
        assert!(sniff(text));
        let s = parse(text).unwrap();
        assert_eq!(s.sessions.len(), 1);
        assert_eq!(s.rdp_listener().unwrap().line, 2);
        // Prose with numbers is not a session.
        assert!(parse("step 1 activate the listener\nport 3389 down\n").is_err());
    }

    #[test]
    fn truncated_garbage_and_empty() {
        assert!(parse("").is_err());
        assert!(!sniff(""));
        assert!(parse("\u{0}\u{7}ID ID ID 12 >>>\r\n").is_err());
        let mut text = english();
        text.push_str(" rdp-tcp#9         bob                  ");
        text.push_str("\r\n rdp-tcp                                 6553");
        let s = parse(&text).unwrap();
        assert_eq!(s.sessions.len(), 6, "the row without an ID is dropped");
        let cut = s.sessions.last().unwrap();
        assert_eq!(cut.state, SessionState::Other(String::new()));
        assert_eq!(cut.id, Some(6553));
        // A header alone is a (strange but) valid empty table.
        assert!(parse(EN_HEADER).unwrap().sessions.is_empty());
        // Very long lines do not blow up.
        let long = format!("{EN_HEADER}\r\n{}", "x ".repeat(100_000));
        assert!(parse(&long).unwrap().sessions.is_empty());
    }
}

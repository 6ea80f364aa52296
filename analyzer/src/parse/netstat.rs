//! `netstat -ano` (also `-an`, `-aon`, `-anob`): which process holds which TCP or UDP port.
//!
//! What Windows does that shapes this parser:
//! - Headers are localized ("Active Connections", "Aktive Verbindungen", "Connexions actives",
//!   "アクティブな接続"...) and may arrive as mojibake, so rows are recognised by their own shape
//!   (`TCP`/`UDP`, then two endpoints), never by the header text.
//! - The state column is translated on some systems (German `ABHÖREN`, `HERGESTELLT`; Spanish
//!   `ESCUCHANDO`) and kept in English on others (French, Japanese, Chinese). Read through the OEM
//!   code page with the wrong table, `ABHÖREN` becomes `ABH™REN`, `ABH”REN` or `ABH�REN`, so
//!   state words are matched on folded prefixes, and a TCP row whose foreign address is the
//!   wildcard (`0.0.0.0:0`, `[::]:0`) counts as listening whatever its state word says.
//! - Columns are padded with `%-21s` plus two spaces, so a long IPv6 address with a zone id
//!   (`[fe80::1c1:…%24]:1900`) overflows its column and only two spaces remain: rows are split on
//!   whitespace, not at header offsets. Some translated states contain a space (Italian
//!   `IN ASCOLTO`), so the PID is the last token and the state is whatever lies between.
//! - `-b` prints the owning service (`  RpcSs`) and executable (` [svchost.exe]`) on the lines
//!   after a row, or a localized "cannot obtain ownership information" sentence instead.

use super::text;
use super::ParseError;

/// Transport protocol of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

/// TCP state, whatever language netstat printed it in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TcpState {
    Listening,
    Established,
    TimeWait,
    CloseWait,
    SynSent,
    SynReceived,
    FinWait1,
    FinWait2,
    LastAck,
    Closing,
    Closed,
    DeleteTcb,
    Bound,
    /// A state word this parser does not know (kept as printed, at most 64 characters).
    Other(String),
}

/// One row of the connection table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    pub proto: Proto,
    /// True for `[…]` addresses (and `TCPv6`/`UDPv6` rows of old Windows versions).
    pub ipv6: bool,
    /// Local host without the port and without brackets: `0.0.0.0`, `::`, `fe80::1%9`, `*`.
    pub local_address: String,
    /// Local port; `None` for `*`.
    pub local_port: Option<u16>,
    /// Foreign endpoint exactly as printed, port included: `0.0.0.0:0`, `[::]:0`, `*:*`.
    pub foreign_address: String,
    /// TCP state; `None` for UDP (and for TCP rows cut before the state).
    pub state: Option<TcpState>,
    /// Owning process id (`-o`).
    pub pid: Option<u32>,
    /// Executable from a `-b` ` [name.exe]` line.
    pub process: Option<String>,
    /// Service from a `-b` service line (printed before the executable line).
    pub service: Option<String>,
    /// 1-based line of the row.
    pub line: usize,
}

impl Socket {
    /// True for a listening TCP socket: the state reads as listening, or the state word is
    /// unknown/missing and the foreign address is the wildcard (`0.0.0.0:0`, `[::]:0`, `*:*`).
    /// A recognised non-listening state (e.g. `BOUND`, which also shows `0.0.0.0:0`) wins over
    /// the address.
    pub fn is_listening(&self) -> bool {
        if self.proto != Proto::Tcp {
            return false;
        }
        match &self.state {
            Some(TcpState::Listening) => true,
            Some(TcpState::Other(_)) | None => is_wildcard_foreign(&self.foreign_address),
            Some(_) => false,
        }
    }
}

/// The parsed table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Netstat {
    pub sockets: Vec<Socket>,
    /// True when the output has a PID column (`-o`): a header ending in `PID` or rows with one.
    pub has_pid_column: bool,
}

impl Netstat {
    /// Listening TCP sockets on `port` (IPv4 and IPv6, any local address).
    pub fn tcp_listeners(&self, port: u16) -> Vec<&Socket> {
        self.sockets
            .iter()
            .filter(|s| s.proto == Proto::Tcp && s.local_port == Some(port) && s.is_listening())
            .collect()
    }

    /// UDP sockets bound to `port`.
    pub fn udp_bound(&self, port: u16) -> Vec<&Socket> {
        self.sockets
            .iter()
            .filter(|s| s.proto == Proto::Udp && s.local_port == Some(port))
            .collect()
    }
}

/// How many lines `sniff` looks at.
const SNIFF_LINES: usize = 64;
/// Longest state word kept in [`TcpState::Other`].
const MAX_STATE_CHARS: usize = 64;
/// Tokens looked at per line: a row has at most proto, two endpoints, a (two-word) state, PID.
const MAX_TOKENS: usize = 12;

/// True when `text` looks like netstat connection output: a socket row or a `Proto` header.
pub fn sniff(text: &str) -> bool {
    text::lines(text).take(SNIFF_LINES).any(|(_, line)| {
        let tokens: Vec<&str> = line.split_whitespace().take(MAX_TOKENS).collect();
        is_header(&tokens) || socket_row(&tokens, 0, false).is_some()
    })
}

/// Parses netstat output. Fails only when there is neither a header nor a single socket row.
pub fn parse(text: &str) -> Result<Netstat, ParseError> {
    let mut sockets: Vec<Socket> = Vec::new();
    let mut header_pid = false;
    let mut saw_header = false;
    // True while the lines after the last row may still be its `-b` owner lines.
    let mut owner_lines_open = false;
    for (n, line) in text::lines(text) {
        let tokens: Vec<&str> = line.split_whitespace().take(MAX_TOKENS).collect();
        if tokens.is_empty() {
            owner_lines_open = false;
            continue;
        }
        if let Some(socket) = socket_row(&tokens, n, header_pid) {
            sockets.push(socket);
            owner_lines_open = true;
            continue;
        }
        if is_header(&tokens) {
            saw_header = true;
            header_pid = tokens.last().is_some_and(|t| t.eq_ignore_ascii_case("PID"));
            owner_lines_open = false;
            continue;
        }
        if owner_lines_open {
            if let Some(last) = sockets.last_mut() {
                attach_owner_line(last, line);
            }
        }
    }
    if sockets.is_empty() && !saw_header {
        return Err(ParseError::new(
            "no netstat connection table (no Proto header, no TCP/UDP row)",
        ));
    }
    let has_pid_column = header_pid || sockets.iter().any(|s| s.pid.is_some());
    Ok(Netstat {
        sockets,
        has_pid_column,
    })
}

/// The column header: `Proto` in the Latin-script languages, translated in CJK ones.
fn is_header(tokens: &[&str]) -> bool {
    const FIRST: &[&str] = &["proto", "プロトコル", "协议", "協定", "протокол"];
    tokens.len() >= 3
        && tokens
            .first()
            .is_some_and(|t| FIRST.iter().any(|f| t.to_lowercase() == *f))
}

/// Reads one socket row, or `None` when the tokens are not one.
fn socket_row(tokens: &[&str], line: usize, header_pid: bool) -> Option<Socket> {
    let (proto, v6_proto) = match tokens.first()?.to_ascii_uppercase().as_str() {
        "TCP" => (Proto::Tcp, false),
        "TCPV6" => (Proto::Tcp, true),
        "UDP" => (Proto::Udp, false),
        "UDPV6" => (Proto::Udp, true),
        _ => return None,
    };
    let local = tokens.get(1)?;
    let (local_address, local_port) = split_endpoint(local)?;
    let foreign = tokens.get(2)?;
    split_endpoint(foreign)?;
    let rest = tokens.get(3..).unwrap_or_default();
    let (state_tokens, pid) = split_pid(rest, proto, header_pid);
    let state = match proto {
        Proto::Tcp if !state_tokens.is_empty() => Some(tcp_state(&state_tokens.join(" "))),
        _ => None,
    };
    Some(Socket {
        proto,
        ipv6: v6_proto || local.starts_with('['),
        local_address,
        local_port,
        foreign_address: (*foreign).to_owned(),
        state,
        pid,
        process: None,
        service: None,
        line,
    })
}

/// Splits what follows the endpoints into state words and the PID (the last token when it is a
/// number and the row has a PID column, or when a state precedes it).
fn split_pid<'a>(
    rest: &'a [&'a str],
    proto: Proto,
    header_pid: bool,
) -> (&'a [&'a str], Option<u32>) {
    let Some((last, before)) = rest.split_last() else {
        return (rest, None);
    };
    let numeric = !last.is_empty() && last.len() <= 10 && last.bytes().all(|b| b.is_ascii_digit());
    let is_pid = numeric && (proto == Proto::Udp || header_pid || !before.is_empty());
    if is_pid {
        (before, last.parse().ok())
    } else {
        (rest, None)
    }
}

/// `host:port`, `[v6%zone]:port` or `*:*` into (host, port). `None` when it is not an endpoint.
fn split_endpoint(token: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(inner) = token.strip_prefix('[') {
        let close = inner.find(']')?;
        let host = inner.get(..close)?;
        let port = inner.get(close + 1..)?.strip_prefix(':')?;
        (host, port)
    } else {
        let (host, port) = token.rsplit_once(':')?;
        if host.contains(':') || host.is_empty() {
            return None;
        }
        (host, port)
    };
    let port = match port {
        "*" => None,
        p if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok()?)
        }
        _ => return None,
    };
    Some((host.to_owned(), port))
}

fn is_wildcard_foreign(foreign: &str) -> bool {
    matches!(foreign, "0.0.0.0:0" | "[::]:0" | "*:*" | "[::0]:0")
}

/// Takes a `-b` line: ` [svchost.exe]` is the executable, a lone service-name token (printed
/// before it) is the service, anything else (the localized "cannot obtain ownership
/// information" sentence, prompts, titles) is ignored.
fn attach_owner_line(socket: &mut Socket, line: &str) {
    let trimmed = line.trim();
    if let Some(inner) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if socket.process.is_none() && !inner.trim().is_empty() {
            socket.process = Some(inner.trim().to_owned());
        }
        return;
    }
    if socket.service.is_none() && socket.process.is_none() && is_service_name(trimmed) {
        socket.service = Some(trimmed.to_owned());
    }
}

/// Service key names are short ASCII identifiers; the ownership-failure sentence has spaces and
/// (in CJK languages) non-ASCII letters, prompts have `:\>`.
fn is_service_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.$@{}~".contains(&b))
}

/// Maps a printed state word (any language, possibly mojibake) to a [`TcpState`].
fn tcp_state(raw: &str) -> TcpState {
    const CJK_LISTEN: &[&str] = &["待ち受け", "侦听", "监听", "聆聽", "接聽"];
    const CJK_ESTABLISHED: &[&str] = &["確立", "已建立"];
    if CJK_LISTEN.iter().any(|w| raw.starts_with(w)) {
        return TcpState::Listening;
    }
    if CJK_ESTABLISHED.iter().any(|w| raw.starts_with(w)) {
        return TcpState::Established;
    }
    let folded = fold(raw);
    // Order matters where one word is a prefix of another (close_wait / closed / closing).
    const TABLE: &[(&str, TcpState)] = &[
        ("listen", TcpState::Listening),
        ("abh", TcpState::Listening),       // ABHÖREN, ABH™REN, ABHOEREN
        ("escuch", TcpState::Listening),    // ESCUCHANDO
        ("escutando", TcpState::Listening), // pt
        ("in_ascolto", TcpState::Listening),
        ("establ", TcpState::Established), // ESTABLISHED, ESTABLECIDO, ESTABELECIDA
        ("hergestellt", TcpState::Established),
        ("?tabli", TcpState::Established), // ÉTABLI
        ("stabilit", TcpState::Established),
        ("time_wait", TcpState::TimeWait),
        ("timewait", TcpState::TimeWait),
        ("wartend", TcpState::TimeWait),
        ("close_wait", TcpState::CloseWait),
        ("closewait", TcpState::CloseWait),
        ("schlie??en_warten", TcpState::CloseWait),
        ("schlie?en_warten", TcpState::CloseWait),
        ("syn_sent", TcpState::SynSent),
        ("syn_gesendet", TcpState::SynSent),
        ("syn_enviado", TcpState::SynSent),
        ("syn_rec", TcpState::SynReceived), // SYN_RECEIVED, SYN_RECV, SYN_RECIBIDO
        ("syn_empfangen", TcpState::SynReceived),
        ("fin_wait_1", TcpState::FinWait1),
        ("fin_wait1", TcpState::FinWait1),
        ("fin_warten_1", TcpState::FinWait1),
        ("fin_wait_2", TcpState::FinWait2),
        ("fin_wait2", TcpState::FinWait2),
        ("fin_warten_2", TcpState::FinWait2),
        ("last_ack", TcpState::LastAck),
        ("zuletzt_ack", TcpState::LastAck),
        ("letztes_ack", TcpState::LastAck),
        ("closing", TcpState::Closing),
        ("schlie??end", TcpState::Closing),
        ("schlie?end", TcpState::Closing),
        ("closed", TcpState::Closed),
        ("geschlossen", TcpState::Closed),
        ("delete_tcb", TcpState::DeleteTcb),
        ("bound", TcpState::Bound),
        ("gebunden", TcpState::Bound),
    ];
    if folded.contains("coute") {
        return TcpState::Listening; // ÉCOUTE, À L'ÉCOUTE, and their mojibake
    }
    for (pattern, state) in TABLE {
        if loose_starts_with(&folded, pattern) {
            return state.clone();
        }
    }
    TcpState::Other(raw.chars().take(MAX_STATE_CHARS).collect())
}

/// Folds a console word for matching: ASCII lowercase, common Latin accents stripped, spaces to
/// `_`, and every other non-ASCII character (mojibake such as `™`, `”`, `‚`, U+FFFD, or the two
/// characters UTF-8 becomes when read as CP1252) replaced by `?`. Shared with the qwinsta parser.
pub(crate) fn fold(raw: &str) -> String {
    raw.trim()
        .chars()
        .take(MAX_STATE_CHARS)
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '_' | '.' | '-' | '#' | '\'' => {
                c.to_ascii_lowercase()
            }
            ' ' => '_',
            'à' | 'á' | 'â' | 'ä' | 'À' | 'Á' | 'Â' | 'Ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'Ó' | 'Ò' | 'Ô' | 'Ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
            'ñ' | 'Ñ' => 'n',
            'ç' | 'Ç' => 'c',
            _ => '?',
        })
        .collect()
}

/// `folded` starts with `pattern`, where a `?` in `folded` (an unreadable character) matches any
/// single pattern character and a `?` in `pattern` matches any single character. Words with
/// fewer than two readable letters never match, so a wholly unreadable word stays unknown.
pub(crate) fn loose_starts_with(folded: &str, pattern: &str) -> bool {
    if folded.chars().filter(|c| c.is_ascii_alphabetic()).count() < 2 {
        return false;
    }
    let mut f = folded.chars();
    pattern.chars().all(|p| match f.next() {
        Some(c) => c == p || c == '?' || p == '?',
        None => false,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Lines joined the way `netstat` writes them to a redirected file.
    fn crlf(lines: &[&str]) -> String {
        let mut s = lines.join("\r\n");
        s.push_str("\r\n");
        s
    }

    /// A row in the exact layout of `netstat -ano`: `"  %-7s%-21s  %-21s  %-16s%s"`.
    fn row(proto: &str, local: &str, foreign: &str, state: &str, pid: &str) -> String {
        format!("  {proto:<7}{local:<21}  {foreign:<21}  {state:<16}{pid}")
    }

    fn sample(name: &str) -> Option<String> {
        crate::parse::testutil::sample_text(&format!("commands/{name}"))
    }

    fn count_rows(text: &str) -> usize {
        text.lines()
            .filter(|l| {
                let t = l.trim_start();
                t.starts_with("TCP ") || t.starts_with("UDP ")
            })
            .count()
    }

    #[test]
    fn row_helper_matches_the_real_layout() {
        assert_eq!(
            row("TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", "1712"),
            "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1712"
        );
        assert_eq!(
            row("UDP", "0.0.0.0:53", "*:*", "", "4808"),
            "  UDP    0.0.0.0:53             *:*                                    4808"
        );
    }

    #[test]
    fn real_english_ano() {
        let Some(text) = sample("netstat-ano__en__jc.txt") else {
            return;
        };
        assert!(sniff(&text));
        let n = parse(&text).unwrap();
        assert!(n.has_pid_column);
        assert_eq!(n.sockets.len(), count_rows(&text));
        let l135 = n.tcp_listeners(135);
        assert_eq!(l135.len(), 2, "IPv4 and IPv6 listeners on 135");
        assert!(l135.iter().all(|s| s.pid == Some(1712)));
        assert!(l135.iter().any(|s| s.ipv6 && s.local_address == "::"));
        assert_eq!(l135[0].state, Some(TcpState::Listening));
        assert_eq!(l135[0].line, 5);
        assert!(
            n.tcp_listeners(3389).is_empty(),
            "no RDP listener in this sample"
        );
        let dns = n.udp_bound(53);
        assert!(!dns.is_empty());
        assert_eq!(dns[0].pid, Some(4808));
        assert_eq!(dns[0].state, None);
        assert_eq!(dns[0].foreign_address, "*:*");
        let est = n
            .sockets
            .iter()
            .find(|s| s.local_port == Some(1031))
            .unwrap();
        assert_eq!(est.state, Some(TcpState::Established));
        assert!(!est.is_listening());
        assert_eq!(est.pid, Some(10644));
    }

    #[test]
    fn real_english_anob_attaches_service_and_executable() {
        let Some(text) = sample("netstat-anob__en__jc.txt") else {
            return;
        };
        let n = parse(&text).unwrap();
        assert_eq!(n.sockets.len(), count_rows(&text));
        let rpc = n.tcp_listeners(135);
        let v4 = rpc.iter().find(|s| !s.ipv6).unwrap();
        assert_eq!(v4.pid, Some(1712));
        assert_eq!(v4.service.as_deref(), Some("RpcSs"));
        assert_eq!(v4.process.as_deref(), Some("svchost.exe"));
        let smb = n.tcp_listeners(445);
        let v4 = smb.iter().find(|s| !s.ipv6).unwrap();
        assert_eq!(v4.pid, Some(4));
        assert_eq!(v4.process, None, "ownership sentence is not an owner");
        assert_eq!(v4.service, None);
        let last = n.sockets.last().unwrap();
        assert_eq!(last.local_address, "fe80::f5d1:8bf7:c410:e325%64");
        assert_eq!(last.local_port, Some(52284));
        assert_eq!(last.pid, Some(8844));
        assert_eq!(last.service.as_deref(), Some("SSDPSRV"));
        assert_eq!(last.process.as_deref(), Some("svchost.exe"));
    }

    #[test]
    fn real_english_an_has_no_pid_column() {
        let Some(text) = sample("netstat-an__en__jc.txt") else {
            return;
        };
        let n = parse(&text).unwrap();
        assert!(!n.has_pid_column);
        assert_eq!(n.sockets.len(), count_rows(&text));
        assert!(n.sockets.iter().all(|s| s.pid.is_none()));
        assert_eq!(n.tcp_listeners(902).len(), 1);
        let zone = n
            .sockets
            .iter()
            .find(|s| s.local_address.contains('%'))
            .unwrap();
        assert_eq!(zone.local_port, Some(1900));
        assert_eq!(zone.proto, Proto::Udp);
    }

    #[test]
    fn real_french_anb_keeps_english_states() {
        let Some(text) = sample("netstat-anb__fr__fonct-reseaux-dany.txt") else {
            return;
        };
        assert!(sniff(&text));
        let n = parse(&text).unwrap();
        assert!(!n.has_pid_column);
        assert_eq!(n.sockets.len(), count_rows(&text));
        let rpc = n.tcp_listeners(135);
        let v4 = rpc.iter().find(|s| !s.ipv6).unwrap();
        assert_eq!(v4.state, Some(TcpState::Listening));
        assert_eq!(v4.service.as_deref(), Some("RpcSs"));
        assert_eq!(v4.process.as_deref(), Some("svchost.exe"));
        let smb = n.tcp_listeners(445);
        assert!(smb
            .iter()
            .all(|s| s.service.is_none() && s.process.is_none()));
        let zone = n
            .sockets
            .iter()
            .find(|s| s.local_address == "fe80::1c1:6b45:9b7e:293a%9" && s.local_port == Some(1900))
            .unwrap();
        assert!(zone.ipv6);
        assert_eq!(zone.foreign_address, "*:*");
        assert_eq!(zone.service.as_deref(), Some("SSDPSRV"));
    }

    fn german_ano() -> String {
        crlf(&[
            "",
            "Aktive Verbindungen",
            "",
            "  Proto  Lokale Adresse         Remoteadresse          Status           PID",
            &row("TCP", "0.0.0.0:135", "0.0.0.0:0", "ABHÖREN", "1048"),
            &row("TCP", "0.0.0.0:3389", "0.0.0.0:0", "ABHÖREN", "1288"),
            &row(
                "TCP",
                "10.0.0.5:3389",
                "10.0.0.9:51544",
                "HERGESTELLT",
                "1288",
            ),
            &row(
                "TCP",
                "127.0.0.1:49186",
                "127.0.0.1:49273",
                "SCHLIESSEN_WARTEN",
                "900",
            ),
            &row("TCP", "127.0.0.1:51231", "127.0.0.1:44080", "WARTEND", "0"),
            &row(
                "TCP",
                "127.0.0.1:49273",
                "127.0.0.1:49186",
                "FIN_WARTEN_2",
                "900",
            ),
            &row("TCP", "10.0.0.5:50000", "10.0.0.7:445", "SYN_GESENDET", "4"),
            &row("TCP", "[::]:3389", "[::]:0", "ABHÖREN", "1288"),
            &row("UDP", "0.0.0.0:3389", "*:*", "", "1288"),
        ])
    }

    #[test]
    fn german_states_are_translated() {
        let text = german_ano();
        assert!(sniff(&text));
        let n = parse(&text).unwrap();
        assert_eq!(n.sockets.len(), 9);
        let rdp = n.tcp_listeners(3389);
        assert_eq!(rdp.len(), 2);
        assert!(rdp.iter().all(|s| s.pid == Some(1288)));
        assert_eq!(rdp[0].line, 6);
        let states: Vec<_> = n.sockets.iter().map(|s| s.state.clone()).collect();
        assert_eq!(
            states,
            vec![
                Some(TcpState::Listening),
                Some(TcpState::Listening),
                Some(TcpState::Established),
                Some(TcpState::CloseWait),
                Some(TcpState::TimeWait),
                Some(TcpState::FinWait2),
                Some(TcpState::SynSent),
                Some(TcpState::Listening),
                None,
            ]
        );
        assert_eq!(n.udp_bound(3389)[0].pid, Some(1288));
    }

    #[test]
    fn german_mojibake_state_words_still_listen() {
        // CP850 0x99 (Ö) read as CP1252 is ™; CP850 read as CP437 is fine; UTF-8 read as CP1252
        // is "Ã–"; a lossy decoder gives U+FFFD. Foreign addresses are deliberately not the
        // wildcard here so that only the state word can make them listeners.
        for word in [
            "ABH™REN",
            "ABH\u{FFFD}REN",
            "ABHÃ–REN",
            "ABHOEREN",
            "Abh”ren",
        ] {
            let text = crlf(&[
                "  Proto  Lokale Adresse         Remoteadresse          Status           PID",
                &row("TCP", "0.0.0.0:3389", "10.1.1.1:0", word, "1288"),
            ]);
            let n = parse(&text).unwrap();
            assert_eq!(n.sockets[0].state, Some(TcpState::Listening), "{word}");
            assert_eq!(n.tcp_listeners(3389).len(), 1, "{word}");
        }
    }

    fn spanish() -> String {
        crlf(&[
            "",
            "Conexiones activas",
            "",
            "  Proto  Dirección local          Dirección remota        Estado           PID",
            &row("TCP", "0.0.0.0:3389", "0.0.0.0:0", "ESCUCHANDO", "1288"),
            &row(
                "TCP",
                "10.0.0.12:3389",
                "10.0.0.50:51544",
                "ESTABLECIDO",
                "1288",
            ),
        ])
    }

    fn french() -> String {
        crlf(&[
            "",
            "Connexions actives",
            "",
            "  Proto  Adresse locale         Adresse distante       État            PID",
            &row("TCP", "0.0.0.0:3389", "0.0.0.0:0", "LISTENING", "1040"),
            &row("TCP", "[::]:3389", "[::]:0", "LISTENING", "1040"),
        ])
    }

    fn japanese() -> String {
        crlf(&[
            "",
            "アクティブな接続",
            "",
            "  プロトコル  ローカル アドレス      外部アドレス           状態            PID",
            &row("TCP", "0.0.0.0:3389", "0.0.0.0:0", "LISTENING", "1288"),
        ])
    }

    fn chinese() -> String {
        crlf(&[
            "",
            "活动连接",
            "",
            "  协议  本地地址          外部地址        状态           PID",
            &row("TCP", "0.0.0.0:3389", "0.0.0.0:0", "LISTENING", "1288"),
        ])
    }

    fn italian() -> String {
        crlf(&[
            "  Proto  Indirizzo locale       Indirizzo esterno      Stato           PID",
            &row("TCP", "0.0.0.0:3389", "10.1.1.1:5", "IN ASCOLTO", "1288"),
        ])
    }

    pub(crate) fn inline_inputs() -> Vec<(&'static str, String)> {
        vec![
            ("netstat de", german_ano()),
            ("netstat es", spanish()),
            ("netstat fr", french()),
            ("netstat ja", japanese()),
            ("netstat zh", chinese()),
            ("netstat it", italian()),
            (
                "netstat de mojibake",
                german_ano().replace("ABHÖREN", "ABH™REN"),
            ),
        ]
    }

    #[test]
    fn spanish_french_japanese_chinese_italian() {
        let (es, fr, ja, zh, it) = (spanish(), french(), japanese(), chinese(), italian());
        for (name, text) in [
            ("es", &es),
            ("fr", &fr),
            ("ja", &ja),
            ("zh", &zh),
            ("it", &it),
        ] {
            assert!(sniff(text), "{name}");
            let n = parse(text).unwrap();
            assert!(n.has_pid_column, "{name}");
            let l = n.tcp_listeners(3389);
            assert!(!l.is_empty(), "{name}");
            assert_eq!(l[0].state, Some(TcpState::Listening), "{name}");
            assert!(l[0].pid.is_some(), "{name}");
        }
        assert_eq!(
            parse(&es).unwrap().sockets[1].state,
            Some(TcpState::Established)
        );
        assert_eq!(parse(&it).unwrap().sockets[0].pid, Some(1288));
    }

    #[test]
    fn rdp_port_held_by_another_process() {
        // A remote-support tool bound 3389 first; TermService (in svchost) lost the race.
        let text = crlf(&[
            "",
            "Active Connections",
            "",
            "  Proto  Local Address          Foreign Address        State           PID",
            &row("TCP", "0.0.0.0:3389", "0.0.0.0:0", "LISTENING", "7070"),
            " [rsupport.exe]",
            &row("TCP", "0.0.0.0:3390", "0.0.0.0:0", "LISTENING", "1288"),
            "  TermService",
            " [svchost.exe]",
        ]);
        let n = parse(&text).unwrap();
        let l = n.tcp_listeners(3389);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].pid, Some(7070));
        assert_eq!(l[0].process.as_deref(), Some("rsupport.exe"));
        assert_eq!(l[0].service, None);
        let ts = n.tcp_listeners(3390);
        assert_eq!(ts[0].service.as_deref(), Some("TermService"));
        assert_eq!(ts[0].pid, Some(1288));
    }

    #[test]
    fn pasted_fragment_with_prompt_and_lf() {
        let text = "C:\\Users\\admin>netstat -ano | findstr :3389\n\
                    \x20 TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       1288\n\
                    \x20 TCP    [fe80::1c1:6b45:9b7e:293a%24]:3389  [fe80::5:6%24]:50123  ESTABLISHED     1288\n\
                    \nC:\\Users\\admin>";
        assert!(sniff(text));
        let n = parse(text).unwrap();
        assert_eq!(n.sockets.len(), 2);
        assert!(n.has_pid_column);
        assert_eq!(n.tcp_listeners(3389)[0].pid, Some(1288));
        let zone = &n.sockets[1];
        assert_eq!(zone.local_address, "fe80::1c1:6b45:9b7e:293a%24");
        assert_eq!(zone.foreign_address, "[fe80::5:6%24]:50123");
        assert_eq!(zone.state, Some(TcpState::Established));
        assert_eq!(zone.pid, Some(1288));
        assert_eq!(zone.line, 3);
        assert_eq!(n.sockets[0].process, None, "prompt is not an owner line");
    }

    #[test]
    fn listening_rules() {
        let mut s = parse(&row("TCP", "0.0.0.0:80", "0.0.0.0:0", "WEIRD", "1"))
            .unwrap()
            .sockets
            .remove(0);
        assert_eq!(s.state, Some(TcpState::Other("WEIRD".into())));
        assert!(s.is_listening(), "unknown word, wildcard foreign");
        s.state = Some(TcpState::Bound);
        assert!(!s.is_listening(), "BOUND is not listening");
        s.state = None;
        assert!(s.is_listening());
        s.proto = Proto::Udp;
        assert!(!s.is_listening(), "UDP never listens");
    }

    #[test]
    fn truncated_garbage_and_empty() {
        assert!(parse("").is_err());
        assert!(!sniff(""));
        assert!(parse("\u{0}\u{1}garbage ::: [[[ TCP\r\n\r\n").is_err());
        assert!(parse("TCP 1.2.3.4:99999 5.6.7.8:1 LISTENING 1").is_err());
        assert!(parse("TCP [::1 5.6.7.8:1").is_err());
        // A file cut in the middle of the last row.
        let mut text = german_ano();
        text.push_str("  TCP    0.0.0.0:5985           0.0.0.0:0              ABH");
        let n = parse(&text).unwrap();
        let last = n.sockets.last().unwrap();
        assert_eq!(last.state, Some(TcpState::Listening));
        assert_eq!(last.pid, None);
        text.push_str("\r\n  TCP    0.0.0.0:59");
        assert_eq!(parse(&text).unwrap().sockets.len(), 10, "half row dropped");
        // A header alone is a valid, empty table.
        let n =
            parse("  Proto  Local Address          Foreign Address        State           PID\r\n")
                .unwrap();
        assert!(n.sockets.is_empty());
        assert!(n.has_pid_column);
        // Huge PID does not panic.
        let n = parse(&row(
            "TCP",
            "0.0.0.0:1",
            "0.0.0.0:0",
            "LISTENING",
            "99999999999",
        ))
        .unwrap();
        assert_eq!(n.sockets[0].pid, None);
    }

    #[test]
    fn fold_and_loose_prefix() {
        assert_eq!(fold("ABH™REN"), "abh?ren");
        assert!(loose_starts_with("abh?ren", "abhoren"));
        assert!(loose_starts_with(&fold("D‚co"), "deco"));
        assert!(
            !loose_starts_with("??", "ab"),
            "unreadable words never match"
        );
        assert!(!loose_starts_with("ab", "abc"));
    }
}

//! `netsh advfirewall firewall show rule name=all [verbose]`: the Windows Firewall rule list.
//!
//! netsh prints one block per rule: a `Rule Name:` line, a line of 70 dashes, then one
//! `Label:<padding>Value` line per field, padded to column 38, and a blank line. The whole output
//! ends with `Ok.`. Everything a human reads is translated on non-English Windows: the labels
//! (`Regelname`, `Nombre de regla`, `規則名`), the yes/no words, directions, profiles, `Any` and
//! actions. Padding follows the display width of the translation (German pads to column 41,
//! Japanese counts double-width characters), and French puts a space before the colon.
//!
//! So this parser does not key on English text:
//! - a rule block is recognised by its shape (a `label: value` line followed by the dashes line);
//! - labels are looked up in a table of known translations, compared without case, spaces,
//!   punctuation and non-ASCII letters so that OEM code page mojibake (`Activ‚e` for `Activée`)
//!   still matches;
//! - a label the table does not know is given a meaning by its position, because netsh prints
//!   the fields in a fixed order (Enabled, Direction, Profiles, Grouping, LocalIP, RemoteIP,
//!   Protocol, [LocalPort, RemotePort], Edge traversal, [Program, Service, InterfaceTypes,
//!   Security, Rule source], Action).
//!
//! Every raw line is kept in [`FirewallRule::fields`] for evidence.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Upper bound on rules kept, so a hostile file cannot make us allocate without limit.
const MAX_RULES: usize = 200_000;
/// Upper bound on lines kept per rule (a real verbose rule has about 20).
const MAX_FIELDS_PER_RULE: usize = 256;

/// Traffic direction of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Direction {
    In,
    Out,
    /// A word we could not translate, as printed (empty when the field was missing).
    Other(String),
}

/// What a rule does with matching traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Action {
    Allow,
    Block,
    /// "Allow if secure" with an authenticated bypass (`action=bypass`).
    Bypass,
    /// A word we could not translate, as printed (empty when the field was missing).
    Other(String),
}

/// One firewall rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirewallRule {
    pub name: String,
    /// `false` also when the Enabled word could not be understood (see `fields` for the raw word).
    pub enabled: bool,
    pub direction: Direction,
    /// "Domain", "Private", "Public" (an `Any` profile expands to all three); a word we could not
    /// translate is kept as printed.
    pub profiles: Vec<String>,
    pub grouping: Option<String>,
    /// Raw address list, `Any` normalized to "Any".
    pub local_ip: String,
    /// Raw address list (`LocalSubnet`, `10.0.0.0/8,...`), `Any` normalized to "Any".
    pub remote_ip: String,
    /// "TCP", "UDP", "ICMPv4", "ICMPv6", "Any", or the protocol number as printed.
    pub protocol: String,
    /// Raw port list ("3389", "RPC", "3389-3390,5000"), `Any` normalized to "Any"; `None` when
    /// netsh printed no LocalPort line (it omits it for protocols without ports).
    pub local_port: Option<String>,
    pub remote_port: Option<String>,
    /// Program path as printed (verbose output only), `Any` normalized to "Any".
    pub program: Option<String>,
    /// Service short name as printed (verbose output only), `Any` normalized to "Any".
    pub service: Option<String>,
    pub action: Action,
    /// 1-based line of the rule name.
    pub line: usize,
    /// Every line of the block as `(label, value, line)`, the name line included. Continuation
    /// lines (the indented ICMP `Type  Code` table, the rest of a multi-line description) have
    /// an empty label.
    pub fields: Vec<(String, String, usize)>,
}

/// The parsed rule list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FirewallRules {
    pub rules: Vec<FirewallRule>,
    /// netsh said "No rules match the specified criteria." (in any language we know).
    pub no_rules_message: bool,
}

impl FirewallRule {
    /// Whether the rule covers inbound TCP traffic to local `port` by its protocol and local
    /// port list (protocol TCP or Any; local port absent, Any, or a list/range containing `port`).
    /// Keyword ports (RPC, RPC-EPMap, IPHTTPS, Teredo...) never match a number.
    pub fn applies_to_tcp_port(&self, port: u16) -> bool {
        let proto_ok = matches!(self.protocol.as_str(), "TCP" | "Any" | "6");
        proto_ok
            && match &self.local_port {
                None => true,
                Some(list) => port_list_contains(list, port),
            }
    }

    /// Whether the rule accepts any remote address.
    pub fn remote_is_any(&self) -> bool {
        self.remote_ip == "Any"
    }
}

/// Whether a netsh port list ("Any", "3389", "3389-3390,5000") contains `port`.
fn port_list_contains(list: &str, port: u16) -> bool {
    list.split(',').map(str::trim).any(|item| {
        if item == "Any" {
            return true;
        }
        if let Some((lo, hi)) = item.split_once('-') {
            return match (lo.trim().parse::<u16>(), hi.trim().parse::<u16>()) {
                (Ok(lo), Ok(hi)) => lo <= port && port <= hi,
                _ => false,
            };
        }
        item.parse::<u16>().is_ok_and(|p| p == port)
    })
}

/// Recognises rule-list output: a `label: value` line, the dashes line, then another
/// `label: value` line — or the "no rules" message alone.
pub fn sniff(text: &str) -> bool {
    let head: Vec<&str> = text::lines(text).take(80).map(|(_, l)| l).collect();
    let shape = head.windows(3).any(|w| match w {
        [name, dashes, field] => {
            is_separator(dashes)
                && split_label(name).is_some_and(|(l, v)| !l.is_empty() && !v.is_empty())
                && split_label(field).is_some_and(|(l, _)| !l.is_empty())
        }
        _ => false,
    });
    shape || head.iter().any(|l| is_no_rules_message(l))
}

/// Parses the rule list. Errors when the text holds neither a rule block nor the "no rules"
/// message.
pub fn parse(text: &str) -> Result<FirewallRules, ParseError> {
    let lines: Vec<(usize, &str)> = text::lines(text)
        .map(|(n, l)| (n, l.trim_start_matches('\u{FEFF}')))
        .collect();
    if lines.iter().all(|(_, l)| l.trim().is_empty()) {
        return Err(ParseError::new("empty netsh rule output"));
    }
    let labels = LabelTable::new();
    let mut out = FirewallRules::default();
    let mut i = 0usize;
    while i < lines.len() {
        let (n, line) = lines.get(i).copied().unwrap_or((0, ""));
        if is_no_rules_message(line) {
            out.no_rules_message = true;
        }
        let next_is_sep = lines.get(i + 1).is_some_and(|(_, l)| is_separator(l));
        let name = if next_is_sep {
            split_label(line).filter(|(label, _)| !label.is_empty())
        } else {
            None
        };
        let Some((name_label, name)) = name else {
            i += 1;
            continue;
        };
        if out.rules.len() >= MAX_RULES {
            return Err(ParseError::at(n, "too many firewall rules"));
        }
        let body_start = i + 2;
        let body_end = block_end(&lines, body_start);
        let body = lines.get(body_start..body_end).unwrap_or(&[]);
        out.rules
            .push(build_rule(&labels, n, name_label, name, body));
        i = body_end.max(i + 2);
    }
    if out.rules.is_empty() && !out.no_rules_message {
        return Err(ParseError::new(
            "no firewall rule block (name line followed by a dashes line) found",
        ));
    }
    Ok(out)
}

/// Index one past the last body line of a block starting at `start`: the body runs until a
/// blank line or the next rule's name line. A colon-less line (`Ok.`, in whatever language)
/// ends it when nothing but a blank line or the end follows; elsewhere it is the second line
/// of a description that contained a line break, and the fields after it still belong here.
fn block_end(lines: &[(usize, &str)], start: usize) -> usize {
    let mut j = start;
    while let Some((_, l)) = lines.get(j) {
        if l.trim().is_empty() {
            break;
        }
        if lines.get(j + 1).is_some_and(|(_, l)| is_separator(l)) {
            break;
        }
        let indented = l.starts_with([' ', '\t']);
        if !indented && split_label(l).is_none() {
            let next_blank = lines.get(j + 1).is_none_or(|(_, l)| l.trim().is_empty());
            if next_blank {
                break;
            }
        }
        j += 1;
    }
    j
}

/// The canonical fields of a rule, in netsh's print order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Description,
    Enabled,
    Direction,
    Profiles,
    Grouping,
    LocalIp,
    RemoteIp,
    Protocol,
    LocalPort,
    RemotePort,
    Edge,
    Program,
    Service,
    InterfaceTypes,
    Security,
    RuleSource,
    Action,
}

/// Known labels per language. English is what every Windows build prints for en-US; German,
/// Spanish and Japanese entries marked (seen) come from real captures; the others are
/// Microsoft's terminology for the same setting and may not be the exact netsh string, which
/// is why unknown labels fall back to position.
const LABELS: &[(&str, Field)] = &[
    // English
    ("Description", Field::Description),
    ("Enabled", Field::Enabled),
    ("Direction", Field::Direction),
    ("Profiles", Field::Profiles),
    ("Grouping", Field::Grouping),
    ("LocalIP", Field::LocalIp),
    ("RemoteIP", Field::RemoteIp),
    ("Protocol", Field::Protocol),
    ("LocalPort", Field::LocalPort),
    ("RemotePort", Field::RemotePort),
    ("Edge traversal", Field::Edge),
    ("Program", Field::Program),
    ("Service", Field::Service),
    ("InterfaceTypes", Field::InterfaceTypes),
    ("Security", Field::Security),
    ("Rule source", Field::RuleSource),
    ("Action", Field::Action),
    // German (seen: Aktiviert, Richtung, Profile, Gruppierung, Lokales IP, Remote-IP,
    // Protokoll, Lokaler Port, Remoteport, Edgeausnahme, Programm, Dienst, Schnittstellentypen,
    // Sicherheit, Regelquelle, Aktion, Beschreibung)
    ("Beschreibung", Field::Description),
    ("Aktiviert", Field::Enabled),
    ("Richtung", Field::Direction),
    ("Profile", Field::Profiles),
    ("Gruppierung", Field::Grouping),
    ("Lokales IP", Field::LocalIp),
    ("LokaleIP", Field::LocalIp),
    ("Lokale IP", Field::LocalIp),
    ("Remote-IP", Field::RemoteIp),
    ("Protokoll", Field::Protocol),
    ("Lokaler Port", Field::LocalPort),
    ("Remoteport", Field::RemotePort),
    ("Edgeausnahme", Field::Edge),
    ("Programm", Field::Program),
    ("Dienst", Field::Service),
    ("Schnittstellentypen", Field::InterfaceTypes),
    ("Sicherheit", Field::Security),
    ("Regelquelle", Field::RuleSource),
    ("Aktion", Field::Action),
    // French (not seen in a real capture)
    ("Activé", Field::Enabled),
    ("Activée", Field::Enabled),
    ("Sens", Field::Direction),
    ("Profils", Field::Profiles),
    ("Regroupement", Field::Grouping),
    ("Groupement", Field::Grouping),
    ("IP locale", Field::LocalIp),
    ("IP distante", Field::RemoteIp),
    ("Protocole", Field::Protocol),
    ("Port local", Field::LocalPort),
    ("Port distant", Field::RemotePort),
    ("Traversée de périmètre", Field::Edge),
    ("Traversée des bords", Field::Edge),
    ("Programme", Field::Program),
    ("Types d'interface", Field::InterfaceTypes),
    ("Types d'interfaces", Field::InterfaceTypes),
    ("Sécurité", Field::Security),
    ("Source de la règle", Field::RuleSource),
    // Spanish (seen: Habilitada, Dirección, Perfiles, Agrupamiento, Protocolo,
    // Cruce seguro del perímetro, Acción; LocalIP/RemoteIP/LocalPort/RemotePort stay English)
    ("Descripción", Field::Description),
    ("Habilitada", Field::Enabled),
    ("Habilitado", Field::Enabled),
    ("Dirección", Field::Direction),
    ("Perfiles", Field::Profiles),
    ("Agrupamiento", Field::Grouping),
    ("Protocolo", Field::Protocol),
    ("Cruce seguro del perímetro", Field::Edge),
    ("Programa", Field::Program),
    ("Servicio", Field::Service),
    ("Tipos de interfaz", Field::InterfaceTypes),
    ("Seguridad", Field::Security),
    ("Origen de la regla", Field::RuleSource),
    ("Acción", Field::Action),
    // Japanese (seen: 有効, 方向, プロファイル, グループ, ローカル IP, リモート IP, プロトコル,
    // ローカル ポート, リモート ポート, エッジ トラバーサル, 操作)
    ("説明", Field::Description),
    ("有効", Field::Enabled),
    ("方向", Field::Direction),
    ("プロファイル", Field::Profiles),
    ("グループ", Field::Grouping),
    ("ローカル IP", Field::LocalIp),
    ("リモート IP", Field::RemoteIp),
    ("プロトコル", Field::Protocol),
    ("ローカル ポート", Field::LocalPort),
    ("リモート ポート", Field::RemotePort),
    ("エッジ トラバーサル", Field::Edge),
    ("プログラム", Field::Program),
    ("サービス", Field::Service),
    ("インターフェイスの種類", Field::InterfaceTypes),
    ("セキュリティ", Field::Security),
    ("規則のソース", Field::RuleSource),
    ("操作", Field::Action),
];

/// [`LABELS`] with both comparison keys computed once per parse.
struct LabelTable {
    entries: Vec<(String, String, Field)>,
}

impl LabelTable {
    fn new() -> Self {
        LabelTable {
            entries: LABELS
                .iter()
                .map(|(l, f)| (squash(l), fold(l), *f))
                .collect(),
        }
    }

    /// Exact match on all letters first; then on ASCII letters only (survives mojibake), as long
    /// as that key is long enough and points to one field only.
    fn lookup(&self, label: &str) -> Option<Field> {
        let s = squash(label);
        if s.is_empty() {
            return None;
        }
        if let Some((_, _, f)) = self.entries.iter().find(|(k, _, _)| *k == s) {
            return Some(*f);
        }
        let a = fold(label);
        if a.len() < 4 {
            return None;
        }
        let mut found: Option<Field> = None;
        for (_, k, f) in &self.entries {
            if *k == a {
                match found {
                    Some(g) if g != *f => return None,
                    _ => found = Some(*f),
                }
            }
        }
        found
    }
}

/// The value of one `label: value` line of a block, with the field we decided it is.
struct RawField<'a> {
    value: &'a str,
    field: Option<Field>,
}

fn build_rule(
    labels: &LabelTable,
    line: usize,
    name_label: &str,
    name: &str,
    body: &[(usize, &str)],
) -> FirewallRule {
    let mut fields = vec![(name_label.to_owned(), name.to_owned(), line)];
    let mut main: Vec<RawField> = Vec::new();
    for (n, l) in body.iter().take(MAX_FIELDS_PER_RULE) {
        match split_label(l) {
            Some((label, value)) if !l.starts_with([' ', '\t']) => {
                fields.push((label.to_owned(), value.to_owned(), *n));
                main.push(RawField {
                    value,
                    field: labels.lookup(label),
                });
            }
            _ => fields.push((String::new(), l.trim().to_owned(), *n)),
        }
    }
    assign_by_position(&mut main);

    let get =
        |f: Field| -> Option<&str> { main.iter().find(|r| r.field == Some(f)).map(|r| r.value) };
    let opt = |f: Field| -> Option<String> { get(f).filter(|v| !v.is_empty()).map(normalize_any) };
    FirewallRule {
        name: name.to_owned(),
        enabled: get(Field::Enabled).and_then(yes_no).unwrap_or(false),
        direction: get(Field::Direction)
            .map(direction)
            .unwrap_or(Direction::Other(String::new())),
        profiles: get(Field::Profiles).map(profiles).unwrap_or_default(),
        grouping: get(Field::Grouping)
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
        local_ip: get(Field::LocalIp).map(normalize_any).unwrap_or_default(),
        remote_ip: get(Field::RemoteIp).map(normalize_any).unwrap_or_default(),
        protocol: get(Field::Protocol).map(protocol).unwrap_or_default(),
        local_port: opt(Field::LocalPort),
        remote_port: opt(Field::RemotePort),
        program: opt(Field::Program),
        service: opt(Field::Service),
        action: get(Field::Action)
            .map(action)
            .unwrap_or(Action::Other(String::new())),
        line,
        fields,
    }
}

/// Gives fields whose label we do not know a meaning from netsh's fixed print order.
///
/// The anchor is the Enabled field (first field, or second when a verbose rule has a
/// Description). From there Enabled, Direction, Profiles, Grouping, LocalIP, RemoteIP and
/// Protocol always follow one another; LocalPort and RemotePort come next only for TCP/UDP,
/// then Edge traversal; the last field is always Action. A slot already taken by a known label
/// is never reassigned.
fn assign_by_position(main: &mut [RawField]) {
    let n = main.len();
    if n == 0 {
        return;
    }
    let k = anchor(main);
    if k == 1 {
        set_slot(main, 0, Field::Description);
    }
    let run = [
        Field::Enabled,
        Field::Direction,
        Field::Profiles,
        Field::Grouping,
        Field::LocalIp,
        Field::RemoteIp,
        Field::Protocol,
    ];
    for (off, f) in run.iter().enumerate() {
        set_slot(main, k + off, *f);
    }
    set_slot(main, n - 1, Field::Action);
    let proto_idx = main.iter().position(|r| r.field == Some(Field::Protocol));
    let Some(p) = proto_idx else { return };
    let has_ports = main
        .get(p)
        .is_some_and(|r| matches!(protocol(r.value).as_str(), "TCP" | "UDP" | "6" | "17"));
    let mut next = p + 1;
    if has_ports {
        set_slot(main, next, Field::LocalPort);
        set_slot(main, next + 1, Field::RemotePort);
        next += 2;
    }
    set_slot(main, next, Field::Edge);
    // Verbose extras between Edge traversal and Action: only the program path has a shape.
    let program_taken = main.iter().any(|r| r.field == Some(Field::Program));
    if !program_taken {
        let end = n.saturating_sub(1);
        if let Some(r) = main
            .iter_mut()
            .take(end)
            .skip(next + 1)
            .find(|r| r.field.is_none() && looks_like_path(r.value))
        {
            r.field = Some(Field::Program);
        }
    }
}

/// Index of the Enabled field: from a known label if there is one, else from the values.
fn anchor(main: &[RawField]) -> usize {
    if let Some(i) = main.iter().position(|r| r.field == Some(Field::Enabled)) {
        return i;
    }
    if let Some(i) = main.iter().position(|r| r.field == Some(Field::Direction)) {
        return i.saturating_sub(1);
    }
    if let Some(i) = main
        .iter()
        .position(|r| r.field == Some(Field::Description))
    {
        return i + 1;
    }
    for k in 0..2 {
        if main.get(k).is_some_and(|r| yes_no(r.value).is_some()) {
            return k;
        }
    }
    for k in 0..2 {
        if main
            .get(k + 6)
            .is_some_and(|r| looks_like_protocol(r.value))
        {
            return k;
        }
    }
    0
}

fn set_slot(main: &mut [RawField], idx: usize, f: Field) {
    if main.iter().any(|r| r.field == Some(f)) {
        return;
    }
    if let Some(r) = main.get_mut(idx) {
        if r.field.is_none() {
            r.field = Some(f);
        }
    }
}

fn looks_like_protocol(v: &str) -> bool {
    let p = protocol(v);
    matches!(p.as_str(), "TCP" | "UDP" | "ICMPv4" | "ICMPv6" | "Any")
        || (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
}

fn looks_like_path(v: &str) -> bool {
    v.contains('\\') || v.contains('%') || v.to_ascii_lowercase().ends_with(".exe")
}

/// Splits `Label:   value` at the first colon (ASCII or full-width), trimming both parts. The
/// label never contains a colon; the value may (`C:\Windows\...`).
pub(crate) fn split_label(line: &str) -> Option<(&str, &str)> {
    let (pos, ch) = line.char_indices().find(|&(_, c)| c == ':' || c == '：')?;
    let label = line.get(..pos)?;
    let value = line.get(pos + ch.len_utf8()..)?;
    Some((label.trim(), value.trim()))
}

/// The line of dashes under each rule name (70 of them; accept any long run).
fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 20 && t.chars().all(|c| c == '-')
}

/// Lowercase ASCII letters and digits only: what survives any OEM/ANSI mix-up of Latin text.
pub(crate) fn fold(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Lowercase letters and digits of any script, without spaces and punctuation.
pub(crate) fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `value` is one of `words`, compared on all letters, then on ASCII letters only.
pub(crate) fn is_word(value: &str, words: &[&str]) -> bool {
    let s = squash(value);
    if s.is_empty() {
        return false;
    }
    if words.iter().any(|w| squash(w) == s) {
        return true;
    }
    let a = fold(value);
    !a.is_empty() && words.iter().any(|w| fold(w) == a && !fold(w).is_empty())
}

const YES: &[&str] = &["Yes", "Ja", "Oui", "Sí", "Si", "はい", "Sim", "Sì", "Да"];
const NO: &[&str] = &["No", "Nein", "Non", "いいえ", "Não", "Nee", "Nie", "Нет"];
/// `Any` as netsh prints it per language (Beliebig, Cualquiera and 任意 seen; Tout not seen).
pub(crate) const ANY: &[&str] = &[
    "Any",
    "Beliebig",
    "Tout",
    "Toutes",
    "Cualquiera",
    "任意",
    "Qualquer",
    "Qualsiasi",
    "Любой",
];

fn yes_no(v: &str) -> Option<bool> {
    if is_word(v, YES) {
        Some(true)
    } else if is_word(v, NO) {
        Some(false)
    } else {
        None
    }
}

fn direction(v: &str) -> Direction {
    const IN: &[&str] = &[
        "In",
        "Inbound",
        "Eingehend",
        "Ein",
        "Entrée",
        "Entrant",
        "Dentro",
        "Entrada",
        "入力",
        "受信",
    ];
    const OUT: &[&str] = &[
        "Out",
        "Outbound",
        "Ausgehend",
        "Aus",
        "Sortie",
        "Sortant",
        "Fuera",
        "Salida",
        "出力",
        "送信",
    ];
    if is_word(v, IN) {
        Direction::In
    } else if is_word(v, OUT) {
        Direction::Out
    } else {
        Direction::Other(v.to_owned())
    }
}

fn action(v: &str) -> Action {
    const ALLOW: &[&str] = &[
        "Allow",
        "Zulassen",
        "Autoriser",
        "Permitir",
        "許可",
        "Consenti",
    ];
    const BLOCK: &[&str] = &[
        "Block",
        "Blockieren",
        "Bloquer",
        "Bloquear",
        "ブロック",
        "Blocca",
    ];
    const BYPASS: &[&str] = &["Bypass", "Umgehen", "Contourner", "Omitir", "バイパス"];
    if is_word(v, ALLOW) {
        Action::Allow
    } else if is_word(v, BLOCK) {
        Action::Block
    } else if is_word(v, BYPASS) {
        Action::Bypass
    } else {
        Action::Other(v.to_owned())
    }
}

/// Maps a profile list ("Domäne,Privat,Öffentlich") to Domain/Private/Public; `Any` expands to
/// all three. Words we cannot translate are kept as printed.
fn profiles(v: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |p: &str| {
        if !out.iter().any(|o| o == p) {
            out.push(p.to_owned());
        }
    };
    for item in v
        .split([',', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match profile_name(item) {
            Some("Any") => {
                add("Domain");
                add("Private");
                add("Public");
            }
            Some(p) => add(p),
            None => add(item),
        }
    }
    out
}

/// One profile word to "Domain", "Private", "Public" or "Any".
pub(crate) fn profile_name(item: &str) -> Option<&'static str> {
    const DOMAIN: &[&str] = &["Domain", "Domäne", "Domaine", "Dominio", "ドメイン"];
    const PRIVATE: &[&str] = &[
        "Private",
        "Privat",
        "Privé",
        "Privée",
        "Privada",
        "Privado",
        "プライベート",
    ];
    const PUBLIC: &[&str] = &["Public", "Öffentlich", "Pública", "Público", "パブリック"];
    if is_word(item, DOMAIN) {
        Some("Domain")
    } else if is_word(item, PRIVATE) {
        Some("Private")
    } else if is_word(item, PUBLIC) {
        Some("Public")
    } else if is_word(item, ANY) {
        Some("Any")
    } else {
        None
    }
}

/// The value as printed, except a translated `Any` becomes "Any".
fn normalize_any(v: &str) -> String {
    if is_word(v, ANY) {
        "Any".to_owned()
    } else {
        v.to_owned()
    }
}

fn protocol(v: &str) -> String {
    let t = v.trim();
    if is_word(t, ANY) {
        return "Any".to_owned();
    }
    match t.to_ascii_lowercase().as_str() {
        "tcp" => "TCP".to_owned(),
        "udp" => "UDP".to_owned(),
        "icmpv4" => "ICMPv4".to_owned(),
        "icmpv6" => "ICMPv6".to_owned(),
        _ => t.to_owned(),
    }
}

/// "No rules match the specified criteria." and its translations (German seen; French,
/// Spanish and Japanese are Microsoft's usual wording, not verified against a capture).
fn is_no_rules_message(line: &str) -> bool {
    let a = fold(line);
    a.starts_with("norulesmatch")
        || a.starts_with("keineregelnstimmen")
        || a.starts_with("aucunergle")
        || a.starts_with("aucunerglenecorrespond")
        || a.starts_with("ningunareglacoincide")
        || a.starts_with("nohayreglasquecoincidan")
        || squash(line).contains("一致する規則はありません")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testutil::noise;

    const SAMPLE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/samples/commands/netsh-advfirewall-show-rule-all__en__some-bat-files.txt"
    );

    fn crlf(s: &str) -> String {
        s.replace("\r\n", "\n").replace('\n', "\r\n")
    }

    fn find<'a>(r: &'a FirewallRules, name: &str) -> &'a FirewallRule {
        r.rules
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("rule {name} missing"))
    }

    #[test]
    fn real_english_non_verbose_sample() {
        let Ok(bytes) = std::fs::read(SAMPLE) else {
            eprintln!("SKIPPED: ../shared/samples absent ({SAMPLE})");
            return;
        };
        let text = text::decode(&bytes, None).text;
        assert!(sniff(&text));
        let r = parse(&text).unwrap();
        assert_eq!(r.rules.len(), 504);
        assert!(!r.no_rules_message);
        assert_eq!(r.rules.iter().filter(|x| x.enabled).count(), 285);
        assert_eq!(
            r.rules
                .iter()
                .filter(|x| x.direction == Direction::In)
                .count(),
            285
        );
        assert_eq!(
            r.rules
                .iter()
                .filter(|x| x.direction == Direction::Out)
                .count(),
            219
        );
        assert!(r.rules.iter().all(|x| x.action == Action::Allow));
        assert_eq!(r.rules.iter().filter(|x| x.protocol == "TCP").count(), 203);
        assert_eq!(
            r.rules.iter().filter(|x| x.local_port.is_some()).count(),
            344
        );
        assert_eq!(
            r.rules
                .iter()
                .filter(|x| x.local_port.as_deref() == Some("RPC"))
                .count(),
            20
        );
        // The sample has no Remote Desktop rule; Remote Assistance is the closest analogue
        // (inbound TCP, LocalPort Any, program-scoped).
        assert!(!r.rules.iter().any(|x| x.name.contains("Remote Desktop")));
        let ra = find(&r, "Remote Assistance (TCP-In)");
        assert_eq!(ra.line, 3064);
        assert!(ra.enabled);
        assert_eq!(ra.direction, Direction::In);
        assert_eq!(ra.profiles, vec!["Domain", "Private"]);
        assert_eq!(ra.grouping.as_deref(), Some("Remote Assistance"));
        assert_eq!(ra.protocol, "TCP");
        assert_eq!(ra.local_port.as_deref(), Some("Any"));
        assert!(ra.remote_is_any());
        assert!(ra.applies_to_tcp_port(3389));
        assert_eq!(ra.fields.len(), 12);
        assert_eq!(
            ra.fields.last().unwrap(),
            &("Action".to_owned(), "Allow".to_owned(), 3076)
        );
        // ICMP rules: no port lines, the Type/Code table kept as continuation fields.
        let icmp = r
            .rules
            .iter()
            .find(|x| x.name == "Core Networking Diagnostics - ICMP Echo Request (ICMPv4-In)")
            .unwrap();
        assert_eq!(icmp.protocol, "ICMPv4");
        assert_eq!(icmp.local_port, None);
        assert_eq!(icmp.remote_ip, "LocalSubnet");
        assert!(!icmp.remote_is_any());
        assert!(!icmp.applies_to_tcp_port(3389));
        assert!(icmp
            .fields
            .iter()
            .any(|(l, v, _)| l.is_empty() && v == "Type    Code"));
        // Empty Grouping is None; Protocol Any has no port lines and applies to every port.
        let widgets = &r.rules[0];
        assert_eq!(widgets.name, "Widgets Platform Runtime");
        assert_eq!(widgets.line, 2);
        assert_eq!(widgets.protocol, "Any");
        assert!(widgets.applies_to_tcp_port(3389));
        assert!(r.rules.iter().any(|x| x.grouping.is_none()));
    }

    const EN_VERBOSE: &str = "\r
Rule Name:                            Remote Desktop - User Mode (TCP-In)\r
----------------------------------------------------------------------\r
Description:                          Inbound rule for the Remote Desktop service to allow RDP traffic. [TCP 3389]\r
Enabled:                              Yes\r
Direction:                            In\r
Profiles:                             Domain,Private\r
Grouping:                             Remote Desktop\r
LocalIP:                              Any\r
RemoteIP:                             Any\r
Protocol:                             TCP\r
LocalPort:                            3389\r
RemotePort:                           Any\r
Edge traversal:                       No\r
Program:                              %SystemRoot%\\system32\\svchost.exe\r
Service:                              termservice\r
InterfaceTypes:                       Any\r
Security:                             NotRequired\r
Rule source:                          Local Setting\r
Action:                               Allow\r
\r
Rule Name:                            Remote Desktop - User Mode (UDP-In)\r
----------------------------------------------------------------------\r
Description:                          Inbound rule for the Remote Desktop service to allow RDP traffic. [UDP 3389]\r
Enabled:                              No\r
Direction:                            In\r
Profiles:                             Public\r
Grouping:                             Remote Desktop\r
LocalIP:                              Any\r
RemoteIP:                             10.0.0.0/255.0.0.0,LocalSubnet\r
Protocol:                             UDP\r
LocalPort:                            3389\r
RemotePort:                           Any\r
Edge traversal:                       No\r
Program:                              %SystemRoot%\\system32\\svchost.exe\r
Service:                              termservice\r
InterfaceTypes:                       Any\r
Security:                             NotRequired\r
Rule source:                          Local Setting\r
Action:                               Allow\r
\r
Rule Name:                            Block RDP from everywhere\r
----------------------------------------------------------------------\r
Enabled:                              Yes\r
Direction:                            In\r
Profiles:                             Domain,Private,Public\r
Grouping:                             \r
LocalIP:                              Any\r
RemoteIP:                             Any\r
Protocol:                             TCP\r
LocalPort:                            3380-3390,5000\r
RemotePort:                           Any\r
Edge traversal:                       No\r
InterfaceTypes:                       Any\r
Security:                             NotRequired\r
Rule source:                          Local Setting\r
Action:                               Block\r
Ok.\r
\r
";

    #[test]
    fn english_verbose_remote_desktop_rules() {
        assert!(sniff(EN_VERBOSE));
        let r = parse(EN_VERBOSE).unwrap();
        assert_eq!(r.rules.len(), 3);
        let tcp = &r.rules[0];
        assert_eq!(tcp.name, "Remote Desktop - User Mode (TCP-In)");
        assert_eq!(tcp.line, 2);
        assert!(tcp.enabled);
        assert_eq!(tcp.direction, Direction::In);
        assert_eq!(tcp.profiles, vec!["Domain", "Private"]);
        assert_eq!(tcp.grouping.as_deref(), Some("Remote Desktop"));
        assert_eq!(tcp.local_ip, "Any");
        assert!(tcp.remote_is_any());
        assert_eq!(tcp.protocol, "TCP");
        assert_eq!(tcp.local_port.as_deref(), Some("3389"));
        assert_eq!(tcp.remote_port.as_deref(), Some("Any"));
        assert_eq!(
            tcp.program.as_deref(),
            Some("%SystemRoot%\\system32\\svchost.exe")
        );
        assert_eq!(tcp.service.as_deref(), Some("termservice"));
        assert_eq!(tcp.action, Action::Allow);
        assert!(tcp.applies_to_tcp_port(3389));
        assert!(!tcp.applies_to_tcp_port(3390));
        assert_eq!(tcp.fields.len(), 18);

        let udp = &r.rules[1];
        assert!(!udp.enabled);
        assert_eq!(udp.profiles, vec!["Public"]);
        assert_eq!(udp.remote_ip, "10.0.0.0/255.0.0.0,LocalSubnet");
        assert!(!udp.remote_is_any());
        assert!(!udp.applies_to_tcp_port(3389));

        let block = &r.rules[2];
        assert_eq!(block.action, Action::Block);
        assert_eq!(block.grouping, None);
        assert_eq!(block.program, None);
        assert!(block.applies_to_tcp_port(3389));
        assert!(block.applies_to_tcp_port(5000));
        assert!(!block.applies_to_tcp_port(3391));
        assert_eq!(block.profiles, vec!["Domain", "Private", "Public"]);
    }

    #[test]
    fn lf_only_and_lone_cr_parse_the_same() {
        let lf = EN_VERBOSE.replace("\r\n", "\n");
        let cr = EN_VERBOSE.replace("\r\n", "\r");
        assert_eq!(parse(&lf).unwrap(), parse(EN_VERBOSE).unwrap());
        assert_eq!(parse(&cr).unwrap(), parse(EN_VERBOSE).unwrap());
    }

    /// German, padded to column 41 as real German netsh does (layout from a real capture).
    fn german() -> String {
        crlf(
            "
Regelname:                               Remotedesktop - Benutzermodus (TCP eingehend)
----------------------------------------------------------------------
Beschreibung:                            Eingehende Regel für den Remotedesktopdienst, um RDP-Datenverkehr zuzulassen. [TCP 3389]
Aktiviert:                               Ja
Richtung:                                Eingehend
Profile:                                 Domäne,Privat,Öffentlich
Gruppierung:                             Remotedesktop
Lokales IP:                              Beliebig
Remote-IP:                               Beliebig
Protokoll:                               TCP
Lokaler Port:                            3389
Remoteport:                              Beliebig
Edgeausnahme:                            Nein
Programm:                                %SystemRoot%\\system32\\svchost.exe
Dienst:                                  termservice
Schnittstellentypen:                     Beliebig
Sicherheit:                              NotRequired
Regelquelle:                             Lokale Einstellung
Aktion:                                  Zulassen

Regelname:                               VagrantWinNFSd-1.4.0
----------------------------------------------------------------------
Aktiviert:                               Nein
Richtung:                                Aus
Profile:                                 Beliebig
Gruppierung:
Lokales IP:                              Beliebig
Remote-IP:                               Beliebig
Protokoll:                               Beliebig
Edgeausnahme:                            Nein
Aktion:                                  Blockieren
OK.
",
        )
    }

    #[test]
    fn german_labels_and_values() {
        let text = german();
        assert!(sniff(&text));
        let r = parse(&text).unwrap();
        assert_eq!(r.rules.len(), 2);
        let rdp = &r.rules[0];
        assert!(rdp.enabled);
        assert_eq!(rdp.direction, Direction::In);
        assert_eq!(rdp.profiles, vec!["Domain", "Private", "Public"]);
        assert!(rdp.remote_is_any());
        assert_eq!(rdp.local_port.as_deref(), Some("3389"));
        assert_eq!(rdp.remote_port.as_deref(), Some("Any"));
        assert_eq!(rdp.service.as_deref(), Some("termservice"));
        assert_eq!(rdp.action, Action::Allow);
        assert!(rdp.applies_to_tcp_port(3389));
        let nfs = &r.rules[1];
        assert!(!nfs.enabled);
        assert_eq!(nfs.direction, Direction::Out);
        assert_eq!(nfs.profiles, vec!["Domain", "Private", "Public"]);
        assert_eq!(nfs.protocol, "Any");
        assert_eq!(nfs.grouping, None);
        assert_eq!(nfs.action, Action::Block);
    }

    #[test]
    fn german_in_cp850_read_as_cp1252_still_parses() {
        // The redirected bytes are CP850; a paste decoded as Windows-1252 mangles ä/Ö/ü.
        let raw = oem_cp::encode_string_lossy(&german(), &oem_cp::code_table::ENCODING_TABLE_CP850);
        let mojibake = encoding_rs::WINDOWS_1252.decode(&raw).0.into_owned();
        assert!(mojibake.contains("Dom\u{201E}ne"), "{mojibake}");
        let r = parse(&mojibake).unwrap();
        assert_eq!(r.rules.len(), 2);
        assert_eq!(r.rules[0].profiles, vec!["Domain", "Private", "Public"]);
        assert!(r.rules[0].enabled);
        assert_eq!(r.rules[0].action, Action::Allow);
    }

    /// Spanish: labels half translated, LocalIP/RemoteIP/LocalPort/RemotePort kept in English,
    /// and the long Edge label overflowing its padding (layout from a real capture).
    const SPANISH: &str = "\r
Nombre de regla:                      Escritorio remoto - Modo de usuario (TCP de entrada)\r
----------------------------------------------------------------------\r
Habilitada:                           Sí\r
Dirección:                            Dentro\r
Perfiles:                             Dominio,Privada,Pública\r
Agrupamiento:                         Escritorio remoto\r
LocalIP:                              Cualquiera\r
RemoteIP:                             Cualquiera\r
Protocolo:                            TCP\r
LocalPort:                            3389\r
RemotePort:                           Cualquiera\r
Cruce seguro del perímetro:          No\r
Acción:                               Permitir\r
\r
Nombre de regla:                      Bloquear HTTP de entrada\r
----------------------------------------------------------------------\r
Habilitada:                           No\r
Dirección:                            Fuera\r
Perfiles:                             Pública\r
Agrupamiento:\r
LocalIP:                              Cualquiera\r
RemoteIP:                             Cualquiera\r
Protocolo:                            TCP\r
LocalPort:                            Cualquiera\r
RemotePort:                           80\r
Cruce seguro del perímetro:          No\r
Acción:                               Bloquear\r
Ok.\r
";

    #[test]
    fn spanish_labels_and_values() {
        assert!(sniff(SPANISH));
        let r = parse(SPANISH).unwrap();
        assert_eq!(r.rules.len(), 2);
        let rdp = &r.rules[0];
        assert!(rdp.enabled);
        assert_eq!(rdp.direction, Direction::In);
        assert_eq!(rdp.profiles, vec!["Domain", "Private", "Public"]);
        assert!(rdp.remote_is_any());
        assert_eq!(rdp.local_port.as_deref(), Some("3389"));
        assert_eq!(rdp.action, Action::Allow);
        let b = &r.rules[1];
        assert!(!b.enabled);
        assert_eq!(b.direction, Direction::Out);
        assert_eq!(b.local_port.as_deref(), Some("Any"));
        assert_eq!(b.remote_port.as_deref(), Some("80"));
        assert_eq!(b.action, Action::Block);
    }

    /// Japanese: double-width labels padded by display width, "OK" without a period (layout
    /// from a real capture).
    const JAPANESE: &str = "\r
規則名:                               リモート デスクトップ - ユーザー モード (TCP 受信)\r
----------------------------------------------------------------------\r
有効:                                 はい\r
方向:                                 入力\r
プロファイル:                         ドメイン,プライベート,パブリック\r
グループ:                             リモート デスクトップ\r
ローカル IP:                          任意\r
リモート IP:                          任意\r
プロトコル:                           TCP\r
ローカル ポート:                      3389\r
リモート ポート:                      任意\r
エッジ トラバーサル:                  いいえ\r
操作:                                 許可\r
OK\r
";

    #[test]
    fn japanese_labels_and_values() {
        assert!(sniff(JAPANESE));
        let r = parse(JAPANESE).unwrap();
        assert_eq!(r.rules.len(), 1);
        let rdp = &r.rules[0];
        assert_eq!(
            rdp.name,
            "リモート デスクトップ - ユーザー モード (TCP 受信)"
        );
        assert!(rdp.enabled);
        assert_eq!(rdp.direction, Direction::In);
        assert_eq!(rdp.profiles, vec!["Domain", "Private", "Public"]);
        assert!(rdp.remote_is_any());
        assert_eq!(rdp.local_ip, "Any");
        assert_eq!(rdp.local_port.as_deref(), Some("3389"));
        assert_eq!(rdp.remote_port.as_deref(), Some("Any"));
        assert_eq!(rdp.action, Action::Allow);
        assert!(rdp.applies_to_tcp_port(3389));
    }

    /// French with a space before the colon. Not checked against a real capture: the labels
    /// are the usual Microsoft French terms.
    const FRENCH: &str = "\r
Nom de la règle :                     Bureau à distance - Mode utilisateur (TCP-Entrée)\r
----------------------------------------------------------------------\r
Description :                         Règle de trafic entrant pour le service Bureau à distance. [TCP 3389]\r
Activée :                             Oui\r
Direction :                           Entrée\r
Profils :                             Domaine,Privé,Public\r
Regroupement :                        Bureau à distance\r
IP locale :                           Tout\r
IP distante :                         Tout\r
Protocole :                           TCP\r
Port local :                          3389\r
Port distant :                        Tout\r
Traversée de périmètre :              Non\r
Programme :                           %SystemRoot%\\system32\\svchost.exe\r
Service :                             termservice\r
Types d'interface :                   Tout\r
Sécurité :                            NotRequired\r
Source de la règle :                  Paramètre local\r
Action :                              Autoriser\r
Ok.\r
";

    #[test]
    fn french_labels_and_values() {
        assert!(sniff(FRENCH));
        let r = parse(FRENCH).unwrap();
        let rdp = &r.rules[0];
        assert!(rdp.enabled);
        assert_eq!(rdp.direction, Direction::In);
        assert_eq!(rdp.profiles, vec!["Domain", "Private", "Public"]);
        assert!(rdp.remote_is_any());
        assert_eq!(rdp.local_port.as_deref(), Some("3389"));
        assert_eq!(rdp.service.as_deref(), Some("termservice"));
        assert_eq!(rdp.action, Action::Allow);
    }

    #[test]
    fn unknown_language_falls_back_on_field_order() {
        // Made-up labels in a language the table does not know; values it does know.
        let text = crlf(
            "
Xname:                                Remote Desktop (TCP-In)
----------------------------------------------------------------------
Xdesc:                                some description
Xena:                                 Yes
Xdir:                                 In
Xprof:                                Domain
Xgroup:                               Remote Desktop
Xlip:                                 Any
Xrip:                                 192.168.1.0/24
Xproto:                               TCP
Xlport:                               3389
Xrport:                               Any
Xedge:                                No
Xprog:                                C:\\Windows\\system32\\svchost.exe
Xsvc:                                 termservice
Xif:                                  Any
Xsec:                                 NotRequired
Xsrc:                                 Local Setting
Xact:                                 Block
Ok.
",
        );
        let r = parse(&text).unwrap();
        let x = &r.rules[0];
        assert!(x.enabled);
        assert_eq!(x.direction, Direction::In);
        assert_eq!(x.profiles, vec!["Domain"]);
        assert_eq!(x.grouping.as_deref(), Some("Remote Desktop"));
        assert_eq!(x.remote_ip, "192.168.1.0/24");
        assert_eq!(x.protocol, "TCP");
        assert_eq!(x.local_port.as_deref(), Some("3389"));
        assert_eq!(x.remote_port.as_deref(), Some("Any"));
        assert_eq!(
            x.program.as_deref(),
            Some("C:\\Windows\\system32\\svchost.exe")
        );
        assert_eq!(x.action, Action::Block);
    }

    #[test]
    fn no_rules_messages() {
        for msg in [
            "\r\nNo rules match the specified criteria.\r\n\r\n",
            "\r\nKeine Regeln stimmen mit den angegebenen Kriterien überein.\r\n",
            "\n指定された条件に一致する規則はありません。\n",
        ] {
            assert!(sniff(msg), "{msg}");
            let r = parse(msg).unwrap();
            assert!(r.no_rules_message, "{msg}");
            assert!(r.rules.is_empty());
        }
    }

    #[test]
    fn garbage_empty_and_truncated() {
        assert!(parse("").is_err());
        assert!(parse("\r\n\r\n").is_err());
        assert!(parse("hello world\r\nthis is not netsh\r\n").is_err());
        assert!(!sniff("Active Connections\r\n\r\n  Proto  Local Address"));
        assert!(!sniff(
            "Domain Profile Settings:\r\n----------------------------------------------------------------------\r\nState                                 ON\r\n"
        ));
        // Cut in the middle of a rule: what is there is kept.
        let cut = EN_VERBOSE
            .get(..EN_VERBOSE.find("Protocol:").unwrap())
            .unwrap();
        let r = parse(cut).unwrap();
        assert_eq!(r.rules.len(), 1);
        assert_eq!(r.rules[0].remote_ip, "Any");
        assert_eq!(r.rules[0].protocol, "");
        assert_eq!(r.rules[0].action, Action::Other(String::new()));
        // Cut right after the dashes.
        let r = parse("Rule Name:  x\r\n------------------------------").unwrap();
        assert_eq!(r.rules[0].name, "x");
        // Every prefix of every sample, cut at every character: no panic.
        for s in [EN_VERBOSE, SPANISH, JAPANESE, FRENCH] {
            for (i, _) in s.char_indices() {
                let _ = parse(s.get(..i).unwrap());
            }
        }
        let _ = parse("::::\n-----------------------------\n:\n\u{FEFF}\n：：");
    }

    #[test]
    fn description_with_a_line_break_keeps_the_fields_after_it() {
        let text = crlf(
            "
Rule Name:                            App
----------------------------------------------------------------------
Description:                          first line
second line of the description
Enabled:                              Yes
Direction:                            In
Profiles:                             Public
Grouping:                             
LocalIP:                              Any
RemoteIP:                             Any
Protocol:                             TCP
LocalPort:                            8080
RemotePort:                           Any
Edge traversal:                       No
Action:                               Block
Ok.
",
        );
        let r = parse(&text).unwrap();
        assert_eq!(r.rules.len(), 1);
        let x = &r.rules[0];
        assert!(x.enabled);
        assert_eq!(x.action, Action::Block);
        assert_eq!(x.local_port.as_deref(), Some("8080"));
        assert!(x
            .fields
            .iter()
            .any(|(l, v, n)| l.is_empty() && v == "second line of the description" && *n == 5));
        assert!(!x.fields.iter().any(|(_, v, _)| v == "Ok."));
    }

    #[test]
    fn port_lists() {
        assert!(port_list_contains("Any", 1));
        assert!(port_list_contains("3389", 3389));
        assert!(port_list_contains("80, 3389-3390", 3390));
        assert!(!port_list_contains("RPC", 135));
        assert!(!port_list_contains("3390-3389", 3389));
        assert!(!port_list_contains("99999", 3389));
        assert!(!port_list_contains("", 3389));
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

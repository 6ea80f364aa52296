//! `gpresult /H` reports (Group Policy Resultant Set of Policy, the same HTML the GPMC "Group
//! Policy Results" wizard saves).
//!
//! The report is machine-generated HTML, but nothing in it is keyed for machines: every label,
//! heading and value (`Enabled`, `已启用`, `Aktiviert`...) is localized, and the only stable
//! anchors are the CSS classes GPMC uses for layout. So this parser reads the *shape*:
//!
//! - Sections are a heading `<div class="heN…"><span class="sectionTitle">Title</span></div>`
//!   followed by a sibling `<div class="container">` holding the section body. The chain of
//!   headings above an element is its path (`Computer Details` › `Settings` › `Policies` ›
//!   `Administrative Templates` › `Windows Components/Remote Desktop Services/…`).
//! - The first top-level section in `div.rsopsettings` is the computer, the second the user.
//!   Windows 7-era reports (`Computer Configuration`/`User Configuration`) keep the applied-GPO
//!   lists in `div.rsopsummary` instead.
//! - Administrative Template rows carry `gpmc_settingName`/`gpmc_settingPath` on a
//!   `span.explainlink` (`a.explainlink` before Windows 8); Security Settings rows are plain
//!   three-cell rows of `table.info3` under a level-2 heading; a policy's options follow in a
//!   `table.subtable_frame` row.
//! - Group Policy Preferences registry items put their Properties in a `table.subtable` whose
//!   first row's value is a hive name (`HKEY_LOCAL_MACHINE`), which no translation touches.
//!
//! scraper keeps no source positions, so line numbers come from searching the source text for
//! each item's name, in document order, from a cursor that only moves forward (see [`Locator`]).
//!
//! The RSoP XML variant (`gpresult /X`) has its own entry points, [`sniff_xml`] and
//! [`parse_xml`], and fills the same [`GpReport`].

use std::collections::HashSet;

use scraper::{ElementRef, Html};
use serde::Serialize;

use super::ParseError;

/// Largest report accepted. Real `gpresult /H` output is 0.1–1.5 MB of text (up to 3 MB as
/// UTF-16); anything far bigger is not a report and would only cost time and memory.
const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// Deepest element nesting accepted. Real reports nest 13–18 elements deep. html5ever checks
/// the stack of open elements on every start tag, so parsing time grows with depth × tags:
/// 100 000 nested `div`s take tens of seconds. Rejecting deeper markup up front bounds that.
const MAX_NESTING: usize = 256;

/// How many ancestors are inspected to build a heading chain. Real reports nest about 20 deep;
/// the bound keeps hostile 100k-deep nesting from making every lookup quadratic.
const MAX_ANCESTORS: usize = 96;

/// How many preceding siblings are inspected when pairing a container with its heading.
const MAX_SIBLING_SCAN: usize = 16;

/// How many preceding siblings are counted to tell the first section from the second.
const MAX_INDEX_SCAN: usize = 512;

/// Options kept per policy; real policies have a handful, lists a few hundred at most.
const MAX_OPTIONS: usize = 4096;

/// Line lookups may scan this many times the text length in total before giving up (line 0).
const LOCATOR_BUDGET_FACTOR: usize = 64;

/// Which half of the report a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Scope {
    Computer,
    User,
}

/// An Administrative Template policy's state, mapped from the localized Setting cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PolicyState {
    Enabled,
    Disabled,
    /// Anything else: a number, a list, "Not Configured", an unknown language.
    Other,
}

/// Everything the report says that a check may cite.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GpReport {
    /// As the report's General table shows it, usually `DOMAIN\NAME` (RSoP XML's trailing
    /// `$` of the machine account is dropped so both formats agree).
    pub computer_name: Option<String>,
    pub user_name: Option<String>,
    /// The date after the "Data collected on:" label, verbatim (its format follows the
    /// locale: `10/18/2023 6:25:42 PM`, `17/06/2021 15:02:15`, `2025/8/21 10:12:12`); from
    /// RSoP XML, the UTC `ReadTime` (`2023-10-19T01:25:18.4743301Z`).
    pub collected_at: Option<String>,
    pub applied_gpos: Vec<AppliedGpo>,
    pub policies: Vec<Policy>,
    pub registry_preferences: Vec<RegistryPreference>,
    pub security_settings: Vec<SecuritySetting>,
}

/// A GPO listed under "Applied GPOs" (GUID suffix removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedGpo {
    pub scope: Scope,
    pub name: String,
}

/// One Administrative Template row (or an "Extra Registry Settings" row, whose name is the
/// registry path GPMC could not translate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub scope: Scope,
    /// The section heading as shown, slash-joined (`Windows Components/Remote Desktop Services/…`).
    pub category: String,
    pub name: String,
    /// The Setting cell, verbatim (whitespace collapsed).
    pub setting: String,
    pub state: PolicyState,
    /// Display name of the GPO that won, or `Local Group Policy`.
    pub winning_gpo: String,
    /// Rows of the policy's options table: `(label, value)`; a list item is `(list header, item)`;
    /// a line of explanatory text is `(text, "")`.
    pub options: Vec<(String, String)>,
    /// 1-based line where the policy's name appears in the source; 0 when not found.
    pub line: usize,
}

/// A Group Policy Preferences registry item (the prevailing one for its key and value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryPreference {
    pub scope: Scope,
    /// Hive and key, `HKEY_LOCAL_MACHINE\SOFTWARE\…`.
    pub key_path: String,
    /// Empty for the key's default value.
    pub value_name: String,
    /// As shown, e.g. `0x1 (1)` (RSoP XML: the logged hex digits, `00000001`); `None` for a
    /// Delete item.
    pub value_data: Option<String>,
    /// The number, when the data is a DWORD/QWORD (`0x1 (1)` in HTML) and fits.
    pub value_u32: Option<u32>,
    /// Create / Replace / Update / Delete (localized in HTML; English from XML's C/R/U/D).
    pub action: Option<String>,
    pub winning_gpo: String,
    pub line: usize,
}

/// One row of a Security Settings table (user rights, security options, password policy...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecuritySetting {
    pub scope: Scope,
    /// Headings below "Security Settings", slash-joined (`Local Policies/User Rights Assignment`).
    pub category: String,
    pub name: String,
    /// The Setting cell verbatim; for user rights, the comma-separated members.
    pub setting: String,
    pub winning_gpo: String,
    pub line: usize,
}

/// Names of the policy that switches Remote Desktop on or off (`TS_DISABLE_CONNECTIONS`,
/// registry value `fDenyTSConnections`), in the wordings Windows has used and in translations.
///
/// Verified against Microsoft documentation text: en (all three), zh-CN, de, fr, es, ru.
/// Japanese: the Remote Desktop Services wording comes from a third-party article (spacing
/// as in the UI assumed; comparison ignores whitespace anyway) and the Terminal Services
/// wording from a Microsoft KB article.
pub const ALLOW_RDP_POLICY_NAMES: &[&str] = &[
    "Allow users to connect remotely by using Remote Desktop Services",
    "Allow users to connect remotely using Remote Desktop Services",
    "Allow users to connect remotely using Terminal Services",
    "允许用户通过使用远程桌面服务进行远程连接",
    "Remoteverbindungen für Benutzer mithilfe der Remotedesktopdienste zulassen",
    "Autoriser les utilisateurs à se connecter à distance à l'aide des services Bureau à distance",
    "Permitir que los usuarios se conecten de forma remota mediante Servicios de Escritorio remoto",
    "ユーザーがリモート デスクトップ サービスを使ってリモート接続することを許可する",
    "ターミナル サービスを使用してリモート接続をユーザーに許可する",
    "Разрешить пользователям удаленное подключение с использованием служб удаленных рабочих столов",
];

impl GpReport {
    /// First policy (computer scope preferred) whose name equals (case-insensitive,
    /// whitespace-insensitive) any of `names`.
    pub fn find_policy(&self, names: &[&str]) -> Option<&Policy> {
        let wanted: Vec<String> = names.iter().map(|n| name_key(n)).collect();
        let matches = |p: &&Policy| wanted.contains(&name_key(&p.name));
        self.policies
            .iter()
            .filter(|p| p.scope == Scope::Computer)
            .find(matches)
            .or_else(|| self.policies.iter().find(matches))
    }

    /// First security setting (computer scope preferred) whose name equals any of `names`,
    /// compared like [`GpReport::find_policy`].
    pub fn find_security_setting(&self, names: &[&str]) -> Option<&SecuritySetting> {
        let wanted: Vec<String> = names.iter().map(|n| name_key(n)).collect();
        let matches = |s: &&SecuritySetting| wanted.contains(&name_key(&s.name));
        self.security_settings
            .iter()
            .filter(|s| s.scope == Scope::Computer)
            .find(matches)
            .or_else(|| self.security_settings.iter().find(matches))
    }
}

/// Comparison key for names: lowercase with all whitespace removed, so that "Remote Desktop"
/// and the Japanese UI's optional spaces between katakana words compare equal.
fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Maps the Setting cell to a state. GPMC writes the UI language's word for the state.
pub fn policy_state(setting: &str) -> PolicyState {
    const ENABLED: &[&str] = &[
        "enabled",
        "已启用",
        "已啟用",
        "aktiviert",
        "activé",
        "activée",
        "habilitada",
        "habilitado",
        "有効",
        "включено",
        "включен",
        "включена",
        "abilitato",
        "ativado",
        "ingeschakeld",
        "włączone",
        "povoleno",
        "사용",
        "etkin",
        "aktiverad",
    ];
    const DISABLED: &[&str] = &[
        "disabled",
        "已禁用",
        "已停用",
        "deaktiviert",
        "désactivé",
        "désactivée",
        "deshabilitada",
        "deshabilitado",
        "無効",
        "отключено",
        "отключен",
        "отключена",
        "disabilitato",
        "desativado",
        "desabilitado",
        "uitgeschakeld",
        "wyłączone",
        "zakázáno",
        "사용 안 함",
        "devre dışı",
        "inaktiverad",
    ];
    let s = collapse_ws(setting).to_lowercase();
    if ENABLED.contains(&s.as_str()) {
        PolicyState::Enabled
    } else if DISABLED.contains(&s.as_str()) {
        PolicyState::Disabled
    } else {
        PolicyState::Other
    }
}

/// True for HTML whose markup shows it is a GPMC Group Policy report: the
/// `gpmc_reportInitialized` attribute GPMC puts on `<html>`, or the report's own
/// `rsopheader`/`gpmc_settingName` markup near the start.
pub fn sniff(text: &str) -> bool {
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !t.starts_with('<') {
        return false;
    }
    let head = prefix(t, 4096).to_ascii_lowercase();
    if !(head.contains("<html") || head.contains("<!doctype html")) {
        return false;
    }
    if head.contains("gpmc_reportinitialized") {
        return true;
    }
    let body = prefix(t, 512 * 1024);
    body.contains("class=\"rsopheader\"") || body.contains("gpmc_settingName=\"")
}

/// Longest prefix of `s` at most `n` bytes long that ends on a char boundary.
fn prefix(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    s.get(..n).unwrap_or("")
}

/// Parses a `gpresult /H` report. Never panics; sections it cannot make sense of are skipped.
pub fn parse(text: &str) -> Result<GpReport, ParseError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(ParseError::new(format!(
            "report is {} bytes, more than the {MAX_TEXT_BYTES} accepted",
            text.len()
        )));
    }
    if !sniff(text) {
        return Err(ParseError::new(
            "not a Group Policy report (no gpmc_reportInitialized / rsopheader markup)",
        ));
    }
    if let Some(at) = too_deep(text, MAX_NESTING) {
        return Err(ParseError::at(
            LineIndex::new(text).line_of(at),
            format!("markup nested deeper than {MAX_NESTING} elements; not a gpresult report"),
        ));
    }
    let doc = Html::parse_document(text);
    let els = Collected::from(&doc);
    let start = body_start(text);
    let index = LineIndex::new(text);

    let mut report = GpReport {
        collected_at: els.dtstamp.map(|e| collected_at(&cell_text(e))),
        ..GpReport::default()
    };
    read_names(&els, &mut report);
    report.applied_gpos = applied_gpos(&els);

    let mut policy_lines = Locator::new(text, &index, start);
    let mut security_lines = Locator::new(text, &index, start);
    for table in &els.info3_tables {
        read_info3_table(*table, &mut report, &mut policy_lines, &mut security_lines);
    }
    let mut pref_lines = Locator::new(text, &index, start);
    read_registry_preferences(&els, &mut report, &mut pref_lines);
    Ok(report)
}

/// Elements that never take an end tag, so never deepen the tree.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Byte offset of the first start tag that would open more than `limit` elements, counting
/// start tags minus end tags (void and self-closed tags excepted, comments skipped). A cheap
/// over-estimate of what html5ever will build; one linear pass.
fn too_deep(text: &str, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(off) = text.get(i..).and_then(|r| r.find('<')) {
        let at = i + off;
        let rest = text.get(at..).unwrap_or("");
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(text.len(), |e| at + e + 3);
            continue;
        }
        let Some(close) = rest.find('>') else {
            break;
        };
        let tag = rest.get(..=close).unwrap_or("");
        i = at + close + 1;
        let mut chars = tag.chars().skip(1);
        match chars.next() {
            Some('/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name: String = tag
                    .get(1..)
                    .unwrap_or("")
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
                    .flat_map(char::to_lowercase)
                    .collect();
                if tag.ends_with("/>") || VOID_ELEMENTS.contains(&name.as_str()) {
                    continue;
                }
                depth += 1;
                if depth > limit {
                    return Some(at);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the report body begins in the source. The `<head>` holds kilobytes of script that
/// mention the same attribute names, so line searches start at the title table.
fn body_start(text: &str) -> usize {
    ["class=\"rsopheader\"", "class=\"title\"", "<body"]
        .iter()
        .find_map(|m| text.find(m))
        .unwrap_or(0)
}

/// The elements the parser works from, gathered in one pass over the DOM in document order.
struct Collected<'a> {
    info3_tables: Vec<ElementRef<'a>>,
    subtables: Vec<ElementRef<'a>>,
    headings: Vec<ElementRef<'a>>,
    rsopname: Option<ElementRef<'a>>,
    dtstamp: Option<ElementRef<'a>>,
}

impl<'a> Collected<'a> {
    fn from(doc: &'a Html) -> Self {
        let mut c = Collected {
            info3_tables: Vec::new(),
            subtables: Vec::new(),
            headings: Vec::new(),
            rsopname: None,
            dtstamp: None,
        };
        for el in doc.root_element().descendent_elements() {
            match el.value().name() {
                "table" if has_class(el, "info3") => c.info3_tables.push(el),
                "table" if has_class(el, "subtable") => c.subtables.push(el),
                "div" if heading_class(el).is_some() => c.headings.push(el),
                "td" if c.rsopname.is_none() && has_class(el, "rsopname") => c.rsopname = Some(el),
                "td" if c.dtstamp.is_none() && el.value().id() == Some("dtstamp") => {
                    c.dtstamp = Some(el)
                }
                _ => {}
            }
        }
        c
    }
}

fn has_class(el: ElementRef, class: &str) -> bool {
    el.value().classes().any(|c| c == class)
}

/// The `heN…` class of a section heading: a `div` with such a class and a direct
/// `span.sectionTitle` child. (`he2i`/`he4i` boxes have the class but no title: they are
/// content, not headings.)
fn heading_class<'a>(el: ElementRef<'a>) -> Option<&'a str> {
    if el.value().name() != "div" {
        return None;
    }
    let class = el.value().classes().find(|c| {
        c.strip_prefix("he")
            .and_then(|r| r.chars().next())
            .is_some_and(|d| d.is_ascii_digit())
    })?;
    let titled = el
        .child_elements()
        .any(|c| c.value().name() == "span" && has_class(c, "sectionTitle"));
    titled.then_some(class)
}

fn heading_title(el: ElementRef) -> String {
    el.child_elements()
        .find(|c| c.value().name() == "span" && has_class(*c, "sectionTitle"))
        .map(cell_text)
        .unwrap_or_default()
}

/// A section heading above some element.
struct Heading<'a> {
    el: ElementRef<'a>,
    class: String,
    text: String,
}

/// Previous element sibling, skipping text and comments (bounded).
fn prev_element(el: ElementRef<'_>) -> Option<ElementRef<'_>> {
    el.prev_siblings()
        .take(MAX_SIBLING_SCAN)
        .find_map(ElementRef::wrap)
}

fn next_element(el: ElementRef<'_>) -> Option<ElementRef<'_>> {
    el.next_siblings()
        .take(MAX_SIBLING_SCAN)
        .find_map(ElementRef::wrap)
}

/// The heading a `div.container` belongs to: its previous element sibling, if that is one.
fn heading_of_container(container: ElementRef) -> Option<ElementRef> {
    if container.value().name() != "div" || !has_class(container, "container") {
        return None;
    }
    prev_element(container).filter(|h| heading_class(*h).is_some())
}

/// The body of a section: the `div.container` right after its heading.
fn container_of_heading(heading: ElementRef) -> Option<ElementRef> {
    next_element(heading).filter(|c| c.value().name() == "div" && has_class(*c, "container"))
}

/// Headings enclosing `el`, outermost first.
fn chain(el: ElementRef) -> Vec<Heading> {
    let mut out: Vec<Heading> = el
        .ancestors()
        .take(MAX_ANCESTORS)
        .filter_map(ElementRef::wrap)
        .filter_map(heading_of_container)
        .map(|h| Heading {
            el: h,
            class: heading_class(h).unwrap_or_default().to_owned(),
            text: heading_title(h),
        })
        .collect();
    out.reverse();
    out
}

fn in_ancestor_with_class(el: ElementRef, class: &str) -> bool {
    el.ancestors()
        .take(MAX_ANCESTORS)
        .filter_map(ElementRef::wrap)
        .any(|a| has_class(a, class))
}

/// How many headings of the same class precede `heading` among its siblings.
fn heading_index(heading: ElementRef, class: &str) -> usize {
    heading
        .prev_siblings()
        .take(MAX_INDEX_SCAN)
        .filter_map(ElementRef::wrap)
        .filter(|s| heading_class(*s) == Some(class))
        .count()
}

/// Words that mark a scope heading ("Computer Details", "Configuration de l'ordinateur",
/// "计算机详细信息"...), lowercase.
const COMPUTER_WORDS: &[&str] = &[
    "computer",
    "ordinateur",
    "equipo",
    "计算机",
    "電腦",
    "コンピューター",
    "コンピュータ",
    "компьютер",
    "computador",
    "컴퓨터",
    "komputer",
    "počítač",
    "bilgisayar",
    "dator",
];
const USER_WORDS: &[&str] = &[
    "user",
    "benutzer",
    "utilisateur",
    "usuario",
    "usuário",
    "用户",
    "使用者",
    "ユーザー",
    "пользовател",
    "utente",
    "gebruiker",
    "użytkownik",
    "uživatel",
    "사용자",
    "kullanıcı",
    "användare",
];

fn scope_from_words(text: &str) -> Option<Scope> {
    let t = text.to_lowercase();
    if COMPUTER_WORDS.iter().any(|w| t.contains(w)) {
        Some(Scope::Computer)
    } else if USER_WORDS.iter().any(|w| t.contains(w)) {
        Some(Scope::User)
    } else {
        None
    }
}

fn scope_from_index(i: usize) -> Option<Scope> {
    match i {
        0 => Some(Scope::Computer),
        1 => Some(Scope::User),
        _ => None,
    }
}

/// The scope a heading chain lies in. Scope sections are the top-level headings of
/// `div.rsopsettings` (and, in Windows 7-era reports, the level-1 headings of the summary);
/// their title decides when it is in a known language, their position (computer first)
/// otherwise.
fn scope_of_chain(chain: &[Heading]) -> Option<Scope> {
    for h in chain {
        let candidate = match h.class.as_str() {
            "he0_expanded" => true,
            "he1_expanded" => in_ancestor_with_class(h.el, "rsopsummary"),
            _ => false,
        };
        if !candidate {
            continue;
        }
        if let Some(s) = scope_from_words(&h.text) {
            return Some(s);
        }
        let positional = match h.class.as_str() {
            "he0_expanded" => {
                h.el.parent()
                    .and_then(ElementRef::wrap)
                    .is_some_and(|p| has_class(p, "rsopsettings"))
            }
            _ => true,
        };
        if positional {
            if let Some(s) = scope_from_index(heading_index(h.el, &h.class)) {
                return Some(s);
            }
        }
    }
    None
}

/// Direct rows of a table (through `tbody`/`thead`/`tfoot`), not those of nested tables.
fn direct_rows(table: ElementRef) -> Vec<ElementRef> {
    let mut rows = Vec::new();
    for child in table.child_elements() {
        match child.value().name() {
            "tr" => rows.push(child),
            "tbody" | "thead" | "tfoot" => {
                rows.extend(child.child_elements().filter(|r| r.value().name() == "tr"))
            }
            _ => {}
        }
    }
    rows
}

fn direct_cells(row: ElementRef) -> Vec<ElementRef> {
    row.child_elements()
        .filter(|c| matches!(c.value().name(), "td" | "th"))
        .collect()
}

fn is_header_row(cells: &[ElementRef]) -> bool {
    !cells.is_empty() && cells.iter().all(|c| c.value().name() == "th")
}

/// Text of an element with whitespace (including `&nbsp;`) collapsed and trimmed.
fn cell_text(el: ElementRef) -> String {
    let mut out = String::new();
    for piece in el.text() {
        out.push_str(piece);
    }
    collapse_ws(&out)
}

fn collapse_ws(s: &str) -> String {
    s.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// "Data collected on: 10/18/2023 6:25:42 PM" → "10/18/2023 6:25:42 PM". The label is
/// localized ("数据收集时间: 2025/8/21 10:12:12") but always ends at the first colon.
fn collected_at(stamp: &str) -> String {
    let cut = stamp.find([':', '：']).map(|i| {
        let colon_len = stamp
            .get(i..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8);
        i + colon_len
    });
    match cut.and_then(|i| stamp.get(i..)) {
        Some(rest) if !rest.trim().is_empty() => rest.trim().to_owned(),
        _ => stamp.trim().to_owned(),
    }
}

/// Computer and user names from the General table that opens each scope section (its first
/// row is "Computer name"/"User name" in whatever language), falling back to the English
/// title "USER on COMPUTER".
fn read_names(els: &Collected, report: &mut GpReport) {
    for h in &els.headings {
        let Some(class) = heading_class(*h) else {
            continue;
        };
        let in_summary = in_ancestor_with_class(*h, "rsopsummary");
        let is_scope_root = match class {
            "he0_expanded" => !in_summary,
            "he1_expanded" => in_summary,
            _ => false,
        };
        if !is_scope_root {
            continue;
        }
        let Some(scope) = scope_of_chain(&[Heading {
            el: *h,
            class: class.to_owned(),
            text: heading_title(*h),
        }]) else {
            continue;
        };
        let Some(name) = general_first_value(*h) else {
            continue;
        };
        let slot = match scope {
            Scope::Computer => &mut report.computer_name,
            Scope::User => &mut report.user_name,
        };
        if slot.is_none() {
            *slot = Some(name);
        }
    }
    if let Some(title) = els.rsopname.map(cell_text) {
        if let Some((user, computer)) = title.split_once(" on ") {
            report
                .user_name
                .get_or_insert_with(|| user.trim().to_owned());
            report
                .computer_name
                .get_or_insert_with(|| computer.trim().to_owned());
        }
    }
}

/// The value in the first row of the General section of a scope section. The General section
/// is the first subsection, with a `he0h_expanded` (current) or `he2` (Windows 7 summary)
/// heading; scope sections that open with anything else have no General table.
fn general_first_value(scope_heading: ElementRef) -> Option<String> {
    let body = container_of_heading(scope_heading)?;
    let general = body
        .child_elements()
        .find(|c| heading_class(*c).is_some())?;
    if !matches!(heading_class(general), Some("he0h_expanded" | "he2")) {
        return None;
    }
    let general_body = container_of_heading(general)?;
    let table = general_body
        .descendent_elements()
        .find(|t| t.value().name() == "table" && has_class(*t, "info"))?;
    let row = direct_rows(table)
        .into_iter()
        .map(direct_cells)
        .find(|cells| cells.len() >= 2 && !is_header_row(cells))?;
    let value = cell_text(*row.get(1)?);
    (!value.is_empty()).then_some(value)
}

/// `Default Domain Policy [{31B2F340-016D-11D2-945F-00C04FB984F9}]` → `Default Domain Policy`;
/// `Local Group Policy [LocalGPO]` → `Local Group Policy`. `None` for any other heading.
fn gpo_heading_name(title: &str) -> Option<String> {
    let inner_start = title.rfind(" [")?;
    let rest = title.get(inner_start + 2..)?;
    let inner = rest.strip_suffix(']')?;
    let guid = inner.len() == 38
        && inner.starts_with('{')
        && inner.ends_with('}')
        && inner
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '{' | '}' | '-'));
    if !(guid || inner == "LocalGPO") {
        return None;
    }
    let name = title.get(..inner_start)?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// GPOs in the "Applied GPOs" lists. Current reports give each GPO its own `NAME [{GUID}]`
/// heading under the first of two sibling sections (Applied, then Denied); Windows 7-era
/// reports list them as rows of a table under the first level-3 heading of the summary's
/// "Group Policy Objects" section.
fn applied_gpos(els: &Collected) -> Vec<AppliedGpo> {
    let mut out = Vec::new();
    for h in &els.headings {
        let Some(name) = gpo_heading_name(&heading_title(*h)) else {
            continue;
        };
        let ch = chain(*h);
        let Some(list) = ch.last() else {
            continue;
        };
        if heading_index(list.el, &list.class) != 0 {
            continue; // the Denied list
        }
        if let Some(scope) = scope_of_chain(&ch) {
            out.push(AppliedGpo { scope, name });
        }
    }
    for table in &els.info3_tables {
        if !in_ancestor_with_class(*table, "rsopsummary") {
            continue;
        }
        let ch = chain(*table);
        let [.., group, list] = ch.as_slice() else {
            continue;
        };
        if group.class != "he2" || list.class != "he3" || heading_index(list.el, "he3") != 0 {
            continue;
        }
        let Some(scope) = scope_of_chain(&ch) else {
            continue;
        };
        for row in direct_rows(*table) {
            let cells = direct_cells(row);
            if cells.len() < 2 || is_header_row(&cells) {
                continue;
            }
            let name = cells.first().map(|c| cell_text(*c)).unwrap_or_default();
            if !name.is_empty() {
                out.push(AppliedGpo { scope, name });
            }
        }
    }
    out
}

/// Section words for "Security Settings" in the languages seen, lowercase.
const SECURITY_SECTION_WORDS: &[&str] = &[
    "security settings",
    "安全设置",
    "安全性設定",
    "sicherheitseinstellungen",
    "paramètres de sécurité",
    "configuración de seguridad",
    "セキュリティの設定",
    "параметры безопасности",
    "impostazioni di sicurezza",
    "configurações de segurança",
    "보안 설정",
];
/// Section words for "Preferences", whose tables look like security tables but are not.
const PREFERENCE_SECTION_WORDS: &[&str] = &[
    "preferences",
    "首选项",
    "喜好設定",
    "préférences",
    "preferencias",
    "基本設定",
    "предпочтения",
    "preferenze",
    "preferências",
    "기본 설정",
];

fn contains_any(text: &str, words: &[&str]) -> bool {
    let t = text.to_lowercase();
    words.iter().any(|w| t.contains(w))
}

/// What a plain three-cell row of a `table.info3` is, judged from its headings.
enum PlainRowKind {
    /// Under Policies › Windows Settings › Security Settings; the category starts after it.
    Security {
        category: String,
    },
    /// Administrative Templates rows without an explain link ("Extra Registry Settings").
    ExtraRegistry,
    Ignore,
}

fn plain_row_kind(ch: &[Heading]) -> PlainRowKind {
    if ch.iter().any(|h| gpo_heading_name(&h.text).is_some()) {
        return PlainRowKind::Ignore;
    }
    let Some(sec) = ch.iter().position(|h| h.class == "he2") else {
        return if ch.iter().any(|h| h.class == "he1") {
            PlainRowKind::ExtraRegistry
        } else {
            PlainRowKind::Ignore
        };
    };
    let Some(section) = ch.get(sec) else {
        return PlainRowKind::Ignore;
    };
    let named_security = contains_any(&section.text, SECURITY_SECTION_WORDS);
    // Otherwise trust position: Policies comes before Preferences under Settings.
    let under_policies = ch
        .iter()
        .take(sec)
        .rev()
        .find(|h| h.class == "he1h_expanded")
        .is_some_and(|p| {
            heading_index(p.el, "he1h_expanded") == 0
                && !contains_any(&p.text, PREFERENCE_SECTION_WORDS)
        });
    if !(named_security || under_policies) {
        return PlainRowKind::Ignore;
    }
    let category = ch
        .iter()
        .skip(sec + 1)
        .map(|h| h.text.as_str())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    if category.is_empty() {
        return PlainRowKind::Ignore;
    }
    PlainRowKind::Security { category }
}

/// The explain link in a policy row's first cell (`span.explainlink`, or `a.explainlink` in
/// Windows 7-era reports), recognised by its `gpmc_settingName` attribute.
fn explain_link(cell: ElementRef) -> Option<ElementRef> {
    cell.descendent_elements()
        .take(32)
        .find(|e| e.value().attr("gpmc_settingname").is_some())
}

/// What the headings above a `table.info3` say about it, worked out once per table.
struct TableContext {
    scope: Option<Scope>,
    /// Innermost heading: the category of Administrative Template rows.
    innermost: String,
    plain_rows: PlainRowKind,
}

impl TableContext {
    fn of(table: ElementRef) -> Self {
        let ch = chain(table);
        TableContext {
            scope: scope_of_chain(&ch),
            innermost: ch.last().map(|h| h.text.clone()).unwrap_or_default(),
            plain_rows: plain_row_kind(&ch),
        }
    }
}

fn read_info3_table(
    table: ElementRef,
    report: &mut GpReport,
    policy_lines: &mut Locator,
    security_lines: &mut Locator,
) {
    if in_ancestor_with_class(table, "rsopsummary") {
        return;
    }
    let mut ctx: Option<TableContext> = None;
    let mut last_policy: Option<usize> = None;
    for row in direct_rows(table) {
        let cells = direct_cells(row);
        if is_header_row(&cells) {
            continue;
        }
        if let [only] = cells.as_slice() {
            if let (Some(i), Some(frame)) = (last_policy, options_frame(*only)) {
                if let Some(p) = report.policies.get_mut(i) {
                    let room = MAX_OPTIONS.saturating_sub(p.options.len());
                    p.options
                        .extend(frame_options(frame).into_iter().take(room));
                }
            }
            continue;
        }
        last_policy = None;
        let [name_cell, setting_cell, gpo_cell] = cells.as_slice() else {
            continue;
        };
        let ctx = ctx.get_or_insert_with(|| TableContext::of(table));
        if let Some(link) = explain_link(*name_cell) {
            let path = link.value().attr("gpmc_settingpath").unwrap_or_default();
            let Some(scope) = ctx.scope.or_else(|| scope_from_path(path)) else {
                continue;
            };
            let mut name = cell_text(link);
            if name.is_empty() {
                name = collapse_ws(link.value().attr("gpmc_settingname").unwrap_or_default());
            }
            let category = if ctx.innermost.is_empty() {
                category_from_path(path)
            } else {
                ctx.innermost.clone()
            };
            let setting = cell_text(*setting_cell);
            let line = policy_lines.locate_name(&name, &["gpmc_settingName=\"", ">"]);
            report.policies.push(Policy {
                scope,
                category,
                state: policy_state(&setting),
                name,
                setting,
                winning_gpo: cell_text(*gpo_cell),
                options: Vec::new(),
                line,
            });
            last_policy = report.policies.len().checked_sub(1);
            continue;
        }
        let Some(scope) = ctx.scope else {
            continue;
        };
        let name = cell_text(*name_cell);
        if name.is_empty() {
            continue;
        }
        match &ctx.plain_rows {
            PlainRowKind::Security { category } => {
                let line = security_lines.locate_name(&name, &["<td>", ""]);
                report.security_settings.push(SecuritySetting {
                    scope,
                    category: category.clone(),
                    name,
                    setting: cell_text(*setting_cell),
                    winning_gpo: cell_text(*gpo_cell),
                    line,
                });
            }
            PlainRowKind::ExtraRegistry => {
                let setting = cell_text(*setting_cell);
                let line = policy_lines.locate_name(&name, &["<td>", ""]);
                report.policies.push(Policy {
                    scope,
                    category: ctx.innermost.clone(),
                    state: policy_state(&setting),
                    name,
                    setting,
                    winning_gpo: cell_text(*gpo_cell),
                    options: Vec::new(),
                    line,
                });
            }
            PlainRowKind::Ignore => {}
        }
    }
}

/// Scope from a `gpmc_settingPath` such as `Computer Configuration/Administrative Templates/…`
/// or `用户配置/管理模板/…`, for policy tables whose section headings were not recognised.
fn scope_from_path(path: &str) -> Option<Scope> {
    path.split('/').next().and_then(scope_from_words)
}

fn category_from_path(path: &str) -> String {
    path.splitn(3, '/').nth(2).unwrap_or(path).to_owned()
}

/// The `table.subtable_frame` a single-cell options row holds.
fn options_frame(cell: ElementRef) -> Option<ElementRef> {
    cell.child_elements()
        .find(|t| t.value().name() == "table" && has_class(*t, "subtable_frame"))
}

/// Options from a policy's `subtable_frame`: two-cell rows are label/value; a nested
/// `table.subtable` is a list (its header names it); a lone text cell is explanatory text.
fn frame_options(frame: ElementRef) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for row in direct_rows(frame) {
        match direct_cells(row).as_slice() {
            [label, value] => out.push((cell_text(*label), cell_text(*value))),
            [only] => {
                let list = only.child_elements().find(|t| t.value().name() == "table");
                match list {
                    Some(list) => out.extend(list_options(list)),
                    None => {
                        let text = cell_text(*only);
                        if !text.is_empty() {
                            out.push((text, String::new()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn list_options(list: ElementRef) -> Vec<(String, String)> {
    let mut header = String::new();
    let mut out = Vec::new();
    for row in direct_rows(list) {
        let cells = direct_cells(row);
        if is_header_row(&cells) {
            header = cells.first().map(|c| cell_text(*c)).unwrap_or_default();
            continue;
        }
        match cells.as_slice() {
            [item] => out.push((header.clone(), cell_text(*item))),
            [name, value, ..] => out.push((cell_text(*name), cell_text(*value))),
            [] => {}
        }
    }
    out
}

/// Registry preference items. Their Properties table is a `table.subtable` whose first row
/// holds the hive; the rows are Hive, Key path, Value name, Value type, Value data (the last
/// two absent for Delete). Labels are English-matched when possible, positional otherwise.
/// Items are listed once per GPO that sets them, prevailing one first, so later duplicates of
/// the same key and value are dropped.
fn read_registry_preferences(els: &Collected, report: &mut GpReport, lines: &mut Locator) {
    let mut seen: HashSet<(Scope, String, String)> = HashSet::new();
    for table in &els.subtables {
        let rows: Vec<(String, String)> = direct_rows(*table)
            .into_iter()
            .filter_map(|r| match direct_cells(r).as_slice() {
                [label, value] => Some((cell_text(*label), cell_text(*value))),
                _ => None,
            })
            .collect();
        let Some((_, hive)) = rows.first() else {
            continue;
        };
        if !hive.to_ascii_uppercase().starts_with("HKEY_") {
            continue;
        }
        let props = RegistryProps::from_rows(&rows);
        let key_path = match props.key.as_deref() {
            Some(k) if !k.is_empty() => format!("{hive}\\{k}"),
            _ => hive.clone(),
        };
        let ch = chain(*table);
        let scope = scope_of_chain(&ch).or_else(|| scope_from_hive(hive));
        let Some(scope) = scope else {
            continue;
        };
        let value_name = props.value_name.clone().unwrap_or_default();
        if !seen.insert((
            scope,
            key_path.to_ascii_lowercase(),
            value_name.to_ascii_lowercase(),
        )) {
            continue;
        }
        let winning_gpo = ch
            .iter()
            .rev()
            .find(|h| h.class == "he4")
            .and_then(|item| container_of_heading(item.el))
            .and_then(first_info_value)
            .unwrap_or_default();
        let action = table
            .parent()
            .and_then(ElementRef::wrap)
            .and_then(first_info_value);
        let line = lines.locate_name(&key_path, &[""]);
        report.registry_preferences.push(RegistryPreference {
            scope,
            value_u32: props.data.as_deref().and_then(parse_dword_display),
            value_data: props.data,
            key_path,
            value_name,
            action,
            winning_gpo,
            line,
        });
    }
}

fn scope_from_hive(hive: &str) -> Option<Scope> {
    match hive.to_ascii_uppercase().as_str() {
        "HKEY_CURRENT_USER" => Some(Scope::User),
        "HKEY_LOCAL_MACHINE" => Some(Scope::Computer),
        _ => None,
    }
}

/// Second cell of the first row of the first `table.info` directly inside `el` or inside one
/// of its direct children: the "Winning GPO" box of a preference item, the "Action" row of
/// its General section.
fn first_info_value(el: ElementRef) -> Option<String> {
    let is_info = |t: &ElementRef| t.value().name() == "table" && has_class(*t, "info");
    let table = el.child_elements().find(is_info).or_else(|| {
        el.child_elements()
            .filter(|c| c.value().name() == "div" && !has_class(*c, "container"))
            .find_map(|c| c.child_elements().find(is_info))
    })?;
    let row = direct_rows(table)
        .into_iter()
        .map(direct_cells)
        .find(|c| c.len() >= 2 && !is_header_row(c))?;
    let v = cell_text(*row.get(1)?);
    (!v.is_empty()).then_some(v)
}

#[derive(Default)]
struct RegistryProps {
    key: Option<String>,
    value_name: Option<String>,
    data: Option<String>,
}

impl RegistryProps {
    fn from_rows(rows: &[(String, String)]) -> Self {
        let labelled = rows.iter().any(|(l, _)| l.eq_ignore_ascii_case("key path"));
        let mut p = RegistryProps::default();
        for (i, (label, value)) in rows.iter().enumerate() {
            let field = if labelled {
                match label.to_ascii_lowercase().as_str() {
                    "key path" => 1,
                    "value name" => 2,
                    "value data" => 4,
                    _ => continue,
                }
            } else {
                i
            };
            match field {
                1 => p.key = Some(value.clone()),
                2 => p.value_name = Some(value.clone()),
                4 => p.data = Some(value.clone()),
                _ => {}
            }
        }
        p
    }
}

/// GPMC renders DWORD and QWORD data as `0x1 (1)`; the hex part is authoritative.
fn parse_dword_display(data: &str) -> Option<u32> {
    let hex = data
        .trim()
        .strip_prefix("0x")
        .or_else(|| data.trim().strip_prefix("0X"))?;
    let digits = hex.split(|c: char| c.is_whitespace() || c == '(').next()?;
    u32::from_str_radix(digits, 16).ok()
}

/// Byte offsets where lines start, with the line breaks `text::lines` recognises (CRLF, LF,
/// lone CR), so line numbers agree with every other parser.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    /// 1-based line of byte offset `pos`.
    fn line_of(&self, pos: usize) -> usize {
        self.starts.partition_point(|&s| s <= pos).max(1)
    }
}

/// Finds successive items in the source text. Each kind of item is met in document order, so
/// each search starts where the previous hit ended; the total bytes scanned are capped so a
/// hostile report with thousands of unfindable names stays linear.
struct Locator<'t> {
    text: &'t str,
    index: &'t LineIndex,
    cursor: usize,
    budget: usize,
}

impl<'t> Locator<'t> {
    fn new(text: &'t str, index: &'t LineIndex, start: usize) -> Self {
        Locator {
            text,
            index,
            cursor: start,
            budget: text.len().saturating_mul(LOCATOR_BUDGET_FACTOR),
        }
    }

    /// Line of the next occurrence of `name`, trying each of `leads` (markup expected right
    /// before the name; `""` for none) in turn. Only a run of the name that needs no HTML escaping is
    /// searched, since the source spells `'` and `&` as entities. 0 when not found.
    fn locate_name(&mut self, name: &str, leads: &[&str]) -> usize {
        let key = search_key(name);
        if key.is_empty() {
            return 0;
        }
        // Markup can only be expected right before the key when the key starts the name.
        let leads = if name.trim_start().starts_with(key) {
            leads
        } else {
            &[""]
        };
        for lead in leads {
            let needle = format!("{lead}{key}");
            if let Some(pos) = self.find(&needle) {
                self.cursor = pos + needle.len();
                return self.index.line_of(pos + lead.len());
            }
        }
        0
    }

    fn find(&mut self, needle: &str) -> Option<usize> {
        let rest = self.text.get(self.cursor..)?;
        if self.budget == 0 {
            return None;
        }
        match rest.find(needle) {
            Some(off) => {
                self.budget = self.budget.saturating_sub(off + needle.len());
                Some(self.cursor + off)
            }
            None => {
                self.budget = self.budget.saturating_sub(rest.len());
                None
            }
        }
    }
}

/// The longest stretch of `name` that the report writes verbatim (no character HTML
/// escapes, no line break), preferring the first one of useful length.
fn search_key(name: &str) -> &str {
    let is_special = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'' | '\r' | '\n' | '\u{a0}');
    let segments = name.split(is_special).map(str::trim);
    let mut best = "";
    for seg in segments {
        if seg.len() >= 12 {
            return prefix(seg, 200);
        }
        if seg.len() > best.len() {
            best = seg;
        }
    }
    best
}

/// Names a security-setting lookup should accept for the right to log on over RDP:
/// HTML reports say "Terminal Services" (even on Windows 10) or "Remote Desktop Services";
/// RSoP XML names the constant, which [`parse_xml`] maps to the second wording.
pub const ALLOW_RDP_LOGON_RIGHT_NAMES: &[&str] = &[
    "Allow log on through Remote Desktop Services",
    "Allow log on through Terminal Services",
    "SeRemoteInteractiveLogonRight",
];

/// The deny counterpart of [`ALLOW_RDP_LOGON_RIGHT_NAMES`].
pub const DENY_RDP_LOGON_RIGHT_NAMES: &[&str] = &[
    "Deny log on through Remote Desktop Services",
    "Deny log on through Terminal Services",
    "SeDenyRemoteInteractiveLogonRight",
];

/// Deepest element nesting accepted in RSoP XML (real files: about 12).
const MAX_XML_DEPTH: usize = 256;

/// True for RSoP XML (`gpresult /X`, `Get-GPResultantSetOfPolicy -ReportType Xml`): a root
/// element `Rsop` in the `http://www.microsoft.com/GroupPolicy/Rsop` namespace.
pub fn sniff_xml(text: &str) -> bool {
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !t.starts_with('<') {
        return false;
    }
    let head = prefix(t, 4096);
    head.contains("http://www.microsoft.com/GroupPolicy/Rsop") && xml_root_is_rsop(head)
}

/// The first element of `head` (after the declaration and comments) is `Rsop`, prefixed or not.
fn xml_root_is_rsop(head: &str) -> bool {
    let mut rest = head;
    while let Some(i) = rest.find('<') {
        rest = rest.get(i + 1..).unwrap_or("");
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        return name.rsplit(':').next() == Some("Rsop");
    }
    false
}

/// One element of the RSoP XML, namespace prefix dropped (prefixes differ per file and per
/// extension: `q1:Policy` in one file is `q8:Policy` in another).
struct XNode {
    name: String,
    /// The `NAME` attribute, which WMI-style `PROPERTY` elements use as their key.
    name_attr: Option<String>,
    text: String,
    /// Byte offset of the start tag in the source.
    pos: usize,
    children: Vec<usize>,
}

struct XTree {
    nodes: Vec<XNode>,
}

impl XTree {
    fn parse(text: &str) -> Result<XTree, ParseError> {
        use quick_xml::events::Event;
        let index = LineIndex::new(text);
        let mut reader = quick_xml::Reader::from_str(text);
        let mut nodes: Vec<XNode> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        loop {
            let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let event = reader.read_event().map_err(|e| {
                let at = usize::try_from(reader.error_position()).unwrap_or(0);
                ParseError::at(index.line_of(at), format!("RSoP XML: {e}"))
            })?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let local = e.local_name();
                    let name = String::from_utf8_lossy(local.as_ref()).into_owned();
                    let name_attr = e.try_get_attribute("NAME").ok().flatten().and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| v.into_owned())
                    });
                    let pos = text
                        .get(before..)
                        .and_then(|r| r.find('<'))
                        .map_or(before, |o| before + o);
                    let id = nodes.len();
                    nodes.push(XNode {
                        name,
                        name_attr,
                        text: String::new(),
                        pos,
                        children: Vec::new(),
                    });
                    if let Some(parent) = stack.last().and_then(|&p| nodes.get_mut(p)) {
                        parent.children.push(id);
                    } else if id != 0 {
                        return Err(ParseError::at(
                            index.line_of(pos),
                            "RSoP XML: second root element",
                        ));
                    }
                    if matches!(event, Event::Start(_)) {
                        stack.push(id);
                        if stack.len() > MAX_XML_DEPTH {
                            return Err(ParseError::at(
                                index.line_of(pos),
                                format!("RSoP XML nested deeper than {MAX_XML_DEPTH} elements"),
                            ));
                        }
                    }
                }
                Event::End(_) => {
                    stack.pop();
                }
                Event::Text(t) => {
                    if let (Some(n), Ok(s)) = (
                        stack.last().and_then(|&p| nodes.get_mut(p)),
                        t.xml10_content(),
                    ) {
                        n.text.push_str(&s);
                    }
                }
                Event::CData(t) => {
                    if let (Some(n), Ok(s)) =
                        (stack.last().and_then(|&p| nodes.get_mut(p)), t.decode())
                    {
                        n.text.push_str(&s);
                    }
                }
                Event::GeneralRef(r) => {
                    if let (Some(n), Some(s)) = (
                        stack.last().and_then(|&p| nodes.get_mut(p)),
                        entity_text(&r),
                    ) {
                        n.text.push_str(&s);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !stack.is_empty() {
            return Err(ParseError::at(
                index.line_of(text.len()),
                "RSoP XML ends inside an element",
            ));
        }
        Ok(XTree { nodes })
    }

    fn node(&self, id: usize) -> Option<&XNode> {
        self.nodes.get(id)
    }

    fn children<'s>(&'s self, id: usize, name: &'s str) -> impl Iterator<Item = usize> + 's {
        self.node(id)
            .map(|n| n.children.as_slice())
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(move |&c| self.node(c).is_some_and(|n| n.name == name))
    }

    fn child(&self, id: usize, name: &str) -> Option<usize> {
        self.children(id, name).next()
    }

    /// Trimmed text of the first child called `name`.
    fn child_text(&self, id: usize, name: &str) -> Option<String> {
        self.child(id, name).map(|c| self.text(c))
    }

    fn text(&self, id: usize) -> String {
        self.node(id)
            .map(|n| n.text.trim().to_owned())
            .unwrap_or_default()
    }

    fn pos(&self, id: usize) -> usize {
        self.node(id).map_or(0, |n| n.pos)
    }

    /// Descendants of `id` in document order (iterative; the tree depth is bounded anyway).
    fn descendants(&self, id: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut todo: Vec<usize> = self
            .node(id)
            .map(|n| n.children.iter().rev().copied().collect())
            .unwrap_or_default();
        while let Some(n) = todo.pop() {
            out.push(n);
            if let Some(node) = self.node(n) {
                todo.extend(node.children.iter().rev().copied());
            }
        }
        out
    }

    /// A GPP `PROPERTY NAME="…"` value under `id`.
    fn property(&self, id: usize, name: &str) -> Option<String> {
        self.children(id, "PROPERTY")
            .find(|&p| self.node(p).and_then(|n| n.name_attr.as_deref()) == Some(name))
            .and_then(|p| self.child_text(p, "VALUE"))
    }
}

/// What an entity reference in RSoP XML text stands for. quick-xml reports references
/// separately from text; only the predefined entities and character references can occur
/// (the files have no DTD), anything else is kept as written.
fn entity_text(r: &quick_xml::events::BytesRef) -> Option<String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c.to_string());
    }
    let name = r.decode().ok()?;
    let c = match name.as_ref() {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => return Some(format!("&{name};")),
    };
    Some(c.to_string())
}

/// Parses RSoP XML into the same shape as the HTML report. Only the prevailing setting
/// (precedence 1) of each policy is kept. Names are as the XML has them: Administrative
/// Template names in the report's language, security options by display name, user rights
/// mapped from their constants to English display names.
pub fn parse_xml(text: &str) -> Result<GpReport, ParseError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(ParseError::new(format!(
            "RSoP XML is {} bytes, more than the {MAX_TEXT_BYTES} accepted",
            text.len()
        )));
    }
    let tree = XTree::parse(text)?;
    let index = LineIndex::new(text);
    let root = 0;
    match tree.node(root) {
        Some(n) if n.name == "Rsop" => {}
        _ => return Err(ParseError::new("not RSoP XML (root element is not Rsop)")),
    }
    let mut report = GpReport {
        collected_at: tree.child_text(root, "ReadTime"),
        ..GpReport::default()
    };
    let mut seen_prefs: HashSet<(Scope, String, String)> = HashSet::new();
    for (section, scope) in [
        ("ComputerResults", Scope::Computer),
        ("UserResults", Scope::User),
    ] {
        let Some(results) = tree.child(root, section) else {
            continue;
        };
        let name = tree.child_text(results, "Name").filter(|n| !n.is_empty());
        match scope {
            Scope::Computer => {
                report.computer_name = name.map(|n| n.strip_suffix('$').unwrap_or(&n).to_owned())
            }
            Scope::User => report.user_name = name,
        }
        let gpo_names = xml_gpos(&tree, results, scope, &mut report.applied_gpos);
        let ctx = XmlContext {
            tree: &tree,
            index: &index,
            scope,
            gpo_names: &gpo_names,
        };
        for data in tree.children(results, "ExtensionData") {
            for ext in tree.children(data, "Extension") {
                for id in tree.descendants(ext) {
                    ctx.read_setting(id, &mut report, &mut seen_prefs);
                }
            }
        }
    }
    Ok(report)
}

/// Reads the `GPO` list of a results section: fills the applied GPOs and returns the
/// identifier → display name map settings refer to (`{GUID}` or `LocalGPO`, lowercase).
fn xml_gpos(
    tree: &XTree,
    results: usize,
    scope: Scope,
    applied: &mut Vec<AppliedGpo>,
) -> std::collections::HashMap<String, String> {
    let mut names = std::collections::HashMap::new();
    for gpo in tree.children(results, "GPO") {
        let name = tree.child_text(gpo, "Name").unwrap_or_default();
        if let Some(id) = tree
            .child(gpo, "Path")
            .and_then(|p| tree.child_text(p, "Identifier"))
        {
            names.insert(id.to_ascii_lowercase(), name.clone());
        }
        let flag = |n: &str, default: bool| {
            tree.child_text(gpo, n)
                .map_or(default, |v| v.eq_ignore_ascii_case("true"))
        };
        // Applied means: readable, passed filtering, enabled, and given a place in the
        // processing order by some link. Empty or filtered GPOs keep AppliedOrder 0.
        let ordered = tree.children(gpo, "Link").any(|l| {
            tree.child_text(l, "AppliedOrder")
                .and_then(|o| o.parse::<u32>().ok())
                .is_some_and(|o| o > 0)
        });
        if flag("IsValid", false)
            && flag("FilterAllowed", false)
            && !flag("AccessDenied", false)
            && flag("Enabled", true)
            && ordered
            && !name.is_empty()
        {
            applied.push(AppliedGpo { scope, name });
        }
    }
    names
}

struct XmlContext<'a> {
    tree: &'a XTree,
    index: &'a LineIndex,
    scope: Scope,
    gpo_names: &'a std::collections::HashMap<String, String>,
}

impl XmlContext<'_> {
    /// Precedence 1 is the setting that won; absent means the extension does not rank.
    fn prevails(&self, id: usize) -> bool {
        self.tree
            .child_text(id, "Precedence")
            .is_none_or(|p| p.trim() == "1")
    }

    fn winning_gpo(&self, id: usize) -> String {
        let ident = self
            .tree
            .child(id, "GPO")
            .and_then(|g| self.tree.child_text(g, "Identifier"))
            .unwrap_or_default();
        self.gpo_names
            .get(&ident.to_ascii_lowercase())
            .cloned()
            .unwrap_or(ident)
    }

    fn line(&self, id: usize, name_child: &str) -> usize {
        let at = self
            .tree
            .child(id, name_child)
            .map_or(self.tree.pos(id), |c| self.tree.pos(c));
        self.index.line_of(at)
    }

    fn read_setting(
        &self,
        id: usize,
        report: &mut GpReport,
        seen_prefs: &mut HashSet<(Scope, String, String)>,
    ) {
        let Some(node) = self.tree.node(id) else {
            return;
        };
        let kind = node.name.as_str();
        if !matches!(
            kind,
            "Policy"
                | "UserRightsAssignment"
                | "SecurityOptions"
                | "Account"
                | "RegistryRsopSetting"
        ) || !self.prevails(id)
        {
            return;
        }
        match kind {
            "Policy" => self.read_policy(id, report),
            "UserRightsAssignment" => self.read_user_right(id, report),
            "SecurityOptions" => self.read_security_option(id, report),
            "Account" => self.read_account(id, report),
            _ => self.read_registry_pref(id, report, seen_prefs),
        }
    }

    fn read_policy(&self, id: usize, report: &mut GpReport) {
        let t = self.tree;
        let Some(name) = t.child_text(id, "Name").filter(|n| !n.is_empty()) else {
            return;
        };
        let setting = t.child_text(id, "State").unwrap_or_default();
        let mut options = Vec::new();
        for c in t.node(id).map(|n| n.children.clone()).unwrap_or_default() {
            let Some(kind) = t.node(c).map(|n| n.name.as_str()) else {
                continue;
            };
            let label = t.child_text(c, "Name").unwrap_or_default();
            match kind {
                "DropDownList" => {
                    let v = t.child(c, "Value").and_then(|v| t.child_text(v, "Name"));
                    options.push((label, v.unwrap_or_default()));
                }
                "Numeric" | "EditText" | "ComboBox" => {
                    options.push((label, t.child_text(c, "Value").unwrap_or_default()));
                }
                "CheckBox" => options.push((label, t.child_text(c, "State").unwrap_or_default())),
                "Text" => options.push((label, String::new())),
                "ListBox" => {
                    for v in t.children(c, "Value") {
                        for el in t.children(v, "Element") {
                            let item = t.child_text(el, "Name").unwrap_or_default();
                            match t.child_text(el, "Data") {
                                Some(data) => options.push((item, data)),
                                None => options.push((label.clone(), item)),
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        options.truncate(MAX_OPTIONS);
        report.policies.push(Policy {
            scope: self.scope,
            category: t.child_text(id, "Category").unwrap_or_default(),
            state: policy_state(&setting),
            line: self.line(id, "Name"),
            name,
            setting,
            winning_gpo: self.winning_gpo(id),
            options,
        });
    }

    fn read_user_right(&self, id: usize, report: &mut GpReport) {
        let t = self.tree;
        let Some(constant) = t.child_text(id, "Name").filter(|n| !n.is_empty()) else {
            return;
        };
        let members: Vec<String> = t
            .children(id, "Member")
            .filter_map(|m| {
                t.child_text(m, "Name")
                    .filter(|n| !n.is_empty())
                    .or_else(|| t.child_text(m, "SID"))
            })
            .collect();
        report.security_settings.push(SecuritySetting {
            scope: self.scope,
            category: "Local Policies/User Rights Assignment".to_owned(),
            name: user_right_display_name(&constant)
                .unwrap_or(&constant)
                .to_owned(),
            setting: members.join(", "),
            winning_gpo: self.winning_gpo(id),
            line: self.line(id, "Name"),
        });
    }

    fn read_security_option(&self, id: usize, report: &mut GpReport) {
        let t = self.tree;
        let display = t.child(id, "Display");
        let name = display
            .and_then(|d| t.child_text(d, "Name"))
            .filter(|n| !n.is_empty())
            .or_else(|| t.child_text(id, "KeyName"))
            .or_else(|| t.child_text(id, "SystemAccessPolicyName"));
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return;
        };
        let setting = display
            .map(|d| self.display_value(d))
            .filter(|v| !v.is_empty())
            .or_else(|| t.child_text(id, "SettingNumber"))
            .or_else(|| t.child_text(id, "SettingString"))
            .unwrap_or_default();
        let line = match display.and_then(|d| t.child(d, "Name")) {
            Some(n) => self.index.line_of(t.pos(n)),
            None => self.index.line_of(t.pos(id)),
        };
        report.security_settings.push(SecuritySetting {
            scope: self.scope,
            category: "Local Policies/Security Options".to_owned(),
            name,
            setting,
            winning_gpo: self.winning_gpo(id),
            line,
        });
    }

    /// The value GPMC would show for a security option's `Display` element.
    fn display_value(&self, display: usize) -> String {
        let t = self.tree;
        if let Some(b) = t.child_text(display, "DisplayBoolean") {
            return if b.eq_ignore_ascii_case("true") {
                "Enabled"
            } else {
                "Disabled"
            }
            .to_owned();
        }
        if let Some(s) = t.child_text(display, "DisplayString") {
            return s;
        }
        if let Some(n) = t.child_text(display, "DisplayNumber") {
            let units = t.child_text(display, "Units").unwrap_or_default();
            return if units.is_empty() {
                n
            } else {
                format!("{n} {units}")
            };
        }
        if let Some(list) = t.child(display, "DisplayStrings") {
            return t
                .children(list, "Value")
                .map(|v| t.text(v))
                .collect::<Vec<_>>()
                .join(", ");
        }
        if let Some(fields) = t.child(display, "DisplayFields") {
            return t
                .children(fields, "Field")
                .map(|f| {
                    format!(
                        "{}: {}",
                        t.child_text(f, "Name").unwrap_or_default(),
                        t.child_text(f, "Value").unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
        }
        String::new()
    }

    fn read_account(&self, id: usize, report: &mut GpReport) {
        let t = self.tree;
        let Some(name) = t.child_text(id, "Name").filter(|n| !n.is_empty()) else {
            return;
        };
        let category = match t.child_text(id, "Type").as_deref() {
            Some("Password") => "Account Policies/Password Policy",
            Some("Account Lockout") => "Account Policies/Account Lockout Policy",
            Some("Kerberos") => "Account Policies/Kerberos Policy",
            _ => "Account Policies",
        };
        let setting = ["SettingNumber", "SettingBoolean", "SettingString"]
            .iter()
            .find_map(|n| t.child_text(id, n))
            .unwrap_or_default();
        report.security_settings.push(SecuritySetting {
            scope: self.scope,
            category: category.to_owned(),
            name,
            setting,
            winning_gpo: self.winning_gpo(id),
            line: self.line(id, "Name"),
        });
    }

    /// A Group Policy Preferences registry item, logged as WMI-style properties:
    /// `BaseInstanceXml` (GPO display name) › `INSTANCE` (hive, key, name, type, value, action).
    fn read_registry_pref(
        &self,
        id: usize,
        report: &mut GpReport,
        seen: &mut HashSet<(Scope, String, String)>,
    ) {
        let t = self.tree;
        let Some(base) = t.child(id, "BaseInstanceXml") else {
            return;
        };
        for inst in t.children(base, "INSTANCE") {
            let Some(hive) = t.property(inst, "polmkrHive") else {
                continue;
            };
            let key = t.property(inst, "polmkrKey").unwrap_or_default();
            let key_path = if key.is_empty() {
                hive.clone()
            } else {
                format!("{hive}\\{key}")
            };
            let value_name = t.property(inst, "polmkrName").unwrap_or_default();
            if !seen.insert((
                self.scope,
                key_path.to_ascii_lowercase(),
                value_name.to_ascii_lowercase(),
            )) {
                continue;
            }
            let action = t.property(inst, "polmkrAction").map(|a| {
                match a.as_str() {
                    "C" => "Create",
                    "R" => "Replace",
                    "U" => "Update",
                    "D" => "Delete",
                    other => other,
                }
                .to_owned()
            });
            let reg_type = t.property(inst, "polmkrType").unwrap_or_default();
            let value_data = t.property(inst, "polmkrValue");
            let value_u32 = match reg_type.as_str() {
                "REG_DWORD" | "REG_QWORD" => value_data
                    .as_deref()
                    .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
                    .and_then(|v| u32::try_from(v).ok()),
                _ => None,
            };
            let winning_gpo = t
                .property(base, "polmkrBaseGpoDisplayName")
                .unwrap_or_else(|| self.winning_gpo(id));
            report.registry_preferences.push(RegistryPreference {
                scope: self.scope,
                key_path,
                value_name,
                value_data,
                value_u32,
                action,
                winning_gpo,
                line: self.index.line_of(t.pos(inst)),
            });
        }
    }
}

/// English display names of the logon rights a Remote Desktop check cares about.
fn user_right_display_name(constant: &str) -> Option<&'static str> {
    Some(match constant {
        "SeNetworkLogonRight" => "Access this computer from the network",
        "SeDenyNetworkLogonRight" => "Deny access to this computer from the network",
        "SeInteractiveLogonRight" => "Allow log on locally",
        "SeDenyInteractiveLogonRight" => "Deny log on locally",
        "SeRemoteInteractiveLogonRight" => "Allow log on through Remote Desktop Services",
        "SeDenyRemoteInteractiveLogonRight" => "Deny log on through Remote Desktop Services",
        "SeBatchLogonRight" => "Log on as a batch job",
        "SeDenyBatchLogonRight" => "Deny log on as a batch job",
        "SeServiceLogonRight" => "Log on as a service",
        "SeDenyServiceLogonRight" => "Deny log on as a service",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text::{decode, lines};

    const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples/gpresult");

    fn sample(name: &str) -> Option<String> {
        let path = std::path::Path::new(SAMPLES).join(name);
        match std::fs::read(&path) {
            Ok(bytes) => Some(decode(&bytes, None).text),
            Err(_) => {
                eprintln!("SKIPPED: ../shared/samples absent ({})", path.display());
                None
            }
        }
    }

    fn sample_names(ext: &str) -> Option<Vec<String>> {
        let Ok(dir) = std::fs::read_dir(SAMPLES) else {
            eprintln!("SKIPPED: ../shared/samples absent ({SAMPLES})");
            return None;
        };
        let mut names: Vec<String> = dir
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(ext))
            .collect();
        names.sort();
        Some(names)
    }

    fn line_table(text: &str) -> Vec<&str> {
        lines(text).map(|(_, l)| l).collect()
    }

    fn line_text<'t>(lines: &[&'t str], line: usize) -> &'t str {
        line.checked_sub(1)
            .and_then(|i| lines.get(i))
            .copied()
            .unwrap_or("")
    }

    /// A computer-only report in the current GPMC layout, cut down to what matters but with
    /// the markup, classes and line breaks Windows writes (CRLF). Computer GPO
    /// "Corp - RDP Lockdown" disables Remote Desktop twice: by policy and by a Preferences
    /// registry item.
    const REPORT: &str = r##"<html dir="ltr" xmlns:svg="http://www.w3.org/2000/svg" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" gpmc_reportInitialized="false">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-16" />
<title>CORP\alice on CORP\WS-0042</title>
<script language="javascript">
    var strSettingName = srcElement.getAttribute("gpmc_settingName");
</script>
</head>
<body onload="window_onload();">
<table class="title" >
<tr><td colspan="2" class="rsopheader">Group Policy Results</td></tr>
<tr><td colspan="2" class="rsopname">CORP\alice on CORP\WS-0042</td></tr>
<tr><td id="dtstamp">Data collected on: 3/14/2024 9:26:53 AM</td><td><div id="objshowhide" tabindex="0"></div></td></tr>
</table>
<div class="rsopsummary">
<div class="he0_expanded"><span class="sectionTitle" tabindex="0">Summary</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he2i"><table class="info3" style="width: 95%" ><tr><td  style="width: 5%;">&nbsp;</td><td style="width: 95%;">During last <strong>computer policy</strong> refresh on 3/14/2024 9:20:01 AM</td></tr></table></div>
<div class="filler"></div>
</div>
</div>
<div class="rsopsettings">
<div class="he0_expanded"><span class="sectionTitle" tabindex="0">Computer Details</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he0h_expanded"><span class="sectionTitle" tabindex="0">General</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he2i"><table class="info" >
<tr><td><strong>Computer name</strong></td><td>CORP\WS-0042</td></tr><tr><td><strong>Domain</strong></td><td>corp.example</td></tr></table>
</div></div>
<div class="he0h_expanded"><span class="sectionTitle" tabindex="0">Settings</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he1h_expanded"><span class="sectionTitle" tabindex="0">Policies</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he1_expanded"><span class="sectionTitle" tabindex="0">Windows Settings</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he2"><span class="sectionTitle" tabindex="0">Security Settings</span><a class="expando" href="#"></a></div>
        <div class="container"><div class="he3"><span class="sectionTitle" tabindex="0">Local Policies/User Rights Assignment</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i"><table class="info3" >
<tr><th scope="col">Policy</th><th scope="col">Setting</th><th scope="col">Winning GPO</th></tr>
<tr><td>Allow log on through Remote Desktop Services</td><td>Administrators, CORP\Helpdesk</td><td>Corp - RDP Lockdown</td></tr>
<tr><td>Deny log on through Remote Desktop Services</td><td>Guests, Local account</td><td>Default Domain Policy</td></tr>
</table>
</div></div></div></div><div class="filler"></div>
<div class="he1"><span class="sectionTitle" tabindex="0">Administrative Templates</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i">Policy definitions (ADMX files) retrieved from the local computer.</div><div class="he3"><span class="sectionTitle" tabindex="0">Windows Components/Remote Desktop Services/Remote Desktop Session Host/Connections</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i"><table class="info3" >
<tr><th scope="col">Policy</th><th scope="col">Setting</th><th scope="col">Winning GPO</th></tr>
<tr><td><span class="explainlink" tabindex="0" onkeypress="javascript:showExplainText(this); return false;" onclick="javascript:showExplainText(this); return false;" gpmc_settingName="Allow users to connect remotely by using Remote Desktop Services" gpmc_settingPath="Computer Configuration/Administrative Templates/Windows Components/Remote Desktop Services/Remote Desktop Session Host/Connections" gpmc_settingDescription="This policy setting allows you to configure remote access to computers by using Remote Desktop Services.&lt;br/&gt;&lt;br/&gt;If you disable this policy setting, users cannot connect remotely to the target computer by using Remote Desktop Services." gpmc_supported="At least Windows Server 2003 operating systems or Windows XP Professional">Allow users to connect remotely by using Remote Desktop Services</span></td><td>Disabled</td><td>Corp - RDP Lockdown</td></tr>
</table>
</div></div><div class="he3"><span class="sectionTitle" tabindex="0">Windows Components/Remote Desktop Services/Remote Desktop Session Host/Security</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i"><table class="info3" >
<tr><th scope="col">Policy</th><th scope="col">Setting</th><th scope="col">Winning GPO</th></tr>
<tr><td><span class="explainlink" tabindex="0" onkeypress="javascript:showExplainText(this); return false;" onclick="javascript:showExplainText(this); return false;" gpmc_settingName="Require use of specific security layer for remote (RDP) connections" gpmc_settingPath="Computer Configuration/Administrative Templates/Windows Components/Remote Desktop Services/Remote Desktop Session Host/Security" gpmc_settingDescription="This policy setting specifies whether to require the use of a specific security layer." gpmc_supported="At least Windows Server 2003 operating systems with SP1">Require use of specific security layer for remote (RDP) connections</span></td><td>Enabled</td><td>Corp Baseline</td></tr>
<tr><td colspan="3"><table class="subtable_frame" >
<tr><td>Security Layer</td><td>SSL</td></tr>
<tr><td colspan="2">Choose the security layer from the drop-down list.</td></tr></table></td></tr><tr><th scope="col">Policy</th><th scope="col">Setting</th><th scope="col">Winning GPO</th></tr>
<tr><td><span class="explainlink" tabindex="0" onkeypress="javascript:showExplainText(this); return false;" onclick="javascript:showExplainText(this); return false;" gpmc_settingName="Require user authentication for remote connections by using Network Level Authentication" gpmc_settingPath="Computer Configuration/Administrative Templates/Windows Components/Remote Desktop Services/Remote Desktop Session Host/Security" gpmc_settingDescription="" gpmc_supported="At least Windows Vista">Require user authentication for remote connections by using Network Level Authentication</span></td><td>Enabled</td><td>Corp &lt;script&gt;alert(1)&lt;/script&gt; GPO</td></tr>
</table>
</div></div></div><div class="filler"></div>
</div>
<div class="he1h_expanded"><span class="sectionTitle" tabindex="0">Preferences</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he1_expanded"><span class="sectionTitle" tabindex="0">Windows Settings</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he2"><span class="sectionTitle" tabindex="0">Registry</span><a class="expando" href="#"></a></div>
        <div class="container"><div class="he3"><span class="sectionTitle" tabindex="0">Registry item (Key path: HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server, Value name: fDenyTSConnections)</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i">The following settings have applied to this object. Within this category, settings nearest the top of the report are the prevailing settings when resolving conflicts.</div><div class="he4"><span class="sectionTitle" tabindex="0">fDenyTSConnections</span><a class="expando" href="#"></a></div>
    <div class="container">
<div class="he4i">
      <table class="info" >
      <tr><td scope="row"><b>Winning GPO</b></td><td>Corp - RDP Lockdown</td></tr>
      </table>
    </div><div class="he4i">Result: Success</div><div class="he4h"><span class="sectionTitle" tabindex="0">General</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i"><table class="info" >
<tr><td>Action</td><td>Update</td></tr>
</table>
<b>Properties</b><table class="subtable" ><tr><td>Hive</td><td>HKEY_LOCAL_MACHINE</td></tr>
<tr><td>Key path</td><td>SYSTEM\CurrentControlSet\Control\Terminal Server</td></tr>
<tr><td>Value name</td><td>fDenyTSConnections</td></tr>
<tr><td>Value type</td><td>REG_DWORD</td></tr>
<tr><td>Value data</td><td>0x1 (1)</td></tr>
</table></div></div></div><div class="he4"><span class="sectionTitle" tabindex="0">fDenyTSConnections</span><a class="expando" href="#"></a></div>
    <div class="container">
<div class="he4i">
      <table class="info" >
      <tr><td scope="row"><b>Winning GPO</b></td><td>Old Remote Access GPO</td></tr>
      </table>
    </div><div class="he4i">Result: Success</div><div class="he4h"><span class="sectionTitle" tabindex="0">General</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i"><table class="info" >
<tr><td>Action</td><td>Update</td></tr>
</table>
<b>Properties</b><table class="subtable" ><tr><td>Hive</td><td>HKEY_LOCAL_MACHINE</td></tr>
<tr><td>Key path</td><td>SYSTEM\CurrentControlSet\Control\Terminal Server</td></tr>
<tr><td>Value name</td><td>fDenyTSConnections</td></tr>
<tr><td>Value type</td><td>REG_DWORD</td></tr>
<tr><td>Value data</td><td>0x0 (0)</td></tr>
</table></div></div></div></div></div></div></div></div>
<div class="he0h_expanded"><span class="sectionTitle" tabindex="0">Group Policy Objects</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he1h_expanded"><span class="sectionTitle" tabindex="0">Applied GPOs</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he2"><span class="sectionTitle" tabindex="0">Corp - RDP Lockdown [{6AC1786C-016F-11D2-945F-00C04FB984F9}]</span><a class="expando" href="#"></a></div>
        <div class="container"><div class="he4i"><table class="info" >
<tr><td><strong>Link Location</strong></td><td>corp.example/Workstations</td></tr><tr><td><strong>Extensions Configured</strong></td><td>Registry</td></tr></table>
</div></div><div class="he2"><span class="sectionTitle" tabindex="0">Local Group Policy [LocalGPO]</span><a class="expando" href="#"></a></div>
        <div class="container"><div class="he4i"><table class="info" >
<tr><td><strong>Link Location</strong></td><td>Local</td></tr></table>
</div></div></div><div class="he1h_expanded"><span class="sectionTitle" tabindex="0">Denied GPOs</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he2"><span class="sectionTitle" tabindex="0">Old Kiosk Policy [{0D3A9B4E-6A5C-4E0B-9B7A-1C2D3E4F5A6B}]</span><a class="expando" href="#"></a></div>
        <div class="container"><div class="he4i"><table class="info" >
<tr><td><strong>Link Location</strong></td><td>corp.example</td></tr><tr><td><strong>Reason Denied</strong></td><td>Disabled Link</td></tr></table>
</div></div></div></div>
</div>
<div class="filler"></div>
<div class="he0_expanded"><span class="sectionTitle" tabindex="0">User Details</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i">No data available.</div></div>
<div class="filler"></div>
</div>
</body></html>
"##;

    fn report_text() -> String {
        REPORT.replace('\n', "\r\n")
    }

    /// 1-based line of the first line containing `needle`.
    fn line_of(text: &str, needle: &str) -> usize {
        lines(text)
            .find(|(_, l)| l.contains(needle))
            .map(|(n, _)| n)
            .unwrap_or(0)
    }

    #[test]
    fn inline_report_rdp_policy_disabled_by_gpo() {
        let text = report_text();
        let r = parse(&text).unwrap();
        let p = r
            .find_policy(ALLOW_RDP_POLICY_NAMES)
            .expect("RDP policy row");
        assert_eq!(p.scope, Scope::Computer);
        assert_eq!(p.state, PolicyState::Disabled);
        assert_eq!(p.setting, "Disabled");
        assert_eq!(p.winning_gpo, "Corp - RDP Lockdown");
        assert_eq!(
            p.category,
            "Windows Components/Remote Desktop Services/Remote Desktop Session Host/Connections"
        );
        assert!(p.options.is_empty());
        assert_eq!(p.line, line_of(&text, "gpmc_settingName=\"Allow users"));
        assert!(p.line > 20);

        let layer = r
            .find_policy(&["require use of specific  security layer for remote (RDP) connections"])
            .unwrap();
        assert_eq!(layer.state, PolicyState::Enabled);
        assert_eq!(
            layer.options,
            vec![
                ("Security Layer".to_owned(), "SSL".to_owned()),
                (
                    "Choose the security layer from the drop-down list.".to_owned(),
                    String::new()
                ),
            ]
        );
        assert_eq!(r.policies.len(), 3);
    }

    #[test]
    fn inline_report_registry_preference_denies_rdp() {
        let text = report_text();
        let r = parse(&text).unwrap();
        // The second (losing) instance of the same key and value is dropped.
        assert_eq!(r.registry_preferences.len(), 1);
        let g = &r.registry_preferences[0];
        assert_eq!(g.scope, Scope::Computer);
        assert_eq!(
            g.key_path,
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server"
        );
        assert_eq!(g.value_name, "fDenyTSConnections");
        assert_eq!(g.value_data.as_deref(), Some("0x1 (1)"));
        assert_eq!(g.value_u32, Some(1));
        assert_eq!(g.action.as_deref(), Some("Update"));
        assert_eq!(g.winning_gpo, "Corp - RDP Lockdown");
        assert_eq!(g.line, line_of(&text, "Registry item (Key path"));
    }

    #[test]
    fn inline_report_header_gpos_and_user_rights() {
        let text = report_text();
        let r = parse(&text).unwrap();
        assert_eq!(r.computer_name.as_deref(), Some(r"CORP\WS-0042"));
        // The user section says "No data available."; the English title still names them.
        assert_eq!(r.user_name.as_deref(), Some(r"CORP\alice"));
        assert_eq!(r.collected_at.as_deref(), Some("3/14/2024 9:26:53 AM"));
        let gpos: Vec<_> = r
            .applied_gpos
            .iter()
            .map(|g| (g.scope, g.name.as_str()))
            .collect();
        assert_eq!(
            gpos,
            vec![
                (Scope::Computer, "Corp - RDP Lockdown"),
                (Scope::Computer, "Local Group Policy")
            ]
        );
        let ura = r
            .find_security_setting(&[
                "Allow log on through Terminal Services",
                "Allow log on through Remote Desktop Services",
            ])
            .unwrap();
        assert_eq!(ura.category, "Local Policies/User Rights Assignment");
        assert_eq!(ura.setting, r"Administrators, CORP\Helpdesk");
        assert_eq!(ura.winning_gpo, "Corp - RDP Lockdown");
        assert_eq!(ura.line, line_of(&text, "<td>Allow log on through Remote"));
        assert_eq!(r.security_settings.len(), 2);
    }

    #[test]
    fn script_in_a_gpo_name_is_just_text() {
        let r = parse(&report_text()).unwrap();
        let nla = r
            .find_policy(&[
                "Require user authentication for remote connections by using Network Level Authentication",
            ])
            .unwrap();
        assert_eq!(nla.winning_gpo, "Corp <script>alert(1)</script> GPO");
    }

    #[test]
    fn unknown_language_headings_fall_back_to_position() {
        // Finnish-like headings match no keyword: the first section is the computer's, the
        // second the user's.
        let text = report_text()
            .replace(">Computer Details<", ">Tietokoneen tiedot<")
            .replace(">User Details<", ">Käyttäjän tiedot<")
            .replace("Disabled</td>", "Ei käytössä</td>")
            .replace(" on CORP\\WS-0042</td>", "</td>");
        let r = parse(&text).unwrap();
        let p = r.find_policy(ALLOW_RDP_POLICY_NAMES).unwrap();
        assert_eq!(p.scope, Scope::Computer);
        assert_eq!(p.state, PolicyState::Other);
        assert_eq!(p.setting, "Ei käytössä");
        assert_eq!(r.computer_name.as_deref(), Some(r"CORP\WS-0042"));
        assert_eq!(r.user_name, None);
        assert_eq!(r.applied_gpos.len(), 2);
    }

    #[test]
    fn windows7_layout_with_anchor_links_and_summary_gpo_table() {
        let text = report_text()
            .replace(
                "<span class=\"explainlink\" tabindex=\"0\" onkeypress=\"javascript:showExplainText(this); return false;\"",
                "<a class=\"explainlink\" href=\"javascript:void();\"",
            )
            .replace("</span></td><td>", "</a></td><td>")
            .replace(">Computer Details<", ">Computer Configuration<");
        // Old reports list applied GPOs in the summary.
        let summary = r##"<div class="container"><div class="he1_expanded"><span class="sectionTitle" tabindex="0">Computer Configuration Summary</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he2"><span class="sectionTitle" tabindex="0">General</span><a class="expando" href="#"></a></div>
        <div class="container"><div class="he4i"><table class="info" cellpadding="0" cellspacing="0">
<tr><td>Computer name</td><td>CORP\OLD-PC</td></tr>
</table>
</div></div>
<div class="he2"><span class="sectionTitle" tabindex="0">Group Policy Objects</span><a class="expando" href="#"></a></div>
        <div class="container"><div class="he3"><span class="sectionTitle" tabindex="0">Applied GPOs</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i"><table class="info3" cellpadding="0" cellspacing="0">
<tr><th scope="col">Name</th><th scope="col">Link Location</th><th scope="col">Revision</th></tr>
<tr><td>Local Group Policy</td><td>Local</td><td>AD (4), Sysvol (4)</td></tr>
<tr><td>Audit &amp; Eventlog Policy</td><td>corp.example</td><td>AD (1), Sysvol (1)</td></tr>
</table>
</div></div><div class="he3"><span class="sectionTitle" tabindex="0">Denied GPOs</span><a class="expando" href="#"></a></div>
<div class="container"><div class="he4i"><table class="info3" cellpadding="0" cellspacing="0">
<tr><th scope="col">Name</th><th scope="col">Link Location</th><th scope="col">Reason Denied</th></tr>
<tr><td>Kiosk</td><td>corp.example</td><td>Disabled GPO</td></tr>
</table>
</div></div></div>
</div></div>
"##
        .replace('\n', "\r\n");
        let text = text.replacen(
            "<div class=\"container\"><div class=\"he2i\"><table class=\"info3\" style=\"width: 95%\" >",
            &format!("{summary}<div class=\"container\"><div class=\"he2i\"><table class=\"info3\" style=\"width: 95%\" >"),
            1,
        );
        let r = parse(&text).unwrap();
        let p = r.find_policy(ALLOW_RDP_POLICY_NAMES).unwrap();
        assert_eq!(p.state, PolicyState::Disabled);
        assert_eq!(p.winning_gpo, "Corp - RDP Lockdown");
        let summary_gpos: Vec<_> = r
            .applied_gpos
            .iter()
            .filter(|g| !g.name.starts_with("Corp"))
            .map(|g| (g.scope, g.name.as_str()))
            .collect();
        assert!(summary_gpos.contains(&(Scope::Computer, "Audit & Eventlog Policy")));
        assert!(!r.applied_gpos.iter().any(|g| g.name == "Kiosk"));
        // In this layout the summary holds the General table, and it comes first.
        assert_eq!(r.computer_name.as_deref(), Some(r"CORP\OLD-PC"));
    }

    #[test]
    fn localized_states() {
        for s in [
            "Enabled",
            "已启用",
            "Aktiviert",
            "Activé",
            "Habilitada",
            "有効",
            "Включено",
        ] {
            assert_eq!(policy_state(s), PolicyState::Enabled, "{s}");
        }
        for s in [
            "Disabled",
            "已禁用",
            "Deaktiviert",
            "Désactivé",
            "Deshabilitada",
            "無効",
            "Отключено",
            " disabled ",
        ] {
            assert_eq!(policy_state(s), PolicyState::Disabled, "{s}");
        }
        for s in ["", "Not Configured", "15 minutes", "Enabled, sort of"] {
            assert_eq!(policy_state(s), PolicyState::Other, "{s}");
        }
    }

    #[test]
    fn names_compare_without_case_or_spacing() {
        let r = parse(&report_text()).unwrap();
        assert!(r
            .find_policy(&["ALLOW USERS TO CONNECT REMOTELY BY USING REMOTE\tDESKTOP SERVICES"])
            .is_some());
        assert!(r.find_policy(&["Allow users to connect"]).is_none());
        assert_eq!(
            name_key(
                "ユーザーがリモートデスクトップサービスを使ってリモート接続することを許可する"
            ),
            name_key(ALLOW_RDP_POLICY_NAMES[7])
        );
    }

    #[test]
    fn sniff_accepts_reports_only() {
        assert!(sniff(&report_text()));
        assert!(sniff(&format!("\u{feff}{}", report_text())));
        assert!(!sniff(""));
        assert!(!sniff("<html><head><title>Group Policy Results</title></head><body>Resultant Set of Policy explained</body></html>"));
        assert!(!sniff("<!DOCTYPE html><html><body><table class=\"info3\"><tr><td>x</td></tr></table></body></html>"));
        assert!(!sniff("Windows Registry Editor Version 5.00\r\n"));
        assert!(!sniff("<?xml version=\"1.0\"?><Rsop xmlns=\"http://www.microsoft.com/GroupPolicy/Rsop\"></Rsop>"));
        assert!(parse("<html><body>hello</body></html>").is_err());
    }

    #[test]
    fn truncated_garbage_and_deep_nesting_do_not_panic() {
        let text = report_text();
        // Every truncation point on a char boundary: no panic, and what was read is consistent.
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                if let Ok(r) = parse(&text[..cut]) {
                    for p in &r.policies {
                        assert!(p.line <= text[..cut].lines().count() + 1);
                    }
                }
            }
            cut += 97;
        }
        let head = &text[..text.find("<div class=\"rsopsettings\">").unwrap()];
        // Nesting just under the limit, every level a container with a policy-like table.
        let mut deep = String::from(head);
        for _ in 0..120 {
            deep.push_str("<div class=\"he3\"><span class=\"sectionTitle\">x</span></div><div class=\"container\"><table class=\"info3\"><tr><td>n</td><td>Enabled</td><td>g</td></tr></table>");
        }
        assert!(parse(&deep).is_ok());
        // Balanced but misnested formatting tags, stray hives and GPO-looking headings.
        let mut soup = String::from(head);
        for i in 0..5_000 {
            soup.push_str(&format!(
                "<b><i></b></i><table class=\"subtable\"><tr><td>Hive</td><td>HKEY_{i}</td></tr></table><div class=\"he2\"><span class=\"sectionTitle\">x [LocalGPO]</span></div><div class=\"container\"></div>"
            ));
        }
        assert!(parse(&soup).is_ok());
        let garbage: String = (0..200_000u32)
            .map(|i| char::from_u32((i.wrapping_mul(2_654_435_761) >> 7) % 0x2FFF).unwrap_or('<'))
            .collect();
        let _ = parse(&format!("{head}{garbage}"));
        assert!(parse(&"x".repeat(MAX_TEXT_BYTES + 1)).is_err());
        // 100 000 nested divs would take html5ever tens of seconds; they are refused at once.
        let mut divs = String::from(head);
        for _ in 0..100_000 {
            divs.push_str("<div class=\"container\">");
        }
        let t = std::time::Instant::now();
        let err = parse(&divs).unwrap_err();
        assert!(err.message.contains("nested deeper"), "{err}");
        assert!(err.line.is_some());
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn every_sample_parses_with_cited_lines() {
        let Some(names) = sample_names(".html") else {
            return;
        };
        assert!(names.len() >= 13, "{names:?}");
        for n in &names {
            let text = sample(n).unwrap();
            assert!(sniff(&text), "{n}");
            let r = parse(&text).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert!(r.collected_at.is_some(), "{n}");
            let table = line_table(&text);
            for p in &r.policies {
                assert!(p.line > 0, "{n}: {p:?}");
                let line = line_text(&table, p.line);
                assert!(
                    line.contains(search_key(&p.name)),
                    "{n}: {p:?} not on {line}"
                );
            }
            for s in &r.security_settings {
                assert!(s.line > 0, "{n}: {s:?}");
                assert!(
                    line_text(&table, s.line).contains(search_key(&s.name)),
                    "{n}: {s:?}"
                );
            }
            for g in &r.registry_preferences {
                assert!(g.line > 0, "{n}: {g:?}");
                assert!(
                    line_text(&table, g.line).contains(&g.key_path),
                    "{n}: {g:?}"
                );
                assert!(!g.winning_gpo.is_empty(), "{n}: {g:?}");
            }
        }
    }

    #[test]
    fn stig_sample_allows_rdp_by_local_policy() {
        let Some(text) = sample("c0moshack__gpreport-win10-stig-rdp-allowed.html") else {
            return;
        };
        let r = parse(&text).unwrap();
        assert_eq!(r.computer_name.as_deref(), Some(r"NG\NGWINB-DISC4-47"));
        assert_eq!(r.user_name.as_deref(), Some(r"NG\paul.brown.sa"));
        assert_eq!(r.collected_at.as_deref(), Some("4/25/2017 7:50:45 AM"));
        let p = r.find_policy(ALLOW_RDP_POLICY_NAMES).unwrap();
        assert_eq!((p.scope, p.state), (Scope::Computer, PolicyState::Enabled));
        assert_eq!(p.winning_gpo, "Local Group Policy");
        assert_eq!(p.line, 4051);
        let enc = r
            .find_policy(&["Set client connection encryption level"])
            .unwrap();
        assert_eq!(
            enc.winning_gpo,
            "NG - Baseline Windows 10 STIG Benchmark V1R1"
        );
        assert_eq!(
            enc.options.first().map(|o| o.1.as_str()),
            Some("High Level")
        );
        let deny = r
            .find_security_setting(&["Deny log on through Terminal Services"])
            .unwrap();
        assert!(deny.setting.contains(r"NG\Domain Admins"), "{deny:?}");
        assert_eq!(deny.category, "Local Policies/User Rights Assignment");
        assert!(r.applied_gpos.iter().any(|g| g.scope == Scope::Computer
            && g.name == "NG - Baseline Windows 10 STIG Benchmark V1R1"));
        assert!(r
            .registry_preferences
            .iter()
            .any(|g| g.value_name == "iexplore.exe"
                && g.value_u32 == Some(1)
                && g.winning_gpo == "NG - Baseline Windows 10 Standard Computer Settings"));
        // Preferences (IE settings, files, folders) must not leak into security settings.
        assert!(r
            .security_settings
            .iter()
            .all(|s| !s.category.starts_with("Internet Explorer")));
    }

    #[test]
    fn cis_sample_rds_policies_and_logon_rights() {
        let Some(text) = sample("HersheyTaichou__GPResult-MS-cis-rdp.html") else {
            return;
        };
        let r = parse(&text).unwrap();
        assert_eq!(r.computer_name.as_deref(), Some(r"oriontech\CIS-MS01"));
        assert!(r.find_policy(ALLOW_RDP_POLICY_NAMES).is_none());
        let nla = r
            .find_policy(&["Require user authentication for remote connections by using Network Level Authentication"])
            .unwrap();
        assert_eq!(nla.state, PolicyState::Enabled);
        assert_eq!(nla.winning_gpo, "18 Administrative Templates (Computer)");
        let layer = r
            .find_policy(&["Require use of specific security layer for remote (RDP) connections"])
            .unwrap();
        assert_eq!(
            layer.options.first(),
            Some(&("Security Layer".to_owned(), "SSL".to_owned()))
        );
        let allow = r
            .find_security_setting(&["Allow log on through Terminal Services"])
            .unwrap();
        assert_eq!(allow.setting, "Administrators, Remote Desktop Users");
        assert_eq!(allow.winning_gpo, "02 Local Policies - MS");
        let names: Vec<_> = r.applied_gpos.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names.len(), 9, "{names:?}");
        assert!(names.contains(&"18 Administrative Templates (Computer)"));
    }

    #[test]
    fn chinese_sample_policies_and_states() {
        let Some(text) = sample("EveryDan__GPReport-zh-cn-user.html") else {
            return;
        };
        let r = parse(&text).unwrap();
        assert_eq!(r.computer_name, None);
        assert_eq!(r.user_name.as_deref(), Some(r"PAXINI\ruanqiang"));
        assert_eq!(r.collected_at.as_deref(), Some("2025/8/21 10:12:12"));
        let got: Vec<_> = r
            .policies
            .iter()
            .map(|p| (p.scope, p.name.as_str(), p.state, p.winning_gpo.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Scope::User,
                    "阻止更改代理设置",
                    PolicyState::Enabled,
                    "禁用代理上网"
                ),
                (
                    Scope::User,
                    "不包括漫游配置文件中的目录",
                    PolicyState::Enabled,
                    "Default Domain Policy"
                ),
                (
                    Scope::User,
                    "启用 Active Desktop",
                    PolicyState::Enabled,
                    "统一桌面"
                ),
                (Scope::User, "桌面墙纸", PolicyState::Enabled, "统一桌面"),
            ]
        );
        assert_eq!(r.policies[0].category, "Windows 组件/Internet Explorer");
        assert_eq!(
            r.policies[3].options[0],
            (
                "墙纸名称:".to_owned(),
                r"C:\lockscreen\20250103.jpg".to_owned()
            )
        );
        let gpos: Vec<_> = r.applied_gpos.iter().map(|g| g.name.as_str()).collect();
        assert!(
            gpos.contains(&"禁用代理上网") && gpos.contains(&"Default Domain Policy"),
            "{gpos:?}"
        );
        assert!(r.applied_gpos.iter().all(|g| g.scope == Scope::User));
        let roam = r.find_security_setting(&["漫游用户的证书和密钥"]).unwrap();
        assert_eq!((roam.scope, roam.setting.as_str()), (Scope::User, "已启用"));
    }

    #[test]
    fn windows7_sample_anchor_links_and_summary_gpos() {
        let Some(text) = sample("indaniayush__gpreport-2015-rdp-security.html") else {
            return;
        };
        let r = parse(&text).unwrap();
        assert_eq!(r.computer_name.as_deref(), Some(r"TCSTHDI\01HW725217"));
        let drive = r.find_policy(&["Do not allow drive redirection"]).unwrap();
        assert_eq!(drive.scope, Scope::Computer);
        assert!(drive.line > 0);
        let allow = r
            .find_security_setting(&["Allow log on through Terminal Services"])
            .unwrap();
        assert_eq!(
            allow.setting,
            r"Administrators, Remote Desktop Users, TCSTHDI\Domain Admins"
        );
        assert_eq!(allow.line, 701);
        let computer: Vec<_> = r
            .applied_gpos
            .iter()
            .filter(|g| g.scope == Scope::Computer)
            .map(|g| g.name.as_str())
            .collect();
        assert_eq!(computer.len(), 17, "{computer:?}");
        assert!(
            computer.contains(&"DOM-C-Sec-ESM -Audit & Eventlog Policy- Enterprise Desktops v1.0")
        );
        assert!(!r.applied_gpos.iter().any(|g| g.scope == Scope::User));
        let usb = r
            .registry_preferences
            .iter()
            .find(|g| g.key_path.ends_with(r"services\USBSTOR"))
            .unwrap();
        assert_eq!((usb.value_name.as_str(), usb.value_u32), ("Start", Some(3)));
        assert_eq!(usb.winning_gpo, "OU-C-CDUSB-Disable ver 1.0");
    }

    #[test]
    fn skeleton_samples_have_names_and_no_settings() {
        let Some(text) = sample("Arshu-Git__gpresult-workgroup.html") else {
            return;
        };
        let r = parse(&text).unwrap();
        assert_eq!(r.computer_name.as_deref(), Some("WIN-35FVPEFEQ9T"));
        assert_eq!(r.user_name.as_deref(), Some(r"DESKTOP-J110NP6\ASUS"));
        // Only "Local Group Policy" is listed, and as denied.
        assert!(r.applied_gpos.is_empty());
        assert!(r.policies.is_empty() && r.security_settings.is_empty());
    }

    /// RSoP XML as `gpresult /X` writes it (trimmed): GPO list with GUID identifiers, an
    /// Administrative Templates extension where the prevailing (precedence 1) GPO disables
    /// Remote Desktop and a lower-precedence one enables it, a Preferences registry item and
    /// a user right.
    const RSOP_XML: &str = r##"<?xml version="1.0" encoding="utf-16"?>
<Rsop xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://www.microsoft.com/GroupPolicy/Rsop">
  <ReadTime>2024-03-14T08:26:53.1234567Z</ReadTime>
  <DataType>LoggedData</DataType>
  <ComputerResults>
    <Version>2228228</Version>
    <Name>CORP\WS-0042$</Name>
    <Domain>corp.example</Domain>
    <GPO>
      <Name>Corp - RDP Lockdown &lt;script&gt;</Name>
      <Path>
        <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{6AC1786C-016F-11D2-945F-00C04FB984F9}</Identifier>
        <Domain xmlns="http://www.microsoft.com/GroupPolicy/Types">corp.example</Domain>
      </Path>
      <Enabled>true</Enabled>
      <IsValid>true</IsValid>
      <FilterAllowed>true</FilterAllowed>
      <AccessDenied>false</AccessDenied>
      <Link>
        <SOMPath>corp.example/Workstations</SOMPath>
        <AppliedOrder>2</AppliedOrder>
        <Enabled>true</Enabled>
      </Link>
    </GPO>
    <GPO>
      <Name>Local Group Policy</Name>
      <Path>
        <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">LocalGPO</Identifier>
      </Path>
      <Enabled>true</Enabled>
      <IsValid>true</IsValid>
      <FilterAllowed>true</FilterAllowed>
      <AccessDenied>false</AccessDenied>
      <Link>
        <SOMPath>Local</SOMPath>
        <AppliedOrder>1</AppliedOrder>
      </Link>
    </GPO>
    <GPO>
      <Name>{0D3A9B4E-6A5C-4E0B-9B7A-1C2D3E4F5A6B}</Name>
      <Path>
        <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{0D3A9B4E-6A5C-4E0B-9B7A-1C2D3E4F5A6B}</Identifier>
      </Path>
      <IsValid>false</IsValid>
      <FilterAllowed>false</FilterAllowed>
      <AccessDenied>false</AccessDenied>
      <Link>
        <AppliedOrder>0</AppliedOrder>
      </Link>
    </GPO>
    <ExtensionData>
      <Extension xmlns:q8="http://www.microsoft.com/GroupPolicy/Settings/Registry" xsi:type="q8:RegistrySettings" xmlns="http://www.microsoft.com/GroupPolicy/Settings">
        <q8:Policy>
          <GPO xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">
            <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{6AC1786C-016F-11D2-945F-00C04FB984F9}</Identifier>
          </GPO>
          <Precedence xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">1</Precedence>
          <q8:Name>Allow users to connect remotely by using Remote Desktop Services</q8:Name>
          <q8:State>Disabled</q8:State>
          <q8:Explain>This policy setting allows you to configure remote access to computers by using Remote Desktop Services.</q8:Explain>
          <q8:Supported>At least Windows Server 2003 operating systems or Windows XP Professional</q8:Supported>
          <q8:Category>Windows Components/Remote Desktop Services/Remote Desktop Session Host/Connections</q8:Category>
        </q8:Policy>
        <q8:Policy>
          <GPO xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">
            <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">LocalGPO</Identifier>
          </GPO>
          <Precedence xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">2</Precedence>
          <q8:Name>Allow users to connect remotely by using Remote Desktop Services</q8:Name>
          <q8:State>Enabled</q8:State>
          <q8:Category>Windows Components/Remote Desktop Services/Remote Desktop Session Host/Connections</q8:Category>
        </q8:Policy>
        <q8:Policy>
          <GPO xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">
            <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">LocalGPO</Identifier>
          </GPO>
          <Precedence xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">1</Precedence>
          <q8:Name>Set client connection encryption level</q8:Name>
          <q8:State>Enabled</q8:State>
          <q8:Category>Windows Components/Remote Desktop Services/Remote Desktop Session Host/Security</q8:Category>
          <q8:DropDownList>
            <q8:Name>Encryption Level</q8:Name>
            <q8:State>Enabled</q8:State>
            <q8:Value>
              <q8:Name>High Level</q8:Name>
            </q8:Value>
          </q8:DropDownList>
        </q8:Policy>
      </Extension>
      <Name>Registry</Name>
    </ExtensionData>
    <ExtensionData>
      <Extension xmlns:q3="http://www.microsoft.com/GroupPolicy/Settings/Windows/Registry" xsi:type="q3:RegistrySettings" xmlns="http://www.microsoft.com/GroupPolicy/Settings">
        <q3:RegistryRsopSetting>
          <GPO xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">
            <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{6AC1786C-016F-11D2-945F-00C04FB984F9}</Identifier>
          </GPO>
          <Precedence xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">1</Precedence>
          <q3:BaseInstanceXml CLASSNAME="RSOP_PolmkrRegistrySetting">
            <q3:PROPERTY NAME="name">
              <q3:VALUE>fDenyTSConnections</q3:VALUE>
            </q3:PROPERTY>
            <q3:PROPERTY NAME="polmkrBaseGpoDisplayName">
              <q3:VALUE>Corp - RDP Lockdown</q3:VALUE>
            </q3:PROPERTY>
            <q3:INSTANCE CLASSNAME="RSOP_PolmkrRegistryItem">
              <q3:PROPERTY NAME="polmkrAction">
                <q3:VALUE>U</q3:VALUE>
              </q3:PROPERTY>
              <q3:PROPERTY NAME="polmkrHive">
                <q3:VALUE>HKEY_LOCAL_MACHINE</q3:VALUE>
              </q3:PROPERTY>
              <q3:PROPERTY NAME="polmkrKey">
                <q3:VALUE>SYSTEM\CurrentControlSet\Control\Terminal Server</q3:VALUE>
              </q3:PROPERTY>
              <q3:PROPERTY NAME="polmkrName">
                <q3:VALUE>fDenyTSConnections</q3:VALUE>
              </q3:PROPERTY>
              <q3:PROPERTY NAME="polmkrType">
                <q3:VALUE>REG_DWORD</q3:VALUE>
              </q3:PROPERTY>
              <q3:PROPERTY NAME="polmkrValue">
                <q3:VALUE>00000001</q3:VALUE>
              </q3:PROPERTY>
            </q3:INSTANCE>
          </q3:BaseInstanceXml>
        </q3:RegistryRsopSetting>
      </Extension>
      <Name>Group Policy Registry</Name>
    </ExtensionData>
    <ExtensionData>
      <Extension xmlns:q4="http://www.microsoft.com/GroupPolicy/Settings/Security" xsi:type="q4:SecuritySettings" xmlns="http://www.microsoft.com/GroupPolicy/Settings">
        <q4:UserRightsAssignment>
          <GPO xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">
            <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{6AC1786C-016F-11D2-945F-00C04FB984F9}</Identifier>
          </GPO>
          <Precedence xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">1</Precedence>
          <q4:Name>SeRemoteInteractiveLogonRight</q4:Name>
          <q4:Member>
            <Name xmlns="http://www.microsoft.com/GroupPolicy/Types">BUILTIN\Administrators</Name>
          </q4:Member>
          <q4:Member>
            <SID xmlns="http://www.microsoft.com/GroupPolicy/Types">S-1-5-21-1-2-3-1105</SID>
          </q4:Member>
        </q4:UserRightsAssignment>
        <q4:SecurityOptions>
          <GPO xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">
            <Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">LocalGPO</Identifier>
          </GPO>
          <Precedence xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">1</Precedence>
          <q4:KeyName>MACHINE\System\CurrentControlSet\Control\Lsa\LimitBlankPasswordUse</q4:KeyName>
          <q4:SettingNumber>1</q4:SettingNumber>
          <q4:Display>
            <q4:Name>Accounts: Limit local account use of blank passwords to console logon only</q4:Name>
            <q4:Units />
            <q4:DisplayBoolean>true</q4:DisplayBoolean>
          </q4:Display>
        </q4:SecurityOptions>
      </Extension>
      <Name>Security</Name>
    </ExtensionData>
  </ComputerResults>
</Rsop>
"##;

    fn rsop_xml() -> String {
        RSOP_XML.replace('\n', "\r\n")
    }

    #[test]
    fn xml_inline_prevailing_policy_preference_and_rights() {
        let text = rsop_xml();
        assert!(sniff_xml(&text));
        assert!(!sniff(&text));
        let r = parse_xml(&text).unwrap();
        assert_eq!(r.computer_name.as_deref(), Some(r"CORP\WS-0042"));
        assert_eq!(r.user_name, None);
        assert_eq!(
            r.collected_at.as_deref(),
            Some("2024-03-14T08:26:53.1234567Z")
        );
        let gpos: Vec<_> = r.applied_gpos.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            gpos,
            vec!["Corp - RDP Lockdown <script>", "Local Group Policy"]
        );

        let p = r.find_policy(ALLOW_RDP_POLICY_NAMES).unwrap();
        assert_eq!((p.scope, p.state), (Scope::Computer, PolicyState::Disabled));
        assert_eq!(p.winning_gpo, "Corp - RDP Lockdown <script>");
        assert_eq!(p.line, line_of(&text, "<q8:Name>Allow users"));
        // The precedence-2 instance that would enable RDP lost and is not reported.
        assert_eq!(r.policies.len(), 2);
        let enc = r
            .find_policy(&["Set client connection encryption level"])
            .unwrap();
        assert_eq!(enc.winning_gpo, "Local Group Policy");
        assert_eq!(
            enc.options,
            vec![("Encryption Level".to_owned(), "High Level".to_owned())]
        );

        let g = &r.registry_preferences[0];
        assert_eq!(
            g.key_path,
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server"
        );
        assert_eq!(
            (g.value_name.as_str(), g.value_u32),
            ("fDenyTSConnections", Some(1))
        );
        assert_eq!(g.value_data.as_deref(), Some("00000001"));
        assert_eq!(g.action.as_deref(), Some("Update"));
        assert_eq!(g.winning_gpo, "Corp - RDP Lockdown");

        let ura = r
            .find_security_setting(ALLOW_RDP_LOGON_RIGHT_NAMES)
            .unwrap();
        assert_eq!(ura.name, "Allow log on through Remote Desktop Services");
        assert_eq!(ura.setting, r"BUILTIN\Administrators, S-1-5-21-1-2-3-1105");
        assert_eq!(ura.line, line_of(&text, "SeRemoteInteractiveLogonRight"));
        let blank = r
            .find_security_setting(&[
                "Accounts: Limit local account use of blank passwords to console logon only",
            ])
            .unwrap();
        assert_eq!(
            (blank.setting.as_str(), blank.category.as_str()),
            ("Enabled", "Local Policies/Security Options")
        );
    }

    #[test]
    fn xml_malformed_truncated_and_hostile_inputs_are_errors_not_panics() {
        let text = rsop_xml();
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                let _ = parse_xml(&text[..cut]);
            }
            cut += 53;
        }
        let half = &text[..text.len() / 2];
        let err = parse_xml(half).unwrap_err();
        assert!(err.line.is_some(), "{err}");
        assert!(parse_xml("").is_err());
        assert!(parse_xml("<Other xmlns=\"x\"/>").is_err());
        assert!(parse_xml("<Rsop><a></b></Rsop>").is_err());
        assert!(parse_xml("<Rsop/><Rsop/>").is_err());
        let deep = format!("<Rsop>{}", "<a>".repeat(100_000));
        assert!(parse_xml(&deep).unwrap_err().message.contains("deeper"));
        assert!(!sniff_xml(
            "<?xml version=\"1.0\"?><Policy xmlns=\"http://www.microsoft.com/GroupPolicy/Rsop\"/>"
        ));
        assert!(!sniff_xml(&report_text()));
        assert!(!sniff_xml("not xml"));
        // Entities and character references decode; unknown ones stay as written.
        let r = parse_xml(&text.replace(
            "Corp - RDP Lockdown &lt;script&gt;",
            "A &amp; B &#x263A; &bogus;",
        ))
        .unwrap();
        assert_eq!(r.applied_gpos[0].name, "A & B \u{263A} &bogus;");
    }

    #[test]
    fn xml_samples_match_their_html_twin() {
        let (Some(xml), Some(html)) = (
            sample("HersheyTaichou__GPResult-MS-cis-rdp.xml"),
            sample("HersheyTaichou__GPResult-MS-cis-rdp.html"),
        ) else {
            return;
        };
        assert!(sniff_xml(&xml) && !sniff(&xml) && !sniff_xml(&html));
        let x = parse_xml(&xml).unwrap();
        let h = parse(&html).unwrap();
        assert_eq!(x.computer_name, h.computer_name);
        assert_eq!(x.user_name, h.user_name);
        assert_eq!(
            x.collected_at.as_deref(),
            Some("2023-10-19T01:25:18.4743301Z")
        );
        let names = |r: &GpReport| {
            let mut v: Vec<String> = r.applied_gpos.iter().map(|g| g.name.clone()).collect();
            v.sort();
            v
        };
        assert_eq!(names(&x), names(&h));
        let rds = |r: &GpReport| {
            let mut v: Vec<String> = r
                .policies
                .iter()
                .filter(|p| {
                    p.category
                        .starts_with("Windows Components/Remote Desktop Services")
                })
                .map(|p| format!("{} {:?} {} {:?}", p.name, p.state, p.winning_gpo, p.options))
                .collect();
            v.sort();
            v
        };
        assert_eq!(rds(&x).len(), 18);
        assert_eq!(rds(&x), rds(&h));
        let allow = x
            .find_security_setting(ALLOW_RDP_LOGON_RIGHT_NAMES)
            .unwrap();
        let allow_html = h
            .find_security_setting(ALLOW_RDP_LOGON_RIGHT_NAMES)
            .unwrap();
        assert_eq!(
            (&allow.setting, &allow.winning_gpo),
            (&allow_html.setting, &allow_html.winning_gpo)
        );
        let table = line_table(&xml);
        for p in &x.policies {
            assert!(
                line_text(&table, p.line).contains(search_key(&p.name)),
                "{p:?}"
            );
        }
        let pref = &x.registry_preferences[0];
        assert_eq!(
            (pref.value_name.as_str(), pref.value_u32),
            ("DisabledComponents", Some(255))
        );
        assert_eq!(pref.winning_gpo, h.registry_preferences[0].winning_gpo);
    }

    #[test]
    fn xml_dc_sample_parses() {
        let Some(text) = sample("laymanstake__rsop-dc.xml") else {
            return;
        };
        let r = parse_xml(&text).unwrap();
        assert_eq!(r.computer_name.as_deref(), Some(r"CHILD\CHILDDC"));
        let gpos: Vec<_> = r.applied_gpos.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            gpos,
            vec!["Default Domain Policy", "Default Domain Controllers Policy"]
        );
        // This DC's policies grant no RDP logon right; local logon is mapped from its constant.
        assert!(r
            .find_security_setting(ALLOW_RDP_LOGON_RIGHT_NAMES)
            .is_none());
        let local = r.find_security_setting(&["Allow log on locally"]).unwrap();
        assert_eq!(local.category, "Local Policies/User Rights Assignment");
        assert!(r
            .security_settings
            .iter()
            .any(|s| s.name == "SeDebugPrivilege"));
    }
}

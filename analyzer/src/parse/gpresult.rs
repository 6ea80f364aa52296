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

/// Largest report accepted. Real `gpresult /H` output is 0.1–3 MB of text; anything far bigger
/// is not a report and would only cost memory in the DOM.
const MAX_TEXT_BYTES: usize = 64 * 1024 * 1024;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Scope {
    Computer,
    User,
}

/// An Administrative Template policy's state, mapped from the localized Setting cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PolicyState {
    Enabled,
    Disabled,
    /// Anything else: a number, a list, "Not Configured", an unknown language.
    Other,
}

/// Everything the report says that a check may cite.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GpReport {
    /// As the report's General table shows it, usually `DOMAIN\NAME`.
    pub computer_name: Option<String>,
    pub user_name: Option<String>,
    /// The date after the "Data collected on:" label, verbatim (its format follows the locale).
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
    /// As shown, e.g. `0x1 (1)`; `None` for a Delete item.
    pub value_data: Option<String>,
    /// The number, when the data is GPMC's DWORD/QWORD rendering (`0x1 (1)`) and fits.
    pub value_u32: Option<u32>,
    /// Create / Replace / Update / Delete, localized.
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
    /// before the name) in turn. Only a run of the name that needs no HTML escaping is
    /// searched, since the source spells `'` and `&` as entities. 0 when not found.
    fn locate_name(&mut self, name: &str, leads: &[&str]) -> usize {
        let key = search_key(name);
        if key.is_empty() {
            return 0;
        }
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

/// Placeholder so the module compiles before the XML variant lands.
pub fn sniff_xml(_text: &str) -> bool {
    false
}

/// Placeholder so the module compiles before the XML variant lands.
pub fn parse_xml(_text: &str) -> Result<GpReport, ParseError> {
    Err(ParseError::new("RSoP XML not supported yet"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text::decode;

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

    #[test]
    fn dump_samples() {
        let Ok(dir) = std::fs::read_dir(SAMPLES) else {
            eprintln!("SKIPPED: ../shared/samples absent");
            return;
        };
        let mut names: Vec<_> = dir
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".html"))
            .collect();
        names.sort();
        for n in names {
            let text = sample(&n).unwrap();
            let t = std::time::Instant::now();
            let r = parse(&text).unwrap();
            println!(
                "== {n} ({:?}) computer={:?} user={:?} at={:?} gpos={} pol={} sec={} reg={}",
                t.elapsed(),
                r.computer_name,
                r.user_name,
                r.collected_at,
                r.applied_gpos.len(),
                r.policies.len(),
                r.security_settings.len(),
                r.registry_preferences.len()
            );
            for g in &r.applied_gpos {
                println!("  GPO {:?} {}", g.scope, g.name);
            }
            for p in r.policies.iter().take(400) {
                println!(
                    "  POL {:?} L{} [{}] {} = {} ({:?}) by {} opts={:?}",
                    p.scope,
                    p.line,
                    p.category,
                    p.name,
                    p.setting,
                    p.state,
                    p.winning_gpo,
                    p.options
                );
            }
            for s in r.security_settings.iter().take(400) {
                println!(
                    "  SEC {:?} L{} [{}] {} = {} by {}",
                    s.scope, s.line, s.category, s.name, s.setting, s.winning_gpo
                );
            }
            for g in &r.registry_preferences {
                println!(
                    "  REG {:?} L{} {} : {} = {:?} ({:?}) {:?} by {}",
                    g.scope,
                    g.line,
                    g.key_path,
                    g.value_name,
                    g.value_data,
                    g.value_u32,
                    g.action,
                    g.winning_gpo
                );
            }
        }
    }
}

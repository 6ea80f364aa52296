//! Registry export files: what `reg export` and regedit write ("Windows Registry Editor Version
//! 5.00") and the older ANSI "REGEDIT4" format.
//!
//! The file is a header line, then `[key]` sections holding `"name"=data` lines. What makes it
//! harder than it looks, all of it observed in real exports:
//!
//! - Key names are written verbatim (a key name may contain `"` or `]`), while value names and
//!   string data escape `\\` and `\"`.
//! - Long `hex` data wraps near column 80 with `,\` and a two-space indent on the next line.
//! - `hex(2)`/`hex(7)`/`hex(1)` hold raw string bytes: UTF-16LE in version 5 files but single
//!   ANSI bytes in REGEDIT4 files, so the header decides how to read them.
//! - Hand-edited files (fixes people run to "repair RDP") add `;` comments, `"x"=-` value
//!   deletions and `[-key]` key deletions, and repeat keys with different letter case.
//!
//! Parsing is lenient the way `reg import` is: a malformed line is reported as a warning and
//! skipped, the rest of the file still counts. Lookups ([`RegFile::key`], [`RegFile::value`])
//! are case-insensitive and apply the file in order, as an import would.

use std::collections::HashMap;
use std::iter::Peekable;

use super::text;
use super::ParseError;

/// Header of files written by regedit/`reg export` since Windows 2000 (UTF-16LE on disk).
const HEADER_V5: &str = "Windows Registry Editor Version 5.00";
/// Header of Windows 9x/NT4 format files (`regedit /a`, "Win9x/NT4 Registration Files").
const HEADER_V4: &str = "REGEDIT4";

/// A broken file could produce a warning per line; keep enough to explain it, not millions.
const MAX_WARNINGS: usize = 1000;
/// `display()` shows at most this many characters of a string...
const DISPLAY_MAX_CHARS: usize = 120;
/// ...and this many bytes of binary data.
const DISPLAY_MAX_BYTES: usize = 32;

/// Which header the file had; it decides how `hex(2)`/`hex(7)`/`hex(1)` bytes are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegVersion {
    /// "Windows Registry Editor Version 5.00": string bytes are UTF-16LE.
    Regedit5,
    /// "REGEDIT4": string bytes are single-byte ANSI.
    Regedit4,
}

/// A parsed export.
#[derive(Debug, Clone, PartialEq)]
pub struct RegFile {
    pub version: RegVersion,
    /// Every `[key]` section in file order, repeats and deletions included, as written.
    pub keys: Vec<RegKey>,
    /// Lines that were skipped (and why), in file order.
    pub warnings: Vec<ParseError>,
    /// Lookup index over `keys`; built once, so treat `keys` as read-only.
    index: KeyIndex,
    /// Normalized paths known not to exist (a hive read whole says so; an export cannot).
    known_absent: Vec<String>,
}

/// One `[key]` (or `[-key]`) section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegKey {
    /// The path as written between the brackets, e.g. `HKEY_LOCAL_MACHINE\SYSTEM\...`.
    pub path: String,
    /// `[-key]`: the import deletes this key and everything below it.
    pub deleted: bool,
    /// 1-based line of the `[key]` header.
    pub line: usize,
    /// Values in this section, in file order (including `"x"=-` deletions).
    pub values: Vec<RegValue>,
}

/// One `"name"=data` line (possibly continued over several lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegValue {
    /// Unescaped value name; `""` for the default value `@`.
    pub name: String,
    pub data: RegData,
    /// 1-based line where the value starts.
    pub line: usize,
}

/// Typed value data, decoded from the export syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegData {
    /// `"text"` or `hex(1):` (REG_SZ), cut at the first NUL as Windows readers do.
    Sz(String),
    /// `hex(2):` (REG_EXPAND_SZ), unexpanded (`%SystemRoot%\...`).
    ExpandSz(String),
    /// `hex(7):` (REG_MULTI_SZ): every string up to the list's final terminator, empty ones
    /// between included (`PendingFileRenameOperations` pairs a source with an empty target to
    /// mean "delete"). [`RegData::as_multi`] ends the list at the first empty string, as most
    /// Windows readers (the service controller's `DependOnService`...) do.
    MultiSz(Vec<String>),
    /// `dword:` or a 4-byte `hex(4):`.
    Dword(u32),
    /// `hex(b):` with 8 little-endian bytes (regedit never writes `qword:`).
    Qword(u64),
    /// `hex:` or `hex(3):` (REG_BINARY).
    Binary(Vec<u8>),
    /// `hex(0):` (REG_NONE).
    None(Vec<u8>),
    /// A 4-byte `hex(5):` (REG_DWORD_BIG_ENDIAN).
    DwordBigEndian(u32),
    /// Any other `hex(N):`, and `hex(4)`/`hex(5)`/`hex(b)` whose length does not fit the type.
    Other { kind: u32, bytes: Vec<u8> },
    /// `"x"=-`: the import deletes this value.
    Deleted,
}

impl RegData {
    /// The value as a number: DWORDs, a QWORD that fits, or a string holding a decimal number
    /// (policies set by scripts are sometimes REG_SZ "1" and Windows still honours them).
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            RegData::Dword(v) | RegData::DwordBigEndian(v) => Some(*v),
            RegData::Qword(v) => u32::try_from(*v).ok(),
            RegData::Sz(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Like [`RegData::as_u32`] but keeps QWORDs whole.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            RegData::Qword(v) => Some(*v),
            RegData::Sz(s) => s.trim().parse().ok(),
            other => other.as_u32().map(u64::from),
        }
    }

    /// Text of a REG_SZ or REG_EXPAND_SZ.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            RegData::Sz(s) | RegData::ExpandSz(s) => Some(s),
            _ => None,
        }
    }

    /// Strings of a REG_MULTI_SZ, up to the first empty one (how most Windows readers end it).
    pub fn as_multi(&self) -> Option<&[String]> {
        match self {
            RegData::MultiSz(v) => {
                let end = v.iter().position(String::is_empty).unwrap_or(v.len());
                v.get(..end)
            }
            _ => None,
        }
    }

    /// Every string of a REG_MULTI_SZ, empty ones between included (for lists of pairs such as
    /// `PendingFileRenameOperations`, where an empty string is a value).
    pub fn as_multi_all(&self) -> Option<&[String]> {
        match self {
            RegData::MultiSz(v) => Some(v),
            _ => None,
        }
    }

    /// The Windows type name (`REG_DWORD`...), as regedit and `reg query` show it.
    pub fn type_name(&self) -> &'static str {
        match self {
            RegData::Sz(_) => "REG_SZ",
            RegData::ExpandSz(_) => "REG_EXPAND_SZ",
            RegData::MultiSz(_) => "REG_MULTI_SZ",
            RegData::Dword(_) => "REG_DWORD",
            RegData::Qword(_) => "REG_QWORD",
            RegData::Binary(_) => "REG_BINARY",
            RegData::None(_) => "REG_NONE",
            RegData::DwordBigEndian(_) => "REG_DWORD_BIG_ENDIAN",
            RegData::Other { kind, .. } => kind_name(*kind),
            RegData::Deleted => "(deleted)",
        }
    }

    /// Short human rendering for findings: `0x00000001 (1)`, `"text"`, `61 62 63`.
    pub fn display(&self) -> String {
        match self {
            RegData::Sz(s) | RegData::ExpandSz(s) => quoted(s),
            RegData::MultiSz(v) => {
                let items: Vec<String> = v.iter().map(|s| quoted(s)).collect();
                format!("[{}]", items.join(", "))
            }
            RegData::Dword(v) | RegData::DwordBigEndian(v) => format!("0x{v:08x} ({v})"),
            RegData::Qword(v) => format!("0x{v:016x} ({v})"),
            RegData::Binary(b) | RegData::None(b) | RegData::Other { bytes: b, .. } => hex_bytes(b),
            RegData::Deleted => "(deleted)".to_string(),
        }
    }
}

/// Names of the registry types that have no variant of their own.
fn kind_name(kind: u32) -> &'static str {
    match kind {
        0 => "REG_NONE",
        1 => "REG_SZ",
        2 => "REG_EXPAND_SZ",
        3 => "REG_BINARY",
        4 => "REG_DWORD",
        5 => "REG_DWORD_BIG_ENDIAN",
        6 => "REG_LINK",
        7 => "REG_MULTI_SZ",
        8 => "REG_RESOURCE_LIST",
        9 => "REG_FULL_RESOURCE_DESCRIPTOR",
        10 => "REG_RESOURCE_REQUIREMENTS_LIST",
        11 => "REG_QWORD",
        _ => "REG_UNKNOWN",
    }
}

fn quoted(s: &str) -> String {
    let count = s.chars().count();
    if count <= DISPLAY_MAX_CHARS {
        return format!("\"{s}\"");
    }
    let head: String = s.chars().take(DISPLAY_MAX_CHARS).collect();
    format!("\"{head}…\" ({count} chars)")
}

fn hex_bytes(b: &[u8]) -> String {
    if b.is_empty() {
        return "(empty)".to_string();
    }
    let shown: Vec<String> = b
        .iter()
        .take(DISPLAY_MAX_BYTES)
        .map(|x| format!("{x:02x}"))
        .collect();
    let mut out = shown.join(" ");
    if b.len() > DISPLAY_MAX_BYTES {
        out.push_str(&format!(" … ({} bytes)", b.len()));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Identification
// ---------------------------------------------------------------------------------------------

/// True when the first non-blank line is a regedit header. Regedit itself only checks this
/// line, so neither do we.
pub fn sniff(text: &str) -> bool {
    first_content_line(text).is_some_and(|(_, line)| header_version(line).is_some())
}

/// First line that is not blank, ignoring a BOM the decoder left behind.
fn first_content_line(text: &str) -> Option<(usize, &str)> {
    text::lines(text)
        .map(|(n, l)| (n, l.trim_start_matches('\u{feff}').trim()))
        .find(|(_, l)| !l.is_empty())
}

/// Recognises a header line, tolerating case differences and a trailing `; comment`.
fn header_version(line: &str) -> Option<RegVersion> {
    let line = line.trim_start_matches('\u{feff}');
    let code = line.split(';').next().unwrap_or("").trim();
    if code.eq_ignore_ascii_case(HEADER_V5) {
        Some(RegVersion::Regedit5)
    } else if code.eq_ignore_ascii_case(HEADER_V4) {
        Some(RegVersion::Regedit4)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Parses an export. Fails only when there is no regedit header; everything else that is
/// wrong ends up in [`RegFile::warnings`].
pub fn parse(text: &str) -> Result<RegFile, ParseError> {
    let mut lines = text::lines(text).peekable();
    let version = read_header(&mut lines)?;
    let mut parser = Parser::new(version);
    while let Some((n, raw)) = lines.next() {
        parser.line(n, raw, &mut lines);
    }
    Ok(parser.finish())
}

/// Consumes blank lines and the header.
fn read_header<'a, I>(lines: &mut Peekable<I>) -> Result<RegVersion, ParseError>
where
    I: Iterator<Item = (usize, &'a str)>,
{
    for (n, raw) in lines.by_ref() {
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        return header_version(line).ok_or_else(|| {
            ParseError::at(
                n,
                format!("not a registry export: expected \"{HEADER_V5}\" or \"{HEADER_V4}\""),
            )
        });
    }
    Err(ParseError::new("not a registry export: no header line"))
}

/// Warnings with a ceiling, so a garbage file cannot produce one per line forever.
#[derive(Default)]
struct Warnings {
    list: Vec<ParseError>,
    suppressed: usize,
}

impl Warnings {
    fn push(&mut self, line: usize, message: impl Into<String>) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(ParseError::at(line, message));
        } else {
            self.suppressed += 1;
        }
    }

    fn finish(mut self) -> Vec<ParseError> {
        if self.suppressed > 0 {
            self.list.push(ParseError::new(format!(
                "{} more warnings not shown",
                self.suppressed
            )));
        }
        self.list
    }
}

struct Parser {
    version: RegVersion,
    keys: Vec<RegKey>,
    /// Index into `keys` of the section values currently go to; `None` before the first key
    /// and after a broken key header (its values must not land in the previous key).
    current: Option<usize>,
    warnings: Warnings,
}

impl Parser {
    fn new(version: RegVersion) -> Self {
        Parser {
            version,
            keys: Vec::new(),
            current: None,
            warnings: Warnings::default(),
        }
    }

    fn finish(self) -> RegFile {
        RegFile::from_keys(self.version, self.keys, self.warnings.finish())
    }

    /// Dispatches one physical line; value lines may pull continuation lines from `lines`.
    fn line<'a, I>(&mut self, n: usize, raw: &str, lines: &mut Peekable<I>)
    where
        I: Iterator<Item = (usize, &'a str)>,
    {
        // A BOM can reappear mid-file when exports are concatenated with `type a.reg b.reg`.
        let line = raw.trim_start_matches('\u{feff}').trim();
        match line.chars().next() {
            None | Some(';') => {}
            Some('[') => self.key_line(n, line),
            Some('"') | Some('@') => self.value_line(n, line, lines),
            Some(_) if header_version(line).is_some() => {}
            Some(_) => self
                .warnings
                .push(n, format!("unrecognised line skipped: {}", excerpt(line))),
        }
    }

    /// `[path]` or `[-path]`. Key names are not escaped and may contain `]`, so the path ends
    /// at the last `]` of the line.
    fn key_line(&mut self, n: usize, line: &str) {
        self.current = None;
        let inner = line.strip_prefix('[').unwrap_or(line);
        let (deleted, inner) = match inner.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, inner),
        };
        let Some((path, after)) = inner.rsplit_once(']') else {
            self.warnings
                .push(n, "key header without closing ']'; its values are skipped");
            return;
        };
        if path.trim().is_empty() {
            self.warnings
                .push(n, "key header with empty name; its values are skipped");
            return;
        }
        let after = after.trim();
        if !after.is_empty() && !after.starts_with(';') {
            self.warnings.push(
                n,
                format!("text after key header ignored: {}", excerpt(after)),
            );
        }
        let root = path.split('\\').next().unwrap_or("");
        if root_key(root).is_none() {
            self.warnings.push(
                n,
                format!("key does not start with a root key (reg import rejects it): {path}"),
            );
        } else if strip_prefix_ci(root, "HKEY_").is_none() {
            // Kept (lookups understand it), but regedit only imports spelled-out roots.
            self.warnings.push(
                n,
                format!("abbreviated root key (reg import rejects it): {path}"),
            );
        }
        self.keys.push(RegKey {
            path: path.to_string(),
            deleted,
            line: n,
            values: Vec::new(),
        });
        self.current = Some(self.keys.len() - 1);
    }

    /// `"name"=data` or `@=data`.
    fn value_line<'a, I>(&mut self, n: usize, line: &str, lines: &mut Peekable<I>)
    where
        I: Iterator<Item = (usize, &'a str)>,
    {
        let (name, rest) = match value_name(line) {
            Ok(parts) => parts,
            Err(message) => {
                self.warnings.push(n, message);
                return;
            }
        };
        let Some(data_text) = rest.trim_start().strip_prefix('=') else {
            self.warnings
                .push(n, format!("value {name:?}: expected '=' after the name"));
            return;
        };
        // Data is read (and continuation lines consumed) even when there is no key to put it
        // in, so the continuation lines are not reported as garbage on their own.
        let mut ctx = DataContext {
            name: &name,
            line: n,
            version: self.version,
            warnings: &mut self.warnings,
        };
        let Some(data) = value_data(data_text.trim_start(), &mut ctx, lines) else {
            return;
        };
        let Some(key) = self.current.and_then(|i| self.keys.get_mut(i)) else {
            self.warnings.push(
                n,
                format!("value {name:?} outside any valid [key] section skipped"),
            );
            return;
        };
        if key.deleted {
            self.warnings.push(
                n,
                format!("value {name:?} under a deleted key [-...] is ignored by reg import"),
            );
        }
        key.values.push(RegValue {
            name,
            data,
            line: n,
        });
    }
}

/// What data parsing needs to know about the value it is reading.
struct DataContext<'n, 'w> {
    name: &'n str,
    line: usize,
    version: RegVersion,
    warnings: &'w mut Warnings,
}

impl DataContext<'_, '_> {
    fn warn(&mut self, line: usize, message: impl std::fmt::Display) {
        let text = format!("value {:?}: {message}", self.name);
        self.warnings.push(line, text);
    }
}

/// Splits the name off a value line: `@` is the default value, otherwise a quoted, escaped
/// name. Returns the unescaped name and the text after it.
fn value_name(line: &str) -> Result<(String, &str), String> {
    if let Some(rest) = line.strip_prefix('@') {
        return Ok((String::new(), rest));
    }
    let body = line.strip_prefix('"').unwrap_or(line);
    match unescape_quoted(body) {
        Some(q) => Ok((q.text, q.rest)),
        None => Err(format!(
            "value name without closing quote skipped: {}",
            excerpt(line)
        )),
    }
}

/// A quoted string read up to its closing quote.
struct Quoted<'a> {
    text: String,
    /// What follows the closing quote.
    rest: &'a str,
    /// A backslash escape other than `\\`/`\"` was seen (hand-typed `C:\Windows`); it is
    /// kept literally.
    odd_escape: bool,
}

/// Reads the body of a quoted string (after the opening `"`). regedit escapes exactly `\\`
/// and `\"`; anything else after a backslash is kept as typed. `None` when unterminated.
fn unescape_quoted(body: &str) -> Option<Quoted<'_>> {
    let mut text = String::with_capacity(body.len());
    let mut odd_escape = false;
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                return Some(Quoted {
                    text,
                    rest: body.get(i + 1..).unwrap_or(""),
                    odd_escape,
                })
            }
            '\\' => match chars.next() {
                Some((_, e @ ('\\' | '"'))) => text.push(e),
                Some((_, other)) => {
                    text.push('\\');
                    text.push(other);
                    odd_escape = true;
                }
                None => return None,
            },
            other => text.push(other),
        }
    }
    None
}

/// Parses what follows `=`. Returns `None` (after warning) when reg import would reject it.
fn value_data<'a, I>(
    data: &str,
    ctx: &mut DataContext<'_, '_>,
    lines: &mut Peekable<I>,
) -> Option<RegData>
where
    I: Iterator<Item = (usize, &'a str)>,
{
    if let Some(rest) = data.strip_prefix('-') {
        return only_comment_after(rest, ctx).then_some(RegData::Deleted);
    }
    if let Some(body) = data.strip_prefix('"') {
        return string_data(body, ctx);
    }
    if let Some(rest) = strip_prefix_ci(data, "dword:") {
        return dword_data(rest, ctx);
    }
    if let Some(rest) = strip_prefix_ci(data, "hex") {
        return hex_data(rest, ctx, lines);
    }
    let line = ctx.line;
    ctx.warn(line, format_args!("unrecognised data {}", excerpt(data)));
    None
}

/// After the data only blanks or a `; comment` may follow; regedit skips a value whose line
/// has anything else (e.g. `dword:00000000\`).
fn only_comment_after(rest: &str, ctx: &mut DataContext<'_, '_>) -> bool {
    let rest = rest.trim();
    if rest.is_empty() || rest.starts_with(';') {
        return true;
    }
    let line = ctx.line;
    ctx.warn(
        line,
        format_args!("unexpected text after the data: {}", excerpt(rest)),
    );
    false
}

fn string_data(body: &str, ctx: &mut DataContext<'_, '_>) -> Option<RegData> {
    let line = ctx.line;
    let Some(q) = unescape_quoted(body) else {
        ctx.warn(line, "string data without closing quote");
        return None;
    };
    if !only_comment_after(q.rest, ctx) {
        return None;
    }
    if q.odd_escape {
        ctx.warn(line, "backslash not followed by \\ or \" kept literally");
    }
    Some(RegData::Sz(q.text))
}

/// `dword:` + hex digits. regedit writes exactly 8 lowercase digits; fewer are accepted on
/// import, more are not.
fn dword_data(rest: &str, ctx: &mut DataContext<'_, '_>) -> Option<RegData> {
    let line = ctx.line;
    let (digits, after) = split_hex_digits(rest.trim_start());
    if digits.is_empty() || digits.len() > 8 {
        ctx.warn(
            line,
            format_args!("dword needs 1 to 8 hex digits, got {}", excerpt(rest)),
        );
        return None;
    }
    if !only_comment_after(after, ctx) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok().map(RegData::Dword)
}

fn split_hex_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(s.len());
    (s.get(..end).unwrap_or(""), s.get(end..).unwrap_or(""))
}

/// `hex:`, `hex(N):` followed by comma-separated bytes, possibly continued over lines.
fn hex_data<'a, I>(
    rest: &str,
    ctx: &mut DataContext<'_, '_>,
    lines: &mut Peekable<I>,
) -> Option<RegData>
where
    I: Iterator<Item = (usize, &'a str)>,
{
    let line = ctx.line;
    let (kind, after_kind) = match rest.strip_prefix('(') {
        Some(inner) => {
            let (digits, after) = split_hex_digits(inner.trim_start());
            let after = after.trim_start();
            let kind = u32::from_str_radix(digits, 16).ok();
            match (kind, after.strip_prefix(')')) {
                (Some(k), Some(after)) => (Some(k), after),
                _ => {
                    ctx.warn(line, format_args!("bad hex(type): {}", excerpt(rest)));
                    return None;
                }
            }
        }
        None => (None, rest),
    };
    let Some(bytes_text) = after_kind.trim_start().strip_prefix(':') else {
        ctx.warn(line, "expected ':' after hex type");
        return None;
    };
    let bytes = hex_payload(bytes_text, ctx, lines)?;
    Some(typed_hex(kind, bytes, ctx))
}

/// Collects the bytes of a hex value, following `\` continuations. A value whose data is
/// malformed, or whose continuation never comes (truncated file, next entry instead), is
/// dropped: a partial DWORD or string list would mislead a check more than a missing one.
fn hex_payload<'a, I>(
    first: &str,
    ctx: &mut DataContext<'_, '_>,
    lines: &mut Peekable<I>,
) -> Option<Vec<u8>>
where
    I: Iterator<Item = (usize, &'a str)>,
{
    let mut bytes = Vec::new();
    let mut failed = false;
    let mut segment = first;
    let mut segment_line = ctx.line;
    loop {
        let segment_result = hex_segment(segment, &mut bytes);
        let continues = match segment_result {
            Ok(continues) => continues,
            Err((message, continues)) => {
                if !failed {
                    ctx.warn(segment_line, message);
                }
                failed = true;
                continues
            }
        };
        if !continues {
            break;
        }
        match lines.peek().copied() {
            Some((n, next)) if is_hex_continuation(next) => {
                lines.next();
                segment = next;
                segment_line = n;
            }
            Some((n, _)) => {
                if !failed {
                    let line = ctx.line;
                    ctx.warn(
                        line,
                        format_args!(
                            "data continued with '\\' on line {segment_line} but line {n} does not continue it; value dropped"
                        ),
                    );
                }
                return None;
            }
            None => {
                if !failed {
                    ctx.warn(
                        segment_line,
                        "file ends inside continued hex data (truncated); value dropped",
                    );
                }
                return None;
            }
        }
    }
    (!failed).then_some(bytes)
}

/// Parses one line's worth of hex bytes into `bytes`. Returns whether the line ends with the
/// `\` continuation mark; on error also says whether it did, so the following lines are
/// still consumed as part of this (dropped) value.
fn hex_segment(segment: &str, bytes: &mut Vec<u8>) -> Result<bool, (String, bool)> {
    // regedit accepts a comment after the bytes or after the continuation mark.
    let code = segment.split(';').next().unwrap_or("").trim();
    let (code, continues) = match code.strip_suffix('\\') {
        Some(c) => (c.trim_end(), true),
        None => (code, false),
    };
    if code.is_empty() {
        return Ok(continues);
    }
    let mut tokens = code.split(',').map(str::trim).peekable();
    while let Some(token) = tokens.next() {
        // `61,62,\` leaves an empty token after the last comma: that one is fine.
        if token.is_empty() && tokens.peek().is_none() {
            break;
        }
        match parse_hex_byte(token) {
            Some(b) => bytes.push(b),
            None => {
                return Err((
                    format!("bad hex byte {:?}; value dropped", excerpt(token)),
                    continues,
                ))
            }
        }
    }
    Ok(continues)
}

fn parse_hex_byte(token: &str) -> Option<u8> {
    if token.is_empty() || token.len() > 2 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(token, 16).ok()
}

/// A continuation line holds only hex digits, commas, blanks, a final `\` and maybe a comment.
/// Anything else (a blank line, the next `"value"` or `[key]`) means the data was cut short.
fn is_hex_continuation(line: &str) -> bool {
    let code = line.split(';').next().unwrap_or("").trim();
    !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ',' || c == '\\' || c.is_whitespace())
}

/// Turns `hex(kind)` bytes into the typed value Windows would read back.
fn typed_hex(kind: Option<u32>, bytes: Vec<u8>, ctx: &mut DataContext<'_, '_>) -> RegData {
    match kind {
        None | Some(3) => RegData::Binary(bytes),
        Some(0) => RegData::None(bytes),
        Some(1) => RegData::Sz(first_string(&decode_string_bytes(&bytes, ctx))),
        Some(2) => RegData::ExpandSz(first_string(&decode_string_bytes(&bytes, ctx))),
        Some(7) => RegData::MultiSz(string_list(&decode_string_bytes(&bytes, ctx))),
        Some(4) => match <[u8; 4]>::try_from(bytes.as_slice()) {
            Ok(b) => RegData::Dword(u32::from_le_bytes(b)),
            Err(_) => RegData::Other { kind: 4, bytes },
        },
        Some(5) => match <[u8; 4]>::try_from(bytes.as_slice()) {
            Ok(b) => RegData::DwordBigEndian(u32::from_be_bytes(b)),
            Err(_) => RegData::Other { kind: 5, bytes },
        },
        Some(11) => match <[u8; 8]>::try_from(bytes.as_slice()) {
            Ok(b) => RegData::Qword(u64::from_le_bytes(b)),
            Err(_) => RegData::Other { kind: 11, bytes },
        },
        Some(kind) => RegData::Other { kind, bytes },
    }
}

/// String bytes are UTF-16LE in version 5 files and single ANSI bytes in REGEDIT4 files. The
/// ANSI code page is not recorded; Windows-1252 is exact for ASCII and Western European text.
fn decode_string_bytes(bytes: &[u8], ctx: &mut DataContext<'_, '_>) -> String {
    match ctx.version {
        RegVersion::Regedit4 => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            text.into_owned()
        }
        RegVersion::Regedit5 => {
            if bytes.len() % 2 == 1 {
                let line = ctx.line;
                ctx.warn(
                    line,
                    "odd number of bytes in UTF-16 string; last byte ignored",
                );
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .filter_map(|pair| <[u8; 2]>::try_from(pair).ok())
                .map(u16::from_le_bytes)
                .collect();
            String::from_utf16_lossy(&units)
        }
    }
}

/// REG_SZ/REG_EXPAND_SZ as programs read them: up to the first NUL.
fn first_string(text: &str) -> String {
    text.split('\0').next().unwrap_or("").to_string()
}

/// REG_MULTI_SZ: NUL-separated strings up to the list's terminator (the trailing empty
/// strings); empty strings between others are kept (see [`RegData::MultiSz`]).
pub(crate) fn string_list(text: &str) -> Vec<String> {
    let body = text.trim_end_matches('\0');
    if body.is_empty() {
        return Vec::new();
    }
    body.split('\0').map(str::to_string).collect()
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// Start of a line for a warning message, bounded so one huge line cannot bloat the report.
fn excerpt(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let head: String = s.chars().take(MAX).collect();
    format!("{head}…")
}

// ---------------------------------------------------------------------------------------------
// Key paths and lookups
// ---------------------------------------------------------------------------------------------

/// Canonical root names, with the abbreviations people (and `reg.exe`) use.
fn root_key(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(':').unwrap_or(name); // PowerShell's `HKLM:`
    const ROOTS: &[(&str, &str)] = &[
        ("HKEY_LOCAL_MACHINE", "HKEY_LOCAL_MACHINE"),
        ("HKLM", "HKEY_LOCAL_MACHINE"),
        ("HKEY_CURRENT_USER", "HKEY_CURRENT_USER"),
        ("HKCU", "HKEY_CURRENT_USER"),
        ("HKEY_CLASSES_ROOT", "HKEY_CLASSES_ROOT"),
        ("HKCR", "HKEY_CLASSES_ROOT"),
        ("HKEY_USERS", "HKEY_USERS"),
        ("HKU", "HKEY_USERS"),
        ("HKEY_CURRENT_CONFIG", "HKEY_CURRENT_CONFIG"),
        ("HKCC", "HKEY_CURRENT_CONFIG"),
        ("HKEY_PERFORMANCE_DATA", "HKEY_PERFORMANCE_DATA"),
        ("HKEY_DYN_DATA", "HKEY_DYN_DATA"),
    ];
    ROOTS
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map(|(_, canonical)| *canonical)
}

/// Canonical form of a key path for comparisons: root spelled out (`HKLM` →
/// `HKEY_LOCAL_MACHINE`), everything uppercase (registry names are case-insensitive), no
/// trailing `\`. A leading regedit address-bar component (`Computer\`, localized) is dropped.
pub fn normalize_key_path(path: &str) -> String {
    let path = path.trim().trim_end_matches('\\');
    let (first, rest) = split_first_component(path);
    let (first, rest) = match (root_key(first), rest) {
        (None, Some(rest)) if root_key(split_first_component(rest).0).is_some() => {
            split_first_component(rest)
        }
        _ => (first, rest),
    };
    let mut out = match root_key(first) {
        Some(root) => root.to_string(),
        None => first.to_uppercase(),
    };
    if let Some(rest) = rest {
        out.push('\\');
        out.push_str(&rest.to_uppercase());
    }
    out
}

fn split_first_component(path: &str) -> (&str, Option<&str>) {
    match path.split_once('\\') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    }
}

/// Case-insensitive name comparison without allocating (value names are not ASCII-only).
fn names_equal(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_uppercase)
        .eq(b.chars().flat_map(char::to_uppercase))
}

/// True when normalized `path` is `prefix` or below it.
fn is_at_or_below(path: &str, prefix: &str) -> bool {
    if prefix.is_empty() {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('\\'),
        None => false,
    }
}

const SYSTEM_PREFIX: &str = "HKEY_LOCAL_MACHINE\\SYSTEM\\";

/// `CurrentControlSet` is a link to `ControlSetNNN` (NNN from `HKLM\SYSTEM\Select\Current`).
/// An export of one cannot be found under the other's name, so lookups fall back to the
/// alias when the path as written is absent.
fn control_set_alias(normalized: &str, current: u32) -> Option<String> {
    let rest = normalized.strip_prefix(SYSTEM_PREFIX)?;
    let (set, tail) = split_first_component(rest);
    let tail = tail.map(|t| format!("\\{t}")).unwrap_or_default();
    if set == "CURRENTCONTROLSET" {
        return Some(format!("{SYSTEM_PREFIX}CONTROLSET{current:03}{tail}"));
    }
    let number = set.strip_prefix("CONTROLSET")?;
    if number.len() == 3 && number.parse::<u32>().ok() == Some(current) {
        return Some(format!("{SYSTEM_PREFIX}CURRENTCONTROLSET{tail}"));
    }
    None
}

/// Normalized paths of `keys`, and where each path occurs.
#[derive(Debug, Clone, PartialEq, Default)]
struct KeyIndex {
    normalized: Vec<String>,
    by_path: HashMap<String, Vec<usize>>,
    /// `HKLM\SYSTEM\Select\Current` when the file has it, else 1 (the usual value).
    current_control_set: u32,
}

impl KeyIndex {
    fn build(keys: &[RegKey]) -> Self {
        let normalized: Vec<String> = keys.iter().map(|k| normalize_key_path(&k.path)).collect();
        let mut by_path: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, n) in normalized.iter().enumerate() {
            by_path.entry(n.clone()).or_default().push(i);
        }
        KeyIndex {
            normalized,
            by_path,
            current_control_set: 1,
        }
    }
}

impl RegFile {
    /// Builds a file from already-parsed keys (tests, merged sources) with its lookup index.
    pub fn from_keys(version: RegVersion, keys: Vec<RegKey>, warnings: Vec<ParseError>) -> Self {
        let index = KeyIndex::build(&keys);
        let mut file = RegFile {
            version,
            keys,
            warnings,
            index,
            known_absent: Vec::new(),
        };
        file.index.current_control_set = file
            .value("HKEY_LOCAL_MACHINE\\SYSTEM\\Select", "Current")
            .and_then(|(_, v)| v.data.as_u32())
            .filter(|n| (1..=999).contains(n))
            .unwrap_or(1);
        file
    }

    /// Normalized path and the indexes of its sections, trying the ControlSet alias when the
    /// path as given does not occur.
    fn resolve(&self, path: &str) -> Option<(String, &[usize])> {
        let normalized = normalize_key_path(path);
        if let Some(ix) = self.index.by_path.get(&normalized) {
            return Some((normalized, ix));
        }
        let alias = control_set_alias(&normalized, self.index.current_control_set)?;
        let ix = self.index.by_path.get(&alias)?;
        Some((alias, ix))
    }

    /// The last section for this key (case-insensitive; `HKLM\`-style abbreviations and
    /// CurrentControlSet/ControlSetNNN accepted). Later occurrences win, as `reg import`
    /// applies them; it may be a `[-key]` deletion, so check [`RegKey::deleted`]. Its
    /// `values` are that section's only: use [`RegFile::value`]/[`RegFile::values`] for the
    /// merged view.
    pub fn key(&self, path: &str) -> Option<&RegKey> {
        let (_, ix) = self.resolve(path)?;
        ix.last().and_then(|&i| self.keys.get(i))
    }

    /// The value `name` (`""` for the default value) of a key as the registry holds it after
    /// importing this file: the last assignment wins, and `"x"=-`, `[-key]` or a later
    /// `[-parent]` make it `None`. Value names are case-insensitive.
    pub fn value(&self, key_path: &str, name: &str) -> Option<(&RegKey, &RegValue)> {
        let (normalized, ix) = self.resolve(key_path)?;
        for &i in ix.iter().rev() {
            let key = self.keys.get(i)?;
            if key.deleted {
                return None;
            }
            let Some(value) = key.values.iter().rev().find(|v| names_equal(&v.name, name)) else {
                continue;
            };
            if value.data == RegData::Deleted || self.ancestor_deleted_after(&normalized, i) {
                return None;
            }
            return Some((key, value));
        }
        None
    }

    /// All values of a key after importing this file (merging repeated sections, applying
    /// deletions), in the order they were last assigned.
    pub fn values(&self, key_path: &str) -> Vec<(&RegKey, &RegValue)> {
        let Some((normalized, ix)) = self.resolve(key_path) else {
            return Vec::new();
        };
        let mut live: Vec<(usize, &RegKey, &RegValue)> = Vec::new();
        for &i in ix {
            let Some(key) = self.keys.get(i) else {
                continue;
            };
            if key.deleted {
                live.clear();
                continue;
            }
            for value in &key.values {
                live.retain(|(_, _, v)| !names_equal(&v.name, &value.name));
                if value.data != RegData::Deleted {
                    live.push((i, key, value));
                }
            }
        }
        live.into_iter()
            .filter(|(i, _, _)| !self.ancestor_deleted_after(&normalized, *i))
            .map(|(_, k, v)| (k, v))
            .collect()
    }

    /// Whether a `[-parent]` section after section `after` wipes out `normalized`.
    fn ancestor_deleted_after(&self, normalized: &str, after: usize) -> bool {
        let mut path = normalized;
        while let Some((parent, _)) = path.rsplit_once('\\') {
            path = parent;
            let Some(ix) = self.index.by_path.get(path) else {
                continue;
            };
            let deleted_later = ix
                .iter()
                .any(|&i| i > after && self.keys.get(i).is_some_and(|k| k.deleted));
            if deleted_later {
                return true;
            }
        }
        false
    }

    /// Every section at or below `prefix`, in file order, as written (repeats and `[-key]`
    /// deletions included; filter on [`RegKey::deleted`] as needed).
    pub fn keys_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a RegKey> + 'a {
        let mut wanted = normalize_key_path(prefix);
        if !self.any_under(&wanted) {
            if let Some(alias) = control_set_alias(&wanted, self.index.current_control_set) {
                if self.any_under(&alias) {
                    wanted = alias;
                }
            }
        }
        self.keys
            .iter()
            .zip(self.index.normalized.iter())
            .filter(move |(_, n)| is_at_or_below(n, &wanted))
            .map(|(k, _)| k)
    }

    /// Records keys known to be absent from the source (a hive whose parent key was read
    /// completely), so that [`RegFile::covers`] counts them as covered.
    pub fn with_known_absent(mut self, paths: &[String]) -> Self {
        self.known_absent = paths.iter().map(|p| normalize_key_path(p)).collect();
        self
    }

    /// Whether this file holds `path` or one of its ancestors (CurrentControlSet and
    /// ControlSetNNN accepted for each other), so that `path`'s absence means it is absent.
    pub fn covers(&self, path: &str) -> bool {
        let want = normalize_key_path(path);
        let alias = control_set_alias(&want, self.index.current_control_set);
        self.index
            .normalized
            .iter()
            .chain(self.known_absent.iter())
            .any(|have| {
                is_at_or_below(&want, have)
                    || alias.as_deref().is_some_and(|a| is_at_or_below(a, have))
            })
    }

    fn any_under(&self, normalized_prefix: &str) -> bool {
        self.index
            .normalized
            .iter()
            .any(|n| is_at_or_below(n, normalized_prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples/registry");

    /// Reads and decodes a real sample the way the analyzer does; `None` when samples are absent.
    fn sample(name: &str) -> Option<RegFile> {
        let path = format!("{SAMPLES}/{name}");
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("SKIPPED: ../shared/samples absent ({path})");
            return None;
        };
        let decoded = text::decode(&bytes, None);
        assert!(sniff(&decoded.text), "{name} not sniffed");
        Some(parse(&decoded.text).unwrap_or_else(|e| panic!("{name}: {e}")))
    }

    /// What `reg export` writes: UTF-16LE, BOM, CRLF.
    fn utf16le_bom_crlf(lines: &[&str]) -> Vec<u8> {
        let text = lines.join("\r\n");
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        bytes
    }

    fn data<'a>(file: &'a RegFile, key: &str, name: &str) -> &'a RegData {
        &file
            .value(key, name)
            .unwrap_or_else(|| panic!("{key} / {name} missing"))
            .1
            .data
    }

    const CREDSSP: &str =
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP";

    #[test]
    fn every_sample_parses() {
        let Ok(dir) = std::fs::read_dir(SAMPLES) else {
            eprintln!("SKIPPED: ../shared/samples absent ({SAMPLES})");
            return;
        };
        let mut seen = 0;
        for entry in dir {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if !name.ends_with(".reg") {
                continue;
            }
            let file = sample(&name).unwrap();
            assert!(!file.keys.is_empty(), "{name}: no keys");
            seen += 1;
        }
        assert!(seen >= 9, "only {seen} samples");
    }

    #[test]
    fn sample_credssp_genuine_export() {
        let Some(f) = sample("nickneymos__CredSSP.reg") else {
            return;
        };
        assert_eq!(f.version, RegVersion::Regedit5);
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        assert_eq!(f.keys.len(), 2);
        // The parent is exported as a header alone.
        let parent = f.key(CREDSSP).unwrap();
        assert!(parent.values.is_empty());
        assert_eq!(parent.line, 3);
        let (key, value) = f
            .value(
                r"HKLM\software\microsoft\windows\currentversion\policies\system\credssp\Parameters\",
                "allowencryptionoracle",
            )
            .unwrap();
        assert_eq!(value.data, RegData::Dword(2));
        assert_eq!(value.name, "AllowEncryptionOracle");
        assert_eq!(value.line, 6);
        assert_eq!(key.line, 5);
        assert_eq!(value.data.display(), "0x00000002 (2)");
        assert_eq!(value.data.type_name(), "REG_DWORD");
        assert_eq!(f.keys_under(CREDSSP).count(), 2);
    }

    #[test]
    fn sample_credssp_utf8_lf_with_default_value() {
        let Some(f) = sample("ducbo__rdp-credssp.reg") else {
            return;
        };
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let params = format!(r"{CREDSSP}\Parameters");
        assert_eq!(data(&f, &params, ""), &RegData::Sz(String::new()));
        assert_eq!(data(&f, &params, "AllowEncryptionOracle").as_u32(), Some(2));
    }

    #[test]
    fn sample_rdp_settings_with_comments_and_control_set_alias() {
        let Some(f) = sample("greg-chuchro__RDP.reg") else {
            return;
        };
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let ts = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
        assert_eq!(data(&f, ts, "fDenyTSConnections"), &RegData::Dword(0));
        // Written as CurrentControlSet, found as ControlSet001 too (no Select key: 1).
        let via_001 = r"HKLM\SYSTEM\ControlSet001\Control\Terminal Server\WinStations\RDP-Tcp";
        assert_eq!(data(&f, via_001, "UserAuthentication"), &RegData::Dword(0));
        assert!(f.value(via_001, "fDenyTSConnections").is_none());
        assert_eq!(f.keys_under(r"HKLM\SYSTEM\ControlSet001").count(), 2);
        assert!(f.key(r"HKLM\SYSTEM\ControlSet002\Control").is_none());
        let client =
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\Client";
        assert_eq!(data(&f, client, "fClientDisableUDP").as_u32(), Some(1));
    }

    /// Every (name, data) pair of a single-key sample, for comparing the two formats.
    fn values_of(f: &RegFile) -> Vec<(String, RegData)> {
        f.keys[0]
            .values
            .iter()
            .map(|v| (v.name.clone(), v.data.clone()))
            .collect()
    }

    #[test]
    fn sample_complex_regedit5_every_type() {
        let Some(f) = sample("mtkennerly__complex-regedit5.reg") else {
            return;
        };
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let k = r"HKCU\Software\regashii\complex";
        assert_eq!(
            data(&f, k, "binary-a-b"),
            &RegData::Binary(vec![0x61, 0x62])
        );
        assert_eq!(data(&f, k, "dword-255"), &RegData::Dword(255));
        assert_eq!(data(&f, k, "expand-sz"), &RegData::ExpandSz(String::new()));
        assert_eq!(data(&f, k, "expand-sz-a"), &RegData::ExpandSz("a".into()));
        assert_eq!(data(&f, k, "multi-sz"), &RegData::MultiSz(vec![]));
        assert_eq!(
            data(&f, k, "multi-sz-a-b"),
            &RegData::MultiSz(vec!["a".into(), "b".into()])
        );
        assert_eq!(data(&f, k, "qword-0"), &RegData::Qword(0));
        assert_eq!(data(&f, k, "qword-255"), &RegData::Qword(255));
        assert_eq!(data(&f, k, "qword-255").as_u32(), Some(255));
        assert_eq!(
            data(&f, k, r#"sz-sp\ec"ial"#),
            &RegData::Sz(r#"sp\ec"ial"#.into())
        );
        assert_eq!(f.keys[0].values.len(), 13);
    }

    #[test]
    fn sample_regedit4_single_byte_strings_match_regedit5() {
        let (Some(v4), Some(v5)) = (
            sample("mtkennerly__complex-regedit4.reg"),
            sample("mtkennerly__complex-regedit5.reg"),
        ) else {
            return;
        };
        assert_eq!(v4.version, RegVersion::Regedit4);
        assert!(v4.warnings.is_empty(), "{:?}", v4.warnings);
        assert_eq!(values_of(&v4), values_of(&v5));
    }

    #[test]
    fn sample_japanese_names_and_utf16_hex() {
        let Some(f) = sample("mtkennerly__japanese-regedit5.reg") else {
            return;
        };
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let k = "HKEY_CURRENT_USER\\Software\\regashii\\日本語";
        assert_eq!(f.key(k).unwrap().path, k);
        assert_eq!(data(&f, k, "sz-あ"), &RegData::Sz("あ".into()));
        assert_eq!(data(&f, k, "expand-sz"), &RegData::ExpandSz("あ".into()));
        assert_eq!(
            data(&f, k, "multi-sz-1"),
            &RegData::MultiSz(vec!["あ".into()])
        );
        assert_eq!(
            data(&f, k, "multi-sz-2"),
            &RegData::MultiSz(vec!["あ".into(), "い".into()])
        );
    }

    #[test]
    fn sample_hand_edited_comment_and_deletions() {
        let Some(f) = sample("mtkennerly__simple-regedit5.reg") else {
            return;
        };
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let k = r"HKEY_CURRENT_USER\Software\regashii\simple";
        assert_eq!(data(&f, k, ""), &RegData::Sz("default".into()));
        assert_eq!(data(&f, k, "dword-1"), &RegData::Dword(1));
        assert!(f.value(k, "remove").is_none());
        let raw = f.keys[0]
            .values
            .iter()
            .find(|v| v.name == "remove")
            .unwrap();
        assert_eq!(raw.data, RegData::Deleted);
        let removed = f.key(r"hkcu\software\regashii\remove").unwrap();
        assert!(removed.deleted);
        assert_eq!(removed.line, 11);
    }

    #[test]
    fn sample_repeated_keys_merge_case_insensitively() {
        let Some(f) = sample("mtkennerly__repetition-regedit5.reg") else {
            return;
        };
        let k = r"HKEY_CURRENT_USER\Software\regashii\REPEATED-KEY";
        // [..-Key] "foo", then [-..-key] wipes it, then two more sections add bar and baz.
        assert!(f.value(k, "foo").is_none());
        assert!(f.value(k, "skipped").is_none());
        assert_eq!(data(&f, k, "bar"), &RegData::Sz("2".into()));
        assert_eq!(data(&f, k, "BAZ"), &RegData::Sz("3".into()));
        let names: Vec<&str> = f.values(k).iter().map(|(_, v)| v.name.as_str()).collect();
        assert_eq!(names, ["bar", "baz"]);
        assert_eq!(
            f.key(k).unwrap().path,
            r"HKEY_CURRENT_USER\Software\regashii\repeated-keY"
        );
        assert_eq!(f.keys_under(k).count(), 4);
        // The value under [-key] is reported: import ignores it.
        assert_eq!(f.warnings.len(), 1);
        assert_eq!(f.warnings[0].line, Some(7));
        let v = r"HKEY_CURRENT_USER\Software\regashii\repeated-value";
        assert_eq!(data(&f, v, "FOO"), &RegData::Sz("3".into()));
        assert_eq!(f.values(v).len(), 1);
    }

    #[test]
    fn sample_utf16_with_lf_line_ends() {
        let Some(f) = sample("mtkennerly__sample-utf16-lf.reg") else {
            return;
        };
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let k = r"HKCU\Software\Foo";
        assert_eq!(data(&f, k, "").as_str(), Some("some string"));
        assert_eq!(data(&f, k, "this is a dword"), &RegData::Dword(0xff));
    }

    #[test]
    fn utf16le_bom_crlf_export_through_decode() {
        let bytes = utf16le_bom_crlf(&[
            "Windows Registry Editor Version 5.00",
            "",
            r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp]",
            r#""PortNumber"=dword:00000d3d"#,
            r#""SecurityLayer"=dword:00000002"#,
            r#""SSLCertificateSHA1Hash"=hex:3f,2a,9b,00,11,22,33,44,55,66,77,88,99,aa,bb,cc,\"#,
            "  dd,ee,ff,01",
            r#""Bezeichnung"="Verbindung für Müller""#,
            "",
            "",
        ]);
        let decoded = text::decode(&bytes, None);
        assert_eq!(decoded.encoding, "UTF-16LE");
        assert!(sniff(&decoded.text));
        let f = parse(&decoded.text).unwrap();
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let k = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp";
        assert_eq!(data(&f, k, "PortNumber").as_u32(), Some(3389));
        let (_, hash) = f.value(k, "SSLCertificateSHA1Hash").unwrap();
        assert_eq!(hash.line, 6);
        match &hash.data {
            RegData::Binary(b) => {
                assert_eq!(b.len(), 20);
                assert_eq!(b.first(), Some(&0x3f));
                assert_eq!(b.last(), Some(&0x01));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            data(&f, k, "bezeichnung").as_str(),
            Some("Verbindung für Müller")
        );
        assert_eq!(f.value(k, "Bezeichnung").unwrap().1.line, 8);
    }

    #[test]
    fn sniff_accepts_only_headers() {
        assert!(sniff("\u{feff}Windows Registry Editor Version 5.00\r\n"));
        assert!(sniff("\n\r\n  REGEDIT4  \n[HKEY_CURRENT_USER]"));
        assert!(sniff("windows registry editor version 5.00 ; exported"));
        assert!(!sniff(""));
        assert!(!sniff("Windows Registry Editor Version 6.00\r\n"));
        assert!(!sniff("[HKEY_CURRENT_USER\\x]\r\n\"a\"=\"b\""));
        assert!(!sniff("; comment\r\nREGEDIT4\r\n"));
    }

    #[test]
    fn no_header_is_an_error() {
        let err = parse("hello\n[HKEY_CURRENT_USER\\x]\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(parse("").is_err());
        assert!(parse("\r\n\r\n").is_err());
        assert!(parse("\u{feff}").is_err());
    }

    #[test]
    fn header_only_and_empty_keys() {
        let f = parse("Windows Registry Editor Version 5.00\r\n\r\n").unwrap();
        assert!(f.keys.is_empty() && f.warnings.is_empty());
        let f = parse("REGEDIT4\n\n[HKEY_USERS\\.DEFAULT]\n\n[HKEY_USERS\\S-1-5-18]\n").unwrap();
        assert_eq!(f.keys.len(), 2);
        assert!(f.key("HKU\\.default").unwrap().values.is_empty());
        assert!(f.value("HKU\\.default", "").is_none());
    }

    #[test]
    fn utf8_lf_continuations_and_every_hex_type() {
        let text = "Windows Registry Editor Version 5.00\n\n\
            [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\TermService]\n\
            \"ImagePath\"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,\\\n  \
            74,00,25,00,5c,00,53,00,79,00,73,00,74,00,65,00,6d,00,33,00,32,00,5c,00,73,\\\n  \
            00,76,00,63,00,68,00,6f,00,73,00,74,00,2e,00,65,00,78,00,65,00,00,00\n\
            \"DependOnService\"=hex(7):52,00,50,00,43,00,53,00,53,00,00,00,00,00\n\
            \"RequiredPrivileges\"=hex(7):53,00,65,00,00,00,00,00,44,00,00,00,00,00\n\
            \"Empty\"=hex:\n\
            \"Nothing\"=hex(0):\n\
            \"Text\"=hex(1):61,00,0a,00,62,00,00,00\n\
            \"Le\"=hex(4):01,02,00,00\n\
            \"Be\"=hex(5):00,00,01,02\n\
            \"ShortDword\"=hex(4):00\n\
            \"Big\"=hex(b):00,00,00,00,01,00,00,00\n\
            \"Link\"=hex(6):41,00\n\
            \"DevProp\"=hex(ffff0012):01\n\
            \"Upper\"=HEX(B):FF,00,00,00,00,00,00,00\n\
            \"Short\"=dword:1\n";
        let f = parse(text).unwrap();
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let k = r"HKLM\SYSTEM\CurrentControlSet\Services\TermService";
        let (_, image) = f.value(k, "ImagePath").unwrap();
        assert_eq!(
            image.data,
            RegData::ExpandSz(r"%SystemRoot%\System32\svchost.exe".into())
        );
        assert_eq!(image.line, 4);
        assert_eq!(f.value(k, "DependOnService").unwrap().1.line, 7);
        assert_eq!(
            data(&f, k, "DependOnService").as_multi(),
            Some(&["RPCSS".to_string()][..])
        );
        // Most Windows readers stop a multi-string at the first empty string; the strings
        // after it are kept for lists of pairs (PendingFileRenameOperations).
        assert_eq!(
            data(&f, k, "RequiredPrivileges").as_multi(),
            Some(&["Se".to_string()][..])
        );
        assert_eq!(
            data(&f, k, "RequiredPrivileges"),
            &RegData::MultiSz(vec!["Se".into(), String::new(), "D".into()])
        );
        assert_eq!(data(&f, k, "Empty"), &RegData::Binary(vec![]));
        assert_eq!(data(&f, k, "Empty").display(), "(empty)");
        assert_eq!(data(&f, k, "Nothing"), &RegData::None(vec![]));
        assert_eq!(data(&f, k, "Text"), &RegData::Sz("a\nb".into()));
        assert_eq!(data(&f, k, "Le"), &RegData::Dword(0x201));
        assert_eq!(data(&f, k, "Be"), &RegData::DwordBigEndian(0x102));
        assert_eq!(data(&f, k, "Be").as_u32(), Some(0x102));
        let short = data(&f, k, "ShortDword");
        assert_eq!(
            short,
            &RegData::Other {
                kind: 4,
                bytes: vec![0]
            }
        );
        assert_eq!(short.type_name(), "REG_DWORD");
        assert_eq!(short.as_u32(), None);
        assert_eq!(data(&f, k, "Big"), &RegData::Qword(1 << 32));
        assert_eq!(data(&f, k, "Big").as_u32(), None);
        assert_eq!(data(&f, k, "Big").as_u64(), Some(1 << 32));
        assert_eq!(
            data(&f, k, "Big").display(),
            "0x0000000100000000 (4294967296)"
        );
        assert_eq!(data(&f, k, "Link").type_name(), "REG_LINK");
        assert_eq!(
            data(&f, k, "DevProp"),
            &RegData::Other {
                kind: 0xffff0012,
                bytes: vec![1]
            }
        );
        assert_eq!(data(&f, k, "DevProp").type_name(), "REG_UNKNOWN");
        assert_eq!(data(&f, k, "Upper"), &RegData::Qword(255));
        assert_eq!(data(&f, k, "Short"), &RegData::Dword(1));
    }

    #[test]
    fn regedit4_single_byte_strings() {
        let text = "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\Software\\Test]\r\n\
            \"Path\"=hex(2):25,77,69,6e,64,69,72,25,5c,e9,00\r\n\
            \"List\"=hex(7):6f,6e,65,00,74,77,6f,00,00\r\n\
            \"Sz\"=hex(1):68,69,00\r\n";
        let f = parse(text).unwrap();
        assert_eq!(f.version, RegVersion::Regedit4);
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let k = r"HKLM\Software\Test";
        assert_eq!(data(&f, k, "Path").as_str(), Some("%windir%\\é"));
        assert_eq!(
            data(&f, k, "List"),
            &RegData::MultiSz(vec!["one".into(), "two".into()])
        );
        assert_eq!(data(&f, k, "Sz"), &RegData::Sz("hi".into()));
        // The same bytes in a version 5 file are UTF-16 code units.
        let v5 = parse("Windows Registry Editor Version 5.00\n[HKEY_CURRENT_USER\\T]\n\"Sz\"=hex(1):68,69,00\n")
            .unwrap();
        assert_eq!(data(&v5, r"HKCU\T", "Sz"), &RegData::Sz("\u{6968}".into()));
        assert_eq!(v5.warnings.len(), 1, "odd UTF-16 length is reported");
    }

    #[test]
    fn escapes_in_names_and_data_but_not_in_key_names() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_CURRENT_USER\\Software\\Odd \"Quoted\" [x] Key]\r\n\
            \"a \\\"b\\\" c\\\\d\"=\"C:\\\\Program Files\\\\\\\"x\\\"\"\r\n\
            \"eq=sign;semi\"=\"val;ue\" ; trailing comment\r\n\
            \"typed\"=\"C:\\Windows\"\r\n\
            \"@\"=\"named at\"\r\n\
            @ = \"default\"\r\n";
        let f = parse(text).unwrap();
        let k = "HKEY_CURRENT_USER\\Software\\Odd \"Quoted\" [x] Key";
        assert_eq!(f.keys[0].path, k);
        assert_eq!(
            data(&f, k, "a \"b\" c\\d").as_str(),
            Some("C:\\Program Files\\\"x\"")
        );
        assert_eq!(data(&f, k, "eq=sign;semi").as_str(), Some("val;ue"));
        // Hand-typed single backslash: kept, and reported.
        assert_eq!(data(&f, k, "typed").as_str(), Some("C:\\Windows"));
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        assert_eq!(f.warnings[0].line, Some(6));
        assert_eq!(data(&f, k, "@").as_str(), Some("named at"));
        assert_eq!(data(&f, k, "").as_str(), Some("default"));
    }

    #[test]
    fn deletions_apply_in_file_order() {
        let text = "Windows Registry Editor Version 5.00\n\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\n\
            \"fDenyTSConnections\"=dword:00000001\n\
            \"UserAuthentication\"=dword:00000001\n\
            \"fDenyTSConnections\"=-\n\n\
            [-HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT]\n\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\Client]\n\
            \"fClientDisableUDP\"=dword:00000001\n\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\n\
            \"MinEncryptionLevel\"=dword:00000003\n";
        let f = parse(text).unwrap();
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let ts = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
        assert!(f.value(ts, "fDenyTSConnections").is_none());
        // Set before the parent was deleted: gone.
        assert!(f.value(ts, "UserAuthentication").is_none());
        // Set after the deletion: present.
        assert_eq!(
            data(&f, &format!(r"{ts}\Client"), "fClientDisableUDP").as_u32(),
            Some(1)
        );
        assert_eq!(data(&f, ts, "MinEncryptionLevel").as_u32(), Some(3));
        let names: Vec<&str> = f.values(ts).iter().map(|(_, v)| v.name.as_str()).collect();
        assert_eq!(names, ["MinEncryptionLevel"]);
        let deleted = f
            .key(r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT")
            .unwrap();
        assert!(deleted.deleted);
        assert_eq!(deleted.line, 8);
        assert_eq!(f.keys_under(r"HKLM\SOFTWARE\Policies\Microsoft").count(), 4);
        assert_eq!(
            f.keys_under(r"HKLM\SOFTWARE\Policies\Microsoft\Windows N")
                .count(),
            0
        );
    }

    #[test]
    fn garbage_lines_are_warnings_and_the_rest_still_parses() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n\
            \"orphan\"=dword:00000001\r\n\
            [HKEY_CURRENT_USER\\A]\r\n\
            this is not a registry line\r\n\
            \"ok1\"=dword:00000001\r\n\
            \"bad-dword\"=dword:123456789\r\n\
            \"bad-trail\"=dword:00000000\\\r\n\
            \"bad-hex\"=hex:zz,01\r\n\
            \"bad-type\"=hex(q):01\r\n\
            \"no-eq\" dword:00000001\r\n\
            \"unterminated=\"x\r\n\
            \"unterminated-data\"=\"abc\r\n\
            \"junk-after\"=\"abc\" def\r\n\
            \"qword\"=qword:0000000000000001\r\n\
            [HKEY_CURRENT_USER\\Broken\r\n\
            \"lost\"=dword:00000001\r\n\
            [NOT_A_ROOT\\x]\r\n\
            []\r\n\
            [HKEY_CURRENT_USER\\B]\r\n\
            \"ok2\"=\"yes\"\r\n\
            [HKCU\\B]\r\n\
            \"ok3\"=dword:00000003\r\n";
        let f = parse(text).unwrap();
        assert_eq!(data(&f, r"HKCU\A", "ok1").as_u32(), Some(1));
        assert_eq!(data(&f, r"HKCU\B", "ok2").as_str(), Some("yes"));
        assert_eq!(f.values(r"HKCU\A").len(), 1);
        assert!(f.key(r"HKCU\Broken").is_none());
        assert_eq!(data(&f, r"HKEY_CURRENT_USER\B", "ok3").as_u32(), Some(3));
        assert!(
            f.warnings[15].message.contains("abbreviated"),
            "{}",
            f.warnings[15]
        );
        let lines: Vec<Option<usize>> = f.warnings.iter().map(|w| w.line).collect();
        assert_eq!(
            lines,
            [3, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 22]
                .map(Some)
                .to_vec()
        );
        assert!(
            f.warnings[0].message.contains("outside"),
            "{}",
            f.warnings[0]
        );
    }

    #[test]
    fn interrupted_and_truncated_continuations() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_CURRENT_USER\\C]\r\n\
            \"cut\"=hex:01,02,\\\r\n\
            \"next\"=dword:00000005\r\n\
            \"comments\"=hex:00,\\\r\n  01,\\ ; blah\r\n  02 ; end\r\n\
            \"bad-then-more\"=hex:0g,\\\r\n  01,02\r\n\
            \"tail\"=hex(7):61,00,62,00,\\\r\n  00,00,";
        let f = parse(text).unwrap();
        let k = r"HKCU\C";
        assert!(f.value(k, "cut").is_none());
        assert_eq!(data(&f, k, "next").as_u32(), Some(5));
        assert_eq!(data(&f, k, "comments"), &RegData::Binary(vec![0, 1, 2]));
        assert!(f.value(k, "bad-then-more").is_none());
        // The last value ends the file mid-list without its final line: still complete bytes
        // (the trailing comma is harmless), so it is kept.
        assert_eq!(data(&f, k, "tail"), &RegData::MultiSz(vec!["ab".into()]));
        let lines: Vec<Option<usize>> = f.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(4), Some(9)]);

        // Truncated right after the continuation mark.
        let truncated = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_CURRENT_USER\\C]\r\n\
            \"ok\"=dword:00000001\r\n\
            \"blob\"=hex:01,02,\\\r\n  03,04,\\\r\n";
        let f = parse(truncated).unwrap();
        assert_eq!(data(&f, k, "ok").as_u32(), Some(1));
        assert!(f.value(k, "blob").is_none());
        assert_eq!(f.warnings.len(), 1);
        assert_eq!(f.warnings[0].line, Some(6));
        assert!(f.warnings[0].message.contains("truncated"));
    }

    #[test]
    fn control_set_alias_follows_select_current() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\r\n\
            \"Current\"=dword:00000002\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Control\\Lsa]\r\n\
            \"LmCompatibilityLevel\"=dword:00000005\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa]\r\n\
            \"LmCompatibilityLevel\"=dword:00000001\r\n";
        let f = parse(text).unwrap();
        let ccs = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
        assert_eq!(data(&f, ccs, "LmCompatibilityLevel").as_u32(), Some(5));
        assert_eq!(f.keys_under(r"HKLM\SYSTEM\CurrentControlSet").count(), 1);
        assert_eq!(f.key(ccs).unwrap().line, 6);
    }

    #[test]
    fn normalized_paths() {
        assert_eq!(
            normalize_key_path(r"HKLM\Software\Microsoft\"),
            r"HKEY_LOCAL_MACHINE\SOFTWARE\MICROSOFT"
        );
        assert_eq!(normalize_key_path("hkcu"), "HKEY_CURRENT_USER");
        assert_eq!(normalize_key_path(r"HKCR:\.rdp"), r"HKEY_CLASSES_ROOT\.RDP");
        assert_eq!(normalize_key_path(r"HKU\S-1-5-18"), r"HKEY_USERS\S-1-5-18");
        assert_eq!(
            normalize_key_path(r"HKCC\System"),
            r"HKEY_CURRENT_CONFIG\SYSTEM"
        );
        assert_eq!(
            normalize_key_path(r"Computer\HKEY_LOCAL_MACHINE\SYSTEM"),
            r"HKEY_LOCAL_MACHINE\SYSTEM"
        );
        assert_eq!(
            normalize_key_path(r"Ordinateur\HKLM\SYSTEM"),
            r"HKEY_LOCAL_MACHINE\SYSTEM"
        );
        assert_eq!(
            normalize_key_path("HKCU\\日本語"),
            "HKEY_CURRENT_USER\\日本語"
        );
        assert_eq!(normalize_key_path(""), "");
    }

    #[test]
    fn display_renderings() {
        assert_eq!(RegData::Dword(1).display(), "0x00000001 (1)");
        assert_eq!(RegData::Sz("text".into()).display(), "\"text\"");
        assert_eq!(
            RegData::MultiSz(vec!["a".into(), "b".into()]).display(),
            "[\"a\", \"b\"]"
        );
        assert_eq!(RegData::Binary(vec![0x61, 0x0a]).display(), "61 0a");
        let long = RegData::Binary(vec![0; 40]).display();
        assert!(long.ends_with("… (40 bytes)"), "{long}");
        let s = RegData::Sz("x".repeat(500)).display();
        assert!(s.ends_with("(500 chars)") && s.len() < 200, "{s}");
        assert_eq!(RegData::Deleted.display(), "(deleted)");
        assert_eq!(RegData::Deleted.type_name(), "(deleted)");
        assert_eq!(RegData::Sz(" 2 ".into()).as_u32(), Some(2));
        assert_eq!(RegData::Sz("two".into()).as_u32(), None);
        assert_eq!(RegData::ExpandSz("1".into()).as_u32(), None);
        assert_eq!(RegData::Qword(u64::MAX).as_u32(), None);
    }

    #[test]
    fn concatenated_exports_and_stray_boms() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_CURRENT_USER\\A]\r\n\"x\"=dword:00000001\r\n\r\n\
            \u{feff}Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_CURRENT_USER\\A]\r\n\"x\"=dword:00000002\r\n";
        let f = parse(text).unwrap();
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        assert_eq!(data(&f, r"HKCU\A", "x").as_u32(), Some(2));
        assert_eq!(f.value(r"HKCU\A", "x").unwrap().0.line, 8);
    }

    #[test]
    fn warnings_are_bounded() {
        let mut text = String::from("REGEDIT4\n");
        for _ in 0..5000 {
            text.push_str("garbage\n");
        }
        let f = parse(&text).unwrap();
        assert_eq!(f.warnings.len(), MAX_WARNINGS + 1);
        assert!(f.warnings[MAX_WARNINGS].message.contains("4000 more"));
    }

    #[test]
    fn large_export_parses_linearly() {
        // 200k values across 2k keys, with wrapped hex like a big `reg export HKLM\SYSTEM`.
        let mut text = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
        for k in 0..2000 {
            text.push_str(&format!("[HKEY_LOCAL_MACHINE\\SYSTEM\\Big\\K{k}]\r\n"));
            for v in 0..100 {
                if v % 2 == 0 {
                    text.push_str(&format!("\"V{v}\"=dword:{v:08x}\r\n"));
                } else {
                    text.push_str(&format!(
                        "\"V{v}\"=hex:01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,17,\\\r\n  18,19\r\n"
                    ));
                }
            }
            text.push_str("\r\n");
        }
        let f = parse(&text).unwrap();
        assert!(f.warnings.is_empty());
        assert_eq!(
            f.keys.iter().map(|k| k.values.len()).sum::<usize>(),
            200_000
        );
        assert_eq!(data(&f, r"HKLM\SYSTEM\Big\K1999", "V98").as_u32(), Some(98));
        assert_eq!(f.keys_under(r"HKLM\SYSTEM\Big").count(), 2000);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let inputs = [
            "REGEDIT4\n[",
            "REGEDIT4\n[-",
            "REGEDIT4\n[-]",
            "REGEDIT4\n[]]",
            "REGEDIT4\n\"",
            "REGEDIT4\n\"\\",
            "REGEDIT4\n@",
            "REGEDIT4\n[HKEY_CURRENT_USER]\n@=",
            "REGEDIT4\n[HKEY_CURRENT_USER]\n\"a\"=hex(",
            "REGEDIT4\n[HKEY_CURRENT_USER]\n\"a\"=hex(7",
            "REGEDIT4\n[HKEY_CURRENT_USER]\n\"a\"=hex(fffffffff):00",
            "REGEDIT4\n[HKEY_CURRENT_USER]\n\"a\"=hex:\\",
            "REGEDIT4\n[HKEY_CURRENT_USER]\n\"a\"=dword:",
            "REGEDIT4\n[HKEY_CURRENT_USER]\n\"é\"=dwordé",
            "REGEDIT4\n[HKEY_CURRENT_USER]\n\"a\"=\"\\\u{1F600}\"",
            "REGEDIT4\r[HKEY_CURRENT_USER]\r\"a\"=-;",
            "Windows Registry Editor Version 5.00\n[HKEY_CURRENT_USER]\n\"a\"=hex(2):00,d8",
        ];
        for input in inputs {
            let f = parse(input).unwrap();
            let _ = f.value("HKCU", "a");
            let _ = f.keys_under("").count();
        }
    }
}

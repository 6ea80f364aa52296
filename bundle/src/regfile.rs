//! Writes registry trees in the format of `reg export` / regedit ("Windows Registry Editor
//! Version 5.00"): UTF-16LE with a BOM, CRLF line ends, a blank line before every key and at the
//! end.
//!
//! Support staff open these files in an editor and double-click them into a lab machine, and the
//! analyzer parses them, so they must look exactly like what Windows writes:
//!
//! * `"name"="text"` for REG_SZ, with `\` and `"` escaped as `\\` and `\"`; `@=` for the default
//!   value;
//! * `dword:%08x` for REG_DWORD; every other type as comma-separated hex bytes: `hex:` for
//!   REG_BINARY, `hex(N):` (N in lower-case hex) otherwise, so REG_QWORD is `hex(b):` and
//!   REG_NONE `hex(0):`;
//! * long hex data wrapped the way regedit wraps it: once a line reaches 77 columns after a comma,
//!   a `\` ends it and the next line starts with two spaces (see [`MAX_HEX_COLUMNS`]).
//!
//! The value bytes are written as stored, never reinterpreted. Where the text forms would lose
//! bytes (a REG_SZ without its terminating NUL, with an odd length, an embedded NUL or a line
//! break; a REG_DWORD that is not 4 bytes long), the value is written as `hex(1):` / `hex(4):`
//! instead, which regedit imports back bit for bit. For well-formed data the output is identical to
//! `reg export` (the Wine end-to-end test byte-compares the two).

/// Registry value types (`winnt.h`), as the raw numbers the API returns.
pub const REG_NONE: u32 = 0;
pub const REG_SZ: u32 = 1;
pub const REG_EXPAND_SZ: u32 = 2;
pub const REG_BINARY: u32 = 3;
pub const REG_DWORD: u32 = 4;
pub const REG_DWORD_BIG_ENDIAN: u32 = 5;
pub const REG_LINK: u32 = 6;
pub const REG_MULTI_SZ: u32 = 7;
pub const REG_QWORD: u32 = 11;

/// First line of every regedit 5 export.
pub const HEADER: &str = "Windows Registry Editor Version 5.00";

/// Column count after which regedit ends a hex line with `,\`. It checks after writing each
/// `xx,`, so a line may reach 79 columns plus the backslash.
pub const MAX_HEX_COLUMNS: usize = 77;

/// One registry value exactly as `RegEnumValueW` returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegValue {
    /// Value name; empty for the default value (`@`).
    pub name: String,
    /// Raw type number (`REG_*`); unknown numbers are kept as they are.
    pub kind: u32,
    /// Raw data bytes, not reinterpreted.
    pub data: Vec<u8>,
}

/// One key with its values and subkeys, in the order the API enumerated them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegKey {
    /// Full path as `reg export` names it: `HKEY_LOCAL_MACHINE\SYSTEM\...`.
    pub path: String,
    pub values: Vec<RegValue>,
    pub subkeys: Vec<RegKey>,
}

impl RegKey {
    /// A key with no values and no subkeys.
    pub fn new(path: impl Into<String>) -> Self {
        RegKey {
            path: path.into(),
            values: Vec::new(),
            subkeys: Vec::new(),
        }
    }
}

/// Builds a `.reg` file in memory as UTF-16 code units; [`RegFileWriter::finish`] returns bytes.
///
/// Works on code units rather than `String` so that line lengths are counted the way regedit
/// counts them (UTF-16 units) and data is copied unit for unit (lone surrogates survive).
pub struct RegFileWriter {
    units: Vec<u16>,
}

impl Default for RegFileWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl RegFileWriter {
    /// Starts a file with the BOM and the version header.
    pub fn new() -> Self {
        let mut w = RegFileWriter { units: Vec::new() };
        w.units.push(0xFEFF);
        w.push_str(HEADER);
        w.push_str("\r\n");
        w
    }

    fn push_str(&mut self, s: &str) {
        self.units.extend(s.encode_utf16());
    }

    /// Starts a key section: a blank line, then `[path]`. Key names are not escaped.
    pub fn key(&mut self, path: &str) {
        self.push_str("\r\n[");
        self.push_str(path);
        self.push_str("]\r\n");
    }

    /// Writes one value line (possibly wrapped over several lines for hex data).
    pub fn value(&mut self, name: &str, kind: u32, data: &[u8]) {
        let name_len = self.value_name(name);
        match kind {
            REG_SZ => match canonical_string(data) {
                Some(text) => self.string_data(&text),
                None => self.hex_data(name_len, kind, data),
            },
            REG_DWORD if data.len() == 4 => {
                let v = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
                self.push_str(&format!("dword:{v:08x}"));
            }
            _ => self.hex_data(name_len, kind, data),
        }
        self.push_str("\r\n");
    }

    /// Writes a `; comment` line for each line of `text` (regedit and `reg import` skip them).
    /// Line breaks inside `text` start new comment lines, so no text can become a key or value.
    pub fn comment(&mut self, text: &str) {
        for line in text.lines() {
            self.push_str(";");
            if !line.is_empty() {
                self.push_str(" ");
                self.push_str(&line.replace('\r', " "));
            }
            self.push_str("\r\n");
        }
    }

    /// Writes `"name"=-` (or `@=-`): importing the file deletes the value.
    pub fn deleted_value(&mut self, name: &str) {
        self.value_name(name);
        self.push_str("-\r\n");
    }

    /// Writes `"escaped name"=` or `@=` and returns its length in UTF-16 units.
    fn value_name(&mut self, name: &str) -> usize {
        if name.is_empty() {
            self.push_str("@=");
            return 2;
        }
        let start = self.units.len();
        self.units.push(u16::from(b'"'));
        let units: Vec<u16> = name.encode_utf16().collect();
        self.escaped(&units);
        self.push_str("\"=");
        self.units.len() - start
    }

    /// Copies `units` escaping `\`, `"` and (as `reg export` does in names) CR and LF.
    fn escaped(&mut self, units: &[u16]) {
        for &u in units {
            match u {
                0x5C => self.push_str("\\\\"),
                0x22 => self.push_str("\\\""),
                0x0D => self.push_str("\\r"),
                0x0A => self.push_str("\\n"),
                _ => self.units.push(u),
            }
        }
    }

    fn string_data(&mut self, text: &[u16]) {
        self.units.push(u16::from(b'"'));
        self.escaped(text);
        self.units.push(u16::from(b'"'));
    }

    /// `hex:`/`hex(N):` then the bytes, wrapped as regedit wraps them. `line_len` is the length
    /// of the name part already on the line.
    fn hex_data(&mut self, name_len: usize, kind: u32, data: &[u8]) {
        let prefix = if kind == REG_BINARY {
            "hex:".to_string()
        } else {
            format!("hex({kind:x}):")
        };
        self.push_str(&prefix);
        let mut line_len = name_len + prefix.len();
        let last = data.len().saturating_sub(1);
        for (i, byte) in data.iter().enumerate() {
            self.push_str(&format!("{byte:02x}"));
            if i == last {
                break;
            }
            self.push_str(",");
            line_len += 3;
            if line_len >= MAX_HEX_COLUMNS {
                self.push_str("\\\r\n  ");
                line_len = 2;
            }
        }
    }

    /// Ends the file (the final blank line) and returns UTF-16LE bytes, BOM included.
    pub fn finish(mut self) -> Vec<u8> {
        self.push_str("\r\n");
        let mut bytes = Vec::with_capacity(self.units.len() * 2);
        for u in self.units {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        bytes
    }
}

/// The code units of a REG_SZ whose text form `"..."` would import back to exactly `data`:
/// an even length, one terminating NUL at the end and no other, and no CR or LF (which `reg
/// export` and regedit do not write back faithfully). `None` means: write it as `hex(1):`.
pub fn canonical_string(data: &[u8]) -> Option<Vec<u16>> {
    if data.len() < 2 || !data.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let (last, text) = units.split_last()?;
    if *last != 0 || text.iter().any(|&u| u == 0 || u == 0x0D || u == 0x0A) {
        return None;
    }
    Some(text.to_vec())
}

/// Writes a whole tree, each key followed by its values, then its subkeys in order (the order
/// `reg export` uses).
pub fn write_tree(root: &RegKey) -> Vec<u8> {
    let mut w = RegFileWriter::new();
    write_key(&mut w, root);
    w.finish()
}

fn write_key(w: &mut RegFileWriter, key: &RegKey) {
    w.key(&key.path);
    for v in &key.values {
        w.value(&v.name, v.kind, &v.data);
    }
    for sub in &key.subkeys {
        write_key(w, sub);
    }
}

/// Data written in place of a redacted value (as a REG_SZ).
pub const REDACTED_TEXT: &str = "<redacted by rdp-collect>";

/// Replaces the data of every value whose name mentions a password with the REG_SZ
/// [`REDACTED_TEXT`], in `key` and below; returns the redacted values as `key path\name`.
///
/// Winlogon keeps the auto-logon password in clear text in `DefaultPassword` (when it is not
/// an LSA secret), and a WinStation can hold a `Password` value: a support bundle must not
/// carry either. Values whose data is empty or all NUL stay as they are: they reveal nothing
/// and show that no password is set, which the analyzer may care about.
pub fn redact_passwords(key: &mut RegKey) -> Vec<String> {
    let mut redacted = Vec::new();
    redact_in(key, &mut redacted);
    redacted
}

fn redact_in(key: &mut RegKey, redacted: &mut Vec<String>) {
    for v in &mut key.values {
        let secret = v.name.to_ascii_lowercase().contains("password");
        if secret && v.data.iter().any(|&b| b != 0) {
            v.kind = REG_SZ;
            v.data = sz_bytes(REDACTED_TEXT);
            redacted.push(format!("{}\\{}", key.path, v.name));
        }
    }
    for sub in &mut key.subkeys {
        redact_in(sub, redacted);
    }
}

/// UTF-16LE bytes with a terminating NUL: how REG_SZ/REG_EXPAND_SZ data is stored.
pub fn sz_bytes(text: &str) -> Vec<u8> {
    let mut out: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    out.extend_from_slice(&[0, 0]);
    out
}

/// REG_MULTI_SZ data: each string NUL-terminated, then one more NUL.
pub fn multi_sz_bytes(items: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        out.extend(sz_bytes(item));
    }
    out.extend_from_slice(&[0, 0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16_text(bytes: &[u8]) -> String {
        assert_eq!(&bytes[..2], &[0xFF, 0xFE], "BOM");
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).unwrap()
    }

    fn export(key: &RegKey) -> String {
        utf16_text(&write_tree(key))
    }

    #[test]
    fn password_values_are_redacted_and_empty_ones_kept() {
        let winlogon = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon";
        let mut key = RegKey::new(winlogon);
        key.values.push(RegValue {
            name: "AutoAdminLogon".into(),
            kind: REG_SZ,
            data: sz_bytes("1"),
        });
        key.values.push(RegValue {
            name: "DefaultPassword".into(),
            kind: REG_SZ,
            data: sz_bytes("Winter2026!"),
        });
        let mut sub = RegKey::new(format!(r"{winlogon}\Sub"));
        sub.values.push(RegValue {
            name: "password".into(),
            kind: REG_BINARY,
            data: vec![1, 2, 3],
        });
        sub.values.push(RegValue {
            name: "AltDefaultPassword".into(),
            kind: REG_SZ,
            data: sz_bytes(""),
        });
        key.subkeys.push(sub);
        let redacted = redact_passwords(&mut key);
        assert_eq!(
            redacted,
            [
                format!(r"{winlogon}\DefaultPassword"),
                format!(r"{winlogon}\Sub\password")
            ]
        );
        let text = export(&key);
        assert!(!text.contains("Winter2026!"));
        assert!(text.contains("\r\n\"DefaultPassword\"=\"<redacted by rdp-collect>\"\r\n"));
        assert!(text.contains("\r\n\"password\"=\"<redacted by rdp-collect>\"\r\n"));
        assert!(text.contains("\r\n\"AutoAdminLogon\"=\"1\"\r\n"));
        assert!(text.contains("\r\n\"AltDefaultPassword\"=\"\"\r\n"));
    }

    fn one_value(name: &str, kind: u32, data: &[u8]) -> String {
        let mut k = RegKey::new(r"HKEY_CURRENT_USER\T");
        k.values.push(RegValue {
            name: name.into(),
            kind,
            data: data.to_vec(),
        });
        let text = export(&k);
        let line = text
            .strip_prefix("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\T]\r\n")
            .unwrap();
        line.strip_suffix("\r\n\r\n").unwrap().to_string()
    }

    /// The regashii fixture `complex-regedit5.reg` (a real regedit export), rebuilt value by value.
    #[test]
    fn matches_regedit_for_every_common_type() {
        let mut k = RegKey::new(r"HKEY_CURRENT_USER\Software\regashii\complex");
        let vals: Vec<(&str, u32, Vec<u8>)> = vec![
            ("binary-a", REG_BINARY, vec![0x61]),
            ("binary-a-b", REG_BINARY, vec![0x61, 0x62]),
            ("dword-0", REG_DWORD, 0u32.to_le_bytes().to_vec()),
            ("dword-255", REG_DWORD, 255u32.to_le_bytes().to_vec()),
            ("expand-sz", REG_EXPAND_SZ, sz_bytes("")),
            ("expand-sz-a", REG_EXPAND_SZ, sz_bytes("a")),
            ("multi-sz", REG_MULTI_SZ, vec![0, 0]),
            ("multi-sz-a", REG_MULTI_SZ, sz_bytes("a")),
            ("multi-sz-a-b", REG_MULTI_SZ, multi_sz_bytes(&["a", "b"])),
            ("qword-0", REG_QWORD, 0u64.to_le_bytes().to_vec()),
            ("qword-255", REG_QWORD, 255u64.to_le_bytes().to_vec()),
            ("sz-a", REG_SZ, sz_bytes("a")),
            (r#"sz-sp\ec"ial"#, REG_SZ, sz_bytes(r#"sp\ec"ial"#)),
        ];
        for (name, kind, data) in vals {
            k.values.push(RegValue {
                name: name.into(),
                kind,
                data,
            });
        }
        let expected = "Windows Registry Editor Version 5.00\r\n\r\n\
[HKEY_CURRENT_USER\\Software\\regashii\\complex]\r\n\
\"binary-a\"=hex:61\r\n\
\"binary-a-b\"=hex:61,62\r\n\
\"dword-0\"=dword:00000000\r\n\
\"dword-255\"=dword:000000ff\r\n\
\"expand-sz\"=hex(2):00,00\r\n\
\"expand-sz-a\"=hex(2):61,00,00,00\r\n\
\"multi-sz\"=hex(7):00,00\r\n\
\"multi-sz-a\"=hex(7):61,00,00,00\r\n\
\"multi-sz-a-b\"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n\
\"qword-0\"=hex(b):00,00,00,00,00,00,00,00\r\n\
\"qword-255\"=hex(b):ff,00,00,00,00,00,00,00\r\n\
\"sz-a\"=\"a\"\r\n\
\"sz-sp\\\\ec\\\"ial\"=\"sp\\\\ec\\\"ial\"\r\n\r\n";
        assert_eq!(export(&k), expected);
    }

    #[test]
    fn byte_identical_to_real_regedit_sample() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/samples/registry/mtkennerly__complex-regedit5.reg"
        );
        let Ok(real) = std::fs::read(path) else {
            eprintln!("SKIPPED: ../shared/samples absent ({path})");
            return;
        };
        // Rebuild from the sample's own decoded lines and compare bytes: header, BOM, CRLF,
        // blank lines and the final blank line all have to match.
        let mut k = RegKey::new(r"HKEY_CURRENT_USER\Software\regashii\complex");
        let push = |k: &mut RegKey, n: &str, t: u32, d: Vec<u8>| {
            k.values.push(RegValue {
                name: n.into(),
                kind: t,
                data: d,
            })
        };
        push(&mut k, "binary-a", REG_BINARY, vec![0x61]);
        push(&mut k, "binary-a-b", REG_BINARY, vec![0x61, 0x62]);
        push(&mut k, "dword-0", REG_DWORD, vec![0; 4]);
        push(&mut k, "dword-255", REG_DWORD, vec![255, 0, 0, 0]);
        push(&mut k, "expand-sz", REG_EXPAND_SZ, sz_bytes(""));
        push(&mut k, "expand-sz-a", REG_EXPAND_SZ, sz_bytes("a"));
        push(&mut k, "multi-sz", REG_MULTI_SZ, vec![0, 0]);
        push(&mut k, "multi-sz-a", REG_MULTI_SZ, sz_bytes("a"));
        push(
            &mut k,
            "multi-sz-a-b",
            REG_MULTI_SZ,
            multi_sz_bytes(&["a", "b"]),
        );
        push(&mut k, "qword-0", REG_QWORD, vec![0; 8]);
        push(
            &mut k,
            "qword-255",
            REG_QWORD,
            vec![255, 0, 0, 0, 0, 0, 0, 0],
        );
        push(&mut k, "sz-a", REG_SZ, sz_bytes("a"));
        push(&mut k, r#"sz-sp\ec"ial"#, REG_SZ, sz_bytes(r#"sp\ec"ial"#));
        assert_eq!(write_tree(&k), real);
    }

    #[test]
    fn non_ascii_key_names_and_data_are_utf16() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/samples/registry/mtkennerly__japanese-regedit5.reg"
        );
        let Ok(real) = std::fs::read(path) else {
            eprintln!("SKIPPED: ../shared/samples absent ({path})");
            return;
        };
        let mut k = RegKey::new("HKEY_CURRENT_USER\\Software\\regashii\\日本語");
        let a = "\u{3042}";
        let push = |k: &mut RegKey, n: &str, t: u32, d: Vec<u8>| {
            k.values.push(RegValue {
                name: n.into(),
                kind: t,
                data: d,
            })
        };
        push(&mut k, &format!("sz-{a}"), REG_SZ, sz_bytes(a));
        push(&mut k, "expand-sz", REG_EXPAND_SZ, sz_bytes(a));
        push(&mut k, "multi-sz-1", REG_MULTI_SZ, sz_bytes(a));
        push(
            &mut k,
            "multi-sz-2",
            REG_MULTI_SZ,
            multi_sz_bytes(&[a, "\u{3044}"]),
        );
        assert_eq!(write_tree(&k), real);
    }

    #[test]
    fn default_value_is_at_sign_and_empty_key_is_header_alone() {
        let mut root = RegKey::new(r"HKEY_LOCAL_MACHINE\A");
        root.values.push(RegValue {
            name: String::new(),
            kind: REG_SZ,
            data: sz_bytes("x"),
        });
        root.subkeys
            .push(RegKey::new(r"HKEY_LOCAL_MACHINE\A\Empty"));
        let mut b = RegKey::new(r"HKEY_LOCAL_MACHINE\A\B");
        b.subkeys.push(RegKey::new(r"HKEY_LOCAL_MACHINE\A\B\C"));
        root.subkeys.push(b);
        assert_eq!(
            export(&root),
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\A]\r\n@=\"x\"\r\n\r\n\
[HKEY_LOCAL_MACHINE\\A\\Empty]\r\n\r\n[HKEY_LOCAL_MACHINE\\A\\B]\r\n\r\n\
[HKEY_LOCAL_MACHINE\\A\\B\\C]\r\n\r\n"
        );
    }

    /// The DigitalProductId layout of a real Windows export: `"DigitalProductId"=hex:` then 18
    /// bytes (77 columns) and `\`; continuation lines hold 25 bytes.
    #[test]
    fn hex_wraps_like_regedit() {
        let data: Vec<u8> = (0u8..=60).collect();
        let line = one_value("DigitalProductId", REG_BINARY, &data);
        let lines: Vec<&str> = line.split("\r\n").collect();
        assert_eq!(lines.len(), 3, "{line}");
        assert_eq!(
            lines[0],
            "\"DigitalProductId\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,\\"
        );
        assert_eq!(lines[0].len(), 78);
        assert_eq!(
            lines[1],
            "  12,13,14,15,16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27,28,29,2a,\\"
        );
        assert_eq!(
            lines[2],
            "  2b,2c,2d,2e,2f,30,31,32,33,34,35,36,37,38,39,3a,3b,3c"
        );
    }

    /// Observed in Wine's `reg export`: a short name lets the first line reach 79 columns + `\`.
    #[test]
    fn hex_first_line_may_reach_80_columns() {
        let data: Vec<u8> = (0u8..25).collect();
        let line = one_value("bin", REG_BINARY, &data);
        let first = line.split("\r\n").next().unwrap();
        assert_eq!(first.len(), 80);
        assert!(first.ends_with("16,\\"));
    }

    #[test]
    fn a_last_byte_exactly_at_the_limit_does_not_wrap() {
        // 10 columns of name+prefix, 22 bytes with commas reach 76, the 23rd has no comma.
        let data = vec![0xAB; 23];
        let line = one_value("bin", REG_BINARY, &data);
        assert!(!line.contains('\\'), "{line}");
    }

    #[test]
    fn empty_data_keeps_only_the_type_prefix() {
        assert_eq!(one_value("b", REG_BINARY, &[]), "\"b\"=hex:");
        assert_eq!(one_value("n", REG_NONE, &[]), "\"n\"=hex(0):");
        assert_eq!(one_value("d", REG_DWORD, &[]), "\"d\"=hex(4):");
        assert_eq!(one_value("s", REG_SZ, &[]), "\"s\"=hex(1):");
    }

    #[test]
    fn non_canonical_data_keeps_its_exact_bytes() {
        // REG_SZ without terminator, odd length, embedded NUL, line break; short DWORD.
        assert_eq!(one_value("s", REG_SZ, b"A\0B"), "\"s\"=hex(1):41,00,42");
        assert_eq!(
            one_value("s", REG_SZ, b"A\0\0\0B\0\0\0"),
            "\"s\"=hex(1):41,00,00,00,42,00,00,00"
        );
        assert_eq!(
            one_value("s", REG_SZ, b"A\0\n\0\0\0"),
            "\"s\"=hex(1):41,00,0a,00,00,00"
        );
        assert_eq!(one_value("d", REG_DWORD, &[1, 2]), "\"d\"=hex(4):01,02");
        assert_eq!(
            one_value("d", REG_DWORD, &[1, 2, 3, 4, 5]),
            "\"d\"=hex(4):01,02,03,04,05"
        );
    }

    #[test]
    fn other_types_use_their_number_in_lower_hex() {
        assert_eq!(
            one_value("be", REG_DWORD_BIG_ENDIAN, &[0, 0, 0, 1]),
            "\"be\"=hex(5):00,00,00,01"
        );
        assert_eq!(one_value("l", REG_LINK, &[0x41, 0]), "\"l\"=hex(6):41,00");
        assert_eq!(one_value("x", 0x1234_abcd, &[7]), "\"x\"=hex(1234abcd):07");
        assert_eq!(
            one_value("q", REG_QWORD, &0x1122_3344_5566_7788u64.to_le_bytes()),
            "\"q\"=hex(b):88,77,66,55,44,33,22,11"
        );
    }

    #[test]
    fn names_escape_backslash_quote_and_line_breaks() {
        assert_eq!(
            one_value("a\"b\\c\r\nd", REG_DWORD, &[1, 0, 0, 0]),
            "\"a\\\"b\\\\c\\r\\nd\"=dword:00000001"
        );
    }

    #[test]
    fn wrap_counts_utf16_units_of_the_name() {
        // "日本"=hex: is 9 units; a U+1F600 name is 2 units plus quotes.
        let data = vec![0u8; 40];
        let a = one_value("日本", REG_BINARY, &data);
        let first = a.split("\r\n").next().unwrap();
        assert_eq!(first.encode_utf16().count(), 9 + 23 * 3 + 1);
        let b = one_value("\u{1F600}", REG_BINARY, &data);
        let first = b.split("\r\n").next().unwrap();
        assert_eq!(first.encode_utf16().count(), 9 + 23 * 3 + 1);
    }

    #[test]
    fn lone_surrogates_in_data_survive() {
        let data = [0x00, 0xD8, 0x41, 0x00, 0x00, 0x00];
        let mut k = RegKey::new(r"HKEY_CURRENT_USER\T");
        k.values.push(RegValue {
            name: "s".into(),
            kind: REG_SZ,
            data: data.to_vec(),
        });
        let bytes = write_tree(&k);
        let needle = [0x22, 0x00, 0x00, 0xD8, 0x41, 0x00, 0x22, 0x00];
        assert!(bytes.windows(needle.len()).any(|w| w == needle));
    }
}

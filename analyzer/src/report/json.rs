//! JSON output: the [`Report`](super::Report) serialized as is (schema in docs/report-schema.md).

use super::{is_disguising, Report};

pub fn render(report: &Report) -> String {
    // Serializing plain data structs cannot fail; fall back to an error object just in case.
    let json =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    escape_disguising(&json)
}

/// Writes the characters of [`is_disguising`] as `\uXXXX` escapes: the data is unchanged for a
/// program reading the JSON, but a person viewing the file (a terminal, an editor, a ticket)
/// sees the escape, not a reordered or invisible name. Outside strings JSON is ASCII, so every
/// such character is inside a string, where an escape is valid.
fn escape_disguising(json: &str) -> String {
    if !json.chars().any(is_disguising) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        if is_disguising(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn disguising_characters_are_escaped_losslessly() {
        let raw = serde_json::to_string(&"a\u{9B}b\u{202E}c\u{200B}d\u{E0041}e").unwrap();
        let escaped = super::escape_disguising(&raw);
        assert!(escaped.is_ascii(), "{escaped}");
        assert!(escaped.contains("\\u202E") && escaped.contains("\\uDB40\\uDC41"));
        let back: String = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, "a\u{9B}b\u{202E}c\u{200B}d\u{E0041}e");
    }
}

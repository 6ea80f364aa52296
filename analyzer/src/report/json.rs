//! JSON output: the [`Report`](super::Report) serialized as is (schema in docs/report-schema.md).

use super::Report;

pub fn render(report: &Report) -> String {
    // Serializing plain data structs cannot fail; fall back to an error object just in case.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

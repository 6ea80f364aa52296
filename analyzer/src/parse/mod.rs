//! One module per artifact kind. Each turns decoded text (or raw bytes, for binary formats) into
//! a typed value and offers a `sniff` that recognises the artifact by content, not file name.
//!
//! Conventions every parser follows:
//! - `pub fn sniff(text: &str) -> bool` (or `&[u8]` for binary kinds): cheap, looks at the start.
//! - `pub fn parse(text: &str) -> Result<T, ParseError>`: never panics on any input; keeps
//!   1-based line numbers on everything a check may cite as evidence.
//! - Localized output (German, French, Spanish, Japanese...) parses to the same values.

pub mod identify;
pub mod text;

#[cfg(test)]
mod testutil;

/// Why an artifact could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ParseError {
    /// 1-based line where the problem was seen, when it has one.
    pub line: Option<usize>,
    pub message: String,
}

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        ParseError {
            line: None,
            message: message.into(),
        }
    }
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line: Some(line),
            message: message.into(),
        }
    }
}

pub mod cert;
pub mod certutil;
pub mod client_probe;
pub mod dsregcmd;
pub mod dynamicport;
pub mod event_xml;
pub mod evtx;
pub mod gpresult;
pub mod grace_period;
pub mod hive;
pub mod icacls;
pub mod ipconfig;
pub mod net_localgroup;
pub mod netsh_profiles;
pub mod netsh_rules;
pub mod netstat;
pub mod nltest;
pub mod ntstatus;
pub mod powercfg;
pub mod qwinsta;
pub mod rdp_probe;
pub mod reg;
pub mod route_print;
pub mod sc;
pub mod secedit;
pub mod security_descriptor;
pub mod securitycenter;
pub mod tasklist;
pub mod w32tm;
pub mod wevtutil_gl;
pub mod wfp;

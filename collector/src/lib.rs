//! rdp-collect: read-only collection of Remote Desktop troubleshooting evidence.
//!
//! The [`bundle`] module is the bundle contract shared with the analyzer.

pub mod bundle;

//! rdp-analyze: explains why Remote Desktop connections to a Windows machine fail, from a
//! collector bundle or loose artifacts.
//!
//! Data flows one way: [`bundle`] reads files → [`parse`] turns each into typed values →
//! [`evidence`] gathers them → [`checks`] produce findings → [`report`] renders them.

pub mod parse;

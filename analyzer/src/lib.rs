//! rdp-analyze: explains why Remote Desktop connections to a Windows machine fail, from a
//! collector bundle or loose artifacts.
//!
//! Data flows one way: [`bundle`] reads files → [`parse`] turns each into typed values →
//! [`evidence`] gathers them → [`checks`] produce findings → [`report`] renders them.
//!
//! Everything here reads what a customer sent, so no input may make it panic: outside tests,
//! the library may not index or slice (`get` instead), unwrap, expect or panic. Clippy enforces
//! it (CI runs it with `-D warnings`); the few places that index by positions they made
//! themselves say so in an `allow` with its reason.

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod batch;
pub mod bundle;
pub mod checks;
pub mod compare;
pub mod evidence;
pub mod parse;
pub mod report;

use std::path::Path;

/// Reads, parses and checks `input` (zip, folder or file): the whole pipeline.
pub fn analyze_path(
    input: &Path,
    limits: &bundle::Limits,
) -> Result<report::Report, bundle::BundleError> {
    let b = bundle::open(input, limits)?;
    Ok(analyze_bundle(b))
}

/// Parses and checks an already-read bundle.
pub fn analyze_bundle(b: bundle::Bundle) -> report::Report {
    let ev = evidence::Evidence::build(b);
    let outcome = checks::run_all(&ev);
    report::Report::new(&ev, outcome)
}

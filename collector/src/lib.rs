//! rdp-collect: read-only collection of Remote Desktop troubleshooting evidence.
//!
//! [`bundle`] is the bundle contract shared with the analyzer (the `rdp-bundle` crate, re-exported). The collection logic
//! ([`collect`], [`app`]) runs against a [`source::Source`]: the live Windows machine
//! (`win::WindowsSource`, Windows only) or [`source::RecordedSource`] in tests on any system.

pub mod app;
pub use rdp_bundle as bundle;
pub mod cli;
pub mod collect;
pub mod offline;
pub mod output;
pub mod probe;
pub mod process;
pub use rdp_bundle::regfile;
pub mod source;
#[cfg(test)]
mod testutil;
#[cfg(windows)]
pub mod win;

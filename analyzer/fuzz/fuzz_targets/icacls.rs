#![no_main]
//! Fuzz target: icacls output.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = icacls::sniff(t);
    let _ = icacls::parse(t);
});

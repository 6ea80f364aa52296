#![no_main]
//! Fuzz target: sc queryex output.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = sc::sniff(t);
    let _ = sc::parse(t);
});

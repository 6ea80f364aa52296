#![no_main]
//! Fuzz target: qwinsta output.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = qwinsta::sniff(t);
    if let Ok(s) = qwinsta::parse(t) {
        let _ = s.rdp_listener();
    }
});

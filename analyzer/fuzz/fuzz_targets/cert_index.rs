#![no_main]
//! Fuzz target: certs/index.json.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = cert::sniff_index(t);
    let _ = cert::parse_index(t);
    let _ = cert::normalize_thumbprint(t);
});

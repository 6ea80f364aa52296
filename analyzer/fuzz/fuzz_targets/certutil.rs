#![no_main]
//! Fuzz target: certutil -store output.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = certutil::sniff(t);
    let _ = certutil::parse(t);
});

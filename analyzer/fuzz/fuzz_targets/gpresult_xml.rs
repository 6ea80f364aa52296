#![no_main]
//! Fuzz target: gpresult /X reports (RSoP XML).
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = gpresult::sniff_xml(t);
    let _ = gpresult::parse_xml(t);
});

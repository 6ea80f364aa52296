#![no_main]
//! Fuzz target: gpresult /H reports (HTML, usually UTF-16LE).
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = gpresult::sniff(t);
    if let Ok(r) = gpresult::parse(t) {
        let _ = r.find_policy(gpresult::ALLOW_RDP_POLICY_NAMES);
    }
});

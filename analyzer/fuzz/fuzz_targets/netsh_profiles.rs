#![no_main]
//! Fuzz target: netsh advfirewall show allprofiles output.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = netsh_profiles::sniff(t);
    let _ = netsh_profiles::parse(t);
});

#![no_main]
//! Fuzz target: DER certificates (x509-parser underneath).
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let _ = cert::sniff(data);
    if let Ok(c) = cert::parse_der(data) {
        let _ = c.valid_at(0);
    }
});

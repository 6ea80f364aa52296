#![no_main]
//! Fuzz target: tasklist /svc output.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = tasklist::sniff(t);
    if let Ok(l) = tasklist::parse(t) {
        let _ = l.pid_of_service("TermService");
    }
});

#![no_main]
//! Fuzz target: netstat -ano output.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = netstat::sniff(t);
    if let Ok(n) = netstat::parse(t) {
        let _ = n.tcp_listeners(3389);
        let _ = n.udp_bound(3389);
    }
});

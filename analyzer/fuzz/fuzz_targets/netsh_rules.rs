#![no_main]
//! Fuzz target: netsh advfirewall firewall show rule output.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = netsh_rules::sniff(t);
    if let Ok(r) = netsh_rules::parse(t) {
        for rule in &r.rules {
            let _ = rule.applies_to_tcp_port(3389);
            let _ = rule.remote_is_any();
        }
    }
});

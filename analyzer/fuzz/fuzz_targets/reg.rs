#![no_main]
//! Fuzz target: registry exports (.reg), decoded like the pipeline does (BOM / UTF-16 / OEM).
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = reg::sniff(t);
    if let Ok(f) = reg::parse(t) {
        // The lookups checks use must not panic on whatever keys were parsed.
        let _ = f.value(
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server",
            "fDenyTSConnections",
        );
        for k in &f.keys {
            let _ = reg::normalize_key_path(&k.path);
            for v in &k.values {
                let _ = v.data.display();
            }
        }
    }
});

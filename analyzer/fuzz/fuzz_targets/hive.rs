#![no_main]
//! Fuzz target: raw registry hives (the notatin crate plus our walk and mapping), alone and
//! with a transaction log: inputs over 8 KiB are also read as a hive (first half) with its log
//! (second half), so log replay is reached too.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::hive;

fuzz_target!(|data: &[u8]| {
    let _ = hive::sniff(data);
    let _ = hive::sniff_log(data);
    let _ = hive::parse(data, &[]);
    if data.len() > 8192 {
        let (h, l) = data.split_at(data.len() / 2);
        let _ = hive::parse(
            h,
            &[hive::LogFile {
                label: "fuzz.LOG1".into(),
                bytes: l,
            }],
        );
    }
});

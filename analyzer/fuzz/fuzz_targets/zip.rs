#![no_main]
//! Fuzz target: the zip reader (entry names, sizes, methods, central directory) under small
//! limits, so that a bomb the guards miss shows up as a timeout or out-of-memory report.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::bundle::{self, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_entry_bytes: 4 << 20,
        max_total_bytes: 16 << 20,
        max_entries: 256,
        max_ratio: 200,
        memory_budget: 64 << 20,
    };
    if let Ok(b) = bundle::from_zip_bytes(data, &limits) {
        for f in &b.files {
            assert!(!f.path.is_empty());
            assert!(
                !f.path.starts_with('/') && !f.path.contains('\\'),
                "{:?}",
                f.path
            );
            assert!(
                f.path
                    .split('/')
                    .all(|p| p != ".." && p != "." && !p.is_empty()),
                "{:?}",
                f.path
            );
            assert!(f.bytes().map_or(0, <[u8]>::len) as u64 <= limits.max_entry_bytes);
        }
    }
});

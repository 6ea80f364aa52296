#![no_main]
//! Fuzz target: the byte-to-text decoder and line splitter every text parser sits on.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(
        data,
        data.first()
            .map(|b| [437, 850, 932, 936, 1252, 65001, 4242][usize::from(*b) % 7]),
    );
    let _ = text::lines(&d.text).count();
});

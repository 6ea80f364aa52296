#![no_main]
//! Fuzz target: one 64 KiB chunk through our BinXML reader (peek, build), differential: every
//! event it builds must equal the evtx crate's rendering of the same record, and its peek must
//! not drop a record the RDP filter keeps (`evtx::fuzz_chunk` panics otherwise).
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::evtx;

fuzz_target!(|data: &[u8]| {
    evtx::fuzz_chunk(data);
});

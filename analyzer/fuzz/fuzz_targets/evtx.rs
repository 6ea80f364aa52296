#![no_main]
//! Fuzz target: binary .evtx logs (the evtx crate plus our chunk wrapper).
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let _ = evtx::sniff(data);
    let _ = evtx::parse(data, &evtx::EventFilter::all());
    let _ = evtx::parse(data, &evtx::EventFilter::ids(evtx::RDP_EVENT_IDS));
});

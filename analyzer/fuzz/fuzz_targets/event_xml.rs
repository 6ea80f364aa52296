#![no_main]
//! Fuzz target: event XML (wevtutil /f:xml, Event Viewer Save as XML).
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    let d = text::decode(data, None);
    let t = d.text.as_str();
    let _ = event_xml::sniff(t);
    let _ = event_xml::parse(t, &evtx::EventFilter::all());
});

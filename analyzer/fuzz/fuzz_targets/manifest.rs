#![no_main]
//! Fuzz target: `manifest.json`. The manifest steers the analysis (code pages, statuses, paths,
//! collection time, elevation), so a hostile one is run through the whole pipeline and every
//! report renderer, next to a few real artifacts from the healthy fixture.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::bundle::{Bundle, InputFile};
use rdp_analyze::report;

const FILES: &[(&str, &[u8])] = &[
    (
        "commands/netstat-ano.txt",
        include_bytes!("../../../fixtures/healthy/commands/netstat-ano.txt"),
    ),
    (
        "commands/qwinsta.txt",
        include_bytes!("../../../fixtures/healthy/commands/qwinsta.txt"),
    ),
    (
        "registry/terminal-server.reg",
        include_bytes!("../../../fixtures/healthy/registry/terminal-server.reg"),
    ),
];

fuzz_target!(|data: &[u8]| {
    let Ok(manifest) = serde_json::from_slice::<rdp_bundle::Manifest>(data) else {
        return;
    };
    let bundle = Bundle {
        source: "<fuzz>".into(),
        manifest: Some(manifest),
        files: FILES
            .iter()
            .map(|(p, b)| InputFile::in_memory(*p, b.to_vec()))
            .collect(),
        ..Bundle::default()
    };
    let rep = rdp_analyze::analyze_bundle(bundle);
    let _ = report::text::render(&rep);
    let _ = report::json::render(&rep);
    let html = report::html::render(&rep);
    assert!(
        !html.contains("<script"),
        "unescaped markup in the HTML report"
    );
    let _ = report::markdown::render(&rep);
});

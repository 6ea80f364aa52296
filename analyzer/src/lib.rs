//! rdp-analyze: explains why Remote Desktop connections to a Windows machine fail, from a
//! collector bundle or loose artifacts.
//!
//! Data flows one way: [`bundle`] reads files → [`parse`] turns each into typed values →
//! [`evidence`] gathers them → [`checks`] produce findings → [`report`] renders them.
//!
//! Everything here reads what a customer sent, so no input may make it panic: outside tests,
//! the library may not index or slice (`get` instead), unwrap, expect or panic. Clippy enforces
//! it (CI runs it with `-D warnings`); the few places that index by positions they made
//! themselves say so in an `allow` with its reason.

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod batch;
pub mod bundle;
pub mod checks;
pub mod compare;
pub mod evidence;
pub mod parse;
pub mod report;

use std::path::Path;

/// Reads, parses and checks `input` (zip, folder or file): the whole pipeline.
pub fn analyze_path(
    input: &Path,
    limits: &bundle::Limits,
) -> Result<report::Report, bundle::BundleError> {
    let b = bundle::open(input, limits)?;
    Ok(analyze_bundle(b))
}

/// Parses and checks an already-read bundle.
pub fn analyze_bundle(b: bundle::Bundle) -> report::Report {
    let ev = evidence::Evidence::build(b);
    let outcome = checks::run_all(&ev);
    report::Report::new(&ev, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bundle::{InputFile, Limits, Source};
    use std::io::Write;

    /// The report of `b` with every event log read whole first and parsed from that buffer
    /// (`parse::evtx::parse`, the path the fuzz targets and unit tests take), as the analyzer
    /// read every log before it streamed them.
    fn whole_buffer_report(mut b: bundle::Bundle) -> String {
        for f in &mut b.files {
            if let Source::EventLogFile { path, .. } = &f.source {
                *f = InputFile::in_memory(f.path.clone(), std::fs::read(path).unwrap());
            }
        }
        let mut rep = analyze_bundle(b);
        rep.source.clear();
        report::json::render(&rep)
    }

    fn streamed_report(b: bundle::Bundle) -> String {
        let mut rep = analyze_bundle(b);
        rep.source.clear();
        report::json::render(&rep)
    }

    /// A zip of every file below `dir`, named by its path below it, in the order a folder is
    /// read (by path).
    fn zip_folder(dir: &Path) -> Vec<u8> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let name = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                    files.push((name, p));
                }
            }
        }
        files.sort();
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, p) in files {
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// Every fixture with event logs, and the real Security samples: streamed from the folder
    /// and inflated from a zip into the parser, the report is the one the whole-buffer path
    /// gives.
    #[test]
    fn streamed_logs_give_the_findings_whole_buffers_give() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let mut dirs: Vec<_> = std::fs::read_dir(&fixtures)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("events").is_dir())
            .collect();
        dirs.sort();
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples/evtx");
        match std::fs::read_dir(&samples) {
            Ok(_) => dirs.push(samples),
            Err(_) => eprintln!("SKIPPED: ../shared/samples absent; fixtures only"),
        }
        let mut streamed_logs = 0;
        for dir in dirs {
            let limits = Limits::default();
            let b = bundle::open(&dir, &limits).unwrap();
            let logs = b
                .files
                .iter()
                .filter(|f| matches!(f.source, Source::EventLogFile { .. }))
                .count();
            streamed_logs += logs;
            let whole = whole_buffer_report(bundle::open(&dir, &limits).unwrap());
            assert_eq!(streamed_report(b), whole, "{}", dir.display());
            let zipped = bundle::from_zip_bytes(&zip_folder(&dir), &limits).unwrap();
            let inflated = zipped
                .files
                .iter()
                .filter(|f| matches!(f.source, Source::ParsedEvents(_)))
                .count();
            assert_eq!(inflated, logs, "{}", dir.display());
            assert_eq!(streamed_report(zipped), whole, "{} (zip)", dir.display());
        }
        assert!(streamed_logs > 0);
    }
}

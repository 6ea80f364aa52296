//! The event stage on one `.evtx` file: records/s and MB/s, for comparing with
//! `evtx_dump -t N -o jsonl` on the same file and thread count.
//!
//! ```sh
//! cargo bench -p rdp-analyze --bench event_stage -- /tmp/big.evtx            # the RDP filter
//! cargo bench -p rdp-analyze --bench event_stage -- /tmp/big.evtx --ids-only # RDP ids, all logon types
//! cargo bench -p rdp-analyze --bench event_stage -- /tmp/big.evtx --all      # every record
//! cargo bench -p rdp-analyze --bench event_stage -- /tmp/big.evtx --memory   # whole file read first
//! RAYON_NUM_THREADS=2 /usr/bin/time -v target/release/deps/event_stage-* /tmp/big.evtx
//! ```
//!
//! By default the log is streamed from the file a batch of chunks at a time
//! ([`evtx::parse_reader`]), front to back, reading included in the time; the peak memory
//! figure then does not include the log itself. `--memory` reads it whole before the clock
//! starts and times [`evtx::parse`], as the analyzer runs it on a bundle entry it has inflated:
//! chunks are read newest first, so a flood's older records are not built (the per-id cap
//! would drop them).
//!
//! A plain binary (`harness = false`), not a statistics harness: one file, a few runs, the
//! best and the median, which is what a comparison with another tool needs.

use rdp_analyze::parse::evtx::{self, EventFilter};
use std::time::Instant;

/// The allocator `rdp-analyze` runs with, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; anything else starting with `--` is ours.
    let flag = |f: &str| args.iter().any(|a| a == f);
    let value = |f: &str| {
        args.iter()
            .position(|a| a == f)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let path = args
        .iter()
        .find(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
        .cloned()
        .or_else(|| std::env::var("RDP_BENCH_EVTX").ok());
    let Some(path) = path else {
        eprintln!(
            "event_stage: give an .evtx file (argument or RDP_BENCH_EVTX); skipped.\n\
             e.g. ../shared/tools/grow-evtx /tmp/big.evtx 256 ../shared/samples/evtx/*security*"
        );
        return;
    };
    let runs = value("--runs").unwrap_or(3).max(1);
    let filter = if flag("--all") {
        EventFilter::all()
    } else if flag("--ids-only") {
        EventFilter::ids(evtx::RDP_EVENT_IDS)
    } else {
        EventFilter::rdp()
    };
    let size = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) => {
            eprintln!("event_stage: {path}: {e}");
            std::process::exit(2);
        }
    };
    let threads = rayon::current_num_threads();
    println!(
        "file {path} ({:.1} MiB), {threads} thread(s), filter: {}, input: {}",
        size as f64 / 1048576.0,
        if flag("--all") {
            "all records"
        } else if flag("--ids-only") {
            "RDP event ids"
        } else {
            "RDP events (ids, RDP logon types)"
        },
        if flag("--memory") {
            "whole file in memory"
        } else {
            "streamed from the file"
        }
    );
    // As the analyzer holds a bundle's log: read (inflated) once, before the clock starts.
    let bytes = if flag("--memory") {
        std::fs::read(&path).expect("read the log")
    } else {
        Vec::new()
    };
    let mut times = Vec::new();
    for run in 0..runs {
        let start = Instant::now();
        let log = if flag("--memory") {
            evtx::parse(&bytes, &filter)
        } else {
            let file = std::fs::File::open(&path).expect("open the log");
            evtx::parse_reader(
                std::io::BufReader::with_capacity(1 << 20, file),
                Some(size),
                &filter,
            )
        };
        let secs = start.elapsed().as_secs_f64();
        let log = match log {
            Ok(l) => l,
            Err(e) => {
                eprintln!("event_stage: {path}: {e}");
                std::process::exit(2);
            }
        };
        println!(
            "run {}: {:.3} s, {} records seen, {} kept, {} dropped by the caps, {} skipped, \
             {:.0} records/s, {:.1} MB/s",
            run + 1,
            secs,
            log.records_seen,
            log.events.len(),
            log.events_dropped,
            log.records_skipped,
            log.records_seen as f64 / secs,
            size as f64 / 1e6 / secs
        );
        times.push((secs, log.records_seen));
    }
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (best, records) = times[0];
    let median = times[times.len() / 2].0;
    println!(
        "best {best:.3} s ({:.0} records/s, {:.1} MB/s), median {median:.3} s",
        records as f64 / best,
        size as f64 / 1e6 / best
    );
}

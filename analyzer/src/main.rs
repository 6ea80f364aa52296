//! `rdp-analyze`: command-line front end.

use clap::{Parser, Subcommand, ValueEnum};
use rdp_analyze::{bundle::Limits, compare, report};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: an event log becomes a hundred thousand small strings built on two threads,
/// where the system allocator spent a fifth of the event stage's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Has mimalloc give freed pages back to the OS at once, and commit arena memory as it is used
/// rather than ahead. By default it keeps freed pages for 10 ms (and arenas 10× that) in case
/// they are reused: on a 4 GiB log, whose kept events are built on the worker threads and then
/// capped (the oldest freed) batch after batch, that held ~35 MiB of freed pages at the peak
/// (143 MiB peak RSS, against 92 MiB with both options set; time unchanged within noise).
fn return_freed_memory_promptly() {
    // Option ids of mimalloc v3's `mi_option_e` (libmimalloc-sys exposes the function, not
    // these constants).
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table; it is safe to call
    // at any time, from any thread, with any option id below `_mi_option_last`.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

/// Explains why Remote Desktop connections to a Windows machine fail, from an rdp-collect
/// bundle, any zip or folder of loose artifacts, or a single file.
///
/// Exit codes: 0 no error-level finding, 1 error-level findings, 2 the input could not be
/// analyzed (or bad usage): it does not exist, or is a split, password-protected, empty or
/// damaged zip, a `.zip` that is no zip, or another archive format (7-Zip, RAR, gzip...).
///
/// The input is untrusted. Nothing from it is ever written to disk (only the report, where -o
/// says), entry names never become paths, nested archives are not opened, and reading is
/// bounded by the limits below; a refused or unreadable file becomes a finding naming it and
/// the rest is still analyzed.
///
/// Memory: the analysis holds at most --memory-mib (512 MiB by default) of what it reads and
/// parses. Each file kept in memory is charged its size times a factor for its kind (its bytes,
/// decoded text and parsed structures: 12 for a .reg export, 8 for XML reports, 5 for command
/// outputs, 3 for unrecognized files); a file that would exceed what is left is left out and
/// named in a finding (RDP900), and the rest is analyzed. Event logs are streamed and not
/// charged.
#[derive(Parser, Debug)]
#[command(name = "rdp-analyze", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    analyze: AnalyzeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List every check with its ID, severity and one-line description, or explain one.
    Checks {
        /// Print one check in full: what it detects, what to do, the evidence it reads and its
        /// fixture. Give its ID (RDP024) or name (remote-logon-rights).
        #[arg(long, value_name = "ID")]
        explain: Option<String>,
    },
    /// Analyze a bundle (the default when a path is given).
    Analyze(AnalyzeArgs),
    /// Analyze many bundles: zips, bundle folders, or folders of them. Each is analyzed as
    /// `rdp-analyze INPUT` would; one that cannot be read is reported and the rest go on.
    ///
    /// A folder holding manifest.json is one bundle. A folder without one whose entries are all
    /// zips and folders, one at least a zip or a bundle folder, is a folder of bundles: each
    /// entry is an input. Any other folder is one bundle of loose files.
    ///
    /// Exit codes: 0 no error-level finding on any input, 1 error-level findings, 2 no input
    /// could be analyzed.
    Batch(BatchArgs),
    /// Compare a working machine with a broken one (the guide's "compare with a working
    /// computer of the same OS version"): what differs that matters for RDP, and what differs
    /// only because they are two machines.
    ///
    /// Exit codes: 0 no difference that matters for RDP, 1 differences, 2 an input could not
    /// be read (or bad usage).
    Compare(CompareArgs),
}

#[derive(clap::Args, Debug)]
struct BatchArgs {
    /// Bundles (zips or folders) or folders of them.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// jsonl: one JSON object per finding and one summary per input (docs/batch-schema.md),
    /// ready for Elasticsearch/OpenSearch, Splunk or DuckDB. text: which findings hit how many
    /// hosts.
    #[arg(short, long, value_enum, default_value_t = BatchFormat::Jsonl)]
    format: BatchFormat,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum BatchFormat {
    Jsonl,
    Text,
}

#[derive(clap::Args, Debug)]
struct CompareArgs {
    /// The machine where RDP works: bundle zip, folder or file.
    working: PathBuf,
    /// The machine where it fails.
    broken: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the comparison to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Also write a .reg file (regedit 5, as `reg export` writes it) with the working
    /// machine's values for what differs under WinStations\RDP-Tcp, per-machine values left
    /// out, to import on the broken machine after backing up its key.
    #[arg(long, value_name = "FILE")]
    emit_reg: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(clap::Args, Debug)]
struct AnalyzeArgs {
    /// Bundle zip, folder of loose files, or one file.
    input: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// A client probe file (`rdp-collect probe` run on another computer) to read beside the
    /// bundle; repeat for each client. Probe files inside the bundle or folder are read too.
    #[arg(long = "probe", value_name = "FILE")]
    probes: Vec<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// How much is read from one input (the same for every input of a batch).
#[derive(clap::Args, Debug)]
struct LimitArgs {
    /// Largest single file read from the input, in MiB (inflated size). Event logs (.evtx)
    /// are streamed in 64 KiB chunks, never held whole, so this and --max-total-mib do not
    /// apply to them: a log of any size is read whole (zipped ones under --max-ratio).
    #[arg(long, default_value_t = 2048)]
    max_entry_mib: u64,
    /// Largest total read into memory from the input, in MiB.
    #[arg(long, default_value_t = 4096)]
    max_total_mib: u64,
    /// Most files read from the input.
    #[arg(long, default_value_t = 10_000)]
    max_entries: usize,
    /// Highest accepted inflate ratio of a zip entry over 1 MiB, checked as it inflates
    /// (zip-bomb guard; real artifacts deflate about 10:1, zeros 1000:1).
    #[arg(long, default_value_t = 200)]
    max_ratio: u64,
    /// Memory budget of the analysis, in MiB (see above); files past it are left out and named.
    #[arg(long, default_value_t = 512)]
    memory_mib: u64,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Text,
    Json,
    /// One self-contained file for a browser, a ticket attachment or a PDF.
    Html,
    /// For pasting into a ticket.
    Markdown,
}

fn main() -> ExitCode {
    return_freed_memory_promptly();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Checks { explain: None }) => print(&report::catalogue::list()),
        Some(Command::Checks {
            explain: Some(query),
        }) => explain_check(&query),
        Some(Command::Analyze(a)) => analyze(a),
        Some(Command::Batch(b)) => batch(b),
        Some(Command::Compare(c)) => compare(c),
        None => analyze(cli.analyze),
    }
}

fn print(text: &str) -> ExitCode {
    let _ = std::io::stdout().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

/// `checks --explain ID`: exit 2 for an unknown ID, saying where a retired one went.
fn explain_check(query: &str) -> ExitCode {
    if let Some(c) = report::catalogue::find(query) {
        return print(&report::catalogue::explain(c));
    }
    match report::catalogue::retired(query) {
        Some(went) => eprintln!("rdp-analyze: {query} is retired: {went}"),
        None => eprintln!("rdp-analyze: no check {query:?} (see rdp-analyze checks)"),
    }
    ExitCode::from(2)
}

fn analyze(a: AnalyzeArgs) -> ExitCode {
    let Some(input) = a.input else {
        eprintln!("rdp-analyze: give a bundle zip, folder or file to analyze (see --help)");
        return ExitCode::from(2);
    };
    let limits = a.limits.to_limits();
    if let Some(out) = &a.output {
        if names_same_file(out, &input) {
            eprintln!(
                "rdp-analyze: -o {} names the input itself; the report would overwrite the \
                 evidence. Write the report elsewhere.",
                out.display()
            );
            return ExitCode::from(2);
        }
    }
    let mut bundle = match rdp_analyze::bundle::open(&input, &limits) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("rdp-analyze: {e}");
            return ExitCode::from(2);
        }
    };
    for probe in &a.probes {
        match rdp_analyze::bundle::open(probe, &limits) {
            Ok(extra) => {
                let name = probe
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "probe".into());
                for mut f in extra.files {
                    // A label for the report, never a path written to.
                    f.path = if extra.source.ends_with(&f.path) || f.path == name {
                        format!("probes/{name}")
                    } else {
                        format!("probes/{name}/{}", f.path)
                    };
                    bundle.files.push(f);
                }
                bundle.problems.extend(extra.problems);
            }
            Err(e) => {
                eprintln!("rdp-analyze: the probe file: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let rep = rdp_analyze::analyze_bundle(bundle);
    let text = match a.format {
        Format::Text => report::text::render(&rep),
        Format::Json => report::json::render(&rep),
        Format::Html => report::html::render(&rep),
        Format::Markdown => report::markdown::render(&rep),
    };
    if !write_output(a.output.as_deref(), &text, "the report") {
        return ExitCode::from(2);
    }
    ExitCode::from(rep.exit_code() as u8)
}

impl LimitArgs {
    fn to_limits(&self) -> Limits {
        Limits {
            max_entry_bytes: self.max_entry_mib.saturating_mul(1 << 20),
            max_total_bytes: self.max_total_mib.saturating_mul(1 << 20),
            max_entries: self.max_entries,
            max_ratio: self.max_ratio,
            memory_budget: self.memory_mib.saturating_mul(1 << 20),
        }
    }
}

/// `rdp-analyze batch`: JSON lines stream out input by input; the text table is written at the
/// end. Progress goes to stderr when it is a terminal.
fn batch(b: BatchArgs) -> ExitCode {
    use rdp_analyze::batch;
    use std::io::IsTerminal;
    let inputs = batch::expand(&b.inputs);
    let limits = b.limits.to_limits();
    let sink: Box<dyn Write> = match &b.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("rdp-analyze: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(sink);
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(inputs.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut tally = batch::Tally::default();
    let round = rayon::current_num_threads().saturating_mul(2);
    let result = batch::run(
        &inputs,
        &limits,
        round,
        |input, outcome| {
            tally.add(input, outcome);
            match b.format {
                BatchFormat::Jsonl => batch::write_jsonl(&mut out, input, outcome),
                BatchFormat::Text => Ok(()),
            }
        },
        || bar.inc(1),
    );
    bar.finish_and_clear();
    let written = result
        .and_then(|()| match b.format {
            BatchFormat::Text => out.write_all(tally.render().as_bytes()),
            BatchFormat::Jsonl => Ok(()),
        })
        .and_then(|()| out.flush());
    if let Err(e) = written {
        eprintln!("rdp-analyze: cannot write the batch output: {e}");
        return ExitCode::from(2);
    }
    ExitCode::from(tally.exit_code() as u8)
}

/// Writes `text` to `path`, or to standard output; says why not on standard error.
fn write_output(path: Option<&std::path::Path>, text: &str, what: &str) -> bool {
    let written = match path {
        Some(path) => write_atomically(path, text.as_bytes()),
        None => std::io::stdout().write_all(text.as_bytes()),
    };
    if let Err(e) = written {
        match path {
            // tempfile's error names the temporary file; the user named the target, and it is
            // left as it was.
            Some(path) => eprintln!(
                "rdp-analyze: cannot write {what} to {}: {} ({} left unchanged)",
                path.display(),
                std::io::Error::from(e.kind()),
                path.display()
            ),
            None => eprintln!("rdp-analyze: cannot write {what}: {e}"),
        }
        return false;
    }
    true
}

fn compare(c: CompareArgs) -> ExitCode {
    let limits = c.limits.to_limits();
    let read = |path: &std::path::Path, which: &str| {
        rdp_analyze::bundle::open(path, &limits)
            .map(rdp_analyze::evidence::Evidence::build)
            .map_err(|e| eprintln!("rdp-analyze: the {which} input: {e}"))
    };
    let (Ok(working), Ok(broken)) = (read(&c.working, "working"), read(&c.broken, "broken")) else {
        return ExitCode::from(2);
    };
    let w = compare::Side::read(&working);
    let b = compare::Side::read(&broken);
    let cmp = compare::compare_sides(&w, &b);
    let text = match c.format {
        Format::Text => compare::render::text(&cmp),
        Format::Json => compare::render::json(&cmp),
        Format::Html => compare::render::html(&cmp),
        Format::Markdown => compare::render::markdown(&cmp),
    };
    if let Some(path) = &c.emit_reg {
        let changes = compare::emit_reg::changes(&cmp, &w, &b);
        if let Err(e) = std::fs::write(path, compare::emit_reg::render(&cmp, &changes)) {
            eprintln!("rdp-analyze: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        eprintln!(
            "rdp-analyze: wrote {} value(s) of RDP-Tcp to {}",
            changes.len(),
            path.display()
        );
    }
    if !write_output(c.output.as_deref(), &text, "the comparison") {
        return ExitCode::from(2);
    }
    ExitCode::from(cmp.exit_code() as u8)
}

/// Whether `out` is `input`, or a file inside it (a folder input), however either is spelled:
/// the report must never overwrite what it analyzes.
fn names_same_file(out: &std::path::Path, input: &std::path::Path) -> bool {
    let Ok(input) = std::fs::canonicalize(input) else {
        return false;
    };
    // The report file may not exist yet: resolve its folder and put its name back.
    let resolved = match (out.parent(), out.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                dir
            };
            std::fs::canonicalize(dir).map(|d| d.join(name)).ok()
        }
        _ => std::fs::canonicalize(out).ok(),
    };
    let same_inode = same_file(out, &input);
    match resolved {
        Some(r) => r == input || r.starts_with(&input) || same_inode,
        None => same_inode,
    }
}

/// Hard links: two names, one file.
#[cfg(unix)]
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &std::path::Path, _: &std::path::Path) -> bool {
    false
}

/// Writes the report to a temporary file beside `path` and renames it over `path`, so a write
/// that fails midway (a full disk) leaves the old file or none, never a truncated report.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".rdp-analyze-report-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

//! `rdp-analyze`: command-line front end.

use clap::{Parser, Subcommand, ValueEnum};
use rdp_analyze::{bundle::Limits, checks, report};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: an event log becomes a hundred thousand small strings built on two threads,
/// where the system allocator spent a fifth of the event stage's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// List every check with its ID, severity and one-line description.
    Checks,
    /// Analyze a bundle (the default when a path is given).
    Analyze(AnalyzeArgs),
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
    /// Largest single file read from the input, in MiB (inflated size).
    #[arg(long, default_value_t = 2048)]
    max_entry_mib: u64,
    /// Largest total read from the input, in MiB.
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
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Checks) => {
            print_checks();
            ExitCode::SUCCESS
        }
        Some(Command::Analyze(a)) => analyze(a),
        None => analyze(cli.analyze),
    }
}

fn print_checks() {
    let mut out = String::new();
    for c in checks::all() {
        out.push_str(&format!(
            "{}  {:<32} {:<8} {}\n",
            c.id,
            c.name,
            c.severity.as_str(),
            c.title
        ));
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
}

fn analyze(a: AnalyzeArgs) -> ExitCode {
    let Some(input) = a.input else {
        eprintln!("rdp-analyze: give a bundle zip, folder or file to analyze (see --help)");
        return ExitCode::from(2);
    };
    let limits = Limits {
        max_entry_bytes: a.max_entry_mib.saturating_mul(1 << 20),
        max_total_bytes: a.max_total_mib.saturating_mul(1 << 20),
        max_entries: a.max_entries,
        max_ratio: a.max_ratio,
        memory_budget: a.memory_mib.saturating_mul(1 << 20),
    };
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
    let rep = match rdp_analyze::analyze_path(&input, &limits) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rdp-analyze: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match a.format {
        Format::Text => report::text::render(&rep),
        Format::Json => report::json::render(&rep),
        Format::Html => report::html::render(&rep),
        Format::Markdown => report::markdown::render(&rep),
    };
    let written = match &a.output {
        Some(path) => write_atomically(path, text.as_bytes()),
        None => std::io::stdout().write_all(text.as_bytes()),
    };
    if let Err(e) = written {
        eprintln!("rdp-analyze: cannot write the report: {e}");
        return ExitCode::from(2);
    }
    ExitCode::from(rep.exit_code() as u8)
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

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
    };
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
        Some(path) => std::fs::write(path, text.as_bytes()),
        None => std::io::stdout().write_all(text.as_bytes()),
    };
    if let Err(e) = written {
        eprintln!("rdp-analyze: cannot write the report: {e}");
        return ExitCode::from(2);
    }
    ExitCode::from(rep.exit_code() as u8)
}

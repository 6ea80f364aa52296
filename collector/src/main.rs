//! `rdp-collect.exe`: parse the command line, collect from the live machine, report.

use rdp_collect::app;
use rdp_collect::cli::{self, Action};
use std::io::Write;

fn main() {
    let code = real_main();
    std::process::exit(code);
}

fn real_main() -> i32 {
    let action = match cli::parse(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("rdp-collect: {msg}\nTry 'rdp-collect --help'.");
            return app::EXIT_USAGE;
        }
    };
    match action {
        Action::Help => {
            print!("{}", cli::help_text());
            app::EXIT_OK
        }
        Action::Version => {
            print!("{}", cli::version_text());
            app::EXIT_OK
        }
        Action::List(opts) => {
            print!("{}", rdp_collect::collect::describe_plan(&opts.collect));
            app::EXIT_OK
        }
        Action::Run(opts) => run(&opts),
        Action::Probe(opts) => probe(&opts),
    }
}

/// `rdp-collect probe`: runs on every system (the probe is portable).
fn probe(opts: &cli::ProbeOptions) -> i32 {
    use rdp_collect::probe::remote;
    let rec = remote::run(&opts.remote, |line| println!("{line}"));
    print!("{}", remote::console_summary(&rec));
    let path = opts
        .output
        .clone()
        .unwrap_or_else(|| remote::default_file_name(&rec).into());
    let written = remote::to_json(&rec).and_then(|bytes| std::fs::write(&path, bytes));
    match written {
        Ok(()) => {
            println!(
                "\nSaved to {}: send this file to support with the server's bundle.",
                path.display()
            );
            app::EXIT_OK
        }
        Err(e) => {
            eprintln!("rdp-collect: cannot write {}: {e}", path.display());
            app::EXIT_WRITE_FAILED
        }
    }
}

#[cfg(windows)]
fn run(opts: &cli::CliOptions) -> i32 {
    use rdp_collect::win;
    let pause = opts.pause && win::console::started_in_own_console();
    let mut source = win::WindowsSource::new();
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rdp-collect: cannot read the current folder: {e}");
            return app::EXIT_WRITE_FAILED;
        }
    };
    let paths = app::RunPaths {
        cwd,
        temp_root: std::env::temp_dir(),
        exe_dir: std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.to_path_buf())),
        windows_dir: Some(win::system::windows_directory()),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = app::run(&mut source, opts, &paths, &mut out);
    if opts.verbose {
        if let Some(peak) = win::console::peak_working_set() {
            let _ = writeln!(out, "Peak working set: {:.1} MB", peak as f64 / 1048576.0);
        }
    }
    drop(out);
    if pause {
        win::console::wait_for_enter();
    }
    result.exit_code
}

#[cfg(not(windows))]
fn run(_opts: &cli::CliOptions) -> i32 {
    let _ = writeln!(
        std::io::stderr(),
        "rdp-collect: this build cannot collect: it runs on Windows only \
(build it with: cargo build --release --target x86_64-pc-windows-gnu -p rdp-collect)"
    );
    app::EXIT_UNSUPPORTED
}

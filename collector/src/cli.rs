//! Command-line options. Hand-parsed (no argument crate) to keep the exe small; the options are
//! few and must read naturally to someone following support's instructions on the phone.

use crate::collect::{CollectOptions, COLLECTOR_VERSION};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Help,
    Version,
    /// `--list`: print the plan, collect nothing.
    List(CliOptions),
    Run(CliOptions),
    /// `probe HOST[:PORT]`: test the path to a server from this computer.
    Probe(ProbeOptions),
}

/// `rdp-collect probe` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOptions {
    pub remote: crate::probe::remote::RemoteOptions,
    /// `-o FILE`; `None` = `rdp-probe-<CLIENT>-to-<HOST>-<time>.json` in the current folder.
    pub output: Option<PathBuf>,
}

/// Longest `--timeout` of a probe attempt, in seconds.
const MAX_PROBE_TIMEOUT_SECS: u64 = 120;

/// An argument as text, with its option name and inline value: `--name=value` gives
/// (`--name=value`, `--name`, `value`); any other argument is its own name, with no value.
fn split_arg(raw: &OsString) -> Result<(String, String, Option<String>), String> {
    let arg = raw
        .to_str()
        .ok_or_else(|| format!("unreadable argument {raw:?}"))?
        .to_string();
    let (name, inline) = match arg.split_once('=') {
        Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
        _ => (arg.clone(), None),
    };
    Ok((arg, name, inline))
}

/// The value of option `name`: given inline (`--name=value`) or as the next argument.
fn arg_value(
    inline: &Option<String>,
    args: &mut impl Iterator<Item = OsString>,
    name: &str,
    what: &str,
) -> Result<OsString, String> {
    match inline {
        Some(v) => Ok(OsString::from(v)),
        None => args.next().ok_or_else(|| format!("{name} needs {what}")),
    }
}

fn parse_probe<I: Iterator<Item = OsString>>(mut args: I) -> Result<Action, String> {
    use crate::probe::remote::{self, RemoteOptions};
    let mut target = None;
    let mut count = remote::DEFAULT_COUNT;
    let mut timeout = Duration::from_secs(3);
    let mut output = None;
    while let Some(raw) = args.next() {
        let (arg, name, inline) = split_arg(&raw)?;
        let mut value = |what: &str| arg_value(&inline, &mut args, &name, what);
        match name.as_str() {
            "-h" | "--help" | "/?" | "-?" => return Ok(Action::Help),
            "-n" | "--count" => {
                let v = value("a number of attempts")?;
                count = number(&name, &v, u64::from(remote::MAX_COUNT))?.max(1) as u32;
            }
            "-w" | "--timeout" => {
                let v = value("a number of seconds")?;
                timeout = Duration::from_secs(number(&name, &v, MAX_PROBE_TIMEOUT_SECS)?.max(1));
            }
            "-o" | "--output" => {
                let v = value("a file name")?;
                if v.is_empty() {
                    return Err(format!("{name} needs a file name"));
                }
                output = Some(PathBuf::from(v));
            }
            _ if arg.starts_with('-') && arg.len() > 1 => {
                return Err(format!("unknown option {arg}"));
            }
            _ if target.is_none() => target = Some(arg),
            _ => return Err(format!("probe takes one HOST[:PORT], not also {arg:?}")),
        }
    }
    let target = target.ok_or("probe needs the server: rdp-collect probe HOST[:PORT]")?;
    let (host, port) = remote::parse_target(&target)?;
    Ok(Action::Probe(ProbeOptions {
        remote: RemoteOptions {
            host,
            port,
            count,
            timeout,
        },
        output,
    }))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliOptions {
    /// `--output DIR|FILE`; `None` = current folder.
    pub output: Option<PathBuf>,
    pub collect: CollectOptions,
    /// `--verbose`: producers, timings and memory use.
    pub verbose: bool,
    /// Wait for Enter before closing a console window the collector opened itself (double-click).
    pub pause: bool,
}

impl Default for CliOptions {
    fn default() -> Self {
        CliOptions {
            output: None,
            collect: CollectOptions::default(),
            verbose: false,
            pause: true,
        }
    }
}

/// Upper bound for `--days` (a century): keeps the XPath millisecond value far from overflow.
const MAX_DAYS: u32 = 36_500;
/// Upper bound for the time limits, in seconds (a day).
const MAX_TIMEOUT_SECS: u64 = 86_400;

/// Parses the arguments after the program name. `Err` carries a message for the user.
pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Action, String> {
    let mut opts = CliOptions::default();
    let mut list = false;
    let mut args = args.into_iter().peekable();
    if args.peek().is_some_and(|a| a == "probe") {
        args.next();
        return parse_probe(args);
    }
    while let Some(raw) = args.next() {
        let (arg, name, inline) = split_arg(&raw)?;
        let mut value = |what: &str| arg_value(&inline, &mut args, &name, what);
        match name.as_str() {
            "-h" | "--help" | "/?" | "-?" | "/h" | "/help" => return Ok(Action::Help),
            "-V" | "--version" => return Ok(Action::Version),
            "--list" => list = true,
            "--no-events" => opts.collect.events = false,
            "--no-probe" => opts.collect.probe = false,
            "--offline" => {
                let v = value("the folder of a Windows volume (D:\\)")?;
                if v.is_empty() {
                    return Err(format!("{name} needs the folder of a Windows volume"));
                }
                opts.collect.offline = Some(PathBuf::from(v));
            }
            "-v" | "--verbose" => {
                opts.verbose = true;
                opts.collect.verbose = true;
            }
            "--no-pause" => opts.pause = false,
            "-o" | "--output" => {
                let v = value("a folder or file name")?;
                if v.is_empty() {
                    return Err(format!("{name} needs a folder or file name"));
                }
                opts.output = Some(PathBuf::from(v));
            }
            "--days" => {
                let v = value("a number of days")?;
                opts.collect.days = number(&name, &v, u64::from(MAX_DAYS))? as u32;
            }
            "--timeout" => {
                let v = value("a number of seconds")?;
                let secs = number(&name, &v, MAX_TIMEOUT_SECS)?.max(1);
                opts.collect.command_timeout = Duration::from_secs(secs);
            }
            "--event-timeout" => {
                let v = value("a number of seconds")?;
                let secs = number(&name, &v, MAX_TIMEOUT_SECS)?.max(1);
                opts.collect.event_timeout = Duration::from_secs(secs);
            }
            _ if arg.starts_with('-') || arg.starts_with('/') => {
                return Err(format!("unknown option {arg}"));
            }
            _ => {
                return Err(format!(
                    "unexpected argument {arg:?} (use --output to name the zip)"
                ))
            }
        }
    }
    Ok(if list {
        Action::List(opts)
    } else {
        Action::Run(opts)
    })
}

fn number(name: &str, v: &OsString, max: u64) -> Result<u64, String> {
    let text = v.to_string_lossy();
    let n: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{name} needs a whole number, not {text:?}"))?;
    if n > max {
        return Err(format!("{name} {n} is too large (at most {max})"));
    }
    Ok(n)
}

/// `--version` output.
pub fn version_text() -> String {
    format!("rdp-collect {COLLECTOR_VERSION}\n")
}

/// `--help` output.
pub fn help_text() -> String {
    format!(
        "rdp-collect {COLLECTOR_VERSION}: collects Remote Desktop troubleshooting evidence into one zip.

It only reads: it changes no setting, service or file (except the zip it writes).
Run it as administrator for a complete bundle (the Security log and some keys need it);
without administrator rights it collects what it can and says what is missing.

Usage: rdp-collect [options]

Options:
  -o, --output DIR|FILE  where to write the zip (default: the current folder, named
                         rdp-evidence-<HOST>-<UTC time>.zip)
      --days N           event logs: only the last N days (default 14; 0 = everything)
      --no-events        do not export event logs
      --no-probe         do not connect to the local RDP listener (handshake probe)
      --offline VOLUME   instead of this machine, read the disk of one that does not run
                         (attached to this rescue machine, e.g. D:\\): its registry hives
                         with their logs, RDP event logs and the MachineKeys file names;
                         read-only on that volume
      --timeout SECS     time limit for each command, gpresult included (default 60)
      --event-timeout SECS
                         time limit for each event log export (default 600)
      --list             show what would be collected, collect nothing
  -v, --verbose          show producers, timings and memory use
      --no-pause         do not wait for Enter at the end when started by double-click
  -h, --help             this text
  -V, --version          the version

Examples:
  rdp-collect
      collect into the current folder
  rdp-collect --output D:\\support
      write the zip into D:\\support
  rdp-collect --output C:\\temp\\server1.zip --days 3
      name the zip yourself; only 3 days of events
  rdp-collect --offline D:\\
      the OS disk of a machine that cannot be reached, attached as D:
  rdp-collect --no-events --timeout 20
      quick run without event logs, commands stopped after 20 s
  rdp-collect --list
      show the list of registry keys, commands, stores and logs

On another computer that cannot connect (Windows, Linux or macOS), run:
  rdp-collect probe HOST[:PORT] [--count N] [--timeout SECS] [-o FILE]
      tests the way from this computer to the server, like psping HOST:3389: N connection
      attempts (default 4, each waiting at most SECS, default 3), then one Remote Desktop
      handshake (which security the server asks for, and the certificate it shows). It sends
      no password and opens no session. It prints the result in words and saves it as
      rdp-probe-<THIS COMPUTER>-to-<HOST>-<time>.json: send that file to support together
      with the server's zip. Run it on each computer that cannot connect, and on one that can.
  rdp-collect probe server1.contoso.com
  rdp-collect probe 10.0.0.12:3390 --count 10

Exit codes: 0 the zip (or probe file) was written (see its list of anything missing), 1 it
could not be written, 2 bad command line, 3 not running on Windows (collection only: the probe
runs everywhere).
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Action, String> {
        parse(args.iter().map(OsString::from))
    }

    fn run(args: &[&str]) -> CliOptions {
        match p(args).unwrap() {
            Action::Run(o) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let o = run(&[]);
        assert_eq!(o.collect.days, 14);
        assert!(o.collect.events);
        assert_eq!(o.collect.command_timeout, Duration::from_secs(60));
        assert_eq!(o.output, None);
        assert!(o.pause);
    }

    #[test]
    fn all_options_both_spellings() {
        let o = run(&[
            "--days",
            "3",
            "--no-events",
            "-o",
            r"D:\x",
            "--timeout=5",
            "--event-timeout",
            "7",
            "-v",
            "--no-pause",
        ]);
        assert_eq!(o.collect.days, 3);
        assert!(!o.collect.events);
        assert_eq!(o.output, Some(PathBuf::from(r"D:\x")));
        assert_eq!(o.collect.command_timeout, Duration::from_secs(5));
        assert_eq!(o.collect.event_timeout, Duration::from_secs(7));
        assert!(o.verbose);
        assert!(!o.pause);
        assert_eq!(run(&["--days=0"]).collect.days, 0);
        assert_eq!(run(&["--output=out.zip"]).output, Some("out.zip".into()));
    }

    #[test]
    fn help_version_list() {
        assert_eq!(p(&["--help"]).unwrap(), Action::Help);
        assert_eq!(p(&["/?"]).unwrap(), Action::Help);
        assert_eq!(p(&["--days", "2", "-h"]).unwrap(), Action::Help);
        assert_eq!(p(&["--version"]).unwrap(), Action::Version);
        assert!(
            matches!(p(&["--list", "--no-events"]).unwrap(), Action::List(o) if !o.collect.events)
        );
        let h = help_text();
        assert!(h.contains("Examples:") && h.contains("--days N") && h.contains("--list"));
        assert!(h.contains("--no-probe"));
        assert!(!run(&["--no-probe"]).collect.probe);
        assert_eq!(
            run(&["--offline", "D:\\"]).collect.offline,
            Some(PathBuf::from("D:\\"))
        );
        assert!(run(&[]).collect.probe);
        assert!(version_text().starts_with("rdp-collect "));
    }

    #[test]
    fn probe_command() {
        let Action::Probe(o) = p(&[
            "probe",
            "srv1:3390",
            "--count",
            "10",
            "--timeout=2",
            "-o",
            "x.json",
        ])
        .unwrap() else {
            panic!("not a probe");
        };
        assert_eq!((o.remote.host.as_str(), o.remote.port), ("srv1", 3390));
        assert_eq!(o.remote.count, 10);
        assert_eq!(o.remote.timeout, Duration::from_secs(2));
        assert_eq!(o.output, Some(PathBuf::from("x.json")));
        let Action::Probe(d) = p(&["probe", "srv1"]).unwrap() else {
            panic!("not a probe");
        };
        assert_eq!((d.remote.port, d.remote.count, d.output), (3389, 4, None));
        assert!(p(&["probe"]).unwrap_err().contains("HOST[:PORT]"));
        assert!(p(&["probe", "a", "b"]).unwrap_err().contains("one HOST"));
        assert!(p(&["probe", "a", "--bogus"])
            .unwrap_err()
            .contains("unknown option"));
        assert!(p(&["probe", "a:0"]).unwrap_err().contains("port"));
        assert_eq!(p(&["probe", "--help"]).unwrap(), Action::Help);
        assert!(help_text().contains("another computer that cannot connect"));
    }

    #[test]
    fn errors_are_sentences() {
        assert!(p(&["--days"])
            .unwrap_err()
            .contains("needs a number of days"));
        assert!(p(&["--days", "x"]).unwrap_err().contains("whole number"));
        assert!(p(&["--days", "-1"]).unwrap_err().contains("whole number"));
        assert!(p(&["--days", "99999999"])
            .unwrap_err()
            .contains("too large"));
        assert!(p(&["--bogus"])
            .unwrap_err()
            .contains("unknown option --bogus"));
        assert!(p(&["file.zip"]).unwrap_err().contains("--output"));
        assert!(p(&["--output="]).unwrap_err().contains("needs a folder"));
        assert_eq!(
            run(&["--timeout", "0"]).collect.command_timeout,
            Duration::from_secs(1)
        );
    }
}

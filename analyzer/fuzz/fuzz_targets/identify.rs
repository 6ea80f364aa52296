#![no_main]
//! Fuzz target: identification by content plus dispatch to the parser, with a manifest path hint.
use libfuzzer_sys::fuzz_target;
use rdp_analyze::parse::*;

fuzz_target!(|data: &[u8]| {
    // First byte picks the manifest path hint, as the collector's paths steer identification.
    const HINTS: &[&str] = &[
        "x.txt",
        "registry/terminal-server.reg",
        "gpresult/gpresult.html",
        "commands/netstat-ano.txt",
        "commands/qwinsta.txt",
        "commands/tasklist-svc.txt",
        "commands/sc-queryex-TermService.txt",
        "commands/netsh-firewall-rules.txt",
        "commands/netsh-firewall-profiles.txt",
        "commands/icacls-machinekeys.txt",
        "commands/certutil-remote-desktop.txt",
        "certs/index.json",
        "certs/my/X.cer",
        "events/System.evtx",
    ];
    let (hint, rest) = match data.split_first() {
        Some((b, rest)) => (HINTS[usize::from(*b) % HINTS.len()], rest),
        None => (HINTS[0], data),
    };
    let _ = identify::parse_file(hint, rest, Some(437));
});

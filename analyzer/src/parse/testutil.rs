//! Helpers shared by the parsers' unit tests.

/// Deterministic pseudo-random text: characters the parsers react to, mixed with
/// fragments of real lines of every artifact kind so that structure shows up too.
pub fn noise(seed: u64, len: usize) -> String {
    const ALPHABET: &[char] = &[
        ':', '：', '(', ')', '=', '-', ',', ';', ' ', ' ', '\n', '\r', '\t', 'a', 'Z', '0', '7',
        'é', 'ü', '規', 'S', 'I', 'F', '\\', '.', '"', '\u{FEFF}', '\u{A0}',
    ];
    const FRAGMENTS: &[&str] = &[
        "Rule Name:                            x",
        "----------------------------------------------------------------------",
        "Enabled:                              Yes",
        "Protocol:                             TCP",
        "                                      Type    Code",
        "Domain Profile Settings: ",
        "State                                 ON",
        "Firewall Policy                       BlockInbound,AllowOutbound",
        "C:\\x y Everyone:(OI)(CI)(F)",
        "        BUILTIN\\Users:(R)",
        "Successfully processed 1 files; Failed processing 0 files",
        "================ Certificate 0 ================",
        " NotBefore: 1/1/2024",
        "  Key Container = a",
        "Cert Hash(sha1): 00 11",
        "CertUtil: -store command FAILED: 0x80090011",
        "",
    ];
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = String::new();
    for _ in 0..len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (x >> 33) as usize;
        if r.is_multiple_of(8) {
            out.push_str(FRAGMENTS[(r / 8) % FRAGMENTS.len()]);
            out.push_str(if r.is_multiple_of(3) { "\n" } else { "\r\n" });
        } else {
            out.push(ALPHABET[r % ALPHABET.len()]);
        }
    }
    out
}

/// Reads a real public sample under `../shared/samples/` (`rel` is e.g.
/// `commands/netstat-ano__en__jc.txt`), or says loudly that it was skipped.
pub fn sample_bytes(rel: &str) -> Option<Vec<u8>> {
    let path = format!("{}/../../shared/samples/{rel}", env!("CARGO_MANIFEST_DIR"));
    read_sample(&path)
}

/// A real public sample, decoded like any artifact.
pub fn sample_text(rel: &str) -> Option<String> {
    sample_bytes(rel).map(|b| super::text::decode(&b, None).text)
}

/// Reads `path`, printing a loud SKIPPED line when it is absent (no `../shared` beside the repo).
pub fn read_sample(path: &str) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            eprintln!("SKIPPED: ../shared/samples absent ({path})");
            None
        }
    }
}

/// Runs `f` on every prefix of `full` (cut at character boundaries) and on 50 noise texts: a
/// parser and its sniff must return, never panic, on truncated and random input.
pub fn never_panics(full: &str, f: impl Fn(&str)) {
    for cut in 0..full.len() {
        if let Some(prefix) = full.get(..cut) {
            f(prefix);
        }
    }
    for seed in 0..50 {
        f(&noise(seed, 2000));
    }
}

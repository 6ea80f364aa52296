//! End to end: the real `rdp-collect.exe`, cross-built for x86_64-pc-windows-gnu, run under
//! Debian's wine64 in a fresh prefix seeded with RDP faults and one registry value of every type.
//!
//! What it proves: the registry export is byte-identical to Wine's own `reg export` and keeps
//! non-canonical data exactly; tools that Wine lacks (qwinsta, gpresult) and the unsupported event
//! export are recorded with a reason while the collection goes on; the zip is complete; a
//! planted `netstat.exe`/`qwinsta.exe` in the working folder never runs; nothing but the zip is
//! left behind. Needs wine64, gcc-mingw-w64-x86-64 and the Rust target (SKIPPED otherwise,
//! failure under CI=true).

mod support;

use rdp_collect::bundle::{paths, Manifest, Status, EVENT_LOGS, MANIFEST_PATH, REGISTRY_KEYS};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use support::{build_c, windows_path, WinePrefix};

const TS: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
const POL: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
const WINLOGON: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon";
const LSA: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
const NETLOGON: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters";
const DEFAULT_PASSWORD: &str = "Kiosk-Passw0rd!";
const EVENTLOG_SECURITY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Security";
/// Under HKEY_LOCAL_MACHINE.
const CREDSSP_PARAMS: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters";
/// Under HKEY_LOCAL_MACHINE.
const SESSION_MANAGER: &str = r"SYSTEM\CurrentControlSet\Control\Session Manager";
const CBS_REBOOT_PENDING: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
/// What servicing leaves for the next boot: a new termsrv.dll moved over the old one, and a
/// temporary file deleted (an empty target).
const PENDING_RENAMES: &[&str] = &[
    r"\??\C:\Windows\WinSxS\Temp\PendingRenames\termsrv.dll",
    r"!\??\C:\Windows\System32\termsrv.dll",
    r"\??\C:\Windows\Temp\rdp-collect-test.tmp",
    "",
];

/// Non-ASCII, quotes and backslashes in one REG_SZ.
const TEXT: &str = r#"Grüße "zitiert" C:\Pfad\\doppelt 日本 ✓"#;
const NAME_WITH_ESCAPES: &str = r#"Name "with" \back\slash"#;

/// A self-signed certificate made for this test (CN=RDP-TEST-HOST, P-256, EKU server
/// authentication), DER.
const CERT_DER_HEX: &[&str] = &[
    "3082019a30820140a00302010202141b5ac22e224a3a37885ac83427185a0741794913300a06082a8648ce3d04030230",
    "183116301406035504030c0d5244502d544553542d484f5354301e170d3236313132323134313434375a170d33363131",
    "31393134313434375a30183116301406035504030c0d5244502d544553542d484f53543059301306072a8648ce3d0201",
    "06082a8648ce3d030107034200048f89e47101ab7bf0e1bf69cfa0caac667af08218a0c305a904bb955a4c87fca2b161",
    "f8b3dd562b89306b2bc49bc6ba7497f20b170e1a1f583ca9e37b5731616aa3683066301d0603551d0e04160414ab39fb",
    "6303fe94d55ccdb94dfbd1ac3e9e1a21d2301f0603551d23041830168014ab39fb6303fe94d55ccdb94dfbd1ac3e9e1a",
    "21d2300f0603551d130101ff040530030101ff30130603551d25040c300a06082b06010505070301300a06082a8648ce",
    "3d040302034800304502200ed0eb94900a87fe33926e4acf1bccc4212eec06d4219bd13a34ebe897d1d874022100f01e",
    "b3d45036c6ae376f18fead829c688772aa47d883ce4a97d18a50a5d6887d",
];
const CERT_THUMBPRINT: &str = "B399CADB10C1D1EB24CFA797202C779EA191209F";
const CERT_CONTAINER: &str = "TSSecKeySet1";

fn cert_der() -> Vec<u8> {
    let hex: String = CERT_DER_HEX.concat();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// A certificate as a system store keeps it in the registry (`...\Certificates\<SHA1>\Blob`):
/// serialized properties (id, 1, length, data), here the key provider info (the key container
/// the RDP service would use; the key itself does not exist) and the certificate (id 32).
fn cert_store_blob(der: &[u8]) -> Vec<u8> {
    let utf16z = |s: &str| {
        let mut v: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        v.extend_from_slice(&[0, 0]);
        v
    };
    let container = utf16z(CERT_CONTAINER);
    let provider = utf16z("Microsoft Enhanced Cryptographic Provider v1.0");
    // Serialized CRYPT_KEY_PROV_INFO: 7 DWORDs, string pointers as offsets from its start.
    let mut kpi = Vec::new();
    for v in [28u32, 28 + container.len() as u32, 1, 0x20, 0, 0, 1] {
        kpi.extend_from_slice(&v.to_le_bytes());
    }
    kpi.extend(container);
    kpi.extend(provider);
    let mut blob = Vec::new();
    for (id, data) in [(2u32, kpi.as_slice()), (32u32, der)] {
        blob.extend_from_slice(&id.to_le_bytes());
        blob.extend_from_slice(&1u32.to_le_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_le_bytes());
        blob.extend_from_slice(data);
    }
    blob
}

fn binary_data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 37 % 256) as u8).collect()
}

fn hex_arg(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_list(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn utf16z(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        for u in p.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out.extend_from_slice(&[0, 0]);
    }
    out
}

/// The scenarios: RDP switched off, a non-default port, NLA off, a CredSSP oracle setting, and
/// one value of every type (with escapes, non-ASCII text, long data that wraps).
fn seed(p: &WinePrefix) {
    p.reg_add(TS, Some("fDenyTSConnections"), "REG_DWORD", "1");
    let rdp_tcp = format!(r"{TS}\WinStations\RDP-Tcp");
    p.reg_add(&rdp_tcp, Some("PortNumber"), "REG_DWORD", "3390");
    p.reg_add(&rdp_tcp, Some("UserAuthentication"), "REG_DWORD", "0");
    // RD licensing (RDP040): per-user licensing mode and RCM's licensing certificate value,
    // named by the check when licensing errors exist.
    p.reg_add(
        &format!(r"{TS}\RCM\Licensing Core"),
        Some("LicensingMode"),
        "REG_DWORD",
        "4",
    );
    p.reg_add(
        &format!(r"{TS}\RCM"),
        Some("X509 Certificate"),
        "REG_BINARY",
        "3082000a0102",
    );
    // NTLM refused to every account (RDP060), online identities refused (RDP061), and a domain
    // controller's NTLM restriction in the values-only Netlogon export.
    p.reg_add(
        &format!(r"{LSA}\MSV1_0"),
        Some("RestrictReceivingNTLMTraffic"),
        "REG_DWORD",
        "2",
    );
    p.reg_add(
        &format!(r"{LSA}\pku2u"),
        Some("AllowOnlineID"),
        "REG_DWORD",
        "0",
    );
    p.reg_add(NETLOGON, Some("RestrictNTLMInDomain"), "REG_DWORD", "7");
    // A 15-minute idle limit by policy (RDP062).
    p.reg_add(POL, Some("MaxIdleTime"), "REG_DWORD", "900000");
    // A reboot pending (RDP063): the servicing key exists and a rename of termsrv.dll waits
    // for the next boot. The Windows Update `RebootRequired` key stays absent. The list goes to
    // `PendingFileRenameOperations2` (the second list Windows reads at boot, which RDP063 reads
    // too): Wine's wineboot carries out and deletes `PendingFileRenameOperations` itself when
    // the collector's Wine session starts, as Windows does at boot.
    p.reg_add_key(CBS_REBOOT_PENDING);
    p.reg_set_raw(
        SESSION_MANAGER,
        "PendingFileRenameOperations2",
        7,
        &[utf16z(PENDING_RENAMES), vec![0, 0]].concat(),
    );
    // An auto-logon password in clear text: the bundle must not carry it.
    p.reg_add(
        WINLOGON,
        Some("DefaultPassword"),
        "REG_SZ",
        DEFAULT_PASSWORD,
    );

    // An audit baseline: the Security log may not overwrite, and a full log halts Windows.
    p.reg_add(
        EVENTLOG_SECURITY,
        Some("Retention"),
        "REG_DWORD",
        "0xffffffff",
    );
    p.reg_add(EVENTLOG_SECURITY, Some("MaxSize"), "REG_DWORD", "0x1400000");
    p.reg_add(
        EVENTLOG_SECURITY,
        Some("AutoBackupLogFiles"),
        "REG_DWORD",
        "0",
    );
    p.reg_add(LSA, Some("CrashOnAuditFail"), "REG_DWORD", "1");

    p.reg_add(POL, None, "REG_SZ", "default value");
    p.reg_add(POL, Some("Text"), "REG_SZ", TEXT);
    p.reg_add(
        POL,
        Some("Expand"),
        "REG_EXPAND_SZ",
        r"%SystemRoot%\System32\termsrv.dll",
    );
    p.reg_add(
        POL,
        Some("Multi"),
        "REG_MULTI_SZ",
        r"first\0zweite é\0third",
    );
    p.reg_add(POL, Some("Dword"), "REG_DWORD", "0xdeadbeef");
    p.reg_add(POL, Some("Qword"), "REG_QWORD", "0x0123456789abcdef");
    p.reg_add(
        POL,
        Some("Binary"),
        "REG_BINARY",
        &hex_arg(&binary_data(100)),
    );
    p.reg_add(POL, Some("None"), "REG_NONE", "x");
    p.reg_add(POL, Some("Empty"), "REG_SZ", "");
    p.reg_add(POL, Some(NAME_WITH_ESCAPES), "REG_SZ", "x");
    p.reg_add(
        POL,
        Some("A rather long value name that moves the wrap point"),
        "REG_BINARY",
        &hex_arg(&binary_data(40)),
    );

    // Data `reg add` cannot write, set byte for byte: a REG_SZ of 3 bytes without terminator,
    // one with a line break, a 2-byte DWORD, an empty REG_BINARY, a big-endian DWORD and a type
    // number Windows does not define.
    p.reg_add(
        &format!("HKLM\\{CREDSSP_PARAMS}"),
        Some("AllowEncryptionOracle"),
        "REG_DWORD",
        "2",
    );
    p.reg_set_raw(CREDSSP_PARAMS, "OddSz", 1, &[0x41, 0x00, 0x42]);
    p.reg_set_raw(CREDSSP_PARAMS, "MultiLine", 1, &utf16z(&["a\r\nb"]));
    p.reg_set_raw(CREDSSP_PARAMS, "ShortDword", 4, &[0x01, 0x02]);
    p.reg_set_raw(CREDSSP_PARAMS, "EmptyBinary", 3, &[]);
    p.reg_set_raw(CREDSSP_PARAMS, "BigEndian", 5, &[0, 0, 0x0d, 0x3d]);
    p.reg_set_raw(CREDSSP_PARAMS, "Custom", 0x1234, &[0xfe]);

    // The RDP certificate, its private key missing (a classic cause of failed TLS handshakes).
    // The store key has all three subkeys, as on Windows (Wine's CertOpenStore would otherwise
    // create the missing ones, after the registry step exported the key).
    let store = r"HKLM\SOFTWARE\Microsoft\SystemCertificates\Remote Desktop";
    p.reg_add_key(&format!(r"{store}\CRLs"));
    p.reg_add_key(&format!(r"{store}\CTLs"));
    p.reg_set_raw(
        &format!(
            r"SOFTWARE\Microsoft\SystemCertificates\Remote Desktop\Certificates\{CERT_THUMBPRINT}"
        ),
        "Blob",
        3,
        &cert_store_blob(&cert_der()),
    );
}

fn utf16_text(bytes: &[u8]) -> String {
    assert_eq!(bytes.get(..2), Some(&[0xFF, 0xFE][..]), "UTF-16LE BOM");
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

/// Wine's display and monitor device classes. Wine's wbemprox (behind wmic) enumerates the
/// video adapters, and Wine's display driver then rewrites these keys (`DriverDateData`, the
/// class names): Wine's own bookkeeping in a process the collector started, not a write by the
/// collector, which opens keys read-only.
const WINE_DISPLAY_CLASSES: [&str; 2] = [
    r"\Control\Class\{4D36E968-E325-11CE-BFC1-08002BE10318}",
    r"\Control\Class\{4D36E96E-E325-11CE-BFC1-08002BE10318}",
];

/// A `.reg` export's text without the sections of [`WINE_DISPLAY_CLASSES`].
fn without_wine_display_keys(export: &[u8]) -> String {
    let text = utf16_text(export);
    let mut out = String::new();
    let mut keep = true;
    for line in text.split_inclusive("\r\n") {
        if line.starts_with('[') {
            let upper = line.to_ascii_uppercase();
            keep = !WINE_DISPLAY_CLASSES
                .iter()
                .any(|c| upper.contains(&c.to_ascii_uppercase()));
        }
        if keep {
            out.push_str(line);
        }
    }
    out
}

/// The lines of one `.reg` export missing from the other (`-` before, `+` after), at most 40:
/// what a registry change was.
fn changed_lines(b: &str, a: &str) -> String {
    let (bl, al): (BTreeSet<&str>, BTreeSet<&str>) = (b.lines().collect(), a.lines().collect());
    bl.difference(&al)
        .map(|l| format!("- {l}"))
        .chain(al.difference(&bl).map(|l| format!("+ {l}")))
        .take(40)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A value's text with regedit's line continuations removed.
fn unwrapped(text: &str) -> String {
    text.replace("\\\r\n  ", "")
}

fn read_entry(zip: &mut zip::ZipArchive<std::fs::File>, path: &str) -> Vec<u8> {
    let mut v = Vec::new();
    zip.by_name(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .read_to_end(&mut v)
        .unwrap();
    v
}

fn record<'a>(m: &'a Manifest, path: &str) -> &'a rdp_collect::bundle::ArtifactRecord {
    m.artifacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("no manifest record for {path}"))
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn collector_under_wine_end_to_end() {
    // Read-only on the system: the registry is the same before and after.
    let hives = [r"HKLM\SOFTWARE", r"HKLM\SYSTEM", "HKCU"];
    let snapshot = |p: &WinePrefix| -> Vec<Vec<u8>> {
        hives
            .iter()
            .map(|h| p.reg_export(h).unwrap_or_else(|| panic!("reg export {h}")))
            .collect()
    };
    let mut registry_before = Vec::new();
    let mut before = BTreeSet::new();
    let collected =
        support::collect_under_wine("e2e", &["--days", "3", "--timeout", "30"], |p, work| {
            seed(p);
            // Decoys in the working folder: a bare-name lookup would find them before System32
            // (qwinsta.exe does not even exist in Wine's System32).
            let planted = work.join("netstat.exe");
            build_c(
                &[Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/planted.c")],
                &planted,
                &[],
            );
            std::fs::copy(&planted, work.join("qwinsta.exe")).unwrap();
            before = file_names(work);
            registry_before = snapshot(p);
        });
    let Some(collected) = collected else {
        return;
    };
    let (prefix, run, work) = (&collected.prefix, &collected.run, &collected.workdir);
    eprintln!(
        "collector under wine: {:.1} s\n{}",
        run.elapsed.as_secs_f64(),
        run.stdout
    );

    let registry_after = snapshot(prefix);
    for ((hive, before), after) in hives.iter().zip(&registry_before).zip(&registry_after) {
        let (before, after) = (
            without_wine_display_keys(before),
            without_wine_display_keys(after),
        );
        assert!(
            before == after,
            "the collector changed the registry under {hive}:\n{}",
            changed_lines(&before, &after)
        );
    }

    // Only the zip was added to the working folder; no .partial, no scratch files.
    let after = file_names(work);
    let added: Vec<&String> = after.difference(&before).collect();
    assert_eq!(
        added.len(),
        1,
        "files added to the working folder: {added:?}"
    );
    let zip_name = added[0];
    assert!(
        zip_name.starts_with("rdp-evidence-") && zip_name.ends_with("Z.zip"),
        "{zip_name}"
    );
    assert!(
        prefix.leftover_scratch_dirs().is_empty(),
        "scratch folders left: {:?}",
        prefix.leftover_scratch_dirs()
    );
    let zip_path = work.join(zip_name);
    assert_eq!(run.zip.as_deref(), Some(zip_path.as_path()));
    // The console names the zip by its full path, in plain words.
    assert!(
        run.stdout.contains(&windows_path(&zip_path)),
        "zip path not printed:\n{}",
        run.stdout
    );
    assert!(!run.stdout.contains("PLANTED"), "a planted exe ran");

    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let manifest: Manifest = serde_json::from_slice(&read_entry(&mut zip, MANIFEST_PATH)).unwrap();

    // The zip is complete: exactly the recorded files plus the manifest, sizes and hashes right.
    let stored: BTreeSet<String> = manifest
        .artifacts
        .iter()
        .filter(|a| a.sha256.is_some())
        .map(|a| a.path.clone())
        .chain([MANIFEST_PATH.to_string()])
        .collect();
    let entries: BTreeSet<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(entries, stored);
    for a in manifest.artifacts.iter().filter(|a| a.sha256.is_some()) {
        let bytes = read_entry(&mut zip, &a.path);
        assert_eq!(bytes.len() as u64, a.size, "{}", a.path);
        assert_eq!(
            a.sha256.as_deref(),
            Some(rdp_collect::bundle::sha256_hex(&bytes).as_str())
        );
    }

    // Manifest facts.
    assert_eq!(manifest.collector, "rdp-collect");
    assert_eq!(
        manifest.collector_version,
        rdp_collect::collect::COLLECTOR_VERSION
    );
    assert!(!manifest.host_name.is_empty());
    assert!(manifest.elevated.is_some());
    assert!(manifest.os.build.is_some(), "{:?}", manifest.os);
    assert!(manifest.started_utc <= manifest.finished_utc);
    assert!(manifest.options.contains(&"--days 3".to_string()));
    assert!(manifest.options.contains(&"--timeout 30".to_string()));

    // Registry: byte-identical to Wine's own `reg export` wherever the key exists.
    let mut compared = 0;
    for spec in REGISTRY_KEYS {
        let rec = record(&manifest, spec.path);
        match prefix.reg_export(spec.key) {
            Some(wine) => {
                assert_eq!(rec.status, Status::Ok, "{}: {:?}", spec.path, rec.message);
                let ours = read_entry(&mut zip, spec.path);
                if spec.path == paths::REG_CREDSSP {
                    continue; // holds non-canonical data that Wine's export rewrites; see below
                }
                if spec.max_depth.is_some() {
                    // Values only (Wine's export is recursive), and Winlogon is redacted: one
                    // key section, checked below.
                    let text = utf16_text(&ours);
                    assert_eq!(text.matches("\r\n[").count(), 1, "{}:\n{text}", spec.path);
                    continue;
                }
                assert!(
                    ours == wine,
                    "{} differs from Wine's reg export\n--- ours\n{}\n--- wine\n{}",
                    spec.path,
                    utf16_text(&ours),
                    utf16_text(&wine)
                );
                compared += 1;
            }
            None => {
                assert_eq!(rec.status, Status::NotFound, "{}", spec.path);
                assert!(rec.message.is_some());
            }
        }
    }
    assert!(compared >= 3, "only {compared} keys compared");

    // The seeded faults, as exact lines.
    let ts = utf16_text(&read_entry(&mut zip, paths::REG_TERMINAL_SERVER));
    assert!(ts.starts_with("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server]\r\n"));
    assert!(ts.contains("\r\n\"fDenyTSConnections\"=dword:00000001\r\n"));
    assert!(ts.contains(
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp]\r\n"
    ));
    assert!(ts.contains("\r\n\"PortNumber\"=dword:00000d3e\r\n"));
    assert!(ts.contains("\r\n\"UserAuthentication\"=dword:00000000\r\n"));
    assert!(ts.ends_with("\r\n\r\n"));

    // The Security log's retention and CrashOnAuditFail reach the bundle.
    let log = utf16_text(&read_entry(&mut zip, paths::REG_EVENTLOG_SECURITY));
    for line in [
        "\"Retention\"=dword:ffffffff",
        "\"MaxSize\"=dword:01400000",
        "\"AutoBackupLogFiles\"=dword:00000000",
    ] {
        assert!(
            log.split("\r\n").any(|l| l == line),
            "missing {line} in\n{log}"
        );
    }
    let lsa = utf16_text(&read_entry(&mut zip, paths::REG_LSA));
    assert!(
        lsa.split("\r\n")
            .any(|l| l == "\"CrashOnAuditFail\"=dword:00000001"),
        "{lsa}"
    );
    // The seeded NTLM and PKU2U values reach the bundle (Lsa recursively, Netlogon values only).
    let lsa = utf16_text(&read_entry(&mut zip, paths::REG_LSA));
    for (key, line) in [
        (
            r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0]",
            "\"RestrictReceivingNTLMTraffic\"=dword:00000002",
        ),
        (
            r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa\pku2u]",
            "\"AllowOnlineID\"=dword:00000000",
        ),
    ] {
        let section = lsa
            .split("\r\n\r\n")
            .find(|b| b.starts_with(&format!("{key}\r\n")))
            .unwrap_or_else(|| panic!("no {key} in\n{lsa}"));
        assert!(
            section.split("\r\n").any(|l| l == line),
            "{line} in\n{section}"
        );
    }
    let netlogon = utf16_text(&read_entry(&mut zip, paths::REG_NETLOGON_PARAMS));
    assert!(
        netlogon.contains(
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Netlogon\\Parameters]\r\n"
        ) && netlogon.contains("\r\n\"RestrictNTLMInDomain\"=dword:00000007\r\n"),
        "{netlogon}"
    );
    // Pending reboot: the servicing key is exported (it exists), the absent Windows Update key
    // is recorded as not found, and the rename list arrives whole.
    let cbs = utf16_text(&read_entry(&mut zip, paths::REG_CBS_REBOOT_PENDING));
    assert!(
        cbs.contains("\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending]\r\n"),
        "{cbs}"
    );
    let wu = record(&manifest, paths::REG_WU_REBOOT_REQUIRED);
    assert_eq!(wu.status, Status::NotFound, "{wu:?}");
    assert!(zip.by_name(paths::REG_WU_REBOOT_REQUIRED).is_err());
    let sm = unwrapped(&utf16_text(&read_entry(
        &mut zip,
        paths::REG_SESSION_MANAGER,
    )));
    let renames = format!(
        "\"PendingFileRenameOperations2\"=hex(7):{}",
        hex_list(&[utf16z(PENDING_RENAMES), vec![0, 0]].concat())
    );
    assert!(sm.split("\r\n").any(|l| l == renames), "{sm}");
    assert_eq!(sm.matches("\r\n[").count(), 1, "values only:\n{sm}");

    // Every value type.
    let pol = utf16_text(&read_entry(&mut zip, paths::REG_TS_POLICIES));
    let lines: Vec<&str> = pol.split("\r\n").collect();
    assert!(
        lines.iter().all(|l| l.encode_utf16().count() <= 80),
        "{pol}"
    );
    let flat = unwrapped(&pol);
    let expect = [
        "@=\"default value\"".to_string(),
        r#""Text"="Grüße \"zitiert\" C:\\Pfad\\\\doppelt 日本 ✓""#.to_string(),
        format!(
            "\"Expand\"=hex(2):{}",
            hex_list(&utf16z(&[r"%SystemRoot%\System32\termsrv.dll"]))
        ),
        format!(
            "\"Multi\"=hex(7):{}",
            hex_list(&[utf16z(&["first", "zweite é", "third"]), vec![0, 0]].concat())
        ),
        "\"Dword\"=dword:deadbeef".to_string(),
        "\"MaxIdleTime\"=dword:000dbba0".to_string(),
        "\"Qword\"=hex(b):ef,cd,ab,89,67,45,23,01".to_string(),
        format!("\"Binary\"=hex:{}", hex_list(&binary_data(100))),
        "\"None\"=hex(0):78,00,00,00".to_string(),
        "\"Empty\"=\"\"".to_string(),
        r#""Name \"with\" \\back\\slash"="x""#.to_string(),
        format!(
            "\"A rather long value name that moves the wrap point\"=hex:{}",
            hex_list(&binary_data(40))
        ),
    ];
    for line in &expect {
        assert!(
            flat.split("\r\n").any(|l| l == line),
            "missing line {line}\nin:\n{pol}"
        );
    }
    // Long binary data wraps the way regedit wraps it.
    assert!(pol.contains(
        "\"Binary\"=hex:00,25,4a,6f,94,b9,de,03,28,4d,72,97,bc,e1,06,2b,50,75,9a,bf,e4,09,\\\r\n  "
    ));

    // Non-canonical data keeps its exact bytes (Wine's own export would write "A" and a
    // 4-byte dword here).
    let cred = utf16_text(&read_entry(&mut zip, paths::REG_CREDSSP));
    for line in [
        "\"AllowEncryptionOracle\"=dword:00000002",
        "\"OddSz\"=hex(1):41,00,42",
        "\"MultiLine\"=hex(1):61,00,0d,00,0a,00,62,00,00,00",
        "\"ShortDword\"=hex(4):01,02",
        "\"EmptyBinary\"=hex:",
        "\"BigEndian\"=hex(5):00,00,0d,3d",
        "\"Custom\"=hex(1234):fe",
    ] {
        assert!(
            cred.split("\r\n").any(|l| l == line),
            "missing {line} in\n{cred}"
        );
    }

    // Tools Wine lacks are recorded as not found, with a reason; the rest ran by full path.
    let q = record(&manifest, paths::QWINSTA);
    assert_eq!(q.status, Status::NotFound);
    assert!(
        q.message
            .as_deref()
            .unwrap()
            .contains("qwinsta.exe does not exist"),
        "{q:?}"
    );
    let g = record(&manifest, paths::GPRESULT_HTML);
    assert_eq!(g.status, Status::NotFound, "{g:?}");
    assert!(g.message.as_deref().unwrap().contains("gpresult.exe"));
    assert!(zip.by_name(paths::GPRESULT_HTML).is_err());
    let netstat = record(&manifest, paths::NETSTAT);
    assert_eq!(netstat.status, Status::Ok, "{netstat:?}");
    assert!(
        netstat
            .producer
            .to_ascii_lowercase()
            .ends_with(r"\system32\netstat.exe -ano"),
        "{}",
        netstat.producer
    );
    let out = read_entry(&mut zip, paths::NETSTAT);
    assert!(
        !String::from_utf8_lossy(&out).contains("PLANTED"),
        "the planted netstat.exe ran"
    );

    // Event export is unsupported under Wine: recorded, the collection went on.
    for spec in EVENT_LOGS {
        let r = record(&manifest, spec.path);
        assert!(
            matches!(r.status, Status::Failed | Status::NotFound),
            "{}: {:?}",
            spec.path,
            r
        );
        let msg = r.message.as_deref().unwrap_or_default();
        assert!(msg.contains("not supported"), "{}: {msg}", spec.path);
        assert!(r.producer.contains("timediff(@SystemTime) <= 259200000"));
    }
    assert!(
        run.stdout.contains("Security log: failed"),
        "{}",
        run.stdout
    );
    // Certificates through CryptoAPI: DER and index; "My" does not exist under Wine.
    let index: Vec<rdp_collect::bundle::CertIndexEntry> =
        serde_json::from_slice(&read_entry(&mut zip, paths::CERT_INDEX)).unwrap();
    assert_eq!(index.len(), 1, "{index:?}");
    let cert = &index[0];
    assert_eq!(cert.store, "Remote Desktop");
    assert_eq!(cert.thumbprint, CERT_THUMBPRINT);
    assert_eq!(
        cert.path,
        format!("certs/remote-desktop/{CERT_THUMBPRINT}.cer")
    );
    assert!(cert.has_private_key);
    assert_eq!(cert.key_container.as_deref(), Some(CERT_CONTAINER));
    assert_eq!(cert.private_key_accessible, Some(false));
    assert_eq!(read_entry(&mut zip, &cert.path), cert_der());
    assert_eq!(record(&manifest, "certs/my/").status, Status::NotFound);

    // Winlogon: exported values-only, the seeded DefaultPassword redacted, and said so.
    let winlogon = utf16_text(&read_entry(&mut zip, paths::REG_WINLOGON));
    assert!(!winlogon.contains(DEFAULT_PASSWORD), "{winlogon}");
    assert!(
        winlogon.contains("\r\n\"DefaultPassword\"=\"<redacted by rdp-collect>\"\r\n"),
        "{winlogon}"
    );
    let w = record(&manifest, paths::REG_WINLOGON);
    assert!(
        w.message
            .as_deref()
            .unwrap()
            .contains(r"Winlogon\DefaultPassword was redacted"),
        "{w:?}"
    );
    let needle: Vec<u8> = DEFAULT_PASSWORD
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    for name in zip
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect::<Vec<_>>()
    {
        let bytes = read_entry(&mut zip, &name);
        assert!(
            !bytes.windows(needle.len()).any(|x| x == needle.as_slice())
                && !bytes
                    .windows(DEFAULT_PASSWORD.len())
                    .any(|x| x == DEFAULT_PASSWORD.as_bytes()),
            "the password is in {name}"
        );
    }

    // The handshake probe: nothing listens on the seeded port 3390 under Wine.
    let probe = record(&manifest, paths::RDP_HANDSHAKE);
    assert_eq!(probe.status, Status::Ok, "{probe:?}");
    assert!(probe
        .producer
        .starts_with("RDP handshake probe 127.0.0.1:3390"));
    assert!(
        probe.message.as_deref().unwrap().contains("refused"),
        "{probe:?}"
    );
    let json = String::from_utf8(read_entry(&mut zip, paths::RDP_HANDSHAKE)).unwrap();
    let p = rdp_analyze::parse::rdp_probe::parse(&json).unwrap();
    assert_eq!(p.target.as_deref(), Some("127.0.0.1:3390"));
    assert_eq!(p.tcp.as_deref(), Some("refused"), "{json}");
    assert_eq!(p.answers_locally(), Some(false));
    assert_eq!(p.tls.as_deref(), Some("not_attempted"));
    assert!(!manifest
        .artifacts
        .iter()
        .any(|a| a.path.starts_with("certs/served/")));
    // It ran last, after the event logs.
    assert_eq!(
        manifest.artifacts.last().unwrap().path,
        paths::RDP_HANDSHAKE
    );

    // The issue-6 commands: each recorded, by full System32 path, and with a reason whenever it
    // is not ok. Wine lacks w32tm and nltest, has stubs for secedit, wmic and sc's qc and
    // queryex, and is no domain member.
    for path in [
        paths::NETSH_CURRENT_PROFILE,
        paths::ICACLS_RDP_KEY,
        paths::SC_QUERYEX_ALL,
        paths::SC_QC_TERMSERVICE,
        paths::SC_QC_CRYPTSVC,
        paths::SC_QC_KEYISO,
        paths::SC_QC_CERTPROPSVC,
        paths::W32TM_STATUS,
        paths::DSREGCMD_STATUS,
        paths::SECURITYCENTER_FIREWALL,
        paths::SECEDIT_USER_RIGHTS,
        paths::NET_LOCALGROUP_RDU,
        paths::NLTEST_SC_QUERY,
        paths::NETSH_DYNAMICPORT_TCP,
        paths::WEVTUTIL_GL_SECURITY,
        paths::NETSH_WFP_FILTERS,
    ] {
        let r = record(&manifest, path);
        eprintln!("{path}: {:?} {:?} ({})", r.status, r.message, r.producer);
        if r.status != Status::Ok {
            assert!(r.message.is_some(), "{path}: {r:?}");
        }
        if r.status != Status::Skipped {
            assert!(
                r.producer
                    .to_ascii_lowercase()
                    .contains(r":\windows\system32\")
                    || r.status == Status::NotFound,
                "{path}: {}",
                r.producer
            );
        }
    }
    // Wine's netsh and wevtutil are stubs that print nothing and exit 0: recorded as run, an
    // empty output kept (the analyzer reports it unreadable below, RDP900).
    for path in [
        paths::NETSH_DYNAMICPORT_TCP,
        paths::WEVTUTIL_GL_SECURITY,
        paths::NETSH_WFP_FILTERS,
    ] {
        let r = record(&manifest, path);
        assert_eq!(
            (r.status, r.exit_code, r.size),
            (Status::Ok, Some(0), 0),
            "{r:?}"
        );
    }
    let w32 = record(&manifest, paths::W32TM_STATUS);
    assert_eq!(w32.status, Status::NotFound);
    assert!(w32
        .message
        .as_deref()
        .unwrap()
        .contains("w32tm.exe does not exist"));
    // dsregcmd (Windows 10 and later) does not exist in Wine: recorded, with its reason.
    let ds = record(&manifest, paths::DSREGCMD_STATUS);
    assert_eq!(ds.status, Status::NotFound, "{ds:?}");
    assert!(
        ds.message
            .as_deref()
            .unwrap()
            .contains("dsregcmd.exe does not exist"),
        "{ds:?}"
    );
    assert!(zip.by_name(paths::DSREGCMD_STATUS).is_err());
    let nl = record(&manifest, paths::NLTEST_SC_QUERY);
    assert_eq!(nl.status, Status::Skipped, "{nl:?}");
    assert!(nl.message.as_deref().unwrap().contains("not domain-joined"));
    let se = record(&manifest, paths::SECEDIT_USER_RIGHTS);
    assert!(
        matches!(se.status, Status::Failed | Status::NotFound),
        "{se:?}"
    );
    assert!(zip.by_name(paths::SECEDIT_USER_RIGHTS).is_err());
    let wmic = record(&manifest, paths::SECURITYCENTER_FIREWALL);
    assert!(
        wmic.producer
            .to_ascii_lowercase()
            .contains(r"\system32\wbem\wmic.exe /namespace:\\root\securitycenter2"),
        "{}",
        wmic.producer
    );
    let rdu = record(&manifest, paths::NET_LOCALGROUP_RDU);
    assert!(
        rdu.producer
            .ends_with(r#"net.exe localgroup "Remote Desktop Users""#),
        "{}",
        rdu.producer
    );

    // The issue-16 host-state commands. Wine has an ipconfig (no title, lower-case labels,
    // headers without a colon) whose output must parse; it has no route.exe or powercfg.exe,
    // which are recorded as not found with the reason.
    let ip = record(&manifest, paths::IPCONFIG_ALL);
    assert_eq!(ip.status, Status::Ok, "{ip:?}");
    assert!(
        ip.producer
            .to_ascii_lowercase()
            .ends_with(r"\system32\ipconfig.exe /all"),
        "{}",
        ip.producer
    );
    let ip_text =
        rdp_analyze::parse::text::decode(&read_entry(&mut zip, paths::IPCONFIG_ALL), ip.code_page);
    assert!(
        rdp_analyze::parse::ipconfig::sniff(&ip_text.text),
        "{}",
        ip_text.text
    );
    let cfg = rdp_analyze::parse::ipconfig::parse(&ip_text.text).unwrap();
    assert!(cfg.host_name.is_some(), "{}", ip_text.text);
    assert!(!cfg.adapters.is_empty(), "{}", ip_text.text);
    assert!(
        cfg.adapters
            .iter()
            .flat_map(|a| &a.ipv4)
            .any(|x| x.address == "127.0.0.1" || x.ipv4().is_some()),
        "{}",
        ip_text.text
    );
    for (path, exe) in [
        (paths::ROUTE_PRINT, "route.exe"),
        (paths::POWERCFG_SLEEP, "powercfg.exe"),
    ] {
        let r = record(&manifest, path);
        assert_eq!(r.status, Status::NotFound, "{path}: {r:?}");
        assert!(
            r.message
                .as_deref()
                .unwrap()
                .contains(&format!("{exe} does not exist")),
            "{path}: {r:?}"
        );
        assert!(zip.by_name(path).is_err());
    }

    // The RD licensing grace period: Wine's wmic knows no CALL verb and says so on stderr with
    // exit code 1. The step is recorded as failed with that reason, the stderr is kept, no
    // output is stored, and the analyzer has no grace period to read (RDP040 says "cannot
    // tell" with the step's status rather than inventing days).
    let grace = record(&manifest, paths::WMIC_GRACE_PERIOD);
    assert_eq!(grace.status, Status::Failed, "{grace:?}");
    assert_eq!(grace.exit_code, Some(1), "{grace:?}");
    assert!(
        grace.producer.to_ascii_lowercase().ends_with(concat!(
            r"\system32\wbem\wmic.exe /namespace:\\root\cimv2\terminalservices ",
            r"path win32_terminalservicesetting where (__class!='') call getgraceperioddays"
        )),
        "{}",
        grace.producer
    );
    assert_eq!(
        grace.message.as_deref(),
        Some("exit code 1: Error: Command line not supported")
    );
    assert!(zip.by_name(paths::WMIC_GRACE_PERIOD).is_err());
    let grace_err = rdp_analyze::parse::text::decode(
        &read_entry(
            &mut zip,
            &rdp_collect::bundle::stderr_path(paths::WMIC_GRACE_PERIOD),
        ),
        None,
    );
    assert_eq!(
        grace_err.text.trim_end(),
        "Error: Command line not supported"
    );
    let ev = rdp_analyze::evidence::Evidence::build(
        rdp_analyze::bundle::open(&collected.zip, &Default::default()).unwrap(),
    );
    assert!(ev.grace_period.is_empty(), "{:?}", ev.grace_period);
    // The seeded licensing values reached the bundle (terminal-server.reg, recursive).
    let rcm = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\RCM";
    let mode = ev
        .reg_value(&format!(r"{rcm}\Licensing Core"), "LicensingMode")
        .expect("LicensingMode in terminal-server.reg");
    assert_eq!(mode.artifact, paths::REG_TERMINAL_SERVER);
    assert_eq!(mode.value.data.as_u32(), Some(4));
    let x509 = ev
        .reg_value(rcm, "X509 Certificate")
        .expect("X509 Certificate in terminal-server.reg");
    assert_eq!(
        x509.value.data,
        rdp_analyze::parse::reg::RegData::Binary(vec![0x30, 0x82, 0x00, 0x0a, 0x01, 0x02])
    );

    // The analyzer diagnoses the seeded faults from the real bundle, and says what it lacked.
    let report = rdp_analyze::analyze_path(&collected.zip, &rdp_analyze::bundle::Limits::default())
        .expect("the analyzer reads the collector's zip");
    let report = serde_json::to_value(&report).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let has = |id: &str, sev: &str, key: &str, val: &str| {
        findings.iter().any(|f| {
            f["id"] == id && f["severity"] == sev && (key.is_empty() || f["facts"][key] == val)
        })
    };
    assert!(
        has("RDP001", "error", "value", "1"),
        "fDenyTSConnections = 1 is diagnosed"
    );
    assert!(
        has("RDP006", "warning", "port", "3390"),
        "PortNumber 3390 is diagnosed"
    );
    assert!(
        has("RDP901", "warning", "artifact", paths::EVENTS_SECURITY),
        "the failed Security log export is reported"
    );
    assert!(
        has("RDP901", "info", "artifact", paths::QWINSTA),
        "qwinsta (absent under Wine) is reported as not found"
    );
    // The seeded audit baseline: the Security log may not overwrite (from the registry, as
    // Wine's wevtutil prints nothing) and CrashOnAuditFail is armed: one story in two findings.
    assert!(
        has("RDP069", "warning", "retention", "retain"),
        "the Security log's retention is diagnosed"
    );
    assert!(
        has("RDP064", "warning", "CrashOnAuditFail", "1"),
        "CrashOnAuditFail = 1 with a log that cannot overwrite is a warning"
    );
    assert!(
        has("RDP060", "warning", "restrict_receiving_ntlm", "2"),
        "the seeded NTLM restriction is diagnosed"
    );
    // Registry exports, certificates and the probe record (real Win32 API output, our JSON)
    // all parse. Wine's stand-ins for tasklist, netsh, icacls, certutil and net localgroup print
    // nothing Windows-shaped, and the analyzer must say so (RDP900) rather than pretend it saw
    // them.
    let unreadable: Vec<&str> = findings
        .iter()
        .filter(|f| f["id"] == "RDP900")
        .map(|f| f["facts"]["artifact"].as_str().unwrap())
        .collect();
    for path in &unreadable {
        assert!(
            [
                paths::TASKLIST_SVC,
                paths::NETSH_RULES,
                paths::NETSH_PROFILES,
                paths::ICACLS_MACHINEKEYS,
                paths::CERTUTIL_RDP,
                paths::NETSH_CURRENT_PROFILE,
                paths::ICACLS_RDP_KEY,
                paths::NET_LOCALGROUP_RDU,
                paths::NETSH_DYNAMICPORT_TCP,
                paths::WEVTUTIL_GL_SECURITY,
                paths::NETSH_WFP_FILTERS,
            ]
            .contains(path),
            "{path} should have parsed (unreadable: {unreadable:?})"
        );
    }
    assert!(!unreadable.is_empty(), "Wine's stub outputs are reported");
    let not_evaluated = report["not_evaluated"].as_array().unwrap();
    let failed_logons = not_evaluated
        .iter()
        .find(|n| n["id"] == "RDP014")
        .expect("RDP014 not evaluated");
    assert!(
        failed_logons["reason"]
            .as_str()
            .unwrap()
            .contains("not supported"),
        "{failed_logons}"
    );
    // Without dsregcmd the join state is unknown: RDP061 says why instead of passing.
    let pku2u = not_evaluated
        .iter()
        .find(|n| n["id"] == "RDP061")
        .expect("RDP061 not evaluated");
    assert!(
        pku2u["reason"]
            .as_str()
            .unwrap()
            .contains("dsregcmd.exe does not exist"),
        "{pku2u}"
    );
    // Sleep cannot be judged without powercfg and the System log; the adapters can.
    let sleep = not_evaluated
        .iter()
        .find(|n| n["id"] == "RDP067")
        .expect("RDP067 not evaluated");
    assert!(
        sleep["reason"].as_str().unwrap().contains("powercfg"),
        "{sleep}"
    );
    assert!(
        !not_evaluated.iter().any(|n| n["id"] == "RDP066"),
        "RDP066 reads Wine's ipconfig"
    );
    // Wine's netsh has no `wfp` context (exit 0, empty output, reported unreadable above) and
    // Wine exports no event log: RDP072 cannot tell, and says why; it does not pass.
    let wfp = not_evaluated
        .iter()
        .find(|n| n["id"] == "RDP072")
        .expect("RDP072 not evaluated");
    let why = wfp["reason"].as_str().unwrap();
    assert!(
        why.contains("commands/netsh-wfp-filters.xml could not be parsed (no <wfpdiag> element")
            && why.contains("events/Security.evtx was not collected"),
        "{wfp}"
    );
    assert!(findings.iter().all(|f| f["id"] != "RDP072"));

    // --version, --list, and an output folder that does not exist.
    let v = prefix.run_collector(work, &["--version"]);
    assert_eq!(v.exit_code, Some(0));
    assert_eq!(
        v.stdout.trim_end(),
        format!("rdp-collect {}", rdp_collect::collect::COLLECTOR_VERSION)
    );
    let l = prefix.run_collector(work, &["--list"]);
    assert_eq!(l.exit_code, Some(0));
    assert!(l.stdout.contains(paths::REG_TERMINAL_SERVER) && l.stdout.contains("netstat.exe -ano"));
    let bad = prefix.root.join("no-such-folder").join("x.zip");
    let b = prefix.run_collector(work, &["--no-events", "--output", &windows_path(&bad)]);
    assert_eq!(b.exit_code, Some(1), "{}", b.stdout);
    assert!(b.stdout.contains("does not exist"), "{}", b.stdout);
    assert_eq!(file_names(work), after, "failed runs leave nothing behind");
}

/// All files below `dir` with their bytes, sorted: to prove a collection left them as they were.
fn tree_bytes(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// `rdp-collect --offline <volume>` on a "rescue machine": the attached volume is a copy of the
/// offline-rdp-disabled fixture (regf hives) with the event logs and MachineKeys of the
/// offline-volume fixture. The zip holds the hives, logs and key listing under offline/, the
/// manifest says offline, the volume is unchanged, and the analyzer diagnoses from the hives.
#[test]
fn collector_offline_volume_under_wine() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let copy_tree = |from: &Path, to: &Path| {
        for (p, bytes) in tree_bytes(from) {
            let dest = to.join(p.strip_prefix(from).unwrap());
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(dest, bytes).unwrap();
        }
    };
    let root_for_arg = std::env::temp_dir().join(format!("rdp-offline-vol-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root_for_arg);
    copy_tree(&fixtures.join("offline-volume"), &root_for_arg);
    copy_tree(&fixtures.join("offline-rdp-disabled"), &root_for_arg);
    std::fs::remove_file(root_for_arg.join("expected.json")).unwrap();
    let before = tree_bytes(&root_for_arg);
    let vol_arg = windows_path(&root_for_arg);
    let args = ["--offline", vol_arg.as_str(), "--no-pause"];
    let Some(collected) = support::collect_under_wine("offline", &args, |_, _| {}) else {
        let _ = std::fs::remove_dir_all(&root_for_arg);
        return;
    };
    let volume = root_for_arg;
    eprintln!("offline collection:\n{}", collected.run.stdout);
    assert_eq!(tree_bytes(&volume), before, "the volume was changed");

    let mut zip = zip::ZipArchive::new(std::fs::File::open(&collected.zip).unwrap()).unwrap();
    let manifest: Manifest = serde_json::from_slice(&read_entry(&mut zip, MANIFEST_PATH)).unwrap();
    assert_eq!(manifest.offline.as_deref(), Some(vol_arg.as_str()));
    for path in [
        "offline/Windows/System32/config/SYSTEM",
        "offline/Windows/System32/config/SOFTWARE",
        "offline/Windows/System32/winevt/Logs/Security.evtx",
        rdp_collect::offline::MACHINE_KEYS_LISTING,
    ] {
        let rec = record(&manifest, path);
        assert_eq!(rec.status, Status::Ok, "{path}: {:?}", rec.message);
        let bytes = read_entry(&mut zip, path);
        assert_eq!(
            Some(rdp_collect::bundle::sha256_hex(&bytes)),
            rec.sha256,
            "{path}"
        );
    }
    // Copied byte for byte.
    assert_eq!(
        read_entry(&mut zip, "offline/Windows/System32/config/SYSTEM"),
        std::fs::read(volume.join("Windows/System32/config/SYSTEM")).unwrap()
    );
    let listing = String::from_utf8(read_entry(
        &mut zip,
        rdp_collect::offline::MACHINE_KEYS_LISTING,
    ))
    .unwrap();
    assert!(
        listing.contains("f686aace6942fb7f7ceb231212eef4a4_"),
        "{listing}"
    );

    let report = rdp_analyze::analyze_path(&collected.zip, &rdp_analyze::bundle::Limits::default())
        .expect("the analyzer reads the offline bundle");
    let report = serde_json::to_value(&report).unwrap();
    assert!(
        report["host"]["offline"]
            .as_str()
            .unwrap()
            .contains("offline disk"),
        "{}",
        report["host"]
    );
    assert_eq!(report["host"]["host_name"], "WS-OFFLINE01");
    let findings = report["findings"].as_array().unwrap();
    let rdp001 = findings
        .iter()
        .find(|f| f["id"] == "RDP001")
        .expect("fDenyTSConnections = 1 in the hive is diagnosed");
    assert_eq!(
        rdp001["evidence"][0]["artifact"],
        "offline/Windows/System32/config/SYSTEM"
    );
    let not_evaluated = report["not_evaluated"].as_array().unwrap();
    assert!(not_evaluated.iter().any(|n| n["id"] == "RDP007"
        && n["reason"]
            .as_str()
            .unwrap()
            .starts_with("offline disk: no live state")));
    let _ = std::fs::remove_dir_all(&volume);
}

/// `rdp-collect.exe probe` under Wine against loopback fake listeners (refused, silent,
/// HYBRID_REQUIRED_BY_SERVER, TLS with the test certificate), and `rdp-analyze compare
/// --emit-reg` output imported by Wine's own `reg import`.
#[test]
fn probe_and_emit_reg_under_wine() {
    use rdp_collect::probe::fake_server::{closed_port, Behaviour, FakeRdpServer, TEST_CERT_SHA1};
    use rdp_collect::probe::wire;
    let Some(tools) = support::require_tools("probe") else {
        return;
    };
    let prefix = WinePrefix::create("probe", &tools);
    let out_dir = prefix.root.join("probes");
    std::fs::create_dir_all(&out_dir).unwrap();
    let probe = |port: u16, name: &str| -> serde_json::Value {
        let file = out_dir.join(format!("{name}.json"));
        let exe = support::collector_exe();
        let mut cmd = prefix.command([exe.as_os_str()]);
        cmd.args([
            "probe",
            &format!("127.0.0.1:{port}"),
            "--count",
            "2",
            "--timeout",
            "2",
            "-o",
            &windows_path(&file),
        ]);
        let out = support::run_to_files(
            cmd,
            &prefix.root,
            std::time::Duration::from_secs(120),
            "rdp-collect.exe probe",
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.exit_code, Some(0), "{name}: {stdout}");
        assert!(stdout.contains("Verdict:"), "{name}: {stdout}");
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap()
    };
    let refused = probe(closed_port().unwrap(), "refused");
    assert_eq!(refused["verdict"], "refused", "{refused}");
    assert_eq!(refused["summary"]["loss_percent"], 100.0);

    let silent = FakeRdpServer::start(Behaviour::Silent).unwrap();
    let rec = probe(silent.addr().port(), "silent");
    assert_eq!(rec["verdict"], "not_rdp", "{rec}");
    drop(silent);

    let nla = FakeRdpServer::start(Behaviour::NegotiationFailure(5)).unwrap();
    let rec = probe(nla.addr().port(), "nla");
    assert_eq!(rec["verdict"], "negotiation_refused", "{rec}");
    assert_eq!(
        rec["handshake"]["failure_name"],
        "HYBRID_REQUIRED_BY_SERVER"
    );
    assert_eq!(rec["nla"], "required");
    drop(nla);

    let tls = FakeRdpServer::start(Behaviour::Rdp {
        protocol: wire::PROTOCOL_SSL,
        tls13: true,
    })
    .unwrap();
    let rec = probe(tls.addr().port(), "tls");
    assert_eq!(rec["verdict"], "reachable", "{rec}");
    assert_eq!(rec["certificate"]["thumbprint"], TEST_CERT_SHA1);
    assert!(rec["certificate"]["subject"]
        .as_str()
        .unwrap()
        .contains("RDP-PROBE-TEST"));
    assert!(
        rec["client"]["os"].as_str().unwrap().starts_with("windows"),
        "{rec}"
    );
    drop(tls);

    // --emit-reg: healthy (working) against listener-bound-to-adapter and non-default-port
    // values (broken), imported into a prefix whose RDP-Tcp has the broken values.
    let rdp_tcp = format!(r"{TS}\WinStations\RDP-Tcp");
    prefix.reg_add(&rdp_tcp, Some("LanAdapter"), "REG_DWORD", "2");
    prefix.reg_add(&rdp_tcp, Some("PortNumber"), "REG_DWORD", "3390");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let open = |name: &str| {
        rdp_analyze::evidence::Evidence::build(
            rdp_analyze::bundle::open(&fixtures.join(name), &Default::default()).unwrap(),
        )
    };
    let working = rdp_analyze::compare::Side::read(&open("healthy"));
    let mut broken = rdp_analyze::compare::Side::read(&open("listener-bound-to-adapter"));
    // Merge in the port fault: one broken machine with both differences.
    let port = rdp_analyze::compare::Side::read(&open("non-default-port"));
    for (k, f) in port.facts {
        if f.item.ends_with("PortNumber") {
            broken.facts.insert(k, f);
        }
    }
    let cmp = rdp_analyze::compare::compare_sides(&working, &broken);
    let changes = rdp_analyze::compare::emit_reg::changes(&cmp, &working, &broken);
    assert!(changes.len() >= 2, "{changes:?}");
    let reg = prefix.root.join("fix.reg");
    std::fs::write(&reg, rdp_analyze::compare::emit_reg::render(&cmp, &changes)).unwrap();
    let out = prefix.wine(&["reg", "import", &windows_path(&reg)]);
    assert_eq!(
        out.exit_code,
        Some(0),
        "reg import: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let export = utf16_text(&prefix.reg_export(&rdp_tcp).expect("RDP-Tcp exported"));
    assert!(export.contains("\"LanAdapter\"=dword:00000000"), "{export}");
    assert!(export.contains("\"PortNumber\"=dword:00000d3d"), "{export}");
    assert!(!export.contains("SSLCertificateSHA1Hash"), "{export}");
}

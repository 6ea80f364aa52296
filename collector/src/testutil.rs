//! A recorded machine for the collection tests: one RDP host with a mix of outcomes (a key with
//! every value type, a denied Security log, a hung gpresult or a working one, a missing tool).

use crate::bundle::{OsInfo, Status};
use crate::probe::{ProbeOutcome, ProbeRecord};
use crate::regfile::{self, RegKey, RegValue};
use crate::source::{
    command_key, CertItem, CommandOutput, RecordedEvents, RecordedFileCommand, RecordedGpresult,
    RecordedSource, RegRead, StepError, SystemFacts,
};

pub const TS_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server";
pub const WINLOGON_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon";
/// The recorded secedit run, as its file command key.
pub const SECEDIT_KEY: &str =
    "secedit.exe /export /cfg <file> /areas SECURITYPOLICY USER_RIGHTS /log secedit.log";

/// UTF-16LE with BOM, as secedit writes its INF.
pub fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    v
}

/// A secedit export of the user rights (the start of one).
pub fn secedit_inf() -> Vec<u8> {
    utf16le_bom(
        "[Unicode]\r\nUnicode=yes\r\n[Privilege Rights]\r\n\
SeRemoteInteractiveLogonRight = *S-1-5-32-544,*S-1-5-32-555\r\n\
[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n",
    )
}

/// What the probe found on the recorded host: the listener on 3390 answers, CredSSP selected,
/// TLS 1.2.
pub fn probe_outcome() -> ProbeOutcome {
    let der = b"served certificate DER".to_vec();
    let thumb = hex::encode_upper(<sha1::Sha1 as sha1::Digest>::digest(&der));
    let json = format!(
        r#"{{"probe":"rdp-handshake","format_version":1,"target":"127.0.0.1:3390",
"source":"127.0.0.1:50000","started_utc":"2026-01-01T00:00:09Z","duration_ms":12,
"tcp":"connected","requested_protocols":["ssl","hybrid","hybrid_ex"],
"negotiation":"selected","selected_protocol":"hybrid_ex","negotiation_flags":31,
"tls":"ok","tls_version":"TLS 1.2","cipher_suite":"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
"certificate_sha1":"{thumb}","certificate_path":"certs/served/{thumb}.cer"}}"#
    );
    let record: ProbeRecord = serde_json::from_str(&json).unwrap();
    ProbeOutcome {
        record,
        certificate: Some(der),
    }
}

pub fn output(cmd: &str, stdout: &[u8], stderr: &[u8], exit: Option<i32>) -> CommandOutput {
    CommandOutput {
        command_line: format!(r"C:\Windows\system32\{cmd}"),
        stdout: stdout.to_vec(),
        stderr: stderr.to_vec(),
        exit_code: exit,
        timed_out: exit.is_none(),
        truncated: false,
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

pub fn terminal_server_tree() -> RegKey {
    let mut root = RegKey::new(TS_KEY);
    root.values.push(RegValue {
        name: "fDenyTSConnections".into(),
        kind: regfile::REG_DWORD,
        data: 1u32.to_le_bytes().to_vec(),
    });
    let mut rdp = RegKey::new(format!(r"{TS_KEY}\WinStations\RDP-Tcp"));
    rdp.values.push(RegValue {
        name: "PortNumber".into(),
        kind: regfile::REG_DWORD,
        data: 3390u32.to_le_bytes().to_vec(),
    });
    let mut ws = RegKey::new(format!(r"{TS_KEY}\WinStations"));
    ws.subkeys.push(rdp);
    root.subkeys.push(ws);
    root
}

/// A non-elevated host: Security log denied, qwinsta missing, gpresult hung.
pub fn recorded_host() -> RecordedSource {
    let mut s = RecordedSource {
        facts: SystemFacts {
            host_name: "WS-01".into(),
            os: OsInfo {
                product_name: Some("Windows Server 2022 Standard".into()),
                build: Some("20348.2340".into()),
                ..OsInfo::default()
            },
            elevated: Some(false),
            code_page: Some(850),
        },
        ..RecordedSource::default()
    };
    s.env.insert("ProgramData".into(), r"C:\ProgramData".into());
    s.registry.insert(
        TS_KEY.into(),
        Ok(RegRead {
            root: terminal_server_tree(),
            warnings: vec![],
            timed_out: false,
        }),
    );
    s.registry.insert(
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa".into(),
        Ok(RegRead {
            root: RegKey::new(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa"),
            warnings: vec![r"HKEY_LOCAL_MACHINE\...\Lsa\Data: Access is denied. (error 5)".into()],
            timed_out: false,
        }),
    );
    s.commands.insert(
        command_key("qwinsta.exe", &[]),
        Err(StepError::not_found(
            r"C:\Windows\system32\qwinsta.exe does not exist on this system",
        )),
    );
    s.commands.insert(
        command_key("netstat.exe", &args(&["-ano"])),
        Ok(output(
            "netstat.exe -ano",
            b"\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:3390           0.0.0.0:0              LISTENING       1234\r\n",
            b"",
            Some(0),
        )),
    );
    s.commands.insert(
        command_key("sc.exe", &args(&["queryex", "UmRdpService"])),
        Ok(output(
            "sc.exe queryex UmRdpService",
            b"[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n",
            b"",
            Some(1060),
        )),
    );
    s.commands.insert(
        command_key(
            "icacls.exe",
            &args(&[r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys"]),
        ),
        Ok(output(
            "icacls.exe",
            b"MachineKeys Everyone:(R)\r\n",
            b"warn\r\n",
            Some(0),
        )),
    );
    s.commands.insert(
        command_key("certutil.exe", &args(&["-store", "Remote Desktop"])),
        Ok(output(
            "certutil.exe -store \"Remote Desktop\"",
            b"CertUtil: -store command FAILED: 0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED)\r\nCertUtil: Access is denied.\r\n",
            b"",
            Some(0x8007_0005_u32 as i32),
        )),
    );
    let mut winlogon = RegKey::new(WINLOGON_KEY);
    for (name, data) in [
        ("AutoAdminLogon", "1"),
        ("DefaultUserName", "kiosk"),
        ("DefaultPassword", "Winter2026!"),
    ] {
        winlogon.values.push(RegValue {
            name: name.into(),
            kind: regfile::REG_SZ,
            data: regfile::sz_bytes(data),
        });
    }
    s.registry.insert(
        WINLOGON_KEY.into(),
        Ok(RegRead {
            root: winlogon,
            warnings: vec![format!(
                "{WINLOGON_KEY}: values only, its 3 subkey(s) not exported"
            )],
            timed_out: false,
        }),
    );
    s.file_commands.insert(
        SECEDIT_KEY.into(),
        Ok(RecordedFileCommand {
            console: output(
                "secedit.exe /export",
                b"\r\nThe task has completed successfully.\r\n",
                b"",
                Some(0),
            ),
            file: Some(secedit_inf()),
        }),
    );
    s.accounts
        .insert("S-1-5-32-555".into(), "Remotedesktopbenutzer".into());
    s.commands.insert(
        command_key("net.exe", &args(&["localgroup", "Remotedesktopbenutzer"])),
        Ok(output(
            "net.exe localgroup Remotedesktopbenutzer",
            b"Aliasname     Remotedesktopbenutzer\r\nBeschreibung  Mitglieder dieser Gruppe sind berechtigt, sich remote anzumelden.\r\n\r\nMitglieder\r\n\r\n-------------------------------------------------------------------------------\r\nCONTOSO\\Dom\x84nen-Benutzer\r\nDer Befehl wurde erfolgreich ausgef\x81hrt.\r\n\r\n",
            b"",
            Some(0),
        )),
    );
    s.domain = Some(Ok(Some("CONTOSO".into())));
    s.commands.insert(
        command_key("nltest.exe", &args(&["/sc_query:CONTOSO"])),
        Ok(output(
            "nltest.exe /sc_query:CONTOSO",
            b"Flags: 30 HAS_IP  HAS_TIMESERV\r\nTrusted DC Name \\\\DC1.contoso.com\r\nTrusted DC Connection Status Status = 0 0x0 NERR_Success\r\nThe command completed successfully\r\n",
            b"",
            Some(0),
        )),
    );
    s.probe = Some(Ok(probe_outcome()));
    s.gpresult = Some(Ok(RecordedGpresult {
        console: output("gpresult.exe /H x /F", b"", b"", None),
        report: None,
    }));
    s.certs.insert(
        "Remote Desktop".into(),
        Ok(vec![CertItem {
            der: b"not really DER but bytes".to_vec(),
            has_private_key: true,
            key_container: Some("TSSecKeySet1".into()),
            private_key_accessible: Some(false),
        }]),
    );
    s.certs.insert(
        "My".into(),
        Err(StepError::new(
            Status::AccessDenied,
            "Access is denied. (error 5)",
        )),
    );
    s.events.insert(
        "Security".into(),
        Err(StepError::access_denied(
            "exporting Security: Access is denied. (error 5)",
        )),
    );
    s.events.insert(
        "System".into(),
        Ok(RecordedEvents {
            evtx: b"ElfFile\0 fake system log".to_vec(),
            locale_files: vec![("System_1033.MTA".into(), b"mta".to_vec())],
        }),
    );
    s
}

/// A fresh folder under the system temp dir, removed with its contents when dropped.
pub struct TempTree(std::path::PathBuf);

impl TempTree {
    pub fn new(prefix: &str, name: &str) -> TempTree {
        let d = std::env::temp_dir().join(format!("{prefix}-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempTree(d)
    }
}

impl std::ops::Deref for TempTree {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl AsRef<std::path::Path> for TempTree {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

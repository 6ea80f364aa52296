//! The bundle contract, version 1: what a collector zip holds and how it is described.
//!
//! The collector owns this format and the analyzer reads it through this module, so the two can
//! never disagree on a field name. The human-readable description is `docs/bundle-format.md`; keep
//! the two in step (`tests::every_path_is_documented` checks that every artifact path named here
//! is documented).
//!
//! Artifacts are stored as Windows emitted them (raw bytes, no conversion): the analyzer decodes
//! them, using `code_page` for console output where the collector knew it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, Write};

pub mod base64;
pub mod regfile;

/// Version of the bundle layout and manifest schema. Bump on incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Path of the manifest inside the zip.
pub const MANIFEST_PATH: &str = "manifest.json";

/// Outcome of one collection step.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The artifact was collected completely.
    Ok,
    /// The step ran and failed (non-zero exit with no usable output, API error...).
    Failed,
    /// The step was stopped at its time limit; whatever it printed so far is kept.
    TimedOut,
    /// The step was refused for lack of rights (typically: not elevated).
    AccessDenied,
    /// The key, command, log or store does not exist on this machine.
    NotFound,
    /// The step was not attempted (by option, e.g. `--no-events`).
    Skipped,
}

impl Status {
    /// Stable lowercase name as written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::TimedOut => "timed_out",
            Status::AccessDenied => "access_denied",
            Status::NotFound => "not_found",
            Status::Skipped => "skipped",
        }
    }
}

/// Windows version facts, read from `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct OsInfo {
    /// `ProductName`, e.g. "Windows Server 2022 Standard".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// `EditionID`, e.g. "ServerStandard", "Professional", "Core" (Home).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition_id: Option<String>,
    /// `InstallationType`: "Client", "Server", "Server Core".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_type: Option<String>,
    /// `DisplayVersion` (e.g. "23H2"), absent before Windows 10 20H2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_version: Option<String>,
    /// `CurrentBuildNumber` plus `.UBR` when known, e.g. "20348.2340".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
}

/// Top-level manifest, stored as `manifest.json` at the root of the zip.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Name of the producing tool ("rdp-collect").
    pub collector: String,
    /// Version of the producing tool.
    pub collector_version: String,
    /// NetBIOS or DNS host name of the collected machine.
    pub host_name: String,
    #[serde(default)]
    pub os: OsInfo,
    /// UTC start of the collection, RFC 3339.
    pub started_utc: String,
    /// UTC end of the collection, RFC 3339.
    pub finished_utc: String,
    /// Whether the collector ran with an elevated (administrator) token. `None` if unknown.
    pub elevated: Option<bool>,
    /// Options the collection ran with (e.g. `--days`), for the record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// One record per step, in collection order, including failed ones.
    pub artifacts: Vec<ArtifactRecord>,
    /// Set by `rdp-collect --offline <volume>`: the Windows volume (of a machine that was not
    /// running) the bundle was read from, e.g. `D:\`. Absent for a live collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
}

/// One collection step and the file it produced (or would have produced).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRecord {
    /// Path inside the zip, `/`-separated (see [`paths`]). Present in the zip only when bytes were kept.
    pub path: String,
    /// What produced it: an API name with its argument (`RegEnumValueW HKLM\...`) or the exact command line.
    pub producer: String,
    pub status: Status,
    /// Human-readable reason for any status other than `ok` (and warnings for `ok`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Process exit code, for commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Wall-clock time of the step in milliseconds.
    pub duration_ms: u64,
    /// Size in bytes of the stored file (0 when nothing was stored).
    pub size: u64,
    /// Lower-case hex SHA-256 of the stored bytes, when a file was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Console output code page (`GetConsoleOutputCP`/OEM code page) for command output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_page: Option<u32>,
}

impl ArtifactRecord {
    /// A record with only path and producer set, status `ok` and no file yet.
    pub fn new(path: impl Into<String>, producer: impl Into<String>) -> Self {
        ArtifactRecord {
            path: path.into(),
            producer: producer.into(),
            status: Status::Ok,
            message: None,
            exit_code: None,
            duration_ms: 0,
            size: 0,
            sha256: None,
            code_page: None,
        }
    }
}

/// Canonical artifact paths inside a bundle. The analyzer does not rely on these (it identifies
/// files by content) but uses them to tell which expected artifact is missing.
pub mod paths {
    pub const REG_TERMINAL_SERVER: &str = "registry/terminal-server.reg";
    pub const REG_TS_POLICIES: &str = "registry/terminal-services-policies.reg";
    pub const REG_SVC_TERMSERVICE: &str = "registry/service-termservice.reg";
    pub const REG_SVC_UMRDPSERVICE: &str = "registry/service-umrdpservice.reg";
    pub const REG_SVC_SESSIONENV: &str = "registry/service-sessionenv.reg";
    pub const REG_RDP_CERT_STORE: &str = "registry/systemcertificates-remote-desktop.reg";
    pub const REG_SCHANNEL: &str = "registry/schannel.reg";
    pub const REG_LSA: &str = "registry/lsa.reg";
    pub const REG_CREDSSP: &str = "registry/credssp-policy.reg";
    pub const GPRESULT_HTML: &str = "gpresult/gpresult.html";
    /// What gpresult printed on the console (its reason when no report was written).
    pub const GPRESULT_CONSOLE: &str = "gpresult/gpresult-console.txt";
    pub const QWINSTA: &str = "commands/qwinsta.txt";
    pub const NETSTAT: &str = "commands/netstat-ano.txt";
    pub const TASKLIST_SVC: &str = "commands/tasklist-svc.txt";
    pub const SC_TERMSERVICE: &str = "commands/sc-queryex-TermService.txt";
    pub const SC_UMRDPSERVICE: &str = "commands/sc-queryex-UmRdpService.txt";
    pub const SC_SESSIONENV: &str = "commands/sc-queryex-SessionEnv.txt";
    pub const NETSH_RULES: &str = "commands/netsh-firewall-rules.txt";
    pub const NETSH_PROFILES: &str = "commands/netsh-firewall-profiles.txt";
    pub const ICACLS_MACHINEKEYS: &str = "commands/icacls-machinekeys.txt";
    pub const CERTUTIL_RDP: &str = "commands/certutil-remote-desktop.txt";
    pub const CERT_INDEX: &str = "certs/index.json";
    pub const EVENTS_SECURITY: &str = "events/Security.evtx";
    pub const EVENTS_SYSTEM: &str = "events/System.evtx";
    pub const EVENTS_RCM: &str =
        "events/Microsoft-Windows-TerminalServices-RemoteConnectionManager-Operational.evtx";
    pub const EVENTS_LSM: &str =
        "events/Microsoft-Windows-TerminalServices-LocalSessionManager-Operational.evtx";
    pub const EVENTS_RDPCORETS: &str =
        "events/Microsoft-Windows-RemoteDesktopServices-RdpCoreTS-Operational.evtx";
    pub const EVENTS_RCM_ADMIN: &str =
        "events/Microsoft-Windows-TerminalServices-RemoteConnectionManager-Admin.evtx";
    /// RD Gateway's log (CAP/RAP decisions, connections to resources): exists only where the
    /// RD Gateway role is installed, "not found" elsewhere.
    pub const EVENTS_GATEWAY: &str =
        "events/Microsoft-Windows-TerminalServices-Gateway-Operational.evtx";

    pub const REG_CIPHER_SUITE_POLICY: &str = "registry/cipher-suite-policy.reg";
    /// `HKLM\SYSTEM\Setup`, the key's own values only (setup / OOBE in progress).
    pub const REG_SETUP: &str = "registry/setup.reg";
    /// `...\Winlogon`, its own values only, with any password value's data redacted.
    pub const REG_WINLOGON: &str = "registry/winlogon.reg";
    /// `HKLM\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters`, the key's own values
    /// (`RestrictNTLMInDomain`, `AuditNTLMInDomain` on a domain controller).
    pub const REG_NETLOGON_PARAMS: &str = "registry/netlogon-parameters.reg";
    /// `dsregcmd /status`: how the machine is joined (domain, Microsoft Entra ID, hybrid).
    pub const DSREGCMD_STATUS: &str = "commands/dsregcmd-status.txt";
    /// NTLM's own log: incoming NTLM blocked (4002), blocked in the domain (4003), minimum
    /// session security (4011), NTLMv1 refused (4013), and the audit-only 8001-8003.
    pub const EVENTS_NTLM: &str = "events/Microsoft-Windows-NTLM-Operational.evtx";
    /// `...\Component Based Servicing\RebootPending`, its own values only: the key exists while
    /// servicing waits for a restart (the step is `not_found` when it does not).
    pub const REG_CBS_REBOOT_PENDING: &str = "registry/cbs-reboot-pending.reg";
    /// `...\WindowsUpdate\Auto Update\RebootRequired`, its own values only (exists = required).
    pub const REG_WU_REBOOT_REQUIRED: &str = "registry/windowsupdate-reboot-required.reg";
    /// `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`, its own values only
    /// (`PendingFileRenameOperations`).
    pub const REG_SESSION_MANAGER: &str = "registry/session-manager.reg";
    /// `secedit /export /areas SECURITYPOLICY USER_RIGHTS`: the INF as secedit wrote it (UTF-16LE).
    pub const SECEDIT_USER_RIGHTS: &str = "commands/secedit-user-rights.inf";
    /// `net localgroup "<localized name of S-1-5-32-555>"`.
    pub const NET_LOCALGROUP_RDU: &str = "commands/net-localgroup-remote-desktop-users.txt";
    /// `nltest /sc_query:<domain>` (domain-joined machines only).
    pub const NLTEST_SC_QUERY: &str = "commands/nltest-sc-query.txt";
    pub const W32TM_STATUS: &str = "commands/w32tm-status.txt";
    /// Firewall products of WMI `root\SecurityCenter2`, `wmic /format:list` output.
    pub const SECURITYCENTER_FIREWALL: &str = "commands/securitycenter-firewall.txt";
    pub const SC_QUERYEX_ALL: &str = "commands/sc-queryex-all.txt";
    pub const SC_QC_TERMSERVICE: &str = "commands/sc-qc-TermService.txt";
    pub const SC_QC_CRYPTSVC: &str = "commands/sc-qc-CryptSvc.txt";
    pub const SC_QC_KEYISO: &str = "commands/sc-qc-KeyIso.txt";
    pub const SC_QC_CERTPROPSVC: &str = "commands/sc-qc-CertPropSvc.txt";
    /// `icacls` of the self-signed RDP certificate's key file(s) in MachineKeys.
    pub const ICACLS_RDP_KEY: &str = "commands/icacls-rdp-key.txt";
    pub const NETSH_CURRENT_PROFILE: &str = "commands/netsh-firewall-currentprofile.txt";
    /// The local RDP handshake probe's record (JSON, see `crate::probe`).
    pub const RDP_HANDSHAKE: &str = "commands/rdp-handshake.json";
    /// Folder of the certificate the listener served to the probe: `<dir>/<THUMBPRINT>.cer`.
    pub const CERTS_SERVED_DIR: &str = "certs/served";
    /// `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Security`, its values only (MaxSize,
    /// Retention, AutoBackupLogFiles): whether the Security log may fill.
    pub const REG_EVENTLOG_SECURITY: &str = "registry/eventlog-security.reg";
    /// `netsh int ipv4 show dynamicport tcp`: the ephemeral (dynamic) TCP port range.
    pub const NETSH_DYNAMICPORT_TCP: &str = "commands/netsh-dynamicport-tcp.txt";
    /// `wevtutil gl Security`: the Security log's effective size and retention.
    pub const WEVTUTIL_GL_SECURITY: &str = "commands/wevtutil-gl-security.txt";
    pub const EVENTS_APPLICATION: &str = "events/Application.evtx";
    /// `ipconfig /all`: adapters, media state, addresses, gateways, DHCP.
    pub const IPCONFIG_ALL: &str = "commands/ipconfig-all.txt";
    /// `route print`: the interface list and the IPv4/IPv6 route tables.
    pub const ROUTE_PRINT: &str = "commands/route-print.txt";
    /// `powercfg /query SCHEME_CURRENT SUB_SLEEP`: sleep and hibernate timeouts of the active plan.
    pub const POWERCFG_SLEEP: &str = "commands/powercfg-sleep.txt";
    /// `wmic ... Win32_TerminalServiceSetting ... CALL GetGracePeriodDays`: the days left in the
    /// RD Session Host licensing grace period (the method fails where the role is not installed).
    pub const WMIC_GRACE_PERIOD: &str = "commands/wmic-grace-period.txt";
    /// `netsh wfp show filters file=-`: every Windows Filtering Platform filter, as XML on
    /// stdout (can be tens of megabytes on a server; capped like every command output).
    pub const NETSH_WFP_FILTERS: &str = "commands/netsh-wfp-filters.xml";
}

/// A registry key the collector exports, and the bundle file it goes to.
#[derive(Debug, Clone, Copy)]
pub struct RegistrySpec {
    pub path: &'static str,
    /// Full key path as `reg export` names it (`HKEY_LOCAL_MACHINE\...`).
    pub key: &'static str,
    /// Levels of subkeys exported below `key`: `None` for the whole tree, `Some(0)` for the
    /// key's own values only (for keys whose subkeys are large and beside the point).
    pub max_depth: Option<usize>,
}

/// The registry keys of contract v1, exported recursively unless `max_depth` says otherwise.
pub const REGISTRY_KEYS: &[RegistrySpec] = &[
    RegistrySpec {
        path: paths::REG_TERMINAL_SERVER,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server",
        max_depth: None,
    },
    RegistrySpec {
        path: paths::REG_TS_POLICIES,
        key: r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services",
        max_depth: None,
    },
    RegistrySpec {
        path: paths::REG_SVC_TERMSERVICE,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TermService",
        max_depth: None,
    },
    RegistrySpec {
        path: paths::REG_SVC_UMRDPSERVICE,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\UmRdpService",
        max_depth: None,
    },
    RegistrySpec {
        path: paths::REG_SVC_SESSIONENV,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SessionEnv",
        max_depth: None,
    },
    RegistrySpec {
        path: paths::REG_RDP_CERT_STORE,
        key: r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\Remote Desktop",
        max_depth: None,
    },
    RegistrySpec {
        path: paths::REG_SCHANNEL,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL",
        max_depth: None,
    },
    RegistrySpec {
        path: paths::REG_LSA,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa",
        max_depth: None,
    },
    RegistrySpec {
        path: paths::REG_CREDSSP,
        key: r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP",
        max_depth: None,
    },
    RegistrySpec {
        path: paths::REG_CIPHER_SUITE_POLICY,
        key: r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL",
        max_depth: None,
    },
    // Only the values: `Setup` also holds "Source OS (Updated on ...)" copies of whole
    // CurrentVersion trees after feature updates.
    RegistrySpec {
        path: paths::REG_SETUP,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\Setup",
        max_depth: Some(0),
    },
    // Only the values (`GPExtensions` below is long and not about logons). May hold the
    // auto-logon `DefaultPassword` in clear text: the collection redacts it.
    RegistrySpec {
        path: paths::REG_WINLOGON,
        key: r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon",
        max_depth: Some(0),
    },
    // Only the values: the subkeys are the log's event sources (hundreds on a server).
    RegistrySpec {
        path: paths::REG_EVENTLOG_SECURITY,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\EventLog\Security",
        max_depth: Some(0),
    },
    // Only the values: the NTLM restriction a domain controller applies to the whole domain.
    RegistrySpec {
        path: paths::REG_NETLOGON_PARAMS,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters",
        max_depth: Some(0),
    },
    // Pending reboot: only these two keys, never the whole `Component Based Servicing` tree
    // (thousands of package subkeys). Whether the key exists is the fact; an absent key is
    // recorded as `not_found`.
    RegistrySpec {
        path: paths::REG_CBS_REBOOT_PENDING,
        key: r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending",
        max_depth: Some(0),
    },
    RegistrySpec {
        path: paths::REG_WU_REBOOT_REQUIRED,
        key: r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired",
        max_depth: Some(0),
    },
    // Only the values (`PendingFileRenameOperations`): the subkeys (Environment, Memory
    // Management, KnownDLLs...) are beside the point.
    RegistrySpec {
        path: paths::REG_SESSION_MANAGER,
        key: r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Session Manager",
        max_depth: Some(0),
    },
];

/// A console command the collector runs. `program` is resolved under `%SystemRoot%\System32`,
/// never through `PATH` (a planted `netstat.exe` in the current folder must not run).
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub path: &'static str,
    pub program: &'static str,
    pub args: &'static [&'static str],
}

/// The console commands of contract v1 (gpresult is separate: it writes a file, see
/// [`paths::GPRESULT_HTML`]).
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        path: paths::QWINSTA,
        program: "qwinsta.exe",
        args: &[],
    },
    CommandSpec {
        path: paths::NETSTAT,
        program: "netstat.exe",
        args: &["-ano"],
    },
    CommandSpec {
        path: paths::TASKLIST_SVC,
        program: "tasklist.exe",
        args: &["/svc"],
    },
    CommandSpec {
        path: paths::SC_TERMSERVICE,
        program: "sc.exe",
        args: &["queryex", "TermService"],
    },
    CommandSpec {
        path: paths::SC_UMRDPSERVICE,
        program: "sc.exe",
        args: &["queryex", "UmRdpService"],
    },
    CommandSpec {
        path: paths::SC_SESSIONENV,
        program: "sc.exe",
        args: &["queryex", "SessionEnv"],
    },
    CommandSpec {
        path: paths::NETSH_RULES,
        program: "netsh.exe",
        args: &[
            "advfirewall",
            "firewall",
            "show",
            "rule",
            "name=all",
            "verbose",
        ],
    },
    CommandSpec {
        path: paths::NETSH_PROFILES,
        program: "netsh.exe",
        args: &["advfirewall", "show", "allprofiles"],
    },
    CommandSpec {
        path: paths::ICACLS_MACHINEKEYS,
        program: "icacls.exe",
        // `%ProgramData%` is expanded by the collector before running.
        args: &[r"%ProgramData%\Microsoft\Crypto\RSA\MachineKeys"],
    },
    CommandSpec {
        path: paths::CERTUTIL_RDP,
        program: "certutil.exe",
        args: &["-store", "Remote Desktop"],
    },
    CommandSpec {
        path: paths::NETSH_CURRENT_PROFILE,
        program: "netsh.exe",
        args: &["advfirewall", "show", "currentprofile"],
    },
    CommandSpec {
        path: paths::ICACLS_RDP_KEY,
        program: "icacls.exe",
        // The self-signed RDP certificate's key: its container name starts with this hash on
        // every Windows build. icacls expands the wildcard itself.
        args: &[
            r"%ProgramData%\Microsoft\Crypto\RSA\MachineKeys\f686aace6942fb7f7ceb231212eef4a4_*",
        ],
    },
    CommandSpec {
        path: paths::SC_QUERYEX_ALL,
        program: "sc.exe",
        // sc's own syntax: the option name includes the `=`, the value is the next argument.
        args: &["queryex", "type=", "service", "state=", "all"],
    },
    CommandSpec {
        path: paths::SC_QC_TERMSERVICE,
        program: "sc.exe",
        args: &["qc", "TermService"],
    },
    CommandSpec {
        path: paths::SC_QC_CRYPTSVC,
        program: "sc.exe",
        args: &["qc", "CryptSvc"],
    },
    CommandSpec {
        path: paths::SC_QC_KEYISO,
        program: "sc.exe",
        args: &["qc", "KeyIso"],
    },
    CommandSpec {
        path: paths::SC_QC_CERTPROPSVC,
        program: "sc.exe",
        args: &["qc", "CertPropSvc"],
    },
    CommandSpec {
        path: paths::W32TM_STATUS,
        program: "w32tm.exe",
        args: &["/query", "/status", "/verbose"],
    },
    // WMIC lives in System32\wbem and is an optional feature on Windows 11 24H2 and later
    // (then recorded as not found). Windows Server has no SecurityCenter2 namespace.
    CommandSpec {
        path: paths::SECURITYCENTER_FIREWALL,
        program: r"wbem\wmic.exe",
        args: &[
            r"/namespace:\\root\SecurityCenter2",
            "path",
            "FirewallProduct",
            "get",
            "displayName,pathToSignedProductExe,productState",
            "/format:list",
        ],
    },
    CommandSpec {
        path: paths::NETSH_DYNAMICPORT_TCP,
        program: "netsh.exe",
        args: &["int", "ipv4", "show", "dynamicport", "tcp"],
    },
    CommandSpec {
        path: paths::WEVTUTIL_GL_SECURITY,
        program: "wevtutil.exe",
        args: &["gl", "Security"],
    },
    // Windows 10 / Server 2016 and later; absent on older Windows (recorded as not found).
    CommandSpec {
        path: paths::DSREGCMD_STATUS,
        program: "dsregcmd.exe",
        args: &["/status"],
    },
    CommandSpec {
        path: paths::IPCONFIG_ALL,
        program: "ipconfig.exe",
        args: &["/all"],
    },
    CommandSpec {
        path: paths::ROUTE_PRINT,
        program: "route.exe",
        args: &["print"],
    },
    CommandSpec {
        path: paths::POWERCFG_SLEEP,
        program: "powercfg.exe",
        args: &["/query", "SCHEME_CURRENT", "SUB_SLEEP"],
    },
    // The WHERE clause makes wmic call the method on the instance (it is not static). Written
    // `(__CLASS!='')`, without the usual spaces and double quotes, so the argument reaches
    // wmic's own command-line parser exactly as typed (no quoting by the process launcher).
    CommandSpec {
        path: paths::WMIC_GRACE_PERIOD,
        program: r"wbem\wmic.exe",
        args: &[
            r"/namespace:\\root\CIMV2\TerminalServices",
            "PATH",
            "Win32_TerminalServiceSetting",
            "WHERE",
            "(__CLASS!='')",
            "CALL",
            "GetGracePeriodDays",
        ],
    },
    // `file=-` prints to the console instead of writing filters.xml in the current folder
    // (Microsoft's netsh wfp reference: `show filters file=<path|->`). Needs elevation.
    CommandSpec {
        path: paths::NETSH_WFP_FILTERS,
        program: "netsh.exe",
        args: &["wfp", "show", "filters", "file=-"],
    },
];

/// Folder (inside the zip) of the `EvtArchiveExportedLog` locale files: `<log>_<LCID>.MTA`,
/// named after the `.evtx` they describe, as Windows names them beside an archived log.
pub const EVENTS_LOCALE_DIR: &str = "events/LocaleMetaData";

/// An event log the collector exports, and the bundle file it goes to.
#[derive(Debug, Clone, Copy)]
pub struct EventLogSpec {
    pub path: &'static str,
    /// Channel name as `wevtutil el` lists it.
    pub channel: &'static str,
}

/// The event logs of contract v1, exported through `EvtExportLog` (limited to the last `--days`).
pub const EVENT_LOGS: &[EventLogSpec] = &[
    EventLogSpec {
        path: paths::EVENTS_SECURITY,
        channel: "Security",
    },
    EventLogSpec {
        path: paths::EVENTS_RCM,
        channel: "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
    },
    EventLogSpec {
        path: paths::EVENTS_LSM,
        channel: "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    },
    EventLogSpec {
        path: paths::EVENTS_RDPCORETS,
        channel: "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
    },
    EventLogSpec {
        path: paths::EVENTS_RCM_ADMIN,
        channel: "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin",
    },
    EventLogSpec {
        path: paths::EVENTS_SYSTEM,
        channel: "System",
    },
    EventLogSpec {
        path: paths::EVENTS_GATEWAY,
        channel: "Microsoft-Windows-TerminalServices-Gateway/Operational",
    },
    EventLogSpec {
        path: paths::EVENTS_APPLICATION,
        channel: "Application",
    },
    EventLogSpec {
        path: paths::EVENTS_NTLM,
        channel: "Microsoft-Windows-NTLM/Operational",
    },
];

/// A local machine certificate store the collector exports, and its folder in the zip.
#[derive(Debug, Clone, Copy)]
pub struct CertStoreSpec {
    /// Store name as CryptoAPI and `certutil -store` name it.
    pub store: &'static str,
    /// Folder of the DER files: `<dir>/<THUMBPRINT>.cer`.
    pub dir: &'static str,
}

/// The certificate stores of contract v1 (local machine).
pub const CERT_STORES: &[CertStoreSpec] = &[
    CertStoreSpec {
        store: "Remote Desktop",
        dir: "certs/remote-desktop",
    },
    CertStoreSpec {
        store: "My",
        dir: "certs/my",
    },
];

/// Where a command's stderr goes when it printed any: `commands/x.txt` -> `commands/x.stderr.txt`.
/// Kept apart from stdout because both are raw bytes in possibly different encodings.
pub fn stderr_path(stdout_path: &str) -> String {
    match stdout_path.strip_suffix(".txt") {
        Some(stem) => format!("{stem}.stderr.txt"),
        None => format!("{stdout_path}.stderr.txt"),
    }
}

/// One entry of `certs/index.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CertIndexEntry {
    /// Path of the DER file inside the zip, e.g. `certs/remote-desktop/<thumbprint>.cer`.
    pub path: String,
    /// Store name: "Remote Desktop" or "My".
    pub store: String,
    /// SHA-1 thumbprint, upper-case hex (as `certutil` and `SSLCertificateSHA1Hash` show it).
    pub thumbprint: String,
    /// Whether the certificate has an associated private key (`CERT_KEY_PROV_INFO_PROP_ID`).
    pub has_private_key: bool,
    /// Key container name (the MachineKeys file name stem), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_container: Option<String>,
    /// Whether the private key could be opened by the collector (`CryptAcquireCertificatePrivateKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_accessible: Option<bool>,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes a bundle zip: artifacts first, the manifest last (it needs the finish time).
///
/// Each `add_*` call also appends the artifact's record, so the manifest and the zip cannot
/// disagree on sizes and hashes.
pub struct BundleWriter<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    records: Vec<ArtifactRecord>,
}

impl<W: Write + Seek> BundleWriter<W> {
    pub fn new(inner: W) -> Self {
        BundleWriter {
            zip: zip::ZipWriter::new(inner),
            records: Vec::new(),
        }
    }

    fn file_options() -> zip::write::SimpleFileOptions {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(false)
    }

    /// Stores `bytes` at `record.path` and records it with size and hash filled in.
    pub fn add_bytes(&mut self, mut record: ArtifactRecord, bytes: &[u8]) -> std::io::Result<()> {
        self.zip
            .start_file(record.path.as_str(), Self::file_options())
            .map_err(zip_err)?;
        self.zip.write_all(bytes)?;
        record.size = bytes.len() as u64;
        record.sha256 = Some(sha256_hex(bytes));
        self.records.push(record);
        Ok(())
    }

    /// Streams `reader` into the zip at `record.path` (for event logs, which can be large),
    /// hashing as it goes. Files over 4 GiB use zip64.
    pub fn add_reader(
        &mut self,
        mut record: ArtifactRecord,
        reader: &mut dyn Read,
    ) -> std::io::Result<()> {
        let opts = Self::file_options().large_file(true);
        self.zip
            .start_file(record.path.as_str(), opts)
            .map_err(zip_err)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            self.zip.write_all(&buf[..n])?;
            size += n as u64;
        }
        record.size = size;
        record.sha256 = Some(hex::encode(hasher.finalize()));
        self.records.push(record);
        Ok(())
    }

    /// Records a step that stored no file (failed, skipped...).
    pub fn add_record(&mut self, mut record: ArtifactRecord) {
        record.size = 0;
        record.sha256 = None;
        self.records.push(record);
    }

    /// Records so far, in order.
    pub fn records(&self) -> &[ArtifactRecord] {
        &self.records
    }

    /// Writes `manifest.json` (with `artifacts` replaced by the records collected here) and
    /// finishes the zip, returning the inner writer.
    pub fn finish(mut self, mut manifest: Manifest) -> std::io::Result<W> {
        manifest.artifacts = std::mem::take(&mut self.records);
        let json = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
        self.zip
            .start_file(MANIFEST_PATH, Self::file_options())
            .map_err(zip_err)?;
        self.zip.write_all(&json)?;
        self.zip.finish().map_err(zip_err)
    }
}

fn zip_err(e: zip::result::ZipError) -> std::io::Error {
    match e {
        zip::result::ZipError::Io(io) => io,
        other => std::io::Error::other(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            collector: "rdp-collect".into(),
            collector_version: "0.1.0".into(),
            host_name: "HOST1".into(),
            os: OsInfo::default(),
            started_utc: "2026-01-01T00:00:00Z".into(),
            finished_utc: "2026-01-01T00:00:05Z".into(),
            elevated: Some(true),
            options: vec![],
            artifacts: vec![],
            offline: None,
        }
    }

    /// Every artifact path of the contract appears in `docs/bundle-format.md`, in backquotes.
    #[test]
    fn every_path_is_documented() {
        let doc = include_str!("../../docs/bundle-format.md");
        let mut all: Vec<&str> = vec![
            MANIFEST_PATH,
            paths::GPRESULT_HTML,
            paths::GPRESULT_CONSOLE,
            paths::SECEDIT_USER_RIGHTS,
            paths::NET_LOCALGROUP_RDU,
            paths::NLTEST_SC_QUERY,
            paths::RDP_HANDSHAKE,
            paths::CERT_INDEX,
        ];
        all.extend(REGISTRY_KEYS.iter().map(|r| r.path));
        all.extend(COMMANDS.iter().map(|c| c.path));
        all.extend(EVENT_LOGS.iter().map(|e| e.path));
        for path in all {
            assert!(
                doc.contains(&format!("`{path}`")),
                "{path} is not documented"
            );
        }
        let served = format!("`{}/<THUMBPRINT>.cer`", paths::CERTS_SERVED_DIR);
        assert!(doc.contains(&served));
    }

    #[test]
    fn writer_records_size_and_hash_and_manifest_round_trips() {
        let mut w = BundleWriter::new(std::io::Cursor::new(Vec::new()));
        w.add_bytes(
            ArtifactRecord::new(paths::NETSTAT, "netstat.exe -ano"),
            b"abc",
        )
        .unwrap();
        let mut failed = ArtifactRecord::new(paths::QWINSTA, "qwinsta.exe");
        failed.status = Status::NotFound;
        failed.message = Some("program not found".into());
        w.add_record(failed);
        let mut r: &[u8] = b"0123456789";
        w.add_reader(
            ArtifactRecord::new(paths::EVENTS_SECURITY, "EvtExportLog Security"),
            &mut r,
        )
        .unwrap();
        let cursor = w.finish(manifest()).unwrap();

        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(cursor.into_inner())).unwrap();
        let m: Manifest = serde_json::from_reader(zip.by_name(MANIFEST_PATH).unwrap()).unwrap();
        assert_eq!(m.artifacts.len(), 3);
        assert_eq!(m.artifacts[0].size, 3);
        assert_eq!(
            m.artifacts[0].sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(m.artifacts[1].status, Status::NotFound);
        assert_eq!(m.artifacts[2].size, 10);
        assert!(
            zip.by_name(paths::QWINSTA).is_err(),
            "failed step stores no file"
        );
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"status\":\"not_found\""));
    }
}

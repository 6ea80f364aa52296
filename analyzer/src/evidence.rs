//! The typed evidence model: everything parsed from one input, with where each piece came from.
//!
//! Checks read only this. It is built once from the parsed files (in parallel, see
//! [`Evidence::build`]) and then shared read-only by every check.

use crate::bundle::{Bundle, InputProblem, Source};
use crate::parse::identify::{self, Kind, Parsed, ParsedFile};
use crate::parse::{
    cert, certutil, client_probe, dsregcmd, dynamicport, evtx, gpresult, grace_period, hive,
    icacls, ipconfig, net_localgroup, netsh_profiles, netsh_rules, netstat, nltest, ntstatus,
    powercfg, qwinsta, rdp_probe, reg, route_print, sc, secedit, securitycenter, tasklist, w32tm,
    wevtutil_gl, wfp,
};
use rayon::prelude::*;
use rdp_bundle::{ArtifactRecord, CertIndexEntry, Manifest, Status};

/// The default RDP port.
pub const DEFAULT_RDP_PORT: u16 = 3389;
/// The RDP listener's key (relative to HKLM).
pub const RDP_TCP_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp";
pub const TERMINAL_SERVER_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server";
pub const TS_POLICY_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";

/// A value with the artifact it was read from.
#[derive(Debug)]
pub struct Located<T> {
    pub artifact: String,
    pub value: T,
}

/// What happened to one artifact: for the artifacts table and for "could not check" findings.
#[derive(Debug, Clone)]
pub struct ArtifactStatus {
    pub path: String,
    pub kind: Kind,
    /// The manifest's record for it, when there is a manifest.
    pub record: Option<ArtifactRecord>,
    /// Present in the input.
    pub present: bool,
    pub encoding: Option<String>,
    /// `None` when parsed; otherwise why not.
    pub error: Option<String>,
    pub lossy: bool,
}

/// A registry value found in one of the exports.
#[derive(Debug, Clone, Copy)]
pub struct RegHit<'a> {
    pub artifact: &'a str,
    pub key: &'a reg::RegKey,
    pub value: &'a reg::RegValue,
}

/// Everything known about the machine.
#[derive(Debug, Default)]
pub struct Evidence {
    pub source: String,
    pub manifest: Option<Manifest>,
    pub registry: Vec<Located<reg::RegFile>>,
    /// Raw hive files read (their mapped keys are in `registry`, under the same artifact).
    pub hives: Vec<Located<hive::Hive>>,
    /// Set when the input is the disk of a machine that was not running (a Windows volume, or
    /// a collector bundle taken with `--offline`): what it says about the input.
    pub offline: Option<String>,
    /// An offline volume's MachineKeys folder: its label and the key file names in it.
    pub machine_keys: Option<(String, Vec<String>)>,
    pub gpresult: Vec<Located<gpresult::GpReport>>,
    pub netstat: Vec<Located<netstat::Netstat>>,
    pub qwinsta: Vec<Located<qwinsta::Sessions>>,
    pub tasklist: Vec<Located<tasklist::Tasklist>>,
    pub sc: Vec<Located<sc::ScQuery>>,
    pub firewall_rules: Vec<Located<netsh_rules::FirewallRules>>,
    pub firewall_profiles: Vec<Located<netsh_profiles::FirewallProfiles>>,
    pub icacls: Vec<Located<icacls::IcaclsOutput>>,
    pub certutil: Vec<Located<certutil::CertutilStore>>,
    pub certificates: Vec<Located<cert::CertInfo>>,
    pub cert_index: Vec<Located<Vec<CertIndexEntry>>>,
    pub events: Vec<Located<evtx::EventLog>>,
    /// `secedit /export` INF files (user rights, security options).
    pub secedit: Vec<Located<secedit::SeceditInf>>,
    /// `net localgroup <group>` outputs.
    pub local_groups: Vec<Located<net_localgroup::LocalGroup>>,
    /// `nltest /sc_query` outputs.
    pub secure_channel: Vec<Located<nltest::SecureChannel>>,
    /// `w32tm /query /status` outputs.
    pub time_status: Vec<Located<w32tm::TimeStatus>>,
    /// `dsregcmd /status` outputs (how the machine is joined: domain, Microsoft Entra ID).
    pub device_registration: Vec<Located<dsregcmd::DeviceRegistration>>,
    /// Security Center firewall product lists.
    pub firewall_products: Vec<Located<securitycenter::FirewallProducts>>,
    /// The collector's RDP handshake probe.
    pub handshake: Vec<Located<rdp_probe::HandshakeProbe>>,
    /// `rdp-collect probe` files from other computers (beside the bundle, or alone).
    pub client_probes: Vec<Located<client_probe::ClientProbe>>,
    /// `netsh int ipv4 show dynamicport tcp` outputs: the ephemeral port range.
    pub dynamic_ports: Vec<Located<dynamicport::DynamicPorts>>,
    /// `wevtutil gl` outputs: event log size and retention.
    pub log_configs: Vec<Located<wevtutil_gl::LogConfig>>,
    /// `ipconfig /all` outputs.
    pub ipconfig: Vec<Located<ipconfig::IpConfig>>,
    /// `route print` outputs.
    pub routes: Vec<Located<route_print::RouteTable>>,
    /// `powercfg /query` outputs (sleep and hibernate timeouts).
    pub power: Vec<Located<powercfg::PowerQuery>>,
    /// `wmic ... GetGracePeriodDays` outputs (RD licensing grace period).
    pub grace_period: Vec<Located<grace_period::GracePeriod>>,
    /// `netsh wfp show filters file=-` outputs, reduced to the inbound block filters.
    pub wfp_filters: Vec<Located<wfp::WfpFilters>>,
    pub artifacts: Vec<ArtifactStatus>,
    pub input_problems: Vec<InputProblem>,
    /// Process by PID across all tasklists (first tasklist wins), built on first use so that
    /// checks looking up many PIDs do not scan every tasklist for each.
    process_index: std::sync::OnceLock<std::collections::HashMap<u32, (usize, usize)>>,
    /// Unix time the evidence describes (the collection's finish time, else now): certificates
    /// are judged valid or expired at this moment, not at analysis time.
    pub as_of: i64,
}

impl Evidence {
    /// Parses every file of `bundle` in parallel and gathers the results.
    pub fn build(bundle: Bundle) -> Evidence {
        let manifest = bundle.manifest;
        // Manifest records by path, indexed once: a manifest and a zip of 10,000 entries each
        // would otherwise be matched pairwise (10^8 comparisons).
        let mut record_of: std::collections::HashMap<&str, &ArtifactRecord> =
            std::collections::HashMap::new();
        for rec in manifest.iter().flat_map(|m| m.artifacts.iter()) {
            record_of.entry(rec.path.as_str()).or_insert(rec);
        }
        let code_page_of = |path: &str| record_of.get(path).and_then(|a| a.code_page);
        // Files read whole are parsed by reference (a hive needs the logs beside it); event logs
        // streamed from disk or already parsed while their zip entry inflated are consumed.
        let (whole, streamed): (Vec<_>, Vec<_>) = bundle
            .files
            .into_iter()
            .partition(|f| matches!(f.source, Source::Bytes(_)));
        let mut parsed: Vec<ParsedFile> = whole
            .par_iter()
            .filter_map(|f| {
                let bytes = f.bytes()?;
                let logs = if hive::sniff(bytes) {
                    logs_beside(&whole, &f.path)
                } else {
                    Vec::new()
                };
                Some(identify::parse_file_beside(
                    &f.path,
                    bytes,
                    code_page_of(&f.path),
                    &logs,
                ))
            })
            .collect();
        parsed.extend(
            streamed
                .into_par_iter()
                .filter_map(|f| match f.source {
                    Source::Bytes(_) => None,
                    Source::EventLogFile { path, len } => {
                        Some(identify::parse_event_log_file(&f.path, &path, len))
                    }
                    Source::ParsedEvents(log) => Some(identify::parsed_event_stream(&f.path, *log)),
                })
                .collect::<Vec<_>>(),
        );
        parsed.sort_by(|a, b| a.path.cmp(&b.path));
        // The collector's record first (it names the volume as the rescue machine saw it),
        // else the layout of the input.
        let offline = manifest
            .as_ref()
            .and_then(|m| m.offline.as_ref())
            .map(|v| format!("offline disk: collected from the attached volume {v}"))
            .or_else(|| {
                bundle.volume.as_ref().map(|root| {
                    let at = if root.is_empty() {
                        "at the top of the input".to_string()
                    } else {
                        root.clone()
                    };
                    format!("offline disk: a Windows volume ({at})")
                })
            });

        let mut ev = Evidence {
            source: bundle.source,
            input_problems: bundle.problems,
            machine_keys: bundle.machine_keys.clone(),
            offline,
            as_of: manifest
                .as_ref()
                .and_then(|m| parse_rfc3339(&m.finished_utc))
                .unwrap_or_else(now_unix),
            ..Evidence::default()
        };
        for pf in parsed {
            let record = record_of.get(pf.path.as_str()).map(|r| (*r).clone());
            let (error, value) = match pf.result {
                Ok(v) => (None, Some(v)),
                Err(e) => (Some(e.to_string()), None),
            };
            ev.artifacts.push(ArtifactStatus {
                path: pf.path.clone(),
                kind: pf.kind,
                record,
                present: true,
                encoding: pf.encoding,
                error,
                lossy: pf.lossy,
            });
            if let Some(v) = value {
                ev.add(pf.path, v);
            }
        }
        // Steps the manifest records but whose file is absent (failed, skipped...).
        if let Some(m) = &manifest {
            let mut listed: std::collections::HashSet<String> =
                ev.artifacts.iter().map(|a| a.path.clone()).collect();
            for rec in &m.artifacts {
                if !listed.insert(rec.path.clone()) {
                    continue;
                }
                ev.artifacts.push(ArtifactStatus {
                    path: rec.path.clone(),
                    kind: identify::kind_from_manifest_path(&rec.path).unwrap_or(Kind::Unknown),
                    record: Some(rec.clone()),
                    present: false,
                    encoding: None,
                    error: None,
                    lossy: false,
                });
            }
        }
        ev.manifest = manifest;
        ev
    }

    fn add(&mut self, artifact: String, parsed: Parsed) {
        match parsed {
            Parsed::Registry(v) => self.registry.push(Located { artifact, value: v }),
            Parsed::Hive(mut h) => {
                let reg = std::mem::replace(
                    &mut h.reg,
                    reg::RegFile::from_keys(reg::RegVersion::Regedit5, Vec::new(), Vec::new()),
                );
                self.registry.push(Located {
                    artifact: artifact.clone(),
                    value: reg,
                });
                self.hives.push(Located {
                    artifact,
                    value: *h,
                });
            }
            Parsed::HiveLog => {}
            Parsed::Gpresult(v) => self.gpresult.push(Located {
                artifact,
                value: *v,
            }),
            Parsed::Netstat(v) => self.netstat.push(Located { artifact, value: v }),
            Parsed::Qwinsta(v) => self.qwinsta.push(Located { artifact, value: v }),
            Parsed::Tasklist(v) => self.tasklist.push(Located { artifact, value: v }),
            Parsed::ScQuery(v) => self.sc.push(Located { artifact, value: v }),
            Parsed::FirewallRules(v) => self.firewall_rules.push(Located { artifact, value: v }),
            Parsed::FirewallProfiles(v) => {
                self.firewall_profiles.push(Located { artifact, value: v })
            }
            Parsed::Icacls(v) => self.icacls.push(Located { artifact, value: v }),
            Parsed::Certutil(v) => self.certutil.push(Located { artifact, value: v }),
            Parsed::Certificate(v) => self.certificates.push(Located {
                artifact,
                value: *v,
            }),
            Parsed::CertIndex(v) => self.cert_index.push(Located { artifact, value: v }),
            Parsed::Events(v) => self.events.push(Located { artifact, value: v }),
            Parsed::Secedit(v) => self.secedit.push(Located { artifact, value: v }),
            Parsed::NetLocalgroup(v) => self.local_groups.push(Located { artifact, value: v }),
            Parsed::Nltest(v) => self.secure_channel.push(Located { artifact, value: v }),
            Parsed::W32tm(v) => self.time_status.push(Located { artifact, value: v }),
            Parsed::Dsregcmd(v) => self
                .device_registration
                .push(Located { artifact, value: v }),
            Parsed::SecurityCenter(v) => {
                self.firewall_products.push(Located { artifact, value: v })
            }
            Parsed::HandshakeProbe(v) => self.handshake.push(Located {
                artifact,
                value: *v,
            }),
            Parsed::ClientProbe(v) => self.client_probes.push(Located {
                artifact,
                value: *v,
            }),
            Parsed::DynamicPorts(v) => self.dynamic_ports.push(Located { artifact, value: v }),
            Parsed::EventLogConfig(v) => self.log_configs.push(Located { artifact, value: v }),
            Parsed::IpConfig(v) => self.ipconfig.push(Located { artifact, value: v }),
            Parsed::RoutePrint(v) => self.routes.push(Located { artifact, value: v }),
            Parsed::Powercfg(v) => self.power.push(Located { artifact, value: v }),
            Parsed::GracePeriod(v) => self.grace_period.push(Located { artifact, value: v }),
            Parsed::WfpFilters(v) => self.wfp_filters.push(Located { artifact, value: v }),
        }
    }

    /// Whether any parsed artifact is of `kind`.
    pub fn has(&self, kind: Kind) -> bool {
        self.artifacts
            .iter()
            .any(|a| a.kind == kind && a.present && a.error.is_none())
    }

    /// First registry value `name` under `key` across all exports.
    pub fn reg_value(&self, key: &str, name: &str) -> Option<RegHit<'_>> {
        self.registry.iter().find_map(|f| {
            f.value
                .value(key, name)
                .filter(|(_, v)| !matches!(v.data, reg::RegData::Deleted))
                .map(|(k, v)| RegHit {
                    artifact: &f.artifact,
                    key: k,
                    value: v,
                })
        })
    }

    /// A registry key, with the export it is in.
    pub fn reg_key(&self, key: &str) -> Option<(&str, &reg::RegKey)> {
        self.registry.iter().find_map(|f| {
            f.value
                .key(key)
                .filter(|k| !k.deleted)
                .map(|k| (f.artifact.as_str(), k))
        })
    }

    /// Whether some export covers `key`'s tree (it or an ancestor was exported), so that the
    /// absence of `key` is meaningful rather than just not collected.
    pub fn reg_covers(&self, key: &str) -> bool {
        self.reg_covering(key).is_some()
    }

    /// The artifact (export or hive) whose keys cover `key`'s tree, see [`Evidence::reg_covers`].
    pub fn reg_covering(&self, key: &str) -> Option<&str> {
        self.registry
            .iter()
            .find(|f| f.value.covers(key))
            .map(|f| f.artifact.as_str())
    }

    /// "cannot tell" with the reason, when `key` is in a part of a hive that could not be read
    /// (a damaged subkey list on the way to it).
    pub fn hive_cannot_tell(&self, key: &str) -> Option<String> {
        let want = control_set_generic(&reg::normalize_key_path(key));
        let below = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}\\"));
        self.hives.iter().find_map(|h| {
            h.value
                .unreadable
                .iter()
                .find(|u| {
                    let u = control_set_generic(&reg::normalize_key_path(u));
                    below(&want, &u) || below(&u, &want)
                })
                .map(|u| {
                    format!(
                        "cannot tell: {u} cannot be read from the hive {}",
                        h.artifact
                    )
                })
        })
    }

    /// The listener port: RDP-Tcp `PortNumber`, else 3389.
    pub fn rdp_port(&self) -> (u16, Option<RegHit<'_>>) {
        match self.reg_value(RDP_TCP_KEY, "PortNumber") {
            Some(hit) => match hit.value.data.as_u32().and_then(|p| u16::try_from(p).ok()) {
                Some(p) if p != 0 => (p, Some(hit)),
                _ => (DEFAULT_RDP_PORT, Some(hit)),
            },
            None => (DEFAULT_RDP_PORT, None),
        }
    }

    /// The status of service `name` from any `sc` output: a block that has a state (`sc
    /// queryex`) is preferred over one without (`sc qc`).
    pub fn service(&self, name: &str) -> Option<(&str, &sc::ServiceStatus)> {
        let all = self.services_named(name);
        all.iter()
            .find(|(_, s)| !matches!(s.state, ServiceState::Unknown(0)))
            .or(all.first())
            .copied()
    }

    /// Every `sc` block about service `name`, across all outputs (`sc queryex <name>`, `sc
    /// queryex type= service state= all`, `sc qc <name>`).
    pub fn services_named(&self, name: &str) -> Vec<(&str, &sc::ServiceStatus)> {
        self.sc
            .iter()
            .flat_map(|l| match &l.value {
                sc::ScQuery::Services(list) => list
                    .iter()
                    .filter(|s| s.name.eq_ignore_ascii_case(name))
                    .map(|s| (l.artifact.as_str(), s))
                    .collect::<Vec<_>>(),
                sc::ScQuery::Error { .. } => Vec::new(),
            })
            .collect()
    }

    /// The start type (`START_TYPE` of `sc qc`: 2 auto, 3 demand, 4 disabled) of service
    /// `name`, with the block it came from.
    pub fn service_start_type(&self, name: &str) -> Option<(u32, &str, &sc::ServiceStatus)> {
        self.services_named(name)
            .into_iter()
            .find_map(|(a, s)| s.start_type.map(|t| (t, a, s)))
    }

    /// The manifest record of a collection step, by path.
    pub fn record(&self, path: &str) -> Option<&ArtifactRecord> {
        self.manifest
            .as_ref()?
            .artifacts
            .iter()
            .find(|a| a.path == path)
    }

    /// Whether the collection ran without elevation (known only with a manifest).
    pub fn not_elevated(&self) -> bool {
        self.manifest.as_ref().and_then(|m| m.elevated) == Some(false)
    }

    /// Steps the manifest says did not complete.
    pub fn failed_steps(&self) -> impl Iterator<Item = &ArtifactRecord> {
        self.manifest
            .iter()
            .flat_map(|m| m.artifacts.iter())
            .filter(|a| a.status != Status::Ok)
    }

    /// All events of `ids` from all logs, with the log they came from, oldest first.
    pub fn events_with_ids<'a>(&'a self, ids: &'a [u32]) -> Vec<(&'a str, &'a evtx::Event)> {
        let mut out: Vec<_> = self
            .events
            .iter()
            .flat_map(|l| l.value.events.iter().map(move |e| (l.artifact.as_str(), e)))
            .filter(|(_, e)| ids.contains(&e.event_id))
            .collect();
        out.sort_by(|a, b| {
            a.1.time
                .cmp(&b.1.time)
                .then(a.1.record_id.cmp(&b.1.record_id))
        });
        out
    }

    /// The TermService process id, from `sc queryex` or `tasklist /svc`.
    pub fn termservice_pid(&self) -> Option<u32> {
        self.service("TermService")
            .and_then(|(_, s)| s.pid)
            .filter(|p| *p != 0)
            .or_else(|| {
                self.tasklist
                    .iter()
                    .find_map(|t| t.value.pid_of_service("TermService"))
            })
    }

    /// Parsed tasklist lookup: the process with `pid` and its artifact.
    pub fn process(&self, pid: u32) -> Option<(&str, &tasklist::Process)> {
        let index = self.process_index.get_or_init(|| {
            let mut index = std::collections::HashMap::new();
            for (t, list) in self.tasklist.iter().enumerate() {
                for (p, proc_) in list.value.processes.iter().enumerate() {
                    index.entry(proc_.pid).or_insert((t, p));
                }
            }
            index
        });
        let &(t, p) = index.get(&pid)?;
        let list = self.tasklist.get(t)?;
        Some((list.artifact.as_str(), list.value.processes.get(p)?))
    }
}

/// A normalized path with its control set number dropped (`...\SYSTEM\CONTROLSET001\X` and
/// `...\SYSTEM\CURRENTCONTROLSET\X` both become `...\SYSTEM\CONTROLSET\X`), for comparing
/// paths from hives with the CurrentControlSet paths checks ask for.
fn control_set_generic(normalized: &str) -> String {
    let mut parts: Vec<String> = normalized.split('\\').map(str::to_string).collect();
    if let Some(p) = parts.get_mut(2) {
        if p.starts_with("CONTROLSET") || p == "CURRENTCONTROLSET" {
            *p = "CONTROLSET".into();
        }
    }
    parts.join("\\")
}

/// The transaction logs beside the hive `path` in the input (`SYSTEM.LOG1`, `SYSTEM.LOG2`,
/// `SYSTEM.LOG`; any letter case), oldest format first, as Windows names them.
fn logs_beside<'a>(files: &'a [crate::bundle::InputFile], path: &str) -> Vec<hive::LogFile<'a>> {
    let mut logs: Vec<hive::LogFile<'a>> = files
        .iter()
        .filter(|f| {
            f.path
                .get(..path.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(path))
                && f.path.get(path.len()..).is_some_and(|tail| {
                    [".LOG", ".LOG1", ".LOG2"]
                        .iter()
                        .any(|t| tail.eq_ignore_ascii_case(t))
                })
        })
        .filter_map(|f| {
            Some(hive::LogFile {
                label: f.path.clone(),
                bytes: f.bytes()?,
            })
        })
        .collect();
    logs.sort_by(|a, b| a.label.cmp(&b.label));
    logs
}

/// Parses an RFC 3339 UTC timestamp to unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp())
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

pub use icacls::WellKnown;
/// Re-exported for checks that need the firewall profile list.
pub use netsh_profiles::ProfileState;
pub use netstat::Socket;
pub use qwinsta::SessionState;
pub use sc::ServiceState;

// ---------------------------------------------------------------- events

/// Which component wrote an event. Event ids collide across providers (LocalSessionManager 21
/// is not Kernel-Power 21), so checks match the provider with the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventSource {
    /// `Microsoft-Windows-Security-Auditing` (Security log).
    Security,
    /// `Microsoft-Windows-TerminalServices-RemoteConnectionManager`, also written as the classic
    /// source `TermService` in the System log (certificates 1056-1058, licensing 1128-1133).
    RemoteConnectionManager,
    /// `Microsoft-Windows-TerminalServices-LocalSessionManager`.
    LocalSessionManager,
    /// `Microsoft-Windows-RemoteDesktopServices-RdpCoreTS`.
    RdpCoreTs,
    /// `Schannel` (TLS, System log).
    Schannel,
    /// `Service Control Manager` (System log).
    ServiceControlManager,
    /// `NETLOGON` (System log).
    Netlogon,
    /// `Microsoft-Windows-TerminalServices-Gateway` (RD Gateway's own log).
    Gateway,
    Other,
}

/// The component that wrote `e`, from its provider name.
pub fn event_source(e: &evtx::Event) -> EventSource {
    let p = e.provider.as_str();
    let is = |name: &str| p.eq_ignore_ascii_case(name);
    if is("Microsoft-Windows-Security-Auditing") {
        EventSource::Security
    } else if is("Microsoft-Windows-TerminalServices-RemoteConnectionManager") || is("TermService")
    {
        EventSource::RemoteConnectionManager
    } else if is("Microsoft-Windows-TerminalServices-LocalSessionManager") {
        EventSource::LocalSessionManager
    } else if is("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS") {
        EventSource::RdpCoreTs
    } else if is("Schannel") {
        EventSource::Schannel
    } else if is("Service Control Manager") {
        EventSource::ServiceControlManager
    } else if is("NETLOGON") {
        EventSource::Netlogon
    } else if is("Microsoft-Windows-TerminalServices-Gateway") {
        EventSource::Gateway
    } else {
        EventSource::Other
    }
}

/// A user account as an event names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// As written (`jdoe`).
    pub name: String,
    /// Domain or computer name, when the event gives one.
    pub domain: Option<String>,
}

impl Account {
    /// What ties events of one user together across logs: the account name, lowercase.
    /// Security events split `CONTOSO` and `jdoe`, LocalSessionManager writes `CONTOSO\jdoe`,
    /// RemoteConnectionManager 1149 may leave the domain empty.
    pub fn key(&self) -> String {
        self.name.to_lowercase()
    }

    /// `DOMAIN\name`, or the name alone.
    pub fn display(&self) -> String {
        match &self.domain {
            Some(d) => format!("{d}\\{}", self.name),
            None => self.name.clone(),
        }
    }

    /// From `DOMAIN\name`, `name@domain` or `name`.
    pub fn parse(s: &str) -> Option<Account> {
        let s = s.trim();
        if is_blank(s) {
            return None;
        }
        if let Some((d, n)) = s.split_once('\\') {
            return (!is_blank(n)).then(|| Account {
                name: n.to_string(),
                domain: (!is_blank(d)).then(|| d.to_string()),
            });
        }
        Some(Account {
            name: s.to_string(),
            domain: None,
        })
    }
}

/// Empty or one of the placeholders Windows writes for "none".
fn is_blank(s: &str) -> bool {
    matches!(s.trim(), "" | "-" | "N/A")
}

/// The user `e` is about: the target of a logon or failure, the account locked out, the
/// user that passed network-level authentication or owns a session.
pub fn event_account(e: &evtx::Event) -> Option<Account> {
    let field = |name: &str| e.get(name).map(str::trim).filter(|v| !is_blank(v));
    match (event_source(e), e.event_id) {
        // 4825 (denied Remote Desktop access) names the user as 4778/4779 do.
        (EventSource::Security, 4778 | 4779 | 4825) => Some(Account {
            name: field("AccountName")?.to_string(),
            domain: field("AccountDomain").map(str::to_string),
        }),
        // 4740's TargetDomainName is the caller computer, not the domain.
        (EventSource::Security, 4740 | 4771 | 4776) => Some(Account {
            name: field("TargetUserName")?.to_string(),
            domain: None,
        }),
        (EventSource::Security, _) => Some(Account {
            name: field("TargetUserName")?.to_string(),
            domain: field("TargetDomainName").map(str::to_string),
        }),
        (EventSource::RemoteConnectionManager, 1149) => Some(Account {
            name: field("Param1")?.to_string(),
            domain: field("Param2").map(str::to_string),
        }),
        (EventSource::LocalSessionManager, _) => field("User").and_then(Account::parse),
        (EventSource::Gateway, _) => field("Username").and_then(Account::parse),
        _ => None,
    }
}

/// The remote address `e` names (client IP, or workstation name for NTLM 4776), normalized.
pub fn event_address(e: &evtx::Event) -> Option<String> {
    let raw = match (event_source(e), e.event_id) {
        (EventSource::Security, 4776) => e.get("Workstation"),
        (EventSource::Security, 4778 | 4779 | 4825) => e.get("ClientAddress"),
        (EventSource::Security, _) => e.get("IpAddress"),
        (EventSource::RemoteConnectionManager, 1149) => e.get("Param3"),
        (EventSource::LocalSessionManager, _) => e.get("Address"),
        // 131 names the client as `ClientIP` (ip:port), 139 and 140 as `IPString`.
        (EventSource::RdpCoreTs, _) => e.get("ClientIP").or_else(|| e.get("IPString")),
        (EventSource::Gateway, _) => e.get("IpAddress"),
        _ => None,
    }?;
    normalize_address(raw)
}

/// An address as events write it, reduced to the host: `::ffff:10.0.0.5` (IPv4 in IPv6),
/// `10.0.0.5:50123` (RdpCoreTS adds the port), `[fe80::1]:50123`. `None` for `-`, `LOCAL`
/// (a console session), empty, and the unspecified `0.0.0.0` / `::`: Windows 10 writes
/// `0.0.0.0` as the `IpAddress` of every failed type-10 logon (Belkasoft CTF desktop), which
/// names no client.
pub fn normalize_address(raw: &str) -> Option<String> {
    normalize_address_text(raw).filter(|a| !matches!(a.as_str(), "0.0.0.0" | "::"))
}

fn normalize_address_text(raw: &str) -> Option<String> {
    let s = raw.trim();
    if is_blank(s) || s.eq_ignore_ascii_case("LOCAL") {
        return None;
    }
    let s = s.strip_prefix("::ffff:").unwrap_or(s);
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next().map(str::to_string);
    }
    // One colon: IPv4 (or a name) with a port.
    if s.matches(':').count() == 1 {
        if let Some((host, port)) = s.split_once(':') {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                return Some(host.to_string());
            }
        }
    }
    Some(s.to_string())
}

/// Whether `addr` is this machine itself.
pub fn is_loopback(addr: &str) -> bool {
    matches!(addr, "127.0.0.1" | "::1" | "localhost")
}

/// The event's time as unix milliseconds.
pub fn event_millis(e: &evtx::Event) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(&e.time)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The `LogonType` of a logon event, as a number.
pub fn logon_type(e: &evtx::Event) -> Option<u32> {
    e.get("LogonType").and_then(|t| t.trim().parse().ok())
}

/// The specific reason of a 4625: SubStatus when Status is the generic 0xC000006D (bad user
/// name or password) or 0xC000006E (account restriction), else Status.
pub fn failure_code(e: &evtx::Event) -> Option<u32> {
    let status = e.get("Status").and_then(ntstatus::parse_code);
    let sub = e
        .get("SubStatus")
        .and_then(ntstatus::parse_code)
        .filter(|s| *s != 0);
    match (status, sub) {
        // 0xC000006E (account restriction) names the restriction in SubStatus too: disabled,
        // expired, outside hours... as real logs show (0xc000006e with 0xc0000071/0xc0000072).
        (Some(0xC000_006D | 0xC000_006E), Some(s)) | (None, Some(s)) => Some(s),
        (Some(s), _) => Some(s),
        (None, None) => None,
    }
}

/// A code in words: `0xC000006A (wrong password (the user name exists))`.
fn code_words(code: u32, info: Option<ntstatus::NtStatusInfo>) -> String {
    match info {
        Some(i) => format!("0x{code:08X} ({})", i.meaning),
        None => format!("0x{code:08X}"),
    }
}

/// Whether a 4625 is an RDP failure: logon type 10, or type 3 from a remote address (how a
/// Network Level Authentication failure logs, before any session exists).
pub fn is_rdp_failure(e: &evtx::Event) -> bool {
    let remote = event_address(e).is_some_and(|a| !is_loopback(&a));
    match logon_type(e) {
        Some(10) => true,
        Some(3) => remote,
        _ => false,
    }
}

/// One line saying what `e` means, for the timeline.
pub fn summarize_event(e: &evtx::Event) -> String {
    let user = event_account(e)
        .map(|a| a.display())
        .unwrap_or_else(|| "(no user)".into());
    let from = event_address(e)
        .map(|a| format!(" from {a}"))
        .unwrap_or_default();
    let first_value = || {
        e.data
            .iter()
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
            .unwrap_or("")
            .to_string()
    };
    let logon_kind = || {
        logon_type(e)
            .map(|t| format!("type {t} {}", ntstatus::logon_type_name(t)))
            .unwrap_or_else(|| "type ?".into())
    };
    use EventSource as S;
    match (event_source(e), e.event_id) {
        (S::Security, 4624) => format!("logon succeeded ({}): {user}{from}", logon_kind()),
        (S::Security, 4625) => {
            let why = failure_code(e)
                .map(|c| code_words(c, ntstatus::lookup(c)))
                .unwrap_or_else(|| "no status".into());
            format!("logon failed ({}): {user}{from}: {why}", logon_kind())
        }
        (S::Security, 4634) => format!("logoff ({}): {user}", logon_kind()),
        (S::Security, 4647) => format!("user-initiated logoff: {user}"),
        (S::Security, 4648) => format!(
            "logon with explicit credentials: {user} to {}",
            e.get("TargetServerName").unwrap_or("?")
        ),
        (S::Security, 4740) => format!(
            "account locked out: {user} (caller computer {})",
            e.get("TargetDomainName").unwrap_or("?")
        ),
        (S::Security, 4771) => {
            let why = e
                .get("Status")
                .and_then(ntstatus::parse_code)
                .map(|c| code_words(c, ntstatus::kerberos_lookup(c)))
                .unwrap_or_default();
            format!("Kerberos pre-authentication failed: {user}{from}: {why}")
        }
        (S::Security, 4776) => {
            let code = e.get("Status").and_then(ntstatus::parse_code).unwrap_or(0);
            if code == 0 {
                format!("NTLM credentials validated: {user}{from}")
            } else {
                format!(
                    "NTLM credential validation failed: {user}{from}: {}",
                    code_words(code, ntstatus::lookup(code))
                )
            }
        }
        (S::Security, 4778) => format!("session reconnected: {user}{from}"),
        (S::Security, 4779) => format!("session disconnected: {user}{from}"),
        (S::Security, 4825) => format!(
            "Remote Desktop access denied: {user}{from} (not in Remote Desktop Users or \
             Administrators)"
        ),
        (S::RdpCoreTs, 139) => format!(
            "security negotiation failed{from}: {}",
            e.get("ResultCode").unwrap_or("?")
        ),
        (S::RdpCoreTs, 131) => format!(
            "connection accepted{from} ({})",
            e.get("ConnType").unwrap_or("?")
        ),
        (S::RdpCoreTs, 140) => format!("connection{from} failed: wrong user name or password"),
        (S::Gateway, id) => {
            let resource = e.get("Resource").map(str::trim).unwrap_or("");
            let error = e
                .get("ErrorCode")
                .map(str::trim)
                .filter(|c| !c.is_empty() && *c != "0")
                .map(|c| format!(": error {c}"))
                .unwrap_or_default();
            match id {
                200 => format!("RD Gateway: {user}{from} met the connection policy (RD CAP)"),
                201 => format!("RD Gateway: {user}{from} refused by the connection policy (RD CAP){error}"),
                203 => format!("RD Gateway: {user}{from} refused: connection limit reached"),
                300 => format!("RD Gateway: {user}{from} may connect to {resource} (RD RAP)"),
                301 => format!("RD Gateway: {user}{from} refused access to {resource} by the resource policy (RD RAP){error}"),
                302 => format!("RD Gateway: {user}{from} connected to {resource}"),
                303 => format!("RD Gateway: {user}{from} disconnected from {resource}"),
                304 => format!("RD Gateway: {user}{from} could not reach {resource}{error}"),
                306 => format!("RD Gateway: {user}{from} refused: no tunnel could be created{error}"),
                _ => format!("RD Gateway event {id}: {user}{from}"),
            }
        }
        (S::RemoteConnectionManager, 1149) => {
            format!("network-level authentication succeeded: {user}{from}")
        }
        (S::RemoteConnectionManager, 1006) => {
            "large number of incomplete connections (possible attack)".into()
        }
        (S::RemoteConnectionManager, 1056) => "new self-signed RDP certificate created".into(),
        (S::RemoteConnectionManager, 1057) => {
            format!(
                "self-signed RDP certificate could not be created: {}",
                first_value()
            )
        }
        (S::RemoteConnectionManager, 1058) => format!(
            "expired self-signed RDP certificate could not be replaced: {}",
            first_value()
        ),
        (S::RemoteConnectionManager, 1128) => "RD licensing grace period has expired".into(),
        (S::RemoteConnectionManager, 1130) => "no Remote Desktop license server specified".into(),
        (S::RemoteConnectionManager, 1131) => {
            format!("license server {} could not be contacted", first_value())
        }
        (S::LocalSessionManager, 21) => format!(
            "session logon (session {}): {user}{from}",
            e.get("SessionID").unwrap_or("?")
        ),
        (S::LocalSessionManager, 22) => format!("shell started: {user}{from}"),
        (S::LocalSessionManager, 23) => format!("session logoff: {user}"),
        (S::LocalSessionManager, 24) => format!("session disconnected: {user}{from}"),
        (S::LocalSessionManager, 25) => format!("session reconnected: {user}{from}"),
        (S::LocalSessionManager, 34) => {
            "not accepting logons: Remote Desktop Services setup is running".into()
        }
        (S::LocalSessionManager, 39) => format!(
            "session {} disconnected by session {}",
            e.get("TargetSession").unwrap_or("?"),
            e.get("Source").unwrap_or("?")
        ),
        (S::LocalSessionManager, 40) => {
            let code = e.get("Reason").and_then(|r| r.trim().parse::<u32>().ok());
            format!(
                "session {} disconnected: reason {}",
                e.get("Session").unwrap_or("?"),
                code.map(|c| match ntstatus::disconnect_reason(c) {
                    Some(i) => format!("{c} ({})", i.meaning),
                    None => c.to_string(),
                })
                .unwrap_or_else(|| "?".into())
            )
        }
        (S::Schannel, 36870) => format!(
            "TLS: the server certificate's private key could not be used: {}",
            e.get("ErrorCode")
                .and_then(ntstatus::parse_code)
                .map(|c| code_words(c, ntstatus::hresult_lookup(c)))
                .unwrap_or_default()
        ),
        (S::Schannel, 36871) => "TLS: a server credential could not be created".into(),
        (S::Schannel, 36874) => format!(
            "TLS: a {} client offered no cipher suite the server supports",
            e.get("Protocol").unwrap_or("TLS")
        ),
        (S::Schannel, 36888) => {
            let code = e
                .get("AlertDesc")
                .and_then(|c| c.trim().parse::<u32>().ok());
            format!(
                "TLS: fatal alert sent: {}",
                code.map(|c| match ntstatus::tls_alert(c) {
                    Some(i) => format!("{c} {} ({})", i.name, i.meaning),
                    None => c.to_string(),
                })
                .unwrap_or_else(|| "?".into())
            )
        }
        (S::Netlogon, 5719) => "no domain controller available to authenticate".into(),
        (S::ServiceControlManager, 7036) => format!(
            "service {} entered the {} state",
            e.get("param1").unwrap_or("?"),
            e.get("param2").unwrap_or("?")
        ),
        (S::ServiceControlManager, id) => format!("service {} event {id}", first_value()),
        (_, id) => format!("{} event {id}", e.provider),
    }
}

/// Display names of the RDP services, as 7036 and friends write them (English and German).
const RDP_SERVICE_NAMES: &[&str] = &[
    "Remote Desktop",
    "Remotedesktop",
    "TermService",
    "UmRdpService",
    "SessionEnv",
];

/// Whether `e` belongs in the logon story: the RDP events, but service events only for the
/// RDP services.
pub fn is_timeline_event(e: &evtx::Event) -> bool {
    if event_source(e) == EventSource::Gateway {
        return true;
    }
    if !evtx::RDP_EVENT_IDS.contains(&e.event_id) {
        return false;
    }
    match event_source(e) {
        EventSource::ServiceControlManager => e
            .data
            .first()
            .is_some_and(|(_, v)| RDP_SERVICE_NAMES.iter().any(|n| v.contains(n))),
        EventSource::Other => false,
        EventSource::Security => match e.event_id {
            4624 | 4634 => logon_type(e).is_some_and(|t| evtx::RDP_LOGON_TYPES.contains(&t)),
            4625 => is_rdp_failure(e),
            _ => true,
        },
        _ => true,
    }
}

impl Evidence {
    /// Every event log read, with its artifact.
    pub fn event_logs(&self) -> impl Iterator<Item = (&str, &evtx::EventLog)> {
        self.events.iter().map(|l| (l.artifact.as_str(), &l.value))
    }

    /// Events of `source` with one of `ids` (all ids when empty), oldest first.
    pub fn events_from(&self, source: EventSource, ids: &[u32]) -> Vec<(&str, &evtx::Event)> {
        let mut out: Vec<_> = self
            .events
            .iter()
            .flat_map(|l| l.value.events.iter().map(move |e| (l.artifact.as_str(), e)))
            .filter(|(_, e)| ids.is_empty() || ids.contains(&e.event_id))
            .filter(|(_, e)| event_source(e) == source)
            .collect();
        out.sort_by(|a, b| {
            a.1.time
                .cmp(&b.1.time)
                .then(a.1.record_id.cmp(&b.1.record_id))
        });
        out
    }

    /// Whether some log read has events of `source`: its log was collected (and kept events).
    pub fn has_events_from(&self, source: EventSource) -> bool {
        self.events
            .iter()
            .any(|l| l.value.events.iter().any(|e| event_source(e) == source))
    }

    /// The newest `max` events of the logon story, oldest first.
    pub fn timeline(&self, max: usize) -> Vec<(&str, &evtx::Event)> {
        let mut out: Vec<_> = self
            .events
            .iter()
            .flat_map(|l| l.value.events.iter().map(move |e| (l.artifact.as_str(), e)))
            .filter(|(_, e)| is_timeline_event(e))
            .collect();
        out.sort_by(|a, b| {
            a.1.time
                .cmp(&b.1.time)
                .then(a.1.record_id.cmp(&b.1.record_id))
        });
        let skip = out.len().saturating_sub(max);
        out.drain(..skip);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_address;

    #[test]
    fn unspecified_addresses_name_no_client() {
        // Windows 10 writes 0.0.0.0 in the IpAddress of a failed type-10 (non-NLA) logon.
        assert_eq!(normalize_address("0.0.0.0"), None);
        assert_eq!(normalize_address("::"), None);
        assert_eq!(normalize_address("[::]:0"), None);
        assert_eq!(normalize_address("0.0.0.0:0"), None);
        assert_eq!(normalize_address("-"), None);
        assert_eq!(normalize_address("LOCAL"), None);
        assert_eq!(
            normalize_address("::ffff:10.0.0.5").as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(
            normalize_address("10.0.2.16:50123").as_deref(),
            Some("10.0.2.16")
        );
        assert_eq!(
            normalize_address("[fe80::1]:3389").as_deref(),
            Some("fe80::1")
        );
        assert_eq!(
            normalize_address("fe80::1941:f3d6:f94d:95bb").as_deref(),
            Some("fe80::1941:f3d6:f94d:95bb")
        );
    }
}

/// Event XML for check tests, in the layout `wevtutil qe /f:xml` writes (one event a line).
#[cfg(test)]
pub(crate) mod testing {
    use super::Evidence;
    use crate::bundle::{Bundle, InputFile};

    /// Evidence from `(path, text)` files, parsed as the pipeline parses them.
    pub fn evidence_from_xml(files: &[(&str, &str)]) -> Evidence {
        evidence_with_manifest(None, files)
    }

    /// Evidence from `(path, text)` files with the collector's manifest (OS, steps recorded).
    pub fn evidence_with_manifest(
        manifest: Option<rdp_bundle::Manifest>,
        files: &[(&str, &str)],
    ) -> Evidence {
        Evidence::build(Bundle {
            source: "test".into(),
            manifest,
            files: files
                .iter()
                .map(|(path, text)| InputFile::in_memory(*path, text.as_bytes().to_vec()))
                .collect(),
            ..Bundle::default()
        })
    }

    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }

    fn system(provider: &str, guid: &str, channel: &str, id: u32, rid: u64, time: &str) -> String {
        format!(
            "<System><Provider Name='{provider}' Guid='{{{guid}}}'/><EventID>{id}</EventID><Version>0</Version>\
             <Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>\
             <TimeCreated SystemTime='{time}'/><EventRecordID>{rid}</EventRecordID><Correlation/>\
             <Execution ProcessID='812' ThreadID='4420'/><Channel>{channel}</Channel>\
             <Computer>SRV-RDS01.corp.example</Computer><Security/></System>"
        )
    }

    /// An event with `EventData/Data Name=…` values.
    pub fn event(
        provider: &str,
        channel: &str,
        id: u32,
        rid: u64,
        time: &str,
        data: &[(&str, &str)],
    ) -> String {
        let data: String = data
            .iter()
            .map(|(n, v)| format!("<Data Name='{n}'>{}</Data>", escape(v)))
            .collect();
        format!(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>{}<EventData>{data}</EventData></Event>",
            system(provider, "00000000-0000-0000-0000-000000000000", channel, id, rid, time)
        )
    }

    /// An event with `UserData/EventXML` leaves (LocalSessionManager, RemoteConnectionManager).
    pub fn user_data_event(
        provider: &str,
        channel: &str,
        id: u32,
        rid: u64,
        time: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let fields: String = fields
            .iter()
            .map(|(n, v)| format!("<{n}>{}</{n}>", escape(v)))
            .collect();
        format!(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>{}<UserData><EventXML xmlns='Event_NS'>{fields}</EventXML></UserData></Event>",
            system(provider, "00000000-0000-0000-0000-000000000000", channel, id, rid, time)
        )
    }

    /// A Security-Auditing event.
    pub fn security_event(id: u32, rid: u64, time: &str, data: &[(&str, &str)]) -> String {
        event(
            "Microsoft-Windows-Security-Auditing",
            "Security",
            id,
            rid,
            time,
            data,
        )
    }

    pub const LSM: &str = "Microsoft-Windows-TerminalServices-LocalSessionManager";
    pub const LSM_CHANNEL: &str =
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";
    pub const RCM: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager";
    pub const RCM_CHANNEL: &str =
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";
    pub const RDPCORETS: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS";
    pub const RDPCORETS_CHANNEL: &str =
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";

    /// Where the real samples are, for tests that read them (and skip loudly without them).
    pub fn sample(name: &str) -> Option<Vec<u8>> {
        let path = format!(
            "{}/../../shared/samples/evtx/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        match std::fs::read(&path) {
            Ok(b) => Some(b),
            Err(_) => {
                eprintln!("SKIPPED: ../shared/samples absent ({path})");
                None
            }
        }
    }

    /// Evidence from real `.evtx` samples.
    pub fn evidence_from_samples(names: &[&str]) -> Option<Evidence> {
        let mut files = Vec::new();
        for name in names {
            files.push(InputFile::in_memory(
                format!("events/{name}"),
                sample(name)?,
            ));
        }
        Some(Evidence::build(Bundle {
            source: "samples".into(),
            manifest: None,
            files,
            ..Bundle::default()
        }))
    }
}

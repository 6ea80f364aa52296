//! The typed evidence model: everything parsed from one input, with where each piece came from.
//!
//! Checks read only this. It is built once from the parsed files (in parallel, see
//! [`Evidence::build`]) and then shared read-only by every check.

use crate::bundle::{Bundle, InputProblem};
use crate::parse::identify::{self, Kind, Parsed, ParsedFile};
use crate::parse::{
    cert, certutil, evtx, gpresult, icacls, net_localgroup, netsh_profiles, netsh_rules, netstat,
    nltest, qwinsta, rdp_probe, reg, sc, secedit, securitycenter, tasklist, w32tm,
};
use rayon::prelude::*;
use rdp_collect::bundle::{ArtifactRecord, CertIndexEntry, Manifest, Status};

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
    /// Security Center firewall product lists.
    pub firewall_products: Vec<Located<securitycenter::FirewallProducts>>,
    /// The collector's RDP handshake probe.
    pub handshake: Vec<Located<rdp_probe::HandshakeProbe>>,
    pub artifacts: Vec<ArtifactStatus>,
    pub input_problems: Vec<InputProblem>,
    /// Unix time the evidence describes (the collection's finish time, else now): certificates
    /// are judged valid or expired at this moment, not at analysis time.
    pub as_of: i64,
}

impl Evidence {
    /// Parses every file of `bundle` in parallel and gathers the results.
    pub fn build(bundle: Bundle) -> Evidence {
        let manifest = bundle.manifest;
        let code_page_of = |path: &str| {
            manifest
                .as_ref()
                .and_then(|m| m.artifacts.iter().find(|a| a.path == path))
                .and_then(|a| a.code_page)
        };
        let parsed: Vec<ParsedFile> = bundle
            .files
            .par_iter()
            .map(|f| identify::parse_file(&f.path, &f.bytes, code_page_of(&f.path)))
            .collect();

        let mut ev = Evidence {
            source: bundle.source,
            input_problems: bundle.problems,
            as_of: manifest
                .as_ref()
                .and_then(|m| parse_rfc3339(&m.finished_utc))
                .unwrap_or_else(now_unix),
            ..Evidence::default()
        };
        for pf in parsed {
            let record = manifest
                .as_ref()
                .and_then(|m| m.artifacts.iter().find(|a| a.path == pf.path))
                .cloned();
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
            for rec in &m.artifacts {
                if ev.artifacts.iter().any(|a| a.path == rec.path) {
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
            Parsed::SecurityCenter(v) => {
                self.firewall_products.push(Located { artifact, value: v })
            }
            Parsed::HandshakeProbe(v) => self.handshake.push(Located {
                artifact,
                value: *v,
            }),
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
        let want = reg::normalize_key_path(key);
        self.registry.iter().any(|f| {
            f.value.keys.iter().any(|k| {
                let have = reg::normalize_key_path(&k.path);
                want == have || want.starts_with(&format!("{have}\\"))
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
        self.tasklist
            .iter()
            .find_map(|t| t.value.by_pid(pid).map(|p| (t.artifact.as_str(), p)))
    }
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

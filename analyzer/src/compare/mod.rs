//! `rdp-analyze compare WORKING BROKEN`: the guide's "compare the RDP configuration with a
//! working computer of the same OS version", automated.
//!
//! Each input becomes a set of [`Fact`]s, one per thing that matters for RDP (a registry value
//! under the RDP keys, a service's state, the listening sockets, a firewall rule covering RDP, a
//! firewall profile, the listener's certificate, a Group Policy setting with its winning GPO, a
//! user right, the Remote Desktop Users members, and each finding of the checks), keyed so that
//! the same thing on two machines has the same key. Two fact sets are then compared key by key.
//!
//! What always differs between two machines is noise, not a cause: the host name, machine SIDs
//! (`S-1-5-21-…`), each machine's own certificate thumbprint and serial, the listener
//! instance GUID, process ids, session ids and timestamps. Values are compared after masking
//! the host name and machine-SID parts; a difference that disappears under the mask, or in a
//! value marked per-machine, is an *expected* difference. When both inputs are the same machine
//! (before and after a change), identity values are compared as they are and their changes are
//! causes; volatile values (PIDs, timestamps) stay expected.
//!
//! A thing only one side has is compared only when the other side collected that kind of
//! evidence at all: a bundle without the LSA export says nothing about LSA.

use crate::checks::{self, Severity};
use crate::evidence::Evidence;
use crate::parse::reg::{self, RegData};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

pub mod emit_reg;
pub mod render;

/// Identifier of the JSON comparison schema.
pub const SCHEMA: &str = "rdp-triage/compare/v1";

/// The registry trees that matter for RDP, compared value by value (every value below them).
const REG_TREES: &[&str] = &[
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server",
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services",
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL",
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa",
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP",
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL",
];

/// The RDP services; of their keys only these values are compared.
const RDP_SERVICES: &[&str] = &["TermService", "UmRdpService", "SessionEnv"];
const SERVICE_VALUES: &[&str] = &[
    "Start",
    "ObjectName",
    "ImagePath",
    "ServiceDll",
    "DependOnService",
    "Type",
];
const SERVICES_KEY: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services";

/// Registry values that identify one machine (differ between any two).
const IDENTITY_VALUES: &[&str] = &["SSLCertificateSHA1Hash", "InstanceID", "CertificateHash"];
/// Registry values that change by themselves (process and session ids, counters, times).
const VOLATILE_VALUES: &[&str] = &["LsaPid", "GlassSessionId", "ProductVersion"];

/// Where a fact comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Registry,
    Services,
    Listener,
    Firewall,
    Certificates,
    GroupPolicy,
    UserRights,
    Groups,
    Findings,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Registry => "registry",
            Area::Services => "services",
            Area::Listener => "listener",
            Area::Firewall => "firewall",
            Area::Certificates => "certificates",
            Area::GroupPolicy => "group policy",
            Area::UserRights => "user rights",
            Area::Groups => "groups",
            Area::Findings => "findings",
        }
    }
}

/// How a value relates to the machine it was read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    /// Configuration: the same on two machines that both work.
    Setting,
    /// Names this machine (thumbprint, serial, instance GUID): differs between machines,
    /// matters between two bundles of the same machine.
    Identity,
    /// Changes by itself (PID, session id, timestamp): never a cause.
    Volatile,
}

/// One thing that matters for RDP, as one input shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    pub area: Area,
    /// What it is, for people: `RDP-Tcp\PortNumber`, `service TermService state`.
    pub item: String,
    /// The value as compared.
    pub value: String,
    /// The value as shown (may add the winning GPO, the evidence line).
    pub shown: String,
    /// `artifact` or `artifact:line`.
    pub evidence: String,
    pub nature: Nature,
    /// For registry values: the key path and value name (for `--emit-reg`).
    #[serde(skip)]
    pub reg: Option<(String, String, RegData)>,
}

/// What was read from one input.
#[derive(Debug, Clone, Default)]
pub struct Side {
    pub source: String,
    pub host: Option<String>,
    pub os: Option<String>,
    pub build: Option<String>,
    pub collected_utc: Option<String>,
    /// Keyed by a normalized identity of the thing.
    pub facts: BTreeMap<String, Fact>,
    /// Areas this input has evidence for (absence of a fact is meaningful there).
    pub areas: BTreeSet<Area>,
    /// Registry trees it exported (normalized), for per-value coverage.
    reg_roots: Vec<String>,
}

/// One side of a comparison, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct SideInfo {
    pub source: String,
    pub host_name: Option<String>,
    pub os: Option<String>,
    pub build: Option<String>,
    pub collected_utc: Option<String>,
    /// How many facts were read.
    pub facts: usize,
}

/// Whether a difference can explain the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A configuration or state difference: a candidate cause.
    Cause,
    /// A difference every two machines (or two collections) have.
    Expected,
}

/// One difference.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub area: Area,
    pub item: String,
    /// `None`: the working machine does not have it.
    pub working: Option<String>,
    pub broken: Option<String>,
    pub working_evidence: Option<String>,
    pub broken_evidence: Option<String>,
    pub verdict: Verdict,
    /// Why it is expected, or what kind of cause.
    pub note: String,
    #[serde(skip)]
    pub key: String,
}

/// The comparison, also the JSON schema.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub schema: &'static str,
    pub analyzer_version: &'static str,
    pub working: SideInfo,
    pub broken: SideInfo,
    /// Both inputs come from the same machine (same host name): a before/after comparison.
    pub same_host: Option<bool>,
    /// Both machines run the same OS build (the guide requires the same version).
    pub same_build: Option<bool>,
    /// Warnings about the comparison itself (different builds, unknown hosts, areas one side
    /// lacks).
    pub warnings: Vec<String>,
    /// Differences that can explain the failure, by area.
    pub causes: Vec<Difference>,
    /// Differences expected between these two inputs.
    pub expected: Vec<Difference>,
    /// Facts compared (present on at least one side in an area both have).
    pub compared: usize,
}

impl Comparison {
    /// 0 no difference that matters for RDP, 1 differences.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.causes.is_empty())
    }
}

/// Compares two analyzed inputs.
pub fn compare(working: &Evidence, broken: &Evidence) -> Comparison {
    let w = Side::read(working);
    let b = Side::read(broken);
    compare_sides(&w, &b)
}

/// Compares two fact sets.
pub fn compare_sides(w: &Side, b: &Side) -> Comparison {
    let same_host = match (&w.host, &b.host) {
        (Some(a), Some(c)) => Some(a.eq_ignore_ascii_case(c)),
        _ => None,
    };
    let same_build = match (&w.build, &b.build) {
        (Some(a), Some(c)) => Some(build_number(a) == build_number(c)),
        _ => None,
    };
    let mut warnings = Vec::new();
    match same_build {
        Some(false) => warnings.push(format!(
            "the two machines run different OS builds ({} and {}): the guide compares with a \
             working computer of the same version; defaults differ between builds, so some \
             differences below may be normal",
            w.build.as_deref().unwrap_or("?"),
            b.build.as_deref().unwrap_or("?")
        )),
        None => warnings.push(
            "the OS build of one input is unknown (no manifest): make sure both run the same \
             version"
                .to_string(),
        ),
        Some(true) => {}
    }
    if same_host.is_none() {
        warnings.push(
            "the host name of one input is unknown: treated as two different machines".into(),
        );
    }
    for area in w.areas.symmetric_difference(&b.areas) {
        let (has, lacks) = if w.areas.contains(area) {
            ("working", "broken")
        } else {
            ("broken", "working")
        };
        warnings.push(format!(
            "{} not compared: only the {has} input has that evidence (the {lacks} one was not \
             collected with it)",
            area.as_str()
        ));
    }
    let same_machine = same_host == Some(true);
    let masks = Masks::new(w.host.as_deref(), b.host.as_deref());
    let mut causes = Vec::new();
    let mut expected = Vec::new();
    let mut compared = 0;
    let keys: BTreeSet<&String> = w.facts.keys().chain(b.facts.keys()).collect();
    for key in keys {
        let (wf, bf) = (w.facts.get(key), b.facts.get(key));
        let Some(any) = wf.or(bf) else { continue };
        if !(w.areas.contains(&any.area) && b.areas.contains(&any.area)) {
            continue;
        }
        // A registry value only one side has counts only where the other exported its key.
        if any.area == Area::Registry {
            let (lacking, covered) = match (wf, bf) {
                (Some(f), None) => (f, b.covers_reg(f)),
                (None, Some(f)) => (f, w.covers_reg(f)),
                _ => (any, true),
            };
            if !covered {
                let _ = lacking;
                continue;
            }
        }
        compared += 1;
        let diff = |verdict: Verdict, note: String| Difference {
            area: any.area,
            item: any.item.clone(),
            working: wf.map(|f| f.shown.clone()),
            broken: bf.map(|f| f.shown.clone()),
            working_evidence: wf.map(|f| f.evidence.clone()),
            broken_evidence: bf.map(|f| f.evidence.clone()),
            verdict,
            note,
            key: key.clone(),
        };
        match (wf, bf) {
            (Some(a), Some(c)) => {
                if a.value == c.value {
                    continue;
                }
                let nature = if a.nature == Nature::Setting {
                    c.nature
                } else {
                    a.nature
                };
                if nature == Nature::Volatile {
                    expected.push(diff(
                        Verdict::Expected,
                        "changes by itself (process or session id, time)".into(),
                    ));
                } else if nature == Nature::Identity && !same_machine {
                    expected.push(diff(
                        Verdict::Expected,
                        "identifies each machine (its own certificate, serial, instance)".into(),
                    ));
                } else if !same_machine && masks.apply(&a.value) == masks.apply(&c.value) {
                    expected.push(diff(
                        Verdict::Expected,
                        "differs only by the host name or a machine SID".into(),
                    ));
                } else {
                    causes.push(diff(Verdict::Cause, "different".into()));
                }
            }
            (Some(f), None) | (None, Some(f)) if f.nature == Nature::Volatile => {
                expected.push(diff(
                    Verdict::Expected,
                    "changes by itself (a process id exists only while the service runs)".into(),
                ));
            }
            (Some(_), None) => causes.push(diff(
                Verdict::Cause,
                "the working input has it, the broken one does not".into(),
            )),
            (None, Some(_)) => causes.push(diff(
                Verdict::Cause,
                "the broken input has it, the working one does not".into(),
            )),
            (None, None) => {}
        }
    }
    // Findings the broken side has first, then the rest by area.
    causes.sort_by_key(|d| (d.area, d.key.clone()));
    Comparison {
        schema: SCHEMA,
        analyzer_version: env!("CARGO_PKG_VERSION"),
        working: w.info(),
        broken: b.info(),
        same_host,
        same_build,
        warnings,
        causes,
        expected,
        compared,
    }
}

/// `26100` of `26100.2314`.
fn build_number(build: &str) -> &str {
    build.split('.').next().unwrap_or(build).trim()
}

/// Masks what names a machine in a value: both host names and the machine part of SIDs.
struct Masks {
    hosts: Vec<String>,
}

impl Masks {
    fn new(a: Option<&str>, b: Option<&str>) -> Self {
        Masks {
            hosts: [a, b]
                .into_iter()
                .flatten()
                .map(|h| h.to_ascii_lowercase())
                .filter(|h| h.len() >= 2)
                .collect(),
        }
    }

    fn apply(&self, value: &str) -> String {
        let mut s = value.to_ascii_lowercase();
        for h in &self.hosts {
            s = s.replace(h.as_str(), "<host>");
        }
        mask_sids(&s)
    }
}

/// `s-1-5-21-a-b-c-rid` → `s-1-5-21-*-rid`: the machine (or domain) part masked, the RID kept.
fn mask_sids(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("s-1-5-21-") {
        let (head, tail) = rest.split_at(pos);
        out.push_str(head);
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '-' || c == 's'))
            .unwrap_or(tail.len());
        let (sid, after) = tail.split_at(end);
        let rid = sid.rsplit('-').next().unwrap_or("");
        out.push_str("s-1-5-21-*-");
        out.push_str(rid);
        rest = after;
    }
    out.push_str(rest);
    out
}

impl Side {
    /// Every fact of `ev`.
    pub fn read(ev: &Evidence) -> Side {
        let m = ev.manifest.as_ref();
        let mut side = Side {
            source: ev.source.clone(),
            host: m
                .map(|m| m.host_name.clone())
                .filter(|h| !h.trim().is_empty())
                .or_else(|| {
                    ev.gpresult
                        .iter()
                        .find_map(|g| g.value.computer_name.clone())
                        .map(|n| n.rsplit('\\').next().unwrap_or(&n).to_string())
                }),
            os: m
                .and_then(|m| m.os.product_name.clone())
                .filter(|s| !s.is_empty()),
            build: m.and_then(|m| m.os.build.clone()).filter(|s| !s.is_empty()),
            collected_utc: m.map(|m| m.finished_utc.clone()),
            ..Side::default()
        };
        side.registry(ev);
        side.services(ev);
        side.listener(ev);
        side.firewall(ev);
        side.certificates(ev);
        side.group_policy(ev);
        side.user_rights(ev);
        side.groups(ev);
        side.findings(ev);
        side
    }

    fn info(&self) -> SideInfo {
        SideInfo {
            source: self.source.clone(),
            host_name: self.host.clone(),
            os: self.os.clone(),
            build: self.build.clone(),
            collected_utc: self.collected_utc.clone(),
            facts: self.facts.len(),
        }
    }

    fn add(&mut self, key: String, fact: Fact) {
        self.areas.insert(fact.area);
        // The first source wins, as in the checks (`Evidence::reg_value` and friends).
        self.facts.entry(key).or_insert(fact);
    }

    fn covers_reg(&self, f: &Fact) -> bool {
        let Some((key, _, _)) = &f.reg else {
            return true;
        };
        let want = reg::normalize_key_path(key);
        self.reg_roots
            .iter()
            .any(|r| want == *r || want.starts_with(&format!("{r}\\")))
    }

    fn registry(&mut self, ev: &Evidence) {
        let trees: Vec<String> = REG_TREES
            .iter()
            .map(|t| reg::normalize_key_path(t))
            .collect();
        let services: Vec<String> = RDP_SERVICES
            .iter()
            .map(|s| reg::normalize_key_path(&format!("{SERVICES_KEY}\\{s}")))
            .collect();
        for file in &ev.registry {
            for key in &file.value.keys {
                let norm = reg::normalize_key_path(&key.path);
                let under = |roots: &[String]| {
                    roots
                        .iter()
                        .any(|r| norm == *r || norm.starts_with(&format!("{r}\\")))
                };
                let in_tree = under(&trees);
                let service = services
                    .iter()
                    .find(|r| norm == **r || norm == format!("{r}\\parameters"));
                if !in_tree && service.is_none() {
                    continue;
                }
                if !key.deleted && !self.reg_roots.contains(&norm) {
                    self.reg_roots.push(norm.clone());
                }
                self.areas.insert(Area::Registry);
                if key.deleted {
                    continue;
                }
                for v in &key.values {
                    if service.is_some()
                        && !SERVICE_VALUES
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(&v.name))
                    {
                        continue;
                    }
                    // The value as an import would leave it.
                    let Some((k, value)) = file.value.value(&key.path, &v.name) else {
                        continue;
                    };
                    if matches!(value.data, RegData::Deleted) {
                        continue;
                    }
                    let nature = if IDENTITY_VALUES
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(&v.name))
                    {
                        Nature::Identity
                    } else if VOLATILE_VALUES
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(&v.name))
                    {
                        Nature::Volatile
                    } else {
                        Nature::Setting
                    };
                    let name = if v.name.is_empty() { "@" } else { &v.name };
                    let shown = reg_display(&value.data);
                    self.add(
                        format!("reg:{norm}\\{}", v.name.to_ascii_lowercase()),
                        Fact {
                            area: Area::Registry,
                            item: format!("{}\\{name}", short_key(&k.path)),
                            value: shown.clone(),
                            shown,
                            evidence: format!("{}:{}", file.artifact, value.line),
                            nature,
                            reg: Some((k.path.clone(), v.name.clone(), value.data.clone())),
                        },
                    );
                }
            }
        }
    }

    fn services(&mut self, ev: &Evidence) {
        if ev.sc.is_empty() {
            return;
        }
        self.areas.insert(Area::Services);
        for name in RDP_SERVICES
            .iter()
            .chain(["CertPropSvc", "Netlogon"].iter())
        {
            let blocks = ev.services_named(name);
            let Some((art, s)) = ev.service(name) else {
                continue;
            };
            if !matches!(s.state, crate::evidence::ServiceState::Unknown(0)) {
                self.add(
                    format!("svc:{}:state", name.to_ascii_lowercase()),
                    plain(
                        Area::Services,
                        format!("service {name} state"),
                        format!("{:?}", s.state).to_ascii_uppercase(),
                        format!("{art}:{}", s.state_line),
                        Nature::Setting,
                    ),
                );
            }
            if let Some(pid) = s.pid.filter(|p| *p != 0) {
                self.add(
                    format!("svc:{}:pid", name.to_ascii_lowercase()),
                    plain(
                        Area::Services,
                        format!("service {name} PID"),
                        pid.to_string(),
                        format!("{art}:{}", s.line),
                        Nature::Volatile,
                    ),
                );
            }
            if let Some((t, a, blk)) = ev.service_start_type(name) {
                self.add(
                    format!("svc:{}:start", name.to_ascii_lowercase()),
                    plain(
                        Area::Services,
                        format!("service {name} start type"),
                        checks::support::start_type_name(t).to_string(),
                        format!("{a}:{}", blk.line),
                        Nature::Setting,
                    ),
                );
            }
            if let Some((a, blk)) = blocks.iter().find(|(_, b)| b.service_start_name.is_some()) {
                self.add(
                    format!("svc:{}:account", name.to_ascii_lowercase()),
                    plain(
                        Area::Services,
                        format!("service {name} account"),
                        blk.service_start_name.clone().unwrap_or_default(),
                        format!("{a}:{}", blk.line),
                        Nature::Setting,
                    ),
                );
            }
        }
    }

    fn listener(&mut self, ev: &Evidence) {
        let (port, _) = ev.rdp_port();
        if let Some(ns) = ev.netstat.first() {
            self.areas.insert(Area::Listener);
            let mut listening: Vec<&crate::evidence::Socket> = ev
                .netstat
                .iter()
                .flat_map(|n| n.value.sockets.iter())
                .filter(|s| {
                    s.local_port == Some(port)
                        && matches!(s.state, Some(crate::parse::netstat::TcpState::Listening))
                })
                .collect();
            listening.sort_by(|a, b| a.local_address.cmp(&b.local_address));
            let addrs: Vec<String> = listening.iter().map(|s| s.local_address.clone()).collect();
            let at = match listening.first() {
                Some(s) => format!("{}:{}", ns.artifact, s.line),
                None => ns.artifact.clone(),
            };
            self.add(
                "listener:tcp".into(),
                plain(
                    Area::Listener,
                    format!("TCP sockets listening on the RDP port {port}"),
                    if addrs.is_empty() {
                        "none".into()
                    } else {
                        addrs.join(", ")
                    },
                    at.clone(),
                    Nature::Setting,
                ),
            );
            let owners: BTreeSet<String> = listening
                .iter()
                .filter_map(|s| {
                    s.process.clone().or_else(|| {
                        s.pid
                            .and_then(|p| ev.process(p))
                            .map(|(_, p)| p.image.clone())
                    })
                })
                .map(|p| p.to_ascii_lowercase())
                .collect();
            if !owners.is_empty() {
                self.add(
                    "listener:process".into(),
                    plain(
                        Area::Listener,
                        format!("process owning port {port}"),
                        owners.into_iter().collect::<Vec<_>>().join(", "),
                        at.clone(),
                        Nature::Setting,
                    ),
                );
            }
        }
        for q in &ev.qwinsta {
            for s in &q.value.sessions {
                let Some(name) = s.name.as_deref() else {
                    continue;
                };
                if !name.to_ascii_lowercase().starts_with("rdp-tcp") || name.contains('#') {
                    continue;
                }
                self.add(
                    format!("listener:winstation:{}", name.to_ascii_lowercase()),
                    plain(
                        Area::Listener,
                        format!("WinStation {name} state"),
                        format!("{:?}", s.state),
                        format!("{}:{}", q.artifact, s.line),
                        Nature::Setting,
                    ),
                );
            }
        }
        for h in &ev.handshake {
            let p = &h.value;
            let answer = match (p.tcp.as_deref(), p.negotiation.as_deref()) {
                (Some("connected"), Some("selected")) => format!(
                    "answers, selects {}",
                    p.selected_protocol.as_deref().unwrap_or("?")
                ),
                (Some("connected"), Some("failure")) => format!(
                    "refuses the negotiation: {}",
                    p.failure_name.as_deref().unwrap_or("?")
                ),
                (Some("connected"), n) => format!("connects, negotiation {}", n.unwrap_or("?")),
                (t, _) => format!("TCP {}", t.unwrap_or("?")),
            };
            self.add(
                "listener:probe".into(),
                plain(
                    Area::Listener,
                    "local handshake probe".into(),
                    answer,
                    h.artifact.clone(),
                    Nature::Setting,
                ),
            );
            if let Some(tls) = &p.tls {
                self.add(
                    "listener:probe:tls".into(),
                    plain(
                        Area::Listener,
                        "local handshake probe TLS".into(),
                        format!("{tls} {}", p.tls_version.as_deref().unwrap_or("")),
                        h.artifact.clone(),
                        Nature::Setting,
                    ),
                );
            }
        }
    }

    fn firewall(&mut self, ev: &Evidence) {
        let (port, _) = ev.rdp_port();
        for rules in &ev.firewall_rules {
            self.areas.insert(Area::Firewall);
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for r in &rules.value.rules {
                let rdp = checks::firewall_blocks_rdp::is_rdp_rule(r)
                    || (r.direction == crate::parse::netsh_rules::Direction::In
                        && r.applies_to_tcp_port(port));
                if !rdp {
                    continue;
                }
                let base = format!(
                    "fw:{}:{}:{:?}",
                    r.name.to_lowercase(),
                    r.protocol.to_lowercase(),
                    r.direction
                );
                let n = seen.entry(base.clone()).or_insert(0);
                *n += 1;
                let key = if *n == 1 { base } else { format!("{base}#{n}") };
                let value = format!(
                    "{}, {:?}, profiles {}, {} port {}, remote {}, local {}",
                    if r.enabled { "enabled" } else { "disabled" },
                    r.action,
                    r.profiles.join(","),
                    r.protocol,
                    r.local_port.as_deref().unwrap_or("Any"),
                    r.remote_ip,
                    r.local_ip
                );
                self.add(
                    key,
                    plain(
                        Area::Firewall,
                        format!(
                            "firewall rule \"{}\" ({} {:?})",
                            r.name, r.protocol, r.direction
                        ),
                        value,
                        format!("{}:{}", rules.artifact, r.line),
                        Nature::Setting,
                    ),
                );
            }
        }
        for profiles in &ev.firewall_profiles {
            self.areas.insert(Area::Firewall);
            for p in &profiles.value.profiles {
                let state = match p.state_on {
                    Some(true) => "ON",
                    Some(false) => "OFF",
                    None => "?",
                };
                self.add(
                    format!("fwprofile:{}", p.profile.to_lowercase()),
                    plain(
                        Area::Firewall,
                        format!("firewall profile {}", p.profile),
                        format!(
                            "{state}, {}",
                            p.firewall_policy.as_deref().unwrap_or("policy unknown")
                        ),
                        format!("{}:{}", profiles.artifact, p.line),
                        Nature::Setting,
                    ),
                );
            }
        }
    }

    fn certificates(&mut self, ev: &Evidence) {
        use checks::rdp_certs;
        if !rdp_certs::stores_observed(ev) {
            return;
        }
        self.areas.insert(Area::Certificates);
        let seen = rdp_certs::seen_certs(ev);
        let configured = rdp_certs::configured_thumbprint(ev);
        let used = rdp_certs::in_use(&seen, configured.as_ref());
        let which = if configured.is_some() {
            "the configured listener certificate"
        } else {
            "the Remote Desktop store's certificate"
        };
        let ev_of = |c: &rdp_certs::SeenCert| match c.evidence.line {
            Some(l) => format!("{}:{l}", c.evidence.artifact),
            None => c.evidence.artifact.clone(),
        };
        let Some(cert) = used.first() else {
            self.add(
                "cert:present".into(),
                plain(
                    Area::Certificates,
                    format!("{which}: present"),
                    "no".into(),
                    configured
                        .as_ref()
                        .map(|(_, r)| r.artifact.clone())
                        .unwrap_or_else(|| "certificate stores".into()),
                    Nature::Setting,
                ),
            );
            return;
        };
        let e = ev_of(cert);
        let add = |side: &mut Side, k: &str, what: &str, v: String, nature: Nature| {
            side.add(
                format!("cert:{k}"),
                plain(
                    Area::Certificates,
                    format!("{which}: {what}"),
                    v,
                    e.clone(),
                    nature,
                ),
            );
        };
        add(self, "present", "present", "yes".into(), Nature::Setting);
        add(self, "store", "store", cert.store.clone(), Nature::Setting);
        let validity = match (cert.not_before, cert.not_after) {
            (_, Some(na)) if na < ev.as_of => "expired".to_string(),
            (Some(nb), _) if nb > ev.as_of => "not yet valid".to_string(),
            (_, Some(_)) => "valid".to_string(),
            _ => "unknown".to_string(),
        };
        add(
            self,
            "validity",
            "validity at collection",
            validity,
            Nature::Setting,
        );
        if let Some(na) = &cert.not_after_text {
            add(self, "not_after", "expires", na.clone(), Nature::Identity);
        }
        if let Some(eku) = cert.server_auth_eku {
            add(
                self,
                "eku",
                "Server Authentication EKU",
                if eku { "yes" } else { "no" }.into(),
                Nature::Setting,
            );
        }
        if let Some(k) = cert.has_private_key {
            add(
                self,
                "key",
                "private key",
                if k { "yes" } else { "no" }.into(),
                Nature::Setting,
            );
        }
        add(
            self,
            "thumbprint",
            "thumbprint",
            cert.thumbprint.clone(),
            Nature::Identity,
        );
        if !ev.icacls.is_empty() {
            let problems = checks::rdp_key_file_acl::problems(ev);
            let v = if problems.is_empty() {
                "no problem".to_string()
            } else {
                problems
                    .iter()
                    .map(|(p, _)| p.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let e = problems
                .first()
                .and_then(|(_, r)| r.first())
                .map(|r| r.artifact.clone())
                .or_else(|| ev.icacls.first().map(|i| i.artifact.clone()))
                .unwrap_or_default();
            self.add(
                "cert:keyacl".into(),
                plain(
                    Area::Certificates,
                    "private key file ACL".into(),
                    v,
                    e,
                    Nature::Setting,
                ),
            );
        }
    }

    fn group_policy(&mut self, ev: &Evidence) {
        for g in &ev.gpresult {
            self.areas.insert(Area::GroupPolicy);
            for p in &g.value.policies {
                if !is_rdp_policy(&p.category, &p.name) {
                    continue;
                }
                let options: Vec<String> =
                    p.options.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let value = if options.is_empty() {
                    p.setting.clone()
                } else {
                    format!("{} ({})", p.setting, options.join(", "))
                };
                self.add(
                    format!(
                        "gpo:{:?}:{}:{}",
                        p.scope,
                        p.category.to_lowercase(),
                        p.name.to_lowercase()
                    ),
                    Fact {
                        area: Area::GroupPolicy,
                        item: format!("policy \"{}\" ({})", p.name, p.category),
                        shown: format!("{value} [winning GPO: {}]", p.winning_gpo),
                        value,
                        evidence: format!("{}:{}", g.artifact, p.line),
                        nature: Nature::Setting,
                        reg: None,
                    },
                );
            }
            for s in &g.value.security_settings {
                if !is_rdp_right(&s.name) {
                    continue;
                }
                self.add(
                    format!("gpsec:{}", s.name.to_lowercase()),
                    Fact {
                        area: Area::GroupPolicy,
                        item: format!("security setting \"{}\"", s.name),
                        shown: format!("{} [winning GPO: {}]", s.setting, s.winning_gpo),
                        value: s.setting.clone(),
                        evidence: format!("{}:{}", g.artifact, s.line),
                        nature: Nature::Setting,
                        reg: None,
                    },
                );
            }
            for r in &g.value.registry_preferences {
                let key = r.key_path.to_lowercase();
                if !(key.contains("terminal server") || key.contains("terminal services")) {
                    continue;
                }
                let value = r
                    .value_data
                    .clone()
                    .or(r.value_u32.map(|v| v.to_string()))
                    .unwrap_or_default();
                self.add(
                    format!("gpp:{key}\\{}", r.value_name.to_lowercase()),
                    Fact {
                        area: Area::GroupPolicy,
                        item: format!("preference {}\\{}", r.key_path, r.value_name),
                        shown: format!(
                            "{value} {}[winning GPO: {}]",
                            r.action
                                .as_deref()
                                .map(|a| format!("({a}) "))
                                .unwrap_or_default(),
                            r.winning_gpo
                        ),
                        value,
                        evidence: format!("{}:{}", g.artifact, r.line),
                        nature: Nature::Setting,
                        reg: None,
                    },
                );
            }
        }
    }

    fn user_rights(&mut self, ev: &Evidence) {
        for inf in &ev.secedit {
            self.areas.insert(Area::UserRights);
            for name in RDP_RIGHTS {
                let Some(right) = inf.value.user_right(name) else {
                    continue;
                };
                let mut who: Vec<String> = right
                    .principals
                    .iter()
                    .map(|p| p.sid.clone().unwrap_or_else(|| p.raw.clone()))
                    .collect();
                who.sort();
                self.add(
                    format!("right:{}", name.to_ascii_lowercase()),
                    plain(
                        Area::UserRights,
                        format!("user right {name}"),
                        who.join(", "),
                        format!("{}:{}", inf.artifact, right.entry.line),
                        Nature::Setting,
                    ),
                );
            }
        }
    }

    fn groups(&mut self, ev: &Evidence) {
        for g in &ev.local_groups {
            self.areas.insert(Area::Groups);
            let Some(name) = g.value.name.clone() else {
                continue;
            };
            let mut members: Vec<String> = g.value.members.iter().map(|m| m.name.clone()).collect();
            members.sort_by_key(|m| m.to_lowercase());
            self.add(
                format!("group:{}", name.to_lowercase()),
                plain(
                    Area::Groups,
                    format!("members of {name}"),
                    if members.is_empty() {
                        "(none)".into()
                    } else {
                        members.join(", ")
                    },
                    format!("{}:{}", g.artifact, g.value.line),
                    Nature::Setting,
                ),
            );
        }
    }

    fn findings(&mut self, ev: &Evidence) {
        self.areas.insert(Area::Findings);
        let outcome = checks::run_all(ev);
        for f in outcome.findings {
            if f.severity == Severity::Info {
                continue;
            }
            let e = f
                .evidence
                .first()
                .map(|r| match r.line {
                    Some(l) => format!("{}:{l}", r.artifact),
                    None => r.artifact.clone(),
                })
                .unwrap_or_default();
            self.add(
                format!("finding:{}", f.id),
                plain(
                    Area::Findings,
                    format!("{} {}", f.id, f.name),
                    format!("{}: {}", f.severity.as_str(), f.title),
                    e,
                    Nature::Setting,
                ),
            );
        }
    }
}

fn plain(area: Area, item: String, value: String, evidence: String, nature: Nature) -> Fact {
    Fact {
        area,
        item,
        shown: value.clone(),
        value,
        evidence,
        nature,
        reg: None,
    }
}

/// User rights that decide who may log on over RDP.
const RDP_RIGHTS: &[&str] = &[
    "SeRemoteInteractiveLogonRight",
    "SeDenyRemoteInteractiveLogonRight",
    "SeNetworkLogonRight",
    "SeDenyNetworkLogonRight",
];

fn is_rdp_right(name: &str) -> bool {
    let n = name.to_lowercase();
    n.contains("remote desktop services")
        || n.contains("access this computer from the network")
        || RDP_RIGHTS.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// Group Policy settings that bear on RDP: the Remote Desktop Services tree, the firewall's
/// Remote Desktop exception, the SSL cipher order, CredSSP delegation and oracle remediation.
fn is_rdp_policy(category: &str, name: &str) -> bool {
    let c = category.to_lowercase();
    let n = name.to_lowercase();
    c.contains("remote desktop")
        || c.contains("terminal services")
        || c.contains("ssl configuration")
        || c.contains("credentials delegation")
        || n.contains("remote desktop")
        || n.contains("encryption oracle")
}

/// `Terminal Server\WinStations\RDP-Tcp` of a full key path: the part after the well-known
/// prefixes, which is what support engineers say.
fn short_key(path: &str) -> String {
    const PREFIXES: &[&str] = &[
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\",
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\",
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\",
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\",
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\",
    ];
    for p in PREFIXES {
        if path.len() > p.len()
            && path
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        {
            let rest = path.get(p.len()..).unwrap_or(path);
            return if p.contains("Policies") && !p.ends_with("System\\") {
                format!("Policies\\{rest}")
            } else {
                rest.to_string()
            };
        }
    }
    path.to_string()
}

/// A registry value for comparing and showing: full text (not shortened), with its type.
fn reg_display(data: &RegData) -> String {
    match data {
        RegData::Sz(s) => format!("\"{s}\""),
        RegData::ExpandSz(s) => format!("\"{s}\" (expand)"),
        RegData::MultiSz(v) => format!("[{}]", v.join(", ")),
        RegData::Dword(v) | RegData::DwordBigEndian(v) => format!("{v} (0x{v:x})"),
        RegData::Qword(v) => format!("{v} (0x{v:x}, qword)"),
        RegData::Binary(b) | RegData::None(b) | RegData::Other { bytes: b, .. } => {
            if b.is_empty() {
                "(empty)".into()
            } else {
                hex::encode(b)
            }
        }
        RegData::Deleted => "(deleted)".into(),
    }
}

#[cfg(test)]
mod tests;

//! Diagnoses. One file per check, like lints: each has a stable ID (never reused), a default
//! severity, a title, an explanation, remediation in our words, the evidence kinds it reads, and
//! a fixture under `fixtures/` that makes it fire.
//!
//! A check is a plain function from [`Evidence`] to findings. Checks never fail: when their
//! evidence is missing they return nothing, and [`run_all`] reports them as not evaluated, with
//! the reason (artifact absent, step failed, collected without elevation).

use crate::evidence::Evidence;
use crate::parse::identify::Kind;
use serde::Serialize;
use std::collections::BTreeMap;

/// The one place a check is registered: its module (one file under `checks/`), one per line,
/// in ID order. The list declares the modules and builds [`all`]; the tests below check that
/// every file here is listed, that the order is by ID, and that no retired ID comes back.
macro_rules! register {
    ($($vis:vis $module:ident,)*) => {
        $($vis mod $module;)*

        /// Every check, in ID order. `rdp-analyze checks` prints this.
        pub fn all() -> &'static [&'static Check] {
            static ALL: &[&Check] = &[$(&$module::CHECK),*];
            ALL
        }
    };
}

register! {
    rdp_disabled,
    rdp_disabled_by_policy,
    termservice_not_running,
    umrdpservice_not_running,
    listener_not_listening,
    non_default_port,
    port_not_listening,
    port_conflict,
    pub(crate) firewall_blocks_rdp,
    firewall_remote_scope,
    certificate_invalid,
    certificate_thumbprint_unknown,
    machinekeys_acl,
    failed_logons,
    security_negotiation,
    credssp_encryption_oracle,
    tls_protocols_disabled,
    fips_mode,
    tls_cipher_suites,
    schannel_errors,
    certificate_no_server_auth,
    pub(crate) rdp_key_file_acl,
    certificate_services_not_running,
    remote_logon_rights,
    remote_desktop_users,
    listener_permissions,
    listener_bound_to_adapter,
    session_limit,
    logons_disabled,
    rdp_stack_replaced,
    setup_in_progress,
    udp_transport,
    termservice_config,
    sessionenv_not_running,
    service_dependency_stopped,
    network_profile,
    third_party_firewall,
    secure_channel_broken,
    clock_skew,
    licensing,
    edition_cannot_host,
    listener_probe,
    served_certificate,
    client_reachability,
    client_served_certificate,
    registry_hive_unreliable,
    control_set_selection,
    gateway_refused,
    account_locked_out,
    credential_failures,
    brute_force,
    logon_trail,
    rdp_certificate_events,
    incomplete_connections,
    event_log_damaged,
    ntlm_restricted,
    entra_online_id_refused,
    session_time_limits,
    reboot_pending,
    crash_on_audit_fail,
    blank_password,
    network_adapter_unusable,
    host_goes_to_sleep,
    ephemeral_ports,
    security_log_full,
    host_restarted,
    termservice_crashed,
    wfp_filter_blocks_rdp,
    firewall_shields_up,
    artifact_unreadable,
    collection_step_failed,
    not_elevated,
}

/// IDs that were used once and must never be reused, with where their diagnosis went.
pub const RETIRED: &[(&str, &str)] = &[
    (
        "RDP055",
        "TLS and Schannel errors: folded into RDP020 (schannel-errors)",
    ),
    (
        "RDP056",
        "setup events: folded into RDP031 (setup-in-progress)",
    ),
    (
        "RDP058",
        "RDS licensing events: folded into RDP040 (rds-licensing)",
    ),
];

pub(crate) mod rdp_certs;
pub(crate) mod support;

/// How bad a finding is. Ordered most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// RDP cannot work until this is fixed.
    Error,
    /// Likely to break some connections, or hides the real cause.
    Warning,
    /// Worth knowing while troubleshooting; not a fault.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A diagnosis rule.
pub struct Check {
    /// Stable identifier, e.g. `RDP001`. Never renumbered or reused.
    pub id: &'static str,
    /// Stable kebab-case name, e.g. `rdp-disabled`.
    pub name: &'static str,
    /// Default severity of its findings (a finding may lower or raise it with reason).
    pub severity: Severity,
    /// One line: what is wrong when it fires.
    pub title: &'static str,
    /// Why it matters, in a few sentences.
    pub explanation: &'static str,
    /// What to do, in our words.
    pub remediation: &'static str,
    /// Evidence kinds it can work from; with none of them present it is not evaluated.
    /// Empty means it always runs (meta checks).
    pub needs: &'static [Kind],
    /// The fixture folder that makes it fire.
    pub fixture: &'static str,
    /// For checks that need a particular registry key or command output, not just an artifact
    /// kind: the reason it is absent, or `None` when it is there. Without it such a check would
    /// pass silently on a bundle that merely lacks the data, so it is listed as not evaluated.
    pub requires: Option<fn(&Evidence) -> Option<String>>,
    pub run: fn(&Evidence) -> Vec<Finding>,
}

/// A pointer to the evidence behind a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    /// Artifact path (inside the zip or folder).
    pub artifact: String,
    /// 1-based line in the decoded artifact, when it has lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Event record id, for event logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
    /// The relevant text, shortened.
    pub excerpt: String,
}

impl EvidenceRef {
    pub fn line(artifact: &str, line: usize, excerpt: impl Into<String>) -> Self {
        EvidenceRef {
            artifact: artifact.to_string(),
            line: (line > 0).then_some(line),
            record_id: None,
            excerpt: shorten(&excerpt.into()),
        }
    }
    pub fn record(artifact: &str, record_id: u64, excerpt: impl Into<String>) -> Self {
        EvidenceRef {
            artifact: artifact.to_string(),
            line: None,
            record_id: Some(record_id),
            excerpt: shorten(&excerpt.into()),
        }
    }
    pub fn file(artifact: &str, excerpt: impl Into<String>) -> Self {
        EvidenceRef {
            artifact: artifact.to_string(),
            line: None,
            record_id: None,
            excerpt: shorten(&excerpt.into()),
        }
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 300;
    let s = s.trim();
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX).collect();
    out.push('…');
    out
}

/// One diagnosis about this machine.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// Specific title (may name the value, service, process...).
    pub title: String,
    /// What was found and what it means, specific to this machine.
    pub message: String,
    pub evidence: Vec<EvidenceRef>,
    pub remediation: String,
    /// Key facts for automation and fixtures' `expected.json` (e.g. `winning_gpo`, `process`).
    pub facts: BTreeMap<String, String>,
}

impl Finding {
    /// A finding of `check` with its default severity, title and remediation.
    pub fn new(check: &Check, message: impl Into<String>) -> Self {
        Finding {
            id: check.id,
            name: check.name,
            severity: check.severity,
            title: check.title.to_string(),
            message: message.into(),
            evidence: Vec::new(),
            remediation: check.remediation.to_string(),
            facts: BTreeMap::new(),
        }
    }
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
    pub fn evidence(mut self, e: EvidenceRef) -> Self {
        self.evidence.push(e);
        self
    }
    pub fn fact(mut self, key: &str, value: impl ToString) -> Self {
        self.facts.insert(key.to_string(), value.to_string());
        self
    }
    pub fn remediation(mut self, text: impl Into<String>) -> Self {
        self.remediation = text.into();
        self
    }
}

/// A check that could not be evaluated, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotEvaluated {
    pub id: &'static str,
    pub name: &'static str,
    pub reason: String,
}

/// Findings of one analysis, most severe first.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
}

/// Runs every check on `ev`.
pub fn run_all(ev: &Evidence) -> Outcome {
    use rayon::prelude::*;
    let mut not_evaluated = Vec::new();
    let runnable: Vec<&Check> = all()
        .iter()
        .copied()
        .filter(
            |c| match why_not_evaluated(ev, c).or_else(|| c.requires.and_then(|f| f(ev))) {
                Some(reason) => {
                    not_evaluated.push(NotEvaluated {
                        id: c.id,
                        name: c.name,
                        reason,
                    });
                    false
                }
                None => true,
            },
        )
        .collect();
    let mut findings: Vec<Finding> = runnable
        .par_iter()
        .flat_map_iter(|c| cap_findings(c, (c.run)(ev)))
        .collect();
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.id.cmp(b.id)));
    Outcome {
        findings,
        not_evaluated,
    }
}

/// Most findings one check may report; the rest are counted in one more finding. A bundle
/// crafted with 100,000 foreign listeners (or unreadable files) must not become a 100 MB report
/// that hides everything else.
pub const MAX_FINDINGS_PER_CHECK: usize = 50;

/// Keeps the first [`MAX_FINDINGS_PER_CHECK`] findings and summarizes the rest: how many, and
/// the artifacts they name (the first hundred), so nothing is dropped silently.
fn cap_findings(check: &Check, mut findings: Vec<Finding>) -> Vec<Finding> {
    if findings.len() <= MAX_FINDINGS_PER_CHECK {
        return findings;
    }
    let rest = findings.split_off(MAX_FINDINGS_PER_CHECK);
    let severity = rest
        .iter()
        .map(|f| f.severity)
        .min()
        .unwrap_or(check.severity);
    let mut artifacts: Vec<&str> = rest
        .iter()
        .filter_map(|f| f.facts.get("artifact").map(String::as_str))
        .collect();
    artifacts.dedup();
    let named = if artifacts.is_empty() {
        String::new()
    } else {
        let shown: Vec<&str> = artifacts.iter().take(100).copied().collect();
        format!(
            " They concern: {}{}.",
            shown.join(", "),
            if artifacts.len() > shown.len() {
                format!(" and {} more", artifacts.len() - shown.len())
            } else {
                String::new()
            }
        )
    };
    let mut summary = Finding::new(
        check,
        format!(
            "{} more {} findings of this kind are not listed one by one (the first {} are).{named}",
            rest.len(),
            check.id,
            MAX_FINDINGS_PER_CHECK
        ),
    )
    .title(format!("… and {} more like the above", rest.len()))
    .fact("omitted", rest.len());
    summary.severity = severity;
    findings.push(summary);
    findings
}

/// `None` when `check` has evidence to work from; otherwise the reason it has none, naming the
/// missing artifacts and, from the manifest, why they are missing.
fn why_not_evaluated(ev: &Evidence, check: &Check) -> Option<String> {
    if check.needs.is_empty() || check.needs.iter().any(|k| has_kind(ev, *k)) {
        return None;
    }
    if ev.offline.is_some() && check.needs.iter().all(|k| is_live_state(*k)) {
        let kinds: Vec<&str> = check.needs.iter().map(|k| k.describe()).collect();
        return Some(format!(
            "{OFFLINE_NO_LIVE_STATE} (it reads {}, which only the running system gives)",
            kinds.join(" or ")
        ));
    }
    let mut reasons = Vec::new();
    for kind in check.needs {
        let related: Vec<_> = ev
            .artifacts
            .iter()
            .filter(|a| a.kind == *kind || stands_for(a.kind) == Some(*kind))
            .collect();
        if related.is_empty() {
            reasons.push(format!("no {} in the input", kind.describe()));
        }
        for a in related {
            if let Some(err) = &a.error {
                reasons.push(format!("{} could not be parsed ({err})", a.path));
            } else if let Some(rec) = a
                .record
                .as_ref()
                .filter(|r| r.status != rdp_bundle::Status::Ok)
            {
                let mut r = format!("{} was not collected: {}", a.path, rec.status.as_str());
                if let Some(m) = &rec.message {
                    r.push_str(&format!(" ({m})"));
                }
                if rec.status == rdp_bundle::Status::AccessDenied && ev.not_elevated() {
                    r.push_str("; the collector ran without elevation: run it as administrator");
                }
                reasons.push(r);
            }
        }
    }
    reasons.dedup();
    Some(reasons.join("; "))
}

fn has_kind(ev: &Evidence, kind: Kind) -> bool {
    ev.has(kind)
        || ev
            .artifacts
            .iter()
            .any(|a| a.present && a.error.is_none() && stands_for(a.kind) == Some(kind))
}

/// The kind an artifact serves as: event XML for event logs, a raw hive for registry exports
/// (its keys are mapped onto the same model), the RSoP XML (`gpresult /X`) for the HTML report
/// (both parse into the same [`crate::parse::gpresult::GpReport`]).
pub(crate) fn stands_for(kind: Kind) -> Option<Kind> {
    match kind {
        Kind::EventXml => Some(Kind::Evtx),
        Kind::RegistryHive => Some(Kind::Registry),
        Kind::GpresultXml => Some(Kind::Gpresult),
        _ => None,
    }
}

/// Why a check is not evaluated on the disk of a machine that was not running.
pub const OFFLINE_NO_LIVE_STATE: &str = "offline disk: no live state";

/// Artifacts only a running system gives: service and listener state, sockets, sessions, the
/// handshake probe, and the outputs of commands that ask the running system (firewall state,
/// effective policy, group membership, ACLs as `icacls` shows them).
fn is_live_state(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Netstat
            | Kind::Qwinsta
            | Kind::Tasklist
            | Kind::ScQuery
            | Kind::HandshakeProbe
            | Kind::FirewallRules
            | Kind::FirewallProfiles
            | Kind::Icacls
            | Kind::Certutil
            | Kind::CertIndex
            | Kind::Gpresult
            | Kind::GpresultXml
            | Kind::Secedit
            | Kind::NetLocalgroup
            | Kind::Nltest
            | Kind::W32tm
            | Kind::Dsregcmd
            | Kind::SecurityCenter
            | Kind::DynamicPorts
            | Kind::EventLogConfig
            | Kind::IpConfig
            | Kind::RoutePrint
            | Kind::Powercfg
            | Kind::GracePeriod
            | Kind::WfpFilters
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `gpresult /X` report is read like the HTML one: the checks that read gpresult's user
    /// rights (RDP024) run on it. The real RSoP XML of a CIS member server
    /// (`HersheyTaichou__GPResult-MS-cis-rdp.xml`) denied "Local account" and was not evaluated.
    #[test]
    fn rsop_xml_stands_for_a_gpresult_report() {
        let xml = r#"<?xml version="1.0" encoding="utf-16"?>
<Rsop xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://www.microsoft.com/GroupPolicy/Rsop">
  <ReadTime>2023-10-19T01:25:18.4743301Z</ReadTime>
  <ComputerResults>
    <Name>ORIONTECH\CIS-MS01$</Name>
    <GPO>
      <Name>02 Local Policies - MS</Name>
      <Path><Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{0F2A1B3C-0000-4000-8000-000000000002}</Identifier></Path>
      <Enabled>true</Enabled><IsValid>true</IsValid><FilterAllowed>true</FilterAllowed><AccessDenied>false</AccessDenied>
    </GPO>
    <ExtensionData>
      <Extension xmlns:q4="http://www.microsoft.com/GroupPolicy/Settings/Security" xsi:type="q4:SecuritySettings" xmlns="http://www.microsoft.com/GroupPolicy/Settings">
        <q4:UserRightsAssignment>
          <GPO xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base"><Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{0F2A1B3C-0000-4000-8000-000000000002}</Identifier></GPO>
          <Precedence xmlns="http://www.microsoft.com/GroupPolicy/Settings/Base">1</Precedence>
          <q4:Name>SeDenyRemoteInteractiveLogonRight</q4:Name>
          <q4:Member><Name xmlns="http://www.microsoft.com/GroupPolicy/Types">BUILTIN\Guests</Name></q4:Member>
          <q4:Member><Name xmlns="http://www.microsoft.com/GroupPolicy/Types">NT AUTHORITY\Local account</Name></q4:Member>
        </q4:UserRightsAssignment>
      </Extension>
      <Name>Security</Name>
    </ExtensionData>
  </ComputerResults>
</Rsop>
"#
        .replace('\n', "\r\n");
        let ev = crate::evidence::testing::evidence_from_xml(&[("gpresult.xml", &xml)]);
        assert!(ev.has(Kind::GpresultXml));
        let out = run_all(&ev);
        assert!(
            !out.not_evaluated.iter().any(|n| n.id == "RDP024"),
            "{:?}",
            out.not_evaluated
        );
        let f = out
            .findings
            .iter()
            .find(|f| f.id == "RDP024")
            .expect("the Local account deny is reported");
        assert_eq!(f.facts["winning_gpo"], "02 Local Policies - MS");
        assert!(f.facts["principals"].contains("Local account"), "{f:?}");
    }

    #[test]
    fn ids_and_names_are_unique_and_well_formed() {
        let mut ids = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for c in all() {
            assert!(ids.insert(c.id), "duplicate id {}", c.id);
            assert!(names.insert(c.name), "duplicate name {}", c.name);
            assert!(c.id.len() == 6 && c.id.starts_with("RDP"), "{}", c.id);
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{}",
                c.name
            );
            assert!(!c.title.is_empty() && !c.explanation.is_empty() && !c.remediation.is_empty());
            assert!(c.fixture.starts_with("fixtures/"), "{}", c.fixture);
        }
    }

    #[test]
    fn every_check_has_its_fixture_folder() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for c in all() {
            let dir = root.join(c.fixture);
            assert!(dir.is_dir(), "{} names missing fixture {}", c.id, c.fixture);
            let expected = std::fs::read_to_string(dir.join("expected.json")).unwrap_or_default();
            assert!(
                expected.contains(c.id),
                "{}'s fixture {} does not expect it",
                c.id,
                c.fixture
            );
        }
    }

    /// Like clippy's `update_lints --check`: a check file that is not registered is never
    /// compiled, so nothing else would notice it.
    #[test]
    fn every_check_file_is_registered_once() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks");
        let source = std::fs::read_to_string(dir.join("mod.rs")).unwrap();
        let list = source
            .split("register! {")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .unwrap();
        let listed: Vec<&str> = list
            .lines()
            .map(|l| l.trim().trim_end_matches(','))
            .filter(|l| !l.is_empty())
            // `pub(crate) name`: the module name is the last word.
            .filter_map(|l| l.split_whitespace().last())
            .collect();
        assert_eq!(listed.len(), all().len());
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|n| n.strip_suffix(".rs").map(str::to_string))
            .filter(|n| !["mod", "support", "rdp_certs"].contains(&n.as_str()))
            .collect();
        files.sort();
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(sorted, files, "checks/*.rs and the register! list differ");
    }

    #[test]
    fn all_is_in_id_order_and_no_retired_id_is_live() {
        let ids: Vec<&str> = all().iter().map(|c| c.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "register! must list checks in ID order");
        for (id, went) in RETIRED {
            assert!(!ids.contains(id), "{id} is retired ({went}) but live again");
            assert!(id.len() == 6 && id.starts_with("RDP"), "{id}");
        }
    }

    /// Every ID a fixture names is live or retired, and no fixture requires a retired one.
    #[test]
    fn fixtures_name_only_known_ids() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let live: std::collections::HashSet<&str> = all().iter().map(|c| c.id).collect();
        let retired: std::collections::HashSet<&str> = RETIRED.iter().map(|(id, _)| *id).collect();
        let mut seen = 0;
        for entry in std::fs::read_dir(&root).unwrap() {
            let path = entry.unwrap().path().join("expected.json");
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            for (section, items) in json.as_object().unwrap() {
                let Some(items) = items.as_array() else {
                    continue;
                };
                for item in items {
                    let id = item
                        .as_str()
                        .or_else(|| item.get("id").and_then(|v| v.as_str()));
                    let Some(id) = id.filter(|s| s.starts_with("RDP")) else {
                        continue;
                    };
                    seen += 1;
                    assert!(
                        live.contains(id) || retired.contains(id),
                        "{}: {section} names unknown {id}",
                        path.display()
                    );
                    assert!(
                        !(section == "must" && retired.contains(id)),
                        "{}: must names retired {id}",
                        path.display()
                    );
                }
            }
        }
        assert!(seen > 0, "no IDs read from {}", root.display());
    }
}

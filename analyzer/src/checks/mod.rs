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

mod account_locked_out;
mod artifact_unreadable;
mod brute_force;
mod certificate_invalid;
mod certificate_no_server_auth;
mod certificate_services_not_running;
mod certificate_thumbprint_unknown;
mod clock_skew;
mod collection_step_failed;
mod credential_failures;
mod credssp_encryption_oracle;
mod edition_cannot_host;
mod event_log_damaged;
mod failed_logons;
mod fips_mode;
mod firewall_blocks_rdp;
mod firewall_remote_scope;
mod incomplete_connections;
mod licensing;
mod listener_bound_to_adapter;
mod listener_not_listening;
mod listener_permissions;
mod listener_probe;
mod logon_trail;
mod logons_disabled;
mod machinekeys_acl;
mod network_profile;
mod non_default_port;
mod not_elevated;
mod port_conflict;
mod port_not_listening;
mod rdp_certificate_events;
mod rdp_certs;
mod rdp_disabled;
mod rdp_disabled_by_policy;
mod rdp_key_file_acl;
mod rdp_stack_replaced;
mod remote_desktop_users;
mod remote_logon_rights;
mod schannel_errors;
mod secure_channel_broken;
mod security_negotiation;
mod served_certificate;
mod service_dependency_stopped;
mod session_limit;
mod sessionenv_not_running;
mod setup_in_progress;
mod support;
mod termservice_config;
mod termservice_not_running;
mod third_party_firewall;
mod tls_cipher_suites;
mod tls_protocols_disabled;
mod udp_transport;
mod umrdpservice_not_running;

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

/// Every check, in ID order. `rdp-analyze checks` prints this.
pub fn all() -> &'static [&'static Check] {
    static ALL: &[&Check] = &[
        &rdp_disabled::CHECK,
        &rdp_disabled_by_policy::CHECK,
        &termservice_not_running::CHECK,
        &umrdpservice_not_running::CHECK,
        &listener_not_listening::CHECK,
        &non_default_port::CHECK,
        &port_not_listening::CHECK,
        &port_conflict::CHECK,
        &firewall_blocks_rdp::CHECK,
        &firewall_remote_scope::CHECK,
        &certificate_invalid::CHECK,
        &certificate_thumbprint_unknown::CHECK,
        &machinekeys_acl::CHECK,
        &failed_logons::CHECK,
        &security_negotiation::CHECK,
        &credssp_encryption_oracle::CHECK,
        &tls_protocols_disabled::CHECK,
        &fips_mode::CHECK,
        &tls_cipher_suites::CHECK,
        &schannel_errors::CHECK,
        &certificate_no_server_auth::CHECK,
        &rdp_key_file_acl::CHECK,
        &certificate_services_not_running::CHECK,
        &remote_logon_rights::CHECK,
        &remote_desktop_users::CHECK,
        &listener_permissions::CHECK,
        &listener_bound_to_adapter::CHECK,
        &session_limit::CHECK,
        &logons_disabled::CHECK,
        &rdp_stack_replaced::CHECK,
        &setup_in_progress::CHECK,
        &udp_transport::CHECK,
        &termservice_config::CHECK,
        &sessionenv_not_running::CHECK,
        &service_dependency_stopped::CHECK,
        &network_profile::CHECK,
        &third_party_firewall::CHECK,
        &secure_channel_broken::CHECK,
        &clock_skew::CHECK,
        &licensing::CHECK,
        &edition_cannot_host::CHECK,
        &listener_probe::CHECK,
        &served_certificate::CHECK,
        &account_locked_out::CHECK,
        &credential_failures::CHECK,
        &brute_force::CHECK,
        &logon_trail::CHECK,
        &rdp_certificate_events::CHECK,
        &incomplete_connections::CHECK,
        &event_log_damaged::CHECK,
        &artifact_unreadable::CHECK,
        &collection_step_failed::CHECK,
        &not_elevated::CHECK,
    ];
    ALL
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
            |c| match why_not_evaluated(ev, c).or_else(|| missing_evidence(ev, c.id)) {
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

/// Checks that need a particular registry key or command output, not just an artifact kind.
/// Without it they would pass silently on a bundle that merely lacks the data, so they are
/// listed as not evaluated, with the reason. Keyed by check ID so `Check` stays unchanged.
type Missing = fn(&Evidence) -> Option<String>;
static REQUIRES: &[(&str, Missing)] = &[
    ("RDP015", security_negotiation::missing),
    ("RDP016", credssp_encryption_oracle::missing),
    ("RDP017", tls_protocols_disabled::missing),
    ("RDP018", fips_mode::missing),
    ("RDP019", tls_cipher_suites::missing),
    ("RDP020", schannel_errors::missing),
    ("RDP022", rdp_key_file_acl::missing),
    ("RDP023", certificate_services_not_running::missing),
    ("RDP024", remote_logon_rights::missing),
    ("RDP026", listener_permissions::missing),
    ("RDP027", listener_bound_to_adapter::missing),
    ("RDP028", session_limit::missing),
    ("RDP029", logons_disabled::missing),
    ("RDP030", rdp_stack_replaced::missing),
    ("RDP031", setup_in_progress::missing),
    ("RDP033", termservice_config::missing),
    ("RDP034", sessionenv_not_running::missing),
    ("RDP036", network_profile::missing),
    ("RDP038", secure_channel_broken::missing),
    ("RDP041", edition_cannot_host::missing),
];

fn missing_evidence(ev: &Evidence, id: &str) -> Option<String> {
    REQUIRES
        .iter()
        .find(|(i, _)| *i == id)
        .and_then(|(_, f)| f(ev))
}

/// `None` when `check` has evidence to work from; otherwise the reason it has none, naming the
/// missing artifacts and, from the manifest, why they are missing.
fn why_not_evaluated(ev: &Evidence, check: &Check) -> Option<String> {
    if check.needs.is_empty() || check.needs.iter().any(|k| has_kind(ev, *k)) {
        return None;
    }
    let mut reasons = Vec::new();
    for kind in check.needs {
        let related: Vec<_> = ev
            .artifacts
            .iter()
            .filter(|a| a.kind == *kind || (a.kind == Kind::EventXml && *kind == Kind::Evtx))
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
    ev.has(kind) || (kind == Kind::Evtx && ev.has(Kind::EventXml))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

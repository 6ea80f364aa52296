//! RDP040: Remote Desktop Session Host licensing is not configured, or its grace period ended.
//!
//! A server with the RD Session Host role (more than two administrative sessions) needs RDS
//! client access licenses from a license server. It runs 120 days without one (the grace
//! period); after that, without a licensing mode (`LicensingMode` 2 per device, 4 per user; from
//! policy or `RCM\Licensing Core`) and a reachable license server (policy `LicenseServers`, or
//! `SpecifiedLicenseServers` under TermService\Parameters\LicenseServers), logons are refused
//! with "no Remote Desktop license servers available". RemoteConnectionManager logs 1128 (grace
//! period expired, no license server with licenses), 1130 (no license server specified) and 1131
//! (licensing errors while contacting a license server; exact wording not verified). Client
//! editions and servers without the role have no such licensing and are not judged.

use super::support;
use super::{Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, TERMINAL_SERVER_KEY, TS_POLICY_KEY};
use crate::parse::identify::Kind;
use crate::parse::reg::RegData;

pub static CHECK: Check = Check {
    id: "RDP040",
    name: "rds-licensing",
    severity: Severity::Error,
    title: "RD Session Host licensing is not configured or has expired",
    explanation: "This RD Session Host has no licensing mode or license server configured, or \
                  RemoteConnectionManager reports the grace period expired / no license server. \
                  After the 120-day grace period new logons are refused.",
    remediation: "Configure licensing: Server Manager > Remote Desktop Services > Deployment \
                  Overview > Tasks > Edit Deployment Properties > RD Licensing, or the policies \
                  'Use the specified Remote Desktop license servers' and 'Set the Remote Desktop \
                  licensing mode' (Computer Configuration > Administrative Templates > Windows \
                  Components > Remote Desktop Services > Remote Desktop Session Host > \
                  Licensing). The license server must be activated, hold CALs of the configured \
                  type, and be reachable (TCP 135 and RPC). Check with the RD Licensing Diagnoser \
                  (lsdiag.msc).",
    needs: &[Kind::Registry, Kind::Evtx],
    fixture: "fixtures/rds-licensing",
    requires: None,
    run,
};

const LICENSING_CORE: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\RCM\Licensing Core";
const SPECIFIED: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TermService\Parameters\LicenseServers";
const MODE_POLICY: &[&str] = &["Set the Remote Desktop licensing mode"];

fn run(ev: &Evidence) -> Vec<Finding> {
    let events = support::provider_events(ev, &[1128, 1130, 1131], "RemoteConnectionManager");
    let mode = support::ts_setting(ev, "LicensingMode", LICENSING_CORE, MODE_POLICY);
    let mode_set = mode.as_ref().is_some_and(|m| matches!(m.value, 2 | 4));
    let servers_policy = ev
        .reg_value(TS_POLICY_KEY, "LicenseServers")
        .filter(|h| h.value.data.as_str().is_some_and(|s| !s.trim().is_empty()));
    let servers_local = ev
        .reg_value(SPECIFIED, "SpecifiedLicenseServers")
        .filter(|h| match &h.value.data {
            RegData::MultiSz(v) => v.iter().any(|s| !s.trim().is_empty()),
            d => d.as_str().is_some_and(|s| !s.trim().is_empty()),
        });
    let server_os = ev
        .manifest
        .as_ref()
        .and_then(|m| m.os.installation_type.as_deref())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("server"));
    let app_compat = ev
        .reg_value(TERMINAL_SERVER_KEY, "TSAppCompat")
        .is_some_and(|h| h.value.data.as_u32() == Some(1));
    let rdsh = !events.is_empty() || (server_os && (app_compat || mode_set));
    if !rdsh {
        return Vec::new();
    }
    let mut problems = Vec::new();
    let mut refs = Vec::new();
    let mut severity = Severity::Warning;
    for (id, what) in [
        (
            1128u32,
            "the licensing grace period has expired and no license server with licenses was found",
        ),
        (1130, "no Remote Desktop license server is specified"),
        (
            1131,
            "licensing errors were reported while contacting a license server",
        ),
    ] {
        let of_id: Vec<_> = events.iter().filter(|(_, e)| e.event_id == id).collect();
        if let (Some((_, first)), Some((_, last))) = (of_id.first(), of_id.last()) {
            problems.push(format!(
                "RemoteConnectionManager {id}: {what} ({} time(s), {} .. {})",
                of_id.len(),
                first.time,
                last.time
            ));
            for (a, e) in of_id.iter().take(2) {
                refs.push(support::event_ref(a, e, what));
            }
            severity = Severity::Error;
        }
    }
    if !mode_set {
        problems.push(match &mode {
            Some(m) => format!(
                "the licensing mode is not per device or per user ({})",
                m.describe()
            ),
            None => "no licensing mode is configured".to_string(),
        });
        if let Some(m) = &mode {
            refs.extend(m.refs());
        }
    }
    if servers_policy.is_none() && servers_local.is_none() {
        problems.push(
            "no license server is specified (policy LicenseServers or SpecifiedLicenseServers)"
                .into(),
        );
        if ev.reg_covers(SPECIFIED) || ev.reg_covers(TS_POLICY_KEY) {
            refs.push(EvidenceRef::file(
                ev.reg_key(TS_POLICY_KEY)
                    .map(|(a, _)| a)
                    .unwrap_or("registry"),
                "no LicenseServers / SpecifiedLicenseServers value",
            ));
        }
    }
    if problems.is_empty() {
        return Vec::new();
    }
    let mut f = Finding::new(
        &CHECK,
        format!(
            "This RD Session Host: {}. Without a licensing mode and a reachable license server \
             with CALs, logons are refused once the 120-day grace period ends.",
            problems.join("; ")
        ),
    )
    .severity(severity)
    .fact(
        "licensing_mode",
        mode.as_ref()
            .map(|m| m.value.to_string())
            .unwrap_or_else(|| "unset".into()),
    )
    .fact("events", events.len());
    if severity == Severity::Warning {
        f = f.title("RD Session Host licensing is not configured");
    }
    f.evidence = refs;
    vec![f]
}

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
//!
//! Deeper evidence, as Microsoft's RDS troubleshooting and the MSRD-Diag anchor read it:
//! - the days left in the grace period, from `Win32_TerminalServiceSetting.GetGracePeriodDays`
//!   (`commands/wmic-grace-period.txt`): a warning at 14 days or fewer without a license server,
//!   an error at 0; a failed call (no role, Wine) is "cannot tell", never "fine";
//! - a configured license server that a licensing event names (RCM 1128-1131 carry the server
//!   they failed to reach in their data): that server is named as unreachable;
//! - the licensing certificate values RCM keeps under `Terminal Server\RCM` (`Certificate`,
//!   `X509 Certificate`, `X509 Certificate ID`, `X509 Certificate2`): when licensing errors
//!   persist, Microsoft's documented remedy is to back up that key, delete those values and
//!   restart the server (TermService recreates them). Remedy as given in Microsoft's "Troubleshoot
//!   RD Licensing" guidance (learn.microsoft.com, troubleshoot/windows-server/remote); the page
//!   itself was not retrievable through the search corpora, so the wording here is ours.

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
                  (lsdiag.msc). If licensing errors continue with a reachable, activated license \
                  server: export HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM, delete \
                  its values Certificate, X509 Certificate, X509 Certificate ID and X509 \
                  Certificate2, and restart the server (they are recreated).",
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
const RCM: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\RCM";
/// The licensing certificate values RCM keeps (deleted and recreated to clear licensing errors).
const RCM_CERT_VALUES: &[&str] = &[
    "Certificate",
    "X509 Certificate",
    "X509 Certificate ID",
    "X509 Certificate2",
];
/// Grace period days left at or under which a host without a license server is warned about.
const GRACE_WARN_DAYS: u32 = 14;

/// The license servers configured, from policy (`LicenseServers`, comma separated) and the
/// local setting (`SpecifiedLicenseServers`).
fn configured_servers(ev: &Evidence) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        for name in s.split([',', ';']).map(str::trim).filter(|n| !n.is_empty()) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                out.push(name.to_string());
            }
        }
    };
    if let Some(h) = ev.reg_value(TS_POLICY_KEY, "LicenseServers") {
        if let Some(s) = h.value.data.as_str() {
            add(s);
        }
    }
    if let Some(h) = ev.reg_value(SPECIFIED, "SpecifiedLicenseServers") {
        match &h.value.data {
            RegData::MultiSz(v) => v.iter().for_each(|s| add(s)),
            d => {
                if let Some(s) = d.as_str() {
                    add(s)
                }
            }
        }
    }
    out
}

/// Whether an event value names `server` (its full name, or its host part).
fn names_server(value: &str, server: &str) -> bool {
    let v = value.to_ascii_lowercase();
    let s = server.to_ascii_lowercase();
    let host = s.split('.').next().unwrap_or(&s);
    v.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .any(|w| w == s || (!host.is_empty() && w.split('.').next() == Some(host)))
}

/// The days left in the grace period, or why that cannot be told.
fn grace_days(ev: &Evidence) -> Result<(u32, EvidenceRef), String> {
    let Some(g) = ev.grace_period.first() else {
        return Err(support::missing_because(
            ev,
            rdp_bundle::paths::WMIC_GRACE_PERIOD,
            "GetGracePeriodDays output",
        ));
    };
    match (g.value.days(), g.value.days_left) {
        (Some(d), Some((_, line))) => Ok((
            d,
            EvidenceRef::line(&g.artifact, line, format!("DaysLeft = {d}")),
        )),
        _ => Err(format!("{}: {}", g.artifact, g.value.why_not())),
    }
}

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
    let servers = configured_servers(ev);
    let grace = grace_days(ev);
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
    let no_server = servers_policy.is_none() && servers_local.is_none();
    if let (Ok((days, r)), true) = (&grace, no_server) {
        if *days == 0 {
            problems.push("the licensing grace period is over (0 days left)".to_string());
            refs.push(r.clone());
            severity = Severity::Error;
        } else if *days <= GRACE_WARN_DAYS {
            problems.push(format!(
                "the licensing grace period ends in {days} day(s)"
            ));
            refs.push(r.clone());
        }
    }
    let mut unreachable = Vec::new();
    for server in &servers {
        let named: Vec<_> = events
            .iter()
            .filter(|(_, e)| e.data.iter().any(|(_, v)| names_server(v, server)))
            .collect();
        if let Some((a, e)) = named.last() {
            problems.push(format!(
                "license server {server} could not be used: RemoteConnectionManager {} names it \
                 ({} time(s), last at {})",
                e.event_id,
                named.len(),
                e.time
            ));
            let cited = refs
                .iter()
                .any(|r| r.artifact == *a && r.record_id == Some(e.record_id));
            if !cited {
                refs.push(support::event_ref(
                    a,
                    e,
                    "licensing error naming the license server",
                ));
            }
            unreachable.push(server.clone());
            severity = Severity::Error;
        }
    }
    let cert_values: Vec<_> = if events.is_empty() {
        Vec::new()
    } else {
        RCM_CERT_VALUES
            .iter()
            .filter_map(|n| ev.reg_value(RCM, n))
            .collect()
    };
    if no_server {
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
    let mut message = format!(
        "This RD Session Host: {}. Without a licensing mode and a reachable license server \
         with CALs, logons are refused once the 120-day grace period ends.",
        problems.join("; ")
    );
    if !cert_values.is_empty() {
        let names: Vec<&str> = cert_values.iter().map(|h| h.value.name.as_str()).collect();
        message.push_str(&format!(
            " RCM holds the licensing certificate values {}: if the errors continue once a \
             license server is reachable, back up the RCM key, delete these values and restart \
             the server so that they are recreated.",
            names.join(", ")
        ));
        refs.extend(cert_values.iter().map(support::reg_ref));
    }
    let mut f = Finding::new(&CHECK, message)
    .severity(severity)
    .fact(
        "licensing_mode",
        mode.as_ref()
            .map(|m| m.value.to_string())
            .unwrap_or_else(|| "unset".into()),
    )
    .fact("events", events.len())
    .fact(
        "grace_days_left",
        match &grace {
            Ok((d, _)) => d.to_string(),
            Err(why) => format!("cannot tell ({why})"),
        },
    );
    if !servers.is_empty() {
        f = f.fact("license_servers", servers.join(", "));
    }
    if !unreachable.is_empty() {
        f = f.fact("unreachable_license_servers", unreachable.join(", "));
    }
    if !cert_values.is_empty() {
        f = f.fact(
            "rcm_certificate_values",
            cert_values
                .iter()
                .map(|h| h.value.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if severity == Severity::Warning {
        f = f.title("RD Session Host licensing is not configured");
    }
    f.evidence = refs;
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{event, evidence_with_manifest};
    use crate::parse::grace_period::tests::english;

    const RCM_ADMIN: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager";

    fn reg(server: Option<&str>, cert_values: bool) -> String {
        let mut s = String::from(
            "Windows Registry Editor Version 5.00\r\n\r\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server]\r\n\
             \"TSAppCompat\"=dword:00000001\r\n\r\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM]\r\n",
        );
        if cert_values {
            s.push_str(
                "\"Certificate\"=hex:01,00,00,00\r\n\"X509 Certificate\"=hex:02,00,00,00\r\n\
                 \"X509 Certificate ID\"=hex:03,00,00,00\r\n\"X509 Certificate2\"=hex:04,00\r\n",
            );
        }
        s.push_str(
            "\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\RCM\\\
             Licensing Core]\r\n\"LicensingMode\"=dword:00000004\r\n\r\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\TermService\\Parameters\\\
             LicenseServers]\r\n",
        );
        if let Some(name) = server {
            // REG_MULTI_SZ "name" as reg export writes it (hex(7), UTF-16LE, double NUL).
            let hex: Vec<String> = name
                .encode_utf16()
                .chain([0, 0])
                .flat_map(|u| u.to_le_bytes())
                .map(|b| format!("{b:02x}"))
                .collect();
            s.push_str(&format!(
                "\"SpecifiedLicenseServers\"=hex(7):{}\r\n",
                hex.join(",")
            ));
        }
        s.push_str("\r\n");
        s
    }

    fn server_evidence(files: Vec<(&str, String)>) -> Evidence {
        server_evidence_with(files, vec![])
    }

    fn server_evidence_with(
        files: Vec<(&str, String)>,
        artifacts: Vec<rdp_bundle::ArtifactRecord>,
    ) -> Evidence {
        let manifest = Some(rdp_bundle::Manifest {
            format_version: 1,
            collector: "rdp-collect".into(),
            collector_version: "0".into(),
            host_name: "RDSH01".into(),
            os: rdp_bundle::OsInfo {
                product_name: Some("Windows Server 2022 Standard".into()),
                installation_type: Some("Server".into()),
                ..Default::default()
            },
            started_utc: "2026-11-21T09:00:00Z".into(),
            finished_utc: "2026-11-21T09:01:00Z".into(),
            elevated: Some(true),
            options: vec![],
            artifacts,
            offline: None,
        });
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        evidence_with_manifest(manifest, &files)
    }

    #[test]
    fn grace_days_drive_severity_without_a_license_server() {
        let run_days = |days: u32| {
            run(&server_evidence(vec![
                ("registry/terminal-server.reg", reg(None, false)),
                ("commands/wmic-grace-period.txt", english("RDSH01", days)),
            ]))
        };
        let out = run_days(9);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].facts["grace_days_left"], "9");
        assert!(out[0].message.contains("ends in 9 day(s)"), "{}", out[0].message);
        let out = run_days(0);
        assert_eq!(out[0].severity, Severity::Error);
        assert!(out[0].message.contains("grace period is over"));
        // Plenty of days: still the missing server, but no grace-period problem.
        let out = run_days(60);
        assert_eq!(out[0].severity, Severity::Warning);
        assert!(!out[0].message.contains("grace period is over"));
        assert!(!out[0].message.contains("ends in"));
        assert_eq!(out[0].facts["grace_days_left"], "60");
    }

    #[test]
    fn a_failed_call_cannot_tell() {
        let out = run(&server_evidence(vec![
            ("registry/terminal-server.reg", reg(None, false)),
            (
                "commands/wmic-grace-period.txt",
                "ERROR:\r\nDescription = Not supported\r\n".into(),
            ),
        ]));
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(
            out[0].facts["grace_days_left"],
            "cannot tell (commands/wmic-grace-period.txt: the method failed: Not supported)"
        );
        let none = run(&server_evidence(vec![(
            "registry/terminal-server.reg",
            reg(None, false),
        )]));
        assert!(none[0].facts["grace_days_left"].starts_with("cannot tell (no GetGracePeriodDays"));
        // The step failed (Wine's wmic has no CALL): its status and reason, not a guess.
        let mut rec = rdp_bundle::ArtifactRecord::new(
            rdp_bundle::paths::WMIC_GRACE_PERIOD,
            "wmic.exe ... CALL GetGracePeriodDays",
        );
        rec.status = rdp_bundle::Status::Failed;
        rec.message = Some("exit code 1: Error: Command line not supported".into());
        let failed = run(&server_evidence_with(
            vec![("registry/terminal-server.reg", reg(None, false))],
            vec![rec],
        ));
        assert_eq!(
            failed[0].facts["grace_days_left"],
            "cannot tell (commands/wmic-grace-period.txt was not collected: failed (exit code 1: \
             Error: Command line not supported))"
        );
    }

    #[test]
    fn a_named_license_server_and_the_rcm_certificate_values() {
        let e1131 = event(
            RCM_ADMIN,
            "System",
            1131,
            7,
            "2026-11-20T07:00:41.0000000Z",
            &[("Data1", "LIC01.contoso.local")],
        );
        let out = run(&server_evidence(vec![
            (
                "registry/terminal-server.reg",
                reg(Some("LIC01.contoso.local"), true),
            ),
            ("events/System.xml", e1131.clone()),
            ("commands/wmic-grace-period.txt", english("RDSH01", 9)),
        ]));
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.facts["unreachable_license_servers"], "LIC01.contoso.local");
        assert_eq!(f.facts["license_servers"], "LIC01.contoso.local");
        assert_eq!(
            f.facts["rcm_certificate_values"],
            "Certificate, X509 Certificate, X509 Certificate ID, X509 Certificate2"
        );
        assert!(f.message.contains("license server LIC01.contoso.local could not be used"));
        // A server is configured: 9 days left is no grace-period problem of its own.
        assert!(!f.message.contains("ends in"), "{}", f.message);
        // Without licensing errors the certificate values are not named.
        let quiet = run(&server_evidence(vec![(
            "registry/terminal-server.reg",
            reg(Some("LIC01.contoso.local"), true),
        )]));
        assert!(quiet.is_empty(), "{quiet:?}");
        assert!(names_server("could not contact lic01 (rpc)", "LIC01.contoso.local"));
        assert!(!names_server("LIC010.contoso.local", "LIC01.contoso.local"));
    }
}

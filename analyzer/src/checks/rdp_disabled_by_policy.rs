//! RDP002: Group Policy turns Remote Desktop off.
//!
//! The administrative template "Allow users to connect remotely by using Remote Desktop
//! Services" writes `fDenyTSConnections` under `SOFTWARE\Policies\Microsoft\Windows NT\Terminal
//! Services`; Disabled there means RDP is off whatever the local setting. gpresult names the
//! winning GPO, which is what the customer's domain admin needs to hear. A Group Policy
//! *Preferences* registry item can also write `fDenyTSConnections` = 1 directly into the
//! Terminal Server key; that is reported here too because the fix is again in a GPO.

use super::{support, Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, TERMINAL_SERVER_KEY, TS_POLICY_KEY};
use crate::parse::gpresult::{self, PolicyState};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP002",
    name: "rdp-disabled-by-policy",
    severity: Severity::Error,
    title: "Group Policy blocks Remote Desktop connections",
    explanation: "The policy 'Allow users to connect remotely by using Remote Desktop Services' is \
                  Disabled (or a policy writes fDenyTSConnections = 1). Policy wins over the local \
                  setting, and the next policy refresh undoes any local change.",
    remediation: "Change the winning GPO named below (Computer Configuration > Administrative \
                  Templates > Windows Components > Remote Desktop Services > Remote Desktop Session \
                  Host > Connections > 'Allow users to connect remotely by using Remote Desktop \
                  Services': Enabled or Not configured), or move the computer out of its scope; then \
                  run gpupdate /force. If it is 'Local Group Policy', change it with gpedit.msc.",
    needs: &[Kind::Registry, Kind::Gpresult, Kind::GpresultXml],
    fixture: "fixtures/rdp-blocked-by-gpo",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut refs = Vec::new();
    let mut gpo: Option<String> = None;
    for report in &ev.gpresult {
        if let Some(p) = report.value.find_policy(gpresult::ALLOW_RDP_POLICY_NAMES) {
            if p.state == PolicyState::Disabled {
                gpo = Some(p.winning_gpo.clone());
                refs.push(EvidenceRef::line(
                    &report.artifact,
                    p.line,
                    format!(
                        "{} | {} | Winning GPO: {}",
                        p.name, p.setting, p.winning_gpo
                    ),
                ));
            }
        }
    }
    // Group Policy Preferences registry items writing fDenyTSConnections = 1 into the policy key
    // or the Terminal Server key (a Delete item writes nothing).
    let mut preference_gpo = None;
    for key in [TS_POLICY_KEY, TERMINAL_SERVER_KEY] {
        if let Some((pref, r)) = support::preference_item(ev, key, "fDenyTSConnections") {
            if pref.value_u32 == Some(1) {
                gpo.get_or_insert_with(|| pref.winning_gpo.clone());
                preference_gpo.get_or_insert_with(|| pref.winning_gpo.clone());
                refs.push(r);
            }
        }
    }
    if let Some(hit) = ev.reg_value(TS_POLICY_KEY, "fDenyTSConnections") {
        if hit.value.data.as_u32() == Some(1) {
            refs.push(support::reg_ref(&hit));
        }
    }
    if refs.is_empty() {
        return Vec::new();
    }
    let mut finding = match gpo {
        Some(name) => Finding::new(
            &CHECK,
            format!(
                "Group Policy disables Remote Desktop; the winning GPO is '{name}'. Local changes \
                 are overwritten at the next policy refresh."
            ),
        )
        .title(format!("Group Policy '{name}' blocks Remote Desktop connections"))
        .fact("winning_gpo", name),
        None => Finding::new(
            &CHECK,
            "The Terminal Services policy key sets fDenyTSConnections = 1: a Group Policy disables \
             Remote Desktop. No gpresult report was available to name the GPO (collect \
             `gpresult /H` as administrator).",
        ),
    };
    finding.evidence = refs;
    if let Some(g) = preference_gpo {
        finding = finding.remediation(format!(
            "In the GPO '{g}', open Computer Configuration > Preferences > Windows Settings > \
             Registry and delete the item that writes fDenyTSConnections = 1 (or change its data \
             to 0, or its targeting); then run gpupdate /force. A Replace or Update item rewrites \
             the value at every refresh, so changing it locally does not last. Also check \
             'Allow users to connect remotely by using Remote Desktop Services' under \
             Administrative Templates > Windows Components > Remote Desktop Services > Remote \
             Desktop Session Host > Connections."
        ));
    }
    vec![finding]
}

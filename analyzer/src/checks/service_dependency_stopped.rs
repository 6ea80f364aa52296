//! RDP035: a service Remote Desktop depends on is stopped or disabled.
//!
//! The Service Control Manager starts a service only after everything in its `DependOnService`
//! list is running: TermService needs RPCSS, SessionEnv needs RPCSS and LanmanWorkstation,
//! UmRdpService needs TermService and the RDPDR driver. A dependency that is disabled makes the
//! start fail with error 1068 ("The dependency service or group failed to start") and System
//! log event 7001, while the RDP service's own configuration looks correct. Only dependencies
//! whose state was collected (`sc queryex`, or their registry key) are judged; TermService as a
//! dependency is left to RDP003.

use super::support;
use super::{Check, Finding, Severity};
use crate::evidence::{Evidence, ServiceState};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP035",
    name: "service-dependency-stopped",
    severity: Severity::Error,
    title: "A service Remote Desktop depends on is stopped or disabled",
    explanation: "An RDP service lists a dependency (DependOnService) that is not running or is \
                  disabled, so the Service Control Manager cannot start the RDP service (error \
                  1068).",
    remediation: "Set the dependency back to its default start type and start it (e.g. `sc config \
                  LanmanWorkstation start= auto` then `net start LanmanWorkstation`), then start \
                  the RDP service. Read System log events 7001/7003 for the chain.",
    needs: &[Kind::Registry, Kind::ScQuery],
    fixture: "fixtures/service-dependency-stopped",
    requires: None,
    run,
};

const RDP_SERVICES: &[(&str, Severity)] = &[
    ("TermService", Severity::Error),
    ("SessionEnv", Severity::Warning),
    ("UmRdpService", Severity::Warning),
];

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for (svc, severity) in RDP_SERVICES {
        let key = format!(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\{svc}");
        let Some(deps_hit) = ev.reg_value(&key, "DependOnService") else {
            continue;
        };
        let Some(deps) = deps_hit.value.data.as_multi() else {
            continue;
        };
        for dep in deps
            .iter()
            .filter(|d| !d.eq_ignore_ascii_case("TermService"))
        {
            let status = ev.service(dep);
            let start = support::service_start(ev, dep);
            let disabled = start.as_ref().is_some_and(|(v, _)| *v == 4)
                || ev.service_start_type(dep).is_some_and(|(t, _, _)| t == 4);
            let stopped = status.is_some_and(|(_, s)| {
                !matches!(s.state, ServiceState::Running | ServiceState::Unknown(_))
            });
            if !disabled && !stopped {
                continue;
            }
            let state = match (disabled, status) {
                (true, _) => "disabled".to_string(),
                (false, Some((_, s))) => format!("{:?}", s.state).to_lowercase(),
                _ => "not running".to_string(),
            };
            let mut f = Finding::new(
                &CHECK,
                format!(
                    "{svc} depends on {dep} (DependOnService), which is {state}. The Service \
                     Control Manager will not start {svc} until {dep} runs."
                ),
            )
            .title(format!("{svc} depends on {dep}, which is {state}"))
            .severity(*severity)
            .fact("service", svc)
            .fact("dependency", dep)
            .fact("state", &state)
            .evidence(support::reg_ref(&deps_hit));
            if let Some((a, s)) = status {
                f = f.evidence(support::service_state_ref(a, s));
            }
            if let Some((_, h)) = &start {
                f = f.evidence(support::reg_ref(h));
            }
            out.push(f);
        }
    }
    out
}

//! Small helpers shared by several checks (evidence excerpts, service evaluation).

use super::{EvidenceRef, Finding};
use crate::evidence::{Evidence, RegHit, ServiceState};

/// `[key] "name" = data`, the excerpt for a registry value.
pub fn reg_excerpt(hit: &RegHit<'_>) -> String {
    let name = if hit.value.name.is_empty() {
        "@".to_string()
    } else {
        format!("\"{}\"", hit.value.name)
    };
    format!("[{}] {} = {}", hit.key.path, name, hit.value.data.display())
}

/// Evidence pointer for a registry value.
pub fn reg_ref(hit: &RegHit<'_>) -> EvidenceRef {
    EvidenceRef::line(hit.artifact, hit.value.line, reg_excerpt(hit))
}

/// `Start` value meanings (`HKLM\SYSTEM\CurrentControlSet\Services\<name>\Start`).
pub fn start_type_name(start: u32) -> &'static str {
    match start {
        0 => "boot",
        1 => "system",
        2 => "automatic",
        3 => "manual",
        4 => "disabled",
        _ => "unknown",
    }
}

/// Evaluates one service from `sc queryex` and its registry `Start` value. Returns a finding
/// (built on `base`) when the service is disabled or not running.
pub fn service_finding(ev: &Evidence, service: &str, base: Finding) -> Option<Finding> {
    let key = format!(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\{service}");
    let start = ev.reg_value(&key, "Start");
    let disabled = start
        .as_ref()
        .is_some_and(|h| h.value.data.as_u32() == Some(4));
    let status = ev.service(service);
    let not_running = status.is_some_and(|(_, s)| s.state != ServiceState::Running);
    if !disabled && !not_running {
        return None;
    }
    let mut f = base;
    let mut parts = Vec::new();
    if let Some((artifact, s)) = status {
        let state = format!("{:?}", s.state).to_uppercase();
        f = f.fact("state", &state).evidence(EvidenceRef::line(
            artifact,
            s.state_line,
            format!("SERVICE_NAME: {}  STATE: {}", s.name, state),
        ));
        if not_running {
            parts.push(format!(
                "{service} is {} (sc queryex)",
                state.to_lowercase()
            ));
        }
    }
    if let Some(h) = start.as_ref() {
        let st = h.value.data.as_u32().unwrap_or(u32::MAX);
        f = f
            .fact("start_type", start_type_name(st))
            .evidence(reg_ref(h));
        if disabled {
            parts.push(format!("its start type is disabled (Start = {st})"));
        }
    }
    f.title = format!(
        "{service} is {}",
        if disabled { "disabled" } else { "not running" }
    );
    f.message = format!("{}.", parts.join(" and "));
    Some(f)
}

/// A more basic fault that explains a missing listener or an unbound port, so those findings
/// can say so and drop to info instead of sending support after a consequence.
pub fn explained_by(ev: &Evidence) -> Option<&'static str> {
    let deny = |k: &str| {
        ev.reg_value(k, "fDenyTSConnections")
            .and_then(|h| h.value.data.as_u32())
    };
    let policy = deny(crate::evidence::TS_POLICY_KEY);
    if policy == Some(1)
        || (policy.is_none() && deny(crate::evidence::TERMINAL_SERVER_KEY) == Some(1))
    {
        return Some("Remote Desktop is disabled (RDP001/RDP002)");
    }
    let gpo_disables = ev.gpresult.iter().any(|g| {
        g.value
            .find_policy(crate::parse::gpresult::ALLOW_RDP_POLICY_NAMES)
            .is_some_and(|p| p.state == crate::parse::gpresult::PolicyState::Disabled)
    });
    if gpo_disables {
        return Some("Group Policy disables Remote Desktop (RDP002)");
    }
    if ev
        .service("TermService")
        .is_some_and(|(_, s)| s.state != crate::evidence::ServiceState::Running)
    {
        return Some("TermService is not running (RDP003)");
    }
    None
}

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

/// A Remote Desktop setting as the listener applies it: Windows reads the Group Policy value
/// under `Policies\Microsoft\Windows NT\Terminal Services` first and the local value (RDP-Tcp
/// or the Terminal Server key) only when policy does not set it.
pub struct Setting<'a> {
    pub name: &'static str,
    /// The value in force.
    pub value: u32,
    /// Where it comes from.
    pub hit: RegHit<'a>,
    pub from_policy: bool,
    /// The local value policy overrides, when both exist.
    pub local: Option<(u32, RegHit<'a>)>,
    /// The GPO gpresult names for the policy, with its line: the Administrative Template policy,
    /// or else a Group Policy Preferences registry item that writes this value.
    pub gpo: Option<(String, EvidenceRef)>,
    /// The local value is written by a Group Policy Preferences registry item of this GPO (so a
    /// local change is overwritten at the next refresh).
    pub preference: Option<(String, EvidenceRef)>,
}

impl Setting<'_> {
    /// `SecurityLayer = 0 (Group Policy 'X', overriding the local 2)`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} = {}", self.name, self.value);
        if self.from_policy {
            match &self.gpo {
                Some((gpo, _)) => s.push_str(&format!(" (Group Policy '{gpo}'")),
                None => s.push_str(" (Group Policy"),
            }
            match &self.local {
                Some((v, _)) if *v != self.value => {
                    s.push_str(&format!(", overriding the local value {v})"))
                }
                _ => s.push(')'),
            }
        } else if let Some((gpo, _)) = &self.preference {
            s.push_str(&format!(
                " (written by a Group Policy Preferences registry item of '{gpo}')"
            ));
        } else {
            s.push_str(" (local setting)");
        }
        s
    }

    /// Policy and local values both exist and differ.
    pub fn disagrees(&self) -> bool {
        self.from_policy && self.local.as_ref().is_some_and(|(v, _)| *v != self.value)
    }

    /// Evidence: the value in force, the overridden local value, the gpresult row.
    pub fn refs(&self) -> Vec<EvidenceRef> {
        let mut v = vec![reg_ref(&self.hit)];
        if let Some((_, h)) = &self.local {
            v.push(reg_ref(h));
        }
        for (_, r) in self.gpo.iter().chain(&self.preference) {
            v.push(r.clone());
        }
        v
    }
}

/// The Group Policy Preferences registry item that writes `name` under `key` (as
/// `HKEY_LOCAL_MACHINE\…`), with its GPO and a pointer to it. A Delete item writes nothing and
/// is not returned; gpresult lists only items that applied (a disabled item, or one whose
/// targeting excluded this machine, is absent), the prevailing GPO's first.
pub fn preference_item<'a>(
    ev: &'a Evidence,
    key: &str,
    name: &str,
) -> Option<(&'a crate::parse::gpresult::RegistryPreference, EvidenceRef)> {
    let norm = |k: &str| {
        let k = k.trim().trim_end_matches('\\').to_ascii_lowercase();
        match k.strip_prefix("hklm\\") {
            Some(rest) => format!("hkey_local_machine\\{rest}"),
            None => k,
        }
    };
    let want = norm(key);
    ev.gpresult.iter().find_map(|g| {
        let p = g.value.registry_preferences.iter().find(|p| {
            norm(&p.key_path) == want
                && p.value_name.eq_ignore_ascii_case(name)
                && p.value_data.is_some()
                && !p
                    .action
                    .as_deref()
                    .is_some_and(|a| a.trim().eq_ignore_ascii_case("delete"))
        })?;
        Some((
            p,
            EvidenceRef::line(
                &g.artifact,
                p.line,
                format!(
                    "Registry preference {}\\{} = {}{} | Winning GPO: {}",
                    p.key_path,
                    p.value_name,
                    p.value_data.as_deref().unwrap_or(""),
                    p.action
                        .as_deref()
                        .map(|a| format!(" ({a})"))
                        .unwrap_or_default(),
                    p.winning_gpo
                ),
            ),
        ))
    })
}

/// The setting `name` in force: the policy value, else the value under `local_key`.
/// `policy_names` are the gpresult names of the policy that writes it, to name the GPO.
pub fn ts_setting<'a>(
    ev: &'a Evidence,
    name: &'static str,
    local_key: &str,
    policy_names: &[&str],
) -> Option<Setting<'a>> {
    let policy = ev
        .reg_value(crate::evidence::TS_POLICY_KEY, name)
        .and_then(|h| h.value.data.as_u32().map(|v| (v, h)));
    let local = ev
        .reg_value(local_key, name)
        .and_then(|h| h.value.data.as_u32().map(|v| (v, h)));
    let preference =
        |key: &str| preference_item(ev, key, name).map(|(p, r)| (p.winning_gpo.clone(), r));
    let gpo = if policy.is_some() {
        policy_gpo(ev, policy_names).or_else(|| preference(crate::evidence::TS_POLICY_KEY))
    } else {
        None
    };
    match (policy, local) {
        (Some((value, hit)), local) => Some(Setting {
            name,
            value,
            hit,
            from_policy: true,
            local,
            gpo,
            preference: None,
        }),
        (None, Some((value, hit))) => Some(Setting {
            name,
            value,
            hit,
            from_policy: false,
            local: None,
            gpo: None,
            preference: preference(local_key),
        }),
        (None, None) => None,
    }
}

/// The winning GPO of the Administrative Template policy named any of `names`, with a pointer
/// to its gpresult row.
pub fn policy_gpo(ev: &Evidence, names: &[&str]) -> Option<(String, EvidenceRef)> {
    if names.is_empty() {
        return None;
    }
    ev.gpresult.iter().find_map(|g| {
        let p = g.value.find_policy(names)?;
        let options: Vec<String> = p
            .options
            .iter()
            .map(|(k, v)| format!("{k} {v}").trim().to_string())
            .collect();
        Some((
            p.winning_gpo.clone(),
            EvidenceRef::line(
                &g.artifact,
                p.line,
                format!(
                    "{} | {}{} | Winning GPO: {}",
                    p.name,
                    p.setting,
                    if options.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", options.join("; "))
                    },
                    p.winning_gpo
                ),
            ),
        ))
    })
}

/// The winning GPO of a Security Settings row (user right, security option) named any of
/// `names`, with its setting and a pointer to the row.
pub fn security_setting_gpo(
    ev: &Evidence,
    names: &[&str],
) -> Option<(String, String, EvidenceRef)> {
    ev.gpresult.iter().find_map(|g| {
        let s = g.value.find_security_setting(names)?;
        Some((
            s.winning_gpo.clone(),
            s.setting.clone(),
            EvidenceRef::line(
                &g.artifact,
                s.line,
                format!(
                    "{} | {} | Winning GPO: {}",
                    s.name, s.setting, s.winning_gpo
                ),
            ),
        ))
    })
}

/// Evidence pointer for an event record.
pub fn event_ref(artifact: &str, e: &crate::parse::evtx::Event, what: &str) -> EvidenceRef {
    let data: Vec<String> = e
        .data
        .iter()
        .take(6)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    EvidenceRef::record(
        artifact,
        e.record_id,
        format!(
            "{} event {} {}: {what}{}",
            e.time,
            e.event_id,
            e.provider,
            if data.is_empty() {
                String::new()
            } else {
                format!(" [{}]", data.join(", "))
            }
        ),
    )
}

/// Events of `ids` whose provider name contains `provider` (case-insensitive), oldest first.
pub fn provider_events<'a>(
    ev: &'a Evidence,
    ids: &'a [u32],
    provider: &str,
) -> Vec<(&'a str, &'a crate::parse::evtx::Event)> {
    let p = provider.to_ascii_lowercase();
    ev.events_with_ids(ids)
        .into_iter()
        .filter(|(_, e)| e.provider.to_ascii_lowercase().contains(&p))
        .collect()
}

/// Whether the machine is a domain member, from gpresult (`DOMAIN\HOST` with a domain that is
/// not the host itself) or from an nltest secure-channel answer.
pub fn domain_joined(ev: &Evidence) -> Option<bool> {
    if !ev.secure_channel.is_empty() {
        return Some(true);
    }
    let host = ev
        .manifest
        .as_ref()
        .map(|m| m.host_name.to_ascii_lowercase());
    ev.gpresult.iter().find_map(|g| {
        let name = g.value.computer_name.as_deref()?;
        let (domain, _) = name.split_once('\\')?;
        let d = domain.to_ascii_lowercase();
        Some(!d.is_empty() && Some(&d) != host.as_ref() && d != "workgroup")
    })
}

/// The service's `Start` value from its registry key (`Services\<name>`).
pub fn service_start<'a>(ev: &'a Evidence, service: &str) -> Option<(u32, RegHit<'a>)> {
    let key = format!(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\{service}");
    ev.reg_value(&key, "Start")
        .and_then(|h| h.value.data.as_u32().map(|v| (v, h)))
}

/// Why a check lacks `what` (a registry key's export, a command's output): the manifest's
/// status for the collection step `artifact` when it failed, else that the input has none.
pub fn missing_because(ev: &Evidence, artifact: &str, what: &str) -> String {
    match ev.record(artifact) {
        Some(r) if r.status != rdp_bundle::Status::Ok => format!(
            "{artifact} was not collected: {}{}",
            r.status.as_str(),
            r.message
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        ),
        _ => format!("no {what} in the input (collection step {artifact})"),
    }
}

/// `None` when some registry export covers `key`; otherwise why not, for the not-evaluated list.
pub fn missing_key(ev: &Evidence, key: &str, artifact: &str) -> Option<String> {
    if ev.reg_covers(key) {
        return None;
    }
    if let Some(why) = ev.hive_cannot_tell(key) {
        return Some(why);
    }
    Some(missing_because(ev, artifact, &format!("export of {key}")))
}

/// The manifest says the key does not exist on the machine (`not_found`): the defaults apply,
/// which is evidence too.
pub fn key_absent_on_machine(ev: &Evidence, artifact: &str) -> bool {
    ev.record(artifact)
        .is_some_and(|r| r.status == rdp_bundle::Status::NotFound)
}

/// Whether the System event log was collected (by its bundle name, or events from that channel).
pub fn has_system_log(ev: &Evidence) -> bool {
    ev.events.iter().any(|l| {
        l.artifact
            .rsplit('/')
            .next()
            .is_some_and(|n| n.to_ascii_lowercase().starts_with("system."))
            || l.value.events.iter().any(|e| e.channel == "System")
    })
}

/// Evidence pointer for a service's state line in `sc` output (its block start for `sc qc`,
/// which has no state line).
pub fn service_state_ref(artifact: &str, s: &crate::parse::sc::ServiceStatus) -> EvidenceRef {
    let line = if s.state_line > 0 {
        s.state_line
    } else {
        s.line
    };
    EvidenceRef::line(
        artifact,
        line,
        format!("SERVICE_NAME: {}  STATE: {:?}", s.name, s.state),
    )
}

/// Evidence pointer for one icacls entry, rendered the way icacls prints it.
pub fn ace_ref(artifact: &str, a: &crate::parse::icacls::Ace) -> EvidenceRef {
    let rights: String = a.rights.iter().map(|r| format!("({r})")).collect();
    EvidenceRef::line(
        artifact,
        a.line,
        format!(
            "{}:{}{rights}",
            a.principal,
            if a.deny { "(DENY)" } else { "" }
        ),
    )
}

/// Each user's latest successful RDP logon (RFC 3339), by account key: Security 4624 (the RDP
/// logon types the event filter keeps), LocalSessionManager 21/25, RemoteConnectionManager 1149.
/// What happened after a failure tells whether its cause still stands.
pub fn last_logon_by_user(ev: &Evidence) -> std::collections::BTreeMap<String, &str> {
    let mut out: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for (_, e) in ev.events_with_ids(&[4624, 21, 25, 1149]) {
        let ok = match crate::evidence::event_source(e) {
            crate::evidence::EventSource::Security => e.event_id == 4624,
            crate::evidence::EventSource::LocalSessionManager => matches!(e.event_id, 21 | 25),
            crate::evidence::EventSource::RemoteConnectionManager => e.event_id == 1149,
            _ => false,
        };
        let Some(key) = ok
            .then(|| crate::evidence::event_account(e))
            .flatten()
            .map(|a| a.key())
        else {
            continue;
        };
        let t = out.entry(key).or_default();
        if e.time.as_str() > *t {
            *t = e.time.as_str();
        }
    }
    out
}

/// Whether the host runs a client (workstation) edition of Windows, with what says so: the
/// manifest's `InstallationType` (`Client`, `Server`, `Server Core`), else its EditionID or
/// ProductName (`Server…` editions), else the same values from an export of
/// `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`. `None` when nothing tells.
pub fn client_os(ev: &Evidence) -> Option<(bool, String, EvidenceRef)> {
    const CURRENT_VERSION: &str =
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    fn has(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    let judge = |installation: Option<&str>, edition: Option<&str>, product: Option<&str>| {
        if let Some(t) = has(installation) {
            return Some(!t.to_ascii_lowercase().starts_with("server"));
        }
        let server = has(edition).is_some_and(|e| e.to_ascii_lowercase().starts_with("server"))
            || has(product).is_some_and(|p| p.to_ascii_lowercase().contains("server"));
        (has(edition).is_some() || has(product).is_some()).then_some(!server)
    };
    if let Some(m) = &ev.manifest {
        let os = &m.os;
        if let Some(client) = judge(
            os.installation_type.as_deref(),
            os.edition_id.as_deref(),
            os.product_name.as_deref(),
        ) {
            let what = [&os.product_name, &os.installation_type, &os.edition_id]
                .iter()
                .filter_map(|v| v.as_deref())
                .collect::<Vec<_>>()
                .join(", ");
            let excerpt = format!(
                "\"product_name\": \"{}\", \"installation_type\": \"{}\", \"edition_id\": \"{}\"",
                os.product_name.as_deref().unwrap_or(""),
                os.installation_type.as_deref().unwrap_or(""),
                os.edition_id.as_deref().unwrap_or("")
            );
            return Some((client, what, EvidenceRef::file("manifest.json", excerpt)));
        }
    }
    let value = |name: &str| ev.reg_value(CURRENT_VERSION, name);
    let (inst, ed, prod) = (
        value("InstallationType"),
        value("EditionID"),
        value("ProductName"),
    );
    let text = |h: &Option<RegHit<'_>>| {
        h.as_ref()
            .and_then(|h| h.value.data.as_str().map(str::to_string))
    };
    let client = judge(
        text(&inst).as_deref(),
        text(&ed).as_deref(),
        text(&prod).as_deref(),
    )?;
    let hit = inst.or(ed).or(prod)?;
    let what = [
        text(&value("ProductName")),
        text(&value("InstallationType")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    Some((client, what, reg_ref(&hit)))
}

/// `s` with its first letter upper-cased, to start a sentence with a phrase built elsewhere.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

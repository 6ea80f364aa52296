//! RDP072: a Windows Filtering Platform filter blocks the RDP port below the firewall rules.
//!
//! Windows Firewall is one client of the Windows Filtering Platform (WFP); security software
//! (EDR network isolation, third-party firewalls), VPN clients and IPsec policy add their own
//! filters, in their own sublayers. WFP arbitration lets a Block in any sublayer win over the
//! Allow of Windows Firewall's sublayer, so a foreign block filter on TCP 3389 (or on every
//! port) refuses RDP while `netsh advfirewall` shows the Remote Desktop rules enabled and
//! correct, and no firewall check sees anything. Leftover filters of an uninstalled product are
//! persistent and survive reboots.
//!
//! Evidence:
//! - `netsh wfp show filters file=-` (see [`crate::parse::wfp`]): block filters in the inbound
//!   layers (ALE receive/accept, inbound transport, inbound IP packet) that are not disabled,
//!   whose provider is not Windows' own (`FWPM_PROVIDER_…`, the MPSSVC GUIDs), and whose
//!   conditions name the RDP port (equal or a range) or leave every port (conditions on
//!   addresses, interfaces and protocol TCP/UDP only). A filter without a provider counts only
//!   when it names the port: Windows' own unowned filters never do. Address conditions narrow
//!   it to some clients: a warning. A block is left out when a heavier permit of a foreign
//!   provider in the same layer and sublayer lets the port through for every address (within
//!   a sublayer the heaviest matching filter decides; `effectiveWeight` ranks them), as an
//!   isolation policy that keeps RDP open for its console does.
//! - Security 5157 (the WFP blocked a connection, ALE layer) and 5152 (a packet was dropped),
//!   inbound on the RDP port, kept by the event filter only for local port 3389 (see
//!   [`crate::parse::evtx::EventFilter::wfp_port`]). Counted per remote address; `FilterRTID`
//!   is the run-time `filterId` of the WFP output, which names the filter. A drop in the
//!   receive/accept layer (`LayerName` `%%14610`) is a filter refusing the connection; a 5152
//!   in the transport or IP packet layer (`%%14597`, `%%14596`) is what Windows logs when a SYN
//!   reaches a port nothing listens on (stealth mode, as in the real sample
//!   evtx-crate__Security_short_selected.evtx), so alone it is only a warning.
//!
//! Severity: error for a matching foreign filter, or for connection blocks on the RDP port
//! after the last successful RDP logon (or with none at all); warning when RDP logons
//! succeeded after the drops, or for address-scoped filters and transport-layer drops only.

use super::{support, Check, EvidenceRef, Finding, Severity};
use crate::evidence::{normalize_address, Evidence};
use crate::parse::evtx::{wfp_inbound_on_port, wfp_inbound_remote, Event};
use crate::parse::identify::Kind;
use crate::parse::wfp::{is_microsoft_provider, Filter, PortMatch};
use std::collections::{BTreeMap, HashMap};

pub static CHECK: Check = Check {
    id: "RDP072",
    name: "wfp-filter-blocks-rdp",
    severity: Severity::Error,
    title: "A Windows Filtering Platform filter outside Windows Firewall blocks the RDP port",
    explanation: "A block filter in the Windows Filtering Platform, added by security \
                  software, a VPN client or IPsec policy (not by Windows Firewall), covers the \
                  RDP port, or the Security log shows the platform dropping inbound RDP \
                  connections. Such filters win over the Windows Firewall Allow rules and are \
                  not shown by the firewall console, so RDP times out while the rules look \
                  right. Drops are read only on port 3389: the event logs are read before the \
                  configured port is known, so drops on a moved RDP port are not seen \
                  (the filters are matched against the configured port). Security 5152/5157 \
                  exist only where Filtering Platform failure auditing is on.",
    remediation: "Find the product that owns the filter (its name and provider below; `netsh \
                  wfp show state` lists providers with their service names) and allow RDP in \
                  it, or take the host out of network isolation. Leftover filters of an \
                  uninstalled product are removed with the vendor's cleanup tool. For drops \
                  (5152/5157), look up the FilterRTID in `netsh wfp show filters` (filterId) \
                  to name the filter.",
    needs: &[Kind::WfpFilters, Kind::Evtx],
    fixture: "fixtures/wfp-filter-blocks-rdp",
    requires: Some(missing),
    run,
};

const DROP_IDS: &[u32] = &[5152, 5157];
const SECURITY_PROVIDER: &str = "Microsoft-Windows-Security-Auditing";
/// `LayerName` of the ALE receive/accept layer (the real sample's inbound 5157 carries it,
/// with `LayerRTID` 44).
const LAYER_RECV_ACCEPT: &str = "%%14610";
/// Filters and addresses named in one finding.
const MAX_LISTED: usize = 10;

fn drops(ev: &Evidence, port: u16) -> Vec<(&str, &Event)> {
    ev.events_with_ids(DROP_IDS)
        .into_iter()
        .filter(|(_, e)| {
            e.provider.eq_ignore_ascii_case(SECURITY_PROVIDER) && wfp_inbound_on_port(e, port)
        })
        .collect()
}

fn missing(ev: &Evidence) -> Option<String> {
    let (port, _) = ev.rdp_port();
    if !ev.wfp_filters.is_empty() || !drops(ev, port).is_empty() {
        return None;
    }
    Some(format!(
        "{}; and no Security 5152/5157 drop on the RDP port (written only where Filtering \
         Platform failure auditing is on)",
        support::missing_because(
            ev,
            rdp_bundle::paths::NETSH_WFP_FILTERS,
            "netsh wfp show filters output"
        )
    ))
}

struct Blocking<'a> {
    artifact: &'a str,
    filter: &'a Filter,
    every_port: bool,
}

impl Blocking<'_> {
    fn describe(&self) -> String {
        let f = self.filter;
        format!(
            "\"{}\" (provider {}, layer {}, weight {}, filterId {}{})",
            if f.name.is_empty() { &f.key } else { &f.name },
            f.provider.as_deref().unwrap_or("none"),
            f.layer,
            f.weight
                .as_deref()
                .or(f.effective_weight.as_deref())
                .unwrap_or("-"),
            f.filter_id.map_or("-".to_string(), |i| i.to_string()),
            if self.every_port {
                ", every port"
            } else {
                ""
            }
        )
    }
}

fn blocking_filters(ev: &Evidence, port: u16) -> Vec<Blocking<'_>> {
    let mut out = Vec::new();
    for w in &ev.wfp_filters {
        for f in &w.value.inbound_blocks {
            if f.is_disabled() || f.provider.as_deref().is_some_and(is_microsoft_provider) {
                continue;
            }
            let every_port = match f.port_match(port) {
                PortMatch::Named => false,
                PortMatch::Every if f.provider.is_some() => true,
                _ => continue,
            };
            if overridden(f, &w.value.foreign_permits, port) {
                continue;
            }
            out.push(Blocking {
                artifact: &w.artifact,
                filter: f,
                every_port,
            });
        }
    }
    out
}

/// Whether a heavier permit in the block's own sublayer lets the port through for every
/// address: within a sublayer the heaviest matching filter decides (WFP filter arbitration).
fn overridden(block: &Filter, permits: &[Filter], port: u16) -> bool {
    let Some(weight) = block.rank() else {
        return false;
    };
    permits.iter().any(|p| {
        !p.is_disabled()
            && p.sublayer.eq_ignore_ascii_case(&block.sublayer)
            && p.layer.eq_ignore_ascii_case(&block.layer)
            && p.port_match(port) != PortMatch::No
            && !p.is_address_scoped()
            && p.rank().is_some_and(|r| r > weight)
    })
}

/// Every filter of the WFP outputs by its run-time `filterId`, the id a drop's `FilterRTID`
/// names (the first output's filter wins), built once for all the drops.
fn filters_by_id(ev: &Evidence) -> HashMap<u64, &Filter> {
    let mut by_id = HashMap::new();
    for f in ev.wfp_filters.iter().flat_map(|w| w.value.inbound_blocks.iter()) {
        if let Some(id) = f.filter_id {
            by_id.entry(id).or_insert(f);
        }
    }
    by_id
}

/// The filter a drop's `FilterRTID` names.
fn drop_filter<'a>(by_id: &HashMap<u64, &'a Filter>, e: &Event) -> Option<&'a Filter> {
    let id = e.get("FilterRTID")?.trim().parse::<u64>().ok()?;
    by_id.get(&id).copied()
}

#[derive(Default)]
struct Source {
    count: usize,
    last: String,
    filters: Vec<String>,
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let (port, _) = ev.rdp_port();
    let filters = blocking_filters(ev, port);
    let drops = drops(ev, port);
    if filters.is_empty() && drops.is_empty() {
        return Vec::new();
    }
    let last_success = support::last_logon_by_user(ev)
        .into_values()
        .max()
        .map(str::to_string);
    let by_id = filters_by_id(ev);
    let after = |e: &Event| last_success.as_deref().is_none_or(|t| e.time.as_str() > t);
    let is_block = |e: &Event| {
        e.get("LayerName")
            .is_some_and(|l| l.trim() == LAYER_RECV_ACCEPT)
            || e.event_id == 5157
            || drop_filter(&by_id, e).is_some_and(|f| {
                    !f.provider.as_deref().is_some_and(is_microsoft_provider)
                })
    };

    let mut sources: BTreeMap<String, Source> = BTreeMap::new();
    let (mut blocks_after, mut blocks_before, mut transport) = (0usize, 0usize, 0usize);
    for (_, e) in &drops {
        let addr = wfp_inbound_remote(e, port)
            .and_then(normalize_address)
            .unwrap_or_else(|| "-".to_string());
        let s = sources.entry(addr).or_default();
        s.count += 1;
        if e.time > s.last {
            s.last = e.time.clone();
        }
        if let Some(name) = drop_filter(&by_id, e).map(|f| f.name.clone()) {
            if !s.filters.contains(&name) && s.filters.len() < MAX_LISTED {
                s.filters.push(name);
            }
        }
        match (is_block(e), after(e)) {
            (true, true) => blocks_after += 1,
            (true, false) => blocks_before += 1,
            (false, _) => transport += 1,
        }
    }

    let unscoped = filters.iter().any(|b| !b.filter.is_address_scoped());
    let severity = if unscoped || blocks_after > 0 {
        Severity::Error
    } else {
        Severity::Warning
    };

    let mut parts = Vec::new();
    if !filters.is_empty() {
        let listed: Vec<String> = filters
            .iter()
            .take(MAX_LISTED)
            .map(Blocking::describe)
            .collect();
        parts.push(format!(
            "{} inbound block filter{} not from Windows Firewall cover{} TCP {port}: {}{}{}.",
            filters.len(),
            if filters.len() == 1 { "" } else { "s" },
            if filters.len() == 1 { "s" } else { "" },
            listed.join("; "),
            if filters.len() > MAX_LISTED {
                format!("; and {} more", filters.len() - MAX_LISTED)
            } else {
                String::new()
            },
            if unscoped {
                ""
            } else {
                " (only for some addresses: the filters have address conditions)"
            }
        ));
    }
    if !drops.is_empty() {
        let mut by_count: Vec<(&String, &Source)> = sources.iter().collect();
        by_count.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        let listed: Vec<String> = by_count
            .iter()
            .take(MAX_LISTED)
            .map(|(a, s)| {
                format!(
                    "{a} ({} time{}, last {}{})",
                    s.count,
                    if s.count == 1 { "" } else { "s" },
                    s.last,
                    if s.filters.is_empty() {
                        String::new()
                    } else {
                        format!(", filter {}", s.filters.join(", "))
                    }
                )
            })
            .collect();
        let when = match (&last_success, blocks_after) {
            (None, _) => " No RDP logon succeeded in the logs.".to_string(),
            (Some(t), 0) if blocks_before > 0 => {
                format!(" RDP logons succeeded after them (last {t}): a past block.")
            }
            (Some(t), n) if n > 0 => {
                format!(" {n} of them came after the last successful RDP logon ({t}).")
            }
            _ => String::new(),
        };
        let layer = if transport > 0 {
            format!(
                " {transport} of them {} packet drop{} in the transport or IP layer, \
                 typically what Windows logs when nothing listens on the port (stealth mode), \
                 not a filter refusing RDP.",
                if transport == 1 { "was a" } else { "were" },
                if transport == 1 { "" } else { "s" },
            )
        } else {
            String::new()
        };
        parts.push(format!(
            "The Windows Filtering Platform dropped {} inbound connection attempt{} on port \
             {port} (Security 5152/5157) from {}.{when}{layer}",
            drops.len(),
            if drops.len() == 1 { "" } else { "s" },
            listed.join(", "),
        ));
    }

    let title = if !filters.is_empty() {
        format!(
            "A Windows Filtering Platform filter outside Windows Firewall blocks TCP {port}: {}",
            filters
                .first()
                .map(|b| if b.filter.name.is_empty() {
                    b.filter.key.clone()
                } else {
                    b.filter.name.clone()
                })
                .unwrap_or_default()
        )
    } else {
        format!("The Windows Filtering Platform dropped inbound RDP connections on port {port}")
    };
    let mut f = Finding::new(&CHECK, parts.join(" "))
        .title(title)
        .severity(severity)
        .fact("port", port)
        .fact(
            "filters",
            filters
                .iter()
                .map(|b| b.filter.name.clone())
                .collect::<Vec<_>>()
                .join(" | "),
        )
        .fact(
            "providers",
            filters
                .iter()
                .map(|b| b.filter.provider.clone().unwrap_or_else(|| "none".into()))
                .fold(Vec::new(), |mut v: Vec<String>, p| {
                    if !v.contains(&p) {
                        v.push(p);
                    }
                    v
                })
                .join(" | "),
        )
        .fact("drops", drops.len())
        .fact("drops_after_last_logon", blocks_after)
        .fact(
            "drops_by_address",
            sources
                .iter()
                .map(|(a, s)| format!("{a}={}", s.count))
                .collect::<Vec<_>>()
                .join(","),
        )
        .fact("last_successful_logon", last_success.as_deref().unwrap_or(""));
    for b in filters.iter().take(MAX_LISTED) {
        f = f.evidence(EvidenceRef::line(
            b.artifact,
            b.filter.line,
            format!("block filter {}", b.describe()),
        ));
    }
    let mut newest: Vec<&(&str, &Event)> = drops.iter().collect();
    newest.sort_by(|a, b| b.1.time.cmp(&a.1.time));
    for (artifact, e) in newest.into_iter().take(3) {
        f = f.evidence(support::event_ref(artifact, e, "inbound drop on the RDP port"));
    }
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{evidence_from_xml, security_event};

    const FILTERS: &str = "<?xml version=\"1.0\"?>\r\n<wfpdiag>\r\n<filters numItems=\"2\">\r\n\
<item>\r\n\t<filterKey>{0c1ba1af-5765-453f-af22-a8f791ac775b}</filterKey>\r\n\t<displayData>\r\n\t\t<name>Contoso Isolation inbound block</name>\r\n\t</displayData>\r\n\t<providerKey>{9c2e4f21-7a3b-4c55-8e1d-2b6f0a9d4e13}</providerKey>\r\n\t<layerKey>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4</layerKey>\r\n\t<filterCondition numItems=\"1\">\r\n\t\t<item>\r\n\t\t\t<fieldKey>FWPM_CONDITION_IP_LOCAL_PORT</fieldKey>\r\n\t\t\t<matchType>FWP_MATCH_EQUAL</matchType>\r\n\t\t\t<conditionValue>\r\n\t\t\t\t<type>FWP_UINT16</type>\r\n\t\t\t\t<uint16>3389</uint16>\r\n\t\t\t</conditionValue>\r\n\t\t</item>\r\n\t</filterCondition>\r\n\t<action>\r\n\t\t<type>FWP_ACTION_BLOCK</type>\r\n\t</action>\r\n\t<filterId>71204</filterId>\r\n</item>\r\n\
<item>\r\n\t<filterKey>{11111111-0000-4000-8000-000000000001}</filterKey>\r\n\t<displayData>\r\n\t\t<name>Block RDP rule</name>\r\n\t</displayData>\r\n\t<providerKey>FWPM_PROVIDER_MPSSVC_WF</providerKey>\r\n\t<layerKey>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4</layerKey>\r\n\t<filterCondition numItems=\"0\"/>\r\n\t<action>\r\n\t\t<type>FWP_ACTION_BLOCK</type>\r\n\t</action>\r\n\t<filterId>68000</filterId>\r\n</item>\r\n\
</filters>\r\n</wfpdiag>\r\n";

    fn drop_event(id: u32, rid: u64, time: &str, layer: &str, rtid: &str) -> String {
        let (sa, sp, da, dp) = if id == 5157 {
            ("10.0.0.5", "3389", "203.0.113.7", "50123")
        } else {
            ("203.0.113.7", "50123", "10.0.0.5", "3389")
        };
        security_event(
            id,
            rid,
            time,
            &[
                ("ProcessID", "4"),
                ("Application", "System"),
                ("Direction", "%%14592"),
                ("SourceAddress", sa),
                ("SourcePort", sp),
                ("DestAddress", da),
                ("DestPort", dp),
                ("Protocol", "6"),
                ("FilterRTID", rtid),
                ("LayerName", layer),
                ("LayerRTID", "44"),
            ],
        )
    }

    fn logon(rid: u64, time: &str) -> String {
        security_event(
            4624,
            rid,
            time,
            &[
                ("TargetUserName", "alice"),
                ("TargetDomainName", "CONTOSO"),
                ("LogonType", "10"),
                ("IpAddress", "10.0.0.9"),
            ],
        )
    }

    fn events(parts: &[String]) -> String {
        format!("<Events>{}</Events>", parts.concat())
    }

    #[test]
    fn a_foreign_filter_on_the_port_is_an_error() {
        let ev = evidence_from_xml(&[("commands/netsh-wfp-filters.xml", FILTERS)]);
        assert!(missing(&ev).is_none());
        let f = run(&ev);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].message.contains("Contoso Isolation inbound block"));
        assert!(!f[0].message.contains("Block RDP rule"), "Windows Firewall's own");
        assert_eq!(f[0].facts["providers"], "{9c2e4f21-7a3b-4c55-8e1d-2b6f0a9d4e13}");
    }

    #[test]
    fn a_heavier_permit_of_the_same_sublayer_lets_rdp_in() {
        let permit = "<item>\r\n\t<filterKey>{22222222-0000-4000-8000-000000000002}</filterKey>\r\n\t<displayData>\r\n\t\t<name>Contoso Isolation allow RDP</name>\r\n\t</displayData>\r\n\t<providerKey>{9c2e4f21-7a3b-4c55-8e1d-2b6f0a9d4e13}</providerKey>\r\n\t<layerKey>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4</layerKey>\r\n\t<subLayerKey>{1e0b7a44-3c2d-4f9a-b5e6-7d8c9a0b1c2d}</subLayerKey>\r\n\t<filterCondition numItems=\"0\"/>\r\n\t<action>\r\n\t\t<type>FWP_ACTION_PERMIT</type>\r\n\t</action>\r\n\t<filterId>71300</filterId>\r\n\t<effectiveWeight>\r\n\t\t<type>FWP_UINT64</type>\r\n\t\t<uint64>{W}</uint64>\r\n\t</effectiveWeight>\r\n</item>\r\n</filters>";
        let with = |w: &str| {
            FILTERS
                .replace(
                    "<filterId>71204</filterId>",
                    "<filterId>71204</filterId>\r\n\t<effectiveWeight>\r\n\t\t<type>FWP_UINT64</type>\r\n\t\t<uint64>1000</uint64>\r\n\t</effectiveWeight>",
                )
                .replace(
                    "<layerKey>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4</layerKey>\r\n\t<filterCondition numItems=\"1\">",
                    "<layerKey>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4</layerKey>\r\n\t<subLayerKey>{1e0b7a44-3c2d-4f9a-b5e6-7d8c9a0b1c2d}</subLayerKey>\r\n\t<filterCondition numItems=\"1\">",
                )
                .replace("</filters>", &permit.replace("{W}", w))
        };
        let heavier = with("2000");
        let ev = evidence_from_xml(&[("commands/netsh-wfp-filters.xml", &heavier)]);
        assert_eq!(ev.wfp_filters[0].value.foreign_permits.len(), 1);
        assert!(run(&ev).is_empty(), "{:?}", run(&ev));
        let lighter = with("10");
        let ev = evidence_from_xml(&[("commands/netsh-wfp-filters.xml", &lighter)]);
        assert_eq!(run(&ev)[0].severity, Severity::Error);
    }

    #[test]
    fn drops_after_the_last_logon_are_an_error_and_named_by_filter() {
        let log = events(&[
            logon(1, "2026-03-01T08:00:00.000Z"),
            drop_event(5157, 2, "2026-03-02T08:00:00.000Z", "%%14610", "71204"),
            drop_event(5157, 3, "2026-03-02T08:01:00.000Z", "%%14610", "71204"),
        ]);
        let ev = evidence_from_xml(&[
            ("commands/netsh-wfp-filters.xml", FILTERS),
            ("events/Security.xml", &log),
        ]);
        let f = run(&ev);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].facts["drops_by_address"], "203.0.113.7=2");
        assert_eq!(f[0].facts["drops_after_last_logon"], "2");
        assert!(f[0].message.contains("filter Contoso Isolation inbound block"));
    }

    #[test]
    fn drops_followed_by_a_logon_are_a_warning() {
        let log = events(&[
            drop_event(5157, 2, "2026-03-02T08:00:00.000Z", "%%14610", "68000"),
            logon(3, "2026-03-03T08:00:00.000Z"),
        ]);
        let ev = evidence_from_xml(&[("events/Security.xml", &log)]);
        let f = run(&ev);
        assert_eq!(f[0].severity, Severity::Warning, "{f:?}");
        assert!(f[0].message.contains("succeeded after them"));
    }

    #[test]
    fn transport_layer_drops_alone_are_a_warning() {
        // As the real sample: a SYN to 3389 dropped in the transport layer, no logon at all.
        let log = events(&[drop_event(
            5152,
            2,
            "2026-03-02T08:00:00.000Z",
            "%%14597",
            "67607",
        )]);
        let ev = evidence_from_xml(&[("events/Security.xml", &log)]);
        let f = run(&ev);
        assert_eq!(f[0].severity, Severity::Warning, "{f:?}");
        assert!(f[0].message.contains("nothing listens"));
    }

    #[test]
    fn nothing_to_read_is_cannot_tell_not_a_pass() {
        let ev = evidence_from_xml(&[("events/Security.xml", &events(&[logon(
            1,
            "2026-03-01T08:00:00.000Z",
        )]))]);
        assert!(missing(&ev).unwrap().contains("netsh wfp show filters"));
        let ev = evidence_from_xml(&[(
            "commands/netsh-wfp-filters.xml",
            "<?xml version=\"1.0\"?>\r\n<wfpdiag>\r\n<filters numItems=\"0\"/>\r\n</wfpdiag>\r\n",
        )]);
        assert!(missing(&ev).is_none());
        assert!(run(&ev).is_empty());
    }
}

//! `netsh wfp show filters file=-`: the Windows Filtering Platform filters, as XML on stdout.
//!
//! `file=-` prints to the console instead of writing `filters.xml` (Microsoft's netsh wfp
//! reference: `filters file=<path|->`). The document is `<wfpdiag>` with a `<filters>` list of
//! `<item>`s, one per filter:
//!
//! ```text
//! <wfpdiag>
//!  <filters numItems="2">
//!   <item>
//!    <filterKey>{…}</filterKey>
//!    <displayData><name>…</name><description>…</description></displayData>
//!    <flags numItems="1"><item>FWPM_FILTER_FLAG_PERSISTENT</item></flags>
//!    <providerKey>FWPM_PROVIDER_MPSSVC_WF</providerKey>
//!    <layerKey>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4</layerKey>
//!    <subLayerKey>FWPM_SUBLAYER_MPSSVC_WF</subLayerKey>
//!    <weight><type>FWP_UINT8</type><uint8>10</uint8></weight>
//!    <filterCondition numItems="1">
//!     <item>
//!      <fieldKey>FWPM_CONDITION_IP_LOCAL_PORT</fieldKey>
//!      <matchType>FWP_MATCH_EQUAL</matchType>
//!      <conditionValue><type>FWP_UINT16</type><uint16>3389</uint16></conditionValue>
//!     </item>
//!    </filterCondition>
//!    <action><type>FWP_ACTION_BLOCK</type><filterType/></action>
//!    <filterId>68531</filterId>
//!    <effectiveWeight><type>FWP_UINT64</type><uint64>…</uint64></effectiveWeight>
//!   </item>
//! ```
//!
//! Element names as the FWPM_FILTER0 structure's fields (fwpmtypes.h), which netsh writes out
//! one for one; checked against published `show filters`/`show state` dumps used as test
//! input by public PowerShell WFP tooling (GitHub code corpus: `<wfpdiag><filters><item>`,
//! `providerKey` printed as `FWPM_PROVIDER_MPSSVC_WF` for built-in providers and as a GUID for
//! others, `action/type` `FWP_ACTION_BLOCK`, conditions as above). A range condition holds
//! `<rangeValue><valueLow>…</valueLow><valueHigh>…</valueHigh></rangeValue>` (FWP_RANGE0).
//! No real dump from a customer machine was available; the fixture follows this shape.
//!
//! The output can be tens of megabytes on a server: it is read as a stream and only the
//! inbound block filters are kept (at most [`MAX_KEPT`]), each field cut at [`MAX_TEXT`].

use super::ParseError;
use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;
use serde::Serialize;

/// Inbound block filters kept; more are counted, not kept.
pub const MAX_KEPT: usize = 2000;
/// Conditions kept per filter.
const MAX_CONDITIONS: usize = 64;
/// Bytes kept of one text field.
const MAX_TEXT: usize = 512;
/// Deepest element nesting read.
const MAX_DEPTH: usize = 32;

/// One filter condition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// `FWPM_CONDITION_IP_LOCAL_PORT`, ...
    pub field: String,
    /// `FWP_MATCH_EQUAL`, `FWP_MATCH_RANGE`, ...
    pub match_type: String,
    /// The value's data type (`FWP_UINT16`, `FWP_RANGE_TYPE`, ...).
    pub value_type: String,
    /// The value (for a range, its low end).
    pub value: String,
    /// For a range: its high end.
    pub high: Option<String>,
}

/// A filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// Line of its `<item>` (1-based).
    pub line: usize,
    pub key: String,
    pub name: String,
    pub description: String,
    /// `providerKey`: a symbolic name for Windows' own providers, else a GUID; None when absent.
    pub provider: Option<String>,
    pub layer: String,
    pub sublayer: String,
    pub action: String,
    /// The `weight` value as printed (its type element left out).
    pub weight: Option<String>,
    pub effective_weight: Option<String>,
    pub filter_id: Option<u64>,
    pub flags: Vec<String>,
    pub conditions: Vec<Condition>,
}

/// What `show filters` printed, reduced to the inbound block filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WfpFilters {
    /// Every filter in the output.
    pub total: usize,
    /// Inbound block filters (see [`is_inbound_layer`]), at most [`MAX_KEPT`].
    pub inbound_blocks: Vec<Filter>,
    /// Inbound permit filters of providers other than Windows' own, at most [`MAX_KEPT`]:
    /// within one sublayer the heaviest matching filter decides, so such a permit can
    /// override its own product's block (an isolation policy that still lets RDP in).
    pub foreign_permits: Vec<Filter>,
    /// Inbound block and foreign permit filters beyond [`MAX_KEPT`], counted only.
    pub dropped: usize,
}

/// Layers that see unsolicited inbound traffic: the ALE accept layers and the inbound
/// transport and IP packet layers (with their discard twins).
pub fn is_inbound_layer(layer: &str) -> bool {
    let l = layer.to_ascii_uppercase();
    l.starts_with("FWPM_LAYER_ALE_AUTH_RECV_ACCEPT")
        || l.starts_with("FWPM_LAYER_INBOUND_TRANSPORT")
        || l.starts_with("FWPM_LAYER_INBOUND_IPPACKET")
}

/// True when `text` is `netsh wfp` XML.
pub fn sniff(text: &str) -> bool {
    let head: String = text.chars().take(512).collect();
    head.contains("<wfpdiag")
}

/// Streams the XML, keeping the inbound block filters.
pub fn parse(text: &str) -> Result<WfpFilters, ParseError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut out = WfpFilters::default();
    let mut path: Vec<String> = Vec::with_capacity(16);
    // Depth of `<filters>/<item>` in `path` while inside one.
    let mut item_depth: Option<usize> = None;
    let mut cur = Filter::default();
    let mut cond = Condition::default();
    let mut seen_root = false;
    let mut line = 1usize;
    let mut last_pos = 0usize;
    loop {
        let ev = reader.read_event().map_err(|e| {
            ParseError::new(format!(
                "malformed netsh wfp XML at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        match ev {
            XmlEvent::Start(s) => {
                if path.len() >= MAX_DEPTH {
                    return Err(ParseError::new(format!(
                        "netsh wfp XML nested deeper than {MAX_DEPTH} elements"
                    )));
                }
                let name = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    seen_root = name.eq_ignore_ascii_case("wfpdiag");
                }
                path.push(name);
                let n = path.len();
                if item_depth.is_none()
                    && n >= 2
                    && path.get(n - 1).is_some_and(|p| p == "item")
                    && path.get(n - 2).is_some_and(|p| p == "filters")
                {
                    let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                    let upto = pos.min(text.len());
                    if upto > last_pos {
                        line += text
                            .as_bytes()
                            .get(last_pos..upto)
                            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
                        last_pos = upto;
                    }
                    item_depth = Some(n);
                    cur = Filter {
                        line,
                        ..Filter::default()
                    };
                } else if let Some(d) = item_depth {
                    if rel(&path, d) == ["filterCondition", "item"] {
                        cond = Condition::default();
                    }
                }
            }
            XmlEvent::End(_) => {
                if let Some(d) = item_depth {
                    let n = path.len();
                    if n == d {
                        out.total += 1;
                        let mut f = std::mem::take(&mut cur);
                        tidy(&mut f);
                        let list = if !is_inbound_layer(&f.layer) {
                            None
                        } else if f.action.eq_ignore_ascii_case("FWP_ACTION_BLOCK") {
                            Some(&mut out.inbound_blocks)
                        } else if f.action.eq_ignore_ascii_case("FWP_ACTION_PERMIT")
                            && f.provider
                                .as_deref()
                                .is_some_and(|p| !is_microsoft_provider(p))
                        {
                            Some(&mut out.foreign_permits)
                        } else {
                            None
                        };
                        if let Some(list) = list {
                            if list.len() < MAX_KEPT {
                                list.push(f);
                            } else {
                                out.dropped += 1;
                            }
                        }
                        item_depth = None;
                    } else if rel(&path, d) == ["filterCondition", "item"]
                        && cur.conditions.len() < MAX_CONDITIONS
                    {
                        cur.conditions.push(std::mem::take(&mut cond));
                    }
                }
                path.pop();
            }
            XmlEvent::Text(t) => {
                let Some(d) = item_depth else { continue };
                let value = t.xml10_content().map_err(|e| {
                    ParseError::new(format!("undecodable text in netsh wfp XML: {e}"))
                })?;
                store(&mut cur, &mut cond, rel(&path, d), &value);
            }
            XmlEvent::GeneralRef(r) => {
                let Some(d) = item_depth else { continue };
                let s = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.decode().map_err(|e| {
                            ParseError::new(format!("undecodable entity in netsh wfp XML: {e}"))
                        })?;
                        quick_xml::escape::resolve_xml_entity(&name)
                            .unwrap_or("")
                            .to_string()
                    }
                };
                store(&mut cur, &mut cond, rel(&path, d), &s);
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(ParseError::new(
            "no <wfpdiag> element: not netsh wfp output",
        ));
    }
    if item_depth.is_some() {
        return Err(ParseError::new(
            "netsh wfp XML ends inside a filter (truncated)",
        ));
    }
    Ok(out)
}

/// Trims what whitespace-preserving reading left around the values.
fn tidy(f: &mut Filter) {
    for s in [
        &mut f.key,
        &mut f.name,
        &mut f.description,
        &mut f.layer,
        &mut f.sublayer,
        &mut f.action,
    ] {
        *s = s.trim().to_string();
    }
    for s in [&mut f.provider, &mut f.weight, &mut f.effective_weight]
        .into_iter()
        .flatten()
    {
        *s = s.trim().to_string();
    }
    for c in &mut f.conditions {
        for s in [
            &mut c.field,
            &mut c.match_type,
            &mut c.value_type,
            &mut c.value,
        ] {
            *s = s.trim().to_string();
        }
        if let Some(h) = &mut c.high {
            *h = h.trim().to_string();
        }
    }
    for s in &mut f.flags {
        *s = s.trim().to_string();
    }
}

/// The element names below the filter's `<item>` (depth `d`).
fn rel(path: &[String], d: usize) -> Vec<&str> {
    path.get(d..)
        .unwrap_or(&[])
        .iter()
        .map(String::as_str)
        .collect()
}

fn push(field: &mut String, s: &str) {
    for c in s.chars() {
        if field.len() + c.len_utf8() > MAX_TEXT {
            break;
        }
        field.push(c);
    }
}

fn store(f: &mut Filter, c: &mut Condition, rel: Vec<&str>, s: &str) {
    match rel.as_slice() {
        ["filterKey"] => push(&mut f.key, s),
        ["displayData", "name"] => push(&mut f.name, s),
        ["displayData", "description"] => push(&mut f.description, s),
        ["providerKey"] => push(f.provider.get_or_insert_with(String::new), s),
        ["layerKey"] => push(&mut f.layer, s),
        ["subLayerKey"] => push(&mut f.sublayer, s),
        ["action", "type"] => push(&mut f.action, s),
        ["weight", t] if *t != "type" => push(f.weight.get_or_insert_with(String::new), s),
        ["effectiveWeight", t] if *t != "type" => {
            push(f.effective_weight.get_or_insert_with(String::new), s)
        }
        ["filterId"] => f.filter_id = s.trim().parse().ok(),
        ["flags", "item"] if f.flags.len() < MAX_CONDITIONS => {
            let mut v = String::new();
            push(&mut v, s);
            f.flags.push(v);
        }
        ["filterCondition", "item", "fieldKey"] => push(&mut c.field, s),
        ["filterCondition", "item", "matchType"] => push(&mut c.match_type, s),
        ["filterCondition", "item", "conditionValue", "type"] => push(&mut c.value_type, s),
        ["filterCondition", "item", "conditionValue", "rangeValue", "valueLow", t]
            if *t != "type" =>
        {
            push(&mut c.value, s)
        }
        ["filterCondition", "item", "conditionValue", "rangeValue", "valueHigh", t]
            if *t != "type" =>
        {
            push(c.high.get_or_insert_with(String::new), s)
        }
        ["filterCondition", "item", "conditionValue", t] if *t != "type" => push(&mut c.value, s),
        _ => {}
    }
}

/// Windows' own WFP providers: netsh prints the built-in ones by name (`FWPM_PROVIDER_…`);
/// Windows Firewall's (MPSSVC) providers also appear by GUID on some builds.
const MICROSOFT_PROVIDER_GUIDS: &[&str] = &[
    // FWPM_PROVIDER_MPSSVC_WF
    "decc16ca-3f33-4346-be1e-8fb4ae0f3d62",
    // FWPM_PROVIDER_MPSSVC_WSH (service hardening, "Query User" filters)
    "4b153735-1049-4480-aab4-d1b9bdc03710",
    // FWPM_PROVIDER_IKEEXT
    "10ad9216-ccde-456c-8b16-e9f04e60a90b",
];

/// Whether the filter comes from Windows itself (Windows Firewall, IPsec, the TCP templates).
pub fn is_microsoft_provider(provider: &str) -> bool {
    let p = provider
        .trim()
        .trim_matches(['{', '}'])
        .to_ascii_lowercase();
    p.starts_with("fwpm_provider_") || MICROSOFT_PROVIDER_GUIDS.contains(&p.as_str())
}

/// How a filter's conditions relate to one local port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortMatch {
    /// A local-port condition names the port (or a range holding it).
    Named,
    /// No local-port condition: every port.
    Every,
    /// The conditions exclude the port (another port, a protocol other than TCP/UDP, a
    /// condition this reading does not evaluate).
    No,
}

fn num(s: &str) -> Option<u32> {
    s.trim().parse().ok()
}

/// Conditions that narrow who is blocked without changing the port: addresses, interfaces.
fn is_scope_field(field: &str) -> bool {
    let f = field.to_ascii_uppercase();
    f.contains("ADDRESS") || f.contains("INTERFACE") || f == "FWPM_CONDITION_IP_PROTOCOL"
}

impl Filter {
    /// Whether this filter applies to TCP or UDP on local `port`. Conditions on one field are
    /// ORed, different fields ANDed (WFP's rule).
    pub fn port_match(&self, port: u16) -> PortMatch {
        let port = u32::from(port);
        let mut ports = self
            .conditions
            .iter()
            .filter(|c| c.field.eq_ignore_ascii_case("FWPM_CONDITION_IP_LOCAL_PORT"))
            .peekable();
        let named = if ports.peek().is_none() {
            false
        } else {
            let hit = ports.any(|c| {
                let m = c.match_type.to_ascii_uppercase();
                match (m.as_str(), num(&c.value), c.high.as_deref().and_then(num)) {
                    ("FWP_MATCH_EQUAL", Some(v), None) => v == port,
                    ("FWP_MATCH_RANGE", Some(lo), Some(hi)) => lo <= port && port <= hi,
                    _ => false,
                }
            });
            if !hit {
                return PortMatch::No;
            }
            true
        };
        let mut protocols = self
            .conditions
            .iter()
            .filter(|c| c.field.eq_ignore_ascii_case("FWPM_CONDITION_IP_PROTOCOL"))
            .peekable();
        if protocols.peek().is_some()
            && !protocols.any(|c| {
                c.match_type.eq_ignore_ascii_case("FWP_MATCH_EQUAL")
                    && matches!(num(&c.value), Some(6 | 17))
            })
        {
            return PortMatch::No;
        }
        if named {
            return PortMatch::Named;
        }
        // Every port only when nothing else narrows it (an application, a flag, a user...).
        if self.conditions.iter().all(|c| is_scope_field(&c.field)) {
            PortMatch::Every
        } else {
            PortMatch::No
        }
    }

    /// Whether a condition limits the remote (or local) addresses the filter applies to.
    pub fn is_address_scoped(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| c.field.to_ascii_uppercase().contains("ADDRESS"))
    }

    /// The weight WFP ranks the filter by within its sublayer: `effectiveWeight` (a UINT64),
    /// else the `weight` netsh printed when it is a number.
    pub fn rank(&self) -> Option<u64> {
        self.effective_weight
            .as_deref()
            .or(self.weight.as_deref())
            .and_then(|w| w.trim().parse().ok())
    }

    pub fn is_disabled(&self) -> bool {
        self.flags
            .iter()
            .any(|f| f.eq_ignore_ascii_case("FWPM_FILTER_FLAG_DISABLED"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape netsh prints (tab-indented, CRLF), shortened to three filters.
    const DUMP: &str = "<?xml version=\"1.0\"?>\r\n<wfpdiag>\r\n<filters numItems=\"3\">\r\n\
<item>\r\n\t<filterKey>{4b8fa6a7-14c2-4dc5-a0b7-11b2ac2c6a21}</filterKey>\r\n\t<displayData>\r\n\t\t<name>Remote Desktop - User Mode (TCP-In)</name>\r\n\t\t<description>Inbound rule for the Remote Desktop service to allow RDP traffic. [TCP 3389]</description>\r\n\t</displayData>\r\n\t<flags numItems=\"1\">\r\n\t\t<item>FWPM_FILTER_FLAG_INDEXED</item>\r\n\t</flags>\r\n\t<providerKey>FWPM_PROVIDER_MPSSVC_WF</providerKey>\r\n\t<layerKey>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4</layerKey>\r\n\t<subLayerKey>FWPM_SUBLAYER_MPSSVC_WF</subLayerKey>\r\n\t<weight>\r\n\t\t<type>FWP_EMPTY</type>\r\n\t</weight>\r\n\t<filterCondition numItems=\"1\">\r\n\t\t<item>\r\n\t\t\t<fieldKey>FWPM_CONDITION_IP_LOCAL_PORT</fieldKey>\r\n\t\t\t<matchType>FWP_MATCH_EQUAL</matchType>\r\n\t\t\t<conditionValue>\r\n\t\t\t\t<type>FWP_UINT16</type>\r\n\t\t\t\t<uint16>3389</uint16>\r\n\t\t\t</conditionValue>\r\n\t\t</item>\r\n\t</filterCondition>\r\n\t<action>\r\n\t\t<type>FWP_ACTION_PERMIT</type>\r\n\t\t<filterType/>\r\n\t</action>\r\n\t<filterId>68531</filterId>\r\n</item>\r\n\
<item>\r\n\t<filterKey>{0c1ba1af-5765-453f-af22-a8f791ac775b}</filterKey>\r\n\t<displayData>\r\n\t\t<name>Contoso EDR &amp; isolation: block RDP</name>\r\n\t\t<description/>\r\n\t</displayData>\r\n\t<flags numItems=\"1\">\r\n\t\t<item>FWPM_FILTER_FLAG_PERSISTENT</item>\r\n\t</flags>\r\n\t<providerKey>{9c2e4f21-7a3b-4c55-8e1d-2b6f0a9d4e13}</providerKey>\r\n\t<layerKey>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4</layerKey>\r\n\t<subLayerKey>{1e0b7a44-3c2d-4f9a-b5e6-7d8c9a0b1c2d}</subLayerKey>\r\n\t<weight>\r\n\t\t<type>FWP_UINT8</type>\r\n\t\t<uint8>15</uint8>\r\n\t</weight>\r\n\t<filterCondition numItems=\"2\">\r\n\t\t<item>\r\n\t\t\t<fieldKey>FWPM_CONDITION_IP_PROTOCOL</fieldKey>\r\n\t\t\t<matchType>FWP_MATCH_EQUAL</matchType>\r\n\t\t\t<conditionValue>\r\n\t\t\t\t<type>FWP_UINT8</type>\r\n\t\t\t\t<uint8>6</uint8>\r\n\t\t\t</conditionValue>\r\n\t\t</item>\r\n\t\t<item>\r\n\t\t\t<fieldKey>FWPM_CONDITION_IP_LOCAL_PORT</fieldKey>\r\n\t\t\t<matchType>FWP_MATCH_RANGE</matchType>\r\n\t\t\t<conditionValue>\r\n\t\t\t\t<type>FWP_RANGE_TYPE</type>\r\n\t\t\t\t<rangeValue>\r\n\t\t\t\t\t<valueLow>\r\n\t\t\t\t\t\t<type>FWP_UINT16</type>\r\n\t\t\t\t\t\t<uint16>3300</uint16>\r\n\t\t\t\t\t</valueLow>\r\n\t\t\t\t\t<valueHigh>\r\n\t\t\t\t\t\t<type>FWP_UINT16</type>\r\n\t\t\t\t\t\t<uint16>3399</uint16>\r\n\t\t\t\t\t</valueHigh>\r\n\t\t\t\t</rangeValue>\r\n\t\t\t</conditionValue>\r\n\t\t</item>\r\n\t</filterCondition>\r\n\t<action>\r\n\t\t<type>FWP_ACTION_BLOCK</type>\r\n\t\t<filterType/>\r\n\t</action>\r\n\t<filterId>71204</filterId>\r\n\t<effectiveWeight>\r\n\t\t<type>FWP_UINT64</type>\r\n\t\t<uint64>17293822569102704655</uint64>\r\n\t</effectiveWeight>\r\n</item>\r\n\
<item>\r\n\t<filterKey>{aaaaaaaa-0000-4000-8000-000000000001}</filterKey>\r\n\t<displayData>\r\n\t\t<name>Loopback block</name>\r\n\t</displayData>\r\n\t<providerKey>{9c2e4f21-7a3b-4c55-8e1d-2b6f0a9d4e13}</providerKey>\r\n\t<layerKey>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6</layerKey>\r\n\t<filterCondition numItems=\"1\">\r\n\t\t<item>\r\n\t\t\t<fieldKey>FWPM_CONDITION_FLAGS</fieldKey>\r\n\t\t\t<matchType>FWP_MATCH_FLAGS_ALL_SET</matchType>\r\n\t\t\t<conditionValue>\r\n\t\t\t\t<type>FWP_UINT32</type>\r\n\t\t\t\t<uint32>FWP_CONDITION_FLAG_IS_LOOPBACK</uint32>\r\n\t\t\t</conditionValue>\r\n\t\t</item>\r\n\t</filterCondition>\r\n\t<action>\r\n\t\t<type>FWP_ACTION_BLOCK</type>\r\n\t</action>\r\n\t<filterId>71205</filterId>\r\n</item>\r\n\
</filters>\r\n</wfpdiag>\r\n";

    #[test]
    fn keeps_the_inbound_block_filters_with_their_fields() {
        assert!(sniff(DUMP));
        let w = parse(DUMP).unwrap();
        assert_eq!(w.total, 3);
        assert_eq!(w.inbound_blocks.len(), 2);
        let f = &w.inbound_blocks[0];
        assert_eq!(f.name, "Contoso EDR & isolation: block RDP");
        assert_eq!(
            f.provider.as_deref(),
            Some("{9c2e4f21-7a3b-4c55-8e1d-2b6f0a9d4e13}")
        );
        assert_eq!(f.layer, "FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4");
        assert_eq!(f.weight.as_deref(), Some("15"));
        assert_eq!(f.effective_weight.as_deref(), Some("17293822569102704655"));
        assert_eq!(f.filter_id, Some(71204));
        assert_eq!(f.flags, vec!["FWPM_FILTER_FLAG_PERSISTENT"]);
        assert_eq!(f.conditions.len(), 2);
        assert_eq!(f.conditions[1].value, "3300");
        assert_eq!(f.conditions[1].high.as_deref(), Some("3399"));
        assert_eq!(f.line, 35);
        assert_eq!(f.port_match(3389), PortMatch::Named);
        assert_eq!(f.port_match(3400), PortMatch::No);
        // A loopback-only block does not block every port.
        assert_eq!(w.inbound_blocks[1].port_match(3389), PortMatch::No);
    }

    #[test]
    fn port_matching_follows_wfp_rules() {
        let cond = |field: &str, m: &str, v: &str| Condition {
            field: field.into(),
            match_type: m.into(),
            value: v.into(),
            ..Condition::default()
        };
        let mut f = Filter::default();
        assert_eq!(f.port_match(3389), PortMatch::Every);
        f.conditions.push(cond(
            "FWPM_CONDITION_IP_REMOTE_ADDRESS",
            "FWP_MATCH_EQUAL",
            "x",
        ));
        assert_eq!(f.port_match(3389), PortMatch::Every);
        assert!(f.is_address_scoped());
        f.conditions
            .push(cond("FWPM_CONDITION_IP_PROTOCOL", "FWP_MATCH_EQUAL", "1"));
        assert_eq!(f.port_match(3389), PortMatch::No);
        f.conditions
            .push(cond("FWPM_CONDITION_IP_PROTOCOL", "FWP_MATCH_EQUAL", "17"));
        assert_eq!(f.port_match(3389), PortMatch::Every);
        f.conditions.push(cond(
            "FWPM_CONDITION_IP_LOCAL_PORT",
            "FWP_MATCH_EQUAL",
            "445",
        ));
        assert_eq!(f.port_match(3389), PortMatch::No);
        f.conditions.push(cond(
            "FWPM_CONDITION_IP_LOCAL_PORT",
            "FWP_MATCH_EQUAL",
            "3389",
        ));
        assert_eq!(f.port_match(3389), PortMatch::Named);
        f.conditions.push(cond(
            "FWPM_CONDITION_ALE_APP_ID",
            "FWP_MATCH_EQUAL",
            "svchost",
        ));
        assert_eq!(f.port_match(3389), PortMatch::Named);
    }

    #[test]
    fn providers_of_windows_are_told_apart() {
        assert!(is_microsoft_provider("FWPM_PROVIDER_MPSSVC_WF"));
        assert!(is_microsoft_provider(
            "{4B153735-1049-4480-AAB4-D1B9BDC03710}"
        ));
        assert!(!is_microsoft_provider(
            "{9c2e4f21-7a3b-4c55-8e1d-2b6f0a9d4e13}"
        ));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(parse("<wfpdiag><filters><item><name>").is_err());
        assert!(parse("<other/>").is_err());
        assert!(parse("").is_err());
        let deep = "<wfpdiag>".to_string() + &"<a>".repeat(100);
        assert!(parse(&deep).is_err());
        let w = parse("<wfpdiag><filters numItems=\"0\"/></wfpdiag>").unwrap();
        assert_eq!(w.total, 0);
    }
}

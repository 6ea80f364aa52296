//! Windows event XML, as `wevtutil qe <log> /f:xml` and Event Viewer's "Save as XML" write it.
//!
//! Both write the same `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>`
//! elements, differing only in what surrounds them: `wevtutil` writes one event per line with no
//! declaration and no wrapper (unless `/e:Events`), Event Viewer writes
//! `<?xml ... standalone="yes"?>` and then `<Events>` with every event on one line. Attribute
//! quotes are single in both, double in XML copied out of Event Viewer's XML view. `/f:RenderedXml`
//! and Event Viewer add a localized `<RenderingInfo>` whose `Level`, `Provider`, `Opcode`...
//! must not be mistaken for the `<System>` ones.
//!
//! Each event is parsed on its own, so one damaged or truncated event (a cut-off paste, a log
//! export interrupted mid-write) costs only itself: it is counted in `records_skipped`.
//!
//! This module also turns one rendered event into an [`Event`] for the `.evtx` parser, which
//! renders each binary record to this same XML: one reading of the format for both inputs.

use super::evtx::{Event, EventFilter, EventLog, MAX_ERRORS};
use super::ParseError;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::{Reader, XmlVersion};
use rayon::prelude::*;

/// The namespace every event element carries.
const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// Most `(name, value)` pairs kept per event; real events have a few dozen at most.
const MAX_DATA_ITEMS: usize = 1024;
/// Longest value kept, in bytes; a record in an `.evtx` chunk cannot be larger than 64 KiB.
const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Deepest element nesting accepted inside one event (real events nest 4-5 levels).
const MAX_DEPTH: usize = 64;

/// True when `text` starts like event XML: an `<Event>` element in the event namespace, after
/// an optional BOM, `<?xml ...?>` declaration and `<Events>` wrapper.
pub fn sniff(text: &str) -> bool {
    let mut rest = skip_prolog(text);
    if let Some(after) = rest.strip_prefix("<Events") {
        match after.find('>') {
            Some(end) if !after.starts_with(|c: char| c.is_ascii_alphanumeric()) => {
                rest = after.get(end + 1..).unwrap_or("").trim_start();
            }
            _ => return false,
        }
    }
    if !starts_event_tag(rest) {
        return false;
    }
    let tag_end = rest.find('>').unwrap_or(rest.len());
    rest.get(..tag_end)
        .is_some_and(|tag| tag.contains(EVENT_NS))
}

/// `text` past a BOM, whitespace and an XML declaration.
fn skip_prolog(text: &str) -> &str {
    let rest = text.trim_start_matches('\u{feff}').trim_start();
    match rest.strip_prefix("<?xml") {
        Some(decl) => match decl.find("?>") {
            Some(end) => decl.get(end + 2..).unwrap_or("").trim_start(),
            None => "",
        },
        None => rest,
    }
}

/// Whether `s` starts with an `<Event` tag (not `<Events`, not `<EventData`).
fn starts_event_tag(s: &str) -> bool {
    s.strip_prefix("<Event").is_some_and(|after| {
        after
            .chars()
            .next()
            .is_some_and(|c| c == '>' || c == '/' || c.is_ascii_whitespace())
    })
}

/// Parses every event in `text`, keeping those `wanted` asks for.
///
/// `records_seen` counts every `<Event>` element found, `records_skipped` those that could not
/// be read (malformed, truncated, no `EventID`). Events come back sorted by time, then record
/// id. Fails only when the text holds no `<Event>` element at all and does not look like event
/// XML either.
pub fn parse(text: &str, wanted: &EventFilter) -> Result<EventLog, ParseError> {
    let segments = event_segments(text);
    if segments.is_empty() && !looks_like_empty_export(text) {
        return Err(ParseError::new(
            "not Windows event XML: no <Event> element found",
        ));
    }
    let results: Vec<Result<Option<Event>, String>> = segments
        .par_iter()
        .map(|&(line, xml)| read_segment(xml, wanted).map_err(|e| format!("line {line}: {e}")))
        .collect();

    let mut log = EventLog {
        records_seen: segments.len() as u64,
        ..EventLog::default()
    };
    for result in results {
        match result {
            Ok(Some(event)) => log.events.push(event),
            Ok(None) => {}
            Err(message) => {
                log.records_skipped += 1;
                if log.errors.len() < MAX_ERRORS {
                    log.errors.push(message);
                }
            }
        }
    }
    super::evtx::cap_events(&mut log);
    super::evtx::sort_events(&mut log.events);
    Ok(log)
}

/// `<Events></Events>` or a bare declaration: an export of a log (or filter) with no events.
fn looks_like_empty_export(text: &str) -> bool {
    let rest = skip_prolog(text);
    rest.is_empty() || rest.starts_with("<Events")
}

/// One event: unwanted ones are dropped by a quick look at `EventID` before the full parse.
fn read_segment(xml: &str, wanted: &EventFilter) -> Result<Option<Event>, String> {
    if let Some(id) = quick_event_id(xml) {
        if !wanted.wants(id) {
            return Ok(None);
        }
    }
    let event = event_from_xml(xml)?;
    Ok(wanted.keeps(&event).then_some(event))
}

/// Splits `text` at every `<Event` start tag: `(1-based line of the tag, text from the tag to
/// the next one)`. Parsing each piece alone is what keeps a damaged event from taking the
/// following ones with it.
fn event_segments(text: &str) -> Vec<(usize, &str)> {
    let mut starts = Vec::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find("<Event")) {
        let at = from + found;
        if text.get(at..).is_some_and(starts_event_tag) {
            starts.push(at);
        }
        from = at + "<Event".len();
    }
    let mut segments = Vec::with_capacity(starts.len());
    let mut line = 1;
    let mut counted_to = 0;
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        line += count_lines(text.get(counted_to..start).unwrap_or(""));
        counted_to = start;
        if let Some(segment) = text.get(start..end) {
            segments.push((line, segment));
        }
    }
    segments
}

/// Line breaks in `s` (CRLF, LF and lone CR each count once).
fn count_lines(s: &str) -> usize {
    let bytes = s.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// The `EventID` of one event's XML by a plain text search, for dropping unwanted events
/// without parsing them. `None` when it is not plainly there; the caller then parses.
pub(crate) fn quick_event_id(xml: &str) -> Option<u32> {
    let at = xml.find("<EventID")?;
    let rest = xml.get(at + "<EventID".len()..)?;
    // `<EventIDs>` or the like is not the element.
    if !rest.starts_with(['>', ' ', '\t', '\r', '\n']) {
        return None;
    }
    let body = rest.get(rest.find('>')? + 1..)?;
    let value = body.get(..body.find('<')?)?;
    value.trim().parse().ok()
}

/// Which part of the event an element at depth 2 opens.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    System,
    EventData,
    UserData,
    /// `RenderingInfo`, `ProcessingErrorData`, `DebugData`...: not read.
    Other,
}

/// What closing an element contributes to the event, decided when it opens, so that text is
/// only gathered (and names only allocated) for elements that become part of the event.
enum Role {
    Ignore,
    EventId,
    RecordId,
    Channel,
    Computer,
    /// An `EventData` child, with the name its value gets (`Name`, or the element's name).
    Data(String),
    /// An `EventData/Data` without a `Name`: numbered when it closes.
    UnnamedData,
    /// An element under `UserData`'s wrapper: a value when it turns out to be a leaf.
    UserField(String),
}

/// An open element and what has been gathered for it.
struct Frame {
    role: Role,
    text: String,
    has_child: bool,
}

impl Frame {
    fn push_text(&mut self, s: &str) {
        if !matches!(self.role, Role::Ignore) {
            push_bounded(&mut self.text, s);
        }
    }
}

/// Builds one [`Event`] from the element stream of one `<Event>`.
#[derive(Default)]
struct EventBuilder {
    event: Event,
    has_event_id: bool,
    unnamed_data: usize,
    section: Option<Section>,
}

/// Parses the XML of one event (and ignores anything after its end tag).
pub(crate) fn event_from_xml(xml: &str) -> Result<Event, String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut builder = EventBuilder::default();
    let mut stack: Vec<Frame> = Vec::with_capacity(8);
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "malformed event XML at byte {}: {e}",
                reader.error_position()
            )
        })?;
        match event {
            XmlEvent::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("event XML nested deeper than {MAX_DEPTH} elements"));
                }
                let frame = builder.open(&start, stack.len(), &reader)?;
                if let Some(parent) = stack.last_mut() {
                    parent.has_child = true;
                }
                stack.push(frame);
            }
            XmlEvent::Empty(start) => {
                let frame = builder.open(&start, stack.len(), &reader)?;
                if let Some(parent) = stack.last_mut() {
                    parent.has_child = true;
                }
                if stack.is_empty() {
                    // `<Event/>`: nothing in it.
                    return builder.finish();
                }
                builder.close(frame, stack.len() + 1);
            }
            XmlEvent::End(_) => {
                let depth = stack.len();
                let Some(frame) = stack.pop() else {
                    return Err("end tag without start tag".into());
                };
                builder.close(frame, depth);
                if stack.is_empty() {
                    return builder.finish();
                }
            }
            XmlEvent::Text(text) => {
                if let Some(frame) = stack.last_mut() {
                    let decoded = text
                        .xml10_content()
                        .map_err(|e| format!("undecodable text: {e}"))?;
                    frame.push_text(&decoded);
                }
            }
            XmlEvent::CData(data) => {
                if let Some(frame) = stack.last_mut() {
                    let decoded = data
                        .decode()
                        .map_err(|e| format!("undecodable CDATA: {e}"))?;
                    frame.push_text(&decoded);
                }
            }
            XmlEvent::GeneralRef(reference) => {
                if let Some(frame) = stack.last_mut() {
                    let resolved = resolve_reference(&reference)?;
                    frame.push_text(&resolved);
                }
            }
            XmlEvent::Eof => {
                return Err(if stack.is_empty() {
                    "no <Event> element".into()
                } else {
                    "event XML ends before </Event> (truncated)".into()
                });
            }
            XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::Comment(_) | XmlEvent::DocType(_) => {}
        }
    }
}

/// `&amp;` and friends, and `&#x41;` character references. Windows writes only these.
fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Result<String, String> {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return Ok(c.to_string());
    }
    let name = reference
        .decode()
        .map_err(|e| format!("undecodable entity: {e}"))?;
    Ok(match quick_xml::escape::resolve_xml_entity(&name) {
        Some(s) => s.to_owned(),
        None => format!("&{name};"),
    })
}

/// Appends `s` to `text` while `text` stays within [`MAX_VALUE_BYTES`].
fn push_bounded(text: &mut String, s: &str) {
    let room = MAX_VALUE_BYTES.saturating_sub(text.len());
    if s.len() <= room {
        text.push_str(s);
    } else {
        let mut cut = room;
        while cut > 0 && !s.is_char_boundary(cut) {
            cut -= 1;
        }
        text.push_str(s.get(..cut).unwrap_or(""));
    }
}

/// Local name of an element (without a namespace prefix), as text.
fn local_name(start: &BytesStart<'_>) -> String {
    let name = start.local_name();
    match std::str::from_utf8(name.as_ref()) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(name.as_ref()).into_owned(),
    }
}

/// Value of the attribute whose local name is `name`, unescaped.
fn attribute(start: &BytesStart<'_>, name: &[u8], reader: &Reader<&[u8]>) -> Option<String> {
    start
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.decoded_and_normalized_value(XmlVersion::Implicit1_0, reader.decoder())
                .ok()
                .map(|v| v.into_owned())
        })
}

impl EventBuilder {
    /// The frame for an element opening below `depth` open ones (0: the root), reading the
    /// attributes the event needs.
    fn open(
        &mut self,
        start: &BytesStart<'_>,
        depth: usize,
        reader: &Reader<&[u8]>,
    ) -> Result<Frame, String> {
        let local = start.local_name();
        let local = local.as_ref();
        let role = match (depth, self.section) {
            (0, _) if local != b"Event" => {
                return Err(format!(
                    "expected <Event>, found <{}>",
                    String::from_utf8_lossy(start.name().as_ref())
                ));
            }
            (1, _) => {
                self.section = Some(match local {
                    b"System" => Section::System,
                    b"EventData" => Section::EventData,
                    b"UserData" => Section::UserData,
                    _ => Section::Other,
                });
                Role::Ignore
            }
            (2, Some(Section::System)) => self.system_role(start, local, reader),
            (2, Some(Section::EventData)) => {
                match attribute(start, b"Name", reader).filter(|n| !n.is_empty()) {
                    Some(name) => Role::Data(name),
                    None if local == b"Data" => Role::UnnamedData,
                    // `<Binary>` and the like: named by the element.
                    None => Role::Data(local_name(start)),
                }
            }
            // `UserData` holds one provider-defined wrapper (`EventXML`, `LogFileCleared`...)
            // whose leaf children are the values.
            (d, Some(Section::UserData)) if d >= 3 => Role::UserField(local_name(start)),
            _ => Role::Ignore,
        };
        Ok(Frame {
            role,
            text: String::new(),
            has_child: false,
        })
    }

    /// Role of a `<System>` child; `Provider` and `TimeCreated` are read from attributes here.
    fn system_role(
        &mut self,
        start: &BytesStart<'_>,
        local: &[u8],
        reader: &Reader<&[u8]>,
    ) -> Role {
        match local {
            b"EventID" => Role::EventId,
            b"EventRecordID" => Role::RecordId,
            b"Channel" => Role::Channel,
            b"Computer" => Role::Computer,
            b"Provider" => {
                // Classic providers have EventSourceName too; Name is what Event Viewer shows.
                if let Some(name) = attribute(start, b"Name", reader)
                    .or_else(|| attribute(start, b"EventSourceName", reader))
                {
                    self.event.provider = name;
                }
                Role::Ignore
            }
            // The first EventID that reads as a number and the first time given are the
            // event's: Windows writes one of each, and taking the first lets the `.evtx`
            // reader decide which records to build from the first few tokens (a later one
            // would change what it decided; found by the `binxml` fuzz target).
            b"TimeCreated" if self.event.time.is_empty() => {
                if let Some(t) = attribute(start, b"SystemTime", reader) {
                    self.event.time = normalize_time(&t);
                }
                Role::Ignore
            }
            _ => Role::Ignore,
        }
    }

    /// Takes what a closed element at `depth` (1 = `Event`) holds.
    fn close(&mut self, frame: Frame, depth: usize) {
        let text = frame.text;
        match frame.role {
            Role::Ignore => {}
            Role::EventId if !self.has_event_id => {
                if let Ok(id) = text.trim().parse() {
                    self.event.event_id = id;
                    self.has_event_id = true;
                }
            }
            Role::EventId => {}
            Role::RecordId => {
                if let Ok(id) = text.trim().parse() {
                    self.event.record_id = id;
                }
            }
            Role::Channel => self.event.channel = text.trim().to_owned(),
            Role::Computer => self.event.computer = text.trim().to_owned(),
            Role::Data(name) => self.push_data(name, text),
            Role::UnnamedData => {
                self.unnamed_data += 1;
                let name = format!("Data{}", self.unnamed_data);
                self.push_data(name, text);
            }
            Role::UserField(name) if depth >= 4 && !frame.has_child => self.push_data(name, text),
            Role::UserField(_) => {}
        }
    }

    fn push_data(&mut self, name: String, value: String) {
        if self.event.data.len() < MAX_DATA_ITEMS {
            self.event.data.push(&name, &value);
        }
    }

    fn finish(self) -> Result<Event, String> {
        if !self.has_event_id {
            return Err("event has no readable <EventID>".into());
        }
        Ok(self.event)
    }
}

/// `SystemTime` as RFC 3339 UTC with milliseconds (`2026-03-01T10:00:00.123Z`). Windows writes
/// 7 fractional digits (9 on newer systems); one shape keeps the events sortable as text. A
/// value that does not parse is kept as it is.
pub(crate) fn normalize_time(raw: &str) -> String {
    let raw = raw.trim();
    match chrono::DateTime::parse_from_rfc3339(raw) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
        Err(_) => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/samples/event-xml/"
    );

    fn sample(name: &str) -> Option<String> {
        let path = format!("{SAMPLES}{name}");
        match std::fs::read(&path) {
            Ok(bytes) => Some(super::super::text::decode(&bytes, None).text),
            Err(_) => {
                eprintln!("SKIPPED: ../shared/samples absent ({path})");
                None
            }
        }
    }

    /// `wevtutil qe Security /q:"*[System[EventID=4625]]" /f:xml` output: one event per line,
    /// single quotes, CRLF, no declaration or wrapper.
    const WEVTUTIL_4625: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4625</EventID><Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords><TimeCreated SystemTime='2026-03-01T10:00:00.1234567Z'/><EventRecordID>90211</EventRecordID><Correlation ActivityID='{a1b2c3d4-0000-0000-0000-000000000000}'/><Execution ProcessID='756' ThreadID='4812'/><Channel>Security</Channel><Computer>SRV-RDS01.corp.example</Computer><Security/></System><EventData><Data Name='SubjectUserSid'>S-1-0-0</Data><Data Name='SubjectUserName'>-</Data><Data Name='SubjectDomainName'>-</Data><Data Name='SubjectLogonId'>0x0</Data><Data Name='TargetUserSid'>S-1-0-0</Data><Data Name='TargetUserName'>j.smith</Data><Data Name='TargetDomainName'>CORP</Data><Data Name='Status'>0xc000006d</Data><Data Name='FailureReason'>%%2313</Data><Data Name='SubStatus'>0xc000006a</Data><Data Name='LogonType'>3</Data><Data Name='LogonProcessName'>NtLmSsp </Data><Data Name='AuthenticationPackageName'>NTLM</Data><Data Name='WorkstationName'>LAPTOP-77</Data><Data Name='TransmittedServices'>-</Data><Data Name='LmPackageName'>-</Data><Data Name='KeyLength'>0</Data><Data Name='ProcessId'>0x0</Data><Data Name='ProcessName'>-</Data><Data Name='IpAddress'>203.0.113.45</Data><Data Name='IpPort'>0</Data></EventData></Event>\r\n\
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4625</EventID><Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords><TimeCreated SystemTime='2026-03-01T09:59:58.0000000Z'/><EventRecordID>90210</EventRecordID><Correlation/><Execution ProcessID='756' ThreadID='4812'/><Channel>Security</Channel><Computer>SRV-RDS01.corp.example</Computer><Security/></System><EventData><Data Name='SubjectUserSid'>S-1-0-0</Data><Data Name='TargetUserName'>Administrator</Data><Data Name='TargetDomainName'>SRV-RDS01</Data><Data Name='Status'>0xc000015b</Data><Data Name='FailureReason'>%%2308</Data><Data Name='SubStatus'>0x0</Data><Data Name='LogonType'>10</Data><Data Name='IpAddress'>198.51.100.7</Data><Data Name='IpPort'>51234</Data></EventData></Event>\r\n";

    /// Event Viewer "Save All Events As... > XML": declaration, `<Events>`, every event on one
    /// line, localized `RenderingInfo` (here German) after `EventData`.
    const SAVED_4625: &str = "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4625</EventID><Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords><TimeCreated SystemTime='2026-03-02T07:15:03.5551234Z'/><EventRecordID>501</EventRecordID><Correlation/><Execution ProcessID='700' ThreadID='1320'/><Channel>Security</Channel><Computer>PC-BÜRO-07</Computer><Security/></System><EventData><Data Name='TargetUserName'>m.müller</Data><Data Name='TargetDomainName'>PC-BÜRO-07</Data><Data Name='Status'>0xc000006d</Data><Data Name='FailureReason'>%%2313</Data><Data Name='SubStatus'>0xc0000064</Data><Data Name='LogonType'>10</Data><Data Name='IpAddress'>10.0.0.9</Data></EventData><RenderingInfo Culture='de-DE'><Message>Fehler beim Anmelden eines Kontos.</Message><Level>Informationen</Level><Task>Anmelden</Task><Opcode>Info</Opcode><Channel>Sicherheit</Channel><Provider>Microsoft Windows security auditing.</Provider><Keywords><Keyword>Überwachung gescheitert</Keyword></Keywords></RenderingInfo></Event><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4624</EventID><Version>2</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='2026-03-02T07:15:09.0000001Z'/><EventRecordID>502</EventRecordID><Correlation/><Execution ProcessID='700' ThreadID='1320'/><Channel>Security</Channel><Computer>PC-BÜRO-07</Computer><Security/></System><EventData><Data Name='TargetUserName'>m.mueller</Data><Data Name='LogonType'>10</Data></EventData><RenderingInfo Culture='de-DE'><Message>Ein Konto wurde erfolgreich angemeldet.</Message><Level>Informationen</Level></RenderingInfo></Event></Events>";

    #[test]
    fn wevtutil_lines() {
        assert!(sniff(WEVTUTIL_4625));
        let log = parse(WEVTUTIL_4625, &EventFilter::all()).unwrap();
        assert_eq!(log.records_seen, 2);
        assert_eq!(log.records_skipped, 0);
        assert_eq!(log.events.len(), 2);
        // Sorted by time: the 09:59:58 event first.
        let first = &log.events[0];
        assert_eq!(first.record_id, 90210);
        assert_eq!(first.time, "2026-03-01T09:59:58.000Z");
        assert_eq!(first.get("Status"), Some("0xc000015b"));
        let e = &log.events[1];
        assert_eq!(e.event_id, 4625);
        assert_eq!(e.record_id, 90211);
        assert_eq!(e.time, "2026-03-01T10:00:00.123Z");
        assert_eq!(e.provider, "Microsoft-Windows-Security-Auditing");
        assert_eq!(e.channel, "Security");
        assert_eq!(e.computer, "SRV-RDS01.corp.example");
        assert_eq!(e.get("substatus"), Some("0xc000006a"));
        assert_eq!(e.get("FailureReason"), Some("%%2313"));
        // Values are kept as written, trailing space included.
        assert_eq!(e.get("LogonProcessName"), Some("NtLmSsp "));
        assert_eq!(e.get("IpAddress"), Some("203.0.113.45"));
        assert_eq!(e.data.len(), 21);
    }

    #[test]
    fn save_as_xml_with_rendering_info() {
        assert!(sniff(SAVED_4625));
        let log = parse(SAVED_4625, &EventFilter::all()).unwrap();
        assert_eq!(log.records_seen, 2);
        assert_eq!(log.events.len(), 2);
        let e = &log.events[0];
        assert_eq!(e.event_id, 4625);
        assert_eq!(e.time, "2026-03-02T07:15:03.555Z");
        assert_eq!(e.computer, "PC-BÜRO-07");
        assert_eq!(e.get("TargetUserName"), Some("m.müller"));
        assert_eq!(e.get("SubStatus"), Some("0xc0000064"));
        // RenderingInfo's localized Provider/Channel/Level do not replace System's.
        assert_eq!(e.provider, "Microsoft-Windows-Security-Auditing");
        assert_eq!(e.channel, "Security");
        assert!(e.get("Message").is_none());
        assert_eq!(e.data.len(), 7);
    }

    #[test]
    fn filter_drops_unwanted_but_counts_them() {
        let log = parse(SAVED_4625, &EventFilter::ids(&[4624])).unwrap();
        assert_eq!(log.records_seen, 2);
        assert_eq!(log.events.len(), 1);
        assert_eq!(log.events[0].event_id, 4624);
        let none = parse(WEVTUTIL_4625, &EventFilter::ids(&[1149])).unwrap();
        assert_eq!(none.records_seen, 2);
        assert!(none.events.is_empty());
    }

    #[test]
    fn user_data_sample_1102() {
        let Some(text) = sample("open-telemetry__xmlSampleUserData-1102.xml") else {
            return;
        };
        assert!(sniff(&text));
        let log = parse(&text, &EventFilter::all()).unwrap();
        assert_eq!(log.events.len(), 1);
        let e = &log.events[0];
        assert_eq!(e.event_id, 1102);
        assert_eq!(e.record_id, 2590526);
        assert_eq!(e.time, "2023-10-12T10:38:24.543Z");
        assert_eq!(e.provider, "Microsoft-Windows-Eventlog");
        assert_eq!(e.channel, "Security");
        assert_eq!(e.computer, "test.example.com");
        assert_eq!(e.get("SubjectUserName"), Some("test_user"));
        assert_eq!(e.get("SubjectLogonId"), Some("0xa8bb72"));
        assert_eq!(e.get("ClientProcessStartKey"), Some("17732923532772643"));
        // The wrapper element itself is not a value.
        assert!(e.get("LogFileCleared").is_none());
        assert_eq!(e.data.len(), 6);
    }

    #[test]
    fn rendering_info_sample_7036() {
        let Some(text) = sample("open-telemetry__xmlRenderingInfoSystem-7036.xml") else {
            return;
        };
        assert!(sniff(&text));
        let log = parse(&text, &EventFilter::all()).unwrap();
        let e = &log.events[0];
        // EventID with Qualifiers='16384' is still 7036.
        assert_eq!(e.event_id, 7036);
        assert_eq!(e.record_id, 17353);
        assert_eq!(e.provider, "Service Control Manager");
        assert_eq!(e.channel, "System");
        assert_eq!(e.get("param1"), Some("Software Protection"));
        assert_eq!(e.get("param2"), Some("running"));
        assert_eq!(
            e.get("Binary"),
            Some("7300700070007300760063002F0034000000")
        );
        assert!(e.get("Message").is_none());
        assert_eq!(e.time, "2026-03-16T15:49:02.078Z");
    }

    #[test]
    fn anonymous_data_sample_8194() {
        let Some(text) = sample("open-telemetry__xmlWithAnonymousEventDataEntries-8194.xml") else {
            return;
        };
        assert!(sniff(&text));
        let log = parse(&text, &EventFilter::all()).unwrap();
        let e = &log.events[0];
        assert_eq!(e.event_id, 8194);
        assert_eq!(e.provider, "VSS");
        assert_eq!(e.get("Data1"), Some("1st_value"));
        assert_eq!(e.get("Data2"), Some("2nd_value"));
        assert_eq!(e.get("Binary"), Some("2D20"));
        assert_eq!(e.data.len(), 3);
    }

    #[test]
    fn local_session_manager_user_data() {
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-TerminalServices-LocalSessionManager' Guid='{5d896912-022d-40aa-a3a8-4fa5515c76d7}'/><EventID>24</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x1000000000000000</Keywords><TimeCreated SystemTime='2026-03-01T10:05:00.5000000Z'/><EventRecordID>812</EventRecordID><Correlation ActivityID='{f4204c8a-5a2e-4a1d-8c3e-8d9b1e0a0000}'/><Execution ProcessID='1044' ThreadID='2300'/><Channel>Microsoft-Windows-TerminalServices-LocalSessionManager/Operational</Channel><Computer>SRV-RDS01</Computer><Security UserID='S-1-5-18'/></System><UserData><EventXML xmlns='Event_NS'><User>CORP\\j.smith</User><SessionID>3</SessionID><Address>203.0.113.45</Address></EventXML></UserData></Event>\r\n";
        let log = parse(xml, &EventFilter::all()).unwrap();
        let e = &log.events[0];
        assert_eq!(e.event_id, 24);
        assert_eq!(e.get("User"), Some("CORP\\j.smith"));
        assert_eq!(e.get("SessionID"), Some("3"));
        assert_eq!(e.get("address"), Some("203.0.113.45"));
        assert!(e.get("EventXML").is_none());
    }

    #[test]
    fn entities_and_escapes_are_resolved() {
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='A&amp;B'/><EventID>7000</EventID><Channel>System</Channel></System><EventData><Data Name='param1'>R&amp;D &lt;svc&gt; &#x41;&#66;</Data><Data Name='param2'/></EventData></Event>";
        let log = parse(xml, &EventFilter::all()).unwrap();
        let e = &log.events[0];
        assert_eq!(e.provider, "A&B");
        assert_eq!(e.get("param1"), Some("R&D <svc> AB"));
        assert_eq!(e.get("param2"), Some(""));
        // No TimeCreated: empty time, still kept.
        assert_eq!(e.time, "");
    }

    #[test]
    fn damaged_events_are_counted_not_fatal() {
        let good = WEVTUTIL_4625.lines().next().unwrap();
        let truncated = &good[..good.len() / 2];
        let no_id = good.replace("<EventID>4625</EventID>", "<EventID>x</EventID>");
        let bad_nesting = good.replace("</EventData>", "</Data>");
        let text = format!("{truncated}\r\n{good}\r\n{no_id}\r\n{bad_nesting}\r\n");
        let log = parse(&text, &EventFilter::all()).unwrap();
        assert_eq!(log.records_seen, 4);
        assert_eq!(log.records_skipped, 3);
        assert_eq!(log.events.len(), 1);
        assert_eq!(log.errors.len(), 3);
        assert!(log.errors[0].starts_with("line 1:"), "{}", log.errors[0]);
        assert!(log.errors[1].starts_with("line 3:"), "{}", log.errors[1]);
    }

    #[test]
    fn errors_are_bounded() {
        let text =
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\n"
                .repeat(100);
        let log = parse(&text, &EventFilter::all()).unwrap();
        assert_eq!(log.records_skipped, 100);
        assert_eq!(log.errors.len(), MAX_ERRORS);
    }

    #[test]
    fn garbage_and_empty() {
        assert!(!sniff(""));
        assert!(!sniff("hello"));
        assert!(!sniff("<Events>"));
        assert!(!sniff("<EventData>"));
        assert!(!sniff("<Event>no namespace</Event>"));
        assert!(parse("hello world", &EventFilter::all()).is_err());
        assert!(parse("\u{0}\u{1}<<<>>>&&&", &EventFilter::all()).is_err());
        let empty = parse(
            "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n<Events></Events>",
            &EventFilter::all(),
        )
        .unwrap();
        assert_eq!(empty.records_seen, 0);
        let log = parse("<Event><<<<", &EventFilter::all()).unwrap();
        assert_eq!(log.records_skipped, 1);
        let log = parse("<Event/>", &EventFilter::all()).unwrap();
        assert_eq!(log.records_skipped, 1);
        // Every prefix of a real event: never a panic.
        for cut in 0..=WEVTUTIL_4625.len() {
            if let Some(prefix) = WEVTUTIL_4625.get(..cut) {
                let _ = parse(prefix, &EventFilter::all());
            }
        }
    }

    #[test]
    fn sniff_variants() {
        assert!(sniff(
            "\u{feff}  <Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">"
        ));
        assert!(sniff(
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Events>\r\n<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        ));
        assert!(!sniff(
            "<Eventsx><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
        ));
    }

    #[test]
    fn quick_event_id_reads_plain_and_qualified() {
        assert_eq!(
            quick_event_id("<System><EventID>4625</EventID>"),
            Some(4625)
        );
        assert_eq!(
            quick_event_id("<EventID Qualifiers='16384'>7036</EventID>"),
            Some(7036)
        );
        assert_eq!(quick_event_id("<EventIDx>1</EventIDx>"), None);
        assert_eq!(quick_event_id("<EventID>"), None);
        assert_eq!(quick_event_id("<EventID>abc</EventID>"), None);
    }

    #[test]
    fn times_normalize_to_milliseconds() {
        assert_eq!(
            normalize_time("2026-03-01T10:00:00.1234567Z"),
            "2026-03-01T10:00:00.123Z"
        );
        assert_eq!(
            normalize_time("2021-12-16T10:19:07.348731900Z"),
            "2021-12-16T10:19:07.348Z"
        );
        assert_eq!(
            normalize_time("2026-03-01T10:00:00Z"),
            "2026-03-01T10:00:00.000Z"
        );
        assert_eq!(
            normalize_time("2026-03-01T11:00:00+01:00"),
            "2026-03-01T10:00:00.000Z"
        );
        assert_eq!(normalize_time("yesterday"), "yesterday");
    }
}

//! Binary Windows event logs (`.evtx`), read with the `evtx` crate.
//!
//! An `.evtx` file is a 4 KiB file header (`ElfFile\0`) followed by 64 KiB chunks
//! (`ElfChnk\0`), each self-contained: its own string table, its own BinXML templates, its own
//! checksums. That makes chunks the unit of both parallelism and damage: a log copied from a
//! live system, carved from a disk or cut short by a failed upload has bad chunks and bad
//! records among good ones, and the good ones are still evidence. So we read chunks in parallel
//! with rayon, skip (and count) what cannot be read, and fail only when the file is not EVTX.
//!
//! Each wanted record is rendered to event XML by the crate and read by [`super::event_xml`],
//! so binary logs and `wevtutil` exports give the same [`Event`]s.
//!
//! Rendering a record and reading its XML is the cost (the XML read about three times the
//! rendering), and the RDP checks want a few dozen event ids out of logs that are mostly
//! something else. Before rendering a record we look at its template substitution values:
//! Windows' event log service lays out the `<System>` template of every record the same way,
//! with the event id as value 3. Whether a template really does is learned per chunk: the
//! first records that use it are rendered anyway and their `EventID` compared with value 3;
//! only then do we trust it to drop unwanted records unrendered. Records stored without a
//! template (the exported logs among our samples have them) are rendered, and an unwanted one
//! is dropped by a plain search for its `EventID` before the XML is read.

use super::ParseError;
use evtx::binxml::value_variant::BinXmlValue;
use evtx::{EvtxChunkData, EvtxRecord, ParserSettings};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// First eight bytes of every `.evtx` file.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// Size of the file header block; the first chunk starts here.
const FILE_HEADER_SIZE: usize = 4096;
/// Size of one chunk.
const CHUNK_SIZE: usize = 65536;
/// Smallest record (24-byte header plus the 4-byte size copy): bounds records per chunk.
const MIN_RECORD_SIZE: usize = 28;
/// Most error messages kept in [`EventLog::errors`].
pub(crate) const MAX_ERRORS: usize = 20;

/// Event ids the RDP checks read: logons and failures (Security), RDP listener and transport
/// (RdpCoreTS 131/140), authentication and sessions (RemoteConnectionManager 1149,
/// LocalSessionManager 21-25, 39, 40), licensing and certificates (TermService 1056-1058,
/// 1128-1131, Schannel 36870-36888), Netlogon 5719 and service control (7000-7036).
pub const RDP_EVENT_IDS: &[u32] = &[
    4624, 4625, 4634, 4647, 4648, 4740, 4771, 4776, 4778, 4779, 131, 140, 1149, 21, 22, 23, 24, 25,
    39, 40, 34, 1006, 1056, 1057, 1058, 1128, 1130, 1131, 36870, 36871, 36874, 36888, 5719, 7000,
    7001, 7023, 7024, 7031, 7034, 7036,
];

/// One event, reduced to what checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// `EventRecordID`: the record's number in its log, for citing it.
    pub record_id: u64,
    /// `TimeCreated/@SystemTime` as RFC 3339 UTC with milliseconds: `2026-03-01T10:00:00.123Z`.
    /// Empty when event XML has none (a `.evtx` record falls back to its header's time).
    pub time: String,
    pub event_id: u32,
    /// `Provider/@Name`, e.g. `Microsoft-Windows-Security-Auditing`.
    pub provider: String,
    /// e.g. `Security`, `Microsoft-Windows-TerminalServices-LocalSessionManager/Operational`.
    pub channel: String,
    pub computer: String,
    /// The payload in document order: `EventData/Data` by `Name` (unnamed ones as `Data1`,
    /// `Data2`...; `Binary` as `Binary`), and the leaf elements under `UserData`'s wrapper by
    /// local name (`User`, `SessionID`, `Address`, `Param1`...). Values are as Windows wrote
    /// them: `%%2313` message references and `0xc000006a` codes are not translated here.
    pub data: Vec<(String, String)>,
}

impl Event {
    /// The first value named `name`, ignoring ASCII case (`SubStatus`, `substatus`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The events of one log, and how much of it could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventLog {
    /// Wanted events, sorted by time, then record id.
    pub events: Vec<Event>,
    /// Records found, wanted or not, read or not (with those a cut-short chunk lost).
    pub records_seen: u64,
    /// Records found but unreadable (part of `records_seen`); for `.evtx`, also records lost
    /// to a chunk cut short, as its header counts them.
    pub records_skipped: u64,
    /// Chunks that could not be read at all (bad magic, unusable string table).
    pub chunks_skipped: u64,
    /// The first few problems, in file order (at most 20).
    pub errors: Vec<String>,
}

/// Which event ids to keep. Empty keeps all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub ids: Vec<u32>,
}

impl EventFilter {
    /// Keeps every event.
    pub fn all() -> Self {
        EventFilter { ids: Vec::new() }
    }

    /// Keeps the events whose id is in `ids`.
    pub fn ids(ids: &[u32]) -> Self {
        EventFilter { ids: ids.to_vec() }
    }

    pub fn wants(&self, id: u32) -> bool {
        self.ids.is_empty() || self.ids.contains(&id)
    }

    fn is_all(&self) -> bool {
        self.ids.is_empty()
    }
}

/// True when `bytes` starts with the EVTX file magic.
pub fn sniff(bytes: &[u8]) -> bool {
    bytes.starts_with(EVTX_MAGIC)
}

/// Reads every chunk of an `.evtx` file, keeping the events `wanted` asks for.
///
/// Fails only when `bytes` does not start with the EVTX magic. Unreadable chunks and records
/// are skipped and counted; a file cut short is read up to the cut.
pub fn parse(bytes: &[u8], wanted: &EventFilter) -> Result<EventLog, ParseError> {
    if !sniff(bytes) {
        return Err(ParseError::new("not an EVTX file: no ElfFile header"));
    }
    let settings = Arc::new(ParserSettings::default().indent(false));
    let body = bytes.len().saturating_sub(FILE_HEADER_SIZE);
    let chunk_count = body.div_ceil(CHUNK_SIZE);
    let chunks: Vec<ChunkResult> = (0..chunk_count)
        .into_par_iter()
        .map(|index| read_chunk_guarded(bytes, index, wanted, &settings))
        .collect();

    let mut log = EventLog::default();
    if bytes.len() < FILE_HEADER_SIZE {
        log.errors.push(format!(
            "file is {} bytes, shorter than the {FILE_HEADER_SIZE}-byte EVTX header: no chunks",
            bytes.len()
        ));
    }
    for chunk in chunks {
        log.records_seen += chunk.seen;
        log.records_skipped += chunk.skipped;
        log.chunks_skipped += u64::from(chunk.unreadable);
        log.events.extend(chunk.events);
        let room = MAX_ERRORS.saturating_sub(log.errors.len());
        log.errors.extend(chunk.errors.into_iter().take(room));
    }
    sort_events(&mut log.events);
    Ok(log)
}

/// Time, then record id: the order Windows shows a log in, across wrapped and merged logs.
pub(crate) fn sort_events(events: &mut [Event]) {
    events.par_sort_by(|a, b| a.time.cmp(&b.time).then(a.record_id.cmp(&b.record_id)));
}

/// What one chunk gave.
#[derive(Default)]
struct ChunkResult {
    events: Vec<Event>,
    seen: u64,
    skipped: u64,
    unreadable: bool,
    errors: Vec<String>,
}

impl ChunkResult {
    fn error(&mut self, message: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(message);
        }
    }
}

/// [`read_chunk`], with a panic inside the `evtx` crate on some crafted chunk costing that
/// chunk only. The crate is written not to panic, and its own pipeline catches panics too;
/// one hostile log must not take the whole analysis down.
fn read_chunk_guarded(
    bytes: &[u8],
    index: usize,
    wanted: &EventFilter,
    settings: &Arc<ParserSettings>,
) -> ChunkResult {
    let read = std::panic::AssertUnwindSafe(|| read_chunk(bytes, index, wanted, settings));
    std::panic::catch_unwind(read).unwrap_or_else(|_| {
        let mut out = ChunkResult {
            unreadable: true,
            ..ChunkResult::default()
        };
        out.error(format!(
            "chunk {index}: skipped: the evtx reader failed on it"
        ));
        out
    })
}

/// Reads chunk `index`. A chunk the file cuts short is padded with zeros, so the records
/// before the cut are still read.
fn read_chunk(
    bytes: &[u8],
    index: usize,
    wanted: &EventFilter,
    settings: &Arc<ParserSettings>,
) -> ChunkResult {
    let mut out = ChunkResult::default();
    let start = FILE_HEADER_SIZE.saturating_add(index.saturating_mul(CHUNK_SIZE));
    let end = start.saturating_add(CHUNK_SIZE).min(bytes.len());
    let Some(raw) = bytes.get(start..end) else {
        return out;
    };
    // Windows preallocates logs: zeroed chunks are unused space, not damage.
    if raw.iter().all(|&b| b == 0) {
        return out;
    }
    let truncated = raw.len() < CHUNK_SIZE;
    let mut data = Vec::with_capacity(CHUNK_SIZE);
    data.extend_from_slice(raw);
    data.resize(CHUNK_SIZE, 0);

    let mut chunk_data = match EvtxChunkData::new(data, false) {
        Ok(c) => c,
        Err(e) => {
            out.unreadable = true;
            out.error(format!(
                "chunk {index} (offset {start}): skipped: {}",
                describe(&e)
            ));
            return out;
        }
    };
    let expected = expected_records(&chunk_data);
    let mut chunk = match chunk_data.parse(Arc::clone(settings)) {
        Ok(c) => c,
        Err(e) => {
            out.unreadable = true;
            out.error(format!(
                "chunk {index} (offset {start}): skipped: {}",
                describe(&e)
            ));
            return out;
        }
    };

    let mut layouts = TemplateLayouts::default();
    for record in chunk.iter() {
        out.seen += 1;
        match record {
            // The zeros that stand in for a cut-off tail would render as empty values.
            Ok(record) if record_end(&record) > raw.len() as u64 => {
                out.skipped += 1;
                let id = record.event_record_id;
                out.error(format!(
                    "chunk {index}: record {id} skipped: cut off by end of file"
                ));
            }
            Ok(record) => read_record(record, wanted, &mut layouts, index, &mut out),
            Err(e) => {
                out.skipped += 1;
                out.error(format!("chunk {index}: record skipped: {}", describe(&e)));
            }
        }
    }

    if truncated {
        let lost = expected.map_or(0, |n| n.saturating_sub(out.seen));
        out.seen += lost;
        out.skipped += lost;
        out.error(format!(
            "chunk {index} (offset {start}): file ends {} bytes into it; {lost} records lost",
            raw.len()
        ));
    }
    out
}

/// An error and its causes, one line: the crate's top-level messages ("Failed to parse record
/// number 6335011") say where, their sources say why.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    let mut depth = 0;
    while let Some(cause) = source {
        if depth == 4 {
            break;
        }
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
        depth += 1;
    }
    text
}

/// Chunk offset just past `record`: its BinXML, then the 4-byte copy of its size.
fn record_end(record: &EvtxRecord<'_>) -> u64 {
    record
        .binxml_offset
        .saturating_add(u64::from(record.binxml_size))
        .saturating_add(4)
}

/// Records the chunk header says it holds, when that is believable.
fn expected_records(chunk: &EvtxChunkData) -> Option<u64> {
    let h = &chunk.header;
    let n = h
        .last_event_record_id
        .checked_sub(h.first_event_record_id)?
        .checked_add(1)?;
    (n <= (CHUNK_SIZE / MIN_RECORD_SIZE) as u64).then_some(n)
}

/// Renders `record` when it may be wanted, and keeps it when it is.
fn read_record(
    record: EvtxRecord<'_>,
    wanted: &EventFilter,
    layouts: &mut TemplateLayouts,
    chunk_index: usize,
    out: &mut ChunkResult,
) {
    let record_id = record.event_record_id;
    let header_time = record.timestamp;
    let hint = if wanted.is_all() {
        None
    } else {
        template_event_id(&record)
    };
    if let Some(hint) = hint {
        if layouts.trusted(hint.template) && !wanted.wants(hint.event_id) {
            return;
        }
    }
    let rendered = match record.into_xml_bytes() {
        Ok(r) => r.data,
        Err(e) => {
            out.skipped += 1;
            let why = describe(&e);
            out.error(format!(
                "chunk {chunk_index}: record {record_id} skipped: {why}"
            ));
            return;
        }
    };
    // The crate writes UTF-8; checking is much faster than the lossy conversion.
    let xml = match std::str::from_utf8(&rendered) {
        Ok(xml) => std::borrow::Cow::Borrowed(xml),
        Err(_) => String::from_utf8_lossy(&rendered),
    };
    // A plain search finds the id in the rendered `<System>`: enough to learn the template's
    // layout and to drop an unwanted record before the full parse, which costs most.
    let quick_id = super::event_xml::quick_event_id(&xml);
    if let (Some(hint), Some(id)) = (hint, quick_id) {
        layouts.learn(hint.template, hint.event_id == id);
    }
    if quick_id.is_some_and(|id| !wanted.wants(id)) {
        return;
    }
    let mut event = match super::event_xml::event_from_xml(&xml) {
        Ok(e) => e,
        Err(e) => {
            out.skipped += 1;
            out.error(format!(
                "chunk {chunk_index}: record {record_id} skipped: {e}"
            ));
            return;
        }
    };
    if !wanted.wants(event.event_id) {
        return;
    }
    // Seen in a damaged log: a record whose template values are all null renders as an
    // event 0 with no provider and no time. It says nothing, so it counts as unreadable.
    if event.provider.is_empty() && event.time.is_empty() {
        out.skipped += 1;
        out.error(format!(
            "chunk {chunk_index}: record {record_id} skipped: its System values are empty"
        ));
        return;
    }
    // The record header is authoritative for the id; the time comes from it when the XML
    // has none.
    event.record_id = record_id;
    if event.time.is_empty() {
        if let Some(t) = chrono::DateTime::from_timestamp_millis(header_time.as_millisecond()) {
            event.time = t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        }
    }
    out.events.push(event);
}

/// A record's event id as its template values suggest it, before rendering.
#[derive(Clone, Copy)]
struct EventIdHint {
    /// Chunk offset of the template definition: identifies the template within the chunk.
    template: u32,
    event_id: u32,
}

/// Index of the `EventID` value in the `<System>` template the event log service writes.
const SYSTEM_TEMPLATE_EVENT_ID: usize = 3;

/// Value 3 of the record's outer template, when it is a 16-bit number as an event id is.
fn template_event_id(record: &EvtxRecord<'_>) -> Option<EventIdHint> {
    let instances = record.template_instances().ok()?;
    let outer = instances.first()?;
    match outer.values.get(SYSTEM_TEMPLATE_EVENT_ID)? {
        BinXmlValue::UInt16Type(id) => Some(EventIdHint {
            template: outer.template_def_offset,
            event_id: u32::from(*id),
        }),
        _ => None,
    }
}

/// Per chunk: which templates are known to put the event id at value 3.
#[derive(Default)]
struct TemplateLayouts {
    state: HashMap<u32, Layout>,
}

#[derive(Clone, Copy)]
enum Layout {
    /// Agreed this many times, never disagreed.
    Agreed(u8),
    /// Disagreed once: always render records of this template.
    Untrusted,
}

/// Agreements needed before a template's value 3 is trusted as the event id. Two makes a
/// coincidence (a literal `EventID` equal to some value 3) unlikely to pass.
const AGREEMENTS_TO_TRUST: u8 = 2;

impl TemplateLayouts {
    fn trusted(&self, template: u32) -> bool {
        matches!(self.state.get(&template), Some(Layout::Agreed(n)) if *n >= AGREEMENTS_TO_TRUST)
    }

    fn learn(&mut self, template: u32, agreed: bool) {
        let entry = self.state.entry(template).or_insert(Layout::Agreed(0));
        *entry = match (*entry, agreed) {
            (Layout::Agreed(n), true) => Layout::Agreed(n.saturating_add(1)),
            _ => Layout::Untrusted,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ntstatus;

    const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples/evtx/");

    fn sample(name: &str) -> Option<Vec<u8>> {
        let path = format!("{SAMPLES}{name}");
        match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(_) => {
                eprintln!("SKIPPED: ../shared/samples absent ({path})");
                None
            }
        }
    }

    fn all(bytes: &[u8]) -> EventLog {
        parse(bytes, &EventFilter::all()).unwrap()
    }

    /// Deterministic noise, so a failure reproduces.
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn every_sample_parses_and_filtering_matches_rendering() {
        let Ok(dir) = std::fs::read_dir(SAMPLES) else {
            eprintln!("SKIPPED: ../shared/samples absent ({SAMPLES})");
            return;
        };
        let mut count = 0;
        for entry in dir {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let name = path.display();
            assert!(sniff(&bytes), "{name}");
            let log = all(&bytes);
            assert!(!log.events.is_empty(), "{name}");
            assert!(log.errors.len() <= MAX_ERRORS, "{name}");
            assert_eq!(
                log.records_seen,
                log.events.len() as u64 + log.records_skipped,
                "{name}"
            );
            assert!(
                log.events
                    .windows(2)
                    .all(|w| (&w[0].time, w[0].record_id) <= (&w[1].time, w[1].record_id)),
                "{name}: not sorted"
            );
            assert!(log
                .events
                .iter()
                .all(|e| e.time.len() == 24 && e.time.ends_with('Z')));
            // Dropping records by their template values before rendering must keep exactly
            // what rendering everything and then filtering keeps.
            let rdp = parse(&bytes, &EventFilter::ids(RDP_EVENT_IDS)).unwrap();
            let expected: Vec<Event> = log
                .events
                .iter()
                .filter(|e| RDP_EVENT_IDS.contains(&e.event_id))
                .cloned()
                .collect();
            assert_eq!(rdp.events, expected, "{name}");
            assert_eq!(rdp.records_seen, log.records_seen, "{name}");
            count += 1;
        }
        assert_eq!(count, 13);
    }

    #[test]
    fn damaged_samples_are_counted_not_fatal() {
        if let Some(bytes) = sample("evtx-crate__sample_with_a_bad_chunk_magic.evtx") {
            let log = all(&bytes);
            assert_eq!(log.chunks_skipped, 2);
            assert!(log
                .errors
                .iter()
                .any(|e| e.starts_with("chunk 6 (offset 397312): skipped")));
            assert_eq!(log.events.len(), 300);
            assert!(log.events.iter().all(|e| e.event_id == 325));
            // One record in it has only null values: counted, not kept as an empty event 0.
            assert_eq!(log.records_skipped, 2);
            assert!(
                log.errors.iter().any(|e| e.contains("46741")),
                "{:?}",
                log.errors
            );
        }
        if let Some(bytes) = sample("evtx-crate__sample-with-zero-data-size-event.evtx") {
            let log = all(&bytes);
            assert_eq!(log.records_skipped, 1);
            assert_eq!(log.chunks_skipped, 0);
            assert!(log.events.len() > 400);
            assert!(log.errors[0].contains("record"), "{:?}", log.errors);
        }
        // A volume-shadow-copy log with records half overwritten.
        if let Some(bytes) = sample(
            "evtx-crate__2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS_4Operational.evtx",
        ) {
            let log = all(&bytes);
            assert!(log.records_skipped > 0);
            assert!(log.events.len() > 1900);
        }
        // The crate rebuilds a bad string cache from the records' inline names.
        if let (Some(bad), Some(good)) = (
            sample("evtx-crate__security_bad_string_cache.evtx"),
            sample("evtx-crate__security.evtx"),
        ) {
            assert_eq!(all(&bad).events, all(&good).events);
        }
    }

    #[test]
    fn brute_force_4625_status_codes_decode() {
        let Some(bytes) = sample("mitre__ID_4776_4625-AccountRestore_local_bruteforce.evtx") else {
            return;
        };
        let log = parse(&bytes, &EventFilter::ids(&[4625])).unwrap();
        assert_eq!(log.events.len(), 16);
        for e in &log.events {
            assert_eq!(e.provider, "Microsoft-Windows-Security-Auditing");
            assert_eq!(e.channel, "Security");
            assert_eq!(e.computer, "WIN");
            let status = ntstatus::parse_code(e.get("Status").unwrap()).unwrap();
            assert_eq!(
                ntstatus::lookup(status).unwrap().name,
                "STATUS_LOGON_FAILURE"
            );
            let sub = ntstatus::parse_code(e.get("SubStatus").unwrap()).unwrap();
            assert_eq!(ntstatus::lookup(sub).unwrap().name, "STATUS_WRONG_PASSWORD");
            assert_eq!(e.get("FailureReason"), Some("%%2313"));
            let logon_type: u32 = e.get("LogonType").unwrap().parse().unwrap();
            assert_eq!(ntstatus::logon_type_name(logon_type), "Interactive");
        }
        assert_eq!(log.events[0].record_id, 1);
        assert_eq!(log.events[0].time, "2023-09-25T20:39:50.822Z");
    }

    #[test]
    fn kerberos_4771_failure_codes_decode() {
        let Some(bytes) = sample("mitre__ID4771-Kerberos_brutforce_with_valid_user.evtx") else {
            return;
        };
        let log = all(&bytes);
        assert_eq!(log.events.len(), 54);
        for e in &log.events {
            assert_eq!(e.event_id, 4771);
            let code = ntstatus::parse_code(e.get("Status").unwrap()).unwrap();
            assert_eq!(
                ntstatus::kerberos_lookup(code).unwrap().name,
                "KDC_ERR_PREAUTH_FAILED"
            );
            assert_eq!(e.get("IpAddress"), Some("::ffff:10.23.123.11"));
            assert_eq!(e.get("ServiceName"), Some("krbtgt/OFFSEC.LAN"));
        }
    }

    #[test]
    fn rcm_1149_user_data_params() {
        let Some(bytes) = sample("mitre__ID1149-RDP_success_logins_to_multiple_hosts.evtx") else {
            return;
        };
        let log = all(&bytes);
        assert_eq!(log.events.len(), 11);
        let mut computers: Vec<&str> = log.events.iter().map(|e| e.computer.as_str()).collect();
        computers.sort_unstable();
        computers.dedup();
        assert!(computers.len() > 1, "{computers:?}");
        for e in &log.events {
            assert_eq!(e.event_id, 1149);
            assert_eq!(
                e.channel,
                "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
            );
            assert_eq!(e.get("Param1"), Some("admmig"));
            assert_eq!(e.get("Param2"), Some(""));
            assert_eq!(e.get("param3"), Some("10.23.123.11"));
            assert!(e.get("EventXML").is_none());
        }
    }

    #[test]
    fn rcm_vss_log_user_data() {
        let Some(bytes) = sample(
            "evtx-crate__2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager_4Operational.evtx",
        ) else {
            return;
        };
        let log = all(&bytes);
        let listener = log.events.iter().find(|e| e.event_id == 261).unwrap();
        assert_eq!(listener.get("listenerName"), Some("RDP-Tcp"));
        let logons: Vec<&Event> = log.events.iter().filter(|e| e.event_id == 1149).collect();
        assert_eq!(logons.len(), 5);
        let first = logons[0];
        assert_eq!(first.record_id, 462939);
        assert_eq!(first.get("Param1"), Some("mpowers"));
        assert_eq!(first.get("Param2"), Some("MAGNETIC-DESKTO"));
        assert_eq!(first.get("Param3"), Some("174.127.93.2"));
    }

    #[test]
    fn rdpcorets_131_client_ip() {
        let Some(bytes) = sample("mitre__ID131-RDP_brutforce__no_user_info_.evtx") else {
            return;
        };
        let log = parse(&bytes, &EventFilter::ids(RDP_EVENT_IDS)).unwrap();
        assert_eq!(log.events.len(), 154);
        for e in &log.events {
            assert_eq!(e.event_id, 131);
            assert_eq!(
                e.provider,
                "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS"
            );
            assert_eq!(e.get("ConnType"), Some("TCP"));
            assert!(e.get("ClientIP").unwrap().starts_with("10.23.123.11:"));
        }
    }

    #[test]
    fn classic_provider_unnamed_data() {
        let Some(bytes) = sample("evtx-crate__sample-with-zero-data-size-event.evtx") else {
            return;
        };
        let log = parse(&bytes, &EventFilter::ids(&[6011])).unwrap();
        // EventLog 6011 (computer renamed): EventID Qualifiers='32768', positional data.
        let e = log.events.iter().find(|e| e.record_id == 1).unwrap();
        assert_eq!(e.provider, "EventLog");
        assert_eq!(e.get("Data1"), Some("DESKTOP-M7P1NB6"));
        assert_eq!(e.get("Data2"), Some("WIN-UUNEEV45F79"));
    }

    #[test]
    fn filter_keeps_only_wanted_but_counts_all() {
        let Some(bytes) = sample("evtx-crate__Security_with_size_t.evtx") else {
            return;
        };
        let everything = all(&bytes);
        let log = parse(&bytes, &EventFilter::ids(&[4625])).unwrap();
        assert_eq!(log.events.len(), 15);
        assert!(log.events.iter().all(|e| e.event_id == 4625));
        assert_eq!(log.records_seen, 636);
        assert_eq!(log.records_seen, everything.records_seen);
        assert_eq!(everything.events.len(), 636);
        let none = parse(&bytes, &EventFilter::ids(&[1])).unwrap();
        assert!(none.events.is_empty());
        assert_eq!(none.records_seen, 636);
    }

    #[test]
    fn truncated_log_keeps_what_precedes_the_cut() {
        let Some(bytes) = sample("evtx-crate__security.evtx") else {
            return;
        };
        let full = all(&bytes);
        let cut = FILE_HEADER_SIZE + 3 * CHUNK_SIZE + 30_000;
        let log = all(&bytes[..cut]);
        assert!(log.events.len() > 200);
        assert!(log.events.len() < full.events.len());
        assert!(log.records_skipped > 0);
        assert!(
            log.errors
                .iter()
                .any(|e| e.contains("chunk 3") && e.contains("records lost")),
            "{:?}",
            log.errors
        );
        // Every event kept is one of the full log's.
        assert!(log.events.iter().all(|e| full.events.contains(e)));
        // Cut anywhere: never an error, never a panic.
        for cut in [
            8,
            100,
            4095,
            4096,
            4097,
            4096 + 511,
            4096 + 512,
            4096 + 40_000,
            70_000,
        ] {
            let log = all(&bytes[..cut]);
            assert!(log.records_seen >= log.events.len() as u64, "cut at {cut}");
        }
    }

    #[test]
    fn random_bytes_after_the_header_do_not_panic() {
        let mut file = EVTX_MAGIC.to_vec();
        file.resize(FILE_HEADER_SIZE, 0);
        file.extend(noise(7, 3 * CHUNK_SIZE));
        let log = all(&file);
        assert!(log.events.is_empty());
        assert_eq!(log.chunks_skipped, 3);

        // Noise behind a real chunk header and string/template tables: the records themselves
        // are garbage, deeper in the reader.
        let Some(bytes) = sample("evtx-crate__security.evtx") else {
            return;
        };
        for seed in 1..8u64 {
            let mut file = bytes[..FILE_HEADER_SIZE + CHUNK_SIZE].to_vec();
            let records = FILE_HEADER_SIZE + 512 + 2048;
            let garbage = noise(seed, file.len() - records);
            file[records..].copy_from_slice(&garbage);
            let log = all(&file);
            assert!(log.records_seen >= log.events.len() as u64);
            // And flipped bytes scattered through a whole chunk.
            let mut file = bytes[..FILE_HEADER_SIZE + CHUNK_SIZE].to_vec();
            for (i, b) in noise(seed * 31, 400).chunks(2).enumerate() {
                let at =
                    FILE_HEADER_SIZE + (usize::from(b[0]) << 8 | usize::from(b[1])) % CHUNK_SIZE;
                file[at] ^= (i as u8) | 1;
            }
            let _ = all(&file);
        }
    }

    #[test]
    fn not_evtx_is_an_error() {
        assert!(parse(b"", &EventFilter::all()).is_err());
        assert!(parse(b"ElfChnk\0", &EventFilter::all()).is_err());
        assert!(parse(b"<Event xmlns=", &EventFilter::all()).is_err());
        assert!(!sniff(b"ElfFile"));
        assert!(sniff(b"ElfFile\0"));
        // The magic alone is a (headerless) log with nothing in it.
        let log = all(EVTX_MAGIC);
        assert!(log.events.is_empty());
        assert_eq!(log.errors.len(), 1);
    }

    #[test]
    fn get_ignores_case_and_returns_first() {
        let e = Event {
            data: vec![
                ("SubStatus".into(), "0xc000006a".into()),
                ("substatus".into(), "second".into()),
            ],
            ..Event::default()
        };
        assert_eq!(e.get("SUBSTATUS"), Some("0xc000006a"));
        assert_eq!(e.get("Status"), None);
    }

    #[test]
    fn filter_basics() {
        assert!(EventFilter::all().wants(1));
        assert!(EventFilter::ids(&[]).wants(7));
        let f = EventFilter::ids(&[4625, 131]);
        assert!(f.wants(131) && f.wants(4625) && !f.wants(4624));
        assert!(RDP_EVENT_IDS.contains(&1149) && RDP_EVENT_IDS.contains(&36888));
    }

    #[test]
    fn template_layout_needs_agreement_and_distrusts_on_conflict() {
        let mut layouts = TemplateLayouts::default();
        assert!(!layouts.trusted(550));
        layouts.learn(550, true);
        assert!(!layouts.trusted(550));
        layouts.learn(550, true);
        assert!(layouts.trusted(550));
        layouts.learn(550, false);
        assert!(!layouts.trusted(550));
        layouts.learn(550, true);
        assert!(!layouts.trusted(550));
        assert!(!layouts.trusted(999));
    }
}

//! BinXML, the binary XML inside `.evtx` records, read straight from the chunk bytes into an
//! [`Event`], without rendering XML.
//!
//! A live log's record is a small token stream (MS-EVEN6 2.2.12): almost always one template
//! instance, a reference to a template definition (the event's element tree with numbered
//! substitution slots, stored once per chunk) and the record's values for those slots. The
//! element names, the `<EventID>` slot and the `Data Name='…'` labels are in the definition,
//! shared by every record of that shape; Windows even stores `EventData` as a value holding
//! an embedded fragment with a template of its own. Some logs are different: their records are
//! plain elements with string values, no templates (the public mitre samples, exported by
//! some tool; which export paths write them so is not verified here).
//!
//! So: [`Reader::peek`] learns once per template where its `EventID` (and, for logons, the
//! `LogonType` inside the embedded `EventData`) sits and reads just those values of each
//! record, or walks a plain record's first tokens for them; a record the checks do not want
//! costs a few bounds-checked reads. [`Reader::build`] compiles each template once into ops
//! (which event field or data pair each slot fills, under which dependency) and runs them on
//! each record's values; plain records, and the odd record a compiled template does not fit,
//! are walked token by token. Both fill the [`Event`] exactly as `event_xml` fills one from
//! the XML the `evtx` crate renders: same names, same text (the XML layer's line-end and
//! attribute whitespace normalization included), same order.
//!
//! Anything this reader does not reproduce exactly (arrays of other than strings, ANSI strings,
//! floats, SYSTEMTIMEs, malformed streams) is a [`Miss`]: the caller hands such records to the
//! `evtx` crate, which renders them as before. Tests compare the paths record by record over
//! every real sample.

use super::{Event, EventData};
use crate::parse::event_xml::normalize_time;
use std::rc::Rc;

/// Most `(name, value)` pairs kept per event, as in `event_xml`.
const MAX_DATA_ITEMS: usize = 1024;
/// Deepest element nesting accepted, as in `event_xml`.
const MAX_DEPTH: usize = 64;
/// Deepest nesting of templates and embedded BinXML values (real events nest two).
const MAX_NESTING: usize = 8;
/// Most substitution values a template instance may declare; real ones have under 100.
const MAX_VALUES: u32 = 4096;
/// Size of a template definition header (next offset, GUID, data size).
const TEMPLATE_HEADER_SIZE: usize = 24;

/// Why a record was left to the `evtx` crate. The text is for tests and debugging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Miss(pub &'static str);

type Result<T> = std::result::Result<T, Miss>;

fn miss<T>(why: &'static str) -> Result<T> {
    Err(Miss(why))
}

/// Value types (MS-EVEN6 2.2.18), the ones read here.
mod ty {
    pub const NULL: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const INT8: u8 = 0x03;
    pub const UINT8: u8 = 0x04;
    pub const INT16: u8 = 0x05;
    pub const UINT16: u8 = 0x06;
    pub const INT32: u8 = 0x07;
    pub const UINT32: u8 = 0x08;
    pub const INT64: u8 = 0x09;
    pub const UINT64: u8 = 0x0a;
    pub const BOOL: u8 = 0x0d;
    pub const BINARY: u8 = 0x0e;
    pub const GUID: u8 = 0x0f;
    pub const SIZE_T: u8 = 0x10;
    pub const FILETIME: u8 = 0x11;
    pub const SID: u8 = 0x13;
    pub const HEX_INT32: u8 = 0x14;
    pub const HEX_INT64: u8 = 0x15;
    pub const BIN_XML: u8 = 0x21;
    /// Set on array types: an array repeats the element holding it, once per item.
    pub const ARRAY: u8 = 0x80;
    /// NUL-terminated UTF-16 strings back to back, the only array type seen in real logs.
    pub const STRING_ARRAY: u8 = 0x81;
}

fn u8_at(d: &[u8], p: usize) -> Option<u8> {
    d.get(p).copied()
}

fn u16_at(d: &[u8], p: usize) -> Option<u16> {
    Some(u16::from_le_bytes(*d.get(p..)?.first_chunk()?))
}

fn u32_at(d: &[u8], p: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*d.get(p..)?.first_chunk()?))
}

fn u64_at(d: &[u8], p: usize) -> Option<u64> {
    Some(u64::from_le_bytes(*d.get(p..)?.first_chunk()?))
}

/// One substitution value: its type and its bytes (the descriptor's size).
#[derive(Clone, Copy)]
struct Value<'a> {
    ty: u8,
    bytes: &'a [u8],
}

/// A template instance: where its definition's element stream is, and its values.
struct Instance<'a> {
    /// Chunk offset of the definition: names the template within the chunk.
    def_offset: u32,
    values: Vec<Value<'a>>,
    /// Offset just past the instance.
    end: usize,
}

/// Reads the template instance whose token (0x0C) is at `pos`.
fn read_instance(d: &[u8], pos: usize) -> Option<Instance<'_>> {
    let def_offset = u32_at(d, pos + 6)?;
    let mut p = pos + 10;
    // The first record using a template carries its definition inline, right here.
    if def_offset as usize == p {
        let size = u32_at(d, p + 20)? as usize;
        p = p.checked_add(TEMPLATE_HEADER_SIZE)?.checked_add(size)?;
    }
    let count = u32_at(d, p)?;
    if count > MAX_VALUES {
        return None;
    }
    let descriptors = p + 4;
    let mut at = descriptors.checked_add(count as usize * 4)?;
    let mut values = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let size = u16_at(d, descriptors + i * 4)? as usize;
        let ty = u8_at(d, descriptors + i * 4 + 2)?;
        let bytes = d.get(at..at.checked_add(size)?)?;
        if overreads(Value { ty, bytes }) {
            return None;
        }
        values.push(Value { ty, bytes });
        at += size;
    }
    Some(Instance {
        def_offset,
        values,
        end: at,
    })
}

/// Whether the `evtx` crate reads `v` past the size its descriptor gives: it reads numbers,
/// GUIDs and SIDs by their own length and string arrays up to a NUL, and reads the values
/// after from where that left it. Windows never writes such a value (a damaged or crafted
/// record does), so the record is the crate's to read, as it always was. Found by the
/// `binxml` fuzz target: a SID declared 28 bytes long whose count says 99 sub-authorities.
fn overreads(v: Value<'_>) -> bool {
    let size = v.bytes.len();
    let own = match v.ty {
        ty::INT8 | ty::UINT8 => 1,
        ty::INT16 | ty::UINT16 => 2,
        // 0x0b: REAL32.
        ty::INT32 | ty::UINT32 | 0x0b | ty::BOOL | ty::HEX_INT32 => 4,
        // 0x0c: REAL64.
        ty::INT64 | ty::UINT64 | 0x0c | ty::FILETIME | ty::HEX_INT64 => 8,
        // 0x12: SYSTEMTIME.
        ty::GUID | 0x12 => 16,
        ty::SID => 8 + 4 * usize::from(u8_at(v.bytes, 1).unwrap_or(0)),
        ty::STRING_ARRAY => {
            return size > 0
                && (!size.is_multiple_of(2) || v.bytes.get(size - 2..) != Some(&[0, 0]));
        }
        _ => 0,
    };
    own > size
}

/// Value `n` of the template instance whose token is at `pos`, without reading the others.
fn instance_value(d: &[u8], pos: usize, n: u16) -> Option<Value<'_>> {
    let def_offset = u32_at(d, pos + 6)?;
    let mut p = pos + 10;
    if def_offset as usize == p {
        let size = u32_at(d, p + 20)? as usize;
        p = p.checked_add(TEMPLATE_HEADER_SIZE)?.checked_add(size)?;
    }
    let count = u32_at(d, p)?;
    let n = usize::from(n);
    if n >= count as usize || count > MAX_VALUES {
        return None;
    }
    let descriptors = p + 4;
    let mut at = descriptors + count as usize * 4;
    for i in 0..n {
        at = at.checked_add(u16_at(d, descriptors + i * 4)? as usize)?;
    }
    let size = u16_at(d, descriptors + n * 4)? as usize;
    let ty = u8_at(d, descriptors + n * 4 + 2)?;
    Some(Value {
        ty,
        bytes: d.get(at..at.checked_add(size)?)?,
    })
}

/// The element stream of the template defined at `def_offset`.
fn definition_range(d: &[u8], def_offset: u32) -> Option<(usize, usize)> {
    let start = (def_offset as usize).checked_add(TEMPLATE_HEADER_SIZE)?;
    let size = u32_at(d, def_offset as usize + 20)? as usize;
    let end = start.checked_add(size)?;
    (end <= d.len()).then_some((start, end))
}

/// The UTF-16 code units of the name whose string-table entry is at `offset`, up to a NUL
/// within its length, as the crate reads names (found by the `binxml` fuzz target: a name
/// whose length was damaged still reads as the name before its terminator).
fn name_units(d: &[u8], offset: u32) -> Option<&[u8]> {
    let p = offset as usize;
    let len = u16_at(d, p + 6)? as usize;
    d.get(p + 8..(p + 8).checked_add(len * 2)?).map(until_nul)
}

/// Whether the name at `offset` is `ascii`, ignoring a namespace prefix.
fn name_is(d: &[u8], offset: u32, ascii: &str) -> bool {
    let Some(units) = name_units(d, offset) else {
        return false;
    };
    let units = local_units(units);
    units.len() == ascii.len() * 2
        && units
            .as_chunks::<2>()
            .0
            .iter()
            .zip(ascii.bytes())
            .all(|(&u, a)| u == [a, 0])
}

/// The element and attribute names the event reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameKind {
    Event,
    System,
    EventData,
    UserData,
    EventId,
    EventRecordId,
    Channel,
    Computer,
    Provider,
    TimeCreated,
    Data,
    Name,
    EventSourceName,
    SystemTime,
    Other,
}

/// Which known name the name at `offset` is (its local part): one read of the name, one
/// match, where comparing with each candidate in turn read it a dozen times per element.
fn name_kind(d: &[u8], offset: u32) -> NameKind {
    let Some(units) = name_units(d, offset) else {
        return NameKind::Other;
    };
    let units = local_units(units);
    let mut buf = [0u8; 16];
    if units.len() > buf.len() * 2 {
        return NameKind::Other;
    }
    for (b, &[lo, hi]) in buf.iter_mut().zip(units.as_chunks::<2>().0) {
        if hi != 0 || lo >= 0x80 {
            return NameKind::Other;
        }
        *b = lo;
    }
    match buf.get(..units.len() / 2).unwrap_or_default() {
        b"Event" => NameKind::Event,
        b"System" => NameKind::System,
        b"EventData" => NameKind::EventData,
        b"UserData" => NameKind::UserData,
        b"EventID" => NameKind::EventId,
        b"EventRecordID" => NameKind::EventRecordId,
        b"Channel" => NameKind::Channel,
        b"Computer" => NameKind::Computer,
        b"Provider" => NameKind::Provider,
        b"TimeCreated" => NameKind::TimeCreated,
        b"Data" => NameKind::Data,
        b"Name" => NameKind::Name,
        b"EventSourceName" => NameKind::EventSourceName,
        b"SystemTime" => NameKind::SystemTime,
        _ => NameKind::Other,
    }
}

/// `units` past a `prefix:`, as an XML reader's local name, without the white space around
/// it. Windows never writes such a name, but a damaged string table can put a length or a line
/// feed before one (found by the `binxml` fuzz target: a name reference two bytes early read as
/// "\nSystemTime"); the crate writes it as is, and an XML reader of its rendering reads the
/// name, so this reader must too.
fn local_units(units: &[u8]) -> &[u8] {
    let space = |u: &&[u8; 2]| matches!(u, [b' ' | b'\t' | b'\r' | b'\n', 0]);
    let pairs = units.as_chunks::<2>().0;
    let pairs = pairs.get(pairs.iter().take_while(space).count()..);
    let pairs = pairs.unwrap_or_default();
    let pairs = pairs.get(..pairs.len() - pairs.iter().rev().take_while(space).count());
    let pairs = pairs.unwrap_or_default();
    let local = match pairs.iter().position(|&u| u == [b':', 0]) {
        Some(colon) => pairs.get(colon + 1..).unwrap_or_default(),
        None => pairs,
    };
    local.as_flattened()
}

/// The local name at `offset` as text.
///
/// Names are written as they are, unlike values: the crate puts a name's characters into its
/// XML unchanged, U+FFFF and control characters included (found by the `binxml` fuzz target:
/// a damaged `UserData` element name), and does not read a name with an unpaired surrogate
/// at all.
fn local_name(d: &[u8], offset: u32) -> String {
    let units = name_units(d, offset).unwrap_or(&[]);
    let units = local_units(units).as_chunks::<2>().0;
    char::decode_utf16(units.iter().map(|&u| u16::from_le_bytes(u)))
        .map(|c| c.unwrap_or('_'))
        .collect()
}

/// UTF-16LE as text, as the crate renders it into XML: unpaired surrogates and the characters
/// XML cannot hold (C0 controls but tab, LF and CR; U+FFFE, U+FFFF) become `_`.
fn utf16_text(units: &[u8]) -> String {
    let mut out = String::with_capacity(units.len() / 2);
    push_utf16(&mut out, units);
    out
}

fn push_utf16(out: &mut String, units: &[u8]) {
    // Nearly all text in a log is printable ASCII: copied as is.
    let pairs = units.as_chunks::<2>().0;
    if pairs
        .iter()
        .all(|&[lo, hi]| hi == 0 && (0x20..0x7f).contains(&lo))
    {
        out.reserve(pairs.len());
        out.extend(pairs.iter().map(|&[lo, _]| char::from(lo)));
        return;
    }
    let iter = pairs.iter().map(|&u| u16::from_le_bytes(u));
    for c in char::decode_utf16(iter) {
        // The crate's XML writer (utf16-simd) writes `_` for an unpaired surrogate, not U+FFFD.
        let c = c.unwrap_or('_');
        out.push(xml_safe(c));
    }
}

fn xml_safe(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '_',
        c => c,
    }
}

/// UTF-16LE up to its first NUL unit, as the crate reads sized strings.
fn until_nul(units: &[u8]) -> &[u8] {
    let pairs = units.as_chunks::<2>().0;
    let n = pairs
        .iter()
        .position(|&u| u == [0, 0])
        .unwrap_or(pairs.len());
    pairs.get(..n).unwrap_or_default().as_flattened()
}

/// Where a template keeps its event id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdSource {
    /// In substitution value `n`.
    Value(u16),
    /// Written in the definition itself.
    Literal(u32),
    /// Not plainly in an `<Event><System><EventID>` of this definition.
    Unknown,
}

/// Where a template keeps the values a record is filtered on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TemplateInfo {
    event_id: IdSource,
    /// `System/TimeCreated/@SystemTime`, when it is one value and nothing else.
    time: IdSource,
    /// `EventData/Data[@Name='LogonType']` (4624, 4625, 4634).
    logon_type: IdSource,
    /// A value that stands for a whole child of `<Event>`: Windows puts `EventData` or
    /// `UserData` there as an embedded fragment with a template of its own.
    payload: Option<u16>,
}

const UNKNOWN_TEMPLATE: TemplateInfo = TemplateInfo {
    event_id: IdSource::Unknown,
    time: IdSource::Unknown,
    logon_type: IdSource::Unknown,
    payload: None,
};

/// What a record says before it is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Peek {
    pub event_id: u32,
    /// Its `LogonType`, when its template has one and the value reads as a number.
    pub logon_type: Option<u32>,
}

/// Reads the records of one chunk. Caches, per template, where its event id is.
pub(super) struct Reader<'a> {
    data: &'a [u8],
    templates: Vec<(u32, TemplateInfo)>,
    /// Compiled templates by (definition offset, depth, section); `None`: does not compile.
    plans: Vec<PlanEntry>,
    /// Strings reused from one walked event to the next.
    pool: Vec<String>,
    /// Shapes of the plain records seen in this chunk (see [`Shape`]).
    shapes: Vec<Shape>,
    /// The text values of the plain record being built, reused from one record to the next.
    plain_values: Vec<Value<'a>>,
    /// The buffer events are built in, reused from one record to the next.
    spare: EventData,
    /// Records built from a compiled template, from a plain record's shape, and walked token
    /// by token.
    pub(super) compiled: u64,
    pub(super) shaped: u64,
    pub(super) walked: u64,
}

type PlanEntry = ((u32, usize, Option<Section>), Option<Rc<Vec<Op>>>);

impl<'a> Reader<'a> {
    /// `data` is the whole 64 KiB chunk: offsets in BinXML are chunk offsets.
    pub(super) fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            templates: Vec::new(),
            plans: Vec::new(),
            pool: Vec::new(),
            shapes: Vec::new(),
            plain_values: Vec::new(),
            spare: EventData::new(),
            compiled: 0,
            shaped: 0,
            walked: 0,
        }
    }

    /// The event id (and logon type) of the record whose BinXML is `data[start..end]`, when
    /// they can be read without building the event. `None` means: build it to know.
    pub(super) fn peek(&mut self, start: usize, end: usize) -> Option<Peek> {
        let d = self.data;
        let Some(pos) = instance_start(d, start, end) else {
            return peek_direct(d, start, end);
        };
        let def_offset = u32_at(d, pos + 6)?;
        let info = self.template(def_offset);
        let read = |pos: usize, source: IdSource| match source {
            IdSource::Literal(n) => Some(n),
            IdSource::Unknown => None,
            IdSource::Value(i) => instance_value(d, pos, i).and_then(value_as_id),
        };
        let event_id = read(pos, info.event_id)?;
        let mut logon_type = read(pos, info.logon_type);
        if logon_type.is_none() && matches!(event_id, 4624 | 4634) {
            // The EventData of a Security event is an embedded fragment: one more template.
            logon_type = info
                .payload
                .and_then(|i| instance_value(d, pos, i))
                .filter(|v| v.ty == ty::BIN_XML)
                .and_then(|v| {
                    let start = offset_in(d, v.bytes).ok()?;
                    let inner = instance_start(d, start, start + v.bytes.len())?;
                    let inner_info = self.template(u32_at(d, inner + 6)?);
                    read(inner, inner_info.logon_type)
                });
        }
        Some(Peek {
            event_id,
            logon_type,
        })
    }

    /// The record's time as [`time_key`] numbers `Event::time`, read without building the
    /// event, when it is plainly one value (a template's `SystemTime` slot, a plain record's
    /// `SystemTime` text). The time is rendered and normalized exactly as building does, so
    /// the number is the built event's.
    pub(super) fn time_key(&mut self, start: usize, end: usize) -> Option<u64> {
        let d = self.data;
        let text = match instance_start(d, start, end) {
            Some(pos) => {
                let info = self.template(u32_at(d, pos + 6)?);
                let IdSource::Value(n) = info.time else {
                    return None;
                };
                let v = instance_value(d, pos, n)?;
                match v.ty {
                    ty::FILETIME => filetime_text(u64_at(v.bytes, 0)?),
                    ty::STRING => utf16_text(until_nul(v.bytes)),
                    _ => return None,
                }
            }
            None => plain_time_text(d, start, end)?,
        };
        time_key(&millisecond_time(&normalize_attribute(text)))
    }

    fn template(&mut self, def_offset: u32) -> TemplateInfo {
        if let Some((_, t)) = self.templates.iter().find(|(o, _)| *o == def_offset) {
            return *t;
        }
        let info = definition_range(self.data, def_offset)
            .map(|(s, e)| find_sources(self.data, s, e))
            .unwrap_or(UNKNOWN_TEMPLATE);
        self.templates.push((def_offset, info));
        info
    }

    /// Builds the event of the record whose BinXML is `data[start..end]`. Record id and header
    /// time are the caller's. The record's template is compiled once per chunk and filled
    /// with each record's values; a plain record (no template) is matched against the shapes
    /// of the plain records before it, compiled the same way; records neither fits (arrays,
    /// fragments that are not one instance) are walked token by token. `event_id`, when the
    /// caller peeked it, says which shapes to try.
    pub(super) fn build(
        &mut self,
        start: usize,
        end: usize,
        event_id: Option<u32>,
    ) -> Result<Event> {
        if let Some(Ok(event)) = self.build_compiled(start, end) {
            self.compiled += 1;
            return Ok(event);
        }
        if instance_start(self.data, start, end).is_none() {
            if let Some(Ok(event)) = self.build_shaped(start, end, event_id) {
                self.shaped += 1;
                return Ok(event);
            }
        }
        self.walked += 1;
        self.build_walked(start, end)
    }

    /// The event of a plain record from the shape it shares with earlier records of the
    /// chunk, compiling its own shape when none fits; `None` when it has no usable shape.
    fn build_shaped(
        &mut self,
        start: usize,
        end: usize,
        event_id: Option<u32>,
    ) -> Option<Result<Event>> {
        let d = self.data;
        let mut values = std::mem::take(&mut self.plain_values);
        let mut found = self.shapes.iter().position(|shape| {
            event_id.is_none_or(|id| id == shape.event_id)
                && shape.matches(d, start, end, &mut values)
        });
        if found.is_none() && self.shapes.len() < MAX_SHAPES {
            let shape = Shape::compile(d, start, end, event_id.unwrap_or(u32::MAX))?;
            if shape.matches(d, start, end, &mut values) {
                self.shapes.push(shape);
                found = Some(self.shapes.len() - 1);
            }
        }
        let shape = self.shapes.get(found?)?;
        let mut exec = Exec::with_data(std::mem::take(&mut self.spare));
        let mut no_fragments = |_: Value<'a>, _: usize, _: Option<Section>| Ok(None);
        let ran = exec.run(&shape.ops, Some(&values), &mut no_fragments, 0);
        self.plain_values = values;
        Some(ran.and_then(|_| exec.finish(&mut self.spare)))
    }

    /// The event from the record's compiled template; `None` when there is none.
    fn build_compiled(&mut self, start: usize, end: usize) -> Option<Result<Event>> {
        let d = self.data;
        let pos = instance_start(d, start, end)?;
        let inst = read_instance(d, pos)?;
        if !ends_here(d, inst.end, end) {
            return None;
        }
        let ops = self.plan(inst.def_offset, 0, None)?;
        let mut exec = Exec::with_data(std::mem::take(&mut self.spare));
        let mut fragment = |v: Value<'a>, depth: usize, section: Option<Section>| {
            let start = offset_in(d, v.bytes)?;
            let end = start + v.bytes.len();
            let Some(inner) = instance_start(d, start, end).and_then(|p| read_instance(d, p))
            else {
                return Ok(None);
            };
            if !ends_here(d, inner.end, end) {
                return Ok(None);
            }
            Ok(self
                .plan(inner.def_offset, depth, section)
                .map(|ops| FragmentOps {
                    ops,
                    values: inner.values,
                }))
        };
        let ran = exec.run(&ops, Some(&inst.values), &mut fragment, 0);
        Some(ran.and_then(|_| exec.finish(&mut self.spare)))
    }

    /// The compiled ops of the template defined at `def_offset`, its root opening at `depth`
    /// in `section`; `None` when it does not compile.
    fn plan(
        &mut self,
        def_offset: u32,
        depth: usize,
        section: Option<Section>,
    ) -> Option<Rc<Vec<Op>>> {
        let key = (def_offset, depth, section);
        if let Some((_, plan)) = self.plans.iter().find(|(k, _)| *k == key) {
            return plan.clone();
        }
        let plan = definition_range(self.data, def_offset).and_then(|(s, e)| {
            let mut b = Builder::compiling(depth, section);
            let mut walk = Walk {
                d: self.data,
                b: &mut b,
                nesting: 0,
            };
            let ok =
                walk.stream(s, e, true, None).is_ok() && b.stack.len() == depth && b.attr.is_none();
            ok.then(|| Rc::new(b.ops))
        });
        self.plans.push((key, plan.clone()));
        plan
    }

    /// The event from walking the record's tokens with its values.
    fn build_walked(&mut self, start: usize, end: usize) -> Result<Event> {
        let mut b = Builder::with_pool(std::mem::take(&mut self.pool));
        b.exec = Exec::with_data(std::mem::take(&mut self.spare));
        let mut walk = Walk {
            d: self.data,
            b: &mut b,
            nesting: 0,
        };
        let walked = walk.stream(start, end, false, None);
        let complete = b.stack.is_empty();
        self.pool = std::mem::take(&mut b.pool);
        walked?;
        if !complete {
            return miss("record ends inside an element");
        }
        b.exec.finish(&mut self.spare)
    }
}

/// Most shapes of plain records kept per chunk. A chunk of an exported Security log holds a
/// few event types; past this many, the odd ones are walked.
const MAX_SHAPES: usize = 16;
/// Most tokens in a shape; longer plain records are walked.
const MAX_SHAPE_STEPS: usize = 4096;

/// The token structure of a plain record, compiled like a template. A log stored without
/// templates holds each record as plain elements with string values, and the records of one event type repeat the same elements, attributes and names (chunk
/// string-table offsets), only the values differ: the shape is that structure with each text
/// value a slot, so the next such record costs one pass over its tokens, checking them against
/// the steps and collecting its values, and then the compiled ops. A `Data` element's `Name`
/// is part of the shape, not a slot: it names the value.
struct Shape {
    /// The event id of the record it was compiled from, to try the right shapes first.
    event_id: u32,
    steps: Vec<Step>,
    ops: Vec<Op>,
}

/// One token of a [`Shape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Open(u32),
    Attribute(u32),
    /// A text value: the record's next value.
    Slot,
    /// Text every record of the shape has: where it is in the chunk (start, length).
    Literal(usize, usize),
    CloseStart,
    CloseEmpty,
    End,
    Skip,
    Eof,
}

impl Shape {
    /// Compiles the plain record `d[start..end]`; `None` when it has tokens a shape does not
    /// hold (template instances, substitutions, entity and character references) or does not
    /// compile.
    fn compile(d: &[u8], start: usize, end: usize, event_id: u32) -> Option<Shape> {
        let mut b = Builder::compiling(0, None);
        let mut steps = Vec::new();
        let mut slots: u16 = 0;
        for token in Tokens::new(d, start, end, false) {
            if steps.len() >= MAX_SHAPE_STEPS {
                return None;
            }
            let step = match token.ok()? {
                Token::Eof => Step::Eof,
                Token::Open { name, .. } => {
                    b.open(d, name, None).ok()?;
                    Step::Open(name)
                }
                Token::CloseStart => {
                    b.close_start(d).ok()?;
                    Step::CloseStart
                }
                Token::CloseEmpty => {
                    b.close_start(d).ok()?;
                    b.end().ok()?;
                    Step::CloseEmpty
                }
                Token::End => {
                    b.end().ok()?;
                    Step::End
                }
                Token::Attribute { name } => {
                    b.attribute(d, name);
                    Step::Attribute(name)
                }
                Token::Text(units) | Token::CData(units) if b.reading_data_name() => {
                    b.text_units(units).ok()?;
                    Step::Literal(offset_in(d, units).ok()?, units.len())
                }
                Token::Text(_) | Token::CData(_) => {
                    b.text_slot(slots);
                    slots = slots.checked_add(1)?;
                    Step::Slot
                }
                Token::Skip => Step::Skip,
                Token::CharRef(_)
                | Token::EntityRef { .. }
                | Token::TemplateInstance(_)
                | Token::Substitution { .. } => return None,
            };
            steps.push(step);
        }
        (b.stack.is_empty() && b.attr.is_none()).then_some(Shape {
            event_id,
            steps,
            ops: b.ops,
        })
    }

    /// Whether the plain record `d[start..end]` has this shape; its text values go to
    /// `values`.
    fn matches<'a>(
        &self,
        d: &'a [u8],
        start: usize,
        end: usize,
        values: &mut Vec<Value<'a>>,
    ) -> bool {
        values.clear();
        let mut tokens = Tokens::new(d, start, end, false);
        for step in &self.steps {
            let Some(Ok(token)) = tokens.next() else {
                return false;
            };
            let same = match (*step, token) {
                (Step::Open(a), Token::Open { name, .. }) => a == name,
                (Step::Attribute(a), Token::Attribute { name }) => a == name,
                (Step::Slot, Token::Text(units) | Token::CData(units)) => {
                    values.push(Value {
                        ty: ty::STRING,
                        bytes: units,
                    });
                    true
                }
                (Step::Literal(at, len), Token::Text(units) | Token::CData(units)) => {
                    d.get(at..at + len) == Some(units)
                }
                (Step::CloseStart, Token::CloseStart)
                | (Step::CloseEmpty, Token::CloseEmpty)
                | (Step::End, Token::End)
                | (Step::Skip, Token::Skip)
                | (Step::Eof, Token::Eof) => true,
                _ => false,
            };
            if !same {
                return false;
            }
        }
        tokens.next().is_none()
    }
}

/// Whether a stream that should be one template instance ends where the instance does (or
/// with an end-of-stream token there).
fn ends_here(d: &[u8], instance_end: usize, end: usize) -> bool {
    instance_end == end || (instance_end < end && d.get(instance_end) == Some(&0))
}

/// What a record without a template says before it is built. Logs stored without templates
/// hold records as plain elements with string values; the event id is a few tokens in, the
/// logon type (wanted only for logon events) further on, in `EventData`.
///
/// Building takes the first `System/EventID` that reads as a number and the first data item
/// named `LogonType` (`Event::get` finds the first, ignoring case), so the first of each
/// decides here too. Anything that is not plainly one text (a value in pieces or with a
/// reference, a substitution, a `UserData` section before `EventData`) leaves the answer to
/// building: `None`, or no logon type. Never a wrong answer: a wrong one would drop a record
/// the filter keeps.
fn peek_direct(d: &[u8], start: usize, end: usize) -> Option<Peek> {
    /// The element whose content is read.
    #[derive(Clone, Copy, PartialEq)]
    enum Item {
        EventId,
        LogonType,
    }
    /// The start tag being read: the first `EventID`'s, or an `EventData` child's.
    enum Tag<'a> {
        Other,
        EventId,
        Child {
            is_data: bool,
            element: u32,
            name: Name<'a>,
        },
    }
    /// An `EventData` child's `Name` (the first one names the item, as building reads it).
    enum Name<'a> {
        Absent,
        Empty,
        Text(&'a [u8]),
        Unclear,
    }
    let mut depth = 0usize;
    let mut section = NameKind::Other;
    let mut event_id: Option<u32> = None;
    // A data item before the one being looked for may be named `LogonType` unseen.
    let mut logon_unclear = false;
    let mut tag = Tag::Other;
    // The attribute being read is the first `Name` of an `EventData` child.
    let mut in_name = false;
    let mut in_attribute = false;
    let mut content: Option<(Item, Option<&[u8]>)> = None;
    let no_logon = |event_id: Option<u32>| {
        event_id.map(|event_id| Peek {
            event_id,
            logon_type: None,
        })
    };
    for token in Tokens::new(d, start, end, false) {
        let token = token.ok()?;
        if let Some((item, text)) = content {
            // The content of the element read: one text, then its end.
            match (token, text) {
                (Token::Text(units), None) => content = Some((item, Some(units))),
                (Token::End, Some(units)) => {
                    content = None;
                    depth = depth.checked_sub(1)?;
                    let n = utf16_text(units).trim().parse().ok();
                    match item {
                        Item::EventId => {
                            let id = n?;
                            if !matches!(id, 4624 | 4634) || logon_unclear {
                                return no_logon(Some(id));
                            }
                            event_id = Some(id);
                        }
                        Item::LogonType => {
                            return Some(Peek {
                                event_id: event_id?,
                                logon_type: n,
                            })
                        }
                    }
                }
                _ if item == Item::EventId => return None,
                _ => return no_logon(event_id),
            }
            continue;
        }
        match token {
            Token::Open { name, .. } => {
                if !matches!(tag, Tag::Other) {
                    // An element inside a start tag that was read.
                    return no_logon(event_id.filter(|_| matches!(tag, Tag::Child { .. })));
                }
                let kind = name_kind(d, name);
                match depth {
                    0 if kind != NameKind::Event => return None,
                    1 => {
                        section = kind;
                        if kind == NameKind::UserData {
                            // Its fields are data items too, named by their elements.
                            logon_unclear = true;
                        }
                    }
                    2 if section == NameKind::System
                        && kind == NameKind::EventId
                        && event_id.is_none() =>
                    {
                        tag = Tag::EventId;
                    }
                    2 if section == NameKind::EventData => {
                        tag = Tag::Child {
                            is_data: kind == NameKind::Data,
                            element: name,
                            name: Name::Absent,
                        };
                    }
                    _ => {}
                }
                depth += 1;
                in_name = false;
                in_attribute = false;
            }
            Token::Attribute { name } => {
                in_attribute = true;
                in_name = false;
                if let Tag::Child { name: first, .. } = &mut tag {
                    if matches!(first, Name::Absent) && name_kind(d, name) == NameKind::Name {
                        *first = Name::Empty;
                        in_name = true;
                    }
                }
            }
            Token::Text(units) if in_attribute => {
                if let (true, Tag::Child { name, .. }) = (in_name, &mut tag) {
                    *name = match name {
                        Name::Empty => Name::Text(units),
                        _ => Name::Unclear,
                    };
                }
            }
            Token::CloseStart | Token::CloseEmpty => {
                let empty = matches!(token, Token::CloseEmpty);
                match std::mem::replace(&mut tag, Tag::Other) {
                    Tag::Other => {}
                    Tag::EventId if empty => return None,
                    Tag::EventId => content = Some((Item::EventId, None)),
                    Tag::Child {
                        is_data,
                        element,
                        name,
                    } => {
                        let logon_type = match name {
                            Name::Unclear => None,
                            Name::Text(units) => {
                                let name = normalize_attribute(utf16_text(units));
                                Some(names_logon_type(d, is_data, element, &name))
                            }
                            Name::Absent | Name::Empty => {
                                Some(names_logon_type(d, is_data, element, ""))
                            }
                        };
                        match (logon_type, event_id) {
                            (Some(false), _) => {}
                            (Some(true), Some(_)) if !empty && !logon_unclear => {
                                content = Some((Item::LogonType, None));
                            }
                            (_, Some(_)) => return no_logon(event_id),
                            (_, None) => logon_unclear = true,
                        }
                    }
                }
                in_attribute = false;
                in_name = false;
                if empty {
                    depth = depth.checked_sub(1)?;
                }
            }
            Token::End => {
                if !matches!(tag, Tag::Other) {
                    return no_logon(event_id.filter(|_| matches!(tag, Tag::Child { .. })));
                }
                depth = depth.checked_sub(1)?;
                if depth == 1 && section == NameKind::EventData {
                    break;
                }
            }
            Token::Eof => break,
            Token::Skip => {}
            // A value or a template: it may hold the very element looked for.
            Token::Substitution { .. } | Token::TemplateInstance(_) => {
                event_id?;
                return no_logon(event_id);
            }
            // A piece of an attribute not read, or of content not read.
            _ if in_attribute && !in_name => {}
            _ if !in_attribute && matches!(tag, Tag::Other) => {}
            // A `Name` in pieces, text in a start tag read: for building to say.
            _ => {
                if matches!(tag, Tag::EventId) {
                    return None;
                }
                event_id?;
                return no_logon(event_id);
            }
        }
    }
    no_logon(event_id)
}

/// Whether an `EventData` child is the item the logon filter reads (`Event::get("LogonType")`
/// ignores case). Building names it by its first `Name` (`name`, normalized), or when that is
/// empty by its element, unless it is an unnamed `Data` (`Data1`, `Data2`...).
fn names_logon_type(d: &[u8], is_data: bool, element: u32, name: &str) -> bool {
    let is_logon_type = |n: &str| n.eq_ignore_ascii_case("LogonType");
    if name.is_empty() {
        !is_data && is_logon_type(&local_name(d, element))
    } else {
        is_logon_type(name)
    }
}

/// The `SystemTime` text of a plain record's `<Event><System><TimeCreated>`, when it is one
/// text token. Building takes the first time given (the first `SystemTime` of the first
/// `TimeCreated` that has one), so that one decides; a substitution or template before it may
/// hold another, so then there is no answer.
fn plain_time_text(d: &[u8], start: usize, end: usize) -> Option<String> {
    let mut depth = 0usize;
    let mut in_system = false;
    let mut in_time_created = false;
    // The element's first `SystemTime` was seen: building reads only that one.
    let mut time_attr_seen = false;
    let mut value: Option<&[u8]> = None;
    let mut reading = false;
    for token in Tokens::new(d, start, end, false) {
        let token = token.ok()?;
        if let Some(units) = value {
            // The value must be the whole attribute.
            return match token {
                Token::Attribute { .. } | Token::CloseStart | Token::CloseEmpty => {
                    Some(utf16_text(units))
                }
                _ => None,
            };
        }
        match token {
            Token::Open { name, .. } => {
                let kind = name_kind(d, name);
                match depth {
                    0 if kind != NameKind::Event => return None,
                    1 => in_system = kind == NameKind::System,
                    _ => {}
                }
                in_time_created = depth == 2 && in_system && kind == NameKind::TimeCreated;
                time_attr_seen = false;
                depth += 1;
                reading = false;
            }
            Token::Attribute { name } => {
                reading = in_time_created
                    && !time_attr_seen
                    && name_kind(d, name) == NameKind::SystemTime;
                time_attr_seen |= reading;
            }
            Token::Text(units) if reading => value = Some(units),
            Token::Substitution { .. } | Token::TemplateInstance(_) => return None,
            Token::CloseStart => {
                reading = false;
                in_time_created = false;
            }
            Token::CloseEmpty | Token::End => {
                depth = depth.checked_sub(1)?;
                reading = false;
                in_time_created = false;
                if depth == 1 && in_system {
                    return None;
                }
            }
            Token::Eof => return None,
            _ if reading => return None,
            _ => {}
        }
    }
    None
}

/// An event time as [`Event::time`] holds it (`2021-12-16T10:19:07.348Z`) as a number that
/// orders as the text does (YYYYMMDDhhmmssmmm); `None` for any other text.
pub(super) fn time_key(t: &str) -> Option<u64> {
    let b = t.as_bytes();
    if b.len() != 24 {
        return None;
    }
    let mut key = 0u64;
    for (i, &c) in b.iter().enumerate() {
        let separator = match i {
            4 | 7 => Some(b'-'),
            10 => Some(b'T'),
            13 | 16 => Some(b':'),
            19 => Some(b'.'),
            23 => Some(b'Z'),
            _ => None,
        };
        match separator {
            Some(sep) if c == sep => {}
            Some(_) => return None,
            None if c.is_ascii_digit() => key = key * 10 + u64::from(c - b'0'),
            None => return None,
        }
    }
    Some(key)
}

/// Offset of the template instance token of a record that is one instance (after an optional
/// fragment header), as the event log service writes them.
fn instance_start(d: &[u8], start: usize, end: usize) -> Option<usize> {
    let pos = match d.get(start..end)? {
        [0x0f, _, _, _, 0x0c, ..] => start + 4,
        [0x0c, ..] => start,
        _ => return None,
    };
    Some(pos)
}

/// A value read as an event id: the integer types, or digits in a string.
fn value_as_id(v: Value<'_>) -> Option<u32> {
    // As building reads the value's text: a negative number or a hexadecimal one (`0x...`)
    // is not an id.
    let b = v.bytes;
    let signed = |n: u32, bits: u32| (n >> (bits - 1) == 0).then_some(n);
    match v.ty {
        ty::UINT16 => u16_at(b, 0).map(u32::from),
        ty::INT16 => signed(u32::from(u16_at(b, 0)?), 16),
        ty::UINT8 => u8_at(b, 0).map(u32::from),
        ty::INT8 => signed(u32::from(u8_at(b, 0)?), 8),
        ty::UINT32 => u32_at(b, 0),
        ty::INT32 => signed(u32_at(b, 0)?, 32),
        ty::STRING => utf16_text(until_nul(b)).trim().parse().ok(),
        _ => None,
    }
}

/// What leaves an element of a template out: the one value (if any) whose nullness leaves out
/// it or an ancestor. Windows makes an element depend on the value it holds (`<EventID>` on
/// its `%3`), and `<Event>` itself on the payload; a null there leaves out no more than the
/// value itself (or the whole event, which is then not built at all).
#[derive(Clone, Copy)]
enum Dependency {
    None,
    On(u16),
    /// More than one value: which elements remain is known only per record.
    Several,
}

impl Dependency {
    /// The dependencies of an element opening below `parent` with its own `dependency`; the
    /// root `<Event>`'s is not counted.
    fn of(
        parent: &[(u32, Option<u16>)],
        dependency: Option<u16>,
        is: &impl Fn(u32, &str) -> bool,
    ) -> Dependency {
        let below_root = match parent {
            [(root, _), rest @ ..] if is(*root, "Event") => rest,
            all => all,
        };
        let deps = below_root.iter().map(|&(_, d)| d).chain([dependency]);
        let mut found = Dependency::None;
        for d in deps.flatten() {
            found = match found {
                Dependency::None => Dependency::On(d),
                Dependency::On(n) if n == d => found,
                _ => Dependency::Several,
            };
        }
        found
    }

    /// `source` when the element holding it is there whenever its value is: it depends on
    /// nothing, or on that value alone.
    fn source(self, source: IdSource) -> IdSource {
        match (self, source) {
            (Dependency::None, s) => s,
            (Dependency::On(n), IdSource::Value(v)) if n == v => source,
            _ => IdSource::Unknown,
        }
    }
}

/// Where a template keeps what a record is filtered on: the first `<Event><System><EventID>`,
/// the first `SystemTime` of the first `<Event><System><TimeCreated>` that has one, and the
/// first `EventData` item named `LogonType` (in `<Event><EventData>`, or in an embedded
/// `<EventData>` fragment), as building takes the first of each.
///
/// Each is decided by its first occurrence, and is `Unknown` (left to building, never a wrong
/// answer) when that one is not plainly one value: it or an ancestor is left out when a value
/// is null, its content is in pieces, its name is a value; or when a value that may be a
/// fragment of elements comes before it, directly in `<Event>`, `<System>` or `<EventData>`.
/// Windows' own fragment, the `EventData` of Security events, comes after `<System>`: it is
/// the `payload`, where the logon type is looked for when the template has none before it.
fn find_sources(d: &[u8], start: usize, end: usize) -> TemplateInfo {
    /// An `EventData` child's start tag: the first `Name` names the item, as building reads it.
    struct Child {
        is_data: bool,
        element: u32,
        dependency: Dependency,
        name: ChildName,
    }
    enum ChildName {
        Absent,
        Empty,
        Literal(String),
        Unclear,
    }
    #[derive(Clone, Copy)]
    enum Item {
        EventId,
        LogonType,
    }
    let mut info = UNKNOWN_TEMPLATE;
    let (mut id_done, mut time_done, mut logon_done) = (false, false, false);
    // A value that may be a fragment came directly in <Event> or <System>.
    let mut injected = false;
    // Open elements: name, and the value whose nullness leaves it out.
    let mut path: Vec<(u32, Option<u16>)> = Vec::with_capacity(6);
    let mut in_start_tag = false;
    // The start tag is the first EventID's, read when plain: what leaves it out.
    let mut watch_id: Option<Dependency> = None;
    // The start tag is a System/TimeCreated's: what leaves it out; its first SystemTime seen.
    let mut time_created: Option<Dependency> = None;
    let mut time_attr_seen = false;
    // Reading the first SystemTime's value: what leaves it out, the one substitution it is so far.
    let mut time_value: Option<(Dependency, Option<u16>)> = None;
    let mut child: Option<Child> = None;
    let mut in_name = false;
    // Reading the content of the first EventID or LogonType: what leaves it out, what it is so
    // far.
    let mut content: Option<(Item, Dependency, Option<IdSource>)> = None;
    let is = |offset: u32, ascii: &str| name_is(d, offset, ascii);
    for token in Tokens::new(d, start, end, true) {
        let Ok(token) = token else {
            return UNKNOWN_TEMPLATE;
        };
        if let Some((dependency, value)) = time_value {
            match token {
                Token::Substitution { index, .. } if value.is_none() => {
                    time_value = Some((dependency, Some(index)));
                    continue;
                }
                Token::Attribute { .. } | Token::CloseStart | Token::CloseEmpty => {
                    if let Some(n) = value {
                        info.time = dependency.source(IdSource::Value(n));
                    }
                    time_value = None;
                }
                _ => time_value = None,
            }
        }
        if let Some((item, dependency, got)) = content {
            let source = match (&token, got) {
                (Token::Substitution { index, .. }, None) => Some(IdSource::Value(*index)),
                (Token::Text(units), None) => Some(
                    utf16_text(units)
                        .trim()
                        .parse()
                        .map_or(IdSource::Unknown, IdSource::Literal),
                ),
                _ => None,
            };
            if source.is_some() {
                content = Some((item, dependency, source));
                continue;
            }
            content = None;
            if let (Token::End, Some(source)) = (&token, got) {
                let source = dependency.source(source);
                match item {
                    Item::EventId => info.event_id = source,
                    Item::LogonType => info.logon_type = source,
                }
            }
        }
        let parent = path.as_slice();
        // The open elements are these, outermost first.
        let within = |names: &[&str]| {
            parent.len() == names.len() && parent.iter().zip(names).all(|(&(n, _), s)| is(n, s))
        };
        let in_event = within(&["Event"]);
        let in_system = within(&["Event", "System"]);
        // In <Event><EventData>, or the root of an embedded EventData fragment.
        let in_event_data = within(&["Event", "EventData"]) || within(&["EventData"]);
        match token {
            Token::Open { name, dependency } => {
                let left_out = Dependency::of(parent, dependency, &is);
                in_start_tag = true;
                in_name = false;
                time_created = None;
                time_attr_seen = false;
                if in_system {
                    match name_kind(d, name) {
                        NameKind::EventId if !id_done => {
                            id_done = true;
                            watch_id = (!injected).then_some(left_out);
                        }
                        NameKind::TimeCreated => time_created = Some(left_out),
                        _ => {}
                    }
                } else if in_event_data {
                    if !logon_done {
                        child = Some(Child {
                            is_data: name_kind(d, name) == NameKind::Data,
                            element: name,
                            dependency: left_out,
                            name: ChildName::Absent,
                        });
                    }
                } else if (in_event || parent.is_empty())
                    && name_kind(d, name) == NameKind::UserData
                {
                    // Its fields are data items too, named by their elements.
                    logon_done = true;
                }
                path.push((name, dependency));
            }
            Token::Attribute { name } => {
                in_name = false;
                let kind = name_kind(d, name);
                if let (Some(left_out), false, NameKind::SystemTime) =
                    (time_created, time_attr_seen, kind)
                {
                    time_attr_seen = true;
                    if !time_done {
                        time_done = true;
                        if !injected {
                            time_value = Some((left_out, None));
                        }
                    }
                }
                if let Some(c) = child.as_mut() {
                    if matches!(c.name, ChildName::Absent) && kind == NameKind::Name {
                        c.name = ChildName::Empty;
                        in_name = true;
                    }
                }
            }
            Token::CloseStart | Token::CloseEmpty => {
                let empty = matches!(token, Token::CloseEmpty);
                in_start_tag = false;
                in_name = false;
                time_created = None;
                if let (Some(left_out), false) = (watch_id.take(), empty) {
                    content = Some((Item::EventId, left_out, None));
                }
                if let Some(c) = child.take() {
                    let logon = match &c.name {
                        ChildName::Unclear => None,
                        ChildName::Literal(n) => Some(names_logon_type(d, c.is_data, c.element, n)),
                        ChildName::Absent | ChildName::Empty => {
                            Some(names_logon_type(d, c.is_data, c.element, ""))
                        }
                    };
                    match logon {
                        Some(false) => {}
                        Some(true) => {
                            logon_done = true;
                            if !empty {
                                content = Some((Item::LogonType, c.dependency, None));
                            }
                        }
                        None => logon_done = true,
                    }
                }
                if empty {
                    path.pop();
                }
            }
            Token::End => {
                in_start_tag = false;
                path.pop();
            }
            _ if in_start_tag && in_name => {
                if let Some(c) = child.as_mut() {
                    c.name = match (&token, &c.name) {
                        (Token::Text(units), ChildName::Empty) => {
                            ChildName::Literal(normalize_attribute(utf16_text(units)))
                        }
                        _ => ChildName::Unclear,
                    };
                }
            }
            Token::Substitution { index, .. } if !in_start_tag => {
                if in_event {
                    // The payload: the first value directly in <Event>.
                    if !logon_done {
                        logon_done = true;
                        info.payload = Some(index);
                    }
                    injected = true;
                } else if in_system {
                    injected = true;
                } else if in_event_data {
                    logon_done = true;
                }
            }
            Token::TemplateInstance(_) => {
                injected = true;
                logon_done = true;
            }
            Token::Eof => break,
            _ => {}
        }
    }
    info
}

/// One BinXML token.
enum Token<'a> {
    Eof,
    Open {
        name: u32,
        dependency: Option<u16>,
    },
    CloseStart,
    CloseEmpty,
    End,
    /// A literal string value (UTF-16LE units).
    Text(&'a [u8]),
    Attribute {
        name: u32,
    },
    CData(&'a [u8]),
    CharRef(u16),
    EntityRef {
        name: u32,
    },
    TemplateInstance(Instance<'a>),
    Substitution {
        index: u16,
        optional: bool,
    },
    /// Processing instructions: not part of any value.
    Skip,
}

/// The tokens of `d[pos..end]`.
struct Tokens<'a> {
    d: &'a [u8],
    pos: usize,
    end: usize,
    /// In a template definition, element starts carry a dependency id.
    template: bool,
}

impl<'a> Tokens<'a> {
    fn new(d: &'a [u8], pos: usize, end: usize, template: bool) -> Self {
        Tokens {
            d,
            pos,
            end: end.min(d.len()),
            template,
        }
    }

    /// A name reference at `p`: the offset, and where the token goes on (past the name when
    /// it is stored inline, right there).
    fn name_ref(&self, p: usize) -> Option<(u32, usize)> {
        let offset = u32_at(self.d, p)?;
        let mut next = p + 4;
        if offset as usize == next {
            let len = u16_at(self.d, next + 6)? as usize;
            next = next.checked_add(6 + 2 + len * 2 + 2)?;
        }
        Some((offset, next))
    }

    /// A length-prefixed UTF-16 string at `p`: its units and the offset after it.
    fn prefixed(&self, p: usize) -> Option<(&'a [u8], usize)> {
        let len = u16_at(self.d, p)? as usize;
        let end = (p + 2).checked_add(len * 2)?;
        Some((self.d.get(p + 2..end)?, end))
    }

    fn read(&mut self) -> Option<Token<'a>> {
        let d = self.d;
        let p = self.pos;
        let token = u8_at(d, p)?;
        let (tok, next) = match token {
            0x00 => (Token::Eof, p + 1),
            0x0c => {
                let inst = read_instance(d, p)?;
                let end = inst.end;
                (Token::TemplateInstance(inst), end)
            }
            0x01 | 0x41 => {
                let mut q = p + 1;
                let mut dependency = None;
                if self.template {
                    let dep = u16_at(d, q)?;
                    dependency = (dep != 0xffff).then_some(dep);
                    q += 2;
                }
                // Data size, then the name.
                let (name, mut q) = self.name_ref(q + 4)?;
                if token == 0x41 {
                    q += 4;
                }
                (Token::Open { name, dependency }, q)
            }
            0x02 => (Token::CloseStart, p + 1),
            0x03 => (Token::CloseEmpty, p + 1),
            0x04 => (Token::End, p + 1),
            0x05 | 0x45 => {
                // Only strings occur as literal values.
                if u8_at(d, p + 1)? != ty::STRING {
                    return None;
                }
                let (units, q) = self.prefixed(p + 2)?;
                (Token::Text(until_nul(units)), q)
            }
            0x06 | 0x46 => {
                let (name, q) = self.name_ref(p + 1)?;
                (Token::Attribute { name }, q)
            }
            0x07 | 0x47 => {
                let (units, q) = self.prefixed(p + 1)?;
                (Token::CData(until_nul(units)), q)
            }
            0x08 | 0x48 => (Token::CharRef(u16_at(d, p + 1)?), p + 3),
            0x09 | 0x49 => {
                let (name, q) = self.name_ref(p + 1)?;
                (Token::EntityRef { name }, q)
            }
            0x0a => (Token::Skip, self.name_ref(p + 1)?.1),
            0x0b => (Token::Skip, self.prefixed(p + 1)?.1),
            0x0d | 0x0e => {
                let index = u16_at(d, p + 1)?;
                u8_at(d, p + 3)?;
                (
                    Token::Substitution {
                        index,
                        optional: token == 0x0e,
                    },
                    p + 4,
                )
            }
            0x0f => {
                u8_at(d, p + 3)?;
                (Token::Skip, p + 4)
            }
            _ => return None,
        };
        if next > self.end {
            return None;
        }
        self.pos = next;
        Some(tok)
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Result<Token<'a>>;

    /// `None` past the end of the stream or after its end-of-stream token.
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.end {
            return None;
        }
        match self.read() {
            Some(Token::Eof) => {
                self.pos = self.end;
                Some(Ok(Token::Eof))
            }
            Some(t) => Some(Ok(t)),
            None => {
                self.pos = self.end;
                Some(Err(Miss("malformed or unsupported BinXML token")))
            }
        }
    }
}

/// Walks token streams (a record's, the templates it instantiates, embedded BinXML values)
/// into a [`Builder`].
struct Walk<'a, 'b> {
    d: &'a [u8],
    b: &'b mut Builder,
    nesting: usize,
}

impl<'a> Walk<'a, '_> {
    /// Walks `d[start..end]`. `template` says it is a definition; `values` are its instance's.
    fn stream(
        &mut self,
        start: usize,
        end: usize,
        template: bool,
        values: Option<&[Value<'a>]>,
    ) -> Result<()> {
        if self.nesting >= MAX_NESTING {
            return miss("templates nested too deep");
        }
        self.nesting += 1;
        let base_depth = self.b.stack.len();
        // Elements left out (their dependency value is null) are skipped to their end: this
        // counts the elements open inside one.
        let mut skipping = 0usize;
        for token in Tokens::new(self.d, start, end, template) {
            let token = token?;
            if skipping > 0 {
                match token {
                    Token::Open { .. } => skipping += 1,
                    Token::CloseEmpty | Token::End => skipping -= 1,
                    _ => {}
                }
                continue;
            }
            match token {
                Token::Eof => break,
                Token::Open { name, dependency } => {
                    // A template's root has no parent to leave it out of.
                    let dependency =
                        dependency.filter(|_| template && self.b.stack.len() > base_depth);
                    if self.b.compiling {
                        self.b.open(self.d, name, dependency)?;
                        continue;
                    }
                    let left_out = dependency
                        .and_then(|dep| values.and_then(|v| v.get(usize::from(dep))))
                        .is_some_and(|v| v.ty == ty::NULL);
                    if left_out {
                        skipping = 1;
                        continue;
                    }
                    self.b.open(self.d, name, None)?;
                }
                Token::CloseStart => self.b.close_start(self.d)?,
                Token::CloseEmpty => {
                    self.b.close_start(self.d)?;
                    self.b.end()?;
                }
                Token::End => self.b.end()?,
                Token::Text(units) => self.b.text_units(units)?,
                Token::CData(units) => self.b.text_units(units)?,
                Token::CharRef(c) => {
                    let c = char::from_u32(u32::from(c)).unwrap_or(char::REPLACEMENT_CHARACTER);
                    self.b.text(c.encode_utf8(&mut [0; 4]));
                }
                Token::EntityRef { name } => {
                    let name = local_name(self.d, name);
                    let text = match name.as_str() {
                        "amp" => "&".to_string(),
                        "lt" => "<".to_string(),
                        "gt" => ">".to_string(),
                        "quot" => "\"".to_string(),
                        "apos" => "'".to_string(),
                        other => format!("&{other};"),
                    };
                    self.b.text(&text);
                }
                Token::Attribute { name } => self.b.attribute(self.d, name),
                Token::TemplateInstance(_) if self.b.compiling => {
                    return miss("template instance inside a template");
                }
                Token::TemplateInstance(inst) => {
                    let (s, e) = definition_range(self.d, inst.def_offset)
                        .ok_or(Miss("template definition out of the chunk"))?;
                    self.stream(s, e, true, Some(&inst.values))?;
                }
                Token::Substitution { index, .. } if self.b.compiling => self.b.slot(index),
                Token::Substitution { index, optional } => {
                    let Some(v) = values.and_then(|v| v.get(usize::from(index))) else {
                        // Past the values: rendered as nothing.
                        continue;
                    };
                    self.value(*v, optional)?;
                }
                Token::Skip => {}
            }
        }
        self.nesting -= 1;
        Ok(())
    }

    /// A substitution value in place.
    fn value(&mut self, v: Value<'a>, optional: bool) -> Result<()> {
        if v.ty == ty::STRING_ARRAY {
            return self.b.array(string_array(v.bytes)?);
        }
        if v.ty & ty::ARRAY != 0 {
            return miss("array value other than strings");
        }
        match v.ty {
            ty::NULL => Ok(()),
            ty::BIN_XML if v.bytes.is_empty() => Ok(()),
            ty::BIN_XML => {
                if self.b.attr.is_some() {
                    return miss("BinXML value in an attribute");
                }
                // An embedded fragment: its elements go here. Its offsets are chunk offsets.
                let start = offset_in(self.d, v.bytes)?;
                self.stream(start, start + v.bytes.len(), false, None)
            }
            ty::STRING if optional && until_nul(v.bytes).is_empty() => Ok(()),
            ty::BINARY if optional && v.bytes.is_empty() => Ok(()),
            _ => match self.b.sink() {
                Some(out) => render_value(v, out),
                None => Ok(()),
            },
        }
    }
}

/// The items of a string array: UTF-16 strings, each ended by a NUL.
fn string_array(bytes: &[u8]) -> Result<Vec<String>> {
    let mut items = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let Some(n) = rest.chunks_exact(2).position(|u| u == [0, 0]) else {
            return miss("string array item without its NUL");
        };
        let (item, after) = rest.split_at_checked(n * 2).unwrap_or((rest, &[]));
        items.push(utf16_text(item));
        rest = after.get(2..).unwrap_or_default();
    }
    if !bytes.len().is_multiple_of(2) {
        return miss("string array of odd size");
    }
    Ok(items)
}

/// Offset of `part` within `whole`, when it is a subslice of it.
fn offset_in(whole: &[u8], part: &[u8]) -> Result<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    if start <= whole.len() && part.len() <= whole.len() - start {
        Ok(start)
    } else {
        miss("value outside the chunk")
    }
}

/// Writes a scalar value's text as the crate renders it.
fn render_value(v: Value<'_>, out: &mut String) -> Result<()> {
    use std::fmt::Write;
    let b = v.bytes;
    let short = || Miss("value shorter than its type");
    match v.ty {
        ty::STRING => push_utf16(out, until_nul(b)),
        ty::INT8 => {
            let _ = write!(out, "{}", u8_at(b, 0).ok_or_else(short)? as i8);
        }
        ty::UINT8 => {
            let _ = write!(out, "{}", u8_at(b, 0).ok_or_else(short)?);
        }
        ty::INT16 => {
            let _ = write!(out, "{}", u16_at(b, 0).ok_or_else(short)? as i16);
        }
        ty::UINT16 => {
            let _ = write!(out, "{}", u16_at(b, 0).ok_or_else(short)?);
        }
        ty::INT32 => {
            let _ = write!(out, "{}", u32_at(b, 0).ok_or_else(short)? as i32);
        }
        ty::UINT32 => {
            let _ = write!(out, "{}", u32_at(b, 0).ok_or_else(short)?);
        }
        ty::INT64 => {
            let _ = write!(out, "{}", u64_at(b, 0).ok_or_else(short)? as i64);
        }
        ty::UINT64 => {
            let _ = write!(out, "{}", u64_at(b, 0).ok_or_else(short)?);
        }
        ty::BOOL => match u32_at(b, 0).ok_or_else(short)? as i32 {
            0 => out.push_str("false"),
            1 => out.push_str("true"),
            raw => {
                let _ = write!(out, "{raw}");
            }
        },
        ty::BINARY => {
            for byte in b {
                let _ = write!(out, "{byte:02X}");
            }
        }
        ty::GUID => {
            let g: &[u8; 16] = b.first_chunk().ok_or_else(short)?;
            let [.., g8, g9, g10, g11, g12, g13, g14, g15] = *g;
            let _ = write!(
                out,
                "{{{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
                u32_at(g, 0).ok_or_else(short)?,
                u16_at(g, 4).ok_or_else(short)?,
                u16_at(g, 6).ok_or_else(short)?,
                g8,
                g9,
                g10,
                g11,
                g12,
                g13,
                g14,
                g15
            );
        }
        ty::SIZE_T if b.len() == 4 => {
            let _ = write!(out, "0x{:x}", u32_at(b, 0).ok_or_else(short)?);
        }
        ty::SIZE_T if b.len() == 8 => {
            let _ = write!(out, "0x{:x}", u64_at(b, 0).ok_or_else(short)?);
        }
        ty::HEX_INT32 => {
            let _ = write!(out, "0x{:x}", u32_at(b, 0).ok_or_else(short)?);
        }
        ty::HEX_INT64 => {
            let _ = write!(out, "0x{:x}", u64_at(b, 0).ok_or_else(short)?);
        }
        ty::FILETIME => out.push_str(&filetime_text(u64_at(b, 0).ok_or_else(short)?)),
        ty::SID => render_sid(b, out)?,
        _ => return miss("value type not read here"),
    }
    Ok(())
}

/// A SID as `S-1-5-21-…`: revision, sub-authority count, 48-bit big-endian authority, then
/// 32-bit little-endian sub-authorities.
fn render_sid(b: &[u8], out: &mut String) -> Result<()> {
    use std::fmt::Write;
    let (Some(&revision), Some(&count)) = (b.first(), b.get(1)) else {
        return miss("SID shorter than its header");
    };
    let needed = 8 + usize::from(count) * 4;
    if b.len() != needed {
        return miss("SID size differs from its count");
    }
    let (Some(&[_, _, a0, a1, a2, a3, a4, a5]), Some(subs)) = (b.first_chunk::<8>(), b.get(8..))
    else {
        return miss("SID shorter than its header");
    };
    let authority = [0, 0, a0, a1, a2, a3, a4, a5];
    let _ = write!(out, "S-{revision}-{}", u64::from_be_bytes(authority));
    for &sub in subs.as_chunks::<4>().0 {
        let _ = write!(out, "-{}", u32::from_le_bytes(sub));
    }
    Ok(())
}

/// 100 ns ticks in a day and a second.
const TICKS_PER_SEC: u64 = 10_000_000;
const TICKS_PER_DAY: u64 = 86_400 * TICKS_PER_SEC;

/// A FILETIME as the crate renders it: `YYYY-MM-DDTHH:MM:SS.fffffffZ`.
pub(super) fn filetime_text(ft: u64) -> String {
    let (y, mo, d, h, mi, s, ticks) = if ft > i64::MAX as u64 {
        (0, 0, 0, 0, 0, 0, 0)
    } else {
        let (days, ticks) = (ft / TICKS_PER_DAY, ft % TICKS_PER_DAY);
        let (y, mo, d) = civil_from_days_since_1601(days);
        let secs = ticks / TICKS_PER_SEC;
        (
            y % 10_000,
            u64::from(mo),
            u64::from(d),
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            ticks % TICKS_PER_SEC,
        )
    };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ticks:07}Z")
}

/// The proleptic Gregorian date `days` after 1601-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days_since_1601(days: u64) -> (u64, u8, u8) {
    let z = days + 584_694;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
    (era * 400 + yoe + u64::from(month <= 2), month, day)
}

/// Which part of the event an element at depth 1 opens (as in `event_xml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    System,
    EventData,
    UserData,
    Other,
}

/// What an open element contributes when it closes.
enum Role {
    Ignore,
    EventId,
    RecordId,
    Channel,
    Computer,
    Provider,
    TimeCreated,
    /// An `EventData` child: named by its `Name` attribute, else by its element name, or
    /// numbered when it is a `Data` without a name. Decided when its start tag closes.
    EventDataChild {
        is_data: bool,
        element: u32,
    },
    Data(String),
    UnnamedData,
    UserField(String),
}

impl Role {
    fn gathers_text(&self) -> bool {
        !matches!(
            self,
            Role::Ignore | Role::Provider | Role::TimeCreated | Role::EventDataChild { .. }
        )
    }
}

/// Attributes the event reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AttrKind {
    ProviderName,
    EventSourceName,
    SystemTime,
    DataName,
    Other,
}

/// A piece of text: written in the template, or substitution value `n` of the instance.
#[derive(Debug, Clone)]
enum Part {
    Lit(String),
    Value(u16),
}

/// Text as the builder gathered it: plain, or (compiling a template) with value slots.
#[derive(Debug, Clone)]
enum Text {
    Plain(String),
    Parts(Vec<Part>),
}

/// The first slot marker: compiling a template, value `n` stands in the gathered text as the
/// character U+F0000 + n (plane 15, private use, never in a template's own text).
const SLOT_BASE: u32 = 0xF_0000;

impl Text {
    /// Splits gathered text at its slot markers.
    fn from_gathered(s: String) -> Text {
        if !s.chars().any(|c| u32::from(c) >= SLOT_BASE) {
            return Text::Plain(s);
        }
        let mut parts = Vec::new();
        let mut lit = String::new();
        for c in s.chars() {
            let code = u32::from(c);
            if code >= SLOT_BASE {
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(Part::Value((code - SLOT_BASE) as u16));
            } else {
                lit.push(c);
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Text::Parts(parts)
    }

    /// Writes the text with `values` in its slots into `out`.
    fn render(&self, values: Option<&[Value<'_>]>, out: &mut String) -> Result<()> {
        match self {
            Text::Plain(s) => out.push_str(s),
            Text::Parts(parts) => {
                for part in parts {
                    match part {
                        Part::Lit(s) => out.push_str(s),
                        Part::Value(n) => {
                            let Some(v) = values.and_then(|v| v.get(usize::from(*n))) else {
                                continue;
                            };
                            match v.ty {
                                ty::NULL => {}
                                ty::BIN_XML if v.bytes.is_empty() => {}
                                // Arrays repeat their element and fragments hold elements:
                                // the walk handles those.
                                t if t & ty::ARRAY != 0 || t == ty::BIN_XML => {
                                    return miss("array or fragment value in text")
                                }
                                _ => render_value(*v, out)?,
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// What the event gets from one element, in document order. A record walked with its values
/// yields plain text; a template compiled once yields slots its records fill in.
#[derive(Debug, Clone)]
enum OpKind {
    EventId(Text),
    RecordId(Text),
    Channel(Text),
    Computer(Text),
    /// `Name`, else `EventSourceName` (attribute values).
    Provider(Option<Text>, Option<Text>),
    /// `SystemTime` (an attribute value).
    Time(Text),
    Data(String, Text),
    UnnamedData(Text),
    /// A value standing for elements (an embedded fragment), at this depth and section.
    Fragment(u16, usize, Option<Section>),
}

#[derive(Debug, Clone)]
struct Op {
    kind: OpKind,
    /// Values that, when null, leave the element (and so this op) out: the dependency ids of
    /// the element and its ancestors within the template.
    deps: Vec<u16>,
}

struct Frame {
    role: Role,
    text: String,
    has_child: bool,
    /// Items of a string array in the content: the element stands for one copy per item.
    repeat: Option<Vec<String>>,
    /// The attribute read: Provider's Name, TimeCreated's SystemTime, an EventData child's Name.
    main_attr: Option<String>,
    /// Provider's EventSourceName, used when it has no Name.
    source_attr: Option<String>,
    deps: Vec<u16>,
}

impl Frame {
    fn new(role: Role, text: String, deps: Vec<u16>) -> Frame {
        Frame {
            role,
            text,
            has_child: false,
            repeat: None,
            main_attr: None,
            source_attr: None,
            deps,
        }
    }
}

/// Turns elements, attributes and text into [`Op`]s, with `event_xml`'s rules.
#[derive(Default)]
struct Builder {
    ops: Vec<Op>,
    section: Option<Section>,
    stack: Vec<Frame>,
    /// The attribute being read, and its text so far.
    attr: Option<(AttrKind, String)>,
    /// Compiling a template: substitutions become slots.
    compiling: bool,
    /// Walking a record: the event its ops make.
    exec: Exec,
    /// Cleared strings to reuse: walking a record then allocates little beyond its event.
    pool: Vec<String>,
}

/// Most strings [`Builder::pool`] keeps.
const POOL_SIZE: usize = 32;

impl Builder {
    fn with_pool(pool: Vec<String>) -> Builder {
        Builder {
            pool,
            ..Builder::default()
        }
    }

    /// A builder compiling a template whose root element opens at `depth` in `section`.
    fn compiling(depth: usize, section: Option<Section>) -> Builder {
        let mut b = Builder {
            compiling: true,
            section,
            ..Builder::default()
        };
        for _ in 0..depth {
            b.stack
                .push(Frame::new(Role::Ignore, String::new(), Vec::new()));
        }
        b
    }

    fn fresh(&mut self) -> String {
        self.pool.pop().unwrap_or_default()
    }

    fn recycle(&mut self, mut s: String) {
        if self.pool.len() < POOL_SIZE && s.capacity() > 0 {
            s.clear();
            self.pool.push(s);
        }
    }

    fn deps(&self) -> Vec<u16> {
        self.stack
            .last()
            .map(|f| f.deps.clone())
            .unwrap_or_default()
    }

    /// Gathered text as op text: with slots when compiling, plain when walking a record.
    fn gathered(&self, s: String) -> Text {
        if self.compiling {
            Text::from_gathered(s)
        } else {
            Text::Plain(s)
        }
    }

    /// Records an op when compiling; applies it at once when walking a record, and takes its
    /// strings back for reuse.
    fn push_op(&mut self, kind: OpKind, deps: Vec<u16>) {
        if self.compiling {
            self.ops.push(Op { kind, deps });
            return;
        }
        // Plain text renders without values and cannot fail.
        let _ = self.exec.apply(&kind, None);
        let (a, b) = match kind {
            OpKind::EventId(t)
            | OpKind::RecordId(t)
            | OpKind::Channel(t)
            | OpKind::Computer(t)
            | OpKind::Time(t)
            | OpKind::UnnamedData(t) => (Some(t), None),
            OpKind::Data(name, t) => {
                self.recycle(name);
                (Some(t), None)
            }
            OpKind::Provider(a, b) => (a, b),
            OpKind::Fragment(..) => (None, None),
        };
        for t in [a, b].into_iter().flatten() {
            if let Text::Plain(s) = t {
                self.recycle(s);
            }
        }
    }

    /// Opens an element; `dependency` (compiling only) is the value whose nullness leaves it
    /// out.
    fn open(&mut self, d: &[u8], name: u32, dependency: Option<u16>) -> Result<()> {
        self.finish_attribute();
        let depth = self.stack.len();
        if depth >= MAX_DEPTH {
            return miss("elements nested too deep");
        }
        if let Some(parent) = self.stack.last_mut() {
            parent.has_child = true;
        }
        let kind = name_kind(d, name);
        let role = match (depth, self.section) {
            (0, _) if kind != NameKind::Event => return miss("root element is not <Event>"),
            (0, _) => Role::Ignore,
            (1, _) => {
                self.section = Some(match kind {
                    NameKind::System => Section::System,
                    NameKind::EventData => Section::EventData,
                    NameKind::UserData => Section::UserData,
                    _ => Section::Other,
                });
                Role::Ignore
            }
            (2, Some(Section::System)) => system_role(kind),
            (2, Some(Section::EventData)) => Role::EventDataChild {
                is_data: kind == NameKind::Data,
                element: name,
            },
            (depth, Some(Section::UserData)) if depth >= 3 => Role::UserField(local_name(d, name)),
            _ => Role::Ignore,
        };
        let mut deps = self.deps();
        if let Some(dep) = dependency {
            // Whether leaving this child out makes its parent a leaf (a value) is known only
            // per record.
            if depth > 0
                && matches!(
                    self.stack.get(depth - 1).map(|f| &f.role),
                    Some(Role::UserField(_))
                )
            {
                return miss("optional child of a UserData element");
            }
            deps.push(dep);
        }
        let text = if role.gathers_text() {
            self.fresh()
        } else {
            String::new()
        };
        self.stack.push(Frame::new(role, text, deps));
        Ok(())
    }

    fn attribute(&mut self, d: &[u8], name: u32) {
        self.finish_attribute();
        let role = self.stack.last().map(|f| &f.role);
        // Only these elements have attributes the event reads.
        let read = matches!(
            role,
            Some(Role::Provider | Role::TimeCreated | Role::EventDataChild { .. })
        );
        let kind = match (
            role,
            if read {
                name_kind(d, name)
            } else {
                NameKind::Other
            },
        ) {
            (Some(Role::Provider), NameKind::Name) => AttrKind::ProviderName,
            (Some(Role::Provider), NameKind::EventSourceName) => AttrKind::EventSourceName,
            (Some(Role::TimeCreated), NameKind::SystemTime) => AttrKind::SystemTime,
            (Some(Role::EventDataChild { .. }), NameKind::Name) => AttrKind::DataName,
            _ => AttrKind::Other,
        };
        let text = if kind == AttrKind::Other {
            String::new()
        } else {
            self.fresh()
        };
        self.attr = Some((kind, text));
    }

    /// Ends the attribute being read.
    fn finish_attribute(&mut self) {
        let Some((kind, value)) = self.attr.take() else {
            return;
        };
        if kind == AttrKind::Other {
            return;
        }
        let Some(frame) = self.stack.last_mut() else {
            return;
        };
        // The first of a repeated attribute wins, as `event_xml` finds the first.
        let slot = if kind == AttrKind::EventSourceName {
            &mut frame.source_attr
        } else {
            &mut frame.main_attr
        };
        if slot.is_none() {
            *slot = Some(value);
        } else {
            self.recycle(value);
        }
    }

    fn close_start(&mut self, d: &[u8]) -> Result<()> {
        self.finish_attribute();
        let fresh = self.fresh();
        let compiling = self.compiling;
        let gathered = |s: String| {
            if compiling {
                Text::from_gathered(s)
            } else {
                Text::Plain(s)
            }
        };
        let Some(frame) = self.stack.last_mut() else {
            return Ok(());
        };
        let mut spare = Some(fresh);
        let mut op = None;
        match &frame.role {
            Role::Provider => {
                let name = frame.main_attr.take().map(gathered);
                let source = frame.source_attr.take().map(gathered);
                if name.is_some() || source.is_some() {
                    op = Some(OpKind::Provider(name, source));
                }
            }
            Role::TimeCreated => {
                if let Some(t) = frame.main_attr.take() {
                    op = Some(OpKind::Time(gathered(t)));
                }
            }
            Role::EventDataChild { is_data, element } => {
                let name = frame.main_attr.take().filter(|n| !n.is_empty());
                if self.compiling
                    && name
                        .as_ref()
                        .is_some_and(|n| n.chars().any(|c| u32::from(c) >= SLOT_BASE))
                {
                    return miss("a value names the data");
                }
                frame.role = match name {
                    Some(name) => Role::Data(normalize_attribute(name)),
                    None if *is_data => Role::UnnamedData,
                    None => Role::Data(local_name(d, *element)),
                };
                frame.text = spare.take().unwrap_or_default();
            }
            _ => {}
        }
        let deps = frame.deps.clone();
        if let Some(kind) = op {
            self.push_op(kind, deps);
        }
        if let Some(s) = spare {
            self.recycle(s);
        }
        Ok(())
    }

    /// Where text goes now: the attribute being read, or the open element when its value is
    /// kept; `None` when it is not kept.
    fn sink(&mut self) -> Option<&mut String> {
        if let Some((kind, value)) = self.attr.as_mut() {
            return (*kind != AttrKind::Other).then_some(value);
        }
        self.stack
            .last_mut()
            .filter(|f| f.role.gathers_text())
            .map(|f| &mut f.text)
    }

    fn text_units(&mut self, units: &[u8]) -> Result<()> {
        let compiling = self.compiling;
        if let Some(out) = self.sink() {
            let from = out.len();
            push_utf16(out, units);
            if compiling && out[from..].chars().any(|c| u32::from(c) >= SLOT_BASE) {
                return miss("template text in the slot-marker range");
            }
        }
        Ok(())
    }

    fn text(&mut self, s: &str) {
        if let Some(out) = self.sink() {
            out.push_str(s);
        }
    }

    /// Whether text now is the `Name` of an `EventData` child.
    fn reading_data_name(&self) -> bool {
        matches!(self.attr, Some((AttrKind::DataName, _)))
    }

    /// Compiling a plain record's shape: its text value `n` here, a slot where the text is
    /// kept, nothing where it is not.
    fn text_slot(&mut self, n: u16) {
        if let Some(out) = self.sink() {
            out.push(char::from_u32(SLOT_BASE + u32::from(n)).unwrap_or('\u{fffd}'));
        }
    }

    /// Compiling: substitution `n` here. In text it becomes a slot; in the content of an
    /// element whose text is not kept it may be an embedded fragment (how Windows stores
    /// `EventData` and `UserData`), which the record's value says.
    fn slot(&mut self, n: u16) {
        if self.attr.is_some() {
            if let Some(out) = self.sink() {
                out.push(char::from_u32(SLOT_BASE + u32::from(n)).unwrap_or('\u{fffd}'));
            }
            return;
        }
        if let Some(out) = self.sink() {
            out.push(char::from_u32(SLOT_BASE + u32::from(n)).unwrap_or('\u{fffd}'));
            return;
        }
        let deps = self.deps();
        let depth = self.stack.len();
        self.push_op(OpKind::Fragment(n, depth, self.section), deps);
    }

    /// A string array in the content of the open element. One item or none is text (items
    /// joined by commas, as the crate writes a list); more repeat the element once per item.
    fn array(&mut self, items: Vec<String>) -> Result<()> {
        if self.attr.is_some() {
            return miss("array value in an attribute");
        }
        if items.len() <= 1 {
            self.text(&items.join(","));
            return Ok(());
        }
        let Some(frame) = self.stack.last_mut() else {
            return miss("array value outside an element");
        };
        if frame.repeat.is_some() || !frame.text.is_empty() || frame.has_child {
            return miss("array value beside other content");
        }
        match frame.role {
            Role::Data(_) | Role::UnnamedData | Role::UserField(_) | Role::Ignore => {}
            _ => return miss("array value in a System element"),
        }
        frame.repeat = Some(items);
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.finish_attribute();
        let depth = self.stack.len();
        let Some(mut frame) = self.stack.pop() else {
            return miss("end tag without start tag");
        };
        if let Some(items) = frame.repeat.take() {
            if !frame.text.is_empty() || frame.has_child {
                return miss("array value beside other content");
            }
            for item in items {
                let role = match &frame.role {
                    Role::Data(n) => Role::Data(n.clone()),
                    Role::UserField(n) => Role::UserField(n.clone()),
                    Role::UnnamedData => Role::UnnamedData,
                    _ => Role::Ignore,
                };
                self.stack.push(Frame::new(role, item, frame.deps.clone()));
                self.end()?;
            }
            return Ok(());
        }
        if let Some(a) = frame.main_attr.take() {
            self.recycle(a);
        }
        let deps = std::mem::take(&mut frame.deps);
        let kind = match frame.role {
            Role::EventId => Some(OpKind::EventId(self.gathered(frame.text))),
            Role::RecordId => Some(OpKind::RecordId(self.gathered(frame.text))),
            Role::Channel => Some(OpKind::Channel(self.gathered(frame.text))),
            Role::Computer => Some(OpKind::Computer(self.gathered(frame.text))),
            Role::Data(name) => Some(OpKind::Data(name, self.gathered(frame.text))),
            Role::UnnamedData => Some(OpKind::UnnamedData(self.gathered(frame.text))),
            Role::UserField(name) if depth >= 4 && !frame.has_child => {
                Some(OpKind::Data(name, self.gathered(frame.text)))
            }
            _ => {
                self.recycle(frame.text);
                None
            }
        };
        if let Some(kind) = kind {
            self.push_op(kind, deps);
        }
        if depth == 1 {
            self.section = None;
        }
        Ok(())
    }
}

/// XML attribute-value normalization: each line end, tab or newline reads as a space.
fn normalize_attribute(value: String) -> String {
    if value.contains(['\r', '\n', '\t']) {
        value.replace("\r\n", " ").replace(['\r', '\n', '\t'], " ")
    } else {
        value
    }
}

/// XML end-of-line normalization: CR LF and lone CR read as LF.
fn normalize_eol(text: &mut String) {
    if text.contains('\r') {
        *text = text.replace("\r\n", "\n").replace('\r', "\n");
    }
}

/// Applies ops to an event.
#[derive(Default)]
struct Exec {
    event: Event,
    has_event_id: bool,
    unnamed_data: usize,
    scratch: String,
}

impl Exec {
    /// Runs `ops` with `values` (none for a walked record, whose text is plain). Fragment ops
    /// ask `fragment` for the ops of the embedded template and its values.
    fn run<'v>(
        &mut self,
        ops: &[Op],
        values: Option<&[Value<'v>]>,
        fragment: &mut dyn FnMut(
            Value<'v>,
            usize,
            Option<Section>,
        ) -> Result<Option<FragmentOps<'v>>>,
        nesting: usize,
    ) -> Result<()> {
        if nesting >= MAX_NESTING {
            return miss("templates nested too deep");
        }
        for op in ops {
            let left_out = op.deps.iter().any(|dep| {
                values
                    .and_then(|v| v.get(usize::from(*dep)))
                    .is_some_and(|v| v.ty == ty::NULL)
            });
            if left_out {
                continue;
            }
            match &op.kind {
                OpKind::Fragment(n, depth, section) => {
                    let Some(v) = values.and_then(|v| v.get(usize::from(*n))) else {
                        continue;
                    };
                    match v.ty {
                        ty::BIN_XML if !v.bytes.is_empty() => {
                            let Some(inner) = fragment(*v, *depth, *section)? else {
                                return miss("fragment is not one template instance");
                            };
                            self.run(&inner.ops, Some(&inner.values), fragment, nesting + 1)?;
                        }
                        t if t & ty::ARRAY != 0 => return miss("array value in content"),
                        // A scalar where nothing keeps text is rendered nowhere.
                        _ => {}
                    }
                }
                kind => self.apply(kind, values)?,
            }
        }
        Ok(())
    }

    fn render(&mut self, text: &Text, values: Option<&[Value<'_>]>) -> Result<String> {
        self.scratch.clear();
        text.render(values, &mut self.scratch)?;
        Ok(std::mem::take(&mut self.scratch))
    }

    fn apply(&mut self, kind: &OpKind, values: Option<&[Value<'_>]>) -> Result<()> {
        match kind {
            OpKind::EventId(t) => {
                let mut s = self.render(t, values)?;
                normalize_eol(&mut s);
                // The first EventID that reads as a number is the event's, as in `event_xml`.
                if let (false, Ok(id)) = (self.has_event_id, s.trim().parse()) {
                    self.event.event_id = id;
                    self.has_event_id = true;
                }
                self.scratch = s;
            }
            OpKind::RecordId(t) => {
                let mut s = self.render(t, values)?;
                normalize_eol(&mut s);
                if let Ok(id) = s.trim().parse() {
                    self.event.record_id = id;
                }
                self.scratch = s;
            }
            OpKind::Channel(t) => {
                let mut s = self.render(t, values)?;
                normalize_eol(&mut s);
                self.event.channel = s.trim().to_owned();
                self.scratch = s;
            }
            OpKind::Computer(t) => {
                let mut s = self.render(t, values)?;
                normalize_eol(&mut s);
                self.event.computer = s.trim().to_owned();
                self.scratch = s;
            }
            OpKind::Provider(name, source) => {
                if let Some(t) = name.as_ref().or(source.as_ref()) {
                    let s = self.render(t, values)?;
                    self.event.provider = normalize_attribute(s);
                }
            }
            OpKind::Time(t) => {
                let s = normalize_attribute(self.render(t, values)?);
                // The first time given is the event's, as in `event_xml`.
                if self.event.time.is_empty() {
                    self.event.time = millisecond_time(&s);
                }
                self.scratch = s;
            }
            OpKind::Data(name, t) => {
                let mut s = self.render(t, values)?;
                normalize_eol(&mut s);
                self.push_data(name, &s);
                self.scratch = s;
            }
            OpKind::UnnamedData(t) => {
                let mut s = self.render(t, values)?;
                normalize_eol(&mut s);
                self.unnamed_data += 1;
                let name = format!("Data{}", self.unnamed_data);
                self.push_data(&name, &s);
                self.scratch = s;
            }
            OpKind::Fragment(..) => {}
        }
        Ok(())
    }

    fn push_data(&mut self, name: &str, value: &str) {
        if self.event.data.len() < MAX_DATA_ITEMS {
            self.event.data.push(name, value);
        }
    }

    /// An `Exec` filling `data`, an emptied buffer of an earlier event.
    fn with_data(mut data: EventData) -> Exec {
        data.clear();
        let mut exec = Exec::default();
        exec.event.data = data;
        exec
    }

    /// The event, its data copied to a buffer of its size; the buffer it was built in goes
    /// back to `spare` for the next event. Growing each event's data from nothing, or from a
    /// guess, and shrinking it after cost more than building all of them in one buffer.
    fn finish(mut self, spare: &mut EventData) -> Result<Event> {
        let mut built = std::mem::take(&mut self.event.data);
        self.event.data = built.clone();
        built.clear();
        *spare = built;
        if !self.has_event_id {
            return miss("event has no readable <EventID>");
        }
        Ok(self.event)
    }
}

/// The compiled ops of an embedded template, and the values of its instance.
struct FragmentOps<'v> {
    ops: Rc<Vec<Op>>,
    values: Vec<Value<'v>>,
}

/// A `SystemTime` as RFC 3339 with milliseconds, as `event_xml` normalizes it. The crate's
/// seven-digit rendering of a FILETIME (nine digits in logs exported by newer Windows) is cut
/// to three digits without parsing it, as chrono's `%.3f` cuts them.
fn millisecond_time(t: &str) -> String {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let plain = (24..=30).contains(&b.len())
        && digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b'T')
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19)
        && at(19, b'.')
        && digits(20..b.len() - 1)
        && b.last() == Some(&b'Z')
        && is_real_time(t);
    if plain {
        let mut out = String::with_capacity(24);
        out.push_str(&t[..23]);
        out.push('Z');
        out
    } else {
        normalize_time(t)
    }
}

/// Whether the date and time fields of a `YYYY-MM-DDTHH:MM:SS` prefix exist (an out-of-range
/// FILETIME renders as month and day 00, which does not parse).
fn is_real_time(t: &str) -> bool {
    let n = |r: std::ops::Range<usize>| t.get(r).and_then(|s| s.parse::<u32>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) =
        (n(0..4), n(5..7), n(8..10), n(11..13), n(14..16), n(17..19))
    else {
        return false;
    };
    chrono::NaiveDate::from_ymd_opt(y as i32, mo, d).is_some() && h < 24 && mi < 60 && s < 60
}

fn system_role(kind: NameKind) -> Role {
    match kind {
        NameKind::EventId => Role::EventId,
        NameKind::EventRecordId => Role::RecordId,
        NameKind::Channel => Role::Channel,
        NameKind::Computer => Role::Computer,
        NameKind::Provider => Role::Provider,
        NameKind::TimeCreated => Role::TimeCreated,
        _ => Role::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes_render_as_the_crate_does() {
        assert_eq!(filetime_text(0), "1601-01-01T00:00:00.0000000Z");
        // 2023-09-25T20:39:50.8221234Z
        let ft = 133_401_479_908_221_234u64;
        assert_eq!(filetime_text(ft), "2023-09-25T20:39:50.8221234Z");
        assert_eq!(filetime_text(u64::MAX), "0000-00-00T00:00:00.0000000Z");
    }

    #[test]
    fn values_render_as_the_crate_does() {
        let text = |ty: u8, bytes: &[u8]| {
            let mut s = String::new();
            render_value(Value { ty, bytes }, &mut s).map(|_| s)
        };
        assert_eq!(text(ty::UINT16, &4625u16.to_le_bytes()).unwrap(), "4625");
        assert_eq!(
            text(ty::HEX_INT64, &0x8010_0000_0000_0000u64.to_le_bytes()).unwrap(),
            "0x8010000000000000"
        );
        assert_eq!(text(ty::HEX_INT32, &0u32.to_le_bytes()).unwrap(), "0x0");
        assert_eq!(text(ty::SIZE_T, &0x4d4u64.to_le_bytes()).unwrap(), "0x4d4");
        assert_eq!(text(ty::BOOL, &1u32.to_le_bytes()).unwrap(), "true");
        assert_eq!(text(ty::BOOL, &7u32.to_le_bytes()).unwrap(), "7");
        assert_eq!(text(ty::BINARY, &[0x2d, 0x20]).unwrap(), "2D20");
        let sid = [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
        assert_eq!(text(ty::SID, &sid).unwrap(), "S-1-5-18");
        assert!(text(ty::SID, &sid[..10]).is_err());
        let guid = [
            0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28,
            0xc3, 0x0d,
        ];
        assert_eq!(
            text(ty::GUID, &guid).unwrap(),
            "{54849625-5478-4994-a5ba-3e3b0328c30d}"
        );
        let units: Vec<u8> = "a\u{1}b\0c"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(text(ty::STRING, &units).unwrap(), "a_b");
        // Found by the `binxml` fuzz target: an unpaired surrogate (a high one before a
        // non-surrogate, a low one alone) renders as `_`, as the crate writes it; a pair is kept.
        let units: Vec<u8> = [0x63, 0xd854, 0x62ae, 0xdc00, 0xd83d, 0xde00]
            .iter()
            .flat_map(|u: &u16| u.to_le_bytes())
            .collect();
        assert_eq!(text(ty::STRING, &units).unwrap(), "c_\u{62ae}_\u{1f600}");
        assert!(text(0x0b, &[0; 4]).is_err());
        assert!(text(ty::UINT32, &[1, 2]).is_err());
    }

    #[test]
    fn values_the_crate_reads_past_their_size_are_its_to_read() {
        let v = |ty: u8, bytes: &'static [u8]| Value { ty, bytes };
        // A SID whose sub-authority count (1) fits its 12 bytes, and one claiming 99.
        assert!(!overreads(v(
            ty::SID,
            &[1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]
        )));
        assert!(overreads(v(
            ty::SID,
            &[1, 99, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]
        )));
        assert!(overreads(v(ty::UINT32, &[1, 2])));
        assert!(!overreads(v(ty::UINT32, &[1, 2, 3, 4, 5, 6])));
        assert!(overreads(v(ty::GUID, &[0; 8])));
        assert!(!overreads(v(
            ty::STRING_ARRAY,
            &[b'a', 0, 0, 0, b'b', 0, 0, 0]
        )));
        assert!(overreads(v(ty::STRING_ARRAY, &[b'a', 0, 0, 0, b'b', 0])));
        assert!(!overreads(v(ty::STRING_ARRAY, &[])));
        assert!(!overreads(v(ty::STRING, b"a")));
        // An instance with such a value is not read: the record goes to the crate.
        let mut d = vec![0x0c, 1, 0, 0, 0, 0, 0xff, 0xff, 0, 0];
        d.extend(2u32.to_le_bytes());
        d.extend([4, 0, ty::UINT32, 0, 2, 0, ty::UINT16, 0]);
        d.extend([1, 2, 3, 4, 5, 6]);
        assert_eq!(read_instance(&d, 0).map(|i| i.values.len()), Some(2));
        d[14] = 2;
        assert!(read_instance(&d, 0).is_none());
    }

    #[test]
    fn times_cut_to_milliseconds_as_event_xml_does() {
        for t in [
            "2023-09-25T20:39:50.8221234Z",
            "2021-12-16T10:19:07.348731900Z",
            "2021-12-16T10:19:07.348Z",
            "2021-12-16T10:19:07.3Z",
            "1601-01-01T00:00:00.0000000Z",
            "0000-00-00T00:00:00.0000000Z",
            "2023-02-30T00:00:00.0000000Z",
            "2023-09-25T20:39:50Z",
            "garbage",
        ] {
            assert_eq!(millisecond_time(t), normalize_time(t), "{t}");
        }
    }

    #[test]
    fn names_are_matched_by_local_part() {
        // A chunk string-table entry: next offset, hash, length, UTF-16 name, NUL.
        let entry = |name: &str| {
            let mut d = vec![0u8; 6];
            d.extend((name.encode_utf16().count() as u16).to_le_bytes());
            d.extend(name.encode_utf16().flat_map(|u| u.to_le_bytes()));
            d.extend([0, 0]);
            d
        };
        assert_eq!(
            name_kind(&entry("EventRecordID"), 0),
            NameKind::EventRecordId
        );
        assert_eq!(name_kind(&entry("evt:System"), 0), NameKind::System);
        assert_eq!(name_kind(&entry("Data"), 0), NameKind::Data);
        assert_eq!(name_kind(&entry("Datum"), 0), NameKind::Other);
        assert_eq!(name_kind(&entry("ÉventID"), 0), NameKind::Other);
        assert_eq!(
            name_kind(&entry("AVeryLongElementNameIndeed"), 0),
            NameKind::Other
        );
        assert_eq!(name_kind(&[1, 2, 3], 0), NameKind::Other);
        // A damaged length (0x4100 units) over "Provider" and its NUL: the crate reads the
        // name up to the NUL, and so does this reader.
        let mut damaged = entry("Provider");
        damaged[6..8].copy_from_slice(&0x4100u16.to_le_bytes());
        damaged.resize(8 + 0x4100 * 2, 0x41);
        assert_eq!(name_kind(&damaged, 0), NameKind::Provider);
        assert_eq!(local_name(&damaged, 0), "Provider");
        // White space around a name is not part of it, as for an XML reader of the crate's
        // rendering; inside a name it is.
        assert_eq!(name_kind(&entry("\nSystemTime"), 0), NameKind::SystemTime);
        assert_eq!(name_kind(&entry(" Data\r\n"), 0), NameKind::Data);
        assert_eq!(local_name(&entry("\t evt:EventID "), 0), "EventID");
        assert_eq!(name_kind(&entry("Sys temTime"), 0), NameKind::Other);
        assert_eq!(local_name(&entry(" \n"), 0), "");
        // A name keeps the characters a value would have replaced.
        assert_eq!(
            local_name(&entry("l\u{ffff}\u{1}Name"), 0),
            "l\u{ffff}\u{1}Name"
        );
    }

    /// Writes BinXML by hand: names inline (a string-table entry right after each reference),
    /// text as length-prefixed UTF-16.
    #[derive(Default)]
    struct Bx(Vec<u8>);

    impl Bx {
        fn units(&mut self, t: &str) {
            for u in t.encode_utf16() {
                self.0.extend(u.to_le_bytes());
            }
        }
        fn name(&mut self, n: &str) {
            let entry = self.0.len() as u32 + 4;
            self.0.extend(entry.to_le_bytes());
            self.0.extend([0; 6]);
            self.0
                .extend((n.encode_utf16().count() as u16).to_le_bytes());
            self.units(n);
            self.0.extend([0, 0]);
        }
        fn open(&mut self, n: &str, attributes: bool) {
            self.0.push(if attributes { 0x41 } else { 0x01 });
            self.0.extend([0; 4]);
            self.name(n);
            if attributes {
                self.0.extend([0; 4]);
            }
        }
        fn attribute(&mut self, n: &str, value: &str) {
            self.0.push(0x06);
            self.name(n);
            self.text(value);
        }
        fn text(&mut self, t: &str) {
            self.0.extend([0x05, ty::STRING]);
            self.0
                .extend((t.encode_utf16().count() as u16).to_le_bytes());
            self.units(t);
        }
        fn element(&mut self, n: &str, t: &str) {
            self.open(n, false);
            self.0.push(0x02);
            self.text(t);
            self.0.push(0x04);
        }
        /// A plain 4625 record with one `Data`; `char_ref` appends `&#65;` to its value.
        fn record(&mut self, data_name: &str, value: &str, char_ref: bool) -> (usize, usize) {
            self.plain(
                |b| {
                    b.open("Provider", true);
                    b.attribute("Name", "Microsoft-Windows-Security-Auditing");
                    b.0.push(0x03);
                    b.element("EventID", "4625");
                    b.time_created("2026-03-01T10:00:00.1234567Z");
                },
                |b| {
                    b.open("Data", true);
                    b.attribute("Name", data_name);
                    b.0.push(0x02);
                    b.text(value);
                    if char_ref {
                        b.0.extend([0x08, 65, 0]);
                    }
                    b.0.push(0x04);
                },
            )
        }
        /// A plain record: `<Event><System>` with `system` written by the caller, then
        /// `<EventData>` with `data` written by the caller.
        fn plain(&mut self, system: impl Fn(&mut Bx), data: impl Fn(&mut Bx)) -> (usize, usize) {
            let start = self.0.len();
            self.0.extend([0x0f, 1, 1, 0]);
            self.open("Event", false);
            self.0.push(0x02);
            self.open("System", false);
            self.0.push(0x02);
            system(self);
            self.0.push(0x04);
            self.open("EventData", false);
            self.0.push(0x02);
            data(self);
            self.0.extend([0x04, 0x04, 0x00]);
            (start, self.0.len())
        }
        fn time_created(&mut self, t: &str) {
            self.open("TimeCreated", true);
            self.attribute("SystemTime", t);
            self.0.push(0x03);
        }
        fn data(&mut self, name: &str, value: &[&str]) {
            self.open("Data", true);
            self.attribute("Name", name);
            self.0.push(0x02);
            for piece in value {
                self.text(piece);
            }
            self.0.push(0x04);
        }
    }

    /// What the reader says of a record before building it is what building says, or nothing.
    fn peeks_agree(bx: &Bx, (start, end): (usize, usize)) -> (Option<Peek>, Option<u64>, Event) {
        let mut reader = Reader::new(&bx.0);
        let peek = reader.peek(start, end);
        let time = reader.time_key(start, end);
        let event = reader.build(start, end, None).unwrap();
        if let Some(p) = peek {
            assert_eq!(p.event_id, event.event_id);
            if let Some(t) = p.logon_type {
                assert_eq!(Some(t), event.get("LogonType").and_then(|v| v.parse().ok()));
            }
        }
        if let Some(t) = time {
            assert_eq!(Some(t), time_key(&event.time));
        }
        (peek, time, event)
    }

    #[test]
    fn the_first_event_id_and_time_are_the_events_and_decide_the_peek() {
        // A record whose <System> the caller writes: what the peek, the gate and building say.
        let system = |write: &dyn Fn(&mut Bx)| {
            let mut bx = Bx::default();
            let r = bx.plain(write, |_| {});
            peeks_agree(&bx, r)
        };
        // Found by the binxml fuzz target: a record with two TimeCreated in <System>. The gate
        // read the first, building kept the last, so a flood's gate could drop a record newer
        // than it thought. The first of each is now the event's, in event_xml too.
        let (_, time, event) = system(&|b| {
            b.element("EventID", "131");
            b.time_created("2021-12-16T10:19:07.912707600Z");
            b.element("Keywords", "0x4000000000000000");
            b.time_created("2021-12-16T10:19:07.546821200Z");
        });
        assert_eq!(event.time, "2021-12-16T10:19:07.912Z");
        assert_eq!(time, Some(20211216101907912));
        let xml = "<Event><System><EventID>131</EventID>\
            <TimeCreated SystemTime='2021-12-16T10:19:07.912707600Z'/>\
            <TimeCreated SystemTime='2021-12-16T10:19:07.546821200Z'/></System></Event>";
        let from_xml = super::super::super::event_xml::event_from_xml(xml).unwrap();
        assert_eq!(from_xml.time, event.time);

        // Two EventIDs: the first that reads as a number is the event's.
        let (peek, _, event) = system(&|b| {
            b.element("EventID", "1");
            b.element("EventID", "4625");
        });
        assert_eq!((peek.map(|p| p.event_id), event.event_id), (Some(1), 1));
        let (peek, _, event) = system(&|b| {
            b.element("EventID", "x");
            b.element("EventID", "4625");
        });
        assert_eq!((peek, event.event_id), (None, 4625));

        // A time after an empty one: building takes the second, so the gate does not answer.
        let (_, time, event) = system(&|b| {
            b.element("EventID", "131");
            b.time_created("");
            b.time_created("2021-12-16T10:19:07.546821200Z");
        });
        assert_eq!(
            (time, event.time.as_str()),
            (None, "2021-12-16T10:19:07.546Z")
        );
    }

    #[test]
    fn the_logon_type_peeked_is_the_first_item_named_so_in_any_case() {
        let logon = |data: &dyn Fn(&mut Bx)| {
            let mut bx = Bx::default();
            let r = bx.plain(|b| b.element("EventID", "4624"), data);
            let (peek, _, event) = peeks_agree(&bx, r);
            (
                peek.and_then(|p| p.logon_type),
                event.get("LogonType").map(str::to_owned),
            )
        };
        assert_eq!(
            logon(&|b| b.data("LogonType", &["10"])),
            (Some(10), Some("10".into()))
        );
        // Event::get ignores case and takes the first.
        assert_eq!(
            logon(&|b| {
                b.data("logontype", &["3"]);
                b.data("LogonType", &["10"]);
            }),
            (Some(3), Some("3".into()))
        );
        // A value in pieces, or named by its element: for building to say, or read as built.
        assert_eq!(
            logon(&|b| b.data("LogonType", &["1", "0"])),
            (None, Some("10".into()))
        );
        assert_eq!(
            logon(&|b| b.element("LogonType", "10")),
            (Some(10), Some("10".into()))
        );
        assert_eq!(
            logon(&|b| {
                b.data("", &["7"]);
                b.element("LOGONTYPE", "3");
                b.data("LogonType", &["10"]);
            }),
            (Some(3), Some("3".into()))
        );
    }

    #[test]
    fn ids_are_read_from_values_as_building_reads_their_text() {
        let v = |ty, bytes: &'static [u8]| value_as_id(Value { ty, bytes });
        assert_eq!(v(ty::UINT16, &[0xff, 0xff]), Some(65535));
        assert_eq!(v(ty::INT16, &[0xff, 0xff]), None);
        assert_eq!(v(ty::INT16, &[0x29, 0x12]), Some(4649));
        assert_eq!(v(ty::INT8, &[0x80]), None);
        assert_eq!(v(ty::INT32, &[0, 0, 0, 0x80]), None);
        assert_eq!(v(ty::UINT32, &[0, 0, 0, 0x80]), Some(0x8000_0000));
        assert_eq!(v(ty::HEX_INT32, &[0x11, 0x12, 0, 0]), None);
    }

    #[test]
    fn an_element_counts_as_there_when_it_depends_on_its_own_value_only() {
        let names = ["Event", "System", "EventID", "EventData"];
        let is = |offset: u32, n: &str| names.get(offset as usize) == Some(&n);
        // <Event> (on the payload, 17) > <System> > <EventID> on its own value 3.
        let id = Dependency::of(&[(0, Some(17)), (1, None)], Some(3), &is);
        assert_eq!(id.source(IdSource::Value(3)), IdSource::Value(3));
        assert_eq!(id.source(IdSource::Value(4)), IdSource::Unknown);
        assert_eq!(id.source(IdSource::Literal(4625)), IdSource::Unknown);
        let plain = Dependency::of(&[(0, Some(17)), (1, None)], None, &is);
        assert_eq!(
            plain.source(IdSource::Literal(4625)),
            IdSource::Literal(4625)
        );
        // <System> left out by another value: which EventID remains is known per record.
        let nested = Dependency::of(&[(0, None), (1, Some(9))], Some(3), &is);
        assert_eq!(nested.source(IdSource::Value(3)), IdSource::Unknown);
        // An embedded fragment's root counts: it is not the event's root.
        let fragment = Dependency::of(&[(3, Some(9))], None, &is);
        assert_eq!(fragment.source(IdSource::Value(8)), IdSource::Unknown);
    }

    #[test]
    fn a_walked_record_after_a_built_one_has_only_its_own_data() {
        // Found by the binxml fuzz target: the buffer events are built in went to the walk
        // still holding the previous event's pairs.
        let mut bx = Bx::default();
        let first = bx.record("TargetUserName", "alice", false);
        let second = bx.record("IpAddress", "10.0.0.", true);
        let mut reader = Reader::new(&bx.0);
        let a = reader.build(first.0, first.1, Some(4625)).unwrap();
        assert_eq!(reader.shaped, 1);
        let b = reader.build(second.0, second.1, Some(4625)).unwrap();
        assert_eq!(reader.walked, 1);
        assert_eq!(
            a.data.iter().collect::<Vec<_>>(),
            [("TargetUserName", "alice")]
        );
        assert_eq!(
            b.data.iter().collect::<Vec<_>>(),
            [("IpAddress", "10.0.0.A")]
        );
        assert_eq!(b.time, "2026-03-01T10:00:00.123Z");
        assert_eq!(reader.time_key(second.0, second.1), time_key(&b.time));
    }

    #[test]
    fn garbage_streams_are_misses_not_panics() {
        let mut data = vec![0u8; 4096];
        for (i, b) in data.iter_mut().enumerate() {
            *b = (i * 7 % 251) as u8;
        }
        for start in 0..200 {
            let mut r = Reader::new(&data);
            let _ = r.peek(start, start + 300);
            let _ = r.build(start, start + 300, None);
        }
        let mut r = Reader::new(&[]);
        assert!(r.build(0, 10, None).is_err());
    }
}

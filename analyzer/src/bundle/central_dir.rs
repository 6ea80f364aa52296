//! The zip's central directory read by us, not through the zip crate, for the two questions the
//! crate answers unsafely for hostile input:
//!
//! - **Which entries share bytes.** `ZipArchive::has_overlapping_files` returns an error when one
//!   entry's local header is unreadable, and an error taken as "no overlap" let 4,096 entries
//!   inflate the same stream. Here every entry gets its own verdict ([`Verdict`]) and nothing can
//!   fail open: an entry whose range cannot be computed is refused, and the directory as a whole
//!   failing to read refuses every entry.
//! - **Which names repeat.** The crate keys entries by name and keeps the *last* entry's data
//!   under the name seen first, so two entries named alike look like one, and the analyzer would
//!   read what `unzip` (which extracts the first) does not show.
//!
//! Only the fixed fields are read (46 bytes per record, 30 per local header): names and sizes,
//! never data.

use std::io::{Read, Seek, SeekFrom};

/// One central-directory record, with offsets made absolute (the archive's offset in the file,
/// for self-extractors, added).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CdEntry {
    pub name_raw: Vec<u8>,
    pub flags: u16,
    pub compressed: u64,
    pub uncompressed: u64,
    pub header_start: u64,
    pub verdict: Verdict,
}

/// Whether an entry's bytes may be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Its local header and data are its own.
    Own,
    /// Refused, with the reason for the finding.
    Refused(String),
    /// A later entry with the same raw name as an earlier one; `unzip` extracts the first.
    Duplicate,
}

const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The zip64 extended-information field replaces, in this order, whichever of the uncompressed
/// size, compressed size and local-header offset are `0xFFFFFFFF` in the fixed fields.
fn apply_zip64(extra: &[u8], uncompressed: &mut u64, compressed: &mut u64, offset: &mut u64) {
    let mut at = 0;
    while let (Some(id), Some(len)) = (u16_at(extra, at), u16_at(extra, at + 2)) {
        let body = at + 4;
        if id == 0x0001 {
            let mut p = body;
            for field in [uncompressed, compressed, offset] {
                if *field == 0xFFFF_FFFF {
                    if let Some(v) = u64_at(extra, p).filter(|_| p + 8 <= body + usize::from(len)) {
                        *field = v;
                    }
                    p += 8;
                }
            }
            return;
        }
        at = body + usize::from(len);
    }
}

/// Reads up to `max` records of the central directory starting at `dir_start` (absolute), and
/// judges each. `archive_offset` is what precedes the zip in the file (a self-extractor stub).
/// An error means the directory could not be read as the zip crate read it: refuse everything.
pub(super) fn read<R: Read + Seek>(
    r: &mut R,
    dir_start: u64,
    archive_offset: u64,
    max: usize,
) -> std::io::Result<Vec<CdEntry>> {
    let mut entries = Vec::new();
    r.seek(SeekFrom::Start(dir_start))?;
    let mut fixed = [0u8; 46];
    while entries.len() < max {
        if super::read_up_to(r, &mut fixed)? < 46 || u32_at(&fixed, 0) != Some(CENTRAL_SIG) {
            break;
        }
        let field16 = |at| u16_at(&fixed, at).unwrap_or(0);
        let field32 = |at| u64::from(u32_at(&fixed, at).unwrap_or(0));
        let (name_len, extra_len, comment_len) = (field16(28), field16(30), field16(32));
        let mut var = vec![0u8; usize::from(name_len) + usize::from(extra_len)];
        r.read_exact(&mut var)?;
        r.seek(SeekFrom::Current(i64::from(comment_len)))?;
        let (name, extra) = var.split_at(usize::from(name_len));
        let (mut uncompressed, mut compressed, mut offset) =
            (field32(24), field32(20), field32(42));
        apply_zip64(extra, &mut uncompressed, &mut compressed, &mut offset);
        entries.push(CdEntry {
            name_raw: name.to_vec(),
            flags: field16(8),
            compressed,
            uncompressed,
            header_start: offset.saturating_add(archive_offset),
            verdict: Verdict::Own,
        });
    }
    if entries.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "no central-directory record where the end record says the directory starts",
        ));
    }
    judge(r, &mut entries, dir_start);
    Ok(entries)
}

/// Gives every entry its verdict: duplicates of an earlier name; entries whose local header is
/// not where the directory says; and entries whose bytes (header and data) run into the next
/// entry's header or the central directory. In a sequence sorted by start, an entry that ends
/// past the next one's start is the one that lies (a bogus compressed size, or the outer layer
/// of an overlapping bomb), so it alone is refused and the others are read; entries that start
/// at the same offset are all refused, as no archiver writes one header for two names.
fn judge<R: Read + Seek>(r: &mut R, entries: &mut [CdEntry], dir_start: u64) {
    let mut first_of: std::collections::HashMap<&[u8], usize> = Default::default();
    let mut duplicate = vec![false; entries.len()];
    for (i, e) in entries.iter().enumerate() {
        if first_of.insert(&e.name_raw, i).is_some() {
            if let Some(d) = duplicate.get_mut(i) {
                *d = true;
            }
        }
    }
    // Byte range of each entry, or why it has none.
    let mut ranges: Vec<(u64, u64, usize)> = Vec::new();
    for (i, e) in entries.iter_mut().enumerate() {
        match local_range(r, e) {
            Ok((start, end)) => ranges.push((start, end, i)),
            Err(why) => e.verdict = Verdict::Refused(why),
        }
    }
    ranges.sort_unstable();
    let mut refused = vec![None; entries.len()];
    for (k, &(start, end, i)) in ranges.iter().enumerate() {
        let next = ranges.get(k + 1).map(|n| n.0);
        let prev = k.checked_sub(1).and_then(|p| ranges.get(p)).map(|p| p.0);
        let why = if prev == Some(start) || next == Some(start) {
            Some(
                "its local header is also another entry's (entries share compressed data, the \
                 construction of a zip bomb); not read"
                    .to_string(),
            )
        } else if end > next.unwrap_or(dir_start).min(dir_start) {
            Some(
                "its compressed size runs into the next entry or the central directory (a bogus \
                 size, or entries sharing compressed data as zip bombs do); not read"
                    .to_string(),
            )
        } else {
            None
        };
        if let Some(slot) = refused.get_mut(i) {
            *slot = why;
        }
    }
    for (i, e) in entries.iter_mut().enumerate() {
        if let Some(Some(why)) = refused.get_mut(i).map(Option::take) {
            e.verdict = Verdict::Refused(why);
        } else if duplicate.get(i) == Some(&true) && e.verdict == Verdict::Own {
            e.verdict = Verdict::Duplicate;
        }
    }
}

/// The bytes an entry occupies: from its local header to the end of its compressed data.
fn local_range<R: Read + Seek>(r: &mut R, e: &CdEntry) -> Result<(u64, u64), String> {
    let mut local = [0u8; 30];
    let ok = r
        .seek(SeekFrom::Start(e.header_start))
        .and_then(|_| super::read_up_to(r, &mut local));
    if !matches!(ok, Ok(30)) || u32_at(&local, 0) != Some(LOCAL_SIG) {
        return Err(format!(
            "no local header at offset {} where the central directory points; not read",
            e.header_start
        ));
    }
    let var =
        u64::from(u16_at(&local, 26).unwrap_or(0)) + u64::from(u16_at(&local, 28).unwrap_or(0));
    let end = e
        .header_start
        .checked_add(30 + var)
        .and_then(|d| d.checked_add(e.compressed))
        .ok_or_else(|| "its compressed size overflows the file; not read".to_string())?;
    Ok((e.header_start, end))
}

//! The memory budget: what one analysis may hold in memory, whatever the input.
//!
//! The read limits (`--max-entry-mib`, `--max-total-mib`) bound bytes read, not memory, and
//! parsing multiplies what is read: a `.reg` export becomes keys and values worth 7-11 times its
//! size, any text is decoded once more (UTF-16 to UTF-8), a netstat or tasklist becomes rows. So
//! every file held in memory is charged its inflated size times a factor for its kind (the raw
//! bytes, the decoded text and the parsed structures; see [`held_factor`]), cumulatively for the whole input. A file whose charge would exceed
//! what is left is *left out*: not read further (a zip entry stops inflating there), named in
//! an RDP900 finding, and the rest of the input is analyzed.
//!
//! Event logs are not charged: they are streamed into the event parser, whose memory is bounded
//! by the stream's buffer and the event caps, not by the file's size. Only what is held counts.

use crate::parse::identify::{self, Kind};
use crate::parse::text;
use std::collections::BTreeMap;

/// 512 MiB: the largest real bundles (a 40 MiB `.reg` of a whole hive, hundreds of command
/// outputs) fit in a fraction of it, and a laptop or a support VM has it to spare.
pub const DEFAULT_MEMORY_BUDGET: u64 = 512 << 20;

/// Bytes of memory one byte of a file of `kind` costs while it is analyzed: its raw bytes, its
/// decoded text, and its parsed structures. `None` for kinds that are streamed, not held.
///
/// Issue 13 measured the peak RSS of the release binary at 7-11× the size of a `.reg` export
/// and 2-3× for unrecognized files (bytes, decoded text); the factors round those up. The XML
/// trees (gpresult, event XML) and the row-based command outputs are estimates from their
/// parsed types, not measurements: 8× and 5×.
pub fn held_factor(kind: Kind) -> Option<u64> {
    Some(match kind {
        Kind::Evtx => return None,
        Kind::Registry => 12,
        Kind::Gpresult | Kind::GpresultXml | Kind::EventXml => 8,
        Kind::Unknown => 3,
        _ => 5,
    })
}

/// What kind a file is, from its first bytes and its label (as identify does for the whole
/// file; a misjudged kind only changes the factor).
pub fn kind_of_head(label: &str, head: &[u8]) -> Kind {
    let binary = crate::parse::evtx::sniff(head) || crate::parse::cert::sniff(head);
    let decoded = (!binary).then(|| text::decode(head, None));
    match identify::identify(head, decoded.as_ref()) {
        Kind::Unknown => identify::kind_from_manifest_path(label).unwrap_or(Kind::Unknown),
        k => k,
    }
}

/// A file the budget left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub path: String,
    pub kind: Kind,
    /// Its size when known (a folder's file), else how far it had inflated when stopped.
    pub bytes: u64,
    /// `true` when `bytes` is only what was seen before the entry was stopped.
    pub at_least: bool,
}

/// The running account of one analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub limit: u64,
    /// Charged so far, per kind (inflated bytes times the kind's factor).
    pub charged: BTreeMap<Kind, u64>,
    /// Inflated bytes held, per kind.
    pub held: BTreeMap<Kind, u64>,
    pub left_out: Vec<LeftOut>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(DEFAULT_MEMORY_BUDGET)
    }
}

impl Budget {
    pub fn new(limit: u64) -> Self {
        Budget {
            limit,
            charged: BTreeMap::new(),
            held: BTreeMap::new(),
            left_out: Vec::new(),
        }
    }

    pub fn used(&self) -> u64 {
        self.charged.values().sum()
    }

    /// How many more bytes of a file of `kind` may be held (`u64::MAX` when it is streamed).
    pub fn room_for(&self, kind: Kind) -> u64 {
        match held_factor(kind) {
            None => u64::MAX,
            Some(f) => self.limit.saturating_sub(self.used()) / f.max(1),
        }
    }

    /// Records a file of `len` bytes kept in memory.
    pub fn charge(&mut self, kind: Kind, len: u64) {
        if let Some(f) = held_factor(kind) {
            *self.charged.entry(kind).or_default() += len.saturating_mul(f);
            *self.held.entry(kind).or_default() += len;
        }
    }

    /// Records a file left out, and returns the finding's problem naming it.
    pub fn leave_out(
        &mut self,
        path: String,
        kind: Kind,
        bytes: u64,
        at_least: bool,
    ) -> super::InputProblem {
        let mib = |b: u64| b.div_ceil(1 << 20);
        let factor = held_factor(kind).unwrap_or(1);
        let message = format!(
            "left out to keep the analysis within its memory budget of {} MiB: as {} of {}{} \
             MiB it would need about {} MiB, and {} MiB are left after the files read before \
             it; the rest of the input is analyzed without it (raise the budget with --memory-mib)",
            mib(self.limit),
            kind.describe(),
            if at_least { "at least " } else { "" },
            mib(bytes),
            mib(bytes.saturating_mul(factor)),
            mib(self.limit.saturating_sub(self.used())),
        );
        self.left_out.push(LeftOut {
            path: path.clone(),
            kind,
            bytes,
            at_least,
        });
        super::InputProblem { path, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_shrinks_by_the_kind_factor_and_event_logs_are_free() {
        let mut b = Budget::new(1200);
        assert_eq!(b.room_for(Kind::Registry), 100);
        assert_eq!(b.room_for(Kind::Evtx), u64::MAX);
        b.charge(Kind::Registry, 50);
        assert_eq!(b.used(), 600);
        assert_eq!(b.room_for(Kind::Unknown), 200);
        b.charge(Kind::Evtx, 1 << 40);
        assert_eq!(b.used(), 600);
    }

    #[test]
    fn kinds_are_told_from_the_head() {
        let reg = "\u{feff}Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n";
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                reg.trim_start_matches('\u{feff}')
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert_eq!(kind_of_head("a.txt", &utf16), Kind::Registry);
        assert_eq!(kind_of_head("a.bin", b"\0\x01garbage"), Kind::Unknown);
        assert_eq!(held_factor(Kind::Unknown), Some(3));
    }
}

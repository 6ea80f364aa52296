//! `--emit-reg FILE`: the guide's "export the listener configuration from a working computer and
//! import it", limited to what differs.
//!
//! The file holds, for every value under `WinStations\RDP-Tcp` that differs between the two
//! inputs, the working machine's value (or a `"name"=-` deletion where only the broken machine
//! has the value). Values that identify the working machine (its certificate thumbprint,
//! `SSLCertificateSHA1Hash`) are left out: importing them would point the broken listener at a
//! certificate it does not have. The format is what `reg export` writes (UTF-16LE, BOM, CRLF,
//! regedit 5), written by the same writer as the collector's exports, with a comment header that
//! says how to back up the key first and how to restart the service.

use super::{Comparison, Nature, Side};
use crate::evidence::RDP_TCP_KEY;
use crate::parse::reg::{self, RegData};
use rdp_bundle::regfile::{self, RegFileWriter};

/// One value to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegChange {
    pub key: String,
    pub name: String,
    /// `None`: delete the value (only the broken machine has it).
    pub data: Option<RegData>,
}

/// The RDP-Tcp values of `cmp`'s causes, with the working side's data.
pub fn changes(cmp: &Comparison, working: &Side, broken: &Side) -> Vec<RegChange> {
    let root = reg::normalize_key_path(RDP_TCP_KEY);
    let mut out = Vec::new();
    for d in &cmp.causes {
        let w = working.facts.get(&d.key);
        let b = broken.facts.get(&d.key);
        let Some((key, name, _)) = w.or(b).and_then(|f| f.reg.as_ref()) else {
            continue;
        };
        let norm = reg::normalize_key_path(key);
        if norm != root && !norm.starts_with(&format!("{root}\\")) {
            continue;
        }
        if w.or(b).is_some_and(|f| f.nature != Nature::Setting) {
            continue;
        }
        out.push(RegChange {
            key: w
                .and_then(|f| f.reg.as_ref())
                .map(|(k, _, _)| k.clone())
                .unwrap_or_else(|| key.clone()),
            name: name.clone(),
            data: w.and_then(|f| f.reg.as_ref()).map(|(_, _, d)| d.clone()),
        });
    }
    out
}

/// The `.reg` file bytes.
pub fn render(cmp: &Comparison, changes: &[RegChange]) -> Vec<u8> {
    let mut w = RegFileWriter::new();
    let host = |h: &Option<String>| h.clone().unwrap_or_else(|| "unknown host".into());
    let key = RDP_TCP_KEY.replace("HKEY_LOCAL_MACHINE", "HKLM");
    w.comment(&format!(
        "Written by rdp-analyze compare {}.\n\
         The working machine's values for what differs under WinStations\\RDP-Tcp:\n\
         working: {} ({})\n\
         broken:  {} ({})\n\
         Left out: values that belong to one machine (the certificate thumbprint\n\
         SSLCertificateSHA1Hash).\n\
         \n\
         On the broken machine, as administrator:\n\
         1. Back up the key first:\n\
            reg export \"{key}\" \"%USERPROFILE%\\Desktop\\RDP-Tcp-backup.reg\"\n\
         2. Import this file:\n\
            reg import THIS-FILE.reg\n\
         3. Restart Remote Desktop Services (this ends every RDP session on the machine):\n\
            net stop TermService /y && net start TermService\n\
            (PowerShell: Restart-Service TermService -Force)\n\
         To undo: reg import the backup and restart the service again.",
        env!("CARGO_PKG_VERSION"),
        host(&cmp.working.host_name),
        cmp.working.source,
        host(&cmp.broken.host_name),
        cmp.broken.source,
    ));
    if changes.is_empty() {
        w.comment("Nothing under RDP-Tcp differs: there is nothing to import.");
    }
    let mut current: Option<String> = None;
    for c in changes {
        if current
            .as_deref()
            .is_none_or(|k| reg::normalize_key_path(k) != reg::normalize_key_path(&c.key))
        {
            w.key(&c.key);
            current = Some(c.key.clone());
        }
        match &c.data {
            Some(d) => {
                let (kind, bytes) = raw(d);
                w.value(&c.name, kind, &bytes);
            }
            None => {
                w.comment("only the broken machine has this value: the import deletes it");
                w.deleted_value(&c.name);
            }
        }
    }
    w.finish()
}

/// Registry type and raw bytes of parsed data, as the registry stores them.
fn raw(d: &RegData) -> (u32, Vec<u8>) {
    let utf16z = |s: &str| {
        let mut b: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        b.extend_from_slice(&[0, 0]);
        b
    };
    match d {
        RegData::Sz(s) => (regfile::REG_SZ, utf16z(s)),
        RegData::ExpandSz(s) => (regfile::REG_EXPAND_SZ, utf16z(s)),
        RegData::MultiSz(v) => {
            let mut b: Vec<u8> = v.iter().flat_map(|s| utf16z(s)).collect();
            b.extend_from_slice(&[0, 0]);
            (regfile::REG_MULTI_SZ, b)
        }
        RegData::Dword(v) => (regfile::REG_DWORD, v.to_le_bytes().to_vec()),
        RegData::DwordBigEndian(v) => (regfile::REG_DWORD_BIG_ENDIAN, v.to_be_bytes().to_vec()),
        RegData::Qword(v) => (regfile::REG_QWORD, v.to_le_bytes().to_vec()),
        RegData::Binary(b) => (regfile::REG_BINARY, b.clone()),
        RegData::None(b) => (regfile::REG_NONE, b.clone()),
        RegData::Other { kind, bytes } => (*kind, bytes.clone()),
        RegData::Deleted => (regfile::REG_NONE, Vec::new()),
    }
}

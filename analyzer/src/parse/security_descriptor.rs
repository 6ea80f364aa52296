//! Self-relative security descriptors (`SECURITY_DESCRIPTOR_RELATIVE`), as Windows stores them in
//! REG_BINARY values such as `WinStations\RDP-Tcp\Security`: the listener's own permissions.
//!
//! Layout (little-endian): revision (1 byte, 1), Sbz1, control (u16, `SE_SELF_RELATIVE` 0x8000,
//! `SE_DACL_PRESENT` 0x0004), then four u32 offsets from the start: owner, group, SACL, DACL.
//! An ACL is revision, Sbz1, size (u16), ACE count (u16), Sbz2, then the ACEs: type (0 allow,
//! 1 deny), flags, size (u16), access mask (u32), SID. A SID is revision (1), sub-authority count,
//! a 6-byte big-endian identifier authority and that many u32 sub-authorities.
//!
//! Everything is bounds-checked: a value from a registry export is untrusted bytes.

use serde::Serialize;

/// More ACEs than any real descriptor holds.
const MAX_ACES: usize = 4096;

/// One access control entry of the DACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdAce {
    /// `true` for ACCESS_ALLOWED, `false` for ACCESS_DENIED.
    pub allow: bool,
    pub flags: u8,
    pub mask: u32,
    /// `S-1-5-32-555`.
    pub sid: String,
}

/// The parts of a descriptor a check reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SecurityDescriptor {
    pub control: u16,
    pub owner: Option<String>,
    /// `None` when the descriptor has no DACL (everyone has full access).
    pub dacl: Option<Vec<SdAce>>,
}

/// Why bytes are not a self-relative security descriptor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a self-relative security descriptor: {0}")]
pub struct SdError(pub &'static str);

/// Parses a self-relative security descriptor.
pub fn parse(bytes: &[u8]) -> Result<SecurityDescriptor, SdError> {
    let revision = *bytes.first().ok_or(SdError("empty"))?;
    if revision != 1 {
        return Err(SdError("revision is not 1"));
    }
    let control = u16_at(bytes, 2).ok_or(SdError("truncated header"))?;
    if control & 0x8000 == 0 {
        return Err(SdError("not self-relative"));
    }
    let owner_off = u32_at(bytes, 4).ok_or(SdError("truncated header"))? as usize;
    let dacl_off = u32_at(bytes, 16).ok_or(SdError("truncated header"))? as usize;
    let owner = if owner_off == 0 {
        None
    } else {
        Some(sid_at(bytes, owner_off).ok_or(SdError("bad owner SID"))?.0)
    };
    let dacl = if control & 0x0004 == 0 || dacl_off == 0 {
        None
    } else {
        Some(acl_at(bytes, dacl_off)?)
    };
    Ok(SecurityDescriptor {
        control,
        owner,
        dacl,
    })
}

fn acl_at(bytes: &[u8], off: usize) -> Result<Vec<SdAce>, SdError> {
    let size = u16_at(bytes, off.checked_add(2).ok_or(SdError("bad ACL"))?)
        .ok_or(SdError("truncated ACL"))? as usize;
    let count = u16_at(bytes, off.checked_add(4).ok_or(SdError("bad ACL"))?)
        .ok_or(SdError("truncated ACL"))? as usize;
    let end = off
        .checked_add(size)
        .filter(|e| *e <= bytes.len())
        .ok_or(SdError("ACL runs past the end"))?;
    let mut pos = off + 8;
    let mut aces = Vec::new();
    for _ in 0..count.min(MAX_ACES) {
        let ace_type = *bytes.get(pos).ok_or(SdError("truncated ACE"))?;
        let flags = *bytes.get(pos + 1).ok_or(SdError("truncated ACE"))?;
        let ace_size = u16_at(bytes, pos + 2).ok_or(SdError("truncated ACE"))? as usize;
        if ace_size < 8 || pos + ace_size > end {
            return Err(SdError("ACE size out of range"));
        }
        if ace_type <= 1 {
            let mask = u32_at(bytes, pos + 4).ok_or(SdError("truncated ACE"))?;
            let (sid, _) = sid_at(bytes, pos + 8).ok_or(SdError("bad ACE SID"))?;
            aces.push(SdAce {
                allow: ace_type == 0,
                flags,
                mask,
                sid,
            });
        }
        pos += ace_size;
    }
    Ok(aces)
}

/// The SID at `off` as text, and its length in bytes.
fn sid_at(bytes: &[u8], off: usize) -> Option<(String, usize)> {
    let revision = *bytes.get(off)?;
    let count = *bytes.get(off + 1)? as usize;
    if revision != 1 || count > 15 {
        return None;
    }
    let auth = bytes
        .get(off + 2..off + 8)?
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let mut s = format!("S-1-{auth}");
    for i in 0..count {
        let sub = u32_at(bytes, off + 8 + 4 * i)?;
        s.push_str(&format!("-{sub}"));
    }
    Some((s, 8 + 4 * count))
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(off..off.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// Builds a self-relative descriptor (owner Administrators, DACL of `aces`): for tests and
/// fixtures that need the bytes Windows stores.
pub fn build(aces: &[(bool, u32, &str)]) -> Vec<u8> {
    fn sid_bytes(sid: &str) -> Vec<u8> {
        let parts: Vec<u64> = sid
            .split('-')
            .skip(2)
            .filter_map(|p| p.parse().ok())
            .collect();
        let (auth, subs) = parts
            .split_first()
            .map(|(a, s)| (*a, s))
            .unwrap_or((0, &[]));
        let mut v = vec![1u8, subs.len() as u8];
        v.extend_from_slice(&auth.to_be_bytes()[2..]);
        for s in subs {
            v.extend_from_slice(&(*s as u32).to_le_bytes());
        }
        v
    }
    let mut acl_body = Vec::new();
    for (allow, mask, sid) in aces {
        let sid = sid_bytes(sid);
        let size = 8 + sid.len();
        acl_body.push(if *allow { 0 } else { 1 });
        acl_body.push(0);
        acl_body.extend_from_slice(&(size as u16).to_le_bytes());
        acl_body.extend_from_slice(&mask.to_le_bytes());
        acl_body.extend_from_slice(&sid);
    }
    let owner = sid_bytes("S-1-5-32-544");
    let mut out = vec![1u8, 0];
    out.extend_from_slice(&0x8004u16.to_le_bytes());
    let owner_off = 20u32;
    let dacl_off = owner_off + owner.len() as u32;
    for off in [owner_off, 0, 0, dacl_off] {
        out.extend_from_slice(&off.to_le_bytes());
    }
    out.extend_from_slice(&owner);
    out.extend_from_slice(&[2, 0]);
    out.extend_from_slice(&((8 + acl_body.len()) as u16).to_le_bytes());
    out.extend_from_slice(&(aces.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&acl_body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let b = build(&[
            (true, 0xF03BF, "S-1-5-32-544"),
            (true, 0x121, "S-1-5-32-555"),
            (false, 0x20, "S-1-5-21-1004336348-1177238915-682003330-1105"),
        ]);
        let sd = parse(&b).unwrap();
        assert_eq!(sd.owner.as_deref(), Some("S-1-5-32-544"));
        let dacl = sd.dacl.unwrap();
        assert_eq!(dacl.len(), 3);
        assert_eq!(dacl[1].sid, "S-1-5-32-555");
        assert_eq!(dacl[1].mask, 0x121);
        assert!(!dacl[2].allow);
        assert_eq!(dacl[2].sid, "S-1-5-21-1004336348-1177238915-682003330-1105");
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let b = build(&[(true, 0x121, "S-1-5-32-555"), (true, 1, "S-1-1-0")]);
        for cut in 0..b.len() {
            assert!(parse(&b[..cut]).is_err(), "cut at {cut}");
        }
        assert!(parse(&[]).is_err());
        assert!(parse(&[2, 0, 0, 0x80]).is_err());
        let mut no_dacl = b.clone();
        no_dacl[2] = 0;
        assert!(parse(&no_dacl).unwrap().dacl.is_none());
        let mut bad = b.clone();
        let last = bad.len() - 1;
        bad[40] = 0xFF; // ACL size
        let _ = parse(&bad);
        bad[last] ^= 0xFF;
        let _ = parse(&bad);
        for seed in 0..2000u32 {
            let noise: Vec<u8> = (0..64u32)
                .map(|i| ((i.wrapping_mul(2654435761).wrapping_add(seed * 97)) >> 13) as u8)
                .collect();
            let mut n = noise.clone();
            n[0] = 1;
            n[3] = 0x80;
            let _ = parse(&n);
        }
    }
}

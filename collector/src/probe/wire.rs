//! The first two PDUs of an RDP connection, byte for byte ([MS-RDPBCGR] 2.2.1.1 and 2.2.1.2).
//!
//! A client opens with an X.224 Connection Request inside a TPKT header, carrying an
//! `RDP_NEG_REQ` that lists the security protocols it supports. The server answers with an X.224
//! Connection Confirm carrying either `RDP_NEG_RSP` (the protocol it selected) or
//! `RDP_NEG_FAILURE` (why it refuses), or nothing at all: a server that predates negotiation, or
//! is limited to standard RDP security, sends a bare Connection Confirm. Everything after that
//! (TLS, CredSSP) runs on the same socket.

/// `PROTOCOL_RDP`: standard RDP security (RC4), the value when no bit is set.
pub const PROTOCOL_RDP: u32 = 0;
/// `PROTOCOL_SSL`: TLS.
pub const PROTOCOL_SSL: u32 = 0x1;
/// `PROTOCOL_HYBRID`: CredSSP (Network Level Authentication) over TLS.
pub const PROTOCOL_HYBRID: u32 = 0x2;
/// `PROTOCOL_RDSTLS`: RDSTLS (remote credential guard / redirected logons).
pub const PROTOCOL_RDSTLS: u32 = 0x4;
/// `PROTOCOL_HYBRID_EX`: CredSSP followed by the Early User Authorization Result PDU.
pub const PROTOCOL_HYBRID_EX: u32 = 0x8;
/// `PROTOCOL_RDSAAD`: Azure AD (Entra ID) authentication.
pub const PROTOCOL_RDSAAD: u32 = 0x10;

/// What mstsc offers: TLS, CredSSP and CredSSP with early authorization. A server that insists
/// on standard RDP security answers `SSL_NOT_ALLOWED_BY_SERVER`.
pub const REQUESTED_PROTOCOLS: u32 = PROTOCOL_SSL | PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX;

/// The routing cookie mstsc sends (`mstshash=<user name>`); some load balancers and RD
/// Connection Brokers expect one.
pub const COOKIE: &str = "Cookie: mstshash=rdptriage\r\n";

/// TPKT version ([T.123]).
const TPKT_VERSION: u8 = 3;
/// X.224 Connection Request TPDU code (CR, credit 0).
const X224_CR: u8 = 0xE0;
/// X.224 Connection Confirm TPDU code (upper nibble).
const X224_CC: u8 = 0xD0;
/// X.224 Disconnect Request TPDU code.
const X224_DR: u8 = 0x80;
/// `TYPE_RDP_NEG_REQ`, `TYPE_RDP_NEG_RSP`, `TYPE_RDP_NEG_FAILURE`.
const TYPE_RDP_NEG_REQ: u8 = 0x01;
const TYPE_RDP_NEG_RSP: u8 = 0x02;
const TYPE_RDP_NEG_FAILURE: u8 = 0x03;
/// Length of `RDP_NEG_REQ`/`RSP`/`FAILURE`.
const NEG_LENGTH: u16 = 8;
/// TPKT header (4) plus the fixed part of the X.224 TPDU (LI, code, DST-REF, SRC-REF, class).
pub const MIN_CONFIRM_LEN: usize = 4 + 7;
/// Largest Connection Confirm accepted: the real one is 11 or 19 bytes; anything near this is
/// not an RDP server.
pub const MAX_CONFIRM_LEN: usize = 256;

/// The client's Connection Request: TPKT header, X.224 CR TPDU, the optional routing `cookie`
/// and an `RDP_NEG_REQ` with `requested` protocols.
pub fn connection_request(cookie: Option<&str>, requested: u32) -> Vec<u8> {
    let cookie = cookie.unwrap_or("").as_bytes();
    // LI counts the TPDU bytes after itself: code, DST-REF, SRC-REF, class (6), the variable
    // part (cookie) and the user data (RDP_NEG_REQ).
    let li = 6 + cookie.len() + usize::from(NEG_LENGTH);
    let total = 4 + 1 + li;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&[TPKT_VERSION, 0]);
    out.extend_from_slice(&(total as u16).to_be_bytes());
    out.push(li as u8);
    out.push(X224_CR);
    out.extend_from_slice(&[0, 0, 0, 0, 0]); // DST-REF, SRC-REF, class 0
    out.extend_from_slice(cookie);
    out.push(TYPE_RDP_NEG_REQ);
    out.push(0); // flags
    out.extend_from_slice(&NEG_LENGTH.to_le_bytes());
    out.extend_from_slice(&requested.to_le_bytes());
    out
}

/// What the server's Connection Confirm said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// `RDP_NEG_RSP`: the protocol the server selected, and its flags (extended client data,
    /// graphics pipeline, restricted admin, redirected authentication supported).
    Selected { protocol: u32, flags: u8 },
    /// `RDP_NEG_FAILURE` and its code (1..6 in [MS-RDPBCGR] 2.2.1.2.2).
    Failure { code: u32 },
    /// A Connection Confirm without negotiation data: standard RDP security only.
    Legacy,
}

/// Length of the whole PDU announced by a TPKT header, or why these 4 bytes are not one.
pub fn tpkt_length(header: &[u8]) -> Result<usize, String> {
    match header {
        [TPKT_VERSION, _, hi, lo, ..] => {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            if (MIN_CONFIRM_LEN..=MAX_CONFIRM_LEN).contains(&len) {
                Ok(len)
            } else {
                Err(format!(
                    "a TPKT header announcing {len} bytes, not an X.224 Connection Confirm"
                ))
            }
        }
        [first, ..] if *first != TPKT_VERSION => Err(format!(
            "the answer does not start with a TPKT header (first byte 0x{first:02X}, not 0x03)"
        )),
        _ => Err(format!(
            "the answer stops after {} byte(s), inside the TPKT header",
            header.len()
        )),
    }
}

/// Parses a whole Connection Confirm PDU (TPKT header included).
pub fn parse_confirm(pdu: &[u8]) -> Result<Confirm, String> {
    let len = tpkt_length(pdu)?;
    if pdu.len() < len {
        return Err(format!(
            "the answer stops after {} of the {len} bytes its TPKT header announces",
            pdu.len()
        ));
    }
    let tpdu = pdu.get(4..len).unwrap_or_default();
    let (li, code) = match tpdu {
        [li, code, ..] => (usize::from(*li), *code),
        _ => return Err("X.224 TPDU too short".to_string()),
    };
    if code == X224_DR {
        return Err("an X.224 Disconnect Request instead of a Connection Confirm".to_string());
    }
    if code & 0xF0 != X224_CC {
        return Err(format!(
            "X.224 TPDU code 0x{code:02X}, not a Connection Confirm (0xD0)"
        ));
    }
    if li + 1 != tpdu.len() {
        return Err(format!(
            "X.224 length indicator {li} does not match the {} bytes after the TPKT header",
            tpdu.len()
        ));
    }
    // After LI, code, DST-REF, SRC-REF and class: the negotiation data, if any.
    let neg = tpdu.get(7..).unwrap_or_default();
    parse_negotiation(neg)
}

fn parse_negotiation(neg: &[u8]) -> Result<Confirm, String> {
    if neg.is_empty() {
        return Ok(Confirm::Legacy);
    }
    let (kind, flags, length, value) = match neg {
        [kind, flags, l0, l1, v0, v1, v2, v3, ..] => (
            *kind,
            *flags,
            u16::from_le_bytes([*l0, *l1]),
            u32::from_le_bytes([*v0, *v1, *v2, *v3]),
        ),
        _ => {
            return Err(format!(
                "{} bytes of negotiation data, an RDP_NEG_RSP or RDP_NEG_FAILURE has 8",
                neg.len()
            ))
        }
    };
    if length != NEG_LENGTH || neg.len() != usize::from(NEG_LENGTH) {
        return Err(format!(
            "negotiation data of {} bytes with length field {length}, expected 8",
            neg.len()
        ));
    }
    match kind {
        TYPE_RDP_NEG_RSP => Ok(Confirm::Selected {
            protocol: value,
            flags,
        }),
        TYPE_RDP_NEG_FAILURE => Ok(Confirm::Failure { code: value }),
        other => Err(format!(
            "negotiation data of type 0x{other:02X}, neither RDP_NEG_RSP (0x02) nor \
RDP_NEG_FAILURE (0x03)"
        )),
    }
}

/// Name of one protocol value, as the probe record writes it.
pub fn protocol_name(protocol: u32) -> String {
    match protocol {
        PROTOCOL_RDP => "rdp".to_string(),
        PROTOCOL_SSL => "ssl".to_string(),
        PROTOCOL_HYBRID => "hybrid".to_string(),
        PROTOCOL_RDSTLS => "rdstls".to_string(),
        PROTOCOL_HYBRID_EX => "hybrid_ex".to_string(),
        PROTOCOL_RDSAAD => "rdsaad".to_string(),
        other => format!("0x{other:08X}"),
    }
}

/// Names of the bits set in a `requestedProtocols` field (`["rdp"]` when none is).
pub fn protocol_names(mask: u32) -> Vec<String> {
    if mask == PROTOCOL_RDP {
        return vec![protocol_name(PROTOCOL_RDP)];
    }
    (0..32)
        .map(|bit| 1u32 << bit)
        .filter(|b| mask & b != 0)
        .map(protocol_name)
        .collect()
}

/// Whether the selected protocol starts with a TLS handshake on the same socket. Only standard
/// RDP security does not.
pub fn starts_tls(selected: u32) -> bool {
    selected != PROTOCOL_RDP
}

/// The `RDP_NEG_FAILURE` code's constant name ([MS-RDPBCGR] 2.2.1.2.2).
pub fn failure_name(code: u32) -> Option<&'static str> {
    Some(match code {
        1 => "SSL_REQUIRED_BY_SERVER",
        2 => "SSL_NOT_ALLOWED_BY_SERVER",
        3 => "SSL_CERT_NOT_ON_SERVER",
        4 => "INCONSISTENT_FLAGS",
        5 => "HYBRID_REQUIRED_BY_SERVER",
        6 => "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
        _ => return None,
    })
}

/// The server's answer to a Connection Request: Connection Confirm with `RDP_NEG_RSP`
/// selecting `protocol`. Used by the loopback test server.
pub fn confirm_selected(protocol: u32, flags: u8) -> Vec<u8> {
    confirm_with(Some((TYPE_RDP_NEG_RSP, flags, protocol)))
}

/// Connection Confirm with `RDP_NEG_FAILURE` `code`.
pub fn confirm_failure(code: u32) -> Vec<u8> {
    confirm_with(Some((TYPE_RDP_NEG_FAILURE, 0, code)))
}

/// Connection Confirm without negotiation data (standard RDP security).
pub fn confirm_legacy() -> Vec<u8> {
    confirm_with(None)
}

fn confirm_with(neg: Option<(u8, u8, u32)>) -> Vec<u8> {
    let neg_len = if neg.is_some() { 8 } else { 0 };
    let li = 6 + neg_len;
    let total = 4 + 1 + li;
    let mut out = vec![TPKT_VERSION, 0];
    out.extend_from_slice(&(total as u16).to_be_bytes());
    out.push(li as u8);
    out.push(X224_CC);
    out.extend_from_slice(&[0, 0, 0x12, 0x34, 0]); // DST-REF 0, SRC-REF, class 0
    if let Some((kind, flags, value)) = neg {
        out.push(kind);
        out.push(flags);
        out.extend_from_slice(&NEG_LENGTH.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_without_cookie_is_the_classic_19_bytes() {
        // The Connection Request every RDP client capture shows for TLS + CredSSP.
        assert_eq!(
            connection_request(None, PROTOCOL_SSL | PROTOCOL_HYBRID),
            [
                0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08,
                0x00, 0x03, 0x00, 0x00, 0x00
            ]
        );
    }

    #[test]
    fn request_with_cookie_counts_it_in_both_lengths() {
        let r = connection_request(Some(COOKIE), REQUESTED_PROTOCOLS);
        assert_eq!(r.len(), 4 + 7 + COOKIE.len() + 8);
        assert_eq!(usize::from(u16::from_be_bytes([r[2], r[3]])), r.len());
        assert_eq!(usize::from(r[4]), r.len() - 5);
        assert_eq!(&r[11..11 + COOKIE.len()], COOKIE.as_bytes());
        assert_eq!(&r[r.len() - 8..], &[1, 0, 8, 0, 0x0b, 0, 0, 0]);
    }

    #[test]
    fn confirm_with_negotiation_response() {
        // Windows Server 2022 selecting CredSSP with early user authorization, flags 0x1f.
        let pdu = [
            0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x1f, 0x08,
            0x00, 0x08, 0x00, 0x00, 0x00,
        ];
        assert_eq!(
            parse_confirm(&pdu),
            Ok(Confirm::Selected {
                protocol: PROTOCOL_HYBRID_EX,
                flags: 0x1f
            })
        );
        assert_eq!(parse_confirm(&confirm_selected(1, 0)).unwrap(), {
            Confirm::Selected {
                protocol: 1,
                flags: 0,
            }
        });
    }

    #[test]
    fn confirm_with_failure_and_legacy() {
        assert_eq!(
            parse_confirm(&confirm_failure(5)),
            Ok(Confirm::Failure { code: 5 })
        );
        assert_eq!(failure_name(5), Some("HYBRID_REQUIRED_BY_SERVER"));
        assert_eq!(failure_name(7), None);
        assert_eq!(parse_confirm(&confirm_legacy()), Ok(Confirm::Legacy));
        assert_eq!(confirm_legacy().len(), 11);
    }

    #[test]
    fn malformed_confirms_are_errors_not_panics() {
        let good = confirm_selected(1, 0);
        // Every truncation.
        for n in 0..good.len() {
            assert!(parse_confirm(&good[..n]).is_err(), "{n}");
        }
        // Not TPKT: an HTTP or SSH banner on the port.
        assert!(parse_confirm(b"HTTP/1.1 400 Bad Request\r\n")
            .unwrap_err()
            .contains("TPKT"));
        assert!(parse_confirm(b"SSH-2.0-OpenSSH_9.6\r\n").is_err());
        // A TPKT length that is absurd.
        assert!(parse_confirm(&[3, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(parse_confirm(&[3, 0, 0, 2]).is_err());
        // Disconnect Request.
        let mut dr = confirm_legacy();
        dr[5] = 0x80;
        assert!(parse_confirm(&dr).unwrap_err().contains("Disconnect"));
        // Wrong LI.
        let mut li = confirm_legacy();
        li[4] = 9;
        assert!(parse_confirm(&li).is_err());
        // Unknown negotiation type, bad negotiation length, short negotiation data.
        let mut t = confirm_selected(1, 0);
        t[11] = 0x07;
        assert!(parse_confirm(&t).unwrap_err().contains("0x07"));
        let mut l = confirm_selected(1, 0);
        l[13] = 9;
        assert!(parse_confirm(&l).is_err());
        let mut short = vec![3, 0, 0, 15, 10, 0xd0, 0, 0, 0, 0, 0, 2, 0, 8, 0];
        assert!(parse_confirm(&short).is_err());
        short.clear();
        assert!(parse_confirm(&short).is_err());
    }

    #[test]
    fn protocol_names_follow_the_probe_record() {
        assert_eq!(
            protocol_names(REQUESTED_PROTOCOLS),
            ["ssl", "hybrid", "hybrid_ex"]
        );
        assert_eq!(protocol_names(0), ["rdp"]);
        assert_eq!(protocol_name(0x40), "0x00000040");
        assert!(starts_tls(PROTOCOL_HYBRID_EX) && starts_tls(PROTOCOL_SSL));
        assert!(!starts_tls(PROTOCOL_RDP));
    }
}

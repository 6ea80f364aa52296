//! What the numbers in logon failure events mean.
//!
//! Security 4625 (logon failed) carries `Status` and `SubStatus` as NTSTATUS codes, 4776 (NTLM
//! credential validation) carries one as `Status`, and 4771 (Kerberos pre-authentication
//! failed) carries a Kerberos error code as `Status` ("Failure Code" in the message). Windows
//! renders all of them as hex (`0xc000006a`, `0x18`), PowerShell sometimes as signed decimals.
//! A check that says "the password was wrong" or "the account has no Remote Desktop logon
//! right" needs the code turned into words: this module does that, in our own words.

/// One known code: its symbolic name as Windows headers spell it, and what it means for a
/// user who cannot log on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtStatusInfo {
    pub code: u32,
    /// Symbolic name, e.g. `STATUS_WRONG_PASSWORD` or `KDC_ERR_PREAUTH_FAILED`.
    pub name: &'static str,
    /// Plain-words meaning, e.g. "wrong password".
    pub meaning: &'static str,
}

/// NTSTATUS codes seen in 4625 Status/SubStatus and 4776 Status.
const NTSTATUS: &[(u32, &str, &str)] = &[
    (0x0000_0000, "STATUS_SUCCESS", "success (no error)"),
    (
        0xC000_006A,
        "STATUS_WRONG_PASSWORD",
        "wrong password (the user name exists)",
    ),
    (
        0xC000_0064,
        "STATUS_NO_SUCH_USER",
        "user name does not exist",
    ),
    (
        0xC000_0234,
        "STATUS_ACCOUNT_LOCKED_OUT",
        "account is locked out",
    ),
    (
        0xC000_0072,
        "STATUS_ACCOUNT_DISABLED",
        "account is disabled",
    ),
    (
        0xC000_015B,
        "STATUS_LOGON_TYPE_NOT_GRANTED",
        "the user lacks the right for this logon type (for RDP: not allowed to log on through \
         Remote Desktop Services, or denied it)",
    ),
    (
        0xC000_0071,
        "STATUS_PASSWORD_EXPIRED",
        "password has expired",
    ),
    (
        0xC000_0224,
        "STATUS_PASSWORD_MUST_CHANGE",
        "user must change the password at next logon",
    ),
    (
        0xC000_006F,
        "STATUS_INVALID_LOGON_HOURS",
        "logon outside the hours the account is allowed",
    ),
    (
        0xC000_0070,
        "STATUS_INVALID_WORKSTATION",
        "account may not log on from this workstation",
    ),
    (0xC000_0193, "STATUS_ACCOUNT_EXPIRED", "account has expired"),
    (
        0xC000_0133,
        "STATUS_TIME_DIFFERENCE_AT_DC",
        "clock differs too much from the domain controller's",
    ),
    (
        0xC000_006D,
        "STATUS_LOGON_FAILURE",
        "bad user name or password (see the sub-status for which)",
    ),
    (
        0xC000_006E,
        "STATUS_ACCOUNT_RESTRICTION",
        "account restriction, such as a blank password (see the sub-status)",
    ),
    (
        0xC000_0413,
        "STATUS_AUTHENTICATION_FIREWALL_FAILED",
        "account is not allowed to authenticate to this machine (selective trust authentication)",
    ),
    (
        0xC000_0418,
        "STATUS_NTLM_BLOCKED",
        "NTLM authentication was refused by an NTLM restriction (Restrict NTLM policy on this \
         machine or on the domain controller)",
    ),
    (
        0xC000_00DC,
        "STATUS_INVALID_SERVER_STATE",
        "the authenticating server is in the wrong state to do this",
    ),
    (
        0xC000_018C,
        "STATUS_TRUSTED_DOMAIN_FAILURE",
        "trust relationship with the domain failed",
    ),
    (
        0xC000_0192,
        "STATUS_NETLOGON_NOT_STARTED",
        "the Netlogon service is not running",
    ),
    (
        0xC000_0371,
        "STATUS_NO_SECRETS",
        "the local account store has no secret (password) for the account",
    ),
    (
        0xC000_0225,
        "STATUS_NOT_FOUND",
        "not found (logged by a known Windows quirk; usually harmless)",
    ),
    (
        0xC000_005E,
        "STATUS_NO_LOGON_SERVERS",
        "no domain controller was available to check the credentials",
    ),
    (
        0xC000_006C,
        "STATUS_PASSWORD_RESTRICTION",
        "password does not meet the password policy",
    ),
    (
        0xC000_018D,
        "STATUS_TRUSTED_RELATIONSHIP_FAILURE",
        "the machine's trust relationship with the domain failed",
    ),
    (
        0xC000_0199,
        "STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT",
        "a computer account was used to log on interactively",
    ),
    (
        0xC000_0380,
        "STATUS_SMARTCARD_WRONG_PIN",
        "wrong smart card PIN",
    ),
    (
        0xC000_0388,
        "STATUS_DOWNGRADE_DETECTED",
        "authentication downgrade detected (Kerberos could not be used)",
    ),
    (0xC000_0022, "STATUS_ACCESS_DENIED", "access denied"),
    (
        0xC000_009A,
        "STATUS_INSUFFICIENT_RESOURCES",
        "the system ran out of resources",
    ),
    (
        0xC000_00BB,
        "STATUS_NOT_SUPPORTED",
        "the request (authentication method) is not supported",
    ),
];

/// Kerberos error codes seen in 4771 (and 4768) `Status`, from RFC 4120 and Microsoft's list.
const KERBEROS: &[(u32, &str, &str)] = &[
    (0x00, "KDC_ERR_NONE", "no error"),
    (
        0x06,
        "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        "user name not found in the domain",
    ),
    (
        0x07,
        "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        "service (server) name not found in the domain",
    ),
    (
        0x0C,
        "KDC_ERR_POLICY",
        "refused by policy (logon hours, workstation restriction)",
    ),
    (
        0x0E,
        "KDC_ERR_ETYPE_NOTSUPP",
        "no encryption type both sides support",
    ),
    (
        0x10,
        "KDC_ERR_PADATA_TYPE_NOSUPP",
        "pre-authentication type not supported (often a smart card problem)",
    ),
    (
        0x12,
        "KDC_ERR_CLIENT_REVOKED",
        "account disabled, expired or locked out",
    ),
    (0x17, "KDC_ERR_KEY_EXPIRED", "password has expired"),
    (
        0x18,
        "KDC_ERR_PREAUTH_FAILED",
        "pre-authentication failed: wrong password",
    ),
    (
        0x1F,
        "KRB_AP_ERR_BAD_INTEGRITY",
        "integrity check failed (key mismatch)",
    ),
    (0x20, "KRB_AP_ERR_TKT_EXPIRED", "ticket expired"),
    (
        0x25,
        "KRB_AP_ERR_SKEW",
        "clock differs too much from the domain controller's",
    ),
    (
        0x29,
        "KRB_AP_ERR_MODIFIED",
        "message modified (wrong key or SPN)",
    ),
    (0x3C, "KRB_ERR_GENERIC", "generic Kerberos error"),
    (0x44, "KDC_ERR_WRONG_REALM", "wrong realm (domain)"),
];

/// HRESULTs in Schannel and TermService certificate events (36870 `ErrorCode`, 1057/1058).
const HRESULTS: &[(u32, &str, &str)] = &[
    (
        0x8009_030D,
        "SEC_E_UNKNOWN_CREDENTIALS",
        "the certificate's private key cannot be used (missing, or no permission on it)",
    ),
    (
        0x8009_030E,
        "SEC_E_NO_CREDENTIALS",
        "no certificate with a usable private key is available",
    ),
    (0x8009_0016, "NTE_BAD_KEYSET", "keyset does not exist"),
    (0x8009_000F, "NTE_EXISTS", "object already exists"),
    (0x8007_0005, "E_ACCESSDENIED", "access is denied"),
    (
        0x8009_0331,
        "SEC_E_ALGORITHM_MISMATCH",
        "client and server share no TLS version or cipher suite",
    ),
    (
        0x8009_0304,
        "SEC_E_INTERNAL_ERROR",
        "internal error in Schannel",
    ),
    (
        0x8009_0327,
        "SEC_E_CERT_UNKNOWN",
        "an unknown error occurred while processing the certificate",
    ),
    (
        0x8009_0325,
        "SEC_E_UNTRUSTED_ROOT",
        "certificate chain issued by an untrusted authority",
    ),
];

/// TLS alert descriptions (RFC 8446 6), as Schannel 36887/36888 `AlertDesc` gives them.
const TLS_ALERTS: &[(u32, &str, &str)] = &[
    (0, "close_notify", "the connection was closed"),
    (
        10,
        "unexpected_message",
        "an unexpected TLS message (often a scanner or a non-TLS client)",
    ),
    (20, "bad_record_mac", "a record failed its integrity check"),
    (
        40,
        "handshake_failure",
        "no acceptable set of TLS parameters (version, cipher suite)",
    ),
    (42, "bad_certificate", "a certificate was corrupt"),
    (
        43,
        "unsupported_certificate",
        "a certificate of an unsupported type",
    ),
    (45, "certificate_expired", "a certificate has expired"),
    (
        46,
        "certificate_unknown",
        "the peer did not accept a certificate",
    ),
    (
        48,
        "unknown_ca",
        "a certificate was issued by an unknown authority",
    ),
    (49, "access_denied", "access denied"),
    (50, "decode_error", "a TLS message could not be decoded"),
    (
        51,
        "decrypt_error",
        "a handshake cryptographic operation failed",
    ),
    (
        70,
        "protocol_version",
        "the client's TLS version is not enabled on the server",
    ),
    (
        71,
        "insufficient_security",
        "the client's cipher suites are too weak for the server",
    ),
    (
        80,
        "internal_error",
        "an internal error unrelated to the peer",
    ),
    (
        86,
        "inappropriate_fallback",
        "a protocol downgrade was refused",
    ),
    (90, "user_canceled", "the handshake was canceled"),
    (
        109,
        "missing_extension",
        "a required TLS extension was missing",
    ),
    (
        112,
        "unrecognized_name",
        "the requested server name is unknown",
    ),
    (
        116,
        "certificate_required",
        "the server required a client certificate",
    ),
];

/// Disconnect reasons of LocalSessionManager event 40 ("Session N has been disconnected,
/// reason code R"): the RDP extended disconnect reason codes.
const DISCONNECT_REASONS: &[(u32, &str, &str)] = &[
    (0, "exDiscReasonNoInfo", "no additional information"),
    (
        1,
        "exDiscReasonAPIInitiatedDisconnect",
        "disconnected by an administrative tool or another session",
    ),
    (
        2,
        "exDiscReasonAPIInitiatedLogoff",
        "logged off by an administrative tool",
    ),
    (
        3,
        "exDiscReasonServerIdleTimeout",
        "the idle session time limit elapsed",
    ),
    (
        4,
        "exDiscReasonServerLogonTimeout",
        "the active session time limit elapsed",
    ),
    (
        5,
        "exDiscReasonReplacedByOtherConnection",
        "another connection took over the session",
    ),
    (6, "exDiscReasonOutOfMemory", "the server ran out of memory"),
    (
        7,
        "exDiscReasonServerDeniedConnection",
        "the server denied the connection",
    ),
    (
        8,
        "exDiscReasonServerDeniedConnectionFips",
        "the server requires FIPS encryption the client lacks",
    ),
    (
        9,
        "exDiscReasonServerInsufficientPrivileges",
        "the user lacks the right to log on remotely",
    ),
    (
        10,
        "exDiscReasonServerFreshCredsRequired",
        "the server requires credentials typed afresh",
    ),
    (
        11,
        "exDiscReasonRpcInitiatedDisconnectByUser",
        "the user disconnected",
    ),
    (12, "exDiscReasonLogoffByUser", "the user logged off"),
];

fn find(table: &[(u32, &'static str, &'static str)], code: u32) -> Option<NtStatusInfo> {
    table
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|&(code, name, meaning)| NtStatusInfo {
            code,
            name,
            meaning,
        })
}

/// The NTSTATUS code `code`, when we know it.
pub fn lookup(code: u32) -> Option<NtStatusInfo> {
    find(NTSTATUS, code)
}

/// The Kerberos error code `code` (4771 `Status`), when we know it.
pub fn kerberos_lookup(code: u32) -> Option<NtStatusInfo> {
    find(KERBEROS, code)
}

/// The HRESULT `code` of a certificate or TLS event, when we know it.
pub fn hresult_lookup(code: u32) -> Option<NtStatusInfo> {
    find(HRESULTS, code)
}

/// The TLS alert `code` (Schannel 36887/36888 `AlertDesc`), when we know it.
pub fn tls_alert(code: u32) -> Option<NtStatusInfo> {
    find(TLS_ALERTS, code)
}

/// The disconnect reason `code` of LocalSessionManager event 40, when we know it.
pub fn disconnect_reason(code: u32) -> Option<NtStatusInfo> {
    find(DISCONNECT_REASONS, code)
}

/// Reads a status code as Windows writes it: `0xC000006A` or `0xc000006a` (event XML), bare
/// hex `C000006A`, decimal, or a signed decimal such as `-1073741718` (PowerShell shows
/// NTSTATUS as Int32). `%%NNNN` message references and anything else give `None`.
pub fn parse_code(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return parse_hex(hex);
    }
    if let Some(neg) = s.strip_prefix('-') {
        // Only whole digit strings; `i32` keeps it within NTSTATUS range.
        if !neg.is_empty() && neg.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse::<i32>().ok().map(|v| v as u32);
        }
        return None;
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u32>().ok();
    }
    // Bare hex needs a letter to be told from decimal, and eight digits to look like NTSTATUS.
    if s.len() == 8 {
        return parse_hex(s);
    }
    None
}

fn parse_hex(hex: &str) -> Option<u32> {
    if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// Name of a logon type (4624/4625 `LogonType`) as Microsoft documents it. RDP logons are
/// `RemoteInteractive` (10); a reconnect to an existing session can log as `Unlock` (7) or
/// `CachedRemoteInteractive` (12); Network (3) is where NLA's CredSSP check fails.
pub fn logon_type_name(t: u32) -> &'static str {
    match t {
        0 => "System",
        2 => "Interactive",
        3 => "Network",
        4 => "Batch",
        5 => "Service",
        7 => "Unlock",
        8 => "NetworkCleartext",
        9 => "NewCredentials",
        10 => "RemoteInteractive",
        11 => "CachedInteractive",
        12 => "CachedRemoteInteractive",
        13 => "CachedUnlock",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_as_windows_writes_them() {
        assert_eq!(parse_code("0xC000006A"), Some(0xC000_006A));
        assert_eq!(parse_code("0xc000006a"), Some(0xC000_006A));
        assert_eq!(parse_code(" 0xc000006a\r"), Some(0xC000_006A));
        assert_eq!(parse_code("C000006A"), Some(0xC000_006A));
        assert_eq!(parse_code("0x0"), Some(0));
        assert_eq!(parse_code("0x18"), Some(0x18));
        assert_eq!(parse_code("24"), Some(24));
        assert_eq!(parse_code("-1073741718"), Some(0xC000_006A));
        assert_eq!(parse_code("%%2313"), None);
        assert_eq!(parse_code("-"), None);
        assert_eq!(parse_code(""), None);
        assert_eq!(parse_code("0x"), None);
        assert_eq!(parse_code("0x1C000006A"), None);
        assert_eq!(parse_code("0xZZ"), None);
        assert_eq!(parse_code("-0x5"), None);
    }

    #[test]
    fn every_required_ntstatus_is_known() {
        let required = [
            0xC000_006A,
            0xC000_0064,
            0xC000_0234,
            0xC000_0072,
            0xC000_015B,
            0xC000_0071,
            0xC000_0224,
            0xC000_006F,
            0xC000_0070,
            0xC000_0193,
            0xC000_0133,
            0xC000_006D,
            0xC000_006E,
            0xC000_0413,
            0xC000_00DC,
            0xC000_018C,
            0xC000_0192,
            0xC000_0371,
            0xC000_0225,
            0x0,
        ];
        for code in required {
            let info = lookup(code).unwrap_or_else(|| panic!("{code:#x} unknown"));
            assert_eq!(info.code, code);
            assert!(info.name.starts_with("STATUS_"), "{}", info.name);
            assert!(!info.meaning.is_empty());
        }
        assert_eq!(lookup(0xC000_006A).unwrap().name, "STATUS_WRONG_PASSWORD");
        assert_eq!(
            lookup(0xC000_015B).unwrap().name,
            "STATUS_LOGON_TYPE_NOT_GRANTED"
        );
        assert!(lookup(0xC000_006A)
            .unwrap()
            .meaning
            .contains("wrong password"));
        assert_eq!(lookup(0x1234_5678), None);
    }

    #[test]
    fn table_has_no_duplicate_codes() {
        for table in [NTSTATUS, KERBEROS] {
            let mut codes: Vec<u32> = table.iter().map(|e| e.0).collect();
            codes.sort_unstable();
            let before = codes.len();
            codes.dedup();
            assert_eq!(before, codes.len());
        }
    }

    #[test]
    fn kerberos_codes() {
        assert_eq!(
            kerberos_lookup(0x6).unwrap().name,
            "KDC_ERR_C_PRINCIPAL_UNKNOWN"
        );
        assert_eq!(
            kerberos_lookup(0x12).unwrap().name,
            "KDC_ERR_CLIENT_REVOKED"
        );
        assert_eq!(kerberos_lookup(0x17).unwrap().name, "KDC_ERR_KEY_EXPIRED");
        assert_eq!(
            kerberos_lookup(0x18).unwrap().name,
            "KDC_ERR_PREAUTH_FAILED"
        );
        assert_eq!(kerberos_lookup(0x25).unwrap().name, "KRB_AP_ERR_SKEW");
        assert!(kerberos_lookup(0x18)
            .unwrap()
            .meaning
            .contains("wrong password"));
        assert_eq!(kerberos_lookup(0xC000_006A), None);
        // The two tables are separate name spaces: 0x18 is not an NTSTATUS.
        assert_eq!(lookup(0x18), None);
    }

    #[test]
    fn certificate_tls_and_disconnect_codes() {
        assert_eq!(
            hresult_lookup(0x8009_030D).unwrap().name,
            "SEC_E_UNKNOWN_CREDENTIALS"
        );
        assert_eq!(
            hresult_lookup(parse_code("0x80090016").unwrap())
                .unwrap()
                .meaning,
            "keyset does not exist"
        );
        assert_eq!(tls_alert(40).unwrap().name, "handshake_failure");
        assert_eq!(tls_alert(70).unwrap().name, "protocol_version");
        assert!(tls_alert(99).is_none());
        assert!(disconnect_reason(9)
            .unwrap()
            .meaning
            .contains("right to log on"));
        assert_eq!(
            disconnect_reason(12).unwrap().name,
            "exDiscReasonLogoffByUser"
        );
        for table in [HRESULTS, TLS_ALERTS, DISCONNECT_REASONS] {
            let mut codes: Vec<u32> = table.iter().map(|e| e.0).collect();
            codes.sort_unstable();
            let n = codes.len();
            codes.dedup();
            assert_eq!(n, codes.len());
        }
    }

    #[test]
    fn logon_types() {
        assert_eq!(logon_type_name(10), "RemoteInteractive");
        assert_eq!(logon_type_name(3), "Network");
        assert_eq!(logon_type_name(2), "Interactive");
        assert_eq!(logon_type_name(7), "Unlock");
        assert_eq!(logon_type_name(11), "CachedInteractive");
        assert_eq!(logon_type_name(99), "Unknown");
    }
}

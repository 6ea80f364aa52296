//! UTF-16 strings and Win32 error codes.

use crate::source::{status_for_win32_error, StepError};
use std::ffi::OsStr;
use std::os::windows::ffi::OsStrExt;
use windows_sys::Win32::System::Diagnostics::Debug::{
    FormatMessageW, FORMAT_MESSAGE_FROM_SYSTEM, FORMAT_MESSAGE_IGNORE_INSERTS,
};

/// NUL-terminated UTF-16 for a `PCWSTR` argument.
pub fn to_wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// NUL-terminated UTF-16 of a path or other OS string.
pub fn os_to_wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(std::iter::once(0)).collect()
}

/// Text of a buffer filled by the API, up to its first NUL.
pub fn from_wide(units: &[u16]) -> String {
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    String::from_utf16_lossy(&units[..end])
}

/// Text of a NUL-terminated string owned by the API.
///
/// # Safety
/// `p` must be null or point to a NUL-terminated UTF-16 string.
pub unsafe fn from_wide_ptr(p: *const u16) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let mut len = 0usize;
    // SAFETY: the caller guarantees a terminating NUL.
    while unsafe { *p.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` units were just read.
    Some(String::from_utf16_lossy(unsafe {
        std::slice::from_raw_parts(p, len)
    }))
}

/// `GetLastError()`.
pub fn last_error() -> u32 {
    // SAFETY: no arguments, reads thread state.
    unsafe { windows_sys::Win32::Foundation::GetLastError() }
}

/// The system's text for an error code, in the machine's language, plus the number:
/// "Access is denied. (error 5)".
pub fn error_text(code: u32) -> String {
    let mut buf = [0u16; 512];
    // SAFETY: buffer and its length in units; no inserts are read.
    let n = unsafe {
        FormatMessageW(
            FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
            std::ptr::null(),
            code,
            0,
            buf.as_mut_ptr(),
            buf.len() as u32,
            std::ptr::null(),
        )
    };
    let text = from_wide(&buf[..(n as usize).min(buf.len())]);
    let text = text.trim();
    if code > 0xFFFF {
        if text.is_empty() {
            format!("error 0x{code:08X}")
        } else {
            format!("{text} (error 0x{code:08X})")
        }
    } else if text.is_empty() {
        format!("error {code}")
    } else {
        format!("{text} (error {code})")
    }
}

/// A step error for a Win32 code, with `context` (what was being done) in front.
pub fn step_error(context: &str, code: u32) -> StepError {
    StepError::new(
        status_for_win32_error(code),
        format!("{context}: {}", error_text(code)),
    )
}

//! Host name, elevation, console code page, System32 path.

use super::wide::from_wide;
use crate::source::SystemFacts;
use std::path::PathBuf;
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::Globalization::GetOEMCP;
use windows_sys::Win32::Security::{
    GetTokenInformation, TokenElevation, TOKEN_ELEVATION, TOKEN_QUERY,
};
use windows_sys::Win32::System::Console::GetConsoleOutputCP;
use windows_sys::Win32::System::SystemInformation::{
    ComputerNameNetBIOS, GetComputerNameExW, GetSystemDirectoryW, GetWindowsDirectoryW,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

pub fn facts() -> SystemFacts {
    SystemFacts {
        host_name: host_name(),
        os: super::registry::os_info(),
        elevated: elevated(),
        code_page: Some(code_page()),
    }
}

/// NetBIOS computer name (what `hostname` and support tickets show), else `%COMPUTERNAME%`.
pub fn host_name() -> String {
    let mut buf = [0u16; 256];
    let mut len = buf.len() as u32;
    // SAFETY: buffer and its length in units.
    let ok = unsafe { GetComputerNameExW(ComputerNameNetBIOS, buf.as_mut_ptr(), &mut len) };
    if ok != 0 {
        let name = from_wide(&buf[..(len as usize).min(buf.len())]);
        if !name.is_empty() {
            return name;
        }
    }
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "UNKNOWN".to_string())
}

/// Whether the process token is elevated (UAC); `None` if the token cannot be read.
pub fn elevated() -> Option<bool> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: pseudo-handle of this process, out pointer to a local.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
    let mut len = 0u32;
    // SAFETY: structure and its size.
    let ok = unsafe {
        GetTokenInformation(
            token,
            TokenElevation,
            (&mut elevation as *mut TOKEN_ELEVATION).cast(),
            std::mem::size_of::<TOKEN_ELEVATION>() as u32,
            &mut len,
        )
    };
    // SAFETY: the token handle is ours.
    unsafe { CloseHandle(token) };
    (ok != 0).then_some(elevation.TokenIsElevated != 0)
}

/// The code page console tools use for redirected output: the console's output code page when
/// there is a console, else the OEM code page (what they fall back to).
pub fn code_page() -> u32 {
    // SAFETY: no arguments.
    let cp = unsafe { GetConsoleOutputCP() };
    if cp != 0 {
        cp
    } else {
        // SAFETY: no arguments.
        unsafe { GetOEMCP() }
    }
}

/// `GetSystemDirectoryW`, e.g. `C:\Windows\System32`.
pub fn system_directory() -> PathBuf {
    let mut buf = [0u16; 1024];
    // SAFETY: buffer and its length in units.
    let n = unsafe { GetSystemDirectoryW(buf.as_mut_ptr(), buf.len() as u32) } as usize;
    if n > 0 && n < buf.len() {
        PathBuf::from(String::from_utf16_lossy(&buf[..n]))
    } else {
        let root = std::env::var("SystemRoot").unwrap_or_else(|_| r"C:\Windows".to_string());
        PathBuf::from(root).join("System32")
    }
}

/// `GetWindowsDirectoryW`, e.g. `C:\Windows`.
pub fn windows_directory() -> PathBuf {
    let mut buf = [0u16; 1024];
    // SAFETY: buffer and its length in units.
    let n = unsafe { GetWindowsDirectoryW(buf.as_mut_ptr(), buf.len() as u32) } as usize;
    if n > 0 && n < buf.len() {
        PathBuf::from(String::from_utf16_lossy(&buf[..n]))
    } else {
        PathBuf::from(std::env::var("SystemRoot").unwrap_or_else(|_| r"C:\Windows".to_string()))
    }
}

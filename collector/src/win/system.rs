//! Host name, elevation, console code page, System32 path, account names, domain membership.

use super::wide::{from_wide, from_wide_ptr, last_error, step_error, to_wide};
use crate::source::{StepError, SystemFacts};
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

/// The local name of the account or group `sid` (`S-1-5-32-555` -> "Remote Desktop Users", or
/// its translation), through `LookupAccountSidW` on this machine.
pub fn account_name(sid: &str) -> Result<String, StepError> {
    use windows_sys::Win32::Foundation::{LocalFree, ERROR_INSUFFICIENT_BUFFER};
    use windows_sys::Win32::Security::Authorization::ConvertStringSidToSidW;
    use windows_sys::Win32::Security::{LookupAccountSidW, PSID, SID_NAME_USE};

    let text = to_wide(sid);
    let mut psid: PSID = std::ptr::null_mut();
    // SAFETY: NUL-terminated string, out pointer to a local; freed with LocalFree below.
    if unsafe { ConvertStringSidToSidW(text.as_ptr(), &mut psid) } == 0 {
        return Err(step_error("ConvertStringSidToSidW", last_error()));
    }
    let mut name = vec![0u16; 256];
    let mut domain = vec![0u16; 256];
    let mut result = Err(StepError::failed("LookupAccountSidW: no answer"));
    for _ in 0..2 {
        let mut name_len = name.len() as u32;
        let mut domain_len = domain.len() as u32;
        let mut use_: SID_NAME_USE = 0;
        // SAFETY: valid SID, buffers with their lengths in units, out pointers to locals.
        let ok = unsafe {
            LookupAccountSidW(
                std::ptr::null(),
                psid,
                name.as_mut_ptr(),
                &mut name_len,
                domain.as_mut_ptr(),
                &mut domain_len,
                &mut use_,
            )
        };
        if ok != 0 {
            result = Ok(from_wide(&name));
            break;
        }
        let code = last_error();
        result = Err(step_error("LookupAccountSidW", code));
        if code != ERROR_INSUFFICIENT_BUFFER {
            break;
        }
        // The lengths now hold what is needed, terminator included.
        name.resize((name_len as usize).clamp(256, 32_768), 0);
        domain.resize((domain_len as usize).clamp(256, 32_768), 0);
    }
    // SAFETY: allocated by ConvertStringSidToSidW, freed once.
    unsafe { LocalFree(psid as _) };
    result
}

/// The NetBIOS name of the domain this machine is joined to, `None` in a workgroup (or not
/// joined at all). `NetGetJoinInformation` rather than the DNS domain: a workgroup machine can
/// have a primary DNS suffix and still have no secure channel.
pub fn joined_domain() -> Result<Option<String>, StepError> {
    use windows_sys::Win32::NetworkManagement::NetManagement::{
        NetApiBufferFree, NetGetJoinInformation, NetSetupDomainName, NETSETUP_JOIN_STATUS,
    };
    let mut buffer: windows_sys::core::PWSTR = std::ptr::null_mut();
    let mut status: NETSETUP_JOIN_STATUS = 0;
    // SAFETY: local machine, out pointers to locals; the buffer is freed below.
    let rc = unsafe { NetGetJoinInformation(std::ptr::null(), &mut buffer, &mut status) };
    if rc != 0 {
        return Err(step_error("NetGetJoinInformation", rc));
    }
    // SAFETY: the API returned a NUL-terminated string (or null).
    let name = unsafe { from_wide_ptr(buffer) };
    if !buffer.is_null() {
        // SAFETY: allocated by the API, freed once.
        unsafe { NetApiBufferFree(buffer as _) };
    }
    Ok((status == NetSetupDomainName)
        .then_some(name)
        .flatten()
        .filter(|n| !n.is_empty()))
}

//! Recursive registry reads through the Win32 API (no `reg.exe`), values kept as raw bytes.
//!
//! Keys are opened with `KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS` only (read-only, and enough
//! for keys whose ACL refuses `KEY_READ`'s notify right) and `KEY_WOW64_64KEY`, so a 32-bit
//! build would still see the 64-bit view the services use. Values and subkeys come in the order
//! `RegEnumValueW`/`RegEnumKeyExW` return them, which is what `reg export` writes.

use super::wide::{error_text, from_wide, step_error, to_wide};
use crate::bundle::OsInfo;
use crate::regfile::{RegKey, RegValue, REG_DWORD, REG_SZ};
use crate::source::{RegLimits, RegRead, StepError};
use std::time::Instant;
use windows_sys::Win32::Foundation::{ERROR_MORE_DATA, ERROR_NO_MORE_ITEMS, ERROR_SUCCESS};
use windows_sys::Win32::System::Registry::{
    RegCloseKey, RegEnumKeyExW, RegEnumValueW, RegOpenKeyExW, RegQueryInfoKeyW, RegQueryValueExW,
    HKEY, HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE,
    HKEY_USERS, KEY_ENUMERATE_SUB_KEYS, KEY_QUERY_VALUE, KEY_WOW64_64KEY,
};

const ACCESS: u32 = KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_WOW64_64KEY;
/// Longest value name (16,383 characters) plus its NUL.
const MAX_VALUE_NAME: usize = 16_384;
/// Longest key name (255 characters) plus its NUL.
const MAX_KEY_NAME: usize = 256;

/// An open key, closed on drop.
struct Key(HKEY);

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the handle came from RegOpenKeyExW and is closed once.
        unsafe { RegCloseKey(self.0) };
    }
}

/// Splits `HKEY_LOCAL_MACHINE\rest` into the predefined root handle and `rest`.
fn split_root(path: &str) -> Option<(HKEY, &str)> {
    let (root, rest) = path.split_once('\\').unwrap_or((path, ""));
    let h = match root.to_ascii_uppercase().as_str() {
        "HKEY_LOCAL_MACHINE" | "HKLM" => HKEY_LOCAL_MACHINE,
        "HKEY_CURRENT_USER" | "HKCU" => HKEY_CURRENT_USER,
        "HKEY_USERS" | "HKU" => HKEY_USERS,
        "HKEY_CLASSES_ROOT" | "HKCR" => HKEY_CLASSES_ROOT,
        "HKEY_CURRENT_CONFIG" | "HKCC" => HKEY_CURRENT_CONFIG,
        _ => return None,
    };
    Some((h, rest))
}

fn open(parent: HKEY, sub: &str) -> Result<Key, u32> {
    let w = to_wide(sub);
    let mut h: HKEY = std::ptr::null_mut();
    // SAFETY: valid parent handle, NUL-terminated name, out pointer to a local.
    let rc = unsafe { RegOpenKeyExW(parent, w.as_ptr(), 0, ACCESS, &mut h) };
    if rc == ERROR_SUCCESS {
        Ok(Key(h))
    } else {
        Err(rc)
    }
}

/// Reads `path` and everything below it, within `limits`.
pub fn read_tree(path: &str, limits: &RegLimits) -> Result<RegRead, StepError> {
    let (root, sub) = split_root(path)
        .ok_or_else(|| StepError::failed(format!("{path}: unknown registry root")))?;
    let key = open(root, sub).map_err(|rc| match rc {
        2 | 3 => StepError::not_found("the key does not exist on this machine"),
        _ => step_error("RegOpenKeyExW", rc),
    })?;
    let mut walk = Walk {
        limits,
        start: Instant::now(),
        keys: 0,
        bytes: 0,
        warnings: Vec::new(),
        timed_out: false,
        limit_noted: false,
    };
    let root = walk.key(&key, path.to_string(), 0);
    Ok(RegRead {
        root,
        warnings: walk.warnings,
        timed_out: walk.timed_out,
    })
}

struct Walk<'a> {
    limits: &'a RegLimits,
    start: Instant,
    keys: usize,
    bytes: usize,
    warnings: Vec<String>,
    timed_out: bool,
    limit_noted: bool,
}

impl Walk<'_> {
    /// Whether to stop descending: time limit, key count or byte budget reached.
    fn should_stop(&mut self) -> bool {
        if self.timed_out {
            return true;
        }
        if self.start.elapsed() >= self.limits.time_limit {
            self.timed_out = true;
            self.warnings.push(format!(
                "stopped after {} s; the rest of the tree is missing",
                self.limits.time_limit.as_secs()
            ));
            return true;
        }
        if self.keys >= self.limits.max_keys || self.bytes >= self.limits.max_total_bytes {
            if !self.limit_noted {
                self.limit_noted = true;
                self.warnings.push(format!(
                    "size limit reached ({} keys, {} bytes); the rest of the tree is missing",
                    self.keys, self.bytes
                ));
            }
            return true;
        }
        false
    }

    fn key(&mut self, key: &Key, path: String, depth: usize) -> RegKey {
        self.keys += 1;
        let mut node = RegKey::new(path);
        node.values = self.values(key, &node.path);
        let names = self.subkey_names(key, &node.path);
        if depth >= self.limits.max_depth && !names.is_empty() {
            self.warnings.push(if self.limits.max_depth == 0 {
                format!(
                    "{}: values only, its {} subkey(s) not exported",
                    node.path,
                    names.len()
                )
            } else {
                format!(
                    "{}: subkeys deeper than {} levels left out",
                    node.path, self.limits.max_depth
                )
            });
            return node;
        }
        for name in names {
            if self.should_stop() {
                break;
            }
            let child_path = format!("{}\\{name}", node.path);
            match open(key.0, &name) {
                Ok(child) => {
                    let sub = self.key(&child, child_path, depth + 1);
                    node.subkeys.push(sub);
                }
                Err(rc) => self
                    .warnings
                    .push(format!("{child_path}: {}", error_text(rc))),
            }
        }
        node
    }

    fn values(&mut self, key: &Key, path: &str) -> Vec<RegValue> {
        let (max_name, max_data) = query_sizes(key);
        let mut name_buf = vec![0u16; (max_name + 1).clamp(256, MAX_VALUE_NAME)];
        let cap = self.limits.max_value_bytes;
        let mut data_buf = vec![0u8; max_data.clamp(256, cap.max(256))];
        let mut out = Vec::new();
        let mut index = 0u32;
        let mut retries = 0;
        loop {
            let mut name_len = name_buf.len() as u32;
            let mut data_len = data_buf.len() as u32;
            let mut kind = 0u32;
            // SAFETY: buffers and their lengths (units / bytes); out pointers to locals.
            let rc = unsafe {
                RegEnumValueW(
                    key.0,
                    index,
                    name_buf.as_mut_ptr(),
                    &mut name_len,
                    std::ptr::null(),
                    &mut kind,
                    data_buf.as_mut_ptr(),
                    &mut data_len,
                )
            };
            match rc {
                ERROR_SUCCESS => {
                    let name = String::from_utf16_lossy(
                        &name_buf[..(name_len as usize).min(name_buf.len())],
                    );
                    let data = data_buf[..(data_len as usize).min(data_buf.len())].to_vec();
                    self.bytes += data.len();
                    out.push(RegValue { name, kind, data });
                    index += 1;
                    retries = 0;
                    if self.bytes >= self.limits.max_total_bytes {
                        self.warnings
                            .push(format!("{path}: byte limit reached, later values left out"));
                        break;
                    }
                }
                ERROR_NO_MORE_ITEMS => break,
                ERROR_MORE_DATA if retries < 4 => {
                    // Either buffer was short (the value may also have grown since the size
                    // query). data_len now holds the size the data needs.
                    retries += 1;
                    name_buf.resize(MAX_VALUE_NAME, 0);
                    let needed = data_len as usize;
                    if needed > cap {
                        let name = from_wide(&name_buf);
                        self.warnings.push(format!(
                            "{path}: value \"{name}\" ({needed} bytes) is over the {cap}-byte limit, left out"
                        ));
                        index += 1;
                        retries = 0;
                    } else if needed > data_buf.len() {
                        data_buf.resize(needed, 0);
                    }
                }
                other => {
                    self.warnings.push(format!(
                        "{path}: value {index} could not be read: {}",
                        error_text(other)
                    ));
                    index += 1;
                    retries = 0;
                    if other != ERROR_MORE_DATA {
                        // An unexpected error usually repeats for every index.
                        break;
                    }
                }
            }
        }
        out
    }

    fn subkey_names(&mut self, key: &Key, path: &str) -> Vec<String> {
        let mut buf = vec![0u16; MAX_KEY_NAME];
        let mut names = Vec::new();
        let mut index = 0u32;
        loop {
            let mut len = buf.len() as u32;
            // SAFETY: buffer and its length in units; optional outputs null.
            let rc = unsafe {
                RegEnumKeyExW(
                    key.0,
                    index,
                    buf.as_mut_ptr(),
                    &mut len,
                    std::ptr::null(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                )
            };
            match rc {
                ERROR_SUCCESS => {
                    names.push(String::from_utf16_lossy(
                        &buf[..(len as usize).min(buf.len())],
                    ));
                    index += 1;
                }
                ERROR_NO_MORE_ITEMS => break,
                ERROR_MORE_DATA if buf.len() < 32_768 => buf.resize(32_768, 0),
                other => {
                    self.warnings.push(format!(
                        "{path}: listing subkeys stopped: {}",
                        error_text(other)
                    ));
                    break;
                }
            }
            if names.len() >= self.limits.max_keys {
                self.warnings.push(format!(
                    "{path}: more than {} subkeys",
                    self.limits.max_keys
                ));
                break;
            }
        }
        names
    }
}

/// Longest value name (units) and value data (bytes) of `key`, for buffer sizes.
fn query_sizes(key: &Key) -> (usize, usize) {
    let mut max_name = 0u32;
    let mut max_data = 0u32;
    // SAFETY: unused outputs are null; the two used point to locals.
    let rc = unsafe {
        RegQueryInfoKeyW(
            key.0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut max_name,
            &mut max_data,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if rc == ERROR_SUCCESS {
        (max_name as usize, max_data as usize)
    } else {
        (256, 4096)
    }
}

/// One value of an open key: type and raw bytes.
fn query_value(key: &Key, name: &str) -> Option<(u32, Vec<u8>)> {
    let w = to_wide(name);
    let mut kind = 0u32;
    let mut len = 0u32;
    // SAFETY: size query with a null data pointer.
    let rc = unsafe {
        RegQueryValueExW(
            key.0,
            w.as_ptr(),
            std::ptr::null(),
            &mut kind,
            std::ptr::null_mut(),
            &mut len,
        )
    };
    if rc != ERROR_SUCCESS || len > 64 * 1024 {
        return None;
    }
    let mut data = vec![0u8; len as usize];
    // SAFETY: buffer of `len` bytes.
    let rc = unsafe {
        RegQueryValueExW(
            key.0,
            w.as_ptr(),
            std::ptr::null(),
            &mut kind,
            data.as_mut_ptr(),
            &mut len,
        )
    };
    if rc != ERROR_SUCCESS {
        return None;
    }
    data.truncate(len as usize);
    Some((kind, data))
}

fn query_string(key: &Key, name: &str) -> Option<String> {
    match query_value(key, name)? {
        (REG_SZ, data) | (2, data) => {
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let s = from_wide(&units);
            (!s.is_empty()).then_some(s)
        }
        _ => None,
    }
}

fn query_dword(key: &Key, name: &str) -> Option<u32> {
    match query_value(key, name)? {
        (REG_DWORD, data) if data.len() == 4 => {
            Some(u32::from_le_bytes([data[0], data[1], data[2], data[3]]))
        }
        _ => None,
    }
}

/// Windows version facts from `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
pub fn os_info() -> OsInfo {
    let Ok(key) = open(
        HKEY_LOCAL_MACHINE,
        r"SOFTWARE\Microsoft\Windows NT\CurrentVersion",
    ) else {
        return OsInfo::default();
    };
    let build = query_string(&key, "CurrentBuildNumber")
        .or_else(|| query_string(&key, "CurrentBuild"))
        .map(|b| match query_dword(&key, "UBR") {
            Some(ubr) => format!("{b}.{ubr}"),
            None => b,
        });
    OsInfo {
        product_name: query_string(&key, "ProductName"),
        edition_id: query_string(&key, "EditionID"),
        installation_type: query_string(&key, "InstallationType"),
        display_version: query_string(&key, "DisplayVersion"),
        build,
    }
}

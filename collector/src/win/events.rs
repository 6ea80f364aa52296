//! Event log export through wevtapi: `EvtExportLog` writes a real `.evtx` straight to disk
//! (nothing is held in memory), `EvtArchiveExportedLog` adds the `LocaleMetaData` message files
//! that let another machine render the events' text.
//!
//! wevtapi is loaded at run time from System32 rather than imported: a system without it (or
//! with a stub, as under Wine) then gets a recorded "not supported" step instead of an exe that
//! does not start. `EvtExportLog` cannot be cancelled, so it runs on its own thread and a
//! deadline abandons it.

use super::wide::{error_text, last_error, os_to_wide, step_error, to_wide};
use crate::source::{EventExport, StepError};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;
use windows_sys::Win32::Foundation::HMODULE;
use windows_sys::Win32::Globalization::GetUserDefaultLCID;
use windows_sys::Win32::System::LibraryLoader::{GetProcAddress, LoadLibraryExW};

/// `EvtExportLogChannelPath`: the path argument is a channel name.
const EVT_EXPORT_LOG_CHANNEL_PATH: u32 = 1;
/// en-US, asked for in addition to the user's language (support reads English text).
const LCID_EN_US: u32 = 1033;

type EvtExportLogFn = unsafe extern "system" fn(
    session: isize,
    path: *const u16,
    query: *const u16,
    target_file_path: *const u16,
    flags: u32,
) -> i32;
type EvtArchiveExportedLogFn = unsafe extern "system" fn(
    session: isize,
    log_file_path: *const u16,
    locale: u32,
    flags: u32,
) -> i32;

struct Wevtapi {
    export: EvtExportLogFn,
    archive: Option<EvtArchiveExportedLogFn>,
}

fn load(system_dir: &Path) -> Result<Wevtapi, StepError> {
    let dll = os_to_wide(system_dir.join("wevtapi.dll").as_os_str());
    // SAFETY: full path, NUL-terminated; the module stays loaded for the process lifetime.
    let module: HMODULE = unsafe { LoadLibraryExW(dll.as_ptr(), std::ptr::null_mut(), 0) };
    if module.is_null() {
        let rc = last_error();
        return Err(StepError::failed(format!(
            "event log export is not supported here: wevtapi.dll could not be loaded: {}",
            error_text(rc)
        )));
    }
    // SAFETY: NUL-terminated ASCII names; the pointers are transmuted to their documented
    // signatures.
    unsafe {
        let export = GetProcAddress(module, c"EvtExportLog".as_ptr().cast()).ok_or_else(|| {
            StepError::failed(
                "event log export is not supported here: wevtapi.dll has no EvtExportLog",
            )
        })?;
        let archive = GetProcAddress(module, c"EvtArchiveExportedLog".as_ptr().cast());
        Ok(Wevtapi {
            export: std::mem::transmute::<unsafe extern "system" fn() -> isize, EvtExportLogFn>(
                export,
            ),
            archive:
                archive.map(|f| {
                    std::mem::transmute::<
                        unsafe extern "system" fn() -> isize,
                        EvtArchiveExportedLogFn,
                    >(f)
                }),
        })
    }
}

/// Exports `channel` (filtered by `query`) to `dest`, then locale metadata beside it.
pub fn export(
    system_dir: &Path,
    channel: &str,
    query: Option<&str>,
    dest: &Path,
    timeout: Duration,
) -> Result<EventExport, StepError> {
    let api = load(system_dir)?;
    let channel_w = to_wide(channel);
    let query_w = query.map(to_wide);
    let dest_w = os_to_wide(dest.as_os_str());
    let export_fn = api.export;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let query_ptr = query_w.as_ref().map_or(std::ptr::null(), |q| q.as_ptr());
        // SAFETY: NUL-terminated strings owned by this thread; no session (local machine).
        let ok = unsafe {
            export_fn(
                0,
                channel_w.as_ptr(),
                query_ptr,
                dest_w.as_ptr(),
                EVT_EXPORT_LOG_CHANNEL_PATH,
            )
        };
        let rc = if ok == 0 { last_error() } else { 0 };
        let _ = tx.send(rc);
    });
    match rx.recv_timeout(timeout) {
        Ok(0) => {}
        Ok(rc) => return Err(export_error(channel, rc)),
        Err(_) => {
            return Err(StepError::timed_out(format!(
                "EvtExportLog did not finish within {} s; abandoned",
                timeout.as_secs()
            )))
        }
    }
    Ok(archive_locale(&api, dest))
}

fn export_error(channel: &str, rc: u32) -> StepError {
    // ERROR_CALL_NOT_IMPLEMENTED, ERROR_NOT_SUPPORTED: stubs (Wine) and stripped systems.
    if rc == 120 || rc == 50 {
        return StepError::failed(format!(
            "event log export is not supported on this system: {}",
            error_text(rc)
        ));
    }
    step_error(&format!("exporting {channel}"), rc)
}

/// Runs `EvtArchiveExportedLog` for the user's language and en-US, and lists the files it
/// wrote (`LocaleMetaData\<name>_<LCID>.MTA` beside `dest`).
fn archive_locale(api: &Wevtapi, dest: &Path) -> EventExport {
    let Some(archive) = api.archive else {
        return EventExport {
            locale_files: Vec::new(),
            locale_error: Some("EvtArchiveExportedLog is not available".to_string()),
        };
    };
    // SAFETY: no arguments.
    let user = unsafe { GetUserDefaultLCID() };
    let mut lcids = vec![user];
    if user != LCID_EN_US {
        lcids.push(LCID_EN_US);
    }
    let dest_w = os_to_wide(dest.as_os_str());
    let mut errors = Vec::new();
    for lcid in lcids {
        // SAFETY: NUL-terminated path of the exported log.
        let ok = unsafe { archive(0, dest_w.as_ptr(), lcid, 0) };
        if ok == 0 {
            errors.push(format!("LCID {lcid}: {}", error_text(last_error())));
        }
    }
    let locale_files = locale_files_for(dest);
    let locale_error = if locale_files.is_empty() && !errors.is_empty() {
        Some(errors.join("; "))
    } else {
        None
    };
    EventExport {
        locale_files,
        locale_error,
    }
}

fn locale_files_for(dest: &Path) -> Vec<PathBuf> {
    let Some(dir) = dest.parent().map(|p| p.join("LocaleMetaData")) else {
        return Vec::new();
    };
    let stem = dest
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| {
                    n.to_string_lossy()
                        .to_lowercase()
                        .starts_with(&format!("{stem}_"))
                })
                .unwrap_or(false)
        })
        .collect();
    files.sort();
    files
}

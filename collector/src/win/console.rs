//! Console behaviour of a tool that is often started by double-click.

use std::io::{BufRead, Write};
use windows_sys::Win32::System::Console::{
    GetConsoleMode, GetConsoleProcessList, GetStdHandle, STD_INPUT_HANDLE,
};
use windows_sys::Win32::System::ProcessStatus::{K32GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

/// True when this process has a console window of its own (started from Explorer) and an
/// interactive stdin: the window would close before the user could read the report. From
/// `cmd` the console is shared with the shell, so the count is 2 or more.
pub fn started_in_own_console() -> bool {
    let mut ids = [0u32; 4];
    // SAFETY: buffer and its length.
    let n = unsafe { GetConsoleProcessList(ids.as_mut_ptr(), ids.len() as u32) };
    if n != 1 {
        return false;
    }
    let mut mode = 0u32;
    // SAFETY: standard handle query and mode read into a local.
    unsafe { GetConsoleMode(GetStdHandle(STD_INPUT_HANDLE), &mut mode) != 0 }
}

/// "Press Enter to close this window."
pub fn wait_for_enter() {
    print!("\nPress Enter to close this window.");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

/// Peak working set of this process in bytes (`GetProcessMemoryInfo`).
pub fn peak_working_set() -> Option<u64> {
    // SAFETY: zeroed counters with their size set.
    let mut c: PROCESS_MEMORY_COUNTERS = unsafe { std::mem::zeroed() };
    c.cb = std::mem::size_of::<PROCESS_MEMORY_COUNTERS>() as u32;
    // SAFETY: pseudo-handle of this process; structure and its size.
    let ok = unsafe { K32GetProcessMemoryInfo(GetCurrentProcess(), &mut c, c.cb) };
    (ok != 0).then_some(c.PeakWorkingSetSize as u64)
}

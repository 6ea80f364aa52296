//! A job object that kills a command and everything it started when the collector is done with
//! it. `Child::kill` ends only the direct child; gpresult and netsh start helpers that would keep
//! the output pipes open (and keep running) after a timeout.

use std::os::windows::io::AsRawHandle;
use std::process::Child;
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
    SetInformationJobObject, TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};

pub struct KillOnCloseJob(HANDLE);

impl KillOnCloseJob {
    /// Puts `child` in a new kill-on-close job; `None` if the system refuses (then only the
    /// child itself can be killed).
    pub fn for_child(child: &Child) -> Option<KillOnCloseJob> {
        // SAFETY: anonymous job, default security.
        let job = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
        if job.is_null() {
            return None;
        }
        let job = KillOnCloseJob(job);
        // SAFETY: a zeroed structure is valid; only the flag is set.
        let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
        info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        // SAFETY: the structure and its size.
        let ok = unsafe {
            SetInformationJobObject(
                job.0,
                JobObjectExtendedLimitInformation,
                (&info as *const JOBOBJECT_EXTENDED_LIMIT_INFORMATION).cast(),
                std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            )
        };
        if ok == 0 {
            return None;
        }
        // SAFETY: the child's process handle is valid while `child` lives.
        let ok = unsafe { AssignProcessToJobObject(job.0, child.as_raw_handle() as HANDLE) };
        (ok != 0).then_some(job)
    }

    /// Ends every process of the job.
    pub fn terminate(&self) {
        // SAFETY: valid job handle.
        unsafe { TerminateJobObject(self.0, 1) };
    }
}

impl Drop for KillOnCloseJob {
    fn drop(&mut self) {
        // SAFETY: closed once; closing kills what is left in the job.
        unsafe { CloseHandle(self.0) };
    }
}

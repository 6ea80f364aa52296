//! The Windows [`Source`]: Win32 registry API, CryptoAPI, wevtapi and System32 console tools.
//!
//! Compiled only on Windows. Every call is read-only: keys are opened with query/enumerate rights
//! only, certificate stores read-only and "open existing", and the tools run are the ones listed
//! in the bundle contract.

pub mod certs;
pub mod console;
pub mod events;
pub mod job;
pub mod registry;
pub mod system;
pub mod wide;

use crate::probe::{ProbeConfig, ProbeOutcome};
use crate::process::{resolve_system_program, run_with_timeout, MAX_OUTPUT_BYTES};
use crate::source::{
    CertItem, CommandOutput, EventExport, RegLimits, RegRead, Source, StepError, SystemFacts,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The live machine.
pub struct WindowsSource {
    system_dir: PathBuf,
}

impl Default for WindowsSource {
    fn default() -> Self {
        Self::new()
    }
}

impl WindowsSource {
    pub fn new() -> Self {
        WindowsSource {
            system_dir: system::system_directory(),
        }
    }

    /// `C:\Windows\System32` as `GetSystemDirectoryW` reports it (not `%SystemRoot%`, which the
    /// caller's environment could point elsewhere).
    pub fn system_dir(&self) -> &Path {
        &self.system_dir
    }
}

impl Source for WindowsSource {
    fn system_facts(&mut self) -> SystemFacts {
        system::facts()
    }

    fn env_var(&mut self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn read_registry(&mut self, key: &str, limits: &RegLimits) -> Result<RegRead, StepError> {
        registry::read_tree(key, limits)
    }

    fn run_command(
        &mut self,
        program: &str,
        args: &[String],
        timeout: Duration,
    ) -> Result<CommandOutput, StepError> {
        let path = resolve_system_program(&self.system_dir, program)?;
        run_with_timeout(&path, args, timeout, MAX_OUTPUT_BYTES)
    }

    fn account_name(&mut self, sid: &str) -> Result<String, StepError> {
        system::account_name(sid)
    }

    fn joined_domain(&mut self) -> Result<Option<String>, StepError> {
        system::joined_domain()
    }

    fn rdp_probe(&mut self, config: &ProbeConfig) -> Result<ProbeOutcome, StepError> {
        Ok(crate::probe::run(config))
    }

    fn certificates(&mut self, store: &str) -> Result<Vec<CertItem>, StepError> {
        certs::read_store(store)
    }

    fn export_event_log(
        &mut self,
        channel: &str,
        query: Option<&str>,
        dest: &Path,
        timeout: Duration,
    ) -> Result<EventExport, StepError> {
        events::export(&self.system_dir, channel, query, dest, timeout)
    }
}

//! RDP030: the RDP protocol stack or the TermService DLL is not Microsoft's.
//!
//! The listener loads its protocol stack from RDP-Tcp: `LoadableProtocol_Object` names the COM
//! class of the RDP stack ({5828227c-20cf-4408-b73f-73ab70b8849f} since Windows 8;
//! {18b726bb-6fe6-4fb9-9276-ed57ce7c7cb2} with RDP 8 on Windows 7), `WdDLL`/`PdDLL` the
//! drivers (`rdpwd`, `tdtcp`). TermService itself is `ServiceDll` = `termsrv.dll`. Third-party
//! remoting products (Citrix, some VDI agents) replace the stack, and "RDP Wrapper" replaces
//! `ServiceDll` to allow several sessions on client editions; after a Windows update such a
//! replacement stops matching `termsrv.dll` and the listener silently stops working.

use super::support;
use super::{Check, Finding, Severity};
use crate::evidence::{Evidence, RegHit, RDP_TCP_KEY};
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP030",
    name: "rdp-stack-replaced",
    severity: Severity::Warning,
    title: "The RDP protocol stack or TermService DLL is not Microsoft's",
    explanation: "RDP-Tcp loads a protocol stack other than Microsoft's, or TermService's \
                  ServiceDll is not termsrv.dll (e.g. RDP Wrapper). Such replacements break when \
                  Windows updates Remote Desktop, and their own settings decide how RDP behaves.",
    remediation: "If the third-party product is not wanted, uninstall it and restore the \
                  defaults: ServiceDll = %SystemRoot%\\System32\\termsrv.dll under \
                  HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService\\Parameters, and under \
                  WinStations\\RDP-Tcp LoadableProtocol_Object = \
                  {5828227c-20cf-4408-b73f-73ab70b8849f}, WdDLL = rdpwd, PdDLL = tdtcp (export \
                  RDP-Tcp from a healthy machine of the same build); restart. If it is wanted, \
                  update it to a version made for this Windows build.",
    needs: &[Kind::Registry],
    fixture: "fixtures/rdp-stack-replaced",
    requires: Some(missing),
    run,
};

const MS_STACKS: &[&str] = &[
    "{5828227c-20cf-4408-b73f-73ab70b8849f}",
    "{18b726bb-6fe6-4fb9-9276-ed57ce7c7cb2}",
];
const TERMSERVICE_PARAMS: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TermService\Parameters";

/// Whether a value is Microsoft's default.
type IsDefault = fn(&str) -> bool;

fn differs<'a>(
    ev: &'a Evidence,
    key: &str,
    name: &str,
    ok: IsDefault,
) -> Option<(String, RegHit<'a>)> {
    let h = ev.reg_value(key, name)?;
    let v = h.value.data.as_str()?.trim().to_string();
    (!v.is_empty() && !ok(&v)).then_some((v, h))
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut parts = Vec::new();
    let mut refs = Vec::new();
    let checks: [(&str, &str, IsDefault); 4] = [
        (RDP_TCP_KEY, "LoadableProtocol_Object", |v| {
            MS_STACKS.iter().any(|m| m.eq_ignore_ascii_case(v))
        }),
        (RDP_TCP_KEY, "WdDLL", |v| v.eq_ignore_ascii_case("rdpwd")),
        (RDP_TCP_KEY, "PdDLL", |v| v.eq_ignore_ascii_case("tdtcp")),
        (TERMSERVICE_PARAMS, "ServiceDll", |v| {
            v.to_ascii_lowercase()
                .replace('/', "\\")
                .ends_with("\\system32\\termsrv.dll")
        }),
    ];
    for (key, name, ok) in checks {
        if let Some((v, h)) = differs(ev, key, name, ok) {
            parts.push(format!("{name} = {v}"));
            refs.push(support::reg_ref(&h));
        }
    }
    if parts.is_empty() {
        return Vec::new();
    }
    let wrapper = parts
        .iter()
        .any(|p| p.to_ascii_lowercase().contains("rdpwrap"));
    let mut f = Finding::new(
        &CHECK,
        format!(
            "{}.{}",
            parts.join("; "),
            if wrapper {
                " This is RDP Wrapper, which patches termsrv.dll in memory to allow concurrent \
                 sessions; every Windows update to termsrv.dll breaks it until its ini is \
                 updated."
            } else {
                " A non-Microsoft component handles RDP connections."
            }
        ),
    )
    .fact("replaced", parts.join("; "));
    if wrapper {
        f = f.title("RDP Wrapper replaces TermService's DLL");
    }
    f.evidence = refs;
    vec![f]
}

/// Not evaluated without the RDP-Tcp key.
fn missing(ev: &Evidence) -> Option<String> {
    support::missing_key(ev, RDP_TCP_KEY, "registry/terminal-server.reg")
}

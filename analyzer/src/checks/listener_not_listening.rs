//! RDP005: the RDP-Tcp listener is not listening.
//!
//! `qwinsta` lists the listener as session `rdp-tcp` (ID 65536) in state Listen. It disappears
//! when the listener is disabled (`fEnableWinStation` = 0), when its `WinStations\RDP-Tcp` key is
//! gone (a broken third-party RDP wrapper, a bad cleanup script) or when the listener failed to
//! start. When RDP is switched off or TermService is stopped the missing listener is a
//! consequence, so the finding says so and drops to info.

use super::{support, Check, EvidenceRef, Finding, Severity};
use crate::evidence::{Evidence, SessionState, RDP_TCP_KEY, TERMINAL_SERVER_KEY};
use crate::parse::identify::Kind;
use crate::parse::qwinsta::TableLayout;

pub static CHECK: Check = Check {
    id: "RDP005",
    name: "listener-not-listening",
    severity: Severity::Error,
    title: "The RDP-Tcp listener is not in Listen state",
    explanation: "Remote Desktop accepts connections through the RDP-Tcp listener. qwinsta shows \
                  it as 'rdp-tcp' with ID 65536 in state Listen; if it is missing, disabled or in \
                  another state, clients get 'Remote Desktop can't connect to the remote \
                  computer'.",
    remediation:
        "Make sure HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp \
                  exists (export it from a healthy machine of the same build if it was deleted) \
                  with fEnableWinStation = 1, then restart TermService (`net stop TermService /y` \
                  and `net start TermService`) and check that `qwinsta` lists rdp-tcp as Listen.",
    needs: &[Kind::Qwinsta, Kind::Registry],
    fixture: "fixtures/listener-missing",
    requires: None,
    run,
};

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut f = Finding::new(&CHECK, "");
    let mut problems = Vec::new();
    // quser lists user sessions only: no rdp-tcp row there says nothing about the listener.
    for q in ev.qwinsta.iter().filter(|q| q.value.layout == TableLayout::Qwinsta) {
        match q.value.rdp_listener() {
            None => {
                problems.push("qwinsta lists no rdp-tcp listener".to_string());
                f = f.evidence(EvidenceRef::file(
                    &q.artifact,
                    "no 'rdp-tcp' row (ID 65536) in qwinsta",
                ));
            }
            Some(s) if s.state != SessionState::Listen => {
                problems.push(format!(
                    "qwinsta shows rdp-tcp in state {:?}, not Listen",
                    s.state
                ));
                f = f.evidence(EvidenceRef::line(
                    &q.artifact,
                    s.line,
                    format!(
                        "rdp-tcp  ID {}  state {:?}",
                        s.id.map(|i| i.to_string()).unwrap_or_default(),
                        s.state
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(hit) = ev.reg_value(RDP_TCP_KEY, "fEnableWinStation") {
        if hit.value.data.as_u32() == Some(0) {
            problems.push("the listener is disabled (fEnableWinStation = 0)".into());
            f = f
                .evidence(support::reg_ref(&hit))
                .fact("fEnableWinStation", "0");
        }
    }
    let winstations = format!(r"{TERMINAL_SERVER_KEY}\WinStations");
    if ev.reg_covers(&winstations) && ev.reg_key(RDP_TCP_KEY).is_none() {
        let artifact = ev
            .reg_key(TERMINAL_SERVER_KEY)
            .map(|(a, _)| a)
            .or_else(|| ev.reg_covering(&winstations))
            .unwrap_or_default()
            .to_string();
        problems.push("the WinStations\\RDP-Tcp registry key is missing".into());
        f = f
            .evidence(EvidenceRef::file(
                &artifact,
                format!("no key [{RDP_TCP_KEY}]"),
            ))
            .fact("rdp_tcp_key", "missing");
    }
    if problems.is_empty() {
        return Vec::new();
    }
    f.message = format!("{}.", problems.join("; "));
    if let Some(cause) = support::explained_by(ev) {
        f = f.severity(Severity::Info);
        f.message
            .push_str(&format!(" This is expected while {cause}; fix that first."));
    }
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::evidence_from_xml;

    /// The German `quser` of a real machine (one console session, no listener row, as quser
    /// never shows one) is no evidence of a missing listener; qwinsta without one is.
    #[test]
    fn quser_without_a_listener_row_is_not_a_missing_listener() {
        let quser = "\u{20}BENUTZERNAME          SITZUNGSNAME       ID  STATUS  LEERLAUF   ANMELDEZEIT\r\n\
                     \u{20}manfred               console             4  Aktiv       Kein   28.04.2025 12:03\r\n";
        let ev = evidence_from_xml(&[("commands/quser.txt", quser)]);
        assert_eq!(ev.qwinsta.len(), 1, "quser is identified");
        assert!(run(&ev).is_empty());
        let qwinsta = " SITZUNGSNAME      BENUTZERNAME             ID  STATUS  TYP         GERÄT\r\n\
                       >console           manfred                   1  Aktiv\r\n";
        let ev = evidence_from_xml(&[("commands/qwinsta.txt", qwinsta)]);
        assert_eq!(run(&ev).len(), 1);
    }
}

//! RDP900: a file of the input could not be read or parsed.
//!
//! A truncated paste, a zip entry refused as a bomb, an encrypted entry or a file we do not
//! recognize must not stop the analysis; it must be visible, naming the file and the checks that
//! lost their evidence, so support knows what to ask the customer for again.

use super::{all, Check, EvidenceRef, Finding, Severity};
use crate::evidence::Evidence;
use crate::parse::identify::Kind;

pub static CHECK: Check = Check {
    id: "RDP900",
    name: "artifact-unreadable",
    severity: Severity::Warning,
    title: "An artifact could not be read",
    explanation: "A file in the input could not be read, decompressed or parsed. Checks that \
                  depend on it ran without it (or not at all).",
    remediation: "Ask the customer for this file again, unmodified: run rdp-collect again or, \
                  for a manual collection, redirect the command's output to a file (`cmd > \
                  file.txt`) rather than copying it from the console window.",
    needs: &[],
    fixture: "fixtures/corrupt-artifacts",
    requires: None,
    run,
};

/// The checks an unreadable artifact of `kind` leaves without evidence (a hive serves every
/// registry check).
fn dependents(kind: Kind) -> String {
    let ids: Vec<_> = all()
        .iter()
        .filter(|c| {
            c.needs.contains(&kind)
                || super::stands_for(kind).is_some_and(|served| c.needs.contains(&served))
        })
        .map(|c| c.id)
        .collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!(
            " Checks that read this kind of artifact: {}.",
            ids.join(", ")
        )
    }
}

fn run(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in &ev.input_problems {
        out.push(
            Finding::new(&CHECK, format!("{}: {}", p.path, p.message))
                .title(format!("{} could not be read", p.path))
                .fact("artifact", &p.path)
                .evidence(EvidenceRef::file(&p.path, &p.message)),
        );
    }
    for a in ev.artifacts.iter().filter(|a| a.present) {
        let Some(err) = &a.error else { continue };
        if a.kind == Kind::Unknown {
            // Customers' zips hold screenshots and notes too: an unrecognized file is listed in
            // the report's artifacts table as ignored, not raised as a problem.
            continue;
        }
        let enc = a
            .encoding
            .as_deref()
            .map(|e| {
                format!(
                    ", read as {e}{}",
                    if a.lossy {
                        " with invalid bytes replaced"
                    } else {
                        ""
                    }
                )
            })
            .unwrap_or_default();
        out.push(
            Finding::new(
                &CHECK,
                format!(
                    "{} looks like {}{enc} but could not be parsed: {err}.{}",
                    a.path,
                    a.kind.describe(),
                    dependents(a.kind)
                ),
            )
            .title(format!("{} could not be parsed", a.path))
            .fact("artifact", &a.path)
            .evidence(EvidenceRef::file(&a.path, err)),
        );
    }
    out
}

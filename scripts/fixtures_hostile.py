#!/usr/bin/env python3
"""Writes fixtures/hostile-strings/: a bundle from a compromised machine whose strings are
HTML, script and Markdown payloads, in every place a report shows bundle text.

The machine's tools write these strings the way Windows would: gpresult HTML-escapes the GPO
name in its markup, wevtutil XML-escapes event data, tasklist truncates image names to 25
characters. So the parsers hand the raw payload (`<script>...`) to the checks, and the reports
must show it as text. tests/html_report.rs opens the HTML report in headless Chromium and
checks that none of them ran or became markup.

Reuses make_fixtures' writers (run from the repository root or anywhere):
    python3 scripts/fixtures_hostile.py
"""
import html
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (its scenarios only run under __main__)

# Payloads. Each one, if it ever became markup, leaves a mark the Chromium test looks for:
# the page title becomes PWNED, or <body> gets a data-pwned attribute, or an element the
# report never contains (<script>, <img>, <svg>, <iframe>) appears in the live DOM.
SCRIPT = "<script>document.title='PWNED'</script>"
IMG = "\"><img src=x onerror=\"document.body.setAttribute('data-pwned',1)\">"
SVG = "'><svg onload=\"document.body.setAttribute('data-pwned',2)\">"
TITLE = "</title><script>document.title='PWNED'</script>"
IFRAME = "<iframe srcdoc=\"<script>parent.document.title='PWNED'</script>\"></iframe>"
ENTITY = "&lt;b&gt;not bold&lt;/b&gt; &amp;amp;"
BIDI = "invoice\u202Etxt.exe"
MARKDOWN = "`code` | **bold** [click](javascript:alert(1)) <b>html</b>"
# tasklist /svc cuts image names at 25 characters: a payload that fits.
PROCESS = "<svg/onload=alert(1)>.exe"
assert len(PROCESS) == 25

GPO = f"Contoso {SCRIPT} Lockdown {IMG}"
USER = f"{SCRIPT}jdoe"
HOST = "WS-RDP01" + TITLE
FW_RULE = f"Block RDP {SVG}"


def gp_escape(s):
    """gpresult writes names HTML-escaped in its markup."""
    return html.escape(s, quote=True)


def xml_escape(s):
    """wevtutil writes event data XML-escaped (its attributes use single quotes)."""
    return html.escape(s, quote=True).replace("&#x27;", "&apos;")


def main():
    f = mf.baseline()

    # RDP002: the winning GPO that disables RDP carries script and markup.
    f["registry/terminal-services-policies.reg"] = (f["registry/terminal-services-policies.reg"][0], mf.policies(1), None)
    f["gpresult/gpresult.html"] = (f["gpresult/gpresult.html"][0], mf.gpresult(
        allow_setting="Disabled", allow_gpo=gp_escape(GPO),
        gpos=["Local Group Policy [LocalGPO]", gp_escape(GPO) + " [{E2A1C3D4-5B6F-4789-A0B1-C2D3E4F5A6B7}]",
              "Default Domain Policy [{31B2F340-016D-11D2-945F-00C04FB984F9}]"]), None)

    # RDP008: a process with a markup name holds 3389.
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], mf.netstat(pid=4242), 437)
    f["commands/tasklist-svc.txt"] = (f["commands/tasklist-svc.txt"][0],
                                      mf.tasklist(extra=[(PROCESS, 4242, "N/A")]), 437)

    # RDP009: an enabled Block rule whose name is markup.
    f["commands/netsh-firewall-rules.txt"] = (f["commands/netsh-firewall-rules.txt"][0], mf.netsh_rules(
        extra=[mf.fw_rule(FW_RULE, grouping="", action="Block", program="Any", service="Any")]), 437)

    # RDP014: failed logons by a user whose name is a script, from a "workstation" that is an
    # image tag, with a logon process name carrying Markdown.
    ev = mf.BASE_EVENTS + [
        mf.event_4625(184290 + i, f"2026-11-20T08:{10 + i:02d}:03.{i}512771Z", xml_escape(USER), xml_escape(IMG),
                      "0xc000015b", "0x0", 10, proc=xml_escape(MARKDOWN))
        for i in range(3)
    ]
    f["events/Security.xml"] = (f["events/Security.xml"][0], mf.security_xml(ev), None)

    failed = [
        # RDP901 and the artifacts table: a failed step whose path, producer and message are
        # payloads (a forged manifest can say anything).
        ("commands/" + IMG + ".txt", SVG, "failed", f"{SCRIPT} {ENTITY} {BIDI} {IFRAME}"),
    ]
    mf.write("hostile-strings", f, {}, failed=failed)

    # The host name is in the manifest only: rewrite it there.
    d = os.path.join(mf.FIX, "hostile-strings")
    mpath = os.path.join(d, "manifest.json")
    m = json.load(open(mpath))
    m["host_name"] = HOST
    m["os"]["product_name"] = "Windows 11 Pro " + MARKDOWN
    open(mpath, "w").write(json.dumps(m, indent=2) + "\n")

    expected = {
        "description": "A compromised machine's bundle: GPO, process, firewall rule, user, workstation, "
                       "host and manifest strings are HTML/script/Markdown payloads. The diagnoses are "
                       "the usual ones; the reports must show every payload as text "
                       "(tests/html_report.rs checks the HTML in headless Chromium).",
        "must": [
            {"id": "RDP002", "severity": "error", "facts": {"winning_gpo": GPO}},
            {"id": "RDP008", "severity": "error", "facts": {"pid": "4242", "process": PROCESS}},
            {"id": "RDP009", "severity": "error"},
            {"id": "RDP014", "severity": "error", "facts": {"users": "CONTOSO\\" + USER}},
            {"id": "RDP901", "facts": {"artifact": "commands/" + IMG + ".txt"}},
        ],
        "tolerate": ["RDP005", "RDP007", "RDP901"],
        "must_not": ["RDP900"],
    }
    open(os.path.join(d, "expected.json"), "w").write(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    print("written", d)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the RDP062 (session time limits) and RDP063 (reboot pending) scenarios under fixtures/.

Both start from the event-log baseline of fixtures_events.py (the healthy workstation with every
RDP log) and change what the cause needs, in the formats Windows writes:

- session-time-limits: a CIS-style GPO sets the idle limit to 15 minutes and the
  disconnected-session limit to 1 minute (the values and the gpresult option rows as in the real
  CIS report ../shared/samples/gpresult/HersheyTaichou__GPResult-MS-cis-rdp.html), and
  LocalSessionManager 40 (UserData Session/Reason, as in the real dfirmuseum LSM logs) shows
  jsmith's session disconnected twice with reason 3 (idle limit) and then logged off.
- reboot-pending: the Component Based Servicing RebootPending key exists, PendingFileRenameOperations
  replaces termsrv.dll at the next boot, Windows Update's RebootRequired key does not exist (the
  collector's `not_found` record), and the System log has WindowsUpdateClient 19 for the
  cumulative update (fields as in the real StolenSzechuan System log) followed by TermService
  terminating unexpectedly (7034) from then on.

Run from anywhere: python3 scripts/fixtures_session_reboot.py
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures_events as fe  # noqa: E402
import make_fixtures as mf  # noqa: E402

WU = ("Microsoft-Windows-WindowsUpdateClient", "{945a8954-c147-4acd-923f-40c45405a658}")
USER32 = ("User32", "{b0aa8734-56f7-41cc-b2f4-de228e98b946}")
SESSION_TIME_LIMITS = "Windows Components/Remote Desktop Services/Remote Desktop Session Host/Session Time Limits"
CBS = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending"
WU_REBOOT = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired"
SM = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Session Manager"


def files_with(logs, extra=None):
    f = mf.baseline()
    for path, events in logs.items():
        f[path] = (fe.PRODUCERS[path], fe.xml(events), None)
    f.update(extra or {})
    return f


def gp_with_time_limits(gpo):
    """The baseline gpresult with a Session Time Limits category (options rows as gpresult writes them)."""
    html = mf.gpresult(gpos=["Local Group Policy [LocalGPO]", "Contoso - RDP Access [{7C1B2A55-3E0F-4B8E-9A61-2D4C8F0E6B13}]",
                             f"{gpo} [{{5E0A7C21-9B4D-4F3A-8E61-0C2D7B9A4F18}}]",
                             "Default Domain Policy [{31B2F340-016D-11D2-945F-00C04FB984F9}]"])
    text = html[2:].decode("utf-16-le")
    rows = [("Set time limit for active but idle Remote Desktop Services sessions", "Idle session limit:", "15 minutes"),
            ("Set time limit for disconnected sessions", "End a disconnected session", "1 minute"),
            ("End session when time limits are reached", None, None)]
    out = ['<tr><th scope="col">Policy</th><th scope="col">Setting</th><th scope="col">Winning GPO</th></tr>']
    for name, label, value in rows:
        out.append(f'<tr><td><span class="explainlink" tabindex="0" onkeypress="javascript:showExplainText(this); return false;" onclick="javascript:showExplainText(this); return false;" gpmc_settingName="{name}" gpmc_settingPath="Computer Configuration/Administrative Templates/{SESSION_TIME_LIMITS}" gpmc_settingDescription="" gpmc_supported="At least Windows Server 2003 operating systems or Windows XP Professional">{name}</span></td><td>Enabled</td><td>{gpo}</td></tr>')
        if label:
            out.append(f'<tr><td colspan="3"><table class="subtable_frame" >\r\n<tr><td>{label}</td><td>{value}</td></tr>\r\n</table></td></tr><tr><th scope="col">Policy</th><th scope="col">Setting</th><th scope="col">Winning GPO</th></tr>')
    category = (f'<div class="he3"><span class="sectionTitle" tabindex="0">{SESSION_TIME_LIMITS}</span><a class="expando" href="#"></a></div>\r\n'
                f'<div class="container"><div class="he4i"><table class="info3" >\r\n' + "\r\n".join(out) + "\r\n</table>\r\n</div></div>")
    anchor = mf.gp_category("he3", mf.SEC, [("Require user authentication for remote connections by using Network Level Authentication",
                                              "Enabled", "Contoso - RDP Access", mf.SEC)])
    assert anchor in text
    text = text.replace(anchor, anchor + "\r\n" + category)
    return b"\xff\xfe" + text.encode("utf-16-le")


def session_time_limits():
    base = fe.healthy_logs()
    ip = "10.0.0.77"
    gpo = "Contoso - RDS Session Limits"
    pol = mf.reg_file([(mf.POL, [("fPromptForPassword", "dword", 0), ("UserAuthentication", "dword", 1),
                                 ("fDenyTSConnections", "dword", 0), ("MaxIdleTime", "dword", 900000),
                                 ("MaxDisconnectionTime", "dword", 60000), ("fResetBroken", "dword", 1)]),
                       (mf.POL + r"\Client", [])])
    lsm = list(base[fe.PATH_LSM])
    # 08:13 and 09:31: jsmith's session idles out (40 reason 3, then 24), one minute later the
    # disconnected-session limit logs it off (23); he logs on again in between (21/22).
    lsm += [fe.lsm(40, 9160, "2026-11-20T08:13:41.2204410Z", [("Session", "2"), ("Reason", "3")]),
            fe.session(24, 9161, "2026-11-20T08:13:41.2310022Z", "jsmith", 2, ip),
            fe.session(23, 9162, "2026-11-20T08:14:41.3301178Z", "jsmith", 2),
            fe.session(21, 9170, "2026-11-20T09:15:02.6610045Z", "jsmith", 3, ip),
            fe.session(22, 9171, "2026-11-20T09:15:04.0019312Z", "jsmith", 3, ip),
            fe.lsm(40, 9180, "2026-11-20T09:31:05.0771203Z", [("Session", "3"), ("Reason", "3")]),
            fe.session(24, 9181, "2026-11-20T09:31:05.0880016Z", "jsmith", 3, ip),
            fe.session(23, 9182, "2026-11-20T09:32:05.1440098Z", "jsmith", 3)]
    sec = base[fe.PATH_SECURITY] + [mf.event_4624(184350, "2026-11-20T09:15:01.4409917Z", "jsmith", ip)]
    logs = dict(base, **{fe.PATH_LSM: lsm, fe.PATH_SECURITY: sec})
    files = files_with(logs, {
        "registry/terminal-services-policies.reg": ("RegEnumKeyExW/RegEnumValueW " + mf.POL, pol, None),
        "gpresult/gpresult.html": (r"C:\Windows\System32\gpresult.exe /H <temp>\gpresult.html /F", gp_with_time_limits(gpo), None),
    })
    mf.write("session-time-limits", files, {
        "description": "'RDP keeps disconnecting': GPO 'Contoso - RDS Session Limits' (CIS-style) sets a 15-minute idle limit, a 1-minute disconnected-session limit and 'End session when time limits are reached'; LocalSessionManager 40 shows jsmith's session disconnected by the idle limit (reason 3) twice and logged off a minute later.",
        "must": [{"id": "RDP062", "severity": "error", "facts": {
            "max_idle_minutes": "15", "max_disconnection_minutes": "1", "reset_broken": "true",
            "ended_by_time_limit": "2", "winning_gpo": gpo,
            "disconnects_by_reason": "2 × reason 3 (idle time limit reached)"}}],
        "must_not": ["RDP063", "RDP053", "RDP014"]}, failed=[mf.NOT_FOUND_CREDSSP])


def wu19(rid, time, title, guid, rev, pid=3964, tid=5120):
    return fe.ev(fe.system(WU, 19, rid, time, "System", task=1, opcode=13, keywords="0x8000000000000018", pid=pid, tid=tid,
                           user_sid="S-1-5-18").replace("<Version>0</Version>", "<Version>1</Version>"),
                 fe.event_data([("updateTitle", title), ("updateGuid", guid), ("updateRevisionNumber", rev),
                                ("serviceGuid", "{7971f918-a847-4430-9279-4a52d1efe18d}")]))


def e1074(rid, time, process, reason, code, kind, user):
    return fe.ev(fe.system(USER32, 1074, rid, time, "System", keywords="0x8080000000000000", pid=1412, tid=1508,
                           user_sid="S-1-5-18", qualifiers=32768, source_name="User32"),
                 fe.event_data([("param1", process), ("param2", mf.HOST), ("param3", reason), ("param4", code),
                                ("param5", kind), ("param6", ""), ("param7", user)]))


def e7034(rid, time, count):
    binary = "TermService".encode("utf-16-le").hex().upper() + "0000"
    return fe.ev(fe.system(fe.SCM, 7034, rid, time, "System", level=2, keywords="0x8080000000000000", pid=724, tid=8188,
                           qualifiers=49152, source_name="Service Control Manager"),
                 f"<EventData><Data Name='param1'>Remote Desktop Services</Data><Data Name='param2'>{count}</Data><Binary>{binary}</Binary></EventData>")


def reboot_pending():
    base = fe.healthy_logs()
    system = list(base[fe.PATH_SYSTEM])
    system = [e1074(40020, "2026-11-12T03:02:11.0410022Z", r"C:\Windows\system32\svchost.exe (WS-RDP01)",
                    "Operating System: Service pack (Planned)", "0x80020010", "restart", r"NT AUTHORITY\SYSTEM")] + system
    system += [wu19(40190, "2026-11-20T03:04:57.1515102Z",
                    "2026-11 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5046617)",
                    "{3c7f1b44-9a1e-4d6b-8f2a-5b0e7c19d2a6}", "1"),
               e7034(40201, "2026-11-20T08:40:12.5590031Z", 1),
               e7034(40214, "2026-11-20T09:22:47.1022210Z", 2)]
    pfro = [r"\??\C:\Windows\WinSxS\Temp\PendingRenames\b7c0f43e2d3bdb01.termsrv.dll_9b1c", r"!\??\C:\Windows\System32\termsrv.dll",
            r"\??\C:\Windows\WinSxS\Temp\PendingDeletes\$$DeleteMe.rdpcorets.dll.01db3b2e4c1f0a2e.0000", "",
            r"\??\C:\Windows\SoftwareDistribution\Download\7b1e\x64_servicing-stack.cab", ""]
    sm = mf.reg_file([(SM, [
        ("AutoChkTimeout", "dword", 0), ("BootExecute", "multi", ["autocheck autochk *"]),
        ("BootShell", "expand", r"%SystemRoot%\system32\bootim.exe"), ("CriticalSectionTimeout", "dword", 0x278d00),
        ("ExcludeFromKnownDlls", "multi", []), ("GlobalFlag", "dword", 0), ("HeapDeCommitFreeBlockThreshold", "dword", 0),
        ("HeapDeCommitTotalFreeThreshold", "dword", 0), ("HeapSegmentCommit", "dword", 0), ("HeapSegmentReserve", "dword", 0),
        ("NumberOfInitialSessions", "dword", 2), ("ObjectDirectories", "multi", [r"\Windows", r"\RPC Control"]),
        ("PendingFileRenameOperations", "multi", pfro), ("ProcessorControl", "dword", 2), ("ProtectionMode", "dword", 1),
        ("ResourceTimeoutCount", "dword", 0x96), ("RunLevelExecute", "multi", ["WinInit", "ServiceControlManager"]),
        ("SETUPEXECUTE", "multi", [])])])
    cbs = mf.reg_file([(CBS, [])])
    logs = dict(base, **{fe.PATH_SYSTEM: system})
    files = files_with(logs, {
        "registry/cbs-reboot-pending.reg": ("RegEnumKeyExW/RegEnumValueW " + CBS, cbs, None),
        "registry/session-manager.reg": ("RegEnumKeyExW/RegEnumValueW " + SM, sm, None),
    })
    wu_missing = ("registry/windowsupdate-reboot-required.reg", "RegOpenKeyExW " + WU_REBOOT, "not_found",
                  "The system cannot find the file specified. (os error 2)")
    mf.write("reboot-pending", files, {
        "description": "The 2026-11 cumulative update installed at 03:04 (WindowsUpdateClient 19) and its restart is still pending (Component Based Servicing\\RebootPending exists; PendingFileRenameOperations replaces termsrv.dll and deletes an old rdpcorets.dll at the next boot; Windows Update's RebootRequired key does not exist). Since then TermService terminated unexpectedly twice (7034).",
        "must": [{"id": "RDP063", "severity": "error", "facts": {
            "update": "2026-11 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5046617)",
            "first_failure": "2026-11-20T08:40:12.559Z",
            "pending": "Component Based Servicing\\RebootPending, Session Manager\\PendingFileRenameOperations",
            "last_restart": "2026-11-12T03:02:11.041Z"}},
            {"id": "RDP071", "severity": "error"}],
        "must_not": ["RDP062", "RDP054"]}, failed=[mf.NOT_FOUND_CREDSSP, wu_missing])


if __name__ == "__main__":
    session_time_limits()
    reboot_pending()
    print("RDP062/RDP063 fixtures written to", mf.FIX)

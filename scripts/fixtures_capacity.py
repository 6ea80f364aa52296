#!/usr/bin/env python3
"""Writes the host-capacity scenarios: ephemeral ports exhausted (RDP068), the Security log full
(RDP069) and an unexpected restart (RDP070), each on the events-healthy baseline.

Event XML is `wevtutil qe <log> /f:xml` output as in fixtures_events.py. Classic sources (Tcpip,
EventLog) carry no provider GUID and a Qualifiers attribute, like tcpip.sys's 4207 and the
EventLog 6005/6006 of the real System logs in ../shared/samples/evtx; their values are unnamed
<Data>. Console outputs are in the OEM code page with CRLF.

Run from anywhere: python3 scripts/fixtures_capacity.py
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures_events as fe  # noqa: E402
import make_fixtures as mf  # noqa: E402

KERNEL_POWER = ("Microsoft-Windows-Kernel-Power", "{331c3b3a-2005-44c2-ac5e-77220c37d6b4}")
EVENTLOG = ("Microsoft-Windows-Eventlog", "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}")
EVENTLOG_KEY = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\EventLog\Security"
LSA_KEY = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa"
AGENT_PID = 5120


def classic(source, event_id, rid, time, level, qualifiers, values, binary, pid=4, tid=96):
    """An event of a classic (non-manifest) source: no GUID, Qualifiers, unnamed values."""
    sys_block = (f"<System><Provider Name='{source}'/><EventID Qualifiers='{qualifiers}'>{event_id}</EventID><Version>0</Version>"
                 f"<Level>{level}</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords>"
                 f"<TimeCreated SystemTime='{time}'/><EventRecordID>{rid}</EventRecordID><Correlation/>"
                 f"<Execution ProcessID='{pid}' ThreadID='{tid}'/><Channel>System</Channel><Computer>{fe.HOST_FQDN}</Computer><Security/></System>")
    data = "".join(f"<Data>{fe.esc(v)}</Data>" if v else "<Data></Data>" for v in values)
    return fe.ev(sys_block, f"<EventData>{data}<Binary>{binary}</Binary></EventData>")


def tcpip(event_id, rid, time):
    # 4227 is a warning (EVENT_TCPIP_TCP_TIME_WAIT_COLLISION 0x80001083), 4231 an error
    # (global ephemeral port space exhausted, 0xC0001087): netevent.h severities.
    warning = event_id == 4227
    return classic("Tcpip", event_id, rid, time, 3 if warning else 2, 32768 if warning else 49152, [""],
                   "0000000001003000000000008710" + ("0080" if warning else "00C0") + "000000000000000000000000")


def scenario(name, extra_files, events, expected, tasklist_extra=()):
    f = mf.baseline()
    logs = fe.healthy_logs()
    for path, evs in events.items():
        logs[path] = logs.get(path, []) + evs
    for path, evs in logs.items():
        f[path] = (fe.PRODUCERS[path], fe.xml(sorted(evs, key=lambda e: e.split("SystemTime='")[1])), None)
    if tasklist_extra:
        f["commands/tasklist-svc.txt"] = (r"C:\Windows\System32\tasklist.exe /svc", mf.tasklist(tasklist_extra), 437)
    f.update(extra_files)
    mf.write(name, f, expected, failed=[mf.NOT_FOUND_CREDSSP])


# ---------------------------------------------------------------- RDP068

def dynamicport(start, count):
    return mf.oem(f"\nProtocol tcp Dynamic Port Range\n---------------------------------\n"
                  f"Start Port      : {start}\nNumber of Ports : {count}\n\n")


def ephemeral_ports():
    start, count = 64000, 1536
    # A monitoring agent leaks its HTTPS connections (CLOSE_WAIT) and opens new ones; closed
    # ones linger in TIME_WAIT (no owner, PID 0).
    rows = []
    for i in range(1420):
        state = "CLOSE_WAIT" if i % 5 else "ESTABLISHED"
        rows.append(("TCP", f"10.0.0.25:{start + i}", "10.0.0.40:443", state, AGENT_PID))
    for i in range(1420, 1500):
        rows.append(("TCP", f"10.0.0.25:{start + i}", "10.0.0.40:443", "TIME_WAIT", 0))
    system = [tcpip(4227, 40290, "2026-11-20T09:52:13.4410212Z"), tcpip(4227, 40291, "2026-11-20T09:58:40.0192734Z"),
              tcpip(4231, 40297, "2026-11-20T10:02:05.7731190Z"), tcpip(4231, 40301, "2026-11-20T10:07:51.1180233Z"),
              tcpip(4231, 40305, "2026-11-20T10:11:29.6605120Z")]
    scenario("ephemeral-ports-exhausted", {
        "commands/netstat-ano.txt": (r"C:\Windows\System32\netstat.exe -ano", mf.netstat(extra=rows), 437),
        "commands/netsh-dynamicport-tcp.txt": (r"C:\Windows\System32\netsh.exe int ipv4 show dynamicport tcp",
                                               dynamicport(start, count), 437),
    }, {fe.PATH_SYSTEM: system}, {
        "description": "Someone shrank the dynamic TCP port range to 64000-65535 (1536 ports) and a monitoring agent (MonAgent.exe) leaks its HTTPS connections: netstat shows 1500 of the 1536 ports held (1420 by the agent, mostly CLOSE_WAIT) and tcpip.sys logged 4227 and then 4231 (no ephemeral port left) this morning. RDP068 fires as an error naming the agent, and again as a warning for the shrunk range.",
        "must": [
            {"id": "RDP068", "severity": "error", "facts": {"top_process": "MonAgent.exe", "range_count": "1536", "events": "5"}},
            {"id": "RDP068", "severity": "warning", "facts": {"range_count": "1536"}},
        ],
        "must_not": ["RDP070", "RDP071"],
    }, tasklist_extra=[("MonAgent.exe", AGENT_PID, "MonAgentSvc")])


# ---------------------------------------------------------------- RDP069

def e1104(rid, time):
    return fe.ev(fe.system(EVENTLOG, 1104, rid, time, "Security", level=2, task=104, keywords="0x4020000000000000",
                           pid=1148, tid=1504),
                 "<UserData><FileIsFull xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'></FileIsFull></UserData>")


def wevtutil_gl(retention, auto_backup, max_size):
    return mf.oem("name: Security\nenabled: true\ntype: Admin\nowningPublisher: \nisolation: Custom\n"
                  "channelAccess: O:BAG:SYD:(A;;0xf0005;;;SY)(A;;0x5;;;BA)(A;;0x1;;;S-1-5-32-573)\nlogging:\n"
                  "  logFileName: %SystemRoot%\\System32\\Winevt\\Logs\\Security.evtx\n"
                  f"  retention: {str(retention).lower()}\n  autoBackup: {str(auto_backup).lower()}\n  maxSize: {max_size}\n"
                  "publishing:\n  fileMax: 1\n\n")


def security_log_full():
    size = 20971520
    key = mf.reg_file([(EVENTLOG_KEY, [
        ("File", "expand", r"%SystemRoot%\System32\Winevt\Logs\Security.evtx"),
        ("MaxSize", "dword", size),
        ("Retention", "dword", 0xFFFFFFFF),
        ("AutoBackupLogFiles", "dword", 0),
        ("PrimaryModule", "sz", "Security"),
        ("DisplayNameFile", "expand", r"%SystemRoot%\system32\wevtapi.dll"),
        ("DisplayNameID", "dword", 0x101),
    ])])
    lsa = mf.reg_file([(LSA_KEY, [("auditbasedirectories", "dword", 0), ("crashonauditfail", "dword", 0),
                                  ("LimitBlankPasswordUse", "dword", 1), ("NoLmHash", "dword", 1)])])
    scenario("security-log-full", {
        "registry/eventlog-security.reg": ("RegEnumKeyExW/RegEnumValueW " + EVENTLOG_KEY, key, None),
        "registry/lsa.reg": ("RegEnumKeyExW/RegEnumValueW " + LSA_KEY, lsa, None),
        "commands/wevtutil-gl-security.txt": (r"C:\Windows\System32\wevtutil.exe gl Security", wevtutil_gl(True, False, size), 437),
    }, {fe.PATH_SECURITY: [e1104(184302, "2026-11-20T09:12:44.2019377Z")]}, {
        "description": "An audit baseline set the Security log to 'do not overwrite events' at 20 MB; it filled at 09:12 (1104) and has taken no event since. CrashOnAuditFail is 0, so Windows keeps running and logons work, but nothing is audited any more: RDP069 warns (auditing stopped); RDP064 stays quiet.",
        "must": [{"id": "RDP069", "severity": "warning", "facts": {"full": "true", "retention": "retain", "CrashOnAuditFail": "0"}}],
        "must_not": ["RDP064"],
    })


# ---------------------------------------------------------------- RDP070

def kernel_power_41(rid, time, bugcheck=0):
    values = [("BugcheckCode", str(bugcheck)), ("BugcheckParameter1", "0x0"), ("BugcheckParameter2", "0x0"),
              ("BugcheckParameter3", "0x0"), ("BugcheckParameter4", "0x0"), ("SleepInProgress", "0"),
              ("PowerButtonTimestamp", "0"), ("BootAppStatus", "0"), ("Checkpoint", "0"),
              ("ConnectedStandbyInProgress", "false"), ("SystemSleepTransitionsToOn", "0"),
              ("CsEntryScenarioInstanceId", "0"), ("BugcheckInfoFromEFI", "false"), ("CheckpointStatus", "0")]
    return fe.ev(fe.system(KERNEL_POWER, 41, rid, time, "System", level=1, task=63, keywords="0x8000400000000002",
                           pid=4, tid=8, user_sid="S-1-5-18"), fe.event_data(values))


def scm_7034(rid, time):
    binary = "TermService".encode("utf-16-le").hex().upper() + "0000"
    return fe.ev(fe.system(fe.SCM, 7034, rid, time, "System", level=2, keywords="0x8080000000000000", pid=724, tid=2316,
                           qualifiers=49152, source_name="Service Control Manager"),
                 f"<EventData><Data Name='param1'>Remote Desktop Services</Data><Data Name='param2'>1</Data><Binary>{binary}</Binary></EventData>")


def host_restarted():
    system = [scm_7034(40240, "2026-11-20T09:38:12.5501327Z"),
              kernel_power_41(40251, "2026-11-20T09:47:55.6190022Z"),
              classic("EventLog", 6008, 40262, "2026-11-20T09:48:02.0012934Z", 2, 32768,
                      ["\u200e9:41:07 AM", "\u200e11/20/2026", "", "", "5904", "", ""],
                      "EA070B0005001400090029000700D501EA070B0005001400110029000700D501", pid=0, tid=0),
              fe.e7036(40281, "2026-11-20T09:48:40.3310781Z", "Remote Desktop Services", "running", "TermService")]
    scenario("host-restarted-unexpectedly", {}, {fe.PATH_SYSTEM: system}, {
        "description": "Remote Desktop Services terminated at 09:38 as the workstation started to hang; at 09:41 it stopped answering and was power-cycled: Kernel-Power 41 (no bug check) and EventLog 6008 (previous shutdown at 9:41:07 AM unexpected) at 09:48, TermService running again at 09:48. RDP070 warns of one unexpected restart near an RDP failure; RDP071 reports the crash as recovered.",
        "must": [
            {"id": "RDP070", "severity": "warning", "facts": {"restarts": "1", "near_rdp_failures": "1", "bugcheck_code": "0"}},
            {"id": "RDP071", "severity": "warning", "facts": {"recovered": "true"}},
        ],
        "must_not": ["RDP068", "RDP069"],
    })


if __name__ == "__main__":
    ephemeral_ports()
    security_log_full()
    host_restarted()
    print("capacity fixtures written to", mf.FIX)

#!/usr/bin/env python3
"""Writes the event-log scenarios (RDP050-RDP059) under fixtures/, as wevtutil writes event XML.

Each scenario is make_fixtures' healthy baseline with its event logs replaced. Event files are
`wevtutil qe <log> /f:xml` output: UTF-8, one <Event> per line, CRLF, single-quoted attributes,
no declaration or wrapper. The System blocks (provider GUIDs, tasks, keywords, channels) follow
the real logs in ../shared/samples/evtx (RdpCoreTS 131, RemoteConnectionManager 1149, Security
4625/4771); the payload names follow the providers' manifests (LocalSessionManager EventXML
User/SessionID/Address, Schannel AlertDesc/ErrorState, Service Control Manager param1/param2).

Run from anywhere: python3 scripts/fixtures_events.py
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402

HOST_FQDN = mf.HOST + ".contoso.local"
NS = "http://schemas.microsoft.com/win/2004/08/events/event"

SECURITY = ("Microsoft-Windows-Security-Auditing", "{54849625-5478-4994-a5ba-3e3b0328c30d}")
RCM = ("Microsoft-Windows-TerminalServices-RemoteConnectionManager", "{C76BAA63-AE81-421C-B425-340B4B24157F}")
LSM = ("Microsoft-Windows-TerminalServices-LocalSessionManager", "{5D896912-022D-40AA-A3A8-4FA5515C76D7}")
CORETS = ("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", "{1139C61B-B549-4251-8ED3-27250A1EDEC8}")
SCHANNEL = ("Schannel", "{1F678132-5938-4686-9FDC-C8FF68F15C85}")
SCM = ("Service Control Manager", "{555908d1-a6d7-4695-8e1e-26931d2012f4}")

CH_RCM = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
CH_RCM_ADMIN = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin"
CH_LSM = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
CH_CORETS = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational"

PATH_SECURITY = "events/Security.xml"
PATH_SYSTEM = "events/System.xml"
PATH_RCM = "events/Microsoft-Windows-TerminalServices-RemoteConnectionManager-Operational.xml"
PATH_RCM_ADMIN = "events/Microsoft-Windows-TerminalServices-RemoteConnectionManager-Admin.xml"
PATH_LSM = "events/Microsoft-Windows-TerminalServices-LocalSessionManager-Operational.xml"
PATH_CORETS = "events/Microsoft-Windows-RemoteDesktopServices-RdpCoreTS-Operational.xml"

PRODUCERS = {
    PATH_SECURITY: "wevtutil.exe qe Security /f:xml",
    PATH_SYSTEM: "wevtutil.exe qe System /f:xml",
    PATH_RCM: "wevtutil.exe qe " + CH_RCM + " /f:xml",
    PATH_RCM_ADMIN: "wevtutil.exe qe " + CH_RCM_ADMIN + " /f:xml",
    PATH_LSM: "wevtutil.exe qe " + CH_LSM + " /f:xml",
    PATH_CORETS: "wevtutil.exe qe " + CH_CORETS + " /f:xml",
}

NEW_IDS = ["RDP050", "RDP051", "RDP052", "RDP053", "RDP054", "RDP057", "RDP059"]


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def system(provider, event_id, rid, time, channel, level=4, task=0, opcode=0, keywords="0x8000000000000000",
           pid=812, tid=4420, user_sid=None, qualifiers=None, source_name=None, activity=None):
    name, guid = provider
    src = f" EventSourceName='{source_name}'" if source_name else ""
    qual = f" Qualifiers='{qualifiers}'" if qualifiers is not None else ""
    corr = f"<Correlation ActivityID='{activity}'/>" if activity else "<Correlation/>"
    sec = f"<Security UserID='{user_sid}'/>" if user_sid else "<Security/>"
    return (f"<System><Provider Name='{name}' Guid='{guid}'{src}/><EventID{qual}>{event_id}</EventID><Version>0</Version>"
            f"<Level>{level}</Level><Task>{task}</Task><Opcode>{opcode}</Opcode><Keywords>{keywords}</Keywords>"
            f"<TimeCreated SystemTime='{time}'/><EventRecordID>{rid}</EventRecordID>{corr}"
            f"<Execution ProcessID='{pid}' ThreadID='{tid}'/><Channel>{channel}</Channel><Computer>{HOST_FQDN}</Computer>{sec}</System>")


def event_data(pairs):
    return "<EventData>" + "".join(f"<Data Name='{n}'>{esc(v)}</Data>" for n, v in pairs) + "</EventData>"


def user_data(fields):
    return "<UserData><EventXML xmlns='Event_NS'>" + "".join(f"<{n}>{esc(v)}</{n}>" for n, v in fields) + "</EventXML></UserData>"


def ev(sys_block, payload):
    return f"<Event xmlns='{NS}'>{sys_block}{payload}</Event>"


# ---------------------------------------------------------------- Security

def e4634(rid, time, user, logon_type=10, logon_id="0x2b4c1e7"):
    return ev(system(SECURITY, 4634, rid, time, "Security", level=0, task=12545, keywords="0x8020000000000000", pid=812, tid=6032),
              event_data([("TargetUserSid", "S-1-5-21-1004336348-1177238915-682003330-1105"), ("TargetUserName", user),
                          ("TargetDomainName", mf.DOMAIN), ("TargetLogonId", logon_id), ("LogonType", str(logon_type))]))


def e4740(rid, time, user, caller):
    return ev(system(SECURITY, 4740, rid, time, "Security", level=0, task=13824, keywords="0x8020000000000000", pid=812, tid=2116),
              event_data([("TargetUserName", user), ("TargetDomainName", caller),
                          ("TargetSid", "S-1-5-21-1004336348-1177238915-682003330-1107"), ("SubjectUserSid", "S-1-5-18"),
                          ("SubjectUserName", mf.HOST + "$"), ("SubjectDomainName", mf.DOMAIN), ("SubjectLogonId", "0x3e7")]))


def e4771(rid, time, user, status, ip, port=49811):
    return ev(system(SECURITY, 4771, rid, time, "Security", level=0, task=14339, keywords="0x8010000000000000", pid=596, tid=2784),
              event_data([("TargetUserName", user), ("TargetSid", "S-1-5-21-1004336348-1177238915-682003330-1107"),
                          ("ServiceName", "krbtgt/CONTOSO.LOCAL"), ("TicketOptions", "0x40810010"), ("Status", status),
                          ("PreAuthType", "2"), ("IpAddress", "::ffff:" + ip), ("IpPort", str(port)),
                          ("CertIssuerName", ""), ("CertSerialNumber", ""), ("CertThumbprint", "")]))


def e4776(rid, time, user, workstation, status):
    kw = "0x8020000000000000" if status == "0x0" else "0x8010000000000000"
    return ev(system(SECURITY, 4776, rid, time, "Security", level=0, task=14336, keywords=kw, pid=812, tid=5120),
              event_data([("PackageName", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"), ("TargetUserName", user),
                          ("Workstation", workstation), ("Status", status)]))


def nla_failure(rid, time, user, ip, sub="0xc000006a", domain=mf.DOMAIN):
    return mf.event_4625(rid, time, user, ip, "0xc000006d", sub, 3, proc="NtLmSsp ", pkg="NTLM", domain=domain)


# ---------------------------------------------------------------- RDP logs

def e131(rid, time, ip, port):
    return ev(system(CORETS, 131, rid, time, CH_CORETS, task=4, opcode=15, keywords="0x4000000000000000", pid=1236, tid=1532,
                     user_sid="S-1-5-20", activity="{F420373C-0D1D-4087-AC2F-1A8ACFD40000}"),
              event_data([("ConnType", "TCP"), ("ClientIP", f"{ip}:{port}")]))


def e1149(rid, time, user, ip, domain=mf.DOMAIN):
    return ev(system(RCM, 1149, rid, time, CH_RCM, keywords="0x1000000000000000", pid=1236, tid=5672, user_sid="S-1-5-20",
                     activity="{F4208CEC-4DF9-4D54-882A-4C115ABC0000}"),
              user_data([("Param1", user), ("Param2", domain), ("Param3", ip)]))


def lsm(event_id, rid, time, fields, level=4):
    return ev(system(LSM, event_id, rid, time, CH_LSM, level=level, keywords="0x1000000000000000", pid=1044, tid=2300,
                     user_sid="S-1-5-18", activity="{F4204C8A-5A2E-4A1D-8C3E-8D9B1E0A0000}"),
              user_data(fields))


def session(event_id, rid, time, user, session_id, ip=None):
    fields = [("User", f"{mf.DOMAIN}\\{user}"), ("SessionID", str(session_id))]
    if ip is not None:
        fields.append(("Address", ip))
    return lsm(event_id, rid, time, fields)


# ---------------------------------------------------------------- System log

def e7036(rid, time, display, state, service):
    binary = (service + "/4").encode("utf-16-le").hex().upper() + "0000"
    return ev(system(SCM, 7036, rid, time, "System", keywords="0x8080000000000000", pid=724, tid=8188, qualifiers=16384,
                     source_name="Service Control Manager"),
              f"<EventData><Data Name='param1'>{esc(display)}</Data><Data Name='param2'>{state}</Data><Binary>{binary}</Binary></EventData>")


def termservice_classic(event_id, rid, time, values, level=2, qualifiers=49152):
    """A RemoteConnectionManager event written through the classic TermService source."""
    payload = "<EventData>" + "".join(f"<Data>{esc(v)}</Data>" for v in values) + "</EventData>"
    return ev(system(RCM, event_id, rid, time, "System", level=level, keywords="0x80000000000000", pid=1236, tid=3320,
                     qualifiers=qualifiers, source_name="TermService"), payload)


def schannel(event_id, rid, time, pairs):
    return ev(system(SCHANNEL, event_id, rid, time, "System", level=2, keywords="0x8000000000000000", pid=728, tid=2644,
                     user_sid="S-1-5-18", activity="{8B2B1C0D-3F4E-0002-7A3D-2B8C3F4ED901}"), event_data(pairs))


def xml(events):
    return mf.security_xml(events)


def scenario(name, files, expected):
    f = mf.baseline()
    for path, events in files.items():
        f[path] = (PRODUCERS[path], xml(events), None)
    mf.write(name, f, expected, failed=[mf.NOT_FOUND_CREDSSP])


# ---------------------------------------------------------------- the healthy trail

def healthy_logs():
    """jsmith connects twice, the second time reconnecting to the session he left: every
    step of the trail is there in every log."""
    ip = "10.0.0.77"
    sec = [mf.event_4624(184201, "2026-11-19T08:02:11.4471203Z", "jsmith", ip),
           e4634(184260, "2026-11-19T17:31:02.1180034Z", "jsmith"),
           mf.event_4624(184288, "2026-11-20T07:58:40.1093311Z", "jsmith", ip)]
    corets = [e131(5012, "2026-11-19T08:02:07.9043117Z", ip, 50712), e131(5101, "2026-11-20T07:58:36.6650021Z", ip, 51288)]
    rcm = [e1149(2210, "2026-11-19T08:02:10.8124470Z", "jsmith", ip), e1149(2231, "2026-11-20T07:58:39.5512003Z", "jsmith", ip)]
    lsm_events = [session(21, 9120, "2026-11-19T08:02:12.0381146Z", "jsmith", 2, ip),
                  session(22, 9121, "2026-11-19T08:02:14.5510712Z", "jsmith", 2, ip),
                  session(24, 9140, "2026-11-19T17:30:55.7011233Z", "jsmith", 2, ip),
                  session(25, 9155, "2026-11-20T07:58:41.0028861Z", "jsmith", 2, ip)]
    system_events = [e7036(40112, "2026-11-19T07:55:03.2219874Z", "Remote Desktop Services", "running", "TermService"),
                     termservice_classic(1056, 40113, "2026-11-19T07:55:04.1013300Z", [mf.HOST], level=4, qualifiers=16384)]
    return {PATH_SECURITY: sec, PATH_CORETS: corets, PATH_RCM: rcm, PATH_LSM: lsm_events, PATH_SYSTEM: system_events}


def scenarios():
    base = healthy_logs()
    scenario("events-healthy", base, {
        "description": "The healthy workstation with every RDP log: jsmith's connections leave the whole trail (RdpCoreTS 131, RemoteConnectionManager 1149, Security 4624, LocalSessionManager 21/22/24/25); TermService running and its certificate created (1056). No event check fires.",
        "must": [], "must_not": ["RDP014"] + NEW_IDS + ["RDP060", "RDP061", "RDP062", "RDP063", "RDP068", "RDP069", "RDP070", "RDP071"]})

    # RDP050: jdoe's phone keeps the old password until the account locks.
    sec = base[PATH_SECURITY] + [
        e4771(184400 + i, f"2026-11-20T08:{20 + i:02d}:1{i}.2326433Z", "jdoe", "0x18", "10.0.0.51", 49811 + i) for i in range(4)
    ] + [
        e4776(184410 + i, f"2026-11-20T08:{24 + i:02d}:40.5510022Z", "jdoe", "PHONE-JDOE", "0xc000006a") for i in range(2)
    ] + [e4740(184420, "2026-11-20T08:26:41.0060017Z", "jdoe", mf.HOST),
         nla_failure(184421, "2026-11-20T08:40:03.7711803Z", "jdoe", "10.0.0.51", sub="0x0").replace(
             "<Data Name='Status'>0xc000006d</Data>", "<Data Name='Status'>0xc0000234</Data>")]
    scenario("account-locked-out", dict(base, **{PATH_SECURITY: sec}), {
        "description": "jdoe is locked out (4740) after Kerberos (4771, 0x18) and NTLM (4776, 0xC000006A) failures from 10.0.0.51 and PHONE-JDOE; his next RDP attempt fails with 0xC0000234.",
        "must": [{"id": "RDP050", "severity": "error", "facts": {"user": "jdoe", "caller_computer": mf.HOST, "failures_before": "6", "top_source": "10.0.0.51"}},
                 {"id": "RDP051", "severity": "warning", "facts": {"user": "jdoe"}},
                 {"id": "RDP014", "severity": "error", "facts": {"status": "0xC0000234"}}],
        "must_not": ["RDP052", "RDP054", "RDP057", "RDP059"]})

    # RDP051: asmith's account is disabled in AD; mlee mistypes.
    sec = base[PATH_SECURITY] + [
        e4771(184500 + i, f"2026-11-20T09:0{i}:05.1200042Z", "asmith", "0x12", "10.0.0.60", 50100 + i) for i in range(3)
    ] + [
        e4776(184510 + i, f"2026-11-20T09:0{3 + i}:06.0040091Z", "asmith", "LAPTOP-ASMITH", "0xc0000072") for i in range(2)
    ] + [
        e4771(184520 + i, f"2026-11-20T09:1{i}:44.9001277Z", "mlee", "0x18", "10.0.0.61", 50200 + i) for i in range(2)
    ] + [e4776(184530, "2026-11-20T09:12:00.0000512Z", "jsmith", mf.HOST, "0x0")]
    scenario("credential-validation-failures", dict(base, **{PATH_SECURITY: sec}), {
        "description": "Kerberos pre-authentication (4771) and NTLM validation (4776) failures: asmith's account is disabled (0x12, 0xC0000072), mlee typed a wrong password (0x18); a successful 4776 for jsmith is no failure.",
        "must": [{"id": "RDP051", "severity": "error", "facts": {"user": "asmith", "count": "5", "code": "Kerberos 0x12", "top_source": "10.0.0.60"}},
                 {"id": "RDP051", "severity": "warning", "facts": {"user": "mlee", "count": "2", "code": "Kerberos 0x18"}}],
        "must_not": ["RDP014", "RDP050", "RDP052", "RDP053", "RDP059"]})

    # RDP052: the port is open to the internet.
    attacker = "203.0.113.45"
    sec = list(base[PATH_SECURITY])
    corets = list(base[PATH_CORETS])
    for i in range(30):
        t = f"2026-11-20T03:{10 + i // 10:02d}:{(i % 10) * 6:02d}.{i:03d}1200Z"
        sec.append(nla_failure(185000 + i, t, "administrator", attacker, domain=""))
        corets.append(e131(6000 + i, t, attacker, 40000 + i))
    sprayer = "198.51.100.77"
    for i, user in enumerate(["admin", "test", "backup", "scanner", "sqlsvc", "guest", "support", "user1"]):
        sec.append(nla_failure(185100 + i, f"2026-11-20T04:02:{i * 5:02d}.5500130Z", user, sprayer, sub="0xc0000064", domain=""))
    scenario("brute-force", dict(base, **{PATH_SECURITY: sec, PATH_CORETS: corets}), {
        "description": "RDP exposed to the internet: 30 failed NLA logons in 3 minutes from 203.0.113.45 against administrator (with their RdpCoreTS 131 connections), and a password spray over 8 user names from 198.51.100.77.",
        "must": [{"id": "RDP052", "severity": "warning", "facts": {"kind": "brute-force", "top_source": attacker, "failures": "30"}},
                 {"id": "RDP052", "severity": "warning", "facts": {"kind": "password-spray", "top_source": sprayer, "users": "8"}}],
        "tolerate": ["RDP014"],
        "must_not": ["RDP050", "RDP051", "RDP059"]})

    # RDP053: three stories that end early.
    sec = base[PATH_SECURITY] + [mf.event_4624(184700, "2026-11-20T09:40:03.0090117Z", "asmith", "10.0.0.90")]
    corets = base[PATH_CORETS] + [e131(5200, "2026-11-20T09:30:00.1002213Z", "10.0.0.88", 52001),
                                  e131(5201, "2026-11-20T09:39:59.5005110Z", "10.0.0.90", 52110),
                                  e131(5202, "2026-11-20T09:50:10.0301120Z", "198.51.100.200", 61001),
                                  e131(5203, "2026-11-20T09:50:40.0301181Z", "198.51.100.200", 61002),
                                  e131(5204, "2026-11-20T09:51:10.0304456Z", "198.51.100.200", 61003)]
    rcm = base[PATH_RCM] + [e1149(2300, "2026-11-20T09:30:02.7719001Z", "jdoe", "10.0.0.88"),
                            e1149(2301, "2026-11-20T09:40:02.2219300Z", "asmith", "10.0.0.90")]
    scenario("logon-trail", dict(base, **{PATH_SECURITY: sec, PATH_CORETS: corets, PATH_RCM: rcm}), {
        "description": "Trails that stop early: jdoe passes network-level authentication but no logon follows; asmith logs on (4624) but no session starts; 198.51.100.200 connects three times and never authenticates.",
        "must": [{"id": "RDP053", "severity": "warning", "facts": {"user": "CONTOSO\\jdoe", "stage": "no-logon", "source": "10.0.0.88"}},
                 {"id": "RDP053", "severity": "warning", "facts": {"user": "CONTOSO\\asmith", "stage": "no-session"}},
                 {"id": "RDP053", "severity": "warning", "facts": {"stage": "no-authentication", "source": "198.51.100.200", "count": "3"}}],
        "must_not": ["RDP014", "RDP050", "RDP051", "RDP052", "RDP059"]})

    # RDP054: the MachineKeys folder lost its permissions.
    system_events = base[PATH_SYSTEM] + [
        termservice_classic(1057, 40200, "2026-11-20T07:50:12.0044120Z", ["Keyset does not exist"]),
        termservice_classic(1057, 40231, "2026-11-20T08:50:12.0051003Z", ["Keyset does not exist"])]
    scenario("rdp-certificate-not-created", dict(base, **{PATH_SYSTEM: system_events}), {
        "description": "TermService cannot create its self-signed certificate: event 1057 'Keyset does not exist' twice after the last good certificate (1056).",
        "must": [{"id": "RDP054", "severity": "error", "facts": {"event_id": "1057", "status": "Keyset does not exist", "count": "2", "recovered": "false"}}],
        "must_not": ["RDP053", "RDP059"]})

    # Schannel (36870/36874/36888), LocalSessionManager 34 and licensing (1128/1130/1131) are
    # diagnosed by the catalogue's RDP020, RDP031 and RDP040 (scripts/fixtures_catalogue.py).

    # RDP057: the listener throttles a flood.
    files = dict(base)
    files[PATH_RCM_ADMIN] = [ev(system(RCM, 1006, 310 + i, f"2026-11-20T03:1{i}:00.0102230Z", CH_RCM_ADMIN, level=3,
                                       keywords="0x4000000000000000", pid=1236, tid=3320, user_sid="S-1-5-20"),
                                "<UserData><EventXML xmlns='Event_NS'></EventXML></UserData>") for i in range(2)]
    scenario("incomplete-connection-flood", files, {
        "description": "RemoteConnectionManager/Admin logs 1006 twice: a flood of incomplete connections throttles the listener.",
        "must": [{"id": "RDP057", "severity": "warning", "facts": {"count": "2"}}],
        "must_not": ["RDP052", "RDP059"]})

    # RDP059: an export cut short, one event garbled.
    good = base[PATH_SECURITY]
    garbled = good[1].replace("</EventData>", "</Data>")
    cut = good[2][: len(good[2]) * 2 // 3]
    scenario("event-log-damaged", dict(base, **{PATH_SECURITY: [good[0], garbled, cut]}), {
        "description": "A Security export with one garbled event and the last one cut off mid-way: two of three records unreadable, the first still read.",
        "must": [{"id": "RDP059", "severity": "warning", "facts": {"artifact": PATH_SECURITY, "records_seen": "3", "records_skipped": "2"}}],
        "must_not": ["RDP014", "RDP053"]})


if __name__ == "__main__":
    scenarios()
    print("event fixtures written to", mf.FIX)

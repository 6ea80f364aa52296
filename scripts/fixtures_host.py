#!/usr/bin/env python3
"""Writes the host-state scenarios of issue 16 (RDP066 network adapter, RDP067 sleep).

Run it after fixtures_catalogue.py: it adds the clean `ipconfig /all`, `route print` and
`powercfg /query SCHEME_CURRENT SUB_SLEEP` outputs to `healthy-extended` (RDP066/RDP067 must stay
silent there) and writes two scenarios as copies of it:

- network-adapter-unusable: a German Windows 11 whose Ethernet cable is unplugged and whose Wi-Fi
  fell back to an APIPA address because the DHCP Client service is stopped. ipconfig and route
  print in CP850 (the German OEM code page: `Lease läuft ab`, `NetBIOS über TCP/IP`,
  `Ständige Routen`), CRLF, in the layout of real German outputs (see analyzer/src/parse/ipconfig.rs).
- host-goes-to-sleep: a Windows 11 Pro workstation that sleeps after 30 minutes on AC power; the
  System log has Kernel-Power 42/107 and Power-Troubleshooter 1 (wevtutil /f:xml), and a client
  probe from PC-HOME failed while it slept.

Manifest records are rewritten with the size and SHA-256 of every file changed.
"""
import hashlib
import json
import os
import shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
BASE = "healthy-extended"
NS = "http://schemas.microsoft.com/win/2004/08/events/event"
PRODUCERS = {
    "commands/ipconfig-all.txt": r"C:\Windows\System32\ipconfig.exe /all",
    "commands/route-print.txt": r"C:\Windows\System32\route.exe print",
    "commands/powercfg-sleep.txt": r"C:\Windows\System32\powercfg.exe /query SCHEME_CURRENT SUB_SLEEP",
}


def crlf(lines):
    return "\r\n".join(lines) + "\r\n"


def ipconfig_en():
    return crlf([
        "",
        "Windows IP Configuration",
        "",
        "   Host Name . . . . . . . . . . . . : WS-RDP01",
        "   Primary Dns Suffix  . . . . . . . : contoso.local",
        "   Node Type . . . . . . . . . . . . : Hybrid",
        "   IP Routing Enabled. . . . . . . . : No",
        "   WINS Proxy Enabled. . . . . . . . : No",
        "   DNS Suffix Search List. . . . . . : contoso.local",
        "",
        "Ethernet adapter Ethernet:",
        "",
        "   Connection-specific DNS Suffix  . : contoso.local",
        "   Description . . . . . . . . . . . : Intel(R) Ethernet Connection (17) I219-LM",
        "   Physical Address. . . . . . . . . : 3C-52-82-1A-4F-01",
        "   DHCP Enabled. . . . . . . . . . . : Yes",
        "   Autoconfiguration Enabled . . . . : Yes",
        "   Link-local IPv6 Address . . . . . : fe80::1c4a:9b2f:5e7d:a1%12(Preferred)",
        "   IPv4 Address. . . . . . . . . . . : 10.0.0.25(Preferred)",
        "   Subnet Mask . . . . . . . . . . . : 255.255.255.0",
        "   Lease Obtained. . . . . . . . . . : Friday, November 20, 2026 7:58:40 AM",
        "   Lease Expires . . . . . . . . . . : Saturday, November 28, 2026 7:58:40 AM",
        "   Default Gateway . . . . . . . . . : 10.0.0.1",
        "   DHCP Server . . . . . . . . . . . : 10.0.0.10",
        "   DHCPv6 IAID . . . . . . . . . . . : 104616578",
        "   DHCPv6 Client DUID. . . . . . . . : 00-01-00-01-2C-CF-19-EB-3C-52-82-1A-4F-01",
        "   DNS Servers . . . . . . . . . . . : 10.0.0.10",
        "                                       10.0.0.11",
        "   NetBIOS over Tcpip. . . . . . . . : Enabled",
        "",
        "Wireless LAN adapter Wi-Fi:",
        "",
        "   Media State . . . . . . . . . . . : Media disconnected",
        "   Connection-specific DNS Suffix  . :",
        "   Description . . . . . . . . . . . : Intel(R) Wi-Fi 6E AX211 160MHz",
        "   Physical Address. . . . . . . . . : A8-7E-EA-55-26-B0",
        "   DHCP Enabled. . . . . . . . . . . : Yes",
        "   Autoconfiguration Enabled . . . . : Yes",
        "",
        "Ethernet adapter Bluetooth Network Connection:",
        "",
        "   Media State . . . . . . . . . . . : Media disconnected",
        "   Connection-specific DNS Suffix  . :",
        "   Description . . . . . . . . . . . : Bluetooth Device (Personal Area Network)",
        "   Physical Address. . . . . . . . . : A8-7E-EA-43-23-14",
        "   DHCP Enabled. . . . . . . . . . . : Yes",
        "   Autoconfiguration Enabled . . . . : Yes",
    ]).encode("cp437")


RULE = "=" * 75


def route_en():
    return crlf([
        RULE,
        "Interface List",
        " 12...3c 52 82 1a 4f 01 ......Intel(R) Ethernet Connection (17) I219-LM",
        " 17...a8 7e ea 55 26 b0 ......Intel(R) Wi-Fi 6E AX211 160MHz",
        "  1...........................Software Loopback Interface 1",
        RULE,
        "",
        "IPv4 Route Table",
        RULE,
        "Active Routes:",
        "Network Destination        Netmask          Gateway       Interface  Metric",
        "          0.0.0.0          0.0.0.0         10.0.0.1        10.0.0.25     25",
        "         10.0.0.0    255.255.255.0         On-link         10.0.0.25    281",
        "        10.0.0.25  255.255.255.255         On-link         10.0.0.25    281",
        "       10.0.0.255  255.255.255.255         On-link         10.0.0.25    281",
        "        127.0.0.0        255.0.0.0         On-link         127.0.0.1    331",
        "        127.0.0.1  255.255.255.255         On-link         127.0.0.1    331",
        "  127.255.255.255  255.255.255.255         On-link         127.0.0.1    331",
        "        224.0.0.0        240.0.0.0         On-link         127.0.0.1    331",
        "        224.0.0.0        240.0.0.0         On-link         10.0.0.25    281",
        "  255.255.255.255  255.255.255.255         On-link         127.0.0.1    331",
        "  255.255.255.255  255.255.255.255         On-link         10.0.0.25    281",
        RULE,
        "Persistent Routes:",
        "  None",
        "",
        "IPv6 Route Table",
        RULE,
        "Active Routes:",
        " If Metric Network Destination      Gateway",
        "  1    331 ::1/128                  On-link",
        " 12    281 fe80::/64                On-link",
        " 12    281 fe80::1c4a:9b2f:5e7d:a1/128",
        "                                    On-link",
        "  1    331 ff00::/8                 On-link",
        " 12    281 ff00::/8                 On-link",
        RULE,
        "Persistent Routes:",
        "  None",
    ]).encode("cp437")


def powercfg(standby_ac, hibernate_ac):
    return crlf([
        "Power Scheme GUID: 381b4222-f694-41f0-9685-ff5bb260df2e  (Balanced)",
        "  GUID Alias: SCHEME_BALANCED",
        "  Subgroup GUID: 238c9fa8-0aad-41ed-83f4-97be242c8f20  (Sleep)",
        "    GUID Alias: SUB_SLEEP",
        "    Power Setting GUID: 29f6c1db-86da-48c5-9fdb-f2b67b1f44da  (Sleep after)",
        "      GUID Alias: STANDBYIDLE",
        "      Minimum Possible Setting: 0x00000000",
        "      Maximum Possible Setting: 0xffffffff",
        "      Possible Settings increment: 0x00000001",
        "      Possible Settings units: Seconds",
        f"    Current AC Power Setting Index: 0x{standby_ac:08x}",
        "    Current DC Power Setting Index: 0x00000384",
        "",
        "    Power Setting GUID: 94ac6d29-73ce-41a6-809f-6363ba21b47e  (Allow hybrid sleep)",
        "      GUID Alias: HYBRIDSLEEP",
        "      Possible Setting Index: 000",
        "      Possible Setting Friendly Name: Off",
        "      Possible Setting Index: 001",
        "      Possible Setting Friendly Name: On",
        "    Current AC Power Setting Index: 0x00000000",
        "    Current DC Power Setting Index: 0x00000000",
        "",
        "    Power Setting GUID: 9d7815a6-7ee8-497e-9888-515a05f02364  (Hibernate after)",
        "      GUID Alias: HIBERNATEIDLE",
        "      Minimum Possible Setting: 0x00000000",
        "      Maximum Possible Setting: 0xffffffff",
        "      Possible Settings increment: 0x00000001",
        "      Possible Settings units: Seconds",
        f"    Current AC Power Setting Index: 0x{hibernate_ac:08x}",
        "    Current DC Power Setting Index: 0x00002a30",
        "",
        "    Power Setting GUID: bd3b718a-0680-4d9d-8ab2-e1d2b4ac806d  (Allow wake timers)",
        "      GUID Alias: RTCWAKE",
        "      Possible Setting Index: 000",
        "      Possible Setting Friendly Name: Disable",
        "      Possible Setting Index: 001",
        "      Possible Setting Friendly Name: Enable",
        "      Possible Setting Index: 002",
        "      Possible Setting Friendly Name: Important Wake Timers Only",
        "    Current AC Power Setting Index: 0x00000001",
        "    Current DC Power Setting Index: 0x00000002",
        "",
    ]).encode("cp437")


def ipconfig_de_apipa():
    return crlf([
        "",
        "Windows-IP-Konfiguration",
        "",
        "   Hostname  . . . . . . . . . . . . : WS-RDP01",
        "   Primäres DNS-Suffix . . . . . . . : contoso.local",
        "   Knotentyp . . . . . . . . . . . . : Hybrid",
        "   IP-Routing aktiviert  . . . . . . : Nein",
        "   WINS-Proxy aktiviert  . . . . . . : Nein",
        "   DNS-Suffixsuchliste . . . . . . . : contoso.local",
        "",
        "Ethernet-Adapter Ethernet:",
        "",
        "   Medienstatus. . . . . . . . . . . : Medium getrennt",
        "   Verbindungsspezifisches DNS-Suffix:",
        "   Beschreibung. . . . . . . . . . . : Intel(R) Ethernet Connection (17) I219-LM",
        "   Physische Adresse . . . . . . . . : 3C-52-82-1A-4F-01",
        "   DHCP aktiviert. . . . . . . . . . : Ja",
        "   Autokonfiguration aktiviert . . . : Ja",
        "",
        "Drahtlos-LAN-Adapter WLAN:",
        "",
        "   Verbindungsspezifisches DNS-Suffix:",
        "   Beschreibung. . . . . . . . . . . : Intel(R) Wi-Fi 6E AX211 160MHz",
        "   Physische Adresse . . . . . . . . : A8-7E-EA-55-26-B0",
        "   DHCP aktiviert. . . . . . . . . . : Ja",
        "   Autokonfiguration aktiviert . . . : Ja",
        "   Verbindungslokale IPv6-Adresse  . : fe80::4fae:1380:5a1b:8b6b%17(Bevorzugt)",
        "   Autokonfiguration IPv4-Adresse  . : 169.254.71.18(Bevorzugt)",
        "   Subnetzmaske  . . . . . . . . . . : 255.255.0.0",
        "   Standardgateway . . . . . . . . . :",
        "   DHCPv6-IAID . . . . . . . . . . . : 162037482",
        "   DHCPv6-Client-DUID. . . . . . . . : 00-01-00-01-2C-CF-19-EB-3C-52-82-1A-4F-01",
        "   DNS-Server  . . . . . . . . . . . : fec0:0:0:ffff::1%1",
        "                                       fec0:0:0:ffff::2%1",
        "                                       fec0:0:0:ffff::3%1",
        "   NetBIOS über TCP/IP . . . . . . . : Aktiviert",
        "",
        "Tunneladapter isatap.{5E99D55C-CB2B-420C-A7F6-9B5C6EFA2447}:",
        "",
        "   Medienstatus. . . . . . . . . . . : Medium getrennt",
        "   Verbindungsspezifisches DNS-Suffix:",
        "   Beschreibung. . . . . . . . . . . : Microsoft ISATAP Adapter",
        "   Physische Adresse . . . . . . . . : 00-00-00-00-00-00-00-E0",
        "   DHCP aktiviert. . . . . . . . . . : Nein",
        "   Autokonfiguration aktiviert . . . : Ja",
    ]).encode("cp850")


def route_de_apipa():
    return crlf([
        RULE,
        "Schnittstellenliste",
        " 12...3c 52 82 1a 4f 01 ......Intel(R) Ethernet Connection (17) I219-LM",
        " 17...a8 7e ea 55 26 b0 ......Intel(R) Wi-Fi 6E AX211 160MHz",
        "  1...........................Software Loopback Interface 1",
        RULE,
        "",
        "IPv4-Routentabelle",
        RULE,
        "Aktive Routen:",
        "     Netzwerkziel    Netzwerkmaske          Gateway    Schnittstelle Metrik",
        "        127.0.0.0        255.0.0.0   Auf Verbindung         127.0.0.1    331",
        "        127.0.0.1  255.255.255.255   Auf Verbindung         127.0.0.1    331",
        "      169.254.0.0      255.255.0.0   Auf Verbindung     169.254.71.18    281",
        "    169.254.71.18  255.255.255.255   Auf Verbindung     169.254.71.18    281",
        "  169.254.255.255  255.255.255.255   Auf Verbindung     169.254.71.18    281",
        "        224.0.0.0        240.0.0.0   Auf Verbindung         127.0.0.1    331",
        "        224.0.0.0        240.0.0.0   Auf Verbindung     169.254.71.18    281",
        "  255.255.255.255  255.255.255.255   Auf Verbindung         127.0.0.1    331",
        "  255.255.255.255  255.255.255.255   Auf Verbindung     169.254.71.18    281",
        RULE,
        "Ständige Routen:",
        "  Keine",
        "",
        "IPv6-Routentabelle",
        RULE,
        "Aktive Routen:",
        " If Metrik Netzwerkziel             Gateway",
        "  1    331 ::1/128                  Auf Verbindung",
        " 17    281 fe80::/64                Auf Verbindung",
        RULE,
        "Ständige Routen:",
        "  Keine",
    ]).encode("cp850")


DHCP_STOPPED = crlf([
    "",
    "SERVICE_NAME: Dhcp",
    "DISPLAY_NAME: DHCP-Client",
    "        TYPE               : 30  WIN32",
    "        STATE              : 1  STOPPED ",
    "        WIN32_EXIT_CODE    : 1077  (0x435)",
    "        SERVICE_EXIT_CODE  : 0  (0x0)",
    "        CHECKPOINT         : 0x0",
    "        WAIT_HINT          : 0x0",
    "        PID                : 0",
    "        FLAGS              : ",
]).encode("cp850")


def event(rid, time, event_id, provider, guid, data, level=4):
    items = "".join(f"<Data Name='{k}'>{v}</Data>" for k, v in data)
    return (f"<Event xmlns='{NS}'><System><Provider Name='{provider}' Guid='{guid}'/><EventID>{event_id}</EventID>"
            f"<Version>0</Version><Level>{level}</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8000000000000404</Keywords>"
            f"<TimeCreated SystemTime='{time}'/><EventRecordID>{rid}</EventRecordID><Correlation/>"
            f"<Execution ProcessID='4' ThreadID='15204'/><Channel>System</Channel><Computer>WS-RDP01.contoso.local</Computer>"
            f"<Security UserID='S-1-5-18'/></System><EventData>{items}</EventData></Event>")


KERNEL_POWER = "{331c3b3a-2005-44c2-ac5e-77220c37d6b4}"
POWER_TROUBLESHOOTER = "{cdc05e28-c449-49c6-b9d2-88cf761644df}"

SLEEP_EVENTS = [
    event(91388, "2026-11-19T18:42:10.5126733Z", 42, "Microsoft-Windows-Kernel-Power", KERNEL_POWER,
          [("TargetState", 4), ("EffectiveState", 4), ("Reason", 7), ("Flags", 0)]),
    event(91390, "2026-11-20T07:58:31.2271140Z", 107, "Microsoft-Windows-Kernel-Power", KERNEL_POWER,
          [("TargetState", 4), ("EffectiveState", 4), ("WakeFromState", 4)]),
    event(91391, "2026-11-20T07:58:33.0409217Z", 1, "Microsoft-Windows-Power-Troubleshooter", POWER_TROUBLESHOOTER,
          [("SleepTime", "2026-11-19T18:42:11.0316100Z"), ("WakeTime", "2026-11-20T07:58:30.5003380Z"),
           ("SleepDuration", 1203), ("WakeDuration", 988), ("DriverInitDuration", 621), ("BiosInitDuration", 302),
           ("HiberWriteDuration", 0), ("HiberReadDuration", 0), ("HiberPagesWritten", 0), ("Attributes", 2143420),
           ("TargetState", 4), ("EffectiveState", 4), ("WakeSourceType", 5), ("WakeSourceTextLength", 24),
           ("WakeSourceText", "USB Composite Device"), ("WakeTimerOwnerLength", 0), ("WakeTimerContextLength", 0),
           ("NoMultiStageResumeReason", 0), ("WakeTimerOwner", ""), ("WakeTimerContext", "")]),
]


def probe_home():
    attempt = {"result": "timed_out", "time_ms": 3001.204, "error": "connection timed out"}
    return json.dumps({
        "probe": "rdp-client-probe", "format_version": 1, "collector_version": "0.1.0",
        "target": "10.0.0.25:3389", "host": "10.0.0.25", "port": 3389, "resolved": ["10.0.0.25"],
        "client": {"name": "PC-HOME", "os": "windows", "source_address": "10.0.0.61", "addresses": ["10.0.0.61"]},
        "started_utc": "2026-11-19T21:05:12Z", "timeout_ms": 3000, "attempts": [attempt] * 4,
        "summary": {"sent": 4, "connected": 0, "lost": 4, "loss_percent": 100.0},
        "nla": "unknown", "verdict": "filtered",
        "verdict_text": "10.0.0.25:3389 did not answer within 3000 ms: a firewall drops the connection (a network firewall, "
                        "or a Windows Firewall rule whose scope excludes this computer), or the machine is off.",
    }, indent=2).encode("utf-8")


def load(name):
    d = os.path.join(ROOT, name)
    return d, json.load(open(os.path.join(d, "manifest.json")))


def save_manifest(d, m):
    open(os.path.join(d, "manifest.json"), "w").write(json.dumps(m, indent=2) + "\n")


def put(d, m, path, data, code_page=None):
    """Writes `path` and adds or updates its manifest record (size, hash)."""
    full = os.path.join(d, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    open(full, "wb").write(data)
    rec = next((a for a in m["artifacts"] if a["path"] == path), None)
    if rec is None:
        rec = {"path": path, "producer": PRODUCERS[path], "status": "ok", "duration_ms": 40}
        if path.startswith("commands/"):
            rec["exit_code"] = 0
        # Before the handshake probe, which the collector runs last.
        last = m["artifacts"][-1]["path"] == "commands/rdp-handshake.json"
        m["artifacts"].insert(len(m["artifacts"]) - 1 if last else len(m["artifacts"]), rec)
    rec["size"] = len(data)
    rec["sha256"] = hashlib.sha256(data).hexdigest()
    if code_page:
        rec["code_page"] = code_page


def copy_base(name):
    d = os.path.join(ROOT, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    shutil.copytree(os.path.join(ROOT, BASE), d)
    return load(name)


def expected(d, e):
    open(os.path.join(d, "expected.json"), "w").write(json.dumps(e, indent=2, ensure_ascii=False) + "\n")


def main():
    d, m = load(BASE)
    put(d, m, "commands/ipconfig-all.txt", ipconfig_en(), 437)
    put(d, m, "commands/route-print.txt", route_en(), 437)
    put(d, m, "commands/powercfg-sleep.txt", powercfg(0, 0), 437)
    save_manifest(d, m)
    e = json.load(open(os.path.join(d, "expected.json")))
    for i in ("RDP066", "RDP067"):
        if i not in e["must_not"]:
            e["must_not"].append(i)
    expected(d, e)

    d, m = copy_base("network-adapter-unusable")
    put(d, m, "commands/ipconfig-all.txt", ipconfig_de_apipa(), 850)
    put(d, m, "commands/route-print.txt", route_de_apipa(), 850)
    sc_all = open(os.path.join(d, "commands/sc-queryex-all.txt"), "rb").read()
    put(d, m, "commands/sc-queryex-all.txt", sc_all + DHCP_STOPPED)
    netstat = open(os.path.join(d, "commands/netstat-ano.txt"), "rb").read().replace(b"10.0.0.25:139    ", b"169.254.71.18:139")
    netstat = b"".join(l for l in netstat.splitlines(keepends=True) if b"ESTABLISHED" not in l)
    put(d, m, "commands/netstat-ano.txt", netstat)
    save_manifest(d, m)
    expected(d, {
        "description": "German Windows 11 (ipconfig and route print in CP850): the Ethernet cable is unplugged (Medium getrennt) "
                       "and the Wi-Fi has only the APIPA address 169.254.71.18, because the DHCP Client service is stopped; "
                       "route print has no default route. No client can reach the host.",
        "must": [
            {"id": "RDP066", "severity": "error", "facts": {"apipa": "169.254.71.18", "connected": "1", "usable_ipv4": "0"}},
            {"id": "RDP066", "severity": "error", "facts": {"service": "Dhcp", "state": "STOPPED"}},
        ],
        "must_not": ["RDP067", "RDP027"],
    })

    d, m = copy_base("host-goes-to-sleep")
    put(d, m, "commands/powercfg-sleep.txt", powercfg(0x708, 0), 437)
    system = open(os.path.join(d, "events/System.xml"), "rb").read()
    put(d, m, "events/System.xml", system + ("\r\n".join(SLEEP_EVENTS) + "\r\n").encode("utf-8"))
    save_manifest(d, m)
    probe = os.path.join(d, "probes", "rdp-probe-PC-HOME-to-10.0.0.25-20261119T210512Z.json")
    os.makedirs(os.path.dirname(probe), exist_ok=True)
    open(probe, "wb").write(probe_home())
    expected(d, {
        "description": "Windows 11 Pro workstation whose Balanced plan sleeps after 30 minutes on AC power: Kernel-Power 42 at "
                       "18:42, resumed (107, Power-Troubleshooter 1) at 07:58 the next morning; PC-HOME's probe at 21:05 "
                       "timed out while it slept.",
        "must": [
            {"id": "RDP067", "severity": "error",
             "facts": {"standby_ac_seconds": "1800", "sleeps": "1", "failed_while_asleep": "1"}},
        ],
        "tolerate": ["RDP044"],
        "must_not": ["RDP066"],
    })


if __name__ == "__main__":
    main()

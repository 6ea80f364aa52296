#!/usr/bin/env python3
"""Writes the fixture scenarios of the extended catalogue (RDP015 and up, issue 6).

Run it after make_fixtures.py: every scenario here is make_fixtures' healthy baseline plus the
new evidence the catalogue reads, in the byte formats Windows (or rdp-collect) writes:

- secedit /export INF: UTF-16LE + BOM + CRLF, [Unicode] / [Privilege Rights] / [Version].
- net localgroup, nltest, w32tm, sc qc / sc queryex: console output in the OEM code page, CRLF.
- Security Center firewall products: wmic /format:list, UTF-16LE + BOM with its \\r\\r\\n line ends.
- Registry exports (SCHANNEL, Lsa, CredSSP, cipher-suite policy, Setup, Winlogon): reg export format.
- Events (Schannel, NETLOGON, LocalSessionManager, RemoteConnectionManager): wevtutil /f:xml.
- The handshake probe: rdp-collect's own JSON (commands/rdp-handshake.json).

`healthy-extended` carries every new artifact, all clean: the new checks must stay silent on it.
"""
import datetime as dt
import hashlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402

FIX = mf.FIX
HOST, DOMAIN = mf.HOST, mf.DOMAIN
UTC = dt.timezone.utc
SCHANNEL = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL"
LSA = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa"
CREDSSP = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP"
SSL_POLICY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL"
SETUP = r"HKEY_LOCAL_MACHINE\SYSTEM\Setup"
WINLOGON = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon"
MK = mf.MK
RDP_KEY_FILE = MK + r"\f686aace6942fb7f7ceb231212eef4a4_5e1d9a0c-8f3b-4d2e-a6c7-1b9e0f4d2a83"
NEW_IDS = ["RDP%03d" % i for i in range(15, 42)]
SERVER_OS = {"product_name": "Windows Server 2022 Standard", "edition_id": "ServerStandard",
             "installation_type": "Server", "display_version": "21H2", "build": "20348.2340"}

# ---------------------------------------------------------------- certificates


def cert_with_eku(name, ekus):
    """A self-signed certificate like Remote Desktop's, but with the given EKU OIDs (cached)."""
    path = os.path.join(mf.CERTS, name + ".der")
    if os.path.exists(path):
        return open(path, "rb").read()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST + ".contoso.local")])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Contoso Issuing CA 01")])
    der = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
           .public_key(key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(dt.datetime(2026, 6, 1, 8, 0, tzinfo=UTC))
           .not_valid_after(dt.datetime(2027, 6, 1, 8, 0, tzinfo=UTC))
           .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in ekus]), critical=False)
           .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    open(path, "wb").write(der)
    return der


CLIENT_AUTH = cert_with_eku("client-auth-only", ["1.3.6.1.5.5.7.3.2"])

# ---------------------------------------------------------------- text helpers


def utf16(text):
    return b"\xff\xfe" + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-16-le")


def reg_text(data):
    return data[2:].decode("utf-16-le")


def reg_edit(data, key, set_values=(), drop=()):
    """Sets (or adds) values of `key` in a reg export made by mf.reg_file; `drop` removes values."""
    text = reg_text(data)
    blocks = text.split("\r\n\r\n")
    names = {n.lower() for n, _, _ in set_values} | {n.lower() for n in drop}
    for i, b in enumerate(blocks):
        lines = b.split("\r\n")
        if lines[0] != f"[{key}]":
            continue
        kept, skipping = [lines[0]], False
        for line in lines[1:]:
            if skipping:
                skipping = line.endswith("\\")
                continue
            name = line.split("=", 1)[0].strip('"').lower() if line.startswith('"') else None
            if name in names:
                skipping = line.endswith("\\")
                continue
            kept.append(line)
        for v in set_values:
            kept.extend(mf.value_lines(*v))
        blocks[i] = "\r\n".join(kept)
        return b"\xff\xfe" + "\r\n\r\n".join(blocks).encode("utf-16-le")
    raise KeyError(key)


def gp_edit(data, replacements=(), extra_rows=(), before_nla=True):
    """Edits a make_fixtures gpresult report: string replacements in its markup, and extra
    Administrative Template rows (name, setting, gpo, category path) added to the Security table."""
    html = data[2:].decode("utf-16-le")
    for old, new in replacements:
        assert old in html, old
        html = html.replace(old, new)
    for name, setting, gpo, path in extra_rows:
        row = mf.gp_rows([(name, setting, gpo, path)]).split("\r\n", 1)[1]
        anchor = '<tr><td><span class="explainlink"'
        marker = 'gpmc_settingName="Require user authentication'
        at = html.index(marker)
        at = html.rindex(anchor, 0, at)
        html = html[:at] + row + "\r\n" + html[at:]
    return b"\xff\xfe" + html.encode("utf-16-le")


def ts_with(values=(), rdp_values=(), **kw):
    data = mf.terminal_server(**kw)
    if values:
        data = reg_edit(data, mf.TS, values)
    if rdp_values:
        data = reg_edit(data, mf.RDPTCP, rdp_values)
    return data


def policies_with(values):
    return reg_edit(mf.policies(0), mf.POL, values)


# ---------------------------------------------------------------- new artifacts


def secedit(allow="*S-1-5-32-544,*S-1-5-32-555", deny=None, fips=None):
    lines = ["[Unicode]", "Unicode=yes", "[Privilege Rights]",
             "SeNetworkLogonRight = *S-1-1-0,*S-1-5-32-544,*S-1-5-32-545,*S-1-5-32-551",
             "SeBackupPrivilege = *S-1-5-32-544,*S-1-5-32-551",
             "SeInteractiveLogonRight = Guest,*S-1-5-32-544,*S-1-5-32-545,*S-1-5-32-551",
             "SeDenyInteractiveLogonRight = Guest"]
    if allow is not None:
        lines.append(f"SeRemoteInteractiveLogonRight = {allow}")
    lines.append("SeServiceLogonRight = *S-1-5-80-0")
    if deny:
        lines.append(f"SeDenyRemoteInteractiveLogonRight = {deny}")
    lines += ["[Registry Values]",
              r"MACHINE\System\CurrentControlSet\Control\Lsa\FIPSAlgorithmPolicy\Enabled=4," + ("1" if fips else "0"),
              r"MACHINE\System\CurrentControlSet\Control\Lsa\LimitBlankPasswordUse=4,1",
              "[Version]", 'signature="$CHICAGO$"', "Revision=1", ""]
    return utf16("\n".join(lines))


def net_localgroup(members, name="Remote Desktop Users"):
    out = [f"Alias name     {name}", "Comment        Members in this group are granted the right to logon remotely", "",
           "Members", "", "-" * 79] + list(members) + ["The command completed successfully.", "", ""]
    return mf.oem("\n".join(out))


def nltest(ok=True):
    if ok:
        lines = ["Flags: 30 HAS_IP  HAS_TIMESERV", "Trusted DC Name \\\\DC01.contoso.local",
                 "Trusted DC Connection Status Status = 0 0x0 NERR_Success", "The command completed successfully", ""]
    else:
        lines = ["Flags: 0", "Trusted DC Name", "Trusted DC Connection Status Status = 1311 0x51f ERROR_NO_LOGON_SERVERS",
                 "The command completed successfully", ""]
    return mf.oem("\n".join(lines))


def w32tm(synced=True):
    if synced:
        lines = ["Leap Indicator: 0(no warning)", "Stratum: 4 (secondary reference - syncd by (S)NTP)",
                 "Precision: -23 (119.209ns per tick)", "Root Delay: 0.0312500s", "Root Dispersion: 7.8000000s",
                 "ReferenceId: 0x0A000005 (source IP:  10.0.0.5)", "Last Successful Sync Time: 11/20/2026 9:58:12 AM",
                 "Source: DC01.contoso.local", "Poll Interval: 10 (1024s)", "", "Phase Offset: 0.0001234s",
                 "ClockRate: 0.0156250s", "State Machine: 2 (Sync)", "Time Source Flags: 0 (None)", "Server Role: 0 (None)",
                 "Last Sync Error: 0 (The command completed successfully.)", "Time since Last Good Sync Time: 968.9066187s", ""]
    else:
        lines = ["Leap Indicator: 3(not synchronized)", "Stratum: 0 (unspecified)", "Precision: -23 (119.209ns per tick)",
                 "Root Delay: 0.0000000s", "Root Dispersion: 0.0000000s", "ReferenceId: 0x00000000 (unspecified)",
                 "Last Successful Sync Time: unspecified", "Source: Free-running System Clock", "Poll Interval: 10 (1024s)", "",
                 "Phase Offset: 0.0000000s", "ClockRate: 0.0156250s", "State Machine: 0 (Unset)", "Time Source Flags: 0 (None)",
                 "Server Role: 0 (None)", "Last Sync Error: 1 (The computer did not resync because no time data was available.)",
                 "Time since Last Good Sync Time: 2592011.0402148s", ""]
    return mf.oem("\n".join(lines))


def security_center(products):
    """wmic /namespace:\\\\root\\SecurityCenter2 path FirewallProduct get ... /format:list (UTF-16LE, \\r\\r\\n)."""
    if not products:
        return b"\xff\xfe" + "No Instance(s) Available.\r\r\n".encode("utf-16-le")
    text = "\r\r\n\r\r\n"
    for name, path, state in products:
        text += f"displayName={name}\r\r\npathToSignedProductExe={path}\r\r\nproductState={state}\r\r\n\r\r\n\r\r\n"
    return b"\xff\xfe" + text.encode("utf-16-le")


def probe(**fields):
    base = {"probe": "rdp-handshake", "format_version": 1, "target": "127.0.0.1:3389", "tcp": "connected",
            "requested_protocols": ["ssl", "hybrid"], "negotiation": "selected", "selected_protocol": "hybrid",
            "tls": "ok", "tls_version": "TLS 1.2", "cipher_suite": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "certificate_sha1": mf.thumb(mf.GOOD), "certificate_subject": "CN=" + HOST,
            "certificate_not_after": "2027-01-31T09:00:00Z"}
    base.update(fields)
    for k in [k for k, v in base.items() if v is None]:
        del base[k]
    return (json.dumps(base, indent=2) + "\n").encode()


SC_FLAGS = {"RUNNING": (4, "(STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)"), "STOPPED": (1, "(NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)")}


def sc_all(services):
    """sc queryex type= service state= all: one block per service, with DISPLAY_NAME."""
    out = []
    for name, display, state, pid in services:
        code, flags = SC_FLAGS[state]
        out += ["", f"SERVICE_NAME: {name}", f"DISPLAY_NAME: {display}", "        TYPE               : 30  WIN32",
                f"        STATE              : {code}  {state} ", f"                                {flags}",
                f"        WIN32_EXIT_CODE    : {'0  (0x0)' if state == 'RUNNING' else '1077  (0x435)'}",
                "        SERVICE_EXIT_CODE  : 0  (0x0)", "        CHECKPOINT         : 0x0", "        WAIT_HINT          : 0x0",
                f"        PID                : {pid if state == 'RUNNING' else 0}", "        FLAGS              : "]
    return mf.oem("\n".join(out + [""]))


def sc_qc(name, display, start, binary, deps, account):
    words = {2: "AUTO_START", 3: "DEMAND_START", 4: "DISABLED"}
    lines = ["[SC] QueryServiceConfig SUCCESS", "", f"SERVICE_NAME: {name}", "        TYPE               : 20  WIN32_SHARE_PROCESS ",
             f"        START_TYPE         : {start}   {words[start]}", "        ERROR_CONTROL      : 1   NORMAL",
             f"        BINARY_PATH_NAME   : {binary}", "        LOAD_ORDER_GROUP   : ", "        TAG                : 0",
             f"        DISPLAY_NAME       : {display}", f"        DEPENDENCIES       : {deps}", f"        SERVICE_START_NAME : {account}", ""]
    return mf.oem("\n".join(lines))


HEALTHY_SERVICES = [("CertPropSvc", "Certificate Propagation", "RUNNING", 1480), ("CryptSvc", "Cryptographic Services", "RUNNING", 2140),
                    ("KeyIso", "CNG Key Isolation", "RUNNING", 812), ("LanmanWorkstation", "Workstation", "RUNNING", 2284),
                    ("RpcSs", "Remote Procedure Call (RPC)", "RUNNING", 1012), ("SessionEnv", "Remote Desktop Configuration", "RUNNING", 1310),
                    ("TermService", "Remote Desktop Services", "RUNNING", mf.TERMSVC_PID),
                    ("UmRdpService", "Remote Desktop Services UserMode Port Redirector", "RUNNING", 1388)]


def icacls_file(path, aces):
    pad = " " * (len(path) + 1)
    lines = [path + " " + aces[0]] + [pad + a for a in aces[1:]] + ["", "Successfully processed 1 files; Failed processing 0 files", ""]
    return mf.oem("\n".join(lines))


def current_profile(profile="Domain"):
    return mf.oem("\n".join(["", f"{profile} Profile Settings: ", "-" * 70, "State                                 ON",
                              "Firewall Policy                       BlockInbound,AllowOutbound",
                              "LocalFirewallRules                    N/A (GPO-store only)", "LocalConSecRules                      N/A (GPO-store only)",
                              "InboundUserNotification               Disable", "RemoteManagement                      Disable",
                              "UnicastResponseToMulticast            Enable", "", "Logging:", "LogAllowedConnections                 Disable",
                              "LogDroppedConnections                 Disable",
                              "FileName                              %systemroot%\\system32\\LogFiles\\Firewall\\pfirewall.log",
                              "MaxFileSize                           4096", "", "Ok.", "", ""]))


def schannel(server_protocols):
    """SCHANNEL export: {"TLS 1.0": (enabled, disabled_by_default)}; absent protocols get no key."""
    keys = [(SCHANNEL, [("EventLogging", "dword", 1)]), (SCHANNEL + r"\Ciphers", []), (SCHANNEL + r"\CipherSuites", []),
            (SCHANNEL + r"\Hashes", []), (SCHANNEL + r"\KeyExchangeAlgorithms", []), (SCHANNEL + r"\Protocols", [])]
    for proto, (enabled, dbd) in server_protocols.items():
        keys.append((SCHANNEL + r"\Protocols" + "\\" + proto, []))
        keys.append((SCHANNEL + r"\Protocols" + "\\" + proto + r"\Server", [("Enabled", "dword", enabled), ("DisabledByDefault", "dword", dbd)]))
    return mf.reg_file(keys)


def lsa(fips=0):
    return mf.reg_file([(LSA, [("auditbasedirectories", "dword", 0), ("crashonauditfail", "dword", 0), ("LimitBlankPasswordUse", "dword", 1),
                               ("NoLmHash", "dword", 1), ("RunAsPPL", "dword", 2)]),
                        (LSA + r"\FIPSAlgorithmPolicy", [("Enabled", "dword", fips)])])


def credssp(level):
    return mf.reg_file([(CREDSSP, []), (CREDSSP + r"\Parameters", [("AllowEncryptionOracle", "dword", level)])])


def cipher_policy(suites):
    return mf.reg_file([(SSL_POLICY, []), (SSL_POLICY + r"\00010002", [("Functions", "sz", ",".join(suites)), ("EccCurves", "multi", ["NistP384", "NistP256"])])])


def setup(in_progress=False):
    v = 1 if in_progress else 0
    return mf.reg_file([(SETUP, [("CmdLine", "sz", "oobe\\windeploy.exe" if in_progress else ""), ("OOBEInProgress", "dword", v),
                                 ("RestartSetup", "dword", 0), ("SetupType", "dword", 2 if in_progress else 0),
                                 ("SystemSetupInProgress", "dword", v)]), (SETUP + r"\Status", [])])


def winlogon(disabled="0"):
    return mf.reg_file([(WINLOGON, [("AutoRestartShell", "dword", 1), ("Shell", "sz", "explorer.exe"), ("Userinit", "sz", "C:\\Windows\\system32\\userinit.exe,"),
                                    ("WinStationsDisabled", "sz", disabled)])])


def failure_actions(restart=True):
    acts = [(1, 60000), (1, 60000), (0, 0)] if restart else [(0, 0), (0, 0), (0, 0)]
    b = b"".join(v.to_bytes(4, "little") for v in (86400, 0, 0, len(acts), 0x14))
    return b + b"".join(t.to_bytes(4, "little") + d.to_bytes(4, "little") for t, d in acts)


def termservice(account="NT Authority\\NetworkService", image="%SystemRoot%\\System32\\svchost.exe -k NetworkService", restart=True, dll=None):
    data = mf.service("TermService", 3, image, account, ["RPCSS"], "termsrv.dll")
    data = reg_edit(data, mf.SVC + r"\TermService", [("FailureActions", "binary", failure_actions(restart))])
    if dll:
        data = reg_edit(data, mf.SVC + r"\TermService\Parameters", [("ServiceDll", "expand", dll)])
    return data


def listener_sd(rdu=True):
    """The RDP-Tcp Security value: Administrators and SYSTEM full control, LOCAL/NETWORK SERVICE
    query+message, Remote Desktop Users user access (0x121), as a self-relative descriptor."""
    aces = [(True, 0xF03BF, "S-1-5-32-544"), (True, 0xF03BF, "S-1-5-18"), (True, 0x81, "S-1-5-19"), (True, 0x81, "S-1-5-20")]
    if rdu:
        aces.append((True, 0x121, "S-1-5-32-555"))

    def sid(s):
        parts = [int(p) for p in s.split("-")[2:]]
        auth, subs = parts[0], parts[1:]
        return bytes([1, len(subs)]) + auth.to_bytes(6, "big") + b"".join(x.to_bytes(4, "little") for x in subs)
    body = b""
    for allow, mask, s in aces:
        sb = sid(s)
        body += bytes([0 if allow else 1, 0]) + (8 + len(sb)).to_bytes(2, "little") + mask.to_bytes(4, "little") + sb
    owner = sid("S-1-5-32-544")
    head = bytes([1, 0]) + (0x8004).to_bytes(2, "little")
    dacl_off = 20 + len(owner)
    head += (20).to_bytes(4, "little") + (0).to_bytes(4, "little") + (0).to_bytes(4, "little") + dacl_off.to_bytes(4, "little")
    acl = bytes([2, 0]) + (8 + len(body)).to_bytes(2, "little") + len(aces).to_bytes(2, "little") + b"\0\0" + body
    return head + owner + acl


# ---------------------------------------------------------------- events (wevtutil qe /f:xml)

NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def event(rid, time, event_id, provider, channel, data=(), guid=None, level=2, qualifiers=None, user_data=None, binary=None):
    """One event as wevtutil writes it. `data`: (name, value) pairs, or plain values for
    classic providers that leave <Data> unnamed."""
    prov = f"<Provider Name='{provider}'" + (f" Guid='{guid}'" if guid else "") + "/>"
    eid = f"<EventID Qualifiers='{qualifiers}'>{event_id}</EventID>" if qualifiers is not None else f"<EventID>{event_id}</EventID>"
    system = (f"<System>{prov}{eid}<Version>0</Version><Level>{level}</Level><Task>0</Task><Opcode>0</Opcode>"
              f"<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='{time}'/><EventRecordID>{rid}</EventRecordID>"
              f"<Correlation/><Execution ProcessID='812' ThreadID='4471'/><Channel>{channel}</Channel>"
              f"<Computer>{HOST}.contoso.local</Computer><Security UserID='S-1-5-18'/></System>")
    if user_data is not None:
        payload = f"<UserData><EventXML xmlns='Event_NS'>{user_data}</EventXML></UserData>"
    elif data or binary:
        items = "".join(f"<Data Name='{d[0]}'>{d[1]}</Data>" if isinstance(d, tuple) else f"<Data>{d}</Data>" for d in data)
        payload = f"<EventData>{items}{f'<Binary>{binary}</Binary>' if binary else ''}</EventData>"
    else:
        payload = ""
    return f"<Event xmlns='{NS}'>{system}{payload}</Event>"


def schannel_event(rid, time, event_id, data):
    return event(rid, time, event_id, "Schannel", "System", data, guid="{1f678132-5938-4686-9fdc-c8ff68f15c85}")


def netlogon_5719(rid, time):
    return event(rid, time, 5719, "NETLOGON", "System", [DOMAIN, "%%1311"], qualifiers=0, binary="5E0000C0")


def lsm_34(rid, time):
    return event(rid, time, 34, "Microsoft-Windows-TerminalServices-LocalSessionManager",
                 "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
                 guid="{5d896912-022d-40aa-a3a8-4fa5515c76d7}", level=3)


def rcm(rid, time, event_id):
    return event(rid, time, event_id, "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
                 "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin",
                 guid="{c76baa63-ae81-421c-b425-340b4b24157f}", level=2)


def xml_log(events):
    return ("\r\n".join(events) + "\r\n").encode("utf-8")


# ---------------------------------------------------------------- bundle assembly

PRODUCERS = {
    "commands/secedit-user-rights.inf": r"C:\Windows\System32\secedit.exe /export /cfg <temp>\secedit-user-rights.inf /areas SECURITYPOLICY USER_RIGHTS",
    "commands/net-localgroup-remote-desktop-users.txt": r'C:\Windows\System32\net.exe localgroup "Remote Desktop Users"',
    "commands/nltest-sc-query.txt": r"C:\Windows\System32\nltest.exe /sc_query:CONTOSO",
    "commands/w32tm-status.txt": r"C:\Windows\System32\w32tm.exe /query /status /verbose",
    "commands/securitycenter-firewall.txt": r"WMI root\SecurityCenter2 FirewallProduct (displayName, pathToSignedProductExe, productState) /format:list",
    "commands/rdp-handshake.json": "rdp-collect handshake probe 127.0.0.1:3389 (RDP_NEG_REQ SSL|HYBRID, then TLS)",
    "commands/sc-queryex-all.txt": r"C:\Windows\System32\sc.exe queryex type= service state= all",
    "commands/icacls-rdp-key.txt": r"C:\Windows\System32\icacls.exe " + MK + r"\f686aace6942fb7f7ceb231212eef4a4_*",
    "commands/netsh-firewall-currentprofile.txt": r"C:\Windows\System32\netsh.exe advfirewall show currentprofile",
    "registry/schannel.reg": "RegEnumKeyExW/RegEnumValueW " + SCHANNEL,
    "registry/lsa.reg": "RegEnumKeyExW/RegEnumValueW " + LSA,
    "registry/credssp-policy.reg": "RegEnumKeyExW/RegEnumValueW " + CREDSSP,
    "registry/cipher-suite-policy.reg": "RegEnumKeyExW/RegEnumValueW " + SSL_POLICY,
    "registry/setup.reg": "RegEnumKeyExW/RegEnumValueW " + SETUP,
    "registry/winlogon.reg": "RegEnumKeyExW/RegEnumValueW " + WINLOGON,
    "events/System.xml": "wevtutil.exe qe System /f:xml",
    "events/Microsoft-Windows-TerminalServices-LocalSessionManager-Operational.xml":
        "wevtutil.exe qe Microsoft-Windows-TerminalServices-LocalSessionManager/Operational /f:xml",
    "events/Microsoft-Windows-TerminalServices-RemoteConnectionManager-Admin.xml":
        "wevtutil.exe qe Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin /f:xml",
}
CONSOLE = {"commands/net-localgroup-remote-desktop-users.txt", "commands/nltest-sc-query.txt", "commands/w32tm-status.txt",
           "commands/sc-queryex-all.txt", "commands/icacls-rdp-key.txt", "commands/netsh-firewall-currentprofile.txt"}


def put(files, path, data, producer=None):
    cp = 437 if path in CONSOLE or path.startswith("commands/sc-qc-") else None
    if path in files:
        producer = producer or files[path][0]
        cp = files[path][2]
    files[path] = (producer or PRODUCERS[path], data, cp)


def extended():
    """The baseline plus every new artifact, all clean."""
    f = mf.baseline()
    put(f, "registry/terminal-server.reg", ts_with(values=[("TSServerDrainMode", "dword", 0)], rdp_values=[("Security", "binary", listener_sd())]))
    put(f, "registry/service-termservice.reg", termservice())
    put(f, "registry/schannel.reg", schannel({"TLS 1.0": (0, 1), "TLS 1.1": (0, 1), "TLS 1.2": (1, 0)}))
    put(f, "registry/lsa.reg", lsa(0))
    put(f, "registry/credssp-policy.reg", credssp(1))
    put(f, "registry/cipher-suite-policy.reg", cipher_policy(["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                                             "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"]))
    put(f, "registry/setup.reg", setup(False))
    put(f, "registry/winlogon.reg", winlogon("0"))
    put(f, "commands/secedit-user-rights.inf", secedit(deny="*S-1-5-32-546"))
    put(f, "commands/net-localgroup-remote-desktop-users.txt", net_localgroup([DOMAIN + "\\Helpdesk", DOMAIN + "\\jsmith"]))
    put(f, "commands/nltest-sc-query.txt", nltest(True))
    put(f, "commands/w32tm-status.txt", w32tm(True))
    put(f, "commands/securitycenter-firewall.txt", security_center([]))
    put(f, "commands/rdp-handshake.json", probe())
    put(f, "commands/sc-queryex-all.txt", sc_all(HEALTHY_SERVICES))
    put(f, "commands/icacls-rdp-key.txt", icacls_file(RDP_KEY_FILE, ["NT AUTHORITY\\SYSTEM:(F)", "NT AUTHORITY\\NETWORK SERVICE:(R)", "BUILTIN\\Administrators:(F)"]))
    put(f, "commands/netsh-firewall-currentprofile.txt", current_profile("Domain"))
    # Port-scanner noise (alert 10, state 1203) must not count as a TLS failure.
    put(f, "events/System.xml", xml_log([schannel_event(91201, "2026-11-19T23:41:07.2218340Z", 36888, [("AlertDesc", 10), ("ErrorState", 1203)])]))
    return f


def write(name, files, expected, **kw):
    mf.write(name, files, expected, **kw)


def expect(description, must, tolerate=(), must_not=(), not_evaluated=()):
    e = {"description": description, "must": must}
    if tolerate:
        e["tolerate"] = list(tolerate)
    if must_not:
        e["must_not"] = list(must_not)
    if not_evaluated:
        e["not_evaluated"] = list(not_evaluated)
    return e


def event_4625(rid, time, user, ip, status, sub, logon_type=3, domain=DOMAIN):
    return mf.event_4625(rid, time, user, ip, status, sub, logon_type, proc="NtLmSsp ", pkg="NTLM", domain=domain)


def scenarios():
    others = [i for i in NEW_IDS]
    write("healthy-extended", extended(), expect(
        "Healthy workstation with every evidence the extended catalogue reads: secedit rights, Remote Desktop Users members, "
        "secure channel, time sync, no third-party firewall, handshake probe, SCHANNEL (TLS 1.0/1.1 off, 1.2 on), FIPS off, "
        "CredSSP Mitigated, an RSA-compatible cipher-suite order, setup finished, logons enabled, listener permissions, key file ACL, "
        "Domain network profile; a scanner's Schannel 36888 (alert 10/1203) that must not count.",
        [], must_not=others + [c for c in mf.ALL_IDS if c != "RDP901"]))

    # RDP015: policy forces standard RDP security while NLA is required.
    f = extended()
    put(f, "registry/terminal-services-policies.reg", policies_with([("SecurityLayer", "dword", 0)]))
    put(f, "gpresult/gpresult.html", gp_edit(mf.gpresult(gpos=["Local Group Policy [LocalGPO]", "Contoso - RDP Access [{7C1B2A55-3E0F-4B8E-9A61-2D4C8F0E6B13}]",
                                                               "Contoso - Legacy RDP [{0B6D1E2F-3A4B-4C5D-8E9F-A0B1C2D3E4F5}]"]),
                                         extra_rows=[("Require use of specific security layer for remote (RDP) connections", "Enabled", "Contoso - Legacy RDP", mf.SEC)]))
    put(f, "commands/rdp-handshake.json", probe(negotiation="failure", failure_code=2, selected_protocol=None, tls="not_attempted",
                                                 tls_version=None, cipher_suite=None, certificate_sha1=None, certificate_subject=None,
                                                 certificate_not_after=None))
    write("security-negotiation", f, expect(
        "A GPO forces the standard RDP security layer (SecurityLayer 0) while NLA stays required; the handshake probe is refused with SSL_NOT_ALLOWED_BY_SERVER.",
        [{"id": "RDP015", "severity": "error", "facts": {"problem": "nla-without-tls", "winning_gpo": "Contoso - Legacy RDP"}},
         {"id": "RDP015", "severity": "error", "facts": {"problem": "probe-negotiation-failure", "failure": "SSL_NOT_ALLOWED_BY_SERVER"}}]))

    # RDP016
    f = extended()
    put(f, "registry/credssp-policy.reg", credssp(2))
    write("credssp-oracle-vulnerable", f, expect(
        "AllowEncryptionOracle = 2 (Vulnerable), left over from working around the CredSSP error.",
        [{"id": "RDP016", "severity": "warning", "facts": {"level": "vulnerable"}}]))

    # RDP017 (+ RDP020 reading 36871 with it)
    f = extended()
    put(f, "registry/schannel.reg", schannel({"TLS 1.0": (0, 1), "TLS 1.1": (0, 1), "TLS 1.2": (0, 1), "TLS 1.3": (0, 1)}))
    put(f, "events/System.xml", xml_log([schannel_event(91300 + i, f"2026-11-20T0{8 + i}:12:44.5{i}10000Z", 36871, [("Type", "server"), ("ErrorState", 10013)])
                                          for i in range(2)]))
    put(f, "commands/rdp-handshake.json", probe(tls="failed", tls_error="connection reset during the TLS handshake", tls_version=None,
                                                 cipher_suite=None, certificate_sha1=None, certificate_subject=None, certificate_not_after=None))
    write("tls-protocols-disabled", f, expect(
        "A hardening script disabled every TLS version on the server side of SCHANNEL; Schannel logs 36871.",
        [{"id": "RDP017", "severity": "error", "facts": {"only_tls13": "false"}},
         {"id": "RDP020", "severity": "error", "facts": {"event_id": "36871"}}]))

    # RDP018
    f = extended()
    put(f, "registry/lsa.reg", lsa(1))
    put(f, "commands/secedit-user-rights.inf", secedit(deny="*S-1-5-32-546", fips=True))
    write("fips-mode", f, expect("FIPS mode enforced (Lsa FIPSAlgorithmPolicy Enabled = 1).",
                                 [{"id": "RDP018", "severity": "warning", "facts": {"fips_policy": "true"}}]))

    # RDP019 (+ RDP020 36874)
    f = extended()
    put(f, "registry/cipher-suite-policy.reg", cipher_policy(["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                                                             "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"]))
    put(f, "events/System.xml", xml_log([schannel_event(91400, "2026-11-20T09:02:11.1000000Z", 36874, [("Protocol", "TLS 1.2")])]))
    write("tls-cipher-suites", f, expect(
        "A cipher-suite order made for an ECDSA web certificate: no suite fits the RDP certificate's RSA key.",
        [{"id": "RDP019", "severity": "error", "facts": {"certificate_key": "RSA"}},
         {"id": "RDP020", "severity": "warning", "facts": {"event_id": "36874"}}]))

    # RDP020 alone
    f = extended()
    put(f, "events/System.xml", xml_log([schannel_event(91201, "2026-11-19T23:41:07.2218340Z", 36888, [("AlertDesc", 10), ("ErrorState", 1203)])] +
                                        [schannel_event(91500 + i, f"2026-11-20T09:{10 + i}:02.0000000Z", 36870,
                                                        [("Type", "server"), ("ErrorCode", "0x8009030d"), ("ErrorStatus", 10001)]) for i in range(3)]))
    write("schannel-errors", f, expect(
        "Schannel 36870 (cannot access the TLS server credential private key) with nothing in the configuration explaining it.",
        [{"id": "RDP020", "severity": "error", "facts": {"event_id": "36870", "count": "3"}}]))

    # RDP021
    f = extended()
    tp = mf.thumb(CLIENT_AUTH)
    put(f, "registry/terminal-server.reg", ts_with(values=[("TSServerDrainMode", "dword", 0)],
                                                   rdp_values=[("Security", "binary", listener_sd()), ("SSLCertificateSHA1Hash", "binary", bytes.fromhex(tp))]))
    f["certs/my/" + tp + ".cer"] = ("CertEnumCertificatesInStore My", CLIENT_AUTH, None)
    idx = json.loads(f["certs/index.json"][1])
    idx.append({"path": "certs/my/" + tp + ".cer", "store": "My", "thumbprint": tp, "has_private_key": True,
                "key_container": "3c7a9e1b2d4f6a8c0e2b4d6f8a0c2e4a_5e1d9a0c-8f3b-4d2e-a6c7-1b9e0f4d2a83", "private_key_accessible": True})
    f["certs/index.json"] = (f["certs/index.json"][0], (json.dumps(idx, indent=2) + "\n").encode(), None)
    put(f, "commands/rdp-handshake.json", probe(certificate_sha1=tp, certificate_subject="CN=" + HOST + ".contoso.local"))
    write("certificate-no-server-auth", f, expect(
        "SSLCertificateSHA1Hash binds a CA-issued certificate made from a client-authentication template (EKU Client Authentication only).",
        [{"id": "RDP021", "severity": "error", "facts": {"thumbprint": tp}}], must_not=["RDP011", "RDP012"]))

    # RDP022 (+ RDP020 36870 explained)
    f = extended()
    put(f, "commands/icacls-rdp-key.txt", icacls_file(RDP_KEY_FILE, ["NT AUTHORITY\\SYSTEM:(F)", "BUILTIN\\Administrators:(F)"]))
    put(f, "events/System.xml", xml_log([schannel_event(91600, "2026-11-20T09:20:31.0000000Z", 36870,
                                                        [("Type", "server"), ("ErrorCode", "0x8009030d"), ("ErrorStatus", 10001)])]))
    write("rdp-key-file-acl", f, expect(
        "The RDP certificate's key file lost its NETWORK SERVICE read entry (a permissions 'repair'); Schannel 36870.",
        [{"id": "RDP022", "severity": "error"},
         {"id": "RDP020", "severity": "error", "facts": {"event_id": "36870"}}]))

    # RDP023
    f = extended()
    svcs = [s if s[0] != "CryptSvc" else ("CryptSvc", "Cryptographic Services", "STOPPED", 0) for s in HEALTHY_SERVICES if s[0] != "KeyIso"]
    svcs.append(("KeyIso", "CNG Key Isolation", "STOPPED", 0))
    put(f, "commands/sc-queryex-all.txt", sc_all(svcs))
    put(f, "commands/sc-qc-KeyIso.txt", sc_qc("KeyIso", "CNG Key Isolation", 4, r"C:\Windows\system32\lsass.exe", "RPCSS", "LocalSystem"),
        r"C:\Windows\System32\sc.exe qc KeyIso")
    write("certificate-services-disabled", f, expect(
        "A hardening baseline disabled CNG Key Isolation, and Cryptographic Services is stopped.",
        [{"id": "RDP023", "severity": "warning", "facts": {"service": "KeyIso", "problem": "disabled"}},
         {"id": "RDP023", "severity": "warning", "facts": {"service": "CryptSvc", "problem": "stopped"}}]))

    # RDP024: Deny log on through RDS: Local account; local support account refused.
    f = extended()
    put(f, "commands/secedit-user-rights.inf", secedit(deny="*S-1-5-32-546,*S-1-5-113"))
    put(f, "gpresult/gpresult.html", gp_edit(mf.gpresult(), replacements=[
        ("<td>Deny log on through Terminal Services</td><td>Guests</td><td>Default Domain Policy</td>",
         "<td>Deny log on through Terminal Services</td><td>Guests, Local account</td><td>Contoso - CIS Workstation Baseline</td>")]))
    ev = mf.BASE_EVENTS + [event_4625(184400 + i, f"2026-11-20T09:{30 + i}:10.{i}000000Z", "support", "10.0.0.91", "0xc000015b", "0x0",
                                      domain=HOST) for i in range(2)]
    put(f, "events/Security.xml", mf.security_xml(ev))
    write("remote-logon-rights", f, expect(
        "A CIS baseline GPO denies Remote Desktop logon to 'Local account'; the local support account is refused with 0xC000015B.",
        [{"id": "RDP024", "severity": "error", "facts": {"right": "SeDenyRemoteInteractiveLogonRight", "winning_gpo": "Contoso - CIS Workstation Baseline"}}],
        tolerate=["RDP014"]))

    # RDP025
    f = extended()
    put(f, "commands/net-localgroup-remote-desktop-users.txt", net_localgroup([DOMAIN + "\\Helpdesk"]))
    ev = mf.BASE_EVENTS + [event_4625(184500 + i, f"2026-11-20T08:5{i}:40.{i}100000Z", "jdoe", "10.0.0.77", "0xc000015b", "0x0") for i in range(3)]
    put(f, "events/Security.xml", mf.security_xml(ev))
    write("remote-desktop-users", f, expect(
        "jdoe is refused with 0xC000015B and is not a member of Remote Desktop Users (which holds only CONTOSO\\Helpdesk).",
        [{"id": "RDP025", "severity": "error", "facts": {"users": DOMAIN + "\\jdoe"}}], tolerate=["RDP014"], must_not=["RDP024"]))

    # RDP026
    f = extended()
    put(f, "registry/terminal-server.reg", ts_with(values=[("TSServerDrainMode", "dword", 0)], rdp_values=[("Security", "binary", listener_sd(rdu=False))]))
    write("listener-permissions", f, expect(
        "The RDP-Tcp listener's Security value no longer grants Remote Desktop Users the logon permission.",
        [{"id": "RDP026", "severity": "error"}]))

    # RDP027
    f = extended()
    put(f, "registry/terminal-server.reg", ts_with(values=[("TSServerDrainMode", "dword", 0)],
                                                   rdp_values=[("Security", "binary", listener_sd()), ("LanAdapter", "dword", 2)]))
    ns = "\r\n".join(line.replace("0.0.0.0:3389  ", "10.0.0.25:3389") for line in mf.netstat().decode("cp437").split("\r\n")
                     if "[::]:3389" not in line)
    put(f, "commands/netstat-ano.txt", ns.encode("cp437"))
    write("listener-bound-to-adapter", f, expect(
        "RDP-Tcp is bound to LAN adapter 2: netstat shows 3389 listening on 10.0.0.25 only.",
        [{"id": "RDP027", "severity": "warning", "facts": {"LanAdapter": "2"}}]))

    # RDP028 (server, policy limit 2, two sessions)
    f = extended()
    put(f, "registry/terminal-services-policies.reg", policies_with([("MaxInstanceCount", "dword", 2)]))
    put(f, "gpresult/gpresult.html", gp_edit(mf.gpresult(), extra_rows=[("Limit number of connections", "Enabled", "Contoso - RDS Limits", mf.CONN)]))
    def row(cur, name, user, sid, state):
        return f"{cur}{name:<18}{user:<20}{sid:>7}  {state:<6}                      "
    qw = [" SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE ",
          row(" ", "services", "", 0, "Disc"), row(">", "console", "", 1, "Conn"), row(" ", "rdp-tcp#4", "amartin", 2, "Active"),
          row(" ", "", "bwong", 3, "Disc"), row(" ", "rdp-tcp", "", 65536, "Listen")]
    assert qw[1] == " services                                    0  Disc                        ", qw[1]
    put(f, "commands/qwinsta.txt", mf.oem("\n".join(qw) + "\n"))
    write("session-limit", f, expect(
        "Windows Server with 'Limit number of connections' = 2: one active and one disconnected session use both.",
        [{"id": "RDP028", "severity": "error", "facts": {"limit": "2", "sessions": "2", "winning_gpo": "Contoso - RDS Limits"}}]),
        os_info=SERVER_OS)

    # RDP029
    f = extended()
    put(f, "registry/terminal-server.reg", ts_with(values=[("TSServerDrainMode", "dword", 2)], rdp_values=[("Security", "binary", listener_sd())]))
    put(f, "registry/winlogon.reg", winlogon("1"))
    write("logons-disabled", f, expect(
        "After maintenance the host was left in drain mode and with change logon /disable.",
        [{"id": "RDP029", "severity": "error", "facts": {"mode": "drain"}},
         {"id": "RDP029", "severity": "error", "facts": {"mode": "disabled"}}]), os_info=SERVER_OS)

    # RDP030
    f = extended()
    put(f, "registry/service-termservice.reg", termservice(dll="%ProgramFiles%\\RDP Wrapper\\rdpwrap.dll"))
    write("rdp-stack-replaced", f, expect(
        "RDP Wrapper replaced TermService's ServiceDll on a workstation.",
        [{"id": "RDP030", "severity": "warning"}]))

    # RDP031
    f = extended()
    put(f, "registry/setup.reg", setup(True))
    put(f, "events/Microsoft-Windows-TerminalServices-LocalSessionManager-Operational.xml",
        xml_log([lsm_34(5120 + i, f"2026-11-20T0{7 + i}:00:12.0000000Z") for i in range(2)]))
    write("setup-in-progress", f, expect(
        "A sysprepped image never finished OOBE: OOBEInProgress = 1 and LocalSessionManager event 34. "
        "The logon trail (RDP053) sees the consequence: a logon with no session after it.",
        [{"id": "RDP031", "severity": "error", "facts": {"events": "2"}}], tolerate=["RDP053"]))

    # RDP032
    f = extended()
    put(f, "registry/terminal-services-policies.reg", policies_with([("SelectTransport", "dword", 1)]))
    put(f, "gpresult/gpresult.html", gp_edit(mf.gpresult(), extra_rows=[("Select RDP transport protocols", "Enabled", "Contoso - RDP Access", mf.CONN)]))
    ns = "\r\n".join(line for line in mf.netstat().decode("cp437").split("\r\n") if not (line.lstrip().startswith("UDP") and ":3389" in line))
    put(f, "commands/netstat-ano.txt", ns.encode("cp437"))
    write("udp-transport", f, expect(
        "Policy restricts RDP to TCP; the listener has no UDP socket.",
        [{"id": "RDP032", "severity": "info"}]))

    # RDP033
    f = extended()
    put(f, "registry/service-termservice.reg", termservice(account="LocalSystem", image="%SystemRoot%\\System32\\svchost.exe -k netsvcs -p", restart=False))
    write("termservice-config", f, expect(
        "TermService moved to LocalSystem in the netsvcs group by an online 'fix', with no recovery action.",
        [{"id": "RDP033", "severity": "error", "facts": {"account": "LocalSystem"}},
         {"id": "RDP033", "severity": "warning", "facts": {"recovery": "none"}}]))

    # RDP034
    f = extended()
    put(f, "registry/service-sessionenv.reg", mf.service("SessionEnv", 4, "%SystemRoot%\\System32\\svchost.exe -k netsvcs -p", "localSystem",
                                                          ["RPCSS", "LanmanWorkstation"], "sessenv.dll"))
    put(f, "commands/sc-queryex-SessionEnv.txt", mf.sc("SessionEnv", "STOPPED"))
    put(f, "commands/sc-queryex-all.txt", sc_all([s if s[0] != "SessionEnv" else ("SessionEnv", s[1], "STOPPED", 0) for s in HEALTHY_SERVICES]))
    write("sessionenv-disabled", f, expect(
        "Remote Desktop Configuration (SessionEnv) disabled by a hardening script.",
        [{"id": "RDP034", "severity": "warning", "facts": {"start_type": "disabled"}}]))

    # RDP035
    f = extended()
    put(f, "commands/sc-queryex-all.txt", sc_all([s if s[0] != "LanmanWorkstation" else ("LanmanWorkstation", s[1], "STOPPED", 0) for s in HEALTHY_SERVICES]))
    put(f, "commands/sc-qc-LanmanWorkstation.txt", sc_qc("LanmanWorkstation", "Workstation", 4, r"C:\Windows\System32\svchost.exe -k NetworkService -p",
                                                          "Bowser/MRxSmb20/NSI", "NT AUTHORITY\\NetworkService"),
        r"C:\Windows\System32\sc.exe qc LanmanWorkstation")
    write("service-dependency-stopped", f, expect(
        "The Workstation service (LanmanWorkstation) is disabled, so SessionEnv cannot start.",
        [{"id": "RDP035", "severity": "warning", "facts": {"service": "SessionEnv", "dependency": "LanmanWorkstation", "state": "disabled"}}]))

    # RDP036
    f = extended()
    put(f, "commands/netsh-firewall-rules.txt", mf.netsh_rules(mf.rdp_rules(profiles="Domain,Private")))
    put(f, "commands/netsh-firewall-currentprofile.txt", current_profile("Public"))
    write("network-profile-public", f, expect(
        "A domain member's network came up as Public (no DC reachable at boot); the Remote Desktop rules cover Domain and Private only.",
        [{"id": "RDP036", "severity": "error", "facts": {"active_profile": "Public", "allowed_profiles": "Domain,Private", "domain_member": "true"}}],
        tolerate=["RDP009"]))

    # RDP037
    f = extended()
    put(f, "commands/securitycenter-firewall.txt", security_center([("ESET Firewall", "C:\\Program Files\\ESET\\ESET Security\\ecmds.exe", 266256)]))
    write("third-party-firewall", f, expect(
        "ESET's firewall is registered and on in Security Center.",
        [{"id": "RDP037", "severity": "warning", "facts": {"product": "ESET Firewall"}}]))

    # RDP038
    f = extended()
    put(f, "commands/nltest-sc-query.txt", nltest(False))
    put(f, "events/System.xml", xml_log([netlogon_5719(92000 + i, f"2026-11-20T0{6 + i}:14:02.0000000Z") for i in range(3)]))
    write("secure-channel-broken", f, expect(
        "The computer account's password no longer matches (VM snapshot restored): nltest ERROR_NO_LOGON_SERVERS, NETLOGON 5719.",
        [{"id": "RDP038", "severity": "error", "facts": {"status": "ERROR_NO_LOGON_SERVERS", "events": "3"}}]))

    # RDP039
    f = extended()
    put(f, "commands/w32tm-status.txt", w32tm(False))
    ev = mf.BASE_EVENTS + [event_4625(184600 + i, f"2026-11-20T09:4{i}:00.{i}000000Z", "jsmith", "10.0.0.77", "0xc0000133", "0x0") for i in range(2)]
    put(f, "events/Security.xml", mf.security_xml(ev))
    write("clock-skew", f, expect(
        "The clock runs free (Free-running System Clock, never synced) and domain logons fail with 0xC0000133.",
        [{"id": "RDP039", "severity": "error", "facts": {"failed_logons": "2"}}], tolerate=["RDP014"]))

    # RDP040
    f = extended()
    put(f, "registry/terminal-server.reg", ts_with(values=[("TSServerDrainMode", "dword", 0), ("TSAppCompat", "dword", 1)],
                                                   rdp_values=[("Security", "binary", listener_sd())]))
    put(f, "events/Microsoft-Windows-TerminalServices-RemoteConnectionManager-Admin.xml",
        xml_log([rcm(3301, "2026-11-18T07:00:40.0000000Z", 1130), rcm(3315, "2026-11-20T07:00:41.0000000Z", 1128)]))
    write("rds-licensing", f, expect(
        "An RD Session Host past its 120-day grace period: no licensing mode, no license server, RCM 1128 and 1130.",
        [{"id": "RDP040", "severity": "error", "facts": {"licensing_mode": "5", "events": "2"}}]), os_info=SERVER_OS)

    # RDP041
    f = mf.baseline()
    write("edition-home", f, expect(
        "Windows 11 Home: the customer enabled every setting, but Home cannot host RDP. The bundle is the original "
        "collector's (no issue-6 steps), so the checks that need them are listed as not evaluated instead of passing.",
        [{"id": "RDP041", "severity": "error", "facts": {"edition": "Core"}}],
        not_evaluated=["RDP017", "RDP018", "RDP019", "RDP020", "RDP023", "RDP025", "RDP031", "RDP036", "RDP037", "RDP038"]),
        os_info={"product_name": "Windows 11 Home", "edition_id": "Core", "installation_type": "Client", "display_version": "24H2", "build": "26100.2314"})

    probe_scenarios()
    loose()


SERVER_AUTH_CA = cert_with_eku("ca-issued-server-auth", ["1.3.6.1.5.5.7.3.1"])


def probe_scenarios():
    # RDP042: everything is configured right, but nothing answers on the port locally.
    f = extended()
    put(f, "commands/rdp-handshake.json", probe(tcp="refused", tcp_error="No connection could be made because the target machine actively refused it. (os error 10061)",
                                                negotiation=None, selected_protocol=None, tls=None, tls_version=None, cipher_suite=None,
                                                certificate_sha1=None, certificate_subject=None, certificate_not_after=None))
    write("probe-refused", f, expect(
        "The configuration looks healthy, but the collector's handshake probe to 127.0.0.1:3389 was refused: RDP is broken on the box itself.",
        [{"id": "RDP042", "severity": "error", "facts": {"answer": "refused"}}], must_not=["RDP043"]))

    # RDP043: a CA-issued certificate is configured, the listener serves the self-signed one.
    f = extended()
    tp = mf.thumb(SERVER_AUTH_CA)
    put(f, "registry/terminal-server.reg", ts_with(values=[("TSServerDrainMode", "dword", 0)],
                                                   rdp_values=[("Security", "binary", listener_sd()), ("SSLCertificateSHA1Hash", "binary", bytes.fromhex(tp))]))
    f["certs/my/" + tp + ".cer"] = ("CertEnumCertificatesInStore My", SERVER_AUTH_CA, None)
    idx = json.loads(f["certs/index.json"][1])
    idx.append({"path": "certs/my/" + tp + ".cer", "store": "My", "thumbprint": tp, "has_private_key": True,
                "key_container": "9b1d5e7f3a2c4e6a8c0e2b4d6f8a0c2e_5e1d9a0c-8f3b-4d2e-a6c7-1b9e0f4d2a83", "private_key_accessible": False})
    f["certs/index.json"] = (f["certs/index.json"][0], (json.dumps(idx, indent=2) + "\n").encode(), None)
    write("served-certificate-mismatch", f, expect(
        "SSLCertificateSHA1Hash names the CA-issued certificate, but the listener serves the self-signed one (the configured key is not readable).",
        [{"id": "RDP043", "severity": "warning", "facts": {"configured": tp, "served": mf.thumb(mf.GOOD)}},
         {"id": "RDP042", "severity": "info", "facts": {"answer": "rdp"}},
         {"id": "RDP022", "severity": "error"}],
        must_not=["RDP011", "RDP012", "RDP021"]))


def loose():
    """No manifest: a customer pasted outputs under their own names (German net localgroup in CP850,
    secedit INF as UTF-16, nltest and w32tm as UTF-8 with LF)."""
    d = os.path.join(FIX, "catalogue-loose-files")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    open(os.path.join(d, "rechte.inf"), "wb").write(secedit(allow="*S-1-5-32-544", deny="*S-1-5-32-546,*S-1-5-11"))
    de = ("Aliasname     Remotedesktopbenutzer\nBeschreibung  Die Mitglieder dieser Gruppe sind berechtigt, sich remote anzumelden.\n\n"
          "Mitglieder\n\n" + "-" * 79 + "\nDer Befehl wurde erfolgreich ausgeführt.\n\n")
    open(os.path.join(d, "gruppe.txt"), "wb").write(mf.oem(de, "cp850"))
    open(os.path.join(d, "dc check.txt"), "wb").write(nltest(False).replace(b"\r\n", b"\n"))
    open(os.path.join(d, "zeit.txt"), "wb").write(w32tm(True).replace(b"\r\n", b"\n"))
    open(os.path.join(d, "expected.json"), "w").write(json.dumps(expect(
        "Loose files without a manifest, identified by content: a secedit INF that denies Authenticated Users, an empty German "
        "Remotedesktopbenutzer group, a broken secure channel (nltest) and a healthy w32tm paste.",
        [{"id": "RDP024", "severity": "error", "facts": {"right": "SeDenyRemoteInteractiveLogonRight"}},
         {"id": "RDP025", "severity": "info"}, {"id": "RDP038", "severity": "error", "facts": {"status": "ERROR_NO_LOGON_SERVERS"}}],
        must_not=["RDP039", "RDP900"], not_evaluated=["RDP015", "RDP036"]), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    scenarios()
    print("catalogue fixtures written to", FIX)

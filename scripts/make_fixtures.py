#!/usr/bin/env python3
"""Writes fixtures/<scenario>/ bundle trees in the exact formats Windows emits.

Each scenario is the healthy baseline with a few artifacts changed. The output is committed;
this script only saves typing when scenarios are added or the baseline changes. A support
engineer can equally add a folder by hand (see fixtures/README.md).

Formats: .reg = UTF-16LE + BOM + CRLF (reg export); gpresult = UTF-16LE + BOM + CRLF with
real gpresult markup; console output = OEM code page (CP437/CP850/CP932) + CRLF, real column
layouts; certificates = DER; events = wevtutil /f:xml (one event per line).

Certificates are created once (python3 cryptography) and cached in scripts/fixture-certs/ so
reruns are byte-stable.
"""
import datetime as dt
import hashlib
import json
import os
import shutil
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
FIX = os.path.join(ROOT, "fixtures")
CERTS = os.path.join(ROOT, "scripts", "fixture-certs")
HOST = "WS-RDP01"
DOMAIN = "CONTOSO"
STARTED = "2026-11-20T10:14:31Z"
FINISHED = "2026-11-20T10:15:02Z"
TS = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server"
RDPTCP = TS + r"\WinStations\RDP-Tcp"
POL = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services"
SVC = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services"
STORE = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\Remote Desktop"
TERMSVC_PID = 1236

# ---------------------------------------------------------------- certificates

def cert(name, not_before, not_after, cn=HOST, server_auth=True):
    path = os.path.join(CERTS, name + ".der")
    if os.path.exists(path):
        return open(path, "rb").read()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                                      data_encipherment=True, key_agreement=False, key_cert_sign=False,
                                      crl_sign=False, encipher_only=False, decipher_only=False), critical=False))
    if server_auth:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    der = b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    os.makedirs(CERTS, exist_ok=True)
    open(path, "wb").write(der)
    return der

UTC = dt.timezone.utc
GOOD = cert("rdp-selfsigned-valid", dt.datetime(2026, 8, 1, 9, 0, tzinfo=UTC), dt.datetime(2027, 1, 31, 9, 0, tzinfo=UTC))
EXPIRED = cert("rdp-selfsigned-expired", dt.datetime(2025, 11, 3, 9, 0, tzinfo=UTC), dt.datetime(2026, 5, 4, 9, 0, tzinfo=UTC))

def thumb(der):
    return hashlib.sha1(der).hexdigest().upper()

# ---------------------------------------------------------------- .reg writer

def reg_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

def hex_lines(prefix, data):
    """regedit wraps hex data so that no line passes column 80 (including the trailing \\)."""
    out, line = [], prefix
    parts = ["%02x" % b for b in data]
    for i, p in enumerate(parts):
        piece = p + ("," if i < len(parts) - 1 else "")
        if len(line) + len(piece) > 78 and line.strip():
            out.append(line + "\\")
            line = "  "
        line += piece
    out.append(line)
    return out

def u16z(s):
    return s.encode("utf-16-le") + b"\0\0"

def value_lines(name, kind, data):
    n = "@" if name == "" else reg_str(name)
    if kind == "sz":
        return [f"{n}={reg_str(data)}"]
    if kind == "dword":
        return [f"{n}=dword:{data:08x}"]
    if kind == "qword":
        return hex_lines(f"{n}=hex(b):", data.to_bytes(8, "little"))
    if kind == "expand":
        return hex_lines(f"{n}=hex(2):", u16z(data))
    if kind == "multi":
        return hex_lines(f"{n}=hex(7):", b"".join(u16z(s) for s in data) + b"\0\0")
    if kind == "binary":
        return hex_lines(f"{n}=hex:", data)
    raise ValueError(kind)

def reg_file(keys):
    """keys: list of (path, [(name, kind, data)])."""
    lines = ["Windows Registry Editor Version 5.00", ""]
    for path, values in keys:
        lines.append(f"[{path}]")
        for v in values:
            lines.extend(value_lines(*v))
        lines.append("")
    lines.append("")
    return b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le")

def blob(der, with_key=True):
    """Serialized certificate store element as in SystemCertificates\\...\\Blob."""
    def prop(pid, data):
        return pid.to_bytes(4, "little") + (1).to_bytes(4, "little") + len(data).to_bytes(4, "little") + data
    out = prop(3, hashlib.sha1(der).digest())
    if with_key:
        out += prop(2, u16z("TSSecKeySet1") + u16z("Microsoft Enhanced RSA and AES Cryptographic Provider"))
    out += prop(32, der)
    return out

# ---------------------------------------------------------------- baseline registry

def terminal_server(deny=0, port=3389, enable=1, rdp_tcp=True, cert_hash=None):
    rdp = [
        ("Comment", "sz", ""), ("CfgDll", "sz", "RDPCFGEX.DLL"), ("fEnableWinStation", "dword", enable),
        ("MaxInstanceCount", "dword", 0xFFFFFFFF), ("Callback", "dword", 0), ("fInheritAutoLogon", "dword", 1),
        ("LanAdapter", "dword", 0), ("LoadableProtocol_Object", "sz", "{5828227c-20cf-4408-b73f-73ab70b8849f}"),
        ("MinEncryptionLevel", "dword", 2), ("PdClass", "dword", 2), ("PdDLL", "sz", "tdtcp"), ("PdFlag", "dword", 0x4e),
        ("PdName", "sz", "tcp"), ("PortNumber", "dword", port), ("SecurityLayer", "dword", 2),
        ("UserAuthentication", "dword", 1), ("WdDLL", "sz", "rdpwd"), ("WdFlag", "dword", 0x36),
        ("WdName", "sz", "Microsoft RDP 8.0"), ("WdPrefix", "sz", "RDP"), ("WFProfilePath", "sz", ""),
        ("fAllowSecProtocolNegotiation", "dword", 1),
    ]
    if cert_hash:
        rdp.append(("SSLCertificateSHA1Hash", "binary", bytes.fromhex(cert_hash)))
    keys = [
        (TS, [("AllowRemoteRPC", "dword", 0), ("DelayConMgrTimeout", "dword", 0), ("DeleteTempDirsOnExit", "dword", 1),
              ("fDenyTSConnections", "dword", deny), ("fSingleSessionPerUser", "dword", 1), ("GlassSessionId", "dword", 1),
              ("InstanceID", "sz", "{6a8f3c2e-4b1d-4e7a-9c55-2f0d8e9b1a47}"), ("NotificationTimeOut", "dword", 0),
              ("PerSessionTempDir", "dword", 0), ("ProductVersion", "sz", "5.1"),
              ("RCDependentServices", "multi", ["CertPropSvc", "SessionEnv"]), ("SnapshotMonitors", "sz", "1"),
              ("StartRCM", "dword", 0), ("TSUserEnabled", "dword", 0)]),
        (TS + r"\ClusterSettings", []),
        (TS + r"\RCM", []),
        (TS + r"\RCM\Licensing Core", [("LicensingMode", "dword", 5)]),
        (TS + r"\WinStations", [("ColorDepth", "dword", 5), ("DWMFRAMEINTERVAL", "dword", 15)]),
        (TS + r"\WinStations\Console", [("fEnableWinStation", "dword", 1), ("WdName", "sz", "Console")]),
    ]
    if rdp_tcp:
        keys.append((RDPTCP, rdp))
    return reg_file(keys)

def policies(deny=None):
    vals = [("fPromptForPassword", "dword", 0), ("UserAuthentication", "dword", 1)]
    if deny is not None:
        vals.insert(0, ("fDenyTSConnections", "dword", deny))
    return reg_file([(POL, vals), (POL + r"\Client", [])])

def service(name, start, image, account, deps, dll=None):
    keys = [(SVC + "\\" + name, [
        ("DependOnService", "multi", deps), ("Description", "sz", f"@%SystemRoot%\\System32\\{(dll or 'termsrv.dll')},-267"),
        ("DisplayName", "sz", f"@%SystemRoot%\\System32\\{(dll or 'termsrv.dll')},-268"), ("ErrorControl", "dword", 1),
        ("ImagePath", "expand", image), ("ObjectName", "sz", account), ("Start", "dword", start), ("Type", "dword", 0x20),
        ("ServiceSidType", "dword", 1)])]
    if dll:
        keys.append((SVC + "\\" + name + r"\Parameters", [("ServiceDll", "expand", "%SystemRoot%\\System32\\" + dll)]))
    return reg_file(keys)

def cert_store(ders):
    keys = [(STORE, []), (STORE + r"\Certificates", [])]
    for der, with_key in ders:
        keys.append((STORE + r"\Certificates" + "\\" + thumb(der), [("Blob", "binary", blob(der, with_key))]))
    keys += [(STORE + r"\CRLs", []), (STORE + r"\CTLs", [])]
    return reg_file(keys)

# ---------------------------------------------------------------- gpresult

def gp_rows(rows):
    out = ['<tr><th scope="col">Policy</th><th scope="col">Setting</th><th scope="col">Winning GPO</th></tr>']
    for name, setting, gpo, path in rows:
        if path:
            out.append(f'<tr><td><span class="explainlink" tabindex="0" onkeypress="javascript:showExplainText(this); return false;" onclick="javascript:showExplainText(this); return false;" gpmc_settingName="{name}" gpmc_settingPath="Computer Configuration/Administrative Templates/{path}" gpmc_settingDescription="" gpmc_supported="At least Windows Vista">{name}</span></td><td>{setting}</td><td>{gpo}</td></tr>')
        else:
            out.append(f"<tr><td>{name}</td><td>{setting}</td><td>{gpo}</td></tr>")
    return "\r\n".join(out)

def gp_category(level, title, rows):
    return (f'<div class="{level}"><span class="sectionTitle" tabindex="0">{title}</span><a class="expando" href="#"></a></div>\r\n'
            f'<div class="container"><div class="he4i"><table class="info3" >\r\n{gp_rows(rows)}\r\n</table>\r\n</div></div>')

def gp_pref_registry(key, name, data, gpo):
    return (f'<div class="he3"><span class="sectionTitle" tabindex="0">Registry item (Key path: {key}, Value name: {name})</span><a class="expando" href="#"></a></div>\r\n'
            '<div class="container"><div class="he4i">The following settings have applied to this object. Within this category, settings nearest the top of the report are the prevailing settings when resolving conflicts.</div>'
            f'<div class="he4"><span class="sectionTitle" tabindex="0">{name}</span><a class="expando" href="#"></a></div>\r\n    <div class="container">\r\n<div class="he4i">\r\n      <table class="info" >\r\n'
            f'      <tr><td scope="row"><b>Winning GPO</b></td><td>{gpo}</td></tr>\r\n      </table>\r\n    </div><div class="he4i">Result: Success</div>'
            '<div class="he4h"><span class="sectionTitle" tabindex="0">General</span><a class="expando" href="#"></a></div>\r\n<div class="container"><div class="he4i"><table class="info" >\r\n'
            '<tr><td>Action</td><td>Update</td></tr>\r\n</table>\r\n<b>Properties</b><table class="subtable" ><tr><td>Hive</td><td>HKEY_LOCAL_MACHINE</td></tr>\r\n'
            f'<tr><td>Key path</td><td>{key.split(chr(92), 1)[1]}</td></tr>\r\n<tr><td>Value name</td><td>{name}</td></tr>\r\n'
            f'<tr><td>Value type</td><td>REG_DWORD</td></tr>\r\n<tr><td>Value data</td><td>{data}</td></tr>\r\n</table></div></div></div></div>')

RDP_ALLOW = "Allow users to connect remotely by using Remote Desktop Services"
CONN = "Windows Components/Remote Desktop Services/Remote Desktop Session Host/Connections"
SEC = "Windows Components/Remote Desktop Services/Remote Desktop Session Host/Security"

def gpresult(allow_setting="Enabled", allow_gpo="Contoso - RDP Access", extra_pref="", gpos=None):
    gpos = gpos or ["Local Group Policy [LocalGPO]", "Contoso - RDP Access [{7C1B2A55-3E0F-4B8E-9A61-2D4C8F0E6B13}]",
                    "Default Domain Policy [{31B2F340-016D-11D2-945F-00C04FB984F9}]"]
    applied = "".join(
        f'<div class="he2"><span class="sectionTitle" tabindex="0">{g}</span><a class="expando" href="#"></a></div>\r\n        <div class="container"><div class="he4i"><table class="info" >\r\n'
        f'<tr><td><strong>Link Location</strong></td><td>{"Local" if "LocalGPO" in g else "contoso.local"}</td></tr><tr><td><strong>Extensions Configured</strong></td><td>Registry</td></tr><tr><td><strong>Enforced</strong></td><td>No</td></tr></table>\r\n</div></div>'
        for g in gpos)
    body = "\r\n".join([
        '<html dir="ltr" xmlns:v="urn:schemas-microsoft-com:vml" gpmc_reportInitialized="false">',
        "<head>", '<meta http-equiv="Content-Type" content="text/html; charset=UTF-16" />',
        f"<title>{DOMAIN}\\jsmith on {DOMAIN}\\{HOST}</title>", "<!-- Styles -->", '<style type="text/css">body { font-size:68%; }</style>',
        "<!-- Scripts -->", '<script language="javascript">function window_onload() {}</script>', "</head>", "",
        '<body onload="window_onload();">', '<table class="title" >',
        '<tr><td colspan="2" class="rsopheader">Group Policy Results</td></tr>',
        f'<tr><td colspan="2" class="rsopname">{DOMAIN}\\jsmith on {DOMAIN}\\{HOST}</td></tr>',
        '<tr><td id="dtstamp">Data collected on: 11/20/2026 10:14:40 AM</td><td><div id="objshowhide" tabindex="0"></div></td></tr>', "</table>",
        '<div class="rsopsettings">',
        '<div class="he0_expanded"><span class="sectionTitle" tabindex="0">Computer Details</span><a class="expando" href="#"></a></div>',
        '<div class="container"><div class="he0h_expanded"><span class="sectionTitle" tabindex="0">General</span><a class="expando" href="#"></a></div>',
        f'<div class="container"><div class="he2i"><table class="info" >\r\n<tr><td><strong>Computer name</strong></td><td>{DOMAIN}\\{HOST}</td></tr><tr><td><strong>Domain</strong></td><td>contoso.local</td></tr><tr><td><strong>Site</strong></td><td>Default-First-Site-Name</td></tr></table>\r\n</div></div>',
        '<div class="he0h_expanded"><span class="sectionTitle" tabindex="0">Settings</span><a class="expando" href="#"></a></div>',
        '<div class="container"><div class="he1h_expanded"><span class="sectionTitle" tabindex="0">Policies</span><a class="expando" href="#"></a></div>',
        '<div class="container"><div class="he1_expanded"><span class="sectionTitle" tabindex="0">Windows Settings</span><a class="expando" href="#"></a></div>',
        '<div class="container"><div class="he2"><span class="sectionTitle" tabindex="0">Security Settings</span><a class="expando" href="#"></a></div>',
        '<div class="container">',
        gp_category("he3", "Local Policies/User Rights Assignment", [
            ("Allow log on through Terminal Services", "Administrators, Remote Desktop Users", "Default Domain Policy", None),
            ("Deny log on through Terminal Services", "Guests", "Default Domain Policy", None)]),
        "</div></div>",
        '<div class="he1"><span class="sectionTitle" tabindex="0">Administrative Templates</span><a class="expando" href="#"></a></div>',
        '<div class="container"><div class="he4i"><table class="info3" ><tr><td>Policy definitions (ADMX files) retrieved from the local computer.</td></tr></table></div>',
        gp_category("he3", CONN, [(RDP_ALLOW, allow_setting, allow_gpo, CONN)]),
        gp_category("he3", SEC, [("Require user authentication for remote connections by using Network Level Authentication", "Enabled", "Contoso - RDP Access", SEC)]),
        "</div>",
        ('<div class="he1h_expanded"><span class="sectionTitle" tabindex="0">Preferences</span><a class="expando" href="#"></a></div>\r\n<div class="container"><div class="he1_expanded"><span class="sectionTitle" tabindex="0">Windows Settings</span><a class="expando" href="#"></a></div>\r\n<div class="container"><div class="he2"><span class="sectionTitle" tabindex="0">Registry</span><a class="expando" href="#"></a></div>\r\n<div class="container">' + extra_pref + "</div></div></div>") if extra_pref else "",
        "</div></div>",
        '<div class="he0h_expanded"><span class="sectionTitle" tabindex="0">Group Policy Objects</span><a class="expando" href="#"></a></div>',
        '<div class="container"><div class="he1h_expanded"><span class="sectionTitle" tabindex="0">Applied GPOs</span><a class="expando" href="#"></a></div>',
        '<div class="container">' + applied + "</div></div>",
        "</div></div>", "</body>", "</html>", ""])
    return b"\xff\xfe" + body.encode("utf-16-le")

# ---------------------------------------------------------------- console output

def oem(text, cp="cp437"):
    return text.replace("\n", "\r\n").encode(cp)

def qwinsta(listener=True, state="Listen"):
    rows = [" SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE ",
            " services                                    0  Disc                        ",
            ">console           jsmith                    1  Active                      "]
    if listener:
        rows.append(f" rdp-tcp                                 65536  {state:<6}                      ")
    return oem("\n".join(rows) + "\n")

def netstat(port=3389, pid=TERMSVC_PID, listen=True, extra=()):
    rows = [("TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", 1012), ("TCP", "0.0.0.0:445", "0.0.0.0:0", "LISTENING", 4)]
    if listen:
        rows.append(("TCP", f"0.0.0.0:{port}", "0.0.0.0:0", "LISTENING", pid))
    rows += [("TCP", "0.0.0.0:5985", "0.0.0.0:0", "LISTENING", 4), ("TCP", "0.0.0.0:49664", "0.0.0.0:0", "LISTENING", 792),
             ("TCP", "10.0.0.25:139", "0.0.0.0:0", "LISTENING", 4)]
    rows += list(extra)
    rows += [("TCP", "10.0.0.25:49811", "20.42.65.90:443", "ESTABLISHED", 3528), ("TCP", "[::]:135", "[::]:0", "LISTENING", 1012)]
    if listen:
        rows += [("TCP", f"[::]:{port}", "[::]:0", "LISTENING", pid), ("UDP", f"0.0.0.0:{port}", "*:*", "", pid)]
    rows += [("UDP", "0.0.0.0:5353", "*:*", "", 2284)]
    out = ["", "Active Connections", "", "  Proto  Local Address          Foreign Address        State           PID"]
    for proto, local, foreign, state, p in rows:
        if proto == "UDP":
            out.append(f"  {proto:<5}  {local:<22} {foreign:<38} {p}")
        else:
            out.append(f"  {proto:<5}  {local:<22} {foreign:<22} {state:<15} {p}")
    return oem("\n".join(out) + "\n")

def tasklist(extra=()):
    procs = [("System Idle Process", 0, "N/A"), ("System", 4, "N/A"), ("Registry", 124, "N/A"), ("smss.exe", 412, "N/A"),
             ("csrss.exe", 568, "N/A"), ("wininit.exe", 648, "N/A"), ("services.exe", 792, "N/A"), ("lsass.exe", 812, "KeyIso, SamSs, VaultSvc"),
             ("svchost.exe", 1012, "RpcEptMapper, RpcSs"), ("svchost.exe", TERMSVC_PID, "TermService"),
             ("svchost.exe", 1310, "SessionEnv"), ("svchost.exe", 1388, "UmRdpService"), ("svchost.exe", 2284, "Dnscache"),
             ("explorer.exe", 3528, "N/A")] + list(extra)
    out = ["", "Image Name                     PID Services                                    ",
           "========================= ======== ============================================"]
    for img, pid, svcs in procs:
        out.append(f"{img:<25} {pid:>8} {svcs:<44}")
    return oem("\n".join(out) + "\n")

SC_STATES = {"RUNNING": (4, "(STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)"), "STOPPED": (1, "(NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)")}

def sc(name, state="RUNNING", pid=None, typ="30  WIN32"):
    code, flags = SC_STATES[state]
    exit_code = "0  (0x0)" if state == "RUNNING" else "1077  (0x435)"
    return oem("\n".join(["", f"SERVICE_NAME: {name} ", f"        TYPE               : {typ}  ",
                          f"        STATE              : {code}  {state} ", f"                                {flags}",
                          f"        WIN32_EXIT_CODE    : {exit_code}", "        SERVICE_EXIT_CODE  : 0  (0x0)",
                          "        CHECKPOINT         : 0x0", "        WAIT_HINT          : 0x0",
                          f"        PID                : {pid if state == 'RUNNING' else 0}", "        FLAGS              : ", ""]))

def fw_rule(name, enabled="Yes", direction="In", profiles="Domain,Private,Public", grouping="Remote Desktop",
            protocol="TCP", lport="3389", remote="Any", action="Allow", program="%SystemRoot%\\system32\\svchost.exe", service="termservice", desc=None):
    lines = [f"Rule Name:                            {name}", "-" * 70]
    if desc:
        lines.append(f"Description:                          {desc}")
    lines += [f"Enabled:                              {enabled}", f"Direction:                            {direction}",
              f"Profiles:                             {profiles}", f"Grouping:                             {grouping}",
              "LocalIP:                              Any", f"RemoteIP:                             {remote}",
              f"Protocol:                             {protocol}"]
    if protocol in ("TCP", "UDP"):
        lines += [f"LocalPort:                            {lport}", "RemotePort:                           Any"]
    lines += ["Edge traversal:                       No", f"Program:                              {program}",
              f"Service:                              {service}", "InterfaceTypes:                       Any",
              "Security:                             NotRequired", "Rule source:                          Local Setting",
              f"Action:                               {action}", ""]
    return "\n".join(lines)

def rdp_rules(enabled="Yes", profiles="Domain,Private,Public", remote="Any", lport="3389"):
    return [fw_rule("Remote Desktop - User Mode (TCP-In)", enabled, profiles=profiles, remote=remote, lport=lport,
                    desc="Inbound rule for the Remote Desktop service to allow RDP traffic. [TCP 3389]"),
            fw_rule("Remote Desktop - User Mode (UDP-In)", enabled, profiles=profiles, remote=remote, protocol="UDP", lport=lport,
                    desc="Inbound rule for the Remote Desktop service to allow RDP traffic. [UDP 3389]"),
            fw_rule("Remote Desktop - Shadow (TCP-In)", enabled, profiles=profiles, remote=remote, lport="Any",
                    program="%SystemRoot%\\system32\\RdpSa.exe", service="Any",
                    desc="Inbound rule for the Remote Desktop service to allow shadowing of an existing Remote Desktop session. (TCP-In)")]

def netsh_rules(rules=None, extra=()):
    rules = rdp_rules() if rules is None else rules
    others = [fw_rule("Core Networking - Dynamic Host Configuration Protocol (DHCP-In)", grouping="Core Networking", protocol="UDP", lport="68",
                      program="%SystemRoot%\\system32\\svchost.exe", service="dhcp"),
              fw_rule("Windows Remote Management (HTTP-In)", grouping="Windows Remote Management", lport="5985", program="System", service="Any", profiles="Domain,Private")]
    return oem("\n" + "\n".join(others + list(rules) + list(extra)) + "Ok.\n\n")

def netsh_profiles(public_on=True):
    out = [""]
    for prof, on in (("Domain", True), ("Private", True), ("Public", public_on)):
        out += [f"{prof} Profile Settings: ", "-" * 70, f"State                                 {'ON' if on else 'OFF'}",
                "Firewall Policy                       BlockInbound,AllowOutbound", "LocalFirewallRules                    N/A (GPO-store only)",
                "LocalConSecRules                      N/A (GPO-store only)", "InboundUserNotification               Disable",
                "RemoteManagement                      Disable", "UnicastResponseToMulticast            Enable", "", "Logging:",
                "LogAllowedConnections                 Disable", "LogDroppedConnections                 Disable",
                "FileName                              %systemroot%\\system32\\LogFiles\\Firewall\\pfirewall.log",
                "MaxFileSize                           4096", ""]
    out += ["Ok.", "", ""]
    return oem("\n".join(out))

MK = r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys"

def icacls(aces=("Everyone:(R,W)", "BUILTIN\\Administrators:(F)")):
    pad = " " * (len(MK) + 1)
    lines = [MK + " " + aces[0]] + [pad + a for a in aces[1:]] + ["", "Successfully processed 1 files; Failed processing 0 files", ""]
    return oem("\n".join(lines))

def certutil(ders):
    out = ["Remote Desktop"]
    for i, (der, nb, na, with_key) in enumerate(ders):
        out += [f"================ Certificate {i} ================", f"Serial Number: {hashlib.md5(der).hexdigest()[:32]}",
                f"Issuer: CN={HOST}", f" NotBefore: {nb}", f" NotAfter: {na}", f"Subject: CN={HOST}", "Non-root Certificate",
                f"Cert Hash(sha1): {thumb(der).lower()}"]
        if with_key:
            out += ["  Key Container = TSSecKeySet1", "  Unique container name: f686aace6942fb7f7ceb231212eef4a4_5e1d9a0c-8f3b-4d2e-a6c7-1b9e0f4d2a83",
                    "  Provider = Microsoft Enhanced RSA and AES Cryptographic Provider", "Encryption test passed"]
        else:
            out += ["No key provider information", "Cannot find the certificate and private key for decryption."]
    out += ["CertUtil: -store command completed successfully.", ""]
    return oem("\n".join(out))

# ---------------------------------------------------------------- events (wevtutil qe /f:xml)

def event_4624(rid, time, user, ip, logon_type=10):
    return (f"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/>"
            f"<EventID>4624</EventID><Version>2</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>"
            f"<TimeCreated SystemTime='{time}'/><EventRecordID>{rid}</EventRecordID><Correlation ActivityID='{{8d1c2f0a-5b7e-0001-3a4f-1c8d2f0ad901}}'/>"
            f"<Execution ProcessID='812' ThreadID='4420'/><Channel>Security</Channel><Computer>{HOST}.contoso.local</Computer><Security/></System>"
            f"<EventData><Data Name='SubjectUserSid'>S-1-5-18</Data><Data Name='SubjectUserName'>{HOST}$</Data><Data Name='SubjectDomainName'>{DOMAIN}</Data>"
            f"<Data Name='SubjectLogonId'>0x3e7</Data><Data Name='TargetUserSid'>S-1-5-21-1004336348-1177238915-682003330-1105</Data>"
            f"<Data Name='TargetUserName'>{user}</Data><Data Name='TargetDomainName'>{DOMAIN}</Data><Data Name='TargetLogonId'>0x2b4c1e7</Data>"
            f"<Data Name='LogonType'>{logon_type}</Data><Data Name='LogonProcessName'>User32 </Data><Data Name='AuthenticationPackageName'>Negotiate</Data>"
            f"<Data Name='WorkstationName'>{HOST}</Data><Data Name='LogonGuid'>{{00000000-0000-0000-0000-000000000000}}</Data>"
            f"<Data Name='TransmittedServices'>-</Data><Data Name='LmPackageName'>-</Data><Data Name='KeyLength'>0</Data>"
            f"<Data Name='ProcessId'>0x4d4</Data><Data Name='ProcessName'>C:\\Windows\\System32\\svchost.exe</Data>"
            f"<Data Name='IpAddress'>{ip}</Data><Data Name='IpPort'>0</Data><Data Name='ImpersonationLevel'>%%1833</Data>"
            f"<Data Name='RestrictedAdminMode'>%%1843</Data><Data Name='TargetOutboundUserName'>-</Data><Data Name='TargetOutboundDomainName'>-</Data>"
            f"<Data Name='VirtualAccount'>%%1843</Data><Data Name='TargetLinkedLogonId'>0x0</Data><Data Name='ElevatedToken'>%%1842</Data></EventData></Event>")

def event_4625(rid, time, user, ip, status, sub, logon_type, proc="User32 ", pkg="Negotiate", domain=DOMAIN):
    svchost = "C:\\Windows\\System32\\svchost.exe"
    process_name = "-" if logon_type == 3 else svchost
    return (f"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/>"
            f"<EventID>4625</EventID><Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords>"
            f"<TimeCreated SystemTime='{time}'/><EventRecordID>{rid}</EventRecordID><Correlation ActivityID='{{8d1c2f0a-5b7e-0001-3a4f-1c8d2f0ad901}}'/>"
            f"<Execution ProcessID='812' ThreadID='5120'/><Channel>Security</Channel><Computer>{HOST}.contoso.local</Computer><Security/></System>"
            f"<EventData><Data Name='SubjectUserSid'>S-1-5-18</Data><Data Name='SubjectUserName'>{HOST}$</Data><Data Name='SubjectDomainName'>{DOMAIN}</Data>"
            f"<Data Name='SubjectLogonId'>0x3e7</Data><Data Name='TargetUserSid'>S-1-0-0</Data><Data Name='TargetUserName'>{user}</Data>"
            f"<Data Name='TargetDomainName'>{domain}</Data><Data Name='Status'>{status}</Data><Data Name='FailureReason'>%%2308</Data>"
            f"<Data Name='SubStatus'>{sub}</Data><Data Name='LogonType'>{logon_type}</Data><Data Name='LogonProcessName'>{proc}</Data>"
            f"<Data Name='AuthenticationPackageName'>{pkg}</Data><Data Name='WorkstationName'>{'-' if logon_type == 3 else HOST}</Data>"
            f"<Data Name='TransmittedServices'>-</Data><Data Name='LmPackageName'>-</Data><Data Name='KeyLength'>0</Data>"
            f"<Data Name='ProcessId'>{'0x0' if logon_type == 3 else '0x4d4'}</Data><Data Name='ProcessName'>{process_name}</Data>"
            f"<Data Name='IpAddress'>{ip}</Data><Data Name='IpPort'>{'0' if logon_type == 10 else '52144'}</Data></EventData></Event>")

def security_xml(events):
    return ("\r\n".join(events) + "\r\n").encode("utf-8")

BASE_EVENTS = [event_4624(184201, "2026-11-19T08:02:11.4471203Z", "jsmith", "10.0.0.77"),
               event_4624(184288, "2026-11-20T07:58:40.1093311Z", "jsmith", "10.0.0.77")]

# ---------------------------------------------------------------- bundle assembly

def baseline():
    """path -> (producer, bytes, code_page)"""
    return {
        "registry/terminal-server.reg": ("RegEnumKeyExW/RegEnumValueW " + TS, terminal_server(), None),
        "registry/terminal-services-policies.reg": ("RegEnumKeyExW/RegEnumValueW " + POL, policies(0), None),
        "registry/service-termservice.reg": ("RegEnumKeyExW/RegEnumValueW " + SVC + r"\TermService",
                                             service("TermService", 3, "%SystemRoot%\\System32\\svchost.exe -k NetworkService", "NT Authority\\NetworkService", ["RPCSS"], "termsrv.dll"), None),
        "registry/service-umrdpservice.reg": ("RegEnumKeyExW/RegEnumValueW " + SVC + r"\UmRdpService",
                                              service("UmRdpService", 3, "%SystemRoot%\\System32\\svchost.exe -k LocalSystemNetworkRestricted -p", "localSystem", ["TermService", "RDPDR"], "umrdp.dll"), None),
        "registry/service-sessionenv.reg": ("RegEnumKeyExW/RegEnumValueW " + SVC + r"\SessionEnv",
                                            service("SessionEnv", 3, "%SystemRoot%\\System32\\svchost.exe -k netsvcs -p", "localSystem", ["RPCSS", "LanmanWorkstation"], "sessenv.dll"), None),
        "registry/systemcertificates-remote-desktop.reg": ("RegEnumKeyExW/RegEnumValueW " + STORE, cert_store([(GOOD, True)]), None),
        "gpresult/gpresult.html": (r"C:\Windows\System32\gpresult.exe /H <temp>\gpresult.html /F", gpresult(), None),
        "commands/qwinsta.txt": (r"C:\Windows\System32\qwinsta.exe", qwinsta(), 437),
        "commands/netstat-ano.txt": (r"C:\Windows\System32\netstat.exe -ano", netstat(), 437),
        "commands/tasklist-svc.txt": (r"C:\Windows\System32\tasklist.exe /svc", tasklist(), 437),
        "commands/sc-queryex-TermService.txt": (r"C:\Windows\System32\sc.exe queryex TermService", sc("TermService", pid=TERMSVC_PID), 437),
        "commands/sc-queryex-UmRdpService.txt": (r"C:\Windows\System32\sc.exe queryex UmRdpService", sc("UmRdpService", pid=1388), 437),
        "commands/sc-queryex-SessionEnv.txt": (r"C:\Windows\System32\sc.exe queryex SessionEnv", sc("SessionEnv", pid=1310), 437),
        "commands/netsh-firewall-rules.txt": (r"C:\Windows\System32\netsh.exe advfirewall firewall show rule name=all verbose", netsh_rules(), 437),
        "commands/netsh-firewall-profiles.txt": (r"C:\Windows\System32\netsh.exe advfirewall show allprofiles", netsh_profiles(), 437),
        "commands/icacls-machinekeys.txt": (r"C:\Windows\System32\icacls.exe " + MK, icacls(), 437),
        "commands/certutil-remote-desktop.txt": (r'C:\Windows\System32\certutil.exe -store "Remote Desktop"',
                                                  certutil([(GOOD, "8/1/2026 9:00 AM", "1/31/2027 9:00 AM", True)]), 437),
        "certs/remote-desktop/" + thumb(GOOD) + ".cer": ("CertEnumCertificatesInStore Remote Desktop", GOOD, None),
        "certs/index.json": ("CertEnumCertificatesInStore Remote Desktop, My", cert_index([(GOOD, "Remote Desktop", True)]), None),
        "events/Security.xml": ("wevtutil.exe qe Security /f:xml", security_xml(BASE_EVENTS), None),
    }

def cert_index(entries):
    return (json.dumps([{"path": f"certs/{'remote-desktop' if store == 'Remote Desktop' else 'my'}/{thumb(der)}.cer", "store": store,
                         "thumbprint": thumb(der), "has_private_key": key,
                         **({"key_container": "f686aace6942fb7f7ceb231212eef4a4_5e1d9a0c-8f3b-4d2e-a6c7-1b9e0f4d2a83", "private_key_accessible": True} if key else {})}
                        for der, store, key in entries], indent=2) + "\n").encode()

def write(name, files, expected, manifest=True, elevated=True, failed=(), os_info=None):
    d = os.path.join(FIX, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    records = []
    for path, (producer, data, cp) in files.items():
        full = os.path.join(d, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        open(full, "wb").write(data)
        rec = {"path": path, "producer": producer, "status": "ok", "duration_ms": 40, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if producer.startswith("C:\\"):
            rec["exit_code"] = 0
        if cp:
            rec["code_page"] = cp
        records.append(rec)
    for path, producer, status, message in failed:
        records.append({"path": path, "producer": producer, "status": status, "message": message, "duration_ms": 12, "size": 0})
    if manifest:
        m = {"format_version": 1, "collector": "rdp-collect", "collector_version": "0.1.0", "host_name": HOST,
             "os": os_info or {"product_name": "Windows 11 Pro", "edition_id": "Professional", "installation_type": "Client", "display_version": "24H2", "build": "26100.2314"},
             "started_utc": STARTED, "finished_utc": FINISHED, "elevated": elevated, "options": ["--days", "14"], "artifacts": records}
        open(os.path.join(d, "manifest.json"), "w").write(json.dumps(m, indent=2) + "\n")
    open(os.path.join(d, "expected.json"), "w").write(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")

NOT_FOUND_CREDSSP = ("registry/credssp-policy.reg", "RegOpenKeyExW " + r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP", "not_found", "The system cannot find the file specified. (os error 2)")

def scenarios():
    b = baseline

    write("healthy", b(), {"description": "A healthy Windows 11 workstation: RDP enabled by GPO, services running, listener on 3389, firewall open, valid self-signed certificate, two successful RDP logons. The CredSSP policy key does not exist, which is normal (info only).",
                           "must": [{"id": "RDP901", "severity": "info", "facts": {"artifact": "registry/credssp-policy.reg", "status": "not_found"}}],
                           "must_not": [c for c in ALL_IDS if c != "RDP901"]}, failed=[NOT_FOUND_CREDSSP])

    f = b(); f["registry/terminal-server.reg"] = (f["registry/terminal-server.reg"][0], terminal_server(deny=1), None)
    f["registry/terminal-services-policies.reg"] = (f["registry/terminal-services-policies.reg"][0], policies(None), None)
    f["gpresult/gpresult.html"] = (f["gpresult/gpresult.html"][0], gpresult(allow_setting="Not configured"), None)
    f["commands/qwinsta.txt"] = (f["commands/qwinsta.txt"][0], qwinsta(listener=False), 437)
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(listen=False), 437)
    write("rdp-disabled", f, {"description": "Remote Desktop switched off locally (fDenyTSConnections = 1); no policy configures it.",
                              "must": [{"id": "RDP001", "severity": "error", "facts": {"value": "1"}},
                                       {"id": "RDP005", "severity": "info"}, {"id": "RDP007", "severity": "info"}],
                              "must_not": ["RDP002", "RDP003", "RDP008"]})

    f = b(); f["registry/terminal-services-policies.reg"] = (f["registry/terminal-services-policies.reg"][0], policies(1), None)
    f["gpresult/gpresult.html"] = (f["gpresult/gpresult.html"][0], gpresult(allow_setting="Disabled", allow_gpo="Contoso - Workstation Lockdown",
                                   gpos=["Local Group Policy [LocalGPO]", "Contoso - Workstation Lockdown [{E2A1C3D4-5B6F-4789-A0B1-C2D3E4F5A6B7}]", "Default Domain Policy [{31B2F340-016D-11D2-945F-00C04FB984F9}]"]), None)
    f["commands/qwinsta.txt"] = (f["commands/qwinsta.txt"][0], qwinsta(listener=False), 437)
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(listen=False), 437)
    write("rdp-blocked-by-gpo", f, {"description": "A domain GPO disables 'Allow users to connect remotely by using Remote Desktop Services'.",
                                    "must": [{"id": "RDP002", "severity": "error", "facts": {"winning_gpo": "Contoso - Workstation Lockdown"}},
                                             {"id": "RDP005", "severity": "info"}, {"id": "RDP007", "severity": "info"}],
                                    "must_not": ["RDP001", "RDP003"]})

    f = b(); f["gpresult/gpresult.html"] = (f["gpresult/gpresult.html"][0], gpresult(allow_setting="Not configured",
        extra_pref=gp_pref_registry(TS, "fDenyTSConnections", "0x1 (1)", "Contoso - Kiosk Hardening")), None)
    f["registry/terminal-server.reg"] = (f["registry/terminal-server.reg"][0], terminal_server(deny=1), None)
    f["registry/terminal-services-policies.reg"] = (f["registry/terminal-services-policies.reg"][0], policies(None), None)
    f["commands/qwinsta.txt"] = (f["commands/qwinsta.txt"][0], qwinsta(listener=False), 437)
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(listen=False), 437)
    write("rdp-blocked-by-gpp", f, {"description": "A Group Policy Preferences registry item writes fDenyTSConnections = 1 into the Terminal Server key.",
                                    "must": [{"id": "RDP002", "severity": "error", "facts": {"winning_gpo": "Contoso - Kiosk Hardening"}},
                                             {"id": "RDP001", "severity": "error"}],
                                    "tolerate": ["RDP005", "RDP007"], "must_not": ["RDP003"]})

    f = b(); f["commands/sc-queryex-TermService.txt"] = (f["commands/sc-queryex-TermService.txt"][0], sc("TermService", "STOPPED"), 437)
    f["commands/sc-queryex-UmRdpService.txt"] = (f["commands/sc-queryex-UmRdpService.txt"][0], sc("UmRdpService", "STOPPED"), 437)
    f["registry/service-termservice.reg"] = (f["registry/service-termservice.reg"][0], service("TermService", 4, "%SystemRoot%\\System32\\svchost.exe -k NetworkService", "NT Authority\\NetworkService", ["RPCSS"], "termsrv.dll"), None)
    f["commands/qwinsta.txt"] = (f["commands/qwinsta.txt"][0], qwinsta(listener=False), 437)
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(listen=False), 437)
    f["commands/tasklist-svc.txt"] = (f["commands/tasklist-svc.txt"][0], tasklist(), 437)
    write("termservice-stopped", f, {"description": "TermService disabled (Start = 4) and stopped; UmRdpService stopped with it; nothing listens.",
                                     "must": [{"id": "RDP003", "severity": "error", "facts": {"state": "STOPPED", "start_type": "disabled"}},
                                              {"id": "RDP004", "severity": "warning"}, {"id": "RDP005", "severity": "info"}, {"id": "RDP007", "severity": "info"}],
                                     "must_not": ["RDP001", "RDP002", "RDP008"]})

    f = b(); f["commands/sc-queryex-UmRdpService.txt"] = (f["commands/sc-queryex-UmRdpService.txt"][0], sc("UmRdpService", "STOPPED"), 437)
    f["registry/service-umrdpservice.reg"] = (f["registry/service-umrdpservice.reg"][0], service("UmRdpService", 4, "%SystemRoot%\\System32\\svchost.exe -k LocalSystemNetworkRestricted -p", "localSystem", ["TermService", "RDPDR"], "umrdp.dll"), None)
    write("umrdpservice-disabled", f, {"description": "UmRdpService disabled by a hardening script.",
                                       "must": [{"id": "RDP004", "severity": "warning", "facts": {"start_type": "disabled"}}], "must_not": ["RDP003"]})

    f = b(); f["registry/terminal-server.reg"] = (f["registry/terminal-server.reg"][0], terminal_server(rdp_tcp=False), None)
    f["commands/qwinsta.txt"] = (f["commands/qwinsta.txt"][0], qwinsta(listener=False), 437)
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(listen=False), 437)
    write("listener-missing", f, {"description": "The WinStations\\RDP-Tcp key was deleted: no listener.",
                                  "must": [{"id": "RDP005", "severity": "error", "facts": {"rdp_tcp_key": "missing"}}, {"id": "RDP007", "severity": "error"}],
                                  "must_not": ["RDP001", "RDP003"]})

    f = b(); f["registry/terminal-server.reg"] = (f["registry/terminal-server.reg"][0], terminal_server(enable=0), None)
    f["commands/qwinsta.txt"] = (f["commands/qwinsta.txt"][0], qwinsta(listener=False), 437)
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(listen=False), 437)
    write("listener-disabled", f, {"description": "The RDP-Tcp listener is disabled (fEnableWinStation = 0).",
                                   "must": [{"id": "RDP005", "severity": "error", "facts": {"fEnableWinStation": "0"}}, {"id": "RDP007", "severity": "error"}],
                                   "must_not": ["RDP001"]})

    f = b(); f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(listen=False), 437)
    write("port-not-listening", f, {"description": "qwinsta shows the listener but nothing is bound to TCP 3389.",
                                    "must": [{"id": "RDP007", "severity": "error", "facts": {"port": "3389"}}], "must_not": ["RDP005", "RDP008"]})

    f = b(); f["registry/terminal-server.reg"] = (f["registry/terminal-server.reg"][0], terminal_server(port=3390), None)
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(port=3390), 437)
    f["commands/netsh-firewall-rules.txt"] = (f["commands/netsh-firewall-rules.txt"][0], netsh_rules(extra=[fw_rule("RDP custom port 3390", grouping="", lport="3390", program="Any", service="Any")]), 437)
    write("non-default-port", f, {"description": "RDP moved to TCP 3390, firewall opened for it: only the port warning.",
                                  "must": [{"id": "RDP006", "severity": "warning", "facts": {"port": "3390"}}], "must_not": ["RDP007", "RDP009"]})

    f = b(); f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(pid=4242), 437)
    f["commands/tasklist-svc.txt"] = (f["commands/tasklist-svc.txt"][0], tasklist(extra=[("RemoteSupportAgent.exe", 4242, "RsAgentSvc")]), 437)
    write("port-conflict", f, {"description": "A remote-support agent grabbed TCP 3389 before TermService.",
                               "must": [{"id": "RDP008", "severity": "error", "facts": {"pid": "4242", "process": "RemoteSupportAgent.exe", "services": "RsAgentSvc"}}],
                               "must_not": ["RDP007"]})

    f = b(); f["commands/netsh-firewall-rules.txt"] = (f["commands/netsh-firewall-rules.txt"][0], netsh_rules(rdp_rules(enabled="No")), 437)
    write("firewall-rule-disabled", f, {"description": "The built-in Remote Desktop inbound rules are disabled while all profiles are on.",
                                        "must": [{"id": "RDP009", "severity": "error", "facts": {"profiles": "Domain,Private,Public"}}], "must_not": ["RDP010"]})

    f = b(); f["commands/netsh-firewall-rules.txt"] = (f["commands/netsh-firewall-rules.txt"][0], netsh_rules(rdp_rules(profiles="Domain")), 437)
    write("firewall-wrong-profile", f, {"description": "Remote Desktop rules are enabled for the Domain profile only; Private and Public are on.",
                                        "must": [{"id": "RDP009", "severity": "error", "facts": {"profiles": "Private,Public"}}]})

    f = b(); f["commands/netsh-firewall-rules.txt"] = (f["commands/netsh-firewall-rules.txt"][0], netsh_rules(rdp_rules(remote="10.20.0.0/255.255.0.0,LocalSubnet")), 437)
    write("firewall-remote-scope", f, {"description": "Remote Desktop rules admit only 10.20.0.0/16 and the local subnet.",
                                       "must": [{"id": "RDP010", "severity": "warning"}], "must_not": ["RDP009"]})

    f = b()
    f["registry/systemcertificates-remote-desktop.reg"] = (f["registry/systemcertificates-remote-desktop.reg"][0], cert_store([(EXPIRED, True)]), None)
    f["commands/certutil-remote-desktop.txt"] = (f["commands/certutil-remote-desktop.txt"][0], certutil([(EXPIRED, "11/3/2025 9:00 AM", "5/4/2026 9:00 AM", True)]), 437)
    del f["certs/remote-desktop/" + thumb(GOOD) + ".cer"]
    f["certs/remote-desktop/" + thumb(EXPIRED) + ".cer"] = ("CertEnumCertificatesInStore Remote Desktop", EXPIRED, None)
    f["certs/index.json"] = (f["certs/index.json"][0], cert_index([(EXPIRED, "Remote Desktop", True)]), None)
    write("certificate-expired", f, {"description": "The RDP self-signed certificate expired and was not renewed.",
                                     "must": [{"id": "RDP011", "severity": "error", "facts": {"problem": "expired", "thumbprint": thumb(EXPIRED)}}],
                                     "must_not": ["RDP012"]})

    f = b()
    f["registry/systemcertificates-remote-desktop.reg"] = (f["registry/systemcertificates-remote-desktop.reg"][0], cert_store([(GOOD, False)]), None)
    f["commands/certutil-remote-desktop.txt"] = (f["commands/certutil-remote-desktop.txt"][0], certutil([(GOOD, "8/1/2026 9:00 AM", "1/31/2027 9:00 AM", False)]), 437)
    f["certs/index.json"] = (f["certs/index.json"][0], cert_index([(GOOD, "Remote Desktop", False)]), None)
    write("certificate-no-private-key", f, {"description": "The RDP certificate's private key is gone (MachineKeys file deleted).",
                                            "must": [{"id": "RDP011", "severity": "error", "facts": {"problem": "no-private-key"}}]})

    bogus = "5F3A9C0E21B47D86A0C3E5F719B2D4068A1C3E5F"
    f = b(); f["registry/terminal-server.reg"] = (f["registry/terminal-server.reg"][0], terminal_server(cert_hash=bogus), None)
    write("certificate-thumbprint-unknown", f, {"description": "SSLCertificateSHA1Hash pins a certificate that was deleted on renewal.",
                                                "must": [{"id": "RDP012", "severity": "error", "facts": {"thumbprint": bogus}}], "must_not": ["RDP011"]})

    f = b(); f["commands/icacls-machinekeys.txt"] = (f["commands/icacls-machinekeys.txt"][0], icacls(("BUILTIN\\Administrators:(R)", "NT AUTHORITY\\SYSTEM:(F)")), 437)
    write("machinekeys-acl", f, {"description": "A hardening script replaced the MachineKeys ACL: Administrators read-only, Everyone removed.",
                                 "must": [{"id": "RDP013", "severity": "error"}]})

    ev = BASE_EVENTS + [
        event_4625(184290 + i, f"2026-11-20T08:{10 + i:02d}:03.{i}512771Z", "jdoe", "203.0.113.7", "0xc000015b", "0x0", 10) for i in range(3)
    ] + [
        event_4625(184300 + i, f"2026-11-20T09:{i:02d}:44.{i}0012Z", "administrator", "198.51.100.23", "0xc000006d", "0xc000006a", 3, proc="NtLmSsp ", pkg="NTLM", domain="") for i in range(5)
    ] + [event_4625(184320, "2026-11-20T09:30:00.5000000Z", "asmith", "10.0.0.88", "0xc0000234", "0x0", 3, proc="NtLmSsp ", pkg="NTLM")]
    f = b(); f["events/Security.xml"] = (f["events/Security.xml"][0], security_xml(ev), None)
    write("failed-logons", f, {"description": "Security log: jdoe lacks the right to log on through RDS (0xC000015B), brute force on administrator, asmith locked out.",
                               "must": [{"id": "RDP014", "severity": "error", "facts": {"status": "0xC000015B", "users": "CONTOSO\\jdoe", "count": "3"}},
                                        {"id": "RDP014", "severity": "warning", "facts": {"status": "0xC000006A", "count": "5"}},
                                        {"id": "RDP014", "severity": "error", "facts": {"status": "0xC0000234"}}]})

    f = b(); f["registry/terminal-server.reg"] = (f["registry/terminal-server.reg"][0], terminal_server(deny=1), None)
    f["registry/terminal-services-policies.reg"] = (f["registry/terminal-services-policies.reg"][0], policies(None), None)
    f["gpresult/gpresult.html"] = (f["gpresult/gpresult.html"][0], gpresult(allow_setting="Not configured"), None)
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], netstat(pid=4242), 437)
    f["commands/tasklist-svc.txt"] = (f["commands/tasklist-svc.txt"][0], tasklist(extra=[("nginx.exe", 4242, "N/A")]), 437)
    f["commands/netsh-firewall-rules.txt"] = (f["commands/netsh-firewall-rules.txt"][0], netsh_rules(rdp_rules(enabled="No")), 437)
    f["commands/icacls-machinekeys.txt"] = (f["commands/icacls-machinekeys.txt"][0], icacls(("Everyone:(R)", "BUILTIN\\Administrators:(F)")), 437)
    write("multiple-faults", f, {"description": "Several faults at once: RDP off, nginx on 3389, firewall rules disabled, MachineKeys ACL lacks Everyone write.",
                                 "must": [{"id": "RDP001", "severity": "error"}, {"id": "RDP008", "severity": "error", "facts": {"process": "nginx.exe"}},
                                          {"id": "RDP009", "severity": "error"}, {"id": "RDP013", "severity": "error"}],
                                 "must_not": ["RDP002", "RDP003"]})

    f = b()
    for k in ["events/Security.xml", "commands/icacls-machinekeys.txt", "gpresult/gpresult.html"]:
        del f[k]
    write("not-elevated", f, {"description": "Collected without elevation: Security log and MachineKeys ACL denied, gpresult computer data refused.",
                              "must": [{"id": "RDP902", "severity": "warning"}, {"id": "RDP901", "severity": "warning", "facts": {"artifact": "events/Security.evtx", "status": "access_denied"}},
                                       {"id": "RDP901", "severity": "warning", "facts": {"artifact": "commands/icacls-machinekeys.txt"}}],
                              "not_evaluated": ["RDP013", "RDP014"], "must_not": ["RDP001"]},
          elevated=False, failed=[
              ("events/Security.evtx", "EvtExportLog Security", "access_denied", "Access is denied. (os error 5)"),
              ("commands/icacls-machinekeys.txt", r"C:\Windows\System32\icacls.exe " + MK, "access_denied", "MK: Access is denied. exit code 5"),
              ("gpresult/gpresult.html", r"C:\Windows\System32\gpresult.exe /H <temp>\gpresult.html /F", "failed",
               "exit code 1: ERROR: Access denied. You do not have permission to view computer RSoP data."), NOT_FOUND_CREDSSP])

    # Loose files: what a customer pastes without the collector. A UTF-8 netstat paste (LF) and
    # the gpresult report under another name.
    d = os.path.join(FIX, "loose-files")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    open(os.path.join(d, "report for support.htm"), "wb").write(gpresult(allow_setting="Disabled", allow_gpo="Local Group Policy"))
    open(os.path.join(d, "netstat.txt"), "wb").write(netstat(listen=False).replace(b"\r\n", b"\n"))
    open(os.path.join(d, "expected.json"), "w").write(json.dumps({
        "description": "No manifest: a gpresult report (renamed .htm) showing RDP disabled by Local Group Policy, and a netstat paste.",
        "must": [{"id": "RDP002", "severity": "error", "facts": {"winning_gpo": "Local Group Policy"}}, {"id": "RDP007", "severity": "info"}],
        "must_not": ["RDP900", "RDP901"], "not_evaluated": ["RDP001", "RDP003", "RDP009", "RDP014"]}, indent=2) + "\n")

    f = b()
    reg = terminal_server(deny=1)
    f["registry/terminal-server.reg"] = (f["registry/terminal-server.reg"][0], reg, None)
    f["registry/terminal-services-policies.reg"] = (f["registry/terminal-services-policies.reg"][0], policies(None), None)
    f["gpresult/gpresult.html"] = (f["gpresult/gpresult.html"][0], gpresult(allow_setting="Not configured"), None)
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], b"\x00\x01\x02garbage\xff\xfe\x00binary noise that is not netstat" * 20, 437)
    f["registry/service-termservice.reg"] = (f["registry/service-termservice.reg"][0], service("TermService", 3, "%SystemRoot%\\System32\\svchost.exe -k NetworkService", "NT Authority\\NetworkService", ["RPCSS"], "termsrv.dll")[:301], None)
    f["certs/remote-desktop/" + thumb(GOOD) + ".cer"] = ("CertEnumCertificatesInStore Remote Desktop", GOOD[:200], None)
    write("corrupt-artifacts", f, {"description": "A truncated UTF-16 .reg (odd byte count), a binary-garbage netstat file and a truncated certificate; RDP disabled still found from the intact export.",
                                   "must": [{"id": "RDP001", "severity": "error"}, {"id": "RDP900", "facts": {"artifact": "commands/netstat-ano.txt"}},
                                            {"id": "RDP900", "facts": {"artifact": "certs/remote-desktop/" + thumb(GOOD) + ".cer"}}],
                                   "tolerate": ["RDP005", "RDP900"], "must_not": ["RDP007"]})
    localized()

def localized():
    # German Windows, CP850 console output: the listener is on, but the firewall rules (German
    # labels) are disabled and the port is held by another process.
    f = baseline()
    qw = (" SITZUNGSNAME      BENUTZERNAME             ID  STATUS  TYP         GERÄT \n"
          " services                                    0  Getr.                       \n"
          ">console           jschmidt                  1  Aktiv                       \n"
          " rdp-tcp                                 65536  Abhören                     \n")
    f["commands/qwinsta.txt"] = (f["commands/qwinsta.txt"][0], oem(qw, "cp850"), 850)
    ns = ("\nAktive Verbindungen\n\n  Proto  Lokale Adresse         Remoteadresse          Status           PID\n"
          "  TCP    0.0.0.0:135            0.0.0.0:0              ABHÖREN         1012\n"
          "  TCP    0.0.0.0:3389           0.0.0.0:0              ABHÖREN         4242\n"
          "  TCP    10.0.0.25:49811        20.42.65.90:443        HERGESTELLT     3528\n"
          "  TCP    [::]:3389              [::]:0                 ABHÖREN         4242\n"
          "  UDP    0.0.0.0:3389           *:*                                    1236\n")
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], oem(ns, "cp850"), 850)
    tl = ("\nAbbildname                     PID Dienste                                     \n"
          "========================= ======== ============================================\n"
          "System Idle Process              0 Nicht zutreffend                            \n"
          "System                           4 Nicht zutreffend                            \n"
          "svchost.exe                   1236 TermService                                 \n"
          "svchost.exe                   1388 UmRdpService                                \n"
          "FernwartungsDienst.exe        4242 FwDienst                                    \n")
    f["commands/tasklist-svc.txt"] = (f["commands/tasklist-svc.txt"][0], oem(tl, "cp850"), 850)
    def de_sc(name, pid):
        return oem(f"\nSERVICE_NAME: {name} \n        TYPE               : 30  WIN32  \n        STATE              : 4  RUNNING \n"
                   "                                (STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\n        WIN32_EXIT_CODE    : 0  (0x0)\n"
                   "        SERVICE_EXIT_CODE  : 0  (0x0)\n        CHECKPOINT         : 0x0\n        WAIT_HINT          : 0x0\n"
                   f"        PID                : {pid}\n        FLAGS              : \n", "cp850")
    f["commands/sc-queryex-TermService.txt"] = (f["commands/sc-queryex-TermService.txt"][0], de_sc("TermService", 1236), 850)
    rule = lambda name, proto: ("Regelname:                            " + name + "\n" + "-" * 70 + "\n"
        "Aktiviert:                            Nein\nRichtung:                             Eingehend\nProfile:                              Domäne,Privat,Öffentlich\n"
        "Gruppierung:                          Remotedesktop\nLokale IP:                            Beliebig\nRemote-IP:                            Beliebig\n"
        f"Protokoll:                            {proto}\nLokaler Port:                         3389\nRemoteport:                           Beliebig\n"
        "Edgeausnahme:                         Nein\nAktion:                               Zulassen\n\n")
    fw = "\n" + rule("Remotedesktop - Benutzermodus (TCP eingehend)", "TCP") + rule("Remotedesktop - Benutzermodus (UDP eingehend)", "UDP") + "OK.\n\n"
    f["commands/netsh-firewall-rules.txt"] = (f["commands/netsh-firewall-rules.txt"][0], oem(fw, "cp850"), 850)
    prof = "\n"
    for p in ("Domänenprofil", "Privates Profil", "Öffentliches Profil"):
        prof += (f"{p}-Einstellungen: \n" + "-" * 70 + "\nStatus                                EIN\n"
                 "Firewallrichtlinie                    BlockInbound,AllowOutbound\n\n")
    prof += "OK.\n\n"
    f["commands/netsh-firewall-profiles.txt"] = (f["commands/netsh-firewall-profiles.txt"][0], oem(prof, "cp850"), 850)
    pad = " " * (len(MK) + 1)
    ic = (MK + " Jeder:(R,W)\n" + pad + "VORDEFINIERT\\Administratoren:(F)\n\n1 Dateien erfolgreich verarbeitet; Fehler bei 0 Dateien\n")
    f["commands/icacls-machinekeys.txt"] = (f["commands/icacls-machinekeys.txt"][0], oem(ic, "cp850"), 850)
    write("localized-de", f, {"description": "German Windows (CP850 console output): port held by another process, Remotedesktop rules disabled.",
                              "must": [{"id": "RDP008", "severity": "error", "facts": {"pid": "4242", "process": "FernwartungsDienst.exe"}},
                                       {"id": "RDP009", "severity": "error"}],
                              "must_not": ["RDP005", "RDP007", "RDP013", "RDP900"]})

    # Japanese Windows, CP932: the listener is down (qwinsta has no rdp-tcp) and netstat shows nothing on 3389.
    f = baseline()
    qw = (" セッション名      ユーザー名               ID  状態    種類        デバイス \n"
          " services                                    0  Disc                        \n"
          ">console           tanaka                    1  Active                      \n")
    f["commands/qwinsta.txt"] = (f["commands/qwinsta.txt"][0], oem(qw, "cp932"), 932)
    ns = ("\nアクティブな接続\n\n  プロトコル  ローカル アドレス      外部アドレス           状態            PID\n"
          "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1012\n"
          "  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4\n"
          "  TCP    10.0.0.25:49811        20.42.65.90:443        ESTABLISHED     3528\n")
    f["commands/netstat-ano.txt"] = (f["commands/netstat-ano.txt"][0], oem(ns, "cp932"), 932)
    f["registry/terminal-server.reg"] = (f["registry/terminal-server.reg"][0], terminal_server(enable=0), None)
    write("localized-ja", f, {"description": "Japanese Windows (CP932 console output): the listener is disabled; netstat has nothing on 3389.",
                              "must": [{"id": "RDP005", "severity": "error"}, {"id": "RDP007", "severity": "error"}],
                              "must_not": ["RDP008", "RDP900"]})

ALL_IDS = ["RDP001", "RDP002", "RDP003", "RDP004", "RDP005", "RDP006", "RDP007", "RDP008", "RDP009", "RDP010",
           "RDP011", "RDP012", "RDP013", "RDP014", "RDP900", "RDP901", "RDP902"]

if __name__ == "__main__":
    scenarios()
    print("fixtures written to", FIX)

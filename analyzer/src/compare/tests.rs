use super::*;

#[test]
fn machine_sids_are_masked_to_their_rid() {
    assert_eq!(
        mask_sids("*s-1-5-21-1004336348-1177238915-682003330-1001, *s-1-5-32-555"),
        "*s-1-5-21-*-1001, *s-1-5-32-555"
    );
    let m = Masks::new(Some("WS-RDP01"), Some("WS-RDP02"));
    assert_eq!(m.apply("WS-RDP01\\alice"), m.apply("ws-rdp02\\alice"));
    assert_ne!(m.apply("WS-RDP01\\alice"), m.apply("WS-RDP01\\bob"));
}

#[test]
fn builds_compare_by_their_number() {
    assert_eq!(build_number("26100.2314"), "26100");
    assert_eq!(build_number("26100"), "26100");
}

#[test]
fn short_key_names_what_support_says() {
    assert_eq!(
        short_key(
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp"
        ),
        r"Terminal Server\WinStations\RDP-Tcp"
    );
    assert_eq!(
        short_key(r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services"),
        r"Policies\Terminal Services"
    );
}

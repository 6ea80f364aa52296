//! Placeholder so the end-to-end package has a target until the real suites land.
#[test]
fn crates_link() {
    assert_eq!(rdp_collect::bundle::FORMAT_VERSION, 1);
}

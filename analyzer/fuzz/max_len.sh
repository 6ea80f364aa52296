# Sourced by run_all.sh and plateau.sh: the -max_len each target is fuzzed (and replayed) with.
# Large seeds make the slow parsers crawl: gpresult reports, RSoP XML and firewall rule
# dumps are mutated in their first 64 KiB, event logs in their header and first chunk, the
# BinXML reader in one chunk.
max_len() {
    case $1 in
        gpresult_html|gpresult_xml|netsh_rules|binxml) echo -max_len=65536 ;;
        evtx) echo -max_len=69632 ;;
        hive) echo -max_len=65536 ;;
        identify|text_decode) echo -max_len=262144 ;;
    esac
}

fn main() {
    eprintln!("rdp-collect: not built yet");
    std::process::exit(2);
}

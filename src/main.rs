fn main() {
    std::process::exit(berth::cli::run(std::env::args_os()));
}

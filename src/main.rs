fn main() {
    // The CLI runs on a thread with room for the loader's recursion over
    // deeply nested files (see `berth::load::LOAD_STACK`).
    let code = std::thread::Builder::new()
        .stack_size(berth::load::LOAD_STACK)
        .spawn(|| berth::cli::run(std::env::args_os()))
        .expect("a thread to run berth")
        .join()
        .unwrap_or(101);
    std::process::exit(code);
}

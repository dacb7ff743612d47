fn main() {
    std::process::exit(pullpath::cli::run(std::env::args_os()));
}

// See Cargo.toml: the audit is allocation-heavy, and mimalloc measured faster than glibc's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(pullpath::cli::run(std::env::args_os()));
}

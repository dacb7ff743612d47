//! Writes a synthetic snapshot for measuring `pullpath audit` (docs/performance.md):
//!
//! ```sh
//! cargo run --release --example synth -- --services 2000 --out /tmp/s2000.json
//! ./target/release/pullpath audit --snapshot /tmp/s2000.json --format json --output /dev/null
//! ```
//!
//! The account's shape is described in `account.rs`, which `benches/audit.rs` shares.

mod account;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Writes a realistic synthetic snapshot: per 100 services, one VPC with 250 subnets, 500
/// security groups (2,500 rules), 100 route tables, 25 VPC endpoints, 100 task definitions
/// and 25 execution roles.
#[derive(Parser)]
#[command(name = "synth")]
struct Args {
    /// Number of ECS services.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    services: u32,
    /// The snapshot file to write.
    #[arg(long)]
    out: PathBuf,
    /// The same seed gives the same account.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The account id.
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// The region.
    #[arg(long, default_value = "us-east-1")]
    region: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.account.len() != 12 || !args.account.bytes().all(|b| b.is_ascii_digit()) {
        eprintln!("synth: --account must be 12 digits");
        return ExitCode::from(2);
    }
    if args.region.is_empty()
        || !args
            .region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        eprintln!("synth: --region must be a region name such as us-east-1");
        return ExitCode::from(2);
    }
    let config = account::Config {
        seed: args.seed,
        account: args.account,
        region: args.region,
        ..account::Config::new(args.services as usize)
    };
    let snapshot = account::generate(&config);
    // The generator is meant to be valid by construction; say so loudly if it is not.
    if let Err(detail) = pullpath::model::check_consistency(&snapshot) {
        eprintln!("synth: the generated snapshot is inconsistent: {detail}");
        return ExitCode::FAILURE;
    }
    let written = std::fs::File::create(&args.out).and_then(|file| {
        let mut out = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut out, &snapshot).map_err(std::io::Error::from)?;
        out.flush()
    });
    if let Err(e) = written {
        eprintln!("synth: cannot write {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    let bytes = std::fs::metadata(&args.out).map_or(0, |m| m.len());
    eprintln!(
        "synth: wrote {} ({:.1} MB, seed {}): {}",
        args.out.display(),
        bytes as f64 / 1e6,
        config.seed,
        account::describe(&snapshot)
    );
    ExitCode::SUCCESS
}

//! The `flowshare` binary. All the work is in the library; this only sets up logging and exits
//! with a plain message and a non-zero code on failure.

use clap::Parser;
use server::cli::{run, Cli};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: profiles of the link paths showed glibc's malloc and
/// free at about a seventh of all the time, much of it contention between the runtime's threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("flowshare: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! The `flowshare` binary. All the work is in the library; this reads the configuration, sets up
//! logging and exits with a plain message and a non-zero code on failure.

use server::cli::{run, Cli};
use server::configuration::{self, LogFormat};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: profiles of the link paths showed glibc's malloc and
/// free at about a seventh of all the time, much of it contention between the runtime's threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = match configuration::parse::<Cli>(std::env::args().collect()) {
        Ok(Ok(cli)) => cli,
        // Usage errors, --help and --version: clap prints them and picks the exit code.
        Ok(Err(clap_error)) => clap_error.exit(),
        Err(err) => {
            eprintln!("flowshare: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        // The request's id and path are on every line, from the span it was written in.
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("flowshare: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

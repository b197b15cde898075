//! The `flowshare` command line: one binary to serve, migrate, add users and load flows.
//! Every setting is a flag with an environment-variable twin, documented in README.md.

use crate::db::{redact_url, Db, Store, StoreError};
use crate::http::client_ip::TrustedProxies;
use crate::security::limits::{LimitSettings, Limits, Rate};
use crate::security::session::SessionKey;
use crate::{demo, import, startup};
use app::domain::{Role, UserName};
use app::ports::CookiePolicy;
use clap::{Args, Parser, Subcommand};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "flowshare",
    version,
    about = "Share interaction flows through signed, short, embeddable links."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Where the data lives: sqlite://FILE (created if missing) or postgres://USER:PASS@HOST/DB.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://flowshare.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,
    /// Without a sub-command, `flowshare` serves (as `cargo leptos watch` runs it).
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve the console and the public link routes.
    Serve(ServeArgs),
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage console users.
    #[command(subcommand)]
    User(UserCommand),
    /// Load flows.
    #[command(subcommand)]
    Flows(FlowsCommand),
    /// Demo data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Shared links.
    #[command(subcommand)]
    Links(LinksCommand),
}

#[derive(Debug, Subcommand)]
pub enum LinksCommand {
    /// Add COUNT open short links of one flow and application, for load tests; prints their codes.
    Synthetic {
        count: usize,
        #[arg(long)]
        flow: String,
        #[arg(long)]
        application: String,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: LEPTOS_SITE_ADDR or 127.0.0.1:3000].
    #[arg(long, env = "FLOWSHARE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The console's public URL, as browsers reach it (https turns on Secure cookies) [default: http://LISTEN].
    #[arg(long, env = "FLOWSHARE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Secret that keys session-token hashes; at least 32 characters. Without it sessions end at restart.
    #[arg(long, env = "FLOWSHARE_COOKIE_SECRET", hide_env_values = true)]
    pub cookie_secret: Option<String>,
    /// Seed the demo logins, applications and flows when the database is empty.
    #[arg(long, env = "FLOWSHARE_DEMO")]
    pub demo: bool,
    /// Proxies whose X-Forwarded-For names the client, for the rate limits: addresses or CIDR
    /// blocks, comma-separated. Anyone else's X-Forwarded-For is ignored [default: none].
    #[arg(long, env = "FLOWSHARE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// Password checks that may run at once; sign-ins beyond them are answered 503 "busy"
    /// [default: two per core].
    #[arg(long, env = "FLOWSHARE_SIGN_IN_SLOTS", value_parser = clap::value_parser!(u16).range(1..))]
    pub sign_in_slots: Option<u16>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Rate limits, each COUNT/UNIT (UNIT s, min or h; a burst of COUNT, refilled evenly) or `off`.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Flow starts per client address.
    #[arg(long, env = "FLOWSHARE_LIMIT_RUN_STARTS_PER_IP", value_parser = parse_rate,
          default_value = LimitSettings::DEFAULT_RUN_STARTS_PER_IP)]
    pub limit_run_starts_per_ip: RateSetting,
    /// Flow starts per link, from all clients together.
    #[arg(long, env = "FLOWSHARE_LIMIT_RUN_STARTS_PER_LINK", value_parser = parse_rate,
          default_value = LimitSettings::DEFAULT_RUN_STARTS_PER_LINK)]
    pub limit_run_starts_per_link: RateSetting,
    /// Short codes that lead nowhere, per client address.
    #[arg(long, env = "FLOWSHARE_LIMIT_SHORT_LINK_MISSES_PER_IP", value_parser = parse_rate,
          default_value = LimitSettings::DEFAULT_SHORT_LINK_MISSES_PER_IP)]
    pub limit_short_link_misses_per_ip: RateSetting,
    /// Sign-in attempts per client address.
    #[arg(long, env = "FLOWSHARE_LIMIT_SIGN_INS_PER_IP", value_parser = parse_rate,
          default_value = LimitSettings::DEFAULT_SIGN_INS_PER_IP)]
    pub limit_sign_ins_per_ip: RateSetting,
    /// Sign-in attempts per user name (on top of the lock after repeated failures).
    #[arg(long, env = "FLOWSHARE_LIMIT_SIGN_INS_PER_NAME", value_parser = parse_rate,
          default_value = LimitSettings::DEFAULT_SIGN_INS_PER_NAME)]
    pub limit_sign_ins_per_name: RateSetting,
    /// Links generated per console user.
    #[arg(long, env = "FLOWSHARE_LIMIT_LINK_GENERATIONS_PER_USER", value_parser = parse_rate,
          default_value = LimitSettings::DEFAULT_LINK_GENERATIONS_PER_USER)]
    pub limit_link_generations_per_user: RateSetting,
}

/// A rate as given on the command line (`None`: off).
#[derive(Debug, Clone, Copy)]
pub struct RateSetting(pub Option<Rate>);

fn parse_rate(text: &str) -> Result<RateSetting, String> {
    Rate::parse(text)
        .map(RateSetting)
        .map_err(|e| e.to_string())
}

impl LimitArgs {
    pub fn settings(&self) -> LimitSettings {
        LimitSettings {
            run_starts_per_ip: self.limit_run_starts_per_ip.0,
            run_starts_per_link: self.limit_run_starts_per_link.0,
            short_link_misses_per_ip: self.limit_short_link_misses_per_ip.0,
            sign_ins_per_ip: self.limit_sign_ins_per_ip.0,
            sign_ins_per_name: self.limit_sign_ins_per_name.0,
            link_generations_per_user: self.limit_link_generations_per_user.0,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a console user. The password is read from FLOWSHARE_PASSWORD or the first line of standard input.
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
pub enum FlowsCommand {
    /// Create or update flows from a JSON file (see README.md for the format).
    Import { file: PathBuf },
    /// Add N synthetic flows, for load and search tests.
    Generate { count: usize },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Seed the demo data into an empty database.
    Seed {
        /// Base URL the demo applications' links use.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        public_url: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: app::domain::user::UnknownRole| e.to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Usage(String),
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not serve: {0}")]
    Serve(#[source] std::io::Error),
    #[error("the Leptos configuration is unusable: {0}")]
    Leptos(String),
}

const SESSION_TTL: Duration = Duration::from_secs(12 * 3_600);

async fn open_store(url: &str, session_key: SessionKey) -> Result<Store, CliError> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    tracing::info!(engine = db.engine(), url = %redact_url(url), "database ready");
    Ok(Store::new(db, session_key, SESSION_TTL))
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => serve(&cli.database_url, args).await,
        Command::Migrate => {
            open_store(&cli.database_url, SessionKey::from_secret("")).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::User(UserCommand::Add { name, role }) => {
            let name = UserName::parse(&name).map_err(|e| CliError::Usage(e.to_string()))?;
            let password = match std::env::var("FLOWSHARE_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("Password for {name} (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
                        CliError::Usage(format!("could not read the password: {e}"))
                    })?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let store = open_store(&cli.database_url, SessionKey::from_secret("")).await?;
            store.accounts.add_user(&name, role, &password).await?;
            println!("Added {role} {name}.");
            Ok(())
        }
        Command::Flows(FlowsCommand::Import { file }) => {
            let json = std::fs::read_to_string(&file).map_err(|source| CliError::Read {
                path: file.clone(),
                source,
            })?;
            let store = open_store(&cli.database_url, SessionKey::from_secret("")).await?;
            let report = import::import(&store, &json, "import").await?;
            println!(
                "Imported {}: {} created, {} updated, {} unchanged.",
                file.display(),
                report.created,
                report.updated,
                report.unchanged
            );
            for slug in report.back_to_pending {
                println!("  {slug}: definition changed after approval; it is Pending again.");
            }
            Ok(())
        }
        Command::Links(LinksCommand::Synthetic {
            count,
            flow,
            application,
        }) => {
            let slug = |s: &str| {
                app::domain::FlowSlug::parse(s).map_err(|e| CliError::Usage(format!("{s:?}: {e}")))
            };
            let (flow, application) = (slug(&flow)?, slug(&application)?);
            let store = open_store(&cli.database_url, SessionKey::from_secret("")).await?;
            let codes = store
                .links
                .add_synthetic(&flow, &application, count)
                .await?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for code in codes {
                use std::io::Write as _;
                writeln!(out, "{}", code.as_str())
                    .map_err(|e| CliError::Usage(format!("could not write the codes: {e}")))?;
            }
            store.db().close().await;
            Ok(())
        }
        Command::Flows(FlowsCommand::Generate { count }) => {
            let store = open_store(&cli.database_url, SessionKey::from_secret("")).await?;
            let first = usize::try_from(store.flows.flow_count().await?).unwrap_or(0);
            for chunk_start in (0..count).step_by(5_000) {
                let n = (count - chunk_start).min(5_000);
                store
                    .flows
                    .insert_flows(
                        &import::synthetic_flows(n, first + chunk_start),
                        "generator",
                    )
                    .await?;
            }
            println!("Added {count} synthetic flows.");
            Ok(())
        }
        Command::Demo(DemoCommand::Seed { public_url }) => {
            let store = open_store(&cli.database_url, SessionKey::from_secret("")).await?;
            report_seed(demo::seed(&store, &public_url).await?);
            Ok(())
        }
    }
}

fn report_seed(seeded: bool) {
    if seeded {
        println!("Demo data seeded. Logins (user / password):");
        for (name, role, password) in demo::DEMO_USERS {
            println!("  {name} / {password}  ({role})");
        }
    } else {
        println!("The database already holds users or flows; demo data not seeded.");
    }
}

async fn serve(database_url: &str, args: ServeArgs) -> Result<(), CliError> {
    let mut options = leptos::config::get_configuration(None)
        .map_err(|e| CliError::Leptos(e.to_string()))?
        .leptos_options;
    let listen = args.listen.unwrap_or(options.site_addr);
    options.site_addr = listen;
    let public_url = args
        .public_url
        .unwrap_or_else(|| format!("http://{listen}"));
    let public_url = crate::db::applications_base_url(&public_url)?;
    let session_key = match args.cookie_secret.as_deref() {
        Some(secret) if secret.chars().count() >= 32 => SessionKey::from_secret(secret),
        Some(_) => {
            return Err(CliError::Usage(
                "FLOWSHARE_COOKIE_SECRET must be at least 32 characters long".into(),
            ))
        }
        None => {
            tracing::warn!("no FLOWSHARE_COOKIE_SECRET set: using a random one, so sessions end when the server restarts");
            SessionKey::random().map_err(StoreError::from)?
        }
    };
    let proxies = TrustedProxies::parse(&args.trusted_proxies)
        .map_err(|e| CliError::Usage(format!("FLOWSHARE_TRUSTED_PROXIES: {e}")))?;
    let mut store = open_store(database_url, session_key).await?;
    if let Some(slots) = args.sign_in_slots {
        store = store.with_sign_in_slots(usize::from(slots));
    }
    if args.demo {
        report_seed(demo::seed(&store, &public_url).await?);
    }
    // Changes made through other instances sharing this database reach this one's cache within 250 ms.
    let _watcher = store
        .links
        .watch_other_instances(Duration::from_millis(250));
    let cookies = CookiePolicy {
        secure: public_url.starts_with("https://"),
        max_age_seconds: SESSION_TTL.as_secs(),
    };
    let origin = crate::http::csrf::ConsoleOrigin::of(&public_url).ok_or_else(|| {
        CliError::Usage(format!(
            "the public URL {public_url:?} has no http(s) origin"
        ))
    })?;
    let limits = Arc::new(Limits::new(args.limits.settings()));
    let _forgetter = forget_idle_limits(limits.clone());
    let edge = startup::Edge {
        cookies,
        origin,
        proxies,
        limits,
    };
    let app = startup::router(Arc::new(store.clone()), options, edge);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(CliError::Serve)?;
    println!("Flowshare console ready at {public_url}/flows");
    // The peer's address reaches the handlers: every rate limit is keyed by it.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(CliError::Serve)?;
    store.db().close().await;
    Ok(())
}

/// Every minute, the limits drop the clients they no longer need to remember.
fn forget_idle_limits(limits: Arc<Limits>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            limits.forget_idle();
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}

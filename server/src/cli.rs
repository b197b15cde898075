//! The `flowshare` command line: one binary to serve, migrate, add users and load flows.
//! Every setting is a flag with an environment-variable twin, documented in README.md.

use crate::backend::{self, Store};
use crate::configuration::{ConfigError, LogFormat, ServeArgs};
use crate::db::{backup, StoreError};
use crate::security::session::SessionKey;
use crate::{demo, import, startup};
use app::domain::api_key::ApiScope;
use app::domain::{Role, UserName};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;

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
    /// A TOML file of serve settings (the flags' names without dashes); flags and environment
    /// variables win over it.
    #[arg(long, env = "FLOWSHARE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// How log lines are written to standard error.
    #[arg(
        long,
        env = "FLOWSHARE_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// Without a sub-command, `flowshare` serves (as `cargo leptos watch` runs it).
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve the console and the public link routes.
    Serve(Box<ServeArgs>),
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
    /// API keys, for systems that make links through `/api/v1`.
    #[command(subcommand)]
    Apikey(ApiKeyCommand),
    /// Copy the live SQLite database into FILE, consistently, while it serves (PostgreSQL: see pg_dump).
    Backup { file: PathBuf },
    /// Replace the SQLite database with the backup FILE, after checking it; the old one is kept
    /// beside it. Stop the server first.
    Restore { file: PathBuf },
    /// The configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective serve configuration (secrets hidden), or say what is wrong with it.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum LinksCommand {
    /// Make one more link of a campaign, its parameters then these; prints the link.
    Create {
        /// The campaign's slug (Campaigns, on the flow's Details tab).
        #[arg(long)]
        campaign: String,
        /// A parameter after the campaign's own, as name=value; once per parameter.
        #[arg(long = "param")]
        params: Vec<String>,
    },
    /// Make a link of a campaign for every row of FILE (a CSV whose header names the
    /// parameters); prints the rows with their links as CSV. Nothing is made unless every row is
    /// good.
    Batch {
        #[arg(long)]
        campaign: String,
        file: PathBuf,
    },
    /// Add COUNT open short links of one flow and application, for load tests; prints their codes.
    Synthetic {
        count: usize,
        #[arg(long)]
        flow: String,
        #[arg(long)]
        application: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Make an API key and print its secret, this once (only a hash of it is kept).
    Create {
        /// What the key is for ("SMS gateway").
        name: String,
        /// What it may do, once per scope: links:create, links:read, links:revoke, flows:read.
        #[arg(long = "scope", required = true, value_parser = parse_scope)]
        scopes: Vec<ApiScope>,
        /// Limit it to these applications (once per slug); without any, it may use all.
        #[arg(long = "application")]
        applications: Vec<String>,
        /// Make it stop working after this many days.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_days: Option<u32>,
    },
    /// Revoke the key whose secret starts with fsk_PREFIX_: it stops working at once.
    Revoke { prefix: String },
}

fn parse_scope(raw: &str) -> Result<ApiScope, String> {
    ApiScope::parse(raw)
        .ok_or_else(|| format!("unknown scope {raw:?}: one of {}", ApiScope::names()))
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
    #[error(transparent)]
    Startup(#[from] startup::StartupError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let Cli {
        database_url,
        command,
        serve,
        ..
    } = cli;
    // Without a sub-command the top-level flags are the serve flags; `config check` reads them too.
    let Some(command) = command else {
        return serve_with(&database_url, serve).await;
    };
    match command {
        Command::Serve(args) => serve_with(&database_url, *args).await,
        Command::Config(ConfigCommand::Check) => {
            let settings = serve.settings(startup::leptos_options()?.site_addr)?;
            print!("{}", settings.describe(&database_url));
            Ok(())
        }
        Command::Backup { file } => {
            let contents = backup::backup(&database_url, &file).await?;
            println!("Backed up into {}: {contents}.", file.display());
            Ok(())
        }
        Command::Restore { file } => {
            let (contents, kept) = backup::restore(&database_url, &file).await?;
            println!("Restored {}: {contents}.", file.display());
            if let Some(kept) = kept {
                println!("The database it replaced is kept as {}.", kept.display());
            }
            Ok(())
        }
        Command::Migrate => {
            backend::open(&database_url, SessionKey::from_secret("")).await?;
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
            let store = backend::open(&database_url, SessionKey::from_secret("")).await?;
            store.accounts.add_user(&name, role, &password).await?;
            println!("Added {role} {name}.");
            Ok(())
        }
        Command::Flows(FlowsCommand::Import { file }) => {
            let json = std::fs::read_to_string(&file).map_err(|source| CliError::Read {
                path: file.clone(),
                source,
            })?;
            let store = backend::open(&database_url, SessionKey::from_secret("")).await?;
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
            let store = backend::open(&database_url, SessionKey::from_secret("")).await?;
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
        Command::Links(LinksCommand::Create { campaign, params }) => {
            let store = backend::open(&database_url, SessionKey::from_secret("")).await?;
            let stored = cli_campaign(&store, &campaign).await?;
            let pairs = params
                .iter()
                .map(|p| {
                    p.split_once('=').ok_or_else(|| {
                        CliError::Usage(format!("--param {p:?}: write it as name=value"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let extra = app::domain::params::UrlParams::from_pairs(pairs)
                .map_err(|e| CliError::Usage(format!("--param: {e}")))?;
            let link = store
                .campaigns
                .generate(&COMMAND_LINE, &stored, &extra, None, false)
                .await
                .map_err(|err| match err {
                    crate::campaigns::CampaignLinkError::Params(e) => {
                        CliError::Usage(format!("--param: {e}"))
                    }
                    crate::campaigns::CampaignLinkError::Share(e) => refused_share(e),
                })?;
            store.db().close().await;
            println!("{}", link.link());
            Ok(())
        }
        Command::Links(LinksCommand::Batch { campaign, file }) => {
            let csv = std::fs::read(&file).map_err(|source| CliError::Read {
                path: file.clone(),
                source,
            })?;
            let store = backend::open(&database_url, SessionKey::from_secret("")).await?;
            let stored = cli_campaign(&store, &campaign).await?;
            let rows = crate::campaigns::rows::CampaignRows::parse(&csv, &stored.campaign)
                .map_err(|err| match err {
                    app::ports::CampaignError::BadRows(problems) => CliError::Usage(format!(
                        "{}: no link was made; these rows cannot make one:\n{}",
                        file.display(),
                        problems
                            .iter()
                            .map(|p| format!("  line {}: {}", p.line, p.reason))
                            .collect::<Vec<_>>()
                            .join("\n")
                    )),
                    other => CliError::Usage(format!("{}: {other}", file.display())),
                })?;
            let links = store
                .campaigns
                .generate_rows(&COMMAND_LINE, &stored, &rows.params, None)
                .await
                .map_err(refused_share)?;
            store.db().close().await;
            let out = rows
                .with_links(&links)
                .map_err(|e| CliError::Usage(format!("could not write the links: {e}")))?;
            use std::io::Write as _;
            std::io::stdout()
                .lock()
                .write_all(&out)
                .map_err(|e| CliError::Usage(format!("could not write the links: {e}")))?;
            eprintln!("Made {} links of campaign {campaign}.", links.len());
            Ok(())
        }
        Command::Apikey(ApiKeyCommand::Create {
            name,
            scopes,
            applications,
            expires_days,
        }) => {
            let name = app::domain::api_key::parse_key_name(&name).map_err(CliError::Usage)?;
            let applications = applications
                .iter()
                .map(|a| {
                    app::domain::FlowSlug::parse(a)
                        .map_err(|e| CliError::Usage(format!("application {a:?}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let store = backend::open(&database_url, SessionKey::from_secret("")).await?;
            for application in &applications {
                if !store.applications.exists(application).await? {
                    return Err(CliError::Usage(format!(
                        "there is no application called {:?}",
                        application.as_str()
                    )));
                }
            }
            let key = app::domain::api_key::NewApiKey {
                name: name.clone(),
                scopes,
                applications,
                expires_at: expires_days
                    .map(|days| crate::db::now_millis() + i64::from(days) * 86_400_000),
            };
            let secret = store.keys.create(&key, "command line").await?;
            store.db().close().await;
            eprintln!(
                "Created API key {name:?} (prefix {}). Its secret, shown this once:",
                secret.prefix()
            );
            println!("{}", secret.expose());
            Ok(())
        }
        Command::Apikey(ApiKeyCommand::Revoke { prefix }) => {
            let store = backend::open(&database_url, SessionKey::from_secret("")).await?;
            let revoked = store.keys.revoke(&prefix, "command line").await?;
            store.db().close().await;
            if revoked {
                println!("Revoked API key {prefix}.");
                Ok(())
            } else {
                Err(CliError::Usage(format!(
                    "no live API key has the prefix {prefix:?}"
                )))
            }
        }
        Command::Flows(FlowsCommand::Generate { count }) => {
            let store = backend::open(&database_url, SessionKey::from_secret("")).await?;
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
            let store = backend::open(&database_url, SessionKey::from_secret("")).await?;
            demo::print_seeded(demo::seed(&store, &public_url).await?);
            Ok(())
        }
    }
}

/// Who makes links on the command line: whoever runs it on the server's machine, as an admin.
static COMMAND_LINE: std::sync::LazyLock<app::domain::UserView> =
    std::sync::LazyLock::new(|| app::domain::UserView {
        name: "command line".into(),
        role: Role::Admin,
    });

async fn cli_campaign(
    store: &Store,
    slug: &str,
) -> Result<crate::campaigns::StoredCampaign, CliError> {
    let missing = || CliError::Usage(format!("there is no campaign {slug:?}"));
    let parsed = app::domain::FlowSlug::parse(slug).map_err(|_| missing())?;
    store.campaigns.find(&parsed).await?.ok_or_else(missing)
}

/// Why no link was made, for the command line.
fn refused_share(err: app::ports::ShareError) -> CliError {
    match err {
        app::ports::ShareError::Backend(err) => CliError::Usage(format!("no link was made: {err}")),
        other => CliError::Usage(format!("no link was made: {other}")),
    }
}

async fn serve_with(database_url: &str, args: ServeArgs) -> Result<(), CliError> {
    let settings = args.settings(startup::leptos_options()?.site_addr)?;
    Ok(startup::serve(database_url, settings).await?)
}

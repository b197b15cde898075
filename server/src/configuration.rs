//! Configuration in one place: the serve flags (each with an environment variable, and each also
//! readable from a TOML file given with `--config`), and their resolution into checked
//! [`Settings`]. Precedence: flag, then environment variable, then the file, then the default. The
//! file's values are handed to clap as defaults, so that order is clap's own.

use crate::db::{redact_url, Retention};
use crate::http::client_ip::TrustedProxies;
use crate::http::csrf::ConsoleOrigin;
use crate::security::limits::{LimitSettings, Rate};
use crate::security::session::SessionKey;
use app::domain::application_form::parse_base_url;
use app::ports::CookiePolicy;
use clap::{Args, CommandFactory, FromArgMatches, ValueEnum};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: LEPTOS_SITE_ADDR or 127.0.0.1:3000].
    #[arg(long, env = "FLOWSHARE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The console's public URL, as browsers reach it (https turns on Secure, __Host- cookies) [default: http://LISTEN].
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
    /// Password checks that may run at once (one kept for known browsers when there are two or
    /// more); sign-ins beyond them are answered 503 "busy" [default: two per core].
    #[arg(long, env = "FLOWSHARE_SIGN_IN_SLOTS", value_parser = clap::value_parser!(u16).range(1..))]
    pub sign_in_slots: Option<u16>,
    /// Serve Prometheus metrics at /metrics on this address (keep it private) [default: no metrics].
    #[arg(long, env = "FLOWSHARE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// On SIGTERM or Ctrl-C, seconds to let requests in flight finish before stopping anyway.
    #[arg(long, env = "FLOWSHARE_SHUTDOWN_TIMEOUT", default_value_t = 10)]
    pub shutdown_timeout: u64,
    /// Days to keep per-day start counts (the chart shows 14; link totals are kept regardless); 0 keeps them forever.
    #[arg(long, env = "FLOWSHARE_RETAIN_USES_DAYS", default_value_t = 400)]
    pub retain_uses_days: u32,
    /// Days to keep the audit log (kept longest: at least as long as the start counts); 0 keeps it forever.
    #[arg(long, env = "FLOWSHARE_RETAIN_AUDIT_DAYS", default_value_t = 1_095)]
    pub retain_audit_days: u32,
    /// Minutes after its link expires that a run already started may still be finished; 0 ends
    /// runs with their link.
    #[arg(long, env = "FLOWSHARE_RUN_EXPIRY_GRACE_MINUTES",
          default_value_t = (app::domain::run::DEFAULT_RUN_EXPIRY_GRACE_MS / 60_000) as u32)]
    pub run_expiry_grace_minutes: u32,
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
    /// Moves in flows (each answer, Back, Restart, and starts) per client address.
    #[arg(long, env = "FLOWSHARE_LIMIT_RUN_MOVES_PER_IP", value_parser = parse_rate,
          default_value = LimitSettings::DEFAULT_RUN_MOVES_PER_IP)]
    pub limit_run_moves_per_ip: RateSetting,
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
    /// Sign-in attempts per user name by addresses that already failed at it (on top of the lock;
    /// never a known browser's nor a first try).
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
            run_moves_per_ip: self.limit_run_moves_per_ip.0,
            run_starts_per_link: self.limit_run_starts_per_link.0,
            short_link_misses_per_ip: self.limit_short_link_misses_per_ip.0,
            sign_ins_per_ip: self.limit_sign_ins_per_ip.0,
            sign_ins_per_name: self.limit_sign_ins_per_name.0,
            link_generations_per_user: self.limit_link_generations_per_user.0,
        }
    }
}

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people reading a terminal.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid TOML: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("the configuration file {path} sets {key:?}, which is not a setting; settings are the serve flags without their dashes: {known}")]
    UnknownKey {
        path: PathBuf,
        key: String,
        known: String,
    },
    #[error("the configuration file {path} sets {key:?} to a table; settings are plain values (text, numbers, true/false, or lists)")]
    NotAValue { path: PathBuf, key: String },
    /// Settings that cannot all hold, or one that is unusable; the message says which and why.
    #[error("{0}")]
    Refused(String),
}

/// Where the configuration file is named: `--config FILE` or `--config=FILE` on the command
/// line, else `FLOWSHARE_CONFIG`.
fn config_path(args: &[String]) -> Option<PathBuf> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("FLOWSHARE_CONFIG").map(PathBuf::from)
}

/// A TOML value as clap reads a flag's text: lists become comma-separated.
fn flag_text(value: &toml::Value) -> Option<String> {
    Some(match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(items) => items
            .iter()
            .map(flag_text)
            .collect::<Option<Vec<_>>>()?
            .join(","),
        toml::Value::Table(_) => return None,
    })
}

/// The command line parsed with the configuration file's settings as defaults. A clap error
/// (unknown flag, bad value, `--help`) is clap's to print.
pub fn parse<C: CommandFactory + FromArgMatches>(
    args: Vec<String>,
) -> Result<Result<C, clap::Error>, ConfigError> {
    let mut command = C::command();
    if let Some(path) = config_path(&args) {
        command = with_file_defaults(command, &path)?;
    }
    Ok(command
        .try_get_matches_from(args)
        .and_then(|matches| C::from_arg_matches(&matches)))
}

fn with_file_defaults(
    mut command: clap::Command,
    path: &Path,
) -> Result<clap::Command, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Toml {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })?;
    let settable: Vec<(String, String)> = command
        .get_arguments()
        .filter_map(|arg| Some((arg.get_long()?.to_owned(), arg.get_id().to_string())))
        .filter(|(long, _)| !matches!(long.as_str(), "config" | "help" | "version"))
        .collect();
    for (key, value) in table {
        let Some((_, id)) = settable.iter().find(|(long, _)| *long == key) else {
            return Err(ConfigError::UnknownKey {
                path: path.to_owned(),
                known: settable
                    .iter()
                    .map(|(long, _)| long.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                key,
            });
        };
        let Some(text) = flag_text(&value) else {
            return Err(ConfigError::NotAValue {
                path: path.to_owned(),
                key,
            });
        };
        // Defaults live as long as the command: one file read per process.
        let text: &'static str = Box::leak(text.into_boxed_str());
        let id = id.clone();
        // Hidden from --help: the file may hold a secret or a database password.
        let from_file = |arg: clap::Arg| {
            let takes_value = arg.get_action().takes_values();
            let arg = arg.default_value(text);
            if takes_value {
                arg.hide_default_value(true)
            } else {
                arg
            }
        };
        command = command.mut_arg(&id, from_file);
        if command.find_subcommand("serve").is_some() {
            command = command.mut_subcommand("serve", |serve| {
                if serve.get_arguments().any(|a| a.get_id() == id.as_str()) {
                    serve.mut_arg(&id, from_file)
                } else {
                    serve
                }
            });
        }
    }
    Ok(command)
}

/// The serve settings, checked: everything `serve` needs and `config check` prints.
#[derive(Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    pub public_url: String,
    pub origin: ConsoleOrigin,
    pub cookies: CookiePolicy,
    /// `None`: no secret given, a random key per start (sessions end at restart).
    pub session_key: Option<SessionKey>,
    pub demo: bool,
    pub proxies: TrustedProxies,
    pub trusted_proxies: Vec<String>,
    pub sign_in_slots: Option<usize>,
    pub metrics_listen: Option<SocketAddr>,
    pub shutdown_timeout: Duration,
    pub retention: Retention,
    /// How long after its link expires a run may still move.
    pub run_expiry_grace: Duration,
    pub limits: LimitSettings,
}

impl ServeArgs {
    /// Checks every setting, and that they agree; `site_addr` is Leptos's default address.
    pub fn settings(&self, site_addr: SocketAddr) -> Result<Settings, ConfigError> {
        let listen = self.listen.unwrap_or(site_addr);
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = parse_base_url(&public_url)
            .map_err(|e| ConfigError::Refused(format!("--public-url: {e}")))?;
        let origin = ConsoleOrigin::of(&public_url).ok_or_else(|| {
            ConfigError::Refused(format!("--public-url {public_url:?} has no http(s) origin"))
        })?;
        let session_key = match self.cookie_secret.as_deref() {
            Some(secret) if secret.chars().count() >= 32 => Some(SessionKey::from_secret(secret)),
            Some(_) => {
                return Err(ConfigError::Refused(
                    "--cookie-secret (FLOWSHARE_COOKIE_SECRET) must be at least 32 characters long"
                        .into(),
                ))
            }
            None => None,
        };
        let proxies = TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| ConfigError::Refused(format!("--trusted-proxies: {e}")))?;
        if self.metrics_listen == Some(listen) {
            return Err(ConfigError::Refused(format!(
                "--metrics-listen {listen} is the public address too: metrics must be on an address of their own"
            )));
        }
        let days = |d: u32| (d > 0).then_some(d);
        let retention = Retention {
            uses_days: days(self.retain_uses_days),
            audit_days: days(self.retain_audit_days),
            sign_in_failures: crate::security::throttle::FORGET_AFTER,
        };
        let audit_outlives_uses = match (retention.audit_days, retention.uses_days) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(audit), Some(uses)) => audit >= uses,
        };
        if !audit_outlives_uses {
            return Err(ConfigError::Refused(format!(
                "--retain-audit-days {} is shorter than --retain-uses-days {}: the audit log is kept longest",
                self.retain_audit_days, self.retain_uses_days
            )));
        }
        Ok(Settings {
            cookies: CookiePolicy {
                secure: public_url.starts_with("https://"),
                max_age_seconds: crate::accounts::SESSION_TTL.as_secs(),
            },
            listen,
            public_url,
            origin,
            session_key,
            demo: self.demo,
            proxies,
            trusted_proxies: self.trusted_proxies.clone(),
            sign_in_slots: self.sign_in_slots.map(usize::from),
            metrics_listen: self.metrics_listen,
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout),
            retention,
            run_expiry_grace: Duration::from_secs(u64::from(self.run_expiry_grace_minutes) * 60),
            limits: self.limits.settings(),
        })
    }
}

impl Settings {
    /// The effective configuration as a TOML file would say it, secrets masked.
    pub fn describe(&self, database_url: &str) -> String {
        let quoted = |s: &str| format!("{s:?}");
        let rate = |r: Option<Rate>| quoted(&r.map_or_else(|| "off".to_owned(), |r| r.to_string()));
        let mut lines = vec![
            format!("database-url = {}", quoted(&redact_url(database_url))),
            format!("listen = {}", quoted(&self.listen.to_string())),
            format!("public-url = {}", quoted(&self.public_url)),
            match self.session_key {
                Some(_) => "cookie-secret = \"***\"  # set (hidden)".to_owned(),
                None => {
                    "# cookie-secret: not set; a random one per start, so sessions end at restart"
                        .to_owned()
                }
            },
            format!("demo = {}", self.demo),
            format!(
                "trusted-proxies = [{}]",
                self.trusted_proxies
                    .iter()
                    .map(|p| quoted(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ];
        lines.push(match self.sign_in_slots {
            Some(slots) => format!("sign-in-slots = {slots}"),
            None => format!(
                "# sign-in-slots: two per core ({})",
                crate::accounts::default_sign_in_slots()
            ),
        });
        lines.push(match self.metrics_listen {
            Some(addr) => format!("metrics-listen = {}", quoted(&addr.to_string())),
            None => "# metrics-listen: not set, so no /metrics".to_owned(),
        });
        lines.push(format!(
            "shutdown-timeout = {}",
            self.shutdown_timeout.as_secs()
        ));
        lines.push(format!(
            "retain-uses-days = {}",
            self.retention.uses_days.unwrap_or(0)
        ));
        lines.push(format!(
            "retain-audit-days = {}",
            self.retention.audit_days.unwrap_or(0)
        ));
        lines.push(format!(
            "run-expiry-grace-minutes = {}",
            self.run_expiry_grace.as_secs() / 60
        ));
        let l = &self.limits;
        for (key, value) in [
            ("limit-run-starts-per-ip", l.run_starts_per_ip),
            ("limit-run-starts-per-link", l.run_starts_per_link),
            ("limit-run-moves-per-ip", l.run_moves_per_ip),
            ("limit-short-link-misses-per-ip", l.short_link_misses_per_ip),
            ("limit-sign-ins-per-ip", l.sign_ins_per_ip),
            ("limit-sign-ins-per-name", l.sign_ins_per_name),
            (
                "limit-link-generations-per-user",
                l.link_generations_per_user,
            ),
        ] {
            lines.push(format!("{key} = {}", rate(value)));
        }
        lines.join("\n") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        use std::io::Write as _;
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        file.write_all(text.as_bytes()).expect("written");
        file
    }

    fn parsed(list: &[&str]) -> Cli {
        parse::<Cli>(args(list))
            .expect("the file reads")
            .expect("the command line parses")
    }

    fn site() -> SocketAddr {
        "127.0.0.1:3000".parse().expect("an address")
    }

    #[test]
    fn the_file_sets_what_flags_do_not() {
        let config = file(
            "listen = \"127.0.0.1:4000\"\nshutdown-timeout = 3\ntrusted-proxies = [\"10.0.0.1\", \"10.0.0.2\"]\n\
             limit-sign-ins-per-ip = \"5/min\"\ndemo = true\n",
        );
        let path = config.path().to_string_lossy().into_owned();
        let cli = parsed(&["flowshare", "--config", &path, "--shutdown-timeout", "7"]);
        let settings = cli.serve.settings(site()).expect("settings");
        assert_eq!(settings.listen.port(), 4000, "from the file");
        assert_eq!(
            settings.shutdown_timeout,
            Duration::from_secs(7),
            "the flag wins"
        );
        assert_eq!(settings.trusted_proxies, ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(
            settings.limits.sign_ins_per_ip,
            Rate::parse("5/min").ok().flatten()
        );
        assert!(settings.demo);
        // The same file under `serve`.
        let cli = parsed(&["flowshare", "serve", "--config", &path]);
        let Some(crate::cli::Command::Serve(serve)) = cli.command else {
            panic!("serve")
        };
        assert_eq!(
            serve.settings(site()).expect("settings").listen.port(),
            4000
        );
    }

    #[test]
    fn unknown_settings_and_tables_are_refused_by_name() {
        let config = file("listen = \"127.0.0.1:4000\"\nlisten-port = 4\n");
        let path = config.path().to_string_lossy().into_owned();
        let err = parse::<Cli>(args(&["flowshare", "--config", &path])).expect_err("unknown");
        let message = err.to_string();
        assert!(
            message.contains("\"listen-port\"") && message.contains("public-url"),
            "{message}"
        );
        let config = file("[limits]\nx = 1\n");
        let path = config.path().to_string_lossy().into_owned();
        let err = parse::<Cli>(args(&["flowshare", "--config", &path])).expect_err("a table");
        assert!(err.to_string().contains("\"limits\""), "{err}");
        let err = parse::<Cli>(args(&[
            "flowshare",
            "--config",
            "/nonexistent/flowshare.toml",
        ]))
        .expect_err("no file");
        assert!(
            err.to_string().contains("/nonexistent/flowshare.toml"),
            "{err}"
        );
        let config = file("listen = \n");
        let path = config.path().to_string_lossy().into_owned();
        let err = parse::<Cli>(args(&["flowshare", "--config", &path])).expect_err("bad TOML");
        assert!(err.to_string().contains("not valid TOML"), "{err}");
    }

    #[test]
    fn a_bad_value_in_the_file_is_named_like_a_bad_flag() {
        let config = file("limit-sign-ins-per-ip = \"lots\"\n");
        let path = config.path().to_string_lossy().into_owned();
        let err = parse::<Cli>(args(&["flowshare", "--config", &path]))
            .expect("the file reads")
            .expect_err("a bad rate");
        assert!(err.to_string().contains("\"lots\" is not a rate"), "{err}");
    }

    #[test]
    fn contradictions_are_refused_with_what_to_change() {
        for (flags, says) in [
            (vec!["--cookie-secret", "short"], "at least 32 characters"),
            (vec!["--public-url", "ftp://example.com"], "--public-url"),
            (vec!["--trusted-proxies", "proxy.local"], "proxy.local"),
            (
                vec![
                    "--listen",
                    "127.0.0.1:4000",
                    "--metrics-listen",
                    "127.0.0.1:4000",
                ],
                "an address of their own",
            ),
            (
                vec!["--retain-uses-days", "400", "--retain-audit-days", "30"],
                "the audit log is kept longest",
            ),
            (
                vec!["--retain-audit-days", "30", "--retain-uses-days", "0"],
                "kept longest",
            ),
        ] {
            let mut list = vec!["flowshare"];
            list.extend(flags.iter().copied());
            let err = parsed(&list).serve.settings(site()).expect_err(says);
            assert!(err.to_string().contains(says), "{flags:?}: {err}");
        }
    }

    #[test]
    fn the_effective_configuration_hides_secrets_and_reads_back() {
        let cli = parsed(&[
            "flowshare",
            "--cookie-secret",
            "a secret of more than thirty-two characters",
            "--public-url",
            "https://flows.example.com",
        ]);
        let settings = cli.serve.settings(site()).expect("settings");
        assert!(settings.cookies.secure);
        let text = settings.describe("postgres://app:hunter2@db/flowshare");
        assert!(
            !text.contains("hunter2") && !text.contains("thirty-two"),
            "{text}"
        );
        assert!(text.contains("cookie-secret = \"***\""), "{text}");
        // What it prints is itself a configuration file (once the masked secret is set again).
        let config = file(&text.replace("\"***\"", "\"another secret of thirty-two characters!\""));
        let path = config.path().to_string_lossy().into_owned();
        let again = parsed(&["flowshare", "--config", &path]);
        let reread = again.serve.settings(site()).expect("settings");
        assert_eq!(reread.public_url, "https://flows.example.com");
        assert_eq!(
            reread.run_expiry_grace,
            Duration::from_secs(3_600),
            "an hour unless set"
        );
        assert_eq!(reread.limits, settings.limits);
    }
}

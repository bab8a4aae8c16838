//! Command line: `serve` (the default), `migrate`, `seed`, `apps`, `tenants`.

mod apps;
mod keys;
mod serve;
mod webhooks;

pub use serve::banner;

use std::ffi::OsString;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigArgs, DatabaseArgs, LogArgs, ModeArgs, TargetArgs, TokenArgs};
use crate::demo::{self, SeedOptions};
use crate::{db, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "partner-gateway",
    version,
    about = "Partner REST API and GraphQL facade over a retail back office",
    long_about = "Partner REST API and GraphQL facade over a retail back office.\n\n\
                  With no command it serves (`partner-gateway [options]` is `partner-gateway \
                  serve [options]`; `partner-gateway serve --help` lists the options). With no \
                  options at all it serves in demo mode: SQLite at ./data/partner-gateway.db, demo data \
                  on first start, demo credentials and a ready token in the banner. Setting \
                  JWT_SECRET (or passing --no-demo) turns demo mode off.\n\n\
                  Each command takes only the options it uses, from flags (before or after its \
                  name) or the environment; `partner-gateway <command> --help` lists them."
)]
#[command(override_usage = "partner-gateway [COMMAND] [OPTIONS]")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (the default).
    Serve(Box<ConfigArgs>),
    /// Apply pending database migrations and exit.
    Migrate(StoreArgs),
    /// Fill an empty database with deterministic demo data.
    Seed {
        #[command(flatten)]
        store: StoreArgs,
        /// Demo applications (with public secrets) are seeded in demo mode only.
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        seed: SeedArgs,
    },
    /// Manage API applications (OAuth clients).
    Apps {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: apps::AppsCommand,
    },
    /// Manage tenants (merchants).
    Tenants {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: apps::TenantsCommand,
    },
    /// Manage the Push Integration API's keys.
    Keys {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Manage a tenant's own webhook subscriptions to the WMS events.
    Webhooks {
        #[command(flatten)]
        store: StoreArgs,
        /// Demo mode lets webhooks reach this machine's addresses.
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        targets: TargetArgs,
        #[command(subcommand)]
        command: webhooks::WebhooksCommand,
    },
    /// Print an operator token (admin role) for the operators' routes (`/api/v1/api-keys`,
    /// `/api/v1/webhook-subscriptions`), signed with the server's secret.
    AdminToken {
        /// Who it is for (recorded with its uses).
        #[arg(long, default_value = "operator")]
        subject: String,
        /// Minutes it stays valid (1 to 1440, a day).
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=1440))]
        ttl_minutes: u64,
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        tokens: TokenArgs,
    },
    /// Write the GraphQL schema (SDL, PII fields included) (default: stdout).
    ExportSchema {
        /// File to write, e.g. schema.graphql.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Write the OpenAPI document of the Partner REST API (default: stdout).
    ExportOpenapi {
        /// File to write, e.g. openapi.json.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        /// The Push Integration API's document (push-openapi.json) instead.
        #[arg(long)]
        push: bool,
    },
}

/// The options of a command that opens the database.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

impl Command {
    /// The settings this command reads; the groups it does not read keep their defaults,
    /// whatever the environment says (a server option set for `serve` never stops `migrate`).
    pub fn settings(&self) -> ConfigArgs {
        let mut args = ConfigArgs::defaults();
        let store = match self {
            Command::Serve(serve) => return (**serve).clone(),
            Command::Migrate(store)
            | Command::Apps { store, .. }
            | Command::Tenants { store, .. }
            | Command::Keys { store, .. } => Some(store),
            Command::Seed { store, mode, .. } => {
                args.mode = mode.clone();
                Some(store)
            }
            Command::Webhooks {
                store,
                mode,
                targets,
                ..
            } => {
                args.mode = mode.clone();
                args.targets = targets.clone();
                Some(store)
            }
            Command::AdminToken { mode, tokens, .. } => {
                args.mode = mode.clone();
                args.tokens = tokens.clone();
                None
            }
            Command::ExportSchema { .. } | Command::ExportOpenapi { .. } => None,
        };
        if let Some(store) = store {
            args.database = store.database.clone();
            args.log = store.log.clone();
        }
        args
    }
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Random seed: the same seed (and the same day) gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// POS branches.
    #[arg(long, default_value_t = 3)]
    pub branches: usize,
    /// Warehouses of each branch.
    #[arg(long, default_value_t = 2)]
    pub warehouses_per_branch: usize,
    /// Products (each with one or more SKUs).
    #[arg(long, default_value_t = 200)]
    pub products: usize,
    /// SKUs across the products (from --products to 3 × --products).
    #[arg(long, default_value_t = 400)]
    pub skus: usize,
    /// Customers (members with points and a tier).
    #[arg(long, default_value_t = 2_000)]
    pub customers: usize,
    /// Sales orders, spread over the days of history.
    #[arg(long, default_value_t = 20_000)]
    pub orders: usize,
    /// Days of history, ending now.
    #[arg(long, default_value_t = 45)]
    pub days: u32,
    /// Suppliers (purchase orders go to them).
    #[arg(long, default_value_t = 12)]
    pub suppliers: usize,
    /// Purchase orders (default: one per 80 sales orders, at least 10).
    #[arg(long)]
    pub purchase_orders: Option<usize>,
    /// Delete all existing rows first.
    #[arg(long)]
    pub reset: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

impl SeedArgs {
    pub fn options(&self) -> SeedOptions {
        SeedOptions {
            seed: self.seed,
            branches: self.branches,
            warehouses_per_branch: self.warehouses_per_branch,
            products: self.products,
            skus: self.skus,
            customers: self.customers,
            orders: self.orders,
            days: self.days,
            suppliers: self.suppliers,
            purchase_orders: self
                .purchase_orders
                .unwrap_or_else(|| (self.orders / 80).max(10)),
            progress: !self.json,
            credentials: true,
        }
    }
}

/// Parses the command line and runs it.
pub async fn run() -> anyhow::Result<()> {
    let argv = with_command(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(err)
            if matches!(
                err.kind(),
                clap::error::ErrorKind::ValueValidation | clap::error::ErrorKind::InvalidValue
            ) =>
        {
            // clap stops at the first value it cannot read; the operator gets them all.
            match configuration_problems(argv) {
                Some(problems) => return Err(problems.into()),
                None => err.exit(),
            }
        }
        Err(err) => err.exit(),
    };
    if !matches!(cli.command, Command::Serve(_)) {
        quiet_on_closed_pipe();
    }
    // The documents need neither the configuration nor a database.
    match cli.command {
        Command::ExportSchema { output } => {
            return write_or_print(crate::graphql::sdl(), output);
        }
        Command::ExportOpenapi {
            output,
            push: false,
        } => return write_or_print(crate::rest::openapi::document_json(), output),
        Command::ExportOpenapi { output, push: true } => {
            return write_or_print(crate::push::openapi::document_json(), output);
        }
        _ => {}
    }
    let mut config = Config::from_args(&cli.command.settings())?;
    telemetry::init_with_traces(config.log_format, config.traces.as_ref())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Managing a database never creates one: a mistyped path would hold the new rows.
    if matches!(
        cli.command,
        Command::Apps { .. }
            | Command::Tenants { .. }
            | Command::Keys { .. }
            | Command::Webhooks { .. }
    ) {
        config.database.create_if_missing = false;
    }
    match cli.command {
        Command::Serve(_) => serve::run(config, clock).await,
        Command::Migrate(_) => {
            // The one command (besides demo mode) that creates a missing SQLite file.
            config.database.create_if_missing = true;
            let db = db::connect(&config.database).await?;
            db::migrate(&db).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Seed { seed: args, .. } => seed(config, clock, args).await,
        Command::Apps { command, .. } => apps::run_apps(config, clock, command).await,
        Command::Tenants { command, .. } => apps::run_tenants(config, clock, command).await,
        Command::Keys { command, .. } => keys::run_keys(config, clock, command).await,
        Command::Webhooks { command, .. } => webhooks::run_webhooks(config, clock, command).await,
        Command::AdminToken {
            subject,
            ttl_minutes,
            ..
        } => keys::admin_token(&config, clock, &subject, ttl_minutes),
        Command::ExportSchema { .. } | Command::ExportOpenapi { .. } => {
            unreachable!("written above")
        }
    }
}

/// A command whose output goes to a reader that stops early (`… --json | head`) ends quietly,
/// as command-line tools do, instead of panicking in `println!` (Rust ignores SIGPIPE, so the
/// write fails and `println!` panics). Sockets are not affected: they write with
/// `MSG_NOSIGNAL`. The server keeps Rust's default.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal; no handler runs our code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Puts the command first: options may come before it (`partner-gateway --bind … serve`),
/// and with none named, `serve` is meant (`partner-gateway [options]`). A request for help
/// or the version before any command is left as it is.
fn with_command(mut argv: Vec<OsString>) -> Vec<OsString> {
    let cli = <Cli as clap::CommandFactory>::command();
    // The options (of any command) that take a value: the word after them is not a command.
    let valued: Vec<String> = cli
        .get_subcommands()
        .flat_map(|command| command.get_arguments())
        .filter(|arg| arg.get_action().takes_values())
        .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
        .collect();
    let mut at = 1;
    while let Some(word) = argv.get(at).map(|word| word.to_string_lossy().into_owned()) {
        // Help or the version first is the program's; help after options is the command's.
        if matches!(word.as_str(), "-V" | "--version")
            || (at == 1 && matches!(word.as_str(), "-h" | "--help"))
        {
            return argv;
        }
        if !word.starts_with('-') {
            if cli.find_subcommand(&word).is_none() {
                // Not a command: clap says what is wrong with it.
                return argv;
            }
            let command = argv.remove(at);
            argv.insert(1, command);
            return argv;
        }
        at += if !word.contains('=') && valued.contains(&word) {
            2
        } else {
            1
        };
    }
    argv.insert(argv.len().min(1), OsString::from("serve"));
    argv
}

async fn seed(config: Config, clock: Arc<dyn Clock>, args: SeedArgs) -> anyhow::Result<()> {
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    if args.reset {
        demo::reset(&db).await?;
    }
    let mut options = args.options();
    // Applications with public secrets exist only in demo mode.
    options.credentials = config.demo;
    let summary = demo::seed(&db, clock.now(), &options).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serve::summary_json(&summary))?
        );
    } else {
        eprintln!(
            "seeded {} sales orders ({} items), {} customers, {} SKUs, {} purchase orders, \
             {} stock movements in {}",
            summary.sales_orders,
            summary.sales_order_items,
            summary.customers,
            summary.skus,
            summary.purchase_orders,
            summary.inventory_movements,
            demo::seconds(summary.elapsed)
        );
        if options.credentials {
            eprintln!("demo credentials:");
            for app in demo::DEMO_APPS {
                eprintln!(
                    "  {:<18} {:<30} {}",
                    app.client_id, app.client_secret, app.purpose
                );
            }
            eprintln!(
                "  Push Integration API key (read, write): {}",
                demo::DEMO_API_KEY
            );
        } else {
            eprintln!(
                "no demo applications outside demo mode: create one with `partner-gateway apps create`"
            );
        }
    }
    Ok(())
}

fn write_or_print(text: String, output: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    match output {
        Some(path) => std::fs::write(&path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Every configuration problem of a command line and environment that clap refused: each
/// option of the command whose value cannot be read (named by its variable and its flag),
/// then, with those left at their defaults, the problems [`Config::from_args`] finds in the
/// rest. `None` when no setting is at fault (the refusal is about a command's own options).
/// `argv` names its command first (see [`with_command`]).
fn configuration_problems(mut argv: Vec<OsString>) -> Option<crate::config::ConfigError> {
    let mut cli = <Cli as clap::CommandFactory>::command();
    let name = argv.get(1)?.to_string_lossy().into_owned();
    let settings: Vec<clap::Arg> = cli
        .find_subcommand(&name)?
        .get_arguments()
        .filter(|arg| {
            arg.get_action().takes_values() && arg.get_long().is_some() && arg.get_env().is_some()
        })
        .cloned()
        .collect();
    let mut problems = Vec::new();
    for option in settings {
        let (Some(long), Some(env)) = (option.get_long(), option.get_env()) else {
            continue;
        };
        let flag = format!("--{long}");
        let env = env.to_string_lossy().into_owned();
        let given = flag_value(&argv, &flag).or_else(|| std::env::var_os(&env));
        let Some(given) = given else {
            continue;
        };
        // The option alone, given this value (`--flag=value`: a value may start with `-`).
        let mut word = OsString::from(format!("{flag}="));
        word.push(&given);
        let alone = clap::Command::new("check").arg(option.clone().required(false));
        let Err(err) = alone.try_get_matches_from([OsString::from("check"), word]) else {
            continue;
        };
        let why = match std::error::Error::source(&err) {
            Some(cause) => cause.to_string(),
            None => match err.get(clap::error::ContextKind::ValidValue) {
                Some(clap::error::ContextValue::Strings(valid)) => {
                    format!("expected one of {}", valid.join(", "))
                }
                _ => "not a valid value".to_owned(),
            },
        };
        // A secret's value is never printed.
        let shown = if option.is_hide_env_values_set() {
            "its value".to_owned()
        } else {
            format!("{:?}", given.to_string_lossy())
        };
        problems.push(format!("{env} ({flag}): {shown} cannot be read: {why}"));
        // Left at its default for the second look.
        remove_flag(&mut argv, &flag);
        cli = cli.mut_subcommand(&name, |command| {
            command.mut_arg(option.get_id().clone(), |arg| {
                arg.env("PARTNER_GATEWAY_UNREADABLE_SETTING")
            })
        });
    }
    if problems.is_empty() {
        return None;
    }
    let rest = cli
        .try_get_matches_from(&argv)
        .ok()
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches).ok());
    if let Some(rest) = rest
        && let Err(crate::config::ConfigError(more)) = Config::from_args(&rest.command.settings())
    {
        problems.extend(more);
    }
    Some(crate::config::ConfigError(problems))
}

/// The value of the last `--flag value` or `--flag=value` on the command line.
fn flag_value(argv: &[OsString], flag: &str) -> Option<OsString> {
    let prefix = format!("{flag}=");
    let mut found = None;
    let mut words = argv.iter().skip(1);
    while let Some(word) = words.next() {
        let text = word.to_string_lossy();
        if text == flag {
            found = words.next().cloned();
        } else if let Some(value) = text.strip_prefix(&prefix) {
            found = Some(OsString::from(value));
        }
    }
    found
}

/// Removes every `--flag value` and `--flag=value` from the command line.
fn remove_flag(argv: &mut Vec<OsString>, flag: &str) {
    let prefix = format!("{flag}=");
    let mut kept = Vec::with_capacity(argv.len());
    let mut words = std::mem::take(argv).into_iter();
    while let Some(word) = words.next() {
        let text = word.to_string_lossy();
        if text == flag {
            words.next();
        } else if !text.starts_with(&prefix) {
            kept.push(word);
        }
    }
    *argv = kept;
}

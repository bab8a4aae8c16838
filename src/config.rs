//! Typed configuration: defaults, then environment, then flags (clap resolves the last two),
//! validated once into [`Config`]. Secrets live in [`Secret`], which never prints.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// Demo mode's signing secret. Public on purpose: demo mode is for laptops, never production,
/// and a fixed secret keeps the banner's token valid across restarts.
const DEMO_JWT_SECRET: &str = "partner-gateway-demo-secret-not-for-production-use!";
const MIN_SECRET_BYTES: usize = 32;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/partner-gateway.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// A string that must not appear in logs, banners or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Where the data lives: every command that opens the database.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://path/to/file.db` or `postgres://user:pass@host:port/db`.
    #[arg(id = "database_url", long = "database-url", value_name = "DATABASE_URL", env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true, global = true)]
    pub url: String,

    /// Maximum pooled database connections (default: 8 on SQLite, 16 on PostgreSQL).
    #[arg(
        id = "database_max_connections",
        long = "database-max-connections",
        value_name = "DATABASE_MAX_CONNECTIONS",
        env = "DATABASE_MAX_CONNECTIONS",
        global = true
    )]
    pub max_connections: Option<u32>,
}

/// Demo mode, or the secret that signs tokens (which turns it off).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Demo mode")]
pub struct ModeArgs {
    /// HS256 signing secret for access tokens, at least 32 bytes. Setting it turns demo mode off.
    #[arg(
        id = "jwt_secret",
        long = "jwt-secret",
        value_name = "JWT_SECRET",
        env = "JWT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub jwt_secret: Option<String>,

    /// Turn demo mode off even without `JWT_SECRET` (then `serve` and `admin-token` refuse to
    /// run until one is set).
    #[arg(id = "no_demo", long = "no-demo", env = "NO_DEMO", global = true)]
    pub no_demo: bool,
}

/// The claims every token carries and every request's token is checked against.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Tokens")]
pub struct TokenArgs {
    /// `iss` claim of issued tokens, checked on every request.
    #[arg(
        id = "jwt_issuer",
        long = "jwt-issuer",
        value_name = "JWT_ISSUER",
        env = "JWT_ISSUER",
        default_value = "partner-gateway"
    )]
    pub issuer: String,

    /// `aud` claim of issued tokens, checked on every request.
    #[arg(
        id = "jwt_audience",
        long = "jwt-audience",
        value_name = "JWT_AUDIENCE",
        env = "JWT_AUDIENCE",
        default_value = "partner-api"
    )]
    pub audience: String,
}

/// How the process logs.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Logging")]
pub struct LogArgs {
    /// Log output format.
    #[arg(id = "log_format", long = "log-format", value_name = "LOG_FORMAT", env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub format: LogFormat,
}

/// Which addresses webhooks may reach.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Webhooks")]
pub struct TargetArgs {
    /// Let webhooks reach private, loopback and link-local addresses (default: only in demo
    /// mode, so a receiver on this machine works there; never in production).
    #[arg(
        id = "webhook_allow_private_targets",
        long = "webhook-allow-private-targets",
        value_name = "WEBHOOK_ALLOW_PRIVATE_TARGETS",
        env = "WEBHOOK_ALLOW_PRIVATE_TARGETS",
        global = true
    )]
    pub allow_private: Option<bool>,
}

/// Everything `serve` reads, from flags or the environment; the other commands read only the
/// groups they use (see `cli`).
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Pooled connections one request may use at once (default: half the pool, at least 1).
    #[arg(
        long,
        env = "DATABASE_CONNECTIONS_PER_REQUEST",
        help_heading = "Database"
    )]
    pub database_connections_per_request: Option<u32>,

    /// Pooled connections all requests of one tenant may use at once (default: three quarters
    /// of the pool, at least 1).
    #[arg(
        long,
        env = "DATABASE_CONNECTIONS_PER_TENANT",
        help_heading = "Database"
    )]
    pub database_connections_per_tenant: Option<u32>,

    /// Seconds a request waits for a pooled connection before it is answered 503 with
    /// Retry-After.
    #[arg(
        long,
        env = "DATABASE_ACQUIRE_TIMEOUT_SECONDS",
        default_value_t = 5,
        help_heading = "Database"
    )]
    pub database_acquire_timeout_seconds: u64,

    #[command(flatten)]
    pub mode: ModeArgs,

    /// Demo mode only: place and complete a sales order in the demo tenant every few seconds,
    /// so that lists grow and webhook events arrive.
    #[arg(long, env = "SIMULATE", help_heading = "Demo mode")]
    pub simulate: bool,

    #[command(flatten)]
    pub tokens: TokenArgs,

    /// Access token lifetime in seconds (60 to 86400).
    #[arg(
        long,
        env = "TOKEN_TTL_SECONDS",
        default_value_t = 3600,
        help_heading = "Tokens"
    )]
    pub token_ttl_seconds: u64,

    /// Address the HTTP server listens on.
    #[arg(long, env = "BIND", default_value = DEFAULT_BIND, help_heading = "HTTP server")]
    pub bind: String,

    /// Base URL printed in the banner and links (default: `http://<bind>`).
    #[arg(long, env = "PUBLIC_URL", help_heading = "HTTP server")]
    pub public_url: Option<String>,

    /// Seconds any other request may run before it is stopped with a 503.
    #[arg(
        long,
        env = "REQUEST_TIMEOUT_SECONDS",
        default_value_t = 30,
        help_heading = "HTTP server"
    )]
    pub request_timeout_seconds: u64,

    /// Seconds a client has to send a request's headers, from the moment the connection opens
    /// or the previous response ends (so it is also the idle keep-alive timeout).
    #[arg(
        long,
        env = "HTTP_HEADER_TIMEOUT_SECONDS",
        default_value_t = 10,
        help_heading = "HTTP server"
    )]
    pub http_header_timeout_seconds: u64,

    /// Seconds a response may wait for the client to read it before the connection is closed.
    #[arg(
        long,
        env = "HTTP_WRITE_TIMEOUT_SECONDS",
        default_value_t = 30,
        help_heading = "HTTP server"
    )]
    pub http_write_timeout_seconds: u64,

    /// Seconds a client has to send a whole request body.
    #[arg(
        long,
        env = "HTTP_BODY_TIMEOUT_SECONDS",
        default_value_t = 10,
        help_heading = "HTTP server"
    )]
    pub http_body_timeout_seconds: u64,

    /// Most open client connections (default: from the process's open-file limit, read at
    /// start, at most 10000). Beyond it a few more are kept for /healthz and /readyz only;
    /// the rest are closed at once.
    #[arg(long, env = "HTTP_MAX_CONNECTIONS", help_heading = "HTTP server")]
    pub http_max_connections: Option<usize>,

    /// Connections kept beyond HTTP_MAX_CONNECTIONS for /healthz and /readyz only.
    #[arg(
        long,
        env = "HTTP_HEALTH_CONNECTIONS",
        default_value_t = 32,
        help_heading = "HTTP server"
    )]
    pub http_health_connections: usize,

    /// Seconds to let in-flight requests finish after a shutdown signal.
    #[arg(
        long,
        env = "SHUTDOWN_GRACE_SECONDS",
        default_value_t = 20,
        help_heading = "HTTP server"
    )]
    pub shutdown_grace_seconds: u64,

    /// Requests per 15 minutes for each application of a PRO tenant.
    #[arg(
        long,
        env = "RATE_LIMIT_PRO",
        default_value_t = 1_000,
        help_heading = "Limits on clients"
    )]
    pub rate_limit_pro: u32,

    /// Requests per 15 minutes for each application of an ENTERPRISE tenant.
    #[arg(
        long,
        env = "RATE_LIMIT_ENTERPRISE",
        default_value_t = 10_000,
        help_heading = "Limits on clients"
    )]
    pub rate_limit_enterprise: u32,

    /// Failed token requests allowed per client id in 15 minutes, then 429.
    #[arg(
        long,
        env = "OAUTH_MAX_FAILURES_PER_CLIENT",
        default_value_t = 10,
        help_heading = "Limits on clients"
    )]
    pub oauth_max_failures_per_client: u32,

    /// Failed token requests allowed per client address in 15 minutes, then 429.
    #[arg(
        long,
        env = "OAUTH_MAX_FAILURES_PER_ADDRESS",
        default_value_t = 50,
        help_heading = "Limits on clients"
    )]
    pub oauth_max_failures_per_address: u32,

    /// Token requests (of any outcome) per client address per minute, smoothed: a burst of a
    /// sixth of it, then one every 60/N seconds; beyond, 429 with `Retry-After`.
    #[arg(
        long,
        env = "OAUTH_REQUESTS_PER_MINUTE_PER_ADDRESS",
        default_value_t = 600,
        help_heading = "Limits on clients"
    )]
    pub oauth_requests_per_minute_per_address: u32,

    /// GraphQL: largest document in bytes.
    #[arg(long, env = "GRAPHQL_MAX_BODY_BYTES", default_value_t = 64 * 1024, help_heading = "GraphQL")]
    pub graphql_max_body_bytes: usize,

    /// GraphQL: deepest bracket nesting (selections and input values), checked before parsing.
    #[arg(
        long,
        env = "GRAPHQL_MAX_NESTING",
        default_value_t = 48,
        help_heading = "GraphQL"
    )]
    pub graphql_max_nesting: usize,

    /// GraphQL: deepest selection set.
    #[arg(
        long,
        env = "GRAPHQL_MAX_DEPTH",
        default_value_t = 12,
        help_heading = "GraphQL"
    )]
    pub graphql_max_depth: usize,

    /// GraphQL: highest cost (a connection costs first × its children).
    #[arg(
        long,
        env = "GRAPHQL_MAX_COMPLEXITY",
        default_value_t = 20_000,
        help_heading = "GraphQL"
    )]
    pub graphql_max_complexity: usize,

    /// GraphQL: most aliases in one document.
    #[arg(
        long,
        env = "GRAPHQL_MAX_ALIASES",
        default_value_t = 64,
        help_heading = "GraphQL"
    )]
    pub graphql_max_aliases: usize,

    /// GraphQL: most operations in one batch.
    #[arg(
        long,
        env = "GRAPHQL_MAX_BATCH",
        default_value_t = 10,
        help_heading = "GraphQL"
    )]
    pub graphql_max_batch: usize,

    /// GraphQL: largest size of a document once its fragments are expanded (fields, spreads,
    /// inline fragments and argument values; a variable counts the values it holds).
    #[arg(
        long,
        env = "GRAPHQL_MAX_EXPANDED_FIELDS",
        default_value_t = 2_000,
        help_heading = "GraphQL"
    )]
    pub graphql_max_expanded_fields: usize,

    /// GraphQL: seconds a request may run (parse, validation, execution) before it is stopped.
    #[arg(
        long,
        env = "GRAPHQL_TIMEOUT_SECONDS",
        default_value_t = 5,
        help_heading = "GraphQL"
    )]
    pub graphql_timeout_seconds: u64,

    /// Proxies whose `X-Forwarded-For` the Push Integration API believes (comma-separated
    /// addresses or CIDR networks). From any other peer the header is ignored: anyone can send
    /// it, so believing it would let a client claim an allowed address.
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        default_value = "",
        help_heading = "Push API"
    )]
    pub trusted_proxies: String,

    /// Entries the push API's request log may hold waiting to be written; beyond, entries are
    /// dropped (and counted) rather than slowing a request.
    #[arg(
        long,
        env = "REQUEST_LOG_QUEUE",
        default_value_t = 10_000,
        help_heading = "Push API"
    )]
    pub request_log_queue: usize,

    #[command(flatten)]
    pub targets: TargetArgs,

    /// Seconds one webhook attempt may take, connecting and reading the answer included.
    #[arg(
        long,
        env = "WEBHOOK_TIMEOUT_SECONDS",
        default_value_t = 10,
        help_heading = "Webhooks"
    )]
    pub webhook_timeout_seconds: u64,

    /// Attempts at a webhook delivery before it is marked failed (retries back off
    /// exponentially from 5 s up to an hour).
    #[arg(
        long,
        env = "WEBHOOK_MAX_ATTEMPTS",
        default_value_t = 8,
        help_heading = "Webhooks"
    )]
    pub webhook_max_attempts: i32,

    /// Days a finished webhook delivery is kept (with its event and attempts), then deleted;
    /// waiting deliveries are kept however old.
    #[arg(
        long,
        env = "WEBHOOK_RETENTION_DAYS",
        default_value_t = 30,
        help_heading = "Webhooks"
    )]
    pub webhook_retention_days: u32,

    /// Webhook attempts in flight at once in this process (at most 4 per subscription).
    #[arg(
        long,
        env = "WEBHOOK_CONCURRENCY",
        default_value_t = 32,
        help_heading = "Webhooks"
    )]
    pub webhook_concurrency: usize,

    #[command(flatten)]
    pub log: LogArgs,

    /// Send traces (a span per request, with its request id) by OTLP over HTTP to this
    /// collector, e.g. `http://127.0.0.1:4318` (`/v1/traces` is added); off when unset. Not
    /// OpenTelemetry's own variable: an https endpoint set for other programs stays theirs.
    #[arg(
        long,
        env = "OTLP_ENDPOINT",
        hide_env_values = true,
        help_heading = "Traces"
    )]
    pub otlp_endpoint: Option<String>,

    /// The `service.name` the traces carry.
    #[arg(
        long,
        env = "OTEL_SERVICE_NAME",
        default_value = "partner-gateway",
        help_heading = "Traces"
    )]
    pub otel_service_name: String,

    /// Share of requests traced, from 0 to 1 (chosen by trace id, so a trace is whole).
    #[arg(
        long,
        env = "TRACE_SAMPLE_RATIO",
        default_value_t = 1.0,
        help_heading = "Traces"
    )]
    pub trace_sample_ratio: f64,

    /// Serve Prometheus metrics at `/metrics` on this address (off when unset; never the
    /// public port: keep it on a private interface).
    #[arg(long, env = "METRICS_BIND", help_heading = "Metrics")]
    pub metrics_bind: Option<String>,
}

impl ConfigArgs {
    /// Every setting at its default, whatever the environment holds: what a command gets for
    /// the groups it does not read.
    pub fn defaults() -> Self {
        use clap::FromArgMatches;
        let command = Self::augment_args(clap::Command::new("defaults"))
            .mut_args(|arg| arg.env(None::<&str>));
        let matches = command
            .try_get_matches_from(["defaults"])
            .expect("every setting has a default or is optional");
        Self::from_arg_matches(&matches).expect("the defaults are valid settings")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub backend: Backend,
    pub max_connections: u32,
    /// Pooled connections one request may use at once.
    pub connections_per_request: usize,
    /// Pooled connections all requests of one tenant may use at once.
    pub connections_per_tenant: usize,
    /// How long a request waits for a pooled connection.
    pub acquire_timeout: Duration,
    /// Whether a missing SQLite file may be created (demo mode and `migrate` only).
    pub create_if_missing: bool,
}

/// Transport limits of the HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// Longest a write to a client may wait for it to read.
    pub write_timeout: Duration,
    pub request_timeout: Duration,
    /// `None`: derived from the open-file limit at start.
    pub max_connections: Option<usize>,
    /// Connections beyond the cap that may reach the health checks only.
    pub health_connections: usize,
}

/// Brakes on failed token requests (per 15 minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OauthLimits {
    pub failures_per_client: u32,
    pub failures_per_address: u32,
    /// Token requests per client address per minute (a smooth brake, see `auth::pace`).
    pub requests_per_minute_per_address: u32,
}

/// Requests allowed per application per 15-minute window, by plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub pro: u32,
    pub enterprise: u32,
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub secret: Secret,
    pub issuer: String,
    pub audience: String,
    pub ttl: Duration,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub bind: SocketAddr,
    pub public_url: String,
    /// `None` outside demo mode when no secret is configured: fatal for `serve` only.
    pub jwt: Option<JwtConfig>,
    pub demo: bool,
    pub log_format: LogFormat,
    pub shutdown_grace: Duration,
    pub rate_limits: RateLimitConfig,
    pub graphql: GraphqlLimits,
    pub graphql_timeout: Duration,
    pub http: HttpLimits,
    pub oauth: OauthLimits,
    pub push: PushConfig,
    pub webhooks: crate::webhooks::WebhookConfig,
    /// Demo mode's simulated sales (`--simulate`).
    pub simulate: bool,
    /// Where `/metrics` is served, if anywhere.
    pub metrics_bind: Option<SocketAddr>,
    /// Where traces go, if anywhere.
    pub traces: Option<TraceConfig>,
}

/// OpenTelemetry traces, exported by OTLP over HTTP.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceConfig {
    /// The collector's traces URL (`…/v1/traces`).
    pub endpoint: String,
    pub service_name: String,
    /// Share of traces kept, 0 to 1.
    pub sample_ratio: f64,
}

/// The Push Integration API's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushConfig {
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Capacity of the request log's queue.
    pub request_log_queue: usize,
}

/// Every problem found, so one run reports all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn from_args(args: &ConfigArgs) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();

        let backend = if args.database.url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if args.database.url.starts_with("postgres://")
            || args.database.url.starts_with("postgresql://")
        {
            Some(Backend::Postgres)
        } else {
            problems.push(
                "DATABASE_URL must start with sqlite:, postgres:// or postgresql://".to_owned(),
            );
            None
        };
        let max_connections =
            args.database
                .max_connections
                .unwrap_or(if backend == Some(Backend::Postgres) {
                    16
                } else {
                    8
                });
        if !(1..=512).contains(&max_connections) {
            problems.push("DATABASE_MAX_CONNECTIONS must be between 1 and 512".to_owned());
        }
        let connections_per_request = args
            .database_connections_per_request
            .unwrap_or((max_connections / 2).max(1));
        if !(1..=max_connections.max(1)).contains(&connections_per_request) {
            problems.push(
                "DATABASE_CONNECTIONS_PER_REQUEST must be between 1 and DATABASE_MAX_CONNECTIONS"
                    .to_owned(),
            );
        }
        let connections_per_tenant = args
            .database_connections_per_tenant
            .unwrap_or((max_connections * 3 / 4).max(1));
        if !(1..=max_connections.max(1)).contains(&connections_per_tenant) {
            problems.push(
                "DATABASE_CONNECTIONS_PER_TENANT must be between 1 and DATABASE_MAX_CONNECTIONS"
                    .to_owned(),
            );
        }
        for (name, value, max) in [
            ("GRAPHQL_TIMEOUT_SECONDS", args.graphql_timeout_seconds, 300),
            (
                "DATABASE_ACQUIRE_TIMEOUT_SECONDS",
                args.database_acquire_timeout_seconds,
                300,
            ),
            (
                "REQUEST_TIMEOUT_SECONDS",
                args.request_timeout_seconds,
                3600,
            ),
            (
                "HTTP_HEADER_TIMEOUT_SECONDS",
                args.http_header_timeout_seconds,
                3600,
            ),
            (
                "HTTP_BODY_TIMEOUT_SECONDS",
                args.http_body_timeout_seconds,
                3600,
            ),
        ] {
            if !(1..=max).contains(&value) {
                problems.push(format!("{name} must be between 1 and {max}"));
            }
        }
        if let Some(n) = args.http_max_connections
            && !(16..=1_000_000).contains(&n)
        {
            problems.push("HTTP_MAX_CONNECTIONS must be between 16 and 1000000".to_owned());
        }
        if !(1..=1_000).contains(&args.http_health_connections) {
            problems.push("HTTP_HEALTH_CONNECTIONS must be between 1 and 1000".to_owned());
        }
        for (name, value) in [
            (
                "OAUTH_MAX_FAILURES_PER_CLIENT",
                args.oauth_max_failures_per_client,
            ),
            (
                "OAUTH_MAX_FAILURES_PER_ADDRESS",
                args.oauth_max_failures_per_address,
            ),
            (
                "OAUTH_REQUESTS_PER_MINUTE_PER_ADDRESS",
                args.oauth_requests_per_minute_per_address,
            ),
        ] {
            if !(1..=1_000_000).contains(&value) {
                problems.push(format!("{name} must be between 1 and 1000000"));
            }
        }

        let mut trusted_proxies = Vec::new();
        for entry in args
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            match entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            {
                Ok(net) => trusted_proxies.push(net.trunc()),
                Err(_) => problems.push(format!(
                    "TRUSTED_PROXIES: {entry:?} is neither an IP address nor a CIDR network"
                )),
            }
        }
        if !(1..=1_000_000).contains(&args.request_log_queue) {
            problems.push("REQUEST_LOG_QUEUE must be between 1 and 1000000".to_owned());
        }
        if !(1..=60).contains(&args.webhook_timeout_seconds) {
            problems.push("WEBHOOK_TIMEOUT_SECONDS must be between 1 and 60".to_owned());
        }
        if !(1..=50).contains(&args.webhook_max_attempts) {
            problems.push("WEBHOOK_MAX_ATTEMPTS must be between 1 and 50".to_owned());
        }
        if args.simulate && (args.mode.no_demo || args.mode.jwt_secret.is_some()) {
            problems.push(
                "SIMULATE (--simulate) needs demo mode: no JWT_SECRET and no --no-demo".to_owned(),
            );
        }
        if !(1..=3650).contains(&args.webhook_retention_days) {
            problems.push("WEBHOOK_RETENTION_DAYS must be between 1 and 3650".to_owned());
        }
        if !(1..=1024).contains(&args.webhook_concurrency) {
            problems.push("WEBHOOK_CONCURRENCY must be between 1 and 1024".to_owned());
        }

        let bind = match args.bind.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                problems.push(format!(
                    "BIND must be an address and port such as 127.0.0.1:8080 (got {:?})",
                    args.bind
                ));
                None
            }
        };

        let metrics_bind = match args.metrics_bind.as_deref().map(str::parse::<SocketAddr>) {
            None => None,
            Some(Ok(addr)) if Some(addr) == bind && addr.port() != 0 => {
                problems.push(
                    "METRICS_BIND must not be the public address (BIND): metrics are for operators"
                        .to_owned(),
                );
                None
            }
            Some(Ok(addr)) => Some(addr),
            Some(Err(_)) => {
                problems.push(format!(
                    "METRICS_BIND must be an address and port such as 127.0.0.1:9090 (got {:?})",
                    args.metrics_bind.as_deref().unwrap_or_default()
                ));
                None
            }
        };

        let traces = match args.otlp_endpoint.as_deref().map(traces_url) {
            None => None,
            Some(Ok(endpoint)) => Some(TraceConfig {
                endpoint,
                service_name: args.otel_service_name.clone(),
                sample_ratio: args.trace_sample_ratio,
            }),
            Some(Err(problem)) => {
                problems.push(problem);
                None
            }
        };
        if args.otel_service_name.trim().is_empty() {
            problems.push("OTEL_SERVICE_NAME must not be empty".to_owned());
        }
        if !(0.0..=1.0).contains(&args.trace_sample_ratio) {
            problems.push("TRACE_SAMPLE_RATIO must be between 0 and 1".to_owned());
        }

        if !(60..=86_400).contains(&args.token_ttl_seconds) {
            problems.push("TOKEN_TTL_SECONDS must be between 60 and 86400".to_owned());
        }
        if args.tokens.issuer.trim().is_empty() {
            problems.push("JWT_ISSUER must not be empty".to_owned());
        }
        if args.tokens.audience.trim().is_empty() {
            problems.push("JWT_AUDIENCE must not be empty".to_owned());
        }

        for (name, value) in [
            ("RATE_LIMIT_PRO", args.rate_limit_pro),
            ("RATE_LIMIT_ENTERPRISE", args.rate_limit_enterprise),
        ] {
            if !(1..=10_000_000).contains(&value) {
                problems.push(format!("{name} must be between 1 and 10000000"));
            }
        }

        for (name, value, max) in [
            // The guarded parse threads get a stack sized for this many bytes nested one
            // level each (see graphql::guard): a quarter of a megabyte keeps them at 1 GiB of
            // reserved (not committed) address space.
            (
                "GRAPHQL_MAX_BODY_BYTES",
                args.graphql_max_body_bytes,
                256 * 1024,
            ),
            ("GRAPHQL_MAX_NESTING", args.graphql_max_nesting, 256),
            ("GRAPHQL_MAX_DEPTH", args.graphql_max_depth, 64),
            (
                "GRAPHQL_MAX_COMPLEXITY",
                args.graphql_max_complexity,
                10_000_000,
            ),
            ("GRAPHQL_MAX_ALIASES", args.graphql_max_aliases, 10_000),
            ("GRAPHQL_MAX_BATCH", args.graphql_max_batch, 100),
            (
                "GRAPHQL_MAX_EXPANDED_FIELDS",
                args.graphql_max_expanded_fields,
                1_000_000,
            ),
        ] {
            if !(1..=max).contains(&value) {
                problems.push(format!("{name} must be between 1 and {max}"));
            }
        }

        let demo = !args.mode.no_demo && args.mode.jwt_secret.is_none();
        let secret = match (&args.mode.jwt_secret, demo) {
            (Some(secret), _) if secret.len() < MIN_SECRET_BYTES => {
                problems.push(format!(
                    "JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"
                ));
                None
            }
            (Some(secret), _) => Some(Secret::new(secret.clone())),
            (None, true) => Some(Secret::new(DEMO_JWT_SECRET)),
            (None, false) => None,
        };
        let jwt = secret.map(|secret| JwtConfig {
            secret,
            issuer: args.tokens.issuer.clone(),
            audience: args.tokens.audience.clone(),
            ttl: Duration::from_secs(args.token_ttl_seconds),
        });

        let public_url = match (&args.public_url, bind) {
            (Some(url), _) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            (Some(_), _) => {
                problems.push("PUBLIC_URL must start with http:// or https://".to_owned());
                String::new()
            }
            (None, Some(addr)) => format!("http://{}", display_host(addr)),
            (None, None) => String::new(),
        };

        match (backend, bind, problems.is_empty()) {
            (Some(backend), Some(bind), true) => Ok(Self {
                database: DatabaseConfig {
                    url: Secret::new(args.database.url.clone()),
                    backend,
                    max_connections,
                    connections_per_request: connections_per_request as usize,
                    connections_per_tenant: connections_per_tenant as usize,
                    acquire_timeout: Duration::from_secs(args.database_acquire_timeout_seconds),
                    create_if_missing: demo,
                },
                bind,
                public_url,
                jwt,
                demo,
                log_format: args.log.format,
                shutdown_grace: Duration::from_secs(args.shutdown_grace_seconds),
                rate_limits: RateLimitConfig {
                    pro: args.rate_limit_pro,
                    enterprise: args.rate_limit_enterprise,
                },
                graphql: GraphqlLimits::from_args(args),
                graphql_timeout: Duration::from_secs(args.graphql_timeout_seconds),
                http: HttpLimits {
                    header_timeout: Duration::from_secs(args.http_header_timeout_seconds),
                    body_timeout: Duration::from_secs(args.http_body_timeout_seconds),
                    write_timeout: Duration::from_secs(args.http_write_timeout_seconds),
                    request_timeout: Duration::from_secs(args.request_timeout_seconds),
                    max_connections: args.http_max_connections,
                    health_connections: args.http_health_connections,
                },
                oauth: OauthLimits {
                    failures_per_client: args.oauth_max_failures_per_client,
                    failures_per_address: args.oauth_max_failures_per_address,
                    requests_per_minute_per_address: args.oauth_requests_per_minute_per_address,
                },
                push: PushConfig {
                    trusted_proxies,
                    request_log_queue: args.request_log_queue,
                },
                webhooks: crate::webhooks::WebhookConfig {
                    targets: crate::webhooks::target::TargetPolicy {
                        allow_private: args.targets.allow_private.unwrap_or(demo),
                    },
                    timeout: Duration::from_secs(args.webhook_timeout_seconds),
                    max_attempts: args.webhook_max_attempts,
                    concurrency: args.webhook_concurrency,
                    retention: Duration::from_secs(u64::from(args.webhook_retention_days) * 86_400),
                },
                simulate: args.simulate,
                metrics_bind,
                traces,
            }),
            _ => Err(ConfigError(problems)),
        }
    }

    /// The token settings `serve` needs; outside demo mode a missing secret is fatal.
    pub fn require_jwt(&self) -> Result<&JwtConfig, ConfigError> {
        self.jwt.as_ref().ok_or_else(|| {
            ConfigError(vec![
                "JWT_SECRET is required outside demo mode (set it to 32+ random bytes, e.g. \
                 `openssl rand -base64 48`)"
                    .to_owned(),
            ])
        })
    }
}

/// The traces URL of an OTLP/HTTP collector given by its base URL (as OpenTelemetry reads
/// `OTEL_EXPORTER_OTLP_ENDPOINT`: `/v1/traces` is added unless it is already there).
fn traces_url(endpoint: &str) -> Result<String, String> {
    // The value is never repeated: it may hold a credential.
    let problem = |why: &str| format!("OTLP_ENDPOINT {why}");
    let url = url::Url::parse(endpoint)
        .map_err(|_| problem("must be a URL such as http://127.0.0.1:4318"))?;
    match url.scheme() {
        "http" => {}
        // The exporter is built without TLS: a collector beside the gateway forwards
        // over TLS where it must.
        "https" => {
            return Err(problem(
                "must be http://: traces go to a collector on this host or network, \
                 which forwards them over TLS",
            ));
        }
        _ => return Err(problem("must be an http:// URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(problem(
            "must not hold credentials: give a header with OTEL_EXPORTER_OTLP_HEADERS",
        ));
    }
    if url.host().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(problem(
            "must be http://host[:port][/path], without a query",
        ));
    }
    let base = url.as_str().trim_end_matches('/');
    Ok(if base.ends_with("/v1/traces") {
        base.to_owned()
    } else {
        format!("{base}/v1/traces")
    })
}

/// `0.0.0.0` is where the server listens, not an address a browser can open.
fn display_host(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    }
}

/// Configurable bounds of one GraphQL request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphqlLimits {
    /// Bytes of the request body (or query string).
    pub max_body_bytes: usize,
    /// Nesting of `{ [ (` anywhere in the document (selections and input values alike).
    pub max_nesting: usize,
    /// Depth of selection sets after parsing.
    pub max_depth: usize,
    /// Cost: a connection costs `first × child`; every other field 1.
    pub max_complexity: usize,
    /// Aliased fields in one document.
    pub max_aliases: usize,
    /// Operations in one batch.
    pub max_batch: usize,
    /// Size of a document once every fragment spread is expanded: fields, spreads, inline
    /// fragments and argument values, a variable counting the values it holds.
    pub max_expanded_fields: usize,
}

impl GraphqlLimits {
    fn from_args(args: &ConfigArgs) -> Self {
        Self {
            max_body_bytes: args.graphql_max_body_bytes,
            max_nesting: args.graphql_max_nesting,
            max_depth: args.graphql_max_depth,
            max_complexity: args.graphql_max_complexity,
            max_aliases: args.graphql_max_aliases,
            max_batch: args.graphql_max_batch,
            max_expanded_fields: args.graphql_max_expanded_fields,
        }
    }
}

impl Default for GraphqlLimits {
    /// The configuration's defaults (written once, on the settings).
    fn default() -> Self {
        Self::from_args(&ConfigArgs::defaults())
    }
}

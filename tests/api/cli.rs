//! The command line, run as a real process, and the startup banner.

use std::process::{Command, Output};
use std::sync::Arc;

use partner_gateway::cli::banner;
use partner_gateway::clock::{Clock, FixedClock};
use partner_gateway::demo::{self, DemoApp, SeedOptions};
use partner_gateway::domain::applications;
use partner_gateway::domain::secrets;
use partner_gateway::entities::enums::AppStatus;
use partner_gateway::startup;
use serde_json::{Value, json};

use crate::helpers::{TestDb, fixed_now};

fn gateway(db: &TestDb, args: &[&str]) -> Output {
    gateway_with(&db.url, args, &[])
}

/// The binary on `database_url` with only `env` besides (`RUST_LOG` is `warn` unless given).
fn gateway_with(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_partner-gateway"));
    command
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run the binary")
}

#[tokio::test]
async fn a_taken_address_is_named_with_the_setting_that_moves_it() {
    let db = TestDb::new().await;
    assert!(gateway(&db, &["migrate"]).status.success());
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = holder.local_addr().expect("address").to_string();
    let output = gateway_with(
        &db.url,
        &["--bind", &address, "serve"],
        &[("JWT_SECRET", "a-secret-of-at-least-thirty-two-bytes!!")],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&address) && stderr.contains("BIND") && stderr.contains("--bind"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_documents_are_written_without_a_database() {
    for args in [
        &["export-schema"][..],
        &["export-openapi"][..],
        &["export-openapi", "--push"][..],
    ] {
        let output = gateway_with("nonsense://nowhere", args, &[("BIND", "nonsense")]);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stdout.is_empty(), "{args:?}");
    }
}

fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

#[tokio::test]
async fn serve_without_a_secret_outside_demo_mode_refuses_to_start() {
    let db = TestDb::new().await;
    // Named, or implied by options with no command.
    for args in [
        &["serve", "--no-demo", "--bind", "127.0.0.1:0"][..],
        &["--no-demo", "--bind", "127.0.0.1:0"][..],
    ] {
        let output = gateway(&db, args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("JWT_SECRET is required"),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn invalid_configuration_is_reported_and_exits_non_zero() {
    let db = TestDb::new().await;
    let output = gateway(
        &db,
        &["serve", "--bind", "nowhere", "--token-ttl-seconds", "1"],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("BIND") && stderr.contains("TOKEN_TTL_SECONDS"),
        "{stderr}"
    );

    // Values that cannot be read at all are gathered too, with the range problems of the
    // rest, each unreadable one named by its variable and its flag.
    let output = gateway_with(
        &db.url,
        &["serve", "--rate-limit-enterprise=many"],
        &[
            ("TOKEN_TTL_SECONDS", "30"),
            ("LOG_FORMAT", "xml"),
            ("RATE_LIMIT_PRO", "abc"),
            ("BIND", "nonsense"),
            ("METRICS_BIND", "everywhere"),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "LOG_FORMAT (--log-format): \"xml\" cannot be read: expected one of",
        "RATE_LIMIT_PRO (--rate-limit-pro): \"abc\" cannot be read: invalid digit",
        "RATE_LIMIT_ENTERPRISE (--rate-limit-enterprise): \"many\" cannot be read",
        "TOKEN_TTL_SECONDS must be between 60 and 86400",
        "BIND",
        "METRICS_BIND must be an address and port",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

#[tokio::test]
async fn tenants_and_apps_lifecycle_with_json_output() {
    let db = TestDb::new().await;
    let tenant = stdout_json(&gateway(
        &db,
        &[
            "tenants",
            "create",
            "--name",
            "Som Tam Co",
            "--plan",
            "PRO",
            "--json",
        ],
    ));
    let tenant_id = tenant["tenant_id"].as_str().expect("tenant id").to_owned();
    assert_eq!(tenant["plan"], "PRO");

    // PII without read:customers is refused with a readable message.
    let refused = gateway(
        &db,
        &[
            "apps",
            "create",
            "--tenant",
            &tenant_id,
            "--name",
            "x",
            "--scopes",
            "read:customers:pii",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("read:customers:pii"));

    // A misspelt scope: the answer lists the ones there are.
    let misspelt = gateway(
        &db,
        &[
            "apps",
            "create",
            "--tenant",
            &tenant_id,
            "--name",
            "x",
            "--scopes",
            "read:sale",
        ],
    );
    assert!(!misspelt.status.success());
    let said = String::from_utf8_lossy(&misspelt.stderr);
    for scope in partner_gateway::domain::scopes::Scope::ALL {
        assert!(said.contains(scope.as_str()), "{scope}: {said}");
    }

    let created = stdout_json(&gateway(
        &db,
        &[
            "apps",
            "create",
            "--tenant",
            &tenant_id,
            "--name",
            "BI sync",
            "--scopes",
            "read:sales,read:customers read:customers:pii",
            "--json",
        ],
    ));
    let client_id = created["client_id"].as_str().expect("client id").to_owned();
    let client_secret = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(client_id.starts_with("pgc_") && client_secret.starts_with("pgs_"));
    assert_eq!(created["status"], "ACTIVE");
    assert_eq!(created["allowed_branch_ids"], Value::Null);
    assert_eq!(
        created["scopes"],
        serde_json::json!(["read:sales", "read:customers", "read:customers:pii"])
    );

    // Stored hashed: the database holds a hash that verifies the secret, not the secret.
    let conn = db.connect().await;
    let stored = applications::find_by_client_id(&conn, &client_id)
        .await
        .expect("query")
        .expect("stored");
    assert_ne!(stored.client_secret_hash, client_secret);
    assert!(secrets::verify_secret(
        &client_secret,
        &stored.client_secret_hash
    ));

    let listed = gateway(&db, &["apps", "list", "--json"]);
    let text = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(
        !text.contains(&client_secret),
        "list must never show a secret"
    );
    let listed: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(listed.as_array().expect("array").len(), 1);

    // Browser origins: normalized, replaced as a whole, cleared with none; a bad one refused.
    let origins = stdout_json(&gateway(
        &db,
        &[
            "apps",
            "origins",
            &client_id,
            "HTTPS://App.Example.com:443",
            "http://127.0.0.1:5173",
            "--json",
        ],
    ));
    assert_eq!(
        origins["allowed_origins"],
        serde_json::json!(["http://127.0.0.1:5173", "https://app.example.com"])
    );
    let bad = gateway(
        &db,
        &[
            "apps",
            "origins",
            &client_id,
            "https://app.example.com/path",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no path"));
    let unchanged = applications::find_by_client_id(&conn, &client_id)
        .await
        .expect("query")
        .expect("stored");
    assert_eq!(unchanged.allowed_origins().expect("json").len(), 2);
    let cleared = stdout_json(&gateway(&db, &["apps", "origins", &client_id, "--json"]));
    assert_eq!(cleared["allowed_origins"], serde_json::json!([]));

    let suspended = stdout_json(&gateway(&db, &["apps", "suspend", &client_id, "--json"]));
    assert_eq!(suspended["status"], "SUSPENDED");
    let stored = applications::find_by_client_id(&conn, &client_id)
        .await
        .expect("query")
        .expect("stored");
    assert_eq!(stored.status, AppStatus::Suspended);

    let unknown = gateway(&db, &["apps", "suspend", "pgc_nobody"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("pgc_nobody"));
}

#[tokio::test]
async fn seed_command_reports_what_it_wrote() {
    let db = TestDb::new().await;
    let seeded = gateway_with(
        &db.url,
        &[
            "seed",
            "--seed",
            "9",
            "--orders",
            "150",
            "--customers",
            "30",
            "--products",
            "10",
            "--skus",
            "15",
            "--json",
        ],
        &[("RUST_LOG", "info")],
    );
    let summary = stdout_json(&seeded);
    // Its log lines went to a pipe: plain text, no colour codes.
    let logged = String::from_utf8_lossy(&seeded.stderr);
    assert!(logged.contains("INFO"), "{logged}");
    assert!(
        !logged.contains('\u{1b}'),
        "colour codes in a pipe: {logged:?}"
    );
    assert_eq!(summary["sales_orders"], 150);
    assert_eq!(summary["customers"], 30);
    assert_eq!(summary["skus"], 15);
    let again = gateway(&db, &["seed", "--orders", "10", "--json"]);
    assert!(
        !again.status.success(),
        "a second seed must not duplicate data"
    );
}

#[tokio::test]
async fn demo_banner_prints_credentials_and_a_working_token() {
    let db = TestDb::new().await;
    let mut args = db.config_args();
    args.mode.jwt_secret = None;
    let config = partner_gateway::config::Config::from_args(&args).expect("demo config");
    assert!(config.demo);
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(fixed_now()));
    let state = startup::build_state(config, clock.clone())
        .await
        .expect("state");
    let summary = demo::seed(&state.db, clock.now(), &SeedOptions::small(2))
        .await
        .expect("seed");

    let text = banner(&state, 8080).await.expect("banner");
    for app in demo::DEMO_APPS {
        assert!(
            text.contains(app.client_id) && text.contains(app.client_secret),
            "{text}"
        );
    }
    assert!(text.contains("/healthz"));
    let token = text
        .split_whitespace()
        .find(|word| word.starts_with("eyJ"))
        .expect("a bearer token in the banner");
    let claims = state
        .jwt
        .verify(token, clock.now())
        .expect("the token verifies");
    assert_eq!(claims.tid, summary.tenant_id);
    assert_eq!(claims.branches, None);
    assert!(claims.scope.contains("read:customers:pii"));
    // The REST API as a request to copy, with that token.
    assert!(
        text.contains(&format!(
            "curl -H 'Authorization: Bearer {token}' 'http://127.0.0.1:8080/api/partner/v1/sales?limit=5'"
        )),
        "{text}"
    );
    let full = applications::find_by_client_id(&state.db, DemoApp::full_access().client_id)
        .await
        .expect("query")
        .expect("demo app");
    assert_eq!(claims.sub, full.id);
}

#[tokio::test]
async fn production_banner_holds_no_secret() {
    let db = TestDb::new().await;
    let config = db.config();
    assert!(!config.demo);
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(fixed_now()));
    let state = startup::build_state(config, clock.clone())
        .await
        .expect("state");
    demo::seed(&state.db, clock.now(), &SeedOptions::small(2))
        .await
        .expect("seed");
    let text = banner(&state, 8080).await.expect("banner");
    assert!(!text.contains("pgs_"), "{text}");
    assert!(!text.contains("eyJ"), "{text}");
    assert!(!text.contains(crate::helpers::TEST_JWT_SECRET), "{text}");
    assert!(
        text.contains("curl -H 'Authorization: Bearer <access_token from /oauth/token>'"),
        "{text}"
    );
}

#[tokio::test]
async fn outside_demo_mode_seed_registers_no_public_credentials_and_revocation_is_final() {
    let db = TestDb::new().await;
    const SECRET: &str = "--jwt-secret=a-real-secret-of-at-least-32-bytes-long!";
    let summary = stdout_json(&gateway(
        &db,
        &[
            SECRET,
            "seed",
            "--orders",
            "20",
            "--customers",
            "5",
            "--json",
        ],
    ));
    assert_eq!(summary["applications"], 0, "{summary}");
    let conn = db.connect().await;
    assert!(
        applications::find_by_client_id(&conn, "demo-full-access")
            .await
            .expect("query")
            .is_none()
    );

    let tenant_id = summary["tenant_id"].as_str().expect("tenant").to_owned();
    let created = stdout_json(&gateway(
        &db,
        &[
            "apps",
            "create",
            "--tenant",
            &tenant_id,
            "--name",
            "x",
            "--scopes",
            "read:sales",
            "--json",
        ],
    ));
    let client_id = created["client_id"].as_str().expect("client id").to_owned();
    let revoked = stdout_json(&gateway(&db, &["apps", "revoke", &client_id, "--json"]));
    assert_eq!(revoked["status"], "REVOKED");
    let activate = gateway(&db, &["apps", "activate", &client_id]);
    assert!(!activate.status.success(), "revocation is final");
    let stderr = String::from_utf8_lossy(&activate.stderr);
    assert!(
        stderr.contains("revoked") && stderr.contains("final"),
        "{stderr}"
    );

    // An application limited to a branch says so in the plain listing too.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let branch = partner_gateway::entities::branches::Entity::find()
        .filter(
            partner_gateway::entities::branches::Column::TenantId.eq(summary["tenant_id"]
                .as_str()
                .expect("tenant")
                .parse::<uuid::Uuid>()
                .expect("uuid")),
        )
        .one(&conn)
        .await
        .expect("query")
        .expect("a branch")
        .id
        .to_string();
    let output = gateway(
        &db,
        &[
            "apps",
            "create",
            "--tenant",
            &tenant_id,
            "--name",
            "one branch",
            "--scopes",
            "read:sales",
            "--branch",
            &branch,
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = gateway(&db, &["apps", "list", "--tenant", &tenant_id]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains(&format!("only branches: {branch}")), "{text}");
}

#[tokio::test]
async fn a_command_reads_only_its_own_settings() {
    let db = TestDb::new().await;
    // The server's settings, however wrong, do not stop a command that does not read them.
    let output = gateway_with(
        &db.url,
        &["migrate"],
        &[
            ("RATE_LIMIT_PRO", "abc"),
            ("BIND", "nonsense"),
            ("TOKEN_TTL_SECONDS", "1"),
            ("METRICS_BIND", "everywhere"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Its own are all reported, unreadable and out of range alike.
    let output = gateway_with(
        &db.url,
        &["migrate", "--database-max-connections", "0"],
        &[("LOG_FORMAT", "xml")],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "LOG_FORMAT (--log-format): \"xml\" cannot be read: expected one of",
        "DATABASE_MAX_CONNECTIONS must be between 1 and 512",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    // An option a command does not use is refused, not ignored.
    let output = gateway(&db, &["migrate", "--bind", "127.0.0.1:0"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--bind"), "{stderr}");
    // Before the command or after it, alike.
    let output = gateway(&db, &["--bind", "127.0.0.1:0", "migrate"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--bind"), "{stderr}");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let path = elsewhere.path().join("moved.db");
    let url = format!("sqlite://{}", path.display());
    let output = gateway(
        &db,
        &["--database-url", &url, "--log-format", "json", "migrate"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(path.exists(), "the flag before the command was read");
}

#[test]
fn each_command_lists_only_the_options_it_uses() {
    let help = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_partner-gateway"))
            .args(args)
            .env_clear()
            .output()
            .expect("run the binary");
        assert!(output.status.success(), "{args:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let server = [
        "--bind",
        "--graphql-max-depth",
        "--rate-limit-pro",
        "--webhook-concurrency",
    ];
    let cases: [(&[&str], &[&str], &[&str]); 9] = [
        // Help after options is the default command's.
        (
            &["--bind", "127.0.0.1:0", "--help"],
            &["--bind", "--graphql-max-depth"],
            &["Commands:"],
        ),
        (
            &["--help"],
            &["serve", "migrate", "admin-token", "serve --help"],
            &server,
        ),
        (
            &["serve", "--help"],
            &[
                "--bind",
                "--database-url",
                "--jwt-secret",
                "--graphql-max-depth",
                "--metrics-bind",
                "GraphQL:",
                "HTTP server:",
            ],
            &["--subject", "--output"],
        ),
        (
            &["migrate", "--help"],
            &[
                "--database-url",
                "--database-max-connections",
                "--log-format",
            ],
            &[
                "--bind",
                "--jwt-secret",
                "--jwt-issuer",
                "--graphql-max-depth",
            ],
        ),
        (
            &["seed", "--help"],
            &["--database-url", "--no-demo", "--orders", "--reset"],
            &["--bind", "--jwt-issuer", "--rate-limit-pro"],
        ),
        (
            &["apps", "create", "--help"],
            &["--database-url", "--tenant", "--scopes"],
            &["--bind", "--jwt-secret", "--graphql-max-depth"],
        ),
        (
            &["webhooks", "create", "--help"],
            &[
                "--database-url",
                "--webhook-allow-private-targets",
                "--url",
                "--event",
            ],
            &["--bind", "--webhook-concurrency", "--graphql-max-depth"],
        ),
        (
            &["admin-token", "--help"],
            &[
                "--jwt-secret",
                "--jwt-issuer",
                "--jwt-audience",
                "--subject",
                "--ttl-minutes",
            ],
            &["--database-url", "--bind", "--log-format"],
        ),
        (
            &["export-openapi", "--help"],
            &["--output", "--push"],
            &["--database-url", "--bind", "--jwt-secret", "--log-format"],
        ),
    ];
    for (args, present, absent) in cases {
        let text = help(args);
        for option in present {
            assert!(text.contains(option), "{args:?} lacks {option}: {text}");
        }
        for option in absent {
            assert!(!text.contains(option), "{args:?} lists {option}: {text}");
        }
    }
}

#[tokio::test]
async fn managing_a_database_never_creates_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("typo.db");
    let url = format!("sqlite://{}", path.display());
    // Demo mode (no secret) creates a database to serve from; `apps` and the others do not.
    for args in [
        &["apps", "list"][..],
        &["tenants", "list"][..],
        &[
            "keys",
            "list",
            "--tenant",
            "00000000-0000-0000-0000-000000000001",
        ][..],
    ] {
        let output = gateway_with(&url, args, &[]);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("does not exist"), "{args:?}: {stderr}");
        assert!(!path.exists(), "{args:?} created {}", path.display());
    }
}

#[tokio::test]
async fn outside_demo_mode_a_missing_sqlite_file_is_an_error_not_an_empty_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nowhere.db");
    let url = format!("sqlite://{}", path.display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_partner-gateway"))
            .args(args)
            .env_clear()
            .env("DATABASE_URL", &url)
            .env("JWT_SECRET", "a-real-secret-of-at-least-32-bytes-long!")
            .env("BIND", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run the binary")
    };
    let output = run(&["serve"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("does not exist") && stderr.contains("partner-gateway migrate"),
        "{stderr}"
    );
    assert!(!path.exists(), "no empty database was created");
    // `migrate` is the command that creates it.
    let output = run(&["migrate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(path.exists());
}

#[tokio::test]
async fn webhooks_create_list_and_delete_a_tenants_wms_subscriptions() {
    let db = TestDb::new().await;
    let tenant = stdout_json(&gateway(
        &db,
        &[
            "tenants", "create", "--name", "Hook Co", "--plan", "PRO", "--json",
        ],
    ));
    let tenant_id = tenant["tenant_id"].as_str().expect("tenant id").to_owned();
    let created = stdout_json(&gateway(
        &db,
        &[
            "--webhook-allow-private-targets",
            "true",
            "webhooks",
            "create",
            "--tenant",
            &tenant_id,
            "--url",
            "http://127.0.0.1:9/hooks",
            "--event",
            "asn.received",
            "--event",
            "order.allocated",
            "--json",
        ],
    ));
    assert!(
        created["secret"]
            .as_str()
            .expect("secret")
            .starts_with("whsec_")
    );
    assert_eq!(
        created["events"],
        serde_json::json!(["asn.received", "order.allocated"])
    );
    let id = created["id"].as_str().expect("id").to_owned();

    // A private address without the switch, and a partner event: refused, each said.
    let refused = gateway(
        &db,
        &[
            "--webhook-allow-private-targets",
            "false",
            "webhooks",
            "create",
            "--tenant",
            &tenant_id,
            "--url",
            "http://127.0.0.1:9/",
            "--event",
            "sales.order.created",
        ],
    );
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("invalid input"), "{said}");
    assert!(said.contains("url: must not point at a private"), "{said}");
    assert!(said.contains("events[0]: must be one of"), "{said}");

    let listed = stdout_json(&gateway(
        &db,
        &["webhooks", "list", "--tenant", &tenant_id, "--json"],
    ));
    assert_eq!(listed.as_array().expect("list").len(), 1);
    assert!(listed[0]["secret"].is_null(), "never the secret again");
    let deleted = stdout_json(&gateway(&db, &["webhooks", "delete", &id, "--json"]));
    assert_eq!(deleted["id"], id.as_str());
    let listed = stdout_json(&gateway(
        &db,
        &["webhooks", "list", "--tenant", &tenant_id, "--json"],
    ));
    assert_eq!(listed, serde_json::json!([]));
    let missing = gateway(&db, &["webhooks", "delete", &id]);
    assert!(!missing.status.success());
}

#[tokio::test]
async fn keys_create_list_stats_and_revoke_with_the_operators_view_of_a_key() {
    let db = TestDb::new().await;
    let tenant = stdout_json(&gateway(
        &db,
        &["tenants", "create", "--name", "Key Co", "--json"],
    ));
    let tenant_id = tenant["tenant_id"].as_str().expect("tenant id").to_owned();
    let created = stdout_json(&gateway(
        &db,
        &[
            "keys",
            "create",
            "--tenant",
            &tenant_id,
            "--name",
            "ERP",
            "--scopes",
            "read",
            "--ip",
            "192.0.2.7",
            "--ip",
            "10.0.0.0/8",
            "--rate-limit",
            "60",
            "--json",
        ],
    ));
    let raw = created["rawKey"].as_str().expect("the raw key, once");
    assert!(raw.starts_with("wms_"), "{created}");
    assert!(raw.starts_with(created["keyPrefix"].as_str().expect("prefix")));
    assert_eq!(created["tenantId"], tenant_id.as_str());
    assert_eq!(created["scopes"], json!(["read"]));
    // The allow-list in order, a single address without its prefix length.
    assert_eq!(created["ipWhitelist"], json!(["10.0.0.0/8", "192.0.2.7"]));
    assert_eq!(created["rateLimitPerMinute"], 60);
    let id = created["id"].as_str().expect("id").to_owned();

    let listed = stdout_json(&gateway(
        &db,
        &["keys", "list", "--tenant", &tenant_id, "--json"],
    ));
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert!(
        listed[0].get("rawKey").is_none(),
        "never shown again: {listed}"
    );
    assert_eq!(listed[0]["ipWhitelist"], created["ipWhitelist"]);

    let stats = stdout_json(&gateway(&db, &["keys", "stats", &id, "--json"]));
    assert_eq!(stats["key"]["id"], id.as_str());
    assert_eq!(stats["requests"], 0);
    assert!(stats["key"].get("rawKey").is_none());

    let revoked = stdout_json(&gateway(&db, &["keys", "revoke", &id, "--json"]));
    assert!(revoked["revokedAt"].is_string(), "{revoked}");
}

#[test]
fn output_to_a_reader_that_stops_early_ends_quietly() {
    // The document is larger than a pipe holds: the writer meets the closed end.
    assert!(
        std::fs::metadata("openapi.json")
            .expect("openapi.json")
            .len()
            > 256 * 1024
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_partner-gateway"))
        .args(["export-openapi"])
        .env_clear()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut start = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut start).expect("the start of the document");
    drop(stdout);
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!output.status.success());
}

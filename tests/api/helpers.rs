//! Shared test fixtures: databases, a running server, fixed clocks.

use std::sync::Arc;
use std::time::Duration;

use partner_gateway::clock::{Clock, FixedClock, Timestamp};
use partner_gateway::config::{Config, ConfigArgs, LogFormat};
use partner_gateway::demo::{self, SeedOptions, SeedSummary};
use partner_gateway::startup::{self, Application};
use partner_gateway::state::AppState;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio::sync::oneshot;
use uuid::Uuid;

pub const TEST_JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnop";

/// 2026-06-15T03:22:16.709Z, the instant of the seeds' example order.
pub fn fixed_now() -> Timestamp {
    Timestamp::from_millis(1_781_493_736_709).expect("in range")
}

/// Logs only when `TEST_LOG` is set.
pub fn init_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        partner_gateway::telemetry::init(LogFormat::Pretty);
    }
}

/// A fresh, empty (unmigrated) database for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(&admin_url).await,
            _ => Self::sqlite(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        // Outside demo mode the server never creates a missing SQLite file; an empty file is
        // an empty database, which the server migrates at start.
        std::fs::File::create(&path).expect("create the test database file");
        let url = format!("sqlite://{}", path.display());
        Self {
            url,
            _dir: Some(dir),
        }
    }

    /// Creates a uniquely named database. Panics (fails the test) when the server is
    /// unreachable: a Postgres run must never silently fall back to SQLite.
    async fn postgres(admin_url: &str) -> Self {
        let admin = Database::connect(admin_url).await.unwrap_or_else(|e| {
            panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
        });
        let name = format!("pgw_test_{}", Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        Self {
            url: replace_database_name(admin_url, &name),
            _dir: None,
        }
    }

    pub fn config_args(&self) -> ConfigArgs {
        let mut args = ConfigArgs::defaults();
        args.database.url = self.url.clone();
        args.database.max_connections = Some(4);
        args.bind = "127.0.0.1:0".into();
        args.mode.jwt_secret = Some(TEST_JWT_SECRET.into());
        args.shutdown_grace_seconds = 5;
        args.targets.allow_private = Some(true);
        args
    }

    pub fn config(&self) -> Config {
        Config::from_args(&self.config_args()).expect("valid test config")
    }

    /// A migrated connection.
    pub async fn connect(&self) -> DatabaseConnection {
        let config = self.config();
        let db = partner_gateway::db::connect(&config.database)
            .await
            .expect("connect to test database");
        partner_gateway::db::migrate(&db).await.expect("migrate");
        db
    }
}

/// `postgres://u:p@h:1/admin?x=y` → `postgres://u:p@h:1/<name>?x=y`.
fn replace_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// A server on a loopback port over a fresh database, with a clock the test controls.
pub struct TestApp {
    pub address: String,
    pub state: AppState,
    /// The server's clock: tests move time with it.
    pub clock: Arc<FixedClock>,
    pub client: reqwest::Client,
    _db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_at(fixed_now()).await
    }

    pub async fn spawn_at(now: Timestamp) -> Self {
        Self::spawn_with(now, |_| {}).await
    }

    /// A server whose configuration the test adjusts first (e.g. small rate limits).
    pub async fn spawn_with(now: Timestamp, adjust: impl FnOnce(&mut ConfigArgs)) -> Self {
        init_logging();
        let db = TestDb::new().await;
        let clock = Arc::new(FixedClock::new(now));
        let shared: Arc<dyn Clock> = clock.clone();
        let mut args = db.config_args();
        adjust(&mut args);
        let config = Config::from_args(&args).expect("valid test config");
        let state = startup::build_state(config, shared)
            .await
            .expect("build state");
        let app = Application::bind(state.clone()).await.expect("bind");
        let address = format!("http://{}", app.local_addr().expect("bound address"));
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        Self {
            address,
            state,
            clock,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
            _db: db,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Fills the database with the small demo data set (relative to the app's clock).
    pub async fn seed(&self) -> SeedSummary {
        demo::seed(&self.state.db, self.clock.now(), &SeedOptions::small(42))
            .await
            .expect("seed demo data")
    }

    /// A second PRO tenant with its own full-access application and no data; returns a token
    /// of that application.
    pub async fn other_tenant_token(&self) -> String {
        use partner_gateway::domain::applications::{self, NewApplication};

        let now = self.clock.now();
        let tenant = partner_gateway::domain::tenants::create(
            &self.state.db,
            now,
            Uuid::new_v4(),
            "Other",
            partner_gateway::entities::enums::Plan::Pro,
        )
        .await
        .expect("tenant");
        let created = applications::create(
            &self.state.db,
            now,
            NewApplication {
                tenant_id: tenant.id,
                name: "Other tenant's app".into(),
                scopes: partner_gateway::domain::scopes::ScopeSet::all(),
                allowed_branch_ids: None,
            },
        )
        .await
        .expect("app");
        let response = self
            .client
            .post(self.url("/oauth/token"))
            .basic_auth(&created.application.client_id, Some(&created.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let body: serde_json::Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// A token from `/oauth/token` for a demo client (optionally narrowed to `scope`).
    pub async fn token(&self, client_id: &str, scope: Option<&str>) -> String {
        let app = demo::DEMO_APPS
            .iter()
            .find(|a| a.client_id == client_id)
            .expect("a demo client");
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", app.client_id),
            ("client_secret", app.client_secret),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let response = self
            .client
            .post(self.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .expect("token request");
        assert_eq!(
            response.status(),
            reqwest::StatusCode::OK,
            "token for {client_id}"
        );
        let body: serde_json::Value = response.json().await.expect("json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn get_with(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request reaches the server")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the server")
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(mut self) {
        self.stop_server().await;
    }

    /// Stops the server and its background tasks; the database stays (for
    /// [`TestApp::another_server`]).
    pub async fn stop_server(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }

    /// Another server on this app's database and clock, with its own state and background
    /// tasks: a second process behind a load balancer, or this one started again. (Outside
    /// demo mode it revokes the demo applications' public secrets as it starts.)
    pub async fn another_server(&self) -> Server {
        let config = (*self.state.config).clone();
        let clock: Arc<dyn Clock> = self.clock.clone();
        let state = startup::build_state_with(config, clock, self.state.db.clone())
            .await
            .expect("another server's state");
        let app = Application::bind(state.clone()).await.expect("bind");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        Server {
            state,
            stop: Some(tx),
            task: Some(task),
        }
    }
}

/// A server started by [`TestApp::another_server`].
pub struct Server {
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }
}

#[test]
fn replaces_the_database_name_only() {
    assert_eq!(
        replace_database_name("postgres://u:p@127.0.0.1:5433/postgres", "x"),
        "postgres://u:p@127.0.0.1:5433/x"
    );
    assert_eq!(
        replace_database_name("postgres://u@h/postgres?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(
        replace_database_name("postgres://h:1", "x"),
        "postgres://h:1/x"
    );
}

/// An active branch of `tenant_id` to insert (a fresh id; no address).
pub fn branch_row(
    tenant_id: Uuid,
    code: &str,
    name: &str,
    now: Timestamp,
) -> partner_gateway::entities::branches::ActiveModel {
    use partner_gateway::entities::enums::RecordStatus;
    use sea_orm::Set;
    partner_gateway::entities::branches::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        code: Set(code.into()),
        name: Set(name.into()),
        status: Set(RecordStatus::Active),
        address: Set(None),
        city: Set(None),
        phone: Set(None),
        timezone: Set("Asia/Bangkok".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// A Push Integration API key of `tenant` with `scopes` (e.g. "read write") and no other
/// restriction; its raw text.
pub async fn push_key(app: &TestApp, tenant: Uuid, scopes: &str) -> String {
    use partner_gateway::domain::api_keys::{self, KeyScopes, NewApiKey};
    api_keys::create(
        &app.state.db,
        app.clock.now(),
        NewApiKey {
            tenant_id: tenant,
            name: "Test key".into(),
            scopes: KeyScopes::parse(scopes).expect("scopes"),
            expires_at: None,
            ip_allowlist: vec![],
            allowed_origins: vec![],
            rate_limit_per_minute: None,
        },
    )
    .await
    .expect("key")
    .raw_key
}

/// A new PRO tenant without data; its id.
pub async fn empty_tenant(app: &TestApp) -> Uuid {
    partner_gateway::domain::tenants::create(
        &app.state.db,
        app.clock.now(),
        Uuid::new_v4(),
        "Other",
        partner_gateway::entities::enums::Plan::Pro,
    )
    .await
    .expect("tenant")
    .id
}

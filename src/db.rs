//! Database connections and migrations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use std::sync::Arc;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use tokio::sync::Semaphore;

use crate::config::{Backend, DatabaseConfig};

/// Opens a pool. SQLite runs in WAL mode (readers never block the writer), with
/// `synchronous=NORMAL` (durable at checkpoints, safe under WAL), foreign keys on and a busy
/// timeout so concurrent writers wait instead of failing.
///
/// A missing SQLite file is created only when `config.create_if_missing` (demo mode and
/// `migrate`); otherwise it is an error naming the file and the command that creates it, and
/// a file that disappears later is not silently re-created empty by a new pooled connection.
pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<DatabaseConnection> {
    let url = config.url.expose();
    let create = config.create_if_missing;
    if config.backend == Backend::Sqlite {
        if create {
            ensure_sqlite_parent_dir(url)?;
        } else if let Some(path) = sqlite_path(url)
            && !path.exists()
        {
            anyhow::bail!(
                "the SQLite database {} does not exist: create it with `partner-gateway migrate` \
                 (or start in demo mode, which creates and fills one)",
                path.display()
            );
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(config.max_connections)
        .min_connections(1)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(Duration::from_secs(300))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |options| tune_sqlite(options).create_if_missing(create));
    Database::connect(options)
        .await
        .with_context(|| format!("cannot open the {:?} database", config.backend))
}

fn tune_sqlite(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-32000")
        // Pages read through a memory map: a connection that finds the database changed by
        // another throws its page cache away, and without the map reads every page again
        // with a system call and a copy.
        .pragma("mmap_size", "268435456")
}

/// The file of a `sqlite:` URL; `None` for an in-memory database or another backend.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// `sqlite://./data/x.db` needs `./data` to exist before SQLite can create the file.
fn ensure_sqlite_parent_dir(url: &str) -> anyhow::Result<()> {
    let Some(path) = sqlite_path(url) else {
        return Ok(());
    };
    if let Some(parent) = Path::new(&path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).with_context(|| {
            format!("cannot create the database directory {}", parent.display())
        })?;
    }
    Ok(())
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // On SQLite every migration step runs on one connection, in one transaction: a step
        // that fails leaves nothing behind, and no pooled connection with an older copy of the
        // schema sees a table or index dropped and created again as still there.
        let txn = sea_orm::TransactionTrait::begin(db).await?;
        Migrator::up(&txn, None)
            .await
            .context("database migration failed")?;
        return txn.commit().await.context("database migration failed");
    }
    Migrator::up(db, None)
        .await
        .context("database migration failed")
}

/// The newest migration this build knows: the schema a ready server runs on.
pub fn expected_migration() -> String {
    Migrator::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap_or_default()
}

/// Why the database cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("the database file {0} is missing")]
    FileMissing(PathBuf),
    #[error("the database does not answer: {0}")]
    Unreachable(String),
    #[error("the schema is at migration {found:?}, this build needs {expected:?}")]
    Schema { found: String, expected: String },
}

/// Readiness: the SQLite file is still there, the database answers, its schema is at the
/// migration this build expects and the main tables can be read.
pub async fn check_ready(db: &DatabaseConnection, config: &DatabaseConfig) -> Result<(), NotReady> {
    use sea_orm::Statement;

    if config.backend == Backend::Sqlite
        && let Some(path) = sqlite_path(config.url.expose())
        && !path.exists()
    {
        return Err(NotReady::FileMissing(path));
    }
    let backend = db.get_database_backend();
    let unreachable = |e: sea_orm::DbErr| NotReady::Unreachable(e.to_string());
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1",
        ))
        .await
        .map_err(unreachable)?;
    let found: String = match row {
        Some(row) => row.try_get_by_index(0).map_err(unreachable)?,
        None => String::new(),
    };
    let expected = expected_migration();
    if found != expected {
        return Err(NotReady::Schema { found, expected });
    }
    for table in [
        "tenants",
        "api_applications",
        "sales_orders",
        "customers",
        "inventory_levels",
    ] {
        db.query_one_raw(Statement::from_string(
            backend,
            format!("SELECT 1 FROM {table} LIMIT 1"),
        ))
        .await
        .map_err(unreachable)?;
    }
    Ok(())
}

/// The pooled connections one request may hold at once, and those all requests of one tenant
/// may hold together: every statement run through a [`BudgetedDb`] first takes a permit of
/// its request, then one of its tenant, and gives both back when the statement is done. One
/// request (64 aliased reports, a batch of ten operations) or one tenant's crowd of requests
/// then waits for its own permits instead of taking every pooled connection from everyone.
#[derive(Debug)]
pub struct DbBudgets {
    per_request: usize,
    per_tenant: usize,
    acquire_timeout: std::time::Duration,
    tenants: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, std::sync::Weak<Semaphore>>>,
    /// SQLite's write transactions of this process, one at a time (see [`BudgetedDb::begin`]).
    write_turn: Arc<Semaphore>,
    /// Requests waiting for their budget's permits now (a metric).
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

impl DbBudgets {
    pub fn new(
        per_request: usize,
        per_tenant: usize,
        acquire_timeout: std::time::Duration,
    ) -> Self {
        Self {
            per_request: per_request.max(1),
            per_tenant: per_tenant.max(1),
            acquire_timeout,
            tenants: std::sync::Mutex::new(std::collections::HashMap::new()),
            write_turn: Arc::new(Semaphore::new(1)),
            waiting: Arc::default(),
        }
    }

    /// Requests waiting for a connection budget now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A connection handle for one request of `tenant`.
    pub fn for_request(&self, db: &DatabaseConnection, tenant: uuid::Uuid) -> BudgetedDb {
        let mut tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        let shared = match tenants.get(&tenant).and_then(std::sync::Weak::upgrade) {
            Some(found) => found,
            None => {
                // Tenants with no request in flight are forgotten as new ones arrive.
                tenants.retain(|_, weak| weak.strong_count() > 0);
                let fresh = Arc::new(Semaphore::new(self.per_tenant));
                tenants.insert(tenant, Arc::downgrade(&fresh));
                fresh
            }
        };
        BudgetedDb {
            db: db.clone(),
            tenant: shared,
            request: Arc::new(Semaphore::new(self.per_request)),
            acquire_timeout: self.acquire_timeout,
            write_turn: self.write_turn.clone(),
            waiting: self.waiting.clone(),
        }
    }
}

/// A database connection whose statements count against a request's and a tenant's budget.
#[derive(Debug, Clone)]
pub struct BudgetedDb {
    db: DatabaseConnection,
    tenant: Arc<Semaphore>,
    request: Arc<Semaphore>,
    acquire_timeout: std::time::Duration,
    write_turn: Arc<Semaphore>,
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a wait while it lasts (a timeout or a cancelled request included).
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Waiting<'a> {
    fn start(count: &'a std::sync::atomic::AtomicUsize) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

type Permits = (
    tokio::sync::OwnedSemaphorePermit,
    tokio::sync::OwnedSemaphorePermit,
);

impl BudgetedDb {
    /// The request's permit first (so a request waiting on itself holds none of its tenant's),
    /// then the tenant's; waiting longer than the pool's acquire timeout is the same answer as
    /// a pool with no free connection: 503 with `Retry-After`.
    async fn permits(&self) -> Result<Permits, DbErr> {
        let busy = || DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        let both = async {
            let request = self
                .request
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| busy())?;
            let tenant = self
                .tenant
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| busy())?;
            Ok::<_, DbErr>((request, tenant))
        };
        let _waiting = Waiting::start(&self.waiting);
        tokio::time::timeout(self.acquire_timeout, both)
            .await
            .map_err(|_| busy())?
    }
}

impl BudgetedDb {
    /// Starts a transaction within the budget: it holds one permit of the request and one of
    /// the tenant for its whole life (it holds one pooled connection), and its statements take
    /// no further permits. On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`): a
    /// document's transaction reads before it writes, and a deferred one would fail at once
    /// with "database is locked" when another writer got there between its read and its write,
    /// instead of waiting its turn. The turn itself is taken in the process first, in arrival
    /// order: SQLite's own wait for its lock is a sleep-and-retry loop, in which a crowd of
    /// writers sleeps far longer than the transactions ahead of them take.
    pub async fn begin(&self) -> Result<BudgetedTransaction, DbErr> {
        let permits = self.permits().await?;
        begin_in_turn(
            &self.db,
            &self.write_turn,
            self.acquire_timeout,
            Some(permits),
        )
        .await
    }
}

impl DbBudgets {
    /// A transaction of the server's own (a background task's), outside every request's and
    /// tenant's budget but in the same turn as theirs on SQLite.
    pub async fn begin_background(
        &self,
        db: &DatabaseConnection,
    ) -> Result<BudgetedTransaction, DbErr> {
        begin_in_turn(db, &self.write_turn, self.acquire_timeout, None).await
    }
}

/// Starts an `IMMEDIATE` transaction, after this process's write turn on SQLite.
async fn begin_in_turn(
    db: &DatabaseConnection,
    write_turn: &Arc<Semaphore>,
    acquire_timeout: std::time::Duration,
    permits: Option<Permits>,
) -> Result<BudgetedTransaction, DbErr> {
    let busy = || DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
    let turn = if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        let waited = tokio::time::timeout(acquire_timeout, write_turn.clone().acquire_owned());
        Some(waited.await.map_err(|_| busy())?.map_err(|_| busy())?)
    } else {
        None
    };
    let txn = sea_orm::TransactionTrait::begin_with_options(
        db,
        sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        },
    )
    .await?;
    Ok(BudgetedTransaction {
        txn,
        _permits: permits,
        _turn: turn,
    })
}

/// A transaction started by [`BudgetedDb::begin`] or [`DbBudgets::begin_background`]; dropped without [`commit`](Self::commit),
/// it rolls back. Its statements run through it as a [`sea_orm::DatabaseTransaction`].
/// Commit or roll back explicitly: a dropped transaction's rollback is only queued, so its
/// permits return before its connection does.
pub struct BudgetedTransaction {
    txn: sea_orm::DatabaseTransaction,
    _permits: Option<Permits>,
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl BudgetedTransaction {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }

    /// Runs `statements` (SQL without parameters, values inlined by the caller) as the
    /// transaction's last work and commits, the statements and the `COMMIT` in one round trip
    /// to the database (on SQLite, one to the connection's thread, while this process's write
    /// turn is held). Both databases run such a batch's statements in order and stop at the
    /// first error, so a failing statement leaves the work uncommitted (and it is rolled back
    /// here). The batch ends in a `BEGIN` of an empty transaction that stands for the
    /// committed one: on PostgreSQL its rollback is queued when this is dropped and sent with
    /// the connection's check on release to the pool; on SQLite it is rolled back at once,
    /// after the write turn is released (left to the drop, a pooled connection could stay in it).
    pub async fn commit_after(self, statements: &str) -> Result<(), DbErr> {
        let batch = format!("{statements};\nCOMMIT;\nBEGIN");
        if let Err(err) = self.txn.execute_unprepared(&batch).await {
            return Err(self.undo(err).await);
        }
        if self.txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        // SQLite: the empty transaction is rolled back now, outside the write turn.
        let Self { txn, _turn, .. } = self;
        drop(_turn);
        if let Err(err) = txn.rollback().await {
            tracing::warn!(error = %err, "ending the empty transaction after a commit failed");
        }
        Ok(())
    }

    /// Rolls back after `err`, which it returns (a failed rollback is only logged: the
    /// connection is then closed by the pool, and `err` is what the caller must see).
    async fn undo(self, err: DbErr) -> DbErr {
        if let Err(undo) = self.txn.rollback().await {
            tracing::warn!(error = %undo, "a rollback after a failed statement failed");
        }
        err
    }
}

impl std::ops::Deref for BudgetedTransaction {
    type Target = sea_orm::DatabaseTransaction;

    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

#[async_trait::async_trait]
impl sea_orm::ConnectionTrait for BudgetedDb {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        let _permits = self.permits().await?;
        self.db.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        let _permits = self.permits().await?;
        self.db.execute_unprepared(sql).await
    }

    async fn query_one_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        let _permits = self.permits().await?;
        self.db.query_one_raw(stmt).await
    }

    async fn query_all_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        let _permits = self.permits().await?;
        self.db.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.db.support_returning()
    }
}

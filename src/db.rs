//! Database connections and migrations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

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
        .acquire_timeout(Duration::from_secs(10))
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
}

/// The file of a `sqlite:` URL; `None` for an in-memory database.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
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
    use sea_orm::{ConnectionTrait, Statement};

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

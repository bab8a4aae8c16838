//! Column and index helpers shared by the migrations. Changing one of these changes what a
//! *new* database gets from an old migration, so treat them as frozen once released.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

pub fn id() -> ColumnDef {
    schema::pk_uuid("id")
}

pub fn tenant_id() -> ColumnDef {
    schema::uuid("tenant_id")
}

/// A reference to another row: a UUID column, required or nullable.
pub fn reference(col: &'static str, required: bool) -> ColumnDef {
    if required {
        schema::uuid(col)
    } else {
        schema::uuid_null(col)
    }
}

/// Milliseconds since the Unix epoch, UTC.
pub fn timestamp(col: &'static str) -> ColumnDef {
    schema::big_integer(col)
}

pub fn timestamp_null(col: &'static str) -> ColumnDef {
    schema::big_integer_null(col)
}

/// An exact decimal stored as an integer scaled by 10^4, defaulting to zero.
pub fn amount(col: &'static str) -> ColumnDef {
    schema::big_integer(col).default(0).take()
}

pub fn text(col: &'static str) -> ColumnDef {
    schema::string(col)
}

pub fn text_null(col: &'static str) -> ColumnDef {
    schema::string_null(col)
}

/// `created_at` and `updated_at`.
pub fn audit_columns(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp("created_at"))
        .col(timestamp("updated_at"))
}

/// A foreign key `table.col → target.id`.
pub fn foreign_key(
    table: &'static str,
    col: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(target, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

/// The tenant foreign key every tenant-owned table carries.
pub fn tenant_fk(table: &'static str) -> ForeignKeyCreateStatement {
    foreign_key(table, "tenant_id", "tenants", ForeignKeyAction::Cascade)
}

/// A plain (non-unique) index over `cols`; a column named `-x` is indexed descending.
pub fn index(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    build_index(table, name, cols, false)
}

/// A unique index over `cols`.
pub fn unique(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    build_index(table, name, cols, true)
}

fn build_index(
    table: &'static str,
    name: &str,
    cols: &[&'static str],
    is_unique: bool,
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!(
        "{}_{table}_{name}",
        if is_unique { "uq" } else { "ix" }
    ))
    .table(table);
    for col in cols {
        match col.strip_prefix('-') {
            Some(desc) => stmt.col((desc, IndexOrder::Desc)),
            None => stmt.col(*col),
        };
    }
    if is_unique {
        stmt.unique();
    }
    stmt.take()
}

/// Creates the indexes one by one (SQLite has no multi-index statement).
pub async fn create_indexes(
    manager: &SchemaManager<'_>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}

pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).if_exists().take())
            .await?;
    }
    Ok(())
}

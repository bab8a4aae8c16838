//! HTTP adapters: translation between HTTP and the domain, nothing else.

pub mod customers;
pub mod extract;
pub mod health;
pub mod inventory;
pub mod oauth;
pub mod openapi;
pub mod partner;
pub mod products;
pub mod purchasing;
pub mod reports;
pub mod sales;
pub mod webhooks;

use serde::Serialize;

use crate::domain::pagination::Page;

/// A page of a list, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListResponse<T> {
    /// The page's items (at most `pagination.limit`).
    pub data: Vec<T>,
    pub pagination: Pagination,
}

/// Where the list continues.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Pagination {
    /// Pass as `cursor` (with the same filters) for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// Whether another page follows (exactly when `next_cursor` is not null).
    pub has_more: bool,
    /// The page size this page was read with.
    pub limit: u64,
}

impl<T> ListResponse<T> {
    pub fn from_page<M>(page: Page<M>, convert: impl FnMut(M) -> T) -> Self {
        Self {
            data: page.items.into_iter().map(convert).collect(),
            pagination: Pagination {
                next_cursor: page.next_cursor,
                has_more: page.has_more,
                limit: page.limit,
            },
        }
    }
}

/// A whole collection, unpaginated.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DataResponse<T> {
    /// Every item.
    pub data: Vec<T>,
}

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

use serde::Serialize;

use crate::domain::pagination::Page;

/// `{data, pagination}` of every list (seed 001).
/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Pagination {
    pub next_cursor: Option<String>,
    pub has_more: bool,
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

/// `{data}` of an unpaginated collection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DataResponse<T> {
    pub data: Vec<T>,
}

//! Opaque global ids and the `Node` interface: `node(id:)` and `nodes(ids:)`.

use async_graphql::{Context, ID, Object, Result};
use uuid::Uuid;

use super::catalog::{Product, Sku};
use super::customers::Customer;
use super::inventory::{InventoryLevel, InventoryMovement, Warehouse};
use super::purchasing::{PurchaseOrder, Supplier};
use super::sales::SalesOrder;
use super::viewer::Branch;
use super::webhooks::WebhookSubscription;
use super::{caller, gql, loaded, loaders};
use crate::domain::scopes::Scope;
use crate::error::AppError;

/// Anything with an opaque global id, fetchable with `node(id:)`.
#[derive(async_graphql::Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    SalesOrder(SalesOrder),
    Customer(Customer),
    Branch(Branch),
    Product(Product),
    Sku(Sku),
    Warehouse(Warehouse),
    InventoryLevel(InventoryLevel),
    InventoryMovement(InventoryMovement),
    PurchaseOrder(PurchaseOrder),
    Supplier(Supplier),
    WebhookSubscription(WebhookSubscription),
}

/// `base64url("Type:uuid")`.
pub fn global_id(kind: &str, id: Uuid) -> ID {
    use base64::Engine;
    ID(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}")))
}

pub fn parse_global_id(id: &str) -> Option<(String, Uuid)> {
    use base64::Engine;
    if id.len() > 200 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, uuid) = text.split_once(':')?;
    Some((kind.to_owned(), Uuid::parse_str(uuid).ok()?))
}

/// The types a global id may name.
const NODE_TYPES: &[&str] = &[
    "SalesOrder",
    "Customer",
    "Branch",
    "Product",
    "Sku",
    "Warehouse",
    "InventoryLevel",
    "InventoryMovement",
    "PurchaseOrder",
    "Supplier",
    "WebhookSubscription",
];

/// Resolves a global id within the caller's tenant and branches. Unknown or out-of-scope
/// objects are null (existence is never revealed); a type whose scope the token lacks is null
/// with an `insufficient_scope` error; an id that is not a global id of one of these types is
/// `invalid_request` naming `argument`.
async fn resolve_node(ctx: &Context<'_>, id: &str, argument: &str) -> Result<Option<Node>> {
    let Some((kind, uuid)) =
        parse_global_id(id).filter(|(kind, _)| NODE_TYPES.contains(&kind.as_str()))
    else {
        return Err(gql(AppError::invalid_field(
            argument,
            "is not a global id of this API (take it from an object's `id` field)",
        )));
    };
    let needs = |scope: Scope| caller(ctx)?.require(scope).map_err(gql);
    let l = loaders(ctx)?;
    Ok(match kind.as_str() {
        "SalesOrder" => {
            needs(Scope::ReadSales)?;
            loaded(l.sales_orders.try_load(uuid).await)?.map(|m| Node::SalesOrder(SalesOrder(m)))
        }
        "Customer" => {
            needs(Scope::ReadCustomers)?;
            loaded(l.customers.try_load(uuid).await)?.map(|m| Node::Customer(Customer(m)))
        }
        "Branch" => loaded(l.branches.try_load(uuid).await)?.map(|m| Node::Branch(Branch(m))),
        "Product" => {
            needs(Scope::ReadProducts)?;
            loaded(l.products.try_load(uuid).await)?.map(|m| Node::Product(Product(m)))
        }
        "Sku" => {
            needs(Scope::ReadProducts)?;
            loaded(l.skus.try_load(uuid).await)?.map(|m| Node::Sku(Sku(m)))
        }
        "Warehouse" => {
            needs(Scope::ReadInventory)?;
            loaded(l.warehouses.try_load(uuid).await)?.map(|m| Node::Warehouse(Warehouse(m)))
        }
        "InventoryLevel" => {
            needs(Scope::ReadInventory)?;
            loaded(l.levels.try_load(uuid).await)?.map(|m| Node::InventoryLevel(InventoryLevel(m)))
        }
        "InventoryMovement" => {
            needs(Scope::ReadInventory)?;
            loaded(l.movements.try_load(uuid).await)?
                .map(|m| Node::InventoryMovement(InventoryMovement(m)))
        }
        "PurchaseOrder" => {
            needs(Scope::ReadPurchasing)?;
            loaded(l.purchase_orders.try_load(uuid).await)?
                .map(|m| Node::PurchaseOrder(PurchaseOrder(m)))
        }
        "Supplier" => {
            needs(Scope::ReadPurchasing)?;
            loaded(l.suppliers.try_load(uuid).await)?.map(|m| Node::Supplier(Supplier(m)))
        }
        "WebhookSubscription" => {
            needs(Scope::ReadWebhooks)?;
            super::webhooks::find(ctx, uuid)
                .await?
                .map(Node::WebhookSubscription)
        }
        _ => None,
    })
}

/// Most ids `nodes(ids:)` takes.
const MAX_NODES: usize = 100;

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by global id (null when not found); needs its type's scope, e.g. `read:sales`.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        resolve_node(ctx, &id, "id").await
    }

    /// Up to 100 objects by global id, in the order asked (null where not found); scopes as `node`.
    #[graphql(complexity = "ids.len().saturating_mul(child_complexity)")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(gql(AppError::invalid_field(
                "ids",
                format!("at most {MAX_NODES} ids"),
            )));
        }
        let names: Vec<String> = (0..ids.len()).map(|i| format!("ids[{i}]")).collect();
        let lookups = ids
            .iter()
            .zip(&names)
            .map(|(id, name)| resolve_node(ctx, id, name));
        futures_util::future::try_join_all(lookups).await
    }
}

//! The context of a domain call: where it reads and writes (a pooled connection or a
//! transaction), whose data it sees, what time it is, and the key its cursors are signed with.
//! One value instead of four positional companions; a write that spans several domain calls
//! runs them all on its transaction through [`Ctx::on`].

use sea_orm::ConnectionTrait;

use super::pagination::CursorCodec;
use super::scope::TenantScope;
use crate::clock::Timestamp;

pub struct Ctx<'a, C: ConnectionTrait> {
    pub db: &'a C,
    pub scope: &'a TenantScope,
    pub now: Timestamp,
    pub cursors: &'a CursorCodec,
}

// By hand: every field is a reference or a copy, whatever the connection type.
impl<C: ConnectionTrait> Clone for Ctx<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: ConnectionTrait> Copy for Ctx<'_, C> {}

impl<'a, C: ConnectionTrait> Ctx<'a, C> {
    pub fn new(
        db: &'a C,
        scope: &'a TenantScope,
        now: Timestamp,
        cursors: &'a CursorCodec,
    ) -> Self {
        Self {
            db,
            scope,
            now,
            cursors,
        }
    }

    /// The same caller and time on another connection: a transaction, so that several domain
    /// calls commit or roll back together.
    pub fn on<'b, D: ConnectionTrait>(&self, db: &'b D) -> Ctx<'b, D>
    where
        'a: 'b,
    {
        Ctx {
            db,
            scope: self.scope,
            now: self.now,
            cursors: self.cursors,
        }
    }
}

//! Documents the server has already parsed and checked, kept by their SHA-256 for each
//! tenant. A document seen before skips the lexical scan, the parse and the hop to the
//! guarded threads (only the checks that depend on its variables run again), and a frontend
//! may send the hash alone: automatic persisted queries, as Apollo's clients speak them
//! (`extensions.persistedQuery.{version: 1, sha256Hash}`; an unknown hash is answered
//! `PersistedQueryNotFound` with status 200 and the client sends the text with its hash).
//!
//! Entries are per tenant, so whether a hash is known says nothing about another tenant's
//! documents. The cache is bounded by entries and by document bytes; eviction is a clock
//! (second chance), so documents in steady use survive a flood of one-off ones.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::parser::types::ExecutableDocument;
use sha2::{Digest as _, Sha256};
use std::sync::Arc;
use uuid::Uuid;

use crate::error::{AppError, FieldError};

/// A document's SHA-256.
pub type Digest = [u8; 32];

/// Most documents kept.
pub const MAX_ENTRIES: usize = 1024;
/// Most bytes of document text kept (the parsed form takes several times more).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Longest document kept; longer ones are parsed every time.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// A document that passed every check that does not depend on its variables.
#[derive(Debug)]
pub struct Known {
    pub document: ExecutableDocument,
    /// Only reads the schema (may use the deeper introspection depth).
    pub schema_only: bool,
    /// May select a personal-data field.
    pub asks_for_pii: bool,
    bytes: usize,
    /// Used since the clock hand last passed.
    recent: AtomicBool,
}

impl Known {
    pub fn new(
        document: ExecutableDocument,
        schema_only: bool,
        asks_for_pii: bool,
        bytes: usize,
    ) -> Self {
        Self {
            document,
            schema_only,
            asks_for_pii,
            bytes,
            recent: AtomicBool::new(false),
        }
    }
}

type Key = (Uuid, Digest);

#[derive(Default)]
struct Entries {
    map: HashMap<Key, Arc<Known>, foldhash::fast::RandomState>,
    /// The clock: keys in the order the hand visits them.
    hand: VecDeque<Key>,
    bytes: usize,
}

/// The cache shared by all requests.
pub struct Documents {
    entries: Mutex<Entries>,
    max_entries: usize,
    max_bytes: usize,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents")
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

impl Default for Documents {
    fn default() -> Self {
        Self::new(MAX_ENTRIES, MAX_BYTES)
    }
}

impl Documents {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            max_entries,
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves the map consistent (every step below is a
        // single insert or remove): keep using it.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, tenant: Uuid, digest: &Digest) -> Option<Arc<Known>> {
        let entries = self.lock();
        let known = entries.map.get(&(tenant, *digest))?;
        known.recent.store(true, Ordering::Relaxed);
        Some(known.clone())
    }

    /// Keeps `known` (unless it is too long to keep) and returns it shared.
    pub fn insert(&self, tenant: Uuid, digest: Digest, known: Known) -> Arc<Known> {
        let known = Arc::new(known);
        if known.bytes > MAX_DOCUMENT_BYTES.min(self.max_bytes) || self.max_entries == 0 {
            return known;
        }
        let mut entries = self.lock();
        let key = (tenant, digest);
        if let Some(existing) = entries.map.get(&key) {
            return existing.clone();
        }
        // Each turn either evicts an entry or clears one's second chance, so the loop ends
        // within two turns of the hand.
        while entries.map.len() >= self.max_entries || entries.bytes + known.bytes > self.max_bytes
        {
            let Some(oldest) = entries.hand.pop_front() else {
                break;
            };
            let keep = entries
                .map
                .get(&oldest)
                .is_some_and(|e| e.recent.swap(false, Ordering::Relaxed));
            if keep {
                entries.hand.push_back(oldest);
            } else if let Some(gone) = entries.map.remove(&oldest) {
                entries.bytes -= gone.bytes;
            }
        }
        entries.bytes += known.bytes;
        entries.hand.push_back(key);
        entries.map.insert(key, known.clone());
        known
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().map.len()
    }
}

pub fn digest(text: &str) -> Digest {
    Sha256::digest(text.as_bytes()).into()
}

/// What `extensions.persistedQuery` asks for: nothing, or the document with this hash.
pub fn persisted_query(extensions: &async_graphql::Extensions) -> Result<Option<Digest>, AppError> {
    use async_graphql::Value;
    let Some(persisted) = extensions.0.get("persistedQuery") else {
        return Ok(None);
    };
    let refuse = |field: &str, message: &str| AppError::InvalidRequest {
        message: "Invalid GraphQL request",
        details: vec![FieldError::new(
            format!("extensions.persistedQuery{field}"),
            message,
        )],
    };
    let Value::Object(fields) = persisted else {
        return Err(refuse("", "must be an object with version and sha256Hash"));
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        _ => return Err(refuse(".version", "must be 1")),
    }
    let hash = match fields.get("sha256Hash") {
        Some(Value::String(hash)) => hash,
        _ => return Err(refuse(".sha256Hash", "must be a string")),
    };
    let mut digest = [0u8; 32];
    hex::decode_to_slice(hash, &mut digest)
        .map_err(|_| refuse(".sha256Hash", "must be 64 hexadecimal digits"))?;
    Ok(Some(digest))
}

/// The answer to a hash the server does not know (yet): Apollo's message and code, so its
/// clients send the document again with the hash.
pub fn not_found() -> async_graphql::ServerError {
    let mut error = async_graphql::ServerError::new("PersistedQueryNotFound", None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "PERSISTED_QUERY_NOT_FOUND");
    error.extensions = Some(extensions);
    error
}

/// The refusal of a document sent with a hash that is not its own.
pub fn mismatch() -> AppError {
    AppError::InvalidRequest {
        message: "Invalid GraphQL request",
        details: vec![FieldError::new(
            "extensions.persistedQuery.sha256Hash",
            "is not the SHA-256 of the query",
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(text: &str) -> Known {
        let document = async_graphql::parser::parse_query(text).expect("parses");
        Known::new(document, false, false, text.len())
    }

    #[test]
    fn documents_are_kept_per_tenant() {
        let cache = Documents::default();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let text = "{ viewer { id } }";
        cache.insert(a, digest(text), known(text));
        assert!(cache.get(a, &digest(text)).is_some());
        assert!(cache.get(b, &digest(text)).is_none());
    }

    #[test]
    fn the_clock_keeps_documents_in_use_and_evicts_the_rest() {
        let cache = Documents::new(3, MAX_BYTES);
        let tenant = Uuid::from_u128(1);
        let texts = ["{ a }", "{ b }", "{ c }", "{ d }", "{ e }"];
        for text in &texts[..3] {
            cache.insert(tenant, digest(text), known(text));
        }
        // `{ a }` is in use: the next two inserts evict `{ b }` and `{ c }`, not it.
        assert!(cache.get(tenant, &digest("{ a }")).is_some());
        cache.insert(tenant, digest("{ d }"), known("{ d }"));
        cache.insert(tenant, digest("{ e }"), known("{ e }"));
        assert_eq!(cache.len(), 3);
        assert!(cache.get(tenant, &digest("{ a }")).is_some());
        assert!(cache.get(tenant, &digest("{ b }")).is_none());
        assert!(cache.get(tenant, &digest("{ c }")).is_none());
        assert!(cache.get(tenant, &digest("{ e }")).is_some());
    }

    #[test]
    fn the_byte_budget_bounds_the_cache_and_long_documents_are_not_kept() {
        let cache = Documents::new(100, 40);
        let tenant = Uuid::from_u128(1);
        for i in 0..10 {
            let text = format!("{{ field{i} }}");
            cache.insert(tenant, digest(&text), known(&text));
        }
        let kept = cache.lock().bytes;
        assert!(kept <= 40, "{kept} bytes kept");
        assert!(cache.len() < 10);
        let long = format!("{{ {} }}", "f ".repeat(MAX_DOCUMENT_BYTES));
        let cache = Documents::default();
        cache.insert(tenant, digest(&long), known(&long));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn persisted_query_extensions_are_read_strictly() {
        let ext = |json: serde_json::Value| {
            let value: async_graphql::Value = serde_json::from_value(json).expect("value");
            let mut map = std::collections::HashMap::new();
            map.insert("persistedQuery".to_owned(), value);
            async_graphql::Extensions(map)
        };
        let hash = hex::encode(digest("{ a }"));
        assert_eq!(
            persisted_query(&ext(serde_json::json!({"version": 1, "sha256Hash": hash})))
                .expect("read"),
            Some(digest("{ a }"))
        );
        assert_eq!(
            persisted_query(&async_graphql::Extensions::default()).expect("read"),
            None
        );
        for bad in [
            serde_json::json!({"version": 2, "sha256Hash": hash}),
            serde_json::json!({"sha256Hash": hash}),
            serde_json::json!({"version": 1, "sha256Hash": "abc"}),
            serde_json::json!({"version": 1, "sha256Hash": "zz".repeat(32)}),
            serde_json::json!({"version": 1}),
            serde_json::json!("x"),
        ] {
            let err = persisted_query(&ext(bad.clone())).expect_err("refused");
            assert!(
                matches!(err, AppError::InvalidRequest { .. }),
                "{bad}: {err:?}"
            );
        }
    }
}

//! The bulk endpoints' shared parts: each entry parsed on its own, and the seed's per-record
//! report (200 when every entry passed, 207 otherwise).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::envelope::{PushError, VALIDATION_FAILED};
use crate::domain::items::Upsert;
use crate::error::{AppError, FieldError};

/// The outcome of one entry of a bulk request.
#[derive(Debug)]
pub enum BulkOutcome {
    Done {
        key: String,
        result: Upsert,
        data: Value,
    },
    Failed {
        key: String,
        error: AppError,
    },
}

impl BulkOutcome {
    /// An entry refused by the rules; a server-side failure (a database error, a timeout) fails
    /// the whole request instead, so that nothing is kept and a retry runs every entry again.
    pub fn failed(key: String, error: AppError) -> Result<Self, PushError> {
        if error.status().is_server_error() {
            return Err(PushError::App(error));
        }
        Ok(Self::Failed { key, error })
    }
}

/// The seed's bulk answer: 200 when every entry passed, 207 otherwise.
#[derive(Debug)]
pub struct BulkAnswer(pub Vec<BulkOutcome>);

impl IntoResponse for BulkAnswer {
    fn into_response(self) -> Response {
        let total = self.0.len();
        let mut created = 0;
        let mut updated = 0;
        let mut errors = Vec::new();
        let mut data = Vec::new();
        for (index, outcome) in self.0.into_iter().enumerate() {
            match outcome {
                BulkOutcome::Done {
                    key,
                    result,
                    data: item,
                } => {
                    match result {
                        Upsert::Created => created += 1,
                        Upsert::Updated => updated += 1,
                    }
                    data.push(json!({
                        "index": index,
                        "key": key,
                        "status": result.as_str(),
                        "data": item,
                    }));
                }
                BulkOutcome::Failed { key, error } => {
                    error.log();
                    let body = error.body();
                    let message = match error.code() {
                        crate::error::ErrorCode::InvalidRequest => VALIDATION_FAILED.to_owned(),
                        _ => error.message(),
                    };
                    let mut entry = json!({ "index": index, "key": key, "error": message });
                    if let Some(details) = body.get("details") {
                        entry["details"] = details.clone();
                    }
                    errors.push(entry.clone());
                    entry["status"] = json!("error");
                    data.push(entry);
                }
            }
        }
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::MULTI_STATUS
        };
        let body = json!({
            "status": if errors.is_empty() { "success" } else { "partial" },
            "total": total,
            "created": created,
            "updated": updated,
            "errors": errors,
            "data": data,
            "requestId": super::envelope::current_request_id(),
        });
        (status, axum::Json(body)).into_response()
    }
}

/// What writing one bulk entry did, and what the report shows of it.
pub type Written<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(Upsert, Value), AppError>> + Send + 'a>,
>;

/// Writes each entry of a bulk request on its own, in order: an entry that cannot be read, or
/// that the rules refuse, fails alone (its `key` is its `key_field` as sent); one that fails on
/// the server's side fails the whole request. `write` answers what was done and what to show.
pub async fn each<'a, B: serde::de::DeserializeOwned>(
    entries: &[Box<RawValue>],
    key_field: &str,
    mut write: impl FnMut(B) -> Written<'a>,
) -> Result<BulkAnswer, PushError> {
    let mut outcomes = Vec::with_capacity(entries.len());
    for raw in entries {
        let key = entry_key(raw, key_field);
        let outcome = match parse_entry::<B>(raw) {
            Err(error) => BulkOutcome::Failed { key, error },
            Ok(body) => match write(body).await {
                Ok((result, data)) => BulkOutcome::Done { key, result, data },
                Err(error) => BulkOutcome::failed(key, error)?,
            },
        };
        outcomes.push(outcome);
    }
    Ok(BulkAnswer(outcomes))
}

/// Refuses a bulk request over its limit (or empty) before anything is touched.
pub fn check_bulk_size(len: usize, max: usize, field: &str) -> Result<(), PushError> {
    if (1..=max).contains(&len) {
        return Ok(());
    }
    Err(PushError::Invalid {
        message: VALIDATION_FAILED.to_owned(),
        details: vec![FieldError::new(
            field,
            format!("must hold 1 to {max} entries (it holds {len})"),
        )],
    })
}

/// Reads one entry of a bulk request, its problems named by their path in the entry.
pub fn parse_entry<T: serde::de::DeserializeOwned>(raw: &RawValue) -> Result<T, AppError> {
    crate::web::json::parse(raw.get().as_bytes())
}

/// The `key` of an entry that could not be read: its `field` when it has one.
pub fn entry_key(raw: &RawValue, field: &str) -> String {
    serde_json::from_str::<Value>(raw.get())
        .ok()
        .and_then(|v| v.get(field).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

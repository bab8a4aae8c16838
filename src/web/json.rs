//! JSON request bodies: a malformed body is the catalogue's 400 naming what was wrong, with the
//! JSON path of a misplaced value (`items[0].quantity`), never the framework's plain-text
//! rejection.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

/// Longest message kept from the JSON parser (it quotes the client's own values).
const MAX_MESSAGE_CHARS: usize = 200;

/// The message a body that is not JSON at all gets.
pub const NOT_JSON: &str = "must be a JSON document";

/// Reads a whole request body: at most `max_bytes` (413 `payload_too_large` beyond), and a body
/// that stops arriving within the server's body timeout is a 408 `request_timeout`.
pub async fn read_body(
    body: axum::body::Body,
    max_bytes: usize,
    timeout: std::time::Duration,
) -> Result<bytes::Bytes, AppError> {
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, max_bytes)).await {
        Ok(read) => read.map_err(|err| body_error(&err, max_bytes)),
        Err(_) => Err(AppError::SlowBody),
    }
}

/// What a failed body read means for the client.
pub fn body_error(err: &(dyn std::error::Error + 'static), max_bytes: usize) -> AppError {
    let causes = || std::iter::successors(Some(err), |e| e.source());
    if causes().any(|e| e.is::<http_body_util::LengthLimitError>()) {
        AppError::PayloadTooLarge { max_bytes }
    } else if causes().any(|e| e.is::<tower_http::timeout::TimeoutError>()) {
        AppError::SlowBody
    } else {
        AppError::invalid_field("body", "could not be read")
    }
}

/// Parses `body` as `T`; problems name the JSON path of the offending value (`body` for the
/// document as a whole).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut reader);
    let value = parsed.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let (field, message) = match inner.classify() {
            // Not JSON, or cut short: about the document, not a field.
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => (
                "body".to_owned(),
                format!(
                    "{NOT_JSON} (line {}, column {})",
                    inner.line(),
                    inner.column()
                ),
            ),
            _ => {
                let message = describe(&inner);
                match missing_field(&message) {
                    // serde names a missing field in its message only: the problem is
                    // that field's, at its own path.
                    Some(name) if path == "." => (name.to_owned(), REQUIRED.to_owned()),
                    Some(name) => (format!("{path}.{name}"), REQUIRED.to_owned()),
                    None if path == "." => ("body".to_owned(), message),
                    None => (path, message),
                }
            }
        };
        AppError::validation(vec![FieldError::new(field, message)])
    })?;
    reader
        .end()
        .map_err(|_| AppError::invalid_field("body", "must hold one JSON document only"))?;
    Ok(value)
}

const REQUIRED: &str = "is required";

/// The field serde found missing (`missing field `name``).
fn missing_field(message: &str) -> Option<&str> {
    let name = message.strip_prefix("missing field `")?.split_once('`')?.0;
    (!name.is_empty()).then_some(name)
}

/// serde's description of a type or data problem, without its position suffix.
fn describe(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let text = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(message, _)| message);
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

/// Whether a `Content-Type` names JSON (`application/json` or a `+json` type).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A JSON request body of at most `MAX_BYTES`: a missing or other content type, a body too
/// large or too slow, and malformed JSON are each the catalogue's error.
#[derive(Debug)]
pub struct JsonBody<T, const MAX_BYTES: usize = 1_048_576>(pub T);

impl<T, S, const MAX_BYTES: usize> FromRequest<S> for JsonBody<T, MAX_BYTES>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_json(content_type) {
            return Err(AppError::invalid_field(
                "content-type",
                "must be application/json",
            ));
        }
        let body = read_body(request.into_body(), MAX_BYTES, BODY_TIMEOUT).await?;
        parse(&body).map(Self)
    }
}

/// How long a JSON body may take to arrive.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Line {
        sku: String,
        quantity: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Order {
        reference: String,
        items: Vec<Line>,
    }

    fn detail(err: AppError) -> (String, String) {
        let body = err.body();
        assert_eq!(body["error"], "invalid_request");
        let detail = &body["details"][0];
        (
            detail["field"].as_str().unwrap_or_default().to_owned(),
            detail["message"].as_str().unwrap_or_default().to_owned(),
        )
    }

    #[test]
    fn a_misplaced_value_is_named_by_its_json_path() {
        let err = parse::<Order>(br#"{"reference":"A","items":[{"sku":"X","quantity":"two"}]}"#)
            .expect_err("a string quantity");
        let (field, message) = detail(err);
        assert_eq!(field, "items[0].quantity");
        assert!(
            message.starts_with("invalid type: string \"two\""),
            "{message}"
        );
        assert!(!message.contains("line"), "{message}");

        // A missing field is named by its own path.
        let err = parse::<Order>(br#"{"items":[]}"#).expect_err("no reference");
        assert_eq!(detail(err), ("reference".into(), "is required".into()));
        let err =
            parse::<Order>(br#"{"reference":"A","items":[{"quantity":1}]}"#).expect_err("no sku");
        assert_eq!(detail(err), ("items[0].sku".into(), "is required".into()));
    }

    #[test]
    fn a_body_that_is_not_one_json_document_is_named_body() {
        for bad in [
            &b"{"[..],
            b"not json",
            b"",
            b"{\"reference\":\"A\",\"items\":[]} {}",
        ] {
            let (field, message) = detail(parse::<Order>(bad).expect_err("malformed"));
            assert_eq!(field, "body", "{message}");
        }
        assert!(parse::<Order>(br#"{"reference":"A","items":[]}"#).is_ok());
    }

    async fn extract(content_type: &str, body: &str) -> Result<Order, AppError> {
        let request = axum::http::Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, content_type)
            .body(axum::body::Body::from(body.to_owned()))
            .map_err(AppError::internal)?;
        JsonBody::<Order, 64>::from_request(request, &())
            .await
            .map(|JsonBody(order)| order)
    }

    #[tokio::test]
    async fn the_extractor_checks_the_type_the_size_and_the_document() {
        let order = extract("application/json", r#"{"reference":"A","items":[]}"#).await;
        assert_eq!(order.expect("valid").reference, "A");

        let err = extract("text/plain", r#"{"reference":"A","items":[]}"#)
            .await
            .expect_err("not declared as JSON");
        assert_eq!(detail(err).0, "content-type");

        let large = format!(r#"{{"reference":"{}","items":[]}}"#, "x".repeat(100));
        let err = extract("application/json", &large)
            .await
            .expect_err("over 64 bytes");
        assert_eq!(err.code(), crate::error::ErrorCode::PayloadTooLarge);

        let err = extract("application/json", r#"{"reference":7,"items":[]}"#)
            .await
            .expect_err("a number reference");
        assert_eq!(detail(err).0, "reference");
    }

    #[test]
    fn json_content_types() {
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json(yes), "{yes}");
        }
        for no in [
            "",
            "text/json",
            "application/x-www-form-urlencoded",
            "application/jsonx",
        ] {
            assert!(!is_json(no), "{no}");
        }
    }
}

//! GraphQL errors carry the REST catalogue's code in `extensions.code`; no internal text
//! ever reaches a client.

use async_graphql::{ErrorExtensionValues, Name, PathSegment, Response, ServerError, Value};

use crate::error::AppError;

/// `extensions` of an error: the catalogue code, and `details` / `required_scopes` where the
/// catalogue has them.
fn extensions_of(err: &AppError) -> ErrorExtensionValues {
    let body = err.body();
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", err.code().as_str());
    for key in ["details", "required_scopes"] {
        if let Some(found) = body.get(key)
            && let Ok(value) = Value::from_json(found.clone())
        {
            extensions.set(key, value);
        }
    }
    extensions
}

/// What a field's refused arguments are called here: the REST catalogue's code, GraphQL's
/// words (REST says "Query parameter validation failed").
pub const ARGUMENT_VALIDATION_MESSAGE: &str = "Argument validation failed";

/// An [`AppError`] as a GraphQL field error with `extensions.code` (and `details` /
/// `required_scopes` where the catalogue has them). Internal causes are logged, not sent.
pub fn gql(err: AppError) -> async_graphql::Error {
    err.log();
    let err = err.named(|field| super::schema::argument(field).into());
    let mut message = err.message();
    if message == AppError::VALIDATION_MESSAGE {
        message = ARGUMENT_VALIDATION_MESSAGE.to_owned();
    }
    let mut error = async_graphql::Error::new(message);
    error.extensions = Some(extensions_of(&err));
    error
}

/// An error that stops a whole operation (or request), as a GraphQL error without a path.
/// The caller logs it.
pub fn gql_server_error(err: AppError) -> ServerError {
    let mut error = ServerError::new(err.message(), None);
    error.extensions = Some(extensions_of(&err));
    error
}

/// The response of one operation of a batch that was refused before it ran.
pub fn refused(err: AppError) -> Response {
    err.log();
    Response::from_errors(vec![gql_server_error(err)])
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some())
}

/// The last line of defence: every error leaves with a catalogue code. Errors raised while
/// executing (they have a `path`) without a code are internal and masked; errors about the
/// document itself (parse, validation, limits) are `invalid_request` and keep their message,
/// which only ever describes the client's own document.
pub fn sanitize(mut response: Response) -> Response {
    for error in &mut response.errors {
        if has_code(error) {
            continue;
        }
        let mut extensions = error.extensions.take().unwrap_or_default();
        if error.path.is_empty() || is_input_error(&error.message) {
            // About the client's own document or values: its mistake, not ours.
            extensions.set("code", "invalid_request");
            error.message = crate::graphql::limits::truncate(
                &error.message,
                crate::graphql::limits::MAX_ERROR_CHARS,
            );
        } else {
            tracing::error!(message = %error.message, "GraphQL error without a code: masked");
            error.message = "An unexpected error occurred".to_owned();
            extensions.set("code", "server_error");
        }
        error.extensions = Some(extensions);
    }
    for error in &response.errors {
        null_at(&mut response.data, &error.path);
    }
    response
}

/// An argument or variable value async-graphql could not turn into its input type (the
/// texts of `InputValueError`): raised while executing, but about the client's input.
fn is_input_error(message: &str) -> bool {
    message.starts_with("Failed to parse \"") || message.starts_with("Invalid value for argument")
}

/// async-graphql leaves a field whose resolver failed out of its object; GraphQL wants it
/// there as `null` (clients such as Relay and Apollo treat a missing key as a broken cache).
fn null_at(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = data;
    for segment in parents {
        node = match (segment, node) {
            (PathSegment::Field(name), Value::Object(map)) => match map.get_mut(name.as_str()) {
                Some(child) => child,
                None => return,
            },
            (PathSegment::Index(i), Value::List(items)) => match items.get_mut(*i) {
                Some(child) => child,
                None => return,
            },
            _ => return,
        };
    }
    if let (PathSegment::Field(name), Value::Object(map)) = (last, node) {
        map.entry(Name::new(name)).or_insert(Value::Null);
    }
}

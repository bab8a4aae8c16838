//! Limits checked on the raw document before the parser sees it: the parser recurses, so a
//! document nested thousands of levels deep must never reach it. Depth and complexity of what
//! parses are then bounded by async-graphql's own validation.

use crate::error::{AppError, FieldError};

/// Configurable bounds of one GraphQL request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphqlLimits {
    /// Bytes of the request body (or query string).
    pub max_body_bytes: usize,
    /// Nesting of `{ [ (` anywhere in the document (selections and input values alike).
    pub max_nesting: usize,
    /// Depth of selection sets after parsing.
    pub max_depth: usize,
    /// Cost: a connection costs `first × child`; every other field 1.
    pub max_complexity: usize,
    /// Aliased fields in one document.
    pub max_aliases: usize,
    /// Operations in one batch.
    pub max_batch: usize,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_nesting: 48,
            max_depth: 12,
            max_complexity: 20_000,
            max_aliases: 64,
            max_batch: 10,
        }
    }
}

fn refuse(field: &str, message: String) -> AppError {
    AppError::InvalidRequest {
        message: "GraphQL document exceeds a limit",
        details: vec![FieldError::new(field, message)],
    }
}

/// Scans a document (strings, block strings and comments skipped) for nesting and aliases.
pub fn check_document(document: &str, limits: &GraphqlLimits) -> Result<(), AppError> {
    if document.len() > limits.max_body_bytes {
        return Err(refuse(
            "query",
            format!("document is larger than {} bytes", limits.max_body_bytes),
        ));
    }
    let bytes = document.as_bytes();
    let mut depth = 0usize;
    let mut paren_depth = 0usize;
    let mut aliases = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if bytes[i] == b'(' {
                    paren_depth += 1;
                }
                if depth > limits.max_nesting {
                    return Err(refuse(
                        "query",
                        format!("document nests deeper than {} levels", limits.max_nesting),
                    ));
                }
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                if bytes[i] == b')' {
                    paren_depth = paren_depth.saturating_sub(1);
                }
            }
            // Outside argument lists and variable definitions, `name: field` is an alias.
            b':' if paren_depth == 0 => {
                aliases += 1;
                if aliases > limits.max_aliases {
                    return Err(refuse(
                        "query",
                        format!("document uses more than {} aliases", limits.max_aliases),
                    ));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_deep_nesting_of_any_bracket_before_parsing() {
        let limits = GraphqlLimits::default();
        let deep_selection = format!("{}{}", "{a".repeat(1000), "}".repeat(1000));
        assert!(check_document(&deep_selection, &limits).is_err());
        let deep_list = format!(
            "{{ f(x: {}1{}) }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(check_document(&deep_list, &limits).is_err());
        let deep_object = format!("{{ f(x: {}) }}", "{a: ".repeat(500) + &"}".repeat(500));
        assert!(check_document(&deep_object, &limits).is_err());
        assert!(check_document("{ viewer { plan } }", &limits).is_ok());
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let limits = GraphqlLimits {
            max_nesting: 3,
            ..GraphqlLimits::default()
        };
        let doc = "# {{{{{{\n{ a(x: \"[[[[[[\") { b(y: \"\"\"((((((\"\"\") } }";
        assert!(check_document(doc, &limits).is_ok());
    }

    #[test]
    fn counts_aliases_but_not_arguments() {
        let limits = GraphqlLimits {
            max_aliases: 2,
            ..GraphqlLimits::default()
        };
        assert!(check_document("{ a: viewer { plan } b: viewer { plan } }", &limits).is_ok());
        assert!(check_document("{ a: v b: v c: v }", &limits).is_err());
        assert!(check_document("query($x: Int, $y: Int) { f(a: 1, b: {c: 2}) }", &limits).is_ok());
    }
}

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

/// Introspection lists (`types`, `fields`, …) nested deeper than this along one path are
/// refused: cycles such as `fields { type { fields { … } } }` multiply the size of the answer
/// while costing little. The standard introspection query nests three (`types`, `fields`,
/// `args`).
pub const MAX_INTROSPECTION_LISTS: usize = 3;

/// Selection depth allowed to a document that only reads the schema: GraphiQL's introspection
/// query follows `ofType` nine levels deep.
pub const INTROSPECTION_DEPTH: usize = 24;

const INTROSPECTION_LISTS: &[&str] = &[
    "types",
    "fields",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "args",
    "directives",
];

/// Checks the introspection part of a document that passed [`check_document`] (so its
/// nesting is bounded and the parser is safe to call). Returns whether every operation only
/// reads the schema (`__schema`, `__type`, `__typename`), which may then use the deeper
/// [`INTROSPECTION_DEPTH`]. A document that does not parse is left to the executor.
pub fn check_introspection(document: &str) -> Result<bool, AppError> {
    use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

    if !document.contains("__schema") && !document.contains("__type") {
        return Ok(false);
    }
    let Ok(parsed) = async_graphql::parser::parse_query(document) else {
        return Ok(false);
    };

    struct Walk<'a> {
        doc: &'a ExecutableDocument,
        too_nested: bool,
    }

    impl Walk<'_> {
        /// `lists`: introspection lists above this selection set; `None` outside introspection.
        fn set(&mut self, set: &SelectionSet, lists: Option<usize>, depth: usize) {
            if self.too_nested || depth > 64 {
                return;
            }
            for item in &set.items {
                match &item.node {
                    Selection::Field(field) => {
                        let name = field.node.name.node.as_str();
                        let lists = match lists {
                            None if name == "__schema" || name == "__type" => Some(0),
                            None => None,
                            Some(n) if INTROSPECTION_LISTS.contains(&name) => Some(n + 1),
                            Some(n) => Some(n),
                        };
                        if lists.is_some_and(|n| n > MAX_INTROSPECTION_LISTS) {
                            self.too_nested = true;
                            return;
                        }
                        self.set(&field.node.selection_set.node, lists, depth + 1);
                    }
                    Selection::FragmentSpread(spread) => {
                        let name = &spread.node.fragment_name.node;
                        if let Some(fragment) = self.doc.fragments.get(name) {
                            self.set(&fragment.node.selection_set.node, lists, depth + 1);
                        }
                    }
                    Selection::InlineFragment(inline) => {
                        self.set(&inline.node.selection_set.node, lists, depth + 1);
                    }
                }
            }
        }
    }

    let mut walk = Walk {
        doc: &parsed,
        too_nested: false,
    };
    let mut schema_only = true;
    for (_, operation) in parsed.operations.iter() {
        let set = &operation.node.selection_set.node;
        walk.set(set, None, 0);
        schema_only &= set.items.iter().all(|item| match &item.node {
            Selection::Field(field) => field.node.name.node.starts_with("__"),
            _ => false,
        });
    }
    if walk.too_nested {
        return Err(refuse(
            "query",
            format!(
                "introspection lists (types, fields, args, …) may nest at most \
                 {MAX_INTROSPECTION_LISTS} deep"
            ),
        ));
    }
    Ok(schema_only)
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

    #[test]
    fn introspection_cycles_are_refused_and_the_standard_query_is_schema_only() {
        let standard = "query IntrospectionQuery { __schema { queryType { name } types { ...FullType } directives { name args { ...InputValue } } } } \
            fragment FullType on __Type { kind name fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues { name } possibleTypes { ...TypeRef } } \
            fragment InputValue on __InputValue { name type { ...TypeRef } } \
            fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
        assert!(check_introspection(standard).expect("allowed"));
        assert!(!check_introspection("{ __typename viewer { plan } }").expect("allowed"));
        assert!(
            !check_introspection("{ __type(name: \"Query\") { name } viewer { plan } }")
                .expect("allowed"),
            "mixed documents keep the ordinary limits"
        );
        let cycle =
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
        let err = check_introspection(cycle).expect_err("refused");
        assert_eq!(err.body()["details"][0]["field"], "query");
        let through_fragments = "{ __type(name: \"Query\") { ...F } } fragment F on __Type { fields { type { fields { type { fields { type { fields { name } } } } } } } }";
        assert!(check_introspection(through_fragments).is_err());
        // A fragment that spreads itself cannot recurse forever here.
        let looping = "{ __schema { types { ...F } } } fragment F on __Type { name ...F }";
        assert!(check_introspection(looping).is_ok());
    }
}

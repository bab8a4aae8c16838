//! The bounds of a GraphQL document, in two independent lines: a lexical scan of the raw text
//! (size, nesting, aliases) before the parser sees it, then, on the guarded threads, checks of
//! the parsed document (nesting again, fragments, expanded size, variables, arguments,
//! introspection shape). Depth and complexity of what passes are computed by async-graphql's
//! validation and bounded by [`CostLimit`].

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use crate::error::{AppError, FieldError};

pub use crate::config::GraphqlLimits;

fn refuse(field: &str, message: String) -> AppError {
    AppError::InvalidRequest {
        message: "GraphQL document exceeds a limit",
        details: vec![FieldError::new(field, message)],
    }
}

fn unreadable(message: String) -> AppError {
    AppError::InvalidRequest {
        message: "GraphQL document could not be parsed",
        details: vec![FieldError::new("query", message)],
    }
}

/// Where a lexical problem is, for error messages: 1-based line and column (in characters).
fn position(document: &[u8], at: usize) -> (usize, usize) {
    let before = &document[..at.min(document.len())];
    let mut line = 1;
    let mut line_start = 0;
    let mut i = 0;
    while i < before.len() {
        match before[i] {
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            b'\r' => {
                line += 1;
                if before.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                line_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// What the scanner saw of a document that passed it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scan {
    /// Deepest nesting of `{ [ (`.
    pub nesting: usize,
    /// Aliased fields.
    pub aliases: usize,
}

/// Scans a document with the lexical grammar of GraphQL (October 2021, §2.1) before the
/// parser sees it: ignored tokens (BOM, white space, every line terminator — `\n`, `\r\n`
/// and a lone `\r` —, comments, commas), strings with their escapes, block strings with
/// `\"""`, names, numbers and punctuators. Nesting of `{ [ (` and aliases are counted on the
/// tokens, so nothing inside a string or a comment counts and nothing outside one is missed.
/// A document the scanner cannot tokenize is refused here: the parser would refuse it too.
pub fn check_document(document: &str, limits: &GraphqlLimits) -> Result<Scan, AppError> {
    if document.len() > limits.max_body_bytes {
        return Err(refuse(
            "query",
            format!("document is larger than {} bytes", limits.max_body_bytes),
        ));
    }
    let bytes = document.as_bytes();
    let at = |i: usize| {
        let (line, column) = position(bytes, i);
        format!("line {line}, column {column}")
    };
    let mut scan = Scan::default();
    // The closers expected, innermost last (never longer than the nesting limit).
    let mut open: Vec<u8> = Vec::new();
    let mut paren_depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // Ignored tokens.
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            0xEF if bytes[i..].starts_with("\u{FEFF}".as_bytes()) => i += 3,
            b'#' => {
                // A comment runs to the next line terminator, `\r` included.
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                let start = i;
                i += 3;
                loop {
                    if i >= bytes.len() {
                        return Err(unreadable(format!(
                            "unterminated block string starting at {}",
                            at(start)
                        )));
                    }
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') | Some(b'\r') => {
                            return Err(unreadable(format!(
                                "unterminated string starting at {}",
                                at(start)
                            )));
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        // The escaped character is never a line terminator or the end: the
                        // next round refuses those.
                        Some(b'\\') => {
                            i += match bytes.get(i + 1) {
                                Some(b'\n') | Some(b'\r') | None => 1,
                                Some(_) => 2,
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'{' | b'[' | b'(' => {
                open.push(match bytes[i] {
                    b'{' => b'}',
                    b'[' => b']',
                    _ => b')',
                });
                if bytes[i] == b'(' {
                    paren_depth += 1;
                }
                scan.nesting = scan.nesting.max(open.len());
                if open.len() > limits.max_nesting {
                    return Err(refuse(
                        "query",
                        format!("document nests deeper than {} levels", limits.max_nesting),
                    ));
                }
                i += 1;
            }
            b'}' | b']' | b')' => {
                if open.pop() != Some(bytes[i]) {
                    return Err(unreadable(format!(
                        "unbalanced {:?} at {}",
                        bytes[i] as char,
                        at(i)
                    )));
                }
                if bytes[i] == b')' {
                    paren_depth = paren_depth.saturating_sub(1);
                }
                i += 1;
            }
            // Outside argument lists and variable definitions, `name: field` is an alias.
            b':' => {
                if paren_depth == 0 {
                    scan.aliases += 1;
                    if scan.aliases > limits.max_aliases {
                        return Err(refuse(
                            "query",
                            format!("document uses more than {} aliases", limits.max_aliases),
                        ));
                    }
                }
                i += 1;
            }
            b'!' | b'$' | b'&' | b'=' | b'@' | b'|' => i += 1,
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'+' | b'.' => {
                // Names and numbers (`-1.5e+3`): their exact form is the parser's business.
                while i < bytes.len()
                    && matches!(bytes[i], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'+' | b'.')
                    && !bytes[i..].starts_with(b"...")
                {
                    i += 1;
                }
            }
            _ => {
                let shown = document
                    .get(i..)
                    .and_then(|rest| rest.chars().next())
                    .map(|c| format!("{c:?}"))
                    .unwrap_or_else(|| "a byte".to_owned());
                return Err(unreadable(format!("unexpected {shown} at {}", at(i))));
            }
        }
    }
    if !open.is_empty() {
        return Err(unreadable(
            "the document ends inside an unclosed bracket".to_owned(),
        ));
    }
    Ok(scan)
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

/// Arguments one field or directive may take (the schema's fields take at most five).
pub const MAX_ARGUMENTS: usize = 16;

/// Values (every scalar, list and object counts one) all variables of an operation may hold.
pub const MAX_VARIABLE_VALUES: usize = 10_000;

/// A document whose shape validation would walk without end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    UnknownFragment(String),
    Cycle(String),
    TooManyArguments(String),
}

impl Shape {
    fn message(&self) -> String {
        match self {
            Self::UnknownFragment(name) => format!("fragment {name:?} is not defined"),
            Self::Cycle(name) => format!("fragment {name:?} spreads itself"),
            Self::TooManyArguments(name) => {
                format!("{name:?} takes more than {MAX_ARGUMENTS} arguments")
            }
        }
    }
}

/// Values in a JSON-like value: one per scalar, list and object.
pub fn value_count(value: &async_graphql::Value) -> usize {
    let mut count = 0usize;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        count += 1;
        match v {
            async_graphql::Value::List(items) => stack.extend(items.iter()),
            async_graphql::Value::Object(fields) => stack.extend(fields.values()),
            _ => {}
        }
    }
    count
}

/// The size of a document as validation and execution will walk it: every field, inline
/// fragment, fragment spread and argument value counts one, a variable counts the values it
/// holds (`variable_sizes`), and every spread counts its fragment in full. Each fragment's size
/// is computed once and remembered, so `F0 { ...F1 ...F1 }`, `F1 { ...F2 ...F2 }`, … is measured
/// in linear time however large its expansion is (the result saturates). Fragments that are
/// not defined or that spread themselves are refused here: the walks that follow would not end.
/// Unused fragments count once (validation reads them too).
pub fn expanded_size(
    doc: &ExecutableDocument,
    variable_sizes: &HashMap<String, usize>,
) -> Result<usize, Shape> {
    use async_graphql::parser::Positioned;
    use async_graphql::parser::types::Directive;
    use async_graphql_value::Value;

    struct Count<'a> {
        doc: &'a ExecutableDocument,
        variables: &'a HashMap<String, usize>,
        memo: HashMap<&'a str, Option<usize>>,
    }

    impl<'a> Count<'a> {
        fn value(&self, value: &Value) -> usize {
            let mut count = 0usize;
            let mut stack = vec![value];
            while let Some(v) = stack.pop() {
                count = count.saturating_add(match v {
                    Value::Variable(name) => {
                        self.variables.get(name.as_str()).copied().unwrap_or(1)
                    }
                    _ => 1,
                });
                match v {
                    Value::List(items) => stack.extend(items.iter()),
                    Value::Object(fields) => stack.extend(fields.values()),
                    _ => {}
                }
            }
            count
        }

        fn arguments(
            &self,
            owner: &str,
            args: &[(Positioned<async_graphql::Name>, Positioned<Value>)],
        ) -> Result<usize, Shape> {
            if args.len() > MAX_ARGUMENTS {
                return Err(Shape::TooManyArguments(owner.to_owned()));
            }
            Ok(args
                .iter()
                .fold(0usize, |n, (_, v)| n.saturating_add(self.value(&v.node))))
        }

        fn directives(&self, list: &[Positioned<Directive>]) -> Result<usize, Shape> {
            let mut total = 0usize;
            for d in list {
                let name = format!("@{}", d.node.name.node);
                total = total
                    .saturating_add(1)
                    .saturating_add(self.arguments(&name, &d.node.arguments)?);
            }
            Ok(total)
        }

        fn set(&mut self, set: &'a SelectionSet) -> Result<usize, Shape> {
            let mut total = 0usize;
            for item in &set.items {
                let here = match &item.node {
                    Selection::Field(field) => {
                        let field = &field.node;
                        self.arguments(field.name.node.as_str(), &field.arguments)?
                            .saturating_add(self.directives(&field.directives)?)
                            .saturating_add(self.set(&field.selection_set.node)?)
                    }
                    Selection::InlineFragment(inline) => self
                        .directives(&inline.node.directives)?
                        .saturating_add(self.set(&inline.node.selection_set.node)?),
                    Selection::FragmentSpread(spread) => self
                        .directives(&spread.node.directives)?
                        .saturating_add(self.fragment(spread.node.fragment_name.node.as_str())?),
                };
                total = total.saturating_add(1).saturating_add(here);
            }
            Ok(total)
        }

        fn fragment(&mut self, name: &'a str) -> Result<usize, Shape> {
            match self.memo.get(name) {
                Some(Some(known)) => return Ok(*known),
                Some(None) => return Err(Shape::Cycle(name.to_owned())),
                None => {}
            }
            let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
                return Err(Shape::UnknownFragment(name.to_owned()));
            };
            self.memo.insert(key.as_str(), None);
            let count = self
                .directives(&fragment.node.directives)?
                .saturating_add(self.set(&fragment.node.selection_set.node)?);
            self.memo.insert(key.as_str(), Some(count));
            Ok(count)
        }
    }

    let mut count = Count {
        doc,
        variables: variable_sizes,
        memo: HashMap::new(),
    };
    let mut total = 0usize;
    for (_, operation) in doc.operations.iter() {
        let op = &operation.node;
        total = total
            .saturating_add(count.directives(&op.directives)?)
            .saturating_add(count.set(&op.selection_set.node)?);
    }
    for name in doc.fragments.keys() {
        total = total.saturating_add(count.fragment(name.as_str())?);
    }
    Ok(total)
}

/// The deepest bracket nesting of a parsed document, counted as the scanner counts it: a
/// selection set, an argument list and a list or object value each add a level. The scanner
/// and this walk are independent: a document whose real nesting the scanner underestimated is
/// still refused here, on the guarded thread, before validation walks it on an async worker.
pub fn parsed_nesting(doc: &ExecutableDocument) -> usize {
    use async_graphql::Name;
    use async_graphql::parser::Positioned;
    use async_graphql::parser::types::Directive;
    use async_graphql_value::Value;

    fn value(v: &Value, depth: usize) -> usize {
        match v {
            Value::List(items) => items
                .iter()
                .map(|item| value(item, depth + 1))
                .fold(depth + 1, usize::max),
            Value::Object(fields) => fields
                .values()
                .map(|item| value(item, depth + 1))
                .fold(depth + 1, usize::max),
            _ => depth,
        }
    }
    fn arguments(args: &[(Positioned<Name>, Positioned<Value>)], depth: usize) -> usize {
        if args.is_empty() {
            return depth;
        }
        args.iter()
            .map(|(_, v)| value(&v.node, depth + 1))
            .fold(depth + 1, usize::max)
    }
    fn directives(list: &[Positioned<Directive>], depth: usize) -> usize {
        list.iter()
            .map(|d| arguments(&d.node.arguments, depth))
            .fold(depth, usize::max)
    }
    fn set(selection: &SelectionSet, depth: usize) -> usize {
        let depth = depth + 1;
        let mut deepest = depth;
        for item in &selection.items {
            let here = match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let mut d = arguments(&field.arguments, depth)
                        .max(directives(&field.directives, depth));
                    if !field.selection_set.node.items.is_empty() {
                        d = d.max(set(&field.selection_set.node, depth));
                    }
                    d
                }
                Selection::InlineFragment(inline) => directives(&inline.node.directives, depth)
                    .max(set(&inline.node.selection_set.node, depth)),
                Selection::FragmentSpread(spread) => directives(&spread.node.directives, depth),
            };
            deepest = deepest.max(here);
        }
        deepest
    }

    let mut deepest = 0;
    for (_, operation) in doc.operations.iter() {
        let op = &operation.node;
        let mut d = set(&op.selection_set.node, 0).max(directives(&op.directives, 0));
        if !op.variable_definitions.is_empty() {
            for var in &op.variable_definitions {
                let default = var
                    .node
                    .default_value
                    .as_ref()
                    .map(|v| value(&v.node.clone().into_value(), 1))
                    .unwrap_or(1);
                let mut ty = &var.node.var_type.node;
                let mut list_depth = 1;
                while let async_graphql::parser::types::BaseType::List(inner) = &ty.base {
                    list_depth += 1;
                    ty = inner;
                }
                d = d
                    .max(default)
                    .max(list_depth)
                    .max(directives(&var.node.directives, 1));
            }
        }
        deepest = deepest.max(d);
    }
    for fragment in doc.fragments.values() {
        let f = &fragment.node;
        deepest = deepest
            .max(set(&f.selection_set.node, 0))
            .max(directives(&f.directives, 0));
    }
    deepest
}

/// Checks the introspection part of a parsed document whose expanded size is bounded.
/// Returns whether every operation only reads the schema (`__schema`, `__type`,
/// `__typename`), which may then use the deeper [`INTROSPECTION_DEPTH`].
pub fn check_introspection(document: &str, parsed: &ExecutableDocument) -> Result<bool, AppError> {
    if !document.contains("__schema") && !document.contains("__type") {
        return Ok(false);
    }

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
        doc: parsed,
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

/// A document that passed every check before validation, parsed once.
#[derive(Debug)]
pub struct Inspected {
    pub document: ExecutableDocument,
    /// Only reads the schema: may use the deeper introspection depth.
    pub schema_only: bool,
}

/// Every check a document passes before async-graphql validates and executes it: the lexical
/// scan (size, nesting, aliases), the parse, the expanded size and the introspection shape.
/// The parse recurses: call this on the guarded path ([`super::guard`]), never on an async
/// worker's stack.
pub fn inspect(
    document: &str,
    variables: &async_graphql::Variables,
    limits: &GraphqlLimits,
) -> Result<Inspected, AppError> {
    check_document(document, limits)?;
    let parsed = async_graphql::parser::parse_query(document)
        .map_err(|err| unreadable(truncate(&err.to_string(), MAX_ERROR_CHARS)))?;
    let nesting = parsed_nesting(&parsed);
    if nesting > limits.max_nesting {
        return Err(refuse(
            "query",
            format!("document nests deeper than {} levels", limits.max_nesting),
        ));
    }
    check_variables(&parsed, variables, limits)?;
    let schema_only = check_introspection(document, &parsed)?;
    Ok(Inspected {
        document: parsed,
        schema_only,
    })
}

/// The checks that depend on the variables (their count, and the expanded size they feed):
/// run again for every request of a document already known
/// ([`super::documents::Documents`]). Walks that document as the guarded path did, whose
/// depth does not depend on the variables, so it may run on an async worker.
pub fn check_variables(
    parsed: &ExecutableDocument,
    variables: &async_graphql::Variables,
    limits: &GraphqlLimits,
) -> Result<(), AppError> {
    let mut variable_sizes = HashMap::new();
    let mut variable_values = 0usize;
    for (name, value) in variables.iter() {
        let size = value_count(value);
        variable_values = variable_values.saturating_add(size);
        variable_sizes.insert(name.to_string(), size);
    }
    if variable_values > MAX_VARIABLE_VALUES {
        return Err(refuse(
            "variables",
            format!("variables hold more than {MAX_VARIABLE_VALUES} values"),
        ));
    }
    let expanded =
        expanded_size(parsed, &variable_sizes).map_err(|shape| AppError::InvalidRequest {
            message: "GraphQL document is invalid",
            details: vec![FieldError::new("query", shape.message())],
        })?;
    if expanded > limits.max_expanded_fields {
        return Err(refuse(
            "query",
            format!(
                "document is larger than {} fields, fragments and argument values once its \
                 fragments are expanded",
                limits.max_expanded_fields
            ),
        ));
    }
    Ok(())
}

/// Longest error message taken from the parser: its messages may quote the document.
pub const MAX_ERROR_CHARS: usize = 300;

/// `text` cut to `max` characters, marked when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intro(document: &str) -> Result<bool, AppError> {
        let parsed = async_graphql::parser::parse_query(document).expect("test documents parse");
        check_introspection(document, &parsed)
    }

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
        assert!(intro(standard).expect("allowed"));
        assert!(!intro("{ __typename viewer { plan } }").expect("allowed"));
        assert!(
            !intro("{ __type(name: \"Query\") { name } viewer { plan } }").expect("allowed"),
            "mixed documents keep the ordinary limits"
        );
        let cycle =
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
        let err = intro(cycle).expect_err("refused");
        assert_eq!(err.body()["details"][0]["field"], "query");
        let through_fragments = "{ __type(name: \"Query\") { ...F } } fragment F on __Type { fields { type { fields { type { fields { type { fields { name } } } } } } } }";
        assert!(intro(through_fragments).is_err());
        // A fragment that spreads itself cannot recurse forever here.
        let looping = "{ __schema { types { ...F } } } fragment F on __Type { name ...F }";
        assert!(intro(looping).is_ok());
    }

    /// The documents of the defect reports: everything after a comment ended by `\r` was
    /// invisible to the old scanner.
    #[test]
    fn every_line_terminator_ends_a_comment() {
        let limits = GraphqlLimits::default();
        for terminator in ["\r", "\n", "\r\n"] {
            let deep = format!(
                "{{ #x{terminator} salesOrders(first:1, filter:{{branchIds:{}\"a\"{}}}) {{ totalCount }} }}",
                "[".repeat(2_000),
                "]".repeat(2_000)
            );
            let err = check_document(&deep, &limits).expect_err("nesting seen after the comment");
            assert!(
                err.body()["details"][0]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("nests deeper")),
                "{terminator:?}"
            );
            let aliases = format!(
                "{{ #x{terminator} {} }}",
                (0..200)
                    .map(|i| format!("a{i}: viewer {{ plan }}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let err =
                check_document(&aliases, &limits).expect_err("aliases seen after the comment");
            assert!(err.body().to_string().contains("aliases"), "{terminator:?}");
        }
    }

    #[test]
    fn strings_block_strings_bom_and_unicode_follow_the_grammar() {
        let limits = GraphqlLimits {
            max_nesting: 3,
            ..GraphqlLimits::default()
        };
        let ok = [
            "\u{FEFF}{ a }",
            "{ a(x: \"\\\"[[[[\") }",
            "{ a(x: \"\"\"[[[[ \\\"\"\" {{{{ \"\"\") }",
            "{ a(x: \"ไทย [[[[\") # ไทย {{{{\r}",
            "{ a, b,,, c }",
            "{ a(x: -1.5e+3, y: $v) @d(if: true) ...F ... on T { b } }",
        ];
        for doc in ok {
            assert!(check_document(doc, &limits).is_ok(), "{doc:?}");
        }
        let refused = [
            // An escaped quote does not end a string; the brackets after the real end count.
            "{ a(x: \"\\\"\", y: [[[[1]]]]) }",
            // A block string ends at the first unescaped triple quote.
            "{ a(x: \"\"\"x\"\"\", y: [[[[1]]]]) }",
            // A string cannot span lines: the rest is not hidden inside it.
            "{ a(x: \"abc\r[[[[1]]]]\") }",
            "{ a(x: \"unterminated) }",
            "{ a(x: \"\"\"unterminated) }",
            "{ a ; b }",
            "{ ä }",
            "{ a ]",
            "{ a { b }",
        ];
        for doc in refused {
            assert!(check_document(doc, &limits).is_err(), "{doc:?}");
        }
    }

    /// Nesting of the parsed document, measured independently of the scanner.
    fn parsed_aliases(doc: &ExecutableDocument) -> usize {
        fn set(s: &SelectionSet) -> usize {
            s.items
                .iter()
                .map(|item| match &item.node {
                    Selection::Field(f) => {
                        usize::from(f.node.alias.is_some()) + set(&f.node.selection_set.node)
                    }
                    Selection::InlineFragment(i) => set(&i.node.selection_set.node),
                    Selection::FragmentSpread(_) => 0,
                })
                .sum()
        }
        doc.operations
            .iter()
            .map(|(_, op)| set(&op.node.selection_set.node))
            .sum::<usize>()
            + doc
                .fragments
                .values()
                .map(|f| set(&f.node.selection_set.node))
                .sum::<usize>()
    }

    /// Ignored tokens of every kind, some holding brackets.
    fn ignored(rng: &mut crate::demo::DemoRng) -> &'static str {
        const IGNORED: &[&str] = &[
            " ", ",", "\t", "\r", "\n", "\r\n", "#[{(\r", "#]})\n", "#{\r\n", "\u{FEFF}", "",
        ];
        IGNORED[rng.below(IGNORED.len() as u64) as usize]
    }

    fn value(rng: &mut crate::demo::DemoRng, depth: usize) -> String {
        let gap = ignored(rng);
        match rng.below(if depth > 40 { 3 } else { 6 }) {
            0 => "\"s[{(\\\"]})\"".to_owned(),
            1 => "\"\"\"b[{( \\\"\"\" }])\"\"\"".to_owned(),
            2 => "-1.5e3".to_owned(),
            3 | 4 => format!("[{gap}{}{gap}]", value(rng, depth + 1)),
            _ => format!("{{a:{gap}{}}}", value(rng, depth + 1)),
        }
    }

    fn selection(rng: &mut crate::demo::DemoRng, depth: usize) -> String {
        let gap = ignored(rng);
        match rng.below(if depth > 20 { 2 } else { 5 }) {
            0 => "a".to_owned(),
            1 => format!("al{}: a", rng.below(100)),
            2 => format!("f(x:{gap}{})", value(rng, 0)),
            _ => format!(
                "g{gap}{{ {} {gap} {} }}",
                selection(rng, depth + 1),
                selection(rng, depth + 1)
            ),
        }
    }

    fn hostile_document(rng: &mut crate::demo::DemoRng) -> String {
        if rng.chance(500) {
            return format!("{}{{ {} }}", ignored(rng), selection(rng, 0));
        }
        const PIECES: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            "(",
            ")",
            "{",
            "[",
            "(",
            "a",
            "b: ",
            "f(x: ",
            " ",
            ",",
            "\t",
            "#c[{(\r",
            "#c]})\n",
            "#c{\r\n",
            "\r",
            "\n",
            "\"s[{(\"",
            "\"\\\"[{\"",
            "\"\"\"b[{( \\\"\"\" }]\"\"\"",
            "\u{FEFF}",
            "ไ",
            "...",
            "$v",
            "@d",
            "1.5e3",
            "-2",
            "\"open",
            "query Q",
            "fragment F on T ",
            ":",
            "=",
            "!",
            "on",
            "...F",
        ];
        let mut doc = String::new();
        let pieces = rng.range(1, 120);
        for _ in 0..pieces {
            if rng.chance(20) {
                // A deep run of one bracket, sometimes behind a comment or inside a string.
                let depth = rng.range(5, 3_000) as usize;
                let open = *rng.pick(&["[", "{", "(", "{a: "]);
                match rng.below(4) {
                    0 => doc.push_str(&format!("#{}\r", open.repeat(depth))),
                    1 => doc.push_str(&format!("\"{}\"", open.repeat(depth))),
                    _ => doc.push_str(&open.repeat(depth)),
                }
            } else {
                doc.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
            }
        }
        doc
    }

    /// Differential test of the two lines of defence: for generated hostile documents (random
    /// nesting, comments with every line terminator, strings and block strings that hold
    /// brackets), the scanner either refuses the document before parsing, or the document
    /// parses on the guarded path without overflow and its real nesting and aliases are no
    /// more than the scanner counted. (An overflow would abort this test binary.)
    #[tokio::test]
    async fn generated_hostile_documents_are_refused_or_parse_safely() {
        let limits = GraphqlLimits {
            max_nesting: 12,
            max_aliases: 6,
            ..GraphqlLimits::default()
        };
        let guard = super::super::guard::Guard::new(1, limits.max_body_bytes).expect("threads");
        let mut rng = crate::demo::DemoRng::new(20261129);
        let (mut refused, mut parsed) = (0, 0);
        for _ in 0..4_000 {
            let doc = hostile_document(&mut rng);
            match check_document(&doc, &limits) {
                Err(_) => refused += 1,
                Ok(scan) => {
                    let checked = guard
                        .run(move || {
                            async_graphql::parser::parse_query(&doc)
                                .ok()
                                .map(|d| (parsed_nesting(&d), parsed_aliases(&d), doc))
                        })
                        .await
                        .expect("the guarded parse answers");
                    if let Some((nesting, aliases, doc)) = checked {
                        parsed += 1;
                        assert!(nesting <= scan.nesting, "{doc:?}: {nesting} > {scan:?}");
                        assert!(aliases <= scan.aliases, "{doc:?}: {aliases} > {scan:?}");
                    }
                }
            }
        }
        assert!(
            refused > 1_000,
            "hostile documents were generated: {refused}"
        );
        assert!(parsed > 0, "some documents were valid GraphQL: {parsed}");
    }

    #[test]
    fn fragment_fan_out_is_counted_in_linear_time() {
        let mut doc = String::from("{ viewer { ...F0 } } ");
        for i in 0..40 {
            doc.push_str(&format!(
                "fragment F{i} on Viewer {{ ...F{} ...F{} }} ",
                i + 1,
                i + 1
            ));
        }
        doc.push_str("fragment F40 on Viewer { plan }");
        let parsed = async_graphql::parser::parse_query(&doc).expect("parses");
        let none = HashMap::new();
        // 2^40 fields once expanded: saturating arithmetic, counted without expanding.
        assert!(expanded_size(&parsed, &none).expect("measured") > 1_000_000_000);
        let vars = async_graphql::Variables::default();
        let err = inspect(&doc, &vars, &GraphqlLimits::default()).expect_err("refused");
        assert!(err.body().to_string().contains("fragments are expanded"));
        // Spreads count even when they select nothing else.
        let spreads = async_graphql::parser::parse_query(
            "{ a ...A } fragment A on T { ...B ...B } fragment B on T { b }",
        )
        .expect("parses");
        // B = b (1); A = two spreads, each 1 + B = 4; the operation = a (1) + a spread of A
        // (1 + 4) = 6; then A (4) and B (1) on their own.
        assert_eq!(expanded_size(&spreads, &none), Ok(6 + 4 + 1));
        // Cycles and unknown fragments are refused before any walk that would not end.
        let parse = |d: &str| async_graphql::parser::parse_query(d).expect("parses");
        assert_eq!(
            expanded_size(&parse("{ ...A } fragment A on T { ...A ...A }"), &none),
            Err(Shape::Cycle("A".into()))
        );
        assert_eq!(
            expanded_size(
                &parse("{ ...A } fragment A on T { ...B } fragment B on T { ...A }"),
                &none
            ),
            Err(Shape::Cycle("A".into()))
        );
        assert_eq!(
            expanded_size(&parse("{ a ...Missing }"), &none),
            Err(Shape::UnknownFragment("Missing".into()))
        );
        for doc in [
            "{ __schema { ...A } } fragment A on __Schema { ...A ...A }",
            "{ viewer { ...F0 } } fragment F0 on Viewer { ...F1 ...F1 } fragment F1 on Viewer { ...Missing }",
        ] {
            assert!(
                inspect(doc, &vars, &GraphqlLimits::default()).is_err(),
                "{doc}"
            );
        }
    }

    #[test]
    fn parse_errors_are_truncated() {
        let doc = format!("{{ {} }}", "a ".repeat(30_000) + "!!!");
        let err = inspect(
            &doc,
            &async_graphql::Variables::default(),
            &GraphqlLimits::default(),
        )
        .expect_err("refused");
        let text = err.body().to_string();
        assert!(text.len() < 1_000, "{} bytes", text.len());
    }
}

#[cfg(test)]
mod variable_tests {
    use super::*;

    #[test]
    fn variables_count_at_their_size_wherever_they_are_used() {
        let limits = GraphqlLimits::default();
        let ids: Vec<serde_json::Value> = (0..1_000).map(|i| serde_json::json!(i)).collect();
        let vars = async_graphql::Variables::from_json(serde_json::json!({ "ids": ids }));
        // One use: 1,001 values plus a few fields.
        let once = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
        assert!(inspect(once, &vars, &limits).is_ok());
        // The same variable in a fragment spread three times: over the budget.
        let thrice = "query A($ids: [ID!]!) { ...G ...G ...G } \
                      fragment G on Query { nodes(ids: $ids) { id } }";
        let err = inspect(thrice, &vars, &limits).expect_err("refused");
        assert!(
            err.body().to_string().contains("expanded"),
            "{}",
            err.body()
        );
        // Too many values in the variables at all.
        let many: Vec<serde_json::Value> = (0..20_000).map(|i| serde_json::json!(i)).collect();
        let vars = async_graphql::Variables::from_json(serde_json::json!({ "ids": many }));
        let err = inspect(once, &vars, &limits).expect_err("refused");
        assert_eq!(err.body()["details"][0]["field"], "variables");
        // Too many arguments on one field.
        let args: Vec<String> = (0..17).map(|i| format!("a{i}: 1")).collect();
        let doc = format!("{{ viewer({}) {{ plan }} }}", args.join(", "));
        let err =
            inspect(&doc, &async_graphql::Variables::default(), &limits).expect_err("refused");
        assert!(
            err.body().to_string().contains("arguments"),
            "{}",
            err.body()
        );
    }
}

/// Refuses a document whose cost or depth (as async-graphql's validation computes them) is
/// over the configured limit, saying by how much: a client that meets the limit learns what
/// to trim. (async-graphql's own limits say only "Query is too complex.")
pub struct CostLimit {
    pub max_complexity: usize,
    pub max_depth: usize,
}

impl async_graphql::extensions::ExtensionFactory for CostLimit {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(CostLimitExtension {
            max_complexity: self.max_complexity,
            max_depth: self.max_depth,
        })
    }
}

struct CostLimitExtension {
    max_complexity: usize,
    max_depth: usize,
}

#[async_trait::async_trait]
impl async_graphql::extensions::Extension for CostLimitExtension {
    async fn validation(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        next: async_graphql::extensions::NextValidation<'_>,
    ) -> Result<async_graphql::ValidationResult, Vec<async_graphql::ServerError>> {
        let result = next.run(ctx).await?;
        let over = |what: &str, measured: usize, limit: usize| {
            let mut error = async_graphql::ServerError::new(
                format!("Query is {what}: it measures {measured}, the limit is {limit}."),
                None,
            );
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", "invalid_request");
            extensions.set("measured", measured as u64);
            extensions.set("limit", limit as u64);
            error.extensions = Some(extensions);
            vec![error]
        };
        if result.complexity > self.max_complexity {
            return Err(over("too complex", result.complexity, self.max_complexity));
        }
        if result.depth > self.max_depth {
            return Err(over("nested too deep", result.depth, self.max_depth));
        }
        Ok(result)
    }
}

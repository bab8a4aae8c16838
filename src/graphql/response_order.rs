//! async-graphql 7.2 resolves the fields of a query concurrently and emits each object's fields
//! in the order they finish (root fields included). GraphQL asks for the order of the selection set; this puts every
//! object of the response back in that order (keys it does not know keep their place after).

use async_graphql::Value;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection};

/// Most nesting walked; deeper values (which the depth limit already forbids) stay as they
/// are.
const MAX_DEPTH: usize = 64;

/// Reorders `data` after the operation `operation_name` (or the only one) of `doc`.
/// An operation name not found leaves `data` untouched.
pub fn restore(data: &mut Value, doc: &ExecutableDocument, operation_name: Option<&str>) {
    let operation = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return,
        },
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => match ops.values().next() {
            Some(op) => op,
            None => return,
        },
        _ => return,
    };
    let sets = [&operation.node.selection_set.node.items[..]];
    reorder(data, doc, &sets, 0);
}

/// The response keys of `sets` in order, each with the sub-selections merged under it.
fn keys<'a>(
    doc: &'a ExecutableDocument,
    sets: &[&'a [async_graphql::Positioned<Selection>]],
    depth: usize,
    out: &mut Vec<Key<'a>>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for set in sets {
        for item in set.iter() {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.alias.as_ref().unwrap_or(&field.name).node.as_str();
                    let children = &field.selection_set.node.items[..];
                    match out.iter_mut().find(|k| k.name == key) {
                        Some(found) => found.sets.push(children),
                        None => out.push(Key {
                            name: key,
                            sets: vec![children],
                            shape: None,
                        }),
                    }
                }
                Selection::InlineFragment(inline) => {
                    keys(
                        doc,
                        &[&inline.node.selection_set.node.items[..]],
                        depth + 1,
                        out,
                    );
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                        keys(
                            doc,
                            &[&fragment.node.selection_set.node.items[..]],
                            depth + 1,
                            out,
                        );
                    }
                }
            }
        }
    }
}

/// One response key of a selection: its merged sub-selections and, once a value under it
/// has been met, their own key order (worked out once for every object of a list).
struct Key<'a> {
    name: &'a str,
    sets: Vec<&'a [async_graphql::Positioned<Selection>]>,
    shape: Option<Vec<Key<'a>>>,
}

fn reorder(
    value: &mut Value,
    doc: &ExecutableDocument,
    sets: &[&[async_graphql::Positioned<Selection>]],
    depth: usize,
) {
    if depth > MAX_DEPTH || !matches!(value, Value::List(_) | Value::Object(_)) {
        return;
    }
    let mut shape = Vec::new();
    keys(doc, sets, 0, &mut shape);
    apply(value, doc, &mut shape, depth);
}

fn apply<'a>(value: &mut Value, doc: &'a ExecutableDocument, shape: &mut [Key<'a>], depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::List(items) => {
            for item in items {
                apply(item, doc, shape, depth + 1);
            }
        }
        Value::Object(map) => {
            if !in_order(map, shape) {
                let mut rest = std::mem::take(map);
                for key in shape.iter() {
                    if let Some((name, child)) = rest.shift_remove_entry(key.name) {
                        map.insert(name, child);
                    }
                }
                for (name, child) in rest {
                    map.insert(name, child);
                }
            }
            for key in shape.iter_mut() {
                let Some(child) = map.get_mut(key.name) else {
                    continue;
                };
                if !matches!(child, Value::List(_) | Value::Object(_)) {
                    continue;
                }
                let sets = &key.sets;
                let inner = key.shape.get_or_insert_with(|| {
                    let mut inner = Vec::new();
                    keys(doc, sets, 0, &mut inner);
                    inner
                });
                apply(child, doc, inner, depth + 1);
            }
        }
        _ => {}
    }
}

/// Whether the object's keys already follow `shape` (the common case: nothing to move).
fn in_order(
    map: &async_graphql::indexmap::IndexMap<async_graphql::Name, Value>,
    shape: &[Key<'_>],
) -> bool {
    let mut expected = shape.iter().map(|key| key.name);
    map.keys()
        .all(|key| expected.by_ref().any(|next| next == key.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Name;

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (Name::new(k), v.clone()))
                .collect(),
        )
    }

    fn keys_of(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map.keys().map(|k| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn objects_follow_the_selection_through_aliases_fragments_and_lists() {
        let document = "query Q { c: conn { edges { node { ...N b } } pageInfo { end } total } } \
                        fragment N on T { z ... on T { a } }";
        let node = object(&[("b", 1.into()), ("a", 2.into()), ("z", 3.into())]);
        let mut data = object(&[(
            "c",
            object(&[
                ("total", 4.into()),
                ("pageInfo", object(&[("end", 5.into())])),
                ("edges", Value::List(vec![object(&[("node", node)])])),
            ]),
        )]);
        let doc = async_graphql::parser::parse_query(document).expect("parses");
        restore(&mut data, &doc, Some("Q"));
        let Value::Object(root) = &data else {
            panic!("object")
        };
        let conn = &root["c"];
        assert_eq!(keys_of(conn), ["edges", "pageInfo", "total"]);
        let Value::Object(conn) = conn else {
            panic!("object")
        };
        let Value::List(edges) = &conn["edges"] else {
            panic!("list")
        };
        let Value::Object(edge) = &edges[0] else {
            panic!("object")
        };
        assert_eq!(keys_of(&edge["node"]), ["z", "a", "b"]);
    }

    #[test]
    fn unknown_keys_keep_their_place_after_and_unknown_operations_change_nothing() {
        let parse = |d: &str| async_graphql::parser::parse_query(d).expect("parses");
        let mut data = object(&[("x", 1.into()), ("b", 2.into()), ("a", 3.into())]);
        restore(&mut data, &parse("{ a b }"), None);
        assert_eq!(keys_of(&data), ["a", "b", "x"]);
        // Operations that would reorder it, but none is the one asked for.
        let mut data = object(&[("b", 2.into()), ("a", 3.into())]);
        restore(&mut data, &parse("query A { a b } query B { a b }"), None);
        restore(&mut data, &parse("query A { a b }"), Some("C"));
        assert_eq!(keys_of(&data), ["b", "a"]);
    }
}

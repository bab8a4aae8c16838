//! Automatic persisted queries and the cache of checked documents: a hash alone runs a document
//! the tenant has sent before, an unknown hash asks for the document (Apollo's protocol), a
//! hash must be the document's own, and a known document still has its variables checked.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::graphql::post;
use crate::helpers::TestApp;

const DOCUMENT: &str =
    "query Orders($first: Int!) { salesOrders(first: $first) { edges { node { orderNumber } } } }";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn order_numbers(body: &Value) -> Vec<String> {
    body["data"]["salesOrders"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("edges: {body}"))
        .iter()
        .map(|e| {
            e["node"]["orderNumber"]
                .as_str()
                .expect("number")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_hash_runs_the_document_its_tenant_registered() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let hash = sha256(DOCUMENT);
    let variables = json!({ "first": 3 });

    // Unknown yet: 200 with Apollo's message and code, never cached by a proxy.
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "variables": variables, "extensions": persisted(&hash) }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["cache-control"],
        "private, no-cache, must-revalidate"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert!(body.get("data").is_none(), "{body}");

    // The document with its hash registers it and runs.
    let (status, _, registered) = post(
        &app,
        Some(&token),
        json!({ "query": DOCUMENT, "variables": variables, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    let expected = order_numbers(&registered);
    assert_eq!(expected.len(), 3);

    // Then the hash alone, by POST and by GET (the form CDNs cache).
    let (status, _, by_post) = post(
        &app,
        Some(&token),
        json!({ "variables": variables, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{by_post}");
    assert_eq!(order_numbers(&by_post), expected);
    let url = reqwest::Url::parse_with_params(
        &app.url("/graphql"),
        &[
            ("variables", json!({ "first": 2 }).to_string()),
            ("extensions", persisted(&hash).to_string()),
        ],
    )
    .expect("url");
    let by_get: Value = app
        .client
        .get(url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(order_numbers(&by_get), expected[..2]);

    // A malformed `extensions` parameter is the client's error, named.
    for bad in ["{", "[1]", "\"x\"", &"[".repeat(10_000)] {
        let url = reqwest::Url::parse_with_params(&app.url("/graphql"), &[("extensions", bad)])
            .expect("url");
        let response = app
            .client
            .get(url)
            .bearer_auth(&token)
            .header("accept", "application/graphql-response+json")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad:.20}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            body["errors"][0]["extensions"]["details"][0]["field"],
            "extensions"
        );
    }

    // Another tenant has not registered it: the hash tells it nothing.
    let other = app.other_tenant_token().await;
    let (status, _, body) = post(
        &app,
        Some(&other),
        json!({ "variables": variables, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );

    // In a batch, an unknown hash is that operation's error; the others run.
    let (status, _, batch) = post(
        &app,
        Some(&token),
        json!([
            { "variables": variables, "extensions": persisted(&sha256("{ viewer { plan } }")) },
            { "variables": variables, "extensions": persisted(&hash) },
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{batch}");
    assert_eq!(
        batch[0]["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert_eq!(order_numbers(&batch[1]), expected);
}

#[tokio::test]
async fn a_hash_must_be_the_documents_own_and_well_formed() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let wrong = sha256("{ viewer { plan } }");
    let cases = [
        (
            json!({ "query": DOCUMENT, "variables": { "first": 1 }, "extensions": persisted(&wrong) }),
            "extensions.persistedQuery.sha256Hash",
        ),
        (
            json!({ "query": DOCUMENT, "variables": { "first": 1 },
                    "extensions": { "persistedQuery": { "version": 2, "sha256Hash": sha256(DOCUMENT) } } }),
            "extensions.persistedQuery.version",
        ),
        (
            json!({ "variables": { "first": 1 },
                    "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "not-hex" } } }),
            "extensions.persistedQuery.sha256Hash",
        ),
        (
            json!({ "query": DOCUMENT, "extensions": { "persistedQuery": "yes" } }),
            "extensions.persistedQuery",
        ),
    ];
    for (body, field) in cases {
        let (status, _, answer) = post(&app, Some(&token), body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "invalid_request");
        assert_eq!(
            answer["errors"][0]["extensions"]["details"][0]["field"], field,
            "{answer}"
        );
    }
    // The mismatched hash registered nothing.
    let (_, _, body) = post(
        &app,
        Some(&token),
        json!({ "variables": { "first": 1 }, "extensions": persisted(&wrong) }),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
}

/// A document seen before skips the parse, not the checks that depend on its variables. The
/// hash alone is answered only from the cache, so the refusal below comes from that path.
#[tokio::test]
async fn a_known_document_still_has_its_variables_checked() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let document = "query Ids($ids: [ID!]!) { nodes(ids: $ids) { id } }";
    let hash = sha256(document);
    let (status, _, body) = post(
        &app,
        Some(&token),
        json!({ "query": document, "variables": { "ids": [] }, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let many: Vec<String> = (0..10_001).map(|i| format!("id{i}")).collect();
    let (status, _, body) = post(
        &app,
        Some(&token),
        json!({ "variables": { "ids": many }, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
    assert_eq!(
        body["errors"][0]["extensions"]["details"][0]["field"],
        "variables"
    );
}

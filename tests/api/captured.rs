//! A server on a database whose statements are recorded (SeaORM's metric callback), for
//! tests about the SQL a request runs.

use std::sync::{Arc, Mutex};

use partner_gateway::clock::Clock;
use sea_orm::Statement;
use serde_json::Value;

pub(crate) struct CapturingApp {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) token: String,
    pub(crate) db: sea_orm::DatabaseConnection,
    pub(crate) captured: Arc<Mutex<Vec<Statement>>>,
    _db: crate::helpers::TestDb,
}

impl CapturingApp {
    pub(crate) async fn start() -> Self {
        let test_db = crate::helpers::TestDb::new().await;
        let config = test_db.config();
        let mut db = partner_gateway::db::connect(&config.database)
            .await
            .expect("connect");
        let captured = Arc::new(Mutex::new(Vec::new()));
        let sink = captured.clone();
        db.set_metric_callback(move |info| {
            // The webhook worker's look at its queue (every second, whatever the requests)
            // is not a request's statement.
            if info.statement.sql.contains("webhook_") {
                return;
            }
            if let Ok(mut all) = sink.lock() {
                all.push(info.statement.clone());
            }
        });
        let clock: Arc<dyn Clock> = Arc::new(partner_gateway::clock::FixedClock::new(
            crate::helpers::fixed_now(),
        ));
        let state = partner_gateway::startup::build_state_with(config, clock.clone(), db)
            .await
            .expect("state");
        partner_gateway::demo::seed(
            &state.db,
            clock.now(),
            &partner_gateway::demo::SeedOptions::small(7),
        )
        .await
        .expect("seed");
        let app = partner_gateway::startup::Application::bind(state.clone())
            .await
            .expect("bind");
        let base = format!("http://{}", app.local_addr().expect("address"));
        tokio::spawn(app.run_until(std::future::pending()));
        let client = reqwest::Client::new();
        let token: Value = client
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "demo-full-access"),
                ("client_secret", "pgs_demo_full_access_secret"),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        Self {
            base,
            client,
            token: token["access_token"].as_str().expect("token").to_owned(),
            db: state.db.clone(),
            captured,
            _db: test_db,
        }
    }

    /// `GET path` with `token`; the answer's JSON, whatever its status.
    pub(crate) async fn get_as(&self, token: &str, path: &str) -> (reqwest::StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        (response.status(), response.json().await.expect("json"))
    }

    /// `GET path` with the demo-full-access token; must succeed.
    pub(crate) async fn get(&self, path: &str) -> Value {
        let (status, body) = self.get_as(&self.token, path).await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A GraphQL document with `token`; the response, errors included.
    pub(crate) async fn graphql_as(&self, token: &str, query: &str) -> Value {
        self.client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .json(&serde_json::json!({ "query": query }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    /// A GraphQL document with the demo-full-access token; must answer without errors.
    pub(crate) async fn graphql(&self, query: &str) -> Value {
        let body = self.graphql_as(&self.token, query).await;
        assert!(body.get("errors").is_none(), "{body}");
        body
    }

    /// The page statement on `table` among those run since the last call.
    pub(crate) fn page_statement(&self, table: &str) -> Statement {
        let mut all = self.captured.lock().expect("statements");
        let found = all
            .iter()
            .rev()
            .find(|s| {
                s.sql.contains(&format!("FROM \"{table}\""))
                    && s.sql.contains("ORDER BY")
                    && s.sql.contains("LIMIT")
            })
            .cloned();
        all.clear();
        found.unwrap_or_else(|| panic!("no page statement on {table}"))
    }

    pub(crate) fn forget(&self) {
        self.captured.lock().expect("statements").clear();
    }

    /// A token of a demo application.
    pub(crate) async fn token_of(&self, client_id: &str, secret: &str) -> String {
        let token: Value = self
            .client
            .post(format!("{}/oauth/token", self.base))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        token["access_token"].as_str().expect("token").to_owned()
    }

    /// The statements run since the last call (and forgets them).
    pub(crate) fn take(&self) -> Vec<Statement> {
        std::mem::take(&mut *self.captured.lock().expect("statements"))
    }
}

//! Configuration validation and demo-mode rules.

use partner_gateway::config::{Backend, Config, ConfigArgs};

/// The defaults, whatever this process's environment holds.
fn args() -> ConfigArgs {
    ConfigArgs::defaults()
}

#[test]
fn no_configuration_at_all_is_demo_mode_on_sqlite() {
    let config = Config::from_args(&args()).expect("defaults are valid");
    assert!(config.demo);
    assert_eq!(config.database.backend, Backend::Sqlite);
    assert_eq!(config.database.max_connections, 8);
    assert_eq!(config.public_url, "http://127.0.0.1:8080");
    assert!(
        config.require_jwt().is_ok(),
        "demo mode signs with its demo secret"
    );
}

#[test]
fn setting_a_secret_turns_demo_mode_off() {
    let mut a = args();
    a.mode.jwt_secret = Some("s".repeat(40));
    let config = Config::from_args(&a).expect("valid");
    assert!(!config.demo);
    assert_eq!(
        config.require_jwt().expect("secret").secret.expose(),
        "s".repeat(40)
    );
}

#[test]
fn no_demo_without_a_secret_cannot_serve() {
    let mut a = args();
    a.mode.no_demo = true;
    let config = Config::from_args(&a).expect("other commands still work");
    assert!(!config.demo);
    let err = config.require_jwt().expect_err("serve needs a secret");
    assert!(err.to_string().contains("JWT_SECRET is required"), "{err}");
}

#[test]
fn every_invalid_setting_is_reported_at_once() {
    let mut a = args();
    a.database.url = "mysql://localhost/db".into();
    a.bind = "not-an-address".into();
    a.mode.jwt_secret = Some("short".into());
    a.token_ttl_seconds = 5;
    a.database.max_connections = Some(0);
    a.public_url = Some("ftp://example".into());
    let err = Config::from_args(&a).expect_err("invalid");
    let text = err.to_string();
    for fragment in [
        "DATABASE_URL",
        "BIND",
        "JWT_SECRET must be at least 32 bytes",
        "TOKEN_TTL_SECONDS",
        "DATABASE_MAX_CONNECTIONS",
        "PUBLIC_URL",
    ] {
        assert!(text.contains(fragment), "missing {fragment:?} in {text}");
    }
    assert!(
        !text.contains("short"),
        "the secret itself must not be echoed: {text}"
    );
}

#[test]
fn secrets_never_print() {
    let mut a = args();
    a.mode.jwt_secret = Some("super-secret-value-that-must-not-leak-0001".into());
    a.database.url = "postgres://user:db-password@localhost:5432/app".into();
    let config = Config::from_args(&a).expect("valid");
    assert_eq!(config.database.backend, Backend::Postgres);
    let printed = format!("{config:?}");
    assert!(!printed.contains("super-secret-value"), "{printed}");
    assert!(!printed.contains("db-password"), "{printed}");
}

#[test]
fn unspecified_bind_addresses_get_a_browsable_public_url() {
    let mut a = args();
    a.bind = "0.0.0.0:9000".into();
    let config = Config::from_args(&a).expect("valid");
    assert_eq!(config.public_url, "http://localhost:9000");
}

#[test]
fn hardening_limits_have_sane_defaults_and_are_validated_together() {
    let config = Config::from_args(&args()).expect("valid");
    assert_eq!(config.database.connections_per_request, 4, "half of 8");
    assert_eq!(
        config.database.connections_per_tenant, 6,
        "three quarters of 8"
    );
    assert!(
        config.database.create_if_missing,
        "demo mode creates its database"
    );
    assert_eq!(config.graphql_timeout.as_secs(), 5);
    assert_eq!(config.http.header_timeout.as_secs(), 10);
    assert_eq!(config.graphql.max_expanded_fields, 2_000);

    let mut a = args();
    a.mode.jwt_secret = Some("s".repeat(40));
    assert!(
        !Config::from_args(&a)
            .expect("valid")
            .database
            .create_if_missing,
        "outside demo mode a missing SQLite file is not created"
    );

    let mut a = args();
    a.database_connections_per_request = Some(9);
    a.database_connections_per_tenant = Some(0);
    a.graphql_timeout_seconds = 0;
    a.http_header_timeout_seconds = 0;
    a.http_max_connections = Some(3);
    a.oauth_max_failures_per_client = 0;
    a.graphql_max_body_bytes = 1024 * 1024;
    a.graphql_max_expanded_fields = 0;
    let text = Config::from_args(&a).expect_err("invalid").to_string();
    for name in [
        "DATABASE_CONNECTIONS_PER_REQUEST",
        "DATABASE_CONNECTIONS_PER_TENANT",
        "GRAPHQL_TIMEOUT_SECONDS",
        "HTTP_HEADER_TIMEOUT_SECONDS",
        "HTTP_MAX_CONNECTIONS",
        "OAUTH_MAX_FAILURES_PER_CLIENT",
        "GRAPHQL_MAX_BODY_BYTES",
        "GRAPHQL_MAX_EXPANDED_FIELDS",
    ] {
        assert!(text.contains(name), "missing {name} in {text}");
    }
}

#[test]
fn the_simulation_needs_demo_mode_and_webhook_settings_are_checked() {
    let mut demo = args();
    demo.simulate = true;
    assert!(
        Config::from_args(&demo)
            .expect("demo mode simulates")
            .simulate
    );
    let mut serious = args();
    serious.simulate = true;
    serious.mode.jwt_secret = Some("a-secret-of-at-least-thirty-two-bytes!!".into());
    serious.webhook_timeout_seconds = 0;
    serious.webhook_max_attempts = 0;
    let problems = Config::from_args(&serious).expect_err("refused").0;
    for expected in [
        "SIMULATE",
        "WEBHOOK_TIMEOUT_SECONDS",
        "WEBHOOK_MAX_ATTEMPTS",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected} in {problems:?}"
        );
    }
    // Private webhook targets: allowed in demo mode unless said otherwise, never outside it.
    assert!(
        Config::from_args(&args())
            .expect("demo")
            .webhooks
            .targets
            .allow_private
    );
    let mut strict = args();
    strict.targets.allow_private = Some(false);
    assert!(
        !Config::from_args(&strict)
            .expect("demo")
            .webhooks
            .targets
            .allow_private
    );
    let mut production = args();
    production.mode.jwt_secret = Some("a-secret-of-at-least-thirty-two-bytes!!".into());
    assert!(
        !Config::from_args(&production)
            .expect("valid")
            .webhooks
            .targets
            .allow_private
    );
}

#[test]
fn metrics_listen_only_on_an_address_of_their_own() {
    let mut a = args();
    a.metrics_bind = Some("127.0.0.1:9090".into());
    let config = Config::from_args(&a).expect("valid");
    assert_eq!(
        config.metrics_bind,
        Some("127.0.0.1:9090".parse().expect("addr"))
    );
    for (given, said) in [
        ("127.0.0.1:8080", "must not be the public address"),
        ("everywhere", "must be an address and port"),
        ("127.0.0.1", "must be an address and port"),
    ] {
        a.metrics_bind = Some(given.into());
        let problems = Config::from_args(&a).expect_err(given).0;
        assert!(
            problems
                .iter()
                .any(|p| p.contains("METRICS_BIND") && p.contains(said)),
            "{given}: {problems:?}"
        );
    }
    assert_eq!(
        Config::from_args(&args()).expect("valid").metrics_bind,
        None
    );
}

#[test]
fn traces_go_to_a_collector_named_by_its_base_url() {
    assert!(Config::from_args(&args()).expect("valid").traces.is_none());
    for (given, expected) in [
        ("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/traces"),
        ("http://collector:4318/", "http://collector:4318/v1/traces"),
        ("http://collector/otlp", "http://collector/otlp/v1/traces"),
        (
            "http://collector:4318/v1/traces",
            "http://collector:4318/v1/traces",
        ),
    ] {
        let mut a = args();
        a.otlp_endpoint = Some(given.into());
        let traces = Config::from_args(&a)
            .expect(given)
            .traces
            .expect("traces on");
        assert_eq!(traces.endpoint, expected);
        assert_eq!(traces.service_name, "partner-gateway");
        assert_eq!(traces.sample_ratio, 1.0);
    }
    for (given, why) in [
        ("https://collector:4318", "must be http://"),
        ("collector:4318", "must be an http:// URL"),
        ("nonsense", "must be a URL"),
        ("http://collector:4318/?token=x", "without a query"),
        (
            "http://user:s3cret@collector:4318",
            "must not hold credentials",
        ),
        ("http://s3cret@collector:4318", "must not hold credentials"),
    ] {
        let mut a = args();
        a.otlp_endpoint = Some(given.into());
        let err = Config::from_args(&a).expect_err(given);
        assert!(
            err.0
                .iter()
                .any(|p| p.starts_with("OTLP_ENDPOINT") && p.contains(why)),
            "{given}: {err}"
        );
        // A value that may hold a credential is never repeated.
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(!err.to_string().contains("token=x"), "{err}");
    }
    let mut a = args();
    a.trace_sample_ratio = 1.5;
    a.otel_service_name = " ".into();
    let err = Config::from_args(&a).expect_err("out of range");
    assert!(
        err.0
            .contains(&"TRACE_SAMPLE_RATIO must be between 0 and 1".to_owned())
            && err
                .0
                .contains(&"OTEL_SERVICE_NAME must not be empty".to_owned()),
        "{err}"
    );
}

#[test]
fn webhook_history_is_kept_a_month_by_default_and_a_day_to_ten_years_at_will() {
    let config = Config::from_args(&args()).expect("valid");
    assert_eq!(
        config.webhooks.retention,
        std::time::Duration::from_secs(30 * 86_400)
    );
    for days in [0, 3651] {
        let mut a = args();
        a.webhook_retention_days = days;
        let err = Config::from_args(&a).expect_err("out of range");
        assert!(
            err.0
                .contains(&"WEBHOOK_RETENTION_DAYS must be between 1 and 3650".to_owned()),
            "{days}: {err}"
        );
    }
}

//! Structured logging, and optional OpenTelemetry traces. Every request runs in a span carrying
//! its request id, so every line a request logs, including an internal error's cause, can be
//! found by that id; with traces on, the same span goes to the collector, the id among its
//! attributes.

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{LogFormat, TraceConfig};

const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_http=info";

/// What is traced, whatever `RUST_LOG` says: our spans and the libraries' above their chatter
/// (the exporter's own HTTP client never, or each export would trace itself).
const TRACE_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,hyper=off,\
                            hyper_util=off,reqwest=off,h2=off,opentelemetry=off,\
                            opentelemetry_sdk=off,opentelemetry_otlp=off,opentelemetry_http=off";

/// How long a shutdown waits for the last spans to reach the collector.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The running trace pipeline, when traces are on.
static TRACES: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Installs the global subscriber (logs go to stderr; stdout stays free for `--json` output).
/// `RUST_LOG` overrides the default filter. Pretty lines are coloured only when stderr is a
/// terminal (a file or a pipe gets plain text). Safe to call more than once: the first call's
/// subscriber stays.
pub fn init(format: LogFormat) {
    let _ = install(format, None);
}

/// [`init`], and spans exported to an OTLP collector when `traces` is given. Traces fail to
/// start only on a configuration the exporter refuses; a collector that is down costs the
/// spans, never a request.
pub fn init_with_traces(format: LogFormat, traces: Option<&TraceConfig>) -> anyhow::Result<()> {
    install(format, traces)
}

fn install(format: LogFormat, traces: Option<&TraceConfig>) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let writer = || std::io::stderr.with_max_level(tracing::Level::TRACE);
    let Some(traces) = traces else {
        // Untraced, one filter in front of everything: the plain fmt subscriber.
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(ansi)
            .with_writer(writer());
        let _ = match format {
            LogFormat::Json => builder.json().flatten_event(true).try_init(),
            LogFormat::Pretty => builder.try_init(),
        };
        return Ok(());
    };
    let logs = tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_writer(writer());
    let logs: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Json => logs.json().flatten_event(true).boxed(),
        LogFormat::Pretty => logs.boxed(),
    };
    let provider = provider(traces)?;
    let tracer = provider.tracer("partner-gateway");
    let _ = TRACES.set(provider);
    // Traced, each layer its own filter: RUST_LOG quiets the logs, never the traces.
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(EnvFilter::new(TRACE_FILTER));
    let _ = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(spans)
        .try_init();
    Ok(())
}

fn provider(traces: &TraceConfig) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(traces.endpoint.clone())
        .with_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the trace exporter: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(traces.service_name.clone())
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        // A caller's sampled flag decides for its requests (OpenTelemetry's default, so a trace
        // stays whole); the ratio decides for the rest.
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            traces.sample_ratio,
        ))))
        .with_resource(resource)
        .build())
}

/// Whether spans are exported.
pub fn tracing_enabled() -> bool {
    TRACES.get().is_some()
}

/// Makes `span` a child of the trace a caller named in its `traceparent` header (W3C Trace
/// Context), so the gateway's spans join the caller's trace. A missing or malformed header
/// leaves the span a root of its own trace.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if !tracing_enabled() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    let _ = span.set_parent(parent);
}

/// Renames a traced span once its name is known (a request's, once it is routed).
pub fn rename(span: &tracing::Span, name: String) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if tracing_enabled() {
        span.context().span().update_name(name);
    }
}

/// Sends the spans still queued and stops the exporter (at most [`FLUSH_TIMEOUT`]). Blocks:
/// call it outside the async runtime's threads (`spawn_blocking`) or after the runtime.
pub fn shutdown_traces() {
    if let Some(provider) = TRACES.get()
        && let Err(e) = provider.shutdown_with_timeout(FLUSH_TIMEOUT)
    {
        tracing::warn!(error = %e, "the last traces may not have reached the collector");
    }
}

struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

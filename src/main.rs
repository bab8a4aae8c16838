use std::process::ExitCode;

/// mimalloc: the server allocates and frees many small objects per request (rows, GraphQL
/// values, JSON); see BENCHMARKS.md for its effect.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match partner_gateway::cli::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

use std::process::ExitCode;

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

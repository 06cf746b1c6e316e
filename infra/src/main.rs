//! `wayfarer`: every role of the system in one binary (see `wayfarer --help`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    wayfarer_infra::cli::run().await
}

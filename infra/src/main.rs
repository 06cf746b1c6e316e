//! `wayfarer`: every role of the system in one binary (see `wayfarer --help`).

fn main() -> anyhow::Result<()> {
    wayfarer_infra::runtime::run_cli()
}

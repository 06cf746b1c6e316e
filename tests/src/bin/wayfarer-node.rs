//! The `wayfarer` entry point, built inside the tests package so integration tests can start
//! (and SIGKILL) real role processes via `CARGO_BIN_EXE_wayfarer-node`.

fn main() -> anyhow::Result<()> {
    wayfarer_infra::runtime::run_cli()
}

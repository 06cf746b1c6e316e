//! The process's async runtime.
//!
//! Worker threads get 8 MiB of stack (tokio's default is 2 MiB): resolving a request walks
//! the whole GraphQL schema's merged roots in nested futures, which in unoptimised builds
//! outgrew 2 MiB once the schema reached its current size.

/// Stack of each worker thread.
pub const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

/// A multi-threaded runtime with [`WORKER_STACK_BYTES`] of stack per worker.
pub fn build() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
}

/// Runs the `wayfarer` command line on [`build`]'s runtime.
pub fn run_cli() -> anyhow::Result<()> {
    build()?.block_on(crate::cli::run())
}

//! A nisshi broker of a test's own, on a free port with its own data directory, that the test
//! may stop and start again without disturbing the shared broker the other tests use.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// How a running broker is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGTERM: the broker may finish what it is doing.
    Graceful,
    /// SIGKILL: it dies at once.
    Kill,
}

pub struct PrivateBroker {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// The nisshi binary `infra/scripts/services.sh` installs: `WAYFARER_NISSHI_BIN`, else `nisshi`
/// on the PATH, else cargo's bin directory.
fn nisshi_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("WAYFARER_NISSHI_BIN") {
        return path.into();
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("nisshi"))
        .find(|candidate| candidate.is_file());
    on_path.unwrap_or_else(|| {
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
            });
        cargo_home.join("bin").join("nisshi")
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

impl PrivateBroker {
    /// Starts a fresh broker and waits until it accepts connections.
    pub async fn start(label: &str) -> Self {
        let dir = std::env::temp_dir().join(crate::system::unique_prefix(label));
        std::fs::create_dir_all(&dir).expect("broker data directory");
        let mut broker = Self {
            port: free_port(),
            dir,
            child: None,
        };
        broker.resume().await;
        broker
    }

    /// `host:port`, for `WAYFARER_KAFKA_BROKERS`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the broker again on the same port and data.
    pub async fn resume(&mut self) {
        assert!(self.child.is_none(), "the broker is already running");
        let bin = nisshi_bin();
        assert!(
            bin.is_file(),
            "nisshi not found at {} (run infra/scripts/services.sh up, or set WAYFARER_NISSHI_BIN)",
            bin.display()
        );
        let listener = format!("tcp://{}", self.address());
        let child = Command::new(&bin)
            .args(["broker", "--listener-url", &listener])
            .args(["--advertised-listener-url", &listener])
            .args(["--storage-engine", "sqlite://nisshi.db"])
            .current_dir(&self.dir)
            .env_remove("CLUSTER_ID")
            .env_remove("SCHEMA_REGISTRY")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nisshi starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(self.address())
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "nisshi did not listen within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the broker and waits until its process is gone.
    pub async fn stop(&mut self, how: Stop) {
        let mut child = self.child.take().expect("the broker is running");
        match how {
            Stop::Kill => child.start_kill().expect("SIGKILL sent"),
            Stop::Graceful => {
                let pid = child.id().expect("a running process").to_string();
                let sent = Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .await
                    .expect("kill runs");
                assert!(sent.success(), "SIGTERM sent");
            }
        }
        tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("the broker exits within 20 s")
            .expect("the broker is reaped");
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

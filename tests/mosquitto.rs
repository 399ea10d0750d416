//! Real Debian mosquitto brokers and mosquitto_sub subscribers for the MQTT tests, on free
//! loopback ports, killed on drop. Installed by scripts/setup.sh (`mosquitto`,
//! `mosquitto-clients`).

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    listener.local_addr().expect("bound address").port()
}

/// Waits until `check` holds, polling; panics with `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A mosquitto process with its own configuration and persistence folder.
pub struct Mosquitto {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Mosquitto {
    /// Starts mosquitto on a free port; `extra` lines are appended to its configuration.
    pub fn start(extra: &str) -> Mosquitto {
        assert!(
            Path::new(MOSQUITTO).exists(),
            "{MOSQUITTO} is missing: run scripts/setup.sh (installs Debian's mosquitto and mosquitto-clients)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        // Started as root, mosquitto drops to the `mosquitto` user, which must write its
        // persistence file here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let port = free_port();
        let conf = format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\n{extra}\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("mosquitto.conf"), conf).expect("write mosquitto.conf");
        let mut broker = Mosquitto { port, dir, child: None };
        broker.restart();
        broker
    }

    /// Starts (again) on the same port with the same persistence.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "mosquitto is already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("mosquitto.log"))
            .expect("open the broker log");
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let port = self.port;
        wait_for("mosquitto to listen", Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Sends `signal` to the broker.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("mosquitto is running").id();
        let status =
            Command::new("kill").args([format!("-{signal}"), pid.to_string()]).status().expect("kill");
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// Stops the broker with `signal` (TERM saves its persistence, KILL does not) and waits.
    pub fn stop(&mut self, signal: &str) {
        self.signal(signal);
        let mut child = self.child.take().expect("mosquitto is running");
        child.wait().expect("wait for mosquitto");
    }

    /// The broker's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// The retained message of `topic`, if any (mosquitto_sub, 2 s).
    pub fn retained(&self, topic: &str) -> Option<String> {
        let out = Command::new("mosquitto_sub")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-t", topic, "-C", "1", "-W", "2"])
            .arg("--retained-only")
            .output()
            .expect("mosquitto_sub is missing: run scripts/setup.sh");
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        (!text.is_empty()).then_some(text)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub topic: String,
    pub retained: bool,
    pub payload: String,
}

/// A mosquitto_sub process with a persistent QoS 1 session (it reconnects by itself when the
/// broker comes back), collecting every message.
pub struct Subscriber {
    child: Child,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Subscriber {
    pub fn start(port: u16, filter: &str) -> Subscriber {
        let id = format!("test-sub-{}", free_port());
        let mut child = Command::new("mosquitto_sub")
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", filter, "-q", "1", "-c", "-i", &id])
            .args(["-F", "%r %t %p"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto_sub is missing: run scripts/setup.sh");
        let stdout = child.stdout.take().expect("piped stdout");
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&received);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut parts = line.splitn(3, ' ');
                let (Some(r), Some(topic), Some(payload)) = (parts.next(), parts.next(), parts.next()) else {
                    continue;
                };
                let message =
                    Received { topic: topic.to_owned(), retained: r == "1", payload: payload.to_owned() };
                sink.lock().expect("subscriber lock").push(message);
            }
        });
        Subscriber { child, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("subscriber lock").clone()
    }

    /// Messages on topics ending with `suffix`.
    pub fn on(&self, suffix: &str) -> Vec<Received> {
        self.received().into_iter().filter(|m| m.topic.ends_with(suffix)).collect()
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of this test binary, to start helper modes of it as child processes.
pub fn test_binary() -> PathBuf {
    std::env::current_exe().expect("path of the test binary")
}

//! The embedded MQTT broker: with no `[mqtt]` section the daemon runs rumqttd (MQTT 3.1.1) on
//! `127.0.0.1`, so a newcomer needs nothing else running; consoles on the same box subscribe to
//! it. It listens on loopback only, without authentication, and lives until the process exits
//! (rumqttd has no stop; its router and server run on their own threads).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::publish::error::PublishError;
use crate::publish::publisher::MAX_PACKET_BYTES;

/// Connections the embedded broker accepts at once (the daemon and a few consoles).
const MAX_CONNECTIONS: usize = 64;
/// How long to wait for the broker to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(5);

/// A running embedded broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
}

impl EmbeddedBroker {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Starts the embedded broker on `127.0.0.1:port` and returns once it accepts connections.
/// Fails if the port is taken.
pub fn start_embedded_broker(port: u16) -> Result<EmbeddedBroker, PublishError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let fail = |reason: String| PublishError::Broker { port, reason };
    // rumqttd binds on its own thread and only logs a bind failure: find out here.
    drop(TcpListener::bind(addr).map_err(|e| fail(e.to_string()))?);
    let server = ServerSettings {
        name: "radscored-loopback".to_owned(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: MAX_PACKET_BYTES,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: MAX_CONNECTIONS,
            max_outgoing_packet_count: 200,
            max_segment_size: MAX_PACKET_BYTES,
            max_segment_count: 4,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("loopback".to_owned(), server)])),
        ..Config::default()
    };
    std::thread::Builder::new()
        .name("mqtt-broker".to_owned())
        .spawn(move || {
            let mut broker = Broker::new(config);
            if let Err(error) = broker.start() {
                tracing::error!(%error, "The embedded MQTT broker stopped.");
            }
        })
        .map_err(|e| fail(e.to_string()))?;
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            return Err(fail("it did not accept connections within 5 s".to_owned()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    tracing::info!(%addr, "Embedded MQTT broker listening.");
    Ok(EmbeddedBroker { addr })
}

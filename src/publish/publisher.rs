//! The publisher task: sends the outbox to the broker, one QoS 1 message in flight at a time,
//! and keeps the retained `status` and the `heartbeat`.
//!
//! The outbox is the source of truth, not the client. rumqttc forgets unacknowledged QoS 1
//! publishes when it reconnects with a clean session and gives no packet id from `publish`, so:
//! - each connection gets a fresh rumqttc client and event loop (nothing stale can be replayed
//!   into a new connection), driven by its own task that forwards events here;
//! - after CONNACK the task publishes `status` online (retained, QoS 1), then takes the oldest
//!   outbox row, publishes it, learns its packet id from `Event::Outgoing(Outgoing::Publish)`
//!   (the only QoS 1 publish in flight, so the only non-zero id), and deletes the row
//!   ([`Spool::ack`]) only on the PUBACK with that id (MQTT 3.1.1 §4.3.2);
//! - on any connection error it reconnects with exponential back-off; the row that was in
//!   flight is still the oldest row and goes again, under the same `message_id`;
//! - on shutdown it waits briefly for the message in flight, publishes `status` offline
//!   (retained) and disconnects; the broker publishes the same offline status as the last will
//!   when the process dies instead (MQTT 3.1.1 §3.1.2.5).
//!
//! Database calls run on `spawn_blocking`; intake never waits for this task.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{
    AsyncClient, ConnectionError, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet, QoS,
    TlsConfiguration, Transport,
};
use tokio::sync::{mpsc, watch};
use tokio::time::{interval_at, sleep, sleep_until, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::publish::config::MqttConfig;
use crate::publish::error::PublishError;
use crate::publish::message::{HeartbeatPayload, Identity, Presence, StatusPayload};
use crate::publish::tls;
use crate::publish::topics::Topics;
use crate::spool::outbox::MAX_PAYLOAD_BYTES;
use crate::spool::{OutboxId, OutboxRow, Qos, Spool, SpoolError};

/// MQTT packet limit both ways: the outbox's largest payload plus room for topic and header.
pub const MAX_PACKET_BYTES: usize = MAX_PAYLOAD_BYTES + 64 * 1024;
/// Requests queued towards one rumqttc event loop.
const CLIENT_REQUESTS: usize = 16;
/// Events queued from the event-loop driver to the publisher.
const DRIVER_EVENTS: usize = 64;
/// First reconnection delay; doubled after each failure up to [`RECONNECT_MAX`].
const RECONNECT_MIN: Duration = Duration::from_millis(250);
/// Longest reconnection delay.
const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// The outbox is also re-read this often, in case a wake-up was missed (another process wrote).
const OUTBOX_RECHECK: Duration = Duration::from_secs(1);
/// On shutdown: how long to wait for the message in flight, the offline status and the
/// disconnect before leaving anyway (the will then says offline).
const STOP_GRACE: Duration = Duration::from_secs(3);

/// The MQTT publisher of one daemon. Build with [`Publisher::new`] at start (configuration and
/// TLS files are checked there), then spawn [`Publisher::run`].
#[derive(Debug)]
pub struct Publisher {
    options: MqttOptions,
    topics: Topics,
    identity: Identity,
    spool: Arc<Spool>,
    heartbeat_interval: Duration,
    connected: watch::Sender<bool>,
}

/// What is waiting for a PUBACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flight {
    Status(Presence),
    Row(OutboxId),
}

#[derive(Debug)]
struct InFlight {
    flight: Flight,
    /// Learnt from the event loop's `Outgoing::Publish`.
    pkid: Option<u16>,
}

/// How a connection ended.
enum SessionEnd {
    /// Lost or refused: reconnect after the back-off.
    Lost,
    /// Orderly stop finished (or its grace ran out).
    Stopped,
}

impl Publisher {
    /// A publisher for `config` (validated here), sending as `client_id` under `topics`,
    /// announcing `identity`, draining `spool`'s outbox.
    pub fn new(
        config: &MqttConfig,
        client_id: &str,
        topics: Topics,
        identity: Identity,
        spool: Arc<Spool>,
    ) -> Result<Publisher, PublishError> {
        config.validate()?;
        let mut options = MqttOptions::new(client_id, config.host.clone(), config.port);
        options
            .set_keep_alive(config.keepalive)
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES)
            .set_last_will(LastWill::new(
                topics.status(),
                StatusPayload::new(Presence::Offline, &identity).to_bytes(),
                QoS::AtLeastOnce,
                true,
            ));
        if let Some(credentials) = config.credentials()? {
            options.set_credentials(credentials.username, credentials.password);
        }
        if let Some(tls) = &config.tls {
            options.set_transport(Transport::Tls(TlsConfiguration::Rustls(tls::client_config(tls)?)));
        }
        let (connected, _) = watch::channel(false);
        Ok(Publisher {
            options,
            topics,
            identity,
            spool,
            heartbeat_interval: config.heartbeat_interval,
            connected,
        })
    }

    /// Whether the broker connection is up (for the daemon's status line).
    pub fn connected(&self) -> watch::Receiver<bool> {
        self.connected.subscribe()
    }

    /// Runs until `shutdown` is cancelled, then publishes `status` offline and disconnects.
    /// Connection failures are logged and retried; they never end the task.
    pub async fn run(self, shutdown: CancellationToken) {
        let started = Instant::now();
        let mut backoff = RECONNECT_MIN;
        loop {
            let (client, eventloop) = AsyncClient::new(self.options.clone(), CLIENT_REQUESTS);
            let (events_tx, events) = mpsc::channel(DRIVER_EVENTS);
            let driver = tokio::spawn(drive(eventloop, events_tx));
            let end = self.session(&client, events, &shutdown, started, &mut backoff).await;
            driver.abort();
            self.connected.send_replace(false);
            match end {
                SessionEnd::Stopped => return,
                SessionEnd::Lost => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(RECONNECT_MAX);
        }
    }

    /// One connection, from connecting to its loss or the orderly stop.
    async fn session(
        &self,
        client: &AsyncClient,
        mut events: mpsc::Receiver<Result<Event, ConnectionError>>,
        shutdown: &CancellationToken,
        started: Instant,
        backoff: &mut Duration,
    ) -> SessionEnd {
        let mut connected = false;
        let mut online_done = false;
        let mut offline_done = false;
        let mut disconnecting = false;
        let mut in_flight: Option<InFlight> = None;
        let mut stop_deadline: Option<Instant> = None;
        let mut heartbeat = interval_at(Instant::now() + self.heartbeat_interval, self.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut recheck = interval_at(Instant::now() + OUTBOX_RECHECK, OUTBOX_RECHECK);
        recheck.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if connected && in_flight.is_none() && !disconnecting {
                let next = if !online_done {
                    Some(Flight::Status(Presence::Online))
                } else if stop_deadline.is_some() {
                    if offline_done {
                        if client.try_disconnect().is_err() {
                            return SessionEnd::Stopped;
                        }
                        disconnecting = true;
                        None
                    } else {
                        Some(Flight::Status(Presence::Offline))
                    }
                } else {
                    match self.send_next_row(client).await {
                        Ok(flight) => flight,
                        Err(error) => {
                            tracing::warn!(%error, "Could not read the outbox; retrying.");
                            None
                        }
                    }
                };
                match next {
                    Some(Flight::Status(presence)) => {
                        let payload = StatusPayload::new(presence, &self.identity).to_bytes();
                        if client
                            .publish(self.topics.status(), QoS::AtLeastOnce, true, payload)
                            .await
                            .is_err()
                        {
                            return SessionEnd::Lost;
                        }
                        in_flight = Some(InFlight { flight: Flight::Status(presence), pkid: None });
                    }
                    Some(flight) => in_flight = Some(InFlight { flight, pkid: None }),
                    None => {}
                }
            }
            tokio::select! {
                biased;
                _ = shutdown.cancelled(), if stop_deadline.is_none() => {
                    if !connected {
                        return SessionEnd::Stopped;
                    }
                    stop_deadline = Some(Instant::now() + STOP_GRACE);
                }
                _ = sleep_until(stop_deadline.unwrap_or_else(Instant::now)), if stop_deadline.is_some() => {
                    tracing::warn!("MQTT stop did not finish in time; the broker will publish the offline will.");
                    return SessionEnd::Stopped;
                }
                event = events.recv() => {
                    let event = match event {
                        Some(Ok(event)) => event,
                        Some(Err(error)) => {
                            if stop_deadline.is_some() {
                                return SessionEnd::Stopped;
                            }
                            if connected {
                                tracing::warn!(%error, "MQTT connection lost; reconnecting.");
                            } else {
                                tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "MQTT connection failed.");
                            }
                            return SessionEnd::Lost;
                        }
                        None => return SessionEnd::Lost,
                    };
                    match event {
                        Event::Incoming(Packet::ConnAck(_)) => {
                            connected = true;
                            *backoff = RECONNECT_MIN;
                            self.connected.send_replace(true);
                            tracing::info!(broker = %self.options.broker_address().0, "MQTT connected.");
                        }
                        Event::Outgoing(Outgoing::Publish(pkid)) if pkid != 0 => {
                            if let Some(f) = in_flight.as_mut().filter(|f| f.pkid.is_none()) {
                                f.pkid = Some(pkid);
                            }
                        }
                        Event::Incoming(Packet::PubAck(ack))
                            if in_flight.as_ref().is_some_and(|f| f.pkid == Some(ack.pkid)) =>
                        {
                            match in_flight.take().map(|f| f.flight) {
                                Some(Flight::Status(Presence::Online)) => online_done = true,
                                Some(Flight::Status(Presence::Offline)) => offline_done = true,
                                Some(Flight::Row(row)) => self.acknowledge(row).await,
                                None => {}
                            }
                        }
                        Event::Outgoing(Outgoing::Disconnect) => return SessionEnd::Stopped,
                        _ => {}
                    }
                }
                _ = self.spool.outbox_signal().notified(), if connected && in_flight.is_none() => {}
                _ = heartbeat.tick(), if connected => self.send_heartbeat(client, started).await,
                _ = recheck.tick() => {}
            }
        }
    }

    /// Publishes the oldest outbox row, if any; QoS 0 rows are deleted once handed over.
    async fn send_next_row(&self, client: &AsyncClient) -> Result<Option<Flight>, SpoolError> {
        let spool = Arc::clone(&self.spool);
        let Some(row) = blocking(move || spool.next_unsent()).await? else {
            return Ok(None);
        };
        let OutboxRow { id, message, .. } = row;
        let qos = match message.qos {
            Qos::AtMostOnce => QoS::AtMostOnce,
            Qos::AtLeastOnce => QoS::AtLeastOnce,
        };
        tracing::debug!(topic = %message.topic, message_id = %message.message_id, "Publishing outbox row.");
        if client.publish(message.topic, qos, message.retain, message.payload).await.is_err() {
            // The event loop is gone; the session ends on its error event and the row stays.
            return Ok(None);
        }
        if qos == QoS::AtMostOnce {
            self.acknowledge(id).await;
            return Ok(None);
        }
        Ok(Some(Flight::Row(id)))
    }

    /// Deletes an acknowledged row (a failure only means it is sent again).
    async fn acknowledge(&self, row: OutboxId) {
        let spool = Arc::clone(&self.spool);
        match blocking(move || spool.ack(row)).await {
            Ok(acked) => {
                if let Some(study) = acked.study_acknowledged {
                    tracing::info!(study = %study, "Study acknowledged by the broker.");
                }
            }
            Err(error) => {
                tracing::warn!(%error, "Could not delete an acknowledged outbox row; it will be sent again.")
            }
        }
    }

    async fn send_heartbeat(&self, client: &AsyncClient, started: Instant) {
        let spool = Arc::clone(&self.spool);
        let depth = match blocking(move || spool.queue_depth()).await {
            Ok(depth) => depth,
            Err(error) => {
                tracing::warn!(%error, "Could not read the queue depth for the heartbeat.");
                return;
            }
        };
        let payload = HeartbeatPayload {
            uptime_s: started.elapsed().as_secs(),
            queue_depth: depth.studies_in_progress,
            outbox_depth: depth.outbox,
            backend: &self.identity.backend,
        };
        // QoS 0 and best effort: a full request queue skips one beat.
        let _ = client.try_publish(self.topics.heartbeat(), QoS::AtMostOnce, false, payload.to_bytes());
    }
}

/// Polls one event loop and forwards its events until its first error.
async fn drive(mut eventloop: EventLoop, events: mpsc::Sender<Result<Event, ConnectionError>>) {
    loop {
        let event = eventloop.poll().await;
        let failed = event.is_err();
        if events.send(event).await.is_err() || failed {
            return;
        }
    }
}

/// Runs a spool call on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SpoolError> + Send + 'static,
) -> Result<T, SpoolError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(join) => Err(SpoolError::Io {
            action: "run a spool call",
            source: std::io::Error::other(join.to_string()),
        }),
    }
}

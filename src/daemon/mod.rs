//! The appliance: `radscored serve`. Receives each reconstruction (DICOM C-STORE and a watched
//! drop folder), keeps every accepted instance in the spool before acknowledging it, analyses a
//! study once it is complete, and tells the console and the fleet over MQTT.
//!
//! ```text
//!  C-STORE SCP ─┐                    ┌─ tracker (async): quiet period, segmentation wait, park,
//!  drop folder ─┴─► SpoolSink ─► spool (files + SQLite journal + outbox)    crash recovery, retention
//!                                       │        ▲                           │ bounded queue
//!                                       │        └── workers (threads): analyse, result + alert
//!                                       └─► publisher (async): outbox → MQTT, one QoS 1 row in flight
//! ```
//!
//! - [`config`]: the appliance configuration file;
//! - [`completeness`]: when a study is complete;
//! - [`sink`]: the spool as the intake's sink;
//! - [`tracker`]: the series tracker;
//! - [`worker`]: the analysis workers (a quiet study may be analysed ahead, while its quiet
//!   period runs out; the outcome is recorded only once it is complete and unchanged);
//! - [`export`]: the structured report and key image to the PACS destinations, retried;
//! - [`service`]: systemd notifications (READY after the model is loaded and warmed, WATCHDOG,
//!   STATUS, STOPPING).
//!
//! Intake never waits for the broker: the outbox is the source of truth, so C-STORE and the
//! drop folder keep accepting while MQTT is down. An orderly stop (SIGTERM) closes intake
//! first, lets the workers finish the study in progress (the others stay `complete` in the
//! spool), then publishes `offline` and returns.

pub mod completeness;
pub mod config;
pub mod export;
pub mod service;
pub mod sink;
pub mod tracker;
pub mod worker;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use config::{ApplianceConfig, ConfigError};

use crate::ingest::{scp, watch, InstanceSink};
use crate::model::predict::Predictor;
use crate::pseudonym::SiteKey;
use crate::publish::{start_embedded_broker, Identity, MqttConfig, Publisher, Topics};
use crate::roi::MaskSelector;
use crate::spool::Spool;
use crate::study::{AnalyzeOptions, Analyzer};

/// Bytes in a mebibyte.
const MIB: u64 = 1 << 20;
/// How long the publisher gets after intake and workers stopped, to send what it can and
/// publish `offline`.
const PUBLISH_GRACE: Duration = Duration::from_secs(10);

/// Why the daemon could not start (after start, failures are logged, alerted and survived).
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The site key is unusable.
    #[error(transparent)]
    SiteKey(#[from] crate::pseudonym::PseudonymError),
    /// The spool could not be opened.
    #[error("spool: {0}")]
    Spool(#[from] crate::spool::SpoolError),
    /// The model bundle could not be loaded.
    #[error("model: {0}")]
    Model(#[from] crate::model::predict::PredictError),
    /// The analysis could not be set up.
    #[error(transparent)]
    Analyze(#[from] crate::study::AnalyzeError),
    /// MQTT could not be set up.
    #[error("mqtt: {0}")]
    Publish(#[from] crate::publish::PublishError),
    /// The DICOM listener could not be opened or failed.
    #[error("dicom listener: {0}")]
    Listen(String),
    /// The drop folder could not be watched.
    #[error("drop folder: {0}")]
    Watch(#[from] watch::WatchError),
    /// A start-up task failed.
    #[error("start-up: {0}")]
    Startup(String),
}

/// What the caller hands the daemon besides its configuration.
#[derive(Debug)]
pub struct Environment {
    /// The install root: relative bundle paths and the ONNX Runtime search start here.
    pub install_root: PathBuf,
    /// A listening socket passed by systemd (socket activation), used instead of `[dicom]
    /// listen`.
    pub listener: Option<std::net::TcpListener>,
    /// Compute backend of the ring and the texture matrices, chosen at start.
    pub backend: crate::gpu::BackendChoice,
}

/// Runs the appliance until `shutdown` is cancelled, then stops in order and returns.
pub async fn run(
    config: ApplianceConfig,
    env: Environment,
    shutdown: CancellationToken,
) -> Result<(), DaemonError> {
    let service = service::Service::new();
    service.status("loading the model bundle (a first start with TensorRT builds its engines: minutes)");
    let key = SiteKey::load_or_create(&config.site.key_file)?;
    let watermark = config.spool.min_free_mib.saturating_mul(MIB);
    let spool = Arc::new(
        blocking({
            let dir = config.spool.dir.clone();
            move || Spool::open(&dir, watermark)
        })
        .await??,
    );
    let topics = Topics::new(&config.site.id, &config.site.device)?;
    let analyzer = Arc::new(
        blocking({
            let model = config.model.clone();
            let root = env.install_root.clone();
            let threads = config.analysis.threads;
            let series = config.series.policy();
            let key = key.clone();
            let backend = env.backend.backend().clone();
            move || -> Result<Analyzer, DaemonError> {
                let predictor = load_model(&model, &root)?;
                let mut options = AnalyzeOptions::for_bundle(predictor.bundle(), MaskSelector::default());
                options.series = series;
                let pool = crate::radiomics::thread_pool(threads);
                Ok(Analyzer::new(options, key, Some(predictor), pool)?.with_backend(backend))
            }
        })
        .await??,
    );
    let predictor = analyzer.predictor().expect("the daemon's analyzer has a predictor");
    let identity = Identity {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: env.backend.name().to_owned(),
        bundle: predictor.bundle().name().to_owned(),
    };
    tracing::info!(bundle = %identity.bundle, backend = %identity.backend, providers = ?predictor.providers(), "Model loaded and warmed.");
    let ready = format!(
        "receiving studies; compute backend {}, networks on {}",
        identity.backend,
        predictor.providers().join(", ")
    );

    // MQTT: the configured broker, else the embedded one on loopback.
    let (mqtt, _broker) = match &config.mqtt {
        Some(mqtt) => (mqtt.clone(), None),
        None => {
            let port = config.embedded_broker.port;
            let broker = start_embedded_broker(port)?;
            tracing::info!(port, "Embedded MQTT broker started on loopback.");
            (MqttConfig::loopback(port), Some(broker))
        }
    };
    let client_id = mqtt.client_id_for(&config.site.id, &config.site.device);
    let publisher = Publisher::new(&mqtt, &client_id, topics.clone(), identity, Arc::clone(&spool))?;
    let publisher_stop = CancellationToken::new();
    let publisher_task = tokio::spawn(publisher.run(publisher_stop.clone()));

    // Workers and tracker.
    let (jobs, queue) = mpsc::sync_channel(config.analysis.queue.get());
    let queue = Arc::new(Mutex::new(queue));
    let in_flight = Arc::new(Mutex::new(HashSet::new()));
    let finished = Arc::new(Notify::new());
    let workshop = Arc::new(worker::Workshop {
        spool: Arc::clone(&spool),
        analyzer,
        topics: topics.clone(),
        stopping: AtomicBool::new(false),
        export: config.export.clone(),
        ahead: Mutex::new(HashMap::new()),
    });
    let mut workers = Vec::new();
    for i in 0..config.analysis.workers.get() {
        let (workshop, queue, in_flight, finished) =
            (Arc::clone(&workshop), Arc::clone(&queue), Arc::clone(&in_flight), Arc::clone(&finished));
        let spawned = std::thread::Builder::new().name(format!("analysis-{i}")).spawn(move || {
            worker::run(&workshop, &queue, &|study| {
                in_flight.lock().unwrap_or_else(|p| p.into_inner()).remove(&study.id);
                finished.notify_one();
            })
        });
        workers
            .push(spawned.map_err(|e| DaemonError::Startup(format!("cannot start a worker thread: {e}")))?);
    }
    let tracker_stop = CancellationToken::new();
    let tracker = tracker::Tracker {
        spool: Arc::clone(&spool),
        topics: topics.clone(),
        waits: config.series.waits(),
        retention: Duration::from_secs(config.spool.retention_h.saturating_mul(3600)),
        jobs,
        in_flight,
        analyse_ahead: config.analysis.start_during_quiet_period,
        handed_ahead: Mutex::new(HashMap::new()),
    };
    let tracker_task = tokio::spawn(tracker.run(Arc::clone(&finished), tracker_stop.clone()));
    let exporter_stop = CancellationToken::new();
    let exporter_task = tokio::spawn(export::run(
        Arc::clone(&spool),
        config.export.clone(),
        topics.clone(),
        exporter_stop.clone(),
    ));

    // Intake.
    let sink: Arc<dyn InstanceSink> = Arc::new(sink::SpoolSink::new(Arc::clone(&spool), key));
    let intake_stop = CancellationToken::new();
    let listener = match env.listener {
        Some(listener) => {
            listener.set_nonblocking(true).map_err(|e| DaemonError::Listen(e.to_string()))?;
            tokio::net::TcpListener::from_std(listener).map_err(|e| DaemonError::Listen(e.to_string()))?
        }
        None => tokio::net::TcpListener::bind(config.dicom.listen)
            .await
            .map_err(|e| DaemonError::Listen(format!("cannot listen on {}: {e}", config.dicom.listen)))?,
    };
    let scp_task = tokio::spawn(scp::serve(
        listener,
        Arc::new(config.dicom.scp.clone()),
        Arc::clone(&sink),
        intake_stop.clone().cancelled_owned(),
    ));
    let watch_task = config.watch.clone().map(|watch_config| {
        tokio::spawn(watch::watch(
            Arc::new(watch_config),
            Arc::clone(&sink),
            intake_stop.clone().cancelled_owned(),
        ))
    });

    service.ready(&ready);
    let watchdog = service.watchdog(shutdown.clone());
    tracing::info!(listen = %config.dicom.listen, ae_title = %config.dicom.scp.ae_title, "radscored is receiving studies.");

    shutdown.cancelled().await;
    service.stopping();
    tracing::info!("Stopping: intake first.");
    intake_stop.cancel();
    match scp_task.await {
        Ok(Err(error)) => tracing::error!(%error, "The DICOM listener ended with an error."),
        Err(error) => tracing::error!(%error, "The DICOM listener task failed."),
        Ok(Ok(())) => {}
    }
    if let Some(task) = watch_task {
        if let Ok(Err(error)) = task.await {
            tracing::error!(%error, "The drop folder intake ended with an error.");
        }
    }
    tracker_stop.cancel();
    let _ = tracker_task.await;
    // Each worker ends after its current study; the tracker's end closed the queue.
    workshop.stopping.store(true, Ordering::SeqCst);
    drop(queue);
    let joined = tokio::task::spawn_blocking(move || {
        for worker in workers {
            let _ = worker.join();
        }
    });
    let _ = joined.await;
    exporter_stop.cancel();
    let _ = exporter_task.await;
    publisher_stop.cancel();
    if tokio::time::timeout(PUBLISH_GRACE, publisher_task).await.is_err() {
        tracing::warn!("The publisher did not stop in time; unsent messages stay in the outbox.");
    }
    if let Some(watchdog) = watchdog {
        watchdog.abort();
    }
    tracing::info!("Stopped.");
    Ok(())
}

/// Loads the configured model bundle (networks on the first accelerator that starts, TensorRT
/// engines built into the cache when missing) and runs every network once, as the daemon does
/// before it reports ready; `radscored prepare` does the same at install.
pub fn load_model(model: &config::ModelConfig, install_root: &Path) -> Result<Predictor, DaemonError> {
    let predictor = Predictor::load(&resolve(install_root, &model.bundle), &model.deep(), install_root)?;
    predictor.warm_up()?;
    Ok(predictor)
}

/// `path` taken from `root` when relative.
fn resolve(root: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    }
}

/// Runs `f` on a blocking thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, DaemonError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| DaemonError::Startup(e.to_string()))
}

//! The DICOM C-STORE SCP (with C-ECHO): receives instances from the scanner or PACS and hands
//! each complete, parsed instance to an [`InstanceSink`].
//!
//! - [`ScpConfig`] (`config.rs`): AE titles, negotiated classes and transfer syntaxes, limits,
//!   timers;
//! - [`serve`] (here): the accept loop. At most `max_associations` associations are served at
//!   once; one more gets an A-ASSOCIATE-RJ "transient, service-provider (presentation), local
//!   limit exceeded" (PS3.8 §9.3.4), read and answered by a small task of its own (at most
//!   [`BUSY_REJECTIONS_AT_ONCE`] of them; beyond that a connection is closed unanswered);
//! - `association.rs`: one association's negotiation and P-DATA loop.
//!
//! Negotiated abstract syntaxes (PS3.4 Annex B.5): Verification, CT Image Storage, Segmentation
//! Storage, Label Map Segmentation Storage, RT Structure Set Storage, and the configured
//! store-only list. Enhanced CT is not offered: the study path does not read it.

mod association;
mod config;

use std::{future::Future, sync::Arc, time::Duration};

use bytes::BytesMut;
use dicom_ul::{
    association::read_pdu_from_wire_async,
    pdu::{
        AssociationRJ, AssociationRJResult, AssociationRJServiceProviderPresentationReason,
        AssociationRJSource,
    },
    write_pdu, Pdu,
};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
    sync::{watch, Semaphore},
    task::JoinSet,
};
use tracing::{error, info, warn};

pub use config::{ScpConfig, ScpConfigError, DECODABLE_TRANSFER_SYNTAXES};

use crate::ingest::received::InstanceSink;
use association::Shared;

/// Connections answered "busy" (transient rejection) at once, beyond the served associations.
pub const BUSY_REJECTIONS_AT_ONCE: usize = 4;
/// Consecutive failed `accept` calls after which the SCP gives up (with a doubling back-off from
/// [`ACCEPT_BACKOFF_START`]: about 6 s in all).
const ACCEPT_ATTEMPTS: u32 = 7;
const ACCEPT_BACKOFF_START: Duration = Duration::from_millis(100);
/// After the grace period, how long aborted associations get to close before their tasks are
/// dropped.
const FORCED_STOP_WAIT: Duration = Duration::from_secs(2);

/// Why the SCP stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ScpError {
    /// A setting is invalid.
    #[error("invalid DICOM listener setting")]
    Config(#[from] ScpConfigError),
    /// The listening socket kept failing.
    #[error("could not accept DICOM connections")]
    Accept(#[source] std::io::Error),
}

impl crate::error_code::ErrorCode for ScpError {
    fn code(&self) -> &'static str {
        match self {
            ScpError::Config(_) => "scp_config_invalid",
            ScpError::Accept(_) => "scp_accept_failed",
        }
    }
}

/// Serves associations on `listener` until `shutdown` completes, then stops accepting, lets the
/// associations in progress finish for up to `shutdown_grace_s`, aborts the rest, and returns.
///
/// `shutdown` is any future: a cancellation token's `cancelled()`, a `watch` receiver's
/// `wait_for(|stop| *stop)`, `ctrl_c()`. Each received instance goes to `sink` on a blocking
/// thread; the peer's C-STORE-RSP carries success only when the sink returned `Ok`.
pub async fn serve(
    listener: TcpListener,
    config: Arc<ScpConfig>,
    sink: Arc<dyn InstanceSink>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ScpError> {
    config.validate()?;
    let shared = Arc::new(Shared::new(Arc::clone(&config), sink));
    let associations = Arc::new(Semaphore::new(config.max_associations));
    let busy_rejections = Arc::new(Semaphore::new(BUSY_REJECTIONS_AT_ONCE));
    let (force_stop, force_stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut failed_accepts = 0u32;
    tokio::pin!(shutdown);
    info!(ae_title = %config.ae_title, max_associations = config.max_associations, "DICOM listener started.");
    let outcome = loop {
        tokio::select! {
            _ = &mut shutdown => break Ok(()),
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(error) = joined {
                    error!(error = %error, "Association task failed.");
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((socket, _peer)) => {
                    failed_accepts = 0;
                    if let Ok(permit) = Arc::clone(&associations).try_acquire_owned() {
                        let shared = Arc::clone(&shared);
                        let force = force_stop_rx.clone();
                        tasks.spawn(async move {
                            association::run(socket, shared, force).await;
                            drop(permit);
                        });
                    } else if let Ok(permit) = Arc::clone(&busy_rejections).try_acquire_owned() {
                        warn!("Association refused: all association slots are busy.");
                        let artim = config.artim_timeout();
                        let max_pdu = config.max_pdu_bytes;
                        tasks.spawn(async move {
                            reject_busy(socket, artim, max_pdu).await;
                            drop(permit);
                        });
                    } else {
                        warn!("Connection closed unanswered: all association slots are busy.");
                    }
                }
                Err(error) => {
                    failed_accepts += 1;
                    if failed_accepts >= ACCEPT_ATTEMPTS {
                        break Err(ScpError::Accept(error));
                    }
                    let backoff = ACCEPT_BACKOFF_START * 2u32.pow(failed_accepts - 1);
                    warn!(error = %error, retry_in_ms = backoff.as_millis() as u64, "Accepting a connection failed.");
                    tokio::select! {
                        _ = &mut shutdown => break Ok(()),
                        _ = tokio::time::sleep(backoff) => {}
                    }
                }
            }
        }
    };
    drop(listener);
    drain(tasks, config.shutdown_grace(), force_stop).await;
    info!("DICOM listener stopped.");
    outcome
}

/// Waits for the associations in progress, up to `grace`; then asks the rest to abort and,
/// after [`FORCED_STOP_WAIT`], drops them.
async fn drain(mut tasks: JoinSet<()>, grace: Duration, force_stop: watch::Sender<bool>) {
    if tasks.is_empty() {
        return;
    }
    info!(in_progress = tasks.len(), "Waiting for associations in progress.");
    if tokio::time::timeout(grace, join_all(&mut tasks)).await.is_ok() {
        return;
    }
    warn!(still_open = tasks.len(), "Aborting associations still open after the grace period.");
    let _ = force_stop.send(true);
    if tokio::time::timeout(FORCED_STOP_WAIT, join_all(&mut tasks)).await.is_err() {
        tasks.shutdown().await;
    }
}

async fn join_all(tasks: &mut JoinSet<()>) {
    while tasks.join_next().await.is_some() {}
}

/// Reads the A-ASSOCIATE-RQ (within the ARTIM timer) and answers A-ASSOCIATE-RJ: transient,
/// service-provider (presentation), local limit exceeded (PS3.8 Table 9-21).
async fn reject_busy(mut socket: TcpStream, artim: Duration, max_pdu: u32) {
    let mut buffer = BytesMut::new();
    let request =
        tokio::time::timeout(artim, read_pdu_from_wire_async(&mut socket, &mut buffer, max_pdu, false)).await;
    if !matches!(request, Ok(Ok(Pdu::AssociationRQ(_)))) {
        return;
    }
    let rejection = Pdu::AssociationRJ(AssociationRJ {
        result: AssociationRJResult::Transient,
        source: AssociationRJSource::ServiceProviderPresentation(
            AssociationRJServiceProviderPresentationReason::LocalLimitExceeded,
        ),
    });
    let mut out = Vec::new();
    if write_pdu(&mut out, &rejection).is_ok() {
        let _ = tokio::time::timeout(artim, socket.write_all(&out)).await;
        let _ = socket.shutdown().await;
    }
}

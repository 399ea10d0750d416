//! One association, from the A-ASSOCIATE-RQ to its release or abort: negotiation (AE titles,
//! presentation contexts), the P-DATA loop that assembles command and data set fragments
//! (PS3.8 §9.3.5, PS3.7 Annex E), C-ECHO, and C-STORE answered with the status the sink earned.
//!
//! A C-STORE-RSP says success only after the sink stored the instance durably. The data set is
//! parsed in full before the sink sees it; a data set that does not parse is answered `0xC000`
//! and the association goes on. Protocol violations (a data fragment without a command, an
//! unknown command, an unexpected PDU) abort the association (A-ABORT, PS3.8 §7.3).
//!
//! Log lines name the calling AE title, the SOP class by name and the status, never a UID.

use std::sync::Arc;

use dicom_ul::{
    association::{server::AccessControl, AsyncServerAssociation},
    pdu::{
        AssociationRJServiceUserReason, PDataValue, PDataValueType, PresentationContextNegotiated,
        UserIdentity,
    },
    Pdu, ServerAssociationOptions,
};
use tokio::{net::TcpStream, sync::watch};
use tracing::{debug, info, warn};

use super::ScpConfig;
use crate::error_code::ErrorCode;
use crate::ingest::{
    dimse::{self, Command, Status},
    received::{self, sop_class_name, Acceptance, Announced, InstanceSink},
};

/// What every association of one SCP shares.
pub(super) struct Shared {
    /// The settings.
    pub config: Arc<ScpConfig>,
    /// Negotiation rules, built once.
    pub options: ServerAssociationOptions<'static, AeAccess>,
    /// Where instances go.
    pub sink: Arc<dyn InstanceSink>,
    /// Analysed and store-only SOP classes.
    pub acceptance: Acceptance,
}

impl Shared {
    /// Builds the negotiation rules from the settings.
    pub fn new(config: Arc<ScpConfig>, sink: Arc<dyn InstanceSink>) -> Shared {
        let access = AeAccess {
            ae_title: config.ae_title.trim().to_owned(),
            allowed_calling_aes: config.allowed_calling_aes.iter().map(|a| a.trim().to_owned()).collect(),
        };
        let mut options = ServerAssociationOptions::new()
            .ae_access_control(access)
            .ae_title(config.ae_title.trim().to_owned())
            .max_pdu_length(config.max_pdu_bytes)
            .write_timeout(config.idle_timeout());
        for uid in config.abstract_syntaxes() {
            options = options.with_abstract_syntax(uid);
        }
        for uid in &config.transfer_syntaxes {
            options = options.with_transfer_syntax(uid.clone());
        }
        Shared { acceptance: config.acceptance(), config, options, sink }
    }
}

/// Called-AE check and calling-AE allow-list (PS3.8 §7.1.1.9: A-ASSOCIATE-RJ, permanent,
/// service-user, "called AE title not recognized" / "calling AE title not recognized").
#[derive(Debug, Clone)]
pub(super) struct AeAccess {
    ae_title: String,
    allowed_calling_aes: Vec<String>,
}

impl AccessControl for AeAccess {
    fn check_access(
        &self,
        _this_ae_title: &str,
        calling_ae_title: &str,
        called_ae_title: &str,
        _user_identity: Option<&UserIdentity>,
    ) -> Result<(), AssociationRJServiceUserReason> {
        let reason = if called_ae_title.trim() != self.ae_title {
            AssociationRJServiceUserReason::CalledAETitleNotRecognized
        } else if !self.allowed_calling_aes.is_empty()
            && !self.allowed_calling_aes.iter().any(|a| a == calling_ae_title.trim())
        {
            AssociationRJServiceUserReason::CallingAETitleNotRecognized
        } else {
            return Ok(());
        };
        warn!(calling_ae = calling_ae_title.trim(), reason = %reason, "Association rejected.");
        Err(reason)
    }
}

/// A C-STORE whose command has arrived and whose data set is being assembled.
struct PendingStore {
    message_id: u16,
    presentation_context_id: u8,
    sop_class_uid: String,
    sop_instance_uid: String,
    data: Vec<u8>,
    /// Bytes received, counted on even when `data` is dropped for being too large.
    received_bytes: u64,
}

/// Counts for the association's closing log line.
#[derive(Default)]
struct Tally {
    stored: usize,
    failed: usize,
}

/// Why the P-DATA loop stops.
enum End {
    /// The peer asked for a release; it has been answered.
    Released,
    /// The peer aborted, closed the connection, or a read or write failed.
    Lost,
    /// We abort: protocol violation, idle timeout or forced shutdown.
    Abort(&'static str),
}

/// Negotiates and serves one association on `socket`. `force_stop` turns true when the SCP
/// shuts down and its grace period is over: the association is then aborted at its next PDU.
pub(super) async fn run(socket: TcpStream, shared: Arc<Shared>, mut force_stop: watch::Receiver<bool>) {
    let established =
        tokio::time::timeout(shared.config.artim_timeout(), shared.options.establish_async(socket)).await;
    let mut association = match established {
        Ok(Ok(association)) => association,
        Ok(Err(error)) => {
            debug!(reason = dimse::ul_error_code(&error), "Association not established.");
            return;
        }
        Err(_) => {
            warn!("No association request within the ARTIM timeout; connection closed.");
            return;
        }
    };
    let calling_ae = association_peer(&association);
    debug!(calling_ae = %calling_ae, "Association accepted.");

    let mut tally = Tally::default();
    let end = pdata_loop(&mut association, &shared, &calling_ae, &mut tally, &mut force_stop).await;
    if let End::Abort(why) = end {
        warn!(calling_ae = %calling_ae, reason = why, "Association aborted.");
        let _ = association.abort().await;
    }
    info!(calling_ae = %calling_ae, stored = tally.stored, failed = tally.failed, "Association ended.");
}

fn association_peer(association: &AsyncServerAssociation<TcpStream>) -> String {
    use dicom_ul::association::Association;
    association.peer_ae_title().trim().to_owned()
}

async fn pdata_loop(
    association: &mut AsyncServerAssociation<TcpStream>,
    shared: &Shared,
    calling_ae: &str,
    tally: &mut Tally,
    force_stop: &mut watch::Receiver<bool>,
) -> End {
    let idle = shared.config.idle_timeout();
    let max_instance_bytes = shared.config.max_instance_bytes;
    let mut command_bytes: Vec<u8> = Vec::new();
    let mut pending: Option<PendingStore> = None;
    loop {
        let pdu = tokio::select! {
            received = tokio::time::timeout(idle, association.receive()) => match received {
                Err(_) => return End::Abort("idle timeout"),
                Ok(Err(error)) => {
                    debug!(reason = dimse::ul_error_code(&error), "Association lost.");
                    return End::Lost;
                }
                Ok(Ok(pdu)) => pdu,
            },
            _ = force_stop.wait_for(|stop| *stop) => return End::Abort("shutdown"),
        };
        let values = match pdu {
            Pdu::PData { data } => data,
            Pdu::ReleaseRQ => {
                let _ = association.send(&Pdu::ReleaseRP).await;
                return End::Released;
            }
            Pdu::AbortRQ { .. } => return End::Lost,
            _ => return End::Abort("unexpected PDU"),
        };
        for mut value in values {
            match value.value_type {
                PDataValueType::Command => {
                    if pending.is_some() {
                        return End::Abort("command fragment before the data set was complete");
                    }
                    command_bytes.extend_from_slice(&value.data);
                    if !value.is_last {
                        continue;
                    }
                    let command = match dimse::decode(&command_bytes) {
                        Ok(command) => command,
                        Err(_) => return End::Abort("command set does not parse"),
                    };
                    command_bytes.clear();
                    match command.field {
                        dimse::C_ECHO_RQ => {
                            let sop_class = command.affected_sop_class_uid.as_deref().unwrap_or_default();
                            let rsp = dimse::c_echo_rsp(command.message_id, sop_class, Status::SUCCESS);
                            if send_command(association, value.presentation_context_id, rsp).await.is_err() {
                                return End::Lost;
                            }
                            debug!(calling_ae, "C-ECHO answered.");
                        }
                        dimse::C_STORE_RQ if command.has_data_set => {
                            pending = Some(pending_store(&command, value.presentation_context_id));
                        }
                        _ => return End::Abort("command not supported"),
                    }
                }
                PDataValueType::Data => {
                    let Some(store) = pending.as_mut() else {
                        return End::Abort("data fragment without a command");
                    };
                    if value.presentation_context_id != store.presentation_context_id {
                        return End::Abort("data fragment on another presentation context");
                    }
                    store.received_bytes += value.data.len() as u64;
                    if store.received_bytes <= max_instance_bytes {
                        store.data.append(&mut value.data);
                    } else {
                        store.data = Vec::new();
                    }
                    if !value.is_last {
                        continue;
                    }
                    let Some(store) = pending.take() else { continue };
                    let (message_id, pc_id) = (store.message_id, store.presentation_context_id);
                    let (sop_class, sop_instance) =
                        (store.sop_class_uid.clone(), store.sop_instance_uid.clone());
                    let context =
                        association.presentation_contexts().iter().find(|pc| pc.id == pc_id).cloned();
                    let status = store_instance(store, context, shared, calling_ae).await;
                    if status.is_success() {
                        tally.stored += 1;
                        debug!(calling_ae, sop_class = sop_class_name(&sop_class), status = %status, "C-STORE answered.");
                    } else {
                        tally.failed += 1;
                        warn!(calling_ae, sop_class = sop_class_name(&sop_class), status = %status, "C-STORE failed.");
                    }
                    let rsp = dimse::c_store_rsp(message_id, &sop_class, &sop_instance, status);
                    if send_command(association, pc_id, rsp).await.is_err() {
                        return End::Lost;
                    }
                }
            }
        }
    }
}

fn pending_store(command: &Command, presentation_context_id: u8) -> PendingStore {
    PendingStore {
        message_id: command.message_id,
        presentation_context_id,
        sop_class_uid: command.affected_sop_class_uid.clone().unwrap_or_default(),
        sop_instance_uid: command.affected_sop_instance_uid.clone().unwrap_or_default(),
        data: Vec::new(),
        received_bytes: 0,
    }
}

/// Parses the data set, hands it to the sink on a blocking thread, and returns the status the
/// peer gets.
async fn store_instance(
    store: PendingStore,
    context: Option<PresentationContextNegotiated>,
    shared: &Shared,
    calling_ae: &str,
) -> Status {
    if store.received_bytes > shared.config.max_instance_bytes {
        return Status::OUT_OF_RESOURCES;
    }
    let Some(context) = context else {
        return Status::CANNOT_UNDERSTAND;
    };
    if store.sop_class_uid.is_empty() || store.sop_instance_uid.is_empty() {
        return Status::CANNOT_UNDERSTAND;
    }
    if dimse::trim_uid(&context.abstract_syntax) != store.sop_class_uid {
        return Status::SOP_CLASS_NOT_SUPPORTED;
    }
    let sink = Arc::clone(&shared.sink);
    let acceptance = shared.acceptance.clone();
    let calling_ae = calling_ae.to_owned();
    let stored = tokio::task::spawn_blocking(move || {
        let announced = Announced {
            sop_class_uid: &store.sop_class_uid,
            sop_instance_uid: &store.sop_instance_uid,
            transfer_syntax_uid: dimse::trim_uid(&context.transfer_syntax),
        };
        let instance = match received::from_data_set(&store.data, announced, &calling_ae, &acceptance) {
            Ok(instance) => instance,
            Err(error) => {
                debug!(reason = error.code(), "Received data set refused before the sink.");
                return error.status();
            }
        };
        match sink.store(instance) {
            Ok(_) => Status::SUCCESS,
            Err(refusal) => refusal.status(),
        }
    })
    .await;
    // A panic in the sink is a processing failure for this instance, not the association's end.
    stored.unwrap_or(Status::PROCESSING_FAILURE)
}

async fn send_command(
    association: &mut AsyncServerAssociation<TcpStream>,
    presentation_context_id: u8,
    command: Vec<u8>,
) -> Result<(), dicom_ul::association::Error> {
    let pdu = Pdu::PData {
        data: vec![PDataValue {
            presentation_context_id,
            value_type: PDataValueType::Command,
            is_last: true,
            data: command,
        }],
    };
    association.send(&pdu).await
}

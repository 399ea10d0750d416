//! The spool as the intake's sink: every instance the SCP or the drop folder accepts is made
//! durable here before the sender hears "success".

use std::sync::Arc;

use crate::ingest::received::Source;
use crate::ingest::{InstanceSink, ReceivedInstance, Refusal, Stored};
use crate::pseudonym::SiteKey;
use crate::spool::{InstanceMeta, Spool, SpoolError, StoreOutcome};

/// Stores received instances in the spool, named by the site's study keys.
pub struct SpoolSink {
    spool: Arc<Spool>,
    key: SiteKey,
}

impl SpoolSink {
    /// A sink into `spool`.
    pub fn new(spool: Arc<Spool>, key: SiteKey) -> SpoolSink {
        SpoolSink { spool, key }
    }
}

impl InstanceSink for SpoolSink {
    fn store(&self, instance: ReceivedInstance) -> Result<Stored, Refusal> {
        let study_key = self.key.study_key(&instance.study_instance_uid);
        let meta = InstanceMeta {
            study_uid: instance.study_instance_uid,
            series_uid: instance.series_instance_uid,
            sop_instance_uid: instance.sop_instance_uid,
            sop_class_uid: instance.sop_class_uid,
            modality: instance.modality,
            study_key: study_key.clone(),
            source: match instance.source {
                Source::Network { calling_ae } => format!("dicom:{calling_ae}"),
                Source::Folder => "folder".to_owned(),
            },
        };
        match self.spool.store_instance(&instance.part10, &meta) {
            Ok(stored) => Ok(match stored.outcome {
                StoreOutcome::New => Stored::New,
                StoreOutcome::Duplicate | StoreOutcome::Replaced => Stored::Duplicate,
            }),
            Err(SpoolError::OutOfSpace { .. }) => {
                tracing::warn!(study = %study_key, "Spool below its free-disk watermark: instance refused.");
                Err(Refusal::OutOfResources)
            }
            Err(error) => {
                tracing::error!(study = %study_key, %error, "Could not store an instance.");
                Err(Refusal::ProcessingFailure)
            }
        }
    }
}

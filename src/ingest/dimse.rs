//! DIMSE command sets of the two services radscored speaks on the network, C-ECHO and C-STORE:
//! named command fields and statuses, and the encoding of command sets to and from bytes.
//!
//! Sources: PS3.7 §9.1.1 (C-STORE), §9.1.5 (C-ECHO), §9.3.1 and §9.3.5 (their command fields),
//! §E.1 (command set structure), Annex C (status classes); PS3.4 §B.2.3 (Storage statuses).
//! Command sets are always encoded in Implicit VR Little Endian (PS3.7 §6.3.1), whatever the
//! presentation context's transfer syntax.
//!
//! Both ends use this module: the storage SCP in [`crate::ingest::scp`] and the storage SCU in
//! [`crate::export::scu`].

use std::fmt;

use dicom_core::{dicom_value, DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::IMPLICIT_VR_LITTLE_ENDIAN;

/// Command Field (0000,0100) of a C-STORE-RQ (PS3.7 §9.3.1.1).
pub const C_STORE_RQ: u16 = 0x0001;
/// Command Field (0000,0100) of a C-STORE-RSP (PS3.7 §9.3.1.2).
pub const C_STORE_RSP: u16 = 0x8001;
/// Command Field (0000,0100) of a C-ECHO-RQ (PS3.7 §9.3.5.1).
pub const C_ECHO_RQ: u16 = 0x0030;
/// Command Field (0000,0100) of a C-ECHO-RSP (PS3.7 §9.3.5.2).
pub const C_ECHO_RSP: u16 = 0x8030;

/// Command Data Set Type (0000,0800) meaning "no data set follows" (PS3.7 §E.1); any other
/// value means one follows.
pub const NO_DATA_SET: u16 = 0x0101;
/// The Command Data Set Type radscored writes when a data set follows.
const DATA_SET_PRESENT: u16 = 0x0000;
/// Priority (0000,0700) MEDIUM (PS3.7 §9.1.1.1.6).
const PRIORITY_MEDIUM: u16 = 0x0000;

/// A DIMSE status code (0000,0900).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u16);

impl Status {
    /// 0000H: success.
    pub const SUCCESS: Status = Status(0x0000);
    /// A700H: refused, out of resources (PS3.4 §B.2.3).
    pub const OUT_OF_RESOURCES: Status = Status(0xA700);
    /// A900H: error, data set does not match SOP class (PS3.4 §B.2.3).
    pub const DATA_SET_DOES_NOT_MATCH_SOP_CLASS: Status = Status(0xA900);
    /// C000H: error, cannot understand (PS3.4 §B.2.3).
    pub const CANNOT_UNDERSTAND: Status = Status(0xC000);
    /// 0122H: refused, SOP class not supported (PS3.7 §C.5.20).
    pub const SOP_CLASS_NOT_SUPPORTED: Status = Status(0x0122);
    /// 0110H: processing failure (PS3.7 §C.4.1).
    pub const PROCESSING_FAILURE: Status = Status(0x0110);

    /// Whether the status is Success (0000H).
    pub fn is_success(self) -> bool {
        self == Status::SUCCESS
    }

    /// Whether the status is a Warning (0001H, 0107H, 0116H, Bxxx; PS3.7 Annex C): the
    /// operation was carried out, with a caveat (for C-STORE: the instance is stored).
    pub fn is_warning(self) -> bool {
        matches!(self.0, 0x0001 | 0x0107 | 0x0116 | 0xB000..=0xBFFF)
    }

    /// What the status means, in a few words (the statuses this module names; a class for others).
    pub fn meaning(self) -> &'static str {
        match self {
            Status::SUCCESS => "success",
            Status::OUT_OF_RESOURCES => "refused: out of resources",
            Status::DATA_SET_DOES_NOT_MATCH_SOP_CLASS => "error: data set does not match SOP class",
            Status::CANNOT_UNDERSTAND => "error: cannot understand",
            Status::SOP_CLASS_NOT_SUPPORTED => "refused: SOP class not supported",
            Status::PROCESSING_FAILURE => "processing failure",
            s if s.is_warning() => "warning",
            Status(0xA700..=0xA7FF) => "refused: out of resources",
            Status(0xC000..=0xCFFF) => "error: cannot understand",
            Status(0xFE00) => "cancelled",
            Status(0xFF00 | 0xFF01) => "pending",
            _ => "failure",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:04X} ({})", self.0, self.meaning())
    }
}

/// Why a command set could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The bytes are not an Implicit VR Little Endian data set.
    #[error("command set is not a valid implicit VR little endian data set")]
    Parse(#[source] dicom_object::ReadError),
    /// A required element is missing or not of the expected type.
    #[error("command set has no valid {0} element")]
    Missing(&'static str),
}

/// What radscored reads from a received command set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Command Field (0000,0100).
    pub field: u16,
    /// Message ID (0000,0110) of a request; 0 in a response.
    pub message_id: u16,
    /// Message ID Being Responded To (0000,0120) of a response.
    pub responded_to: Option<u16>,
    /// Affected SOP Class UID (0000,0002), without padding.
    pub affected_sop_class_uid: Option<String>,
    /// Affected SOP Instance UID (0000,1000), without padding.
    pub affected_sop_instance_uid: Option<String>,
    /// Whether a data set follows (Command Data Set Type other than 0101H).
    pub has_data_set: bool,
    /// Status (0000,0900) of a response.
    pub status: Option<Status>,
}

/// Reads a command set (Implicit VR Little Endian).
pub fn decode(bytes: &[u8]) -> Result<Command, CommandError> {
    let obj = InMemDicomObject::read_dataset_with_ts(bytes, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
        .map_err(CommandError::Parse)?;
    let uint = |tag, name| -> Result<Option<u16>, CommandError> {
        match obj.element_opt(tag) {
            Ok(Some(e)) => e.to_int::<u16>().map(Some).map_err(|_| CommandError::Missing(name)),
            _ => Ok(None),
        }
    };
    let uid = |tag| {
        obj.element_opt(tag).ok().flatten().and_then(|e| e.to_str().ok()).map(|s| trim_uid(&s).to_owned())
    };
    let field = uint(tags::COMMAND_FIELD, "CommandField")?.ok_or(CommandError::Missing("CommandField"))?;
    Ok(Command {
        field,
        message_id: uint(tags::MESSAGE_ID, "MessageID")?.unwrap_or(0),
        responded_to: uint(tags::MESSAGE_ID_BEING_RESPONDED_TO, "MessageIDBeingRespondedTo")?,
        affected_sop_class_uid: uid(tags::AFFECTED_SOP_CLASS_UID),
        affected_sop_instance_uid: uid(tags::AFFECTED_SOP_INSTANCE_UID),
        has_data_set: uint(tags::COMMAND_DATA_SET_TYPE, "CommandDataSetType")?
            .ok_or(CommandError::Missing("CommandDataSetType"))?
            != NO_DATA_SET,
        status: uint(tags::STATUS, "Status")?.map(Status),
    })
}

/// A C-STORE-RQ command set (PS3.7 Table 9.3-1), encoded.
pub fn c_store_rq(message_id: u16, sop_class_uid: &str, sop_instance_uid: &str) -> Vec<u8> {
    encode([
        uid_element(tags::AFFECTED_SOP_CLASS_UID, sop_class_uid),
        us_element(tags::COMMAND_FIELD, C_STORE_RQ),
        us_element(tags::MESSAGE_ID, message_id),
        us_element(tags::PRIORITY, PRIORITY_MEDIUM),
        us_element(tags::COMMAND_DATA_SET_TYPE, DATA_SET_PRESENT),
        uid_element(tags::AFFECTED_SOP_INSTANCE_UID, sop_instance_uid),
    ])
}

/// A C-STORE-RSP command set (PS3.7 Table 9.3-2), encoded.
pub fn c_store_rsp(
    responded_to: u16,
    sop_class_uid: &str,
    sop_instance_uid: &str,
    status: Status,
) -> Vec<u8> {
    encode([
        uid_element(tags::AFFECTED_SOP_CLASS_UID, sop_class_uid),
        us_element(tags::COMMAND_FIELD, C_STORE_RSP),
        us_element(tags::MESSAGE_ID_BEING_RESPONDED_TO, responded_to),
        us_element(tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET),
        us_element(tags::STATUS, status.0),
        uid_element(tags::AFFECTED_SOP_INSTANCE_UID, sop_instance_uid),
    ])
}

/// A C-ECHO-RSP command set (PS3.7 Table 9.3-13), encoded.
pub fn c_echo_rsp(responded_to: u16, sop_class_uid: &str, status: Status) -> Vec<u8> {
    encode([
        uid_element(tags::AFFECTED_SOP_CLASS_UID, sop_class_uid),
        us_element(tags::COMMAND_FIELD, C_ECHO_RSP),
        us_element(tags::MESSAGE_ID_BEING_RESPONDED_TO, responded_to),
        us_element(tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET),
        us_element(tags::STATUS, status.0),
    ])
}

/// A log-safe, stable code for an upper-layer (dicom-ul) error. The errors' own messages can
/// carry a PDU's contents (an unexpected P-DATA holds command sets with UIDs, or data set bytes),
/// which must not reach a log line.
pub fn ul_error_code(error: &dicom_ul::association::Error) -> &'static str {
    use dicom_ul::association::Error as E;
    match error {
        E::Rejected { .. } => "association_rejected",
        E::Aborted { .. } => "association_aborted",
        E::Timeout { .. } => "timeout",
        E::ConnectionClosed => "connection_closed",
        E::Connect { .. } | E::ToAddress { .. } => "connect_failed",
        E::ReceivePdu { .. } | E::WireRead { .. } => "receive_failed",
        E::SendPdu { .. } | E::WireSend { .. } | E::SendTooLongPdu { .. } => "send_failed",
        E::UnexpectedPdu { .. } | E::UnknownPdu { .. } => "unexpected_pdu",
        E::NoAcceptedPresentationContexts { .. } => "no_presentation_context_accepted",
        E::ProtocolVersionMismatch { .. } => "protocol_version_mismatch",
        _ => "upper_layer_error",
    }
}

/// A UID without the trailing NUL or space padding of its even-length encoding.
pub fn trim_uid(uid: &str) -> &str {
    uid.trim_end_matches(['\0', ' '])
}

fn encode<const N: usize>(elements: [DataElement<InMemDicomObject>; N]) -> Vec<u8> {
    let obj = InMemDicomObject::command_from_element_iter(elements);
    let mut out = Vec::with_capacity(256);
    // Writing a handful of US and UI elements into a Vec cannot fail: no I/O error, no value
    // the Implicit VR Little Endian encoder cannot represent.
    obj.write_dataset_with_ts(&mut out, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
        .expect("a command set of US and UI elements always encodes");
    out
}

fn us_element(tag: dicom_core::Tag, value: u16) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::US, dicom_value!(U16, [value]))
}

fn uid_element(tag: dicom_core::Tag, uid: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::UI, dicom_value!(Str, trim_uid(uid).to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_request_round_trips_and_has_even_length_uids() {
        let bytes = c_store_rq(7, "1.2.840.10008.5.1.4.1.1.2", "1.2.3");
        let cmd = decode(&bytes).expect("decodes");
        assert_eq!(cmd.field, C_STORE_RQ);
        assert_eq!(cmd.message_id, 7);
        assert!(cmd.has_data_set);
        assert_eq!(cmd.affected_sop_instance_uid.as_deref(), Some("1.2.3"));
        // Group length element: tag (4) + length (4) + value (4), then the elements; every
        // element value has an even length (PS3.5 §7.1.1), so the whole set has one too.
        assert_eq!(bytes.len() % 2, 0);
        let group_length = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        assert_eq!(group_length as usize, bytes.len() - 12);
    }

    #[test]
    fn response_status_is_read_back() {
        let bytes = c_store_rsp(3, "1.2", "1.2.3.4", Status::OUT_OF_RESOURCES);
        let cmd = decode(&bytes).expect("decodes");
        assert_eq!(cmd.field, C_STORE_RSP);
        assert_eq!(cmd.responded_to, Some(3));
        assert!(!cmd.has_data_set);
        assert_eq!(cmd.status, Some(Status(0xA700)));
        assert_eq!(Status(0xA700).to_string(), "0xA700 (refused: out of resources)");
        assert!(Status(0xB000).is_warning() && !Status(0xC001).is_warning());
    }
}

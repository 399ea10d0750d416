//! Opening a DICOM file that may be hostile: a structure pre-scan, then dicom-rs behind a panic
//! boundary.
//!
//! dicom-rs parses nested sequences by recursion, so a file nesting a few thousand levels
//! overflows the stack (an abort, which no error handling can catch), and it trusts element
//! lengths, so a length past the end of a small file asks for gigabytes. Before dicom-rs sees a
//! file, [`prescan`] walks its elements (PS3.5 §7: explicit or implicit VR, defined or undefined
//! lengths, items and delimiters, encapsulated pixel data fragments) without building anything,
//! on a memory map so nothing is copied, and refuses
//! - sequences nested deeper than [`MAX_SEQUENCE_DEPTH`],
//! - an element, item or fragment whose defined length runs past the end of the file (or past
//!   the end of the sequence or item that holds it),
//!
//! A deflated data set (Deflated Explicit VR Little Endian, PS3.5 A.5) is inflated into memory
//! first, never beyond [`MAX_INFLATED_BYTES`] (a deflate bomb stops there), and the inflated data
//! set is walked like any other; a stream that does not inflate is malformed.
//!
//! A file without the 128-byte preamble, `DICM` and file meta group (a plain data set, PS3.10
//! 7.1 not followed) is read as dcmtk and pydicom read it, when its encoding can be inferred from
//! its first element: it must be of group 0008 (every composite instance has SOPClassUID
//! (0008,0016)), little endian; two upper-case letters of a known VR after the tag mean explicit
//! VR little endian, anything else implicit VR little endian ([`plain_data_set_syntax`]). The
//! pre-scan walks it the same way; anything else is refused as [`DicomFileError::NoFileMeta`].
//!
//! What the pre-scan does not understand it leaves to dicom-rs, which reports its own errors. The
//! parse and the pixel decoding then run inside `catch_unwind`: should dicom-rs still panic, the
//! file is refused as [`DicomFileError::ParserPanic`] instead of taking the process down.

use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use dicom_core::{
    dictionary::DataDictionary, dictionary::DataDictionaryEntry, dictionary::VirtualVr, Tag, VR,
};
use dicom_dictionary_std::{tags, uids, StandardDataDictionary};
use dicom_encoding::{TransferSyntax, TransferSyntaxIndex};
use dicom_object::{
    DefaultDicomObject, FileMetaTable, FileMetaTableBuilder, InMemDicomObject, OpenFileOptions,
};
use dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use crate::error_code::ErrorCode;
use crate::limits::{self, LimitExceeded, MAX_INFLATED_BYTES, MAX_SEQUENCE_DEPTH};

/// Why a DICOM file could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DicomFileError {
    /// The file could not be opened or mapped, or is not a regular file.
    #[error("could not read the file: {0}")]
    Io(#[source] std::io::Error),
    /// The pre-scan found a structure that no valid file has.
    #[error("malformed DICOM file: {0}")]
    Malformed(String),
    /// The file nests sequences deeper than the limit.
    #[error("{0}")]
    Limit(#[from] LimitExceeded),
    /// No file meta group, and the encoding of the data set cannot be inferred.
    #[error(
        "no DICOM file header (preamble, DICM and file meta group) and the encoding cannot be \
         inferred ({0}); re-send it as a DICOM file with its file meta group"
    )]
    NoFileMeta(&'static str),
    /// dicom-rs refused the file.
    #[error("not a readable DICOM file: {0}")]
    Parse(#[source] Box<dicom_object::ReadError>),
    /// dicom-rs panicked on the file (a defect of the parser, reported upstream).
    #[error("the DICOM parser failed on this file")]
    ParserPanic,
}

impl ErrorCode for DicomFileError {
    fn code(&self) -> &'static str {
        match self {
            DicomFileError::Io(_) => "file_unreadable",
            DicomFileError::Malformed(_) => "malformed_dicom",
            DicomFileError::Limit(_) => "limit_exceeded",
            DicomFileError::NoFileMeta(_) => "unreadable_dicom",
            DicomFileError::Parse(_) => "unreadable_dicom",
            DicomFileError::ParserPanic => "dicom_parser_failure",
        }
    }
}

/// Opens the DICOM file at `path` after [`prescan`]; with `header_only`, the data set is read up
/// to (not including) PixelData. A plain data set (no file meta group) is given the file meta
/// group its SOP instance and the inferred transfer syntax call for.
pub fn open(path: &Path, header_only: bool) -> Result<DefaultDicomObject, DicomFileError> {
    let _span = file_span(path).entered();
    let file = std::fs::File::open(path).map_err(DicomFileError::Io)?;
    let metadata = file.metadata().map_err(DicomFileError::Io)?;
    if !metadata.is_file() {
        return Err(DicomFileError::Io(std::io::Error::other("not a regular file")));
    }
    if metadata.len() > 0 {
        // SAFETY: a read-only map of a file radscored does not write; should another program
        // truncate it meanwhile, reading the lost pages faults, as for any mapped input.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(DicomFileError::Io)?;
        let prescanned = prescan(&map)?;
        let whole = match meta_start(&map) {
            None => Some(open_plain(&map)?),
            // A deflated data set is parsed from the copy the pre-scan inflated.
            Some(start) if prescanned.inflated.is_some() => {
                let meta = FileMetaTable::from_reader(&map[start - 4..])
                    .map_err(|_| DicomFileError::NoFileMeta("the file meta group does not parse"))?;
                let inflated = EXPLICIT_VR_LITTLE_ENDIAN.erased();
                Some(prescanned.parse_data_set(&map, &inflated)?.with_exact_meta(meta))
            }
            Some(_) => None,
        };
        if let Some(mut obj) = whole {
            if header_only {
                // As `read_until(PIXEL_DATA)` leaves it out of a Part-10 file's header.
                obj.remove_element(tags::PIXEL_DATA);
            }
            return Ok(obj);
        }
    }
    let options = if header_only {
        OpenFileOptions::new().read_until(tags::PIXEL_DATA)
    } else {
        OpenFileOptions::new()
    };
    guarded(|| options.open_file(path))?.map_err(|e| DicomFileError::Parse(Box::new(e)))
}

/// A span naming the file (its name, never the folders above it, which may name the patient) that
/// dicom-rs' own log lines concern while it reads or decodes it; at error level, so that it is
/// shown with any line the filter lets through.
pub fn file_span(path: &Path) -> tracing::Span {
    tracing::error_span!("dicom_file", file = %bare_name(path))
}

/// The last component of `path`, never the folders above it (which may name the patient): how
/// messages and log lines name a file.
pub fn bare_name(path: &Path) -> String {
    path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// Where the file meta group of a file starting with `bytes` begins: after the preamble and
/// `DICM`, or after a bare `DICM`; `None` for a plain data set (or no DICOM at all).
fn meta_start(bytes: &[u8]) -> Option<usize> {
    if bytes.get(128..132) == Some(b"DICM") {
        Some(132)
    } else if bytes.get(..4) == Some(b"DICM") {
        Some(4)
    } else {
        None
    }
}

/// Whether a file whose first bytes are `head` (132 of them, when it has that many) looks like
/// DICOM: a file meta group, or the first element of a plain data set.
pub fn looks_like_dicom(head: &[u8]) -> bool {
    meta_start(head).is_some() || plain_data_set_syntax(head).is_ok()
}

/// Parses a plain data set (already pre-scanned) in its inferred transfer syntax.
fn open_plain(bytes: &[u8]) -> Result<DefaultDicomObject, DicomFileError> {
    let uid = plain_data_set_syntax(bytes)?;
    let ts = TransferSyntaxRegistry.get(uid).ok_or(DicomFileError::NoFileMeta("no transfer syntax"))?;
    let obj = parse_data_set(bytes, ts)?;
    obj.with_meta(FileMetaTableBuilder::new().transfer_syntax(uid))
        .map_err(|_| DicomFileError::Malformed("a data set without SOP class or instance UID".to_owned()))
}

/// Parses a data set (already pre-scanned) in transfer syntax `ts`, behind the parser's panic
/// boundary.
fn parse_data_set(bytes: &[u8], ts: &TransferSyntax) -> Result<InMemDicomObject, DicomFileError> {
    guarded(|| InMemDicomObject::read_dataset_with_ts(bytes, ts))?
        .map_err(|e| DicomFileError::Parse(Box::new(e)))
}

/// The transfer syntax of a plain data set (no file meta group), inferred from its first
/// element as the module docs say.
pub fn plain_data_set_syntax(bytes: &[u8]) -> Result<&'static str, DicomFileError> {
    let head = bytes.get(..8).ok_or(DicomFileError::NoFileMeta("shorter than one element"))?;
    if u16::from_le_bytes([head[0], head[1]]) != 0x0008 {
        return Err(DicomFileError::NoFileMeta("the first element is not of group 0008, little endian"));
    }
    let vr = &head[4..6];
    let explicit = vr.iter().all(u8::is_ascii_uppercase) && VR::from_binary([vr[0], vr[1]]).is_some();
    Ok(if explicit { uids::EXPLICIT_VR_LITTLE_ENDIAN } else { uids::IMPLICIT_VR_LITTLE_ENDIAN })
}

/// Inflates a deflated data set (raw deflate, PS3.5 A.5) into memory, never more than `limit`
/// bytes ([`MAX_INFLATED_BYTES`]): a longer stream is refused once the limit is passed.
fn inflate_data_set(deflated: &[u8], limit: u64) -> Result<Vec<u8>, DicomFileError> {
    let mut inflated = Vec::new();
    flate2::read::DeflateDecoder::new(deflated)
        .take(limit + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| malformed(format!("the deflated data set does not inflate: {e}")))?;
    limits::check("inflated data set bytes", inflated.len() as u64, limit)?;
    Ok(inflated)
}

/// Runs `f` (a dicom-rs call) and turns a panic into [`DicomFileError::ParserPanic`].
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, DicomFileError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        tracing::warn!("The DICOM parser panicked on a file; refusing the file.");
        DicomFileError::ParserPanic
    })
}

/// Value representations with a 4-byte length in explicit VR (PS3.5 Table 7.1-1).
const LONG_VRS: [&[u8; 2]; 13] =
    [b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"];

const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: Tag = Tag(0xFFFE, 0xE000);
const ITEM_END: Tag = Tag(0xFFFE, 0xE00D);
const SEQUENCE_END: Tag = Tag(0xFFFE, 0xE0DD);

/// What an open sequence or item is.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A sequence of items.
    Sequence,
    /// Encapsulated pixel data: items are fragments, skipped.
    Fragments,
    /// An item of a sequence: a nested data set.
    Item,
}

/// An open sequence or item: where it ends (`None`: at its delimiter) and how its content is
/// encoded.
#[derive(Clone, Copy)]
struct Open {
    kind: Kind,
    end: Option<usize>,
    implicit: bool,
}

/// What the pre-scan learnt of a file that its parse reuses: where the data set starts and, for a
/// deflated data set (PS3.5 A.5), the data set inflated, so that it is inflated once, not twice.
#[derive(Debug)]
pub struct Prescanned {
    /// Offset of the data set in the file (0 for a plain data set).
    pub data_set_start: usize,
    inflated: Option<Vec<u8>>,
}

impl Prescanned {
    /// Parses the data set of the pre-scanned file `bytes`, in its transfer syntax `ts` (from
    /// the inflated copy when it was deflated), behind the parser's panic boundary.
    pub fn parse_data_set(
        &self,
        bytes: &[u8],
        ts: &TransferSyntax,
    ) -> Result<InMemDicomObject, DicomFileError> {
        match &self.inflated {
            Some(inflated) => parse_data_set(inflated, &EXPLICIT_VR_LITTLE_ENDIAN.erased()),
            None => parse_data_set(&bytes[self.data_set_start..], ts),
        }
    }
}

/// Walks the elements of a whole DICOM file (`bytes`) and refuses what the module docs list.
pub fn prescan(bytes: &[u8]) -> Result<Prescanned, DicomFileError> {
    let Some(start) = meta_start(bytes) else {
        let transfer_syntax = plain_data_set_syntax(bytes)?;
        let mut walker = Walker { bytes, pos: 0, big_endian: false, stack: Vec::new() };
        walker.data_set(transfer_syntax == uids::IMPLICIT_VR_LITTLE_ENDIAN)?;
        return Ok(Prescanned { data_set_start: 0, inflated: None });
    };
    let mut walker = Walker { bytes, pos: start, big_endian: false, stack: Vec::new() };
    let transfer_syntax = walker.meta_group()?;
    let transfer_syntax = transfer_syntax.trim_end_matches(['\0', ' ']);
    let data_set_start = walker.pos;
    if transfer_syntax == uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN {
        let inflated = inflate_data_set(&bytes[data_set_start..], MAX_INFLATED_BYTES)?;
        let mut walker = Walker { bytes: &inflated, pos: 0, big_endian: false, stack: Vec::new() };
        walker.data_set(false)?;
        return Ok(Prescanned { data_set_start, inflated: Some(inflated) });
    }
    walker.big_endian = transfer_syntax == super::pixels::EXPLICIT_VR_BIG_ENDIAN;
    walker.data_set(transfer_syntax == uids::IMPLICIT_VR_LITTLE_ENDIAN)?;
    Ok(Prescanned { data_set_start, inflated: None })
}

struct Walker<'a> {
    bytes: &'a [u8],
    pos: usize,
    big_endian: bool,
    stack: Vec<Open>,
}

fn malformed(what: impl Into<String>) -> DicomFileError {
    DicomFileError::Malformed(what.into())
}

impl Walker<'_> {
    fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    /// The end of a value of `length` bytes starting at `from`, when it lies inside the file and
    /// inside every open sequence and item of defined length.
    fn value_end(&self, from: usize, length: u32, what: Tag) -> Result<usize, DicomFileError> {
        let end = from.checked_add(length as usize).filter(|&e| e <= self.bytes.len()).ok_or_else(|| {
            malformed(format!(
                "element ({:04X},{:04X}) declares {length} bytes, past the end of the file",
                what.0, what.1
            ))
        })?;
        if let Some(outer) = self.stack.iter().rev().find_map(|o| o.end) {
            if end > outer {
                return Err(malformed(format!(
                    "element ({:04X},{:04X}) runs past the end of the sequence or item holding it",
                    what.0, what.1
                )));
            }
        }
        Ok(end)
    }

    /// Walks the file meta group (explicit VR little endian, group 0002) and returns the
    /// TransferSyntaxUID.
    fn meta_group(&mut self) -> Result<String, DicomFileError> {
        let mut transfer_syntax = String::new();
        while let (Some(group), Some(element)) = (self.u16_at(self.pos), self.u16_at(self.pos + 2)) {
            if group != 0x0002 {
                break;
            }
            let tag = Tag(group, element);
            let (header, length) = self.explicit_header(tag)?;
            let from = self.pos + header;
            if length == UNDEFINED {
                return Err(malformed("undefined length in the file meta group"));
            }
            let end = self.value_end(from, length, tag)?;
            if tag == tags::TRANSFER_SYNTAX_UID {
                transfer_syntax = String::from_utf8_lossy(&self.bytes[from..end]).into_owned();
            }
            self.pos = end;
        }
        Ok(transfer_syntax)
    }

    /// The header size and length of an explicit VR element at `self.pos`.
    fn explicit_header(&self, tag: Tag) -> Result<(usize, u32), DicomFileError> {
        let truncated = || malformed(format!("element ({:04X},{:04X}) is cut short", tag.0, tag.1));
        let vr = self.bytes.get(self.pos + 4..self.pos + 6).ok_or_else(truncated)?;
        if LONG_VRS.iter().any(|v| v[..] == *vr) {
            Ok((12, self.u32_at(self.pos + 8).ok_or_else(truncated)?))
        } else {
            Ok((8, u32::from(self.u16_at(self.pos + 6).ok_or_else(truncated)?)))
        }
    }

    fn sequence_depth(&self) -> usize {
        self.stack.iter().filter(|o| o.kind != Kind::Item).count()
    }

    fn push(&mut self, open: Open) -> Result<(), DicomFileError> {
        self.stack.push(open);
        let depth = self.sequence_depth();
        if depth > MAX_SEQUENCE_DEPTH {
            return Err(LimitExceeded {
                what: "sequence depth",
                found: depth as u64,
                limit: MAX_SEQUENCE_DEPTH as u64,
            }
            .into());
        }
        Ok(())
    }

    /// Walks the data set from `self.pos` to the end of the file.
    fn data_set(&mut self, implicit: bool) -> Result<(), DicomFileError> {
        loop {
            while let Some(top) = self.stack.last() {
                match top.end {
                    Some(end) if self.pos >= end => {
                        self.stack.pop();
                    }
                    _ => break,
                }
            }
            let (Some(group), Some(element)) = (self.u16_at(self.pos), self.u16_at(self.pos + 2)) else {
                // The end of the file (or a few stray bytes): dicom-rs judges a truncation.
                return Ok(());
            };
            let tag = Tag(group, element);
            let implicit_here = self.stack.last().map_or(implicit, |o| o.implicit);
            if group == 0xFFFE {
                let Some(length) = self.u32_at(self.pos + 4) else { return Ok(()) };
                self.pos += 8;
                self.delimiter(tag, length, implicit_here)?;
                continue;
            }
            let (header, length, is_sequence, is_unknown) = if implicit_here {
                let Some(length) = self.u32_at(self.pos + 4) else { return Ok(()) };
                let vr = StandardDataDictionary.by_tag(tag).map(|e| e.vr());
                (8, length, vr == Some(VirtualVr::Exact(VR::SQ)), vr.is_none())
            } else {
                let (header, length) = self.explicit_header(tag)?;
                let vr = &self.bytes[self.pos + 4..self.pos + 6];
                (header, length, vr == b"SQ", vr == b"UN")
            };
            let from = self.pos + header;
            if length == UNDEFINED {
                self.pos = from;
                let kind = if tag == tags::PIXEL_DATA { Kind::Fragments } else { Kind::Sequence };
                // An undefined-length UN (or unknown implicit) element holds an implicit VR sequence.
                self.push(Open { kind, end: None, implicit: implicit_here || is_unknown })?;
                continue;
            }
            let end = self.value_end(from, length, tag)?;
            if is_sequence {
                self.pos = from;
                self.push(Open { kind: Kind::Sequence, end: Some(end), implicit: implicit_here })?;
            } else {
                self.pos = end;
            }
        }
    }

    /// An item, item delimiter or sequence delimiter whose 8-byte header has been read.
    fn delimiter(&mut self, tag: Tag, length: u32, implicit: bool) -> Result<(), DicomFileError> {
        match (tag, self.stack.last().map(|o| o.kind)) {
            (ITEM, Some(Kind::Fragments)) => {
                self.pos = self.value_end(self.pos, length, tag)?;
            }
            (ITEM, _) => {
                let end =
                    if length == UNDEFINED { None } else { Some(self.value_end(self.pos, length, tag)?) };
                self.push(Open { kind: Kind::Item, end, implicit })?;
            }
            (ITEM_END, Some(Kind::Item)) | (SEQUENCE_END, Some(Kind::Sequence | Kind::Fragments)) => {
                self.stack.pop();
            }
            // A stray delimiter: dicom-rs judges it.
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file meta group naming `transfer_syntax`, after the preamble and magic.
    fn meta(transfer_syntax: &str) -> Vec<u8> {
        let mut out = vec![0u8; 128];
        out.extend_from_slice(b"DICM");
        let mut uid = transfer_syntax.as_bytes().to_vec();
        if uid.len() % 2 == 1 {
            uid.push(0);
        }
        out.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I']);
        out.extend_from_slice(&(uid.len() as u16).to_le_bytes());
        out.extend_from_slice(&uid);
        out
    }

    /// `depth` sequences of undefined length nested through undefined-length items.
    fn nested(depth: usize) -> Vec<u8> {
        let mut out = meta(uids::EXPLICIT_VR_LITTLE_ENDIAN);
        for _ in 0..depth {
            out.extend_from_slice(&[0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
            out.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        for _ in 0..depth {
            out.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
            out.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        }
        out
    }

    #[test]
    fn nesting_is_refused_beyond_the_limit_only() {
        assert!(prescan(&nested(MAX_SEQUENCE_DEPTH)).is_ok());
        let err = prescan(&nested(MAX_SEQUENCE_DEPTH + 1)).unwrap_err();
        assert_eq!(err.code(), "limit_exceeded");
        assert_eq!(prescan(&nested(5000)).unwrap_err().code(), "limit_exceeded");
    }

    #[test]
    fn lengths_past_the_end_are_refused() {
        let mut file = meta(uids::EXPLICIT_VR_LITTLE_ENDIAN);
        file.extend_from_slice(&[0x10, 0x00, 0x10, 0x00, b'P', b'N', 4, 0]);
        file.extend_from_slice(b"Doe^");
        assert!(prescan(&file).is_ok());
        let mut lying = file.clone();
        lying.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0, 0xF0, 0xFF, 0xFF, 0xFF]);
        assert_eq!(prescan(&lying).unwrap_err().code(), "malformed_dicom");
    }

    /// `body` deflated (raw deflate) after a file meta group naming the deflated transfer syntax.
    fn deflated(body: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut out = meta(uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(body).unwrap();
        out.extend(e.finish().unwrap());
        out
    }

    #[test]
    fn deflated_data_sets_are_inflated_and_walked() {
        let mut body = vec![0x10, 0x00, 0x10, 0x00, b'P', b'N', 4, 0];
        body.extend_from_slice(b"Doe^");
        assert!(prescan(&deflated(&body)).is_ok());
        body.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0, 0xF0, 0xFF, 0xFF, 0xFF]);
        assert_eq!(prescan(&deflated(&body)).unwrap_err().code(), "malformed_dicom");
        let nested = nested(MAX_SEQUENCE_DEPTH + 1);
        let body = &nested[meta(uids::EXPLICIT_VR_LITTLE_ENDIAN).len()..];
        assert_eq!(prescan(&deflated(body)).unwrap_err().code(), "limit_exceeded");
        let bomb = &deflated(&vec![0; 1 << 20])[meta(uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN).len()..];
        assert_eq!(inflate_data_set(bomb, 1 << 20).unwrap().len(), 1 << 20);
        let refused = inflate_data_set(bomb, 1 << 16).unwrap_err();
        assert_eq!(refused.to_string(), "inflated data set bytes 65537 exceeds the limit of 65536");
        let mut cut = deflated(&[0x55; 100_000]);
        cut.truncate(cut.len() - 20);
        assert_eq!(prescan(&cut).unwrap_err().code(), "malformed_dicom");
    }

    #[test]
    fn plain_data_sets_are_inferred_from_their_first_element() {
        let explicit = [0x08, 0x00, 0x16, 0x00, b'U', b'I', 2, 0, b'1', 0];
        assert_eq!(plain_data_set_syntax(&explicit).unwrap(), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        assert!(prescan(&explicit).is_ok());
        let implicit = [0x08, 0x00, 0x16, 0x00, 2, 0, 0, 0, b'1', 0];
        assert_eq!(plain_data_set_syntax(&implicit).unwrap(), uids::IMPLICIT_VR_LITTLE_ENDIAN);
        let big_endian = [0x00, 0x08, 0x00, 0x16, b'U', b'I', 0, 2, b'1', 0];
        assert_eq!(prescan(&big_endian).unwrap_err().code(), "unreadable_dicom");
        assert_eq!(prescan(b"hello, world").unwrap_err().code(), "unreadable_dicom");
        let lying = [0x08, 0x00, 0x16, 0x00, 0xF0, 0xFF, 0xFF, 0x7F, b'1', 0];
        assert_eq!(prescan(&lying).unwrap_err().code(), "malformed_dicom");
    }
}

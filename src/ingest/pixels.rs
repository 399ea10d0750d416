//! The one pixel data decoder of radscored: the stored samples of each frame of a parsed DICOM
//! object, for the CT slices ([`crate::ingest::volume`]) and the segmentations
//! ([`crate::roi::seg`]) alike, and the one list of transfer syntaxes this build decodes
//! ([`DECODABLE_TRANSFER_SYNTAXES`], also what the SCP and the drop folder accept).
//!
//! Where the rules come from:
//! - PS3.5 8.1.1 (native pixel data): samples of `BitsAllocated` bits, little endian in the
//!   little endian transfer syntaxes; `BitsAllocated` 1 packs pixels eight to a byte, least
//!   significant bit first, and the frames of a multi-frame object run on without padding, so
//!   pixel `p` of frame `f` is bit `f · rows · columns + p` of the value (a frame need not start on
//!   a byte boundary). In Explicit VR Big Endian (PS3.5 A.3, retired) an OW value is a sequence of
//!   16-bit words; dicom-rs reads it as words, which are turned back into the little endian byte
//!   stream the rules above are written for, so 16-bit samples and packed 1-bit words come out
//!   right; an OB value has no byte order.
//! - PS3.5 8.2 and Annex A.4 (encapsulated pixel data): each frame is compressed on its own, in
//!   one or more fragments; a compressed frame of `BitsAllocated` 1 starts on a byte boundary.
//!   RLE Lossless (Annex G: a header of segment offsets, one PackBits segment per byte of a
//!   sample, most significant first) is decoded here: dicom-rs 0.9.1 puts 8-bit RLE samples one
//!   pixel off. JPEG Lossless (processes 14 and 14 SV1) and JPEG 2000 are decoded by dicom-rs'
//!   codecs; a JPEG 2000 frame of `BitsAllocated` 1 (as highdicom writes BINARY SEGs: a
//!   one-bit codestream) decodes to one value per pixel.
//! - Deflated Image Frame Compression (PS3.5 8.2.16 and A.4.13, Supplement 244): each frame is one
//!   raw deflate stream (RFC 1951) of the frame's native bytes (packed bits for `BitsAllocated`
//!   1, from bit 0 of its first byte). It is inflated here, never to more than the frame's size.
//! - Deflated Explicit VR Little Endian (PS3.5 A.5): the whole data set is deflated; by the time an
//!   object reaches this module dicom-rs has inflated it (after [the guard](super::guard) has
//!   inflated and pre-scanned it within a size limit), so its pixel data is native.
//!
//! JPEG-LS is not decoded: see README, "Crate choices". A refusal names the encoding in words and
//! UID ([`describe_transfer_syntax`]) and what to do.

use std::borrow::Cow;
use std::io::Read;

use dicom_core::{value::PrimitiveValue, DicomValue};
use dicom_dictionary_std::{tags, uids};
use dicom_encoding::adapters::{PixelDataObject, RawPixelData};
use dicom_encoding::transfer_syntax::Codec;
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::DefaultDicomObject;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::dimse::trim_uid;
use super::{attr, guard};
use crate::error_code::ErrorCode;

/// Explicit VR Big Endian (PS3.5 A.3; retired, so dicom-rs marks its constant deprecated, but
/// still sent).
pub const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";

/// Transfer syntaxes whose pixel data this build decodes, for CT slices and segmentations alike.
pub const DECODABLE_TRANSFER_SYNTAXES: [&str; 10] = [
    uids::IMPLICIT_VR_LITTLE_ENDIAN,
    uids::EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    uids::DEFLATED_IMAGE_FRAME_COMPRESSION,
    uids::RLE_LOSSLESS,
    uids::JPEG_LOSSLESS,
    uids::JPEG_LOSSLESS_SV1,
    uids::JPEG2000_LOSSLESS,
    uids::JPEG2000,
];

/// Transfer syntaxes whose pixel data is native (not encapsulated).
const NATIVE: [&str; 4] = [
    uids::IMPLICIT_VR_LITTLE_ENDIAN,
    uids::EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
];

/// The name of a transfer syntax in words, as a technologist finds it on a PACS export dialog.
pub fn transfer_syntax_name(uid: &str) -> Option<&'static str> {
    Some(match uid {
        uids::IMPLICIT_VR_LITTLE_ENDIAN => "implicit VR little endian",
        uids::EXPLICIT_VR_LITTLE_ENDIAN => "explicit VR little endian",
        EXPLICIT_VR_BIG_ENDIAN => "explicit VR big endian",
        uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN => "deflated explicit VR little endian",
        uids::ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN => "encapsulated uncompressed",
        uids::DEFLATED_IMAGE_FRAME_COMPRESSION => "deflated image frame compression",
        uids::RLE_LOSSLESS => "RLE lossless",
        uids::JPEG_BASELINE8_BIT => "JPEG baseline (lossy)",
        uids::JPEG_EXTENDED12_BIT => "JPEG extended (lossy)",
        uids::JPEG_LOSSLESS => "JPEG lossless (process 14)",
        uids::JPEG_LOSSLESS_SV1 => "JPEG lossless (process 14, selection value 1)",
        uids::JPEGLS_LOSSLESS => "JPEG-LS lossless",
        uids::JPEGLS_NEAR_LOSSLESS => "JPEG-LS near-lossless",
        uids::JPEG2000_LOSSLESS => "JPEG 2000 lossless",
        uids::JPEG2000 => "JPEG 2000",
        uids::JPEG2000MC_LOSSLESS => "JPEG 2000 multi-component lossless",
        uids::JPEG2000MC => "JPEG 2000 multi-component",
        uids::HTJ2K_LOSSLESS => "high-throughput JPEG 2000 lossless",
        uids::HTJ2K_LOSSLESS_RPCL => "high-throughput JPEG 2000 lossless (RPCL)",
        uids::HTJ2K => "high-throughput JPEG 2000",
        uids::JPEGXL_LOSSLESS => "JPEG XL lossless",
        uids::JPEGXL => "JPEG XL",
        uids::JPIP_REFERENCED | uids::JPIP_REFERENCED_DEFLATE => "JPIP referenced",
        _ => return None,
    })
}

/// A transfer syntax as messages name it: `JPEG 2000 lossless (1.2.840.10008.1.2.4.90)`.
pub fn describe_transfer_syntax(uid: &str) -> String {
    match transfer_syntax_name(uid) {
        Some(name) => format!("{name} ({uid})"),
        None if uid.is_empty() => "no transfer syntax".to_owned(),
        None => format!("transfer syntax {uid}"),
    }
}

/// The refusal of an encoding this build does not read, with what to do.
pub fn unsupported_transfer_syntax_message(uid: &str) -> String {
    let read: Vec<&str> =
        DECODABLE_TRANSFER_SYNTAXES.iter().filter_map(|u| transfer_syntax_name(u)).collect();
    format!(
        "{} is not read by this build; re-send it uncompressed (explicit VR little endian); \
         this build reads: {}",
        describe_transfer_syntax(uid),
        read.join(", ")
    )
}

/// Why the pixel data of an object could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PixelError {
    /// The object's transfer syntax is not one this build decodes.
    #[error("{}", unsupported_transfer_syntax_message(uid))]
    UnsupportedTransferSyntax {
        /// The TransferSyntaxUID.
        uid: String,
    },
    /// The object has no PixelData element.
    #[error("no pixel data")]
    Missing,
    /// The pixel data does not decode, or its samples are of a kind this reader does not take.
    #[error("cannot decode the pixel data ({}): {reason}", describe_transfer_syntax(uid))]
    Undecodable {
        /// The TransferSyntaxUID.
        uid: String,
        /// What is wrong.
        reason: String,
    },
    /// dicom-rs panicked while decoding.
    #[error("{0}")]
    Parser(#[from] guard::DicomFileError),
}

impl ErrorCode for PixelError {
    fn code(&self) -> &'static str {
        match self {
            PixelError::UnsupportedTransferSyntax { .. } => "unsupported_transfer_syntax",
            PixelError::Missing => "missing_pixel_data",
            PixelError::Undecodable { .. } => "undecodable_pixel_data",
            PixelError::Parser(e) => e.code(),
        }
    }
}

/// How the samples of an object are laid out (PS3.3 C.7.6.3, Image Pixel module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelFormat {
    /// Rows of a frame.
    pub rows: usize,
    /// Columns of a frame.
    pub columns: usize,
    /// NumberOfFrames (1 when absent).
    pub frames: usize,
    /// BitsAllocated: 1, 8 or 16.
    pub bits_allocated: u32,
    /// BitsStored.
    pub bits_stored: u32,
    /// HighBit.
    pub high_bit: u32,
    /// PixelRepresentation 1: two's complement samples.
    pub signed: bool,
}

impl PixelFormat {
    /// Pixels of one frame.
    pub fn frame_pixels(&self) -> usize {
        self.rows * self.columns
    }
}

/// The object's transfer syntax UID, without padding.
pub fn transfer_syntax(obj: &DefaultDicomObject) -> &str {
    trim_uid(obj.meta().transfer_syntax())
}

/// Reads and checks the Image Pixel attributes: one sample per pixel of 1, 8 or 16 bits, the
/// stored bits inside the allocated ones; and the transfer syntax is one this build decodes.
/// Rows, columns and frames are the caller's to check against the [limits](crate::limits).
pub fn pixel_format(obj: &DefaultDicomObject) -> Result<PixelFormat, PixelError> {
    let uid = transfer_syntax(obj);
    if !DECODABLE_TRANSFER_SYNTAXES.contains(&uid) {
        return Err(PixelError::UnsupportedTransferSyntax { uid: uid.to_owned() });
    }
    let bad = |reason: String| PixelError::Undecodable { uid: uid.to_owned(), reason };
    let samples = attr::uint(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    if samples != 1 {
        return Err(bad(format!("{samples} samples per pixel, expected 1")));
    }
    let bits_allocated = attr::uint(obj, tags::BITS_ALLOCATED).unwrap_or(0);
    let bits_stored = attr::uint(obj, tags::BITS_STORED).unwrap_or(bits_allocated);
    let high_bit = attr::uint(obj, tags::HIGH_BIT).unwrap_or(bits_stored.saturating_sub(1));
    if !matches!(bits_allocated, 1 | 8 | 16)
        || bits_stored == 0
        || high_bit + 1 < bits_stored
        || high_bit >= bits_allocated
    {
        return Err(bad(format!(
            "bits allocated {bits_allocated}, stored {bits_stored}, high bit {high_bit} not supported"
        )));
    }
    Ok(PixelFormat {
        rows: attr::uint(obj, tags::ROWS).unwrap_or(0) as usize,
        columns: attr::uint(obj, tags::COLUMNS).unwrap_or(0) as usize,
        frames: attr::uint(obj, tags::NUMBER_OF_FRAMES).unwrap_or(1).max(1) as usize,
        bits_allocated,
        bits_stored,
        high_bit,
        signed: attr::uint(obj, tags::PIXEL_REPRESENTATION) == Some(1),
    })
}

/// Decodes frame `frame` (0-based) of `obj`, laid out as `format` says, into `out`: one stored
/// value per pixel, row by row, column fastest; the `BitsStored` bits ending at `HighBit`,
/// sign-extended when the samples are signed.
pub fn decode_frame(
    obj: &DefaultDicomObject,
    format: &PixelFormat,
    frame: usize,
    out: &mut Vec<i32>,
) -> Result<(), PixelError> {
    let uid = transfer_syntax(obj);
    let bad = |reason: String| PixelError::Undecodable { uid: uid.to_owned(), reason };
    if frame >= format.frames {
        return Err(bad(format!("frame {} of {}", frame + 1, format.frames)));
    }
    let element = obj.get(tags::PIXEL_DATA).ok_or(PixelError::Missing)?;
    let pixels = format.frame_pixels();
    // Bytes of one frame of 8- or 16-bit samples.
    let frame_bytes = pixels * (format.bits_allocated as usize / 8);
    let one_bit_refused =
        || bad("one-bit samples are read natively, deflated or in JPEG 2000 only".to_owned());
    out.clear();
    if NATIVE.contains(&uid) {
        let DicomValue::Primitive(value) = element.value() else {
            return Err(bad("encapsulated pixel data in a native transfer syntax".to_owned()));
        };
        let short = || bad(format!("the pixel data holds fewer than {} frames", format.frames));
        // A one-bit frame starts inside the byte holding its first bit.
        let (from, to, first_bit) = if format.bits_allocated == 1 {
            let first = frame * pixels;
            (first / 8, (first + pixels).div_ceil(8), first % 8)
        } else {
            (frame * frame_bytes, (frame + 1) * frame_bytes, 0)
        };
        let data = native_range(value, from, to).ok_or_else(short)?;
        append_frame(format, &data, first_bit, out);
        return Ok(());
    }
    let DicomValue::PixelSequence(sequence) = element.value() else {
        return Err(bad("native pixel data in an encapsulated transfer syntax".to_owned()));
    };
    if uid == uids::DEFLATED_IMAGE_FRAME_COMPRESSION {
        let compressed = frame_fragments(sequence.fragments(), frame, format.frames).map_err(bad)?;
        let size = (pixels * format.bits_allocated as usize).div_ceil(8);
        let data = inflate_frame(&compressed, size).map_err(bad)?;
        append_frame(format, &data, 0, out);
        return Ok(());
    }
    if uid == uids::RLE_LOSSLESS {
        if format.bits_allocated == 1 {
            return Err(one_bit_refused());
        }
        let compressed = frame_fragments(sequence.fragments(), frame, format.frames).map_err(bad)?;
        let data = rle_frame(&compressed, pixels, format.bits_allocated as usize / 8).map_err(bad)?;
        samples(format, &data, out);
        return Ok(());
    }
    let Some(Codec::EncapsulatedPixelData(Some(reader), _)) =
        TransferSyntaxRegistry.get(uid).map(|ts| ts.codec())
    else {
        return Err(PixelError::UnsupportedTransferSyntax { uid: uid.to_owned() });
    };
    if format.bits_allocated == 1 && !matches!(uid, uids::JPEG2000_LOSSLESS | uids::JPEG2000) {
        return Err(one_bit_refused());
    }
    let view = OneBitAsBytes(obj);
    let mut data = Vec::new();
    guard::guarded(|| reader.decode_frame(&view, frame as u32, &mut data))?
        .map_err(|e| bad(e.to_string()))?;
    if format.bits_allocated == 1 {
        // The codec gives one byte per one-bit sample: 0 or 1, or the frame is wrong.
        let ones = data.get(..pixels).ok_or_else(|| bad(format!("{} samples decoded", data.len())))?;
        if let Some(v) = ones.iter().find(|&&v| v > 1) {
            return Err(bad(format!("one-bit frame decoded to value {v}")));
        }
        out.extend(ones.iter().map(|&v| i32::from(v)));
        return Ok(());
    }
    let data = data
        .get(..frame_bytes)
        .ok_or_else(|| bad(format!("{} bytes decoded, {frame_bytes} expected", data.len())))?;
    samples(format, data, out);
    Ok(())
}

/// Appends one frame's stored values from its bytes: one-bit samples from bit `first_bit` of
/// `data`, else 8- or 16-bit samples.
fn append_frame(format: &PixelFormat, data: &[u8], first_bit: usize, out: &mut Vec<i32>) {
    if format.bits_allocated == 1 {
        unpack_bits(data, first_bit, format.frame_pixels(), out);
    } else {
        samples(format, data, out);
    }
}

/// The compressed bytes of frame `frame` of `frames`: its own fragment when there is one per
/// frame, all fragments joined when there is a single frame (PS3.5 A.4: a frame may span
/// fragments, but a fragment never holds parts of two frames).
fn frame_fragments<T: AsRef<[u8]>>(
    fragments: &[T],
    frame: usize,
    frames: usize,
) -> Result<Cow<'_, [u8]>, String> {
    if fragments.len() == frames {
        Ok(Cow::Borrowed(fragments[frame].as_ref()))
    } else if frames == 1 {
        Ok(Cow::Owned(fragments.iter().flat_map(|f| f.as_ref().iter().copied()).collect()))
    } else {
        Err(format!("{} fragments for {frames} frames", fragments.len()))
    }
}

/// Appends `count` one-bit samples of `bytes`, starting at bit `first` (least significant bit
/// first, PS3.5 8.1.1), as 0 or 1.
fn unpack_bits(bytes: &[u8], first: usize, count: usize, out: &mut Vec<i32>) {
    out.extend((first..first + count).map(|p| i32::from((bytes[p >> 3] >> (p & 7)) & 1)));
}

/// Bytes `from..to` of the little endian byte stream of a native PixelData value (`None` when it
/// is shorter): bytes as they are, 16-bit words (how dicom-rs reads OW, in either byte order) as
/// little endian pairs. Only the range is converted, so a frame costs its own size.
fn native_range(value: &PrimitiveValue, from: usize, to: usize) -> Option<Cow<'_, [u8]>> {
    match value {
        PrimitiveValue::U16(words) => {
            let pairs = words.get(from / 2..to.div_ceil(2))?;
            let bytes: Vec<u8> = pairs.iter().flat_map(|w| w.to_le_bytes()).collect();
            Some(Cow::Owned(bytes[from % 2..from % 2 + (to - from)].to_vec()))
        }
        PrimitiveValue::U8(bytes) => bytes.get(from..to).map(Cow::Borrowed),
        other => match other.to_bytes() {
            Cow::Borrowed(b) => b.get(from..to).map(Cow::Borrowed),
            Cow::Owned(b) => b.get(from..to).map(|r| Cow::Owned(r.to_vec())),
        },
    }
}

/// Appends the stored values of one frame of 8- or 16-bit little endian samples.
fn samples(format: &PixelFormat, data: &[u8], out: &mut Vec<i32>) {
    let shift = format.high_bit + 1 - format.bits_stored;
    // `pixel_format` keeps bits_stored within the 16 bits allocated.
    let mask = (1u32 << format.bits_stored) - 1;
    let sign_bit = 1u32 << (format.bits_stored - 1);
    let signed = format.signed;
    let bits_stored = format.bits_stored;
    let sample = |raw: u32| -> i32 {
        let v = (raw >> shift) & mask;
        if signed && v & sign_bit != 0 {
            v as i32 - (1i32 << bits_stored)
        } else {
            v as i32
        }
    };
    if format.bits_allocated == 8 {
        out.extend(data.iter().map(|&b| sample(u32::from(b))));
    } else {
        out.extend(data.chunks_exact(2).map(|b| sample(u32::from(u16::from_le_bytes([b[0], b[1]])))));
    }
}

/// Inflates one raw deflate stream of a frame of `size` bytes; more than one byte beyond (the
/// padding of an odd length) is refused before it is inflated.
fn inflate_frame(compressed: &[u8], size: usize) -> Result<Vec<u8>, String> {
    let mut data = Vec::with_capacity(size + 2);
    flate2::read::DeflateDecoder::new(compressed)
        .take(size as u64 + 2)
        .read_to_end(&mut data)
        .map_err(|e| format!("the deflated frame does not inflate: {e}"))?;
    if data.len() < size || data.len() > size + 1 {
        return Err(format!("the deflated frame inflates to more or less than its {size} bytes"));
    }
    data.truncate(size);
    Ok(data)
}

/// Decodes one RLE Lossless frame (PS3.5 Annex G) of `pixels` single-sample pixels of
/// `bytes_per_sample` bytes into little endian samples.
fn rle_frame(fragment: &[u8], pixels: usize, bytes_per_sample: usize) -> Result<Vec<u8>, String> {
    let word = |at: usize| -> Option<usize> {
        fragment.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let segments = word(0).ok_or("the RLE header is cut short")?;
    if segments != bytes_per_sample {
        return Err(format!("{segments} RLE segments, expected {bytes_per_sample}"));
    }
    let mut out = vec![0u8; pixels * bytes_per_sample];
    for s in 0..segments {
        let start = word(4 + 4 * s).ok_or("the RLE header is cut short")?;
        let end = if s + 1 < segments {
            word(8 + 4 * s).ok_or("the RLE header is cut short")?
        } else {
            fragment.len()
        };
        let segment = fragment
            .get(start..end)
            .filter(|_| start >= 64)
            .ok_or("an RLE segment lies outside its fragment")?;
        // Segment 0 holds the most significant bytes; little endian puts them last.
        let byte = bytes_per_sample - 1 - s;
        let mut filled = 0;
        let mut at = 0;
        let mut put = |value: u8, filled: &mut usize| {
            if *filled < pixels {
                out[*filled * bytes_per_sample + byte] = value;
                *filled += 1;
            }
        };
        while at < segment.len() && filled < pixels {
            let n = segment[at] as i8;
            at += 1;
            if n >= 0 {
                let run = segment.get(at..at + n as usize + 1).ok_or("an RLE literal run is cut short")?;
                for &v in run {
                    put(v, &mut filled);
                }
                at += run.len();
            } else if n != -128 {
                let v = *segment.get(at).ok_or("an RLE replicate run is cut short")?;
                for _ in 0..(1 - i32::from(n)) {
                    put(v, &mut filled);
                }
                at += 1;
            }
        }
        if filled < pixels {
            return Err(format!("an RLE segment decodes to {filled} of {pixels} pixels"));
        }
    }
    Ok(out)
}

/// The object as the codecs see it, except that one-bit samples are announced as eight-bit ones:
/// a one-bit JPEG 2000 codestream then decodes to one byte (0 or 1) per pixel.
struct OneBitAsBytes<'a>(&'a DefaultDicomObject);

impl PixelDataObject for OneBitAsBytes<'_> {
    fn transfer_syntax_uid(&self) -> &str {
        self.0.transfer_syntax_uid()
    }
    fn rows(&self) -> Option<u16> {
        self.0.rows()
    }
    fn cols(&self) -> Option<u16> {
        self.0.cols()
    }
    fn samples_per_pixel(&self) -> Option<u16> {
        self.0.samples_per_pixel()
    }
    fn bits_allocated(&self) -> Option<u16> {
        self.0.bits_allocated().map(|b| if b == 1 { 8 } else { b })
    }
    fn bits_stored(&self) -> Option<u16> {
        self.0.bits_stored().map(|b| if b == 1 { 8 } else { b })
    }
    fn photometric_interpretation(&self) -> Option<&str> {
        self.0.photometric_interpretation()
    }
    fn number_of_frames(&self) -> Option<u32> {
        self.0.number_of_frames()
    }
    fn number_of_fragments(&self) -> Option<u32> {
        self.0.number_of_fragments()
    }
    fn fragment(&self, fragment: usize) -> Option<Cow<'_, [u8]>> {
        self.0.fragment(fragment)
    }
    fn offset_table(&self) -> Option<Cow<'_, [u32]>> {
        self.0.offset_table()
    }
    fn raw_pixel_data(&self) -> Option<RawPixelData> {
        self.0.raw_pixel_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_named_in_words_and_uid() {
        assert_eq!(
            describe_transfer_syntax("1.2.840.10008.1.2.4.90"),
            "JPEG 2000 lossless (1.2.840.10008.1.2.4.90)"
        );
        let refusal = unsupported_transfer_syntax_message(uids::JPEGLS_LOSSLESS);
        assert!(refusal.starts_with("JPEG-LS lossless (1.2.840.10008.1.2.4.80) is not read by this build"));
        assert!(refusal.contains("re-send it uncompressed"), "{refusal}");
        assert!(refusal.contains("deflated image frame compression"), "{refusal}");
        assert_eq!(describe_transfer_syntax("1.2.3"), "transfer syntax 1.2.3");
        for uid in DECODABLE_TRANSFER_SYNTAXES {
            assert!(transfer_syntax_name(uid).is_some(), "{uid} has no name");
        }
    }

    #[test]
    fn native_ranges_are_little_endian_bytes_whatever_the_value_type() {
        let words = PrimitiveValue::U16(vec![0x0201, 0x0403, 0x0605].into());
        assert_eq!(&*native_range(&words, 1, 4).unwrap(), [0x02, 0x03, 0x04]);
        assert_eq!(&*native_range(&words, 0, 6).unwrap(), [1, 2, 3, 4, 5, 6]);
        assert!(native_range(&words, 5, 7).is_none());
        let bytes = PrimitiveValue::U8(vec![1, 2, 3].into());
        assert_eq!(&*native_range(&bytes, 1, 3).unwrap(), [2, 3]);
        assert!(native_range(&bytes, 2, 4).is_none());
    }

    #[test]
    fn rle_frames_decode_per_annex_g() {
        // Two segments (16-bit): MSB run "1 literal 0x01, 3 replicate 0x00", LSB "4 literal".
        let mut frame = vec![0u8; 64];
        frame[0] = 2;
        frame[4] = 64;
        frame[8] = 68;
        frame.extend_from_slice(&[0x00, 0x01, (-2i8) as u8, 0x00]);
        frame.extend_from_slice(&[0x03, 0x10, 0x20, 0x30, 0x40]);
        assert_eq!(rle_frame(&frame, 4, 2).unwrap(), [0x10, 0x01, 0x20, 0x00, 0x30, 0x00, 0x40, 0x00]);
        assert!(rle_frame(&frame, 5, 2).is_err());
        assert!(rle_frame(&frame[..60], 4, 2).is_err());
        assert!(rle_frame(&frame, 4, 1).is_err());
        let mut eight = vec![0u8; 64];
        eight[0] = 1;
        eight[4] = 64;
        eight.extend_from_slice(&[(-2i8) as u8, 0x07, 0x00, 0x09]);
        assert_eq!(rle_frame(&eight, 4, 1).unwrap(), [7, 7, 7, 9]);
    }

    #[test]
    fn deflated_frames_inflate_to_their_size_only() {
        use std::io::Write;
        let deflate = |data: &[u8]| {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        assert_eq!(inflate_frame(&deflate(&[1, 2, 3]), 3).unwrap(), [1, 2, 3]);
        assert_eq!(inflate_frame(&deflate(&[1, 2, 3, 0]), 3).unwrap(), [1, 2, 3]);
        assert!(inflate_frame(&deflate(&[0; 1 << 20]), 16).is_err());
        assert!(inflate_frame(&deflate(&[1, 2]), 3).is_err());
        let truncated = deflate(&[7; 4096]);
        assert!(inflate_frame(&truncated[..truncated.len() / 2], 4096).is_err());
    }
}

//! NRRD reader: the header fields PyRadiomics' data uses, raw, gzip and ASCII encodings, attached
//! or detached (`.nhdr` + `data file`) data. Spec: teem's "NRRD file format" (NRRD0001-0005).
//!
//! Geometry follows ITK's NRRD reader, which PyRadiomics reads through: spacing is the length of
//! each `space directions` vector, direction its unit vector, and `right-anterior-superior` /
//! `left-anterior-superior` spaces are turned into LPS by negating the x (and y) components.
//! gzip is inflated by libdeflate in one call into a buffer of the exact expected size; raw
//! little-endian samples that are aligned for their type in the file are mapped, not copied
//! ([`Samples`]). Decoded buffers are anonymous maps that ask for huge pages, so a 32 MB
//! volume is not 8,192 separate page faults.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Geometry, Image, ImageError, Samples, Voxels};
use crate::limits::{self, MAX_HEADER_BYTES, MAX_INFLATE_RATIO};

/// Reads a 3-D NRRD image.
pub fn read(path: &Path) -> Result<Image, ImageError> {
    let io = |source| ImageError::Io { path: path.into(), source };
    let (mut file, length) = super::open_regular(path)?;
    let head = read_head(path, &mut file)?;
    if let Some(image) = read_direct(path, &mut file, length, &head)? {
        return Ok(image);
    }
    let mut bytes = head;
    file.read_to_end(&mut bytes).map_err(io)?;
    parse(path, &bytes)
}

/// Bytes read at a time until the header's end is found: enough for any header seen in practice.
const HEADER_PROBE_BYTES: usize = 64 * 1024;

/// The start of the file, up to and past the blank line that ends an NRRD header (or the whole
/// file when shorter); a header longer than [`MAX_HEADER_BYTES`] is refused.
fn read_head(path: &Path, file: &mut std::fs::File) -> Result<Vec<u8>, ImageError> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        head.resize(start + HEADER_PROBE_BYTES, 0);
        let n = read_up_to(file, &mut head[start..])
            .map_err(|source| ImageError::Io { path: path.into(), source })?;
        head.truncate(start + n);
        if n < HEADER_PROBE_BYTES || !head.starts_with(b"NRRD000") || split_header(&head).is_some() {
            return Ok(head);
        }
        if head.len() > MAX_HEADER_BYTES {
            let source = limits::LimitExceeded {
                what: "header bytes",
                found: head.len() as u64,
                limit: MAX_HEADER_BYTES as u64,
            };
            return Err(ImageError::Limit { path: path.into(), source });
        }
    }
}

fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// The common case, attached raw or gzip data right after the header: aligned little-endian raw
/// samples are mapped from the file; other raw data and gzip are decoded straight into a fresh
/// page-aligned buffer that then holds the samples read-only. `None` when the file needs the
/// general path.
fn read_direct(
    path: &Path,
    file: &mut std::fs::File,
    length: u64,
    head: &[u8],
) -> Result<Option<Image>, ImageError> {
    if !head.starts_with(b"NRRD000") {
        return Ok(None);
    }
    let Some((header_text, data_offset)) = split_header(head) else {
        return Ok(None);
    };
    let header = parse_header(path, header_text)?;
    if header.data_file.is_some() || header.line_skip != 0 || header.byte_skip != 0 {
        return Ok(None);
    }
    let count = header.geometry.voxel_count();
    let expected = count * header.sample.bytes();
    let little_endian = !header.big_endian || header.sample.bytes() == 1;
    if header.encoding == Encoding::Raw && little_endian {
        if let Some(voxels) = mapped(path, file, header.sample, data_offset, expected)? {
            return Ok(Some(Image { geometry: header.geometry, voxels }));
        }
    }
    let available = usize::try_from(length).unwrap_or(usize::MAX).saturating_sub(data_offset);
    check_data_size(path, header.encoding, available, expected)?;
    let mut buffer = fresh_buffer(path, expected)?;
    let already = &head[data_offset.min(head.len())..];
    match header.encoding {
        Encoding::Raw => {
            let take = already.len().min(expected);
            buffer[..take].copy_from_slice(&already[..take]);
            let filled = take
                + read_up_to(file, &mut buffer[take..])
                    .map_err(|source| ImageError::Io { path: path.into(), source })?;
            if filled < expected {
                return Err(short(path, filled, expected));
            }
        }
        Encoding::Gzip => {
            let mut compressed = already.to_vec();
            file.read_to_end(&mut compressed)
                .map_err(|source| ImageError::Io { path: path.into(), source })?;
            let n =
                libdeflater::Decompressor::new().gzip_decompress(&compressed, &mut buffer).map_err(|e| {
                    corrupt(path, format!("gzip data does not inflate to {expected} bytes ({e})"))
                })?;
            if n != expected {
                return Err(short(path, n, expected));
            }
        }
        Encoding::Ascii => return Ok(None),
    }
    let voxels = frozen_voxels(path, buffer, header.sample, header.big_endian)?;
    Ok(Some(Image { geometry: header.geometry, voxels }))
}

/// A zero-filled, page-aligned buffer of `bytes` for a decoder to fill, asking the kernel for
/// huge pages: a CT's 32 MB then costs 16 page faults instead of 8,192.
fn fresh_buffer(path: &Path, bytes: usize) -> Result<memmap2::MmapMut, ImageError> {
    let io = |source| ImageError::Io { path: path.into(), source };
    let buffer = memmap2::MmapMut::map_anon(bytes).map_err(io)?;
    #[cfg(target_os = "linux")]
    if let Err(error) = buffer.advise(memmap2::Advice::HugePage) {
        tracing::debug!(%error, "no huge pages for the image buffer");
    }
    Ok(buffer)
}

/// The samples a decoder wrote into `buffer`, in the file's byte order, as read-only voxels in
/// the host's order.
fn frozen_voxels(
    path: &Path,
    mut buffer: memmap2::MmapMut,
    sample: SampleType,
    big_endian: bool,
) -> Result<Voxels, ImageError> {
    if big_endian {
        buffer.chunks_exact_mut(sample.bytes()).for_each(<[u8]>::reverse);
    }
    let bytes = buffer.len();
    let frozen = buffer.make_read_only().map_err(|source| ImageError::Io { path: path.into(), source })?;
    Ok(in_map(sample, Arc::new(frozen), 0..bytes)
        .expect("an anonymous map starts on a page boundary, aligned for every sample type"))
}

/// Raw little-endian samples at `offset` of `file`, as a read-only map of the file (see
/// [`Samples`]); `None` when the samples are not aligned in the file for their type, which the
/// copying path then reads.
///
/// The map shares the file's page cache. Should another program truncate the file while it is
/// mapped, reading the lost pages would fault, as with any mapped input (ripgrep's and Git's
/// trade-off too); radscored never writes to the files it reads.
fn mapped(
    path: &Path,
    file: &std::fs::File,
    sample: SampleType,
    offset: usize,
    bytes: usize,
) -> Result<Option<Voxels>, ImageError> {
    // The map starts on a page boundary, so the samples are aligned when their offset is.
    if offset % sample.bytes() != 0 {
        return Ok(None);
    }
    let io = |source| ImageError::Io { path: path.into(), source };
    let length = file.metadata().map_err(io)?.len();
    let available = usize::try_from(length).unwrap_or(usize::MAX).saturating_sub(offset);
    if available < bytes {
        return Err(short(path, available, bytes));
    }
    // SAFETY: the map is read-only and radscored does not write the files it reads; a change by
    // another program is the documented hazard above.
    let map = Arc::new(unsafe { memmap2::MmapOptions::new().map(file) }.map_err(io)?);
    Ok(in_map(sample, map, offset..offset + bytes))
}

/// The samples in `range` of `map` as [`Voxels`]; `None` when they are not aligned for their type.
fn in_map(sample: SampleType, map: Arc<memmap2::Mmap>, range: std::ops::Range<usize>) -> Option<Voxels> {
    match sample {
        SampleType::U8 => Samples::mapped(map, range).map(Voxels::U8),
        SampleType::I8 => Samples::mapped(map, range).map(Voxels::I8),
        SampleType::U16 => Samples::mapped(map, range).map(Voxels::U16),
        SampleType::I16 => Samples::mapped(map, range).map(Voxels::I16),
        SampleType::U32 => Samples::mapped(map, range).map(Voxels::U32),
        SampleType::I32 => Samples::mapped(map, range).map(Voxels::I32),
        SampleType::U64 => Samples::mapped(map, range).map(Voxels::U64),
        SampleType::I64 => Samples::mapped(map, range).map(Voxels::I64),
        SampleType::F32 => Samples::mapped(map, range).map(Voxels::F32),
        SampleType::F64 => Samples::mapped(map, range).map(Voxels::F64),
    }
}

/// A zero-filled buffer of `count` samples.
fn zeroed(sample: SampleType, count: usize) -> Voxels {
    match sample {
        SampleType::U8 => Voxels::U8(vec![0; count].into()),
        SampleType::I8 => Voxels::I8(vec![0; count].into()),
        SampleType::U16 => Voxels::U16(vec![0; count].into()),
        SampleType::I16 => Voxels::I16(vec![0; count].into()),
        SampleType::U32 => Voxels::U32(vec![0; count].into()),
        SampleType::I32 => Voxels::I32(vec![0; count].into()),
        SampleType::U64 => Voxels::U64(vec![0; count].into()),
        SampleType::I64 => Voxels::I64(vec![0; count].into()),
        SampleType::F32 => Voxels::F32(vec![0.0; count].into()),
        SampleType::F64 => Voxels::F64(vec![0.0; count].into()),
    }
}

/// Writes `image` as a raw-encoded (uncompressed), little-endian NRRD in LPS space. A comment
/// line pads the header so that the samples start 8-byte aligned, which lets readers (this one
/// included) map them instead of copying.
pub fn write_raw(path: &Path, image: &Image) -> Result<(), ImageError> {
    let g = &image.geometry;
    let vector = |v: [f64; 3]| format!("({},{},{})", v[0], v[1], v[2]);
    let directions: Vec<String> =
        (0..3).map(|a| vector(g.direction[a].map(|c| c * g.spacing_mm[a]))).collect();
    let mut bytes = format!(
        "NRRD0004\ntype: {}\ndimension: 3\nspace: left-posterior-superior\nsizes: {} {} {}\n\
         space directions: {}\nkinds: domain domain domain\nendian: little\nencoding: raw\n\
         space origin: {}\n# samples 8-byte aligned",
        image.voxels.type_name(),
        g.size[0],
        g.size[1],
        g.size[2],
        directions.join(" "),
        vector(g.origin_mm),
    )
    .into_bytes();
    // The comment line and the blank line end the header.
    let padding = (8 - (bytes.len() + 2) % 8) % 8;
    bytes.extend(std::iter::repeat_n(b' ', padding));
    bytes.extend_from_slice(b"\n\n");
    macro_rules! le {
        ($v:expr) => {
            $v.iter().for_each(|x| bytes.extend_from_slice(&x.to_le_bytes()))
        };
    }
    match &image.voxels {
        Voxels::U8(v) => bytes.extend_from_slice(v),
        Voxels::I8(v) => le!(v),
        Voxels::U16(v) => le!(v),
        Voxels::I16(v) => le!(v),
        Voxels::U32(v) => le!(v),
        Voxels::I32(v) => le!(v),
        Voxels::U64(v) => le!(v),
        Voxels::I64(v) => le!(v),
        Voxels::F32(v) => le!(v),
        Voxels::F64(v) => le!(v),
    }
    std::fs::write(path, bytes).map_err(|source| ImageError::Io { path: path.into(), source })
}

/// Sample types of NRRD's `type` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SampleType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
}

impl SampleType {
    fn parse(name: &str) -> Option<SampleType> {
        Some(match name {
            "uchar" | "unsigned char" | "uint8" | "uint8_t" => SampleType::U8,
            "signed char" | "int8" | "int8_t" => SampleType::I8,
            "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => SampleType::U16,
            "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => {
                SampleType::I16
            }
            "uint" | "unsigned int" | "uint32" | "uint32_t" => SampleType::U32,
            "int" | "signed int" | "int32" | "int32_t" => SampleType::I32,
            "ulonglong" | "unsigned long long" | "unsigned long long int" | "uint64" | "uint64_t" => {
                SampleType::U64
            }
            "longlong"
            | "long long"
            | "long long int"
            | "signed long long"
            | "signed long long int"
            | "int64"
            | "int64_t" => SampleType::I64,
            "float" => SampleType::F32,
            "double" => SampleType::F64,
            _ => return None,
        })
    }

    fn bytes(self) -> usize {
        match self {
            SampleType::U8 | SampleType::I8 => 1,
            SampleType::U16 | SampleType::I16 => 2,
            SampleType::U32 | SampleType::I32 | SampleType::F32 => 4,
            SampleType::U64 | SampleType::I64 | SampleType::F64 => 8,
        }
    }
}

/// How the voxel data is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Raw,
    Gzip,
    Ascii,
}

/// The header fields this reader uses, after parsing.
struct Header {
    sample: SampleType,
    big_endian: bool,
    encoding: Encoding,
    geometry: Geometry,
    byte_skip: i64,
    line_skip: usize,
    data_file: Option<PathBuf>,
}

fn bad(path: &Path, reason: impl Into<String>) -> ImageError {
    ImageError::BadHeader { path: path.into(), reason: reason.into() }
}

fn unsupported(path: &Path, what: &'static str, value: &str) -> ImageError {
    ImageError::Unsupported { path: path.into(), what, value: value.to_string() }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> ImageError {
    ImageError::Corrupt { path: path.into(), reason: reason.into() }
}

/// Parses a whole NRRD file already in memory.
fn parse(path: &Path, bytes: &[u8]) -> Result<Image, ImageError> {
    if !bytes.starts_with(b"NRRD000") {
        return Err(bad(path, "missing NRRD magic line"));
    }
    let (header_text, data_offset) =
        split_header(bytes).unwrap_or((std::str::from_utf8(bytes).unwrap_or(""), bytes.len()));
    let header = parse_header(path, header_text)?;
    let count = header.geometry.voxel_count();
    let expected = count * header.sample.bytes();

    let detached;
    let (data_path, data): (&Path, &[u8]) = match &header.data_file {
        Some(file) => {
            let full = path.parent().unwrap_or(Path::new(".")).join(file);
            detached = read_detached(&full, &header, expected)?;
            (path, &detached[..])
        }
        None => (path, &bytes[data_offset.min(bytes.len())..]),
    };
    let data = skip_lines(data, header.line_skip);
    let inflated;
    let raw: &[u8] = match header.encoding {
        Encoding::Raw => {
            let start = if header.byte_skip < 0 {
                data.len().checked_sub(expected).ok_or_else(|| short(data_path, data.len(), expected))?
            } else {
                header.byte_skip as usize
            };
            let body = data.get(start..).unwrap_or_default();
            if body.len() < expected {
                return Err(short(data_path, body.len(), expected));
            }
            &body[..expected]
        }
        Encoding::Gzip => {
            let skip = header.byte_skip.max(0) as usize;
            let body = data.get(skip..).unwrap_or_default();
            check_data_size(data_path, Encoding::Gzip, body.len(), expected)?;
            let mut out = vec![0u8; expected];
            let n = libdeflater::Decompressor::new().gzip_decompress(body, &mut out).map_err(|e| {
                corrupt(data_path, format!("gzip data does not inflate to {expected} bytes ({e})"))
            })?;
            if n != expected {
                return Err(short(data_path, n, expected));
            }
            inflated = out;
            &inflated
        }
        Encoding::Ascii => return ascii_voxels(data_path, data, header.sample, count, header.geometry),
    };
    let mut buffer = fresh_buffer(data_path, raw.len())?;
    buffer.copy_from_slice(raw);
    let voxels = frozen_voxels(data_path, buffer, header.sample, header.big_endian)?;
    Ok(Image { geometry: header.geometry, voxels })
}

fn short(path: &Path, found: usize, expected: usize) -> ImageError {
    corrupt(path, format!("{found} bytes of voxel data, header promises {expected}"))
}

/// Splits at the first empty line: header text, and the offset of the data after it; `None` when
/// `bytes` holds no empty line (the header has not ended yet).
fn split_header(bytes: &[u8]) -> Option<(&str, usize)> {
    let mut pos = 0;
    while pos < bytes.len() {
        let end = bytes[pos..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |e| pos + e);
        let line = &bytes[pos..end];
        if end < bytes.len() && (line.is_empty() || line == b"\r") {
            return Some((std::str::from_utf8(&bytes[..pos]).unwrap_or(""), end + 1));
        }
        pos = end + 1;
    }
    None
}

/// Refuses, before any buffer is made, data that cannot hold `expected` bytes of samples:
/// raw data shorter than that, or gzip data too short to inflate to it.
fn check_data_size(
    path: &Path,
    encoding: Encoding,
    available: usize,
    expected: usize,
) -> Result<(), ImageError> {
    let enough = match encoding {
        Encoding::Raw => available >= expected,
        Encoding::Gzip => available.saturating_mul(MAX_INFLATE_RATIO) >= expected,
        Encoding::Ascii => true,
    };
    if enough {
        Ok(())
    } else {
        Err(short(path, available, expected))
    }
}

/// Reads a detached data file, which must be a regular file no larger than its samples need
/// (with room for skipped header lines or bytes): a device such as `/dev/zero` or a named pipe
/// is refused unread.
fn read_detached(full: &Path, header: &Header, expected: usize) -> Result<Vec<u8>, ImageError> {
    let (mut file, length) = super::open_regular(full)?;
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    let skip = usize::try_from(header.byte_skip).unwrap_or(0);
    let most = match header.encoding {
        Encoding::Raw | Encoding::Gzip => (expected + expected / 64 + MAX_HEADER_BYTES).saturating_add(skip),
        Encoding::Ascii => expected.saturating_mul(32) + MAX_HEADER_BYTES,
    };
    if length > most {
        return Err(corrupt(
            full,
            format!("data file of {length} bytes, far more than the {expected} bytes of samples"),
        ));
    }
    let mut data = Vec::with_capacity(length);
    file.read_to_end(&mut data).map_err(|source| ImageError::Io { path: full.into(), source })?;
    Ok(data)
}

fn skip_lines(mut data: &[u8], lines: usize) -> &[u8] {
    for _ in 0..lines {
        match data.iter().position(|&b| b == b'\n') {
            Some(e) => data = &data[e + 1..],
            None => return &[],
        }
    }
    data
}

fn parse_header(path: &Path, text: &str) -> Result<Header, ImageError> {
    let mut fields = std::collections::HashMap::new();
    for line in text.lines().skip(1) {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.contains(":=") || line.trim().is_empty() {
            continue;
        }
        let (key, value) =
            line.split_once(": ").ok_or_else(|| bad(path, format!("line '{line}' is not 'field: value'")))?;
        if fields.insert(key.trim().to_ascii_lowercase(), value.trim().to_string()).is_some() {
            return Err(bad(path, format!("field '{key}' is repeated")));
        }
    }
    let field = |name: &str| fields.get(name).map(String::as_str);
    let need = |name: &str| field(name).ok_or_else(|| bad(path, format!("missing field '{name}'")));

    let type_name = need("type")?;
    let sample = SampleType::parse(type_name).ok_or_else(|| unsupported(path, "type", type_name))?;
    let dimension = need("dimension")?;
    if dimension != "3" {
        return Err(unsupported(path, "dimension", dimension));
    }
    let sizes: Vec<usize> = need("sizes")?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| bad(path, "field 'sizes' is not three whole numbers"))?;
    let size: [usize; 3] = sizes.try_into().map_err(|_| bad(path, "field 'sizes' needs three numbers"))?;
    if size.contains(&0) {
        return Err(bad(
            path,
            format!("field 'sizes' has an empty axis: {} {} {}", size[0], size[1], size[2]),
        ));
    }
    limits::voxels(size).map_err(|source| ImageError::Limit { path: path.into(), source })?;
    let encoding = match need("encoding")? {
        "raw" => Encoding::Raw,
        "gzip" | "gz" => Encoding::Gzip,
        "ascii" | "text" | "txt" => Encoding::Ascii,
        other => return Err(unsupported(path, "encoding", other)),
    };
    let big_endian = match field("endian") {
        Some("big") => true,
        Some("little") => false,
        None if sample.bytes() == 1 || encoding == Encoding::Ascii => false,
        None => return Err(bad(path, "missing field 'endian'")),
        Some(other) => return Err(bad(path, format!("field 'endian' is '{other}'"))),
    };
    let geometry = parse_geometry(path, &fields, size)?;
    let byte_skip = match field("byte skip") {
        Some(v) => v.parse().map_err(|_| bad(path, format!("field 'byte skip' is '{v}'")))?,
        None => 0,
    };
    if byte_skip < -1 || (byte_skip == -1 && encoding != Encoding::Raw) {
        return Err(unsupported(path, "byte skip", &byte_skip.to_string()));
    }
    let line_skip = match field("line skip") {
        Some(v) => v.parse().map_err(|_| bad(path, format!("field 'line skip' is '{v}'")))?,
        None => 0,
    };
    let data_file = match field("data file").or(field("datafile")) {
        Some(v) if v.starts_with("LIST") || v.contains('%') || v.split_whitespace().count() > 1 => {
            return Err(unsupported(path, "data file", v))
        }
        Some(v) => Some(PathBuf::from(v)),
        None => None,
    };
    Ok(Header { sample, big_endian, encoding, geometry, byte_skip, line_skip, data_file })
}

/// Spacing, origin and direction from `space`, `space directions`, `space origin` (or the old
/// `spacings` field, which gives an axis-aligned grid at the origin).
fn parse_geometry(
    path: &Path,
    fields: &std::collections::HashMap<String, String>,
    size: [usize; 3],
) -> Result<Geometry, ImageError> {
    let mut geometry = Geometry {
        size,
        origin_mm: [0.0; 3],
        spacing_mm: [1.0; 3],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };
    let Some(directions) = fields.get("space directions") else {
        if let Some(spacings) = fields.get("spacings") {
            let s = parse_numbers(spacings).filter(|s| s.len() == 3 && s.iter().all(|v| *v > 0.0));
            geometry.spacing_mm = s
                .ok_or_else(|| bad(path, format!("field 'spacings' is '{spacings}'")))?
                .try_into()
                .expect("length checked");
        }
        return Ok(geometry);
    };
    let flip = match fields.get("space").map(String::as_str) {
        Some("left-posterior-superior" | "LPS") | None => [1.0, 1.0, 1.0],
        Some("right-anterior-superior" | "RAS") => [-1.0, -1.0, 1.0],
        Some("left-anterior-superior" | "LAS") => [1.0, -1.0, 1.0],
        Some(other) => return Err(unsupported(path, "space", other)),
    };
    let vectors = parse_vectors(directions)
        .filter(|v| v.len() == 3)
        .ok_or_else(|| bad(path, format!("field 'space directions' is '{directions}'")))?;
    for (a, v) in vectors.iter().enumerate() {
        let norm = v.iter().map(|c| c * c).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return Err(bad(path, format!("space direction of axis {a} has length {norm}")));
        }
        geometry.spacing_mm[a] = norm;
        geometry.direction[a] = [0, 1, 2].map(|d| flip[d] * v[d] / norm);
    }
    if let Some(origin) = fields.get("space origin") {
        let o = parse_vectors(origin)
            .filter(|v| v.len() == 1)
            .ok_or_else(|| bad(path, format!("field 'space origin' is '{origin}'")))?;
        geometry.origin_mm = [0, 1, 2].map(|d| flip[d] * o[0][d]);
    }
    Ok(geometry)
}

fn parse_numbers(text: &str) -> Option<Vec<f64>> {
    text.split_whitespace().map(|t| t.parse().ok()).collect()
}

/// Parses `(a,b,c) (d,e,f) ...` into 3-vectors; `none` entries are not allowed for a 3-D image.
fn parse_vectors(text: &str) -> Option<Vec<[f64; 3]>> {
    text.split(')')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let inner = t.strip_prefix('(')?;
            let v: Vec<f64> = inner.split(',').map(|c| c.trim().parse().ok()).collect::<Option<_>>()?;
            v.try_into().ok()
        })
        .collect()
}

/// Parses whitespace-separated ASCII samples.
fn ascii_voxels(
    path: &Path,
    data: &[u8],
    sample: SampleType,
    count: usize,
    geometry: Geometry,
) -> Result<Image, ImageError> {
    let text = std::str::from_utf8(data).map_err(|_| corrupt(path, "ASCII data is not text"))?;
    let values: Vec<f64> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().map_err(|_| corrupt(path, format!("'{t}' is not a number"))))
        .collect::<Result<_, _>>()?;
    if values.len() < count {
        return Err(corrupt(path, format!("{} ASCII samples, header promises {count}", values.len())));
    }
    let mut voxels = zeroed(sample, count);
    voxels.assign_f64(&values[..count]);
    Ok(Image { geometry, voxels })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(extra: &str) -> String {
        format!(
            "NRRD0004\n# comment\ntype: short\ndimension: 3\nspace: right-anterior-superior\n\
             sizes: 2 1 1\nspace directions: (-0.5,0,0) (0,2,0) (0,0,3)\n\
             space origin: (10,20,30)\nendian: little\n{extra}\n"
        )
    }

    #[test]
    fn raw_ras_becomes_lps() {
        let mut bytes = header("encoding: raw\n").into_bytes();
        bytes.extend_from_slice(&(-5i16).to_le_bytes());
        bytes.extend_from_slice(&7i16.to_le_bytes());
        let img = parse(Path::new("t.nrrd"), &bytes).unwrap();
        assert_eq!(img.voxels, Voxels::I16(vec![-5, 7].into()));
        let g = img.geometry;
        assert_eq!(g.spacing_mm, [0.5, 2.0, 3.0]);
        assert_eq!(g.origin_mm, [-10.0, -20.0, 30.0]);
        assert_eq!(g.direction, [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]);
    }

    #[test]
    fn ascii_and_big_endian() {
        let bytes = format!("{}-5 7\n", header("encoding: ascii\n")).into_bytes();
        assert_eq!(parse(Path::new("t.nrrd"), &bytes).unwrap().voxels, Voxels::I16(vec![-5, 7].into()));
        let mut bytes = header("encoding: raw\n").replace("endian: little", "endian: big").into_bytes();
        bytes.extend_from_slice(&[0xff, 0xfb, 0x00, 0x07]);
        assert_eq!(parse(Path::new("t.nrrd"), &bytes).unwrap().voxels, Voxels::I16(vec![-5, 7].into()));
    }

    #[test]
    fn raw_copy_reads_back_identically() {
        let mut bytes = header("encoding: raw\n").into_bytes();
        bytes.extend_from_slice(&(-5i16).to_le_bytes());
        bytes.extend_from_slice(&7i16.to_le_bytes());
        let img = parse(Path::new("t.nrrd"), &bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("copy.nrrd");
        write_raw(&copy, &img).unwrap();
        assert_eq!(read(&copy).unwrap(), img);
    }

    /// Whether `image`, read from `path`, shares the file's pages: it does when overwriting its
    /// samples in the file (in place, no truncation) changes what the image holds.
    fn shares_the_files_pages(path: &Path, image: &Image, data_offset: u64) -> bool {
        use std::os::unix::fs::FileExt;
        let before = image.voxels.get(0);
        let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        file.write_all_at(&12345i16.to_le_bytes(), data_offset).unwrap();
        let changed = image.voxels.get(0) != before;
        file.write_all_at(&(before as i16).to_le_bytes(), data_offset).unwrap();
        changed
    }

    #[test]
    fn aligned_raw_samples_are_mapped_others_copied() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<i16> = vec![-1024, 3071];
        let mut want = None;
        for (name, comment, mapped) in [("even.nrrd", "#", true), ("odd.nrrd", "#x", false)] {
            let mut bytes = header("encoding: raw\n").replace("# comment", comment).into_bytes();
            assert_eq!(bytes.len() % 2, usize::from(!mapped), "{name}: header length sets the alignment");
            let data_offset = bytes.len() as u64;
            bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            let img = read(&path).unwrap();
            assert_eq!(img.voxels, Voxels::I16(values.clone().into()), "{name}");
            assert_eq!(*want.get_or_insert(img.geometry), img.geometry, "{name}");
            assert_eq!(shares_the_files_pages(&path, &img, data_offset), mapped, "{name}");
            drop(img);
            std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
            let err = read(&path).unwrap_err().to_string();
            assert!(err.contains("truncated or corrupt"), "{name}: {err}");
        }
    }

    #[test]
    fn written_raw_files_are_aligned_for_mapping() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = header("encoding: raw\n").into_bytes();
        bytes.extend_from_slice(&[1, 0, 2, 0]);
        let img = parse(Path::new("t.nrrd"), &bytes).unwrap();
        let copy = dir.path().join("copy.nrrd");
        write_raw(&copy, &img).unwrap();
        let written = std::fs::read(&copy).unwrap();
        let data_offset = written.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
        assert_eq!((data_offset % 8, written.len() - data_offset), (0, 4));
        let back = read(&copy).unwrap();
        assert_eq!(back, img);
        assert!(shares_the_files_pages(&copy, &back, data_offset as u64));
    }

    #[test]
    fn errors_name_the_problem() {
        let err = |text: String| parse(Path::new("t.nrrd"), text.as_bytes()).unwrap_err().to_string();
        assert!(err(header("encoding: bzip2\n")).contains("unsupported encoding 'bzip2'"));
        assert!(err(header("encoding: raw\n").replace("short", "block")).contains("unsupported type 'block'"));
        assert!(err(header("encoding: raw\n")).contains("truncated or corrupt"));
        assert!(err(format!("{}garbage", header("encoding: gzip\n"))).contains("does not inflate"));
        assert!(err(header("encoding: raw\n").replace("sizes: 2 1 1", "sizes: 2 1")).contains("sizes"));
        assert!(err("PNG\n".into()).contains("magic"));
        assert!(err(header("encoding: raw\n").replace("dimension: 3", "dimension: 4")).contains("dimension"));
    }

    #[test]
    fn detached_data_with_a_huge_byte_skip_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("d.raw"), [1u8, 0, 2, 0]).unwrap();
        let text = header("encoding: raw\ndata file: d.raw\nbyte skip: 9223372036854775807\n");
        let path = dir.path().join("h.nhdr");
        std::fs::write(&path, text).unwrap();
        let err = read(&path).unwrap_err();
        assert!(matches!(err, ImageError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn a_header_longer_than_the_first_read_is_read_whole() {
        let long = format!("# {}\nencoding: raw\n", "x".repeat(3 * HEADER_PROBE_BYTES));
        let mut bytes = header(&long).into_bytes();
        bytes.extend_from_slice(&[0xfb, 0xff, 7, 0]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.nrrd");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(&path).unwrap().voxels, Voxels::I16(vec![-5, 7].into()));
    }
}

//! A typed voxel buffer on a [`Geometry`], and the box-shaped regions cut from it.
//!
//! Buffers keep the file's own sample type: a 512×512×61 CT is 32 MB as `i16` and four times that
//! as `f64`, and the features only ever need the few thousand voxels around the mask, so values
//! are widened to `f64` only when a region is cut out ([`Image::crop_f64`]).

// `with_samples!` expands one body per sample type; for the `f64` arm the widening cast is a no-op.
#![allow(clippy::unnecessary_cast)]

use super::{Geometry, Samples};

/// Voxel samples in the type the file stores them in.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Voxels {
    U8(Samples<u8>),
    I8(Samples<i8>),
    U16(Samples<u16>),
    I16(Samples<i16>),
    U32(Samples<u32>),
    I32(Samples<i32>),
    U64(Samples<u64>),
    I64(Samples<i64>),
    F32(Samples<f32>),
    F64(Samples<f64>),
}

/// Runs `$body` with `$v` bound to the typed slice inside a [`Voxels`]; `$x as f64` inside the
/// body widens one sample. One expansion per sample type keeps the inner loops monomorphic.
macro_rules! with_samples {
    ($voxels:expr, $v:ident => $body:expr) => {
        match $voxels {
            Voxels::U8($v) => $body,
            Voxels::I8($v) => $body,
            Voxels::U16($v) => $body,
            Voxels::I16($v) => $body,
            Voxels::U32($v) => $body,
            Voxels::I32($v) => $body,
            Voxels::U64($v) => $body,
            Voxels::I64($v) => $body,
            Voxels::F32($v) => $body,
            Voxels::F64($v) => $body,
        }
    };
}

impl Voxels {
    /// Number of samples.
    pub fn len(&self) -> usize {
        with_samples!(self, v => v.len())
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index` widened to `f64` (exact for every type but 64-bit integers beyond 2⁵³).
    #[inline]
    pub fn get(&self, index: usize) -> f64 {
        with_samples!(self, v => v[index] as f64)
    }

    /// 1 where a sample is not 0 (NaN is not 0), else 0: the inside of a mask, whatever its
    /// sample type, in one typed pass.
    pub fn nonzero(&self) -> Vec<u8> {
        with_samples!(self, v => v.iter().map(|&x| u8::from(x as f64 != 0.0)).collect())
    }

    /// Overwrites the samples with `values` converted to the sample type (Rust `as` rules:
    /// truncation toward zero, saturation at the type's range).
    pub fn assign_f64(&mut self, values: &[f64]) {
        with_samples!(self, v => v.to_mut().iter_mut().zip(values).for_each(|(x, &f)| *x = Sample::from_f64(f)))
    }

    /// Name of the sample type as NRRD spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Voxels::U8(_) => "uint8",
            Voxels::I8(_) => "int8",
            Voxels::U16(_) => "uint16",
            Voxels::I16(_) => "int16",
            Voxels::U32(_) => "uint32",
            Voxels::I32(_) => "int32",
            Voxels::U64(_) => "uint64",
            Voxels::I64(_) => "int64",
            Voxels::F32(_) => "float",
            Voxels::F64(_) => "double",
        }
    }
}

/// A sample type that a label value can be converted to exactly (or not at all).
trait Sample: Copy + PartialEq {
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
}

macro_rules! sample {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
sample!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

/// [`Image::label_extent`] on one sample type: the label is converted to that type once, so the
/// scan compares samples directly. Most rows hold no region voxel: a branch-free test of each
/// row (which the compiler turns into vector compares) keeps the common case at memory speed;
/// only rows that hold the label are searched for their first and last hit.
fn typed_extent<T: Sample>(v: &[T], nx: usize, ny: usize, label: f64) -> Option<(BoundingBox, usize)> {
    let target = T::from_f64(label);
    if target.to_f64() != label {
        return None;
    }
    let mut min = [usize::MAX; 3];
    let mut max = [0usize; 3];
    let mut count = 0usize;
    for (row_index, row) in v.chunks_exact(nx).enumerate() {
        if !row.iter().fold(false, |hit, &x| hit | (x == target)) {
            continue;
        }
        let Some(first) = row.iter().position(|&x| x == target) else { continue };
        let last = row.iter().rposition(|&x| x == target).unwrap_or(first);
        count += row[first..=last].iter().filter(|&&x| x == target).count();
        let (j, k) = (row_index % ny, row_index / ny);
        min = [min[0].min(first), min[1].min(j), min[2].min(k)];
        max = [max[0].max(last), max[1].max(j), max[2].max(k)];
    }
    (count > 0).then_some((BoundingBox { min, max }, count))
}

/// `f` of every sample inside `bbox` of a volume of `size`, `i` fastest, row by row.
fn crop_map<T: Sample, R>(v: &[T], size: [usize; 3], bbox: &BoundingBox, f: impl Fn(T) -> R) -> Vec<R> {
    let [nx, ny, _] = size;
    let [sx, sy, sz] = bbox.size();
    let mut out = Vec::with_capacity(sx * sy * sz);
    for k in bbox.min[2]..=bbox.max[2] {
        for j in bbox.min[1]..=bbox.max[1] {
            let row = bbox.min[0] + nx * (j + ny * k);
            out.extend(v[row..row + sx].iter().map(|&x| f(x)));
        }
    }
    out
}

/// An axis-aligned box of voxel indices, inclusive at both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundingBox {
    /// Lowest `(i, j, k)` inside the box.
    pub min: [usize; 3],
    /// Highest `(i, j, k)` inside the box.
    pub max: [usize; 3],
}

impl BoundingBox {
    /// Voxels along each axis.
    pub fn size(&self) -> [usize; 3] {
        [0, 1, 2].map(|a| self.max[a] - self.min[a] + 1)
    }

    /// Grows the box by `pad` voxels on every side, clipped to a grid of `size`.
    pub fn padded(&self, pad: usize, size: [usize; 3]) -> BoundingBox {
        BoundingBox {
            min: [0, 1, 2].map(|a| self.min[a].saturating_sub(pad)),
            max: [0, 1, 2].map(|a| (self.max[a] + pad).min(size[a] - 1)),
        }
    }
}

/// A volume: samples on a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Where the samples lie.
    pub geometry: Geometry,
    /// The samples, `i` fastest.
    pub voxels: Voxels,
}

impl Image {
    /// Value at voxel `(i, j, k)`.
    #[inline]
    pub fn at(&self, i: usize, j: usize, k: usize) -> f64 {
        self.voxels.get(self.geometry.index(i, j, k))
    }

    /// The voxels inside `bbox` widened to `f64`, `i` fastest.
    pub fn crop_f64(&self, bbox: &BoundingBox) -> Vec<f64> {
        with_samples!(&self.voxels, v => crop_map(v, self.geometry.size, bbox, |x| x.to_f64()))
    }

    /// Which voxels inside `bbox` equal `label`, `i` fastest.
    pub fn crop_label(&self, bbox: &BoundingBox, label: f64) -> Vec<bool> {
        with_samples!(&self.voxels, v => crop_map(v, self.geometry.size, bbox, |x| x.to_f64() == label))
    }

    /// Bounding box and voxel count of the voxels equal to `label`; `None` when there are none.
    pub fn label_extent(&self, label: f64) -> Option<(BoundingBox, usize)> {
        let [nx, ny, _] = self.geometry.size;
        with_samples!(&self.voxels, v => typed_extent(v, nx, ny, label))
    }

    /// The distinct non-zero values present, ascending (the labels of a label map).
    pub fn labels(&self) -> Vec<f64> {
        let mut seen: Vec<f64> = Vec::new();
        with_samples!(&self.voxels, v => {
            let mut last = None;
            for &x in v.iter() {
                let x = x as f64;
                if x != 0.0 && last != Some(x) && !seen.contains(&x) {
                    seen.push(x);
                }
                last = Some(x);
            }
        });
        seen.sort_by(f64::total_cmp);
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sample type: 0 (and −0.0) is outside, anything else (NaN, negatives) inside.
    #[test]
    fn nonzero_marks_every_sample_that_is_not_zero() {
        assert_eq!(Voxels::U8(vec![0, 1, 255].into()).nonzero(), vec![0, 1, 1]);
        assert_eq!(Voxels::I16(vec![0, -3, 7].into()).nonzero(), vec![0, 1, 1]);
        assert_eq!(Voxels::U64(vec![u64::MAX, 0].into()).nonzero(), vec![1, 0]);
        assert_eq!(Voxels::F32(vec![-0.0, f32::NAN, 1e-30].into()).nonzero(), vec![0, 1, 1]);
        assert_eq!(Voxels::F64(vec![0.0, f64::NEG_INFINITY].into()).nonzero(), vec![0, 1]);
    }

    fn image() -> Image {
        let geometry = Geometry {
            size: [4, 3, 2],
            origin_mm: [0.0; 3],
            spacing_mm: [1.0; 3],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        };
        let mut labels = vec![0i16; 24];
        labels[geometry.index(1, 1, 0)] = 2;
        labels[geometry.index(2, 2, 1)] = 2;
        labels[geometry.index(3, 0, 1)] = 5;
        Image { geometry, voxels: Voxels::I16(labels.into()) }
    }

    #[test]
    fn extent_and_crop_of_a_label() {
        let img = image();
        let (bbox, count) = img.label_extent(2.0).unwrap();
        assert_eq!((bbox.min, bbox.max, count), ([1, 1, 0], [2, 2, 1], 2));
        let mask = img.crop_label(&bbox, 2.0);
        assert_eq!(mask.iter().filter(|&&m| m).count(), 2);
        assert!(mask[0] && mask[7]);
        assert_eq!(img.labels(), vec![2.0, 5.0]);
        assert!(img.label_extent(7.0).is_none());
        assert_eq!(bbox.padded(5, img.geometry.size), BoundingBox { min: [0; 3], max: [3, 2, 1] });
    }
}

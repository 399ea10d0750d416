//! Where a volume's samples live: in a vector the program owns, or in a read-only memory map,
//! either of the file they were read from or of a buffer a reader decoded them into.
//!
//! A raw little-endian NRRD already holds its samples in the layout [`Voxels`](super::Voxels)
//! wants. Copying 32 MB of a CT into fresh memory costs more than computing all 851 features of
//! its tumour (the kernel zeroes every new page, then copies the page cache into it), and the
//! features only read the mask once and the image around the region. A map shares the page
//! cache instead: nothing is copied, and pages nobody reads are never touched.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use bytemuck::Pod;

/// Samples of one type, `i` fastest; dereferences to a slice.
#[derive(Clone)]
pub struct Samples<T> {
    /// The samples when they are not mapped.
    owned: Vec<T>,
    /// The map and the byte range in it that hold the samples, in the host's byte order and
    /// aligned for `T` (checked when made); when set, `owned` is empty.
    mapped: Option<(Arc<memmap2::Mmap>, Range<usize>)>,
}

impl<T: Pod> Samples<T> {
    /// The samples in `bytes` of a map, or `None` when that range is not aligned for `T` or not
    /// a whole number of samples (the caller then copies instead).
    pub(crate) fn mapped(map: Arc<memmap2::Mmap>, bytes: Range<usize>) -> Option<Self> {
        bytemuck::try_cast_slice::<u8, T>(map.get(bytes.clone())?).ok()?;
        Some(Samples { owned: Vec::new(), mapped: Some((map, bytes)) })
    }

    /// The samples as a mutable vector, copying them out of a map first.
    pub fn to_mut(&mut self) -> &mut Vec<T> {
        if let Some((map, bytes)) = self.mapped.take() {
            self.owned = bytemuck::cast_slice(&map[bytes]).to_vec();
        }
        &mut self.owned
    }

    /// True when the samples are read from a file map rather than owned.
    pub fn is_mapped(&self) -> bool {
        self.mapped.is_some()
    }
}

impl<T: Pod> Deref for Samples<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        match &self.mapped {
            Some((map, bytes)) => bytemuck::cast_slice(&map[bytes.clone()]),
            None => &self.owned,
        }
    }
}

impl<T> From<Vec<T>> for Samples<T> {
    fn from(v: Vec<T>) -> Self {
        Samples { owned: v, mapped: None }
    }
}

impl<T> FromIterator<T> for Samples<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Vec::from_iter(iter).into()
    }
}

impl<T: Pod + PartialEq> PartialEq for Samples<T> {
    fn eq(&self, other: &Self) -> bool {
        self.deref() == other.deref()
    }
}

impl<T: Pod> fmt::Debug for Samples<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_mapped() { "mapped" } else { "owned" };
        write!(f, "{} {} samples", self.len(), kind)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn map_of(bytes: &[u8]) -> Arc<memmap2::Mmap> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        // SAFETY: the temporary file is private to this test and not changed while mapped.
        Arc::new(unsafe { memmap2::Mmap::map(&file) }.unwrap())
    }

    #[test]
    fn mapped_samples_read_like_owned_and_copy_on_write() {
        let values: Vec<i16> = vec![-1000, 0, 7, 3071];
        let mut bytes = vec![0u8; 2];
        bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        let mut mapped = Samples::<i16>::mapped(map_of(&bytes), 2..bytes.len()).unwrap();
        assert!(mapped.is_mapped());
        assert_eq!(&*mapped, values.as_slice());
        assert_eq!(mapped, Samples::from(values.clone()));
        mapped.to_mut()[1] = 5;
        assert!(!mapped.is_mapped());
        assert_eq!(mapped[1], 5);
    }

    #[test]
    fn misaligned_or_partial_ranges_are_refused() {
        let map = map_of(&[0u8; 16]);
        assert!(Samples::<i16>::mapped(Arc::clone(&map), 1..9).is_none());
        assert!(Samples::<i32>::mapped(Arc::clone(&map), 0..6).is_none());
        assert!(Samples::<i32>::mapped(map, 0..20).is_none());
    }
}

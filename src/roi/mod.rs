//! Regions of interest on the CT grid: the tumor mask, its peritumoral ring and the deep patch.
//!
//! - [`source`]: which segmentation and region a mask comes from (selector, source used, the
//!   region bookkeeping SEG and RTSTRUCT share); the study stage ([`crate::study`]) chooses it;
//! - [`seg`]: DICOM SEG (binary and fractional) → mask;
//! - [`rtstruct`]: RTSTRUCT closed planar contours → mask (documented rasterisation rule);
//! - [`labelmap`]: NRRD / NIfTI label maps that share the CT grid (research input);
//! - [`ring`]: the 3 mm peritumoral ring by an exact Euclidean distance transform in millimetres;
//! - [`patch`]: the 160 × 160 HU patch of the largest tumor slice for the deep model;
//! - [`RoiError`], [`StudyError`]: why a region could not be made.
//!
//! Every mask is an [`Image`](crate::image::Image) with `Voxels::U8` (1 inside, 0 outside) on the
//! CT's own geometry.

mod error;
mod grid;
pub mod labelmap;
pub mod patch;
mod reference;
pub mod ring;
pub mod rtstruct;
pub mod seg;
pub mod source;

pub use error::{RoiError, StudyError};
pub use labelmap::labelmap_mask;
pub use patch::{deep_patch, Patch, PATCH_SIDE};
pub use ring::{peritumoral_ring, peritumoral_ring_on, DEFAULT_RING_RADIUS_MM};
pub use rtstruct::rtstruct_mask;
pub use seg::seg_mask;
pub use source::{MaskKind, MaskSelector, MaskSource, RegionRef};

//! RT Structure Set (RTSTRUCT) → tumor mask on the CT grid (PS3.3 A.19, C.8.8.5–C.8.8.6).
//!
//! One ROI is drawn: the ROIContourSequence item whose ReferencedROINumber is its ROINumber. Its
//! contours must be CLOSED_PLANAR polygons in patient coordinates (LPS mm). Each contour is mapped
//! to continuous voxel indices; all its points must lie in one slice `k` (within
//! [`CONTOUR_SLICE_TOLERANCE`] of a slice step), and a slice it references through
//! ContourImageSequence must be that same slice. A referenced image the series does not hold is
//! accepted when the structure set names the CT series (a re-exported series): the contour is
//! then placed by its plane alone.
//!
//! Rasterisation rule, per slice, over all contours of the ROI on that slice together:
//!
//! ```text
//! voxel (i, j) is inside  ⇔  the ray from its centre towards +i crosses the contours' edges an
//!                            odd number of times (even-odd rule: a contour inside another is a hole)
//! an edge (a, b) is crossed by row j when (a_j > j) ≠ (b_j > j), at i = a_i + (j − a_j)(b_i − a_i)/(b_j − a_j),
//! and counts when that crossing lies strictly beyond the centre (> i)
//! ```
//!
//! So a centre exactly on a left edge is inside and one on a right edge outside (likewise a centre
//! on a top edge is inside, one on a bottom edge outside): the half-open convention of scan-line
//! fill, which gives a voxel on the shared edge of two adjacent contours to exactly one of them.
//!
//! Before anything is drawn the ROI must be in the CT's Frame of Reference and the structure set
//! must reference the CT series (RTReferencedSeriesSequence) or one of its slices. A contour point
//! beyond the image (more than [`EDGE_TOLERANCE`] voxel outside the outermost voxel centres) refuses
//! the ROI: clipping it would silently cut the tumor, and PyRadiomics refuses a mask that leaves
//! its image. Points per contour and per ROI are bounded by the [limits](crate::limits).

use std::{collections::HashMap, path::Path};

use dicom_dictionary_std::tags;

use super::{
    grid, reference,
    source::{pick_region, MaskHeader, Region, RegionRef},
    MaskSource, RoiError,
};
use crate::{
    image::Image,
    ingest::{
        attr::{self, Object},
        Volume,
    },
    limits::{self, MAX_CONTOUR_POINTS, MAX_ROI_CONTOUR_POINTS},
};

/// Largest distance of a contour point from the slice its contour lies in, in slice steps.
pub const CONTOUR_SLICE_TOLERANCE: f64 = 0.05;

/// How far a contour point may lie beyond the outermost voxel centres, in voxels: half a voxel
/// (the image's edge) and a little for the rounding of the decimal strings.
pub const EDGE_TOLERANCE: f64 = 0.5 + 1e-3;

/// The only contour type that encloses an area.
const CLOSED_PLANAR: &str = "CLOSED_PLANAR";

/// Describes an RTSTRUCT from its header: referenced series and instances, ROIs.
pub(crate) fn describe(header: &Object) -> MaskHeader {
    let series_items: Vec<&Object> = attr::items(header, tags::REFERENCED_FRAME_OF_REFERENCE_SEQUENCE)
        .iter()
        .flat_map(|f| attr::items(f, tags::RT_REFERENCED_STUDY_SEQUENCE))
        .flat_map(|s| attr::items(s, tags::RT_REFERENCED_SERIES_SEQUENCE))
        .collect();
    let contour_images = attr::items(header, tags::ROI_CONTOUR_SEQUENCE)
        .iter()
        .flat_map(|r| attr::items(r, tags::CONTOUR_SEQUENCE))
        .flat_map(|c| attr::items(c, tags::CONTOUR_IMAGE_SEQUENCE));
    MaskHeader {
        referenced_series: series_items
            .iter()
            .filter_map(|s| attr::string(s, tags::SERIES_INSTANCE_UID))
            .collect(),
        referenced_instances: series_items
            .iter()
            .flat_map(|s| attr::items(s, tags::CONTOUR_IMAGE_SEQUENCE))
            .chain(contour_images)
            .filter_map(|i| attr::string(i, tags::REFERENCED_SOP_INSTANCE_UID))
            .collect(),
        regions: Region::listed(header, tags::STRUCTURE_SET_ROI_SEQUENCE, tags::ROI_NUMBER, tags::ROI_NAME),
    }
}

/// Rasterises the ROI `region` (or the only one) of the RTSTRUCT at `path` on the grid of `volume`.
pub fn rtstruct_mask(
    path: &Path,
    volume: &Volume,
    region: Option<&RegionRef>,
) -> Result<(Image, MaskSource), RoiError> {
    let obj = reference::open(path)?;
    let missing = |attribute| RoiError::MissingAttribute { path: path.to_path_buf(), attribute };
    let described = describe(&obj);
    let chosen = pick_region("the structure set", &described.regions, region)?;
    let roi_item = attr::items(&obj, tags::STRUCTURE_SET_ROI_SEQUENCE)
        .iter()
        .find(|r| attr::uint(r, tags::ROI_NUMBER) == Some(chosen.number))
        .expect("pick_region returns a region listed in StructureSetROISequence");
    let frame_of_reference = attr::string(roi_item, tags::REFERENCED_FRAME_OF_REFERENCE_UID)
        .ok_or_else(|| missing("ReferencedFrameOfReferenceUID"))?;
    let (slice_of, names_series) =
        reference::check_references(path, &frame_of_reference, &described, volume)?;

    let geometry = volume.image.geometry;
    let contours = attr::items(&obj, tags::ROI_CONTOUR_SEQUENCE)
        .iter()
        .find(|r| attr::uint(r, tags::REFERENCED_ROI_NUMBER) == Some(chosen.number))
        .map(|r| attr::items(r, tags::CONTOUR_SEQUENCE))
        .unwrap_or(&[]);
    let limit = |source| RoiError::Limit { path: path.to_path_buf(), source };
    let mut polygons_by_slice: HashMap<usize, Vec<Vec<[f64; 2]>>> = HashMap::new();
    let mut total_points = 0usize;
    for (n, contour) in contours.iter().enumerate() {
        let off_grid =
            |reason: String| RoiError::ContourOffGrid { path: path.to_path_buf(), contour: n + 1, reason };
        let kind = attr::string(contour, tags::CONTOUR_GEOMETRIC_TYPE)
            .ok_or_else(|| missing("ContourGeometricType"))?;
        if kind != CLOSED_PLANAR {
            return Err(RoiError::Unsupported {
                path: path.to_path_buf(),
                what: "ContourGeometricType",
                value: format!("{kind} (contour {})", n + 1),
            });
        }
        let data = attr::floats(contour, tags::CONTOUR_DATA)
            .filter(|d| d.len() >= 9 && d.len() % 3 == 0)
            .ok_or_else(|| missing("ContourData"))?;
        limits::check("contour points", (data.len() / 3) as u64, MAX_CONTOUR_POINTS as u64).map_err(limit)?;
        total_points += data.len() / 3;
        limits::check("roi contour points", total_points as u64, MAX_ROI_CONTOUR_POINTS as u64)
            .map_err(limit)?;
        let points: Vec<[f64; 3]> =
            data.chunks_exact(3).map(|p| grid::continuous_index(&geometry, [p[0], p[1], p[2]])).collect();
        let beyond = |p: &[f64; 3]| {
            (0..2)
                .any(|a| !(p[a] >= -EDGE_TOLERANCE && p[a] <= geometry.size[a] as f64 - 1.0 + EDGE_TOLERANCE))
        };
        let z_mm = data.chunks_exact(3).map(|p| p[2]).sum::<f64>() / points.len() as f64;
        if let Some((at, _)) = points.iter().enumerate().find(|(_, p)| beyond(p)) {
            let p = &data[3 * at..3 * at + 3];
            return Err(RoiError::ContourBeyondImage {
                path: path.to_path_buf(),
                contour: n + 1,
                reason: format!(
                    "point ({:.1}, {:.1}, {:.1}) mm lies outside the image, which covers {}",
                    p[0],
                    p[1],
                    p[2],
                    grid::in_plane_extent(&geometry)
                ),
            });
        }
        let mean_k = points.iter().map(|p| p[2]).sum::<f64>() / points.len() as f64;
        let k = mean_k.round();
        if k < 0.0 || k >= geometry.size[2] as f64 {
            return Err(off_grid(grid::outside_scan("contour", z_mm, &geometry)));
        }
        if let Some(p) = points.iter().find(|p| (p[2] - k).abs() > CONTOUR_SLICE_TOLERANCE) {
            return Err(off_grid(format!(
                "its point at z = {:.2} mm is not in the CT slice plane at z = {:.2} mm (slices {} mm apart)",
                grid::slice_z_mm(&geometry, p[2]),
                grid::slice_z_mm(&geometry, k),
                geometry.spacing_mm[2]
            )));
        }
        let k = k as usize;
        for image in attr::items(contour, tags::CONTOUR_IMAGE_SEQUENCE) {
            let Some(uid) = attr::string(image, tags::REFERENCED_SOP_INSTANCE_UID) else { continue };
            match slice_of.get(uid.as_str()) {
                Some(&referenced) if referenced != k => {
                    return Err(off_grid(format!(
                        "it lies at z = {z_mm:.1} mm but refers to the CT image at z = {:.1} mm",
                        grid::slice_z_mm(&geometry, referenced as f64)
                    )))
                }
                Some(_) => {}
                None if names_series => {}
                None => {
                    return Err(RoiError::UnknownInstance {
                        path: path.to_path_buf(),
                        part: format!("contour {}", n + 1),
                        z_mm: Some(z_mm),
                        series: volume.series_name.clone(),
                    })
                }
            }
        }
        polygons_by_slice.entry(k).or_default().push(points.iter().map(|p| [p[0], p[1]]).collect());
    }

    let [nx, ny, _] = geometry.size;
    let mut mask = vec![0u8; geometry.voxel_count()];
    for (k, polygons) in &polygons_by_slice {
        let slice = &mut mask[k * nx * ny..(k + 1) * nx * ny];
        fill_even_odd(polygons, nx, ny, slice);
    }
    let source = MaskSource::Rtstruct {
        path: path.to_path_buf(),
        sop_instance_uid: attr::string(&obj, tags::SOP_INSTANCE_UID).unwrap_or_default(),
        roi_number: chosen.number,
        roi_name: chosen.name,
    };
    Ok((grid::mask_image(geometry, mask), source))
}

/// Sets to 1 the voxels of an `nx × ny` slice (`i` fastest) whose centres lie inside `polygons`
/// (vertices as continuous `(i, j)` indices) by the even-odd rule of the module docs.
fn fill_even_odd(polygons: &[Vec<[f64; 2]>], nx: usize, ny: usize, slice: &mut [u8]) {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in polygons.iter().flatten() {
        low = low.min(p[1]);
        high = high.max(p[1]);
    }
    let first_row = low.ceil().max(0.0) as usize;
    let last_row = (high.floor().min(ny as f64 - 1.0)).max(-1.0);
    if last_row < 0.0 {
        return;
    }
    let mut crossings = Vec::new();
    for j in first_row..=last_row as usize {
        let y = j as f64;
        crossings.clear();
        for polygon in polygons {
            for (e, a) in polygon.iter().enumerate() {
                let b = polygon[(e + 1) % polygon.len()];
                if (a[1] > y) != (b[1] > y) {
                    crossings.push(a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
                }
            }
        }
        crossings.sort_by(f64::total_cmp);
        // i is inside when an odd number of crossings lie beyond it, i.e. x₂ₘ ≤ i < x₂ₘ₊₁.
        for pair in crossings.chunks_exact(2) {
            let start = pair[0].ceil().max(0.0);
            let end = pair[1].ceil().min(nx as f64);
            if start < end {
                slice[j * nx + start as usize..j * nx + end as usize].fill(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(polygons: &[Vec<[f64; 2]>], nx: usize, ny: usize) -> Vec<u8> {
        let mut slice = vec![0u8; nx * ny];
        fill_even_odd(polygons, nx, ny, &mut slice);
        slice
    }

    #[test]
    fn square_with_a_hole_by_even_odd() {
        let outer = vec![[0.5, 0.5], [6.5, 0.5], [6.5, 6.5], [0.5, 6.5]];
        let hole = vec![[2.5, 2.5], [4.5, 2.5], [4.5, 4.5], [2.5, 4.5]];
        let slice = filled(&[outer, hole], 8, 8);
        let inside = |i: usize, j: usize| slice[j * 8 + i] == 1;
        assert_eq!(slice.iter().filter(|&&v| v == 1).count(), 36 - 4);
        assert!(inside(1, 1) && inside(6, 6) && !inside(3, 3) && !inside(0, 0) && !inside(7, 7));
    }

    #[test]
    fn centres_on_edges_follow_the_half_open_rule() {
        // Square with corners on voxel centres: left and top edges in, right and bottom edges out.
        let square = vec![[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0]];
        let slice = filled(&[square], 5, 5);
        let set: Vec<(usize, usize)> = (0..25).filter(|&p| slice[p] == 1).map(|p| (p % 5, p / 5)).collect();
        assert_eq!(set, vec![(1, 1), (2, 1), (1, 2), (2, 2)]);
    }

    #[test]
    fn polygons_beyond_the_slice_are_clipped() {
        let big = vec![[-3.0, -3.0], [10.0, -3.0], [10.0, 10.0], [-3.0, 10.0]];
        assert!(filled(&[big], 4, 3).iter().all(|&v| v == 1));
        let away = vec![[20.0, 20.0], [22.0, 20.0], [22.0, 22.0]];
        assert!(filled(&[away], 4, 3).iter().all(|&v| v == 0));
    }
}

//! Neighbour offsets ("angles") of the texture matrices, generated exactly as PyRadiomics 3.x
//! `cMatrices.generate_angles` (`build_angles` and `get_angle_count` in `cmatrices.c`), in the
//! same order, so that per-angle matrices line up with PyRadiomics' angle axis.
//!
//! PyRadiomics enumerates offsets in NumPy axis order `(z, y, x)` = our `(k, j, i)`, each
//! component running from `+d_max` down to `−d_max`, `z` slowest. An offset is kept when
//!
//! ```text
//! ‖o‖∞ ∈ distances,   |o_a| < size_a for every axis a,   o_a = 0 on the force-2D axis
//! ```
//!
//! Mono-directional sets (GLCM, GLRLM) are the first half of the kept offsets, which starts at
//! `(1, 1, 1)` and never holds both `o` and `−o`; bi-directional sets (GLSZM, GLDM, NGTDM) are
//! all of them, the second half mirroring the first. For distance 1 in 3D this gives the 13
//! (26) directions of IBSI's 26-connected neighbourhood; in 2D, 4 (8).
//!
//! PyRadiomics sizes the offsets by the image it was given (the mask's bounding box padded by
//! `padDistance`); callers here pass the box they compute on. A box cut tighter only drops
//! offsets that could never join two voxels of the region, i.e. matrices PyRadiomics finds empty
//! and deletes, so features do not change.

use crate::radiomics::texture::WeightingNorm;

/// A displacement between a voxel and its neighbour, in voxels along `(i, j, k)`.
pub type Offset = [isize; 3];

/// Whether a neighbour set holds one or both directions of each angle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directions {
    /// One of `o` and `−o` (GLCM, GLRLM).
    One,
    /// Both `o` and `−o` (GLSZM, GLDM, NGTDM).
    Both,
}

/// Why no neighbour offsets could be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AngleError {
    /// The list of neighbour distances is empty.
    #[error("no neighbour distances given")]
    NoDistances,
    /// A neighbour distance is 0 voxels (PyRadiomics: "Error getting angle count").
    #[error("neighbour distance {distance} is below 1 voxel")]
    ZeroDistance {
        /// The distance given, in voxels.
        distance: usize,
    },
    /// The force-2D axis is not one of the three image axes.
    #[error("force-2d axis {axis} is not 0, 1 or 2")]
    BadAxis {
        /// The axis given.
        axis: usize,
    },
}

impl crate::error_code::ErrorCode for AngleError {
    fn code(&self) -> &'static str {
        match self {
            AngleError::NoDistances => "no_neighbour_distances",
            AngleError::ZeroDistance { .. } => "zero_neighbour_distance",
            AngleError::BadAxis { .. } => "bad_force2d_axis",
        }
    }
}

/// The neighbour offsets for a box of `size` voxels along `(i, j, k)`, in PyRadiomics' order.
///
/// `distances` are infinity-norm distances in voxels; `force_2d_axis` (our axis numbering) keeps
/// offsets inside slices normal to that axis. A box too small for any offset yields an empty list
/// (PyRadiomics, seeing a padded box, would find all matrices empty instead).
pub fn neighbour_offsets(
    size: [usize; 3],
    distances: &[usize],
    directions: Directions,
    force_2d_axis: Option<usize>,
) -> Result<Vec<Offset>, AngleError> {
    if distances.is_empty() {
        return Err(AngleError::NoDistances);
    }
    if let Some(&distance) = distances.iter().find(|&&d| d < 1) {
        return Err(AngleError::ZeroDistance { distance });
    }
    if let Some(axis) = force_2d_axis.filter(|&a| a > 2) {
        return Err(AngleError::BadAxis { axis });
    }
    // PyRadiomics works on (z, y, x): its axis p is our axis 2 - p.
    let size_zyx = [size[2], size[1], size[0]];
    let flat_zyx = force_2d_axis.map(|a| 2 - a);
    let in_plane = |p: usize| flat_zyx != Some(p);

    // get_angle_count: offsets with infinity norm exactly d are those within min(d, size - 1)
    // on every in-plane axis minus those within min(d - 1, size - 1). Duplicated distances count
    // twice, as in PyRadiomics.
    let reach = |d: usize, p: usize| if in_plane(p) { d.min(size_zyx[p] - 1) } else { 0 };
    let total: usize = distances
        .iter()
        .map(|&d| {
            let outer: usize = (0..3).map(|p| 2 * reach(d, p) + 1).product();
            let inner: usize = (0..3).map(|p| 2 * reach(d - 1, p) + 1).product();
            outer - inner
        })
        .sum();
    let wanted = match directions {
        Directions::One => total / 2,
        Directions::Both => total,
    };

    // build_angles: walk the offset grid cyclically, keeping valid offsets until `wanted` are
    // found. The walk is symmetric about (0, 0, 0), so its first half is one direction of each.
    let d_max = *distances.iter().max().expect("distances is not empty") as isize;
    let n = 2 * d_max + 1;
    let mut offsets = Vec::with_capacity(wanted);
    let mut step: isize = 0;
    while offsets.len() < wanted {
        let zyx = [d_max - (step / (n * n)) % n, d_max - (step / n) % n, d_max - step % n];
        step += 1;
        let valid = (0..3).all(|p| {
            let o = zyx[p];
            (in_plane(p) || o == 0) && o.unsigned_abs() < size_zyx[p]
        });
        let norm = zyx.iter().map(|o| o.unsigned_abs()).max().unwrap_or(0);
        if valid && norm >= 1 && distances.contains(&norm) {
            offsets.push([zyx[2], zyx[1], zyx[0]]);
        }
    }
    Ok(offsets)
}

/// Length of `offset` in millimetres under `norm`, the distance PyRadiomics' `weightingNorm`
/// uses; `None` for [`WeightingNorm::NoWeighting`] (weight 1).
///
/// ```text
/// infinity:  max_a |o_a|·s_a     manhattan: Σ_a |o_a|·s_a     euclidean: √(Σ_a (|o_a|·s_a)²)
/// ```
/// `s_a` is the voxel spacing along axis `a` in millimetres.
pub fn offset_length_mm(offset: Offset, spacing_mm: [f64; 3], norm: WeightingNorm) -> Option<f64> {
    let parts = [0, 1, 2].map(|a| offset[a].unsigned_abs() as f64 * spacing_mm[a]);
    match norm {
        WeightingNorm::Infinity => Some(parts.iter().copied().fold(0.0, f64::max)),
        WeightingNorm::Manhattan => Some(parts.iter().sum()),
        WeightingNorm::Euclidean => Some(parts.iter().map(|p| p * p).sum::<f64>().sqrt()),
        WeightingNorm::NoWeighting => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PyRadiomics' order for distance 1, as `(z, y, x)` triples (the table in the comment of
    /// `build_angles`, cmatrices.c, read from +1 down), converted to our `(i, j, k)`.
    fn pyradiomics_13() -> Vec<Offset> {
        let zyx: [[isize; 3]; 13] = [
            [1, 1, 1],
            [1, 1, 0],
            [1, 1, -1],
            [1, 0, 1],
            [1, 0, 0],
            [1, 0, -1],
            [1, -1, 1],
            [1, -1, 0],
            [1, -1, -1],
            [0, 1, 1],
            [0, 1, 0],
            [0, 1, -1],
            [0, 0, 1],
        ];
        zyx.iter().map(|o| [o[2], o[1], o[0]]).collect()
    }

    #[test]
    fn distance_one_in_3d_gives_the_13_pyradiomics_angles_in_order() {
        let got = neighbour_offsets([20, 20, 20], &[1], Directions::One, None).unwrap();
        assert_eq!(got, pyradiomics_13());
    }

    #[test]
    fn both_directions_append_the_mirrored_angles() {
        let got = neighbour_offsets([20, 20, 20], &[1], Directions::Both, None).unwrap();
        assert_eq!(got.len(), 26);
        let mut mirrored: Vec<Offset> = pyradiomics_13().iter().map(|o| o.map(|c| -c)).collect();
        mirrored.reverse();
        assert_eq!(&got[..13], &pyradiomics_13()[..]);
        assert_eq!(&got[13..], &mirrored[..]);
    }

    #[test]
    fn bidirectional_counts_match_generate_angles() {
        // cMatrices.generate_angles(size, distances, True, force2D, 0) gives 124 offsets for
        // [1, 2], 8 with force2D, 8 in a box one voxel thick along z, and for the repeated
        // distances [1, 1] all 26 twice over (52, the second round starting at (1, 1, 1) again).
        let both = |size, distances: &[usize], axis| {
            neighbour_offsets(size, distances, Directions::Both, axis).unwrap()
        };
        assert_eq!(both([5, 5, 5], &[1, 2], None).len(), 124);
        assert_eq!(both([5, 5, 5], &[1], Some(2)).len(), 8);
        assert_eq!(both([5, 5, 1], &[1], None).len(), 8);
        let twice = both([5, 5, 5], &[1, 1], None);
        assert_eq!((twice.len(), &twice[..26]), (52, &twice[26..]));
    }

    #[test]
    fn force_2d_keeps_the_in_plane_angles() {
        // PyRadiomics force2Ddimension 0 (z) is our axis 2: (0,1,1), (0,1,0), (0,1,-1), (0,0,1)
        // in (z, y, x).
        let got = neighbour_offsets([20, 20, 20], &[1], Directions::One, Some(2)).unwrap();
        assert_eq!(got, vec![[1, 1, 0], [0, 1, 0], [-1, 1, 0], [1, 0, 0]]);
    }

    #[test]
    fn distance_two_adds_the_shell_of_the_5x5x5_cube() {
        // (5³ − 3³)/2 = 49 angles at distance 2, 13 at distance 1 (PyRadiomics docs: δ = 2
        // gives 98-connectivity, 49 unique angles).
        let got = neighbour_offsets([20, 20, 20], &[2], Directions::One, None).unwrap();
        assert_eq!(got.len(), 49);
        assert_eq!(got[0], [2, 2, 2]);
        let both = neighbour_offsets([20, 20, 20], &[1, 2], Directions::One, None).unwrap();
        assert_eq!(both.len(), 62);
        assert!(both.iter().all(|o| o.iter().map(|c| c.abs()).max().unwrap() >= 1));
    }

    #[test]
    fn a_repeated_distance_repeats_the_count_like_pyradiomics() {
        // generate_angles(size, [1, 1], False, ...) returns all 26 directions: the count is
        // doubled and the walk continues past (0, 0, 0).
        let got = neighbour_offsets([5, 5, 5], &[1, 1], Directions::One, None).unwrap();
        assert_eq!(got, neighbour_offsets([5, 5, 5], &[1], Directions::Both, None).unwrap());
    }

    #[test]
    fn a_flat_box_drops_the_angles_leaving_its_plane() {
        let got = neighbour_offsets([5, 5, 1], &[1], Directions::One, None).unwrap();
        assert_eq!(got, neighbour_offsets([5, 5, 5], &[1], Directions::One, Some(2)).unwrap());
        assert!(neighbour_offsets([1, 1, 1], &[1], Directions::One, None).unwrap().is_empty());
    }

    #[test]
    fn bad_distances_and_axes_are_errors() {
        let size = [5, 5, 5];
        assert_eq!(neighbour_offsets(size, &[], Directions::One, None), Err(AngleError::NoDistances));
        let zero = neighbour_offsets(size, &[1, 0], Directions::One, None).unwrap_err();
        assert_eq!(zero, AngleError::ZeroDistance { distance: 0 });
        assert_eq!(zero.to_string(), "neighbour distance 0 is below 1 voxel");
        let axis = neighbour_offsets(size, &[1], Directions::One, Some(3)).unwrap_err();
        assert_eq!(axis.to_string(), "force-2d axis 3 is not 0, 1 or 2");
    }

    #[test]
    fn weighting_lengths_follow_the_three_norms() {
        let spacing = [0.5, 0.5, 2.0];
        let o = [1, -1, 1];
        assert_eq!(offset_length_mm(o, spacing, WeightingNorm::Infinity), Some(2.0));
        assert_eq!(offset_length_mm(o, spacing, WeightingNorm::Manhattan), Some(3.0));
        assert_eq!(offset_length_mm(o, spacing, WeightingNorm::Euclidean), Some(4.5f64.sqrt()));
        assert_eq!(offset_length_mm(o, spacing, WeightingNorm::NoWeighting), None);
    }
}

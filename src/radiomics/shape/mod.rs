//! 3D shape features, exactly as PyRadiomics 3.x `RadiomicsShape` (`radiomics/shape.py` with its C
//! helper `cshape.c`): the 14 default-enabled features of the IBSI "morphology" family and
//! PyRadiomics' three 2D diameters.
//!
//! Layout: [`mesh`] builds the marching-cubes surface (area, volume, vertices); [`diameter`]
//! finds the maximum vertex distances; this file holds the principal component analysis and the
//! feature formulas. The deprecated, not-default features (Compactness1, Compactness2,
//! SphericalDisproportion) are not computed.
//!
//! ```text
//! V  = mesh volume (mm³)        A = mesh surface area (mm²)       Nv = voxels in the region
//! λ_least ≤ λ_minor ≤ λ_major   eigenvalues (mm²) of the covariance of the voxel centres' positions
//!                               in mm, C = (1/Nv) Σ_v (x_v − x̄)(x_v − x̄)ᵀ
//!
//! MeshVolume         = V                                    IBSI RNU0 "volume"            mm³
//! VoxelVolume        = Nv · Δk·Δi·Δj                        IBSI YEKZ "approximate volume" mm³
//! SurfaceArea        = A                                    IBSI C0JK                     mm²
//! SurfaceVolumeRatio = A / V                                IBSI 2PR5                     1/mm
//! Sphericity         = (36 π V²)^(1/3) / A                  IBSI QCFX                     –
//! Maximum3DDiameter, Maximum2DDiameter{Slice,Column,Row}    IBSI L0JK (3D only)           mm
//! MajorAxisLength    = 4 √λ_major                           IBSI TDIC                     mm
//! MinorAxisLength    = 4 √λ_minor                           IBSI P9VJ                     mm
//! LeastAxisLength    = 4 √λ_least                           IBSI 7J51                     mm
//! Elongation         = √(λ_minor / λ_major)                 IBSI Q3CK                     –
//! Flatness           = √(λ_least / λ_major)                 IBSI N17B                     –
//! ```
//! As in PyRadiomics, eigenvalues in (−1e−10, 0) are rounded to 0 and a feature that needs a more
//! negative one is NaN. Δk, Δj, Δi are the voxel spacings in mm. The axis names of the 2D
//! diameters are PyRadiomics' (NumPy order `[k][j][i]`): "Slice" keeps `k` fixed, "Column" `j`,
//! "Row" `i`.

mod diameter;
mod mesh;

use super::roi::Roi;
use mesh::PaddedMask;

/// The 14 default shape features of `roi`'s mask, named as in PyRadiomics without the
/// `original_shape_` prefix, in alphabetical order. Lengths in mm, areas in mm², volumes in mm³.
///
/// Only the mask and the spacing are used; like PyRadiomics, distances are measured along the
/// voxel axes scaled by the spacing, so direction cosines play no part. An empty mask (which PyRadiomics rejects before shape)
/// gives zero volumes, areas and diameters and NaN for the ratios and axes.
///
/// **Panics** if `roi.mask.len()` is not the product of `roi.size`.
pub fn shape_features(roi: &Roi) -> Vec<(&'static str, f64)> {
    let mask = PaddedMask::new(roi.size, &roi.mask);
    let [si, sj, sk] = roi.spacing_mm;
    let spacing_kji = [sk, sj, si];
    let surface = mesh::march(&mask, spacing_kji);
    let [slice, column, row, diameter_3d] = diameter::maximum_diameters(&surface.vertex_halves, spacing_kji);
    let [least, minor, major] = principal_moments_mm2(&mask, spacing_kji);

    let (area, volume) = (surface.surface_area_mm2, surface.volume_mm3);
    let axis_length = |lambda: f64| if lambda < 0.0 { f64::NAN } else { lambda.sqrt() * 4.0 };
    let axis_ratio = |small: f64, large: f64| {
        if small < 0.0 || large < 0.0 {
            f64::NAN
        } else {
            (small / large).sqrt()
        }
    };
    vec![
        ("Elongation", axis_ratio(minor, major)),
        ("Flatness", axis_ratio(least, major)),
        ("LeastAxisLength", axis_length(least)),
        ("MajorAxisLength", axis_length(major)),
        ("Maximum2DDiameterColumn", column),
        ("Maximum2DDiameterRow", row),
        ("Maximum2DDiameterSlice", slice),
        ("Maximum3DDiameter", diameter_3d),
        ("MeshVolume", volume),
        ("MinorAxisLength", axis_length(minor)),
        ("Sphericity", (36.0 * std::f64::consts::PI * volume.powi(2)).powf(1.0 / 3.0) / area),
        ("SurfaceArea", area),
        ("SurfaceVolumeRatio", area / volume),
        ("VoxelVolume", mask.count as f64 * (sk * si * sj)),
    ]
}

/// Eigenvalues of the covariance of the voxel centres' positions in mm, ascending, with values in
/// (−1e−10, 0) rounded to 0 as PyRadiomics does.
///
/// The moments are summed exactly in integers and scaled once, so the matrix is at least as
/// accurate as PyRadiomics' floating-point one (`numpy.linalg.eigvals` of `XᵀX`).
fn principal_moments_mm2(mask: &PaddedMask, spacing_kji: [f64; 3]) -> [f64; 3] {
    if mask.count == 0 {
        return [f64::NAN; 3];
    }
    // Moments of the index coordinates c = (k, j, i): Σ c_a and Σ c_a·c_b, summed row by row.
    let [ni, nj, nk] = mask.size;
    let mut first = [0i128; 3];
    let mut second = [[0i128; 3]; 3];
    for k in 0..nk {
        for j in 0..nj {
            let start = ni * (j + nj * k);
            let (mut n, mut sum_i, mut sum_ii) = (0i128, 0i128, 0i128);
            for (i, _) in mask.data[start..start + ni].iter().enumerate().filter(|(_, &m)| m != 0) {
                let i = i as i128;
                n += 1;
                sum_i += i;
                sum_ii += i * i;
            }
            if n == 0 {
                continue;
            }
            let (k, j) = (k as i128, j as i128);
            first[0] += k * n;
            first[1] += j * n;
            first[2] += sum_i;
            second[0][0] += k * k * n;
            second[0][1] += k * j * n;
            second[0][2] += k * sum_i;
            second[1][1] += j * j * n;
            second[1][2] += j * sum_i;
            second[2][2] += sum_ii;
        }
    }
    let count = mask.count as i128;
    let mut cov = [[0.0; 3]; 3];
    for a in 0..3 {
        for b in a..3 {
            // Σ (c_a − c̄_a)(c_b − c̄_b) · N² = N Σ c_a c_b − Σ c_a Σ c_b, exact in integers.
            let centred = count * second[a][b] - first[a] * first[b];
            let value = centred as f64 * (spacing_kji[a] * spacing_kji[b]) / (count * count) as f64;
            cov[a][b] = value;
            cov[b][a] = value;
        }
    }
    let mut eigen = symmetric_eigenvalues(cov).map(|e| if e < 0.0 && e > -1e-10 { 0.0 } else { e });
    eigen.sort_by(f64::total_cmp);
    eigen
}

/// Eigenvalues of a symmetric 3×3 matrix by cyclic Jacobi rotations, which keep even the
/// small eigenvalues accurate to rounding.
fn symmetric_eigenvalues(mut a: [[f64; 3]; 3]) -> [f64; 3] {
    const MAX_SWEEPS: usize = 64;
    for _ in 0..MAX_SWEEPS {
        if a[0][1] == 0.0 && a[0][2] == 0.0 && a[1][2] == 0.0 {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            let apq = a[p][q];
            if apq == 0.0 {
                continue;
            }
            // Rotation angle φ that zeroes a[p][q]: cot 2φ = θ; t = tan φ, the smaller root.
            let theta = (a[q][q] - a[p][p]) / (2.0 * apq);
            let t = if theta.abs() > 1e150 {
                0.5 / theta
            } else {
                theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
            };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            for row in a.iter_mut() {
                let (rp, rq) = (row[p], row[q]);
                row[p] = c * rp - s * rq;
                row[q] = s * rp + c * rq;
            }
            let (row_p, row_q) = (a[p], a[q]);
            a[p] = [0, 1, 2].map(|k| c * row_p[k] - s * row_q[k]);
            a[q] = [0, 1, 2].map(|k| s * row_p[k] + c * row_q[k]);
            a[p][q] = 0.0;
            a[q][p] = 0.0;
        }
    }
    [a[0][0], a[1][1], a[2][2]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roi(size: [usize; 3], spacing_mm: [f64; 3], mask: Vec<bool>) -> Roi {
        Roi { size, spacing_mm, values: vec![0.0; mask.len()], mask }
    }

    fn feature(features: &[(&'static str, f64)], name: &str) -> f64 {
        features.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no feature {name}")).1
    }

    #[test]
    fn names_are_the_fourteen_defaults_in_alphabetical_order() {
        let f = shape_features(&roi([1, 1, 1], [1.0; 3], vec![true]));
        let names: Vec<&str> = f.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 14);
    }

    #[test]
    fn jacobi_matches_a_known_spectrum() {
        // Q·diag(1, 4, 9)·Qᵀ for a rotation Q; the spectrum must come back.
        let (c, s) = (0.6f64, 0.8f64);
        let q = [[c, -s, 0.0], [s * 0.6, c * 0.6, -0.8], [s * 0.8, c * 0.8, 0.6]];
        let d = [1.0, 4.0, 9.0];
        let mut m = [[0.0; 3]; 3];
        for (r, row) in m.iter_mut().enumerate() {
            for (col, v) in row.iter_mut().enumerate() {
                *v = (0..3).map(|k| q[r][k] * d[k] * q[col][k]).sum();
            }
        }
        let mut e = symmetric_eigenvalues(m);
        e.sort_by(f64::total_cmp);
        for (got, want) in e.iter().zip(d) {
            assert!((got - want).abs() < 1e-14, "{e:?}");
        }
    }

    #[test]
    fn single_voxel_is_an_octahedron() {
        // One voxel's marching-cubes surface joins the six face centres: an octahedron with
        // half-diagonals Δ/2, volume Δi·Δj·Δk/6 and area √(Δi²Δj² + Δj²Δk² + Δi²Δk²).
        let (di, dj, dk) = (0.5, 0.75, 2.0);
        let f = shape_features(&roi([3, 3, 3], [di, dj, dk], (0..27).map(|n| n == 13).collect()));
        assert!((feature(&f, "MeshVolume") - di * dj * dk / 6.0).abs() < 1e-15);
        let area = ((di * dj).powi(2) + (dj * dk).powi(2) + (di * dk).powi(2)).sqrt();
        assert!((feature(&f, "SurfaceArea") - area).abs() < 1e-14);
        assert_eq!(feature(&f, "VoxelVolume"), di * dj * dk);
        assert_eq!(feature(&f, "Maximum3DDiameter"), dk);
        assert_eq!(feature(&f, "Maximum2DDiameterSlice"), dj);
        assert_eq!(feature(&f, "Maximum2DDiameterColumn"), dk);
        assert_eq!(feature(&f, "Maximum2DDiameterRow"), dk);
        assert_eq!(feature(&f, "MajorAxisLength"), 0.0);
        assert!(feature(&f, "Elongation").is_nan());
    }

    #[test]
    fn empty_mask_gives_zero_measures_and_nan_ratios() {
        let f = shape_features(&roi([2, 2, 2], [1.0; 3], vec![false; 8]));
        assert_eq!(feature(&f, "MeshVolume"), 0.0);
        assert_eq!(feature(&f, "Maximum3DDiameter"), 0.0);
        assert!(feature(&f, "Sphericity").is_nan());
        assert!(feature(&f, "MajorAxisLength").is_nan());
    }
}

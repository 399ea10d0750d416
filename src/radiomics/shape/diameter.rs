//! Maximum diameters of the mesh: the largest distance between two mesh vertices, overall and
//! within planes of constant `k`, `j` or `i` (PyRadiomics' C `calculate_meshDiameter`).
//!
//! ```text
//! d²(a, b) = (a_k − b_k)² + (a_j − b_j)² + (a_i − b_i)²        (mm², summed in this order)
//! Maximum3DDiameter        = max √d² over all vertex pairs
//! Maximum2DDiameterSlice   = max over pairs with a_k = b_k     (NumPy axis 0, usually axial)
//! Maximum2DDiameterColumn  = max over pairs with a_j = b_j     (axis 1, usually coronal)
//! Maximum2DDiameterRow     = max over pairs with a_i = b_i     (axis 2, usually sagittal)
//! ```
//!
//! PyRadiomics compares every pair of vertices, O(n²) for n vertices. A farthest pair is always
//! made of convex-hull vertices: a point strictly inside the hull, or strictly inside a hull edge
//! or face, is a convex combination of other points, and a squared distance is strictly convex,
//! so some hull vertex lies strictly farther from any given point. Hence:
//! - a 2D diameter is the largest pair among the 2D hull vertices of one plane;
//! - a 3D hull vertex is also a 2D hull vertex of each of its three planes, so the 3D diameter
//!   is the largest pair among vertices that are 2D hull vertices in all three orientations.
//!
//! Before a plane's hull is built, each of its lines along one axis keeps only its two end
//! vertices, since a point strictly between two others is no hull vertex. The hulls are built in
//! exact integer arithmetic on half-voxel coordinates (scaling the axes by the spacing maps hull
//! vertices to hull vertices), and the remaining pairs are measured
//! with PyRadiomics' floating-point expression, so the maxima are the same numbers. A pair left
//! out is strictly shorter than the maximum; it could only win through rounding if its true
//! length were within a few units in the last place of the maximum, which the lattice of
//! vertex positions does not produce in practice.

/// The four maximum diameters in mm, in PyRadiomics' order: slice (constant `k`), column
/// (constant `j`), row (constant `i`), 3D.
pub(super) fn maximum_diameters(vertex_halves: &[[u32; 3]], spacing_kji: [f64; 3]) -> [f64; 4] {
    let points: Vec<[f64; 3]> =
        vertex_halves.iter().map(|h| [0, 1, 2].map(|d| 0.5 * h[d] as f64 * spacing_kji[d])).collect();
    let extent: [usize; 3] =
        [0, 1, 2].map(|d| vertex_halves.iter().map(|h| h[d] as usize + 1).max().unwrap_or(0));
    let mut in_hull = vec![0u8; points.len()];
    let mut diameters_sq = [0.0f64; 4];
    let mut plane_points = Vec::new();
    let mut hull = Vec::new();
    for axis in 0..3 {
        let (u, v) = match axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        // Lowest and highest `v` on each line of constant (axis, u): a vertex strictly between
        // two others on a line is no hull vertex, so only these two can be. Listing them by
        // increasing `u` gives each plane's candidates already sorted for the hull.
        let lines = extent[axis] * extent[u];
        let mut lowest = vec![NONE; lines];
        let mut highest = vec![NONE; lines];
        for (id, h) in vertex_halves.iter().enumerate() {
            let line = h[axis] as usize * extent[u] + h[u] as usize;
            if lowest[line] == NONE || h[v] < vertex_halves[lowest[line]][v] {
                lowest[line] = id;
            }
            if highest[line] == NONE || h[v] > vertex_halves[highest[line]][v] {
                highest[line] = id;
            }
        }
        for plane in 0..extent[axis] {
            plane_points.clear();
            for line in plane * extent[u]..(plane + 1) * extent[u] {
                for id in [lowest[line], highest[line]] {
                    if id != NONE && plane_points.last().is_none_or(|&(_, _, last)| last != id) {
                        plane_points.push((vertex_halves[id][u], vertex_halves[id][v], id));
                    }
                }
            }
            convex_hull(&plane_points, &mut hull);
            for &id in &hull {
                in_hull[id] |= 1 << axis;
            }
            diameters_sq[axis] = diameters_sq[axis].max(farthest_pair_sq(&points, &hull));
        }
    }
    let candidates: Vec<usize> = (0..points.len()).filter(|&id| in_hull[id] == 0b111).collect();
    diameters_sq[3] = farthest_pair_sq(&points, &candidates);
    diameters_sq.map(f64::sqrt)
}

/// Marks an empty line in [`maximum_diameters`].
const NONE: usize = usize::MAX;

/// Squared distance exactly as PyRadiomics computes it.
#[inline]
fn distance_sq(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let dk = a[0] - b[0];
    let dj = a[1] - b[1];
    let di = a[2] - b[2];
    dk * dk + dj * dj + di * di
}

/// Largest squared distance between two of the points `ids`; 0 for fewer than two.
fn farthest_pair_sq(points: &[[f64; 3]], ids: &[usize]) -> f64 {
    let mut best = 0.0;
    for (n, &a) in ids.iter().enumerate() {
        let pa = &points[a];
        for &b in &ids[n + 1..] {
            let d = distance_sq(pa, &points[b]);
            if d > best {
                best = d;
            }
        }
    }
    best
}

/// Strict vertices of the convex hull of one plane's points `(u, v, id)`, sorted by `(u, v)` and
/// distinct; written to `out` as ids (Andrew's monotone chain, collinear points dropped).
fn convex_hull(points: &[(u32, u32, usize)], out: &mut Vec<usize>) {
    out.clear();
    if points.len() <= 2 {
        out.extend(points.iter().map(|p| p.2));
        return;
    }
    // Counter-clockwise turn o → a → b is positive.
    let turn = |o: &(u32, u32, usize), a: &(u32, u32, usize), b: &(u32, u32, usize)| {
        let (ou, ov) = (i64::from(o.0), i64::from(o.1));
        (i64::from(a.0) - ou) * (i64::from(b.1) - ov) - (i64::from(a.1) - ov) * (i64::from(b.0) - ou)
    };
    // Lower hull left to right, then upper hull right to left on top of it.
    let mut chain: Vec<&(u32, u32, usize)> = Vec::with_capacity(points.len() + 1);
    for p in points {
        while chain.len() >= 2 && turn(chain[chain.len() - 2], chain[chain.len() - 1], p) <= 0 {
            chain.pop();
        }
        chain.push(p);
    }
    let lower_len = chain.len();
    for p in points.iter().rev().skip(1) {
        while chain.len() > lower_len && turn(chain[chain.len() - 2], chain[chain.len() - 1], p) <= 0 {
            chain.pop();
        }
        chain.push(p);
    }
    // The upper hull ends where the lower one started.
    chain.pop();
    out.extend(chain.iter().map(|p| p.2));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PyRadiomics' all-pairs loop, the definition the pruned version must equal.
    fn brute_force(vertex_halves: &[[u32; 3]], spacing: [f64; 3]) -> [f64; 4] {
        let p: Vec<[f64; 3]> =
            vertex_halves.iter().map(|h| [0, 1, 2].map(|d| 0.5 * h[d] as f64 * spacing[d])).collect();
        let mut best = [0.0f64; 4];
        for a in 0..p.len() {
            for b in 0..a {
                let d = distance_sq(&p[a], &p[b]);
                for axis in 0..3 {
                    if p[a][axis] == p[b][axis] {
                        best[axis] = best[axis].max(d);
                    }
                }
                best[3] = best[3].max(d);
            }
        }
        best.map(f64::sqrt)
    }

    #[test]
    fn hull_drops_interior_and_collinear_points() {
        let pts: Vec<(u32, u32, usize)> = [(0, 0), (0, 2), (0, 4), (1, 1), (2, 0), (2, 4), (4, 0), (4, 4)]
            .iter()
            .enumerate()
            .map(|(id, &(u, v))| (u, v, id))
            .collect();
        let mut out = Vec::new();
        convex_hull(&pts, &mut out);
        out.sort_unstable();
        assert_eq!(out, vec![0, 2, 6, 7]);
        // All collinear: only the two ends are vertices.
        let line: Vec<_> = (0..5).map(|n| (n, 2 * n, n as usize)).collect();
        convex_hull(&line, &mut out);
        out.sort_unstable();
        assert_eq!(out, vec![0, 4]);
    }

    #[test]
    fn pruned_diameters_equal_all_pairs_on_random_clouds() {
        // A small deterministic generator (64-bit LCG) keeps the test self-contained.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u32| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % u64::from(n)) as u32
        };
        for round in 0..200 {
            let n = 1 + next(60) as usize;
            let extent = 2 + next(12);
            let mut pts: Vec<[u32; 3]> = (0..n).map(|_| [next(extent), next(extent), next(extent)]).collect();
            pts.sort_unstable();
            pts.dedup();
            let spacing = [0.7 + 0.1 * f64::from(round % 5), 0.65, 2.5];
            assert_eq!(maximum_diameters(&pts, spacing), brute_force(&pts, spacing), "round {round}");
        }
    }
}

//! Marching-cubes surface of a region, exactly as PyRadiomics' C `calculate_coefficients`
//! (`radiomics/src/cshape.c`): surface area, signed mesh volume and the mesh vertices.
//!
//! The mask sits in a box padded with one empty voxel on every side, so the surface does not stop
//! at the box's edge.
//! A 2×2×2 cube of voxel centres moves through that box; its eight corners, in or out, give a
//! case number, and a lookup table gives the case's triangles. A triangle vertex lies halfway
//! along a cube edge whose ends differ (the mask is binary, so no interpolation). Cases with
//! corner 7 set are complemented: the complement has the same triangles with the opposite
//! orientation, so the table has 128 rows and the volume term changes sign. This halving is
//! PyRadiomics' and it fixes how ambiguous faces are resolved, so the table must be its one. (A
//! complemented cube splits a face whose corners alternate in/out the other way than its
//! uncomplemented neighbour, which leaves small slits in such faces; PyRadiomics' numbers include
//! that, so they are kept.)
//!
//! Everything here works in PyRadiomics' axis order `(k, j, i)` (NumPy `[z][y][x]`), with the
//! spacing reversed to match, so that every sum runs in the same order as in the C code.
//!
//! ```text
//! A = Σ_f ½ ‖(a_f − c_f) × (b_f − c_f)‖        surface area, mm²
//! V = (1/6) Σ_f s_f · (a_f × b_f) · c_f         mesh volume, mm³ (tetrahedra with the origin)
//! ```
//! `a_f, b_f, c_f`: the vertices of triangle f in mm, measured from the centre of the padded box's
//! first voxel (PyRadiomics' frame, which the rounding of `V` depends on); `s_f = −1` for
//! complemented cases, else `+1`.

use crate::image::cross;

/// Corners of the marching cube as `(dk, dj, di)` offsets, in the standard Lorensen–Cline
/// numbering: 0–3 around the face `dk = 0`, 4–7 above them.
const CORNERS: [[usize; 3]; 8] =
    [[0, 0, 0], [0, 0, 1], [0, 1, 1], [0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 1], [1, 1, 0]];

/// Cube edges as pairs of corners: 0–3 on the lower face, 4–7 on the upper, 8–11 between them.
const EDGES: [[usize; 2]; 12] =
    [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4], [0, 4], [1, 5], [2, 6], [3, 7]];

/// Midpoint of each edge in half-voxel units from the cube's first corner (sum of the two
/// corners' offsets).
const EDGE_MIDPOINT_HALVES: [[usize; 3]; 12] = edge_midpoints();

const fn edge_midpoints() -> [[usize; 3]; 12] {
    let mut out = [[0; 3]; 12];
    let mut e = 0;
    while e < 12 {
        let mut d = 0;
        while d < 3 {
            out[e][d] = CORNERS[EDGES[e][0]][d] + CORNERS[EDGES[e][1]][d];
            d += 1;
        }
        e += 1;
    }
    out
}

/// The edges meeting at corner 7, each with its other end: `(other corner, edge)`. Every grid
/// edge is the corner-7 edge of exactly one cube, so recording vertices only there lists each
/// mesh vertex once (PyRadiomics' `points_edges`).
const CORNER7_EDGES: [(usize, usize); 3] = [(6, 6), (4, 7), (3, 11)];

/// The region's mask cut to its bounding box and padded with one empty voxel on each side:
/// PyRadiomics' `maskArray` after `cropToTumorMask` and `ConstantPadImageFilter`.
pub(super) struct PaddedMask {
    /// Voxels along `(i, j, k)`.
    pub size: [usize; 3],
    /// 1 inside the region, 0 outside; `i` fastest.
    pub data: Vec<u8>,
    /// Voxels inside the region.
    pub count: usize,
}

impl PaddedMask {
    /// Cuts `mask` (of a box of `size` voxels along `(i, j, k)`, `i` fastest) to the bounding box
    /// of its set voxels and pads it. An empty mask gives a 2×2×2 box of zeros.
    ///
    /// **Panics** if `mask.len()` is not the product of `size`.
    pub fn new(size: [usize; 3], mask: &[bool]) -> PaddedMask {
        assert_eq!(mask.len(), size.iter().product::<usize>(), "mask length does not match box size");
        let [sx, sy, sz] = size;
        let mut min = [usize::MAX; 3];
        let mut max = [0; 3];
        let mut count = 0;
        for k in 0..sz {
            for j in 0..sy {
                let row = &mask[sx * (j + sy * k)..sx * (j + 1 + sy * k)];
                let (Some(first), Some(last)) = (row.iter().position(|&m| m), row.iter().rposition(|&m| m))
                else {
                    continue;
                };
                count += row[first..=last].iter().filter(|&&m| m).count();
                min = [min[0].min(first), min[1].min(j), min[2].min(k)];
                max = [max[0].max(last), max[1].max(j), max[2].max(k)];
            }
        }
        if count == 0 {
            return PaddedMask { size: [2, 2, 2], data: vec![0; 8], count };
        }
        let padded = [0, 1, 2].map(|a| max[a] - min[a] + 3);
        let mut data = vec![0u8; padded.iter().product()];
        for k in min[2]..=max[2] {
            for j in min[1]..=max[1] {
                let from = min[0] + sx * (j + sy * k);
                let to = 1 + padded[0] * (j - min[1] + 1 + padded[1] * (k - min[2] + 1));
                for (out, &m) in data[to..to + padded[0] - 2].iter_mut().zip(&mask[from..]) {
                    *out = u8::from(m);
                }
            }
        }
        PaddedMask { size: padded, data, count }
    }
}

/// What the marching cubes give: the two mesh measures and the vertices for the diameters.
pub(super) struct Mesh {
    /// Total triangle area, mm².
    pub surface_area_mm2: f64,
    /// Volume enclosed by the mesh, mm³.
    pub volume_mm3: f64,
    /// Each mesh vertex once, in half-voxel units `(2k, 2j, 2i)` of the padded box.
    pub vertex_halves: Vec<[u32; 3]>,
}

/// Runs the marching cubes over `mask` with voxel spacing `spacing_kji` (mm, order `(k, j, i)`).
pub(super) fn march(mask: &PaddedMask, spacing_kji: [f64; 3]) -> Mesh {
    let [ni, nj, nk] = mask.size;
    let mut area = 0.0;
    let mut volume = 0.0;
    let mut vertex_halves = Vec::new();
    for k in 0..nk - 1 {
        for j in 0..nj - 1 {
            // The four voxel rows the cubes of this (k, j) row touch, by (dk, dj).
            let row = |dk: usize, dj: usize| {
                let start = ni * (j + dj + nj * (k + dk));
                &mask.data[start..start + ni]
            };
            let (r00, r01, r10, r11) = (row(0, 0), row(0, 1), row(1, 0), row(1, 1));
            // Corners 0, 3, 4, 7 lie at di = 0 and 1, 2, 5, 6 at di = 1; moving one voxel along i,
            // the di = 1 corners become the next cube's di = 0 ones.
            let side = |i: usize| [r00[i], r01[i], r10[i], r11[i]];
            let mut left = side(0);
            for i in 0..ni - 1 {
                let right = side(i + 1);
                let mut case = left[0]
                    | right[0] << 1
                    | right[1] << 2
                    | left[1] << 3
                    | left[2] << 4
                    | right[2] << 5
                    | right[3] << 6
                    | left[3] << 7;
                left = right;
                if case == 0 || case == 0xff {
                    continue;
                }
                let sign = if case & 0x80 != 0 {
                    case ^= 0xff;
                    -1.0
                } else {
                    1.0
                };
                let cube = [k, j, i];
                for (corner, edge) in CORNER7_EDGES {
                    if case & (1 << corner) != 0 {
                        let h = EDGE_MIDPOINT_HALVES[edge];
                        vertex_halves.push([0, 1, 2].map(|d| (2 * cube[d] + h[d]) as u32));
                    }
                }
                // The vertex in mm, computed as `(index + 0/0.5/1) · spacing` like PyRadiomics.
                let point = |edge: u8| {
                    let h = EDGE_MIDPOINT_HALVES[edge as usize];
                    [0, 1, 2].map(|d| (cube[d] as f64 + 0.5 * h[d] as f64) * spacing_kji[d])
                };
                for &[ea, eb, ec] in TRIANGLES[case as usize] {
                    let (mut a, mut b, c) = (point(ea), point(eb), point(ec));
                    let ab = cross(a, b);
                    volume += sign * (ab[0] * c[0] + ab[1] * c[1] + ab[2] * c[2]);
                    for d in 0..3 {
                        a[d] -= c[d];
                        b[d] -= c[d];
                    }
                    let n = cross(a, b);
                    area += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                }
            }
        }
    }
    Mesh { surface_area_mm2: area, volume_mm3: volume / 6.0, vertex_halves }
}

/// Triangles of each case with corner 7 outside, as triples of edges, all wound the same way so
/// that the signed tetrahedron volumes add up to the enclosed volume. These are the standard
/// Lorensen–Cline triangulations (Bourke's table), in the triangle order of PyRadiomics 3.x.
#[rustfmt::skip]
const TRIANGLES: [&[[u8; 3]]; 128] = [
    &[],
    &[[0, 8, 3]],
    &[[1, 9, 0]],
    &[[1, 8, 3], [1, 9, 8]],
    &[[1, 2, 10]],
    &[[0, 8, 3], [1, 2, 10]],
    &[[9, 2, 10], [0, 2, 9]],
    &[[2, 8, 3], [2, 10, 8], [10, 9, 8]],
    &[[11, 2, 3]],
    &[[11, 2, 0], [0, 8, 11]],
    &[[1, 9, 0], [11, 2, 3]],
    &[[11, 2, 1], [1, 9, 11], [9, 8, 11]],
    &[[3, 10, 1], [11, 10, 3]],
    &[[10, 1, 0], [0, 8, 10], [8, 11, 10]],
    &[[9, 0, 3], [3, 11, 9], [11, 10, 9]],
    &[[9, 8, 10], [11, 10, 8]],
    &[[4, 7, 8]],
    &[[0, 4, 3], [4, 7, 3]],
    &[[1, 9, 0], [4, 7, 8]],
    &[[1, 9, 4], [1, 4, 7], [1, 7, 3]],
    &[[1, 2, 10], [4, 7, 8]],
    &[[3, 4, 7], [3, 0, 4], [1, 2, 10]],
    &[[9, 2, 10], [9, 0, 2], [4, 7, 8]],
    &[[2, 10, 9], [2, 9, 7], [2, 7, 3], [4, 7, 9]],
    &[[4, 7, 8], [11, 2, 3]],
    &[[11, 4, 7], [11, 2, 4], [2, 0, 4]],
    &[[1, 9, 0], [4, 7, 8], [11, 2, 3]],
    &[[4, 7, 11], [9, 4, 11], [11, 2, 9], [1, 9, 2]],
    &[[3, 10, 1], [11, 10, 3], [4, 7, 8]],
    &[[11, 10, 1], [1, 4, 11], [1, 0, 4], [4, 7, 11]],
    &[[4, 7, 8], [9, 0, 3], [3, 11, 9], [11, 10, 9]],
    &[[4, 7, 11], [4, 11, 9], [9, 11, 10]],
    &[[9, 5, 4]],
    &[[9, 5, 4], [0, 8, 3]],
    &[[0, 5, 4], [0, 1, 5]],
    &[[8, 5, 4], [8, 3, 5], [3, 1, 5]],
    &[[1, 2, 10], [9, 5, 4]],
    &[[0, 8, 3], [1, 2, 10], [9, 5, 4]],
    &[[2, 10, 5], [5, 4, 2], [2, 4, 0]],
    &[[2, 10, 5], [3, 2, 5], [3, 5, 4], [8, 3, 4]],
    &[[9, 5, 4], [11, 2, 3]],
    &[[11, 2, 0], [0, 8, 11], [9, 5, 4]],
    &[[0, 5, 4], [0, 1, 5], [11, 2, 3]],
    &[[2, 1, 5], [2, 5, 8], [11, 2, 8], [5, 4, 8]],
    &[[3, 10, 1], [11, 10, 3], [9, 5, 4]],
    &[[5, 4, 9], [10, 1, 0], [0, 8, 10], [8, 11, 10]],
    &[[5, 4, 0], [5, 0, 11], [10, 5, 11], [11, 0, 3]],
    &[[5, 4, 8], [10, 5, 8], [11, 10, 8]],
    &[[7, 8, 9], [5, 7, 9]],
    &[[3, 0, 9], [5, 3, 9], [3, 5, 7]],
    &[[7, 8, 0], [0, 1, 7], [7, 1, 5]],
    &[[1, 5, 7], [1, 7, 3]],
    &[[7, 8, 9], [5, 7, 9], [1, 2, 10]],
    &[[1, 2, 10], [3, 0, 9], [3, 9, 5], [3, 5, 7]],
    &[[0, 2, 8], [8, 2, 5], [8, 5, 7], [2, 10, 5]],
    &[[2, 10, 5], [2, 5, 3], [3, 5, 7]],
    &[[5, 7, 9], [7, 8, 9], [11, 2, 3]],
    &[[5, 7, 9], [9, 7, 2], [2, 0, 9], [11, 2, 7]],
    &[[11, 2, 3], [0, 1, 8], [1, 7, 8], [1, 5, 7]],
    &[[2, 1, 11], [1, 7, 11], [1, 5, 7]],
    &[[7, 8, 9], [5, 7, 9], [3, 10, 1], [11, 10, 3]],
    &[[5, 7, 0], [5, 0, 9], [7, 11, 0], [10, 1, 0], [11, 10, 0]],
    &[[11, 10, 0], [0, 3, 11], [10, 5, 0], [0, 7, 8], [5, 7, 0]],
    &[[11, 10, 5], [5, 7, 11]],
    &[[6, 5, 10]],
    &[[0, 8, 3], [6, 5, 10]],
    &[[1, 9, 0], [6, 5, 10]],
    &[[1, 8, 3], [1, 9, 8], [6, 5, 10]],
    &[[1, 6, 5], [1, 2, 6]],
    &[[1, 6, 5], [1, 2, 6], [0, 8, 3]],
    &[[9, 6, 5], [9, 0, 6], [0, 2, 6]],
    &[[5, 9, 8], [5, 8, 2], [5, 2, 6], [8, 3, 2]],
    &[[11, 2, 3], [6, 5, 10]],
    &[[11, 2, 0], [0, 8, 11], [6, 5, 10]],
    &[[1, 9, 0], [11, 2, 3], [6, 5, 10]],
    &[[11, 2, 1], [1, 9, 11], [9, 8, 11], [6, 5, 10]],
    &[[6, 3, 11], [6, 5, 3], [5, 1, 3]],
    &[[0, 8, 11], [0, 11, 5], [0, 5, 1], [5, 11, 6]],
    &[[6, 3, 11], [0, 3, 6], [0, 6, 5], [0, 5, 9]],
    &[[6, 5, 9], [6, 9, 11], [11, 9, 8]],
    &[[4, 7, 8], [6, 5, 10]],
    &[[0, 4, 3], [4, 7, 3], [6, 5, 10]],
    &[[1, 9, 0], [4, 7, 8], [6, 5, 10]],
    &[[1, 9, 4], [1, 4, 7], [1, 7, 3], [6, 5, 10]],
    &[[4, 7, 8], [1, 6, 5], [1, 2, 6]],
    &[[0, 4, 3], [4, 7, 3], [1, 6, 5], [1, 2, 6]],
    &[[4, 7, 8], [9, 6, 5], [9, 0, 6], [0, 2, 6]],
    &[[7, 3, 9], [4, 7, 9], [3, 2, 9], [5, 9, 6], [2, 6, 9]],
    &[[11, 2, 3], [4, 7, 8], [6, 5, 10]],
    &[[11, 4, 7], [11, 2, 4], [2, 0, 4], [6, 5, 10]],
    &[[1, 9, 0], [11, 2, 3], [4, 7, 8], [6, 5, 10]],
    &[[4, 7, 11], [9, 4, 11], [11, 2, 9], [1, 9, 2], [6, 5, 10]],
    &[[4, 7, 8], [6, 3, 11], [6, 5, 3], [5, 1, 3]],
    &[[5, 1, 11], [5, 11, 6], [1, 0, 11], [4, 7, 11], [0, 4, 11]],
    &[[4, 7, 8], [6, 3, 11], [0, 3, 6], [0, 6, 5], [0, 5, 9]],
    &[[6, 5, 9], [6, 9, 11], [4, 7, 9], [7, 11, 9]],
    &[[10, 4, 9], [6, 4, 10]],
    &[[10, 4, 9], [6, 4, 10], [0, 8, 3]],
    &[[0, 1, 10], [10, 6, 0], [6, 4, 0]],
    &[[1, 8, 3], [1, 6, 8], [8, 6, 4], [6, 1, 10]],
    &[[1, 4, 9], [1, 2, 4], [2, 6, 4]],
    &[[1, 4, 9], [1, 2, 4], [2, 6, 4], [0, 8, 3]],
    &[[0, 2, 4], [4, 2, 6]],
    &[[8, 3, 2], [8, 2, 4], [4, 2, 6]],
    &[[11, 2, 3], [10, 4, 9], [6, 4, 10]],
    &[[11, 2, 0], [0, 8, 11], [10, 4, 9], [6, 4, 10]],
    &[[11, 2, 3], [0, 1, 10], [10, 6, 0], [6, 4, 0]],
    &[[6, 4, 1], [6, 1, 10], [1, 4, 8], [11, 2, 1], [1, 8, 11]],
    &[[9, 6, 4], [3, 6, 9], [1, 3, 9], [11, 6, 3]],
    &[[1, 8, 11], [0, 8, 1], [11, 6, 1], [1, 4, 9], [6, 4, 1]],
    &[[6, 3, 11], [0, 3, 6], [6, 4, 0]],
    &[[8, 6, 4], [6, 8, 11]],
    &[[6, 7, 10], [7, 8, 10], [8, 9, 10]],
    &[[6, 7, 10], [0, 10, 7], [0, 9, 10], [0, 7, 3]],
    &[[6, 7, 10], [1, 10, 7], [1, 7, 8], [0, 1, 8]],
    &[[6, 7, 10], [1, 10, 7], [1, 7, 3]],
    &[[1, 2, 6], [1, 6, 8], [1, 8, 9], [6, 7, 8]],
    &[[2, 6, 9], [1, 2, 9], [6, 7, 9], [3, 0, 9], [7, 3, 9]],
    &[[0, 7, 8], [7, 0, 6], [6, 0, 2]],
    &[[2, 7, 3], [2, 6, 7]],
    &[[11, 2, 3], [6, 7, 10], [7, 8, 10], [8, 9, 10]],
    &[[2, 0, 7], [11, 2, 7], [0, 9, 7], [6, 7, 10], [9, 10, 7]],
    &[[6, 7, 10], [1, 10, 7], [1, 7, 8], [0, 1, 8], [11, 2, 3]],
    &[[11, 2, 1], [1, 7, 11], [10, 6, 1], [1, 6, 7]],
    &[[8, 9, 6], [6, 7, 8], [1, 6, 9], [11, 6, 3], [1, 3, 6]],
    &[[0, 9, 1], [6, 7, 11]],
    &[[0, 7, 8], [7, 0, 6], [0, 3, 11], [11, 6, 0]],
    &[[6, 7, 11]],
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn every_case_cuts_exactly_the_edges_whose_ends_differ() {
        for (case, triangles) in TRIANGLES.iter().enumerate().skip(1) {
            let inside = |corner: usize| case & (1 << corner) != 0;
            let mut crossing: Vec<u8> =
                (0..12).filter(|&e| inside(EDGES[e][0]) != inside(EDGES[e][1])).map(|e| e as u8).collect();
            let mut used: Vec<u8> = triangles.iter().flatten().copied().collect();
            used.sort_unstable();
            used.dedup();
            crossing.sort_unstable();
            assert_eq!(used, crossing, "case {case}");
        }
        assert!(TRIANGLES[0].is_empty());
    }

    /// Whether the directed mesh edge `a → b` (half-voxel units) lies in a cube face whose four
    /// corners alternate in/out. Such a face is cut by two segments, and which pair of corners
    /// they separate depends on the cube's case; a complemented case picks the other pair than
    /// its neighbour, so PyRadiomics' mesh can have slits there.
    fn in_ambiguous_face(padded: &PaddedMask, a: [usize; 3], b: [usize; 3]) -> bool {
        let Some(plane) = (0..3).find(|&d| a[d] == b[d] && a[d] % 2 == 0) else { return false };
        let [ni, nj, _] = padded.size;
        let low = [0, 1, 2].map(|d| if d == plane { a[d] / 2 } else { a[d].min(b[d]) / 2 });
        let (u, v) = match plane {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        let at = |du: usize, dv: usize| {
            let mut p = low;
            p[u] += du;
            p[v] += dv;
            padded.data[p[2] + ni * (p[1] + nj * p[0])]
        };
        at(0, 0) == at(1, 1) && at(0, 1) == at(1, 0) && at(0, 0) != at(0, 1)
    }

    #[test]
    fn surface_is_closed_and_consistently_wound_except_in_ambiguous_faces() {
        // Random masks exercise every case; each directed mesh edge must meet its reverse as
        // often as itself, or the table has a wrong vertex or a flipped triangle.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut slits = 0;
        for _ in 0..20 {
            let size = [7, 6, 5];
            let mask: Vec<bool> = (0..size.iter().product::<usize>())
                .map(|_| {
                    state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (state >> 40) % 2 == 0
                })
                .collect();
            let padded = PaddedMask::new(size, &mask);
            let [ni, nj, nk] = padded.size;
            let mut edges: HashMap<([usize; 3], [usize; 3]), i32> = HashMap::new();
            for k in 0..nk - 1 {
                for j in 0..nj - 1 {
                    for i in 0..ni - 1 {
                        let mut case = 0usize;
                        for (c, [dk, dj, di]) in CORNERS.iter().enumerate() {
                            case |= usize::from(padded.data[i + di + ni * (j + dj + nj * (k + dk))]) << c;
                        }
                        let flipped = case & 0x80 != 0;
                        if flipped {
                            case ^= 0xff;
                        }
                        let vertex = |e: u8| {
                            let h = EDGE_MIDPOINT_HALVES[e as usize];
                            [2 * k + h[0], 2 * j + h[1], 2 * i + h[2]]
                        };
                        for tri in TRIANGLES[case] {
                            let mut v = tri.map(vertex);
                            if flipped {
                                v.swap(1, 2);
                            }
                            for n in 0..3 {
                                *edges.entry((v[n], v[(n + 1) % 3])).or_default() += 1;
                            }
                        }
                    }
                }
            }
            for (&(a, b), &count) in &edges {
                if edges.get(&(b, a)).copied().unwrap_or(0) != count {
                    assert!(in_ambiguous_face(&padded, a, b), "unmatched edge {a:?} -> {b:?}");
                    slits += 1;
                }
            }
            let mesh = march(&padded, [0.7, 0.9, 1.3]);
            assert!(mesh.volume_mm3 > 0.0);
        }
        // The exception is real, not a hole in the test.
        assert!(slits > 0);
    }
}

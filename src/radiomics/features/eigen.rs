//! Eigenvalues of a general real square matrix, for the GLCM's maximal correlation coefficient,
//! where PyRadiomics calls `numpy.linalg.eigvals` (LAPACK `dgeev`) on a non-symmetric matrix.
//!
//! The matrix is reduced to upper Hessenberg form by Householder reflections, then the Francis
//! double-shift QR iteration runs on the unreduced trailing block until it splits into 1×1 and
//! 2×2 blocks (Golub & Van Loan, *Matrix Computations*, 4th ed., algorithms 7.4.2, 7.5.1 and
//! 7.5.2). Only eigenvalues are wanted, so each step transforms the active block alone.

/// An eigenvalue as `(real part, imaginary part)`.
pub type Eigenvalue = (f64, f64);

/// Iterations allowed per split before giving up, with exceptional shifts at 10 and 20 (the
/// EISPACK `hqr` schedule).
const MAX_ITERATIONS: usize = 30;

/// The `n` eigenvalues of the row-major `n × n` matrix `a`, in no particular order; `None` when
/// the QR iteration does not converge (LAPACK would raise, and PyRadiomics report NaN).
pub fn eigenvalues(a: &[f64], n: usize) -> Option<Vec<Eigenvalue>> {
    let mut h = Hessenberg::reduce(a, n);
    let scale: f64 = h.a.iter().map(|x| x.abs()).sum();
    let mut out = Vec::with_capacity(n);
    let mut hi = n;
    let mut iterations = 0;
    while hi > 0 {
        let last = hi - 1;
        // Find the top of the unreduced block ending at `last`, zeroing a negligible subdiagonal.
        let mut lo = last;
        while lo > 0 {
            let diagonal = h.at(lo - 1, lo - 1).abs() + h.at(lo, lo).abs();
            let reference = if diagonal == 0.0 { scale } else { diagonal };
            if h.at(lo, lo - 1).abs() <= f64::EPSILON * reference {
                h.set(lo, lo - 1, 0.0);
                break;
            }
            lo -= 1;
        }
        if lo == last {
            out.push((h.at(last, last), 0.0));
            hi -= 1;
            iterations = 0;
        } else if lo + 1 == last {
            let [first, second] =
                block_eigenvalues(h.at(lo, lo), h.at(lo, last), h.at(last, lo), h.at(last, last));
            out.extend([first, second]);
            hi -= 2;
            iterations = 0;
        } else {
            iterations += 1;
            if iterations > MAX_ITERATIONS {
                return None;
            }
            let (sum, product) = if iterations % 10 == 0 {
                // Exceptional shifts break cycles: h_nn + ν with ν² − 1.5σν + σ² = 0.
                let sigma = h.at(last, last - 1).abs() + h.at(last - 1, last - 2).abs();
                let d = h.at(last, last);
                (2.0 * d + 1.5 * sigma, d * d + 1.5 * d * sigma + sigma * sigma)
            } else {
                // Francis shifts: the eigenvalues of the trailing 2×2 block.
                let (p, q, r, s) =
                    (h.at(last - 1, last - 1), h.at(last - 1, last), h.at(last, last - 1), h.at(last, last));
                (p + s, p * s - q * r)
            };
            h.francis_step(lo, last, sum, product);
        }
    }
    Some(out)
}

/// Eigenvalues of `[[a, b], [c, d]]`, computed without cancellation.
fn block_eigenvalues(a: f64, b: f64, c: f64, d: f64) -> [Eigenvalue; 2] {
    let p = 0.5 * (a - d);
    let discriminant = p * p + b * c;
    if discriminant >= 0.0 {
        let z = p + discriminant.sqrt().copysign(p);
        let second = if z == 0.0 { d } else { d - b * c / z };
        [(d + z, 0.0), (second, 0.0)]
    } else {
        let im = (-discriminant).sqrt();
        [(d + p, im), (d + p, -im)]
    }
}

/// A square matrix in upper Hessenberg form, row-major.
struct Hessenberg {
    n: usize,
    a: Vec<f64>,
}

impl Hessenberg {
    /// Reduces `a` by Householder similarity transforms `H = Q·A·Qᵀ`.
    fn reduce(a: &[f64], n: usize) -> Hessenberg {
        let mut h = Hessenberg { n, a: a.to_vec() };
        for k in 0..n.saturating_sub(2) {
            let v: Vec<f64> = (k + 1..n).map(|r| h.at(r, k)).collect();
            if let Some((v, beta)) = householder(&v) {
                h.reflect_rows(&v, beta, k + 1, k, n - 1);
                h.reflect_columns(&v, beta, k + 1, 0, n - 1);
                for r in k + 2..n {
                    h.set(r, k, 0.0);
                }
            }
        }
        h
    }

    #[inline]
    fn at(&self, r: usize, c: usize) -> f64 {
        self.a[r * self.n + c]
    }

    #[inline]
    fn set(&mut self, r: usize, c: usize, x: f64) {
        self.a[r * self.n + c] = x;
    }

    /// Rows `top .. top + v.len()`, columns `first..=last` ← `(I − β·v·vᵀ)·H`.
    fn reflect_rows(&mut self, v: &[f64], beta: f64, top: usize, first: usize, last: usize) {
        for c in first..=last {
            let s: f64 = v.iter().enumerate().map(|(r, vr)| vr * self.at(top + r, c)).sum();
            for (r, vr) in v.iter().enumerate() {
                self.a[(top + r) * self.n + c] -= beta * s * vr;
            }
        }
    }

    /// Rows `first..=last`, columns `left .. left + v.len()` ← `H·(I − β·v·vᵀ)`.
    fn reflect_columns(&mut self, v: &[f64], beta: f64, left: usize, first: usize, last: usize) {
        for r in first..=last {
            let row = &mut self.a[r * self.n + left..r * self.n + left + v.len()];
            let s: f64 = row.iter().zip(v).map(|(x, vc)| x * vc).sum();
            row.iter_mut().zip(v).for_each(|(x, vc)| *x -= beta * s * vc);
        }
    }

    /// One Francis double-shift step on the unreduced block `lo..=hi` (at least 3×3), with shifts
    /// of the given sum and product (Golub & Van Loan algorithm 7.5.1).
    fn francis_step(&mut self, lo: usize, hi: usize, sum: f64, product: f64) {
        let (h00, h01, h10, h11, h21) = (
            self.at(lo, lo),
            self.at(lo, lo + 1),
            self.at(lo + 1, lo),
            self.at(lo + 1, lo + 1),
            self.at(lo + 2, lo + 1),
        );
        // First column of (H − μ₁I)(H − μ₂I).
        let mut x = h00 * h00 + h01 * h10 - sum * h00 + product;
        let mut y = h10 * (h00 + h11 - sum);
        let mut z = h10 * h21;
        for k in lo..=hi - 2 {
            if let Some((v, beta)) = householder(&[x, y, z]) {
                let first = if k == lo { lo } else { k - 1 };
                self.reflect_rows(&v, beta, k, first, hi);
                self.reflect_columns(&v, beta, k, lo, (k + 3).min(hi));
            }
            x = self.at(k + 1, k);
            y = self.at(k + 2, k);
            if k + 3 <= hi {
                z = self.at(k + 3, k);
            }
        }
        if let Some((v, beta)) = householder(&[x, y]) {
            self.reflect_rows(&v, beta, hi - 1, hi - 2, hi);
            self.reflect_columns(&v, beta, hi - 1, lo, hi);
        }
    }
}

/// Householder vector `v` and `β = 2/(vᵀv)` with `(I − β·v·vᵀ)·x = ∓‖x‖·e₁`; `None` when `x`
/// is 0.
fn householder(x: &[f64]) -> Option<(Vec<f64>, f64)> {
    let norm = x.iter().map(|c| c * c).sum::<f64>().sqrt();
    if norm == 0.0 {
        return None;
    }
    let mut v = x.to_vec();
    v[0] += norm.copysign(x[0]);
    let vv: f64 = v.iter().map(|c| c * c).sum();
    Some((v, 2.0 / vv))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut e: Vec<Eigenvalue>) -> Vec<Eigenvalue> {
        e.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        e
    }

    fn assert_close(got: &[Eigenvalue], expected: &[Eigenvalue], tolerance: f64) {
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(expected) {
            assert!(
                (g.0 - e.0).abs() <= tolerance && (g.1 - e.1).abs() <= tolerance,
                "{got:?} vs {expected:?}"
            );
        }
    }

    #[test]
    fn companion_matrix_has_the_polynomial_roots() {
        // (x−1)(x−2)(x−3)(x−4) = x⁴ − 10x³ + 35x² − 50x + 24.
        let a = [10.0, -35.0, 50.0, -24.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        let got = sorted(eigenvalues(&a, 4).unwrap());
        assert_close(&got, &[(1.0, 0.0), (2.0, 0.0), (3.0, 0.0), (4.0, 0.0)], 1e-12);
    }

    #[test]
    fn rotation_block_gives_a_complex_pair() {
        // [[0, −2, 0], [2, 0, 0], [1, 1, 3]]: ±2i and 3.
        let a = [0.0, -2.0, 0.0, 2.0, 0.0, 0.0, 1.0, 1.0, 3.0];
        let got = sorted(eigenvalues(&a, 3).unwrap());
        assert_close(&got, &[(0.0, -2.0), (0.0, 2.0), (3.0, 0.0)], 1e-14);
    }

    #[test]
    fn scrambled_nonsymmetric_tridiagonal_matrix() {
        // Tridiagonal with diagonal 1, superdiagonal 2, subdiagonal 0.5: eigenvalues
        // 1 + 2·√(2·0.5)·cos(kπ/(n+1)), k = 1..n. Renumbering rows and columns by the
        // permutation i → 7i mod n is a similarity that destroys the banded form.
        let n = 30;
        let perm = |i: usize| (7 * i) % n;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[perm(i) * n + perm(i)] = 1.0;
            if i + 1 < n {
                a[perm(i) * n + perm(i + 1)] = 2.0;
                a[perm(i + 1) * n + perm(i)] = 0.5;
            }
        }
        let got = sorted(eigenvalues(&a, n).unwrap());
        let expected = sorted(
            (1..=n)
                .map(|k| (1.0 + 2.0 * (k as f64 * std::f64::consts::PI / (n + 1) as f64).cos(), 0.0))
                .collect(),
        );
        assert_close(&got, &expected, 1e-12);
    }

    #[test]
    fn tiny_matrices() {
        assert_eq!(eigenvalues(&[], 0), Some(vec![]));
        assert_eq!(eigenvalues(&[2.5], 1), Some(vec![(2.5, 0.0)]));
        assert_close(
            &sorted(eigenvalues(&[1.0, 2.0, 2.0, 1.0], 2).unwrap()),
            &[(-1.0, 0.0), (3.0, 0.0)],
            1e-15,
        );
    }
}

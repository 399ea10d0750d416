//! Eigenvalues of a general real square matrix, for the GLCM's maximal correlation coefficient,
//! where PyRadiomics calls `numpy.linalg.eigvals`, i.e. LAPACK `dgeev` without eigenvectors.
//!
//! The steps are LAPACK's, so that the iteration converges where NumPy's does:
//! 1. `dgebal` balancing: rows and columns that isolate an eigenvalue are permuted out of the
//!    active block, then rows and columns are scaled by powers of 2 (exact) until their norms
//!    are comparable;
//! 2. `dgehd2`: Householder reduction of the active block to upper Hessenberg form;
//! 3. `dlahqr`: Francis double-shift QR with the Ahues–Tisseur deflation test, a double real
//!    shift when the trailing 2×2 block has real eigenvalues, a start below two consecutive small
//!    subdiagonals, exceptional shifts every 10 iterations without a deflation, and
//!    30·max(10, n) iterations allowed per deflation;
//! 4. `dlanv2`: the eigenvalues of each 2×2 block that splits off.
//!
//! Only eigenvalues are wanted, so every transform is applied to the active block alone
//! (Golub & Van Loan, *Matrix Computations*, 4th ed., §7.4–7.5, for the algorithms). NumPy's
//! LAPACK switches to the multishift `dlaqr0` from n = 75 on; both converge to the same
//! eigenvalues within rounding.
//!
//! The first column of (H − μ₁I)(H − μ₂I) that starts each step is formed as `dlahqr` forms it,
//! from the products of the differences `h_mm − μ`. A former version formed it from the shifts'
//! sum and product, `h_mm² + h_m,m+1·h_m+1,m − (μ₁+μ₂)·h_mm + μ₁μ₂`: with a cluster of eigenvalues
//! within 10⁻¹³ of 1 (groups of grey levels that never meet) the terms, of size 1, cancel to
//! rounding noise, the step goes nowhere, the subdiagonal stalls at 3·10⁻¹⁵, and MCC came out NaN
//! where NumPy gives 0.99999999999995 (measured: with the difference form the iteration converges
//! with or without balancing and with 30 iterations per deflation).

/// An eigenvalue as `(real part, imaginary part)`.
pub type Eigenvalue = (f64, f64);

/// Relative machine precision, LAPACK `dlamch('P')` (= ε·base).
const ULP: f64 = f64::EPSILON;
/// Smallest positive normal number, LAPACK `dlamch('S')`.
const SAFE_MIN: f64 = f64::MIN_POSITIVE;
/// Iterations without a deflation after which `dlahqr` tries an exceptional shift.
const EXCEPTIONAL_SHIFT_EVERY: usize = 10;
/// Balancing stops once a scaling would shrink a row and column norm sum by less than this.
const BALANCE_FACTOR: f64 = 0.95;

/// The `n` eigenvalues of the row-major `n × n` matrix `a`, in no particular order; `None` when
/// the QR iteration does not converge or `a` holds a NaN or an infinity (NumPy raises
/// `LinAlgError` for both, and PyRadiomics reports the feature as NaN).
///
/// **Panics** if `a.len() != n²`.
pub fn eigenvalues(a: &[f64], n: usize) -> Option<Vec<Eigenvalue>> {
    assert_eq!(a.len(), n * n, "eigenvalues of a {n}×{n} matrix need {} entries", n * n);
    if n == 0 {
        return Some(Vec::new());
    }
    if a.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let mut m = Matrix { n, a: a.to_vec() };
    let (lo, hi) = m.balance();
    m.reduce_to_hessenberg(lo, hi);
    let mut out = vec![(0.0, 0.0); n];
    // Eigenvalues isolated by the permutation sit on the diagonal outside the active block.
    for (i, e) in out.iter_mut().enumerate().filter(|(i, _)| *i < lo || *i > hi) {
        *e = (m.at(i, i), 0.0);
    }
    m.hessenberg_qr(lo, hi, &mut out)?;
    Some(out)
}

/// The `count` largest eigenvalues (all `n` when `count ≥ n`) of the symmetric row-major `n × n`
/// matrix `a`, ascending; `None` when `a` is not finite. Only the lower triangle is read.
///
/// Householder reduction to tridiagonal form (Golub & Van Loan algorithm 8.3.1), then bisection
/// on Sturm counts for the wanted eigenvalues alone (LAPACK `dstebz`/`dlaebz`, Golub & Van Loan
/// §8.4.1): O(n) per count and some 55 counts per eigenvalue, where QL sweeps for the whole
/// spectrum cost O(n²) with a square root per rotation. Each eigenvalue is accurate to a few ulps
/// of ‖a‖, as the QL iteration's are.
///
/// **Panics** if `a.len() != n²`.
pub fn symmetric_largest_eigenvalues(a: &[f64], n: usize, count: usize) -> Option<Vec<f64>> {
    assert_eq!(a.len(), n * n, "eigenvalues of a {n}×{n} matrix need {} entries", n * n);
    if a.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let (d, e) = tridiagonalise(a, n);
    Some(tridiagonal_largest_eigenvalues(&d, &e[..n.saturating_sub(1)], count))
}

/// Eigenvalues found together by [`tridiagonal_largest_eigenvalues`].
const BISECTED_TOGETHER: usize = 3;
/// Points counted per interval and sweep: each sweep cuts an interval to a quarter, and the
/// `3 × 3` Sturm counts run interleaved (independent division chains). Measured on a 90 × 90
/// tridiagonal matrix, top three eigenvalues: 36 µs by bisection, 22 µs with two points per
/// interval, 20 µs with three.
const POINTS_PER_INTERVAL: usize = 3;
/// Sturm counts per sweep.
const POINTS: usize = BISECTED_TOGETHER * POINTS_PER_INTERVAL;

/// The `count` largest eigenvalues, ascending, of the symmetric tridiagonal matrix with diagonal
/// `d` and off-diagonal `e` (`e[i]` couples `i` and `i + 1`), by bisection as LAPACK `dstebz`
/// (here multisection, [`POINTS_PER_INTERVAL`]):
/// Gershgorin bounds widened by `2.1·n·ulp·‖T‖`, an interval is final when narrower than
/// `max(ulp·‖T‖, 2·ulp·|λ|, pivmin)`, and the eigenvalue is its midpoint.
fn tridiagonal_largest_eigenvalues(d: &[f64], e: &[f64], count: usize) -> Vec<f64> {
    /// `dstebz`'s widening of the Gershgorin interval.
    const FUDGE: f64 = 2.1;
    let n = d.len();
    if n < 2 {
        // A 1×1 matrix is its own eigenvalue.
        return d[n - count.min(n)..].to_vec();
    }
    let count = count.min(n);
    let squares: Vec<f64> = e.iter().map(|x| x * x).collect();
    let pivmin = SAFE_MIN * squares.iter().copied().fold(1.0, f64::max);
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..n {
        let radius = if i > 0 { e[i - 1].abs() } else { 0.0 } + e.get(i).map_or(0.0, |x| x.abs());
        low = low.min(d[i] - radius);
        high = high.max(d[i] + radius);
    }
    let norm = low.abs().max(high.abs());
    let widening = FUDGE * norm * ULP * n as f64 + 2.0 * FUDGE * pivmin;
    let (low, high) = (low - widening, high + widening);
    let narrow_enough =
        |lo: f64, hi: f64| hi - lo <= (ULP * norm).max(2.0 * ULP * lo.abs().max(hi.abs())).max(pivmin);

    let mut out = Vec::with_capacity(count);
    let mut first = n - count;
    while first < n {
        // Bisect eigenvalues first.. together: λ_k ∈ [lo, hi) with #{λ < lo} ≤ k < #{λ < hi}.
        let targets: [usize; BISECTED_TOGETHER] = std::array::from_fn(|t| (first + t).min(n - 1));
        let mut lo = [low; BISECTED_TOGETHER];
        let mut hi = [high; BISECTED_TOGETHER];
        loop {
            let mut points = [0.0; POINTS];
            let mut active = false;
            for t in 0..BISECTED_TOGETHER {
                let mid = 0.5 * (lo[t] + hi[t]);
                let open = !narrow_enough(lo[t], hi[t]) && mid > lo[t] && mid < hi[t];
                active |= open;
                for (j, x) in
                    points[t * POINTS_PER_INTERVAL..(t + 1) * POINTS_PER_INTERVAL].iter_mut().enumerate()
                {
                    let cut = lo[t] + (hi[t] - lo[t]) * ((j + 1) as f64 / (POINTS_PER_INTERVAL + 1) as f64);
                    *x = if !open {
                        lo[t]
                    } else if cut > lo[t] && cut < hi[t] {
                        cut
                    } else {
                        mid
                    };
                }
            }
            if !active {
                break;
            }
            let below = sturm_counts(d, &squares, pivmin, points);
            // Every count narrows every interval it falls in.
            for (&x, &c) in points.iter().zip(&below) {
                for t in 0..BISECTED_TOGETHER {
                    if c > targets[t] {
                        hi[t] = hi[t].min(x);
                    } else {
                        lo[t] = lo[t].max(x);
                    }
                }
            }
        }
        let found = (n - first).min(BISECTED_TOGETHER);
        out.extend((0..found).map(|t| 0.5 * (lo[t] + hi[t])));
        first += found;
    }
    out
}

/// For each point x, the number of eigenvalues below x of the tridiagonal matrix with diagonal
/// `d` and squared off-diagonal `squares`: the negative pivots of the LDLᵀ factorisation of
/// T − x·I, a pivot smaller than `pivmin` replaced by −`pivmin` (LAPACK `dlaebz`).
fn sturm_counts<const K: usize>(d: &[f64], squares: &[f64], pivmin: f64, points: [f64; K]) -> [usize; K] {
    let guard = |q: f64| if q.abs() < pivmin { -pivmin } else { q };
    let mut pivot: [f64; K] = std::array::from_fn(|t| guard(d[0] - points[t]));
    let mut below: [usize; K] = std::array::from_fn(|t| usize::from(pivot[t] < 0.0));
    for (&di, &e2) in d[1..].iter().zip(squares) {
        for t in 0..K {
            pivot[t] = guard((di - points[t]) - e2 / pivot[t]);
            below[t] += usize::from(pivot[t] < 0.0);
        }
    }
    below
}

/// Householder tridiagonalisation of the symmetric `a` (lower triangle): the diagonal `d` and
/// the subdiagonal `e` (`e[i]` couples `i` and `i + 1`; `e[n − 1] = 0`). Only the lower triangle
/// is kept up to date, as LAPACK `dsytd2` with `uplo = 'L'` does.
fn tridiagonalise(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut b = a.to_vec();
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    let mut v = vec![0.0; n];
    let mut w = vec![0.0; n];
    for k in 0..n.saturating_sub(2) {
        // Reflect x = b[k+1.., k] onto its first axis; the trailing block B ← H·B·H.
        let m = n - k - 1;
        let (v, w) = (&mut v[..m], &mut w[..m]);
        for (t, x) in v.iter_mut().enumerate().skip(1) {
            *x = b[(k + 1 + t) * n + k];
        }
        let (beta, tau) = reflector(b[(k + 1) * n + k], &mut v[1..]);
        v[0] = 1.0;
        d[k] = b[k * n + k];
        e[k] = beta;
        if tau == 0.0 {
            continue;
        }
        let block = &b[(k + 1) * n + k + 1..];
        // w = τ·B·v from the lower triangle.
        lower_symmetric_product(block, n, v, w);
        w.iter_mut().for_each(|x| *x *= tau);
        // w ← w − (τ/2)(wᵀv)·v, then B ← B − v·wᵀ − w·vᵀ on the lower triangle.
        let alpha = -0.5 * tau * w.iter().zip(v.iter()).map(|(x, y)| x * y).sum::<f64>();
        w.iter_mut().zip(v.iter()).for_each(|(x, y)| *x += alpha * y);
        for t in 0..m {
            let (vt, wt) = (v[t], w[t]);
            let start = (k + 1 + t) * n + k + 1;
            let cells = &mut b[start..=start + t];
            for ((x, vc), wc) in cells.iter_mut().zip(&v[..=t]).zip(&w[..=t]) {
                *x -= vt * wc + wt * vc;
            }
        }
    }
    if n >= 2 {
        d[n - 2] = b[(n - 2) * n + n - 2];
        e[n - 2] = b[(n - 1) * n + n - 2];
    }
    if n >= 1 {
        d[n - 1] = b[n * n - 1];
    }
    (d, e)
}

/// Rows of the lower triangle that [`lower_symmetric_product`] walks together.
const ROWS_TOGETHER: usize = 4;

/// `w = B·v` for the symmetric `m × m` block `B` (`m = v.len()`) whose row `t` starts at
/// `block[t·stride]`, read from its lower triangle: each stored entry serves its row and its
/// column. Sums run as in the textbook row loop: row `t`'s dot product over columns ascending,
/// then `w[t]` receives it plus the diagonal term, and `w[c]` gathers row `t`'s column terms for
/// `t` ascending. [`ROWS_TOGETHER`] rows walk their columns together, so that their dot products,
/// each still summed in column order, form independent chains instead of one long one.
#[inline(always)]
fn lower_symmetric_product(block: &[f64], stride: usize, v: &[f64], w: &mut [f64]) {
    let m = v.len();
    w.fill(0.0);
    let mut first = 0;
    while first < m {
        let rows = ROWS_TOGETHER.min(m - first);
        let mut dot = [0.0; ROWS_TOGETHER];
        if rows == ROWS_TOGETHER {
            // Columns left of the rows' triangle: dot products, then column terms.
            let r: [&[f64]; ROWS_TOGETHER] = std::array::from_fn(|j| &block[(first + j) * stride..][..first]);
            for ((((&vc, x0), x1), x2), x3) in v[..first].iter().zip(r[0]).zip(r[1]).zip(r[2]).zip(r[3]) {
                dot[0] += x0 * vc;
                dot[1] += x1 * vc;
                dot[2] += x2 * vc;
                dot[3] += x3 * vc;
            }
            let vt: [f64; ROWS_TOGETHER] = std::array::from_fn(|j| v[first + j]);
            for ((((wc, x0), x1), x2), x3) in w[..first].iter_mut().zip(r[0]).zip(r[1]).zip(r[2]).zip(r[3]) {
                *wc += x0 * vt[0];
                *wc += x1 * vt[1];
                *wc += x2 * vt[2];
                *wc += x3 * vt[3];
            }
        }
        // The rows' triangle (all columns when the rows are the last few), row by row.
        let from = if rows == ROWS_TOGETHER { first } else { 0 };
        for (j, dot) in dot.iter_mut().enumerate().take(rows) {
            let t = first + j;
            let row = &block[t * stride..][..=t];
            let vt = v[t];
            let (w_before, w_rest) = w.split_at_mut(t);
            for ((x, vc), wc) in row[from..t].iter().zip(&v[from..t]).zip(&mut w_before[from..]) {
                *dot += x * vc;
                *wc += x * vt;
            }
            w_rest[0] += *dot + row[t] * vt;
        }
        first += rows;
    }
}

/// A square matrix, row-major.
struct Matrix {
    n: usize,
    a: Vec<f64>,
}

impl Matrix {
    #[inline]
    fn at(&self, r: usize, c: usize) -> f64 {
        self.a[r * self.n + c]
    }

    #[inline]
    fn set(&mut self, r: usize, c: usize, x: f64) {
        self.a[r * self.n + c] = x;
    }

    /// Row `r`, columns `first..=last`.
    #[inline]
    fn row(&mut self, r: usize, first: usize, last: usize) -> &mut [f64] {
        &mut self.a[r * self.n + first..=r * self.n + last]
    }

    /// LAPACK `dgebal` with job `'B'`: permutes rows and columns that isolate an eigenvalue to
    /// the ends, then scales the remaining block by powers of 2. Returns the active block
    /// `lo..=hi`; the diagonal outside it holds eigenvalues.
    fn balance(&mut self) -> (usize, usize) {
        let n = self.n;
        let (mut lo, mut hi) = (0, n - 1);
        // A row whose off-diagonal entries in columns 0..=hi are zero isolates its diagonal entry:
        // move it to the bottom of the block.
        while let Some(j) = (0..=hi).rev().find(|&j| (0..=hi).all(|c| c == j || self.at(j, c) == 0.0)) {
            self.exchange(j, hi, lo, hi);
            if hi == 0 {
                return (lo, hi);
            }
            hi -= 1;
        }
        // Likewise a column, moved to the top.
        while let Some(j) = (lo..=hi).find(|&j| (lo..=hi).all(|r| r == j || self.at(r, j) == 0.0)) {
            self.exchange(j, lo, lo, hi);
            lo += 1;
        }
        if lo > hi {
            return (lo, hi);
        }

        let sfmin1 = SAFE_MIN / ULP;
        let sfmax1 = 1.0 / sfmin1;
        let sfmin2 = sfmin1 * 2.0;
        let sfmax2 = 1.0 / sfmin2;
        let mut scale = vec![1.0; n];
        let mut converged = false;
        while !converged {
            converged = true;
            for (i, scale) in scale.iter_mut().enumerate().take(hi + 1).skip(lo) {
                let mut c = (lo..=hi).map(|r| self.at(r, i).powi(2)).sum::<f64>().sqrt();
                let mut r = (lo..=hi).map(|c| self.at(i, c).powi(2)).sum::<f64>().sqrt();
                let mut ca = (0..=hi).map(|r| self.at(r, i).abs()).fold(0.0, f64::max);
                let mut ra = (lo..n).map(|c| self.at(i, c).abs()).fold(0.0, f64::max);
                if c == 0.0 || r == 0.0 {
                    continue;
                }
                let s = c + r;
                let mut f = 1.0f64;
                let mut g = r / 2.0;
                while c < g && f.max(c).max(ca) < sfmax2 && r.min(g).min(ra) > sfmin2 {
                    (f, c, ca, r, g, ra) = (f * 2.0, c * 2.0, ca * 2.0, r / 2.0, g / 2.0, ra / 2.0);
                }
                g = c / 2.0;
                while g >= r && r.max(ra) < sfmax2 && f.min(c).min(g).min(ca) > sfmin2 {
                    (f, c, g, ca, r, ra) = (f / 2.0, c / 2.0, g / 2.0, ca / 2.0, r * 2.0, ra * 2.0);
                }
                if c + r >= BALANCE_FACTOR * s
                    || (f < 1.0 && *scale < 1.0 && f * *scale <= sfmin1)
                    || (f > 1.0 && *scale > 1.0 && *scale >= sfmax1 / f)
                {
                    continue;
                }
                *scale *= f;
                converged = false;
                self.row(i, lo, n - 1).iter_mut().for_each(|x| *x /= f);
                for row in 0..=hi {
                    self.a[row * n + i] *= f;
                }
            }
        }
        (lo, hi)
    }

    /// Swaps columns `j` and `m` in rows `0..=hi` and rows `j` and `m` in columns `lo..n` (a
    /// symmetric permutation, as `dgebal` applies it).
    fn exchange(&mut self, j: usize, m: usize, lo: usize, hi: usize) {
        if j == m {
            return;
        }
        let n = self.n;
        for r in 0..=hi {
            self.a.swap(r * n + j, r * n + m);
        }
        for c in lo..n {
            self.a.swap(j * n + c, m * n + c);
        }
    }

    /// LAPACK `dgehd2` on the block `lo..=hi`: Householder reflectors `I − τ·v·vᵀ` annihilate
    /// each column below its subdiagonal. Rows and columns outside the block are left alone
    /// (they do not change the block's eigenvalues).
    fn reduce_to_hessenberg(&mut self, lo: usize, hi: usize) {
        let n = self.n;
        let mut v = vec![0.0; n];
        let mut w = vec![0.0; n];
        for i in lo..hi {
            // v = (1, x) with x from rows i+2..=hi of column i; β replaces A(i+1, i).
            let len = hi - i;
            let v = &mut v[..len];
            for (t, x) in v.iter_mut().enumerate().skip(1) {
                *x = self.at(i + 1 + t, i);
            }
            let (beta, tau) = reflector(self.at(i + 1, i), &mut v[1..]);
            v[0] = 1.0;
            if tau != 0.0 {
                // From the right: rows lo..=hi, columns i+1..=hi.
                for r in lo..=hi {
                    let row = self.row(r, i + 1, hi);
                    let s: f64 = row.iter().zip(v.iter()).map(|(x, y)| x * y).sum();
                    row.iter_mut().zip(v.iter()).for_each(|(x, y)| *x -= tau * s * y);
                }
                // From the left: rows i+1..=hi, columns i+1..=hi.
                let w = &mut w[..len];
                w.fill(0.0);
                for (t, &vt) in v.iter().enumerate() {
                    let row = self.row(i + 1 + t, i + 1, hi);
                    w.iter_mut().zip(row.iter()).for_each(|(s, x)| *s += vt * x);
                }
                for (t, &vt) in v.iter().enumerate() {
                    let row = self.row(i + 1 + t, i + 1, hi);
                    row.iter_mut().zip(w.iter()).for_each(|(x, s)| *x -= tau * vt * s);
                }
            }
            self.set(i + 1, i, beta);
            for r in i + 2..=hi {
                self.set(r, i, 0.0);
            }
        }
    }

    /// LAPACK `dlahqr` without Schur vectors on the Hessenberg block `lo..=hi`: writes the
    /// block's eigenvalues to `out[lo..=hi]`; `None` if a deflation takes more than
    /// 30·max(10, n) iterations.
    fn hessenberg_qr(&mut self, lo: usize, hi: usize, out: &mut [Eigenvalue]) -> Option<()> {
        if lo > hi {
            return Some(());
        }
        let size = hi - lo + 1;
        let small = SAFE_MIN * (size as f64 / ULP);
        let max_iterations = 30 * size.max(10);
        let mut since_deflation = 0;
        // The block still to be solved is lo..end; its last row is i = end − 1.
        let mut end = hi + 1;
        while end > lo {
            let i = end - 1;
            let mut top = lo;
            let mut split = false;
            for _ in 0..=max_iterations {
                top = self.split_point(lo, hi, top, i, small);
                if top > lo {
                    self.set(top, top - 1, 0.0);
                }
                if top + 1 >= i {
                    split = true;
                    break;
                }
                since_deflation += 1;
                let shifts = self.shifts(top, i, since_deflation);
                self.francis_step(top, i, shifts);
            }
            if !split {
                return None;
            }
            if top == i {
                out[i] = (self.at(i, i), 0.0);
            } else {
                let [first, second] = block_eigenvalues(
                    self.at(i - 1, i - 1),
                    self.at(i - 1, i),
                    self.at(i, i - 1),
                    self.at(i, i),
                );
                out[i - 1] = first;
                out[i] = second;
            }
            since_deflation = 0;
            end = top;
        }
        Some(())
    }

    /// Top row of the unreduced block ending at row `i`, searching up from `i` to `top`: the
    /// first `k` whose subdiagonal `H(k, k−1)` is negligible by the Ahues–Tisseur test (LAWN 122).
    fn split_point(&self, lo: usize, hi: usize, top: usize, i: usize, small: f64) -> usize {
        let mut k = i;
        while k > top {
            let sub = self.at(k, k - 1).abs();
            if sub <= small {
                break;
            }
            let (d0, d1) = (self.at(k - 1, k - 1), self.at(k, k));
            let mut tst = d0.abs() + d1.abs();
            if tst == 0.0 {
                if k >= lo + 2 {
                    tst += self.at(k - 1, k - 2).abs();
                }
                if k < hi {
                    tst += self.at(k + 1, k).abs();
                }
            }
            if sub <= ULP * tst {
                let sup = self.at(k - 1, k).abs();
                let (ab, ba) = (sub.max(sup), sub.min(sup));
                let (aa, bb) = (d1.abs().max((d0 - d1).abs()), d1.abs().min((d0 - d1).abs()));
                let s = aa + ab;
                if ba * (ab / s) <= small.max(ULP * (bb * (aa / s))) {
                    break;
                }
            }
            k -= 1;
        }
        k
    }

    /// The two shifts of the next step on the block `top..=i`: the eigenvalues of the trailing
    /// 2×2 block (the one nearer `H(i, i)` twice when they are real), or an exceptional pair
    /// after every 10 iterations without a deflation.
    fn shifts(&self, top: usize, i: usize, since_deflation: usize) -> Shifts {
        const AD_HOC_1: f64 = 0.75;
        const AD_HOC_2: f64 = -0.4375;
        let (h11, h12, h21, h22) = if since_deflation % (2 * EXCEPTIONAL_SHIFT_EVERY) == 0 {
            let s = self.at(i, i - 1).abs() + self.at(i - 1, i - 2).abs();
            let h11 = AD_HOC_1 * s + self.at(i, i);
            (h11, AD_HOC_2 * s, s, h11)
        } else if since_deflation % EXCEPTIONAL_SHIFT_EVERY == 0 {
            let s = self.at(top + 1, top).abs() + self.at(top + 2, top + 1).abs();
            let h11 = AD_HOC_1 * s + self.at(top, top);
            (h11, AD_HOC_2 * s, s, h11)
        } else {
            (self.at(i - 1, i - 1), self.at(i - 1, i), self.at(i, i - 1), self.at(i, i))
        };
        let s = h11.abs() + h12.abs() + h21.abs() + h22.abs();
        if s == 0.0 {
            return Shifts { re1: 0.0, im1: 0.0, re2: 0.0, im2: 0.0 };
        }
        let (h11, h12, h21, h22) = (h11 / s, h12 / s, h21 / s, h22 / s);
        let trace = (h11 + h22) / 2.0;
        let det = (h11 - trace) * (h22 - trace) - h12 * h21;
        let root = det.abs().sqrt();
        if det >= 0.0 {
            Shifts { re1: trace * s, im1: root * s, re2: trace * s, im2: -root * s }
        } else {
            let (r1, r2) = (trace + root, trace - root);
            let re = if (r1 - h22).abs() <= (r2 - h22).abs() { r1 * s } else { r2 * s };
            Shifts { re1: re, im1: 0.0, re2: re, im2: 0.0 }
        }
    }

    /// One implicit double-shift QR step on the block `top..=i`, started at the lowest row `m`
    /// from which the step leaves `H(m, m−1)` negligible.
    fn francis_step(&mut self, top: usize, i: usize, sh: Shifts) {
        let mut m = i - 2;
        // First column of (H − μ₁I)(H − μ₂I) from row m, scaled against overflow.
        let mut v = loop {
            let (hmm, hm1m1) = (self.at(m, m), self.at(m + 1, m + 1));
            let s = (hmm - sh.re2).abs() + sh.im2.abs() + self.at(m + 1, m).abs();
            let h21 = self.at(m + 1, m) / s;
            let v = [
                h21 * self.at(m, m + 1) + (hmm - sh.re1) * ((hmm - sh.re2) / s) - sh.im1 * (sh.im2 / s),
                h21 * (hmm + hm1m1 - sh.re1 - sh.re2),
                h21 * self.at(m + 2, m + 1),
            ];
            let s = v[0].abs() + v[1].abs() + v[2].abs();
            let v = v.map(|x| x / s);
            if m == top {
                break v;
            }
            let h00 = self.at(m, m - 1).abs() * (v[1].abs() + v[2].abs());
            let h01 = ULP * v[0].abs() * (self.at(m - 1, m - 1).abs() + hmm.abs() + hm1m1.abs());
            if h00 <= h01 {
                break v;
            }
            m -= 1;
        };
        let n = self.n;
        for k in m..i {
            let nr = (i - k + 1).min(3);
            if k > m {
                v = [
                    self.at(k, k - 1),
                    self.at(k + 1, k - 1),
                    if nr == 3 { self.at(k + 2, k - 1) } else { 0.0 },
                ];
            }
            let (beta, t1) = reflector(v[0], &mut v[1..nr]);
            if k > m {
                self.set(k, k - 1, beta);
                self.set(k + 1, k - 1, 0.0);
                if k + 1 < i {
                    self.set(k + 2, k - 1, 0.0);
                }
            } else if m > top {
                // −H(k, k−1) written so that it stays right when v₂ and v₃ underflow (dlahqr).
                let x = self.at(k, k - 1) * (1.0 - t1);
                self.set(k, k - 1, x);
            }
            let (v2, t2) = (v[1], t1 * v[1]);
            if nr == 3 {
                let (v3, t3) = (v[2], t1 * v[2]);
                // From the left: rows k..k+2, columns k..=i.
                let (head, tail) = self.a.split_at_mut((k + 1) * n);
                let (mid, rest) = tail.split_at_mut(n);
                let r0 = &mut head[k * n + k..=k * n + i];
                let r1 = &mut mid[k..=i];
                let r2 = &mut rest[k..=i];
                for ((x0, x1), x2) in r0.iter_mut().zip(r1.iter_mut()).zip(r2.iter_mut()) {
                    let sum = *x0 + v2 * *x1 + v3 * *x2;
                    *x0 -= sum * t1;
                    *x1 -= sum * t2;
                    *x2 -= sum * t3;
                }
                // From the right: rows top..=min(k+3, i), columns k..k+2.
                for r in top..=(k + 3).min(i) {
                    let x = &mut self.a[r * n + k..r * n + k + 3];
                    let sum = x[0] + v2 * x[1] + v3 * x[2];
                    x[0] -= sum * t1;
                    x[1] -= sum * t2;
                    x[2] -= sum * t3;
                }
            } else if nr == 2 {
                let (head, tail) = self.a.split_at_mut((k + 1) * n);
                let r0 = &mut head[k * n + k..=k * n + i];
                let r1 = &mut tail[k..=i];
                for (x0, x1) in r0.iter_mut().zip(r1.iter_mut()) {
                    let sum = *x0 + v2 * *x1;
                    *x0 -= sum * t1;
                    *x1 -= sum * t2;
                }
                for r in top..=i {
                    let x = &mut self.a[r * n + k..r * n + k + 2];
                    let sum = x[0] + v2 * x[1];
                    x[0] -= sum * t1;
                    x[1] -= sum * t2;
                }
            }
        }
    }
}

/// A pair of shifts `re1 ± i·im1`, `re2 ± i·im2` for a double-shift step.
#[derive(Debug, Clone, Copy)]
struct Shifts {
    re1: f64,
    im1: f64,
    re2: f64,
    im2: f64,
}

/// `√(a² + b²)`: the plain formula where the squares neither overflow nor lose precision to
/// underflow, `hypot` (several times slower) elsewhere.
#[inline]
fn pythag(a: f64, b: f64) -> f64 {
    /// Sums of squares in this range keep full precision.
    const SAFE: std::ops::RangeInclusive<f64> = 1e-290..=1e290;
    let squares = a * a + b * b;
    if SAFE.contains(&squares) {
        squares.sqrt()
    } else {
        a.hypot(b)
    }
}

/// LAPACK `dlarfg`: the reflector `I − τ·(1, v)·(1, v)ᵀ` that maps `(alpha, x)` to `(β, 0)`.
/// Overwrites `x` with `v` and returns `(β, τ)`; `τ = 0` (identity) when `x` is 0.
fn reflector(alpha: f64, x: &mut [f64]) -> (f64, f64) {
    let norm = |x: &[f64]| x.iter().map(|c| c * c).sum::<f64>().sqrt();
    let mut xnorm = norm(x);
    if xnorm == 0.0 {
        return (alpha, 0.0);
    }
    let mut alpha = alpha;
    let mut beta = -pythag(alpha, xnorm).copysign(alpha);
    // Rescale when β is so small that 1/(α − β) would lose accuracy (dlamch('S')/dlamch('E')).
    let safe_min = SAFE_MIN / (ULP / 2.0);
    let mut rescaled = 0;
    while beta.abs() < safe_min && rescaled < 20 {
        rescaled += 1;
        x.iter_mut().for_each(|c| *c /= safe_min);
        beta /= safe_min;
        alpha /= safe_min;
    }
    if rescaled > 0 {
        xnorm = norm(x);
        beta = -pythag(alpha, xnorm).copysign(alpha);
    }
    let tau = (beta - alpha) / beta;
    let scale = 1.0 / (alpha - beta);
    x.iter_mut().for_each(|c| *c *= scale);
    for _ in 0..rescaled {
        beta *= safe_min;
    }
    (beta, tau)
}

/// LAPACK `dlanv2`: the eigenvalues of `[[a, b], [c, d]]` through its standardised Schur form, so
/// that a pair counts as complex exactly when LAPACK's does.
fn block_eigenvalues(a: f64, b: f64, c: f64, d: f64) -> [Eigenvalue; 2] {
    /// Eigenvalues closer than this many ulps are decided after equalising the diagonal.
    const MULTIPLE: f64 = 4.0;
    let sign = |x: f64| 1.0f64.copysign(x);
    let (mut a, mut b, mut c, mut d) = (a, b, c, d);
    if c == 0.0 {
    } else if b == 0.0 {
        // Swap rows and columns.
        (a, b, c, d) = (d, -c, 0.0, a);
    } else if a - d == 0.0 && sign(b) != sign(c) {
    } else {
        let temp = a - d;
        let p = 0.5 * temp;
        let bcmax = b.abs().max(c.abs());
        let bcmis = b.abs().min(c.abs()) * sign(b) * sign(c);
        let scale = p.abs().max(bcmax);
        let z = (p / scale) * p + (bcmax / scale) * bcmis;
        if z >= MULTIPLE * ULP {
            // Real eigenvalues.
            let z = p + (scale.sqrt() * z.sqrt()).copysign(p);
            a = d + z;
            d -= (bcmax / z) * bcmis;
            c = 0.0;
        } else {
            // Complex or nearly equal real eigenvalues: rotate to equal diagonal entries.
            let sigma = b + c;
            let tau = sigma.hypot(temp);
            let cs = (0.5 * (1.0 + sigma.abs() / tau)).sqrt();
            let sn = -(p / (tau * cs)) * sign(sigma);
            let (aa, bb, cc, dd) = (a * cs + b * sn, -a * sn + b * cs, c * cs + d * sn, -c * sn + d * cs);
            b = bb * cs + dd * sn;
            c = -aa * sn + cc * cs;
            let mean = 0.5 * ((aa * cs + cc * sn) + (-bb * sn + dd * cs));
            (a, d) = (mean, mean);
            if c != 0.0 {
                if b != 0.0 {
                    if sign(b) == sign(c) {
                        // Real after all.
                        let p = (b.abs().sqrt() * c.abs().sqrt()).copysign(c);
                        (a, d) = (mean + p, mean - p);
                        c = 0.0;
                    }
                } else {
                    b = -c;
                    c = 0.0;
                }
            }
        }
    }
    if c == 0.0 {
        [(a, 0.0), (d, 0.0)]
    } else {
        let im = b.abs().sqrt() * c.abs().sqrt();
        [(a, im), (d, -im)]
    }
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

    #[test]
    fn isolated_rows_and_columns_are_permuted_out() {
        // Row 0 has no off-diagonal entry (eigenvalue 5), column 2 neither (eigenvalue 7);
        // the remaining block, rows and columns 1 and 3, is [[1, 2], [3, 4]].
        let a = [
            5.0, 0.0, 0.0, 0.0, //
            1.0, 1.0, 0.0, 2.0, //
            2.0, 3.0, 7.0, 1.0, //
            4.0, 3.0, 0.0, 4.0, //
        ];
        // Block eigenvalues: (5 ± √(9 + 24))/2.
        let root = 33f64.sqrt();
        let got = sorted(eigenvalues(&a, 4).unwrap());
        assert_close(
            &got,
            &sorted(vec![((5.0 - root) / 2.0, 0.0), ((5.0 + root) / 2.0, 0.0), (5.0, 0.0), (7.0, 0.0)]),
            1e-14,
        );
    }

    #[test]
    fn non_finite_entries_give_none() {
        assert_eq!(eigenvalues(&[1.0, f64::NAN, 0.0, 1.0], 2), None);
        assert_eq!(eigenvalues(&[f64::INFINITY], 1), None);
    }

    #[test]
    fn symmetric_solver_matches_the_closed_form_of_a_scrambled_tridiagonal_matrix() {
        // Symmetric tridiagonal with diagonal 2 and off-diagonal −1 (the 1-D Laplacian):
        // eigenvalues 2 − 2·cos(kπ/(n+1)), k = 1..n, renumbered by i → 7i mod n.
        let n = 30;
        let perm = |i: usize| (7 * i) % n;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[perm(i) * n + perm(i)] = 2.0;
            if i + 1 < n {
                a[perm(i) * n + perm(i + 1)] = -1.0;
                a[perm(i + 1) * n + perm(i)] = -1.0;
            }
        }
        let got = symmetric_largest_eigenvalues(&a, n, n).unwrap();
        let mut expected: Vec<f64> =
            (1..=n).map(|k| 2.0 - 2.0 * (k as f64 * std::f64::consts::PI / (n + 1) as f64).cos()).collect();
        expected.sort_by(f64::total_cmp);
        for (g, e) in got.iter().zip(&expected) {
            assert!((g - e).abs() < 1e-14, "{got:?} vs {expected:?}");
        }
        // The largest three alone, and more than there are.
        let top = symmetric_largest_eigenvalues(&a, n, 3).unwrap();
        assert_eq!(top.len(), 3);
        for (g, e) in top.iter().zip(&expected[n - 3..]) {
            assert!((g - e).abs() < 1e-14, "{top:?} vs {expected:?}");
        }
        assert_eq!(symmetric_largest_eigenvalues(&a, n, n + 5).unwrap().len(), n);
    }

    #[test]
    fn symmetric_solver_small_and_degenerate_cases() {
        assert_eq!(symmetric_largest_eigenvalues(&[], 0, 3), Some(vec![]));
        assert_eq!(symmetric_largest_eigenvalues(&[-3.0], 1, 3), Some(vec![-3.0]));
        let got = symmetric_largest_eigenvalues(&[1.0, 2.0, 2.0, 1.0], 2, 3).unwrap();
        assert!((got[0] + 1.0).abs() < 1e-15 && (got[1] - 3.0).abs() < 1e-15, "{got:?}");
        // Rank one, u·uᵀ with u = (1, 2, 2): eigenvalues 0, 0, 9. Only the lower triangle is read.
        let a = [1.0, 99.0, 99.0, 2.0, 4.0, 99.0, 2.0, 4.0, 4.0];
        let got = symmetric_largest_eigenvalues(&a, 3, 3).unwrap();
        assert!(got[0].abs() < 1e-14 && got[1].abs() < 1e-14 && (got[2] - 9.0).abs() < 1e-14, "{got:?}");
        assert_eq!(symmetric_largest_eigenvalues(&[f64::NAN], 1, 3), None);
    }

    /// The row loop that [`lower_symmetric_product`] reorders: one row at a time.
    fn row_by_row_product(block: &[f64], stride: usize, v: &[f64]) -> Vec<f64> {
        let mut w = vec![0.0; v.len()];
        for t in 0..v.len() {
            let row = &block[t * stride..][..=t];
            let mut dot = 0.0;
            for c in 0..t {
                dot += row[c] * v[c];
                w[c] += row[c] * v[t];
            }
            w[t] += dot + row[t] * v[t];
        }
        w
    }

    #[test]
    fn rows_walked_together_sum_as_the_row_loop_does() {
        let mut random = crate::test_random::Random::new(0x5eed_0001);
        for m in 1..40 {
            let stride = m + random.below(5);
            let block: Vec<f64> = (0..m * stride).map(|_| random.value()).collect();
            let v: Vec<f64> = (0..m).map(|_| random.value()).collect();
            let mut w = vec![f64::NAN; m];
            lower_symmetric_product(&block, stride, &v, &mut w);
            let bits = |x: &[f64]| x.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&w), bits(&row_by_row_product(&block, stride, &v)), "m = {m}");
        }
    }
}

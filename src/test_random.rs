//! A reproducible stream of pseudo-random test inputs (xorshift64*), shared by the unit tests that
//! compare a fast path with its obvious definition on random data; no dependency, no global state.

/// The stream; the same seed always gives the same values.
pub(crate) struct Random(u64);

impl Random {
    /// A stream started from `seed` (0 is replaced by 1, xorshift's one forbidden state).
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 bits.
    pub(crate) fn bits(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A count in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.bits() % n as u64) as usize
    }

    /// A uniform value in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A value in `[−1, 1)` scaled by a power of two in 2⁻²⁰..2²⁰, so that sums of them round.
    pub(crate) fn value(&mut self) -> f64 {
        let unit = self.unit() * 2.0 - 1.0;
        let exponent = (self.bits() % 41) as i32 - 20;
        unit * 2f64.powi(exponent)
    }
}

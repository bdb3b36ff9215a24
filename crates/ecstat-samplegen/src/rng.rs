//! Owns the deterministic random source: a hand-written SplitMix64.
//!
//! Written out here rather than taken from `rand` so that a given seed yields
//! byte-identical sample files forever, whatever happens to upstream crates.

/// SplitMix64 (Steele, Lea & Flood 2014), the seeding generator of xoshiro.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// An independent stream for one named purpose (e.g. one output file), so
    /// that changing how much one file draws never shifts another file.
    pub fn stream(seed: u64, label: &str) -> Self {
        // FNV-1a over the label, then mixed with the seed.
        let mut h: u64 = 0xCBF2_9CE4_8422_2325;
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
        let mut mixer = Self::new(seed ^ h);
        Self::new(mixer.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`). Multiply-shift keeps it branch-free; the
    /// bias is below 2^-40 for the ranges used here.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi - lo) as u64 + 1;
        lo + self.below(span) as i64
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Index drawn proportionally to `weights` (non-empty, positive sum).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        pick_weighted(weights, self.unit())
    }
}

/// Index whose cumulative-weight interval contains `u` in `[0, 1)`.
pub fn pick_weighted(weights: &[f64], u: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = u * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Additive-recurrence (Weyl) sequence `frac(x0 + k·step)`.
///
/// Used instead of independent draws for the quantities that decide sales
/// value (shop, product, price, quantity, status): its running mean converges
/// like 1/n rather than 1/√n, so each year's value lands on the planned growth
/// path instead of wandering several percent with the seed. Different
/// irrational steps per quantity keep them jointly equidistributed.
#[derive(Debug, Clone)]
pub struct Weyl {
    x: f64,
    step: f64,
}

impl Weyl {
    pub fn new(step: f64, rng: &mut SplitMix64) -> Self {
        Self {
            x: rng.unit(),
            step: step.fract(),
        }
    }

    pub fn next(&mut self) -> f64 {
        self.x += self.step;
        if self.x >= 1.0 {
            self.x -= 1.0;
        }
        self.x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values_are_stable() {
        // Published SplitMix64 outputs for seed 1234567.
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn weyl_mean_converges_fast() {
        let mut r = SplitMix64::new(5);
        let mut w = Weyl::new(std::f64::consts::SQRT_2, &mut r);
        let mean = (0..1000).map(|_| w.next()).sum::<f64>() / 1000.0;
        assert!((mean - 0.5).abs() < 0.005, "{mean}");
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(7);
        for n in [1u64, 2, 3, 10, 1_000_000_007] {
            for _ in 0..1000 {
                assert!(r.below(n) < n);
            }
        }
    }
}

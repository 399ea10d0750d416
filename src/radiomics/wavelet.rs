//! The PyRadiomics 3.x `Wavelet` image type (`imageoperations.getWaveletImage` / `_swt3`), computed
//! only on the box a region needs instead of on the whole volume.
//!
//! PyRadiomics pads every odd axis by one voxel with `numpy.pad(…, 'wrap')` (the extra voxel
//! repeats index 0), then runs `pywt.swtn(data, wavelet, level=1, start_level=0, axes=(2, 1, 0))`
//! once per pass with PyWavelets' defaults `trim_approx=False, norm=False` (raw `dec_lo`/`dec_hi`,
//! no 1/√2 rescaling). Each pass feeds its all-low approximation to the next one; because every
//! call uses `level=1, start_level=0`, the filters are **not** upsampled at later levels (no
//! "à trous" holes), unlike `pywt.swtn(…, level=2)`. One pass along axis `a` with a filter `h` of
//! `F` taps is PyWavelets' periodic stationary convolution (`_downsampling_convolution_periodization`
//! with step 1 in `pywt/_extensions/c/convolution.template.c`):
//!
//! ```text
//! N'ₐ   = nₐ + (nₐ mod 2)                      padded length of axis a (nₐ voxels in the volume)
//! x'[p] = x[p] for p < nₐ,  x'[nₐ] = x[0]      the 'wrap' padding of an odd axis
//! y[c]  = Σ_{t=0}^{F−1} h[t] · x'[(c + ⌊F/2⌋ − t) mod N'ₐ]        c = 0 .. N'ₐ−1
//! ```
//!
//! A pass filters along `i`, then `j`, then `k`, each with `dec_lo` ('a', named L) and `dec_hi`
//! ('d', named H), giving 8 bands keyed in that axis order: the first letter of `wavelet-LLH` is
//! the `i` (x) axis and the H is along `k` (z), because PyRadiomics passes `axes=(2, 1, 0)` for
//! NumPy's `[k][j][i]` arrays. With `T = start_level + level` passes, the output is, in
//! PyRadiomics' yield order: for each pass `p = start_level+1 ..= T`, its 7 detail bands `LLH,
//! LHL, LHH, HLL, HLH, HHL, HHH` named `wavelet-XYZ` for the first output pass and `wavelet{idx}-XYZ`
//! after (`idx` counts output passes from 1); then the last pass's `LLL`, named `wavelet-LLL` when
//! `level` is 1 and `wavelet{level}-LLL` otherwise. Results are cropped back to the unpadded grid.
//!
//! # Region-only evaluation
//! Output at coordinate `c` reads `c − (F − 1 − ⌊F/2⌋) ..= c + ⌊F/2⌋` of the previous pass, so the
//! `T` passes need the region grown by `T·(F−1−⌊F/2⌋)` below and `T·⌊F/2⌋` above on each axis.
//! Coordinates are kept unwrapped (they may be negative or ≥ `N'ₐ`) and mapped `mod N'ₐ` only
//! when reading the padded volume, which reproduces the periodic wrap where the region touches
//! an edge. Should a pass's range along an axis exceed `N'ₐ` (many passes on a short axis), that
//! pass holds the whole period instead and the next one reads it modulo `N'ₐ`. Each sum runs over
//! `t` ascending from 0.0 like PyWavelets' inner loop, so interior values are bit-identical; at
//! the wrap PyWavelets visits taps in another order (last-bit differences).
//!
//! PyWavelets filters `float32` images in `float32`; this module always works in `f64`, so it
//! matches PyRadiomics exactly for integer and `float64` images (every CT and MR in practice).
//! Sources: PyRadiomics 3.1 `radiomics/imageoperations.py`; PyWavelets 1.8 `pywt/_swt.py`
//! (`swtn`) and the C convolution above.

use std::f64::consts::FRAC_1_SQRT_2;
use std::fmt;
use std::str::FromStr;

use super::settings::WaveletParams;
use crate::image::BoundingBox;

/// The most passes (`start_level + level`) accepted: beyond this the growing box spans whole
/// axes and the work approaches that of filtering the whole volume once per pass.
pub const MAX_PASSES: u32 = 16;

/// A named orthogonal filter bank, with the exact decomposition filters PyWavelets uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wavelet {
    /// Haar (PyWavelets `haar`, also accepted as `db1`, whose filters are identical).
    Haar,
    /// Daubechies with 2 vanishing moments (`db2`).
    Db2,
    /// Daubechies with 3 vanishing moments (`db3`).
    Db3,
    /// Daubechies with 4 vanishing moments (`db4`).
    Db4,
    /// Symlet with 2 vanishing moments (`sym2`).
    Sym2,
    /// Symlet with 3 vanishing moments (`sym3`).
    Sym3,
    /// Symlet with 4 vanishing moments (`sym4`).
    Sym4,
    /// Coiflet 1 (`coif1`), PyRadiomics' default.
    Coif1,
    /// Coiflet 2 (`coif2`).
    Coif2,
}

// Filter taps: PyWavelets 1.8 `pywt.Wavelet(name).dec_lo` / `.dec_hi`, printed with `repr` (which
// round-trips f64 exactly). PyWavelets applies `dec_lo[t]` to input `c + ⌊F/2⌋ − t`.
// Haar's taps print as 0.7071067811865476, the same f64 as `FRAC_1_SQRT_2`.
const HAAR_LO: [f64; 2] = [FRAC_1_SQRT_2, FRAC_1_SQRT_2];
const HAAR_HI: [f64; 2] = [-FRAC_1_SQRT_2, FRAC_1_SQRT_2];
const DB2_LO: [f64; 4] = [-0.12940952255126037, 0.2241438680420134, 0.8365163037378079, 0.48296291314453416];
const DB2_HI: [f64; 4] =
    [-0.48296291314453416, 0.8365163037378079, -0.2241438680420134, -0.12940952255126037];
const DB3_LO: [f64; 6] = [
    0.03522629188570953,
    -0.08544127388202666,
    -0.13501102001025458,
    0.45987750211849154,
    0.8068915093110925,
    0.33267055295008263,
];
const DB3_HI: [f64; 6] = [
    -0.33267055295008263,
    0.8068915093110925,
    -0.45987750211849154,
    -0.13501102001025458,
    0.08544127388202666,
    0.03522629188570953,
];
const DB4_LO: [f64; 8] = [
    -0.010597401785069032,
    0.0328830116668852,
    0.030841381835560764,
    -0.18703481171909309,
    -0.027983769416859854,
    0.6308807679298589,
    0.7148465705529157,
    0.2303778133088965,
];
const DB4_HI: [f64; 8] = [
    -0.2303778133088965,
    0.7148465705529157,
    -0.6308807679298589,
    -0.027983769416859854,
    0.18703481171909309,
    0.030841381835560764,
    -0.0328830116668852,
    -0.010597401785069032,
];
const SYM2_LO: [f64; 4] = [-0.12940952255092145, 0.22414386804185735, 0.836516303737469, 0.48296291314469025];
const SYM2_HI: [f64; 4] =
    [-0.48296291314469025, 0.836516303737469, -0.22414386804185735, -0.12940952255092145];
const SYM3_LO: [f64; 6] = [
    0.035226291882100656,
    -0.08544127388224149,
    -0.13501102001039084,
    0.4598775021193313,
    0.8068915093133388,
    0.3326705529509569,
];
const SYM3_HI: [f64; 6] = [
    -0.3326705529509569,
    0.8068915093133388,
    -0.4598775021193313,
    -0.13501102001039084,
    0.08544127388224149,
    0.035226291882100656,
];
const SYM4_LO: [f64; 8] = [
    -0.07576571478927333,
    -0.02963552764599851,
    0.49761866763201545,
    0.8037387518059161,
    0.29785779560527736,
    -0.09921954357684722,
    -0.012603967262037833,
    0.0322231006040427,
];
const SYM4_HI: [f64; 8] = [
    -0.0322231006040427,
    -0.012603967262037833,
    0.09921954357684722,
    0.29785779560527736,
    -0.8037387518059161,
    0.49761866763201545,
    0.02963552764599851,
    -0.07576571478927333,
];
const COIF1_LO: [f64; 6] = [
    -0.015655728135791993,
    -0.07273261951252645,
    0.3848648468648578,
    0.8525720202116004,
    0.3378976624574818,
    -0.07273261951252645,
];
const COIF1_HI: [f64; 6] = [
    0.07273261951252645,
    0.3378976624574818,
    -0.8525720202116004,
    0.3848648468648578,
    0.07273261951252645,
    -0.015655728135791993,
];
const COIF2_LO: [f64; 12] = [
    -0.000720549445520347,
    -0.0018232088709110323,
    0.005611434819368834,
    0.02368017194684777,
    -0.05943441864643109,
    -0.07648859907828076,
    0.4170051844232391,
    0.8127236354494135,
    0.3861100668227629,
    -0.0673725547237256,
    -0.04146493678687178,
    0.01638733646320364,
];
const COIF2_HI: [f64; 12] = [
    -0.01638733646320364,
    -0.04146493678687178,
    0.0673725547237256,
    0.3861100668227629,
    -0.8127236354494135,
    0.4170051844232391,
    0.07648859907828076,
    -0.05943441864643109,
    -0.02368017194684777,
    0.005611434819368834,
    0.0018232088709110323,
    -0.000720549445520347,
];

impl Wavelet {
    /// Every supported filter bank.
    pub const ALL: [Wavelet; 9] = [
        Wavelet::Haar,
        Wavelet::Db2,
        Wavelet::Db3,
        Wavelet::Db4,
        Wavelet::Sym2,
        Wavelet::Sym3,
        Wavelet::Sym4,
        Wavelet::Coif1,
        Wavelet::Coif2,
    ];

    /// Parses a PyWavelets name (`"coif1"`, `"haar"`, `"db1"` … as in PyRadiomics' `wavelet`
    /// setting).
    pub fn from_name(name: &str) -> Result<Wavelet, WaveletError> {
        if name == "db1" {
            return Ok(Wavelet::Haar);
        }
        Wavelet::ALL.into_iter().find(|w| w.name() == name).ok_or_else(|| WaveletError::UnknownWavelet {
            name: name.to_string(),
            supported: Wavelet::ALL.map(Wavelet::name).join(", "),
        })
    }

    /// The PyWavelets name.
    pub fn name(self) -> &'static str {
        match self {
            Wavelet::Haar => "haar",
            Wavelet::Db2 => "db2",
            Wavelet::Db3 => "db3",
            Wavelet::Db4 => "db4",
            Wavelet::Sym2 => "sym2",
            Wavelet::Sym3 => "sym3",
            Wavelet::Sym4 => "sym4",
            Wavelet::Coif1 => "coif1",
            Wavelet::Coif2 => "coif2",
        }
    }

    /// Decomposition low-pass filter (PyWavelets `dec_lo`).
    pub fn dec_lo(self) -> &'static [f64] {
        match self {
            Wavelet::Haar => &HAAR_LO,
            Wavelet::Db2 => &DB2_LO,
            Wavelet::Db3 => &DB3_LO,
            Wavelet::Db4 => &DB4_LO,
            Wavelet::Sym2 => &SYM2_LO,
            Wavelet::Sym3 => &SYM3_LO,
            Wavelet::Sym4 => &SYM4_LO,
            Wavelet::Coif1 => &COIF1_LO,
            Wavelet::Coif2 => &COIF2_LO,
        }
    }

    /// Decomposition high-pass filter (PyWavelets `dec_hi`).
    pub fn dec_hi(self) -> &'static [f64] {
        match self {
            Wavelet::Haar => &HAAR_HI,
            Wavelet::Db2 => &DB2_HI,
            Wavelet::Db3 => &DB3_HI,
            Wavelet::Db4 => &DB4_HI,
            Wavelet::Sym2 => &SYM2_HI,
            Wavelet::Sym3 => &SYM3_HI,
            Wavelet::Sym4 => &SYM4_HI,
            Wavelet::Coif1 => &COIF1_HI,
            Wavelet::Coif2 => &COIF2_HI,
        }
    }
}

impl FromStr for Wavelet {
    type Err = WaveletError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Wavelet::from_name(name)
    }
}

impl fmt::Display for Wavelet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// PyRadiomics' `Wavelet` image-type settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaveletSettings {
    /// Filter bank (PyRadiomics `wavelet`, default `coif1`).
    pub wavelet: Wavelet,
    /// Passes run before the first one whose bands are kept (PyRadiomics `start_level`, default 0).
    pub start_level: u32,
    /// Passes whose bands are kept (PyRadiomics `level`, default 1; at least 1).
    pub level: u32,
}

impl Default for WaveletSettings {
    fn default() -> Self {
        WaveletSettings { wavelet: Wavelet::Coif1, start_level: 0, level: 1 }
    }
}

impl WaveletSettings {
    /// Validated settings from the parameter file's `wavelet`, `start_level` and `level`.
    pub fn from_params(params: &WaveletParams) -> Result<WaveletSettings, WaveletError> {
        let settings = WaveletSettings {
            wavelet: Wavelet::from_name(&params.wavelet)?,
            start_level: params.start_level,
            level: params.level,
        };
        settings.passes()?;
        Ok(settings)
    }

    /// Number of passes, `start_level + level`, checked against 1 ≤ `level` and [`MAX_PASSES`].
    fn passes(&self) -> Result<usize, WaveletError> {
        if self.level == 0 {
            return Err(WaveletError::ZeroLevel);
        }
        let passes = u64::from(self.start_level) + u64::from(self.level);
        if passes > u64::from(MAX_PASSES) {
            return Err(WaveletError::TooManyPasses { passes, max: MAX_PASSES });
        }
        Ok(passes as usize)
    }
}

/// One filtered image, restricted to the requested region.
#[derive(Debug, Clone, PartialEq)]
pub struct SubBand {
    /// PyRadiomics image-type name, e.g. `wavelet-LLH` (feature names prefix it to `_glcm_…`).
    pub name: String,
    /// Filtered values inside the region, `i` fastest.
    pub values: Vec<f64>,
}

/// Why the wavelet bands could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaveletError {
    /// The `wavelet` setting names no filter bank this build carries.
    #[error("unknown wavelet '{name}', expected one of: {supported}")]
    UnknownWavelet {
        /// The name given.
        name: String,
        /// The accepted names, comma separated.
        supported: String,
    },
    /// `level` is 0, which would keep no detail band.
    #[error("wavelet level must be at least 1, got 0")]
    ZeroLevel,
    /// `start_level + level` exceeds [`MAX_PASSES`].
    #[error("wavelet start_level + level is {passes}, more than the supported {max}")]
    TooManyPasses {
        /// `start_level + level` as given.
        passes: u64,
        /// [`MAX_PASSES`].
        max: u32,
    },
    /// The region is empty or reaches outside the volume.
    #[error(
        "region ({}, {}, {})..=({}, {}, {}) is empty or outside the volume of {} x {} x {} voxels",
        min[0], min[1], min[2], max[0], max[1], max[2], size[0], size[1], size[2]
    )]
    BadRegion {
        /// Lowest corner of the region.
        min: [usize; 3],
        /// Highest corner of the region.
        max: [usize; 3],
        /// Voxels along each axis of the volume.
        size: [usize; 3],
    },
}

impl crate::error_code::ErrorCode for WaveletError {
    fn code(&self) -> &'static str {
        match self {
            WaveletError::UnknownWavelet { .. } => "unknown_wavelet",
            WaveletError::ZeroLevel => "zero_wavelet_level",
            WaveletError::TooManyPasses { .. } => "too_many_wavelet_passes",
            WaveletError::BadRegion { .. } => "wavelet_region_outside_volume",
        }
    }
}

/// The wavelet sub-bands of a volume inside `region`, in PyRadiomics' order and with its names.
///
/// `size` is the whole volume's voxel count per axis and `value(i + nx·(j + ny·k))` its sample at
/// `(i, j, k)`; only the voxels within the filters' reach of `region` are read (wrapping around
/// the padded volume where the region is near an edge), and no whole-volume buffer is made.
pub fn subbands(
    size: [usize; 3],
    value: impl Fn(usize) -> f64,
    region: &BoundingBox,
    settings: &WaveletSettings,
) -> Result<Vec<SubBand>, WaveletError> {
    let passes = settings.passes()?;
    if (0..3).any(|a| region.min[a] > region.max[a] || region.max[a] >= size[a]) {
        return Err(WaveletError::BadRegion { min: region.min, max: region.max, size });
    }
    // One monomorphic pipeline per filter length, so the tap loops unroll and vectorise.
    Ok(match settings.wavelet {
        Wavelet::Haar => filter_region(size, value, region, settings, passes, &HAAR_LO, &HAAR_HI),
        Wavelet::Db2 => filter_region(size, value, region, settings, passes, &DB2_LO, &DB2_HI),
        Wavelet::Db3 => filter_region(size, value, region, settings, passes, &DB3_LO, &DB3_HI),
        Wavelet::Db4 => filter_region(size, value, region, settings, passes, &DB4_LO, &DB4_HI),
        Wavelet::Sym2 => filter_region(size, value, region, settings, passes, &SYM2_LO, &SYM2_HI),
        Wavelet::Sym3 => filter_region(size, value, region, settings, passes, &SYM3_LO, &SYM3_HI),
        Wavelet::Sym4 => filter_region(size, value, region, settings, passes, &SYM4_LO, &SYM4_HI),
        Wavelet::Coif1 => filter_region(size, value, region, settings, passes, &COIF1_LO, &COIF1_HI),
        Wavelet::Coif2 => filter_region(size, value, region, settings, passes, &COIF2_LO, &COIF2_HI),
    })
}

/// [`subbands`] after validation, for a filter bank of `F` taps and `passes` passes.
fn filter_region<const F: usize>(
    size: [usize; 3],
    value: impl Fn(usize) -> f64,
    region: &BoundingBox,
    settings: &WaveletSettings,
    passes: usize,
    lo: &[f64; F],
    hi: &[f64; F],
) -> Vec<SubBand> {
    let axes: [AxisPlan; 3] = std::array::from_fn(|a| AxisPlan::new(size[a], region, a, F, passes));

    let first_output = settings.start_level as usize + 1;
    let mut out = Vec::with_capacity(7 * settings.level as usize + 1);
    // The previous pass's approximation; `None` before the first pass (read from `value`).
    let mut approx: Option<Block> = None;
    for pass in 1..=passes {
        let maps: [Vec<usize>; 3] = std::array::from_fn(|a| axes[a].sources(pass));
        let input = match &approx {
            None => {
                let volume_maps = std::array::from_fn(|a| {
                    let n = size[a];
                    maps[a].iter().map(|&p| if p == n { 0 } else { p }).collect::<Vec<_>>()
                });
                gather(&volume_maps, [size[0], size[0] * size[1]], &value)
            }
            Some(prev) if maps.iter().enumerate().all(|(a, m)| is_identity(m, prev.dims[a])) => {
                approx.take().expect("matched Some")
            }
            Some(prev) => gather(&maps, [prev.dims[0], prev.dims[0] * prev.dims[1]], |x| prev.data[x]),
        };
        if pass < first_output {
            approx = Some([0, 1, 2].iter().fold(input, |b, &axis| b.convolve(axis, lo)));
            continue;
        }
        let mut bands = vec![(String::new(), input)];
        for axis in 0..3 {
            bands = bands
                .into_iter()
                .flat_map(|(key, b)| {
                    [(format!("{key}L"), b.convolve(axis, lo)), (format!("{key}H"), b.convolve(axis, hi))]
                })
                .collect();
        }
        let (_, all_low) = bands.remove(0);
        let index = pass - settings.start_level as usize;
        let prefix = if index == 1 { "wavelet".to_string() } else { format!("wavelet{index}") };
        let offsets: [usize; 3] = std::array::from_fn(|a| axes[a].region_offset(pass));
        for (key, band) in bands {
            out.push(SubBand { name: format!("{prefix}-{key}"), values: band.crop(offsets, region.size()) });
        }
        approx = Some(all_low);
    }
    let last = approx.expect("at least one pass ran");
    let offsets: [usize; 3] = std::array::from_fn(|a| axes[a].region_offset(passes));
    let prefix =
        if settings.level == 1 { "wavelet".to_string() } else { format!("wavelet{}", settings.level) };
    out.push(SubBand { name: format!("{prefix}-LLL"), values: last.crop(offsets, region.size()) });
    out
}

/// Which coordinates of one axis each pass holds.
struct AxisPlan {
    /// Padded period `N'`.
    period: usize,
    /// Taps of the filter: a pass shrinks a range by `taps − 1`.
    taps: usize,
    /// First coordinate of the region.
    region_first: i64,
    /// For each pass `0..=passes` (0: the padded volume): first coordinate and length held, or
    /// `None` when the pass holds one whole period (coordinates `0..period`).
    spans: Vec<Option<(i64, usize)>>,
}

impl AxisPlan {
    fn new(n: usize, region: &BoundingBox, axis: usize, taps: usize, passes: usize) -> AxisPlan {
        let period = n + n % 2;
        let below = (taps - 1 - taps / 2) as i64;
        let len = region.max[axis] - region.min[axis] + 1;
        let spans = (0..=passes)
            .map(|pass| {
                let grow = passes - pass;
                let span_len = len + grow * (taps - 1);
                (span_len <= period).then(|| (region.min[axis] as i64 - grow as i64 * below, span_len))
            })
            .collect();
        AxisPlan { period, taps, region_first: region.min[axis] as i64, spans }
    }

    /// Coordinates pass `pass` holds as `(first, length)`.
    fn span(&self, pass: usize) -> (i64, usize) {
        self.spans[pass].unwrap_or((0, self.period))
    }

    /// For each input coordinate pass `pass` reads, its index in what pass `pass − 1` holds (for
    /// pass 1: the index in the padded axis, `0..period`).
    fn sources(&self, pass: usize) -> Vec<usize> {
        let (first, len) = self.span(pass);
        let below = (self.taps - 1 - self.taps / 2) as i64;
        let period = self.period as i64;
        let previous = if pass == 1 { None } else { self.spans[pass - 1] };
        (first - below..first - below + (len + self.taps - 1) as i64)
            .map(|c| match previous {
                Some((prev_first, _)) => (c - prev_first) as usize,
                None => c.rem_euclid(period) as usize,
            })
            .collect()
    }

    /// Index of the region's first voxel in what pass `pass` holds.
    fn region_offset(&self, pass: usize) -> usize {
        let (first, _) = self.span(pass);
        (self.region_first - first) as usize
    }
}

/// True when `map` reads all of an axis of `len` values in order.
fn is_identity(map: &[usize], len: usize) -> bool {
    map.len() == len && map.iter().enumerate().all(|(i, &p)| i == p)
}

/// Outputs accumulated together by [`weighted_sum`] (four 128-bit or two 256-bit registers).
const LANES: usize = 8;

/// A box of values, `i` fastest.
struct Block {
    dims: [usize; 3],
    data: Vec<f64>,
}

/// The block `out[i, j, k] = get(maps₀[i] + s₁·maps₁[j] + s₂·maps₂[k])`, `[s₁, s₂] = strides`.
fn gather(maps: &[Vec<usize>; 3], strides: [usize; 2], get: impl Fn(usize) -> f64) -> Block {
    let dims = [maps[0].len(), maps[1].len(), maps[2].len()];
    let mut data = Vec::with_capacity(dims[0] * dims[1] * dims[2]);
    for &k in &maps[2] {
        for &j in &maps[1] {
            let row = strides[0] * j + strides[1] * k;
            data.extend(maps[0].iter().map(|&i| get(row + i)));
        }
    }
    Block { dims, data }
}

impl Block {
    /// Valid convolution along `axis`: `out[o] = Σₜ taps[t]·in[o + F − 1 − t]`, summed over `t`
    /// ascending from 0.0 as PyWavelets does; the axis shrinks by `F − 1`.
    fn convolve<const F: usize>(&self, axis: usize, taps: &[f64; F]) -> Block {
        let mut dims = self.dims;
        dims[axis] -= F - 1;
        let mut data = Vec::with_capacity(dims[0] * dims[1] * dims[2]);
        if axis == 0 {
            // Along a row, the inputs of outputs o.. for tap t are the row shifted by F − 1 − t.
            let n_out = dims[0];
            for src in self.data.chunks_exact(self.dims[0]) {
                let lines = std::array::from_fn(|t| &src[F - 1 - t..F - 1 - t + n_out]);
                weighted_sum(taps, &lines, &mut data);
            }
        } else {
            // Lines of `inner` contiguous values stepped along `axis`: output line o sums input
            // lines o + F − 1 − t element by element.
            let inner: usize = self.dims[..axis].iter().product();
            for src in self.data.chunks_exact(inner * self.dims[axis]) {
                for o in 0..dims[axis] {
                    let lines = std::array::from_fn(|t| &src[(o + F - 1 - t) * inner..][..inner]);
                    weighted_sum(taps, &lines, &mut data);
                }
            }
        }
        Block { dims, data }
    }

    /// The `size` box starting at `offsets`, `i` fastest.
    fn crop(self, offsets: [usize; 3], size: [usize; 3]) -> Vec<f64> {
        if offsets == [0; 3] && size == self.dims {
            return self.data;
        }
        let [nx, ny, _] = self.dims;
        let mut out = Vec::with_capacity(size[0] * size[1] * size[2]);
        for k in offsets[2]..offsets[2] + size[2] {
            for j in offsets[1]..offsets[1] + size[1] {
                let row = offsets[0] + nx * (j + ny * k);
                out.extend_from_slice(&self.data[row..row + size[0]]);
            }
        }
        out
    }
}

/// Appends `Σₜ taps[t]·lines[t][x]` for each `x` (all lines equally long), the sum running over
/// `t` ascending from 0.0. Blocks of [`LANES`] outputs are accumulated in registers.
fn weighted_sum<const F: usize>(taps: &[f64; F], lines: &[&[f64]; F], out: &mut Vec<f64>) {
    let len = lines[0].len();
    let blocks = len / LANES;
    for block in 0..blocks {
        let mut acc = [0.0; LANES];
        for (&h, line) in taps.iter().zip(lines) {
            let values: &[f64; LANES] = line[block * LANES..][..LANES].try_into().expect("LANES values");
            for (a, &v) in acc.iter_mut().zip(values) {
                *a += h * v;
            }
        }
        out.extend_from_slice(&acc);
    }
    for x in blocks * LANES..len {
        let mut sum = 0.0;
        for (&h, line) in taps.iter().zip(lines) {
            sum += h * line[x];
        }
        out.push(sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQRT_2: f64 = std::f64::consts::SQRT_2;

    fn whole(size: [usize; 3]) -> BoundingBox {
        BoundingBox { min: [0; 3], max: size.map(|n| n - 1) }
    }

    #[test]
    fn names_parse_and_unknown_names_are_rejected() {
        for w in Wavelet::ALL {
            assert_eq!(Wavelet::from_name(w.name()).unwrap(), w);
            assert_eq!(w.to_string().parse::<Wavelet>().unwrap(), w);
        }
        assert_eq!(Wavelet::from_name("db1").unwrap(), Wavelet::Haar);
        let err = Wavelet::from_name("coif9").unwrap_err();
        assert!(matches!(err, WaveletError::UnknownWavelet { .. }));
        assert!(err.to_string().starts_with("unknown wavelet 'coif9', expected one of: haar, db2"), "{err}");
        assert_eq!(WaveletSettings::default().wavelet, Wavelet::Coif1);
    }

    #[test]
    fn settings_from_the_parameter_file() {
        let params = WaveletParams::default();
        assert_eq!(WaveletSettings::from_params(&params).unwrap(), WaveletSettings::default());
        let haar = WaveletParams { wavelet: "haar".into(), start_level: 1, level: 2 };
        let expected = WaveletSettings { wavelet: Wavelet::Haar, start_level: 1, level: 2 };
        assert_eq!(WaveletSettings::from_params(&haar).unwrap(), expected);
        let unknown = WaveletParams { wavelet: "bior1.3".into(), ..WaveletParams::default() };
        assert!(matches!(WaveletSettings::from_params(&unknown), Err(WaveletError::UnknownWavelet { .. })));
        let deep = WaveletParams { start_level: 20, ..WaveletParams::default() };
        assert!(matches!(
            WaveletSettings::from_params(&deep),
            Err(WaveletError::TooManyPasses { passes: 21, .. })
        ));
    }

    /// Orthonormal filter banks (Daubechies, "Ten Lectures on Wavelets", ch. 6): Σ lo = √2,
    /// Σ lo² = 1, Σ hi = 0, and hi is the quadrature mirror of lo. PyWavelets' symlet tables
    /// carry about 12 significant digits (its `sym3` differs from `db3` by 4e-12), hence 1e-11.
    #[test]
    fn filter_banks_are_orthonormal_quadrature_mirrors() {
        for w in Wavelet::ALL {
            let (lo, hi) = (w.dec_lo(), w.dec_hi());
            let f = lo.len();
            assert_eq!(hi.len(), f);
            assert!((lo.iter().sum::<f64>() - SQRT_2).abs() < 1e-11, "{w}");
            assert!((lo.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-11, "{w}");
            assert!(hi.iter().sum::<f64>().abs() < 1e-11, "{w}");
            for t in 0..f {
                let sign = if t % 2 == 0 { -1.0 } else { 1.0 };
                assert_eq!(hi[t], sign * lo[f - 1 - t], "{w} tap {t}");
            }
        }
    }

    /// Haar by hand on a 3×1×1 volume: i is padded to x0 x1 x2 x0, j and k to two equal copies.
    /// Along j and k the low pass sums two equal values (factor √2 each) and the high pass
    /// cancels; along i, y[c] = h[0]·x'[c+1] + h[1]·x'[c].
    #[test]
    fn haar_on_an_odd_axis_wraps_onto_the_first_voxel() {
        let x = [1.0, 4.0, 9.0];
        let settings = WaveletSettings { wavelet: Wavelet::Haar, ..WaveletSettings::default() };
        let region = BoundingBox { min: [1, 0, 0], max: [2, 0, 0] };
        let bands = subbands([3, 1, 1], |i| x[i], &region, &settings).unwrap();
        let names: Vec<&str> = bands.iter().map(|b| b.name.as_str()).collect();
        let expected_names =
            ["LLH", "LHL", "LHH", "HLL", "HLH", "HHL", "HHH", "LLL"].map(|k| format!("wavelet-{k}"));
        assert_eq!(names, expected_names);
        let close = |a: &[f64], b: [f64; 2]| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 1e-12);
        // LLL at i = 1, 2: 2·(x[i] + x'[i+1])/√2, with x'[3] = x[0].
        assert!(close(&bands[7].values, [SQRT_2 * (4.0 + 9.0), SQRT_2 * (9.0 + 1.0)]), "{:?}", bands[7]);
        // HLL: 2·(x[i] − x'[i+1])/√2.
        assert!(close(&bands[3].values, [SQRT_2 * (4.0 - 9.0), SQRT_2 * (9.0 - 1.0)]), "{:?}", bands[3]);
        for band in bands.iter().filter(|b| b.name.contains("H") && b.name != "wavelet-HLL") {
            assert!(band.values.iter().all(|v| v.abs() < 1e-12), "{band:?}");
        }
    }

    /// A constant image c: each low pass multiplies by Σ lo = √2, each high pass by Σ hi = 0.
    #[test]
    fn constant_image_gives_2_sqrt_2_per_pass_and_no_detail() {
        let size = [5, 4, 3];
        for wavelet in Wavelet::ALL {
            let settings = WaveletSettings { wavelet, start_level: 1, level: 2 };
            let bands = subbands(size, |_| 3.0, &whole(size), &settings).unwrap();
            assert_eq!(bands.len(), 15);
            assert_eq!(bands[7].name, "wavelet2-LLH");
            let lll = bands.last().unwrap();
            assert_eq!(lll.name, "wavelet2-LLL");
            let expected = 3.0 * (2.0 * SQRT_2).powi(3);
            assert!(lll.values.iter().all(|v| (v - expected).abs() < 1e-9), "{wavelet}: {lll:?}");
            assert!(bands[..14].iter().all(|b| b.values.iter().all(|v| v.abs() < 1e-9)), "{wavelet}");
        }
    }

    #[test]
    fn bad_settings_and_regions_are_rejected() {
        let size = [4, 4, 4];
        let zero = WaveletSettings { level: 0, ..WaveletSettings::default() };
        let err = subbands(size, |_| 0.0, &whole(size), &zero).unwrap_err();
        assert_eq!(err.to_string(), "wavelet level must be at least 1, got 0");
        let many = WaveletSettings { start_level: 16, ..WaveletSettings::default() };
        let err = subbands(size, |_| 0.0, &whole(size), &many).unwrap_err();
        assert_eq!(err.to_string(), "wavelet start_level + level is 17, more than the supported 16");
        let outside = BoundingBox { min: [0; 3], max: [3, 4, 3] };
        let err = subbands(size, |_| 0.0, &outside, &WaveletSettings::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "region (0, 0, 0)..=(3, 4, 3) is empty or outside the volume of 4 x 4 x 4 voxels"
        );
        let empty = BoundingBox { min: [2, 0, 0], max: [1, 3, 3] };
        assert!(matches!(
            subbands(size, |_| 0.0, &empty, &WaveletSettings::default()),
            Err(WaveletError::BadRegion { .. })
        ));
    }
}

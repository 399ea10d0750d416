//! 3D shape features against PyRadiomics: its baseline table, live runs on brain1, the prostate
//! phantom and random masks, the IBSI digital phantom, and a voxel box worked out by hand.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use radscored::image::{self, BoundingBox};
use radscored::radiomics::shape::shape_features;
use radscored::radiomics::Roi;

use crate::util::{rel_diff, repo, shared, Baseline, RELATIVE_TOLERANCE};

/// The region of `label` in `mask_path`, cut with 5 voxels of margin like the extraction pipeline.
fn load_roi(image_path: &Path, mask_path: &Path, label: f64) -> Roi {
    let image = image::read(image_path).expect("image reads");
    let mask = image::read(mask_path).expect("mask reads");
    let (tight, _) = mask.label_extent(label).unwrap_or_else(|| panic!("label {label} absent"));
    let bbox: BoundingBox = tight.padded(5, mask.geometry.size);
    Roi {
        size: bbox.size(),
        spacing_mm: image.geometry.spacing_mm,
        values: image.crop_f64(&bbox),
        mask: mask.crop_label(&bbox, label),
    }
}

/// Runs the PyRadiomics oracle script with `args` and parses its JSON output, in which floats are
/// strings (see the script).
fn pyradiomics(args: &[&str]) -> serde_json::Value {
    let python = repo().join(".venv-ref/bin/python");
    assert!(
        python.exists(),
        "PyRadiomics reference venv missing at {} (the project's setup script creates it)",
        python.display()
    );
    let out = Command::new(&python)
        .arg(repo().join("tests/oracle/pyradiomics_shape.py"))
        .args(args)
        .output()
        .expect("python starts");
    assert!(out.status.success(), "pyradiomics_shape.py failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("oracle prints JSON")
}

/// A float the oracle wrote as a string; `None` for null (NaN) or a missing key.
fn json_f64(value: &serde_json::Value) -> Option<f64> {
    value.as_str().map(|s| s.parse().unwrap_or_else(|_| panic!("oracle wrote {s:?} for a float")))
}

/// Compares every feature with the reference values `want` (name → value, `None` for NaN), each
/// within the relative tolerance `tolerance(name)`, and returns the worst relative difference.
fn compare(
    case: &str,
    got: &[(&'static str, f64)],
    want: &dyn Fn(&str) -> Option<f64>,
    tolerance: &dyn Fn(&str) -> f64,
) -> f64 {
    let mut worst = 0.0f64;
    for &(name, value) in got {
        let reference = want(name).unwrap_or(f64::NAN);
        let diff = rel_diff(value, reference);
        let limit = tolerance(name);
        assert!(
            diff <= limit,
            "{case} {name}: got {value}, PyRadiomics {reference} (rel {diff:e} > {limit:e})"
        );
        worst = worst.max(diff);
    }
    worst
}

/// The features and the best of five run times in ms (the first run also pays for page faults).
fn timed(roi: &Roi) -> (Vec<(&'static str, f64)>, f64) {
    let mut best = f64::INFINITY;
    let mut features = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        features = shape_features(roi);
        best = best.min(start.elapsed().as_secs_f64() * 1e3);
    }
    (features, best)
}

/// Mesh features of the brain1 baseline column that PyRadiomics 3.x no longer reproduces. The plain
/// columns were written by PyRadiomics 2.0.1; for brain1 (two connected parts), PyRadiomics 3.1.4
/// gives MeshVolume 16147.5118 mm³ against the table's 16149.4954 (1.2e-4 relative) and
/// SurfaceArea 6438.8216 against 6433.7343, so these four are checked against live PyRadiomics in
/// [`live_pyradiomics_brain1`] instead.
const BRAIN1_STALE: [&str; 4] = ["MeshVolume", "SurfaceArea", "SurfaceVolumeRatio", "Sphericity"];

fn baseline_case(case: &str) -> Roi {
    load_roi(
        &shared(&format!("refdata/pyradiomics/{case}_image.nrrd")),
        &shared(&format!("refdata/pyradiomics/{case}_label.nrrd")),
        1.0,
    )
}

#[test]
fn baseline_table_plain_columns() {
    let baseline = Baseline::read("shape");
    for case in ["brain1", "brain2", "breast1", "lung1", "lung2"] {
        let roi = baseline_case(case);
        let (mut features, ms) = timed(&roi);
        let reference = baseline.features_printed(case);
        assert_eq!(reference.len(), features.len(), "{case}: feature count");
        let find = |name: &str| {
            let full = format!("original_shape_{name}");
            reference.iter().find(|(n, _, _)| *n == full).map(|&(_, v, allowed)| (v, allowed))
        };
        let want = |name: &str| find(name).map(|(v, _)| v);
        // One unit of the last printed digit (the table keeps 12 significant digits), relative.
        let printed = |name: &str| find(name).map_or(0.0, |(v, allowed)| allowed / v.abs());
        if case == "brain1" {
            features.retain(|(name, _)| !BRAIN1_STALE.contains(name));
        }
        let worst = compare(case, &features, &want, &printed);
        eprintln!(
            "shape {case}: {} voxels, {} features, worst rel diff {worst:.1e}, {ms:.3} ms",
            roi.voxel_count(),
            features.len()
        );
    }
}

#[test]
fn live_pyradiomics_brain1() {
    let roi = baseline_case("brain1");
    let features = shape_features(&roi);
    let reference = pyradiomics(&[
        "file",
        shared("refdata/pyradiomics/brain1_image.nrrd").to_str().expect("utf-8 path"),
        shared("refdata/pyradiomics/brain1_label.nrrd").to_str().expect("utf-8 path"),
        "1",
    ]);
    let want = |name: &str| json_f64(&reference[name]);
    assert_eq!(reference.as_object().map(|o| o.len()), Some(features.len()), "feature count");
    let worst = compare("brain1 live", &features, &want, &|_| RELATIVE_TOLERANCE);
    eprintln!("shape brain1 live: worst rel diff {worst:.1e}");
}

#[test]
fn live_pyradiomics_prostate_phantom() {
    let image_path = shared("refdata/pyradiomics/prostate_phantom_subvolume.nrrd");
    let mask_path = shared("refdata/pyradiomics/prostate_phantom_subvolume-label.nrrd");
    for label in [1, 7, 8, 9] {
        let roi = load_roi(&image_path, &mask_path, f64::from(label));
        let (features, ms) = timed(&roi);
        let label_arg = label.to_string();
        let reference = pyradiomics(&[
            "file",
            image_path.to_str().expect("utf-8 path"),
            mask_path.to_str().expect("utf-8 path"),
            &label_arg,
        ]);
        let want = |name: &str| json_f64(&reference[name]);
        assert_eq!(reference.as_object().map(|o| o.len()), Some(features.len()), "feature count");
        let worst = compare(&format!("prostate label {label}"), &features, &want, &|_| RELATIVE_TOLERANCE);
        eprintln!(
            "shape prostate label {label}: {} voxels, worst rel diff {worst:.1e}, {ms:.3} ms",
            roi.voxel_count()
        );
    }
}

#[test]
fn live_pyradiomics_random_masks() {
    // Dense random masks hit every marching-cubes case, including the ambiguous ones, and
    // anisotropic spacings; PyRadiomics computes each one.
    let cases = pyradiomics(&["random", "20240611", "60"]);
    assert_eq!(cases.as_array().map_or(0, Vec::len), 60, "PyRadiomics computed every random mask");
    let mut worst = 0.0f64;
    for (n, case) in cases.as_array().expect("list").iter().enumerate() {
        let size: Vec<usize> = case["size"]
            .as_array()
            .expect("size")
            .iter()
            .map(|v| v.as_u64().expect("int") as usize)
            .collect();
        let spacing: Vec<f64> = case["spacing"]
            .as_array()
            .expect("spacing")
            .iter()
            .map(|v| json_f64(v).expect("float"))
            .collect();
        let mask: Vec<bool> =
            case["mask"].as_array().expect("mask").iter().map(|v| v.as_u64() == Some(1)).collect();
        let roi = Roi {
            size: [size[0], size[1], size[2]],
            spacing_mm: [spacing[0], spacing[1], spacing[2]],
            values: vec![0.0; mask.len()],
            mask,
        };
        let features = shape_features(&roi);
        let want = |name: &str| json_f64(&case["features"][name]);
        let count = case["features"].as_object().map_or(0, |o| o.len());
        assert_eq!(count, features.len(), "random mask {n}: feature count");
        worst = worst.max(compare(&format!("random mask {n}"), &features, &want, &|_| RELATIVE_TOLERANCE));
    }
    eprintln!(
        "shape random masks: {} cases, worst rel diff {worst:.1e}",
        cases.as_array().map_or(0, Vec::len)
    );
}

#[test]
fn ibsi_digital_phantom_morphology() {
    // IBSI 1 reference values (3 significant digits, with their tolerances) for the digital
    // phantom, 74 voxels of 2 mm. PyRadiomics divides the position covariance by N where IBSI
    // divides by N − 1, so its axis lengths are √((N − 1)/N) of IBSI's; they are rescaled here.
    let roi = load_roi(
        &shared("refdata/ibsi/digital_phantom/phantom.nii.gz"),
        &shared("refdata/ibsi/digital_phantom/mask.nii.gz"),
        1.0,
    );
    let features = shape_features(&roi);
    let n = roi.voxel_count() as f64;
    let to_ibsi_axis = (n / (n - 1.0)).sqrt();
    let expected = [
        ("MeshVolume", 556.0, 4.0, 1.0),
        ("VoxelVolume", 592.0, 4.0, 1.0),
        ("SurfaceArea", 388.0, 3.0, 1.0),
        ("SurfaceVolumeRatio", 0.698, 0.004, 1.0),
        ("Sphericity", 0.843, 0.005, 1.0),
        ("Maximum3DDiameter", 13.1, 0.1, 1.0),
        ("MajorAxisLength", 11.4, 0.1, to_ibsi_axis),
        ("MinorAxisLength", 9.31, 0.06, to_ibsi_axis),
        ("LeastAxisLength", 8.54, 0.05, to_ibsi_axis),
        ("Elongation", 0.816, 0.005, 1.0),
        ("Flatness", 0.749, 0.005, 1.0),
    ];
    for (name, reference, tolerance, scale) in expected {
        let value = features.iter().find(|(n, _)| *n == name).expect("feature").1 * scale;
        assert!((value - reference).abs() <= tolerance, "{name}: {value} vs IBSI {reference} ± {tolerance}");
    }
}

#[test]
fn voxel_box_by_hand() {
    // A box of 4 × 3 × 2 voxels (i, j, k) with spacing 0.5 × 0.75 × 2 mm. Its marching-cubes
    // surface is the Minkowski sum of the box spanned by the voxel centres, L = (1.5, 1.5, 2) mm,
    // with the octahedron |x|/hᵢ + |y|/hⱼ + |z|/hₖ ≤ 1, h = spacing/2 = (0.25, 0.375, 1):
    // flat faces, chamfered edges, one triangle per corner.
    let (size, spacing) = ([4usize, 3, 2], [0.5, 0.75, 2.0]);
    let n = size.iter().product();
    let roi = Roi { size, spacing_mm: spacing, values: vec![0.0; n], mask: vec![true; n] };
    let f = shape_features(&roi);
    let get = |name: &str| f.iter().find(|(n, _)| *n == name).expect("feature").1;
    let close = |name: &str, want: f64| {
        let got = get(name);
        assert!((got - want).abs() <= 1e-12 * want.abs(), "{name}: {got} vs {want}");
    };
    let l = [1.5, 1.5, 2.0];
    let s = spacing;
    // Volume: L₁L₂L₃ + Σ faces LₐL_b·(width of the octahedron across them = s_c)
    //         + Σ edges Lₐ·(octahedron's cross-section across them = s_b·s_c/2) + s₁s₂s₃/6.
    let volume = l[0] * l[1] * l[2]
        + l[0] * l[1] * s[2]
        + l[0] * l[2] * s[1]
        + l[1] * l[2] * s[0]
        + (l[0] * s[1] * s[2] + l[1] * s[0] * s[2] + l[2] * s[0] * s[1]) / 2.0
        + s[0] * s[1] * s[2] / 6.0;
    close("MeshVolume", volume);
    // Area: the faces, four chamfer strips of width ½√(s_b² + s_c²) along each axis, and the
    // eight corner triangles, which make up one octahedron.
    let area = 2.0 * (l[0] * l[1] + l[0] * l[2] + l[1] * l[2])
        + 2.0
            * (l[0] * (s[1].powi(2) + s[2].powi(2)).sqrt()
                + l[1] * (s[0].powi(2) + s[2].powi(2)).sqrt()
                + l[2] * (s[0].powi(2) + s[1].powi(2)).sqrt())
        + ((s[0] * s[1]).powi(2) + (s[1] * s[2]).powi(2) + (s[0] * s[2]).powi(2)).sqrt();
    close("SurfaceArea", area);
    close("VoxelVolume", 24.0 * 0.75);
    // Diameters: opposite corners of the centre box, each end pushed out along one axis by h,
    // or both ends along the same axis (+2h): the longest choice in each plane.
    // 3D: (1.5, 1.5, 2 + 2) → √20.5. Slice (k fixed, i-j plane): (1.5, 1.5 + 0.75) → √7.3125.
    // Column (j fixed, i-k plane): (1.5, 4) → √18.25. Row (i fixed, j-k plane): (1.5, 4) → √18.25.
    close("Maximum3DDiameter", 20.5f64.sqrt());
    close("Maximum2DDiameterSlice", 7.3125f64.sqrt());
    close("Maximum2DDiameterColumn", 18.25f64.sqrt());
    close("Maximum2DDiameterRow", 18.25f64.sqrt());
    // Principal axes: n evenly spaced centres along an axis have variance s²(n² − 1)/12:
    // i: 0.25·15/12 = 0.3125, j: 0.5625·8/12 = 0.375, k: 4·3/12 = 1.
    close("MajorAxisLength", 4.0);
    close("MinorAxisLength", 4.0 * 0.375f64.sqrt());
    close("LeastAxisLength", 4.0 * 0.3125f64.sqrt());
    close("Elongation", 0.375f64.sqrt());
    close("Flatness", 0.3125f64.sqrt());
    close("SurfaceVolumeRatio", area / volume);
    close("Sphericity", (36.0 * std::f64::consts::PI * volume * volume).cbrt() / area);
}

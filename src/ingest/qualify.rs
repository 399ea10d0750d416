//! Which CT series the study path analyses: the policy a site sets ([`SeriesPolicy`]) and, in the
//! reader's words, why a series does not qualify ([`CtRejection`]).
//!
//! The rules read ImageType (PS3.3 C.7.6.1.1.2: value 1 ORIGINAL or DERIVED, value 3 LOCALIZER for
//! scout views), Modality (C.7.3.1) and ImageOrientationPatient (C.7.6.2). Localizer images are
//! left out of every volume; a series of nothing else is a localizer series. DERIVED images
//! (reformats, MIPs, reconstructions computed from other images) are refused unless the policy
//! accepts them.

/// What a site accepts as a CT series to analyse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeriesPolicy {
    /// Analyse series whose images are DERIVED (reformats, reconstructions); default: refuse.
    pub accept_derived: bool,
}

/// Why a series is not a CT series the study path analyses.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CtRejection {
    /// No file of the series is in the study.
    Absent,
    /// The series holds no CT image (a segmentation, a report, ...).
    NoCtImages,
    /// Its images are of another modality.
    NotCt {
        /// The Modality found (`MR`, `PT`, ...; empty when absent).
        modality: String,
    },
    /// Every image is a localizer (scout view).
    LocalizerOnly,
    /// An image is DERIVED and the policy refuses derived images.
    Derived,
    /// An image has no ImageType.
    NoImageType,
    /// An image has no usable ImageOrientationPatient.
    NoOrientation,
    /// The slices are not axial.
    NotAxial {
        /// The unit slice normal (LPS).
        normal: [f64; 3],
    },
}

impl std::fmt::Display for CtRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CtRejection::Absent => write!(f, "is not in the study; send it too"),
            CtRejection::NoCtImages => write!(f, "holds no CT images"),
            CtRejection::NotCt { modality } if modality.is_empty() => {
                write!(f, "is not a CT series (its images have no Modality)")
            }
            CtRejection::NotCt { modality } => write!(f, "is not a CT series (Modality {modality})"),
            CtRejection::LocalizerOnly => write!(f, "is a localizer (scout) series"),
            CtRejection::Derived => write!(
                f,
                "holds derived images (ImageType DERIVED: a reformat or reconstruction); to analyse it \
                 anyway use analyze --accept-derived, or accept_derived = true in the daemon's [series]"
            ),
            CtRejection::NoImageType => write!(f, "has an image without ImageType"),
            CtRejection::NoOrientation => write!(f, "has an image without a valid ImageOrientationPatient"),
            CtRejection::NotAxial { normal } => {
                // Rounded first, and + 0.0 turns a -0.0 into 0.0: no "-0.000" in a message.
                let [x, y, z] = normal.map(|v| (v * 1000.0).round() / 1000.0 + 0.0);
                write!(f, "is not axial (slice normal ({x:.3}, {y:.3}, {z:.3})); send the axial series")
            }
        }
    }
}

impl CtRejection {
    /// The stable code of a refusal for this reason.
    pub fn code(&self) -> &'static str {
        match self {
            CtRejection::Derived => "derived_series",
            CtRejection::LocalizerOnly => "localizer_series",
            CtRejection::NotAxial { .. } => "not_axial_series",
            _ => "series_not_usable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_fix_and_carry_their_code() {
        let derived = CtRejection::Derived;
        assert_eq!(derived.code(), "derived_series");
        assert!(derived.to_string().contains("--accept-derived"), "{derived}");
        let coronal = CtRejection::NotAxial { normal: [-1e-17, 1.0, 0.0] };
        assert_eq!(coronal.code(), "not_axial_series");
        assert!(coronal.to_string().contains("(0.000, 1.000, 0.000)"), "{coronal}");
        assert_eq!(CtRejection::LocalizerOnly.code(), "localizer_series");
        assert_eq!(CtRejection::LocalizerOnly.to_string(), "is a localizer (scout) series");
        assert_eq!(
            CtRejection::NotCt { modality: "MR".into() }.to_string(),
            "is not a CT series (Modality MR)"
        );
        assert_eq!(CtRejection::Absent.code(), "series_not_usable");
    }
}

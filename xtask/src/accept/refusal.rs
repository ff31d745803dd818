//! What a sign-off runs, decided from the catalog and the tiers before anything starts: every
//! scenario whose images all run for real, except the ones that only observe a placeholder's
//! request log when the observed service runs for real (the scenarios needing it prove more).
//! A scenario whose own software is missing refuses the sign-off; so does a substitute, unless
//! the caller allows it (and the bundle then says so).

use std::collections::BTreeMap;

use aiwah_harness::suite::catalog::Case;
use aiwah_harness::suite::tiers::Tiers;
use aiwah_harness::{Problem, Problems};

/// The scenarios of one sign-off, sorted by what happens to them.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Scenarios that must run and pass.
    pub run: Vec<Case>,
    /// Scenarios left out because the service they observe runs for real (not skipped: not applicable).
    pub observes_only: Vec<Case>,
    /// Scenarios that cannot run for real here, with why.
    pub cannot_run: Vec<(Case, String)>,
    /// `official → substitute` image, with the names of the scenarios that run against it.
    pub substitutes: BTreeMap<String, Vec<String>>,
}

impl Selection {
    pub fn of(cases: &[Case], tiers: &Tiers) -> Selection {
        let mut selection = Selection::default();
        for case in cases {
            // The reason its own needs give, without what it merely observes.
            let needs_only = Case { observes: Vec::new(), ..case.clone() };
            if let Some(reason) = tiers.skip_reason(&needs_only) {
                selection.cannot_run.push((case.clone(), reason));
            } else if tiers.skip_reason(case).is_some() {
                selection.observes_only.push(case.clone());
            } else {
                for substitute in tiers.substitutes(&case.needs) {
                    selection.substitutes.entry(substitute).or_default().push(case.name.clone());
                }
                selection.run.push(case.clone());
            }
        }
        selection
    }

    /// Why this sign-off may not start, one line per scenario (or substitute): `None` when it may.
    pub fn refusal(&self, allow_substitutes: bool) -> Option<Problems> {
        let mut problems: Vec<Problem> = self.cannot_run.iter().map(|(case, reason)| Problem::new(format!("scenario {}", case.name), reason)).collect();
        if !problems.is_empty() {
            problems.push(
                Problem::new("accept", format!("refused: {} scenarios cannot run for real here; nothing was started", self.cannot_run.len()))
                    .hint("put the official images on this engine (cargo xtask images pull, or AIWAH_REGISTRY_MIRROR) and run it again"),
            );
            return Some(Problems(problems));
        }
        if !allow_substitutes && !self.substitutes.is_empty() {
            problems.extend(
                self.substitutes
                    .iter()
                    .map(|(image, cases)| Problem::new(format!("image {image}"), format!("is a substitute, needed by {} scenarios", cases.len()))),
            );
            problems.push(
                Problem::new("accept", "refused: a release is signed off against official images; nothing was started")
                    .hint("pull the official images, or pass --allow-substitutes (the bundle records it)"),
            );
            return Some(Problems(problems));
        }
        None
    }
}

//! Honest tiers for scenarios: a scenario runs when every image it needs is official or a real
//! substitute, and is skipped — naming the missing official image — when one is a placeholder.

use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::plan::{Choice, ImagePlan, Source, Tier};
use crate::problem::Result;
use crate::stack::Manifest;
use crate::suite::catalog::Case;
use crate::suite::target::Target;

#[derive(Debug, Clone, Default)]
pub struct Tiers {
    /// Manifest key (`supabase-auth`) → what a deployment from this source runs for it.
    by_key: BTreeMap<String, Choice>,
    /// Target mode: a scenario using what the target does not give is not applicable.
    target: Option<Target>,
}

impl Tiers {
    /// What a deployment from `source` would run, from the images on the engine now (the same
    /// resolution the deployment itself makes).
    pub fn resolve(root: &Path, source: &Source) -> Result<Tiers> {
        let manifest = Manifest::load(root)?;
        let plan = ImagePlan::resolve(root, &manifest, source)?;
        Ok(Tiers::from_plan(&manifest, &plan))
    }

    pub fn from_plan(manifest: &Manifest, plan: &ImagePlan) -> Tiers {
        let by_key = manifest.images.iter().filter_map(|(key, entry)| Some((key.clone(), plan.choice(&entry.image)?.clone()))).collect();
        Tiers { by_key, target: None }
    }

    /// Every manifest image at the official tier: a target that says nothing of what it runs is
    /// taken at its word.
    pub fn all_official(manifest: &Manifest) -> Tiers {
        let official = |image: &String| Choice { official: image.clone(), image: image.clone(), tier: Tier::Official, listens: vec![] };
        Tiers { by_key: manifest.images.iter().map(|(key, entry)| (key.clone(), official(&entry.image))).collect(), target: None }
    }

    /// These tiers for a run against `target`.
    pub fn for_target(mut self, target: &Target) -> Tiers {
        self.target = Some(target.clone());
        self
    }

    /// Official images among `needs` that this deployment only holds a placeholder for.
    pub fn missing<'a>(&'a self, needs: &'a [String]) -> impl Iterator<Item = &'a str> + 'a {
        needs.iter().filter_map(|key| self.by_key.get(key)).filter(|c| c.tier == Tier::Placeholder).map(|c| c.official.as_str())
    }

    /// Why `case` cannot run here, if it cannot.
    pub fn skip_reason(&self, case: &Case) -> Option<String> {
        if let Some(reason) = self.target.as_ref().and_then(|t| t.not_applicable(&case.uses)) {
            return Some(reason);
        }
        let missing: Vec<&str> = self.missing(&case.needs).collect();
        if !missing.is_empty() {
            return Some(format!("needs {} (a placeholder holds its place here)", missing.join(", ")));
        }
        // Fail closed: an image the deployment does not run at all is not an image it runs for real.
        let absent: Vec<&str> = case.needs.iter().filter(|k| !self.by_key.contains_key(*k)).map(String::as_str).collect();
        if !absent.is_empty() {
            return Some(format!("needs {}, which this deployment does not run", absent.join(", ")));
        }
        let real: Vec<&str> =
            case.observes.iter().filter_map(|k| self.by_key.get(k)).filter(|c| c.tier != Tier::Placeholder).map(|c| c.official.as_str()).collect();
        (!real.is_empty())
            .then(|| format!("reads the request log of a placeholder, and {} runs for real here (the scenarios needing it prove more)", real.join(", ")))
    }

    /// `key=tier (image)` for each of `keys`, for messages that compare tiers.
    pub fn describe<'a>(&self, keys: impl IntoIterator<Item = &'a String>) -> String {
        let shown: Vec<String> = keys
            .into_iter()
            .map(|k| match self.by_key.get(k) {
                Some(c) => format!("{k}={} ({})", c.tier.label(), c.image),
                None => format!("{k}=not run"),
            })
            .collect();
        if shown.is_empty() { "no images named".into() } else { shown.join(", ") }
    }

    /// The substitutes a scenario runs against (reported with its result): `official → image`.
    pub fn substitutes(&self, needs: &[String]) -> Vec<String> {
        needs.iter().filter_map(|key| self.by_key.get(key)).filter(|c| c.tier == Tier::Substitute).map(|c| format!("{} → {}", c.official, c.image)).collect()
    }
}

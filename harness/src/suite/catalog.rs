//! The scenarios of `features/*.feature`, one per test: outlines expanded row by row (the way
//! cucumber runs them), each named `<feature file>::<scenario>` and carrying what it needs.

use std::path::{Path, PathBuf};

use gherkin::{Feature, GherkinEnv, Scenario};

use crate::problem::{Problem, Result};
use crate::stack::Manifest;
use crate::suite::target::{Capability, USES_TAG};

/// Tag prefix naming a manifest image a scenario needs: `@needs:supabase-auth`.
pub const NEEDS_TAG: &str = "needs:";
/// Tag prefix naming a service whose placeholder the scenario uses as an observation point (its
/// request log): `@observes:supabase-kong` runs only where that service is a placeholder.
pub const OBSERVES_TAG: &str = "observes:";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// `auth::A user signs in with a password` — stable; what nextest lists and filters on.
    pub name: String,
    pub feature_file: PathBuf,
    /// The scenario's name after outline expansion (placeholders replaced).
    pub scenario: String,
    /// Line cucumber gives the expanded scenario (the example row for outlines).
    pub line: usize,
    /// Manifest keys of the images this scenario needs (feature, rule, scenario and example tags).
    pub needs: Vec<String>,
    /// Manifest keys whose placeholder's request log the scenario reads.
    pub observes: Vec<String>,
    /// What it needs from a target beyond URLs and keys (`@uses:database`; see [`crate::suite::target`]).
    pub uses: Vec<Capability>,
}

/// Test-only: a features folder to use instead of `root/features` (what `cargo xtask accept` signs
/// off in its own tests; every process of the run — listing, scenarios, reports — reads it).
pub const FEATURES_ENV: &str = "AIWAH_ACCEPT_FEATURES";

/// `$AIWAH_ACCEPT_FEATURES` when set, else `root/features`.
pub fn features_dir(root: &Path) -> PathBuf {
    std::env::var_os(FEATURES_ENV).filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| root.join("features"))
}

/// Every scenario of every feature under [`features_dir`], in file order.
pub fn load(root: &Path) -> Result<Vec<Case>> {
    let dir = features_dir(root);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Problem::new(dir.display().to_string(), format!("cannot read: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "feature"))
        .collect();
    files.sort();
    let manifest = Manifest::load(root)?;
    let mut cases = Vec::new();
    for file in files {
        cases.extend(load_file(&file, &manifest)?);
    }
    Ok(cases)
}

fn load_file(file: &Path, manifest: &Manifest) -> Result<Vec<Case>> {
    let shown = file.display().to_string();
    let feature = Feature::parse_path(file, GherkinEnv::default()).map_err(|e| Problem::new(&shown, e.to_string()))?;
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("feature").to_string();
    let mut cases: Vec<Case> = Vec::new();
    let in_rules = feature.rules.iter().flat_map(|r| r.scenarios.iter().map(move |s| (r.tags.as_slice(), s)));
    let expanded: Vec<(&[String], Expanded)> =
        feature.scenarios.iter().map(|s| (&[][..], s)).chain(in_rules).flat_map(|(rule_tags, s)| expand(s).into_iter().map(move |e| (rule_tags, e))).collect();
    for (rule_tags, scenario) in &expanded {
        let (mut needs, mut observes, mut uses) = (Vec::new(), Vec::new(), Vec::new());
        for tag in feature.tags.iter().chain(rule_tags.iter()).chain(&scenario.tags) {
            if let Some(name) = tag.strip_prefix(USES_TAG) {
                let capability = Capability::from_tag(name).ok_or_else(|| {
                    let known: Vec<&str> = Capability::ALL.iter().map(|c| c.tag()).collect();
                    Problem::new(format!("{shown}:{}", scenario.line), format!("@{tag} names nothing a target gives (known: {})", known.join(", ")))
                })?;
                if !uses.contains(&capability) {
                    uses.push(capability);
                }
                continue;
            }
            let (list, key) = match (tag.strip_prefix(NEEDS_TAG), tag.strip_prefix(OBSERVES_TAG)) {
                (Some(key), _) => (&mut needs, key),
                (_, Some(key)) => (&mut observes, key),
                _ => continue,
            };
            if !manifest.images.contains_key(key) {
                return Err(Problem::new(format!("{shown}:{}", scenario.line), format!("@{tag} names no image in stacks/images.toml")));
            }
            if !list.iter().any(|n: &String| n == key) {
                list.push(key.to_string());
            }
        }
        let name = format!("{stem}::{}", scenario.name);
        if cases.iter().any(|c| c.name == name) {
            return Err(Problem::new(format!("{shown}:{}", scenario.line), format!("two scenarios are named {:?}", scenario.name))
                .hint("scenario names (after outline expansion) must be unique: put a <placeholder> in outline titles"));
        }
        cases.push(Case { name, feature_file: file.to_path_buf(), scenario: scenario.name.clone(), line: scenario.line, needs, observes, uses });
    }
    Ok(cases)
}

/// A scenario after outline expansion: what cucumber runs and how it names it.
struct Expanded {
    name: String,
    line: usize,
    tags: Vec<String>,
}

/// Expand an outline the way cucumber 0.23 does (`feature::Ext::expand_examples`): one scenario per
/// example row, `<column>` replaced in its name, the row's line (the examples' line + row + 2) and
/// the examples' tags added. The suite crate checks both expansions agree on every feature.
fn expand(scenario: &Scenario) -> Vec<Expanded> {
    if scenario.examples.is_empty() {
        return vec![Expanded { name: scenario.name.clone(), line: scenario.position.line, tags: scenario.tags.clone() }];
    }
    let mut out = Vec::new();
    for examples in &scenario.examples {
        let Some((header, rows)) = examples.table.as_ref().and_then(|t| t.rows.split_first()) else { continue };
        for (i, row) in rows.iter().enumerate() {
            let name = header.iter().zip(row).fold(scenario.name.clone(), |name, (k, v)| name.replace(&format!("<{k}>"), v));
            let tags = scenario.tags.iter().chain(&examples.tags).cloned().collect();
            out.push(Expanded { name, line: examples.position.line + i + 2, tags });
        }
    }
    out
}

//! Which image each service runs in a deployment, and what tier that makes it (honest tiers):
//! the official image, a substitute built from the same upstream software, the repository's own
//! source, or an inert placeholder that only holds the service's network position.

use std::collections::BTreeMap;
use std::path::Path;

use crate::problem::{Problem, Result};
use crate::stack::manifest::{Manifest, Offline};

/// Where images come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The registry named in the manifest (Docker Hub by default).
    Registry,
    /// A registry mirror: `<prefix>/<image>` (`AIWAH_REGISTRY_MIRROR`); per image like `Auto`, with
    /// the mirror asked instead of the image's own registry.
    Mirror(String),
    /// Images built on this machine from `stacks/offline/` recipes.
    Offline,
    /// Per image: the official one if the engine has it or its registry answers (it is pulled before
    /// anything starts, see [`crate::engine::obtain`]); else the offline build (built when missing).
    Auto,
}

impl Source {
    /// `AIWAH_IMAGE_SOURCE` (`registry`, `offline`) and `AIWAH_REGISTRY_MIRROR`, registry by default.
    pub fn from_env() -> Result<Source> {
        if let Ok(prefix) = std::env::var("AIWAH_REGISTRY_MIRROR") {
            if !prefix.is_empty() {
                return Ok(Source::Mirror(prefix.trim_end_matches('/').to_string()));
            }
        }
        match std::env::var("AIWAH_IMAGE_SOURCE").as_deref() {
            Err(_) | Ok("") | Ok("auto") => Ok(Source::Auto),
            Ok("registry") => Ok(Source::Registry),
            Ok("offline") => Ok(Source::Offline),
            Ok(other) => Err(Problem::new("AIWAH_IMAGE_SOURCE", format!("unknown image source {other:?}"))
                .hint("use auto, registry or offline (or set AIWAH_REGISTRY_MIRROR)")),
        }
    }
}

impl Source {
    /// The name [`Source::parse`] reads back (handles between processes).
    pub fn name(&self) -> String {
        match self {
            Source::Registry => "registry".into(),
            Source::Mirror(prefix) => format!("mirror:{prefix}"),
            Source::Offline => "offline".into(),
            Source::Auto => "auto".into(),
        }
    }

    pub fn parse(name: &str) -> Result<Source> {
        match name {
            "registry" => Ok(Source::Registry),
            "offline" => Ok(Source::Offline),
            "auto" => Ok(Source::Auto),
            other => {
                other.strip_prefix("mirror:").map(|p| Source::Mirror(p.into())).ok_or_else(|| Problem::new("image source", format!("unknown source {other:?}")))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Official,
    /// The same upstream software from packages (PostgreSQL, n8n): real, but marked in reports.
    Substitute,
    /// Built from this repository.
    Source,
    /// Holds the network position only; scenarios needing it are skipped.
    Placeholder,
}

impl Tier {
    pub fn label(self) -> &'static str {
        match self {
            Tier::Official => "official",
            Tier::Substitute => "substitute",
            Tier::Source => "source",
            Tier::Placeholder => "placeholder",
        }
    }

    /// The tier a label names ([`Tier::label`]'s inverse).
    pub fn from_label(label: &str) -> Option<Tier> {
        [Tier::Official, Tier::Substitute, Tier::Source, Tier::Placeholder].into_iter().find(|t| t.label() == label)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Choice {
    /// The manifest's pinned image (what an official deployment runs).
    pub official: String,
    /// What this deployment runs.
    pub image: String,
    pub tier: Tier,
    pub listens: Vec<u16>,
}

/// Manifest image → choice, for one deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImagePlan {
    pub by_official: BTreeMap<String, Choice>,
}

impl ImagePlan {
    pub fn resolve(root: &Path, manifest: &Manifest, source: &Source) -> Result<ImagePlan> {
        ImagePlan::resolve_only(root, manifest, source, |_| true)
    }

    /// Like [`ImagePlan::resolve`], for the manifest images `wanted` accepts only (a subset of stacks).
    /// Entries named in the image set of `AIWAH_IMAGE_OVERRIDES` run exactly the image it names.
    pub fn resolve_only(root: &Path, manifest: &Manifest, source: &Source, wanted: impl Fn(&str) -> bool) -> Result<ImagePlan> {
        let overrides = image_overrides(manifest)?;
        let mut by_official = BTreeMap::new();
        for (key, entry) in manifest.images.iter().filter(|(_, e)| wanted(&e.image)) {
            if let Some(image) = overrides.get(key) {
                by_official.insert(
                    entry.image.clone(),
                    Choice { official: entry.image.clone(), image: image.clone(), tier: Tier::Official, listens: entry.listens.clone() },
                );
                continue;
            }
            let source = match source {
                Source::Auto => auto_source(&entry.image, &entry.image, entry.offline)?,
                Source::Mirror(prefix) => match auto_source(&format!("{prefix}/{}", entry.image), &entry.image, entry.offline)? {
                    Source::Registry => Source::Mirror(prefix.clone()),
                    other => other,
                },
                other => other.clone(),
            };
            let (image, tier) = match (&source, entry.offline) {
                (_, Offline::Source) => (entry.image.clone(), Tier::Source),
                (Source::Auto, _) => unreachable!("auto resolves per image"),
                (Source::Registry, _) => (entry.image.clone(), Tier::Official),
                (Source::Mirror(prefix), _) => (format!("{prefix}/{}", entry.image), Tier::Official),
                (Source::Offline, Offline::Placeholder) => (offline_tag_or_missing(root, "placeholder"), Tier::Placeholder),
                (Source::Offline, kind) => (offline_tag_or_missing(root, recipe_for(&entry.image, kind).expect("substitutes have recipes")), Tier::Substitute),
            };
            by_official.insert(entry.image.clone(), Choice { official: entry.image.clone(), image, tier, listens: entry.listens.clone() });
        }
        Ok(ImagePlan { by_official })
    }

    pub fn choice(&self, official: &str) -> Option<&Choice> {
        self.by_official.get(official)
    }
}

/// Names a TOML file `[images]` `<manifest key> = "<reference>"`: the exact image those entries run in
/// this process's deployments, as official (what `cargo xtask upgrade-check` uses to run a candidate set:
/// `127.0.0.1:5000/n8nio/n8n:2.41.2` in place of the pinned `n8nio/n8n:2.41.1`). Unset: none.
pub const OVERRIDES_ENV: &str = "AIWAH_IMAGE_OVERRIDES";

/// The image set named by [`OVERRIDES_ENV`]; a key the manifest does not have is an error naming the file.
pub fn image_overrides(manifest: &Manifest) -> Result<BTreeMap<String, String>> {
    let Some(file) = std::env::var_os(OVERRIDES_ENV).filter(|f| !f.is_empty()) else { return Ok(BTreeMap::new()) };
    let shown = std::path::PathBuf::from(&file).display().to_string();
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Overrides {
        images: BTreeMap<String, String>,
    }
    let text = std::fs::read_to_string(&file).map_err(|e| Problem::new(format!("{OVERRIDES_ENV} {shown}"), format!("cannot read: {e}")))?;
    let overrides: Overrides = toml::from_str(&text).map_err(|e| Problem::new(format!("{OVERRIDES_ENV} {shown}"), crate::stack::registry::toml_message(&e)))?;
    if let Some(key) = overrides.images.keys().find(|k| !manifest.images.contains_key(*k)) {
        return Err(Problem::new(format!("{OVERRIDES_ENV} {shown}: images.{key}"), "names no image in stacks/images.toml"));
    }
    Ok(overrides.images)
}

/// Auto (and a mirror): the official image (`reference`, mirror-prefixed or not) if the engine has
/// it or its registry answers, else the offline build of `official` where there is a recipe. An
/// engine that cannot be asked is an error, never read as "absent".
fn auto_source(reference: &str, official: &str, offline: Offline) -> Result<Source> {
    if crate::engine::docker::image_present(reference)? || recipe_for(official, offline).is_none() {
        return Ok(Source::Registry);
    }
    match crate::engine::pull::registry_answers(reference)? {
        Ok(()) => Ok(Source::Registry),
        Err(_) => Ok(Source::Offline),
    }
}

/// The offline recipe standing in for `official` (None for images built from source).
pub fn recipe_for(official: &str, offline: Offline) -> Option<&'static str> {
    match offline {
        Offline::Placeholder => Some("placeholder"),
        Offline::Postgres => Some(substitute_recipe(official)),
        Offline::N8n => Some("n8n"),
        Offline::Node => Some("node"),
        Offline::Source => None,
    }
}

/// Supabase's Postgres carries Supabase's roles and schemas; plain PostgreSQL does not.
fn substitute_recipe(official: &str) -> &'static str {
    if official.starts_with("supabase/postgres:") { "supabase-postgres" } else { "postgres" }
}

/// The recipe's tag, or a tag that names the missing recipe (reported when a stack needs it, so that
/// stacks that do not need it can still run).
fn offline_tag_or_missing(root: &Path, name: &str) -> String {
    offline_tag(root, name).unwrap_or_else(|_| format!("aiwah-offline/{name}:no-such-recipe"))
}

/// The tag `stacks/offline/build.sh` gives recipe `name` (a hash of the recipe: no engine, no
/// `bash`; computed once per process, see [`crate::engine::recipe`]).
pub fn offline_tag(root: &Path, name: &str) -> Result<String> {
    crate::engine::recipe::tag(root, name)
}

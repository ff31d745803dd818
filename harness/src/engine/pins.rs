//! Running a deployment by content address (what `cargo xtask accept` opts into): before the start,
//! every image a service runs is resolved on the engine — a pulled image to its registry digest
//! (`RepoDigests`: the override then names `repo@sha256:…`), an image built on this machine (offline
//! substitutes, placeholders, an official name tagged here) to its image ID, which the override names
//! instead — and images built by the start itself (the UI from source) keep their build tag. After
//! the start, [`lock`] compares what every running container was started as and runs with these pins,
//! and refuses, naming the service, on a difference.

use std::collections::BTreeMap;

use crate::engine::docker::docker;
use crate::engine::overrides::labels;
use crate::engine::plan::{Choice, Tier};
use crate::problem::{Problem, Result};

/// How a service's image is named in the deployment's override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunsBy {
    /// `repo@sha256:…`: the registry's manifest digest (the image was pulled).
    Digest,
    /// `sha256:…`: the engine's image ID (built or tagged here: no registry digest exists).
    ImageId,
    /// Its build tag: built from this repository by the start itself.
    Tag,
}

/// What one manifest image was resolved to before the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The manifest's pinned image.
    pub official: String,
    /// The image reference the plan names (`127.0.0.1:5000/postgres:17.6`, `aiwah-offline/n8n:…`).
    pub tagged: String,
    /// What the override names instead (the tag for [`RunsBy::Tag`]).
    pub reference: String,
    pub runs_by: RunsBy,
    /// The engine's image ID then (empty for [`RunsBy::Tag`]: the start builds it).
    pub image_id: String,
    pub tier: Tier,
}

impl Pin {
    /// The pin of `choice`, given what the engine says of its image: its ID and `RepoDigests`.
    pub fn of(choice: &Choice, image_id: &str, repo_digests: &[String]) -> Pin {
        let repository = repository(&choice.image);
        let digest = repo_digests.iter().find(|d| d.split_once('@').is_some_and(|(repo, _)| repo == repository));
        let (reference, runs_by) = match digest {
            Some(digest) => (digest.clone(), RunsBy::Digest),
            None => (image_id.to_string(), RunsBy::ImageId),
        };
        Pin { official: choice.official.clone(), tagged: choice.image.clone(), reference, runs_by, image_id: image_id.to_string(), tier: choice.tier }
    }

    /// An image the start builds from source: by its build tag.
    pub fn built_by_start(choice: &Choice, tag: &str) -> Pin {
        Pin {
            official: choice.official.clone(),
            tagged: tag.to_string(),
            reference: tag.to_string(),
            runs_by: RunsBy::Tag,
            image_id: String::new(),
            tier: choice.tier,
        }
    }

    /// The registry digest (`sha256:…`) of a [`RunsBy::Digest`] pin.
    pub fn digest(&self) -> Option<&str> {
        (self.runs_by == RunsBy::Digest).then(|| self.reference.split_once('@').map(|(_, d)| d)).flatten()
    }
}

/// Manifest image → its pin, for the images a deployment's services run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagePins {
    pub by_official: BTreeMap<String, Pin>,
}

impl ImagePins {
    /// Resolve `choices` on the engine now (after pulls and offline builds, before the start).
    pub fn resolve<'a>(choices: impl IntoIterator<Item = &'a Choice>) -> Result<ImagePins> {
        let mut by_official = BTreeMap::new();
        for choice in choices {
            let pin = if choice.tier == Tier::Source {
                Pin::built_by_start(choice, &choice.image)
            } else {
                let (id, digests) = inspect(&choice.image)
                    .map_err(|p| Problem::new(format!("image {}", choice.image), format!("cannot be resolved to a digest before the start: {p}")))?;
                Pin::of(choice, &id, &digests)
            };
            by_official.insert(choice.official.clone(), pin);
        }
        Ok(ImagePins { by_official })
    }

    /// What the override names for the service running `official`, if it is pinned.
    pub fn reference(&self, official: &str) -> Option<&str> {
        self.by_official.get(official).map(|p| p.reference.as_str())
    }
}

/// The repository of an image reference: `127.0.0.1:5000/postgres:17.6` → `127.0.0.1:5000/postgres`.
pub fn repository(reference: &str) -> &str {
    let reference = reference.split_once('@').map(|(r, _)| r).unwrap_or(reference);
    reference.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')).map(|(repo, _)| repo).unwrap_or(reference)
}

/// The engine's image ID and `RepoDigests` of `image`.
fn inspect(image: &str) -> Result<(String, Vec<String>)> {
    let out = docker(&["image", "inspect", "--format", "{{.Id}}|{{range .RepoDigests}}{{.}} {{end}}", image])?;
    let (id, digests) = out.trim().split_once('|').unwrap_or((out.trim(), ""));
    Ok((id.to_string(), digests.split_whitespace().map(String::from).collect()))
}

/// One running container of a deployment, as the engine describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    /// `stack/service`.
    pub service: String,
    /// What it was started as (`.Config.Image`).
    pub started_as: String,
    /// The image it runs (`.Image`).
    pub image_id: String,
    pub tier: String,
    pub official: String,
}

/// A row of `images.lock`: what one running container runs, by the engine's own account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Locked {
    /// `stack/service`.
    pub service: String,
    /// The manifest's pinned image this service stands for.
    pub official: String,
    /// Repository and tag the plan named (resolved to `digest` before the start).
    pub image: String,
    pub tag: String,
    /// How the container was started: by registry digest, by image ID, or by its build tag.
    pub runs_by: RunsBy,
    /// Exactly what it was started as (`repo@sha256:…`, `sha256:…` or the build tag).
    pub started_as: String,
    /// The registry digest it runs (`RunsBy::Digest`), else its image ID.
    pub digest: String,
    /// The engine's image ID of the container.
    pub image_id: String,
    pub tier: Tier,
}

/// Check one running container against its pin: it must have been started as the pin names and run
/// the image the pin resolved to (`expected_id`: the pin's ID, or for a build tag what the tag names
/// after the start); a digest must be among the running image's `RepoDigests` on the engine.
pub fn check(running: &Running, pin: Option<&Pin>, expected_id: &str, engine_digests: &[String]) -> std::result::Result<Locked, Problem> {
    let service = format!("service {}", running.service);
    let Some(pin) = pin else {
        return Err(Problem::new(service, format!("runs {}, an image not resolved before the start (official {:?})", running.started_as, running.official)));
    };
    if running.started_as != pin.reference || running.image_id != expected_id {
        return Err(Problem::new(
            service,
            format!(
                "runs {} (image {}), but {} resolved to {} (image {expected_id}) before the start",
                running.started_as, running.image_id, pin.tagged, pin.reference
            ),
        ));
    }
    if pin.runs_by == RunsBy::Digest && !engine_digests.contains(&pin.reference) {
        return Err(Problem::new(
            service,
            format!("runs image {} whose registry digests on the engine are [{}], not {}", running.image_id, engine_digests.join(", "), pin.reference),
        ));
    }
    let tier = Tier::from_label(&running.tier).ok_or_else(|| Problem::new(&service, format!("unknown tier label {:?}", running.tier)))?;
    let image = repository(&pin.tagged);
    let tag = pin.tagged.strip_prefix(image).and_then(|t| t.strip_prefix(':')).unwrap_or("latest");
    Ok(Locked {
        service: running.service.clone(),
        official: running.official.clone(),
        image: image.to_string(),
        tag: tag.to_string(),
        runs_by: pin.runs_by,
        started_as: running.started_as.clone(),
        digest: pin.digest().unwrap_or(&running.image_id).to_string(),
        image_id: running.image_id.clone(),
        tier,
    })
}

/// The containers of deployment `id` that run now.
pub fn running(id: &str) -> Result<Vec<Running>> {
    let filter = format!("label={}={id}", labels::DEPLOYMENT);
    let ids: Vec<String> = docker(&["ps", "--quiet", "--filter", &filter])?.split_whitespace().map(String::from).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let label = |key: &str| format!("{{{{index .Config.Labels \"{key}\"}}}}");
    let format = format!(
        "{}/{}|{{{{.Config.Image}}}}|{{{{.Image}}}}|{}|{}",
        label(labels::STACK),
        label(labels::SERVICE),
        label(labels::TIER),
        label(labels::OFFICIAL_IMAGE)
    );
    let mut args = vec!["inspect", "--format", &format];
    args.extend(ids.iter().map(String::as_str));
    let mut found = Vec::new();
    for line in docker(&args)?.lines().filter(|l| !l.trim().is_empty()) {
        let [service, started_as, image_id, tier, official] = line.trim().splitn(5, '|').collect::<Vec<_>>()[..] else {
            return Err(Problem::new("docker inspect", format!("unexpected answer {line:?}")));
        };
        found.push(Running { service: service.into(), started_as: started_as.into(), image_id: image_id.into(), tier: tier.into(), official: official.into() });
    }
    found.sort_by(|a, b| a.service.cmp(&b.service));
    Ok(found)
}

/// The lock of deployment `id`'s running containers against `pins`; every difference is a problem
/// naming its service.
pub fn lock(id: &str, pins: &ImagePins) -> std::result::Result<Vec<Locked>, Vec<Problem>> {
    let containers = running(id).map_err(|p| vec![p])?;
    if containers.is_empty() {
        return Err(vec![Problem::new(format!("deployment {id}"), "has no running container to record")]);
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for container in &containers {
        let pin = pins.by_official.get(&container.official);
        let facts = pin.map(|pin| -> Result<(String, Vec<String>)> {
            let (id_now, _) = if pin.runs_by == RunsBy::Tag { inspect(&pin.reference)? } else { (pin.image_id.clone(), Vec::new()) };
            let (_, digests) = inspect(&container.image_id)?;
            Ok((id_now, digests))
        });
        let (expected, digests) = match facts.transpose() {
            Ok(facts) => facts.unwrap_or_default(),
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        match check(container, pin, &expected, &digests) {
            Ok(row) => rows.push(row),
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

#[cfg(test)]
#[path = "pins_tests.rs"]
mod tests;

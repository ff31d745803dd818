//! `images.lock` and running by digest. Once its images are on the engine and before anything
//! starts, accept pins every image its copy runs ([`overrides::run_by_digest`]): a pulled image by
//! its registry digest (`repo@sha256:…` in the override), an image built here by its image ID, the
//! UI by the tag its start builds. An official image without a registry digest (tagged or built on
//! this machine) is refused unless `--allow-substitutes`. After the start, every running container's
//! image is compared with its pin, from the engine's own account, and the lock records one row per
//! container, saying how it ran; any difference refuses, naming the service.

use aiwah_harness::engine::pins::{self, ImagePins, Locked, RunsBy};
use aiwah_harness::engine::{Deployment, Tier, overrides};
use aiwah_harness::{Problem, Problems};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ImagesLock {
    pub image: Vec<Locked>,
}

/// Pin `deployment`'s images (rewriting its overrides); refuses official images that have no
/// registry digest unless substitutes are allowed.
pub fn pin(deployment: &mut Deployment, allow_substitutes: bool) -> aiwah_harness::problem::Result<ImagePins> {
    let pins = overrides::run_by_digest(deployment)?;
    if let Some(refusal) = unverifiable(&pins, allow_substitutes) {
        return Err(refusal);
    }
    Ok(pins)
}

/// The refusal for official-tier images that can run by image ID only (no registry digest here).
pub fn unverifiable(pins: &ImagePins, allow_substitutes: bool) -> Option<Problem> {
    let names: Vec<&str> = pins.by_official.values().filter(|p| p.tier == Tier::Official && p.runs_by != RunsBy::Digest).map(|p| p.tagged.as_str()).collect();
    (!names.is_empty() && !allow_substitutes).then(|| {
        Problem::new(
            "accept",
            format!("official images without a registry digest on this engine (tagged or built here, not pulled): {}; nothing was started", names.join(", ")),
        )
        .hint("pull them (docker image rm, then cargo xtask up pulls), or --allow-substitutes to run them by image ID, recorded in images.lock")
    })
}

/// The lock of `deployment`'s running containers against `pins`; refuses on any difference.
pub fn lock(deployment: &Deployment, pins: &ImagePins) -> Result<ImagesLock, Problems> {
    pins::lock(deployment.id(), pins).map(|image| ImagesLock { image }).map_err(Problems)
}

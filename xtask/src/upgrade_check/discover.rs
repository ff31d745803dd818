//! Discovery: for each image, its repository's tags from the registry, the newest release its policy
//! allows (and the next-lower one, a fallback should the newest break), with their digests.

use aiwah_harness::registry::policy::{HeldBack, Policy, survey};
use aiwah_harness::registry::versions::Versioning;
use aiwah_harness::registry::{RegistryClient, RegistryError};
use aiwah_harness::stack::manifest::ImageEntry;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// `name:tag`, as the manifest would write it.
    pub image: String,
    /// What the engine pulls (registry-qualified for a mirror).
    pub reference: String,
    pub digest: String,
    pub bump: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    pub key: String,
    pub current: String,
    pub versioning: Versioning,
    /// Newest allowed release, if newer than the pin.
    pub candidate: Option<Candidate>,
    /// The next-lower allowed release, tried if the candidate breaks.
    pub fallback: Option<Candidate>,
    pub held_back: Vec<HeldBack>,
    pub tags_seen: usize,
    pub not_releases: usize,
    /// Whether the cool-down could be applied (push dates known).
    pub push_dates_known: bool,
}

/// Survey one image. `None` for images that are never checked (`versioning = "pinned"`).
pub fn discover(client: &RegistryClient, key: &str, entry: &ImageEntry) -> Result<Option<Discovery>, RegistryError> {
    if entry.versioning == Versioning::Pinned {
        return Ok(None);
    }
    let pin = entry.reference().map_err(|problem| RegistryError { failure: aiwah_harness::registry::Failure::Unexpected, problem })?;
    let tags = client.tags(&pin)?;
    let policy = Policy { versioning: entry.versioning, max_bump: entry.bump, cooldown_days: entry.cooldown_days };
    // The Distribution API tells no push dates: the cool-down applies only where a registry gives them.
    let no_dates = |_: &str| None;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let Some(found) = survey(policy, &pin.tag, &tags, &no_dates, now) else { return Ok(None) };
    let resolve = |tag: &str, bump: String| -> Result<Candidate, RegistryError> {
        let image = pin.with_tag(tag);
        let head = client.manifest_head(&image)?;
        Ok(Candidate { image: image.to_string(), reference: client.endpoint().pull_reference(&image), digest: head.digest, bump })
    };
    let mut discovery = Discovery {
        key: key.to_string(),
        current: entry.image.clone(),
        versioning: entry.versioning,
        candidate: None,
        fallback: None,
        held_back: found.held_back.clone(),
        tags_seen: tags.len(),
        not_releases: found.not_releases,
        push_dates_known: found.push_dates_known,
    };
    if let (Some(candidate), Some(bump)) = (&found.candidate, found.candidate_bump) {
        discovery.candidate = Some(resolve(&candidate.tag, bump.label().into())?);
        let lower: Vec<String> = tags.iter().filter(|t| policy.versioning.release(&pin.tag, t).is_some_and(|v| v < *candidate)).cloned().collect();
        if let Some(next) = survey(policy, &pin.tag, &lower, &no_dates, now).filter(|s| s.candidate.is_some()) {
            discovery.fallback = Some(resolve(&next.candidate.expect("checked").tag, next.candidate_bump.map(|b| b.label()).unwrap_or("patch").into())?);
        }
    }
    Ok(Some(discovery))
}

//! Discovery: for each image, its repository's tags from the registry, the newest release its policy
//! allows (and the next-lower one, a fallback should the newest break), with their digests. Releases
//! are dated for the cool-down: Docker Hub's tag push time when the registry is Docker Hub, else (and
//! as its fallback) the image's config `created` from the registry itself.

use std::cell::RefCell;
use std::collections::BTreeMap;

use aiwah_harness::registry::dates::{Dating, HUB_API, HubClient, date_of};
use aiwah_harness::registry::policy::{HeldBack, Policy, TagDating, survey};
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
    /// The image's cool-down in days (0: none, nothing dated).
    pub cooldown_days: u32,
    /// Each release checked against the cool-down, with its date and the date's source (or why none).
    pub dates: Vec<TagDating>,
}

/// Survey one image. `None` for images that are never checked (`versioning = "pinned"`).
pub fn discover(client: &RegistryClient, key: &str, entry: &ImageEntry) -> Result<Option<Discovery>, RegistryError> {
    if entry.versioning == Versioning::Pinned {
        return Ok(None);
    }
    let pin = entry.reference().map_err(|problem| RegistryError { failure: aiwah_harness::registry::Failure::Unexpected, problem })?;
    let tags = client.tags(&pin)?;
    let policy = Policy { versioning: entry.versioning, max_bump: entry.bump, cooldown_days: entry.cooldown_days };
    let hub = client.endpoint().is_docker_hub().then(|| HubClient::new(HUB_API));
    // Each tag is dated once (the fallback's survey asks again); a registry that fails is "could not check".
    let (known, failed): (RefCell<BTreeMap<String, Dating>>, RefCell<Option<RegistryError>>) = Default::default();
    let mut dated = |tag: &str| -> Dating {
        if let Some(dating) = known.borrow().get(tag) {
            return dating.clone();
        }
        let image = pin.with_tag(tag);
        let ask_hub = || hub.as_ref().expect("asked only with a hub").tag_last_pushed(&image);
        let ask_config = || client.config_created(&image);
        let dating = date_of(hub.as_ref().map(|_| &ask_hub as &dyn Fn() -> Result<Dating, RegistryError>), &ask_config).unwrap_or_else(|e| {
            let why = e.to_string();
            failed.borrow_mut().get_or_insert(e);
            Dating::Unknown { why }
        });
        known.borrow_mut().insert(tag.to_string(), dating.clone());
        dating
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let found = survey(policy, &pin.tag, &tags, &mut dated, now);
    if let Some(e) = failed.borrow_mut().take() {
        return Err(e);
    }
    let Some(found) = found else { return Ok(None) };
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
        cooldown_days: policy.cooldown_days,
        dates: found.dates.clone(),
    };
    if let (Some(candidate), Some(bump)) = (&found.candidate, found.candidate_bump) {
        discovery.candidate = Some(resolve(&candidate.tag, bump.label().into())?);
        let lower: Vec<String> = tags.iter().filter(|t| policy.versioning.release(&pin.tag, t).is_some_and(|v| v < *candidate)).cloned().collect();
        let next = survey(policy, &pin.tag, &lower, &mut dated, now).filter(|s| s.candidate.is_some());
        if let Some(e) = failed.borrow_mut().take() {
            return Err(e);
        }
        if let Some(next) = next {
            discovery.fallback = Some(resolve(&next.candidate.expect("checked").tag, next.candidate_bump.map(|b| b.label()).unwrap_or("patch").into())?);
        }
    }
    Ok(Some(discovery))
}

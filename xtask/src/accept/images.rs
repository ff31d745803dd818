//! `images.lock`: the image each running container of the sign-off actually has, as the engine
//! reports it, and the refusal when that is not what the plan resolved before the start.
//!
//! "Runs by digest" here: every image reference of the plan is resolved to its content address
//! (the engine's image ID, a sha256 of the image's config) before anything starts; each container's
//! own image ID must equal it afterwards, so a tag that moved in between is caught. The lock
//! records the registry's manifest digest (`RepoDigests`, what `docker pull name@sha256:…`
//! reproduces) for pulled images, and the image ID for images built on this machine (offline
//! substitutes, placeholders, the UI built from source), which have no registry digest.

use std::collections::BTreeMap;

use aiwah_harness::engine::docker::docker;
use aiwah_harness::engine::overrides::labels;
use aiwah_harness::engine::{Deployment, ImagePlan, Tier};
use aiwah_harness::{Problem, Problems};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DigestKind {
    /// The registry's manifest digest (the image was pulled).
    Registry,
    /// The engine's image ID (built here: no registry knows it).
    ImageId,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Locked {
    /// `stack/service`.
    pub service: String,
    /// The manifest's pinned image this service stands for.
    pub official: String,
    /// Repository of the image that ran, and its tag.
    pub image: String,
    pub tag: String,
    pub digest: String,
    pub digest_kind: DigestKind,
    /// The engine's image ID of the container (equal to `digest` for built images).
    pub image_id: String,
    pub tier: Tier,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ImagesLock {
    pub image: Vec<Locked>,
}

/// Image reference → image ID, for every image of `plan` the engine has now.
pub fn resolve(plan: &ImagePlan) -> Result<BTreeMap<String, String>, Problems> {
    let mut ids = BTreeMap::new();
    for choice in plan.by_official.values() {
        if let Some(id) = image_id(&choice.image)? {
            ids.insert(choice.image.clone(), id);
        }
    }
    Ok(ids)
}

fn image_id(reference: &str) -> Result<Option<String>, Problems> {
    if !aiwah_harness::engine::docker::image_present(reference)? {
        return Ok(None);
    }
    Ok(Some(docker(&["image", "inspect", "--format", "{{.Id}}", reference])?.trim().to_string()))
}

/// The lock of `deployment`'s running containers; refuses when one runs another image than the
/// one `resolved` (before the start) names for its reference.
pub fn lock(deployment: &Deployment, resolved: &BTreeMap<String, String>) -> Result<ImagesLock, Problems> {
    let filter = format!("label={}={}", labels::DEPLOYMENT, deployment.id());
    let ids: Vec<String> = docker(&["ps", "--quiet", "--filter", &filter])?.split_whitespace().map(String::from).collect();
    if ids.is_empty() {
        return Err(Problem::new(format!("deployment {}", deployment.id()), "has no running container to record").into());
    }
    let format = format!(
        "{{{{index .Config.Labels \"{}\"}}}}/{{{{index .Config.Labels \"{}\"}}}}|{{{{.Config.Image}}}}|{{{{.Image}}}}|{{{{index .Config.Labels \"{}\"}}}}|{{{{index .Config.Labels \"{}\"}}}}",
        labels::STACK,
        labels::SERVICE,
        labels::TIER,
        labels::OFFICIAL_IMAGE
    );
    let mut args = vec!["inspect", "--format", &format];
    args.extend(ids.iter().map(String::as_str));
    let mut problems = Vec::new();
    let mut locked = Vec::new();
    for line in docker(&args)?.lines().filter(|l| !l.trim().is_empty()) {
        let Some(running) = Running::parse(line) else {
            problems.push(Problem::new("docker inspect", format!("unexpected answer {line:?}")));
            continue;
        };
        let expected = match resolved.get(running.reference) {
            Some(id) => id.clone(),
            // Built by the start itself (the UI from source): what its reference names now.
            None => image_id(running.reference)?.unwrap_or_default(),
        };
        let digest = registry_digest(running.image_id, running.repository_and_tag().0)?;
        match running.lock(&expected, digest) {
            Ok(entry) => locked.push(entry),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    locked.sort_by(|a, b| a.service.cmp(&b.service));
    Ok(ImagesLock { image: locked })
}

/// One running container, as `docker inspect` describes it (`service|reference|image id|tier|official`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running<'a> {
    pub service: &'a str,
    pub reference: &'a str,
    pub image_id: &'a str,
    pub tier: &'a str,
    pub official: &'a str,
}

impl<'a> Running<'a> {
    pub fn parse(line: &'a str) -> Option<Running<'a>> {
        let [service, reference, image_id, tier, official] = line.trim().splitn(5, '|').collect::<Vec<_>>()[..] else { return None };
        Some(Running { service, reference, image_id, tier, official })
    }

    /// `repository`, `tag` of the reference (`latest` when it names none).
    pub fn repository_and_tag(&self) -> (&'a str, &'a str) {
        self.reference.rsplit_once(':').filter(|(_, t)| !t.contains('/')).unwrap_or((self.reference, "latest"))
    }

    /// Its lock entry, when it runs `expected` (the image ID its reference resolved to before the start).
    pub fn lock(&self, expected: &str, registry_digest: Option<String>) -> Result<Locked, Problem> {
        let service = format!("service {}", self.service);
        if expected != self.image_id {
            return Err(Problem::new(
                service,
                format!("runs image {}, but {} resolved to {expected:?} before the start: not the image the plan names", self.image_id, self.reference),
            ));
        }
        let tier = Tier::from_label(self.tier).ok_or_else(|| Problem::new(&service, format!("unknown tier label {:?}", self.tier)))?;
        let (image, tag) = self.repository_and_tag();
        let (digest, digest_kind) = match registry_digest {
            Some(digest) => (digest, DigestKind::Registry),
            None => (self.image_id.to_string(), DigestKind::ImageId),
        };
        Ok(Locked {
            service: self.service.to_string(),
            official: self.official.to_string(),
            image: image.to_string(),
            tag: tag.to_string(),
            digest,
            digest_kind,
            image_id: self.image_id.to_string(),
            tier,
        })
    }
}

/// The manifest digest the registry gave `image` when it was pulled (`RepoDigests`), if any.
fn registry_digest(image_id: &str, repository: &str) -> Result<Option<String>, Problems> {
    let out = docker(&["image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", image_id])?;
    Ok(out.lines().filter_map(|l| l.trim().split_once('@')).find(|(repo, _)| *repo == repository).map(|(_, digest)| digest.to_string()))
}

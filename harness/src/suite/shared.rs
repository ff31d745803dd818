//! The deployment a conformance run shares: started once per `cargo nextest run` by the setup
//! script's holder (see [`crate::suite::hold`]) and attached to by every scenario process through
//! the handle file named in `AIWAH_SUITE_HANDLE`; or, when the runner is used without nextest's
//! setup script, started by the runner process itself and torn down when it ends.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::deployment::Handle;
use crate::engine::{Deployment, Source};
use crate::problem::{Problem, Result};
use crate::stack::Manifest;
use crate::suite::target::Target;
use crate::suite::tiers::Tiers;

/// Names the handle file of the shared deployment (set by the setup script through `$NEXTEST_ENV`).
pub const HANDLE_ENV: &str = "AIWAH_SUITE_HANDLE";
/// Where scenario processes put their cucumber JSON (the holder merges them when the run ends).
pub const REPORTS_ENV: &str = "AIWAH_SUITE_REPORTS";
/// The checkout the runner uses when it starts its own deployment (tests of the suite itself).
pub const ROOT_ENV: &str = "AIWAH_SUITE_ROOT";

/// Stacks a suite deployment runs: every scenario can then find its services.
pub const STACKS: [&str; 3] = ["supabase", "n8n", "ui"];

/// Narrows the stacks a suite deployment starts, standalone or held for a nextest run (comma-separated;
/// `cargo xtask upgrade-check` leaves the UI out when none of its scenarios needs it). Unset: [`STACKS`].
pub const STACKS_ENV: &str = "AIWAH_SUITE_STACKS";

/// The stacks a standalone runner starts: [`STACKS_ENV`] or every stack.
pub fn standalone_stacks() -> Vec<String> {
    match std::env::var(STACKS_ENV) {
        Ok(list) if !list.trim().is_empty() => list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        _ => STACKS.iter().map(|s| s.to_string()).collect(),
    }
}

/// Per-stack deadline for a suite deployment to become healthy.
pub const START_DEADLINE: Duration = Duration::from_secs(600);

pub struct Suite {
    /// The copy the suite started or attached to; in target mode the deployment the target's
    /// `[docker]` names, if it names one (see [`Suite::deployment`]).
    deployment: Option<Deployment>,
    /// Target mode: what the target file gives (URLs, keys, optional capabilities).
    pub target: Option<Target>,
    /// The checkout the suite runs from (features, fixtures).
    pub root: PathBuf,
    pub tiers: Tiers,
    pub manifest: Manifest,
    /// `http://127.0.0.1:<port>` of Kong.
    pub gateway: String,
    pub n8n: String,
    pub ui: String,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Suite {{ deployment: {}, gateway: {} }}", self.id(), self.gateway)
    }
}

impl Suite {
    /// The deployment the handle file names, with the tiers it was started with: no engine or
    /// compose call, no image plan resolved again, no file written.
    pub fn attach(handle_file: &Path) -> Result<Suite> {
        Suite::around(Deployment::attach(&read_handle(handle_file)?)?)
    }

    /// A new ephemeral copy of `stacks`, started and healthy (migrations applied).
    pub fn start(root: &Path, source: &Source, stacks: &[&str], progress: crate::engine::start::Progress) -> Result<Suite> {
        Suite::start_with(root, source, stacks, progress, &mut |_| Ok(()))
    }

    /// [`Suite::start`], with `before_up` run once the images are on the engine and before anything
    /// starts (`cargo xtask accept` pins the images by digest there, or refuses).
    pub fn start_with(
        root: &Path,
        source: &Source,
        stacks: &[&str],
        progress: crate::engine::start::Progress,
        before_up: &mut dyn FnMut(&mut Deployment) -> Result<()>,
    ) -> Result<Suite> {
        let mut deployment = Deployment::ephemeral(root, source, stacks)?;
        // A fresh machine needs no separate image step: pull, else build the offline images.
        let names: Vec<String> = deployment.platform.stacks.iter().map(|s| s.name.clone()).collect();
        crate::engine::obtain::obtain(&mut deployment, &names, crate::engine::obtain::Pulls::Allowed)?;
        before_up(&mut deployment)?;
        deployment.up(&[], START_DEADLINE, progress)?;
        Suite::around(deployment)
    }

    /// The platform a target file describes: nothing is started; its `[docker]` deployment, if
    /// named, is opened (as `cargo xtask up` recorded it) for the scenarios that look at containers.
    pub fn from_target(root: &Path, target: Target) -> Result<Suite> {
        let manifest = Manifest::load(root)?;
        let (deployment, tiers) = match &target.docker {
            Some(docker) => {
                let deployment = Deployment::open_persistent_named(root, &docker.deployment)
                    .map_err(|p| Problem::new(format!("{}: docker.deployment", target.file.display()), p.to_string()))?;
                let tiers = Tiers::from_plan(&manifest, &deployment.plan);
                (Some(deployment), tiers)
            }
            // Nothing tells what runs there: the target is taken at its word (official images).
            // A placeholder answering a scenario's clients still fails it (see the runner).
            None => (None, Tiers::all_official(&manifest)),
        };
        let tiers = tiers.for_target(&target);
        let (gateway, n8n, ui) = (target.kong_url.clone(), target.n8n_url.clone(), target.ui_url.clone());
        Ok(Suite { deployment, root: root.to_path_buf(), target: Some(target), tiers, manifest, gateway, n8n, ui })
    }

    /// The deployment behind the suite; in target mode only when the target names one.
    pub fn deployment(&self) -> Result<&Deployment> {
        self.deployment.as_ref().ok_or_else(|| {
            let file = self.target.as_ref().map(|t| t.file.display().to_string()).unwrap_or_default();
            Problem::new(file, "gives no [docker] section: this step looks at containers").hint("tag its scenario @uses:docker")
        })
    }

    /// The deployment it started or attached to, for teardown.
    pub fn into_deployment(self) -> Option<Deployment> {
        self.deployment
    }

    /// The deployment's id, or the target file in target mode.
    pub fn id(&self) -> String {
        match (&self.deployment, &self.target) {
            (_, Some(target)) => format!("target {}", target.file.display()),
            (Some(deployment), None) => deployment.id().to_string(),
            (None, None) => "(none)".into(),
        }
    }

    fn around(deployment: Deployment) -> Result<Suite> {
        let manifest = Manifest::load(&deployment.root)?;
        let tiers = Tiers::from_plan(&manifest, &deployment.plan);
        let url = |stack: &str, service: &str| {
            deployment
                .urls(stack, service)
                .into_iter()
                .next()
                .ok_or_else(|| Problem::new(format!("service {stack}/{service}"), "publishes no port on the host"))
        };
        // The suite deployment runs every stack. Copies of fewer (the suite's own tests, the fault
        // scenarios' private copies) leave an address empty; scenarios needing it then fail on it.
        let (gateway, n8n, ui) = (url("supabase", "kong").unwrap_or_default(), url("n8n", "n8n").unwrap_or_default(), url("ui", "ui").unwrap_or_default());
        Ok(Suite { root: deployment.root.clone(), deployment: Some(deployment), target: None, tiers, manifest, gateway, n8n, ui })
    }

    /// A variable of the deployment's `.env` (keys, passwords); never print it.
    pub fn secret(&self, key: &str) -> Result<String> {
        // In target mode the target's own keys first; a variable only a deployment's environment
        // holds comes from its [docker] deployment (who may inspect containers may read it there).
        if let Some(target) = &self.target {
            match (target.secret(key), &self.deployment) {
                (Some(Ok(value)), _) => return Ok(value),
                (Some(Err(problem)), None) => return Err(problem),
                (None, None) => {
                    return Err(Problem::new(
                        format!("{}: {key}", target.file.display()),
                        "only a deployment's environment holds it, and the target names none",
                    )
                    .hint("a scenario that needs it is tagged @uses:docker"));
                }
                _ => {}
            }
        }
        self.deployment()?.env_value(key).filter(|v| !v.is_empty()).ok_or_else(|| Problem::new(format!("deployment {}: {key}", self.id()), "is not set"))
    }

    /// `stack/service` of every service running one of the manifest images `needs` (for logs).
    pub fn services_of(&self, needs: &[String]) -> Vec<(String, String)> {
        let images: Vec<&str> = needs.iter().filter_map(|k| self.manifest.images.get(k)).map(|e| e.image.as_str()).collect();
        let Some(deployment) = &self.deployment else { return vec![] };
        deployment
            .models
            .iter()
            .flat_map(|m| m.config.services.iter().map(move |(name, svc)| (m.stack.clone(), name.clone(), svc)))
            .filter(|(_, _, svc)| svc.labels.get(crate::engine::overrides::labels::OFFICIAL_IMAGE).is_some_and(|i| images.contains(&i.as_str())))
            .map(|(stack, name, _)| (stack, name))
            .collect()
    }

    /// The container IP of `stack/service` on its own stack network (reachable from the host).
    pub fn container_ip(&self, stack: &str, service: &str) -> Result<String> {
        let container = self.deployment()?.container(stack, service)?;
        crate::engine::docker::container_ips(&container)?
            .into_iter()
            .next()
            .ok_or_else(|| Problem::new(format!("service {stack}/{service}"), "has no IP address"))
    }

    /// An image with bash for probes: the offline base when built, else the database image.
    pub fn probe_image(&self) -> Result<String> {
        if let Ok(tag) = crate::engine::plan::offline_tag(&self.root, "base") {
            if crate::engine::docker::image_present(&tag)? {
                return Ok(tag);
            }
        }
        let db = self.manifest.images.get("supabase-db").ok_or_else(|| Problem::new("stacks/images.toml", "has no supabase-db image"))?;
        Ok(self.deployment()?.plan.choice(&db.image).map(|c| c.image.clone()).unwrap_or_else(|| db.image.clone()))
    }
}

/// The handle a holder wrote (see [`crate::suite::hold`]).
pub fn read_handle(handle_file: &Path) -> Result<Handle> {
    let shown = handle_file.display().to_string();
    let text = std::fs::read_to_string(handle_file).map_err(|e| {
        Problem::new(&shown, format!("cannot read the suite's deployment handle: {e}")).hint("the setup script's holder has ended; run the tests again")
    })?;
    serde_json::from_str(&text)
        .map_err(|e| Problem::new(&shown, format!("not a deployment handle: {e}")).hint("written by another version? run the tests again"))
}

/// The tiers the copy behind `handle_file` was started with (read from its handle, no engine).
pub fn handle_tiers(root: &Path, handle_file: &Path) -> Result<Tiers> {
    Ok(Tiers::from_plan(&Manifest::load(root)?, &read_handle(handle_file)?.plan))
}

/// The report folder of this run (`$AIWAH_SUITE_REPORTS`, else `target/conformance/latest`).
pub fn reports_dir(root: &Path) -> PathBuf {
    std::env::var_os(REPORTS_ENV).map(PathBuf::from).unwrap_or_else(|| root.join("target/conformance/latest"))
}

//! Deployments another process started, opened without deciding anything again: the suite's copy
//! from the handle its holder wrote, the persistent deployment from the record `cargo xtask up`
//! left. Neither resolves the image plan nor rewrites an override file: what runs was decided
//! once, when it started, and travels with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Deployment, KONG_PIN, copy_options, copy_workdir, persistent_owner, persistent_workdir};
use crate::engine::plan::ImagePlan;
use crate::problem::{Problem, Result};
use crate::stack::{Compose, LoadOptions, Platform, StackModel};

/// What another process needs to attach to a running ephemeral copy (the suite's shared
/// deployment) with no engine or compose call: written by the process that holds the copy, read
/// by the test processes. The models carry the copy's secrets (service environments): the holder
/// writes it private and removes it with the copy.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Handle {
    pub id: String,
    /// The holder's run id (`pid@start@boot`): its labels, and what sweeps judge it by.
    pub run: String,
    pub kong_port: u16,
    pub stacks: Vec<String>,
    pub source: String,
    pub root: PathBuf,
    /// The plan the copy was started with: per manifest image, what runs and at which tier.
    pub plan: ImagePlan,
    /// The stacks as compose read them with the copy's overrides: what runs.
    pub models: Vec<StackModel>,
    /// The Compose the holder found.
    pub compose: Compose,
    /// Host ports the engine chose for published container ports: `stack/service/target` → port.
    pub host_ports: BTreeMap<String, u16>,
}

impl Handle {
    /// The copy's work folder: its `.env` and override files.
    pub fn workdir(&self) -> PathBuf {
        copy_workdir(&self.id)
    }
}

/// What `cargo xtask up` records next to the persistent deployment's overrides.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Record {
    source: String,
    /// Optional overrides layered (`--with logs`).
    overrides: Vec<String>,
    plan: ImagePlan,
}

const RECORD_FILE: &str = "deployment.json";

impl Deployment {
    /// This copy as another process can find it again ([`Deployment::attach`]); asks compose once
    /// for the host ports the engine chose, so that attaching never has to.
    pub fn handle(&self) -> Result<Handle> {
        let stacks = self.platform.stacks.iter().map(|s| s.name.clone()).collect();
        let kong_port = self.owner.pinned_ports.get(KONG_PIN).copied().unwrap_or(0);
        let mut host_ports = self.host_ports.clone();
        for model in &self.models {
            for state in self.states(&model.stack)? {
                host_ports.extend(state.host_ports.iter().map(|(target, port)| (format!("{}/{}/{target}", model.stack, state.service), *port)));
            }
        }
        Ok(Handle {
            id: self.owner.deployment.clone(),
            run: self.owner.run.clone(),
            kong_port,
            stacks,
            source: self.source_name.clone(),
            root: self.root.clone(),
            plan: self.plan.clone(),
            models: self.models.clone(),
            compose: self.compose.clone(),
            host_ports,
        })
    }

    /// The copy another process holds, for use (ports, logs, queries) but never teardown. Reads
    /// only files: the stacks' registry and the copy's work folder.
    pub fn attach(handle: &Handle) -> Result<Deployment> {
        let mut platform = Platform::load(&handle.root)?;
        platform.stacks.retain(|s| handle.stacks.contains(&s.name));
        let workdir = copy_workdir(&handle.id);
        if !workdir.join(".env").is_file() {
            return Err(Problem::new(format!("deployment {}", handle.id), "is gone (its work folder has no .env)")
                .hint("the process holding it has ended; start the run again"));
        }
        let (mut opts, shared_network, owner) = copy_options(&handle.root, &platform, handle.id.clone(), handle.kong_port, handle.run.clone(), &workdir);
        opts.generated = written_overrides(&platform, &workdir, &format!("deployment {}", handle.id))?;
        Ok(Deployment {
            owner,
            root: handle.root.clone(),
            platform,
            compose: handle.compose.clone(),
            plan: handle.plan.clone(),
            shared_network,
            opts,
            models: handle.models.clone(),
            source_name: handle.source.clone(),
            workdir,
            torn_down: false,
            attached: true,
            host_ports: handle.host_ports.clone(),
        })
    }

    /// The persistent deployment as `cargo xtask up` started it, for commands that look or stop
    /// (`status`, `logs`, `down`, `restart`): the override files and plan `up` wrote, never
    /// rewritten. Compose reads the stacks with them (what runs).
    pub fn open_persistent(root: &Path) -> Result<Deployment> {
        Deployment::open_persistent_named(root, &persistent_name()?)
    }

    /// [`Deployment::open_persistent`] for the deployment `up` ran as `name` (a target file names it).
    pub fn open_persistent_named(root: &Path, name: &str) -> Result<Deployment> {
        let name = valid_name(name.to_string())?;
        let workdir = persistent_workdir(root, &name);
        let file = workdir.join(RECORD_FILE);
        let shown = crate::repo::shown(root, &file);
        let text = std::fs::read_to_string(&file).map_err(|_| {
            Problem::new(format!("deployment {name}"), format!("was not started from this checkout ({shown} is missing)")).hint("start it: cargo xtask up")
        })?;
        let record: Record =
            serde_json::from_str(&text).map_err(|e| Problem::new(&shown, format!("not a deployment record: {e}")).hint("cargo xtask up writes it again"))?;
        let platform = Platform::load(root)?;
        let mut opts = persistent_options(root, &name, record.overrides);
        opts.generated = written_overrides(&platform, &workdir, &format!("deployment {name}"))?;
        let shared_network = crate::stack::shared_network_name(&platform, &opts);
        let compose = Compose::locate()?;
        let models = platform.load_all(&compose, &opts)?;
        Ok(Deployment {
            owner: persistent_owner(name),
            root: root.to_path_buf(),
            platform,
            compose,
            plan: record.plan,
            shared_network,
            opts,
            models,
            source_name: record.source,
            workdir,
            torn_down: false,
            attached: false,
            host_ports: BTreeMap::new(),
        })
    }

    /// The image source this deployment was resolved from.
    pub fn source(&self) -> Result<crate::engine::Source> {
        crate::engine::Source::parse(&self.source_name)
    }

    /// Decide the plan again from the same source (after pulls and builds changed what the engine
    /// has, or a registry was found not to answer) and rewrite the overrides; nothing runs yet.
    pub fn resolve_again(&mut self) -> Result<()> {
        let mut opts = self.opts.clone();
        opts.generated = BTreeMap::new();
        let fresh = Deployment::prepare(
            &self.root,
            self.platform.clone(),
            &self.source()?,
            self.owner.clone(),
            opts,
            self.shared_network.clone(),
            self.workdir.clone(),
        )?;
        let mut old = std::mem::replace(self, fresh);
        self.attached = old.attached;
        self.host_ports = std::mem::take(&mut old.host_ports);
        // The same copy, decided again: the old value must not tear it down when dropped.
        old.torn_down = true;
        if self.owner.ephemeral && !self.attached {
            crate::engine::teardown::register(self.teardown()?);
        }
        if !self.owner.ephemeral {
            self.record()?;
        }
        Ok(())
    }

    /// Record how the persistent deployment was started, for [`Deployment::open_persistent`].
    pub(super) fn record(&self) -> Result<()> {
        let record = Record { source: self.source_name.clone(), overrides: self.opts.overrides.clone(), plan: self.plan.clone() };
        let file = self.workdir.join(RECORD_FILE);
        let text = serde_json::to_string_pretty(&record).map_err(|e| Problem::new(RECORD_FILE, e.to_string()))?;
        crate::files::write_private(&file, &text).map_err(|e| Problem::new(file.display().to_string(), format!("cannot write: {e}")))
    }
}

/// How the persistent deployment's compose files are read (`<name>-<stack>`, the root `.env`).
pub(super) fn persistent_options(root: &Path, name: &str, overrides: Vec<String>) -> LoadOptions {
    let mut opts = LoadOptions::persistent();
    opts.project_prefix = name.to_string();
    opts.overrides = overrides;
    opts.env_files = Some(vec![root.join(crate::stack::manifest::IMAGES_ENV_FILE), env_file(root)]);
    opts
}

/// The override files a deployment's start wrote, one per stack; a missing one is an error.
fn written_overrides(platform: &Platform, workdir: &Path, what: &str) -> Result<BTreeMap<String, Vec<PathBuf>>> {
    platform
        .stacks
        .iter()
        .map(|s| {
            let file = workdir.join(format!("{}.override.yml", s.name));
            if file.is_file() {
                Ok((s.name.clone(), vec![file]))
            } else {
                Err(Problem::new(what, format!("has no override file {}", file.display())).hint("start it again (its start writes them)"))
            }
        })
        .collect()
}

/// The persistent deployment's name: `AIWAH_DEPLOYMENT` or `aiwah`.
pub fn persistent_name() -> Result<String> {
    valid_name(std::env::var("AIWAH_DEPLOYMENT").ok().filter(|n| !n.is_empty()).unwrap_or_else(|| "aiwah".into()))
}

fn valid_name(name: String) -> Result<String> {
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(Problem::new("AIWAH_DEPLOYMENT", format!("{name:?} is not a valid name")).hint("lowercase letters, digits and '-', starting with a letter"));
    }
    Ok(name)
}

/// The persistent deployment's `.env`: `AIWAH_ENV_FILE` or `<root>/.env`.
pub fn env_file(root: &Path) -> PathBuf {
    std::env::var_os("AIWAH_ENV_FILE").filter(|p| !p.is_empty()).map(PathBuf::from).unwrap_or_else(|| root.join(".env"))
}

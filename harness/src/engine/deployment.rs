//! A deployment: the stacks of the platform running on an engine under one owner. Ephemeral copies
//! (tests) get a unique id, their own shared network, fresh secrets and loopback ports chosen by the
//! engine, and are torn down — volumes included — when dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::docker;
use crate::engine::overrides::{self, Owner};
use crate::engine::plan::{ImagePlan, Source};
use crate::engine::start::Progress;
use crate::engine::sweep;
use crate::engine::teardown::{self, Teardown};
use crate::problem::{Problem, Result};
use crate::secrets::{self, Template};
use crate::stack::compose::Invocation;
use crate::stack::{Compose, LoadOptions, Manifest, Platform, StackModel};

mod reopen;
pub use reopen::{Handle, env_file, persistent_name};

pub struct Deployment {
    pub owner: Owner,
    pub root: PathBuf,
    pub platform: Platform,
    pub compose: Compose,
    pub plan: ImagePlan,
    pub shared_network: String,
    pub opts: LoadOptions,
    /// The stacks as this deployment runs them (overrides applied).
    pub models: Vec<StackModel>,
    /// The image source, as [`Source::parse`] reads it back.
    source_name: String,
    /// Holds the generated overrides and, for copies, the `.env`.
    workdir: PathBuf,
    torn_down: bool,
    /// Another process owns this copy (see [`Handle`]): never torn down from here.
    attached: bool,
    /// Host ports known without asking the engine (a handle carries them): `stack/service/target` → port.
    host_ports: BTreeMap<String, u16>,
}

impl Deployment {
    /// A fresh ephemeral copy of `stacks` (every stack when empty): unique names, own shared network,
    /// own secrets.
    pub fn ephemeral(root: &Path, source: &Source, stacks: &[&str]) -> Result<Deployment> {
        // Whatever killed runs left behind goes first.
        let swept = sweep::sweep_dead_runs();
        if !swept.is_empty() {
            eprintln!(
                "aiwah: swept leftovers of dead runs: {} containers, {} networks, {} volumes",
                swept.containers.len(),
                swept.networks.len(),
                swept.volumes.len()
            );
        }
        let mut platform = Platform::load(root)?;
        for name in stacks {
            platform.stack(name)?;
        }
        if !stacks.is_empty() {
            platform.stacks.retain(|s| stacks.contains(&s.name.as_str()));
        }
        let id = unique_id();
        let workdir = copy_workdir(&id);
        std::fs::create_dir_all(&workdir).map_err(|e| Problem::new(workdir.display().to_string(), format!("cannot create: {e}")))?;
        // The work folder holds the copy's secrets: it must not outlive a copy that failed to form.
        let built = free_loopback_port().and_then(|kong_port| {
            let env = workdir.join(".env");
            secrets::ensure(&Template::load(root)?, &env).map_err(|p| p.0.into_iter().next().unwrap_or_else(|| Problem::new(".env", "cannot write")))?;
            let deployment = Deployment::ephemeral_in(root, source, platform, id, kong_port, sweep::this_run(), &workdir)?;
            teardown::register(deployment.teardown()?);
            Ok(deployment)
        });
        if built.is_err() {
            let _ = std::fs::remove_dir_all(&workdir);
        }
        built
    }

    fn ephemeral_in(root: &Path, source: &Source, platform: Platform, id: String, kong_port: u16, run: String, workdir: &Path) -> Result<Deployment> {
        let (opts, shared_network, owner) = copy_options(root, &platform, id, kong_port, run, workdir);
        Deployment::prepare(root, platform, source, owner, opts, shared_network, workdir.to_path_buf())
    }

    /// The persistent deployment (`cargo xtask up`): projects `<name>-<stack>`, the root `.env`, the
    /// shared network named there, fixed loopback ports, volumes that outlive `down`. Its name is
    /// `aiwah` unless `AIWAH_DEPLOYMENT` says otherwise (a second deployment on one engine, tests).
    pub fn persistent(root: &Path, source: &Source, overrides: Vec<String>) -> Result<Deployment> {
        let name = persistent_name()?;
        let platform = Platform::load(root)?;
        let opts = reopen::persistent_options(root, &name, overrides);
        let shared_network = crate::stack::shared_network_name(&platform, &opts);
        let workdir = persistent_workdir(root, &name);
        std::fs::create_dir_all(&workdir).map_err(|e| Problem::new(workdir.display().to_string(), format!("cannot create: {e}")))?;
        let deployment = Deployment::prepare(root, platform, source, persistent_owner(name), opts, shared_network, workdir)?;
        deployment.record()?;
        Ok(deployment)
    }

    fn prepare(
        root: &Path,
        platform: Platform,
        source: &Source,
        owner: Owner,
        mut opts: LoadOptions,
        shared_network: String,
        workdir: PathBuf,
    ) -> Result<Deployment> {
        let compose = Compose::locate()?;
        let manifest = Manifest::load(root)?;
        let base = platform.load_all(&compose, &opts)?;
        // Images the services run, and images their builds start from (build arguments).
        let mut used: std::collections::BTreeSet<String> = base.iter().flat_map(|m| m.config.services.values()).filter_map(|s| s.image.clone()).collect();
        used.extend(
            base.iter()
                .flat_map(|m| m.config.services.values())
                .filter_map(|s| s.build.as_ref()?.get("args")?.as_object().cloned())
                .flat_map(|a| a.into_iter().filter_map(|(_, v)| v.as_str().map(String::from))),
        );
        let plan = ImagePlan::resolve_only(root, &manifest, source, |image| used.contains(image))?;
        let mut generated = BTreeMap::new();
        for model in base {
            let file = workdir.join(format!("{}.override.yml", model.stack));
            let text = overrides::render(&model, &plan, &owner)?;
            write_if_changed(&file, &text)?;
            generated.insert(model.stack.clone(), vec![file]);
        }
        opts.generated = generated;
        let models = platform.load_all(&compose, &opts)?;
        let deployment = Deployment {
            owner,
            root: root.to_path_buf(),
            platform,
            compose,
            plan,
            shared_network,
            opts,
            models,
            workdir,
            torn_down: false,
            attached: false,
            source_name: source.name(),
            host_ports: BTreeMap::new(),
        };
        Ok(deployment)
    }

    /// The deployment's work folder (its overrides; for copies also `.env` and other secrets).
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    pub fn id(&self) -> &str {
        &self.owner.deployment
    }

    /// A variable as this deployment's compose files see it (its env files; later ones win).
    pub fn env_value(&self, key: &str) -> Option<String> {
        if let Some(v) = self.opts.env.get(key) {
            return Some(v.clone());
        }
        self.opts.env_files.iter().flatten().rev().find_map(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            crate::secrets::dotenv::DotEnv::parse(&text).get(key).map(String::from)
        })
    }

    fn invocation(&self, stack: &str) -> Result<Invocation> {
        self.platform.invocation(self.platform.stack(stack)?, &self.opts)
    }

    /// A `docker compose` command for `stack` with this deployment's files and variables (for
    /// `logs -f`, `restart`, ... that the CLI runs with inherited output).
    pub fn compose_command(&self, stack: &str) -> Result<std::process::Command> {
        Ok(self.compose.command(&self.invocation(stack)?))
    }

    /// Stop and remove `stack`'s containers; volumes stay unless `volumes`.
    pub fn stop_stack(&self, stack: &str, volumes: bool) -> Result<()> {
        let mut cmd = self.compose_command(stack)?;
        cmd.args(["down", "--remove-orphans", "--timeout", "10"]);
        if volumes {
            cmd.arg("--volumes");
        }
        let out = crate::stack::compose::run(&mut cmd, "docker compose down")?;
        if out.status.success() { Ok(()) } else { Err(Problem::new(format!("stack {stack}"), String::from_utf8_lossy(&out.stderr).trim().to_string())) }
    }

    /// Where `service` listens on the host, as URLs (`http://127.0.0.1:PORT`), one per published port.
    pub fn urls(&self, stack: &str, service: &str) -> Vec<String> {
        let Some(model) = self.models.iter().find(|m| m.stack == stack) else { return vec![] };
        let Some(svc) = model.config.services.get(service) else { return vec![] };
        svc.ports
            .iter()
            .filter_map(|p| {
                let port = match p.published.as_deref().filter(|s| !s.is_empty()) {
                    Some(fixed) => fixed.parse().ok(),
                    None => self.host_port(stack, service, p.target as u16).ok(),
                }?;
                Some(format!("http://{}:{port}", p.host_address()))
            })
            .collect()
    }

    /// Start `stacks` (all when empty) concurrently — they only meet over HTTP at runtime — and wait
    /// until every service is healthy, within `deadline` per stack.
    pub fn up(&self, stacks: &[&str], deadline: Duration, progress: Progress) -> Result<()> {
        let names: Vec<String> =
            if stacks.is_empty() { self.platform.stacks.iter().map(|s| s.name.clone()).collect() } else { stacks.iter().map(|s| s.to_string()).collect() };
        for name in &names {
            self.require_images(name, progress)?;
        }
        self.ensure_shared_network()?;
        let results: Vec<Result<()>> = std::thread::scope(|scope| {
            let handles: Vec<_> = names.iter().map(|name| scope.spawn(move || self.start_stack(name, deadline, progress))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(Problem::new("engine", "a start thread panicked")))).collect()
        });
        results.into_iter().collect::<Result<Vec<()>>>()?;
        if names.iter().any(|n| n == "supabase") {
            let applied = self.migrate()?;
            if !applied.applied.is_empty() {
                progress(&format!("supabase/db: applied migrations {}", applied.applied.join(", ")));
            }
        }
        Ok(())
    }

    /// Every image `stack` runs must be on the engine (no registry is assumed reachable); images
    /// built from this repository's source are built now.
    pub fn require_images(&self, stack: &str, progress: Progress) -> Result<()> {
        let model = self.models.iter().find(|m| m.stack == stack).ok_or_else(|| Problem::new(format!("stack {stack}"), "is not part of this deployment"))?;
        for (name, service) in &model.config.services {
            let Some(image) = service.image.as_deref() else { continue };
            if docker::image_present(image)? {
                continue;
            }
            if service.build.is_none() {
                return Err(Problem::new(format!("service {stack}/{name}"), format!("image {image} is not on this engine"))
                    .hint("cargo xtask up pulls it (through AIWAH_REGISTRY_MIRROR where set), or builds offline images when no registry answers"));
            }
            progress(&format!("{stack}/{name}: building {image} from source"));
            let out = crate::stack::compose::run(self.compose_command(stack)?.args(["build", name]), "docker compose build")?;
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                let line = crate::problem::last_line(&err, "failed");
                return Err(Problem::new(format!("service {stack}/{name}"), format!("building {image} failed: {line}")));
            }
        }
        Ok(())
    }

    /// Create the shared network (labelled with this deployment) unless it exists.
    pub fn ensure_shared_network(&self) -> Result<bool> {
        let labels: Vec<(String, String)> = self.owner.labels("shared").into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        docker::ensure_network(&self.shared_network, &labels)
    }

    /// The last `lines` log lines of one service.
    pub fn logs(&self, stack: &str, service: &str, lines: usize) -> Result<String> {
        let out = crate::stack::compose::run(
            self.compose.command(&self.invocation(stack)?).args(["logs", "--no-color", "--no-log-prefix", "--tail", &lines.to_string(), service]),
            "docker compose logs",
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The loopback host port the engine gave `service`'s container port `target`.
    pub fn host_port(&self, stack: &str, service: &str, target: u16) -> Result<u16> {
        if let Some(port) = self.host_ports.get(&format!("{stack}/{service}/{target}")) {
            return Ok(*port);
        }
        let out =
            crate::stack::compose::run(self.compose.command(&self.invocation(stack)?).args(["port", service, &target.to_string()]), "docker compose port")?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| Problem::new(format!("service {stack}/{service}"), format!("no host port for {target}")))
    }

    /// The container id of `service` in `stack`.
    pub fn container(&self, stack: &str, service: &str) -> Result<String> {
        let out = crate::stack::compose::run(self.compose.command(&self.invocation(stack)?).args(["ps", "--quiet", service]), "docker compose ps")?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if id.is_empty() { Err(Problem::new(format!("service {stack}/{service}"), "has no container")) } else { Ok(id) }
    }

    /// What removes this deployment (also used by the signal handler).
    pub fn teardown(&self) -> Result<Teardown> {
        let invocations = self.platform.stacks.iter().map(|s| self.platform.invocation(s, &self.opts)).collect::<Result<Vec<_>>>()?;
        let built_images = self.models.iter().flat_map(|m| m.config.services.values()).filter(|s| s.build.is_some()).filter_map(|s| s.image.clone()).collect();
        Ok(Teardown {
            deployment: self.owner.deployment.clone(),
            compose: self.compose.clone(),
            invocations,
            ephemeral: self.owner.ephemeral,
            workdir: self.workdir.clone(),
            built_images,
        })
    }

    /// Stop and remove every stack; ephemeral copies lose their volumes and networks too.
    pub fn down(&mut self) -> Result<()> {
        let result = self.teardown()?.run();
        teardown::unregister(&self.owner.deployment);
        self.torn_down = true;
        result
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if self.owner.ephemeral && !self.torn_down && !self.attached {
            if let Err(problem) = self.down() {
                eprintln!("aiwah: teardown of deployment {}: {problem}", self.owner.deployment);
            }
        }
    }
}

/// The pinned port of an ephemeral copy's Kong (`stack/service/container port`).
const KONG_PIN: &str = "supabase/kong/8000";

/// Where an ephemeral copy keeps its `.env` and overrides.
fn copy_workdir(id: &str) -> PathBuf {
    std::env::temp_dir().join(format!("aiwah-{id}"))
}

/// Where the persistent deployment `name` keeps its overrides and its record.
pub fn persistent_workdir(root: &Path, name: &str) -> PathBuf {
    root.join("target").join(format!("{name}-deployment"))
}

/// A constant run label: labels are part of compose's config hash, so a changing one would
/// recreate every container on each `up`.
fn persistent_owner(name: String) -> Owner {
    Owner { deployment: name, run: "persistent".into(), ephemeral: false, pinned_ports: BTreeMap::new() }
}

/// How an ephemeral copy's compose files are read: its project names, `.env`, shared network and
/// the public URLs of its pinned gateway port.
fn copy_options(root: &Path, platform: &Platform, id: String, kong_port: u16, run: String, workdir: &Path) -> (LoadOptions, String, Owner) {
    let mut opts = LoadOptions::hermetic(&format!("aiwah-{id}"), vec![root.join(crate::stack::manifest::IMAGES_ENV_FILE), workdir.join(".env")]);
    let shared_network = format!("aiwah-{id}-shared");
    opts.env.insert(platform.shared_network_variable.clone(), shared_network.clone());
    // The copy's browsers must reach the copy's own Kong: fix its port now and point the public
    // URLs (compiled into the UI, used by Auth for links) at it.
    let public_url = format!("http://127.0.0.1:{kong_port}");
    for key in ["SUPABASE_PUBLIC_URL", "API_EXTERNAL_URL"] {
        opts.env.insert(key.into(), public_url.clone());
    }
    let pinned_ports = BTreeMap::from([(KONG_PIN.to_string(), kong_port)]);
    (opts, shared_network, Owner { deployment: id, run, ephemeral: true, pinned_ports })
}

/// Override files are read by every compose call, also from other processes attached to the same
/// copy: rewrite them only when they change, and never leave a half-written one.
fn write_if_changed(file: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(file).is_ok_and(|old| old == text) {
        return Ok(());
    }
    crate::files::write_private(file, text).map_err(|e| Problem::new(file.display().to_string(), format!("cannot write: {e}")))
}

/// A loopback port nothing listens on right now (the engine binds it moments later).
fn free_loopback_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Problem::new("127.0.0.1", format!("no free port: {e}")))
}

/// Six lowercase hex digits from the OS's random source: short enough for readable names.
fn unique_id() -> String {
    crate::secrets::random::from_alphabet(b"0123456789abcdef", 6)
}

//! Load, interpolate and validate the compose stacks into a typed model; prove their topology.
//!
//! Compose reads the files ([`compose`]); the harness adds its own rules ([`rules`]) and the static
//! topology proof ([`topology`]) on top of the model compose produced.

pub mod compose;
pub mod manifest;
pub mod model;
pub mod registry;
pub mod rules;
pub mod topology;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use compose::{Compose, Invocation};
pub use manifest::Manifest;
pub use model::StackModel;
pub use registry::{Platform, StackDef};

use crate::problem::{Problem, Problems, Result};
use crate::repo;

/// How to read the stacks: under which project names, with which variables.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Project names are `<prefix>-<stack>`: `aiwah` for the persistent deployment, unique for copies.
    pub project_prefix: String,
    /// Env files, later ones winning; `None` means the platform's own (`stacks/images.env`, `.env`).
    pub env_files: Option<Vec<PathBuf>>,
    /// Variables that win over the env files (e.g. the shared network's name of an ephemeral copy).
    pub env: BTreeMap<String, String>,
    pub inherit_env: bool,
    /// Optional override files to layer, by name (`logs`).
    pub overrides: Vec<String>,
    /// Generated files layered last, per stack (a deployment's overrides).
    pub generated: BTreeMap<String, Vec<PathBuf>>,
}

impl LoadOptions {
    /// The persistent deployment, read the way a user's shell would.
    pub fn persistent() -> Self {
        LoadOptions { project_prefix: "aiwah".into(), env_files: None, env: BTreeMap::new(), inherit_env: true, overrides: vec![], generated: BTreeMap::new() }
    }

    /// Hermetic reading with the given env files (tests, checks).
    pub fn hermetic(project_prefix: &str, env_files: Vec<PathBuf>) -> Self {
        LoadOptions {
            project_prefix: project_prefix.into(),
            env_files: Some(env_files),
            env: BTreeMap::new(),
            inherit_env: false,
            overrides: vec![],
            generated: BTreeMap::new(),
        }
    }
}

impl Platform {
    pub fn invocation(&self, stack: &StackDef, opts: &LoadOptions) -> Result<Invocation> {
        let dir = self.stack_dir(stack);
        let mut files: Vec<PathBuf> = stack.files.iter().map(|f| dir.join(f)).collect();
        // Overrides apply to the stacks that define them; a name no stack defines is a mistake.
        for name in &opts.overrides {
            if let Some(file) = stack.overrides.get(name) {
                files.push(dir.join(file));
            } else if !self.stacks.iter().any(|s| s.overrides.contains_key(name)) {
                let known: Vec<_> = self.stacks.iter().flat_map(|s| s.overrides.keys().map(String::as_str)).collect();
                return Err(Problem::new(registry::REGISTRY_FILE, format!("no stack has an override named {name:?}"))
                    .hint(format!("known: {}", if known.is_empty() { "none".into() } else { known.join(", ") })));
            }
        }
        files.extend(opts.generated.get(&stack.name).into_iter().flatten().cloned());
        let env_files = match &opts.env_files {
            Some(files) => files.clone(),
            None => self.env_files.iter().map(|f| self.root.join(f)).filter(|f| f.is_file()).collect(),
        };
        Ok(Invocation {
            project: format!("{}-{}", opts.project_prefix, stack.name),
            project_dir: dir,
            files,
            env_files,
            env: opts.env.clone(),
            inherit_env: opts.inherit_env,
        })
    }

    /// One stack as compose reads it.
    pub fn load_stack(&self, compose: &Compose, stack: &StackDef, opts: &LoadOptions) -> Result<StackModel> {
        let invocation = self.invocation(stack, opts)?;
        let json = compose.config(&invocation, &self.root)?;
        let config = serde_json::from_value(json)
            .map_err(|e| Problem::new(format!("stack {}", stack.name), format!("compose config does not fit the harness model: {e}")))?;
        let files = invocation.files.iter().map(|f| PathBuf::from(repo::shown(&self.root, f))).collect();
        Ok(StackModel { stack: stack.name.clone(), files, config })
    }

    /// Every stack, in start order.
    pub fn load_all(&self, compose: &Compose, opts: &LoadOptions) -> Result<Vec<StackModel>> {
        self.stacks.iter().map(|s| self.load_stack(compose, s, opts)).collect()
    }
}

/// Everything the static checks need, read once.
pub struct Checked {
    pub models: Vec<StackModel>,
    pub problems: Problems,
}

/// Read every stack twice under different project and shared-network names (to tell derived names from
/// fixed ones), apply our rules and the topology proof. `Err` only when the files cannot be read at all.
pub fn check_platform(root: &Path, compose: &Compose, opts: &LoadOptions) -> Result<Checked> {
    let platform = Platform::load(root)?;
    let manifest = Manifest::load(root)?;
    let template = crate::secrets::Template::load(root)?;
    let secret_keys: Vec<&str> = template.secret_keys().collect();
    let models = platform.load_all(compose, opts)?;
    let mut variant_opts = opts.clone();
    variant_opts.project_prefix = format!("{}-variant", opts.project_prefix);
    variant_opts.env.insert(platform.shared_network_variable.clone(), format!("{}-variant", shared_network_name(&platform, opts)));
    let variants = platform.load_all(compose, &variant_opts)?;

    let mut problems = Vec::new();
    for (model, variant) in models.iter().zip(&variants) {
        problems.extend(rules::check(root, &manifest, &secret_keys, model, variant));
    }
    let shared = shared_network_name(&platform, opts);
    problems.extend(topology::Topology::build(root, &platform, &manifest, &models).prove(&shared));
    Ok(Checked { models, problems: Problems(problems) })
}

/// The shared network's name under `opts`, as the files will see it.
pub fn shared_network_name(platform: &Platform, opts: &LoadOptions) -> String {
    let var = &platform.shared_network_variable;
    if let Some(v) = opts.env.get(var) {
        return v.clone();
    }
    let from_files = opts
        .env_files
        .clone()
        .unwrap_or_else(|| platform.env_files.iter().map(|f| platform.root.join(f)).collect())
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .filter_map(|text| crate::secrets::dotenv::DotEnv::parse(&text).get(var).map(str::to_string))
        .last();
    let from_shell = if opts.inherit_env { std::env::var(var).ok() } else { None };
    from_shell.or(from_files).unwrap_or_else(|| platform.shared_network_default.clone())
}

//! `stacks/stacks.toml`: which stacks make up the platform, their compose files, their entry points and
//! the shared network that joins them. The compose files themselves stay the definition of each stack.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::problem::{Problem, Result};
use crate::repo;

pub const REGISTRY_FILE: &str = "stacks/stacks.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// The variable compose files use for the shared network's name.
    pub shared_network_variable: String,
    /// Its value when nothing sets it.
    pub shared_network_default: String,
    /// Env files handed to every compose call, relative to the root; later ones win. Missing ones are skipped.
    pub env_files: Vec<PathBuf>,
    /// Stacks in start order.
    #[serde(rename = "stack")]
    pub stacks: Vec<StackDef>,
    #[serde(skip)]
    pub root: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackDef {
    pub name: String,
    /// Compose files, relative to the stack folder `stacks/<name>/`.
    pub files: Vec<PathBuf>,
    /// Optional override files by name (e.g. `logs`), layered on request.
    #[serde(default)]
    pub overrides: std::collections::BTreeMap<String, PathBuf>,
    /// The only services allowed on the shared network.
    pub entrypoints: Vec<String>,
}

impl Platform {
    pub fn load(root: &Path) -> Result<Platform> {
        let path = root.join(REGISTRY_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Problem::new(REGISTRY_FILE, format!("cannot read: {e}")))?;
        let mut platform: Platform = toml::from_str(&text).map_err(|e| Problem::new(REGISTRY_FILE, toml_message(&e)))?;
        platform.root = root.to_path_buf();
        for stack in &platform.stacks {
            for file in stack.files.iter().chain(stack.overrides.values()) {
                let full = platform.stack_dir(stack).join(file);
                if !full.is_file() {
                    return Err(Problem::new(REGISTRY_FILE, format!("stack {} names {}, which does not exist", stack.name, repo::shown(root, &full))));
                }
            }
        }
        Ok(platform)
    }

    pub fn stack(&self, name: &str) -> Result<&StackDef> {
        self.stacks.iter().find(|s| s.name == name).ok_or_else(|| {
            let known: Vec<_> = self.stacks.iter().map(|s| s.name.as_str()).collect();
            Problem::new(REGISTRY_FILE, format!("no stack named {name:?}")).hint(format!("known: {}", known.join(", ")))
        })
    }

    pub fn stack_dir(&self, stack: &StackDef) -> PathBuf {
        self.root.join("stacks").join(&stack.name)
    }
}

/// A TOML error as one line: position and message.
pub(crate) fn toml_message(e: &toml::de::Error) -> String {
    let what = e.message().trim().to_string();
    match e.span() {
        Some(span) => format!("invalid TOML at byte {}: {what}", span.start),
        None => format!("invalid TOML: {what}"),
    }
}

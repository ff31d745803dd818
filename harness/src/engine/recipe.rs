//! Offline recipes (`stacks/offline/<name>/`) and the image tag each one builds, computed here the
//! way `stacks/offline/build.sh` computes it — so a lookup costs no `bash`, no engine — and kept
//! for the life of the process (a plan asks for the same few recipes again and again).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

use crate::problem::{Problem, Result};

/// The folder of the recipes, relative to the checkout.
pub const OFFLINE_DIR: &str = "stacks/offline";

/// Tags computed by this process: (recipes folder, recipe) → tag.
static TAGS: OnceLock<Mutex<HashMap<(PathBuf, String), String>>> = OnceLock::new();

/// `aiwah-offline/<name>:<hash>` (prefix: `AIWAH_OFFLINE_PREFIX`), as `build.sh --tag <name>` prints it.
pub fn tag(root: &Path, name: &str) -> Result<String> {
    let dir = root.join(OFFLINE_DIR);
    let key = (dir.clone(), name.to_string());
    let cache = TAGS.get_or_init(Default::default);
    if let Some(tag) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(tag.clone());
    }
    let prefix = std::env::var("AIWAH_OFFLINE_PREFIX").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "aiwah-offline".into());
    let tag = format!("{prefix}/{name}:{}", hash(&dir, name, 0)?);
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key, tag.clone());
    Ok(tag)
}

/// First 12 hex digits of sha256 over: `parent <name> <hash>` when the recipe has a parent, then
/// one line `<x|-> <sha256 of content> ./<path>` per regular file of the recipe folder, in byte
/// order of the path (build.sh: `find . -type f | LC_ALL=C sort`).
fn hash(dir: &Path, name: &str, depth: usize) -> Result<String> {
    let shown = format!("{OFFLINE_DIR}/{name}");
    let recipe = dir.join(name);
    let script = std::fs::read_to_string(recipe.join("recipe.sh")).map_err(|e| Problem::new(format!("{shown}/recipe.sh"), format!("no such recipe: {e}")))?;
    if depth > 8 {
        return Err(Problem::new(&shown, "RECIPE_PARENT chain is too deep (a cycle?)"));
    }
    let mut input = String::new();
    if let Some(parent) = parent(&script) {
        input.push_str(&format!("parent {parent} {}\n", hash(dir, &parent, depth + 1)?));
    }
    let mut files = Vec::new();
    collect_files(&recipe, ".".into(), &mut files).map_err(|e| Problem::new(&shown, format!("cannot read: {e}")))?;
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for (relative, full, executable) in files {
        let content = std::fs::read(&full).map_err(|e| Problem::new(full.display().to_string(), format!("cannot read: {e}")))?;
        input.push_str(&format!("{} {} {relative}\n", if executable { "x" } else { "-" }, hex(&Sha256::digest(&content))));
    }
    Ok(hex(&Sha256::digest(input.as_bytes()))[..12].to_string())
}

/// `RECIPE_PARENT=...` of a recipe script (quotes and spaces dropped, as build.sh's sed + tr do).
fn parent(script: &str) -> Option<String> {
    let line = script.lines().find_map(|l| l.strip_prefix("RECIPE_PARENT="))?;
    let name: String = line.chars().filter(|c| !matches!(c, '"' | '\'' | ' ')).collect();
    (!name.is_empty()).then_some(name)
}

/// Regular files under `dir` (symbolic links are neither followed nor counted, like `find -type f`).
fn collect_files(dir: &Path, shown: String, out: &mut Vec<(String, PathBuf, bool)>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = format!("{shown}/{}", entry.file_name().to_string_lossy());
        if kind.is_dir() {
            collect_files(&entry.path(), name, out)?;
        } else if kind.is_file() {
            let executable = entry.metadata()?.permissions().mode() & 0o111 != 0;
            out.push((name, entry.path(), executable));
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

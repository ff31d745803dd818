//! Where the repository is, and paths inside it shown relative to it.

use std::path::{Path, PathBuf};

use crate::problem::{Problem, Result};

/// The repository root: the nearest ancestor of `start` holding `stacks/stacks.toml`.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    start.ancestors().find(|dir| dir.join("stacks/stacks.toml").is_file()).map(Path::to_path_buf).ok_or_else(|| {
        Problem::new(start.display().to_string(), "not inside an AIWAH OS checkout (no stacks/stacks.toml above it)").hint("run from the repository")
    })
}

/// The root of this checkout, found from the crate's own location (for tests and xtask).
pub fn this_checkout() -> PathBuf {
    find_root(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the harness crate lives in an AIWAH OS checkout")
}

/// `path` relative to `root` for messages; the path itself when it is outside.
pub fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

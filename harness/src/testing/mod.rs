//! Support for the harness's own tests: a copy of the checkout's stacks in a temporary folder, with
//! a generated `.env`, that a test can mutate to prove a check fails on what it must catch; and a
//! throwaway persistent deployment for the live tests of `cargo xtask`.

use std::path::{Path, PathBuf};

use crate::secrets::{self, Template};

mod throwaway;
pub use throwaway::{Ports, Throwaway, output_text};

/// A copy of `stacks/` (compose files, manifest, offline recipes), `fixtures/` and `features/` with a generated `.env`.
pub struct StackCopy {
    dir: PathBuf,
}

impl StackCopy {
    pub fn new() -> StackCopy {
        let dir = std::env::temp_dir().join(format!("aiwah-copy-{}-{}", std::process::id(), secrets::random::hex(8)));
        let checkout = crate::repo::this_checkout();
        copy_tree(&checkout.join("stacks"), &dir.join("stacks"));
        copy_tree(&checkout.join("fixtures"), &dir.join("fixtures"));
        copy_tree(&checkout.join("features"), &dir.join("features"));
        secrets::ensure(&Template::load(&dir).expect("template"), &dir.join(".env")).expect("fresh .env");
        StackCopy { dir }
    }

    pub fn root(&self) -> &Path {
        &self.dir
    }

    /// Replace the first `from` by `to` in `file`; the text must be there (a mutation that misses
    /// would be a test that cannot fail).
    pub fn mutate(&self, file: &str, from: &str, to: &str) -> &StackCopy {
        let path = self.dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write mutation");
        self
    }
}

impl Default for StackCopy {
    fn default() -> Self {
        StackCopy::new()
    }
}

impl Drop for StackCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("read stacks").flatten() {
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            if entry.file_name() != "node_modules" && entry.file_name() != ".next" {
                copy_tree(&entry.path(), &target);
            }
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

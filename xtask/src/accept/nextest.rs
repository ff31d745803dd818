//! The `cargo nextest` command line of a sign-off. Ignored tests are forced to run
//! (`--run-ignored all`): a scenario the listing skips although the sign-off expects it to run
//! then fails naming its image instead of passing as "skipped". The observes-only scenarios the
//! sign-off leaves out are excluded by exact name, so that forcing never reaches them.

use crate::accept::refusal::Selection;

/// The conformance runner's binary as nextest names it.
pub const CONFORMANCE_BINARY: &str = "aiwah-suite::conformance";

/// What the run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Every test of the workspace (a release sign-off).
    Workspace,
    /// The conformance binary only (a test-only features folder: the workspace's own tests, this
    /// one included, are not what it signs off).
    Conformance,
}

/// Arguments after `cargo`.
pub fn arguments(selection: &Selection, scope: Scope) -> Vec<String> {
    let mut args: Vec<String> = ["nextest", "run", "--profile", "ci", "--no-fail-fast"].map(String::from).to_vec();
    if scope == Scope::Conformance {
        args.extend(["-p", "aiwah-suite", "--test", "conformance"].map(String::from));
    }
    args.extend(["--run-ignored", "all"].map(String::from));
    if !selection.observes_only.is_empty() {
        let names: Vec<String> = selection.observes_only.iter().map(|c| format!("test(={})", escape(&c.name))).collect();
        args.push("-E".into());
        args.push(format!("not (binary_id({CONFORMANCE_BINARY}) & ({}))", names.join(" | ")));
    }
    args
}

/// A name as a filterset matcher argument: `\`, `,` and `)` would end or split it.
fn escape(name: &str) -> String {
    name.replace('\\', "\\\\").replace(',', "\\,").replace(')', "\\)")
}

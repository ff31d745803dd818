//! Docker Compose v2, the canonical interpreter of our stack files. The harness never re-implements
//! interpolation, env files or override merging: it asks `docker compose config` and reads the JSON.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::problem::{Problem, Result};
use crate::repo;

/// How to run Compose v2 on this machine: `docker compose` (the CLI plugin) or a standalone `docker-compose` v2.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Compose {
    program: String,
    leading_args: Vec<String>,
    pub version: String,
}

impl Compose {
    /// Find Compose v2: `$AIWAH_COMPOSE` (a program path), else the `docker compose` plugin, else `docker-compose` if it is v2.
    pub fn locate() -> Result<Compose> {
        let candidates: Vec<(String, Vec<String>)> = match std::env::var("AIWAH_COMPOSE") {
            Ok(program) if !program.is_empty() => vec![(program, vec![])],
            _ => vec![("docker".into(), vec!["compose".into()]), ("docker-compose".into(), vec![])],
        };
        let mut seen = Vec::new();
        for (program, leading_args) in candidates {
            let out = Command::new(&program).args(&leading_args).args(["version", "--short"]).output();
            let Ok(out) = out else { continue };
            let version = String::from_utf8_lossy(&out.stdout).trim().trim_start_matches('v').to_string();
            let major: u32 = version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
            if out.status.success() && major >= 2 {
                return Ok(Compose { program, leading_args, version });
            }
            seen.push(format!("{program} {} answered {version:?}", leading_args.join(" ")));
        }
        Err(Problem::new(
            "docker compose",
            format!(
                "Docker Compose v2 not found ({})",
                if seen.is_empty() { "neither `docker compose` nor `docker-compose` runs".into() } else { seen.join("; ") }
            ),
        )
        .hint("install Docker's compose plugin (here: bash .ci/install-engine.sh) or set AIWAH_COMPOSE"))
    }

    /// A `docker compose` command for `invocation`, ready for subcommand arguments.
    pub fn command(&self, invocation: &Invocation) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.leading_args);
        if !invocation.inherit_env {
            // Hermetic: only what the invocation says may feed interpolation.
            cmd.env_clear();
            for key in ["PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "XDG_RUNTIME_DIR"] {
                if let Ok(v) = std::env::var(key) {
                    cmd.env(key, v);
                }
            }
        }
        cmd.envs(&invocation.env);
        cmd.arg("--project-name").arg(&invocation.project);
        cmd.arg("--project-directory").arg(&invocation.project_dir);
        for file in &invocation.env_files {
            cmd.arg("--env-file").arg(file);
        }
        for file in &invocation.files {
            cmd.arg("--file").arg(file);
        }
        cmd
    }

    /// `docker compose config --format json`, parsed. Errors name the file and the variable or key.
    pub fn config(&self, invocation: &Invocation, root: &Path) -> Result<serde_json::Value> {
        let out = run(self.command(invocation).args(["config", "--format", "json"]), "docker compose config")?;
        if !out.status.success() {
            return Err(explain_failure(invocation, root, &String::from_utf8_lossy(&out.stderr)));
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| Problem::new(shown_files(invocation, root), format!("docker compose config printed JSON the harness cannot read: {e}")))
    }
}

/// One compose project: its name, files and the environment its files are interpolated with.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub project: String,
    pub project_dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub env_files: Vec<PathBuf>,
    /// Variables set on the compose process (they win over env files, as in compose).
    pub env: BTreeMap<String, String>,
    /// Whether the caller's environment feeds interpolation too (a user's shell: yes; tests: no).
    pub inherit_env: bool,
}

pub(crate) fn run(cmd: &mut Command, what: &str) -> Result<Output> {
    cmd.output().map_err(|e| Problem::new(what, format!("cannot start {:?}: {e}", cmd.get_program())))
}

fn shown_files(invocation: &Invocation, root: &Path) -> String {
    invocation.files.iter().map(|f| repo::shown(root, f)).collect::<Vec<_>>().join(" + ")
}

/// Turn compose's stderr into one line naming the file (and the variable or key) at fault.
fn explain_failure(invocation: &Invocation, root: &Path, stderr: &str) -> Problem {
    let message = crate::problem::last_line(stderr, "docker compose config failed without a message");
    // "required variable X is missing a value: ..." → name the file that requires X and where X comes from.
    if let Some(rest) = message.split("required variable ").nth(1) {
        let variable: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let file = invocation
            .files
            .iter()
            .find(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains(&format!("${{{variable}"))))
            .map(|f| repo::shown(root, f))
            .unwrap_or_else(|| shown_files(invocation, root));
        let env_files: Vec<_> = invocation.env_files.iter().map(|f| repo::shown(root, f)).collect();
        return Problem::new(format!("{file}: ${{{variable}}}"), format!("required variable {variable} is not set"))
            .hint(format!("set it in {} (cargo xtask env writes .env)", if env_files.is_empty() { "the environment".into() } else { env_files.join(" or ") }));
    }
    // Compose names the absolute file in parse errors ("failed to parse FILE: yaml: line 6: ..."):
    // point at that file, relative to the checkout.
    for file in &invocation.files {
        let prefix = format!("failed to parse {}: ", file.display());
        if let Some(rest) = message.strip_prefix(&prefix) {
            return Problem::new(repo::shown(root, file), rest);
        }
    }
    let root_prefix = format!("{}/", root.display());
    Problem::new(shown_files(invocation, root), message.replace(&root_prefix, ""))
}

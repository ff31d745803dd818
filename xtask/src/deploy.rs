//! What the deployment tasks share: opening the persistent deployment, naming stacks and services.

use std::path::Path;

use aiwah_harness::engine::{Deployment, Source, docker};
use aiwah_harness::stack::Platform;
use aiwah_harness::{Problem, Problems};

/// Image source flags shared by `up`, `copy`, `doctor`, `clean`.
#[derive(clap::Args, Clone, Default)]
pub struct SourceArgs {
    /// Use images built on this machine from stacks/offline (air-gapped; builds what is missing).
    #[arg(long)]
    pub offline: bool,
}

impl SourceArgs {
    pub fn source(&self) -> Result<Source, Problems> {
        if self.offline { Ok(Source::Offline) } else { Ok(Source::from_env()?) }
    }
}

/// What `up` and `copy` start, from where, and how long they wait.
#[derive(clap::Args)]
pub struct StartArgs {
    /// Stacks to start (default: all, in order supabase, n8n, ui).
    pub stacks: Vec<String>,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Deadline per stack for every service to become healthy, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

/// The engine must answer before anything else is tried.
pub fn require_engine() -> Result<String, Problems> {
    Ok(docker::engine_version()?)
}

pub fn persistent(root: &Path, source: &Source, overrides: Vec<String>) -> Result<Deployment, Problems> {
    require_engine()?;
    let env = aiwah_harness::engine::deployment::env_file(root);
    if !env.is_file() {
        return Err(Problem::new(env.display().to_string(), "does not exist").hint("run `cargo xtask up` (it writes it) or `cargo xtask env`").into());
    }
    Ok(Deployment::persistent(root, source, overrides)?)
}

/// The persistent deployment as `up` started it, for commands that look or stop (`status`,
/// `logs`, `down`, `restart`): nothing is resolved again, no override file is written.
pub fn running(root: &Path) -> Result<Deployment, Problems> {
    require_engine()?;
    Ok(Deployment::open_persistent(root)?)
}

/// A target of `logs`/`restart`: a stack, `stack/service`, or a service name unique across stacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub stack: String,
    pub service: Option<String>,
}

pub fn resolve_target(deployment: &Deployment, name: &str) -> Result<Target, Problems> {
    if let Some((stack, service)) = name.split_once('/') {
        let model = deployment.models.iter().find(|m| m.stack == stack).ok_or_else(|| Problem::new(name, format!("no stack {stack:?}")))?;
        if !model.config.services.contains_key(service) {
            return Err(Problem::new(name, format!("stack {stack} has no service {service:?}")).into());
        }
        return Ok(Target { stack: stack.into(), service: Some(service.into()) });
    }
    if deployment.platform.stacks.iter().any(|s| s.name == name) {
        return Ok(Target { stack: name.into(), service: None });
    }
    let owners: Vec<&str> = deployment.models.iter().filter(|m| m.config.services.contains_key(name)).map(|m| m.stack.as_str()).collect();
    match owners.as_slice() {
        [stack] => Ok(Target { stack: stack.to_string(), service: Some(name.into()) }),
        [] => Err(Problem::new(name, "is neither a stack nor a service").hint(format!("stacks: {}", stack_names(&deployment.platform).join(", "))).into()),
        many => Err(Problem::new(name, format!("is a service in several stacks ({})", many.join(", "))).hint(format!("say {}/{name}", many[0])).into()),
    }
}

/// The named stacks in platform order (all when none are named); unknown names are an error.
pub fn select_stacks(platform: &Platform, names: &[String]) -> Result<Vec<String>, Problems> {
    for name in names {
        platform.stack(name)?;
    }
    Ok(stack_names(platform).into_iter().filter(|s| names.is_empty() || names.contains(s)).collect())
}

pub fn stack_names(platform: &Platform) -> Vec<String> {
    platform.stacks.iter().map(|s| s.name.clone()).collect()
}

/// Progress lines go to stderr, so stdout stays clean for `-o json|env`.
pub fn progress(line: &str) {
    eprintln!("  {line}");
}

/// Ask on a terminal; refuse without one unless `yes`.
pub fn confirm(question: &str, yes: bool, what: &str) -> Result<(), Problems> {
    use std::io::{BufRead, IsTerminal, Write};
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Problem::new(what, "refusing without confirmation").hint("add --yes").into());
    }
    eprint!("{question} [type 'yes']: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    if answer.trim() == "yes" { Ok(()) } else { Err(Problem::new(what, "not confirmed; nothing changed").into()) }
}

/// The persistent deployment's data volumes (labelled with its name; copies' volumes are not).
pub fn data_volumes(name: &str) -> Result<Vec<String>, Problems> {
    use aiwah_harness::engine::overrides::labels;
    let ours = docker::list(docker::Kind::Volume, &format!("{}={name}", labels::DEPLOYMENT))?;
    let ephemeral = docker::list(docker::Kind::Volume, &format!("{}=true", labels::EPHEMERAL))?;
    Ok(ours.into_iter().filter(|v| !ephemeral.contains(v)).collect())
}

/// Before `.env` is written: fresh secrets cannot open data that other secrets created (the
/// databases keep the passwords they were initialised with, n8n's credentials their key). Refuse
/// rather than start services that fail on authentication, and write nothing.
pub fn refuse_new_secrets_over_data(env: &Path, name: &str) -> Result<(), Problems> {
    if env.exists() {
        return Ok(());
    }
    let volumes = data_volumes(name)?;
    if volumes.is_empty() {
        return Ok(());
    }
    Err(Problem::new(
        env.display().to_string(),
        format!(
            "does not exist, but deployment `{name}` has data made with the secrets of another .env (volumes: {}); new secrets cannot open it",
            volumes.join(", ")
        ),
    )
    .hint(format!(
        "put back the .env that created it (a backup made with --include-secrets holds it as secrets/env), or delete that data: `cargo xtask clean --volumes`{}",
        if name == "aiwah" { String::new() } else { format!(" with AIWAH_DEPLOYMENT={name}") }
    ))
    .into())
}

//! A thin typed wrapper over the `docker` CLI for what compose does not give: labelled resources
//! across projects, networks the harness owns, removal for sweeping.

use std::process::Command;

use crate::problem::{Problem, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Container,
    Network,
    Volume,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Container => "container",
            Kind::Network => "network",
            Kind::Volume => "volume",
        }
    }
}

/// Run `docker args...`; stdout on success, one-line problem otherwise.
pub fn docker(args: &[&str]) -> Result<String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .map_err(|e| Problem::new("docker", format!("cannot run the docker CLI: {e}")).hint("install Docker (here: bash stacks/offline/engine.sh)"))?;
    if !out.status.success() {
        // The CLI ends some errors with a pointer to its help or, after per-item errors (`network
        // rm`), with `exit status 1`: the error is the line before.
        let err = String::from_utf8_lossy(&out.stderr);
        let err: Vec<&str> = err.lines().filter(|l| !is_cli_trailer(l)).collect();
        let line = crate::problem::last_line(&err.join("\n"), "failed");
        return Err(Problem::new(format!("docker {}", args.iter().take(2).copied().collect::<Vec<_>>().join(" ")), line));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn is_cli_trailer(line: &str) -> bool {
    let line = line.trim();
    (line.starts_with("Run 'docker") && line.ends_with("for more information"))
        || line.strip_prefix("exit status ").is_some_and(|code| code.chars().all(|c| c.is_ascii_digit()))
}

/// The endpoints the engine lists on `network` (container names; `ep-…` entries included).
pub fn network_endpoints(network: &str) -> Result<Vec<String>> {
    let out = docker(&["network", "inspect", "--format", "{{range $id, $ep := .Containers}}{{$ep.Name}} {{end}}", network])?;
    Ok(out.split_whitespace().map(String::from).collect())
}

/// Detach `endpoint` (a container name) from `network`, also when its container is gone.
pub fn disconnect_force(network: &str, endpoint: &str) -> Result<()> {
    docker(&["network", "disconnect", "--force", network, endpoint]).map(|_| ())
}

/// The IP addresses of `container` on each of its networks.
pub fn container_ips(container: &str) -> Result<Vec<String>> {
    let out = docker(&["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container])?;
    Ok(out.split_whitespace().map(String::from).collect())
}

/// Whether an engine answers, with its API version.
pub fn engine_version() -> Result<String> {
    docker(&["version", "--format", "{{.Server.APIVersion}}"])
        .map(|v| v.trim().to_string())
        .map_err(|p| Problem::new("docker engine", format!("not reachable ({})", p.message)).hint("start dockerd (here: bash stacks/offline/engine.sh)"))
}

/// Names (containers, volumes) or ids of resources of `kind` carrying `label` (`key` or `key=value`).
pub fn list(kind: Kind, label: &str) -> Result<Vec<String>> {
    let filter = format!("label={label}");
    let out = match kind {
        Kind::Container => docker(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"])?,
        Kind::Network => docker(&["network", "ls", "--filter", &filter, "--format", "{{.Name}}"])?,
        Kind::Volume => docker(&["volume", "ls", "--filter", &filter, "--format", "{{.Name}}"])?,
    };
    Ok(out.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
}

/// The value of `key` on a resource.
pub fn label_of(kind: Kind, name: &str, key: &str) -> Result<Option<String>> {
    let format = format!("{{{{index .{} \"{key}\"}}}}", if kind == Kind::Container { "Config.Labels" } else { "Labels" });
    let out = docker(&[kind.noun(), "inspect", "--format", &format, name])?;
    let value = out.trim();
    Ok(if value.is_empty() || value == "<no value>" { None } else { Some(value.to_string()) })
}

/// Remove resources (containers forcibly, with their anonymous volumes).
pub fn remove(kind: Kind, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let mut args: Vec<&str> = match kind {
        Kind::Container => vec!["rm", "-f", "-v"],
        Kind::Network => vec!["network", "rm"],
        Kind::Volume => vec!["volume", "rm", "-f"],
    };
    args.extend(names.iter().map(String::as_str));
    docker(&args).map(|_| ())
}

/// Create a bridge network with labels, unless one of that name exists.
pub fn ensure_network(name: &str, labels: &[(String, String)]) -> Result<bool> {
    if docker(&["network", "inspect", name]).is_ok() {
        return Ok(false);
    }
    let mut args = vec!["network".to_string(), "create".to_string(), "--driver".to_string(), "bridge".to_string()];
    for (k, v) in labels {
        args.push("--label".into());
        args.push(format!("{k}={v}"));
    }
    args.push(name.to_string());
    docker(&args.iter().map(String::as_str).collect::<Vec<_>>())?;
    Ok(true)
}

/// Whether the engine has `image`. Only the engine's own "No such image" means absent: an engine
/// that cannot be asked (down, no permission) is an error naming it, never read as "absent".
pub fn image_present(image: &str) -> Result<bool> {
    let out = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .output()
        .map_err(|e| Problem::new("docker", format!("cannot run the docker CLI: {e}")).hint("install Docker (here: bash stacks/offline/engine.sh)"))?;
    if out.status.success() {
        return Ok(true);
    }
    let err = String::from_utf8_lossy(&out.stderr);
    if err.lines().any(|l| l.contains("No such image")) {
        return Ok(false);
    }
    Err(Problem::new(
        engine_name(),
        format!("cannot tell whether image {image} is present: {}", crate::problem::last_line(&err, "docker image inspect failed")),
    )
    .hint("start dockerd (here: bash stacks/offline/engine.sh) or fix DOCKER_HOST"))
}

/// The engine the CLI talks to, for messages: `docker engine at $DOCKER_HOST`, or its default socket.
pub fn engine_name() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => format!("docker engine at {host}"),
        _ => "docker engine (default socket)".to_string(),
    }
}

//! Our rules on top of compose's own validation. Each breach is one line naming file and service/key.
//!
//! - No fixed names: a `container_name`, network or volume name that stays the same when the project
//!   name and the shared network's name change would clash between parallel copies.
//! - Images only from the manifest (`stacks/images.toml`).
//! - A service that others wait for (`condition: service_healthy`) has a health check.
//! - A secret (a generated key of `stacks/env.template`) has no default in a compose file: an unset
//!   secret must stop compose, not fall back to a value everyone knows.

use std::path::Path;

use crate::problem::Problem;
use crate::stack::manifest::{MANIFEST_FILE, Manifest};
use crate::stack::model::StackModel;

/// Check `model`; `variant` is the same stack read under other project and shared-network names.
pub fn check(root: &Path, manifest: &Manifest, secret_keys: &[&str], model: &StackModel, variant: &StackModel) -> Vec<Problem> {
    let mut problems = Vec::new();
    problems.extend(secret_defaults(root, model, secret_keys));
    problems.extend(fixed_names(root, model, variant));
    problems.extend(images_from_manifest(root, manifest, model));
    problems.extend(health_checks_for_waited_services(root, model));
    problems
}

fn fixed_names(root: &Path, model: &StackModel, variant: &StackModel) -> Vec<Problem> {
    let (a, b) = (&model.config, &variant.config);
    let mut problems = Vec::new();
    for (name, service) in &a.services {
        let theirs = b.services.get(name).and_then(|s| s.container_name.as_ref());
        if let Some(fixed) = service.container_name.as_ref().filter(|n| Some(*n) == theirs) {
            problems.push(
                Problem::new(
                    locate_key(root, model, &format!("services.{name}.container_name"), name),
                    format!("fixed container name {fixed:?} clashes between parallel copies"),
                )
                .hint("drop container_name (compose derives names from the project); keep host names with network aliases"),
            );
        }
    }
    for key in a.networks.keys() {
        let name = a.network_name(key);
        if b.networks.contains_key(key) && b.network_name(key) == name {
            problems.push(
                Problem::new(locate_key(root, model, &format!("networks.{key}.name"), key), format!("fixed network name {name:?} is shared by every copy"))
                    .hint("derive it from a variable (like the shared network) or let compose scope it to the project"),
            );
        }
    }
    for (key, volume) in &a.volumes {
        let Some(name) = &volume.name else { continue };
        if b.volumes.get(key).and_then(|v| v.name.as_ref()) == Some(name) {
            problems.push(
                Problem::new(locate_key(root, model, &format!("volumes.{key}.name"), key), format!("fixed volume name {name:?} is shared by every copy"))
                    .hint("drop the name: compose scopes volumes to the project"),
            );
        }
    }
    problems
}

fn images_from_manifest(root: &Path, manifest: &Manifest, model: &StackModel) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (name, service) in &model.config.services {
        let at = locate_key(root, model, &format!("services.{name}.image"), name);
        match &service.image {
            None => problems.push(Problem::new(at, "no image").hint(format!("take it from {MANIFEST_FILE} through its variable"))),
            Some(image) if manifest.by_image(image).is_none() => problems.push(
                Problem::new(at, format!("image {image:?} is not in {MANIFEST_FILE}"))
                    .hint("pin it in the manifest and use its variable (cargo xtask images sync)"),
            ),
            Some(_) => {}
        }
    }
    problems
}

fn health_checks_for_waited_services(root: &Path, model: &StackModel) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (name, service) in &model.config.services {
        for (dependency, how) in &service.depends_on {
            if how.condition != "service_healthy" {
                continue;
            }
            let healthy = model.config.services.get(dependency).and_then(|d| d.healthcheck.as_ref()).is_some_and(|h| h.is_effective());
            if !healthy {
                problems.push(
                    Problem::new(
                        locate_key(root, model, &format!("services.{dependency}.healthcheck"), dependency),
                        format!("{name} waits for {dependency} to be healthy, but {dependency} has no health check"),
                    )
                    .hint("add a healthcheck that turns green only when the service answers"),
                );
            }
        }
    }
    problems
}

fn secret_defaults(root: &Path, model: &StackModel, secret_keys: &[&str]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for file in &model.files {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else { continue };
        for (n, line) in text.lines().enumerate() {
            for key in secret_keys {
                for form in [format!("${{{key}:-"), format!("${{{key}-")] {
                    let defaulted = line.match_indices(&form).any(|(i, _)| !line[i + form.len()..].starts_with('}'));
                    if defaulted {
                        problems.push(
                            Problem::new(format!("{}:{}", file.display(), n + 1), format!("secret {key} has a default value"))
                                .hint(format!("use ${{{key}:?run cargo xtask env}} so an unset secret stops compose")),
                        );
                    }
                }
            }
        }
    }
    problems
}

/// `file: key` for a finding: the last of the stack's files that mentions `needle` as a YAML key
/// (override files win), else all of them.
pub(crate) fn locate_key(root: &Path, model: &StackModel, key: &str, needle: &str) -> String {
    format!("{}: {key}", locate(root, model, needle))
}

/// The last of the stack's files that mentions `needle` as a YAML key, else all of them.
pub(crate) fn locate(root: &Path, model: &StackModel, needle: &str) -> String {
    let pattern = format!("{needle}:");
    let file = model
        .files
        .iter()
        .rev()
        .find(|f| std::fs::read_to_string(root.join(f)).is_ok_and(|t| t.lines().any(|l| l.trim_start().starts_with(&pattern))))
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| model.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" + "));
    file
}

//! The compose override a deployment layers on each stack, instead of editing the stack files:
//! labels on everything it creates (so leftovers can always be found and swept), the images of its
//! plan, placeholders' settings, and for ephemeral copies loopback ports chosen by the engine. A
//! deployment that opts in ([`run_by_digest`]) names each image by its content address instead.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::engine::Deployment;
use crate::engine::pins::{ImagePins, Pin};
use crate::engine::plan::{ImagePlan, Tier};
use crate::problem::{Problem, Result};
use crate::stack::model::StackModel;

/// Label keys, shared by every resource a deployment creates.
pub mod labels {
    pub const DEPLOYMENT: &str = "io.aiwah.deployment";
    pub const RUN: &str = "io.aiwah.run";
    pub const STACK: &str = "io.aiwah.stack";
    pub const SERVICE: &str = "io.aiwah.service";
    pub const TIER: &str = "io.aiwah.tier";
    pub const OFFICIAL_IMAGE: &str = "io.aiwah.official-image";
    pub const EPHEMERAL: &str = "io.aiwah.ephemeral";
}

/// Who a resource belongs to.
#[derive(Debug, Clone)]
pub struct Owner {
    pub deployment: String,
    /// The run that created it: `<pid>@<boot-relative start>`, so a sweep can tell whether it is alive.
    pub run: String,
    pub ephemeral: bool,
    /// Host ports an ephemeral copy fixes in advance, by `stack/service/target`: its gateway, whose
    /// public URL is compiled into the UI before anything starts. Every other port is the engine's pick.
    pub pinned_ports: BTreeMap<String, u16>,
}

impl Owner {
    pub fn labels(&self, stack: &str) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            (labels::DEPLOYMENT, self.deployment.clone()),
            (labels::RUN, self.run.clone()),
            (labels::STACK, stack.to_string()),
            (labels::EPHEMERAL, self.ephemeral.to_string()),
        ])
    }
}

/// A service's build arguments, with every manifest image replaced by the plan's choice for it.
pub fn build_args(service: &crate::stack::model::Service, plan: &ImagePlan) -> BTreeMap<String, String> {
    let Some(args) = service.build.as_ref().and_then(|b| b.get("args")).and_then(|a| a.as_object()) else { return BTreeMap::new() };
    args.iter()
        .map(|(k, v)| {
            let value = v.as_str().unwrap_or_default().to_string();
            let value = plan.choice(&value).map(|c| c.image.clone()).unwrap_or(value);
            (k.clone(), value)
        })
        .collect()
}

/// A short, stable digest of build arguments (a cache key, not a security boundary).
fn digest(args: &BTreeMap<String, String>) -> String {
    let bytes = args.iter().flat_map(|(k, v)| k.bytes().chain([0]).chain(v.bytes()).chain([0]));
    crate::engine::fnv1a_hex(bytes)[..12].to_string()
}

/// The tag a service built with `args` gets: the plan's image and a digest of the arguments.
fn build_tag(image: &str, args: &BTreeMap<String, String>) -> String {
    format!("{image}-{}", digest(args))
}

/// The override YAML for `model`.
pub fn render(model: &StackModel, plan: &ImagePlan, owner: &Owner) -> Result<String> {
    render_with(model, plan, owner, None)
}

/// Opt-in (`cargo xtask accept`): resolve every image `deployment`'s services run to its content
/// address ([`ImagePins`]: registry digest, else image ID; images the start builds keep their build
/// tag) and rewrite its overrides to name them so. Call after the images are on the engine (pulled,
/// built) and before the start; `up` itself is unchanged.
pub fn run_by_digest(deployment: &mut Deployment) -> Result<ImagePins> {
    let mut opts = deployment.opts.clone();
    opts.generated = BTreeMap::new();
    let base = deployment.platform.load_all(&deployment.compose, &opts)?;
    let mut choices = BTreeMap::new();
    let mut built = Vec::new();
    for (name, service) in base.iter().flat_map(|m| m.config.services.iter().map(move |(n, s)| (format!("{}/{n}", m.stack), s))) {
        let official = service.image.as_deref().unwrap_or_default();
        let choice =
            deployment.plan.choice(official).ok_or_else(|| Problem::new(format!("service {name}"), format!("image {official:?} is not in the manifest")))?;
        let args = build_args(service, &deployment.plan);
        if args.is_empty() {
            choices.insert(choice.official.clone(), choice.clone());
        } else {
            built.push(Pin::built_by_start(choice, &build_tag(&choice.image, &args)));
        }
    }
    let mut pins = ImagePins::resolve(choices.values())?;
    pins.by_official.extend(built.into_iter().map(|pin| (pin.official.clone(), pin)));
    let mut generated = BTreeMap::new();
    for model in &base {
        let file = deployment.workdir().join(format!("{}.override.yml", model.stack));
        let text = render_with(model, &deployment.plan, &deployment.owner, Some(&pins))?;
        std::fs::write(&file, text).map_err(|e| Problem::new(file.display().to_string(), format!("cannot write: {e}")))?;
        generated.insert(model.stack.clone(), vec![file]);
    }
    deployment.opts.generated = generated;
    deployment.models = deployment.platform.load_all(&deployment.compose, &deployment.opts)?;
    Ok(pins)
}

/// The override YAML for `model`, naming pinned images by their pin (see [`run_by_digest`]).
pub fn render_with(model: &StackModel, plan: &ImagePlan, owner: &Owner, pins: Option<&ImagePins>) -> Result<String> {
    let q = |s: &str| serde_json::to_string(s).expect("strings serialise");
    let mut y = String::new();
    let _ = writeln!(y, "# Generated by aiwah-harness for deployment {} (run {}): do not edit.", owner.deployment, owner.run);
    y.push_str("services:\n");
    for (name, service) in &model.config.services {
        let official = service.image.as_deref().unwrap_or_default();
        let choice = plan
            .choice(official)
            .ok_or_else(|| Problem::new(format!("stack {} service {name}", model.stack), format!("image {official:?} is not in the manifest")))?;
        let _ = writeln!(y, "  {name}:");
        let args = build_args(service, plan);
        if args.is_empty() {
            let image = pins.and_then(|p| p.reference(official)).unwrap_or(&choice.image);
            let _ = writeln!(y, "    image: {}", q(image));
        } else {
            // Built images bake their build arguments in (the UI compiles the anon key): tag them by
            // those arguments, so a copy with other keys never reuses another copy's build.
            let _ = writeln!(y, "    image: {}", q(&build_tag(&choice.image, &args)));
            y.push_str("    build:\n      args:\n");
            for (k, v) in &args {
                let _ = writeln!(y, "        {k}: {}", q(v));
            }
        }
        y.push_str("    labels:\n");
        let mut service_labels = owner.labels(&model.stack);
        service_labels.insert(labels::SERVICE, name.clone());
        service_labels.insert(labels::TIER, choice.tier.label().to_string());
        service_labels.insert(labels::OFFICIAL_IMAGE, choice.official.clone());
        for (k, v) in &service_labels {
            let _ = writeln!(y, "      {k}: {}", q(v));
        }
        if owner.ephemeral && !service.ports.is_empty() {
            y.push_str("    ports: !override\n");
            for port in &service.ports {
                let host = owner.pinned_ports.get(&format!("{}/{name}/{}", model.stack, port.target)).map(u16::to_string).unwrap_or_default();
                let _ = writeln!(y, "      - {}", q(&format!("127.0.0.1:{host}:{}/{}", port.target, port.protocol)));
            }
        }
        if choice.tier == Tier::Placeholder {
            let ports: Vec<String> = choice.listens.iter().map(u16::to_string).collect();
            let what = format!("{}/{name} ({})", model.stack, choice.official);
            // The official entrypoint, command and health check need the official binaries.
            y.push_str("    entrypoint: !reset null\n    command: !reset null\n    user: !reset null\n");
            y.push_str("    environment:\n");
            let _ = writeln!(y, "      PLACEHOLDER_PORTS: {}", q(&ports.join(" ")));
            let _ = writeln!(y, "      PLACEHOLDER_FOR: {}", q(&what));
            y.push_str("    healthcheck: !override\n");
            let check = format!("for p in {}; do (exec 3<>/dev/tcp/127.0.0.1/$$p) || exit 1; done", ports.join(" "));
            let _ = writeln!(y, "      test: [\"CMD\", \"bash\", \"-c\", {}]", q(&check));
            y.push_str("      interval: 2s\n      timeout: 3s\n      retries: 15\n");
        }
    }
    // Networks and volumes compose creates for this project carry the owner's labels too.
    let own_networks: Vec<&String> = model.config.networks.iter().filter(|(_, n)| !n.external).map(|(k, _)| k).collect();
    let own_volumes: Vec<&String> = model.config.volumes.iter().filter(|(_, v)| !v.external).map(|(k, _)| k).collect();
    for (section, keys) in [("networks", own_networks), ("volumes", own_volumes)] {
        if keys.is_empty() {
            continue;
        }
        let _ = writeln!(y, "{section}:");
        for key in keys {
            let _ = writeln!(y, "  {key}:\n    labels:");
            for (k, v) in owner.labels(&model.stack) {
                let _ = writeln!(y, "      {k}: {}", q(&v));
            }
        }
    }
    Ok(y)
}

//! Getting the images a deployment's stacks run onto the engine before anything starts, as
//! `docker compose up` would: missing official images are pulled (per-image progress); when no
//! registry answers, one line says so and the offline substitutes and placeholders are built instead
//! (`stacks/offline/build.sh`, its output as it comes). Afterwards [`placeholders`] says which
//! services only hold their place and what does not work because of it, from the features' needs.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::engine::overrides::labels;
use crate::engine::plan::{Choice, Source, Tier, recipe_for};
use crate::engine::pull::{self, PullFailure, PullState};
use crate::engine::{Deployment, docker};
use crate::problem::{Problem, Result};
use crate::stack::Manifest;

/// Whether missing official images may be pulled (`cargo xtask up --no-pull` refuses instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pulls {
    Allowed,
    Refused,
}

#[derive(Debug, Default)]
pub struct Obtained {
    pub pulled: Vec<String>,
    /// What the engine said when no registry answered: the offline fallback was taken.
    pub unreachable: Option<String>,
    /// Offline recipes built.
    pub built: Vec<String>,
}

/// Pull what the plan runs at the official tier and the engine lacks; fall back to offline builds
/// when no registry answers (the plan is resolved again: those services become substitutes or
/// placeholders); build the offline images the plan stands on and the engine lacks.
pub fn obtain(deployment: &mut Deployment, stacks: &[String], pulls: Pulls) -> Result<Obtained> {
    let mut obtained = Obtained::default();
    let official: Vec<Choice> = missing(deployment, stacks)?.into_iter().filter(|c| c.tier == Tier::Official).collect();
    if !official.is_empty() && pulls == Pulls::Refused {
        let names: Vec<&str> = official.iter().map(|c| c.image.as_str()).collect();
        return Err(Problem::new("--no-pull", format!("images not on this engine: {}", names.join(", ")))
            .hint("run without --no-pull to pull them, or air-gapped: cargo xtask up --offline"));
    }
    // Plans resolved in this process already asked the registries: one line when none answered.
    let mut announced = false;
    if let Some((registry, why)) = pull::unreachable_seen() {
        announce(&registry, &why);
        announced = true;
    }
    let mut view = PullView::new();
    for (n, choice) in official.iter().enumerate() {
        eprintln!("pulling {} ({}/{})", choice.image, n + 1, official.len());
        match pull::pull(&choice.image, &mut |state| view.update(state)) {
            Ok(()) => {
                view.finish(&choice.image);
                obtained.pulled.push(choice.image.clone());
            }
            Err(PullFailure::Unreachable(why)) => {
                view.finish(&choice.image);
                pull::remember(&choice.image, Some(why.clone()));
                obtained.unreachable = Some(why);
                break;
            }
            Err(PullFailure::Refused(problem)) => return Err(problem),
        }
    }
    if let Some(why) = &obtained.unreachable {
        if deployment.source()? == Source::Registry {
            return Err(Problem::new(format!("registry of {}", official[0].image), format!("does not answer: {why}"))
                .hint("AIWAH_IMAGE_SOURCE=registry allows no fallback; unset it to build offline substitutes, or set AIWAH_REGISTRY_MIRROR"));
        }
        if !announced {
            announce(&pull::registry_of(&official[0].image), why);
        }
        deployment.resolve_again()?;
    }
    let recipes = missing_recipes(deployment, stacks)?;
    if !recipes.is_empty() {
        build_offline(&deployment.root, &recipes)?;
        obtained.built = recipes;
    }
    Ok(obtained)
}

fn announce(registry: &str, why: &str) {
    eprintln!("aiwah: no registry answers ({registry}: {why}); offline substitutes and placeholders stand in, built where missing");
}

/// The plan's choices for the images `stacks` run or build from, that the engine does not have
/// (images built from this repository's source excepted: the start builds them).
pub fn missing(deployment: &Deployment, stacks: &[String]) -> Result<Vec<Choice>> {
    let by_image: BTreeMap<&str, &Choice> = deployment.plan.by_official.values().map(|c| (c.image.as_str(), c)).collect();
    let mut wanted: BTreeMap<String, Choice> = BTreeMap::new();
    for service in deployment.models.iter().filter(|m| stacks.contains(&m.stack)).flat_map(|m| m.config.services.values()) {
        let build_args = crate::engine::overrides::build_args(service, &deployment.plan).into_values();
        let run =
            service.labels.get(labels::OFFICIAL_IMAGE).filter(|_| service.build.is_none()).and_then(|o| deployment.plan.choice(o)).map(|c| c.image.clone());
        for image in build_args.chain(run) {
            if let Some(choice) = by_image.get(image.as_str()).filter(|c| c.tier != Tier::Source) {
                wanted.insert(image, (*choice).clone());
            }
        }
    }
    let mut absent = Vec::new();
    for (image, choice) in wanted {
        if !docker::image_present(&image)? {
            absent.push(choice);
        }
    }
    Ok(absent)
}

/// Offline recipes the plan runs for `stacks` whose images the engine lacks.
fn missing_recipes(deployment: &Deployment, stacks: &[String]) -> Result<Vec<String>> {
    let manifest = Manifest::load(&deployment.root)?;
    let recipes: BTreeSet<String> = missing(deployment, stacks)?
        .iter()
        .filter(|c| matches!(c.tier, Tier::Substitute | Tier::Placeholder))
        .filter_map(|c| manifest.by_image(&c.official).and_then(|(_, e)| recipe_for(&e.image, e.offline)))
        .map(String::from)
        .collect();
    Ok(recipes.into_iter().collect())
}

/// Build `recipes` (all the manifest has when empty) with `stacks/offline/build.sh`, its output as
/// it comes (each recipe is cached by its hash: a built one takes a second).
pub fn build_offline(root: &Path, recipes: &[String]) -> Result<()> {
    let wanted: Vec<String> = if recipes.is_empty() {
        let manifest = Manifest::load(root)?;
        manifest.images.values().filter_map(|e| recipe_for(&e.image, e.offline)).map(String::from).collect::<BTreeSet<_>>().into_iter().collect()
    } else {
        recipes.to_vec()
    };
    let status = std::process::Command::new("bash")
        .arg(root.join("stacks/offline/build.sh"))
        .args(&wanted)
        .status()
        .map_err(|e| Problem::new("stacks/offline/build.sh", format!("cannot run: {e}")))?;
    if status.success() { Ok(()) } else { Err(Problem::new("stacks/offline/build.sh", format!("building {} failed ({status})", wanted.join(", ")))) }
}

/// One loud line per placeholder among `stacks`' services, naming what does not work because of it:
/// the features whose scenarios need it (and those scenarios, where few).
pub fn placeholders(deployment: &Deployment, stacks: &[String]) -> Result<Vec<String>> {
    let manifest = Manifest::load(&deployment.root)?;
    let cases = crate::suite::catalog::load(&deployment.root)?;
    let mut lines = Vec::new();
    for model in deployment.models.iter().filter(|m| stacks.contains(&m.stack)) {
        for (name, service) in &model.config.services {
            let Some(choice) = service.labels.get(labels::OFFICIAL_IMAGE).and_then(|o| deployment.plan.choice(o)) else { continue };
            if choice.tier != Tier::Placeholder {
                continue;
            }
            let (key, about) = manifest.by_image(&choice.official).map(|(k, e)| (k.to_string(), e.about.clone())).unwrap_or_default();
            let mut by_feature: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for case in cases.iter().filter(|c| c.needs.contains(&key)) {
                let feature = case.name.split("::").next().unwrap_or_default().to_string();
                by_feature.entry(feature).or_default().push(case.scenario.as_str());
            }
            let affected: Vec<String> = by_feature
                .iter()
                .map(|(feature, scenarios)| match scenarios.as_slice() {
                    [one] => format!("{feature}: \"{one}\""),
                    many => format!("{feature} ({} scenarios)", many.len()),
                })
                .collect();
            let affected = if affected.is_empty() { format!("{about} (no scenario covers it)") } else { affected.join("; ") };
            lines.push(format!("{}/{name} needs {} — not working: {affected}", model.stack, choice.official));
        }
    }
    Ok(lines)
}

/// Pull progress: a bar per image on a terminal, plain lines (at most one per image every 2 s, and
/// its end) in CI and logs.
struct PullView {
    bars: Option<indicatif::MultiProgress>,
    bar: BTreeMap<String, indicatif::ProgressBar>,
    last_line: BTreeMap<String, Instant>,
    last_state: BTreeMap<String, String>,
}

impl PullView {
    fn new() -> PullView {
        let terminal = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        PullView { bars: terminal.then(indicatif::MultiProgress::new), bar: BTreeMap::new(), last_line: BTreeMap::new(), last_state: BTreeMap::new() }
    }

    fn update(&mut self, state: &PullState) {
        let line = state.describe();
        if let Some(bars) = &self.bars {
            let bar = self.bar.entry(state.image.clone()).or_insert_with(|| {
                let bar = bars.add(indicatif::ProgressBar::new(0));
                let style = indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {wide_msg}").map(|s| s.progress_chars("=> "));
                bar.set_style(style.unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
                bar.set_prefix(state.image.clone());
                bar
            });
            let (done, total) = state.bytes();
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(line.split_once("; ").map(|(_, w)| w.to_string()).unwrap_or_default());
        } else if self.last_line.get(&state.image).is_none_or(|t| t.elapsed() > Duration::from_secs(2)) {
            eprintln!("  {}: {line}", state.image);
            self.last_line.insert(state.image.clone(), Instant::now());
        }
        self.last_state.insert(state.image.clone(), line);
    }

    fn finish(&mut self, image: &str) {
        if let Some(bar) = self.bar.remove(image) {
            bar.finish_and_clear();
        }
        if let Some(line) = self.last_state.remove(image) {
            eprintln!("  {image}: {line}");
        }
    }
}

//! `cargo xtask images`: the manifest (sync, list), offline builds, explicit pulls.

use std::path::Path;

use aiwah_harness::engine::plan::recipe_for;
use aiwah_harness::stack::manifest::{IMAGES_ENV_FILE, MANIFEST_FILE, Manifest};
use aiwah_harness::{Problem, Problems};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Regenerate stacks/images.env from stacks/images.toml.
    Sync,
    /// List every image, its role and where it comes from offline.
    List,
    /// Build images on this machine from stacks/offline recipes (cached by a hash of each recipe).
    Build {
        /// Build from packages, without a registry (the only kind of build there is; kept explicit).
        #[arg(long, required = true)]
        offline: bool,
        /// Recipes to build (default: every one the manifest needs).
        recipes: Vec<String>,
    },
    /// Pull every official image from its registry, or AIWAH_REGISTRY_MIRROR (network traffic to the registry).
    Pull,
}

pub fn run(root: &Path, cmd: Command) -> Result<(), Problems> {
    let manifest = Manifest::load(root)?;
    match cmd {
        Command::Sync => {
            let path = root.join(IMAGES_ENV_FILE);
            let wanted = manifest.render_env();
            if std::fs::read_to_string(&path).ok().as_deref() == Some(wanted.as_str()) {
                println!("{IMAGES_ENV_FILE} is up to date with {MANIFEST_FILE}");
            } else {
                std::fs::write(&path, wanted).map_err(|e| Problem::new(IMAGES_ENV_FILE, format!("cannot write: {e}")))?;
                println!("wrote {IMAGES_ENV_FILE} from {MANIFEST_FILE}");
            }
        }
        Command::List => {
            for (key, entry) in &manifest.images {
                let offline = recipe_for(&entry.image, entry.offline).unwrap_or("(built from source)");
                println!("{key:<20} {:<45} {:<9} offline: {offline}", entry.image, format!("{:?}", entry.role).to_lowercase());
            }
        }
        Command::Build { offline: _, recipes } => build_offline(root, &recipes)?,
        Command::Pull => {
            use aiwah_harness::engine::pull::{self, PullFailure};
            let prefix = match aiwah_harness::engine::Source::from_env()? {
                aiwah_harness::engine::Source::Mirror(prefix) => format!("{prefix}/"),
                _ => String::new(),
            };
            for entry in manifest.images.values().filter(|e| recipe_for(&e.image, e.offline).is_some()) {
                let image = format!("{prefix}{}", entry.image);
                eprintln!("pulling {image}");
                let mut last = String::new();
                match pull::pull(&image, &mut |state| last = state.describe()) {
                    Ok(()) => eprintln!("  {image}: {last}"),
                    Err(PullFailure::Unreachable(why)) => {
                        return Err(Problem::new(format!("registry of {image}"), format!("does not answer: {why}"))
                            .hint("air-gapped: cargo xtask up builds offline substitutes")
                            .into());
                    }
                    Err(PullFailure::Refused(problem)) => return Err(problem.into()),
                }
            }
        }
    }
    Ok(())
}

/// Build `recipes` (default: all the manifest needs) with stacks/offline/build.sh, output streamed.
pub fn build_offline(root: &Path, recipes: &[String]) -> Result<(), Problems> {
    Ok(aiwah_harness::engine::obtain::build_offline(root, recipes)?)
}

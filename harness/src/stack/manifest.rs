//! `stacks/images.toml`: every image the platform runs with its pinned tag — the one place tags live.
//! Compose files take images from variables; `stacks/images.env` carries those variables and is
//! generated from the manifest (`cargo xtask images sync`), so plain `docker compose` works too.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::problem::{Problem, Result};
use crate::registry::policy::major_never;
use crate::registry::versions::{Bump, Versioning};
use crate::registry::{Endpoint, ImageRef};
use crate::stack::registry::toml_message;

pub const MANIFEST_FILE: &str = "stacks/images.toml";
pub const IMAGES_ENV_FILE: &str = "stacks/images.env";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub images: BTreeMap<String, ImageEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEntry {
    /// The compose variable that carries this image, e.g. `SUPABASE_DB_IMAGE`.
    pub variable: String,
    /// `repository:tag`, pinned.
    pub image: String,
    /// How the repository's tags are ordered and which are releases (for `cargo xtask upgrade-check`).
    pub versioning: Versioning,
    /// The highest step upgrade-check may take unattended.
    #[serde(default = "unattended_default")]
    pub bump: Bump,
    /// Days a newer tag must have been out, where the registry gives push dates.
    #[serde(default)]
    pub cooldown_days: u32,
    /// What the image is, for the topology proof: databases must stay inside their stack.
    pub role: Role,
    /// How this machine gets it without a registry: a recipe under `stacks/offline/`.
    pub offline: Offline,
    /// TCP ports the service listens on inside its network.
    pub listens: Vec<u16>,
    /// One line on what it is.
    pub about: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Holds or proxies a database (PostgreSQL, a pooler): never reachable from another stack.
    Database,
    Service,
}

/// Where an image comes from when no registry can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Offline {
    /// The same upstream software built from packages (a real substitute).
    Postgres,
    N8n,
    Node,
    /// Built from this repository's own source.
    Source,
    /// No package exists: an inert listener holds the service's network position.
    Placeholder,
}

fn unattended_default() -> Bump {
    Bump::Patch
}

impl ImageEntry {
    /// The pinned reference, split into name and tag.
    pub fn reference(&self) -> Result<ImageRef> {
        ImageRef::parse(&self.image)
    }

    /// The scheme must read the pin; PostgreSQL and Kong may not take majors unattended.
    fn check_upgrade_policy(&self) -> std::result::Result<(), String> {
        let reference = self.reference().map_err(|p| p.message)?;
        if !self.versioning.fits_pin(&reference.tag) {
            let scheme = toml::Value::try_from(self.versioning).map(|v| v.to_string()).unwrap_or_default();
            return Err(format!("versioning = {scheme} does not read its own pin's tag {:?}", reference.tag));
        }
        let repository = Endpoint::docker_hub().repository(&reference);
        let official = repository.strip_prefix("library/").unwrap_or(&repository);
        if let (Bump::Major, Some(why)) = (self.bump, major_never(official)) {
            return Err(format!("bump = \"major\" is never unattended for {official}: {why}"));
        }
        Ok(())
    }
}

impl Manifest {
    pub fn load(root: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(root.join(MANIFEST_FILE)).map_err(|e| Problem::new(MANIFEST_FILE, format!("cannot read: {e}")))?;
        Manifest::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Manifest> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| Problem::new(MANIFEST_FILE, toml_message(&e)))?;
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<()> {
        let mut seen = BTreeMap::new();
        for (key, entry) in &self.images {
            let at = || format!("{MANIFEST_FILE}: images.{key}");
            if !entry.variable.ends_with("_IMAGE") || !entry.variable.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()) {
                return Err(Problem::new(format!("{}.variable", at()), format!("{:?} must be UPPER_SNAKE and end in _IMAGE", entry.variable)));
            }
            if let Some(other) = seen.insert(entry.variable.clone(), key) {
                return Err(Problem::new(format!("{}.variable", at()), format!("{} is also used by images.{other}", entry.variable)));
            }
            let pinned = entry.image.rsplit_once(':').is_some_and(|(repo, tag)| !repo.is_empty() && !tag.contains('/') && !tag.is_empty() && tag != "latest");
            if !pinned {
                return Err(Problem::new(format!("{}.image", at()), format!("{:?} is not pinned to a tag (repository:tag, not latest)", entry.image)));
            }
            entry.check_upgrade_policy().map_err(|message| Problem::new(at(), message))?;
        }
        Ok(())
    }

    /// The entry whose image is `image` (as compose resolved it).
    pub fn by_image(&self, image: &str) -> Option<(&str, &ImageEntry)> {
        self.images.iter().find(|(_, e)| e.image == image).map(|(k, e)| (k.as_str(), e))
    }

    /// The manifest's `text` with `images.<key>.image` set to `image`, every comment and line kept (what
    /// `upgrade-check --write` applies); the result must still load.
    pub fn with_image(text: &str, key: &str, image: &str) -> Result<String> {
        let header = format!("[images.{key}]");
        let mut in_entry = false;
        let mut done = false;
        let mut out = String::with_capacity(text.len() + 16);
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                in_entry = trimmed == header;
            }
            if in_entry && !done && trimmed.split('=').next().is_some_and(|k| k.trim() == "image") {
                out.push_str(&format!("image = \"{image}\"\n"));
                done = true;
            } else {
                out.push_str(line);
            }
        }
        if !done {
            return Err(Problem::new(format!("{MANIFEST_FILE}: images.{key}.image"), "not found, so it cannot be updated"));
        }
        Manifest::parse(&out)?;
        Ok(out)
    }

    /// The contents of `stacks/images.env`.
    pub fn render_env(&self) -> String {
        let mut out = String::from(
            "# Generated from stacks/images.toml by `cargo xtask images sync`: edit images.toml, not this file.\n\
             # Plain compose: docker compose --env-file stacks/images.env --env-file .env -f stacks/<stack>/compose.yml ...\n",
        );
        for entry in self.images.values() {
            out.push_str(&format!("{}={}\n", entry.variable, entry.image));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entry: &str) -> Result<Manifest> {
        let manifest: Manifest = toml::from_str(&format!(
            "[images.x]\nrole = \"service\"\noffline = \"placeholder\"\nlistens = [80]\nabout = \"x\"\nversioning = \"semver\"\n{entry}"
        ))
        .map_err(|e| Problem::new(MANIFEST_FILE, toml_message(&e)))?;
        manifest.check().map(|_| manifest)
    }

    #[test]
    fn tags_must_be_pinned() {
        assert!(parse("variable = \"X_IMAGE\"\nimage = \"kong/kong:3.9.3\"").is_ok());
        assert!(parse("variable = \"X_IMAGE\"\nimage = \"registry:5000/kong/kong:3.9.3\"").is_ok());
        for bad in ["kong/kong", "kong/kong:latest", "registry:5000/kong/kong"] {
            let err = parse(&format!("variable = \"X_IMAGE\"\nimage = \"{bad}\"")).unwrap_err().to_string();
            assert!(err.starts_with("stacks/images.toml: images.x.image: ") && err.contains("not pinned"), "{err}");
        }
    }

    #[test]
    fn variables_are_checked_and_unknown_keys_refused() {
        let err = parse("variable = \"kong\"\nimage = \"kong/kong:3.9.3\"").unwrap_err().to_string();
        assert!(err.starts_with("stacks/images.toml: images.x.variable: "), "{err}");
        let err = parse("variable = \"X_IMAGE\"\nimage = \"kong/kong:3.9.3\"\ntag = \"3\"").unwrap_err().to_string();
        assert!(err.starts_with("stacks/images.toml: invalid TOML") && err.contains("tag"), "{err}");
    }

    #[test]
    fn images_env_lists_every_variable() {
        let manifest = parse("variable = \"X_IMAGE\"\nimage = \"kong/kong:3.9.3\"").unwrap();
        assert!(manifest.render_env().ends_with("\nX_IMAGE=kong/kong:3.9.3\n"));
    }

    #[test]
    fn upgrade_policy_fields_are_checked_against_the_pin() {
        let err = parse("variable = \"X_IMAGE\"\nimage = \"supabase/gotrue:v2.196.0\"").unwrap_err().to_string();
        assert_eq!(err, "stacks/images.toml: images.x: versioning = \"semver\" does not read its own pin's tag \"v2.196.0\"");
        let err = parse("variable = \"X_IMAGE\"\nimage = \"postgres:17.6.1\"\nbump = \"major\"").unwrap_err().to_string();
        assert!(err.starts_with("stacks/images.toml: images.x: bump = \"major\" is never unattended for postgres: "), "{err}");
        let ok = parse("variable = \"X_IMAGE\"\nimage = \"n8nio/n8n:2.41.1\"\nbump = \"major\"\ncooldown_days = 3").unwrap();
        assert_eq!((ok.images["x"].bump, ok.images["x"].cooldown_days), (Bump::Major, 3));
        let defaults = parse("variable = \"X_IMAGE\"\nimage = \"n8nio/n8n:2.41.1\"").unwrap();
        assert_eq!((defaults.images["x"].bump, defaults.images["x"].cooldown_days), (Bump::Patch, 0));
        let err = parse("variable = \"X_IMAGE\"\nimage = \"n8nio/n8n:2.41.1\"\nbump = \"huge\"").unwrap_err().to_string();
        assert!(err.starts_with("stacks/images.toml: invalid TOML") && err.contains("huge"), "{err}");
    }

    #[test]
    fn with_image_changes_one_entry_and_keeps_the_rest() {
        let text = "# top comment\n[images.a]\nvariable = \"A_IMAGE\"\nimage = \"n8nio/n8n:2.41.1\"\nversioning = \"semver\"\nrole = \"service\"\noffline = \"n8n\"\nlistens = []\nabout = \"a\"\n\n[images.b]\nvariable = \"B_IMAGE\"\nimage = \"kong/kong:3.9.3\"\nversioning = \"semver\"\nrole = \"service\"\noffline = \"placeholder\"\nlistens = []\nabout = \"b\"\n";
        let edited = Manifest::with_image(text, "b", "kong/kong:3.9.4").unwrap();
        assert_eq!(edited, text.replace("kong/kong:3.9.3", "kong/kong:3.9.4"));
        assert!(Manifest::with_image(text, "c", "x:1").unwrap_err().to_string().contains("images.c.image: not found"));
        assert!(Manifest::with_image(text, "a", "n8nio/n8n:latest").is_err(), "the edited manifest must still load");
    }
}

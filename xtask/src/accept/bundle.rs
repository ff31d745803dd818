//! Writing a sign-off bundle: its files, the scan for the deployment's secrets, `SHA256SUMS`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::accept::results::{self, Bundle};
use aiwah_harness::{Problem, Problems};

/// Write `bundle` into `dir` (created), scan it for `secrets`, then seal it with `SHA256SUMS`.
/// A secret found removes nothing but refuses the seal, naming the file (never the value).
pub fn write(dir: &Path, bundle: &Bundle, secrets: &[(String, String)]) -> Result<(), Problems> {
    std::fs::create_dir_all(dir).map_err(|e| Problem::new(dir.display().to_string(), format!("cannot create: {e}")))?;
    let release = toml::to_string_pretty(&bundle.release).map_err(|e| Problem::new(results::RELEASE, e.to_string()))?;
    let lock = toml::to_string_pretty(&bundle.images).map_err(|e| Problem::new(results::IMAGES_LOCK, e.to_string()))?;
    let results = serde_json::to_string_pretty(&bundle.results).map_err(|e| Problem::new(results::RESULTS, e.to_string()))?;
    let files = [
        (results::RELEASE, format!("# The sign-off: what ran, where, with what (cargo xtask accept).\n{release}")),
        (results::IMAGES_LOCK, format!("# The image each running container had, as the engine reported it.\n{lock}")),
        (results::JUNIT, bundle.junit.clone()),
        (results::RESULTS, results + "\n"),
        (results::CUCUMBER, bundle.cucumber.clone()),
        (results::README, readme(&bundle.release)),
    ];
    for (name, text) in &files {
        write_file(&dir.join(name), text)?;
    }
    let leaks = scan(dir, secrets)?;
    if !leaks.is_empty() {
        return Err(Problems(leaks));
    }
    write_file(&dir.join(results::SUMS), &sums(dir)?)
}

fn write_file(path: &Path, text: &str) -> Result<(), Problems> {
    std::fs::write(path, text).map_err(|e| Problem::new(path.display().to_string(), format!("cannot write: {e}")).into())
}

/// `name=value` pairs of the deployment that must never appear: one problem per file holding one.
pub fn scan(dir: &Path, secrets: &[(String, String)]) -> Result<Vec<Problem>, Problems> {
    let mut found = Vec::new();
    for file in files(dir)? {
        let text = String::from_utf8_lossy(&std::fs::read(dir.join(&file)).map_err(|e| Problem::new(file.clone(), format!("cannot read: {e}")))?).into_owned();
        for (key, value) in secrets {
            if text.contains(value.as_str()) {
                found.push(Problem::new(dir.join(&file).display().to_string(), format!("holds the value of {key}: the bundle is not sealed")));
            }
        }
    }
    Ok(found)
}

/// The bundle's files (names, sorted), `SHA256SUMS` and its signature excluded.
pub fn files(dir: &Path) -> Result<Vec<String>, Problems> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Problem::new(dir.display().to_string(), format!("cannot read: {e}")))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != results::SUMS && n != results::SIGNATURE)
        .collect();
    names.sort();
    Ok(names)
}

/// `sha256sum` format: `<hex>  <name>` per file (checkable with `sha256sum -c SHA256SUMS`).
pub fn sums(dir: &Path) -> Result<String, Problems> {
    let mut out = String::new();
    for name in files(dir)? {
        out.push_str(&format!("{}  {name}\n", sha256_file(&dir.join(&name))?));
    }
    Ok(out)
}

pub fn sha256_file(path: &Path) -> Result<String, Problems> {
    let bytes = std::fs::read(path).map_err(|e| Problem::new(path.display().to_string(), format!("cannot read: {e}")))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// `target/acceptance/<UTC time>/` (unique per second; a second run in the same second waits for the next).
pub fn new_dir(root: &Path, stamp: &str) -> PathBuf {
    root.join("target/acceptance").join(stamp)
}

fn readme(release: &results::Release) -> String {
    let features = if release.features_override { format!("AIWAH_ACCEPT_FEATURES={} ", release.features) } else { String::new() };
    let substitutes = if release.allow_substitutes { " --allow-substitutes" } else { "" };
    let target = release.target.as_ref().map(|t| format!(" --target {t}")).unwrap_or_default();
    format!(
        "# Acceptance bundle\n\n\
         Signed off {created} at commit `{commit}`{dirty}, {n} scenarios passed ({scope:?} run).\n\n\
         | file | what |\n|---|---|\n\
         | `release.toml` | commit, dirty flag, harness, engine and Compose versions, machine, time, options |\n\
         | `images.lock` | per running container: service, image, tag, how it ran (`runs_by`: registry digest, image ID for images built here, or the UI's build tag), what it was started as, digest, image ID, tier |\n\
         | `junit.xml` | nextest's JUnit report of the run |\n\
         | `results.json` | every scenario with its status and duration |\n\
         | `cucumber.json` | the scenarios' cucumber reports, merged |\n\
         | `SHA256SUMS` | checksums of the files above; `SHA256SUMS.minisig` signs it when a key was given |\n\n\
         ## Check\n\n```sh\ncargo xtask accept --verify <this folder> --pubkey <minisign public key>\n\
         sha256sum -c SHA256SUMS            # the checksums alone\n\
         minisign -Vm SHA256SUMS -p <key>   # the signature alone\n```\n\n\
         ## Reproduce\n\n```sh\ngit checkout {commit}\ncargo xtask images build --offline   # or: cargo xtask images pull\n\
         {features}cargo xtask accept{substitutes}{target}\n```\n\n\
         The run uses the images of `images.lock`: `docker pull <started_as>` for rows run by digest; check `docker image inspect` gives the same IDs for the others first.\n",
        created = release.created_utc,
        commit = release.git_commit,
        dirty = if release.git_dirty { " (with uncommitted changes)" } else { "" },
        n = release.scenarios.len(),
        scope = release.scope,
    )
}

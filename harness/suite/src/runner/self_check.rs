//! Trials the conformance binary runs on itself (no deployment, no engine): a scenario process
//! whose listing and deployment disagree on tiers fails naming both, in either direction. Each
//! check runs this very binary the way nextest does (`--exact NAME`, `--ignored` for a scenario
//! listed as ignored) against a handle written here, whose copy holds nothing but files.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use libtest_mimic::{Failed, Trial};
use serde_json::json;

use aiwah_harness::engine::deployment::Handle;
use aiwah_harness::engine::{Choice, ImagePlan, Tier};
use aiwah_harness::stack::{Compose, Manifest, StackModel};
use aiwah_harness::suite::catalog::Case;
use aiwah_harness::suite::shared;

pub const MISMATCH_CHECK: &str = "conformance::a scenario whose listing and deployment disagree on tiers fails naming both";

pub fn trials(root: &Path, cases: &[Case]) -> Vec<Trial> {
    let (root, cases) = (root.to_path_buf(), cases.to_vec());
    vec![Trial::test(MISMATCH_CHECK, move || mismatch_fails(&root, &cases).map_err(Failed::from))]
}

fn mismatch_fails(root: &Path, cases: &[Case]) -> Result<(), String> {
    let case = cases.iter().find(|c| !c.needs.is_empty()).ok_or("no scenario names an image it needs")?;
    let key = &case.needs[0];
    let manifest = Manifest::load(root).map_err(|p| p.to_string())?;
    let official = manifest.images.get(key).ok_or_else(|| format!("{key} is not in the manifest"))?.image.clone();
    let copy = FakeCopy::new(root, &manifest)?;

    // Listed to run (no --ignored), but the deployment holds a placeholder for what it needs.
    let out = copy.run(&case.name, false, Some(key))?;
    expect(&out, false, &["listed to run", copy.id(), &format!("{key}=placeholder"), &official])?;
    // Listed as skipped (--ignored), but the deployment runs everything it needs for real.
    let out = copy.run(&case.name, true, None)?;
    expect(&out, false, &["listed as skipped", copy.id(), &format!("{key}=official")])?;
    // Control: listing and deployment agree that it cannot run (forced): "not run", no mismatch.
    let out = copy.run(&case.name, true, Some(key))?;
    expect(&out, false, &["not run: needs", &official])?;
    if out.1.contains("listed") {
        return Err(format!("agreeing tiers were reported as a mismatch:\n{}", out.1));
    }
    Ok(())
}

/// Fail unless the run's success is `ok` and its output holds every one of `needles`.
fn expect(out: &(bool, String), ok: bool, needles: &[&str]) -> Result<(), String> {
    let missing: Vec<&&str> = needles.iter().filter(|n| !out.1.contains(**n)).collect();
    if out.0 != ok || !missing.is_empty() {
        return Err(format!("expected {} naming {missing:?}; got exit success={}:\n{}", if ok { "a pass" } else { "a failure" }, out.0, out.1));
    }
    Ok(())
}

/// A copy that exists only as files: a work folder with `.env` and override files, and a handle.
struct FakeCopy {
    handle: Handle,
}

impl FakeCopy {
    fn new(root: &Path, manifest: &Manifest) -> Result<FakeCopy, String> {
        let id = format!("selfcheck{}", aiwah_harness::secrets::random::from_alphabet(b"0123456789abcdef", 6));
        let model = |stack: &str, service: &str, port: u16| -> Result<StackModel, String> {
            let config = json!({"name": format!("aiwah-{id}-{stack}"), "services": {service: {"image": "unused", "ports": [
                {"target": port, "published": "9", "host_ip": "127.0.0.1"}]}}});
            serde_json::from_value(json!({"stack": stack, "files": [], "config": config})).map_err(|e| e.to_string())
        };
        let handle = Handle {
            id: id.clone(),
            run: "0@0".into(),
            kong_port: 9,
            stacks: vec!["supabase".into(), "n8n".into()],
            source: "offline".into(),
            root: root.to_path_buf(),
            plan: plan(manifest, None),
            models: vec![model("supabase", "kong", 8000)?, model("n8n", "n8n", 5678)?],
            compose: Compose::locate().map_err(|p| p.to_string())?,
            host_ports: BTreeMap::new(),
        };
        let workdir = handle.workdir();
        std::fs::create_dir_all(&workdir).map_err(|e| e.to_string())?;
        for name in [".env", "supabase.override.yml", "n8n.override.yml"] {
            std::fs::write(workdir.join(name), "").map_err(|e| e.to_string())?;
        }
        Ok(FakeCopy { handle })
    }

    fn id(&self) -> &str {
        &self.handle.id
    }

    /// This binary run on `scenario` as nextest runs it, against this copy with `placeholder` (a
    /// manifest key) as the only placeholder: (success, stdout + stderr).
    fn run(&self, scenario: &str, ignored: bool, placeholder: Option<&str>) -> Result<(bool, String), String> {
        let manifest = Manifest::load(&self.handle.root).map_err(|p| p.to_string())?;
        let handle = Handle { plan: plan(&manifest, placeholder), ..self.handle.clone() };
        let file = self.handle.workdir().join("handle.json");
        std::fs::write(&file, serde_json::to_string(&handle).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(exe);
        cmd.args(["--exact", scenario, "--nocapture"]).env(shared::HANDLE_ENV, &file).env(shared::REPORTS_ENV, self.handle.workdir().join("reports"));
        if ignored {
            cmd.arg("--ignored");
        }
        let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", std::env::current_exe().unwrap_or_default().display()))?;
        Ok((out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))))
    }
}

impl Drop for FakeCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.handle.workdir());
    }
}

/// Every manifest image official, except `placeholder`.
fn plan(manifest: &Manifest, placeholder: Option<&str>) -> ImagePlan {
    let by_official = manifest
        .images
        .iter()
        .map(|(key, e)| {
            let tier = if Some(key.as_str()) == placeholder { Tier::Placeholder } else { Tier::Official };
            let image = if tier == Tier::Placeholder { "aiwah-offline/placeholder:selfcheck".to_string() } else { e.image.clone() };
            (e.image.clone(), Choice { official: e.image.clone(), image, tier, listens: e.listens.clone() })
        })
        .collect();
    ImagePlan { by_official }
}

//! `cargo xtask up` gets its images from a real registry: Debian's `docker-registry` on a loopback port
//! holding images pushed under their official names (the substitutes built here, so they run). With
//! `AIWAH_REGISTRY_MIRROR` set, `up` pulls them (progress per image) and the tiers say `official`;
//! `--no-pull` refuses, naming them; a mirror nobody answers on gives one line and the offline
//! substitutes. Each test runs its own persistent deployment (name, env file, network, port).

use std::process::Output;

use aiwah_harness::engine::docker;
use aiwah_harness::registry::local::LocalRegistry;
use aiwah_harness::stack::Manifest;
use aiwah_harness::testing::Throwaway;

/// A throwaway deployment (the shared rig) whose commands pull through `mirror`.
struct Up {
    rig: Throwaway,
    mirror: String,
}

impl Up {
    fn new(mirror: &str) -> Up {
        let rig = Throwaway::new("aiwah-pull", env!("CARGO_BIN_EXE_xtask")).without_image_source().with_env("AIWAH_REGISTRY_MIRROR", mirror);
        Up { rig, mirror: mirror.to_string() }
    }

    fn xtask(&self, args: &[&str]) -> Output {
        self.rig.run(args)
    }

    /// `service → tier` as `status -o json` shows them (the containers' labels).
    fn tiers(&self) -> Vec<(String, String)> {
        let out = self.xtask(&["status", "n8n", "-o", "json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        rows.as_array().unwrap().iter().map(|r| (r["service"].as_str().unwrap().to_string(), r["tier"].as_str().unwrap().to_string())).collect()
    }

    fn containers(&self) -> Vec<String> {
        self.rig.labelled(docker::Kind::Container)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The n8n stack's two official images, and the offline builds that stand in for them here.
fn n8n_images() -> Vec<(String, String)> {
    let root = aiwah_harness::repo::find_root(&std::env::current_dir().unwrap()).unwrap();
    let manifest = Manifest::load(&root).unwrap();
    [("n8n", "n8n"), ("n8n-postgres", "postgres")]
        .into_iter()
        .map(|(key, recipe)| (manifest.images[key].image.clone(), aiwah_harness::engine::plan::offline_tag(&root, recipe).unwrap()))
        .collect()
}

#[test]
fn up_pulls_through_the_mirror_and_the_tiers_say_official() {
    let mut registry = LocalRegistry::start().unwrap();
    let images = n8n_images();
    for (official, local) in &images {
        registry.push(local, official).unwrap();
    }
    let up = Up::new(&registry.host());
    let mirrored: Vec<String> = images.iter().map(|(official, _)| format!("{}/{official}", registry.host())).collect();

    let refused = up.xtask(&["up", "n8n", "--no-pull"]);
    let said = text(&refused);
    assert!(!refused.status.success(), "{said}");
    let line = said.lines().find(|l| l.starts_with("error: --no-pull")).unwrap_or_else(|| panic!("one error line: {said}"));
    assert!(mirrored.iter().all(|m| line.contains(m.as_str())), "names every missing image: {line}");
    assert!(up.containers().is_empty(), "a refused up starts nothing");

    // Under load (shared cores) n8n alone has taken over 300 s to become healthy.
    let out = up.xtask(&["up", "n8n", "--timeout", "900"]);
    let said = text(&out);
    for image in &mirrored {
        let _ = docker::docker(&["image", "rm", image]);
    }
    assert!(out.status.success(), "{said}");
    for image in &mirrored {
        assert!(said.lines().any(|l| l.starts_with(&format!("pulling {image} ("))), "pulls {image}: {said}");
        // The engine has these layers already (the pushed images were built here): its pull fetches
        // the manifest only, and the progress line says so.
        let progress = said.lines().filter(|l| l.trim_start().starts_with(&format!("{image}: "))).collect::<Vec<_>>();
        assert!(progress.iter().any(|l| l.contains(" layers, ") || l.contains("no layer to fetch; Status: ")), "progress for {image}: {said}");
    }
    assert!(!said.contains("no registry answers"), "{said}");
    let tiers = up.tiers();
    assert_eq!(tiers.len(), 2, "{tiers:?}");
    assert!(tiers.iter().all(|(_, tier)| tier == "official"), "{tiers:?}");
}

#[test]
fn a_mirror_nobody_answers_on_gives_one_line_and_the_offline_substitutes() {
    // A loopback port nothing listens on: the engine's connection is refused at once.
    let up = Up::new(&format!("127.0.0.1:{}", free_port()));
    // Under load (shared cores) n8n alone has taken over 300 s to become healthy.
    let out = up.xtask(&["up", "n8n", "--timeout", "900"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    let lines: Vec<&str> = said.lines().filter(|l| l.contains("no registry answers")).collect();
    assert_eq!(lines.len(), 1, "exactly one line: {said}");
    assert!(lines[0].contains(&up.mirror) && lines[0].contains("connection refused"), "names the registry and the engine's reason: {}", lines[0]);
    assert!(!said.lines().any(|l| l.starts_with("pulling ")), "{said}");
    let tiers = up.tiers();
    assert!(!tiers.is_empty() && tiers.iter().all(|(_, tier)| tier == "substitute"), "control: the same stack, from the offline builds: {tiers:?}");
}

//! A deployment's generated overrides, read back through compose: labels on everything, the plan's
//! images, loopback ephemeral ports, placeholder settings — and the topology proof still holds.
//! Needs Docker Compose v2 (no engine).

use std::collections::BTreeMap;

use aiwah_harness::engine::overrides::{self, Owner, labels};
use aiwah_harness::engine::{ImagePlan, Source, Tier};
use aiwah_harness::secrets::{self, Template};
use aiwah_harness::stack::topology::Topology;
use aiwah_harness::stack::{Compose, LoadOptions, Manifest, Platform};

/// The checkout's stacks with a fresh `.env` in a temporary folder and the offline image plan.
struct Fixture {
    root: std::path::PathBuf,
    dir: tempfile::TempDir,
    env: std::path::PathBuf,
    compose: Compose,
    platform: Platform,
    manifest: Manifest,
    plan: ImagePlan,
}

impl Fixture {
    fn offline() -> Fixture {
        let root = aiwah_harness::repo::this_checkout();
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join(".env");
        secrets::ensure(&Template::load(&root).unwrap(), &env).unwrap();
        let (compose, platform, manifest) = (Compose::locate().unwrap(), Platform::load(&root).unwrap(), Manifest::load(&root).unwrap());
        let plan = ImagePlan::resolve(&root, &manifest, &Source::Offline).unwrap();
        Fixture { root, dir, env, compose, platform, manifest, plan }
    }
}

#[test]
fn ephemeral_offline_copy_is_labelled_isolated_and_on_loopback() {
    let Fixture { root, dir, env, compose, platform, manifest, plan } = Fixture::offline();
    let owner =
        Owner { deployment: "t1a2b3".into(), run: "4242@1".into(), ephemeral: true, pinned_ports: BTreeMap::from([("supabase/kong/8000".to_string(), 40123)]) };
    let shared = "aiwah-t1a2b3-net".to_string();

    let mut opts = LoadOptions::hermetic("aiwah-t1a2b3", vec![root.join("stacks/images.env"), env]);
    opts.env.insert("AIWAH_SHARED_NETWORK".into(), shared.clone());
    let base = platform.load_all(&compose, &opts).unwrap();
    let mut generated = BTreeMap::new();
    for model in &base {
        let file = dir.path().join(format!("{}.override.yml", model.stack));
        std::fs::write(&file, overrides::render(model, &plan, &owner).unwrap()).unwrap();
        generated.insert(model.stack.clone(), vec![file]);
    }
    opts.generated = generated;
    let models = platform.load_all(&compose, &opts).unwrap();

    for model in &models {
        assert!(model.config.name.starts_with("aiwah-t1a2b3-"), "{}", model.config.name);
        for (name, service) in &model.config.services {
            assert_eq!(service.labels.get(labels::DEPLOYMENT).map(String::as_str), Some("t1a2b3"), "{name}");
            assert_eq!(service.labels.get(labels::RUN).map(String::as_str), Some("4242@1"), "{name}");
            let official = &service.labels[labels::OFFICIAL_IMAGE];
            let choice = plan.choice(official).unwrap();
            if service.build.is_some() {
                // Built images are tagged by their build arguments, whose base image follows the plan.
                assert!(service.image.as_deref().unwrap().starts_with(&format!("{}-", choice.image)), "{name}");
                let args = overrides::build_args(service, &plan);
                assert_eq!(args["NODE_IMAGE"], plan.choice("node:24.21.0-bookworm-slim").unwrap().image, "{name}");
                assert_eq!(plan.choice("node:24.21.0-bookworm-slim").unwrap().tier, Tier::Substitute);
            } else {
                assert_eq!(service.image.as_deref(), Some(choice.image.as_str()), "{name}");
            }
            assert_eq!(service.labels[labels::TIER], choice.tier.label());
            for port in &service.ports {
                assert_eq!(port.host_address(), "127.0.0.1", "{name}");
                let published = port.published.as_deref().unwrap_or("");
                if model.stack == "supabase" && name == "kong" && port.target == 8000 {
                    assert_eq!(published, "40123", "the gateway's port is pinned in advance");
                } else {
                    assert!(published.is_empty(), "{name}: ephemeral copies let the engine pick host ports");
                }
            }
            if choice.tier == Tier::Placeholder {
                assert!(service.environment["PLACEHOLDER_PORTS"].as_deref().unwrap().split(' ').all(|p| p.parse::<u16>().is_ok()));
                assert_eq!(service.healthcheck.as_ref().unwrap().test.as_ref().unwrap()[1], "bash");
            }
        }
        for (key, network) in &model.config.networks {
            if network.external {
                assert_eq!(network.name.as_deref(), Some(shared.as_str()));
            } else {
                assert!(model.config.network_name(key).starts_with("aiwah-t1a2b3-"));
            }
        }
    }
    let kong = &models[0].config.services["kong"];
    assert_eq!(kong.labels[labels::TIER], "placeholder");
    assert_eq!(models[1].config.services["n8n"].labels[labels::TIER], "substitute");
    assert_eq!(models[1].config.services["postgres"].labels[labels::TIER], "substitute");
    assert_eq!(Topology::build(&root, &platform, &manifest, &models).prove(&shared), vec![]);
}

/// Opt-in pins (what `accept` runs): a pinned service's override names its pin — a registry digest or an
/// image ID — and compose reads it back as the service's image; services without a pin and built
/// services keep their tags, and `render` (no pins) is unchanged.
#[test]
fn pinned_images_are_named_by_digest_or_image_id_in_the_override() {
    use aiwah_harness::engine::pins::{ImagePins, Pin};
    let Fixture { root, dir, env, compose, platform, manifest, plan } = Fixture::offline();
    let owner = Owner { deployment: "t9f8e7".into(), run: "4242@1".into(), ephemeral: true, pinned_ports: BTreeMap::new() };
    let digest = format!("127.0.0.1:5000/postgres@sha256:{}", "d1".repeat(32));
    let id = format!("sha256:{}", "1d".repeat(32));
    let n8n_db = manifest.images["n8n-postgres"].image.clone();
    let n8n = manifest.images["n8n"].image.clone();
    let mut pins = ImagePins::default();
    // As if the database image had been pulled from a registry (its RepoDigests name it there).
    let pulled = aiwah_harness::engine::Choice { image: "127.0.0.1:5000/postgres:17.6".into(), ..plan.choice(&n8n_db).unwrap().clone() };
    pins.by_official.insert(n8n_db.clone(), Pin::of(&pulled, &id, std::slice::from_ref(&digest)));
    pins.by_official.insert(n8n.clone(), Pin::of(plan.choice(&n8n).unwrap(), &id, &[]));

    let mut opts = LoadOptions::hermetic("aiwah-t9f8e7", vec![root.join("stacks/images.env"), env]);
    opts.env.insert("AIWAH_SHARED_NETWORK".into(), "aiwah-t9f8e7-net".into());
    let base = platform.load_all(&compose, &opts).unwrap();
    let n8n_model = base.iter().find(|m| m.stack == "n8n").unwrap();
    let text = overrides::render_with(n8n_model, &plan, &owner, Some(&pins)).unwrap();
    assert_eq!(overrides::render(n8n_model, &plan, &owner).unwrap(), overrides::render_with(n8n_model, &plan, &owner, None).unwrap());
    let file = dir.path().join("n8n.override.yml");
    std::fs::write(&file, &text).unwrap();
    opts.generated = BTreeMap::from([("n8n".to_string(), vec![file])]);
    let models = platform.load_all(&compose, &opts).unwrap();
    let services = &models.iter().find(|m| m.stack == "n8n").unwrap().config.services;
    assert_eq!(services["postgres"].image.as_deref(), Some(digest.as_str()), "{text}");
    assert_eq!(services["n8n"].image.as_deref(), Some(id.as_str()), "{text}");
    // Control: the UI stack, rendered with the same pins, keeps its build tag (the start builds it).
    let ui_model = base.iter().find(|m| m.stack == "ui").unwrap();
    let ui_text = overrides::render_with(ui_model, &plan, &owner, Some(&pins)).unwrap();
    assert_eq!(ui_text, overrides::render(ui_model, &plan, &owner).unwrap());
}

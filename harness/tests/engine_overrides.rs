//! A deployment's generated overrides, read back through compose: labels on everything, the plan's
//! images, loopback ephemeral ports, placeholder settings — and the topology proof still holds.
//! Needs Docker Compose v2 (no engine).

use std::collections::BTreeMap;

use aiwah_harness::engine::overrides::{self, Owner, labels};
use aiwah_harness::engine::{ImagePlan, Source, Tier};
use aiwah_harness::secrets::{self, Template};
use aiwah_harness::stack::topology::Topology;
use aiwah_harness::stack::{Compose, LoadOptions, Manifest, Platform};

#[test]
fn ephemeral_offline_copy_is_labelled_isolated_and_on_loopback() {
    let root = aiwah_harness::repo::this_checkout();
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    secrets::ensure(&Template::load(&root).unwrap(), &env).unwrap();
    let compose = Compose::locate().unwrap();
    let platform = Platform::load(&root).unwrap();
    let manifest = Manifest::load(&root).unwrap();
    let plan = ImagePlan::resolve(&root, &manifest, &Source::Offline).unwrap();
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

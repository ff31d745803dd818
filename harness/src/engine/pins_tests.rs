use super::*;

const DIGEST: &str = "sha256:d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1";
const OTHER: &str = "sha256:0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e";
const ID: &str = "sha256:1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d";

fn choice(image: &str, tier: Tier) -> Choice {
    Choice { official: "postgres:17.6".into(), image: image.into(), tier, listens: vec![5432] }
}

fn pulled() -> Pin {
    let engine_digests = [format!("127.0.0.1:5000/postgres@{DIGEST}"), format!("elsewhere/postgres@{OTHER}")];
    Pin::of(&choice("127.0.0.1:5000/postgres:17.6", Tier::Official), ID, &engine_digests)
}

fn container(started_as: &str, image_id: &str) -> Running {
    Running {
        service: "n8n/postgres".into(),
        started_as: started_as.into(),
        image_id: image_id.into(),
        tier: "official".into(),
        official: "postgres:17.6".into(),
    }
}

#[test]
fn repositories_keep_a_registry_port_and_drop_tag_or_digest() {
    assert_eq!(repository("127.0.0.1:5000/postgres:17.6"), "127.0.0.1:5000/postgres");
    assert_eq!(repository("127.0.0.1:5000/postgres"), "127.0.0.1:5000/postgres");
    assert_eq!(repository(&format!("n8nio/n8n@{DIGEST}")), "n8nio/n8n");
    assert_eq!(repository("postgres:17.6"), "postgres");
}

#[test]
fn a_pulled_image_is_pinned_by_the_digest_of_its_own_repository() {
    let pin = pulled();
    assert_eq!((pin.runs_by, pin.reference.as_str()), (RunsBy::Digest, format!("127.0.0.1:5000/postgres@{DIGEST}").as_str()));
    assert_eq!(pin.digest(), Some(DIGEST));
    assert_eq!(pin.image_id, ID);
}

#[test]
fn an_image_without_a_digest_for_its_repository_is_pinned_by_image_id() {
    // Pushed elsewhere, or built here: no digest of *this* repository is known.
    let pin = Pin::of(&choice("postgres:17.6", Tier::Official), ID, &[format!("127.0.0.1:5000/postgres@{DIGEST}")]);
    assert_eq!((pin.runs_by, pin.reference.as_str(), pin.digest()), (RunsBy::ImageId, ID, None));
    let built = Pin::of(&choice("aiwah-offline/postgres:abc", Tier::Substitute), ID, &[]);
    assert_eq!((built.runs_by, built.reference.as_str()), (RunsBy::ImageId, ID));
}

#[test]
fn a_container_started_by_the_pinned_digest_is_locked_with_that_digest() {
    let pin = pulled();
    let row = check(&container(&pin.reference, ID), Some(&pin), ID, &[pin.reference.clone()]).unwrap();
    assert_eq!((row.service.as_str(), row.image.as_str(), row.tag.as_str()), ("n8n/postgres", "127.0.0.1:5000/postgres", "17.6"));
    assert_eq!((row.runs_by, row.digest.as_str(), row.image_id.as_str(), row.tier), (RunsBy::Digest, DIGEST, ID, Tier::Official));
}

#[test]
fn a_container_started_by_tag_or_running_another_image_is_refused_naming_the_service() {
    let pin = pulled();
    let by_tag = check(&container("127.0.0.1:5000/postgres:17.6", ID), Some(&pin), ID, &[pin.reference.clone()]).unwrap_err().to_string();
    assert!(by_tag.starts_with("service n8n/postgres: runs 127.0.0.1:5000/postgres:17.6 (image "), "{by_tag}");
    assert!(by_tag.contains(&format!("resolved to 127.0.0.1:5000/postgres@{DIGEST}")), "{by_tag}");
    let other_image = check(&container(&pin.reference, OTHER), Some(&pin), ID, &[pin.reference.clone()]).unwrap_err().to_string();
    assert!(other_image.starts_with(&format!("service n8n/postgres: runs 127.0.0.1:5000/postgres@{DIGEST} (image {OTHER})")), "{other_image}");
    let moved = check(&container(&pin.reference, ID), Some(&pin), ID, &[format!("127.0.0.1:5000/postgres@{OTHER}")]).unwrap_err().to_string();
    assert!(moved.starts_with("service n8n/postgres: runs image ") && moved.contains("not 127.0.0.1:5000/postgres@"), "{moved}");
    let unpinned = check(&container("postgres:17.6", ID), None, "", &[]).unwrap_err().to_string();
    assert!(unpinned.starts_with("service n8n/postgres: runs postgres:17.6, an image not resolved before the start"), "{unpinned}");
    assert!(![by_tag, other_image, moved, unpinned].iter().any(|l| l.contains('\n')), "one line each");
}

#[test]
fn built_images_are_locked_by_image_id_or_by_their_build_tag() {
    let substitute = Pin::of(&choice("aiwah-offline/postgres:abc", Tier::Substitute), ID, &[]);
    let mut running = container(ID, ID);
    running.tier = "substitute".into();
    let row = check(&running, Some(&substitute), ID, &[]).unwrap();
    assert_eq!((row.runs_by, row.digest.as_str(), row.image.as_str(), row.tag.as_str()), (RunsBy::ImageId, ID, "aiwah-offline/postgres", "abc"));
    let ui = Pin::built_by_start(
        &Choice { official: "aiwah/ui:0.1.0".into(), image: "aiwah/ui:0.1.0".into(), tier: Tier::Source, listens: vec![] },
        "aiwah/ui:0.1.0-ab12",
    );
    let running = Running {
        service: "ui/ui".into(),
        started_as: "aiwah/ui:0.1.0-ab12".into(),
        image_id: ID.into(),
        tier: "source".into(),
        official: "aiwah/ui:0.1.0".into(),
    };
    let row = check(&running, Some(&ui), ID, &[]).unwrap();
    assert_eq!((row.runs_by, row.digest.as_str(), row.tag.as_str()), (RunsBy::Tag, ID, "0.1.0-ab12"));
    assert!(check(&running, Some(&ui), OTHER, &[]).is_err(), "the build tag names another image now than the container runs");
}

//! The local registry fixture for real: Debian's `docker-registry` starts on a loopback port, takes a push
//! of an image built here under an official repository name, lists its tag, and leaves nothing behind
//! (process, folder, engine tags) when dropped. Needs a Docker engine and the offline base image.

use aiwah_harness::engine::{docker, plan};
use aiwah_harness::registry::local::{LocalRegistry, http_get};

#[test]
fn a_pushed_image_is_listed_under_its_official_name_and_everything_goes_on_drop() {
    let base = plan::offline_tag(&aiwah_harness::repo::this_checkout(), "base").unwrap();
    let mut registry = LocalRegistry::start().unwrap();
    let port: u16 = registry.host().rsplit_once(':').unwrap().1.parse().unwrap();
    let dir = registry.dir().to_path_buf();

    assert_eq!(http_get(port, "/v2/").unwrap(), (200, "{}".to_string()), "the Distribution API base answers");
    let (status, body) = http_get(port, "/v2/supabase/gotrue/tags/list").unwrap();
    assert_eq!(status, 404, "nothing pushed yet: {body}");

    let digest = registry.push(&base, "supabase/gotrue:v2.196.0").unwrap();
    assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest}");
    let (status, body) = http_get(port, "/v2/supabase/gotrue/tags/list").unwrap();
    assert_eq!(status, 200, "{body}");
    let tags: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(tags, serde_json::json!({"name": "supabase/gotrue", "tags": ["v2.196.0"]}));
    let reference = format!("{}/supabase/gotrue:v2.196.0", registry.host());
    assert!(!docker::image_present(&reference).unwrap(), "the push's own engine tag is removed at once");

    drop(registry);
    assert!(http_get(port, "/v2/").is_err(), "the registry process is gone");
    assert!(!dir.exists(), "its folder is removed: {}", dir.display());
}

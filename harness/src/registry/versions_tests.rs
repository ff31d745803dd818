use super::*;

/// The releases among `tags` as `scheme` reads them against `pin`, newest first.
fn releases(scheme: Versioning, pin: &str, tags: &[&str]) -> Vec<String> {
    let mut found: Vec<Version> = tags.iter().filter_map(|t| scheme.release(pin, t)).collect();
    found.sort();
    found.into_iter().rev().map(|v| v.tag).collect()
}

const CHANNELS: [&str; 6] = ["latest", "stable", "beta", "nightly", "edge", "develop"];

#[test]
fn v_semver_orders_numerically_and_drops_rc_channels_and_unprefixed() {
    let tags = ["v2.196.0", "v2.197.0-rc.1", "v2.9.0", "v2.200.1", "2.201.0", "v2.199.0", "v2", "sha-3f2a9c1", "3f2a9c1e", "v2.198.0-arm64"];
    let with_channels: Vec<&str> = tags.iter().copied().chain(CHANNELS).collect();
    assert_eq!(releases(Versioning::VSemver, "v2.196.0", &with_channels), ["v2.200.1", "v2.199.0", "v2.196.0", "v2.9.0"]);
}

#[test]
fn two_part_v_reads_postgrest_tags() {
    let tags = ["v14.17", "v14.2", "v14.18", "v15.0", "v14.18.1", "v14", "14.19", "v14.19-rc1", "latest"];
    assert_eq!(releases(Versioning::VTwoPart, "v14.17", &tags), ["v15.0", "v14.18", "v14.17", "v14.2"]);
}

#[test]
fn four_part_compares_every_part_numerically_and_drops_orioledb() {
    let tags = ["17.6.1.136", "17.6.1.99", "17.6.1.1000", "17.6.2.001", "17.6.1.137-orioledb", "15.8.1.200", "17.6.1", "17.6.1.140-rc1"];
    assert_eq!(releases(Versioning::FourPart, "17.6.1.136", &tags), ["17.6.2.001", "17.6.1.1000", "17.6.1.136", "17.6.1.99", "15.8.1.200"]);
}

#[test]
fn plain_semver_keeps_only_the_pins_variant() {
    let tags = ["2.41.1", "2.41.10", "2.42.0", "2.41.2-alpine", "2.43.0-beta.1", "v2.44.0", "next", "2", "2.41"];
    assert_eq!(releases(Versioning::Semver, "2.41.1", &tags), ["2.42.0", "2.41.10", "2.41.1"]);
    // A pin with a variant takes only that variant.
    let vector = ["0.53.0-alpine", "0.54.0-alpine", "0.55.0-debian", "0.56.0", "0.54.1-alpine-rc.1"];
    assert_eq!(releases(Versioning::Semver, "0.53.0-alpine", &vector), ["0.54.0-alpine", "0.53.0-alpine"]);
    let node = ["24.21.0-bookworm-slim", "24.22.0-bookworm-slim", "24.22.0-bookworm", "24.22.0-slim", "25.0.0-bookworm-slim"];
    assert_eq!(releases(Versioning::Semver, "24.21.0-bookworm-slim", &node), ["25.0.0-bookworm-slim", "24.22.0-bookworm-slim", "24.21.0-bookworm-slim"]);
}

#[test]
fn two_part_postgres_drops_moving_and_variant_tags() {
    let tags = ["17.6", "17.7", "17", "18.1", "17.7-alpine", "17.7-bookworm", "18beta3", "latest"];
    assert_eq!(releases(Versioning::TwoPart, "17.6", &tags), ["18.1", "17.7", "17.6"]);
}

#[test]
fn studio_dates_order_by_date_and_need_a_commit() {
    let tags = [
        "2026.09.07-sha-7996410",
        "2026.10.01-sha-abc1234",
        "2026.09.15-sha-0f0f0f0",
        "2026.13.01-sha-abc1234",
        "2026.11.01",
        "2026.11.02-sha-xyz",
        "latest",
        "7996410",
    ];
    assert_eq!(releases(Versioning::DateSha, "2026.09.07-sha-7996410", &tags), ["2026.10.01-sha-abc1234", "2026.09.15-sha-0f0f0f0", "2026.09.07-sha-7996410"]);
}

#[test]
fn hash_like_and_channel_tags_are_never_releases() {
    for scheme in [Versioning::Semver, Versioning::TwoPart, Versioning::FourPart, Versioning::DateSha] {
        for tag in CHANNELS.iter().chain(&["7996410", "3f2a9c1e4b5d", "sha256-0123abcd", "1234567890.1.2"]) {
            assert_eq!(scheme.release("1.2.3", tag), None, "{scheme:?} {tag}");
        }
    }
    assert_eq!(Versioning::Pinned.release("0.1.0", "0.2.0"), None, "pinned images are never checked");
}

#[test]
fn schemes_must_fit_their_pin() {
    assert!(Versioning::VSemver.fits_pin("v2.196.0"));
    assert!(!Versioning::VSemver.fits_pin("2.41.1"));
    assert!(Versioning::FourPart.fits_pin("17.6.1.136"));
    assert!(!Versioning::Semver.fits_pin("17.6.1.136"));
    assert!(Versioning::DateSha.fits_pin("2026.09.07-sha-7996410"));
    assert!(Versioning::Pinned.fits_pin("anything"));
}

#[test]
fn bumps_name_the_first_number_that_changed() {
    let v = |s: Versioning, pin: &str, tag: &str| s.bump(&s.release(pin, pin).unwrap(), &s.release(pin, tag).unwrap());
    assert_eq!(v(Versioning::VSemver, "v2.196.0", "v2.196.1"), Bump::Patch);
    assert_eq!(v(Versioning::VSemver, "v2.196.0", "v2.197.0"), Bump::Minor);
    assert_eq!(v(Versioning::VSemver, "v2.196.0", "v3.0.0"), Bump::Major);
    assert_eq!(v(Versioning::VTwoPart, "v14.17", "v14.18"), Bump::Minor);
    assert_eq!(v(Versioning::VTwoPart, "v14.17", "v15.0"), Bump::Major);
    assert_eq!(v(Versioning::FourPart, "17.6.1.136", "17.6.1.137"), Bump::Patch);
    assert_eq!(v(Versioning::FourPart, "17.6.1.136", "17.6.2.001"), Bump::Patch);
    assert_eq!(v(Versioning::FourPart, "17.6.1.136", "17.7.0.001"), Bump::Minor);
    assert_eq!(v(Versioning::FourPart, "17.6.1.136", "18.0.0.001"), Bump::Major);
    assert_eq!(v(Versioning::DateSha, "2026.09.07-sha-7996410", "2027.01.01-sha-abcdef0"), Bump::Minor);
}

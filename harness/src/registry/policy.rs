//! Which newer tag an image may move to unattended: the newest release (by its [`Versioning`]) whose
//! step from the pin is no larger than the image's allowed [`Bump`], and — where the registry tells push
//! dates — that has been out for the image's cool-down. Newer releases not taken are listed with why.

use serde::Serialize;

use super::versions::{Bump, Version, Versioning};

/// Images whose majors are never taken unattended, and why (checked when the manifest loads).
pub fn major_never(repository: &str) -> Option<&'static str> {
    match repository {
        "postgres" | "supabase/postgres" => Some("a PostgreSQL major does not carry a data directory over (pg_upgrade is a manual step)"),
        "kong/kong" => Some("a Kong major changes its declarative configuration format"),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub versioning: Versioning,
    pub max_bump: Bump,
    pub cooldown_days: u32,
}

/// Why a newer release is not the candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "reason")]
pub enum Holdback {
    /// Its step is larger than the image may take unattended.
    BumpTooLarge { bump: Bump, allowed: Bump },
    /// Pushed less than the cool-down ago.
    CoolingDown { days_left: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldBack {
    pub tag: String,
    #[serde(flatten)]
    pub why: Holdback,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Survey {
    pub pin: Version,
    /// The newest release the policy allows, if newer than the pin.
    pub candidate: Option<Version>,
    pub candidate_bump: Option<Bump>,
    /// Newer releases than the candidate (or than the pin) that were not taken, newest first.
    pub held_back: Vec<HeldBack>,
    /// Tags that are not releases in this scheme (rc, variants, channels, hashes).
    pub not_releases: usize,
    /// Whether push dates were known for every newer release (else the cool-down was not applied to them).
    pub push_dates_known: bool,
}

/// Survey `tags` against the pin. `pushed_at` gives a tag's push time (Unix seconds) where the registry
/// tells it; `now` is Unix seconds. `None` for images that are never checked (or whose pin does not fit).
pub fn survey(policy: Policy, pin: &str, tags: &[String], pushed_at: &dyn Fn(&str) -> Option<u64>, now: u64) -> Option<Survey> {
    let pin_version = policy.versioning.release(pin, pin)?;
    let mut releases: Vec<Version> = Vec::new();
    let mut not_releases = 0;
    for tag in tags {
        match policy.versioning.release(pin, tag) {
            Some(v) => releases.push(v),
            None => not_releases += 1,
        }
    }
    releases.sort();
    releases.dedup_by(|a, b| a.tag == b.tag);
    let mut survey = Survey { pin: pin_version.clone(), candidate: None, candidate_bump: None, held_back: Vec::new(), not_releases, push_dates_known: true };
    for version in releases.into_iter().rev().filter(|v| *v > pin_version) {
        let bump = policy.versioning.bump(&pin_version, &version);
        if bump > policy.max_bump {
            survey.held_back.push(HeldBack { tag: version.tag, why: Holdback::BumpTooLarge { bump, allowed: policy.max_bump } });
            continue;
        }
        let pushed = pushed_at(&version.tag);
        survey.push_dates_known &= pushed.is_some();
        if let Some(pushed) = pushed {
            let age_days = now.saturating_sub(pushed) / 86_400;
            if age_days < u64::from(policy.cooldown_days) {
                survey.held_back.push(HeldBack { tag: version.tag, why: Holdback::CoolingDown { days_left: u64::from(policy.cooldown_days) - age_days } });
                continue;
            }
        }
        survey.candidate_bump = Some(bump);
        survey.candidate = Some(version);
        break;
    }
    Some(survey)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn policy(versioning: Versioning, max_bump: Bump, cooldown_days: u32) -> Policy {
        Policy { versioning, max_bump, cooldown_days }
    }

    #[test]
    fn the_newest_allowed_step_wins_and_larger_ones_are_held_back() {
        let list = tags(&["v2.196.0", "v2.196.3", "v2.197.0", "v3.0.0", "v3.0.0-rc.1", "latest"]);
        let s = survey(policy(Versioning::VSemver, Bump::Minor, 0), "v2.196.0", &list, &|_| None, 0).unwrap();
        assert_eq!(s.candidate.unwrap().tag, "v2.197.0");
        assert_eq!(s.candidate_bump, Some(Bump::Minor));
        assert_eq!(s.held_back, [HeldBack { tag: "v3.0.0".into(), why: Holdback::BumpTooLarge { bump: Bump::Major, allowed: Bump::Minor } }]);
        assert_eq!(s.not_releases, 2);
        assert!(!s.push_dates_known);
        let patch_only = survey(policy(Versioning::VSemver, Bump::Patch, 0), "v2.196.0", &list, &|_| None, 0).unwrap();
        assert_eq!(patch_only.candidate.unwrap().tag, "v2.196.3");
    }

    #[test]
    fn nothing_newer_means_no_candidate() {
        let s = survey(policy(Versioning::Semver, Bump::Major, 0), "2.41.1", &tags(&["2.41.0", "2.41.1", "2.41.2-rc.0"]), &|_| None, 0).unwrap();
        assert_eq!((s.candidate, s.held_back.len()), (None, 0));
    }

    #[test]
    fn cool_down_skips_fresh_pushes_when_dates_are_known() {
        let now = 1_000 * DAY;
        let pushed = |tag: &str| match tag {
            "2.42.0" => Some(now - 2 * DAY),
            "2.41.5" => Some(now - 30 * DAY),
            _ => None,
        };
        let list = tags(&["2.41.1", "2.41.5", "2.42.0"]);
        let s = survey(policy(Versioning::Semver, Bump::Minor, 7), "2.41.1", &list, &pushed, now).unwrap();
        assert_eq!(s.candidate.unwrap().tag, "2.41.5");
        assert_eq!(s.held_back, [HeldBack { tag: "2.42.0".into(), why: Holdback::CoolingDown { days_left: 5 } }]);
        assert!(s.push_dates_known);
        let no_cooldown = survey(policy(Versioning::Semver, Bump::Minor, 0), "2.41.1", &list, &pushed, now).unwrap();
        assert_eq!(no_cooldown.candidate.unwrap().tag, "2.42.0", "positive control: without a cool-down the newest is taken");
    }

    #[test]
    fn pinned_images_are_never_surveyed() {
        assert_eq!(survey(policy(Versioning::Pinned, Bump::Major, 0), "0.1.0", &tags(&["0.2.0"]), &|_| None, 0), None);
    }

    #[test]
    fn postgres_and_kong_majors_are_never_unattended() {
        for repo in ["postgres", "supabase/postgres", "kong/kong"] {
            assert!(major_never(repo).is_some(), "{repo}");
        }
        assert_eq!(major_never("n8nio/n8n"), None);
    }
}

//! Which newer tag an image may move to unattended: the newest release (by its [`Versioning`]) whose
//! step from the pin is no larger than the image's allowed [`Bump`], and that has been out for the
//! image's cool-down. Newer releases not taken are listed with why.
//!
//! The cool-down needs a date ([`Dating`]): a release whose date cannot be had is held back
//! ([`Holdback::DateUnknown`]), never taken as old enough; the next older release with a known,
//! old enough date is proposed instead. Without a cool-down (0 days) no date is asked for.

use serde::Serialize;

use super::dates::{Dating, TagDate};
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
    /// Released less than the cool-down ago.
    CoolingDown { days_left: u64, date: TagDate },
    /// Its release date cannot be had, so the cool-down cannot be checked.
    DateUnknown { why: String },
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
    /// The date each release checked against the cool-down had, newest first (empty without a cool-down).
    pub dates: Vec<TagDating>,
}

/// A release checked against the cool-down, and its date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagDating {
    pub tag: String,
    #[serde(flatten)]
    pub dating: Dating,
}

/// Survey `tags` against the pin. `dated` gives a release's date (asked only with a cool-down, and
/// only for releases the bump allows, newest first until one is taken); `now` is Unix seconds.
/// `None` for images that are never checked (or whose pin does not fit).
pub fn survey(policy: Policy, pin: &str, tags: &[String], dated: &mut dyn FnMut(&str) -> Dating, now: u64) -> Option<Survey> {
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
    let mut survey = Survey { pin: pin_version.clone(), candidate: None, candidate_bump: None, held_back: Vec::new(), not_releases, dates: Vec::new() };
    for version in releases.into_iter().rev().filter(|v| *v > pin_version) {
        let bump = policy.versioning.bump(&pin_version, &version);
        if bump > policy.max_bump {
            survey.held_back.push(HeldBack { tag: version.tag, why: Holdback::BumpTooLarge { bump, allowed: policy.max_bump } });
            continue;
        }
        if policy.cooldown_days > 0 {
            let dating = dated(&version.tag);
            survey.dates.push(TagDating { tag: version.tag.clone(), dating: dating.clone() });
            if let Some(why) = cooling(&dating, policy.cooldown_days, now) {
                survey.held_back.push(HeldBack { tag: version.tag, why });
                continue;
            }
        }
        survey.candidate_bump = Some(bump);
        survey.candidate = Some(version);
        break;
    }
    Some(survey)
}

/// Why a release with `dating` is held back by a cool-down of `days` at `now`, if it is.
pub fn cooling(dating: &Dating, days: u32, now: u64) -> Option<Holdback> {
    match dating {
        Dating::Unknown { why } => Some(Holdback::DateUnknown { why: why.clone() }),
        Dating::Known(date) => {
            let ripe = date.unix + u64::from(days) * 86_400;
            (now < ripe).then(|| Holdback::CoolingDown { days_left: (ripe - now).div_ceil(86_400), date: date.clone() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::dates::DateSource;

    const DAY: u64 = 86_400;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn policy(versioning: Versioning, max_bump: Bump, cooldown_days: u32) -> Policy {
        Policy { versioning, max_bump, cooldown_days }
    }

    /// A dating function that must not be called (no cool-down).
    fn never(tag: &str) -> Dating {
        panic!("no date is needed without a cool-down, yet {tag} was dated")
    }

    fn known(unix: u64) -> Dating {
        Dating::Known(TagDate::new(DateSource::ConfigCreated, unix))
    }

    #[test]
    fn the_newest_allowed_step_wins_and_larger_ones_are_held_back() {
        let list = tags(&["v2.196.0", "v2.196.3", "v2.197.0", "v3.0.0", "v3.0.0-rc.1", "latest"]);
        let s = survey(policy(Versioning::VSemver, Bump::Minor, 0), "v2.196.0", &list, &mut never, 0).unwrap();
        assert_eq!(s.candidate.unwrap().tag, "v2.197.0");
        assert_eq!(s.candidate_bump, Some(Bump::Minor));
        assert_eq!(s.held_back, [HeldBack { tag: "v3.0.0".into(), why: Holdback::BumpTooLarge { bump: Bump::Major, allowed: Bump::Minor } }]);
        assert_eq!(s.not_releases, 2);
        assert!(s.dates.is_empty(), "no cool-down: nothing dated");
        let patch_only = survey(policy(Versioning::VSemver, Bump::Patch, 0), "v2.196.0", &list, &mut never, 0).unwrap();
        assert_eq!(patch_only.candidate.unwrap().tag, "v2.196.3");
    }

    #[test]
    fn nothing_newer_means_no_candidate() {
        let s = survey(policy(Versioning::Semver, Bump::Major, 7), "2.41.1", &tags(&["2.41.0", "2.41.1", "2.41.2-rc.0"]), &mut never, 0).unwrap();
        assert_eq!((s.candidate, s.held_back.len()), (None, 0));
    }

    #[test]
    fn a_release_younger_than_the_cool_down_is_held_back_and_the_next_older_proposed() {
        let now = 1_000 * DAY;
        let mut asked = Vec::new();
        let mut dated = |tag: &str| {
            asked.push(tag.to_string());
            match tag {
                "2.42.0" => known(now - 2 * DAY),
                "2.41.5" => known(now - 30 * DAY),
                _ => known(now - 100 * DAY),
            }
        };
        let list = tags(&["2.41.1", "2.41.2", "2.41.5", "2.42.0", "3.0.0"]);
        let s = survey(policy(Versioning::Semver, Bump::Minor, 7), "2.41.1", &list, &mut dated, now).unwrap();
        assert_eq!(s.candidate.unwrap().tag, "2.41.5");
        assert_eq!(
            s.held_back[1],
            HeldBack { tag: "2.42.0".into(), why: Holdback::CoolingDown { days_left: 5, date: TagDate::new(DateSource::ConfigCreated, now - 2 * DAY) } }
        );
        assert_eq!(s.dates.iter().map(|d| d.tag.as_str()).collect::<Vec<_>>(), ["2.42.0", "2.41.5"], "each checked release keeps its date");
        assert_eq!(asked, ["2.42.0", "2.41.5"], "dated newest first, only until one is taken, never a bump held back anyway");
        let no_cooldown = survey(policy(Versioning::Semver, Bump::Minor, 0), "2.41.1", &list, &mut never, now).unwrap();
        assert_eq!(no_cooldown.candidate.unwrap().tag, "2.42.0", "positive control: without a cool-down the newest is taken");
    }

    #[test]
    fn a_release_exactly_as_old_as_the_cool_down_is_eligible() {
        let now = 1_000 * DAY;
        let s = survey(policy(Versioning::Semver, Bump::Patch, 3), "2.41.1", &tags(&["2.41.2"]), &mut |_| known(now - 3 * DAY), now).unwrap();
        assert_eq!(s.candidate.map(|v| v.tag).as_deref(), Some("2.41.2"));
        assert!(s.held_back.is_empty());
        let one_second_short =
            survey(policy(Versioning::Semver, Bump::Patch, 3), "2.41.1", &tags(&["2.41.2"]), &mut |_| known(now - 3 * DAY + 1), now).unwrap();
        assert_eq!(one_second_short.candidate, None);
        assert!(matches!(one_second_short.held_back[0].why, Holdback::CoolingDown { days_left: 1, .. }));
    }

    #[test]
    fn a_release_without_a_date_is_held_back_saying_why_not_taken_as_old_enough() {
        let now = 1_000 * DAY;
        let mut dated = |tag: &str| match tag {
            "2.41.3" => Dating::Unknown { why: "its config has no created time".into() },
            _ => known(now - 10 * DAY),
        };
        let s = survey(policy(Versioning::Semver, Bump::Patch, 3), "2.41.1", &tags(&["2.41.1", "2.41.2", "2.41.3"]), &mut dated, now).unwrap();
        assert_eq!(s.candidate.unwrap().tag, "2.41.2");
        assert_eq!(s.held_back, [HeldBack { tag: "2.41.3".into(), why: Holdback::DateUnknown { why: "its config has no created time".into() } }]);
        let none_dated =
            survey(policy(Versioning::Semver, Bump::Patch, 3), "2.41.1", &tags(&["2.41.2"]), &mut |_| Dating::Unknown { why: "x".into() }, now).unwrap();
        assert_eq!(none_dated.candidate, None, "no date anywhere: nothing is proposed");
    }

    #[test]
    fn pinned_images_are_never_surveyed() {
        assert_eq!(survey(policy(Versioning::Pinned, Bump::Major, 0), "0.1.0", &tags(&["0.2.0"]), &mut never, 0), None);
    }

    #[test]
    fn postgres_and_kong_majors_are_never_unattended() {
        for repo in ["postgres", "supabase/postgres", "kong/kong"] {
            assert!(major_never(repo).is_some(), "{repo}");
        }
        assert_eq!(major_never("n8nio/n8n"), None);
    }
}

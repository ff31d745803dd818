//! How each image's tags are ordered and which of them are releases. Upstream formats differ
//! (`v2.196.0`, `v14.17`, `17.6.1.136`, `2.9.12`, `2026.09.07-sha-7996410`), so the manifest declares
//! a scheme per image; a tag is a release candidate only if it has the pin's shape: the same `v`, the
//! same number of parts, and the same variant suffix as the pin (`-alpine`, `-bookworm-slim`, or none).
//! Everything else — `-rc.N`, `-orioledb`, other variants, channel tags (`latest`, `stable`, `beta`,
//! `nightly`), moving tags (`17`, `v2`), hash-like tags — is not a release here.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// A tag format, declared per image in `stacks/images.toml` (`versioning = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Versioning {
    /// `2.41.1` (n8n, Supavisor, Logflare, Kong).
    Semver,
    /// `v2.196.0` (GoTrue, Realtime, Storage, meta).
    VSemver,
    /// `17.6` (the postgres library image).
    TwoPart,
    /// `v14.17` (PostgREST).
    VTwoPart,
    /// `17.6.1.136` (supabase/postgres), compared numerically part by part.
    FourPart,
    /// `2026.09.07-sha-7996410` (Studio): ordered by date; the commit part is not ordered.
    DateSha,
    /// Never checked (built from this repository).
    Pinned,
}

/// How far a candidate is from the pin; also the highest bump an image may take unattended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bump {
    Patch,
    Minor,
    Major,
}

impl Bump {
    pub fn label(self) -> &'static str {
        match self {
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// A release tag read by a scheme: its numbers (parts, or year/month/day) in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    pub tag: String,
    pub numbers: Vec<u64>,
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| self.tag.cmp(&other.tag))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Versioning {
    /// Whether the scheme reads `pin` at all (the manifest refuses a scheme its own pin does not fit).
    pub fn fits_pin(self, pin: &str) -> bool {
        self == Versioning::Pinned || self.release(pin, pin).is_some()
    }

    /// `tag` as a release comparable with `pin`, or `None` when it is not one (see the module docs).
    pub fn release(self, pin: &str, tag: &str) -> Option<Version> {
        let numbers = match self {
            Versioning::Pinned => return None,
            Versioning::DateSha => date_sha(tag)?,
            numeric => {
                let (with_v, parts) = match numeric {
                    Versioning::Semver => (false, 3),
                    Versioning::VSemver => (true, 3),
                    Versioning::TwoPart => (false, 2),
                    Versioning::VTwoPart => (true, 2),
                    _ => (false, 4),
                };
                let (core, suffix) = split_suffix(tag);
                if suffix != split_suffix(pin).1 {
                    return None;
                }
                let core = if with_v { core.strip_prefix('v')? } else { core };
                let numbers = core.split('.').map(number).collect::<Option<Vec<u64>>>()?;
                (numbers.len() == parts).then_some(numbers)?
            }
        };
        Some(Version { tag: tag.to_string(), numbers })
    }

    /// The size of the step from `from` to a newer `to`: which number changed first.
    pub fn bump(self, from: &Version, to: &Version) -> Bump {
        if self == Versioning::DateSha {
            // A dated build has no semantic level: every newer date is treated as a minor step.
            return Bump::Minor;
        }
        match from.numbers.iter().zip(&to.numbers).position(|(a, b)| a != b) {
            Some(0) => Bump::Major,
            Some(1) => Bump::Minor,
            _ => Bump::Patch,
        }
    }
}

/// `2.41.1-alpine` → (`2.41.1`, `-alpine`); `v2.196.0` → (`v2.196.0`, ``).
fn split_suffix(tag: &str) -> (&str, &str) {
    match tag.find('-') {
        Some(i) => (&tag[..i], &tag[i..]),
        None => (tag, ""),
    }
}

/// Plain decimal digits only (no sign, no empty part), not absurdly long (hash-like runs are not versions).
fn number(part: &str) -> Option<u64> {
    (!part.is_empty() && part.len() <= 9 && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.parse().ok()).flatten()
}

/// `YYYY.MM.DD-sha-<hex>` → [year, month, day].
fn date_sha(tag: &str) -> Option<Vec<u64>> {
    let (date, sha) = tag.split_once("-sha-")?;
    if sha.len() < 7 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let parts: Vec<&str> = date.split('.').collect();
    let [y, m, d] = parts.as_slice() else { return None };
    let (y, m, d) = (number(y)?, number(m)?, number(d)?);
    (y.to_string().len() == 4 && (1..=12).contains(&m) && (1..=31).contains(&d)).then(|| vec![y, m, d])
}

#[cfg(test)]
#[path = "versions_tests.rs"]
mod tests;

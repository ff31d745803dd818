//! When a tag was released, for the cool-down: Docker Hub's own push time of the tag (its Hub API,
//! `GET /v2/namespaces/<ns>/repositories/<repo>/tags/<tag>` → `tag_last_pushed`), and for any OCI/Docker
//! registry the image's creation time from its config blob (`GET` the manifest; for an index or manifest
//! list the manifest of this engine's platform; then `GET` the config blob → `created`). A date that
//! cannot be had is [`Dating::Unknown`] with why, never a guess.

use std::time::Duration;

use reqwest::blocking::Client;
use serde::Serialize;

use super::client::{Failure, RegistryClient, RegistryError};
use super::reference::ImageRef;
use crate::problem::Problem;

/// Docker Hub's API (not the Distribution API of `registry-1.docker.io`).
pub const HUB_API: &str = "https://hub.docker.com";

/// Manifest types a `GET` for a date accepts: an index/list (then one platform's manifest) or a manifest.
const MANIFEST_GET_ACCEPT: &str = super::client::MANIFEST_ACCEPT;

/// Creation times before this are build placeholders (reproducible builds write 1970-01-01), not dates.
const EARLIEST_REAL_DATE: u64 = 946_684_800; // 2000-01-01T00:00:00Z

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateSource {
    /// Docker Hub's `tag_last_pushed` of the tag.
    HubTagLastPushed,
    /// The `created` field of the image's config blob (for an index: this platform's image).
    ConfigCreated,
}

impl DateSource {
    pub fn label(self) -> &'static str {
        match self {
            DateSource::HubTagLastPushed => "Docker Hub tag_last_pushed",
            DateSource::ConfigCreated => "config created",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagDate {
    pub source: DateSource,
    /// Unix seconds.
    pub unix: u64,
    /// The same moment as RFC 3339 UTC.
    pub utc: String,
}

impl TagDate {
    pub fn new(source: DateSource, unix: u64) -> TagDate {
        TagDate { source, unix, utc: crate::clock::Utc::from_unix(unix).rfc3339() }
    }
}

/// A tag's release date, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "dated")]
pub enum Dating {
    Known(TagDate),
    Unknown { why: String },
}

/// The platform whose manifest an index is read for: linux and this machine's architecture
/// (the engine's, as the engine runs here).
pub fn engine_platform() -> (&'static str, &'static str) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        other => other,
    };
    ("linux", arch)
}

impl RegistryClient {
    /// The image's `created` from its config blob. Not-found answers and a config without a usable
    /// `created` are `Unknown`; an unreachable, refusing or rate-limiting registry is an error.
    pub fn config_created(&self, image: &ImageRef) -> Result<Dating, RegistryError> {
        let repository = self.endpoint().repository(image);
        let base = self.endpoint().base().to_string();
        let get = |reference: &str| -> Result<Option<serde_json::Value>, RegistryError> {
            let url = format!("{base}/v2/{repository}/manifests/{reference}");
            self.get_json(&url, MANIFEST_GET_ACCEPT, &repository)
        };
        let Some(mut manifest) = get(&image.tag)? else { return Ok(unknown(format!("{image}: no such manifest"))) };
        if let Some(list) = manifest["manifests"].as_array() {
            let (os, arch) = engine_platform();
            let digest =
                list.iter().find(|m| m["platform"]["os"] == os && m["platform"]["architecture"] == arch).and_then(|m| m["digest"].as_str()).map(String::from);
            let Some(digest) = digest else { return Ok(unknown(format!("{image}: its index lists no {os}/{arch} manifest"))) };
            let Some(platform) = get(&digest)? else { return Ok(unknown(format!("{image}: its {os}/{arch} manifest {digest} is missing"))) };
            manifest = platform;
        }
        let Some(config) = manifest["config"]["digest"].as_str() else { return Ok(unknown(format!("{image}: its manifest names no config blob"))) };
        let url = format!("{base}/v2/{repository}/blobs/{config}");
        let Some(blob) = self.get_json(&url, "application/json, */*", &repository)? else {
            return Ok(unknown(format!("{image}: config blob {config} is missing")));
        };
        Ok(match blob["created"].as_str() {
            None => unknown(format!("{image}: its config has no created time")),
            Some(text) => dated(DateSource::ConfigCreated, text, image),
        })
    }
}

/// A client of Docker Hub's own API (tag push times).
pub struct HubClient {
    http: Client,
    base: String,
}

impl HubClient {
    /// Hub at `base` (`HUB_API`; a recorded Hub in tests).
    pub fn new(base: &str) -> HubClient {
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("aiwah-upgrade-check/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with timeouts builds");
        HubClient { http, base: base.trim_end_matches('/').to_string() }
    }

    /// The API path of `image`'s tag: one-part names are official images, under `library`.
    pub fn tag_path(image: &ImageRef) -> String {
        let (namespace, repository) = image.name.split_once('/').unwrap_or(("library", &image.name));
        format!("/v2/namespaces/{namespace}/repositories/{repository}/tags/{}", image.tag)
    }

    /// `tag_last_pushed` of the tag (`null` there is `Unknown`); any failure is an error naming Hub.
    pub fn tag_last_pushed(&self, image: &ImageRef) -> Result<Dating, RegistryError> {
        let url = format!("{}{}", self.base, HubClient::tag_path(image));
        let error =
            |failure, message: String| RegistryError { failure, problem: Problem::new(format!("Docker Hub API {}", self.base), format!("{message} [{url}]")) };
        let response = self.http.get(&url).send().map_err(|e| error(Failure::Unreachable, format!("unreachable: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            let failure = match status.as_u16() {
                429 => Failure::RateLimited,
                401 | 403 => Failure::Unauthorized,
                404 => Failure::NotFound,
                _ => Failure::Unexpected,
            };
            let body: serde_json::Value = response.json().unwrap_or_default();
            let words = body["message"].as_str().or(body["detail"].as_str()).unwrap_or("no message").to_string();
            return Err(error(failure, format!("HTTP {}: {words}", status.as_u16())));
        }
        let tag: serde_json::Value = response.json().map_err(|e| error(Failure::Unexpected, format!("the tag is not the expected JSON: {e}")))?;
        Ok(match tag["tag_last_pushed"].as_str() {
            None => unknown(format!("{image}: Docker Hub gives no tag_last_pushed")),
            Some(text) => dated(DateSource::HubTagLastPushed, text, image),
        })
    }
}

/// Hub's push time when `hub` is asked and has one, else the config's creation time. Why Hub gave
/// none is kept when the fallback has no date either.
pub fn date_of(hub: Option<&dyn Fn() -> Result<Dating, RegistryError>>, config: &dyn Fn() -> Result<Dating, RegistryError>) -> Result<Dating, RegistryError> {
    let hub_why = match hub.map(|ask| ask()) {
        None => None,
        Some(Ok(Dating::Known(date))) => return Ok(Dating::Known(date)),
        Some(Ok(Dating::Unknown { why })) => Some(why),
        Some(Err(e)) => Some(e.to_string()),
    };
    match (config()?, hub_why) {
        (Dating::Unknown { why }, Some(hub)) => Ok(unknown(format!("{hub}; {why}"))),
        (dating, _) => Ok(dating),
    }
}

fn unknown(why: String) -> Dating {
    Dating::Unknown { why }
}

fn dated(source: DateSource, text: &str, image: &ImageRef) -> Dating {
    match parse_rfc3339(text) {
        Some(unix) if unix >= EARLIEST_REAL_DATE => Dating::Known(TagDate::new(source, unix)),
        Some(_) => unknown(format!("{image}: {} {text} is a build placeholder, not a release date", source.label())),
        None => unknown(format!("{image}: {} {text:?} is not an RFC 3339 time", source.label())),
    }
}

/// Unix seconds of an RFC 3339 time (`2026-11-30T12:00:00.123456Z`, `...+02:00`); fractions dropped.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) || rest.len() < 8 {
        return None;
    }
    let (clock, zone) = rest.split_at(8);
    let mut c = clock.split(':');
    let (h, min, s): (i64, i64, i64) = (c.next()?.parse().ok()?, c.next()?.parse().ok()?, c.next()?.parse().ok()?);
    let zone = zone.trim_start_matches(|ch: char| ch == '.' || ch.is_ascii_digit());
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = match zone.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (oh, om) = zone[1..].split_once(':')?;
            sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60)
        }
    };
    let secs = days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + s - offset;
    u64::try_from(secs).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_parse_with_fractions_and_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-12-01T15:04:05Z"), Some(1_796_137_445));
        assert_eq!(parse_rfc3339("2026-12-01T15:04:05.123456789Z"), Some(1_796_137_445));
        assert_eq!(parse_rfc3339("2026-12-01T17:04:05+02:00"), Some(1_796_137_445));
        assert_eq!(parse_rfc3339("2021-01-05T21:06:53.506400Z"), Some(1_609_880_813));
        for bad in ["", "2026-13-01T00:00:00Z", "2026-12-01", "2026-12-01T15:04:05", "yesterday"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_placeholder_creation_time_is_no_date() {
        let image = ImageRef::parse("x/y:1").unwrap();
        assert!(matches!(dated(DateSource::ConfigCreated, "1970-01-01T00:00:01Z", &image), Dating::Unknown { why } if why.contains("placeholder")));
        assert_eq!(dated(DateSource::ConfigCreated, "2026-12-01T15:04:05Z", &image), Dating::Known(TagDate::new(DateSource::ConfigCreated, 1_796_137_445)));
    }

    #[test]
    fn hub_is_preferred_and_the_config_is_the_fallback() {
        let hub_date = || Ok(Dating::Known(TagDate::new(DateSource::HubTagLastPushed, 2_000_000_000)));
        let config_date = || Ok(Dating::Known(TagDate::new(DateSource::ConfigCreated, 1_900_000_000)));
        let hub_none = || Ok(unknown("Docker Hub gives no tag_last_pushed".into()));
        let hub_down = || Err(RegistryError { failure: Failure::RateLimited, problem: Problem::new("Docker Hub API", "HTTP 429: slow down") });
        let config_none = || Ok(unknown("its config has no created time".into()));
        let source = |d: Dating| match d {
            Dating::Known(date) => Some(date.source),
            Dating::Unknown { .. } => None,
        };
        assert_eq!(source(date_of(Some(&hub_date), &config_date).unwrap()), Some(DateSource::HubTagLastPushed));
        assert_eq!(source(date_of(Some(&hub_none), &config_date).unwrap()), Some(DateSource::ConfigCreated));
        assert_eq!(source(date_of(Some(&hub_down), &config_date).unwrap()), Some(DateSource::ConfigCreated));
        assert_eq!(source(date_of(None, &config_date).unwrap()), Some(DateSource::ConfigCreated));
        let both = date_of(Some(&hub_down), &config_none).unwrap();
        assert!(matches!(&both, Dating::Unknown { why } if why.contains("HTTP 429") && why.contains("no created time")), "{both:?}");
    }
}

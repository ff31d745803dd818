//! The bundle's model: its file names, `release.toml`, `results.json`, and the reading of nextest's
//! JUnit report they are derived from (and checked against by `--verify`).

use std::collections::BTreeMap;

use crate::accept::images::ImagesLock;
use crate::accept::nextest::{CONFORMANCE_BINARY, Scope};

pub const RELEASE: &str = "release.toml";
pub const IMAGES_LOCK: &str = "images.lock";
pub const JUNIT: &str = "junit.xml";
pub const RESULTS: &str = "results.json";
pub const CUCUMBER: &str = "cucumber.json";
pub const README: &str = "README.md";
pub const SUMS: &str = "SHA256SUMS";
/// minisign's own convention: the signed file's name + `.minisig`.
pub const SIGNATURE: &str = "SHA256SUMS.minisig";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    /// Expected, but absent from the JUnit report.
    NotRun,
}

/// One test case of nextest's JUnit report.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub binary: String,
    pub name: String,
    pub status: Status,
    pub duration_s: f64,
}

/// The test cases of a nextest JUnit report (`<testcase classname=BINARY name=TEST time=S>`, a
/// `<failure>`/`<error>` child for a failure, `<skipped>` for a skip).
pub fn read_junit(text: &str) -> Result<Vec<TestCase>, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not XML: {e}"))?;
    let mut cases = Vec::new();
    for node in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let attr =
            |key: &str| node.attribute(key).ok_or_else(|| format!("a <testcase> has no {key} attribute (line {})", doc.text_pos_at(node.range().start).row));
        let child = |tag: &str| node.children().any(|c| c.has_tag_name(tag));
        let status = if child("failure") || child("error") {
            Status::Failed
        } else if child("skipped") {
            Status::Skipped
        } else {
            Status::Passed
        };
        let duration_s =
            attr("time")?.parse().map_err(|_| format!("testcase {}: time {:?} is not a number", attr("name").unwrap_or("?"), node.attribute("time")))?;
        cases.push(TestCase { binary: attr("classname")?.to_string(), name: attr("name")?.to_string(), status, duration_s });
    }
    Ok(cases)
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    pub status: Status,
    pub duration_s: f64,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Results {
    /// Every scenario the sign-off ran, in catalog order.
    pub scenarios: Vec<ScenarioResult>,
    /// Every test of the run (scenarios included), by status.
    pub tests: BTreeMap<String, usize>,
}

impl Results {
    /// Each scenario of `expected` with its JUnit result (`not-run` when the report lacks it).
    pub fn from_junit(expected: &[String], junit: &[TestCase]) -> Results {
        let scenarios = expected
            .iter()
            .map(|name| match junit.iter().find(|t| t.binary == CONFORMANCE_BINARY && &t.name == name) {
                Some(t) => ScenarioResult { name: name.clone(), status: t.status, duration_s: t.duration_s },
                None => ScenarioResult { name: name.clone(), status: Status::NotRun, duration_s: 0.0 },
            })
            .collect();
        let mut tests = BTreeMap::new();
        for t in junit {
            *tests.entry(label(t.status).to_string()).or_insert(0) += 1;
        }
        Results { scenarios, tests }
    }

    pub fn all_passed(&self) -> bool {
        self.scenarios.iter().all(|s| s.status == Status::Passed) && self.tests.keys().all(|k| k == label(Status::Passed))
    }
}

pub fn label(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::NotRun => "not-run",
    }
}

/// `release.toml`: what was signed off, where, with what.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Release {
    pub created_utc: String,
    pub git_commit: String,
    pub git_dirty: bool,
    pub harness_version: String,
    pub engine_version: String,
    pub compose_version: String,
    pub machine: String,
    pub scope: Scope,
    /// The features folder, relative to the checkout (`features`), or the test-only override.
    pub features: String,
    pub features_override: bool,
    pub allow_substitutes: bool,
    /// The target file the suite ran against (`AIWAH_TARGET`), if any.
    pub target: Option<String>,
    /// How the bundle was checked for the deployment's secrets before it was sealed.
    pub secret_scan: String,
    /// Every scenario that must be present and passed.
    pub scenarios: Vec<String>,
    /// Scenarios left out because the service they observe ran for real (`name — why`).
    pub not_applicable: Vec<String>,
}

/// Everything a bundle is written from.
pub struct Bundle {
    pub release: Release,
    pub images: ImagesLock,
    pub junit: String,
    pub results: Results,
    pub cucumber: String,
}

//! What `accept` decides and writes, without an engine: the scenarios it runs for given tiers (and
//! the exact nextest arguments), its refusals, and bundles that verify or do not.

use std::path::{Path, PathBuf};

use aiwah_harness::engine::pins::{ImagePins, Pin, RunsBy};
use aiwah_harness::engine::{Choice, ImagePlan, Tier};
use aiwah_harness::stack::Manifest;
use aiwah_harness::suite::catalog::{self, Case};
use aiwah_harness::suite::tiers::Tiers;

use super::images::{self, ImagesLock};
use super::nextest::{self, Scope};
use super::refusal::Selection;
use super::results::{self, Bundle, Release, Results, Status};
use super::{bundle, sign, verify};

fn root() -> PathBuf {
    aiwah_harness::repo::this_checkout()
}

/// Tiers where every manifest image is official except the keys given.
fn tiers(except: &[(&str, Tier)]) -> Tiers {
    let manifest = Manifest::load(&root()).unwrap();
    let mut plan = ImagePlan::default();
    for (key, entry) in &manifest.images {
        let tier = except.iter().find(|(k, _)| k == key).map(|(_, t)| *t).unwrap_or(Tier::Official);
        let image = if tier == Tier::Official { entry.image.clone() } else { format!("aiwah-offline/{key}:test") };
        plan.by_official.insert(entry.image.clone(), Choice { official: entry.image.clone(), image, tier, listens: entry.listens.clone() });
    }
    Tiers::from_plan(&manifest, &plan)
}

fn case(name: &str, needs: &[&str], observes: &[&str]) -> Case {
    Case {
        name: name.into(),
        feature_file: PathBuf::from("features/x.feature"),
        scenario: name.into(),
        line: 1,
        needs: needs.iter().map(|s| s.to_string()).collect(),
        observes: observes.iter().map(|s| s.to_string()).collect(),
        uses: Vec::new(),
    }
}

const BASE: [&str; 7] = ["nextest", "run", "--profile", "ci", "--no-fail-fast", "--run-ignored", "all"];

#[test]
fn with_real_kong_the_observes_only_scenario_is_excluded_by_exact_name_and_everything_else_forced() {
    let cases = [case("n8n::calls Kong (observed)", &["n8n"], &["supabase-kong"]), case("n8n::echo, published", &["n8n"], &[])];
    let selection = Selection::of(&cases, &tiers(&[]));
    assert_eq!(selection.run.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["n8n::echo, published"]);
    let mut want: Vec<String> = BASE.map(String::from).to_vec();
    want.extend(["-E".into(), "not (binary_id(aiwah-suite::conformance) & (test(=n8n::calls Kong (observed\\))))".into()]);
    assert_eq!(nextest::arguments(&selection, Scope::Workspace), want);
    assert!(selection.refusal(false).is_none(), "official images everywhere: nothing to refuse");
}

#[test]
fn with_a_kong_placeholder_the_observing_scenario_runs_and_no_filterset_is_passed() {
    // Only the n8n scenario is in this catalog: the Kong placeholder blocks nothing else.
    let cases = [case("n8n::calls Kong (observed)", &["n8n"], &["supabase-kong"])];
    let selection = Selection::of(&cases, &tiers(&[("supabase-kong", Tier::Placeholder)]));
    assert_eq!(selection.run.len(), 1);
    assert!(selection.observes_only.is_empty());
    let mut want: Vec<String> = BASE[..5].iter().map(|s| s.to_string()).collect();
    want.extend(["-p", "aiwah-suite", "--test", "conformance", "--run-ignored", "all"].map(String::from));
    assert_eq!(nextest::arguments(&selection, Scope::Conformance), want);
}

#[test]
fn the_real_catalog_with_official_images_leaves_out_exactly_the_scenarios_observing_kong() {
    let cases = catalog::load(&root()).unwrap();
    let selection = Selection::of(&cases, &tiers(&[]));
    let observing: Vec<&str> = cases.iter().filter(|c| c.observes.iter().any(|o| o == "supabase-kong")).map(|c| c.name.as_str()).collect();
    assert!(!observing.is_empty(), "the catalog has a scenario observing Kong's placeholder (the positive control)");
    assert_eq!(selection.observes_only.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), observing);
    assert_eq!(selection.run.len() + observing.len(), cases.len());
    let args = nextest::arguments(&selection, Scope::Workspace);
    let filterset = &args[args.iter().position(|a| a == "-E").unwrap() + 1];
    for name in &observing {
        assert!(filterset.contains(&format!("test(={})", name.replace(',', "\\,").replace(')', "\\)"))), "{filterset}");
    }
}

#[test]
fn a_placeholder_need_refuses_naming_each_scenario_on_its_own_line_and_a_substitute_needs_the_flag() {
    let cases = [case("auth::signs in", &["supabase-auth"], &[]), case("rls::own rows", &["supabase-db"], &[])];
    let refusal = Selection::of(&cases, &tiers(&[("supabase-auth", Tier::Placeholder)])).refusal(true).expect("a placeholder refuses");
    let text = refusal.to_string();
    assert!(text.lines().any(|l| l.starts_with("scenario auth::signs in: needs supabase/gotrue")), "{text}");
    assert!(!text.contains("rls::own rows"), "{text}");
    assert!(text.contains("nothing was started"), "{text}");

    let selection = Selection::of(&cases[1..], &tiers(&[("supabase-db", Tier::Substitute)]));
    let text = selection.refusal(false).expect("a substitute refuses without --allow-substitutes").to_string();
    assert!(text.contains("is a substitute, needed by 1 scenarios") && text.contains("--allow-substitutes"), "{text}");
    assert!(selection.refusal(true).is_none(), "--allow-substitutes lets it run");
}

const JUNIT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="3" failures="0" errors="0">
  <testsuite name="aiwah-suite::conformance" tests="3" disabled="0" errors="0" failures="0">
    <testcase name="conformance::every step of every scenario has exactly one definition" classname="aiwah-suite::conformance" time="0.031"/>
    <testcase name="n8n::echo, published" classname="aiwah-suite::conformance" time="4.5"/>
    <testcase name="isolation::ui/ui cannot reach supabase/db" classname="aiwah-suite::conformance" time="2.25"/>
  </testsuite>
</testsuites>
"#;

fn sample(dir: &Path, junit: &str, secrets: &[(String, String)]) -> Result<(), aiwah_harness::Problems> {
    let scenarios: Vec<String> = ["n8n::echo, published", "isolation::ui/ui cannot reach supabase/db"].map(String::from).to_vec();
    let results = Results::from_junit(&scenarios, &results::read_junit(junit).unwrap());
    let release = Release {
        created_utc: "2026-12-01T15:00:00Z".into(),
        git_commit: "0".repeat(40),
        git_dirty: false,
        harness_version: "0.1.0".into(),
        engine_version: "20.10".into(),
        compose_version: "2.0".into(),
        machine: "test".into(),
        scope: Scope::Conformance,
        features: "features".into(),
        features_override: false,
        allow_substitutes: false,
        target: None,
        secret_scan: "test".into(),
        scenarios,
        not_applicable: Vec::new(),
    };
    bundle::write(dir, &Bundle { release, images: ImagesLock::default(), junit: junit.into(), results, cucumber: "[]".into() }, secrets)
}

fn reseal(dir: &Path) {
    std::fs::write(dir.join(results::SUMS), bundle::sums(dir).unwrap()).unwrap();
}

fn problems(dir: &Path, pubkey: Option<&Path>) -> String {
    verify::verify(dir, pubkey).unwrap().iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
}

#[test]
fn results_come_from_the_junit_report_and_a_missing_scenario_is_not_run() {
    let junit = results::read_junit(JUNIT).unwrap();
    assert_eq!(junit.len(), 3);
    let results = Results::from_junit(&["n8n::echo, published".into(), "n8n::absent".into()], &junit);
    assert_eq!(results.scenarios[0].status, Status::Passed);
    assert_eq!(results.scenarios[0].duration_s, 4.5);
    assert_eq!(results.scenarios[1].status, Status::NotRun);
    assert!(!results.all_passed());
    let skipped = JUNIT.replace(r#"time="4.5"/>"#, r#"time="4.5"><skipped/></testcase>"#);
    assert_eq!(results::read_junit(&skipped).unwrap()[1].status, Status::Skipped);
}

#[test]
fn a_signed_bundle_verifies_and_each_tampering_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b");
    sample(&bundle, JUNIT, &[]).unwrap();
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let sums = std::fs::read(bundle.join(results::SUMS)).unwrap();
    std::fs::write(bundle.join(results::SIGNATURE), sign::sign(&pair.sk, &sums, "test").unwrap()).unwrap();
    let pubkey = dir.path().join("key.pub");
    std::fs::write(&pubkey, pair.pk.to_box().unwrap().into_string()).unwrap();
    assert_eq!(problems(&bundle, Some(&pubkey)), "", "the bundle as written verifies");

    let other = dir.path().join("other.pub");
    std::fs::write(&other, minisign::KeyPair::generate_unencrypted_keypair().unwrap().pk.to_box().unwrap().into_string()).unwrap();
    assert!(problems(&bundle, Some(&other)).contains("signature: does not verify"));

    // One byte changed: its checksum no longer matches; resealed, the signature no longer does.
    let readme = bundle.join(results::README);
    let mut bytes = std::fs::read(&readme).unwrap();
    bytes[3] ^= 1;
    std::fs::write(&readme, bytes).unwrap();
    assert!(problems(&bundle, Some(&pubkey)).contains("README.md: does not match its SHA256SUMS checksum"));
    reseal(&bundle);
    let text = problems(&bundle, Some(&pubkey));
    assert!(text.contains("signature: does not verify") && !text.contains("checksum"), "{text}");
}

#[test]
fn a_scenario_removed_or_a_skip_added_fails_even_with_checksums_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let removed = dir.path().join("removed");
    sample(&removed, JUNIT, &[]).unwrap();
    let file = removed.join(results::RESULTS);
    let mut results: Results = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    results.scenarios.retain(|s| s.name != "n8n::echo, published");
    std::fs::write(&file, serde_json::to_string(&results).unwrap()).unwrap();
    reseal(&removed);
    assert!(problems(&removed, None).contains("scenario n8n::echo, published: is missing from results.json"));

    let skipped = dir.path().join("skipped");
    sample(&skipped, JUNIT, &[]).unwrap();
    assert_eq!(problems(&skipped, None), "");
    let junit = JUNIT.replace(r#"time="2.25"/>"#, r#"time="2.25"><skipped/></testcase>"#);
    std::fs::write(skipped.join(results::JUNIT), junit).unwrap();
    reseal(&skipped);
    let text = problems(&skipped, None);
    assert!(text.contains("junit.xml says skipped in 2.25 s, results.json passed"), "{text}");
    assert!(text.contains("is skipped in junit.xml"), "{text}");
}

#[test]
fn a_bundle_holding_a_secret_of_the_deployment_is_not_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let leak = JUNIT.replace("time=\"0.031\"/>", "time=\"0.031\"><system-out>key=s3cr3t-jwt-value-0123</system-out></testcase>");
    let secrets = [("JWT_SECRET".to_string(), "s3cr3t-jwt-value-0123".to_string()), ("POSTGRES_PASSWORD".into(), "never-written-pw".into())];
    let err = sample(dir.path(), &leak, &secrets).unwrap_err().to_string();
    assert!(err.contains("junit.xml: holds the value of JWT_SECRET") && !err.contains("POSTGRES_PASSWORD"), "{err}");
    assert!(!err.contains("s3cr3t"), "the refusal never prints the value: {err}");
    assert!(!dir.path().join(results::SUMS).exists(), "not sealed");
    // Positive control: the same bundle without the leak is sealed.
    sample(dir.path(), JUNIT, &secrets).unwrap();
    assert!(dir.path().join(results::SUMS).exists());
}

#[test]
fn an_official_image_without_a_registry_digest_is_refused_unless_substitutes_are_allowed_and_the_lock_says_how_each_ran() {
    let id = format!("sha256:{}", "1d".repeat(32));
    let choice = |official: &str, image: &str, tier| Choice { official: official.into(), image: image.into(), tier, listens: vec![] };
    let mut pins = ImagePins::default();
    let pulled = Pin::of(&choice("postgres:17.6", "postgres:17.6", Tier::Official), &id, &[format!("postgres@sha256:{}", "d1".repeat(32))]);
    let substitute = Pin::of(&choice("n8nio/n8n:2.41.1", "aiwah-offline/n8n:abc", Tier::Substitute), &id, &[]);
    let ui = Pin::built_by_start(&choice("aiwah/ui:0.1.0", "aiwah/ui:0.1.0", Tier::Source), "aiwah/ui:0.1.0-ab12");
    for pin in [pulled, substitute, ui] {
        pins.by_official.insert(pin.official.clone(), pin);
    }
    assert!(images::unverifiable(&pins, false).is_none(), "pulled by digest, substitute by ID, UI by its build tag: nothing unverifiable");
    // `kong/kong:3.9.3` tagged on this machine: an official name without a registry digest.
    let tagged_here = Pin::of(&choice("kong/kong:3.9.3", "kong/kong:3.9.3", Tier::Official), &id, &[]);
    assert_eq!(tagged_here.runs_by, RunsBy::ImageId);
    pins.by_official.insert(tagged_here.official.clone(), tagged_here);
    let refusal = images::unverifiable(&pins, false).expect("refused").to_string();
    assert!(
        refusal.starts_with("accept: official images without a registry digest on this engine (tagged or built here, not pulled): kong/kong:3.9.3;"),
        "{refusal}"
    );
    assert!(!refusal.contains("postgres") && !refusal.contains('\n'), "{refusal}");
    assert!(images::unverifiable(&pins, true).is_none(), "--allow-substitutes runs it by image ID");

    // images.lock says per row how the container ran.
    let running = aiwah_harness::engine::pins::Running {
        service: "n8n/postgres".into(),
        started_as: pins.by_official["postgres:17.6"].reference.clone(),
        image_id: id.clone(),
        tier: "official".into(),
        official: "postgres:17.6".into(),
    };
    let pin = &pins.by_official["postgres:17.6"];
    let row = aiwah_harness::engine::pins::check(&running, Some(pin), &id, std::slice::from_ref(&pin.reference)).unwrap();
    let lock = toml::to_string_pretty(&ImagesLock { image: vec![row] }).unwrap();
    assert!(lock.contains("runs_by = \"digest\"") && lock.contains(&format!("digest = \"sha256:{}\"", "d1".repeat(32))), "{lock}");
    assert!(lock.contains(&format!("started_as = \"postgres@sha256:{}\"", "d1".repeat(32))), "{lock}");
}

#[test]
fn the_suite_command_passes_the_target_and_the_handle_down_and_nothing_of_an_outer_nextest_run() {
    let env = |cmd: &std::process::Command, key: &str| cmd.get_envs().find(|(k, _)| *k == key).map(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()));
    let selection = Selection::default();
    let (handle, reports, target) = (Path::new("/r/handle.json"), Path::new("/r"), Path::new("/t/staging.toml"));
    let cmd = super::suite_command(&root(), &selection, Scope::Conformance, Some(handle), reports, Some(target));
    assert_eq!(env(&cmd, "AIWAH_TARGET"), Some(Some("/t/staging.toml".into())));
    assert_eq!(env(&cmd, "AIWAH_SUITE_HANDLE"), Some(Some("/r/handle.json".into())));
    assert_eq!(env(&cmd, "AIWAH_SUITE_REPORTS"), Some(Some("/r".into())));
    let plain = super::suite_command(&root(), &selection, Scope::Conformance, None, reports, None);
    assert_eq!(env(&plain, "AIWAH_TARGET"), Some(None), "an AIWAH_TARGET of the caller's environment is not passed on unasked");
    assert_eq!(env(&plain, "AIWAH_SUITE_HANDLE"), Some(None));
    // Under nextest (these tests), its own variables are set here and removed for the nested run.
    if std::env::var_os("NEXTEST_RUN_ID").is_some() {
        assert_eq!(env(&plain, "NEXTEST_RUN_ID"), Some(None));
    }
}

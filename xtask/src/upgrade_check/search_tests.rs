use super::*;

/// A suite whose scenarios fail by rule: `breaks(set, scenario, attempt)`; it records every run.
struct Fake<F: FnMut(&ImageSet, &str, usize) -> Option<bool>> {
    rule: F,
    labels: Vec<String>,
}

impl<F: FnMut(&ImageSet, &str, usize) -> Option<bool>> SuiteRunner for Fake<F> {
    fn run(&mut self, label: &str, set: &ImageSet, scenarios: &[String]) -> Result<RunResult, Problem> {
        self.labels.push(label.to_string());
        let attempt = self.labels.len();
        let scenarios = scenarios
            .iter()
            .map(|s| {
                let status = match (self.rule)(set, s, attempt) {
                    Some(true) => Status::Failed,
                    Some(false) => Status::Passed,
                    None => Status::NotChecked,
                };
                (s.clone(), (status, format!("{s} output")))
            })
            .collect();
        Ok(RunResult { scenarios })
    }
}

fn bump(key: &str, image: &str, scenarios: &[&str]) -> Bump {
    Bump {
        key: key.into(),
        image: image.into(),
        reference: format!("reg/{image}"),
        fallbacks: Vec::new(),
        scenarios: scenarios.iter().map(|s| s.to_string()).collect(),
    }
}

fn has(set: &ImageSet, image: &str) -> bool {
    set.values().any(|r| r == &format!("reg/{image}"))
}

#[test]
fn one_culprit_among_two_is_named_with_its_scenario_and_the_other_passes() {
    let bumps = [bump("n8n", "n8nio/n8n:2.41.3", &["n8n::webhook", "n8n::env"]), bump("pg", "postgres:17.7", &["n8n::webhook", "pg::dump"])];
    let mut fake = Fake { rule: |set: &ImageSet, s: &str, _| Some(s == "n8n::webhook" && has(set, "n8nio/n8n:2.41.3")), labels: Vec::new() };
    let out = search(&bumps, &mut fake).unwrap();
    assert_eq!(out.verdicts["n8n"], [Verdict::Breaks { image: "n8nio/n8n:2.41.3".into(), scenarios: vec!["n8n::webhook".into()], with: vec![] }]);
    assert_eq!(out.verdicts["pg"], [Verdict::Passes { image: "postgres:17.7".into() }]);
    assert_eq!(fake.labels, ["baseline", "candidates", "candidates, failures again", "n8nio/n8n:2.41.3 alone", "postgres:17.7 alone"]);
    assert!(out.flaky.is_empty());
}

#[test]
fn a_failure_that_passes_on_the_rerun_is_flaky_not_a_culprit() {
    let bumps = [bump("n8n", "n8nio/n8n:2.41.3", &["n8n::webhook"])];
    let mut fake = Fake { rule: |set: &ImageSet, _: &str, attempt| Some(!set.is_empty() && attempt == 2), labels: Vec::new() };
    let out = search(&bumps, &mut fake).unwrap();
    assert_eq!(out.flaky, ["n8n::webhook"]);
    assert_eq!(out.verdicts["n8n"], [Verdict::Passes { image: "n8nio/n8n:2.41.3".into() }]);
    assert_eq!(fake.labels.len(), 3);
}

#[test]
fn images_that_only_fail_together_are_found_as_the_smallest_combination() {
    let bumps = [bump("a", "a:2", &["s"]), bump("b", "b:2", &["s"]), bump("c", "c:2", &["s"])];
    let mut fake = Fake { rule: |set: &ImageSet, _: &str, _| Some(has(set, "a:2") && has(set, "c:2")), labels: Vec::new() };
    let out = search(&bumps, &mut fake).unwrap();
    assert_eq!(out.verdicts["a"], [Verdict::Breaks { image: "a:2".into(), scenarios: vec!["s".into()], with: vec!["c:2".into()] }]);
    assert_eq!(out.verdicts["b"], [Verdict::Passes { image: "b:2".into() }]);
    assert!(fake.labels.contains(&"a:2 + c:2 together".to_string()), "{:?}", fake.labels);
    assert!(!fake.labels.contains(&"b:2 + c:2 together".to_string()), "stops at the first failing pair: {:?}", fake.labels);
}

#[test]
fn a_culprits_lower_release_that_works_is_proposed_instead() {
    let mut n8n = bump("n8n", "n8nio/n8n:2.41.3", &["n8n::webhook", "n8n::env"]);
    n8n.fallbacks = vec![("n8nio/n8n:2.41.2".into(), "reg/n8nio/n8n:2.41.2".into())];
    let mut fake = Fake { rule: |set: &ImageSet, s: &str, _| Some(s == "n8n::webhook" && has(set, "n8nio/n8n:2.41.3")), labels: Vec::new() };
    let out = search(&[n8n], &mut fake).unwrap();
    assert_eq!(
        out.verdicts["n8n"],
        [
            Verdict::Breaks { image: "n8nio/n8n:2.41.3".into(), scenarios: vec!["n8n::webhook".into()], with: vec![] },
            Verdict::Passes { image: "n8nio/n8n:2.41.2".into() }
        ]
    );
    // baseline, candidates, re-run, fallback: one bumped image needs no "alone" run.
    assert_eq!(fake.labels.len(), 4, "{:?}", fake.labels);
}

#[test]
fn skipped_scenarios_leave_an_image_not_checked_never_passed() {
    let bumps = [bump("auth", "supabase/gotrue:v2.197.0", &["auth::signs in"]), bump("x", "x:2", &[])];
    let mut fake = Fake { rule: |_: &ImageSet, _: &str, _| None, labels: Vec::new() };
    let out = search(&bumps, &mut fake).unwrap();
    assert!(matches!(&out.verdicts["auth"][0], Verdict::NotChecked { why, .. } if why.contains("skipped")), "{:?}", out.verdicts);
    assert!(matches!(&out.verdicts["x"][0], Verdict::NotChecked { why, .. } if why == "no scenario needs it"));
}

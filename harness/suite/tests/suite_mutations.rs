//! The conformance scenarios can fail: a copy of the platform with three mutations — a todos policy
//! opened to `using (true)`, the n8n database put on the shared network, the Kong workflow stripped
//! of its key — makes exactly the matching scenarios fail, while an unrelated one still passes.
//! Needs the engine and the offline images.

use std::sync::Arc;

use aiwah_harness::engine::Source;
use aiwah_harness::suite::catalog::{self, Case};
use aiwah_harness::suite::shared::Suite;
use aiwah_harness::testing::StackCopy;

fn case<'a>(cases: &'a [Case], name: &str) -> &'a Case {
    cases.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no scenario {name}"))
}

#[test]
fn each_mutation_fails_its_scenario_and_nothing_else() {
    let copy = StackCopy::new();
    copy.mutate("fixtures/sql/0001_todos.sql", "for select to authenticated using (user_id = auth.uid());", "for select to authenticated using (true);");
    copy.mutate(
        "stacks/n8n/compose.yml",
        "  postgres:\n    image: ${N8N_POSTGRES_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    networks: [internal]",
        "  postgres:\n    image: ${N8N_POSTGRES_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    networks: [internal, shared]",
    );
    copy.mutate("fixtures/n8n/todo-through-kong.json", "\"name\": \"apikey\"", "\"name\": \"x-no-key\"");
    let cases = catalog::load(copy.root()).unwrap();
    let suite = Arc::new(Suite::start(copy.root(), &Source::Offline, &["supabase", "n8n"], &|line| eprintln!("  {line}")).unwrap());
    let reports = copy.root().join("reports");
    let run = |name: &str| aiwah_suite::steps::run_scenario(suite.clone(), case(&cases, name), &aiwah_harness::suite::report::scenario_file(&reports, name));

    for mutated in [
        "rls::A user sees only their own todos (SQL)",
        "isolation::supabase/kong cannot reach another stack's database n8n/postgres",
        "n8n::A workflow calls Kong on the shared network with the service key",
    ] {
        let failure = run(mutated).expect_err(mutated);
        eprintln!("{mutated}: fails as it must: {failure}");
    }
    // Untouched by the mutations: still passes in the same deployment.
    run("isolation::n8n/n8n cannot reach another stack's database supabase/db").unwrap();
    run("rls::A user cannot write a todo for another user (SQL)").unwrap();

    // The engine's whole matrix sees the breach too (engine_live leaves this mutation to this copy).
    let probes = aiwah_harness::engine::probe::matrix(&suite.deployment, &suite.probe_image().unwrap()).unwrap();
    let open = |p: &aiwah_harness::engine::probe::Probe| p.outcome == aiwah_harness::engine::probe::Outcome::Open;
    assert!(probes.iter().any(|p| p.from == "supabase/kong" && p.to == "n8n/postgres" && p.via == "postgres" && open(p)), "{probes:#?}");
}

//! Deployments on the real engine with offline images (stacks/offline): an ephemeral copy comes up
//! healthy, the live probe matrix holds, teardown leaves nothing labelled behind, and a killed run's
//! leftovers are swept by the next. Needs a Docker engine and `bash stacks/offline/build.sh all`.

use std::time::{Duration, Instant};

use aiwah_harness::engine::probe::{self, Outcome};
use aiwah_harness::engine::sweep;
use aiwah_harness::engine::{Deployment, Source, docker, plan};

fn root() -> std::path::PathBuf {
    aiwah_harness::repo::this_checkout()
}

fn base_image() -> String {
    plan::offline_tag(&root(), "base").unwrap()
}

/// The base image without perl: a probe image that cannot give a finding.
struct ImageWithoutPerl(String);

impl ImageWithoutPerl {
    fn build() -> ImageWithoutPerl {
        use std::io::Write;
        let tag = format!("aiwah-test/probe-without-perl:{}", aiwah_harness::secrets::random::from_alphabet(b"0123456789abcdef", 8));
        let mut build = std::process::Command::new("docker")
            .args(["build", "--quiet", "--tag", &tag, "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        write!(build.stdin.take().unwrap(), "FROM {}\nRUN rm /usr/bin/perl\n", base_image()).unwrap();
        assert!(build.wait().unwrap().success(), "building {tag}");
        ImageWithoutPerl(tag)
    }
}

impl Drop for ImageWithoutPerl {
    fn drop(&mut self) {
        let _ = aiwah_harness::engine::docker::docker(&["image", "rm", "--force", &self.0]);
    }
}

// Two copies at once share everything a test of copies needs: each proves coming up isolated and
// on its own ports; one is removed by `down`, the other by being dropped.
#[test]
fn n8n_copies_run_side_by_side_isolated_and_down_or_drop_leaves_nothing_behind() {
    let started = Instant::now();
    let mut a = Deployment::ephemeral(&root(), &Source::Offline, &["n8n"]).unwrap();
    let b = Deployment::ephemeral(&root(), &Source::Offline, &["n8n"]).unwrap();
    std::thread::scope(|s| {
        let ta = s.spawn(|| a.up(&[], Duration::from_secs(240), &|line| eprintln!("a: {line}")));
        let tb = s.spawn(|| b.up(&[], Duration::from_secs(240), &|line| eprintln!("b: {line}")));
        ta.join().unwrap().unwrap();
        tb.join().unwrap().unwrap();
    });
    println!("two n8n copies healthy after {:.1}s", started.elapsed().as_secs_f64());

    // n8n answers on loopback ports the engine chose, one per copy; each copy has its own shared network.
    let port = a.host_port("n8n", "n8n", 5678).unwrap();
    assert_ne!(port, 5678, "ephemeral copies must not take the fixed port");
    assert_ne!(port, b.host_port("n8n", "n8n", 5678).unwrap());
    assert_ne!(a.shared_network, b.shared_network);
    let states = a.states("n8n").unwrap();
    assert!(states.len() == 2 && states.iter().all(|s| s.state == "running" && s.health == "healthy"), "{states:?}");

    // Positive control: n8n reaches its own database by name and by IP.
    let probes = probe::matrix(&a, &base_image()).unwrap();
    assert!(!probes.is_empty());
    for p in &probes {
        println!("{p}");
        assert!(p.holds(), "{p}");
    }
    assert!(probes.iter().any(|p| p.from == "n8n/n8n" && p.to == "n8n/postgres" && p.via == "postgres" && p.outcome == Outcome::Open));
    assert!(probes.iter().any(|p| p.from == "n8n/n8n" && p.to == "n8n/postgres" && p.via.parse::<std::net::IpAddr>().is_ok() && p.outcome == Outcome::Open));

    // A probe that cannot tell what happened is an error naming where it probed, never "unreachable".
    let without_perl = ImageWithoutPerl::build();
    let problem = probe::from_position(&a, &without_perl.0, "n8n/n8n").unwrap_err().to_string();
    assert!(problem.starts_with("probe from n8n/n8n to n8n/postgres: docker run"), "{problem}");
    assert!(problem.contains("\"perl\": executable file not found"), "{problem}");

    let (ida, idb) = (a.id().to_string(), b.id().to_string());
    let resources = sweep::resources_of(&ida).unwrap();
    assert_eq!(resources.containers.len(), 2, "{resources:?}");
    assert!(resources.networks.len() >= 2, "own internal network and the copy's shared network: {resources:?}");
    assert_eq!(resources.volumes.len(), 2, "{resources:?}");

    a.down().unwrap();
    let left = sweep::resources_of(&ida).unwrap();
    assert!(left.is_empty(), "down left {left:?}");
    assert!(!sweep::resources_of(&idb).unwrap().is_empty(), "the other copy still runs");
    drop(b);
    let left = sweep::resources_of(&idb).unwrap();
    assert!(left.is_empty(), "drop left {left:?}");
}

#[test]
fn leftovers_of_a_killed_run_are_swept_and_live_runs_are_not() {
    use aiwah_harness::engine::docker::{self, Kind};
    use aiwah_harness::engine::overrides::labels;

    // A run that dies by SIGKILL leaves its labelled resources behind; fake exactly that.
    let mut child = std::process::Command::new("sleep").arg("60").spawn().unwrap();
    let dead_run = sweep::run_of(child.id()).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let tag = aiwah_harness::secrets::random::from_alphabet(b"0123456789abcdef", 6);
    let make = |run: &str, name: &str| {
        let l = |k: &str, v: &str| format!("{k}={v}");
        let (dep, run_l, eph) = (l(labels::DEPLOYMENT, &format!("sweep-{tag}")), l(labels::RUN, run), l(labels::EPHEMERAL, "true"));
        docker::docker(&["network", "create", "--label", &dep, "--label", &run_l, "--label", &eph, name]).unwrap();
        docker::docker(&["volume", "create", "--label", &dep, "--label", &run_l, "--label", &eph, name]).unwrap();
        docker::docker(&[
            "create",
            "--label",
            &dep,
            "--label",
            &run_l,
            "--label",
            &eph,
            "--network",
            name,
            // Labelled however it comes about: a sweep beside this test may remove the dead run's
            // volume before this line, and a plain `-v` would then create an unlabelled one no sweep finds.
            "--mount",
            &format!("type=volume,source={name},target=/data,volume-label={dep},volume-label={run_l},volume-label={eph}"),
            "--name",
            name,
            &base_image(),
            "sleep",
            "600",
        ])
        .unwrap();
    };
    make(&dead_run, &format!("aiwah-sweep-dead-{tag}"));
    make(&sweep::this_run(), &format!("aiwah-sweep-live-{tag}"));

    // Tests running beside this one sweep too (every new copy does), so what proves the sweep is
    // what is left, not which sweep reported what.
    let swept = sweep::sweep_dead_runs();
    let left = sweep::resources_of(&format!("sweep-{tag}")).unwrap();
    let live = vec![format!("aiwah-sweep-live-{tag}")];
    assert_eq!(
        [&left.containers, &left.networks, &left.volumes],
        [&live, &live, &live],
        "the dead run's container, network and volume are swept, the live run's stay (swept here: {swept:?})"
    );

    docker::remove(Kind::Container, &left.containers).unwrap();
    docker::remove(Kind::Network, &left.networks).unwrap();
    docker::remove(Kind::Volume, &left.volumes).unwrap();
    assert!(sweep::resources_of(&format!("sweep-{tag}")).unwrap().is_empty());
}

#[test]
fn a_failing_start_names_what_it_waited_for_and_leaves_nothing_behind() {
    let copy = aiwah_harness::testing::StackCopy::new();
    copy.mutate(
        "stacks/n8n/compose.yml",
        "test: [\"CMD-SHELL\", \"pg_isready -h localhost -U $${POSTGRES_USER} -d $${POSTGRES_DB}\"]",
        "test: [\"CMD\", \"false\"]",
    );
    let deployment = Deployment::ephemeral(copy.root(), &Source::Offline, &["n8n"]).unwrap();
    let id = deployment.id().to_string();
    let problem = deployment.up(&[], Duration::from_secs(20), &|_| {}).unwrap_err().to_string();
    assert!(problem.starts_with("stack n8n: not healthy after 20s: waited for "), "{problem}");
    assert!(problem.contains("n8n/postgres running (starting)"), "{problem}");
    assert!(problem.contains("last log lines"), "{problem}");
    drop(deployment);
    let left = sweep::resources_of(&id).unwrap();
    assert!(left.is_empty(), "a failed start left {left:?}");
}

// One copy of both stacks for both properties (the migration check edits the copy's files last).
// A database put on the shared network is caught by the same matrix in harness/suite's
// suite_mutations, which runs exactly that mutation for its isolation scenario.
#[test]
fn supabase_and_n8n_copies_keep_their_databases_apart_and_apply_migrations_once() {
    use aiwah_harness::engine::migrate;
    let copy = aiwah_harness::testing::StackCopy::new();
    let deployment = Deployment::ephemeral(copy.root(), &Source::Offline, &["supabase", "n8n"]).unwrap();
    deployment.up(&[], Duration::from_secs(300), &|_| {}).unwrap();

    let probes = probe::matrix(&deployment, &base_image()).unwrap();
    let broken: Vec<String> = probes.iter().filter(|p| !p.holds()).map(ToString::to_string).collect();
    assert!(broken.is_empty(), "{broken:#?}");
    // Positive controls and cross-stack probes both exist: the matrix can fail either way.
    assert!(probes.iter().any(|p| p.from == "supabase/kong" && p.to == "supabase/db" && p.outcome == Outcome::Open));
    assert!(probes.iter().any(|p| p.from == "n8n/n8n" && p.to == "supabase/db" && p.outcome != Outcome::Open && p.via.contains('.')), "by IP");
    assert!(probes.iter().any(|p| p.from == "supabase/kong" && p.to == "n8n/postgres" && p.outcome == Outcome::Unresolvable), "by name");

    // up applied the migrations; a second run finds nothing to do.
    let again = deployment.migrate().unwrap();
    assert!(again.applied.is_empty() && again.already.contains(&"0001_todos.sql".to_string()), "{again:?}");
    let rls = migrate::query(&deployment, "select relrowsecurity from pg_class where oid = 'public.todos'::regclass").unwrap();
    assert_eq!(rls.trim(), "t");
    let published =
        migrate::query(&deployment, "select count(*) from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'todos'").unwrap();
    assert_eq!(published.trim(), "1");

    let file = copy.root().join("fixtures/sql/0001_todos.sql");
    std::fs::write(&file, std::fs::read_to_string(&file).unwrap() + "\n-- edited\n").unwrap();
    let problem = deployment.migrate().unwrap_err().to_string();
    assert!(problem.starts_with("fixtures/sql/0001_todos.sql: was changed after it was applied"), "{problem}");
}

#[test]
fn only_no_such_image_reads_as_absent() {
    assert!(docker::image_present(&base_image()).unwrap(), "a built offline image is present");
    assert!(!docker::image_present("aiwah-no-such/image:never-built").unwrap(), "the engine's \"No such image\" is absence");
}

//! `.env` and the data it made parting ways. A missing `.env` over a deployment's existing data: `up`
//! refuses before writing new secrets (they could not open that data — the databases keep the
//! passwords they were initialised with), and `clean --volumes` still deletes the data without an
//! `.env`. An `.env` whose database password the data does not know: `up` names the cause and stops
//! what it started. Real engine, real binary, throwaway deployments.

use aiwah_harness::engine::docker::{self, Kind};
use aiwah_harness::engine::overrides::labels;
use aiwah_harness::testing::{Throwaway, output_text};

fn throwaway() -> Throwaway {
    docker::engine_version().expect("a Docker engine (bash stacks/offline/engine.sh)");
    Throwaway::new("aiwah-foreign", env!("CARGO_BIN_EXE_xtask"))
}

/// Nothing is started here (a labelled volume stands for the data): about a second.
#[test]
fn up_refuses_new_secrets_over_existing_data_and_clean_deletes_it_without_env() {
    let deployment = throwaway();
    let volume = format!("{}-supabase_db-data", deployment.name);
    let (label, ephemeral) = (format!("{}={}", labels::DEPLOYMENT, deployment.name), format!("{}=false", labels::EPHEMERAL));
    docker::docker(&["volume", "create", "--label", &label, "--label", &ephemeral, &volume]).expect("docker volume create");
    let env = deployment.env_file();

    let out = deployment.run(&["up", "--no-pull"]);
    let text = output_text(&out);
    assert!(!out.status.success(), "up must refuse:\n{text}");
    let error: Vec<&str> = text.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "one clear line:\n{text}");
    assert!(error[0].contains(&env.display().to_string()) && error[0].contains(&volume), "names the file and the data:\n{text}");
    assert!(text.contains("clean --volumes"), "names the remedy:\n{text}");
    assert!(!env.exists(), "no new secrets were written");
    assert!(deployment.labelled(Kind::Container).is_empty(), "nothing started");

    // `clean` without --volumes keeps the data; with it (and --yes) deletes it, though no .env exists.
    deployment.ok(&["clean", "--yes"]);
    assert_eq!(deployment.labelled(Kind::Volume), vec![volume.clone()], "clean without --volumes keeps data");
    let refused = deployment.run(&["clean", "--volumes"]);
    assert!(!refused.status.success() && !deployment.labelled(Kind::Volume).is_empty(), "clean --volumes asks first: {}", output_text(&refused));
    deployment.ok(&["clean", "--volumes", "--yes"]);
    assert!(deployment.labelled(Kind::Volume).is_empty(), "the data is deleted");

    // Positive control: with no data left the guard lets `up` write secrets; it then stops at the
    // next check (an image the engine lacks, refused by --no-pull), not at the guard.
    let overrides = deployment.dir().join("overrides.toml");
    std::fs::write(&overrides, "[images]\nn8n = \"aiwah-test/absent-image:0\"\n").unwrap();
    let out = deployment.command(&["up", "n8n", "--no-pull"]).env("AIWAH_IMAGE_OVERRIDES", &overrides).output().unwrap();
    let text = output_text(&out);
    assert!(!out.status.success() && text.contains("aiwah-test/absent-image:0"), "stops at the missing image:\n{text}");
    assert!(!text.contains("new secrets cannot open it"), "the guard is quiet without data:\n{text}");
    assert!(env.exists(), "secrets written once no data needs other ones");
}

/// An edited or rotated `POSTGRES_PASSWORD`: the database starts, `up`'s migrations are refused.
/// Two starts of the Supabase stack (offline images): ~1 min quiet.
#[test]
fn a_database_refusing_the_env_password_is_explained_and_up_stops_what_it_started() {
    let deployment = throwaway();
    deployment.ok(&["up", "supabase"]);
    deployment.ok(&["down"]);

    let env = deployment.env_file();
    let text = std::fs::read_to_string(&env).unwrap();
    let line = text.lines().find(|l| l.starts_with("POSTGRES_PASSWORD=")).expect("POSTGRES_PASSWORD in .env").to_string();
    std::fs::write(&env, text.replace(&line, "POSTGRES_PASSWORD=another-password-than-the-data-was-made-with-0123456789")).unwrap();
    let second = deployment.run(&["up", "supabase"]);
    let text = output_text(&second);
    assert!(!second.status.success(), "up must fail:\n{text}");
    assert!(text.contains("password authentication failed") && text.contains("initialised with another POSTGRES_PASSWORD"), "names the cause:\n{text}");
    assert!(text.contains("stopping supabase again"), "stops what it started:\n{text}");
    assert!(deployment.labelled(Kind::Container).is_empty(), "nothing left running: {:?}", deployment.labelled(Kind::Container));
    assert!(!deployment.labelled(Kind::Volume).is_empty(), "the data is kept");

    // Deleting the data ends the deployment: nothing of it is left, its work folder included.
    assert!(deployment.workdir().is_dir(), "up wrote its work folder");
    deployment.ok(&["clean", "--volumes", "--yes"]);
    assert!(deployment.labelled(Kind::Volume).is_empty() && deployment.labelled(Kind::Network).is_empty(), "data and networks removed");
    assert!(!deployment.workdir().exists(), "work folder removed: {}", deployment.workdir().display());
}

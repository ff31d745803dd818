//! Faults: a container killed with SIGKILL through the engine and started again the way `cargo
//! xtask restart` starts it (`docker compose restart`, then wait until its stack is healthy). Each
//! fault scenario first swaps the World's suite for a copy of its own (dropped, so removed, with the
//! World): the suite deployment is shared by every scenario process running in parallel.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cucumber::{given, then, when};
use serde_json::{Value, json};

use aiwah_harness::engine::{Deployment, Source};
use aiwah_harness::suite::shared::Suite;
use aiwah_harness::{Problem, Result as HarnessResult};

use crate::clients::db::Db;
use crate::clients::n8n::N8n;
use crate::steps::{AiwahWorld, blocking};

/// How long a killed service may take to be healthy again after `docker compose restart`.
const RESTART_DEADLINE: Duration = Duration::from_secs(180);

/// Count and checksum of every todo: a row lost, added or changed moves one of them.
const TODOS_DIGEST: &str = "select count(*)::bigint, md5(coalesce(string_agg(id::text || '|' || user_id::text || '|' || title || '|' || done::text \
                            || '|' || inserted_at::text, ',' order by id), ''))::text from public.todos";
const SERVER_STARTED: &str = "select pg_postmaster_start_time()::text";

#[derive(Debug, Default)]
pub struct State {
    /// (count, checksum) of every todo before the fault.
    todos: Option<(i64, String)>,
    /// When the database server was started, as it said before the fault.
    server_started: Option<String>,
    /// When the last fault was injected.
    killed_at: Option<Instant>,
    /// `id=status` of every execution of the workflow in n8n's database before the fault.
    executions: Vec<String>,
}

/// `stack/service` as a feature names it.
fn split_target(text: &str) -> Result<(String, String), String> {
    text.split_once('/').map(|(s, v)| (s.to_string(), v.to_string())).ok_or_else(|| format!("{text:?} is not stack/service"))
}

/// SIGKILL `stack/service` through the engine, then `docker compose restart` it (as `cargo xtask
/// restart STACK/SERVICE` does) and wait until the stack is healthy within [`RESTART_DEADLINE`].
/// Returns the service's state right after the kill (what the engine's restart policy made of it).
fn kill_and_restart(deployment: &Deployment, stack: &str, service: &str) -> HarnessResult<String> {
    let run = |args: &[&str]| -> HarnessResult<()> {
        let mut cmd = deployment.compose_command(stack)?;
        let out = cmd.args(args).output().map_err(|e| Problem::new(format!("docker compose {}", args[0]), e.to_string()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Problem::new(format!("service {stack}/{service}"), format!("docker compose {}: {}", args[0], String::from_utf8_lossy(&out.stderr).trim())))
        }
    };
    run(&["kill", "--signal", "SIGKILL", service])?;
    let state = deployment.states(stack)?.into_iter().find(|s| s.service == service).map(|s| s.state).unwrap_or_else(|| "gone".into());
    run(&["restart", "--timeout", "10", service])?;
    deployment.wait_ready(stack, RESTART_DEADLINE, &|line| println!("  {line}"))?;
    Ok(state)
}

/// The last log lines of `services` of the World's copy, to travel with a fault's failure.
async fn logs_of(w: &AiwahWorld, services: &[(&str, &str)]) -> String {
    let suite = w.suite.clone();
    let services: Vec<(String, String)> = services.iter().map(|(s, v)| (s.to_string(), v.to_string())).collect();
    blocking("logs", move || {
        services
            .iter()
            .map(|(stack, service)| {
                let logs = suite.deployment().and_then(|d| d.logs(stack, service, 60)).unwrap_or_else(|p| format!("(no logs: {p})"));
                format!("\n----- logs of {stack}/{service} (last 60 lines) -----\n{logs}")
            })
            .collect::<String>()
    })
    .await
    .unwrap_or_else(|e| e)
}

async fn server_started(db: &Db) -> Result<String, String> {
    let rows = db.admin(SERVER_STARTED, &[]).await.map_err(|e| e.to_string())?;
    rows.first().map(|r| r.get(0)).ok_or_else(|| "pg_postmaster_start_time() returned no row".into())
}

#[given(expr = "a copy of the {word} stack of this scenario's own")]
async fn own_copy(w: &mut AiwahWorld, stack: String) -> Result<(), String> {
    let root = w.suite.root.clone();
    let source = Source::from_env().map_err(|p| p.to_string())?;
    let started = Instant::now();
    let copy = blocking("starting a copy", move || Suite::start(&root, &source, &[stack.as_str()], &|line| println!("  {line}"))).await?;
    let copy = copy.map_err(|p| p.to_string())?;
    println!("copy {} started in {:.1}s", copy.id(), started.elapsed().as_secs_f64());
    w.suite = Arc::new(copy);
    w.db = None;
    Ok(())
}

#[given(expr = "{int} more todos are committed for {string}")]
async fn more_todos(w: &mut AiwahWorld, n: i64, owner: String) -> Result<(), String> {
    let user = w.user(&owner)?.id.clone();
    let sql = "insert into public.todos (title, user_id) select 'bulk ' || i, $2::text::uuid from generate_series(1, $1::bigint) as i";
    w.db().await?.admin(sql, &[&n, &user]).await.map_err(|e| e.to_string())?;
    Ok(())
}

async fn todos_digest(w: &mut AiwahWorld) -> Result<(i64, String), String> {
    let rows = w.db().await?.admin(TODOS_DIGEST, &[]).await.map_err(|e| e.to_string())?;
    rows.first().map(|r| (r.get(0), r.get(1))).ok_or_else(|| "the digest query returned no row".into())
}

#[given("the count and checksum of every todo are noted")]
async fn note_todos(w: &mut AiwahWorld) -> Result<(), String> {
    let digest = todos_digest(w).await?;
    println!("before the fault: {} todos, checksum {}", digest.0, digest.1);
    w.resilience.server_started = Some(server_started(w.db().await?).await?);
    w.resilience.todos = Some(digest);
    Ok(())
}

#[when(expr = "the {string} container is killed with SIGKILL and started again")]
async fn kill_service(w: &mut AiwahWorld, target: String) -> Result<(), String> {
    let (stack, service) = split_target(&target)?;
    let (suite, s, v) = (w.suite.clone(), stack.clone(), service.clone());
    let killed_at = Instant::now();
    w.resilience.killed_at = Some(killed_at);
    match blocking("the fault", move || kill_and_restart(suite.deployment()?, &s, &v)).await? {
        Ok(state) => println!("{target}: {state} after SIGKILL; healthy again {:.1}s after the kill", killed_at.elapsed().as_secs_f64()),
        Err(p) => return Err(format!("{p}{}", logs_of(w, &[(&stack, &service)]).await)),
    }
    // The old connection died with the server.
    w.db = None;
    Ok(())
}

#[then("the database server is a new one since the fault")]
async fn new_server(w: &mut AiwahWorld) -> Result<(), String> {
    let before = w.resilience.server_started.clone().ok_or("no server start time was noted before the fault")?;
    let now = server_started(w.db().await?).await?;
    if now != before { Ok(()) } else { Err(format!("the database server still runs since {before}: the fault did not reach it")) }
}

#[then("the count and checksum of every todo are as noted")]
async fn todos_as_noted(w: &mut AiwahWorld) -> Result<(), String> {
    let before = w.resilience.todos.clone().ok_or("nothing was noted before the fault")?;
    let after = todos_digest(w).await?;
    println!("after the fault: {} todos ({} lost), checksum {}", after.0, before.0 - after.0, after.1);
    if after == before {
        Ok(())
    } else {
        Err(format!(
            "before the fault {} todos (checksum {}), after it {} (checksum {}){}",
            before.0,
            before.1,
            after.0,
            after.1,
            logs_of(w, &[("supabase", "db")]).await
        ))
    }
}

/// `id=status` of every execution of `workflow` in n8n's database, and when its server started.
async fn executions_in_database(w: &AiwahWorld, workflow: &str) -> Result<(Vec<String>, String), String> {
    let db = w.n8n_database().await?;
    let rows = db
        .admin("select id::text || '=' || status from execution_entity where \"workflowId\" = $1::text order by id", &[&workflow.to_string()])
        .await
        .map_err(|e| format!("n8n's execution_entity: {e}"))?;
    Ok((rows.iter().map(|r| r.get(0)).collect(), server_started(&db).await?))
}

#[when("n8n's database is killed with SIGKILL while its webhook is being called, and started again")]
async fn kill_n8n_database(w: &mut AiwahWorld) -> Result<(), String> {
    let workflow = w.n8n.workflow.clone().ok_or("no workflow was published")?;
    let (executions, started) = executions_in_database(w, &workflow).await?;
    if executions.is_empty() {
        return Err(format!("n8n's database holds no execution of workflow {workflow} before the fault: nothing to keep"));
    }
    println!("before the fault: executions {executions:?}");
    (w.resilience.executions, w.resilience.server_started) = (executions, Some(started));
    // Calls keep arriving while the database dies: executions are being written when it does.
    let (stop, answered, failed) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let caller = {
        let (n8n, path, stop, answered, failed) = (N8n::new(&w.suite.n8n), w.n8n.path.clone(), stop.clone(), answered.clone(), failed.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let call = tokio::time::timeout(Duration::from_secs(5), n8n.call_webhook(&path, &json!({ "title": "during the fault" }))).await;
                let counter = if matches!(call, Ok(Ok((200, _)))) { &answered } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let suite = w.suite.clone();
    let killed_at = Instant::now();
    w.resilience.killed_at = Some(killed_at);
    let fault = blocking("the fault", move || kill_and_restart(suite.deployment()?, "n8n", "postgres")).await?;
    stop.store(true, Ordering::Relaxed);
    let _ = caller.await;
    let (answered, failed) = (answered.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    match fault {
        Ok(state) => {
            println!("n8n/postgres: {state} after SIGKILL; healthy again {:.1}s after the kill", killed_at.elapsed().as_secs_f64());
            println!("webhook calls meanwhile: {answered} answered, {failed} failed or timed out");
            Ok(())
        }
        Err(p) => Err(format!("{p}{}", logs_of(w, &[("n8n", "postgres"), ("n8n", "n8n")]).await)),
    }
}

#[then(regex = r"^the webhook answers with the echo of (\{.*\}) again within (\d+) seconds$")]
async fn echoes_again(w: &mut AiwahWorld, body: String, seconds: u64) -> Result<(), String> {
    let body: Value = serde_json::from_str(&body).map_err(|e| format!("step body {body}: {e}"))?;
    let killed_at = w.resilience.killed_at.ok_or("no fault was injected")?;
    let (n8n, path, waited) = (N8n::new(&w.suite.n8n), w.n8n.path.clone(), Instant::now());
    let mut last = String::from("no call finished");
    while waited.elapsed() < Duration::from_secs(seconds) {
        match tokio::time::timeout(Duration::from_secs(10), n8n.call_webhook(&path, &body)).await {
            Ok(Ok((200, answer))) if answer["echo"] == body && answer["workflow"] == "echo" => {
                println!("recovery: n8n answered its webhook {:.1}s after the kill of its database", killed_at.elapsed().as_secs_f64());
                return Ok(());
            }
            Ok(Ok((status, answer))) => last = format!("HTTP {status}: {answer}"),
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = "no answer within 10s".into(),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let logs = logs_of(w, &[("n8n", "n8n"), ("n8n", "postgres")]).await;
    Err(format!("POST /webhook/{path}: no echo within {seconds}s after the database was back (last: {last}){logs}"))
}

#[then("every execution n8n recorded before the fault is still in its database")]
async fn executions_kept(w: &mut AiwahWorld) -> Result<(), String> {
    let workflow = w.n8n.workflow.clone().ok_or("no workflow was published")?;
    let (now, started) = executions_in_database(w, &workflow).await?;
    if w.resilience.server_started.as_deref() == Some(started.as_str()) {
        return Err(format!("n8n's database server still runs since {started}: the fault did not reach it"));
    }
    let lost: Vec<&String> = w.resilience.executions.iter().filter(|e| !now.contains(e)).collect();
    println!("after the fault: {} executions ({} lost of {} before)", now.len(), lost.len(), w.resilience.executions.len());
    if lost.is_empty() { Ok(()) } else { Err(format!("executions lost or changed by the fault: {lost:?} (now: {now:?})")) }
}

#[then(expr = "{string} sees exactly the todos {string} through REST again within {int} seconds")]
async fn rest_again(w: &mut AiwahWorld, name: String, title: String, seconds: u64) -> Result<(), String> {
    let (token, rest, waited) = (w.token_for(&name)?, w.rest()?, Instant::now());
    let mut last = String::from("no call finished");
    while waited.elapsed() < Duration::from_secs(seconds) {
        match rest.select("todos", "select=title&order=title", Some(&token)).await {
            Ok(rows) => {
                let titles: Vec<&str> = rows.iter().filter_map(|r| r["title"].as_str()).collect();
                return if titles == [title.as_str()] { Ok(()) } else { Err(format!("REST answered {titles:?}, expected exactly [{title:?}]")) };
            }
            // PostgREST answers 503 (PGRST000/PGRST001/PGRST002) while it cannot reach the database or
            // rebuild its schema cache, and reconnects by itself; anything else is an answer.
            Err(e) if e.status == 503 || e.status == 0 => last = e.to_string(),
            Err(e) => return Err(format!("REST refused the listing: {e}")),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!("REST did not answer within {seconds}s after the database was back (last: {last}){}", logs_of(w, &[("supabase", "rest")]).await))
}

//! `cargo xtask status -o target FILE`: the target file for the running persistent deployment, for
//! the conformance suite's target mode (`AIWAH_TARGET=FILE cargo nextest run`). Written 0600; no
//! secret is printed; an existing file is never replaced silently (`--force`).

use std::path::Path;
use std::time::Duration;

use aiwah_harness::engine::{Deployment, docker};
use aiwah_harness::suite::target::{DatabaseUrl, DockerAccess, Target};
use aiwah_harness::{Problem, Problems};

pub fn write(deployment: &Deployment, file: &Path, force: bool) -> Result<(), Problems> {
    let shown = file.display().to_string();
    if file.exists() && !force {
        return Err(Problem::new(&shown, "exists already; nothing written").hint("add --force to replace it").into());
    }
    let env = |key: &str| {
        deployment.env_value(key).filter(|v| !v.is_empty()).ok_or_else(|| Problem::new(format!("deployment {}: {key}", deployment.id()), "is not set"))
    };
    let url = |stack: &str, service: &str| {
        deployment
            .urls(stack, service)
            .into_iter()
            .next()
            .ok_or_else(|| Problem::new(format!("service {stack}/{service}"), "publishes no port on the host").hint("is the deployment up? cargo xtask up"))
    };
    let (kong_url, n8n_url, ui_url) = (url("supabase", "kong")?, url("n8n", "n8n")?, url("ui", "ui")?);
    // The database publishes no host port: its address on its stack network (reachable from this host).
    let db_container = deployment.container("supabase", "db")?;
    let host = docker::container_ips(&db_container)?.into_iter().next().ok_or_else(|| Problem::new("service supabase/db", "has no IP address"))?;
    let database = DatabaseUrl { host, port: 5432, user: "supabase_admin".into(), password: env("POSTGRES_PASSWORD")?, dbname: env("POSTGRES_DB")? };
    let n8n_api_key = n8n_api_key(&n8n_url, &env("N8N_OWNER_EMAIL")?, &env("N8N_OWNER_PASSWORD")?)?;
    let context = std::env::var("DOCKER_CONTEXT").ok().filter(|c| !c.is_empty()).unwrap_or_else(|| "default".into());
    let target = Target {
        file: file.to_path_buf(),
        kong_url,
        anon_key: env("ANON_KEY")?,
        service_role_key: env("SERVICE_ROLE_KEY")?,
        jwt_secret: Some(env("JWT_SECRET")?),
        n8n_url,
        n8n_api_key,
        ui_url,
        database: Some(database),
        dashboard: Some((env("DASHBOARD_USERNAME")?, env("DASHBOARD_PASSWORD")?)),
        docker: Some(DockerAccess { context, deployment: deployment.id().to_string() }),
    };
    aiwah_harness::files::write_private(file, &target.render()).map_err(|e| Problem::new(&shown, format!("cannot write: {e}")))?;
    println!("wrote {shown} (mode 0600; it holds keys, none shown here): {target:?}");
    println!("run the suite against it: AIWAH_TARGET={shown} cargo nextest run -p aiwah-suite --test conformance");
    Ok(())
}

/// A new n8n API key for the instance owner: `POST /rest/login`, then `POST /rest/api-keys` with the session cookie.
fn n8n_api_key(n8n_url: &str, email: &str, password: &str) -> Result<String, Problem> {
    let what = |step: &str| format!("n8n at {n8n_url}: {step}");
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().map_err(|e| Problem::new("n8n", e.to_string()))?;
    let login = http
        .post(format!("{n8n_url}/rest/login"))
        .json(&serde_json::json!({"emailOrLdapLoginId": email, "password": password}))
        .send()
        .map_err(|e| Problem::new(what("POST /rest/login"), e.to_string()))?;
    if !login.status().is_success() {
        return Err(Problem::new(what("POST /rest/login"), format!("answered {} for the owner in .env (N8N_OWNER_EMAIL)", login.status())));
    }
    let cookie = login
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::trim))
        .find(|c| c.starts_with("n8n-auth="))
        .map(String::from)
        .ok_or_else(|| Problem::new(what("POST /rest/login"), "set no n8n-auth cookie"))?;
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let body = serde_json::json!({"label": format!("aiwah-target-{stamp}"), "scopes": aiwah_harness::secrets::n8n_api::API_KEY_SCOPES, "expiresAt": null});
    let answer = http
        .post(format!("{n8n_url}/rest/api-keys"))
        .header(reqwest::header::COOKIE, cookie)
        .json(&body)
        .send()
        .map_err(|e| Problem::new(what("POST /rest/api-keys"), e.to_string()))?;
    let status = answer.status();
    let reply: serde_json::Value = answer.json().map_err(|e| Problem::new(what("POST /rest/api-keys"), format!("answered {status} with no JSON: {e}")))?;
    reply["data"]["rawApiKey"]
        .as_str()
        .filter(|k| !k.is_empty())
        .map(String::from)
        .ok_or_else(|| Problem::new(what("POST /rest/api-keys"), format!("answered {status} without data.rawApiKey")))
}

//! `cargo xtask ui-dev [--port N] [--write-only]`: UI development with hot reload against the running
//! persistent deployment. Writes the app's local env file — the gateway URL and the anon key, nothing
//! else; 0600; `.env*` is git-ignored and docker-ignored in the app — then runs `npm run dev`.

use std::path::{Path, PathBuf};

use aiwah_harness::engine::Deployment;
use aiwah_harness::{Problem, Problems};

use crate::deploy;

/// The UI app, and the env file `next dev` reads (only in development: `next build` and vitest never
/// read it, so tests and images stay as they are).
pub const APP_DIR: &str = "stacks/ui/app";
pub const ENV_FILE: &str = ".env.development.local";

/// The two variables the browser side reads (`lib/supabase/config.ts`); the server side falls back to
/// the same URL when it runs on the host.
const URL_VAR: &str = "NEXT_PUBLIC_SUPABASE_URL";
const ANON_VAR: &str = "NEXT_PUBLIC_SUPABASE_ANON_KEY";
/// The `.env` variable the anon key is read from (never any other key).
const ANON_KEY: &str = "ANON_KEY";

#[derive(clap::Args)]
pub struct Args {
    /// Port of the dev server (the deployment's own UI keeps its port).
    #[arg(long, default_value_t = 3001)]
    port: u16,
    /// Write the env file and stop (no npm).
    #[arg(long)]
    write_only: bool,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let deployment = deploy::running(root)?;
    let gateway = running_gateway(&deployment)?;
    let app = root.join(APP_DIR);
    let file = write_env_file(&app, &gateway, |key| deployment.env_value(key))?;
    eprintln!("wrote {} ({URL_VAR}={gateway}, {ANON_VAR}; mode 0600)", aiwah_harness::repo::shown(root, &file));
    if args.write_only {
        return Ok(());
    }
    if !app.join("node_modules").is_dir() {
        eprintln!("installing the app's packages (npm ci)");
        npm(&app, &["ci"])?;
    }
    eprintln!("starting `npm run dev` on http://127.0.0.1:{} (Ctrl-C stops it)", args.port);
    npm(&app, &["run", "dev", "--", "--hostname", "127.0.0.1", "--port", &args.port.to_string()])
}

/// `http://127.0.0.1:PORT` of the deployment's gateway, which must be running.
fn running_gateway(deployment: &Deployment) -> Result<String, Problems> {
    let kong = deployment.states("supabase")?.into_iter().find(|s| s.service == "kong");
    if kong.as_ref().is_none_or(|s| s.state != "running") {
        return Err(Problem::new("service supabase/kong", format!("is {}", kong.map(|s| s.state).unwrap_or_else(|| "not created".into())))
            .hint("start the deployment: cargo xtask up")
            .into());
    }
    deployment.urls("supabase", "kong").into_iter().next().ok_or_else(|| Problem::new("service supabase/kong", "publishes no port on the host").into())
}

/// Write `<app>/.env.development.local` with the gateway URL and the anon key read by `lookup` from
/// the deployment's `.env`.
pub fn write_env_file(app: &Path, gateway: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<PathBuf, Problems> {
    let anon = lookup(ANON_KEY).filter(|v| !v.is_empty()).ok_or_else(|| Problem::new(format!(".env: {ANON_KEY}"), "is not set").hint("run cargo xtask env"))?;
    let text =
        format!("# Written by `cargo xtask ui-dev` from the running deployment: the browser's two values only.\n{URL_VAR}={gateway}\n{ANON_VAR}={anon}\n");
    let file = app.join(ENV_FILE);
    aiwah_harness::files::write_private(&file, &text).map_err(|e| Problem::new(file.display().to_string(), format!("cannot write: {e}")))?;
    Ok(file)
}

fn npm(app: &Path, args: &[&str]) -> Result<(), Problems> {
    let status = std::process::Command::new("npm")
        .args(args)
        .current_dir(app)
        .status()
        .map_err(|e| Problem::new("npm", format!("cannot run: {e}")).hint("install Node >= 20.9 with npm"))?;
    if status.success() { Ok(()) } else { Err(Problem::new(format!("npm {}", args.join(" ")), format!("failed ({status})")).into()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiwah_harness::secrets::dotenv::DotEnv;

    fn generated_env(dir: &Path) -> DotEnv {
        let root = aiwah_harness::repo::find_root(&std::env::current_dir().unwrap()).unwrap();
        let env = dir.join(".env");
        aiwah_harness::secrets::ensure(&aiwah_harness::secrets::Template::load(&root).unwrap(), &env).unwrap();
        DotEnv::parse(&std::fs::read_to_string(env).unwrap())
    }

    #[test]
    fn the_env_file_holds_the_gateway_and_the_anon_key_and_no_other_secret() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let env = generated_env(dir.path());
        let file = write_env_file(dir.path(), "http://127.0.0.1:8000", |k| env.get(k).map(String::from)).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        let anon = env.get("ANON_KEY").unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        let wanted = ["NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:8000".to_string(), format!("NEXT_PUBLIC_SUPABASE_ANON_KEY={anon}")];
        // Compared without printing: the file holds a key.
        assert!(lines == wanted, "not exactly the two browser values: {:?}", lines.iter().map(|l| l.split('=').next()).collect::<Vec<_>>());
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        for secret in ["SERVICE_ROLE_KEY", "JWT_SECRET"] {
            let value = env.get(secret).unwrap_or_else(|| panic!("the generated .env has {secret}"));
            assert!(!text.contains(value), "{secret} is in {}", file.display());
        }
        // Every other long value of .env (passwords, keys, tokens) stays out too.
        for key in env.keys().filter(|k| *k != "ANON_KEY") {
            let value = env.get(key).unwrap_or_default();
            assert!(value.len() < 16 || !text.contains(value), "{key}'s value is in {}", file.display());
        }
    }

    #[test]
    fn the_env_file_is_ignored_by_git_and_by_the_image_build() {
        let root = aiwah_harness::repo::find_root(&std::env::current_dir().unwrap()).unwrap();
        let path = format!("{APP_DIR}/{ENV_FILE}");
        let ignored = std::process::Command::new("git").args(["check-ignore", "--quiet", &path]).current_dir(&root).status().unwrap();
        assert!(ignored.success(), "{path} is not git-ignored");
        let tracked =
            std::process::Command::new("git").args(["check-ignore", "--quiet", &format!("{APP_DIR}/package.json")]).current_dir(&root).status().unwrap();
        assert!(!tracked.success(), "control: package.json is not ignored");
        let dockerignore = std::fs::read_to_string(root.join(APP_DIR).join(".dockerignore")).unwrap();
        assert!(dockerignore.lines().any(|l| l.trim() == ".env*"), "the image build context leaves .env* out");
    }

    #[test]
    fn a_missing_anon_key_is_one_line_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_env_file(dir.path(), "http://127.0.0.1:8000", |_| None).unwrap_err().to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(".env: ANON_KEY") && err.contains("cargo xtask env"), "{err}");
        assert!(!dir.path().join(ENV_FILE).exists(), "nothing written");
    }
}

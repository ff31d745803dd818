//! Create and complete `.env` from the template: generated secrets, mode 0600, never overwritten
//! silently. Existing values are validated and kept; missing keys are added and reported; rotation
//! happens only on request and leaves a backup.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::files::write_private;
use crate::problem::{Problem, Problems};
use crate::secrets::demo;
use crate::secrets::dotenv::DotEnv;
use crate::secrets::keys;
use crate::secrets::random;
use crate::secrets::template::{Generator, Item, Template};

/// bcrypt cost for the n8n owner's password hash (n8n's own default is 10).
const BCRYPT_COST: u32 = 10;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EnvReport {
    pub path: PathBuf,
    pub created: bool,
    /// Keys added to an existing file (or all of them for a new one).
    pub added: Vec<String>,
    pub rotated: Vec<String>,
    /// Permissions were looser than 0600 and were tightened.
    pub tightened_permissions: bool,
    /// Where the previous file was copied before a rotation.
    pub backup: Option<PathBuf>,
}

impl EnvReport {
    pub fn changed(&self) -> bool {
        self.created || !self.added.is_empty() || !self.rotated.is_empty() || self.tightened_permissions
    }
}

/// Make sure `path` holds every template key with a valid value. Adds what is missing; changes nothing else.
pub fn ensure(template: &Template, path: &Path) -> Result<EnvReport, Problems> {
    ensure_except(template, path, &[])
}

/// [`ensure`], not validating `replaced` (keys about to be rotated: their bad values are why).
fn ensure_except(template: &Template, path: &Path, replaced: &[String]) -> Result<EnvReport, Problems> {
    let mut report = EnvReport { path: path.to_path_buf(), ..Default::default() };
    let shown = display_name(path);
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Problem::new(&shown, format!("cannot read: {e}")).into()),
    };
    report.created = existing.is_none();
    let mut env = existing.as_deref().map(DotEnv::parse).unwrap_or_default();
    let mut problems = Vec::new();
    let mut announced = false;
    for item in &template.items {
        match item {
            Item::Text(text) if report.created => env.push_comment(text),
            Item::Text(_) => {}
            Item::Literal { key, value } => {
                if env.get(key).is_none() {
                    announce(&mut env, &mut announced, report.created);
                    env.set(key, value);
                    report.added.push(key.clone());
                }
            }
            Item::Generated { key, generator } => match env.get(key) {
                Some(_) if replaced.contains(key) => {}
                Some(value) => {
                    if let Err(message) = validate(generator, value, &env) {
                        problems.push(
                            Problem::new(format!("{shown}: {key}"), message).hint(format!("fix it, or replace it with `cargo xtask env --rotate {key}`")),
                        );
                    }
                }
                None => {
                    let value = generate(generator, &env);
                    announce(&mut env, &mut announced, report.created);
                    env.set(key, &value);
                    report.added.push(key.clone());
                }
            },
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    if report.created || !report.added.is_empty() {
        write_private(path, &env.render()).map_err(|e| Problems::from(Problem::new(&shown, format!("cannot write: {e}"))))?;
    } else {
        report.tightened_permissions = tighten(path).map_err(|e| Problems::from(Problem::new(&shown, format!("cannot set mode 0600: {e}"))))?;
    }
    Ok(report)
}

/// Replace `keys` (and every key computed from them) with new values, after copying the file aside.
pub fn rotate(template: &Template, path: &Path, keys: &[String]) -> Result<EnvReport, Problems> {
    let shown = display_name(path);
    for key in keys {
        if template.generator(key).is_none() {
            return Err(Problem::new(format!("{shown}: {key}"), "is not a generated secret of stacks/env.template").into());
        }
    }
    let mut report = ensure_except(template, path, &template.with_dependents(keys))?;
    let text = std::fs::read_to_string(path).map_err(|e| Problems::from(Problem::new(&shown, format!("cannot read: {e}"))))?;
    let backup = write_backup(path, &text)?;
    let mut env = DotEnv::parse(&text);
    for key in template.with_dependents(keys) {
        let generator = template.generator(&key).expect("dependents are generated keys");
        let value = generate(generator, &env);
        env.set(&key, &value);
        report.rotated.push(key);
    }
    write_private(path, &env.render()).map_err(|e| Problems::from(Problem::new(&shown, format!("cannot write: {e}"))))?;
    report.backup = Some(backup);
    Ok(report)
}

/// Keep `text` as `<file>.bak-<unix time>[-N]`, never replacing an earlier backup.
fn write_backup(path: &Path, text: &str) -> Result<PathBuf, Problems> {
    let base = format!("{}.bak-{}", path.file_name().unwrap_or_default().to_string_lossy(), keys::now());
    for n in 0..1000 {
        let name = if n == 0 { base.clone() } else { format!("{base}-{n}") };
        let backup = path.with_file_name(name);
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&backup) {
            Ok(mut file) => {
                file.write_all(text.as_bytes())
                    .and_then(|_| file.sync_all())
                    .map_err(|e| Problems::from(Problem::new(display_name(&backup), format!("cannot write backup: {e}"))))?;
                return Ok(backup);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Problem::new(display_name(&backup), format!("cannot write backup: {e}")).into()),
        }
    }
    Err(Problem::new(display_name(path), "too many backups this second").into())
}

/// What rotating `key` breaks, for the warning printed before it happens.
pub fn rotation_warning(key: &str) -> &'static str {
    match key {
        "JWT_SECRET" => {
            "every issued token and API key becomes invalid; ANON_KEY and SERVICE_ROLE_KEY are regenerated — rebuild the UI and update every client, then restart all stacks"
        }
        "ANON_KEY" | "SERVICE_ROLE_KEY" => {
            "clients using the old key are refused by the gateway; rebuild the UI (the anon key is compiled in) and restart the supabase stack"
        }
        "POSTGRES_PASSWORD" => {
            "an existing database keeps its old role passwords (set at first init): change them in the database first, or services cannot log in"
        }
        "N8N_DB_PASSWORD" | "N8N_POSTGRES_PASSWORD" => {
            "n8n's database keeps the old password (set at first init): change it in the database first, or n8n cannot log in"
        }
        "N8N_ENCRYPTION_KEY" => {
            "credentials stored in n8n were encrypted with the old key and become unreadable; n8n refuses to start with a key that differs from its config"
        }
        "REALTIME_DB_ENC_KEY" => "Realtime's stored tenant secrets were encrypted with the old key; the tenant must be re-seeded",
        "VAULT_ENC_KEY" => "Supavisor's stored tenant secrets were encrypted with the old key and become unreadable",
        "PG_META_CRYPTO_KEY" => "Studio's encrypted connection strings must be re-created",
        "SECRET_KEY_BASE" => "Realtime and Supavisor sessions are signed with it: connected clients are dropped",
        "N8N_OWNER_PASSWORD" => "the n8n owner's password hash is regenerated: sign in with the new password",
        _ => "services reading it must be restarted to pick up the new value",
    }
}

fn announce(env: &mut DotEnv, announced: &mut bool, created: bool) {
    if !created && !*announced {
        env.push_comment("# added by `cargo xtask env`");
        *announced = true;
    }
}

fn generate(generator: &Generator, env: &DotEnv) -> String {
    match generator {
        Generator::Secret { len, .. } => random::alnum(*len),
        Generator::Hex { len } => random::hex(*len),
        Generator::Password { len } => random::password(*len),
        Generator::Jwt { role } => keys::api_key(*role, env.get("JWT_SECRET").expect("template order puts JWT_SECRET first")),
        Generator::Bcrypt { of } => bcrypt::hash(env.get(of).expect("template order puts the source first"), BCRYPT_COST).expect("bcrypt of a short password"),
    }
}

/// Why an existing value does not fit its generator, if it does not.
fn validate(generator: &Generator, value: &str, env: &DotEnv) -> Result<(), String> {
    if let Some(demo) = demo::find_demo_value(value) {
        return Err(format!("is an upstream demo value ({}…)", &demo[..8.min(demo.len())]));
    }
    match generator {
        Generator::Secret { len, exact: true } if value.chars().count() != *len => {
            Err(format!("must be exactly {len} characters, is {}", value.chars().count()))
        }
        Generator::Secret { len, .. } | Generator::Password { len } if value.chars().count() < *len => {
            Err(format!("is {} characters; at least {len} needed", value.chars().count()))
        }
        Generator::Password { .. } if !random::is_strong_password(value) => Err("needs an upper-case letter, a lower-case letter and a digit".into()),
        Generator::Hex { len } if value.len() != *len || !value.bytes().all(|b| b.is_ascii_hexdigit()) => Err(format!("must be {len} hex digits")),
        Generator::Jwt { role } => {
            let secret = env.get("JWT_SECRET").unwrap_or_default();
            let claims = keys::verify_api_key(value, secret).map_err(|e| format!("does not verify with JWT_SECRET ({e})"))?;
            if claims.role != *role { Err(format!("has role {:?}, expected {role:?}", claims.role)) } else { Ok(()) }
        }
        Generator::Bcrypt { of } => match bcrypt::verify(env.get(of).unwrap_or_default(), value) {
            Ok(true) => Ok(()),
            _ => Err(format!("is not the bcrypt hash of {of}")),
        },
        _ => Ok(()),
    }
}

fn tighten(path: &Path) -> std::io::Result<bool> {
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(true)
}

fn display_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// `abcd…(48 chars)`: enough to tell values apart, never the value.
pub fn masked(value: &str) -> String {
    let head: String = value.chars().take(4).collect();
    format!("{head}…({} chars)", value.chars().count())
}

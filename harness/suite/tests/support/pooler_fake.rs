//! An in-process fake of Supavisor's client side on its transaction port, speaking just enough of
//! the PostgreSQL v3 protocol for the pooler client's contract tests. What it reproduces (supavisor
//! v2.9.x: `HandlerHelpers.parse_user_info`, `Errors.TenantOrUserNotFoundError`,
//! `Errors.WrongPasswordError`):
//!
//! - the tenant comes from the user name after its last `.` (`postgres.aiwah` → user `postgres`,
//!   tenant `aiwah`); an unknown tenant is refused before authentication with FATAL `XX000`
//!   `(ENOTFOUND) tenant/user postgres.<tenant> not found` (a name without a tenant is refused the
//!   same way here: Supavisor would need TLS SNI to find one, which a plain connection lacks);
//! - a wrong password is FATAL `28P01` `password authentication failed for user "postgres"`.
//!
//! Supavisor authenticates clients with SCRAM; the fake asks for a cleartext password instead,
//! which checks the same thing (the password the client holds) with far less code. It answers one
//! simple query, `select 'pooler_ok'`, and records every message the client sends, so a test can
//! tell the simple query protocol ('Q') from prepared statements ('P'/'B'/'E').

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Default)]
pub struct Seen {
    /// Connections accepted.
    pub connections: usize,
    /// Startup parameters of the last connection (`user`, `database`, …).
    pub startup: BTreeMap<String, String>,
    /// Type bytes of every message after authentication, in order.
    pub messages: Vec<char>,
    pub queries: Vec<String>,
}

pub struct PoolerFake {
    pub port: u16,
    pub seen: Arc<Mutex<Seen>>,
}

impl PoolerFake {
    /// Serves tenant `tenant` whose `postgres` user has `password`, on 127.0.0.1.
    pub async fn start(tenant: &str, password: &str) -> PoolerFake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (tenant, password, shared) = (tenant.to_owned(), password.to_owned(), seen.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                shared.lock().unwrap().connections += 1;
                let (tenant, password, shared) = (tenant.clone(), password.clone(), shared.clone());
                tokio::spawn(async move {
                    // A client that goes away mid-conversation ends only its own connection.
                    let _ = serve(socket, &tenant, &password, &shared).await;
                });
            }
        });
        PoolerFake { port, seen }
    }
}

fn message(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&(payload.len() as i32 + 4).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn error(severity: &str, code: &str, text: &str) -> Vec<u8> {
    let mut payload = Vec::new();
    for (field, value) in [(b'S', severity), (b'V', severity), (b'C', code), (b'M', text)] {
        payload.push(field);
        payload.extend_from_slice(value.as_bytes());
        payload.push(0);
    }
    payload.push(0);
    message(b'E', &payload)
}

fn ready() -> Vec<u8> {
    message(b'Z', b"I")
}

async fn read_startup(socket: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    loop {
        let len = socket.read_i32().await? as usize;
        let mut body = vec![0; len.saturating_sub(4)];
        socket.read_exact(&mut body).await?;
        let code = i32::from_be_bytes(body[..4].try_into().unwrap());
        // SSLRequest / GSSENCRequest: no encryption here, ask again in the clear.
        if code == 80_877_103 || code == 80_877_104 {
            socket.write_all(b"N").await?;
            continue;
        }
        return Ok(body[4..].to_vec());
    }
}

async fn read_message(socket: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let kind = socket.read_u8().await?;
    let len = socket.read_i32().await? as usize;
    let mut body = vec![0; len.saturating_sub(4)];
    socket.read_exact(&mut body).await?;
    Ok((kind, body))
}

fn cstrings(bytes: &[u8]) -> Vec<String> {
    bytes.split(|b| *b == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
}

async fn serve(mut socket: TcpStream, tenant: &str, password: &str, seen: &Mutex<Seen>) -> std::io::Result<()> {
    let params = cstrings(&read_startup(&mut socket).await?);
    let startup: BTreeMap<String, String> = params.chunks(2).filter(|kv| kv.len() == 2 && !kv[0].is_empty()).map(|kv| (kv[0].clone(), kv[1].clone())).collect();
    seen.lock().unwrap().startup = startup.clone();
    let user = startup.get("user").cloned().unwrap_or_default();
    let (name, asked_tenant) = user.rsplit_once('.').unwrap_or((user.as_str(), ""));
    if asked_tenant != tenant {
        let text = format!("(ENOTFOUND) tenant/user {name}.{asked_tenant} not found");
        return socket.write_all(&error("FATAL", "XX000", &text)).await;
    }
    socket.write_all(&message(b'R', &3i32.to_be_bytes())).await?;
    let (kind, body) = read_message(&mut socket).await?;
    if kind != b'p' || cstrings(&body).first().map(String::as_str) != Some(password) {
        return socket.write_all(&error("FATAL", "28P01", &format!("password authentication failed for user \"{name}\""))).await;
    }
    let mut hello = message(b'R', &0i32.to_be_bytes());
    hello.extend(message(b'S', b"server_version\x0017.6\x00"));
    hello.extend(message(b'K', &[0, 0, 0, 7, 0, 0, 0, 42]));
    hello.extend(ready());
    socket.write_all(&hello).await?;
    loop {
        let (kind, body) = read_message(&mut socket).await?;
        seen.lock().unwrap().messages.push(char::from(kind));
        match kind {
            b'Q' => {
                let sql = cstrings(&body).into_iter().next().unwrap_or_default();
                seen.lock().unwrap().queries.push(sql.clone());
                let answer = if sql.trim().trim_end_matches(';') == "select 'pooler_ok'" {
                    pooler_ok()
                } else {
                    error("ERROR", "0A000", "the fake pooler answers only select 'pooler_ok'")
                };
                socket.write_all(&answer).await?;
                socket.write_all(&ready()).await?;
            }
            b'X' => return Ok(()),
            // Anything else (prepared statements) is what transaction mode must not rely on: hang up.
            _ => return socket.shutdown().await,
        }
    }
}

fn pooler_ok() -> Vec<u8> {
    let mut column = b"?column?\x00".to_vec();
    for part in [&0i32.to_be_bytes()[..], &0i16.to_be_bytes(), &25i32.to_be_bytes(), &(-1i16).to_be_bytes(), &(-1i32).to_be_bytes(), &0i16.to_be_bytes()] {
        column.extend_from_slice(part);
    }
    let mut description = 1i16.to_be_bytes().to_vec();
    description.extend(column);
    let mut row = 1i16.to_be_bytes().to_vec();
    row.extend_from_slice(&9i32.to_be_bytes());
    row.extend_from_slice(b"pooler_ok");
    let mut out = message(b'T', &description);
    out.extend(message(b'D', &row));
    out.extend(message(b'C', b"SELECT 1\x00"));
    out
}

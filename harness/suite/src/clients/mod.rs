//! Small typed clients the checks use. Async ones (auth, rest, realtime, n8n, db) run on tokio.

pub mod auth;
pub mod browser;
pub mod bundle;
pub mod db;
pub mod functions;
pub mod gateway;
pub mod http;
pub mod n8n;
pub mod pooler;
pub mod realtime;
pub mod rest;
pub mod storage;

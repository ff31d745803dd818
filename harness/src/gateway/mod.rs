//! The Supabase gateway (Kong 3.9, DB-less): its routes as a typed table ([`routes`]) and the
//! declarative config rendered from it ([`kong`]), which `cargo xtask gateway sync` writes to
//! `stacks/supabase/volumes/api/` and the gateway's entrypoint fills with the deployment's keys.

pub mod kong;
pub mod routes;

//! `stacks/env.template`: every variable of `.env`, with either a literal value or a generator.
//!
//! Generators (a value starting with `@`):
//! - `@secret N` — N random letters and digits (`@secret N exact`: length must stay exactly N);
//! - `@hex N` — N random hex digits;
//! - `@password N` — N random letters and digits with at least one upper, one lower, one digit;
//! - `@jwt ROLE` — an HS256 API key for ROLE signed with JWT_SECRET;
//! - `@bcrypt KEY` — the bcrypt hash of KEY's value.

use std::path::Path;

use crate::problem::{Problem, Result};
use crate::secrets::dotenv::{DotEnv, Line};

pub const TEMPLATE_FILE: &str = "stacks/env.template";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generator {
    Secret { len: usize, exact: bool },
    Hex { len: usize },
    Password { len: usize },
    Jwt { role: crate::secrets::Role },
    Bcrypt { of: String },
}

impl Generator {
    /// The key whose value this one is computed from.
    pub fn depends_on(&self) -> Option<&str> {
        match self {
            Generator::Jwt { .. } => Some("JWT_SECRET"),
            Generator::Bcrypt { of } => Some(of),
            _ => None,
        }
    }

    fn parse(spec: &str) -> Option<Generator> {
        let words: Vec<&str> = spec.split_whitespace().collect();
        let num = |w: Option<&&str>| w.and_then(|n| n.parse::<usize>().ok()).filter(|n| *n > 0);
        Some(match words.as_slice() {
            ["@secret", n] => Generator::Secret { len: num(Some(n))?, exact: false },
            ["@secret", n, "exact"] => Generator::Secret { len: num(Some(n))?, exact: true },
            ["@hex", n] => Generator::Hex { len: num(Some(n))? },
            ["@password", n] => Generator::Password { len: num(Some(n))? },
            ["@jwt", role] => Generator::Jwt { role: role.parse().ok()? },
            ["@bcrypt", of] => Generator::Bcrypt { of: of.to_string() },
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Literal {
        key: String,
        value: String,
    },
    Generated {
        key: String,
        generator: Generator,
    },
    /// Comments and blank lines, copied into a fresh `.env`.
    Text(String),
}

#[derive(Debug, Clone)]
pub struct Template {
    pub items: Vec<Item>,
}

impl Template {
    pub fn load(root: &Path) -> Result<Template> {
        let text = std::fs::read_to_string(root.join(TEMPLATE_FILE)).map_err(|e| Problem::new(TEMPLATE_FILE, format!("cannot read: {e}")))?;
        Template::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Template> {
        let mut items = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for line in DotEnv::parse(text).lines {
            let item = match line {
                Line::Other(text) => Item::Text(text),
                Line::Entry { key, value, .. } if value.starts_with('@') => {
                    let generator =
                        Generator::parse(&value).ok_or_else(|| Problem::new(format!("{TEMPLATE_FILE}: {key}"), format!("unknown generator {value:?}")))?;
                    if let Some(dep) = generator.depends_on() {
                        if !seen.iter().any(|k| k == dep) {
                            return Err(Problem::new(format!("{TEMPLATE_FILE}: {key}"), format!("depends on {dep}, which must come earlier")));
                        }
                    }
                    Item::Generated { key, generator }
                }
                Line::Entry { key, value, .. } => Item::Literal { key, value },
            };
            if let Item::Literal { key, .. } | Item::Generated { key, .. } = &item {
                if seen.contains(key) {
                    return Err(Problem::new(format!("{TEMPLATE_FILE}: {key}"), "defined twice"));
                }
                seen.push(key.clone());
            }
            items.push(item);
        }
        Ok(Template { items })
    }

    /// Keys whose values are generated: secrets, never printed in full.
    pub fn secret_keys(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter_map(|i| match i {
            Item::Generated { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    pub fn generator(&self, key: &str) -> Option<&Generator> {
        self.items.iter().find_map(|i| match i {
            Item::Generated { key: k, generator } if k == key => Some(generator),
            _ => None,
        })
    }

    /// `keys` and every key computed from them, in template order.
    pub fn with_dependents(&self, keys: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in &self.items {
            if let Item::Generated { key, generator } = item {
                let depends = generator.depends_on().is_some_and(|d| out.iter().any(|k| k == d));
                if keys.contains(key) || depends {
                    out.push(key.clone());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_generators_and_dependents() {
        let t = Template::parse("# c\nJWT_SECRET=@secret 40\nANON_KEY=@jwt anon\nX=literal\nP=@password 20\nH=@bcrypt P\n").unwrap();
        assert_eq!(t.generator("ANON_KEY"), Some(&Generator::Jwt { role: crate::secrets::Role::Anon }));
        assert_eq!(t.secret_keys().collect::<Vec<_>>(), ["JWT_SECRET", "ANON_KEY", "P", "H"]);
        assert_eq!(t.with_dependents(&["JWT_SECRET".into()]), ["JWT_SECRET", "ANON_KEY"]);
        assert_eq!(t.with_dependents(&["P".into()]), ["P", "H"]);
    }

    #[test]
    fn rejects_bad_generators_and_order() {
        assert!(Template::parse("A=@random 4\n").unwrap_err().to_string().contains("unknown generator"));
        assert!(Template::parse("ANON_KEY=@jwt anon\nJWT_SECRET=@secret 40\n").unwrap_err().to_string().contains("must come earlier"));
        assert!(Template::parse("A=1\nA=2\n").unwrap_err().to_string().contains("defined twice"));
    }
}

//! A `.env` file kept line by line, so that adding keys never reorders or drops what a user wrote.
//! Syntax is the subset compose reads: `KEY=value`, `KEY='literal'`, `KEY="value"`, comments, blanks.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `raw` is the line as the user wrote it, written back unchanged unless the value is replaced.
    Entry { key: String, value: String, raw: Option<String> },
    /// A comment, a blank line or anything else: kept verbatim.
    Other(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DotEnv {
    pub lines: Vec<Line>,
}

impl DotEnv {
    pub fn parse(text: &str) -> DotEnv {
        let lines = text
            .lines()
            .map(|raw| {
                let line = raw.trim_start().strip_prefix("export ").unwrap_or(raw.trim_start());
                match line.split_once('=') {
                    Some((key, value)) if !line.starts_with('#') && is_key(key.trim()) => {
                        Line::Entry { key: key.trim().to_string(), value: unquote(value.trim()), raw: Some(raw.to_string()) }
                    }
                    _ => Line::Other(raw.to_string()),
                }
            })
            .collect();
        DotEnv { lines }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        // Like compose, the last definition wins.
        self.lines.iter().rev().find_map(|l| match l {
            Line::Entry { key: k, value, .. } if k == key => Some(value.as_str()),
            _ => None,
        })
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter_map(|l| match l {
            Line::Entry { key, .. } => Some(key.as_str()),
            Line::Other(_) => None,
        })
    }

    /// Replace every definition of `key`, or append it.
    pub fn set(&mut self, key: &str, value: &str) {
        let mut found = false;
        for line in &mut self.lines {
            if let Line::Entry { key: k, value: v, raw } = line {
                if k == key {
                    *v = value.to_string();
                    *raw = None;
                    found = true;
                }
            }
        }
        if !found {
            self.lines.push(Line::Entry { key: key.to_string(), value: value.to_string(), raw: None });
        }
    }

    pub fn push_comment(&mut self, text: &str) {
        self.lines.push(Line::Other(text.to_string()));
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            match line {
                Line::Entry { raw: Some(raw), .. } => {
                    out.push_str(raw);
                    out.push('\n');
                }
                Line::Entry { key, value, raw: None } => out.push_str(&format!("{key}={}\n", quote(value))),
                Line::Other(text) => {
                    out.push_str(text);
                    out.push('\n');
                }
            }
        }
        out
    }
}

fn is_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !key.starts_with(|c: char| c.is_ascii_digit())
}

fn unquote(value: &str) -> String {
    if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
        return value[1..value.len() - 1].to_string();
    }
    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        return value[1..value.len() - 1].replace("\\\"", "\"").replace("\\\\", "\\");
    }
    // An unquoted value ends at ` #` (inline comment), as in compose.
    match value.find(" #") {
        Some(i) => value[..i].trim_end().to_string(),
        None => value.to_string(),
    }
}

/// Single quotes keep `$`, spaces and `#` literal for compose (bcrypt hashes are full of `$`); a value
/// holding a single quote itself is double-quoted with `$` escaped instead.
fn quote(value: &str) -> String {
    let plain = value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,:/@+=*".contains(c));
    if plain {
        value.to_string()
    } else if !value.contains('\'') {
        format!("'{value}'")
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "$$"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_comments_order_and_literal_dollars() {
        let text = "# head\nA=1\n\nB='$2b$12$abc'\nexport C=\"x y\"\nD=v # note\n";
        let env = DotEnv::parse(text);
        assert_eq!(env.get("B"), Some("$2b$12$abc"));
        assert_eq!(env.get("C"), Some("x y"));
        assert_eq!(env.get("D"), Some("v"));
        assert_eq!(env.keys().collect::<Vec<_>>(), ["A", "B", "C", "D"]);
        let again = DotEnv::parse(&env.render());
        assert_eq!(again.get("B"), Some("$2b$12$abc"));
        assert!(env.render().starts_with("# head\nA=1\n\nB='$2b$12$abc'\n"));
    }

    #[test]
    fn untouched_lines_are_written_back_exactly() {
        let text = "SITE=\"http://${HOST}:3000\"\nPASS=\"ab'cd\"\nX='v' # note\nexport Y=1 # c\n";
        let mut env = DotEnv::parse(text);
        env.set("NEW", "1");
        assert_eq!(env.render(), format!("{text}NEW=1\n"));
    }

    #[test]
    fn set_replaces_or_appends() {
        let mut env = DotEnv::parse("A=1\nA=2\n");
        env.set("A", "3");
        env.set("B", "4");
        assert_eq!(env.render(), "A=3\nA=3\nB=4\n");
    }
}

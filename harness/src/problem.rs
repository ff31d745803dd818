//! The one error shape of the harness: a single line that names where the problem is
//! (file, file and key, or service) and what to do about it.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: `stacks/n8n/compose.yml: services.postgres.ports`, `.env: JWT_SECRET`, `service kong`, ...
    pub location: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it, if there is something obvious.
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { location: location.into(), message: message.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Multi-line tool output (compose, docker) is folded so that a problem stays one line.
        let message = self.message.split_whitespace().collect::<Vec<_>>().join(" ");
        write!(f, "{}: {}", self.location, message)?;
        if let Some(hint) = &self.hint {
            write!(f, " — {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

/// Steps and trials report failures as strings: a problem becomes its one line.
impl From<Problem> for String {
    fn from(problem: Problem) -> String {
        problem.to_string()
    }
}

pub type Result<T, E = Problem> = std::result::Result<T, E>;

/// Problems found together (rule breaches, topology findings): reported one line each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

impl From<Problem> for Problems {
    fn from(p: Problem) -> Self {
        Problems(vec![p])
    }
}

/// The last non-empty line of a tool's output (where compose and docker put the error), or `default`.
pub fn last_line(output: &str, default: &str) -> String {
    output.lines().map(str::trim).filter(|l| !l.is_empty()).last().unwrap_or(default).to_string()
}

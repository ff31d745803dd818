//! What a probe container runs and how its answers are read. The script (`probe.pl`, perl-base
//! only) reports raw results; the harness alone decides what they mean, in pure functions that are
//! unit-tested without an engine.
//!
//! Each attempt prints one line, `<index> <phase> <result> <elapsed µs>`, and only the results
//! listed in [`classify`] are findings. Anything else — an errno no finding stands for, a line that
//! does not parse, a missing or doubled answer — is an error, never "unreachable": an isolation
//! proof that cannot tell what happened proves nothing.

use std::time::Duration;

use super::{CONNECT_TIMEOUT, LOOKUP_TIMEOUT, Outcome};

/// The probe itself: perl with the modules of Debian's essential perl-base.
pub const SCRIPT: &str = include_str!("probe.pl");

/// One connection attempt from a position: an address (name or IP) and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub via: String,
    pub port: u16,
}

/// One attempt's finding, with how long it took: the connection (what [`CONNECT_TIMEOUT`] bounds),
/// or the lookup for a name that did not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub outcome: Outcome,
    pub elapsed: Duration,
}

/// Only plain host names and IPs are handed to the probe (they come from compose files and the engine).
pub fn plain_address(via: &str) -> bool {
    !via.is_empty() && via.chars().all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c))
}

/// The probe script's arguments: both deadlines in seconds, then index, address and port per attempt.
pub fn arguments(attempts: &[Attempt]) -> Vec<String> {
    let mut args = vec![CONNECT_TIMEOUT.as_secs_f64().to_string(), LOOKUP_TIMEOUT.as_secs_f64().to_string()];
    for (i, a) in attempts.iter().enumerate() {
        args.extend([i.to_string(), a.via.clone(), a.port.to_string()]);
    }
    args
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Lookup,
    Connect,
}

/// The finding a result stands for, or why it is no finding at all.
pub fn classify(phase: Phase, result: &str) -> Result<Outcome, String> {
    match (phase, result) {
        // getaddrinfo: the name is not known (NONAME, NODATA), or the engine's DNS could not answer
        // for it (AGAIN: it does not know the name and has no upstream) or gave no answer within
        // LOOKUP_TIMEOUT — which only a name it does not know itself can take (see there).
        (Phase::Lookup, "EAI_NONAME" | "EAI_NODATA" | "EAI_AGAIN" | "pending") => Ok(Outcome::Unresolvable),
        (Phase::Lookup, other) => Err(format!("the name lookup failed: {other}")),
        (Phase::Connect, "0") => Ok(Outcome::Open),
        (Phase::Connect, "ECONNREFUSED") => Ok(Outcome::Refused),
        (Phase::Connect, "pending" | "ETIMEDOUT") => Ok(Outcome::TimedOut),
        (Phase::Connect, "EHOSTUNREACH" | "ENETUNREACH") => Ok(Outcome::NoRoute),
        (Phase::Connect, other) => Err(format!("the connection attempt failed: {other}")),
    }
}

/// One attempt's answer line, or why it is none. `index` is the attempt it must answer.
fn line(index: usize, text: &str) -> Result<Answer, String> {
    let parts: Vec<&str> = text.split(' ').collect();
    let [i, phase, result, elapsed] = parts[..] else { return Err(format!("unreadable answer {text:?}")) };
    if i != index.to_string() {
        return Err(format!("answer {index} is out of order or missing: {text:?}"));
    }
    let phase = match phase {
        "lookup" => Phase::Lookup,
        "connect" => Phase::Connect,
        _ => return Err(format!("unreadable answer {text:?}")),
    };
    let micros: u64 = elapsed.parse().map_err(|_| format!("unreadable elapsed time in {text:?}"))?;
    Ok(Answer { outcome: classify(phase, result)?, elapsed: Duration::from_micros(micros) })
}

/// The answers to `expected` attempts, in order: `Err((index, why))` for the first attempt whose
/// answer is not a finding (`index == expected` when the output has extra lines).
pub fn parse(output: &str, expected: usize) -> Result<Vec<Answer>, (usize, String)> {
    let lines: Vec<&str> = output.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut answers = Vec::with_capacity(expected);
    for index in 0..expected {
        let text = lines.get(index).ok_or_else(|| (index, format!("no answer (the probe printed {} lines for {expected} attempts)", lines.len())))?;
        answers.push(line(index, text).map_err(|why| (index, why))?);
    }
    if lines.len() > expected {
        return Err((expected, format!("unexpected output after {expected} answers: {:?}", lines[expected])));
    }
    Ok(answers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Outcome, String> {
        parse(text, 1).map(|a| a[0].outcome).map_err(|(_, why)| why)
    }

    #[test]
    fn findings_are_read_from_the_probes_raw_results() {
        assert_eq!(one("0 connect 0 10000"), Ok(Outcome::Open));
        assert_eq!(one("0 connect pending 1500000"), Ok(Outcome::TimedOut));
        assert_eq!(one("0 connect ECONNREFUSED 0"), Ok(Outcome::Refused));
        assert_eq!(one("0 connect ENETUNREACH 0"), Ok(Outcome::NoRoute));
        assert_eq!(one("0 connect EHOSTUNREACH 3000000"), Ok(Outcome::NoRoute));
        assert_eq!(one("0 lookup EAI_NONAME 10000"), Ok(Outcome::Unresolvable));
        assert_eq!(one("0 lookup pending 1510000"), Ok(Outcome::Unresolvable));
        assert_eq!(parse("0 connect 0 10000", 1).unwrap()[0].elapsed, Duration::from_millis(10));
    }

    #[test]
    fn anything_else_is_an_error_never_unreachable() {
        let denied = one("0 connect EACCES 0").unwrap_err();
        assert!(denied.contains("connection attempt failed: EACCES"), "{denied}");
        assert!(one("0 connect getsockopt-failed 0").unwrap_err().contains("getsockopt-failed"));
        assert!(one("0 lookup EAI_SYSTEM 0").unwrap_err().contains("name lookup failed: EAI_SYSTEM"));
        assert!(one("0 lookup EOF 0").unwrap_err().contains("EOF"), "a lookup child that died");
        assert!(one("0 lookup unusable-address 0").unwrap_err().contains("unusable-address"));
        assert!(one("Can't locate Socket.pm in @INC").unwrap_err().contains("unreadable answer"));
        assert!(one("1 connect 0 0").unwrap_err().contains("out of order"));
        assert!(one("0 kaboom 0 1").unwrap_err().contains("unreadable answer"));
        assert!(one("0 connect 0").unwrap_err().contains("unreadable answer"));
        assert!(one("0 connect 0 soon").unwrap_err().contains("elapsed"));
        assert!(one("").unwrap_err().contains("no answer"));
    }

    #[test]
    fn answers_must_match_attempts_one_to_one() {
        let two = parse("0 connect 0 1\n1 lookup EAI_NONAME 1\n", 2).unwrap();
        assert_eq!(two.iter().map(|a| a.outcome).collect::<Vec<_>>(), [Outcome::Open, Outcome::Unresolvable]);
        assert_eq!(parse("0 connect 0 1\n", 2).unwrap_err().0, 1, "a missing answer names its attempt");
        assert_eq!(parse("1 connect 0 1\n0 connect 0 1\n", 2).unwrap_err().0, 0, "out of order");
        assert_eq!(parse("0 connect 0 1\n0 connect 0 1\n", 2).unwrap_err().0, 1, "doubled");
        assert_eq!(parse("0 connect 0 1\nstray\n", 1).unwrap_err().0, 1, "extra output");
    }

    #[test]
    fn the_probe_gets_both_deadlines_and_every_attempt() {
        let attempts = [Attempt { via: "postgres".into(), port: 5432 }, Attempt { via: "172.20.0.4".into(), port: 6543 }];
        let args = arguments(&attempts);
        assert_eq!(args[..2], [CONNECT_TIMEOUT.as_secs_f64().to_string(), LOOKUP_TIMEOUT.as_secs_f64().to_string()]);
        assert_eq!(args[2..], ["0", "postgres", "5432", "1", "172.20.0.4", "6543"]);
        assert!(plain_address("realtime-dev.supabase-realtime") && plain_address("fd00::1"));
        assert!(!plain_address("db';rm -rf /;'") && !plain_address("a b") && !plain_address(""));
    }
}

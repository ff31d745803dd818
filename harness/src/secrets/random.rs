//! Random values from the operating system's CSPRNG. Alphabets avoid characters that need quoting in
//! `.env`, YAML or shell templates (Kong's entrypoint substitutes values into its config).

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

/// `len` characters drawn uniformly from `alphabet` (rejection sampling: no modulo bias).
pub fn from_alphabet(alphabet: &[u8], len: usize) -> String {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).expect("the operating system's random source is available");
        for &b in &buf {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

pub fn alnum(len: usize) -> String {
    from_alphabet(ALNUM, len)
}

pub fn hex(len: usize) -> String {
    from_alphabet(HEX, len)
}

/// Letters and digits with at least one upper, one lower and one digit (n8n's password rule).
pub fn password(len: usize) -> String {
    loop {
        let candidate = alnum(len.max(8));
        if is_strong_password(&candidate) {
            return candidate;
        }
    }
}

pub fn is_strong_password(p: &str) -> bool {
    p.len() >= 8 && p.chars().any(|c| c.is_ascii_uppercase()) && p.chars().any(|c| c.is_ascii_lowercase()) && p.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_alphabets_and_uniqueness() {
        let a = alnum(48);
        assert_eq!(a.len(), 48);
        assert!(a.bytes().all(|b| ALNUM.contains(&b)));
        assert_ne!(a, alnum(48));
        assert!(hex(32).bytes().all(|b| HEX.contains(&b)));
        assert!(is_strong_password(&password(24)));
    }

    #[test]
    fn every_symbol_is_drawn() {
        // 62 symbols over 20k draws: a missing one would mean a broken mapping, not bad luck.
        let s = alnum(20_000);
        assert!(ALNUM.iter().all(|c| s.as_bytes().contains(c)));
    }
}

//! Short codes for `/s/{code}`: 11 characters from a 31-letter alphabet without look-alikes
//! (no 0/o, 1/l/i), drawn from the OS CSPRNG without modulo bias: 31^11 ≈ 2^54.5 possibilities.

use crate::security::random_bytes;
use serde::{Deserialize, Serialize};

pub const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
pub const LENGTH: usize = 11;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShortCode(String);

impl ShortCode {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut code = String::with_capacity(LENGTH);
        while code.len() < LENGTH {
            for byte in random_bytes::<16>()? {
                // 248 = 8 × 31: taking only bytes below it keeps every letter equally likely.
                if byte < 248 && code.len() < LENGTH {
                    code.push(ALPHABET[usize::from(byte % 31)] as char);
                }
            }
        }
        Ok(Self(code))
    }

    /// Accepts only what `generate` can produce, so a lookup never sees arbitrary text.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == LENGTH && raw.bytes().all(|b| ALPHABET.contains(&b)))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_have_at_least_48_bits_of_entropy() {
        let bits = (ALPHABET.len() as f64).log2() * LENGTH as f64;
        assert!(bits >= 48.0, "{bits}");
    }

    #[test]
    fn codes_use_no_look_alike_characters() {
        for c in b"0o1liI" {
            assert!(!ALPHABET.contains(c), "{}", *c as char);
        }
        assert_eq!(
            ALPHABET.iter().collect::<HashSet<_>>().len(),
            31,
            "no letter twice"
        );
    }

    #[test]
    fn generated_codes_parse_and_differ() {
        let codes: HashSet<_> = (0..1_000)
            .map(|_| ShortCode::generate().expect("randomness"))
            .collect();
        assert_eq!(codes.len(), 1_000);
        assert!(codes
            .iter()
            .all(|c| ShortCode::parse(c.as_str()).as_ref() == Some(c)));
        for bad in ["", "short", "0oilI0oilI0", "abcdefghjk2/", "ABCDEFGHJKM"] {
            assert_eq!(ShortCode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_letter_is_used() {
        let seen: HashSet<char> = (0..300)
            .flat_map(|_| {
                ShortCode::generate()
                    .expect("randomness")
                    .0
                    .chars()
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(seen.len(), 31);
    }
}

//! Drawing short codes from the OS CSPRNG. Their grammar (alphabet, length, parsing) is the link
//! address's, in `app::domain::link`.

use crate::security::random_bytes;
use app::domain::link::ShortCode;

/// A fresh code: 31^11 ≈ 2^54.5 possibilities, every letter equally likely.
pub fn generate() -> Result<ShortCode, getrandom::Error> {
    ShortCode::draw(|bytes| {
        *bytes = random_bytes::<16>()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_have_at_least_48_bits_of_entropy() {
        let bits = (ShortCode::ALPHABET.len() as f64).log2() * ShortCode::LENGTH as f64;
        assert!(bits >= 48.0, "{bits}");
    }

    #[test]
    fn generated_codes_parse_and_differ() {
        let codes: HashSet<_> = (0..1_000)
            .map(|_| generate().expect("randomness"))
            .collect();
        assert_eq!(codes.len(), 1_000);
        assert!(codes
            .iter()
            .all(|c| ShortCode::parse(c.as_str()).as_ref() == Some(c)));
    }

    #[test]
    fn every_letter_is_used() {
        let seen: HashSet<char> = (0..300)
            .flat_map(|_| {
                generate()
                    .expect("randomness")
                    .as_str()
                    .chars()
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(seen.len(), 31);
    }
}

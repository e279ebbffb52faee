//! Codes people read out and type: exam voucher codes and certificate numbers, in
//! Crockford's base32 from a cryptographic RNG (unguessable, unambiguous to read).

use rand::{CryptoRng, RngCore};

/// Crockford's base32 alphabet: digits and upper-case letters without I, L, O, U.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `n` uniformly random Crockford symbols, 5 bits each (one byte per symbol, masked
/// to its low 5 bits: 256 is a multiple of 32, so there is no bias).
fn random_symbols<R: RngCore + CryptoRng>(rng: &mut R, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(CROCKFORD[usize::from(b & 0x1f)]))
        .collect()
}

/// Decodes one typed character to its canonical Crockford symbol: case-insensitive,
/// I and L read as 1, O as 0; `None` for anything else (U included).
fn crockford_symbol(c: char) -> Option<char> {
    match c.to_ascii_uppercase() {
        'I' | 'L' => Some('1'),
        'O' => Some('0'),
        u if u.is_ascii() && CROCKFORD.contains(&(u as u8)) => Some(u),
        _ => None,
    }
}

/// Exam voucher codes: random, unguessable and easy to read out and type.
///
/// A code is [`VoucherCode::SYMBOLS`] Crockford base32 symbols (80 bits from a
/// cryptographic RNG) in groups of four: `7K3M-9Q2X-4BNR-T0VW`. The grouped,
/// upper-case form is the canonical one stored and compared.
#[derive(Debug, Clone, Copy)]
pub struct VoucherCode;

impl VoucherCode {
    /// Number of symbols in a code (16 × 5 bits = 80 bits).
    pub const SYMBOLS: usize = 16;

    /// A fresh code in canonical form, e.g. `7K3M-9Q2X-4BNR-T0VW`.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> String {
        Self::group(&random_symbols(rng, Self::SYMBOLS))
    }

    /// The canonical form of a code as typed: case-insensitive, dashes and
    /// whitespace ignored, I/L read as 1 and O as 0 (Crockford). `None` when a
    /// character is outside the alphabet or the symbol count is not 16.
    pub fn normalise(input: &str) -> Option<String> {
        let symbols = input
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(crockford_symbol)
            .collect::<Option<String>>()?;
        (symbols.len() == Self::SYMBOLS).then(|| Self::group(&symbols))
    }

    fn group(symbols: &str) -> String {
        symbols
            .as_bytes()
            .chunks(4)
            .map(|g| String::from_utf8_lossy(g).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// Number of random Crockford symbols in a certificate number (8 × 5 = 40 bits).
pub const CERTIFICATE_RANDOM_SYMBOLS: usize = 8;

/// A certificate number `CODE-YEAR-XXXXXXXX`, e.g. `PCAP-2026-7K3M9Q2X`: the
/// credential code (upper-cased), the year of issue and 8 random Crockford symbols
/// (40 bits), so numbers cannot be enumerated on the public verification endpoint.
/// Uniqueness is the store's job (a unique constraint; draw again on conflict).
pub fn certificate_number<R: RngCore + CryptoRng>(
    credential_code: &str,
    year: i32,
    rng: &mut R,
) -> String {
    format!(
        "{}-{year}-{}",
        credential_code.to_ascii_uppercase(),
        random_symbols(rng, CERTIFICATE_RANDOM_SYMBOLS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::{OsRng, StdRng};
    use rand::SeedableRng;
    use std::collections::HashSet;

    #[test]
    fn voucher_codes_are_grouped_crockford_and_distinct() {
        let mut rng = OsRng;
        let mut seen = HashSet::new();
        for _ in 0..2_000 {
            let code = VoucherCode::generate(&mut rng);
            assert_eq!(code.len(), 19, "{code}");
            let groups: Vec<_> = code.split('-').collect();
            assert_eq!(groups.len(), 4);
            assert!(groups
                .iter()
                .all(|g| g.len() == 4 && g.bytes().all(|b| CROCKFORD.contains(&b))));
            assert_eq!(
                VoucherCode::normalise(&code).as_deref(),
                Some(code.as_str())
            );
            assert!(seen.insert(code));
        }
        // Every symbol of the alphabet turns up: the draw covers all 32.
        let symbols: HashSet<char> = seen.iter().flat_map(|c| c.chars()).collect();
        assert_eq!(symbols.len(), 33); // 32 symbols and the dash
    }

    #[test]
    fn voucher_codes_are_deterministic_for_a_seeded_rng() {
        let a = VoucherCode::generate(&mut StdRng::seed_from_u64(7));
        let b = VoucherCode::generate(&mut StdRng::seed_from_u64(7));
        let c = VoucherCode::generate(&mut StdRng::seed_from_u64(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn voucher_normalise_reads_what_people_type() {
        let canonical = Some("7K3M-9Q2X-4BNR-T0V1".to_owned());
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0V1"), canonical);
        assert_eq!(VoucherCode::normalise("7k3m9q2x4bnrt0v1"), canonical);
        assert_eq!(VoucherCode::normalise(" 7k3m 9q2x-4bnr tOvl "), canonical);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-TOVI"), canonical);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0VU"), None);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0V"), None);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0V12"), None);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0V*"), None);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0VÉ"), None);
        assert_eq!(VoucherCode::normalise(""), None);
    }

    #[test]
    fn certificate_numbers_name_the_credential_and_year() {
        let mut rng = OsRng;
        let mut seen = HashSet::new();
        for _ in 0..1_000 {
            let n = certificate_number("pcap", 2026, &mut rng);
            let suffix = n.strip_prefix("PCAP-2026-").unwrap();
            assert_eq!(suffix.len(), CERTIFICATE_RANDOM_SYMBOLS);
            assert!(suffix.bytes().all(|b| CROCKFORD.contains(&b)));
            assert!(seen.insert(n));
        }
    }
}

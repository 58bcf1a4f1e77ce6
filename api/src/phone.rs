//! Phone numbers to E.164, with the default region for numbers written without a country code.
//!
//! Mobiniti writes one number three ways (`+19999999999`, `19999999999`, `9999999999`); all three
//! must land on one contact. Numbers are formatted, never validated: the vendor's own examples are
//! well-formed but unassigned. Short codes (`64600`) are kept as given.

use phonenumber::{Mode, country};

/// The most digits a short code has; anything longer is a phone number.
const SHORT_CODE_MAX_DIGITS: usize = 6;

/// Turns phone numbers into one canonical form.
#[derive(Debug, Clone, Copy)]
pub struct PhoneNormalizer {
    region: country::Id,
}

/// A string that is neither a phone number nor a short code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a phone number")]
pub struct InvalidPhone(pub String);

impl PhoneNormalizer {
    pub fn new(region: country::Id) -> Self {
        Self { region }
    }

    /// E.164 for phone numbers, the digits as given for short codes.
    pub fn normalize(&self, raw: &str) -> Result<String, InvalidPhone> {
        let trimmed = raw.trim();
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(InvalidPhone(raw.to_owned()));
        }
        if digits <= SHORT_CODE_MAX_DIGITS && trimmed.chars().all(|c| c.is_ascii_digit()) {
            return Ok(trimmed.to_owned());
        }
        // E.164 is the canonical form, so a number already in it is kept as it is. The parser
        // does not always agree: for some numbers it drops what it takes for a national prefix,
        // and again on its own output (fuzzing found `+27100090` becoming `+2700090`), which
        // would file one number under two spellings.
        if is_e164(trimmed) {
            return Ok(trimmed.to_owned());
        }
        // What the parser makes of it must be E.164 too (it keeps, for one, more than 15
        // digits): so whatever this returns, normalized again, stays as it is.
        phonenumber::parse(Some(self.region), trimmed)
            .ok()
            .map(|number| number.format().mode(Mode::E164).to_string())
            .filter(|formatted| is_e164(formatted))
            .ok_or_else(|| InvalidPhone(raw.to_owned()))
    }
}

/// `+`, then 2 to 15 digits, the first not 0.
fn is_e164(text: &str) -> bool {
    let Some(digits) = text.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a region code such as `US` or `GB` (ISO 3166-1 alpha-2) for the command line.
pub fn parse_region(value: &str) -> Result<country::Id, String> {
    value
        .trim()
        .to_ascii_uppercase()
        .parse::<country::Id>()
        .map_err(|_| {
            format!("`{value}` is not a region code; use ISO 3166-1 alpha-2 such as US or GB")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> PhoneNormalizer {
        PhoneNormalizer::new(country::Id::US)
    }

    #[test]
    fn the_three_vendor_spellings_are_one_number() {
        for raw in [
            "+19999999999",
            "19999999999",
            "9999999999",
            " (999) 999-9999 ",
        ] {
            assert_eq!(us().normalize(raw), Ok("+19999999999".to_owned()), "{raw}");
        }
    }

    #[test]
    fn short_codes_stay_as_given() {
        assert_eq!(us().normalize("64600"), Ok("64600".to_owned()));
    }

    #[test]
    fn numbers_with_a_country_code_ignore_the_default_region() {
        assert_eq!(
            us().normalize("+447911123456"),
            Ok("+447911123456".to_owned())
        );
        let gb = PhoneNormalizer::new(country::Id::GB);
        assert_eq!(gb.normalize("07911 123456"), Ok("+447911123456".to_owned()));
    }

    #[test]
    fn what_it_gives_back_normalizes_to_itself() {
        // Found by the `phone` fuzz target.
        let once = us().normalize("++(271/ )(1100-090\\").expect("a number");
        assert_eq!(us().normalize(&once), Ok(once.clone()));
        assert_eq!(us().normalize("+27100090"), Ok("+27100090".to_owned()));
        assert!(
            us().normalize(" 11111111111111111111   ").is_err(),
            "18 digits are no E.164"
        );
    }

    #[test]
    fn text_is_not_a_phone_number() {
        assert!(us().normalize("call me").is_err());
        assert!(us().normalize("").is_err());
    }

    #[test]
    fn region_codes_parse_case_insensitively() {
        assert_eq!(parse_region("us"), Ok(country::Id::US));
        assert!(parse_region("XX1").is_err());
    }
}

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
        phonenumber::parse(Some(self.region), trimmed)
            .map(|number| number.format().mode(Mode::E164).to_string())
            .map_err(|_| InvalidPhone(raw.to_owned()))
    }
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

//! Phone numbers to E.164, with the default region for numbers written without a country code.
//!
//! Mobiniti writes one number three ways (`+19999999999`, `19999999999`, `9999999999`); all three
//! must land on one contact. Numbers are formatted, not checked against the numbering plan: the
//! vendor's own examples are well-formed but unassigned. What is refused is text that cannot be a
//! number at all, since the parser alone reads the digits out of any text (`call me PII-4455`
//! became `+14455`): letters, a calling code no country has, and fewer digits than the shortest
//! number of the country, as the phonenumber crate's metadata gives it.
//!
//! Vanity numbers (`1-800-FLOWERS`) are refused with the rest of the text that has letters:
//! Mobiniti writes digits, and reading letters as digits would make a number of any word.
//! Short codes (`64600`) are kept as given, but only where one can stand: a message's sender
//! ([`PhoneNormalizer::normalize_sender`]). A contact or a recipient is a handset, with a number.

use std::collections::HashMap;
use std::sync::LazyLock;

use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, Type, country};

/// The most digits a short code has; anything longer is a phone number.
const SHORT_CODE_MAX_DIGITS: usize = 6;

/// The kinds of number a subscriber has, and so a contact or a recipient can: a line of its own
/// or a free number of a business. Service numbers (premium rate, shared cost, universal access,
/// voicemail, national-only) and short codes are left out: some are shorter than any line of
/// their country (Canada's `310-xxxx`), and would make a fragment pass for a number.
const NUMBER_TYPES: [Type; 6] = [
    Type::FixedLine,
    Type::Mobile,
    Type::TollFree,
    Type::Voip,
    Type::PersonalNumber,
    Type::Pager,
];

/// The fewest digits a number has after each calling code, over every region that shares it.
/// The crate's metadata leaves the general lengths empty, so they are taken from each kind. By
/// code rather than by region: the codes of no region (`+800`, freephone) share one region id.
static SHORTEST: LazyLock<HashMap<u16, usize>> = LazyLock::new(|| {
    (1..=999)
        .filter_map(|code: u16| {
            let regions = DATABASE.by_code(&code)?;
            let fewest = regions
                .iter()
                .flat_map(|region| {
                    let descriptors = region.descriptors();
                    NUMBER_TYPES
                        .iter()
                        .filter_map(|kind| descriptors.get(*kind))
                        .chain([descriptors.general()])
                        .flat_map(|descriptor| descriptor.possible_length().iter().copied())
                })
                .min()?;
            Some((code, usize::from(fewest)))
        })
        .collect()
});

/// Turns phone numbers into one canonical form.
#[derive(Debug, Clone, Copy)]
pub struct PhoneNormalizer {
    region: country::Id,
}

/// A string that is not a phone number (nor, where one is allowed, a short code).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{raw}` is not a phone number: {why}")]
pub struct InvalidPhone {
    /// The text as it was given.
    pub raw: String,
    pub why: NotAPhone,
}

/// Why a text is not a phone number.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum NotAPhone {
    #[error(
        "it has letters, and a number is written in digits (a vanity number such as \
         1-800-FLOWERS is not read; an extension neither)"
    )]
    Letters,
    #[error("it has no digits")]
    NoDigits,
    #[error("no country has the calling code it starts with")]
    UnknownCallingCode,
    #[error("it has {digits} digits after +{code}, and the shortest number there has {shortest}")]
    TooFewDigits {
        code: u16,
        digits: usize,
        shortest: usize,
    },
    #[error("it does not read as a number of at most 15 digits with its country code (E.164)")]
    Unreadable,
}

impl NotAPhone {
    /// Why, in words that say nothing of the number itself, for the log.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Letters => "not a phone number: letters",
            Self::NoDigits => "not a phone number: no digits",
            Self::UnknownCallingCode => "not a phone number: unknown calling code",
            Self::TooFewDigits { .. } => "not a phone number: too few digits",
            Self::Unreadable => "not a phone number: unreadable",
        }
    }
}

impl PhoneNormalizer {
    pub fn new(region: country::Id) -> Self {
        Self { region }
    }

    /// E.164, for the number of a handset (a contact, a recipient).
    pub fn normalize(&self, raw: &str) -> Result<String, InvalidPhone> {
        self.e164(raw.trim()).map_err(|why| InvalidPhone {
            raw: raw.to_owned(),
            why,
        })
    }

    /// E.164 for a phone number, the digits as given for a short code: for a message's sender.
    pub fn normalize_sender(&self, raw: &str) -> Result<String, InvalidPhone> {
        let trimmed = raw.trim();
        let short_code = (1..=SHORT_CODE_MAX_DIGITS).contains(&trimmed.len())
            && trimmed.bytes().all(|b| b.is_ascii_digit());
        if short_code {
            return Ok(trimmed.to_owned());
        }
        self.normalize(raw)
    }

    fn e164(&self, text: &str) -> Result<String, NotAPhone> {
        if text.chars().any(char::is_alphabetic) {
            return Err(NotAPhone::Letters);
        }
        if !text.bytes().any(|b| b.is_ascii_digit()) {
            return Err(NotAPhone::NoDigits);
        }
        // E.164 is the canonical form, so a number already in it is kept as it is. The parser
        // does not always agree: for some numbers it drops what it takes for a national prefix,
        // and again on its own output (fuzzing found `+27100090` becoming `+2700090`), which
        // would file one number under two spellings.
        let formatted = if is_e164(text) {
            text.to_owned()
        } else {
            // What the parser makes of it must be E.164 too (it keeps, for one, more than 15
            // digits).
            phonenumber::parse(Some(self.region), text)
                .ok()
                .map(|number| number.format().mode(Mode::E164).to_string())
                .filter(|formatted| is_e164(formatted))
                .ok_or(NotAPhone::Unreadable)?
        };
        // Checked on the result, whichever way it came: so whatever this returns, normalized
        // again, passes the same check and stays as it is.
        long_enough(&formatted)?;
        Ok(formatted)
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

/// Whether an E.164 number has a known calling code and at least as many digits after it as the
/// shortest number there.
fn long_enough(e164: &str) -> Result<(), NotAPhone> {
    let digits = e164.trim_start_matches('+');
    // Calling codes are prefix-free (ITU-T E.164): at most one of the first one to three digits
    // is one.
    let (code, national, shortest) = (1..=3)
        .find_map(|length| {
            let code = digits.get(..length)?.parse::<u16>().ok()?;
            let shortest = *SHORTEST.get(&code)?;
            Some((code, digits.len() - length, shortest))
        })
        .ok_or(NotAPhone::UnknownCallingCode)?;
    if national < shortest {
        return Err(NotAPhone::TooFewDigits {
            code,
            digits: national,
            shortest,
        });
    }
    Ok(())
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

    fn why(raw: &str) -> Option<NotAPhone> {
        us().normalize(raw).err().map(|err| err.why)
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
    fn short_codes_stay_as_given_for_a_sender_only() {
        assert_eq!(us().normalize_sender("64600"), Ok("64600".to_owned()));
        assert_eq!(us().normalize_sender(" 64600 "), Ok("64600".to_owned()));
        assert_eq!(
            us().normalize_sender("+15555555555"),
            Ok("+15555555555".to_owned())
        );
        assert_eq!(
            why("64600"),
            Some(NotAPhone::TooFewDigits {
                code: 1,
                digits: 5,
                shortest: 10
            }),
            "a contact's number is no short code"
        );
    }

    #[test]
    fn numbers_with_a_country_code_ignore_the_default_region() {
        assert_eq!(
            us().normalize("+447911123456"),
            Ok("+447911123456".to_owned())
        );
        let gb = PhoneNormalizer::new(country::Id::GB);
        assert_eq!(gb.normalize("07911 123456"), Ok("+447911123456".to_owned()));
        assert_eq!(
            us().normalize("+80012345678"),
            Ok("+80012345678".to_owned()),
            "a calling code of no region (international freephone)"
        );
    }

    #[test]
    fn what_it_gives_back_normalizes_to_itself() {
        // Found by the `phone` fuzz target.
        let once = us().normalize("++(271/ )(1100-090\\").expect("a number");
        assert_eq!(us().normalize(&once), Ok(once.clone()));
        assert_eq!(us().normalize("+27100090"), Ok("+27100090".to_owned()));
        assert_eq!(
            why(" 11111111111111111111   "),
            Some(NotAPhone::Unreadable),
            "18 digits are no E.164"
        );
    }

    #[test]
    fn text_with_letters_is_not_a_phone_number() {
        for raw in [
            "call me PII-4455",
            "call me",
            "1-800-FLOWERS",
            "+1 202-555-0143 ext. 12",
            "+1 202 555 0143 x12",
        ] {
            assert_eq!(why(raw), Some(NotAPhone::Letters), "{raw}");
        }
        let err = us().normalize("1-800-FLOWERS").expect_err("refused");
        assert!(err.to_string().contains("vanity"), "{err}");
        assert_eq!(why(""), Some(NotAPhone::NoDigits));
        assert_eq!(why(" -() "), Some(NotAPhone::NoDigits));
    }

    #[test]
    fn fewer_digits_than_the_country_has_are_not_a_phone_number() {
        let us_short = |digits| {
            Some(NotAPhone::TooFewDigits {
                code: 1,
                digits,
                shortest: 10,
            })
        };
        assert_eq!(why("44-55"), us_short(4));
        assert_eq!(why("+14455"), us_short(4));
        assert_eq!(
            why("555-0100"),
            us_short(7),
            "a local number lacks its area"
        );
        assert_eq!(why("+1 303 555 010"), us_short(9));
        let err = us().normalize("44-55").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "`44-55` is not a phone number: it has 4 digits after +1, and the shortest number \
             there has 10"
        );
        assert_eq!(why("+99912345678"), Some(NotAPhone::UnknownCallingCode));
    }

    #[test]
    fn the_shortest_lengths_come_from_the_metadata() {
        assert_eq!(SHORTEST.get(&1), Some(&10));
        assert!(SHORTEST.get(&44).is_some_and(|&fewest| fewest < 10));
        assert_eq!(SHORTEST.get(&999), None);
    }

    #[test]
    fn the_reasons_name_no_digit() {
        for why in [
            NotAPhone::Letters,
            NotAPhone::NoDigits,
            NotAPhone::UnknownCallingCode,
            NotAPhone::TooFewDigits {
                code: 44,
                digits: 3,
                shortest: 7,
            },
            NotAPhone::Unreadable,
        ] {
            assert!(
                !why.reason().contains(|c: char| c.is_ascii_digit()),
                "{why}"
            );
        }
    }

    proptest::proptest! {
        /// The `phone` fuzz target's invariant, on text shaped like numbers, for both readers.
        #[test]
        fn what_it_gives_back_normalizes_to_itself_for_any_text(
            raw in "[+]{0,2}[0-9 ()./x-]{0,22}",
        ) {
            for normalize in [PhoneNormalizer::normalize, PhoneNormalizer::normalize_sender] {
                if let Ok(once) = normalize(&us(), &raw) {
                    proptest::prop_assert_eq!(normalize(&us(), &once), Ok(once.clone()));
                }
            }
        }
    }

    #[test]
    fn region_codes_parse_case_insensitively() {
        assert_eq!(parse_region("us"), Ok(country::Id::US));
        assert!(parse_region("XX1").is_err());
    }
}

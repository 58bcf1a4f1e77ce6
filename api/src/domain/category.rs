//! What an inbound text is: a real reply, a carrier STOP or HELP keyword, or a keyword opt-in.
//!
//! With Mobiniti's "Unknown messages only" setting off, STOP/HELP replies and keyword opt-ins
//! arrive mixed with real replies; an inbox wants only the replies. A text is a keyword when it
//! is exactly one, ignoring case and white space (`Stop`, ` stop all `).

use std::collections::BTreeSet;

/// The carriers' standard opt-out keywords.
const STOP: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
/// The carriers' standard help keywords.
const HELP: [&str; 2] = ["HELP", "INFO"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Reply,
    Stop,
    Help,
    Keyword,
}

impl Category {
    /// The value stored in `messages.category`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Stop => "stop",
            Self::Help => "help",
            Self::Keyword => "keyword",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        [Self::Reply, Self::Stop, Self::Help, Self::Keyword]
            .into_iter()
            .find(|category| category.as_str() == value)
    }
}

/// The opt-in keywords of the account (from `--keywords`), on top of the standard ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keywords(BTreeSet<String>);

impl Keywords {
    pub fn new<I, S>(keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self(
            keywords
                .into_iter()
                .map(|keyword| fold(keyword.as_ref()))
                .filter(|keyword| !keyword.is_empty())
                .collect(),
        )
    }

    pub fn classify(&self, text: &str) -> Category {
        let folded = fold(text);
        if STOP.contains(&folded.as_str()) {
            Category::Stop
        } else if HELP.contains(&folded.as_str()) {
            Category::Help
        } else if self.0.contains(&folded) {
            Category::Keyword
        } else {
            Category::Reply
        }
    }
}

/// Upper case, white space removed.
fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_keywords_ignore_case_and_space() {
        let keywords = Keywords::default();
        for text in [
            "STOP",
            "stop",
            " Stop ",
            "stop all",
            "Unsubscribe",
            "quit\n",
            "END",
        ] {
            assert_eq!(keywords.classify(text), Category::Stop, "{text:?}");
        }
        assert_eq!(keywords.classify("help"), Category::Help);
        assert_eq!(keywords.classify(" Info"), Category::Help);
    }

    #[test]
    fn a_sentence_with_a_keyword_in_it_is_a_reply() {
        let keywords = Keywords::default();
        assert_eq!(keywords.classify("please stop texting me"), Category::Reply);
        assert_eq!(keywords.classify("Yes!"), Category::Reply);
    }

    #[test]
    fn account_keywords_are_opt_ins() {
        let keywords = Keywords::new(["pizza", " Spring Sale "]);
        assert_eq!(keywords.classify("PIZZA"), Category::Keyword);
        assert_eq!(keywords.classify("spring sale"), Category::Keyword);
        assert_eq!(keywords.classify("pizza please"), Category::Reply);
    }
}

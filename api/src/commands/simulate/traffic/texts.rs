//! What the simulated account sends and its contacts answer: a fictional outdoor store's
//! campaigns, with the opt-out line carriers require, and everyday replies.

/// Each campaign's text and its reminder.
pub const CAMPAIGNS: [(&str, &str); 3] = [
    (
        "Acme Outfitters: Spring Sale! 20% off everything through Sunday. Show this text in store. Reply STOP to opt out, HELP for help.",
        "Acme Outfitters: last day of the Spring Sale, 20% off ends tonight. Reply STOP to opt out.",
    ),
    (
        "Acme Outfitters: members get early access to the new trail collection on Saturday, 9am. Reply STOP to opt out, HELP for help.",
        "Acme Outfitters: early access starts tomorrow at 9am. Reply STOP to opt out.",
    ),
    (
        "Acme Outfitters: free shipping on orders over $50 this week with code SHIPFREE. Reply STOP to opt out, HELP for help.",
        "Acme Outfitters: free shipping with SHIPFREE ends Friday. Reply STOP to opt out.",
    ),
];

/// Free-text answers: none is a carrier keyword, so each is a `REPLY`.
pub const REPLIES: [&str; 10] = [
    "Yes please! Does this work online too?",
    "Thanks!",
    "What are your hours on Saturday?",
    "Can I use this with my member card?",
    "Is the sale on at the downtown store?",
    "Love it 👍",
    "Wrong number I think",
    "Can you hold a medium for me?",
    "Got it, see you Sunday",
    "Do you ship to Canada?",
];

/// Opt-outs the carriers know, in the spellings people use.
pub const STOPS: [&str; 4] = ["STOP", "Stop", "stop", "UNSUBSCRIBE"];

/// Help requests.
pub const HELPS: [&str; 2] = ["HELP", "help"];

//! The six webhooks Mobiniti sends, their URL names and where each is set up in Mobiniti.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookKind {
    InboundMessage,
    Unsubscribe,
    Bounce,
    DeliveryReport,
    ContactStatus,
    Rejection,
}

impl WebhookKind {
    pub const ALL: [WebhookKind; 6] = [
        Self::InboundMessage,
        Self::Unsubscribe,
        Self::Bounce,
        Self::DeliveryReport,
        Self::ContactStatus,
        Self::Rejection,
    ];

    /// The name in `/webhooks/mobiniti/{kind}` and in the event log's `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InboundMessage => "inbound-message",
            Self::Unsubscribe => "unsubscribe",
            Self::Bounce => "bounce",
            Self::DeliveryReport => "delivery-report",
            Self::ContactStatus => "contact-status",
            Self::Rejection => "rejection",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Every kind's name, as a sentence lists them (`inbound-message, …, contact-status and
    /// rejection`).
    pub fn all_in_words() -> String {
        let names = Self::ALL.map(Self::as_str);
        match names.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// The page of Mobiniti's settings that holds this webhook's URL field.
    pub fn mobiniti_page(self) -> &'static str {
        match self {
            Self::Unsubscribe | Self::DeliveryReport | Self::ContactStatus => {
                "Settings → Message Settings"
            }
            Self::InboundMessage | Self::Bounce | Self::Rejection => "Settings → Notifications",
        }
    }

    /// The label of the URL field in Mobiniti.
    pub fn mobiniti_field(self) -> &'static str {
        match self {
            Self::InboundMessage => "Inbound Messages",
            Self::Unsubscribe => "Unsubscribe Messages",
            Self::Bounce => "Bounces",
            Self::DeliveryReport => "Delivery Report",
            Self::ContactStatus => "Contact Status",
            Self::Rejection => "Rejected Message",
        }
    }
}

impl fmt::Display for WebhookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in WebhookKind::ALL {
            assert_eq!(WebhookKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(WebhookKind::from_name("inbound_message"), None);
    }

    #[test]
    fn the_kinds_in_words_name_each_once() {
        assert_eq!(
            WebhookKind::all_in_words(),
            "inbound-message, unsubscribe, bounce, delivery-report, contact-status and rejection"
        );
    }
}

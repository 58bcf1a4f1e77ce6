//! The commands besides `serve`, one module each, named as on the command line. Each opens the
//! store itself and says what it did; the long ones draw a progress bar on a terminal.

mod rebuild;
mod replay_quarantine;
mod settings;
pub mod simulate;
mod urls;

pub use rebuild::rebuild;
pub use replay_quarantine::replay_quarantine;
pub use settings::{change_settings, show_settings};
pub use urls::print_webhook_urls;

//! Readers of flag values that clap cannot read alone, with errors that say what to write.

use std::time::Duration;

/// A duration with its unit, such as `5s`, `500ms` or `2m` (`0` alone is zero). humantime's
/// own errors suggest `5sec`; these use the short units the README writes.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    use humantime::DurationError;
    humantime::parse_duration(value).map_err(|err| match err {
        DurationError::UnknownUnit { unit, .. } if unit.is_empty() => {
            "write a unit: 5s, 500ms, 2m".to_owned()
        }
        DurationError::UnknownUnit { unit, .. } => {
            format!("`{unit}` is not a unit of time; write 5s, 500ms, 2m")
        }
        DurationError::NumberOverflow => "too long a duration; write 5s, 500ms, 2m".to_owned(),
        DurationError::InvalidCharacter(_)
        | DurationError::NumberExpected(_)
        | DurationError::Empty => {
            "not a duration; write a number and a unit: 5s, 500ms, 2m".to_owned()
        }
    })
}

/// A duration such as `15s` or `300ms`, more than zero.
pub fn parse_period(value: &str) -> Result<Duration, String> {
    match parse_duration(value)? {
        period if period.is_zero() => Err("must be more than zero, for example 15s".into()),
        period => Ok(period),
    }
}

/// An `http://` or `https://` URL with a host, as Mobiniti must be given; a path is kept (a
/// proxy may serve the service under one), a query string or fragment is refused.
pub fn parse_public_url(text: &str) -> Result<String, String> {
    let uri: axum::http::Uri = text
        .parse()
        .map_err(|err| format!("not a URL ({err}); write it as https://hooks.example.com"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err("the URL must start with https:// (or http://)".to_owned());
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("the URL has no host; write it as https://hooks.example.com".to_owned());
    }
    if uri.query().is_some() || text.contains('#') {
        return Err("the URL must not have a query string or a fragment".to_owned());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_without_a_unit_say_which_units_to_write() {
        let err = parse_duration("5").expect_err("no unit");
        assert!(err.contains("5s, 500ms, 2m"), "{err}");
        assert!(!err.contains("sec"), "{err}");
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    }

    #[test]
    fn a_public_url_is_a_base_url() {
        assert_eq!(
            parse_public_url("https://hooks.example.com/"),
            Ok("https://hooks.example.com".to_owned())
        );
        assert!(parse_public_url("hooks.example.com").is_err());
        assert!(parse_public_url("https://hooks.example.com/?a=1").is_err());
    }
}

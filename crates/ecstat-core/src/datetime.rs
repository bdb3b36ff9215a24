//! Timestamps as exports write them: `2019-03-05 12:03:04`, `2019/3/5 12:03`,
//! `2019年03月05日 12:03:04`, date-only forms. Results are naive Asia/Shanghai wall-clock
//! times, never shifted to UTC (DESIGN §Time).

use chrono::{NaiveDate, NaiveDateTime};

/// Formats tried when a source spec names none. Order matters only for speed.
pub const DEFAULT_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日",
    "%Y%m%d",
];

/// Parse `raw` with the first matching format. Date-only formats give midnight.
///
/// Fractional seconds (`12:03:04.500`) are accepted after any format ending in `%S`.
pub fn parse_datetime<S: AsRef<str>>(raw: &str, formats: &[S]) -> Option<NaiveDateTime> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    for format in formats {
        let format = format.as_ref();
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, format) {
            return Some(dt);
        }
        if format.ends_with("%S")
            && let Some((head, frac)) = s.rsplit_once('.')
            && !frac.is_empty()
            && frac.bytes().all(|b| b.is_ascii_digit())
            && let Ok(dt) = NaiveDateTime::parse_from_str(head, format)
        {
            return Some(dt);
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, format) {
            return d.and_hms_opt(0, 0, 0);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> Option<String> {
        parse_datetime(s, DEFAULT_FORMATS).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    #[test]
    fn parses_every_export_form() {
        let want = Some("2019-03-05 12:03:04".to_string());
        assert_eq!(dt("2019-03-05 12:03:04"), want);
        assert_eq!(dt("2019/3/5 12:03:04"), want);
        assert_eq!(dt("2019年03月05日 12:03:04"), want);
        assert_eq!(dt("2019-03-05 12:03:04.250"), want);
        assert_eq!(dt("2019/03/05 12:03"), Some("2019-03-05 12:03:00".into()));
        assert_eq!(dt("2019年3月5日"), Some("2019-03-05 00:00:00".into()));
        assert_eq!(dt("20190305"), Some("2019-03-05 00:00:00".into()));
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(dt("2019-13-45 10:00:00"), None);
        assert_eq!(dt("2019-02-29 10:00:00"), None);
        assert_eq!(dt("昨天"), None);
        assert_eq!(dt(""), None);
    }

    #[test]
    fn honours_an_explicit_format_list() {
        assert!(parse_datetime("05.03.2019", &["%d.%m.%Y"]).is_some());
        assert!(parse_datetime("2019-03-05", &["%d.%m.%Y"]).is_none());
    }
}

//! Timestamps, dates and months as exports and department workbooks write them:
//! `2019-03-05 12:03:04`, `2019/3/5 12:03`, `2019年03月05日 12:03:04`, date-only forms,
//! Excel serial day numbers, and report months such as `2019年3月` or `201903`. Results are
//! naive Asia/Shanghai wall-clock times, never shifted to UTC (DESIGN §Time).

use chrono::format::{self, Item, Parsed, StrftimeItems};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

use crate::text::fold_width;

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
    DateTimeFormats::new(formats).parse(raw)
}

/// Formats compiled once, to parse a column of cells: what [`parse_datetime`] does, without
/// reading each format string again for every cell.
#[derive(Debug, Clone)]
pub struct DateTimeFormats {
    /// Each format's items, whether it ends in `%S` (fractional seconds accepted), and
    /// whether it is `%Y-%m-%d %H:%M:%S` (see [`iso_seconds`]).
    formats: Vec<(Vec<Item<'static>>, bool, bool)>,
}

/// `2019-03-05 12:03:04` read without chrono's general parser: the form nearly every
/// platform export writes, in exactly that shape (zero-padded, no fraction). None for any
/// other shape or an impossible time, which then goes to chrono as before, so the result is
/// always the one chrono gives.
fn iso_seconds(s: &str) -> Option<NaiveDateTime> {
    let b: &[u8; 19] = s.as_bytes().try_into().ok()?;
    let digits = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(0, 4)?).ok()?,
        digits(5, 7)?,
        digits(8, 10)?,
    )?;
    date.and_hms_opt(digits(11, 13)?, digits(14, 16)?, digits(17, 19)?)
}

impl DateTimeFormats {
    /// A format chrono cannot read never matches, as with `parse_from_str`.
    pub fn new<S: AsRef<str>>(formats: &[S]) -> Self {
        let formats = formats
            .iter()
            .filter_map(|f| {
                let f = f.as_ref();
                let items = StrftimeItems::new(f).parse_to_owned().ok()?;
                Some((items, f.ends_with("%S"), f == "%Y-%m-%d %H:%M:%S"))
            })
            .collect();
        Self { formats }
    }

    /// `raw` by the first matching format. Date-only formats give midnight.
    pub fn parse(&self, raw: &str) -> Option<NaiveDateTime> {
        let s = raw.trim();
        if s.is_empty() {
            return None;
        }
        for (items, ends_in_seconds, iso) in &self.formats {
            if *iso && let Some(dt) = iso_seconds(s) {
                return Some(dt);
            }
            let mut parsed = Parsed::new();
            let whole = format::parse(&mut parsed, s, items.iter()).is_ok();
            if whole && let Ok(dt) = parsed.to_naive_datetime_with_offset(0) {
                return Some(dt);
            }
            if *ends_in_seconds
                && let Some((head, frac)) = s.rsplit_once('.')
                && !frac.is_empty()
                && frac.bytes().all(|b| b.is_ascii_digit())
            {
                let mut head_parsed = Parsed::new();
                if format::parse(&mut head_parsed, head, items.iter()).is_ok()
                    && let Ok(dt) = head_parsed.to_naive_datetime_with_offset(0)
                {
                    return Some(dt);
                }
            }
            if whole && let Ok(d) = parsed.to_naive_date() {
                return d.and_hms_opt(0, 0, 0);
            }
        }
        None
    }
}

/// Largest Excel serial day number: 9999-12-31.
const MAX_EXCEL_SERIAL: u32 = 2_958_465;

/// Parse a date cell: `2018-03-15`, `2018/3/15`, `2018.3.15`, `2018年3月15日`, `20180315`,
/// any of these followed by a time (`2018-03-15 10:20:00`, the time is dropped), in full-
/// or half-width characters, or an Excel serial day number (`43174`, `43174.5`).
///
/// A bare number of eight digits is always `yyyymmdd`; one of at most seven digits is an
/// Excel serial in the 1900 date system, `1..=2958465`, fraction (time of day) ignored.
/// Serial 60 is Lotus 1-2-3's fictional 1900-02-29 and gives `None`, as do impossible dates.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let folded = fold_width(raw);
    let s = folded.trim();
    if let Some((int, frac)) = split_number(s) {
        return match int.len() {
            8 if frac.bytes().all(|b| b == b'0') => ymd(&int[..4], &int[4..6], &int[6..]),
            1..=7 => excel_serial_date(int.parse().ok()?),
            _ => None,
        };
    }
    let (date, time) = match s.split_once(|c: char| c.is_whitespace() || c == 'T') {
        Some((date, time)) => (date, Some(time.trim())),
        None => (s, None),
    };
    if let Some(time) = time
        && NaiveTime::parse_from_str(time, "%H:%M:%S%.f").is_err()
        && NaiveTime::parse_from_str(time, "%H:%M").is_err()
    {
        return None;
    }
    if let Some((y, rest)) = date.split_once('年') {
        let (m, d) = rest.split_once('月')?;
        return ymd(y, m, d.strip_suffix('日').unwrap_or(d));
    }
    let sep = date.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut parts = date.split(sep);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d), None) => ymd(y, m, d),
        _ => None,
    }
}

/// Parse a report month: `2018年3月`, `2018年03月`, `2018-03`, `2018/3`, `2018.03`, `201803`,
/// or any date [`parse_date`] accepts (giving its month). Years outside 1900..=2100 and
/// months outside 1..=12 give `None`, and so does a bare number of fewer than five digits:
/// read as an Excel serial it would be a day in 1900–1927, which in a month column is far
/// likelier a typo than a date.
pub fn parse_month(raw: &str) -> Option<(i32, u32)> {
    let folded = fold_width(raw);
    let s = folded.trim();
    let year_month = if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        Some((&s[..4], &s[4..]))
    } else if let Some((y, m)) = s.split_once('年')
        && let Some(m) = m.strip_suffix('月')
    {
        Some((y, m))
    } else {
        s.split_once(['-', '/', '.']).filter(|(y, m)| {
            is_digits(y, 4..=4) && !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit())
        })
    };
    let (year, month) = match year_month {
        Some((y, m)) if is_digits(y, 4..=4) && is_digits(m, 1..=2) => {
            (y.parse().ok()?, m.parse().ok()?)
        }
        Some(_) => return None,
        None => {
            if split_number(s).is_some_and(|(int, _)| int.len() < 5) {
                return None;
            }
            let date = parse_date(s)?;
            (date.year(), date.month())
        }
    };
    ((1900..=2100).contains(&year) && (1..=12).contains(&month)).then_some((year, month))
}

/// The canonical form of a month: `2018-03`.
pub fn format_month(year: i32, month: u32) -> String {
    format!("{year:04}-{month:02}")
}

/// Split `digits[.digits]` into its integer and fraction parts; `None` for anything else.
fn split_number(s: &str) -> Option<(&str, &str)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    (!int.is_empty() && digits(int) && digits(frac)).then_some((int, frac))
}

fn is_digits(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A date from a four-digit year, and a one- or two-digit month and day.
fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    if !(is_digits(y, 4..=4) && is_digits(m, 1..=2) && is_digits(d, 1..=2)) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The date of an Excel serial day number (1900 date system): 1 is 1900-01-01, and
/// Excel counts a 1900-02-29 (serial 60) that never was, so from 61 on the real epoch
/// is 1899-12-30.
fn excel_serial_date(serial: u32) -> Option<NaiveDate> {
    let epoch = match serial {
        1..=59 => NaiveDate::from_ymd_opt(1899, 12, 31)?,
        61..=MAX_EXCEL_SERIAL => NaiveDate::from_ymd_opt(1899, 12, 30)?,
        _ => return None,
    };
    epoch.checked_add_days(chrono::Days::new(serial.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn parses_every_date_form() {
        let want = date(2018, 3, 15);
        for raw in [
            "2018-03-15",
            "2018/3/15",
            "2018.3.15",
            "2018年3月15日",
            "2018年03月15日",
            "20180315",
            "20180315.0",
            "2018-03-15 10:20:00",
            "2018/3/15 10:20",
            "2018-03-15T10:20:00.250",
            "２０１８－０３－１５",
            "２０１８年３月１５日\u{3000}",
            " 43174 ",
            "43174.0",
            "43174.5",
        ] {
            assert_eq!(parse_date(raw), want, "{raw}");
        }
    }

    #[test]
    fn excel_serials_follow_the_1900_system() {
        assert_eq!(parse_date("1"), date(1900, 1, 1));
        assert_eq!(parse_date("59"), date(1900, 2, 28));
        assert_eq!(parse_date("60"), None, "Lotus's 1900-02-29");
        assert_eq!(parse_date("61"), date(1900, 3, 1));
        assert_eq!(parse_date("43101"), date(2018, 1, 1));
        assert_eq!(parse_date("2958465"), date(9999, 12, 31));
        assert_eq!(parse_date("2958466"), None);
        assert_eq!(parse_date("0"), None);
    }

    #[test]
    fn rejects_impossible_and_malformed_dates() {
        for raw in [
            "2019-02-29",
            "20190229",
            "2018-13-01",
            "2018-3",
            "2018-03-15-01",
            "18-03-15",
            "2018-03-15 早上",
            "2018-03/15",
            "123456789",
            "",
            "-43174",
        ] {
            assert_eq!(parse_date(raw), None, "{raw}");
        }
    }

    #[test]
    fn parses_every_month_form() {
        for raw in [
            "2018年3月",
            "2018年03月",
            "2018-03",
            "2018/3",
            "2018.03",
            "201803",
            "２０１８年３月",
            "2018-03-15",
            "2018年3月15日 10:20",
            "43174",
        ] {
            assert_eq!(parse_month(raw), Some((2018, 3)), "{raw}");
        }
        assert_eq!(format_month(2018, 3), "2018-03");
    }

    #[test]
    fn rejects_impossible_months() {
        for raw in [
            "2018-00", "2018-13", "201813", "1899-12", "2101-01", "2018", "2018.123", "18-03",
            "三月", "",
        ] {
            assert_eq!(parse_month(raw), None, "{raw}");
        }
    }

    /// Days since 0000-03-01 by Hinnant's `days_from_civil`, independent of chrono.
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe
    }

    /// Excel's serial of a date on or after 1900-01-01, counting the fictional 1900-02-29.
    fn excel_serial(d: NaiveDate) -> i64 {
        let days =
            |d: NaiveDate| days_from_civil(d.year().into(), d.month().into(), d.day().into());
        let serial = days(d) - days_from_civil(1899, 12, 31);
        if serial >= 60 { serial + 1 } else { serial }
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        let first = date(1900, 1, 1).unwrap();
        let span = date(9999, 12, 31)
            .unwrap()
            .signed_duration_since(first)
            .num_days();
        (0..=span).prop_map(move |n| first + chrono::Duration::days(n))
    }

    fn wide(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 + 0xfee0).unwrap(),
                other => other,
            })
            .collect()
    }

    proptest! {
        /// The shortcut for `%Y-%m-%d %H:%M:%S` gives what chrono gives, for every string of
        /// that shape (impossible dates and times, leap seconds included) and near it.
        #[test]
        fn the_iso_shortcut_agrees_with_chrono(
            s in "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}|[0-9: -]{17,21}|20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-6][0-9]:[0-6][0-9]"
        ) {
            let format = "%Y-%m-%d %H:%M:%S";
            let items = StrftimeItems::new(format).parse_to_owned().unwrap();
            let chrono_only = DateTimeFormats { formats: vec![(items, true, false)] };
            let with_shortcut = DateTimeFormats::new(&[format]);
            prop_assert!(with_shortcut.formats[0].2, "the shortcut is on");
            prop_assert_eq!(with_shortcut.parse(&s), chrono_only.parse(&s), "{}", s);
            if let Some(dt) = iso_seconds(&s) {
                prop_assert_eq!(Some(dt), chrono_only.parse(&s), "{}", s);
            }
        }

        #[test]
        fn every_written_form_parses_back(d in any_date(), secs in 0u32..86_400) {
            let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap();
            let serial = excel_serial(d);
            let forms = [
                d.format("%Y-%m-%d").to_string(),
                d.format("%Y/%-m/%-d").to_string(),
                d.format("%Y/%m/%d").to_string(),
                d.format("%Y.%-m.%-d").to_string(),
                d.format("%Y年%-m月%-d日").to_string(),
                d.format("%Y年%m月%d日").to_string(),
                d.format("%Y%m%d").to_string(),
                d.and_time(time).format("%Y-%m-%d %H:%M:%S").to_string(),
                d.and_time(time).format("%Y年%-m月%-d日 %H:%M").to_string(),
                wide(&d.format("%Y-%m-%d").to_string()),
                wide(&d.format("%Y年%-m月%-d日").to_string()),
            ];
            let serials = [
                serial.to_string(),
                format!("{serial}.0"),
                format!("{serial}.{}", secs % 1000),
            ];
            for form in forms.iter().chain(&serials) {
                prop_assert_eq!(parse_date(form), Some(d), "{}", form);
            }
            // parse_month refuses serials below 10000 (before 1927-05-18) by design.
            let month_forms = if serial >= 10_000 { &serials[..] } else { &[] };
            if (1900..=2100).contains(&d.year()) {
                for form in forms.iter().chain(month_forms) {
                    prop_assert_eq!(parse_month(form), Some((d.year(), d.month())), "{}", form);
                }
            }
        }

        #[test]
        fn month_forms_round_trip(y in 1900i32..=2100, m in 1u32..=12) {
            let forms = [
                format!("{y}年{m}月"),
                format!("{y}年{m:02}月"),
                format!("{y}-{m:02}"),
                format!("{y}/{m}"),
                format!("{y}.{m:02}"),
                format!("{y}{m:02}"),
                wide(&format!("{y}-{m}")),
                format_month(y, m),
            ];
            for form in &forms {
                prop_assert_eq!(parse_month(form), Some((y, m)), "{}", form);
            }
        }

        #[test]
        fn months_outside_the_range_are_rejected(y in 1000i32..=9999, m in 0u32..=99) {
            prop_assume!(!(1900..=2100).contains(&y) || !(1..=12).contains(&m));
            prop_assert_eq!(parse_month(&format!("{y}-{m:02}")), None);
            prop_assert_eq!(parse_month(&format!("{y}年{m}月")), None);
        }
    }
}

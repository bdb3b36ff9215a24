//! Owns time: monthly seasonality, time-of-day profile, drawing order
//! timestamps, and the timestamp spellings the platforms use.

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};

use crate::catalog::Sector;
use crate::rng::SplitMix64;

/// Relative order volume by month. Tea peaks with the spring (Apr–May) and
/// autumn (Oct) harvests; everything peaks on Double 11 and dips over the
/// Spring Festival. The same weights every year keep growth purely volume.
fn month_weights(sector: Sector) -> [f64; 12] {
    match sector {
        Sector::Agri => [0.9, 0.6, 0.8, 1.2, 1.3, 1.0, 0.7, 0.7, 1.0, 1.3, 1.6, 1.0],
        Sector::NonAgri => [0.9, 0.6, 0.9, 0.9, 0.9, 1.2, 0.8, 0.8, 0.9, 1.0, 1.8, 1.2],
    }
}

/// Orders by hour of day: quiet overnight, busy late morning and evening.
const HOUR_WEIGHTS: [f64; 24] = [
    0.6, 0.3, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.4, 1.7, 1.6, 1.3, 1.3, 1.4, 1.4, 1.3, 1.2,
    1.2, 1.5, 1.9, 2.1, 1.8, 1.1,
];

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

fn at(year: i32, month: u32, day: u32, secs_of_day: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60))
        .unwrap_or_default()
}

fn draw_secs_of_day(rng: &mut SplitMix64) -> u32 {
    let hour = rng.weighted(&HOUR_WEIGHTS) as u32;
    hour * 3600 + rng.below(3600) as u32
}

/// Creation time for an order in `year`, restricted to `first_month..=12`
/// (Douyin shops only open in May 2018).
pub fn draw_created(
    rng: &mut SplitMix64,
    year: i32,
    first_month: u32,
    sector: Sector,
) -> NaiveDateTime {
    let weights = month_weights(sector);
    let from = (first_month.clamp(1, 12) - 1) as usize;
    let month = (from + rng.weighted(&weights[from..])) as u32 + 1;
    let dim = days_in_month(year, month);
    // Double 11 and 618 are single-day spikes on top of the monthly level.
    let day = match month {
        11 if rng.chance(0.20) => 11,
        6 if rng.chance(0.08) => 18,
        _ => rng.range(1, i64::from(dim)) as u32,
    };
    at(year, month, day, draw_secs_of_day(rng))
}

/// Creation time for benchmark rows: row `k` of `n` in `year` sits in the
/// k-th equal slice of the year, so the file is time-ordered without sorting.
pub fn sweep_created(rng: &mut SplitMix64, year: i32, k: u64, n: u64) -> NaiveDateTime {
    let start = at(year, 1, 1, 0);
    let span = at(year + 1, 1, 1, 0) - start;
    let total = span.num_seconds().max(1) as u64;
    let slice = total / n.max(1);
    let offset = k * total / n.max(1) + rng.below(slice.max(1));
    start + Duration::seconds(offset.min(total - 1) as i64)
}

/// Payment lag after order creation: mostly within two minutes.
pub fn draw_payment_lag(rng: &mut SplitMix64) -> Duration {
    let secs = match rng.below(100) {
        0..=69 => rng.range(5, 120),
        70..=94 => rng.range(120, 1800),
        _ => rng.range(1800, 6 * 3600),
    };
    Duration::seconds(secs)
}

/// `2019-03-05 12:03:04`
pub struct Iso(pub NaiveDateTime);
/// `2019年03月05日 12:03:04` (Douyin)
pub struct CnLong(pub NaiveDateTime);
/// `2019/03/05 12:03` (Douyin's alternative spelling)
pub struct SlashPadded(pub NaiveDateTime);
/// `2019/3/5 12:03` (JD text cells)
pub struct SlashShort(pub NaiveDateTime);

impl fmt::Display for Iso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

impl fmt::Display for CnLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{:04}年{:02}月{:02}日 {:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

impl fmt::Display for SlashPadded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{:04}/{:02}/{:02} {:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        )
    }
}

impl fmt::Display for SlashShort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{}/{}/{} {:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = at(2019, 3, 5, 12 * 3600 + 3 * 60 + 4);
        assert_eq!(Iso(t).to_string(), "2019-03-05 12:03:04");
        assert_eq!(CnLong(t).to_string(), "2019年03月05日 12:03:04");
        assert_eq!(SlashPadded(t).to_string(), "2019/03/05 12:03");
        assert_eq!(SlashShort(t).to_string(), "2019/3/5 12:03");
    }

    #[test]
    fn douyin_window_respected() {
        let mut r = SplitMix64::new(1);
        for _ in 0..2000 {
            let t = draw_created(&mut r, 2018, 5, Sector::Agri);
            assert!(t.month() >= 5 && t.year() == 2018);
        }
    }

    #[test]
    fn sweep_stays_in_year() {
        let mut r = SplitMix64::new(1);
        for k in [0u64, 1, 500, 999] {
            assert_eq!(sweep_created(&mut r, 2017, k, 1000).year(), 2017);
        }
    }
}

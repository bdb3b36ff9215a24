//! Owns the deliberately bad rows: which kinds exist, which layouts get which,
//! how many a file gets, and the garbage strings that stand in for good values.
//!
//! A bad row replaces the rendering of an otherwise normal line, except a
//! duplicate, which writes its (clean) line a second time, byte for byte.

use std::fmt;

use crate::rng::SplitMix64;
use crate::shops::Platform;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BadKind {
    /// Amount that is not a number: `12..5` / `abc` (JD: a text cell `N/A`).
    UnparseableAmount,
    /// Month 13, day 45.
    ImpossibleDate,
    /// The line's own amount with a minus sign.
    NegativeAmount,
    /// Status `异常订单`, which no platform defines.
    UnknownStatus,
    /// The same row written twice.
    DuplicateLine,
    /// Order id left empty.
    EmptyOrderId,
    /// Last field dropped (CSV layouts only).
    MissingField,
}

impl BadKind {
    pub const ALL: [BadKind; 7] = [
        BadKind::UnparseableAmount,
        BadKind::ImpossibleDate,
        BadKind::NegativeAmount,
        BadKind::UnknownStatus,
        BadKind::DuplicateLine,
        BadKind::EmptyOrderId,
        BadKind::MissingField,
    ];

    pub fn label(self) -> &'static str {
        match self {
            BadKind::UnparseableAmount => "unparseable_amount",
            BadKind::ImpossibleDate => "impossible_date",
            BadKind::NegativeAmount => "negative_amount",
            BadKind::UnknownStatus => "unknown_status",
            BadKind::DuplicateLine => "duplicate_line",
            BadKind::EmptyOrderId => "empty_order_id",
            BadKind::MissingField => "missing_field",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Kinds a platform's export can exhibit: an xlsx has no "short row".
pub fn kinds_for(platform: Platform) -> Vec<BadKind> {
    BadKind::ALL
        .into_iter()
        .filter(|k| !(platform == Platform::Jd && *k == BadKind::MissingField))
        .collect()
}

/// Target share of bad rows (all kinds together).
pub const BAD_RATE: f64 = 0.001;

pub const UNKNOWN_STATUS: &str = "异常订单";
pub const JD_UNPARSEABLE: &str = "N/A";

pub fn unparseable_amount(style: u32) -> &'static str {
    if style & 1 == 0 { "12..5" } else { "abc" }
}

/// `2019-13-45 10:00:00`
pub struct ImpossibleIso(pub i32);
/// `2019年13月45日 10:00:00`
pub struct ImpossibleCn(pub i32);

impl fmt::Display for ImpossibleIso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-13-45 10:00:00", self.0)
    }
}

impl fmt::Display for ImpossibleCn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}年13月45日 10:00:00", self.0)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BadCounts([u64; 7]);

impl BadCounts {
    pub fn add(&mut self, kind: BadKind) {
        self.0[kind.index()] += 1;
    }

    pub fn get(&self, kind: BadKind) -> u64 {
        self.0[kind.index()]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl fmt::Display for BadCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for kind in BadKind::ALL {
            let n = self.get(kind);
            if n > 0 {
                if !first {
                    write!(f, ", ")?;
                }
                write!(f, "{}={n}", kind.label())?;
                first = false;
            }
        }
        if first {
            write!(f, "none")?;
        }
        Ok(())
    }
}

/// Marks distinct lines of a sample file as bad: every applicable kind at
/// least once (so each file exercises every quarantine rule), otherwise
/// about [`BAD_RATE`] of lines spread evenly over the kinds.
pub fn plan_sample(
    rng: &mut SplitMix64,
    n_lines: usize,
    platform: Platform,
) -> Vec<Option<BadKind>> {
    let kinds = kinds_for(platform);
    let per_kind = ((n_lines as f64 * BAD_RATE / kinds.len() as f64).round() as usize).max(1);
    let mut marks = vec![None; n_lines];
    let wanted = (per_kind * kinds.len()).min(n_lines);
    let mut placed = 0;
    'outer: for kind in &kinds {
        for _ in 0..per_kind {
            if placed == wanted {
                break 'outer;
            }
            loop {
                let i = rng.below(n_lines as u64) as usize;
                if marks[i].is_none() {
                    marks[i] = Some(*kind);
                    placed += 1;
                    break;
                }
            }
        }
    }
    marks
}

/// Streaming counterpart for benchmark files: each row is bad with
/// probability [`BAD_RATE`], kind uniform over the layout's kinds.
#[derive(Debug)]
pub struct Injector {
    rng: SplitMix64,
    kinds: Vec<BadKind>,
}

impl Injector {
    pub fn new(rng: SplitMix64, platform: Platform) -> Self {
        Self {
            rng,
            kinds: kinds_for(platform),
        }
    }

    pub fn next(&mut self) -> Option<BadKind> {
        if self.rng.chance(BAD_RATE) {
            Some(self.kinds[self.rng.below(self.kinds.len() as u64) as usize])
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_plan_covers_every_kind() {
        let mut rng = SplitMix64::new(9);
        let marks = plan_sample(&mut rng, 4000, Platform::Taobao);
        let mut counts = BadCounts::default();
        for k in marks.iter().flatten() {
            counts.add(*k);
        }
        for k in BadKind::ALL {
            assert!(counts.get(k) >= 1, "{k:?}");
        }
        let jd = plan_sample(&mut rng, 4000, Platform::Jd);
        assert!(!jd.contains(&Some(BadKind::MissingField)));
    }
}

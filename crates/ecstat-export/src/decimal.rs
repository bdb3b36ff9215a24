//! Exact decimal text of the table's Decimal128 cells: figures reach CSV, SDMX and HTML text
//! from their integer and scale, never through `f64`, so 0.1 + 0.2 stays 0.3 and a yuan
//! amount of 18 digits keeps its last fen.

use std::fmt;

/// A decimal number as Arrow stores it: `units × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub units: i128,
    pub scale: i8,
}

impl Decimal {
    pub fn new(units: i128, scale: i8) -> Self {
        Self { units, scale }
    }

    /// For chart geometry and spreadsheet numbers only, where a rounding in the 16th digit
    /// does not show.
    pub fn to_f64(self) -> f64 {
        self.units as f64 / 10f64.powi(i32::from(self.scale))
    }

    /// The same number in a unit `10^digits` times larger (元 → 万元 is `shift(4)`); exact,
    /// only the scale moves.
    pub fn shift(self, digits: i8) -> Self {
        Self {
            units: self.units,
            scale: self.scale.saturating_add(digits),
        }
    }

    /// Rounded half away from zero to `places` decimals (the usual 四舍五入).
    pub fn round(self, places: i8) -> Self {
        let places = places.max(0);
        let scale = self.scale.max(0);
        let units = if self.scale < 0 {
            self.units
                .saturating_mul(pow10(u32::from(self.scale.unsigned_abs())))
        } else {
            self.units
        };
        if places >= scale {
            return Self {
                units: units.saturating_mul(pow10((places - scale) as u32)),
                scale: places,
            };
        }
        let divisor = pow10((scale - places) as u32);
        let mut quotient = units / divisor;
        let remainder = (units % divisor).abs();
        if remainder >= divisor - remainder {
            quotient += units.signum();
        }
        Self {
            units: quotient,
            scale: places,
        }
    }

    /// `-1,234,567.89`: thousands grouped, the scale's decimals kept.
    pub fn grouped(self) -> String {
        let plain = self.to_string();
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (digits, None),
        };
        let mut out = String::with_capacity(plain.len() + int.len() / 3);
        out.push_str(sign);
        for (k, c) in int.chars().enumerate() {
            if k > 0 && (int.len() - k) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if let Some(frac) = frac {
            out.push('.');
            out.push_str(frac);
        }
        out
    }

    /// For people: rounded to two decimals and grouped, the decimals dropped when both are
    /// zero (`2,000` 家, `12.50`%).
    pub fn display(self) -> String {
        let rounded = self.round(2);
        if rounded.units % 100 == 0 {
            Self::new(rounded.units / 100, 0).grouped()
        } else {
            rounded.grouped()
        }
    }
}

fn pow10(exp: u32) -> i128 {
    10i128.saturating_pow(exp)
}

/// Every digit the scale holds: `540.0000`, `-0.5000`, `12` (what arrow's CSV writer prints).
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale <= 0 {
            let units = self
                .units
                .saturating_mul(pow10(u32::from(self.scale.unsigned_abs())));
            return write!(f, "{units}");
        }
        let scale = self.scale as usize;
        let digits = self.units.unsigned_abs().to_string();
        let digits = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = digits.split_at(digits.len() - scale);
        let sign = if self.units < 0 { "-" } else { "" };
        write!(f, "{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_every_digit_of_the_scale() {
        assert_eq!(Decimal::new(5_400_000, 4).to_string(), "540.0000");
        assert_eq!(Decimal::new(-5_000, 4).to_string(), "-0.5000");
        assert_eq!(Decimal::new(7, 2).to_string(), "0.07");
        assert_eq!(Decimal::new(12, 0).to_string(), "12");
        assert_eq!(Decimal::new(12, -2).to_string(), "1200");
        // 18 digits of yuan and 4 of scale: more than f64 holds.
        assert_eq!(
            Decimal::new(12_345_678_901_234_567_890_001, 4).to_string(),
            "1234567890123456789.0001"
        );
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(Decimal::new(12_345, 4).round(2), Decimal::new(123, 2));
        assert_eq!(Decimal::new(12_350, 4).round(2), Decimal::new(124, 2));
        assert_eq!(Decimal::new(-12_350, 4).round(2), Decimal::new(-124, 2));
        assert_eq!(Decimal::new(5, 0).round(2), Decimal::new(500, 2));
    }

    #[test]
    fn groups_thousands_for_people() {
        assert_eq!(Decimal::new(54_000_000_000, 4).display(), "5,400,000");
        assert_eq!(Decimal::new(-123_456_789, 4).display(), "-12,345.68");
        assert_eq!(Decimal::new(125_000, 4).display(), "12.50");
        assert_eq!(Decimal::new(999, 0).display(), "999");
        // 元 → 万元 moves the scale only.
        assert_eq!(Decimal::new(54_000_000_000, 4).shift(4).display(), "540");
    }
}

//! Money: exact decimal yuan, held as integer fen (cents) so that sums never drift.
//!
//! Amounts arrive as `1,234.50`, `¥12`, `128.00元`, `-35`, or in 万元 in department
//! reports. They are parsed digit by digit, never through a float.

/// Unit in which a source reports money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountUnit {
    /// 元
    Yuan,
    /// 万元 (10,000 yuan)
    WanYuan,
}

impl AmountUnit {
    fn fen_per_unit(self) -> i128 {
        match self {
            AmountUnit::Yuan => 100,
            AmountUnit::WanYuan => 1_000_000,
        }
    }
}

/// Why a money value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("not a number")]
    NotANumber,
    #[error("too large")]
    Overflow,
}

/// Largest magnitude that fits `Decimal128(18, 2)`.
const MAX_FEN: i128 = 999_999_999_999_999_999;

/// Parse a money cell into fen (1/100 yuan), rounding half away from zero below one fen.
///
/// Accepts thousands separators, a leading `¥`/`￥`, a trailing `元`/`万元` (a trailing 万元
/// overrides `unit`), full-width digits and a leading sign. Anything else is an error.
pub fn parse_fen(raw: &str, unit: AmountUnit) -> Result<i128, AmountError> {
    let mut s: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            '－' => '-',
            other => other,
        })
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    let mut unit = unit;
    if let Some(rest) = s.strip_suffix("万元") {
        unit = AmountUnit::WanYuan;
        s = rest.to_string();
    } else if let Some(rest) = s.strip_suffix('元') {
        s = rest.to_string();
    }
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    let body = body
        .strip_prefix('¥')
        .or_else(|| body.strip_prefix('￥'))
        .unwrap_or(body);
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(AmountError::NotANumber);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(AmountError::NotANumber);
    }
    // value = digits / 10^scale units; fen = value * fen_per_unit, rounded.
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return Err(AmountError::Overflow);
    }
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| AmountError::Overflow)?
    };
    let scale = u32::try_from(frac_part.len()).map_err(|_| AmountError::Overflow)?;
    let numerator = mantissa
        .checked_mul(unit.fen_per_unit())
        .ok_or(AmountError::Overflow)?;
    let denominator = 10i128.checked_pow(scale).ok_or(AmountError::Overflow)?;
    let mut fen = numerator / denominator;
    if (numerator % denominator) * 2 >= denominator {
        fen += 1;
    }
    if fen > MAX_FEN {
        return Err(AmountError::Overflow);
    }
    Ok(if negative { -fen } else { fen })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan(s: &str) -> Result<i128, AmountError> {
        parse_fen(s, AmountUnit::Yuan)
    }

    #[test]
    fn parses_platform_forms() {
        assert_eq!(yuan("128.00元"), Ok(12_800));
        assert_eq!(yuan("1,234.5"), Ok(123_450));
        assert_eq!(yuan("¥12"), Ok(1_200));
        assert_eq!(yuan(" -35.00 "), Ok(-3_500));
        assert_eq!(yuan("0"), Ok(0));
        assert_eq!(yuan(".5"), Ok(50));
        assert_eq!(yuan("１２．３"), Ok(1_230));
    }

    #[test]
    fn wan_yuan_is_exact() {
        assert_eq!(parse_fen("1.2345", AmountUnit::WanYuan), Ok(1_234_500));
        assert_eq!(yuan("3.5万元"), Ok(3_500_000));
        assert_eq!(parse_fen("0.000001", AmountUnit::WanYuan), Ok(1));
    }

    #[test]
    fn rounds_sub_fen_half_away_from_zero() {
        assert_eq!(yuan("0.005"), Ok(1));
        assert_eq!(yuan("0.0049"), Ok(0));
        assert_eq!(yuan("-0.005"), Ok(-1));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "abc", "12..5", "1.2.3", "N/A", "--5", "元", "1e5"] {
            assert_eq!(yuan(bad), Err(AmountError::NotANumber), "{bad}");
        }
        assert_eq!(yuan("99999999999999999999"), Err(AmountError::Overflow));
    }
}

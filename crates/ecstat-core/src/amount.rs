//! Money: exact decimal yuan, held as integer fen (cents) so that sums never drift.
//!
//! Amounts arrive as `1,234.50`, `¥12`, `128.00元`, `-35`, or in 万元/亿元 in department
//! reports (`12.5万`, `3.2亿元`). They are parsed digit by digit, never through a float.

/// Unit in which a source reports money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountUnit {
    /// 元
    Yuan,
    /// 万元 (10,000 yuan)
    WanYuan,
    /// 亿元 (100,000,000 yuan)
    YiYuan,
}

impl AmountUnit {
    fn fen_per_unit(self) -> i128 {
        match self {
            AmountUnit::Yuan => 100,
            AmountUnit::WanYuan => 1_000_000,
            AmountUnit::YiYuan => 10_000_000_000,
        }
    }

    /// The unit's name in specs and SQL: `yuan`, `wan_yuan`, `yi_yuan` (as serde spells it).
    pub fn as_str(self) -> &'static str {
        match self {
            AmountUnit::Yuan => "yuan",
            AmountUnit::WanYuan => "wan_yuan",
            AmountUnit::YiYuan => "yi_yuan",
        }
    }
}

/// What to do with an amount finer than one fen (`12.345` yuan).
///
/// A platform's own amounts are whole fen; more decimals mean a computed or mangled cell
/// (a spreadsheet formula, a unit mix-up), so by default such a cell is not read and its
/// row is quarantined. A spec whose source really rounds (an average price, a 万元 figure
/// with six decimals) says so with `amount_rounding = "half_up"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Only whole fen are read; a finer amount is an error.
    #[default]
    Exact,
    /// Rounded to the nearest fen, halves away from zero.
    HalfUp,
}

impl Rounding {
    /// The rule's name in specs and SQL: `exact`, `half_up`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Exact => "exact",
            Rounding::HalfUp => "half_up",
        }
    }

    /// The rule named `name` (as [`Rounding::as_str`] spells it).
    pub fn named(name: &str) -> Option<Self> {
        [Rounding::Exact, Rounding::HalfUp]
            .into_iter()
            .find(|r| r.as_str() == name)
    }
}

/// Why a money value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("not a number")]
    NotANumber,
    #[error("too large")]
    Overflow,
    #[error("finer than one fen")]
    FinerThanFen,
}

/// Largest magnitude that fits `Decimal128(18, 2)`.
const MAX_FEN: i128 = 999_999_999_999_999_999;

/// Parse a money cell into fen (1/100 yuan); an amount finer than one fen is an error
/// under [`Rounding::Exact`] and rounded half away from zero under [`Rounding::HalfUp`].
///
/// Accepts thousands separators, a leading `¥`/`￥`, a trailing `元`, full-width digits and a
/// leading sign. A trailing `万元`/`万` or `亿元`/`亿` overrides `unit`. Anything else is an
/// error.
pub fn parse_fen(raw: &str, unit: AmountUnit, rounding: Rounding) -> Result<i128, AmountError> {
    let plain = raw.trim();
    // Most cells are ASCII digits with at most a sign and a decimal point: nothing to
    // rewrite, so no copy of them is made.
    if plain
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
    {
        return number_to_fen(plain, unit, rounding);
    }
    let mut s: String = plain
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
    if let Some(rest) = s.strip_suffix('元') {
        s.truncate(rest.len());
    }
    if let Some(rest) = s.strip_suffix('万') {
        unit = AmountUnit::WanYuan;
        s.truncate(rest.len());
    } else if let Some(rest) = s.strip_suffix('亿') {
        unit = AmountUnit::YiYuan;
        s.truncate(rest.len());
    }
    number_to_fen(&s, unit, rounding)
}

/// Fen of a number written `[-+][¥￥]digits[.digits]` in `unit`.
fn number_to_fen(s: &str, unit: AmountUnit, rounding: Rounding) -> Result<i128, AmountError> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
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
    // value = digits / 10^scale units; fen = value * fen_per_unit, rounded. At most 30
    // significant digits: the mantissa fits an i128.
    let mut mantissa: i128 = 0;
    let mut significant = 0usize;
    for b in int_part.bytes().chain(frac_part.bytes()) {
        if significant == 0 && b == b'0' {
            continue;
        }
        significant += 1;
        if significant > 30 {
            return Err(AmountError::Overflow);
        }
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    let scale = u32::try_from(frac_part.len()).map_err(|_| AmountError::Overflow)?;
    let numerator = mantissa
        .checked_mul(unit.fen_per_unit())
        .ok_or(AmountError::Overflow)?;
    let denominator = 10i128.checked_pow(scale).ok_or(AmountError::Overflow)?;
    let mut fen = numerator / denominator;
    let rest = numerator % denominator;
    if rest != 0 && rounding == Rounding::Exact {
        return Err(AmountError::FinerThanFen);
    }
    if rest * 2 >= denominator {
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
        parse_fen(s, AmountUnit::Yuan, Rounding::Exact)
    }

    fn exact(s: &str, unit: AmountUnit) -> Result<i128, AmountError> {
        parse_fen(s, unit, Rounding::Exact)
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
        assert_eq!(exact("1.2345", AmountUnit::WanYuan), Ok(1_234_500));
        assert_eq!(yuan("3.5万元"), Ok(3_500_000));
        assert_eq!(exact("0.000001", AmountUnit::WanYuan), Ok(1));
    }

    #[test]
    fn yi_and_bare_unit_suffixes_override_the_unit() {
        assert_eq!(yuan("12.5万"), Ok(12_500_000));
        assert_eq!(yuan("3.2亿元"), Ok(32_000_000_000));
        assert_eq!(yuan("-0.5亿"), Ok(-5_000_000_000));
        assert_eq!(exact("1.5万元", AmountUnit::YiYuan), Ok(1_500_000));
        assert_eq!(exact("0.0000000001", AmountUnit::YiYuan), Ok(1));
        assert_eq!(exact("１．２亿", AmountUnit::Yuan), Ok(12_000_000_000));
        assert_eq!(yuan("万"), Err(AmountError::NotANumber));
        assert_eq!(yuan("12万亿"), Err(AmountError::NotANumber));
        assert_eq!(yuan("10000000000亿"), Err(AmountError::Overflow));
    }

    #[test]
    fn unit_names_match_serde() {
        #[derive(serde::Deserialize)]
        struct Wrap {
            unit: AmountUnit,
        }
        for unit in [AmountUnit::Yuan, AmountUnit::WanYuan, AmountUnit::YiYuan] {
            let toml = format!("unit = \"{}\"", unit.as_str());
            let parsed: Wrap = toml::from_str(&toml).unwrap();
            assert_eq!(parsed.unit, unit);
        }
    }

    #[test]
    fn rounds_sub_fen_half_away_from_zero_only_when_asked() {
        let half_up = |s: &str| parse_fen(s, AmountUnit::Yuan, Rounding::HalfUp);
        assert_eq!(half_up("0.005"), Ok(1));
        assert_eq!(half_up("0.0049"), Ok(0));
        assert_eq!(half_up("-0.005"), Ok(-1));
        assert_eq!(half_up("12.30"), Ok(1_230));
        for finer in ["0.005", "12.345", "-0.001", "1.0000001万"] {
            assert_eq!(yuan(finer), Err(AmountError::FinerThanFen), "{finer}");
        }
        // Trailing zeros are not finer than a fen.
        assert_eq!(yuan("12.3400"), Ok(1_234));
        assert_eq!(
            exact("0.0000001", AmountUnit::WanYuan),
            Err(AmountError::FinerThanFen)
        );
    }

    #[test]
    fn rounding_names_match_serde() {
        #[derive(serde::Deserialize)]
        struct Wrap {
            rounding: Rounding,
        }
        for rounding in [Rounding::Exact, Rounding::HalfUp] {
            let toml = format!("rounding = \"{}\"", rounding.as_str());
            let parsed: Wrap = toml::from_str(&toml).unwrap();
            assert_eq!(parsed.rounding, rounding);
            assert_eq!(Rounding::named(rounding.as_str()), Some(rounding));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "abc", "12..5", "1.2.3", "N/A", "--5", "元", "1e5"] {
            assert_eq!(yuan(bad), Err(AmountError::NotANumber), "{bad}");
        }
        assert_eq!(yuan("99999999999999999999"), Err(AmountError::Overflow));
        // Leading zeros are not significant digits; the 31st significant digit overflows.
        assert_eq!(yuan(&format!("{}1.5", "0".repeat(40))), Ok(150));
        assert_eq!(
            parse_fen(
                &format!("0.{}", "1".repeat(30)),
                AmountUnit::Yuan,
                Rounding::HalfUp
            ),
            Ok(11)
        );
        assert_eq!(
            yuan(&format!("0.{}", "1".repeat(31))),
            Err(AmountError::Overflow)
        );
        assert_eq!(yuan("+-5"), Err(AmountError::NotANumber));
        assert_eq!(yuan("-"), Err(AmountError::NotANumber));
        assert_eq!(yuan("."), Err(AmountError::NotANumber));
        assert_eq!(yuan("5."), Ok(500));
    }

    /// `fen` written as yuan with two decimals, optionally with thousands separators.
    fn write_yuan(fen: i128, separators: bool) -> String {
        let sign = if fen < 0 { "-" } else { "" };
        let (int, frac) = (fen.abs() / 100, fen.abs() % 100);
        let mut digits = int.to_string();
        if separators {
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            digits = grouped;
        }
        format!("{sign}{digits}.{frac:02}")
    }

    proptest::proptest! {
        #[test]
        fn yuan_with_two_decimals_round_trips(fen in -MAX_FEN..=MAX_FEN, separators: bool) {
            let written = write_yuan(fen, separators);
            proptest::prop_assert_eq!(yuan(&written), Ok(fen), "{}", written);
        }

        #[test]
        fn wan_yuan_with_six_decimals_round_trips(fen in -MAX_FEN..=MAX_FEN) {
            let sign = if fen < 0 { "-" } else { "" };
            let (wan, rest) = (fen.abs() / 1_000_000, fen.abs() % 1_000_000);
            let written = format!("{sign}{wan}.{rest:06}万元");
            proptest::prop_assert_eq!(yuan(&written), Ok(fen), "{}", written);
        }
    }
}

//! Values of department records that are neither money nor dates: plain decimals (areas,
//! shares), yes/no answers and lists. Exact, no floats; each rule tested here on its own.

/// A plain decimal with at most 4 fractional digits (`1,234.5`, `-3`, `12.3456`), as an
/// integer scaled by 10⁴. No floats; more digits are an error rather than rounded away.
pub fn parse_decimal4(s: &str) -> Option<i128> {
    let s: String = s.chars().filter(|c| *c != ',' && *c != '，').collect();
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 4
        || whole.len() > 14
    {
        return None;
    }
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac_value: i128 = format!("{frac:0<4}").parse().ok()?;
    let value = whole * 10_000 + frac_value;
    Some(if negative { -value } else { value })
}

/// 是/否 and its many spellings.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "是" | "有" | "y" | "yes" | "true" | "1" | "√" | "✓" => Some(true),
        "否" | "无" | "没有" | "n" | "no" | "false" | "0" | "×" | "✗" => Some(false),
        _ => None,
    }
}

/// A list written with any of 、，,；; as separators, rewritten with `、`.
pub fn normalize_list(s: &str) -> Option<String> {
    let items: Vec<&str> = s
        .split(['、', '，', ',', '；', ';'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect();
    (!items.is_empty()).then(|| items.join("、"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal4("1,234.5"), Some(12_345_000));
        assert_eq!(parse_decimal4("-0.0001"), Some(-1));
        assert_eq!(parse_decimal4("12"), Some(120_000));
        assert_eq!(parse_decimal4(".5"), Some(5_000));
        assert_eq!(parse_decimal4("1.23456"), None);
        assert_eq!(parse_decimal4("约12"), None);
        assert_eq!(parse_decimal4("."), None);
        assert_eq!(parse_decimal4(""), None);
    }

    #[test]
    fn booleans_and_lists() {
        assert_eq!(parse_bool("是"), Some(true));
        assert_eq!(parse_bool("Y"), Some(true));
        assert_eq!(parse_bool("无"), Some(false));
        assert_eq!(parse_bool("也许"), None);
        assert_eq!(
            normalize_list("茶叶，铁观音;淮山、 ").as_deref(),
            Some("茶叶、铁观音、淮山")
        );
        assert_eq!(normalize_list("、,"), None);
    }
}

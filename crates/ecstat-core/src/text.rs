//! Cleaning of text cells and header names as platforms and departments export them.

/// Clean one text cell: trim whitespace (including full-width space), unwrap the Excel
/// "force text" forms `="123"` and `'123`, and turn an empty result into `None`.
///
/// Platforms write long order ids as `="2019…"` so that Excel does not round them to 15
/// significant digits; the id itself is what lies inside.
pub fn clean_cell(raw: &str) -> Option<&str> {
    let mut s = trim_all(raw);
    if let Some(inner) = s.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
        s = trim_all(inner);
    } else if let Some(inner) = s.strip_prefix('\'') {
        s = trim_all(inner);
    }
    if s.is_empty() { None } else { Some(s) }
}

fn trim_all(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{feff}')
}

/// Normalise a header for matching: trimmed, full-width brackets and spaces folded to
/// ASCII, inner whitespace removed. `"商品总价（元） "` and `"商品总价(元)"` compare equal.
pub fn normalize_header(raw: &str) -> String {
    trim_all(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            '／' => '/',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_excel_text_and_blanks() {
        assert_eq!(
            clean_cell("=\"2019030512345678901\""),
            Some("2019030512345678901")
        );
        assert_eq!(clean_cell(" '00123 "), Some("00123"));
        assert_eq!(clean_cell("\u{3000}交易成功 "), Some("交易成功"));
        assert_eq!(clean_cell("   "), None);
        assert_eq!(clean_cell("=\"\""), None);
    }

    #[test]
    fn header_normalisation_folds_width_and_space() {
        assert_eq!(normalize_header("订单状态 "), "订单状态");
        assert_eq!(normalize_header("商品总价（元）"), "商品总价(元)");
        assert_eq!(normalize_header("\u{feff}订单号"), "订单号");
    }
}

//! Cleaning of text cells and header names as platforms and departments export them, and
//! the folding of full-width (全角) ASCII that Chinese input methods produce.

use std::borrow::Cow;

/// Clean one text cell: trim whitespace (including full-width space), unwrap the Excel
/// "force text" forms `="123"` and `'123`, and turn an empty result into `None`.
///
/// Platforms write long order ids as `="2019…"` so that Excel does not round them to 15
/// significant digits; the id itself is what lies inside.
pub fn clean_cell(raw: &str) -> Option<&str> {
    // Most cells have nothing to trim or unwrap: said after looking at their two ends.
    let (first, last) = (raw.chars().next()?, raw.chars().next_back()?);
    if !is_trimmed(first) && !is_trimmed(last) && first != '=' && first != '\'' {
        return Some(raw);
    }
    trim_and_unwrap(raw)
}

/// The rule of [`clean_cell`], without its shortcut.
fn trim_and_unwrap(raw: &str) -> Option<&str> {
    let mut s = trim_all(raw);
    if let Some(inner) = s.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
        s = trim_all(inner);
    } else if let Some(inner) = s.strip_prefix('\'') {
        s = trim_all(inner);
    }
    if s.is_empty() { None } else { Some(s) }
}

fn is_trimmed(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}' || c == '\u{feff}'
}

fn trim_all(s: &str) -> &str {
    s.trim_matches(is_trimmed)
}

/// Whether an id cell is what a spreadsheet leaves of an id it took for a number:
/// scientific notation as Excel writes it (`4.71235E+18`: one digit, a fraction, `E+`) or a
/// float's `.0` (`4712350812345678567.0`). Neither is the id any more; the digits are lost
/// or added. An id that merely holds an E (`2019E0012`, `3E7`) is not taken for one.
pub fn is_lossy_id(cell: &str) -> bool {
    let Some(cell) = clean_cell(cell) else {
        return false;
    };
    let bytes = cell.as_bytes();
    let digits = |b: &[u8]| !b.is_empty() && b.iter().all(u8::is_ascii_digit);
    if let Some(e) = bytes.iter().position(|b| matches!(b, b'e' | b'E')) {
        let (mantissa, exponent) = (&bytes[..e], &bytes[e + 1..]);
        let Some(exponent) = exponent.strip_prefix(b"+") else {
            return false;
        };
        let mantissa_ok = match mantissa.iter().position(|b| *b == b'.') {
            Some(dot) => dot == 1 && digits(&mantissa[..dot]) && digits(&mantissa[dot + 1..]),
            None => mantissa.len() == 1 && digits(mantissa),
        };
        return mantissa_ok && digits(exponent);
    }
    match bytes.iter().position(|b| *b == b'.') {
        Some(dot) => {
            digits(&bytes[..dot]) && {
                let fraction = &bytes[dot + 1..];
                !fraction.is_empty() && fraction.iter().all(|b| *b == b'0')
            }
        }
        None => false,
    }
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

/// Fold full-width ASCII (U+FF01..=U+FF5E, `Ａ` `０` `－` `／`…) to ASCII and the ideographic
/// space U+3000 to `' '`. Returns the input borrowed when nothing needs folding.
pub fn fold_width(s: &str) -> Cow<'_, str> {
    fn fold(c: char) -> Option<char> {
        match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0),
            '\u{3000}' => Some(' '),
            _ => None,
        }
    }
    if s.chars().any(|c| fold(c).is_some()) {
        Cow::Owned(s.chars().map(|c| fold(c).unwrap_or(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    #[test]
    fn folds_full_width_ascii_and_space() {
        assert_eq!(fold_width("ＡＢ１２３－４／５"), "AB123-4/5");
        assert_eq!(fold_width("\u{3000}９１３５０５２４！～"), " 91350524!~");
        assert_eq!(fold_width("湖头镇（安溪）"), "湖头镇(安溪)");
        // Outside the block: the half-width katakana area and CJK are left alone.
        assert_eq!(fold_width("ｱ郭埔"), "ｱ郭埔");
        assert!(matches!(fold_width("郭埔村委会 12"), Cow::Borrowed(_)));
    }

    proptest! {
        #[test]
        fn clean_cell_shortcut_agrees_with_the_rule(s in "[ \t\u{3000}\u{feff}\u{a0}=\"'a1中]{0,8}") {
            prop_assert_eq!(clean_cell(&s), trim_and_unwrap(&s));
        }

        #[test]
        fn ascii_is_returned_borrowed_and_unchanged(s in "[\\x00-\\x7f]*") {
            let folded = fold_width(&s);
            prop_assert!(matches!(folded, Cow::Borrowed(_)));
            prop_assert_eq!(folded.as_ref(), s.as_str());
        }

        #[test]
        fn full_width_form_folds_to_its_ascii(s in "[!-~]*") {
            let wide: String = s
                .chars()
                .map(|c| char::from_u32(c as u32 + 0xfee0).unwrap_or(c))
                .collect();
            let folded = fold_width(&wide);
            prop_assert_eq!(folded.as_ref(), s.as_str());
        }
    }

    #[test]
    fn ids_a_spreadsheet_mangled_are_told_apart() {
        for lossy in [
            "4.71235E+18",
            "4.7e+18",
            "1E+15",
            "4712350812345678567.0",
            "123.00",
            " 9.1E+18 ",
        ] {
            assert!(is_lossy_id(lossy), "{lossy}");
        }
        for id in [
            "4712350812345678567",
            "190101-123456789",
            "SO-2019-0001",
            "E100234",
            "12E",
            "1.5",
            "",
            "=\"4712350812345678999\"",
            "Edge",
            "3.0.1",
            "2019E0012",
            "3E7",
            "4.71235E18",
            "12.5E+3",
        ] {
            assert!(!is_lossy_id(id), "{id}");
        }
    }
}

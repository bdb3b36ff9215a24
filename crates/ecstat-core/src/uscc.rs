//! 统一社会信用代码 (unified social credit code, GB 32100-2015): normalisation and
//! check-character validation of the 18-character code that identifies shops and firms.
//!
//! The code is 17 characters from a 31-character alphabet plus a check character: with
//! character values `v1..v17` and weights `w_i = 3^(i-1) mod 31`, the check value is
//! `31 - (Σ v_i·w_i mod 31)`, with 31 written as 0.

use crate::text::fold_width;

/// The code alphabet; a character's value is its index. I, O, S, V and Z are not used.
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1..=17: `3^(i-1) mod 31`.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a code is not a valid 统一社会信用代码. Messages are Chinese, then English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Not 18 characters after normalisation.
    #[error("应为18位，实为{0}位 / should be 18 characters, found {0}")]
    WrongLength(usize),
    /// A character outside [`ALPHABET`]; `position` counts from 1.
    #[error("第{position}位“{ch}”不是代码字符 / character {position} '{ch}' is not allowed")]
    BadChar { position: usize, ch: char },
    /// The 18th character does not match the first 17.
    #[error(
        "第18位校验码应为 {expected}，实为 {found} / check character should be {expected}, found {found}"
    )]
    CheckDigit { expected: char, found: char },
}

/// Value of `c` in the alphabet, if it belongs to it.
fn value(c: char) -> Option<u32> {
    ALPHABET.find(c).and_then(|i| u32::try_from(i).ok())
}

/// The check character for the first 17 characters of a code, or `None` unless `first17`
/// is exactly 17 characters of [`ALPHABET`] (already normalised: upper case, half width).
pub fn check_char(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(check as usize)
}

/// Trim, fold full-width characters to ASCII and upper-case: the form codes are stored in.
pub fn normalize(code: &str) -> String {
    fold_width(code).trim().to_uppercase()
}

/// Check a code after [`normalize`]: its length, its alphabet and its check character.
pub fn validate(code: &str) -> Result<(), UsccError> {
    let code = normalize(code);
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(UsccError::WrongLength(chars.len()));
    }
    if let Some((i, &ch)) = chars.iter().enumerate().find(|(_, c)| value(**c).is_none()) {
        return Err(UsccError::BadChar {
            position: i + 1,
            ch,
        });
    }
    // All 18 characters are in the (ASCII) alphabet, so byte 17 is character 18.
    let Some(expected) = check_char(&code[..17]) else {
        unreachable!("17 alphabet characters always have a check character")
    };
    let found = chars[17];
    if expected == found {
        Ok(())
    } else {
        Err(UsccError::CheckDigit { expected, found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Real codes, each checked by hand (value*weight over the non-zero characters):
    const REAL: &[&str] = &[
        // 9*1+1*3+1*9+1*27+6*20+3*8+7*24+3*10+4*30+1*28 = 538 = 17*31+11; 31-11 = 20 = L
        "91110000600037341L",
        // 9*1+1*3+4*9+4*27+3*26+1*20+9*29+2*25+2*13+3*24+8*10+2*30+1*28 = 831 = 26*31+25;
        // 31-25 = 6
        "914403001922038216",
        // …+6*30+29*28 (X = 29) = 1782 = 57*31+15; 31-15 = 16 = G
        "9144030071526726XG",
        // 9*1+1*3+3*9+3*27+1*26+7*20+1*29+6*25+1*13+5*24+8*10+5*30+2*28 = 884 = 28*31+16;
        // 31-16 = 15 = F
        "91330100716105852F",
    ];

    /// The rule restated independently: weights from `pow`, values from a `match`.
    fn reference_check(first17: &str) -> char {
        let sum: u64 = first17
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let v = match c {
                    '0'..='9' => c as u64 - '0' as u64,
                    _ => 10 + "ABCDEFGHJKLMNPQRTUWXY".find(c).unwrap() as u64,
                };
                v * (3u64.pow(i as u32) % 31)
            })
            .sum();
        ALPHABET.as_bytes()[((31 - sum % 31) % 31) as usize] as char
    }

    #[test]
    fn weights_are_powers_of_three() {
        for (i, w) in WEIGHTS.iter().enumerate() {
            assert_eq!(u64::from(*w), 3u64.pow(i as u32) % 31);
        }
    }

    /// The exhaustive form of `single_substitution_is_detected`: every position and every
    /// change of value moves the weighted sum off its residue mod 31.
    #[test]
    fn every_single_substitution_changes_the_residue() {
        for w in WEIGHTS {
            for delta in 1..31 {
                assert_ne!(w * delta % 31, 0);
            }
        }
    }

    #[test]
    fn real_codes_validate() {
        for code in REAL {
            assert_eq!(validate(code), Ok(()), "{code}");
            assert_eq!(check_char(&code[..17]), code.chars().last(), "{code}");
        }
        // A check value of 31 is written 0.
        assert_eq!(check_char("00000000000000000"), Some('0'));
    }

    #[test]
    fn normalises_case_width_and_space() {
        assert_eq!(
            normalize(" ９１１１００００６０００３７３４１ｌ\u{3000}"),
            REAL[0]
        );
        assert_eq!(validate("9144030071526726xg"), Ok(()));
        assert_eq!(
            validate("\u{3000}９１３３０１００７１６１０５８５２Ｆ "),
            Ok(())
        );
    }

    #[test]
    fn rejects_bad_codes_with_bilingual_reasons() {
        assert_eq!(
            validate("91110000600037341"),
            Err(UsccError::WrongLength(17))
        );
        assert_eq!(validate(""), Err(UsccError::WrongLength(0)));
        for bad in ['I', 'O', 'S', 'V', 'Z'] {
            let code = format!("9111000060003734{bad}L");
            assert_eq!(
                validate(&code),
                Err(UsccError::BadChar {
                    position: 17,
                    ch: bad
                })
            );
        }
        let err = validate("91110000600037341X").unwrap_err();
        assert_eq!(
            err,
            UsccError::CheckDigit {
                expected: 'L',
                found: 'X'
            }
        );
        assert_eq!(
            err.to_string(),
            "第18位校验码应为 L，实为 X / check character should be L, found X"
        );
        assert_eq!(check_char("9111000060003734I"), None);
        assert_eq!(check_char("911100006000373"), None);
    }

    fn alphabet_char() -> impl Strategy<Value = char> {
        proptest::sample::select(ALPHABET.chars().collect::<Vec<_>>())
    }

    proptest! {
        #[test]
        fn prefix_plus_check_char_validates(prefix in proptest::collection::vec(alphabet_char(), 17)) {
            let first17: String = prefix.into_iter().collect();
            let check = check_char(&first17).unwrap();
            prop_assert_eq!(check, reference_check(&first17));
            prop_assert_eq!(validate(&format!("{first17}{check}")), Ok(()));
        }

        /// Any single substitution is caught, at every one of the 18 positions: a change
        /// of value d (0 < |d| < 31) at position i moves the sum by w_i·d, which is never
        /// 0 mod 31 because 31 is prime and no weight is 0 mod 31; and the check value maps
        /// one-to-one onto check characters.
        #[test]
        fn single_substitution_is_detected(
            prefix in proptest::collection::vec(alphabet_char(), 17),
            position in 0usize..18,
            shift in 1usize..31,
        ) {
            let first17: String = prefix.into_iter().collect();
            let code = format!("{first17}{}", check_char(&first17).unwrap());
            let mut chars: Vec<char> = code.chars().collect();
            let old = ALPHABET.find(chars[position]).unwrap();
            let replacement = ALPHABET.as_bytes()[(old + shift) % 31] as char;
            chars[position] = replacement;
            let changed: String = chars.into_iter().collect();
            let is_check_digit_error = matches!(validate(&changed), Err(UsccError::CheckDigit { .. }));
            prop_assert!(is_check_digit_error);
        }
    }
}

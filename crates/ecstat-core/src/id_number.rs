//! Resident identity card numbers (公民身份号码, GB 11643-1999): checked, then only ever
//! stored as a salted hash. 统计法 forbids publishing personal data; the warehouse never
//! holds the number itself, and messages show it masked.

/// Why an ID number is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("应为18位，实为{0}位 / must have 18 characters, has {0}")]
    WrongLength(usize),
    #[error("前17位应为数字 / the first 17 characters must be digits")]
    NotDigits,
    #[error("校验码错误 / check character does not match")]
    CheckDigit,
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// Trimmed, full-width folded, `x` upper-cased.
pub fn normalize(raw: &str) -> String {
    crate::text::fold_width(raw.trim())
        .trim()
        .to_ascii_uppercase()
}

/// Check an ID number's form and GB 11643 check character.
pub fn validate(raw: &str) -> Result<String, IdNumberError> {
    let id = normalize(raw);
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 18 {
        return Err(IdNumberError::WrongLength(chars.len()));
    }
    let mut sum = 0;
    for (c, w) in chars[..17].iter().zip(WEIGHTS) {
        sum += c.to_digit(10).ok_or(IdNumberError::NotDigits)? * w;
    }
    if char::from(CHECK[(sum % 11) as usize]) != chars[17] {
        return Err(IdNumberError::CheckDigit);
    }
    Ok(id)
}

/// The number as a message may show it: region prefix and last two characters only.
pub fn mask(raw: &str) -> String {
    let chars: Vec<char> = normalize(raw).chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_character() {
        // The standard's own example: 11010519491231002X.
        assert_eq!(
            validate("11010519491231002X").as_deref(),
            Ok("11010519491231002X")
        );
        assert_eq!(
            validate(" 11010519491231002x ").as_deref(),
            Ok("11010519491231002X")
        );
        assert_eq!(
            validate("110105194912310021"),
            Err(IdNumberError::CheckDigit)
        );
        assert_eq!(
            validate("1101051949123100"),
            Err(IdNumberError::WrongLength(16))
        );
        assert_eq!(
            validate("11010519491231A02X"),
            Err(IdNumberError::NotDigits)
        );
    }

    #[test]
    fn masks_all_but_the_edges() {
        assert_eq!(mask("11010519491231002X"), "1101************2X");
        assert_eq!(mask("123"), "***");
    }
}

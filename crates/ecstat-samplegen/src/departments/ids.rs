//! Owns the identifiers and personal details departments write: 统一社会信用代码
//! (GB 32100-2015) and resident ID numbers (GB 11643-1999) with their check characters,
//! and fictional names and phone numbers.
//!
//! Every code made here is fictional. Organisation parts of credit codes start with `XX`,
//! which no registration authority issues (as in the shop register).

use chrono::{Datelike, NaiveDate};

use crate::rng::SplitMix64;

/// The 统一社会信用代码 alphabet; a character's value is its index (no I, O, S, V, Z).
pub const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Check character of the first 17 characters: weights `3^(i-1) mod 31`, check value
/// `(31 - Σ mod 31) mod 31`. Characters outside the alphabet count as 0.
pub fn uscc_check(first17: &str) -> char {
    let mut weight = 1u32;
    let mut sum = 0u32;
    for b in first17.bytes().take(17) {
        let v = USCC_ALPHABET.iter().position(|&x| x == b).unwrap_or(0) as u32;
        sum += v * weight;
        weight = weight * 3 % 31;
    }
    char::from(USCC_ALPHABET[((31 - sum % 31) % 31) as usize])
}

/// A valid code: `prefix` (registration authority, entity kind and 6-digit area: 8
/// characters) plus a 9-character organisation part, plus the check character.
pub fn uscc(prefix: &str, org: &str) -> String {
    debug_assert_eq!(prefix.len() + org.len(), 17);
    let mut s = format!("{prefix}{org}");
    s.push(uscc_check(&s));
    s
}

pub fn uscc_is_valid(code: &str) -> bool {
    code.len() == 18
        && code.bytes().all(|b| USCC_ALPHABET.contains(&b))
        && code[..17].chars().count() == 17
        && code.ends_with(uscc_check(&code[..17]))
}

/// The same code with a wrong check character (`shift` picks which, never the right one).
pub fn uscc_with_wrong_check(code: &str, shift: u64) -> String {
    let right = USCC_ALPHABET
        .iter()
        .position(|&x| char::from(x) == uscc_check(&code[..17]))
        .unwrap_or(0);
    let wrong = (right + 1 + (shift % 30) as usize) % 31;
    format!("{}{}", &code[..17], char::from(USCC_ALPHABET[wrong]))
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Check character of a resident ID number's first 17 digits.
pub fn id_check(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    char::from(ID_CHECK[(sum % 11) as usize])
}

/// A fictional ID number of someone registered in 安溪县 (350524), born on `birth`.
/// The sequence digit is odd for men, even for women.
pub fn id_number(rng: &mut SplitMix64, birth: NaiveDate, male: bool) -> String {
    let seq = rng.range(0, 499) * 2 + i64::from(male);
    let first17 = format!(
        "350524{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        seq
    );
    let mut s = first17.clone();
    s.push(id_check(&first17));
    s
}

/// The same number with a wrong check character.
pub fn id_with_wrong_check(id: &str, shift: u64) -> String {
    let right = ID_CHECK
        .iter()
        .position(|&x| char::from(x) == id_check(&id[..17]))
        .unwrap_or(0);
    let wrong = (right + 1 + (shift % 10) as usize) % 11;
    format!("{}{}", &id[..17], char::from(ID_CHECK[wrong]))
}

const SURNAMES: &[&str] = &[
    "陈", "林", "黄", "王", "李", "张", "刘", "吴", "苏", "谢", "詹", "魏", "许", "洪", "周", "杨",
    "白", "高", "郑", "叶", "汪", "康", "柯", "廖", "易", "蔡", "骆", "邱", "傅", "肖",
];

const GIVEN_M: &[&str] = &[
    "建", "国", "志", "明", "文", "伟", "清", "福", "金", "荣", "德", "俊", "永", "水", "添", "春",
    "家", "宗", "辉", "鸿", "泽", "振", "锦", "少", "煌", "海", "良", "兴", "顺", "阳",
];

const GIVEN_F: &[&str] = &[
    "丽", "美", "秀", "玉", "淑", "芳", "雅", "婷", "燕", "琴", "红", "梅", "霞", "静", "惠", "艳",
    "月", "碧", "珍", "素", "彩", "莲", "凤", "娟", "晓", "佳", "雪", "华", "银", "兰",
];

fn pick<'a>(rng: &mut SplitMix64, list: &[&'a str]) -> &'a str {
    list[rng.below(list.len() as u64) as usize]
}

/// A fictional person's name (two or three characters).
pub fn person(rng: &mut SplitMix64, male: bool) -> String {
    let given = if male { GIVEN_M } else { GIVEN_F };
    let mut s = pick(rng, SURNAMES).to_string();
    s.push_str(pick(rng, given));
    if rng.chance(0.8) {
        s.push_str(pick(rng, given));
    }
    s
}

/// A fictional person's name, a man's with probability `p_male`.
pub fn person_p(rng: &mut SplitMix64, p_male: f64) -> String {
    let male = rng.chance(p_male);
    person(rng, male)
}

/// A fictional mobile number (`13905951234`).
pub fn mobile(rng: &mut SplitMix64) -> String {
    const HEADS: &[&str] = &[
        "135", "136", "137", "138", "139", "150", "151", "158", "159", "186", "189",
    ];
    format!("{}{:08}", pick(rng, HEADS), rng.below(100_000_000))
}

/// A fictional Anxi landline (`0595-23281234`).
pub fn landline(rng: &mut SplitMix64) -> String {
    format!("0595-2{:07}", rng.range(3_000_000, 3_999_999))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uscc_check_matches_published_example() {
        assert_eq!(uscc_check("91110000600037341"), 'L');
        assert!(uscc_is_valid("91110000600037341L"));
        assert!(!uscc_is_valid("91110000600037341X"));
        // shops.csv codes made by the shop module agree.
        assert!(uscc_is_valid("91350524XX0001001E"));
        assert!(uscc_is_valid("92350524XX00010094"));
    }

    #[test]
    fn wrong_check_is_always_wrong() {
        let code = uscc("91350524", "XX1000001");
        assert!(uscc_is_valid(&code));
        for shift in 0..40 {
            let bad = uscc_with_wrong_check(&code, shift);
            assert_eq!(&bad[..17], &code[..17]);
            assert!(!uscc_is_valid(&bad), "{bad}");
        }
    }

    #[test]
    fn id_check_matches_the_standard() {
        // GB 11643-1999's own example.
        assert_eq!(id_check("11010519491231002"), 'X');
        let mut rng = SplitMix64::new(3);
        let birth = NaiveDate::from_ymd_opt(1975, 6, 30).unwrap_or_default();
        for male in [true, false] {
            let id = id_number(&mut rng, birth, male);
            assert_eq!(id.len(), 18);
            assert!(id.starts_with("35052419750630"));
            assert!(id.ends_with(id_check(&id[..17])));
            assert_eq!(u32::from(id.as_bytes()[16] - b'0') % 2 == 1, male);
            for shift in 0..12 {
                let bad = id_with_wrong_check(&id, shift);
                assert!(!bad.ends_with(id_check(&id[..17])), "{bad}");
            }
        }
    }
}

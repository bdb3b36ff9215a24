//! A JSON source's records, one at a time. The array at the spec's `json_records` path is
//! reached with serde's streaming visitors and each element handed over as its own text,
//! so memory holds the file and one record, never a tree of the whole document (which
//! takes up to thirty times the text). Skipped values and the text of a record are walked
//! with one byte per level of nesting, so no depth overflows the stack; serde_json refuses
//! records nested deeper than 128 levels when they are parsed.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// Why a walk over the records failed.
#[derive(Debug)]
pub enum WalkError<E> {
    /// Not JSON, or not of the expected shape: serde_json's message, with line and column.
    Json(String),
    /// The callback failed.
    Each(E),
}

/// A record's callback: (0-based index, record text) → whether to go on.
pub type Each<'f, E> = dyn FnMut(u64, &RawValue) -> Result<bool, E> + 'f;

/// Call `each` with every element of the array reached from the top of `text` by the
/// object keys `path` (none: the document is the array), in order. Once `each` returns
/// false the rest is only checked to be JSON.
pub fn for_each_record<E>(
    text: &[u8],
    path: &[&str],
    each: &mut Each<'_, E>,
) -> Result<(), WalkError<E>> {
    let mut failed = None;
    let mut de = serde_json::Deserializer::from_slice(text);
    let walked = Walk {
        path,
        each,
        failed: &mut failed,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match (walked, failed) {
        (_, Some(e)) => Err(WalkError::Each(e)),
        (Ok(()), None) => Ok(()),
        (Err(e), None) => Err(WalkError::Json(e.to_string())),
    }
}

/// The rest of the path to walk, and where a record's failure is kept (serde's errors
/// carry only text).
struct Walk<'p, 'f, 'e, E> {
    path: &'p [&'p str],
    each: &'f mut Each<'e, E>,
    failed: &'f mut Option<E>,
}

impl<'de, E> DeserializeSeed<'de> for Walk<'_, '_, '_, E> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            deserializer.deserialize_seq(self)
        } else {
            deserializer.deserialize_map(self)
        }
    }
}

impl<'de, E> Visitor<'de> for Walk<'_, '_, '_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.first() {
            Some(key) => write!(f, "an object with `{key}`"),
            None => f.write_str("an array of records"),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((key, rest)) = self.path.split_first() else {
            return Err(A::Error::invalid_type(de::Unexpected::Map, &self));
        };
        let mut inner = Some(Walk {
            path: rest,
            each: self.each,
            failed: self.failed,
        });
        while let Some(name) = map.next_key::<String>()? {
            if name != *key {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            match inner.take() {
                Some(walk) => map.next_value_seed(walk)?,
                None => return Err(A::Error::custom(format!("`{key}` appears twice"))),
            }
        }
        match inner {
            Some(_) => Err(A::Error::custom(format!("no `{key}` in the object"))),
            None => Ok(()),
        }
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.path.is_empty() {
            return Err(A::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let mut index = 0u64;
        while let Some(record) = seq.next_element::<&'de RawValue>()? {
            match (self.each)(index, record) {
                Ok(true) => index += 1,
                Ok(false) => {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    return Ok(());
                }
                Err(e) => {
                    *self.failed = Some(e);
                    return Err(A::Error::custom("stopped by a record"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The records' texts, or the error's text.
    fn records(text: &str, path: &[&str]) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for_each_record::<String>(text.as_bytes(), path, &mut |_, r| {
            out.push(r.get().to_string());
            Ok(true)
        })
        .map_err(|e| match e {
            WalkError::Json(m) | WalkError::Each(m) => m,
        })?;
        Ok(out)
    }

    #[test]
    fn records_are_found_by_key_and_other_values_skipped() {
        let text = r#"{"code":0,"skip":[[{"records":1}]],"data":{"records":[{"a":1}, 2 ,"x"]}}"#;
        assert_eq!(
            records(text, &["data", "records"]),
            Ok(vec![r#"{"a":1}"#.to_string(), "2".into(), r#""x""#.into()])
        );
        assert_eq!(records("[1,[2]]", &[]), Ok(vec!["1".into(), "[2]".into()]));
    }

    #[test]
    fn the_wrong_shape_says_what_was_expected() {
        let path = ["data", "records"];
        let cases = [
            (r#"[1,2]"#, "expected an object with `data`"),
            (
                r#"{"data":{"records":{"a":1}}}"#,
                "expected an array of records",
            ),
            (r#"{"data":{"rows":[]}}"#, "no `records` in the object"),
            (
                r#"{"data":{"records":[],"records":[]}}"#,
                "`records` appears twice",
            ),
            (r#"{"data":{"records":[1,}}"#, "line 1"),
            (r#"{"data":{"records":[]}} trailing"#, "trailing characters"),
        ];
        for (text, expected) in cases {
            let error = records(text, &path).expect_err(text);
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn deep_nesting_is_walked_without_recursion() {
        // 100,000 levels inside a record: the walk keeps them on the heap.
        let deep = format!(
            r#"{{"r":[{}{}]}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let found = records(&deep, &["r"]).expect("walked");
        assert_eq!(found.len(), 1);
        // Parsing that record is where serde_json's depth limit answers.
        let parsed = serde_json::from_str::<serde_json::Value>(&found[0]);
        assert!(parsed.is_err_and(|e| e.to_string().contains("recursion limit")));
        // Unclosed nesting above the records is an error, not a crash.
        let open = format!(r#"{{"x":{}"#, "[".repeat(100_000));
        assert!(records(&open, &["r"]).is_err());
    }

    #[test]
    fn a_callback_error_stops_the_walk_and_comes_back_whole() {
        let mut seen = 0;
        let result = for_each_record(b"[1,2,3]", &[], &mut |i, _| {
            seen += 1;
            if i == 1 { Err(i) } else { Ok(true) }
        });
        assert!(matches!(result, Err(WalkError::Each(1))));
        assert_eq!(seen, 2);
        let mut seen = 0;
        let result = for_each_record::<()>(b"[1,2,3]", &[], &mut |_, _| {
            seen += 1;
            Ok(false)
        });
        assert!(result.is_ok());
        assert_eq!(seen, 1);
    }
}

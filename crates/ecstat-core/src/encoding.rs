//! Which text encoding a file is in. Chinese departments send GBK/GB18030 as often as
//! UTF-8; DataFusion reads only UTF-8, so ingest transcodes whatever this decides.

use encoding_rs::{Encoding, GB18030, GBK, UTF_8};

/// The encoding a source spec asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingSpec {
    /// Decide from the bytes: BOM, then valid UTF-8, else GB18030 (a superset of GBK).
    #[default]
    Auto,
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    Gbk,
    Gb18030,
}

/// Decide the encoding of a file from its first bytes (64 KiB is plenty).
pub fn detect(spec: EncodingSpec, head: &[u8]) -> &'static Encoding {
    match spec {
        EncodingSpec::Utf8 => UTF_8,
        EncodingSpec::Gbk => GBK,
        EncodingSpec::Gb18030 => GB18030,
        EncodingSpec::Auto => {
            if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
                return UTF_8;
            }
            match std::str::from_utf8(head) {
                Ok(_) => UTF_8,
                // A prefix may end inside a multi-byte character: that is still UTF-8.
                Err(e) if e.error_len().is_none() => UTF_8,
                Err(_) => GB18030,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_bom_utf8_and_gbk() {
        assert_eq!(detect(EncodingSpec::Auto, b"\xEF\xBB\xBFa,b"), UTF_8);
        assert_eq!(detect(EncodingSpec::Auto, "订单号,金额".as_bytes()), UTF_8);
        let (gbk, _, _) = GBK.encode("订单号,金额");
        assert_eq!(detect(EncodingSpec::Auto, &gbk), GB18030);
        // Cut in the middle of the three-byte 号: still UTF-8.
        let utf8 = "订单号".as_bytes();
        assert_eq!(detect(EncodingSpec::Auto, &utf8[..7]), UTF_8);
        assert_eq!(detect(EncodingSpec::Gbk, b"abc"), GBK);
    }
}

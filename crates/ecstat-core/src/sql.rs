//! Quoting for the SQL that ecstat generates from specs and command-line filters.

/// A SQL string literal: `它's` → `'它''s'`.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A SQL identifier, quoted so any column name is safe: `a"b` → `"a""b"`.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_are_doubled() {
        assert_eq!(super::literal("安溪's"), "'安溪''s'");
        assert_eq!(super::ident("a\"b"), "\"a\"\"b\"");
    }
}

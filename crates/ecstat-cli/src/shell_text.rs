//! The shell's text handling, free of any engine: where statements end, the word being
//! typed, what completes it. Kept apart from the line editor so it is unit-tested alone.

use std::collections::BTreeSet;

/// Words completion offers besides table and column names.
pub const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "ORDER BY",
    "HAVING",
    "LIMIT",
    "JOIN",
    "LEFT JOIN",
    "ON",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS NULL",
    "IS NOT NULL",
    "DISTINCT",
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "WITH",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "UNION ALL",
    "DESC",
    "ASC",
    "BETWEEN",
    "LIKE",
    "CAST",
];

/// Statements of `text`: a line starting with `\` is a command; anything else runs to a
/// `;` outside quotes and comments (the last may lack it).
pub fn split_statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if current.trim().is_empty() && line.trim_start().starts_with('\\') {
            out.push(line.trim().to_string());
            current.clear();
            continue;
        }
        current.push_str(line);
        current.push('\n');
        while let Some(end) = statement_end(&current) {
            let statement: String = current[..end].trim().to_string();
            if !statement.is_empty() {
                out.push(statement);
            }
            current = current[end + 1..].to_string();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// Byte index of the first `;` outside quotes and `--` comments.
pub fn statement_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = '\0';
    for (i, c) in text.char_indices() {
        if comment {
            if c == '\n' {
                comment = false;
            }
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == '-' && previous == '-' {
            comment = true;
        } else if c == ';' {
            return Some(i);
        }
        previous = c;
    }
    None
}

/// The word being typed at `pos`: where it starts, and its text.
pub fn word_at(line: &str, pos: usize) -> (usize, &str) {
    let before = &line[..pos];
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '\\'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    (start, &before[start..])
}

/// Completion candidates for `word`: backslash commands, then table and column names and
/// keywords that start with it (case-insensitive).
pub fn candidates(
    word: &str,
    tables: &BTreeSet<String>,
    columns: &BTreeSet<String>,
) -> Vec<String> {
    if word.starts_with('\\') {
        return ["\\d", "\\timing", "\\o", "\\q", "\\?"]
            .iter()
            .filter(|c| c.starts_with(word))
            .map(|c| c.to_string())
            .collect();
    }
    if word.is_empty() {
        return Vec::new();
    }
    let lower = word.to_lowercase();
    let mut out: Vec<String> = tables
        .iter()
        .chain(columns.iter())
        .filter(|n| n.to_lowercase().starts_with(&lower))
        .cloned()
        .collect();
    out.extend(
        KEYWORDS
            .iter()
            .filter(|k| k.to_lowercase().starts_with(&lower))
            .map(|k| {
                if word.chars().all(|c| !c.is_uppercase()) {
                    k.to_lowercase()
                } else {
                    k.to_string()
                }
            }),
    );
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_semicolons_outside_quotes_and_comments() {
        let text = "\\d\nSELECT 'a;b' AS x -- not here;\n FROM t;\n\\d ind_results\nSELECT 2";
        assert_eq!(
            split_statements(text),
            vec![
                "\\d",
                "SELECT 'a;b' AS x -- not here;\n FROM t",
                "\\d ind_results",
                "SELECT 2"
            ]
        );
        assert_eq!(
            split_statements("SELECT 1; SELECT 2;"),
            vec!["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn completion_offers_tables_columns_keywords_and_commands() {
        let tables: BTreeSet<String> = ["ind_results", "dim_region"].map(String::from).into();
        let columns: BTreeSet<String> = ["indicator_code", "region_name"].map(String::from).into();
        assert_eq!(
            candidates("ind", &tables, &columns),
            vec!["ind_results", "indicator_code"]
        );
        assert_eq!(candidates("sel", &tables, &columns), vec!["select"]);
        assert_eq!(candidates("SEL", &tables, &columns), vec!["SELECT"]);
        assert_eq!(candidates("\\ti", &tables, &columns), vec!["\\timing"]);
        let line = "SELECT region_na";
        let (start, word) = word_at(line, line.len());
        assert_eq!((start, word), (7, "region_na"));
        // After a Chinese literal, positions are bytes, not characters.
        let line = "SELECT '湖头镇', dim_re";
        let (start, word) = word_at(line, line.len());
        assert_eq!(&line[start..], "dim_re");
        assert_eq!(word, "dim_re");
    }
}

//! `[derive]` expressions of an order spec: SQL over the columns of one row, checked when
//! the spec is loaded. An expression may use the row's columns, literals, operators,
//! `CASE`, `CAST` and the functions of [`FUNCTIONS`]; nothing that reads a file, another
//! table or another row (no subqueries, no aggregates, no window functions), so a spec
//! can say what a platform's columns mean without being able to reach anything else.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, visit_expressions};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

/// Scalar functions an expression may call: DataFusion's text, number and time functions
/// that depend on their arguments only, and ecstat's own parsers.
pub const FUNCTIONS: &[&str] = &[
    "abs",
    "btrim",
    "ceil",
    "char_length",
    "character_length",
    "coalesce",
    "concat",
    "date_trunc",
    "ends_with",
    "floor",
    "greatest",
    "left",
    "least",
    "length",
    "lower",
    "lpad",
    "ltrim",
    "nullif",
    "regexp_like",
    "regexp_replace",
    "replace",
    "right",
    "round",
    "rpad",
    "rtrim",
    "split_part",
    "starts_with",
    "strpos",
    "substr",
    "to_date",
    "to_timestamp",
    "translate",
    "trim",
    "upper",
    "ecstat_amount",
    "ecstat_datetime",
    "ecstat_int",
    "ecstat_text",
];

/// Check `expression`: it parses as one SQL expression, names only `columns`, and uses
/// only what the module allows. The message says what is wrong.
pub fn check(expression: &str, columns: &[&str]) -> Result<(), String> {
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(expression)
        .map_err(|e| format!("`{expression}` does not parse: {e}"))?;
    let expr = parser
        .parse_expr()
        .map_err(|e| format!("`{expression}` does not parse: {e}"))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(format!(
            "`{expression}`: one expression expected, found more after it (`{}`)",
            next.token
        ));
    }
    let verdict = visit_expressions(&expr, |e: &Expr| match allowed(e, columns) {
        Ok(()) => ControlFlow::Continue(()),
        Err(message) => ControlFlow::Break(message),
    });
    match verdict {
        ControlFlow::Break(message) => Err(format!("`{expression}`: {message}")),
        ControlFlow::Continue(()) => Ok(()),
    }
}

fn allowed(expr: &Expr, columns: &[&str]) -> Result<(), String> {
    match expr {
        Expr::Identifier(ident) => {
            if columns.contains(&ident.value.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "unknown column `{}`; an expression reads {}",
                    ident.value,
                    columns.join(", ")
                ))
            }
        }
        Expr::Function(function) => {
            let name = function.name.to_string().to_lowercase();
            if function.over.is_some() || function.filter.is_some() {
                return Err(format!(
                    "`{name}`: window and filtered calls are not allowed"
                ));
            }
            if FUNCTIONS.contains(&name.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "function `{name}` is not allowed; allowed: {}",
                    FUNCTIONS.join(", ")
                ))
            }
        }
        Expr::Value(_)
        | Expr::TypedString { .. }
        | Expr::BinaryOp { .. }
        | Expr::UnaryOp { .. }
        | Expr::Nested(_)
        | Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsDistinctFrom(_, _)
        | Expr::IsNotDistinctFrom(_, _)
        | Expr::Case { .. }
        | Expr::Cast { .. }
        | Expr::Between { .. }
        | Expr::InList { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::Substring { .. }
        | Expr::Trim { .. } => Ok(()),
        other => Err(format!("`{other}` is not allowed in a derived value")),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    const COLUMNS: &[&str] = &["order_id", "order_time", "paid_amount", "postage"];

    #[test]
    fn plain_expressions_pass() {
        for ok in [
            "paid_amount - postage",
            "coalesce(order_time, ecstat_datetime(substr(order_id, 1, 6), '%y%m%d'))",
            "CASE WHEN postage IS NULL THEN paid_amount ELSE paid_amount - postage END",
            "CAST(paid_amount AS DECIMAL(18,2))",
        ] {
            check(ok, COLUMNS).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn what_reaches_beyond_the_row_fails() {
        for (bad, says) in [
            ("(SELECT max(x) FROM orders)", "not allowed"),
            ("sum(paid_amount)", "function `sum`"),
            ("row_number() OVER ()", "window"),
            ("read_file('x')", "function `read_file`"),
            ("orders.paid_amount", "not allowed"),
            ("paid", "unknown column `paid`"),
            ("paid_amount; DROP TABLE x", "one expression"),
            ("paid_amount +", "does not parse"),
            ("paid_amount IN (SELECT 1)", "not allowed"),
        ] {
            let err = check(bad, COLUMNS).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}

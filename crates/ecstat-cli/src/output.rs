//! Printing results: aligned tables (wide Chinese characters measured correctly), CSV, JSON.
//! Results go to stdout; a closed pipe (`ecstat query … | head`) is not an error.

use std::io::Write;

use arrow::array::RecordBatch;

use crate::OutputFormat;

/// Print `batches` in `format` to stdout.
pub fn print(batches: &[RecordBatch], format: OutputFormat) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        OutputFormat::Table => {
            let table = arrow::util::pretty::pretty_format_batches(batches)?;
            writeln!(out, "{table}")?;
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            for batch in batches {
                writer.write(batch)?;
            }
        }
        OutputFormat::Json => {
            // Explicit nulls: every row object has every column, as analysts' tools expect.
            let mut writer = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::JsonArray>(&mut out);
            let refs: Vec<&RecordBatch> = batches.iter().collect();
            writer.write_batches(&refs)?;
            writer.finish()?;
            drop(writer);
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<arrow::error::ArrowError>()
                .is_some_and(|a| {
                    matches!(a, arrow::error::ArrowError::IoError(_, io)
                    if io.kind() == std::io::ErrorKind::BrokenPipe)
                })
    })
}

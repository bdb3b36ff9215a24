//! `ecstat sql`: an interactive, read-only SQL shell on one snapshot — line editing and
//! history, completion of table and column names, multi-line statements ended by `;`,
//! backslash commands (`\d`, `\d TABLE`, `\timing`, `\o FILE`, `\q`), results as aligned
//! tables (Chinese text counts double width), Ctrl-C cancelling the running query rather
//! than the shell. Piped (`echo "SELECT …;" | ecstat sql`), it runs the statements in turn.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use clap::Args;
use ecstat_warehouse::Warehouse;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

use crate::output::print;
use crate::shell_text::{candidates, split_statements, statement_end, word_at};
use crate::{Failure, OutputFormat, exit};

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// Allow `\o FILE` of results read from tables with single enterprises' or people's
    /// rows (统计法).
    #[arg(long)]
    confidential: bool,
}

const HELP: &str = "\
  SELECT …;        run a query (end it with ;, it may span lines)
  \\d               list the tables, with rows, grain and description
  \\d TABLE         columns of TABLE: type, description (units), tests
  \\timing          show how long each query takes (on/off)
  \\o FILE          write the last result to FILE: .csv (UTF-8 with BOM), .xlsx or .parquet
  \\q               quit (also Ctrl-D); Ctrl-C cancels the running query
  \\?               this help";

/// The shell's state between statements.
struct Session<'a> {
    wh: &'a Warehouse,
    confidential_tables: &'a [String],
    allow_confidential: bool,
    pipelines: &'a Path,
    timing: bool,
    /// The last result, and the confidential tables it read.
    last: Option<(Vec<RecordBatch>, Vec<String>)>,
    /// The running query, for Ctrl-C.
    running: Arc<Mutex<Option<tokio::task::AbortHandle>>>,
}

pub async fn sql(at: ecstat_pipeline::snapshot::At<'_>, args: SqlArgs) -> Result<u8, Failure> {
    let (wh, manifest) = crate::read::open(at).await?;
    let running: Arc<Mutex<Option<tokio::task::AbortHandle>>> = Arc::default();
    watch_interrupts(running.clone());
    let mut session = Session {
        wh: &wh,
        confidential_tables: &manifest.confidential,
        allow_confidential: args.confidential,
        pipelines: at.pipelines,
        timing: false,
        last: None,
        running,
    };
    if !std::io::stdin().is_terminal() {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        let mut failed = false;
        for statement in split_statements(&text) {
            failed |= !session.execute(&statement).await;
        }
        return Ok(if failed { exit::USAGE } else { exit::OK });
    }
    println!(
        "ecstat sql — snapshot {} (run {}, data as of {}); read-only. \\? for help, \\q to quit.",
        manifest.version,
        manifest.run_id,
        manifest.data_as_of.as_deref().unwrap_or("—")
    );
    let helper = ShellHelper::new(&wh).await;
    let mut editor: Editor<ShellHelper, FileHistory> =
        Editor::new().map_err(|e| Failure::new(exit::INTERNAL, e))?;
    editor.set_helper(Some(helper));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    loop {
        match editor.readline("ecstat> ") {
            Ok(input) => {
                let input = input.trim();
                if input.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(input);
                if matches!(input, "\\q" | "quit" | "exit") {
                    break;
                }
                for statement in split_statements(input) {
                    session.execute(&statement).await;
                }
            }
            // Ctrl-C at the prompt clears the line; Ctrl-D leaves.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Failure::new(exit::INTERNAL, e)),
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    Ok(exit::OK)
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ecstat_history"))
}

/// Ctrl-C while a query runs aborts it; with none running (piped input) it ends the
/// process as usual. At the interactive prompt the terminal is in raw mode and Ctrl-C is
/// a key, not a signal. The handler runs on its own thread: a query can keep every worker
/// of the runtime busy.
fn watch_interrupts(running: Arc<Mutex<Option<tokio::task::AbortHandle>>>) {
    let installed = ctrlc::set_handler(move || {
        let query = running.lock().ok().and_then(|mut r| r.take());
        match query {
            Some(handle) => handle.abort(),
            None => std::process::exit(130),
        }
    });
    if let Err(e) = installed {
        tracing::warn!("Ctrl-C will end the shell rather than the query: {e}");
    }
}

impl Session<'_> {
    /// Run one statement or backslash command; false when it failed.
    async fn execute(&mut self, statement: &str) -> bool {
        let statement = statement.trim();
        let result = if let Some(command) = statement.strip_prefix('\\') {
            self.command(command.trim()).await
        } else {
            self.query(statement).await
        };
        match result {
            Ok(()) => true,
            Err(e) => {
                // One line: what went wrong, with the position the parser gives.
                let message = e.to_string();
                eprintln!("error: {}", message.lines().next().unwrap_or(""));
                false
            }
        }
    }

    async fn command(&mut self, command: &str) -> anyhow::Result<()> {
        let (name, arg) = match command.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (command, ""),
        };
        match (name, arg) {
            ("d", "") => {
                let batch = crate::describe::tables_batch(self.wh, self.pipelines).await?;
                print(&[batch], OutputFormat::Table)
            }
            ("d", table) => {
                let (heading, batch) =
                    crate::describe::describe_table(self.wh, table, self.pipelines)
                        .await
                        .map_err(|f| f.error)?;
                println!("{heading}");
                print(&[batch], OutputFormat::Table)
            }
            ("timing", _) => {
                self.timing = !self.timing;
                println!("timing is {}", if self.timing { "on" } else { "off" });
                Ok(())
            }
            ("o", "") => anyhow::bail!("\\o needs a file name: \\o result.xlsx"),
            ("o", file) => self.write_last(Path::new(file)),
            ("?", _) | ("h", _) => {
                println!("{HELP}");
                Ok(())
            }
            ("q", _) => std::process::exit(0),
            _ => anyhow::bail!("unknown command \\{name}; \\? lists them"),
        }
    }

    async fn query(&mut self, sql: &str) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let df = self.wh.query(sql).await?;
        let read = ecstat_warehouse::models::table_references(self.wh.context(), sql)?;
        let secret: Vec<String> = self
            .confidential_tables
            .iter()
            .filter(|t| read.contains(*t))
            .cloned()
            .collect();
        let task = tokio::spawn(df.collect());
        if let Ok(mut r) = self.running.lock() {
            *r = Some(task.abort_handle());
        }
        let outcome = task.await;
        if let Ok(mut r) = self.running.lock() {
            r.take();
        }
        let batches = match outcome {
            Ok(result) => result?,
            Err(e) if e.is_cancelled() => anyhow::bail!("query cancelled (Ctrl-C)"),
            Err(e) => return Err(e.into()),
        };
        print(&batches, OutputFormat::Table)?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if self.timing {
            println!(
                "({rows} rows, {:.1} ms)",
                started.elapsed().as_secs_f64() * 1000.0
            );
        } else {
            println!("({rows} rows)");
        }
        self.last = Some((batches, secret));
        Ok(())
    }

    fn write_last(&self, path: &Path) -> anyhow::Result<()> {
        let Some((batches, secret)) = &self.last else {
            anyhow::bail!("no result yet: run a query first");
        };
        if !secret.is_empty() && !self.allow_confidential {
            anyhow::bail!(
                "the last result read {} (single enterprises' or people's rows, 统计法): start the shell with --confidential to write it out",
                secret.join(", ")
            );
        }
        ecstat_export::result::write_result(batches, path)?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        println!("wrote {rows} rows to {}", path.display());
        Ok(())
    }
}

struct ShellHelper {
    tables: BTreeSet<String>,
    columns: BTreeSet<String>,
}

impl ShellHelper {
    async fn new(wh: &Warehouse) -> Self {
        let tables: BTreeSet<String> = wh.table_names().into_iter().collect();
        let mut columns = BTreeSet::new();
        for t in &tables {
            if let Ok(provider) = wh.context().table_provider(t.as_str()).await {
                columns.extend(provider.schema().fields().iter().map(|f| f.name().clone()));
            }
        }
        Self { tables, columns }
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, word) = word_at(line, pos);
        let pairs = candidates(word, &self.tables, &self.columns)
            .into_iter()
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {}

impl Validator for ShellHelper {
    /// A statement goes on over lines until its `;`; a backslash command is one line.
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input().trim();
        if input.is_empty()
            || input.starts_with('\\')
            || matches!(input, "quit" | "exit")
            || statement_end(input).is_some()
        {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Helper for ShellHelper {}

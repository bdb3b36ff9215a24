//! How an operation reports progress on long work: the command line draws bars (or
//! nothing when not on a terminal), a web service could stream it. The operations call
//! these; they never print.

/// Stages of an operation, each with the number of steps it takes.
pub trait Progress: Send + Sync {
    /// A stage begins (`ingest` over `len` files, `build` over `len` models).
    fn start(&self, _stage: &str, _len: u64) {}
    /// What the current step works on (a file, a model), and how far it has come.
    fn message(&self, _message: &str) {}
    /// One step of the stage is done.
    fn step(&self) {}
    /// The stage is over.
    fn finish(&self) {}
    /// Something the operator should know at once (a file skipped, a spec chosen by its
    /// header); it is also in the operation's report.
    fn note(&self, _line: &str) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {}

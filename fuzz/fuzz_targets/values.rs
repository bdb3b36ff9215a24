//! Fuzz target: arbitrary bytes read as one cell, by the amount, date, month, decimal and division parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ecstat_ingest::fuzz::values(data));

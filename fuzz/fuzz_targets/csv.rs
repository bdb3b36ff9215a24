//! Fuzz target: arbitrary bytes read as a 拼多多 order export (CSV, encoding detected).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ecstat_ingest::fuzz::csv(data));

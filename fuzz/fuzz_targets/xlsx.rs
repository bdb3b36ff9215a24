//! Fuzz target: arbitrary bytes read as a 京东 order export (xlsx package bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ecstat_ingest::fuzz::xlsx(data));

//! Fuzz target: arbitrary bytes read as a provincial platform response (JSON records).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ecstat_ingest::fuzz::json(data));

//! Fuzz target: arbitrary bytes read as the sheet XML of a 京东 export, inside a sound package.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ecstat_ingest::fuzz::xlsx_sheet(data));

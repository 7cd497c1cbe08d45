//! The JSON writer (compact, pretty, NDJSON).

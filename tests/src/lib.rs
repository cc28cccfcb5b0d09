//! End-to-end tests across the crates live in `tests/workflows`; this library is empty.

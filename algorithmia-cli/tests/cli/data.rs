//! `algo` data commands against algorithmia-local.

#[allow(unused_imports)]
use crate::common::*;

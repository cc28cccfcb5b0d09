//! `algo` run commands against algorithmia-local.

#[allow(unused_imports)]
use crate::common::*;

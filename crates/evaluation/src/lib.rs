//! The certificate-reading evaluation set and its scoring (issue 19); the command is
//! `xueshi-eval` (src/main.rs).

pub mod content;
pub mod degrade;
pub mod evaluate;
pub mod render;
pub mod report;
pub mod truth;

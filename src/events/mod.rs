//! Sign-in and access evidence from CloudTrail.

pub mod normalize;
pub mod trail_logs;

//! Sign-in and access evidence from CloudTrail.

pub mod normalize;

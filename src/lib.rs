//! ssoaudit: a read-only compliance auditor and drift reporter for AWS IAM Identity Center.
//!
//! Data flows one way: collect → snapshot → evaluate → findings → report.

pub mod access;
pub mod baseline;
pub mod cel_paths;
pub mod chains;
pub mod checks;
pub mod collect;
pub mod config;
pub mod desired;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod events;
pub mod evidence;
pub mod findings;
pub mod history;
pub mod iam;
pub mod model;
pub mod outcome;
pub mod output;
pub mod overview;
pub mod parallel_json;
pub mod policy;
pub mod report;
pub mod rules;
pub mod snapshot;
pub mod subjects;
pub mod suppress;
pub mod vocabulary;
pub mod yaml_error;

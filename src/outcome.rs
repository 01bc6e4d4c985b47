//! How a run ends: one outcome type, one mapping to the documented exit codes, and the rules
//! that decide the outcome of `check` and `diff`.

use crate::diff::SnapshotDiff;
use crate::engine::Evaluation;
use crate::rules::Severity;

/// The outcome of a command, most severe last in precedence order: when several apply, an
/// input error wins over gaps, and gaps over findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above the threshold (exit 0).
    Clean,
    /// Findings at or above `--fail-on` neither suppressed nor in the baseline, or access
    /// gained in a diff (exit 1).
    Findings,
    /// Collection gaps in data an enabled rule reads (exit 3).
    Gaps,
    /// A usage or input error, or a condition that failed at run time (exit 2).
    InputError,
}

impl Outcome {
    /// The documented exit code.
    pub const fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::InputError => 2,
            Outcome::Gaps => 3,
        }
    }

    fn precedence(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Gaps => 2,
            Outcome::InputError => 3,
        }
    }

    /// The one of the two that decides the exit code.
    pub fn worst(self, other: Outcome) -> Outcome {
        if other.precedence() > self.precedence() {
            other
        } else {
            self
        }
    }
}

/// The outcome of `check`: rule errors, then gaps (unless `allow_gaps`), then findings at or
/// above `fail_on` that no suppression matched.
pub fn of_check(evaluation: &Evaluation, fail_on: Option<Severity>, allow_gaps: bool) -> Outcome {
    let mut outcome = Outcome::Clean;
    if fail_on.is_some_and(|threshold| {
        evaluation
            .findings
            .iter()
            .any(|f| f.is_open() && f.severity >= threshold)
    }) {
        outcome = outcome.worst(Outcome::Findings);
    }
    if !evaluation.incomplete.is_empty() && !allow_gaps {
        outcome = outcome.worst(Outcome::Gaps);
    }
    if !evaluation.errors.is_empty() {
        outcome = outcome.worst(Outcome::InputError);
    }
    outcome
}

/// The outcome of `diff`: findings when effective access grew, or on any change with
/// `fail_on_change`.
pub fn of_diff(diff: &SnapshotDiff, fail_on_change: bool) -> Outcome {
    if !diff.access_gained.is_empty() || (fail_on_change && !diff.is_empty()) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EvaluationError, IncompleteRule};
    use crate::findings::Finding;
    use crate::vocabulary::ResourceKind;

    fn finding(severity: Severity, suppressed: bool) -> Finding {
        Finding {
            suppressed: suppressed.then(|| "ok".to_string()),
            ..crate::findings::sample(severity, "r", "g", "m", "g")
        }
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        let codes: Vec<u8> = [
            Outcome::Clean,
            Outcome::Findings,
            Outcome::InputError,
            Outcome::Gaps,
        ]
        .iter()
        .map(|o| o.exit_code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 3]);
    }

    #[test]
    fn errors_beat_gaps_and_gaps_beat_findings() {
        let mut evaluation = Evaluation::default();
        assert_eq!(
            of_check(&evaluation, Some(Severity::Low), false),
            Outcome::Clean
        );
        evaluation.findings.push(finding(Severity::Low, false));
        assert_eq!(
            of_check(&evaluation, Some(Severity::Low), false),
            Outcome::Findings
        );
        assert_eq!(
            of_check(&evaluation, Some(Severity::High), false),
            Outcome::Clean
        );
        assert_eq!(of_check(&evaluation, None, false), Outcome::Clean);
        evaluation.incomplete.push(IncompleteRule {
            rule_id: "r".into(),
            gaps: Vec::new(),
        });
        assert_eq!(
            of_check(&evaluation, Some(Severity::Low), false),
            Outcome::Gaps
        );
        assert_eq!(
            of_check(&evaluation, Some(Severity::Low), true),
            Outcome::Findings
        );
        evaluation.errors.push(EvaluationError {
            rule_id: "r".into(),
            rule_origin: "p:1".into(),
            resource_kind: ResourceKind::Group,
            resource_id: "g".into(),
            message: "m".into(),
        });
        assert_eq!(
            of_check(&evaluation, Some(Severity::Low), true),
            Outcome::InputError
        );
        assert_eq!(of_check(&evaluation, None, false), Outcome::InputError);
    }

    #[test]
    fn suppressed_findings_do_not_fail() {
        let mut evaluation = Evaluation::default();
        evaluation.findings.push(finding(Severity::Critical, true));
        assert_eq!(
            of_check(&evaluation, Some(Severity::Info), false),
            Outcome::Clean
        );
    }

    #[test]
    fn a_diff_fails_when_access_grew_or_on_any_change_when_asked() {
        let mut diff = SnapshotDiff::default();
        assert_eq!(of_diff(&diff, true), Outcome::Clean);
        diff.changes.push(crate::diff::Change {
            kind: "group",
            change: "added",
            subject: "g".into(),
            details: Vec::new(),
            policy_diff: None,
        });
        assert_eq!(of_diff(&diff, false), Outcome::Clean);
        assert_eq!(of_diff(&diff, true), Outcome::Findings);
    }
}

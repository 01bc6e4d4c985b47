//! The state a snapshot holds, without what depends on the run that made it.

use ssoaudit::snapshot::Snapshot;

/// The canonical bytes of a snapshot without when and how long it was made, the calls it
/// made, and how (`metadata.incremental`).
pub fn state_bytes(snapshot: &Snapshot) -> Vec<u8> {
    let mut copy = snapshot.clone();
    copy.metadata.captured_at.clear();
    copy.metadata.api_calls.clear();
    copy.metadata.scan_duration_ms = None;
    copy.metadata.incremental = None;
    copy.to_canonical_json().into_bytes()
}

//! Sign-in and access events from CloudTrail `LookupEvents` (the last 90 days of management
//! events of this account, per Region): the IdC home Region and us-east-1, four lookups each
//! (sign-in events, GetRoleCredentials, AssumeRoot, actions as root), at 2 requests/s.

use super::Scan;
use super::calls::{CallError, Service};
use crate::events::normalize::{Normalized, normalize};
use crate::vocabulary::DataArea;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use std::sync::Arc;

const PAGE: i32 = 50;
const SERVICE: Service = Service::CloudTrail;

/// The lookups, one attribute each (the API takes one).
const LOOKUPS: &[(LookupAttributeKey, &str)] = &[
    (LookupAttributeKey::EventSource, "signin.amazonaws.com"),
    (LookupAttributeKey::EventName, "GetRoleCredentials"),
    (LookupAttributeKey::EventName, "AssumeRoot"),
    (LookupAttributeKey::Username, "root"),
];

/// Events between `since` and `until` in each Region.
pub async fn lookup_events(
    scan: Arc<Scan>,
    config: &aws_config::SdkConfig,
    regions: &[String],
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> Vec<Normalized> {
    let mut events = Vec::new();
    for region in regions {
        let client_config = aws_sdk_cloudtrail::config::Builder::from(config)
            .region(aws_config::Region::new(region.clone()))
            .build();
        let client = Client::from_conf(client_config);
        for (key, value) in LOOKUPS {
            let attribute = LookupAttribute::builder()
                .attribute_key(key.clone())
                .attribute_value(*value)
                .build()
                .expect("key and value are set");
            let resource = format!("{region} {}={value}", key.as_str());
            let mut found = 0usize;
            let mut bad_records = 0usize;
            paged!(
                scan,
                "LookupEvents",
                DataArea::Events,
                &resource,
                |token| client
                    .lookup_events()
                    .lookup_attributes(attribute.clone())
                    .start_time(aws_smithy_types::DateTime::from_secs(since.timestamp()))
                    .end_time(aws_smithy_types::DateTime::from_secs(until.timestamp()))
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send(),
                |output| {
                    for event in output.events() {
                        let parsed = event
                            .cloud_trail_event()
                            .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
                        match parsed.as_ref().map(normalize) {
                            Some(Ok(Some(normalized))) => {
                                found += 1;
                                events.push(normalized);
                            }
                            Some(Ok(None)) => {}
                            _ => bad_records += 1,
                        }
                    }
                }
            );
            if bad_records > 0 {
                scan.gap(
                    DataArea::Events,
                    SERVICE,
                    "LookupEvents",
                    &resource,
                    &CallError::Failed(format!("{bad_records} event(s) could not be read")),
                );
            }
            scan.progress
                .note(&format!("LookupEvents {resource}: {found} events"));
        }
    }
    events
}

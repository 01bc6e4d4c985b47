//! A CloudTrail record read for the fields the normalizer looks at and nothing else: strings
//! borrowed from the log text where they have no escapes, every other field skipped without
//! being built. On sign-in-dense trails, where every record is normalized, building a whole
//! `serde_json::Value` (a map and a string per field) cost more than inflating the file.
//!
//! A field that is not what CloudTrail writes (a number where a string is expected, an array
//! where an object is) reads as absent, as [`serde_json::Value`] lookups do; a record this
//! reader refuses (a duplicate key, say) is read as a `Value` instead, so the two readers
//! always agree (tested over every fixture record).

use super::normalize::Fields;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;

/// A string field: `None` when absent or not a string.
#[derive(Debug, Default)]
pub struct Text<'a>(Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// An object field read as `T`: anything else (null, a string, an array) reads as absent.
#[derive(Debug)]
pub struct Object<T>(Option<T>);

impl<T> Default for Object<T> {
    fn default() -> Self {
        Object(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|t| Object(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Object(None))
            }
            fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
        }
        deserializer.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Whether a key is there at all, `null` included (as `Value::get` tells).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(deserializer).map(|_| true)
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct OnBehalfOf<'a> {
    #[serde(rename = "userId", borrow)]
    user_id: Text<'a>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Identity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(rename = "accountId", borrow)]
    account_id: Text<'a>,
    #[serde(rename = "userName", borrow)]
    user_name: Text<'a>,
    #[serde(rename = "accessKeyId", borrow)]
    access_key_id: Text<'a>,
    #[serde(rename = "onBehalfOf", borrow)]
    on_behalf_of: Object<OnBehalfOf<'a>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AdditionalData<'a> {
    #[serde(rename = "AuthWorkflowID", borrow)]
    workflow: Text<'a>,
    #[serde(rename = "CredentialType", borrow)]
    credential_type: Text<'a>,
    #[serde(rename = "MFAUsed", borrow)]
    mfa_used: Text<'a>,
    #[serde(rename = "UserName", borrow)]
    user_name: Text<'a>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ServiceDetails<'a> {
    #[serde(borrow)]
    account_id: Text<'a>,
    #[serde(borrow)]
    role_name: Text<'a>,
    #[serde(rename = "CredentialChallenge", borrow)]
    challenge: Text<'a>,
    #[serde(rename = "CredentialVerification", borrow)]
    verification: Text<'a>,
    #[serde(rename = "UserAuthentication", borrow)]
    authentication: Text<'a>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Arn<'a> {
    #[serde(borrow)]
    arn: Text<'a>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RequestParameters<'a> {
    #[serde(rename = "targetPrincipal", borrow)]
    target_principal: Text<'a>,
    #[serde(rename = "taskPolicyArn", borrow)]
    task_policy: Object<Arn<'a>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Credentials<'a> {
    #[serde(rename = "accessKeyId", borrow)]
    access_key_id: Text<'a>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ResponseElements<'a> {
    #[serde(rename = "ConsoleLogin", borrow)]
    console_login: Text<'a>,
    #[serde(borrow)]
    credentials: Object<Credentials<'a>>,
}

/// The fields of a record the normalizer reads.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SlimRecord<'a> {
    #[serde(rename = "eventSource", borrow)]
    event_source: Text<'a>,
    #[serde(rename = "eventName", borrow)]
    event_name: Text<'a>,
    #[serde(rename = "eventID", borrow)]
    event_id: Text<'a>,
    #[serde(rename = "eventTime", borrow)]
    event_time: Text<'a>,
    #[serde(rename = "recipientAccountId", borrow)]
    recipient_account_id: Text<'a>,
    #[serde(rename = "errorCode", deserialize_with = "present")]
    error_code: bool,
    #[serde(rename = "userIdentity", borrow)]
    identity: Object<Identity<'a>>,
    #[serde(rename = "additionalEventData", borrow)]
    additional: Object<AdditionalData<'a>>,
    #[serde(rename = "serviceEventDetails", borrow)]
    service: Object<ServiceDetails<'a>>,
    #[serde(rename = "requestParameters", borrow)]
    request: Object<RequestParameters<'a>>,
    #[serde(rename = "responseElements", borrow)]
    response: Object<ResponseElements<'a>>,
}

impl SlimRecord<'_> {
    /// Whether the normalizer may make something of the record: a sign-in or role-use
    /// source, `AssumeRoot`, or an action as root. Other records are skipped; the text
    /// prefilter of the general path skips the same ones, and a record without a source that
    /// is none of these is skipped too rather than failing its file.
    pub fn may_matter(&self) -> bool {
        matches!(
            self.event_source.get(),
            Some("signin.amazonaws.com" | "sso.amazonaws.com")
        ) || self.event_name.get() == Some("AssumeRoot")
            || self
                .identity
                .0
                .as_ref()
                .and_then(|i| i.kind.get())
                .is_some_and(|kind| kind == "Root")
    }
}

impl Fields for SlimRecord<'_> {
    fn text(&self, path: &[&str]) -> Option<&str> {
        let identity = self.identity.0.as_ref();
        let additional = self.additional.0.as_ref();
        let service = self.service.0.as_ref();
        let request = self.request.0.as_ref();
        let response = self.response.0.as_ref();
        let field = match path {
            ["eventSource"] => self.event_source.get(),
            ["eventName"] => self.event_name.get(),
            ["eventID"] => self.event_id.get(),
            ["eventTime"] => self.event_time.get(),
            ["recipientAccountId"] => self.recipient_account_id.get(),
            ["userIdentity", "type"] => identity.and_then(|i| i.kind.get()),
            ["userIdentity", "accountId"] => identity.and_then(|i| i.account_id.get()),
            ["userIdentity", "userName"] => identity.and_then(|i| i.user_name.get()),
            ["userIdentity", "accessKeyId"] => identity.and_then(|i| i.access_key_id.get()),
            ["userIdentity", "onBehalfOf", "userId"] => identity
                .and_then(|i| i.on_behalf_of.0.as_ref())
                .and_then(|o| o.user_id.get()),
            ["additionalEventData", "AuthWorkflowID"] => additional.and_then(|a| a.workflow.get()),
            ["additionalEventData", "CredentialType"] => {
                additional.and_then(|a| a.credential_type.get())
            }
            ["additionalEventData", "MFAUsed"] => additional.and_then(|a| a.mfa_used.get()),
            ["additionalEventData", "UserName"] => additional.and_then(|a| a.user_name.get()),
            ["serviceEventDetails", "account_id"] => service.and_then(|s| s.account_id.get()),
            ["serviceEventDetails", "role_name"] => service.and_then(|s| s.role_name.get()),
            ["serviceEventDetails", "CredentialChallenge"] => {
                service.and_then(|s| s.challenge.get())
            }
            ["serviceEventDetails", "CredentialVerification"] => {
                service.and_then(|s| s.verification.get())
            }
            ["serviceEventDetails", "UserAuthentication"] => {
                service.and_then(|s| s.authentication.get())
            }
            ["requestParameters", "targetPrincipal"] => {
                request.and_then(|r| r.target_principal.get())
            }
            ["requestParameters", "taskPolicyArn", "arn"] => request
                .and_then(|r| r.task_policy.0.as_ref())
                .and_then(|t| t.arn.get()),
            ["responseElements", "ConsoleLogin"] => response.and_then(|r| r.console_login.get()),
            ["responseElements", "credentials", "accessKeyId"] => response
                .and_then(|r| r.credentials.0.as_ref())
                .and_then(|c| c.access_key_id.get()),
            _ => {
                debug_assert!(false, "the slim record does not read {path:?}");
                None
            }
        };
        field.filter(|s| !s.is_empty())
    }

    fn has(&self, key: &str) -> bool {
        match key {
            "errorCode" => self.error_code,
            _ => {
                debug_assert!(false, "the slim record does not read {key}");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::normalize::normalize;

    /// Every record of the fixture trails, and odd shapes: the slim reader and the `Value`
    /// reader normalize them the same.
    #[test]
    fn agrees_with_the_value_reader_on_every_fixture_record() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cloudtrail");
        let mut texts: Vec<String> = Vec::new();
        for file in crate::events::trail_logs::log_files(&root).unwrap() {
            let bytes = std::fs::read(&file).unwrap();
            let mut inflated = Vec::new();
            let content = if file.extension().is_some_and(|e| e == "gz") {
                std::io::Read::read_to_end(
                    &mut flate2::read::MultiGzDecoder::new(&bytes[..]),
                    &mut inflated,
                )
                .unwrap();
                &inflated[..]
            } else {
                &bytes[..]
            };
            let Ok(records) = crate::events::trail_logs::records_of(content) else {
                continue;
            };
            texts.extend(records.iter().map(|r| r.get().to_string()));
        }
        assert!(texts.len() > 200, "{} fixture records", texts.len());
        // Odd shapes: non-string and non-object fields, null errorCode, escapes.
        for odd in [
            r#"{"eventSource":"sso.amazonaws.com","eventName":"GetRoleCredentials","eventTime":"2026-01-01T00:00:00Z","errorCode":null,"serviceEventDetails":{"account_id":"1","role_name":"A"}}"#,
            r#"{"eventSource":"sso.amazonaws.com","eventName":"GetRoleCredentials","eventTime":"2026-01-01T00:00:00Z","serviceEventDetails":"{}"}"#,
            r#"{"eventSource":"signin.amazonaws.com","eventName":"UserAuthentication","eventTime":"2026-01-01T00:00:00Z","additionalEventData":{"AuthWorkflowID":"w\u0041","CredentialType":7,"UserName":["x"]},"userIdentity":[1,2]}"#,
            r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventTime":"t","userIdentity":{"type":"Root","onBehalfOf":"x"},"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"}}"#,
            r#"{"eventSource":"sts.amazonaws.com","eventName":"AssumeRoot","eventTime":"t","requestParameters":{"targetPrincipal":"2","taskPolicyArn":{"arn":"p"}},"responseElements":{"credentials":{"accessKeyId":"K"}}}"#,
            r#"{"eventSource":"s3.amazonaws.com","eventName":"X","eventTime":"t","userIdentity":{"type":"Root","accessKeyId":""}}"#,
            r#"{"eventName":"X"}"#,
            r#"{"eventSource":"","eventName":"X","eventTime":"t"}"#,
        ] {
            texts.push(odd.to_string());
        }
        let mut normalized = 0;
        for text in &texts {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            let slim: SlimRecord = serde_json::from_str(text).unwrap();
            let expected = normalize(&value);
            assert_eq!(normalize(&slim), expected, "{text}");
            normalized += usize::from(matches!(expected, Ok(Some(_))));
        }
        assert!(normalized > 100, "{normalized} records normalized");
    }
}

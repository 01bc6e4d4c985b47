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
#[derive(Debug, Default)]
pub struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Present(true))
    }
}

/// A struct of the fields read from a JSON object, each under its key; other keys are skipped
/// unbuilt, and a key read twice is refused (as a derived `Deserialize` does), so that the
/// record is read as a `Value` instead. The fields are filled in place: a record is not moved
/// from frame to frame as it is built.
macro_rules! slim_object {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $kind:ty = $key:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub struct $name<'a> {
            $($field: $kind,)*
        }

        impl<'a> $name<'a> {
            /// Fills the fields from the entries of `map`.
            fn fill<'de: 'a, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
                let mut seen = 0u32;
                // A key is always a string: read as a `Text`, it is never absent.
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    let mut bit = 1u32;
                    $(
                        if key.get() == Some($key) {
                            if seen & bit != 0 {
                                return Err(serde::de::Error::duplicate_field($key));
                            }
                            seen |= bit;
                            self.$field = map.next_value()?;
                            continue;
                        }
                        bit <<= 1;
                    )*
                    let _ = bit;
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(())
            }
        }

        impl<'de: 'a, 'a> Deserialize<'de> for $name<'a> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V<'a>(std::marker::PhantomData<&'a ()>);
                impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                    type Value = $name<'a>;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("a JSON object")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                        let mut value = $name::default();
                        value.fill(&mut map)?;
                        Ok(value)
                    }
                }
                deserializer.deserialize_map(V(std::marker::PhantomData))
            }
        }
    };
}

slim_object!(OnBehalfOf {
    user_id: Text<'a> = "userId",
});

slim_object!(Identity {
    kind: Text<'a> = "type",
    account_id: Text<'a> = "accountId",
    user_name: Text<'a> = "userName",
    access_key_id: Text<'a> = "accessKeyId",
    on_behalf_of: Object<OnBehalfOf<'a>> = "onBehalfOf",
});

slim_object!(AdditionalData {
    workflow: Text<'a> = "AuthWorkflowID",
    credential_type: Text<'a> = "CredentialType",
    mfa_used: Text<'a> = "MFAUsed",
    user_name: Text<'a> = "UserName",
});

slim_object!(ServiceDetails {
    account_id: Text<'a> = "account_id",
    role_name: Text<'a> = "role_name",
    challenge: Text<'a> = "CredentialChallenge",
    verification: Text<'a> = "CredentialVerification",
    authentication: Text<'a> = "UserAuthentication",
});

slim_object!(Arn {
    arn: Text<'a> = "arn",
});

slim_object!(RequestParameters {
    target_principal: Text<'a> = "targetPrincipal",
    task_policy: Object<Arn<'a>> = "taskPolicyArn",
});

slim_object!(Credentials {
    access_key_id: Text<'a> = "accessKeyId",
});

slim_object!(ResponseElements {
    console_login: Text<'a> = "ConsoleLogin",
    credentials: Object<Credentials<'a>> = "credentials",
});

slim_object!(
    /// The fields of a record the normalizer reads.
    SlimRecord {
        event_source: Text<'a> = "eventSource",
        event_name: Text<'a> = "eventName",
        event_id: Text<'a> = "eventID",
        event_time: Text<'a> = "eventTime",
        recipient_account_id: Text<'a> = "recipientAccountId",
        error_code: Present = "errorCode",
        identity: Object<Identity<'a>> = "userIdentity",
        additional: Object<AdditionalData<'a>> = "additionalEventData",
        service: Object<ServiceDetails<'a>> = "serviceEventDetails",
        request: Object<RequestParameters<'a>> = "requestParameters",
        response: Object<ResponseElements<'a>> = "responseElements",
    }
);

/// A record read from the entries of a JSON object and handed to a function in place, without
/// being returned: what the reader of a log object's `Records` uses.
pub fn with_record<'de, A: MapAccess<'de>, T>(
    mut map: A,
    each: impl FnOnce(&SlimRecord<'de>) -> T,
) -> Result<T, A::Error> {
    let mut record = SlimRecord::default();
    record.fill(&mut map)?;
    Ok(each(&record))
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
            "errorCode" => self.error_code.0,
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

//! Reading a snapshot file: parse, check the version, then check internal references, so that
//! every later stage can rely on what a workload points at being present (or explicitly
//! not collected).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::validate::check_consistency;
use super::{Snapshot, SNAPSHOT_VERSION};

/// Why a snapshot file cannot be used. Every variant names the file; all are "bad input".
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: cannot read snapshot: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: snapshot file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: not a valid snapshot: {detail}")]
    Malformed { path: PathBuf, detail: String },
    #[error(
        "{path}: unsupported snapshot_version {found} (this pullpath reads version {expected})"
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u64,
        expected: u32,
    },
    /// Duplicate ids, a reference into a collected list that does not resolve, or an
    /// unreadable policy document.
    #[error("{path}: {detail}")]
    Inconsistent { path: PathBuf, detail: String },
}

pub fn load_snapshot(path: &Path) -> Result<Snapshot, SnapshotError> {
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    parse_snapshot(path, &text).map_err(|error| match error {
        SnapshotError::Malformed { path, detail } => SnapshotError::Malformed {
            path,
            detail: escape_controls(&detail),
        },
        SnapshotError::Inconsistent { path, detail } => SnapshotError::Inconsistent {
            path,
            detail: escape_controls(&detail),
        },
        other => other,
    })
}

/// `text` (which quotes values of the file) with each control character and bidirectional
/// formatting character written as an escape (`\u{1b}`), so that a message cannot rewrite
/// the terminal it is printed on.
fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            let unsafe_char = c.is_control()
                || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if unsafe_char {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn parse_snapshot(path: &Path, text: &str) -> Result<Snapshot, SnapshotError> {
    let path_buf = || path.to_path_buf();
    // Editors on some systems save a byte-order mark; JSON has no place for it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(SnapshotError::Empty { path: path_buf() });
    }
    if !text.trim_start().starts_with('{') {
        let detail = match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(e) => describe_json_error(&e),
            Ok(_) => {
                "a snapshot must be a JSON object (`{\"snapshot_version\": 1, ...}`)".to_string()
            }
        };
        return Err(SnapshotError::Malformed {
            path: path_buf(),
            detail,
        });
    }
    // The version first, so a future version with another layout says "unsupported
    // version", not "missing field".
    // The version and header first (the rest skipped, not built), so a future version with
    // another layout says "unsupported version", not "missing field", and a missing header is
    // not blamed on a section.
    let probe: HeaderProbe = serde_json::from_str(text).map_err(|e| SnapshotError::Malformed {
        path: path_buf(),
        detail: describe_json_error(&e),
    })?;
    let version = probe
        .snapshot_version
        .ok_or_else(|| SnapshotError::Malformed {
            path: path_buf(),
            detail: "missing field `snapshot_version` (is this a pullpath snapshot?)".into(),
        })?;
    let found = version.as_u64().ok_or_else(|| SnapshotError::Malformed {
        path: path_buf(),
        detail: format!("`snapshot_version` must be a positive integer, found {version}"),
    })?;
    if found != u64::from(SNAPSHOT_VERSION) {
        return Err(SnapshotError::UnsupportedVersion {
            path: path_buf(),
            found,
            expected: SNAPSHOT_VERSION,
        });
    }
    let malformed = |detail: String| SnapshotError::Malformed {
        path: path_buf(),
        detail,
    };
    for (header, value) in [("account_id", probe.account_id), ("region", probe.region)] {
        match value {
            None => return Err(malformed(format!("missing field `{header}`"))),
            Some(found) if !found.is_string() => {
                return Err(malformed(format!(
                    "`{header}` must be a string, found {found}"
                )))
            }
            Some(_) => {}
        }
    }
    // Tracking the path of every value costs a fifth of the parse: the first pass reads
    // without it, and only a snapshot that fails is read again to say where.
    let mut json = serde_json::Deserializer::from_str(text);
    let snapshot = match Snapshot::deserialize(strict::Strict(&mut json)) {
        Ok(snapshot) => snapshot,
        Err(first) => {
            let mut json = serde_json::Deserializer::from_str(text);
            let error =
                match serde_path_to_error::deserialize::<_, Snapshot>(strict::Strict(&mut json)) {
                    Err(e) => e,
                    // Both passes read the same text with the same rules, so this does not
                    // happen; the first pass's error stands if it does.
                    Ok(_) => return Err(malformed(first.to_string())),
                };
            let at = error.path().to_string();
            return Err(malformed(if at == "." {
                error.into_inner().to_string()
            } else {
                format!("in `{at}`: {}", error.into_inner())
            }));
        }
    };
    json.end().map_err(|e| malformed(describe_json_error(&e)))?;
    check_consistency(&snapshot).map_err(|detail| SnapshotError::Inconsistent {
        path: path_buf(),
        detail,
    })?;
    Ok(snapshot)
}

/// The snapshot's header alone; every other field is skipped, not built.
#[derive(serde::Deserialize)]
struct HeaderProbe {
    #[serde(default)]
    snapshot_version: Option<serde_json::Value>,
    #[serde(default)]
    account_id: Option<serde_json::Value>,
    #[serde(default)]
    region: Option<serde_json::Value>,
}

fn describe_json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        format!(
            "the JSON ends early (truncated file?) at line {} column {}",
            e.line(),
            e.column()
        )
    } else {
        format!("invalid JSON: {e}")
    }
}

/// Reading the snapshot's JSON into its types strictly. serde's derived structs also take a
/// JSON array, field by field in order (`"log_configuration": ["awslogs", {}]`), and ignore
/// fields they do not know (`"asign_public_ip": "ENABLED"` would be read as DISABLED): here
/// an object is the only form of a struct, and a field a struct does not have is refused,
/// naming where it is. A snapshot is versioned (`snapshot_version`): a layout this build does
/// not know is another version, not extra fields to skip.
mod strict {
    use std::fmt;
    use std::marker::PhantomData;

    use serde::de::{
        self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess,
        Visitor,
    };
    use serde::forward_to_deserialize_any;

    /// A deserializer that reads structs strictly, and everything within them too.
    pub(super) struct Strict<D>(pub D);

    macro_rules! forward {
        ($($method:ident)*) => {$(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method(Wrap::new(visitor))
            }
        )*};
    }

    impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
        type Error = D::Error;

        forward! {
            deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
            deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
            deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
            deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
            deserialize_option deserialize_unit deserialize_seq deserialize_map
            deserialize_identifier deserialize_ignored_any
        }

        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_unit_struct(name, Wrap::new(visitor))
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_newtype_struct(name, Wrap::new(visitor))
        }

        fn deserialize_tuple<V: Visitor<'de>>(
            self,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_tuple(len, Wrap::new(visitor))
        }

        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0
                .deserialize_tuple_struct(name, len, Wrap::new(visitor))
        }

        /// A struct is read as a map only (never from an array), and only with its fields.
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_map(Wrap {
                visitor,
                fields: Some(fields),
            })
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_enum(name, variants, Wrap::new(visitor))
        }

        fn is_human_readable(&self) -> bool {
            self.0.is_human_readable()
        }
    }

    /// A visitor whose nested values are read strictly; `fields`: it reads a struct.
    struct Wrap<V> {
        visitor: V,
        fields: Option<&'static [&'static str]>,
    }

    impl<V> Wrap<V> {
        fn new(visitor: V) -> Self {
            Wrap {
                visitor,
                fields: None,
            }
        }
    }

    macro_rules! visit {
        ($($method:ident($ty:ty))*) => {$(
            fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
                self.visitor.$method(value)
            }
        )*};
    }

    impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.fields {
                Some(_) => f.write_str("an object"),
                None => self.visitor.expecting(f),
            }
        }

        visit! {
            visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
            visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
            visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str)
            visit_borrowed_str(&'de str) visit_string(String) visit_bytes(&[u8])
            visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
        }

        fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
            self.visitor.visit_none()
        }

        fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
            self.visitor.visit_unit()
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
            self.visitor.visit_some(Strict(d))
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
            self.visitor.visit_newtype_struct(Strict(d))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
            self.visitor.visit_seq(Items(seq))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
            self.visitor.visit_map(Entries {
                map,
                fields: self.fields,
                unknown: None,
            })
        }

        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
            self.visitor.visit_enum(Enum(data))
        }
    }

    /// A seed whose value is read strictly.
    struct Seed<S>(S);

    impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
        type Value = S::Value;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
            self.0.deserialize(Strict(d))
        }
    }

    struct Items<A>(A);

    impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Items<A> {
        type Error = A::Error;

        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, A::Error> {
            self.0.next_element_seed(Seed(seed))
        }

        fn size_hint(&self) -> Option<usize> {
            self.0.size_hint()
        }
    }

    struct Entries<A> {
        map: A,
        /// A struct's fields: any other key is refused.
        fields: Option<&'static [&'static str]>,
        /// The key just read, if the struct has no such field.
        unknown: Option<(String, &'static [&'static str])>,
    }

    impl<'de, A: MapAccess<'de>> MapAccess<'de> for Entries<A> {
        type Error = A::Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, A::Error> {
            let Some(fields) = self.fields else {
                return self.map.next_key_seed(Seed(seed));
            };
            match self.map.next_key_seed(KeyOf(fields))? {
                None => Ok(None),
                // The struct's own name for it, borrowed: no allocation per key.
                Some(Key::Known(name)) => seed
                    .deserialize(de::value::BorrowedStrDeserializer::<A::Error>::new(name))
                    .map(Some),
                Some(Key::Unknown(key)) => {
                    let read = seed.deserialize(de::value::StrDeserializer::<A::Error>::new(&key));
                    // Refused when its value is asked for, so that the error's path names
                    // the key.
                    self.unknown = Some((key, fields));
                    read.map(Some)
                }
            }
        }

        fn next_value_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<T::Value, A::Error> {
            if let Some((key, fields)) = self.unknown.take() {
                return seed.deserialize(UnknownField(key, fields, PhantomData));
            }
            self.map.next_value_seed(Seed(seed))
        }

        fn size_hint(&self) -> Option<usize> {
            self.map.size_hint()
        }
    }

    /// A struct's key: one of its fields, or another.
    enum Key {
        Known(&'static str),
        Unknown(String),
    }

    /// Reads a key of a struct whose fields are `.0`.
    struct KeyOf(&'static [&'static str]);

    impl<'de> DeserializeSeed<'de> for KeyOf {
        type Value = Key;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for KeyOf {
        type Value = Key;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a field name")
        }

        fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
            Ok(match self.0.iter().find(|field| **field == key) {
                Some(field) => Key::Known(field),
                None => Key::Unknown(key.to_string()),
            })
        }
    }

    /// The value of a key its struct does not have: any read of it is refused.
    struct UnknownField<E>(String, &'static [&'static str], PhantomData<E>);

    impl<'de, E: de::Error> Deserializer<'de> for UnknownField<E> {
        type Error = E;

        fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, E> {
            Err(E::unknown_field(&self.0, self.1))
        }

        forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct
            map struct enum identifier ignored_any
        }
    }

    struct Enum<A>(A);

    impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<A> {
        type Error = A::Error;
        type Variant = Variant<A::Variant>;

        fn variant_seed<S: DeserializeSeed<'de>>(
            self,
            seed: S,
        ) -> Result<(S::Value, Self::Variant), A::Error> {
            self.0
                .variant_seed(Seed(seed))
                .map(|(value, variant)| (value, Variant(variant)))
        }
    }

    struct Variant<A>(A);

    impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
        type Error = A::Error;

        fn unit_variant(self) -> Result<(), A::Error> {
            self.0.unit_variant()
        }

        fn newtype_variant_seed<T: DeserializeSeed<'de>>(
            self,
            seed: T,
        ) -> Result<T::Value, A::Error> {
            self.0.newtype_variant_seed(Seed(seed))
        }

        fn tuple_variant<V: Visitor<'de>>(
            self,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, A::Error> {
            self.0.tuple_variant(len, Wrap::new(visitor))
        }

        fn struct_variant<V: Visitor<'de>>(
            self,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, A::Error> {
            self.0.struct_variant(
                fields,
                Wrap {
                    visitor,
                    fields: Some(fields),
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
        parse_snapshot(Path::new("snap.json"), text)
    }

    #[test]
    fn minimal_snapshot_parses_with_everything_uncollected() {
        let s = parse(r#"{"snapshot_version":1,"account_id":"1","region":"us-east-1"}"#).unwrap();
        assert!(s.vpcs.is_none() && s.clusters.is_none());
    }

    #[test]
    fn empty_list_is_collected_and_empty() {
        let s = parse(r#"{"snapshot_version":1,"account_id":"1","region":"r","vpcs":[]}"#).unwrap();
        assert_eq!(s.vpcs.map(|v| v.len()), Some(0));
    }

    #[test]
    fn wrong_type_names_the_section() {
        let err = parse(r#"{"snapshot_version":1,"account_id":"1","region":"r","subnets":{}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("in `subnets`"), "{err}");
        assert!(err.starts_with("snap.json: "), "{err}");
    }

    #[test]
    fn shapes_are_strict_and_named_by_path() {
        let head = r#"{"snapshot_version":1,"account_id":"1","region":"r","#;
        for (body, needles) in [
            // A struct given as an array, field by field: serde alone would read it.
            (
                r#""subnets":[["subnet-1","vpc-1","10.0.1.0/24",null,false]]}"#,
                &[
                    "in `subnets[0]`",
                    "invalid type: sequence, expected an object",
                ][..],
            ),
            (
                r#""task_definitions":[{"arn":"a","container_definitions":[{"name":"c","image":"i","log_configuration":["awslogs",{}]}]}]}"#,
                &[
                    "in `task_definitions[0].container_definitions[0].log_configuration`",
                    "expected an object",
                ],
            ),
            // A misspelt optional field is not silently its default.
            (
                r#""clusters":[{"name":"c","arn":"a","services":[{"name":"s","arn":"a","task_definition":"t","network_configuration":{"subnets":["subnet-1"],"asign_public_ip":"ENABLED"}}]}]}"#,
                &[
                    "in `clusters[0].services[0].network_configuration.asign_public_ip`",
                    "unknown field `asign_public_ip`",
                ],
            ),
            (r#""vpc":[]}"#, &["in `vpc`: unknown field `vpc`"]),
            (
                r#""vpcs":[{"id":"vpc-1","cidr_blocks":["010.0.0.0/16"]}]}"#,
                &[
                    "in `vpcs[0].cidr_blocks`",
                    "`010.0.0.0/16` is not a CIDR as EC2 writes it",
                ],
            ),
            (
                r#""route_tables":[{"id":"rtb-1","vpc_id":"v","main":true,"subnet_ids":[],"routes":[{"destination_cidr":"0.0.0.0/0","target":{"kind":"Nat-Gateway","id":"nat-1"},"state":"active"}]}]}"#,
                &[
                    "in `route_tables[0].routes[0].target.kind`",
                    "unknown variant `Nat-Gateway`",
                ],
            ),
            (
                r#""network_acls":[{"id":"acl-1","vpc_id":"v","is_default":true,"subnet_ids":[],"entries":[{"rule_number":100.5,"egress":true,"protocol":"-1","rule_action":"allow"}]}]}"#,
                &[
                    "in `network_acls[0].entries[0].rule_number`",
                    "invalid type: floating point `100.5`",
                ],
            ),
        ] {
            let error = parse(&format!("{head}{body}")).unwrap_err().to_string();
            for needle in needles {
                assert!(error.contains(needle), "{needle}: {error}");
            }
        }
        // What the types take is read as before.
        let ok = format!(
            r#"{head}"vpcs":[{{"id":"vpc-1","cidr_blocks":["10.0.0.0/16"],"enable_dns_support":null}}],"roles":[{{"arn":"r","name":"n","assume_role_policy":{{"Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":"ecs-tasks.amazonaws.com"}}}}]}},"inline_policies":[],"attached_policy_arns":[],"tags":{{"team":"web"}}}}]}}"#
        );
        let snapshot = parse(&ok).unwrap();
        let role = &snapshot.roles.unwrap()[0];
        assert_eq!(role.tags.as_ref().unwrap()["team"], "web");
        assert_eq!(role.assume_role_policy["Statement"][0]["Effect"], "Allow");
    }

    #[test]
    fn messages_quote_values_without_their_control_characters() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            r#"{"snapshot_version":1,"account_id":"1","region":"r","vpcs":[{"id":"vpc-1","cidr_blocks":["\u001b[2J\u2066x"]}]}"#,
        )
        .unwrap();
        let error = load_snapshot(file.path()).unwrap_err().to_string();
        assert!(error.contains("\\u{1b}[2J\\u{2066}x"), "{error}");
        assert!(
            !error.contains('\u{1b}') && !error.contains('\u{2066}'),
            "{error:?}"
        );
    }

    #[test]
    fn version_is_checked_before_shape() {
        let err = parse(r#"{"snapshot_version":2}"#).unwrap_err();
        assert!(matches!(
            err,
            SnapshotError::UnsupportedVersion { found: 2, .. }
        ));
    }
}

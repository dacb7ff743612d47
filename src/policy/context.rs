//! The request context: what a request carries for each condition key, as far as the
//! configuration tells. A key can be absent from a request (IAM's rules for absent keys then
//! decide), present with known values, present with a value only partly known (an address
//! inside the task's subnet), or unknown. A key the context does not mention is unknown: the
//! evaluator never guesses.

use std::collections::HashMap;
use std::rc::Rc;

use ipnet::IpNet;

/// What a request holds for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    /// Not in the request context.
    Absent,
    /// Present with these values (one for a single-valued key).
    Values(Vec<String>),
    /// Present, but its value is only partly known.
    Partial(Partial),
    /// Whether it is present, and what it holds, is not known.
    Unknown,
}

/// A present value known only in part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partial {
    /// One IP address inside one of these ranges (a task's address in its subnet).
    Address(Vec<IpNet>),
    /// A string that starts with this (an ECS source ARN, a role session's `aws:userid`).
    Prefixed(String),
    /// A string that is none of these (an AWS-owned account is not the caller's).
    OtherThan(Vec<String>),
    /// Some value, nothing known about it (a public IP AWS assigns at launch).
    Any,
}

/// A key's value and where it comes from, for messages ("the call goes through NAT gateway
/// nat-0abc").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub value: KeyValue,
    pub source: String,
}

/// The request context of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// By key, lower-cased: condition key names are case-insensitive ("IAM JSON policy
    /// elements: Condition": "Condition key names are not case-sensitive").
    facts: HashMap<String, Fact>,
    /// Keys under a prefix (`aws:principaltag/`) not set one by one: a tag the role does not
    /// have is absent.
    families: Vec<(String, Fact)>,
    /// What this context does not set itself, it takes from here (a call's keys on top of
    /// its caller's, shared by every call of the caller).
    base: Option<Rc<Context>>,
}

impl Context {
    pub fn new() -> Self {
        Context::default()
    }

    /// An empty context on top of `base`.
    pub fn on(base: &Rc<Context>) -> Self {
        Context {
            base: Some(Rc::clone(base)),
            ..Context::default()
        }
    }

    pub fn set(&mut self, key: &str, value: KeyValue, source: impl Into<String>) {
        self.facts.insert(
            key.to_ascii_lowercase(),
            Fact {
                value,
                source: source.into(),
            },
        );
    }

    /// Sets every key that starts with `prefix` and is not set one by one.
    pub fn set_family(&mut self, prefix: &str, value: KeyValue, source: impl Into<String>) {
        let prefix = prefix.to_ascii_lowercase();
        self.families.retain(|(p, _)| *p != prefix);
        self.families.push((
            prefix,
            Fact {
                value,
                source: source.into(),
            },
        ));
    }

    /// Adds every fact of `other` (not of its base), replacing this context's for the same
    /// keys.
    pub fn extend(&mut self, other: &Context) {
        for (key, fact) in &other.facts {
            self.facts.insert(key.clone(), fact.clone());
        }
        for (prefix, fact) in &other.families {
            self.set_family(prefix, fact.value.clone(), fact.source.clone());
        }
    }

    /// The key's fact; `None`: the context says nothing of it (unknown).
    pub fn get(&self, key: &str) -> Option<&Fact> {
        self.lookup(&key.to_ascii_lowercase())
    }

    fn lookup(&self, key: &str) -> Option<&Fact> {
        self.facts
            .get(key)
            .or_else(|| {
                self.families
                    .iter()
                    .find(|(prefix, _)| key.starts_with(prefix.as_str()))
                    .map(|(_, fact)| fact)
            })
            .or_else(|| self.base.as_ref().and_then(|base| base.lookup(key)))
    }

    /// The single known value of a key.
    #[cfg(test)]
    pub fn single(&self, key: &str) -> Option<&str> {
        match self.get(key).map(|f| &f.value) {
            Some(KeyValue::Values(values)) if values.len() == 1 => Some(values[0].as_str()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_families_fill_the_rest() {
        let mut context = Context::new();
        context.set(
            "aws:SourceVpce",
            KeyValue::Values(vec!["vpce-1".into()]),
            "through vpce-1",
        );
        context.set_family("aws:PrincipalTag/", KeyValue::Absent, "the role's tags");
        context.set(
            "aws:PrincipalTag/team",
            KeyValue::Values(vec!["web".into()]),
            "the role's tags",
        );
        assert_eq!(context.single("AWS:SOURCEVPCE"), Some("vpce-1"));
        assert_eq!(context.single("aws:principaltag/Team"), Some("web"));
        assert_eq!(
            context
                .get("aws:PrincipalTag/cost-centre")
                .map(|f| &f.value),
            Some(&KeyValue::Absent)
        );
        assert!(context.get("aws:SourceIp").is_none());
        // A call's context on top of its caller's: its own facts first.
        let base = Rc::new(context);
        let mut call = Context::on(&base);
        call.set("aws:SourceVpce", KeyValue::Absent, "through a NAT gateway");
        assert_eq!(
            call.get("aws:SourceVpce").map(|f| &f.value),
            Some(&KeyValue::Absent)
        );
        assert_eq!(call.single("aws:principaltag/team"), Some("web"));
    }
}

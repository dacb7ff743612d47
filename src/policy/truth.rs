//! Three-valued logic: what the configuration decides, and what it leaves open (with why).

/// Whether a statement, element or condition applies to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    /// The request context does not decide it; each string says why (it names the key).
    Unknown(Vec<String>),
}

impl Truth {
    pub fn unknown(why: impl Into<String>) -> Truth {
        let why = why.into();
        Truth::Unknown(if why.is_empty() {
            Vec::new()
        } else {
            vec![why]
        })
    }

    pub fn of(value: bool) -> Truth {
        if value {
            Truth::True
        } else {
            Truth::False
        }
    }

    /// Kleene conjunction: false wins, then unknown.
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, t) | (t, Truth::True) => t,
            (Truth::Unknown(mut a), Truth::Unknown(b)) => {
                merge(&mut a, b);
                Truth::Unknown(a)
            }
        }
    }

    /// Kleene disjunction: true wins, then unknown.
    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, t) | (t, Truth::False) => t,
            (Truth::Unknown(mut a), Truth::Unknown(b)) => {
                merge(&mut a, b);
                Truth::Unknown(a)
            }
        }
    }

    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            unknown => unknown,
        }
    }

    /// The unknown reasons, with `why` when there are none.
    pub fn with_reason(self, why: &str) -> Truth {
        match self {
            Truth::Unknown(reasons) if reasons.is_empty() => Truth::unknown(why),
            other => other,
        }
    }

    pub fn any(items: impl IntoIterator<Item = Truth>) -> Truth {
        items.into_iter().fold(Truth::False, Truth::or)
    }

    pub fn all(items: impl IntoIterator<Item = Truth>) -> Truth {
        items.into_iter().fold(Truth::True, Truth::and)
    }
}

fn merge(into: &mut Vec<String>, from: Vec<String>) {
    for reason in from {
        if !into.contains(&reason) {
            into.push(reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene_logic() {
        let u = || Truth::unknown("k");
        assert_eq!(Truth::True.and(u()), u());
        assert_eq!(Truth::False.and(u()), Truth::False);
        assert_eq!(Truth::True.or(u()), Truth::True);
        assert_eq!(Truth::False.or(u()), u());
        assert_eq!(u().not(), u());
        assert_eq!(Truth::all([]), Truth::True);
        assert_eq!(Truth::any([]), Truth::False);
        assert_eq!(
            Truth::unknown("a").and(Truth::unknown("b")),
            Truth::Unknown(vec!["a".into(), "b".into()])
        );
    }
}

//! IAM's wildcards: `*` matches any run of characters (including none), `?` exactly one
//! ("IAM JSON policy elements: Resource": "You can use wildcard characters (* and ?) within
//! any ARN segment"; "Condition operators", StringLike: "multi-character match wildcard (*)
//! and the single-character match wildcard (?) anywhere in the string"). The policy variables
//! `${*}` and `${?}` stand for a literal `*` and `?` ("IAM policy elements: Variables and
//! tags", special characters), so a pattern is a list of tokens, not a string.
//!
//! Besides whole-string matching, [`Glob::prefix_match`] decides a pattern against a value of
//! which only the beginning is known (an ECS source ARN `arn:aws:ecs:REGION:ACCOUNT:…`, a
//! role session's `aws:userid` `ROLEID:…`).

use super::Truth;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    Literal(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Glob {
    tokens: Vec<Token>,
}

impl Glob {
    /// `*` and `?` in `text` are wildcards.
    pub fn new(text: &str) -> Glob {
        Glob {
            tokens: text
                .chars()
                .map(|c| match c {
                    '*' => Token::Star,
                    '?' => Token::One,
                    c => Token::Literal(c),
                })
                .collect(),
        }
    }

    pub fn push_literal(&mut self, text: &str) {
        self.tokens.extend(text.chars().map(Token::Literal));
    }

    pub fn push(&mut self, token: Token) {
        self.tokens.push(token);
    }

    pub fn append(&mut self, other: &Glob) {
        self.tokens.extend_from_slice(&other.tokens);
    }

    /// The pattern as plain text (for operators without wildcards, where `*` is a character).
    pub fn text(&self) -> String {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Literal(c) => *c,
                Token::Star => '*',
                Token::One => '?',
            })
            .collect()
    }

    pub fn has_wildcards(&self) -> bool {
        self.tokens.iter().any(|t| !matches!(t, Token::Literal(_)))
    }

    /// Splits at the first `limit - 1` literal colons (ARN segments).
    pub fn split_colons(&self, limit: usize) -> Vec<Glob> {
        let mut parts = vec![Glob::default()];
        for token in &self.tokens {
            if *token == Token::Literal(':') && parts.len() < limit {
                parts.push(Glob::default());
            } else {
                parts.last_mut().expect("one part").tokens.push(*token);
            }
        }
        parts
    }

    /// Whether the pattern matches all of `text`. Case-sensitive unless `ignore_case`.
    pub fn matches(&self, text: &str, ignore_case: bool) -> bool {
        if let Some(matched) = self.match_simple(text, ignore_case) {
            return matched;
        }
        let states = self.run(text, ignore_case);
        states.iter().any(|&s| self.only_stars_from(s))
    }

    /// The common shapes without an automaton: a literal (`ecr:BatchGetImage`), or a literal
    /// followed by stars (`ecr:*`, `arn:aws:ecr:…:repository/*`). `None`: another shape.
    fn match_simple(&self, text: &str, ignore_case: bool) -> Option<bool> {
        let literal_end = self
            .tokens
            .iter()
            .position(|t| !matches!(t, Token::Literal(_)))
            .unwrap_or(self.tokens.len());
        if !self.only_stars_from(literal_end) {
            return None;
        }
        let mut text_chars = text.chars();
        for token in &self.tokens[..literal_end] {
            let Token::Literal(wanted) = token else {
                unreachable!("literal prefix")
            };
            let Some(got) = text_chars.next() else {
                return Some(false);
            };
            let same = if ignore_case {
                got == *wanted || got.to_lowercase().eq(wanted.to_lowercase())
            } else {
                got == *wanted
            };
            if !same {
                return Some(false);
            }
        }
        // A trailing star takes any rest; without one, nothing may remain.
        Some(literal_end < self.tokens.len() || text_chars.next().is_none())
    }

    /// The pattern against a value known to start with `prefix` and to continue with
    /// something unknown that is never empty (a session name after a role id, a resource
    /// after an ECS ARN's account): true when every such value matches, false when none can,
    /// unknown otherwise. A pattern that ends with the prefix matches none: the rest must be
    /// taken by a star.
    pub fn prefix_match(&self, prefix: &str) -> Truth {
        let states: Vec<usize> = self
            .run(prefix, false)
            .into_iter()
            .filter(|&s| s < self.tokens.len())
            .collect();
        if states.is_empty() {
            Truth::False
        } else if states.iter().any(|&s| self.only_stars_from(s)) {
            Truth::True
        } else {
            Truth::unknown("")
        }
    }

    fn only_stars_from(&self, position: usize) -> bool {
        self.tokens[position..].iter().all(|&t| t == Token::Star)
    }

    /// The positions in the pattern reachable after reading all of `text` (an NFA run over
    /// a bitmap of positions: linear in |pattern| × |text|, no backtracking).
    fn run(&self, text: &str, ignore_case: bool) -> Vec<usize> {
        let tokens = &self.tokens;
        let same = |a: char, b: char| {
            if ignore_case {
                a.to_lowercase().eq(b.to_lowercase())
            } else {
                a == b
            }
        };
        let mut current = vec![false; tokens.len() + 1];
        let mut next = vec![false; tokens.len() + 1];
        current[0] = true;
        close_over_stars(tokens, &mut current);
        for c in text.chars() {
            next.iter_mut().for_each(|n| *n = false);
            for (i, &on) in current.iter().enumerate() {
                if !on || i == tokens.len() {
                    continue;
                }
                match tokens[i] {
                    Token::Star => next[i] = true,
                    Token::One => next[i + 1] = true,
                    Token::Literal(p) if same(p, c) => next[i + 1] = true,
                    Token::Literal(_) => {}
                }
            }
            close_over_stars(tokens, &mut next);
            if !next.iter().any(|&on| on) {
                return Vec::new();
            }
            std::mem::swap(&mut current, &mut next);
        }
        current
            .iter()
            .enumerate()
            .filter(|(_, &on)| on)
            .map(|(i, _)| i)
            .collect()
    }
}

/// A `*` may match nothing: a state before it is also a state after it.
fn close_over_stars(tokens: &[Token], states: &mut [bool]) {
    for i in 0..tokens.len() {
        if states[i] && tokens[i] == Token::Star {
            states[i + 1] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
        Glob::new(pattern).matches(text, ignore_case)
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("ecr:Batch*", "ecr:BatchGetImage", false));
        assert!(matches("*", "", false));
        assert!(matches("a*b*c", "aXXbYc", false));
        assert!(!matches("a*b*c", "aXXbY", false));
        assert!(matches("we?", "web", false));
        assert!(!matches("we?", "webb", false));
        assert!(!matches("Web", "web", false));
        assert!(matches("Web", "web", true));
        assert!(matches("a**", "a", false));
    }

    #[test]
    fn simple_shapes_agree_with_the_automaton() {
        for (pattern, text) in [
            ("ecr:*", "ecr:BatchGetImage"),
            ("ecr:*", "ecs:List"),
            ("ecr:BatchGetImage", "ECR:batchgetimage"),
            ("abc", "ab"),
            ("abc", "abcd"),
            ("ab**", "ab"),
            ("", ""),
            ("", "a"),
        ] {
            for ignore_case in [false, true] {
                let glob = Glob::new(pattern);
                let states = glob.run(text, ignore_case);
                let slow = states.iter().any(|&s| glob.only_stars_from(s));
                assert_eq!(glob.matches(text, ignore_case), slow, "{pattern} {text}");
            }
        }
    }

    #[test]
    fn literal_wildcard_characters() {
        let mut glob = Glob::new("team-");
        glob.push_literal("*");
        assert!(glob.matches("team-*", false));
        assert!(!glob.matches("team-web", false));
        assert_eq!(glob.text(), "team-*");
    }

    #[test]
    fn patterns_against_a_known_beginning() {
        let ecs = "arn:aws:ecs:us-east-1:123456789012:";
        let decide = |p: &str| Glob::new(p).prefix_match(ecs);
        assert_eq!(decide("arn:aws:ecs:us-east-1:123456789012:*"), Truth::True);
        assert_eq!(decide("arn:aws:ecs:*:123456789012:*"), Truth::True);
        assert_eq!(decide("arn:aws:e*"), Truth::True);
        assert_eq!(decide("arn:aws:ecs:eu-west-1:*"), Truth::False);
        // The rest is never empty: a pattern that stops at the prefix matches nothing.
        assert_eq!(decide("arn:aws:ecs:us-east-1:123456789012:"), Truth::False);
        assert!(matches!(
            decide("arn:aws:ecs:us-east-1:123456789012:task/*"),
            Truth::Unknown(_)
        ));
        // A literal after a star may or may not be met by the unknown rest.
        assert!(matches!(decide("arn:*t"), Truth::Unknown(_)));
    }

    #[test]
    fn arn_segments() {
        let parts = Glob::new("arn:aws:ecr:*:1:repository/a:b").split_colons(6);
        assert_eq!(parts.len(), 6);
        assert_eq!(parts[5].text(), "repository/a:b");
    }

    #[test]
    fn long_inputs_stay_linear() {
        let pattern = Glob::new(&"*a".repeat(2_000));
        assert!(pattern.matches(&"a".repeat(5_000), false));
        let started = std::time::Instant::now();
        assert!(!pattern.matches(&"b".repeat(5_000), false));
        // A guard against exponential backtracking, not a timing target.
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}

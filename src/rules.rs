//! Rules a test suite sets through `/_mock/rules`: how every run made from
//! now on for a processor, or on a file whose name holds a text, ends. A
//! marker in a run's own input wins over a rule; the first matching rule
//! (in the order they were added) wins over the others. No HTTP here.

use serde::{Deserialize, Serialize};

use crate::domain::JsonObject;

/// A rule as `POST /_mock/rules` takes it: one or both matchers, one outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor_id: Option<String>,
    /// Case-insensitive, like the list's `fileNameContains`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name_contains: Option<String>,
    /// PROCESSED, serving exactly this output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<JsonObject>,
    /// FAILED with this reason (and message, or the reason's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// Stays PROCESSING until ended otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hold: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    #[serde(flatten)]
    pub spec: RuleSpec,
}

/// How a matching rule ends a run.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleOutcome {
    Output(JsonObject),
    Fail {
        reason: String,
        message: Option<String>,
    },
    Hold,
}

impl Rule {
    pub fn outcome(&self) -> RuleOutcome {
        let spec = &self.spec;
        if spec.hold {
            RuleOutcome::Hold
        } else if let Some(reason) = &spec.failure_reason {
            RuleOutcome::Fail {
                reason: reason.clone(),
                message: spec.failure_message.clone(),
            }
        } else {
            RuleOutcome::Output(spec.output.clone().unwrap_or_default())
        }
    }

    fn matches(&self, processor_id: &str, file_name: &str) -> bool {
        let spec = &self.spec;
        spec.processor_id
            .as_deref()
            .is_none_or(|p| p == processor_id)
            && spec
                .file_name_contains
                .as_deref()
                .is_none_or(|needle| file_name.to_lowercase().contains(&needle.to_lowercase()))
    }
}

#[derive(Default)]
pub struct Rules {
    rules: Vec<Rule>,
    added: u64,
}

impl Rules {
    /// Checks and keeps a rule; the error says what is wrong with it.
    pub fn add(&mut self, spec: RuleSpec) -> Result<Rule, String> {
        if spec.processor_id.is_none() && spec.file_name_contains.is_none() {
            return Err(
                "give `processorId`, `fileNameContains` or both: what the rule applies to".into(),
            );
        }
        let outcomes = usize::from(spec.output.is_some())
            + usize::from(spec.failure_reason.is_some())
            + usize::from(spec.hold);
        if outcomes != 1 {
            return Err(
                "give exactly one of `output`, `failureReason` or `hold: true`: how the runs end"
                    .into(),
            );
        }
        if spec.failure_message.is_some() && spec.failure_reason.is_none() {
            return Err("`failureMessage` goes with `failureReason`".into());
        }
        if let Some(output) = &spec.output {
            crate::openapi::check_output(None, output).map_err(|e| format!("output: {e}"))?;
        }
        self.added += 1;
        let rule = Rule {
            id: format!("rule_{}", self.added),
            spec,
        };
        self.rules.push(rule.clone());
        Ok(rule)
    }

    pub fn list(&self) -> &[Rule] {
        &self.rules
    }

    pub fn clear(&mut self) -> usize {
        let cleared = self.rules.len();
        self.rules.clear();
        cleared
    }

    /// The first rule for this processor and file name.
    pub fn matching(&self, processor_id: &str, file_name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.matches(processor_id, file_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(processor: Option<&str>, name: Option<&str>) -> RuleSpec {
        RuleSpec {
            processor_id: processor.map(str::to_owned),
            file_name_contains: name.map(str::to_owned),
            output: None,
            failure_reason: Some("X".into()),
            failure_message: None,
            hold: false,
        }
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let mut rules = Rules::default();
        let by_name = rules.add(spec(None, Some("W2"))).unwrap();
        let by_processor = rules.add(spec(Some("ex_a"), None)).unwrap();
        assert_eq!(
            rules.matching("ex_a", "my_w2.pdf").map(|r| &r.id),
            Some(&by_name.id)
        );
        assert_eq!(
            rules.matching("ex_a", "x.pdf").map(|r| &r.id),
            Some(&by_processor.id)
        );
        assert_eq!(rules.matching("ex_b", "x.pdf"), None);
        assert_eq!(rules.clear(), 2);
        assert_eq!(rules.matching("ex_a", "x.pdf"), None);
    }

    #[test]
    fn a_rule_needs_a_matcher_and_one_outcome() {
        let mut rules = Rules::default();
        assert!(rules.add(spec(None, None)).is_err());
        let mut two = spec(Some("ex_a"), None);
        two.hold = true;
        assert!(rules.add(two).is_err());
        let mut none = spec(Some("ex_a"), None);
        none.failure_reason = None;
        assert!(rules.add(none).is_err());
    }
}

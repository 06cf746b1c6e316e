//! The community guidelines: a versioned set of rules that every flag cites. Version 1 is
//! built in; admins publish later versions whole (`updateGuidelines`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
use wayfarer_schemas::moderation::{GuidelineRule, GuidelinesEvent};

use crate::aggregate::{Aggregate, DomainError, ErrorKind};
use crate::values::{check_text, Lines};

/// Rules one version holds at most.
pub const MAX_RULES: usize = 50;
pub const TITLE_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 1_000;

/// Version 1: what the community agrees to before any admin edits it.
pub fn built_in_rules() -> Vec<GuidelineRule> {
    [
        (
            "SPAM",
            "No spam",
            "Advertising, repeated posts and links that lead nowhere useful.",
        ),
        (
            "HARASSMENT",
            "Be kind",
            "No insults, threats or pile-ons against anyone.",
        ),
        ("HATE", "No hate", "No attacks on people for who they are."),
        (
            "EXPLICIT",
            "Keep it clean",
            "No sexual or gratuitously violent content.",
        ),
        (
            "MISLEADING",
            "Be truthful",
            "No fake reviews, scams or deliberately false travel information.",
        ),
        (
            "PRIVACY",
            "Respect privacy",
            "No one's personal details or photos without their consent.",
        ),
        (
            "OFF_TOPIC",
            "Stay on topic",
            "Comments belong to what they answer.",
        ),
    ]
    .into_iter()
    .map(|(code, title, description)| GuidelineRule {
        code: code.into(),
        title: title.into(),
        description: description.into(),
    })
    .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub enum GuidelinesCommand {
    /// `updateGuidelines`: the whole rule set of the next version.
    Update {
        actor: Uuid,
        actor_is_admin: bool,
        now: DateTime<Utc>,
        rules: Vec<GuidelineRule>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuidelinesError {
    #[error("only admins change the guidelines")]
    NotAdmin,
    #[error(
        "the guidelines hold 1 to {MAX_RULES} rules, each with a unique upper-case code (A-Z, \
         digits, _; 2 to 32 characters), a one-line title of at most {TITLE_MAX_CHARS} \
         characters and a description of at most {DESCRIPTION_MAX_CHARS}"
    )]
    InvalidRules,
    #[error("the change would leave everything as it is")]
    NothingToChange,
}

impl DomainError for GuidelinesError {
    fn kind(&self) -> ErrorKind {
        match self {
            GuidelinesError::NotAdmin => ErrorKind::Forbidden,
            GuidelinesError::InvalidRules | GuidelinesError::NothingToChange => {
                ErrorKind::Validation
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Guidelines {
    version: u32,
    rules: Vec<GuidelineRule>,
}

impl Default for Guidelines {
    fn default() -> Self {
        Self {
            version: 1,
            rules: built_in_rules(),
        }
    }
}

impl Guidelines {
    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn rules(&self) -> &[GuidelineRule] {
        &self.rules
    }

    pub fn rule(&self, code: &str) -> Option<&GuidelineRule> {
        self.rules.iter().find(|rule| rule.code == code)
    }
}

fn checked(rules: Vec<GuidelineRule>) -> Result<Vec<GuidelineRule>, GuidelinesError> {
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(GuidelinesError::InvalidRules);
    }
    let mut codes = std::collections::BTreeSet::new();
    rules
        .into_iter()
        .map(|rule| {
            let code = rule.code.trim().to_owned();
            let title = rule.title.trim().to_owned();
            let description = rule.description.trim().to_owned();
            let code_ok = (2..=32).contains(&code.len())
                && code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            let title_ok = (1..=TITLE_MAX_CHARS).contains(&title.chars().count())
                && check_text(&title, Lines::Single, "title").is_ok();
            let description_ok = (1..=DESCRIPTION_MAX_CHARS).contains(&description.chars().count())
                && check_text(&description, Lines::Multi, "description").is_ok();
            if !code_ok || !title_ok || !description_ok || !codes.insert(code.clone()) {
                return Err(GuidelinesError::InvalidRules);
            }
            Ok(GuidelineRule {
                code,
                title,
                description,
            })
        })
        .collect()
}

impl Aggregate for Guidelines {
    const TYPE: &'static str = wayfarer_schemas::moderation::GUIDELINES_AGGREGATE_TYPE;
    type Command = GuidelinesCommand;
    type Event = GuidelinesEvent;
    type Error = GuidelinesError;

    fn decide(&self, command: GuidelinesCommand) -> Result<Vec<GuidelinesEvent>, GuidelinesError> {
        let GuidelinesCommand::Update {
            actor,
            actor_is_admin,
            now,
            rules,
        } = command;
        if !actor_is_admin {
            return Err(GuidelinesError::NotAdmin);
        }
        let rules = checked(rules)?;
        if rules == self.rules {
            return Err(GuidelinesError::NothingToChange);
        }
        Ok(vec![GuidelinesEvent::GuidelinesUpdated {
            version: self.version + 1,
            rules,
            updated_by: actor,
            updated_at: now,
        }])
    }

    fn apply(&mut self, event: &GuidelinesEvent) {
        let GuidelinesEvent::GuidelinesUpdated { version, rules, .. } = event;
        self.version = *version;
        self.rules = rules.clone();
    }

    fn expected_version(_command: &GuidelinesCommand) -> Option<u64> {
        None
    }
}

//! The compatibility policy, enforced on the registry.
//!
//! Every version of a contract that was ever published keeps fixtures in
//! `schemas/fixtures/<aggregate>.v<version>.jsonl`: one stored payload per event type of that
//! version, as `{"eventType", "payload"}` lines. Every fixture of every version must still
//! become a current event (directly, or through the contract's upcasters), and the current
//! version must have fixtures for every event type. So a change that breaks an existing
//! version without an upcaster, or a new version or event type without its fixtures, fails
//! [`Registry::check_compatibility`] (and the test that runs it).
//!
//! Within a version, only additions are compatible: a new optional field (with a default), a
//! new enum value, a new event type. Removing, renaming or retyping anything is a new version
//! with an upcaster from the previous one.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Registry;

/// One stored payload of a published version.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fixture {
    event_type: String,
    payload: serde_json::Value,
}

/// A way in which a contract no longer honours what it published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Incompatible {
    #[error("{aggregate_type} has no fixtures for its current version {version}: add {file}")]
    MissingCurrentFixtures {
        aggregate_type: String,
        version: String,
        file: String,
    },
    #[error("{aggregate_type} v{version} has no fixture of its event type {event_type}")]
    MissingEventType {
        aggregate_type: String,
        version: String,
        event_type: String,
    },
    #[error("{aggregate_type} {event_type} v{version} (line {line}) no longer reads: {reason}")]
    Unreadable {
        aggregate_type: String,
        version: String,
        event_type: String,
        line: usize,
        reason: String,
    },
    #[error("fixture file {file} cannot be read: {reason}")]
    BadFixtureFile { file: String, reason: String },
}

impl Registry {
    /// Checks every registered contract against the fixtures in `dir` (see the module docs).
    pub fn check_compatibility(&self, dir: &Path) -> Vec<Incompatible> {
        let mut found = Vec::new();
        for contract in self.contracts() {
            let aggregate_type = contract.aggregate_type;
            let files = match fixture_files(dir, aggregate_type) {
                Ok(files) => files,
                Err(reason) => {
                    found.push(Incompatible::BadFixtureFile {
                        file: dir.display().to_string(),
                        reason,
                    });
                    continue;
                }
            };
            if !files.iter().any(|(version, _)| version == contract.version) {
                found.push(Incompatible::MissingCurrentFixtures {
                    aggregate_type: aggregate_type.to_owned(),
                    version: contract.version.to_owned(),
                    file: dir
                        .join(format!("{aggregate_type}.v{}.jsonl", contract.version))
                        .display()
                        .to_string(),
                });
            }
            for (version, path) in files {
                let text = match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(error) => {
                        found.push(Incompatible::BadFixtureFile {
                            file: path.display().to_string(),
                            reason: error.to_string(),
                        });
                        continue;
                    }
                };
                let mut covered = Vec::new();
                for (n, line) in text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                {
                    let unreadable = |event_type: &str, reason: String| Incompatible::Unreadable {
                        aggregate_type: aggregate_type.to_owned(),
                        version: version.clone(),
                        event_type: event_type.to_owned(),
                        line: n + 1,
                        reason,
                    };
                    let fixture: Fixture = match serde_json::from_str(line) {
                        Ok(fixture) => fixture,
                        Err(error) => {
                            found.push(unreadable("?", format!("not a fixture line: {error}")));
                            continue;
                        }
                    };
                    let payload = fixture.payload.to_string();
                    match contract.decodes(&fixture.event_type, &version, &payload) {
                        Ok(decoded) if decoded == fixture.event_type => {}
                        Ok(decoded) => found.push(unreadable(
                            &fixture.event_type,
                            format!("it reads as a {decoded}"),
                        )),
                        Err(error) => {
                            found.push(unreadable(&fixture.event_type, error.to_string()))
                        }
                    }
                    covered.push(fixture.event_type);
                }
                if version == contract.version {
                    for event_type in contract.event_types {
                        if !covered.iter().any(|c| c == event_type) {
                            found.push(Incompatible::MissingEventType {
                                aggregate_type: aggregate_type.to_owned(),
                                version: version.clone(),
                                event_type: (*event_type).to_owned(),
                            });
                        }
                    }
                }
            }
        }
        found
    }
}

/// `(version, path)` of every fixture file of `aggregate_type` in `dir`.
fn fixture_files(dir: &Path, aggregate_type: &str) -> Result<Vec<(String, PathBuf)>, String> {
    let prefix = format!("{aggregate_type}.v");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(version) = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".jsonl"))
        {
            files.push((version.to_owned(), path.clone()));
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::EventContract;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
    }

    #[test]
    fn every_published_version_of_every_contract_still_reads() {
        let found = Registry::standard().check_compatibility(&fixtures());
        assert!(found.is_empty(), "{found:#?}");
    }

    /// An itinerary contract changed in place: `ItineraryCreated` renamed its fields and the
    /// version went to 2.0, with no upcaster from 1.0.
    #[derive(Debug, Serialize, Deserialize, JsonSchema)]
    #[serde(tag = "type", rename_all_fields = "camelCase")]
    enum BrokenItineraryEvent {
        ItineraryCreated { name: String },
    }

    impl EventContract for BrokenItineraryEvent {
        const AGGREGATE_TYPE: &'static str = "itinerary";
        const VERSION: &'static str = "2.0";
        const EVENT_TYPES: &'static [&'static str] = &["ItineraryCreated", "ItineraryRenamed"];

        fn event_type(&self) -> &'static str {
            "ItineraryCreated"
        }
    }

    #[test]
    fn a_breaking_change_without_an_upcaster_fails() {
        let found = Registry::default()
            .register::<BrokenItineraryEvent>()
            .check_compatibility(&fixtures());
        let unreadable_v1 = found.iter().any(|f| {
            matches!(f, Incompatible::Unreadable { version, event_type, .. }
                if version == "1.0" && event_type == "ItineraryCreated")
        });
        let unreadable_v2 = found.iter().any(|f| {
            matches!(f, Incompatible::Unreadable { version, event_type, .. }
                if version == "2.0" && event_type == "ItineraryCreated")
        });
        let uncovered = found.contains(&Incompatible::MissingEventType {
            aggregate_type: "itinerary".into(),
            version: "2.0".into(),
            event_type: "ItineraryRenamed".into(),
        });
        assert!(unreadable_v1 && unreadable_v2 && uncovered, "{found:#?}");
    }

    #[test]
    fn a_new_version_without_fixtures_fails() {
        #[derive(Debug, Serialize, Deserialize, JsonSchema)]
        #[serde(tag = "type")]
        enum Later {
            UserRegistered,
        }
        impl EventContract for Later {
            const AGGREGATE_TYPE: &'static str = "user";
            const VERSION: &'static str = "9.0";
            const EVENT_TYPES: &'static [&'static str] = &["UserRegistered"];
            fn event_type(&self) -> &'static str {
                "UserRegistered"
            }
        }
        let found = Registry::default()
            .register::<Later>()
            .check_compatibility(&fixtures());
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Incompatible::MissingCurrentFixtures { version, .. } if version == "9.0")),
            "{found:#?}"
        );
    }
}

//! JSON Schema export of the published contract, one file per topic.

use crate::Registry;

/// `(file name, pretty JSON schema)` for every topic's envelope of the standard registry.
pub fn all_schemas() -> Vec<(String, String)> {
    Registry::standard().schema_files()
}

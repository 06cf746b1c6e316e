//! Parsed GraphQL documents by query text. Clients send the same few operations over and
//! over, and parsing one costs more CPU than the rest of a small mutation, so each distinct
//! text is parsed once. Validation and execution still run on every request.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::Request;
use quick_cache::sync::Cache;

/// Distinct query texts kept (least recently used ones are evicted).
const CACHED_QUERIES: usize = 1_000;
/// Longer texts are parsed every time: they are rare, and a client should not be able to
/// fill the cache with large one-off documents.
const MAX_CACHED_QUERY_BYTES: usize = 4 * 1024;

#[derive(Clone)]
pub struct ParsedQueries {
    cache: std::sync::Arc<Cache<String, ExecutableDocument>>,
}

impl Default for ParsedQueries {
    fn default() -> Self {
        Self {
            cache: std::sync::Arc::new(Cache::new(CACHED_QUERIES)),
        }
    }
}

/// A document with more selections than the limit allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the query selects {selections} fields; at most {limit} are allowed")]
pub struct TooManySelections {
    pub selections: usize,
    pub limit: usize,
}

impl ParsedQueries {
    /// Gives `request` its parsed document, from the cache or by parsing (and remembering)
    /// it, and refuses a document with more than `max_selections` selections in all. Every
    /// field counts, `__typename` included (async-graphql's complexity leaves it out, so a
    /// document of thousands of `__typename` aliases would otherwise run). A text that does
    /// not parse is left for the executor to report.
    pub fn prepare(
        &self,
        request: &mut Request,
        max_selections: usize,
    ) -> Result<(), TooManySelections> {
        let cacheable = request.query.len() <= MAX_CACHED_QUERY_BYTES;
        if cacheable {
            if let Some(document) = self.cache.get(&request.query) {
                request.set_parsed_query(document);
                return Ok(());
            }
        }
        let Ok(document) = request.parsed_query() else {
            return Ok(());
        };
        let selections = count_selections(document);
        if selections > max_selections {
            return Err(TooManySelections {
                selections,
                limit: max_selections,
            });
        }
        if cacheable {
            let document = document.clone();
            self.cache.insert(request.query.clone(), document);
        }
        Ok(())
    }
}

/// Every selection in the document's operations and fragment definitions.
fn count_selections(document: &ExecutableDocument) -> usize {
    let operations: usize = match &document.operations {
        DocumentOperations::Single(operation) => in_set(&operation.node.selection_set.node),
        DocumentOperations::Multiple(operations) => operations
            .values()
            .map(|operation| in_set(&operation.node.selection_set.node))
            .sum(),
    };
    let fragments: usize = document
        .fragments
        .values()
        .map(|fragment| in_set(&fragment.node.selection_set.node))
        .sum();
    operations + fragments
}

fn in_set(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|selection| {
            1 + match &selection.node {
                Selection::Field(field) => in_set(&field.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
                Selection::InlineFragment(fragment) => in_set(&fragment.node.selection_set.node),
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_document_is_the_one_parsed_from_the_same_text() {
        let queries = ParsedQueries::default();
        let text = "query Q($id: UUID!) { itinerary(id: $id) { title } }";
        let mut first = Request::new(text);
        queries.prepare(&mut first, 100).unwrap();
        let mut second = Request::new(text);
        queries.prepare(&mut second, 100).unwrap();
        let parsed = async_graphql::parser::parse_query(text).expect("valid query");
        assert_eq!(
            format!("{:?}", second.parsed_query().expect("prepared")),
            format!("{parsed:?}")
        );
        assert_eq!(queries.cache.len(), 1);
    }

    #[test]
    fn invalid_and_oversized_texts_are_not_cached() {
        let queries = ParsedQueries::default();
        queries.prepare(&mut Request::new("query {"), 100).unwrap();
        let long = format!(
            "{{ me {{ userId }} }} #{}",
            "x".repeat(MAX_CACHED_QUERY_BYTES)
        );
        queries.prepare(&mut Request::new(long), 100).unwrap();
        assert_eq!(queries.cache.len(), 0);
    }

    #[test]
    fn typename_aliases_count_against_the_selection_limit() {
        let queries = ParsedQueries::default();
        let aliases: String = (0..50).map(|n| format!(" a{n}: __typename")).collect();
        let mut request = Request::new(format!("{{{aliases} }}"));
        assert_eq!(
            queries.prepare(&mut request, 49),
            Err(TooManySelections {
                selections: 50,
                limit: 49
            })
        );
        let nested = "{ me { id userName } x: __typename }";
        assert_eq!(queries.prepare(&mut Request::new(nested), 4), Ok(()));
    }
}

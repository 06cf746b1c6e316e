//! Parsed GraphQL documents by query text. Clients send the same few operations over and
//! over, and parsing one costs more CPU than the rest of a small mutation, so each distinct
//! text is parsed once. Validation and execution still run on every request.

use async_graphql::parser::types::ExecutableDocument;
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

impl ParsedQueries {
    /// Gives `request` its parsed document, from the cache or by parsing (and remembering)
    /// it. A text that does not parse is left for the executor to report.
    pub fn prepare(&self, request: &mut Request) {
        if request.query.len() > MAX_CACHED_QUERY_BYTES {
            return;
        }
        if let Some(document) = self.cache.get(&request.query) {
            request.set_parsed_query(document);
            return;
        }
        if let Ok(document) = request.parsed_query() {
            let document = document.clone();
            self.cache.insert(request.query.clone(), document);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_document_is_the_one_parsed_from_the_same_text() {
        let queries = ParsedQueries::default();
        let text = "query Q($id: UUID!) { itinerary(id: $id) { title } }";
        let mut first = Request::new(text);
        queries.prepare(&mut first);
        let mut second = Request::new(text);
        queries.prepare(&mut second);
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
        queries.prepare(&mut Request::new("query {"));
        let long = format!(
            "{{ me {{ userId }} }} #{}",
            "x".repeat(MAX_CACHED_QUERY_BYTES)
        );
        queries.prepare(&mut Request::new(long));
        assert_eq!(queries.cache.len(), 0);
    }
}

//! Parsed GraphQL documents by query text. Clients send the same few operations over and
//! over, and parsing one costs more CPU than the rest of a small mutation, so each distinct
//! text is parsed once.
//!
//! Full validation then runs on every request, with one exception: a document that already
//! passed it, and whose variables can only reach its single root field's own arguments, is
//! checked for depth and complexity only. Validation's one variable-dependent rule (argument
//! values) is then enforced by the executor instead: a root field whose arguments do not
//! coerce is refused before it runs, and it is the only field that could run, so nothing
//! executes, as if validation had refused the request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, Selection, SelectionSet,
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
    cache: Arc<Cache<String, Arc<Prepared>>>,
}

impl Default for ParsedQueries {
    fn default() -> Self {
        Self {
            cache: Arc::new(Cache::new(CACHED_QUERIES)),
        }
    }
}

/// A parsed document and what is known about it.
pub struct Prepared {
    document: ExecutableDocument,
    /// One operation selecting one root field; no fragments or directives anywhere; variables
    /// used only in the root field's arguments.
    single_field: bool,
    /// Passed full validation, and ran without any error, at least once.
    validated: AtomicBool,
}

impl Prepared {
    fn new(document: ExecutableDocument) -> Self {
        Self {
            single_field: is_single_field(&document),
            document,
            validated: AtomicBool::new(false),
        }
    }

    /// Whether this request may skip the validation rules (not the depth and complexity
    /// limits).
    pub fn may_skip_validation(&self) -> bool {
        self.single_field && self.validated.load(Ordering::Relaxed)
    }

    /// Records that a request with this document passed full validation and ran cleanly.
    pub fn passed_validation(&self) {
        if self.single_field {
            self.validated.store(true, Ordering::Relaxed);
        }
    }
}

impl ParsedQueries {
    /// Gives `request` its parsed document, from the cache or by parsing (and remembering)
    /// it. A text that does not parse, or is too long to cache, is left for the executor
    /// (and full validation); `None` then.
    pub fn prepare(&self, request: &mut Request) -> Option<Arc<Prepared>> {
        if request.query.len() > MAX_CACHED_QUERY_BYTES {
            return None;
        }
        if let Some(prepared) = self.cache.get(&request.query) {
            request.set_parsed_query(prepared.document.clone());
            return Some(prepared);
        }
        let document = request.parsed_query().ok()?.clone();
        let prepared = Arc::new(Prepared::new(document));
        self.cache.insert(request.query.clone(), prepared.clone());
        Some(prepared)
    }
}

fn is_single_field(document: &ExecutableDocument) -> bool {
    if !document.fragments.is_empty() {
        return false;
    }
    let operation = match &document.operations {
        DocumentOperations::Single(operation) => operation,
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            match operations.values().next() {
                Some(operation) => operation,
                None => return false,
            }
        }
        DocumentOperations::Multiple(_) => return false,
    };
    let operation = &operation.node;
    match operation.selection_set.node.items.as_slice() {
        [only] => match &only.node {
            Selection::Field(root) => {
                operation.directives.is_empty()
                    && root.node.directives.is_empty()
                    && selections_use_no_variables(&root.node.selection_set.node)
            }
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => false,
        },
        _ => false,
    }
}

/// True when every selection below the root is a plain field whose arguments hold no
/// variables and which carries no directives.
fn selections_use_no_variables(selections: &SelectionSet) -> bool {
    selections
        .items
        .iter()
        .all(|selection| match &selection.node {
            Selection::Field(field) => field_uses_no_variables(&field.node),
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => false,
        })
}

fn field_uses_no_variables(field: &Field) -> bool {
    field.directives.is_empty()
        && field
            .arguments
            .iter()
            // A value converts to a constant exactly when it holds no variable.
            .all(|(_, value)| value.node.clone().into_const().is_some())
        && selections_use_no_variables(&field.selection_set.node)
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

    fn single_field(text: &str) -> bool {
        Prepared::new(async_graphql::parser::parse_query(text).expect("valid query")).single_field
    }

    #[test]
    fn only_one_root_field_reached_by_variables_may_skip_validation() {
        // Eligible: one root field; variables only in its own arguments.
        assert!(single_field(
            "mutation($id: UUID!, $input: CreateItineraryItemInput!) { addItineraryItem(itineraryId: $id, input: $input) { itemId position version } }"
        ));
        assert!(single_field(
            "query Q { itinerary(id: \"01a20511-d728-74d1-8d9b-749279085d12\") { items(first: 3) { title } } }"
        ));
        // Two root fields: one could run while the other's arguments fail.
        assert!(!single_field(
            "mutation($a: UUID!, $b: UUID!) { x: deleteItinerary(itineraryId: $a) { version } y: deleteItinerary(itineraryId: $b) { version } }"
        ));
        // A variable below the root would only fail after the root field ran.
        assert!(!single_field(
            "query($n: Int) { myItineraries { edges { node { items(first: $n) { title } } } } }"
        ));
        // Directives and fragments take the full path.
        assert!(!single_field(
            "query($skip: Boolean!) { me @skip(if: $skip) { userId } }"
        ));
        assert!(!single_field(
            "query { me { ...Who } } fragment Who on User { userId }"
        ));
        assert!(!single_field(
            "query A { me { userId } } query B { me { userId } }"
        ));
    }

    #[test]
    fn a_document_skips_validation_only_after_passing_it() {
        let queries = ParsedQueries::default();
        let text = "mutation($id: UUID!) { deleteItinerary(itineraryId: $id) { version } }";
        let prepared = queries.prepare(&mut Request::new(text)).expect("cached");
        assert!(!prepared.may_skip_validation());
        prepared.passed_validation();
        let again = queries.prepare(&mut Request::new(text)).expect("cached");
        assert!(again.may_skip_validation());
        // A document with two root fields never skips it.
        let two = "query { a: me { userId } b: me { userId } }";
        let prepared = queries.prepare(&mut Request::new(two)).expect("cached");
        prepared.passed_validation();
        assert!(!prepared.may_skip_validation());
    }
}

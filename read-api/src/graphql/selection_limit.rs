//! A cap on the selections one document may make, for every transport (HTTP and WebSocket).
//!
//! async-graphql's complexity limit leaves `__typename` out, so a document of thousands of
//! `__typename` aliases would run. Here every selection counts, and a fragment counts each time
//! it is spread, so repeating a fragment cannot multiply the work past the cap either.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{ErrorExtensionValues, ServerError, ServerResult, Variables};

/// Refuses documents with more than `limit` selections (`VALIDATION`).
pub struct SelectionLimit {
    pub limit: usize,
}

impl ExtensionFactory for SelectionLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SelectionLimitExtension { limit: self.limit })
    }
}

struct SelectionLimitExtension {
    limit: usize,
}

#[async_trait::async_trait]
impl Extension for SelectionLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let selections = count_selections(&document, self.limit);
        if selections > self.limit {
            let mut error = ServerError::new(
                format!(
                    "the query selects more than {} fields (fragments counted at each use)",
                    self.limit
                ),
                None,
            );
            let mut extensions = ErrorExtensionValues::default();
            extensions.set("code", "VALIDATION");
            error.extensions = Some(extensions);
            return Err(error);
        }
        Ok(document)
    }
}

/// Every selection of the document's operations, each fragment counted where it is spread;
/// stops counting just past `limit` (and a fragment cycle, which validation would refuse, counts
/// as past it).
pub fn count_selections(document: &ExecutableDocument, limit: usize) -> usize {
    let mut counter = Counter {
        document,
        limit,
        count: 0,
        spreading: HashSet::new(),
    };
    match &document.operations {
        DocumentOperations::Single(operation) => counter.set(&operation.node.selection_set.node),
        DocumentOperations::Multiple(operations) => {
            for operation in operations.values() {
                counter.set(&operation.node.selection_set.node);
            }
        }
    }
    counter.count
}

struct Counter<'a> {
    document: &'a ExecutableDocument,
    limit: usize,
    count: usize,
    /// Fragments being expanded (a cycle among them would never end).
    spreading: HashSet<&'a str>,
}

impl<'a> Counter<'a> {
    fn set(&mut self, set: &'a SelectionSet) {
        for selection in &set.items {
            if self.count > self.limit {
                return;
            }
            self.count += 1;
            match &selection.node {
                Selection::Field(field) => self.set(&field.node.selection_set.node),
                Selection::InlineFragment(fragment) => self.set(&fragment.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    else {
                        continue;
                    };
                    if !self.spreading.insert(name) {
                        self.count = self.limit + 1;
                        return;
                    }
                    self.set(&fragment.node.selection_set.node);
                    self.spreading.remove(name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &str, limit: usize) -> usize {
        count_selections(&async_graphql::parser::parse_query(text).unwrap(), limit)
    }

    #[test]
    fn typename_aliases_count_like_any_field() {
        let aliases: String = (0..50).map(|n| format!(" a{n}: __typename")).collect();
        assert_eq!(count(&format!("{{{aliases} }}"), 1000), 50);
        assert_eq!(count("{ me { id userName } x: __typename }", 1000), 4);
    }

    #[test]
    fn a_fragment_counts_at_every_spread() {
        let fields: String = (0..10).map(|n| format!(" f{n}: __typename")).collect();
        let spreads: String = (0..30).map(|n| format!(" x{n}: me {{ ...U }}")).collect();
        let text = format!("{{{spreads} }} fragment U on User {{{fields} }}");
        assert_eq!(count(&text, 10_000), 30 * (1 + 1 + 10));
    }

    #[test]
    fn counting_stops_past_the_limit_and_at_a_cycle() {
        let aliases: String = (0..500).map(|n| format!(" a{n}: __typename")).collect();
        assert_eq!(count(&format!("{{{aliases} }}"), 10), 11);
        let cycle = "{ me { ...A } } fragment A on User { id ...B } fragment B on User { ...A }";
        assert!(count(cycle, 100) > 100);
    }
}

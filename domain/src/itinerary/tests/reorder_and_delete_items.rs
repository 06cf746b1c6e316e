//! DeleteItem and ReorderItems.

use super::*;

fn reordered(item_ids: Vec<Uuid>) -> ItineraryEvent {
    ItineraryEvent::ItineraryItemsReordered {
        item_ids,
        reordered_at: now(),
    }
}

// ---- DeleteItem ------------------------------------------------------------------------------

#[test]
fn deleting_an_item_removes_it_from_the_order() {
    let state = given(with_three_items())
        .when(delete_item(ITEM_B))
        .then_expect(vec![item_deleted(ITEM_B)]);
    assert_eq!(state.item_ids(), vec![ITEM_A, ITEM_C]);
    assert_eq!(state.item(ITEM_B), None);
}

#[test]
fn deleting_an_unknown_item_is_rejected() {
    given(with_three_items())
        .when(delete_item(UNKNOWN_ITEM))
        .then_reject(ItineraryError::ItemNotFound(UNKNOWN_ITEM));
}

#[test]
fn deleting_an_item_twice_is_rejected() {
    let mut history = with_three_items();
    history.push(item_deleted(ITEM_B));
    given(history)
        .when(delete_item(ITEM_B))
        .then_reject(ItineraryError::ItemNotFound(ITEM_B));
}

// ---- ReorderItems ----------------------------------------------------------------------------

#[test]
fn reordering_records_the_complete_new_order() {
    let state = given(with_three_items())
        .when(reorder(vec![ITEM_C, ITEM_A, ITEM_B]))
        .then_expect(vec![reordered(vec![ITEM_C, ITEM_A, ITEM_B])]);
    assert_eq!(state.item_ids(), vec![ITEM_C, ITEM_A, ITEM_B]);
}

#[test]
fn reordering_an_itinerary_without_items_to_an_empty_order_is_accepted() {
    given([created()])
        .when(reorder(vec![]))
        .then_expect(vec![reordered(vec![])]);
}

#[test]
fn reordering_with_an_item_missing_is_rejected() {
    given(with_three_items())
        .when(reorder(vec![ITEM_C, ITEM_A]))
        .then_reject(ItineraryError::NotAPermutation);
}

#[test]
fn reordering_with_a_duplicate_item_is_rejected() {
    given(with_three_items())
        .when(reorder(vec![ITEM_C, ITEM_A, ITEM_A]))
        .then_reject(ItineraryError::NotAPermutation);
}

#[test]
fn reordering_with_every_item_plus_a_duplicate_is_rejected() {
    given(with_three_items())
        .when(reorder(vec![ITEM_C, ITEM_A, ITEM_B, ITEM_A]))
        .then_reject(ItineraryError::NotAPermutation);
}

#[test]
fn reordering_with_an_unknown_item_is_rejected() {
    given(with_three_items())
        .when(reorder(vec![ITEM_C, ITEM_A, UNKNOWN_ITEM]))
        .then_reject(ItineraryError::NotAPermutation);
}

#[test]
fn reordering_with_a_deleted_item_is_rejected() {
    let mut history = with_three_items();
    history.push(item_deleted(ITEM_B));
    given(history)
        .when(reorder(vec![ITEM_C, ITEM_B, ITEM_A]))
        .then_reject(ItineraryError::NotAPermutation);
}

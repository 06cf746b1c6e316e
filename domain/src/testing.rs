//! The given/when/then kit every aggregate's tests use: given past events, when a command is
//! decided, then expect the events it emits or the error it is rejected with. Every scenario
//! also checks that deciding never changes the state.

use std::fmt::Debug;

use crate::aggregate::Aggregate;

/// The state built from past events.
pub struct Given<A: Aggregate> {
    state: A,
}

/// The outcome of deciding one command against a [`Given`] state.
pub struct When<A: Aggregate> {
    state: A,
    result: Result<Vec<A::Event>, A::Error>,
}

/// Starts a scenario from the events recorded so far (none for a new aggregate).
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let history: Vec<A::Event> = events.into_iter().collect();
    Given {
        state: A::from_events(&history),
    }
}

impl<A> Given<A>
where
    A: Aggregate + PartialEq + Debug,
{
    #[track_caller]
    pub fn when(self, command: A::Command) -> When<A> {
        let before = self.state.clone();
        let result = self.state.decide(command);
        assert_eq!(self.state, before, "decide must never change the state");
        When {
            state: self.state,
            result,
        }
    }

    /// The state the scenario starts from.
    pub fn state(&self) -> &A {
        &self.state
    }
}

impl<A> When<A>
where
    A: Aggregate,
    A::Event: PartialEq + Debug,
    A::Error: PartialEq + Debug,
{
    /// Asserts the command was accepted with exactly `expected`; returns the state after
    /// applying them, for further assertions.
    #[track_caller]
    pub fn then_expect(self, expected: Vec<A::Event>) -> A {
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected);
                let mut state = self.state;
                for event in &events {
                    state.apply(event);
                }
                state
            }
            Err(error) => panic!("expected {expected:?}, but was rejected: {error:?} ({error})"),
        }
    }

    /// Asserts the command was rejected with `expected`.
    #[track_caller]
    pub fn then_reject(self, expected: A::Error) {
        match self.result {
            Ok(events) => panic!("expected rejection {expected:?}, but emitted {events:?}"),
            Err(error) => assert_eq!(error, expected),
        }
    }

    /// The raw outcome, for assertions the helpers above do not cover.
    pub fn result(&self) -> &Result<Vec<A::Event>, A::Error> {
        &self.result
    }
}

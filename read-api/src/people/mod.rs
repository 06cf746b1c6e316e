//! People: accounts become event-sourced users. Registration pairs the credentials row with
//! the user's first event; every other user command runs for the signed-in caller with the
//! role the read model gives them. Who may see what of a person is decided in [`access`].

pub mod access;
pub mod commands;

pub use access::{ProfileAccess, Viewer};

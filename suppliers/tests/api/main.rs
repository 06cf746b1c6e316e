//! System tests of the simulators: each test spawns the real server on 127.0.0.1:0 with
//! `serve` and talks to it through the crate's own clients (or raw HTTP where the status
//! line itself is under test). No mocks.

mod faults;
mod gateway;
mod helpers;
mod reservations;
mod search;
mod webhooks;

//! The demo operator lives with the simulation it drives: [`crate::sources::demo::DemoOperator`].

pub use crate::sources::demo::DemoOperator;

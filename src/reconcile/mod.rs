//! Bringing the engine to the state the project describes:
//! desired → observe → plan → execute.

pub mod desired;
pub mod execute;
pub mod lifecycle;
pub mod lock;
pub mod observe;
pub mod plan;

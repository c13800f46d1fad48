//! The typed Compose project (owned by the model helper; see issue 2).

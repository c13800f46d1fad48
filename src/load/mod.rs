//! load: Compose files → a resolved project model (pure; no engine).

pub mod canonical;
pub mod cast;
pub mod dotenv;
pub mod interpolate;
pub mod node;
pub mod paths;
pub mod schema;
pub mod yaml;

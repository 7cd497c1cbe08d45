//! unstruct: decode binary files into JSON from declarative descriptors or Python `struct`
//! format strings.
//!
//! The path of the data: descriptor text → [`lang::grammar`] (nom) → AST → [`lang::check`]
//! → [`plan::Plan`] → [`decode::Decoder`] over `&[u8]` → [`emit::Sink`] (the JSON writer).

pub mod decode;
pub mod detect;
pub mod emit;
pub mod error;
pub mod formats;
pub mod input;
pub mod ksy;
pub mod lang;
pub mod layout;
pub mod parallel;
pub mod plan;
pub mod progress;
pub mod records;
pub mod select;
pub mod shards;
pub mod structfmt;
pub mod text;
pub mod view;

pub use decode::{Input, Options};
pub use emit::columnar;
pub use error::{DataError, DescriptorError};
pub use plan::Plan;

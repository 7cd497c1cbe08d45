//! Values kept while decoding: small and `Copy`, borrowing nothing (byte strings are ranges
//! of the input, so frames can be reused record after record without lifetimes).

use crate::plan::{EnumId, ExprId, StructId};
use crate::text::Encoding;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Value {
    /// A field whose `if` was false, an array hole, or a slot not yet written.
    #[default]
    Absent,
    Int(i128),
    Float(f64),
    Bool(bool),
    /// `len` bytes of the input at `off` (relative to the decoder's data).
    Bytes {
        off: usize,
        len: usize,
    },
    /// Text: `len` bytes of the input at `off`, in `enc`.
    Str {
        off: usize,
        len: usize,
        enc: Encoding,
    },
    /// A string literal of the plan (expression `id`).
    Lit(ExprId),
    /// A decoded struct: its frame in the arena.
    Struct {
        frame: u32,
        sid: StructId,
    },
    /// A kept array (index into the decoder's array store).
    Array(u32),
    /// An enum value (emits the member name).
    Enum {
        id: EnumId,
        v: i128,
    },
    /// Text computed by an expression (concatenation, `str(n)`): UTF-8 in the decoder's
    /// store of computed values.
    Text(u32),
    /// Bytes computed by an expression (`reverse(b)`, a slice of computed bytes).
    Blob(u32),
    /// A `lazy` field not decoded yet (the field's index in its struct).
    Lazy(u32),
    /// A stream: the input between `start` and `end` (relative to the decoder's data),
    /// its position `bits` (in bits, so that a partly read byte is not its end) (Kaitai
    /// Struct's `_io`).
    Io {
        start: usize,
        end: usize,
        bits: usize,
    },
}

impl Value {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Absent | Value::Lazy(_) => "absent",
            Value::Int(_) | Value::Enum { .. } => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Bytes { .. } => "bytes",
            Value::Str { .. } | Value::Lit(_) | Value::Text(_) => "text",
            Value::Blob(_) => "bytes",
            Value::Struct { .. } => "a struct",
            Value::Array(_) => "an array",
            Value::Io { .. } => "a stream",
        }
    }
}

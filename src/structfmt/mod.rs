//! Parser for Python `struct` format strings, with the exact semantics of
//! CPython 3.11's `_struct` module (`prepare_s` / `whichtable` / `align`).
//!
//! Summary of the rules implemented here (all checked against CPython 3.11 on
//! x86_64 Linux, see the unit tests):
//!
//! * The first character may be a byte-order/size/alignment prefix
//!   (`@ = < > !`). Anywhere else (including after leading whitespace) these
//!   characters are a "bad char". No prefix means `@`.
//! * `@` (or no prefix) selects native sizes and native alignment; `= < > !`
//!   select standard sizes and no alignment. `n N P` exist only in native mode.
//! * ASCII whitespace (`' '`, `\t`, `\n`, `\x0b`, `\x0c`, `\r`) between items is
//!   ignored, but a repeat count must be immediately followed by its format
//!   character: `'3 h'` is a "bad char" (the space), `'h3'` is "repeat count
//!   given without format specifier".
//! * In native mode each item is aligned to its alignment *before* it is laid
//!   out, even when its count is 0 (`calcsize('@b0i') == 4`); there is never
//!   padding at the end of the record. Alignment is only applied when the
//!   current size is non-zero (which makes no difference to the result).
//! * Counts are parsed as `Py_ssize_t`; a count that overflows, or a record
//!   whose size would exceed `isize::MAX`, is "total struct size too long".
//! * Non-ASCII text fails like CPython's `str.encode('ascii')` (a
//!   `UnicodeEncodeError` in Python, not a `struct.error`); an embedded NUL is
//!   "embedded null character". Both are checked before anything else.

use std::ffi::{c_int, c_long, c_longlong, c_short};
use std::fmt;
use std::mem::{align_of, size_of};

pub mod lower;
#[cfg(test)]
mod tests;

/// Byte order of the multi-byte items of a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    /// The byte order of the machine this code runs on (what `@` and `=` mean).
    pub const HOST: ByteOrder = if cfg!(target_endian = "little") {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };
}

/// What one item of a format decodes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// `x`: pad bytes (`count` = number of pad bytes); produces no value.
    Pad,
    /// `c`: a one-byte `bytes` value per repetition.
    Char,
    /// `b B h H i I l L q Q n N P` (`P` is unsigned).
    Int { size: u8, signed: bool },
    /// `?`: `False` iff the byte is 0 (any non-zero byte is `True`).
    Bool,
    /// `e` (2), `f` (4), `d` (8): IEEE 754 binary16/32/64.
    Float { size: u8 },
    /// `s`: one `bytes` value of exactly `count` bytes.
    Bytes,
    /// `p`: Pascal string, `count` bytes including the leading length byte;
    /// one `bytes` value of `min(first_byte, count - 1)` bytes.
    Pascal,
}

/// One item (format character with its repeat count) of a parsed format.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The format character.
    pub code: char,
    pub kind: ItemKind,
    /// Repeat count as written (default 1); for `s`/`p` the byte length.
    pub count: usize,
    /// Byte offset of the first value within the record (after alignment padding).
    pub offset: usize,
    /// Size of one value (for `s`/`p`: the count; for `x`: 1).
    pub size: usize,
}

impl Item {
    /// Number of values this item unpacks to: 1 for `s`/`p` (whatever the
    /// count, even 0), 0 for `x`, `count` otherwise.
    pub fn value_count(&self) -> usize {
        match self.kind {
            ItemKind::Pad => 0,
            ItemKind::Bytes | ItemKind::Pascal => 1,
            _ => self.count,
        }
    }

    /// Number of bytes the item occupies (excluding alignment padding before it).
    pub fn byte_len(&self) -> usize {
        match self.kind {
            ItemKind::Bytes | ItemKind::Pascal => self.count,
            _ => self.count * self.size,
        }
    }

    /// Offset just past the item's last byte.
    pub fn end(&self) -> usize {
        self.offset + self.byte_len()
    }
}

/// A parsed `struct` format.
#[derive(Clone, Debug, PartialEq)]
pub struct Format {
    /// Resolved byte order: `@` and `=` (and no prefix) give the host's order.
    pub order: ByteOrder,
    /// `@` (or no prefix): native sizes and alignment.
    pub native: bool,
    /// The items in order, including `x` items and items with count 0.
    pub items: Vec<Item>,
    /// Size of one record; equal to `struct.calcsize(fmt)`.
    pub size: usize,
}

impl Format {
    /// Number of values a record unpacks to (like `len(struct.unpack(...))`):
    /// `s` and `p` count as one value each whatever their count; `x` counts as
    /// none; others count `count` values.
    pub fn value_count(&self) -> usize {
        self.items.iter().map(Item::value_count).sum()
    }
}

/// Error for an invalid format string. `Display` is the text CPython 3.11
/// puts in the exception (`struct.error`, except for [`NonAscii`], which is a
/// `UnicodeEncodeError` in CPython). Positions are byte offsets into the
/// format string.
///
/// [`NonAscii`]: StructFormatError::NonAscii
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StructFormatError {
    /// The format contains a non-ASCII character, e.g. `"hé"`. CPython raises
    /// `UnicodeEncodeError: 'ascii' codec can't encode character '\xe9' in
    /// position 1: ordinal not in range(128)`. `pos` is the offset of the first
    /// non-ASCII character (a byte offset, which is also its index in
    /// characters as Python reports it, since everything before it is ASCII)
    /// and `run` the maximal run of consecutive non-ASCII characters starting
    /// there (Python reports the whole run: `"characters in position 0-1"` for
    /// `"éé"`).
    #[error("{}", non_ascii_message(*.pos, .run))]
    NonAscii { pos: usize, run: String },

    /// The format contains a NUL character, e.g. `"h\0"`. Checked before any
    /// other struct error: `"z\0"` also gives this. `pos` is the first NUL.
    #[error("embedded null character")]
    EmbeddedNull { pos: usize },

    /// An unknown format character, e.g. `"z"`, `"3 h"` (the space),
    /// `" <h"` / `"h<"` (byte-order char not first), `"<n"` (`n N P` in
    /// standard mode), `"3<"`. `pos` is the offending character.
    #[error("bad char in struct format")]
    BadChar { pos: usize, byte: u8 },

    /// A repeat count at the end of the format, e.g. `"h3"` or `"3"`.
    /// `pos` is the first digit of the count.
    #[error("repeat count given without format specifier")]
    RepeatCountWithoutSpecifier { pos: usize },

    /// A count that does not fit in `isize` (`"9223372036854775808x"`,
    /// `"999999999999999999999h"`, also `"99999999999999999999999"` and
    /// `"99999999999999999999999z"`: the overflow is found while reading the
    /// digits), or a record larger than `isize::MAX` bytes
    /// (`"4611686018427387904h"`, `"b9223372036854775807x"`). `pos` is the
    /// start of the item (its first digit, or its format character if it has
    /// no count).
    #[error("total struct size too long")]
    SizeTooLong { pos: usize },
}

impl StructFormatError {
    /// Byte offset in the format string where the problem is.
    pub fn pos(&self) -> usize {
        match *self {
            StructFormatError::NonAscii { pos, .. }
            | StructFormatError::EmbeddedNull { pos }
            | StructFormatError::BadChar { pos, .. }
            | StructFormatError::RepeatCountWithoutSpecifier { pos }
            | StructFormatError::SizeTooLong { pos } => pos,
        }
    }

    /// Name of the Python exception CPython raises (`"struct.error"` or
    /// `"UnicodeEncodeError"`).
    pub fn python_exception(&self) -> &'static str {
        match self {
            StructFormatError::NonAscii { .. } => "UnicodeEncodeError",
            _ => "struct.error",
        }
    }
}

/// Python's `repr()` of a one-character string, without the quotes, for a
/// non-ASCII character (as used in `UnicodeEncodeError` messages).
fn py_escape(c: char) -> String {
    let v = c as u32;
    if v < 0x100 {
        format!("\\x{v:02x}")
    } else if v < 0x10000 {
        format!("\\u{v:04x}")
    } else {
        format!("\\U{v:08x}")
    }
}

fn non_ascii_message(index: usize, run: &str) -> String {
    let n = run.chars().count();
    let mut chars = run.chars();
    match (chars.next(), n) {
        (Some(c), 1) => format!(
            "'ascii' codec can't encode character '{}' in position {index}: ordinal not in range(128)",
            py_escape(c)
        ),
        _ => format!(
            "'ascii' codec can't encode characters in position {index}-{}: ordinal not in range(128)",
            index + n.saturating_sub(1)
        ),
    }
}

/// `PY_SSIZE_T_MAX`.
const MAX: usize = isize::MAX as usize;

/// CPython's `Py_ISSPACE`: space, `\t`, `\n`, `\x0b`, `\x0c`, `\r`.
fn is_py_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Table entry: kind, size, alignment (0 = none).
fn entry(code: u8, native: bool) -> Option<(ItemKind, usize, usize)> {
    fn int<T>(signed: bool) -> (ItemKind, usize, usize) {
        let size = size_of::<T>();
        (
            ItemKind::Int {
                size: size as u8,
                signed,
            },
            size,
            align_of::<T>(),
        )
    }
    fn std_int(size: usize, signed: bool) -> (ItemKind, usize, usize) {
        (
            ItemKind::Int {
                size: size as u8,
                signed,
            },
            size,
            0,
        )
    }
    let e = match code {
        b'x' => (ItemKind::Pad, 1, 0),
        b'c' => (ItemKind::Char, 1, 0),
        b's' => (ItemKind::Bytes, 1, 0),
        b'p' => (ItemKind::Pascal, 1, 0),
        b'b' => std_int(1, true),
        b'B' => std_int(1, false),
        _ if !native => match code {
            b'?' => (ItemKind::Bool, 1, 0),
            b'h' => std_int(2, true),
            b'H' => std_int(2, false),
            b'i' | b'l' => std_int(4, true),
            b'I' | b'L' => std_int(4, false),
            b'q' => std_int(8, true),
            b'Q' => std_int(8, false),
            b'e' => (ItemKind::Float { size: 2 }, 2, 0),
            b'f' => (ItemKind::Float { size: 4 }, 4, 0),
            b'd' => (ItemKind::Float { size: 8 }, 8, 0),
            _ => return None,
        },
        b'?' => (ItemKind::Bool, size_of::<bool>(), align_of::<bool>()),
        b'h' => int::<c_short>(true),
        b'H' => int::<c_short>(false),
        b'i' => int::<c_int>(true),
        b'I' => int::<c_int>(false),
        b'l' => int::<c_long>(true),
        b'L' => int::<c_long>(false),
        b'q' => int::<c_longlong>(true),
        b'Q' => int::<c_longlong>(false),
        b'n' => int::<isize>(true),
        b'N' => int::<usize>(false),
        b'P' => int::<*const u8>(false),
        // Half floats are aligned like `short` in CPython.
        b'e' => (ItemKind::Float { size: 2 }, 2, align_of::<c_short>()),
        b'f' => (ItemKind::Float { size: 4 }, 4, align_of::<f32>()),
        b'd' => (ItemKind::Float { size: 8 }, 8, align_of::<f64>()),
        _ => return None,
    };
    Some(e)
}

/// Parse a format string like `struct.Struct(fmt)` does.
pub fn parse(fmt: &str) -> Result<Format, StructFormatError> {
    if let Some(pos) = fmt.bytes().position(|b| !b.is_ascii()) {
        let run: String = fmt[pos..].chars().take_while(|c| !c.is_ascii()).collect();
        return Err(StructFormatError::NonAscii { pos, run });
    }
    parse_bytes(fmt.as_bytes())
}

/// Parse a format given as bytes (like `struct.Struct(b"...")`): there is no
/// ASCII check, a non-ASCII byte is a [`StructFormatError::BadChar`].
pub fn parse_bytes(fmt: &[u8]) -> Result<Format, StructFormatError> {
    if let Some(pos) = fmt.iter().position(|&b| b == 0) {
        return Err(StructFormatError::EmbeddedNull { pos });
    }
    let (order, native, mut i) = match fmt.first() {
        Some(b'@') => (ByteOrder::HOST, true, 1),
        Some(b'=') => (ByteOrder::HOST, false, 1),
        Some(b'<') => (ByteOrder::Little, false, 1),
        Some(b'>' | b'!') => (ByteOrder::Big, false, 1),
        _ => (ByteOrder::HOST, true, 0),
    };
    let mut items = Vec::new();
    // Invariant: size <= MAX.
    let mut size: usize = 0;
    while i < fmt.len() {
        let mut c = fmt[i];
        if is_py_space(c) {
            i += 1;
            continue;
        }
        let start = i;
        let count = if c.is_ascii_digit() {
            let mut num = usize::from(c - b'0');
            i += 1;
            while let Some(&d) = fmt.get(i).filter(|d| d.is_ascii_digit()) {
                let d = usize::from(d - b'0');
                if num >= MAX / 10 && (num > MAX / 10 || d > MAX % 10) {
                    return Err(StructFormatError::SizeTooLong { pos: start });
                }
                num = num * 10 + d;
                i += 1;
            }
            match fmt.get(i) {
                Some(&ch) => c = ch,
                None => {
                    return Err(StructFormatError::RepeatCountWithoutSpecifier { pos: start });
                }
            }
            num
        } else {
            1
        };
        let (kind, itemsize, align) =
            entry(c, native).ok_or(StructFormatError::BadChar { pos: i, byte: c })?;
        let too_long = StructFormatError::SizeTooLong { pos: start };
        if native && align > 0 && size > 0 {
            let extra = (align - 1) - (size - 1) % align;
            if extra > MAX - size {
                return Err(too_long);
            }
            size += extra;
        }
        if count > (MAX - size) / itemsize {
            return Err(too_long);
        }
        items.push(Item {
            code: char::from(c),
            kind,
            count,
            offset: size,
            size: match kind {
                ItemKind::Bytes | ItemKind::Pascal => count,
                _ => itemsize,
            },
        });
        size += count * itemsize;
        i += 1;
    }
    Ok(Format {
        order,
        native,
        items,
        size,
    })
}

/// `struct.calcsize(fmt)`.
pub fn calcsize(fmt: &str) -> Result<usize, StructFormatError> {
    parse(fmt).map(|f| f.size)
}

impl fmt::Display for ByteOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ByteOrder::Little => "little",
            ByteOrder::Big => "big",
        })
    }
}

//! Typed errors: data errors (with byte offset and field path) and descriptor errors (with
//! file, line, column and a caret).

use std::fmt;

/// One step of a field path: `wav.chunks[3].body`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSeg {
    Field(String),
    Index(u64),
}

/// Why decoding stopped.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DataErrorKind {
    /// A read past the end of the region: `u32` with 2 bytes left.
    #[error("need {}, only {left} left", n_bytes(*.need))]
    Truncated { need: u64, left: u64 },
    /// A constant (`"RIFF"`) that did not match.
    #[error("expected {expected}, found {found}")]
    Mismatch { expected: String, found: String },
    /// A `valid` assertion that did not hold.
    #[error("value {value} is not valid: `{cond}` does not hold")]
    Invalid { value: String, cond: String },
    /// Text that is not valid in its encoding.
    #[error("invalid {encoding} text (bad byte 0x{byte:02x} at position {pos} of the string)")]
    BadText {
        encoding: &'static str,
        pos: usize,
        byte: u8,
    },
    /// `strz` without a NUL before the region ends.
    #[error("no NUL terminator before the end of the region ({} searched)", n_bytes(*.left))]
    NoTerminator { left: u64 },
    /// An array count that cannot fit in the remaining bytes: `u32[1000000]` with 12 left.
    #[error("array of {count} elements needs at least {need} bytes, only {left} left")]
    CountTooLarge { count: i128, need: u128, left: u64 },
    /// A negative length or count.
    #[error("negative length {0}")]
    NegativeLength(i128),
    /// An `at` offset outside the input.
    #[error("offset {target} is outside the input (size {size})")]
    AtOutside { target: i128, size: u64 },
    /// A `size` larger than what is left.
    #[error("region of {} does not fit, only {left} left", n_bytes(*.size))]
    RegionTooLarge { size: i128, left: u64 },
    /// An array element (or record) that consumed no bytes in a loop that ends on input.
    #[error("repeat makes no progress: element {index} consumed no bytes")]
    NoProgress { index: u64 },
    /// `until` whose condition never held before the region ended.
    #[error("the region ended before the `until` condition held")]
    UntilEnd,
    /// `T[..]` whose last element does not end on the region end.
    #[error("arithmetic overflow in `{op}`")]
    Overflow { op: &'static str },
    #[error("division by zero")]
    DivByZero,
    /// Writing the output failed (a closed pipe): decoding stopped early, the write error
    /// is what to report.
    #[error("the output could not be written")]
    OutputFailed,
    #[error("shift by {0} (must be 0..63)")]
    BadShift(i128),
    /// No arm of a `match` (and no `_`) matched.
    #[error("no match arm for value {0}")]
    NoArm(String),
    /// Reading a field that is absent (its `if` was false) without `??`.
    #[error(
        "`{0}` is absent here (its `if` was false, or it was not decoded); use `{0} ?? default`"
    )]
    Absent(String),
    #[error("index {index} is out of range for an array of {len} elements")]
    IndexOut { index: i128, len: u64 },
    /// A value used with the wrong type (checked statically where possible).
    #[error("{0}")]
    Type(String),
    /// A `process` modifier could not undo its transformation (bad compressed data, an
    /// empty key, output past the limit).
    #[error("`process {what}`: {why}")]
    Process { what: &'static str, why: String },
    /// Nesting of structs, arrays, `at` chains deeper than the limit.
    #[error("nesting deeper than {0} levels")]
    TooDeep(u32),
    /// The total work limit (values decoded) was reached.
    #[error("more than {0} values decoded from this input")]
    Budget(u64),
    /// An embedded struct whose key is already in the object.
    #[error("embedded field `{0}` clashes with a field of the same name")]
    KeyClash(String),
    /// Something the streaming stdin input cannot provide (`@input_size`, `at`).
    #[error("{0} is not available when stdin is streamed; pass a file instead")]
    NotStreamable(&'static str),
    /// `int(text, base)` on text that is not a number.
    #[error("`{text}` is not a base-{base} number")]
    NotANumber { text: String, base: u32 },
    /// A struct with lazy fields decoded again inside itself at the same place with the same
    /// arguments (a lazy field of its own type at its own offset): it would never end.
    #[error("struct `{0}` would contain itself (decoded again at the same place)")]
    SelfNested(String),
    /// `fail(text)` was evaluated: the descriptor's own message.
    #[error("{0}")]
    Failed(String),
    /// Bytes left after the last whole record.
    #[error("{} left after the last whole record (a record is {size} bytes)", n_bytes(*.left))]
    Remainder { left: u64, size: u64 },
}

/// `1 byte`, `2 bytes`.
fn n_bytes<T: std::fmt::Display + PartialEq + From<u8>>(n: T) -> String {
    if n == T::from(1) {
        format!("{n} byte")
    } else {
        format!("{n} bytes")
    }
}

/// A data error: what went wrong, where in the input, and in which field.
///
/// Boxed so that `Result<Value, DataError>` stays small on the decoder's hot path; the
/// fields are reached through `Deref` (`e.offset`, `e.kind`, `e.path`).
#[derive(Clone, Debug, PartialEq)]
pub struct DataError(Box<DataErrorInfo>);

/// The details of a [`DataError`].
#[derive(Clone, Debug, PartialEq)]
pub struct DataErrorInfo {
    /// Absolute offset in the input.
    pub offset: u64,
    /// Field path, outermost first.
    pub path: Vec<PathSeg>,
    pub kind: DataErrorKind,
    /// Up to 8 input bytes at `offset`, for context.
    pub here: Vec<u8>,
}

impl DataError {
    #[cold]
    pub fn new(offset: u64, kind: DataErrorKind) -> DataError {
        DataError(Box::new(DataErrorInfo {
            offset,
            path: Vec::new(),
            kind,
            here: Vec::new(),
        }))
    }

    /// Adds the enclosing field name (the error travels outwards).
    #[cold]
    pub fn in_field(mut self, name: &str) -> DataError {
        self.path.insert(0, PathSeg::Field(name.to_string()));
        self
    }

    #[cold]
    pub fn in_index(mut self, i: u64) -> DataError {
        self.path.insert(0, PathSeg::Index(i));
        self
    }

    /// The field path, `wav.chunks[3].body`; very deep paths keep their first and last steps.
    pub fn path_string(&self) -> String {
        const HEAD: usize = 6;
        const TAIL: usize = 8;
        let n = self.path.len();
        let mut s = String::new();
        for (i, seg) in self.path.iter().enumerate() {
            if n > HEAD + TAIL + 1 && i >= HEAD && i < n - TAIL {
                if i == HEAD {
                    s.push_str(&format!(".…({} more)…", n - HEAD - TAIL));
                }
                continue;
            }
            match seg {
                PathSeg::Field(f) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(f);
                }
                PathSeg::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
            }
        }
        s
    }

    /// True when more input would have let decoding go on (for streaming and records).
    pub fn is_truncation(&self) -> bool {
        matches!(
            self.kind,
            DataErrorKind::Truncated { .. }
                | DataErrorKind::NoTerminator { .. }
                | DataErrorKind::CountTooLarge { .. }
                | DataErrorKind::RegionTooLarge { .. }
                | DataErrorKind::UntilEnd
        )
    }
}

impl std::ops::Deref for DataError {
    type Target = DataErrorInfo;
    fn deref(&self) -> &DataErrorInfo {
        &self.0
    }
}

impl std::ops::DerefMut for DataError {
    fn deref_mut(&mut self) -> &mut DataErrorInfo {
        &mut self.0
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path_string();
        if !path.is_empty() {
            write!(f, "{path} ")?;
        }
        write!(
            f,
            "at offset {:#x} ({}): {}",
            self.offset, self.offset, self.kind
        )?;
        if !self.here.is_empty() {
            write!(f, " [bytes here:")?;
            for b in &self.here {
                write!(f, " {b:02x}")?;
            }
            write!(f, "]")?;
        }
        Ok(())
    }
}

impl std::error::Error for DataError {}

/// A problem in a descriptor (or struct format string), found before any data is read.
#[derive(Clone, Debug, PartialEq)]
pub struct DescriptorError {
    /// File name as the user gave it (or `<struct format>`, `<bundled:wav>`).
    pub file: String,
    /// The full source text, for rendering the line.
    pub source: String,
    /// Byte range in `source`.
    pub start: usize,
    pub end: usize,
    pub message: String,
    /// "did you mean ...?"
    pub help: Option<String>,
}

impl DescriptorError {
    /// 1-based line and column (in characters) of the error start.
    pub fn line_col(&self) -> (usize, usize) {
        let start = self.start.min(self.source.len());
        let before = &self.source[..floor_char(&self.source, start)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, col) = self.line_col();
        writeln!(f, "{}:{}:{}: {}", self.file, line, col, self.message)?;
        let text: Vec<char> = self
            .source
            .lines()
            .nth(line - 1)
            .unwrap_or("")
            .chars()
            .collect();
        let gutter = line.to_string().len();
        let width = {
            let s = floor_char(&self.source, self.start.min(self.source.len()));
            let e = floor_char(&self.source, self.end.min(self.source.len()).max(s));
            let seg = &self.source[s..e];
            seg.split('\n')
                .next()
                .unwrap_or("")
                .chars()
                .count()
                .clamp(1, 60)
        };
        // a long line is shown as a window around the caret
        const WINDOW: usize = 100;
        let (lo, hi) = if text.len() <= WINDOW {
            (0, text.len())
        } else {
            let lo = (col - 1)
                .saturating_sub(WINDOW / 2)
                .min(text.len() - WINDOW);
            (lo, lo + WINDOW)
        };
        let shown: String = text[lo..hi].iter().collect();
        let (pre, post) = (
            if lo > 0 { "…" } else { "" },
            if hi < text.len() { "…" } else { "" },
        );
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{line} | {pre}{shown}{post}")?;
        let caret_at = col - 1 - lo + pre.chars().count();
        write!(
            f,
            "{:gutter$} | {}{}",
            "",
            " ".repeat(caret_at),
            "^".repeat(width)
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n{:gutter$} = help: {help}", "")?;
        }
        Ok(())
    }
}

impl std::error::Error for DescriptorError {}

/// The closest candidate to `name` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let max = (name.chars().count() / 3).max(1);
    let sorted = |s: &str| {
        let mut v: Vec<char> = s.chars().collect();
        v.sort_unstable();
        v
    };
    let key = sorted(name);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, _)| d <= max)
        // among equally close names prefer one with the same letters (a transposition)
        .min_by_key(|&(d, c)| (d, sorted(c) != key))
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions each cost 1 (`u23` → `u32` is one edit).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos() {
        assert_eq!(closest("u23", ["u8", "u16", "u32", "u64"]), Some("u32"));
        assert_eq!(closest("chunk", ["chunks", "header"]), Some("chunks"));
        assert_eq!(closest("zzzz", ["chunks", "header"]), None);
    }

    #[test]
    fn descriptor_error_renders_caret() {
        let e = DescriptorError {
            file: "x.struct".into(),
            source: "struct a {\n  b: u23\n}\n".into(),
            start: 16,
            end: 19,
            message: "unknown type `u23`".into(),
            help: Some("did you mean `u32`?".into()),
        };
        let s = e.to_string();
        assert!(s.starts_with("x.struct:2:6: unknown type `u23`"), "{s}");
        assert!(s.contains("2 |   b: u23\n  |      ^^^"), "{s}");
    }
}

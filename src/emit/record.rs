//! The output-neutral interface of the compiled record programs.
//!
//! The decoder compiles structs whose layout it knows in advance (fixed layouts,
//! `decode/flat.rs`; plain sequences of fields, `decode/seq.rs`) into programs that write a
//! whole struct value without going through [`super::Sink`] call by call. A sink that can
//! take such values lends a [`RecordOut`] ([`super::Sink::raw_value`] for one value inside a
//! document, [`super::Sink::raw_lines`] for a run of top-level records); the program then
//!
//! 1. starts one value with [`RecordOut::begin`], passing the struct's [`Labels`] and the
//!    most output bytes its fields can take besides text and bytes (see [`most`]),
//! 2. pushes each written field once, in order: [`FieldOut::field`] with the field's
//!    [`Label`], then its value: [`FieldOut::number`] for a fixed-width number still in its
//!    input bytes, or a typed call ([`FieldOut::int`], [`FieldOut::text`],
//!    [`FieldOut::bytes`], …),
//! 3. ends it with [`FieldOut::end`], or drops what it wrote with [`FieldOut::abort`] when
//!    the struct turns out to need the general decoder (which then writes it through
//!    [`super::Sink`]).
//!
//! A [`Label`] names a field by its column (its place among the written fields of the
//! compiled value, from 0) and carries the JSON writer's pre-rendered `{"key":` / `,"key":`
//! prefix, which byte-oriented writers copy whole and column writers ignore (the pretty
//! JSON writer derives indented prefixes from them, keyed by [`Labels::id`]). Values are
//! always complete and checked: text is valid UTF-8 (or ASCII), enum members come as their
//! names, absent fields are not pushed.
//!
//! Writers are type parameters of the programs (no dynamic dispatch), so each writer gets
//! its own copy of the program loop; the JSON writer's copy keeps its position in registers
//! and formats numbers straight into its buffer (`emit/json/record.rs`).

/// A fixed-width number as it sits in the input: width, signedness or float, byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum NumKind {
    U8,
    I8,
    U16Le,
    U16Be,
    I16Le,
    I16Be,
    U32Le,
    U32Be,
    I32Le,
    I32Be,
    U64Le,
    U64Be,
    I64Le,
    I64Be,
    F32Le,
    F32Be,
    F64Le,
    F64Be,
}

impl NumKind {
    /// Bytes the number takes in the input.
    #[inline]
    pub fn width(self) -> usize {
        use NumKind::*;
        match self {
            U8 | I8 => 1,
            U16Le | U16Be | I16Le | I16Be => 2,
            U32Le | U32Be | I32Le | I32Be | F32Le | F32Be => 4,
            U64Le | U64Be | I64Le | I64Be | F64Le | F64Be => 8,
        }
    }
}

/// The number in `b` (at least `kind.width()` bytes): an integer (as i128) or a float.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int(i128),
    F32(f32),
    F64(f64),
}

impl Number {
    #[inline]
    pub fn read(kind: NumKind, b: &[u8]) -> Number {
        use NumKind::*;
        fn a<const N: usize>(b: &[u8]) -> [u8; N] {
            let mut x = [0u8; N];
            x.copy_from_slice(&b[..N]);
            x
        }
        match kind {
            U8 => Number::Int(b[0].into()),
            I8 => Number::Int((b[0] as i8).into()),
            U16Le => Number::Int(u16::from_le_bytes(a(b)).into()),
            U16Be => Number::Int(u16::from_be_bytes(a(b)).into()),
            I16Le => Number::Int(i16::from_le_bytes(a(b)).into()),
            I16Be => Number::Int(i16::from_be_bytes(a(b)).into()),
            U32Le => Number::Int(u32::from_le_bytes(a(b)).into()),
            U32Be => Number::Int(u32::from_be_bytes(a(b)).into()),
            I32Le => Number::Int(i32::from_le_bytes(a(b)).into()),
            I32Be => Number::Int(i32::from_be_bytes(a(b)).into()),
            U64Le => Number::Int(u64::from_le_bytes(a(b)).into()),
            U64Be => Number::Int(u64::from_be_bytes(a(b)).into()),
            I64Le => Number::Int(i64::from_le_bytes(a(b)).into()),
            I64Be => Number::Int(i64::from_be_bytes(a(b)).into()),
            F32Le => Number::F32(f32::from_le_bytes(a(b))),
            F32Be => Number::F32(f32::from_be_bytes(a(b))),
            F64Le => Number::F64(f64::from_le_bytes(a(b))),
            F64Be => Number::F64(f64::from_be_bytes(a(b))),
        }
    }
}

/// Bounds on the output bytes of one value, which a compiled program adds up (with its
/// labels) into the `most` it passes to [`RecordOut::begin`]. A byte-oriented writer
/// reserves that much once per value and writes fixed-size values without further checks;
/// text and bytes of a variable length are not counted (the writer makes room for them
/// itself).
pub mod most {
    /// A number from [`super::FieldOut::number`] (a float's shortest text is the longest).
    pub const NUMBER: usize = 24;
    /// An integer or boolean from [`super::FieldOut::int`] / [`super::FieldOut::bool`].
    pub const INT: usize = 40;
    /// Text of `n` input bytes (every byte escaped as `\u00xx`, and the quotes).
    pub fn text(n: usize) -> Option<usize> {
        n.checked_mul(6)?.checked_add(2)
    }
    /// Bytes of `n` input bytes (hex: 2n + 2, base64: 4n/3 + 4, numbers: 4n + 1).
    pub fn bytes(n: usize) -> Option<usize> {
        n.checked_mul(4)?.checked_add(4)
    }
    /// An enum field whose longest member name has `n` bytes (or its number).
    pub fn name(n: usize) -> Option<usize> {
        Some(text(n)?.max(INT))
    }
}

/// A written field of a compiled value: see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label {
    /// The field's place among the written fields of the value, from 0.
    pub col: u32,
    /// Its prefix in [`Labels`]: start and length.
    pre: u32,
    len: u32,
}

impl Label {
    /// Whether the field is written (a field that is only checked is not).
    #[inline]
    pub fn written(&self) -> bool {
        self.len > 0
    }

    /// Bytes of the field's prefix in a byte-oriented output (counted in `most`).
    #[inline]
    pub fn prefix_len(&self) -> usize {
        self.len as usize
    }
}

/// Padding after the prefixes so that every prefix can be copied as 16 bytes.
const PREFIX_PAD: usize = 16;

/// The labels of a compiled struct's written fields: their `{"key":` and `,"key":`
/// prefixes back to back (`[` and `,` when the struct is written as an array), and its
/// closing bracket.
#[derive(Clone, Debug)]
pub struct Labels {
    /// Every prefix back to back, then [`PREFIX_PAD`] zero bytes.
    bytes: Box<[u8]>,
    /// `}` or `]`, preceded by the opening bracket when no field is written (`close_len`
    /// bytes are used; two are always copied).
    close: [u8; 2],
    close_len: usize,
    /// Whether the value is written as an array (a tuple struct) rather than an object.
    pub tuple: bool,
    /// Number of written fields.
    pub cols: u32,
    /// Start and length of each written field's prefix in `bytes`, by column.
    by_col: Box<[(u32, u32)]>,
    /// Tells this table apart from every other one built in the process (a clone keeps
    /// it): writers that derive tables of their own from it key them by this.
    id: u64,
}

impl Labels {
    /// Output slack a value needs besides its prefixes and values: the 16-byte prefix copy,
    /// the closing brackets and a newline.
    pub const SLACK: usize = PREFIX_PAD + 2 + 1;

    /// The prefix of `l` as bytes.
    pub fn prefix(&self, l: Label) -> &[u8] {
        &self.bytes[l.pre as usize..(l.pre + l.len) as usize]
    }

    /// The prefix of the written field in column `col` (see [`Label::col`]).
    pub fn prefix_of(&self, col: u32) -> &[u8] {
        match self.by_col.get(col as usize) {
            Some(&(pre, len)) => &self.bytes[pre as usize..(pre + len) as usize],
            None => &[],
        }
    }

    /// The closing bracket(s) as bytes: `}` or `]`, or `{}` / `[]` when no field is written.
    pub fn close_bytes(&self) -> &[u8] {
        &self.close[..self.close_len]
    }

    /// See the field's docs: equal for a table and its clones, different for any two
    /// tables built apart.
    #[inline]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Writes the prefix of `l` at `dst` and returns its length.
    ///
    /// # Safety
    /// `l` must come from the [`LabelsBuilder`] of this table; `dst` must be valid for
    /// writing `max(len, 16)` bytes.
    #[inline(always)]
    pub unsafe fn put(&self, l: Label, dst: *mut u8) -> usize {
        debug_assert!(l.pre as usize + (l.len as usize).max(16) <= self.bytes.len());
        // SAFETY: the padding keeps a 16-byte read inside `bytes`; the caller provides `dst`.
        unsafe {
            let p = self.bytes.as_ptr().add(l.pre as usize);
            if l.len <= 16 {
                std::ptr::copy_nonoverlapping(p, dst, 16);
            } else {
                std::ptr::copy_nonoverlapping(p, dst, l.len as usize);
            }
        }
        l.len as usize
    }

    /// Writes the closing bracket(s) at `dst` and returns how many bytes they take.
    ///
    /// # Safety
    /// `dst` must be valid for writing 2 bytes.
    #[inline(always)]
    pub unsafe fn close(&self, dst: *mut u8) -> usize {
        // SAFETY: the caller provides 2 bytes.
        unsafe { std::ptr::copy_nonoverlapping(self.close.as_ptr(), dst, 2) };
        self.close_len
    }
}

/// Builds [`Labels`], field by field.
pub struct LabelsBuilder {
    bytes: Vec<u8>,
    by_col: Vec<(u32, u32)>,
    first: bool,
    tuple: bool,
    cols: u32,
}

impl LabelsBuilder {
    /// For a struct written as an object, or as an array when `tuple`.
    pub fn new(tuple: bool) -> Self {
        LabelsBuilder {
            bytes: Vec::new(),
            by_col: Vec::new(),
            first: true,
            tuple,
            cols: 0,
        }
    }

    /// The label of the next field (`json_key`: the plan's pre-rendered key), empty when
    /// the field is not written. None for a field written only under a condition before
    /// any field that is always written (whether `{` or `,` comes first would depend on the
    /// data), or when the table grows past 4 GiB.
    pub fn push_if(&mut self, emit: bool, conditional: bool, key: Option<&[u8]>) -> Option<Label> {
        if emit && conditional && self.first {
            return None;
        }
        self.push(emit, key)
    }

    /// The label of the next field, empty when the field is not written.
    pub fn push(&mut self, emit: bool, key: Option<&[u8]>) -> Option<Label> {
        let pre = self.bytes.len();
        let col = self.cols;
        if emit {
            self.bytes.push(match (self.first, self.tuple) {
                (true, true) => b'[',
                (true, false) => b'{',
                (false, _) => b',',
            });
            if !self.tuple {
                self.bytes.extend_from_slice(key.unwrap_or(b"\"\""));
                self.bytes.push(b':');
            }
            self.first = false;
            self.cols += 1;
        }
        let len = self.bytes.len() - pre;
        let (pre, len) = (u32::try_from(pre).ok()?, u32::try_from(len).ok()?);
        if emit {
            self.by_col.push((pre, len));
        }
        Some(Label { col, pre, len })
    }

    pub fn finish(mut self) -> Labels {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        self.bytes.extend_from_slice(&[0; PREFIX_PAD]);
        let close: &[u8] = match (self.first, self.tuple) {
            (true, true) => b"[]",
            (true, false) => b"{}",
            (false, true) => b"]",
            (false, false) => b"}",
        };
        Labels {
            bytes: self.bytes.into_boxed_slice(),
            close: [close[0], close[close.len() - 1]],
            close_len: close.len(),
            tuple: self.tuple,
            cols: self.cols,
            by_col: self.by_col.into_boxed_slice(),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }
}

/// What a sink lends to compiled programs: it starts values. See the module docs.
pub trait RecordOut {
    /// One value being written.
    type Value<'b>: FieldOut
    where
        Self: 'b;

    /// Starts a struct value with the fields labelled by `labels`.
    ///
    /// # Safety
    /// `most` must be at least [`Labels::SLACK`] plus, for every field pushed until the next
    /// text, bytes or enum field, its prefix length and its bound from [`most`] (the
    /// writer may rely on it to write without checking room).
    unsafe fn begin<'b>(&'b mut self, labels: &'b Labels, most: usize) -> Self::Value<'b>;

    /// How much output is held since the sink lent itself (bytes for a byte writer), for
    /// callers that write many values and must hand back in time (see
    /// [`super::Sink::raw_lines`]).
    fn held(&self) -> usize;
}

/// One struct value being written: [`FieldOut::field`] starts each field, then one value
/// call gives its value.
pub trait FieldOut {
    /// Starts the next field. A fixed-layout program also announces the fields it only
    /// checks: their label is not [`Label::written`], and no value follows.
    fn field(&mut self, l: Label);
    /// A number still in its input bytes; `b` holds at least `kind.width()` bytes.
    fn number(&mut self, kind: NumKind, b: &[u8]);
    /// An integer (odd-width fields, enum values without a name, computed values).
    fn int(&mut self, v: i128);
    /// A float from 32-bit (or 16-bit) input.
    fn f32(&mut self, v: f32);
    /// A float from 64-bit input.
    fn f64(&mut self, v: f64);
    fn bool(&mut self, v: bool);
    /// Text, valid UTF-8.
    fn text(&mut self, t: &[u8]);
    /// An enum member's name.
    fn name(&mut self, name: &str);
    /// Raw bytes.
    fn bytes(&mut self, b: &[u8]);
    /// A fixed-size text field in its input bytes, not yet checked: its text is `b` up to
    /// the first NUL when `z`, and must be ASCII when `ascii` (else UTF-8). Err: the
    /// position of the first byte that is not valid, with nothing written. The writer may
    /// check and copy in one pass.
    #[inline]
    fn fixed_text(&mut self, b: &[u8], z: bool, ascii: bool) -> Result<(), usize> {
        let t = crate::text::fixed_text(b, z, ascii, None)?;
        self.text(t);
        Ok(())
    }
    /// Ends the value (closing it, and with `newline` ending the line).
    fn end(self, newline: bool);
    /// Drops everything this value wrote.
    fn abort(self);
}

/// The [`RecordOut`] of sinks that take no compiled values.
#[derive(Debug)]
pub enum NoRecords {}

impl RecordOut for NoRecords {
    type Value<'b> = NoRecords;

    unsafe fn begin<'b>(&'b mut self, _: &'b Labels, _: usize) -> NoRecords {
        match *self {}
    }

    fn held(&self) -> usize {
        match *self {}
    }
}

impl FieldOut for NoRecords {
    fn field(&mut self, _: Label) {
        match *self {}
    }
    fn number(&mut self, _: NumKind, _: &[u8]) {
        match *self {}
    }
    fn int(&mut self, _: i128) {
        match *self {}
    }
    fn f32(&mut self, _: f32) {
        match *self {}
    }
    fn f64(&mut self, _: f64) {
        match *self {}
    }
    fn bool(&mut self, _: bool) {
        match *self {}
    }
    fn text(&mut self, _: &[u8]) {
        match *self {}
    }
    fn name(&mut self, _: &str) {
        match *self {}
    }
    fn bytes(&mut self, _: &[u8]) {
        match *self {}
    }
    fn end(self, _: bool) {
        match self {}
    }
    fn abort(self) {
        match self {}
    }
}

/// A [`RecordOut`] that checks values as the programs push them and keeps nothing (for
/// walking records to find where they start).
#[derive(Debug, Default)]
pub struct Discard;

impl RecordOut for Discard {
    type Value<'b> = Discard;

    #[inline]
    unsafe fn begin<'b>(&'b mut self, _: &'b Labels, _: usize) -> Discard {
        Discard
    }

    #[inline]
    fn held(&self) -> usize {
        0
    }
}

impl FieldOut for Discard {
    #[inline]
    fn field(&mut self, _: Label) {}
    #[inline]
    fn number(&mut self, _: NumKind, _: &[u8]) {}
    #[inline]
    fn int(&mut self, _: i128) {}
    #[inline]
    fn f32(&mut self, _: f32) {}
    #[inline]
    fn f64(&mut self, _: f64) {}
    #[inline]
    fn bool(&mut self, _: bool) {}
    #[inline]
    fn text(&mut self, _: &[u8]) {}
    #[inline]
    fn name(&mut self, _: &str) {}
    #[inline]
    fn bytes(&mut self, _: &[u8]) {}
    #[inline]
    fn end(self, _: bool) {}
    #[inline]
    fn abort(self) {}
}

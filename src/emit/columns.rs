//! The output-neutral interface of the compiled column tier.
//!
//! A run of fixed-layout records (`decode/flat.rs` compiles the layout: offset, width and
//! byte order of every field) lies in the input as a table of rows of one size. A sink that
//! keeps values as columns (the Arrow builder, `emit/columnar/`) lends a [`ColumnsOut`]
//! ([`super::Sink::raw_columns`]); the decoder then hands it a run of records column by
//! column instead of value by value:
//!
//! 1. [`ColumnsOut::begin`] with the number of records,
//! 2. one call per written field, in order, with the field's column (its place among the
//!    written fields, as [`super::record::Label::col`]) and a [`FieldBytes`] view of that
//!    field in every record of the run: [`ColumnsOut::numbers`] for fixed-width numbers
//!    (gathered with [`FieldBytes::gather`]), [`ColumnsOut::texts`] for fixed-size text
//!    (cut, checked and copied by [`FieldBytes::texts`]), [`ColumnsOut::bytes`], and
//!    [`ColumnsOut::values`] for the rest (booleans, enum members, odd-width numbers), which
//!    the decoder reads itself,
//! 3. [`ColumnsOut::end`] with the number of records kept: the records before the first one
//!    whose text is not valid (that record and the rest go to the general decoder, which
//!    reports the error with its path). Columns pushed with more rows are cut back.
//!
//! The kernels here are the meaning of the bytes (byte order, where text ends, which text is
//! valid), the same functions the other tiers use; the writer only chooses where values go.

use crate::text;

use super::record::NumKind;

/// One field of every record in a run of fixed-size records: `rows` records of `stride`
/// bytes back to back, the field `width` bytes at `off` in each.
#[derive(Clone, Copy, Debug)]
pub struct FieldBytes<'a> {
    data: &'a [u8],
    stride: usize,
    off: usize,
    width: usize,
    rows: usize,
}

/// A plain number type that [`FieldBytes::gather`] fills.
pub trait Plain: Copy {
    /// The bytes one value takes.
    const WIDTH: usize;
    /// The value of exactly [`Plain::WIDTH`] bytes in little-endian (or, with `big`,
    /// big-endian) order.
    fn read(b: &[u8], big: bool) -> Self;
}

macro_rules! plain {
    ($($t:ty)*) => {$(
        impl Plain for $t {
            const WIDTH: usize = std::mem::size_of::<$t>();
            #[inline(always)]
            fn read(b: &[u8], big: bool) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
                if big { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) }
            }
        }
    )*};
}
plain!(u8 i8 u16 i16 u32 i32 u64 i64 f32 f64);

/// A value the decoder read itself (see [`ColumnsOut::values`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'p> {
    Int(i128),
    /// A float from 16- or 32-bit input.
    F32(f32),
    F64(f64),
    Bool(bool),
    /// An enum member's name.
    Name(&'p str),
}

impl<'a> FieldBytes<'a> {
    /// The field at `off` (`width` bytes) of the `rows` records of `stride` bytes that start
    /// `data`. None when the records or the field do not fit.
    pub fn new(
        data: &'a [u8],
        stride: usize,
        off: usize,
        width: usize,
        rows: usize,
    ) -> Option<FieldBytes<'a>> {
        let end = off.checked_add(width)?;
        if end > stride || stride.checked_mul(rows)? > data.len() {
            return None;
        }
        Some(FieldBytes {
            data,
            stride,
            off,
            width,
            rows,
        })
    }

    /// Records in the run.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The same field in the first `rows` records only.
    #[inline]
    pub fn first(self, rows: usize) -> FieldBytes<'a> {
        FieldBytes {
            rows: rows.min(self.rows),
            ..self
        }
    }

    /// The field's bytes in each record, in order.
    #[inline]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let (off, width) = (self.off, self.width);
        self.data[..self.stride * self.rows]
            .chunks_exact(self.stride)
            .map(move |r| &r[off..off + width])
    }

    /// Appends the field of every record to `out` as numbers of type `T` in the byte order
    /// of `kind` (a strided gather; `T` must be as wide as `kind`, as the column types of
    /// the plan make it). False, with nothing appended, when the widths differ.
    #[inline]
    pub fn gather<T: Plain>(&self, kind: NumKind, out: &mut Vec<T>) -> bool {
        if T::WIDTH != kind.width() || T::WIDTH > self.width {
            return false;
        }
        let big = kind.big_endian();
        let off = self.off;
        let recs = self.data[..self.stride * self.rows].chunks_exact(self.stride);
        // separate loops so that the byte order is not tested per value
        if big {
            out.extend(recs.map(|r| T::read(&r[off..off + T::WIDTH], true)));
        } else {
            out.extend(recs.map(|r| T::read(&r[off..off + T::WIDTH], false)));
        }
        true
    }

    /// Appends the text of every record's field to `values`, and each one's end offset to
    /// `offsets` (after `values`' length before the call, plus `base`): the field's bytes up
    /// to the first NUL when `z`, without trailing repeats of `trim`, checked as ASCII when
    /// `ascii`, else as UTF-8 (as [`text::fixed_text`], the interpreter's rule). Err: the
    /// first record whose text is not valid and the position of the bad byte in its field;
    /// the records before it are appended.
    #[inline]
    pub fn texts(
        &self,
        z: bool,
        ascii: bool,
        trim: Option<&[u8]>,
        offsets: &mut Vec<i32>,
        values: &mut Vec<u8>,
    ) -> Result<(), (usize, usize)> {
        offsets.reserve(self.rows);
        values.reserve(self.rows * self.width);
        for (i, b) in self.iter().enumerate() {
            let t = text::fixed_text(b, z, ascii, trim).map_err(|p| (i, p))?;
            values.extend_from_slice(t);
            // the writer keeps a run's values under 2 GiB (see `ColumnsOut::begin`)
            offsets.push(values.len() as i32);
        }
        Ok(())
    }

    /// Checks the text of every record's field as [`FieldBytes::texts`] does, keeping
    /// nothing. Err: the first record whose text is not valid, and the bad byte's position.
    pub fn check_texts(
        &self,
        z: bool,
        ascii: bool,
        trim: Option<&[u8]>,
    ) -> Result<(), (usize, usize)> {
        for (i, b) in self.iter().enumerate() {
            text::fixed_text(b, z, ascii, trim).map_err(|p| (i, p))?;
        }
        Ok(())
    }

    /// Appends the field's bytes of every record to `values` and each one's end offset to
    /// `offsets`, as [`FieldBytes::texts`] does.
    #[inline]
    pub fn binary(&self, offsets: &mut Vec<i32>, values: &mut Vec<u8>) {
        offsets.reserve(self.rows);
        values.reserve(self.rows * self.width);
        for b in self.iter() {
            values.extend_from_slice(b);
            offsets.push(values.len() as i32);
        }
    }
}

impl NumKind {
    /// Whether the number's bytes are big-endian (one-byte numbers: false).
    #[inline]
    pub fn big_endian(self) -> bool {
        use NumKind::*;
        matches!(
            self,
            U16Be | I16Be | U32Be | I32Be | U64Be | I64Be | F32Be | F64Be
        )
    }
}

/// What a columnar sink lends to the decoder's column tier: see the module docs. Calls come
/// once per column per run, never per value.
pub trait ColumnsOut {
    /// Starts a run of `rows` records of `cols` written fields. False when the sink cannot
    /// take these records as columns (its columns are not the fields'): the decoder then
    /// writes them the general way.
    fn begin(&mut self, rows: usize, cols: u32) -> bool;
    /// A fixed-width number column. False when the column cannot take numbers of `kind`
    /// (the run is then dropped with [`ColumnsOut::abort`]).
    fn numbers(&mut self, col: u32, kind: NumKind, f: FieldBytes<'_>) -> bool;
    /// A fixed-size text column: see [`FieldBytes::texts`] for `z`, `ascii` and `trim`.
    /// Err((record, position)): the first record whose text is not valid (the sink keeps
    /// the records before it, at least until [`ColumnsOut::end`]); Ok(false): the column
    /// takes no text.
    fn texts(
        &mut self,
        col: u32,
        f: FieldBytes<'_>,
        z: bool,
        ascii: bool,
        trim: Option<&[u8]>,
    ) -> Result<bool, (usize, usize)>;
    /// A fixed-size bytes column. False when the column takes no bytes.
    fn bytes(&mut self, col: u32, f: FieldBytes<'_>) -> bool;
    /// A column of values the decoder read itself, one per record. False when the column
    /// cannot take one of them.
    fn values(&mut self, col: u32, v: &[Value<'_>]) -> bool;
    /// Ends the run keeping its first `rows` records in every column.
    fn end(&mut self, rows: usize);
    /// Drops the whole run.
    fn abort(&mut self);
}

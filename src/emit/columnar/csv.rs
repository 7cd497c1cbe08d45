//! CSV and TSV from record batches: a header row, nested struct fields flattened to dotted
//! column names, RFC 4180 quoting (a field with the separator, a quote, CR or LF is quoted
//! and its quotes doubled).
//!
//! How values are written: integers in decimal; floats as the shortest text that reads back
//! to the same value, non-finite ones as `NaN`, `Infinity`, `-Infinity` (what Python's
//! `float`, pandas and DuckDB read back); bools as `true`/`false`; a null (a field behind a
//! false `if`) as an empty field; an empty string as `""`, so that it stays apart from null;
//! bytes in the `--bytes` style (hex by default); enums as their member name; lists (arrays,
//! flags) as one field holding their JSON text.
//!
//! The writer is this module rather than `arrow-csv`, which writes neither struct nor list
//! columns; the formatting reuses the JSON writer's number and byte routines.

use std::io::{self, Write};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Fields, SchemaRef};

use super::builder::BatchWrite;
use crate::emit::BytesStyle;
use crate::emit::json::{escape_str, push_bytes, push_f32, push_f64, push_i64, push_u64};

/// Writes batches as CSV (`sep` b',') or TSV (`sep` b'\t').
pub struct CsvWriter<W: Write> {
    out: W,
    fmt: CsvFormat,
    buf: Vec<u8>,
}

/// How rows are written as text: the separator and the style of bytes.
#[derive(Clone, Copy, Debug)]
pub struct CsvFormat {
    pub sep: u8,
    pub bytes: BytesStyle,
}

/// The flattened column names of a schema: `hdr.len` for field `len` of struct column `hdr`.
pub fn header_names(schema: &SchemaRef) -> Vec<String> {
    let mut names = Vec::new();
    flat_names(schema.fields(), "", &mut names);
    names
}

fn flat_names(fields: &Fields, prefix: &str, out: &mut Vec<String>) {
    for f in fields {
        let name = format!("{prefix}{}", f.name());
        match f.data_type() {
            DataType::Struct(children) => flat_names(children, &format!("{name}."), out),
            _ => out.push(name),
        }
    }
}

impl<W: Write> CsvWriter<W> {
    /// A writer whose header row (the flattened column names) is written at once.
    pub fn new(mut out: W, schema: &SchemaRef, sep: u8, bytes: BytesStyle) -> io::Result<Self> {
        let mut buf = Vec::new();
        for (i, n) in header_names(schema).iter().enumerate() {
            if i > 0 {
                buf.push(sep);
            }
            push_text(&mut buf, n.as_bytes(), sep);
        }
        buf.extend_from_slice(b"\r\n");
        out.write_all(&buf)?;
        buf.clear();
        Ok(CsvWriter {
            out,
            fmt: CsvFormat { sep, bytes },
            buf,
        })
    }

    pub fn format(&self) -> CsvFormat {
        self.fmt
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }
}

/// A leaf column of a batch, downcast once per batch.
enum Leaf<'a> {
    I(&'a [i64]),
    U(&'a [u64]),
    I32(&'a [i32]),
    U32(&'a [u32]),
    I16(&'a [i16]),
    U16(&'a [u16]),
    I8(&'a [i8]),
    U8(&'a [u8]),
    F64(&'a [f64]),
    F32(&'a [f32]),
    Str(&'a arrow_array::StringArray),
    /// Booleans, bytes, enums, lists: the general path.
    Other(&'a dyn Array),
}

impl CsvFormat {
    /// Formats the rows of `batch` into `buf`, each ending with CRLF.
    pub fn format(&self, batch: &RecordBatch, buf: &mut Vec<u8>) {
        let mut cols = Vec::new();
        for col in batch.columns() {
            flat_leaves(col, &mut cols);
        }
        let leaves: Vec<(Leaf, Option<&arrow_buffer::NullBuffer>)> = cols
            .iter()
            .map(|a| {
                let leaf = match a.data_type() {
                    DataType::Int64 => Leaf::I(a.as_primitive::<Int64Type>().values()),
                    DataType::UInt64 => Leaf::U(a.as_primitive::<UInt64Type>().values()),
                    DataType::Int32 => Leaf::I32(a.as_primitive::<Int32Type>().values()),
                    DataType::UInt32 => Leaf::U32(a.as_primitive::<UInt32Type>().values()),
                    DataType::Int16 => Leaf::I16(a.as_primitive::<Int16Type>().values()),
                    DataType::UInt16 => Leaf::U16(a.as_primitive::<UInt16Type>().values()),
                    DataType::Int8 => Leaf::I8(a.as_primitive::<Int8Type>().values()),
                    DataType::UInt8 => Leaf::U8(a.as_primitive::<UInt8Type>().values()),
                    DataType::Float64 => Leaf::F64(a.as_primitive::<Float64Type>().values()),
                    DataType::Float32 => Leaf::F32(a.as_primitive::<Float32Type>().values()),
                    DataType::Utf8 => Leaf::Str(a.as_string::<i32>()),
                    _ => Leaf::Other(a.as_ref()),
                };
                (leaf, a.nulls())
            })
            .collect();
        let (sep, bytes) = (self.sep, self.bytes);
        buf.reserve(batch.num_rows() * (leaves.len() * 8 + 2));
        for row in 0..batch.num_rows() {
            for (i, (leaf, nulls)) in leaves.iter().enumerate() {
                if i > 0 {
                    buf.push(sep);
                }
                if nulls.is_some_and(|n| n.is_null(row)) {
                    continue;
                }
                match leaf {
                    Leaf::I(v) => push_i64(buf, v[row]),
                    Leaf::U(v) => push_u64(buf, v[row]),
                    Leaf::I32(v) => push_i64(buf, v[row].into()),
                    Leaf::U32(v) => push_u64(buf, v[row].into()),
                    Leaf::I16(v) => push_i64(buf, v[row].into()),
                    Leaf::U16(v) => push_u64(buf, v[row].into()),
                    Leaf::I8(v) => push_i64(buf, v[row].into()),
                    Leaf::U8(v) => push_u64(buf, v[row].into()),
                    Leaf::F64(v) => push_float(buf, v[row], None),
                    Leaf::F32(v) => push_float(buf, f64::from(v[row]), Some(v[row])),
                    Leaf::Str(a) => push_text(buf, a.value(row).as_bytes(), sep),
                    Leaf::Other(a) => cell(buf, *a, row, sep, bytes),
                }
            }
            buf.extend_from_slice(b"\r\n");
        }
    }
}

impl<W: Write + Send> BatchWrite for CsvWriter<W> {
    fn write(&mut self, batch: RecordBatch) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        self.fmt.format(&batch, &mut buf);
        let r = self.out.write_all(&buf);
        self.buf = buf;
        r
    }

    fn write_text(&mut self, text: &[u8]) -> io::Result<()> {
        self.out.write_all(text)
    }

    fn close(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The leaf columns of a column: struct columns are flattened (a null struct's fields are
/// null in its children already).
fn flat_leaves(col: &ArrayRef, out: &mut Vec<ArrayRef>) {
    match col.data_type() {
        DataType::Struct(_) => {
            for c in col.as_struct().columns() {
                flat_leaves(c, out);
            }
        }
        _ => out.push(col.clone()),
    }
}

/// Writes text as one field, quoted when it must be (and when it is empty).
#[inline]
fn push_text(buf: &mut Vec<u8>, s: &[u8], sep: u8) {
    let needs = s.is_empty()
        || s.iter()
            .any(|&b| b == sep || b == b'"' || b == b'\n' || b == b'\r');
    if !needs {
        buf.extend_from_slice(s);
        return;
    }
    buf.push(b'"');
    for &b in s {
        if b == b'"' {
            buf.push(b'"');
        }
        buf.push(b);
    }
    buf.push(b'"');
}

#[inline]
fn push_float(buf: &mut Vec<u8>, v: f64, f32_: Option<f32>) {
    if v.is_nan() {
        buf.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        buf.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else if let Some(f) = f32_ {
        push_f32(buf, f);
    } else {
        push_f64(buf, v);
    }
}

/// Writes row `row` of a leaf column as one CSV field.
fn cell(buf: &mut Vec<u8>, a: &dyn Array, row: usize, sep: u8, bytes: BytesStyle) {
    if a.is_null(row) {
        return;
    }
    match a.data_type() {
        DataType::Boolean => {
            let v = a.as_boolean().value(row);
            buf.extend_from_slice(if v { b"true" } else { b"false" });
        }
        DataType::Int8 => push_i64(buf, a.as_primitive::<Int8Type>().value(row).into()),
        DataType::Int16 => push_i64(buf, a.as_primitive::<Int16Type>().value(row).into()),
        DataType::Int32 => push_i64(buf, a.as_primitive::<Int32Type>().value(row).into()),
        DataType::Int64 => push_i64(buf, a.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => push_u64(buf, a.as_primitive::<UInt8Type>().value(row).into()),
        DataType::UInt16 => push_u64(buf, a.as_primitive::<UInt16Type>().value(row).into()),
        DataType::UInt32 => push_u64(buf, a.as_primitive::<UInt32Type>().value(row).into()),
        DataType::UInt64 => push_u64(buf, a.as_primitive::<UInt64Type>().value(row)),
        DataType::Float32 => {
            let v = a.as_primitive::<Float32Type>().value(row);
            push_float(buf, f64::from(v), Some(v));
        }
        DataType::Float64 => push_float(buf, a.as_primitive::<Float64Type>().value(row), None),
        DataType::Utf8 => push_text(buf, a.as_string::<i32>().value(row).as_bytes(), sep),
        DataType::Binary => {
            let b = a.as_binary::<i32>().value(row);
            if b.is_empty() {
                buf.extend_from_slice(b"\"\"");
            } else {
                // hex and base64 hold no separator or quote; the JSON routine quotes them
                let start = buf.len();
                push_bytes(buf, b, bytes, false);
                if bytes != BytesStyle::Array {
                    strip_quotes(buf, start);
                } else {
                    let s = buf.split_off(start);
                    push_text(buf, &s, sep);
                }
            }
        }
        DataType::Dictionary(..) => {
            let d = a.as_dictionary::<Int32Type>();
            let k = d.keys().value(row) as usize;
            let names = d.values().as_string::<i32>();
            push_text(buf, names.value(k).as_bytes(), sep);
        }
        _ => {
            // lists: their JSON text in one field
            let mut j = Vec::new();
            json_value(&mut j, a, row, bytes);
            push_text(buf, &j, sep);
        }
    }
}

fn strip_quotes(buf: &mut Vec<u8>, start: usize) {
    if buf.len() >= start + 2 && buf[start] == b'"' && buf.last() == Some(&b'"') {
        buf.pop();
        buf.remove(start);
    }
}

/// Writes row `row` of a column as JSON, as the JSON outputs write it.
fn json_value(buf: &mut Vec<u8>, a: &dyn Array, row: usize, bytes: BytesStyle) {
    if a.is_null(row) {
        buf.extend_from_slice(b"null");
        return;
    }
    match a.data_type() {
        DataType::Float32 => push_f32(buf, a.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => push_f64(buf, a.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => {
            buf.push(b'"');
            escape_str(buf, a.as_string::<i32>().value(row).as_bytes());
            buf.push(b'"');
        }
        DataType::Binary => push_bytes(buf, a.as_binary::<i32>().value(row), bytes, false),
        DataType::Dictionary(..) => {
            let d = a.as_dictionary::<Int32Type>();
            let k = d.keys().value(row) as usize;
            buf.push(b'"');
            escape_str(buf, d.values().as_string::<i32>().value(k).as_bytes());
            buf.push(b'"');
        }
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            let items = l.value(row);
            buf.push(b'[');
            for i in 0..items.len() {
                if i > 0 {
                    buf.push(b',');
                }
                json_value(buf, items.as_ref(), i, bytes);
            }
            buf.push(b']');
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            buf.push(b'{');
            for (i, (f, c)) in fields.iter().zip(s.columns()).enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                buf.push(b'"');
                escape_str(buf, f.name().as_bytes());
                buf.extend_from_slice(b"\":");
                json_value(buf, c.as_ref(), row, bytes);
            }
            buf.push(b'}');
        }
        // scalars are written the same way as in a CSV field
        _ => cell(buf, a, row, b',', bytes),
    }
}

//! [`BatchBuilder`]: a [`Sink`] that fills typed column buffers as the decoder writes
//! records, and turns them into Arrow record batches.
//!
//! Columns are plain vectors (values, offsets, validity bits) indexed in an arena, so a
//! record that fails half-way is taken back by truncating every column to the rows before it
//! ([`Sink::rewind`]), and a finished batch hands its vectors to Arrow without copying.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, DictionaryArray, ListArray, PrimitiveArray, RecordBatch,
    StringArray, StructArray,
};
use arrow_buffer::{BooleanBufferBuilder, Buffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, Field, SchemaRef};

mod columns;

use super::shape::{self, Col, Kind};
use crate::emit::Sink;
use crate::text::{self, Encoding};

/// Where a finished batch goes when the builder fills one (the CLI's writers).
pub trait BatchWrite: Send {
    fn write(&mut self, batch: RecordBatch) -> io::Result<()>;
    /// Writes rows already formatted as this output's text (CSV formatted on other threads).
    fn write_text(&mut self, _text: &[u8]) -> io::Result<()> {
        Err(io::Error::other("this output is not text"))
    }
    /// Ends the output (a file's footer, a stream's end marker) and flushes it.
    fn close(&mut self) -> io::Result<()>;
}

/// Values of one column of the current batch.
enum Buf {
    Bool(BooleanBufferBuilder),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// Text (`binary` false) or bytes: offsets (starting with 0) into `data`.
    Var {
        offsets: Vec<i32>,
        data: Vec<u8>,
        binary: bool,
    },
    /// Keys into the dictionary of member names (kept for the whole run, so that every
    /// batch's dictionary starts with the same entries).
    Enum {
        keys: Vec<i32>,
        dict: Dict,
    },
    Struct {
        children: Vec<usize>,
    },
    List {
        offsets: Vec<i32>,
        child: usize,
    },
}

#[derive(Default)]
struct Dict {
    names: Vec<String>,
    index: HashMap<String, i32>,
}

impl Dict {
    fn key(&mut self, name: &str) -> Option<i32> {
        if let Some(&k) = self.index.get(name) {
            return Some(k);
        }
        let k = i32::try_from(self.names.len()).ok()?;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), k);
        Some(k)
    }
}

struct Node {
    /// Dotted path from the record, for messages.
    path: String,
    key: Option<Box<[u8]>>,
    /// The address of the key the decoder passed last time it matched: the decoder passes
    /// keys from the plan, so after the first record a key is recognised by its address.
    key_at: std::cell::Cell<usize>,
    tuple: bool,
    field: Arc<Field>,
    nulls: NullBufferBuilder,
    buf: Buf,
}

/// An open struct or list that values go into.
#[derive(Clone, Copy)]
struct Frame {
    node: usize,
    /// Structs: the next field (in order) that has not had a value.
    next: usize,
    /// Structs with keys: the field whose key came last.
    cur: Option<usize>,
}

/// Collects records as Arrow columns. Build it with [`BatchBuilder::new`], hand it to the
/// decoder as its sink (one `begin_object`…`end_object` per record, then `end_record`), and
/// take the rows collected so far with [`BatchBuilder::take_batch`].
pub struct BatchBuilder {
    schema: SchemaRef,
    nodes: Vec<Node>,
    stack: Vec<Frame>,
    /// The first value that did not fit its column, reported at the record's end.
    problem: Option<String>,
    /// Rows per batch when an output is attached.
    batch_rows: usize,
    out: Option<Box<dyn BatchWrite>>,
    text_scratch: String,
    /// The column tier ([`crate::emit::columns`]): rows before the current run, and whether
    /// the tier is off (a layout whose fields are not these columns).
    run_start: usize,
    columns_off: bool,
}

/// Rows per batch unless the caller chooses: large enough to amortise per-batch costs in
/// Arrow and Parquet, small enough that a batch of typical records is a few MiB.
pub const DEFAULT_BATCH_ROWS: usize = 64 * 1024;

/// A batch is also written once its text and bytes reach this size, so that a run of large
/// records keeps memory bounded and 32-bit offsets never overflow.
const MAX_BATCH_BYTES: usize = 64 << 20;

impl BatchBuilder {
    /// A builder for records with the columns of `record` (see [`super::record_shape`]).
    pub fn new(record: &Col) -> BatchBuilder {
        let mut b = BatchBuilder {
            schema: shape::schema(record),
            nodes: Vec::new(),
            stack: Vec::new(),
            problem: None,
            batch_rows: DEFAULT_BATCH_ROWS,
            out: None,
            text_scratch: String::new(),
            run_start: 0,
            columns_off: false,
        };
        b.add(record, String::new());
        b
    }

    /// Writes a batch to `out` whenever `rows` records are collected (and on
    /// [`Sink::finish`]).
    pub fn with_output(mut self, rows: usize, out: Box<dyn BatchWrite>) -> BatchBuilder {
        self.batch_rows = rows.max(1);
        self.out = Some(out);
        self
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Records collected since the last batch.
    pub fn rows(&self) -> usize {
        self.nodes[0].nulls.len()
    }

    /// The attached output, if any.
    pub fn output(&mut self) -> Option<&mut Box<dyn BatchWrite>> {
        self.out.as_mut()
    }

    /// The value that did not fit its column in the current record, if one did not.
    pub fn take_problem(&mut self) -> Option<String> {
        self.problem.take()
    }

    fn add(&mut self, c: &Col, parent: String) -> usize {
        let path = if parent.is_empty() {
            c.name.clone()
        } else {
            format!("{parent}.{}", c.name)
        };
        let id = self.nodes.len();
        self.nodes.push(Node {
            path: path.clone(),
            key: c.key.clone(),
            key_at: std::cell::Cell::new(0),
            tuple: c.tuple,
            field: Arc::new(shape::field(c)),
            nulls: NullBufferBuilder::new(0),
            buf: Buf::U8(Vec::new()),
        });
        let buf = match &c.kind {
            Kind::Bool => Buf::Bool(BooleanBufferBuilder::new(0)),
            Kind::Int { bits, signed } => match (bits, signed) {
                (8, true) => Buf::I8(Vec::new()),
                (8, false) => Buf::U8(Vec::new()),
                (16, true) => Buf::I16(Vec::new()),
                (16, false) => Buf::U16(Vec::new()),
                (32, true) => Buf::I32(Vec::new()),
                (32, false) => Buf::U32(Vec::new()),
                (_, true) => Buf::I64(Vec::new()),
                (_, false) => Buf::U64(Vec::new()),
            },
            Kind::Float { bits: 32 } => Buf::F32(Vec::new()),
            Kind::Float { .. } => Buf::F64(Vec::new()),
            Kind::Utf8 | Kind::Binary => Buf::Var {
                offsets: vec![0],
                data: Vec::new(),
                binary: c.kind == Kind::Binary,
            },
            Kind::Enum => Buf::Enum {
                keys: Vec::new(),
                dict: Dict::default(),
            },
            Kind::Flags => {
                let item = Col {
                    name: "item".into(),
                    key: None,
                    kind: Kind::Utf8,
                    tuple: false,
                };
                let child = self.add(&item, path);
                Buf::List {
                    offsets: vec![0],
                    child,
                }
            }
            Kind::List(item) => {
                let child = self.add(item, path);
                Buf::List {
                    offsets: vec![0],
                    child,
                }
            }
            Kind::Struct(cols) => {
                let children = cols.iter().map(|c| self.add(c, path.clone())).collect();
                Buf::Struct { children }
            }
        };
        self.nodes[id].buf = buf;
        id
    }

    /// Takes the rows collected so far as a record batch and starts a new one.
    pub fn take_batch(&mut self) -> Result<RecordBatch, ArrowError> {
        self.stack.clear();
        let Buf::Struct { children } = &self.nodes[0].buf else {
            return Err(ArrowError::SchemaError("a record is not a struct".into()));
        };
        let children = children.clone();
        let rows = self.rows();
        let _ = self.nodes[0].nulls.finish();
        let cols = children
            .iter()
            .map(|&c| self.finish(c))
            .collect::<Result<Vec<_>, _>>()?;
        let opts = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema.clone(), cols, &opts)
    }

    /// The column of node `id` as an Arrow array; the node starts empty again.
    fn finish(&mut self, id: usize) -> Result<ArrayRef, ArrowError> {
        let node = &mut self.nodes[id];
        let len = node.nulls.len();
        let nulls = node.nulls.finish();
        let field = node.field.clone();
        fn prim<T: arrow_array::ArrowPrimitiveType>(
            v: &mut Vec<T::Native>,
            nulls: Option<arrow_buffer::NullBuffer>,
        ) -> ArrayRef {
            let cap = v.capacity();
            let v = std::mem::replace(v, Vec::with_capacity(cap));
            Arc::new(PrimitiveArray::<T>::new(ScalarBuffer::from(v), nulls))
        }
        Ok(match &mut node.buf {
            Buf::Bool(b) => Arc::new(BooleanArray::new(b.finish(), nulls)),
            Buf::I8(v) => prim::<Int8Type>(v, nulls),
            Buf::I16(v) => prim::<Int16Type>(v, nulls),
            Buf::I32(v) => prim::<Int32Type>(v, nulls),
            Buf::I64(v) => prim::<Int64Type>(v, nulls),
            Buf::U8(v) => prim::<UInt8Type>(v, nulls),
            Buf::U16(v) => prim::<UInt16Type>(v, nulls),
            Buf::U32(v) => prim::<UInt32Type>(v, nulls),
            Buf::U64(v) => prim::<UInt64Type>(v, nulls),
            Buf::F32(v) => prim::<Float32Type>(v, nulls),
            Buf::F64(v) => prim::<Float64Type>(v, nulls),
            Buf::Var {
                offsets,
                data,
                binary,
            } => {
                let (cap_o, cap_d) = (offsets.capacity(), data.capacity());
                let o = std::mem::replace(offsets, Vec::with_capacity(cap_o));
                offsets.push(0);
                let d = std::mem::replace(data, Vec::with_capacity(cap_d));
                let o = OffsetBuffer::new(ScalarBuffer::from(o));
                if *binary {
                    Arc::new(BinaryArray::try_new(o, Buffer::from_vec(d), nulls)?)
                } else {
                    Arc::new(StringArray::try_new(o, Buffer::from_vec(d), nulls)?)
                }
            }
            Buf::Enum { keys, dict } => {
                let cap = keys.capacity();
                let k = std::mem::replace(keys, Vec::with_capacity(cap));
                let values = StringArray::from_iter_values(dict.names.iter());
                let keys = PrimitiveArray::<Int32Type>::new(ScalarBuffer::from(k), nulls);
                Arc::new(DictionaryArray::<Int32Type>::try_new(
                    keys,
                    Arc::new(values),
                )?)
            }
            Buf::List { offsets, child } => {
                let child = *child;
                let cap = offsets.capacity();
                let o = std::mem::replace(offsets, Vec::with_capacity(cap));
                offsets.push(0);
                let item = match field.data_type() {
                    arrow_schema::DataType::List(f) => f.clone(),
                    _ => return Err(ArrowError::SchemaError("list without item".into())),
                };
                let values = self.finish(child)?;
                Arc::new(ListArray::try_new(
                    item,
                    OffsetBuffer::new(ScalarBuffer::from(o)),
                    values,
                    nulls,
                )?)
            }
            Buf::Struct { children } => {
                let children = children.clone();
                let fields = match field.data_type() {
                    arrow_schema::DataType::Struct(f) => f.clone(),
                    _ => return Err(ArrowError::SchemaError("struct without fields".into())),
                };
                let arrays = children
                    .iter()
                    .map(|&c| self.finish(c))
                    .collect::<Result<Vec<_>, _>>()?;
                if arrays.is_empty() {
                    Arc::new(StructArray::new_empty_fields(len, nulls))
                } else {
                    Arc::new(StructArray::try_new(fields, arrays, nulls)?)
                }
            }
        })
    }

    /// Cuts node `id` (and what it holds) back to `len` rows.
    fn truncate(&mut self, id: usize, len: usize) {
        let node = &mut self.nodes[id];
        node.nulls.truncate(len);
        let child = match &mut node.buf {
            Buf::Bool(b) => {
                b.truncate(len.min(b.len()));
                None
            }
            Buf::I8(v) => trunc(v, len),
            Buf::I16(v) => trunc(v, len),
            Buf::I32(v) => trunc(v, len),
            Buf::I64(v) => trunc(v, len),
            Buf::U8(v) => trunc(v, len),
            Buf::U16(v) => trunc(v, len),
            Buf::U32(v) => trunc(v, len),
            Buf::U64(v) => trunc(v, len),
            Buf::F32(v) => trunc(v, len),
            Buf::F64(v) => trunc(v, len),
            Buf::Enum { keys, .. } => trunc(keys, len),
            Buf::Var { offsets, data, .. } => {
                offsets.truncate(len + 1);
                let end = offsets.last().copied().unwrap_or(0) as usize;
                data.truncate(end);
                None
            }
            Buf::List { offsets, child } => {
                offsets.truncate(len + 1);
                let end = offsets.last().copied().unwrap_or(0) as usize;
                Some(vec![(*child, end)])
            }
            Buf::Struct { children } => Some(children.iter().map(|&c| (c, len)).collect()),
        };
        for (c, l) in child.into_iter().flatten() {
            self.truncate(c, l);
        }
    }

    fn problem(&mut self, msg: impl FnOnce() -> String) {
        if self.problem.is_none() {
            self.problem = Some(msg());
        }
    }

    /// The node the next value goes into, or None (with a problem noted).
    #[inline]
    fn target(&mut self) -> Option<usize> {
        let Some(top) = self.stack.last_mut() else {
            self.problem(|| "a value outside a record".into());
            return None;
        };
        // inside a value that has no column (a problem is noted already)
        let node = self.nodes.get(top.node)?;
        match &node.buf {
            Buf::Struct { children } => {
                if node.tuple {
                    let c = children.get(top.next).copied();
                    top.next += 1;
                    if c.is_none() {
                        let path = node.path.clone();
                        self.problem(|| format!("`{path}` has more values than columns"));
                    }
                    c
                } else {
                    let c = top.cur.take();
                    if c.is_none() {
                        let path = node.path.clone();
                        self.problem(|| format!("a value without a key in `{path}`"));
                    }
                    c
                }
            }
            Buf::List { child, .. } => Some(*child),
            _ => None,
        }
    }

    /// Appends a null to node `id` (and an empty or null row to what it holds).
    fn push_null(&mut self, id: usize) {
        let node = &mut self.nodes[id];
        node.nulls.append_null();
        let children: Option<Vec<usize>> = match &mut node.buf {
            Buf::Bool(b) => {
                b.append(false);
                None
            }
            Buf::I8(v) => push0(v),
            Buf::I16(v) => push0(v),
            Buf::I32(v) => push0(v),
            Buf::I64(v) => push0(v),
            Buf::U8(v) => push0(v),
            Buf::U16(v) => push0(v),
            Buf::U32(v) => push0(v),
            Buf::U64(v) => push0(v),
            Buf::F32(v) => push0(v),
            Buf::F64(v) => push0(v),
            Buf::Enum { keys, .. } => push0(keys),
            Buf::Var { offsets, .. } | Buf::List { offsets, .. } => {
                let last = offsets.last().copied().unwrap_or(0);
                offsets.push(last);
                None
            }
            Buf::Struct { children } => Some(children.clone()),
        };
        for c in children.into_iter().flatten() {
            self.push_null(c);
        }
    }

    fn mismatch(&mut self, id: usize, what: &str) {
        let (path, ty) = (
            self.nodes[id].path.clone(),
            self.nodes[id].field.data_type().clone(),
        );
        self.problem(|| format!("field `{path}`: {what} does not fit its column ({ty})"));
    }

    #[inline]
    fn int(&mut self, v: i128) {
        let Some(id) = self.target() else { return };
        self.int_into(id, v);
    }

    #[inline]
    fn int_into(&mut self, id: usize, v: i128) {
        let node = &mut self.nodes[id];
        let ok = match &mut node.buf {
            Buf::I8(b) => push_int(b, v),
            Buf::I16(b) => push_int(b, v),
            Buf::I32(b) => push_int(b, v),
            Buf::I64(b) => push_int(b, v),
            Buf::U8(b) => push_int(b, v),
            Buf::U16(b) => push_int(b, v),
            Buf::U32(b) => push_int(b, v),
            Buf::U64(b) => push_int(b, v),
            Buf::F64(b) => {
                b.push(v as f64);
                true
            }
            // an enum value without a name, or bits of flags without one
            Buf::Enum { .. } | Buf::Var { binary: false, .. } => {
                let s = itoa::Buffer::new().format(v).to_string();
                return self.str_into(id, &s);
            }
            _ => false,
        };
        if ok {
            node.nulls.append_non_null();
        } else {
            self.mismatch(id, &format!("the integer {v}"));
        }
    }

    #[inline]
    fn float(&mut self, v: f64) {
        let Some(id) = self.target() else { return };
        self.float_into(id, v);
    }

    #[inline]
    fn float_into(&mut self, id: usize, v: f64) {
        let node = &mut self.nodes[id];
        match &mut node.buf {
            Buf::F64(b) => b.push(v),
            Buf::F32(b) => b.push(v as f32),
            _ => return self.mismatch(id, "a float"),
        }
        node.nulls.append_non_null();
    }

    fn bool_into(&mut self, id: usize, v: bool) {
        let node = &mut self.nodes[id];
        match &mut node.buf {
            Buf::Bool(b) => b.append(v),
            _ => return self.mismatch(id, "a bool"),
        }
        node.nulls.append_non_null();
    }

    #[inline]
    fn f32_into(&mut self, id: usize, v: f32) {
        let node = &mut self.nodes[id];
        match &mut node.buf {
            Buf::F32(b) => b.push(v),
            Buf::F64(b) => b.push(f64::from(v)),
            _ => return self.mismatch(id, "a float"),
        }
        node.nulls.append_non_null();
    }

    fn str_into(&mut self, id: usize, s: &str) {
        let node = &mut self.nodes[id];
        match &mut node.buf {
            Buf::Var {
                offsets,
                data,
                binary: false,
            } => {
                data.extend_from_slice(s.as_bytes());
                push_offset(offsets, data.len(), &mut self.problem, &node.path);
            }
            Buf::Enum { keys, dict } => match dict.key(s) {
                Some(k) => keys.push(k),
                None => return self.mismatch(id, "an enum value"),
            },
            _ => return self.mismatch(id, "text"),
        }
        self.nodes[id].nulls.append_non_null();
    }

    fn begin(&mut self, array: bool) {
        let id = if self.stack.is_empty() {
            // a new record
            0
        } else {
            match self.target() {
                Some(id) => id,
                None => {
                    // nested values without a column (a problem is noted): the ends still pair
                    self.stack.push(Frame {
                        node: usize::MAX,
                        next: 0,
                        cur: None,
                    });
                    return;
                }
            }
        };
        let node = &self.nodes[id];
        let fits = match node.buf {
            Buf::Struct { .. } => node.tuple == array,
            Buf::List { .. } => array,
            _ => false,
        };
        if !fits {
            self.mismatch(id, if array { "an array" } else { "an object" });
        }
        self.stack.push(Frame {
            node: if fits { id } else { usize::MAX },
            next: 0,
            cur: None,
        });
    }

    fn end(&mut self) {
        let Some(f) = self.stack.pop() else {
            self.problem(|| "an end outside a record".into());
            return;
        };
        if f.node == usize::MAX {
            return;
        }
        let node = &mut self.nodes[f.node];
        node.nulls.append_non_null();
        match &node.buf {
            Buf::Struct { children } => {
                // fields that never came (a false `if`) are null
                let rest: Vec<usize> = children.get(f.next..).unwrap_or(&[]).to_vec();
                for c in rest {
                    self.push_null(c);
                }
            }
            Buf::List { child, .. } => {
                let child = *child;
                let end = self.nodes[child].nulls.len();
                let node = &mut self.nodes[f.node];
                if let Buf::List { offsets, .. } = &mut node.buf {
                    push_offset(offsets, end, &mut self.problem, &node.path);
                }
            }
            _ => {}
        }
    }
}

fn trunc<T>(v: &mut Vec<T>, len: usize) -> Option<Vec<(usize, usize)>> {
    v.truncate(len);
    None
}

fn push0<T: Default>(v: &mut Vec<T>) -> Option<Vec<usize>> {
    v.push(T::default());
    None
}

#[inline]
fn push_int<T: TryFrom<i128>>(v: &mut Vec<T>, x: i128) -> bool {
    match T::try_from(x) {
        Ok(x) => {
            v.push(x);
            true
        }
        Err(_) => false,
    }
}

#[inline]
fn push_offset(offsets: &mut Vec<i32>, end: usize, problem: &mut Option<String>, path: &str) {
    match i32::try_from(end) {
        Ok(o) => offsets.push(o),
        Err(_) => {
            offsets.push(offsets.last().copied().unwrap_or(0));
            if problem.is_none() {
                *problem = Some(format!(
                    "field `{path}`: more than 2 GiB in one batch of a column"
                ));
            }
        }
    }
}

impl Sink for BatchBuilder {
    type Out = crate::emit::NoRecords;

    fn begin_object(&mut self) {
        self.begin(false);
    }
    fn end_object(&mut self) {
        self.end();
    }
    fn begin_array(&mut self) {
        self.begin(true);
    }
    fn end_array(&mut self) {
        self.end();
    }

    #[inline]
    fn key(&mut self, k: &[u8]) {
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        let Some(Node {
            buf: Buf::Struct { children },
            ..
        }) = self.nodes.get(top.node)
        else {
            return;
        };
        // the usual case: the next field in order, passed from the same place as before
        if let Some(&c) = children.get(top.next) {
            let n = &self.nodes[c];
            if n.key_at.get() == k.as_ptr() as usize
                && n.key.as_deref().is_some_and(|x| x.len() == k.len())
            {
                top.cur = Some(c);
                top.next += 1;
                return;
            }
        }
        self.key_slow(k);
    }

    fn span(&mut self, _: &[u8], _: u64, _: u64) {}

    fn null(&mut self) {
        if let Some(id) = self.target() {
            self.push_null(id);
        }
    }

    fn bool(&mut self, v: bool) {
        let Some(id) = self.target() else { return };
        self.bool_into(id, v);
    }

    #[inline]
    fn u64(&mut self, v: u64) {
        self.int(i128::from(v));
    }

    #[inline]
    fn i64(&mut self, v: i64) {
        self.int(i128::from(v));
    }

    fn i128(&mut self, v: i128) {
        self.int(v);
    }

    #[inline]
    fn f64(&mut self, v: f64) {
        self.float(v);
    }

    #[inline]
    fn f32(&mut self, v: f32) {
        let Some(id) = self.target() else { return };
        self.f32_into(id, v);
    }

    #[inline]
    fn text(&mut self, raw: &[u8], enc: Encoding, lossy: bool) {
        let Some(id) = self.target() else { return };
        if matches!(enc, Encoding::Utf8 | Encoding::Ascii) && !lossy {
            // validated by the decoder
            if let Ok(s) = std::str::from_utf8(raw) {
                return self.str_into(id, s);
            }
        }
        let mut s = std::mem::take(&mut self.text_scratch);
        s.clear();
        text::decode_chars(raw, enc, |c| s.push(c));
        self.str_into(id, &s);
        self.text_scratch = s;
    }

    fn str(&mut self, s: &str) {
        if let Some(id) = self.target() {
            self.str_into(id, s);
        }
    }

    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        let Some(id) = self.target() else { return };
        let node = &mut self.nodes[id];
        match &mut node.buf {
            Buf::Var {
                offsets,
                data,
                binary: true,
            } => {
                data.extend_from_slice(b);
                push_offset(offsets, data.len(), &mut self.problem, &node.path);
            }
            _ => return self.mismatch(id, "bytes"),
        }
        self.nodes[id].nulls.append_non_null();
    }

    fn end_record(&mut self) -> io::Result<()> {
        if let Some(p) = self.problem.take() {
            // the record is taken back, so the rows before it stay whole
            let keep = if self.stack.is_empty() {
                self.rows().saturating_sub(1)
            } else {
                self.rows()
            };
            self.rewind(keep);
            return Err(io::Error::new(io::ErrorKind::InvalidData, p));
        }
        let rows = self.rows();
        if self.out.is_some()
            && (rows >= self.batch_rows
                || (rows.is_multiple_of(256) && self.var_bytes() >= MAX_BATCH_BYTES))
        {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.out.is_some() && self.rows() > 0 {
            self.flush()?;
        }
        Ok(())
    }

    fn mark(&self) -> usize {
        self.rows()
    }

    fn raw_columns(&mut self) -> Option<(&mut dyn crate::emit::ColumnsOut, usize)> {
        // between records, and far from 32-bit offsets (runs are small)
        if self.columns_off
            || !self.stack.is_empty()
            || self.problem.is_some()
            || self.var_bytes() >= 1 << 30
        {
            return None;
        }
        let room = if self.out.is_some() {
            self.batch_rows.saturating_sub(self.rows())
        } else {
            usize::MAX
        };
        Some((self, room))
    }

    fn raw_columns_done(&mut self) -> io::Result<()> {
        if self.out.is_some()
            && (self.rows() >= self.batch_rows || self.var_bytes() >= MAX_BATCH_BYTES)
        {
            self.flush()?;
        }
        Ok(())
    }

    fn rewind(&mut self, mark: usize) {
        self.stack.clear();
        self.problem = None;
        self.truncate(0, mark);
    }
}

impl BatchBuilder {
    /// A key that is not the next field's at its known address: found by its text; the
    /// fields skipped over (behind a false `if`) are null.
    #[cold]
    fn key_slow(&mut self, k: &[u8]) {
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        let Some(Node {
            buf: Buf::Struct { children },
            ..
        }) = self.nodes.get(top.node)
        else {
            return;
        };
        let nodes = &self.nodes;
        let found = children[top.next.min(children.len())..]
            .iter()
            .position(|&c| nodes[c].key.as_deref() == Some(k));
        match found {
            Some(i) => {
                let c = children[top.next + i];
                let skipped: Vec<usize> = children[top.next..top.next + i].to_vec();
                nodes[c].key_at.set(k.as_ptr() as usize);
                top.cur = Some(c);
                top.next += i + 1;
                for c in skipped {
                    self.push_null(c);
                }
            }
            None => {
                let key = String::from_utf8_lossy(k).into_owned();
                let path = self.nodes[top.node].path.clone();
                self.problem(|| format!("unexpected field {key} in `{path}`"));
            }
        }
    }

    /// Bytes of text and binary values in the current batch.
    fn var_bytes(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| match &n.buf {
                Buf::Var { data, .. } => data.len(),
                _ => 0,
            })
            .sum()
    }

    /// Writes the rows collected so far and ends the attached output.
    pub fn close(&mut self) -> io::Result<()> {
        Sink::finish(self)?;
        match self.out.as_mut() {
            Some(out) => out.close(),
            None => Ok(()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let batch = self.take_batch().map_err(io::Error::other)?;
        match self.out.as_mut() {
            Some(out) => out.write(batch),
            None => Ok(()),
        }
    }
}

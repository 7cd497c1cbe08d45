//! Columnar outputs: records as Arrow record batches, written as CSV/TSV, an Arrow IPC
//! stream or Parquet.
//!
//! The columns come from the plan, not from the data: [`arrow_schema`] gives the Arrow
//! schema of records of a struct before anything is decoded (exact integer widths and
//! signedness, `f32`/`f64`, text as `Utf8`, bytes as `Binary`, enums as dictionary-encoded
//! `Utf8`, flags as lists of names, nested structs as struct columns, arrays as list
//! columns, every column nullable because a field behind a false `if` is absent). A field
//! whose type the descriptor leaves open (a `match` with arms of different types) is a
//! [`ShapeError`] that names it.
//!
//! The library entry points:
//!
//! - [`arrow_schema`]`(plan, record)`: the schema.
//! - [`record_batches`]`(plan, record, data, opts, batch_rows)`: an iterator of
//!   `Result<RecordBatch, DataError>` over the records in `data`, `batch_rows` records per
//!   batch; the records before a bad one come as a batch, then the error, then the end.
//! - [`BatchBuilder`]: the [`Sink`](crate::emit::Sink) behind both, for callers that drive the
//!   decoder themselves (records mode's `--skip`, `--count`, `--on-error`, streamed input);
//!   with [`BatchBuilder::with_output`] it hands every full batch to a [`BatchWrite`]:
//!   [`CsvWriter`], [`IpcWriter`] or [`ParquetWriter`].

mod builder;
mod csv;
pub mod parallel;
mod shape;

use std::fs::File;
use std::io::{self, Write};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

pub use builder::{BatchBuilder, BatchWrite, DEFAULT_BATCH_ROWS};
pub use csv::{CsvFormat, CsvWriter, header_names};
pub use shape::{Col, Kind, ShapeError, record_shape};

use crate::decode::{Decoder, Input, Options, Scratch};
use crate::emit::Sink;
use crate::error::{DataError, DataErrorKind};
use crate::plan::{Plan, StructId};

/// The Arrow schema of records of struct `record`.
pub fn arrow_schema(plan: &Plan, record: StructId) -> Result<SchemaRef, ShapeError> {
    Ok(shape::schema(&record_shape(plan, record)?))
}

/// The Arrow schema of a record shape.
pub fn arrow_schema_of(record: &Col) -> SchemaRef {
    shape::schema(record)
}

/// A [`BatchBuilder`] for records of struct `record`.
pub fn batch_builder(plan: &Plan, record: StructId) -> Result<BatchBuilder, ShapeError> {
    Ok(BatchBuilder::new(&record_shape(plan, record)?))
}

/// The records of struct `record` in `data` (one after another until the data ends), as
/// record batches of `batch_rows` rows (the last one shorter).
pub fn record_batches<'a>(
    plan: &'a Plan,
    record: StructId,
    data: &'a [u8],
    opts: Options,
    batch_rows: usize,
) -> Result<RecordBatches<'a>, ShapeError> {
    record_batches_in(
        plan,
        record,
        Input::whole(data),
        0..data.len(),
        0,
        opts,
        batch_rows,
    )
}

/// The records of struct `record` that start in `range` of `input` (record number
/// `first_index` first), as [`record_batches`] gives them. The decoder sees all of `input`,
/// so a part decoded this way (a shard, see [`crate::shards`]) gives the rows, `@offset`
/// values and error offsets of one run over the whole input.
pub fn record_batches_in<'a>(
    plan: &'a Plan,
    record: StructId,
    input: Input<'a>,
    range: std::ops::Range<usize>,
    first_index: u64,
    opts: Options,
    batch_rows: usize,
) -> Result<RecordBatches<'a>, ShapeError> {
    Ok(RecordBatches {
        plan,
        sid: record,
        input,
        end: range.end.min(input.data.len()),
        opts,
        batch_rows: batch_rows.max(1),
        builder: batch_builder(plan, record)?,
        scratch: Scratch::default(),
        pos: range.start,
        index: first_index,
        failed: None,
        done: false,
    })
}

/// The iterator of [`record_batches`].
pub struct RecordBatches<'a> {
    plan: &'a Plan,
    sid: StructId,
    input: Input<'a>,
    /// Records that start before this position are decoded.
    end: usize,
    opts: Options,
    batch_rows: usize,
    builder: BatchBuilder,
    scratch: Scratch,
    pos: usize,
    index: u64,
    failed: Option<DataError>,
    done: bool,
}

impl RecordBatches<'_> {
    pub fn schema(&self) -> SchemaRef {
        self.builder.schema()
    }

    /// Decodes up to a batch of records; Err: the record that stopped the run.
    fn fill(&mut self) -> Result<(), DataError> {
        let mut d = Decoder::new(
            self.plan,
            self.input,
            self.opts,
            &mut self.builder,
            &mut self.scratch,
        );
        let fast = d.has_fast_records(self.sid);
        let mut rows = 0;
        while rows < self.batch_rows && self.pos < self.end {
            // runs of fixed-layout records column by column; the general decoder takes the
            // record that stops them
            if fast {
                let limit = (self.batch_rows - rows) as u64;
                let (n, next) = d
                    .fast_records(self.sid, self.pos, self.end, limit)
                    .map_err(|e| {
                        DataError::new(self.pos as u64, DataErrorKind::Type(e.to_string()))
                    })?;
                if n > 0 {
                    self.pos = next;
                    self.index += n;
                    rows += n as usize;
                    continue;
                }
            }
            let mark = d.sink().mark();
            let at = self.pos;
            match d.decode_record(self.sid, at, self.index, true) {
                Ok(next) if next > at => {
                    if let Err(e) = d.sink().end_record() {
                        d.sink().rewind(mark);
                        let mut err = DataError::new(at as u64, DataErrorKind::Type(e.to_string()));
                        err = err.in_index(self.index);
                        return Err(err);
                    }
                    self.pos = next;
                    self.index += 1;
                    rows += 1;
                }
                Ok(_) => {
                    d.sink().rewind(mark);
                    return Err(DataError::new(
                        at as u64,
                        DataErrorKind::NoProgress { index: self.index },
                    ));
                }
                Err(e) => {
                    d.sink().rewind(mark);
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

impl Iterator for RecordBatches<'_> {
    type Item = Result<RecordBatch, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.failed.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        if let Err(e) = self.fill() {
            self.failed = Some(e);
        }
        if self.builder.rows() == 0 {
            self.done = self.failed.is_none();
            return self.failed.take().map(|e| {
                self.done = true;
                Err(e)
            });
        }
        let batch = self
            .builder
            .take_batch()
            .map_err(|e| DataError::new(self.pos as u64, DataErrorKind::Type(e.to_string())));
        if self.pos >= self.end && self.failed.is_none() {
            self.done = true;
        }
        Some(batch)
    }
}

/// An Arrow IPC stream (what `pyarrow.ipc.open_stream` and DuckDB's arrow reader take).
pub struct IpcWriter<W: Write> {
    w: arrow_ipc::writer::StreamWriter<W>,
}

impl<W: Write> IpcWriter<W> {
    pub fn new(out: W, schema: &SchemaRef) -> io::Result<Self> {
        let w = arrow_ipc::writer::StreamWriter::try_new(out, schema).map_err(io::Error::other)?;
        Ok(IpcWriter { w })
    }
}

impl<W: Write + Send> BatchWrite for IpcWriter<W> {
    fn write(&mut self, batch: RecordBatch) -> io::Result<()> {
        self.w.write(&batch).map_err(arrow_io)?;
        self.w.flush().map_err(arrow_io)
    }

    fn close(&mut self) -> io::Result<()> {
        self.w.finish().map_err(arrow_io)?;
        self.w.get_mut().flush()
    }
}

/// Rows per Parquet row group: the writer holds one row group's columns at a time.
pub const PARQUET_ROW_GROUP_ROWS: usize = 1 << 20;

/// A row group is also written once its batches hold this many bytes (large records).
const PARQUET_ROW_GROUP_BYTES: usize = 256 << 20;

/// A Parquet file, Snappy-compressed. Batches are collected until a row group is full; its
/// columns are then encoded on `threads` threads at once and written in order, so memory is
/// bounded by one row group.
pub struct ParquetWriter<W: Write + Send = File> {
    file: Option<parquet::file::writer::SerializedFileWriter<W>>,
    factory: parquet::arrow::arrow_writer::ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    pending: Vec<RecordBatch>,
    rows: usize,
    bytes: usize,
    groups: usize,
    threads: usize,
}

impl<W: Write + Send> ParquetWriter<W> {
    /// A writer of a Parquet file into `file` (which needs no seeking: the footer comes
    /// last) whose columns are encoded on `threads` threads.
    pub fn new(file: W, schema: &SchemaRef, threads: usize) -> io::Result<Self> {
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_max_row_group_row_count(Some(PARQUET_ROW_GROUP_ROWS))
            .build();
        // the Arrow writer sets up the file with the Arrow schema in its metadata (so that
        // readers get back unsigned and dictionary types); its columns are encoded here
        let (file, factory) =
            parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props))
                .and_then(|w| w.into_serialized_writer())
                .map_err(parquet_io)?;
        Ok(ParquetWriter {
            file: Some(file),
            factory,
            schema: schema.clone(),
            pending: Vec::new(),
            rows: 0,
            bytes: 0,
            groups: 0,
            threads: threads.max(1),
        })
    }

    /// Encodes the collected batches as one row group, its columns in parallel.
    fn write_group(&mut self) -> io::Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Err(io::Error::other("the Parquet file is already closed"));
        };
        if self.pending.is_empty() {
            return Ok(());
        }
        let batches = std::mem::take(&mut self.pending);
        self.rows = 0;
        self.bytes = 0;
        let writers = self
            .factory
            .create_column_writers(self.groups)
            .map_err(parquet_io)?;
        self.groups += 1;
        // the leaf columns of every batch, in the order of the column writers
        let mut leaves: Vec<Vec<parquet::arrow::arrow_writer::ArrowLeafColumn>> =
            (0..writers.len()).map(|_| Vec::new()).collect();
        for b in &batches {
            let mut i = 0;
            for (field, col) in self.schema.fields().iter().zip(b.columns()) {
                for leaf in
                    parquet::arrow::arrow_writer::compute_leaves(field, col).map_err(parquet_io)?
                {
                    if let Some(l) = leaves.get_mut(i) {
                        l.push(leaf);
                    }
                    i += 1;
                }
            }
        }
        drop(batches);
        let jobs: Vec<_> = writers.into_iter().zip(leaves).collect();
        let chunks = encode_columns(jobs, self.threads)?;
        let mut group = file.next_row_group().map_err(parquet_io)?;
        for c in chunks {
            c.append_to_row_group(&mut group).map_err(parquet_io)?;
        }
        group.close().map_err(parquet_io)?;
        Ok(())
    }
}

type ColumnJob = (
    parquet::arrow::arrow_writer::ArrowColumnWriter,
    Vec<parquet::arrow::arrow_writer::ArrowLeafColumn>,
);

/// Encodes each column's leaves with its writer, `threads` columns at a time; the chunks
/// come back in column order.
fn encode_columns(
    jobs: Vec<ColumnJob>,
    threads: usize,
) -> io::Result<Vec<parquet::arrow::arrow_writer::ArrowColumnChunk>> {
    let encode = |(mut w, leaves): ColumnJob| {
        for l in &leaves {
            w.write(l)?;
        }
        w.close()
    };
    let n = jobs.len();
    if threads <= 1 || n <= 1 {
        return jobs
            .into_iter()
            .map(encode)
            .collect::<Result<Vec<_>, _>>()
            .map_err(parquet_io);
    }
    // columns taken in turn from a shared queue: the widest ones do not hold up the rest
    let queue = std::sync::Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let mut done: Vec<Option<parquet::errors::Result<_>>> = (0..n).map(|_| None).collect();
    let results = std::sync::Mutex::new(&mut done);
    std::thread::scope(|s| {
        for _ in 0..threads.min(n) {
            s.spawn(|| {
                loop {
                    let job = match queue.lock() {
                        Ok(mut q) => q.pop(),
                        Err(_) => None,
                    };
                    let Some((i, job)) = job else { return };
                    let r = encode(job);
                    if let Ok(mut res) = results.lock() {
                        res[i] = Some(r);
                    }
                }
            });
        }
    });
    done.into_iter()
        .map(|r| match r {
            Some(r) => r.map_err(parquet_io),
            None => Err(io::Error::other("a Parquet column was not encoded")),
        })
        .collect()
}

impl<W: Write + Send> BatchWrite for ParquetWriter<W> {
    fn write(&mut self, batch: RecordBatch) -> io::Result<()> {
        self.rows += batch.num_rows();
        self.bytes += batch.get_array_memory_size();
        self.pending.push(batch);
        if self.rows >= PARQUET_ROW_GROUP_ROWS || self.bytes >= PARQUET_ROW_GROUP_BYTES {
            self.write_group()?;
        }
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        if self.file.is_none() {
            return Ok(());
        }
        self.write_group()?;
        match self.file.take() {
            Some(f) => f.close().map(drop).map_err(parquet_io),
            None => Ok(()),
        }
    }
}

fn arrow_io(e: arrow_schema::ArrowError) -> io::Error {
    match e {
        arrow_schema::ArrowError::IoError(_, e) => e,
        e => io::Error::other(e),
    }
}

fn parquet_io(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e)
}

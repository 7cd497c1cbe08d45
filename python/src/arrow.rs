//! Records as Arrow: the library's columnar builder (`unstruct::columnar`) makes the record
//! batches, and they reach pyarrow through the Arrow C data interface (the PyCapsule
//! protocol: `__arrow_c_array__`, `__arrow_c_schema__`), without passing values through
//! Python objects. Decoding runs without the GIL.

use std::sync::{Arc, Mutex};

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema, to_ffi};
use arrow_array::{Array, RecordBatch, StructArray};
use arrow_schema::SchemaRef;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyList};

use unstruct::columnar::{self, RecordBatches, ShapeError};
use unstruct::decode::{Input, Options};
use unstruct::error::{DataError, DataErrorKind};
use unstruct::plan::{Plan, StructId};

use crate::errors::{Error, data_error};
use crate::source::Data;

/// Inputs smaller than this are decoded by one thread.
const PARALLEL_MIN_BYTES: usize = 4 << 20;

pub fn shape_error(e: &ShapeError) -> PyErr {
    Error::new_err(format!("records cannot be columns: {e}"))
}

fn arrow_error(e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(format!("arrow: {e}"))
}

/// An Arrow schema handed over through `__arrow_c_schema__`.
#[pyclass(frozen)]
pub struct ArrowSchema {
    schema: SchemaRef,
}

#[pymethods]
impl ArrowSchema {
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = FFI_ArrowSchema::try_from(self.schema.as_ref()).map_err(arrow_error)?;
        PyCapsule::new_with_value(py, ffi, c"arrow_schema")
    }
}

/// A record batch (as a struct array) handed over once through `__arrow_c_array__`.
#[pyclass(frozen)]
pub struct ArrowArray {
    inner: Mutex<Option<(FFI_ArrowSchema, FFI_ArrowArray)>>,
}

#[pymethods]
impl ArrowArray {
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema;
        let taken = self.inner.lock().ok().and_then(|mut g| g.take());
        let Some((schema, array)) = taken else {
            return Err(PyValueError::new_err("the batch was already handed over"));
        };
        Ok((
            PyCapsule::new_with_value(py, schema, c"arrow_schema")?,
            PyCapsule::new_with_value(py, array, c"arrow_array")?,
        ))
    }
}

/// `pyarrow.schema` of `schema`.
pub fn py_schema<'py>(py: Python<'py>, schema: SchemaRef) -> PyResult<Bound<'py, PyAny>> {
    let obj = Bound::new(py, ArrowSchema { schema })?;
    py.import("pyarrow")?.getattr("schema")?.call1((obj,))
}

/// A `pyarrow.RecordBatch` holding the buffers of `batch` (no copy).
pub fn py_batch<'py>(py: Python<'py>, batch: RecordBatch) -> PyResult<Bound<'py, PyAny>> {
    let data = StructArray::from(batch).into_data();
    let (array, schema) = to_ffi(&data).map_err(arrow_error)?;
    let obj = Bound::new(
        py,
        ArrowArray {
            inner: Mutex::new(Some((schema, array))),
        },
    )?;
    py.import("pyarrow")?.getattr("record_batch")?.call1((obj,))
}

/// What the batch iterator owns and its decoder borrows.
pub struct Owner {
    pub plan: Arc<Plan>,
    pub data: Arc<Data>,
}

type Batches<'a> = RecordBatches<'a>;

self_cell::self_cell!(
    struct BatchCell {
        owner: Owner,
        #[covariant]
        dependent: Batches,
    }
);

/// Where a run of record batches reads: a byte range of the input, seen whole by the
/// decoder (`whole` true, a shard: offsets and `@index` of the whole input) or as if the
/// range were all there is (`whole` false, the `offset`/`length` arguments).
#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub first_index: u64,
    pub whole: bool,
}

/// The input the decoder sees for `span`, and the range of it whose records are decoded.
fn view(data: &[u8], span: Span) -> (&[u8], std::ops::Range<usize>) {
    if span.whole {
        (data, span.start..span.end)
    } else {
        let part = &data[span.start..span.end];
        (part, 0..part.len())
    }
}

fn batches_of<'a>(
    owner: &'a Owner,
    sid: StructId,
    span: Span,
    opts: Options,
    batch_rows: usize,
) -> Result<Batches<'a>, ShapeError> {
    let (input, range) = view(owner.data.bytes(), span);
    columnar::record_batches_in(
        &owner.plan,
        sid,
        Input::whole(input),
        range,
        span.first_index,
        opts,
        batch_rows,
    )
}

/// An iterator of `pyarrow.RecordBatch`: each `next` decodes one batch without the GIL.
#[pyclass(module = "unstruct")]
pub struct RecordBatchIterator {
    cell: Mutex<BatchCell>,
    schema: SchemaRef,
}

impl RecordBatchIterator {
    pub fn new(
        owner: Owner,
        sid: StructId,
        span: Span,
        opts: Options,
        batch_rows: usize,
    ) -> PyResult<Self> {
        let cell = BatchCell::try_new(owner, |o| batches_of(o, sid, span, opts, batch_rows))
            .map_err(|e| shape_error(&e))?;
        let schema = cell.borrow_dependent().schema();
        Ok(RecordBatchIterator {
            cell: Mutex::new(cell),
            schema,
        })
    }
}

#[pymethods]
impl RecordBatchIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let next = py.detach(|| {
            let mut cell = self.cell.lock().map_err(|_| "a decode panicked")?;
            Ok::<_, &str>(cell.with_dependent_mut(|_, it| it.next()))
        });
        match next.map_err(PyRuntimeError::new_err)? {
            None => Ok(None),
            Some(Ok(batch)) => py_batch(py, batch).map(Some),
            Some(Err(e)) => Err(data_error(py, &e)),
        }
    }

    /// The `pyarrow.Schema` of the batches.
    #[getter]
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_schema(py, self.schema.clone())
    }
}

/// Decodes every record of `span` into batches, on `threads` threads for large inputs (each
/// takes a record-aligned part found by [`unstruct::shards`]; the parts are joined in order,
/// so the result is the one of a single run). Runs without the GIL.
pub fn decode_all(
    py: Python<'_>,
    owner: &Owner,
    sid: StructId,
    span: Span,
    opts: Options,
    batch_rows: usize,
    threads: usize,
) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    let schema = columnar::arrow_schema(&owner.plan, sid).map_err(|e| shape_error(&e))?;
    let result = py.detach(|| -> Result<Vec<RecordBatch>, DataError> {
        let (input, range) = view(owner.data.bytes(), span);
        let parts: Vec<(std::ops::Range<usize>, u64)> = if threads > 1
            && range.len() >= PARALLEL_MIN_BYTES
        {
            let found =
                unstruct::shards::shards(&owner.plan, sid, &input[range.clone()], threads, opts);
            found
                .shards
                .iter()
                .map(|s| {
                    let start = range.start + s.offset as usize;
                    (
                        start..start + s.length as usize,
                        span.first_index + s.first_index,
                    )
                })
                .collect()
        } else {
            vec![(range, span.first_index)]
        };
        let decode = |(r, first): (std::ops::Range<usize>, u64)| {
            columnar::record_batches_in(
                &owner.plan,
                sid,
                Input::whole(input),
                r,
                first,
                opts,
                batch_rows,
            )
            .map_err(|e| DataError::new(0, DataErrorKind::Type(e.to_string())))?
            .collect::<Result<Vec<RecordBatch>, DataError>>()
        };
        if parts.len() <= 1 {
            return parts
                .into_iter()
                .map(decode)
                .try_fold(Vec::new(), |mut v, r| {
                    v.extend(r?);
                    Ok(v)
                });
        }
        let results: Vec<Result<Vec<RecordBatch>, DataError>> = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|p| s.spawn(move || decode(p)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(DataError::new(
                            0,
                            DataErrorKind::Type("a decode panicked".into()),
                        ))
                    })
                })
                .collect()
        });
        let mut out = Vec::new();
        for r in results {
            out.extend(r?);
        }
        Ok(out)
    });
    match result {
        Ok(batches) => Ok((schema, batches)),
        Err(e) => Err(data_error(py, &e)),
    }
}

/// A `pyarrow.Table` of `batches`.
pub fn py_table<'py>(
    py: Python<'py>,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> PyResult<Bound<'py, PyAny>> {
    let pa = py.import("pyarrow")?;
    let list = PyList::empty(py);
    for b in batches {
        list.append(py_batch(py, b)?)?;
    }
    let schema = py_schema(py, schema)?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("schema", &schema)?;
    if list.is_empty() {
        return schema.call_method0("empty_table");
    }
    pa.getattr("Table")?
        .call_method("from_batches", (list,), Some(&kwargs))
}

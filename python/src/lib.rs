//! The Python package's native module `unstruct._unstruct`: [`Descriptor`] compiles a
//! descriptor once and decodes files or buffers into Python objects, Arrow record batches or
//! record-aligned shards. The decoding is the library's (`unstruct` crate); this crate only
//! converts arguments, values and errors.

mod arrow;
mod errors;
mod sink;
mod source;

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use unstruct::decode::{Decoder, Input, Options, Scratch};
use unstruct::lang::{self, DefaultResolver, Source};
use unstruct::plan::{Plan, StructId};
use unstruct::records::{self, OnError, RecordsConfig};
use unstruct::structfmt::{self, lower::StringMode};

use errors::{data_error, descriptor_error, run_error, struct_error};
use sink::PySink;

/// How a descriptor was made, kept so that it can be pickled (sent to Dask workers) and
/// compiled again on the other side.
#[derive(Clone, Debug)]
enum Recipe {
    Text {
        text: String,
        name: String,
        dir: Option<PathBuf>,
        root: Option<String>,
    },
    /// A Kaitai Struct `.ksy` spec; imports are found beside it and in `dirs`.
    Ksy {
        text: String,
        name: String,
        dir: Option<PathBuf>,
        root: Option<String>,
        dirs: Vec<PathBuf>,
    },
    Format {
        name: String,
        root: Option<String>,
    },
    Struct {
        fmt: String,
        names: Option<Vec<String>>,
        raw_bytes: bool,
    },
}

impl Recipe {
    fn compile(&self, py: Python<'_>) -> PyResult<Plan> {
        match self {
            Recipe::Text {
                text,
                name,
                dir,
                root,
            } => {
                let src = Source {
                    name: name.clone(),
                    text: text.clone(),
                    dir: dir.clone(),
                };
                lang::compile(src, root.as_deref(), &DefaultResolver)
                    .map_err(|e| descriptor_error(py, &e))
            }
            Recipe::Ksy {
                text,
                name,
                dir,
                root,
                dirs,
            } => {
                let src = Source {
                    name: name.clone(),
                    text: text.clone(),
                    dir: dir.clone(),
                };
                unstruct::ksy::compile(src, root.as_deref(), dirs)
                    .map_err(|e| descriptor_error(py, &e))
            }
            Recipe::Format { name, root } => {
                let Some(f) = unstruct::formats::get(name) else {
                    let names = unstruct::formats::ALL.iter().map(|f| f.name);
                    let hint = unstruct::error::closest(name, names)
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default();
                    return Err(PyValueError::new_err(format!(
                        "no bundled format named `{name}`{hint} (unstruct.formats() lists them)"
                    )));
                };
                let src = Source {
                    name: format!("<bundled:{}>", f.name),
                    text: f.text.to_string(),
                    dir: None,
                };
                lang::compile(src, root.as_deref(), &DefaultResolver)
                    .map_err(|e| descriptor_error(py, &e))
            }
            Recipe::Struct {
                fmt,
                names,
                raw_bytes,
            } => {
                let f = structfmt::parse(fmt)
                    .map_err(|e| struct_error(py, fmt, e.pos(), e.to_string()))?;
                if f.size == 0 {
                    return Err(struct_error(
                        py,
                        fmt,
                        0,
                        "a struct of length 0 has no records".into(),
                    ));
                }
                let mode = if *raw_bytes {
                    StringMode::Raw
                } else {
                    StringMode::Text
                };
                structfmt::lower::to_plan(&f, names.as_deref(), mode)
                    .map_err(|e| PyValueError::new_err(format!("names: {e}")))
            }
        }
    }
}

/// A compiled descriptor: a `.struct` descriptor (text, file or bundled format) or a Python
/// struct format string. Compile once, decode many inputs.
///
/// Inputs (`source`) are a path (`str` or `os.PathLike`; the file is memory-mapped) or
/// bytes-like data. `offset`/`length` select a byte range, decoded as if the bytes around it
/// did not exist (so `@offset` counts from `offset`), as the command line's `--offset` and
/// `--length`.
#[pyclass(module = "unstruct", frozen)]
struct Descriptor {
    plan: Arc<Plan>,
    recipe: Recipe,
}

fn opts(lossy: bool) -> Options {
    Options {
        lossy,
        ..Options::default()
    }
}

impl Descriptor {
    fn build(py: Python<'_>, recipe: Recipe) -> PyResult<Descriptor> {
        let plan = recipe.compile(py)?;
        Ok(Descriptor {
            plan: Arc::new(plan),
            recipe,
        })
    }

    /// The struct named `name` (default: the root), checked to be usable as a top level.
    fn struct_id(&self, name: Option<&str>, what: &str) -> PyResult<StructId> {
        let Some(name) = name else {
            return Ok(self.plan.root);
        };
        match self.plan.struct_by_name(name) {
            Some(id) if self.plan.structs[id as usize].params == 0 => Ok(id),
            Some(_) => Err(PyValueError::new_err(format!(
                "{what} `{name}`: the struct takes parameters, so it cannot be decoded on its own"
            ))),
            None => {
                let names = self.plan.structs.iter().map(|s| s.name.as_str());
                let hint = unstruct::error::closest(name, names)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                Err(PyValueError::new_err(format!(
                    "{what} `{name}`: no struct of that name{hint}"
                )))
            }
        }
    }
}

impl Descriptor {
    #[allow(clippy::too_many_arguments)]
    fn table<'py>(
        &self,
        py: Python<'py>,
        data: Arc<source::Data>,
        sid: StructId,
        span: arrow::Span,
        batch_size: usize,
        threads: Option<usize>,
        lossy: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let threads = match threads {
            Some(0) => return Err(PyValueError::new_err("threads must be at least 1")),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let owner = arrow::Owner {
            plan: Arc::clone(&self.plan),
            data,
        };
        let (schema, batches) = arrow::decode_all(
            py,
            &owner,
            sid,
            span,
            opts(lossy),
            batch_size.max(1),
            threads,
        )?;
        arrow::py_table(py, schema, batches)
    }
}

#[pymethods]
impl Descriptor {
    /// Compiles descriptor text. `root` chooses the root struct (default: the first struct,
    /// or the descriptor's `root` directive); `name` is the file name shown in errors.
    #[new]
    #[pyo3(signature = (text, *, root=None, name="<text>"))]
    fn new(py: Python<'_>, text: String, root: Option<String>, name: &str) -> PyResult<Self> {
        Self::build(
            py,
            Recipe::Text {
                text,
                name: name.to_string(),
                dir: None,
                root,
            },
        )
    }

    /// Compiles a `.struct` file, or a Kaitai Struct `.ksy` spec (by its extension). Imports
    /// are found beside the file; those of a `.ksy` spec also in the directories of
    /// `import_path` and of the `UNSTRUCT_KSY_PATH` environment variable.
    #[staticmethod]
    #[pyo3(signature = (path, *, root=None, import_path=None))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        root: Option<String>,
        import_path: Option<Vec<PathBuf>>,
    ) -> PyResult<Self> {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!(
                "cannot read descriptor `{}`: {e}",
                path.display()
            ))
        })?;
        let name = path.display().to_string();
        let dir = path.parent().map(|p| p.to_path_buf());
        if unstruct::ksy::is_ksy(&name) {
            let dirs = unstruct::ksy::import_dirs(&import_path.unwrap_or_default());
            return Self::build(
                py,
                Recipe::Ksy {
                    text,
                    name,
                    dir,
                    root,
                    dirs,
                },
            );
        }
        Self::build(
            py,
            Recipe::Text {
                text,
                name,
                dir,
                root,
            },
        )
    }

    /// Compiles a Kaitai Struct spec given as text (YAML); imports are found in the
    /// directories of `import_path` and of the `UNSTRUCT_KSY_PATH` environment variable.
    #[staticmethod]
    #[pyo3(signature = (text, *, root=None, name="<ksy>", import_path=None))]
    fn ksy(
        py: Python<'_>,
        text: String,
        root: Option<String>,
        name: &str,
        import_path: Option<Vec<PathBuf>>,
    ) -> PyResult<Self> {
        let dirs = unstruct::ksy::import_dirs(&import_path.unwrap_or_default());
        Self::build(
            py,
            Recipe::Ksy {
                text,
                name: name.to_string(),
                dir: None,
                root,
                dirs,
            },
        )
    }

    /// A bundled format by name (`unstruct.formats()` lists them): `'wav'`, `'png'`, ...
    #[staticmethod]
    #[pyo3(signature = (name, *, root=None))]
    fn format(py: Python<'_>, name: &str, root: Option<String>) -> PyResult<Self> {
        let name = name.strip_suffix(".struct").unwrap_or(name).to_string();
        Self::build(py, Recipe::Format { name, root })
    }

    /// A Python struct format string such as `'<IhHd12sI'`, decoded as records like
    /// `struct.iter_unpack`. With `names`, records are dicts with those keys (`'_'` drops a
    /// value); without, lists. `s`, `p` and `c` values are text cut at the first NUL, or the
    /// exact bytes with `raw_bytes=True`.
    #[staticmethod]
    #[pyo3(signature = (fmt, names=None, *, raw_bytes=false))]
    fn struct_format(
        py: Python<'_>,
        fmt: String,
        names: Option<Vec<String>>,
        raw_bytes: bool,
    ) -> PyResult<Self> {
        Self::build(
            py,
            Recipe::Struct {
                fmt,
                names,
                raw_bytes,
            },
        )
    }

    /// The names of the descriptor's structs, in declaration order.
    #[getter]
    fn structs(&self) -> Vec<String> {
        self.plan.structs.iter().map(|s| s.name.clone()).collect()
    }

    /// The name of the root struct.
    #[getter]
    fn root(&self) -> String {
        self.plan.structs[self.plan.root as usize].name.clone()
    }

    /// The size in bytes of every record of `record` (default: the root), or None when the
    /// size depends on the data.
    #[pyo3(signature = (record=None))]
    fn record_size(&self, record: Option<&str>) -> PyResult<Option<u64>> {
        let sid = self.struct_id(record, "record")?;
        Ok(records::record_size(&self.plan, sid))
    }

    /// Decodes one document (the root struct, or `root`) from `source` into Python values:
    /// dict, list, int, float, str, bytes, bool, None. Raises `DataError` with the offset and
    /// field path where decoding stopped.
    #[pyo3(signature = (source, *, root=None, offset=0, length=None, lossy=false))]
    fn decode<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        root: Option<&str>,
        offset: u64,
        length: Option<u64>,
        lossy: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let sid = self.struct_id(root, "root")?;
        let data = source::open(source)?;
        let all = data.bytes();
        let input = Input::whole(&all[source::range(all.len(), offset, length)?]);
        let mut sink = PySink::new(py);
        let mut st = Scratch::default();
        let result = {
            let mut d = Decoder::new(&self.plan, input, opts(lossy), &mut sink, &mut st);
            d.decode_root(sid, 0)
        };
        if let Some(e) = sink.error.take() {
            return Err(e);
        }
        match result {
            Ok(_) => sink
                .values
                .pop()
                .ok_or_else(|| PyValueError::new_err("the root produced no value")),
            Err(e) => Err(data_error(py, &e)),
        }
    }

    /// Decodes records of `record` (default: the root) one after another until the input
    /// ends, as a list of Python values. A bad record raises `DataError`, whose `records`
    /// attribute holds the records decoded before it; with `on_error='skip'` bad byte
    /// ranges are skipped instead (as the command line's `--on-error skip`).
    #[pyo3(signature = (source, *, record=None, offset=0, length=None, skip=0, count=None, on_error="stop", lossy=false))]
    #[allow(clippy::too_many_arguments)]
    fn records<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        record: Option<&str>,
        offset: u64,
        length: Option<u64>,
        skip: u64,
        count: Option<u64>,
        on_error: &str,
        lossy: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let sid = self.struct_id(record, "record")?;
        let on_error = match on_error {
            "stop" => OnError::Stop,
            "skip" => OnError::Skip,
            other => {
                return Err(PyValueError::new_err(format!(
                    "on_error must be 'stop' or 'skip', not {other:?}"
                )));
            }
        };
        let data = source::open(source)?;
        let all = data.bytes();
        let input = Input::whole(&all[source::range(all.len(), offset, length)?]);
        let cfg = RecordsConfig {
            skip,
            count,
            on_error,
            allow_remainder: false,
        };
        let mut sink = PySink::new(py);
        let result = records::run_slice(
            &self.plan,
            sid,
            input,
            opts(lossy),
            &cfg,
            &mut sink,
            &mut |_, _, _| {},
        );
        if let Some(e) = sink.error.take() {
            return Err(e);
        }
        let list = PyList::new(py, std::mem::take(&mut sink.values))?;
        match result {
            Ok(_) => Ok(list),
            Err(e) => {
                let err = run_error(py, &e);
                err.value(py).setattr("records", list)?;
                Err(err)
            }
        }
    }

    /// Record-aligned byte ranges of `source` for decoding in parallel: a list of at most
    /// `n` `(offset, length)` pairs, each starting at a record of `record` and holding whole
    /// records, together covering the input (or `offset`/`length` of it; the pairs are
    /// offsets in the whole input). Fixed-size records are split by arithmetic;
    /// variable-size records by one pass that finds record starts without decoding values.
    /// Past a record that does not decode, the rest of the input is the last shard.
    #[pyo3(signature = (source, *, record=None, n=8, offset=0, length=None, lossy=false))]
    #[allow(clippy::too_many_arguments)]
    fn shards(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        record: Option<&str>,
        n: usize,
        offset: u64,
        length: Option<u64>,
        lossy: bool,
    ) -> PyResult<Vec<(u64, u64)>> {
        if n == 0 {
            return Err(PyValueError::new_err("n must be at least 1"));
        }
        let sid = self.struct_id(record, "record")?;
        let data = source::open(source)?;
        let plan = Arc::clone(&self.plan);
        let found = py.detach(move || -> PyResult<_> {
            let all = data.bytes();
            let r = source::range(all.len(), offset, length)?;
            Ok(unstruct::shards::shards(
                &plan,
                sid,
                &all[r],
                n,
                opts(lossy),
            ))
        })?;
        Ok(found
            .shards
            .iter()
            .map(|s| (s.offset + offset, s.length))
            .collect())
    }

    /// The `pyarrow.Schema` of records of `record` (default: the root), from the
    /// descriptor alone: exact integer widths, `f32`/`f64`, text as `string`, bytes as
    /// `binary`, enums as dictionary-encoded strings, nested structs as struct columns,
    /// arrays as list columns.
    #[pyo3(signature = (record=None))]
    fn schema<'py>(&self, py: Python<'py>, record: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        let sid = self.struct_id(record, "record")?;
        let schema = unstruct::columnar::arrow_schema(&self.plan, sid)
            .map_err(|e| arrow::shape_error(&e))?;
        arrow::py_schema(py, schema)
    }

    /// The records of `record` (default: the root) in `source`, as an iterator of
    /// `pyarrow.RecordBatch` of `batch_size` rows (the last one shorter). Each batch is
    /// decoded when it is asked for, without the GIL; a bad record raises `DataError` after
    /// the batch of the records before it.
    #[pyo3(signature = (source, *, record=None, batch_size=65536, offset=0, length=None, lossy=false))]
    #[allow(clippy::too_many_arguments)]
    fn record_batches(
        &self,
        source: &Bound<'_, PyAny>,
        record: Option<&str>,
        batch_size: usize,
        offset: u64,
        length: Option<u64>,
        lossy: bool,
    ) -> PyResult<arrow::RecordBatchIterator> {
        let sid = self.struct_id(record, "record")?;
        let data = source::open(source)?;
        let r = source::range(data.bytes().len(), offset, length)?;
        let span = arrow::Span {
            start: r.start,
            end: r.end,
            first_index: 0,
            whole: false,
        };
        let owner = arrow::Owner {
            plan: Arc::clone(&self.plan),
            data,
        };
        arrow::RecordBatchIterator::new(owner, sid, span, opts(lossy), batch_size.max(1))
    }

    /// All records of `record` (default: the root) in `source` as a `pyarrow.Table`.
    /// Large inputs are decoded on `threads` threads (default: every core), each taking a
    /// record-aligned part; the table is the same whatever the number of threads.
    #[pyo3(signature = (source, *, record=None, batch_size=65536, offset=0, length=None, threads=None, lossy=false))]
    #[allow(clippy::too_many_arguments)]
    fn to_arrow<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        record: Option<&str>,
        batch_size: usize,
        offset: u64,
        length: Option<u64>,
        threads: Option<usize>,
        lossy: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let sid = self.struct_id(record, "record")?;
        let data = source::open(source)?;
        let r = source::range(data.bytes().len(), offset, length)?;
        let span = arrow::Span {
            start: r.start,
            end: r.end,
            first_index: 0,
            whole: false,
        };
        self.table(py, data, sid, span, batch_size, threads, lossy)
    }

    /// Record-aligned shards as `(offset, length, first_index)`: `first_index` is the number
    /// of the shard's first record (for `_read_shard`).
    #[pyo3(signature = (source, *, record=None, n=8))]
    fn _shards(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        record: Option<&str>,
        n: usize,
    ) -> PyResult<Vec<(u64, u64, u64)>> {
        let sid = self.struct_id(record, "record")?;
        let data = source::open(source)?;
        let plan = Arc::clone(&self.plan);
        let found = py.detach(move || {
            unstruct::shards::shards(&plan, sid, data.bytes(), n.max(1), Options::default())
        });
        Ok(found
            .shards
            .iter()
            .map(|s| (s.offset, s.length, s.first_index))
            .collect())
    }

    /// The records of one shard of `source` as a `pyarrow.Table`, decoded as part of the
    /// whole input (offsets and `@index` of a run over the whole file), on one thread.
    #[pyo3(signature = (source, offset, length, first_index, *, record=None, batch_size=65536))]
    #[allow(clippy::too_many_arguments)]
    fn _read_shard<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        offset: u64,
        length: u64,
        first_index: u64,
        record: Option<&str>,
        batch_size: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let sid = self.struct_id(record, "record")?;
        let data = source::open(source)?;
        let r = source::range(data.bytes().len(), offset, Some(length))?;
        let span = arrow::Span {
            start: r.start,
            end: r.end,
            first_index,
            whole: true,
        };
        self.table(py, data, sid, span, batch_size, Some(1), false)
    }

    fn __repr__(&self) -> String {
        match &self.recipe {
            Recipe::Text { name, .. } => {
                format!("<unstruct.Descriptor {name} root={}>", self.root())
            }
            Recipe::Ksy { name, .. } => {
                format!("<unstruct.Descriptor {name} root={}>", self.root())
            }
            Recipe::Format { name, .. } => format!("<unstruct.Descriptor format {name:?}>"),
            Recipe::Struct { fmt, .. } => format!("<unstruct.Descriptor struct {fmt:?}>"),
        }
    }

    /// Pickles as the recipe (text or format name and options): compiled again on load.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let restore = py.import("unstruct._unstruct")?.getattr("_restore")?;
        let args = match &self.recipe {
            Recipe::Text {
                text,
                name,
                dir,
                root,
            } => (
                "text",
                text,
                name,
                dir.clone(),
                root.clone(),
                false,
                Vec::<PathBuf>::new(),
            )
                .into_pyobject(py)?,
            Recipe::Ksy {
                text,
                name,
                dir,
                root,
                dirs,
            } => (
                "ksy",
                text,
                name,
                dir.clone(),
                root.clone(),
                false,
                dirs.clone(),
            )
                .into_pyobject(py)?,
            Recipe::Format { name, root } => (
                "format",
                name,
                "",
                None::<PathBuf>,
                root.clone(),
                false,
                Vec::<PathBuf>::new(),
            )
                .into_pyobject(py)?,
            Recipe::Struct {
                fmt,
                names,
                raw_bytes,
            } => {
                let names = names.as_ref().map(|n| n.join("\u{0}"));
                (
                    "struct",
                    fmt,
                    "",
                    None::<PathBuf>,
                    names,
                    *raw_bytes,
                    Vec::<PathBuf>::new(),
                )
                    .into_pyobject(py)?
            }
        };
        Ok((restore, args))
    }
}

/// Rebuilds a pickled [`Descriptor`].
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _restore(
    py: Python<'_>,
    kind: &str,
    a: String,
    b: String,
    dir: Option<PathBuf>,
    c: Option<String>,
    raw_bytes: bool,
    dirs: Vec<PathBuf>,
) -> PyResult<Descriptor> {
    let recipe = match kind {
        "ksy" => Recipe::Ksy {
            text: a,
            name: b,
            dir,
            root: c,
            dirs,
        },
        "text" => Recipe::Text {
            text: a,
            name: b,
            dir,
            root: c,
        },
        "format" => Recipe::Format { name: a, root: c },
        "struct" => Recipe::Struct {
            fmt: a,
            names: c.map(|n| n.split('\u{0}').map(str::to_string).collect()),
            raw_bytes,
        },
        _ => return Err(PyValueError::new_err("unknown descriptor kind")),
    };
    Descriptor::build(py, recipe)
}

/// The bundled formats: a list of `(name, description)`.
#[pyfunction]
fn formats() -> Vec<(&'static str, &'static str)> {
    unstruct::formats::ALL
        .iter()
        .map(|f| (f.name, f.description))
        .collect()
}

#[pymodule]
fn _unstruct(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Descriptor>()?;
    m.add_class::<arrow::RecordBatchIterator>()?;
    m.add_function(wrap_pyfunction!(_restore, m)?)?;
    m.add_function(wrap_pyfunction!(formats, m)?)?;
    m.add("Error", py.get_type::<errors::Error>())?;
    m.add("DescriptorError", py.get_type::<errors::DescriptorError>())?;
    m.add("DataError", py.get_type::<errors::DataError>())?;
    Ok(())
}

//! The bytes a decode reads: a memory-mapped file, a `bytes` object held without copying,
//! or a copy of any other buffer.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use unstruct::input::{self, InputBytes};

/// Input bytes that outlive the call that made them (iterators, threads without the GIL).
pub enum Data {
    File(InputBytes),
    /// A `bytes` object: immutable, so its buffer can be read without the GIL while the
    /// reference is held.
    Bytes {
        _obj: Py<PyBytes>,
        ptr: *const u8,
        len: usize,
    },
}

// SAFETY: the pointer is into an immutable `bytes` object that `_obj` keeps alive; reading
// it needs no lock. The other variants are owned data.
unsafe impl Send for Data {}
unsafe impl Sync for Data {}

impl Data {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Data::File(b) => b.bytes(),
            // SAFETY: see the Send impl: `ptr..ptr+len` is the buffer of the held object.
            Data::Bytes { ptr, len, .. } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
        }
    }
}

/// A file path (`str` or `os.PathLike`) is mapped; `bytes` are borrowed; `bytearray`,
/// `memoryview` and other buffers are copied.
pub fn open(src: &Bound<'_, PyAny>) -> PyResult<Arc<Data>> {
    let py = src.py();
    if let Some(path) = as_path(src)? {
        let bytes = py
            .detach(|| input::open_file(&path))
            .map_err(|e| open_error(&path, e))?;
        return Ok(Arc::new(Data::File(bytes)));
    }
    let b: Bound<'_, PyBytes> = if let Ok(b) = src.cast::<PyBytes>() {
        b.clone()
    } else if src.is_instance_of::<pyo3::types::PyInt>() {
        // `bytes(12)` would make twelve zero bytes: surely not what was meant
        return Err(not_data(src));
    } else if let Ok(b) = src.cast::<PyByteArray>() {
        PyBytes::new(py, &b.to_vec())
    } else {
        // memoryview, mmap, array, numpy arrays: whatever `bytes()` accepts
        py.get_type::<PyBytes>()
            .call1((src,))
            .map_err(|_| not_data(src))?
            .cast_into::<PyBytes>()?
    };
    let data = b.as_bytes();
    let (ptr, len) = (data.as_ptr(), data.len());
    Ok(Arc::new(Data::Bytes {
        _obj: b.unbind(),
        ptr,
        len,
    }))
}

fn not_data(src: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!(
        "expected a path or bytes-like data, not {}",
        src.get_type().name().map_or("?".into(), |n| n.to_string())
    ))
}

/// The path of `src` when it is a `str` or an `os.PathLike`.
pub fn as_path(src: &Bound<'_, PyAny>) -> PyResult<Option<PathBuf>> {
    if src.is_instance_of::<PyString>() || src.hasattr("__fspath__")? {
        return Ok(Some(src.extract::<PathBuf>()?));
    }
    Ok(None)
}

fn open_error(path: &std::path::Path, e: std::io::Error) -> PyErr {
    match e.kind() {
        std::io::ErrorKind::NotFound => pyo3::exceptions::PyFileNotFoundError::new_err(format!(
            "cannot open `{}`: {e}",
            path.display()
        )),
        _ => pyo3::exceptions::PyOSError::new_err(format!("cannot open `{}`: {e}", path.display())),
    }
}

/// The byte range `offset .. offset+length` of `len` bytes (length cut at the end).
pub fn range(len: usize, offset: u64, length: Option<u64>) -> PyResult<std::ops::Range<usize>> {
    if offset > len as u64 {
        return Err(PyValueError::new_err(format!(
            "offset {offset} is past the end of the input ({len} bytes)"
        )));
    }
    let start = offset as usize;
    let end = match length {
        Some(n) => start
            .saturating_add(n.min(usize::MAX as u64) as usize)
            .min(len),
        None => len,
    };
    Ok(start..end)
}

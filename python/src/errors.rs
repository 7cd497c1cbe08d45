//! Python exceptions for descriptor and data errors, with their details as attributes.

use pyo3::BoundObject;
use pyo3::create_exception;
use pyo3::prelude::*;

use unstruct::error::{DataError as DataErr, DescriptorError as DescriptorErr};
use unstruct::records::RunError;

create_exception!(
    unstruct,
    Error,
    pyo3::exceptions::PyValueError,
    "Base class of unstruct's errors."
);
create_exception!(
    unstruct,
    DescriptorError,
    Error,
    "A problem in a descriptor or struct format string: attributes `file`, `line`, `column` \
     (1-based), `message` and `help` (a suggestion, or None)."
);
create_exception!(
    unstruct,
    DataError,
    Error,
    "Decoding stopped: attributes `offset` (of the input given), `path` (the field path, \
     e.g. 'wav.chunks[3].body'), `message` (why) and `records` (for records: the ones \
     decoded before the error, when the call returns them)."
);

/// Sets attributes on the exception instance of `err`.
fn with_attrs(py: Python<'_>, err: PyErr, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let v = err.value(py);
    for (k, val) in attrs {
        if let Err(e) = v.setattr(*k, val) {
            return e;
        }
    }
    err
}

pub fn descriptor_error(py: Python<'_>, e: &DescriptorErr) -> PyErr {
    let (line, column) = e.line_col();
    let err = DescriptorError::new_err(e.to_string());
    with_attrs(
        py,
        err,
        &[
            ("file", obj(py, &e.file)),
            ("line", obj(py, line)),
            ("column", obj(py, column)),
            ("message", obj(py, &e.message)),
            ("help", obj(py, e.help.as_deref())),
        ],
    )
}

/// A struct format string's error at `pos` (a byte offset, also its character index).
pub fn struct_error(py: Python<'_>, fmt: &str, pos: usize, message: String) -> PyErr {
    let err = DescriptorError::new_err(format!(
        "bad struct format {fmt:?} at column {}: {message}",
        pos + 1
    ));
    with_attrs(
        py,
        err,
        &[
            ("file", obj(py, "<struct format>")),
            ("line", obj(py, 1)),
            ("column", obj(py, pos + 1)),
            ("message", obj(py, message)),
            ("help", py.None()),
        ],
    )
}

pub fn data_error(py: Python<'_>, e: &DataErr) -> PyErr {
    let err = DataError::new_err(e.to_string());
    with_attrs(
        py,
        err,
        &[
            ("offset", obj(py, e.offset)),
            ("path", obj(py, e.path_string())),
            ("message", obj(py, e.kind.to_string())),
        ],
    )
}

pub fn run_error(py: Python<'_>, e: &RunError) -> PyErr {
    match e {
        RunError::Data(d) => data_error(py, d),
        RunError::Input(io) | RunError::Output(io) => {
            pyo3::exceptions::PyOSError::new_err(io.to_string())
        }
    }
}

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> Py<PyAny> {
    match v.into_pyobject(py) {
        Ok(o) => o.into_any().unbind(),
        Err(_) => py.None(),
    }
}

//! A sink that builds Python objects as the decoder pushes values: objects become `dict`,
//! arrays `list`, integers `int` (exact, whatever their size), floats `float`, text `str`,
//! byte strings `bytes`. The values are those of the JSON output, without its text.

use std::collections::HashMap;

use pyo3::BoundObject;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use unstruct::emit::Sink;
use unstruct::text::{self, Encoding};

enum Frame<'py> {
    Object(Bound<'py, PyDict>, Option<Bound<'py, PyAny>>),
    Array(Vec<Bound<'py, PyAny>>, Option<Bound<'py, PyAny>>),
}

/// Builds Python values; top-level values (a document, or one per record) collect in
/// [`PySink::values`].
pub struct PySink<'py> {
    py: Python<'py>,
    stack: Vec<Frame<'py>>,
    key: Option<Bound<'py, PyAny>>,
    /// Keys as Python strings, by the address of the plan's pre-rendered key (the plan
    /// outlives the sink, so an address names one key).
    keys: HashMap<(usize, usize), Bound<'py, PyAny>>,
    pub values: Vec<Bound<'py, PyAny>>,
    /// The first Python error (out of memory) met while building; reported after the run.
    pub error: Option<PyErr>,
}

impl<'py> PySink<'py> {
    pub fn new(py: Python<'py>) -> Self {
        PySink {
            py,
            stack: Vec::new(),
            key: None,
            keys: HashMap::new(),
            values: Vec::new(),
            error: None,
        }
    }

    fn put(&mut self, v: Bound<'py, PyAny>) {
        match self.stack.last_mut() {
            Some(Frame::Object(d, _)) => {
                let k = self
                    .key
                    .take()
                    .unwrap_or_else(|| PyString::new(self.py, "").into_any());
                if let Err(e) = d.set_item(k, v) {
                    self.error.get_or_insert(e);
                }
            }
            Some(Frame::Array(a, _)) => a.push(v),
            None => self.values.push(v),
        }
    }

    fn put_value<T: IntoPyObject<'py>>(&mut self, v: T) {
        match v.into_pyobject(self.py) {
            Ok(o) => self.put(o.into_any().into_bound()),
            Err(e) => {
                self.error.get_or_insert(e.into());
            }
        }
    }

    fn close(&mut self) {
        let (v, key) = match self.stack.pop() {
            Some(Frame::Object(d, k)) => (d.into_any(), k),
            Some(Frame::Array(a, k)) => match PyList::new(self.py, a) {
                Ok(l) => (l.into_any(), k),
                Err(e) => {
                    self.error.get_or_insert(e);
                    return;
                }
            },
            None => return,
        };
        self.key = key;
        self.put(v);
    }
}

/// A key rendered as JSON (`"name"`, with escapes) as the text it stands for.
fn key_text(json_key: &[u8]) -> String {
    if let [b'"', inner @ .., b'"'] = json_key
        && !inner.contains(&b'\\')
        && let Ok(s) = std::str::from_utf8(inner)
    {
        return s.to_string();
    }
    serde_json::from_slice(json_key)
        .unwrap_or_else(|_| String::from_utf8_lossy(json_key).into_owned())
}

impl<'py> Sink for PySink<'py> {
    type Out = unstruct::emit::NoRecords;

    fn begin_object(&mut self) {
        let k = self.key.take();
        self.stack.push(Frame::Object(PyDict::new(self.py), k));
    }
    fn end_object(&mut self) {
        self.close();
    }
    fn begin_array(&mut self) {
        let k = self.key.take();
        self.stack.push(Frame::Array(Vec::new(), k));
    }
    fn end_array(&mut self) {
        self.close();
    }
    fn key(&mut self, json_key: &[u8]) {
        let id = (json_key.as_ptr() as usize, json_key.len());
        let py = self.py;
        let k = self
            .keys
            .entry(id)
            .or_insert_with(|| PyString::intern(py, &key_text(json_key)).into_any());
        self.key = Some(k.clone());
    }
    fn span(&mut self, _: &[u8], _: u64, _: u64) {}
    fn null(&mut self) {
        self.put(self.py.None().into_bound(self.py));
    }
    fn bool(&mut self, v: bool) {
        self.put_value(v);
    }
    fn u64(&mut self, v: u64) {
        self.put_value(v);
    }
    fn i64(&mut self, v: i64) {
        self.put_value(v);
    }
    fn i128(&mut self, v: i128) {
        self.put_value(v);
    }
    fn f64(&mut self, v: f64) {
        self.put_value(v);
    }
    fn f32(&mut self, v: f32) {
        // the shortest text that reads back as this f32, as the JSON output writes it
        let shortest = if v.is_finite() {
            v.to_string().parse().unwrap_or(f64::from(v))
        } else {
            f64::from(v)
        };
        self.put_value(shortest);
    }
    fn text(&mut self, raw: &[u8], enc: Encoding, _lossy: bool) {
        let s = if enc == Encoding::Utf8
            && let Ok(s) = std::str::from_utf8(raw)
        {
            PyString::new(self.py, s)
        } else {
            let mut s = String::with_capacity(raw.len());
            text::decode_chars(raw, enc, |c| s.push(c));
            PyString::new(self.py, &s)
        };
        self.put(s.into_any());
    }
    fn str(&mut self, s: &str) {
        self.put(PyString::new(self.py, s).into_any());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.put(PyBytes::new(self.py, b).into_any());
    }
    fn end_record(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn mark(&self) -> usize {
        self.values.len()
    }
    fn rewind(&mut self, mark: usize) {
        // a record that failed half-way: drop its unfinished containers and any value
        self.stack.clear();
        self.key = None;
        self.values.truncate(mark);
    }
}

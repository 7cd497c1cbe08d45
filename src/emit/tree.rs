//! A sink that builds a `serde_json::Value` (for tests and library users who want a tree;
//! the CLI streams with the JSON writer instead).

use serde_json::{Map, Number, Value};

use super::Sink;
use crate::text::{self, Encoding};

/// Collects values into `serde_json::Value`s; records mode yields one value per record.
#[derive(Default, Debug)]
pub struct TreeSink {
    stack: Vec<(Value, Option<String>)>,
    key: Option<String>,
    /// Finished top-level values.
    pub values: Vec<Value>,
}

impl TreeSink {
    fn put(&mut self, v: Value) {
        match self.stack.last_mut() {
            Some((Value::Object(m), _)) => {
                let k = self.key.take().unwrap_or_default();
                m.insert(k, v);
            }
            Some((Value::Array(a), _)) => a.push(v),
            _ => self.values.push(v),
        }
    }

    fn open(&mut self, v: Value) {
        let k = self.key.take();
        self.stack.push((v, k));
    }

    fn close(&mut self) {
        if let Some((v, k)) = self.stack.pop() {
            self.key = k;
            self.put(v);
        }
    }
}

fn num_f64(v: f64) -> Value {
    match Number::from_f64(v) {
        Some(n) => Value::Number(n),
        None if v.is_nan() => Value::String("NaN".into()),
        None if v > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

impl Sink for TreeSink {
    type Out = super::NoRecords;

    fn begin_object(&mut self) {
        self.open(Value::Object(Map::new()));
    }
    fn end_object(&mut self) {
        self.close();
    }
    fn begin_array(&mut self) {
        self.open(Value::Array(Vec::new()));
    }
    fn end_array(&mut self) {
        self.close();
    }
    fn key(&mut self, json_key: &[u8]) {
        self.key = serde_json::from_slice(json_key).ok();
    }
    fn span(&mut self, _: &[u8], _: u64, _: u64) {}
    fn null(&mut self) {
        self.put(Value::Null);
    }
    fn bool(&mut self, v: bool) {
        self.put(Value::Bool(v));
    }
    fn u64(&mut self, v: u64) {
        self.put(Value::from(v));
    }
    fn i64(&mut self, v: i64) {
        self.put(Value::from(v));
    }
    fn i128(&mut self, v: i128) {
        let n = i64::try_from(v)
            .map(Value::from)
            .or_else(|_| u64::try_from(v).map(Value::from));
        self.put(n.unwrap_or_else(|_| Value::String(v.to_string())));
    }
    fn f64(&mut self, v: f64) {
        self.put(num_f64(v));
    }
    fn f32(&mut self, v: f32) {
        // through the shortest f32 text, as the JSON writer prints it
        let s = zmij::Buffer::new().format(v).to_string();
        self.put(if v.is_finite() {
            num_f64(s.parse().unwrap_or(v as f64))
        } else {
            num_f64(v as f64)
        });
    }
    fn text(&mut self, raw: &[u8], enc: Encoding, _lossy: bool) {
        let mut s = String::new();
        text::decode_chars(raw, enc, |c| s.push(c));
        self.put(Value::String(s));
    }
    fn str(&mut self, s: &str) {
        self.put(Value::String(s.to_string()));
    }
    fn bytes(&mut self, b: &[u8]) {
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        self.put(Value::String(hex));
    }
    fn end_record(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

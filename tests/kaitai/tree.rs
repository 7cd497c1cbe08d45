//! A value tree for the conformance runner: keeps key order and tells bytes from text (the
//! JSON writer's hex strings would not), built by a [`Sink`].

use unstruct::emit::Sink;
use unstruct::text::{self, Encoding};

#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Arr(Vec<V>),
    Obj(Vec<(String, V)>),
}

#[derive(Default)]
pub struct TreeBuilder {
    stack: Vec<(V, Option<String>)>,
    key: Option<String>,
    pub done: Option<V>,
}

impl TreeBuilder {
    fn put(&mut self, v: V) {
        match self.stack.last_mut() {
            None => self.done = Some(v),
            Some((V::Arr(items), _)) => items.push(v),
            Some((V::Obj(fields), _)) => fields.push((self.key.take().unwrap_or_default(), v)),
            Some(_) => {}
        }
    }
}

impl Sink for TreeBuilder {
    type Out = unstruct::emit::NoRecords;

    fn begin_object(&mut self) {
        let k = self.key.take();
        self.stack.push((V::Obj(Vec::new()), k));
    }
    fn end_object(&mut self) {
        if let Some((v, k)) = self.stack.pop() {
            self.key = k;
            self.put(v);
        }
    }
    fn begin_array(&mut self) {
        let k = self.key.take();
        self.stack.push((V::Arr(Vec::new()), k));
    }
    fn end_array(&mut self) {
        self.end_object();
    }
    fn key(&mut self, json_key: &[u8]) {
        let k: String = serde_json::from_slice(json_key).unwrap_or_default();
        self.key = Some(k);
    }
    fn span(&mut self, _: &[u8], _: u64, _: u64) {}
    fn null(&mut self) {
        self.put(V::Null);
    }
    fn bool(&mut self, v: bool) {
        self.put(V::Bool(v));
    }
    fn u64(&mut self, v: u64) {
        self.put(V::Int(v.into()));
    }
    fn i64(&mut self, v: i64) {
        self.put(V::Int(v.into()));
    }
    fn i128(&mut self, v: i128) {
        self.put(V::Int(v));
    }
    fn f64(&mut self, v: f64) {
        self.put(V::Float(v));
    }
    fn f32(&mut self, v: f32) {
        self.put(V::Float(v.into()));
    }
    fn text(&mut self, raw: &[u8], enc: Encoding, _lossy: bool) {
        let mut s = String::new();
        text::decode_chars(raw, enc, |c| s.push(c));
        self.put(V::Str(s));
    }
    fn str(&mut self, s: &str) {
        self.put(V::Str(s.to_string()));
    }
    fn bytes(&mut self, b: &[u8]) {
        self.put(V::Bytes(b.to_vec()));
    }
    fn end_record(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

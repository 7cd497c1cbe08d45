//! The bundled formats (`formats/*.struct`), embedded at build time.

/// A bundled descriptor.
#[derive(Debug)]
pub struct Format {
    pub name: &'static str,
    /// The first comment line of the file.
    pub description: &'static str,
    pub text: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/formats.rs"));

/// A bundled format by name (`wav`, `png`).
pub fn get(name: &str) -> Option<&'static Format> {
    ALL.iter().find(|f| f.name == name)
}

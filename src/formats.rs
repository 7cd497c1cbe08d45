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

/// The bundled format that a descriptor argument or an import names by its bare name
/// (`png`; not `./png`, `png.struct` or `dir/png`). A bare name always means the bundled
/// format, even when a file of that name exists in the current (or importing) directory:
/// `./png` names the file.
pub fn by_bare_name(spec: &str) -> Option<&'static Format> {
    if spec.contains(['/', '\\', '.']) {
        return None;
    }
    get(spec)
}

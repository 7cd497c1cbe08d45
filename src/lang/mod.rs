//! The descriptor language: grammar (nom) → AST → checked [`Plan`](crate::plan::Plan).

pub mod ast;
pub mod check;
mod endian;
pub mod grammar;
pub mod print;

use crate::error::{DescriptorError, closest};
use crate::plan::Plan;

/// One descriptor source file.
#[derive(Clone, Debug)]
pub struct Source {
    /// The name shown in errors (the path as given, or `wav` for a bundled format).
    pub name: String,
    pub text: String,
    /// Directory that relative imports are resolved against (None for bundled formats).
    pub dir: Option<std::path::PathBuf>,
}

/// Finds imported files. The default resolver reads relative paths from disk and falls back
/// to bundled formats by name (`import "riff"`, `import "riff.struct"`).
pub trait Resolver {
    fn resolve(&self, from: &Source, path: &str) -> Result<Source, String>;
}

/// Resolves imports against the file system and the bundled formats.
pub struct DefaultResolver;

impl Resolver for DefaultResolver {
    fn resolve(&self, from: &Source, path: &str) -> Result<Source, String> {
        if let Some(f) = crate::formats::by_bare_name(path) {
            return Ok(Source {
                name: format!("<bundled:{}>", f.name),
                text: f.text.to_string(),
                dir: None,
            });
        }
        if let Some(dir) = &from.dir {
            let p = dir.join(path);
            if p.exists() {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
                return Ok(Source {
                    name: p.display().to_string(),
                    text,
                    dir: p.parent().map(|d| d.to_path_buf()),
                });
            }
        }
        let name = path.strip_suffix(".struct").unwrap_or(path);
        match crate::formats::get(name) {
            Some(f) => Ok(Source {
                name: format!("<bundled:{name}>"),
                text: f.text.to_string(),
                dir: None,
            }),
            None => Err(
                match closest(name, crate::formats::ALL.iter().map(|f| f.name)) {
                    Some(c) => format!(
                        "cannot find `{path}` (no such file, and no bundled format; did you mean `{c}`?)"
                    ),
                    None => format!(
                        "cannot find `{path}` (no such file, and no bundled format of that name)"
                    ),
                },
            ),
        }
    }
}

/// Compiles a descriptor (and its imports) into a plan. `root` overrides the root struct.
pub fn compile(
    main: Source,
    root: Option<&str>,
    resolver: &dyn Resolver,
) -> Result<Plan, DescriptorError> {
    let mut sources = vec![main];
    let mut files = Vec::new();
    let mut i = 0;
    while i < sources.len() {
        let items = grammar::parse_file(&sources[i].text).map_err(|e| {
            let src = &sources[i];
            let start = src.text.len().saturating_sub(e.rem);
            DescriptorError {
                file: src.name.clone(),
                source: src.text.clone(),
                start,
                end: start + 1,
                message: e.message,
                help: None,
            }
        })?;
        for item in &items {
            if let ast::Item::Import(path, span) = item {
                let src = resolver.resolve(&sources[i], path).map_err(|msg| {
                    let s = &sources[i];
                    DescriptorError {
                        file: s.name.clone(),
                        source: s.text.clone(),
                        start: span.start(s.text.len()),
                        end: span.start(s.text.len()) + span.len as usize,
                        message: msg,
                        help: None,
                    }
                })?;
                if !sources.iter().any(|s| s.name == src.name) {
                    sources.push(src);
                }
            }
        }
        files.push(items);
        i += 1;
    }
    check::check(&sources, &files, root)
}

/// Compiles descriptor text given directly (tests, library users).
pub fn compile_str(name: &str, text: &str) -> Result<Plan, DescriptorError> {
    compile(
        Source {
            name: name.to_string(),
            text: text.to_string(),
            dir: None,
        },
        None,
        &DefaultResolver,
    )
}

//! Kaitai Struct specs (`.ksy`) as a second descriptor language.
//!
//! YAML with positions ([`yaml`]) → the spec model ([`spec`], every key checked) → imports
//! (this module) → lowering into the descriptor AST ([`lower`], with Kaitai expressions
//! parsed by [`expr`]) → the same checker and plan as `.struct` descriptors. There is no
//! second decoder.

pub mod expr;
pub mod lower;
pub mod spec;
pub mod yaml;

use std::path::{Path, PathBuf};

use crate::error::DescriptorError;
use crate::lang::{Source, ast::Item, check};
use crate::plan::Plan;

/// The environment variable holding extra import directories (`:`-separated), like the
/// Kaitai compiler's import path.
pub const PATH_ENV: &str = "UNSTRUCT_KSY_PATH";

/// Whether a descriptor path names a `.ksy` spec.
pub fn is_ksy(path: &str) -> bool {
    Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ksy"))
}

/// The import directories: `-I` directories first, then those of [`PATH_ENV`].
pub fn import_dirs(cli: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = cli.to_vec();
    if let Some(v) = std::env::var_os(PATH_ENV) {
        dirs.extend(std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()));
    }
    dirs
}

/// Loaded spec files: sources (index 0 is the main file) and their top-level types.
pub struct Loaded {
    pub sources: Vec<Source>,
    pub defs: Vec<spec::TypeDef>,
}

fn spec_error(src: &Source, e: spec::SpecError) -> DescriptorError {
    let start = e.start.min(src.text.len());
    DescriptorError {
        file: src.name.clone(),
        source: src.text.clone(),
        start,
        end: e.end.clamp(start, src.text.len()).max(start),
        message: if e.path.is_empty() {
            e.message
        } else {
            format!("{} (in {})", e.message, e.path)
        },
        help: e.help,
    }
}

fn parse_source(src: &Source) -> Result<spec::TypeDef, DescriptorError> {
    let node = yaml::load(&src.text).map_err(|e| DescriptorError {
        file: src.name.clone(),
        source: src.text.clone(),
        start: e.offset.min(src.text.len()),
        end: (e.offset + 1).min(src.text.len()),
        message: format!("YAML: {}", e.message),
        help: None,
    })?;
    spec::read_file(&node).map_err(|e| spec_error(src, e))
}

fn read_source(path: &Path) -> Result<Source, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    Ok(Source {
        name: path.display().to_string(),
        text,
        dir: path.parent().map(Path::to_path_buf),
    })
}

/// Loads a spec and, transitively, the specs it imports (each once, so circular imports
/// are fine). Relative imports are resolved against the importing file's directory, absolute
/// ones (`/common/dos_datetime`) against `dirs`.
pub fn load(main: Source, dirs: &[PathBuf]) -> Result<Loaded, DescriptorError> {
    let mut sources = vec![main];
    let mut defs = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    if let Some(d) = &sources[0].dir {
        let p = d.join(Path::new(&sources[0].name).file_name().unwrap_or_default());
        seen.push(p.canonicalize().unwrap_or(p));
    }
    let mut i = 0;
    while i < sources.len() {
        let def = parse_source(&sources[i])?;
        for imp in &def.meta.imports {
            let rel = format!("{}.ksy", imp.v.trim_start_matches('/'));
            let candidates: Vec<PathBuf> = if imp.v.starts_with('/') {
                dirs.iter().map(|d| d.join(&rel)).collect()
            } else {
                let mut c: Vec<PathBuf> = sources[i].dir.iter().map(|d| d.join(&rel)).collect();
                c.extend(dirs.iter().map(|d| d.join(&rel)));
                c
            };
            let Some(found) = candidates.iter().find(|p| p.is_file()) else {
                let where_ = if imp.v.starts_with('/') {
                    format!("in the import path (-I DIR or {PATH_ENV})")
                } else {
                    "next to this file or in the import path".to_string()
                };
                let mut e = spec_error(
                    &sources[i],
                    imp.err(format!(
                        "cannot find the import `{}` ({rel} {where_})",
                        imp.v
                    )),
                );
                if dirs.is_empty() && imp.v.starts_with('/') {
                    e.help = Some("give the directory that holds it with -I DIR".into());
                }
                return Err(e);
            };
            let canon = found.canonicalize().unwrap_or(found.clone());
            if seen.contains(&canon) {
                continue;
            }
            seen.push(canon);
            let src = read_source(found).map_err(|m| spec_error(&sources[i], imp.err(m)))?;
            sources.push(src);
        }
        defs.push(def);
        i += 1;
    }
    Ok(Loaded { sources, defs })
}

/// Lowers loaded specs into descriptor items, one list per file.
pub fn lower(loaded: &Loaded) -> Result<Vec<Vec<Item>>, DescriptorError> {
    let files: Vec<lower::File> = loaded
        .sources
        .iter()
        .zip(&loaded.defs)
        .map(|(s, d)| lower::File {
            src_len: s.text.len(),
            def: d,
        })
        .collect();
    let mut l = lower::Lowerer::new(&files).map_err(|e| spec_error(&loaded.sources[0], e))?;
    let mut out = Vec::new();
    for f in 0..files.len() {
        out.push(
            l.lower_file(f)
                .map_err(|e| spec_error(&loaded.sources[f], e))?,
        );
    }
    Ok(out)
}

/// Compiles a `.ksy` spec (and its imports) into a plan. `root` overrides the root type.
pub fn compile(
    main: Source,
    root: Option<&str>,
    dirs: &[PathBuf],
) -> Result<Plan, DescriptorError> {
    let loaded = load(main, dirs)?;
    let items = lower(&loaded)?;
    check::check(&loaded.sources, &items, root)
}

/// The equivalent `.struct` descriptor of a `.ksy` spec and its imports, as one file. The
/// spec is checked first, so the text describes a spec that compiles.
pub fn translate(main: Source, dirs: &[PathBuf]) -> Result<String, DescriptorError> {
    let name = main.name.clone();
    let loaded = load(main, dirs)?;
    let items = lower(&loaded)?;
    check::check(&loaded.sources, &items, None)?;
    Ok(format!(
        "# {name}, translated from Kaitai Struct by `unstruct translate`\n\n{}",
        crate::lang::print::print_files(&items)
    ))
}

/// Compiles spec text given directly (tests, library users); imports use `dirs` only.
pub fn compile_str(name: &str, text: &str, dirs: &[PathBuf]) -> Result<Plan, DescriptorError> {
    compile(
        Source {
            name: name.to_string(),
            text: text.to_string(),
            dir: None,
        },
        None,
        dirs,
    )
}

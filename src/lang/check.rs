//! The checking pass: resolves names, rejects unknown types, forward references, duplicate
//! names and type errors in expressions, and lowers the AST to a [`Plan`].

mod expr;

use std::collections::{HashMap, HashSet};

use super::Source;
use super::ast::{self, *};
use crate::error::{DescriptorError, closest};
use crate::plan::{self, *};
use crate::text::Encoding;

/// Static types of expressions (as precise as the checker needs).
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Int,
    Float,
    Bool,
    Text,
    Bytes,
    Struct(Option<StructId>),
    Array(Box<Ty>),
    Enum(EnumId),
    /// A stream (`@io`, `io(x)`).
    Io,
    /// Not emitted and has no value (`pad`, `align`).
    Nothing,
    Any,
}

impl Ty {
    fn name(&self) -> String {
        match self {
            Ty::Int => "an integer".into(),
            Ty::Float => "a float".into(),
            Ty::Bool => "a boolean".into(),
            Ty::Text => "text".into(),
            Ty::Bytes => "bytes".into(),
            Ty::Struct(_) => "a struct".into(),
            Ty::Array(_) => "an array".into(),
            Ty::Enum(_) => "an enum value".into(),
            Ty::Io => "a stream".into(),
            Ty::Nothing => "nothing".into(),
            Ty::Any => "a value".into(),
        }
    }
    fn intlike(&self) -> bool {
        matches!(self, Ty::Int | Ty::Enum(_) | Ty::Bool | Ty::Any)
    }
    fn stringlike(&self) -> bool {
        matches!(self, Ty::Text | Ty::Bytes | Ty::Any)
    }
}

type CResult<T> = Result<T, DescriptorError>;

/// A name as a pre-rendered JSON key (with its quotes).
fn json_key(name: &str) -> Box<[u8]> {
    serde_json::to_string(name)
        .unwrap_or_else(|_| format!("\"{name}\""))
        .into_bytes()
        .into_boxed_slice()
}

#[derive(Clone, Debug)]
enum Entry {
    Slot(u32, Ty),
    /// Known name, not kept (never referenced; only used to produce good errors).
    Unkept,
    Embedded {
        slot: u32,
        candidates: Vec<StructId>,
    },
}

/// Names visible inside a struct while its fields are checked.
#[derive(Default)]
struct Scope {
    names: Vec<(String, Entry)>,
    /// All field names of the struct, to tell "declared later" from "unknown".
    later: Vec<(String, Span)>,
    this: Option<Ty>,
    /// In a field's `valid`: the field's own name, which means the value checked (`_`).
    this_name: Option<String>,
}

struct Checker<'a> {
    sources: &'a [Source],
    structs: Vec<(usize, &'a StructDecl)>,
    enums: Vec<(usize, &'a EnumDecl)>,
    struct_ix: HashMap<&'a str, StructId>,
    enum_ix: HashMap<&'a str, EnumId>,
    referenced: HashSet<String>,
    encodings: Vec<Encoding>,
    plan: Plan,
    file: usize,
    /// The kept array field being lowered, as (name, slot): inside its elements, `each`
    /// modifiers, `until` and `while` its name means the elements decoded so far.
    own_array: Option<(String, u32)>,
    /// The spec being lowered is a field's own (where `lazy` is allowed).
    lazy_ok: bool,
    /// The name of the field whose spec is being lowered: in its `valid`, the name means
    /// the value checked.
    field_name: Option<String>,
    /// `sizeof(…)` filled in once every struct is lowered.
    sizeofs: Vec<SizeofReq>,
    /// The struct being lowered.
    cur_sid: StructId,
}

/// A `sizeof` whose value is known once every struct is lowered: the fixed size of the
/// struct `ty`, else the fixed size of the field `path` names (from struct `path.0`, through
/// struct fields), else the size the value `fallback` took when decoded, else `err`.
struct SizeofReq {
    e: ExprId,
    ty: Option<StructId>,
    path: Option<(StructId, Vec<String>)>,
    fallback: Option<ExprId>,
    err: Option<DescriptorError>,
    file: usize,
    span: Span,
}

/// `scope` plus the array field `own` (its elements so far), if any.
fn own_scope(scope: &Scope, own: Option<(String, u32)>) -> Option<Scope> {
    let (name, slot) = own?;
    let mut names = scope.names.clone();
    names.push((name, Entry::Slot(slot, Ty::Array(Box::new(Ty::Any)))));
    Some(Scope {
        names,
        later: scope.later.clone(),
        this: scope.this.clone(),
        this_name: None,
    })
}

/// Checks parsed files (index 0 is the main file) and lowers them to a plan.
pub fn check(sources: &[Source], files: &[Vec<Item>], root: Option<&str>) -> CResult<Plan> {
    let mut c = Checker {
        sources,
        structs: Vec::new(),
        enums: Vec::new(),
        struct_ix: HashMap::new(),
        enum_ix: HashMap::new(),
        referenced: HashSet::new(),
        encodings: vec![Encoding::Utf8; files.len()],
        plan: Plan::default(),
        file: 0,
        own_array: None,
        lazy_ok: false,
        field_name: None,
        sizeofs: Vec::new(),
        cur_sid: 0,
    };
    let mut root_directive: Option<&Ident> = None;
    let mut file_endians: Vec<Option<ByteOrder>> = vec![None; files.len()];
    for (f, items) in files.iter().enumerate() {
        c.file = f;
        for item in items {
            match item {
                Item::Struct(s) => {
                    if c.struct_ix.contains_key(s.name.name.as_str())
                        || c.enum_ix.contains_key(s.name.name.as_str())
                    {
                        return Err(
                            c.err(s.name.span, format!("`{}` is declared twice", s.name.name))
                        );
                    }
                    if prim_name(&s.name.name) || RESERVED_TYPES.contains(&s.name.name.as_str()) {
                        return Err(c.err(
                            s.name.span,
                            format!("`{}` is a built-in type name", s.name.name),
                        ));
                    }
                    c.struct_ix
                        .insert(&s.name.name, c.structs.len() as StructId);
                    c.structs.push((f, s));
                }
                Item::Enum(e) => {
                    if c.struct_ix.contains_key(e.name.name.as_str())
                        || c.enum_ix.contains_key(e.name.name.as_str())
                    {
                        return Err(
                            c.err(e.name.span, format!("`{}` is declared twice", e.name.name))
                        );
                    }
                    c.enum_ix.insert(&e.name.name, c.enums.len() as EnumId);
                    c.enums.push((f, e));
                }
                Item::Endian(e, span) => {
                    if file_endians[f].is_some() {
                        return Err(c.err(*span, "`endian` is given twice".into()));
                    }
                    file_endians[f] = Some(resolve_endian(*e));
                    if f == 0 {
                        if c.plan.endian.is_some() {
                            return Err(c.err(*span, "`endian` is given twice".into()));
                        }
                        c.plan.endian = Some(resolve_endian(*e));
                    }
                }
                Item::Encoding(name) => match Encoding::from_name(&name.name) {
                    Some(e) => c.encodings[f] = e,
                    None => {
                        return Err(c.unknown(name, "encoding", Encoding::names()));
                    }
                },
                Item::Root(name) => {
                    if f == 0 {
                        root_directive = Some(name);
                    }
                }
                Item::Import(..) => {}
            }
        }
    }
    c.file = 0;
    // every name that an expression mentions: those fields are kept while decoding
    for (_, s) in &c.structs {
        let mut names = HashSet::new();
        collect_struct_names(s, &mut names);
        c.referenced.extend(names);
    }
    // enums
    for i in 0..c.enums.len() {
        let (f, e) = c.enums[i];
        c.file = f;
        let mut members: Vec<(i128, String)> = Vec::new();
        for (m, v) in &e.members {
            if members.iter().any(|(_, n)| *n == m.name) {
                return Err(c.err(m.span, format!("member `{}` is declared twice", m.name)));
            }
            members.push((*v, m.name.clone()));
        }
        members.sort_by_key(|(v, _)| *v);
        c.plan.enums.push(EnumPlan {
            name: e.name.name.clone(),
            is_flags: e.is_flags,
            members,
        });
    }
    // structs: placeholders first so that ids are stable, then lower each
    for (_, s) in &c.structs {
        c.plan.structs.push(StructPlan {
            name: s.name.name.clone(),
            params: s.params.len() as u32,
            param_keys: if s.emit_params {
                s.params.iter().map(|p| json_key(&p.name)).collect()
            } else {
                Vec::new()
            },
            nslots: 0,
            fields: Vec::new(),
            endian: EndianPlan::Inherit,
            bits_little: false,
            valid: None,
            lazy: Vec::new(),
            lookup: Vec::new(),
            static_size: None,
            tuple: false,
            flat: None,
        });
    }
    for i in 0..c.structs.len() {
        c.lower_struct(i as StructId)?;
    }
    for r in std::mem::take(&mut c.sizeofs) {
        let ty_size = r.ty.and_then(|sid| {
            let mut visiting = vec![false; c.plan.structs.len()];
            static_struct_size(&c.plan, sid, &mut visiting)
        });
        let field_size = || {
            let (sid, path) = r.path.as_ref()?;
            static_field_size(&c.plan, *sid, path)
        };
        c.plan.exprs[r.e as usize] = match (ty_size.or_else(field_size), r.fallback) {
            (Some(n), _) => PExpr::Int(n as i128),
            (None, Some(v)) => PExpr::SizeOf(v),
            (None, None) => {
                if let Some(err) = r.err {
                    return Err(err);
                }
                c.file = r.file;
                let name = match (r.ty, &r.path) {
                    (Some(sid), _) => c.plan.structs[sid as usize].name.clone(),
                    (None, Some((_, p))) => p.join("."),
                    (None, None) => String::new(),
                };
                return Err(c.err(
                    r.span,
                    format!(
                        "the size of `{name}` depends on the data; `sizeof` needs a fixed size"
                    ),
                ));
            }
        };
    }
    let owners: Vec<(usize, bool)> = c
        .structs
        .iter()
        .map(|(f, s)| (*f, s.endian.is_some()))
        .collect();
    super::endian::apply_file_endians(&mut c.plan, &owners, &file_endians);
    // the root
    let main_first = c.structs.iter().position(|(f, _)| *f == 0);
    let root_id = match root
        .map(|r| (r, None))
        .or(root_directive.map(|r| (r.name.as_str(), Some(r.span))))
    {
        Some((name, span)) => match c.struct_ix.get(name) {
            Some(&id) => id,
            None => {
                let msg = format!("no struct named `{name}` for the root");
                let help = closest(name, c.struct_ix.keys().copied())
                    .map(|s| format!("did you mean `{s}`?"));
                let mut e = match span {
                    Some(span) => c.err(span, msg),
                    // `--root NAME` on the command line: point at the flag
                    None => DescriptorError {
                        file: "<command line>".into(),
                        source: format!("--root {name}"),
                        start: 7,
                        end: 7 + name.len(),
                        message: msg,
                        help: None,
                    },
                };
                e.help = help;
                return Err(e);
            }
        },
        None => match main_first {
            Some(i) => i as StructId,
            None => return Err(c.err(Span::default(), "the descriptor declares no struct".into())),
        },
    };
    c.plan.root = root_id;
    for i in 0..c.plan.structs.len() {
        let mut visiting = vec![false; c.plan.structs.len()];
        let size = static_struct_size(&c.plan, i as StructId, &mut visiting);
        c.plan.structs[i].static_size = size;
    }
    c.plan.finalize();
    Ok(c.plan)
}

const RESERVED_TYPES: &[&str] = &["bytes", "str", "strz", "pad", "align", "match", "bool"];

fn prim_name(n: &str) -> bool {
    super::grammar::prim_from_name(n).is_some()
        || (n.starts_with('b') && n[1..].parse::<u8>().is_ok_and(|v| (1..=64).contains(&v)))
}

fn resolve_endian(e: Endian) -> ByteOrder {
    match e {
        Endian::Little => ByteOrder::Little,
        Endian::Big => ByteOrder::Big,
        Endian::Native => ByteOrder::NATIVE,
    }
}

/// All identifiers that expressions in a struct mention as names or members.
fn collect_struct_names(s: &StructDecl, out: &mut HashSet<String>) {
    if let Some(EndianSpec::Match(e, _)) = &s.endian {
        collect_expr_names(e, out);
    }
    if let Some(v) = &s.valid {
        collect_expr_names(v, out);
    }
    for f in &s.fields {
        collect_spec_names(&f.spec, out);
    }
}

fn collect_spec_names(t: &TypeSpec, out: &mut HashSet<String>) {
    for e in [
        &t.if_,
        &t.at,
        &t.io,
        &t.size,
        &t.valid,
        &t.parent,
        &t.each_if,
        &t.each_at,
        &t.each_size,
    ]
    .into_iter()
    .flatten()
    {
        collect_expr_names(e, out);
    }
    for (p, _) in [&t.process, &t.each_process].into_iter().flatten() {
        if let ast::Process::Xor(e) | ast::Process::Rol(e) | ast::Process::Ror(e) = p {
            collect_expr_names(e, out);
        }
    }
    collect_type_names(&t.ty, out);
}

fn collect_len(l: &Len, out: &mut HashSet<String>) {
    if let Len::Count(e) = l {
        collect_expr_names(e, out);
    }
}

fn collect_type_names(t: &TypeExpr, out: &mut HashSet<String>) {
    match t {
        TypeExpr::Bytes(l) | TypeExpr::Pad(l) => collect_len(l, out),
        TypeExpr::Str {
            kind: ast::StrKind::Fixed(l) | ast::StrKind::ZFixed(l),
            ..
        } => collect_len(l, out),
        TypeExpr::Align(e) | TypeExpr::Computed(e) => collect_expr_names(e, out),
        TypeExpr::Named { args, .. } => args.iter().for_each(|a| collect_expr_names(a, out)),
        TypeExpr::Array(a) => {
            collect_spec_names(&a.elem, out);
            collect_len(&a.len, out);
            for e in [&a.until, &a.while_].into_iter().flatten() {
                collect_expr_names(e, out);
            }
        }
        TypeExpr::Match { on, arms } => {
            collect_expr_names(on, out);
            arms.iter().for_each(|a| collect_spec_names(&a.spec, out));
        }
        TypeExpr::Terminated(_, inner) => collect_spec_names(inner, out),
        _ => {}
    }
}

fn collect_expr_names(e: &Expr, out: &mut HashSet<String>) {
    match &e.kind {
        ExprKind::Name(n) => {
            out.insert(n.name.clone());
        }
        ExprKind::Member(b, n) => {
            out.insert(n.name.clone());
            collect_expr_names(b, out);
        }
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            collect_expr_names(a, out);
            collect_expr_names(b, out);
        }
        ExprKind::Unary(_, a) | ExprKind::Cast(a, _) => collect_expr_names(a, out),
        ExprKind::Cond(a, b, c) => {
            collect_expr_names(a, out);
            collect_expr_names(b, out);
            collect_expr_names(c, out);
        }
        ExprKind::Call(_, args) | ExprKind::Array(args) => {
            args.iter().for_each(|a| collect_expr_names(a, out))
        }
        ExprKind::Slice(a, lo, hi) => {
            for x in [Some(a), lo.as_ref(), hi.as_ref()].into_iter().flatten() {
                collect_expr_names(x, out);
            }
        }
        ExprKind::Peek(t, at) => {
            collect_type_names(t, out);
            collect_expr_names(at, out);
        }
        _ => {}
    }
}

impl<'a> Checker<'a> {
    fn err(&self, span: Span, message: String) -> DescriptorError {
        let src = &self.sources[self.file];
        let start = span.start(src.text.len());
        DescriptorError {
            file: src.name.clone(),
            source: src.text.clone(),
            start,
            end: start + span.len as usize,
            message,
            help: None,
        }
    }

    fn unknown<'c>(
        &self,
        name: &Ident,
        what: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> DescriptorError {
        let mut e = self.err(name.span, format!("unknown {what} `{}`", name.name));
        e.help = closest(&name.name, candidates).map(|c| format!("did you mean `{c}`?"));
        e
    }

    /// Keeps the source text of a `valid` condition for error messages.
    fn remember_valid(&mut self, id: ExprId, span: Span) {
        let src = &self.sources[self.file].text;
        let start = span.start(src.len());
        let text = src.get(start..start + span.len as usize).unwrap_or("valid");
        self.plan
            .valid_text
            .push((id, text.split_whitespace().collect::<Vec<_>>().join(" ")));
    }

    fn push(&mut self, e: PExpr) -> ExprId {
        self.plan.exprs.push(e);
        (self.plan.exprs.len() - 1) as ExprId
    }

    fn lower_struct(&mut self, id: StructId) -> CResult<()> {
        let (file, decl) = self.structs[id as usize];
        self.file = file;
        self.cur_sid = id;
        let mut scope = Scope::default();
        let mut nslots = 0u32;
        let mut lookup = Vec::new();
        for p in &decl.params {
            if scope.names.iter().any(|(n, _)| *n == p.name) {
                return Err(self.err(p.span, format!("parameter `{}` is declared twice", p.name)));
            }
            scope
                .names
                .push((p.name.clone(), Entry::Slot(nslots, Ty::Any)));
            lookup.push((p.name.clone(), Lookup::Slot(nslots)));
            nslots += 1;
        }
        for f in &decl.fields {
            if let FieldName::Named(n) | FieldName::Hidden(n) = &f.name {
                scope.later.push((n.name.clone(), n.span));
            }
        }
        let endian = match &decl.endian {
            None => EndianPlan::Inherit,
            Some(EndianSpec::Fixed(e)) => EndianPlan::Fixed(resolve_endian(*e)),
            Some(EndianSpec::Match(on, arms)) => {
                let (on_id, on_ty) = self.expr(on, &scope)?;
                let mut parms = Vec::new();
                for (pats, e) in arms {
                    let mut ps = Vec::new();
                    for p in pats {
                        match self.pattern(p, &on_ty)? {
                            Some(p) => ps.push(p),
                            None => ps.clear(),
                        }
                    }
                    parms.push((ps, resolve_endian(*e)));
                }
                EndianPlan::Match(on_id, parms)
            }
        };
        // `lazy` fields have their slots first, so every field can name them
        let mut lazy = Vec::new();
        for (fi, f) in decl.fields.iter().enumerate() {
            let Some(span) = f.spec.lazy else { continue };
            let (FieldName::Named(n) | FieldName::Hidden(n)) = &f.name else {
                return Err(self.err(span, "a `lazy` field needs a name".into()));
            };
            if f.spec.at.is_none() && !matches!(f.spec.ty, TypeExpr::Computed(_)) {
                return Err(self.err(
                    span,
                    "`lazy` applies to fields with `at` and to computed fields (`= E`): \
                     elsewhere where a field starts depends on the fields before it"
                        .into(),
                ));
            }
            if scope.names.iter().any(|(x, _)| *x == n.name) {
                return Err(self.err(n.span, format!("`{}` is declared twice", n.name)));
            }
            scope
                .names
                .push((n.name.clone(), Entry::Slot(nslots, Ty::Any)));
            lookup.push((n.name.clone(), Lookup::Slot(nslots)));
            lazy.push((nslots, fi as u32));
            nslots += 1;
        }
        let mut fields = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for (fi, f) in decl.fields.iter().enumerate() {
            let lazy_slot = lazy
                .iter()
                .find(|(_, i)| *i as usize == fi)
                .map(|(s, _)| *s);
            let (name, key, referenceable) = match &f.name {
                FieldName::Named(n) => (n.name.clone(), Some(n), true),
                FieldName::Hidden(n) => (n.name.clone(), None, true),
                FieldName::Skip(_) => ("_".to_string(), None, false),
                FieldName::Embed => (String::new(), None, false),
            };
            if let Some(n) = key.or(match &f.name {
                FieldName::Hidden(n) => Some(n),
                _ => None,
            }) {
                if lazy_slot.is_none() && scope.names.iter().any(|(x, _)| *x == n.name) {
                    return Err(self.err(n.span, format!("`{}` is declared twice", n.name)));
                }
                if keys.contains(&n.name) {
                    return Err(self.err(
                        n.span,
                        format!("`{}` clashes with a key of an embedded struct", n.name),
                    ));
                }
            }
            let keep = referenceable && (self.referenced.contains(&name) || lazy_slot.is_some());
            let embed = matches!(f.name, FieldName::Embed);
            self.own_array = (keep && matches!(f.spec.ty, TypeExpr::Array(_)))
                .then(|| (name.clone(), lazy_slot.unwrap_or(nslots)));
            self.lazy_ok = true;
            self.field_name = match &f.name {
                FieldName::Named(n) | FieldName::Hidden(n) => Some(n.name.clone()),
                _ => None,
            };
            let lowered = self.spec(&f.spec, &scope, keep, embed);
            self.field_name = None;
            self.own_array = None;
            let (spec, ty) = lowered?;
            // `pad`/`align` (and matches of only those) are never emitted, named or not
            let has_value = ty != Ty::Nothing;
            if let Some(n) = key {
                keys.push(n.name.clone());
            }
            let slot = if lazy_slot.is_some() {
                lazy_slot
            } else if keep || embed {
                nslots += 1;
                Some(nslots - 1)
            } else {
                None
            };
            if embed {
                let candidates = embedded_structs(&spec.ty);
                if candidates.is_empty() && !matches!(ty, Ty::Nothing) {
                    return Err(self.err(
                        f.spec.span,
                        "a field without a name must be a struct (or a match whose arms are structs)".into(),
                    ));
                }
                // arms of an embedded match may share keys with each other, not with the
                // keys written before the embedding
                let before = keys.len();
                for &sid in &candidates {
                    for k in self.struct_keys(sid, &mut Vec::new()) {
                        if keys[..before].contains(&k) {
                            return Err(self.err(
                                f.spec.span,
                                format!(
                                    "embedded field `{k}` clashes with a field of the same name"
                                ),
                            ));
                        }
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                    }
                    for n in self.struct_field_names(sid) {
                        if !scope.names.iter().any(|(x, _)| *x == n) {
                            lookup.push((n.clone(), Lookup::Embedded(slot.unwrap_or(0))));
                        }
                    }
                }
                scope.names.push((
                    String::new(),
                    Entry::Embedded {
                        slot: slot.unwrap_or(0),
                        candidates,
                    },
                ));
            } else if let (Some(s), Some(entry)) = (
                lazy_slot,
                scope.names.iter_mut().rev().find(|(x, _)| *x == name),
            ) {
                // the field's type is known now
                entry.1 = Entry::Slot(s, ty);
            } else if referenceable {
                let entry = match slot {
                    Some(s) => {
                        lookup.push((name.clone(), Lookup::Slot(s)));
                        Entry::Slot(s, ty)
                    }
                    None => Entry::Unkept,
                };
                scope.names.push((name.clone(), entry));
            }
            let key_bytes = key.map(|n| json_key(&n.name));
            let emit = (key_bytes.is_some() && has_value) || embed;
            fields.push(FieldPlan {
                name,
                key: key_bytes,
                emit,
                slot,
                embed,
                spec,
            });
        }
        let valid = match &decl.valid {
            Some(v) => {
                let mut s2 = Scope {
                    names: scope.names.clone(),
                    later: Vec::new(),
                    this: Some(Ty::Struct(Some(id))),
                    this_name: None,
                };
                s2.this = Some(Ty::Struct(Some(id)));
                let (e, t) = self.expr(v, &s2)?;
                self.want_cond(v, &t)?;
                self.remember_valid(e, v.span);
                Some(e)
            }
            None => None,
        };
        let sp = &mut self.plan.structs[id as usize];
        sp.nslots = nslots;
        sp.fields = fields;
        sp.endian = endian;
        sp.bits_little = decl.bits_little.unwrap_or(false);
        sp.valid = valid;
        sp.lazy = lazy;
        sp.lookup = lookup;
        Ok(())
    }

    /// Field names of a struct as declared (including those of embedded structs).
    fn struct_field_names(&self, sid: StructId) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = vec![sid];
        self.names_into(sid, &mut out, &mut seen);
        out
    }

    fn names_into(&self, sid: StructId, out: &mut Vec<String>, seen: &mut Vec<StructId>) {
        let decl = self.structs[sid as usize].1;
        for f in &decl.fields {
            match &f.name {
                FieldName::Named(n) | FieldName::Hidden(n) => out.push(n.name.clone()),
                FieldName::Embed => {
                    for inner in self.ast_embedded(&f.spec.ty) {
                        if !seen.contains(&inner) {
                            seen.push(inner);
                            self.names_into(inner, out, seen);
                        }
                    }
                }
                FieldName::Skip(_) => {}
            }
        }
    }

    /// JSON keys a struct writes (for clash checks of embedding).
    fn struct_keys(&self, sid: StructId, seen: &mut Vec<StructId>) -> Vec<String> {
        let decl = self.structs[sid as usize].1;
        let mut out = Vec::new();
        seen.push(sid);
        for f in &decl.fields {
            match &f.name {
                FieldName::Named(n) => out.push(n.name.clone()),
                FieldName::Embed => {
                    for inner in self.ast_embedded(&f.spec.ty) {
                        if !seen.contains(&inner) {
                            out.extend(self.struct_keys(inner, seen));
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn ast_embedded(&self, t: &TypeExpr) -> Vec<StructId> {
        match t {
            TypeExpr::Named { name, .. } => self
                .struct_ix
                .get(name.name.as_str())
                .copied()
                .into_iter()
                .collect(),
            TypeExpr::Match { arms, .. } => arms
                .iter()
                .flat_map(|a| self.ast_embedded(&a.spec.ty))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn want_cond(&self, e: &Expr, t: &Ty) -> CResult<()> {
        if t.intlike() {
            Ok(())
        } else {
            Err(self.err(
                e.span,
                format!(
                    "a condition must be a boolean or an integer, this is {}",
                    t.name()
                ),
            ))
        }
    }

    fn want_int(&self, e: &Expr, t: &Ty) -> CResult<()> {
        if t.intlike() {
            Ok(())
        } else {
            Err(self.err(e.span, format!("expected an integer, this is {}", t.name())))
        }
    }

    fn int_expr(&mut self, e: &Expr, scope: &Scope) -> CResult<ExprId> {
        let (id, t) = self.expr(e, scope)?;
        self.want_int(e, &t)?;
        Ok(id)
    }

    fn len(&mut self, l: &Len, scope: &Scope) -> CResult<LenPlan> {
        Ok(match l {
            Len::Rest => LenPlan::Rest,
            Len::Count(e) => match &e.kind {
                ExprKind::Int(v) if *v >= 0 => LenPlan::Fixed(*v as u64),
                ExprKind::Int(v) => return Err(self.err(e.span, format!("negative length {v}"))),
                _ => LenPlan::Expr(self.int_expr(e, scope)?),
            },
        })
    }

    /// Lowers a type with modifiers. `keep`: the value will be referenced by name.
    fn spec(
        &mut self,
        t: &TypeSpec,
        scope: &Scope,
        keep: bool,
        embed: bool,
    ) -> CResult<(SpecPlan, Ty)> {
        if let Some(span) = t.lazy
            && !std::mem::take(&mut self.lazy_ok)
        {
            return Err(self.err(
                span,
                "`lazy` applies to a field, not to an element or an arm".into(),
            ));
        }
        self.lazy_ok = false;
        let if_ = t
            .if_
            .as_ref()
            .map(|e| self.cond_expr(e, scope))
            .transpose()?;
        let at = t.at.as_ref().map(|e| self.int_expr(e, scope)).transpose()?;
        let io = match &t.io {
            Some(e) => {
                let (id, ty) = self.expr(e, scope)?;
                if !matches!(ty, Ty::Io | Ty::Any) {
                    return Err(self.err(
                        e.span,
                        format!(
                            "`in` needs a stream (`@io`, `io(x)`), this is {}",
                            ty.name()
                        ),
                    ));
                }
                if t.at.is_none() {
                    return Err(self.err(e.span, "`in` goes with `at` (`at E in S`)".into()));
                }
                Some(id)
            }
            None => None,
        };
        let size = t
            .size
            .as_ref()
            .map(|e| self.int_expr(e, scope))
            .transpose()?;
        let process = match &t.process {
            Some((p, _)) => Some(Box::new(self.process(p, scope)?)),
            None => None,
        };
        let has_each = t.each_if.is_some()
            || t.each_at.is_some()
            || t.each_size.is_some()
            || t.each_process.is_some();
        let own = match t.ty {
            TypeExpr::Array(_) => self.own_array.clone(),
            _ => None,
        };
        let own = own_scope(scope, own);
        // `valid` looks at the whole value: an array's elements are kept for it
        let (mut ty, vty) = self.ty(&t.ty, t.span, scope, keep || t.valid.is_some(), embed)?;
        let escope = own.as_ref().unwrap_or(scope);
        if has_each {
            let TypePlan::Array(arr) = &mut ty else {
                let e = t
                    .each_if
                    .as_ref()
                    .or(t.each_at.as_ref())
                    .or(t.each_size.as_ref());
                let span = e.map_or(t.span, |e| e.span);
                let span = t.each_process.as_ref().map_or(span, |p| p.1);
                return Err(self.err(span, "`each` modifiers apply to arrays".into()));
            };
            if let Some((p, _)) = &t.each_process {
                arr.elem.process = Some(Box::new(self.process(p, escope)?));
                arr.min_elem = 0;
            }
            arr.each_if = t
                .each_if
                .as_ref()
                .map(|e| self.cond_expr(e, escope))
                .transpose()?;
            arr.each_at = t
                .each_at
                .as_ref()
                .map(|e| self.int_expr(e, escope))
                .transpose()?;
            arr.each_size = t
                .each_size
                .as_ref()
                .map(|e| self.int_expr(e, escope))
                .transpose()?;
        }
        let valid = match &t.valid {
            Some(v) => {
                let s2 = Scope {
                    names: scope.names.clone(),
                    later: scope.later.clone(),
                    this: Some(vty.clone()),
                    this_name: self.field_name.clone(),
                };
                let (e, et) = self.expr(v, &s2)?;
                self.want_cond(v, &et)?;
                self.remember_valid(e, v.span);
                Some(e)
            }
            None => None,
        };
        let mut parent = None;
        if let Some(e) = &t.parent {
            let id = self.parent_override(e, &ty, scope)?;
            // on an array: on every element
            match &mut ty {
                TypePlan::Array(arr) => arr.elem.parent = Some(id),
                _ => parent = Some(id),
            }
        }
        Ok((
            SpecPlan {
                ty,
                if_,
                at,
                io,
                size,
                valid,
                process,
                parent,
            },
            vty,
        ))
    }

    /// `parent E` on a field: E is a struct, and the field decodes a struct (or an array of
    /// them).
    fn parent_override(&mut self, e: &Expr, ty: &TypePlan, scope: &Scope) -> CResult<ExprId> {
        let elem = match ty {
            TypePlan::Array(arr) => &arr.elem.ty,
            t => t,
        };
        if !matches!(elem, TypePlan::Struct { .. }) {
            return Err(self.err(
                e.span,
                "`parent` applies to a field that decodes a struct".into(),
            ));
        }
        let (id, t) = self.expr(e, scope)?;
        if !matches!(t, Ty::Struct(_) | Ty::Any) {
            return Err(self.err(
                e.span,
                format!("`parent` needs a struct, this is {}", t.name()),
            ));
        }
        Ok(id)
    }

    fn process(&mut self, p: &ast::Process, scope: &Scope) -> CResult<ProcessPlan> {
        Ok(match p {
            ast::Process::Xor(k) => {
                let (id, t) = self.expr(k, scope)?;
                if !(t.intlike() || t.stringlike()) {
                    return Err(self.err(
                        k.span,
                        format!(
                            "the key of `xor` is an integer or bytes, this is {}",
                            t.name()
                        ),
                    ));
                }
                ProcessPlan::Xor(id)
            }
            ast::Process::Rol(n) => ProcessPlan::Rol(self.int_expr(n, scope)?, false),
            ast::Process::Ror(n) => ProcessPlan::Rol(self.int_expr(n, scope)?, true),
            ast::Process::Zlib => ProcessPlan::Zlib,
            ast::Process::Deflate => ProcessPlan::Deflate,
        })
    }

    fn cond_expr(&mut self, e: &Expr, scope: &Scope) -> CResult<ExprId> {
        let (id, t) = self.expr(e, scope)?;
        self.want_cond(e, &t)?;
        Ok(id)
    }

    fn ty(
        &mut self,
        t: &TypeExpr,
        span: Span,
        scope: &Scope,
        keep: bool,
        embed: bool,
    ) -> CResult<(TypePlan, Ty)> {
        let enc = self.encodings[self.file];
        Ok(match t {
            TypeExpr::Prim(Prim::Int {
                size,
                signed,
                endian,
            }) => (
                TypePlan::Int {
                    size: *size,
                    signed: *signed,
                    order: endian.map(resolve_endian),
                },
                Ty::Int,
            ),
            TypeExpr::Prim(Prim::Float { size, endian }) => (
                TypePlan::Float {
                    size: *size,
                    order: endian.map(resolve_endian),
                },
                Ty::Float,
            ),
            TypeExpr::Prim(Prim::Bool) => (TypePlan::Bool, Ty::Bool),
            TypeExpr::Leb128 { signed } => (TypePlan::Leb128 { signed: *signed }, Ty::Int),
            TypeExpr::Bits { n, as_bool, little } => (
                TypePlan::Bits {
                    n: *n,
                    as_bool: *as_bool,
                    little: *little,
                },
                if *as_bool { Ty::Bool } else { Ty::Int },
            ),
            TypeExpr::Bytes(l) => (TypePlan::Bytes(self.len(l, scope)?), Ty::Bytes),
            TypeExpr::Str { kind, enc: e, trim } => {
                let (k, len) = match kind {
                    ast::StrKind::Fixed(l) => (plan::StrKind::Fixed, self.len(l, scope)?),
                    ast::StrKind::Z => (plan::StrKind::Z, LenPlan::Rest),
                    ast::StrKind::ZFixed(l) => (plan::StrKind::ZFixed, self.len(l, scope)?),
                };
                (
                    TypePlan::Str {
                        kind: k,
                        len,
                        enc: e.unwrap_or(enc),
                        trim: trim.as_ref().map(|t| t.clone().into_boxed_slice()),
                    },
                    Ty::Text,
                )
            }
            TypeExpr::Const { bytes, text } => {
                let text = *text && std::str::from_utf8(bytes).is_ok();
                (
                    TypePlan::Const {
                        bytes: bytes.clone().into_boxed_slice(),
                        text,
                    },
                    if text { Ty::Text } else { Ty::Bytes },
                )
            }
            TypeExpr::Pad(l) => (TypePlan::Pad(self.len(l, scope)?), Ty::Nothing),
            TypeExpr::Align(e) => {
                if let ExprKind::Int(v) = e.kind
                    && v <= 0
                {
                    return Err(self.err(e.span, "`align` needs a positive number".into()));
                }
                (TypePlan::Align(self.int_expr(e, scope)?), Ty::Nothing)
            }
            TypeExpr::Computed(e) => {
                let (id, et) = self.expr(e, scope)?;
                (TypePlan::Computed(id), et)
            }
            TypeExpr::Named { name, args } => {
                if let Some(&sid) = self.struct_ix.get(name.name.as_str()) {
                    let nparams = self.structs[sid as usize].1.params.len();
                    if args.len() != nparams {
                        return Err(self.err(
                            name.span,
                            format!(
                                "`{}` takes {nparams} argument(s), {} given",
                                name.name,
                                args.len()
                            ),
                        ));
                    }
                    let mut ids = Vec::new();
                    for a in args {
                        ids.push(self.expr(a, scope)?.0);
                    }
                    (
                        TypePlan::Struct {
                            id: sid,
                            args: ids.into_boxed_slice(),
                        },
                        Ty::Struct(Some(sid)),
                    )
                } else if let Some(&eid) = self.enum_ix.get(name.name.as_str()) {
                    if !args.is_empty() {
                        return Err(self.err(
                            name.span,
                            format!("enum `{}` takes no arguments", name.name),
                        ));
                    }
                    let Prim::Int {
                        size,
                        signed,
                        endian,
                    } = self.enums[eid as usize].1.base
                    else {
                        return Err(self.err(name.span, "enum base must be an integer".into()));
                    };
                    (
                        TypePlan::Enum {
                            id: eid,
                            size,
                            signed,
                            order: endian.map(resolve_endian),
                        },
                        Ty::Enum(eid),
                    )
                } else {
                    let mut cands: Vec<&str> = self.struct_ix.keys().copied().collect();
                    cands.extend(self.enum_ix.keys().copied());
                    cands.extend(BUILTIN_TYPE_NAMES);
                    let mut e = self.unknown(name, "type", cands);
                    if let Some(hint) = super::grammar::foreign_type_hint(&name.name) {
                        e.help = Some(hint);
                    }
                    return Err(e);
                }
            }
            TypeExpr::Array(a) => {
                let own = self.own_array.take();
                let own = own_scope(scope, own);
                let escope = own.as_ref().unwrap_or(scope);
                let len = self.len(&a.len, scope)?;
                // elements must be kept when the array is referenced, or `until` looks at them
                let (elem, ety) = self.spec(&a.elem, escope, keep || a.until.is_some(), false)?;
                let until = match &a.until {
                    Some(e) => {
                        let s2 = Scope {
                            names: escope.names.clone(),
                            later: escope.later.clone(),
                            this: Some(ety.clone()),
                            this_name: None,
                        };
                        let (id, t) = self.expr(e, &s2)?;
                        self.want_cond(e, &t)?;
                        Some(id)
                    }
                    None => None,
                };
                let while_ = a
                    .while_
                    .as_ref()
                    .map(|e| self.cond_expr(e, escope))
                    .transpose()?;
                if matches!(a.len, Len::Count(_)) && (until.is_some() || while_.is_some()) {
                    return Err(self.err(span, "`until` and `while` go with `[..]`".into()));
                }
                // set by `Plan::finalize` once every struct's minimum size is known
                let min_elem = 0;
                (
                    TypePlan::Array(Box::new(ArrayPlan {
                        elem,
                        len,
                        until,
                        while_,
                        each_if: None,
                        each_at: None,
                        each_size: None,
                        keep,
                        min_elem,
                    })),
                    Ty::Array(Box::new(ety)),
                )
            }
            TypeExpr::Terminated(t, inner) => {
                let (sp, ty) = self.spec(inner, scope, keep, embed)?;
                (TypePlan::Terminated(*t, Box::new(sp)), ty)
            }
            TypeExpr::Match { on, arms } => {
                let (on_id, on_ty) = self.expr(on, scope)?;
                let mut parms = Vec::new();
                let mut default = None;
                let mut result_ty: Option<Ty> = None;
                for arm in arms {
                    let (spec, aty) = self.spec(&arm.spec, scope, keep, embed)?;
                    if embed && embedded_structs(&spec.ty).is_empty() && aty != Ty::Nothing {
                        return Err(self.err(
                            arm.spec.span,
                            "arms of an embedded match must be structs".into(),
                        ));
                    }
                    result_ty = Some(match result_ty {
                        None => aty,
                        Some(t) if t == aty => t,
                        Some(_) => Ty::Any,
                    });
                    let mut pats = Vec::new();
                    let mut is_default = false;
                    for p in &arm.patterns {
                        match self.pattern(p, &on_ty)? {
                            Some(p) => pats.push(p),
                            None => is_default = true,
                        }
                    }
                    if is_default {
                        if default.is_some() {
                            return Err(self.err(arm.spec.span, "a match takes one `_` arm".into()));
                        }
                        default = Some(spec);
                    } else {
                        parms.push((pats, spec));
                    }
                }
                (
                    TypePlan::Match(Box::new(MatchPlan {
                        on: on_id,
                        arms: parms,
                        default,
                    })),
                    result_ty.unwrap_or(Ty::Any),
                )
            }
        })
    }

    /// Lowers a pattern; `None` is the wildcard.
    fn pattern(&mut self, p: &Pattern, on: &Ty) -> CResult<Option<PatPlan>> {
        Ok(match p {
            Pattern::Wildcard(_) => None,
            Pattern::Int(v, span) => {
                if !on.intlike() {
                    return Err(self.err(
                        *span,
                        format!("an integer pattern cannot match {}", on.name()),
                    ));
                }
                Some(PatPlan::Int(*v))
            }
            Pattern::Range(lo, hi, span) => {
                if !on.intlike() {
                    return Err(
                        self.err(*span, format!("a range pattern cannot match {}", on.name()))
                    );
                }
                Some(PatPlan::Range(*lo, *hi))
            }
            Pattern::Bytes(b, span) => {
                if !on.stringlike() {
                    return Err(self.err(
                        *span,
                        format!("a string pattern cannot match {}", on.name()),
                    ));
                }
                Some(PatPlan::Bytes(b.clone().into_boxed_slice()))
            }
            Pattern::Member(en, m) => {
                let eid = match en {
                    Some(en) => match self.enum_ix.get(en.name.as_str()) {
                        Some(&e) => e,
                        None => {
                            return Err(self.unknown(
                                en,
                                "enum",
                                self.enum_ix.keys().copied().collect::<Vec<_>>(),
                            ));
                        }
                    },
                    None => match on {
                        Ty::Enum(e) => *e,
                        _ => {
                            return Err(self.err(
                                m.span,
                                format!("`{}` is not a pattern here: write a literal, `Enum::{}` or `_`", m.name, m.name),
                            ));
                        }
                    },
                };
                Some(PatPlan::Int(self.member(eid, m)?))
            }
        })
    }
}

const BUILTIN_TYPE_NAMES: [&str; 20] = [
    "u8", "u16", "u24", "u32", "u64", "i8", "i16", "i24", "i32", "i64", "f16", "f32", "f64",
    "bool", "bytes", "str", "strz", "pad", "align", "b1",
];

/// The structs a field without a name would embed.
fn embedded_structs(t: &TypePlan) -> Vec<StructId> {
    match t {
        TypePlan::Struct { id, .. } => vec![*id],
        TypePlan::Match(m) => {
            let mut v: Vec<StructId> = m
                .arms
                .iter()
                .flat_map(|(_, s)| embedded_structs(&s.ty))
                .collect();
            if let Some(d) = &m.default {
                v.extend(embedded_structs(&d.ty));
            }
            v.sort_unstable();
            v.dedup();
            v
        }
        _ => Vec::new(),
    }
}

/// The fixed size of a struct, when no field depends on the data.
pub fn static_struct_size(plan: &Plan, id: StructId, visiting: &mut Vec<bool>) -> Option<u64> {
    if visiting[id as usize] {
        return None;
    }
    visiting[id as usize] = true;
    let s = &plan.structs[id as usize];
    let mut bits: u64 = 0;
    for f in &s.fields {
        let (sz, is_bits) = static_spec_size(plan, &f.spec, visiting)?;
        if is_bits {
            bits = bits.checked_add(sz)?;
        } else {
            bits = bits
                .div_ceil(8)
                .checked_mul(8)?
                .checked_add(sz.checked_mul(8)?)?;
        }
    }
    visiting[id as usize] = false;
    Some(bits.div_ceil(8))
}

/// The fixed size in bytes of the field that `path` names from struct `sid` (through fields
/// that hold one struct), whether or not it sits at an `at`; `None` where it depends on the
/// data or the path names no such field.
fn static_field_size(plan: &Plan, sid: StructId, path: &[String]) -> Option<u64> {
    let (last, through) = path.split_last()?;
    let mut sid = sid;
    for name in through {
        let f = plan.structs[sid as usize]
            .fields
            .iter()
            .find(|f| f.name == *name)?;
        match &f.spec.ty {
            TypePlan::Struct { id, .. } if f.spec.if_.is_none() => sid = *id,
            _ => return None,
        }
    }
    let f = plan.structs[sid as usize]
        .fields
        .iter()
        .find(|f| f.name == *last)?;
    if matches!(f.spec.ty, TypePlan::Computed(_)) {
        return None;
    }
    let mut spec = f.spec.clone();
    spec.at = None;
    spec.io = None;
    let mut visiting = vec![false; plan.structs.len()];
    match static_spec_size(plan, &spec, &mut visiting)? {
        (n, false) => Some(n),
        (_, true) => None,
    }
}

/// (size, true if counted in bits) of a spec, when static.
pub fn static_spec_size(
    plan: &Plan,
    s: &SpecPlan,
    visiting: &mut Vec<bool>,
) -> Option<(u64, bool)> {
    if s.if_.is_some() {
        return None;
    }
    if s.at.is_some() {
        return Some((0, false));
    }
    if let Some(sz) = s.size {
        return match plan.expr(sz) {
            PExpr::Int(v) if *v >= 0 => Some((*v as u64, false)),
            _ => None,
        };
    }
    if s.process.is_some() {
        // the rest of the region
        return None;
    }
    Some(match &s.ty {
        TypePlan::Int { size, .. } | TypePlan::Float { size, .. } | TypePlan::Enum { size, .. } => {
            (*size as u64, false)
        }
        TypePlan::Bool => (1, false),
        TypePlan::Bits { n, .. } => (*n as u64, true),
        TypePlan::Bytes(LenPlan::Fixed(n)) | TypePlan::Pad(LenPlan::Fixed(n)) => (*n, false),
        TypePlan::Str {
            kind: plan::StrKind::Fixed | plan::StrKind::ZFixed,
            len: LenPlan::Fixed(n),
            ..
        } => (*n, false),
        TypePlan::Pascal { len, .. } => (*len, false),
        TypePlan::Const { bytes, .. } => (bytes.len() as u64, false),
        TypePlan::Computed(_) => (0, false),
        TypePlan::Struct { id, .. } => (static_struct_size(plan, *id, visiting)?, false),
        TypePlan::Array(a) => {
            let LenPlan::Fixed(n) = a.len else {
                return None;
            };
            if a.each_if.is_some() || a.each_at.is_some() || a.each_size.is_some() {
                return None;
            }
            let (e, is_bits) = static_spec_size(plan, &a.elem, visiting)?;
            if is_bits {
                return None;
            }
            (e.checked_mul(n)?, false)
        }
        _ => return None,
    })
}

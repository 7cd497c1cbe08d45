//! Errors: descriptor errors with their messages, help and positions; data errors with the
//! path of the field that failed; hostile data (huge counts, offsets outside the input, no
//! progress, deep recursion, the value budget) rejected without crashing or allocating
//! what the data claims.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{assert_desc_err, cat, data_err, data_err_opts, decode, desc_error};
use serde_json::json;
use unstruct::decode::Options;
use unstruct::error::DataErrorKind;

// ------------------------------------------------------------------ descriptor errors

#[test]
fn unknown_type_with_suggestion() {
    let e = assert_desc_err("struct t {\n    a: u23\n}\n", "unknown type `u23`", (2, 8));
    assert_eq!(e.help.as_deref(), Some("did you mean `u32`?"));
    let e = assert_desc_err(
        "struct t {\n    h: headr\n}\nstruct header { a: u8 }\n",
        "unknown type `headr`",
        (2, 8),
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `header`?"));
}

#[test]
fn unknown_name_with_suggestion() {
    let e = assert_desc_err(
        "struct t {\n    count: u8\n    xs: u8[cont]\n}\n",
        "unknown name `cont`",
        (3, 12),
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `count`?"));
    let e = assert_desc_err(
        "struct t {\n    a: = offset\n}\n",
        "unknown name `offset`",
        (2, 10),
    );
    assert!(e.help.as_deref().unwrap_or("").contains("@offset"), "{e}");
}

#[test]
fn reference_to_a_later_field() {
    assert_desc_err(
        "struct t {\n    xs: u8[n]\n    n: u8\n}\n",
        "`n` is declared later (line 3)",
        (2, 12),
    );
}

#[test]
fn duplicate_names() {
    assert_desc_err(
        "struct t {\n    a: u8\n    a: u16\n}\n",
        "`a` is declared twice",
        (3, 5),
    );
    assert_desc_err(
        "struct t { a: u8 }\nstruct t { b: u8 }\n",
        "`t` is declared twice",
        (2, 8),
    );
    assert_desc_err(
        "struct t { a: u8 }\nenum t: u8 { x = 1 }\n",
        "`t` is declared twice",
        (2, 6),
    );
    assert_desc_err(
        "enum e: u8 { x = 1, x = 2 }\nstruct t { a: u8 }\n",
        "member `x` is declared twice",
        (1, 21),
    );
    assert_desc_err(
        "struct t { a: u8; _h: u8; _h: u8 }\n",
        "`_h` is declared twice",
        (1, 27),
    );
}

#[test]
fn wrong_argument_count() {
    assert_desc_err(
        "struct t {\n    e: entry(1, 2)\n}\nstruct entry(v) { a: u8 }\n",
        "`entry` takes 1 argument(s), 2 given",
        (2, 8),
    );
    assert_desc_err(
        "struct t {\n    e: entry\n}\nstruct entry(v) { a: u8 }\n",
        "takes 1 argument(s), 0 given",
        (2, 8),
    );
    assert_desc_err(
        "struct t {\n    a: = min(1)\n}\n",
        "`min` takes an array (or bytes), or at least 2 values; this is an integer",
        (2, 14),
    );
    assert_desc_err(
        "struct t {\n    a: = len(1, 2)\n}\n",
        "`len` takes 1 argument(s), 2 given",
        (2, 10),
    );
}

#[test]
fn type_errors() {
    assert_desc_err(
        "struct t {\n    a: = \"abc\" + 1\n}\n",
        "expected an integer, this is text",
        (2, 10),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    a: = s == 1\n}\n",
        "cannot compare text with an integer",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    a: = s < 1\n}\n",
        "`<` compares numbers",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    a: u8[s]\n}\n",
        "expected an integer, this is text",
        (3, 11),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    a: u8 if s\n}\n",
        "a condition must be",
        (3, 14),
    );
    assert_desc_err(
        "struct t {\n    n: u8\n    a: = n.x\n}\n",
        "`.x` needs a struct",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    h: h\n    a: = h.y\n}\nstruct h { x: u8 }\n",
        "struct `h` has no field `y`",
        (3, 12),
    );
    assert_desc_err(
        "struct t {\n    n: u8\n    a: = n[0]\n}\n",
        "indexing needs an array",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    k: u8\n    v: match k { \"ab\" => u8 }\n}\n",
        "a string pattern cannot match an integer",
        (3, 18),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    v: match s { 1 => u8 }\n}\n",
        "an integer pattern cannot match text",
        (3, 18),
    );
}

#[test]
fn unknown_function_enum_and_member() {
    let e = assert_desc_err(
        "struct t {\n    a: = lenn(1)\n}\n",
        "unknown function `lenn`",
        (2, 10),
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `len`?"));
    let e = assert_desc_err(
        "enum color: u8 { red = 1 }\nstruct t {\n    a: = color::rad\n}\n",
        "unknown member of `color` `rad`",
        (3, 17),
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `red`?"));
    assert_desc_err(
        "enum color: u8 { red = 1 }\nstruct t {\n    a: = colr::red\n}\n",
        "unknown enum `colr`",
        (3, 10),
    );
    assert_desc_err(
        "enum color: u8 { red = 1 }\nstruct t {\n    c: color\n    v: match c { rad => u8 }\n}\n",
        "unknown member of `color` `rad`",
        (4, 18),
    );
    assert_desc_err(
        "struct t {\n    k: u8\n    v: match k { red => u8 }\n}\n",
        "`red` is not a pattern here",
        (3, 18),
    );
    assert_desc_err(
        "struct t {\n    a: = 1 as colour\n}\n",
        "unknown enum or type `colour`",
        (2, 15),
    );
}

#[test]
fn this_outside_valid_and_until() {
    assert_desc_err(
        "struct t {\n    a: u8\n    b: = _ + 1\n}\n",
        "`_` means the value being checked",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    a: u8 if _\n}\n",
        "`_` means the value being checked",
        (2, 14),
    );
}

#[test]
fn until_on_a_counted_array() {
    assert_desc_err(
        "struct t {\n    a: u8[3] until _ == 0\n}\n",
        "`until` and `while` go with `[..]`",
        (2, 8),
    );
    assert_desc_err(
        "struct t {\n    a: u8 until _ == 0\n}\n",
        "`until` applies to arrays",
        (2, 11),
    );
}

#[test]
fn syntax_errors() {
    assert_desc_err(
        "struct t {\n    a: \"abc\n}\n",
        "unterminated string",
        (2, 8),
    );
    assert_desc_err("struct t {\n    a: u8\n", "expected `}`", (3, 1));
    assert_desc_err(
        "struct t {\n    a: u8 u16\n}\n",
        "expected the end of the field",
        (2, 11),
    );
    assert_desc_err("struct t {\n    a: u8[\n}\n", "expected", (3, 1));
    assert_desc_err("strct t { a: u8 }\n", "expected `struct`", (1, 1));
    assert_desc_err("struct t {\n    a: = 1 +\n}\n", "expected", (3, 1));
    assert_desc_err(
        "struct t {\n    a: = \"\\q\"\n}\n",
        "unknown escape",
        (2, 11),
    );
    assert_desc_err(
        "struct t {\n    a: [1, 0x100]\n}\n",
        "byte values must be 0..255",
        (2, 12),
    );
}

#[test]
fn root_with_parameters() {
    // it loads (check, layout, translate); decoding it as the root is the error
    let e = data_err("struct t(v) {\n    a: u8\n}\n", &[1]);
    assert!(e.to_string().contains("takes parameters (`v`)"), "{e}");
    // `root NAME` chooses another struct
    assert_eq!(
        decode("struct e(v) { a: u8 }\nstruct t { b: u8 }\nroot t\n", &[1]),
        json!({"b": 1})
    );
}

#[test]
fn unknown_builtin() {
    assert_desc_err(
        "struct t {\n    a: = @foo\n}\n",
        "unknown builtin `@foo`",
        (2, 10),
    );
}

#[test]
fn other_descriptor_errors() {
    assert_desc_err(
        "struct t { a: u8 }\nroot x\n",
        "no struct named `x`",
        (2, 6),
    );
    assert_desc_err(
        "encoding latin2\nstruct t { a: u8 }\n",
        "unknown encoding `latin2`",
        (1, 10),
    );
    assert_desc_err("struct u8 { a: u8 }\n", "built-in type name", (1, 8));
    assert_desc_err(
        "struct t {\n    a: u8 each size 2\n}\n",
        "`each` modifiers apply to arrays",
        (2, 21),
    );
    assert_desc_err(
        "struct t {\n    a: enm\n}\nenum enm: f32 { a = 1 }\n",
        "base type must be an integer",
        (4, 11),
    );
    assert_desc_err(
        "struct t {\n    a: align 0\n}\n",
        "`align` needs a positive number",
        (2, 14),
    );
    assert_desc_err(
        "struct t {\n    a: u8 size 1 size 2\n}\n",
        "`size` given twice",
        (2, 18),
    );
}

#[test]
fn end_of_field_error_names_the_usual_mistake() {
    for (desc, hint) in [
        (
            "struct t { x u32 }",
            "missing `:` after the field name? (`x: u32`)",
        ),
        ("struct t { x: u8, y: u8 }", "not `,`"),
        ("struct t { x: u8; y: u8 if x = 1 }", "write `==`"),
        (
            "struct t { x: unsigned int }",
            "`unsigned` is not a type here",
        ),
    ] {
        let e = desc_error(desc);
        assert!(e.message.contains("expected the end of the field"), "{e}");
        assert!(e.message.contains(hint), "{desc}: {e}");
    }
    for (desc, hint) in [
        ("struct t { x: uint32 }", "write `u32`"),
        ("struct t { x: u4 }", "write `u32`"),
        ("struct t { x: char[4] }", "`str[N]` or `strz` for text"),
    ] {
        let e = desc_error(desc);
        assert!(
            e.help.as_deref().is_some_and(|h| h.contains(hint)),
            "{desc}: {e}"
        );
    }
}

// ------------------------------------------------------------------ error paths

#[test]
fn data_error_paths_wav_style() {
    let d = r#"
endian little
struct wav {
    magic:  "RIFF"
    size:   u32
    form:   "WAVE"
    chunks: chunk[..]
}
struct chunk {
    id:     str[4]
    size:   u32
    body:   match id {
        "fmt " => fmt_chunk
        _      => bytes[..]
    } size size
    _:      pad[size % 2] if @remaining > 0
}
enum wave_format: u16 { pcm = 1, ieee_float = 3 }
struct fmt_chunk {
    format:      wave_format
    channels:    u16
    sample_rate: u32
}
"#;
    let good_fmt = cat(&[
        b"fmt ",
        &8u32.to_le_bytes(),
        &1u16.to_le_bytes(),
        &2u16.to_le_bytes(),
        &44100u32.to_le_bytes(),
    ]);
    let data_chunk = cat(&[b"data", &3u32.to_le_bytes(), &[1, 2, 3], &[0]]);
    let whole = cat(&[
        b"RIFF",
        &0u32.to_le_bytes(),
        b"WAVE",
        &data_chunk,
        &good_fmt,
    ]);
    assert_eq!(
        decode(d, &whole),
        json!({"magic": "RIFF", "size": 0, "form": "WAVE", "chunks": [
            {"id": "data", "size": 3, "body": "010203"},
            {"id": "fmt ", "size": 8, "body": {"format": "pcm", "channels": 2, "sample_rate": 44100}}
        ]})
    );
    // the second chunk's region is too small for sample_rate
    let short_fmt = cat(&[
        b"fmt ",
        &6u32.to_le_bytes(),
        &3u16.to_le_bytes(),
        &2u16.to_le_bytes(),
        &[0x44, 0xac],
    ]);
    let bad = cat(&[
        b"RIFF",
        &0u32.to_le_bytes(),
        b"WAVE",
        &data_chunk,
        &short_fmt,
    ]);
    let e = data_err(d, &bad);
    assert_eq!(e.path_string(), "wav.chunks[1].body.sample_rate");
    assert_eq!(e.kind, DataErrorKind::Truncated { need: 4, left: 2 });
    // 12 (RIFF header) + 12 (data chunk with pad) + 8 (chunk header) + 4 (format, channels)
    assert_eq!(e.offset, 36);
    let shown = e.to_string();
    assert!(
        shown.contains("wav.chunks[1].body.sample_rate at offset 0x24 (36)"),
        "{shown}"
    );
}

#[test]
fn error_paths_through_embedding_and_arrays() {
    let d = "
struct t { n: u8; common; items: item[n] }
struct common { k: u8 valid _ == 1 }
struct item { a: u8 valid _ < 5; b: u16 }
";
    // embedded fields are named directly (the embedding has no name)
    let e = data_err(d, &[1, 2]);
    assert_eq!(e.path_string(), "t.k");
    assert_eq!(e.offset, 1);
    let e = data_err(d, &[2, 1, 0, 0, 0, 5, 0, 0]);
    assert_eq!(e.path_string(), "t.items[1].a");
    assert_eq!(e.offset, 5);
    // two items need 6 bytes; 5 are left: rejected before the first item
    let e = data_err(d, &[2, 1, 0, 0, 0, 5, 0]);
    assert_eq!(e.path_string(), "t.items");
    assert_eq!(e.offset, 2);
    assert!(
        matches!(
            e.kind,
            DataErrorKind::CountTooLarge {
                count: 2,
                need: 6,
                left: 5
            }
        ),
        "{e}"
    );
}

// ------------------------------------------------------------------ hostile data

#[test]
fn huge_count_is_rejected_without_allocating() {
    let d = "struct t { n: u32; xs: u32[n] }";
    let data = cat(&[&u32::MAX.to_le_bytes(), &[0; 10]]);
    let start = std::time::Instant::now();
    let e = data_err(d, &data);
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
    assert!(
        matches!(
            e.kind,
            DataErrorKind::CountTooLarge {
                count: 4294967295,
                left: 10,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.path_string(), "t.xs");
    assert_eq!(e.offset, 4);
    // kept arrays (referenced later) too
    let d = "struct t { n: u32; xs: u8[n]; l: = len(xs) }";
    let e = data_err(d, &data);
    assert!(matches!(e.kind, DataErrorKind::CountTooLarge { .. }), "{e}");
    // elements of variable size count with their smallest size (here 1 byte: `k`)
    let d = "struct t { n: u32; xs: item[n]; l: = len(xs) }\nstruct item { k: u8; v: bytes[k] }";
    let e = data_err(d, &data);
    assert!(
        matches!(
            e.kind,
            DataErrorKind::CountTooLarge {
                count: 4294967295,
                need: 4294967295,
                left: 10
            }
        ),
        "{e}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    // huge lengths of bytes/str
    let e = data_err("struct t { n: u64; b: bytes[n] }", &u64::MAX.to_le_bytes());
    assert!(
        matches!(e.kind, DataErrorKind::Truncated { left: 0, .. }),
        "{e}"
    );
}

#[test]
fn at_outside_the_input() {
    let e = data_err("struct t { o: u32; x: u8 at o }", &100u32.to_le_bytes());
    assert_eq!(
        e.kind,
        DataErrorKind::AtOutside {
            target: 100,
            size: 4
        }
    );
    assert_eq!(e.path_string(), "t.x");
    let e = data_err("struct t { x: u8 at -1 }", &[1]);
    assert_eq!(
        e.kind,
        DataErrorKind::AtOutside {
            target: -1,
            size: 1
        }
    );
    // `at` exactly at the end is allowed, the read then fails
    let e = data_err("struct t { x: u8 at 1 }", &[1]);
    assert!(matches!(e.kind, DataErrorKind::Truncated { .. }), "{e}");
    let e = data_err("struct t { x: u8[2] each at 5 + @index }", &[1]);
    assert!(
        matches!(e.kind, DataErrorKind::AtOutside { target: 5, .. }),
        "{e}"
    );
    assert_eq!(e.path_string(), "t.x[0]");
}

#[test]
fn rest_array_without_progress() {
    let d = "struct t { xs: nothing[..] }\nstruct nothing { v: = 1 }";
    let e = data_err(d, &[1, 2]);
    assert_eq!(e.kind, DataErrorKind::NoProgress { index: 0 });
    let d = "struct t { xs: u8[..] each if 0 }";
    let e = data_err(d, &[1, 2]);
    assert!(matches!(e.kind, DataErrorKind::NoProgress { .. }), "{e}");
}

#[test]
fn deep_recursion_is_an_error_not_a_stack_overflow() {
    let d = "struct node { more: u8; next: node if more }";
    let data = vec![1u8; 100_000];
    let e = data_err(d, &data);
    assert!(matches!(e.kind, DataErrorKind::TooDeep(128)), "{e}");
    // a short chain is fine
    assert_eq!(
        decode(d, &[1, 1, 0]),
        json!({"more": 1, "next": {"more": 1, "next": {"more": 0}}})
    );
    // a recursion through `at` that never reads anything
    let d = "struct loop { next: loop at 0 }";
    let e = data_err(d, &[0]);
    assert!(matches!(e.kind, DataErrorKind::TooDeep(_)), "{e}");
    // arrays nested in recursion count too
    let d = "struct n { k: u8; kids: n[k] }";
    let e = data_err(d, &vec![1u8; 10_000]);
    assert!(matches!(e.kind, DataErrorKind::TooDeep(_)), "{e}");
    // a smaller limit
    let e = data_err_opts(
        "struct node { more: u8; next: node if more }",
        &[1; 20],
        Options {
            max_depth: 5,
            ..Options::default()
        },
    );
    assert_eq!(e.kind, DataErrorKind::TooDeep(5));
}

#[test]
fn value_budget() {
    let opts = Options {
        max_values: Some(10),
        ..Options::default()
    };
    let e = data_err_opts("struct t { xs: u8[..] }", &[0; 100], opts);
    assert_eq!(e.kind, DataErrorKind::Budget(10));
}

#[test]
fn truncated_input() {
    let e = data_err("struct t { a: u16; b: u32 }", &[1, 0, 2, 0]);
    assert_eq!(e.kind, DataErrorKind::Truncated { need: 4, left: 2 });
    assert_eq!(e.offset, 2);
    assert_eq!(e.path_string(), "t.b");
    assert_eq!(e.here, vec![2, 0]);
}

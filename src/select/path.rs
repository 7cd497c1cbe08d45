//! The `--select` path language: field names and array indexes, as in the error messages'
//! field paths and in jq.
//!
//! ```text
//! path    = ["."] step { step }
//! step    = name | "." name | "[" index "]" | "[*]" | "[]"
//! name    = (letter | "_") { letter | digit | "_" }      (a first step needs no dot)
//! index   = digits
//! ```
//!
//! `chunks[1].body`, `packets[*]`, `header.e_ident`, `.frames[]`. The path starts inside the
//! root value (the root's own name is not part of it).

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take_while, take_while1},
    character::complete::{char, satisfy},
    combinator::{all_consuming, map, opt, recognize},
    multi::many0,
    sequence::{delimited, pair, preceded},
};

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A field of an object.
    Field(String),
    /// Element N of an array.
    Index(u64),
    /// Every element of an array (`[*]` or `[]`).
    All,
}

/// A parsed `--select` path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub steps: Vec<Step>,
}

/// Why a path did not parse: the byte position and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {pos}")]
pub struct PathError {
    pub pos: usize,
    pub message: String,
}

impl Path {
    /// Whether the path goes through every element of an array.
    pub fn has_all(&self) -> bool {
        self.steps.contains(&Step::All)
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.steps.iter().enumerate() {
            match s {
                Step::Field(n) if i == 0 => write!(f, "{n}")?,
                Step::Field(n) => write!(f, ".{n}")?,
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::All => write!(f, "[*]")?,
            }
        }
        Ok(())
    }
}

type R<'a, T> = IResult<&'a str, T>;

fn name(i: &str) -> R<'_, String> {
    map(
        recognize(pair(
            satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
            take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        )),
        str::to_string,
    )
    .parse(i)
}

fn index(i: &str) -> R<'_, Step> {
    delimited(
        char('['),
        alt((
            map(tag("*"), |_| Step::All),
            map(take_while1(|c: char| c.is_ascii_digit()), |d: &str| {
                // more digits than a u64 holds: an index no array reaches
                Step::Index(d.parse().unwrap_or(u64::MAX))
            }),
            map(tag(""), |_| Step::All),
        )),
        char(']'),
    )
    .parse(i)
}

fn step(i: &str) -> R<'_, Step> {
    alt((map(preceded(char('.'), name), Step::Field), index)).parse(i)
}

fn path(i: &str) -> R<'_, Vec<Step>> {
    let first = alt((map(preceded(opt(char('.')), name), Step::Field), index));
    map(pair(first, many0(step)), |(f, mut rest)| {
        rest.insert(0, f);
        rest
    })
    .parse(i)
}

/// Parses a `--select` path.
pub fn parse(text: &str) -> Result<Path, PathError> {
    let text_trim = text.trim();
    match all_consuming(path).parse(text_trim) {
        Ok((_, steps)) => Ok(Path { steps }),
        Err(e) => {
            let rest = match &e {
                nom::Err::Error(e) | nom::Err::Failure(e) => e.input,
                nom::Err::Incomplete(_) => "",
            };
            // the longest prefix that parses says where the path went wrong
            let pos = longest_prefix(text_trim).unwrap_or(text_trim.len() - rest.len());
            let leading = text.len() - text.trim_start().len();
            let message = match text_trim[pos..].chars().next() {
                None if text_trim.is_empty() => "empty path: expected a field name or `[N]`".into(),
                None => "the path ends early: expected a field name after `.` or `]`".into(),
                Some(c) => format!(
                    "unexpected `{c}`: expected `.name`, `[N]` or `[*]` (names are letters, digits and `_`)"
                ),
            };
            Err(PathError {
                pos: leading + pos,
                message,
            })
        }
    }
}

/// Length of the longest prefix of `text` that is a complete path.
fn longest_prefix(text: &str) -> Option<usize> {
    let (rest, _) = path(text).ok()?;
    Some(text.len() - rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(s: &str) -> Vec<Step> {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).steps
    }

    #[test]
    fn examples() {
        use Step::*;
        assert_eq!(
            steps("chunks[1].body"),
            [Field("chunks".into()), Index(1), Field("body".into())]
        );
        assert_eq!(steps("packets[*]"), [Field("packets".into()), All]);
        assert_eq!(steps(".packets[]"), [Field("packets".into()), All]);
        assert_eq!(
            steps("header.e_ident"),
            [Field("header".into()), Field("e_ident".into())]
        );
        assert_eq!(steps("[3]"), [Index(3)]);
        assert_eq!(
            steps("a[0][1]._b2"),
            [Field("a".into()), Index(0), Index(1), Field("_b2".into())]
        );
        assert_eq!(steps(" x "), [Field("x".into())]);
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "chunks[1].body",
            "packets[*]",
            "header.e_ident",
            "[2].x",
            "a[*][0]",
        ] {
            let p = parse(s).unwrap();
            assert_eq!(p.to_string(), s);
            assert_eq!(parse(&p.to_string()).unwrap(), p);
        }
    }

    #[test]
    fn errors_say_where() {
        for (s, pos) in [
            ("", 0),
            ("a.", 1),
            ("a..b", 1),
            ("a[x]", 1),
            ("a[1", 1),
            ("1a", 0),
            ("a b", 1),
            ("a.b-c", 3),
            ("a[-1]", 1),
        ] {
            let e = parse(s).expect_err(s);
            assert_eq!(e.pos, pos, "{s}: {e}");
        }
        assert_eq!(
            parse("a[1").unwrap_err().to_string(),
            "unexpected `[`: expected `.name`, `[N]` or `[*]` (names are letters, digits and `_`) at position 1"
        );
    }

    #[test]
    fn huge_index_does_not_panic() {
        assert_eq!(
            steps("a[99999999999999999999999]"),
            [Step::Field("a".into()), Step::Index(u64::MAX)]
        );
    }
}

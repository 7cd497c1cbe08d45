//! YAML loading with positions: a small node tree built from `saphyr-parser` events.
//!
//! Scalars keep their text as written (and whether they were plain), so that Kaitai's own
//! literal rules (`0x0253_f200`, `0b1010`, expressions) are applied by the importer rather than
//! YAML's type guessing. Every node knows its byte range in the source.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// One YAML node with its byte range in the source.
#[derive(Clone, Debug)]
pub struct Node {
    pub kind: NodeKind,
    /// Byte offset where the node starts (for a quoted scalar: after the opening quote).
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A scalar as written; `plain` when it had no quotes (only those are type-guessed).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The text of a scalar.
    pub fn str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain `~`/`null` or an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.map()?
            .iter()
            .find(|(k, _)| k.str() == Some(key))
            .map(|(_, v)| v)
    }

    pub fn what(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { .. } => "a scalar",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error at a byte offset.
#[derive(Debug)]
pub struct YamlError {
    pub offset: usize,
    pub message: String,
}

/// Deepest nesting of lists and mappings (specs nest about ten deep; the readers of the
/// tree recurse).
const MAX_NESTING: usize = 64;

/// Parses the first document of `text`. Anchors and aliases are resolved by copying.
pub fn load(text: &str) -> Result<Node, YamlError> {
    // the parser counts characters; errors and nodes need byte offsets
    let char_bytes: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let byte_at = |ci: usize| char_bytes.get(ci).copied().unwrap_or(text.len());
    let mut stack: Vec<(Node, Option<Node>, usize)> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.map_err(|e| YamlError {
            offset: byte_at(e.marker().index()),
            message: e.info().to_string(),
        })?;
        let (start, end) = (byte_at(span.start.index()), byte_at(span.end.index()));
        let done: Option<(Node, usize)> = match ev {
            Event::Scalar(v, style, anchor, _) => {
                let quoted = !matches!(style, ScalarStyle::Plain);
                let start =
                    if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) {
                        (start + 1).min(end)
                    } else {
                        start
                    };
                Some((
                    Node {
                        kind: NodeKind::Scalar {
                            text: v.into_owned(),
                            plain: !quoted,
                        },
                        start,
                        end,
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_NESTING => {
                return Err(YamlError {
                    offset: start,
                    message: format!("nesting deeper than {MAX_NESTING} levels"),
                });
            }
            Event::SequenceStart(anchor, _) => {
                stack.push((
                    Node {
                        kind: NodeKind::Seq(Vec::new()),
                        start,
                        end,
                    },
                    None,
                    anchor,
                ));
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push((
                    Node {
                        kind: NodeKind::Map(Vec::new()),
                        start,
                        end,
                    },
                    None,
                    anchor,
                ));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some((mut n, _, anchor)) => {
                    n.end = end.max(n.start);
                    Some((n, anchor))
                }
                None => None,
            },
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => Some((n.clone(), 0)),
                None => {
                    return Err(YamlError {
                        offset: start,
                        message: "alias to an unknown anchor".into(),
                    });
                }
            },
            Event::DocumentEnd => break,
            _ => None,
        };
        let Some((node, anchor)) = done else { continue };
        nodes += 1;
        if nodes > 1_000_000 {
            return Err(YamlError {
                offset: start,
                message: "document too large (more than 1,000,000 nodes)".into(),
            });
        }
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some((parent, pending, _)) => match &mut parent.kind {
                NodeKind::Seq(items) => items.push(node),
                NodeKind::Map(entries) => match pending.take() {
                    None => *pending = Some(node),
                    Some(k) => entries.push((k, node)),
                },
                NodeKind::Scalar { .. } => {}
            },
        }
    }
    Ok(root.unwrap_or(Node {
        kind: NodeKind::Scalar {
            text: String::new(),
            plain: true,
        },
        start: 0,
        end: 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_plain_text() {
        let src = "meta:\n  id: x\nseq:\n  - id: a\n    size: 0x0253_f200\n    contents: 'ab'\n";
        let n = load(src).unwrap();
        let a = &n.get("seq").unwrap();
        let NodeKind::Seq(items) = &a.kind else {
            panic!()
        };
        let size = items[0].get("size").unwrap();
        assert_eq!(size.str(), Some("0x0253_f200"));
        assert_eq!(&src[size.start..size.start + 11], "0x0253_f200");
        let c = items[0].get("contents").unwrap();
        assert!(matches!(&c.kind, NodeKind::Scalar { plain: false, .. }));
        assert_eq!(&src[c.start..c.start + 2], "ab");
    }

    #[test]
    fn deep_nesting_is_an_error() {
        assert!(load(&"[".repeat(10_000)).is_err());
        let e = load(&format!("{}{}", "[".repeat(100), "]".repeat(100))).unwrap_err();
        assert!(e.message.contains("nesting"), "{}", e.message);
        assert!(load(&format!("{}{}", "[".repeat(60), "]".repeat(60))).is_ok());
    }

    #[test]
    fn errors_have_offsets() {
        let e = load("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.offset > 0);
    }
}

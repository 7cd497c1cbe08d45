//! Text encodings of `str` fields: validation (done by the decoder, so errors carry offsets)
//! and transcoding to UTF-8 (done by the JSON writer while it escapes).

/// A text encoding named in a descriptor (`encoding latin1`, `str[8] utf16le`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Utf8,
    Ascii,
    Latin1,
    Cp437,
    Utf16le,
    Utf16be,
    /// Java's modified UTF-8 (NUL as C0 80, supplementary characters as surrogate pairs).
    Mutf8,
}

impl Encoding {
    /// All encodings with the names used in descriptors.
    pub const ALL: [(&'static str, Encoding); 7] = [
        ("utf8", Encoding::Utf8),
        ("ascii", Encoding::Ascii),
        ("latin1", Encoding::Latin1),
        ("cp437", Encoding::Cp437),
        ("utf16le", Encoding::Utf16le),
        ("utf16be", Encoding::Utf16be),
        ("mutf8", Encoding::Mutf8),
    ];

    pub fn from_name(name: &str) -> Option<Encoding> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }

    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, e)| *e == self).map_or("utf8", |(n, _)| n)
    }
}

/// Checks that `raw` is valid text in `enc`. On failure returns the index of the first
/// byte that is not part of a valid character.
pub fn validate(raw: &[u8], enc: Encoding) -> Result<(), usize> {
    todo!("{raw:?} {enc:?}")
}

/// Calls `f` with each character of `raw` decoded from `enc`; invalid sequences become
/// U+FFFD (the writer only sees invalid input when the user asked for lossy decoding).
pub fn decode_chars(raw: &[u8], enc: Encoding, f: impl FnMut(char)) {
    todo!("{raw:?} {enc:?}")
}

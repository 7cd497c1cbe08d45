//! Getting the input bytes: files are memory-mapped, stdin is read (or streamed in records
//! mode by [`crate::records::run_stream`]).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The whole input in memory: a mapping of a file, or bytes read from a pipe.
pub enum InputBytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl InputBytes {
    pub fn bytes(&self) -> &[u8] {
        match self {
            InputBytes::Mapped(m) => m,
            InputBytes::Owned(v) => v,
        }
    }
}

/// Maps a file (falling back to reading it when it cannot be mapped, e.g. a FIFO or /proc).
pub fn open_file(path: &Path) -> io::Result<InputBytes> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() > 0 {
        // SAFETY: the mapping is read-only and lives as long as the returned value. If another
        // process truncates the file while it is mapped, reads of the lost pages fault (SIGBUS);
        // that is the documented cost of mapping, which users accept for speed on large files.
        if let Ok(m) = unsafe { memmap2::Mmap::map(&file) } {
            #[cfg(unix)]
            let _ = m.advise(memmap2::Advice::Sequential);
            return Ok(InputBytes::Mapped(m));
        }
    }
    let mut v = Vec::new();
    (&file).read_to_end(&mut v)?;
    Ok(InputBytes::Owned(v))
}

/// Reads all of a stream into memory.
pub fn read_all(mut r: impl Read) -> io::Result<InputBytes> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(InputBytes::Owned(v))
}

/// Discards the first `n` bytes of a stream (for `--offset` on stdin).
pub fn skip_stream(r: &mut impl Read, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), &mut io::sink())?;
    if copied < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("--offset {n} is past the end of the input ({copied} bytes)"),
        ));
    }
    Ok(())
}

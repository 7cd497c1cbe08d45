//! Command-line flags (clap derive), turned into a validated configuration, then run.

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use unstruct::columnar;
use unstruct::decode::{Input, Options};
use unstruct::emit::json::{IntStyle, JsonOptions, JsonWriter, Style};
use unstruct::emit::{BytesStyle, Sink};
use unstruct::error::{DataError, DataErrorKind, DescriptorError};
use unstruct::input::{self, InputBytes};
use unstruct::lang::{self, DefaultResolver, Source};
use unstruct::parallel;
use unstruct::plan::{Plan, StructId};
use unstruct::records::{self, OnError, RecordsConfig, RunError};
use unstruct::structfmt::{self, lower::StringMode};

mod document;
mod progress;
mod view;

/// The highest `--max-depth`: decoding runs on a 256 MiB stack (see `main.rs`).
const MAX_DEPTH: u32 = 10_000;

const EXAMPLES: &str = "\
Examples:
  unstruct -f wav samples/tone.wav                   decode with a bundled format
  unstruct -f my.struct --records rec data.bin       NDJSON, one record per line
  cat data.bin | unstruct -f my.struct --records rec -
  unstruct -s '<IhHd12sI' --names id,temp,flags,value,name,count data.bin
  unstruct -f png --offsets samples/tiny.png         where every value came from
  unstruct view -f pcap samples/tiny.pcap            each field next to its bytes
  unstruct check my.struct                           descriptor errors with line:col
  unstruct layout my.struct                          offsets and sizes of fields
  unstruct formats                                   the bundled formats
  unstruct formats png                               print a bundled descriptor
  unstruct detect samples/tiny.png                   which bundled format a file looks like
  unstruct samples/tiny.png                          no -f: the format is detected by its magic
  unstruct calcsize '@bhiq'                          like Python's struct.calcsize

Exit status: 0 success, 1 data error (after writing everything decoded before it),
2 usage or descriptor error.";

#[derive(Parser, Debug)]
#[command(name = "unstruct", version, about = "Decode binary files into JSON from a declarative descriptor or a Python struct format string.", after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// A directory searched for the imports of `.ksy` specs (repeatable; also the
    /// `UNSTRUCT_KSY_PATH` environment variable, `:`-separated).
    #[arg(short = 'I', long = "import-path", value_name = "DIR", global = true)]
    import_path: Vec<PathBuf>,
    #[command(flatten)]
    decode: DecodeArgs,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Check a descriptor for errors without reading any data.
    Check {
        /// Descriptor file or bundled format name.
        descriptor: String,
    },
    /// Print each field's offset and size where they do not depend on the data.
    Layout {
        /// Descriptor file or bundled format name.
        descriptor: String,
        /// Only this struct (default: every struct).
        #[arg(long)]
        root: Option<String>,
    },
    /// Show the decoded fields next to their bytes: offset, size, hex, name and value.
    View(Box<view::ViewArgs>),
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or with --dir write one page per command there.
    Man {
        /// Write unstruct.1, unstruct-view.1, … into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the `.struct` descriptor equivalent to a Kaitai Struct `.ksy` spec (with its
    /// imports), a migration aid and a readable view of how the spec is read.
    Translate {
        /// A `.ksy` spec.
        spec: String,
    },
    /// List the bundled formats, one line each; with NAME, print that format's descriptor.
    Formats {
        /// A bundled format whose descriptor to print (to copy and change).
        name: Option<String>,
    },
    /// Which bundled formats each file looks like, by their magic (like `file`).
    Detect {
        /// Files to look at.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the size of a Python struct format, like struct.calcsize.
    Calcsize {
        /// A Python struct format string, e.g. '<IhHd12sI'.
        format: String,
    },
    /// Split a record file into N record-aligned byte ranges, one `--offset X --length Y`
    /// line each, for runs in parallel (xargs, GNU parallel, Spark's pipe): the outputs of
    /// the runs, concatenated in shard order, equal one run over the file.
    #[command(after_help = SHARDS_EXAMPLE)]
    Shards {
        /// How many shards (fewer when the file has fewer records).
        #[arg(short = 'n', long = "shards", value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        n: u64,
        #[command(flatten)]
        decode: Box<DecodeArgs>,
    },
}

const SHARDS_EXAMPLE: &str = "\
Example:
  unstruct shards -f my.struct --records rec -n 8 data.bin |
    parallel -k -j 8 --colsep ' ' unstruct -f my.struct --records rec {} data.bin";

#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// Input file; `-` or nothing reads stdin.
    file: Option<PathBuf>,
    /// Descriptor: a `.struct` file, a Kaitai Struct `.ksy` spec, or the name of a bundled
    /// format (see `unstruct formats`).
    #[arg(short = 'f', long = "format", value_name = "DESCRIPTOR")]
    format: Option<String>,
    /// A Python struct format string such as '<IhHd12sI' (decodes records like struct.iter_unpack).
    #[arg(
        short = 's',
        long = "struct",
        value_name = "FMT",
        conflicts_with = "format"
    )]
    struct_fmt: Option<String>,
    /// Names for the values of a struct format, comma-separated (`_` skips a value).
    #[arg(long, value_delimiter = ',', requires = "struct_fmt")]
    names: Option<Vec<String>>,
    /// Records mode: decode TYPE (default: the root) again and again until the input ends; NDJSON.
    #[arg(long, value_name = "TYPE", num_args = 0..=1, default_missing_value = "")]
    records: Option<String>,
    /// The root struct (default: the first struct of the descriptor, or its `root` directive).
    #[arg(long, value_name = "NAME")]
    root: Option<String>,
    /// Records mode: skip the first N records.
    #[arg(long, value_name = "N", default_value_t = 0)]
    skip: u64,
    /// Records mode: write at most N records.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Decode the input from byte N on (as if the bytes before it did not exist); `-N`
    /// counts from the end of the input. Offsets in `--offsets` and in errors stay file
    /// offsets.
    #[arg(long, value_name = "N", value_parser = parse_offset, allow_negative_numbers = true)]
    offset: Option<Offset>,
    /// Decode at most N bytes of the input.
    #[arg(long, value_name = "N", value_parser = parse_number)]
    length: Option<u64>,
    /// Output: json (compact), pretty, or ndjson. Default: pretty on a terminal, else json;
    /// ndjson in records mode. Records mode also writes csv, tsv, arrow (an Arrow IPC
    /// stream) and parquet (to the file given with -O).
    #[arg(short = 'o', long, value_enum, value_name = "STYLE")]
    pub output: Option<OutputArg>,
    /// Write the output to FILE instead of stdout (needed for -o parquet).
    #[arg(short = 'O', long = "output-file", value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// How byte strings are written.
    #[arg(long, value_enum, default_value = "hex", value_name = "STYLE")]
    bytes: BytesArg,
    /// Write only the values at PATH (`chunks[1].body`, `packets[*]`, `header.e_ident`), each
    /// as a top-level value: with `[*]` and `-o ndjson`, one line per element as it is decoded.
    #[arg(long, value_name = "PATH", value_parser = parse_select)]
    select: Option<unstruct::select::Path>,
    /// On a data error, close the JSON with an `"@error": {"message", "offset", "path"}`
    /// member where decoding stopped, so that it is valid JSON (the exit status is still 1).
    #[arg(long)]
    partial: bool,
    /// No progress bar (shown on stderr, when it is a terminal and the output is not, for runs
    /// longer than a second).
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Add `"@offsets": {"field": [offset, size], ...}` to every object (file offsets).
    #[arg(long)]
    offsets: bool,
    /// How integers are written: numbers, or hex strings such as "0x1f".
    #[arg(long, value_enum, default_value = "number", value_name = "STYLE")]
    ints: IntsArg,
    /// Integers outside ±(2^53-1), which jq 1.6 and JavaScript round: numbers, or strings.
    #[arg(long, value_enum, default_value = "number", value_name = "STYLE")]
    big_ints: BigIntsArg,
    /// Decode invalid text with U+FFFD instead of stopping with an error.
    #[arg(long)]
    lossy: bool,
    /// Struct formats: write `s`, `p` and `c` as raw bytes (all of them) instead of text cut at NUL.
    #[arg(long, requires = "struct_fmt")]
    raw_bytes: bool,
    /// Records of a fixed size: allow a trailing partial record (it is reported on stderr).
    #[arg(long)]
    allow_remainder: bool,
    /// Records mode: stop at the first bad record, or skip it and report its range on stderr.
    #[arg(long, value_enum, default_value = "stop", value_name = "ACTION")]
    on_error: OnErrorArg,
    /// Records mode with fixed-size records (a file or stdin): decode with N threads
    /// (default: all cores). Output order is always input order.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Deepest nesting of structs, arrays and `at` jumps (at most 10000).
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..=MAX_DEPTH as i64))]
    max_depth: u32,
    /// Most values decoded from the input in all (default: 16 per input byte + 1M).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_values: Option<u64>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum OutputArg {
    Json,
    Pretty,
    Ndjson,
    Csv,
    Tsv,
    Arrow,
    Parquet,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum BytesArg {
    Hex,
    Base64,
    Array,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum IntsArg {
    Number,
    Hex,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum BigIntsArg {
    Number,
    String,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OnErrorArg {
    Stop,
    Skip,
}

/// Where `--offset` starts decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Offset {
    FromStart(u64),
    /// `-N`: N bytes before the end of the input.
    FromEnd(u64),
}

impl Offset {
    /// The start in an input of `len` bytes, or an error saying why there is none.
    fn resolve(self, len: u64) -> Result<u64, String> {
        match self {
            Offset::FromStart(n) if n <= len => Ok(n),
            Offset::FromStart(n) => Err(format!(
                "--offset {n} is past the end of the input ({len} bytes)"
            )),
            Offset::FromEnd(n) if n <= len => Ok(len - n),
            Offset::FromEnd(n) => Err(format!(
                "--offset -{n} is before the start of the input ({len} bytes)"
            )),
        }
    }
}

fn parse_offset(s: &str) -> Result<Offset, String> {
    match s.strip_prefix('-') {
        Some(rest) => parse_number(rest).map(Offset::FromEnd),
        None => parse_number(s).map(Offset::FromStart),
    }
}

fn parse_select(s: &str) -> Result<unstruct::select::Path, String> {
    unstruct::select::parse(s).map_err(|e| format!("bad path `{s}`: {e}"))
}

fn parse_number(s: &str) -> Result<u64, String> {
    let t = s.replace('_', "");
    let r = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16)
    } else {
        t.parse()
    };
    r.map_err(|e| format!("`{s}` is not a number ({e})"))
}

/// An error that has been rendered for the user, with its exit status.
#[derive(Debug)]
pub enum Failure {
    /// Usage or descriptor errors: exit 2.
    Usage(String),
    /// Data errors: exit 1.
    Data(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Usage(_) => ExitCode::from(2),
            Failure::Data(_) => ExitCode::from(1),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) => write!(f, "unstruct: {m}"),
            Failure::Data(m) => write!(f, "unstruct: error: {m}"),
        }
    }
}

impl std::error::Error for Failure {}

pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    Failure::Usage(msg.into()).into()
}

fn descriptor_error(e: DescriptorError) -> anyhow::Error {
    Failure::Usage(format!("error: {e}")).into()
}

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let _ = IMPORT_DIRS.set(unstruct::ksy::import_dirs(&cli.import_path));
    match cli.cmd {
        Some(Cmd::Check { descriptor }) => {
            let plan = load_descriptor(&descriptor, None)?;
            let n = plan.structs.len();
            println!(
                "{descriptor}: ok ({n} struct{}, {} enum{})",
                plural(n),
                plan.enums.len(),
                plural(plan.enums.len())
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Layout { descriptor, root }) => {
            let plan = load_descriptor(&descriptor, None)?;
            let only = match root {
                Some(r) => Some(
                    plan.struct_by_name(&r)
                        .ok_or_else(|| usage(format!("no struct named `{r}`")))?,
                ),
                None => None,
            };
            let mut out = io::stdout().lock();
            out.write_all(unstruct::layout::render(&plan, only).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Translate { spec }) => {
            if !unstruct::ksy::is_ksy(&spec) {
                return Err(usage(format!(
                    "`{spec}` is not a Kaitai Struct spec: translate reads `.ksy` files"
                )));
            }
            let text = std::fs::read_to_string(&spec)
                .map_err(|e| usage(format!("cannot read spec `{spec}`: {e}")))?;
            let source = Source {
                name: spec.clone(),
                text,
                dir: Path::new(&spec).parent().map(|p| p.to_path_buf()),
            };
            let dirs = IMPORT_DIRS.get().map_or(&[][..], Vec::as_slice);
            let out = unstruct::ksy::translate(source, dirs).map_err(descriptor_error)?;
            io::stdout().lock().write_all(out.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Formats { name: Some(name) }) => {
            let f = unstruct::formats::get(&name).ok_or_else(|| {
                usage(format!(
                    "no bundled format `{name}`; `unstruct formats` lists them"
                ))
            })?;
            io::stdout().lock().write_all(f.text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Detect { files }) => detect_cmd(&files),
        Some(Cmd::Formats { name: None }) => {
            let mut out = io::stdout().lock();
            let w = unstruct::formats::ALL
                .iter()
                .map(|f| f.name.len())
                .max()
                .unwrap_or(0);
            for f in unstruct::formats::ALL {
                writeln!(out, "{:w$}  {}", f.name, f.description)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Calcsize { format }) => {
            let f = structfmt::parse(&format).map_err(|e| struct_error(&format, e))?;
            println!("{}", f.size);
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Shards { n, decode }) => shards_cmd(*decode, n),
        Some(Cmd::View(a)) => view::run(*a),
        Some(Cmd::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // into a buffer first: the generator panics on a write error (a closed pipe)
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "unstruct", &mut script);
            io::stdout().write_all(&script)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Man { dir }) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match dir {
                Some(d) => clap_mangen::generate_to(cmd, &d)
                    .map_err(|e| usage(format!("cannot write to `{}`: {e}", d.display())))?,
                None => clap_mangen::Man::new(cmd).render(&mut io::stdout())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        None => decode_cmd(cli.decode),
    }
}

/// `unstruct shards`: record-aligned byte ranges of the input (within `--offset/--length`,
/// printed as offsets in the file).
fn shards_cmd(a: DecodeArgs, n: u64) -> Result<ExitCode> {
    if a.skip > 0 || a.count.is_some() {
        return Err(usage("--skip and --count do not apply to shards"));
    }
    let job = build_job(a)?;
    let Some(sid) = job.records else {
        return Err(usage(
            "shards splits record files: give --records TYPE (or a struct format)",
        ));
    };
    let Some(path) = &job.file else {
        return Err(usage("shards needs a file (stdin cannot be split)"));
    };
    let bytes = input::open_file(path)
        .map_err(|e| usage(format!("cannot open `{}`: {e}", path.display())))?;
    let all = bytes.bytes();
    let offset = job.offset.resolve(all.len() as u64).map_err(usage)?;
    let start = offset as usize;
    let end = match job.length {
        Some(len) => start
            .saturating_add(len.min(usize::MAX as u64) as usize)
            .min(all.len()),
        None => all.len(),
    };
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let found = unstruct::shards::shards(&job.plan, sid, &all[start..end], n, job.opts);
    let mut out = io::stdout().lock();
    for s in &found.shards {
        writeln!(out, "--offset {} --length {}", s.offset + offset, s.length)?;
    }
    out.flush()?;
    if let Some(e) = &found.stopped {
        eprintln!(
            "unstruct: note: records stop decoding here, so the rest of the input is one shard: {}",
            render_data_error(e, offset)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `unstruct detect`: the bundled formats whose magic each file has. Exit 0 when every file
/// matched one, 1 otherwise.
fn detect_cmd(files: &[PathBuf]) -> Result<ExitCode> {
    let mut out = io::stdout().lock();
    let mut all = true;
    for p in files {
        let head = match read_head(p) {
            Ok(h) => h,
            Err(e) => {
                all = false;
                writeln!(out, "{}: cannot read ({e})", p.display())?;
                continue;
            }
        };
        let found = unstruct::detect::candidates(&head);
        all &= !found.is_empty();
        let what = match &found[..] {
            [] => "no bundled format matches".to_string(),
            fs => fs
                .iter()
                .map(|f| format!("{} ({})", f.name, f.description))
                .collect::<Vec<_>>()
                .join("; or "),
        };
        writeln!(out, "{}: {what}", p.display())?;
    }
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The first bytes of a file, enough for every magic.
fn read_head(p: &Path) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    io::Read::read_to_end(
        &mut io::Read::take(std::fs::File::open(p)?, 4096),
        &mut head,
    )?;
    Ok(head)
}

/// The bundled format a file given without `-f` is decoded with: the one its magic names.
fn detected_format(file: Option<&Path>) -> Result<String> {
    let none =
        "give a descriptor with -f/--format or a struct format with -s/--struct (see --help)";
    let Some(p) = file.filter(|p| p.as_os_str() != "-") else {
        return Err(usage(none));
    };
    let head = read_head(p).map_err(|e| usage(format!("cannot open `{}`: {e}", p.display())))?;
    match &unstruct::detect::candidates(&head)[..] {
        [] => Err(usage(format!(
            "`{}` matches no bundled format by its magic; {none}",
            p.display()
        ))),
        [f] => {
            eprintln!(
                "unstruct: note: decoding as `{}` (detected by its magic; -f {} says so)",
                f.name, f.name
            );
            Ok(f.name.to_string())
        }
        fs => Err(usage(format!(
            "`{}` looks like {}: choose one with -f",
            p.display(),
            fs.iter().map(|f| f.name).collect::<Vec<_>>().join(" or ")
        ))),
    }
}

/// After a data error: the bundled formats the file looks like, when the descriptor used is
/// not one of them ("; this looks like gzip (-f gzip)").
fn looks_like(job: &Job) -> String {
    let Some(p) = &job.file else {
        return String::new();
    };
    let Ok(head) = read_head(p) else {
        return String::new();
    };
    let found = unstruct::detect::candidates(&head);
    if found.is_empty() || found.iter().any(|f| Some(f.name) == job.format.as_deref()) {
        return String::new();
    }
    let names: Vec<_> = found
        .iter()
        .map(|f| format!("{} (-f {})", f.name, f.name))
        .collect();
    format!("; this looks like {}", names.join(" or "))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn struct_error(fmt_str: &str, e: structfmt::StructFormatError) -> anyhow::Error {
    usage(format!("bad struct format {fmt_str:?}: {e}"))
}

/// Import directories of `.ksy` specs (`-I` and the environment), set once at start.
static IMPORT_DIRS: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();

/// Loads a descriptor from a file (`.ksy` specs by their extension), or a bundled format by
/// name.
fn load_descriptor(spec: &str, root: Option<&str>) -> Result<Plan> {
    let path = Path::new(spec);
    if unstruct::ksy::is_ksy(spec) {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read spec `{spec}`: {e}")))?;
        let source = Source {
            name: spec.to_string(),
            text,
            dir: path.parent().map(|p| p.to_path_buf()),
        };
        let dirs = IMPORT_DIRS.get().map_or(&[][..], Vec::as_slice);
        return unstruct::ksy::compile(source, root, dirs).map_err(descriptor_error);
    }
    let bundled = unstruct::formats::by_bare_name(spec);
    if bundled.is_some() && path.exists() {
        eprintln!(
            "unstruct: note: `{spec}` is the bundled format; write `./{spec}` for the file of that name"
        );
    }
    let source = if bundled.is_none() && path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read descriptor `{spec}`: {e}")))?;
        Source {
            name: spec.to_string(),
            text,
            dir: path.parent().map(|p| p.to_path_buf()),
        }
    } else if let Some(f) = unstruct::formats::get(spec.strip_suffix(".struct").unwrap_or(spec)) {
        Source {
            name: format!("<bundled:{}>", f.name),
            text: f.text.to_string(),
            dir: None,
        }
    } else {
        let names = unstruct::formats::ALL.iter().map(|f| f.name);
        let hint = match unstruct::error::closest(spec, names) {
            Some(c) => format!("; did you mean the bundled format `{c}`?"),
            None => "; `unstruct formats` lists the bundled formats".to_string(),
        };
        return Err(usage(format!(
            "no descriptor file `{spec}` and no bundled format of that name{hint}"
        )));
    };
    lang::compile(source, root, &DefaultResolver).map_err(descriptor_error)
}

pub struct Job {
    pub plan: Plan,
    pub records: Option<StructId>,
    json: JsonOptions,
    pub opts: Options,
    pub cfg: RecordsConfig,
    offset: Offset,
    length: Option<u64>,
    pub file: Option<PathBuf>,
    threads: usize,
    columnar: Option<Columnar>,
    pub select: Option<unstruct::select::Path>,
    pub partial: bool,
    /// Where decoding reports how far it got, when a progress bar is shown.
    progress: Option<std::sync::Arc<unstruct::progress::Progress>>,
    output_file: Option<PathBuf>,
    /// The descriptor's name without directory and `.struct` (`png`), for [`looks_like`].
    format: Option<String>,
}

/// The columnar outputs of records mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Columnar {
    /// CSV (`,`) or TSV (tab), with this separator.
    Csv(u8),
    Arrow,
    Parquet,
}

impl Columnar {
    fn name(self) -> &'static str {
        match self {
            Columnar::Csv(b',') => "csv",
            Columnar::Csv(_) => "tsv",
            Columnar::Arrow => "arrow",
            Columnar::Parquet => "parquet",
        }
    }
}

pub fn build_job(mut a: DecodeArgs) -> Result<Job> {
    if a.format.is_none() && a.struct_fmt.is_none() {
        a.format = Some(detected_format(a.file.as_deref())?);
    }
    let (plan, records) = if let Some(fmt_str) = &a.struct_fmt {
        if a.records.as_deref().is_some_and(|r| !r.is_empty()) {
            return Err(usage(
                "--records takes no TYPE with --struct (every record is the format)",
            ));
        }
        let f = structfmt::parse(fmt_str).map_err(|e| struct_error(fmt_str, e))?;
        if f.size == 0 {
            return Err(usage(format!(
                "bad struct format {fmt_str:?}: cannot iteratively unpack with a struct of length 0"
            )));
        }
        let strings = if a.raw_bytes {
            StringMode::Raw
        } else {
            StringMode::Text
        };
        // `--names 'a, b'`: the spaces after the commas are not part of the names
        let names: Option<Vec<String>> = a
            .names
            .as_ref()
            .map(|v| v.iter().map(|n| n.trim().to_string()).collect());
        let plan =
            structfmt::lower::to_plan(&f, names.as_deref(), strings).map_err(|e| match e {
                structfmt::lower::NamesError::TooManyValues(_) => {
                    usage(format!("bad struct format {fmt_str:?}: {e}"))
                }
                e => usage(format!("--names: {e}")),
            })?;
        (plan, Some(0))
    } else if let Some(desc) = &a.format {
        // clap's `requires` is not checked for flattened arguments: say it here
        for (given, flag, why) in [
            (
                a.names.is_some(),
                "--names",
                "a descriptor names its own fields",
            ),
            (
                a.raw_bytes,
                "--raw-bytes",
                "a descriptor says which fields are text",
            ),
        ] {
            if given {
                return Err(usage(format!(
                    "{flag} is for struct formats (-s/--struct); with -f, {why}"
                )));
            }
        }
        let plan = load_descriptor(desc, a.root.as_deref())?;
        // `--records data.bin` with no input file: the value was meant as the input
        if let Some(name) = a.records.as_deref()
            && a.file.is_none()
            && plan.struct_by_name(name).is_none()
            && Path::new(name).exists()
        {
            a.file = Some(PathBuf::from(name));
            a.records = Some(String::new());
        }
        let records = match a.records.as_deref() {
            None | Some("") => {
                // a root that takes parameters loads (for check, layout, translate), but
                // nothing passes them here
                if let Some(why) = unstruct::plan::params_needed(&plan, plan.root) {
                    return Err(usage(format!("cannot decode with this root: {why}")));
                }
                a.records.as_deref().map(|_| plan.root)
            }
            Some(name) => match plan.struct_by_name(name) {
                Some(id) if plan.structs[id as usize].params == 0 => Some(id),
                Some(_) => {
                    return Err(usage(format!(
                        "--records {name}: the struct takes parameters, so it cannot be a record"
                    )));
                }
                None => {
                    let hint = unstruct::error::closest(
                        name,
                        plan.structs.iter().map(|s| s.name.as_str()),
                    )
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                    return Err(usage(format!(
                        "--records {name}: no struct of that name{hint}"
                    )));
                }
            },
        };
        (plan, records)
    } else {
        return Err(usage(
            "give a descriptor with -f/--format or a struct format with -s/--struct (see --help)",
        ));
    };
    if records.is_none() {
        let flag = [
            (a.skip > 0, "--skip"),
            (a.count.is_some(), "--count"),
            (matches!(a.on_error, OnErrorArg::Skip), "--on-error skip"),
            (a.allow_remainder, "--allow-remainder"),
            (a.threads.is_some(), "--threads"),
        ]
        .into_iter()
        .find(|(given, _)| *given);
        if let Some((_, name)) = flag {
            return Err(usage(format!(
                "{name} needs records mode (--records TYPE, or a struct format)"
            )));
        }
    }
    if records.is_some() {
        let flag = [(a.select.is_some(), "--select"), (a.partial, "--partial")]
            .into_iter()
            .find(|(given, _)| *given);
        if let Some((_, name)) = flag {
            return Err(usage(format!(
                "{name} is for a whole-file decode, not records mode (every record is already a line)"
            )));
        }
    }
    let columnar = match a.output {
        Some(OutputArg::Csv) => Some(Columnar::Csv(b',')),
        Some(OutputArg::Tsv) => Some(Columnar::Csv(b'\t')),
        Some(OutputArg::Arrow) => Some(Columnar::Arrow),
        Some(OutputArg::Parquet) => Some(Columnar::Parquet),
        _ => None,
    };
    if let Some(c) = columnar {
        let name = c.name();
        if records.is_none() && a.select.is_none() {
            return Err(usage(format!(
                "-o {name} writes one row per record: it needs records mode (--records TYPE, or a struct format), or --select PATH to the records inside a file (`packets[*]`)"
            )));
        }
        if a.offsets {
            return Err(usage(format!(
                "--offsets is for JSON outputs, not -o {name}"
            )));
        }
        if c == Columnar::Parquet && a.output_file.is_none() {
            return Err(usage(
                "-o parquet writes a file: give its path with -O FILE",
            ));
        }
    }
    let style = match (a.output, records.is_some()) {
        (Some(OutputArg::Json), _) => Style::Compact,
        (Some(OutputArg::Pretty), _) => Style::Pretty,
        (Some(OutputArg::Ndjson), _) | (None, true) => Style::Ndjson,
        (Some(_), _) => Style::Ndjson,
        (None, false) => {
            if io::stdout().is_terminal() {
                Style::Pretty
            } else {
                Style::Compact
            }
        }
    };
    let bytes = match a.bytes {
        BytesArg::Hex => BytesStyle::Hex,
        BytesArg::Base64 => BytesStyle::Base64,
        BytesArg::Array => BytesStyle::Array,
    };
    Ok(Job {
        plan,
        records,
        json: JsonOptions {
            style,
            bytes,
            offsets: a.offsets,
            offsets_base: 0,
            ints: match (a.ints, a.big_ints) {
                (IntsArg::Hex, _) => IntStyle::Hex,
                (IntsArg::Number, BigIntsArg::String) => IntStyle::BigAsString,
                (IntsArg::Number, BigIntsArg::Number) => IntStyle::Number,
            },
        },
        opts: Options {
            lossy: a.lossy,
            max_depth: a.max_depth,
            max_values: a.max_values,
        },
        cfg: RecordsConfig {
            skip: a.skip,
            count: a.count,
            on_error: match a.on_error {
                OnErrorArg::Stop => OnError::Stop,
                OnErrorArg::Skip => OnError::Skip,
            },
            allow_remainder: a.allow_remainder,
        },
        offset: a.offset.unwrap_or(Offset::FromStart(0)),
        length: a.length,
        file: a.file.filter(|f| f.as_os_str() != "-"),
        columnar,
        select: a.select,
        partial: a.partial,
        progress: None,
        output_file: a.output_file,
        format: a
            .format
            .as_deref()
            .and_then(|f| Path::new(f).file_stem())
            .map(|s| s.to_string_lossy().into_owned()),
        threads: match a.threads {
            Some(0) => return Err(usage("--threads must be at least 1")),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        },
    })
}

fn decode_cmd(a: DecodeArgs) -> Result<ExitCode> {
    let quiet = a.quiet;
    let mut job = build_job(a)?;
    // a bar on the terminal, unless the output goes there too
    let bar = (!quiet
        && io::stderr().is_terminal()
        && (job.output_file.is_some() || !io::stdout().is_terminal()))
    .then(|| {
        let p = std::sync::Arc::new(unstruct::progress::Progress::new());
        job.progress = Some(p.clone());
        progress::Bar::start(p)
    });
    if job.file.is_none() && io::stdin().is_terminal() {
        return Err(usage(
            "no input: give a file, or pipe data to stdin (`-` reads stdin)",
        ));
    }
    let out = open_output(&job)?;
    // where the decoded range starts in the file: reported offsets are file offsets
    let base = std::cell::Cell::new(0u64);
    let mut report = |e: &DataError, start: u64, end: u64| {
        let (start, end) = (start + base.get(), end + base.get());
        eprintln!(
            "unstruct: skipped bytes {start:#x}..{end:#x} ({start}..{end}): {}",
            render_data_error(e, base.get())
        );
    };
    let (result, finish): (Result<records::Summary, RunError>, FinishFn) =
        match (job.columnar, job.records) {
            (Some(c), Some(sid)) => columnar_run(&job, c, sid, out, &base, &mut report)?,
            (Some(c), None) => {
                let path = job
                    .select
                    .as_ref()
                    .ok_or_else(|| usage("-o needs records"))?;
                let sid = unstruct::select::selected_struct(&job.plan, path)
                    .map_err(|e| usage(format!("-o {}: --select {path}: {e}", c.name())))?;
                columnar_run(&job, c, sid, out, &base, &mut report)?
            }
            _ => json_run(&job, out, &base, &mut report)?,
        };
    // the bar's line is cleared before anything more goes to stderr
    drop(bar);
    match result {
        Ok(summary) => {
            finish()?;
            if summary.remainder > 0 {
                eprintln!(
                    "unstruct: note: {} trailing bytes after the last whole record were not decoded",
                    summary.remainder
                );
            }
            if summary.skipped_bad > 0 {
                eprintln!(
                    "unstruct: {} bad record position(s) skipped",
                    summary.skipped_bad
                );
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(RunError::Data(e)) => {
            finish()?;
            // a document cut by the error ends without a newline: on a terminal the message
            // goes on a line of its own
            if job.records.is_none()
                && !job.partial
                && job.select.is_none()
                && job.output_file.is_none()
                && io::stdout().is_terminal()
            {
                let mut out = io::stdout().lock();
                out.write_all(b"\n")?;
                out.flush()?;
            }
            let hint = if base.get() == 0 {
                looks_like(&job)
            } else {
                String::new()
            };
            Err(Failure::Data(format!("{}{hint}", render_data_error(&e, base.get()))).into())
        }
        Err(RunError::Input(e)) => Err(anyhow::Error::new(e).context("reading stdin")),
        Err(RunError::Output(e)) => Err(anyhow::Error::new(e).context("cannot write the output")),
    }
}

/// Ends the output after a run (writes what is buffered, a file's footer).
type FinishFn = Box<dyn FnOnce() -> io::Result<()>>;

/// Where the input of a run comes from.
enum DataSource<'a> {
    /// Streamed stdin in records mode (bounded memory).
    Stream(Box<dyn io::Read + Send>),
    /// A mapped file, or stdin read whole.
    Slice(Input<'a>),
}

/// Opens the input (the file, or stdin with --offset and --length applied) and runs `f` on it.
/// Sets `base` to where the decoded range starts in the file.
fn with_input<T>(
    job: &Job,
    base: &std::cell::Cell<u64>,
    f: impl FnOnce(DataSource) -> T,
) -> Result<T> {
    // stdin is streamed in records mode, unless --offset counts from its end
    if let (None, Some(_), Offset::FromStart(skip)) = (&job.file, job.records, job.offset) {
        // not locked: parallel records mode reads it on a thread of its own
        let mut stdin = io::stdin();
        input::skip_stream(&mut stdin, skip).map_err(|e| usage(e.to_string()))?;
        base.set(skip);
        let mut reader: Box<dyn io::Read + Send> = match job.length {
            Some(n) => Box::new(io::Read::take(stdin, n)),
            None => Box::new(stdin),
        };
        // a stream's size is not known: the bar counts the bytes read
        if let Some(p) = &job.progress {
            reader = Box::new(progress::Counted::new(reader, p.clone()));
        }
        return Ok(f(DataSource::Stream(reader)));
    }
    let (bytes, range) = load_input(job)?;
    base.set(range.start as u64);
    let progress = job.progress.as_deref();
    if let Some(p) = progress {
        p.set_total(range.len() as u64);
    }
    Ok(f(DataSource::Slice(Input {
        progress,
        ..Input::whole(&bytes.bytes()[range])
    })))
}

/// The whole input (a memory-mapped file, or stdin read to the end) and the part of it that
/// `--offset`/`--length` select.
pub fn load_input(job: &Job) -> Result<(InputBytes, std::ops::Range<usize>)> {
    let bytes: InputBytes = match &job.file {
        Some(p) => {
            input::open_file(p).map_err(|e| usage(format!("cannot open `{}`: {e}", p.display())))?
        }
        None => input::read_all(io::stdin().lock()).context("reading stdin")?,
    };
    let len = bytes.bytes().len();
    let start = job.offset.resolve(len as u64).map_err(usage)? as usize;
    let end = match job.length {
        Some(n) => start
            .saturating_add(n.min(usize::MAX as u64) as usize)
            .min(len),
        None => len,
    };
    Ok((bytes, start..end))
}

/// A run with a JSON output: a document, or records as NDJSON (in parallel for fixed-size
/// records in a large file).
fn json_run(
    job: &Job,
    out: Box<dyn Write + Send>,
    base: &std::cell::Cell<u64>,
    report: records::SkipReport,
) -> Result<(Result<records::Summary, RunError>, FinishFn)> {
    let mut w = JsonWriter::new(out, job.json);
    let result = with_input(job, base, |src| {
        w.set_offsets_base(base.get());
        json_run_on(job, src, base.get(), &mut w, report)
    })?;
    Ok((result, Box::new(move || w.finish())))
}

/// [`json_run`] on the opened input; `base` is where it starts in the file.
fn json_run_on<W: Write + Send>(
    job: &Job,
    src: DataSource,
    base: u64,
    w: &mut JsonWriter<W>,
    report: records::SkipReport,
) -> Result<records::Summary, RunError> {
    match (src, job.records) {
        (DataSource::Stream(reader), Some(sid)) => match records::record_size(&job.plan, sid) {
            // fixed-size records: read on a thread of their own, decoded on every core
            Some(size) if size <= parallel::stream::MAX_RECORD => {
                w.finish().map_err(RunError::Output)?;
                parallel::stream::run(
                    &job.plan,
                    sid,
                    size,
                    reader,
                    job.opts,
                    &job.cfg,
                    JsonOptions {
                        offsets_base: base,
                        ..job.json
                    },
                    job.threads,
                    w.get_mut(),
                    report,
                )
            }
            _ => records::run_stream(&job.plan, sid, reader, job.opts, &job.cfg, w, report),
        },
        (DataSource::Stream(_), None) => unreachable_stream(),
        (DataSource::Slice(input), Some(sid)) => {
            let fixed = records::record_size(&job.plan, sid);
            match fixed {
                Some(size) if job.threads > 1 && input.data.len() >= 4 << 20 => {
                    w.finish().map_err(RunError::Output)?;
                    parallel::run(
                        &job.plan,
                        sid,
                        size,
                        input,
                        job.opts,
                        &job.cfg,
                        JsonOptions {
                            offsets_base: base,
                            ..job.json
                        },
                        job.threads,
                        w.get_mut(),
                        report,
                    )
                }
                _ => records::run_slice(&job.plan, sid, input, job.opts, &job.cfg, w, report),
            }
        }
        (DataSource::Slice(input), None) => document::run(job, input, base, w),
    }
}

/// Streams are only taken in records mode.
fn unreachable_stream() -> Result<records::Summary, RunError> {
    Err(RunError::Input(io::Error::other(
        "a document cannot be streamed",
    )))
}

/// A records run with a columnar output (CSV, TSV, Arrow IPC, Parquet).
fn columnar_run(
    job: &Job,
    kind: Columnar,
    sid: StructId,
    out: Box<dyn Write + Send>,
    base: &std::cell::Cell<u64>,
    report: records::SkipReport,
) -> Result<(Result<records::Summary, RunError>, FinishFn)> {
    let name = kind.name();
    let shape =
        columnar::record_shape(&job.plan, sid).map_err(|e| usage(format!("-o {name}: {e}")))?;
    let schema = columnar::arrow_schema_of(&shape);
    let mut csv = None;
    let mut writer: Box<dyn columnar::BatchWrite> = match kind {
        Columnar::Csv(sep) => {
            let w = columnar::CsvWriter::new(out, &schema, sep, job.json.bytes)
                .context("cannot write the output")?;
            csv = Some(w.format());
            Box::new(w)
        }
        Columnar::Arrow => Box::new(
            columnar::IpcWriter::new(io::BufWriter::with_capacity(1 << 20, out), &schema)
                .context("cannot write the output")?,
        ),
        Columnar::Parquet => {
            drop(out);
            let path = job.output_file.as_deref().unwrap_or(Path::new("-"));
            let file = std::fs::File::create(path)
                .map_err(|e| usage(format!("cannot create `{}`: {e}", path.display())))?;
            Box::new(
                columnar::ParquetWriter::new(file, &schema, job.threads)
                    .context("cannot write the output")?,
            )
        }
    };
    let fixed = records::record_size(&job.plan, sid).filter(|_| job.threads > 1);
    let run = with_input(
        job,
        base,
        move |src| -> (Result<records::Summary, RunError>, FinishFn) {
            match (src, fixed) {
                // fixed-size records of a large file: decoded (and CSV formatted) on every core
                (DataSource::Slice(input), Some(size)) if input.data.len() >= 4 << 20 => {
                    let (plan, cfg) = (&job.plan, &job.cfg);
                    let result = match csv {
                        Some(fmt) => columnar::parallel::run_fixed(
                            plan,
                            sid,
                            size,
                            input,
                            job.opts,
                            cfg,
                            job.threads,
                            &shape,
                            |batch| {
                                let mut buf = Vec::new();
                                fmt.format(&batch, &mut buf);
                                Ok(buf)
                            },
                            |text| writer.write_text(&text),
                            report,
                        ),
                        None => columnar::parallel::run_fixed(
                            plan,
                            sid,
                            size,
                            input,
                            job.opts,
                            cfg,
                            job.threads,
                            &shape,
                            Ok,
                            |batch| writer.write(batch),
                            report,
                        ),
                    };
                    (result, Box::new(move || writer.close()))
                }
                // --select PATH: the rows are the values at the path, as the document's
                // decode reaches them
                (DataSource::Slice(input), _) if job.records.is_none() => {
                    let mut b = columnar::BatchBuilder::new(&shape)
                        .with_output(columnar::DEFAULT_BATCH_ROWS, writer);
                    let result = document::run_select(job, input, base.get(), &mut b);
                    (result, Box::new(move || b.close()))
                }
                (src, _) => {
                    let mut b = columnar::BatchBuilder::new(&shape)
                        .with_output(columnar::DEFAULT_BATCH_ROWS, writer);
                    let (plan, cfg) = (&job.plan, &job.cfg);
                    let result = match src {
                        DataSource::Stream(reader) => {
                            records::run_stream(plan, sid, reader, job.opts, cfg, &mut b, report)
                        }
                        DataSource::Slice(input) => {
                            records::run_slice(plan, sid, input, job.opts, cfg, &mut b, report)
                        }
                    };
                    (result, Box::new(move || b.close()))
                }
            }
        },
    )?;
    Ok(run)
}

/// The output: the file given with -O, or stdout.
fn open_output(job: &Job) -> Result<Box<dyn Write + Send>> {
    match &job.output_file {
        Some(p) if job.columnar != Some(Columnar::Parquet) => {
            let f = std::fs::File::create(p)
                .map_err(|e| usage(format!("cannot create `{}`: {e}", p.display())))?;
            Ok(Box::new(f))
        }
        _ => Ok(stdout_for_blocks()),
    }
}

/// A data error for the user. `base` is where the decoded range starts in the file
/// (`--offset`): the error gives the file offset, and the offset inside the range after it.
pub fn render_data_error(e: &DataError, base: u64) -> String {
    let mut s = if base > 0 {
        let mut shifted = e.clone();
        shifted.offset += base;
        let rel = e.offset;
        format!("{shifted} (byte {rel:#x} ({rel}) of the --offset range)")
    } else {
        e.to_string()
    };
    // the limits that a flag raises, said where the flag can still raise them
    match e.kind {
        DataErrorKind::TooDeep(n) if n < MAX_DEPTH => s.push_str(" (raise with --max-depth)"),
        DataErrorKind::TooDeep(_) => {
            s.push_str(&format!(
                " ({MAX_DEPTH} is the most that --max-depth allows)"
            ));
        }
        DataErrorKind::Budget(_) => s.push_str(" (raise with --max-values)"),
        _ => {}
    }
    s
}

/// Standard output for a writer that writes large blocks: on Unix a duplicate of the file
/// descriptor, so that blocks go straight to the kernel. `io::stdout()` is line-buffered: it
/// searches every block for its last newline and copies the rest into its own buffer (for a
/// compact document with no newline, that search runs over the whole output). Elsewhere, or
/// if the descriptor cannot be duplicated, `io::stdout()` itself (a handle rather than a held
/// lock: parallel workers write from their threads).
fn stdout_for_blocks() -> Box<dyn Write + Send> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(io::stdout())
}

//! `unstruct view`: the annotated hex view of a decode.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};

use unstruct::decode::{Decoder, Input, Scratch};
use unstruct::emit::{BitPos, Sink};
use unstruct::view::{Layout, ViewOptions, ViewSink};

use super::{DecodeArgs, Failure, build_job, load_input, render_data_error, usage};

#[derive(Args, Debug)]
pub struct ViewArgs {
    #[command(flatten)]
    pub decode: DecodeArgs,
    /// Colours by kind of value: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorArg,
    /// Elements of an array shown before the rest is folded into one line.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    pub elements: u64,
    /// Show every element of every array (no folding).
    #[arg(long)]
    pub all: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Whether `--color` asks for colours on this standard output.
pub fn use_color(arg: ColorArg) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

pub fn run(a: ViewArgs) -> Result<ExitCode> {
    if a.decode.output.is_some() {
        return Err(usage("-o/--output does not apply to `view`"));
    }
    let job = build_job(a.decode)?;
    if job.file.is_none() && io::stdin().is_terminal() {
        return Err(usage(
            "no input: give a file, or pipe data to stdin (`-` reads stdin)",
        ));
    }
    let (bytes, range) = load_input(&job)?;
    let shift = range.start as u64;
    let data = &bytes.bytes()[range];
    let terminal = io::stdout().is_terminal();
    // a pipe gets the lines a terminal of $COLUMNS (or 80) columns would show
    let width = terminal
        .then(|| terminal_size::terminal_size_of(io::stdout()).map(|(w, _)| w.0 as usize))
        .flatten()
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .unwrap_or(80);
    let opts = ViewOptions {
        color: use_color(a.color),
        max_elems: (!a.all).then_some(a.elements),
        layout: Layout::new(shift + data.len() as u64, Some(width)),
    };
    let plan = &job.plan;
    let root = match job.records {
        Some(_) => "records".to_string(),
        None => plan.structs[plan.root as usize].name.clone(),
    };
    let out = io::BufWriter::new(io::stdout().lock());
    let mut view = ViewSink::new(shift, &root, out, opts);
    view.title();
    let input = Input::whole(data);
    let mut st = Scratch::default();
    let result = {
        let mut d = Decoder::new(plan, input, job.opts, &mut view, &mut st);
        match job.records {
            None => d.decode_root(plan.root, 0).map(|_| ()),
            Some(sid) => records(&mut d, sid, data, &job.cfg),
        }
    };
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            view.fail(&e);
            view.finish_view()?;
            let msg = render_data_error(&e, shift);
            // on a terminal the error is already on screen, in place
            if terminal {
                return Ok(ExitCode::from(1));
            }
            return Err(Failure::Data(msg).into());
        }
    };
    view.finish_view()?;
    Ok(code)
}

/// Records mode: every record is an element of one top-level array, `records`.
fn records<W: Write>(
    d: &mut Decoder<'_, '_, '_, ViewSink<W>>,
    sid: u32,
    data: &[u8],
    cfg: &unstruct::records::RecordsConfig,
) -> Result<(), unstruct::DataError> {
    d.sink().begin_array();
    let (mut pos, mut index) = (0usize, 0u64);
    let mut shown = 0u64;
    let at = |p: usize| BitPos {
        byte: p as u64,
        bit: 0,
    };
    while pos < data.len() && cfg.count.is_none_or(|c| shown < c) {
        let emit = index >= cfg.skip;
        if emit {
            d.sink().value_start(at(pos));
        }
        let next = d.decode_record(sid, pos, index, emit)?;
        if emit {
            d.sink().value_end(at(next), &data[pos..next]);
            shown += 1;
        }
        if next == pos {
            break;
        }
        pos = next;
        index += 1;
    }
    d.sink().end_array();
    Ok(())
}

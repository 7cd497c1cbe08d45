//! The progress bar on stderr: shown after a run has taken a second (or the seconds in
//! `UNSTRUCT_PROGRESS_DELAY`), on a terminal, and updated ten times a second from the input
//! offset the decoder reports.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use unstruct::progress::Progress;

/// How long a run goes before the bar appears, unless `UNSTRUCT_PROGRESS_DELAY` gives
/// another number of seconds (`0` shows it at once, `2.5` after two and a half seconds).
const DELAY: Duration = Duration::from_secs(1);

fn delay() -> Duration {
    std::env::var("UNSTRUCT_PROGRESS_DELAY")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .unwrap_or(DELAY)
}
const TICK: Duration = Duration::from_millis(100);

/// A running progress display; stopped (and its line cleared) when dropped.
pub struct Bar {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Starts the display of `progress` in a thread of its own.
    pub fn start(progress: Arc<Progress>) -> Bar {
        let done = Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        let thread = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || show(&progress, &stop))
            .ok();
        Bar { done, thread }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn show(p: &Progress, done: &AtomicBool) {
    let start = Instant::now();
    let delay = delay();
    while start.elapsed() < delay {
        if done.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let total = p.total();
    let (bar, template) = if total > 0 {
        (
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            "{bar:30} {percent:>3}% {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
    } else {
        (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            "{spinner} {bytes} {bytes_per_sec}",
        )
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    // drawn at least once, however soon the run ends
    loop {
        bar.set_position(p.pos());
        if done.load(Ordering::Relaxed) {
            break;
        }
        std::thread::sleep(TICK);
    }
    bar.finish_and_clear();
}

/// A reader that reports the bytes read so far as the progress of a streamed input.
pub struct Counted<R> {
    inner: R,
    progress: Arc<Progress>,
    read: u64,
}

impl<R> Counted<R> {
    pub fn new(inner: R, progress: Arc<Progress>) -> Self {
        Counted {
            inner,
            progress,
            read: 0,
        }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.progress.reach(self.read);
        Ok(n)
    }
}

//! Counts the heap Concord holds, so that no workspace, rule or template can take more
//! memory than `limits.memory_mib` allows, whatever it does between two checks.
//!
//! The `concord` binary installs [`Counting`] as its global allocator and calls [`govern`].
//! Rules compare [`heap_bytes`], and the growth of their own thread's [`thread_bytes`],
//! with their limits at every operation and stop with a located error. The allocator
//! itself is the backstop for growth no script check can see (a template doubling a list,
//! one operation copying a large value): an allocation that would pass the ceiling ends
//! the process with exit code 2 and a message naming the setting. Code that runs without
//! the allocator (the library on its own) reads zero here and is not bounded.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering::Relaxed};

/// The ceiling when no setting gives one: 2 GiB.
pub const DEFAULT_CEILING: usize = 2 << 30;

/// Bytes each thread may allocate or free before it updates the shared count; the count is
/// exact to within this much per thread.
const BATCH: isize = 256 << 10;

static HEAP: AtomicIsize = AtomicIsize::new(0);
/// No ceiling until a program asks for one with [`govern`].
static CEILING: AtomicUsize = AtomicUsize::new(usize::MAX);
static GOVERNED: AtomicBool = AtomicBool::new(false);

/// What a thread is doing, named in the message if the ceiling is passed there.
const LABEL: usize = 120;

thread_local! {
    static PENDING: Cell<isize> = const { Cell::new(0) };
    /// Bytes this thread has allocated less those it has freed, exactly: a rule's own
    /// memory is the growth of this count while it runs.
    static OWN: Cell<i64> = const { Cell::new(0) };
    static DOING: Cell<([u8; LABEL], usize)> = const { Cell::new(([0; LABEL], 0)) };
}

/// The system allocator, counted.
pub struct Counting;

// SAFETY: every call is forwarded to `System` with the same layout and pointer; the
// bookkeeping around it neither allocates nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        grow(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn grow(bytes: isize) {
    let _ = OWN.try_with(|own| own.set(own.get() + bytes as i64));
    let flushed = PENDING.try_with(|pending| {
        let now = pending.get() + bytes;
        if now.abs() < BATCH {
            pending.set(now);
            None
        } else {
            pending.set(0);
            Some(now)
        }
    });
    let delta = match flushed {
        Ok(None) => return,
        Ok(Some(delta)) => delta,
        Err(_) => bytes,
    };
    let total = HEAP.fetch_add(delta, Relaxed) + delta;
    if delta > 0 && total as usize > CEILING.load(Relaxed) {
        passed_the_ceiling();
    }
}

/// The heap Concord holds, in bytes; zero when the counting allocator is not installed.
pub fn heap_bytes() -> u64 {
    HEAP.load(Relaxed).max(0) as u64
}

/// Bytes this thread has allocated less those it has freed; zero when the counting
/// allocator is not installed.
pub fn thread_bytes() -> i64 {
    OWN.try_with(Cell::get).unwrap_or(0)
}

/// Puts the whole process under the ceiling: [`DEFAULT_CEILING`] until a workspace's
/// `limits.memory_mib` sets another. Called once by a program that runs one check at a
/// time (the `concord` binary); a program that loads several workspaces at once (a test
/// harness) leaves it off, since one workspace's setting cannot speak for the others.
pub fn govern() {
    GOVERNED.store(true, Relaxed);
    CEILING.store(DEFAULT_CEILING, Relaxed);
}

/// Tunes glibc's allocator for one large check. Other allocators are left as they are.
///
/// - Arenas are capped at one per core. glibc otherwise keeps up to eight per core, and
///   memory freed in one arena (the files' trees, read on several threads) is not reused
///   by another, so a 100,000-instrument check held about 55 MB more than it needed.
/// - Blocks of 128 KiB and more are always mapped on their own, and so given back whole
///   when freed. glibc otherwise raises that threshold each time such a block is freed,
///   after which the files' texts and the growing lists were carved out of the arenas and
///   left holes there: 6 MB more at the peak of a 100,000-instrument check.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
        // SAFETY: `mallopt` only sets tuning parameters; it is called before any thread
        // is started, and a refusal (a zero return) leaves glibc's default in place.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 << 10);
        }
    }
}

/// Gives the memory freed since the last check back to the system, for a process that
/// waits between checks (`concord watch`): glibc keeps freed memory in its arenas, and a
/// watcher of a 100,000-instrument workspace otherwise sat at 100 MB while it waited.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` returns only memory that is free in glibc's arenas to the
    // system; it touches no block in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Sets the ceiling, in bytes, that no allocation may pass, if the process is governed.
pub fn set_ceiling(bytes: u64) {
    if GOVERNED.load(Relaxed) {
        CEILING.store(usize::try_from(bytes).unwrap_or(usize::MAX), Relaxed);
    }
}

/// The ceiling, in bytes.
pub fn ceiling() -> u64 {
    CEILING.load(Relaxed) as u64
}

/// Names what this thread is doing until the returned guard is dropped, for the message
/// printed if the ceiling is passed: "running rule `X`", "reading `FILE`".
pub fn doing(what: &str) -> Doing {
    let mut label = [0u8; LABEL];
    let mut len = what.len().min(LABEL);
    while !what.is_char_boundary(len) {
        len -= 1;
    }
    label[..len].copy_from_slice(&what.as_bytes()[..len]);
    let before = DOING.replace((label, len));
    Doing(before)
}

/// Restores what the thread was doing before.
pub struct Doing(([u8; LABEL], usize));

impl Drop for Doing {
    fn drop(&mut self) {
        DOING.set(self.0);
    }
}

/// Writes the message and ends the process. It runs inside the allocator, so it builds
/// the message on the stack and leaves without unwinding or running destructors.
#[cold]
fn passed_the_ceiling() -> ! {
    let mut message = Message::default();
    message.push(b"error: Concord's memory passed its limit of ");
    message.number((CEILING.load(Relaxed) >> 20) as u64);
    message.push(b" MiB");
    let (label, len) = DOING.try_with(Cell::get).unwrap_or(([0; LABEL], 0));
    if len > 0 {
        message.push(b" while ");
        message.push(&label[..len]);
    }
    message.push(
        b"\n  = help: the limit is `limits.memory_mib` in `concord.yaml`; \
          raise it only if the workspace is trusted and really needs more\n",
    );
    // SAFETY: writes a buffer we own to the standard error descriptor, then leaves the
    // process without running any more Rust code.
    unsafe {
        libc::write(2, message.bytes.as_ptr().cast(), message.len);
        libc::_exit(2)
    }
}

struct Message {
    bytes: [u8; 512],
    len: usize,
}

impl Default for Message {
    fn default() -> Self {
        Message {
            bytes: [0; 512],
            len: 0,
        }
    }
}

impl Message {
    fn push(&mut self, text: &[u8]) {
        let n = text.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&text[..n]);
        self.len += n;
    }

    fn number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[at..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_decimal() {
        let mut m = Message::default();
        m.number(0);
        m.push(b" ");
        m.number(2048);
        assert_eq!(&m.bytes[..m.len], b"0 2048");
    }

    #[test]
    fn a_long_label_is_cut_at_a_character_boundary() {
        let long = "规则".repeat(40);
        let guard = doing(&long);
        let (label, len) = DOING.get();
        assert!(len <= LABEL && std::str::from_utf8(&label[..len]).is_ok());
        drop(guard);
        assert_eq!(DOING.get().1, 0);
    }

    #[test]
    fn the_message_is_cut_rather_than_overflowing() {
        let mut m = Message::default();
        m.push(&[b'x'; 600]);
        assert_eq!(m.len, 512);
    }
}

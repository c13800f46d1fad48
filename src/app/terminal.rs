//! The user's terminal: raw mode while a remote TTY owns it, and its size.

use std::os::fd::AsRawFd;

/// Puts standard input's terminal in raw mode (keys pass through as typed,
/// Ctrl-C included) until dropped, which restores it.
pub struct RawMode {
    saved: libc::termios,
}

impl RawMode {
    /// `None` when standard input is not a terminal.
    pub fn enter() -> Option<RawMode> {
        let fd = std::io::stdin().as_raw_fd();
        // SAFETY: termios is plain data; tcgetattr fills it or fails.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return None;
        }
        let mut raw = saved;
        // SAFETY: cfmakeraw only edits the struct it is given.
        unsafe { libc::cfmakeraw(&mut raw) };
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            return None;
        }
        Some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let fd = std::io::stdin().as_raw_fd();
        // SAFETY: restores the settings read in `enter`.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &self.saved) };
    }
}

/// Rows and columns of the terminal on standard output, if it is one.
pub fn size() -> Option<(u16, u16)> {
    let fd = std::io::stdout().as_raw_fd();
    // SAFETY: winsize is plain data; the ioctl fills it or fails.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    if unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) } != 0 || size.ws_row == 0 {
        return None;
    }
    Some((size.ws_row, size.ws_col))
}

//! Reading an input file the user named: only a regular file, and only up to a cap, so that a
//! FIFO named `r.json` cannot hang a command and a device file cannot be read until memory runs
//! out. The file is opened without blocking (a FIFO with no writer would block the open itself)
//! and checked through its open descriptor, so it cannot be swapped between check and read.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why an input cannot be read. Each names the path as the user gave it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a regular file ({kind}): refusing to read it")]
    Special { path: PathBuf, kind: &'static str },
    #[error("{path} is larger than {} (the most a flopmeter input may be)", crate::units::bytes(*.cap))]
    TooLarge { path: PathBuf, cap: u64 },
}

/// What a file that is not a regular one is, for messages.
pub(crate) fn kind_of(meta: &fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    o.open(path)
}

/// The text of `path`, a regular file of at most `cap` bytes.
pub fn read_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = open_nonblocking(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::Special {
            path: path.to_path_buf(),
            kind: kind_of(&meta),
        });
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    // The file may grow while it is read: never read past the cap.
    let mut text = String::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_string(&mut text).map_err(io)?;
    if text.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    Ok(text)
}

/// Whether `path` is a regular file (following links), without opening it.
pub fn is_regular(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_special_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("r.json");
        fs::write(&f, "0123456789").unwrap();
        assert_eq!(read_text(&f, 10).unwrap(), "0123456789");
        assert!(matches!(
            read_text(&f, 9).unwrap_err(),
            ReadError::TooLarge { .. }
        ));
        let e = read_text(dir.path(), 10).unwrap_err();
        assert!(e.to_string().contains("a folder"), "{e}");
        #[cfg(unix)]
        {
            let e = read_text(Path::new("/dev/zero"), 10).unwrap_err();
            assert!(e.to_string().contains("a device"), "{e}");
            let fifo = dir.path().join("fifo.json");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                let e = read_text(&fifo, 10).unwrap_err();
                assert!(e.to_string().contains("a FIFO"), "{e}");
            }
        }
    }
}

//! The files a command reads and writes. Outputs (results, reports, charts) are written
//! atomically: into a temporary beside them (`temporary`: created exclusively under a random name,
//! never through a link), then renamed, so a reader never sees half a file. A new file gets the
//! mode the umask gives; a replaced one keeps its mode, less any setuid/setgid bit (set through
//! the open temporary, never through a path). An output is never one of the command's inputs,
//! a FIFO, a device or a folder; through a symbolic link, its target is written and the link
//! kept. Inputs (`read`) are regular files of bounded size.

mod read;
mod temporary;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use read::{is_regular, read_text, ReadError};
pub use temporary::{file_safe, is_temporary};

use temporary::folder_of;

/// Why a file cannot be written. Each names the path as the user gave it.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path} is a folder")]
    Folder { path: PathBuf },
    #[error("{path} is not a regular file ({kind}): refusing to replace it")]
    Special { path: PathBuf, kind: &'static str },
    #[error("{path} is also an input of this command: refusing to overwrite it")]
    Input { path: PathBuf },
    #[error("{first} and {second} are the same file: give each output its own")]
    SameOutput { first: PathBuf, second: PathBuf },
    #[error("{path}: its folder {parent} is a file, not a folder")]
    ParentNotFolder { path: PathBuf, parent: PathBuf },
    #[error("{path} is a link to a missing file")]
    DanglingLink { path: PathBuf },
    #[error("{path}: the name is too long for its file system")]
    NameTooLong { path: PathBuf },
    #[error("cannot write {path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

fn io(path: &Path, e: std::io::Error) -> FileError {
    if name_too_long(&e) {
        return FileError::NameTooLong {
            path: path.to_path_buf(),
        };
    }
    FileError::Io {
        path: path.to_path_buf(),
        reason: e.kind().to_string(),
    }
}

fn name_too_long(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ENAMETOOLONG)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// The file really written for `path`: itself, or the target of the link it is.
fn target(path: &Path) -> Result<PathBuf, FileError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).map_err(|_| FileError::DanglingLink {
                path: path.to_path_buf(),
            })
        }
        Err(e) if name_too_long(&e) => Err(io(path, e)),
        _ => Ok(path.to_path_buf()),
    }
}

/// Where `path` is, whatever its spelling (`r.md`, `./r.md`, a link to it), for comparing
/// paths that may not exist yet.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(c) = fs::canonicalize(path) {
        return c;
    }
    match (fs::canonicalize(folder_of(path)), path.file_name()) {
        (Ok(folder), Some(name)) => folder.join(name),
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// The same file: one inode (hard links too) where both exist, else the same resolved path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (fs::metadata(a), fs::metadata(b)) {
            return (x.dev(), x.ino()) == (y.dev(), y.ino());
        }
    }
    resolved(a) == resolved(b)
}

/// Refuses two outputs of one command that are the same file, however they are spelled.
pub fn check_distinct(outputs: &[&Path]) -> Result<(), FileError> {
    for (i, a) in outputs.iter().enumerate() {
        if let Some(b) = outputs[i + 1..].iter().find(|b| same_file(a, b)) {
            return Err(FileError::SameOutput {
                first: a.to_path_buf(),
                second: b.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// The file to write for `path` (a link's target), refused when it exists and is not a regular
/// file, or when its name is too long.
fn writable_target(path: &Path) -> Result<PathBuf, FileError> {
    let real = target(path)?;
    match fs::metadata(&real) {
        Ok(m) if m.is_dir() => Err(FileError::Folder {
            path: path.to_path_buf(),
        }),
        Ok(m) if !m.is_file() => Err(FileError::Special {
            path: path.to_path_buf(),
            kind: read::kind_of(&m),
        }),
        Err(e) if name_too_long(&e) => Err(io(path, e)),
        _ => Ok(real),
    }
}

/// Checks up front that `path` can be written and is none of `inputs`, creating its missing
/// folders, so a long run does not end in a write error and an input is never overwritten. The
/// probe is the real temporary the write will use, created and removed.
pub fn check_output(path: &Path, inputs: &[&Path]) -> Result<(), FileError> {
    if inputs.iter().any(|i| same_file(path, i)) {
        return Err(FileError::Input {
            path: path.to_path_buf(),
        });
    }
    let real = writable_target(path)?;
    let dir = folder_of(&real);
    if let Some(file) = dir.ancestors().find(|a| a.is_file()) {
        return Err(FileError::ParentNotFolder {
            path: path.to_path_buf(),
            parent: file.to_path_buf(),
        });
    }
    fs::create_dir_all(&dir).map_err(|e| io(path, e))?;
    temporary::create(&real).map_err(|e| io(path, e))?;
    Ok(())
}

/// The mode a replaced file keeps: its permission bits, without setuid, setgid or sticky.
#[cfg(unix)]
fn kept_mode(real: &Path) -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    // Not through a link: a link swapped in since the target was resolved gives no mode.
    let m = fs::symlink_metadata(real).ok().filter(|m| m.is_file())?;
    Some(fs::Permissions::from_mode(m.permissions().mode() & 0o777))
}

#[cfg(not(unix))]
fn kept_mode(_: &Path) -> Option<fs::Permissions> {
    None
}

/// Writes `text` to `path` atomically (see the module's first comment).
pub fn write_atomic(path: &Path, text: &str) -> Result<(), FileError> {
    write_atomic_bytes(path, text.as_bytes())
}

/// As `write_atomic`, for bytes (an image).
pub fn write_atomic_bytes(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut f = AtomicFile::create(path)?;
    f.write(bytes)?;
    f.commit()
}

/// A file written in pieces (a cluster file as its ranks are merged) and put in place at once
/// by `commit`, as `write_atomic` does; dropped before that, it leaves nothing behind.
pub struct AtomicFile {
    path: PathBuf,
    real: PathBuf,
    tmp: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// The temporary beside `path`, ready to be written.
    pub fn create(path: &Path) -> Result<AtomicFile, FileError> {
        let real = writable_target(path)?;
        fs::create_dir_all(folder_of(&real)).map_err(|e| io(path, e))?;
        temporary::remove_stale(&real);
        let tmp = temporary::create(&real).map_err(|e| io(path, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            real,
            tmp: std::io::BufWriter::with_capacity(1 << 20, tmp),
        })
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), FileError> {
        self.tmp.write_all(bytes).map_err(|e| io(&self.path, e))
    }

    /// The temporary's path, to read back what was written before it is committed.
    pub fn temporary(&mut self) -> Result<&Path, FileError> {
        self.tmp.flush().map_err(|e| io(&self.path, e))?;
        Ok(self.tmp.get_ref().path())
    }

    /// Flushes, syncs and renames the temporary onto the file.
    pub fn commit(self) -> Result<(), FileError> {
        let AtomicFile { path, real, tmp } = self;
        let tmp = tmp.into_inner().map_err(|e| io(&path, e.into_error()))?;
        if let Some(mode) = kept_mode(&real) {
            // fchmod on the open file: never a chmod through a path someone could swap.
            tmp.as_file()
                .set_permissions(mode)
                .map_err(|e| io(&path, e))?;
        }
        tmp.as_file().sync_all().map_err(|e| io(&path, e))?;
        // On failure the temporary is removed when the error drops it.
        tmp.persist(&real).map_err(|e| io(&path, e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_leaves_only_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.json");
        write_atomic(&out, "{}").unwrap();
        check_output(&out, &[]).unwrap();
        write_atomic(&out, "[]").unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), "[]");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode_without_setuid_or_setgid() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.json");
        for (before, after) in [(0o640, 0o640), (0o6755, 0o755), (0o2700, 0o700)] {
            fs::write(&kept, "0").unwrap();
            fs::set_permissions(&kept, fs::Permissions::from_mode(before)).unwrap();
            write_atomic(&kept, "1").unwrap();
            let mode = fs::metadata(&kept).unwrap().permissions().mode() & 0o7777;
            assert_eq!(mode, after, "{before:o}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_are_written_through_and_special_files_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, "new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        let e = check_output(Path::new("/dev/null"), &[]).unwrap_err();
        assert!(matches!(e, FileError::Special { .. }), "{e}");
        let e = write_atomic(Path::new("/dev/null"), "x").unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn inputs_folders_and_file_parents_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.json");
        fs::write(&input, "{}").unwrap();
        let e = check_output(&input, &[input.as_path()]).unwrap_err();
        assert!(matches!(e, FileError::Input { .. }), "{e}");
        assert!(matches!(
            check_output(dir.path(), &[]).unwrap_err(),
            FileError::Folder { .. }
        ));
        let under_a_file = input.join("out.json");
        let e = check_output(&under_a_file, &[]).unwrap_err();
        assert!(e.to_string().contains("is a file, not a folder"), "{e}");
    }

    #[test]
    fn one_file_under_two_spellings_is_one_output() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("r.md");
        let b = dir.path().join(".").join("r.md");
        let c = dir.path().join("sub").join("..").join("r.md");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let e = check_distinct(&[&a, &b]).unwrap_err();
        assert!(matches!(e, FileError::SameOutput { .. }), "{e}");
        assert!(check_distinct(&[&a, &c]).is_err());
        assert!(check_distinct(&[&a, &dir.path().join("r.html")]).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn long_names_are_written_or_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        // 250 bytes: a valid name whose temporary would not be, were it named after it whole.
        let long = dir.path().join(format!("{}.json", "a".repeat(245)));
        check_output(&long, &[]).unwrap();
        write_atomic(&long, "{}").unwrap();
        assert_eq!(fs::read_to_string(&long).unwrap(), "{}");
        let too_long = dir.path().join(format!("{}.json", "b".repeat(300)));
        let e = check_output(&too_long, &[]).unwrap_err();
        assert!(matches!(e, FileError::NameTooLong { .. }), "{e}");
        let e = write_atomic(&too_long, "{}").unwrap_err();
        assert!(matches!(e, FileError::NameTooLong { .. }), "{e}");
    }
}

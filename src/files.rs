//! Writing the files a command produces (results, reports, charts) safely: atomically through a
//! temporary file and a rename, with the mode any tool would give them (the umask's, or the
//! replaced file's), never onto one of the command's inputs or onto a FIFO, a device or a
//! folder; through a symbolic link, its target is written and the link kept. A temporary left
//! by a killed run is named after its file and removed by the next write of that file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a file cannot be written. Each names the path as the user gave it.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path} is a folder")]
    Folder { path: PathBuf },
    #[error("{path} is not a regular file ({kind}): refusing to replace it")]
    Special { path: PathBuf, kind: &'static str },
    #[error("{path} is also an input of this command: refusing to overwrite it")]
    Input { path: PathBuf },
    #[error("{path}: its folder {parent} is a file, not a folder")]
    ParentNotFolder { path: PathBuf, parent: PathBuf },
    #[error("{path} is a link to a missing file")]
    DanglingLink { path: PathBuf },
    #[error("cannot write {path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

fn io(path: &Path, e: std::io::Error) -> FileError {
    FileError::Io {
        path: path.to_path_buf(),
        reason: e.kind().to_string(),
    }
}

fn kind_of(meta: &fs::Metadata) -> &'static str {
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
    let _ = meta;
    "a special file"
}

/// The file really written for `path`: itself, or the target of the link it is.
fn target(path: &Path) -> Result<PathBuf, FileError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).map_err(|_| FileError::DanglingLink {
                path: path.to_path_buf(),
            })
        }
        _ => Ok(path.to_path_buf()),
    }
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// The file to write for `path` (a link's target), refused when it exists and is not a regular
/// file.
fn writable_target(path: &Path) -> Result<PathBuf, FileError> {
    let real = target(path)?;
    match fs::metadata(&real) {
        Ok(m) if m.is_dir() => Err(FileError::Folder {
            path: path.to_path_buf(),
        }),
        Ok(m) if !m.is_file() => Err(FileError::Special {
            path: path.to_path_buf(),
            kind: kind_of(&m),
        }),
        _ => Ok(real),
    }
}

/// Checks up front that `path` can be written and is none of `inputs`, creating its missing
/// folders, so a long run does not end in a write error and an input is never overwritten.
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
    // A write probe in the folder (removed at once), so permissions show now.
    let probe = dir.join(format!(".flopmeter-probe.{}", std::process::id()));
    fs::File::create(&probe).map_err(|e| io(path, e))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// `.NAME.flopmeter-tmp.` : the temporaries of `real` start so, then a process id.
fn temporary_prefix(real: &Path) -> String {
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.flopmeter-tmp.")
}

/// The temporary of `real` for process `pid`, beside it, with the same extension (chart
/// encoders choose the format by it).
fn temporary(real: &Path, pid: u32) -> PathBuf {
    let ext = real
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    folder_of(real).join(format!("{}{pid}{ext}", temporary_prefix(real)))
}

/// Whether a writer with this pid may still be at work on `tmp`: its process exists (Linux's
/// /proc), or, where there is no /proc, the temporary is less than an hour old.
fn may_be_in_use(pid: u32, tmp: &Path) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    fs::metadata(tmp)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age.as_secs() < 3600)
}

/// Removes temporaries of `real` left by runs that were killed mid-write.
fn remove_stale_temporaries(real: &Path) {
    let prefix = temporary_prefix(real);
    let Ok(entries) = fs::read_dir(folder_of(real)) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('.').next())
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else {
            continue;
        };
        if pid != std::process::id() && !may_be_in_use(pid, &e.path()) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// The mode a new file gets from this process's umask (0666 & !umask).
#[cfg(unix)]
fn new_file_mode() -> u32 {
    // Linux reports the umask in /proc; elsewhere the common default.
    let umask = fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022);
    0o666 & !umask
}

/// Writes `text` to `path` atomically (see the module's first comment).
pub fn write_atomic(path: &Path, text: &str) -> Result<(), FileError> {
    write_atomic_with(path, |tmp| {
        let mut f = fs::File::create(tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })
}

/// As `write_atomic`, for a writer that fills a file by path (a chart encoder): `fill` writes
/// the temporary, which then gets its mode and replaces `path`.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<(), FileError> {
    let real = writable_target(path)?;
    fs::create_dir_all(folder_of(&real)).map_err(|e| io(path, e))?;
    remove_stale_temporaries(&real);
    let tmp = temporary(&real, std::process::id());
    let written = fill(&tmp).and_then(|_| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&real)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or_else(|_| new_file_mode());
            fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
        }
        fs::rename(&tmp, &real)
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_temporary_is_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.json");
        // A pid that cannot be running (above the kernel's pid_max).
        let stale = temporary(&out, 4_999_999);
        fs::write(&stale, "torn").unwrap();
        write_atomic(&out, "{}").unwrap();
        assert!(!stale.exists());
        assert_eq!(fs::read_to_string(&out).unwrap(), "{}");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_follow_the_umask_and_replaced_files_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("new.json");
        write_atomic(&fresh, "1").unwrap();
        let mode = fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, new_file_mode());
        let kept = dir.path().join("kept.json");
        fs::write(&kept, "0").unwrap();
        fs::set_permissions(&kept, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&kept, "1").unwrap();
        assert_eq!(
            fs::metadata(&kept).unwrap().permissions().mode() & 0o777,
            0o640
        );
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
}

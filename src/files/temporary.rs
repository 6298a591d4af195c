//! The temporary a file is written to before the rename: created exclusively (O_CREAT|O_EXCL,
//! which never follows a link) under a random name no one can plant a link at, named so that no
//! reader takes it for a result (it never ends in `.json`), short enough for any file name, and
//! removed by the next write of its file when its writer was killed.
//!
//! `.NAME.flopmeter-tmp.HOST.PID.RANDOM`: NAME is the file's name cut to 64 bytes and HOST the
//! host's cut to 32, so a temporary's name stays under 130 bytes whatever the file's (a file
//! system allows 255); HOST and PID say whose it is, so a temporary on a shared folder is only
//! ever removed by its own host, once its process is gone.

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// What marks a temporary's name (and what `merge` and every reader skip).
pub const MARK: &str = ".flopmeter-tmp.";

/// Longest part of the file's and of the host's name kept in a temporary's name, bytes.
const NAME_BYTES: usize = 64;
const HOST_BYTES: usize = 32;

/// `s` cut to at most `max` bytes, on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A name as a file-name part: letters, digits and '-' kept, anything else '_'.
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn host() -> String {
    let name = sysinfo::System::host_name().unwrap_or_else(|_| "host".into());
    file_safe(cut(&name, HOST_BYTES))
}

/// `.NAME.flopmeter-tmp.HOST.`: every temporary of `real` written on this host starts so.
fn prefix(real: &Path) -> String {
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{}{MARK}{}.", cut(&name, NAME_BYTES), host())
}

pub fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// True for a name a temporary could have (ours, or an older flopmeter's).
pub fn is_temporary(name: &str) -> bool {
    name.contains(MARK)
}

/// A new temporary beside `real`, opened for writing. On Unix it is created with mode 0666, so
/// the umask makes its mode what any new file would get (0644 under 022, 0640 under 027).
pub fn create(real: &Path) -> std::io::Result<NamedTempFile> {
    let prefix = format!("{}{}.", prefix(real), std::process::id());
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).rand_bytes(8);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(folder_of(real))
}

/// Whether the process `pid` of this host may still be writing: it exists (Linux's /proc), or,
/// where there is no /proc, the temporary is less than an hour old.
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

/// Removes the temporaries of `real` that runs on this host left when they were killed. Only
/// names (a link is removed, never followed).
pub fn remove_stale(real: &Path) {
    let prefix = prefix(real);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_random_and_never_json() {
        let dir = tempfile::tempdir().unwrap();
        let long = "é".repeat(120) + ".json";
        let real = dir.path().join(&long);
        let (a, b) = (create(&real).unwrap(), create(&real).unwrap());
        for t in [&a, &b] {
            let name = t.path().file_name().unwrap().to_string_lossy().into_owned();
            assert!(name.len() < 130, "{name}");
            assert!(name.starts_with('.') && is_temporary(&name), "{name}");
            assert!(!name.ends_with(".json"), "{name}");
        }
        assert_ne!(a.path(), b.path());
    }

    #[test]
    fn only_dead_writers_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("r.json");
        // A pid that cannot be running (above the kernel's pid_max), and one that is (ours).
        let dead = dir.path().join(format!("{}4999999.abc", prefix(&real)));
        let live = create(&real).unwrap();
        let other_host = dir
            .path()
            .join(".r.json.flopmeter-tmp.elsewhere.4999999.abc");
        for p in [&dead, &other_host] {
            fs::write(p, "torn").unwrap();
        }
        remove_stale(&real);
        assert!(!dead.exists());
        assert!(live.path().exists() && other_host.exists());
    }
}

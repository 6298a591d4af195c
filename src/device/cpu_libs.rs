//! The BLAS libraries flopmeter loads at run time, each a CPU kernel beside faer: OpenBLAS, MKL
//! (mkl_rt), BLIS and oneDNN. Nothing is needed at build time; a machine without them runs faer.
//! Each is looked for in $FLOPMETER_BLAS_PATH, then in the active Python environment
//! ($VIRTUAL_ENV, $CONDA_PREFIX: numpy's own OpenBLAS and pip's MKL and oneDNN live there), then
//! by its usual names on the loader's path. Once loaded a library stays loaded.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::dtype::Dtype;
use crate::results::CpuLibrary;

use super::cpu_blas_api::{load_api, BlasApi};

/// A library family, one kernel each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlasFamily {
    OpenBlas,
    Mkl,
    Blis,
    OneDnn,
}

impl BlasFamily {
    pub const ALL: [BlasFamily; 4] = [
        BlasFamily::OpenBlas,
        BlasFamily::Mkl,
        BlasFamily::Blis,
        BlasFamily::OneDnn,
    ];

    /// The kernel name it runs as.
    pub fn kernel(self) -> &'static str {
        match self {
            BlasFamily::OpenBlas => "openblas",
            BlasFamily::Mkl => "mkl",
            BlasFamily::Blis => "blis",
            BlasFamily::OneDnn => "onednn",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BlasFamily::OpenBlas => "OpenBLAS",
            BlasFamily::Mkl => "MKL",
            BlasFamily::Blis => "BLIS",
            BlasFamily::OneDnn => "oneDNN",
        }
    }

    pub fn of_kernel(kernel: &str) -> Option<BlasFamily> {
        BlasFamily::ALL.into_iter().find(|f| f.kernel() == kernel)
    }

    /// File names tried in each folder and on the loader's path, most specific first.
    fn file_names(self) -> &'static [&'static str] {
        match self {
            BlasFamily::OpenBlas => &["libopenblas.so.0", "libopenblas.so"],
            BlasFamily::Mkl => &["libmkl_rt.so.3", "libmkl_rt.so.2", "libmkl_rt.so"],
            BlasFamily::Blis => &["libblis.so.4", "libblis-mt.so.4", "libblis.so"],
            BlasFamily::OneDnn => &["libdnnl.so.3", "libdnnl.so"],
        }
    }

    /// Whether a file found by listing a folder belongs to this family: numpy's wheels ship
    /// OpenBLAS as libscipy_openblas64_-HASH.so.
    fn matches_file(self, file: &str) -> bool {
        let so = file.contains(".so");
        match self {
            BlasFamily::OpenBlas => so && file.contains("openblas"),
            BlasFamily::Mkl => so && file.starts_with("libmkl_rt"),
            BlasFamily::Blis => so && file.starts_with("libblis"),
            BlasFamily::OneDnn => so && file.starts_with("libdnnl"),
        }
    }
}

/// A library loaded and ready to call.
pub struct LoadedBlas {
    pub family: BlasFamily,
    pub path: String,
    pub version: String,
    pub code_path: Option<String>,
    pub api: BlasApi,
}

impl LoadedBlas {
    pub fn dtypes(&self) -> Vec<Dtype> {
        self.api.dtypes()
    }
}

/// Folders of Python environments where pip and conda put these libraries.
fn python_dirs(prefix: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![prefix.join("lib")];
    let Ok(entries) = std::fs::read_dir(prefix.join("lib")) else {
        return dirs;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.starts_with("python3") {
            continue;
        }
        let site = e.path().join("site-packages");
        for sub in [
            "numpy.libs",
            "scipy_openblas32/lib",
            "scipy_openblas64/lib",
            "scipy.libs",
        ] {
            dirs.push(site.join(sub));
        }
    }
    dirs
}

/// The folders and files to search, in order: $FLOPMETER_BLAS_PATH (folders or files, separated
/// by ':'), then the active Python environment's folders.
fn search_path() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::env::var_os("FLOPMETER_BLAS_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(prefix) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            out.extend(python_dirs(Path::new(&prefix)));
        }
    }
    out
}

/// Files of `family` to try, in order: those in the search path, then its bare names (the
/// loader's own path: LD_LIBRARY_PATH, ld.so.cache).
fn candidates(family: BlasFamily, search: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in search {
        if p.is_file() {
            let file = p.file_name().unwrap_or_default().to_string_lossy();
            if family.matches_file(&file) {
                out.push(p.clone());
            }
            continue;
        }
        let Ok(entries) = std::fs::read_dir(p) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|f| family.matches_file(&f.file_name().unwrap_or_default().to_string_lossy()))
            .collect();
        // The most specific names first (libmkl_rt.so.3 before libmkl_rt.so).
        found.sort_by_key(|f| std::cmp::Reverse(f.as_os_str().len()));
        out.extend(found);
    }
    out.extend(family.file_names().iter().map(PathBuf::from));
    out
}

/// Loads the first candidate that opens and has the functions we call; the reason otherwise (a
/// file found that would not load says why; none found says where it was looked for).
fn load_family(
    family: BlasFamily,
    search: &[PathBuf],
    threads: usize,
) -> Result<LoadedBlas, String> {
    let mut failed = None;
    for file in candidates(family, search) {
        match load_api(family, &file, threads) {
            Ok(loaded) => return Ok(loaded),
            Err(e) if file.components().count() > 1 && failed.is_none() => {
                failed = Some(format!("{}: {e}", file.display()))
            }
            Err(_) => {}
        }
    }
    Err(failed.unwrap_or_else(|| {
        format!(
            "not found: {} (loader path, FLOPMETER_BLAS_PATH, $VIRTUAL_ENV, $CONDA_PREFIX)",
            family.file_names().join(", ")
        )
    }))
}

/// Every family, loaded or why not; found once per process. `FLOPMETER_BLAS=off` loads none
/// (faer alone).
pub fn libraries() -> &'static [(BlasFamily, Result<LoadedBlas, String>)] {
    static LIBS: OnceLock<Vec<(BlasFamily, Result<LoadedBlas, String>)>> = OnceLock::new();
    LIBS.get_or_init(|| {
        if std::env::var("FLOPMETER_BLAS").is_ok_and(|v| v == "off") {
            let off = || Err("FLOPMETER_BLAS=off: not looked for".to_string());
            return BlasFamily::ALL.into_iter().map(|f| (f, off())).collect();
        }
        if let Some(why) = crate::gemm::cpu::limits_forbid_libraries() {
            return BlasFamily::ALL
                .into_iter()
                .map(|f| (f, Err(why.clone())))
                .collect();
        }
        let search = search_path();
        let threads = crate::gemm::cpu::worker_threads();
        BlasFamily::ALL
            .into_iter()
            .map(|f| (f, load_family(f, &search, threads)))
            .collect()
    })
}

/// The loaded library of a kernel, or why there is none.
pub fn loaded(kernel: &str) -> Result<&'static LoadedBlas, String> {
    let family = BlasFamily::of_kernel(kernel).ok_or_else(|| format!("{kernel} is no library"))?;
    libraries()
        .iter()
        .find(|(f, _)| *f == family)
        .map(|(_, r)| r.as_ref().map_err(|e| e.clone()))
        .unwrap_or_else(|| Err("not looked for".into()))
}

/// The records `devices` and results show: each family with its version and file, or why not.
pub fn records() -> Vec<CpuLibrary> {
    libraries()
        .iter()
        .map(|(family, r)| CpuLibrary {
            kernel: family.kernel().into(),
            name: family.name().into(),
            loaded: r.is_ok(),
            version: r.as_ref().ok().map(|l| l.version.clone()),
            path: r.as_ref().ok().map(|l| l.path.clone()),
            code_path: r.as_ref().ok().and_then(|l| l.code_path.clone()),
            dtypes: r.as_ref().map(|l| l.dtypes()).unwrap_or_default(),
            detail: r.as_ref().err().cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_and_pip_library_files_are_recognised() {
        assert!(BlasFamily::OpenBlas.matches_file("libscipy_openblas64_-32a4b2a6.so"));
        assert!(BlasFamily::OpenBlas.matches_file("libopenblas.so.0"));
        assert!(BlasFamily::Mkl.matches_file("libmkl_rt.so.3"));
        assert!(!BlasFamily::Mkl.matches_file("libmkl_core.so.3"));
        assert!(BlasFamily::OneDnn.matches_file("libdnnl.so.3.13"));
        assert!(!BlasFamily::Blis.matches_file("libblis.a"));
    }

    #[test]
    fn the_search_path_comes_before_the_loaders_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("libmkl_rt.so.2"), b"").unwrap();
        std::fs::write(dir.path().join("libmkl_core.so.2"), b"").unwrap();
        let c = candidates(BlasFamily::Mkl, &[dir.path().to_path_buf()]);
        assert_eq!(c[0], dir.path().join("libmkl_rt.so.2"));
        assert_eq!(c.len(), 1 + BlasFamily::Mkl.file_names().len());
        assert_eq!(c.last().unwrap(), &PathBuf::from("libmkl_rt.so"));
    }

    #[test]
    fn a_file_that_is_no_library_is_a_reason_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("libopenblas.so.0");
        std::fs::write(&fake, b"not an ELF file").unwrap();
        let e = load_family(BlasFamily::OpenBlas, &[fake], 1)
            .err()
            .unwrap_or_default();
        // The fake's error is kept over "not on the loader's path" of the bare names, unless
        // the machine has a real OpenBLAS (then it loads and there is no error).
        if !e.is_empty() {
            assert!(e.contains("libopenblas.so.0"), "{e}");
        }
    }
}

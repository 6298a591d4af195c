//! Saving a bench's results at the end: into the requested file, or, when that write fails on
//! the way (the pre-check passed, then a disk filled or a folder went), beside it under another
//! name, so a long bench is never lost; the table is printed either way and the exit status
//! says where the results are. A document the loader would refuse (a `--rated-tflops` the
//! measured rate is more than 10x) is bad input: nothing is saved.

use std::path::{Path, PathBuf};

use crate::error::AppError;
use crate::results::{self, Results, ResultsError};

/// Where the results went, and the error to end with when that is not the requested file.
pub(super) struct Saved {
    pub path: PathBuf,
    pub instead_of: Option<AppError>,
}

/// The rescue file's name: in the requested file's folder, then in the nearest folder above it
/// that exists.
fn rescue_candidates(out: &Path) -> Vec<PathBuf> {
    let name = format!("flopmeter-rescued-{}.json", std::process::id());
    out.ancestors()
        .skip(1)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }
        })
        .filter(|dir| dir.is_dir())
        .take(2)
        .map(|dir| dir.join(&name))
        .collect()
}

/// Writes `doc` to `out`, or beside it (see the module's first comment).
pub(super) fn save(
    out: &Path,
    doc: &Results,
    rated_tflops: Option<f64>,
    saved_partial: bool,
) -> Result<Saved, AppError> {
    let e = match results::write_atomic(out, doc) {
        Ok(()) => {
            return Ok(Saved {
                path: out.to_path_buf(),
                instead_of: None,
            })
        }
        Err(e) => e,
    };
    if let ResultsError::BadValue { detail, .. } = &e {
        if saved_partial {
            // Our own checkpoint of this run: the results it holds are refused as well.
            let _ = std::fs::remove_file(out);
        }
        let detail = detail.clone();
        return Err(match rated_tflops {
            Some(p) => AppError::usage(format!(
                "--rated-tflops {}: {detail}; nothing saved",
                crate::units::sig(p)
            )),
            None => AppError::failed(format!(
                "the results are not valid ({detail}); nothing saved"
            )),
        });
    }
    for rescue in rescue_candidates(out) {
        if results::write_atomic(&rescue, doc).is_ok() {
            let message = format!(
                "{e}; the results were saved to {} instead",
                rescue.display()
            );
            crate::say!("warning: {message}");
            return Ok(Saved {
                path: rescue,
                instead_of: Some(AppError::failed(message)),
            });
        }
    }
    Err(AppError::failed(format!(
        "{e}, and nowhere beside it: the results are lost"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Results {
        let text = include_str!("../../../results/dev-vm-cpu-lavapipe.json");
        results::parse(text, Path::new("dev-vm.json")).unwrap()
    }

    #[test]
    fn a_failed_final_write_saves_beside_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        // The output became a folder after the pre-check.
        let out = dir.path().join("r.json");
        std::fs::create_dir(&out).unwrap();
        let saved = save(&out, &doc(), None, false).unwrap();
        assert_eq!(saved.path.parent(), Some(dir.path()));
        let e = saved.instead_of.unwrap();
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string().contains(&saved.path.display().to_string()),
            "{e}"
        );
        let (saved_doc, original) = (results::load(&saved.path).unwrap(), doc());
        assert_eq!(saved_doc.runs.len(), original.runs.len());
        assert_eq!(saved_doc.devices, original.devices);
    }

    #[test]
    fn a_peak_the_rate_contradicts_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.json");
        let mut d = doc();
        let run = d.runs[0].clone();
        let device = d.devices.iter_mut().find(|x| x.id == run.device).unwrap();
        device
            .rated_tflops
            .insert(run.dtype, run.tflops.median / 100.0);
        std::fs::write(&out, "partial").unwrap();
        let e = save(&out, &d, Some(run.tflops.median / 100.0), true)
            .err()
            .unwrap();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().starts_with("--rated-tflops "), "{e}");
        assert!(!out.exists());
    }
}

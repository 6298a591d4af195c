//! `flopmeter merge FILE|DIR... --out FILE [--threshold 0.05] [--with-samples]
//! [--allow-dead-ranks] [--fail-on-straggler] [--json]`: the rank files merged one at a time
//! into a cluster file, then what it says, as `report` shows it.

use serde::Serialize;

use crate::cli::MergeArgs;
use crate::cluster::merge::{expand, merge_files, MergeOptions};
use crate::error::{AppError, AppResult};
use crate::output::{print_json, print_text, stdout_width};
use crate::report::cluster::{ClusterView, DEFAULT_WORST};
use crate::report::tables::terminal;
use crate::results::cluster::{ClusterFile, ClusterPart};
use crate::results::Straggler;

/// `merge --json`: the cluster file less its ranks (which can be many), and where it is.
#[derive(Serialize)]
struct MergeJson<'a> {
    file: String,
    schema: &'a str,
    with_samples: bool,
    cluster: &'a ClusterPart,
    stragglers: &'a [Straggler],
    notes: &'a [String],
}

mod sustain;

pub fn run(args: &MergeArgs, json: bool) -> AppResult<()> {
    let mut skipped = Vec::new();
    let inputs = expand(&args.files, &mut skipped).map_err(AppError::usage)?;
    if let Some(docs) = sustain::inputs(args, &inputs, &mut skipped)? {
        return sustain::run(args, json, docs);
    }
    // The output found in a named folder (an earlier merge's) is skipped, not an input.
    let named: Vec<&std::path::Path> = inputs
        .iter()
        .filter(|i| !(i.in_folder && crate::files::same_file(&args.out, &i.path)))
        .map(|i| i.path.as_path())
        .collect();
    crate::files::check_output(&args.out, &named).map_err(|e| AppError::usage(e.to_string()))?;
    let options = MergeOptions {
        threshold: args.threshold,
        with_samples: args.with_samples,
    };
    let (doc, file) =
        merge_files(&inputs, &args.out, options, &mut skipped).map_err(AppError::usage)?;
    for s in &skipped {
        crate::say!("note: skipped {}", crate::output::clean::line(s));
    }
    file.commit()?;
    if json {
        print_json(&MergeJson {
            file: args.out.display().to_string(),
            schema: &doc.schema,
            with_samples: doc.with_samples,
            cluster: &doc.cluster,
            stragglers: &doc.stragglers,
            notes: &doc.notes,
        })?;
    } else {
        print_text(&text(&doc, args))?;
    }
    verdict(&doc, args)
}

/// Exit 1 for dead or missing ranks (unless allowed), then for stragglers when asked.
fn verdict(doc: &ClusterFile, args: &MergeArgs) -> AppResult<()> {
    let c = &doc.cluster;
    let dead = c.dead_ranks.len() + c.missing_ranks.len();
    if dead > 0 && !args.allow_dead_ranks {
        return Err(AppError::failed(format!(
            "{dead} rank(s) brought no verified result or no file (listed above and in {}); \
             --allow-dead-ranks accepts that",
            args.out.display()
        )));
    }
    if args.fail_on_straggler && !doc.stragglers.is_empty() {
        let shown = 20;
        let mut named: Vec<String> = doc
            .stragglers
            .iter()
            .take(shown)
            .map(|s| {
                format!(
                    "{} {} {}% below",
                    s.device,
                    s.dtype,
                    crate::output::numbers::sig(s.shortfall * 100.0)
                )
            })
            .collect();
        if doc.stragglers.len() > shown {
            named.push(format!(
                "and {} more (see {})",
                doc.stragglers.len() - shown,
                args.out.display()
            ));
        }
        return Err(AppError::failed(format!(
            "{} straggler(s): {}",
            doc.stragglers.len(),
            named.join("; ")
        )));
    }
    Ok(())
}

/// What the cluster file says, as `report` shows it, and where it is.
fn text(doc: &ClusterFile, args: &MergeArgs) -> String {
    let file = args.out.display().to_string();
    let view = ClusterView::of(&file, doc, DEFAULT_WORST);
    let width = stdout_width();
    let mut s = String::new();
    for b in crate::report::cluster_tables::blocks(&view) {
        s += &terminal(&b, width);
    }
    s += &format!("cluster file written to {file}\n");
    s
}

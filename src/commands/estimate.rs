//! `flopmeter estimate ops|hardware|time`: flags to a typed request (`options`), the library's
//! answer, and that one result printed as JSON (its serialization) or as text (`text`).

mod options;
mod text;

use crate::cli::{EstimateCommand, RunArgs, WorkArgs};
use crate::error::{AppError, AppResult};
use crate::estimate::answer::{answer, EstimateError};
use crate::output::print_json;

pub fn run(cmd: &EstimateCommand, json: bool) -> AppResult<()> {
    let request = match cmd {
        EstimateCommand::Ops(a) => options::ops(a)?,
        EstimateCommand::Hardware(a) => options::hardware(a)?,
        EstimateCommand::Time(a) => options::time(a)?,
    };
    let estimate = answer(&request).map_err(|e| overflow(cmd, e))?;
    if json {
        print_json(&estimate)
    } else {
        print!("{}", text::render(&estimate));
        Ok(())
    }
}

/// A result that overflows is bad input: name the numbers that were given.
fn overflow(cmd: &EstimateCommand, e: EstimateError) -> AppError {
    let given = match cmd {
        EstimateCommand::Ops(a) => run_numbers(&a.work, &a.run),
        EstimateCommand::Hardware(a) => run_numbers(&a.work, &a.run),
        EstimateCommand::Time(a) => {
            options::numbers_given(&a.work, &a.chip, &a.fleet, None, Some(&a.target), &a.spend)
        }
    };
    AppError::usage(format!("{e}: {given}"))
}

fn run_numbers(work: &WorkArgs, r: &RunArgs) -> String {
    options::numbers_given(work, &r.chip, &r.fleet, Some(&r.gpu_hours), None, &r.spend)
}

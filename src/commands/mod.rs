//! One module per subcommand: each takes parsed arguments and prints its output.

pub mod bench;
pub mod compare;
pub mod devices;
pub mod estimate;
pub mod kernels;
pub mod merge;
pub mod peaks;
pub mod report;
pub mod sustain;
pub mod trend;

use crate::cli::{Cli, Command};
use crate::error::AppResult;

/// Runs the parsed command line (`plant`: the test suite's kernel wrapper for `sustain`).
pub fn run(cli: Cli, plant: Option<&crate::sustain::Plant>) -> AppResult<()> {
    match cli.command {
        Command::Devices(args) => devices::run(&args, cli.json),
        Command::Peaks(args) => peaks::run(&args, cli.json),
        Command::Bench(args) => bench::run(&args, cli.json),
        Command::Estimate(cmd) => estimate::run(&cmd, cli.json),
        Command::Trend(args) => trend::run(&args, cli.json),
        Command::Report(args) => report::run(&args, cli.json),
        Command::Compare(args) => compare::run(&args, cli.json),
        Command::Kernels(args) => kernels::run(&args, cli.json),
        Command::Merge(args) => merge::run(&args, cli.json),
        Command::Sustain(args) => sustain::run(&args, cli.json, plant),
    }
}

//! `flopmeter peaks [NAME] [--dtype D]`: one typed view of the table's rows, serialized for
//! `--json` and rendered as text.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cli::PeaksArgs;
use crate::dtype::Dtype;
use crate::error::{AppError, AppResult};
use crate::output::table::{Column, Table};
use crate::output::{print_json, print_text, stdout_width, tflops};
use crate::peaks::{chips, lookup, ChipRow, Matched};

pub fn run(args: &PeaksArgs, json: bool) -> AppResult<()> {
    let dtype = args.dtype;
    match &args.name {
        Some(name) => {
            let m = lookup(name).map_err(|e| AppError::usage(e.to_string()))?;
            match dtype {
                Some(d) => one_dtype(name, &m, d, json),
                None => all_dtypes(name, &m, json),
            }
        }
        None => whole_table(dtype, json),
    }
}

/// The best published measured rate of a chip and dtype (data/reference_rates.csv).
#[derive(Debug, Serialize)]
struct ReferenceView<'a> {
    /// Per device as drivers show it (one GCD of an MI250X).
    tflops: f64,
    /// Of the per-device rated peak.
    fraction_of_peak: Option<f64>,
    shape: &'a str,
    software: &'a str,
    date: &'a str,
    measured_by: &'a str,
    /// high, medium or low.
    confidence: &'a str,
    /// The board power it was measured at, where the source says, watts.
    power_w: Option<f64>,
    source: &'a str,
    notes: &'a str,
    /// Other publications of the same chip and dtype: TFLOP/s, who measured it, where.
    corroborating: Vec<(f64, &'a str, &'a str)>,
}

impl<'a> ReferenceView<'a> {
    fn of(row: &ChipRow, d: Dtype) -> Option<ReferenceView<'static>> {
        let r = crate::reference::reference(&row.key, d)?;
        let per_device = row
            .board_peak(d)
            .map(|p| p / f64::from(row.devices_per_board.max(1)));
        Some(ReferenceView {
            tflops: r.tflops,
            fraction_of_peak: per_device.map(|p| r.tflops / p),
            shape: &r.shape,
            software: &r.software,
            date: &r.date,
            measured_by: &r.measured_by,
            confidence: &r.confidence,
            power_w: r.power_w,
            source: &r.source,
            notes: &r.notes,
            corroborating: crate::reference::corroborating(&row.key, d)
                .into_iter()
                .map(|c| (c.tflops, c.measured_by.as_str(), c.source.as_str()))
                .collect(),
        })
    }

    /// Two lines: the rate, then who measured it and when.
    fn lines(&self) -> String {
        format!(
            "best published measurement: {} TFLOP/s per device{}, {} confidence\n  by {}, {}",
            tflops(self.tflops),
            self.fraction_of_peak
                .map(|f| format!(" ({:.1}% of its peak)", f * 100.0))
                .unwrap_or_default(),
            self.confidence,
            self.measured_by,
            self.date
        )
    }
}

/// One dtype of one row.
#[derive(Debug, Serialize)]
struct OnePeak<'a> {
    /// The name as given.
    name: &'a str,
    /// The table key it matched.
    matched: &'a str,
    /// How words beyond the chip's name were read ("DGX A100"); null when none.
    name_note: Option<&'a str>,
    dtype: Dtype,
    tflops: f64,
    /// "TFLOP/s", or "TOPS" for int8.
    unit: &'static str,
    /// Always true: the table holds dense peaks only.
    dense: bool,
    devices_per_board: u32,
    source: &'a str,
    notes: &'a str,
    /// The best published measured rate for this chip and dtype; null when none is bundled.
    reference: Option<ReferenceView<'a>>,
}

/// A row of the table with every dtype it has.
#[derive(Debug, Serialize)]
struct RowView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    matched: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name_note: Option<&'a str>,
    vendor: &'a str,
    arch: &'a str,
    /// dtype -> dense TFLOP/s (TOPS for int8) of the whole board.
    peaks_tflops: BTreeMap<&'static str, f64>,
    f64_vector_tflops: Option<f64>,
    f16_f16acc_tflops: Option<f64>,
    units: Option<u32>,
    devices_per_board: u32,
    boost_mhz: Option<f64>,
    tensor_mhz: Option<f64>,
    memory_gb: Option<f64>,
    memory_bandwidth_gbs: Option<f64>,
    tdp_w: Option<f64>,
    released: &'a str,
    source: &'a str,
    notes: &'a str,
    /// dtype -> the best published measured rate (data/reference_rates.csv).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    references: BTreeMap<&'static str, ReferenceView<'a>>,
    /// With `--dtype` on the whole table: that dtype and its peak.
    #[serde(skip_serializing_if = "Option::is_none")]
    dtype: Option<Dtype>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tflops: Option<f64>,
}

impl<'a> RowView<'a> {
    fn new(row: &'a ChipRow) -> Self {
        RowView {
            name: None,
            matched: &row.key,
            name_note: None,
            vendor: &row.vendor,
            arch: &row.arch,
            peaks_tflops: row
                .board_peaks()
                .into_iter()
                .map(|(d, v)| (d.name(), v))
                .collect(),
            f64_vector_tflops: row.f64,
            f16_f16acc_tflops: row.f16_f16acc,
            units: row.units,
            devices_per_board: row.devices_per_board,
            boost_mhz: row.boost_mhz,
            tensor_mhz: row.tensor_mhz,
            memory_gb: row.mem_gb,
            memory_bandwidth_gbs: row.mem_bw_gbs,
            tdp_w: row.tdp_w,
            released: &row.released,
            source: &row.source,
            notes: &row.notes,
            references: row
                .board_peaks()
                .into_iter()
                .filter_map(|(d, _)| ReferenceView::of(row, d).map(|r| (d.name(), r)))
                .collect(),
            dtype: None,
            tflops: None,
        }
    }
}

fn unit(d: Dtype) -> &'static str {
    if d == Dtype::Int8 {
        "TOPS"
    } else {
        "TFLOP/s"
    }
}

fn one_dtype(name: &str, m: &Matched, d: Dtype, json: bool) -> AppResult<()> {
    let row = m.row;
    let Some(value) = row.board_peak(d) else {
        let has: Vec<_> = row.board_peaks().iter().map(|(d, _)| d.name()).collect();
        return Err(AppError::usage(if has.is_empty() {
            format!(
                "'{}' has no rated peak in the table: {}",
                row.key, row.notes
            )
        } else {
            format!(
                "'{}' has no dense {d} rate in the table (it has: {})",
                row.key,
                has.join(", ")
            )
        }));
    };
    let view = OnePeak {
        name,
        matched: &row.key,
        name_note: m.note.as_deref(),
        dtype: d,
        tflops: value,
        unit: unit(d),
        dense: true,
        devices_per_board: row.devices_per_board,
        source: &row.source,
        notes: &row.notes,
        reference: ReferenceView::of(row, d),
    };
    if json {
        return print_json(&view);
    }
    let mut text = format!(
        "{} -> {}: {} {} dense {} ({})\n",
        view.name,
        view.matched,
        tflops(value),
        view.unit,
        d,
        d.describe()
    );
    if let Some(r) = &view.reference {
        text += &r.lines();
        text.push('\n');
    }
    text += &provenance(row, m.note.as_deref());
    print_text(&text)
}

fn all_dtypes(name: &str, m: &Matched, json: bool) -> AppResult<()> {
    let row = m.row;
    if json {
        let view = RowView {
            name: Some(name),
            name_note: m.note.as_deref(),
            ..RowView::new(row)
        };
        return print_json(&view);
    }
    let mut text = format!("{} -> {} ({}, {})\n", name, row.key, row.vendor, row.arch);
    if row.board_peaks().is_empty() {
        text += "no rated peak in the table (see the notes)\n";
    } else {
        let mut t = Table::new(vec![
            Column::text("dtype"),
            Column::num("dense peak"),
            Column::num("best measured").short("measured").drop(1),
            Column::text("math").cut(16),
        ]);
        for (d, v) in row.board_peaks() {
            t.row(vec![
                d.name().to_string(),
                format!("{} {}", tflops(v), unit(d)),
                ReferenceView::of(row, d)
                    .map(|r| tflops(r.tflops))
                    .unwrap_or_else(|| "-".into()),
                d.describe().to_string(),
            ]);
        }
        text += &t.terminal(stdout_width());
    }
    if let Some(v) = row.f16_f16acc {
        text += &format!("f16 with f16 accumulate: {} TFLOP/s\n", tflops(v));
    }
    if row.devices_per_board > 1 {
        text += &format!(
            "Board figures: a driver shows {} devices, each with 1/{} of these.\n",
            row.devices_per_board, row.devices_per_board
        );
    }
    text += &provenance(row, m.note.as_deref());
    print_text(&text)
}

/// How the name was read, the source and the notes of a row.
fn provenance(row: &ChipRow, name_note: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(note) = name_note {
        s += &format!("name: {note}\n");
    }
    s += &format!("source: {}\n", row.source);
    if !row.notes.is_empty() {
        s += &format!("notes: {}\n", row.notes);
    }
    s
}

/// The whole table, as JSON `{"chips": [...]}`.
#[derive(Debug, Serialize)]
struct TableView<'a> {
    chips: Vec<RowView<'a>>,
}

fn whole_table(dtype: Option<Dtype>, json: bool) -> AppResult<()> {
    let rows: Vec<&ChipRow> = chips()
        .iter()
        .filter(|r| dtype.is_none_or(|d| r.board_peak(d).is_some()))
        .collect();
    if json {
        let chips = rows
            .iter()
            .map(|r| RowView {
                dtype,
                tflops: dtype.and_then(|d| r.board_peak(d)),
                ..RowView::new(r)
            })
            .collect();
        return print_json(&TableView { chips });
    }
    let dtypes: Vec<Dtype> = match dtype {
        Some(d) => vec![d],
        None => Dtype::ALL.to_vec(),
    };
    // Narrow terminals lose the rarer dtypes first; `--dtype` shows any one of them.
    let rank = |d: Dtype| match d {
        Dtype::Int8 => 5,
        Dtype::F64 => 4,
        Dtype::Tf32 => 3,
        Dtype::F16 => 2,
        Dtype::Fp8 => 1,
        _ => 0,
    };
    let mut columns = vec![Column::text("chip")];
    columns.extend(dtypes.iter().map(|d| match rank(*d) {
        0 => Column::num(d.name()),
        r => Column::num(d.name()).drop(r),
    }));
    let mut t = Table::new(columns);
    for r in rows {
        let mut cells = vec![r.key.clone()];
        cells.extend(
            dtypes
                .iter()
                .map(|d| r.board_peak(*d).map(tflops).unwrap_or_else(|| "-".into())),
        );
        t.row(cells);
    }
    t.note("Dense peaks in TFLOP/s (int8 in TOPS); f64 is the FP64 matmul rate (tensor cores where present). `flopmeter peaks NAME` shows sources.");
    print_text(&t.terminal(stdout_width()))
}

//! `flopmeter peaks [NAME] [--dtype D]`.

use serde_json::json;

use crate::cli::PeaksArgs;
use crate::dtype::Dtype;
use crate::error::{AppError, AppResult};
use crate::output::{print_json, table, tflops};
use crate::peaks::{chips, lookup, ChipRow, Matched};

pub fn run(args: &PeaksArgs, json: bool) -> AppResult<()> {
    let dtype = args
        .dtype
        .as_deref()
        .map(|d| {
            d.parse::<Dtype>()
                .map_err(|e| AppError::usage(e.to_string()))
        })
        .transpose()?;
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

fn one_dtype(name: &str, m: &Matched, d: Dtype, json: bool) -> AppResult<()> {
    let row = m.row;
    let Some(value) = row.board_peak(d) else {
        let has: Vec<_> = row.board_peaks().iter().map(|(d, _)| d.name()).collect();
        return Err(AppError::usage(format!(
            "'{}' has no dense {d} rate in the table (it has: {})",
            row.key,
            has.join(", ")
        )));
    };
    if json {
        return print_json(&json!({
            "name": name,
            "matched": row.key,
            "dtype": d,
            "tflops": value,
            "unit": if d == Dtype::Int8 { "TOPS" } else { "TFLOP/s" },
            "dense": true,
            "devices_per_board": row.devices_per_board,
            "source": row.source,
            "notes": row.notes,
        }));
    }
    println!(
        "{} -> {}: {} {} dense {} ({})",
        name,
        row.key,
        tflops(value),
        if d == Dtype::Int8 { "TOPS" } else { "TFLOP/s" },
        d,
        d.describe()
    );
    print_provenance(row);
    Ok(())
}

fn peaks_object(row: &ChipRow) -> serde_json::Value {
    row.board_peaks()
        .into_iter()
        .map(|(d, v)| (d.name().to_string(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn row_json(row: &ChipRow) -> serde_json::Value {
    json!({
        "matched": row.key,
        "vendor": row.vendor,
        "arch": row.arch,
        "peaks_tflops": peaks_object(row),
        "f64_vector_tflops": row.f64,
        "f16_f16acc_tflops": row.f16_f16acc,
        "units": row.units,
        "devices_per_board": row.devices_per_board,
        "boost_mhz": row.boost_mhz,
        "tensor_mhz": row.tensor_mhz,
        "memory_gb": row.mem_gb,
        "memory_bandwidth_gbs": row.mem_bw_gbs,
        "tdp_w": row.tdp_w,
        "released": row.released,
        "source": row.source,
        "notes": row.notes,
    })
}

fn all_dtypes(name: &str, m: &Matched, json: bool) -> AppResult<()> {
    let row = m.row;
    if json {
        let mut v = row_json(row);
        v["name"] = json!(name);
        return print_json(&v);
    }
    println!("{} -> {} ({}, {})", name, row.key, row.vendor, row.arch);
    let mut t = table(&["dtype", "dense peak", "math"]);
    for (d, v) in row.board_peaks() {
        let unit = if d == Dtype::Int8 { "TOPS" } else { "TFLOP/s" };
        t.add_row(vec![
            d.name().to_string(),
            format!("{} {unit}", tflops(v)),
            d.describe().to_string(),
        ]);
    }
    println!("{t}");
    if let Some(v) = row.f16_f16acc {
        println!("f16 with f16 accumulate: {} TFLOP/s", tflops(v));
    }
    if row.devices_per_board > 1 {
        println!(
            "Board figures: a driver shows {} devices, each with 1/{} of these.",
            row.devices_per_board, row.devices_per_board
        );
    }
    print_provenance(row);
    Ok(())
}

fn print_provenance(row: &ChipRow) {
    println!("source: {}", row.source);
    if !row.notes.is_empty() {
        println!("notes: {}", row.notes);
    }
}

fn whole_table(dtype: Option<Dtype>, json: bool) -> AppResult<()> {
    let rows = chips();
    if json {
        let list: Vec<_> = rows
            .iter()
            .filter(|r| dtype.is_none_or(|d| r.board_peak(d).is_some()))
            .map(|r| {
                let mut v = row_json(r);
                if let Some(d) = dtype {
                    v["dtype"] = json!(d);
                    v["tflops"] = json!(r.board_peak(d));
                }
                v
            })
            .collect();
        return print_json(&json!({ "chips": list }));
    }
    let dtypes: Vec<Dtype> = match dtype {
        Some(d) => vec![d],
        None => Dtype::ALL.to_vec(),
    };
    let mut header = vec!["chip"];
    header.extend(dtypes.iter().map(|d| d.name()));
    let mut t = table(&header);
    for r in rows {
        if dtype.is_some_and(|d| r.board_peak(d).is_none()) {
            continue;
        }
        let mut cells = vec![r.key.clone()];
        cells.extend(
            dtypes
                .iter()
                .map(|d| r.board_peak(*d).map(tflops).unwrap_or_else(|| "-".into())),
        );
        t.add_row(cells);
    }
    println!("{t}");
    println!("Dense peaks in TFLOP/s (int8 in TOPS); f64 is the FP64 matmul rate (tensor cores where present). `flopmeter peaks NAME` shows sources.");
    Ok(())
}

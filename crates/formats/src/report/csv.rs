//! The frame Tantiem's CSV report forms share: a header row naming the columns (any order), then data rows
//! whose `report_id`, `period` and `currency` (the first three columns of every form) repeat and must agree.
//! Each form parses its own rows.

use std::io::BufRead;

use money::Currency;

use super::{Lines, ReadOutcome, ReportHeader, ReportItem, ReportKind, header};

/// A field that could not be read: its column and what was wrong.
pub(super) type FieldError = (&'static str, String);

/// One data row, its cells found by column.
pub(super) struct Row<'a> {
    pub line: u64,
    pub currency: Currency,
    cells: Vec<String>,
    index: &'a [usize],
}

impl Row<'_> {
    /// The trimmed cell of the form's `column`-th column ("" when the file leaves the column out).
    pub fn get(&self, column: usize) -> &str {
        match self.index.get(column) {
            Some(&i) if i != usize::MAX => self.cells.get(i).map_or("", |c| c.trim()),
            _ => "",
        }
    }
}

/// Reads a CSV report: `columns` in the form's order (report_id, period, currency first), of which
/// `optional` may be missing from the header row; `parse` turns each row into an item.
pub(super) fn read_csv(
    input: impl BufRead,
    kind: ReportKind,
    columns: &[&'static str],
    optional: &[&str],
    sink: &mut dyn FnMut(ReportItem),
    parse: &dyn Fn(&Row<'_>) -> Result<ReportItem, FieldError>,
) -> ReadOutcome {
    let mut outcome = ReadOutcome::default();
    let mut lines = Lines::new(input);
    let Some(head) = lines.next_line(&mut outcome) else {
        outcome.error(1, "", None, "the file is empty");
        return outcome;
    };
    let names: Vec<String> = super::service::split_csv(&head).into_iter().map(|n| n.trim().to_owned()).collect();
    let mut index = vec![usize::MAX; columns.len()];
    for (slot, column) in index.iter_mut().zip(columns) {
        match names.iter().position(|n| n == column) {
            Some(i) => *slot = i,
            None if optional.contains(column) => {}
            None => outcome.error(1, "", None, format!("column {column:?} is missing from the header row")),
        }
    }
    if !outcome.is_ok() {
        return outcome;
    }
    let mut known: Option<ReportHeader> = None;
    while let Some(text) = lines.next_line(&mut outcome) {
        if text.trim().is_empty() {
            continue;
        }
        let currency = known.as_ref().map_or(Currency::EUR, |h| h.currency);
        let mut row = Row { line: lines.number, currency, cells: super::service::split_csv(&text), index: &index };
        match &known {
            None => match header(&mut outcome, row.line, kind, row.get(0), None, row.get(1), row.get(2)) {
                Some(h) => {
                    row.currency = h.currency;
                    sink(ReportItem::Header(h.clone()));
                    known = Some(h);
                }
                None => return outcome,
            },
            Some(h)
                if row.get(0) != h.report_id
                    || row.get(1) != h.period.to_string()
                    || row.get(2) != h.currency.code() =>
            {
                outcome.error(
                    row.line,
                    "",
                    Some("report_id"),
                    "report_id, period and currency must be the same on every row",
                );
                continue;
            }
            Some(_) => {}
        }
        match parse(&row) {
            Ok(item) => sink(item),
            Err((field, e)) => outcome.error(row.line, "", Some(field), e),
        }
    }
    outcome.lines = lines.number;
    if known.is_none() && outcome.is_ok() {
        outcome.error(
            2,
            "",
            None,
            "the report has no rows after the header: send at least one row (zero figures are fine)",
        );
    }
    outcome
}

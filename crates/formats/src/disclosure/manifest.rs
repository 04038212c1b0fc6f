//! The training manifest's readers: CSV (a header row naming the columns, comma, semicolon or tab
//! separated), JSON Lines (one object per item, an optional header object first) and Parquet (columns of the
//! same names). All three share the columns and how their values are read, so an item means the same in
//! every encoding.

use std::collections::BTreeSet;
use std::io::{BufRead, Read};

use chrono::NaiveDate;
use domain::{Isrc, Iswc};

use super::{MANIFEST_FORMAT, ManifestFormat, ManifestItem, chromaprint};
use crate::reading::{Lines, MAX_LINE_BYTES, ReadOutcome};

/// The manifest's columns (see `docs/disclosures.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    ItemId,
    Isrc,
    Iswc,
    Title,
    Version,
    Artists,
    Writers,
    Duration,
    Source,
    AcquiredOn,
    ContentSha256,
    Chromaprint,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::ItemId => "item_id",
            Column::Isrc => "isrc",
            Column::Iswc => "iswc",
            Column::Title => "title",
            Column::Version => "version",
            Column::Artists => "artists",
            Column::Writers => "writers",
            Column::Duration => "duration_s",
            Column::Source => "source",
            Column::AcquiredOn => "acquired_on",
            Column::ContentSha256 => "content_sha256",
            Column::Chromaprint => "chromaprint",
        }
    }

    /// The column a header names: the documented name or a common alias, case and spacing ignored.
    fn named(header: &str) -> Option<Column> {
        let key: String = header
            .trim()
            .trim_start_matches('\u{feff}')
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c.to_ascii_lowercase() })
            .collect();
        Some(match key.as_str() {
            "item_id" | "id" | "row_id" | "item" => Column::ItemId,
            "isrc" => Column::Isrc,
            "iswc" => Column::Iswc,
            "title" | "track_title" | "song_title" | "name" => Column::Title,
            "version" | "subtitle" | "version_title" => Column::Version,
            "artists" | "artist" | "display_artist" | "performer" | "performers" => Column::Artists,
            "writers" | "writer" | "composers" | "composer" | "authors" => Column::Writers,
            "duration_s" | "duration" | "duration_seconds" | "seconds" | "length_s" | "length" => Column::Duration,
            "source" | "dataset" | "domain" | "source_dataset" => Column::Source,
            "acquired_on" | "acquisition_date" | "acquired" => Column::AcquiredOn,
            "content_sha256" | "sha256" | "content_hash" => Column::ContentSha256,
            "chromaprint" | "fingerprint" | "acoustid_fingerprint" => Column::Chromaprint,
            _ => return None,
        })
    }
}

/// How many of a CSV header line's names are manifest columns.
pub(super) fn header_columns(line: &str) -> usize {
    line.split([',', ';', '\t']).filter(|name| Column::named(name.trim_matches('"')).is_some()).count()
}

/// A value as an encoding gives it.
enum Value<'a> {
    Text(&'a str),
    Integer(i64),
    Decimal(f64),
    Texts(Vec<String>),
    Integers(Vec<i64>),
    Date(NaiveDate),
    Null,
    /// Something no field takes (a boolean, an object, bytes that are not text): named in the error.
    Other(&'static str),
}

impl Value<'_> {
    /// What the value is, for an error that says what was expected and what was found.
    fn kind(&self) -> &'static str {
        match self {
            Value::Text(_) => "text",
            Value::Integer(_) => "a whole number",
            Value::Decimal(_) => "a decimal number",
            Value::Texts(_) => "a list of texts",
            Value::Integers(_) => "a list of numbers",
            Value::Date(_) => "a date",
            Value::Null => "null",
            Value::Other(kind) => kind,
        }
    }
}

fn unexpected(expected: &str, value: &Value<'_>) -> Problem {
    Problem::Error(format!("expected {expected}, found {}", value.kind()))
}

/// The most names an item's artists or writers may list.
const MAX_NAMES: usize = 50;
/// The longest text a field may hold.
const MAX_TEXT_CHARS: usize = 1_000;

/// What reading one value found wrong: an error (the item cannot be read) or a warning (it is kept).
enum Problem {
    Error(String),
    Warning(String),
}

fn text(value: &str) -> Result<Option<String>, Problem> {
    let t = value.trim();
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(Problem::Error(format!("longer than {MAX_TEXT_CHARS} characters")));
    }
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

fn names(value: Value<'_>) -> Result<Vec<String>, Problem> {
    let list: Vec<String> = match value {
        Value::Text(t) => t.split(['|', ';']).map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect(),
        Value::Texts(list) => list.into_iter().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect(),
        Value::Null => Vec::new(),
        other => return Err(unexpected("names (text, several separated by |, or a list)", &other)),
    };
    if list.len() > MAX_NAMES {
        return Err(Problem::Error(format!("{} names, more than {MAX_NAMES}", list.len())));
    }
    if let Some(long) = list.iter().find(|n| n.chars().count() > MAX_TEXT_CHARS) {
        let start: String = long.chars().take(40).collect();
        return Err(Problem::Error(format!("a name longer than {MAX_TEXT_CHARS} characters ({start}…)")));
    }
    Ok(list)
}

fn plain(value: Value<'_>) -> Result<Option<String>, Problem> {
    match value {
        Value::Text(t) => text(t),
        Value::Integer(n) => Ok(Some(n.to_string())),
        Value::Null => Ok(None),
        other => Err(unexpected("text", &other)),
    }
}

/// Seconds from a number or a text: `214`, `214.5`, `3:34`, `1:02:03`, `PT3M34S`.
fn seconds(value: Value<'_>) -> Result<Option<u32>, Problem> {
    let s: f64 = match value {
        Value::Null => return Ok(None),
        Value::Integer(n) => n as f64,
        Value::Decimal(d) => d,
        Value::Text(t) if t.trim().is_empty() => return Ok(None),
        Value::Text(t) => parse_duration(t.trim()).ok_or_else(|| {
            Problem::Error(format!("{t:?} is not a duration: write seconds (214), m:ss (3:34) or ISO 8601 (PT3M34S)"))
        })?,
        other => return Err(unexpected("a duration", &other)),
    };
    if !(0.0..=86_400.0).contains(&s) || s.is_nan() {
        return Err(Problem::Error(format!("{s} seconds is not a track's duration (0 to 24 hours)")));
    }
    Ok(Some(s.round() as u32))
}

/// Seconds from a text: a number, ISO 8601 (as ERN writes durations) or `m:ss` / `h:mm:ss`, where every
/// part but the first is under 60.
fn parse_duration(t: &str) -> Option<f64> {
    if let Ok(n) = t.parse::<f64>() {
        return Some(n);
    }
    if t.starts_with(['P', 'p']) {
        return crate::ern::iso_duration_seconds(&t.to_ascii_uppercase()).map(f64::from);
    }
    let parts: Vec<&str> = t.split(':').collect();
    let (last, whole) = parts.split_last()?;
    if !(1..=2).contains(&whole.len()) {
        return None;
    }
    let seconds: f64 = last.parse().ok().filter(|s: &f64| (0.0..60.0).contains(s))?;
    let mut total = 0u64;
    for (i, part) in whole.iter().enumerate() {
        let n: u64 = part.parse().ok()?;
        // Minutes after hours are under 60 too.
        if i > 0 && n >= 60 {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(n)?;
    }
    Some(total as f64 * 60.0 + seconds)
}

fn date(value: Value<'_>) -> Result<Option<NaiveDate>, Problem> {
    match value {
        Value::Null => Ok(None),
        Value::Date(d) => Ok(Some(d)),
        Value::Text(t) if t.trim().is_empty() => Ok(None),
        Value::Text(t) => {
            let t = t.trim();
            NaiveDate::parse_from_str(t.get(..10).unwrap_or(t), "%Y-%m-%d")
                .map(Some)
                .map_err(|_| Problem::Error(format!("{t:?} is not a date: write YYYY-MM-DD")))
        }
        other => Err(unexpected("a date (YYYY-MM-DD)", &other)),
    }
}

fn sha256(value: Value<'_>) -> Result<Option<String>, Problem> {
    let Some(t) = plain(value)? else { return Ok(None) };
    let hex = t.strip_prefix("sha256:").unwrap_or(&t).to_ascii_lowercase();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(Some(hex))
    } else {
        Err(Problem::Error(format!("{t:?} is not a SHA-256 (64 hexadecimal digits)")))
    }
}

fn fingerprint(value: Value<'_>) -> Result<Option<Vec<u32>>, Problem> {
    match value {
        Value::Null => Ok(None),
        Value::Text(t) if t.trim().is_empty() => Ok(None),
        Value::Text(t) => chromaprint::parse(t).map(Some).map_err(Problem::Error),
        Value::Integers(list) => {
            if list.len() > chromaprint::MAX_ITEMS {
                return Err(Problem::Error(format!("{} fingerprint items, more than three hours", list.len())));
            }
            list.iter()
                .map(|n| u32::try_from(*n).or_else(|_| i32::try_from(*n).map(|s| s as u32)))
                .collect::<Result<Vec<u32>, _>>()
                .map(Some)
                .map_err(|_| Problem::Error("a fingerprint item is not a 32-bit number".into()))
        }
        other => Err(unexpected("a Chromaprint fingerprint (fpcalc's text, or its raw numbers)", &other)),
    }
}

/// Puts one value into its field of the item.
fn set(item: &mut ManifestItem, column: Column, value: Value<'_>) -> Result<(), Problem> {
    match column {
        Column::ItemId => item.item_id = plain(value)?,
        Column::Isrc => {
            let Some(t) = plain(value)? else { return Ok(()) };
            let reduced = Isrc::reduced(&t);
            let parsed = Isrc::parse(&reduced);
            item.isrc = (!reduced.is_empty()).then_some(reduced);
            if let Err(e) = parsed {
                return Err(Problem::Warning(format!("{t:?}: {e}; the item is matched on its other fields")));
            }
        }
        Column::Iswc => {
            let Some(t) = plain(value)? else { return Ok(()) };
            let parsed = Iswc::parse(&t);
            item.iswc = Some(t.clone());
            if let Err(e) = parsed {
                return Err(Problem::Warning(format!("{t:?}: {e}; the item is matched on its other fields")));
            }
        }
        Column::Title => item.title = plain(value)?,
        Column::Version => item.version = plain(value)?,
        Column::Artists => item.artists = names(value)?,
        Column::Writers => item.writers = names(value)?,
        Column::Duration => item.duration_s = seconds(value)?,
        Column::Source => item.source = plain(value)?,
        Column::AcquiredOn => item.acquired_on = date(value)?,
        Column::ContentSha256 => item.content_sha256 = sha256(value)?,
        Column::Chromaprint => item.chromaprint = fingerprint(value)?,
    }
    Ok(())
}

/// Reads one item from its (column, value) pairs, reporting problems at `line`; `None` on an error.
fn item_of<'a>(
    line: u64,
    record: &str,
    values: impl Iterator<Item = (Column, Value<'a>)>,
    outcome: &mut ReadOutcome,
) -> Option<ManifestItem> {
    let mut item = ManifestItem { line, ..ManifestItem::default() };
    let mut ok = true;
    for (column, value) in values {
        match set(&mut item, column, value) {
            Ok(()) => {}
            Err(Problem::Warning(w)) => outcome.warning(line, record, Some(column.name()), w),
            Err(Problem::Error(e)) => {
                outcome.error(line, record, Some(column.name()), e);
                ok = false;
            }
        }
    }
    if ok && item.title.is_none() && item.isrc.is_none() && item.iswc.is_none() && item.chromaprint.is_none() {
        outcome.warning(
            line,
            record,
            None,
            "the item has no title, ISRC, ISWC or fingerprint: it cannot be identified and counts against transparency",
        );
    }
    ok.then_some(item)
}

/// The most items a manifest may hold.
pub const MAX_ITEMS: u64 = 200_000_000;

fn check_count(outcome: &mut ReadOutcome, count: u64, line: u64) -> bool {
    if count > MAX_ITEMS {
        outcome.error(line, "", None, format!("more than {MAX_ITEMS} items: split the manifest into several files"));
        return false;
    }
    true
}

/// Reads a CSV or JSON Lines manifest into `sink`, one item at a time.
pub fn read_manifest(format: ManifestFormat, input: impl BufRead, sink: &mut dyn FnMut(ManifestItem)) -> ReadOutcome {
    match format {
        ManifestFormat::Csv => read_csv(input, sink),
        ManifestFormat::JsonLines => read_jsonl(input, sink),
        ManifestFormat::Parquet => {
            let mut outcome = ReadOutcome::default();
            outcome.error(0, "", None, "a Parquet manifest is read from its file (read_manifest_parquet)");
            outcome
        }
    }
}

/// Fails a read when one record grows past [`MAX_LINE_BYTES`] (a long line, or a quoted cell spread over
/// many lines): the CSV reader would otherwise buffer it whole. The reading loop resets the count after
/// each record, so it also counts what the CSV reader has read ahead (a few KiB at most).
struct RecordLimit<R> {
    inner: R,
    since_record: std::rc::Rc<std::cell::Cell<usize>>,
}

/// The slack over [`MAX_LINE_BYTES`] for what the CSV reader reads ahead of the record it is on.
const READ_AHEAD: usize = 64 * 1024;

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.since_record.get() + n;
        self.since_record.set(total);
        if total > MAX_LINE_BYTES + READ_AHEAD {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "a record longer than {MAX_LINE_BYTES} bytes (a long line, or a quote left open): split it or close the quote"
                ),
            ));
        }
        Ok(n)
    }
}

fn read_csv(input: impl BufRead, sink: &mut dyn FnMut(ManifestItem)) -> ReadOutcome {
    let mut outcome = ReadOutcome::default();
    let mut input = input;
    // The separator is told from the header line: a semicolon or a tab where there is no comma.
    let head = match input.fill_buf() {
        Ok(bytes) => String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]).into_owned(),
        Err(e) => {
            outcome.error(1, "", None, format!("the file could not be read: {e}"));
            return outcome;
        }
    };
    let first = head.lines().next().unwrap_or("");
    let delimiter = if first.contains(',') {
        b','
    } else if first.contains(';') {
        b';'
    } else if first.contains('\t') {
        b'\t'
    } else {
        b','
    };
    let since_record = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(RecordLimit { inner: input, since_record: since_record.clone() });
    let mut record = csv::ByteRecord::new();
    let mut columns: Vec<Option<Column>> = Vec::new();
    let mut header_read = false;
    let mut count = 0u64;
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map_or(line, |p| p.line());
                outcome.error(at, "", None, format!("the CSV cannot be read further: {e}"));
                break;
            }
        }
        since_record.set(0);
        let line = record.position().map_or(line, |p| p.line());
        let cells: Vec<&str> = match record.iter().map(std::str::from_utf8).collect::<Result<Vec<_>, _>>() {
            Ok(cells) => cells,
            Err(_) => {
                let column = record.iter().position(|c| std::str::from_utf8(c).is_err()).unwrap_or(0) + 1;
                outcome.error(line, "", None, format!("cell {column} is not UTF-8: save the file as UTF-8"));
                if !header_read {
                    // Without its header the rest cannot be read.
                    return outcome;
                }
                continue;
            }
        };
        if !header_read {
            header_read = true;
            columns = csv_header(&cells, line, &mut outcome);
            if !outcome.is_ok() {
                return outcome;
            }
            continue;
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        count += 1;
        if !check_count(&mut outcome, count, line) {
            break;
        }
        let values = columns.iter().zip(&cells).filter_map(|(c, v)| c.map(|c| (c, Value::Text(v))));
        if let Some(item) = item_of(line, "", values, &mut outcome) {
            sink(item);
        }
    }
    outcome.lines = reader.position().line();
    if !header_read {
        outcome.error(1, "", None, "the file is empty: a manifest starts with a header row naming its columns");
    }
    outcome
}

fn csv_header(cells: &[&str], line: u64, outcome: &mut ReadOutcome) -> Vec<Option<Column>> {
    let columns: Vec<Option<Column>> = cells.iter().map(|c| Column::named(c)).collect();
    let mut seen = BTreeSet::new();
    for (name, column) in cells.iter().zip(&columns) {
        match column {
            None => outcome.warning(line, "", None, format!("column {name:?} is not a manifest column: it is ignored")),
            Some(c) if !seen.insert(*c) => {
                outcome.error(line, "", Some(c.name()), format!("column {name:?} repeats another of the same meaning"))
            }
            Some(_) => {}
        }
    }
    if seen.is_empty() {
        outcome.error(
            line,
            "",
            None,
            "the header row names no manifest column (title, artists, isrc, ...): see docs/disclosures.md",
        );
    }
    columns
}

fn json_value(value: &serde_json::Value) -> Value<'_> {
    use serde_json::Value as J;
    match value {
        J::Null => Value::Null,
        J::String(s) => Value::Text(s),
        J::Number(n) => n
            .as_i64()
            .map_or_else(|| n.as_f64().map_or(Value::Other("a number out of range"), Value::Decimal), Value::Integer),
        J::Array(items) if items.iter().all(|i| i.is_string()) => {
            Value::Texts(items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        }
        J::Array(items) if items.iter().all(|i| i.is_i64()) => {
            Value::Integers(items.iter().filter_map(serde_json::Value::as_i64).collect())
        }
        // Neither text nor numbers: refused by whichever field it lands in.
        J::Bool(_) => Value::Other("a boolean"),
        J::Array(_) => Value::Other("a list of mixed values"),
        J::Object(_) => Value::Other("an object"),
    }
}

fn read_jsonl(input: impl BufRead, sink: &mut dyn FnMut(ManifestItem)) -> ReadOutcome {
    let mut outcome = ReadOutcome::default();
    let mut lines = Lines::new(input);
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    let mut count = 0u64;
    let mut first_object = true;
    while let Some(text) = lines.next_line(&mut outcome) {
        let line = lines.number;
        if text.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(_) => {
                outcome.error(line, "", None, "each line must be one JSON object (an item)");
                continue;
            }
            Err(e) => {
                // serde's text ends "at line 1 column N": the line is the file's, the column serde's.
                let what = e.to_string();
                let what = what.split(" at line ").next().unwrap_or(&what);
                outcome.error(line, "", None, format!("not JSON at column {}: {what}", e.column()));
                continue;
            }
        };
        // A header, if any, is the first object and names the format; an item may have a `format` of its
        // own (an audio file's) and is an item all the same.
        let first = std::mem::replace(&mut first_object, false);
        let format = object.get("format").and_then(|f| f.as_str());
        if first && format.is_some_and(|f| f.starts_with("tantiem-")) {
            if format != Some(MANIFEST_FORMAT) {
                outcome.error(line, "", Some("format"), format!("the header's format must be {MANIFEST_FORMAT:?}"));
            }
            continue;
        }
        count += 1;
        if !check_count(&mut outcome, count, line) {
            break;
        }
        let mut values: Vec<(Column, Value<'_>)> = Vec::with_capacity(object.len());
        let mut repeated = false;
        for (key, value) in &object {
            match Column::named(key) {
                Some(c) if values.iter().any(|(seen, _)| *seen == c) => {
                    outcome.error(
                        line,
                        "",
                        Some(c.name()),
                        format!("member {key:?} repeats another of the same meaning"),
                    );
                    repeated = true;
                }
                Some(c) => values.push((c, json_value(value))),
                None if unknown.len() < 20 && unknown.insert(key.clone()) => outcome.warning(
                    line,
                    "",
                    None,
                    format!("member {key:?} is not a manifest field: it is ignored (here and on later lines)"),
                ),
                None => {}
            }
        }
        if repeated {
            continue;
        }
        values.sort_by_key(|(c, _)| *c);
        if let Some(item) = item_of(line, "", values.into_iter(), &mut outcome) {
            sink(item);
        }
    }
    outcome.lines = lines.number;
    if count == 0 && outcome.is_ok() {
        outcome.error(1, "", None, "the manifest lists no items");
    }
    outcome
}

fn parquet_value(field: &parquet::record::Field) -> Value<'_> {
    use parquet::record::Field as F;
    match field {
        F::Null => Value::Null,
        F::Str(s) => Value::Text(s),
        F::Bytes(b) => std::str::from_utf8(b.data()).map_or(Value::Other("bytes that are not UTF-8 text"), Value::Text),
        F::Byte(n) => Value::Integer(i64::from(*n)),
        F::Short(n) => Value::Integer(i64::from(*n)),
        F::Int(n) => Value::Integer(i64::from(*n)),
        F::Long(n) => Value::Integer(*n),
        F::UByte(n) => Value::Integer(i64::from(*n)),
        F::UShort(n) => Value::Integer(i64::from(*n)),
        F::UInt(n) => Value::Integer(i64::from(*n)),
        F::ULong(n) => i64::try_from(*n).map_or(Value::Other("a number out of range"), Value::Integer),
        F::Float(f) => Value::Decimal(f64::from(*f)),
        F::Double(f) => Value::Decimal(*f),
        // Days since 1970-01-01, which is day 719,163 of the common era.
        F::Date(days) => days
            .checked_add(719_163)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map_or(Value::Other("a date out of range"), Value::Date),
        F::ListInternal(list) => {
            let elements = list.elements();
            if elements.iter().all(|e| matches!(e, F::Str(_))) {
                Value::Texts(
                    elements.iter().filter_map(|e| if let F::Str(s) = e { Some(s.clone()) } else { None }).collect(),
                )
            } else {
                let numbers: Option<Vec<i64>> = elements
                    .iter()
                    .map(|e| match e {
                        F::Int(n) => Some(i64::from(*n)),
                        F::Long(n) => Some(*n),
                        F::UInt(n) => Some(i64::from(*n)),
                        _ => None,
                    })
                    .collect();
                numbers.map_or(Value::Other("a list of mixed values"), Value::Integers)
            }
        }
        _ => Value::Other("a Parquet value no manifest field takes (a group, a map, a timestamp)"),
    }
}

/// Reads a Parquet manifest into `sink`, row group by row group. A damaged file is an error, never a
/// panic: the Parquet library's own checks are caught.
pub fn read_manifest_parquet(file: std::fs::File, sink: &mut dyn FnMut(ManifestItem)) -> ReadOutcome {
    let mut outcome = ReadOutcome::default();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_parquet(file, sink, &mut outcome)));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => outcome.error(0, "", None, format!("the Parquet file cannot be read: {e}")),
        Err(_) => outcome.error(0, "", None, "the Parquet file is damaged: it could not be read to its end"),
    }
    outcome
}

/// The largest Parquet footer (the file's metadata) read.
const MAX_PARQUET_FOOTER_BYTES: u64 = 64 << 20;
/// The most columns a Parquet manifest may have.
const MAX_PARQUET_COLUMNS: usize = 1_000;
/// The largest row group, uncompressed: a row group's pages are read while its rows are.
const MAX_ROW_GROUP_BYTES: i64 = 1 << 30;

/// The length the footer of a Parquet file says its metadata has (the four bytes before the closing magic).
fn parquet_footer_len(file: &mut std::fs::File) -> std::io::Result<u64> {
    use std::io::{Seek, SeekFrom};
    if file.metadata()?.len() < 12 {
        return Ok(0);
    }
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::End(-8))?;
    file.read_exact(&mut tail)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]])))
}

/// Whether the file's shape is within the limits; says what to do where it is not.
fn parquet_within_limits(metadata: &parquet::file::metadata::ParquetMetaData, outcome: &mut ReadOutcome) -> bool {
    let fields = metadata.file_metadata().schema_descr().root_schema().get_fields().len();
    if fields > MAX_PARQUET_COLUMNS {
        outcome.error(
            0,
            "",
            None,
            format!("{fields} columns, more than {MAX_PARQUET_COLUMNS}: write only the manifest's columns"),
        );
        return false;
    }
    for (n, group) in metadata.row_groups().iter().enumerate() {
        if group.total_byte_size() > MAX_ROW_GROUP_BYTES {
            outcome.error(
                0,
                "",
                None,
                format!(
                    "row group {} holds {} bytes uncompressed, more than {MAX_ROW_GROUP_BYTES}: write smaller row groups (pyarrow: row_group_size=100000)",
                    n + 1,
                    group.total_byte_size()
                ),
            );
            return false;
        }
    }
    true
}

fn read_parquet(
    mut file: std::fs::File,
    sink: &mut dyn FnMut(ManifestItem),
    outcome: &mut ReadOutcome,
) -> Result<(), parquet::errors::ParquetError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let footer = parquet_footer_len(&mut file)?;
    if footer > MAX_PARQUET_FOOTER_BYTES {
        outcome.error(0, "", None, format!("the file's metadata says it is {footer} bytes, more than {MAX_PARQUET_FOOTER_BYTES}: is it a Parquet file?"));
        return Ok(());
    }
    let reader = SerializedFileReader::new(file)?;
    if !parquet_within_limits(reader.metadata(), outcome) {
        return Ok(());
    }
    let schema = reader.metadata().file_metadata().schema_descr();
    let columns: Vec<Option<Column>> =
        schema.root_schema().get_fields().iter().map(|f| Column::named(f.name())).collect();
    let mut seen = BTreeSet::new();
    for (field, column) in schema.root_schema().get_fields().iter().zip(&columns) {
        match column {
            None => outcome.warning(
                0,
                "",
                None,
                format!("column {:?} is not a manifest column: it is ignored", field.name()),
            ),
            Some(c) if !seen.insert(*c) => outcome.error(
                0,
                "",
                Some(c.name()),
                format!("column {:?} repeats another of the same meaning", field.name()),
            ),
            Some(_) => {}
        }
    }
    if !outcome.is_ok() {
        return Ok(());
    }
    if seen.is_empty() {
        outcome.error(0, "", None, "the Parquet file has no manifest column (title, artists, isrc, ...)");
        return Ok(());
    }
    let mut row_number = 0u64;
    for group in 0..reader.num_row_groups() {
        let group = reader.get_row_group(group)?;
        for row in group.get_row_iter(None)? {
            let row = row?;
            row_number += 1;
            if !check_count(outcome, row_number, row_number) {
                return Ok(());
            }
            // A row's values come in the schema's order: the columns told from its names once.
            let values = row
                .get_column_iter()
                .zip(&columns)
                .filter_map(|((_, field), column)| column.map(|c| (c, parquet_value(field))));
            if let Some(item) = item_of(row_number, "row", values, outcome) {
                sink(item);
            }
        }
    }
    outcome.lines = row_number;
    if row_number == 0 && outcome.is_ok() {
        outcome.error(0, "", None, "the manifest lists no items");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(format: ManifestFormat, text: &str) -> (Vec<ManifestItem>, ReadOutcome) {
        let mut items = Vec::new();
        let outcome = read_manifest(format, text.as_bytes(), &mut |i| items.push(i));
        (items, outcome)
    }

    #[test]
    fn csv_items_with_every_field() {
        let (items, outcome) = read(
            ManifestFormat::Csv,
            "item_id,isrc,iswc,title,version,artists,writers,duration,source,acquired_on,content_sha256\n\
             t1,gb-ayc-17-00598,T-034.524.680-1,\"Midnight Serenade, Op. 2\",Live,Søren Hansen|Anna Berg,Hansen,3:34,freemusicarchive.org,2025-03-01,\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
        );
        assert!(outcome.is_ok(), "{:?}", outcome.diagnostics);
        let i = &items[0];
        assert_eq!(
            (i.line, i.isrc.as_deref(), i.title.as_deref()),
            (2, Some("GBAYC1700598"), Some("Midnight Serenade, Op. 2"))
        );
        assert_eq!((i.artists.len(), i.duration_s, i.version.as_deref()), (2, Some(214), Some("Live")));
        assert!(i.is_identifiable());
    }

    #[test]
    fn bad_fields_name_their_line_and_column() {
        let (items, outcome) =
            read(ManifestFormat::Csv, "title;duration_s;acquired_on\nA;abc;2025-01-01\nB;200;01/02/2025\nC;180;\n");
        assert_eq!(items.len(), 1);
        assert_eq!(outcome.errors, 2);
        let shown: Vec<String> = outcome.diagnostics.iter().map(ToString::to_string).collect();
        assert!(shown[0].starts_with("line 2: ER duration_s:"), "{shown:?}");
        assert!(shown[1].starts_with("line 3: ER acquired_on:"), "{shown:?}");
    }

    #[test]
    fn jsonl_reads_arrays_and_headers_and_warns_of_unknown_members() {
        let (items, outcome) = read(
            ManifestFormat::JsonLines,
            "{\"format\": \"tantiem-training-manifest/1\"}\n\
             {\"title\": \"Home\", \"artists\": [\"Anna Berg\"], \"duration_s\": 201.4, \"chromaprint\": [1, 2, -3], \"mood\": \"calm\"}\n\
             {\"title\": true}\n\
             {\"title\": \"Home\", \"format\": \"flac\"}\n",
        );
        assert_eq!(items.len(), 2, "an item's own format member is not a header");
        assert_eq!(items[0].chromaprint.as_deref(), Some(&[1, 2, u32::MAX - 2][..]));
        assert_eq!(items[0].duration_s, Some(201));
        assert_eq!(outcome.errors, 1);
        assert!(outcome.diagnostics.iter().any(|d| d.message.contains("\"mood\"")));
    }

    #[test]
    fn an_over_long_record_is_an_error_not_an_allocation() {
        let refusal = |outcome: &ReadOutcome| {
            outcome
                .diagnostics
                .iter()
                .any(|d| d.message.contains(&format!("a record longer than {MAX_LINE_BYTES} bytes")))
        };
        let line = format!("title\n{}\nNext\n", "x".repeat(MAX_LINE_BYTES + 2 * READ_AHEAD));
        let (_, outcome) = read(ManifestFormat::Csv, &line);
        assert!(refusal(&outcome), "{:?}", outcome.diagnostics);
        // A quote left open: a record of many short lines.
        let open_quote = format!("title,artists\n\"Home,Anna\n{}", "a,b\n".repeat(MAX_LINE_BYTES / 4 + READ_AHEAD));
        let (items, outcome) = read(ManifestFormat::Csv, &open_quote);
        assert!(refusal(&outcome) && items.is_empty(), "{:?}", outcome.diagnostics);
        // JSON Lines: the line is refused and the items after it are read.
        let jsonl = format!("{{\"title\": \"{}\"}}\n{{\"title\": \"Home\"}}\n", "x".repeat(MAX_LINE_BYTES + 10));
        let (items, outcome) = read(ManifestFormat::JsonLines, &jsonl);
        assert_eq!((items.len(), outcome.errors), (1, 1), "{:?}", outcome.diagnostics);
    }

    #[test]
    fn durations_are_read_strictly() {
        let cell = |t: &str| seconds(Value::Text(t)).ok().flatten();
        assert_eq!(
            [cell("214"), cell("3:34"), cell("1:02:03"), cell("PT3M34S"), cell("pt1h")],
            [Some(214), Some(214), Some(3723), Some(214), Some(3600)]
        );
        for bad in ["3:75", "3:-5", "1:60:00", "PT", "P", "1:2:3:4", "three"] {
            assert!(seconds(Value::Text(bad)).is_err(), "{bad} is refused");
        }
        let Err(Problem::Error(e)) = seconds(Value::Other("a boolean")) else { panic!("refused") };
        assert_eq!(e, "expected a duration, found a boolean");
    }

    #[test]
    fn two_columns_of_one_meaning_are_refused_in_every_encoding() {
        let (_, outcome) = read(ManifestFormat::Csv, "title,duration,duration_s\nHome,200,201\n");
        assert_eq!(outcome.errors, 1);
        let (items, outcome) = read(ManifestFormat::JsonLines, "{\"title\": \"Home\", \"name\": \"Away\"}\n");
        assert_eq!((items.len(), outcome.errors), (0, 1), "{:?}", outcome.diagnostics);
    }
}

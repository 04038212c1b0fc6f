//! MLCommons Croissant dataset metadata (JSON-LD, versions 1.0 and 1.1): what a disclosure's datasets are
//! (name, description, licence, URL, creators, publication date), their files (`cr:FileObject` and
//! `cr:FileSet` with content URL, encoding format, SHA-256), their record sets and fields (with data types
//! such as `sc:AudioObject`), and which responsible-AI (`rai:`) fields they fill in.
//!
//! JSON-LD is read as the Croissant specification writes it (compact IRIs under the context's `sc:` and
//! `cr:` prefixes, or bare schema.org terms under `@vocab`); the document is not expanded.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::DocumentError;
use crate::{Diagnostic, Level};

/// One file or set of files of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    /// `FileObject` or `FileSet`.
    pub kind: String,
    pub name: Option<String>,
    pub content_url: Option<String>,
    pub encoding_format: Option<String>,
    pub sha256: Option<String>,
    /// For a file set: the glob of the files it includes.
    pub includes: Option<String>,
}

/// A record set and its fields (name, data type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSet {
    pub name: Option<String>,
    pub fields: Vec<(String, String)>,
}

/// A Croissant dataset, as much of it as a transparency assessment uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CroissantDataset {
    pub name: String,
    pub description: Option<String>,
    pub license: Option<String>,
    pub url: Option<String>,
    pub creators: Vec<String>,
    pub date_published: Option<String>,
    pub conforms_to: Option<String>,
    pub distribution: Vec<Distribution>,
    pub record_sets: Vec<RecordSet>,
    /// The responsible-AI fields present (`rai:dataCollection`, ...).
    pub rai_fields: Vec<String>,
}

impl CroissantDataset {
    /// Whether the dataset holds audio: an audio field or audio files.
    pub fn has_audio(&self) -> bool {
        self.record_sets.iter().flat_map(|r| &r.fields).any(|(_, t)| t.ends_with("AudioObject"))
            || self.distribution.iter().any(|d| d.encoding_format.as_deref().is_some_and(|f| f.starts_with("audio/")))
    }
}

fn string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() && s != "None" => Some(s.trim().to_owned()),
        Value::Object(o) => string(o.get("name").or_else(|| o.get("@id")).or_else(|| o.get("url"))),
        Value::Array(items) => string(items.first()),
        _ => None,
    }
}

/// A member by its bare name or its `sc:` / `cr:` compact IRI.
fn member<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| object.get(&format!("sc:{name}"))).or_else(|| object.get(&format!("cr:{name}")))
}

fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

fn type_of(object: &serde_json::Map<String, Value>) -> String {
    let t = string(object.get("@type")).unwrap_or_default();
    t.rsplit([':', '/']).next().unwrap_or("").to_owned()
}

fn problem(line: u64, message: impl Into<String>) -> DocumentError {
    DocumentError(Diagnostic::new(line, "", None, Level::File, message))
}

/// Reads a Croissant file; refuses JSON that is not a Croissant dataset, saying why.
pub fn read_croissant(bytes: &[u8]) -> Result<CroissantDataset, DocumentError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        problem(e.line() as u64, format!("the Croissant file is not JSON (column {}): {e}", e.column()))
    })?;
    let Value::Object(root) = value else { return Err(problem(1, "a Croissant file is one JSON object")) };
    let context = root.get("@context").map(Value::to_string).unwrap_or_default();
    if !context.contains("mlcommons.org/croissant") {
        return Err(problem(1, "the JSON-LD context does not name Croissant (http://mlcommons.org/croissant/)"));
    }
    if type_of(&root) != "Dataset" {
        return Err(problem(1, "the document's @type is not sc:Dataset"));
    }
    let name = string(member(&root, "name")).ok_or_else(|| problem(1, "the dataset has no name"))?;
    let distribution = list(member(&root, "distribution"))
        .into_iter()
        .filter_map(Value::as_object)
        .map(|d| Distribution {
            kind: type_of(d),
            name: string(member(d, "name")),
            content_url: string(member(d, "contentUrl")),
            encoding_format: string(member(d, "encodingFormat")),
            sha256: string(member(d, "sha256")),
            includes: string(member(d, "includes")),
        })
        .collect();
    let record_sets = list(member(&root, "recordSet"))
        .into_iter()
        .filter_map(Value::as_object)
        .map(|r| RecordSet {
            name: string(member(r, "name")),
            fields: list(member(r, "field"))
                .into_iter()
                .filter_map(Value::as_object)
                .map(|f| {
                    (string(member(f, "name")).unwrap_or_default(), string(member(f, "dataType")).unwrap_or_default())
                })
                .collect(),
        })
        .collect();
    let creators = list(member(&root, "creator")).into_iter().filter_map(|c| string(Some(c))).collect();
    let mut rai_fields: Vec<String> = root.keys().filter(|k| k.starts_with("rai:")).cloned().collect();
    rai_fields.sort();
    Ok(CroissantDataset {
        name,
        description: string(member(&root, "description")),
        license: string(member(&root, "license")),
        url: string(member(&root, "url")),
        creators,
        date_published: string(member(&root, "datePublished")),
        conforms_to: string(member(&root, "conformsTo")),
        distribution,
        record_sets,
        rai_fields,
    })
}

//! The AI Act public summary of training content (AI Act Art. 53(1)(d)), in Tantiem's JSON form of the AI
//! Office's template (July 2025): section 1 (1.1 provider, 1.2 model, 1.3 modalities with their size bins,
//! content types and latest acquisition date), section 2 (2.1 public datasets, 2.2 licensed and other
//! private datasets, 2.3 crawled data, 2.4 user data, 2.5 synthetic data, 2.6 other sources) and section 3
//! (3.1 opt-out measures, 3.2 illegal content removal, 3.3 other information). Documented, with an example,
//! in `docs/disclosures.md`.
//!
//! The template names no individual works: a summary on its own is never full transparency.

use chrono::NaiveDate;
pub use domain::disclosure::AudioSize;
use serde::{Deserialize, Serialize};

use super::DocumentError;
use crate::{Diagnostic, Level};

/// The value of the `format` member that names the form.
pub const FORMAT_NAME: &str = "tantiem-ai-act-summary/1";

/// Reads an audio size bin as people write it: `<10k hours`, `less than 10,000 hours`, `10k-1M hours`,
/// `>1M hours`, `more than 1 million hours`, ...
pub fn parse_audio_size(text: &str) -> Option<AudioSize> {
    let t: String = text.to_lowercase().chars().filter(|c| !matches!(c, ' ' | ',' | '_')).collect();
    let t = t.trim_end_matches("hours").trim_end_matches('h');
    Some(match t {
        "<10k" | "<10000" | "lessthan10k" | "lessthan10000" | "under10k" | "under10000" => AudioSize::Under10kHours,
        "10k-1m" | "10000-1000000" | "10kto1m" | "10000to1000000" | "from10kto1m" => AudioSize::From10kTo1mHours,
        ">1m" | ">1000000" | "morethan1m" | "morethan1000000" | "over1m" | "over1000000" | "morethan1million" => {
            AudioSize::Over1mHours
        }
        _ => return None,
    })
}

/// 1.1 The provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub name: String,
    #[serde(default)]
    pub contact: Option<String>,
    /// Whether the provider is an SME (the template then asks for the top 5% of crawled domains, or 1,000).
    #[serde(default)]
    pub sme: bool,
}

/// 1.2 The model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    /// Base models it builds on.
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub placed_on_market: Option<NaiveDate>,
}

/// 1.3 One modality of the training data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modality {
    /// `audio`, `text`, `image`, `video`.
    pub modality: String,
    /// The size bin as the template words it; for audio one of `<10k hours`, `10k-1M hours`, `>1M hours`.
    pub size: String,
    /// Content types, e.g. `musical compositions`, `sound recordings`, `lyrics`.
    #[serde(default)]
    pub content_types: Vec<String>,
}

/// A dataset a summary names (2.1, 2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    pub name: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub modality: Option<String>,
    /// Who licensed it (2.2).
    #[serde(default)]
    pub licensor: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// 2.2 Private datasets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateDatasets {
    #[serde(default)]
    pub licensed: Vec<Dataset>,
    #[serde(default)]
    pub other: Vec<Dataset>,
}

/// A period of data collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// 2.3 Crawled data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crawled {
    pub used: bool,
    #[serde(default)]
    pub crawlers: Vec<String>,
    #[serde(default)]
    pub period: Option<Period>,
    /// The top domains by size (10%, or 5% or 1,000 for an SME).
    #[serde(default)]
    pub top_domains: Vec<String>,
}

/// 2.4–2.6 A source described in words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Described {
    pub used: bool,
    #[serde(default)]
    pub description: Option<String>,
}

/// Totals the licensee declares for the whole training set (Tantiem's addition to the template).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredTotals {
    #[serde(default)]
    pub items: Option<u64>,
    /// Hours of audio, as a decimal string (`"1234.5"`).
    #[serde(default)]
    pub audio_hours: Option<String>,
}

/// The summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiActSummary {
    pub format: String,
    pub provider: Provider,
    pub model: Model,
    pub modalities: Vec<Modality>,
    #[serde(default)]
    pub latest_acquisition: Option<NaiveDate>,
    #[serde(default)]
    pub public_datasets: Vec<Dataset>,
    #[serde(default)]
    pub private_datasets: PrivateDatasets,
    #[serde(default)]
    pub crawled: Option<Crawled>,
    #[serde(default)]
    pub user_data: Option<Described>,
    #[serde(default)]
    pub synthetic_data: Option<Described>,
    #[serde(default)]
    pub other_sources: Option<Described>,
    #[serde(default)]
    pub opt_out_measures: Option<String>,
    #[serde(default)]
    pub illegal_content_removal: Option<String>,
    #[serde(default)]
    pub other_information: Option<String>,
    #[serde(default)]
    pub declared_totals: Option<DeclaredTotals>,
}

impl AiActSummary {
    /// The audio size bin the summary gives, if it lists audio.
    pub fn audio_size(&self) -> Option<AudioSize> {
        self.modalities
            .iter()
            .find(|m| m.modality.eq_ignore_ascii_case("audio"))
            .and_then(|m| parse_audio_size(&m.size))
    }

    /// Every source the summary names: its datasets (by name and URL) and crawled domains.
    pub fn named_sources(&self) -> Vec<String> {
        let datasets =
            self.public_datasets.iter().chain(&self.private_datasets.licensed).chain(&self.private_datasets.other);
        let mut out: Vec<String> = Vec::new();
        for d in datasets {
            out.push(d.name.clone());
            out.extend(d.url.clone());
        }
        if let Some(c) = &self.crawled {
            out.extend(c.top_domains.iter().cloned());
        }
        out
    }
}

/// Hours as people write them (`"1.92"`) in thousandths of an hour, if they are a decimal with at most three
/// decimals.
pub fn declared_milli_hours(text: &str) -> Option<u64> {
    money::parse_scaled(text, 3).and_then(|v| u64::try_from(v).ok())
}

fn problem(line: u64, field: Option<&'static str>, message: impl Into<String>) -> DocumentError {
    DocumentError(Diagnostic::new(line, "", field, Level::File, message))
}

/// Reads a summary; warnings name the sections the template asks for that it leaves out.
pub fn read_summary(bytes: &[u8]) -> Result<(AiActSummary, Vec<Diagnostic>), DocumentError> {
    let summary: AiActSummary = serde_json::from_slice(bytes).map_err(|e| {
        problem(e.line() as u64, None, format!("the AI Act summary cannot be read at column {}: {e}", e.column()))
    })?;
    if summary.format != FORMAT_NAME {
        return Err(problem(1, Some("format"), format!("the summary's format must be {FORMAT_NAME:?}")));
    }
    if summary.modalities.is_empty() {
        return Err(problem(0, Some("modalities"), "section 1.3 lists no modality: name at least audio"));
    }
    for m in summary.modalities.iter().filter(|m| m.modality.eq_ignore_ascii_case("audio")) {
        if parse_audio_size(&m.size).is_none() {
            return Err(problem(
                0,
                Some("modalities"),
                format!(
                    "{:?} is not one of the template's audio size bins: write <10k hours, 10k-1M hours or >1M hours",
                    m.size
                ),
            ));
        }
    }
    if let Some(hours) = summary.declared_totals.as_ref().and_then(|d| d.audio_hours.as_deref())
        && declared_milli_hours(hours).is_none()
    {
        return Err(problem(
            0,
            Some("declared_totals"),
            format!("declared audio_hours {hours:?} is not a decimal number of hours with at most three decimals"),
        ));
    }
    let warn = |field: &'static str, what: &str| {
        Diagnostic::new(0, "", Some(field), Level::Warning, format!("section {what} is not filled in"))
    };
    let mut warnings = Vec::new();
    for (missing, field, what) in [
        (summary.crawled.is_none(), "crawled", "2.3 (crawled data)"),
        (summary.user_data.is_none(), "user_data", "2.4 (user data)"),
        (summary.synthetic_data.is_none(), "synthetic_data", "2.5 (synthetic data)"),
        (summary.other_sources.is_none(), "other_sources", "2.6 (other sources)"),
        (summary.opt_out_measures.is_none(), "opt_out_measures", "3.1 (measures to respect reservations)"),
        (summary.illegal_content_removal.is_none(), "illegal_content_removal", "3.2 (removal of illegal content)"),
    ] {
        if missing {
            warnings.push(warn(field, what));
        }
    }
    if !summary.modalities.iter().any(|m| m.modality.eq_ignore_ascii_case("audio")) {
        warnings.push(Diagnostic::new(0, "", Some("modalities"), Level::Warning, "the summary lists no audio"));
    }
    Ok((summary, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_bins_in_the_ways_people_write_them() {
        for (text, bin) in [
            ("<10k hours", AudioSize::Under10kHours),
            ("less than 10,000 hours", AudioSize::Under10kHours),
            ("10k-1M hours", AudioSize::From10kTo1mHours),
            ("10,000-1,000,000 hours", AudioSize::From10kTo1mHours),
            (">1M hours", AudioSize::Over1mHours),
            ("more than 1 million hours", AudioSize::Over1mHours),
        ] {
            assert_eq!(parse_audio_size(text), Some(bin), "{text}");
        }
        assert_eq!(parse_audio_size("lots"), None);
    }

    #[test]
    fn typos_in_member_names_are_refused_with_their_line() {
        let text = b"{\n  \"format\": \"tantiem-ai-act-summary/1\",\n  \"provider\": {\"name\": \"Songfox AB\"},\n  \"modell\": {}\n}";
        let e = read_summary(text).unwrap_err();
        assert_eq!(e.0.line, 4, "{e}");
        assert!(e.0.message.contains("modell"), "{e}");
    }
}

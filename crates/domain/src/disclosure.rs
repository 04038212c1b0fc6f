//! The transparency assessment of a training disclosure: the criteria a society applies (defaults an
//! operator can change), the facts of a disclosure they are applied to, and the verdict with its reasons.
//!
//! *Full* transparency needs an item-level manifest whose items can nearly all be identified, whose totals
//! agree with the totals the licensee declares, with an AI Act summary whose audio size bin agrees, and
//! with its sources named. A manifest that misses any of these is *partial*; no manifest is *none* (an AI
//! Act summary alone names no works). Anything short of full brings in the presumption rule.

use std::fmt;

use money::{SHARE_SCALE, Share};
use serde::{Deserialize, Serialize};

/// The AI Act summary template's size bins for audio (section 1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AudioSize {
    /// Less than 10,000 hours.
    Under10kHours,
    /// 10,000 to 1,000,000 hours.
    From10kTo1mHours,
    /// More than 1,000,000 hours.
    Over1mHours,
}

impl AudioSize {
    /// The bin a number of seconds of audio falls in.
    pub fn of_seconds(seconds: u64) -> AudioSize {
        match seconds / 3_600 {
            0..10_000 => AudioSize::Under10kHours,
            10_000..=1_000_000 => AudioSize::From10kTo1mHours,
            _ => AudioSize::Over1mHours,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AudioSize::Under10kHours => "less than 10,000 hours",
            AudioSize::From10kTo1mHours => "10,000 to 1,000,000 hours",
            AudioSize::Over1mHours => "more than 1,000,000 hours",
        }
    }
}

/// What full transparency requires: the society's rules, stored with its other rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransparencyCriteria {
    /// The least share of items that can be identified (a valid ISRC or ISWC, a fingerprint, or title,
    /// artist and duration), whether or not they are in the repertoire.
    pub min_identifiable: Share,
    /// How far the manifest's item count and hours may be from the declared totals.
    pub totals_tolerance: Share,
    /// Whether an AI Act summary is needed, with an audio size bin that agrees with the manifest's hours.
    pub require_summary: bool,
    /// The least share of items that name their source (a dataset or a domain).
    pub min_sourced: Share,
    /// Whether the items' sources must also be declared in the AI Act summary or a Croissant file (for
    /// as many items as `min_sourced`: the summary lists only the largest crawled domains).
    pub sources_declared: bool,
}

impl Default for TransparencyCriteria {
    fn default() -> TransparencyCriteria {
        let percent = |p: u32| Share::from_scaled(p * (SHARE_SCALE / 100)).unwrap_or(Share::ONE);
        TransparencyCriteria {
            min_identifiable: percent(95),
            totals_tolerance: percent(1),
            require_summary: true,
            min_sourced: percent(95),
            sources_declared: true,
        }
    }
}

/// The transparency verdict on a disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Full,
    Partial,
    None,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Full => "full",
            Verdict::Partial => "partial",
            Verdict::None => "none",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the assessment looks at in a disclosure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureFacts {
    /// Items of its manifests (0: no item-level manifest).
    pub items: u64,
    pub identifiable: u64,
    pub with_source: u64,
    /// The items' durations summed.
    pub listed_seconds: u64,
    pub declared_items: Option<u64>,
    /// Declared hours of audio, in thousandths of an hour.
    pub declared_milli_hours: Option<u64>,
    /// Whether an AI Act summary came with it, and the audio size bin it gives.
    pub has_summary: bool,
    pub summary_audio_size: Option<AudioSize>,
    /// Whether Croissant metadata came with it (it declares datasets and their sources, not items).
    #[serde(default)]
    pub has_croissant: bool,
    /// Items whose source the AI Act summary or a Croissant file declares.
    pub with_declared_source: u64,
    /// Sources the items name that neither declares (the first few, for the reason).
    pub undeclared_sources: Vec<String>,
}

/// One criterion, met or not, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub criterion: String,
    pub met: bool,
    pub detail: String,
}

/// `part / whole` as a share (100% for an empty whole).
fn ratio(part: u64, whole: u64) -> Share {
    if whole == 0 {
        return Share::ONE;
    }
    let units = u128::from(part.min(whole)) * u128::from(SHARE_SCALE) / u128::from(whole);
    Share::from_scaled(units as u32).unwrap_or(Share::ONE)
}

/// Whether `listed` is within `tolerance` of `declared`.
fn within(listed: u128, declared: u128, tolerance: Share) -> bool {
    listed.abs_diff(declared) * u128::from(SHARE_SCALE) <= declared * u128::from(tolerance.scaled())
}

/// What an item criterion says when no manifest was sent (rather than "0 of 0 items (100.00%)").
const NO_ITEMS: &str = "no items to check: no manifest was sent";

/// Applies the criteria to a disclosure's facts: the verdict and each criterion's result.
pub fn assess(facts: &DisclosureFacts, criteria: &TransparencyCriteria) -> (Verdict, Vec<CriterionResult>) {
    let mut results = Vec::new();
    let mut push = |criterion: &str, met: bool, detail: String| {
        results.push(CriterionResult { criterion: criterion.to_owned(), met, detail })
    };
    let manifest = facts.items > 0;
    push(
        "item-level manifest",
        manifest,
        if manifest {
            format!("{} items listed", facts.items)
        } else {
            // Said of what was sent: a summary, Croissant metadata, or neither.
            match (facts.has_summary, facts.has_croissant) {
                (true, _) => "no manifest lists the training items: an AI Act summary names no works",
                (false, true) => {
                    "no manifest lists the training items: Croissant metadata describes datasets, not the items a model trained on"
                }
                (false, false) => "no manifest lists the training items",
            }
            .to_owned()
        },
    );
    let identifiable = ratio(facts.identifiable, facts.items);
    push(
        "identifiable items",
        manifest && identifiable >= criteria.min_identifiable,
        if manifest {
            format!(
                "{} of {} items ({identifiable}) carry a valid ISRC or ISWC, a fingerprint, or title, artist and duration; {} needed",
                facts.identifiable, facts.items, criteria.min_identifiable
            )
        } else {
            NO_ITEMS.to_owned()
        },
    );
    let listed_milli_hours = u128::from(facts.listed_seconds) * 1000 / 3600;
    let totals = match (facts.declared_items, facts.declared_milli_hours) {
        (Some(items), Some(milli_hours)) => {
            let items_ok = within(u128::from(facts.items), u128::from(items), criteria.totals_tolerance);
            // Compared in seconds × 1000 so no rounding decides it.
            let hours_ok = within(
                u128::from(facts.listed_seconds) * 1000,
                u128::from(milli_hours) * 3600,
                criteria.totals_tolerance,
            );
            let detail = format!(
                "listed {} items and {}.{:03} hours against {} items and {}.{:03} hours declared (within {} needed)",
                facts.items,
                listed_milli_hours / 1000,
                listed_milli_hours % 1000,
                items,
                milli_hours / 1000,
                milli_hours % 1000,
                criteria.totals_tolerance
            );
            (manifest && items_ok && hours_ok, detail)
        }
        _ => (false, "the licensee declared no totals (items and hours of audio) to check the manifest against".into()),
    };
    push("totals agree", totals.0, totals.1);
    let listed_bin = AudioSize::of_seconds(facts.listed_seconds);
    let summary = match (facts.has_summary, facts.summary_audio_size) {
        (false, _) => (!criteria.require_summary, "no AI Act summary came with the disclosure".to_owned()),
        (true, None) => (!criteria.require_summary, "the AI Act summary gives no audio size".to_owned()),
        (true, Some(bin)) => (
            bin == listed_bin || !criteria.require_summary,
            format!("the summary's audio size is {}; the manifest lists {}", bin.label(), listed_bin.label()),
        ),
    };
    push("AI Act summary agrees", manifest && summary.0, summary.1);
    let sourced = ratio(facts.with_source, facts.items);
    let declared = ratio(facts.with_declared_source, facts.items);
    let declared_ok = !criteria.sources_declared || declared >= criteria.min_sourced;
    let mut detail = if manifest {
        format!(
            "{} of {} items ({sourced}) name their source, {} ({declared}) a source the summary or Croissant declares; {} needed",
            facts.with_source, facts.items, facts.with_declared_source, criteria.min_sourced
        )
    } else {
        NO_ITEMS.to_owned()
    };
    if !facts.undeclared_sources.is_empty() {
        detail.push_str(&format!("; not declared: {}", facts.undeclared_sources.join(", ")));
    }
    push("sources named", manifest && sourced >= criteria.min_sourced && declared_ok, detail);
    let verdict = if !manifest {
        Verdict::None
    } else if results.iter().all(|r| r.met) {
        Verdict::Full
    } else {
        Verdict::Partial
    };
    (verdict, results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_manifest_the_reasons_say_what_was_sent() {
        let criteria = TransparencyCriteria::default();
        let croissant_only = DisclosureFacts { has_croissant: true, ..DisclosureFacts::default() };
        let (verdict, results) = assess(&croissant_only, &criteria);
        assert_eq!(verdict, Verdict::None);
        assert_eq!(
            results[0].detail,
            "no manifest lists the training items: Croissant metadata describes datasets, not the items a model trained on"
        );
        for r in &results {
            assert!(!r.detail.contains("0 of 0"), "{}: {}", r.criterion, r.detail);
            assert!(!r.detail.contains("AI Act summary names"), "{}: {}", r.criterion, r.detail);
        }
        assert_eq!(results[1].detail, "no items to check: no manifest was sent");
        let summary_only = DisclosureFacts { has_summary: true, ..DisclosureFacts::default() };
        assert!(assess(&summary_only, &criteria).1[0].detail.ends_with("an AI Act summary names no works"));
    }

    fn complete() -> DisclosureFacts {
        DisclosureFacts {
            items: 1_000,
            identifiable: 990,
            with_source: 1_000,
            listed_seconds: 720_000,
            declared_items: Some(1_000),
            declared_milli_hours: Some(200_000),
            has_summary: true,
            summary_audio_size: Some(AudioSize::Under10kHours),
            has_croissant: false,
            with_declared_source: 1_000,
            undeclared_sources: Vec::new(),
        }
    }

    #[test]
    fn a_complete_manifest_is_full_and_each_shortfall_makes_it_partial() {
        let criteria = TransparencyCriteria::default();
        assert_eq!(assess(&complete(), &criteria).0, Verdict::Full);
        let shortfalls: Vec<DisclosureFacts> = vec![
            DisclosureFacts { identifiable: 949, ..complete() },
            DisclosureFacts { declared_items: Some(1_011), ..complete() },
            DisclosureFacts { declared_milli_hours: Some(197_900), ..complete() },
            DisclosureFacts { declared_items: None, ..complete() },
            DisclosureFacts { has_summary: false, summary_audio_size: None, ..complete() },
            DisclosureFacts { summary_audio_size: Some(AudioSize::From10kTo1mHours), ..complete() },
            DisclosureFacts { with_source: 940, with_declared_source: 940, ..complete() },
            DisclosureFacts { with_declared_source: 900, undeclared_sources: vec!["example.org".into()], ..complete() },
        ];
        for facts in shortfalls {
            let (verdict, results) = assess(&facts, &criteria);
            assert_eq!(verdict, Verdict::Partial, "{facts:?}");
            assert_eq!(results.iter().filter(|r| !r.met).count(), 1, "{results:?}");
        }
        // Within 1% of what is declared: 1,010 declared for 1,000 listed, 198.1 hours for 200.0.
        let near = DisclosureFacts { declared_items: Some(1_010), declared_milli_hours: Some(198_100), ..complete() };
        assert_eq!(assess(&near, &criteria).0, Verdict::Full);
    }

    #[test]
    fn a_summary_alone_is_none_and_criteria_can_be_relaxed() {
        let summary_only = DisclosureFacts {
            has_summary: true,
            summary_audio_size: Some(AudioSize::Under10kHours),
            ..Default::default()
        };
        let (verdict, results) = assess(&summary_only, &TransparencyCriteria::default());
        assert_eq!(verdict, Verdict::None);
        assert!(results.iter().all(|r| !r.met));
        let relaxed = TransparencyCriteria { require_summary: false, ..TransparencyCriteria::default() };
        let no_summary = DisclosureFacts { has_summary: false, summary_audio_size: None, ..complete() };
        assert_eq!(assess(&no_summary, &relaxed).0, Verdict::Full);
    }

    #[test]
    fn size_bins() {
        assert_eq!(AudioSize::of_seconds(9_999 * 3_600), AudioSize::Under10kHours);
        assert_eq!(AudioSize::of_seconds(10_000 * 3_600), AudioSize::From10kTo1mHours);
        assert_eq!(AudioSize::of_seconds(1_000_001 * 3_600), AudioSize::Over1mHours);
    }
}

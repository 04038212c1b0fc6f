//! Training disclosures: what a licensee says a model version trained on, matched to the repertoire, judged
//! for transparency, and the presumption rule applied where it falls short.

pub mod run;

use formats::disclosure::ManifestItem;

/// The matcher's view of a manifest item.
pub fn matching_item(item: &ManifestItem) -> matching::Item {
    matching::Item {
        isrc: item.isrc.clone(),
        iswc: item.iswc.clone(),
        title: item.title.clone(),
        version: item.version.clone(),
        artists: item.artists.clone(),
        writers: item.writers.clone(),
        duration_s: item.duration_s,
        fingerprint: item.chromaprint.clone(),
    }
}

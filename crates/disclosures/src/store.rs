//! What the disclosure use cases need from a store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Origin, RecordingInfo, SoundRecording, Work};

use super::{Assessment, Decision, Disclosure, MatchCounts, MatchRow, MatchSet, MatchStatus, PartyMatch};
use ports::StoreResult;

/// The disclosures, their match sets, people's decisions and the assessments. Every write is one
/// transaction; a match set is written in chunks and only counts once finished.
#[async_trait]
pub trait DisclosureStore: licensing::LicensingStore + Send + Sync {
    /// Stores a disclosure as its model version's current one (the earlier ones stay, not current).
    async fn add_disclosure(&self, disclosure: &Disclosure) -> StoreResult<()>;
    async fn disclosure(&self, id: &str) -> StoreResult<Option<Disclosure>>;
    /// Every disclosure (of one licensee), in order of receipt.
    async fn disclosures(&self, licensee: Option<&str>) -> StoreResult<Vec<Disclosure>>;
    /// The disclosure in force for a licensee's model version, if any.
    async fn current_disclosure(&self, licensee: &str, model: &str) -> StoreResult<Option<Disclosure>> {
        Ok(self.disclosures(Some(licensee)).await?.into_iter().rfind(|d| d.current && d.model_version == model))
    }
    /// The latest assessment of a model version's disclosure in force.
    async fn current_assessment(&self, licensee: &str, model: &str) -> StoreResult<Option<Assessment>> {
        match self.current_disclosure(licensee, model).await? {
            Some(d) => Ok(self.assessments(&d.id).await?.pop()),
            None => Ok(None),
        }
    }

    /// Records that a licensee uploaded a file (kept in the archive under its SHA-256); again is a no-op.
    async fn add_upload(&self, licensee: &str, sha256: &str, size: u64, at: DateTime<Utc>) -> StoreResult<()>;
    /// Whether a licensee uploaded a file: a disclosure through the API names only its own uploads.
    async fn uploaded(&self, licensee: &str, sha256: &str) -> StoreResult<bool>;

    /// Starts a disclosure's next match set, numbered after every other (finished or not); sets left
    /// unfinished for more than a day (an interrupted run) are dropped. Returns its id and number.
    async fn begin_match_set(&self, disclosure: &str, at: DateTime<Utc>, stamp: &str) -> StoreResult<(u64, u32)>;
    /// Drops a started match set that did not finish (a run that failed), with its rows; a finished set is
    /// never dropped.
    async fn drop_match_set(&self, match_set: u64) -> StoreResult<()>;
    /// Adds a chunk of a started match set's rows.
    async fn add_matches(&self, match_set: u64, rows: &[MatchRow]) -> StoreResult<()>;
    /// Marks a match set finished and counts its rows: from now on it is the disclosure's latest. An error
    /// if the set was dropped while it ran.
    async fn finish_match_set(&self, match_set: u64) -> StoreResult<MatchCounts>;
    /// A disclosure's finished match sets, oldest first.
    async fn match_sets(&self, disclosure: &str) -> StoreResult<Vec<MatchSet>>;
    /// Rows of a match set after item number `after` (of one status), at most `limit`, in item order.
    async fn matches(
        &self,
        match_set: u64,
        status: Option<MatchStatus>,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<MatchRow>>;
    async fn match_row(&self, match_set: u64, item: u64) -> StoreResult<Option<MatchRow>>;
    /// Replaces one row (a person decided it) and counts the set again, in one transaction.
    async fn replace_match(&self, match_set: u64, row: &MatchRow) -> StoreResult<MatchCounts>;
    /// The works a match set's items were matched to, with how many items each.
    async fn matched_works(&self, match_set: u64) -> StoreResult<Vec<(String, u64)>>;

    /// Records a decision, replacing the licensee's earlier decision on the same item.
    async fn put_decision(&self, decision: &Decision) -> StoreResult<()>;
    /// Every decision people made on the licensee's items (a few per disclosure, read once per match run).
    async fn decisions(&self, licensee: &str) -> StoreResult<Vec<Decision>>;

    async fn add_assessment(&self, assessment: &Assessment) -> StoreResult<()>;
    /// A disclosure's assessments, oldest first.
    async fn assessments(&self, disclosure: &str) -> StoreResult<Vec<Assessment>>;

    /// For a party, the items of current disclosures' latest match sets matched to works it has a share
    /// of, by work and method.
    async fn party_matches(&self, party_key: &str) -> StoreResult<Vec<PartyMatch>>;

    /// Works for the matcher, in code order after `after`: title (then alternates), ISWC, writers.
    async fn matching_works(&self, after: &str, limit: u32) -> StoreResult<Vec<::matching::WorkEntry>>;
    /// Standing ERN recordings in key order after `after`, each with its works: `(code, None)` for a link,
    /// `(code, Some(recording))` for a CWR REC record of the same ISRC.
    async fn matching_sound_recordings(
        &self,
        after: &str,
        limit: u32,
    ) -> StoreResult<Vec<(SoundRecording, Vec<(String, Option<RecordingInfo>)>)>>;
    /// CWR REC recordings no standing ERN recording has the key of, as (id, work code, recording, the work's
    /// performing artists), in id order after `after`; one without a title is given its work's title.
    async fn matching_cwr_recordings(
        &self,
        after: &str,
        limit: u32,
    ) -> StoreResult<Vec<(String, String, RecordingInfo, Vec<String>)>>;
    /// A stamp of the repertoire as it stands (counts and latest changes of works, recordings and links):
    /// when it differs from a match set's, the repertoire has changed since.
    async fn repertoire_stamp(&self) -> StoreResult<String>;
    /// Works by code: title, origin, and the primary registration's work (for its holders' consent).
    async fn works_for_assessment(&self, codes: &[String]) -> StoreResult<Vec<(String, String, Origin, Option<Work>)>>;
}

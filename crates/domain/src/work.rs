//! Works: titles, the writers and publishers with their roles, ownership shares and collection shares per
//! right type and territory, recordings, performers, origin; and the checks that a share chain is whole.

use std::collections::HashMap;

use chrono::NaiveDate;
use money::Share;
use serde::{Deserialize, Serialize};

use crate::identifiers::{IpiBaseNumber, IpiNameNumber, Isrc, Iswc};
use crate::origin::Origin;
use crate::party::PartyKey;
use crate::society::{SocietyCode, SocietyRules};
use crate::territory::{CountrySet, Territories, TisCode, WORLD};

/// The three right types CWR carries shares for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RightType {
    /// Public performance and communication (PR).
    Performing,
    /// Reproduction, mechanical (MR).
    Mechanical,
    /// Synchronisation (SR).
    Synchronisation,
}

impl RightType {
    pub const ALL: [RightType; 3] = [RightType::Performing, RightType::Mechanical, RightType::Synchronisation];

    /// CWR's two-letter abbreviation.
    pub fn abbreviation(self) -> &'static str {
        match self {
            RightType::Performing => "PR",
            RightType::Mechanical => "MR",
            RightType::Synchronisation => "SR",
        }
    }
}

/// One share per right type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RightShares {
    pub performing: Share,
    pub mechanical: Share,
    pub synchronisation: Share,
}

impl RightShares {
    pub fn get(&self, right: RightType) -> Share {
        match right {
            RightType::Performing => self.performing,
            RightType::Mechanical => self.mechanical,
            RightType::Synchronisation => self.synchronisation,
        }
    }
}

/// The society a party is affiliated with for each right type, as the registration states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RightSocieties {
    pub performing: Option<SocietyCode>,
    pub mechanical: Option<SocietyCode>,
    pub synchronisation: Option<SocietyCode>,
}

impl RightSocieties {
    pub fn is_empty(&self) -> bool {
        *self == RightSocieties::default()
    }

    pub fn get(&self, right: RightType) -> Option<SocietyCode> {
        match right {
            RightType::Performing => self.performing,
            RightType::Mechanical => self.mechanical,
            RightType::Synchronisation => self.synchronisation,
        }
    }
}

/// What an interested party does in a work: a writer designation or a publisher role (CWR codes kept).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "side", content = "code", rename_all = "lowercase")]
pub enum Role {
    /// CA composer/author, C composer, A author, AR arranger, AD adaptor, SR sub-arranger, SA sub-author,
    /// TR translator, PA income participant.
    Writer(String),
    /// E original publisher, AM administrator, PA income participant, SE sub-publisher, ES substituted
    /// publisher, AQ acquirer.
    Publisher(String),
}

impl Role {
    pub fn is_publisher(&self) -> bool {
        matches!(self, Role::Publisher(_))
    }
    pub fn code(&self) -> &str {
        match self {
            Role::Writer(c) | Role::Publisher(c) => c,
        }
    }
}

/// A territory inclusion or exclusion with the collection shares that apply there (CWR SPT/SWT/OPT/OWT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerritoryShare {
    pub included: bool,
    pub tis: TisCode,
    pub shares: RightShares,
    /// The source line, for diagnostics.
    #[serde(default)]
    pub line: u64,
}

/// A writer or publisher in a work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interest {
    /// The submitter's interested-party number (may be blank for unknown "other" parties).
    pub ip_number: String,
    pub party: PartyKey,
    /// Last name or company name.
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub first_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipi_name: Option<IpiNameNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipi_base: Option<IpiBaseNumber>,
    pub role: Role,
    /// Controlled by the submitter (SPU/SWR) rather than only named (OPU/OWR).
    pub controlled: bool,
    /// Publisher chain sequence number (SPU/OPU 20/2); writers have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<u8>,
    pub ownership: RightShares,
    #[serde(default, skip_serializing_if = "RightSocieties::is_empty")]
    pub societies: RightSocieties,
    /// Collection per territory, in the order the registration stated it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collection: Vec<TerritoryShare>,
    /// For a writer: the interested-party numbers of the publishers acting for it (PWR).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publishers: Vec<String>,
    #[serde(default)]
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlternateTitle {
    pub title: String,
    /// CWR title type: AT alternative, TE first line, FT formal, ...
    pub kind: String,
}

/// A recording of the work, as a CWR REC record describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingInfo {
    pub isrc: Option<Isrc>,
    pub title: String,
    pub version_title: String,
    pub artist: String,
    pub label: String,
    pub album_title: String,
    pub release_date: Option<NaiveDate>,
    pub duration_seconds: Option<u32>,
}

/// A work as registered: everything the society keeps of one registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Work {
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternate_titles: Vec<AlternateTitle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iswc: Option<Iswc>,
    pub submitter_work_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// ORI original or MOD modified version.
    pub version_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright_date: Option<NaiveDate>,
    pub interests: Vec<Interest>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recordings: Vec<RecordingInfo>,
    #[serde(default)]
    pub origin: Origin,
    /// The registration applies from/until these days (open when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

/// A share total that is not whole: which right, roughly where, and what it added up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareProblem {
    /// A publisher chain owns more of the performing right than the society allows.
    PublisherCapExceeded { chain: u8, total_scaled: u64, cap: Share, line: u64 },
    /// Collection shares for a right do not add up to 100% (or 0%) in some countries.
    CollectionTotal { right: RightType, total_scaled: u64, example_country: TisCode, countries: usize },
}

impl ShareProblem {
    pub fn describe(&self, territories: &Territories) -> String {
        match self {
            ShareProblem::PublisherCapExceeded { chain, total_scaled, cap, .. } => {
                let total = percent_text(*total_scaled);
                format!("publisher chain {chain} owns {total} of the performing right, above the cap of {cap}")
            }
            ShareProblem::CollectionTotal { right, total_scaled, example_country, countries } => {
                let name = territories.get(*example_country).map_or("?".to_owned(), |t| t.name.clone());
                let total = percent_text(*total_scaled);
                format!(
                    "{} collection shares total {total} in {countries} countr{} (e.g. {name}), not 100%",
                    right.abbreviation(),
                    if *countries == 1 { "y" } else { "ies" }
                )
            }
        }
    }
}

impl Work {
    /// Every title of the work, the main title first.
    pub fn titles(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.title.as_str()).chain(self.alternate_titles.iter().map(|a| a.title.as_str()))
    }

    /// Checks the share chain: publisher PR cap per chain, and collection totals per right type in every
    /// country covered by an inclusion, after exclusions. Uncontrolled interests without territory records
    /// collect their ownership shares worldwide; controlled ones collect only where their records say.
    pub fn share_problems(&self, rules: &SocietyRules, territories: &Territories, on: NaiveDate) -> Vec<ShareProblem> {
        let mut problems = self.publisher_cap_problems(rules);
        problems.extend(self.collection_problems(rules, territories, on));
        problems
    }

    fn publisher_cap_problems(&self, rules: &SocietyRules) -> Vec<ShareProblem> {
        let mut chains: Vec<(u8, u64, u64)> = Vec::new();
        for interest in self.interests.iter().filter(|i| i.role.is_publisher()) {
            let chain = interest.chain.unwrap_or(0);
            let units = u64::from(interest.ownership.performing.scaled());
            match chains.iter_mut().find(|(c, _, _)| *c == chain) {
                Some(entry) => entry.1 += units,
                None => chains.push((chain, units, interest.line)),
            }
        }
        let limit = u64::from(rules.publisher_pr_cap.scaled()) + u64::from(rules.share_total_tolerance.scaled());
        chains
            .into_iter()
            .filter(|&(_, total, _)| total > limit)
            .map(|(chain, total, line)| ShareProblem::PublisherCapExceeded {
                chain,
                total_scaled: total,
                cap: rules.publisher_pr_cap,
                line,
            })
            .collect()
    }

    /// Every interest's collection share for `right` in the country with `country_index`.
    fn collection_in(
        &self,
        interest: &Interest,
        right: RightType,
        country: usize,
        sets: &HashMap<TisCode, CountrySet>,
    ) -> Share {
        if interest.collection.is_empty() {
            return if interest.controlled { Share::ZERO } else { interest.ownership.get(right) };
        }
        let mut current = Share::ZERO;
        for record in &interest.collection {
            if sets.get(&record.tis).is_some_and(|s| s.contains(country)) {
                current = if record.included { record.shares.get(right) } else { Share::ZERO };
            }
        }
        current
    }

    fn collection_problems(&self, rules: &SocietyRules, territories: &Territories, on: NaiveDate) -> Vec<ShareProblem> {
        let mut sets: HashMap<TisCode, CountrySet> = HashMap::new();
        let mut covered = CountrySet::default();
        let any_records = self.interests.iter().any(|i| !i.collection.is_empty());
        for record in self.interests.iter().flat_map(|i| &i.collection) {
            let set = *sets.entry(record.tis).or_insert_with(|| territories.countries_of(record.tis, on));
            if record.included {
                covered = covered.union(&set);
            }
        }
        if !any_records {
            covered = territories.countries_of(WORLD, on);
        }
        // Countries that fall in exactly the same named territories behave alike: check one of each kind.
        let representatives = representative_countries(&covered, &sets);
        let whole = u64::from(money::SHARE_SCALE);
        let tolerance = u64::from(rules.share_total_tolerance.scaled());
        let mut problems = Vec::new();
        for right in RightType::ALL {
            let mut bad: Option<(u64, usize, usize)> = None;
            for &(country, count) in &representatives {
                let total: u64 = self
                    .interests
                    .iter()
                    .map(|i| u64::from(self.collection_in(i, right, country, &sets).scaled()))
                    .sum();
                if total != 0 && total.abs_diff(whole) > tolerance {
                    let entry = bad.get_or_insert((total, country, 0));
                    entry.2 += count;
                }
            }
            if let Some((total_scaled, country, countries)) = bad {
                problems.push(ShareProblem::CollectionTotal {
                    right,
                    total_scaled,
                    example_country: territories.country_at(country),
                    countries,
                });
            }
        }
        problems
    }

    /// The part of `right` that the submitter's own (controlled) parties hold: their ownership shares, or
    /// their worldwide collection shares where the registration states no ownership (CWR 3.x). Two
    /// registrations of one work whose controlled parts add up to more than 100% are in conflict.
    pub fn controlled_share(&self, right: RightType) -> Share {
        let has_ownership = self.interests.iter().any(|i| !i.ownership.get(right).is_zero());
        let units: u64 = self
            .interests
            .iter()
            .filter(|i| i.controlled)
            .map(|i| {
                if has_ownership {
                    i.ownership.get(right)
                } else {
                    i.collection
                        .iter()
                        .filter(|t| t.included && t.tis == WORLD)
                        .map(|t| t.shares.get(right))
                        .next_back()
                        .unwrap_or(Share::ZERO)
                }
            })
            .map(|s| u64::from(s.scaled()))
            .sum();
        Share::from_scaled(units.min(u64::from(money::SHARE_SCALE)) as u32).unwrap_or(Share::ONE)
    }

    /// The holders whose consent governs the work's AI licence, with their share: each party's performing
    /// right ownership (which every writer and original publisher has), or its worldwide PR collection share
    /// where the registration states no ownership (CWR 3.x). Parties appearing twice are merged.
    pub fn consent_holders(&self) -> Vec<(PartyKey, String, Share)> {
        let mut out: Vec<(PartyKey, String, Share)> = Vec::new();
        let has_ownership = self.interests.iter().any(|i| !i.ownership.performing.is_zero());
        for interest in &self.interests {
            let share = if has_ownership {
                interest.ownership.performing
            } else {
                interest
                    .collection
                    .iter()
                    .filter(|t| t.included && t.tis == WORLD)
                    .map(|t| t.shares.performing)
                    .next_back()
                    .unwrap_or(Share::ZERO)
            };
            if share.is_zero() {
                continue;
            }
            match out.iter_mut().find(|(k, _, _)| *k == interest.party) {
                Some(entry) => entry.2 = entry.2.checked_add(share).unwrap_or(Share::ONE),
                None => out.push((interest.party.clone(), display_name(interest), share)),
            }
        }
        out
    }
}

/// One country per group of countries that lie in exactly the same named territories, with the group's
/// size. Typical works name only the World, which gives a single representative.
fn representative_countries(covered: &CountrySet, sets: &HashMap<TisCode, CountrySet>) -> Vec<(usize, usize)> {
    let codes: Vec<&CountrySet> = sets.values().collect();
    if codes.len() > 64 {
        return covered.indices().map(|c| (c, 1)).collect();
    }
    let mut groups: Vec<(u64, usize, usize)> = Vec::new();
    for country in covered.indices() {
        let signature =
            codes.iter().enumerate().filter(|(_, s)| s.contains(country)).fold(0u64, |acc, (i, _)| acc | (1 << i));
        match groups.iter_mut().find(|g| g.0 == signature) {
            Some(group) => group.2 += 1,
            None => groups.push((signature, country, 1)),
        }
    }
    let mut out: Vec<(usize, usize)> = groups.into_iter().map(|(_, country, count)| (country, count)).collect();
    out.sort_unstable();
    out
}

/// A share total that may exceed 100%, as a percentage with two decimals (rounded down).
fn percent_text(scaled: u64) -> String {
    format!("{}.{:02}%", scaled / 1_000_000, scaled % 1_000_000 / 10_000)
}

fn display_name(interest: &Interest) -> String {
    if interest.first_name.is_empty() {
        interest.name.clone()
    } else {
        format!("{}, {}", interest.name, interest.first_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(hundredths: u32) -> Share {
        Share::from_cwr_hundredths(hundredths).unwrap()
    }

    fn shares(pr: u32, mr: u32, sr: u32) -> RightShares {
        RightShares { performing: pct(pr), mechanical: pct(mr), synchronisation: pct(sr) }
    }

    fn interest(
        key: &str,
        publisher: bool,
        controlled: bool,
        owned: RightShares,
        collection: Vec<TerritoryShare>,
    ) -> Interest {
        Interest {
            ip_number: key.into(),
            party: PartyKey::new(key),
            name: key.into(),
            first_name: String::new(),
            ipi_name: None,
            ipi_base: None,
            role: if publisher { Role::Publisher("E".into()) } else { Role::Writer("CA".into()) },
            controlled,
            chain: publisher.then_some(1),
            ownership: owned,
            societies: RightSocieties::default(),
            collection,
            publishers: vec![],
            line: 1,
        }
    }

    fn territory(included: bool, tis: TisCode, s: RightShares) -> TerritoryShare {
        TerritoryShare { included, tis, shares: s, line: 1 }
    }

    fn work(interests: Vec<Interest>) -> Work {
        Work {
            title: "T".into(),
            alternate_titles: vec![],
            language: None,
            iswc: None,
            submitter_work_number: "1".into(),
            duration_seconds: None,
            version_type: "ORI".into(),
            copyright_date: None,
            interests,
            performers: vec![],
            recordings: vec![],
            origin: Origin::Unknown,
            valid_from: None,
            valid_until: None,
        }
    }

    fn problems(w: &Work) -> Vec<ShareProblem> {
        w.share_problems(&SocietyRules::opt_in(), Territories::cisac(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
    }

    #[test]
    fn a_whole_world_chain_passes() {
        let w = work(vec![
            interest(
                "P",
                true,
                true,
                shares(5000, 10000, 10000),
                vec![territory(true, WORLD, shares(5000, 10000, 10000))],
            ),
            interest("W", false, true, shares(5000, 0, 0), vec![territory(true, WORLD, shares(5000, 0, 0))]),
        ]);
        assert_eq!(problems(&w), vec![]);
    }

    #[test]
    fn exclusion_then_reinclusion_is_resolved_per_country() {
        // Publisher collects 50% worldwide except the UK, where a second record gives it 25%.
        let w = work(vec![
            interest(
                "P",
                true,
                true,
                shares(5000, 10000, 10000),
                vec![
                    territory(true, WORLD, shares(5000, 10000, 10000)),
                    territory(false, 826, shares(0, 0, 0)),
                    territory(true, 826, shares(2500, 10000, 10000)),
                ],
            ),
            interest("W", false, true, shares(5000, 0, 0), vec![territory(true, WORLD, shares(5000, 0, 0))]),
        ]);
        let found = problems(&w);
        assert_eq!(found.len(), 1, "{found:?}");
        let ShareProblem::CollectionTotal { right, total_scaled, example_country, countries } = &found[0] else {
            panic!("{found:?}")
        };
        assert_eq!((*right, *total_scaled, *example_country, *countries), (RightType::Performing, 75_000_000, 826, 1));
    }

    #[test]
    fn publisher_cap_and_uncontrolled_world_shares() {
        let w = work(vec![
            interest(
                "P",
                true,
                true,
                shares(6000, 10000, 10000),
                vec![territory(true, WORLD, shares(6000, 10000, 10000))],
            ),
            interest("O", false, false, shares(4000, 0, 0), vec![]),
        ]);
        let found = problems(&w);
        assert!(matches!(found.as_slice(), [ShareProblem::PublisherCapExceeded { chain: 1, .. }]), "{found:?}");
    }

    #[test]
    fn consent_holders_merge_the_same_party() {
        let mut w = work(vec![
            interest("P", true, true, shares(2500, 5000, 5000), vec![]),
            interest("W", false, true, shares(5000, 0, 0), vec![]),
            interest("P", true, true, shares(2500, 5000, 5000), vec![]),
        ]);
        w.interests[2].chain = Some(2);
        let holders = w.consent_holders();
        assert_eq!(holders.iter().map(|h| h.2).collect::<Vec<_>>(), vec![pct(5000), pct(5000)]);
    }
}

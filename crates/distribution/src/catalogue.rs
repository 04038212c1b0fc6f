//! The repertoire as a distribution run reads it: every work with whether it may receive, whether its
//! shares are disputed, and its holdings per right (the party, its ownership share, its collection shares
//! per territory, and who pays it), plus each party's consent choices. Compact (indices, not names), so a
//! million works fit in a few hundred megabytes; built once per run from the store's pages.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::{Consent, ConsentChoice, PartyKey, RightType, SocietyCode, Stage, StageDefaults, Work};
use serde::{Deserialize, Serialize};

/// The two rights the stages' money divides into (synchronisation is not licensed to AI companies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Right {
    Performing,
    Mechanical,
}

impl Right {
    pub fn as_str(self) -> &'static str {
        match self {
            Right::Performing => "PR",
            Right::Mechanical => "MR",
        }
    }

    pub fn parse(text: &str) -> Option<Right> {
        match text {
            "PR" => Some(Right::Performing),
            "MR" => Some(Right::Mechanical),
            _ => None,
        }
    }

    fn domain(self) -> RightType {
        match self {
            Right::Performing => RightType::Performing,
            Right::Mechanical => RightType::Mechanical,
        }
    }
}

/// Who a holder's money goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payee {
    /// A member of this society, paid by it.
    Member,
    /// A member of another society (its CISAC code), paid through it.
    Society(u16),
    /// No society is known to collect for the holder: the money waits in the reserve for a claim.
    Unknown,
}

/// A territory rule of a holding's collection shares (CWR SPT/SWT), in the order registered: the last
/// rule naming a country decides the share collected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRule {
    pub included: bool,
    pub tis: domain::TisCode,
    pub share: u32,
}

/// One party's share of one right of a work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub party: u32,
    pub right: Right,
    /// Ownership share at [`money::SHARE_SCALE`] (the worldwide collection share where none is stated).
    pub share: u32,
    pub payee: Payee,
    /// Empty: the ownership share is collected everywhere.
    pub collection: Vec<CollectionRule>,
}

/// A work as a run reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueWork {
    pub code: String,
    /// False for fully AI-generated works, which never receive.
    pub distributable: bool,
    /// A registration of the work is held as a conflict: its money waits in the reserve.
    pub disputed: bool,
    pub holdings: Vec<Holding>,
    /// The holders whose consent governs the work's AI licence, with their performing-right share.
    pub consent_holders: Vec<(u32, u32)>,
}

/// A party of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueParty {
    pub key: PartyKey,
    pub name: String,
    pub ipi: Option<String>,
}

/// Every work and party a run distributes to, with consent.
#[derive(Debug, Default)]
pub struct Catalogue {
    pub parties: Vec<CatalogueParty>,
    pub works: Vec<CatalogueWork>,
    party_index: HashMap<PartyKey, u32>,
    work_index: HashMap<String, u32>,
    /// Works by ISWC and by recording (ISRC or recording key), for attribution.
    by_iswc: HashMap<String, u32>,
    by_recording: HashMap<String, Vec<u32>>,
    consent_defaults: Option<StageDefaults>,
    choices: HashMap<u32, Vec<ConsentChoice>>,
}

impl Catalogue {
    pub fn new(defaults: StageDefaults) -> Catalogue {
        Catalogue { consent_defaults: Some(defaults), ..Catalogue::default() }
    }

    fn party(&mut self, key: &PartyKey, name: &str, ipi: Option<String>) -> u32 {
        if let Some(&i) = self.party_index.get(key) {
            return i;
        }
        let i = self.parties.len() as u32;
        self.parties.push(CatalogueParty { key: key.clone(), name: name.to_owned(), ipi });
        self.party_index.insert(key.clone(), i);
        i
    }

    /// Adds a work from its primary registration. `society_of` says which society collects a party's right
    /// when the registration does not; `own` is this society.
    pub fn add_work(
        &mut self,
        code: &str,
        distributable: bool,
        disputed: bool,
        work: &Work,
        own: SocietyCode,
        society_of: &dyn Fn(&PartyKey, RightType) -> Option<SocietyCode>,
    ) {
        let mut holdings = Vec::new();
        let has_ownership = |right: RightType| work.interests.iter().any(|i| !i.ownership.get(right).is_zero());
        for interest in &work.interests {
            let name = format!("{} {}", interest.first_name, interest.name).trim().to_owned();
            let party = self.party(&interest.party, &name, interest.ipi_name.map(|i| i.to_string()));
            for right in [Right::Performing, Right::Mechanical] {
                let domain_right = right.domain();
                let collection: Vec<CollectionRule> = interest
                    .collection
                    .iter()
                    .map(|t| CollectionRule {
                        included: t.included,
                        tis: t.tis,
                        share: t.shares.get(domain_right).scaled(),
                    })
                    .collect();
                let share = if has_ownership(domain_right) {
                    interest.ownership.get(domain_right).scaled()
                } else {
                    collection.iter().rev().find(|t| t.included && t.tis == domain::WORLD).map_or(0, |t| t.share)
                };
                if share == 0 && collection.iter().all(|t| t.share == 0) {
                    continue;
                }
                let society =
                    interest.societies.get(domain_right).or_else(|| society_of(&interest.party, domain_right));
                let payee = match society {
                    Some(s) if s == own => Payee::Member,
                    Some(s) => Payee::Society(s.number()),
                    None => Payee::Unknown,
                };
                holdings.push(Holding { party, right, share, payee, collection });
            }
        }
        let consent_holders = work
            .consent_holders()
            .into_iter()
            .map(|(key, name, share)| (self.party(&key, &name, None), share.scaled()))
            .collect();
        let index = self.works.len() as u32;
        self.work_index.insert(code.to_owned(), index);
        if let Some(iswc) = work.iswc {
            self.by_iswc.insert(iswc.bare(), index);
        }
        for recording in &work.recordings {
            if let Some(isrc) = recording.isrc {
                self.add_recording(&isrc.to_string(), code);
            }
        }
        self.works.push(CatalogueWork { code: code.to_owned(), distributable, disputed, holdings, consent_holders });
    }

    /// Says that the recording `key` (an ISRC or the store's recording key) is of the work `code`.
    pub fn add_recording(&mut self, key: &str, code: &str) {
        let Some(&work) = self.work_index.get(code) else { return };
        let works = self.by_recording.entry(key.to_owned()).or_default();
        if !works.contains(&work) {
            works.push(work);
        }
    }

    pub fn add_consent(&mut self, choice: ConsentChoice) {
        if let Some(&party) = self.party_index.get(&choice.party) {
            self.choices.entry(party).or_default().push(choice);
        }
    }

    pub fn work(&self, code: &str) -> Option<u32> {
        self.work_index.get(code).copied()
    }

    /// The works an attribution's influence names: by ISWC, by ISRC or recording key, or by work code.
    pub fn works_named(&self, scheme: &str, id: &str) -> Vec<u32> {
        let id = id.trim();
        match scheme.to_ascii_lowercase().as_str() {
            "iswc" => {
                domain::Iswc::parse(id).ok().and_then(|i| self.by_iswc.get(&i.bare()).copied()).into_iter().collect()
            }
            "isrc" | "recording" => {
                let bare = id.replace('-', "").to_ascii_uppercase();
                self.by_recording.get(&bare).or_else(|| self.by_recording.get(id)).cloned().unwrap_or_default()
            }
            _ => self.work(id).into_iter().collect(),
        }
    }

    /// Whether `party` included `stage` for its share of `work` on `as_of`.
    pub fn included(&self, party: u32, work: &str, stage: Stage, as_of: NaiveDate) -> bool {
        let default = self.consent_defaults.map_or(Consent::Reserved, |d| d.get(stage));
        let choices = self.choices.get(&party).map_or(&[][..], Vec::as_slice);
        let key = &self.parties[party as usize].key;
        domain::consent::effective_consent(choices, key, work, stage, as_of, default).0 == Consent::Included
    }

    /// The part of a work (at [`money::SHARE_SCALE`]) whose holders included `stage` on `as_of`.
    pub fn included_share(&self, work: u32, stage: Stage, as_of: NaiveDate) -> u32 {
        let w = &self.works[work as usize];
        let units: u64 = w
            .consent_holders
            .iter()
            .filter(|(party, _)| self.included(*party, &w.code, stage, as_of))
            .map(|(_, share)| u64::from(*share))
            .sum();
        units.min(u64::from(money::SHARE_SCALE)) as u32
    }
}

/// The share `holding` collects in `country` (an ISO 3166 code; empty: worldwide, the ownership share).
pub fn share_in(holding: &Holding, country: &str, on: NaiveDate) -> u32 {
    if holding.collection.is_empty() || country.is_empty() {
        return holding.share;
    }
    let territories = domain::Territories::cisac();
    // A country covers itself: its one index in the country bitset.
    let Some(index) = territories.from_iso(country).and_then(|tis| territories.countries_of(tis, on).indices().next())
    else {
        return holding.share;
    };
    let mut share = 0;
    for rule in &holding.collection {
        if territories.countries_of(rule.tis, on).contains(index) {
            share = if rule.included { rule.share } else { 0 };
        }
    }
    share
}

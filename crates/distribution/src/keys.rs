//! Each pool's key, chosen by the society's rules:
//!
//! - *training*: equally among the included works, or by the items the model version's disclosure
//!   matched to each work (equally where it matched none); "included" is decided per share, by consent as
//!   of the model version's training date;
//! - *released presumption*: equally among the licensed repertoire, or as the training key (analogy);
//! - *service*: the training keys of the model versions behind the service, weighted by their days on the
//!   service's timeline in the period;
//! - *output*: each output's revenue, divided by its attribution where its confidence reaches the society's
//!   threshold, otherwise by the training key of the model version that made it.
//!
//! Fully AI-generated works never count. A work whose holders excluded the stage counts as a whole when
//! the rules re-spread excluded shares, and by its included part when they leave them in the pool.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use domain::{Period, Stage};
use money::SHARE_SCALE;

use crate::catalogue::Catalogue;
use crate::pools::PoolKey;
use crate::rules::{DistributionRules, ExcludedShare, PoolStage, PresumptionKey, TrainingKey};
use crate::split::{Key, Target};

/// A model version as keys need it.
#[derive(Debug, Clone, Default)]
pub struct ModelInput {
    /// Consent for its training pools is read as of this day (when absent, the period's last day).
    pub trained_on: Option<NaiveDate>,
    /// Items its disclosure in force matched to each work (work code, items).
    pub matched: Vec<(String, u64)>,
}

/// A key's weights, shared by every pool that uses it.
pub type Weights = Arc<Vec<(Target, u64)>>;

/// An attribution's confidence and its influences (scheme, id, weight), at [`SHARE_SCALE`].
pub type Influences = (u32, Vec<(String, String, u32)>);

/// A service's timeline: from which day which model versions power it.
pub type Timeline = Vec<(NaiveDate, Vec<String>)>;

/// One output of a period as keys need it.
#[derive(Debug, Clone)]
pub struct OutputInput {
    pub revenue_micros: i64,
    /// Its revenue per territory (ISO country → micro-units); empty: unknown, it counts in every
    /// territory with all its revenue.
    pub territories: std::collections::BTreeMap<String, i64>,
    pub model_version: Option<String>,
    /// The attribution's confidence and its influences (scheme, id, weight at [`SHARE_SCALE`]).
    pub attribution: Option<Influences>,
}

/// Everything keys are made of besides the catalogue.
#[derive(Debug, Default)]
pub struct KeyInputs {
    /// By (licensee, model version).
    pub models: HashMap<(String, String), ModelInput>,
    /// Each service's timeline: (licensee, service) → (from, model versions).
    pub services: HashMap<(String, String), Timeline>,
    /// Each licensee's outputs of a period.
    pub outputs: HashMap<(String, Period), Vec<OutputInput>>,
}

/// Makes pools' keys, keeping those several pools share.
#[derive(Debug)]
pub struct Keys<'a> {
    catalogue: &'a Catalogue,
    rules: &'a DistributionRules,
    inputs: &'a KeyInputs,
    equal: HashMap<(Stage, NaiveDate), Weights>,
    training: HashMap<(String, String, Period), Key>,
}

impl<'a> Keys<'a> {
    pub fn new(catalogue: &'a Catalogue, rules: &'a DistributionRules, inputs: &'a KeyInputs) -> Keys<'a> {
        Keys { catalogue, rules, inputs, equal: HashMap::new(), training: HashMap::new() }
    }

    /// The day consent is read for a pool.
    pub fn consent_day(&self, pool: &PoolKey) -> NaiveDate {
        match pool.stage {
            PoolStage::Training | PoolStage::Presumption => self.trained_on(&pool.licensee, &pool.source, pool.period),
            PoolStage::Service | PoolStage::Output => pool.period.last_day(),
        }
    }

    fn trained_on(&self, licensee: &str, model: &str, period: Period) -> NaiveDate {
        self.inputs
            .models
            .get(&(licensee.to_owned(), model.to_owned()))
            .and_then(|m| m.trained_on)
            .unwrap_or_else(|| period.last_day())
    }

    /// The key of `pool`.
    pub fn key(&mut self, pool: &PoolKey) -> Key {
        match pool.stage {
            PoolStage::Training => self.training_key(&pool.licensee, &pool.source, pool.period),
            PoolStage::Presumption => match self.rules.presumption_key {
                PresumptionKey::EqualPerWork => {
                    let day = self.trained_on(&pool.licensee, &pool.source, pool.period);
                    Key::Weights(self.equal_key(Stage::Training, day))
                }
                PresumptionKey::Analogy => self.training_key(&pool.licensee, &pool.source, pool.period),
            },
            PoolStage::Service => self.service_key(&pool.licensee, &pool.source, pool.period),
            PoolStage::Output => self.output_key(&pool.licensee, pool.period, &pool.territory),
        }
    }

    /// A work's weight in a key: nothing for a fully AI-generated work or one none of whose holders
    /// included the stage; otherwise `base`, scaled by the included part when excluded shares stay in the
    /// pool.
    fn weight(&self, work: u32, base: u64, stage: Stage, day: NaiveDate) -> u64 {
        if !self.catalogue.works[work as usize].distributable {
            return 0;
        }
        let included = u64::from(self.catalogue.included_share(work, stage, day));
        match (included, self.rules.excluded_share) {
            (0, _) => 0,
            (_, ExcludedShare::Respread) => base,
            (part, ExcludedShare::BackToPool) => base.saturating_mul(part) / u64::from(SHARE_SCALE),
        }
    }

    fn equal_key(&mut self, stage: Stage, day: NaiveDate) -> Weights {
        if let Some(key) = self.equal.get(&(stage, day)) {
            return key.clone();
        }
        let weights: Vec<(Target, u64)> = (0..self.catalogue.works.len() as u32)
            .map(|w| (Target::Work(w), self.weight(w, u64::from(SHARE_SCALE), stage, day)))
            .filter(|(_, weight)| *weight > 0)
            .collect();
        let key = Arc::new(weights);
        self.equal.insert((stage, day), key.clone());
        key
    }

    fn training_key(&mut self, licensee: &str, model: &str, period: Period) -> Key {
        let cache = (licensee.to_owned(), model.to_owned(), period);
        if let Some(key) = self.training.get(&cache) {
            return key.clone();
        }
        let day = self.trained_on(licensee, model, period);
        let matched = match self.rules.training_key {
            TrainingKey::EqualPerWork => None,
            TrainingKey::MatchedItems => self
                .inputs
                .models
                .get(&(licensee.to_owned(), model.to_owned()))
                .map(|m| {
                    m.matched
                        .iter()
                        .filter_map(|(code, items)| self.catalogue.work(code).map(|w| (w, *items)))
                        .map(|(w, items)| {
                            (
                                Target::Work(w),
                                self.weight(w, items.saturating_mul(u64::from(SHARE_SCALE)), Stage::Training, day),
                            )
                        })
                        .filter(|(_, weight)| *weight > 0)
                        .collect::<Vec<_>>()
                })
                .filter(|weights| !weights.is_empty()),
        };
        let key = match matched {
            Some(weights) => Key::Weights(Arc::new(weights)),
            None => Key::Weights(self.equal_key(Stage::Training, day)),
        };
        self.training.insert(cache, key.clone());
        key
    }

    /// The model versions behind a service in a period, each weighted by its days on the service (a day
    /// shared by several model versions counts a part for each).
    fn service_key(&mut self, licensee: &str, service: &str, period: Period) -> Key {
        let services: Vec<String> = if service.is_empty() {
            let mut all: Vec<String> =
                self.inputs.services.keys().filter(|(l, _)| l == licensee).map(|(_, s)| s.clone()).collect();
            all.sort();
            all
        } else {
            vec![service.to_owned()]
        };
        let mut days: HashMap<String, u64> = HashMap::new();
        for s in &services {
            let Some(timeline) = self.inputs.services.get(&(licensee.to_owned(), s.clone())) else { continue };
            for day in period.first_day().iter_days().take_while(|d| *d <= period.last_day()) {
                let models =
                    timeline.iter().filter(|(from, _)| *from <= day).max_by_key(|(from, _)| *from).map(|(_, m)| m);
                if let Some(models) = models.filter(|m| !m.is_empty()) {
                    for m in models {
                        // 840 divides evenly among up to eight model versions.
                        *days.entry(m.clone()).or_default() += 840 / models.len().min(840) as u64;
                    }
                }
            }
        }
        let mut models: Vec<(String, u64)> = days.into_iter().collect();
        models.sort();
        Key::Nested(models.into_iter().map(|(m, d)| (d, self.training_key(licensee, &m, period))).collect())
    }

    /// Each output by its revenue in `territory` (empty: everywhere), then by its attribution; outputs
    /// without a usable attribution go together, per model version that made them, by that model
    /// version's training key (the analogy), so that a million of them divide their money once.
    fn output_key(&mut self, licensee: &str, period: Period, territory: &str) -> Key {
        let Some(outputs) = self.inputs.outputs.get(&(licensee.to_owned(), period)) else {
            return Key::Nested(Vec::new());
        };
        let day = period.last_day();
        let mut parts = Vec::with_capacity(outputs.len());
        // (model version or none) → its analogy part's index in `parts`.
        let mut analogy: HashMap<Option<&str>, usize> = HashMap::new();
        for output in outputs {
            let revenue = match (territory, output.territories.is_empty()) {
                ("", _) | (_, true) => output.revenue_micros,
                (t, false) => output.territories.get(t).copied().unwrap_or(0),
            }
            .max(0) as u64;
            if revenue == 0 {
                continue;
            }
            let attributed = output
                .attribution
                .as_ref()
                .filter(|(confidence, _)| *confidence >= self.rules.attribution_min_confidence.scaled())
                .map(|(_, influences)| self.attributed(influences, day))
                .filter(|weights| !weights.is_empty());
            if let Some(weights) = attributed {
                parts.push((revenue, Key::Weights(Arc::new(weights))));
                continue;
            }
            let model = output.model_version.as_deref();
            match analogy.get(&model) {
                Some(&i) => parts[i].0 += revenue,
                None => {
                    let key = match model {
                        Some(model) => self.training_key(licensee, model, period),
                        None => self.service_key(licensee, "", period),
                    };
                    analogy.insert(model, parts.len());
                    parts.push((revenue, key));
                }
            }
        }
        Key::Nested(parts)
    }

    /// An attribution's influences as weights: an influence naming several works (a recording of a medley)
    /// divides its weight among them; one naming nothing the repertoire holds is unidentified.
    fn attributed(&self, influences: &[(String, String, u32)], day: NaiveDate) -> Vec<(Target, u64)> {
        let mut out = Vec::new();
        for (scheme, id, weight) in influences {
            let works = self.catalogue.works_named(scheme, id);
            if works.is_empty() {
                out.push((Target::Unidentified(format!("{scheme}:{id}")), u64::from(*weight) * 840));
                continue;
            }
            let each = u64::from(*weight) * 840 / works.len() as u64;
            for w in works {
                let weight = self.weight(w, each, Stage::Output, day);
                if weight > 0 {
                    out.push((Target::Work(w), weight));
                }
            }
        }
        out
    }
}

//! The society's distribution rules, as data: what each stage's pool gives up as management fee and to the
//! social and cultural fund, which key splits each pool, how each stage divides between performing and
//! mechanical right, what becomes of a share whose holder excluded the stage, the minimum payout, and what
//! non-distributable money is used for. `tantiem distribution rules` prints and sets them.

use money::{Amount, Currency, Share};
use serde::{Deserialize, Serialize};

/// The pools a run forms: the three licensed stages and the presumption parts released to distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PoolStage {
    Training,
    Service,
    Output,
    /// Training fees owed only by the presumption rule, released after their window.
    Presumption,
}

impl PoolStage {
    pub const ALL: [PoolStage; 4] =
        [PoolStage::Training, PoolStage::Service, PoolStage::Output, PoolStage::Presumption];

    pub fn as_str(self) -> &'static str {
        match self {
            PoolStage::Training => "training",
            PoolStage::Service => "service",
            PoolStage::Output => "output",
            PoolStage::Presumption => "presumption",
        }
    }

    pub fn parse(text: &str) -> Option<PoolStage> {
        PoolStage::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The licensed stage whose consent governs the pool (released presumption money is training money).
    pub fn consent_stage(self) -> domain::Stage {
        match self {
            PoolStage::Training | PoolStage::Presumption => domain::Stage::Training,
            PoolStage::Service => domain::Stage::Service,
            PoolStage::Output => domain::Stage::Output,
        }
    }
}

/// How a training pool is split over works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrainingKey {
    /// Equally among every included work (STIM).
    EqualPerWork,
    /// By the items the model version's disclosure matched to each work; equally where it matched none.
    MatchedItems,
}

/// How released presumption money is split over works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PresumptionKey {
    /// Equally among every work of the repertoire licensed for the model version.
    EqualPerWork,
    /// As the model version's training pool is split (the analogy key).
    Analogy,
}

/// What becomes of the part of a work whose holders excluded the pool's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExcludedShare {
    /// Shared among the work's included holders.
    Respread,
    /// Left in the pool: the work counts in the key only by its included part.
    BackToPool,
}

/// What non-distributable money (unclaimed after three years) is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NonDistributable {
    /// Spread over what the same pool paid, pro rata.
    Respread,
    /// Given to the social and cultural fund.
    CulturalFund,
}

/// What a stage's pool gives up before it is split, and how it divides between the rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageRules {
    /// The society's management fee, of the pool.
    pub management_fee: Share,
    /// The social and cultural fund's part, of what is left after the fee.
    pub cultural_fund: Share,
    /// The performing right's part of what is split over works; the mechanical right has the rest.
    pub performing: Share,
}

/// The society's distribution rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionRules {
    pub training: StageRules,
    pub service: StageRules,
    pub output: StageRules,
    pub presumption: StageRules,
    pub training_key: TrainingKey,
    pub presumption_key: PresumptionKey,
    /// Attribution below this confidence does not decide an output's money: the analogy key does.
    pub attribution_min_confidence: Share,
    pub excluded_share: ExcludedShare,
    /// A member is paid once what is owed to them reaches this (per currency); less is carried forward.
    pub minimum_payout: Vec<Amount>,
    pub non_distributable: NonDistributable,
    /// The month (1–12) the financial year ends with; the legal clocks run from its end.
    pub financial_year_end_month: u32,
}

impl Default for DistributionRules {
    /// Typical figures: a 10% management fee (STIM reported 9.6%), 5% of the rest to the cultural fund
    /// (Koda allows up to 10%), training and released presumption money wholly mechanical (a reproduction),
    /// service and output money half and half; €30 minimum payout (PRS: £30); the calendar year.
    fn default() -> DistributionRules {
        let ten = Share::from_scaled(10_000_000).unwrap_or(Share::ZERO);
        let five = Share::from_scaled(5_000_000).unwrap_or(Share::ZERO);
        let half = Share::from_scaled(50_000_000).unwrap_or(Share::ZERO);
        let reproduction = StageRules { management_fee: ten, cultural_fund: five, performing: Share::ZERO };
        let communication = StageRules { management_fee: ten, cultural_fund: five, performing: half };
        DistributionRules {
            training: reproduction,
            service: communication,
            output: communication,
            presumption: reproduction,
            training_key: TrainingKey::EqualPerWork,
            presumption_key: PresumptionKey::EqualPerWork,
            attribution_min_confidence: half,
            excluded_share: ExcludedShare::Respread,
            minimum_payout: vec![Amount::from_micros(30_000_000, Currency::EUR)],
            non_distributable: NonDistributable::Respread,
            financial_year_end_month: 12,
        }
    }
}

impl DistributionRules {
    pub fn stage(&self, stage: PoolStage) -> &StageRules {
        match stage {
            PoolStage::Training => &self.training,
            PoolStage::Service => &self.service,
            PoolStage::Output => &self.output,
            PoolStage::Presumption => &self.presumption,
        }
    }

    /// The minimum payout in `currency` (none: every amount is paid).
    pub fn minimum_in(&self, currency: Currency) -> i64 {
        self.minimum_payout.iter().find(|a| a.currency() == currency).map_or(0, |a| a.micros())
    }

    /// What is wrong with the rules, in words (nothing when they can be applied).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for stage in PoolStage::ALL {
            let rules = self.stage(stage);
            if rules.management_fee == Share::ONE {
                out.push(format!("the {} management fee is 100%: nothing would reach a rightsholder", stage.as_str()));
            }
        }
        if !(1..=12).contains(&self.financial_year_end_month) {
            out.push(format!("financial_year_end_month {} is not a month (1–12)", self.financial_year_end_month));
        }
        if self.minimum_payout.iter().any(|a| a.micros() < 0) {
            out.push("a minimum payout is negative".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rules_read_back_and_apply() {
        let rules = DistributionRules::default();
        let text = serde_json::to_string(&rules).unwrap();
        assert_eq!(serde_json::from_str::<DistributionRules>(&text).unwrap(), rules);
        assert!(rules.problems().is_empty());
        assert_eq!(rules.minimum_in(Currency::EUR), 30_000_000);
        assert_eq!(rules.minimum_in(Currency::SEK), 0);
        assert!(serde_json::from_str::<DistributionRules>(r#"{"training": 1}"#).is_err());
    }

    #[test]
    fn rules_that_cannot_be_applied_say_why() {
        let rules = DistributionRules {
            training: StageRules { management_fee: Share::ONE, ..DistributionRules::default().training },
            financial_year_end_month: 13,
            ..DistributionRules::default()
        };
        let problems = rules.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("training management fee is 100%"));
    }
}

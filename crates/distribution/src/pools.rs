//! Money in: what a run may distribute is what licensees *paid*, never what was merely invoiced. A
//! payment is allocated to the lines of the invoice it paid, pro rata when it paid part (VAT takes its
//! share and is never distributed); a presumption part counts once it was released to distribution, or,
//! credited back, for what the disclosure's matched works made owed. What results is one pool per stage,
//! licensee, model version or service, territory and period.

use std::collections::BTreeMap;

use domain::Period;
use licensing::settlement::SettledPart;
use licensing::store::{Invoice, InvoiceKind, InvoiceStatus};
use money::{Amount, allocate_micros};
use serde::{Deserialize, Serialize};

use crate::rules::PoolStage;

/// Which money a pool holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PoolKey {
    pub stage: PoolStage,
    pub licensee: String,
    /// The model version (training, presumption) or the service (service; empty: a guarantee top-up, which
    /// follows all the licensee's services); empty for output.
    pub source: String,
    /// An ISO country code; empty: worldwide.
    pub territory: String,
    pub period: Period,
}

impl std::fmt::Display for PoolKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.stage.as_str(), self.period, self.licensee)?;
        if !self.source.is_empty() {
            write!(f, " {}", self.source)?;
        }
        if !self.territory.is_empty() {
            write!(f, " {}", self.territory)?;
        }
        Ok(())
    }
}

/// What one invoice brings to the pools: each pool's part of what was paid on it by now.
///
/// `received` is what was paid on it (with what was paid on the invoices it replaced); `settled` its
/// settled presumption parts. A credit note, a credited invoice and an advance bring nothing (an advance's
/// money reaches the pools as the periods that recoup it are paid).
pub fn received_pools(invoice: &Invoice, received: Amount, settled: &[SettledPart]) -> Vec<(PoolKey, i64)> {
    if invoice.kind != InvoiceKind::Invoice || invoice.status == InvoiceStatus::Credited {
        return Vec::new();
    }
    let key = |stage, source: &str, territory: &Option<String>| PoolKey {
        stage,
        licensee: invoice.licensee.clone(),
        source: source.to_owned(),
        territory: territory.clone().unwrap_or_default(),
        period: invoice.period,
    };
    let mut parts: Vec<(PoolKey, i64)> = Vec::new();
    for line in &invoice.rated.lines {
        let amount = line.charge.amount.micros() - line.presumption_part.micros();
        let pool = match line.stage {
            rating::Stage::Training => key(PoolStage::Training, line.model_version.as_deref().unwrap_or(""), &None),
            rating::Stage::Service => key(PoolStage::Service, line.service.as_deref().unwrap_or(""), &line.territory),
            // A guarantee top-up is money for providing the service: it follows every service.
            rating::Stage::Guarantee => key(PoolStage::Service, "", &None),
            rating::Stage::Output => key(PoolStage::Output, "", &line.territory),
            rating::Stage::Advance | rating::Stage::AdvanceRecouped => continue,
        };
        parts.push((pool, amount));
    }
    let mut credited = 0i64;
    for part in settled {
        let stage = if part.released { PoolStage::Presumption } else { PoolStage::Training };
        parts.push((key(stage, &part.model_version, &None), part.to_pool.micros()));
        credited += part.credited.micros();
    }
    parts.retain(|(_, amount)| *amount > 0);
    let owed = invoice.rated.total.micros() - credited;
    let sum: i64 = parts.iter().map(|(_, a)| *a).sum();
    // What was paid covers the lines and the VAT alike, pro rata; a period met wholly by an advance (nothing
    // owed) counts as paid.
    let covered = if owed <= 0 {
        sum
    } else {
        let paid = received.micros().clamp(0, owed);
        (i128::from(sum) * i128::from(paid) / i128::from(owed)) as i64
    };
    let weights: Vec<u64> = parts.iter().map(|(_, a)| *a as u64).collect();
    let shares = allocate_micros(covered, &weights).unwrap_or_else(|_| vec![0; parts.len()]);
    let mut pools: BTreeMap<PoolKey, i64> = BTreeMap::new();
    for ((pool, _), share) in parts.into_iter().zip(shares) {
        *pools.entry(pool).or_default() += share;
    }
    pools.into_iter().filter(|(_, a)| *a != 0).collect()
}

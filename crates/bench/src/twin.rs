//! The inputs of the DuckDB twin of a distribution run (`scripts/distribution-twin.py`), and the run's own
//! lines to check it against. The twin is the same allocation written as SQL: deductions, each pool's
//! key (equal per work; each output by its revenue in the pool's territory, then by its attribution or,
//! together per model version, by the analogy key), the split between the rights and over the shares
//! collected in the territory, every division by largest remainder. What it reads is what the run read,
//! resolved as far as the repertoire goes (which works an influence names, what a holding collects in a
//! territory on a day, whose consent includes a stage), so that the division itself is what is compared.
//!
//! The twin covers the rules the benchmark uses (the default keys, excluded shares re-spread, services
//! powered by one model version); the export refuses other shapes rather than compare something else.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use domain::Period;
use engine::Store;
use engine::distribution::catalogue::{Catalogue, Payee, share_in};
use engine::distribution::keys::{KeyInputs, Keys};
use engine::distribution::pools::PoolKey;
use engine::distribution::rules::{ExcludedShare, PoolStage, TrainingKey};
use engine::distribution::{allocation::PoolMoney, run};

fn payee(p: Payee) -> String {
    match p {
        Payee::Member => "member".into(),
        Payee::Society(code) => format!("society:{code:03}"),
        Payee::Unknown => "unknown".into(),
    }
}

fn create(dir: &Path, name: &str) -> Result<BufWriter<std::fs::File>> {
    Ok(BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join(name))?))
}

/// Writes the twin's inputs and the run's lines (`rust_lines.csv`) under `dir`; says how many lines.
pub async fn export(store: &dyn Store, period: Period, run_id: u64, dir: &Path) -> Result<usize> {
    let (pools, catalogue, inputs, rules) = run::allocation_inputs(store, crate::staff(), period).await?;
    if rules.excluded_share != ExcludedShare::Respread || rules.training_key != TrainingKey::EqualPerWork {
        bail!("the twin covers the default keys and re-spread excluded shares only");
    }
    if pools.iter().any(|p| p.key.stage == PoolStage::Presumption) {
        bail!("the twin does not cover released presumption pools");
    }
    let keys = Keys::new(&catalogue, &rules, &inputs);
    let mut out = create(dir, "pools.csv")?;
    writeln!(out, "pool,stage,licensee,source,territory,currency,micros,fee,fund,performing,day")?;
    for (i, p) in pools.iter().enumerate() {
        let r = rules.stage(p.key.stage);
        writeln!(
            out,
            "{i},{},{},{},{},{},{},{},{},{},{}",
            p.key.stage.as_str(),
            p.key.licensee,
            p.key.source,
            p.key.territory,
            p.currency.code(),
            p.micros,
            r.management_fee.scaled(),
            r.cultural_fund.scaled(),
            r.performing.scaled(),
            keys.consent_day(&p.key)
        )?;
    }
    out.flush()?;
    works_and_holdings(&catalogue, &inputs, &pools, &keys, dir)?;
    outputs(&catalogue, &inputs, &rules, period, dir)?;
    services(&inputs, dir)?;
    rust_lines(store, &pools, run_id, dir).await
}

/// Each work with whether it counts in an equal key per stage (on that stage's pools' day), and each
/// holding's collected share and consent in each pool's territory on its day.
fn works_and_holdings(
    catalogue: &Catalogue,
    inputs: &KeyInputs,
    pools: &[PoolMoney],
    keys: &Keys<'_>,
    dir: &Path,
) -> Result<()> {
    let contexts: BTreeSet<(PoolStage, String, chrono::NaiveDate)> =
        pools.iter().map(|p| (p.key.stage, p.key.territory.clone(), keys.consent_day(&p.key))).collect();
    let mut days: BTreeSet<(PoolStage, chrono::NaiveDate)> = contexts.iter().map(|(s, _, d)| (*s, *d)).collect();
    // The training key's day of every model version (services and analogies follow it without a pool of
    // their own).
    for (licensee, model) in inputs.models.keys() {
        let period = pools.first().map(|p| p.key.period).context("no pools")?;
        let key = PoolKey {
            stage: PoolStage::Training,
            licensee: licensee.clone(),
            source: model.clone(),
            territory: String::new(),
            period,
        };
        days.insert((PoolStage::Training, keys.consent_day(&key)));
    }
    let mut works = create(dir, "works.csv")?;
    writeln!(works, "work,code,distributable,disputed,stage,day,counts")?;
    let mut holdings = create(dir, "holdings.csv")?;
    writeln!(holdings, "stage,territory,day,work,ord,party,right_type,payee,share,included")?;
    for (w, work) in catalogue.works.iter().enumerate() {
        for (stage, day) in &days {
            let included = catalogue.included_share(w as u32, stage.consent_stage(), *day);
            let counts = work.distributable && included > 0;
            writeln!(
                works,
                "{w},{},{},{},{},{day},{}",
                work.code,
                work.distributable,
                work.disputed,
                stage.as_str(),
                counts
            )?;
        }
        for (stage, territory, day) in &contexts {
            for (ord, h) in work.holdings.iter().enumerate() {
                let included = catalogue.included(h.party, &work.code, stage.consent_stage(), *day);
                writeln!(
                    holdings,
                    "{},{territory},{day},{w},{ord},{},{},{},{},{included}",
                    stage.as_str(),
                    catalogue.parties[h.party as usize].key.as_str(),
                    h.right.as_str(),
                    payee(h.payee),
                    share_in(h, territory, *day),
                )?;
            }
        }
    }
    works.flush()?;
    holdings.flush()?;
    Ok(())
}

/// Each output (in the order the run reads them) with its revenue per territory and whether its
/// attribution is confident enough, and each influence resolved to the works it names.
fn outputs(
    catalogue: &Catalogue,
    inputs: &KeyInputs,
    rules: &engine::distribution::rules::DistributionRules,
    period: Period,
    dir: &Path,
) -> Result<()> {
    let mut outputs = create(dir, "outputs.csv")?;
    writeln!(outputs, "licensee,output,model,revenue,territories,confident")?;
    let mut influences = create(dir, "influences.csv")?;
    writeln!(influences, "licensee,output,ord,work,name,weight")?;
    let mut licensees: Vec<&(String, Period)> = inputs.outputs.keys().filter(|(_, p)| *p == period).collect();
    licensees.sort();
    for key in licensees {
        let licensee = &key.0;
        for (o, output) in inputs.outputs[key].iter().enumerate() {
            let territories: Vec<String> = output.territories.iter().map(|(t, r)| format!("{t}={r}")).collect();
            let confident =
                output.attribution.as_ref().is_some_and(|(c, _)| *c >= rules.attribution_min_confidence.scaled());
            writeln!(
                outputs,
                "{licensee},{o},{},{},{},{confident}",
                output.model_version.as_deref().unwrap_or(""),
                output.revenue_micros,
                territories.join(";")
            )?;
            let Some((_, named)) = &output.attribution else { continue };
            for (i, (scheme, id, weight)) in named.iter().enumerate() {
                let works = catalogue.works_named(scheme, id);
                if works.is_empty() {
                    writeln!(influences, "{licensee},{o},{i},-1,{scheme}:{id},{}", u64::from(*weight) * 840)?;
                    continue;
                }
                let each = u64::from(*weight) * 840 / works.len() as u64;
                for w in works {
                    writeln!(influences, "{licensee},{o},{i},{w},,{each}")?;
                }
            }
        }
    }
    outputs.flush()?;
    influences.flush()?;
    Ok(())
}

/// Each service's model version (the twin covers services powered by one model version).
fn services(inputs: &KeyInputs, dir: &Path) -> Result<()> {
    let mut out = create(dir, "services.csv")?;
    writeln!(out, "licensee,service,model")?;
    let mut services: Vec<_> = inputs.services.iter().collect();
    services.sort_by(|a, b| a.0.cmp(b.0));
    for ((licensee, service), timeline) in services {
        let models: BTreeSet<&String> = timeline.iter().flat_map(|(_, m)| m).collect();
        let [model] = models.into_iter().collect::<Vec<_>>()[..] else {
            bail!("service {service} is powered by {timeline:?}: the twin covers one model version");
        };
        writeln!(out, "{licensee},{service},{model}")?;
    }
    out.flush()?;
    Ok(())
}

/// The lines the run posted, in the twin's columns.
async fn rust_lines(store: &dyn Store, pools: &[PoolMoney], run_id: u64, dir: &Path) -> Result<usize> {
    let index: HashMap<_, usize> = pools.iter().enumerate().map(|(i, p)| (&p.key, i)).collect();
    let lines = store.run_lines(run_id).await?;
    let mut out = create(dir, "rust_lines.csv")?;
    writeln!(out, "pool,kind,work,unidentified,party,right_type,payee,reason,amount")?;
    for stored in &lines {
        let id = &stored.line.id;
        let pool = index.get(&id.pool).context("a line of a pool the run did not read")?;
        writeln!(
            out,
            "{pool},{},{},{},{},{},{},{},{}",
            id.kind.as_str(),
            id.work,
            id.unidentified,
            id.party,
            id.right,
            payee(id.payee),
            id.reason.map_or("", |r| r.as_str()),
            stored.line.amount_micros
        )?;
    }
    out.flush()?;
    Ok(lines.len())
}

//! Every engine use case, called for real as every kind of actor: the society's staff, Songfox's API user
//! (its own affairs), Tunebird's (another licensee), a member holding a party of the repertoire, a member
//! holding nobody's, a sister society (PRS) and another (GEMA), and the public. The expected answer of each
//! is written here, apart from the engine's policy table, so that a change of who may do what is deliberate
//! in two places; the walk is an exhaustive `match` over `UseCase`, so a new use case cannot be added
//! without being walked.

mod common;

use std::sync::Arc;

use common::{add_tunebird, at, day, set_up};
use domain::{Consent, Origin, PartyKey, SocietyCode, Stage};
use engine::books::BooksError;
use engine::disclosure::DisclosureError;
use engine::disclosure::decisions::{self, Resolution};
use engine::disclosure::intake::{self, FileSource, MAX_FILE_BYTES, Submission};
use engine::disclosure::run::{self, MatchRun};
use engine::disclosure::{DeclaredTotals, assess, views};
use engine::distribution::{DistributionError, report, run as distribution_run, views as distribution};
use engine::licensing::Archive;
use engine::licensing::invoicing::{self, InvoiceError, InvoiceRun, RunOutcome, Settlement};
use engine::licensing::licences::{self, KeyError};
use engine::licensing::licensees::{self, AgreementChange, LicensingError};
use engine::licensing::offer::{self, OfferError};
use engine::licensing::reports::{self, Intake, ReportError};
use engine::licensing::tokens::{self, TokenError};
use engine::recordings::{self, RecordingError};
use engine::registry::{self, ConsentRequest, RegistryError};
use engine::{Actor, ActorKind, FixedEntropy, ImportError, Store, UseCase};
use money::{Amount, Currency};
use story_tests::{staff, story};

const PASSPHRASE: &str = "a long test passphrase";
const SERVICE_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-service-2026-03.json");
const SUMMARY: &str = include_str!("../../../docs/examples/songfox-sf-1-summary.json");

/// Who may do what, as the society's staff agreed it: `S` staff only, `L` staff and the licensee for its
/// own affairs, `M` staff and a member for their own parties, `C` staff and a sister society for what
/// concerns it, `*` anyone.
fn expected(use_case: UseCase) -> char {
    use UseCase::*;
    match use_case {
        Initialise | SetRules | ImportCwr | SearchWorks | ShowWork | AddMandate | SetWorkOrigin | RegistryCounts
        | ImportErn | ShowRecording | SearchRecordings | LinkRecording | SetRecordingOrigin | RegisterAudio
        | IdentifyAudio | PutLicensee | PutModelVersion | PutService | CreateAgreement | AmendAgreement
        | ListLicensees | CreateToken | ListTokens | RevokeToken | RunInvoices | InvoiceAdvance | RecordPayment
        | Dispute | HeldParts | SettlePresumption | ReleasePresumptions | VerifyBooks | TrialBalance | RotateKey
        | IssueLicence | MatchDisclosure | RematchStale | Assess | ResolveItem | SetDistributionRules
        | RunDistribution | ShowDistribution | ListReserve | ListClaims | ResolveClaim => 'S',
        ShowLicensee | SubmitReport | ListReports | ReportingStatus | ListInvoices | ShowInvoice | ListLicences
        | SubmitDisclosure | UploadDisclosureFile | CompleteDisclosures | ListDisclosures | ShowDisclosure => 'L',
        ShowParty | SetConsent | PartyMatches | PartyStatements | SubmitClaim => 'M',
        SocietySettlements => 'C',
        ShowSociety
        | PublishedKeys
        | VerifyLicence
        | LookupWork
        | ReservedWorks
        | ShowDistributionRules
        | TransparencyReport
        | DilutionIndex => '*',
    }
}

/// The actors walked, each with whether it is "own" (Songfox, or the member of the party used).
fn actors(party: &PartyKey) -> Vec<(Actor, bool)> {
    let licensee = |id: &str| Actor::licensee(domain::ids::LicenseeId::parse(id).expect("an id"), "api");
    vec![
        (staff().clone(), true),
        (licensee("songfox"), true),
        (licensee("tunebird"), false),
        (Actor::Member { name: "ann".into(), parties: vec![party.clone()] }, true),
        (Actor::Member { name: "bo".into(), parties: vec![PartyKey::new("IPI:00000000000")] }, false),
        (Actor::Society { society: 52, user: "api".into() }, true),
        (Actor::Society { society: 35, user: "api".into() }, false),
        (Actor::Public, false),
    ]
}

fn allowed(rule: char, actor: &Actor, own: bool) -> bool {
    match (rule, actor.kind()) {
        ('*', _) | (_, ActorKind::Operator) => true,
        ('L', ActorKind::Licensee) | ('M', ActorKind::Member) | ('C', ActorKind::Society) => own,
        _ => false,
    }
}

/// Whether a use case's answer is the engine's refusal (any other answer, an error included, means it
/// was let through to do its work).
trait Refused {
    fn refused(&self) -> bool;
}

macro_rules! refused {
    ($($error:ident),*) => {$(
        impl<T> Refused for Result<T, $error> {
            fn refused(&self) -> bool {
                matches!(self, Err($error::Denied(_)))
            }
        }
    )*};
}

refused!(
    DistributionError,
    RegistryError,
    RecordingError,
    LicensingError,
    TokenError,
    ReportError,
    InvoiceError,
    KeyError,
    OfferError,
    DisclosureError,
    ImportError,
    BooksError
);

/// What the walk works on: Songfox's invoice, disclosure and licence, a work and one of its parties.
struct World {
    store: Arc<dyn Store>,
    archive: Archive,
    _dir: tempfile::TempDir,
    work: String,
    iswc: domain::Iswc,
    party: PartyKey,
    invoice: String,
    disclosure: engine::disclosure::Disclosure,
}

async fn world(store: &Arc<dyn Store>) -> World {
    set_up(store).await;
    add_tunebird(store).await;
    let s = store.as_ref();
    let dir = tempfile::tempdir().expect("a folder");
    let archive = Archive::new(dir.path().join("archive"));
    let intake = Intake::new(story_tests::songfox(), "songfox", &engine::OsEntropy, at(2026, 4, 2));
    reports::submit_report(s, staff(), &archive, SERVICE_REPORT, intake).await.expect("a report");
    let run = InvoiceRun {
        period: domain::Period::month(2026, 3).expect("a period"),
        licensee: Some("songfox"),
        issued_on: day(2026, 4, 15),
        now: at(2026, 4, 15),
        rates: &[],
    };
    let outcomes = invoicing::run_invoices(s, staff(), &run).await.expect("a run");
    let Some((_, RunOutcome::Issued(invoice))) = outcomes.into_iter().next() else { panic!("an invoice") };
    let summary = dir.path().join("summary.json");
    std::fs::write(&summary, SUMMARY).expect("written");
    let submission = Submission {
        licensee: story_tests::songfox(),
        model_version: "sf-1",
        files: vec![FileSource::on_disk(&summary)],
        declared: DeclaredTotals::default(),
        received_by: "story",
        now: at(2026, 5, 1),
        max_bytes: MAX_FILE_BYTES,
        progress: None,
        replace: false,
    };
    let (received, _, _) = intake::submit(s, staff(), &archive, submission, None).await.expect("a disclosure");
    licences::rotate_key(s, staff(), PASSPHRASE, &FixedEntropy::new(1), at(2026, 4, 1)).await.expect("a key");
    licences::issue_licence(s, staff(), story_tests::songfox(), PASSPHRASE, at(2026, 4, 1)).await.expect("a licence");
    let found = registry::search_works(s, staff(), "", 400).await.expect("works");
    let (work, party, iswc) = {
        let mut chosen = None;
        for w in found {
            let detail = registry::work(s, staff(), &w.code).await.expect("a work");
            let holders = detail.primary().map(|p| p.work.consent_holders()).unwrap_or_default();
            if let (Some(holder), Some(iswc)) = (holders.first(), w.iswc) {
                chosen = Some((w.code.clone(), holder.0.clone(), iswc));
                break;
            }
        }
        chosen.expect("a work with an ISWC and a holder")
    };
    World {
        store: store.clone(),
        archive,
        _dir: dir,
        work,
        iswc,
        party,
        invoice: invoice.number,
        disclosure: received.disclosure().clone(),
    }
}

/// Calls the use case as `a`; whether the engine refused it.
async fn call(w: &World, use_case: UseCase, a: &Actor) -> bool {
    let (s, now, today) = (w.store.as_ref(), at(2026, 6, 1), day(2026, 6, 1));
    let entropy = FixedEntropy::new(9);
    let run = MatchRun::new(&w.archive, now);
    let party = w.party.as_str();
    let d = &w.disclosure;
    use UseCase::*;
    match use_case {
        Initialise => registry::initialise(s, a, SocietyCode::STIM, None).await.refused(),
        ShowSociety => registry::society(s, a).await.refused(),
        SetRules => {
            let rules = registry::society(s, staff()).await.expect("the society").rules;
            registry::set_rules(s, a, rules).await.refused()
        }
        ImportCwr => {
            let mut options = engine::ImportOptions::new(now, "story");
            options.dry_run = true;
            let sink: engine::import::AckSink<'_> =
                Box::new(|_| Ok(Box::new(std::io::sink()) as Box<dyn std::io::Write + Send>));
            engine::import_cwr(&w.store, a, &b"not a CWR file"[..], "x.V21", options, sink, &|_| {}).await.refused()
        }
        SearchWorks => registry::search_works(s, a, "a", 5).await.refused(),
        ShowWork => registry::work(s, a, &w.work).await.refused(),
        ShowParty => registry::party(s, a, party).await.refused(),
        SetConsent => {
            let request = ConsentRequest {
                party: party.to_owned(),
                work: None,
                stages: vec![Stage::Output],
                consent: Consent::Included,
                effective_from: today,
                note: String::new(),
            };
            registry::set_consent(s, a, &request, "story", now).await.refused()
        }
        AddMandate => {
            let mandate = domain::Mandate {
                party: w.party.clone(),
                society: SocietyCode::STIM,
                rights: vec![],
                territories: vec![],
                ai_stages: vec![],
                valid_from: None,
                valid_until: None,
            };
            registry::add_mandate(s, a, party, mandate).await.refused()
        }
        SetWorkOrigin => registry::set_origin(s, a, &w.work, Origin::Unknown, "story", now, "").await.refused(),
        RegistryCounts => registry::counts(s, a).await.refused(),
        ImportErn => recordings::import_ern(s, a, b"<not-ern/>", "x.xml", now).await.refused(),
        ShowRecording => recordings::recording_view(s, a, "SEXXX2600001").await.refused(),
        SearchRecordings => recordings::search(s, a, "a", 5).await.refused(),
        LinkRecording => recordings::link(s, a, "SEXXX2600001", &w.iswc, "story").await.refused(),
        SetRecordingOrigin => recordings::set_origin(s, a, "SEXXX2600001", Origin::Human, "story", now).await.refused(),
        RegisterAudio => {
            let isrc = domain::Isrc::parse("SE-XXX-26-00001").expect("an ISRC");
            let prints = fingerprint::recogniser::Prints { chromaprint: vec![], peaks: vec![] };
            recordings::register_audio(s, a, &isrc, &prints, 0, "story", now).await.refused()
        }
        IdentifyAudio => recordings::recogniser(s, a, None).await.refused(),
        PutLicensee => {
            let tunebird = licensees::show(s, staff(), story_tests::tunebird()).await.expect("tunebird").licensee;
            licensees::put_licensee(s, a, tunebird).await.refused()
        }
        PutModelVersion => {
            let model =
                licensees::show(s, staff(), story_tests::tunebird()).await.expect("tunebird").model_versions.remove(0);
            licensees::put_model_version(s, a, model).await.refused()
        }
        PutService => licensees::put_service(s, a, story_tests::tunebird(), "tb-app", "", None).await.refused(),
        CreateAgreement => {
            let change = AgreementChange::default();
            licensees::create_agreement_with(s, a, "A-X", story_tests::songfox(), today, change, now).await.refused()
        }
        AmendAgreement => {
            // Dated before the version in force: refused as backdated when allowed at all.
            let change = AgreementChange::default();
            licensees::amend_agreement_with(s, a, story_tests::songfox(), day(2025, 1, 1), change, now).await.refused()
        }
        ListLicensees => licensees::list(s, a).await.refused(),
        ShowLicensee => licensees::show(s, a, story_tests::songfox()).await.refused(),
        CreateToken => tokens::create(s, a, story_tests::songfox(), "walk", &entropy, now).await.refused(),
        ListTokens => tokens::list(s, a, story_tests::songfox()).await.refused(),
        RevokeToken => tokens::revoke(s, a, story_tests::songfox(), "ffffff", now).await.refused(),
        SubmitReport => {
            let intake = Intake::new(story_tests::songfox(), "walk", &entropy, now);
            reports::submit_report(s, a, &w.archive, &b"not a report"[..], intake).await.refused()
        }
        ListReports => reports::list(s, a, story_tests::songfox()).await.refused(),
        ReportingStatus => reports::reporting_status(s, a, story_tests::songfox(), today).await.refused(),
        RunInvoices => {
            let run = InvoiceRun {
                period: domain::Period::month(2026, 3).expect("a period"),
                licensee: Some("songfox"),
                issued_on: today,
                now,
                rates: &[],
            };
            invoicing::run_invoices(s, a, &run).await.refused()
        }
        InvoiceAdvance => invoicing::invoice_advance(s, a, story_tests::songfox(), today, now).await.refused(),
        ListInvoices => invoicing::invoices(s, a, Some(story_tests::songfox())).await.refused(),
        ShowInvoice => invoicing::invoice(s, a, &story_tests::id(&w.invoice)).await.refused(),
        RecordPayment => {
            let zero = Amount::zero(Currency::EUR);
            invoicing::record_payment(s, a, &story_tests::id(&w.invoice), "walk", zero, today, now).await.refused()
        }
        Dispute => invoicing::dispute(s, a, &story_tests::id("INV-2099-000001"), true).await.refused(),
        HeldParts => invoicing::held_parts(s, a, None).await.refused(),
        SettlePresumption => {
            invoicing::settle_presumption(s, a, &story_tests::id("INV-2099-000001"), Settlement::Release, now)
                .await
                .refused()
        }
        ReleasePresumptions => invoicing::release_due_presumptions(s, a, day(2026, 1, 1), now).await.refused(),
        VerifyBooks => engine::books::verify(s, a, false, now).await.refused(),
        TrialBalance => engine::books::trial_balance(s, a).await.refused(),
        RotateKey => licences::rotate_key(s, a, "short", &entropy, now).await.refused(),
        IssueLicence => {
            licences::issue_licence(s, a, story_tests::songfox(), "not the passphrase", now).await.refused()
        }
        ListLicences => licences::licences(s, a, story_tests::songfox()).await.refused(),
        PublishedKeys => licences::published_keys(s, a).await.refused(),
        VerifyLicence => licences::verify_online(s, a, "{}", today).await.refused(),
        LookupWork => offer::lookup(s, a, &offer::LookupKey::Iswc(w.iswc), "x@y", today).await.refused(),
        ReservedWorks => offer::reserved_work_paths(s, a, 10, today).await.refused(),
        SubmitDisclosure => {
            let submission = Submission {
                licensee: story_tests::songfox(),
                model_version: "sf-1",
                files: vec![],
                declared: DeclaredTotals::default(),
                received_by: "walk",
                now,
                max_bytes: MAX_FILE_BYTES,
                progress: None,
                replace: false,
            };
            intake::receive(s, a, &w.archive, submission).await.refused()
        }
        UploadDisclosureFile => intake::uploaded(s, a, story_tests::songfox(), "00").await.refused(),
        CompleteDisclosures => intake::complete(s, a, d, &run, "walk").await.refused(),
        ListDisclosures => views::list(s, a, Some(story_tests::songfox())).await.refused(),
        ShowDisclosure => views::show(s, a, &story_tests::id(&d.id), false).await.refused(),
        PartyMatches => views::party_matches(s, a, party).await.refused(),
        MatchDisclosure => run::match_disclosure(s, a, d, &run).await.refused(),
        RematchStale => run::rematch_stale(s, a, &run, "walk").await.refused(),
        Assess => assess::assess(s, a, &story_tests::id(&d.id), "walk", now).await.refused(),
        ResolveItem => decisions::resolve(s, a, &story_tests::id(&d.id), 1, Resolution::None, "", now).await.refused(),
        ShowDistributionRules => distribution::rules(s, a).await.refused(),
        SetDistributionRules => distribution::set_rules(s, a, &Default::default()).await.refused(),
        RunDistribution => {
            let request = distribution_run::RunRequest {
                period: domain::Period::month(2026, 3).expect("a period"),
                dry_run: true,
                now,
            };
            distribution_run::run(s, a, request, &|_| {}).await.refused()
        }
        ShowDistribution => distribution::runs(s, a).await.refused(),
        PartyStatements => distribution::statement(s, a, &w.party, None).await.refused(),
        SocietySettlements => distribution::settlements(s, a, 1, Some(52)).await.refused(),
        ListReserve => distribution::reserve(s, a, today).await.refused(),
        SubmitClaim => {
            let request = distribution::ClaimRequest {
                period: domain::Period::month(2026, 3).expect("a period"),
                work: w.work.clone(),
                unidentified: String::new(),
                reason: engine::distribution::split::ReserveReason::UnknownParty,
                held_for: String::new(),
                claimant: w.party.clone(),
                payee: engine::distribution::catalogue::Payee::Member,
                evidence: "walk".into(),
            };
            distribution::submit_claim(s, a, request, now).await.refused()
        }
        ListClaims => distribution::claims(s, a).await.refused(),
        ResolveClaim => distribution::resolve_claim(s, a, 1, false, "walk", now).await.refused(),
        TransparencyReport => report::transparency(s, a, 2026, today).await.refused(),
        DilutionIndex => report::dilution(s, a, &[]).await.refused(),
    }
}

async fn every_use_case_as_every_actor(store: &Arc<dyn Store>) {
    let w = world(store).await;
    let mut wrong = Vec::new();
    let mut walked = 0;
    for &use_case in UseCase::ALL {
        let rule = expected(use_case);
        let policy = match use_case.rule() {
            engine::access::Rule::Staff => 'S',
            engine::access::Rule::OwnLicensee => 'L',
            engine::access::Rule::OwnParty => 'M',
            engine::access::Rule::OwnSociety => 'C',
            engine::access::Rule::Anyone => '*',
        };
        if policy != rule {
            wrong.push(format!("{use_case:?}: the policy says {policy}, the society agreed {rule}"));
        }
        for (actor, own) in actors(&w.party) {
            let refused = call(&w, use_case, &actor).await;
            walked += 1;
            if refused == allowed(rule, &actor, own) {
                let what = if refused { "refused" } else { "let through" };
                wrong.push(format!("{use_case:?} as {actor} ({}): {what}", if own { "own" } else { "not own" }));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {walked} calls answered wrongly:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(walked, UseCase::ALL.len() * 8);
    // What the staff did on the way left the books whole.
    story_tests::books_verify(store.as_ref()).await;
}

story!(every_use_case_as_every_actor);

//! Who acts, and what each may do: the one authorisation the CLI, the API and the web app share.
//!
//! Every use case takes an [`Actor`] and, before it reads or changes anything, asks
//! [`Actor::may`] with its [`UseCase`] and the [`Scope`] it touches. The rule of each use case is one line
//! of [`UseCase::rule`], so the whole policy reads in one place and a test walks every use case as every
//! kind of actor. A use case whose scope is only known from what it loads (an invoice by number, a
//! disclosure by id) asks again once it knows whose it is.
//!
//! The engine trusts the edge to have authenticated the actor (a password, a token, the operator at the
//! terminal); it decides what that actor may do.

use std::fmt;

use domain::PartyKey;
use domain::ids::LicenseeId;

/// Who calls a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The society's staff: may do everything (the CLI runs as one, named by `--operator`).
    Operator { name: String },
    /// A user of one licensee (an API token, a licensee's web account): its own agreement, reports,
    /// disclosures, invoices and licences.
    Licensee { licensee: LicenseeId, user: String },
    /// A member of the society: their own parties (a writer and, say, their own publishing company).
    Member { name: String, parties: Vec<PartyKey> },
    /// A sister society (by its CISAC code, e.g. 52 for PRS): what this society owes it for its members.
    Society { society: u16, user: String },
    /// Anyone, unauthenticated: the register, the offer, the per-work lookup, licence verification.
    Public,
}

/// The kinds of actor, for the policy table and its test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Operator,
    Licensee,
    Member,
    Society,
    Public,
}

impl Actor {
    pub fn operator(name: &str) -> Actor {
        Actor::Operator { name: name.to_owned() }
    }

    /// The licensee a token or account belongs to, acting through `user` (`api:<licensee>` for a token).
    pub fn licensee(licensee: LicenseeId, user: &str) -> Actor {
        Actor::Licensee { licensee, user: user.to_owned() }
    }

    /// Work the engine does on the society's behalf once a use case was allowed (a licensee's disclosure
    /// is matched and assessed by the society). For the areas' own use: an edge never hands it out.
    pub fn society() -> Actor {
        Actor::operator("tantiem")
    }

    pub fn kind(&self) -> ActorKind {
        match self {
            Actor::Operator { .. } => ActorKind::Operator,
            Actor::Licensee { .. } => ActorKind::Licensee,
            Actor::Member { .. } => ActorKind::Member,
            Actor::Society { .. } => ActorKind::Society,
            Actor::Public => ActorKind::Public,
        }
    }

    /// The name a change is recorded under.
    pub fn name(&self) -> String {
        match self {
            Actor::Operator { name } => name.clone(),
            Actor::Licensee { licensee, user } => format!("{licensee}:{user}"),
            Actor::Member { name, .. } => format!("member:{name}"),
            Actor::Society { society, user } => format!("society:{society:03}:{user}"),
            Actor::Public => "public".to_owned(),
        }
    }

    /// Whether this actor may do `use_case` on `scope`: the one check every use case makes.
    pub fn may(&self, use_case: UseCase, scope: Scope<'_>) -> Result<(), Denied> {
        let allowed = match (use_case.rule(), self) {
            (_, Actor::Operator { .. }) | (Rule::Anyone, _) => true,
            (Rule::OwnLicensee, Actor::Licensee { licensee, .. }) => match scope {
                Scope::Licensee(id) => licensee.as_str() == id,
                _ => false,
            },
            (Rule::OwnParty, Actor::Member { parties, .. }) => match scope {
                Scope::Party(key) => parties.iter().any(|p| p.as_str() == key),
                _ => false,
            },
            (Rule::OwnSociety, Actor::Society { society, .. }) => scope == Scope::SisterSociety(*society),
            _ => false,
        };
        if allowed { Ok(()) } else { Err(Denied { use_case, actor: self.to_string() }) }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Operator { name } => write!(f, "operator {name}"),
            Actor::Licensee { licensee, .. } => write!(f, "licensee {licensee}"),
            Actor::Member { name, .. } => write!(f, "member {name}"),
            Actor::Society { society, .. } => write!(f, "society {society:03}"),
            Actor::Public => f.write_str("the public"),
        }
    }
}

/// What a use case touches: the whole society, one licensee's affairs or one party's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Society,
    Licensee(&'a str),
    /// A party by key (`IPI:…`, `SUB:…`).
    Party(&'a str),
    /// A sister society's affairs with this one, by its CISAC code.
    SisterSociety(u16),
}

/// Who, besides the society's staff, may do a use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Staff only.
    Staff,
    /// Staff, and a licensee for its own affairs.
    OwnLicensee,
    /// Staff, and a member for their own parties.
    OwnParty,
    /// Staff, and a sister society for what concerns it.
    OwnSociety,
    /// Anyone, the public included.
    Anyone,
}

/// An actor asked for what it may not do. Nothing was read or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{actor} may not {}", use_case.action())]
pub struct Denied {
    pub use_case: UseCase,
    pub actor: String,
}

macro_rules! use_cases {
    ($($name:ident => $rule:ident, $action:literal;)*) => {
        /// Every use case of the engine, with its rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum UseCase {
            $($name,)*
        }

        impl UseCase {
            pub const ALL: &'static [UseCase] = &[$(UseCase::$name,)*];

            pub fn rule(self) -> Rule {
                match self {
                    $(UseCase::$name => Rule::$rule,)*
                }
            }

            /// What it does, in words (for the refusal).
            pub fn action(self) -> &'static str {
                match self {
                    $(UseCase::$name => $action,)*
                }
            }
        }
    };
}

use_cases! {
    // The society and its repertoire.
    Initialise => Staff, "initialise the society";
    ShowSociety => Anyone, "see the society and its rules";
    SetRules => Staff, "change the society's rules";
    ImportCwr => Staff, "import CWR files";
    SearchWorks => Staff, "search the repertoire";
    ShowWork => Staff, "see a work's registrations and history";
    ShowParty => OwnParty, "see this party";
    SetConsent => OwnParty, "change this party's AI consent";
    AddMandate => Staff, "record a mandate";
    SetWorkOrigin => Staff, "declare a work's origin";
    RegistryCounts => Staff, "count the registry";
    // Recordings and audio.
    ImportErn => Staff, "import DDEX ERN messages";
    ShowRecording => Staff, "see a recording";
    SearchRecordings => Staff, "search recordings";
    LinkRecording => Staff, "link a recording to a work";
    SetRecordingOrigin => Staff, "declare a recording's origin";
    RegisterAudio => Staff, "register audio fingerprints";
    IdentifyAudio => Staff, "identify audio";
    // Licensees and agreements.
    PutLicensee => Staff, "register or change a licensee";
    PutModelVersion => Staff, "register or change a model version";
    PutService => Staff, "register or change a service";
    CreateAgreement => Staff, "create an agreement";
    AmendAgreement => Staff, "amend an agreement";
    ListLicensees => Staff, "list every licensee";
    ShowLicensee => OwnLicensee, "see this licensee's agreement, services and model versions";
    CreateToken => Staff, "create an API token";
    ListTokens => Staff, "list API tokens";
    RevokeToken => Staff, "revoke API tokens";
    // Reports.
    SubmitReport => OwnLicensee, "submit a report for this licensee";
    ListReports => OwnLicensee, "see this licensee's reports";
    ReportingStatus => OwnLicensee, "see this licensee's reporting status";
    // Invoices, payments and the presumption.
    RunInvoices => Staff, "run invoicing";
    InvoiceAdvance => Staff, "invoice an advance";
    ListInvoices => OwnLicensee, "see this licensee's invoices";
    ShowInvoice => OwnLicensee, "see this invoice";
    RecordPayment => Staff, "record a payment";
    Dispute => Staff, "open or close a dispute";
    HeldParts => Staff, "see presumption parts held";
    SettlePresumption => Staff, "settle a presumption part";
    ReleasePresumptions => Staff, "release presumption parts that fell due";
    // The books.
    VerifyBooks => Staff, "verify the books";
    TrialBalance => Staff, "see the books' balances";
    // Licences and the offer.
    RotateKey => Staff, "rotate the society's signing key";
    IssueLicence => Staff, "issue a licence";
    ListLicences => OwnLicensee, "see this licensee's licences";
    PublishedKeys => Anyone, "read the published keys";
    VerifyLicence => Anyone, "verify a licence";
    LookupWork => Anyone, "look up a work's licensing";
    ReservedWorks => Anyone, "read the works reserved from AI use";
    // Disclosures.
    SubmitDisclosure => OwnLicensee, "submit a disclosure for this licensee";
    CompleteDisclosures => OwnLicensee, "have this licensee's disclosure matched and assessed";
    UploadDisclosureFile => OwnLicensee, "upload a disclosure file for this licensee";
    ListDisclosures => OwnLicensee, "see this licensee's disclosures";
    ShowDisclosure => OwnLicensee, "see this disclosure and its matches";
    PartyMatches => OwnParty, "see which model versions used this party's works";
    MatchDisclosure => Staff, "match a disclosure";
    RematchStale => Staff, "re-match stale disclosures";
    Assess => Staff, "assess a disclosure";
    ResolveItem => Staff, "decide a disclosure item";
    // Distribution.
    ShowDistributionRules => Anyone, "read the society's distribution rules";
    SetDistributionRules => Staff, "change the distribution rules";
    RunDistribution => Staff, "run a distribution";
    ShowDistribution => Staff, "see distribution runs and their lines";
    PartyStatements => OwnParty, "see this party's statements";
    SocietySettlements => OwnSociety, "see what is owed to this sister society";
    ListReserve => Staff, "see the reserve";
    SubmitClaim => OwnParty, "claim reserved money for this party";
    ListClaims => Staff, "see the claims";
    ResolveClaim => Staff, "decide a claim";
    TransparencyReport => Anyone, "read the annual transparency report";
    DilutionIndex => Anyone, "read the dilution index";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn songfox() -> Actor {
        Actor::licensee(LicenseeId::parse("songfox").expect("an id"), "api")
    }

    #[test]
    fn staff_may_everything_and_the_public_only_what_anyone_may() {
        for &use_case in UseCase::ALL {
            assert!(Actor::operator("a").may(use_case, Scope::Society).is_ok());
            assert_eq!(Actor::Public.may(use_case, Scope::Society).is_ok(), use_case.rule() == Rule::Anyone);
        }
    }

    #[test]
    fn a_licensee_reaches_only_its_own_affairs() {
        assert!(songfox().may(UseCase::ShowInvoice, Scope::Licensee("songfox")).is_ok());
        let denied = songfox().may(UseCase::ShowInvoice, Scope::Licensee("tunebird")).unwrap_err();
        assert_eq!(denied.to_string(), "licensee songfox may not see this invoice");
        assert!(songfox().may(UseCase::RunInvoices, Scope::Licensee("songfox")).is_err());
        assert!(songfox().may(UseCase::ShowInvoice, Scope::Society).is_err());
    }

    #[test]
    fn a_member_reaches_only_their_own_parties() {
        let member = Actor::Member { name: "ann".into(), parties: vec![PartyKey::new("IPI:00000000001")] };
        assert!(member.may(UseCase::SetConsent, Scope::Party("IPI:00000000001")).is_ok());
        assert!(member.may(UseCase::SetConsent, Scope::Party("IPI:00000000002")).is_err());
        assert!(member.may(UseCase::ShowInvoice, Scope::Licensee("songfox")).is_err());
    }

    #[test]
    fn a_sister_society_reaches_only_what_is_owed_to_it() {
        let prs = Actor::Society { society: 52, user: "api".into() };
        assert!(prs.may(UseCase::SocietySettlements, Scope::SisterSociety(52)).is_ok());
        let denied = prs.may(UseCase::SocietySettlements, Scope::SisterSociety(35)).unwrap_err();
        assert_eq!(denied.to_string(), "society 052 may not see what is owed to this sister society");
        assert!(prs.may(UseCase::SocietySettlements, Scope::Society).is_err());
        assert!(prs.may(UseCase::PartyStatements, Scope::Party("IPI:00000000001")).is_err());
    }
}

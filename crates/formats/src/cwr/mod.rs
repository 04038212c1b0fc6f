//! CISAC CWR: the streaming [`Reader`] (2.1, 2.2, 3.0, 3.1), the translation of transactions into domain
//! values ([`read_work`] and friends), and the acknowledgement writer ([`AckWriter`]).

mod ack;
mod layout;
mod reader;
mod record;
mod work;

pub use ack::{ACK_NUMBERS_PER_YEAR, AckEntry, AckStatus, AckWriter, ack_file_name};
pub use layout::{TRANSACTION_TYPES, Version, length};
pub use reader::{FileSummary, Header, OpenError, ReadOptions, Reader, Transaction};
pub use record::{Record, fit};
pub use work::{
    AckNotice, AgreementNotice, Context, IswcNotice, WorkTransaction, read_ack, read_agreement, read_iswc_notice,
    read_work,
};

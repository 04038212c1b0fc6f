//! Matching a manifest as it streams: the file is read on a thread of its own into batches, and each batch
//! is matched on the matcher's threads while the next is read, so memory holds two batches whatever the
//! size of the file, and reading and matching overlap.

use std::sync::mpsc;

use formats::ReadOutcome;
use formats::disclosure::ManifestItem;
use matching::{Matcher, Outcome};

use super::matching_item;

/// Items per batch: big enough to keep every core busy, small enough that two fit in memory easily.
pub const BATCH: usize = 50_000;

/// Reads a manifest with `read` (a reader handing items to its sink) and matches it batch by batch, handing
/// each batch's items and outcomes, in file order, to `matched`. Stops reading at the first error
/// `matched` returns (the rest of the file is then skipped) and returns it; otherwise returns what reading
/// found.
pub fn match_manifest<E: Send>(
    read: impl FnOnce(&mut dyn FnMut(ManifestItem)) -> ReadOutcome + Send,
    matcher: &Matcher<'_>,
    matched: &mut dyn FnMut(Vec<ManifestItem>, Vec<Outcome>) -> Result<(), E>,
) -> Result<ReadOutcome, E> {
    std::thread::scope(|scope| {
        let (send, receive) = mpsc::sync_channel::<Vec<ManifestItem>>(1);
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut open = true;
            let outcome = read(&mut |item| {
                if !open {
                    return;
                }
                batch.push(item);
                if batch.len() == BATCH {
                    open = send.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_ok();
                }
            });
            if open && !batch.is_empty() {
                let _ = send.send(batch);
            }
            outcome
        });
        let mut failed = None;
        for items in receive.iter() {
            let queries: Vec<matching::Item> = items.iter().map(matching_item).collect();
            let outcomes = matcher.match_all(&queries);
            if let Err(e) = matched(items, outcomes) {
                failed = Some(e);
                break;
            }
        }
        // Dropping the receiver tells the reader to stop sending.
        drop(receive);
        let outcome = reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match failed {
            Some(e) => Err(e),
            None => Ok(outcome),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use formats::disclosure::{ManifestFormat, read_manifest};
    use matching::{RecordingEntry, RepertoireBuilder, Thresholds};

    #[test]
    fn every_item_is_matched_once_in_file_order_and_errors_stop_the_run() {
        let mut b = RepertoireBuilder::new();
        b.add_recordings(&[RecordingEntry {
            key: "R1".into(),
            title: "Northern Lights".into(),
            artists: vec!["Anna Berg".into()],
            duration_s: Some(200),
            ..RecordingEntry::default()
        }]);
        let repertoire = b.build();
        let matcher = Matcher::new(&repertoire, Thresholds::default());
        let mut text = String::from("title,artists,duration_s\n");
        for i in 0..(BATCH * 2 + 7) {
            text.push_str(if i % 2 == 0 { "Northern Lights,Anna Berg,201\n" } else { "Other,Someone,100\n" });
        }
        let mut lines = Vec::new();
        let mut found = 0;
        let outcome = match_manifest::<()>(
            |sink| read_manifest(ManifestFormat::Csv, text.as_bytes(), sink),
            &matcher,
            &mut |items, outcomes| {
                lines.extend(items.iter().map(|i| i.line));
                found += outcomes.iter().filter(|o| o.recording() == Some("R1")).count();
                Ok(())
            },
        )
        .unwrap();
        assert!(outcome.is_ok());
        assert_eq!(lines.len(), BATCH * 2 + 7);
        assert!(lines.windows(2).all(|w| w[0] + 1 == w[1]), "in file order");
        assert_eq!(found, BATCH + 4);
        let mut batches = 0;
        let stopped =
            match_manifest(|sink| read_manifest(ManifestFormat::Csv, text.as_bytes(), sink), &matcher, &mut |_, _| {
                batches += 1;
                Err("the store said no")
            });
        assert_eq!((stopped.unwrap_err(), batches), ("the store said no", 1));
    }
}

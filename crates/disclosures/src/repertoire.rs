//! The repertoire as the matcher needs it, read from the store page by page: every work (titles, ISWC,
//! writers), every standing ERN recording with what CWR REC records say of it (a field ERN leaves out is
//! taken from CWR, as `recordings show` does) and the works it is linked to, and the recordings CWR alone
//! knows (one without a title bears its work's title, one without an artist its work's performers).

use domain::SoundRecording;
use matching::{RecordingEntry, Repertoire, RepertoireBuilder};

use super::Progress;
use crate::DisclosureStore;
use ports::StoreResult;

/// Rows read per page.
const PAGE: u32 = 20_000;

/// The matcher's entry for an ERN recording, completed from CWR REC records of the same ISRC.
fn ern_entry(r: SoundRecording, mut works: Vec<String>, cwr: Vec<(String, domain::RecordingInfo)>) -> RecordingEntry {
    let mut title = r.title.map(|t| t.value).unwrap_or_default();
    let mut artists = r.display_artists.map(|a| a.value).unwrap_or_default();
    let mut duration = r.duration_seconds.map(|d| d.value);
    for (work, info) in cwr {
        if title.is_empty() {
            title = info.title.clone();
        }
        if artists.is_empty() && !info.artist.is_empty() {
            artists.push(info.artist.clone());
        }
        duration = duration.or(info.duration_seconds);
        if !works.contains(&work) {
            works.push(work);
        }
    }
    RecordingEntry {
        isrc: r.isrc.map(|i| i.as_str().to_owned()),
        key: r.key,
        title,
        version: r.subtitle.map(|s| s.value),
        artists,
        duration_s: duration,
        works,
    }
}

/// Reads the whole repertoire and indexes it; returns it with the store's repertoire stamp as read before
/// (a change while reading makes the next match see a new stamp and match again).
#[tracing::instrument(skip_all)]
pub async fn load(store: &dyn DisclosureStore, progress: Option<&Progress>) -> StoreResult<(Repertoire, String)> {
    let stamp = store.repertoire_stamp().await?;
    let mut builder = RepertoireBuilder::new();
    let mut read = 0u64;
    let tell = |read: u64| {
        if let Some(p) = progress {
            p("loading the repertoire", read, 0);
        }
    };
    let mut after = String::new();
    loop {
        let page = store.matching_works(&after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.code.clone();
        read += page.len() as u64;
        builder = off_thread(builder, move |b| b.add_works(&page)).await;
        tell(read);
    }
    let mut after = String::new();
    loop {
        let page = store.matching_sound_recordings(&after, PAGE).await?;
        let Some((last, _)) = page.last() else { break };
        after = last.key.clone();
        read += page.len() as u64;
        let entries: Vec<RecordingEntry> = page
            .into_iter()
            .map(|(recording, links)| {
                let (works, cwr): (Vec<String>, Vec<(String, domain::RecordingInfo)>) =
                    links.into_iter().fold((Vec::new(), Vec::new()), |(mut w, mut c), link| {
                        match link.1 {
                            Some(info) => c.push((link.0, info)),
                            None => w.push(link.0),
                        }
                        (w, c)
                    });
                ern_entry(recording, works, cwr)
            })
            .collect();
        builder = off_thread(builder, move |b| b.add_recordings(&entries)).await;
        tell(read);
    }
    let mut after = String::new();
    loop {
        let page = store.matching_cwr_recordings(&after, PAGE).await?;
        let Some((last, _, _, _)) = page.last() else { break };
        after = last.clone();
        read += page.len() as u64;
        let entries: Vec<RecordingEntry> = page
            .into_iter()
            .map(|(id, work, info, performers)| RecordingEntry {
                isrc: info.isrc.map(|i| i.as_str().to_owned()),
                key: id,
                title: info.title,
                version: Some(info.version_title).filter(|v| !v.is_empty()),
                // CWR 2.1's REC names no artist: the work's performing artists (PER) stand in.
                artists: if info.artist.is_empty() { performers } else { vec![info.artist] },
                duration_s: info.duration_seconds,
                works: vec![work],
            })
            .collect();
        builder = off_thread(builder, move |b| b.add_recordings(&entries)).await;
        tell(read);
    }
    let built = tokio::task::spawn_blocking(move || builder.build()).await;
    Ok((built.unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic())), stamp))
}

/// Runs a builder step on a blocking thread (normalising a page of titles and names is CPU work that
/// would hold up the server's other requests).
async fn off_thread(
    mut builder: RepertoireBuilder,
    step: impl FnOnce(&mut RepertoireBuilder) + Send + 'static,
) -> RepertoireBuilder {
    let done = tokio::task::spawn_blocking(move || {
        step(&mut builder);
        builder
    })
    .await;
    done.unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()))
}

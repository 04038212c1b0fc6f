//! The recordings' port (`RecordingStore`): sound recordings and releases from ERN messages with their
//! revisions, links to works, audio fingerprints, and the recordings CWR REC records name.

use async_trait::async_trait;
use engine::recordings::*;
use engine::store::{StoreResult, StoredRecording};

use crate::sql::{Builder, Row, Tx, query};
use crate::{SqlStore, cwr_recording_from, document, fold};

/// The text a recording is searched by: its title and artists, folded.
fn search_text(r: &domain::SoundRecording) -> String {
    let title = r.title.as_ref().map_or("", |t| t.value.as_str());
    let artists = r.display_artists.as_ref().map(|a| a.value.join(" ")).unwrap_or_default();
    fold(&format!("{title} {artists}"))
}

fn sound_recording_from(row: &Row) -> StoreResult<StoredSoundRecording> {
    Ok(StoredSoundRecording { recording: row.json("document", "recording")?, revision: row.count("revision")? as u32 })
}

fn release_from(row: &Row) -> StoreResult<StoredRelease> {
    Ok(StoredRelease { release: row.json("document", "release")?, revision: row.count("revision")? as u32 })
}

async fn upsert_recording(tx: &mut Tx, s: &StoredSoundRecording) -> StoreResult<()> {
    query(
        "INSERT INTO sound_recordings (key, isrc, search, withdrawn, revision, document) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO UPDATE SET isrc = excluded.isrc, \
         search = excluded.search, withdrawn = excluded.withdrawn, revision = excluded.revision, \
         document = excluded.document",
    )
    .bind(&s.recording.key)
    .bind(s.recording.isrc.as_ref().map(|i| i.as_str().to_owned()))
    .bind(search_text(&s.recording))
    .bind(i64::from(s.recording.withdrawn))
    .bind(i64::from(s.revision))
    .bind(document(&s.recording))
    .execute(tx)
    .await?;
    Ok(())
}

async fn insert_revision(tx: &mut Tx, r: &CatalogueRevision) -> StoreResult<()> {
    query(
        "INSERT INTO catalogue_revisions (entity, key, revision, changed_at, source, summary, document) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&r.entity)
    .bind(&r.key)
    .bind(i64::from(r.revision))
    .bind(r.changed_at)
    .bind(&r.source)
    .bind(&r.summary)
    .bind(crate::sql::Document(r.document.clone()))
    .execute(tx)
    .await?;
    Ok(())
}

async fn insert_link(tx: &mut Tx, l: &RecordingLink) -> StoreResult<bool> {
    let added = query(
        "INSERT INTO recording_links (recording_key, work_code, source) VALUES ($1, $2, $3) \
         ON CONFLICT (recording_key, work_code) DO NOTHING",
    )
    .bind(&l.recording_key)
    .bind(&l.work_code)
    .bind(&l.source)
    .execute(tx)
    .await?;
    Ok(added > 0)
}

impl SqlStore {
    /// The documents of `table` under `keys`, in key order, a parameter-limited chunk at a time.
    async fn by_keys<T>(&self, table: &str, keys: &[String], read: fn(&Row) -> StoreResult<T>) -> StoreResult<Vec<T>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(crate::MAX_PARAMETERS) {
            let mut sql = Builder::new(format!("SELECT document, revision FROM {table} WHERE key IN ("));
            sql.push_list(chunk.iter()).push(") ORDER BY key");
            for row in sql.build().fetch_all(&self.pool).await? {
                out.push(read(&row)?);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl RecordingStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all, name = "store.ern_message")]
    async fn ern_message(&self, sha256: &str) -> StoreResult<Option<ErnMessageRecord>> {
        let row = query("SELECT document FROM ern_messages WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.json("document", "ERN message")).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.sound_recordings")]
    async fn sound_recordings(&self, keys: &[String]) -> StoreResult<Vec<StoredSoundRecording>> {
        self.by_keys("sound_recordings", keys, sound_recording_from).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.releases")]
    async fn releases(&self, keys: &[String]) -> StoreResult<Vec<StoredRelease>> {
        self.by_keys("releases", keys, release_from).await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.apply_ern")]
    async fn apply_ern(&self, batch: ErnBatch) -> StoreResult<()> {
        let mut tx = self.pool.begin_write().await?;
        query("INSERT INTO ern_messages (sha256, document) VALUES ($1, $2)")
            .bind(&batch.message.sha256)
            .bind(document(&batch.message))
            .execute(&mut tx)
            .await?;
        for r in &batch.recordings {
            upsert_recording(&mut tx, r).await?;
        }
        for r in &batch.releases {
            query("DELETE FROM release_tracks WHERE release_key = $1").bind(&r.release.key).execute(&mut tx).await?;
            for track in &r.release.tracks {
                query(
                    "INSERT INTO release_tracks (release_key, recording_key) VALUES ($1, $2) \
                     ON CONFLICT (release_key, recording_key) DO NOTHING",
                )
                .bind(&r.release.key)
                .bind(track)
                .execute(&mut tx)
                .await?;
            }
            query(
                "INSERT INTO releases (key, withdrawn, revision, document) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key) DO UPDATE SET withdrawn = excluded.withdrawn, revision = excluded.revision, \
                 document = excluded.document",
            )
            .bind(&r.release.key)
            .bind(i64::from(r.release.withdrawn))
            .bind(i64::from(r.revision))
            .bind(document(&r.release))
            .execute(&mut tx)
            .await?;
        }
        for r in &batch.revisions {
            insert_revision(&mut tx, r).await?;
        }
        for l in &batch.links {
            insert_link(&mut tx, l).await?;
        }
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.releases_of")]
    async fn releases_of(&self, recording_key: &str, standing_only: bool) -> StoreResult<Vec<String>> {
        let sql = if standing_only {
            "SELECT t.release_key FROM release_tracks t JOIN releases r ON r.key = t.release_key \
             WHERE t.recording_key = $1 AND r.withdrawn = 0 ORDER BY t.release_key"
        } else {
            "SELECT release_key FROM release_tracks WHERE recording_key = $1 ORDER BY release_key"
        };
        let rows = query(sql).bind(recording_key).fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.get("release_key")).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.put_sound_recording")]
    async fn put_sound_recording(
        &self,
        recording: &StoredSoundRecording,
        revision: &CatalogueRevision,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin_write().await?;
        upsert_recording(&mut tx, recording).await?;
        insert_revision(&mut tx, revision).await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.catalogue_revisions")]
    async fn catalogue_revisions(&self, entity: &str, key: &str) -> StoreResult<Vec<CatalogueRevision>> {
        let rows = query(
            "SELECT entity, key, revision, changed_at, source, summary, document FROM catalogue_revisions \
             WHERE entity = $1 AND key = $2 ORDER BY revision",
        )
        .bind(entity)
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CatalogueRevision {
                    entity: r.get("entity")?,
                    key: r.get("key")?,
                    revision: r.count("revision")? as u32,
                    changed_at: r.get("changed_at")?,
                    source: r.get("source")?,
                    summary: r.get("summary")?,
                    document: r.get::<crate::sql::Document>("document")?.0,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.recording_links")]
    async fn recording_links(&self, key: &str) -> StoreResult<Vec<RecordingLink>> {
        let rows = query(
            "SELECT recording_key, work_code, source FROM recording_links WHERE recording_key = $1 ORDER BY work_code",
        )
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RecordingLink {
                    recording_key: r.get("recording_key")?,
                    work_code: r.get("work_code")?,
                    source: r.get("source")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.add_recording_link")]
    async fn add_recording_link(&self, link: &RecordingLink) -> StoreResult<bool> {
        let mut tx = self.pool.begin_write().await?;
        let added = insert_link(&mut tx, link).await?;
        tx.commit().await?;
        Ok(added)
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.search_sound_recordings")]
    async fn search_sound_recordings(&self, text: &str, limit: u32) -> StoreResult<Vec<StoredSoundRecording>> {
        let rows = query(
            "SELECT document, revision FROM sound_recordings WHERE search LIKE $1 OR key = $2 ORDER BY key LIMIT $3",
        )
        .bind(format!("%{}%", fold(text)))
        .bind(text.trim().to_ascii_uppercase().replace('-', ""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sound_recording_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.put_fingerprint")]
    async fn put_fingerprint(&self, key: &str, prints: &Prints, duration_ms: u64) -> StoreResult<()> {
        query(
            "INSERT INTO fingerprints (recording_key, algorithm, duration_ms, items, peaks, digest) \
             VALUES ($1, 'chromaprint-test2', $2, $3, $4, $5) ON CONFLICT (recording_key) DO UPDATE SET \
             algorithm = excluded.algorithm, duration_ms = excluded.duration_ms, items = excluded.items, \
             peaks = excluded.peaks, digest = excluded.digest",
        )
        .bind(key)
        .bind(i64::try_from(duration_ms).unwrap_or(i64::MAX))
        .bind(document(&prints.chromaprint))
        .bind(document(&prints.peaks))
        .bind(prints_digest(prints))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.fingerprints")]
    async fn fingerprints(&self) -> StoreResult<Vec<(String, Prints)>> {
        let rows = query("SELECT recording_key, items, peaks FROM fingerprints ORDER BY recording_key")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let prints =
                    Prints { chromaprint: r.json("items", "fingerprint")?, peaks: r.json("peaks", "spectral peaks")? };
                Ok((r.get("recording_key")?, prints))
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.fingerprint_digests")]
    async fn fingerprint_digests(&self) -> StoreResult<Vec<(String, String)>> {
        let rows = query("SELECT recording_key, digest FROM fingerprints ORDER BY recording_key")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.get("recording_key")?, r.get("digest")?))).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.cwr_recordings_by_isrc")]
    async fn cwr_recordings_by_isrc(&self, isrc: &str) -> StoreResult<Vec<StoredRecording>> {
        let rows = query("SELECT work_code, document FROM recordings WHERE isrc = $1 ORDER BY id")
            .bind(isrc)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(cwr_recording_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, name = "store.search_cwr_recordings")]
    async fn search_cwr_recordings(&self, text: &str, limit: u32) -> StoreResult<Vec<StoredRecording>> {
        let rows = query(
            "SELECT work_code, document FROM recordings WHERE isrc IS NOT NULL \
             AND (UPPER(title) LIKE $1 OR UPPER(artist) LIKE $1 OR isrc = $2) ORDER BY id LIMIT $3",
        )
        .bind(format!("%{}%", text.trim().to_uppercase()))
        .bind(text.trim().to_ascii_uppercase().replace('-', ""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(cwr_recording_from).collect()
    }
}

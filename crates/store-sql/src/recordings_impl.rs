//! [`impl_recording_store!`](crate::impl_recording_store): the `engine::recordings::RecordingStore`
//! implementation, written once for both databases.

/// Implements `engine::recordings::RecordingStore` for `$store` (a struct with `pool: sqlx::Pool<$db>`).
#[macro_export]
macro_rules! impl_recording_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::engine::recordings::*;
            use $crate::engine::store::{StoreResult, StoredRecording};
            use $crate::sqlx::{self, QueryBuilder, Row};
            use $crate::{database_error as db, fold, json, to_json};

            type Tx = sqlx::Transaction<'static, $db>;

            fn revision_of(row: &<$db as sqlx::Database>::Row) -> StoreResult<u32> {
                Ok(row.try_get::<i64, _>(1).map_err(db)? as u32)
            }

            /// The text a recording is searched by: its title and artists, folded.
            fn search_text(r: &$crate::domain::SoundRecording) -> String {
                let title = r.title.as_ref().map_or("", |t| t.value.as_str());
                let artists = r.display_artists.as_ref().map(|a| a.value.join(" ")).unwrap_or_default();
                fold(&format!("{title} {artists}"))
            }

            async fn upsert_recording(tx: &mut Tx, s: &StoredSoundRecording) -> StoreResult<()> {
                sqlx::query("INSERT INTO sound_recordings (key, isrc, search, withdrawn, revision, document) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO UPDATE SET isrc = excluded.isrc, search = excluded.search, withdrawn = excluded.withdrawn, revision = excluded.revision, document = excluded.document")
                    .bind(&s.recording.key)
                    .bind(s.recording.isrc.as_ref().map(|i| i.as_str().to_owned()))
                    .bind(search_text(&s.recording))
                    .bind(i64::from(s.recording.withdrawn))
                    .bind(i64::from(s.revision))
                    .bind(to_json(&s.recording))
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn insert_revision(tx: &mut Tx, r: &CatalogueRevision) -> StoreResult<()> {
                sqlx::query("INSERT INTO catalogue_revisions (entity, key, revision, changed_at, source, summary, document) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(&r.entity)
                    .bind(&r.key)
                    .bind(i64::from(r.revision))
                    .bind($crate::timestamp(r.changed_at))
                    .bind(&r.source)
                    .bind(&r.summary)
                    .bind(&r.document)
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn insert_link(tx: &mut Tx, l: &RecordingLink) -> StoreResult<bool> {
                let result = sqlx::query("INSERT INTO recording_links (recording_key, work_code, source) VALUES ($1, $2, $3) ON CONFLICT (recording_key, work_code) DO NOTHING")
                    .bind(&l.recording_key)
                    .bind(&l.work_code)
                    .bind(&l.source)
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                Ok(result.rows_affected() > 0)
            }

            fn cwr_from(row: &<$db as sqlx::Database>::Row) -> StoreResult<StoredRecording> {
                Ok(StoredRecording {
                    work_code: row.try_get(0).map_err(db)?,
                    recording: json(&row.try_get::<String, _>(1).map_err(db)?, "recording")?,
                })
            }

            #[$crate::async_trait::async_trait]
            impl $crate::engine::recordings::RecordingStore for $store {
                #[tracing::instrument(level = "debug", skip_all, name = "store.ern_message")]
                async fn ern_message(&self, sha256: &str) -> StoreResult<Option<ErnMessageRecord>> {
                    let row = sqlx::query("SELECT document FROM ern_messages WHERE sha256 = $1").bind(sha256).fetch_optional(&self.pool).await.map_err(db)?;
                    row.map(|r| json(&r.try_get::<String, _>(0).map_err(db)?, "ERN message")).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.sound_recordings")]
                async fn sound_recordings(&self, keys: &[String]) -> StoreResult<Vec<StoredSoundRecording>> {
                    let mut out = Vec::new();
                    for chunk in keys.chunks($crate::MAX_PARAMETERS) {
                        let mut qb: QueryBuilder<$db> = QueryBuilder::new("SELECT document, revision FROM sound_recordings WHERE key IN (");
                        let mut list = qb.separated(", ");
                        for k in chunk {
                            list.push_bind(k.clone());
                        }
                        qb.push(") ORDER BY key");
                        for row in qb.build().persistent(false).fetch_all(&self.pool).await.map_err(db)? {
                            out.push(StoredSoundRecording { recording: json(&row.try_get::<String, _>(0).map_err(db)?, "recording")?, revision: revision_of(&row)? });
                        }
                    }
                    Ok(out)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.releases")]
                async fn releases(&self, keys: &[String]) -> StoreResult<Vec<StoredRelease>> {
                    let mut out = Vec::new();
                    for chunk in keys.chunks($crate::MAX_PARAMETERS) {
                        let mut qb: QueryBuilder<$db> = QueryBuilder::new("SELECT document, revision FROM releases WHERE key IN (");
                        let mut list = qb.separated(", ");
                        for k in chunk {
                            list.push_bind(k.clone());
                        }
                        qb.push(") ORDER BY key");
                        for row in qb.build().persistent(false).fetch_all(&self.pool).await.map_err(db)? {
                            out.push(StoredRelease { release: json(&row.try_get::<String, _>(0).map_err(db)?, "release")?, revision: revision_of(&row)? });
                        }
                    }
                    Ok(out)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.apply_ern")]
                async fn apply_ern(&self, batch: ErnBatch) -> StoreResult<()> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    sqlx::query("INSERT INTO ern_messages (sha256, document) VALUES ($1, $2)")
                        .bind(&batch.message.sha256)
                        .bind(to_json(&batch.message))
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    for r in &batch.recordings {
                        upsert_recording(&mut tx, r).await?;
                    }
                    for r in &batch.releases {
                        sqlx::query("DELETE FROM release_tracks WHERE release_key = $1").bind(&r.release.key).execute(&mut *tx).await.map_err(db)?;
                        for track in &r.release.tracks {
                            sqlx::query("INSERT INTO release_tracks (release_key, recording_key) VALUES ($1, $2) ON CONFLICT (release_key, recording_key) DO NOTHING")
                                .bind(&r.release.key)
                                .bind(track)
                                .execute(&mut *tx)
                                .await
                                .map_err(db)?;
                        }
                        sqlx::query("INSERT INTO releases (key, withdrawn, revision, document) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET withdrawn = excluded.withdrawn, revision = excluded.revision, document = excluded.document")
                            .bind(&r.release.key)
                            .bind(i64::from(r.release.withdrawn))
                            .bind(i64::from(r.revision))
                            .bind(to_json(&r.release))
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                    }
                    for r in &batch.revisions {
                        insert_revision(&mut tx, r).await?;
                    }
                    for l in &batch.links {
                        insert_link(&mut tx, l).await?;
                    }
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.releases_of")]
                async fn releases_of(&self, recording_key: &str, standing_only: bool) -> StoreResult<Vec<String>> {
                    let sql = if standing_only {
                        "SELECT t.release_key FROM release_tracks t JOIN releases r ON r.key = t.release_key WHERE t.recording_key = $1 AND r.withdrawn = 0 ORDER BY t.release_key"
                    } else {
                        "SELECT release_key FROM release_tracks WHERE recording_key = $1 ORDER BY release_key"
                    };
                    let rows = sqlx::query(sql).bind(recording_key).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(|r| r.try_get::<String, _>(0).map_err(db)).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.put_sound_recording")]
                async fn put_sound_recording(&self, recording: &StoredSoundRecording, revision: &CatalogueRevision) -> StoreResult<()> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    upsert_recording(&mut tx, recording).await?;
                    insert_revision(&mut tx, revision).await?;
                    tx.commit().await.map_err(db)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.catalogue_revisions")]
                async fn catalogue_revisions(&self, entity: &str, key: &str) -> StoreResult<Vec<CatalogueRevision>> {
                    let rows = sqlx::query("SELECT entity, key, revision, changed_at, source, summary, document FROM catalogue_revisions WHERE entity = $1 AND key = $2 ORDER BY revision")
                        .bind(entity)
                        .bind(key)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter()
                        .map(|r| {
                            Ok(CatalogueRevision {
                                entity: r.try_get(0).map_err(db)?,
                                key: r.try_get(1).map_err(db)?,
                                revision: r.try_get::<i64, _>(2).map_err(db)? as u32,
                                changed_at: $crate::parse_timestamp(&r.try_get::<String, _>(3).map_err(db)?)?,
                                source: r.try_get(4).map_err(db)?,
                                summary: r.try_get(5).map_err(db)?,
                                document: r.try_get(6).map_err(db)?,
                            })
                        })
                        .collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.recording_links")]
                async fn recording_links(&self, key: &str) -> StoreResult<Vec<RecordingLink>> {
                    let rows = sqlx::query("SELECT recording_key, work_code, source FROM recording_links WHERE recording_key = $1 ORDER BY work_code").bind(key).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter()
                        .map(|r| Ok(RecordingLink { recording_key: r.try_get(0).map_err(db)?, work_code: r.try_get(1).map_err(db)?, source: r.try_get(2).map_err(db)? }))
                        .collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.add_recording_link")]
                async fn add_recording_link(&self, link: &RecordingLink) -> StoreResult<bool> {
                    let mut tx = <$db as $crate::Backend>::begin_write(&self.pool).await?;
                    let added = insert_link(&mut tx, link).await?;
                    tx.commit().await.map_err(db)?;
                    Ok(added)
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.search_sound_recordings")]
                async fn search_sound_recordings(&self, text: &str, limit: u32) -> StoreResult<Vec<StoredSoundRecording>> {
                    let rows = sqlx::query("SELECT document, revision FROM sound_recordings WHERE search LIKE $1 OR key = $2 ORDER BY key LIMIT $3")
                        .bind(format!("%{}%", fold(text)))
                        .bind(text.trim().to_ascii_uppercase().replace('-', ""))
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter()
                        .map(|row| Ok(StoredSoundRecording { recording: json(&row.try_get::<String, _>(0).map_err(db)?, "recording")?, revision: revision_of(row)? }))
                        .collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.put_fingerprint")]
                async fn put_fingerprint(&self, key: &str, prints: &engine::recordings::Prints, duration_ms: u64) -> StoreResult<()> {
                    sqlx::query("INSERT INTO fingerprints (recording_key, algorithm, duration_ms, items, peaks, digest) VALUES ($1, 'chromaprint-test2', $2, $3, $4, $5) ON CONFLICT (recording_key) DO UPDATE SET algorithm = excluded.algorithm, duration_ms = excluded.duration_ms, items = excluded.items, peaks = excluded.peaks, digest = excluded.digest")
                        .bind(key)
                        .bind(i64::try_from(duration_ms).unwrap_or(i64::MAX))
                        .bind(to_json(&prints.chromaprint))
                        .bind(to_json(&prints.peaks))
                        .bind(prints_digest(prints))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.fingerprints")]
                async fn fingerprints(&self) -> StoreResult<Vec<(String, engine::recordings::Prints)>> {
                    let rows = sqlx::query("SELECT recording_key, items, peaks FROM fingerprints ORDER BY recording_key").fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter()
                        .map(|r| {
                            let prints = engine::recordings::Prints {
                                chromaprint: json(&r.try_get::<String, _>(1).map_err(db)?, "fingerprint")?,
                                peaks: json(&r.try_get::<String, _>(2).map_err(db)?, "spectral peaks")?,
                            };
                            Ok((r.try_get(0).map_err(db)?, prints))
                        })
                        .collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.fingerprint_digests")]
                async fn fingerprint_digests(&self) -> StoreResult<Vec<(String, String)>> {
                    let rows = sqlx::query("SELECT recording_key, digest FROM fingerprints ORDER BY recording_key").fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?))).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.cwr_recordings_by_isrc")]
                async fn cwr_recordings_by_isrc(&self, isrc: &str) -> StoreResult<Vec<StoredRecording>> {
                    let rows = sqlx::query("SELECT work_code, document FROM recordings WHERE isrc = $1 ORDER BY id").bind(isrc).fetch_all(&self.pool).await.map_err(db)?;
                    rows.iter().map(cwr_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, name = "store.search_cwr_recordings")]
                async fn search_cwr_recordings(&self, text: &str, limit: u32) -> StoreResult<Vec<StoredRecording>> {
                    let pattern = format!("%{}%", text.trim().to_uppercase());
                    let rows = sqlx::query("SELECT work_code, document FROM recordings WHERE isrc IS NOT NULL AND (UPPER(title) LIKE $1 OR UPPER(artist) LIKE $1 OR isrc = $2) ORDER BY id LIMIT $3")
                        .bind(pattern)
                        .bind(text.trim().to_ascii_uppercase().replace('-', ""))
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter().map(cwr_from).collect()
                }
            }
        };
    };
}

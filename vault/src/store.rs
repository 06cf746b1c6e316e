//! The data keys in PostgreSQL (`user_keys`), wrapped by the master key: created on a person's
//! first sealed write, destroyed when they are forgotten.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::seal::{
    has_open_personal_data, may_hold_sealed, open_payload, seal_payload, sealed_subjects, DataKey,
    MasterKey, SealError,
};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The person was forgotten: nothing personal may be written for them again.
    #[error("the person was forgotten; their personal data cannot be stored")]
    Forgotten,
}

#[derive(sqlx::FromRow)]
struct StoredKey {
    subject: Uuid,
    wrapped_key: Option<Vec<u8>>,
}

/// Seals and opens personal data with each person's key.
#[derive(Clone)]
pub struct Vault {
    master: MasterKey,
}

impl Vault {
    pub fn new(master: MasterKey) -> Self {
        Self { master }
    }

    /// The subject's key, created on first use. `Forgotten` once destroyed.
    async fn key_for_sealing(
        &self,
        connection: &mut PgConnection,
        subject: Uuid,
    ) -> Result<DataKey, VaultError> {
        let select = "SELECT wrapped_key FROM user_keys WHERE subject = $1";
        let mut stored: Option<Option<Vec<u8>>> = sqlx::query_scalar(select)
            .bind(subject)
            .fetch_optional(&mut *connection)
            .await?;
        if stored.is_none() {
            // Two first writes may race: one key wins, both use it.
            let fresh = DataKey::generate();
            sqlx::query(
                "INSERT INTO user_keys (subject, wrapped_key) VALUES ($1, $2) \
                 ON CONFLICT (subject) DO NOTHING",
            )
            .bind(subject)
            .bind(self.master.wrap(&fresh, subject))
            .execute(&mut *connection)
            .await?;
            stored = sqlx::query_scalar(select)
                .bind(subject)
                .fetch_optional(&mut *connection)
                .await?;
        }
        let wrapped = stored.flatten().ok_or(VaultError::Forgotten)?;
        Ok(self.master.unwrap(&wrapped, subject)?)
    }

    /// The live keys of `subjects` (forgotten or unknown ones are absent).
    async fn keys(
        &self,
        connection: &mut PgConnection,
        subjects: &[Uuid],
    ) -> Result<HashMap<Uuid, DataKey>, VaultError> {
        let rows: Vec<StoredKey> =
            sqlx::query_as("SELECT subject, wrapped_key FROM user_keys WHERE subject = ANY($1)")
                .bind(subjects)
                .fetch_all(connection)
                .await?;
        let mut keys = HashMap::new();
        for row in rows {
            if let Some(wrapped) = row.wrapped_key {
                keys.insert(row.subject, self.master.unwrap(&wrapped, row.subject)?);
            }
        }
        Ok(keys)
    }

    /// `payload` with its personal values sealed for `subject`, as text to store.
    pub async fn seal(
        &self,
        connection: &mut PgConnection,
        subject: Uuid,
        mut payload: Value,
    ) -> Result<String, VaultError> {
        if !has_open_personal_data(&payload) {
            return Ok(payload.to_string());
        }
        let key = self.key_for_sealing(connection, subject).await?;
        seal_payload(&mut payload, subject, &key)?;
        Ok(payload.to_string())
    }

    /// A stored payload with its personal values opened (erased where the key is gone).
    /// Payloads without sealed values come back as they are.
    pub async fn open(
        &self,
        connection: &mut PgConnection,
        payload: &str,
    ) -> Result<String, VaultError> {
        if !may_hold_sealed(payload) {
            return Ok(payload.to_owned());
        }
        let mut value: Value = serde_json::from_str(payload).map_err(SealError::from)?;
        let subjects = sealed_subjects(&value);
        if subjects.is_empty() {
            return Ok(payload.to_owned());
        }
        let keys = self.keys(connection, &subjects).await?;
        open_payload(&mut value, &|subject| keys.get(&subject).cloned())?;
        Ok(value.to_string())
    }

    /// Destroys the subject's key: their personal data is unreadable everywhere, for good.
    /// Idempotent; a person with no key yet gets a destroyed one.
    pub async fn forget(
        &self,
        connection: &mut PgConnection,
        subject: Uuid,
    ) -> Result<(), VaultError> {
        sqlx::query(
            "INSERT INTO user_keys (subject, wrapped_key, destroyed_at) VALUES ($1, NULL, now()) \
             ON CONFLICT (subject) DO UPDATE SET wrapped_key = NULL, \
             destroyed_at = coalesce(user_keys.destroyed_at, now())",
        )
        .bind(subject)
        .execute(connection)
        .await?;
        Ok(())
    }
}

//! Bulk uploads in the console: a checked CSV's links made as a task of its own (so the page can
//! show progress and a closed tab does not cut it off), and the CSV of links kept for its owner
//! to download for an hour.
//!
//! Uploads live in this process's memory: behind a balancer of several instances, the console
//! needs sticky sessions for progress and download (the links themselves are in the database
//! either way, listed under the campaign).

use super::rows::CampaignRows;
use super::{CampaignStore, StoredCampaign};
use app::domain::campaign::{UploadJob, UploadProgress, UploadState};
use app::domain::UserView;
use app::ports::CampaignError;
use axum::body::Bytes;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an upload's links stay downloadable.
const KEPT_FOR: Duration = Duration::from_secs(3_600);

/// The most uploads kept at once (their CSVs are in memory, a few MB at most each).
const MAX_KEPT: usize = 64;

/// The most uploads one user has kept: a new one replaces their oldest finished one, never
/// someone else's.
const MAX_PER_OWNER: usize = 3;

#[derive(Debug, Default, Clone)]
pub struct Uploads {
    jobs: Arc<Mutex<HashMap<String, Arc<Upload>>>>,
}

/// One upload: whose, how far, and (once done) its CSV of links.
#[derive(Debug)]
pub struct Upload {
    owner: String,
    pub campaign: String,
    started: Instant,
    rows: usize,
    made: AtomicUsize,
    outcome: Mutex<Option<Result<Bytes, String>>>,
}

impl Upload {
    pub fn progress(&self) -> UploadProgress {
        let state = match &*self.outcome.lock().unwrap_or_else(|p| p.into_inner()) {
            None => UploadState::Running,
            Some(Ok(_)) => UploadState::Done,
            Some(Err(reason)) => UploadState::Failed(reason.clone()),
        };
        UploadProgress {
            rows: self.rows,
            made: self.made.load(Ordering::Relaxed),
            state,
        }
    }

    /// The CSV of links, once every link is made.
    pub fn links_csv(&self) -> Option<Bytes> {
        match &*self.outcome.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(Ok(csv)) => Some(csv.clone()),
            _ => None,
        }
    }

    fn running(&self) -> bool {
        self.outcome
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    fn finish(&self, outcome: Result<Bytes, String>) {
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
    }
}

impl Uploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Upload>>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `by`'s upload `job`, if it is still kept. Another user's is "no such upload".
    pub fn get(&self, by: &UserView, job: &str) -> Option<Arc<Upload>> {
        self.lock()
            .get(job)
            .filter(|upload| upload.owner == by.name && upload.started.elapsed() < KEPT_FOR)
            .cloned()
    }

    /// Whether there is room for one more upload of `by`'s, and which of theirs must go to make
    /// it: their oldest finished ones beyond [`MAX_PER_OWNER`]. Removes nothing itself.
    fn room_for(
        jobs: &HashMap<String, Arc<Upload>>,
        by: &UserView,
    ) -> Result<Vec<String>, CampaignError> {
        let mut own: Vec<(&String, &Arc<Upload>)> =
            jobs.iter().filter(|(_, u)| u.owner == by.name).collect();
        if own.iter().any(|(_, u)| u.running()) {
            return Err(CampaignError::UploadRunning);
        }
        own.sort_by_key(|(_, u)| u.started);
        let surplus = (own.len() + 1).saturating_sub(MAX_PER_OWNER);
        let going: Vec<String> = own
            .iter()
            .take(surplus)
            .map(|(id, _)| (*id).clone())
            .collect();
        if jobs.len() - going.len() >= MAX_KEPT {
            return Err(CampaignError::UploadsFull);
        }
        Ok(going)
    }

    /// Starts making the links of checked `rows`: one upload at a time per user. `charge` takes
    /// the upload's cost from its owner's budget once there is room for it, under the same lock,
    /// so two uploads sent at once cannot both be charged when only one can start.
    pub fn start(
        &self,
        store: CampaignStore,
        by: UserView,
        campaign: StoredCampaign,
        rows: CampaignRows,
        charge: impl FnOnce() -> Result<(), CampaignError>,
    ) -> Result<UploadJob, CampaignError> {
        let id = crate::security::random_bytes::<16>()
            .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
            .map_err(|e| crate::db::StoreError::from(e).for_port("starting an upload"))?;
        let upload = Arc::new(Upload {
            owner: by.name.clone(),
            campaign: campaign.campaign.slug.to_string(),
            started: Instant::now(),
            rows: rows.params.len(),
            made: AtomicUsize::new(0),
            outcome: Mutex::new(None),
        });
        {
            let mut jobs = self.lock();
            jobs.retain(|_, u| u.started.elapsed() < KEPT_FOR);
            let going = Self::room_for(&jobs, &by)?;
            charge()?;
            for going in going {
                jobs.remove(&going);
            }
            jobs.insert(id.clone(), upload.clone());
        }
        let job = UploadJob {
            id,
            rows: upload.rows,
        };
        tokio::spawn(async move {
            let made = store
                .generate_rows(&by, &campaign, &rows.params, Some(&upload.made))
                .await;
            let outcome = match made {
                Ok(links) => rows.with_links(&links).map(Bytes::from).map_err(|err| {
                    tracing::error!(error = %err, "writing an upload's links");
                    "The links were made, but their CSV could not be written; they are listed under the campaign's flow.".to_owned()
                }),
                Err(app::ports::ShareError::Backend(err)) => {
                    tracing::error!(error = %err, "making an upload's links");
                    Err("Something went wrong on the server, so no link was made. It has been logged; please try again.".to_owned())
                }
                Err(refused) => Err(format!(
                    "No link was made. {}",
                    app::api::request::sentence(&refused.to_string())
                )),
            };
            upload.finish(outcome);
        });
        Ok(job)
    }
}

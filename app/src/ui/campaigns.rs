//! The Campaigns list on a flow's Details tab: each saved preset, how systems ask for its links,
//! Delete (a plain form), and Upload CSV (an island): a file of recipients checked whole, then
//! their links made while a progress bar moves, then Download CSV.

use super::format::utc_minute;
use crate::api::campaigns::DeleteCampaign;
use crate::domain::campaign::{CampaignSummary, UploadProgress, UploadState};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn CampaignsList(
    slug: String,
    campaigns: Vec<CampaignSummary>,
    can_share: bool,
) -> impl IntoView {
    if campaigns.is_empty() {
        return Either::Left(view! {
            <p class="empty">"No campaign yet. In the Share dialog, choose the link's settings and "
                <strong>"Save as campaign"</strong>": systems then ask for a new link of it by its slug."</p>
        });
    }
    let rows = campaigns
        .into_iter()
        .map(|CampaignSummary { campaign, links }| {
            let protection = if campaign.preset.protect {
                "Protected"
            } else {
                "Open while the application's access protection is Open"
            };
            let settings = match campaign.preset.shorten {
                true => format!("{protection}, shortened"),
                false => protection.to_owned(),
            };
            let params = campaign.preset.params.to_query();
            let name = campaign.name.clone();
            let campaign_slug = campaign.slug.to_string();
            let actions = can_share.then(|| {
                view! {
                    <CampaignUpload campaign=campaign_slug.clone() name=name.clone()/>
                    <form method="post" action=DeleteCampaign::PATH class="inline-form">
                        <input type="hidden" name="slug" value=slug.clone()/>
                        <input type="hidden" name="campaign" value=campaign_slug.clone()/>
                        <button type="submit" class="link-button danger" aria-label=format!("Delete campaign {name}")>"Delete"</button>
                    </form>
                }
            });
            view! {
                <tr>
                    <th scope="row">{campaign.name.clone()}</th>
                    <td><code>{campaign_slug.clone()}</code></td>
                    <td>{campaign.application_name.clone()}</td>
                    <td>{if params.is_empty() { Either::Left("—") } else { Either::Right(view! { <code>{params}</code> }) }}</td>
                    <td>{settings}</td>
                    <td class="number">{links}</td>
                    <td>{utc_minute(campaign.created_at)}" by "{campaign.created_by.clone()}</td>
                    <td class="actions">{actions}</td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <table class="campaigns">
            <caption class="visually-hidden">"Campaigns of this flow"</caption>
            <thead>
                <tr>
                    <th scope="col">"Campaign"</th><th scope="col">"Slug"</th><th scope="col">"Application"</th>
                    <th scope="col">"Parameters"</th><th scope="col">"Link"</th><th scope="col">"Links made"</th>
                    <th scope="col">"Saved"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <p class="hint">"A system makes one more link of a campaign per call (see "<a href="/api">"API"</a>
            "); a CSV makes one per row, its columns the parameters after the campaign's own."</p>
    })
}

/// Where an upload stands, as the island shows it (moved on only in the browser).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Idle,
    Checking,
    /// The file or the request was refused: nothing was made.
    Refused(String),
    /// Rows that cannot make a link, by line: nothing was made.
    BadRows(Vec<crate::domain::campaign::RowProblem>),
    Making {
        job: String,
        progress: UploadProgress,
    },
}

/// Upload CSV for one campaign.
#[island]
pub fn CampaignUpload(campaign: String, name: String) -> impl IntoView {
    let stage = RwSignal::new(Stage::Idle);
    let input_id = format!("upload-{campaign}");
    let campaign = StoredValue::new(campaign);
    let pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        hydrate::pick(ev, campaign.get_value(), stage);
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, campaign);
    };
    let status = move || match stage.get() {
        Stage::Idle => Either::Left(None),
        Stage::Checking => Either::Left(Some("Checking the file…".to_owned())),
        Stage::Refused(reason) => Either::Left(Some(reason)),
        Stage::BadRows(rows) => Either::Right(Either::Left(view! {
            <p class="form-error">"No link was made: "{rows.len()}" rows cannot make one. Fix them and upload the file again."</p>
            <ul class="row-problems">
                {rows.into_iter().take(100).map(|row| view! { <li>"Line "{row.line}": "{row.reason}</li> }).collect_view()}
            </ul>
        })),
        Stage::Making { job, progress } => Either::Right(Either::Right(match progress.state {
            UploadState::Running => Either::Left(view! {
                <progress max=progress.rows.to_string() value=progress.made.to_string()></progress>
                <span>{format!(" {} of {} links made…", progress.made, progress.rows)}</span>
            }),
            UploadState::Done => Either::Right(Either::Left(view! {
                <span>{format!("{} links made. ", progress.rows)}</span>
                <a class="button" href=crate::domain::campaign::upload_download_path(&job) download="">"Download CSV"</a>
            })),
            UploadState::Failed(reason) => Either::Right(Either::Right(view! {
                <span class="form-error">{reason}</span>
            })),
        })),
    };
    view! {
        <div class="campaign-upload">
            <label for=input_id.clone() class="button">"Upload CSV"</label>
            <input id=input_id type="file" accept=".csv,text/csv" class="visually-hidden"
                aria-label=format!("Upload a CSV of recipients for campaign {name}") on:change=pick/>
            <div role="status" aria-live="polite">{status}</div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod hydrate {
    use super::Stage;
    use crate::api::campaigns::{campaign_upload_progress, upload_campaign_csv, UploadCheck};
    use crate::domain::campaign::{csv_text, UploadState, MAX_UPLOAD_BYTES, MAX_UPLOAD_SENT};
    use leptos::prelude::*;
    use std::time::Duration;

    /// How often progress is asked for while links are made.
    const POLL: Duration = Duration::from_millis(300);

    pub fn pick(ev: leptos::ev::Event, campaign: String, stage: RwSignal<Stage>) {
        let Some(file) = super::super::picked_file::picked(&ev) else {
            return;
        };
        if file.size() > MAX_UPLOAD_BYTES as f64 {
            stage.set(Stage::Refused(format!(
                "The file is over {} MB; split it into smaller files.",
                MAX_UPLOAD_BYTES / (1024 * 1024)
            )));
            return;
        }
        stage.set(Stage::Checking);
        leptos::task::spawn_local(async move {
            let Some(bytes) = super::super::picked_file::bytes(&file).await else {
                stage.set(Stage::Refused("The file could not be read.".into()));
                return;
            };
            let text = match csv_text(&bytes) {
                Ok(text) => text.to_owned(),
                Err(reason) => {
                    stage.set(Stage::Refused(reason));
                    return;
                }
            };
            // What is sent is the text as JSON, escapes and all.
            let sent = serde_json::to_string(&text).map_or(usize::MAX, |json| json.len());
            if sent > MAX_UPLOAD_SENT {
                stage.set(Stage::Refused(
                    "The file is too large to send in one upload; split it into smaller files."
                        .into(),
                ));
                return;
            }
            match upload_campaign_csv(campaign, text).await {
                Ok(UploadCheck::BadRows(rows)) => stage.set(Stage::BadRows(rows)),
                Ok(UploadCheck::Started(job)) => {
                    stage.set(Stage::Making {
                        progress: crate::domain::campaign::UploadProgress {
                            rows: job.rows,
                            made: 0,
                            state: UploadState::Running,
                        },
                        job: job.id.clone(),
                    });
                    poll(job.id, stage);
                }
                Err(err) => stage.set(Stage::Refused(err.to_string())),
            }
        });
    }

    fn poll(job: String, stage: RwSignal<Stage>) {
        set_timeout(
            move || {
                leptos::task::spawn_local(async move {
                    match campaign_upload_progress(job.clone()).await {
                        Ok(progress) => {
                            let running = progress.state == UploadState::Running;
                            stage.set(Stage::Making {
                                job: job.clone(),
                                progress,
                            });
                            if running {
                                poll(job, stage);
                            }
                        }
                        Err(err) => stage.set(Stage::Refused(err.to_string())),
                    }
                });
            },
            POLL,
        );
    }
}

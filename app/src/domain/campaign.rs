//! Campaigns: a saved share preset (flow, application, fixed URL parameters, Protect URL, Shorten
//! URL) with a name and a slug. Systems ask for a campaign's link by its slug; every ask makes a
//! new link of its own, with the caller's parameters after the campaign's.

use super::params::{ParamError, UrlParams};
use super::share::{ShareInputError, ShareRequest};
use super::slug::FlowSlug;
use super::text::is_single_line;
use serde::{Deserialize, Serialize};

/// The longest campaign name, in characters.
pub const MAX_CAMPAIGN_NAME: usize = 80;

/// Why a campaign could not be saved as asked (before the store is asked anything).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CampaignInputError {
    #[error("a campaign's name is 1 to {MAX_CAMPAIGN_NAME} characters on one line")]
    BadName,
    #[error("a campaign's name needs at least one letter or digit (its slug is made of them)")]
    NoSlug,
    #[error(transparent)]
    Share(#[from] ShareInputError),
}

/// A campaign to save, checked: its name, the slug derived from it, and the link it presets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCampaign {
    pub name: String,
    pub slug: FlowSlug,
    pub preset: ShareRequest,
}

impl NewCampaign {
    pub fn parse(name: &str, preset: ShareRequest) -> Result<Self, CampaignInputError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_CAMPAIGN_NAME || !is_single_line(name) {
            return Err(CampaignInputError::BadName);
        }
        let slug = FlowSlug::from_name(name).ok_or(CampaignInputError::NoSlug)?;
        Ok(Self {
            name: name.to_owned(),
            slug,
            preset,
        })
    }
}

/// A saved campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub slug: FlowSlug,
    pub name: String,
    /// What its links are made as. Protect URL off is a floor, not a promise: while the flow ×
    /// application pair is Protected, a campaign's links are protected anyway (a system holding a
    /// key must not be able to make unsigned links of a protected flow).
    pub preset: ShareRequest,
    /// The application's display name.
    pub application_name: String,
    pub created_by: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A campaign as the console lists it, with the number of links made for it so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub campaign: Campaign,
    pub links: i64,
}

impl Campaign {
    /// The request for one more link of this campaign: its parameters, then `extra` (a name in
    /// both is refused, as the dialog refuses it), shortened as the campaign says unless the
    /// caller says otherwise.
    pub fn request(
        &self,
        extra: &UrlParams,
        shorten: Option<bool>,
    ) -> Result<ShareRequest, ParamError> {
        let params = self
            .preset
            .params
            .iter()
            .chain(extra.iter())
            .map(|p| (p.name(), p.value()));
        Ok(ShareRequest {
            params: UrlParams::from_pairs(params)?,
            shorten: shorten.unwrap_or(self.preset.shorten),
            ..self.preset.clone()
        })
    }
}

/// A row of an uploaded CSV that cannot make a link: its line in the file (the header is line 1)
/// and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub line: usize,
    pub reason: String,
}

/// The most recipients one upload makes links for (as one API batch call).
pub const MAX_UPLOAD_ROWS: usize = 10_000;

/// The largest CSV file one upload takes.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

/// The most an upload may weigh once encoded to be sent (quotes and line breaks are escaped on
/// the way): under the server's 2 MB request limit, with room for the rest of the request.
pub const MAX_UPLOAD_SENT: usize = 2_000_000 - 4_096;

/// An upload whose rows were all good, now making its links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadJob {
    pub id: String,
    pub rows: usize,
}

/// How far an upload has got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadProgress {
    pub rows: usize,
    /// Links made so far; all of them are written together once every one is made.
    pub made: usize,
    pub state: UploadState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadState {
    Running,
    /// Every link made and stored: the CSV of links can be downloaded.
    Done,
    /// Nothing was stored, for this reason.
    Failed(String),
}

/// An uploaded file as text: UTF-8 (a byte-order mark is allowed), or a sentence naming the line
/// where it stops being UTF-8. The browser checks before sending; the server checks again.
pub fn csv_text(bytes: &[u8]) -> Result<&str, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|err| {
        let line = 1 + bytes[..err.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        format!(
            "The file is not UTF-8 text (line {line} is not): save it as \"CSV UTF-8\" and upload it again."
        )
    })
}

/// Where the CSV of an upload's links is downloaded.
pub fn upload_download_path(job: &str) -> String {
    format!("/campaigns/uploads/{job}/links.csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset(params: &str) -> ShareRequest {
        ShareRequest::parse("order-status", "help-centre", params, true, true).expect("valid")
    }

    fn campaign(params: &str) -> Campaign {
        let new = NewCampaign::parse("Spring sale", preset(params)).expect("valid");
        Campaign {
            slug: new.slug,
            name: new.name,
            preset: new.preset,
            application_name: "Help centre".into(),
            created_by: "ada".into(),
            created_at: 0,
        }
    }

    #[test]
    fn a_campaign_is_named_on_one_line_and_slugged_from_its_name() {
        let new = NewCampaign::parse("  Spring sale 2027! ", preset("")).expect("valid");
        assert_eq!(new.name, "Spring sale 2027!");
        assert_eq!(new.slug.as_str(), "spring-sale-2027");
        assert_eq!(
            NewCampaign::parse("", preset("")),
            Err(CampaignInputError::BadName)
        );
        assert_eq!(
            NewCampaign::parse("a\nb", preset("")),
            Err(CampaignInputError::BadName)
        );
        assert_eq!(
            NewCampaign::parse(&"x".repeat(MAX_CAMPAIGN_NAME + 1), preset("")),
            Err(CampaignInputError::BadName)
        );
        assert_eq!(
            NewCampaign::parse("!!!", preset("")),
            Err(CampaignInputError::NoSlug)
        );
    }

    #[test]
    fn a_callers_parameters_come_after_the_campaigns() {
        let campaign = campaign("source=sms&lang=en");
        let extra = UrlParams::parse("customer=42&name=Ada%20L").expect("valid");
        let request = campaign.request(&extra, None).expect("no clash");
        assert_eq!(
            request.params.to_query(),
            "source=sms&lang=en&customer=42&name=Ada%20L"
        );
        assert!(request.shorten && request.protect);
        assert!(!campaign.request(&extra, Some(false)).expect("ok").shorten);
    }

    #[test]
    fn a_name_in_both_is_refused_and_named() {
        let campaign = campaign("source=sms");
        let extra = UrlParams::parse("source=email").expect("valid on its own");
        assert_eq!(
            campaign.request(&extra, None),
            Err(ParamError::Duplicate("source".into()))
        );
    }

    #[test]
    fn the_limits_count_the_merged_parameters() {
        let campaign = campaign(&format!("p={}", "x".repeat(1_500)));
        let extra = UrlParams::parse(&format!("q={}", "y".repeat(600))).expect("valid alone");
        assert!(matches!(
            campaign.request(&extra, None),
            Err(ParamError::TooLong(_))
        ));
    }
}

//! A CSV of recipients for a campaign (one row each, the header names the parameters), checked
//! whole before any link is made: the file's encoding and header, then every row, each refusal
//! by its line. And the CSV that comes back: the same rows with their links.

use crate::links::generate::BatchLink;
use app::domain::campaign::{csv_text, Campaign, RowProblem, MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS};
use app::domain::params::{is_reserved, is_valid_name, UrlParams};
use app::domain::results::spreadsheet_safe;
use app::ports::CampaignError;

/// The rows of an upload, all good: the header, each row's values as uploaded, and each row's
/// parameters after the campaign's.
#[derive(Debug, Clone)]
pub struct CampaignRows {
    pub header: Vec<String>,
    pub values: Vec<Vec<String>>,
    pub params: Vec<UrlParams>,
}

/// The columns the links come back in, after the uploaded ones.
pub const LINK_COLUMNS: [&str; 3] = ["link", "short_url", "full_url"];

fn bad_file(message: impl Into<String>) -> CampaignError {
    CampaignError::BadFile(message.into())
}

impl CampaignRows {
    /// Checks a whole file against `campaign`: nothing is made unless every row is good.
    pub fn parse(bytes: &[u8], campaign: &Campaign) -> Result<Self, CampaignError> {
        if bytes.len() > MAX_UPLOAD_BYTES {
            return Err(bad_file(format!(
                "The file is over {} MB; split it into smaller files.",
                MAX_UPLOAD_BYTES / (1024 * 1024)
            )));
        }
        let text = csv_text(bytes).map_err(CampaignError::BadFile)?;
        if text.trim().is_empty() {
            return Err(bad_file(
                "The file is empty: its first line names the parameters, one column each, and each line after it is a recipient.",
            ));
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = Self::header(&mut reader, campaign)?;
        let mut values = Vec::new();
        let mut params = Vec::new();
        let mut problems = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| bad_file(format!("The file is not CSV: {e}.")))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            if values.len() + problems.len() == MAX_UPLOAD_ROWS {
                return Err(bad_file(format!(
                    "The file has more than {MAX_UPLOAD_ROWS} rows; split it into files of at most {MAX_UPLOAD_ROWS}."
                )));
            }
            if record.len() != header.len() {
                problems.push(RowProblem {
                    line,
                    reason: format!(
                        "it has {} fields, the header has {}",
                        record.len(),
                        header.len()
                    ),
                });
                continue;
            }
            let own = UrlParams::from_pairs(header.iter().map(String::as_str).zip(record.iter()));
            match own.and_then(|own| campaign.request(&own, None).map(|r| r.params)) {
                Ok(merged) => {
                    values.push(record.iter().map(str::to_owned).collect());
                    params.push(merged);
                }
                Err(err) => problems.push(RowProblem {
                    line,
                    reason: err.to_string(),
                }),
            }
        }
        if !problems.is_empty() {
            return Err(CampaignError::BadRows(problems));
        }
        if values.is_empty() {
            return Err(bad_file(
                "The file has a header but no rows: add a line per recipient.",
            ));
        }
        Ok(Self {
            header,
            values,
            params,
        })
    }

    /// The header's parameter names: each valid, none twice, none the campaign sets itself.
    fn header(
        reader: &mut csv::Reader<&[u8]>,
        campaign: &Campaign,
    ) -> Result<Vec<String>, CampaignError> {
        let header = reader
            .headers()
            .map_err(|e| bad_file(format!("The first line is not CSV: {e}.")))?;
        let mut names: Vec<String> = Vec::with_capacity(header.len());
        for (column, name) in header.iter().enumerate() {
            let name = name.trim();
            let column = column + 1;
            if !is_valid_name(name) {
                return Err(bad_file(format!(
                    "Column {column} of the header ({name:?}) is not a parameter name: letters A-Z and a-z, digits, '_', '.' and '-'."
                )));
            }
            if is_reserved(name) {
                return Err(bad_file(format!(
                    "Column {column} of the header ({name:?}) is reserved for the link itself (names starting with \"fs_\")."
                )));
            }
            if names.iter().any(|n| n == name) {
                return Err(bad_file(format!(
                    "Column {column} of the header ({name:?}) appears more than once."
                )));
            }
            if campaign.preset.params.get(name).is_some() {
                return Err(bad_file(format!(
                    "Column {column} of the header ({name:?}) is a parameter the campaign sets itself."
                )));
            }
            if LINK_COLUMNS.contains(&name) {
                return Err(bad_file(format!(
                    "Column {column} of the header ({name:?}) is where the links will go; rename it."
                )));
            }
            names.push(name.to_owned());
        }
        Ok(names)
    }

    /// The rows as uploaded, each with its link (the short one when there is one), its short and
    /// its full URL. Values a spreadsheet would run as a formula are prefixed with `'`, in the
    /// header too: its names are the uploader's text as much as the values are (a parameter name
    /// may start with `-`).
    pub fn with_links(&self, links: &[BatchLink]) -> Result<Vec<u8>, csv::Error> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(
            self.header
                .iter()
                .map(|name| spreadsheet_safe(name))
                .chain(LINK_COLUMNS.map(Into::into))
                .map(|name| name.into_owned()),
        )?;
        for (values, link) in self.values.iter().zip(links) {
            let short = link.short_url.as_deref().unwrap_or_default();
            let handed_out = link.short_url.as_deref().unwrap_or(&link.full_url);
            out.write_record(
                values
                    .iter()
                    .map(|v| spreadsheet_safe(v))
                    .chain([
                        handed_out.into(),
                        short.into(),
                        link.full_url.as_str().into(),
                    ])
                    .map(|v| v.into_owned()),
            )?;
        }
        out.into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::campaign::NewCampaign;
    use app::domain::share::ShareRequest;

    fn campaign(params: &str) -> Campaign {
        let preset = ShareRequest::parse("order-status", "help-centre", params, true, true)
            .expect("valid preset");
        let new = NewCampaign::parse("Spring", preset).expect("valid");
        Campaign {
            slug: new.slug,
            name: new.name,
            preset: new.preset,
            application_name: "Help centre".into(),
            created_by: "ada".into(),
            created_at: 0,
        }
    }

    fn file_problem(csv: &[u8]) -> String {
        match CampaignRows::parse(csv, &campaign("source=sms")) {
            Err(CampaignError::BadFile(message)) => message,
            other => panic!("expected a file refusal, got {other:?}"),
        }
    }

    #[test]
    fn every_row_becomes_the_campaigns_parameters_then_its_own() {
        let rows = CampaignRows::parse(
            b"\xEF\xBB\xBFcustomer,name\n42,Ada Lovelace\n43,\"Grace, H\"\n",
            &campaign("source=sms"),
        )
        .expect("good file");
        assert_eq!(rows.header, ["customer", "name"]);
        let queries: Vec<String> = rows.params.iter().map(UrlParams::to_query).collect();
        assert_eq!(
            queries,
            [
                "source=sms&customer=42&name=Ada%20Lovelace",
                "source=sms&customer=43&name=Grace%2C%20H"
            ]
        );
    }

    #[test]
    fn bad_rows_are_all_named_by_line_and_nothing_is_kept() {
        let csv = b"customer,name\n42,Ada\n43\n44,\"a\nb\"\n45,Bob\n";
        let Err(CampaignError::BadRows(problems)) =
            CampaignRows::parse(csv, &campaign("source=sms"))
        else {
            panic!("expected bad rows");
        };
        assert_eq!(
            problems,
            [
                RowProblem {
                    line: 3,
                    reason: "it has 1 fields, the header has 2".into()
                },
                RowProblem {
                    line: 4,
                    reason: "the value of \"name\" holds a control character (such as NUL, a line break or DEL)".into()
                },
            ]
        );
    }

    #[test]
    fn the_file_itself_is_refused_with_a_reason() {
        assert!(file_problem(b"").contains("empty"));
        assert!(file_problem(b"customer\n").contains("no rows"));
        assert!(file_problem(b"customer\n4\xff2\n").contains("line 2 is not"));
        assert!(file_problem(b"cus tomer\n42\n").contains("Column 1"));
        assert!(file_problem(b"a,fs_token\n1,2\n").contains("reserved"));
        assert!(file_problem(b"a,a\n1,2\n").contains("more than once"));
        assert!(file_problem(b"source\nemail\n").contains("the campaign sets itself"));
        assert!(file_problem(b"link\nx\n").contains("where the links will go"));
        let many = format!("n\n{}", "1\n".repeat(MAX_UPLOAD_ROWS + 1));
        assert!(file_problem(many.as_bytes()).contains("more than 10000 rows"));
    }

    #[test]
    fn the_download_is_the_rows_with_their_links_and_no_formulas() {
        let rows =
            CampaignRows::parse(b"name\n=HYPERLINK(1)\nAda\n", &campaign("")).expect("good file");
        let link = |id: &str, short: Option<&str>| BatchLink {
            id: id.into(),
            full_url: format!("https://x/f/a/b/{id}"),
            short_url: short.map(str::to_owned),
            protected: true,
            expires_at: None,
        };
        let csv = rows
            .with_links(&[link("A", Some("https://x/s/abc")), link("B", None)])
            .expect("written");
        assert_eq!(
            String::from_utf8(csv).expect("utf-8"),
            "name,link,short_url,full_url\n'=HYPERLINK(1),https://x/s/abc,https://x/s/abc,https://x/f/a/b/A\nAda,https://x/f/a/b/B,,https://x/f/a/b/B\n"
        );
    }

    #[test]
    fn the_downloads_header_is_kept_from_formulas_like_its_cells() {
        let rows = CampaignRows {
            header: ["-A1", "=1+1", "+x", "@x", "plain"]
                .map(str::to_owned)
                .to_vec(),
            values: vec![["1", "2", "3", "4", "5"].map(str::to_owned).to_vec()],
            params: vec![UrlParams::default()],
        };
        let link = BatchLink {
            id: "A".into(),
            full_url: "https://x/f/a/b/A".into(),
            short_url: None,
            protected: false,
            expires_at: None,
        };
        let csv = String::from_utf8(rows.with_links(&[link]).expect("written")).expect("utf-8");
        let header = csv.lines().next().expect("a header");
        assert_eq!(header, "'-A1,'=1+1,'+x,'@x,plain,link,short_url,full_url");
        // Of those, only `-A1` can be a parameter name: the others never reach a download.
        let refused = ["=1+1", "+x", "@x"].map(|name| {
            CampaignRows::parse(format!("{name}\n1\n").as_bytes(), &campaign("")).is_err()
        });
        assert_eq!(refused, [true; 3]);
        assert!(CampaignRows::parse(b"-A1\n1\n", &campaign("")).is_ok());
    }
}

//! `flows import FILE.json` and `flows generate N`: bulk writes of flows from a file or a generator.
//! An import is checked whole before anything is written, so a bad file changes nothing.

use crate::backend::Store;
use crate::db::{StoreError, StoreResult};
use crate::flows::{NewFlow, Upserted};
use app::domain::{ApprovalStatus, FlowDefinition, FlowSlug, FlowType, PublicationStatus};
use serde::Deserialize;

/// One flow in an import file. `slug` defaults to one derived from the name; `status` to draft,
/// `approval` to pending.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportedFlow {
    name: String,
    slug: Option<String>,
    #[serde(rename = "type")]
    flow_type: String,
    status: Option<String>,
    approval: Option<String>,
    #[serde(default)]
    description: String,
    definition: serde_json::Value,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Slugs of approved flows whose definition changed: they are Pending again.
    pub back_to_pending: Vec<String>,
}

/// Parses and checks an import file. Every fault names the flow it was found in.
pub fn parse_import(json: &str) -> StoreResult<Vec<NewFlow>> {
    let raw: Vec<ImportedFlow> = serde_json::from_str(json)
        .map_err(|e| StoreError::Invalid(format!("the file is not a JSON array of flows: {e}")))?;
    let mut seen = std::collections::HashSet::new();
    raw.into_iter()
        .enumerate()
        .map(|(i, f)| {
            let at = format!("flow #{} ({:?})", i + 1, f.name);
            let invalid = |what: String| StoreError::Invalid(format!("{at}: {what}"));
            let slug = match &f.slug {
                Some(s) => FlowSlug::parse(s).map_err(|e| invalid(format!("slug {s:?}: {e}")))?,
                None => FlowSlug::from_name(&f.name).ok_or_else(|| {
                    invalid("give it a slug: none can be made from its name".into())
                })?,
            };
            if !seen.insert(slug.clone()) {
                return Err(invalid(format!("slug {slug} appears twice in the file")));
            }
            let definition = FlowDefinition::from_json_value(f.definition)
                .map_err(|e| invalid(format!("definition: {e}")))?;
            NewFlow {
                slug,
                name: f.name.clone(),
                flow_type: f.flow_type.parse::<FlowType>().map_err(invalid)?,
                publication: f
                    .status
                    .as_deref()
                    .unwrap_or("draft")
                    .parse::<PublicationStatus>()
                    .map_err(invalid)?,
                approval: f
                    .approval
                    .as_deref()
                    .unwrap_or("pending")
                    .parse::<ApprovalStatus>()
                    .map_err(invalid)?,
                description: f.description,
                definition,
            }
            .check()
            .map_err(|e| invalid(e.to_string()))
        })
        .collect()
}

pub async fn import(store: &Store, json: &str, author: &str) -> StoreResult<ImportReport> {
    let flows = parse_import(json)?;
    let mut report = ImportReport::default();
    for flow in flows {
        let slug = flow.slug.to_string();
        match store.flows.upsert_flow(flow, author).await? {
            Upserted::Created => report.created += 1,
            Upserted::Unchanged => report.unchanged += 1,
            Upserted::Updated { reapproval, .. } => {
                report.updated += 1;
                if reapproval {
                    report.back_to_pending.push(slug);
                }
            }
        }
    }
    Ok(report)
}

/// `count` synthetic flows for load tests, named so that searches hit a predictable share of them.
pub fn synthetic_flows(count: usize, first: usize) -> Vec<NewFlow> {
    const WORDS: [&str; 12] = [
        "Order", "Billing", "Delivery", "Account", "Refund", "Booking", "Support", "Claim",
        "Survey", "Renewal", "Payment", "Access",
    ];
    let definition = FlowDefinition::parse_json(
        r#"{"start":"q","steps":[{"id":"q","kind":"question","text":"Continue?","choices":[{"label":"Yes","next":"e"},{"label":"No","next":"e"}]},{"id":"e","kind":"end","text":"Done."}]}"#,
    )
    .unwrap_or_else(|e| panic!("synthetic definition: {e}"));
    (first..first + count)
        .map(|n| {
            let name = format!(
                "{} {} flow {n}",
                WORDS[n % WORDS.len()],
                WORDS[(n / WORDS.len()) % WORDS.len()]
            );
            NewFlow {
                slug: FlowSlug::parse(&format!("synthetic-{n}"))
                    .unwrap_or_else(|e| panic!("synthetic slug: {e}")),
                name,
                flow_type: FlowType::ALL[n % FlowType::ALL.len()],
                publication: if n % 3 == 0 {
                    PublicationStatus::Draft
                } else {
                    PublicationStatus::Published
                },
                approval: ApprovalStatus::ALL[n % ApprovalStatus::ALL.len()],
                description: "Synthetic flow for load tests.".into(),
                definition: definition.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEF: &str = r#"{"start":"a","steps":[{"id":"a","kind":"end","text":"bye"}]}"#;

    #[test]
    fn a_well_formed_file_parses_with_defaults() {
        let flows = parse_import(&format!(
            r#"[{{"name":"Order help","type":"interaction","definition":{DEF}}}]"#
        ))
        .expect("valid");
        assert_eq!(flows[0].slug.as_str(), "order-help");
        assert_eq!(
            (flows[0].publication, flows[0].approval),
            (PublicationStatus::Draft, ApprovalStatus::Pending)
        );
    }

    #[test]
    fn each_fault_names_the_flow() {
        let bad_type = parse_import(&format!(
            r#"[{{"name":"X","type":"fax","definition":{DEF}}}]"#
        ))
        .unwrap_err()
        .to_string();
        assert!(
            bad_type.contains("flow #1 (\"X\")") && bad_type.contains("fax"),
            "{bad_type}"
        );
        let dangling = r#"[{"name":"Y","type":"bot","definition":{"start":"a","steps":[{"id":"a","kind":"message","text":"","next":"b"}]}}]"#;
        let err = parse_import(dangling).unwrap_err().to_string();
        assert!(
            err.contains("\"Y\"") && err.contains("step \"a\" leads to \"b\""),
            "{err}"
        );
        let twice = format!(
            r#"[{{"name":"Z","type":"bot","definition":{DEF}}},{{"name":"z","type":"bot","definition":{DEF}}}]"#
        );
        assert!(parse_import(&twice)
            .unwrap_err()
            .to_string()
            .contains("appears twice"));
        assert!(parse_import("{")
            .unwrap_err()
            .to_string()
            .contains("not a JSON array"));
    }

    #[test]
    fn control_characters_are_refused_in_names_and_kept_out_of_texts() {
        let named = |name: &str, description: &str| {
            parse_import(&format!(
                r#"[{{"name":{},"description":{},"type":"bot","definition":{DEF}}}]"#,
                serde_json::Value::from(name),
                serde_json::Value::from(description)
            ))
            .and_then(|flows| {
                flows
                    .into_iter()
                    .map(NewFlow::check)
                    .collect::<Result<Vec<_>, _>>()
            })
        };
        assert!(named("Order help", "Two lines\n\tof help.").is_ok());
        let nul = named("Order\u{0} help", "").unwrap_err().to_string();
        assert!(nul.contains("the name holds a control character"), "{nul}");
        let bell = named("Order help", "Ring\u{7}").unwrap_err().to_string();
        assert!(
            bell.contains("description holds a control character"),
            "{bell}"
        );
        let step = parse_import(
            r#"[{"name":"S","type":"bot","definition":{"start":"a","steps":[{"id":"a","kind":"end","text":"esc\u001b[31m"}]}}]"#,
        )
        .unwrap_err()
        .to_string();
        assert!(step.contains("control character"), "{step}");
    }

    #[test]
    fn synthetic_flows_are_valid_and_distinct() {
        let flows = synthetic_flows(30, 5);
        assert_eq!(flows.len(), 30);
        assert_eq!(flows[0].slug.as_str(), "synthetic-5");
        assert!(flows.iter().all(|f| f.clone().check().is_ok()));
    }
}

//! The link inspector: any pasted full or short link of this server, and exactly why it would be
//! refused now, found by the open check's steps in their order (`open`), each saying what it
//! found; with the link's details for who may see them. Inspecting counts nothing; inspecting a
//! link someone else made is audited (once per person and link in ten minutes).
//!
//! The order is written twice, here and in `open::verdict` (which runs on every open and says no
//! more than a recipient may read): `tests/it/inspect.rs` holds the two to the same answer for
//! every state a link can be in.

use super::open::LinkRecord;
use super::signing::LinkClaims;
use super::LinkStore;
use crate::db::{now_millis, on_db, StoreResult};
use app::domain::audit::AuditAction;
use app::domain::link::{
    Altered, Finding, LinkAddress, LinkId, LinkRef, ShortCode, Standing, FULL_PREFIX, SHORT_PREFIX,
};
use app::domain::link_pages::Ending;
use app::domain::{Role, UserView};
use app::views::{InspectedParam, LinkDetails, LinkHandle, LinkInspection};

/// The longest pasted text looked at: far longer than any link this server makes.
const MAX_PASTED: usize = 8 * 1024;

/// An inspection of someone else's link is audited once per person and link in this long.
const AUDIT_EVERY_MS: i64 = 10 * 60 * 1_000;

/// A pasted link as a browser opening it would read it: the origin it names (when it names one)
/// and the link in its path (after any prefix of the application's base URL).
#[derive(Debug, PartialEq, Eq)]
struct Pasted {
    origin: Option<String>,
    target: Target,
}

#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// `/f/{application}/{flow}/{link}` and the query.
    Full { path: String, query: String },
    /// `/s/{code}`.
    Short(String),
}

/// Reads pasted text the way a recipient's browser reads a link (tabs and line breaks dropped,
/// `\\` and `..` resolved), from its first `http://` or `https://` on (text before it, such as
/// "Link:", is not the link); without a scheme, as an address on this server.
fn take_apart(text: &str) -> Option<Pasted> {
    let text = text.trim();
    if text.len() > MAX_PASTED {
        return None;
    }
    let scheme = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| text.to_ascii_lowercase().find(scheme))
        .min();
    let (url, named) = match scheme {
        Some(at) => (url::Url::parse(&text[at..]).ok()?, true),
        None => (
            url::Url::parse("http://pasted.invalid/")
                .ok()?
                .join(text)
                .ok()?,
            false,
        ),
    };
    let origin = named.then(|| url.origin().ascii_serialization());
    let segments: Vec<&str> = url.path().split('/').collect();
    let n = segments.len();
    let [full, short] = [FULL_PREFIX, SHORT_PREFIX].map(|prefix| prefix.trim_matches('/'));
    let target = if n >= 5 && segments[n - 4] == full {
        Target::Full {
            path: format!("/{}", segments[n - 4..].join("/")),
            query: url.query().unwrap_or_default().to_owned(),
        }
    } else if n >= 3 && segments[n - 2] == short {
        Target::Short(segments[n - 1].to_owned())
    } else {
        return None;
    };
    Some(Pasted { origin, target })
}

/// A pasted link found in the store: its id, its address as pasted (or why that is no address),
/// and whether it came as a short link.
struct Resolved {
    id: String,
    address: Result<LinkAddress, Altered>,
    short: bool,
}

impl LinkStore {
    /// What `pasted` is, as `viewer` may know it: the finding for everyone; the details and the
    /// changed part for admins, the details for the publisher who made the link.
    pub async fn inspect(&self, pasted: &str, viewer: &UserView) -> StoreResult<LinkInspection> {
        let unknown = LinkInspection {
            finding: Finding::Unknown,
            details: None,
            revoke: None,
            ending: None,
        };
        let Some(pasted) = take_apart(pasted) else {
            return Ok(unknown);
        };
        let Some(found) = self.resolve(&pasted.target).await? else {
            return Ok(unknown);
        };
        let (Some(record), Some(status)) = (
            self.record(&found.id).await?,
            self.link_status(&found.id).await?,
        ) else {
            return Ok(unknown);
        };
        let admin = viewer.role == Role::Admin;
        let own = viewer.role == Role::Publisher && viewer.name == status.created_by;
        let mut finding = match &found.address {
            Ok(address) => self.judge(&record, address, found.short).await?,
            Err(altered) => Finding::NotValid(Some(altered.clone())),
        };
        if !admin && matches!(finding, Finding::NotValid(_)) {
            finding = Finding::NotValid(None);
        }
        if viewer.name != status.created_by {
            self.audit_inspection(viewer, &status.flow, &found.id, &finding)
                .await?;
        }
        let ending = ending_of(&record, &finding);
        let stored = LinkAddress::split_url(&status.url).ok().map(|(_, a)| a);
        let details = (admin || own).then(|| LinkDetails {
            reference: LinkRef::of_raw(&found.id).to_string(),
            short_code: status.short_code.clone(),
            flow: status.flow.clone(),
            flow_name: record.flow_name.clone(),
            application: status.application.clone(),
            application_name: record.application_name.clone(),
            created_at: status.created_at,
            created_by: status.created_by.clone(),
            campaign: status.campaign.clone(),
            protected: status.protected,
            params: stored
                .iter()
                .flat_map(|a| a.params.iter())
                .map(|p| InspectedParam {
                    name: p.name().to_owned(),
                    value: p.value().to_owned(),
                    signed: record.protected && record.validate_params,
                })
                .collect(),
            expires_at: status.expires_at,
            invocations: status.invocations,
            allowed_invocations: status.allowed_invocations,
            last_used_at: status.last_used_at,
            key_version: record.link_key_version,
            other_origin: pasted
                .origin
                .filter(|origin| !same_origin(origin, &status.base_url)),
        });
        let revoke = (!status.revoked && (admin || own)).then(|| LinkHandle {
            id: found.id.clone(),
            short_code: status.short_code.clone(),
        });
        Ok(LinkInspection {
            finding,
            details,
            revoke,
            ending,
        })
    }

    /// The link a pasted address names: a short link is its full link as stored (the code is all
    /// there is to change); a full one keeps what was pasted, which may not be an address at all
    /// while its id is still a real link's (cut short, say).
    async fn resolve(&self, target: &Target) -> StoreResult<Option<Resolved>> {
        match target {
            Target::Short(code) => {
                let Some(code) = ShortCode::parse(code) else {
                    return Ok(None);
                };
                let sql = "SELECT url FROM links WHERE short_code = $1";
                let url: Option<String> = on_db!(&self.db, |pool| sqlx::query_scalar(sql)
                    .bind(code.as_str())
                    .fetch_optional(pool)
                    .await)?;
                Ok(url
                    .as_deref()
                    .and_then(|url| LinkAddress::split_url(url).ok())
                    .map(|(_, address)| Resolved {
                        id: address.link.as_str().to_owned(),
                        address: Ok(address),
                        short: true,
                    }))
            }
            Target::Full { path, query } => {
                let id = path.rsplit('/').next().unwrap_or_default();
                let Ok(id) = LinkId::parse(id) else {
                    return Ok(None);
                };
                Ok(Some(Resolved {
                    id: id.as_str().to_owned(),
                    address: LinkAddress::parse(path, query).map_err(|_| Altered::Malformed),
                    short: false,
                }))
            }
        }
    }

    /// The open check's steps in its order, each saying what it found, on the link's standing
    /// now (its revocation, its application's key version, its flow's state and its count are read
    /// fresh; its key and signed terms come from the record, as an open reads them).
    async fn judge(
        &self,
        record: &LinkRecord,
        address: &LinkAddress,
        short: bool,
    ) -> StoreResult<Finding> {
        if !record.belongs_to(address) {
            return Ok(Finding::NotValid(Some(Altered::ApplicationOrFlow)));
        }
        if address.key_version != record.link_key_version {
            return Ok(Finding::NotValid(Some(Altered::KeyVersion)));
        }
        let sql = "SELECT l.revoked_at, a.key_version, l.invocations, f.flow_type, f.publication, f.approval \
                   FROM links l JOIN applications a ON a.id = l.application_id JOIN flows f ON f.id = l.flow_id \
                   WHERE l.id = $1";
        type Now = (Option<i64>, i64, i64, String, String, String);
        let now: Option<Now> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(address.link.as_str())
            .fetch_optional(pool)
            .await)?;
        let Some((revoked_at, current, invocations, flow_type, publication, approval)) = now else {
            return Ok(Finding::Unknown);
        };
        if let Some(at) = revoked_at {
            return Ok(Finding::Revoked { at, short });
        }
        if current != record.link_key_version {
            return Ok(Finding::KeyRegenerated {
                link_version: record.link_key_version,
                current,
            });
        }
        let standing = Standing {
            revoked: false,
            key_version: current,
            current_key_version: current,
            flow_type: &flow_type,
            publication: &publication,
            approval: &approval,
        };
        if standing.still_runs().is_err() || record.definition().is_err() {
            return Ok(Finding::Withdrawn);
        }
        if !record.protected {
            return Ok(match address.token {
                None => Finding::Opens,
                Some(_) => Finding::NotValid(Some(Altered::TokenAdded)),
            });
        }
        let Some(token) = &address.token else {
            return Ok(Finding::NotValid(Some(Altered::TokenRemoved)));
        };
        let claims = LinkClaims::of(address, record.validate_params);
        if !claims.verify(&record.secret_key, token.as_str()) {
            return Ok(Finding::NotValid(Some(altered_part(record, address))));
        }
        if let Some(at) = address.expires_at.filter(|at| *at <= now_millis() / 1_000) {
            return Ok(Finding::Expired { at });
        }
        if let Some(allowed) = record.allowed_invocations.filter(|a| invocations >= *a) {
            return Ok(Finding::UsedUp { allowed });
        }
        Ok(Finding::Opens)
    }

    /// Audits `viewer`'s inspection of a link someone else made, unless they inspected it within
    /// the last ten minutes (a reload is not another look). The link is named by its reference.
    /// One statement, which looks and writes at once: on SQLite, a transaction that read first
    /// could not then write while another inspection wrote.
    async fn audit_inspection(
        &self,
        viewer: &UserView,
        flow: &str,
        id: &str,
        finding: &Finding,
    ) -> StoreResult<()> {
        let named = format!("link {}", LinkRef::of_raw(id));
        let detail = format!("{named}: {}", finding.label());
        let action = AuditAction::LinkInspected;
        let folded = crate::db::audit::search_text(&viewer.name, action, flow, &detail);
        let sql = "INSERT INTO audit_log (at, actor, action, subject, detail, search_folded) \
                   SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), CAST($5 AS TEXT), CAST($6 AS TEXT) \
                   WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE actor = $2 AND action = $3 \
                   AND substr(detail, 1, $7) = $8 AND at > $9)";
        let now = now_millis();
        on_db!(&self.db, |pool| sqlx::query(sql)
            .bind(now)
            .bind(&viewer.name)
            .bind(action.as_str())
            .bind(flow)
            .bind(&detail)
            .bind(&folded)
            // Both engines count characters (the reference ends with "…").
            .bind(i32::try_from(named.chars().count()).unwrap_or(i32::MAX))
            .bind(&named)
            .bind(now - AUDIT_EVERY_MS)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }
}

/// What the link's application shows recipients for this finding, when it chose a way forward
/// of its own (see `app::domain::link_pages`).
fn ending_of(record: &LinkRecord, finding: &Finding) -> Option<String> {
    use app::domain::link::LinkRefusal;
    let refusal = match finding {
        Finding::Revoked { short: false, .. } | Finding::KeyRegenerated { .. } => {
            LinkRefusal::Disabled
        }
        Finding::Withdrawn => LinkRefusal::FlowUnavailable,
        Finding::Expired { .. } => LinkRefusal::Expired,
        Finding::UsedUp { .. } => LinkRefusal::UsedUp,
        _ => return None,
    };
    let kind = refusal.ending()?;
    match record.endings().get(kind) {
        Ending::Redirect { to, reason } => Some(format!(
            "Recipients are sent to {to}{}, as the application chose for links that are {}.",
            if *reason { " (with the reason)" } else { "" },
            kind.label().to_lowercase()
        )),
        Ending::Page { message, onward } if !message.is_empty() || onward.is_some() => {
            Some(format!(
                "Recipients see the application's own words for links that are {}{}.",
                kind.label().to_lowercase(),
                onward
                    .as_ref()
                    .map(|url| format!(", with a link on to {url}"))
                    .unwrap_or_default()
            ))
        }
        Ending::Page { .. } => None,
    }
}

/// Whether a pasted origin is the base URL's (as browsers compare them).
fn same_origin(origin: &str, base_url: &str) -> bool {
    let origin_of = |url: &str| url::Url::parse(url).ok().map(|u| u.origin());
    origin_of(origin).is_some_and(|o| Some(o) == origin_of(base_url))
}

/// What differs between a changed address and the link as it was made: its parameters (when
/// they were signed), their order, its expiry, or else its signature.
fn altered_part(record: &LinkRecord, address: &LinkAddress) -> Altered {
    let Ok((_, made)) = LinkAddress::split_url(&record.url) else {
        return Altered::Signature;
    };
    if record.validate_params {
        let names: Vec<String> = made
            .params
            .iter()
            .filter(|p| address.params.get(p.name()) != Some(p.value()))
            .chain(
                address
                    .params
                    .iter()
                    .filter(|p| made.params.get(p.name()).is_none()),
            )
            .map(|p| p.name().to_owned())
            .collect();
        if !names.is_empty() {
            return Altered::Parameters(names);
        }
        let order = |a: &LinkAddress| {
            a.params
                .iter()
                .map(|p| p.name().to_owned())
                .collect::<Vec<_>>()
        };
        if order(&made) != order(address) {
            return Altered::ParameterOrder;
        }
    }
    if made.expires_at != address.expires_at {
        return Altered::Expiry;
    }
    Altered::Signature
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(path: &str, query: &str) -> Target {
        Target::Full {
            path: path.into(),
            query: query.into(),
        }
    }

    #[test]
    fn a_pasted_link_is_read_as_a_browser_opening_it_would() {
        let id = "4fQm2x0vUu6Ww3Jq1hN9sA";
        let cases = [
            (
                format!("  https://Go.Example/f/a/b/{id}?x=1&fs_kv=1#frag "),
                Some("https://go.example"),
                full(&format!("/f/a/b/{id}"), "x=1&fs_kv=1"),
            ),
            // A base URL with a path: the link is what follows it.
            (
                format!("https://h.example/share/f/a/b/{id}?fs_kv=1"),
                Some("https://h.example"),
                full(&format!("/f/a/b/{id}"), "fs_kv=1"),
            ),
            // As a mail client wrapped it, and with words before it.
            (
                format!("Link: https://go.example/f/a/b/\n{id}?fs_kv=1"),
                Some("https://go.example"),
                full(&format!("/f/a/b/{id}"), "fs_kv=1"),
            ),
            (
                "/s/abcdefghjkm".to_owned(),
                None,
                Target::Short("abcdefghjkm".into()),
            ),
            // As chat apps show it, without the scheme.
            (
                "go.example/s/abcdefghjkm".to_owned(),
                None,
                Target::Short("abcdefghjkm".into()),
            ),
        ];
        for (text, origin, target) in cases {
            assert_eq!(
                take_apart(&text),
                Some(Pasted {
                    origin: origin.map(str::to_owned),
                    target
                }),
                "{text:?}"
            );
        }
        for nothing in ["", "hello", "https://go.example/", "/f/a/b", "/flows/x"] {
            assert_eq!(take_apart(nothing), None, "{nothing:?}");
        }
        assert_eq!(take_apart(&"x".repeat(MAX_PASTED + 1)), None);
    }

    #[test]
    fn origins_are_compared_as_browsers_do() {
        assert!(same_origin("https://go.example", "https://go.example/help"));
        assert!(same_origin("https://go.example:443", "https://go.example"));
        assert!(!same_origin("http://127.0.0.1:30", "http://127.0.0.1:3000"));
        assert!(!same_origin("not a url", "https://go.example"));
    }
}

//! The link inspector: any pasted full or short link of this server, and exactly why it would be
//! refused now (the checks of `open`, in the same order, each saying what it found), with the
//! link's details for who may see them. Inspecting counts nothing; inspecting a link someone else
//! made is audited.

use super::open::LinkRecord;
use super::signing::LinkClaims;
use super::LinkStore;
use crate::db::{audit, now_millis, on_db, StoreResult};
use app::domain::audit::AuditAction;
use app::domain::link::{
    Altered, Finding, LinkAddress, LinkRef, ShortCode, FULL_PREFIX, SHORT_PREFIX,
};
use app::domain::{Role, UserView};
use app::views::{InspectedParam, LinkDetails, LinkHandle, LinkInspection};

/// The longest pasted text looked at: far longer than any link this server makes.
const MAX_PASTED: usize = 8 * 1024;

/// A pasted link, taken apart without any normalising (the links' grammar is exact): the origin
/// it names, if any, its path and its query.
#[derive(Debug, PartialEq, Eq)]
struct Pasted<'a> {
    origin: Option<&'a str>,
    path: &'a str,
    query: &'a str,
}

fn take_apart(text: &str) -> Option<Pasted<'_>> {
    let text = text.trim();
    if text.len() > MAX_PASTED {
        return None;
    }
    let text = text.split_once('#').map_or(text, |(before, _)| before);
    let (origin, rest) = match text.find("://") {
        Some(scheme_end) => {
            let after = &text[scheme_end + 3..];
            let host_end = after.find(['/', '?']).unwrap_or(after.len());
            (Some(&text[..scheme_end + 3 + host_end]), &after[host_end..])
        }
        None => (None, text),
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    Some(Pasted {
        origin,
        path,
        query,
    })
}

impl LinkStore {
    /// What `pasted` is, as `viewer` may know it: the finding for everyone; the details and the
    /// changed part for admins, and for the publisher who made the link (the details only).
    pub async fn inspect(&self, pasted: &str, viewer: &UserView) -> StoreResult<LinkInspection> {
        let unknown = LinkInspection {
            finding: Finding::Unknown,
            details: None,
            revoke: None,
        };
        let Some(pasted) = take_apart(pasted) else {
            return Ok(unknown);
        };
        // A short link is its full link as stored: the code is all there is to change.
        let (address, found) = if let Some(code) = pasted.path.strip_prefix(SHORT_PREFIX) {
            let Some(code) = ShortCode::parse(code) else {
                return Ok(unknown);
            };
            let sql = "SELECT url FROM links WHERE short_code = $1";
            let url: Option<String> = on_db!(&self.db, |pool| sqlx::query_scalar(sql)
                .bind(code.as_str())
                .fetch_optional(pool)
                .await)?;
            let Some(Ok((_, address))) = url.as_deref().map(LinkAddress::split_url) else {
                return Ok(unknown);
            };
            let id = address.link.as_str().to_owned();
            (Ok(address), id)
        } else if pasted.path.starts_with(FULL_PREFIX) {
            // A link cut short still names its id: say that it is that link's, altered.
            let id = pasted
                .path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            (LinkAddress::parse(pasted.path, pasted.query), id)
        } else {
            return Ok(unknown);
        };
        let Some(record) = self.record(&found).await? else {
            return Ok(unknown);
        };
        let Some(status) = self.link_status(&found).await? else {
            return Ok(unknown);
        };
        let admin = viewer.role == Role::Admin;
        let own = viewer.role == Role::Publisher && viewer.name == status.created_by;
        let mut finding = match &address {
            Ok(address) => self.finding(&record, address).await?,
            Err(_) => Finding::NotValid(Some(Altered::Malformed)),
        };
        if let (Finding::NotValid(_), false) = (&finding, admin) {
            finding = Finding::NotValid(None);
        }
        if viewer.name != status.created_by {
            let detail = format!("link {}: {}", LinkRef::of_raw(&found), finding.label());
            on_db!(&self.db, |pool| {
                let mut tx = pool.begin().await?;
                audit!(
                    tx,
                    &viewer.name,
                    AuditAction::LinkInspected,
                    &status.flow,
                    &detail
                )?;
                tx.commit().await
            })?;
        }
        let stored = LinkAddress::split_url(&status.url).ok().map(|(_, a)| a);
        let details = (admin || own).then(|| LinkDetails {
            reference: LinkRef::of_raw(&found).to_string(),
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
                .filter(|origin| !same_origin(origin, &status.base_url))
                .map(str::to_owned),
        });
        let revoke = (!status.revoked && (admin || own)).then(|| LinkHandle {
            id: found.clone(),
            short_code: status.short_code.clone(),
        });
        Ok(LinkInspection {
            finding,
            details,
            revoke,
        })
    }

    /// The link's check (`open`'s, in its order), saying at each step what it found, on the
    /// link's state now (not the cache's).
    async fn finding(&self, record: &LinkRecord, address: &LinkAddress) -> StoreResult<Finding> {
        if !record.belongs_to(address) {
            return Ok(Finding::NotValid(Some(Altered::ApplicationOrFlow)));
        }
        if address.key_version != record.link_key_version {
            return Ok(Finding::NotValid(Some(Altered::KeyVersion)));
        }
        let sql = "SELECT l.revoked_at, a.key_version, l.invocations FROM links l \
                   JOIN applications a ON a.id = l.application_id WHERE l.id = $1";
        let now: Option<(Option<i64>, i64, i64)> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(address.link.as_str())
            .fetch_optional(pool)
            .await)?;
        let Some((revoked_at, current_key, invocations)) = now else {
            return Ok(Finding::Unknown);
        };
        if let Some(at) = revoked_at {
            return Ok(Finding::Revoked { at });
        }
        if current_key != record.link_key_version {
            return Ok(Finding::KeyRegenerated {
                link_version: record.link_key_version,
                current: current_key,
            });
        }
        if record.still_runs().is_err() {
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
}

/// Whether a pasted origin is the base URL's (as browsers compare them).
fn same_origin(origin: &str, base_url: &str) -> bool {
    let origin_of = |url: &str| url::Url::parse(url).ok().map(|u| u.origin());
    origin_of(origin).is_some_and(|o| Some(o) == origin_of(base_url))
}

/// What differs between a changed address and the link as it was made: its parameters (when
/// they were signed), its expiry, or else its signature.
fn altered_part(record: &LinkRecord, address: &LinkAddress) -> Altered {
    let Ok((_, made)) = LinkAddress::split_url(&record.url) else {
        return Altered::Signature;
    };
    if record.validate_params {
        let mut names: Vec<String> = made
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
        names.dedup();
        if !names.is_empty() {
            return Altered::Parameters(names);
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

    #[test]
    fn a_pasted_link_is_taken_apart_as_it_is() {
        assert_eq!(
            take_apart("  https://go.example/f/a/b/c?x=1&fs_kv=1#frag "),
            Some(Pasted {
                origin: Some("https://go.example"),
                path: "/f/a/b/c",
                query: "x=1&fs_kv=1"
            })
        );
        assert_eq!(
            take_apart("/s/abcdefghjkm"),
            Some(Pasted {
                origin: None,
                path: "/s/abcdefghjkm",
                query: ""
            })
        );
        assert_eq!(
            take_apart("http://go.example?x"),
            Some(Pasted {
                origin: Some("http://go.example"),
                path: "",
                query: "x"
            })
        );
        assert_eq!(take_apart(&"x".repeat(MAX_PASTED + 1)), None);
    }

    #[test]
    fn origins_are_compared_as_browsers_do() {
        assert!(same_origin("HTTPS://Go.Example", "https://go.example/help"));
        assert!(same_origin("https://go.example:443", "https://go.example"));
        assert!(!same_origin("http://127.0.0.1:30", "http://127.0.0.1:3000"));
        assert!(!same_origin("not a url", "https://go.example"));
    }
}

//! The API as the console's API page shows it: each call with its scope and a curl example.
//! The server's OpenAPI document is the full reference; a test holds the two to the same routes.

use crate::domain::api_key::ApiScope;

/// How a call carries its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyHeader {
    /// `Authorization: Bearer <key>`: every `/api/v1` call.
    Bearer,
    /// `Application-Key: <key>`: the seed system's shape.
    ApplicationKey,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    /// As routed, `{name}` for a path parameter.
    pub path: &'static str,
    /// An example of the path with its parameters and query filled in.
    pub example_path: &'static str,
    pub scope: Option<ApiScope>,
    pub key: KeyHeader,
    pub summary: &'static str,
    /// An example JSON body.
    pub body: Option<&'static str>,
}

pub const ENDPOINTS: [Endpoint; 9] = [
    Endpoint {
        method: "POST",
        path: "/api/v1/links",
        example_path: "/api/v1/links",
        scope: Some(ApiScope::LinksCreate),
        key: KeyHeader::Bearer,
        summary: "One more link of a campaign, the recipient's parameters after the campaign's own. Add an Idempotency-Key header to make retries safe; ?qr=svg adds a QR code.",
        body: Some(r#"{"campaign": "spring-reminders", "params": "customer=42&name=Ada"}"#),
    },
    Endpoint {
        method: "POST",
        path: "/api/v1/links",
        example_path: "/api/v1/links",
        scope: Some(ApiScope::LinksCreate),
        key: KeyHeader::Bearer,
        summary: "One link of a flow through an application, as the Share dialog makes it.",
        body: Some(r#"{"flow": "order-status", "application": "help-centre", "params": "order=1234", "shorten": true}"#),
    },
    Endpoint {
        method: "POST",
        path: "/api/v1/links/batch",
        example_path: "/api/v1/links/batch",
        scope: Some(ApiScope::LinksCreate),
        key: KeyHeader::Bearer,
        summary: "Up to 10,000 links in one call, one per row: all or nothing (refused rows named by index), or \"partial\": true.",
        body: Some(r#"{"campaign": "spring-reminders", "rows": ["customer=42", "customer=43"]}"#),
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/links",
        example_path: "/api/v1/links?campaign=spring-reminders&state=active&limit=100",
        scope: Some(ApiScope::LinksRead),
        key: KeyHeader::Bearer,
        summary: "Links newest first, filtered by flow, application, campaign, state and created_after/created_before (Unix seconds); pass next_cursor as cursor for the next page.",
        body: None,
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/links/{id}",
        example_path: "/api/v1/links/LINK_ID",
        scope: Some(ApiScope::LinksRead),
        key: KeyHeader::Bearer,
        summary: "A link's state, uses and expiry.",
        body: None,
    },
    Endpoint {
        method: "POST",
        path: "/api/v1/links/{id}/revoke",
        example_path: "/api/v1/links/LINK_ID/revoke",
        scope: Some(ApiScope::LinksRevoke),
        key: KeyHeader::Bearer,
        summary: "Revokes a link the key made.",
        body: None,
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/flows",
        example_path: "/api/v1/flows",
        scope: Some(ApiScope::FlowsRead),
        key: KeyHeader::Bearer,
        summary: "The flows links can be made of now, with their applications.",
        body: None,
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/openapi.json",
        example_path: "/api/v1/openapi.json",
        scope: None,
        key: KeyHeader::None,
        summary: "The OpenAPI 3.1 document of every call.",
        body: None,
    },
    Endpoint {
        method: "POST",
        path: "/interact/version/2/account/{account}/resources/campaign/url/{campaign}",
        example_path: "/interact/version/2/account/acme/resources/campaign/url/spring-reminders",
        scope: Some(ApiScope::LinksCreate),
        key: KeyHeader::ApplicationKey,
        summary: "The Get Interaction Link API in its original shape: answers the link as text (400 missing or invalid parameter …, 401 with Unauthenticated-Reason, 404 Campaign … was not found).",
        body: Some(r#"{"additionalParams": "var1=22&var2=33", "shortenUrl": true}"#),
    },
];

impl Endpoint {
    /// A curl command for this call on the server at `base` (`https://flows.example.com`), the
    /// key read from `$FLOWSHARE_KEY`.
    pub fn curl(&self, base: &str) -> String {
        let mut lines = vec![format!(
            "curl -sS -X {} '{base}{}'",
            self.method, self.example_path
        )];
        match self.key {
            KeyHeader::Bearer => lines.push("  -H \"Authorization: Bearer $FLOWSHARE_KEY\"".into()),
            KeyHeader::ApplicationKey => {
                lines.push("  -H \"Application-Key: $FLOWSHARE_KEY\"".into())
            }
            KeyHeader::None => {}
        }
        if let Some(body) = self.body {
            lines.push("  -H 'Content-Type: application/json'".into());
            lines.push(format!("  -d '{body}'"));
        }
        lines.join(" \\\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_curl_example_carries_the_key_and_the_body() {
        let curl = ENDPOINTS[0].curl("https://flows.example.com");
        assert_eq!(
            curl,
            "curl -sS -X POST 'https://flows.example.com/api/v1/links' \\\n  -H \"Authorization: Bearer $FLOWSHARE_KEY\" \\\n  -H 'Content-Type: application/json' \\\n  -d '{\"campaign\": \"spring-reminders\", \"params\": \"customer=42&name=Ada\"}'"
        );
        assert!(ENDPOINTS[8]
            .curl("http://x")
            .contains("Application-Key: $FLOWSHARE_KEY"));
    }

    #[test]
    fn every_example_body_is_json() {
        for endpoint in ENDPOINTS.iter() {
            if let Some(body) = endpoint.body {
                assert!(
                    serde_json::from_str::<serde_json::Value>(body).is_ok(),
                    "{body}"
                );
            }
        }
    }
}

//! The console's screens. Pages are rendered on the server with their data (SSR mode `Async`) and
//! work without JavaScript; only the interactive parts are islands that ship as wasm (live search,
//! the Share dialog, a campaign's CSV upload, a new API key), which keeps the browser bundle small.

mod access;
pub mod api_calls;
mod api_keys;
mod api_reference;
mod application_form;
mod applications;
mod audit;
mod campaigns;
mod copy;
mod details;
mod flows;
pub mod format;
mod inspect;
mod layout;
mod link_pages;
mod login;
#[cfg(feature = "hydrate")]
mod picked_file;
mod player;
mod query;
pub mod raw_text;
mod results;
mod share;
mod shared_links;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};
use raw_text::PageTitle;

/// The HTML document around every console page: the islands' hydration script, the style sheet
/// under its content-hashed name.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    document(options, true)
}

/// The HTML document around a recipient's page: no script at all (every step is a plain form),
/// so a first open costs the page and the style sheet, and a repeat open the page alone.
pub fn recipient_shell(options: LeptosOptions) -> impl IntoView {
    document(options, false)
}

fn document(options: LeptosOptions, scripts: bool) -> impl IntoView {
    let hydration = scripts.then(|| {
        view! {
            <AutoReload options=options.clone()/>
            <HydrationScripts options=options.clone() islands=true/>
        }
    });
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                {(!scripts).then(|| view! { <meta name="robots" content="noindex, nofollow"/> })}
                {(!scripts).then(preview_tags)}
                {hydration}
                <link id="leptos" rel="stylesheet" href=crate::site_files::stylesheet_href(&options)/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The tags chat apps, mail clients and social sites build a link's preview from (Open Graph and
/// Twitter's cards), on an open link's page: the application's preview of the flow, which holds
/// nothing of the link itself. Attribute values, escaped by the renderer.
fn preview_tags() -> impl IntoView {
    use crate::domain::link_pages::LinkPreview;
    use_context::<LinkPreview>().map(|preview| {
        let card = preview.twitter_card();
        let description = view! {
            <meta name="description" content=preview.description.clone()/>
            {og("og:description", preview.description.clone())}
            <meta name="twitter:description" content=preview.description.clone()/>
        };
        let image = preview.image.clone().map(|image| {
            view! {
                {og("og:image", image.clone())}
                <meta name="twitter:image" content=image/>
            }
        });
        view! {
            {og("og:type", "website")}
            {og("og:title", preview.title.clone())}
            <meta name="twitter:card" content=card/>
            <meta name="twitter:title" content=preview.title.clone()/>
            {description}
            {image}
        }
    })
}

/// `<meta property="…" content="…">`: Open Graph names its tags by `property`, which the view
/// macro does not know; the value is escaped like every attribute's.
fn og(property: &'static str, content: impl Into<String>) -> impl IntoView {
    use leptos::attr::custom::CustomAttribute;
    leptos::html::meta()
        .attr("property", property)
        .content(content.into())
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        // Every page has a title, "Flowshare" until the page names itself (an error panel does not).
        <Title formatter=|page: String| if page.is_empty() { "Flowshare".to_owned() } else { format!("{page} · Flowshare") } text=""/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=login::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/f/:app/:flow/:link") view=player::PlayerPage ssr=SsrMode::Async/>
                <Route path=path!("/r/:token") view=player::PlayerPage ssr=SsrMode::Async/>
                <Route path=path!("/refused/:code") view=player::PlayerPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=layout::ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=|| view! { <Redirect path="/flows"/> } ssr=SsrMode::Async/>
                    <Route path=path!("flows") view=flows::FlowsPage ssr=SsrMode::Async/>
                    <Route path=path!("flows/:slug") view=details::FlowDetailsPage ssr=SsrMode::Async/>
                    <Route path=path!("flows/:slug/access") view=access::AccessProtectionPage ssr=SsrMode::Async/>
                    <Route path=path!("audit") view=audit::AuditLogPage ssr=SsrMode::Async/>
                    <Route path=path!("inspect") view=inspect::InspectPage ssr=SsrMode::Async/>
                    <Route path=path!("api") view=api_reference::ApiReferencePage ssr=SsrMode::Async/>
                    <Route path=path!("api-keys") view=api_keys::ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=path!("applications") view=applications::ApplicationsPage ssr=SsrMode::Async/>
                    <Route path=path!("applications/new") view=application_form::ApplicationFormPage ssr=SsrMode::Async/>
                    <Route path=path!("applications/:slug") view=application_form::ApplicationFormPage ssr=SsrMode::Async/>
                    <Route path=path!("applications/:slug/link-pages") view=link_pages::LinkPagesPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle text="Not found"/>
        <main class="narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. "<a href="/flows">"Go to Flows"</a></p>
        </main>
    }
}

/// A failed request, said plainly, with the way out when there is one.
#[component]
fn ErrorPanel(error: crate::error::AppError) -> impl IntoView {
    let sign_in = matches!(error, crate::error::AppError::Unauthenticated);
    view! {
        <div class="error-panel" role="alert">
            <p>{error.to_string()}</p>
            {sign_in.then(|| view! { <p><a href="/login">"Sign in"</a></p> })}
        </div>
    }
}

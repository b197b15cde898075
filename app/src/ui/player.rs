//! The page a recipient opens: the flow player, or a plain page saying why the link does not work.
//! Rendered on the server (the first step shows without JavaScript); the player is an island.

use crate::domain::definition::{FlowDefinition, StepKind};
use crate::domain::link::{fill_in, LinkRefusal, OpenedLink};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::HashMap;

/// Rendered only on the server (it is not an island), from the `OpenedLink` the page's handler
/// provides after its one check of the link. Without one (a route reached some other way) the
/// link is "not valid".
#[component]
pub fn PlayerPage() -> impl IntoView {
    let opened = use_context::<OpenedLink>().map_or(Err(LinkRefusal::NotValid), |o| o.0);
    view! {
        <main class="player-page">
            {match opened {
                Ok(flow) => Either::Left(view! {
                    <Title text=flow.flow_name.clone()/>
                    <FlowPlayer flow_name=flow.flow_name definition=flow.definition variables=flow.variables/>
                }),
                Err(refusal) => Either::Right(view! { <Refusal refusal/> }),
            }}
        </main>
    }
}

#[component]
fn Refusal(refusal: LinkRefusal) -> impl IntoView {
    view! {
        <Title text=refusal.title()/>
        <section class="refusal" aria-labelledby="refusal-title">
            <h1 id="refusal-title">{refusal.title()}</h1>
            <p>{refusal.explanation()}</p>
        </section>
    }
}

/// Walks a flow's steps: Back and Restart, a progress indicator, keyboard operable. URL
/// parameters are variables: `{{name}}` in a text shows the value (as text), and an input step
/// whose variable came with the link starts filled in.
#[island]
fn FlowPlayer(
    flow_name: String,
    definition: FlowDefinition,
    variables: Vec<(String, String)>,
) -> impl IntoView {
    let start = definition.start().to_owned();
    let total = definition.steps().len();
    let definition = StoredValue::new(definition);
    let initial: HashMap<String, String> = variables.into_iter().collect();
    let values = RwSignal::new(initial.clone());
    let path = RwSignal::new(vec![start.clone()]);
    let draft = RwSignal::new(String::new());

    // An input step starts with what is known for its variable: typed earlier, or from the link.
    let prefill = move |step: &str| {
        draft.set(
            definition.with_value(|d| match d.step(step).map(|s| &s.kind) {
                Some(StepKind::Input { variable, .. }) => {
                    values.with_untracked(|v| v.get(variable).cloned().unwrap_or_default())
                }
                _ => String::new(),
            }),
        );
    };
    // The first action on the first step is the recipient starting the flow: counted on the
    // server (exactly, against the link's limit) before the player moves on.
    let started = RwSignal::new(false);
    let starting = RwSignal::new(false);
    let refused = RwSignal::new(None::<LinkRefusal>);
    let advance = move |next: String| {
        prefill(&next);
        path.update(|p| p.push(next));
    };
    let go = move |next: String| {
        if started.get_untracked() {
            advance(next);
            return;
        }
        if starting.get_untracked() {
            return;
        }
        starting.set(true);
        leptos::task::spawn_local(async move {
            match count_start().await {
                Ok(()) => {
                    started.set(true);
                    advance(next);
                }
                Err(refusal) => refused.set(Some(refusal)),
            }
            starting.set(false);
        });
    };
    let back = move |_| {
        path.update(|p| {
            if p.len() > 1 {
                p.pop();
            }
        });
        prefill(&path.with_untracked(|p| p.last().cloned().unwrap_or_default()));
    };
    let restart = {
        let start = start.clone();
        move |_| {
            values.set(initial.clone());
            path.set(vec![start.clone()]);
            prefill(&start);
        }
    };
    let text = move |raw: &str| values.with(|v| fill_in(raw, |name| v.get(name).cloned()));
    prefill(&start);

    let step_view = move || {
        let id = path.with(|p| p.last().cloned().unwrap_or_default());
        let Some(step) = definition.with_value(|d| d.step(&id).cloned()) else {
            return view! { <p>"This flow cannot continue."</p> }.into_any();
        };
        match step.kind {
            StepKind::Message { text: t, next } => (view! {
                <p class="step-text">{text(&t)}</p>
                <button type="button" class="primary" on:click=move |_| go(next.clone())>"Next"</button>
            })
            .into_any(),
            StepKind::Question { text: t, choices } => (view! {
                <fieldset class="choices">
                    <legend class="step-text">{text(&t)}</legend>
                    {choices.into_iter().map(|c| {
                        let next = c.next.clone();
                        view! { <button type="button" on:click=move |_| go(next.clone())>{text(&c.label)}</button> }
                    }).collect_view()}
                </fieldset>
            })
            .into_any(),
            StepKind::Input { text: t, variable, next } => (view! {
                <form class="input-step" on:submit=move |ev| {
                    ev.prevent_default();
                    let value = draft.get_untracked();
                    values.update(|v| { v.insert(variable.clone(), value); });
                    go(next.clone());
                }>
                    <label for="player-input" class="step-text">{text(&t)}</label>
                    <input id="player-input" prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev)) autofocus/>
                    <button type="submit" class="primary">"Next"</button>
                </form>
            })
            .into_any(),
            StepKind::End { text: t } => (view! {
                <p class="step-text">{text(&t)}</p>
                <p class="finished" role="status">"Finished"</p>
            })
            .into_any(),
        }
    };
    let blocked = move || {
        refused.get().map(|r| {
            view! {
                <div class="refusal-inline" role="alert">
                    <h2>{r.title()}</h2>
                    <p>{r.explanation()}</p>
                </div>
            }
        })
    };
    view! {
        <article class="player" aria-labelledby="player-title" aria-busy=move || starting.get().to_string()>
            <h1 id="player-title">{flow_name}</h1>
            <p class="progress-label" aria-live="polite">
                {move || format!("Step {} of at most {total}", path.with(Vec::len))}
            </p>
            <progress max=total.to_string() value=move || path.with(Vec::len).to_string() aria-label="Progress"></progress>
            {blocked}
            <div class="step" aria-live="polite" hidden=move || refused.get().is_some()>{step_view}</div>
            <div class="player-nav">
                <button type="button" on:click=back disabled=move || path.with(|p| p.len() <= 1)>"Back"</button>
                <button type="button" on:click=restart>"Restart"</button>
            </div>
            <noscript><p class="hint">"This flow needs JavaScript to go past the first step."</p></noscript>
        </article>
    }
}

/// Asks the server to count this start; the page's own location names the link.
async fn count_start() -> Result<(), LinkRefusal> {
    #[cfg(feature = "hydrate")]
    {
        let location = web_sys::window().map(|w| w.location());
        let path = location
            .as_ref()
            .and_then(|l| l.pathname().ok())
            .unwrap_or_default();
        let query = location
            .as_ref()
            .and_then(|l| l.search().ok())
            .unwrap_or_default();
        match crate::api::links::start_flow(path, query).await {
            Ok(result) => result,
            Err(crate::error::AppError::RateLimited(..)) => Err(LinkRefusal::TooManyStarts),
            // Unreachable: limits must stay exact, so the flow does not start uncounted.
            Err(_) => Err(LinkRefusal::FlowUnavailable),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    Ok(())
}

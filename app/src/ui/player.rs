//! The page a recipient opens: one step of the flow, or a plain page saying why the link or the
//! run does not work. The server walks the flow; the page only shows the step it was given and
//! posts what the recipient did. Every step is a plain HTML form and the page carries no script:
//! each post leads to the next page, the same with JavaScript on or off, and a recipient on a
//! phone downloads a page of HTML and the style sheet, nothing more.

use super::raw_text::PageTitle;
use crate::domain::link::LinkRefusal;
use crate::domain::run::{
    BackToLink, OwnWords, PageRefusal, Playing, RecipientPage, StepViewKind, MAX_INPUT_CHARS,
};
use leptos::either::Either;
use leptos::prelude::*;

/// Rendered only on the server (it is not an island), from the [`RecipientPage`] the page's
/// handler provides after its one check. Without one (a route reached some other way) the link
/// is "not valid".
#[component]
pub fn PlayerPage() -> impl IntoView {
    let page = use_context::<RecipientPage>()
        .map_or(Err(PageRefusal::Link(LinkRefusal::NotValid)), |p| p.0);
    view! {
        <main class="player-page">
            {match page {
                // Erased: the two pages' view types together overflow the compiler's type depth.
                Ok(playing) => view! {
                    <PageTitle text=playing.run.flow_name.clone()/>
                    <FlowPlayer playing/>
                }
                .into_any(),
                Err(refusal) => {
                    let back = use_context::<BackToLink>().map(|b| b.0);
                    let own = use_context::<OwnWords>();
                    view! { <RefusalNotice refusal back own/> }.into_any()
                }
            }}
        </main>
    }
}

/// Why there is no step. An ended link's application may say it in its own words (text, shown
/// with its line breaks) and offer a link onward, named by its host.
#[component]
fn RefusalNotice(
    refusal: PageRefusal,
    back: Option<String>,
    own: Option<OwnWords>,
) -> impl IntoView {
    let explanation = match &own {
        Some(own) if !own.message.is_empty() => Either::Left(view! {
            <p class="own-words">{own.message.clone()}</p>
        }),
        _ => Either::Right(view! { <p>{refusal.explanation()}</p> }),
    };
    let onward = own.as_ref().and_then(|own| {
        let href = own.onward.clone()?;
        let label = own
            .onward_host()
            .map_or("Continue".to_owned(), |host| format!("Continue to {host}"));
        Some(view! { <p><a class="button primary" href=href rel="noreferrer">{label}</a></p> })
    });
    view! {
        <PageTitle text=refusal.title()/>
        <section class="refusal" aria-labelledby="refusal-title">
            <h1 id="refusal-title">{refusal.title()}</h1>
            {explanation}
            {onward}
            {back.map(|href| view! { <p><a href=href>"Back to the first step"</a></p> })}
        </section>
    }
}

/// One step at a time, as plain HTML forms: the step's form, Back and Restart, a progress
/// indicator, keyboard operable. Every move is a form post, answered with the next page; the page
/// carries no script, so it weighs what its HTML and the style sheet do.
#[component]
fn FlowPlayer(playing: Playing) -> impl IntoView {
    let step = playing.run.step.clone();
    // A finished run's bar is full and says so, whatever the longest path might have been.
    let finished = matches!(step.kind, StepViewKind::End);
    let (at, total) = if finished {
        (step.total, step.total)
    } else {
        (step.position, step.total)
    };
    let progress_label = if finished {
        "Finished".to_owned()
    } else {
        format!("Step {at} of at most {total}")
    };
    let body = match step.kind.clone() {
        StepViewKind::Message => view! {
            <p class="step-text">{step.text.clone()}</p>
            <button type="submit" class="primary">"Next"</button>
        }
        .into_any(),
        StepViewKind::Question { choices } => view! {
            <fieldset class="choices">
                <legend class="step-text">{step.text.clone()}</legend>
                {choices.into_iter().enumerate().map(|(i, label)| view! {
                    <button type="submit" name="choice" value=i.to_string()>{label}</button>
                }).collect_view()}
            </fieldset>
        }
        .into_any(),
        StepViewKind::Input { value } => view! {
            <label for="player-input" class="step-text">{step.text.clone()}</label>
            <input id="player-input" name="value" value=value required
                maxlength=MAX_INPUT_CHARS.to_string() autocomplete="off" autofocus/>
            <button type="submit" class="primary">"Next"</button>
        }
        .into_any(),
        StepViewKind::End => view! {
            <p class="step-text">{step.text.clone()}</p>
            <p class="finished" role="status">"Finished"</p>
        }
        .into_any(),
    };
    // An end step takes no answer: it is shown without a form.
    let content = if finished {
        Either::Left(body)
    } else {
        Either::Right(view! {
            <form method="post" action=endpoint(&playing) class="step-form">
                <StepFields playing=playing.clone() action="answer"/>
                {body}
            </form>
        })
    };
    // Back and Restart move a run; before the first move there is none.
    let nav = playing.run.token.is_some().then(|| {
        let first = step.position <= 1;
        view! {
            <div class="player-nav">
                <form method="post" action=endpoint(&playing)>
                    <StepFields playing=playing.clone() action="back"/>
                    <button type="submit" disabled=first>"Back"</button>
                </form>
                <form method="post" action=endpoint(&playing)>
                    <StepFields playing=playing.clone() action="restart"/>
                    <button type="submit">"Start over"</button>
                </form>
            </div>
        }
    });
    view! {
        <article class="player" aria-labelledby="player-title">
            <h1 id="player-title">{playing.run.flow_name.clone()}</h1>
            <p class="progress-label">{progress_label}</p>
            <progress max=total.to_string() value=at.to_string() aria-label="Progress"></progress>
            <div class="step">
                {playing.problem.map(|problem| view! {
                    <p class="problem" role="alert">{problem.to_string()}</p>
                })}
                {content}
            </div>
            {nav}
        </article>
    }
}

/// The hidden fields every form of a step posts: which run (or which link, before the first
/// move), which step at which move, and what to do.
#[component]
fn StepFields(playing: Playing, action: &'static str) -> impl IntoView {
    let step = playing.run.step;
    let whose = match (playing.run.token, playing.start) {
        (Some(token), _) => Either::Left(view! {
            <input type="hidden" name="token" value=token.as_str().to_owned()/>
        }),
        (None, start) => {
            let (path, query) = start.map(|s| (s.path, s.query)).unwrap_or_default();
            Either::Right(view! {
                <input type="hidden" name="path" value=path/>
                <input type="hidden" name="query" value=query/>
            })
        }
    };
    view! {
        {whose}
        <input type="hidden" name="action" value=action/>
        <input type="hidden" name="at" value=step.at.to_string()/>
        <input type="hidden" name="step" value=step.id/>
    }
}

/// Where a step's forms post: the link's first move starts a run, every later one takes a step.
fn endpoint(playing: &Playing) -> &'static str {
    use leptos::server_fn::ServerFn;
    if playing.run.token.is_some() {
        crate::api::runs::RunStep::PATH
    } else {
        crate::api::runs::StartRun::PATH
    }
}

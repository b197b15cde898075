//! The page a recipient opens: one step of the flow, or a plain page saying why the link or the
//! run does not work. The server walks the flow; the page only shows the step it was given and
//! posts what the recipient did. Every step is a plain HTML form, so the whole flow runs without
//! JavaScript (each post leads to the next page); with JavaScript the island posts the same
//! fields with fetch and shows the next step in place.

use super::raw_text::PageTitle;
use crate::domain::limits::RateLimit;
use crate::domain::link::LinkRefusal;
use crate::domain::run::{
    BackToLink, PageRefusal, Playing, RecipientPage, RunProblem, RunView, StepViewKind,
    MAX_INPUT_CHARS,
};
use crate::error::AppError;
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
                    view! { <RefusalNotice refusal back/> }.into_any()
                }
            }}
        </main>
    }
}

#[component]
fn RefusalNotice(refusal: PageRefusal, back: Option<String>) -> impl IntoView {
    view! {
        <PageTitle text=refusal.title()/>
        <section class="refusal" aria-labelledby="refusal-title">
            <h1 id="refusal-title">{refusal.title()}</h1>
            <p>{refusal.explanation()}</p>
            {back.map(|href| view! { <p><a href=href>"Back to the first step"</a></p> })}
        </section>
    }
}

/// What the player knows: the step shown, and whether the page is still the link's own.
#[derive(Clone)]
struct Shown {
    playing: Playing,
    /// Set when the run cannot go on: the step gives way to the reason.
    ended: Option<PageRefusal>,
}

/// One step at a time: the step's form, Back and Restart, a progress indicator, keyboard operable.
#[island]
fn FlowPlayer(playing: Playing) -> impl IntoView {
    let flow_name = playing.run.flow_name.clone();
    let shown = RwSignal::new(Shown {
        playing,
        ended: None,
    });
    let busy = RwSignal::new(false);
    // Which choice was clicked: the click comes before the form's submit event.
    let chosen = RwSignal::new(None::<usize>);
    let typed = NodeRef::<leptos::html::Input>::new();

    let post = move |action: &'static str| {
        if busy.get_untracked() {
            return;
        }
        let now = shown.get_untracked().playing;
        let choice = chosen.get_untracked().map(|c| c.to_string());
        chosen.set(None);
        let value = typed.get_untracked().map(|input| input.value());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = send(&now, action, choice, value.clone()).await;
            shown.update(|s| apply(s, outcome, value));
            // The input element is reused from one input step to the next, and once typed into
            // its `value` attribute no longer says what it shows: the box is set to the step's
            // own value, or another step's answer would stand in it.
            if let (Some(input), StepViewKind::Input { value }) = (
                typed.get_untracked(),
                shown.with_untracked(|s| s.playing.run.step.kind.clone()),
            ) {
                input.set_value(&value);
            }
            busy.set(false);
        });
    };
    let on_submit = move |action: &'static str| {
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            post(action);
        }
    };

    let step_view = move || {
        let Shown { playing, ended } = shown.get();
        if let Some(refusal) = ended {
            return view! {
                <div class="refusal-inline" role="alert">
                    <h2>{refusal.title()}</h2>
                    <p>{refusal.explanation()}</p>
                </div>
            }
            .into_any();
        }
        let step = playing.run.step.clone();
        let body = match step.kind {
            StepViewKind::Message => view! {
                <p class="step-text">{step.text}</p>
                <button type="submit" class="primary">"Next"</button>
            }
            .into_any(),
            StepViewKind::Question { choices } => view! {
                <fieldset class="choices">
                    <legend class="step-text">{step.text}</legend>
                    {choices.into_iter().enumerate().map(|(i, label)| view! {
                        <button type="submit" name="choice" value=i.to_string() on:click=move |_| chosen.set(Some(i))>{label}</button>
                    }).collect_view()}
                </fieldset>
            }
            .into_any(),
            // (`prop:value` here would say the same, but in Leptos 0.8 it breaks the Share
            // dialog's hydration in the same bundle: the value is set after each move instead.)
            StepViewKind::Input { value } => view! {
                <label for="player-input" class="step-text">{step.text}</label>
                <input id="player-input" name="value" node_ref=typed value=value required
                    maxlength=MAX_INPUT_CHARS.to_string() autocomplete="off" autofocus/>
                <button type="submit" class="primary">"Next"</button>
            }
            .into_any(),
            StepViewKind::End => view! {
                <p class="step-text">{step.text}</p>
                <p class="finished" role="status">"Finished"</p>
            }
            .into_any(),
        };
        // An end step takes no answer: it is shown without a form.
        let content = if matches!(playing.run.step.kind, StepViewKind::End) {
            Either::Left(body)
        } else {
            Either::Right(view! {
                <form method="post" action=endpoint(&playing) class="step-form" on:submit=on_submit("answer")>
                    <StepFields playing=playing.clone() action="answer"/>
                    {body}
                </form>
            })
        };
        view! {
            {playing.problem.map(|problem| view! {
                <p class="problem" role="alert">{problem.to_string()}</p>
            })}
            {content}
        }
        .into_any()
    };

    let nav = move || {
        let Shown { playing, ended } = shown.get();
        // Back and Restart move a run; before the first move there is none.
        (ended.is_none() && playing.run.token.is_some()).then(|| {
            let first = playing.run.step.position <= 1;
            view! {
                <div class="player-nav">
                    <form method="post" action=endpoint(&playing) on:submit=on_submit("back")>
                        <StepFields playing=playing.clone() action="back"/>
                        <button type="submit" disabled=first>"Back"</button>
                    </form>
                    <form method="post" action=endpoint(&playing) on:submit=on_submit("restart")>
                        <StepFields playing=playing.clone() action="restart"/>
                        <button type="submit">"Restart"</button>
                    </form>
                </div>
            }
        })
    };
    // A finished run's bar is full and says so, whatever the longest path might have been.
    let progress = move || {
        shown.with(|s| {
            let step = &s.playing.run.step;
            match step.kind {
                StepViewKind::End => (step.total, step.total, true),
                _ => (step.position, step.total, false),
            }
        })
    };

    view! {
        <article class="player" aria-labelledby="player-title" aria-busy=move || busy.get().to_string()>
            <h1 id="player-title">{flow_name}</h1>
            <p class="progress-label" aria-live="polite">
                {move || match progress() {
                    (_, _, true) => "Finished".to_owned(),
                    (at, total, false) => format!("Step {at} of at most {total}"),
                }}
            </p>
            <progress max=move || progress().1.to_string() value=move || progress().0.to_string() aria-label="Progress"></progress>
            <div class="step" aria-live="polite">{step_view}</div>
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

/// Posts a move through the same server functions the forms post to.
async fn send(
    playing: &Playing,
    action: &'static str,
    choice: Option<String>,
    value: Option<String>,
) -> Result<RunView, AppError> {
    use crate::api::runs::{run_step, start_run};
    let step = &playing.run.step;
    let (at, id) = (step.at.to_string(), step.id.clone());
    let value = value.filter(|_| matches!(step.kind, StepViewKind::Input { .. }));
    let choice = choice.filter(|_| matches!(step.kind, StepViewKind::Question { .. }));
    match (&playing.run.token, &playing.start) {
        (Some(token), _) => {
            run_step(
                token.as_str().to_owned(),
                action.into(),
                at,
                id,
                choice,
                value,
            )
            .await
        }
        (None, Some(start)) => {
            start_run(
                start.path.clone(),
                start.query.clone(),
                action.into(),
                at,
                id,
                choice,
                value,
            )
            .await
        }
        (None, None) => Err(AppError::Link(LinkRefusal::NotValid)),
    }
}

/// Shows what a move came to: the next step, the same step with the problem named (keeping what
/// was `typed`), or the reason the run cannot go on.
fn apply(shown: &mut Shown, outcome: Result<RunView, AppError>, typed: Option<String>) {
    match outcome {
        Ok(run) => {
            remember(&run);
            shown.playing = Playing {
                run,
                start: None,
                problem: None,
            };
        }
        Err(AppError::Run(problem)) if !problem.ends_the_run() => {
            shown.playing.problem = Some(problem);
            keep_typed(&mut shown.playing, typed);
            if problem == RunProblem::NotCurrentStep {
                // Another tab moved the run on: its own page shows where it is now.
                reload_run(&shown.playing, problem);
            }
        }
        Err(AppError::Run(problem)) => shown.ended = Some(PageRefusal::Run(problem)),
        Err(AppError::Link(refusal)) => shown.ended = Some(PageRefusal::Link(refusal)),
        // Moving too fast: the run goes on once the wait is over.
        Err(AppError::RateLimited(RateLimit::RunMoves, _)) => {
            shown.playing.problem = Some(RunProblem::TooManyMoves);
            keep_typed(&mut shown.playing, typed);
        }
        Err(AppError::RateLimited(..)) => {
            shown.ended = Some(PageRefusal::Link(LinkRefusal::TooManyStarts))
        }
        // The server could not be reached or failed: nothing was taken, so the step stays.
        Err(_) => shown.ended = Some(PageRefusal::Link(LinkRefusal::FlowUnavailable)),
    }
}

/// The step shown again after a refused move holds what was typed, not what it held before.
fn keep_typed(playing: &mut Playing, typed: Option<String>) {
    if let (StepViewKind::Input { value }, Some(typed)) = (&mut playing.run.step.kind, typed) {
        *value = typed;
    }
}

/// Puts the run's own page in the address bar, so a reload shows the run where it is rather
/// than starting (and counting) a new one.
fn remember(run: &RunView) {
    #[cfg(feature = "hydrate")]
    if let (Some(token), Some(window)) = (&run.token, web_sys::window()) {
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&token.page()),
            );
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = run;
}

fn reload_run(playing: &Playing, problem: RunProblem) {
    #[cfg(feature = "hydrate")]
    if let (Some(token), Some(window)) = (&playing.run.token, web_sys::window()) {
        let _ = window
            .location()
            .assign(&format!("{}?problem={}", token.page(), problem.code()));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (playing, problem);
}

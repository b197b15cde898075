//! Demo data for trying Flowshare out: three logins (one per role), applications of both kinds
//! and 48 flows of mixed types and states with real, branching definitions. Only ever written
//! by an explicit `--demo` or `demo seed`: a production database never gets default passwords.

use crate::applications::NewApplication;
use crate::backend::Store;
use crate::db::StoreResult;
use crate::flows::NewFlow;
use app::domain::{
    AccessProtection, ApplicationKind, ApprovalStatus, Expiry, ExpiryUnit, FlowDefinition,
    FlowSlug, FlowType, PublicationStatus, Role, UserName,
};

/// The demo logins, documented in README.md.
pub const DEMO_USERS: [(&str, Role, &str); 3] = [
    ("admin", Role::Admin, "demo-admin-pass"),
    ("publisher", Role::Publisher, "demo-publisher-pass"),
    ("viewer", Role::Viewer, "demo-viewer-pass"),
];

use ApprovalStatus::{Approved, Pending, Rejected};
use FlowType::{Bot, InboundCall, InboundChat, Interaction, Survey};
use PublicationStatus::{Draft, Published};

/// (name, type, publication, approval, description)
const FLOWS: &[(&str, FlowType, PublicationStatus, ApprovalStatus, &str)] = &[
    (
        "Order Status Lookup",
        Interaction,
        Published,
        Approved,
        "Customers check where their order is and what happens next.",
    ),
    (
        "Returns and Refunds",
        Interaction,
        Published,
        Approved,
        "Starts a return, explains refund timing and prints a label.",
    ),
    (
        "Appointment Booking",
        Interaction,
        Published,
        Approved,
        "Books, moves or cancels a branch appointment.",
    ),
    (
        "Password Reset Help",
        Interaction,
        Published,
        Approved,
        "Walks a customer through resetting a forgotten password.",
    ),
    (
        "Billing Question",
        Interaction,
        Published,
        Approved,
        "Answers common invoice questions and routes the rest.",
    ),
    (
        "Delivery Complaint",
        Interaction,
        Published,
        Approved,
        "Collects details of a late or damaged delivery.",
    ),
    (
        "Warranty Claim",
        Interaction,
        Published,
        Approved,
        "Registers a warranty claim with serial number and fault.",
    ),
    (
        "Store Opening Hours",
        Interaction,
        Published,
        Approved,
        "Tells opening hours and holiday closures per store.",
    ),
    (
        "Change Delivery Address",
        Interaction,
        Published,
        Approved,
        "Changes the address of an order that has not shipped.",
    ),
    (
        "Loyalty Points Balance",
        Interaction,
        Published,
        Approved,
        "Explains points, tiers and how to redeem them.",
    ),
    (
        "Subscription Cancellation",
        Interaction,
        Published,
        Approved,
        "Offers alternatives, then cancels a subscription.",
    ),
    (
        "Product Recall Check",
        Interaction,
        Published,
        Approved,
        "Checks a batch number against active recalls.",
    ),
    (
        "Callback Request",
        Interaction,
        Published,
        Approved,
        "Schedules a callback from an agent.",
    ),
    (
        "Insurance Claim Intake",
        Interaction,
        Published,
        Pending,
        "First notice of loss for home and car insurance.",
    ),
    (
        "Mortgage Pre-Check",
        Interaction,
        Published,
        Rejected,
        "Rough affordability check before an adviser call.",
    ),
    (
        "Gift Card Balance",
        Interaction,
        Draft,
        Pending,
        "Reads the balance of a gift card.",
    ),
    (
        "Event Registration",
        Interaction,
        Draft,
        Pending,
        "Registers attendees for a customer event.",
    ),
    (
        "Service Outage Report",
        Interaction,
        Published,
        Pending,
        "Reports an outage and shows known incidents.",
    ),
    (
        "Account Closure",
        Interaction,
        Draft,
        Rejected,
        "Closes an account after identity checks.",
    ),
    (
        "Job Application Status",
        Interaction,
        Published,
        Approved,
        "Candidates check where their application stands.",
    ),
    (
        "Main IVR Menu",
        InboundCall,
        Published,
        Approved,
        "Top-level phone menu for the customer line.",
    ),
    (
        "After Hours Routing",
        InboundCall,
        Published,
        Approved,
        "Routes calls outside opening hours to voicemail.",
    ),
    (
        "VIP Caller Priority",
        InboundCall,
        Published,
        Pending,
        "Puts known VIP callers at the front of the queue.",
    ),
    (
        "Emergency Line",
        InboundCall,
        Draft,
        Pending,
        "Dedicated routing for the emergency number.",
    ),
    (
        "Spanish Language Line",
        InboundCall,
        Published,
        Approved,
        "Phone menu for Spanish-speaking callers.",
    ),
    (
        "Web Chat Triage",
        InboundChat,
        Published,
        Approved,
        "Sorts incoming chats by topic before an agent joins.",
    ),
    (
        "Chat Queue Overflow",
        InboundChat,
        Published,
        Approved,
        "Offers a callback when chat queues are long.",
    ),
    (
        "Sales Chat",
        InboundChat,
        Draft,
        Pending,
        "Pre-sales questions from product pages.",
    ),
    (
        "Technical Support Chat",
        InboundChat,
        Published,
        Rejected,
        "Level-one troubleshooting over chat.",
    ),
    (
        "Café Feedback Chat",
        InboundChat,
        Draft,
        Pending,
        "Feedback from café guests, in French and English.",
    ),
    (
        "FAQ Assistant",
        Bot,
        Published,
        Approved,
        "Answers the top fifty questions from the help centre.",
    ),
    (
        "Order Tracking Bot",
        Bot,
        Published,
        Approved,
        "Tracks parcels with the carrier's status feed.",
    ),
    (
        "Lead Qualification Bot",
        Bot,
        Draft,
        Pending,
        "Asks budget, timing and need before sales follows up.",
    ),
    (
        "HR Policy Bot",
        Bot,
        Published,
        Pending,
        "Answers employee questions about leave and benefits.",
    ),
    (
        "IT Helpdesk Bot",
        Bot,
        Published,
        Approved,
        "Resets passwords and unlocks accounts for staff.",
    ),
    (
        "Post-Call Survey",
        Survey,
        Published,
        Approved,
        "Three questions after every support call.",
    ),
    (
        "NPS Quarterly",
        Survey,
        Published,
        Approved,
        "Quarterly net promoter score survey.",
    ),
    (
        "Onboarding Feedback",
        Survey,
        Draft,
        Pending,
        "How the first week with the product went.",
    ),
    (
        "Store Visit Survey",
        Survey,
        Published,
        Rejected,
        "Rates a visit to a physical store.",
    ),
    (
        "Agent Quality Review",
        Survey,
        Published,
        Approved,
        "Supervisors score recorded interactions.",
    ),
    (
        "Product Launch Poll",
        Survey,
        Draft,
        Pending,
        "Which features matter most for the next launch.",
    ),
    (
        "Déclaration de sinistre",
        Interaction,
        Published,
        Approved,
        "Déclaration d'un sinistre habitation, en français.",
    ),
    (
        "Rückruf vereinbaren",
        Interaction,
        Published,
        Approved,
        "Vereinbart einen Rückruf, auf Deutsch.",
    ),
    (
        "Student Enrollment Help",
        Interaction,
        Published,
        Approved,
        "Answers enrollment deadlines and document questions.",
    ),
    (
        "Energy Meter Reading",
        Interaction,
        Published,
        Approved,
        "Customers submit a meter reading.",
    ),
    (
        "Parking Permit Renewal",
        Interaction,
        Draft,
        Pending,
        "Renews a residential parking permit.",
    ),
    (
        "Vaccination Booking",
        Interaction,
        Published,
        Pending,
        "Books a vaccination slot at a clinic.",
    ),
    (
        "Lost Card Report",
        Interaction,
        Published,
        Approved,
        "Blocks a lost or stolen card and orders a new one.",
    ),
];

/// A branching definition about `topic`: 4 to 8 steps, with a `{{name}}` greeting and an input.
fn definition_for(topic: &str, variant: usize) -> FlowDefinition {
    let json = match variant % 3 {
        0 => format!(
            r#"{{"start":"welcome","steps":[
            {{"id":"welcome","kind":"message","text":"Hello {{{{name}}}}, this is the {topic} assistant.","next":"choose"}},
            {{"id":"choose","kind":"question","text":"What would you like to do?","choices":[
                {{"label":"Start a new request","next":"reference"}},
                {{"label":"Ask about an existing request","next":"existing"}},
                {{"label":"Nothing, thanks","next":"bye"}}]}},
            {{"id":"reference","kind":"input","text":"Please enter your customer number.","variable":"customer","next":"details"}},
            {{"id":"details","kind":"input","text":"Briefly describe what you need.","variable":"details","next":"done"}},
            {{"id":"existing","kind":"input","text":"What is your reference number?","variable":"reference","next":"status"}},
            {{"id":"status","kind":"message","text":"Thanks. Reference {{{{reference}}}} is being handled; you will hear from us within two working days.","next":"bye"}},
            {{"id":"done","kind":"end","text":"Thank you, {{{{name}}}}. Your {topic} request is registered."}},
            {{"id":"bye","kind":"end","text":"Goodbye, and thank you for contacting us."}}]}}"#
        ),
        1 => format!(
            r#"{{"start":"intro","steps":[
            {{"id":"intro","kind":"question","text":"{topic}: is this about you or someone else?","choices":[
                {{"label":"Me","next":"who"}},{{"label":"Someone else","next":"other"}}]}},
            {{"id":"who","kind":"input","text":"What is your name?","variable":"name","next":"confirm"}},
            {{"id":"other","kind":"message","text":"We can only help the person concerned directly. Please ask them to contact us.","next":"end"}},
            {{"id":"confirm","kind":"question","text":"Shall we go ahead, {{{{name}}}}?","choices":[
                {{"label":"Yes","next":"ok"}},{{"label":"Start again","next":"intro"}}]}},
            {{"id":"ok","kind":"end","text":"Done. We sent a confirmation for {topic}."}},
            {{"id":"end","kind":"end","text":"Goodbye."}}]}}"#
        ),
        _ => format!(
            r#"{{"start":"ask","steps":[
            {{"id":"ask","kind":"question","text":"How can we help with {topic}?","choices":[
                {{"label":"Tell me more","next":"info"}},{{"label":"Talk to a person","next":"phone"}}]}},
            {{"id":"info","kind":"message","text":"Here is what you need to know about {topic}.","next":"end"}},
            {{"id":"phone","kind":"input","text":"Which number should we call?","variable":"phone","next":"end"}},
            {{"id":"end","kind":"end","text":"Thank you, {{{{name}}}}."}}]}}"#
        ),
    };
    // The templates are fixed text, checked by this module's tests.
    FlowDefinition::parse_json(&json).unwrap_or_else(|e| panic!("demo definition for {topic}: {e}"))
}

pub fn demo_flows() -> Vec<NewFlow> {
    FLOWS
        .iter()
        .enumerate()
        .filter_map(
            |(i, (name, flow_type, publication, approval, description))| {
                Some(NewFlow {
                    slug: FlowSlug::from_name(name)?,
                    name: (*name).to_owned(),
                    flow_type: *flow_type,
                    publication: *publication,
                    approval: *approval,
                    description: (*description).to_owned(),
                    definition: definition_for(&name.to_lowercase(), i),
                })
            },
        )
        .collect()
}

fn slug(s: &str) -> FlowSlug {
    FlowSlug::parse(s).unwrap_or_else(|e| panic!("demo slug {s}: {e}"))
}

/// Seeds an empty database with the demo. Returns false (and writes nothing) when it holds users or flows already.
pub async fn seed(store: &Store, public_url: &str) -> StoreResult<bool> {
    if store.accounts.user_count().await? > 0 || store.flows.flow_count().await? > 0 {
        return Ok(false);
    }
    for (name, role, password) in DEMO_USERS {
        let name =
            UserName::parse(name).map_err(|e| crate::db::StoreError::Invalid(e.to_string()))?;
        store.accounts.add_user(&name, role, password).await?;
    }
    let flows = demo_flows();
    store.flows.insert_flows(&flows, "admin").await?;
    let apps = [
        (
            "help-centre",
            "Customer Help Centre",
            ApplicationKind::WebPage,
            vec![],
        ),
        (
            "order-widget",
            "Order Status Widget",
            ApplicationKind::Widget,
            vec![
                "http://localhost:8080".to_owned(),
                "http://127.0.0.1:8080".to_owned(),
            ],
        ),
        (
            "partner-portal",
            "Partner Portal",
            ApplicationKind::WebPage,
            vec![],
        ),
        (
            "chat-widget",
            "Support Chat Widget",
            ApplicationKind::Widget,
            vec!["https://shop.example.com".to_owned()],
        ),
    ];
    for (app_slug, name, kind, embed_origins) in apps {
        let app = NewApplication {
            slug: slug(app_slug),
            name: name.into(),
            kind,
            base_url: public_url.into(),
            embed_origins,
        };
        store.applications.create_application(&app).await?;
    }
    let protected = |invocations: Option<u32>,
                     amount: Option<u32>,
                     unit: ExpiryUnit,
                     validate_params: bool| AccessProtection::Protected {
        allowed_invocations: invocations,
        expiry: amount.map(|amount| Expiry { amount, unit }),
        validate_params,
    };
    // Varied availability: most Interaction flows go through the help centre, some through widgets
    // and the partner portal, with both Open and Protected pairs.
    for (i, flow) in flows.iter().enumerate() {
        if flow.flow_type != Interaction {
            continue;
        }
        let help = if i % 2 == 0 {
            AccessProtection::Open
        } else {
            protected(None, Some(7), ExpiryUnit::Days, true)
        };
        store
            .applications
            .set_availability(&flow.slug, &slug("help-centre"), help)
            .await?;
        if i % 3 == 0 {
            store
                .applications
                .set_availability(
                    &flow.slug,
                    &slug("order-widget"),
                    protected(Some(5), Some(1), ExpiryUnit::Days, true),
                )
                .await?;
        }
        if i % 4 == 1 {
            store
                .applications
                .set_availability(
                    &flow.slug,
                    &slug("partner-portal"),
                    protected(Some(100), None, ExpiryUnit::Days, false),
                )
                .await?;
        }
        if i % 5 == 2 {
            store
                .applications
                .set_availability(&flow.slug, &slug("chat-widget"), AccessProtection::Open)
                .await?;
        }
    }
    seed_campaign(store).await?;
    seed_link_pages(store).await?;
    Ok(true)
}

/// The order widget's links show a preview of their own in chat apps, and one that is used up
/// says so in the shop's words (README.md shows both).
async fn seed_link_pages(store: &Store) -> StoreResult<()> {
    use app::domain::link_pages::{EndingForm, LinkPagesForm};
    let used_up = EndingForm {
        then: "page".into(),
        message: "This link has done its job. Track any order at any time from your account."
            .into(),
        ..EndingForm::default()
    };
    let form = LinkPagesForm {
        preview_title: "Your order, one tap away".into(),
        preview_description: "See where your order is and what happens next.".into(),
        endings: vec![EndingForm::default(), used_up],
    };
    match store
        .applications
        .save_link_pages(&slug("order-widget"), &form, "admin")
        .await?
    {
        Ok(true) => Ok(()),
        _ => Err(crate::db::StoreError::Invalid(
            "the demo's link pages".to_owned(),
        )),
    }
}

/// The campaign README.md's first API call asks a link of.
pub const DEMO_CAMPAIGN: &str = "order-status-by-sms";

async fn seed_campaign(store: &Store) -> StoreResult<()> {
    use app::domain::campaign::NewCampaign;
    use app::ports::Campaigns;
    let invalid = |e: &dyn std::fmt::Display| crate::db::StoreError::Invalid(e.to_string());
    let preset = app::domain::share::ShareRequest::parse(
        "order-status-lookup",
        "order-widget",
        "source=sms",
        true,
        true,
    )
    .map_err(|e| invalid(&e))?;
    let campaign = NewCampaign::parse("Order status by SMS", preset).map_err(|e| invalid(&e))?;
    let admin = app::domain::UserView {
        name: "admin".into(),
        role: Role::Admin,
    };
    store
        .campaigns
        .save(&admin, &campaign)
        .await
        .map_err(|e| invalid(&e))?;
    debug_assert_eq!(campaign.slug.as_str(), DEMO_CAMPAIGN);
    Ok(())
}

/// Tells whoever started the server how to sign in to the demo, or why there is no demo data.
pub fn print_seeded(seeded: bool) {
    if seeded {
        println!("Demo data seeded. Logins (user / password):");
        for (name, role, password) in DEMO_USERS {
            println!("  {name} / {password}  ({role})");
        }
    } else {
        println!("The database already holds users or flows; demo data not seeded.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::definition::StepKind;

    #[test]
    fn there_are_forty_and_more_flows_of_every_type_and_state() {
        let flows = demo_flows();
        assert_eq!(flows.len(), FLOWS.len(), "every demo name makes a slug");
        assert!(flows.len() >= 40);
        for t in FlowType::ALL {
            assert!(flows.iter().any(|f| f.flow_type == *t), "{t}");
        }
        for a in ApprovalStatus::ALL {
            assert!(flows.iter().any(|f| f.approval == *a), "{a}");
        }
        let slugs: std::collections::HashSet<_> = flows.iter().map(|f| f.slug.clone()).collect();
        assert_eq!(slugs.len(), flows.len(), "slugs are unique");
    }

    #[test]
    fn every_definition_has_three_to_ten_steps_and_branches() {
        for (i, flow) in demo_flows().iter().enumerate() {
            let steps = flow.definition.steps();
            assert!((3..=10).contains(&steps.len()), "{}", flow.name);
            assert!(
                steps.iter().any(
                    |s| matches!(&s.kind, StepKind::Question { choices, .. } if choices.len() >= 2)
                ),
                "{i}"
            );
        }
    }
}
